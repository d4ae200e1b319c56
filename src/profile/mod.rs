//! The shared config and credentials files (`~/.aws/config`, `~/.aws/credentials`): which files,
//! which profile, and the settings s3up honours from it (region, endpoint, CA bundle and the
//! nested `s3 =` section). The credential keys of the profile are read by
//! [`crate::credentials::chain`] through [`ProfileSettings`].
//!
//! Missing files are empty; `HOME` may be unset (then only `AWS_CONFIG_FILE` and
//! `AWS_SHARED_CREDENTIALS_FILE` are read). Never prints a value: settings may be secrets.

pub mod ini;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::context::Context;
use crate::error::Error;
use crate::s3::addr::AddressingStyle;
use crate::units;
use ini::{Entry, Origin, Value};

/// The nested `s3 =` section of a profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct S3Settings {
    pub max_concurrent_requests: Option<usize>,
    pub multipart_threshold: Option<u64>,
    pub multipart_chunksize: Option<u64>,
    /// Bytes per second.
    pub max_bandwidth: Option<u64>,
    pub addressing_style: Option<AddressingStyle>,
    pub payload_signing_enabled: Option<bool>,
}

/// What s3up reads from the selected profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub ca_bundle: Option<String>,
    pub s3: S3Settings,
}

/// The selected profile's settings from both files (the credentials file's values win), with
/// where each was written. `Debug` shows key names only.
pub struct ProfileSettings {
    pub name: String,
    /// What chose the profile: `--profile`, `AWS_PROFILE` or `default`.
    pub chosen_by: &'static str,
    entries: BTreeMap<String, Entry>,
    /// What each file gave, for messages (e.g. "/root/.aws/config: not found").
    pub files: Vec<String>,
}

impl fmt::Debug for ProfileSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfileSettings")
            .field("name", &self.name)
            .field("keys", &self.entries.keys().collect::<Vec<_>>())
            .field("files", &self.files)
            .finish()
    }
}

impl ProfileSettings {
    /// True when either file has a section for this profile.
    pub fn exists(&self) -> bool {
        !self.entries.is_empty()
    }

    /// A non-empty plain value and where it was written.
    pub fn text(&self, key: &str) -> Option<(&str, &Origin)> {
        match self.entries.get(key) {
            Some(Entry {
                value: Value::Text(t),
                origin,
            }) if !t.is_empty() => Some((t, origin)),
            _ => None,
        }
    }

    /// A nested section (`s3 =` and indented lines).
    pub fn nested(&self, key: &str) -> Option<&BTreeMap<String, (String, Origin)>> {
        match self.entries.get(key) {
            Some(Entry {
                value: Value::Nested(n),
                ..
            }) => Some(n),
            _ => None,
        }
    }

    /// The files read, as one phrase for messages.
    pub fn files_phrase(&self) -> String {
        self.files.join("; ")
    }
}

/// The config file: `AWS_CONFIG_FILE`, else `~/.aws/config`; `Err` says why there is none.
pub fn config_path(ctx: &Context) -> Result<PathBuf, String> {
    file_path(ctx, "AWS_CONFIG_FILE", "config")
}

/// The credentials file: `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
pub fn credentials_path(ctx: &Context) -> Result<PathBuf, String> {
    file_path(ctx, "AWS_SHARED_CREDENTIALS_FILE", "credentials")
}

fn home(ctx: &Context) -> Option<String> {
    ctx.var("HOME").or_else(|| ctx.var("USERPROFILE"))
}

fn file_path(ctx: &Context, var: &str, name: &str) -> Result<PathBuf, String> {
    match ctx.var(var) {
        Some(p) => match p.strip_prefix("~/") {
            Some(rest) => home(ctx)
                .map(|h| Path::new(&h).join(rest))
                .ok_or_else(|| format!("{var}={p} (HOME is not set)")),
            None => Ok(PathBuf::from(p)),
        },
        None => home(ctx)
            .map(|h| Path::new(&h).join(".aws").join(name))
            .ok_or_else(|| format!("~/.aws/{name}: HOME is not set (and {var} is not set)")),
    }
}

/// Reads and parses one file; `None` (with a note) when it does not exist.
fn read(path: &Path, notes: &mut Vec<String>) -> Result<Option<Vec<ini::Section>>, Error> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8(bytes)
                .map_err(|_| Error::Usage(format!("{}: not UTF-8 text", path.display())))?;
            ini::parse(&text, path)
                .map(Some)
                .map_err(|e| Error::Usage(format!("cannot parse {e}")))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            notes.push(format!("{}: not found", path.display()));
            Ok(None)
        }
        Err(e) => Err(Error::Usage(format!("cannot read {}: {e}", path.display()))),
    }
}

/// Collects the selected profile from both files.
///
/// # Errors
/// [`Error::Usage`] naming the file and line of what cannot be parsed, or when a profile
/// chosen by `--profile`/`AWS_PROFILE` is in neither file.
pub fn settings(ctx: &Context) -> Result<ProfileSettings, Error> {
    let name = ctx.profile_name();
    let chosen_by = ctx.profile_chosen_by();
    let mut entries = BTreeMap::new();
    let mut files = Vec::new();
    for (path, is_config) in [(config_path(ctx), true), (credentials_path(ctx), false)] {
        let path = match path {
            Ok(p) => p,
            Err(why) => {
                files.push(why);
                continue;
            }
        };
        let Some(sections) = read(&path, &mut files)? else {
            continue;
        };
        let found = sections.into_iter().find(|s| {
            let section = if is_config {
                config_profile_name(&s.name)
            } else {
                Some(s.name.as_str())
            };
            section == Some(name.as_str())
        });
        match found {
            Some(s) => entries.extend(s.entries),
            None if is_config && name == "default" => {
                files.push(format!("{}: no [default] section", path.display()))
            }
            None if is_config => {
                files.push(format!("{}: no [profile {name}] section", path.display()))
            }
            None => files.push(format!("{}: no [{name}] section", path.display())),
        }
    }
    if entries.is_empty() && chosen_by != "default" {
        return Err(Error::Usage(format!(
            "the profile '{name}' (from {chosen_by}) is in no config or credentials file ({})",
            files.join("; ")
        )));
    }
    Ok(ProfileSettings {
        name,
        chosen_by,
        entries,
        files,
    })
}

/// `[default]`, `[profile default]` → "default"; `[profile NAME]` → NAME; other sections
/// (`[sso-session …]`, `[services …]`, bare names) are not profiles in the config file.
fn config_profile_name(section: &str) -> Option<&str> {
    if section == "default" {
        return Some(section);
    }
    section.strip_prefix("profile ").map(str::trim)
}

/// The profile settings s3up honours.
///
/// # Errors
/// [`Error::Usage`] for a value s3up cannot use, naming the file and line it was written on.
pub fn from_settings(s: &ProfileSettings) -> Result<Profile, Error> {
    let owned = |key: &str| s.text(key).map(|(v, _)| v.to_owned());
    let mut profile = Profile {
        region: owned("region"),
        endpoint_url: owned("endpoint_url"),
        ca_bundle: owned("ca_bundle"),
        s3: S3Settings::default(),
    };
    if let Some((_, origin)) = s.text("s3") {
        return Err(Error::Usage(format!(
            "{origin}: 's3' takes no value of its own: write `s3 =` and the settings on indented lines below it"
        )));
    }
    if let Some(nested) = s.nested("s3") {
        profile.s3 = s3_settings(nested)?;
    }
    Ok(profile)
}

fn s3_settings(nested: &BTreeMap<String, (String, Origin)>) -> Result<S3Settings, Error> {
    let mut out = S3Settings::default();
    for (key, (value, origin)) in nested {
        let bad = |why: String| Error::Usage(format!("{origin}: s3.{key}: {why}"));
        match key.as_str() {
            "max_concurrent_requests" => {
                let n = value.parse::<usize>().ok().filter(|n| *n > 0);
                out.max_concurrent_requests =
                    Some(n.ok_or_else(|| bad(format!("'{value}' is not a positive whole number")))?);
            }
            "multipart_threshold" => out.multipart_threshold = Some(units::parse_size(value).map_err(bad)?),
            "multipart_chunksize" => out.multipart_chunksize = Some(units::parse_size(value).map_err(bad)?),
            "max_bandwidth" => out.max_bandwidth = Some(units::parse_rate(value).map_err(bad)?),
            "addressing_style" => out.addressing_style = Some(value.parse().map_err(bad)?),
            "payload_signing_enabled" => {
                out.payload_signing_enabled = Some(match value.to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(bad(format!("'{value}' is not true or false"))),
                });
            }
            "signature_version" => match value.as_str() {
                "s3v4" => {}
                "s3" => log::warn!(
                    "{origin}: s3.signature_version = s3 asks for Signature Version 2; s3up always signs with Signature Version 4 (s3v4)"
                ),
                other => log::warn!(
                    "{origin}: s3.signature_version = {other} is not known; s3up always signs with Signature Version 4 (s3v4)"
                ),
            },
            other => log::debug!("{origin}: s3.{other} is not used by s3up"),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;

//! The credential chain, in aws-cli's order: environment, web identity, the shared credentials
//! and config files (static keys or `credential_process`), container credentials, EC2 instance
//! metadata. The first source that is configured wins; a configured source that fails stops
//! the chain (as in aws-cli) rather than falling through to another identity.
//!
//! When nothing gives credentials, the error lists every source tried and why it gave nothing.
//! Never shows a secret.

use std::sync::Arc;

use super::container::ContainerCredentials;
use super::imds::{Imds, InstanceRole, Settings as ImdsSettings};
use super::process::CredentialProcess;
use super::refresh::{Fetch, RefreshingCredentials};
use super::web_identity::WebIdentity;
use super::{Credentials, ProvideCredentials, StaticCredentials};
use crate::context::Context;
use crate::error::Error;
use crate::profile::ProfileSettings;

/// What one source gave.
enum Outcome {
    Found(Arc<dyn ProvideCredentials>),
    /// Not configured or not available here: try the next source.
    Nothing(String),
    /// Configured but failing: stop.
    Failed(String),
}

/// The sources looked at so far and why each gave nothing.
#[derive(Default)]
struct Tried(Vec<(String, String)>);

impl Tried {
    fn list(&self) -> String {
        self.0
            .iter()
            .enumerate()
            .map(|(i, (source, why))| format!("({}) {source}: {why}", i + 1))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// `Ok(Some)` when found, `Ok(None)` to go on, `Err` to stop.
    fn take(
        &mut self,
        source: String,
        outcome: Outcome,
    ) -> Result<Option<Arc<dyn ProvideCredentials>>, Error> {
        match outcome {
            Outcome::Found(p) => {
                log::info!("credentials: {}", p.source());
                Ok(Some(p))
            }
            Outcome::Nothing(why) => {
                log::debug!("credentials: {source}: {why}");
                self.0.push((source, why));
                Ok(None)
            }
            Outcome::Failed(why) if self.0.is_empty() => Err(Error::Credentials(format!(
                "cannot load credentials from {source}: {why}"
            ))),
            Outcome::Failed(why) => Err(Error::Credentials(format!(
                "cannot load credentials from {source}: {why} (before it s3up looked at: {})",
                self.list()
            ))),
        }
    }
}

/// Finds credentials, with the selected profile's settings as read once by the caller.
///
/// # Errors
/// [`Error::Credentials`] listing every source tried and why it gave nothing, or naming the
/// configured source that failed.
pub(crate) fn resolve(
    ctx: &Context,
    settings: &ProfileSettings,
) -> Result<Arc<dyn ProvideCredentials>, Error> {
    let mut tried = Tried::default();
    if let Some(p) = tried.take("environment".into(), environment(ctx))? {
        return Ok(p);
    }
    if let Some(p) = tried.take("web identity".into(), web_identity(ctx, settings))? {
        return Ok(p);
    }
    let files = format!("shared config files (profile '{}')", settings.name);
    if let Some(p) = tried.take(files, shared_files(settings))? {
        return Ok(p);
    }
    if let Some(p) = tried.take("container credentials".into(), container(ctx))? {
        return Ok(p);
    }
    let (label, outcome) = instance_metadata(ctx);
    if let Some(p) = tried.take(label, outcome)? {
        return Ok(p);
    }
    Err(Error::Credentials(format!(
        "no credentials found; s3up looked, in aws-cli's order, at: {}",
        tried.list()
    )))
}

fn environment(ctx: &Context) -> Outcome {
    if let Some(c) = Credentials::from_env(|k| ctx.var(k)) {
        return Outcome::Found(Arc::new(StaticCredentials {
            credentials: c,
            source: "environment (AWS_ACCESS_KEY_ID)".into(),
        }));
    }
    match (
        ctx.var("AWS_ACCESS_KEY_ID"),
        ctx.var("AWS_SECRET_ACCESS_KEY"),
    ) {
        (Some(_), None) => {
            Outcome::Failed("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not".into())
        }
        (None, Some(_)) => {
            Outcome::Failed("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not".into())
        }
        _ => Outcome::Nothing("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set".into()),
    }
}

/// Wraps a temporary-credentials source and fetches once, so a broken source is reported now
/// rather than at the first request.
fn refreshing(fetch: impl Fetch + 'static, on_error: impl FnOnce(String) -> Outcome) -> Outcome {
    let provider = RefreshingCredentials::new(fetch);
    match provider.current() {
        Ok(_) => Outcome::Found(Arc::new(provider)),
        Err(why) => on_error(why),
    }
}

fn web_identity(ctx: &Context, settings: &ProfileSettings) -> Outcome {
    match WebIdentity::from_config(ctx, settings) {
        Ok(Some(w)) => refreshing(w, Outcome::Failed),
        Ok(None) => Outcome::Nothing(
            "AWS_WEB_IDENTITY_TOKEN_FILE is not set (nor the profile's web_identity_token_file)"
                .into(),
        ),
        Err(e) => Outcome::Failed(e),
    }
}

fn shared_files(s: &ProfileSettings) -> Outcome {
    if !s.exists() {
        return Outcome::Nothing(s.files_phrase());
    }
    match (s.text("aws_access_key_id"), s.text("aws_secret_access_key")) {
        (Some((id, origin)), Some((secret, _))) => {
            let token = s.text("aws_session_token").map(|(t, _)| t.to_owned());
            return Outcome::Found(Arc::new(StaticCredentials {
                credentials: Credentials::new(id, secret, token),
                source: format!("shared credentials file (profile '{}', {origin})", s.name),
            }));
        }
        (Some((_, origin)), None) => {
            return Outcome::Failed(format!(
                "{origin}: aws_access_key_id is set but aws_secret_access_key is not"
            ));
        }
        (None, Some((_, origin))) => {
            return Outcome::Failed(format!(
                "{origin}: aws_secret_access_key is set but aws_access_key_id is not"
            ));
        }
        (None, None) => {}
    }
    if let Some((command, origin)) = s.text("credential_process") {
        return match CredentialProcess::new(command, origin.to_string()) {
            Ok(p) => refreshing(p, |why| {
                Outcome::Failed(format!("credential_process ({origin}): {why}"))
            }),
            Err(e) => Outcome::Failed(e),
        };
    }
    let unsupported = ["role_arn", "sso_session", "sso_start_url", "login_session"]
        .iter()
        .find_map(|k| s.text(k).map(|(_, origin)| (k, origin)));
    if let Some((key, origin)) = unsupported {
        return Outcome::Failed(format!(
            "{origin}: profile '{}' uses {key}, which s3up does not resolve; export the credentials it gives with `aws configure export-credentials --profile {} --format env` instead",
            s.name, s.name
        ));
    }
    Outcome::Nothing(format!(
        "the profile has no aws_access_key_id or credential_process ({})",
        s.files_phrase()
    ))
}

fn container(ctx: &Context) -> Outcome {
    match ContainerCredentials::from_env(ctx) {
        Ok(Some(c)) => refreshing(c, Outcome::Failed),
        Ok(None) => Outcome::Nothing(
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set".into(),
        ),
        Err(e) => Outcome::Failed(e),
    }
}

fn instance_metadata(ctx: &Context) -> (String, Outcome) {
    match ImdsSettings::from_env(ctx) {
        Ok(settings) => {
            let imds = Imds::new(settings);
            let label = format!("EC2 instance metadata ({})", imds.endpoint());
            (label, refreshing(InstanceRole { imds }, Outcome::Nothing))
        }
        Err(why) => ("EC2 instance metadata".into(), Outcome::Nothing(why)),
    }
}

#[cfg(test)]
mod tests;

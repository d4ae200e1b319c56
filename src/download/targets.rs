//! What `cp` downloads: S3 sources (objects, or prefixes with `--recursive`) expanded into
//! (object, local destination) pairs, with aws-cli's `--exclude`/`--include` rules applied to
//! the key below the prefix. A key is never written outside the destination directory: its
//! `/`-separated segments become path components one by one, and a key with an empty, `.` or
//! `..` segment is refused by name (a hostile bucket cannot reach `../../etc`).

use std::path::{Path, PathBuf};

use super::Source;
use crate::client::Client;
use crate::error::Error;
use crate::listing;
use crate::s3::addr::S3Url;
use crate::sources::{included, Filter};

/// Where a download goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Dest {
    File(PathBuf),
    Stdout,
}

/// One download to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Job {
    pub source: Source,
    pub dest: Dest,
    /// The size the listing gave (recursive downloads), for progress and scheduling.
    pub listed_size: Option<u64>,
}

/// A key that cannot become a local path, named with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    pub source: Source,
    pub why: String,
}

/// Expands the sources; `dest` is the destination as given (`-`, a file, or a directory).
///
/// # Errors
/// [`Error::Usage`] for combinations that make no sense (several objects to one file, `-` with
/// a prefix), or the listing's error.
pub(crate) fn expand(
    client: &Client,
    sources: &[S3Url],
    dest: &str,
    recursive: bool,
    filters: &[Filter],
) -> Result<(Vec<Job>, Vec<Refused>), Error> {
    if dest == "-" {
        return to_stdout(sources, recursive);
    }
    let dest_is_dir = dest.ends_with('/') || Path::new(dest).is_dir();
    if (recursive || sources.len() > 1) && !dest_is_dir && Path::new(dest).exists() {
        return Err(Error::Usage(format!(
            "{dest} is a file: several objects go into a directory"
        )));
    }
    let (mut jobs, mut refused) = (Vec::new(), Vec::new());
    for src in sources {
        if recursive {
            let prefix = listing::dir_prefix(&src.key);
            for object in listing::all_objects(client, &src.bucket, &prefix)? {
                let rel = &object.key[prefix.len()..];
                if object.key.ends_with('/') || !included(rel, filters) {
                    continue;
                }
                let source = Source::new(src.bucket.clone(), object.key.clone());
                match local_path(Path::new(dest), rel) {
                    Ok(path) => jobs.push(Job {
                        source,
                        dest: Dest::File(path),
                        listed_size: Some(object.size),
                    }),
                    Err(why) => refused.push(Refused { source, why }),
                }
            }
            continue;
        }
        if src.key.is_empty() || src.key.ends_with('/') {
            return Err(Error::Usage(format!(
                "{src} is a prefix: use --recursive to download what is under it"
            )));
        }
        let name = src.key.rsplit('/').next().unwrap_or(&src.key);
        if !included(name, filters) {
            continue;
        }
        let path = if dest_is_dir || sources.len() > 1 {
            local_path(Path::new(dest), name).map_err(Error::Usage)?
        } else {
            PathBuf::from(dest)
        };
        jobs.push(Job {
            source: Source::new(src.bucket.clone(), src.key.clone()),
            dest: Dest::File(path),
            listed_size: None,
        });
    }
    Ok((jobs, refused))
}

fn to_stdout(sources: &[S3Url], recursive: bool) -> Result<(Vec<Job>, Vec<Refused>), Error> {
    match sources {
        [src] if !recursive && !src.key.is_empty() && !src.key.ends_with('/') => Ok((
            vec![Job {
                source: Source::new(src.bucket.clone(), src.key.clone()),
                dest: Dest::Stdout,
                listed_size: None,
            }],
            Vec::new(),
        )),
        _ => Err(Error::Usage(
            "standard output (-) takes exactly one object: s3up cp s3://BUCKET/KEY -".into(),
        )),
    }
}

/// `dir` joined with the key's segments, each checked to stay inside `dir`.
pub(crate) fn local_path(dir: &Path, rel_key: &str) -> Result<PathBuf, String> {
    let mut path = dir.to_owned();
    for segment in rel_key.split('/') {
        match segment {
            "" | "." | ".." => {
                return Err(format!(
                    "the key has an empty, '.' or '..' segment: downloading it would write outside {} or alias another file",
                    dir.display()
                ))
            }
            s if s.contains('\0') => return Err("the key has a NUL character".into()),
            s => path.push(s),
        }
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stay_inside_the_directory() {
        let dir = Path::new("out");
        assert_eq!(local_path(dir, "a/b.txt"), Ok(PathBuf::from("out/a/b.txt")));
        for hostile in ["../x", "a/../../x", "/etc/passwd", "a//b", "./x", "a/"] {
            assert!(local_path(dir, hostile).is_err(), "{hostile}");
        }
    }
}

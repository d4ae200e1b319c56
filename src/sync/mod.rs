//! `sync`: a local directory and an S3 prefix compared file by file, with aws-cli's rules
//! ([`compare`]), into a plan: what to copy (through the one upload engine or the download
//! engine) and, only when asked (`--delete`), what to remove from the destination because the
//! source does not have it. Both sides are filtered alike by `--exclude`/`--include` on the path
//! below the directory or prefix, so an excluded name is never copied nor deleted. Directory
//! markers (keys ending in `/`) are neither compared nor deleted.

pub(crate) mod compare;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use compare::{should_copy, Direction, Rules, Stat};

use crate::client::Client;
use crate::download::targets::{self, Dest, Refused};
use crate::download::Source;
use crate::error::Error;
use crate::listing::{self, dir_prefix};
use crate::s3::addr::S3Url;
use crate::s3::list::ObjectEntry;
use crate::sources::{self, included, Filter};

/// What `sync DIR s3://bucket/prefix/` does.
#[derive(Debug, Default)]
pub(crate) struct UploadPlan {
    /// Files to upload (keys under the destination prefix).
    pub uploads: Vec<sources::Job>,
    /// With `--delete`: keys no local file has.
    pub deletes: Vec<String>,
}

/// What `sync s3://bucket/prefix/ DIR` does.
#[derive(Debug, Default)]
pub(crate) struct DownloadPlan {
    pub downloads: Vec<targets::Job>,
    /// With `--delete`: local files no object has.
    pub deletes: Vec<PathBuf>,
    /// Keys that cannot become a local path (see [`targets::local_path`]).
    pub refused: Vec<Refused>,
}

/// Compares `dir` with the objects under `dest` (a directory prefix).
///
/// # Errors
/// [`Error::Usage`] when `dir` is not a directory; a local read error; the listing's error.
pub(crate) fn plan_upload(
    client: &Client,
    dir: &Path,
    dest: &S3Url,
    filters: &[Filter],
    rules: Rules,
    delete: bool,
) -> Result<UploadPlan, Error> {
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "{}: not a directory (sync copies a directory's files)",
            dir.display()
        )));
    }
    let prefix = dir_prefix(&dest.key);
    let mut remote = remote_files(client, &dest.bucket, &prefix, filters)?;
    let mut plan = UploadPlan::default();
    for mut job in sources::tree(dir, filters)? {
        let local = Stat {
            size: job.listed_size.unwrap_or(0),
            modified: job.modified,
        };
        let copy = match remote.remove(&job.key) {
            Some(object) => should_copy(Direction::Upload, rules, local, object_stat(&object)),
            None => true,
        };
        if copy {
            job.key = format!("{prefix}{}", job.key);
            plan.uploads.push(job);
        }
    }
    if delete {
        plan.deletes = remote.into_values().map(|o| o.key).collect();
    }
    Ok(plan)
}

/// Compares the objects under `src` (a directory prefix) with `dir`.
///
/// # Errors
/// A local read error; the listing's error.
pub(crate) fn plan_download(
    client: &Client,
    src: &S3Url,
    dir: &Path,
    filters: &[Filter],
    rules: Rules,
    delete: bool,
) -> Result<DownloadPlan, Error> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Usage(format!(
            "{}: not a directory (sync copies into a directory)",
            dir.display()
        )));
    }
    let prefix = dir_prefix(&src.key);
    let remote = remote_files(client, &src.bucket, &prefix, filters)?;
    let mut local: BTreeMap<String, sources::Job> = if dir.is_dir() {
        sources::tree(dir, filters)?
            .into_iter()
            .map(|j| (j.key.clone(), j))
            .collect()
    } else {
        BTreeMap::new()
    };
    let mut plan = DownloadPlan::default();
    for (rel, object) in remote {
        let source = Source::new(src.bucket.clone(), object.key.clone());
        let path = match targets::local_path(dir, &rel) {
            Ok(path) => path,
            Err(why) => {
                plan.refused.push(Refused { source, why });
                continue;
            }
        };
        let copy = match local.remove(&rel) {
            Some(file) => {
                let stat = Stat {
                    size: file.listed_size.unwrap_or(0),
                    modified: file.modified,
                };
                should_copy(Direction::Download, rules, object_stat(&object), stat)
            }
            None => true,
        };
        if copy {
            plan.downloads.push(targets::Job {
                source,
                dest: Dest::File(path),
                listed_size: Some(object.size),
            });
        }
    }
    if delete {
        plan.deletes = local.into_values().filter_map(|j| j.path).collect();
    }
    Ok(plan)
}

/// The objects under `prefix` that pass `filters`, by key below the prefix (directory markers
/// left out).
fn remote_files(
    client: &Client,
    bucket: &str,
    prefix: &str,
    filters: &[Filter],
) -> Result<BTreeMap<String, ObjectEntry>, Error> {
    Ok(listing::all_objects(client, bucket, prefix)?
        .into_iter()
        .filter_map(|o| {
            let rel = o.key[prefix.len()..].to_owned();
            (!rel.is_empty() && !rel.ends_with('/') && included(&rel, filters)).then_some((rel, o))
        })
        .collect())
}

fn object_stat(o: &ObjectEntry) -> Stat {
    Stat {
        size: o.size,
        modified: crate::time::parse_time(&o.last_modified),
    }
}

/// Removes a local file `sync --delete` found without an object (directories stay, as with
/// aws-cli).
///
/// # Errors
/// The file cannot be removed.
pub(crate) fn delete_local(path: &Path) -> Result<(), Error> {
    std::fs::remove_file(path).map_err(|source| Error::Destination {
        path: path.to_owned(),
        source,
    })
}

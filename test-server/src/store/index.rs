//! Every bucket and its objects, in memory, over the directories that hold them
//! (`layout.rs`). It is read from disk at start; afterwards every change goes to disk first and
//! to memory under the same lock, so listings are sorted map walks and a write becomes
//! visible in one step: the rename of a complete object directory into its bucket.
//!
//! A replaced or deleted object loses its `object.json` at once (a restart never brings it
//! back) while readers that already hold it keep its bytes; its directory goes when the last
//! reader drops it.

use super::errors;
use super::layout::{self, Layout, MANIFEST};
use super::manifest::{self, Manifest, Segment};

use s3s::S3Result;
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

/// One stored object.
#[derive(Debug)]
pub struct Version {
    /// Its directory.
    pub dir: PathBuf,
    /// Its description.
    pub meta: Manifest,
    /// Replaced or deleted: the directory goes with the last reader.
    obsolete: AtomicBool,
}

impl Version {
    /// Path of a file holding part of the bytes.
    pub fn segment_path(&self, seg: &Segment) -> PathBuf {
        self.dir.join(&seg.file)
    }

    fn retire(&self) {
        // Unlinking the manifest first makes the removal durable even if the bytes linger.
        let _ = manifest::remove_if_exists(&self.dir.join(MANIFEST));
        self.obsolete.store(true, Ordering::SeqCst);
    }
}

impl Drop for Version {
    fn drop(&mut self) {
        if self.obsolete.load(Ordering::SeqCst) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// One bucket.
#[derive(Debug)]
struct Bucket {
    created: SystemTime,
    objects: BTreeMap<String, Arc<Version>>,
}

/// An entry of a listing walk.
#[derive(Debug)]
pub enum Entry {
    /// An object.
    Object(Arc<Version>),
    /// Keys grouped by the delimiter.
    Prefix(String),
}

/// A page of a bucket's keys.
#[derive(Debug)]
pub struct Walk {
    /// Objects and common prefixes, in key order.
    pub entries: Vec<Entry>,
    /// More follow.
    pub truncated: bool,
}

/// What a listing asks for.
#[derive(Debug, Clone, Copy)]
pub struct WalkSpec<'a> {
    /// Only keys starting with this.
    pub prefix: &'a str,
    /// Group keys up to the first delimiter after the prefix (`None` or empty: no grouping).
    pub delimiter: Option<&'a str>,
    /// Only keys (and prefixes) after this one.
    pub after: Option<&'a str>,
    /// Largest number of entries.
    pub max: usize,
}

/// All buckets and objects.
#[derive(Debug)]
pub struct Index {
    layout: Layout,
    buckets: Mutex<BTreeMap<String, Bucket>>,
    last_id: AtomicU64,
}

fn unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Reads one bucket directory: the newest object of each key; older ones (left by a crash
/// between a replacement and its cleanup) and unfinished ones are removed.
fn load_bucket(dir: &Path, max_id: &mut u64) -> io::Result<BTreeMap<String, Arc<Version>>> {
    let mut objects: BTreeMap<String, Arc<Version>> = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !layout::is_object_id(&name) {
            continue;
        }
        *max_id = (*max_id).max(u64::from_str_radix(&name, 16).unwrap_or(0));
        let path = entry.path();
        let meta = std::fs::read(path.join(MANIFEST))
            .ok()
            .and_then(|b| serde_json::from_slice::<Manifest>(&b).ok());
        let Some(meta) = meta else {
            let _ = std::fs::remove_dir_all(&path);
            continue;
        };
        let version = Arc::new(Version {
            dir: path,
            meta,
            obsolete: AtomicBool::new(false),
        });
        let key = version.meta.key.clone();
        match objects.get(&key) {
            Some(old) if old.dir > version.dir => version.retire(),
            _ => {
                if let Some(old) = objects.insert(key, version) {
                    old.retire();
                }
            }
        }
    }
    Ok(objects)
}

impl Index {
    /// Reads the buckets and objects under the root.
    ///
    /// # Errors
    /// A bucket directory cannot be read.
    pub fn load(layout: &Layout) -> io::Result<Self> {
        let mut buckets = BTreeMap::new();
        let mut max_id = 0;
        for entry in std::fs::read_dir(layout.root())? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !entry.file_type()?.is_dir() || !s3s::path::check_bucket_name(&name) {
                continue;
            }
            let created = entry
                .metadata()?
                .modified()
                .unwrap_or_else(|_| SystemTime::now());
            let objects = load_bucket(&entry.path(), &mut max_id)?;
            buckets.insert(name, Bucket { created, objects });
        }
        Ok(Self {
            layout: layout.clone(),
            buckets: Mutex::new(buckets),
            last_id: AtomicU64::new(max_id),
        })
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Bucket>> {
        self.buckets.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A fresh object id: above every id so far (ids sort in write order).
    pub fn new_id(&self) -> String {
        let mut prev = self.last_id.load(Ordering::SeqCst);
        loop {
            let next = unix_nanos().max(prev + 1);
            match self
                .last_id
                .compare_exchange(prev, next, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return format!("{next:016x}"),
                Err(seen) => prev = seen,
            }
        }
    }

    /// Whether the bucket exists.
    pub fn bucket_exists(&self, bucket: &str) -> bool {
        self.lock().contains_key(bucket)
    }

    /// Bucket names and creation times, sorted.
    pub fn buckets(&self) -> Vec<(String, SystemTime)> {
        self.lock()
            .iter()
            .map(|(n, b)| (n.clone(), b.created))
            .collect()
    }

    /// Creates a bucket; `false` if it existed.
    ///
    /// # Errors
    /// Its directory cannot be created.
    pub fn create_bucket(&self, bucket: &str) -> io::Result<bool> {
        let mut buckets = self.lock();
        if buckets.contains_key(bucket) {
            return Ok(false);
        }
        std::fs::create_dir_all(self.layout.bucket_dir(bucket))?;
        buckets.insert(
            bucket.to_owned(),
            Bucket {
                created: SystemTime::now(),
                objects: BTreeMap::new(),
            },
        );
        Ok(true)
    }

    /// Deletes an empty bucket.
    ///
    /// # Errors
    /// `NoSuchBucket`, `BucketNotEmpty` (objects, or files this server did not write).
    pub fn delete_bucket(&self, bucket: &str) -> S3Result<()> {
        let mut buckets = self.lock();
        let b = buckets.get(bucket).ok_or_else(errors::no_such_bucket)?;
        if !b.objects.is_empty() {
            return Err(errors::bucket_not_empty(""));
        }
        let dir = self.layout.bucket_dir(bucket);
        let foreign = std::fs::read_dir(&dir)
            .map_err(|e| errors::internal("cannot read the bucket", e))?
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|n| !layout::is_object_id(n));
        if let Some(name) = foreign {
            return Err(errors::bucket_not_empty(&format!(
                " (its directory holds {name:?}, which this server did not write)"
            )));
        }
        // Only directories of replaced objects still being read remain: they go now.
        std::fs::remove_dir_all(&dir)
            .map_err(|e| errors::internal("cannot remove the bucket", e))?;
        buckets.remove(bucket);
        Ok(())
    }

    /// The object stored under `key`, if any.
    ///
    /// # Errors
    /// `NoSuchBucket`.
    pub fn get(&self, bucket: &str, key: &str) -> S3Result<Option<Arc<Version>>> {
        let buckets = self.lock();
        let b = buckets.get(bucket).ok_or_else(errors::no_such_bucket)?;
        Ok(b.objects.get(key).cloned())
    }

    /// Makes the object in `staged` (a directory under the staging area holding its files)
    /// visible under `meta.key`, after `check` accepted what it replaces. The staged
    /// directory is removed when anything fails.
    ///
    /// # Errors
    /// `NoSuchBucket`, `check`'s error, or a filesystem failure.
    pub fn commit(
        &self,
        bucket: &str,
        staged: tempfile::TempDir,
        meta: Manifest,
        check: impl FnOnce(Option<&Version>) -> S3Result<()>,
    ) -> S3Result<Arc<Version>> {
        let json =
            serde_json::to_vec(&meta).map_err(|e| errors::internal("cannot encode object", e))?;
        std::fs::write(staged.path().join(MANIFEST), json)
            .map_err(|e| errors::internal("cannot write object", e))?;
        let dest = self.layout.object_dir(bucket, &self.new_id());
        let mut buckets = self.lock();
        let b = buckets.get_mut(bucket).ok_or_else(errors::no_such_bucket)?;
        check(b.objects.get(&meta.key).map(AsRef::as_ref))?;
        std::fs::rename(staged.path(), &dest)
            .map_err(|e| errors::internal("cannot store object", e))?;
        let _ = staged.keep();
        let version = Arc::new(Version {
            dir: dest,
            meta,
            obsolete: AtomicBool::new(false),
        });
        let old = b
            .objects
            .insert(version.meta.key.clone(), Arc::clone(&version));
        if let Some(old) = &old {
            old.retire();
        }
        drop(buckets);
        drop(old);
        Ok(version)
    }

    /// Gives an object another `Last-Modified` (a test-only change): its record is rewritten
    /// in place and the index serves the new time at once.
    ///
    /// # Errors
    /// No such object, or its record cannot be written.
    pub fn set_last_modified(&self, bucket: &str, key: &str, time: SystemTime) -> io::Result<()> {
        let ms = time
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let mut buckets = self.lock();
        let missing = || {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("no object {key:?} in bucket {bucket:?}"),
            )
        };
        let objects = &mut buckets.get_mut(bucket).ok_or_else(missing)?.objects;
        let old = objects.get(key).ok_or_else(missing)?;
        let mut meta = old.meta.clone();
        meta.last_modified_ms = ms;
        let json = serde_json::to_vec(&meta).map_err(io::Error::other)?;
        manifest::write_atomic(&self.layout.tmp_dir(), &old.dir.join(MANIFEST), &json)?;
        let updated = Arc::new(Version {
            dir: old.dir.clone(),
            meta,
            obsolete: AtomicBool::new(false),
        });
        objects.insert(key.to_owned(), updated);
        Ok(())
    }

    /// Deletes an object (nothing if there is none).
    ///
    /// # Errors
    /// `NoSuchBucket`.
    pub fn remove(&self, bucket: &str, key: &str) -> S3Result<()> {
        let mut buckets = self.lock();
        let b = buckets.get_mut(bucket).ok_or_else(errors::no_such_bucket)?;
        let old = b.objects.remove(key);
        if let Some(old) = &old {
            old.retire();
        }
        drop(buckets);
        drop(old);
        Ok(())
    }

    /// A page of keys, grouped by a delimiter as S3 lists them.
    ///
    /// # Errors
    /// `NoSuchBucket`.
    pub fn walk(&self, bucket: &str, spec: WalkSpec<'_>) -> S3Result<Walk> {
        let buckets = self.lock();
        let b = buckets.get(bucket).ok_or_else(errors::no_such_bucket)?;
        let delimiter = spec.delimiter.filter(|d| !d.is_empty());
        let start = match spec.after {
            Some(a) if a >= spec.prefix => a,
            _ => spec.prefix,
        };
        let mut entries = Vec::new();
        let mut last_prefix: Option<String> = None;
        let range = b
            .objects
            .range::<str, _>((std::ops::Bound::Included(start), std::ops::Bound::Unbounded));
        for (key, version) in range {
            if !key.starts_with(spec.prefix) {
                break;
            }
            if spec.after.is_some_and(|a| key.as_str() <= a) {
                continue;
            }
            let rest = &key[spec.prefix.len()..];
            let group = delimiter.and_then(|d| {
                rest.find(d)
                    .map(|i| &key[..spec.prefix.len() + i + d.len()])
            });
            let Some(group) = group else {
                if entries.len() == spec.max {
                    return Ok(Walk {
                        entries,
                        truncated: true,
                    });
                }
                entries.push(Entry::Object(Arc::clone(version)));
                continue;
            };
            // A prefix already listed (on this page, or as the marker itself) is skipped.
            if last_prefix.as_deref() == Some(group) || spec.after.is_some_and(|a| group <= a) {
                continue;
            }
            if entries.len() == spec.max {
                return Ok(Walk {
                    entries,
                    truncated: true,
                });
            }
            last_prefix = Some(group.to_owned());
            entries.push(Entry::Prefix(group.to_owned()));
        }
        Ok(Walk {
            entries,
            truncated: false,
        })
    }
}

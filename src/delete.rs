//! Deleting objects, as `rm` and `sync --delete` do: which objects a retention rule selects, and
//! the deletion itself in DeleteObjects batches of at most 1,000 keys, each key's outcome
//! reported (S3 answers 200 even when some keys failed: the answer, not the status, decides).
//!
//! Retention never guesses: an object whose `Last-Modified` cannot be read, or lies in the
//! future, is kept; ages are measured against the server's clock when it gives one.

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::client::Client;
use crate::error::Error;
use crate::s3::delete::{self as ops, MAX_KEYS_PER_REQUEST};
use crate::s3::errors;
use crate::s3::list::ObjectEntry;
use crate::sources::{included, Filter};

/// Which of the matching objects `rm` deletes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Retention {
    /// Only objects whose `Last-Modified` is older than this.
    pub(crate) older_than: Option<Duration>,
    /// Never the newest N, whatever their age.
    pub(crate) keep_last: Option<usize>,
}

impl Retention {
    pub(crate) fn is_active(&self) -> bool {
        self.older_than.is_some() || self.keep_last.is_some()
    }
}

/// What a retention rule chose.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Selection {
    /// To delete, oldest first.
    pub(crate) delete: Vec<ObjectEntry>,
    /// How many matching objects are kept.
    pub(crate) kept: usize,
    /// Keys kept because their `Last-Modified` could not be read (worth a warning).
    pub(crate) undated: Vec<String>,
}

/// What `rm --recursive` deletes under `prefix` (a directory: see [`crate::listing::dir_prefix`]):
/// the objects whose key below the prefix passes `filters`, then `retention`, with ages measured
/// on the server's clock (the listing's `Date`), else on the client's corrected one.
///
/// # Errors
/// The listing's error.
pub(crate) fn plan(
    client: &Client,
    bucket: &str,
    prefix: &str,
    filters: &[Filter],
    retention: &Retention,
) -> Result<Selection, Error> {
    let (objects, server_now) = crate::listing::all_objects_dated(client, bucket, prefix)?;
    let matching = objects
        .into_iter()
        .filter(|o| included(&o.key[prefix.len()..], filters))
        .collect();
    let now = server_now
        .unwrap_or_else(|| UNIX_EPOCH + Duration::from_secs(client.now().0.unsigned_abs()));
    Ok(select(matching, retention, now))
}

/// Applies `retention` to `objects` at time `now`. Without a rule, every object is selected.
pub(crate) fn select(
    objects: Vec<ObjectEntry>,
    retention: &Retention,
    now: SystemTime,
) -> Selection {
    if !retention.is_active() {
        return Selection {
            delete: objects,
            ..Selection::default()
        };
    }
    let total = objects.len();
    let mut undated = Vec::new();
    let mut dated: Vec<(SystemTime, ObjectEntry)> = Vec::new();
    for o in objects {
        match crate::time::parse_time(&o.last_modified) {
            Some(t) => dated.push((t, o)),
            None => undated.push(o.key),
        }
    }
    // Newest first; among equal times the greater key counts as newer (backup names carry
    // their date), so the choice does not depend on the listing order.
    dated.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.key.cmp(&a.1.key)));
    let keep = retention.keep_last.unwrap_or(0).min(dated.len());
    let mut delete: Vec<ObjectEntry> = dated
        .into_iter()
        .skip(keep)
        .filter(|(t, _)| match retention.older_than {
            // Strictly older; an object from the future (clock trouble) is never old.
            Some(limit) => now.duration_since(*t).is_ok_and(|age| age > limit),
            None => true,
        })
        .map(|(_, o)| o)
        .collect();
    delete.reverse();
    Selection {
        kept: total - delete.len(),
        delete,
        undated,
    }
}

/// The outcome of one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    Deleted(String),
    Failed { key: String, why: String },
}

/// Deletes `keys` from `bucket` in DeleteObjects requests of at most 1,000 keys, calling
/// `on_outcome` for each key. A request that fails makes each of its keys fail; a key the
/// answer does not mention failed too (the deletion is confirmed, never assumed).
///
/// # Errors
/// An error that stops the run (credentials, a missing bucket): the keys of later requests are
/// not tried.
pub(crate) fn delete_keys(
    client: &Client,
    bucket: &str,
    keys: &[String],
    mut on_outcome: impl FnMut(Outcome),
) -> Result<(), Error> {
    for batch in keys.chunks(MAX_KEYS_PER_REQUEST) {
        let names: Vec<&str> = batch.iter().map(String::as_str).collect();
        let answer = client
            .send(&ops::delete_objects(bucket, &names))
            .and_then(|resp| {
                ops::parse_delete_result(&resp.body)
                    .map_err(|e| Error::Integrity(format!("DeleteObjects in s3://{bucket}: {e}")))
            });
        let result = match answer {
            Ok(r) => r,
            Err(e) => {
                let why = e.to_string();
                for key in batch {
                    on_outcome(Outcome::Failed {
                        key: key.clone(),
                        why: why.clone(),
                    });
                }
                if e.is_fatal_for_run() {
                    return Err(e);
                }
                continue;
            }
        };
        report_batch(batch, result, &mut on_outcome);
    }
    Ok(())
}

/// Each key of `batch` as the answer reports it.
fn report_batch(batch: &[String], result: ops::DeleteResult, on_outcome: &mut impl FnMut(Outcome)) {
    let deleted: HashSet<&str> = result.deleted.iter().map(String::as_str).collect();
    let failed: HashSet<&str> = result.errors.iter().map(|e| e.key.as_str()).collect();
    for e in &result.errors {
        on_outcome(Outcome::Failed {
            key: e.key.clone(),
            why: key_error(e),
        });
    }
    for key in batch {
        if deleted.contains(key.as_str()) {
            on_outcome(Outcome::Deleted(key.clone()));
        } else if !failed.contains(key.as_str()) {
            on_outcome(Outcome::Failed {
                key: key.clone(),
                why: "the server's answer does not confirm the deletion".into(),
            });
        }
    }
}

/// A key's error as the user sees it: the code, S3's message, and the fix s3up knows.
fn key_error(e: &ops::KeyError) -> String {
    let mut text = e.code.clone();
    if !e.message.is_empty() {
        text.push_str(": ");
        text.push_str(&e.message);
    }
    if let Some(fix) = errors::fix(&e.code) {
        text.push_str(&format!(" ({fix})"));
    }
    text
}

/// Deletes one object (DeleteObject; S3 answers success for a key that does not exist).
///
/// # Errors
/// The S3 or transport error.
pub(crate) fn delete_one(client: &Client, bucket: &str, key: &str) -> Result<(), Error> {
    client.send(&ops::delete_object(bucket, key))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    const DAY: u64 = 86_400;

    fn object(key: &str, day: u64) -> ObjectEntry {
        ObjectEntry {
            key: key.into(),
            size: 1,
            etag: String::new(),
            last_modified: crate::time::format_time(UNIX_EPOCH + Duration::from_secs(day * DAY)),
            storage_class: String::new(),
        }
    }

    fn keys(s: &Selection) -> Vec<&str> {
        s.delete.iter().map(|o| o.key.as_str()).collect()
    }

    fn backups() -> Vec<ObjectEntry> {
        // Days 1..=10; "now" is day 10.
        (1..=10).map(|d| object(&format!("db-{d:02}"), d)).collect()
    }

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(10 * DAY)
    }

    #[test]
    fn older_than_deletes_only_strictly_older_objects() {
        let rule = Retention {
            older_than: Some(Duration::from_secs(7 * DAY)),
            keep_last: None,
        };
        let s = select(backups(), &rule, now());
        assert_eq!(keys(&s), ["db-01", "db-02"]);
        assert_eq!(s.kept, 8);
    }

    #[test]
    fn keep_last_keeps_the_newest_whatever_their_age() {
        let rule = Retention {
            older_than: None,
            keep_last: Some(3),
        };
        let s = select(backups(), &rule, now());
        assert_eq!(
            keys(&s),
            (1..=7).map(|d| format!("db-{d:02}")).collect::<Vec<_>>()
        );
        // Backups stopped long ago: --older-than alone would delete them all.
        let rule = Retention {
            older_than: Some(Duration::from_secs(DAY)),
            keep_last: Some(3),
        };
        let later = now() + Duration::from_secs(100 * DAY);
        assert_eq!(select(backups(), &rule, later).delete.len(), 7);
    }

    #[test]
    fn undated_and_future_objects_are_kept() {
        let mut objects = backups();
        objects.push(ObjectEntry {
            last_modified: "garbage".into(),
            ..object("odd", 0)
        });
        objects.push(object("future", 99));
        let rule = Retention {
            older_than: Some(Duration::ZERO),
            keep_last: None,
        };
        let s = select(objects, &rule, now());
        assert_eq!(s.undated, ["odd"]);
        assert!(!keys(&s).contains(&"future") && !keys(&s).contains(&"odd"));
        assert_eq!(s.delete.len(), 9, "day 10 is not older than now");
    }

    #[test]
    fn equal_times_are_ordered_by_key() {
        let objects = vec![object("b", 1), object("a", 1), object("c", 1)];
        let rule = Retention {
            older_than: None,
            keep_last: Some(1),
        };
        assert_eq!(keys(&select(objects, &rule, now())), ["a", "b"]);
    }

    #[test]
    fn keys_the_answer_does_not_mention_failed() {
        let batch = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        let result = ops::DeleteResult {
            deleted: vec!["a".into()],
            errors: vec![ops::KeyError {
                key: "b".into(),
                code: "AccessDenied".into(),
                message: "no".into(),
            }],
        };
        let mut out = Vec::new();
        report_batch(&batch, result, &mut |o| out.push(o));
        assert!(out.contains(&Outcome::Deleted("a".into())));
        assert!(out
            .iter()
            .any(|o| matches!(o, Outcome::Failed { key, why } if key == "b" && why.starts_with("AccessDenied: no"))));
        assert!(out
            .iter()
            .any(|o| matches!(o, Outcome::Failed { key, .. } if key == "c")));
    }
}

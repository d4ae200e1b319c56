//! Whether `sync` copies a file that exists on both sides: aws-cli's rules
//! (`awscli/customizations/s3/syncstrategy/`: `SizeAndLastModifiedSync`, `SizeOnlySync`,
//! `ExactTimestampsSync`), restated:
//!
//! - a different size always copies;
//! - uploads: the local file is copied when its modification time is after the object's
//!   `Last-Modified` (an object at least as new as the file is current);
//! - downloads: the object is copied when the local file's time is after the object's (aws-cli's
//!   rule: a download gives the file the object's time, so a newer file was changed locally);
//!   with `--exact-timestamps`, whenever the two times differ;
//! - `--size-only`: sizes alone decide.
//!
//! One deliberate difference in precision: times are compared in whole seconds. S3 keeps
//! `Last-Modified` in whole seconds (and HEAD reports it so) while local times have nanoseconds;
//! compared as they are, a file written in the same second as its upload would look newer than
//! its object, and be uploaded again on every run. A time that is missing or unreadable copies.

use std::time::{SystemTime, UNIX_EPOCH};

/// Which way a sync goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Local files to S3.
    Upload,
    /// S3 objects to local files.
    Download,
}

/// The comparison flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Rules {
    pub(crate) size_only: bool,
    pub(crate) exact_timestamps: bool,
}

/// Size and modification time of one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stat {
    pub(crate) size: u64,
    pub(crate) modified: Option<SystemTime>,
}

/// Whether the source side must be copied over the destination side.
pub(crate) fn should_copy(direction: Direction, rules: Rules, source: Stat, dest: Stat) -> bool {
    if source.size != dest.size {
        return true;
    }
    if rules.size_only {
        return false;
    }
    let (Some(src), Some(dst)) = (seconds(source.modified), seconds(dest.modified)) else {
        return true;
    };
    match direction {
        Direction::Upload => src > dst,
        Direction::Download if rules.exact_timestamps => src != dst,
        Direction::Download => dst > src,
    }
}

/// Whole seconds since the epoch (times before it count as unknown).
fn seconds(t: Option<SystemTime>) -> Option<u64> {
    t?.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn stat(size: u64, millis: u64) -> Stat {
        Stat {
            size,
            modified: Some(UNIX_EPOCH + Duration::from_millis(millis)),
        }
    }

    const UP: Direction = Direction::Upload;
    const DOWN: Direction = Direction::Download;

    #[test]
    fn uploads_copy_newer_or_resized_files() {
        let rules = Rules::default();
        assert!(!should_copy(UP, rules, stat(5, 1_000), stat(5, 2_000)));
        assert!(!should_copy(UP, rules, stat(5, 2_000), stat(5, 2_000)));
        assert!(should_copy(UP, rules, stat(5, 3_000), stat(5, 2_000)));
        assert!(should_copy(UP, rules, stat(6, 1_000), stat(5, 2_000)));
        // Written at .700 and uploaded in the same second: the object is current.
        assert!(!should_copy(UP, rules, stat(5, 2_700), stat(5, 2_000)));
    }

    #[test]
    fn downloads_follow_aws_cli() {
        let rules = Rules::default();
        // The local copy is older than the object: aws-cli keeps it unless sizes differ.
        assert!(!should_copy(DOWN, rules, stat(5, 9_000), stat(5, 2_000)));
        assert!(should_copy(DOWN, rules, stat(5, 2_000), stat(5, 9_000)));
        assert!(!should_copy(DOWN, rules, stat(5, 2_000), stat(5, 2_400)));
        let exact = Rules {
            exact_timestamps: true,
            ..rules
        };
        assert!(should_copy(DOWN, exact, stat(5, 9_000), stat(5, 2_000)));
        assert!(!should_copy(DOWN, exact, stat(5, 2_000), stat(5, 2_999)));
    }

    #[test]
    fn size_only_ignores_times_and_unknown_times_copy() {
        let size_only = Rules {
            size_only: true,
            ..Rules::default()
        };
        assert!(!should_copy(UP, size_only, stat(5, 9_000), stat(5, 1_000)));
        assert!(should_copy(UP, size_only, stat(4, 1_000), stat(5, 1_000)));
        let unknown = Stat {
            size: 5,
            modified: None,
        };
        assert!(should_copy(UP, Rules::default(), unknown, stat(5, 1_000)));
        assert!(!should_copy(UP, size_only, unknown, stat(5, 1_000)));
    }
}

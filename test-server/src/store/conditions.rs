//! Conditional requests as S3 evaluates them (RFC 7232 order): `If-Match` and
//! `If-Unmodified-Since` (412 PreconditionFailed), `If-None-Match` and `If-Modified-Since`
//! (304 Not Modified on reads, 412 on writes), for GET/HEAD, for a copy's source
//! (`x-amz-copy-source-if-*`), and `If-Match`/`If-None-Match: *` on writes. Pure decisions.

use super::errors;

use s3s::dto::{ETagCondition, Timestamp, TimestampFormat};
use s3s::S3Result;

/// The conditions a request carries.
#[derive(Debug, Default, Clone, Copy)]
pub struct Conditions<'a> {
    /// `If-Match`.
    pub if_match: Option<&'a ETagCondition>,
    /// `If-None-Match`.
    pub if_none_match: Option<&'a ETagCondition>,
    /// `If-Modified-Since`.
    pub if_modified_since: Option<&'a Timestamp>,
    /// `If-Unmodified-Since`.
    pub if_unmodified_since: Option<&'a Timestamp>,
}

/// What the conditions say about an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Go on.
    Proceed,
    /// 304 on a read.
    NotModified,
    /// 412.
    Failed,
}

fn unix_secs(t: &Timestamp) -> Option<i64> {
    let mut buf = Vec::new();
    t.format(TimestampFormat::EpochSeconds, &mut buf).ok()?;
    let secs: f64 = std::str::from_utf8(&buf).ok()?.parse().ok()?;
    #[allow(clippy::cast_possible_truncation)] // whole seconds of a date
    Some(secs.floor() as i64)
}

fn matches(cond: &ETagCondition, etag: &str) -> bool {
    match cond.as_etag() {
        None => true,
        Some(want) => want.value().trim_matches('"') == etag,
    }
}

impl Conditions<'_> {
    /// The outcome for an object with this ETag (unquoted) and Last-Modified (Unix ms).
    pub fn evaluate(&self, etag: &str, last_modified_ms: i64) -> Outcome {
        let modified = last_modified_ms.div_euclid(1000);
        match self.if_match {
            Some(c) if !matches(c, etag) => return Outcome::Failed,
            Some(_) => {}
            None => {
                let since = self.if_unmodified_since.and_then(unix_secs);
                if since.is_some_and(|t| modified > t) {
                    return Outcome::Failed;
                }
            }
        }
        match self.if_none_match {
            Some(c) if matches(c, etag) => return Outcome::NotModified,
            Some(_) => {}
            None => {
                let since = self.if_modified_since.and_then(unix_secs);
                if since.is_some_and(|t| modified <= t) {
                    return Outcome::NotModified;
                }
            }
        }
        Outcome::Proceed
    }

    /// For a copy's source: any failed condition is 412 (no 304 on copies).
    ///
    /// # Errors
    /// `PreconditionFailed`.
    pub fn check_source(&self, etag: &str, last_modified_ms: i64) -> S3Result<()> {
        match self.evaluate(etag, last_modified_ms) {
            Outcome::Proceed => Ok(()),
            _ => Err(errors::precondition_failed()),
        }
    }
}

/// `If-Match` / `If-None-Match` on a write, against the object it would replace (checked
/// under the index lock, right before the commit).
///
/// # Errors
/// `PreconditionFailed`; `NoSuchKey` for `If-Match` without an object, as S3 answers.
pub fn check_write(
    if_match: Option<&ETagCondition>,
    if_none_match: Option<&ETagCondition>,
    current: Option<&str>,
) -> S3Result<()> {
    if let (Some(c), Some(etag)) = (if_none_match, current) {
        if matches(c, etag) {
            return Err(errors::precondition_failed());
        }
    }
    match (if_match, current) {
        (Some(_), None) => Err(errors::no_such_key()),
        (Some(c), Some(etag)) if !matches(c, etag) => Err(errors::precondition_failed()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn etag(s: &str) -> ETagCondition {
        ETagCondition::parse_http_header(s.as_bytes()).expect("valid condition")
    }

    fn ts(secs: u64) -> Timestamp {
        Timestamp::from(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
    }

    #[test]
    fn reads_follow_rfc_7232() {
        let (yes, no, any) = (etag("\"abc\""), etag("\"zzz\""), etag("*"));
        let (before, at, after) = (ts(999), ts(1000), ts(1001));
        let lm = 1_000_500; // 1000.5 s
        let c = |m, nm, ms, us| Conditions {
            if_match: m,
            if_none_match: nm,
            if_modified_since: ms,
            if_unmodified_since: us,
        };
        assert_eq!(
            c(Some(&yes), None, None, None).evaluate("abc", lm),
            Outcome::Proceed
        );
        assert_eq!(
            c(Some(&no), None, None, None).evaluate("abc", lm),
            Outcome::Failed
        );
        assert_eq!(
            c(None, Some(&yes), None, None).evaluate("abc", lm),
            Outcome::NotModified
        );
        assert_eq!(
            c(None, Some(&any), None, None).evaluate("abc", lm),
            Outcome::NotModified
        );
        assert_eq!(
            c(None, None, Some(&after), None).evaluate("abc", lm),
            Outcome::NotModified
        );
        assert_eq!(
            c(None, None, Some(&at), None).evaluate("abc", lm),
            Outcome::NotModified
        );
        assert_eq!(
            c(None, None, Some(&before), None).evaluate("abc", lm),
            Outcome::Proceed
        );
        assert_eq!(
            c(None, None, None, Some(&before)).evaluate("abc", lm),
            Outcome::Failed
        );
        // If-Match true wins over If-Unmodified-Since false; If-None-Match false over IMS.
        assert_eq!(
            c(Some(&yes), None, None, Some(&before)).evaluate("abc", lm),
            Outcome::Proceed
        );
        assert_eq!(
            c(None, Some(&no), Some(&after), None).evaluate("abc", lm),
            Outcome::Proceed
        );
    }

    #[test]
    fn writes() {
        let (any, yes) = (etag("*"), etag("\"abc\""));
        assert!(check_write(None, Some(&any), None).is_ok());
        assert!(check_write(None, Some(&any), Some("abc")).is_err());
        assert_eq!(
            check_write(Some(&yes), None, None)
                .map_err(|e| e.code().clone())
                .err(),
            Some(s3s::S3ErrorCode::NoSuchKey)
        );
        assert!(check_write(Some(&yes), None, Some("abc")).is_ok());
        assert!(check_write(Some(&yes), None, Some("abd")).is_err());
    }
}

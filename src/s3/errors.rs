//! The one table of S3 error codes: what each means for s3up (retry, correct and re-sign, stop
//! the run, ...) and the one fix shown to the user. Every decision about an S3 error code is
//! made here, by class; no other module matches error-code strings.
//! Codes: <https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html>

/// What an S3 error means for the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Transient (5xx, throttling, a request that timed out): retried with backoff.
    Transient,
    /// The request time is too far from the server's: the clock offset is corrected from the
    /// server's `Date` and the request re-signed.
    Clock,
    /// The bucket is in another region: followed and re-signed.
    Region,
    /// Temporary credentials expired: refreshed and re-signed; stops the run if that fails.
    Expired,
    /// The credentials are wrong or not allowed: nothing a retry can fix; stops the run.
    Credentials,
    /// The bucket does not exist: stops the run.
    NoBucket,
    /// A multipart upload that no longer exists (completed or aborted).
    NoUpload,
    /// A key that does not exist.
    NoKey,
    /// A request the server does not accept as sent, perhaps because of a header it does not
    /// support (such as an additional checksum): uploads may retry once without checksums.
    Unsupported,
    /// The body did not match the digest it was sent with.
    Corrupt,
    /// A precondition (`If-Match`) failed: the object changed.
    Changed,
    /// Anything else: reported as is.
    Other,
}

impl Class {
    /// Errors that retrying cannot fix and that stop a whole run (every further request would
    /// fail the same way).
    pub fn stops_run(self) -> bool {
        matches!(self, Self::Credentials | Self::NoBucket | Self::Expired)
    }
}

struct Entry {
    code: &'static str,
    class: Class,
    /// What it means, in a few words (for `doctor`'s verdict).
    meaning: &'static str,
    /// What the user should do; empty when there is nothing to suggest.
    fix: &'static str,
}

const fn entry(
    code: &'static str,
    class: Class,
    meaning: &'static str,
    fix: &'static str,
) -> Entry {
    Entry {
        code,
        class,
        meaning,
        fix,
    }
}

const TABLE: &[Entry] = &[
    entry("SignatureDoesNotMatch", Class::Credentials, "wrong secret key", "check the secret key: AWS_SECRET_ACCESS_KEY or the profile's aws_secret_access_key"),
    entry("InvalidAccessKeyId", Class::Credentials, "unknown access key id", "the access key id is unknown to this server: check AWS_ACCESS_KEY_ID or the profile"),
    entry("AccessDenied", Class::Credentials, "access denied", "the credentials are valid but not allowed to do this: check the IAM policy and bucket policy"),
    entry("InvalidToken", Class::Credentials, "invalid session token", "refresh the temporary credentials"),
    entry("ExpiredToken", Class::Expired, "the session token expired", "refresh the temporary credentials"),
    entry("TokenRefreshRequired", Class::Expired, "the session token expired", "refresh the temporary credentials"),
    entry("NoSuchBucket", Class::NoBucket, "no such bucket", "check the bucket name, the region and --endpoint-url"),
    entry("NoSuchUpload", Class::NoUpload, "no such multipart upload", ""),
    entry("NoSuchKey", Class::NoKey, "no such key", "check the key, the bucket and --endpoint-url"),
    entry("NotFound", Class::NoKey, "not found", "check the key, the bucket and --endpoint-url"),
    entry("RequestTimeTooSkewed", Class::Clock, "the clock is off by more than 15 minutes", "the machine's clock is off: sync it with NTP"),
    entry("PermanentRedirect", Class::Region, "the bucket is in another region", "pass the bucket's region with --region"),
    entry("AuthorizationHeaderMalformed", Class::Region, "the request was signed for another region", "pass the bucket's region with --region"),
    entry("IllegalLocationConstraintException", Class::Region, "the bucket is in another region", "pass the bucket's region with --region"),
    entry("InternalError", Class::Transient, "server error", ""),
    entry("SlowDown", Class::Transient, "the server asks to slow down", ""),
    entry("ServiceUnavailable", Class::Transient, "service unavailable", ""),
    entry("RequestTimeout", Class::Transient, "the request timed out", ""),
    entry("RequestTimeoutException", Class::Transient, "the request timed out", ""),
    entry("InvalidRequest", Class::Unsupported, "invalid request", ""),
    entry("InvalidArgument", Class::Unsupported, "invalid argument", ""),
    entry("NotImplemented", Class::Unsupported, "not implemented by this server", ""),
    entry("BadRequest", Class::Unsupported, "bad request", ""),
    entry("InvalidDigest", Class::Unsupported, "invalid digest", ""),
    entry("BadDigest", Class::Corrupt, "the body did not match its checksum", "upload it again"),
    entry("XAmzContentSHA256Mismatch", Class::Corrupt, "the body did not match its SHA-256", "upload it again"),
    entry("PreconditionFailed", Class::Changed, "the object changed", "run the command again"),
    entry("EntityTooSmall", Class::Other, "a part is too small", "parts other than the last must be at least 5 MiB: raise --part-size"),
];

fn lookup(code: &str) -> Option<&'static Entry> {
    TABLE.iter().find(|e| e.code == code)
}

/// The class of an error answer: by its code, else (an unknown code, or none) by its status.
pub(crate) fn classify(code: &str, status: u16) -> Class {
    match lookup(code) {
        Some(e) => e.class,
        None if matches!(status, 500 | 502 | 503 | 504) => Class::Transient,
        None => Class::Other,
    }
}

/// What to do about `code`, if s3up knows a fix.
pub(crate) fn fix(code: &str) -> Option<&'static str> {
    lookup(code).map(|e| e.fix).filter(|f| !f.is_empty())
}

/// What `code` means, in a few words (the code itself when unknown).
pub(crate) fn meaning(code: &str) -> &str {
    lookup(code).map_or(code, |e| e.meaning)
}

/// The code S3 would have sent for an answer without an error document (HEAD answers carry
/// none): a 404 on a bucket-level request is a missing bucket.
pub(crate) fn code_for_status(status: u16, bucket_level: bool) -> &'static str {
    match status {
        404 if bucket_level => "NoSuchBucket",
        301 => "PermanentRedirect",
        400 => "BadRequest",
        403 => "AccessDenied",
        404 => "NotFound",
        412 => "PreconditionFailed",
        500 => "InternalError",
        503 => "SlowDown",
        _ => "HttpError",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_is_in_the_table_once() {
        for (i, e) in TABLE.iter().enumerate() {
            assert!(
                TABLE[i + 1..].iter().all(|o| o.code != e.code),
                "{} twice",
                e.code
            );
        }
    }

    #[test]
    fn classes_decide_what_the_client_does() {
        assert_eq!(classify("SlowDown", 503), Class::Transient);
        assert_eq!(classify("Whatever", 502), Class::Transient);
        assert_eq!(classify("Whatever", 400), Class::Other);
        assert_eq!(classify("NotImplemented", 501), Class::Unsupported);
        assert!(classify("SignatureDoesNotMatch", 403).stops_run());
        assert!(!classify("NoSuchKey", 404).stops_run());
        assert_eq!(code_for_status(404, true), "NoSuchBucket");
        assert_eq!(code_for_status(404, false), "NotFound");
        assert_eq!(meaning("NoSuchBucket"), "no such bucket");
        assert_eq!(fix("NoSuchUpload"), None);
    }
}

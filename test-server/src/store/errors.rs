//! The S3 errors the store answers with, worded as Amazon S3 words them, and the mapping from
//! a failed request body stream (s3s's SHA-256 and aws-chunked verifiers) to the right code.
//! Constructors only; no I/O.

use s3s::{S3Error, S3ErrorCode, StdError};

use super::checksum::Algorithm;

/// An error with a code and message.
pub fn err(code: S3ErrorCode, msg: impl Into<String>) -> S3Error {
    S3Error::with_message(code, msg.into())
}

/// An error with a code s3s does not know, and its status.
pub fn custom(code: &'static str, status: u16, msg: impl Into<String>) -> S3Error {
    let mut e = S3Error::with_message(S3ErrorCode::Custom(code.into()), msg.into());
    if let Ok(st) = http::StatusCode::from_u16(status) {
        e.set_status_code(st);
    }
    e
}

/// An unexpected local failure.
pub fn internal(what: &str, e: impl std::fmt::Display) -> S3Error {
    err(S3ErrorCode::InternalError, format!("{what}: {e}"))
}

/// `NoSuchBucket`.
pub fn no_such_bucket() -> S3Error {
    err(
        S3ErrorCode::NoSuchBucket,
        "The specified bucket does not exist",
    )
}

/// `NoSuchKey`.
pub fn no_such_key() -> S3Error {
    err(S3ErrorCode::NoSuchKey, "The specified key does not exist.")
}

/// `BucketNotEmpty`, with what keeps it from being empty.
pub fn bucket_not_empty(detail: &str) -> S3Error {
    err(
        S3ErrorCode::BucketNotEmpty,
        format!("The bucket you tried to delete is not empty{detail}"),
    )
}

/// `PreconditionFailed` (412).
pub fn precondition_failed() -> S3Error {
    err(
        S3ErrorCode::PreconditionFailed,
        "At least one of the pre-conditions you specified did not hold",
    )
}

/// `MalformedXML`.
pub fn malformed_xml(detail: &str) -> S3Error {
    err(
        S3ErrorCode::MalformedXML,
        format!("The XML you provided was not well-formed or did not validate against our published schema{detail}"),
    )
}

/// `NoSuchUpload`.
pub fn no_such_upload() -> S3Error {
    err(
        S3ErrorCode::NoSuchUpload,
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    )
}

/// `InvalidPart`.
pub fn invalid_part(detail: &str) -> S3Error {
    err(
        S3ErrorCode::InvalidPart,
        format!(
            "One or more of the specified parts could not be found.  The part may not have been uploaded, \
             or the specified entity tag may not match the part's entity tag. ({detail})"
        ),
    )
}

/// `InvalidPartOrder`.
pub fn invalid_part_order() -> S3Error {
    err(
        S3ErrorCode::InvalidPartOrder,
        "The list of parts was not in ascending order. Parts must be ordered by part number.",
    )
}

/// `EntityTooSmall`.
pub fn entity_too_small(part: u32, size: u64, min: u64) -> S3Error {
    err(
        S3ErrorCode::EntityTooSmall,
        format!("Your proposed upload is smaller than the minimum allowed size (part {part}: {size} bytes, minimum {min})"),
    )
}

/// `InvalidArgument`.
pub fn invalid_argument(msg: impl Into<String>) -> S3Error {
    err(S3ErrorCode::InvalidArgument, msg)
}

/// `InvalidRequest`.
pub fn invalid_request(msg: impl Into<String>) -> S3Error {
    err(S3ErrorCode::InvalidRequest, msg)
}

/// `BadDigest` for Content-MD5.
pub fn bad_md5() -> S3Error {
    err(
        S3ErrorCode::BadDigest,
        "The Content-MD5 you specified did not match what we received.",
    )
}

/// `InvalidDigest` (malformed Content-MD5).
pub fn invalid_md5() -> S3Error {
    err(
        S3ErrorCode::InvalidDigest,
        "The Content-MD5 you specified was invalid.",
    )
}

/// `BadDigest` for an `x-amz-checksum-*` value.
pub fn bad_checksum(alg: Algorithm) -> S3Error {
    err(
        S3ErrorCode::BadDigest,
        format!(
            "The {} you specified did not match the calculated checksum.",
            alg.name()
        ),
    )
}

/// `InvalidRequest` for a malformed `x-amz-checksum-*` value.
pub fn invalid_checksum_value(alg: Algorithm) -> S3Error {
    invalid_request(format!("Value for {} header is invalid.", alg.header()))
}

/// `IncompleteBody`.
pub fn incomplete_body() -> S3Error {
    err(
        S3ErrorCode::IncompleteBody,
        "You did not provide the number of bytes specified by the Content-Length HTTP header",
    )
}

/// `XAmzContentSHA256Mismatch` (S3's 400 for a body that does not match its signed hash).
pub fn content_sha256_mismatch() -> S3Error {
    custom(
        "XAmzContentSHA256Mismatch",
        400,
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
    )
}

/// `SignatureDoesNotMatch`.
pub fn signature_mismatch(detail: &str) -> S3Error {
    err(
        S3ErrorCode::SignatureDoesNotMatch,
        format!(
            "The request signature we calculated does not match the signature you provided. \
             Check your key and signing method. ({detail})"
        ),
    )
}

/// What a request body stream failure means. s3s 0.14.1 keeps its verifier error types
/// private, so they are recognised by their `Display` text (the version is pinned).
pub fn body_error(e: &StdError) -> S3Error {
    let mut text = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        text.push_str(" / ");
        text.push_str(&s.to_string());
        src = s.source();
    }
    if text.contains("UploadStreamError: Sha256Mismatch") {
        content_sha256_mismatch()
    } else if text.contains("AwsChunkedStreamError: SignatureMismatch") {
        signature_mismatch("aws-chunked chunk or trailer signature")
    } else if text.contains("AwsChunkedStreamError: FormatError") {
        invalid_request("The aws-chunked request body is malformed.")
    } else if text.contains("TooLarge") || text.contains("TooManyTrailerHeaders") {
        invalid_request(format!("The aws-chunked request body is malformed: {text}"))
    } else {
        let mut e = incomplete_body();
        e.set_message(format!(
            "You did not provide the number of bytes specified by the Content-Length HTTP header ({text})"
        ));
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_code_has_status() {
        let e = content_sha256_mismatch();
        assert_eq!(e.code().as_str(), "XAmzContentSHA256Mismatch");
        assert_eq!(e.status_code().map(|s| s.as_u16()), Some(400));
    }

    #[test]
    fn stream_errors_are_classified() {
        let sha: StdError = "UploadStreamError: Sha256Mismatch".into();
        assert_eq!(
            body_error(&sha).code().as_str(),
            "XAmzContentSHA256Mismatch"
        );
        let sig: StdError = "AwsChunkedStreamError: SignatureMismatch".into();
        assert_eq!(body_error(&sig).code(), &S3ErrorCode::SignatureDoesNotMatch);
        let reset: StdError = "connection reset".into();
        assert_eq!(body_error(&reset).code(), &S3ErrorCode::IncompleteBody);
    }
}

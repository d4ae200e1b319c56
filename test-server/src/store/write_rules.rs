//! The rules every object write shares: the storage classes S3 accepts and the
//! server-side-encryption settings it validates, stores and echoes (`AES256`, `aws:kms`,
//! `aws:kms:dsse` with a key id). Pure checks.

use super::errors;
use super::manifest::Sse;

use s3s::dto::{ServerSideEncryption, StorageClass};
use s3s::S3Result;

/// Storage classes S3 accepts on upload.
const STORAGE_CLASSES: &[&str] = &[
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "GLACIER_IR",
    "OUTPOSTS",
    "SNOW",
    "EXPRESS_ONEZONE",
];

/// Refuses storage classes S3 does not know.
pub(super) fn check_storage_class(class: Option<&StorageClass>) -> S3Result<()> {
    match class {
        Some(c) if !STORAGE_CLASSES.contains(&c.as_str()) => Err(errors::err(
            s3s::S3ErrorCode::InvalidStorageClass,
            "The storage class you specified is not valid",
        )),
        _ => Ok(()),
    }
}

/// The server-side encryption a write asks for, validated as S3 does.
pub(super) fn sse_of(
    algorithm: Option<&ServerSideEncryption>,
    kms_key_id: Option<&str>,
    bucket_key_enabled: Option<bool>,
) -> S3Result<Option<Sse>> {
    let Some(alg) = algorithm else {
        return match kms_key_id {
            Some(_) => Err(errors::invalid_argument(
                "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
            )),
            None => Ok(None),
        };
    };
    match alg.as_str() {
        "AES256" if kms_key_id.is_some() => Err(errors::invalid_argument(
            "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
        )),
        "AES256" | "aws:kms" | "aws:kms:dsse" => Ok(Some(Sse {
            algorithm: alg.as_str().to_owned(),
            kms_key_id: kms_key_id.map(str::to_owned),
            bucket_key_enabled,
        })),
        _ => Err(errors::invalid_argument(
            "The encryption method specified is not supported",
        )),
    }
}

/// The response fields echoing server-side encryption.
pub(super) fn sse_fields(
    sse: Option<&Sse>,
) -> (Option<ServerSideEncryption>, Option<String>, Option<bool>) {
    match sse {
        Some(s) => (
            Some(ServerSideEncryption::from(s.algorithm.clone())),
            s.kms_key_id.clone(),
            s.bucket_key_enabled,
        ),
        None => (None, None, None),
    }
}

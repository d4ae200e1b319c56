//! A strict S3 server for offline tests, built on `s3s` with its own object storage.
//!
//! It verifies every request's signature (SigV4 header, presigned, aws-chunked streaming and
//! trailers, browser-form POST policies; SigV2 refused by default), writes an S3 server access log line per request, and
//! stores objects only once their body is complete and verified. [`start`] runs it in-process
//! on its own tokio runtime thread and returns a [`Server`] handle:
//!
//! ```no_run
//! let server = test_server::start(test_server::Config {
//!     buckets: vec!["bkt".into()],
//!     ..Default::default()
//! })
//! .expect("server starts");
//! println!("{} {}", server.endpoint(), server.access_key());
//! server.shutdown();
//! ```
//!
//! Every check it makes, with S3's answer. Each row is shown by the tests named (functions
//! in `tests/server/MODULE.rs` of the s3up crate; `checks_table` there keeps this table true).
//! Checks before s3s run in the gate (`gate`, `post_policy`), signature arithmetic in s3s,
//! the rest in the store:
//!
//! | Check | Answer | Tests |
//! |---|---|---|
//! | Signed at all (no anonymous access) | 403 `AccessDenied` | `auth::anonymous_request_is_refused` |
//! | One mechanism: not an `Authorization` header and presigned query parameters together | 400 `InvalidArgument` | `auth::header_and_query_authentication_together_are_refused` |
//! | Known access key (header, presigned, form) | 403 `InvalidAccessKeyId` | `auth::unknown_access_key_is_refused`, `post_form::policy_rules_are_enforced_with_s3_answers` |
//! | Signature: SigV4 header, presigned, form policy; SigV2 when accepted | 403 `SignatureDoesNotMatch` | `auth::wrong_secret_is_refused_and_logged`, `auth::tampered_signed_header_is_refused`, `auth::presigned_get_works_and_is_logged_as_query_string`, `post_form::sigv2_form_is_refused_by_default_and_verified_when_accepted` |
//! | `host` and every `x-amz-*` header signed (header auth) | 403 `AccessDenied`, `<HeadersNotSigned>` | `auth::unsigned_amz_header_is_refused` |
//! | The same for presigned URLs (`x-amz-content-sha256` may be unsigned) | 403 `AccessDenied`, `<HeadersNotSigned>` | `auth::presigned_request_with_unsigned_amz_header_is_refused` |
//! | Credential scope names the server's region (any region for ListBuckets, GetBucketLocation) | 400 `AuthorizationHeaderMalformed` (header) or `AuthorizationQueryParametersError` (presigned, form), `<Region>`, `x-amz-bucket-region`; with [`WrongRegion::Redirect`]: 301 `PermanentRedirect` | `auth::request_signed_for_another_region_is_refused_by_default`, `post_form::policy_rules_are_enforced_with_s3_answers`, `faults::wrong_region_is_malformed_or_redirected_and_the_right_one_works` |
//! | Request time (`X-Amz-Date`, else `Date`) within 15 minutes of the server clock (`Config::clock_offset` shifts it) | 403 `RequestTimeTooSkewed`, `<ServerTime>` | `auth::clock_skew_beyond_15_minutes_is_refused`, `auth::sigv4_time_in_date_header_is_accepted_and_skew_checked`, `auth::server_clock_offset_shows_in_date_and_skew` |
//! | A request time at all | 403 `AccessDenied` | `auth::sigv4_time_in_date_header_is_accepted_and_skew_checked` |
//! | Presigned URL unexpired, valid at most 7 days | 403 `AccessDenied` ("Request has expired"); 400 `AuthorizationQueryParametersError` | `auth::presigned_get_works_and_is_logged_as_query_string`, `auth::presigned_validity_beyond_a_week_is_refused` |
//! | Temporary credentials: session token present (form: `x-amz-security-token` field), right, unexpired | 403 `InvalidAccessKeyId`; 400 `InvalidToken`; 400 `ExpiredToken` | `auth::temporary_credentials_need_their_token_until_they_expire`, `post_form::form_with_temporary_credentials_needs_the_token_field` |
//! | SigV2 (header, presigned, form) refused unless [`SigV2Mode::Accept`] | 400 `InvalidRequest` | `sigv2::sigv2_header_is_refused_by_default_and_logged`, `sigv2::sigv2_presigned_is_refused_by_default_and_logged`, `post_form::sigv2_form_is_refused_by_default_and_verified_when_accepted` |
//! | SigV2 accepted: secret, 15-minute skew, expiry; a bucket's resource is `/BUCKET/` | 403 `SignatureDoesNotMatch`, `RequestTimeTooSkewed`, `AccessDenied` | `sigv2::sigv2_accept_mode_still_checks_secret_skew_and_expiry`, `sigv2::sigv2_bucket_requests_verify_with_the_bucket_resource` |
//! | Form upload: well-formed `multipart/form-data`, one file, at most 20 KiB of fields before it | 400 `MalformedPOSTRequest`, `IncorrectNumberOfFilesInPostRequest`, `MaxPostPreDataLengthExceeded` | `post_form::malformed_forms_are_refused` |
//! | Form upload: `key`, `policy` and every signing field present | 400 `InvalidArgument` | `post_form::form_without_key_or_signature_is_refused` |
//! | Policy: base64 JSON with an ISO 8601 UTC `expiration` and `conditions`, each well-formed (`eq`, `starts-with`, `content-length-range`; operators case-sensitive) | 400 `InvalidPolicyDocument` | `post_form::policy_with_malformed_expiration_is_refused`, `post_form::policy_rules_are_enforced_with_s3_answers` |
//! | Policy unexpired; every condition met (bucket, key, `x-amz-*`, any field; names case-insensitive); every form field named by a condition (but `x-ignore-*`) | 403 `AccessDenied` | `post_form::policy_rules_are_enforced_with_s3_answers`, `post_form::form_field_names_and_condition_names_are_case_insensitive` |
//! | Form file within `content-length-range` | 400 `EntityTooLarge`, `EntityTooSmall` | `post_form::policy_rules_are_enforced_with_s3_answers` |
//! | Body matches `x-amz-content-sha256` | 400 `XAmzContentSHA256Mismatch` | `auth::tampered_body_is_refused_and_the_old_object_survives` |
//! | aws-chunked chunk signatures | 403 `SignatureDoesNotMatch` | `streaming::bad_chunk_signature_is_signature_does_not_match` |
//! | `Content-MD5`, `x-amz-checksum-*` headers and trailers (a presigned URL's `x-amz-checksum-*` parameters too) | 400 `BadDigest`, `InvalidDigest` | `objects::bad_content_md5_never_replaces_or_creates`, `objects::bad_checksum_header_never_replaces_and_good_ones_are_reported`, `streaming::unsigned_payload_with_checksum_trailers`, `auth::a_presigned_puts_checksum_parameter_is_checked_like_the_header` |
//! | A body cut short stores nothing | (connection error; no object) | `streaming::body_cut_short_leaves_no_object_and_no_staging_file` |
//! | Keys without `.`, `..` or empty segments | 400 `InvalidArgument` | `objects::dot_dot_keys_are_refused_and_nothing_escapes` |
//! | `If-None-Match: *` on an existing object; `If-Match` on PUT and CompleteMultipartUpload | 412 `PreconditionFailed` | `objects::if_none_match_star_protects_existing_objects`, `conditions::conditional_puts_refuse_and_keep_the_object`, `conditions::conditional_completes_refuse_and_keep_the_upload` |
//! | `If-Match`, `If-None-Match`, `If-Modified-Since`, `If-Unmodified-Since` on GET and HEAD | 304 Not Modified; 412 `PreconditionFailed` | `conditions::reads_answer_304_and_412_as_s3` |
//! | Keys of at most 1,024 bytes | 400 `KeyTooLongError` | `keys::keys_of_1024_bytes_keep_metadata_and_etag` |
//! | DeleteObjects: at most 1,000 keys | 400 `MalformedXML` | `smaller::delete_objects_is_quiet_when_asked_and_takes_at_most_1000_keys` |
//! | CopyObject onto itself only with a change (metadata, storage class, encryption) | 400 `InvalidRequest` | `copy_parts::copying_onto_itself_needs_a_change` |
//! | Buckets: new names, deleted only when empty, existing | 409 `BucketAlreadyOwnedByYou`, `BucketNotEmpty`; 404 `NoSuchBucket` | `objects::buckets_are_created_listed_located_and_only_deleted_when_empty` |
//! | Multipart: part numbers within bounds, upload id known | 400 `InvalidArgument`; 404 `NoSuchUpload` | `multipart::default_part_number_bounds`, `multipart::unknown_upload_id_is_no_such_upload` |
//! | CompleteMultipartUpload: ETags, order, part sizes (configurable), checksums; the upload stays intact | 400 `InvalidPart`, `InvalidPartOrder`, `EntityTooSmall`, `BadDigest`, `InvalidRequest` | `multipart::wrong_part_etag_is_refused_without_destroying_the_upload`, `multipart::parts_out_of_order_are_refused`, `multipart::small_part_is_entity_too_small_and_the_upload_can_be_aborted`, `multipart::full_object_crc64nvme_is_reported_and_checked`, `multipart::invalid_checksum_type_combinations_are_refused` |
//!
//! Each refusal leaves storage as it was, and its access-log line names the signature version
//! and authentication type (`AuthHeader`, `QueryString`, or `POST` for a browser form: S3's
//! log documents only the first two; `POST` is S3's name for form uploads in its `s3:authType`
//! condition key). Objects are stored only once their body is complete and verified; objects
//! without a checksum get CRC64NVME, as on S3.
//!
//! Tests and benchmarks can also ask for faults ([`Fault`]: 503, 500, resets, delays, a
//! 200-with-error Complete; for downloads, an answer's body reset after N bytes, stalled, or
//! with one byte flipped; deterministic with `Config::seed`), old `Last-Modified` times
//! ([`Server::set_last_modified`]), the style of wrong-region refusals ([`WrongRegion`]),
//! `Config::discard` (verify, store nothing), and emulated credential
//! services ([`credential_emulator`]: IMDS, container credentials, STS web identity) whose temporary
//! keys the server accepts until they expire.
//!
//! # Storage design
//!
//! s3s-fs maps a key to a file path, which cannot hold `a/b` next to `a/b/c`, `dir/` with a
//! body, or a 1,024-byte key, and leaves directories behind that make an emptied bucket
//! non-empty. This server implements s3s's `S3` trait over its own storage instead:
//!
//! - **Keys are never paths.** Each object is a directory `ROOT/BUCKET/ID` (`ID`: 16 hex
//!   digits, increasing with every write) with an `object.json` that names the key and holds
//!   size, ETag, checksums, metadata, encryption settings, parts, and the list of files with
//!   the bytes. An in-memory index (a sorted map per bucket, read from disk at start) answers
//!   lookups and listings; every change reaches the disk before the index, under one lock.
//! - **Verify before visible.** A body is received into a staging directory under
//!   `ROOT/.s3up/tmp` and checked (Content-MD5, `x-amz-checksum-*` header or trailer, length,
//!   conditional headers); only then is the complete directory renamed into its bucket, which
//!   is the one step that makes it visible. A dropped connection or a failed check leaves
//!   only staging files, removed at once (and at every start). A replaced or deleted object
//!   loses its `object.json` at once; readers already streaming it keep its bytes until done.
//! - **Multipart objects are made of their part files.** Each part is verified and stored
//!   with its MD5 and the checksum the object will need (the upload's algorithm, else
//!   CRC64NVME, as S3 defaults to), so CompleteMultipartUpload reads no byte: it hard-links
//!   the part files into the object (copying only where the filesystem cannot link) and
//!   computes COMPOSITE checksums from part checksums and FULL_OBJECT CRCs by combining part
//!   CRCs. The parts also serve GET/HEAD with `partNumber` and GetObjectAttributes'
//!   ObjectParts. The upload then keeps only its answer (`completed.json`, for a day), so a
//!   retried Complete gets the same ETag as on S3.
//! - **`discard` mode** verifies everything and writes only `object.json` (no bytes); reads
//!   return zeros of the object's size.
//!
//! Paths: see [`Server::root`]. Every request gets one access-log line
//! ([`Server::access_log`]) in the S3 server access log format or as JSON ([`LogFormat`]);
//! tests read it back as records ([`Server::access_log_records`], [`LogRecord::parse`]).
//!
//! It never depends on the `s3up` crate: it is the independent oracle s3up is tested against.

#![forbid(unsafe_code)]

mod access_log;
mod admission;
mod answers;
mod auth;
mod clock;
mod config;
mod conn_io;
pub mod credential_emulator;
mod facts;
mod fault_body;
mod faults;
mod front;
#[doc(hidden)]
pub mod fuzzing;
mod gate;
mod host;
mod log_body;
mod post_form;
mod post_policy;
mod server;
mod serving;
mod sigv2;
mod store;
mod tls;
mod xml;

pub use crate::access_log::LogRecord;
pub use crate::config::{
    Config, LogFormat, SigV2Mode, WrongRegion, DEFAULT_ACCESS_KEY, DEFAULT_MAX_PARTS,
    DEFAULT_MIN_PART_SIZE, DEFAULT_REGION, DEFAULT_SECRET_KEY,
};
pub use crate::faults::{Fault, FaultKind, Trigger};
pub use crate::server::{start, Server};

/// Why a server could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A filesystem or network step failed.
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io { what, source } => write!(f, "cannot {what}: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
        }
    }
}

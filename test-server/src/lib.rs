//! A strict S3 server for offline tests, built on `s3s` and `s3s-fs`.
//!
//! It verifies every request's signature (SigV4 header, presigned, aws-chunked streaming and
//! trailers; SigV2 refused by default), writes an S3 server access log line per request, and
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
//! What it checks beyond s3s and s3s-fs 0.14.1:
//! - clock skew against its own clock (`Config::clock_offset` shifts it; answers carry the
//!   shifted `Date` and `<ServerTime>`), presigned expiry, `host` and every `x-amz-*` header
//!   signed, SigV2 refused (`SigV2Mode::Reject`) or held to the 15-minute rule;
//! - bodies: `x-amz-content-sha256` (400 `XAmzContentSHA256Mismatch`), chunk signatures (403
//!   `SignatureDoesNotMatch`), Content-MD5, `x-amz-checksum-*` headers and trailers, all
//!   before the object (or part) replaces anything;
//! - multipart: ListMultipartUploads, CompleteMultipartUpload checks that leave the upload
//!   intact when they refuse, S3's part-size and part-count limits (configurable), COMPOSITE
//!   and FULL_OBJECT checksums; objects without a checksum get CRC64NVME, as on S3;
//! - keys with `.`/`..`/empty segments refused; nothing is written outside its bucket.
//!
//! Tests and benchmarks can also ask for faults ([`Fault`]: 503, 500, resets, delays, a
//! 200-with-error Complete; deterministic with `Config::seed`), wrong-region answers
//! ([`WrongRegion`]), `Config::discard` (verify, store nothing), and emulated credential
//! services ([`metadata`]: IMDS, container credentials, STS web identity) whose temporary
//! keys the server accepts until they expire.
//!
//! Storage layout: see [`Server::root`]. Every request gets one access-log line
//! ([`Server::access_log`]) in the S3 server access log format or as JSON ([`LogFormat`]).
//!
//! It never depends on the `s3up` crate: it is the independent oracle s3up is tested against.

#![forbid(unsafe_code)]

mod access_log;
mod answers;
mod auth;
mod clock;
mod config;
mod conn_io;
mod facts;
mod faults;
mod front;
#[doc(hidden)]
pub mod fuzzing;
mod gate;
mod host;
mod log_body;
pub mod metadata;
mod server;
mod store;
mod tls;
mod xml;

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

//! A strict S3 server for offline tests, built on `s3s` with its own object storage.
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
//! What it checks beyond s3s 0.14.1:
//! - clock skew against its own clock (`Config::clock_offset` shifts it; answers carry the
//!   shifted `Date` and `<ServerTime>`), presigned expiry, `host` and every `x-amz-*` header
//!   signed, SigV2 refused (`SigV2Mode::Reject`) or held to the 15-minute rule;
//! - bodies: `x-amz-content-sha256` (400 `XAmzContentSHA256Mismatch`), chunk signatures (403
//!   `SignatureDoesNotMatch`), Content-MD5, `x-amz-checksum-*` headers and trailers, all
//!   before the object (or part) replaces anything;
//! - multipart: ListMultipartUploads, CompleteMultipartUpload checks that leave the upload
//!   intact when they refuse, S3's part-size and part-count limits (configurable), COMPOSITE
//!   and FULL_OBJECT checksums; objects without a checksum get CRC64NVME, as on S3;
//! - keys with `.`/`..`/empty segments or a leading `/` refused (clients downloading them to
//!   files would leave their target); nothing is ever written outside the root, whatever the key.
//!
//! Tests and benchmarks can also ask for faults ([`Fault`]: 503, 500, resets, delays, a
//! 200-with-error Complete; deterministic with `Config::seed`), wrong-region answers
//! ([`WrongRegion`]), `Config::discard` (verify, store nothing), and emulated credential
//! services ([`metadata`]: IMDS, container credentials, STS web identity) whose temporary
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

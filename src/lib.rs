//! s3up: uploads backups to Amazon S3 (and S3-compatible stores) signed with AWS Signature
//! Version 4, from one static binary.
//!
//! What s3up never does: sign with SigV2, print secrets, leave a multipart upload behind, or
//! report success before the server confirmed a complete object.
//!
//! The public modules are what the binary, the integration tests and the fuzz targets use:
//! the signer, credentials, configuration, the client and its transport, the S3 request
//! descriptions and the upload engine. The rest is internal (`pub(crate)`).

#![warn(unreachable_pub)]

pub mod archive;
pub mod body;
pub mod checksum;
pub(crate) mod child;
pub mod cli;
pub mod client;
pub mod config;
pub mod context;
pub mod control;
pub mod credentials;
pub(crate) mod delete;
pub mod download;
pub mod error;
pub mod listing;
pub(crate) mod mpu;
pub mod profile;
pub(crate) mod redact;
pub mod s3;
pub mod sigv4;
pub(crate) mod sources;
pub(crate) mod sync;
pub mod time;
pub mod transport;
pub mod units;
pub mod upload;

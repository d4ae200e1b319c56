//! The error type of the upload path: what went wrong, and what the user should do about it.
//! `Display` is one line, lower-case, and never contains a secret.

use std::fmt;
use std::path::PathBuf;

use crate::s3::errors::{self, Class};
use crate::transport::TransportError;

#[derive(Debug)]
pub enum Error {
    /// The server refused a request with an S3 error code.
    S3 {
        operation: &'static str,
        status: u16,
        code: String,
        message: String,
        request_id: String,
    },
    /// The request could not be completed on the network (after retries).
    Transport {
        operation: &'static str,
        source: TransportError,
    },
    /// Bad flags, URLs or configuration: exit status 2.
    Usage(String),
    /// No usable credentials: exit status 2; the text says where s3up looked.
    Credentials(String),
    /// A local file or stream could not be read.
    Source {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A local file or stream could not be written (a download's destination).
    Destination {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The server answered something that breaks the protocol or does not match what was sent
    /// (size, checksum, missing fields).
    Integrity(String),
    /// The command whose output was being uploaded (`cp --from-cmd`) failed or could not start:
    /// nothing was uploaded.
    Command(String),
    /// SIGINT or SIGTERM: exit status 130.
    Interrupted,
}

impl Error {
    /// The process exit status this error maps to.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) | Self::Credentials(_) => 2,
            Self::Interrupted => 130,
            _ => 1,
        }
    }

    /// What the S3 error means for s3up (see [`crate::s3::errors`]).
    pub fn class(&self) -> Option<Class> {
        match self {
            Self::S3 { code, status, .. } => Some(errors::classify(code, *status)),
            _ => None,
        }
    }

    /// Errors retrying cannot fix: the run stops at once.
    pub(crate) fn is_fatal_for_run(&self) -> bool {
        self.class().is_some_and(Class::stops_run)
            || matches!(
                self,
                Self::Credentials(_) | Self::Interrupted | Self::Usage(_)
            )
    }

    /// The error without the suggested fix (for `doctor`, which shows the fix once, apart).
    pub(crate) fn without_fix(&self) -> String {
        format!("{self:#}")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::S3 {
                operation,
                status,
                code,
                message,
                request_id,
            } => {
                write!(f, "{operation} failed: {code} (HTTP {status})")?;
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                if !request_id.is_empty() {
                    write!(f, " [request id {request_id}]")?;
                }
                match errors::fix(code) {
                    Some(fix) if !f.alternate() => write!(f, " ({fix})"),
                    _ => Ok(()),
                }
            }
            Self::Transport { operation, source } if f.alternate() => {
                write!(f, "{operation} failed: {source:#}")
            }
            Self::Transport { operation, source } => write!(f, "{operation} failed: {source}"),
            Self::Usage(m) | Self::Credentials(m) | Self::Integrity(m) | Self::Command(m) => {
                f.write_str(m)
            }
            Self::Source { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            Self::Destination { path, source } => {
                write!(f, "cannot write {}: {source}", path.display())
            }
            Self::Interrupted => f.write_str("interrupted"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Transport { source, .. } => Some(source),
            Self::Source { source, .. } | Self::Destination { source, .. } => Some(source),
            _ => None,
        }
    }
}

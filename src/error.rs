//! The error type of the upload path: what went wrong, and what the user should do about it.
//! `Display` is one line, lower-case, and never contains a secret.

use std::fmt;
use std::path::PathBuf;

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
    /// The server answered something that breaks the protocol or does not match what was sent
    /// (size, checksum, missing fields).
    Integrity(String),
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

    /// The S3 error code, if the server gave one.
    pub fn s3_code(&self) -> Option<&str> {
        match self {
            Self::S3 { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Errors retrying cannot fix: the run stops at once.
    pub fn is_fatal_for_run(&self) -> bool {
        matches!(
            self.s3_code(),
            Some(
                "SignatureDoesNotMatch"
                    | "InvalidAccessKeyId"
                    | "AccessDenied"
                    | "NoSuchBucket"
                    | "ExpiredToken"
                    | "InvalidToken"
            )
        ) || matches!(
            self,
            Self::Credentials(_) | Self::Interrupted | Self::Usage(_)
        )
    }
}

fn hint(code: &str) -> &'static str {
    match code {
        "SignatureDoesNotMatch" => {
            " (check the secret key: AWS_SECRET_ACCESS_KEY or the profile's aws_secret_access_key)"
        }
        "InvalidAccessKeyId" => " (the access key id is unknown to this server: check AWS_ACCESS_KEY_ID or the profile)",
        "AccessDenied" => " (the credentials are valid but not allowed to do this: check the IAM policy and bucket policy)",
        "NoSuchBucket" => " (check the bucket name, the region and --endpoint-url)",
        "RequestTimeTooSkewed" => " (the machine's clock is off: sync it with NTP)",
        "ExpiredToken" | "InvalidToken" => " (the session token expired: refresh the temporary credentials)",
        "EntityTooSmall" => " (parts other than the last must be at least 5 MiB: raise --part-size)",
        _ => "",
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
                f.write_str(hint(code))
            }
            Self::Transport { operation, source } => write!(f, "{operation} failed: {source}"),
            Self::Usage(m) | Self::Credentials(m) | Self::Integrity(m) => f.write_str(m),
            Self::Source { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            Self::Interrupted => f.write_str("interrupted"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Transport { source, .. } => Some(source),
            Self::Source { source, .. } => Some(source),
            _ => None,
        }
    }
}

//! The shared config and credentials files (`~/.aws/config`, `~/.aws/credentials`): profile
//! settings s3up honours. (Defaults only for now; parsing lands with the credentials issue.)

use crate::credentials::chain::Context;
use crate::error::Error;
use crate::s3::addr::AddressingStyle;

/// The nested `s3 =` section of a profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct S3Settings {
    pub max_concurrent_requests: Option<usize>,
    pub multipart_threshold: Option<u64>,
    pub multipart_chunksize: Option<u64>,
    /// Bytes per second.
    pub max_bandwidth: Option<u64>,
    pub addressing_style: Option<AddressingStyle>,
    pub payload_signing_enabled: Option<bool>,
}

/// What s3up reads from the selected profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub ca_bundle: Option<String>,
    pub s3: S3Settings,
}

/// Loads the selected profile; a missing file is an empty profile.
///
/// # Errors
/// [`Error::Usage`] naming the file and line of what cannot be parsed.
pub fn load(_ctx: &Context) -> Result<Profile, Error> {
    Ok(Profile::default())
}

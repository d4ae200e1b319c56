//! The credential chain, in aws-cli's order. (Environment only for now; the rest of the chain
//! lands with the credentials issue.)

use std::sync::Arc;

use super::{Credentials, ProvideCredentials, StaticCredentials};
use crate::error::Error;
use crate::transport::TransportOptions;

/// What the chain may look at: the environment (through a lookup, so tests need not touch the
/// process environment), the selected profile and the transport settings.
pub struct Context<'a> {
    pub env: &'a (dyn Fn(&str) -> Option<String> + Sync),
    /// `--profile`; else `AWS_PROFILE`; else `default`.
    pub profile: Option<&'a str>,
    pub transport: &'a TransportOptions,
}

impl Context<'_> {
    pub fn var(&self, name: &str) -> Option<String> {
        (self.env)(name).filter(|v| !v.is_empty())
    }

    pub fn profile_name(&self) -> String {
        self.profile
            .map(str::to_owned)
            .or_else(|| self.var("AWS_PROFILE"))
            .unwrap_or_else(|| "default".to_owned())
    }
}

/// Finds credentials.
///
/// # Errors
/// [`Error::Credentials`] listing every source tried and why it gave nothing.
pub fn resolve(ctx: &Context) -> Result<Arc<dyn ProvideCredentials>, Error> {
    if let Some(c) = Credentials::from_env(|k| ctx.var(k)) {
        return Ok(Arc::new(StaticCredentials {
            credentials: c,
            source: "environment (AWS_ACCESS_KEY_ID)".into(),
        }));
    }
    Err(Error::Credentials(
        "no credentials found; looked in: environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY not set)".into(),
    ))
}

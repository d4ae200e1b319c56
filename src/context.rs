//! What configuration is read from: the environment (through a lookup, so tests need not touch
//! the process environment), the profile chosen on the command line, and the transport
//! settings credential services are reached with. A leaf: the profile files and the credential
//! sources read it; it depends on neither.

use crate::transport::TransportOptions;

/// An environment lookup.
pub type Env<'a> = &'a (dyn Fn(&str) -> Option<String> + Sync);

/// The environment, the selected profile and the transport settings.
pub struct Context<'a> {
    pub env: Env<'a>,
    /// `--profile`; else `AWS_PROFILE`; else `default`.
    pub profile: Option<&'a str>,
    pub transport: &'a TransportOptions,
}

impl Context<'_> {
    /// A variable's value; empty counts as unset.
    pub(crate) fn var(&self, name: &str) -> Option<String> {
        (self.env)(name).filter(|v| !v.is_empty())
    }

    pub(crate) fn profile_name(&self) -> String {
        self.profile
            .map(str::to_owned)
            .or_else(|| self.var("AWS_PROFILE"))
            .unwrap_or_else(|| "default".to_owned())
    }

    /// What chose the profile: `--profile`, `AWS_PROFILE` or `default`.
    pub(crate) fn profile_chosen_by(&self) -> &'static str {
        if self.profile.is_some() {
            "--profile"
        } else if self.var("AWS_PROFILE").is_some() {
            "AWS_PROFILE"
        } else {
            "default"
        }
    }
}

//! The one place where flags, environment and profile files are read and merged: into a ready
//! client (endpoint, region, addressing style, TLS, credentials, each with where it came from,
//! for `doctor` and error messages) and, for transfers, into upload options
//! ([`transfer`]). The profile files are read and parsed once per command.

pub(crate) mod transfer;

use std::path::PathBuf;
use std::sync::Arc;

use crate::client::{Client, ClientOptions, PayloadSigning};
use crate::context::{Context, Env};
use crate::credentials::chain;
use crate::credentials::ProvideCredentials;
use crate::error::Error;
use crate::profile::{self, Profile};
use crate::s3::addr::{AddressingStyle, Endpoint};
use crate::transport::{Transport, TransportOptions};

/// The options every command shares (flag names follow `aws s3`).
#[derive(Debug, Clone, Default)]
pub struct CommonOptions {
    pub endpoint_url: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub ca_bundle: Option<PathBuf>,
    pub no_verify_ssl: bool,
    pub addressing_style: Option<String>,
    /// Total attempts per request, from `--retries` (+1) or `AWS_MAX_ATTEMPTS`.
    pub max_attempts: Option<u32>,
    /// `--cli-read-timeout`, `--cli-connect-timeout`.
    pub read_timeout: Option<std::time::Duration>,
    pub connect_timeout: Option<std::time::Duration>,
    /// `--payload-signing` (transfers); else the profile decides.
    pub payload_signing: Option<PayloadSigning>,
}

/// A configured connection to S3 and what it was configured from.
pub struct Session {
    pub client: Client,
    pub profile: Profile,
    pub region_source: String,
    pub endpoint_source: String,
    pub tls_roots: String,
}

/// Builds the transport options (TLS, proxy) from flags, environment and profile.
fn transport_options(common: &CommonOptions, env: Env, profile: &Profile) -> TransportOptions {
    let ca_bundle = common
        .ca_bundle
        .clone()
        .or_else(|| {
            env("AWS_CA_BUNDLE")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .or_else(|| profile.ca_bundle.as_ref().map(PathBuf::from));
    let defaults = TransportOptions::default();
    TransportOptions {
        ca_bundle,
        no_verify_ssl: common.no_verify_ssl,
        read_timeout: common.read_timeout.unwrap_or(defaults.read_timeout),
        connect_timeout: common.connect_timeout.unwrap_or(defaults.connect_timeout),
        ..defaults
    }
}

/// Resolves everything but credentials' network sources eagerly.
///
/// # Errors
/// [`Error::Usage`] for bad flags or files, [`Error::Credentials`] when none are found.
pub fn open(common: &CommonOptions, env: Env) -> Result<Session, Error> {
    let base_transport = TransportOptions::default();
    let ctx = Context {
        env,
        profile: common.profile.as_deref(),
        transport: &base_transport,
    };
    let settings = profile::settings(&ctx)?;
    let profile = profile::from_settings(&settings)?;
    let transport_opts = transport_options(common, env, &profile);
    let ctx = Context {
        transport: &transport_opts,
        ..ctx
    };
    let credentials = chain::resolve(&ctx, &settings)?;
    session_with(common, env, profile, transport_opts, credentials)
}

/// [`open`]'s second half, once the credentials are chosen.
fn session_with(
    common: &CommonOptions,
    env: Env,
    profile: Profile,
    transport_opts: TransportOptions,
    credentials: Arc<dyn ProvideCredentials>,
) -> Result<Session, Error> {
    let (region, region_source) =
        resolve_region_with(common, env, &profile, &|| credentials.region());
    let (endpoint, endpoint_source) = match (
        &common.endpoint_url,
        env("AWS_ENDPOINT_URL_S3"),
        env("AWS_ENDPOINT_URL"),
        &profile.endpoint_url,
    ) {
        (Some(url), ..) => (url.clone(), "--endpoint-url"),
        (None, Some(url), ..) if !url.is_empty() => (url, "AWS_ENDPOINT_URL_S3"),
        (None, _, Some(url), _) if !url.is_empty() => (url, "AWS_ENDPOINT_URL"),
        (None, _, _, Some(url)) => (url.clone(), "profile endpoint_url"),
        _ => (String::new(), "AWS regional endpoint"),
    };
    let endpoint = if endpoint.is_empty() {
        Endpoint::aws(&region)
    } else {
        Endpoint::parse(&endpoint).map_err(|e| Error::Usage(e.to_string()))?
    };
    let style = match common.addressing_style.as_deref() {
        Some(s) => s.parse::<AddressingStyle>().map_err(Error::Usage)?,
        None => profile.s3.addressing_style.unwrap_or_default(),
    };
    let mut options = ClientOptions::new(endpoint.clone(), region);
    options.addressing_style = style;
    if let Some(n) = common
        .max_attempts
        .or_else(|| env("AWS_MAX_ATTEMPTS").and_then(|v| v.parse().ok()))
    {
        options.max_attempts = n.max(1);
    }
    options.payload_signing = match (common.payload_signing, profile.s3.payload_signing_enabled) {
        (Some(flag), _) => flag,
        (None, Some(true)) => PayloadSigning::Always,
        (None, _) => PayloadSigning::Auto,
    };
    let tls_roots = match (&transport_opts.ca_bundle, transport_opts.no_verify_ssl) {
        (_, true) => "none: certificate verification disabled (--no-verify-ssl)".to_owned(),
        (Some(p), _) => format!("CA bundle {}", p.display()),
        (None, _) => "bundled Mozilla roots (webpki-roots)".to_owned(),
    };
    let transport = Transport::new(&transport_opts).map_err(|e| Error::Usage(e.to_string()))?;
    Ok(Session {
        client: Client::new(transport, credentials, options),
        profile,
        region_source,
        endpoint_source: endpoint_source.to_owned(),
        tls_roots,
    })
}

/// Region: `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile, then `instance_region`
/// (the credentials source's region: instance metadata's `placement/region` when the
/// credentials came from it, so machines off EC2 never wait on the metadata address for a
/// region), else `us-east-1` (and the client follows the bucket's region if that is wrong).
fn resolve_region_with(
    common: &CommonOptions,
    env: Env,
    profile: &Profile,
    instance_region: &dyn Fn() -> Option<String>,
) -> (String, String) {
    if let Some(r) = &common.region {
        return (r.clone(), "--region".into());
    }
    for var in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
        if let Some(r) = env(var).filter(|v| !v.is_empty()) {
            return (r, var.into());
        }
    }
    if let Some(r) = &profile.region {
        return (r.clone(), "profile".into());
    }
    if let Some(r) = instance_region() {
        return (r, "instance metadata (placement/region)".into());
    }
    (
        "us-east-1".into(),
        "default (us-east-1; the bucket's region is followed)".into(),
    )
}

//! Container credentials (ECS task roles, EKS Pod Identity): a local HTTP endpoint named by
//! `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (under `http://169.254.170.2`) or
//! `AWS_CONTAINER_CREDENTIALS_FULL_URI`, with `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` or
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN` sent as `Authorization`, as aws-cli does.
//!
//! Always through [`Transport::direct`] (never a proxy). The token file is read again at every
//! refresh (it is rotated). Never logs the token or the credentials.

use std::time::Duration;

use zeroize::Zeroizing;

use super::expiring::{parse_json, Expiring, TokenField};
use super::refresh::Fetch;
use crate::body::Body;
use crate::context::Context;
use crate::transport::{HttpRequest, Transport};

pub(crate) const ECS_HOST: &str = "169.254.170.2";
const TIMEOUT: Duration = Duration::from_secs(2);
const ATTEMPTS: u32 = 3;
const RETRY_PAUSE: Duration = Duration::from_millis(100);

/// Where the `Authorization` header comes from (no `Debug`: it may hold the token).
#[derive(Clone, PartialEq, Eq)]
enum Auth {
    None,
    File(String),
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN` (a secret: not shown by `Debug`).
    Token(Zeroizing<String>),
}

/// A container credentials endpoint.
pub(crate) struct ContainerCredentials {
    url: String,
    auth: Auth,
    transport: Transport,
}

impl ContainerCredentials {
    /// From the environment: `Ok(None)` when neither URI variable is set.
    ///
    /// # Errors
    /// A full URI s3up must not send the token to (plain HTTP to a host that is neither
    /// loopback nor a container-credentials address), as aws-cli refuses it.
    pub(crate) fn from_env(ctx: &Context) -> Result<Option<Self>, String> {
        let url = match (
            ctx.var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
            ctx.var("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
        ) {
            (Some(rel), _) => format!(
                "http://{ECS_HOST}{}",
                if rel.starts_with('/') {
                    rel
                } else {
                    format!("/{rel}")
                }
            ),
            (None, Some(full)) => {
                check_full_uri(&full)?;
                full
            }
            (None, None) => return Ok(None),
        };
        let auth = match (
            ctx.var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
            ctx.var("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
        ) {
            (Some(file), _) => Auth::File(file),
            (None, Some(token)) => Auth::Token(Zeroizing::new(token)),
            (None, None) => Auth::None,
        };
        Ok(Some(Self {
            url,
            auth,
            transport: Transport::direct(TIMEOUT),
        }))
    }

    fn authorization(&self) -> Result<Option<Zeroizing<String>>, String> {
        let token = match &self.auth {
            Auth::None => return Ok(None),
            Auth::Token(t) => t.clone(),
            Auth::File(path) => Zeroizing::new(
                std::fs::read_to_string(path)
                    .map_err(|e| {
                        format!("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {path}: {e}")
                    })?
                    .trim()
                    .to_owned(),
            ),
        };
        crate::redact::register(&token);
        if token.contains(['\r', '\n']) {
            return Err("the container authorization token holds a line break".into());
        }
        Ok(Some(token))
    }

    fn get(&self) -> Result<Expiring, String> {
        let headers: Vec<(String, String)> = self
            .authorization()?
            .map(|t| vec![("authorization".to_owned(), t.to_string())])
            .unwrap_or_default();
        let req = HttpRequest {
            method: "GET",
            url: &self.url,
            headers: &headers,
            body: Body::EMPTY,
        };
        let response = super::send_retrying(&self.transport, &req, ATTEMPTS, RETRY_PAUSE)
            .map_err(|e| format!("{}: {e}", self.url))?;
        if response.status != 200 {
            return Err(format!(
                "{} answered {}{}",
                self.url,
                response.status,
                error_message(&response.body)
            ));
        }
        parse_json(&response.body, TokenField::Token).map_err(|e| format!("{}: {e}", self.url))
    }
}

/// The `message` of a JSON error answer (never the whole body).
fn error_message(body: &[u8]) -> String {
    let doc: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    ["message", "Message"]
        .iter()
        .find_map(|k| doc.get(k).and_then(serde_json::Value::as_str))
        .map(|m| format!(": {}", m.chars().take(200).collect::<String>()))
        .unwrap_or_default()
}

/// aws-cli's rule: HTTPS anywhere; plain HTTP only to loopback or the ECS/EKS addresses.
fn check_full_uri(url: &str) -> Result<(), String> {
    if url.starts_with("https://") {
        return Ok(());
    }
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        format!("AWS_CONTAINER_CREDENTIALS_FULL_URI={url} is not an http:// or https:// URL")
    })?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    let allowed = host == "localhost"
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| {
            ip.is_loopback()
                || [ECS_HOST, "169.254.170.23", "fd00:ec2::23"]
                    .iter()
                    .any(|a| a.parse::<std::net::IpAddr>().is_ok_and(|x| x == ip))
        });
    if allowed {
        Ok(())
    } else {
        Err(format!(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI={url}: plain HTTP is only allowed to a loopback address, {ECS_HOST} or the EKS Pod Identity address"
        ))
    }
}

impl Fetch for ContainerCredentials {
    fn fetch(&self) -> Result<Expiring, String> {
        self.get()
    }

    fn source(&self) -> String {
        format!("container credentials ({})", self.url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_uri_rules() {
        for ok in [
            "https://example.com/creds",
            "http://127.0.0.1:8080/creds",
            "http://localhost/creds",
            "http://[::1]:80/x",
            "http://169.254.170.2/v2/credentials",
            "http://169.254.170.23/v1/credentials",
            "http://[fd00:ec2::23]/v1/credentials",
        ] {
            assert_eq!(check_full_uri(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://example.com/creds",
            "http://10.0.0.1/x",
            "ftp://127.0.0.1/",
        ] {
            assert!(check_full_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn relative_uri_goes_to_the_ecs_address() {
        let env = |k: &str| {
            (k == "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
                .then(|| "/v2/credentials/abc".to_owned())
        };
        let transport = crate::transport::TransportOptions::default();
        let ctx = Context {
            env: &env,
            profile: None,
            transport: &transport,
        };
        let c = ContainerCredentials::from_env(&ctx)
            .expect("ok")
            .expect("some");
        assert_eq!(c.url, "http://169.254.170.2/v2/credentials/abc");
        assert!(c.auth == Auth::None);
    }
}

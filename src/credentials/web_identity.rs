//! Web identity (EKS IRSA and the like): exchanges the token in `AWS_WEB_IDENTITY_TOKEN_FILE`
//! (or the profile's `web_identity_token_file`) for temporary credentials of `AWS_ROLE_ARN`
//! with STS `AssumeRoleWithWebIdentity` (an unsigned call). The endpoint is
//! `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`, the profile's `endpoint_url`, else the regional
//! STS endpoint. The token file is read again at every refresh (it is rotated).
//!
//! Through the normal transport (proxy and CA bundle apply, as for any AWS service). Never logs
//! the token or the credentials.

use std::time::{SystemTime, UNIX_EPOCH};

use super::expiring::Expiring;
use super::refresh::Fetch;
use super::Credentials;
use crate::body::Body;
use crate::context::Context;
use crate::profile::ProfileSettings;
use crate::s3::xml;
use crate::sigv4::uri_encode;
use crate::time::parse_time;
use crate::transport::{HttpRequest, Transport};

/// The STS call, ready to repeat.
pub(crate) struct WebIdentity {
    token_file: String,
    role_arn: String,
    session_name: String,
    endpoint: String,
    transport: Transport,
}

/// The region for the default STS endpoint: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile.
fn region(ctx: &Context, profile: &ProfileSettings) -> Option<String> {
    ctx.var("AWS_REGION")
        .or_else(|| ctx.var("AWS_DEFAULT_REGION"))
        .or_else(|| profile.text("region").map(|(r, _)| r.to_owned()))
}

/// `https://sts.REGION.amazonaws.com` (`.com.cn` in China), or the global endpoint.
pub(crate) fn default_endpoint(region: Option<&str>) -> String {
    match region {
        Some(r) if r.starts_with("cn-") => format!("https://sts.{r}.amazonaws.com.cn"),
        Some(r) => format!("https://sts.{r}.amazonaws.com"),
        None => "https://sts.amazonaws.com".to_owned(),
    }
}

impl WebIdentity {
    /// From the environment, else the profile: `Ok(None)` when no token file is configured.
    ///
    /// # Errors
    /// A token file without a role ARN, or a transport that cannot be built.
    pub(crate) fn from_config(
        ctx: &Context,
        profile: &ProfileSettings,
    ) -> Result<Option<Self>, String> {
        let setting = |var: &str, key: &str| {
            ctx.var(var)
                .or_else(|| profile.text(key).map(|(v, _)| v.to_owned()))
        };
        let Some(token_file) = setting("AWS_WEB_IDENTITY_TOKEN_FILE", "web_identity_token_file")
        else {
            return Ok(None);
        };
        let role_arn = setting("AWS_ROLE_ARN", "role_arn").ok_or_else(|| {
            format!("a web identity token file ({token_file}) is configured but no role: set AWS_ROLE_ARN or the profile's role_arn")
        })?;
        let session_name =
            setting("AWS_ROLE_SESSION_NAME", "role_session_name").unwrap_or_else(|| {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                format!("s3up-session-{now}")
            });
        let endpoint = ctx
            .var("AWS_ENDPOINT_URL_STS")
            .or_else(|| ctx.var("AWS_ENDPOINT_URL"))
            .or_else(|| profile.text("endpoint_url").map(|(v, _)| v.to_owned()))
            .unwrap_or_else(|| default_endpoint(region(ctx, profile).as_deref()));
        let transport = Transport::new(ctx.transport).map_err(|e| e.to_string())?;
        Ok(Some(Self {
            token_file,
            role_arn,
            session_name,
            endpoint,
            transport,
        }))
    }

    fn assume(&self) -> Result<Expiring, String> {
        let token = zeroize::Zeroizing::new(
            std::fs::read_to_string(&self.token_file)
                .map_err(|e| {
                    format!(
                        "cannot read the web identity token file {}: {e}",
                        self.token_file
                    )
                })?
                .trim()
                .to_owned(),
        );
        crate::redact::register(&token);
        let body = zeroize::Zeroizing::new(format!(
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn={}&RoleSessionName={}&WebIdentityToken={}",
            uri_encode(&self.role_arn, false),
            uri_encode(&self.session_name, false),
            uri_encode(&token, false)
        ));
        let headers = [
            (
                "content-type".to_owned(),
                "application/x-www-form-urlencoded; charset=utf-8".to_owned(),
            ),
            ("accept".to_owned(), "text/xml".to_owned()),
        ];
        let url = format!("{}/", self.endpoint.trim_end_matches('/'));
        let r = self
            .transport
            .send(&HttpRequest {
                method: "POST",
                url: &url,
                headers: &headers,
                body: Body::from(body.as_bytes()),
            })
            .map_err(|e| format!("STS {url}: {e}"))?;
        parse_response(r.status, &r.body).map_err(|e| format!("STS {url}: {e}"))
    }
}

/// Reads an `AssumeRoleWithWebIdentityResponse` or an `ErrorResponse`.
///
/// # Errors
/// The STS error code and message, or what is missing from the answer.
pub fn parse_response(status: u16, body: &[u8]) -> Result<Expiring, String> {
    let root =
        xml::parse(body).map_err(|e| format!("answered {status} with no usable XML ({e})"))?;
    if root.name == "ErrorResponse" || status != 200 {
        let error = root.child("Error").unwrap_or(&root);
        return Err(format!(
            "AssumeRoleWithWebIdentity failed: {} (HTTP {status}): {}",
            error.child_text("Code").unwrap_or("no code"),
            error.child_text("Message").unwrap_or("no message")
        ));
    }
    let creds = root
        .child("AssumeRoleWithWebIdentityResult")
        .and_then(|r| r.child("Credentials"))
        .ok_or("the answer has no Credentials")?;
    let field = |n: &str| {
        creds
            .child_text(n)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("the answer has no {n}"))
    };
    let expires = parse_time(field("Expiration")?)
        .ok_or("the answer's Expiration is not an ISO 8601 time")?;
    Ok(Expiring {
        credentials: Credentials::new(
            field("AccessKeyId")?,
            field("SecretAccessKey")?,
            Some(field("SessionToken")?.to_owned()),
        ),
        expires: Some(expires),
    })
}

impl Fetch for WebIdentity {
    fn fetch(&self) -> Result<Expiring, String> {
        self.assume()
    }

    fn source(&self) -> String {
        format!(
            "web identity (role {} via {})",
            self.role_arn, self.endpoint
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sts_answers() {
        let ok = br#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <SessionToken>tok</SessionToken><SecretAccessKey>sekrit</SecretAccessKey>
      <Expiration>2014-10-24T23:00:23Z</Expiration><AccessKeyId>ASIAEXAMPLE</AccessKeyId>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>"#;
        let e = parse_response(200, ok).expect("parses");
        assert_eq!(e.credentials.access_key_id(), "ASIAEXAMPLE");
        assert_eq!(e.credentials.session_token(), Some("tok"));
        assert!(e.expires.is_some());

        let err = br#"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>bad token</Message></Error></ErrorResponse>"#;
        let msg = parse_response(400, err).expect_err("error");
        assert!(
            msg.contains("InvalidIdentityToken") && msg.contains("bad token"),
            "{msg}"
        );
    }

    #[test]
    fn endpoints() {
        assert_eq!(default_endpoint(None), "https://sts.amazonaws.com");
        assert_eq!(
            default_endpoint(Some("eu-west-1")),
            "https://sts.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            default_endpoint(Some("cn-north-1")),
            "https://sts.cn-north-1.amazonaws.com.cn"
        );
    }
}

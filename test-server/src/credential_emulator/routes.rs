//! The emulator's answers: IMDSv2 tokens (`X-aws-ec2-metadata-token-ttl-seconds` between 1 and
//! 21600, no `X-Forwarded-For`), metadata GETs with or without a token, the instance role's
//! credentials document, `placement/region`, the container credentials document and STS
//! `AssumeRoleWithWebIdentity` (POST form or GET query). Formats as the real services write
//! them.

use super::issue::{issue, random_token, Issued};
use super::{EmulatorConfig, Record, TokenMode, CONTAINER_PATH};
use crate::auth::Keyring;
use crate::clock::fmt_iso8601;
use crate::xml::escape;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};
use tokio::sync::watch;

type Answer = Response<Full<Bytes>>;

const MAX_TOKEN_TTL: u64 = 21_600;
const CREDENTIALS_DIR: &str = "/latest/meta-data/iam/security-credentials";
const MAX_BODY: usize = 64 * 1024;

/// Everything the handlers share.
pub struct State {
    config: EmulatorConfig,
    keyring: Arc<Keyring>,
    record: Arc<Mutex<Record>>,
    stop: watch::Receiver<bool>,
    /// IMDSv2 tokens and when each stops working.
    tokens: Mutex<HashMap<String, SystemTime>>,
}

fn answer(status: u16, content_type: &str, body: impl Into<Bytes>) -> Answer {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = content_type.parse() {
        r.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    r
}

fn text(status: u16, body: impl Into<Bytes>) -> Answer {
    answer(status, "text/plain", body)
}

fn header<'a>(req: &'a Request<Incoming>, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// `a=1&b=x+y%21` → pairs (form and query encoding).
fn form(text: &str) -> HashMap<String, String> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

impl State {
    pub(super) fn new(
        config: EmulatorConfig,
        keyring: Arc<Keyring>,
        record: Arc<Mutex<Record>>,
        stop: watch::Receiver<bool>,
    ) -> Self {
        Self {
            config,
            keyring,
            record,
            stop,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    fn record(&self) -> std::sync::MutexGuard<'_, Record> {
        self.record.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn issue(&self) -> Issued {
        let issued = issue(
            &self.keyring,
            Duration::from_secs(self.config.lifetime_secs),
        );
        let mut record = self.record();
        record.issued.push(issued.access_key.clone());
        record.secrets.push(issued.secret.clone());
        record.secrets.push(issued.token.clone());
        drop(record);
        issued
    }

    /// Answers one request.
    pub async fn handle(&self, req: Request<Incoming>) -> Answer {
        let path = req.uri().path().to_owned();
        let with_token = req.headers().contains_key("x-aws-ec2-metadata-token");
        self.record().requests.push(format!(
            "{} {path}{}",
            req.method(),
            if with_token { " (token)" } else { "" }
        ));
        if path == "/latest/api/token" {
            return self.token(&req).await;
        }
        if path.starts_with("/latest/") {
            return self.metadata(&req, &path);
        }
        if path == CONTAINER_PATH {
            return self.container(&req);
        }
        if path == "/" {
            return self.sts(req).await;
        }
        text(404, "Not Found")
    }

    async fn token(&self, req: &Request<Incoming>) -> Answer {
        match self.config.token_mode {
            TokenMode::Answer => {}
            TokenMode::Refuse(status) => return text(status, "Forbidden"),
            TokenMode::Hang => {
                let mut stop = self.stop.clone();
                tokio::select! {
                    _ = stop.changed() => {}
                    () = tokio::time::sleep(Duration::from_secs(120)) => {}
                }
                return text(504, "");
            }
        }
        if req.method() != Method::PUT {
            return text(405, "Method Not Allowed");
        }
        if req.headers().contains_key("x-forwarded-for") {
            return text(403, "Forbidden");
        }
        let ttl = header(req, "x-aws-ec2-metadata-token-ttl-seconds")
            .and_then(|v| v.trim().parse::<u64>().ok());
        let Some(ttl) = ttl.filter(|t| (1..=MAX_TOKEN_TTL).contains(t)) else {
            return text(400, "Bad Request");
        };
        let token = format!("AQAEA{}", random_token());
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token.clone(), SystemTime::now() + Duration::from_secs(ttl));
        self.record().secrets.push(token.clone());
        let mut r = text(200, token);
        if let Ok(v) = ttl.to_string().parse() {
            r.headers_mut()
                .insert("x-aws-ec2-metadata-token-ttl-seconds", v);
        }
        r
    }

    fn metadata(&self, req: &Request<Incoming>, path: &str) -> Answer {
        if req.method() != Method::GET {
            return text(405, "Method Not Allowed");
        }
        match header(req, "x-aws-ec2-metadata-token") {
            Some(t) => {
                let valid = self
                    .tokens
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get(t)
                    .is_some_and(|until| SystemTime::now() < *until);
                if !valid {
                    return text(401, "Unauthorized");
                }
            }
            None if self.config.require_token => return text(401, "Unauthorized"),
            None => {}
        }
        let role = self.config.role.as_deref();
        match (path.trim_end_matches('/'), role) {
            (CREDENTIALS_DIR, Some(role)) => text(200, role.to_owned()),
            (p, Some(role))
                if p.strip_prefix(CREDENTIALS_DIR)
                    .and_then(|r| r.strip_prefix('/'))
                    == Some(role) =>
            {
                let c = self.issue();
                let now = fmt_iso8601(SystemTime::now());
                let doc = serde_json::json!({
                    "Code": "Success",
                    "LastUpdated": now,
                    "Type": "AWS-HMAC",
                    "AccessKeyId": c.access_key,
                    "SecretAccessKey": c.secret,
                    "Token": c.token,
                    "Expiration": fmt_iso8601(c.expires),
                });
                answer(
                    200,
                    "text/plain",
                    serde_json::to_string_pretty(&doc).unwrap_or_default(),
                )
            }
            ("/latest/meta-data/placement/region", _) => text(200, self.config.region.clone()),
            ("/latest/meta-data/placement/availability-zone", _) => {
                text(200, format!("{}a", self.config.region))
            }
            _ => text(404, "Not Found"),
        }
    }

    fn container(&self, req: &Request<Incoming>) -> Answer {
        if req.method() != Method::GET {
            return text(405, "Method Not Allowed");
        }
        if let Some(want) = &self.config.container_token {
            if header(req, "authorization") != Some(want.as_str()) {
                let doc = serde_json::json!({"code": "AccessDenied", "message": "The Authorization header does not match the expected token"});
                return answer(401, "application/json", doc.to_string());
            }
        }
        let c = self.issue();
        let role = self.config.role.as_deref().unwrap_or("s3up-test-role");
        let doc = serde_json::json!({
            "RoleArn": format!("arn:aws:iam::123456789012:role/{role}"),
            "AccessKeyId": c.access_key,
            "SecretAccessKey": c.secret,
            "Token": c.token,
            "Expiration": fmt_iso8601(c.expires),
        });
        answer(200, "application/json", doc.to_string())
    }

    async fn sts(&self, req: Request<Incoming>) -> Answer {
        let mut params = form(req.uri().query().unwrap_or_default());
        if req.method() == Method::POST {
            match Limited::new(req.into_body(), MAX_BODY).collect().await {
                Ok(body) => params.extend(form(&String::from_utf8_lossy(&body.to_bytes()))),
                Err(_) => return sts_error(413, "ValidationError", "Request body too large"),
            }
        } else if req.method() != Method::GET {
            return sts_error(405, "InvalidAction", "Use GET or POST");
        }
        let get = |k: &str| params.get(k).map(String::as_str).filter(|v| !v.is_empty());
        if get("Action") != Some("AssumeRoleWithWebIdentity") {
            return sts_error(
                400,
                "InvalidAction",
                "Could not find operation for this request",
            );
        }
        for (param, member) in [
            ("RoleArn", "roleArn"),
            ("RoleSessionName", "roleSessionName"),
            ("WebIdentityToken", "webIdentityToken"),
        ] {
            if get(param).is_none() {
                return sts_error(
                    400,
                    "ValidationError",
                    &format!("1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"),
                );
            }
        }
        if let Some(want) = &self.config.web_identity_token {
            if get("WebIdentityToken") != Some(want.as_str()) {
                return sts_error(400, "InvalidIdentityToken", "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)");
            }
        }
        let role_arn = get("RoleArn").unwrap_or_default();
        let session = get("RoleSessionName").unwrap_or_default();
        let c = self.issue();
        let role = role_arn.rsplit('/').next().unwrap_or("role");
        answer(
            200,
            "text/xml",
            format!(
                "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n\
                 <AssumeRoleWithWebIdentityResult>\n\
                 <SubjectFromWebIdentityToken>system:serviceaccount:default:s3up</SubjectFromWebIdentityToken>\n\
                 <Audience>sts.amazonaws.com</Audience>\n\
                 <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/{}/{}</Arn><AssumedRoleId>AROA3XFRBF535PLBIFPI4:{}</AssumedRoleId></AssumedRoleUser>\n\
                 <Credentials><SessionToken>{}</SessionToken><SecretAccessKey>{}</SecretAccessKey><Expiration>{}</Expiration><AccessKeyId>{}</AccessKeyId></Credentials>\n\
                 <Provider>oidc.eks.us-east-1.amazonaws.com/id/S3UPTEST</Provider>\n\
                 </AssumeRoleWithWebIdentityResult>\n\
                 <ResponseMetadata><RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId></ResponseMetadata>\n\
                 </AssumeRoleWithWebIdentityResponse>\n",
                escape(role),
                escape(session),
                escape(session),
                escape(&c.token),
                escape(&c.secret),
                fmt_iso8601(c.expires),
                escape(&c.access_key)
            ),
        )
    }
}

fn sts_error(status: u16, code: &str, message: &str) -> Answer {
    answer(
        status,
        "text/xml",
        format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n\
             <Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error>\n\
             <RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>\n</ErrorResponse>\n",
            escape(code),
            escape(message)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_forms() {
        let f = form("Action=AssumeRoleWithWebIdentity&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&RoleSessionName=a+b&x");
        assert_eq!(f["Action"], "AssumeRoleWithWebIdentity");
        assert_eq!(f["RoleArn"], "arn:aws:iam::1:role/r");
        assert_eq!(f["RoleSessionName"], "a b");
        assert_eq!(f["x"], "");
    }
}

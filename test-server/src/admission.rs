//! The small changes an admitted request needs before s3s sees it, where s3s 0.14.1 reads less
//! than S3 accepts: the gate decides them (it has read the request), the front door applies
//! them here. Nothing here refuses or verifies anything.

use crate::auth::FormSessionToken;
use crate::post_form::Form;

use http::{HeaderValue, Request, Uri};

/// What the front door changes in an admitted request before s3s sees it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Admission {
    /// An `X-Amz-Date` to add: the SigV4 request carries its time in `Date`, which S3 accepts
    /// and s3s 0.14.1 does not read.
    pub amz_date: Option<String>,
    /// Add `/` to the path: a SigV2 request to a path-style bucket signed for `/BUCKET/`
    /// (see `sigv2`).
    pub bucket_slash: bool,
    /// Headers a presigned URL carries as query parameters (its checksum), which S3 applies
    /// as if sent as headers and s3s 0.14.1 does not read.
    pub query_headers: Vec<(String, String)>,
}

impl Admission {
    /// The request as s3s must see it; a form upload's session token goes along for the
    /// access check (s3s does not pass form fields to it).
    pub fn apply(&self, mut req: Request<s3s::Body>, form: Option<&Form>) -> Request<s3s::Body> {
        if let Some(v) = self
            .amz_date
            .as_deref()
            .and_then(|d| HeaderValue::from_str(d).ok())
        {
            req.headers_mut().insert("x-amz-date", v);
        }
        for (name, value) in &self.query_headers {
            if let (Ok(n), Ok(v)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                req.headers_mut().insert(n, v);
            }
        }
        if self.bucket_slash {
            if let Some(uri) = with_slash(req.uri()) {
                *req.uri_mut() = uri;
            }
        }
        if let Some(token) = form.and_then(|f| f.get("x-amz-security-token")) {
            req.extensions_mut()
                .insert(FormSessionToken(token.to_owned()));
        }
        req
    }
}

/// `uri` with `/` after its path.
fn with_slash(uri: &Uri) -> Option<Uri> {
    let pq = match uri.query() {
        Some(q) => format!("{}/?{q}", uri.path()),
        None => format!("{}/", uri.path()),
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(pq.parse().ok()?);
    Uri::from_parts(parts).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_keeps_the_query() {
        let uri: Uri = "/bkt?location".parse().expect("uri");
        assert_eq!(with_slash(&uri).expect("uri").to_string(), "/bkt/?location");
        let uri: Uri = "/bkt".parse().expect("uri");
        assert_eq!(with_slash(&uri).expect("uri").to_string(), "/bkt/");
    }
}

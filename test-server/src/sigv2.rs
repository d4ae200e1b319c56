//! SigV2's string to sign, for the one choice s3s cannot make: which canonical resource a
//! path-style bucket request was signed with. S3 names a bucket `/BUCKET/` in its canonical
//! resource (the AWS docs' ListObjects example signs `/awsexamplebucket1/`), and clients sign
//! that for a path-style `/BUCKET` too (botocore: "the auth_path must be terminated with a
//! '/'"; s3cmd, the Java SDK); s3s 0.14.1 signs the literal path. The gate computes the
//! signature with the slash and, when it matches, the front door hands s3s the path with its
//! slash, so that s3s (which still verifies every signature) agrees. The literal path keeps
//! working as before.

use crate::auth::Keyring;
use crate::facts::{query_pairs, AuthType, RequestFacts};

use base64::Engine as _;
use http::{HeaderMap, Uri};
use ring::hmac;

/// Query parameters that are part of the canonical resource, in S3's (sorted) order.
const SUBRESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

fn header<'a>(hs: &'a HeaderMap, name: &str) -> &'a str {
    hs.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The SigV2 string to sign of a request, for canonical resource path `resource`.
fn string_to_sign(
    method: &str,
    hs: &HeaderMap,
    query: &[(String, String)],
    resource: &str,
    presigned: bool,
) -> String {
    let time = if presigned {
        query
            .iter()
            .find(|(k, _)| k == "Expires")
            .map_or("", |(_, v)| v.as_str())
    } else if hs.contains_key("x-amz-date") {
        ""
    } else {
        header(hs, "date")
    };
    let mut s = format!(
        "{method}\n{}\n{}\n{time}\n",
        header(hs, "content-md5"),
        header(hs, "content-type")
    );
    let mut names: Vec<&str> = hs
        .keys()
        .map(http::HeaderName::as_str)
        .filter(|n| n.starts_with("x-amz-"))
        .collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let values: Vec<&str> = hs
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::trim)
            .collect();
        s.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    s.push_str(resource);
    let mut sep = '?';
    for sub in SUBRESOURCES {
        if let Some((_, v)) = query.iter().find(|(k, _)| k == sub) {
            s.push(sep);
            s.push_str(sub);
            if !v.is_empty() {
                s.push('=');
                s.push_str(v);
            }
            sep = '&';
        }
    }
    s
}

/// base64 HMAC-SHA1 of `data` under `secret`: a SigV2 signature.
pub fn sign(secret: &str, data: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(hmac::sign(&key, data.as_bytes()).as_ref())
}

/// Whether a SigV2 request to a path-style `/BUCKET` was signed for `/BUCKET/`.
pub fn signed_with_bucket_slash(
    facts: &RequestFacts,
    method: &str,
    uri: &Uri,
    hs: &HeaderMap,
    keyring: &Keyring,
) -> bool {
    let (Some(bucket), None) = (&facts.bucket, &facts.key) else {
        return false;
    };
    if uri.path() != format!("/{bucket}") {
        return false;
    }
    let Some(secret) = facts
        .access_key
        .as_deref()
        .and_then(|ak| keyring.get(ak))
        .map(|k| k.secret)
    else {
        return false;
    };
    let query = query_pairs(uri);
    let presigned = facts.auth_type == AuthType::Query;
    let sent = if presigned {
        query
            .iter()
            .find(|(k, _)| k == "Signature")
            .map(|(_, v)| v.replace(' ', "+"))
    } else {
        hs.get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|a| a.rsplit_once(':'))
            .map(|(_, sig)| sig.trim().to_owned())
    };
    let sts = string_to_sign(method, hs, &query, &format!("/{bucket}/"), presigned);
    sent.is_some_and(|sent| sent == sign(&secret, &sts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn matches_the_aws_docs_examples() {
        // "Signing and authenticating REST requests": Object GET and the ListObjects example.
        let mut hs = HeaderMap::new();
        hs.insert(
            "date",
            HeaderValue::from_static("Tue, 27 Mar 2007 19:36:42 +0000"),
        );
        let sts = string_to_sign(
            "GET",
            &hs,
            &[],
            "/awsexamplebucket1/photos/puppy.jpg",
            false,
        );
        assert_eq!(
            sign("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", &sts),
            "qgk2+6Sv9/oM7G3qLEjTH1a1l1g="
        );
        let mut hs = HeaderMap::new();
        hs.insert(
            "date",
            HeaderValue::from_static("Tue, 27 Mar 2007 19:42:41 +0000"),
        );
        let query = [("prefix".to_owned(), "photos".to_owned())];
        let sts = string_to_sign("GET", &hs, &query, "/awsexamplebucket1/", false);
        assert_eq!(
            sign("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", &sts),
            "m0WP8eCtspQl5Ahe6L1SozdX9YA="
        );
    }

    #[test]
    fn amz_headers_and_subresources() {
        let mut hs = HeaderMap::new();
        hs.insert("x-amz-meta-b", HeaderValue::from_static(" 2 "));
        hs.append("x-amz-meta-a", HeaderValue::from_static("1"));
        hs.append("x-amz-meta-a", HeaderValue::from_static("3"));
        hs.insert(
            "x-amz-date",
            HeaderValue::from_static("Tue, 27 Mar 2007 19:42:41 +0000"),
        );
        hs.insert("date", HeaderValue::from_static("ignored"));
        let query = [
            ("uploads".to_owned(), String::new()),
            ("acl".to_owned(), String::new()),
            ("prefix".to_owned(), "p".to_owned()),
        ];
        assert_eq!(
            string_to_sign("POST", &hs, &query, "/b/k", false),
            "POST\n\n\n\nx-amz-date:Tue, 27 Mar 2007 19:42:41 +0000\nx-amz-meta-a:1,3\nx-amz-meta-b:2\n/b/k?acl&uploads"
        );
    }
}

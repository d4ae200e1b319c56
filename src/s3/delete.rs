//! Deleting objects: DeleteObject for one key, DeleteObjects for up to 1,000 keys a request, and
//! the DeleteObjects answer (which keys were deleted, which failed and why).
//! Docs: <https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html>

use base64::Engine;
use md5::Digest as _;

use super::ops::S3Request;
use super::xml::{self, escape};

/// S3's limit of keys in one DeleteObjects request.
pub const MAX_KEYS_PER_REQUEST: usize = 1000;

pub fn delete_object<'a>(bucket: &'a str, key: &'a str) -> S3Request<'a> {
    S3Request::new("DeleteObject", "DELETE", bucket, key)
}

/// One DeleteObjects request for `keys` (at most [`MAX_KEYS_PER_REQUEST`]). Not quiet: the
/// answer names every deleted key, so each deletion is confirmed rather than assumed. S3 refuses
/// the request without an integrity header; `Content-MD5` is the one every S3 server accepts.
pub fn delete_objects<'a>(bucket: &'a str, keys: &[&str]) -> S3Request<'a> {
    let mut doc = String::from("<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for key in keys {
        doc.push_str("<Object><Key>");
        doc.push_str(&escape(key));
        doc.push_str("</Key></Object>");
    }
    doc.push_str("</Delete>");
    let body = doc.into_bytes();
    let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(&body));
    let mut r = S3Request::new("DeleteObjects", "POST", bucket, "");
    r.query.push(("delete".into(), String::new()));
    r.headers.push(("content-md5".into(), md5));
    r.headers
        .push(("content-type".into(), "application/xml".into()));
    r.body = body.into();
    r
}

/// A key DeleteObjects could not delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    pub key: String,
    pub code: String,
    pub message: String,
}

/// The DeleteObjects answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeleteResult {
    pub deleted: Vec<String>,
    pub errors: Vec<KeyError>,
}

/// # Errors
/// The body is not a DeleteResult.
pub fn parse_delete_result(body: &[u8]) -> Result<DeleteResult, String> {
    let root = xml::parse(body)?;
    if root.name != "DeleteResult" {
        return Err(format!(
            "unexpected answer <{}> to DeleteObjects",
            root.name
        ));
    }
    let text = |n: &xml::Node, name: &str| n.child_text(name).unwrap_or_default().to_owned();
    Ok(DeleteResult {
        deleted: root
            .children_named("Deleted")
            .map(|d| text(d, "Key"))
            .collect(),
        errors: root
            .children_named("Error")
            .map(|e| KeyError {
                key: text(e, "Key"),
                code: text(e, "Code"),
                message: text(e, "Message"),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_lists_escaped_keys_with_their_md5() {
        let r = delete_objects("b", &["a&b", "c<d"]);
        let crate::body::Body::Bytes(body) = &r.body else {
            panic!("bytes body")
        };
        let text = String::from_utf8(body.to_vec()).expect("utf-8");
        assert!(text.contains("<Key>a&amp;b</Key>"), "{text}");
        assert!(text.contains("<Key>c&lt;d</Key>"), "{text}");
        let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(body));
        assert!(r.headers.contains(&("content-md5".into(), md5)));
        assert_eq!(r.query, [("delete".to_owned(), String::new())]);
    }

    #[test]
    fn parses_deleted_and_failed_keys() {
        let doc = br#"<DeleteResult><Deleted><Key>a</Key></Deleted><Error><Key>b</Key><Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>"#;
        let r = parse_delete_result(doc).expect("result");
        assert_eq!(r.deleted, ["a"]);
        assert_eq!(r.errors[0].key, "b");
        assert_eq!(r.errors[0].code, "AccessDenied");
        assert!(parse_delete_result(b"<ListBucketResult/>").is_err());
    }
}

//! The S3 operations s3up uses, as request values, and their answers parsed.
//! Docs: <https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html>

use super::xml::{self, escape, Node};
use crate::body::Body;
use crate::checksum::ChecksumAlgorithm;

/// One S3 request before addressing and signing. `key` is the decoded object key.
#[derive(Debug, Clone)]
pub struct S3Request<'a> {
    pub method: &'static str,
    pub bucket: &'a str,
    pub key: &'a str,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Body<'a>,
    /// A short name for logs and errors, e.g. `UploadPart`.
    pub operation: &'static str,
    /// S3 may answer 200 and put an `<Error>` in the body (it sends the status before it knows
    /// the outcome): then the body decides.
    pub error_in_success: bool,
}

impl<'a> S3Request<'a> {
    pub(crate) fn new(
        operation: &'static str,
        method: &'static str,
        bucket: &'a str,
        key: &'a str,
    ) -> Self {
        Self {
            method,
            bucket,
            key,
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::EMPTY,
            operation,
            error_in_success: false,
        }
    }

    fn query(mut self, k: &str, v: impl Into<String>) -> Self {
        self.query.push((k.to_owned(), v.into()));
        self
    }
}

/// Object metadata and settings from `cp`/`tar` flags, sent with PutObject and
/// CreateMultipartUpload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectOptions {
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_encoding: Option<String>,
    pub storage_class: Option<String>,
    pub sse: Option<String>,
    pub sse_kms_key_id: Option<String>,
    pub acl: Option<String>,
    pub metadata: Vec<(String, String)>,
    pub tagging: Option<String>,
}

impl ObjectOptions {
    pub fn headers(&self) -> Vec<(String, String)> {
        let mut h = Vec::new();
        let mut put = |name: &str, value: &Option<String>| {
            if let Some(v) = value {
                h.push((name.to_owned(), v.clone()));
            }
        };
        put("content-type", &self.content_type);
        put("cache-control", &self.cache_control);
        put("content-encoding", &self.content_encoding);
        put("x-amz-storage-class", &self.storage_class);
        put("x-amz-server-side-encryption", &self.sse);
        put(
            "x-amz-server-side-encryption-aws-kms-key-id",
            &self.sse_kms_key_id,
        );
        put("x-amz-acl", &self.acl);
        put("x-amz-tagging", &self.tagging);
        for (k, v) in &self.metadata {
            h.push((format!("x-amz-meta-{k}"), v.clone()));
        }
        h
    }
}

/// Checksum settings of one request: the algorithm and, for bodies, the value.
fn checksum_headers(checksum: Option<(ChecksumAlgorithm, &str)>) -> Vec<(String, String)> {
    checksum
        .map(|(a, v)| vec![(a.header(), v.to_owned())])
        .unwrap_or_default()
}

pub fn put_object<'a>(
    bucket: &'a str,
    key: &'a str,
    options: &ObjectOptions,
    checksum: Option<(ChecksumAlgorithm, &str)>,
    body: impl Into<Body<'a>>,
) -> S3Request<'a> {
    let mut r = S3Request::new("PutObject", "PUT", bucket, key);
    r.headers = options.headers();
    r.headers.extend(checksum_headers(checksum));
    r.body = body.into();
    r
}

pub fn create_multipart_upload<'a>(
    bucket: &'a str,
    key: &'a str,
    options: &ObjectOptions,
    checksum: Option<ChecksumAlgorithm>,
) -> S3Request<'a> {
    let mut r = S3Request::new("CreateMultipartUpload", "POST", bucket, key).query("uploads", "");
    r.headers = options.headers();
    if let Some(a) = checksum {
        r.headers
            .push(("x-amz-checksum-algorithm".into(), a.name().into()));
        if a.supports_full_object() {
            r.headers
                .push(("x-amz-checksum-type".into(), "FULL_OBJECT".into()));
        }
    }
    r
}

pub fn upload_part<'a>(
    bucket: &'a str,
    key: &'a str,
    upload_id: &str,
    part_number: u32,
    checksum: Option<(ChecksumAlgorithm, &str)>,
    body: impl Into<Body<'a>>,
) -> S3Request<'a> {
    let mut r = S3Request::new("UploadPart", "PUT", bucket, key)
        .query("partNumber", part_number.to_string())
        .query("uploadId", upload_id);
    r.headers = checksum_headers(checksum);
    r.body = body.into();
    r
}

/// A part as CompleteMultipartUpload lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    pub number: u32,
    pub etag: String,
    pub checksum: Option<(ChecksumAlgorithm, String)>,
}

/// The CompleteMultipartUpload body; parts must be sorted by number (explicit numbers, never
/// positions).
pub fn complete_body(parts: &[CompletedPart]) -> Vec<u8> {
    let mut doc =
        String::from("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">");
    for p in parts {
        doc.push_str(&format!(
            "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag>",
            p.number,
            escape(&p.etag)
        ));
        if let Some((a, v)) = &p.checksum {
            let el = a.element();
            doc.push_str(&format!("<{el}>{}</{el}>", escape(v)));
        }
        doc.push_str("</Part>");
    }
    doc.push_str("</CompleteMultipartUpload>");
    doc.into_bytes()
}

pub fn complete_multipart_upload<'a>(
    bucket: &'a str,
    key: &'a str,
    upload_id: &str,
    full_object_checksum: Option<(ChecksumAlgorithm, &str)>,
    parts: &[CompletedPart],
) -> S3Request<'a> {
    let mut r =
        S3Request::new("CompleteMultipartUpload", "POST", bucket, key).query("uploadId", upload_id);
    if let Some((a, v)) = full_object_checksum {
        if a.supports_full_object() {
            r.headers.push((a.header(), v.to_owned()));
            r.headers
                .push(("x-amz-checksum-type".into(), "FULL_OBJECT".into()));
        }
    }
    r.headers
        .push(("content-type".into(), "application/xml".into()));
    r.body = complete_body(parts).into();
    r.error_in_success = true;
    r
}

pub fn abort_multipart_upload<'a>(bucket: &'a str, key: &'a str, upload_id: &str) -> S3Request<'a> {
    S3Request::new("AbortMultipartUpload", "DELETE", bucket, key).query("uploadId", upload_id)
}

pub fn list_multipart_uploads<'a>(
    bucket: &'a str,
    prefix: &str,
    key_marker: Option<&str>,
    upload_id_marker: Option<&str>,
) -> S3Request<'a> {
    let mut r = S3Request::new("ListMultipartUploads", "GET", bucket, "").query("uploads", "");
    if !prefix.is_empty() {
        r = r.query("prefix", prefix);
    }
    if let Some(m) = key_marker {
        r = r.query("key-marker", m);
    }
    if let Some(m) = upload_id_marker {
        r = r.query("upload-id-marker", m);
    }
    r
}

pub fn head_object<'a>(bucket: &'a str, key: &'a str) -> S3Request<'a> {
    let mut r = S3Request::new("HeadObject", "HEAD", bucket, key);
    r.headers
        .push(("x-amz-checksum-mode".into(), "ENABLED".into()));
    r
}

pub fn get_object<'a>(bucket: &'a str, key: &'a str) -> S3Request<'a> {
    S3Request::new("GetObject", "GET", bucket, key)
}

/// HeadObject of one part of a multipart object: its size and (checksum mode) its checksum.
pub fn head_object_part<'a>(bucket: &'a str, key: &'a str, part_number: u32) -> S3Request<'a> {
    let mut r = head_object(bucket, key).query("partNumber", part_number.to_string());
    r.operation = "HeadObject";
    r
}

/// A GET of bytes `first..=last` of the version whose ETag is `etag` (`If-Match`: a changed
/// object answers 412 instead of mixing two versions).
pub fn get_object_range<'a>(
    bucket: &'a str,
    key: &'a str,
    first: u64,
    last: u64,
    etag: &str,
) -> S3Request<'a> {
    let mut r = get_object(bucket, key);
    r.headers
        .push(("range".into(), format!("bytes={first}-{last}")));
    r.headers.push(("if-match".into(), etag.to_owned()));
    r
}

pub fn head_bucket(bucket: &str) -> S3Request<'_> {
    S3Request::new("HeadBucket", "HEAD", bucket, "")
}

pub fn list_buckets<'a>() -> S3Request<'a> {
    S3Request::new("ListBuckets", "GET", "", "")
}

/// `<UploadId>` of an InitiateMultipartUploadResult.
///
/// # Errors
/// The body is not that document.
pub fn parse_upload_id(body: &[u8]) -> Result<String, String> {
    let root = xml::parse(body)?;
    root.child_text("UploadId")
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| "CreateMultipartUpload answer has no UploadId".to_owned())
}

/// What CompleteMultipartUpload reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed {
    pub etag: String,
    pub checksum: Option<String>,
}

/// # Errors
/// The body is not a CompleteMultipartUploadResult (S3 may answer 200 with an `<Error>` body;
/// the caller checks for that first).
pub fn parse_complete(
    body: &[u8],
    algorithm: Option<ChecksumAlgorithm>,
) -> Result<Completed, String> {
    let root = xml::parse(body)?;
    if root.name != "CompleteMultipartUploadResult" {
        return Err(format!(
            "unexpected answer <{}> to CompleteMultipartUpload",
            root.name
        ));
    }
    Ok(Completed {
        etag: root.child_text("ETag").unwrap_or_default().to_owned(),
        checksum: algorithm.and_then(|a| root.child_text(&a.element()).map(str::to_owned)),
    })
}

/// An unfinished multipart upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUpload {
    pub key: String,
    pub upload_id: String,
    pub initiated: String,
}

/// One page of ListMultipartUploads: the uploads and, when truncated, the next markers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UploadsPage {
    pub uploads: Vec<PendingUpload>,
    pub next: Option<(String, String)>,
}

/// # Errors
/// The body is not a ListMultipartUploadsResult.
pub fn parse_list_uploads(body: &[u8]) -> Result<UploadsPage, String> {
    let root = xml::parse(body)?;
    if root.name != "ListMultipartUploadsResult" {
        return Err(format!(
            "unexpected answer <{}> to ListMultipartUploads",
            root.name
        ));
    }
    let uploads = root
        .children_named("Upload")
        .map(|u: &Node| PendingUpload {
            key: u.child_text("Key").unwrap_or_default().to_owned(),
            upload_id: u.child_text("UploadId").unwrap_or_default().to_owned(),
            initiated: u.child_text("Initiated").unwrap_or_default().to_owned(),
        })
        .collect();
    let next = (root.child_text("IsTruncated") == Some("true")).then(|| {
        (
            root.child_text("NextKeyMarker")
                .unwrap_or_default()
                .to_owned(),
            root.child_text("NextUploadIdMarker")
                .unwrap_or_default()
                .to_owned(),
        )
    });
    Ok(UploadsPage { uploads, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_body_lists_explicit_numbers() {
        let parts = [
            CompletedPart {
                number: 1,
                etag: "\"a\"".into(),
                checksum: None,
            },
            CompletedPart {
                number: 3,
                etag: "\"b&\"".into(),
                checksum: Some((ChecksumAlgorithm::Crc32, "AAAA".into())),
            },
        ];
        let body = String::from_utf8(complete_body(&parts)).expect("utf-8");
        assert!(body.contains("<PartNumber>3</PartNumber><ETag>&quot;b&amp;&quot;</ETag><ChecksumCRC32>AAAA</ChecksumCRC32>"), "{body}");
    }

    #[test]
    fn parses_uploads_page() {
        let doc = br#"<ListMultipartUploadsResult><Bucket>b</Bucket><IsTruncated>true</IsTruncated><NextKeyMarker>k2</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker><Upload><Key>k1</Key><UploadId>u1</UploadId><Initiated>2026-01-01T00:00:00.000Z</Initiated></Upload></ListMultipartUploadsResult>"#;
        let page = parse_list_uploads(doc).expect("page");
        assert_eq!(page.uploads.len(), 1);
        assert_eq!(page.uploads[0].upload_id, "u1");
        assert_eq!(page.next, Some(("k2".into(), "u2".into())));
    }
}

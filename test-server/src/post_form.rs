//! Browser-form POST uploads, read before s3s sees them: their signature, policy and key are
//! form fields in the body, ahead of the file. This reads the body up to the file part (at most
//! [`MAX_PRE_DATA`] bytes), parses those fields, and hands back a body that replays every byte,
//! so that s3s stores exactly what was sent; the request's facts learn what the form says
//! (signature, key). It judges nothing; `post_policy` does.

use crate::facts::{RequestFacts, SigVersion};
use crate::gate::{reject, Rejection};

use bytes::Bytes;
use http::{HeaderMap, Method, Request};
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::BodyExt as _;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Most bytes of form fields S3 reads before the file (`MaxPostPreDataLengthExceeded` past it).
pub const MAX_PRE_DATA: usize = 20 * 1024;

/// The fields of a form upload that precede its file.
#[derive(Debug, Clone, Default)]
pub struct Form {
    /// Field names lower-cased (S3 matches them case-insensitively), values as sent, in order.
    pub fields: Vec<(String, String)>,
    /// The file part's `filename`, which replaces `${filename}` in the key.
    pub filename: Option<String>,
}

impl Form {
    /// The first value of field `name` (lower-case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The signature scheme the fields use: SigV4 as soon as one of its fields is present.
    pub fn signature(&self) -> SigVersion {
        const V4: [&str; 4] = [
            "x-amz-signature",
            "x-amz-algorithm",
            "x-amz-credential",
            "x-amz-date",
        ];
        if V4.iter().any(|f| self.get(f).is_some()) {
            SigVersion::V4
        } else if self.get("signature").is_some() || self.get("awsaccesskeyid").is_some() {
            SigVersion::V2
        } else {
            SigVersion::None
        }
    }

    /// Whether the form claims to be authenticated (a signature field or a policy).
    pub fn is_signed(&self) -> bool {
        self.signature() != SigVersion::None || self.get("policy").is_some()
    }

    /// The object key, with `${filename}` replaced by the file's name.
    pub fn key(&self) -> Option<String> {
        let key = self.get("key")?;
        Some(key.replace("${filename}", self.filename.as_deref().unwrap_or("")))
    }
}

/// The multipart boundary of a `multipart/form-data` content type.
pub fn boundary(headers: &HeaderMap) -> Option<String> {
    let ct = headers.get(http::header::CONTENT_TYPE)?.to_str().ok()?;
    let mut parts = ct.split(';');
    let mime = parts.next()?.trim();
    if !mime.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    parts.find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

fn malformed() -> Rejection {
    reject(
        400,
        "MalformedPOSTRequest",
        "The body of your POST request is not well-formed multipart/form-data.",
    )
}

fn too_large() -> Rejection {
    reject(
        400,
        "MaxPostPreDataLengthExceeded",
        "Your POST request fields preceding the upload file were too large.",
    )
}

/// Reads the fields before the file from `body`. Returns them with a body that replays all
/// bytes, or the refusal to send.
///
/// # Errors
/// The form is malformed, has no file, or its fields exceed [`MAX_PRE_DATA`].
pub async fn read(mut body: s3s::Body, boundary: &str) -> Result<(Form, s3s::Body), Rejection> {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        match parse(&buf, boundary)? {
            Some(form) => {
                let replay = Replay {
                    prefix: Some(Bytes::from(buf)),
                    rest: body,
                };
                return Ok((form, s3s::Body::http_body_unsync(replay)));
            }
            None if buf.len() > MAX_PRE_DATA => return Err(too_large()),
            None => {}
        }
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    buf.extend_from_slice(&data);
                }
            }
            Some(Err(_)) => return Err(malformed()),
            None => {
                return Err(match parse_complete(&buf, boundary) {
                    Some(()) => reject(
                        400,
                        "IncorrectNumberOfFilesInPostRequest",
                        "POST requires exactly one file upload per request.",
                    ),
                    None => malformed(),
                })
            }
        }
    }
}

/// For a browser-form POST upload (a `multipart/form-data` POST to a bucket): reads its fields
/// into `facts` and returns them (or the refusal of a malformed form) with the request, which
/// keeps every byte for s3s. Other requests come back untouched.
pub async fn read_request(
    req: Request<s3s::Body>,
    facts: &mut RequestFacts,
) -> (Request<s3s::Body>, Option<Result<Form, Rejection>>) {
    let upload = req.method() == Method::POST && facts.bucket.is_some() && facts.key.is_none();
    let Some(boundary) = upload.then(|| boundary(req.headers())).flatten() else {
        return (req, None);
    };
    let (parts, body) = req.into_parts();
    match read(body, &boundary).await {
        Ok((form, body)) => {
            facts.apply_form(Some(&form));
            (Request::from_parts(parts, body), Some(Ok(form)))
        }
        Err(rejection) => {
            facts.apply_form(None);
            let empty = Request::from_parts(parts, s3s::Body::empty());
            (empty, Some(Err(rejection)))
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `Some(())` when `buf` is a whole form that ended without a file part.
fn parse_complete(buf: &[u8], boundary: &str) -> Option<()> {
    find(buf, format!("--{boundary}--").as_bytes()).map(|_| ())
}

/// One part's `Content-Disposition` name and filename.
fn disposition(head: &str) -> Option<(String, Option<String>)> {
    let line = head.lines().find(|l| {
        l.split_once(':')
            .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("content-disposition"))
    })?;
    let params = line.split_once(':')?.1;
    let mut name = None;
    let mut filename = None;
    for p in params.split(';').map(str::trim) {
        if let Some((k, v)) = p.split_once('=') {
            let v = v.trim().trim_matches('"').to_owned();
            match k.trim().to_ascii_lowercase().as_str() {
                "name" => name = Some(v),
                "filename" => filename = Some(v),
                _ => {}
            }
        }
    }
    Some((name?, filename))
}

/// Parses the fields up to the file part: `Ok(None)` when more bytes are needed.
fn parse(buf: &[u8], boundary: &str) -> Result<Option<Form>, Rejection> {
    let delimiter = format!("--{boundary}");
    let Some(start) = find(buf, delimiter.as_bytes()) else {
        return Ok(None);
    };
    let mut rest = &buf[start + delimiter.len()..];
    let mut form = Form::default();
    loop {
        if rest.len() < 2 {
            return Ok(None);
        }
        if rest.starts_with(b"--") {
            // The closing delimiter before any file part.
            return Err(reject(
                400,
                "IncorrectNumberOfFilesInPostRequest",
                "POST requires exactly one file upload per request.",
            ));
        }
        rest = rest.strip_prefix(b"\r\n").ok_or_else(malformed)?;
        let Some(head_end) = find(rest, b"\r\n\r\n") else {
            return Ok(None);
        };
        let head = std::str::from_utf8(&rest[..head_end]).map_err(|_| malformed())?;
        let (name, filename) = disposition(head).ok_or_else(malformed)?;
        rest = &rest[head_end + 4..];
        if name.eq_ignore_ascii_case("file") {
            if buf.len() - rest.len() > MAX_PRE_DATA {
                return Err(too_large());
            }
            form.filename = filename;
            return Ok(Some(form));
        }
        let end_marker = format!("\r\n{delimiter}");
        let Some(value_end) = find(rest, end_marker.as_bytes()) else {
            return Ok(None);
        };
        let value = std::str::from_utf8(&rest[..value_end]).map_err(|_| malformed())?;
        form.fields
            .push((name.to_ascii_lowercase(), value.to_owned()));
        rest = &rest[value_end + end_marker.len()..];
    }
}

/// The bytes read ahead, then the rest of the body.
struct Replay {
    prefix: Option<Bytes>,
    rest: s3s::Body,
}

impl HttpBody for Replay {
    type Data = Bytes;
    type Error = s3s::StdError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, s3s::StdError>>> {
        if let Some(prefix) = self.prefix.take() {
            return Poll::Ready(Some(Ok(Frame::data(prefix))));
        }
        Pin::new(&mut self.rest).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.prefix.is_none() && self.rest.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let ahead = self.prefix.as_ref().map_or(0, |p| p.len() as u64);
        let rest = self.rest.size_hint();
        let mut hint = SizeHint::new();
        hint.set_lower(rest.lower() + ahead);
        if let Some(upper) = rest.upper() {
            hint.set_upper(upper + ahead);
        }
        hint
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(parts: &[(&str, &str)], file: bool) -> Vec<u8> {
        let mut b = String::from("\r\n");
        for (n, v) in parts {
            b.push_str(&format!(
                "--XyZ\r\nContent-Disposition: form-data; name=\"{n}\"\r\n\r\n{v}\r\n"
            ));
        }
        if file {
            b.push_str("--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a b.txt\"\r\nContent-Type: text/plain\r\n\r\nDATA\r\n");
        }
        b.push_str("--XyZ--\r\n");
        b.into_bytes()
    }

    #[test]
    fn fields_before_the_file_with_lowercased_names() {
        let raw = form(&[("Key", "u/${filename}"), ("Policy", "p\r\nq")], true);
        let f = parse(&raw, "XyZ").expect("valid").expect("complete");
        assert_eq!(f.get("key"), Some("u/${filename}"));
        assert_eq!(f.get("policy"), Some("p\r\nq"));
        assert_eq!(f.key().as_deref(), Some("u/a b.txt"));
        assert_eq!(f.signature(), SigVersion::None);
        assert!(f.is_signed());
    }

    #[test]
    fn incomplete_missing_file_and_garbage() {
        let raw = form(&[("key", "k")], true);
        for cut in [0, 5, 30, 60] {
            assert!(
                matches!(parse(&raw[..cut], "XyZ"), Ok(None)),
                "cut at {cut}"
            );
        }
        let no_file = form(&[("key", "k")], false);
        let err = parse(&no_file, "XyZ").expect_err("no file");
        assert_eq!(err.doc.code, "IncorrectNumberOfFilesInPostRequest");
        let err = parse(b"--XyZ\r\nnot a header\r\n\r\nx", "XyZ").expect_err("garbage");
        assert_eq!(err.doc.code, "MalformedPOSTRequest");
    }

    #[test]
    fn boundary_from_content_type() {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("Multipart/Form-Data; boundary=\"a b\""),
        );
        assert_eq!(boundary(&h).as_deref(), Some("a b"));
        h.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/xml"),
        );
        assert_eq!(boundary(&h), None);
    }
}

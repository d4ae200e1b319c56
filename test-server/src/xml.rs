//! S3 error documents: writes the `<Error>` XML the front door answers with before s3s runs
//! (with S3's extra elements such as `<ServerTime>`), and reads the `<Code>` back out of any
//! response body for the access log; the URL encoding of keys in listings and logs. Strings
//! only; never does I/O.

/// What URL encoding leaves as it is (as S3 encodes keys: `+` and space are encoded, so both
/// `unquote` and `unquote_plus` decoders get the key back).
const URL_KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// A key URL-encoded as S3 writes it in listings (`encoding-type=url`) and access logs.
pub fn url_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, URL_KEEP).to_string()
}

/// Escapes text for an XML element.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

/// An S3 error document.
#[derive(Debug, Clone)]
pub struct ErrorDoc {
    /// S3 error code, e.g. `RequestTimeTooSkewed`.
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// Extra elements after `<Message>`, in order (e.g. `RequestTime`, `ServerTime`).
    pub extra: Vec<(&'static str, String)>,
}

impl ErrorDoc {
    /// An error with a code and message and no extra elements.
    pub fn new(code: &str, message: &str) -> Self {
        Self {
            code: code.to_owned(),
            message: message.to_owned(),
            extra: Vec::new(),
        }
    }

    /// Adds an element after `<Message>`.
    #[must_use]
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extra.push((name, value.into()));
        self
    }

    /// The document, with `<RequestId>` and `<HostId>` last as S3 writes them.
    pub fn render(&self, request_id: &str, host_id: &str) -> String {
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>");
        push_elem(&mut s, "Code", &self.code);
        push_elem(&mut s, "Message", &self.message);
        for (name, value) in &self.extra {
            push_elem(&mut s, name, value);
        }
        push_elem(&mut s, "RequestId", request_id);
        push_elem(&mut s, "HostId", host_id);
        s.push_str("</Error>");
        s
    }
}

fn push_elem(s: &mut String, name: &str, value: &str) {
    s.push('<');
    s.push_str(name);
    s.push('>');
    s.push_str(&escape(value));
    s.push_str("</");
    s.push_str(name);
    s.push('>');
}

/// Undoes [`escape`].
pub fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Text of the first `<name>` element inside an `<Error>` document anywhere in `body`.
fn error_field(body: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let rest = &text[text.find("<Error>")?..];
    let open = format!("<{name}>");
    let start = rest.find(&open)? + open.len();
    let end = rest[start..].find(&format!("</{name}>"))? + start;
    let value = unescape(rest[start..end].trim());
    (!value.is_empty()).then_some(value)
}

/// The `<Code>` of an `<Error>` document anywhere in `body` (S3 may send it after keep-alive
/// whitespace in a 200 answer), or `None`.
pub fn error_code(body: &[u8]) -> Option<String> {
    error_field(body, "Code")
}

/// The `<Message>` of an `<Error>` document in `body`.
pub fn error_message(body: &[u8]) -> Option<String> {
    error_field(body, "Message")
}

/// S3's wording for codes s3s sends without a message.
pub fn default_message(code: &str) -> &'static str {
    match code {
        "SignatureDoesNotMatch" => {
            "The request signature we calculated does not match the signature you provided. Check your key and signing method."
        }
        "InvalidAccessKeyId" => "The AWS Access Key Id you provided does not exist in our records.",
        "AccessDenied" => "Access Denied",
        "NoSuchKey" => "The specified key does not exist.",
        "NoSuchBucket" => "The specified bucket does not exist",
        "NoSuchUpload" => "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        "RequestTimeTooSkewed" => "The difference between the request time and the current time is too large.",
        "MethodNotAllowed" => "The specified method is not allowed against this resource.",
        "NotImplemented" => "A header you provided implies functionality that is not implemented.",
        "InvalidRange" => "The requested range is not satisfiable",
        "MissingContentLength" => "You must provide the Content-Length HTTP header.",
        "InternalError" => "We encountered an internal error. Please try again.",
        _ => "The request could not be processed.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_and_parse_round_trip() {
        let doc = ErrorDoc::new("RequestTimeTooSkewed", "a < b")
            .with("ServerTime", "2019-02-06T00:00:38Z");
        let xml = doc.render("RID", "HID");
        assert!(xml.contains("<Message>a &lt; b</Message><ServerTime>2019-02-06T00:00:38Z</ServerTime><RequestId>RID"));
        assert_eq!(
            error_code(xml.as_bytes()).as_deref(),
            Some("RequestTimeTooSkewed")
        );
    }

    #[test]
    fn message_is_unescaped() {
        let xml = ErrorDoc::new("X", "a \"b\" & c").render("r", "h");
        assert_eq!(
            error_message(xml.as_bytes()).as_deref(),
            Some("a \"b\" & c")
        );
        assert_eq!(error_message(b"<Error><Code>X</Code></Error>"), None);
    }

    #[test]
    fn code_after_keep_alive_whitespace() {
        let body = b"    \n<?xml version=\"1.0\"?><Error><Code>InternalError</Code></Error>";
        assert_eq!(error_code(body).as_deref(), Some("InternalError"));
        assert_eq!(error_code(b"<CompleteMultipartUploadResult/>"), None);
    }
}

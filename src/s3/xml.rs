//! The few S3 XML documents s3up reads and writes, over a small element tree.
//! Parsing is total: malformed input is an error value, never a panic.

use quick_xml::events::Event;
use quick_xml::Reader;

/// An element: its local name, its text, its child elements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// Parses a document into its root element.
///
/// # Errors
/// A description of the first syntax error, or "empty document".
pub fn parse(doc: &[u8]) -> Result<Node, String> {
    let mut reader = Reader::from_reader(doc);
    let mut stack: Vec<Node> = Vec::new();
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => {
                stack.push(Node {
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    ..Node::default()
                });
                if stack.len() > 64 {
                    return Err("XML nested too deeply".into());
                }
            }
            Ok(Event::Empty(e)) => {
                let node = Node {
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    ..Node::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => return Ok(node),
                }
            }
            Ok(Event::Text(t)) => {
                if let Some(top) = stack.last_mut() {
                    let text = t.unescape().map_err(|e| format!("bad XML text: {e}"))?;
                    top.text.push_str(&text);
                }
            }
            Ok(Event::CData(t)) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Ok(Event::End(_)) => {
                let node = stack.pop().ok_or("unbalanced XML end tag")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => return Ok(node),
                }
            }
            Ok(Event::Eof) => {
                return Err(if stack.is_empty() {
                    "empty document".into()
                } else {
                    "XML document ends early".into()
                })
            }
            Ok(_) => {}
            Err(e) => return Err(format!("bad XML at byte {}: {e}", reader.buffer_position())),
        }
        buf.clear();
    }
}

/// S3's `<Error>` document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    pub request_id: String,
    /// `<Region>` on wrong-region answers.
    pub region: Option<String>,
    /// `<ServerTime>` on RequestTimeTooSkewed.
    pub server_time: Option<String>,
}

/// The `<Error>` document in `body`, if the body is one (also inside a 200 answer).
pub fn error_body(body: &[u8]) -> Option<ErrorBody> {
    let root = parse(body).ok()?;
    if root.name != "Error" {
        return None;
    }
    let text = |n: &str| root.child_text(n).map(str::to_owned);
    Some(ErrorBody {
        code: text("Code").unwrap_or_default(),
        message: text("Message").unwrap_or_default(),
        request_id: text("RequestId").unwrap_or_default(),
        region: text("Region"),
        server_time: text("ServerTime"),
    })
}

pub fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_error_documents() {
        let doc = br#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature &amp; more</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>"#;
        let e = error_body(doc).expect("error body");
        assert_eq!(e.code, "SignatureDoesNotMatch");
        assert_eq!(e.message, "The request signature & more");
        assert_eq!(e.request_id, "4442587FB7D0A2F9");
        assert!(error_body(b"<CompleteMultipartUploadResult/>").is_none());
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for doc in [
            &b""[..],
            b"<a>",
            b"</a>",
            b"<a><b></a>",
            b"\xff\xfe",
            b"<a>&bogus;</a>",
        ] {
            let _ = parse(doc);
        }
        assert!(parse(b"<a>").is_err());
    }
}

//! A reader of the AWS shared config and credentials file format, as tolerant as aws-cli's
//! (Python `configparser` plus botocore's one level of nested sections): `#`/`;` comment lines,
//! inline comments after whitespace, `=` or `:` between key and value, any spacing, keys
//! case-insensitive, `s3 =` followed by indented `key = value` lines as a nested section, and
//! other indented lines continuing the value above (an indented `key = value` under a value is
//! taken as the next key, more tolerant than configparser).
//!
//! Pure: it parses text it is given and never reads a file or the environment. Errors name the
//! file and line.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Where a setting was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub path: PathBuf,
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.line)
    }
}

/// A value: plain text, or a nested section (`s3 =` followed by indented `key = value` lines).
#[derive(Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Nested(BTreeMap<String, (String, Origin)>),
}

/// One setting and where it came from.
#[derive(Clone, PartialEq, Eq)]
pub struct Entry {
    pub value: Value,
    pub origin: Origin,
}

/// A `[section]` and its settings (keys lower-cased; a repeated key keeps the last value).
#[derive(Clone, PartialEq, Eq)]
pub struct Section {
    /// The text between the brackets, trimmed, inner runs of spaces collapsed to one.
    pub name: String,
    pub entries: BTreeMap<String, Entry>,
}

// Values may be secrets: Debug shows the section and key names only.
impl fmt::Debug for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Section")
            .field("name", &self.name)
            .field("keys", &self.entries.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A line the parser cannot make sense of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub origin: Origin,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.message)
    }
}

/// The key whose value indented lines continue.
struct Open {
    key: String,
    indent: usize,
    /// The value is empty: indented lines below form a nested section.
    nested: bool,
    /// Continuation lines seen so far (`key =` + indented lines: a nested section).
    lines: Vec<(String, usize)>,
}

/// Parses the whole file text. Sections with the same name are merged, later values winning.
///
/// # Errors
/// The first line that is neither a comment, a `[section]`, a `key = value` inside a section,
/// nor an indented continuation; or a nested line without `=`.
pub fn parse(text: &str, path: &Path) -> Result<Vec<Section>, ParseError> {
    let at = |line: usize, message: String| ParseError {
        origin: Origin {
            path: path.to_owned(),
            line,
        },
        message,
    };
    let mut sections: Vec<Section> = Vec::new();
    let mut open: Option<Open> = None;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let line = if number == 1 {
            line.trim_start_matches('\u{feff}')
        } else {
            line
        };
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if let Some(o) = open.as_mut().filter(|o| indent > o.indent) {
            // Under `key =` a nested section; under a value, a `key = value` line is taken as
            // the next key (odd indentation), anything else continues the value.
            if o.nested || split_key_value(trimmed).is_none() {
                o.lines
                    .push((strip_inline_comment(trimmed).to_owned(), number));
                continue;
            }
        }
        if let (Some(o), Some(section)) = (open.take(), sections.last_mut()) {
            close(o, section, path)?;
        }
        if trimmed.starts_with('[') {
            let header = strip_inline_comment(trimmed);
            let name = section_name(header).ok_or_else(|| {
                at(
                    number,
                    format!("cannot parse section header '{trimmed}': expected [NAME]"),
                )
            })?;
            match sections.iter().position(|s| s.name == name) {
                // A repeated section continues the earlier one: move it last.
                Some(i) => {
                    let s = sections.remove(i);
                    sections.push(s);
                }
                None => sections.push(Section {
                    name,
                    entries: BTreeMap::new(),
                }),
            }
            continue;
        }
        let Some((key, value)) = split_key_value(trimmed) else {
            return Err(at(
                number,
                format!(
                    "cannot parse '{}': expected KEY = VALUE or [SECTION]",
                    shorten(trimmed)
                ),
            ));
        };
        let Some(section) = sections.last_mut() else {
            return Err(at(
                number,
                format!("'{key}' is set before any [section] header"),
            ));
        };
        let key = key.to_ascii_lowercase();
        section.entries.insert(
            key.clone(),
            Entry {
                value: Value::Text(strip_inline_comment(value).to_owned()),
                origin: Origin {
                    path: path.to_owned(),
                    line: number,
                },
            },
        );
        open = Some(Open {
            nested: value.is_empty(),
            key,
            indent,
            lines: Vec::new(),
        });
    }
    if let (Some(o), Some(section)) = (open, sections.last_mut()) {
        close(o, section, path)?;
    }
    Ok(sections)
}

/// Folds the continuation lines of `open` into its entry: under an empty value they form a
/// nested section, otherwise they continue the text (joined by newlines, as configparser does).
fn close(open: Open, section: &mut Section, path: &Path) -> Result<(), ParseError> {
    let Some(entry) = section.entries.get_mut(&open.key) else {
        return Ok(());
    };
    if open.lines.is_empty() {
        return Ok(());
    }
    let Value::Text(text) = &mut entry.value else {
        return Ok(());
    };
    if !text.is_empty() {
        for (l, _) in &open.lines {
            text.push('\n');
            text.push_str(l);
        }
        return Ok(());
    }
    let mut nested = BTreeMap::new();
    for (l, number) in open.lines {
        let origin = Origin {
            path: path.to_owned(),
            line: number,
        };
        let Some((k, v)) = l.split_once('=') else {
            return Err(ParseError {
                origin,
                message: format!(
                    "cannot parse '{}' in the nested '{}' section: expected KEY = VALUE",
                    shorten(&l),
                    open.key
                ),
            });
        };
        nested.insert(k.trim().to_ascii_lowercase(), (v.trim().to_owned(), origin));
    }
    entry.value = Value::Nested(nested);
    Ok(())
}

/// `[ profile   name ] ; comment` → `profile name`.
fn section_name(line: &str) -> Option<String> {
    let inner = &line[1..line.rfind(']')?];
    let name = inner.split_whitespace().collect::<Vec<_>>().join(" ");
    (!name.is_empty()).then_some(name)
}

/// Splits at the first `=` or `:` (configparser's delimiters); the key must not be empty.
fn split_key_value(line: &str) -> Option<(&str, &str)> {
    let at = line.find(['=', ':'])?;
    let key = line[..at].trim();
    (!key.is_empty()).then(|| (key, line[at + 1..].trim()))
}

/// Drops a `#` or `;` comment that follows whitespace (AWS keys and values never hold one).
fn strip_inline_comment(value: &str) -> &str {
    let bytes = value.as_bytes();
    for i in 1..bytes.len() {
        if matches!(bytes[i], b'#' | b';') && bytes[i - 1].is_ascii_whitespace() {
            return value[..i].trim_end();
        }
    }
    value
}

/// A line quoted in an error, cut short (it may hold a secret after the first few characters).
fn shorten(line: &str) -> String {
    let mut s: String = line.chars().take(24).collect();
    if s.len() < line.len() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Vec<Section> {
        parse(text, Path::new("cfg")).expect("parses")
    }

    fn text<'a>(s: &'a Section, key: &str) -> &'a str {
        match &s.entries[key].value {
            Value::Text(t) => t,
            Value::Nested(_) => panic!("nested"),
        }
    }

    #[test]
    fn reads_what_aws_configure_writes_and_odd_spacing() {
        let s = parse_ok(
            "\u{feff}# comment\r\n[default]\r\nregion=eu-west-1\r\n\n  ; indented comment\n\
             [  profile   dev  ]   # trailing\nRegion :  us-west-2   # inline\n\
             output\t=\tjson\n   \nendpoint_url = http://h:9000\n",
        );
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].name, "default");
        assert_eq!(text(&s[0], "region"), "eu-west-1");
        assert_eq!(s[1].name, "profile dev");
        assert_eq!(text(&s[1], "region"), "us-west-2");
        assert_eq!(text(&s[1], "output"), "json");
        assert_eq!(text(&s[1], "endpoint_url"), "http://h:9000");
        assert_eq!(s[1].entries["region"].origin.line, 7);
    }

    #[test]
    fn indented_keys_are_keys_and_other_indented_lines_continue() {
        let s = parse_ok(
            "[default]\n  region = a\n  output = b\nkey = x\n    y = z\nlong = one\n  two\n",
        );
        assert_eq!(text(&s[0], "region"), "a");
        assert_eq!(text(&s[0], "output"), "b");
        assert_eq!(text(&s[0], "key"), "x");
        assert_eq!(text(&s[0], "y"), "z");
        assert_eq!(text(&s[0], "long"), "one\ntwo");
    }

    #[test]
    fn nested_sections() {
        let s = parse_ok(
            "[default]\ns3 =\n    max_concurrent_requests = 20\n\n    multipart_threshold=64MB # big\n\
             region = x\n",
        );
        let Value::Nested(n) = &s[0].entries["s3"].value else {
            panic!("not nested")
        };
        assert_eq!(n["max_concurrent_requests"].0, "20");
        assert_eq!(n["multipart_threshold"].0, "64MB");
        assert_eq!(n["multipart_threshold"].1.line, 5);
        assert_eq!(text(&s[0], "region"), "x");
    }

    #[test]
    fn repeated_sections_merge() {
        let s = parse_ok("[a]\nk = 1\n[b]\nk = 2\n[a]\nk = 3\nj = 4\n");
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].name, "a");
        assert_eq!(text(&s[1], "k"), "3");
        assert_eq!(text(&s[1], "j"), "4");
    }

    #[test]
    fn errors_name_file_and_line() {
        let path = Path::new("/home/u/.aws/config");
        let cases = [
            (
                "[default]\nregion = x\nthis is not a setting\n",
                3,
                "expected KEY = VALUE",
            ),
            ("region = x\n", 1, "before any [section]"),
            ("[default\n", 1, "section header"),
            (
                "[default]\ns3 =\n  max_concurrent_requests 20\n",
                3,
                "nested 's3'",
            ),
            ("[]\n", 1, "section header"),
        ];
        for (text, line, msg) in cases {
            let e = parse(text, path).expect_err(text);
            assert_eq!(e.origin.line, line, "{text}");
            let shown = e.to_string();
            assert!(
                shown.starts_with(&format!("/home/u/.aws/config:{line}: ")),
                "{shown}"
            );
            assert!(shown.contains(msg), "{shown}");
        }
    }

    #[test]
    fn errors_do_not_quote_long_lines_whole() {
        let e = parse(
            "[x]\nwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
            Path::new("c"),
        )
        .expect_err("no delimiter");
        assert!(!e.to_string().contains("EXAMPLEKEY"), "{e}");
    }
}

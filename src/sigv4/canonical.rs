//! Canonical request pieces: URI encoding, path normalisation, canonical query and headers.
//! One encoder serves both what is signed and what is sent, so the two cannot drift apart.

use super::{Settings, UriEncoding};

/// RFC 3986 encoding as SigV4 defines it: every byte except `A-Z a-z 0-9 - _ . ~` becomes `%XX`
/// (upper-case hex); `/` is kept when `keep_slash` (paths) and encoded otherwise (query parts).
pub fn uri_encode(input: &str, keep_slash: bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(input.len() + input.len() / 2);
    for &b in input.as_bytes() {
        let unreserved = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~');
        if unreserved || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// The path as it goes on the wire (normalised if the settings ask for it). With single (S3)
/// encoding `path` is the decoded key path and is encoded here, once; with double encoding
/// `path` is taken as already on the wire, as generic SigV4 signers take it.
pub(super) fn wire_path(path: &str, settings: &Settings) -> String {
    let path = if settings.normalize_path {
        normalize_path(path)
    } else {
        path.to_owned()
    };
    match settings.uri_encoding {
        UriEncoding::Single => uri_encode(&path, true),
        UriEncoding::Double => path,
    }
}

/// The canonical URI: the wire path, encoded a second time for generic services.
pub(super) fn canonical_uri(wire_path: &str, settings: &Settings) -> String {
    let uri = match settings.uri_encoding {
        UriEncoding::Single => wire_path.to_owned(),
        UriEncoding::Double => uri_encode(wire_path, true),
    };
    if uri.is_empty() {
        "/".to_owned()
    } else {
        uri
    }
}

/// RFC 3986 dot-segment removal plus collapsing of empty segments, keeping a trailing slash.
/// S3 never does this (keys may contain `//` and `..`); generic services do.
fn normalize_path(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    let mut joined = format!("/{}", out.join("/"));
    if trailing && !out.is_empty() {
        joined.push('/');
    }
    joined
}

/// Canonical query string: each name and value encoded (`/` too), pairs sorted by encoded name
/// then value, `name=` for valueless keys. Also the query as it goes on the wire.
pub fn canonical_query(params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (uri_encode(k, false), uri_encode(v, false)))
        .collect();
    encoded.sort();
    let mut out = String::new();
    for (i, (k, v)) in encoded.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Canonical headers and the signed-header list. Names are lower-cased and sorted; values are
/// trimmed with inner runs of spaces collapsed; repeated names are joined with `,` in request order.
pub(super) fn canonical_headers(headers: &[(String, String)]) -> (String, String) {
    let mut merged: Vec<(String, String)> = Vec::with_capacity(headers.len());
    let mut lowered: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), collapse_spaces(v)))
        .collect();
    // Stable sort keeps the request order of repeated names.
    lowered.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, value) in lowered {
        match merged.last_mut() {
            Some((last, joined)) if *last == name => {
                joined.push(',');
                joined.push_str(&value);
            }
            _ => merged.push((name, value)),
        }
    }
    let mut canonical = String::new();
    let mut signed = String::new();
    for (i, (name, value)) in merged.iter().enumerate() {
        canonical.push_str(name);
        canonical.push(':');
        canonical.push_str(value);
        canonical.push('\n');
        if i > 0 {
            signed.push(';');
        }
        signed.push_str(name);
    }
    (canonical, signed)
}

fn collapse_spaces(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for word in value
        .split([' ', '\t', '\n', '\r'])
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_s3() {
        assert_eq!(uri_encode("a b+c/d~e", true), "a%20b%2Bc/d~e");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
        assert_eq!(uri_encode("ሴ", true), "%E1%88%B4");
        assert_eq!(uri_encode("%2F", true), "%252F");
    }

    #[test]
    fn normalises_generic_paths_only() {
        assert_eq!(normalize_path("//example//"), "/example/");
        assert_eq!(normalize_path("/example1/example2/../.."), "/");
        assert_eq!(normalize_path("/./"), "/");
        assert_eq!(normalize_path("/example/.."), "/");
    }

    #[test]
    fn sorts_query_and_keeps_empty_values() {
        let q = vec![
            ("prefix".to_owned(), "J".to_owned()),
            ("max-keys".to_owned(), "2".to_owned()),
            ("uploads".to_owned(), String::new()),
        ];
        assert_eq!(canonical_query(&q), "max-keys=2&prefix=J&uploads=");
    }
}

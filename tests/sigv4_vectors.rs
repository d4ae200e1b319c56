//! The signer against published vectors, step by step: canonical request, string to sign,
//! signature. Data: `tests/data/` (copied from the AWS suite and the S3 API Reference; see its
//! README). One test per case, so a failing case is named in the output.

use std::path::PathBuf;

use s3up::credentials::Credentials;
use s3up::sigv4::{
    sha256_hex, testing::ChunkSigner, PayloadHash, Request, Scope, SessionTokenMode, Settings,
    Signer, SigningTime, UriEncoding,
};
use serde_json::Value;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).expect("ascii");
            out.push(u8::from_str_radix(hex, 16).expect("hex escape"));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8")
}

fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}

/// A parsed `request.txt`: request line, headers (obs-fold continuation lines joined with a
/// space), blank line, body.
struct RawRequest {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn parse_request(text: &str) -> RawRequest {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let request_line = lines.next().expect("request line");
    let mut parts = request_line.splitn(2, ' ');
    let method = parts.next().expect("method").to_owned();
    let target = parts.next().expect("target");
    let target = target.strip_suffix(" HTTP/1.1").expect("HTTP/1.1");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().expect("continuation after a header");
            last.1.push(' ');
            last.1.push_str(line.trim());
        } else {
            let (k, v) = line.split_once(':').expect("header line");
            headers.push((k.to_owned(), v.to_owned()));
        }
    }
    RawRequest {
        method,
        path: path.to_owned(),
        query: parse_query(query),
        headers,
        body: body.as_bytes().to_vec(),
    }
}

fn suite_case(name: &str) {
    let dir = data_dir().join("sigv4-suite/v4").join(name);
    let ctx: Value = serde_json::from_str(&read(&dir.join("context.json"))).expect("context.json");
    let c = &ctx["credentials"];
    let creds = Credentials::new(
        c["access_key_id"].as_str().expect("key id"),
        c["secret_access_key"].as_str().expect("secret"),
        c["token"].as_str().map(str::to_owned),
    );
    let stamp = ctx["timestamp"]
        .as_str()
        .expect("timestamp")
        .replace(['-', ':'], "");
    let time = SigningTime::parse_amz_date(&stamp).expect("timestamp format");
    let scope = Scope {
        time,
        region: ctx["region"].as_str().expect("region"),
        service: ctx["service"].as_str().expect("service"),
    };
    let settings = Settings {
        uri_encoding: UriEncoding::Double,
        normalize_path: ctx["normalize"].as_bool().expect("normalize"),
        content_sha256_header: ctx["sign_body"].as_bool().expect("sign_body"),
        session_token: if ctx["omit_session_token"].as_bool() == Some(true) {
            SessionTokenMode::AppendedAfterSigning
        } else {
            SessionTokenMode::Signed
        },
    };
    let raw = parse_request(&read(&dir.join("request.txt")));
    let req = Request {
        method: &raw.method,
        path: &raw.path,
        query: &raw.query,
        headers: &raw.headers,
    };
    let payload = PayloadHash::of(&raw.body);
    let signer = Signer::new(settings);

    let signed = signer.sign(&req, &creds, &scope, &payload);
    assert_eq!(
        signed.canonical_request,
        read(&dir.join("header-canonical-request.txt")),
        "{name}: header canonical request"
    );
    assert_eq!(
        signed.string_to_sign,
        read(&dir.join("header-string-to-sign.txt")),
        "{name}: header string to sign"
    );
    assert_eq!(
        signed.signature,
        read(&dir.join("header-signature.txt")),
        "{name}: header signature"
    );

    let expires = ctx["expiration_in_seconds"].as_u64().expect("expiration");
    let presigned = signer
        .presign(&req, &creds, &scope, expires, &payload)
        .expect("presign");
    assert_eq!(
        presigned.canonical_request,
        read(&dir.join("query-canonical-request.txt")),
        "{name}: query canonical request"
    );
    assert_eq!(
        presigned.string_to_sign,
        read(&dir.join("query-string-to-sign.txt")),
        "{name}: query string to sign"
    );
    assert_eq!(
        presigned.signature,
        read(&dir.join("query-signature.txt")),
        "{name}: query signature"
    );
    assert!(presigned
        .wire_query
        .ends_with(&format!("X-Amz-Signature={}", presigned.signature)));
}

macro_rules! suite {
    ($($test:ident => $case:literal,)*) => {
        $(#[test] fn $test() { suite_case($case); })*

        #[test]
        fn suite_covers_every_case() {
            let mut listed = vec![$($case),*];
            listed.sort_unstable();
            let mut on_disk: Vec<String> = std::fs::read_dir(data_dir().join("sigv4-suite/v4"))
                .expect("suite dir")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            on_disk.sort();
            assert_eq!(listed, on_disk);
        }
    };
}

suite! {
    suite_get_header_key_duplicate => "get-header-key-duplicate",
    suite_get_header_value_multiline => "get-header-value-multiline",
    suite_get_header_value_order => "get-header-value-order",
    suite_get_header_value_trim => "get-header-value-trim",
    suite_get_relative_normalized => "get-relative-normalized",
    suite_get_relative_relative_normalized => "get-relative-relative-normalized",
    suite_get_relative_relative_unnormalized => "get-relative-relative-unnormalized",
    suite_get_relative_unnormalized => "get-relative-unnormalized",
    suite_get_slash_dot_slash_normalized => "get-slash-dot-slash-normalized",
    suite_get_slash_dot_slash_unnormalized => "get-slash-dot-slash-unnormalized",
    suite_get_slash_normalized => "get-slash-normalized",
    suite_get_slash_pointless_dot_normalized => "get-slash-pointless-dot-normalized",
    suite_get_slash_pointless_dot_unnormalized => "get-slash-pointless-dot-unnormalized",
    suite_get_slash_unnormalized => "get-slash-unnormalized",
    suite_get_slashes_normalized => "get-slashes-normalized",
    suite_get_slashes_unnormalized => "get-slashes-unnormalized",
    suite_get_space_normalized => "get-space-normalized",
    suite_get_space_unnormalized => "get-space-unnormalized",
    suite_get_unreserved => "get-unreserved",
    suite_get_utf8 => "get-utf8",
    suite_get_vanilla => "get-vanilla",
    suite_get_vanilla_empty_query_key => "get-vanilla-empty-query-key",
    suite_get_vanilla_query => "get-vanilla-query",
    suite_get_vanilla_query_order_encoded => "get-vanilla-query-order-encoded",
    suite_get_vanilla_query_order_key_case => "get-vanilla-query-order-key-case",
    suite_get_vanilla_query_unreserved => "get-vanilla-query-unreserved",
    suite_get_vanilla_utf8_query => "get-vanilla-utf8-query",
    suite_get_vanilla_with_session_token => "get-vanilla-with-session-token",
    suite_post_header_key_case => "post-header-key-case",
    suite_post_header_key_sort => "post-header-key-sort",
    suite_post_header_value_case => "post-header-value-case",
    suite_post_sts_header_after => "post-sts-header-after",
    suite_post_sts_header_before => "post-sts-header-before",
    suite_post_vanilla => "post-vanilla",
    suite_post_vanilla_empty_query_value => "post-vanilla-empty-query-value",
    suite_post_vanilla_query => "post-vanilla-query",
    suite_post_x_www_form_urlencoded => "post-x-www-form-urlencoded",
    suite_post_x_www_form_urlencoded_parameters => "post-x-www-form-urlencoded-parameters",
}

// ---- S3 worked examples -------------------------------------------------------------------

fn s3_example(name: &str) -> Value {
    let all: Value =
        serde_json::from_str(&read(&data_dir().join("s3-sigv4-examples.json"))).expect("json");
    all["examples"]
        .as_array()
        .expect("examples")
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no example {name}"))
        .clone()
}

struct S3Inputs {
    creds: Credentials,
    time: SigningTime,
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
}

fn s3_inputs(ex: &Value) -> S3Inputs {
    let i = &ex["inputs"];
    assert_eq!(i["region"], "us-east-1");
    assert_eq!(i["service"], "s3");
    S3Inputs {
        creds: Credentials::new(
            i["access_key"].as_str().expect("key"),
            i["secret_key"].as_str().expect("secret"),
            None,
        ),
        time: SigningTime::parse_amz_date(i["time"].as_str().expect("time")).expect("time format"),
        method: i["method"].as_str().expect("method").to_owned(),
        path: percent_decode(i["path"].as_str().expect("path")),
        query: parse_query(i["query"].as_str().expect("query")),
        headers: i["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .map(|h| {
                (
                    h[0].as_str().expect("name").to_owned(),
                    h[1].as_str().expect("value").to_owned(),
                )
            })
            .collect(),
    }
}

fn s3_header_example(name: &str) {
    let ex = s3_example(name);
    let inp = s3_inputs(&ex);
    let e = &ex["expected"];
    let payload = match ex["inputs"]["payload_hash"].as_str().expect("payload hash") {
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" => PayloadHash::StreamingSigned,
        hex => PayloadHash::Sha256Hex(hex.to_owned()),
    };
    let signed = Signer::s3().sign(
        &Request {
            method: &inp.method,
            path: &inp.path,
            query: &inp.query,
            headers: &inp.headers,
        },
        &inp.creds,
        &Scope {
            time: inp.time,
            region: "us-east-1",
            service: "s3",
        },
        &payload,
    );
    assert_eq!(
        signed.wire_path,
        ex["inputs"]["path"].as_str().expect("path"),
        "{name}: path on the wire"
    );
    assert_eq!(
        signed.canonical_request,
        e["canonical_request"].as_str().expect("cr"),
        "{name}: canonical request"
    );
    assert_eq!(
        sha256_hex(signed.canonical_request.as_bytes()),
        e["canonical_request_sha256"].as_str().expect("crh"),
        "{name}"
    );
    assert_eq!(
        signed.string_to_sign,
        e["string_to_sign"].as_str().expect("sts"),
        "{name}: string to sign"
    );
    assert_eq!(
        signed.signature,
        e["signature"].as_str().expect("sig"),
        "{name}: signature"
    );
    let auth = signed
        .headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .expect("authorization");
    assert_eq!(
        auth.1,
        e["authorization"].as_str().expect("authorization"),
        "{name}: Authorization"
    );
}

#[test]
fn s3_get_object_range() {
    s3_header_example("get-object-range");
}

#[test]
fn s3_put_object() {
    s3_header_example("put-object");
}

#[test]
fn s3_get_bucket_lifecycle() {
    s3_header_example("get-bucket-lifecycle");
}

#[test]
fn s3_get_bucket_list_objects() {
    s3_header_example("get-bucket-list-objects");
}

#[test]
fn s3_presigned_get_object() {
    let ex = s3_example("presigned-get-object");
    let inp = s3_inputs(&ex);
    let e = &ex["expected"];
    let host = inp.headers[0].1.clone();
    let presigned = Signer::s3()
        .presign(
            &Request {
                method: &inp.method,
                path: &inp.path,
                query: &[],
                headers: &inp.headers,
            },
            &inp.creds,
            &Scope {
                time: inp.time,
                region: "us-east-1",
                service: "s3",
            },
            ex["inputs"]["expires"].as_u64().expect("expires"),
            &PayloadHash::Unsigned,
        )
        .expect("presign");
    assert_eq!(
        presigned.canonical_request,
        e["canonical_request"].as_str().expect("cr")
    );
    assert_eq!(
        presigned.string_to_sign,
        e["string_to_sign"].as_str().expect("sts")
    );
    assert_eq!(presigned.signature, e["signature"].as_str().expect("sig"));
    let url = format!(
        "https://{host}{}?{}",
        presigned.wire_path, presigned.wire_query
    );
    assert_eq!(url, e["url"].as_str().expect("url"));
}

#[test]
fn s3_chunked_put_object() {
    let name = "chunked-put-object";
    s3_header_example(name);
    let ex = s3_example(name);
    let inp = s3_inputs(&ex);
    let e = &ex["expected"];
    let decoded = ex["inputs"]["decoded_content_length"]
        .as_u64()
        .expect("decoded");
    let chunk_size = ex["inputs"]["chunk_size"].as_u64().expect("chunk size");
    assert_eq!(
        ChunkSigner::encoded_length(decoded, chunk_size),
        e["content_length"].as_u64().expect("length")
    );

    let scope = Scope {
        time: inp.time,
        region: "us-east-1",
        service: "s3",
    };
    let signer = Signer::s3();
    let mut chunks = signer.chunk_signer(
        &inp.creds,
        &scope,
        e["seed_signature"].as_str().expect("seed"),
    );
    let body = vec![b'a'; usize::try_from(decoded).expect("size")];
    let mut pieces: Vec<&[u8]> = body
        .chunks(usize::try_from(chunk_size).expect("size"))
        .collect();
    pieces.push(&[]);
    let mut encoded = Vec::new();
    for (piece, expected) in pieces.iter().zip(e["chunks"].as_array().expect("chunks")) {
        assert_eq!(
            sha256_hex(piece),
            expected["data_sha256"].as_str().expect("hash")
        );
        assert_eq!(
            chunks.string_to_sign(piece),
            expected["string_to_sign"].as_str().expect("sts"),
            "chunk {}",
            expected["index"]
        );
        let start = encoded.len();
        chunks.frame(piece, &mut encoded);
        let header_end = encoded[start..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("CRLF")
            + start;
        assert_eq!(
            std::str::from_utf8(&encoded[start..header_end]).expect("ascii"),
            expected["chunk_header"].as_str().expect("chunk header"),
            "chunk {}",
            expected["index"]
        );
    }
    assert_eq!(
        encoded.len() as u64,
        e["content_length"].as_u64().expect("length")
    );
    assert_eq!(
        sha256_hex(&encoded),
        e["encoded_body_sha256"].as_str().expect("body hash")
    );
}

// ---- S3 rules on awkward keys ----------------------------------------------------------------

#[test]
fn awkward_keys_are_signed_as_sent() {
    let creds = Credentials::new("AKID", "secret", None);
    let scope = Scope {
        time: SigningTime(1_700_000_000),
        region: "us-east-1",
        service: "s3",
    };
    let cases = [
        ("/b/a key", "/b/a%20key"),
        ("/b/ünï/çødé", "/b/%C3%BCn%C3%AF/%C3%A7%C3%B8d%C3%A9"),
        (
            "/b/+=&~!'()*%$@:",
            "/b/%2B%3D%26~%21%27%28%29%2A%25%24%40%3A",
        ),
        ("/b/a//b/", "/b/a//b/"),
        ("/b/dir/", "/b/dir/"),
        ("/b/lit%2Fslash", "/b/lit%252Fslash"),
        ("/b/../x/./y", "/b/../x/./y"),
    ];
    for (path, wire) in cases {
        let headers = vec![("host".to_owned(), "h".to_owned())];
        let signed = Signer::s3().sign(
            &Request {
                method: "PUT",
                path,
                query: &[],
                headers: &headers,
            },
            &creds,
            &scope,
            &PayloadHash::Unsigned,
        );
        assert_eq!(signed.wire_path, wire, "{path}");
        let canonical_uri = signed.canonical_request.lines().nth(1).expect("uri line");
        assert_eq!(canonical_uri, wire, "{path}: signed differs from sent");
    }
}

#[test]
fn presign_expiry_is_bounded() {
    let creds = Credentials::new("AKID", "secret", None);
    let scope = Scope {
        time: SigningTime(0),
        region: "us-east-1",
        service: "s3",
    };
    let headers = vec![("host".to_owned(), "h".to_owned())];
    let req = Request {
        method: "GET",
        path: "/b/k",
        query: &[],
        headers: &headers,
    };
    for bad in [0, 604_801] {
        assert!(Signer::s3()
            .presign(&req, &creds, &scope, bad, &PayloadHash::Unsigned)
            .is_err());
    }
    for good in [1, 604_800] {
        assert!(Signer::s3()
            .presign(&req, &creds, &scope, good, &PayloadHash::Unsigned)
            .is_ok());
    }
}

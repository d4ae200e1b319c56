//! `s3://bucket/key` URLs and `--endpoint-url`/`endpoint_url` values: parsing must never panic,
//! a parsed URL prints back to itself, and locating an object never panics whatever the style.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3up::s3::addr::{AddressingStyle, Endpoint, S3Url};

const STYLES: [AddressingStyle; 3] = [
    AddressingStyle::Auto,
    AddressingStyle::Path,
    AddressingStyle::Virtual,
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // One input, two halves: a URL and an endpoint (split at the first newline).
    let (first, second) = text.split_once('\n').unwrap_or((text, text));
    let url = S3Url::parse(first);
    if let Ok(u) = &url {
        let again = S3Url::parse(&u.to_string()).expect("a parsed s3:// URL parses again");
        assert_eq!(&again, u, "s3:// URL round trip");
        let _ = u.is_prefix();
    }
    let _ = first.parse::<AddressingStyle>();
    for candidate in [first, second] {
        let Ok(endpoint) = Endpoint::parse(candidate) else {
            continue;
        };
        assert!(endpoint.scheme == "http" || endpoint.scheme == "https");
        let (bucket, key) = match &url {
            Ok(u) => (u.bucket.as_str(), u.key.as_str()),
            Err(_) => ("bucket", second),
        };
        for style in STYLES {
            let _ = endpoint.uses_virtual_host(bucket, style);
            let loc = endpoint.locate(bucket, key, style);
            let _ = endpoint.base_url(&loc.host);
            let _ = endpoint.locate("", "", style);
        }
    }
    // The AWS endpoint built from a region an answer named.
    let aws = Endpoint::aws(second);
    let _ = aws.locate("bucket", first, AddressingStyle::Auto);
});

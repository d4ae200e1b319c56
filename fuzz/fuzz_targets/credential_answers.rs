//! Answers of the credential services (instance metadata, container endpoints,
//! `credential_process` output: one JSON document) and their expiry times. Malformed input
//! must give an error value, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3up::credentials::expiring::{parse_json, TokenField};
use s3up::time::{format_time, parse_time};

fuzz_target!(|data: &[u8]| {
    for field in [TokenField::Token, TokenField::SessionToken] {
        if let Ok(e) = parse_json(data, field) {
            if let Some(t) = e.expires {
                let _ = format_time(t);
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(t) = parse_time(text) {
            let _ = format_time(t);
        }
        let _ = s3up::credentials::process::split(text);
    }
});

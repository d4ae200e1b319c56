//! For tests, fuzzing and benchmarks, not for s3up's own requests: aws-chunked body framing,
//! signed chunks (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`) and unsigned chunks closed by a checksum
//! trailer (`STREAMING-UNSIGNED-PAYLOAD-TRAILER`). s3up's uploads know each body's hash and
//! checksum before sending it (parts are files or buffers), so they never frame a body; the
//! test suite uses these encoders to check that the test server verifies what other clients
//! send. The encoded length is exact and known before the body is sent, as `Content-Length`
//! must be.

use std::sync::Arc;

use super::crypto::{sha256_hex, SigningKey};
use super::EMPTY_SHA256;

const SIG_PREFIX: &str = ";chunk-signature=";

/// Chains chunk signatures from the seed signature: each chunk signs the previous signature and
/// the SHA-256 of its own bytes; the last chunk is empty.
#[derive(Debug)]
pub struct ChunkSigner {
    key: Arc<SigningKey>,
    amz_date: String,
    scope: String,
    previous: String,
}

impl ChunkSigner {
    pub(super) fn new(key: Arc<SigningKey>, amz_date: String, scope: String, seed: String) -> Self {
        Self {
            key,
            amz_date,
            scope,
            previous: seed,
        }
    }

    /// The string to sign for the next chunk with these bytes.
    pub fn string_to_sign(&self, data: &[u8]) -> String {
        format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{EMPTY_SHA256}\n{}",
            self.amz_date,
            self.scope,
            self.previous,
            sha256_hex(data)
        )
    }

    /// Signs the next chunk (advancing the chain) and returns its signature.
    pub fn sign_chunk(&mut self, data: &[u8]) -> String {
        let signature = self.key.sign_hex(self.string_to_sign(data).as_bytes());
        self.previous.clone_from(&signature);
        signature
    }

    /// The next chunk framed for the wire: `hex-size;chunk-signature=SIG\r\n DATA \r\n`.
    /// Call with an empty slice for the final chunk.
    pub fn frame(&mut self, data: &[u8], out: &mut Vec<u8>) {
        let signature = self.sign_chunk(data);
        out.extend_from_slice(format!("{:x}{SIG_PREFIX}{signature}\r\n", data.len()).as_bytes());
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }

    /// Encoded length of a body of `decoded` bytes cut into `chunk_size` chunks, final chunk included.
    pub fn encoded_length(decoded: u64, chunk_size: u64) -> u64 {
        let frame = |size: u64| hex_digits(size) + SIG_PREFIX.len() as u64 + 64 + 2 + size + 2;
        let full = decoded.checked_div(chunk_size).unwrap_or(0);
        let rest = decoded - full * chunk_size;
        let mut total = full * frame(chunk_size) + frame(0);
        if rest > 0 {
            total += frame(rest);
        }
        total
    }
}

/// Frames an unsigned aws-chunked body that ends with a checksum trailer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TrailerEncoder;

impl TrailerEncoder {
    /// `hex-size\r\n DATA \r\n`; empty chunks are skipped (an empty chunk ends the body).
    pub fn frame(data: &[u8], out: &mut Vec<u8>) {
        if data.is_empty() {
            return;
        }
        out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    }

    /// The final empty chunk and the trailer `name:value`.
    pub fn finish(trailer_name: &str, trailer_value: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("0\r\n{trailer_name}:{trailer_value}\r\n\r\n").as_bytes());
    }

    /// Encoded length for `decoded` bytes in `chunk_size` chunks plus the trailer.
    pub fn encoded_length(
        decoded: u64,
        chunk_size: u64,
        trailer_name: &str,
        trailer_value_len: u64,
    ) -> u64 {
        let frame = |size: u64| hex_digits(size) + 2 + size + 2;
        let full = decoded.checked_div(chunk_size).unwrap_or(0);
        let rest = decoded - full * chunk_size;
        let mut total = full * frame(chunk_size);
        if rest > 0 {
            total += frame(rest);
        }
        total + 3 + trailer_name.len() as u64 + 1 + trailer_value_len + 4
    }
}

fn hex_digits(n: u64) -> u64 {
    let mut digits = 1;
    let mut n = n >> 4;
    while n > 0 {
        digits += 1;
        n >>= 4;
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailer_length_matches_framing() {
        let data = vec![7u8; 70_000];
        let mut out = Vec::new();
        for chunk in data.chunks(65_536) {
            TrailerEncoder::frame(chunk, &mut out);
        }
        TrailerEncoder::finish("x-amz-checksum-crc32", "AAAAAA==", &mut out);
        assert_eq!(
            out.len() as u64,
            TrailerEncoder::encoded_length(70_000, 65_536, "x-amz-checksum-crc32", 8)
        );
    }
}

//! S3's checksum algorithms (CRC32, CRC32C, CRC64NVME, SHA1, SHA256) and MD5: computing them
//! while bytes stream by, validating the values clients claim, and combining part checksums
//! into a multipart object's COMPOSITE checksum. Arithmetic only; never does I/O.

use base64::Engine as _;
use s3s::crypto::{Checksum as _, Crc32, Crc32c, Crc64Nvme, Md5, Sha1, Sha256};
use s3s::dto;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An S3 additional-checksum algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Algorithm {
    /// CRC-32 (ISO HDLC).
    Crc32,
    /// CRC-32C (Castagnoli).
    Crc32c,
    /// CRC-64/NVME.
    Crc64Nvme,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
}

/// Base64 checksum values by algorithm.
pub type Checksums = BTreeMap<Algorithm, String>;

impl Algorithm {
    /// Every algorithm.
    pub const ALL: [Self; 5] = [
        Self::Crc32,
        Self::Crc32c,
        Self::Crc64Nvme,
        Self::Sha1,
        Self::Sha256,
    ];

    /// Parses S3's name (`CRC32`, `crc64nvme`, ...).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name.trim()))
    }

    /// S3's name, e.g. `CRC64NVME`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Crc32 => "CRC32",
            Self::Crc32c => "CRC32C",
            Self::Crc64Nvme => "CRC64NVME",
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
        }
    }

    /// The header (and trailer) carrying the value, e.g. `x-amz-checksum-crc32`.
    pub fn header(self) -> &'static str {
        match self {
            Self::Crc32 => "x-amz-checksum-crc32",
            Self::Crc32c => "x-amz-checksum-crc32c",
            Self::Crc64Nvme => "x-amz-checksum-crc64nvme",
            Self::Sha1 => "x-amz-checksum-sha1",
            Self::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// Length of the binary digest.
    pub fn digest_len(self) -> usize {
        match self {
            Self::Crc32 | Self::Crc32c => 4,
            Self::Crc64Nvme => 8,
            Self::Sha1 => 20,
            Self::Sha256 => 32,
        }
    }

    /// Whether S3 offers a FULL_OBJECT multipart checksum of this algorithm.
    pub fn full_object_ok(self) -> bool {
        matches!(self, Self::Crc32 | Self::Crc32c | Self::Crc64Nvme)
    }

    /// Whether S3 offers a COMPOSITE multipart checksum of this algorithm.
    pub fn composite_ok(self) -> bool {
        !matches!(self, Self::Crc64Nvme)
    }

    /// The binary digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Crc32 => Crc32::checksum(data).to_vec(),
            Self::Crc32c => Crc32c::checksum(data).to_vec(),
            Self::Crc64Nvme => Crc64Nvme::checksum(data).to_vec(),
            Self::Sha1 => Sha1::checksum(data).as_ref().to_vec(),
            Self::Sha256 => Sha256::checksum(data).as_ref().to_vec(),
        }
    }
}

/// Standard base64.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes standard base64.
pub fn unb64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
}

/// Whether `value` is a well-formed base64 digest for `alg`.
pub fn valid_value(alg: Algorithm, value: &str) -> bool {
    unb64(value).is_some_and(|d| d.len() == alg.digest_len())
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// MD5 plus any chosen checksums, computed in one pass.
pub struct Digests {
    md5: Md5,
    hasher: s3s::checksum::ChecksumHasher,
}

impl Digests {
    /// Digests computing MD5 and the given algorithms.
    pub fn new(algs: impl IntoIterator<Item = Algorithm>) -> Self {
        let mut hasher = s3s::checksum::ChecksumHasher::default();
        for alg in algs {
            match alg {
                Algorithm::Crc32 => hasher.crc32 = Some(Crc32::new()),
                Algorithm::Crc32c => hasher.crc32c = Some(Crc32c::new()),
                Algorithm::Crc64Nvme => hasher.crc64nvme = Some(Crc64Nvme::new()),
                Algorithm::Sha1 => hasher.sha1 = Some(Sha1::new()),
                Algorithm::Sha256 => hasher.sha256 = Some(Sha256::new()),
            }
        }
        Self {
            md5: Md5::new(),
            hasher,
        }
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.md5.update(data);
        self.hasher.update(data);
    }

    /// The MD5 and the base64 checksums.
    pub fn finish(self) -> ([u8; 16], Checksums) {
        let md5 = self.md5.finalize();
        (md5, from_dto(&self.hasher.finalize()))
    }
}

/// Checksums present in an s3s checksum record.
pub fn from_dto(c: &dto::Checksum) -> Checksums {
    let mut out = Checksums::new();
    let pairs = [
        (Algorithm::Crc32, &c.checksum_crc32),
        (Algorithm::Crc32c, &c.checksum_crc32c),
        (Algorithm::Crc64Nvme, &c.checksum_crc64nvme),
        (Algorithm::Sha1, &c.checksum_sha1),
        (Algorithm::Sha256, &c.checksum_sha256),
    ];
    for (alg, v) in pairs {
        if let Some(v) = v {
            out.insert(alg, v.clone());
        }
    }
    out
}

/// The five optional checksum fields S3 outputs share, filled from `sums`.
#[derive(Debug, Default)]
pub struct Fields {
    /// CRC32.
    pub crc32: Option<String>,
    /// CRC32C.
    pub crc32c: Option<String>,
    /// CRC64NVME.
    pub crc64nvme: Option<String>,
    /// SHA1.
    pub sha1: Option<String>,
    /// SHA256.
    pub sha256: Option<String>,
}

impl Fields {
    /// Fields for the values in `sums`.
    pub fn of(sums: &Checksums) -> Self {
        Self {
            crc32: sums.get(&Algorithm::Crc32).cloned(),
            crc32c: sums.get(&Algorithm::Crc32c).cloned(),
            crc64nvme: sums.get(&Algorithm::Crc64Nvme).cloned(),
            sha1: sums.get(&Algorithm::Sha1).cloned(),
            sha256: sums.get(&Algorithm::Sha256).cloned(),
        }
    }

    /// Fields for the value of `alg` in `sums` only.
    pub fn only(sums: &Checksums, alg: Option<Algorithm>) -> Self {
        match alg.and_then(|a| sums.get(&a).map(|v| (a, v.clone()))) {
            Some(pair) => Self::of(&Checksums::from([pair])),
            None => Self::default(),
        }
    }
}

/// The COMPOSITE checksum of a multipart object: the algorithm over the concatenated binary
/// part checksums, base64, then `-N`. `None` if a part value is not valid base64.
pub fn composite(alg: Algorithm, part_values: &[&str]) -> Option<String> {
    let mut cat = Vec::with_capacity(part_values.len() * alg.digest_len());
    for v in part_values {
        cat.extend(unb64(v)?);
    }
    Some(format!("{}-{}", b64(&alg.digest(&cat)), part_values.len()))
}

/// The full-object CRC of a concatenation, from each part's CRC (base64) and length, without
/// the bytes. `None` for SHA algorithms or malformed values.
pub fn combine_full(alg: Algorithm, parts: &[(&str, u64)]) -> Option<String> {
    let crc_alg = match alg {
        Algorithm::Crc32 => crc_fast::CrcAlgorithm::Crc32IsoHdlc,
        Algorithm::Crc32c => crc_fast::CrcAlgorithm::Crc32Iscsi,
        Algorithm::Crc64Nvme => crc_fast::CrcAlgorithm::Crc64Nvme,
        Algorithm::Sha1 | Algorithm::Sha256 => return None,
    };
    let value = |v: &str| -> Option<u64> {
        let raw = unb64(v)?;
        (raw.len() == alg.digest_len())
            .then(|| raw.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    };
    let (first, rest) = parts.split_first()?;
    let mut acc = value(first.0)?;
    for (v, len) in rest {
        acc = crc_fast::checksum_combine(crc_alg, acc, value(v)?, *len);
    }
    let bytes = acc.to_be_bytes();
    Some(b64(&bytes[8 - alg.digest_len()..]))
}

/// The multipart ETag: hex MD5 of the concatenated binary part MD5s, then `-N`.
pub fn multipart_etag(part_md5s: &[[u8; 16]]) -> String {
    let mut md5 = Md5::new();
    for m in part_md5s {
        md5.update(m);
    }
    format!("{}-{}", hex(&md5.finalize()), part_md5s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // CRC32 of "hello world" is 0x0d4a1185; SHA-256 of "" is e3b0c442....
        let mut d = Digests::new([Algorithm::Crc32, Algorithm::Sha256]);
        d.update(b"hello world");
        let (md5, sums) = d.finish();
        assert_eq!(hex(&md5), "5eb63bbbe01eeed093cb22bb8f5acdc3");
        assert_eq!(sums[&Algorithm::Crc32], b64(&[0x0d, 0x4a, 0x11, 0x85]));
        assert!(valid_value(Algorithm::Crc32, &sums[&Algorithm::Crc32]));
        assert!(!valid_value(Algorithm::Crc64Nvme, &sums[&Algorithm::Crc32]));
        assert_eq!(
            b64(&Algorithm::Sha256.digest(b"")),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn names_parse() {
        assert_eq!(Algorithm::parse("crc64nvme"), Some(Algorithm::Crc64Nvme));
        assert_eq!(Algorithm::parse("MD5"), None);
        assert!(!Algorithm::Sha256.full_object_ok());
        assert!(!Algorithm::Crc64Nvme.composite_ok());
    }

    #[test]
    fn combined_crcs_equal_whole_crcs() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 253) as u8).collect();
        for alg in [Algorithm::Crc32, Algorithm::Crc32c, Algorithm::Crc64Nvme] {
            let (a, b) = data.split_at(3_333);
            let pa = b64(&alg.digest(a));
            let pb = b64(&alg.digest(b));
            let combined = combine_full(alg, &[(&pa, a.len() as u64), (&pb, b.len() as u64)]);
            assert_eq!(combined, Some(b64(&alg.digest(&data))), "{alg:?}");
        }
        assert_eq!(combine_full(Algorithm::Sha256, &[]), None);
    }

    #[test]
    fn composite_and_etag_shapes() {
        let p = b64(&Algorithm::Crc32.digest(b"a"));
        let c = composite(Algorithm::Crc32, &[&p, &p]).expect("valid parts");
        assert!(c.ends_with("-2"));
        let e = multipart_etag(&[[0u8; 16], [1u8; 16]]);
        assert!(e.ends_with("-2") && e.len() == 34);
    }
}

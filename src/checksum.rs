//! Additional checksums S3 stores with an object: CRC32, CRC32C, CRC64NVME (via `crc-fast`, on
//! the CPU's carry-less multiply instructions) and SHA-256. Values are base64 of the big-endian
//! digest, as S3 sends them in `x-amz-checksum-*` headers and `<Checksum*>` elements.

use base64::Engine;
use crc_fast::{CrcAlgorithm, Digest};

use crate::sigv4::Sha256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumAlgorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha256,
}

impl ChecksumAlgorithm {
    /// The name S3 uses in `x-amz-checksum-algorithm`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Crc32 => "CRC32",
            Self::Crc32c => "CRC32C",
            Self::Crc64Nvme => "CRC64NVME",
            Self::Sha256 => "SHA256",
        }
    }

    /// `x-amz-checksum-crc32`, ...
    pub fn header(self) -> String {
        format!("x-amz-checksum-{}", self.name().to_ascii_lowercase())
    }

    /// `ChecksumCRC32`, ... (the XML element name).
    pub fn element(self) -> String {
        format!("Checksum{}", self.name())
    }

    /// CRCs combine across parts, so S3 offers a full-object checksum for them; SHA-256 of a
    /// multipart object is a checksum of the part checksums ("composite").
    pub fn supports_full_object(self) -> bool {
        !matches!(self, Self::Sha256)
    }

    /// Parses `--checksum-algorithm`; `none` gives `Ok(None)`.
    ///
    /// # Errors
    /// An unknown name.
    pub fn parse(text: &str) -> Result<Option<Self>, String> {
        match text.to_ascii_uppercase().as_str() {
            "CRC32" => Ok(Some(Self::Crc32)),
            "CRC32C" => Ok(Some(Self::Crc32c)),
            "CRC64NVME" => Ok(Some(Self::Crc64Nvme)),
            "SHA256" => Ok(Some(Self::Sha256)),
            "NONE" => Ok(None),
            _ => Err(format!(
                "unknown checksum algorithm '{text}': use CRC32, CRC32C, CRC64NVME, SHA256 or none"
            )),
        }
    }
}

/// A running checksum.
#[derive(Clone)]
pub enum Hasher {
    Crc(ChecksumAlgorithm, Digest),
    Sha256(Sha256),
}

impl Hasher {
    pub fn new(algorithm: ChecksumAlgorithm) -> Self {
        let crc = |a| Self::Crc(algorithm, Digest::new(a));
        match algorithm {
            ChecksumAlgorithm::Crc32 => crc(CrcAlgorithm::Crc32IsoHdlc),
            ChecksumAlgorithm::Crc32c => crc(CrcAlgorithm::Crc32Iscsi),
            ChecksumAlgorithm::Crc64Nvme => crc(CrcAlgorithm::Crc64Nvme),
            ChecksumAlgorithm::Sha256 => Self::Sha256(Sha256::new()),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            Self::Crc(_, d) => d.update(data),
            Self::Sha256(s) => s.update(data),
        }
    }

    /// The base64 value S3 uses.
    pub fn finish_base64(&self) -> String {
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        match self {
            Self::Crc(ChecksumAlgorithm::Crc64Nvme, d) => b64(&d.finalize().to_be_bytes()),
            Self::Crc(_, d) => b64(&(d.finalize() as u32).to_be_bytes()),
            Self::Sha256(s) => b64(&s.clone().finish()),
        }
    }

    /// The CRC value itself (for combining part CRCs into the full-object CRC); `None` for
    /// SHA-256, which does not combine.
    pub fn crc_value(&self) -> Option<u64> {
        match self {
            Self::Crc(_, d) => Some(d.finalize()),
            Self::Sha256(_) => None,
        }
    }

    pub fn of(algorithm: ChecksumAlgorithm, data: &[u8]) -> String {
        let mut h = Self::new(algorithm);
        h.update(data);
        h.finish_base64()
    }
}

fn crc_algorithm(algorithm: ChecksumAlgorithm) -> Option<CrcAlgorithm> {
    match algorithm {
        ChecksumAlgorithm::Crc32 => Some(CrcAlgorithm::Crc32IsoHdlc),
        ChecksumAlgorithm::Crc32c => Some(CrcAlgorithm::Crc32Iscsi),
        ChecksumAlgorithm::Crc64Nvme => Some(CrcAlgorithm::Crc64Nvme),
        ChecksumAlgorithm::Sha256 => None,
    }
}

/// The CRC of `a` followed by `b` (`len_b` bytes) from the CRCs of each: the full-object CRC
/// from part CRCs computed in parallel. `None` for SHA-256.
pub fn combine_crc(algorithm: ChecksumAlgorithm, a: u64, b: u64, len_b: u64) -> Option<u64> {
    crc_algorithm(algorithm).map(|alg| crc_fast::checksum_combine(alg, a, b, len_b))
}

/// The base64 form S3 uses of a CRC value.
pub fn crc_base64(algorithm: ChecksumAlgorithm, value: u64) -> String {
    let engine = base64::engine::general_purpose::STANDARD;
    match algorithm {
        ChecksumAlgorithm::Crc64Nvme => engine.encode(value.to_be_bytes()),
        _ => engine.encode((value as u32).to_be_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_crcs_combine_into_the_whole() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for a in [
            ChecksumAlgorithm::Crc32,
            ChecksumAlgorithm::Crc32c,
            ChecksumAlgorithm::Crc64Nvme,
        ] {
            let (x, y) = data.split_at(37_000);
            let crc = |d: &[u8]| {
                let mut h = Hasher::new(a);
                h.update(d);
                h.crc_value().expect("crc")
            };
            let combined = combine_crc(a, crc(x), crc(y), y.len() as u64).expect("combine");
            assert_eq!(crc_base64(a, combined), Hasher::of(a, &data), "{a:?}");
        }
    }

    #[test]
    fn known_values() {
        // Check values of the catalogued CRCs over "123456789", and SHA-256 of it.
        assert_eq!(
            Hasher::of(ChecksumAlgorithm::Crc32, b"123456789"),
            "y/Q5Jg=="
        ); // cbf43926
        assert_eq!(
            Hasher::of(ChecksumAlgorithm::Crc32c, b"123456789"),
            "4waSgw=="
        ); // e3069283
        assert_eq!(
            Hasher::of(ChecksumAlgorithm::Crc64Nvme, b"123456789"),
            "rosUhgp5mIg="
        ); // ae8b14860a799888
        assert_eq!(
            Hasher::of(ChecksumAlgorithm::Sha256, b"123456789"),
            "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU="
        );
    }
}

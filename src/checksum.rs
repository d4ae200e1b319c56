//! Additional checksums S3 stores with an object: CRC32 (`crc32fast`), CRC32C (`crc32c`, on
//! SSE4.2), CRC64NVME (`crc64fast-nvme`, on carry-less multiply) and SHA-256. Values are base64 of the big-endian
//! digest, as S3 sends them in `x-amz-checksum-*` headers and `<Checksum*>` elements.

use base64::Engine;

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
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Crc64Nvme(crc64fast_nvme::Digest),
    // Boxed: ring's context is several times larger than the CRC states.
    Sha256(Box<Sha256>),
}

impl Hasher {
    pub fn new(algorithm: ChecksumAlgorithm) -> Self {
        match algorithm {
            ChecksumAlgorithm::Crc32 => Self::Crc32(crc32fast::Hasher::new()),
            ChecksumAlgorithm::Crc32c => Self::Crc32c(0),
            ChecksumAlgorithm::Crc64Nvme => Self::Crc64Nvme(crc64fast_nvme::Digest::new()),
            ChecksumAlgorithm::Sha256 => Self::Sha256(Box::default()),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            Self::Crc32(h) => h.update(data),
            Self::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, data),
            Self::Crc64Nvme(d) => d.write(data),
            Self::Sha256(s) => s.update(data),
        }
    }

    fn algorithm(&self) -> ChecksumAlgorithm {
        match self {
            Self::Crc32(_) => ChecksumAlgorithm::Crc32,
            Self::Crc32c(_) => ChecksumAlgorithm::Crc32c,
            Self::Crc64Nvme(_) => ChecksumAlgorithm::Crc64Nvme,
            Self::Sha256(_) => ChecksumAlgorithm::Sha256,
        }
    }

    /// The base64 value S3 uses.
    pub fn finish_base64(&self) -> String {
        match (self, self.crc_value()) {
            (Self::Sha256(s), _) => {
                base64::engine::general_purpose::STANDARD.encode(s.clone().finish())
            }
            (_, value) => crc_base64(self.algorithm(), value.unwrap_or(0)),
        }
    }

    /// The CRC value itself (for combining part CRCs into the full-object CRC); `None` for
    /// SHA-256, which does not combine.
    pub fn crc_value(&self) -> Option<u64> {
        match self {
            Self::Crc32(h) => Some(u64::from(h.clone().finalize())),
            Self::Crc32c(crc) => Some(u64::from(*crc)),
            Self::Crc64Nvme(d) => Some(d.sum64()),
            Self::Sha256(_) => None,
        }
    }

    pub fn of(algorithm: ChecksumAlgorithm, data: &[u8]) -> String {
        let mut h = Self::new(algorithm);
        h.update(data);
        h.finish_base64()
    }
}

/// The CRC of `a` followed by `b` (`len_b` bytes) from the CRCs of each: the full-object CRC
/// from part CRCs computed in parallel. `None` for SHA-256.
pub fn combine_crc(algorithm: ChecksumAlgorithm, a: u64, b: u64, len_b: u64) -> Option<u64> {
    // The reflected polynomials (init and final xor all ones, as S3's CRCs are).
    let (poly, width) = match algorithm {
        ChecksumAlgorithm::Crc32 => (0xEDB8_8320, 32),
        ChecksumAlgorithm::Crc32c => (0x82F6_3B78, 32),
        ChecksumAlgorithm::Crc64Nvme => (0x9A6C_9329_AC4B_C9B5, 64),
        ChecksumAlgorithm::Sha256 => return None,
    };
    Some(crc_shift::combine(poly, width, a, b, len_b))
}

/// zlib's (1.2.12+) `crc32_combine`, for any reflected CRC up to 64 bits: appending `len` zero
/// bytes multiplies the CRC register by x^(8·len) modulo the polynomial, and that power is built
/// from repeated squares. A few thousand bit operations per part, so combining thousands of
/// parts costs nothing next to hashing them.
mod crc_shift {
    /// `a·b mod poly`; polynomials are stored reflected, x^0 in bit `width - 1`.
    fn multiply(poly: u64, width: usize, a: u64, mut b: u64) -> u64 {
        let mut m = 1u64 << (width - 1);
        let mut product = 0;
        while m != 0 {
            if a & m != 0 {
                product ^= b;
                if a & (m - 1) == 0 {
                    break;
                }
            }
            m >>= 1;
            b = if b & 1 == 1 { (b >> 1) ^ poly } else { b >> 1 };
        }
        product
    }

    pub(super) fn combine(poly: u64, width: usize, crc1: u64, crc2: u64, len: u64) -> u64 {
        let mut power = 1u64 << (width - 2); // x^1
        for _ in 0..3 {
            power = multiply(poly, width, power, power); // x^2, x^4, x^8: one byte
        }
        let mut factor = 1u64 << (width - 1); // x^0
        let mut n = len;
        while n != 0 {
            if n & 1 == 1 {
                factor = multiply(poly, width, power, factor);
            }
            power = multiply(poly, width, power, power);
            n >>= 1;
        }
        multiply(poly, width, factor, crc1) ^ crc2
    }
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
            let crc = |d: &[u8]| {
                let mut h = Hasher::new(a);
                h.update(d);
                h.crc_value().expect("crc")
            };
            for at in [0, 1, 7, 37_000, 65_536, 99_999, 100_000] {
                let (x, y) = data.split_at(at);
                let combined = combine_crc(a, crc(x), crc(y), y.len() as u64).expect("combine");
                assert_eq!(
                    crc_base64(a, combined),
                    Hasher::of(a, &data),
                    "{a:?} split at {at}"
                );
            }
        }
    }

    #[test]
    fn many_uneven_parts_chain_into_the_whole() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 31 % 253) as u8).collect();
        let cuts = [0, 5, 4096, 70_001, 70_001, 200_000, 300_000];
        for a in [
            ChecksumAlgorithm::Crc32,
            ChecksumAlgorithm::Crc32c,
            ChecksumAlgorithm::Crc64Nvme,
        ] {
            let mut whole: Option<u64> = None;
            for w in cuts.windows(2) {
                let part = &data[w[0]..w[1]];
                let mut h = Hasher::new(a);
                h.update(part);
                let crc = h.crc_value().expect("crc");
                whole = Some(match whole {
                    None => crc,
                    Some(acc) => combine_crc(a, acc, crc, part.len() as u64).expect("combine"),
                });
            }
            assert_eq!(
                crc_base64(a, whole.expect("parts")),
                Hasher::of(a, &data),
                "{a:?}"
            );
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

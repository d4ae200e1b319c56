//! How a download is verified, never more weakly than the upload was: against the checksum S3
//! stores with the object (the whole object's CRC, or a multipart object's composite value,
//! each part checked on its own), else against an ETag that is an MD5 of the bytes, else by
//! size alone, which the report then says. Pure: bytes in, verdict out.
//!
//! The object is cut into segments (its parts for a composite checksum, else one segment):
//! [`InOrder`] digests bytes given in order; a file downloaded out of order gives the CRCs of
//! its pieces instead, which [`Check::conclude_crcs`] combines.

use base64::Engine as _;
use md5::Digest as _;

use crate::checksum::{combine_crc, crc_base64, ChecksumAlgorithm, Hasher};

/// What is compared at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Check {
    /// The checksum of the whole object (`segments` is one, the object).
    Whole {
        algorithm: ChecksumAlgorithm,
        expected: String,
    },
    /// A composite checksum: each part's own checksum, then the checksum of the parts'
    /// checksums, `-N` (segments are the parts).
    Composite {
        algorithm: ChecksumAlgorithm,
        expected: String,
        parts: Vec<String>,
    },
    /// The ETag, an MD5 of the bytes.
    Md5([u8; 16]),
    /// Nothing but the size.
    SizeOnly,
}

impl Check {
    /// The CRC algorithm whose piece values combine into this check's values, if it has one.
    pub(crate) fn crc(&self) -> Option<ChecksumAlgorithm> {
        match self {
            Self::Whole { algorithm, .. } | Self::Composite { algorithm, .. }
                if algorithm.supports_full_object() =>
            {
                Some(*algorithm)
            }
            _ => None,
        }
    }

    /// What the report says was verified: `crc64nvme`, `crc32-composite`, `md5-etag`, ...
    pub(crate) fn label(&self) -> String {
        match self {
            Self::Whole { algorithm, .. } => algorithm.name().to_ascii_lowercase(),
            Self::Composite { algorithm, .. } => {
                format!("{}-composite", algorithm.name().to_ascii_lowercase())
            }
            Self::Md5(_) => "md5-etag".into(),
            Self::SizeOnly => "size-only".into(),
        }
    }

    /// The stored value compared against, as S3 shows it.
    pub(crate) fn expected(&self) -> Option<String> {
        match self {
            Self::Whole { expected, .. } => Some(expected.clone()),
            Self::Composite {
                expected, parts, ..
            } => Some(format!("{expected}-{}", parts.len())),
            Self::Md5(_) | Self::SizeOnly => None,
        }
    }

    /// Compares the values computed per segment with the stored ones.
    ///
    /// # Errors
    /// What differs, both values named.
    fn conclude(&self, computed: &[String]) -> Result<(), String> {
        let differ = |what: &str, got: &str, want: &str| {
            Err(format!(
                "{what} of the downloaded bytes is {got}, but the object's is {want}"
            ))
        };
        match self {
            Self::Whole {
                algorithm,
                expected,
            } => match computed.first() {
                Some(got) if got == expected => Ok(()),
                got => differ(
                    algorithm.name(),
                    got.map_or("missing", String::as_str),
                    expected,
                ),
            },
            Self::Composite {
                algorithm,
                expected,
                parts,
            } => {
                for (i, (got, want)) in computed.iter().zip(parts).enumerate() {
                    if got != want {
                        return differ(
                            &format!("the {} of part {}", algorithm.name(), i + 1),
                            got,
                            want,
                        );
                    }
                }
                let composite = composite_of(*algorithm, computed);
                if computed.len() != parts.len() || composite != *expected {
                    let n = parts.len();
                    return differ(
                        &format!("the composite {}", algorithm.name()),
                        &format!("{composite}-{}", computed.len()),
                        &format!("{expected}-{n}"),
                    );
                }
                Ok(())
            }
            Self::Md5(want) => {
                let want = hex(want);
                match computed.first() {
                    Some(got) if *got == want => Ok(()),
                    got => differ("the MD5", got.map_or("missing", String::as_str), &want),
                }
            }
            Self::SizeOnly => Ok(()),
        }
    }

    /// Concludes from the CRCs of pieces in object order, `(segment, crc, len)`, over
    /// `segments` segments (an empty one has no piece: its CRC is that of nothing, 0).
    ///
    /// # Errors
    /// As [`conclude`](Self::conclude).
    pub(crate) fn conclude_crcs(
        &self,
        segments: usize,
        pieces: &[(usize, u64, u64)],
    ) -> Result<(), String> {
        let Some(algorithm) = self.crc() else {
            return Ok(());
        };
        let mut values: Vec<Option<u64>> = vec![None; segments];
        for &(segment, crc, len) in pieces {
            let Some(slot) = values.get_mut(segment) else {
                return Err(format!("a piece of segment {segment} of {segments}"));
            };
            *slot = Some(match *slot {
                Some(acc) => combine_crc(algorithm, acc, crc, len).unwrap_or(0),
                None => crc,
            });
        }
        let computed: Vec<String> = values
            .into_iter()
            .map(|v| crc_base64(algorithm, v.unwrap_or(0)))
            .collect();
        self.conclude(&computed)
    }
}

/// The composite checksum: the checksum of the concatenated (decoded) part checksums.
fn composite_of(algorithm: ChecksumAlgorithm, parts: &[String]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut h = Hasher::new(algorithm);
    for p in parts {
        h.update(&b64.decode(p).unwrap_or_default());
    }
    h.finish_base64()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One segment's running digest.
enum Running {
    Checksum(Hasher),
    Md5(md5::Md5),
    None,
}

impl Running {
    fn new(check: &Check) -> Self {
        match check {
            Check::Whole { algorithm, .. } | Check::Composite { algorithm, .. } => {
                Self::Checksum(Hasher::new(*algorithm))
            }
            Check::Md5(_) => Self::Md5(md5::Md5::new()),
            Check::SizeOnly => Self::None,
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Checksum(h) => h.update(bytes),
            Self::Md5(h) => h.update(bytes),
            Self::None => {}
        }
    }

    fn finish(self) -> String {
        match self {
            Self::Checksum(h) => h.finish_base64(),
            Self::Md5(h) => hex(&h.finalize()),
            Self::None => String::new(),
        }
    }
}

/// Digests the object's bytes given in order, segment by segment.
pub(crate) struct InOrder {
    check: Check,
    segments: Vec<u64>,
    left: u64,
    running: Running,
    done: Vec<String>,
}

impl InOrder {
    /// `segments`: the segment lengths, in order (they add up to the object's size).
    pub(crate) fn new(check: Check, segments: Vec<u64>) -> Self {
        let running = Running::new(&check);
        let left = segments.first().copied().unwrap_or(0);
        Self {
            check,
            segments,
            left,
            running,
            done: Vec::new(),
        }
    }

    pub(crate) fn update(&mut self, mut bytes: &[u8]) {
        if matches!(self.check, Check::SizeOnly) {
            return;
        }
        while !bytes.is_empty() {
            let n = usize::try_from(self.left)
                .unwrap_or(usize::MAX)
                .min(bytes.len());
            self.running.update(&bytes[..n]);
            self.left -= n as u64;
            bytes = &bytes[n..];
            if self.left == 0 && self.done.len() + 1 < self.segments.len() {
                self.next_segment();
            } else if self.left == 0 && !bytes.is_empty() {
                // More bytes than the segments hold: keep them in the last one, so the
                // comparison fails rather than the extra bytes going unseen.
                self.running.update(bytes);
                return;
            }
        }
    }

    fn next_segment(&mut self) {
        let finished = std::mem::replace(&mut self.running, Running::new(&self.check));
        self.done.push(finished.finish());
        self.left = self.segments[self.done.len()];
    }

    /// Compares with the stored values.
    ///
    /// # Errors
    /// What differs, both values named.
    pub(crate) fn finish(mut self) -> Result<(), String> {
        if matches!(self.check, Check::SizeOnly) {
            return Ok(());
        }
        let last = std::mem::replace(&mut self.running, Running::None);
        self.done.push(last.finish());
        self.check.conclude(&self.done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(algorithm: ChecksumAlgorithm, data: &[u8]) -> Check {
        Check::Whole {
            algorithm,
            expected: Hasher::of(algorithm, data),
        }
    }

    #[test]
    fn in_order_and_by_pieces_agree() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let check = whole(ChecksumAlgorithm::Crc64Nvme, &data);
        let mut v = InOrder::new(check.clone(), vec![data.len() as u64]);
        for chunk in data.chunks(7_777) {
            v.update(chunk);
        }
        assert_eq!(v.finish(), Ok(()));
        let pieces: Vec<(usize, u64, u64)> = data
            .chunks(30_000)
            .map(|c| {
                let mut h = Hasher::new(ChecksumAlgorithm::Crc64Nvme);
                h.update(c);
                (0, h.crc_value().expect("crc"), c.len() as u64)
            })
            .collect();
        assert_eq!(check.conclude_crcs(1, &pieces), Ok(()));
        let empty = whole(ChecksumAlgorithm::Crc32, b"");
        assert_eq!(empty.conclude_crcs(1, &[]), Ok(()));
        let mut bad = data.clone();
        bad[5] ^= 1;
        let mut v = InOrder::new(check, vec![bad.len() as u64]);
        v.update(&bad);
        assert!(v.finish().expect_err("differs").contains("CRC64NVME"));
    }

    #[test]
    fn composite_checksums_check_each_part_and_the_whole() {
        let parts: [&[u8]; 3] = [b"first part", b"second", b"3"];
        for algorithm in [ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Sha256] {
            let values: Vec<String> = parts.iter().map(|p| Hasher::of(algorithm, p)).collect();
            let check = Check::Composite {
                algorithm,
                expected: composite_of(algorithm, &values),
                parts: values,
            };
            let lens = parts.iter().map(|p| p.len() as u64).collect();
            let mut v = InOrder::new(check.clone(), lens);
            v.update(&parts.concat());
            assert_eq!(v.finish(), Ok(()), "{algorithm:?}");
            let lens = parts.iter().map(|p| p.len() as u64).collect();
            let mut v = InOrder::new(check, lens);
            v.update(b"first pArt");
            v.update(b"second3");
            assert!(v.finish().expect_err("differs").contains("part 1"));
        }
    }

    #[test]
    fn an_md5_etag_is_checked() {
        let digest: [u8; 16] = md5::Md5::digest(b"hello").into();
        let mut v = InOrder::new(Check::Md5(digest), vec![5]);
        v.update(b"hello");
        assert_eq!(v.finish(), Ok(()));
        let mut v = InOrder::new(Check::Md5(digest), vec![5]);
        v.update(b"hellp");
        assert!(v.finish().is_err());
    }
}

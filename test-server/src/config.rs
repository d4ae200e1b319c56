//! What a test server is asked to be: address, storage root, credentials, buckets, logging,
//! TLS and S3 limits. Plain data with S3-like defaults; this module never starts anything.

use crate::faults::Fault;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// Access key id of the default test credentials.
pub const DEFAULT_ACCESS_KEY: &str = "AKIDTESTS3UP";
/// Secret access key of the default test credentials.
pub const DEFAULT_SECRET_KEY: &str = "test-secret-key-s3up";
/// Region the server answers for unless told otherwise.
pub const DEFAULT_REGION: &str = "us-east-1";
/// S3's minimum size of every part but the last (5 MiB).
pub const DEFAULT_MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// S3's maximum number of parts in one multipart upload.
pub const DEFAULT_MAX_PARTS: u32 = 10_000;

/// Format of the access log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// The Amazon S3 server access log format (space-separated, one request per line).
    #[default]
    S3,
    /// One JSON object per line, with the S3 fields plus payload mode, access key id, region
    /// and verdict.
    Json,
}

/// What the server does with AWS Signature Version 2 requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SigV2Mode {
    /// Refuse them as S3 does today: `400 InvalidRequest`, "The authorization mechanism you
    /// have provided is not supported. Please use AWS4-HMAC-SHA256."
    #[default]
    Reject,
    /// Verify them (HMAC-SHA1) and accept them, with a 15-minute clock-skew check, as S3 did
    /// before the cut-off.
    Accept,
}

/// How requests signed for another region than the server's are answered (S3's two ways).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrongRegion {
    /// `301 PermanentRedirect` with `x-amz-bucket-region` (what S3 answers a request sent to
    /// another region's endpoint).
    Redirect,
    /// `400 AuthorizationHeaderMalformed` ("the region 'X' is wrong; expecting 'Y'") with
    /// `<Region>` and `x-amz-bucket-region`.
    Malformed,
}

/// Configuration of one test server. `Config::default()` is a loopback server on a free port
/// over a fresh temporary directory with the default test credentials.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to bind; port 0 picks a free one.
    pub addr: SocketAddr,
    /// Storage root; `None`: a temporary directory owned by the handle, deleted on shutdown.
    pub root: Option<PathBuf>,
    /// The access key id requests must be signed with.
    pub access_key: String,
    /// The secret key matching `access_key`.
    pub secret_key: String,
    /// The region the server lives in (reported by GetBucketLocation).
    pub region: String,
    /// Buckets created at start (existing ones are kept).
    pub buckets: Vec<String>,
    /// Base domain for virtual-hosted-style requests: `bucket.DOMAIN[:port]`.
    pub domain: Option<String>,
    /// Access log file; `None`: a file in a temporary directory owned by the handle.
    pub access_log: Option<PathBuf>,
    /// Also echo each access log line to standard output.
    pub log_stdout: bool,
    /// Access log line format.
    pub log_format: LogFormat,
    /// Treatment of Signature Version 2 requests.
    pub sigv2: SigV2Mode,
    /// Serve HTTPS with a freshly made self-signed CA (its PEM is written to a file).
    pub tls: bool,
    /// Minimum size of every part but the last, checked at CompleteMultipartUpload.
    pub min_part_size: u64,
    /// Highest part number UploadPart accepts.
    pub max_parts: u32,
    /// Seconds the server's clock is ahead of the system clock (negative: behind), to make
    /// clients meet `RequestTimeTooSkewed`; the `Date` header shows the shifted clock.
    pub clock_offset: i64,
    /// Verify signatures, payload hashes and checksums, but store no object or part bytes
    /// (objects keep their size and checksums, so HEAD and listings still work; GET returns zeros)
    /// (for benchmarking clients without disk limits).
    pub discard: bool,
    /// Faults to inject (see [`Fault::parse`] for the text form).
    pub faults: Vec<Fault>,
    /// Seed of the fault generator (same seed and request order: same faults).
    pub seed: u64,
    /// How requests signed for another region than `region` are refused, as S3 refuses them
    /// always; `None` is `Malformed` (S3's answer at a bucket's regional endpoint).
    pub wrong_region: Option<WrongRegion>,
    /// Answer a CompleteMultipartUpload repeated after it succeeded with `NoSuchUpload`, as
    /// MinIO and SeaweedFS do, instead of S3's 200 with the same ETag (to test a client's
    /// recovery of a lost Complete answer).
    pub forget_completed_uploads: bool,
    /// Refuse header-signed requests whose payload is unsigned (`UNSIGNED-PAYLOAD`, the unsigned
    /// trailer) with 501 `NotImplemented`, as some S3-compatible stores do: to test a client's
    /// fallback to signed payloads.
    pub refuse_unsigned_payloads: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            root: None,
            access_key: DEFAULT_ACCESS_KEY.to_owned(),
            secret_key: DEFAULT_SECRET_KEY.to_owned(),
            region: DEFAULT_REGION.to_owned(),
            buckets: Vec::new(),
            domain: None,
            access_log: None,
            log_stdout: false,
            log_format: LogFormat::S3,
            sigv2: SigV2Mode::Reject,
            tls: false,
            min_part_size: DEFAULT_MIN_PART_SIZE,
            max_parts: DEFAULT_MAX_PARTS,
            clock_offset: 0,
            discard: false,
            faults: Vec::new(),
            seed: 0,
            wrong_region: None,
            forget_completed_uploads: false,
            refuse_unsigned_payloads: false,
        }
    }
}

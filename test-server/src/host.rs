//! Virtual-hosted-style addressing for s3s: `bucket.DOMAIN[:port]` names the bucket; any other
//! Host (an IP address, the bare domain) means path style. Parsing only.

use crate::facts::bucket_from_host;

use s3s::host::{S3Host, VirtualHost};
use s3s::S3Result;

/// The base domain buckets live under.
#[derive(Debug, Clone)]
pub struct Domain {
    base: String,
}

impl Domain {
    /// Buckets under `base` (e.g. `localhost`).
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_ascii_lowercase(),
        }
    }
}

impl S3Host for Domain {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> S3Result<VirtualHost<'a>> {
        Ok(match bucket_from_host(host, &self.base) {
            Some(bucket) => VirtualHost::new(self.base.as_str()).with_bucket(bucket),
            None => VirtualHost::new(host),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_or_path_style() {
        let d = Domain::new("localhost");
        let vh = d
            .parse_host_header("photos.localhost:9000")
            .expect("parses");
        assert_eq!(vh.bucket(), Some("photos"));
        let vh = d.parse_host_header("localhost:9000").expect("parses");
        assert_eq!(vh.bucket(), None);
    }
}

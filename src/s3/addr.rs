//! `s3://bucket/key` URLs and where a bucket lives: endpoint + addressing style -> host and path.

use std::fmt;

/// A parsed `s3://bucket/key` (key may be empty or end with `/`, meaning a prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrError(pub String);

impl fmt::Display for AddrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AddrError {}

impl S3Url {
    /// # Errors
    /// When the text is not `s3://BUCKET[/KEY]` with a valid bucket name.
    pub fn parse(text: &str) -> Result<Self, AddrError> {
        let rest = text.strip_prefix("s3://").ok_or_else(|| {
            AddrError(format!(
                "'{text}' is not an S3 URL: expected s3://BUCKET/KEY"
            ))
        })?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        validate_bucket(bucket).map_err(|why| AddrError(format!("'{text}': {why}")))?;
        Ok(Self {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }

    pub fn is_prefix(&self) -> bool {
        self.key.is_empty() || self.key.ends_with('/')
    }
}

impl fmt::Display for S3Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

fn validate_bucket(bucket: &str) -> Result<(), String> {
    if bucket.is_empty() {
        return Err("the bucket name is missing".into());
    }
    if bucket.len() < 3 || bucket.len() > 63 {
        return Err(format!("bucket name '{bucket}' must be 3 to 63 characters"));
    }
    let ok = bucket
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_'));
    if !ok {
        return Err(format!(
            "bucket name '{bucket}' may only hold lower-case letters, digits, '.', '-' and '_'"
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AddressingStyle {
    #[default]
    Auto,
    Path,
    Virtual,
}

impl std::str::FromStr for AddressingStyle {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Self::Auto),
            "path" => Ok(Self::Path),
            "virtual" => Ok(Self::Virtual),
            other => Err(format!(
                "unknown addressing style '{other}': use auto, path or virtual"
            )),
        }
    }
}

/// Where requests go: scheme, host and port, and whether the endpoint is AWS's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub scheme: String,
    pub host: String,
    pub port: Option<u16>,
    /// True for a `--endpoint-url`; false for the AWS regional endpoint.
    pub custom: bool,
}

impl Endpoint {
    /// The AWS regional endpoint.
    pub fn aws(region: &str) -> Self {
        Self {
            scheme: "https".into(),
            host: format!("s3.{region}.amazonaws.com"),
            port: None,
            custom: false,
        }
    }

    /// # Errors
    /// When `url` is not `http(s)://HOST[:PORT][/]`.
    pub fn parse(url: &str) -> Result<Self, AddrError> {
        let bad = || {
            AddrError(format!(
                "'{url}' is not an endpoint URL: expected http(s)://HOST[:PORT]"
            ))
        };
        let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
        if scheme != "http" && scheme != "https" {
            return Err(bad());
        }
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') || authority.contains('@') {
            return Err(bad());
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
                (h.to_owned(), Some(p.parse::<u16>().map_err(|_| bad())?))
            }
            _ => (authority.to_owned(), None),
        };
        Ok(Self {
            scheme: scheme.to_owned(),
            host,
            port,
            custom: true,
        })
    }

    fn host_port(&self, host: &str) -> String {
        match self.port {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        }
    }

    fn is_ip_or_localhost(&self) -> bool {
        self.host == "localhost"
            || self.host.starts_with('[')
            || self.host.parse::<std::net::IpAddr>().is_ok()
    }

    /// Whether `bucket` is addressed as `bucket.HOST` under `style`.
    pub fn uses_virtual_host(&self, bucket: &str, style: AddressingStyle) -> bool {
        let dns_safe = bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && !bucket.contains("..");
        match style {
            AddressingStyle::Path => false,
            AddressingStyle::Virtual => true,
            AddressingStyle::Auto => {
                // Dots break the wildcard TLS certificate; custom endpoints are usually
                // path-style servers (MinIO, SeaweedFS, the embedded one).
                let dotted_over_tls = bucket.contains('.') && self.scheme == "https";
                !(self.custom || self.is_ip_or_localhost() || !dns_safe || dotted_over_tls)
            }
        }
    }

    /// Host header and decoded path for an object (or the bucket when `key` is empty).
    pub fn locate(&self, bucket: &str, key: &str, style: AddressingStyle) -> Location {
        if bucket.is_empty() {
            // The service itself (ListBuckets).
            return Location {
                host: self.host_port(&self.host),
                path: "/".into(),
            };
        }
        if self.uses_virtual_host(bucket, style) {
            Location {
                host: self.host_port(&format!("{bucket}.{}", self.host)),
                path: format!("/{key}"),
            }
        } else {
            let path = if key.is_empty() {
                format!("/{bucket}")
            } else {
                format!("/{bucket}/{key}")
            };
            Location {
                host: self.host_port(&self.host),
                path,
            }
        }
    }

    pub fn base_url(&self, host: &str) -> String {
        format!("{}://{host}", self.scheme)
    }
}

/// Host (with port) and the decoded path of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub host: String,
    pub path: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_s3_urls() {
        let u = S3Url::parse("s3://my-bucket/dir/a b.tar").expect("valid");
        assert_eq!(
            (u.bucket.as_str(), u.key.as_str()),
            ("my-bucket", "dir/a b.tar")
        );
        assert!(S3Url::parse("s3://my-bucket/dir/")
            .expect("valid")
            .is_prefix());
        assert!(S3Url::parse("s3://my-bucket").expect("valid").is_prefix());
        for bad in [
            "my-bucket/key",
            "s3://",
            "s3:///key",
            "s3://Upper/k",
            "http://b/k",
            "s3://ab/k",
        ] {
            assert!(S3Url::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn chooses_addressing() {
        let aws = Endpoint::aws("eu-west-1");
        let loc = aws.locate("bucket", "k", AddressingStyle::Auto);
        assert_eq!(loc.host, "bucket.s3.eu-west-1.amazonaws.com");
        assert_eq!(loc.path, "/k");
        let dotted = aws.locate("my.bucket", "k", AddressingStyle::Auto);
        assert_eq!(
            (dotted.host.as_str(), dotted.path.as_str()),
            ("s3.eu-west-1.amazonaws.com", "/my.bucket/k")
        );
        let local = Endpoint::parse("http://127.0.0.1:9000").expect("valid");
        let loc = local.locate("bucket", "k", AddressingStyle::Auto);
        assert_eq!(
            (loc.host.as_str(), loc.path.as_str()),
            ("127.0.0.1:9000", "/bucket/k")
        );
        let virt = Endpoint::parse("http://localhost:9000/").expect("valid");
        assert_eq!(
            virt.locate("b-1", "", AddressingStyle::Virtual).host,
            "b-1.localhost:9000"
        );
        assert!(Endpoint::parse("ftp://x").is_err());
        assert!(Endpoint::parse("http://h:notaport").is_err());
    }
}

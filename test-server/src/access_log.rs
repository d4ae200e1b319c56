//! The access log: one record per request, written and flushed the moment the answer is
//! complete, as an Amazon S3 server access log line or as one JSON object per line, and read
//! back into the same records (for tests, which assert on fields, not on text). It only
//! formats, appends and parses records; it never decides what happened to a request.

mod parse;

use crate::clock;
use crate::config::LogFormat;

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

/// One request as the log shows it (and as [`LogRecord::parse`] reads it back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// Canonical user id of the bucket owner.
    pub bucket_owner: String,
    /// Bucket addressed.
    pub bucket: Option<String>,
    /// When the request arrived (server clock).
    pub time: SystemTime,
    /// Client address.
    pub remote_ip: IpAddr,
    /// Canonical user id of the requester (when it named a known access key).
    pub requester: Option<String>,
    /// `x-amz-request-id` of the answer.
    pub request_id: String,
    /// e.g. `REST.PUT.PART`.
    pub operation: String,
    /// URL-encoded key or `-`.
    pub key: String,
    /// `"PUT /b/k HTTP/1.1"`.
    pub request_uri: String,
    /// HTTP status sent.
    pub status: u16,
    /// S3 error code sent (also for a 200 carrying an `<Error>`).
    pub error_code: Option<String>,
    /// Response body bytes sent.
    pub bytes_sent: u64,
    /// Size of the object concerned.
    pub object_size: Option<u64>,
    /// From first request byte to last response byte, in milliseconds.
    pub total_time_ms: u64,
    /// From last request byte to first response byte, in milliseconds.
    pub turn_around_ms: Option<u64>,
    /// Referer header.
    pub referer: Option<String>,
    /// User-Agent header.
    pub user_agent: Option<String>,
    /// `x-amz-id-2` of the answer.
    pub host_id: String,
    /// `SigV2`, `SigV4` or `-`.
    pub signature_version: &'static str,
    /// TLS cipher suite (HTTPS only).
    pub cipher_suite: Option<String>,
    /// `AuthHeader`, `QueryString` or `-`.
    pub auth_type: &'static str,
    /// Host header.
    pub host_header: Option<String>,
    /// `TLSv1.2` / `TLSv1.3` (HTTPS only).
    pub tls_version: Option<String>,
    /// Payload mode (JSON only; `-` read from an S3 line): signed, unsigned, aws-chunked, ...
    pub payload_mode: &'static str,
    /// The additional checksum the request carried (JSON only): `CRC64NVME` (a header),
    /// `CRC32 trailer`, or `None`.
    pub checksum: Option<String>,
    /// Access key id named by the request (JSON only; `None` read from an S3 line).
    pub access_key_id: Option<String>,
    /// Region of the credential scope (JSON only; `None` read from an S3 line).
    pub region: Option<String>,
    /// `accepted` (status below 400) or `rejected`.
    pub verdict: &'static str,
    /// Name of the fault injected into this request, if any.
    pub fault: Option<String>,
}

fn dash(v: Option<&str>) -> &str {
    match v {
        Some(s) if !s.is_empty() => s,
        _ => "-",
    }
}

fn quoted(v: Option<&str>) -> String {
    format!("\"{}\"", dash(v).replace('"', "\\\""))
}

fn num_or_dash(v: Option<u64>) -> String {
    v.map_or_else(|| "-".to_owned(), |n| n.to_string())
}

impl LogRecord {
    /// The S3 server access log line (no newline).
    pub fn s3_line(&self) -> String {
        let bytes = (self.bytes_sent > 0).then_some(self.bytes_sent);
        let mut fields = vec![
            self.bucket_owner.clone(),
            dash(self.bucket.as_deref()).to_owned(),
            format!("[{}]", clock::fmt_log_time(self.time)),
            self.remote_ip.to_string(),
            dash(self.requester.as_deref()).to_owned(),
            self.request_id.clone(),
            self.operation.clone(),
            self.key.clone(),
            quoted(Some(&self.request_uri)),
            self.status.to_string(),
            dash(self.error_code.as_deref()).to_owned(),
            num_or_dash(bytes),
            num_or_dash(self.object_size),
            self.total_time_ms.to_string(),
            num_or_dash(self.turn_around_ms),
            quoted(self.referer.as_deref()),
            quoted(self.user_agent.as_deref()),
            "-".to_owned(),
            self.host_id.clone(),
            self.signature_version.to_owned(),
            dash(self.cipher_suite.as_deref()).to_owned(),
            self.auth_type.to_owned(),
            dash(self.host_header.as_deref()).to_owned(),
            dash(self.tls_version.as_deref()).to_owned(),
            "-".to_owned(),
            "-".to_owned(),
        ];
        if let Some(fault) = &self.fault {
            fields.push(format!("fault:{fault}"));
        }
        fields.join(" ")
    }

    /// The JSON line (no newline).
    pub fn json_line(&self) -> String {
        let v = serde_json::json!({
            "bucket_owner": self.bucket_owner,
            "bucket": self.bucket,
            "time": clock::fmt_iso8601(self.time),
            "remote_ip": self.remote_ip.to_string(),
            "requester": self.requester,
            "request_id": self.request_id,
            "operation": self.operation,
            "key": self.key,
            "request_uri": self.request_uri,
            "status": self.status,
            "error_code": self.error_code,
            "bytes_sent": self.bytes_sent,
            "object_size": self.object_size,
            "total_time_ms": self.total_time_ms,
            "turn_around_time_ms": self.turn_around_ms,
            "referer": self.referer,
            "user_agent": self.user_agent,
            "version_id": null,
            "host_id": self.host_id,
            "signature_version": self.signature_version,
            "cipher_suite": self.cipher_suite,
            "authentication_type": self.auth_type,
            "host_header": self.host_header,
            "tls_version": self.tls_version,
            "payload_mode": self.payload_mode,
            "checksum": self.checksum,
            "access_key_id": self.access_key_id,
            "region": self.region,
            "verdict": self.verdict,
            "fault": self.fault,
        });
        v.to_string()
    }
}

/// The open access log file (and optional echo to standard output).
#[derive(Debug)]
pub struct AccessLog {
    path: PathBuf,
    file: Mutex<File>,
    stdout: bool,
    format: LogFormat,
}

impl AccessLog {
    /// Opens (appending, creating if needed) the log at `path`.
    ///
    /// # Errors
    /// The file cannot be opened for appending.
    pub fn open(path: &Path, stdout: bool, format: LogFormat) -> io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            path: path.to_owned(),
            file: Mutex::new(file),
            stdout,
            format,
        })
    }

    /// Where the log is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every complete record in the file, in order (a line being written is left out).
    pub fn records(&self) -> Vec<LogRecord> {
        std::fs::read_to_string(&self.path)
            .unwrap_or_default()
            .lines()
            .filter_map(LogRecord::parse)
            .collect()
    }

    /// Appends one record and flushes it; I/O errors are reported on stderr, not raised.
    pub fn write(&self, rec: &LogRecord) {
        let mut line = match self.format {
            LogFormat::S3 => rec.s3_line(),
            LogFormat::Json => rec.json_line(),
        };
        line.push('\n');
        {
            let mut file = self
                .file
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Err(e) = file.write_all(line.as_bytes()).and_then(|()| file.flush()) {
                eprintln!(
                    "test-server: cannot write access log {}: {e}",
                    self.path.display()
                );
            }
        }
        if self.stdout {
            let mut out = io::stdout().lock();
            // A closed stdout must not take the server down.
            let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn record() -> LogRecord {
        LogRecord {
            bucket_owner: "owner".into(),
            bucket: Some("bkt".into()),
            time: clock::parse_amz_date("20190206T000038Z").expect("date"),
            remote_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            requester: Some("owner".into()),
            request_id: "RID".into(),
            operation: "REST.PUT.PART".into(),
            key: "a/b".into(),
            request_uri: "PUT /bkt/a/b?partNumber=1&uploadId=x HTTP/1.1".into(),
            status: 200,
            error_code: None,
            bytes_sent: 0,
            object_size: Some(5),
            total_time_ms: 7,
            turn_around_ms: Some(2),
            referer: None,
            user_agent: Some("aws-cli/1.45 \"x\"".into()),
            host_id: "HID".into(),
            signature_version: "SigV4",
            cipher_suite: None,
            auth_type: "AuthHeader",
            host_header: Some("127.0.0.1:9000".into()),
            tls_version: None,
            payload_mode: "signed",
            checksum: Some("CRC64NVME".into()),
            access_key_id: Some("AKID".into()),
            region: Some("us-east-1".into()),
            verdict: "accepted",
            fault: None,
        }
    }

    #[test]
    fn s3_line_fields() {
        let line = record().s3_line();
        assert_eq!(
            line,
            "owner bkt [06/Feb/2019:00:00:38 +0000] 127.0.0.1 owner RID REST.PUT.PART a/b \
             \"PUT /bkt/a/b?partNumber=1&uploadId=x HTTP/1.1\" 200 - - 5 7 2 \"-\" \
             \"aws-cli/1.45 \\\"x\\\"\" - HID SigV4 - AuthHeader 127.0.0.1:9000 - - -"
        );
    }

    #[test]
    fn both_formats_read_back() {
        let mut rec = record();
        rec.time = clock::parse_amz_date("20190206T000038Z").expect("date");
        rec.fault = Some("reset-after-10".into());
        rec.referer = Some("say \"hi\"".into());
        assert_eq!(LogRecord::parse(&rec.json_line()), Some(rec.clone()));
        let from_s3 = LogRecord::parse(&rec.s3_line()).expect("S3 line");
        let s3_only = LogRecord {
            payload_mode: "-",
            checksum: None,
            access_key_id: None,
            region: None,
            ..rec.clone()
        };
        assert_eq!(from_s3, s3_only);
        rec.fault = None;
        rec.status = 403;
        rec.error_code = Some("AccessDenied".into());
        rec.verdict = "rejected";
        rec.object_size = None;
        assert_eq!(
            LogRecord::parse(&rec.s3_line()).map(|r| (r.verdict, r.fault, r.object_size)),
            Some(("rejected", None, None))
        );
        assert_eq!(LogRecord::parse("owner bkt [06/Feb/2019:00:00"), None);
    }

    #[test]
    fn json_line_fields() {
        let v: serde_json::Value = serde_json::from_str(&record().json_line()).expect("json");
        assert_eq!(v["payload_mode"], "signed");
        assert_eq!(v["verdict"], "accepted");
        assert_eq!(v["signature_version"], "SigV4");
        assert_eq!(v["access_key_id"], "AKID");
    }
}

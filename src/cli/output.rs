//! What `cp`/`tar` print: aws-cli's `upload: SRC to DEST` lines, `--json` objects, and a
//! progress line on stderr when it is a terminal.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::download::{DownloadReport, Source};
use crate::upload::{Control, UploadReport};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verbosity {
    Normal,
    OnlyErrors,
    Json,
}

impl Verbosity {
    /// `--json` wins over `--only-show-errors`/`--quiet`.
    pub(super) fn from_flags(json: bool, only_errors: bool, quiet: bool) -> Self {
        if json {
            Self::Json
        } else if only_errors || quiet {
            Self::OnlyErrors
        } else {
            Self::Normal
        }
    }
}

/// The `--json` object of one upload (callers may add fields).
pub(super) fn report_json(
    source: &str,
    bucket: &str,
    key: &str,
    report: &UploadReport,
) -> serde_json::Value {
    serde_json::json!({
        "source": source,
        "bucket": bucket,
        "key": key,
        "size": report.size,
        "etag": report.etag,
        "checksum": report.checksum,
        "checksum_algorithm": report.checksum_algorithm,
        "parts": report.parts,
        "seconds": (report.seconds * 1000.0).round() / 1000.0,
        "retries": report.retries,
    })
}

/// A finished upload: aws-cli's `upload: SRC to s3://b/k` line, or its `--json` object with
/// `extra` fields added.
pub(super) fn uploaded_with(
    verbosity: Verbosity,
    source: &str,
    bucket: &str,
    key: &str,
    report: &UploadReport,
    extra: serde_json::Map<String, serde_json::Value>,
) {
    match verbosity {
        Verbosity::Normal => println!("upload: {source} to s3://{bucket}/{key}"),
        Verbosity::Json => {
            let mut object = report_json(source, bucket, key, report);
            if let Some(map) = object.as_object_mut() {
                map.extend(extra);
            }
            println!("{object}");
        }
        Verbosity::OnlyErrors => {}
    }
}

/// A finished download: aws-cli's `download: s3://b/k to DEST` line, or its `--json` object
/// (on standard error when the data itself goes to standard output).
pub(super) fn downloaded(
    verbosity: Verbosity,
    source: &Source,
    dest: &str,
    report: &DownloadReport,
    data_on_stdout: bool,
) {
    let line = match verbosity {
        Verbosity::Normal if !data_on_stdout => {
            format!("download: s3://{}/{} to {dest}", source.bucket, source.key)
        }
        Verbosity::Json => serde_json::json!({
            "source": format!("s3://{}/{}", source.bucket, source.key),
            "bucket": source.bucket,
            "key": source.key,
            "destination": dest,
            "size": report.size,
            "etag": report.etag,
            "verified": report.verified,
            "checksum": report.checksum,
            "pieces": report.pieces,
            "seconds": (report.seconds * 1000.0).round() / 1000.0,
            "retries": report.retries,
        })
        .to_string(),
        _ => return,
    };
    if data_on_stdout {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
}

pub(super) fn download_failed(source: &Source, dest: &str, err: &dyn std::fmt::Display) {
    eprintln!(
        "download failed: s3://{}/{} to {dest}: {err}",
        source.bucket, source.key
    );
}

pub(super) fn failed(source: &str, bucket: &str, key: &str, err: &dyn std::fmt::Display) {
    eprintln!("upload failed: {source} to s3://{bucket}/{key}: {err}");
}

/// A progress line redrawn on stderr while an upload runs; nothing when stderr is not a
/// terminal (cron, CI, pipes).
pub(super) struct Progress {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    pub(super) fn start(control: Arc<Control>, total: Option<u64>, enabled: bool) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        if !enabled || !std::io::stderr().is_terminal() {
            return Self { stop, thread: None };
        }
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let base = control.bytes_done();
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(250));
                let done = control.bytes_done() - base;
                let secs = started.elapsed().as_secs_f64().max(0.001);
                let rate = done as f64 / secs;
                let eta = match total {
                    Some(t) if rate > 0.0 && t > done => {
                        format!(", ETA {:.0} s", (t - done) as f64 / rate)
                    }
                    _ => String::new(),
                };
                let of = total
                    .map(|t| format!(" / {}", human(t)))
                    .unwrap_or_default();
                eprint!(
                    "\r\x1b[K{}{of} at {}/s{eta}",
                    human(done),
                    human(rate as u64)
                );
                let _ = std::io::stderr().flush();
            }
            eprint!("\r\x1b[K");
        });
        Self {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub(super) fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

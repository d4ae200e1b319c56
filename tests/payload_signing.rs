//! How upload bodies are covered (issue 21): over HTTPS, a body that carries a checksum goes
//! as `UNSIGNED-PAYLOAD` (TLS and the checksum protect it, as the AWS SDKs send it); over plain
//! HTTP every body is signed; `--payload-signing always` signs over HTTPS too; a server that
//! refuses unsigned payloads gets signed ones after one warning. Read from the test server's
//! JSON access log, which records each request's payload mode and the checksum it carried.

use std::path::Path;

use crate::util::{self, data, text, write_file, Server, BUCKET};
use test_server::{LogFormat, LogRecord};

const MIB: usize = 1024 * 1024;

fn server(tls: bool, refuse_unsigned: bool) -> Server {
    util::server_with(|c| {
        c.tls = tls;
        c.log_format = LogFormat::Json;
        c.refuse_unsigned_payloads = refuse_unsigned;
    })
}

/// `s3up cp` of a 100 KiB file (one PutObject), a 20 MiB file (multipart) and 12 MiB of
/// standard input (multipart from a stream), with `extra` flags.
fn upload_three(server: &Server, dir: &Path, extra: &[&str]) -> std::process::Output {
    let small = write_file(dir, "small.bin", &data(100 * 1024, 1));
    let big = write_file(dir, "big.bin", &data(20 * MIB, 2));
    let mut args = vec![
        "cp",
        small.to_str().expect("utf-8"),
        big.to_str().expect("utf-8"),
        "s3://bucket/up/",
    ];
    let ca;
    if let Some(path) = server.ca_cert_path() {
        ca = path.to_str().expect("utf-8").to_owned();
        args.extend(["--ca-bundle", &ca]);
    }
    args.extend_from_slice(extra);
    let out = util::s3up(server, &args);
    assert!(out.status.success(), "{}", text(&out));
    let mut stream_args = vec!["cp", "-", "s3://bucket/up/stream.bin"];
    if let Some(path) = server.ca_cert_path() {
        stream_args.extend(["--ca-bundle", path.to_str().expect("utf-8")]);
    }
    stream_args.extend_from_slice(extra);
    let streamed = util::s3up_stdin(server, &stream_args, &data(12 * MIB, 3));
    assert!(streamed.status.success(), "{}", text(&streamed));
    for (key, bytes) in [
        ("up/small.bin", data(100 * 1024, 1)),
        ("up/big.bin", data(20 * MIB, 2)),
        ("up/stream.bin", data(12 * MIB, 3)),
    ] {
        assert!(
            server.object_bytes(BUCKET, key) == Some(bytes),
            "{key} differs"
        );
    }
    out
}

/// The bodies s3up sent: PutObject and UploadPart records.
fn bodies(server: &Server) -> Vec<LogRecord> {
    server
        .access_log_records()
        .into_iter()
        .filter(|r| matches!(r.operation.as_str(), "REST.PUT.OBJECT" | "REST.PUT.PART"))
        .collect()
}

fn modes(records: &[LogRecord]) -> Vec<(String, u16, &'static str, Option<String>)> {
    records
        .iter()
        .map(|r| {
            (
                r.operation.clone(),
                r.status,
                r.payload_mode,
                r.checksum.clone(),
            )
        })
        .collect()
}

#[test]
fn over_https_bodies_with_a_checksum_go_unsigned() {
    let server = server(true, false);
    let dir = tempfile::tempdir().expect("tmp");
    upload_three(&server, dir.path(), &[]);
    let sent = bodies(&server);
    assert_eq!(sent.len(), 1 + 3 + 2, "{:?}", modes(&sent));
    for r in &sent {
        assert_eq!(r.payload_mode, "unsigned", "{:?}", modes(&sent));
        assert_eq!(
            r.checksum.as_deref(),
            Some("CRC64NVME"),
            "{:?}",
            modes(&sent)
        );
        assert!(r.tls_version.is_some());
    }
    // The small documents (Create, Complete) stay signed.
    let other: Vec<&'static str> = server
        .access_log_records()
        .into_iter()
        .filter(|r| r.operation.starts_with("REST.POST."))
        .map(|r| r.payload_mode)
        .collect();
    assert!(
        !other.is_empty() && other.iter().all(|m| *m == "signed"),
        "{other:?}"
    );
}

#[test]
fn over_http_every_body_is_signed() {
    let server = server(false, false);
    let dir = tempfile::tempdir().expect("tmp");
    upload_three(&server, dir.path(), &[]);
    let sent = bodies(&server);
    assert_eq!(sent.len(), 6, "{:?}", modes(&sent));
    assert!(
        sent.iter().all(|r| r.payload_mode == "signed"),
        "{:?}",
        modes(&sent)
    );
}

#[test]
fn payload_signing_always_and_bodies_without_a_checksum_stay_signed_over_https() {
    for extra in [
        &["--payload-signing", "always"][..],
        &["--checksum-algorithm", "none"],
    ] {
        let server = server(true, false);
        let dir = tempfile::tempdir().expect("tmp");
        upload_three(&server, dir.path(), extra);
        let sent = bodies(&server);
        assert_eq!(sent.len(), 6, "{extra:?}: {:?}", modes(&sent));
        assert!(
            sent.iter().all(|r| r.payload_mode == "signed"),
            "{extra:?}: {:?}",
            modes(&sent)
        );
    }
}

#[test]
fn a_server_refusing_unsigned_payloads_gets_signed_ones_after_one_warning() {
    let server = server(true, true);
    let dir = tempfile::tempdir().expect("tmp");
    let small = write_file(dir.path(), "small.bin", &data(100 * 1024, 1));
    let big = write_file(dir.path(), "big.bin", &data(20 * MIB, 2));
    let ca = server
        .ca_cert_path()
        .expect("a CA")
        .to_str()
        .expect("utf-8")
        .to_owned();
    let out = util::s3up(
        &server,
        &[
            "cp",
            small.to_str().expect("utf-8"),
            big.to_str().expect("utf-8"),
            "s3://bucket/up/",
            "--ca-bundle",
            &ca,
            "--concurrency",
            "1",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("refused unsigned payloads").count(),
        1,
        "one warning: {stderr}"
    );
    assert_eq!(
        server.object_bytes(BUCKET, "up/small.bin"),
        Some(data(100 * 1024, 1))
    );
    assert_eq!(
        server.object_bytes(BUCKET, "up/big.bin"),
        Some(data(20 * MIB, 2))
    );
    let sent = modes(&bodies(&server));
    let refused: Vec<_> = sent
        .iter()
        .filter(|(_, status, ..)| *status == 501)
        .collect();
    assert_eq!(
        refused.len(),
        1,
        "one unsigned body refused, then signed ones: {sent:?}"
    );
    assert!(
        sent.iter()
            .filter(|(_, status, ..)| *status == 200)
            .all(|(_, _, mode, checksum)| *mode == "signed" && checksum.is_some()),
        "{sent:?}"
    );
}

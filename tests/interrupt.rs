//! SIGINT and SIGTERM in the middle of a multipart upload: exit 130, the upload aborted, no
//! object, nothing pending.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::{self, assert_no_pending_uploads, data, text, write_file, BUCKET};

fn interrupted_with(signal: &str) {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    let file = write_file(dir.path(), "big.bin", &data(40 * 1024 * 1024, 5));
    let mut child = util::s3up_cmd(
        &server,
        &[
            "cp",
            file.to_str().expect("f"),
            "s3://bucket/big.bin",
            "--part-size",
            "5MiB",
            "--limit-rate",
            "4M",
            "--concurrency",
            "2",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn s3up");

    // Wait (bounded) until parts are being sent.
    let deadline = Instant::now() + Duration::from_secs(20);
    while util::logged(&server, "REST.PUT.PART") == 0 {
        assert!(
            Instant::now() < deadline,
            "no part was sent in time:\n{}",
            server.access_log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());

    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("s3up did not stop within 30 s of SIG{signal}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    assert_eq!(out.status.code(), Some(130), "SIG{signal}: {}", text(&out));
    assert_no_pending_uploads(&server);
    assert_eq!(
        server.object_bytes(BUCKET, "big.bin"),
        None,
        "no object may appear"
    );
    assert!(
        util::logged(&server, "REST.DELETE.UPLOAD") > 0,
        "the upload was not aborted:\n{}",
        server.access_log()
    );
}

#[test]
fn sigint_mid_upload_aborts_and_exits_130() {
    interrupted_with("INT");
}

#[test]
fn sigterm_mid_upload_aborts_and_exits_130() {
    interrupted_with("TERM");
}

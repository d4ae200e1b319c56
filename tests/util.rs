//! Shared helpers: an in-process test server, the real `s3up` binary run with a controlled
//! environment, and deterministic test data.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub use test_server::Server;

pub const BUCKET: &str = "bucket";

/// A server on a free loopback port with bucket `bucket`.
pub fn server() -> Server {
    server_with(|_| {})
}

pub fn server_with(tweak: impl FnOnce(&mut test_server::Config)) -> Server {
    let mut config = test_server::Config {
        buckets: vec![BUCKET.to_owned()],
        ..test_server::Config::default()
    };
    tweak(&mut config);
    test_server::start(config).expect("test server starts")
}

/// `s3up ARGS...` against `server`, with only the variables a test sets: the server's keys, no
/// HOME files, no instance metadata.
pub fn s3up(server: &Server, args: &[&str]) -> Output {
    s3up_cmd(server, args).output().expect("run s3up")
}

pub fn s3up_cmd(server: &Server, args: &[&str]) -> Command {
    let home = tempfile::tempdir().expect("temp HOME").keep();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_s3up"));
    cmd.env_clear()
        .env("HOME", &home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ACCESS_KEY_ID", server.access_key())
        .env("AWS_SECRET_ACCESS_KEY", server.secret_key())
        .env("AWS_REGION", server.region())
        .args(args)
        .args(["--endpoint-url", &server.endpoint()])
        .stdin(Stdio::null());
    cmd
}

/// Runs with `input` on standard input.
pub fn s3up_stdin(server: &Server, args: &[&str], input: &[u8]) -> Output {
    output_with_stdin(s3up_cmd(server, args), input.to_vec())
}

/// Runs `cmd` with `input` on its standard input, written from a thread so that a full pipe
/// cannot block the test while the command writes its output.
pub fn output_with_stdin(mut cmd: Command, input: Vec<u8>) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn s3up");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait s3up");
    writer.join().expect("writer thread");
    out
}

pub fn text(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
pub fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&path, bytes).expect("write test file");
    path
}

/// How many requests of `operation` (e.g. `REST.PUT.PART`) the access log holds.
pub fn logged(server: &Server, operation: &str) -> usize {
    server
        .access_log_records()
        .iter()
        .filter(|r| r.operation == operation)
        .count()
}

/// Fails the test when the server still holds unfinished multipart uploads.
pub fn assert_no_pending_uploads(server: &Server) {
    let pending = server.list_multipart_uploads(BUCKET);
    assert!(
        pending.is_empty(),
        "unfinished multipart uploads left behind: {pending:?}"
    );
}

//! `s3up cp --from-cmd`: the object appears only if the command exits 0, byte-identical to its
//! output; a failing command leaves no object (an existing one unchanged) and no multipart
//! upload, and exit status 1 names its status; SIGTERM reaches the command.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::{self, assert_no_pending_uploads, data, s3up, text, write_file, Server, BUCKET};

const MIB: usize = 1024 * 1024;

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn from_cmd(server: &Server, command: &str, key: &str, extra: &[&str]) -> std::process::Output {
    let url = format!("s3://{BUCKET}/{key}");
    s3up(
        server,
        &[&["cp", "--from-cmd", command, &url][..], extra].concat(),
    )
}

/// Requests that create objects or parts.
fn writes(server: &Server) -> Vec<String> {
    server
        .access_log()
        .lines()
        .filter(|l| l.contains("REST.PUT.") || l.contains("REST.POST.UPLOAD "))
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_failing_command_leaves_no_object_and_exits_1_naming_its_status() {
    let server = util::server();
    let out = from_cmd(
        &server,
        r#"sh -c "echo part; echo 'no such database' >&2; exit 3""#,
        "db.sql",
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("exited with status 3"), "{stderr}");
    assert!(
        stderr.contains("its standard error ended with:\n    no such database"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "{}", text(&out));
    assert_eq!(server.object_bytes(BUCKET, "db.sql"), None);
    assert!(
        writes(&server).is_empty(),
        "nothing was sent: {:?}",
        writes(&server)
    );

    // Killed by a signal, and a command that does not exist: named, nothing stored.
    let out = from_cmd(&server, r#"sh -c "echo part; kill -9 $$""#, "db.sql", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("killed by signal 9 (SIGKILL)"),
        "{}",
        text(&out)
    );
    let out = from_cmd(&server, "no-such-command-s3up --flag", "db.sql", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot run 'no-such-command-s3up --flag'"),
        "{}",
        text(&out)
    );
    assert_eq!(server.object_bytes(BUCKET, "db.sql"), None);
}

#[test]
fn a_failing_command_leaves_an_existing_object_unchanged() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    let yesterday = data(1000, 7);
    let file = write_file(dir.path(), "db.sql", &yesterday);
    let out = s3up(
        &server,
        &["cp", path_str(&file), &format!("s3://{BUCKET}/db.sql")],
    );
    assert!(out.status.success(), "{}", text(&out));
    // Short output (one PutObject would do) and long output (a multipart upload under way).
    for (command, status) in [
        ("sh -c 'printf partial; exit 2'", "status 2"),
        ("sh -c 'head -c 20000000 /dev/zero; exit 5'", "status 5"),
    ] {
        let out = from_cmd(&server, command, "db.sql", &["--part-size", "5MiB"]);
        assert_eq!(out.status.code(), Some(1), "{command}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(status),
            "{}",
            text(&out)
        );
        assert!(
            server.object_bytes(BUCKET, "db.sql") == Some(yesterday.clone()),
            "{command}"
        );
        assert_no_pending_uploads(&server);
    }
    let log = server.access_log();
    assert!(
        log.contains("REST.PUT.PART db.sql"),
        "the long one was a multipart upload"
    );
    assert!(log.contains("REST.DELETE.UPLOAD db.sql"), "and was aborted");
    assert!(!log.contains("REST.POST.UPLOAD db.sql"), "never completed");
    assert_eq!(
        log.matches("REST.PUT.OBJECT db.sql").count(),
        1,
        "only the first upload"
    );
}

#[test]
fn a_successful_command_uploads_byte_identical_output() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    for (name, size) in [("small", 100_000), ("large", 20 * MIB + 17), ("empty", 0)] {
        let file = write_file(dir.path(), name, &data(size, size as u64));
        let command = format!("cat {}", path_str(&file));
        let out = from_cmd(&server, &command, name, &["--json"]);
        assert!(out.status.success(), "{name}: {}", text(&out));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
        assert_eq!(report["size"], size, "{report}");
        assert_eq!(report["source"], command.as_str());
        assert!(
            server.object_bytes(BUCKET, name) == Some(std::fs::read(&file).expect("read")),
            "{name} differs"
        );
    }
    let log = server.access_log();
    assert!(
        log.contains("REST.PUT.OBJECT empty"),
        "zero bytes are a zero-byte object"
    );
    assert!(
        log.contains("REST.POST.UPLOAD large"),
        "the large one was completed as multipart"
    );
    assert_no_pending_uploads(&server);
}

#[test]
fn a_shell_only_with_shell() {
    let server = util::server();
    let out = from_cmd(&server, "printf abc | tr a-c x-z", "t", &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--shell"),
        "{}",
        text(&out)
    );
    let out = from_cmd(&server, "printf abc | tr a-c x-z", "t", &["--shell"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        server.object_bytes(BUCKET, "t").as_deref(),
        Some(&b"xyz"[..])
    );
    // Without a shell nothing is expanded: the argument arrives as written.
    let out = from_cmd(&server, "printf %s '$HOME *'", "u", &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        server.object_bytes(BUCKET, "u").as_deref(),
        Some(&b"$HOME *"[..])
    );
    for args in [
        vec!["cp", "--shell", "-", "s3://bucket/k"],
        vec!["cp", "--from-cmd", "true", "s3://bucket/prefix/"],
        vec!["cp", "--from-cmd", "true", "file", "s3://bucket/k"],
    ] {
        let out = s3up(&server, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
    }
}

#[test]
fn sigterm_reaches_the_command_and_nothing_is_left() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    let pid_file = dir.path().join("child.pid");
    // More than the multipart threshold, then it waits: a multipart upload is under way.
    let command = format!(
        "echo $$ > {}; head -c 9000000 /dev/zero; exec sleep 60",
        path_str(&pid_file)
    );
    let mut child = util::s3up_cmd(
        &server,
        &[
            "cp",
            "--from-cmd",
            &command,
            "--shell",
            &format!("s3://{BUCKET}/int"),
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn s3up");
    let started = Instant::now();
    while !server.access_log().contains("REST.PUT.PART int") {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no part was sent"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = std::fs::read_to_string(&pid_file)
        .expect("pid")
        .trim()
        .to_owned();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let out = loop {
        if child.try_wait().expect("wait").is_some() {
            break child.wait_with_output().expect("output");
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("s3up did not stop after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    let alive = std::process::Command::new("kill")
        .args(["-0", &pid])
        .stderr(Stdio::null())
        .status()
        .expect("kill -0");
    assert!(!alive.success(), "the command (pid {pid}) still runs");
    assert_eq!(server.object_bytes(BUCKET, "int"), None);
    assert_no_pending_uploads(&server);
}

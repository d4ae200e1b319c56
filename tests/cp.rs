//! `s3up cp` against the in-process server, checking the bytes the server stored.

use crate::util::{
    self, assert_no_pending_uploads, data, s3up, s3up_stdin, text, write_file, BUCKET,
};

const MIB: usize = 1024 * 1024;

fn upload_and_compare(sizes: &[usize], extra: &[&str]) {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    for (i, &size) in sizes.iter().enumerate() {
        let bytes = data(size, i as u64 + 7);
        let path = write_file(dir.path(), &format!("f{size}.bin"), &bytes);
        let key = format!("sizes/{size}.bin");
        let dest = format!("s3://{BUCKET}/{key}");
        let mut args = vec!["cp", path.to_str().expect("utf-8"), &dest];
        args.extend_from_slice(extra);
        let out = s3up(&server, &args);
        assert!(out.status.success(), "size {size}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout)
                .contains(&format!("upload: {} to {dest}", path.display())),
            "{}",
            text(&out)
        );
        assert_eq!(
            server.object_bytes(BUCKET, &key).as_deref(),
            Some(&bytes[..]),
            "size {size}: stored bytes differ"
        );
    }
    assert_no_pending_uploads(&server);
}

#[test]
fn cp_sizes_around_the_multipart_threshold() {
    upload_and_compare(&[0, 1, 8 * MIB - 1, 8 * MIB, 8 * MIB + 1], &[]);
}

#[test]
fn cp_100_mib_in_5_mib_parts_four_at_a_time() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    let bytes = data(100 * MIB, 42);
    let path = write_file(dir.path(), "big.bin", &bytes);
    let out = s3up(
        &server,
        &[
            "cp",
            path.to_str().expect("utf-8"),
            "s3://bucket/big.bin",
            "--part-size",
            "5MiB",
            "--concurrency",
            "4",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(report["parts"], 20);
    assert_eq!(report["size"], 100 * MIB);
    assert_eq!(report["key"], "big.bin");
    assert!(
        server.object_bytes(BUCKET, "big.bin").as_deref() == Some(&bytes[..]),
        "stored bytes differ"
    );
    assert_eq!(
        util::logged(&server, "REST.PUT.PART"),
        20,
        "{}",
        server.access_log()
    );
    assert_no_pending_uploads(&server);
}

#[test]
fn cp_awkward_keys_land_under_their_exact_names() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    let path = write_file(dir.path(), "x.bin", b"awkward");
    for key in [
        "with space.txt",
        "ünïcødé/ファイル.txt",
        "+=&~!'()*.bin",
        "dir/sub dir/x",
        "trailing-dot.",
    ] {
        let dest = format!("s3://{BUCKET}/{key}");
        let out = s3up(&server, &["cp", path.to_str().expect("utf-8"), &dest]);
        assert!(out.status.success(), "{key}: {}", text(&out));
        assert_eq!(
            server.object_bytes(BUCKET, key).as_deref(),
            Some(&b"awkward"[..]),
            "{key}"
        );
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("warning"),
            "{}",
            text(&out)
        );
    }
}

#[test]
fn cp_several_files_under_a_prefix() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    let a = write_file(dir.path(), "a.tar", b"AAA");
    let b = write_file(dir.path(), "b.tar", b"BBBB");
    let out = s3up(
        &server,
        &[
            "cp",
            a.to_str().expect("a"),
            b.to_str().expect("b"),
            "s3://bucket/prefix/",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        server.object_bytes(BUCKET, "prefix/a.tar").as_deref(),
        Some(&b"AAA"[..])
    );
    assert_eq!(
        server.object_bytes(BUCKET, "prefix/b.tar").as_deref(),
        Some(&b"BBBB"[..])
    );
    // Several sources need a prefix.
    let out = s3up(
        &server,
        &[
            "cp",
            a.to_str().expect("a"),
            b.to_str().expect("b"),
            "s3://bucket/key",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn cp_recursive_with_filters_in_order() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    write_file(dir.path(), "keep.tar", b"1");
    write_file(dir.path(), "skip.log", b"2");
    write_file(dir.path(), "sub/deep.tar", b"3");
    write_file(dir.path(), "tmp/x.tar", b"4");
    let out = s3up(
        &server,
        &[
            "cp",
            "--recursive",
            dir.path().to_str().expect("dir"),
            "s3://bucket/r/",
            "--exclude",
            "*",
            "--include",
            "*.tar",
            "--exclude",
            "tmp/*",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        server.object_bytes(BUCKET, "r/keep.tar").as_deref(),
        Some(&b"1"[..])
    );
    assert_eq!(
        server.object_bytes(BUCKET, "r/sub/deep.tar").as_deref(),
        Some(&b"3"[..])
    );
    assert_eq!(server.object_bytes(BUCKET, "r/skip.log"), None);
    assert_eq!(server.object_bytes(BUCKET, "r/tmp/x.tar"), None);
}

#[test]
fn cp_from_stdin_small_and_multipart() {
    let server = util::server();
    for (size, key) in [(1000usize, "stdin-small"), (21 * MIB + 3, "stdin-big")] {
        let bytes = data(size, size as u64);
        let dest = format!("s3://{BUCKET}/{key}");
        let out = s3up_stdin(
            &server,
            &[
                "cp",
                "-",
                &dest,
                "--part-size",
                "5MiB",
                "--multipart-threshold",
                "5MiB",
            ],
            &bytes,
        );
        assert!(out.status.success(), "{key}: {}", text(&out));
        assert_eq!(
            server.object_bytes(BUCKET, key).as_deref(),
            Some(&bytes[..]),
            "{key}"
        );
    }
    assert_no_pending_uploads(&server);
}

#[test]
fn cp_every_checksum_algorithm_single_and_multipart() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    let small = write_file(dir.path(), "small.bin", &data(1000, 1));
    let big_bytes = data(11 * MIB, 2);
    let big = write_file(dir.path(), "big.bin", &big_bytes);
    for algorithm in ["CRC32", "CRC32C", "CRC64NVME", "SHA256", "none"] {
        for (path, name) in [(&small, "small"), (&big, "big")] {
            let key = format!("ck/{algorithm}-{name}");
            let dest = format!("s3://{BUCKET}/{key}");
            let out = s3up(
                &server,
                &[
                    "cp",
                    path.to_str().expect("p"),
                    &dest,
                    "--checksum-algorithm",
                    algorithm,
                    "--part-size",
                    "5MiB",
                    "--json",
                ],
            );
            assert!(out.status.success(), "{algorithm} {name}: {}", text(&out));
            let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
            if algorithm == "none" {
                assert!(report["checksum"].is_null(), "{report}");
            } else {
                assert_eq!(report["checksum_algorithm"], algorithm, "{report}");
                assert!(report["checksum"].is_string(), "{report}");
            }
            let stored = server.object_bytes(BUCKET, &key).expect("stored");
            assert_eq!(
                stored,
                std::fs::read(path).expect("read"),
                "{algorithm} {name}"
            );
        }
    }
    assert_no_pending_uploads(&server);
}

#[test]
fn cp_wrong_secret_fails_clearly_and_leaves_nothing() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    let path = write_file(dir.path(), "big.bin", &data(9 * MIB, 3));
    let out = util::s3up_cmd(
        &server,
        &["cp", path.to_str().expect("p"), "s3://bucket/wrong"],
    )
    .env("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    .output()
    .expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("SignatureDoesNotMatch") && err.contains("secret key"),
        "{}",
        text(&out)
    );
    assert!(!err.contains("not-the-secret"), "secret leaked: {err}");
    assert_eq!(server.object_bytes(BUCKET, "wrong"), None);
    assert_no_pending_uploads(&server);
}

#[test]
fn cp_usage_errors_exit_2_with_one_line() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    let file = write_file(dir.path(), "f", b"x");
    let f = file.to_str().expect("f");
    let missing = dir.path().join("missing");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["cp", missing.to_str().expect("m"), "s3://bucket/k"],
            "No such file",
        ),
        (
            vec!["cp", dir.path().to_str().expect("d"), "s3://bucket/k/"],
            "--recursive",
        ),
        (vec!["cp", f, "s3:/bucket/k"], "s3://"),
        (vec!["cp", f, "s3://B/k"], "bucket name"),
    ];
    for (args, needle) in cases {
        let out = s3up(&server, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    let out = util::s3up_cmd(&server, &["cp", f, "s3://bucket/k"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no credentials"),
        "{}",
        text(&out)
    );
    assert!(
        server.access_log_records().is_empty(),
        "nothing may be sent: {}",
        server.access_log()
    );
}

#[test]
fn cp_dryrun_sends_nothing() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    let file = write_file(dir.path(), "f.tar", b"x");
    let out = s3up(
        &server,
        &[
            "cp",
            "--dryrun",
            file.to_str().expect("f"),
            "s3://bucket/p/",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("(dryrun) upload:"),
        "{}",
        text(&out)
    );
    assert!(
        server.access_log_records().is_empty(),
        "{}",
        server.access_log()
    );
    assert_eq!(server.object_bytes(BUCKET, "p/f.tar"), None);
}

#[test]
fn no_secret_or_token_in_any_output_even_with_debug() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    let file = write_file(dir.path(), "f.bin", &data(6 * MIB, 9));
    let token = "SESSION-TOKEN-MUST-NOT-LEAK-0123456789";
    for extra in [&["--debug"][..], &[][..], &["--json"][..]] {
        let mut args = vec![
            "cp",
            file.to_str().expect("f"),
            "s3://bucket/s",
            "--multipart-threshold",
            "5MiB",
            "--part-size",
            "5MiB",
        ];
        args.extend_from_slice(extra);
        let out = util::s3up_cmd(&server, &args)
            .env("AWS_SESSION_TOKEN", token)
            .env("RUST_LOG", "trace")
            .output()
            .expect("run");
        let all = text(&out);
        assert!(
            !all.contains(server.secret_key()),
            "secret leaked with {extra:?}"
        );
        assert!(!all.contains(token), "token leaked with {extra:?}");
        if extra == ["--debug"] {
            assert!(
                all.contains("canonical request") && all.contains("AWS4-HMAC-SHA256"),
                "{all}"
            );
        }
    }
}

#[test]
fn cp_object_options_reach_the_server() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    let small = write_file(dir.path(), "page.html", b"<html></html>");
    let big = write_file(dir.path(), "data.bin", &data(6 * MIB, 4));
    let out = s3up(
        &server,
        &[
            "cp",
            small.to_str().expect("s"),
            "s3://bucket/opts/page.html",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    for (path, key) in [(&small, "opts/explicit.html"), (&big, "opts/big.bin")] {
        let dest = format!("s3://{BUCKET}/{key}");
        let out = s3up(
            &server,
            &[
                "cp",
                path.to_str().expect("p"),
                &dest,
                "--content-type",
                "text/x-test",
                "--cache-control",
                "max-age=60",
                "--metadata",
                "origin=backup-host,tier=gold",
                "--storage-class",
                "STANDARD",
                "--part-size",
                "5MiB",
                "--multipart-threshold",
                "5MiB",
            ],
        );
        assert!(out.status.success(), "{key}: {}", text(&out));
    }
    let head = |key: &str| {
        let presigned = s3up(&server, &["presign", &format!("s3://{BUCKET}/{key}")]);
        let url = String::from_utf8_lossy(&presigned.stdout).trim().to_owned();
        let t = s3up::transport::Transport::new(&s3up::transport::TransportOptions::default())
            .expect("t");
        t.send(&s3up::transport::HttpRequest {
            method: "GET",
            url: &url,
            headers: &[],
            body: s3up::body::Body::EMPTY,
        })
        .expect("GET")
    };
    let guessed = head("opts/page.html");
    assert_eq!(
        guessed.header("content-type"),
        Some("text/html"),
        "{:?}",
        guessed.headers
    );
    for key in ["opts/explicit.html", "opts/big.bin"] {
        let r = head(key);
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("content-type"),
            Some("text/x-test"),
            "{key}: {:?}",
            r.headers
        );
        assert_eq!(
            r.header("cache-control"),
            Some("max-age=60"),
            "{key}: {:?}",
            r.headers
        );
        assert_eq!(
            r.header("x-amz-meta-origin"),
            Some("backup-host"),
            "{key}: {:?}",
            r.headers
        );
        assert_eq!(
            r.header("x-amz-meta-tier"),
            Some("gold"),
            "{key}: {:?}",
            r.headers
        );
    }
}

#[test]
fn cp_many_small_files_in_parallel_all_arrive() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    for i in 0..200u64 {
        write_file(
            dir.path(),
            &format!("d{}/f{i}.dat", i % 7),
            &data(1000 + i as usize, i),
        );
    }
    let out = s3up(
        &server,
        &[
            "cp",
            "--recursive",
            dir.path().to_str().expect("d"),
            "s3://bucket/many/",
            "--concurrency",
            "8",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("upload: "))
            .count(),
        200
    );
    for i in 0..200u64 {
        let key = format!("many/d{}/f{i}.dat", i % 7);
        assert_eq!(
            server.object_bytes(BUCKET, &key),
            Some(data(1000 + i as usize, i)),
            "{key}"
        );
    }
}

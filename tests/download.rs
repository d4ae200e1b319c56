//! `s3up cp s3://... LOCAL`: downloads byte-identical at every size around the part size, into
//! files, directories (recursive, with filters) and standard output; never a partial or
//! unverified file under the destination's name, whatever goes wrong.

use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

use crate::util::{self, data, s3up, text, write_file, Server, BUCKET};

const MIB: usize = 1024 * 1024;

/// Uploads `bytes` as `key` with s3up itself (CRC64NVME, as by default).
fn put(server: &Server, dir: &Path, key: &str, bytes: &[u8]) {
    let name = key.replace('/', "_");
    let file = write_file(dir, &name, bytes);
    let url = format!("s3://{BUCKET}/{key}");
    let out = s3up(server, &["cp", file.to_str().expect("utf-8"), &url]);
    assert!(out.status.success(), "upload {key}: {}", text(&out));
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Files in `dir` other than those named: temporary files left behind would show here.
fn leftovers(dir: &Path, expected: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| !expected.contains(&n.as_str()))
        .collect()
}

#[test]
fn every_size_around_the_part_size_comes_back_identical() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    let part = MIB;
    for (i, size) in [0, 1, part - 1, part, part + 1, 100 * MIB]
        .into_iter()
        .enumerate()
    {
        let bytes = data(size, 40 + i as u64);
        let key = format!("sizes/{size}.bin");
        put(&server, dir.path(), &key, &bytes);
        let dest = dir.path().join(format!("back-{size}"));
        let out = s3up(
            &server,
            &[
                "cp",
                &format!("s3://{BUCKET}/{key}"),
                path_str(&dest),
                "--part-size",
                "1MiB",
                "--json",
            ],
        );
        assert!(out.status.success(), "size {size}: {}", text(&out));
        assert!(
            std::fs::read(&dest).expect("downloaded") == bytes,
            "size {size} differs"
        );
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("one JSON object");
        assert_eq!(report["verified"], "crc64nvme", "{report}");
        assert_eq!(report["size"], size, "{report}");
        let pieces = size.div_ceil(part);
        assert_eq!(report["pieces"], pieces, "{report}");
    }
    let gets = server
        .access_log()
        .lines()
        .filter(|l| l.contains("REST.GET.OBJECT sizes/104857600.bin"))
        .count();
    assert_eq!(gets, 100, "one ranged GET per MiB of the 100 MiB object");
}

#[test]
fn recursive_downloads_apply_the_filters_in_order() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    for (key, seed) in [
        ("tree/a.txt", 1),
        ("tree/b.log", 2),
        ("tree/sub/c.txt", 3),
        ("tree/sub/d.log", 4),
        ("other/e.txt", 5),
    ] {
        put(&server, dir.path(), key, &data(1000 + seed, seed as u64));
    }
    let out_dir = dir.path().join("restored");
    let out = s3up(
        &server,
        &[
            "cp",
            "--recursive",
            &format!("s3://{BUCKET}/tree"),
            path_str(&out_dir),
            "--exclude",
            "*",
            "--include",
            "*.txt",
            "--exclude",
            "sub/c*",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        std::fs::read(out_dir.join("a.txt")).expect("a"),
        data(1001, 1)
    );
    let mut present: Vec<String> = walk(&out_dir);
    present.sort();
    assert_eq!(present, ["a.txt"], "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("download: s3://bucket/tree/a.txt to "),
        "{stdout}"
    );

    let all = dir.path().join("all");
    let out = s3up(
        &server,
        &[
            "cp",
            "--recursive",
            &format!("s3://{BUCKET}/tree/"),
            path_str(&all),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let mut present = walk(&all);
    present.sort();
    assert_eq!(present, ["a.txt", "b.log", "sub/c.txt", "sub/d.log"]);
    assert_eq!(
        std::fs::read(all.join("sub/d.log")).expect("d"),
        data(1004, 4)
    );
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("inside");
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    out
}

#[test]
fn standard_output_in_order_into_sha256sum() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    let bytes = data(23 * MIB + 12_345, 77);
    put(&server, dir.path(), "stream.bin", &bytes);
    let mut s3up = util::s3up_cmd(
        &server,
        &[
            "cp",
            "s3://bucket/stream.bin",
            "-",
            "--part-size",
            "1MiB",
            "--concurrency",
            "6",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn s3up");
    let pipe = s3up.stdout.take().expect("stdout");
    let sum = std::process::Command::new("sha256sum")
        .stdin(Stdio::from(pipe))
        .output()
        .expect("sha256sum");
    let out = s3up.wait_with_output().expect("s3up");
    assert!(out.status.success(), "{}", text(&out));
    let printed = String::from_utf8_lossy(&sum.stdout);
    assert_eq!(
        printed.split_whitespace().next(),
        Some(s3up::sigv4::sha256_hex(&bytes).as_str())
    );
}

#[test]
fn a_closed_pipe_ends_the_download_quietly() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    put(&server, dir.path(), "long.bin", &data(16 * MIB, 8));
    let mut s3up = util::s3up_cmd(
        &server,
        &["cp", "s3://bucket/long.bin", "-", "--part-size", "1MiB"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn s3up");
    let pipe = s3up.stdout.take().expect("stdout");
    let head = std::process::Command::new("head")
        .args(["-c", "100"])
        .stdin(Stdio::from(pipe))
        .output()
        .expect("head");
    assert_eq!(head.stdout, data(16 * MIB, 8)[..100]);
    let out = s3up.wait_with_output().expect("s3up");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(out.stderr.is_empty(), "{}", text(&out));
}

/// Starts a slow download (4 MiB/s) of a 40 MiB object, waiting until its first GET.
fn slow_download(server: &Server, dir: &Path, dest: &Path) -> Child {
    put(server, dir, "slow.bin", &data(40 * MIB, 9));
    let child = util::s3up_cmd(
        server,
        &[
            "cp",
            "s3://bucket/slow.bin",
            path_str(dest),
            "--part-size",
            "2MiB",
            "--concurrency",
            "2",
            "--limit-rate",
            "4M",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn s3up");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !server.access_log().contains("REST.GET.OBJECT slow.bin") {
        assert!(
            Instant::now() < deadline,
            "no GET in time:\n{}",
            server.access_log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

fn finish(mut child: Child) -> Output {
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("s3up did not end within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn ctrl_c_mid_download_exits_130_and_leaves_no_file() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).expect("mkdir");
    let dest = out_dir.join("slow.bin");
    std::fs::write(&dest, b"the previous version").expect("existing file");
    let child = slow_download(&server, dir.path(), &dest);
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let out = finish(child);
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    assert_eq!(
        std::fs::read(&dest).expect("still there"),
        b"the previous version"
    );
    assert_eq!(leftovers(&out_dir, &["slow.bin"]), Vec::<String>::new());
}

#[test]
fn an_object_replaced_during_the_download_is_reported_not_spliced() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).expect("mkdir");
    let dest = out_dir.join("slow.bin");
    let child = slow_download(&server, dir.path(), &dest);
    put(&server, dir.path(), "slow.bin", &data(40 * MIB, 10));
    let out = finish(child);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("changed during the download"), "{stderr}");
    assert!(!dest.exists(), "a mix of two versions was kept");
    assert_eq!(leftovers(&out_dir, &[]), Vec::<String>::new());
}

#[test]
fn a_missing_object_fails_and_leaves_the_destination_alone() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    let dest = write_file(dir.path(), "keep.txt", b"mine");
    let out = s3up(
        &server,
        &["cp", "s3://bucket/nothing-here", path_str(&dest)],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("s3://bucket/nothing-here"));
    assert_eq!(std::fs::read(&dest).expect("kept"), b"mine");
    assert_eq!(leftovers(dir.path(), &["keep.txt"]), Vec::<String>::new());
}

#[test]
fn upload_only_flags_and_impossible_destinations_are_usage_errors() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    put(&server, dir.path(), "x.bin", b"x");
    let dest = dir.path().join("x.out");
    for flags in [
        &["--expected-size", "10"][..],
        &["--storage-class", "GLACIER"],
        &["--checksum-algorithm", "CRC32"],
        &["--metadata", "a=b"],
    ] {
        let mut args = vec!["cp", "s3://bucket/x.bin", path_str(&dest)];
        args.extend_from_slice(flags);
        let out = s3up(&server, &args);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("only appl"),
            "{flags:?}: {}",
            text(&out)
        );
    }
    let out = s3up(&server, &["cp", "--recursive", "s3://bucket/", "-"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = s3up(&server, &["cp", "s3://bucket/x.bin", "s3://bucket/y.bin"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!dest.exists());
}

#[test]
fn dryrun_lists_what_would_be_downloaded() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    put(&server, dir.path(), "d/one.txt", b"1");
    put(&server, dir.path(), "d/two.txt", b"2");
    let target = dir.path().join("t");
    let out = s3up(
        &server,
        &[
            "cp",
            "--recursive",
            "s3://bucket/d/",
            path_str(&target),
            "--dryrun",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("(dryrun) download: s3://bucket/d/one.txt to "),
        "{stdout}"
    );
    assert!(stdout.contains("two.txt"), "{stdout}");
    assert!(!target.exists());
}

#[test]
fn several_objects_go_into_a_directory_with_the_objects_times() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    put(&server, dir.path(), "a/one.txt", b"one");
    put(&server, dir.path(), "b/two.txt", b"two");
    let a_day_ago = SystemTime::now() - Duration::from_secs(86_400);
    server
        .set_last_modified(BUCKET, "a/one.txt", a_day_ago)
        .expect("an old Last-Modified");
    let target: PathBuf = dir.path().join("into");
    let dest = format!("{}/", path_str(&target));
    let out = s3up(
        &server,
        &[
            "cp",
            "s3://bucket/a/one.txt",
            "s3://bucket/b/two.txt",
            &dest,
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(std::fs::read(target.join("one.txt")).expect("one"), b"one");
    assert_eq!(std::fs::read(target.join("two.txt")).expect("two"), b"two");
    let mtime = |name: &str| {
        std::fs::metadata(target.join(name))
            .and_then(|m| m.modified())
            .expect("mtime")
    };
    let off = mtime("one.txt")
        .duration_since(a_day_ago)
        .unwrap_or_else(|e| e.duration());
    assert!(
        off < Duration::from_secs(2),
        "mtime is not Last-Modified: {off:?} off"
    );
    let age = SystemTime::now()
        .duration_since(mtime("two.txt"))
        .unwrap_or_default();
    assert!(age < Duration::from_secs(3600), "two.txt: {age:?}");
}

fn faulty_server(specs: &[&str]) -> Server {
    util::server_with(|c| {
        c.faults = specs
            .iter()
            .map(|s| test_server::Fault::parse(s).expect("fault spec"))
            .collect();
        c.seed = 3;
    })
}

#[test]
fn a_connection_reset_mid_piece_resumes_from_the_last_good_byte() {
    // The second GET (a piece of 4 MiB) breaks after 1,000,000 bytes of its body.
    let server = faulty_server(&["reset-response@REST.GET.OBJECT:nth=2:after=1000000"]);
    let dir = tempfile::tempdir().expect("tmp");
    let bytes = data(12 * MIB + 5, 21);
    put(&server, dir.path(), "resume.bin", &bytes);
    let dest = dir.path().join("resume.out");
    let out = s3up(
        &server,
        &[
            "cp",
            "s3://bucket/resume.bin",
            path_str(&dest),
            "--part-size",
            "4MiB",
            "--concurrency",
            "1",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        std::fs::read(&dest).expect("downloaded") == bytes,
        "bytes differ"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["retries"], 1, "{report}");
    // The retry asked only for the rest of the broken piece: its answer carries 4 MiB minus
    // the 1,000,000 bytes that arrived before the reset.
    let gets: Vec<(u16, u64)> = server
        .access_log_records()
        .into_iter()
        .filter(|r| r.operation == "REST.GET.OBJECT")
        .map(|r| (r.status, r.bytes_sent))
        .collect();
    assert_eq!(gets.len(), 5, "4 pieces and one resumed request: {gets:?}");
    let rest = (4 * MIB - 1_000_000) as u64;
    assert!(
        gets.contains(&(206, rest)),
        "no GET of the rest ({rest} bytes): {gets:?}\n{}",
        server.access_log()
    );
}

#[test]
fn a_corrupted_answer_is_refused_and_nothing_is_kept() {
    let server = faulty_server(&["corrupt@REST.GET.OBJECT:every=1:after=70000"]);
    let dir = tempfile::tempdir().expect("tmp");
    put(&server, dir.path(), "rot.bin", &data(3 * MIB, 22));
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).expect("mkdir");
    let dest = out_dir.join("rot.bin");
    for extra in [&["--part-size", "1MiB"][..], &[]] {
        let mut args = vec!["cp", "s3://bucket/rot.bin", path_str(&dest)];
        args.extend_from_slice(extra);
        let out = s3up(&server, &args);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("s3://bucket/rot.bin") && stderr.contains("CRC64NVME"),
            "{stderr}"
        );
        assert_eq!(leftovers(&out_dir, &[]), Vec::<String>::new(), "{extra:?}");
    }
    let out = s3up(&server, &["cp", "s3://bucket/rot.bin", "-"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn a_composite_checksum_is_checked_part_by_part() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    let bytes = data(17 * MIB + 3, 31);
    let file = write_file(dir.path(), "parts.bin", &bytes);
    let up = s3up(
        &server,
        &[
            "cp",
            path_str(&file),
            "s3://bucket/parts.bin",
            "--checksum-algorithm",
            "SHA256",
            "--part-size",
            "5MiB",
        ],
    );
    assert!(up.status.success(), "{}", text(&up));
    let dest = dir.path().join("parts.out");
    // Pieces of 3 MiB, never straddling the 5 MiB parts.
    let args = [
        "cp",
        "s3://bucket/parts.bin",
        path_str(&dest),
        "--part-size",
        "3MiB",
        "--json",
    ];
    let out = s3up(&server, &args);
    assert!(out.status.success(), "{}", text(&out));
    assert!(std::fs::read(&dest).expect("downloaded") == bytes);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["verified"], "sha256-composite", "{report}");
    assert!(
        report["checksum"]
            .as_str()
            .is_some_and(|c| c.ends_with("-4")),
        "{report}"
    );
    let heads = server
        .access_log_records()
        .iter()
        .filter(|r| r.operation == "REST.HEAD.OBJECT" && r.request_uri.contains("partNumber="))
        .count();
    assert_eq!(heads, 4, "one HeadObject per part");

    let piped = s3up(
        &server,
        &["cp", "s3://bucket/parts.bin", "-", "--part-size", "3MiB"],
    );
    assert!(piped.status.success(), "{}", text(&piped));
    assert!(piped.stdout == bytes, "standard output differs");
}

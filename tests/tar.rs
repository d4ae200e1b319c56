//! `s3up tar` and `cp -` streams against the in-process server, read back with the system's
//! `zstd` and GNU `tar`; the part limit reached in seconds with shrunken limits; and a failing
//! producer that must leave neither an object nor a pending multipart upload.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

use crate::util::{self, assert_no_pending_uploads, data, text, write_file, Server, BUCKET};

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

/// S3's limits shrunk 80-fold in part size and 100-fold in part count, on both sides.
pub(crate) fn small_limits_server() -> Server {
    util::server_with(|c| {
        c.min_part_size = 64 * KIB as u64;
        c.max_parts = 100;
        c.log_format = test_server::LogFormat::Json;
    })
}

/// `s3up ARGS` with the client told the shrunken limits, `input` on standard input.
pub(crate) fn run(server: &Server, args: &[&str], input: Option<Vec<u8>>) -> Output {
    let mut cmd = util::s3up_cmd(server, args);
    cmd.env("S3UP_MIN_PART_SIZE", "64KiB")
        .env("S3UP_MAX_PARTS", "100")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let Some(input) = input else {
        return cmd.output().expect("run s3up");
    };
    let mut child = cmd.stdin(Stdio::piped()).spawn().expect("spawn s3up");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait s3up");
    writer.join().expect("writer");
    out
}

pub(crate) const SMALL_PARTS: [&str; 4] =
    ["--part-size", "64KiB", "--multipart-threshold", "64KiB"];

pub(crate) fn sh(script: &str) -> Output {
    let out = Command::new("bash")
        .args(["-o", "pipefail", "-c", script])
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A tree with what archives get wrong: a path over 300 bytes, unicode names, symlinks (one
/// dangling), an empty directory, an empty file, a file of several parts, executable bits,
/// a hard link, and old mtimes everywhere.
pub(crate) fn awkward_tree(root: &Path) -> String {
    let long = format!(
        "{}/{}/{}.txt",
        "p".repeat(100),
        "q".repeat(100),
        "r".repeat(96)
    );
    write_file(root, &long, b"at the end of a long path");
    write_file(root, "ünïcødé/日本語 ファイル.txt", "こんにちは".as_bytes());
    write_file(root, "emoji 🎉.md", b"# party");
    write_file(root, "empty.txt", b"");
    write_file(root, "big.bin", &data(400 * KIB + 17, 3));
    let script = write_file(root, "bin/run.sh", b"#!/bin/sh\necho hi\n");
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).expect("chmod");
    fs::hard_link(&script, root.join("bin/run-again.sh")).expect("hard link");
    fs::create_dir_all(root.join("empty-dir")).expect("mkdir");
    fs::set_permissions(root.join("bin"), fs::Permissions::from_mode(0o750)).expect("chmod");
    std::os::unix::fs::symlink("bin/run.sh", root.join("link-to-run")).expect("symlink");
    std::os::unix::fs::symlink("nowhere/at/all", root.join("dangling")).expect("symlink");
    // Files first, then directories deepest first: writing inside a directory moves its mtime.
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_577_836_800); // 2020-01-01
    let mut paths: Vec<(PathBuf, fs::Metadata)> = walk(root)
        .into_iter()
        .map(|p| {
            let m = fs::symlink_metadata(&p).expect("lstat");
            (p, m)
        })
        .collect();
    paths.sort_by_key(|(p, m)| (m.is_dir(), std::cmp::Reverse(p.components().count())));
    for (p, m) in paths {
        if !m.file_type().is_symlink() {
            fs::File::open(&p)
                .and_then(|f| f.set_modified(old))
                .expect("set mtime");
        }
    }
    format!("tree/{long}")
}

pub(crate) fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = vec![root.to_path_buf()];
    if fs::symlink_metadata(root).expect("lstat").is_dir() {
        let mut children: Vec<PathBuf> = fs::read_dir(root)
            .expect("readdir")
            .map(|e| e.expect("entry").path())
            .collect();
        children.sort();
        for c in children {
            out.extend(walk(&c));
        }
    }
    out
}

/// Per path below `root`: kind and permission bits, mtime (not for symlinks, whose times tar
/// does not restore), symlink target.
pub(crate) fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    walk(root)
        .into_iter()
        .skip(1)
        .map(|p| {
            let m = fs::symlink_metadata(&p).expect("lstat");
            let rel = p.strip_prefix(root).expect("below root").to_path_buf();
            let desc = if m.file_type().is_symlink() {
                format!("link -> {}", fs::read_link(&p).expect("readlink").display())
            } else {
                format!("mode {:o} mtime {}", m.mode(), m.mtime())
            };
            (rel, desc)
        })
        .collect()
}

#[test]
fn tar_zstd_round_trips_through_system_zstd_and_tar() {
    let server = small_limits_server();
    let src = tempfile::tempdir().expect("tmp");
    let long = awkward_tree(&src.path().join("tree"));
    let dest = format!("s3://{BUCKET}/backups/tree.tar.zst");
    let mut args = vec![
        "tar",
        "-C",
        src.path().to_str().expect("utf-8"),
        "tree",
        &dest,
    ];
    args.extend(["--zstd", "--json", "--concurrency", "3"]);
    args.extend(SMALL_PARTS);
    let out = run(&server, &args, None);
    assert!(out.status.success(), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("--json");

    let object = server
        .object_bytes(BUCKET, "backups/tree.tar.zst")
        .expect("stored");
    assert_eq!(report["size"], object.len());
    assert_eq!(report["compressed_bytes"], object.len());
    assert!(report["parts"].as_u64() >= Some(6), "{report}");
    assert_eq!(
        util::logged(&server, "REST.PUT.PART") as u64,
        report["parts"].as_u64().expect("parts")
    );

    let work = tempfile::tempdir().expect("tmp");
    let stored = work.path().join("tree.tar.zst");
    fs::write(&stored, &object).expect("write");
    let listing = sh(&format!("zstd -d -c '{}' | tar -t", stored.display()));
    let listing = String::from_utf8(listing.stdout).expect("utf-8");
    assert!(listing.lines().any(|l| l == long), "{listing}");
    assert!(long.len() >= 300);
    assert_eq!(report["entries"], listing.lines().count(), "{listing}");
    let tar_len = sh(&format!("zstd -d -c '{}' | wc -c", stored.display()));
    let tar_len: u64 = String::from_utf8_lossy(&tar_len.stdout)
        .trim()
        .parse()
        .expect("wc");
    assert_eq!(report["uncompressed_bytes"], tar_len);

    let out_dir = work.path().join("x");
    fs::create_dir(&out_dir).expect("mkdir");
    sh(&format!(
        "zstd -d -c '{}' | tar -x -C '{}'",
        stored.display(),
        out_dir.display()
    ));
    sh(&format!(
        "diff -r --no-dereference '{}' '{}'",
        src.path().join("tree").display(),
        out_dir.join("tree").display()
    ));
    assert_eq!(snapshot(src.path()), snapshot(&out_dir));
    let a = fs::metadata(out_dir.join("tree/bin/run.sh")).expect("stat");
    let b = fs::metadata(out_dir.join("tree/bin/run-again.sh")).expect("stat");
    assert_eq!(a.ino(), b.ino(), "the hard link is restored as one");
    assert_no_pending_uploads(&server);
}

#[test]
fn tar_plain_with_several_paths_excludes_and_the_upload_line() {
    let server = util::server();
    let src = tempfile::tempdir().expect("tmp");
    write_file(src.path(), "a/keep.txt", b"keep");
    write_file(src.path(), "a/drop.log", b"drop");
    write_file(src.path(), "a/cache/x", b"drop");
    write_file(src.path(), "b.txt", b"b");
    let dest = format!("s3://{BUCKET}/plain.tar");
    let dir = src.path().to_str().expect("utf-8");
    let args = [
        "tar",
        "-C",
        dir,
        "a",
        "b.txt",
        &dest,
        "--exclude",
        "*.log",
        "--exclude",
        "cache",
    ];
    let out = util::s3up(&server, &args);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("upload: a b.txt to {dest}")
    );
    let work = tempfile::tempdir().expect("tmp");
    let stored = write_file(
        work.path(),
        "plain.tar",
        &server.object_bytes(BUCKET, "plain.tar").expect("stored"),
    );
    let listing = sh(&format!("tar -tf '{}'", stored.display()));
    assert_eq!(
        String::from_utf8_lossy(&listing.stdout),
        "a/\na/keep.txt\nb.txt\n"
    );
}

#[test]
fn tar_zstd_level_flag_forms_and_usage_errors() {
    let server = util::server();
    let src = tempfile::tempdir().expect("tmp");
    write_file(src.path(), "f.txt", &b"compressible ".repeat(10_000));
    let dir = src.path().to_str().expect("utf-8");
    for (form, key) in [
        (vec!["--zstd=19"], "l19.tar.zst"),
        (vec!["--zstd-level", "1", "--threads", "2"], "l1.tar.zst"),
    ] {
        let dest = format!("s3://{BUCKET}/{key}");
        let mut args = vec!["tar", "-C", dir, "f.txt", &dest];
        args.extend(form);
        let out = util::s3up(&server, &args);
        assert!(out.status.success(), "{key}: {}", text(&out));
        let stored = server.object_bytes(BUCKET, key).expect("stored");
        assert!(stored.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]), "zstd magic");
        assert!(stored.len() < 10_000);
    }
    let dest = format!("s3://{BUCKET}/x.tar");
    for bad in [
        vec!["tar", "-C", dir, "f.txt", &dest, "--zstd=25"],
        vec!["tar", "-C", dir, "f.txt", &dest, "--threads", "2"],
        vec!["tar", "-C", dir, "f.txt", "s3://bucket/prefix/"],
        vec!["tar", "s3://bucket/only-a-destination"],
        vec!["tar", "-", "s3://bucket/stdin.tar"],
    ] {
        let out = util::s3up(&server, &bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", text(&out));
    }
    let before = server.access_log_records();
    let out = util::s3up(&server, &["tar", "-C", dir, "f.txt", "missing", &dest]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("missing"),
        "{}",
        text(&out)
    );
    assert_eq!(
        server.access_log_records(),
        before,
        "a missing path sends nothing"
    );
}

/// Sizes of the `REST.PUT.PART` requests for `key`, by part number.
fn part_sizes(server: &Server, key: &str) -> Vec<u64> {
    let mut parts: Vec<(u64, u64)> = server
        .access_log_records()
        .into_iter()
        .filter(|r| r.operation == "REST.PUT.PART" && r.key == key)
        .map(|r| {
            let number = r
                .request_uri
                .split(['?', '&', ' '])
                .find_map(|p| p.strip_prefix("partNumber="))
                .and_then(|n| n.parse().ok())
                .expect("partNumber");
            (number, r.object_size.expect("size"))
        })
        .collect();
    parts.sort_unstable();
    let numbers: Vec<u64> = parts.iter().map(|p| p.0).collect();
    assert_eq!(numbers, (1..=parts.len() as u64).collect::<Vec<_>>());
    parts.into_iter().map(|p| p.1).collect()
}

fn assert_growing(sizes: &[u64]) {
    assert!(sizes.len() <= 100, "{} parts", sizes.len());
    assert!(sizes.len() > 10, "{sizes:?}");
    assert_eq!(sizes[0], 64 * KIB as u64);
    let body = &sizes[..sizes.len() - 1];
    assert!(body.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");
    assert!(body[body.len() - 1] >= 2 * MIB as u64, "{sizes:?}");
}

#[test]
fn streams_of_unknown_length_grow_their_parts_within_the_part_limit() {
    let server = small_limits_server();
    // 50 MiB in 64 KiB parts would be 800 parts; the limit is 100.
    let bytes = data(50 * MIB + 123, 9);
    let dest = format!("s3://{BUCKET}/stdin.bin");
    let mut args = vec!["cp", "-", &dest];
    args.extend(SMALL_PARTS);
    let out = run(&server, &args, Some(bytes.clone()));
    assert!(out.status.success(), "{}", text(&out));
    assert!(server.object_bytes(BUCKET, "stdin.bin").as_deref() == Some(&bytes[..]));
    assert_growing(&part_sizes(&server, "stdin.bin"));

    let src = tempfile::tempdir().expect("tmp");
    write_file(src.path(), "noise.bin", &bytes);
    let dest = format!("s3://{BUCKET}/noise.tar.zst");
    let mut args = vec![
        "tar",
        "-C",
        src.path().to_str().expect("utf-8"),
        "noise.bin",
        &dest,
    ];
    args.push("--zstd");
    args.extend(SMALL_PARTS);
    let out = run(&server, &args, None);
    assert!(out.status.success(), "{}", text(&out));
    let stored = server
        .object_bytes(BUCKET, "noise.tar.zst")
        .expect("stored");
    let mut archive = ::tar::Archive::new(zstd::Decoder::new(&stored[..]).expect("zstd"));
    let mut entry = archive
        .entries()
        .expect("entries")
        .next()
        .expect("one")
        .expect("entry");
    let mut back = Vec::new();
    entry.read_to_end(&mut back).expect("read");
    assert!(back == bytes, "archived bytes differ");
    assert_growing(&part_sizes(&server, "noise.tar.zst"));
    assert_no_pending_uploads(&server);
}

/// A regular file this process cannot read, even as root (write-only sysfs attributes refuse
/// readers before permissions are looked at); for other users a chmod 000 file.
fn unreadable_file(dir: &Path) -> Option<PathBuf> {
    let probe = write_file(dir, "unreadable", b"secret");
    fs::set_permissions(&probe, fs::Permissions::from_mode(0o000)).ok()?;
    if fs::read(&probe).is_err() {
        return Some(probe);
    }
    fs::remove_file(&probe).ok()?;
    let sys = PathBuf::from("/sys/bus/cpu/uevent");
    (sys.is_file() && fs::read(&sys).is_err()).then_some(sys)
}

#[test]
fn an_unreadable_file_mid_stream_aborts_and_leaves_nothing() {
    let server = small_limits_server();
    let src = tempfile::tempdir().expect("tmp");
    write_file(src.path(), "tree/big.bin", &data(2 * MIB, 5));
    let Some(bad) = unreadable_file(src.path()) else {
        eprintln!("skipped: no unreadable file on this system");
        return;
    };
    let tree = src.path().join("tree");
    let (tree, bad) = (tree.to_str().expect("utf-8"), bad.to_str().expect("utf-8"));
    let dest = format!("s3://{BUCKET}/broken.tar.zst");
    let mut args = vec!["tar", tree, bad, &dest, "--zstd"];
    args.extend(SMALL_PARTS);
    let out = run(&server, &args, None);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(bad) && stderr.contains("cannot open"),
        "{}",
        text(&out)
    );
    assert_eq!(server.object_bytes(BUCKET, "broken.tar.zst"), None);
    assert_no_pending_uploads(&server);
    let log = server.access_log();
    assert!(
        util::logged(&server, "REST.POST.UPLOADS") > 0,
        "the upload had started: {log}"
    );
    assert!(
        util::logged(&server, "REST.DELETE.UPLOAD") > 0,
        "and was aborted: {log}"
    );

    // GNU tar's --ignore-failed-read: a warning, and the archive without the file.
    let dest = format!("s3://{BUCKET}/partial.tar.zst");
    let mut args = vec!["tar", tree, bad, &dest, "--zstd", "--ignore-failed-read"];
    args.extend(SMALL_PARTS);
    let out = run(&server, &args, None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("warning: {bad}: cannot open")),
        "{}",
        text(&out)
    );
    let stored = server
        .object_bytes(BUCKET, "partial.tar.zst")
        .expect("stored");
    let mut archive = ::tar::Archive::new(zstd::Decoder::new(&stored[..]).expect("zstd"));
    assert_eq!(
        archive.entries().expect("entries").count(),
        2,
        "tree/ and big.bin"
    );
}

#[test]
fn a_file_that_changes_while_read_is_stored_as_read_with_exit_status_1() {
    let server = util::server();
    // procfs reports size 0 for a file that has content: to the reader it grew.
    let dest = format!("s3://{BUCKET}/changed.tar");
    let out = util::s3up(&server, &["tar", "-C", "/proc/self", "status", &dest]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("status: file changed as we read it"),
        "{}",
        text(&out)
    );
    let stored = server
        .object_bytes(BUCKET, "changed.tar")
        .expect("stored as read");
    let mut archive = ::tar::Archive::new(&stored[..]);
    let names: Vec<String> = archive
        .entries()
        .expect("entries")
        .map(|e| {
            e.expect("entry")
                .path()
                .expect("path")
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(names, ["status"]);
}

/// A producer that dies after `left` bytes.
struct Dying {
    left: usize,
}

impl Read for Dying {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other("producer died"));
        }
        let n = buf.len().min(self.left).min(10_000);
        buf[..n].fill(0xab);
        self.left -= n;
        Ok(n)
    }
}

#[test]
fn the_engine_aborts_when_the_reader_fails_never_publishing_a_prefix() {
    use s3up::upload::{self, plan::Limits, Control, Target, UploadOptions};
    let server = small_limits_server();
    let vars = [
        ("AWS_ACCESS_KEY_ID", server.access_key().to_owned()),
        ("AWS_SECRET_ACCESS_KEY", server.secret_key().to_owned()),
        ("AWS_REGION", server.region().to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
    ];
    let env = move |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
    let common = s3up::config::CommonOptions {
        endpoint_url: Some(server.endpoint()),
        ..Default::default()
    };
    let session = s3up::config::open(&common, &env).expect("session");
    let opts = UploadOptions {
        part_size: 64 * KIB as u64,
        multipart_threshold: 64 * KIB as u64,
        limits: Limits {
            min_part_size: 64 * KIB as u64,
            max_parts: 100,
            ..Limits::default()
        },
        ..UploadOptions::default()
    };
    let control = Control::new(None);
    for (i, left) in [10 * KIB, 64 * KIB, MIB + 1].into_iter().enumerate() {
        let target = Target::new(BUCKET, format!("dying-{i}"));
        let mut reader = Dying { left };
        let err = upload::upload_stream(&session.client, &target, &mut reader, &opts, &control)
            .expect_err("a failed read fails the upload");
        assert!(err.to_string().contains("producer died"), "{err}");
        assert_eq!(server.object_bytes(BUCKET, &target.key), None);
    }
    assert_no_pending_uploads(&server);
    assert!(util::logged(&server, "REST.DELETE.UPLOAD") > 0);

    // The archive producer behind the same engine: an unreadable file after 1 MiB of data.
    let src = tempfile::tempdir().expect("tmp");
    write_file(src.path(), "big.bin", &data(MIB, 1));
    let Some(bad) = unreadable_file(src.path()) else {
        return;
    };
    let mut reader = s3up::archive::start(s3up::archive::Spec {
        paths: vec![src.path().join("big.bin"), bad.clone()],
        ..Default::default()
    })
    .expect("start");
    let target = Target::new(BUCKET, "archive-dying".to_owned());
    let err = upload::upload_stream(&session.client, &target, &mut reader, &opts, &control)
        .expect_err("fails");
    assert!(err.to_string().contains("cannot open"), "{err}");
    let failure = reader.finish().expect_err("the producer failed");
    assert_eq!(failure.path.as_deref(), Some(bad.as_path()));
    assert_eq!(server.object_bytes(BUCKET, "archive-dying"), None);
    assert_no_pending_uploads(&server);
}

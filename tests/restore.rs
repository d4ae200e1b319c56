//! `s3up restore` from local archives: round trips of `s3up tar --zstd` (through the
//! in-process server) and of GNU tar's archives, compared with `diff -r --no-dereference` and
//! modes, mtimes and links; hostile archives built from raw headers, with the directory around
//! the restore directory checked unchanged; broken archives and their byte offsets; member
//! selection, listing, overwrite, JSON and interruption.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use tar::EntryType;

use crate::tar::{awkward_tree, run, sh, small_limits_server, snapshot, walk, SMALL_PARTS};
use crate::util::{data, output_with_stdin, text, write_file, BUCKET};

fn restore_cmd(args: &[&str]) -> Command {
    let home = tempfile::tempdir().expect("temp HOME").keep();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_s3up"));
    cmd.env_clear()
        .env("HOME", &home)
        .arg("restore")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn restore(args: &[&str]) -> Output {
    restore_cmd(args).output().expect("run s3up restore")
}

fn restore_stdin(args: &[&str], input: Vec<u8>) -> Output {
    output_with_stdin(restore_cmd(args), input)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

/// The restored tree equals the source: same files and bytes (`diff -r --no-dereference`),
/// same kinds, modes and mtimes of everything but symlinks, same symlink targets, and the
/// two names of `bin/run.sh` one file again.
fn assert_same_tree(src: &Path, restored: &Path) {
    sh(&format!(
        "diff -r --no-dereference '{}' '{}'",
        src.join("tree").display(),
        restored.join("tree").display()
    ));
    assert_eq!(snapshot(src), snapshot(restored));
    let a = fs::metadata(restored.join("tree/bin/run.sh")).expect("stat");
    let b = fs::metadata(restored.join("tree/bin/run-again.sh")).expect("stat");
    assert_eq!(a.ino(), b.ino(), "the hard link is restored as one file");
}

/// The awkward tree of `tests/tar.rs` plus a private file (0600).
fn test_tree(src: &Path) -> String {
    let long = awkward_tree(&src.join("tree"));
    let secret = write_file(src, "tree/private/secret.key", b"do not share");
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o600)).expect("chmod");
    long
}

#[test]
fn s3up_tar_zstd_round_trips_through_restore_from_a_file_and_stdin() {
    let server = small_limits_server();
    let src = tempfile::tempdir().expect("tmp");
    let long = test_tree(src.path());
    assert!(long.len() >= 300);
    let dest = format!("s3://{BUCKET}/tree.tar.zst");
    let mut args = vec![
        "tar",
        "-C",
        s(src.path()),
        "tree",
        &dest,
        "--zstd",
        "--json",
    ];
    args.extend(SMALL_PARTS);
    let out = run(&server, &args, None);
    assert!(out.status.success(), "{}", text(&out));
    let uploaded = json(&out);
    assert!(uploaded["parts"].as_u64() > Some(1), "{uploaded}");
    let object = server.object_bytes(BUCKET, "tree.tar.zst").expect("stored");

    let work = tempfile::tempdir().expect("tmp");
    let file = write_file(work.path(), "tree.tar.zst", &object);
    let out_dir = work.path().join("from-file");
    let out = restore(&[s(&file), "-C", s(&out_dir)]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .trim_start()
            .split(" (")
            .next(),
        Some(format!("restore: {} to {}", file.display(), out_dir.display()).as_str())
    );
    assert_same_tree(src.path(), &out_dir);
    assert_eq!(
        fs::metadata(out_dir.join("tree/private/secret.key"))
            .expect("key")
            .mode()
            & 0o7777,
        0o600
    );
    assert_eq!(
        fs::metadata(out_dir.join("tree/bin")).expect("bin").mode() & 0o7777,
        0o750
    );

    let out_dir = work.path().join("from-stdin");
    let out = restore_stdin(&["-", "-C", s(&out_dir), "--json"], object.clone());
    assert!(out.status.success(), "{}", text(&out));
    assert_same_tree(src.path(), &out_dir);
    let summary = json(&out);
    assert_eq!(summary["entries"], uploaded["entries"], "{summary}");
    assert_eq!(summary["tar_bytes"], uploaded["uncompressed_bytes"]);
    assert_eq!(summary["input_bytes"], object.len());
    assert_eq!(summary["format"], "tar+zstd");
    assert_eq!(summary["complete"], true);
    let written = summary["written"].as_array().expect("written");
    assert!(
        written.iter().any(|w| w == &serde_json::json!(long)),
        "{summary}"
    );
}

#[test]
fn gnu_tar_archives_in_gnu_and_pax_format_restore_the_same_tree() {
    let src = tempfile::tempdir().expect("tmp");
    test_tree(src.path());
    let work = tempfile::tempdir().expect("tmp");
    for format in ["gnu", "pax"] {
        let archive = work.path().join(format!("{format}.tar.zst"));
        sh(&format!(
            "tar --zstd --format={format} -cf '{}' -C '{}' tree",
            archive.display(),
            src.path().display()
        ));
        let out_dir = work.path().join(format);
        let out = restore(&[s(&archive), "-C", s(&out_dir)]);
        assert!(out.status.success(), "{format}: {}", text(&out));
        assert_same_tree(src.path(), &out_dir);
    }
    // gzip, detected from its bytes whatever the file is called.
    let archive = work.path().join("tree.bin");
    sh(&format!(
        "tar -czf '{}' -C '{}' tree",
        archive.display(),
        src.path().display()
    ));
    let out_dir = work.path().join("gz");
    let out = restore(&[s(&archive), "-C", s(&out_dir), "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(json(&out)["format"], "tar+gzip");
    assert_same_tree(src.path(), &out_dir);
}

// ---------------------------------------------------------------------------------------------
// Hostile archives

/// One member from a raw ustar header: the name and link fields written byte for byte, so
/// `..`, absolute paths and anything else a hostile archive holds go in unchecked.
fn raw(name: &str, kind: EntryType, link: &str, data: &[u8], mode: u32) -> Vec<u8> {
    let mut h = tar::Header::new_ustar();
    {
        let bytes = h.as_mut_bytes();
        bytes[..name.len()].copy_from_slice(name.as_bytes());
        bytes[157..157 + link.len()].copy_from_slice(link.as_bytes());
    }
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(data.len() as u64);
    h.set_mtime(1_600_000_000);
    h.set_uid(1234);
    h.set_gid(5678);
    if matches!(kind, EntryType::Char | EntryType::Block) {
        h.set_device_major(1).expect("major");
        h.set_device_minor(3).expect("minor");
    }
    h.set_cksum();
    let mut out = h.as_bytes().to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

fn hostile_archive(members: &[Vec<u8>]) -> Vec<u8> {
    let mut out = members.concat();
    out.extend_from_slice(&[0; 1024]);
    out
}

/// Everything under `root` except the restore directory `skip`: kind, size, mode, mtime and
/// contents (to show that nothing outside it changed).
fn state_outside(root: &Path, skip: &Path) -> BTreeMap<PathBuf, String> {
    walk(root)
        .into_iter()
        .filter(|p| !p.starts_with(skip))
        .map(|p| {
            let m = fs::symlink_metadata(&p).expect("lstat");
            let contents = if m.is_file() {
                fs::read(&p).expect("read")
            } else {
                Vec::new()
            };
            let desc = format!(
                "{:o} {} {} {:?}",
                m.mode(),
                m.len(),
                m.mtime(),
                String::from_utf8_lossy(&contents)
            );
            (p, desc)
        })
        .collect()
}

/// A sandbox: `box/outside/victim`, and the restore directory `box/dir`.
struct Sandbox {
    root: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let root = tempfile::tempdir().expect("tmp");
        write_file(root.path(), "outside/victim", b"untouched");
        fs::create_dir(root.path().join("dir")).expect("mkdir");
        Self { root }
    }

    fn dir(&self) -> PathBuf {
        self.root.path().join("dir")
    }

    fn outside(&self) -> PathBuf {
        self.root.path().join("outside")
    }

    /// Restores `archive` (from a file outside the sandbox) and checks that nothing outside
    /// the restore directory changed.
    fn restore(&self, archive: &[u8], extra: &[&str]) -> Output {
        let holder = tempfile::tempdir().expect("tmp");
        let file = write_file(holder.path(), "hostile.tar", archive);
        let before = state_outside(self.root.path(), &self.dir());
        let dir = self.dir();
        let mut args = vec![s(&file), "-C", s(&dir)];
        args.extend(extra);
        let out = restore(&args);
        assert_eq!(
            before,
            state_outside(self.root.path(), &self.dir()),
            "something outside the restore directory changed: {}",
            text(&out)
        );
        out
    }
}

fn refused_names(out: &Output) -> Vec<String> {
    json(out)["refused"]
        .as_array()
        .expect("refused")
        .iter()
        .map(|r| r["name"].as_str().expect("name").to_owned())
        .collect()
}

#[test]
fn dot_dot_names_are_refused_and_absolute_names_made_relative() {
    let sb = Sandbox::new();
    assert!(!Path::new("/etc/x").exists());
    let archive = hostile_archive(&[
        raw("../x", EntryType::Regular, "", b"escape", 0o644),
        raw("a/../../x", EntryType::Regular, "", b"escape", 0o644),
        raw(
            "../outside/victim",
            EntryType::Regular,
            "",
            b"overwritten",
            0o644,
        ),
        raw("/etc/x", EntryType::Regular, "", b"absolute", 0o644),
        raw("fine.txt", EntryType::Regular, "", b"fine", 0o644),
    ]);
    let out = sb.restore(&archive, &["--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(
        refused_names(&out),
        ["../x", "a/../../x", "../outside/victim"]
    );
    let err = stderr(&out);
    assert!(
        err.contains("../x: not restored: its name has a '..' component"),
        "{err}"
    );
    assert!(
        err.contains("removing leading '/' from member names"),
        "{err}"
    );
    assert!(!Path::new("/etc/x").exists(), "written outside: /etc/x");
    assert_eq!(
        fs::read(sb.dir().join("etc/x")).expect("etc/x"),
        b"absolute"
    );
    assert_eq!(fs::read(sb.dir().join("fine.txt")).expect("fine"), b"fine");
    assert!(!sb.root.path().join("x").exists());
}

#[test]
fn a_symlink_in_the_archive_is_never_followed_by_a_later_member() {
    let sb = Sandbox::new();
    let outside = sb.outside();
    let tmp_name = format!("s3up-restore-hostile-{}", std::process::id());
    let archive = hostile_archive(&[
        raw("l", EntryType::Symlink, "/tmp", b"", 0o777),
        raw(
            &format!("l/{tmp_name}"),
            EntryType::Regular,
            "",
            b"escape",
            0o644,
        ),
        raw("up", EntryType::Symlink, "..", b"", 0o777),
        raw("up/x", EntryType::Regular, "", b"escape", 0o644),
        raw("o", EntryType::Symlink, s(&outside), b"", 0o777),
        raw("o/victim", EntryType::Regular, "", b"overwritten", 0o644),
        raw("o/sub/", EntryType::Directory, "", b"", 0o755),
        raw("o/sub/deep", EntryType::Regular, "", b"escape", 0o644),
        raw("hl", EntryType::Link, "o/victim", b"", 0o644),
    ]);
    let out = sb.restore(&archive, &["--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(
        refused_names(&out),
        [
            format!("l/{tmp_name}"),
            "up/x".into(),
            "o/victim".into(),
            "o/sub/".into(),
            "o/sub/deep".into(),
            "hl".into()
        ]
    );
    let err = stderr(&out);
    assert!(
        err.contains(
            "o/victim: not restored: 'o' is a symbolic link, and s3up never writes through one"
        ),
        "{err}"
    );
    assert!(
        !Path::new("/tmp").join(&tmp_name).exists(),
        "written through l -> /tmp"
    );
    // The symlinks themselves are restored, as they were.
    assert_eq!(
        fs::read_link(sb.dir().join("up")).expect("up"),
        Path::new("..")
    );
    assert_eq!(fs::read_link(sb.dir().join("o")).expect("o"), outside);
}

#[test]
fn hard_links_may_only_point_inside_the_directory() {
    let sb = Sandbox::new();
    let archive = hostile_archive(&[
        raw("passwd", EntryType::Link, "/etc/passwd", b"", 0o644),
        raw("victim", EntryType::Link, "../outside/victim", b"", 0o644),
        raw("inside", EntryType::Regular, "", b"in", 0o644),
        raw("again", EntryType::Link, "inside", b"", 0o644),
    ]);
    let out = sb.restore(&archive, &["--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(refused_names(&out), ["passwd", "victim"]);
    let err = stderr(&out);
    assert!(
        err.contains("passwd: not restored: its link target 'etc/passwd': 'etc' does not exist"),
        "{err}"
    );
    assert!(!sb.dir().join("passwd").exists());
    let (a, b) = (
        fs::metadata(sb.dir().join("inside")).expect("inside"),
        fs::metadata(sb.dir().join("again")).expect("again"),
    );
    assert_eq!(a.ino(), b.ino());
}

#[test]
fn device_nodes_and_setuid_bits_are_not_restored_unless_asked() {
    let sb = Sandbox::new();
    let archive = hostile_archive(&[
        raw("null", EntryType::Char, "", b"", 0o666),
        raw("disk", EntryType::Block, "", b"", 0o660),
        raw("suid", EntryType::Regular, "", b"#!/bin/sh\n", 0o4755),
        raw("sgid-dir/", EntryType::Directory, "", b"", 0o2775),
        raw("fifo", EntryType::Fifo, "", b"", 0o600),
    ]);
    let out = sb.restore(&archive, &["--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(refused_names(&out), ["null", "disk"]);
    let err = stderr(&out);
    assert!(
        err.contains("null: not restored: a device node: restored only as root with --same-owner"),
        "{err}"
    );
    assert!(
        err.contains("suid: setuid/setgid bits not restored"),
        "{err}"
    );
    assert!(!sb.dir().join("null").exists());
    let mode = |p: &str| fs::metadata(sb.dir().join(p)).expect(p).mode();
    assert_eq!(mode("suid") & 0o7777, 0o755);
    assert_eq!(mode("sgid-dir") & 0o7777, 0o755, "umask 022 and no setgid");
    assert!(fs::symlink_metadata(sb.dir().join("fifo"))
        .expect("fifo")
        .file_type()
        .is_fifo());

    // Asked for: the bits come back (devices need root and --same-owner, not tested here).
    let again = Sandbox::new();
    let out = again.restore(&archive[1024..], &["--preserve-permissions"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mode = |p: &str| fs::metadata(again.dir().join(p)).expect(p).mode();
    assert_eq!(mode("suid") & 0o7777, 0o4755);
    assert_eq!(mode("sgid-dir") & 0o7777, 0o2775);
}

#[test]
fn numeric_owners_only_as_root_with_same_owner() {
    let archive = hostile_archive(&[
        raw("owned/", EntryType::Directory, "", b"", 0o755),
        raw("owned/f", EntryType::Regular, "", b"f", 0o644),
        raw("owned/l", EntryType::Symlink, "f", b"", 0o777),
    ]);
    let root = fs::metadata("/proc/self").expect("stat").uid() == 0;
    let sb = Sandbox::new();
    let out = sb.restore(&archive, &["--same-owner"]);
    if !root {
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(
            stderr(&out).contains("--same-owner: only root"),
            "{}",
            text(&out)
        );
        return;
    }
    assert!(out.status.success(), "{}", text(&out));
    for p in ["owned", "owned/f", "owned/l"] {
        let m = fs::symlink_metadata(sb.dir().join(p)).expect(p);
        assert_eq!((m.uid(), m.gid()), (1234, 5678), "{p}");
    }
    let plain = Sandbox::new();
    let out = plain.restore(&archive, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let m = fs::metadata(plain.dir().join("owned/f")).expect("f");
    assert_eq!(
        (m.uid(), m.gid()),
        (0, 0),
        "without --same-owner, root keeps the files"
    );
}

// ---------------------------------------------------------------------------------------------
// Broken input

#[test]
fn truncated_and_corrupt_archives_fail_with_the_byte_offset() {
    let src = tempfile::tempdir().expect("tmp");
    write_file(src.path(), "tree/a.bin", &data(300_000, 1));
    write_file(src.path(), "tree/b.bin", &data(300_000, 2));
    let work = tempfile::tempdir().expect("tmp");
    let zst = work.path().join("t.tar.zst");
    sh(&format!(
        "tar --zstd -cf '{}' -C '{}' tree",
        zst.display(),
        src.path().display()
    ));
    let bytes = fs::read(&zst).expect("archive");

    let cut = bytes.len() - 1000;
    let short = write_file(work.path(), "short.tar.zst", &bytes[..cut]);
    let out = restore(&[s(&short), "-C", s(&work.path().join("x1")), "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert!(err.contains("truncated archive"), "{err}");
    assert!(
        err.contains(&format!("at byte {cut} of the input")),
        "{err}"
    );
    let summary = json(&out);
    assert_eq!(summary["complete"], false);
    assert!(summary["error"]
        .as_str()
        .expect("error")
        .contains("truncated"));
    let left = files_under(&work.path().join("x1"));
    assert!(left.len() < 2, "{left:?}");
    for f in &left {
        let len = fs::metadata(work.path().join("x1").join(f))
            .expect("stat")
            .len();
        assert_eq!(len, 300_000, "a partial file under its name: {f}");
    }

    let mut bad = bytes.clone();
    bad[bytes.len() / 2] ^= 0x55;
    let bad = write_file(work.path(), "bad.tar.zst", &bad);
    let out = restore(&[s(&bad), "-C", s(&work.path().join("x2"))]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert!(err.contains("corrupt archive"), "{err}");
    assert!(err.contains(" of the input"), "{err}");

    let tar_file = work.path().join("t.tar");
    sh(&format!(
        "zstd -q -d -c '{}' > '{}'",
        zst.display(),
        tar_file.display()
    ));
    let plain = fs::read(&tar_file).expect("tar");
    let short = write_file(work.path(), "short.tar", &plain[..5000]);
    let out = restore(&[s(&short), "-C", s(&work.path().join("x3"))]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains("stops 296024 bytes short (at byte 5000 of the input)"),
        "{}",
        text(&out)
    );

    let out = restore_stdin(
        &["-", "-C", s(&work.path().join("x4"))],
        b"hello world".to_vec(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains("not a tar, tar.zst or tar.gz archive"),
        "{}",
        text(&out)
    );
}

// ---------------------------------------------------------------------------------------------
// Selection, listing, overwrite, usage

fn small_archive(work: &Path) -> PathBuf {
    let src = work.join("src");
    write_file(&src, "top/a/keep.txt", b"keep");
    write_file(&src, "top/a/drop.log", b"drop");
    write_file(&src, "top/b/c.txt", b"c");
    write_file(&src, "top/cache/x", b"x");
    let archive = work.join("small.tar.zst");
    sh(&format!(
        "tar --zstd -cf '{}' -C '{}' top",
        archive.display(),
        src.display()
    ));
    archive
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = walk(dir)
        .into_iter()
        .filter(|p| p.is_file())
        .map(|p| p.strip_prefix(dir).expect("below").display().to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn members_excludes_and_strip_components_choose_what_is_restored() {
    let work = tempfile::tempdir().expect("tmp");
    let archive = small_archive(work.path());
    let out_dir = work.path().join("out");
    let out = restore(&[
        s(&archive),
        "top/a",
        "-C",
        s(&out_dir),
        "--exclude",
        "*.log",
        "--strip-components",
        "1",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(files_under(&out_dir), ["a/keep.txt"]);
    let out_dir = work.path().join("out2");
    let out = restore(&[
        s(&archive),
        "-C",
        s(&out_dir),
        "--exclude",
        "cache",
        "--exclude",
        "*.log",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(files_under(&out_dir), ["top/a/keep.txt", "top/b/c.txt"]);

    let out = restore(&[s(&archive), "top/nothing", "-C", s(&work.path().join("o2"))]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stderr(&out).contains("not found in the archive: top/nothing"),
        "{}",
        text(&out)
    );
}

#[test]
fn list_and_verbose_list_like_tar_t() {
    let work = tempfile::tempdir().expect("tmp");
    let archive = small_archive(work.path());
    let out = restore(&[s(&archive), "--list"]);
    assert!(out.status.success(), "{}", text(&out));
    let ours = String::from_utf8_lossy(&out.stdout).into_owned();
    let theirs = sh(&format!("tar --zstd -tf '{}'", archive.display()));
    assert_eq!(ours, String::from_utf8_lossy(&theirs.stdout));
    assert!(!work.path().join("top").exists(), "--list writes nothing");

    let out = restore(&[s(&archive), "--list", "-v", "top/a"]);
    assert!(out.status.success(), "{}", text(&out));
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 3, "{listing}");
    assert!(lines[0].starts_with("drwxr-xr-x "), "{listing}");
    assert!(lines[0].ends_with(" top/a/"), "{listing}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("-rw-r--r-- ") && l.contains("          4 ")),
        "{listing}"
    );
}

#[test]
fn existing_files_are_refused_by_name_unless_overwrite() {
    let work = tempfile::tempdir().expect("tmp");
    let archive = small_archive(work.path());
    let out_dir = work.path().join("out");
    write_file(&out_dir, "top/a/keep.txt", b"mine");
    let out = restore(&[s(&archive), "-C", s(&out_dir)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = stderr(&out);
    assert!(
        err.contains("top/a/keep.txt: exists; not replaced"),
        "{err}"
    );
    assert!(
        err.contains("1 not replaced because they exist (--overwrite replaces them)"),
        "{err}"
    );
    assert_eq!(
        fs::read(out_dir.join("top/a/keep.txt")).expect("kept"),
        b"mine"
    );
    assert_eq!(fs::read(out_dir.join("top/b/c.txt")).expect("c"), b"c");

    let out = restore(&[s(&archive), "-C", s(&out_dir), "--overwrite"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        fs::read(out_dir.join("top/a/keep.txt")).expect("replaced"),
        b"keep"
    );
}

#[test]
fn usage_errors_exit_2() {
    for (args, expected) in [
        (vec![], "give the archive to restore"),
        (
            vec!["s3://bucket/backups/", "-C", "x"],
            "name the archive's object, not a prefix",
        ),
        (
            vec!["archive.tar", "-C", "x", "--verify-first"],
            "--verify-first is for archives in S3",
        ),
        (
            vec!["s3://bucket/key.tar.zst", "--concurrency", "0"],
            "--concurrency 0",
        ),
    ] {
        let out = restore(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(stderr(&out).contains(expected), "{}", text(&out));
    }
}

#[test]
fn sigint_mid_file_exits_130_and_leaves_no_partial_file() {
    let src = tempfile::tempdir().expect("tmp");
    write_file(src.path(), "big.bin", &data(8 << 20, 9));
    let work = tempfile::tempdir().expect("tmp");
    let tar_file = work.path().join("big.tar");
    sh(&format!(
        "tar -cf '{}' -C '{}' big.bin",
        tar_file.display(),
        src.path().display()
    ));
    let archive = fs::read(&tar_file).expect("tar");
    let out_dir = work.path().join("out");
    let mut child = restore_cmd(&["-", "-C", s(&out_dir)])
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(&archive[..4 << 20]).expect("first half");
    stdin.flush().expect("flush");
    // Wait (bounded) until the file is being written under its temporary name.
    let deadline = Instant::now() + Duration::from_secs(20);
    while fs::read_dir(&out_dir).map_or(true, |mut d| d.next().is_none()) {
        assert!(Instant::now() < deadline, "nothing written in time");
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    // Give the handler thread a moment to set its flag; the next read returns and the
    // interruption is noticed.
    std::thread::sleep(Duration::from_millis(300));
    let _ = stdin.write_all(&archive[4 << 20..]);
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
    let left: Vec<_> = fs::read_dir(&out_dir).expect("out").collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

//! The archive read back with the `tar` crate: names, kinds, modes, links and data; and the
//! failure rules (an unreadable file is an error on the reader, never a clean end of file).

use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::*;

struct Member {
    name: String,
    kind: tar::EntryType,
    mode: u32,
    link: Option<String>,
    data: Vec<u8>,
}

fn members(archive: &[u8]) -> Vec<Member> {
    let mut ar = tar::Archive::new(archive);
    ar.entries()
        .expect("entries")
        .map(|e| {
            let mut e = e.expect("entry");
            let mut data = Vec::new();
            e.read_to_end(&mut data).expect("data");
            Member {
                name: String::from_utf8(e.path_bytes().into_owned()).expect("utf-8"),
                kind: e.header().entry_type(),
                mode: e.header().mode().expect("mode"),
                link: e
                    .link_name_bytes()
                    .map(|l| String::from_utf8_lossy(&l).into_owned()),
                data,
            }
        })
        .collect()
}

fn read_all(spec: Spec) -> (Vec<u8>, Summary) {
    let mut reader = start(spec).expect("start");
    let mut out = Vec::new();
    reader.read_to_end(&mut out).expect("archive");
    let summary = reader.finish().expect("summary");
    (out, summary)
}

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path().join("t");
    let long = format!("{}/{}", "d".repeat(150), "f".repeat(150));
    for (rel, data) in [
        ("b.txt", &b"bee"[..]),
        ("a/ünïcødé ✓.txt", b"unicode"),
        ("a/empty", b""),
        (long.as_str(), b"long"),
    ] {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(&p, data).expect("write");
    }
    fs::create_dir_all(root.join("empty-dir")).expect("mkdir");
    fs::set_permissions(root.join("b.txt"), fs::Permissions::from_mode(0o751)).expect("chmod");
    std::os::unix::fs::symlink("b.txt", root.join("link")).expect("symlink");
    fs::hard_link(root.join("b.txt"), root.join("hard")).expect("hard link");
    dir
}

fn spec(dir: &Path, paths: &[&str]) -> Spec {
    Spec {
        dir: Some(dir.to_path_buf()),
        paths: paths.iter().map(PathBuf::from).collect(),
        ..Spec::default()
    }
}

#[test]
fn a_tree_reads_back_in_sorted_order_with_kinds_modes_and_links() {
    let dir = tree();
    let (bytes, summary) = read_all(spec(dir.path(), &["t"]));
    assert_eq!(bytes.len() % 10240, 0, "whole records");
    assert_eq!(summary.uncompressed_bytes, bytes.len() as u64);
    assert_eq!(summary.compressed_bytes, bytes.len() as u64);
    assert!(!summary.changed);
    let m = members(&bytes);
    let names: Vec<&str> = m.iter().map(|m| m.name.as_str()).collect();
    let long = format!("t/{}/{}", "d".repeat(150), "f".repeat(150));
    let long_dir = format!("t/{}/", "d".repeat(150));
    assert_eq!(
        names,
        [
            "t/",
            "t/a/",
            "t/a/empty",
            "t/a/ünïcødé ✓.txt",
            "t/b.txt",
            &long_dir,
            &long,
            "t/empty-dir/",
            "t/hard",
            "t/link",
        ]
    );
    assert_eq!(summary.entries, 10);
    let by = |n: &str| m.iter().find(|m| m.name == n).expect(n);
    assert_eq!(by("t/b.txt").mode, 0o751);
    assert_eq!(by("t/b.txt").data, b"bee");
    assert_eq!(by(&long).data, b"long");
    assert_eq!(by("t/link").kind, tar::EntryType::Symlink);
    assert_eq!(by("t/link").link.as_deref(), Some("b.txt"));
    assert_eq!(by("t/hard").kind, tar::EntryType::Link);
    assert_eq!(by("t/hard").link.as_deref(), Some("t/b.txt"));
    assert_eq!(by("t/empty-dir/").kind, tar::EntryType::Directory);
}

#[test]
fn zstd_output_decompresses_to_the_same_archive() {
    let dir = tree();
    let (plain, _) = read_all(spec(dir.path(), &["t"]));
    for threads in [1, 2] {
        let (packed, summary) = read_all(Spec {
            compression: Compression::Zstd { level: 3, threads },
            ..spec(dir.path(), &["t"])
        });
        assert_eq!(summary.compressed_bytes, packed.len() as u64);
        assert_eq!(summary.uncompressed_bytes, plain.len() as u64);
        assert_eq!(zstd::decode_all(&packed[..]).expect("zstd"), plain);
    }
}

#[test]
fn excludes_match_any_trailing_part_of_a_name_and_prune_directories() {
    let dir = tree();
    let (bytes, _) = read_all(Spec {
        excludes: vec!["a".into(), "*.txt".into(), "t/d*/".into()],
        ..spec(dir.path(), &["t"])
    });
    let names: Vec<String> = members(&bytes).into_iter().map(|m| m.name).collect();
    assert_eq!(names, ["t/", "t/empty-dir/", "t/hard", "t/link"]);
}

#[test]
fn leading_slash_and_dot_dot_are_removed_from_member_names() {
    let dir = tree();
    let abs = dir.path().join("t/a/empty");
    let (bytes, _) = read_all(Spec {
        paths: vec![abs.clone(), PathBuf::from("t/a/../b.txt")],
        ..spec(dir.path(), &[])
    });
    let names: Vec<String> = members(&bytes).into_iter().map(|m| m.name).collect();
    let expected = abs.to_string_lossy().trim_start_matches('/').to_owned();
    assert_eq!(names, [expected, "b.txt".to_owned()]);
}

/// A regular file this process cannot open, even as root (write-only sysfs attributes refuse
/// readers before permissions are checked); for other users a chmod 000 file.
pub(crate) fn unreadable_file(dir: &Path) -> Option<PathBuf> {
    let probe = dir.join("unreadable");
    fs::write(&probe, b"secret").ok()?;
    fs::set_permissions(&probe, fs::Permissions::from_mode(0o000)).ok()?;
    if fs::read(&probe).is_err() {
        return Some(probe);
    }
    let sys = PathBuf::from("/sys/bus/cpu/uevent");
    (sys.is_file() && fs::read(&sys).is_err()).then_some(sys)
}

#[test]
fn an_unreadable_file_is_a_read_error_never_an_end_of_file() {
    let dir = tree();
    let Some(bad) = unreadable_file(dir.path()) else {
        eprintln!("skipped: no unreadable file available");
        return;
    };
    let mut reader = start(Spec {
        paths: vec![dir.path().join("t"), bad.clone()],
        ..Spec::default()
    })
    .expect("start");
    let mut out = Vec::new();
    let err = reader.read_to_end(&mut out).expect_err("must fail");
    assert!(err.to_string().contains("cannot open"), "{err}");
    let failed = reader.finish().expect_err("producer failed");
    assert_eq!(failed.path.as_deref(), Some(bad.as_path()));

    // With --ignore-failed-read: a warning, and the archive without it.
    let (bytes, summary) = read_all(Spec {
        paths: vec![dir.path().join("t"), bad],
        ignore_failed_read: true,
        ..Spec::default()
    });
    assert!(!summary.changed);
    assert_eq!(members(&bytes).len(), 10);
}

#[test]
fn missing_paths_are_found_before_anything_starts() {
    let dir = tree();
    let s = spec(dir.path(), &["t", "nope"]);
    let err = check_paths(&s).expect_err("missing");
    assert_eq!(err.path.as_deref(), Some(Path::new("nope")));
    assert!(check_paths(&spec(dir.path(), &["t"])).is_ok());
    assert!(check_paths(&Spec {
        ignore_failed_read: true,
        ..s
    })
    .is_ok());
}

#[test]
fn a_file_larger_than_its_stat_is_cut_and_marks_the_archive_changed() {
    // procfs reports size 0 for files that have content: the read finds more than the header
    // promised, exactly like a file that grew.
    let (bytes, summary) = read_all(spec(Path::new("/proc/self"), &["status"]));
    assert!(summary.changed);
    let m = members(&bytes);
    assert_eq!(m.len(), 1);
    assert!(m[0].data.is_empty());
}

#[test]
fn dropping_the_reader_stops_the_producer() {
    let dir = tempfile::tempdir().expect("tmp");
    fs::write(dir.path().join("big"), vec![7u8; 16 << 20]).expect("write");
    let mut reader = start(spec(dir.path(), &["big"])).expect("start");
    let mut first = [0u8; 1024];
    reader.read_exact(&mut first).expect("read");
    let err = reader.finish().expect_err("stopped early");
    assert_eq!(err.source.kind(), std::io::ErrorKind::BrokenPipe);
}

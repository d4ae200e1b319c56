//! The extractor on archives built here (with the writer's own header encoder): what broken
//! input reports and where, that nothing partial is left under a name, and the existing-file
//! and directory-mode rules. Hostile archives and round trips through the binary are in
//! `tests/restore.rs`.

use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use tar::EntryType;

use super::*;
use crate::archive::header::{encode, padding, Entry};

fn member(name: &str, kind: EntryType, data: &[u8], link: Option<&str>, mode: u32) -> Vec<u8> {
    let mut out = encode(&Entry {
        name: name.as_bytes(),
        kind,
        link: link.map(str::as_bytes),
        size: data.len() as u64,
        mode,
        uid: 0,
        gid: 0,
        mtime: 1_600_000_000,
        device: None,
    });
    out.extend_from_slice(data);
    out.resize(out.len() + padding(data.len() as u64), 0);
    out
}

fn file(name: &str, data: &[u8]) -> Vec<u8> {
    member(name, EntryType::Regular, data, None, 0o644)
}

fn archive(members: &[Vec<u8>]) -> Vec<u8> {
    let mut out = members.concat();
    out.extend_from_slice(&[0; 1024]);
    out
}

/// Incompressible bytes (xorshift), so zstd blocks stay large.
fn noise(len: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// zstd as `s3up tar --zstd` writes it: with a frame checksum.
fn zstd_with_checksum(data: &[u8]) -> Vec<u8> {
    let mut enc = zstd::stream::write::Encoder::new(Vec::new(), 3).expect("encoder");
    enc.include_checksum(true).expect("checksum");
    io::Write::write_all(&mut enc, data).expect("compress");
    enc.finish().expect("finish")
}

fn opts(dir: &Path) -> ExtractOptions {
    ExtractOptions {
        dir: dir.to_path_buf(),
        ..ExtractOptions::default()
    }
}

fn problem(bytes: &[u8], dir: &Path) -> (Problem, ExtractSummary) {
    match extract(bytes, &opts(dir)) {
        Ok(s) => panic!("restored a broken archive: {s:?}"),
        Err(e) => (e.problem, *e.summary),
    }
}

/// Names in `dir`, recursively, sorted (to see that nothing partial or temporary is left).
fn names(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).expect("readdir") {
        let e = e.expect("entry");
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().expect("type").is_dir() {
            out.extend(names(&e.path()).into_iter().map(|n| format!("{name}/{n}")));
        }
        out.push(name);
    }
    out.sort();
    out
}

#[test]
fn a_plain_archive_restores_files_dirs_and_links() {
    let dir = tempfile::tempdir().expect("tmp");
    let ar = archive(&[
        member("d/", EntryType::Directory, b"", None, 0o750),
        file("d/a.txt", b"alpha"),
        member("d/l", EntryType::Symlink, b"", Some("a.txt"), 0o777),
        member("d/h", EntryType::Link, b"", Some("d/a.txt"), 0o644),
        file("empty", b""),
    ]);
    let s = extract(&ar[..], &opts(dir.path())).expect("restores");
    assert_eq!((s.entries, s.bytes, s.format), (5, 5, Some(Format::Tar)));
    assert!(s.complete());
    assert_eq!(s.tar_bytes, ar.len() as u64);
    let d = dir.path().join("d");
    assert_eq!(fs::read(d.join("a.txt")).expect("a"), b"alpha");
    assert_eq!(fs::read_link(d.join("l")).expect("l"), Path::new("a.txt"));
    let (a, h) = (
        fs::metadata(d.join("a.txt")).expect("a"),
        fs::metadata(d.join("h")).expect("h"),
    );
    assert_eq!(a.ino(), h.ino());
    assert_eq!(fs::metadata(&d).expect("d").mode() & 0o7777, 0o750);
    assert_eq!(fs::metadata(&d).expect("d").mtime(), 1_600_000_000);
    assert_eq!(a.mtime(), 1_600_000_000);
}

#[test]
fn a_truncated_zstd_archive_reports_where_it_ends_and_leaves_no_partial_file() {
    let tar = archive(&[file("first", b"1"), file("big", &noise(400_000))]);
    let zst = zstd_with_checksum(&tar);
    let cut = &zst[..zst.len() * 2 / 3];
    let dir = tempfile::tempdir().expect("tmp");
    let (p, summary) = problem(cut, dir.path());
    match &p {
        Problem::Truncated { input_offset, .. } => assert_eq!(*input_offset, cut.len() as u64),
        other => panic!("{other:?}"),
    }
    assert!(
        p.to_string().contains(&format!("byte {}", cut.len())),
        "{p}"
    );
    assert_eq!(summary.entries, 1);
    assert_eq!(
        names(dir.path()),
        ["first"],
        "no partial 'big', no temporary file"
    );
}

#[test]
fn a_truncated_plain_tar_says_inside_what() {
    let tar = archive(&[file("a", &[1; 1000]), file("b", b"b")]);
    let dir = tempfile::tempdir().expect("tmp");
    let (p, _) = problem(&tar[..700], dir.path());
    let text = p.to_string();
    assert!(
        text.contains("the data of 'a' stops 812 bytes short"),
        "{text}"
    );
    assert!(text.contains("at byte 700 of the input"), "{text}");
    // Cut at a header boundary: no end-of-archive marker.
    let (p, s) = problem(&tar[..1536], tempfile::tempdir().expect("tmp").path());
    assert!(
        p.to_string().contains("without its end-of-archive marker"),
        "{p}"
    );
    assert_eq!(s.entries, 1);
}

#[test]
fn corrupt_data_and_headers_are_errors_with_offsets() {
    let tar = archive(&[file("a", b"data"), file("b", b"more")]);
    let zst = zstd_with_checksum(&tar);
    // Damage in the middle shows as bad data or as a bad tar header, whichever comes first.
    let mut mid = zst.clone();
    mid[zst.len() / 2] ^= 0xff;
    let (p, _) = problem(&mid, tempfile::tempdir().expect("tmp").path());
    assert!(matches!(p, Problem::Corrupt { .. }), "{p:?}");
    // Damage in the frame checksum shows after the end-of-archive marker: the input is
    // always read to its end.
    let mut last = zst.clone();
    *last.last_mut().expect("bytes") ^= 0xff;
    let dir = tempfile::tempdir().expect("tmp");
    let (p, summary) = problem(&last, dir.path());
    assert!(p.to_string().contains("tar+zstd data"), "{p}");
    assert!(p.to_string().contains("checksum"), "{p}");
    assert_eq!(summary.entries, 2, "the files came before the damage");

    let mut bad = tar.clone();
    bad[1024 + 3] ^= 1; // the second header's name: its checksum no longer matches
    let (p, _) = problem(&bad, tempfile::tempdir().expect("tmp").path());
    assert!(p.to_string().contains("bad tar header at byte 1024"), "{p}");
}

#[test]
fn an_oversized_extended_header_is_refused_not_read_into_memory() {
    let mut h = tar::Header::new_ustar();
    h.set_path("PaxHeaders/x").expect("path");
    h.set_entry_type(EntryType::XHeader);
    h.set_size(8 << 30);
    h.set_cksum();
    let dir = tempfile::tempdir().expect("tmp");
    let (p, _) = problem(h.as_bytes(), dir.path());
    assert!(p.to_string().contains("more than 1 MiB"), "{p}");
}

#[test]
fn a_failing_source_is_reported_as_such_with_its_offset() {
    struct Failing(Vec<u8>, usize);
    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.1 >= self.0.len() {
                return Err(io::Error::other("connection reset"));
            }
            let n = buf.len().min(self.0.len() - self.1).min(100);
            buf[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
            self.1 += n;
            Ok(n)
        }
    }
    let tar = archive(&[file("a", &[7; 5000])]);
    let source = Failing(tar[..3000].to_vec(), 0);
    let dir = tempfile::tempdir().expect("tmp");
    match extract(source, &opts(dir.path())) {
        Err(ExtractError {
            problem: Problem::Source { offset, source },
            ..
        }) => {
            assert_eq!(offset, 3000);
            assert_eq!(source.to_string(), "connection reset");
        }
        other => panic!("{other:?}"),
    }
    assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
}

#[test]
fn existing_files_are_kept_unless_overwrite_and_never_written_through() {
    let dir = tempfile::tempdir().expect("tmp");
    let outside = tempfile::tempdir().expect("tmp");
    fs::write(outside.path().join("victim"), b"safe").expect("victim");
    fs::write(dir.path().join("keep"), b"old").expect("keep");
    std::os::unix::fs::symlink(outside.path().join("victim"), dir.path().join("link"))
        .expect("symlink");
    let ar = archive(&[file("keep", b"new"), file("link", b"evil")]);
    let s = extract(&ar[..], &opts(dir.path())).expect("reads");
    assert_eq!(s.existing, ["keep", "link"]);
    assert!(!s.complete());
    assert_eq!(fs::read(dir.path().join("keep")).expect("keep"), b"old");

    let over = ExtractOptions {
        overwrite: true,
        ..opts(dir.path())
    };
    let s = extract(&ar[..], &over).expect("overwrites");
    assert!(s.complete(), "{s:?}");
    assert_eq!(fs::read(dir.path().join("keep")).expect("keep"), b"new");
    assert_eq!(fs::read(dir.path().join("link")).expect("link"), b"evil");
    assert!(!fs::symlink_metadata(dir.path().join("link"))
        .expect("l")
        .is_symlink());
    assert_eq!(
        fs::read(outside.path().join("victim")).expect("victim"),
        b"safe"
    );
}

#[test]
fn a_read_only_directory_gets_its_contents_then_its_mode() {
    let dir = tempfile::tempdir().expect("tmp");
    let ar = archive(&[
        member("ro/", EntryType::Directory, b"", None, 0o555),
        file("ro/inside", b"x"),
    ]);
    extract(&ar[..], &opts(dir.path())).expect("restores");
    let ro = dir.path().join("ro");
    assert_eq!(fs::read(ro.join("inside")).expect("inside"), b"x");
    assert_eq!(fs::metadata(&ro).expect("ro").mode() & 0o777, 0o555);
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o755)).expect("chmod back");
}

#[test]
fn list_reads_everything_and_writes_nothing() {
    let tar = archive(&[file("a", b"1"), file("b/c", b"22")]);
    let zst = zstd::encode_all(&tar[..], 3).expect("zstd");
    let mut seen = Vec::new();
    let s = list(&zst[..], &ExtractOptions::default(), &mut |m| {
        seen.push(m.shown_name());
    })
    .expect("lists");
    assert_eq!(seen, ["a", "b/c"]);
    assert_eq!(s.input_bytes, zst.len() as u64);
    assert_eq!(s.format, Some(Format::TarZstd));
}

/// A PAX record, its length counting its own digits.
fn pax_record(key: &str, value: &str) -> String {
    let rest = key.len() + value.len() + 3;
    let mut len = rest + 1;
    while len != rest + len.to_string().len() {
        len = rest + len.to_string().len();
    }
    format!("{len} {key}={value}\n")
}

#[test]
fn pax_records_override_the_header_name_size_and_time() {
    let long = format!("{}/{}", "d".repeat(150), "é".repeat(100));
    let records = [
        pax_record("path", &long),
        pax_record("size", "5"),
        pax_record("mtime", "-86400.5"),
        pax_record("SCHILY.xattr.user.x", "ignored"),
    ]
    .concat();
    let mut x = tar::Header::new_ustar();
    x.set_path("PaxHeaders/f").expect("path");
    x.set_entry_type(EntryType::XHeader);
    x.set_size(records.len() as u64);
    x.set_cksum();
    let mut ar = x.as_bytes().to_vec();
    ar.extend_from_slice(records.as_bytes());
    ar.resize(ar.len().div_ceil(512) * 512, 0);
    // The ustar header says "short", size 0: the PAX records win.
    let mut f = member("short", EntryType::Regular, b"", None, 0o644);
    f.extend_from_slice(&[b'x'; 5]);
    f.resize(f.len().div_ceil(512) * 512, 0);
    ar.extend_from_slice(&archive(&[f]));
    let dir = tempfile::tempdir().expect("tmp");
    let s = extract(&ar[..], &opts(dir.path())).expect("restores");
    assert_eq!(s.entries, 1, "{s:?}");
    let restored = dir.path().join(&long);
    assert_eq!(fs::read(&restored).expect("long name"), b"xxxxx");
    let m = fs::metadata(&restored).expect("stat");
    assert_eq!((m.mtime(), m.mtime_nsec()), (-86_401, 500_000_000));
    assert!(!dir.path().join("short").exists());
}

#[test]
fn restoring_twice_with_overwrite_leaves_no_temporary_names() {
    let dir = tempfile::tempdir().expect("tmp");
    let ar = archive(&[
        file("d/a", b"alpha"),
        member("d/h", EntryType::Link, b"", Some("d/a"), 0o644),
        member("d/l", EntryType::Symlink, b"", Some("a"), 0o777),
        member("d/p", EntryType::Fifo, b"", None, 0o600),
    ]);
    let over = ExtractOptions {
        overwrite: true,
        ..opts(dir.path())
    };
    let link_only = archive(&[member("d/h", EntryType::Link, b"", Some("d/a"), 0o644)]);
    for ar in [&ar, &ar, &link_only] {
        let s = extract(&ar[..], &over).expect("restores");
        assert!(s.complete(), "{s:?}");
        assert_eq!(names(dir.path()), ["d", "d/a", "d/h", "d/l", "d/p"]);
    }
    // `d/h` and `d/a` are now links to one file: renaming the new link onto `d/h` is a no-op
    // that keeps the temporary name, which must still go.
    let a = fs::metadata(dir.path().join("d/a")).expect("a");
    assert_eq!(
        a.ino(),
        fs::metadata(dir.path().join("d/h")).expect("h").ino()
    );
}

#[test]
fn an_existing_directory_keeps_its_mode_and_time_unless_overwrite() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path().join("d");
    fs::create_dir(&d).expect("mkdir");
    fs::set_permissions(&d, fs::Permissions::from_mode(0o700)).expect("chmod");
    let ar = archive(&[
        member("d/", EntryType::Directory, b"", None, 0o755),
        file("d/f", b"f"),
    ]);
    let s = extract(&ar[..], &opts(dir.path())).expect("restores");
    assert!(s.complete(), "{s:?}");
    assert_eq!(fs::metadata(&d).expect("d").mode() & 0o7777, 0o700);

    fs::remove_file(d.join("f")).expect("rm");
    let over = ExtractOptions {
        overwrite: true,
        ..opts(dir.path())
    };
    extract(&ar[..], &over).expect("restores");
    let m = fs::metadata(&d).expect("d");
    assert_eq!((m.mode() & 0o7777, m.mtime()), (0o755, 1_600_000_000));
}

#[test]
fn damaged_archives_give_errors_never_panics_nor_writes_outside() {
    let long = format!("{}/{}", "n".repeat(120), "m".repeat(120));
    let base = archive(&[
        member("d/", EntryType::Directory, b"", None, 0o755),
        file("d/a", b"alpha"),
        file(&long, &noise(700)),
        member("d/l", EntryType::Symlink, b"", Some("a"), 0o777),
        member("d/h", EntryType::Link, b"", Some("d/a"), 0o644),
        member("d/p", EntryType::Fifo, b"", None, 0o600),
    ]);
    let zst = zstd_with_checksum(&base);
    let sandbox = tempfile::tempdir().expect("tmp");
    let dir = sandbox.path().join("dir");
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = |bound: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        usize::try_from(x % bound as u64).expect("small")
    };
    for round in 0..400 {
        let mut bytes = if round % 4 == 0 {
            zst.clone()
        } else {
            base.clone()
        };
        for _ in 0..=next(4) {
            let at = next(bytes.len());
            bytes[at] = u8::try_from(next(256)).expect("byte");
        }
        if next(3) == 0 {
            bytes.truncate(next(bytes.len()));
        }
        let _ = list(&bytes[..], &ExtractOptions::default(), &mut |m| {
            let _ = m.long_listing();
        });
        let _ = extract(&bytes[..], &opts(&dir));
        let around: Vec<_> = fs::read_dir(sandbox.path())
            .expect("sandbox")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert!(
            around.len() <= 1,
            "round {round}: written outside: {around:?}"
        );
        if dir.exists() {
            // Restored directories may be read-only; make them writable to clean up.
            for p in walk_dirs(&dir) {
                let _ = fs::set_permissions(&p, fs::Permissions::from_mode(0o755));
            }
            fs::remove_dir_all(&dir).expect("clean up");
        }
    }
}

fn walk_dirs(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            out.extend(walk_dirs(&e.path()));
        }
    }
    out
}

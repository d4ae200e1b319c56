//! `s3up restore s3://...`: the archive streamed through the download engine into the
//! extractor, verified against the object's stored checksum once the last byte went through;
//! `--verify-first` downloads and verifies before restoring anything.

use std::path::Path;
use std::process::Output;

use crate::tar::{awkward_tree, run, small_limits_server, snapshot, SMALL_PARTS};
use crate::util::{self, text, Server, BUCKET};

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Archives an awkward tree into `tree.tar.zst` with `s3up tar --zstd` (several parts).
fn archived(server: &Server, src: &Path) {
    awkward_tree(&src.join("tree"));
    let mut args = vec![
        "tar",
        "-C",
        s(src),
        "tree",
        "s3://bucket/tree.tar.zst",
        "--zstd",
    ];
    args.extend(SMALL_PARTS);
    let out = run(server, &args, None);
    assert!(out.status.success(), "{}", text(&out));
}

fn restore(server: &Server, dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "restore",
        "s3://bucket/tree.tar.zst",
        "-C",
        s(dir),
        "--json",
    ];
    args.extend_from_slice(extra);
    util::s3up(server, &args)
}

fn json(out: &Output) -> serde_json::Value {
    let line = String::from_utf8_lossy(&out.stdout);
    let last = line.lines().last().unwrap_or_default().to_owned();
    serde_json::from_str(&last).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

#[test]
fn an_archive_in_s3_is_restored_as_it_streams_and_verified() {
    let server = small_limits_server();
    let src = tempfile::tempdir().expect("tmp");
    archived(&server, src.path());
    let work = tempfile::tempdir().expect("tmp");
    for (name, extra) in [
        (
            "streamed",
            &["--part-size", "100KiB", "--concurrency", "3"][..],
        ),
        ("verified-first", &["--verify-first"]),
    ] {
        let out_dir = work.path().join(name);
        let out = restore(&server, &out_dir, extra);
        assert!(out.status.success(), "{name}: {}", text(&out));
        crate::tar::sh(&format!(
            "diff -r --no-dereference '{}' '{}'",
            src.path().join("tree").display(),
            out_dir.join("tree").display()
        ));
        assert_eq!(snapshot(src.path()), snapshot(&out_dir), "{name}");
        let summary = json(&out);
        assert_eq!(
            summary["verification"]["verified"], "crc64nvme",
            "{summary}"
        );
        assert_eq!(summary["complete"], true, "{summary}");
        let names: Vec<String> = std::fs::read_dir(&out_dir)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            ["tree"],
            "{name}: nothing but the tree (no temporary file)"
        );
    }
    let listed = util::s3up(&server, &["restore", "s3://bucket/tree.tar.zst", "--list"]);
    assert!(listed.status.success(), "{}", text(&listed));
    assert!(String::from_utf8_lossy(&listed.stdout).contains("tree/bin/run.sh"));
}

#[test]
fn a_corrupted_archive_download_fails_the_restore_and_says_so() {
    let server = util::server_with(|c| {
        c.min_part_size = 64 * 1024;
        c.max_parts = 100;
    });
    let src = tempfile::tempdir().expect("tmp");
    archived(&server, src.path());
    let size = server
        .object_bytes(BUCKET, "tree.tar.zst")
        .expect("stored")
        .len();
    // From now on every GET flips a byte near the end of its answer: late enough that the
    // zstd stream may still decode, so only the checksum can tell.
    let faulty = server_with_corruption(&server, size);
    let work = tempfile::tempdir().expect("tmp");

    let streamed = work.path().join("streamed");
    let out = restore(&faulty, &streamed, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("s3://bucket/tree.tar.zst"), "{stderr}");
    assert_eq!(json(&out)["complete"], false, "{}", text(&out));

    let first = work.path().join("verified-first");
    let out = restore(&faulty, &first, &["--verify-first"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        !first.join("tree").exists(),
        "--verify-first restored something from a corrupt download"
    );
}

/// A second server over a copy of `server`'s object, whose GETs are corrupted near the end.
fn server_with_corruption(server: &Server, size: usize) -> Server {
    let bytes = server.object_bytes(BUCKET, "tree.tar.zst").expect("stored");
    let after = size.saturating_sub(100).to_string();
    let faulty = util::server_with(|c| {
        c.faults = vec![test_server::Fault::parse(&format!(
            "corrupt@REST.GET.OBJECT:every=1:after={after}"
        ))
        .expect("fault")];
    });
    let dir = tempfile::tempdir().expect("tmp");
    let file = util::write_file(dir.path(), "tree.tar.zst", &bytes);
    let out = util::s3up(&faulty, &["cp", s(&file), "s3://bucket/tree.tar.zst"]);
    assert!(out.status.success(), "{}", text(&out));
    faulty
}

//! `s3up sync`, both ways, with aws-cli's rules: a second run copies nothing, a touched or
//! resized file is copied again, `--delete` removes exactly the orphans (never without it), and
//! `--dryrun` changes nothing.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::util::{self, data, s3up, text, write_file, Server, BUCKET};

const MIB: usize = 1024 * 1024;

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn sync(server: &Server, args: &[&str]) -> String {
    let out = s3up(server, &[&["sync"][..], args].concat());
    assert!(out.status.success(), "sync {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn set_mtime(path: &Path, time: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(time))
        .unwrap_or_else(|e| panic!("set the time of {}: {e}", path.display()));
}

fn lines_starting(text: &str, start: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with(start))
        .map(str::to_owned)
        .collect();
    v.sort();
    v
}

/// Key → bytes of every object under `prefix`.
fn objects(server: &Server, prefix: &str) -> BTreeMap<String, Vec<u8>> {
    let out = s3up(
        server,
        &[
            "ls",
            "--recursive",
            "--json",
            &format!("s3://{BUCKET}/{prefix}"),
        ],
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            let key = v["key"].as_str().expect("key").to_owned();
            let bytes = server.object_bytes(BUCKET, &key).expect("stored");
            (key, bytes)
        })
        .collect()
}

fn writes(server: &Server) -> usize {
    server
        .access_log()
        .lines()
        .filter(|l| {
            l.contains("REST.PUT.") || l.contains("REST.POST.") || l.contains("REST.DELETE.")
        })
        .count()
}

/// A tree with a large file (multipart at the default 8 MiB threshold) and small ones.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    write_file(dir.path(), "big.bin", &data(9 * MIB + 123, 1));
    write_file(dir.path(), "a.txt", b"alpha");
    write_file(dir.path(), "sub/b.txt", b"beta");
    write_file(dir.path(), "sub/deeper/c.txt", &data(70_000, 2));
    dir
}

#[test]
fn a_second_sync_uploads_nothing_and_a_touched_file_goes_again() {
    let server = util::server();
    let dir = tree();
    let dest = format!("s3://{BUCKET}/backup/");
    let printed = sync(&server, &[path_str(dir.path()), &dest]);
    assert_eq!(lines_starting(&printed, "upload: ").len(), 4, "{printed}");
    let stored = objects(&server, "backup/");
    for (name, key) in [
        ("big.bin", "backup/big.bin"),
        ("sub/deeper/c.txt", "backup/sub/deeper/c.txt"),
    ] {
        assert!(
            stored[key] == std::fs::read(dir.path().join(name)).expect("read"),
            "{key}"
        );
    }
    assert!(
        server.access_log().contains("REST.PUT.PART backup/big.bin"),
        "the large file went as a multipart upload"
    );
    let before = writes(&server);
    assert_eq!(sync(&server, &[path_str(dir.path()), &dest]), "");
    assert_eq!(writes(&server), before, "the second run wrote nothing");

    // Touched a few seconds after the backup (the object's time is in whole seconds), and one
    // file rewritten with another size.
    let touched = dir.path().join("sub/b.txt");
    set_mtime(&touched, SystemTime::now() + Duration::from_secs(3));
    std::fs::write(dir.path().join("a.txt"), b"alpha, longer").expect("rewrite");
    let size_only = sync(&server, &[path_str(dir.path()), &dest, "--size-only"]);
    assert_eq!(
        lines_starting(&size_only, "upload: "),
        [format!(
            "upload: {} to s3://bucket/backup/a.txt",
            dir.path().join("a.txt").display()
        )],
        "--size-only: only the resized file"
    );
    let printed = sync(&server, &[path_str(dir.path()), &dest]);
    assert_eq!(
        lines_starting(&printed, "upload: "),
        [format!(
            "upload: {} to s3://bucket/backup/sub/b.txt",
            touched.display()
        )],
        "the touched file"
    );
    assert_eq!(
        objects(&server, "backup/")["backup/a.txt"],
        b"alpha, longer"
    );
}

#[test]
fn delete_removes_exactly_the_orphans_and_only_with_the_flag() {
    let server = util::server();
    let dir = tree();
    let dest = format!("s3://{BUCKET}/backup/");
    sync(&server, &[path_str(dir.path()), &dest]);
    // Orphans: files gone locally; one of them excluded. Neighbours outside the prefix.
    for gone in ["a.txt", "sub/deeper/c.txt", "sub/old.keep"] {
        let _ = std::fs::remove_file(dir.path().join(gone));
    }
    let extra = tempfile::tempdir().expect("tmp");
    write_file(extra.path(), "sub/old.keep", b"kept");
    write_file(extra.path(), "x.txt", b"neighbour");
    for prefix in ["backup/", "backup-2/", ""] {
        let out = s3up(
            &server,
            &[
                "cp",
                "--recursive",
                path_str(extra.path()),
                &format!("s3://{BUCKET}/{prefix}"),
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
    }
    let before: Vec<String> = objects(&server, "").into_keys().collect();
    assert_eq!(
        sync(&server, &[path_str(dir.path()), &dest]),
        "",
        "never without --delete"
    );
    assert_eq!(objects(&server, "").into_keys().collect::<Vec<_>>(), before);

    let with_delete = [
        path_str(dir.path()),
        &dest,
        "--delete",
        "--exclude",
        "*.keep",
    ];
    let dry = sync(&server, &[&with_delete[..], &["--dryrun"]].concat());
    let expected = [
        "s3://bucket/backup/a.txt",
        "s3://bucket/backup/sub/deeper/c.txt",
        "s3://bucket/backup/x.txt",
    ];
    let dry_lines: Vec<String> = expected
        .iter()
        .map(|k| format!("(dryrun) delete: {k}"))
        .collect();
    assert_eq!(lines_starting(&dry, "(dryrun) "), dry_lines);
    assert_eq!(objects(&server, "").into_keys().collect::<Vec<_>>(), before);

    let printed = sync(&server, &with_delete);
    let lines: Vec<String> = expected.iter().map(|k| format!("delete: {k}")).collect();
    assert_eq!(lines_starting(&printed, "delete: "), lines);
    assert_eq!(
        objects(&server, "").into_keys().collect::<Vec<_>>(),
        [
            "backup-2/sub/old.keep",
            "backup-2/x.txt",
            "backup/big.bin",
            "backup/sub/b.txt",
            "backup/sub/old.keep",
            "sub/old.keep",
            "x.txt"
        ]
    );
}

#[test]
fn json_prints_one_object_per_action() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    write_file(dir.path(), "one.txt", b"1");
    let dest = format!("s3://{BUCKET}/j/");
    let other = tempfile::tempdir().expect("tmp");
    let out = s3up(
        &server,
        &[
            "cp",
            path_str(&write_file(other.path(), "orphan", b"o")),
            &dest,
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let printed = sync(
        &server,
        &[path_str(dir.path()), &dest, "--delete", "--json"],
    );
    let actions: Vec<serde_json::Value> = printed
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect();
    assert_eq!(actions.len(), 2, "{printed}");
    assert_eq!(actions[0]["action"], "upload");
    assert_eq!(actions[0]["key"], "j/one.txt");
    assert_eq!(actions[0]["size"], 1);
    assert_eq!(actions[1]["action"], "delete");
    assert_eq!(actions[1]["key"], "j/orphan");
}

#[test]
fn sync_down_follows_the_same_rules_in_the_other_direction() {
    let server = util::server();
    let src = tree();
    let url = format!("s3://{BUCKET}/backup/");
    sync(&server, &[path_str(src.path()), &url]);
    let out_dir = tempfile::tempdir().expect("tmp");
    let local = out_dir.path().join("restore");
    let printed = sync(&server, &[&url, path_str(&local)]);
    assert_eq!(lines_starting(&printed, "download: ").len(), 4, "{printed}");
    for name in ["big.bin", "a.txt", "sub/b.txt", "sub/deeper/c.txt"] {
        assert!(
            std::fs::read(local.join(name)).expect("downloaded")
                == std::fs::read(src.path().join(name)).expect("source"),
            "{name}"
        );
    }
    let before = server
        .access_log()
        .lines()
        .filter(|l| l.contains("REST.GET.OBJECT"))
        .count();
    assert_eq!(
        sync(&server, &[&url, path_str(&local)]),
        "",
        "nothing the second time"
    );
    let after = server
        .access_log()
        .lines()
        .filter(|l| l.contains("REST.GET.OBJECT"))
        .count();
    assert_eq!(after, before);

    // A local file older than its object with the same size: aws-cli keeps it, unless
    // --exact-timestamps. A resized object comes down again. A local orphan goes with --delete.
    let old = local.join("sub/b.txt");
    std::fs::write(&old, b"BETA").expect("same size");
    set_mtime(&old, SystemTime::now() - Duration::from_secs(86_400));
    std::fs::write(src.path().join("a.txt"), b"alpha, resized").expect("rewrite");
    sync(&server, &[path_str(src.path()), &url]);
    write_file(&local, "orphan/o.txt", b"o");
    let printed = sync(&server, &[&url, path_str(&local)]);
    assert_eq!(
        lines_starting(&printed, "download: "),
        [format!(
            "download: s3://bucket/backup/a.txt to {}",
            local.join("a.txt").display()
        )]
    );
    assert_eq!(std::fs::read(&old).expect("kept"), b"BETA");
    assert!(
        local.join("orphan/o.txt").exists(),
        "never without --delete"
    );
    let printed = sync(
        &server,
        &[&url, path_str(&local), "--exact-timestamps", "--delete"],
    );
    assert_eq!(
        lines_starting(&printed, "download: "),
        [format!(
            "download: s3://bucket/backup/sub/b.txt to {}",
            old.display()
        )]
    );
    assert_eq!(
        lines_starting(&printed, "delete: "),
        [format!("delete: {}", local.join("orphan/o.txt").display())]
    );
    assert_eq!(std::fs::read(&old).expect("replaced"), b"beta");
    assert_eq!(
        std::fs::read(local.join("a.txt")).expect("a"),
        b"alpha, resized"
    );
}

#[test]
fn sync_refuses_what_makes_no_sense() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    let missing = dir.path().join("missing");
    for args in [
        vec!["sync", path_str(&missing), "s3://bucket/p/"],
        vec!["sync", "s3://bucket/a/", "s3://bucket/b/"],
        vec!["sync", path_str(dir.path())],
        vec![
            "sync",
            "s3://bucket/p/",
            path_str(dir.path()),
            "--storage-class",
            "GLACIER",
        ],
    ] {
        let out = s3up(&server, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
    }
}

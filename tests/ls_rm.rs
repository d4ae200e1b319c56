//! `s3up ls` (line by line what aws-cli prints for the same bucket) and `s3up rm` (DeleteObjects
//! batches, per-key failures, filters, retention with `--older-than`/`--keep-last`).

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use crate::util::{self, data, s3up, text, write_file, Server, BUCKET};

/// A POSIX time zone (no tzdata needed) half an hour off any whole-hour zone: local times must
/// be converted, not printed in UTC.
const TZ: &str = "XYZ-05:30";

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Uploads the files of `dir` under `prefix` with s3up.
fn upload_tree(server: &Server, dir: &Path, prefix: &str) {
    let dest = format!("s3://{BUCKET}/{prefix}");
    let out = s3up(server, &["cp", "--recursive", path_str(dir), &dest]);
    assert!(out.status.success(), "upload: {}", text(&out));
}

/// `count` small files named `NNNN.txt` in a new directory.
fn many_files(count: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tmp");
    for i in 0..count {
        write_file(
            dir.path(),
            &format!("{i:04}.txt"),
            format!("{i}").as_bytes(),
        );
    }
    dir
}

fn keys(server: &Server, prefix: &str) -> Vec<String> {
    let out = s3up(
        server,
        &["ls", "--recursive", &format!("s3://{BUCKET}/{prefix}")],
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(3).map(str::to_owned))
        .collect()
}

fn log_count(server: &Server, operation: &str) -> usize {
    server
        .access_log()
        .lines()
        .filter(|l| l.contains(operation))
        .count()
}

/// aws-cli against `server`, run through `scripts/lib.sh` as the interop script runs it: `aws`
/// from PATH, else installed with pip under `target/awscli` on first use. A lock keeps parallel
/// tests from installing it twice; a missing aws-cli fails the test, it never skips it.
fn aws(server: &Server, args: &[&str]) -> Output {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(repo.join("target")).expect("target dir");
    let lock = std::fs::File::create(repo.join("target/awscli.lock")).expect("lock file");
    lock.lock().expect("lock");
    let home = tempfile::tempdir().expect("aws home");
    let out = Command::new("bash")
        .arg("-c")
        .arg(r#". scripts/lib.sh && aws_isolated --endpoint-url "$ENDPOINT" "$@""#)
        .arg("aws")
        .args(args)
        .current_dir(repo)
        .env("ENDPOINT", server.endpoint())
        .env("AWSCLI_HOME", home.path())
        .env("AWS_ACCESS_KEY_ID", server.access_key())
        .env("AWS_SECRET_ACCESS_KEY", server.secret_key())
        .env("TZ", TZ)
        .output()
        .expect("run aws-cli through scripts/lib.sh");
    drop(lock);
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("command not found"),
        "aws-cli is not available: {}",
        text(&out)
    );
    out
}

#[test]
fn ls_prints_what_aws_cli_prints() {
    let server = util::server_with(|c| c.buckets.push("second-bucket".into()));
    let dir = tempfile::tempdir().expect("tmp");
    let files: [(&str, usize); 7] = [
        ("top.txt", 1),
        ("a/x.txt", 5),
        ("a/b/c.bin", 1280),
        ("a/b/d.bin", 0),
        ("photos/2026/p.jpg", 1_048_064),
        ("photos/readme", 1023),
        ("name with spaces & more.txt", 2_000_000),
    ];
    for (i, (name, size)) in files.iter().enumerate() {
        write_file(dir.path(), name, &data(*size, i as u64));
    }
    upload_tree(&server, dir.path(), "");
    // 1,100 more: the listing takes two pages.
    upload_tree(&server, many_files(1100).path(), "many/");
    let out = s3up(
        &server,
        &[
            "cp",
            path_str(&dir.path().join("top.txt")),
            "s3://second-bucket/",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let b = format!("s3://{BUCKET}");
    let cases: [Vec<String>; 10] = [
        vec![],
        vec![b.clone()],
        vec![format!("{b}/a")],
        vec![format!("{b}/a/")],
        vec![format!("{b}/a/b/"), "--human-readable".into()],
        vec![format!("{b}/photos/2"), "--summarize".into()],
        vec![
            b.clone(),
            "--recursive".into(),
            "--human-readable".into(),
            "--summarize".into(),
        ],
        vec![format!("{b}/many/"), "--summarize".into()],
        vec![format!("{b}/missing")],
        vec!["s3://second-bucket".into()],
    ];
    for case in &cases {
        let args: Vec<&str> = std::iter::once("ls")
            .chain(case.iter().map(String::as_str))
            .collect();
        let ours = util::s3up_cmd(&server, &args)
            .env("TZ", TZ)
            .output()
            .expect("run s3up");
        let theirs = aws(&server, &[&["s3"][..], &args].concat());
        let (a, b) = (
            String::from_utf8_lossy(&ours.stdout),
            String::from_utf8_lossy(&theirs.stdout),
        );
        assert_eq!(
            ours.status.code(),
            theirs.status.code(),
            "exit status of {args:?}\n--- s3up\n{}\n--- aws\n{}",
            text(&ours),
            text(&theirs)
        );
        for (n, (x, y)) in a.lines().zip(b.lines()).enumerate() {
            assert_eq!(x, y, "{args:?}, line {}", n + 1);
        }
        assert_eq!(a.lines().count(), b.lines().count(), "{args:?}: line count");
        assert!(
            !b.trim().is_empty() || args.contains(&"s3://bucket/missing"),
            "{args:?}: aws printed nothing"
        );
    }
    let (lists, pages) = (
        log_count(&server, "list-type=2"),
        log_count(&server, "continuation-token"),
    );
    assert_eq!(keys(&server, "many/").len(), 1100, "all pages followed");
    assert_eq!(log_count(&server, "list-type=2"), lists + 2, "two pages");
    assert_eq!(log_count(&server, "continuation-token"), pages + 1);
}

#[test]
fn ls_json_is_one_object_per_line() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    write_file(dir.path(), "a/one.txt", b"1");
    write_file(dir.path(), "two.bin", &data(3000, 1));
    upload_tree(&server, dir.path(), "j/");
    let out = s3up(&server, &["ls", "--json", &format!("s3://{BUCKET}/j/")]);
    assert!(out.status.success(), "{}", text(&out));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["prefix"], "j/a/");
    assert_eq!(lines[1]["key"], "j/two.bin");
    assert_eq!(lines[1]["size"], 3000);
    let modified = lines[1]["last_modified"].as_str().expect("last_modified");
    let t = s3up::time::parse_time(modified).expect("ISO 8601");
    let age = SystemTime::now().duration_since(t).unwrap_or_default();
    assert!(age < Duration::from_secs(600), "{modified}");
    let etag = lines[1]["etag"].as_str().expect("an ETag");
    assert_eq!(
        etag.trim_matches('"').len(),
        32,
        "an MD5 ETag: {}",
        lines[1]
    );
    assert_eq!(lines[1]["storage_class"], "STANDARD", "{}", lines[1]);
    let out = s3up(
        &server,
        &[
            "ls",
            "--json",
            "--recursive",
            "--summarize",
            &format!("s3://{BUCKET}/j/"),
        ],
    );
    let last: serde_json::Value = serde_json::from_slice(
        out.stdout
            .rsplit(|b| *b == b'\n')
            .find(|l| !l.is_empty())
            .expect("summary"),
    )
    .expect("JSON summary");
    assert_eq!(last["total_objects"], 2);
    assert_eq!(last["total_size"], 3001);
}

#[test]
fn rm_recursive_deletes_2500_keys_in_3_requests() {
    let server = util::server();
    upload_tree(&server, many_files(2500).path(), "many/");
    let dir = tempfile::tempdir().expect("tmp");
    write_file(dir.path(), "keep.txt", b"k");
    upload_tree(&server, dir.path(), "many-but-not-below/");
    upload_tree(&server, dir.path(), "");
    let out = s3up(
        &server,
        &["rm", "--recursive", &format!("s3://{BUCKET}/many")],
    );
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 2500, "one delete: line per key");
    assert!(
        stdout.contains("delete: s3://bucket/many/0000.txt\n"),
        "{stdout}"
    );
    assert_eq!(log_count(&server, "REST.POST.MULTI_OBJECT_DELETE"), 3);
    assert_eq!(log_count(&server, "REST.DELETE.OBJECT"), 0);
    assert!(keys(&server, "many/").is_empty());
    assert_eq!(
        keys(&server, ""),
        ["keep.txt", "many-but-not-below/keep.txt"]
    );
}

#[test]
fn rm_reports_each_key_a_failed_request_left_and_exits_1() {
    // The first DeleteObjects request fails on every attempt; the second goes through.
    let fault = test_server::Fault::parse("internal-error@REST.POST.MULTI_OBJECT_DELETE:first=5")
        .expect("fault");
    let server = util::server_with(|c| c.faults.push(fault));
    upload_tree(&server, many_files(1001).path(), "p/");
    let out = s3up(
        &server,
        &["rm", "--recursive", &format!("s3://{BUCKET}/p/")],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let failed = stderr
        .lines()
        .filter(|l| l.starts_with("delete failed: s3://bucket/p/"))
        .count();
    assert_eq!(failed, 1000, "{stderr}");
    assert!(stderr.contains("InternalError"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    assert_eq!(
        keys(&server, "p/").len(),
        1000,
        "what failed is still there"
    );
}

/// `s3up rm ARGS...`, which must succeed; its standard output.
fn rm(server: &Server, args: &[&str]) -> String {
    let out = s3up(server, &[&["rm"][..], args].concat());
    assert!(out.status.success(), "rm {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `s3up rm ARGS...`, which must be refused as a usage error.
fn rm_refused(server: &Server, args: &[&str]) {
    let out = s3up(server, &[&["rm"][..], args].concat());
    assert_eq!(out.status.code(), Some(2), "rm {args:?}: {}", text(&out));
}

#[test]
fn rm_filters_dryrun_and_single_keys() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    for name in ["d/a.tar", "d/b.log", "d/sub/c.tar", "single.txt"] {
        write_file(dir.path(), name, b"x");
    }
    upload_tree(&server, dir.path(), "");
    let url = format!("s3://{BUCKET}/d/");
    let tars = ["--recursive", &url, "--exclude", "*", "--include", "*.tar"];
    assert_eq!(
        rm(&server, &[&tars[..], &["--dryrun"]].concat()),
        "(dryrun) delete: s3://bucket/d/a.tar\n(dryrun) delete: s3://bucket/d/sub/c.tar\n"
    );
    assert_eq!(keys(&server, "d/").len(), 3, "a dry run deletes nothing");
    rm(&server, &tars);
    assert_eq!(keys(&server, "d/"), ["d/b.log"]);
    assert_eq!(
        rm(&server, &[&format!("s3://{BUCKET}/single.txt")]),
        "delete: s3://bucket/single.txt\n"
    );
    assert!(server.object_bytes(BUCKET, "single.txt").is_none());
    rm_refused(&server, &[&url]);
    rm_refused(
        &server,
        &[&format!("s3://{BUCKET}/d/b.log"), "--older-than", "1d"],
    );
    rm_refused(&server, &["--recursive", &url, "--older-than", "30 days"]);
    assert_eq!(keys(&server, "d/"), ["d/b.log"]);
}

/// Objects uploaded now are 40 days old on a server whose clock runs 40 days ahead: ages are
/// measured on the server's clock (the listing's `Date`), which s3up follows after its first
/// request is refused as skewed.
#[test]
fn retention_measures_ages_on_the_servers_clock() {
    let server = util::server_with(|c| c.clock_offset = 40 * 86_400);
    let dir = tempfile::tempdir().expect("tmp");
    // One after the other: the newer the name, the newer (or as new) the object.
    for i in 1..=4 {
        let file = write_file(dir.path(), &format!("db-{i}.sql"), b"dump");
        let dest = format!("s3://{BUCKET}/db/");
        let out = s3up(&server, &["cp", path_str(&file), &dest]);
        assert!(out.status.success(), "{}", text(&out));
    }
    let url = format!("s3://{BUCKET}/db/");
    let older = |age: &str, dryrun: bool| {
        let mut args = vec!["--recursive", &url, "--older-than", age, "--keep-last", "1"];
        if dryrun {
            args.push("--dryrun");
        }
        rm(&server, &args)
    };
    assert_eq!(older("6w", false), "", "nothing is 6 weeks old");
    assert_eq!(
        older("30d", true),
        "(dryrun) delete: s3://bucket/db/db-1.sql\n(dryrun) delete: s3://bucket/db/db-2.sql\n(dryrun) delete: s3://bucket/db/db-3.sql\n"
    );
    assert_eq!(keys(&server, "db/").len(), 4, "a dry run deletes nothing");
    assert_eq!(older("936h", false).lines().count(), 3);
    assert_eq!(keys(&server, "db/"), ["db/db-4.sql"]);
}

/// Gives an object an older `Last-Modified`. The test server reports the modification time of
/// the object's file (root/BUCKET/KEY), which `Config::clock_offset` does not move. Stand-in
/// until the server's own switch for this (`Server::set_last_modified`) reaches this branch.
fn backdate(server: &Server, key: &str, age: Duration) {
    server
        .set_last_modified(BUCKET, key, SystemTime::now() - age)
        .unwrap_or_else(|e| panic!("backdate {key}: {e}"));
}

#[test]
fn older_than_and_keep_last_choose_among_old_and_new_backups() {
    let server = util::server();
    let dir = tempfile::tempdir().expect("tmp");
    let day = Duration::from_secs(86_400);
    // Nightly dumps of the last 10 days, plus one of another database (excluded).
    for d in 0..10u32 {
        write_file(dir.path(), &format!("db-{d:02}-days-ago.sql"), b"dump");
    }
    write_file(dir.path(), "other.sql", b"other");
    upload_tree(&server, dir.path(), "nightly/");
    for d in 0..10u32 {
        backdate(
            &server,
            &format!("nightly/db-{d:02}-days-ago.sql"),
            day * d + day / 2,
        );
    }
    backdate(&server, "nightly/other.sql", day * 30);
    let url = format!("s3://{BUCKET}/nightly/");
    let rm = |extra: &[&str]| {
        let base = ["--recursive", url.as_str(), "--exclude", "other.sql"];
        rm(&server, &[&base[..], extra].concat())
    };
    let printed = rm(&["--older-than", "7d"]);
    assert_eq!(
        printed,
        "delete: s3://bucket/nightly/db-09-days-ago.sql\ndelete: s3://bucket/nightly/db-08-days-ago.sql\ndelete: s3://bucket/nightly/db-07-days-ago.sql\n",
        "oldest first, only those older than 7 days"
    );
    // The newest 5 stay whatever their age; of the others, only those older than 2 days go.
    let printed = rm(&["--older-than", "2d", "--keep-last", "5"]);
    assert_eq!(
        printed,
        "delete: s3://bucket/nightly/db-06-days-ago.sql\ndelete: s3://bucket/nightly/db-05-days-ago.sql\n"
    );
    assert_eq!(rm(&["--keep-last", "5"]), "", "five are left");
    let printed = rm(&["--keep-last", "2"]);
    assert_eq!(printed.lines().count(), 3, "{printed}");
    let mut left = keys(&server, "nightly/");
    left.sort();
    assert_eq!(
        left,
        [
            "nightly/db-00-days-ago.sql",
            "nightly/db-01-days-ago.sql",
            "nightly/other.sql"
        ]
    );
}

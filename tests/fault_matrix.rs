//! The fault matrix: every fault the test server injects, for `cp FILE`, `cp -` and `tar`.
//! Each run ends either with exit 0 and the stored bytes identical to the source, or with a
//! non-zero exit, a clear message, the previous object unchanged; and never with an
//! unfinished multipart upload left behind.

use std::io::Read;
use std::path::Path;
use std::process::Output;

use crate::util::{self, assert_no_pending_uploads, data, text, write_file, Server, BUCKET};
use test_server::{Config, Fault, WrongRegion};

const MIB: usize = 1024 * 1024;
const PART: &[&str] = &[
    "--part-size",
    "5MiB",
    "--multipart-threshold",
    "5MiB",
    "--retries",
    "6",
    "--cli-read-timeout",
    "2",
];

#[derive(Debug, Clone, Copy)]
enum Mode {
    File,
    Stdin,
    Tar,
}

const MODES: [Mode; 3] = [Mode::File, Mode::Stdin, Mode::Tar];

struct Source {
    _dir: tempfile::TempDir,
    bytes: Vec<u8>,
    file: std::path::PathBuf,
}

fn source() -> Source {
    let dir = tempfile::tempdir().expect("tmp");
    let bytes = data(12 * MIB + 123, 99);
    let file = write_file(dir.path(), "payload/backup.bin", &bytes);
    Source {
        _dir: dir,
        bytes,
        file,
    }
}

fn run(server: &Server, mode: Mode, src: &Source, key: &str, extra: &[&str]) -> Output {
    let dest = format!("s3://{BUCKET}/{key}");
    let file = src.file.to_str().expect("utf-8");
    let mut args: Vec<&str> = match mode {
        Mode::File => vec!["cp", file, &dest],
        Mode::Stdin => vec!["cp", "-", &dest],
        Mode::Tar => vec![
            "tar",
            "-C",
            src.file
                .parent()
                .and_then(Path::parent)
                .and_then(Path::to_str)
                .expect("dir"),
            "payload",
            &dest,
        ],
    };
    args.extend_from_slice(PART);
    args.extend_from_slice(extra);
    match mode {
        Mode::Stdin => util::s3up_stdin(server, &args, &src.bytes),
        _ => util::s3up(server, &args),
    }
}

/// The bytes the upload should have stored: the file itself, or the file inside the archive.
fn stored_payload(server: &Server, mode: Mode, key: &str) -> Option<Vec<u8>> {
    let object = server.object_bytes(BUCKET, key)?;
    match mode {
        Mode::File | Mode::Stdin => Some(object),
        Mode::Tar => {
            let mut archive = tar::Archive::new(&object[..]);
            for entry in archive.entries().expect("tar entries") {
                let mut entry = entry.expect("tar entry");
                if entry.path().expect("path").ends_with("backup.bin") {
                    let mut out = Vec::new();
                    entry.read_to_end(&mut out).expect("read entry");
                    return Some(out);
                }
            }
            panic!("backup.bin missing from the archive");
        }
    }
}

fn faulty(faults: &[&str], tweak: impl Fn(&mut Config)) -> Server {
    util::server_with(|c| {
        c.faults = faults
            .iter()
            .map(|f| Fault::parse(f).expect("fault spec"))
            .collect();
        c.seed = 7;
        tweak(c);
    })
}

/// What a surviving run must show besides identical bytes.
struct Expect<'a> {
    /// Text on stderr (a warning), or "".
    stderr_has: &'a str,
    /// The fault forced at least one retry (from `--json`'s `retries`).
    retried: bool,
    extra: &'a [&'a str],
}

const RETRIED: Expect<'static> = Expect {
    stderr_has: "",
    retried: true,
    extra: &[],
};

/// Transient faults: every mode succeeds with identical bytes.
fn survives(faults: &[&str], tweak: impl Fn(&mut Config), expect: &Expect) {
    let src = source();
    for mode in MODES {
        let server = faulty(faults, &tweak);
        let key = format!("{mode:?}.bin");
        let mut extra = vec!["--json"];
        extra.extend_from_slice(expect.extra);
        let out = run(&server, mode, &src, &key, &extra);
        assert!(out.status.success(), "{faults:?} {mode:?}: {}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(expect.stderr_has),
            "{faults:?} {mode:?}: {}",
            text(&out)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{mode:?}: JSON: {e}: {}", text(&out)));
        if expect.retried {
            assert!(
                report["retries"].as_u64().unwrap_or(0) >= 1,
                "{faults:?} {mode:?}: no retry: {report}\n{}",
                server.access_log()
            );
        }
        assert!(
            stored_payload(&server, mode, &key).as_deref() == Some(&src.bytes[..]),
            "{faults:?} {mode:?}: stored bytes differ"
        );
        assert_no_pending_uploads(&server);
    }
}

/// Permanent faults: non-zero exit, the message names the error, the old object stays.
fn fails_cleanly(faults: &[&str], message: &str) {
    let src = source();
    for mode in MODES {
        let server = faulty(faults, |_| {});
        let key = format!("{mode:?}.bin");
        let dir = tempfile::tempdir().expect("tmp");
        let old = write_file(dir.path(), "old", b"previous version");
        let out = util::s3up(
            &server,
            &[
                "cp",
                old.to_str().expect("old"),
                &format!("s3://{BUCKET}/{key}"),
            ],
        );
        assert!(
            out.status.success(),
            "seeding the old object: {}",
            text(&out)
        );
        let out = run(&server, mode, &src, &key, &[]);
        assert_failed_naming(&out, &format!("{faults:?} {mode:?}"), message);
        assert_eq!(
            server.object_bytes(BUCKET, &key).as_deref(),
            Some(&b"previous version"[..]),
            "{mode:?}: old object changed"
        );
        assert_no_pending_uploads(&server);
    }
}

/// Exit status 1 and `message` on stderr.
fn assert_failed_naming(out: &Output, context: &str, message: &str) {
    assert_eq!(out.status.code(), Some(1), "{context}: {}", text(out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(message),
        "{context}: {}",
        text(out)
    );
}

#[test]
fn slowdown_on_a_part_is_retried() {
    survives(&["slowdown@REST.PUT.PART:nth=2"], |_| {}, &RETRIED);
}

#[test]
fn internal_errors_at_a_rate_are_retried() {
    survives(&["internal-error@REST.PUT.PART:rate=0.3"], |_| {}, &RETRIED);
}

#[test]
fn slowdown_on_create_is_retried() {
    survives(&["slowdown@REST.POST.UPLOADS:nth=1"], |_| {}, &RETRIED);
}

#[test]
fn a_reset_in_the_middle_of_a_part_body_is_retried_whole() {
    survives(&["reset@REST.PUT.PART:nth=1:after=65536"], |_| {}, &RETRIED);
}

#[test]
fn a_delayed_answer_trips_the_read_timeout_and_is_retried() {
    survives(&["delay@REST.PUT.PART:nth=1:ms=4000"], |_| {}, &RETRIED);
}

#[test]
fn complete_answering_200_with_an_error_once_is_retried() {
    survives(&["complete-error:nth=1"], |_| {}, &RETRIED);
}

/// The server completes the upload but its answer arrives after the read timeout; the retried
/// Complete then finds no such upload (on a server that forgets completed uploads). The object's size and whole-object checksum prove it
/// is stored, so this is a success, not a false alarm.
const LOST_COMPLETE_ANSWER: &[&str] = &["delay@REST.POST.UPLOAD:nth=1:ms=4000"];

/// S3 answers a repeated Complete with 200 and the same ETag, so s3up's recovery only runs
/// against servers that forget completed uploads (MinIO, SeaweedFS): the test server as one.
fn forgets_completed_uploads(c: &mut Config) {
    c.forget_completed_uploads = true;
}

#[test]
fn a_complete_whose_answer_is_lost_succeeds_when_the_checksum_proves_it() {
    survives(
        LOST_COMPLETE_ANSWER,
        forgets_completed_uploads,
        &Expect {
            stderr_has: "the answer to CompleteMultipartUpload was lost",
            retried: true,
            extra: &[],
        },
    );
}

#[test]
fn a_lost_complete_answer_without_a_checksum_is_reported_not_guessed() {
    let src = source();
    for mode in MODES {
        let server = faulty(LOST_COMPLETE_ANSWER, forgets_completed_uploads);
        let key = format!("{mode:?}.bin");
        let out = run(&server, mode, &src, &key, &["--checksum-algorithm", "none"]);
        assert_failed_naming(&out, &format!("{mode:?}"), "cannot tell whether");
        assert_no_pending_uploads(&server);
    }
}

#[test]
fn a_server_clock_an_hour_ahead_is_corrected_with_a_warning() {
    survives(
        &[],
        |c| c.clock_offset = 3600,
        &Expect {
            stderr_has: "clock is off by",
            retried: false,
            extra: &[],
        },
    );
}

#[test]
fn a_bucket_in_another_region_is_followed_after_a_redirect() {
    survives(
        &[],
        |c| {
            c.region = "eu-west-1".into();
            c.wrong_region = Some(WrongRegion::Redirect);
        },
        &Expect {
            stderr_has: "is in region eu-west-1",
            retried: false,
            extra: &["--region", "us-east-1"],
        },
    );
}

#[test]
fn a_bucket_in_another_region_is_followed_after_authorization_header_malformed() {
    survives(
        &[],
        |c| {
            c.region = "eu-west-1".into();
            c.wrong_region = Some(WrongRegion::Malformed);
        },
        &Expect {
            stderr_has: "is in region eu-west-1",
            retried: false,
            extra: &["--region", "us-east-1"],
        },
    );
}

#[test]
fn complete_always_answering_200_with_an_error_fails_and_aborts() {
    fails_cleanly(&["complete-error:first=1000"], "InternalError");
}

#[test]
fn parts_failing_beyond_the_retries_fail_and_abort() {
    fails_cleanly(
        &["internal-error@REST.PUT.PART:first=1000"],
        "InternalError",
    );
}

#[test]
fn an_abort_that_fails_too_names_the_upload_id_and_the_cleanup_command() {
    let src = source();
    let server = faulty(
        &[
            "internal-error@REST.PUT.PART:first=1000",
            "internal-error@REST.DELETE.UPLOAD:first=1000",
        ],
        |_| {},
    );
    let out = run(&server, Mode::File, &src, "stuck.bin", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    let pending = server.list_multipart_uploads(BUCKET);
    assert_eq!(pending.len(), 1, "{pending:?}");
    let (key, id) = &pending[0];
    assert!(
        err.contains(id.as_str()),
        "the upload id is not named: {err}"
    );
    assert!(
        err.contains(&format!(
            "s3up mpu abort s3://{BUCKET}/{key} --upload-id {id}"
        )),
        "{err}"
    );
}

/// The server refuses a wrong-region PUT before reading its body (as S3 does); the client must
/// still read that answer (not just see a broken pipe) and follow the region.
#[test]
fn a_large_single_put_to_a_bucket_in_another_region_is_followed() {
    for mode in [WrongRegion::Redirect, WrongRegion::Malformed] {
        let server = util::server_with(|c| {
            c.region = "eu-west-1".into();
            c.wrong_region = Some(mode);
        });
        let dir = tempfile::tempdir().expect("tmp");
        let bytes = data(4 * MIB + 17, 3);
        let file = write_file(dir.path(), "single.bin", &bytes);
        let out = util::s3up(
            &server,
            &[
                "cp",
                file.to_str().expect("f"),
                "s3://bucket/single.bin",
                "--region",
                "us-east-1",
                "--retries",
                "0",
            ],
        );
        assert!(out.status.success(), "{mode:?}: {}", text(&out));
        assert_eq!(
            server.object_bytes(BUCKET, "single.bin"),
            Some(bytes),
            "{mode:?}"
        );
    }
}

#[test]
fn the_abort_is_retried_even_with_retries_0() {
    let src = source();
    let server = faulty(
        &[
            "internal-error@REST.PUT.PART:first=1000",
            "slowdown@REST.DELETE.UPLOAD:first=2",
        ],
        |_| {},
    );
    let out = util::s3up(
        &server,
        &[
            "cp",
            src.file.to_str().expect("f"),
            "s3://bucket/r0.bin",
            "--part-size",
            "5MiB",
            "--retries",
            "0",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_no_pending_uploads(&server);
    assert_eq!(server.object_bytes(BUCKET, "r0.bin"), None);
}

//! `s3up doctor` diagnoses each failure with its own message; `s3up mpu` lists and cleans
//! unfinished multipart uploads.

use std::sync::Arc;

use crate::util::{self, s3up, text, BUCKET};
use s3up::client::{Client, ClientOptions};
use s3up::credentials::{Credentials, StaticCredentials};
use s3up::s3::addr::Endpoint;
use s3up::s3::ops;
use s3up::transport::{Transport, TransportOptions};

fn doctor(
    server: &util::Server,
    url: &str,
    tweak: impl FnOnce(&mut std::process::Command),
) -> (Option<i32>, String) {
    let mut cmd = util::s3up_cmd(server, &["doctor", url]);
    tweak(&mut cmd);
    let out = cmd.output().expect("run doctor");
    (out.status.code(), text(&out))
}

#[test]
fn doctor_healthy_setup_passes() {
    let server = util::server();
    let (code, out) = doctor(&server, "s3://bucket", |_| {});
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("verdict: OK"), "{out}");
    assert!(
        out.contains("AKID****S3UP") || out.contains("AKID"),
        "{out}"
    );
    assert!(!out.contains(server.secret_key()), "{out}");
    assert!(out.contains("SigV4"), "{out}");
}

#[test]
fn doctor_names_a_wrong_secret() {
    let server = util::server();
    let (code, out) = doctor(&server, "s3://bucket", |c| {
        c.env("AWS_SECRET_ACCESS_KEY", "wrong-secret-value");
    });
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("wrong secret key"), "{out}");
    assert!(!out.contains("wrong-secret-value"), "{out}");
}

#[test]
fn doctor_names_an_unknown_key_id() {
    let server = util::server();
    let (code, out) = doctor(&server, "s3://bucket", |c| {
        c.env("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY000000");
    });
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("unknown access key id"), "{out}");
}

#[test]
fn doctor_names_a_missing_bucket() {
    let server = util::server();
    let (code, out) = doctor(&server, "s3://no-such-bucket", |_| {});
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("no such bucket"), "{out}");
}

#[test]
fn doctor_names_the_missing_bucket_in_its_verdict() {
    let server = util::server();
    let (code, out) = doctor(&server, "s3://no-such-bucket", |_| {});
    assert_eq!(code, Some(1), "{out}");
    let verdict = out
        .lines()
        .find(|l| l.starts_with("verdict:"))
        .expect("a verdict line");
    assert!(verdict.contains("s3://no-such-bucket"), "{out}");
}

#[test]
fn doctor_shows_the_fix_for_a_wrong_secret_once() {
    let server = util::server();
    let (code, out) = doctor(&server, "s3://bucket", |c| {
        c.env("AWS_SECRET_ACCESS_KEY", "wrong-secret-value");
    });
    assert_eq!(code, Some(1), "{out}");
    assert_eq!(out.matches("AWS_SECRET_ACCESS_KEY").count(), 1, "{out}");
}

#[test]
fn doctor_claims_nothing_about_the_clock_when_no_server_answered() {
    let server = util::server();
    let mut cmd = util::s3up_cmd(&server, &["doctor", "s3://bucket"]);
    server.shutdown();
    let out = cmd.output().expect("run doctor");
    let (code, out) = (out.status.code(), text(&out));
    assert_eq!(code, Some(1), "{out}");
    assert!(!out.contains("clock:"), "{out}");
    assert!(out.contains("cannot reach the endpoint"), "{out}");
}

#[test]
fn doctor_reports_a_clock_an_hour_off() {
    let server = util::server_with(|c| c.clock_offset = 3600);
    let (code, out) = doctor(&server, "s3://bucket", |_| {});
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("off by 3600 s")
            || out.contains("off by 3599 s")
            || out.contains("off by 3601 s"),
        "{out}"
    );
}

#[test]
fn doctor_without_credentials_says_where_it_looked() {
    let server = util::server();
    let (code, out) = doctor(&server, "s3://bucket", |c| {
        c.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY");
    });
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("no credentials") && out.contains("environment"),
        "{out}"
    );
}

fn client_for(server: &util::Server) -> Client {
    let endpoint = Endpoint::parse(&server.endpoint()).expect("endpoint");
    let transport = Transport::new(&TransportOptions {
        use_env_proxy: false,
        ..TransportOptions::default()
    })
    .expect("transport");
    let creds = StaticCredentials {
        credentials: Credentials::new(server.access_key(), server.secret_key(), None),
        source: "test".into(),
    };
    Client::new(
        transport,
        Arc::new(creds),
        ClientOptions::new(endpoint, server.region()),
    )
}

#[test]
fn mpu_lists_and_aborts_unfinished_uploads() {
    let server = util::server();
    let client = client_for(&server);
    let mut ids = Vec::new();
    for key in ["left/one.tar", "left/two.tar"] {
        let resp = client
            .send(&ops::create_multipart_upload(
                BUCKET,
                key,
                &ops::ObjectOptions::default(),
                None,
            ))
            .expect("create");
        let id = ops::parse_upload_id(&resp.body).expect("upload id");
        client
            .send(&ops::upload_part(BUCKET, key, &id, 1, None, b"part one"))
            .expect("part");
        ids.push(id);
    }
    assert_eq!(server.list_multipart_uploads(BUCKET).len(), 2);

    let out = s3up(&server, &["mpu", "ls", "s3://bucket"]);
    assert!(out.status.success(), "{}", text(&out));
    let listed = String::from_utf8_lossy(&out.stdout);
    for (id, key) in ids.iter().zip(["left/one.tar", "left/two.tar"]) {
        assert!(
            listed.contains(id.as_str()) && listed.contains(key),
            "{listed}"
        );
    }

    let out = s3up(&server, &["mpu", "abort", "s3://bucket", "--all"]);
    assert!(out.status.success(), "{}", text(&out));
    util::assert_no_pending_uploads(&server);
    let out = s3up(&server, &["mpu", "ls", "s3://bucket"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).trim().is_empty(),
        "{}",
        text(&out)
    );
}

#[test]
fn mpu_abort_needs_an_id_or_all() {
    let server = util::server();
    let out = s3up(&server, &["mpu", "abort", "s3://bucket/key"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

//! The credential chain end to end: each source (environment, shared files, credential_process,
//! web identity, container, instance metadata) uploads to the in-process S3 server for real,
//! with temporary credentials issued by the test server's metadata emulator; the precedence
//! between them; IMDSv2 → IMDSv1 fallback and the hop-limit message; refresh during an upload
//! that outlives its credentials; metadata never through a proxy.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use s3up::config::{self, CommonOptions, Session};
use s3up::s3::ops::{self, ObjectOptions};
use test_server::credential_emulator::{self, Emulator, EmulatorConfig, TokenMode};
use test_server::{LogFormat, Server};

use crate::util::{data, text, write_file, BUCKET};

/// An S3 server writing a JSON access log (it names the access key of every request).
fn s3_server() -> Server {
    crate::util::server_with(|c| c.log_format = LogFormat::Json)
}

fn emulator(s3: &Server, tweak: impl FnOnce(&mut EmulatorConfig)) -> Emulator {
    let mut config = EmulatorConfig {
        region: s3.region().to_owned(),
        ..EmulatorConfig::default()
    };
    tweak(&mut config);
    credential_emulator::start(config, s3).expect("metadata emulator starts")
}

/// A controlled environment: a fresh empty HOME and the server's region; nothing else.
struct Env {
    home: tempfile::TempDir,
    vars: HashMap<String, String>,
}

impl Env {
    fn new(s3: &Server) -> Self {
        let home = tempfile::tempdir().expect("home");
        let mut vars = HashMap::new();
        vars.insert("HOME".to_owned(), home.path().display().to_string());
        vars.insert("AWS_REGION".to_owned(), s3.region().to_owned());
        // Never the real 169.254.169.254: a closed local port unless a test sets the emulator.
        vars.insert(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT".to_owned(),
            "http://127.0.0.1:1".to_owned(),
        );
        Self { home, vars }
    }

    fn set(&mut self, k: &str, v: impl Into<String>) -> &mut Self {
        self.vars.insert(k.to_owned(), v.into());
        self
    }

    fn unset(&mut self, k: &str) -> &mut Self {
        self.vars.remove(k);
        self
    }

    fn imds(&mut self, md: &Emulator) -> &mut Self {
        self.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", md.endpoint())
    }

    fn file(&self, name: &str, text: &str) -> String {
        write_file(self.home.path(), name, text.as_bytes())
            .display()
            .to_string()
    }

    fn open(&self, s3: &Server) -> Result<Session, s3up::error::Error> {
        let lookup = |k: &str| self.vars.get(k).cloned();
        let common = CommonOptions {
            endpoint_url: Some(s3.endpoint()),
            ..CommonOptions::default()
        };
        config::open(&common, &lookup)
    }
}

/// Opens a session and uploads `key`; returns the access key the server logged for it and the
/// credentials source the session used.
fn upload(s3: &Server, env: &Env, key: &str) -> (String, String) {
    let session = env
        .open(s3)
        .unwrap_or_else(|e| panic!("session for {key}: {e}"));
    let body = data(1000, key.len() as u64);
    let req = ops::put_object(BUCKET, key, &ObjectOptions::default(), None, &body);
    session
        .client
        .send(&req)
        .unwrap_or_else(|e| panic!("upload {key}: {e}"));
    assert_eq!(
        s3.object_bytes(BUCKET, key).as_deref(),
        Some(&body[..]),
        "{key}: stored bytes"
    );
    let used = log_entries(s3, key);
    assert_eq!(used.len(), 1, "{key}: {used:?}");
    (used[0].1.clone(), session.client.credentials_source())
}

/// (operation, access key id, HTTP status) of each logged request for `key`.
fn log_entries(s3: &Server, key: &str) -> Vec<(String, String, u64)> {
    s3.access_log_records()
        .into_iter()
        .filter(|r| r.key == key)
        .map(|r| {
            (
                r.operation,
                r.access_key_id.unwrap_or_default(),
                u64::from(r.status),
            )
        })
        .collect()
}

fn last_issued(md: &Emulator) -> String {
    md.issued_keys()
        .last()
        .cloned()
        .expect("the emulator issued credentials")
}

#[test]
fn environment_credentials() {
    let s3 = s3_server();
    let mut env = Env::new(&s3);
    env.set("AWS_ACCESS_KEY_ID", s3.access_key())
        .set("AWS_SECRET_ACCESS_KEY", s3.secret_key());
    let (key, source) = upload(&s3, &env, "env.bin");
    assert_eq!(key, s3.access_key());
    assert!(source.starts_with("environment"), "{source}");
}

#[test]
fn shared_credentials_file_with_named_profile() {
    let s3 = s3_server();
    let mut env = Env::new(&s3);
    env.file(
        ".aws/credentials",
        &format!(
            "# nightly\n[other]\naws_access_key_id = WRONG\naws_secret_access_key = wrong\n\n\
             [ backup ]\naws_access_key_id={}\n   aws_secret_access_key  :  {}   ; from the vault\n",
            s3.access_key(),
            s3.secret_key()
        ),
    );
    env.file(
        ".aws/config",
        "[profile backup]\ns3 =\n  max_concurrent_requests = 2\n  signature_version = s3v4\n",
    );
    env.set("AWS_PROFILE", "backup");
    let session = env.open(&s3).expect("session");
    assert_eq!(session.profile.s3.max_concurrent_requests, Some(2));
    let (key, source) = upload(&s3, &env, "profile.bin");
    assert_eq!(key, s3.access_key());
    assert!(source.contains("profile 'backup'"), "{source}");
}

#[test]
fn config_errors_name_file_and_line() {
    let s3 = s3_server();
    let env = Env::new(&s3);
    let path = env.file(
        ".aws/config",
        "[default]\nregion = eu-west-1\ns3 =\n  multipart_chunksize = 16 parsecs\n",
    );
    let e = env.open(&s3).err().expect("bad config");
    assert_eq!(e.exit_code(), 2);
    assert!(
        e.to_string()
            .starts_with(&format!("{path}:4: s3.multipart_chunksize")),
        "{e}"
    );
}

#[test]
fn home_unset_still_finds_credentials() {
    let s3 = s3_server();
    let mut env = Env::new(&s3);
    let creds = env.file(
        "elsewhere/creds.ini",
        &format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            s3.access_key(),
            s3.secret_key()
        ),
    );
    env.unset("HOME").set("AWS_SHARED_CREDENTIALS_FILE", creds);
    let (key, _) = upload(&s3, &env, "nohome.bin");
    assert_eq!(key, s3.access_key());
    env.unset("AWS_SHARED_CREDENTIALS_FILE")
        .set("AWS_EC2_METADATA_DISABLED", "true");
    let e = env.open(&s3).err().expect("nothing left").to_string();
    assert!(e.contains("HOME is not set"), "{e}");
}

#[test]
fn credential_process_source() {
    let s3 = s3_server();
    let mut env = Env::new(&s3);
    let script = env.file(
        "bin/get creds.sh",
        &format!(
            "#!/bin/sh\necho '{{\"Version\": 1, \"AccessKeyId\": \"{}\", \"SecretAccessKey\": \"{}\", \"Expiration\": \"2999-01-01T00:00:00Z\"}}'\n",
            s3.access_key(),
            s3.secret_key()
        ),
    );
    env.file(
        ".aws/config",
        &format!("[profile job]\ncredential_process = sh \"{script}\"\n"),
    );
    env.set("AWS_PROFILE", "job");
    let (key, source) = upload(&s3, &env, "process.bin");
    assert_eq!(key, s3.access_key());
    assert!(source.starts_with("credential_process"), "{source}");
}

#[test]
fn web_identity_source() {
    let s3 = s3_server();
    let md = emulator(&s3, |c| {
        c.web_identity_token = Some("eyJhbGciOi.test.token".into())
    });
    let mut env = Env::new(&s3);
    let token = env.file("token", "eyJhbGciOi.test.token\n");
    env.set("AWS_WEB_IDENTITY_TOKEN_FILE", &token)
        .set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/backup")
        .set("AWS_ROLE_SESSION_NAME", "nightly")
        .set("AWS_ENDPOINT_URL_STS", md.endpoint());
    let (key, source) = upload(&s3, &env, "web.bin");
    assert_eq!(key, last_issued(&md));
    assert!(key.starts_with("ASIA"), "{key}");
    assert!(source.starts_with("web identity"), "{source}");

    env.file("token", "not-the-token");
    let e = env.open(&s3).err().expect("refused token");
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("InvalidIdentityToken"), "{e}");
}

#[test]
fn container_source_with_token_file() {
    let s3 = s3_server();
    let md = emulator(&s3, |c| {
        c.container_token = Some("Bearer pod-identity".into())
    });
    let mut env = Env::new(&s3);
    let token = env.file("eks-token", "Bearer pod-identity\n");
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", md.container_url())
        .set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", &token);
    let (key, source) = upload(&s3, &env, "container.bin");
    assert_eq!(key, last_issued(&md));
    assert!(source.starts_with("container credentials"), "{source}");

    env.unset("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
        .set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer wrong");
    let e = env.open(&s3).err().expect("wrong token").to_string();
    assert!(e.contains("401") && !e.contains("Bearer wrong"), "{e}");
}

#[test]
fn instance_metadata_v2_with_region() {
    let s3 = crate::util::server_with(|c| {
        c.log_format = LogFormat::Json;
        c.region = "eu-west-3".into();
    });
    let md = emulator(&s3, |c| c.require_token = true);
    let mut env = Env::new(&s3);
    env.imds(&md).unset("AWS_REGION");
    let session = env.open(&s3).expect("session");
    assert_eq!(session.client.region(), "eu-west-3");
    assert!(
        session.region_source.contains("instance metadata"),
        "{}",
        session.region_source
    );
    let (key, source) = upload(&s3, &env, "imds.bin");
    assert_eq!(key, last_issued(&md));
    assert!(source.starts_with("EC2 instance metadata"), "{source}");
    let requests = md.requests();
    assert!(
        requests.iter().any(|r| r == "PUT /latest/api/token"),
        "{requests:?}"
    );
    assert!(
        requests
            .iter()
            .filter(|r| r.starts_with("GET"))
            .all(|r| r.ends_with("(token)")),
        "{requests:?}"
    );
}

#[test]
fn imds_token_refused_falls_back_to_v1() {
    let s3 = s3_server();
    let md = emulator(&s3, |c| c.token_mode = TokenMode::Refuse(403));
    let mut env = Env::new(&s3);
    env.imds(&md);
    let (key, _) = upload(&s3, &env, "v1-refused.bin");
    assert_eq!(key, last_issued(&md));
    let gets: Vec<_> = md
        .requests()
        .into_iter()
        .filter(|r| r.starts_with("GET"))
        .collect();
    assert!(
        !gets.is_empty() && gets.iter().all(|r| !r.ends_with("(token)")),
        "{gets:?}"
    );
}

#[test]
fn imds_token_unanswered_falls_back_to_v1() {
    let s3 = s3_server();
    let md = emulator(&s3, |c| c.token_mode = TokenMode::Hang);
    let mut env = Env::new(&s3);
    env.imds(&md).set("AWS_METADATA_SERVICE_TIMEOUT", "0.5");
    let (key, _) = upload(&s3, &env, "v1-hang.bin");
    assert_eq!(key, last_issued(&md));
}

#[test]
fn imds_neither_answering_names_the_hop_limit() {
    let s3 = s3_server();
    let md = emulator(&s3, |c| {
        c.token_mode = TokenMode::Hang;
        c.require_token = true;
    });
    let mut env = Env::new(&s3);
    env.imds(&md).set("AWS_METADATA_SERVICE_TIMEOUT", "0.5");
    let e = env.open(&s3).err().expect("no credentials");
    assert_eq!(e.exit_code(), 2);
    let shown = e.to_string();
    for part in [
        "(1) environment",
        "(4) container credentials",
        "(5) EC2 instance metadata",
        "IMDSv2 token request got no answer within 0.5 s",
        "IMDSv1 was refused (401",
        "--http-put-response-hop-limit 2",
    ] {
        assert!(shown.contains(part), "missing {part:?} in: {shown}");
    }
}

#[test]
fn imds_without_a_role_says_so() {
    let s3 = s3_server();
    let md = emulator(&s3, |c| c.role = None);
    let mut env = Env::new(&s3);
    env.imds(&md);
    let e = env.open(&s3).err().expect("no role").to_string();
    assert!(e.contains("no IAM role is attached"), "{e}");
}

/// Temporary credentials from the emulator's container endpoint, written as a static profile
/// (a valid identity distinct from every other source's).
fn profile_from_emulator(md: &Emulator, env: &Env) -> String {
    let transport = s3up::transport::Transport::direct(std::time::Duration::from_secs(5));
    let url = md.container_url();
    let r = transport
        .send(&s3up::transport::HttpRequest {
            method: "GET",
            url: &url,
            headers: &[],
            body: s3up::body::Body::EMPTY,
        })
        .expect("container endpoint answers");
    let doc: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
    let field = |k: &str| doc[k].as_str().expect("field").to_owned();
    env.file(
        ".aws/credentials",
        &format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\naws_session_token = {}\n",
            field("AccessKeyId"),
            field("SecretAccessKey"),
            field("Token")
        ),
    );
    field("AccessKeyId")
}

#[test]
fn precedence_env_then_profile_then_container_then_instance_metadata() {
    let s3 = s3_server();
    let md = emulator(&s3, |_| {});
    let mut env = Env::new(&s3);
    let profile_key = profile_from_emulator(&md, &env);
    env.set("AWS_ACCESS_KEY_ID", s3.access_key())
        .set("AWS_SECRET_ACCESS_KEY", s3.secret_key())
        .set("AWS_CONTAINER_CREDENTIALS_FULL_URI", md.container_url())
        .imds(&md);

    let (key, source) = upload(&s3, &env, "p1-env.bin");
    assert_eq!(key, s3.access_key());
    assert!(source.starts_with("environment"), "{source}");

    env.unset("AWS_ACCESS_KEY_ID")
        .unset("AWS_SECRET_ACCESS_KEY");
    let (key, source) = upload(&s3, &env, "p2-profile.bin");
    assert_eq!(key, profile_key);
    assert!(source.starts_with("shared credentials file"), "{source}");

    std::fs::remove_file(env.home.path().join(".aws/credentials")).expect("rm");
    let (key, source) = upload(&s3, &env, "p3-container.bin");
    assert_eq!(key, last_issued(&md));
    assert!(source.starts_with("container credentials"), "{source}");
    let before_imds = md
        .requests()
        .iter()
        .filter(|r| r.starts_with("PUT /latest/api/token"))
        .count();
    assert_eq!(
        before_imds, 0,
        "instance metadata asked although a container source was set"
    );

    env.unset("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    let (key, source) = upload(&s3, &env, "p4-imds.bin");
    assert_eq!(key, last_issued(&md));
    assert!(source.starts_with("EC2 instance metadata"), "{source}");
}

/// The real binary with only the variables given (plus an empty HOME).
fn run_s3up(home: &Path, vars: &[(&str, String)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_s3up"));
    cmd.env_clear()
        .env("HOME", home)
        .args(args)
        .stdin(Stdio::null());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().expect("run s3up")
}

#[test]
fn cli_upload_outlives_instance_role_credentials() {
    let s3 = s3_server();
    let md = emulator(&s3, |c| c.lifetime_secs = 3);
    let home = tempfile::tempdir().expect("home");
    let bytes = data(11 * 1024 * 1024, 99);
    let file = write_file(home.path(), "backup.bin", &bytes);
    let started = std::time::Instant::now();
    let out = run_s3up(
        home.path(),
        &[
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", md.endpoint()),
            ("AWS_REGION", s3.region().to_owned()),
        ],
        &[
            "cp",
            file.to_str().expect("utf-8"),
            "s3://bucket/slow.bin",
            "--endpoint-url",
            &s3.endpoint(),
            "--part-size",
            "5MiB",
            "--limit-rate",
            "1MiB",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let took = started.elapsed();
    assert!(
        took.as_secs() > 3,
        "the upload did not outlive the 3 s credentials: {took:?}"
    );
    assert_eq!(
        s3.object_bytes(BUCKET, "slow.bin").as_deref(),
        Some(&bytes[..])
    );
    let entries = log_entries(&s3, "slow.bin");
    let keys: Vec<&str> = entries.iter().map(|(_, k, _)| k.as_str()).collect();
    let distinct: std::collections::BTreeSet<&str> = keys.iter().copied().collect();
    assert!(
        distinct.len() >= 2,
        "no refresh during the upload: {entries:?}"
    );
    assert!(
        distinct
            .iter()
            .all(|k| md.issued_keys().iter().any(|i| i == k)),
        "{entries:?}"
    );
    let first = keys.first().expect("requests");
    let last = keys.last().expect("requests");
    assert_ne!(
        first, last,
        "the upload ended with the credentials it started with: {entries:?}"
    );
    assert!(
        entries.iter().all(|(_, _, status)| *status < 300),
        "{entries:?}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    for shown in [&out.stdout[..], &out.stderr[..]] {
        let shown = String::from_utf8_lossy(shown);
        assert!(
            !distinct.iter().any(|k| shown.contains(k)),
            "an access key was printed: {stderr}"
        );
    }
}

#[test]
fn cli_metadata_bypasses_a_dead_proxy() {
    let s3 = s3_server();
    let md = emulator(&s3, |_| {});
    let home = tempfile::tempdir().expect("home");
    let file = write_file(home.path(), "small.bin", b"through no proxy");
    // S3 is reached as `localhost` (exempt by NO_PROXY); the emulator as 127.0.0.1, which the
    // dead proxy would swallow if s3up sent metadata requests through it.
    let endpoint = s3.endpoint().replace("127.0.0.1", "localhost");
    let dead = "http://127.0.0.1:9".to_owned();
    let out = run_s3up(
        home.path(),
        &[
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", md.endpoint()),
            ("AWS_REGION", s3.region().to_owned()),
            ("HTTPS_PROXY", dead.clone()),
            ("HTTP_PROXY", dead),
            ("NO_PROXY", "localhost".to_owned()),
        ],
        &[
            "cp",
            file.to_str().expect("utf-8"),
            "s3://bucket/proxy.bin",
            "--endpoint-url",
            &endpoint,
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        s3.object_bytes(BUCKET, "proxy.bin").as_deref(),
        Some(&b"through no proxy"[..])
    );
    assert_eq!(log_entries(&s3, "proxy.bin")[0].1, last_issued(&md));
}

#[test]
fn cli_debug_and_trace_logs_hold_no_metadata_secret() {
    let s3 = s3_server();
    let md = emulator(&s3, |c| {
        c.container_token = Some("Bearer pod-secret-token".into())
    });
    let home = tempfile::tempdir().expect("home");
    let file = write_file(home.path(), "logged.bin", b"watch the logs");
    for (i, source) in [
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", md.endpoint()),
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", md.container_url()),
    ]
    .into_iter()
    .enumerate()
    {
        let dest = format!("s3://bucket/logged-{i}.bin");
        let out = run_s3up(
            home.path(),
            &[
                source,
                (
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                    "Bearer pod-secret-token".into(),
                ),
                ("AWS_REGION", s3.region().to_owned()),
                ("RUST_LOG", "trace".to_owned()),
            ],
            &[
                "cp",
                file.to_str().expect("utf-8"),
                &dest,
                "--endpoint-url",
                &s3.endpoint(),
                "--debug",
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        let shown = text(&out);
        assert!(
            shown.contains("canonical request"),
            "no debug output: {shown}"
        );
        let mut secrets = md.secrets();
        secrets.push("pod-secret-token".into());
        for secret in secrets {
            assert!(!shown.contains(&secret), "a secret was printed: {shown}");
        }
    }
}

#[test]
fn cli_without_credentials_exits_2_listing_sources() {
    let home = tempfile::tempdir().expect("home");
    let file = write_file(home.path(), "f.bin", b"x");
    let out = run_s3up(
        home.path(),
        &[("AWS_EC2_METADATA_DISABLED", "true".to_owned())],
        &[
            "cp",
            file.to_str().expect("utf-8"),
            "s3://bucket/f.bin",
            "--endpoint-url",
            "http://127.0.0.1:1",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for part in [
        "environment",
        "web identity",
        "shared config files",
        "container credentials",
        "AWS_EC2_METADATA_DISABLED",
    ] {
        assert!(stderr.contains(part), "missing {part:?}: {stderr}");
    }
}

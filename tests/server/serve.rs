//! `s3up serve` as a process: prints `ready: ENDPOINT`, verifies signatures, echoes the access
//! log with `--access-log -`, and exits 0 on SIGTERM and SIGINT.

use super::http::{send, Resp};
use super::{Call, Client, LogRecord};

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

struct Serve {
    child: Child,
    lines: mpsc::Receiver<String>,
    endpoint: String,
    /// What it printed up to and including the ready line.
    banner: Vec<String>,
}

impl Serve {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_s3up"))
            .arg("serve")
            .args(["--addr", "127.0.0.1:0"])
            .args(args)
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn s3up serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut serve = Self {
            child,
            lines,
            endpoint: String::new(),
            banner: Vec::new(),
        };
        loop {
            let line = serve.wait_for(|_| true);
            serve.banner.push(line.clone());
            if let Some(endpoint) = line.strip_prefix("ready: ") {
                serve.endpoint = endpoint.to_owned();
                return serve;
            }
        }
    }

    fn wait_for(&mut self, pred: impl Fn(&str) -> bool) -> String {
        loop {
            match self.lines.recv_timeout(Duration::from_secs(20)) {
                Ok(line) if pred(&line) => return line,
                Ok(_) => {}
                Err(e) => panic!("s3up serve printed no expected line: {e}"),
            }
        }
    }

    fn addr(&self) -> std::net::SocketAddr {
        self.endpoint
            .trim_start_matches("http://")
            .parse()
            .expect("endpoint is http://IP:PORT")
    }

    fn signal(&mut self, sig: &str) -> Option<i32> {
        let pid = self.child.id().to_string();
        let status = Command::new("kill")
            .args([sig, &pid])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {sig} {pid}");
        for _ in 0..200 {
            if let Some(st) = self.child.try_wait().expect("wait") {
                return st.code();
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        let _ = self.child.kill();
        panic!("s3up serve did not exit after {sig}");
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn signed(serve: &Serve, call: &Call, secret: &str) -> Resp {
    let client = Client::for_addr(
        serve.addr(),
        test_server::DEFAULT_ACCESS_KEY,
        secret,
        "us-east-1",
    );
    let p = client.prepare(call);
    send(serve.addr(), p.method, &p.target, &p.headers, &p.body)
}

#[test]
fn serve_prints_ready_logs_to_stdout_and_stops_on_sigterm() {
    let mut serve = Serve::start(&["--bucket", "bkt", "--access-log", "-"]);
    assert!(
        serve.endpoint.starts_with("http://127.0.0.1:"),
        "{}",
        serve.endpoint
    );
    let ok = signed(
        &serve,
        &Call::new("PUT", "/bkt/k").body(b"served"),
        test_server::DEFAULT_SECRET_KEY,
    );
    assert_eq!(ok.status, 200, "{}", ok.text());
    let line = serve.wait_for(|l| l.contains(&ok.request_id()));
    let rec = LogRecord::parse(&line).expect("an access log line on standard output");
    assert_eq!(
        (rec.operation.as_str(), rec.signature_version, rec.auth_type),
        ("REST.PUT.OBJECT", "SigV4", "AuthHeader"),
        "{rec:?}"
    );
    let bad = signed(&serve, &Call::new("PUT", "/bkt/k").body(b"x"), "wrong");
    assert_eq!(bad.code().as_deref(), Some("SignatureDoesNotMatch"));
    let line = serve.wait_for(|l| l.contains(&bad.request_id()));
    let rec = LogRecord::parse(&line).expect("an access log line on standard output");
    assert_eq!(
        (rec.status, rec.error_code.as_deref()),
        (403, Some("SignatureDoesNotMatch")),
        "{rec:?}"
    );
    assert_eq!(serve.signal("-TERM"), Some(0));
}

#[test]
fn serve_stops_on_sigint_and_refuses_bad_flags() {
    let mut serve = Serve::start(&["--access-log-format", "json", "--sigv2", "accept"]);
    assert_eq!(serve.signal("-INT"), Some(0));
    let out = Command::new(env!("CARGO_BIN_EXE_s3up"))
        .args(["serve", "--sigv2", "sometimes"])
        .output()
        .expect("run s3up serve");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--sigv2"));
}

#[test]
fn serve_with_imds_issues_credentials_the_server_accepts() {
    let mut serve = Serve::start(&["--bucket", "bkt", "--imds", "--imds-lifetime", "600"]);
    let line = serve
        .banner
        .iter()
        .find(|l| {
            l.trim_start()
                .starts_with("AWS_EC2_METADATA_SERVICE_ENDPOINT=")
        })
        .expect("the banner names the metadata endpoint")
        .clone();
    let imds: std::net::SocketAddr = line
        .split("http://")
        .nth(1)
        .expect("an http endpoint")
        .parse()
        .expect("IP:PORT");
    let host = vec![("host".to_owned(), imds.to_string())];
    let with = |k: &str, v: &str| {
        let mut h = host.clone();
        h.push((k.to_owned(), v.to_owned()));
        h
    };
    let token = send(
        imds,
        "PUT",
        "/latest/api/token",
        &with("x-aws-ec2-metadata-token-ttl-seconds", "60"),
        b"",
    );
    assert_eq!(token.status, 200, "{}", token.text());
    let auth = with("x-aws-ec2-metadata-token", &token.text());
    let roles = send(
        imds,
        "GET",
        "/latest/meta-data/iam/security-credentials/",
        &auth,
        b"",
    );
    let role = roles.text().lines().next().expect("a role").to_owned();
    let doc = send(
        imds,
        "GET",
        &format!("/latest/meta-data/iam/security-credentials/{role}"),
        &auth,
        b"",
    );
    let creds: serde_json::Value = serde_json::from_slice(&doc.body).expect("credentials JSON");
    let field = |k: &str| creds[k].as_str().expect("string field").to_owned();
    let mut client = Client::for_addr(
        serve.addr(),
        &field("AccessKeyId"),
        &field("SecretAccessKey"),
        "us-east-1",
    );
    client.creds = s3up::credentials::Credentials::new(
        field("AccessKeyId"),
        field("SecretAccessKey"),
        Some(field("Token")),
    );
    let p = client.prepare(&Call::new("PUT", "/bkt/role.txt").body(b"from the instance role"));
    let r = send(serve.addr(), p.method, &p.target, &p.headers, &p.body);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(serve.signal("-TERM"), Some(0));
}

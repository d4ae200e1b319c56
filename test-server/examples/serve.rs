//! Manual checks: starts a test server with bucket `bkt` (and `--tls`, `--sigv2-accept`,
//! `--json` if given), prints its endpoint and log path, and runs until standard input closes.

use std::io::Read as _;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let has = |f: &str| args.iter().any(|a| a == f);
    let config = test_server::Config {
        buckets: vec!["bkt".to_owned()],
        tls: has("--tls"),
        sigv2: if has("--sigv2-accept") {
            test_server::SigV2Mode::Accept
        } else {
            test_server::SigV2Mode::Reject
        },
        log_format: if has("--json") {
            test_server::LogFormat::Json
        } else {
            test_server::LogFormat::S3
        },
        domain: has("--domain").then(|| "localhost".to_owned()),
        ..Default::default()
    };
    let server = test_server::start(config).expect("server starts");
    println!("endpoint: {}", server.endpoint());
    println!("root: {}", server.root().display());
    println!("log: {}", server.access_log_path().display());
    if let Some(ca) = server.ca_cert_path() {
        println!("ca: {}", ca.display());
    }
    println!("ready");
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    server.shutdown();
}

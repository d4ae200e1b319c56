//! `s3up serve`: the embedded strict S3 test server as a command. Parses its flags into a
//! `test_server::Config`, starts it, prints the endpoint, credentials, buckets and paths, then
//! `ready: ENDPOINT`, and runs until SIGINT or SIGTERM, when it shuts down cleanly. All server
//! behaviour lives in the `test-server` crate; this file never touches the upload path.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use argh::FromArgs;
use test_server::credential_emulator::{EmulatorConfig, TokenMode};

/// run the embedded S3 test server: verifies every signature, logs like S3 server access logs
#[derive(FromArgs, Debug)]
#[argh(subcommand, name = "serve")]
pub(super) struct ServeArgs {
    /// storage directory (default: a temporary directory, deleted at exit)
    #[argh(option)]
    pub root: Option<PathBuf>,
    /// address to listen on (default 127.0.0.1:9000; port 0 picks a free one)
    #[argh(option, default = "String::from(\"127.0.0.1:9000\")")]
    pub addr: String,
    /// access key id clients sign with (default: $AWS_ACCESS_KEY_ID, else AKIDTESTS3UP)
    #[argh(option)]
    pub access_key: Option<String>,
    /// secret key clients sign with (default: $AWS_SECRET_ACCESS_KEY, else the test secret)
    #[argh(option)]
    pub secret_key: Option<String>,
    /// region the server lives in (default us-east-1)
    #[argh(option, default = "String::from(test_server::DEFAULT_REGION)")]
    pub region: String,
    /// bucket to create at start (repeatable)
    #[argh(option)]
    pub bucket: Vec<String>,
    /// base domain for virtual-hosted-style requests: BUCKET.DOMAIN[:PORT]
    #[argh(option)]
    pub domain: Option<String>,
    /// access log file, or - for standard output (default: a temporary file)
    #[argh(option)]
    pub access_log: Option<String>,
    /// access log format: s3 (S3 server access log lines) or json (default s3)
    #[argh(option, default = "String::from(\"s3\")")]
    pub access_log_format: String,
    /// what to do with AWS Signature Version 2 requests: reject (as S3 does today) or accept
    #[argh(option, default = "String::from(\"reject\")")]
    pub sigv2: String,
    /// serve HTTPS with a fresh self-signed certificate (its CA is written to a file)
    #[argh(switch)]
    pub tls: bool,
    /// minimum size of every part but the last (default 5MiB, as S3)
    #[argh(option)]
    pub min_part_size: Option<String>,
    /// highest part number accepted (default 10000, as S3)
    #[argh(option)]
    pub max_parts: Option<u32>,
    /// seconds the server clock runs ahead of this machine's (negative: behind)
    #[argh(option, default = "0")]
    pub clock_offset: i64,
    /// verify signatures and checksums but store no bytes (objects keep their sizes, reads return zeros; in /dev/shm, where there is one, without --root), to benchmark clients
    #[argh(switch)]
    pub discard: bool,
    /// inject a fault, KIND[@OPERATION][:nth=N|first=N|every=N|rate=P][:after=BYTES][:ms=MS]
    /// with KIND slowdown, internal-error, reset, delay, complete-error, or (for the answer's
    /// body) reset-response, stall, corrupt (repeatable)
    #[argh(option)]
    pub fault: Vec<String>,
    /// seed of the fault generator (same seed, same faults)
    #[argh(option, default = "0")]
    pub seed: u64,
    /// how requests signed for another region are refused: malformed (400
    /// AuthorizationHeaderMalformed, the default) or redirect (301 PermanentRedirect)
    #[argh(option)]
    pub wrong_region: Option<String>,
    /// also emulate instance metadata (IMDSv2/v1), container credentials and STS web identity
    /// on a second loopback port, issuing short-lived credentials this server accepts
    #[argh(switch)]
    pub imds: bool,
    /// address of the credential emulator (default 127.0.0.1:0)
    #[argh(option, default = "String::from(\"127.0.0.1:0\")")]
    pub imds_addr: String,
    /// seconds each issued set of credentials stays valid (default 3600)
    #[argh(option, default = "3600")]
    pub imds_lifetime: u64,
    /// how the IMDSv2 token call is answered: answer, refuse (403) or hang (no answer)
    #[argh(option, default = "String::from(\"answer\")")]
    pub imds_token: String,
}

/// The credential emulator's settings, when `--imds` is given.
fn imds_config(args: &ServeArgs, region: &str) -> Result<Option<EmulatorConfig>, String> {
    if !args.imds {
        return Ok(None);
    }
    let addr: SocketAddr = args
        .imds_addr
        .parse()
        .map_err(|_| format!("--imds-addr '{}' is not IP:PORT", args.imds_addr))?;
    let token_mode = match args.imds_token.as_str() {
        "answer" => TokenMode::Answer,
        "refuse" => TokenMode::Refuse(403),
        "hang" => TokenMode::Hang,
        other => {
            return Err(format!(
                "--imds-token '{other}': use answer, refuse or hang"
            ))
        }
    };
    Ok(Some(EmulatorConfig {
        addr,
        region: region.to_owned(),
        lifetime_secs: args.imds_lifetime.max(1),
        token_mode,
        ..EmulatorConfig::default()
    }))
}

fn nonempty_env(name: &str) -> Option<String> {
    super::process_env(name).filter(|v| !v.is_empty())
}

/// Where a credential came from, for the start-up banner.
enum Origin {
    Flag,
    Env(&'static str),
    Default,
}

fn pick(flag: Option<String>, env: &'static str, default: &str) -> (String, Origin) {
    match (flag, nonempty_env(env)) {
        (Some(v), _) => (v, Origin::Flag),
        (None, Some(v)) => (v, Origin::Env(env)),
        (None, None) => (default.to_owned(), Origin::Default),
    }
}

/// Everything `s3up serve` starts.
struct Plan {
    config: test_server::Config,
    secret_origin: Origin,
    imds: Option<EmulatorConfig>,
}

fn plan(args: ServeArgs) -> Result<Plan, String> {
    let imds = imds_config(&args, &args.region)?;
    let (config, secret_origin) = config(args)?;
    Ok(Plan {
        config,
        secret_origin,
        imds,
    })
}

fn config(args: ServeArgs) -> Result<(test_server::Config, Origin), String> {
    let addr: SocketAddr = args.addr.parse().map_err(|_| {
        format!(
            "--addr '{}' is not IP:PORT (e.g. 127.0.0.1:9000)",
            args.addr
        )
    })?;
    let log_format = match args.access_log_format.as_str() {
        "s3" => test_server::LogFormat::S3,
        "json" => test_server::LogFormat::Json,
        other => return Err(format!("--access-log-format '{other}': use s3 or json")),
    };
    let sigv2 = match args.sigv2.as_str() {
        "reject" => test_server::SigV2Mode::Reject,
        "accept" => test_server::SigV2Mode::Accept,
        other => return Err(format!("--sigv2 '{other}': use reject or accept")),
    };
    let min_part_size = match &args.min_part_size {
        Some(s) => crate::units::parse_size(s).map_err(|e| format!("--min-part-size: {e}"))?,
        None => test_server::DEFAULT_MIN_PART_SIZE,
    };
    let max_parts = args.max_parts.unwrap_or(test_server::DEFAULT_MAX_PARTS);
    if max_parts == 0 {
        return Err("--max-parts must be at least 1".to_owned());
    }
    let faults = args
        .fault
        .iter()
        .map(|f| test_server::Fault::parse(f).map_err(|e| format!("--fault '{f}': {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let wrong_region = match args.wrong_region.as_deref() {
        None => None,
        Some("malformed") => Some(test_server::WrongRegion::Malformed),
        Some("redirect") => Some(test_server::WrongRegion::Redirect),
        Some(other) => {
            return Err(format!(
                "--wrong-region '{other}': use malformed or redirect"
            ))
        }
    };
    let to_stdout = matches!(args.access_log.as_deref(), Some("-"));
    let access_log = args.access_log.filter(|_| !to_stdout).map(PathBuf::from);
    let (access_key, _) = pick(
        args.access_key,
        "AWS_ACCESS_KEY_ID",
        test_server::DEFAULT_ACCESS_KEY,
    );
    let (secret_key, secret_origin) = pick(
        args.secret_key,
        "AWS_SECRET_ACCESS_KEY",
        test_server::DEFAULT_SECRET_KEY,
    );
    let config = test_server::Config {
        addr,
        root: args.root,
        access_key,
        secret_key,
        region: args.region,
        buckets: args.bucket,
        domain: args.domain,
        access_log,
        log_stdout: to_stdout,
        log_format,
        sigv2,
        tls: args.tls,
        min_part_size,
        max_parts,
        clock_offset: args.clock_offset,
        discard: args.discard,
        faults,
        seed: args.seed,
        wrong_region,
        forget_completed_uploads: false,
        refuse_unsigned_payloads: false,
    };
    Ok((config, secret_origin))
}

fn banner(
    server: &test_server::Server,
    config: &test_server::Config,
    secret_origin: &Origin,
    imds: Option<&test_server::credential_emulator::Emulator>,
) {
    let sigv2 = match config.sigv2 {
        test_server::SigV2Mode::Reject => "rejected",
        test_server::SigV2Mode::Accept => "accepted (15-minute skew check)",
    };
    println!("s3up serve: strict S3 test server (SigV4 verified, SigV2 {sigv2})");
    println!("endpoint:   {}", server.endpoint());
    if let Some(d) = &config.domain {
        println!("virtual hosts: BUCKET.{d}:{}", server.addr().port());
    }
    println!("region:     {}", server.region());
    println!("access key: {}", server.access_key());
    match secret_origin {
        // A secret read from the environment may be a real one: never echo it.
        Origin::Env(var) => println!("secret key: (from ${var})"),
        Origin::Flag | Origin::Default => println!("secret key: {}", server.secret_key()),
    }
    let buckets = if config.buckets.is_empty() {
        "(none yet; clients may create them)".to_owned()
    } else {
        config.buckets.join(", ")
    };
    println!("buckets:    {buckets}");
    println!("root:       {}", server.root().display());
    if config.log_stdout {
        println!(
            "access log: standard output ({})",
            server.access_log_path().display()
        );
    } else {
        println!("access log: {}", server.access_log_path().display());
    }
    if let Some(ca) = server.ca_cert_path() {
        println!("ca bundle:  {} (use --ca-bundle with it)", ca.display());
    }
    if config.min_part_size != test_server::DEFAULT_MIN_PART_SIZE
        || config.max_parts != test_server::DEFAULT_MAX_PARTS
    {
        println!(
            "parts:      at least {} bytes but the last, at most {} parts",
            config.min_part_size, config.max_parts
        );
    }
    if config.discard {
        println!("discard:    signatures and checksums verified, no bytes stored (objects keep sizes; reads return zeros)");
    }
    for f in &config.faults {
        println!("fault:      {f:?} (seed {})", config.seed);
    }
    if let Some(w) = config.wrong_region {
        println!("regions:    requests signed for another region get {w:?}");
    }
    if config.clock_offset != 0 {
        println!(
            "clock:      {:+} s from this machine's",
            config.clock_offset
        );
    }
    if let Some(m) = imds {
        println!("imds:       {} (instance metadata and STS)", m.endpoint());
        println!(
            "            AWS_EC2_METADATA_SERVICE_ENDPOINT={}",
            m.endpoint()
        );
        println!("            AWS_ENDPOINT_URL_STS={}", m.endpoint());
        println!(
            "            AWS_CONTAINER_CREDENTIALS_FULL_URI={}",
            m.container_url()
        );
    }
    println!("ready: {}", server.endpoint());
}

/// Runs the server until SIGINT/SIGTERM. Exit 0 after a clean shutdown, 1 when the server
/// cannot start, 2 for bad flags.
pub(super) fn run(args: ServeArgs) -> ExitCode {
    let plan = match plan(args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    if let Err(e) = ctrlc::set_handler(move || {
        let _ = tx.send(());
    }) {
        eprintln!("error: cannot handle SIGINT/SIGTERM: {e}");
        return ExitCode::from(1);
    }
    let server = match test_server::start(plan.config.clone()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: the test server cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    let imds = match plan
        .imds
        .map(|c| test_server::credential_emulator::start(c, &server))
    {
        None => None,
        Some(Ok(m)) => Some(m),
        Some(Err(e)) => {
            eprintln!("error: the credential emulator cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    banner(&server, &plan.config, &plan.secret_origin, imds.as_ref());
    let _ = rx.recv();
    eprintln!("s3up serve: shutting down");
    if let Some(m) = imds {
        m.shutdown();
    }
    server.shutdown();
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> ServeArgs {
        ServeArgs::from_args(&["serve"], args).expect("valid serve flags")
    }

    #[test]
    fn flags_become_a_config() {
        let (c, _) = config(parse(&[
            "--addr",
            "127.0.0.1:0",
            "--bucket",
            "a",
            "--bucket",
            "b",
            "--access-key",
            "AK",
            "--secret-key",
            "SK",
            "--access-log-format",
            "json",
            "--sigv2",
            "accept",
            "--min-part-size",
            "64K",
            "--max-parts",
            "100",
            "--access-log",
            "-",
            "--fault",
            "slowdown@REST.PUT.PART:rate=0.1",
            "--seed",
            "9",
            "--wrong-region",
            "redirect",
            "--discard",
        ]))
        .expect("valid");
        assert_eq!(c.faults.len(), 1);
        assert_eq!(c.seed, 9);
        assert_eq!(c.wrong_region, Some(test_server::WrongRegion::Redirect));
        assert!(c.discard);
        assert_eq!(c.buckets, ["a", "b"]);
        assert_eq!((c.access_key.as_str(), c.secret_key.as_str()), ("AK", "SK"));
        assert_eq!(c.log_format, test_server::LogFormat::Json);
        assert_eq!(c.sigv2, test_server::SigV2Mode::Accept);
        assert_eq!((c.min_part_size, c.max_parts), (65_536, 100));
        assert!(c.log_stdout && c.access_log.is_none());
    }

    #[test]
    fn bad_values_are_usage_errors() {
        assert!(config(parse(&["--sigv2", "maybe"])).is_err());
        assert!(config(parse(&["--addr", "localhost"])).is_err());
        assert!(config(parse(&["--access-log-format", "csv"])).is_err());
        assert!(config(parse(&["--max-parts", "0"])).is_err());
        assert!(config(parse(&["--fault", "explode"])).is_err());
        let (c, _) = config(parse(&[
            "--fault",
            "reset-response@REST.GET.OBJECT:after=1000",
            "--fault",
            "corrupt@REST.GET.OBJECT:every=1",
            "--fault",
            "stall@REST.GET.OBJECT:ms=10",
        ]))
        .expect("download faults");
        let kinds: Vec<_> = c.faults.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            [
                test_server::FaultKind::ResetResponse { after_bytes: 1000 },
                test_server::FaultKind::Corrupt { at_byte: 0 },
                test_server::FaultKind::Stall {
                    after_bytes: 65_536,
                    millis: 10
                },
            ]
        );
        assert!(config(parse(&["--wrong-region", "somewhere"])).is_err());
        assert!(plan(parse(&["--imds", "--imds-token", "maybe"])).is_err());
        let p = plan(parse(&[
            "--imds",
            "--imds-lifetime",
            "5",
            "--imds-token",
            "hang",
        ]))
        .expect("valid");
        let m = p.imds.expect("imds configured");
        assert_eq!((m.lifetime_secs, m.token_mode), (5, TokenMode::Hang));
        assert!(plan(parse(&[])).expect("valid").imds.is_none());
        let (c, _) = config(parse(&[])).expect("defaults");
        assert_eq!(c.addr.to_string(), "127.0.0.1:9000");
        assert_eq!(c.max_parts, test_server::DEFAULT_MAX_PARTS);
    }
}

//! `s3up demo`: the whole story in one command, offline. Starts the embedded S3 server on a free
//! loopback port, uploads a sample tree with `tar --zstd` and a larger file with `cp`
//! (multipart), reads both back and compares bytes, and prints the server's access-log lines
//! that show each request was signed with SigV4.

use std::io::Read;
use std::path::Path;
use std::process::{Command, ExitCode};
use std::sync::Arc;

use crate::client::{Client, ClientOptions};
use crate::credentials::{Credentials, StaticCredentials};
use crate::s3::addr::{AddressingStyle, Endpoint};
use crate::s3::ops;
use crate::transport::{Transport, TransportOptions};

const BUCKET: &str = "demo";

/// Runs the demo; exit 0 only when every byte came back as it went up.
pub(super) fn run() -> ExitCode {
    match demo() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo failed: {e}");
            ExitCode::from(1)
        }
    }
}

fn demo() -> Result<(), String> {
    let work =
        tempfile::tempdir().map_err(|e| format!("cannot make a temporary directory: {e}"))?;
    let server = test_server::start(test_server::Config {
        buckets: vec![BUCKET.to_owned()],
        root: Some(work.path().join("server-root")),
        ..test_server::Config::default()
    })
    .map_err(|e| format!("cannot start the embedded S3 server: {e}"))?;
    let endpoint = server.endpoint();
    println!(
        "== s3up demo: an S3 server that verifies every SigV4 signature is running at {endpoint}"
    );
    println!(
        "   (bucket '{BUCKET}', access key {}, storage in a temporary directory)\n",
        server.access_key()
    );

    let tree = work.path().join("sample");
    let big = make_sample(&tree)?;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the s3up binary: {e}"))?;
    let home = work.path().join("home");
    std::fs::create_dir_all(&home).map_err(|e| e.to_string())?;
    let run = |args: &[&str]| -> Result<(), String> {
        println!("$ s3up {}", args.join(" "));
        let status = Command::new(&exe)
            .args(args)
            .args(["--endpoint-url", &endpoint, "--no-progress"])
            .env("AWS_ACCESS_KEY_ID", server.access_key())
            .env("AWS_SECRET_ACCESS_KEY", server.secret_key())
            .env("AWS_REGION", server.region())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("HOME", &home)
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_CONFIG_FILE")
            .env_remove("AWS_SHARED_CREDENTIALS_FILE")
            .env_remove("HTTPS_PROXY")
            .env_remove("HTTP_PROXY")
            .env_remove("ALL_PROXY")
            .status()
            .map_err(|e| format!("cannot run s3up: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("'s3up {}' failed ({status})", args.join(" ")))
        }
    };
    let sample = tree.join("files");
    let sample_str = path_str(&tree)?;
    let big_str = path_str(&big)?;
    run(&["cp", big_str, "s3://demo/backups/database.dump"])?;
    run(&[
        "tar",
        "--zstd",
        "-C",
        sample_str,
        "files",
        "s3://demo/backups/files.tar.zst",
    ])?;

    println!("\n== reading both objects back from the server");
    let client = demo_client(&server)?;
    let dump = get(&client, "backups/database.dump")?;
    let local = std::fs::read(&big).map_err(|e| e.to_string())?;
    if dump != local {
        return Err(
            "backups/database.dump came back different from the file that was uploaded".into(),
        );
    }
    println!(
        "   backups/database.dump: {} bytes, identical to the source",
        dump.len()
    );
    let archive = get(&client, "backups/files.tar.zst")?;
    let checked = compare_archive(&archive, &sample)?;
    println!(
        "   backups/files.tar.zst: {} bytes, {checked} files extracted and identical to the source",
        archive.len()
    );

    println!("\n== the server's access log (S3 server access log format), one line per request:");
    let log = server.access_log();
    if let Some(first) = log.lines().next() {
        println!("{first}\n");
    }
    println!(
        "   operation          key                        status      bytes  signature auth type"
    );
    let records = server.access_log_records();
    let mut sigv4 = 0;
    for r in &records {
        if r.signature_version == "SigV4" {
            sigv4 += 1;
        }
        let bytes = match r.bytes_sent {
            0 => "-".to_owned(),
            n => n.to_string(),
        };
        println!(
            "   {:<18} {:<26} {:>6} {:>10}  {:<9} {}",
            r.operation, r.key, r.status, bytes, r.signature_version, r.auth_type
        );
    }
    if sigv4 == 0 || sigv4 != records.len() {
        return Err(format!(
            "{sigv4} of {} logged requests were SigV4",
            records.len()
        ));
    }
    println!(
        "\n== done: {} requests, all SigV4 (AuthHeader). Against real S3:\n\
         \n   export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... AWS_REGION=...\n\
         \x20  s3up doctor s3://YOUR-BUCKET         # will it work, and is it SigV4? (seconds, not an hour of logs)\n\
         \x20  s3up cp /backup/*.tar s3://YOUR-BUCKET/\n\
         \x20  s3up tar --zstd /etc s3://YOUR-BUCKET/etc.tar.zst",
        sigv4
    );
    server.shutdown();
    Ok(())
}

fn path_str(p: &Path) -> Result<&str, String> {
    p.to_str()
        .ok_or_else(|| format!("{} is not UTF-8", p.display()))
}

/// A small tree (text, CSV, an executable, a symlink) and a 20 MiB file outside it.
fn make_sample(root: &Path) -> Result<std::path::PathBuf, String> {
    let files = root.join("files");
    let write = |rel: &str, bytes: &[u8]| -> Result<(), String> {
        let p = files.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::write(&p, bytes).map_err(|e| format!("cannot write {}: {e}", p.display()))
    };
    write(
        "etc/app.conf",
        b"# sample configuration\nlisten = 127.0.0.1:8080\nworkers = 4\n",
    )?;
    let csv: String = (0..20_000)
        .map(|i| format!("{i},customer-{i},{}\n", i * 37 % 1000))
        .collect();
    write("data/customers.csv", csv.as_bytes())?;
    write(
        "bin/backup.sh",
        b"#!/bin/sh\nexec s3up tar --zstd /srv s3://bucket/srv.tar.zst\n",
    )?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let script = files.join("bin/backup.sh");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| e.to_string())?;
        std::os::unix::fs::symlink("etc/app.conf", files.join("current.conf"))
            .map_err(|e| e.to_string())?;
    }
    let big = root.join("database.dump");
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut bytes = Vec::with_capacity(20 << 20);
    while bytes.len() < 20 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    std::fs::write(&big, &bytes).map_err(|e| e.to_string())?;
    Ok(big)
}

fn demo_client(server: &test_server::Server) -> Result<Client, String> {
    let endpoint = Endpoint::parse(&server.endpoint()).map_err(|e| e.to_string())?;
    let mut options = ClientOptions::new(endpoint, server.region());
    options.addressing_style = AddressingStyle::Path;
    let transport = Transport::new(&TransportOptions {
        use_env_proxy: false,
        ..TransportOptions::default()
    })
    .map_err(|e| e.to_string())?;
    let creds = StaticCredentials {
        credentials: Credentials::new(server.access_key(), server.secret_key(), None),
        source: "demo".into(),
    };
    Ok(Client::new(transport, Arc::new(creds), options))
}

fn get(client: &Client, key: &str) -> Result<Vec<u8>, String> {
    client
        .send(&ops::get_object(BUCKET, key))
        .map(|r| r.body)
        .map_err(|e| format!("reading {key} back failed: {e}"))
}

/// Decompresses and walks the archive; every regular file must equal its source.
fn compare_archive(archive: &[u8], source_dir: &Path) -> Result<usize, String> {
    let decoder =
        zstd::stream::read::Decoder::new(archive).map_err(|e| format!("not zstd: {e}"))?;
    let mut tar = tar::Archive::new(decoder);
    let mut checked = 0;
    for entry in tar
        .entries()
        .map_err(|e| format!("not a tar archive: {e}"))?
    {
        let mut entry = entry.map_err(|e| format!("bad tar entry: {e}"))?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let rel = entry.path().map_err(|e| e.to_string())?.into_owned();
        let rel = rel.strip_prefix("files").unwrap_or(&rel).to_owned();
        let mut got = Vec::new();
        entry.read_to_end(&mut got).map_err(|e| e.to_string())?;
        let want =
            std::fs::read(source_dir.join(&rel)).map_err(|e| format!("{}: {e}", rel.display()))?;
        if got != want {
            return Err(format!("{} differs in the archive", rel.display()));
        }
        checked += 1;
    }
    if checked == 0 {
        return Err("the archive holds no files".into());
    }
    Ok(checked)
}

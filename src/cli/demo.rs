//! `s3up demo`: the whole backup cycle in one command, offline. Starts the embedded S3 server on
//! a free loopback port, uploads a sample tree with `tar --zstd` and a larger file with `cp`
//! (multipart), downloads the file with `cp` and restores the tree with `restore` (both
//! verified against the stored checksums), compares every byte with the sources, and prints
//! the server's access-log lines that show each request was signed with SigV4.

use std::path::Path;
use std::process::{Command, ExitCode};

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
    println!(
        "== s3up demo: an S3 server that verifies every SigV4 signature is running at {}",
        server.endpoint()
    );
    println!(
        "   (bucket '{BUCKET}', access key {}, storage in a temporary directory)\n",
        server.access_key()
    );
    let tree = work.path().join("sample");
    let big = make_sample(&tree)?;
    let home = work.path().join("home");
    let s3up = S3up::new(&server, &home)?;
    s3up.run(&["cp", path_str(&big)?, "s3://demo/backups/database.dump"])?;
    s3up.run(&[
        "tar",
        "--zstd",
        "-C",
        path_str(&tree)?,
        "files",
        "s3://demo/backups/files.tar.zst",
    ])?;
    println!("\n== downloading the dump and restoring the archive with s3up, then comparing bytes");
    let back = work.path().join("restored");
    let dump = back.join("database.dump");
    s3up.run(&["cp", "s3://demo/backups/database.dump", path_str(&dump)?])?;
    s3up.run(&[
        "restore",
        "s3://demo/backups/files.tar.zst",
        "-C",
        path_str(&back)?,
    ])?;
    compare_dump(&big, &dump)?;
    let checked = compare_trees(&tree.join("files"), &back.join("files"))?;
    println!(
        "   files/: {checked} entries restored, identical to the source (bytes, modes, links)"
    );
    let sigv4 = print_access_log(&server)?;
    println!(
        "\n== done: {sigv4} requests, all SigV4 (AuthHeader). Against real S3:\n\
         \n   export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... AWS_REGION=...\n\
         \x20  s3up doctor s3://YOUR-BUCKET         # will it work, and is it SigV4? (seconds, not an hour of logs)\n\
         \x20  s3up cp /backup/*.tar s3://YOUR-BUCKET/\n\
         \x20  s3up tar --zstd /etc s3://YOUR-BUCKET/etc.tar.zst\n\
         \x20  s3up restore s3://YOUR-BUCKET/etc.tar.zst -C /srv/restore",
    );
    server.shutdown();
    Ok(())
}

/// The s3up binary itself, run against the demo server with nothing of the machine's
/// configuration (its own HOME, no profile, no proxy).
struct S3up<'a> {
    exe: std::path::PathBuf,
    home: &'a Path,
    server: &'a test_server::Server,
}

impl<'a> S3up<'a> {
    fn new(server: &'a test_server::Server, home: &'a Path) -> Result<Self, String> {
        std::fs::create_dir_all(home).map_err(|e| e.to_string())?;
        let exe =
            std::env::current_exe().map_err(|e| format!("cannot find the s3up binary: {e}"))?;
        Ok(Self { exe, home, server })
    }

    fn run(&self, args: &[&str]) -> Result<(), String> {
        println!("$ s3up {}", args.join(" "));
        let mut cmd = Command::new(&self.exe);
        cmd.args(args)
            .args(["--endpoint-url", &self.server.endpoint()])
            .env("AWS_ACCESS_KEY_ID", self.server.access_key())
            .env("AWS_SECRET_ACCESS_KEY", self.server.secret_key())
            .env("AWS_REGION", self.server.region())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("HOME", self.home);
        for var in [
            "AWS_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE",
            "HTTPS_PROXY",
            "HTTP_PROXY",
            "ALL_PROXY",
        ] {
            cmd.env_remove(var);
        }
        if args[0] != "restore" {
            cmd.arg("--no-progress");
        }
        let status = cmd.status().map_err(|e| format!("cannot run s3up: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("'s3up {}' failed ({status})", args.join(" ")))
        }
    }
}

fn compare_dump(source: &Path, downloaded: &Path) -> Result<(), String> {
    let want = std::fs::read(source).map_err(|e| e.to_string())?;
    let got = std::fs::read(downloaded).map_err(|e| e.to_string())?;
    if got != want {
        return Err("database.dump came back different from the file that was uploaded".into());
    }
    println!(
        "   database.dump: {} bytes, identical to the source",
        got.len()
    );
    Ok(())
}

/// Every entry of `source` is in `restored` as it was: the same bytes for files, the same
/// target for symlinks, the same permission bits.
fn compare_trees(source: &Path, restored: &Path) -> Result<usize, String> {
    let mut checked = 0;
    let mut stack = vec![std::path::PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let entries = std::fs::read_dir(source.join(&rel)).map_err(|e| e.to_string())?;
        for entry in entries {
            let name = entry.map_err(|e| e.to_string())?.file_name();
            let rel = rel.join(name);
            let (a, b) = (source.join(&rel), restored.join(&rel));
            let meta = |p: &Path| {
                std::fs::symlink_metadata(p).map_err(|e| format!("{}: {e}", rel.display()))
            };
            let (ma, mb) = (meta(&a)?, meta(&b)?);
            let same = if ma.file_type().is_symlink() {
                std::fs::read_link(&a).ok() == std::fs::read_link(&b).ok()
            } else if ma.is_dir() {
                stack.push(rel.clone());
                mb.is_dir()
            } else {
                std::fs::read(&a).ok() == std::fs::read(&b).ok()
            };
            use std::os::unix::fs::PermissionsExt;
            let mode = |m: &std::fs::Metadata| m.permissions().mode() & 0o7777;
            if !same || (!ma.file_type().is_symlink() && mode(&ma) != mode(&mb)) {
                return Err(format!("{} was not restored as it was", rel.display()));
            }
            checked += 1;
        }
    }
    Ok(checked)
}

/// The access log as a table; fails unless every request was SigV4. Returns their number.
fn print_access_log(server: &test_server::Server) -> Result<usize, String> {
    println!("\n== the server's access log (S3 server access log format), one line per request:");
    if let Some(first) = server.access_log().lines().next() {
        println!("{first}\n");
    }
    println!(
        "   operation          key                        status      bytes  signature auth type"
    );
    let records = server.access_log_records();
    for r in &records {
        let bytes = match r.bytes_sent {
            0 => "-".to_owned(),
            n => n.to_string(),
        };
        println!(
            "   {:<18} {:<26} {:>6} {:>10}  {:<9} {}",
            r.operation, r.key, r.status, bytes, r.signature_version, r.auth_type
        );
    }
    let sigv4 = records
        .iter()
        .filter(|r| r.signature_version == "SigV4")
        .count();
    if sigv4 == 0 || sigv4 != records.len() {
        return Err(format!(
            "{sigv4} of {} logged requests were SigV4",
            records.len()
        ));
    }
    Ok(sigv4)
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

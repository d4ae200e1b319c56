//! `s3up demo`, the README's first command: offline, no credentials, exits 0, shows SigV4.

use std::process::Command;

#[test]
fn demo_runs_offline_and_shows_sigv4_log_lines() {
    let home = tempfile::tempdir().expect("HOME");
    let out = Command::new(env!("CARGO_BIN_EXE_s3up"))
        .arg("demo")
        .env_clear()
        .env("HOME", home.path())
        .output()
        .expect("run demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("identical to the source"), "{stdout}");
    let sigv4_lines = stdout
        .lines()
        .filter(|l| l.contains("SigV4") && l.contains("AuthHeader"))
        .count();
    assert!(sigv4_lines >= 5, "{stdout}");
    assert!(
        stdout.contains("REST.PUT.PART") && stdout.contains("REST.PUT.OBJECT"),
        "{stdout}"
    );
    // The demo ends with the other half of the cycle: a download and a restore from S3, each
    // compared byte for byte with its source.
    assert!(
        stdout.contains("$ s3up restore s3://demo/backups/files.tar.zst")
            && stdout.contains("entries restored, identical to the source"),
        "{stdout}"
    );
    assert!(stdout.contains("REST.GET.OBJECT"), "{stdout}");
}

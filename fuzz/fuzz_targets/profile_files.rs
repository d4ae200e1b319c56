//! The shared config and credentials files (`~/.aws/config`, `~/.aws/credentials`), as a user
//! or another tool may have written them: the INI reader, profile selection, the nested `s3 =`
//! settings with their sizes and rates, and a `credential_process` command line. Malformed
//! input must give an error value, never a panic.
//!
//! Input: the config file, then optionally a NUL byte and the credentials file.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use s3up::context::Context;
use s3up::profile::{self, ini};
use s3up::units;
use s3up::transport::TransportOptions;

/// A directory of this process for the two files (TMPDIR; scripts/fuzz.sh points it at a
/// directory it removes afterwards).
fn dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("s3up-fuzz-profile-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("fuzz scratch directory");
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let (config, credentials) = match data.iter().position(|b| *b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &data[..0]),
    };
    let Ok(config_text) = std::str::from_utf8(config) else {
        return;
    };
    let sections = ini::parse(config_text, Path::new("config"));
    for line in config_text.lines().take(8) {
        let _ = units::parse_size(line);
        let _ = units::parse_rate(line);
        let _ = s3up::credentials::process::split(line);
    }

    let config_path = dir().join("config");
    let credentials_path = dir().join("credentials");
    std::fs::write(&config_path, config).expect("write config");
    std::fs::write(&credentials_path, credentials).expect("write credentials");
    let env = |name: &str| match name {
        "AWS_CONFIG_FILE" => Some(config_path.display().to_string()),
        "AWS_SHARED_CREDENTIALS_FILE" => Some(credentials_path.display().to_string()),
        _ => None,
    };
    let transport = TransportOptions::default();
    // The default profile, and the first section of the config file by name.
    let mut names = vec![None];
    if let Ok(sections) = &sections {
        if let Some(first) = sections.first() {
            names.push(Some(
                first
                    .name
                    .strip_prefix("profile ")
                    .unwrap_or(&first.name)
                    .to_owned(),
            ));
        }
    }
    for name in &names {
        let ctx = Context {
            env: &env,
            profile: name.as_deref(),
            transport: &transport,
        };
        if let Ok(settings) = profile::settings(&ctx) {
            let _ = settings.text("aws_access_key_id");
            let _ = settings.text("credential_process");
            let _ = settings.files_phrase();
            let _ = profile::from_settings(&settings);
        }
    }
});

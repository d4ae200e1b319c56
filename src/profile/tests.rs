use std::collections::HashMap;

use super::*;
use crate::transport::TransportOptions;

struct Files {
    dir: tempfile::TempDir,
    env: HashMap<String, String>,
}

impl Files {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut env = HashMap::new();
        env.insert("HOME".to_owned(), dir.path().display().to_string());
        Self { dir, env }
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(".aws").join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
        path
    }

    fn settings(&self, profile: Option<&str>) -> Result<ProfileSettings, Error> {
        let env = |k: &str| self.env.get(k).cloned();
        let transport = TransportOptions::default();
        settings(&Context {
            env: &env,
            profile,
            transport: &transport,
        })
    }

    fn load(&self, profile: Option<&str>) -> Result<Profile, Error> {
        self.settings(profile).and_then(|s| from_settings(&s))
    }
}

const CONFIG: &str = "\
# written by aws configure, then edited by hand
[default]
region = eu-central-1
s3 =
    max_concurrent_requests = 20
    multipart_threshold = 64MB
    multipart_chunksize = 16MiB
    max_bandwidth = 50MB/s
    addressing_style = path
    payload_signing_enabled = false
    signature_version = s3v4
    use_accelerate_endpoint = false

[profile backup]   ; the nightly job
  region=us-west-2
  endpoint_url = http://minio.local:9000   # MinIO
ca_bundle : /etc/ssl/minio.pem
s3 =
  multipart_chunksize = 1GB

[sso-session corp]
sso_region = us-east-1

[dev]
region = should-not-be-read
";

#[test]
fn reads_the_default_profile_with_nested_s3() {
    let f = Files::new();
    f.write("config", CONFIG);
    let p = f.load(None).expect("loads");
    assert_eq!(p.region.as_deref(), Some("eu-central-1"));
    assert_eq!(
        p.s3,
        S3Settings {
            max_concurrent_requests: Some(20),
            multipart_threshold: Some(64 << 20),
            multipart_chunksize: Some(16 << 20),
            max_bandwidth: Some(50 << 20),
            addressing_style: Some(AddressingStyle::Path),
            payload_signing_enabled: Some(false),
        }
    );
}

#[test]
fn selects_profiles_by_flag_then_aws_profile() {
    let mut f = Files::new();
    f.write("config", CONFIG);
    let p = f.load(Some("backup")).expect("loads");
    assert_eq!(p.region.as_deref(), Some("us-west-2"));
    assert_eq!(p.endpoint_url.as_deref(), Some("http://minio.local:9000"));
    assert_eq!(p.ca_bundle.as_deref(), Some("/etc/ssl/minio.pem"));
    assert_eq!(p.s3.multipart_chunksize, Some(1 << 30));
    f.env.insert("AWS_PROFILE".into(), "backup".into());
    assert_eq!(
        f.load(None).expect("loads").region.as_deref(),
        Some("us-west-2")
    );
    assert_eq!(
        f.load(Some("default")).expect("loads").region.as_deref(),
        Some("eu-central-1")
    );
    // A bare [dev] is not a profile in the config file.
    let e = f.load(Some("dev")).expect_err("no such profile");
    assert!(e.to_string().contains("'dev' (from --profile)"), "{e}");
    assert_eq!(e.exit_code(), 2);
}

#[test]
fn credentials_file_values_win_and_profile_default_is_default() {
    let f = Files::new();
    f.write(
        "config",
        "[profile default]\nregion = a\naws_access_key_id = FROMCONFIG\n",
    );
    f.write(
        "credentials",
        "[default]\naws_access_key_id = FROMCREDS\naws_secret_access_key = s\n",
    );
    let s = f.settings(None).expect("loads");
    assert_eq!(s.text("region").map(|(v, _)| v), Some("a"));
    assert_eq!(
        s.text("aws_access_key_id").map(|(v, _)| v),
        Some("FROMCREDS")
    );
    let shown = format!("{s:?}");
    assert!(
        shown.contains("aws_secret_access_key") && !shown.contains("FROMCREDS"),
        "{shown}"
    );
}

#[test]
fn explicit_file_variables_and_home_unset() {
    let mut f = Files::new();
    let other = f.dir.path().join("elsewhere.ini");
    std::fs::write(&other, "[default]\nregion = ap-south-1\n").expect("write");
    f.env.remove("HOME");
    // No HOME and no variables: an empty default profile, and the reason is recorded.
    let s = f.settings(None).expect("loads");
    assert!(!s.exists());
    assert!(
        s.files_phrase().contains("HOME is not set"),
        "{}",
        s.files_phrase()
    );
    assert_eq!(f.load(None).expect("loads"), Profile::default());
    f.env
        .insert("AWS_CONFIG_FILE".into(), other.display().to_string());
    assert_eq!(
        f.load(None).expect("loads").region.as_deref(),
        Some("ap-south-1")
    );
    // A missing explicit file is empty, as in aws-cli.
    f.env
        .insert("AWS_CONFIG_FILE".into(), "/nonexistent/config".into());
    assert_eq!(f.load(None).expect("loads"), Profile::default());
}

#[test]
fn errors_name_file_and_line() {
    let f = Files::new();
    let path = f.write(
        "config",
        "[default]\nregion = x\ns3 =\n  multipart_threshold = 16XB\n",
    );
    let e = f.load(None).expect_err("bad size");
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!("{}:4: s3.multipart_threshold", path.display())),
        "{shown}"
    );
    f.write("config", "[default]\nregion = x\ns3 = path\n");
    assert!(f
        .load(None)
        .expect_err("s3 value")
        .to_string()
        .contains("config:3:"));
    f.write("config", "[default]\nregion = x\nnot a setting\n");
    let e = f.load(None).expect_err("parse error").to_string();
    assert!(e.contains(&format!("{}:3:", path.display())), "{e}");
    f.write("config", "[default]\ns3 =\n  max_concurrent_requests = 0\n");
    assert!(f
        .load(None)
        .expect_err("zero")
        .to_string()
        .contains("config:3: s3.max_concurrent_requests"));
}

#[test]
fn sigv2_requests_only_warn() {
    let f = Files::new();
    f.write(
        "config",
        "[default]\ns3 =\n  signature_version = s3\n  addressing_style = virtual\n",
    );
    let p = f.load(None).expect("loads");
    assert_eq!(p.s3.addressing_style, Some(AddressingStyle::Virtual));
}

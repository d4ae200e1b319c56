use std::collections::HashMap;

use super::*;

struct Setup {
    dir: tempfile::TempDir,
    env: HashMap<String, String>,
}

impl Setup {
    /// An empty HOME and instance metadata pointed at a closed port (nothing listens on 1).
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut env = HashMap::new();
        env.insert("HOME".to_owned(), dir.path().display().to_string());
        env.insert(
            "AWS_EC2_METADATA_SERVICE_ENDPOINT".to_owned(),
            "http://127.0.0.1:1".to_owned(),
        );
        Self { dir, env }
    }

    fn set(&mut self, k: &str, v: &str) -> &mut Self {
        self.env.insert(k.to_owned(), v.to_owned());
        self
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path.display().to_string()
    }

    fn resolve(&self) -> Result<Arc<dyn ProvideCredentials>, Error> {
        let env = |k: &str| self.env.get(k).cloned();
        let transport = crate::transport::TransportOptions::default();
        let ctx = Context {
            env: &env,
            profile: None,
            transport: &transport,
        };
        resolve(&ctx, &crate::profile::settings(&ctx)?)
    }
}

#[test]
fn environment_beats_the_profile() {
    let mut s = Setup::new();
    let creds = s.file(
        "creds",
        "[default]\naws_access_key_id = PROFILEKEY\naws_secret_access_key = p\n",
    );
    s.set("AWS_SHARED_CREDENTIALS_FILE", &creds);
    let p = s.resolve().expect("profile");
    assert_eq!(p.credentials().expect("ok").access_key_id(), "PROFILEKEY");
    assert!(p.source().contains("profile 'default'"), "{}", p.source());
    s.set("AWS_ACCESS_KEY_ID", "ENVKEY")
        .set("AWS_SECRET_ACCESS_KEY", "e");
    let p = s.resolve().expect("env");
    assert_eq!(p.credentials().expect("ok").access_key_id(), "ENVKEY");
}

#[test]
fn half_set_sources_stop_the_chain() {
    let mut s = Setup::new();
    s.set("AWS_ACCESS_KEY_ID", "ENVKEY");
    let e = s.resolve().err().expect("partial env");
    assert!(
        e.to_string().contains("AWS_SECRET_ACCESS_KEY is not"),
        "{e}"
    );
    let mut s = Setup::new();
    let creds = s.file("creds", "[default]\naws_access_key_id = K\n");
    s.set("AWS_SHARED_CREDENTIALS_FILE", &creds);
    let e = s.resolve().err().expect("partial profile").to_string();
    assert!(
        e.contains(&format!("{creds}:2: aws_access_key_id is set")),
        "{e}"
    );
    assert!(e.contains("(1) environment"), "{e}");
}

#[test]
fn credential_process_json() {
    let mut s = Setup::new();
    let script = s.file(
        "creds.sh",
        "echo '{\"Version\": 1, \"AccessKeyId\": \"PROCESSKEY\", \"SecretAccessKey\": \"sekrit\", \"SessionToken\": \"tok\", \"Expiration\": \"2999-01-01T00:00:00Z\"}'\n",
    );
    let config = s.file(
        "config",
        &format!("[profile job]\ncredential_process = sh '{script}'\n"),
    );
    s.set("AWS_CONFIG_FILE", &config).set("AWS_PROFILE", "job");
    let p = s.resolve().expect("process");
    let c = p.credentials().expect("ok");
    assert_eq!(
        (c.access_key_id(), c.session_token()),
        ("PROCESSKEY", Some("tok"))
    );
    assert!(p.source().contains("credential_process"), "{}", p.source());

    let bad = s.file(
        "bad.sh",
        "echo '{\"AccessKeyId\": \"K\", \"SecretAccessKey\": \"sekrit\"}'\n",
    );
    s.file(
        "config",
        &format!("[profile job]\ncredential_process = sh {bad}\n"),
    );
    let e = s.resolve().err().expect("no version").to_string();
    assert!(e.contains("Version") && !e.contains("sekrit"), "{e}");
    s.file(
        "config",
        "[profile job]\ncredential_process = sh -c 'exit 3'\n",
    );
    let e = s.resolve().err().expect("fails").to_string();
    assert!(
        e.contains("credential_process") && e.contains("config:2"),
        "{e}"
    );
}

#[test]
fn nothing_found_lists_every_source() {
    let s = Setup::new();
    let e = s.resolve().err().expect("nothing");
    assert_eq!(e.exit_code(), 2);
    let shown = e.to_string();
    for part in [
        "(1) environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set",
        "(2) web identity: AWS_WEB_IDENTITY_TOKEN_FILE is not set",
        "(3) shared config files (profile 'default'):",
        "credentials: not found",
        "(4) container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "(5) EC2 instance metadata (http://127.0.0.1:1): nothing answers",
    ] {
        assert!(shown.contains(part), "missing {part:?} in {shown}");
    }
    let mut s = Setup::new();
    s.set("AWS_EC2_METADATA_DISABLED", "true");
    let shown = s.resolve().err().expect("nothing").to_string();
    assert!(
        shown.contains("disabled by AWS_EC2_METADATA_DISABLED"),
        "{shown}"
    );
}

#[test]
fn assume_role_profiles_are_named_not_skipped() {
    let mut s = Setup::new();
    let config = s.file(
        "config",
        "[default]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n",
    );
    s.set("AWS_CONFIG_FILE", &config);
    let e = s.resolve().err().expect("unsupported").to_string();
    assert!(
        e.contains("role_arn") && e.contains("export-credentials"),
        "{e}"
    );
}

#[test]
fn web_identity_needs_a_role() {
    let mut s = Setup::new();
    let token = s.file("token", "eyJ...");
    s.set("AWS_WEB_IDENTITY_TOKEN_FILE", &token);
    let e = s.resolve().err().expect("no role").to_string();
    assert!(e.contains("AWS_ROLE_ARN"), "{e}");
}

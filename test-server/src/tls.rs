//! HTTPS material made fresh at start: a self-signed CA, written as PEM for clients'
//! `--ca-bundle`, and leaf certificates it signs: one for `127.0.0.1`, `localhost`, `::1` and
//! the virtual-host domain (with its wildcard), and, with a domain, one per bucket host name
//! a client asks for (`bucket.DOMAIN`, by SNI) that names exactly that host, since OpenSSL-
//! and Node-based clients refuse a wildcard over a single-label name such as `*.localhost`.
//! The rustls server configuration (ring provider). It never reads certificates from
//! elsewhere.

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;

/// Most bucket host certificates kept (each is made once, on first use).
const MAX_HOST_CERTS: usize = 1024;

fn tls_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("TLS setup: {e}"))
}

/// The CA and the certificates it issued.
struct Issuer {
    ca: Certificate,
    ca_key: KeyPair,
    /// The virtual-host domain, without port.
    domain: Option<String>,
    default: Arc<CertifiedKey>,
    hosts: Mutex<HashMap<String, Arc<CertifiedKey>>>,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

/// A leaf for `names`, signed by the CA, with the CA in its chain.
fn leaf(ca: &Certificate, ca_key: &KeyPair, names: Vec<String>) -> io::Result<Arc<CertifiedKey>> {
    let key = KeyPair::generate().map_err(tls_err)?;
    let mut params = CertificateParams::new(names).map_err(tls_err)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "s3up test-server");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let leaf = params.signed_by(&key, ca, ca_key).map_err(tls_err)?;
    let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let signing = rustls::crypto::ring::sign::any_supported_type(&der).map_err(tls_err)?;
    Ok(Arc::new(CertifiedKey::new(
        vec![leaf.der().clone(), ca.der().clone()],
        signing,
    )))
}

impl Issuer {
    /// The certificate for a bucket host `BUCKET.DOMAIN`, made on first use.
    fn for_bucket_host(&self, host: &str) -> Option<Arc<CertifiedKey>> {
        let domain = self.domain.as_deref()?;
        let bucket = host.strip_suffix(domain)?.strip_suffix('.')?;
        if !s3s::path::check_bucket_name(bucket) {
            return None;
        }
        let mut hosts = self.hosts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(cert) = hosts.get(host) {
            return Some(Arc::clone(cert));
        }
        let cert = leaf(&self.ca, &self.ca_key, vec![host.to_owned()]).ok()?;
        if hosts.len() < MAX_HOST_CERTS {
            hosts.insert(host.to_owned(), Arc::clone(&cert));
        }
        Some(cert)
    }
}

impl ResolvesServerCert for Issuer {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let named = hello
            .server_name()
            .map(str::to_ascii_lowercase)
            .and_then(|host| self.for_bucket_host(&host));
        Some(named.unwrap_or_else(|| Arc::clone(&self.default)))
    }
}

fn make_ca() -> io::Result<(Certificate, KeyPair)> {
    let key = KeyPair::generate().map_err(tls_err)?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(tls_err)?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "s3up test-server CA");
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key).map_err(tls_err)?;
    Ok((cert, key))
}

/// Makes a CA and the default leaf, writes the CA's PEM to `ca_path`, and returns the server
/// config.
///
/// # Errors
/// Key generation, signing or writing the CA file fails.
pub fn make_server_config(
    ca_path: &Path,
    domain: Option<&str>,
) -> io::Result<Arc<rustls::ServerConfig>> {
    let (ca, ca_key) = make_ca()?;
    let domain = domain.map(|d| crate::facts::strip_port(d).to_ascii_lowercase());
    let mut names = vec![
        "127.0.0.1".to_owned(),
        "localhost".to_owned(),
        "::1".to_owned(),
    ];
    if let Some(d) = &domain {
        if !names.contains(d) {
            names.push(d.clone());
        }
        names.push(format!("*.{d}"));
    }
    std::fs::write(ca_path, ca.pem())?;
    let issuer = Issuer {
        default: leaf(&ca, &ca_key, names)?,
        ca,
        ca_key,
        domain,
        hosts: Mutex::new(HashMap::new()),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_err)?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(issuer));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Cipher suite and protocol version names of an established connection.
pub fn session_names(conn: &rustls::ServerConnection) -> (Option<String>, Option<String>) {
    let suite = conn
        .negotiated_cipher_suite()
        .map(|s| format!("{:?}", s.suite()));
    let version = conn.protocol_version().map(|v| match v {
        rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2".to_owned(),
        rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3".to_owned(),
        other => format!("{other:?}"),
    });
    (suite, version)
}

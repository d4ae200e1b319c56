//! HTTPS material made fresh at start: a self-signed CA and a leaf certificate for
//! `127.0.0.1`, `localhost` (and the virtual-host domain, with its wildcard), the CA written as
//! PEM for clients' `--ca-bundle`, and the rustls server configuration (ring provider). It
//! never reads certificates from elsewhere.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use std::io;
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

fn tls_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("TLS setup: {e}"))
}

/// Makes a CA and a leaf, writes the CA's PEM to `ca_path`, and returns the server config.
///
/// # Errors
/// Key generation, signing or writing the CA file fails.
pub fn make_server_config(
    ca_path: &Path,
    domain: Option<&str>,
) -> io::Result<Arc<rustls::ServerConfig>> {
    let ca_key = KeyPair::generate().map_err(tls_err)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(tls_err)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "s3up test-server CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).map_err(tls_err)?;

    let mut names = vec![
        "127.0.0.1".to_owned(),
        "localhost".to_owned(),
        "::1".to_owned(),
    ];
    if let Some(d) = domain {
        let d = crate::facts::strip_port(d).to_owned();
        if !names.contains(&d) {
            names.push(d.clone());
        }
        names.push(format!("*.{d}"));
    }
    let leaf_key = KeyPair::generate().map_err(tls_err)?;
    let mut leaf_params = CertificateParams::new(names).map_err(tls_err)?;
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "s3up test-server");
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf_params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let leaf = leaf_params
        .signed_by(&leaf_key, &ca_cert, &ca_key)
        .map_err(tls_err)?;

    std::fs::write(ca_path, ca_cert.pem())?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_err)?
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone(), ca_cert.der().clone()], key)
        .map_err(tls_err)?;
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

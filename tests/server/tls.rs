//! With `--tls --domain D`, each bucket host `bucket.D` gets a certificate naming it exactly
//! (issue 19, item 6): OpenSSL- and Node-based clients refuse a wildcard over a single-label
//! name such as `*.localhost`.

use super::{server_with, Server};

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use std::io::{Read, Write};
use std::sync::Arc;

/// The leaf certificate the server presents to a client asking for `host` (by SNI), after a
/// handshake that verified it against the server's CA.
fn presented(s: &Server, host: &str) -> Vec<u8> {
    let ca =
        CertificateDer::from_pem_file(s.ca_cert_path().expect("a CA with TLS")).expect("CA PEM");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca).expect("CA accepted");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocols")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_owned()).expect("a DNS name");
    let conn = rustls::ClientConnection::new(Arc::new(config), name).expect("client");
    let tcp = std::net::TcpStream::connect(s.addr()).expect("connect");
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    let request = format!("GET / HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n");
    tls.write_all(request.as_bytes())
        .expect("handshake verified and request sent");
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer);
    let certs = tls.conn.peer_certificates().expect("certificates");
    certs[0].as_ref().to_vec()
}

fn holds(der: &[u8], text: &str) -> bool {
    der.windows(text.len()).any(|w| w == text.as_bytes())
}

#[test]
fn bucket_hosts_get_certificates_naming_them_exactly() {
    let s = server_with(|c| {
        c.tls = true;
        c.domain = Some("localhost".to_owned());
    });
    let leaf = presented(&s, "bkt.localhost");
    assert!(
        holds(&leaf, "bkt.localhost"),
        "the certificate names bkt.localhost"
    );
    assert!(!holds(&leaf, "*.localhost"), "and no wildcard");
    let other = presented(&s, "other-bucket.localhost");
    assert!(holds(&other, "other-bucket.localhost"));
    let plain = presented(&s, "localhost");
    assert!(holds(&plain, "localhost") && !holds(&plain, "bkt.localhost"));
}

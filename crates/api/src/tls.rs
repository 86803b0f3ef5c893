//! TLS for the API (rustls, ring provider): a certificate chain and its key in
//! PEM files, read at start. A NOC puts the API behind its own PKI; plain HTTP
//! stays the default for loopback labs.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::error::ApiError;

/// A TLS acceptor from a PEM certificate chain (leaf first) and a PEM private key
/// (PKCS#8, PKCS#1 or SEC1). HTTP/1.1 only, as the server.
///
/// # Errors
///
/// [`ApiError::Tls`] naming the file and what is wrong with it.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, ApiError> {
    let bad = |path: &Path, why: String| ApiError::Tls(format!("{}: {why}", path.display()));
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad(cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad(cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(bad(cert, "no CERTIFICATE in the file".to_owned()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, e.to_string()))?;
    // ring, not aws-lc-rs: it builds with the C compiler every machine here has
    // (aws-lc needs cmake); rustls deprecates it only for lacking post-quantum
    // key exchange, which NOC clients of this API do not offer yet.
    #[allow(deprecated, reason = "see above")]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ApiError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| ApiError::Tls(format!("certificate and key: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

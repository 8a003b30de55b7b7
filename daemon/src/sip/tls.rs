//! SIP over TLS (RFC 3261 §26, `sips:` and `;transport=tls`): the stream transport of `tcp.rs`
//! on a listener of its own, with the certificate chain and key the administrator configures.

use anyhow::{Context, bail};
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Reads the PEM certificate chain and private key; every failure names the file and key.
pub fn acceptor(certificate: &Path, private_key: &Path) -> anyhow::Result<TlsAcceptor> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(certificate)
        .with_context(|| format!("sip.tls_certificate: cannot read {}", certificate.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("sip.tls_certificate: {} is not PEM", certificate.display()))?;
    if chain.is_empty() {
        bail!("sip.tls_certificate: {} holds no certificate", certificate.display());
    }
    let key = PrivateKeyDer::from_pem_file(private_key)
        .with_context(|| format!("sip.tls_private_key: {} holds no PEM private key", private_key.display()))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("sip.tls_certificate and sip.tls_private_key do not make a usable pair")?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

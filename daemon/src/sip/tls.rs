//! SIP over TLS (RFC 3261 §26, `sips:` and `;transport=tls`): the stream transport of `tcp.rs`
//! on a listener of its own, with the certificate chain and key the administrator configures;
//! and for calls Tessera places over TLS, the callee's certificate checked against the system's
//! certificate authorities and those of `sip.tls_ca_file`.

use anyhow::{Context, bail};
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::{TlsAcceptor, TlsConnector};

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

/// The client side, for calls Tessera places over TLS: the system's certificate authorities
/// (Debian's `ca-certificates`) and, when `ca_file` is set, the PEM certificates in it (a
/// private CA, or a room system's own certificate).
pub fn connector(ca_file: &Path) -> anyhow::Result<TlsConnector> {
    let mut roots = rustls::RootCertStore::empty();
    let system = rustls_native_certs::load_native_certs();
    let (added, _) = roots.add_parsable_certificates(system.certs);
    if !ca_file.as_os_str().is_empty() {
        let extra: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(ca_file)
            .with_context(|| format!("sip.tls_ca_file: cannot read {}", ca_file.display()))?
            .collect::<Result<_, _>>()
            .with_context(|| format!("sip.tls_ca_file: {} is not PEM", ca_file.display()))?;
        if extra.is_empty() {
            bail!("sip.tls_ca_file: {} holds no certificate", ca_file.display());
        }
        for c in extra {
            roots
                .add(c)
                .with_context(|| format!("sip.tls_ca_file: a certificate of {} is not usable", ca_file.display()))?;
        }
    }
    tracing::debug!(system = added, total = roots.len(), "SIP TLS: certificate authorities for calls out");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_that_is_missing_or_holds_no_certificate_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let e = connector(&dir.path().join("missing.pem")).err().unwrap();
        assert!(format!("{e:#}").contains("sip.tls_ca_file: cannot read"), "{e:#}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = connector(&empty).err().unwrap();
        assert!(format!("{e:#}").contains("holds no certificate"), "{e:#}");
        // Unset: the system's authorities only.
        assert!(connector(Path::new("")).is_ok());
    }
}

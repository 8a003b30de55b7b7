//! `http.tls = "self-signed"`: a small CA of this server's own (made once, kept in
//! `DATA_DIR/tls/`, valid ten years), and at every start a certificate it signs for this machine's
//! names and addresses (valid 397 days). A user adds the CA to their browser or system once
//! (downloaded from `/tls/ca.pem`, its SHA-256 fingerprint printed at start-up to compare); from
//! then on the pages open without a warning from every machine of the LAN.

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::path::Path;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// What start-up made: the certificate to serve, and the CA to offer.
pub struct Made {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub ca_pem: String,
    /// SHA-256 of the CA certificate (DER), as browsers show it: `AB:CD:…`.
    pub ca_fingerprint: String,
    /// The names and addresses the certificate is for.
    pub names: Vec<String>,
}

/// The CA's parameters, the same every time for the same key: its name carries a digest of the
/// key, so that two servers' CAs are told apart in a browser's list.
fn ca_params(key: &KeyPair) -> anyhow::Result<CertificateParams> {
    let mut p = CertificateParams::new(Vec::<String>::new()).context("CA parameters")?;
    let id = hex::encode(&Sha256::digest(key.public_key_raw())[..4]);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Tessera");
    dn.push(DnType::CommonName, format!("Tessera local CA {id}"));
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    Ok(p)
}

/// Colon-separated upper-case hex of SHA-256.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

/// The names a certificate for this machine covers: `localhost`, the host name, every address of
/// its interfaces, and those the administrator adds (`http.tls_names`).
pub fn local_names(extra: &[String]) -> Vec<String> {
    let mut names = vec!["localhost".to_string()];
    names.extend(crate::config::host_name());
    for i in if_addrs::get_if_addrs().unwrap_or_default() {
        names.push(i.ip().to_string());
    }
    names.extend(extra.iter().cloned());
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
    names
}

/// Loads the CA from `dir` (making it the first time) and signs a certificate for `names`.
pub fn make(dir: &Path, names: &[String]) -> anyhow::Result<Made> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let (key_path, cert_path) = (dir.join("ca-key.pem"), dir.join("ca.pem"));
    let ca_key = match std::fs::read_to_string(&key_path) {
        Ok(pem) => KeyPair::from_pem(&pem).with_context(|| format!("{} is not a private key", key_path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let k = KeyPair::generate().context("making the CA's key")?;
            crate::serve::write_private(&key_path, &k.serialize_pem())?;
            k
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", key_path.display())),
    };
    let params = ca_params(&ca_key)?;
    let ca_pem = match std::fs::read_to_string(&cert_path) {
        Ok(pem) => pem,
        Err(_) => {
            let mut p = params.clone();
            let now = time::OffsetDateTime::now_utc();
            p.not_before = now - time::Duration::days(1);
            p.not_after = now + time::Duration::days(3650);
            let pem = p.self_signed(&ca_key).context("signing the CA")?.pem();
            std::fs::write(&cert_path, &pem).with_context(|| format!("writing {}", cert_path.display()))?;
            pem
        }
    };
    let ca_der = CertificateDer::from_pem_slice(ca_pem.as_bytes())
        .with_context(|| format!("{} is not a PEM certificate", cert_path.display()))?;

    let mut leaf = CertificateParams::new(Vec::<String>::new()).context("certificate parameters")?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, names.first().cloned().unwrap_or_else(|| "localhost".into()));
    leaf.distinguished_name = dn;
    leaf.subject_alt_names = names
        .iter()
        .map(|n| match n.parse::<IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => n.clone().try_into().map(SanType::DnsName).with_context(|| format!("{n:?} is not a host name")),
        })
        .collect::<anyhow::Result<_>>()?;
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    leaf.use_authority_key_identifier_extension = true;
    let now = time::OffsetDateTime::now_utc();
    leaf.not_before = now - time::Duration::days(1);
    leaf.not_after = now + time::Duration::days(397);
    let leaf_key = KeyPair::generate().context("making the certificate's key")?;
    let issuer = Issuer::new(params, &ca_key);
    let cert = leaf.signed_by(&leaf_key, &issuer).context("signing the certificate")?;
    Ok(Made {
        chain: vec![cert.der().clone(), ca_der.clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        ca_fingerprint: fingerprint(&ca_der),
        ca_pem,
        names: names.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_is_kept_and_signs_a_certificate_for_the_names() {
        let dir = tempfile::tempdir().unwrap();
        let names = vec!["localhost".to_string(), "10.1.2.3".to_string(), "tessera.lan".to_string()];
        let first = make(dir.path(), &names).unwrap();
        let second = make(dir.path(), &names).unwrap();
        assert_eq!(first.ca_pem, second.ca_pem, "the CA is made once");
        assert_eq!(first.ca_fingerprint, second.ca_fingerprint);
        assert_ne!(first.chain[0], second.chain[0], "a new certificate each start");
        // The key file is the owner's only.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("ca-key.pem")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // rustls accepts the pair, and a client trusting the CA verifies the certificate for
        // each name (webpki, as browsers do).
        crate::tls::certified(second.chain.clone(), second.key.clone_key()).unwrap();
        let mut roots = tokio_rustls::rustls::RootCertStore::empty();
        roots.add(second.chain[1].clone()).unwrap();
        let verifier = tokio_rustls::rustls::client::WebPkiServerVerifier::builder_with_provider(
            std::sync::Arc::new(roots),
            std::sync::Arc::new(tokio_rustls::rustls::crypto::ring::default_provider()),
        )
        .build()
        .unwrap();
        use tokio_rustls::rustls::client::danger::ServerCertVerifier;
        use tokio_rustls::rustls::pki_types::{ServerName, UnixTime};
        for n in ["10.1.2.3", "tessera.lan", "localhost"] {
            let name = ServerName::try_from(n.to_string()).unwrap();
            verifier.verify_server_cert(&second.chain[0], &second.chain[1..], &name, &[], UnixTime::now()).unwrap();
        }
        let other = ServerName::try_from("evil.example".to_string()).unwrap();
        assert!(verifier.verify_server_cert(&second.chain[0], &[], &other, &[], UnixTime::now()).is_err());
        assert_eq!(second.ca_fingerprint.len(), 32 * 3 - 1);
    }
}

//! `http.tls = "acme"`: certificates from an ACME CA (RFC 8555; Let's Encrypt by default) for
//! the public names in `[acme] domains`, proved with the TLS-ALPN-01 challenge (RFC 8737) on the
//! HTTPS listener itself, so that port 443 is the only one the CA must reach.
//!
//! The account, the certificate and its key live in `DATA_DIR/acme/` (0600). At start the stored
//! certificate is served at once, even an expired one (with a warning), or a temporary
//! self-signed one when there is none yet; the order runs in the background and the new
//! certificate replaces the served one without dropping a connection. Renewal starts when a third
//! of the certificate's lifetime is left (30 days of Let's Encrypt's 90); a failure is logged,
//! shown by `/healthz` and the `tessera_acme_renewal_failing` gauge, and retried with back-off.

use super::{Resolver, certified};
use anyhow::{Context, bail};
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, ChallengeType, Identifier, NewAccount, NewOrder, OrderStatus,
    RetryPolicy,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::sign::CertifiedKey;

/// Let's Encrypt's production directory.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";

/// `[acme]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The public names the certificate is for; each must resolve to this server and reach its
    /// HTTPS listener on port 443.
    pub domains: Vec<String>,
    /// The CA's directory URL.
    pub directory: String,
    /// Where the CA writes about expiry and problems (optional).
    pub email: String,
    /// A PEM root to trust for the CA's own HTTPS (a private CA); empty: the system's roots.
    pub ca_roots: PathBuf,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { domains: Vec::new(), directory: LETS_ENCRYPT.into(), email: String::new(), ca_roots: PathBuf::new() }
    }
}

impl Settings {
    pub fn apply_env(&mut self, get: &impl Fn(&str) -> Option<String>) {
        if let Some(v) = get("TESSERA_ACME_DOMAINS") {
            self.domains = v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        }
        if let Some(v) = get("TESSERA_ACME_DIRECTORY") {
            self.directory = v;
        }
        if let Some(v) = get("TESSERA_ACME_EMAIL") {
            self.email = v;
        }
        if let Some(v) = get("TESSERA_ACME_CA_ROOTS") {
            self.ca_roots = PathBuf::from(v);
        }
    }

    /// Checked when `http.tls = "acme"`.
    pub fn validate(&self) -> anyhow::Result<()> {
        if self.domains.is_empty() {
            bail!("http.tls = \"acme\" needs acme.domains: the public names of this server (TESSERA_ACME_DOMAINS)");
        }
        for d in &self.domains {
            domain_ok(d).with_context(|| format!("acme.domains: {d:?}"))?;
        }
        if !self.directory.starts_with("https://") {
            bail!("acme.directory = {:?} must be an https:// URL (RFC 8555)", self.directory);
        }
        if !self.email.is_empty() && (!self.email.contains('@') || self.email.chars().any(|c| c.is_whitespace())) {
            bail!("acme.email = {:?} is not an email address", self.email);
        }
        if !self.ca_roots.as_os_str().is_empty() && !self.ca_roots.is_file() {
            bail!("acme.ca_roots = {}: no such file", self.ca_roots.display());
        }
        Ok(())
    }
}

/// A host name a public CA can issue for: letters, digits and hyphens in dot-separated labels.
fn domain_ok(d: &str) -> anyhow::Result<()> {
    if d.starts_with("*.") {
        bail!("wildcards cannot be proved with TLS-ALPN-01; list each name");
    }
    if d.parse::<std::net::IpAddr>().is_ok() {
        bail!("an address, not a name: public CAs issue for names (use http.tls = \"self-signed\" on a LAN)");
    }
    if d.len() > 253 || d.is_empty() {
        bail!("not a host name");
    }
    for label in d.split('.') {
        let fine = (1..=63).contains(&label.len())
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !fine {
            bail!("not a host name (labels of letters, digits and inner hyphens)");
        }
    }
    Ok(())
}

/// The certificate files in `DATA_DIR/acme/`.
struct Files {
    dir: PathBuf,
}

impl Files {
    fn certificate(&self) -> PathBuf {
        self.dir.join("certificate.pem")
    }
    fn key(&self) -> PathBuf {
        self.dir.join("private-key.pem")
    }
    fn account(&self) -> PathBuf {
        self.dir.join("account.json")
    }
}

/// Writes a file only its owner reads, whole or not at all.
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("new");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    f.write_all(text.as_bytes()).and_then(|()| f.sync_all()).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))
}

/// A certificate's names and validity, read from its DER.
#[derive(Debug, Clone, PartialEq)]
pub struct Validity {
    pub names: Vec<String>,
    pub not_before: i64,
    pub not_after: i64,
}

pub fn validity(der: &[u8]) -> anyhow::Result<Validity> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| anyhow::anyhow!("not a certificate: {e}"))?;
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            if let x509_parser::extensions::GeneralName::DNSName(d) = n {
                names.push(d.to_ascii_lowercase());
            }
        }
    }
    let v = cert.validity();
    Ok(Validity { names, not_before: v.not_before.timestamp(), not_after: v.not_after.timestamp() })
}

/// When to renew: once a third of the lifetime is left.
pub fn renew_at(v: &Validity) -> i64 {
    v.not_after - (v.not_after - v.not_before).max(0) / 3
}

/// A Unix time as RFC 3339, for log lines.
pub fn time_of(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| t.to_string())
}

pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// What `/healthz` says while renewal fails.
pub type Warn = Arc<dyn Fn(Option<String>) + Send + Sync>;

/// The ACME side of HTTPS: what start-up serves, and the task that keeps it current.
pub struct Acme {
    settings: Settings,
    files: Files,
    resolver: Arc<Resolver>,
    /// The served certificate's validity, when it came from the CA.
    current: std::sync::Mutex<Option<Validity>>,
}

/// The certificate to serve at start: the stored one, or a temporary one until the CA answers.
pub fn initial(settings: &Settings, data_dir: &Path) -> anyhow::Result<(CertifiedKey, Option<Validity>)> {
    let files = Files { dir: data_dir.join("acme") };
    std::fs::create_dir_all(&files.dir).with_context(|| format!("creating {}", files.dir.display()))?;
    if files.certificate().exists() {
        match super::read_files(&files.certificate(), &files.key()).and_then(|k| {
            let v = validity(k.cert.first().context("empty chain")?)?;
            Ok((k, v))
        }) {
            Ok((k, v)) => {
                if v.not_after <= now() {
                    tracing::warn!(
                        certificate = %files.certificate().display(),
                        "the stored ACME certificate has expired; it is served until the CA issues a new one"
                    );
                } else {
                    tracing::info!(
                        names = %v.names.join(", "),
                        expires = %time_of(v.not_after),
                        "HTTPS with the stored ACME certificate"
                    );
                }
                return Ok((k, Some(v)));
            }
            Err(e) => {
                tracing::warn!(error = format!("{e:#}"), "the stored ACME certificate is unusable; ordering a new one")
            }
        }
    }
    tracing::warn!(
        names = %settings.domains.join(", "),
        "no ACME certificate yet: a temporary self-signed one is served until the CA issues one"
    );
    let key = rcgen::KeyPair::generate().context("a temporary key")?;
    let mut params = rcgen::CertificateParams::new(settings.domains.clone()).context("a temporary certificate")?;
    params.distinguished_name.push(rcgen::DnType::CommonName, "Tessera temporary certificate");
    let cert = params.self_signed(&key).context("a temporary certificate")?;
    let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((certified(vec![cert.der().clone()], der)?, None))
}

impl Acme {
    pub fn new(settings: Settings, data_dir: &Path, resolver: Arc<Resolver>, current: Option<Validity>) -> Acme {
        Acme {
            settings,
            files: Files { dir: data_dir.join("acme") },
            resolver,
            current: std::sync::Mutex::new(current),
        }
    }

    fn current(&self) -> Option<Validity> {
        self.current.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Seconds to wait before ordering: none when there is no certificate for every name yet.
    fn wait(&self) -> u64 {
        match self.current() {
            Some(v) if self.settings.domains.iter().all(|d| v.names.contains(&d.to_ascii_lowercase())) => {
                (renew_at(&v) - now()).max(0) as u64
            }
            _ => 0,
        }
    }

    /// Orders, renews and retries for as long as the server runs.
    pub async fn run(self: Arc<Self>, warn: Warn) {
        let mut failures = 0u32;
        loop {
            if let Some(v) = self.current() {
                metrics::gauge!("tessera_tls_certificate_expiry_timestamp_seconds").set(v.not_after as f64);
            }
            tokio::time::sleep(Duration::from_secs(self.wait())).await;
            let result = tokio::time::timeout(Duration::from_secs(300), self.order()).await;
            match result.unwrap_or_else(|_| Err(anyhow::anyhow!("the CA did not finish within five minutes"))) {
                Ok(v) => {
                    failures = 0;
                    tracing::info!(
                        names = %v.names.join(", "),
                        expires = %time_of(v.not_after),
                        renew_after = %time_of(renew_at(&v)),
                        "HTTPS certificate issued by the ACME CA and now served"
                    );
                    metrics::counter!("tessera_acme_orders_total", "result" => "issued").increment(1);
                    metrics::gauge!("tessera_acme_renewal_failing").set(0.0);
                    warn(None);
                }
                Err(e) => {
                    failures += 1;
                    let retry = Duration::from_secs((30u64 << (failures - 1).min(9)).min(6 * 3600));
                    let e = format!("{e:#}");
                    let expires = self.current().map(|v| v.not_after);
                    let current_expires = expires.map(time_of);
                    tracing::error!(
                        error = %e,
                        directory = %self.settings.directory,
                        retry_in_seconds = retry.as_secs(),
                        current_expires = ?current_expires,
                        "HTTPS certificate not obtained from the ACME CA"
                    );
                    metrics::counter!("tessera_acme_orders_total", "result" => "failed").increment(1);
                    metrics::gauge!("tessera_acme_renewal_failing").set(1.0);
                    warn(Some(format!(
                        "HTTPS certificate renewal failing ({failures} attempts): {e}; {}",
                        match expires {
                            Some(t) if t > now() =>
                                format!("the current certificate expires in {} hours", (t - now()) / 3600),
                            Some(_) => "the current certificate has expired".into(),
                            None => "a temporary self-signed certificate is served".into(),
                        }
                    )));
                    tokio::time::sleep(retry).await;
                }
            }
        }
    }

    /// The account, made once and kept with the directory it belongs to.
    async fn account(&self) -> anyhow::Result<Account> {
        #[derive(Serialize, Deserialize)]
        struct Stored {
            directory: String,
            credentials: AccountCredentials,
        }
        let builder = || -> anyhow::Result<_> {
            if self.settings.ca_roots.as_os_str().is_empty() {
                Account::builder().context("the HTTP client for the CA")
            } else {
                Account::builder_with_root(&self.settings.ca_roots)
                    .with_context(|| format!("acme.ca_roots = {}", self.settings.ca_roots.display()))
            }
        };
        let path = self.files.account();
        if let Ok(text) = std::fs::read_to_string(&path)
            && let Ok(stored) = serde_json::from_str::<Stored>(&text)
            && stored.directory == self.settings.directory
        {
            return builder()?.from_credentials(stored.credentials).await.context("restoring the ACME account");
        }
        let contact = format!("mailto:{}", self.settings.email);
        let contacts: Vec<&str> = if self.settings.email.is_empty() { vec![] } else { vec![contact.as_str()] };
        let new = NewAccount { contact: &contacts, terms_of_service_agreed: true, only_return_existing: false };
        let (account, credentials) = builder()?
            .create(&new, self.settings.directory.clone(), None)
            .await
            .with_context(|| format!("creating an account at {}", self.settings.directory))?;
        let stored = Stored { directory: self.settings.directory.clone(), credentials };
        write_private(&path, &serde_json::to_string(&stored)?)?;
        tracing::info!(directory = %self.settings.directory, "ACME account created");
        Ok(account)
    }

    /// One order: prove every name, finalize, store and serve the certificate.
    async fn order(&self) -> anyhow::Result<Validity> {
        let account = self.account().await?;
        let ids: Vec<Identifier> = self.settings.domains.iter().map(|d| Identifier::Dns(d.clone())).collect();
        let mut order = account.new_order(&NewOrder::new(&ids)).await.context("placing the order")?;
        let mut authorizations = order.authorizations();
        while let Some(a) = authorizations.next().await {
            let mut a = a.context("reading an authorization")?;
            match a.status {
                AuthorizationStatus::Pending => {}
                AuthorizationStatus::Valid => continue,
                s => bail!("the authorization for {} is {s:?}", a.identifier()),
            }
            let name = a.identifier().to_string();
            let mut challenge = a
                .challenge(ChallengeType::TlsAlpn01)
                .with_context(|| format!("the CA offers no tls-alpn-01 challenge for {name}"))?;
            let digest = challenge.key_authorization().digest();
            self.resolver.set_challenge(&name, Some(Arc::new(challenge_certificate(&name, digest.as_ref())?)));
            challenge.set_ready().await.context("answering the challenge")?;
        }
        let retry = RetryPolicy::new().initial_delay(Duration::from_millis(500)).timeout(Duration::from_secs(180));
        let status = order.poll_ready(&retry).await.context("waiting for the CA to check the challenges");
        for d in &self.settings.domains {
            self.resolver.set_challenge(d, None);
        }
        match status? {
            OrderStatus::Ready => {}
            s => {
                let mut why = Vec::new();
                let mut authorizations = order.authorizations();
                while let Some(Ok(mut a)) = authorizations.next().await {
                    if let Ok(state) = a.refresh().await {
                        why.extend(state.challenges.iter().filter_map(|c| c.error.as_ref().map(|e| e.to_string())));
                    }
                }
                bail!("the order is {s:?}: {}", if why.is_empty() { "no reason given".into() } else { why.join("; ") });
            }
        }
        let key_pem = order.finalize().await.context("finalizing the order")?;
        let chain_pem = order.poll_certificate(&retry).await.context("downloading the certificate")?;
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
            .collect::<Result<_, _>>()
            .context("the CA's certificate is not PEM")?;
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).context("the new key")?;
        let v = validity(chain.first().context("the CA sent no certificate")?)?;
        let served = certified(chain, key)?;
        write_private(&self.files.key(), &key_pem)?;
        write_private(&self.files.certificate(), &chain_pem)?;
        self.resolver.set(served);
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Some(v.clone());
        Ok(v)
    }
}

/// The certificate a TLS-ALPN-01 challenge is answered with (RFC 8737 §3): self-signed, for the
/// one name, carrying the digest of the key authorization in a critical acmeIdentifier extension.
fn challenge_certificate(name: &str, digest: &[u8]) -> anyhow::Result<CertifiedKey> {
    let key = rcgen::KeyPair::generate().context("a challenge key")?;
    let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).context("the challenge certificate")?;
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(digest)];
    let cert = params.self_signed(&key).context("the challenge certificate")?;
    // Not `certified`: its check that key and certificate match parses the certificate with
    // webpki, which refuses the critical extension it does not know.
    let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let signer = super::provider().key_provider.load_private_key(der).context("the challenge key")?;
    Ok(CertifiedKey::new(vec![cert.der().clone()], signer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for ok in ["meet.example.org", "a-b.example", "tessera.test"] {
            domain_ok(ok).unwrap();
        }
        for bad in ["*.example.org", "10.0.0.1", "", "-a.example", "a..b", "a_b.example", "ex ample.org"] {
            assert!(domain_ok(bad).is_err(), "{bad}");
        }
        let mut s = Settings::default();
        assert!(s.validate().unwrap_err().to_string().contains("acme.domains"));
        s.domains = vec!["meet.example.org".into()];
        s.validate().unwrap();
        s.directory = "http://ca.example/dir".into();
        assert!(s.validate().unwrap_err().to_string().contains("https://"));
    }

    #[test]
    fn renewal_starts_with_a_third_left() {
        let v = Validity { names: vec![], not_before: 0, not_after: 90 * 86400 };
        assert_eq!(renew_at(&v), 60 * 86400);
    }

    #[test]
    fn challenge_certificate_carries_the_digest() {
        let digest = [7u8; 32];
        let k = challenge_certificate("meet.example.org", &digest).unwrap();
        let (_, cert) = x509_parser::parse_x509_certificate(&k.cert[0]).unwrap();
        let ext = cert
            .extensions()
            .iter()
            .find(|e| e.oid.to_id_string() == "1.3.6.1.5.5.7.1.31")
            .expect("the acmeIdentifier extension");
        assert!(ext.critical);
        // An OCTET STRING of the 32 bytes.
        assert_eq!(&ext.value[..2], &[0x04, 32]);
        assert_eq!(&ext.value[2..], &digest);
        assert_eq!(validity(&k.cert[0]).unwrap().names, ["meet.example.org"]);
    }
}

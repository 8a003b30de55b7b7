//! HTTPS for the personal area and the conference pages. Browsers give a page the camera and
//! microphone only in a secure context (`https://`, or `http://localhost`), so a server people
//! reach from other machines must speak TLS. Two ways, chosen by `http.tls`:
//! - `files`: the administrator's certificate chain and key (PEM), read again on SIGHUP without
//!   dropping a connection;
//! - `acme`: certificates from an ACME CA (Let's Encrypt by default) for `[acme] domains`, proved
//!   over this very listener (TLS-ALPN-01) and renewed in the background (see [`acme`]);
//! - `self-signed`: for a LAN trial without a domain, Tessera's own small CA (kept in the data
//!   directory, offered for download at `/tls/ca.pem`) signs a certificate for this machine's
//!   addresses and names at every start.
//!
//! When TLS is on, the plain HTTP listener redirects to HTTPS, except for browsers on this machine
//! (`/healthz` and the CA still answer there).

pub mod acme;
pub mod self_signed;

use anyhow::{Context, bail};
use axum::response::IntoResponse;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;

/// `http.tls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Off,
    Files,
    Acme,
    SelfSigned,
}

impl Mode {
    pub fn parse(s: &str) -> anyhow::Result<Mode> {
        match s {
            "" | "off" => Ok(Mode::Off),
            "files" => Ok(Mode::Files),
            "acme" => Ok(Mode::Acme),
            "self-signed" => Ok(Mode::SelfSigned),
            other => bail!("http.tls = {other:?}: use \"off\", \"files\", \"acme\" or \"self-signed\""),
        }
    }
}

/// The ALPN protocol of TLS-ALPN-01 (RFC 8737): a handshake that asks for it gets the
/// challenge's certificate and nothing else.
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

/// The certificate served, swapped whole when it is read again or renewed; and, while an ACME
/// order is being proved, the challenge certificate of each name.
#[derive(Debug)]
pub struct Resolver {
    current: RwLock<Arc<CertifiedKey>>,
    challenges: RwLock<HashMap<String, Arc<CertifiedKey>>>,
}

impl ResolvesServerCert for Resolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        if hello.alpn().is_some_and(|mut protocols| protocols.any(|p| p == ACME_TLS_ALPN)) {
            let name = hello.server_name()?.to_ascii_lowercase();
            return self.challenges.read().unwrap_or_else(|p| p.into_inner()).get(&name).cloned();
        }
        Some(self.current.read().unwrap_or_else(|p| p.into_inner()).clone())
    }
}

impl Resolver {
    fn new(key: CertifiedKey) -> Resolver {
        Resolver { current: RwLock::new(Arc::new(key)), challenges: RwLock::new(HashMap::new()) }
    }

    fn set(&self, key: CertifiedKey) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(key);
    }

    /// Offers (or withdraws) a TLS-ALPN-01 challenge certificate for a name.
    fn set_challenge(&self, name: &str, key: Option<Arc<CertifiedKey>>) {
        let mut c = self.challenges.write().unwrap_or_else(|p| p.into_inner());
        match key {
            Some(k) => c.insert(name.to_ascii_lowercase(), k),
            None => c.remove(&name.to_ascii_lowercase()),
        };
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A chain and key (DER) made into what rustls serves; checks that they belong together.
pub fn certified(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> anyhow::Result<CertifiedKey> {
    if chain.is_empty() {
        bail!("no certificate");
    }
    let ck =
        CertifiedKey::from_der(chain, key, &provider()).context("the certificate and the key do not make a pair")?;
    Ok(ck)
}

/// Reads a PEM chain and key; every failure names the setting and the file.
pub fn read_files(certificate: &Path, private_key: &Path) -> anyhow::Result<CertifiedKey> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(certificate)
        .with_context(|| format!("http.tls_certificate: cannot read {}", certificate.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("http.tls_certificate: {} is not PEM", certificate.display()))?;
    if chain.is_empty() {
        bail!("http.tls_certificate: {} holds no certificate", certificate.display());
    }
    let key = PrivateKeyDer::from_pem_file(private_key)
        .with_context(|| format!("http.tls_private_key: {} holds no PEM private key", private_key.display()))?;
    // Served all the same (better than nothing for clients that accept it), but said loudly.
    match acme::validity(&chain[0]) {
        Ok(v) if v.not_after <= acme::now() => tracing::warn!(
            certificate = %certificate.display(),
            expired = %acme::time_of(v.not_after),
            "the HTTPS certificate has expired: browsers refuse it; renew it and send SIGHUP"
        ),
        Ok(v) if v.not_before > acme::now() => tracing::warn!(
            certificate = %certificate.display(),
            valid_from = %acme::time_of(v.not_before),
            "the HTTPS certificate is not valid yet (is the clock right?)"
        ),
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(certificate = %certificate.display(), error = %e, "the HTTPS certificate cannot be read")
        }
    }
    certified(chain, key).context("http.tls_certificate and http.tls_private_key")
}

/// The TLS side of the listener, serving what `resolver` holds; with `acme`, it also answers
/// TLS-ALPN-01 challenges.
fn acceptor(resolver: &Arc<Resolver>, acme: bool) -> anyhow::Result<TlsAcceptor> {
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_cert_resolver(resolver.clone());
    // HTTP/1.1 only: the pages' same-origin checks read the Host header, which HTTP/2 does not
    // send, and WebSockets ride HTTP/1.1 anyway.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    if acme {
        config.alpn_protocols.push(ACME_TLS_ALPN.to_vec());
    }
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// HTTPS as configured: the acceptor, and what the rest of the server needs to know.
pub struct Https {
    pub acceptor: TlsAcceptor,
    resolver: Arc<Resolver>,
    /// The files to read again on SIGHUP (`files` mode).
    files: Option<(PathBuf, PathBuf)>,
    /// The self-signed CA, offered for download.
    pub ca_pem: Option<String>,
    /// Ordering and renewing from an ACME CA (`acme` mode), started once the listener is up.
    pub acme: Option<Arc<acme::Acme>>,
    /// `Strict-Transport-Security` goes with certificates browsers trust by themselves, never
    /// with the self-signed one (whose warning a user must still be able to click through).
    pub hsts: bool,
}

impl Https {
    pub fn new(key: CertifiedKey, files: Option<(PathBuf, PathBuf)>, ca_pem: Option<String>) -> anyhow::Result<Https> {
        let resolver = Arc::new(Resolver::new(key));
        let acceptor = acceptor(&resolver, false)?;
        let hsts = files.is_some();
        Ok(Https { acceptor, resolver, files, ca_pem, acme: None, hsts })
    }

    /// HTTPS with certificates from an ACME CA: the listener also answers TLS-ALPN-01.
    fn with_acme(settings: &acme::Settings, data_dir: &Path) -> anyhow::Result<Https> {
        let (key, validity) = acme::initial(settings, data_dir)?;
        let resolver = Arc::new(Resolver::new(key));
        let acme = Arc::new(acme::Acme::new(settings.clone(), data_dir, resolver.clone(), validity));
        Ok(Https {
            acceptor: acceptor(&resolver, true)?,
            resolver,
            files: None,
            ca_pem: None,
            acme: Some(acme),
            hsts: true,
        })
    }

    /// Whether there are files to read again.
    pub fn reloads(&self) -> bool {
        self.files.is_some()
    }

    /// Reads the certificate files again (SIGHUP); on failure the one in use stays.
    pub fn reload(&self) {
        let Some((cert, key)) = &self.files else { return };
        match read_files(cert, key) {
            Ok(k) => {
                self.resolver.set(k);
                tracing::info!(certificate = %cert.display(), "HTTPS certificate read again");
            }
            Err(e) => {
                tracing::error!(error = format!("{e:#}"), "HTTPS certificate not reloaded; the previous one stays")
            }
        }
    }
}

/// HTTPS as `config` sets it, or `None` when off. Logs what it serves and, for the self-signed
/// CA, its fingerprint and where to download it.
pub fn setup(config: &crate::config::Config) -> anyhow::Result<Option<Https>> {
    match Mode::parse(&config.http.tls)? {
        Mode::Off => Ok(None),
        Mode::Files => {
            let (c, k) = (config.http.tls_certificate.clone(), config.http.tls_private_key.clone());
            let key = read_files(&c, &k)?;
            tracing::info!(certificate = %c.display(), "HTTPS with the configured certificate (SIGHUP reads it again)");
            Ok(Some(Https::new(key, Some((c, k)), None)?))
        }
        Mode::Acme => {
            tracing::info!(
                names = %config.acme.domains.join(", "),
                directory = %config.acme.directory,
                "HTTPS with certificates from an ACME CA (TLS-ALPN-01 on this listener, which the CA must reach on port 443)"
            );
            Ok(Some(Https::with_acme(&config.acme, &config.data_dir)?))
        }
        Mode::SelfSigned => {
            let names = self_signed::local_names(&config.http.tls_names);
            let dir = config.data_dir.join("tls");
            let m =
                self_signed::make(&dir, &names).with_context(|| format!("the self-signed CA in {}", dir.display()))?;
            tracing::warn!(
                fingerprint = %m.ca_fingerprint,
                names = %m.names.join(", "),
                "HTTPS with Tessera's own CA: browsers warn until it is added to them; download it at /tls/ca.pem \
                 and compare this SHA-256 fingerprint"
            );
            Ok(Some(Https::new(certified(m.chain, m.key)?, None, Some(m.ca_pem))?))
        }
    }
}

/// The self-signed CA, for browsers and systems to trust.
fn ca_route(router: axum::Router, ca: Option<&String>) -> axum::Router {
    let Some(ca) = ca.cloned() else { return router };
    router.route(
        "/tls/ca.pem",
        axum::routing::get(move || {
            let ca = ca.clone();
            async move {
                (
                    [
                        (axum::http::header::CONTENT_TYPE, "application/x-pem-file"),
                        (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"tessera-ca.pem\""),
                    ],
                    ca,
                )
            }
        }),
    )
}

/// The application as served over HTTPS: with the CA's download, and HSTS for certificates
/// browsers trust by themselves.
pub fn secure_app(app: axum::Router, https: &Https) -> axum::Router {
    let app = ca_route(app, https.ca_pem.as_ref());
    if !https.hsts {
        return app;
    }
    app.layer(axum::middleware::map_response(|mut r: axum::response::Response| async move {
        r.headers_mut().insert(
            axum::http::header::STRICT_TRANSPORT_SECURITY,
            axum::http::HeaderValue::from_static("max-age=31536000"),
        );
        r
    }))
}

/// Whether a Host header names this machine's loopback (a secure context for browsers even over
/// plain HTTP).
fn loopback(host: &str) -> bool {
    let bare = host.rsplit_once(':').filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit())).map_or(host, |(h, _)| h);
    let bare = bare.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost") || bare.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// What the plain HTTP listener serves when HTTPS is on: for a browser on this machine
/// (`localhost`, `127.0.0.1`: a secure context already) the application itself; for anyone else
/// a permanent redirect to the same address over HTTPS. `/healthz` (for monitors) and the CA's
/// download (wanted before the CA is trusted) answer there for everyone.
pub fn redirect_app(app: axum::Router, https: &Https, https_port: u16) -> axum::Router {
    let local = app.clone();
    let redirect = move |req: axum::extract::Request| {
        let local = local.clone();
        async move {
            use tower::ServiceExt;
            let host = req.headers().get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
            if loopback(host) {
                return local.oneshot(req).await.into_response();
            }
            let bare = match host.rsplit_once(':') {
                Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => h,
                _ => host,
            };
            let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
            let to = if https_port == 443 {
                format!("https://{bare}{path}")
            } else {
                format!("https://{bare}:{https_port}{path}")
            };
            match axum::http::HeaderValue::from_str(&to) {
                Ok(v) if !bare.is_empty() => {
                    (axum::http::StatusCode::PERMANENT_REDIRECT, [(axum::http::header::LOCATION, v)]).into_response()
                }
                _ => (axum::http::StatusCode::BAD_REQUEST, "this address serves HTTPS only").into_response(),
            }
        }
    };
    let health = move |req: axum::extract::Request| {
        let app = app.clone();
        async move {
            use tower::ServiceExt;
            app.oneshot(req).await.into_response()
        }
    };
    let plain = axum::Router::new().route("/healthz", axum::routing::get(health)).fallback(redirect);
    ca_route(plain, https.ca_pem.as_ref())
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_hosts_are_told_apart() {
        for h in ["localhost", "localhost:8080", "127.0.0.1:8080", "127.0.0.2", "[::1]:8080", "LOCALHOST"] {
            assert!(super::loopback(h), "{h}");
        }
        for h in ["10.0.0.1:8080", "example.org", "", "[fe80::1]:80", "localhost.example.org"] {
            assert!(!super::loopback(h), "{h}");
        }
    }
}

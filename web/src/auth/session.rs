//! Sessions: a random token in an HttpOnly, SameSite=Lax cookie (Secure when configured), only
//! its SHA-256 stored; a new token at every sign-in; idle and absolute timeouts; a CSRF token
//! per session, checked on every state-changing request (form field `csrf` for pages, header
//! `X-CSRF-Token` for the API).

use crate::error::Error;
use crate::i18n::Lang;
use crate::msg;
use crate::state::{AppState, now};
use crate::store::UserRow;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, SocketAddr};

pub const SESSION_COOKIE: &str = "tessera_session";
pub const PRE_CSRF_COOKIE: &str = "tessera_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Write `last_seen_at` at most this often, not on every request.
const TOUCH_EVERY_SECS: i64 = 60;

#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: UserRow,
    pub csrf: String,
    pub session_hash: String,
    pub lang: Lang,
}

impl CurrentUser {
    pub fn check_csrf(&self, presented: &str) -> Result<(), Error> {
        if constant_time_eq(self.csrf.as_bytes(), presented.as_bytes()) {
            Ok(())
        } else {
            Err(Error::Forbidden(msg!("err.missing.wrong.csrf.token")))
        }
    }
}

/// 256 random bits, URL-safe.
pub fn new_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn client_ip(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> String {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

pub fn clear_cookie(state: &AppState, name: &str) -> String {
    set_cookie(state, name, "", 0)
}

/// Creates a session for the user and returns (cookie header value, CSRF token).
pub async fn start_session(state: &AppState, user_id: i64) -> Result<(String, String), Error> {
    let token = new_token();
    let csrf = new_token();
    state.store.create_session(&hash_token(&token), user_id, &csrf, now()).await?;
    let hours = state.cache.settings(&state.store).await?.session_absolute_hours;
    let cookie = set_cookie(state, SESSION_COOKIE, &token, hours * 3600);
    Ok((cookie, csrf))
}

/// The signed-in user of the request, if any and still valid.
pub async fn load(parts: &Parts, state: &AppState) -> Result<Option<CurrentUser>, Error> {
    if let Some(u) = parts.extensions.get::<CurrentUser>() {
        return Ok(Some(u.clone()));
    }
    let user = load_session(parts, state).await?;
    if let (Some(u), Some(asker)) = (&user, parts.extensions.get::<crate::localize::AskerLang>()) {
        asker.set(u.lang);
    }
    Ok(user)
}

async fn load_session(parts: &Parts, state: &AppState) -> Result<Option<CurrentUser>, Error> {
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else { return Ok(None) };
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let hash = hash_token(token);
    let t = now();
    let settings = state.cache.settings(&state.store).await?;
    let (idle, absolute) = (settings.session_idle_minutes * 60, settings.session_absolute_hours * 3600);
    let g = state.cache.generation(&state.store);
    let (s, last_seen) = match state.cache.session(&hash, g) {
        Some(c) => (c.row, c.last_seen_at),
        None => {
            let Some(s) = state.store.session(&hash).await? else { return Ok(None) };
            let seen = s.last_seen_at;
            state.cache.put_session(&hash, s.clone(), seen, g);
            (s, seen)
        }
    };
    if s.user.disabled || t - last_seen > idle || t - s.created_at > absolute {
        state.cache.forget_session(&hash);
        state.store.delete_session(&hash).await?;
        return Ok(None);
    }
    let touch = t - s.last_seen_at > TOUCH_EVERY_SECS;
    if touch {
        state.store.touch_session(&hash, t).await?;
    }
    state.cache.seen(&hash, t, touch);
    let path = parts.uri.path();
    if s.user.must_change_password && !crate::password_change::ALLOWED_BEFORE_CHANGE.contains(&path) {
        return Err(Error::PasswordChangeRequired { page: !path.starts_with("/api/") });
    }
    let lang = Lang::from_code(&s.user.language).unwrap_or(Lang::En);
    Ok(Some(CurrentUser { user: s.user, csrf: s.csrf_token, session_hash: hash, lang }))
}

/// A signed-in user for pages; anyone else is sent to the sign-in page.
pub struct PageUser(pub CurrentUser);

pub enum PageRejection {
    SignIn(String),
    Error(Error),
}

impl IntoResponse for PageRejection {
    fn into_response(self) -> Response {
        match self {
            PageRejection::SignIn(next) => Redirect::to(&format!("/login?next={}", urlencode(&next))).into_response(),
            PageRejection::Error(e) => e.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = PageRejection;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match load(parts, state).await {
            Ok(Some(u)) => Ok(PageUser(u)),
            Ok(None) => Err(PageRejection::SignIn(parts.uri.path().to_string())),
            Err(e) => Err(PageRejection::Error(e)),
        }
    }
}

/// A signed-in user for the JSON API: 401 otherwise; state-changing methods also need the
/// session's CSRF token in `X-CSRF-Token`.
pub struct ApiUser(pub CurrentUser);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let u = load(parts, state).await?.ok_or(Error::Unauthorized)?;
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            let presented = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            u.check_csrf(presented)?;
        }
        Ok(ApiUser(u))
    }
}

/// The client's address: the peer, or, when the peer is a trusted reverse proxy, the
/// right-most address in `X-Forwarded-For` that is not itself a trusted proxy.
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            client_ip(parts).map(|peer| forwarded_client(peer, &parts.headers, &state.config.trusted_proxies)),
        ))
    }
}

pub fn forwarded_client(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => continue,
            Ok(ip) => return ip,
            Err(_) => return peer,
        }
    }
    peer
}

/// The optional signed-in user, for pages that guests see too.
pub struct MaybeUser(pub Option<CurrentUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = Error;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        Ok(MaybeUser(load(parts, state).await?))
    }
}

/// Only same-origin paths may be a redirect target after sign-in: one leading `/`, then visible
/// ASCII only. Browsers drop tabs and newlines from URLs and read `\` as `/`, so `/\t/evil`
/// or `/\\evil` would become `//evil`, another site (OWASP ASVS 5.1.5).
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.len() < 512
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n
        }
        _ => "/home",
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = new_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, new_token());
        assert_eq!(hash_token("x").len(), 64);
    }

    #[test]
    fn next_is_local_only() {
        assert_eq!(safe_next(Some("/profile")), "/profile");
        assert_eq!(safe_next(Some("//evil.example")), "/home");
        assert_eq!(safe_next(Some("https://evil.example")), "/home");
        assert_eq!(safe_next(None), "/home");
        for bad in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil",
            "/\\evil.example",
            "/ /evil",
            "/\u{0b}/evil",
            "/\u{a0}/x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/home", "{bad:?}");
        }
        assert_eq!(safe_next(Some("/c/demo?embed=1#x")), "/c/demo?embed=1#x");
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.9, 198.51.100.7".parse().unwrap());
        assert_eq!(forwarded_client(proxy, &h, &[]), proxy);
        assert_eq!(forwarded_client(proxy, &h, &[proxy]).to_string(), "198.51.100.7");
        let other: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(forwarded_client(proxy, &h, &[proxy, other]).to_string(), "203.0.113.9");
        assert_eq!(forwarded_client(other, &h, &[proxy]), other);
        h.insert("x-forwarded-for", "garbage".parse().unwrap());
        assert_eq!(forwarded_client(proxy, &h, &[proxy]), proxy);
    }

    #[test]
    fn cookie_parsing() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; tessera_session=abc; b=2".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }
}

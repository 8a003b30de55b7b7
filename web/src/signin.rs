//! Signing in and out: the guest page, the sign-in form, and `POST/DELETE /api/v1/session`.

use crate::auth::session::{
    self, ClientAddr, MaybeUser, PRE_CSRF_COOKIE, SESSION_COOKIE, clear_cookie, constant_time_eq, cookie, safe_next,
    set_cookie, start_session,
};
use crate::auth::{ApiUser, AuthOutcome};
use crate::error::{Error, Result};
use crate::extract::ApiJson;
use crate::i18n::{Lang, tr};
use crate::layout::{notice, page};
use crate::msg;
use crate::state::{AppState, now};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use maud::html;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(guest_page))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/api/v1/session", post(api_sign_in).delete(api_sign_out))
}

fn guest_lang(headers: &HeaderMap) -> Lang {
    Lang::from_accept_language(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

async fn guest_page(MaybeUser(user): MaybeUser, headers: HeaderMap) -> Response {
    if user.is_some() {
        return Redirect::to("/home").into_response();
    }
    let lang = guest_lang(&headers);
    let body = html! {
        section.card {
            h1 { "Tessera" }
            p.muted { (tr(lang, "app.tagline")) }
            p { (tr(lang, "app.intro")) }
            p { a.button href="/login" { (tr(lang, "nav.sign_in")) } }
        }
    };
    Html(page(lang, tr(lang, "app.tagline"), None, body).into_string()).into_response()
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

fn login_form(lang: Lang, csrf: &str, next: &str, login: &str, message: Option<&str>) -> String {
    let body = html! {
        section.card.login-box {
            h1 { (tr(lang, "login.title")) }
            @if let Some(m) = message { (notice("error", m)) }
            form method="post" action="/login" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="next" value=(next);
                label for="login" { (tr(lang, "login.login")) }
                input #login type="text" name="login" value=(login) autocomplete="username" autofocus required maxlength="64";
                label for="password" { (tr(lang, "login.password")) }
                input #password type="password" name="password" autocomplete="current-password" required maxlength="256";
                p { button #submit type="submit" { (tr(lang, "login.submit")) } }
            }
            p.muted { (tr(lang, "login.hint")) }
        }
    };
    page(lang, tr(lang, "login.title"), None, body).into_string()
}

async fn login_page(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref()).to_string();
    if user.is_some() {
        return Redirect::to(&next).into_response();
    }
    // Double-submit token against login CSRF: the form must echo the cookie.
    let token = match cookie(&headers, PRE_CSRF_COOKIE) {
        Some(t) if t.len() == 43 => t.to_string(),
        _ => session::new_token(),
    };
    let html = login_form(guest_lang(&headers), &token, &next, "", None);
    ([(header::SET_COOKIE, set_cookie(&state, PRE_CSRF_COOKIE, &token, 3600))], Html(html)).into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

fn normalise_login(login: &str) -> Result<String> {
    let l = login.trim().to_lowercase();
    if l.is_empty() {
        return Err(Error::field("login", msg!("err.required")));
    }
    if l.chars().count() > 64 {
        return Err(Error::field("login", msg!("err.max.chars", max = 64u32)));
    }
    Ok(l)
}

fn check_password_field(password: &str) -> Result<()> {
    if password.is_empty() {
        return Err(Error::field("password", msg!("err.required")));
    }
    if password.chars().count() > crate::validate::MAX_PASSWORD {
        return Err(Error::field("password", msg!("err.max.chars", max = 256u32)));
    }
    Ok(())
}

async fn login_submit(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let lang = guest_lang(&headers);
    let next = safe_next(Some(&f.next)).to_string();
    let expected = cookie(&headers, PRE_CSRF_COOKIE).unwrap_or("");
    let fresh = session::new_token();
    let again = |status: StatusCode, key: &'static str, csrf: &str| {
        let html = login_form(lang, csrf, &next, &f.login, Some(tr(lang, key)));
        (status, [(header::SET_COOKIE, set_cookie(&state, PRE_CSRF_COOKIE, csrf, 3600))], Html(html)).into_response()
    };
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), f.csrf.as_bytes()) {
        return again(StatusCode::FORBIDDEN, "login.expired", &fresh);
    }
    let login = match normalise_login(&f.login).and_then(|l| check_password_field(&f.password).map(|_| l)) {
        Ok(l) => l,
        Err(_) => return again(StatusCode::UNAUTHORIZED, "login.failed", expected),
    };
    match state.lockout.authenticate_password(&login, &f.password, addr, now()).await {
        Ok(AuthOutcome::Success(user)) => match start_session(&state, user.id).await {
            Ok((cookie, _)) => {
                tracing::info!(login = %user.login, "signed in");
                let mut resp = Redirect::to(&next).into_response();
                let h = resp.headers_mut();
                for c in [cookie, clear_cookie(&state, PRE_CSRF_COOKIE)] {
                    if let Ok(v) = c.parse() {
                        h.append(header::SET_COOKIE, v);
                    }
                }
                resp
            }
            Err(e) => e.into_response(),
        },
        Ok(AuthOutcome::Invalid) => again(StatusCode::UNAUTHORIZED, "login.failed", expected),
        Ok(AuthOutcome::Locked { .. }) => again(StatusCode::LOCKED, "login.locked", expected),
        Ok(AuthOutcome::Throttled) => again(StatusCode::TOO_MANY_REQUESTS, "login.throttled", expected),
        Ok(AuthOutcome::Busy) => again(StatusCode::SERVICE_UNAVAILABLE, "login.busy", expected),
        Err(e) => Error::from(e).into_response(),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Form(f): Form<CsrfForm>,
) -> Result<Response> {
    if let Some(u) = user {
        u.check_csrf(&f.csrf)?;
        state.cache.forget_session(&u.session_hash);
        state.store.delete_session(&u.session_hash).await?;
        tracing::info!(login = %u.user.login, "signed out");
    }
    Ok(([(header::SET_COOKIE, clear_cookie(&state, SESSION_COOKIE))], Redirect::to("/")).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignInRequest {
    login: String,
    password: String,
}

/// The answer to a sign-in through the API: who, and the CSRF token to send on every
/// state-changing call (the session itself is the cookie).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SignedIn {
    pub user: SignedInUser,
    pub csrf_token: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SignedInUser {
    pub id: i64,
    pub login: String,
    pub display_name: String,
}

async fn api_sign_in(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(req): ApiJson<SignInRequest>,
) -> Result<Response> {
    let login = normalise_login(&req.login)?;
    check_password_field(&req.password)?;
    match state.lockout.authenticate_password(&login, &req.password, addr, now()).await? {
        AuthOutcome::Success(user) => {
            let (cookie, csrf) = start_session(&state, user.id).await?;
            tracing::info!(login = %user.login, "signed in through the API");
            let body = SignedIn {
                user: SignedInUser { id: user.id, login: user.login, display_name: user.display_name },
                csrf_token: csrf,
            };
            Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
        }
        AuthOutcome::Invalid => Err(Error::WrongCredentials(msg!("err.wrong.username.password"))),
        AuthOutcome::Locked { until } => {
            Err(Error::Locked { message: msg!("err.account.locked.sign.in"), locked_until: until })
        }
        AuthOutcome::Throttled => Err(Error::TooManyRequests(msg!("err.too.many.failed.sign"))),
        AuthOutcome::Busy => Err(Error::Unavailable(msg!("err.too.many.sign.ins"))),
    }
}

async fn api_sign_out(State(state): State<AppState>, ApiUser(u): ApiUser) -> Result<Response> {
    state.cache.forget_session(&u.session_hash);
    state.store.delete_session(&u.session_hash).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear_cookie(&state, SESSION_COOKIE))]).into_response())
}

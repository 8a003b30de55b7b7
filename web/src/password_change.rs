//! Changing one's own password: the page `/password` (linked from the profile) and
//! `POST /api/v1/me/password`. The current password is checked through the lockout service like a
//! sign-in (a wrong one counts against the account and the address); the new one sets the web
//! hash and the SIP digest together and ends every session, this one included, so the user signs
//! in again with it. An account that must change its password (see `auth::published`) can reach
//! nothing else until it has.

use crate::auth::session::{ClientAddr, PageUser, SESSION_COOKIE, clear_cookie};
use crate::auth::{ApiUser, AuthOutcome, CurrentUser};
use crate::error::{Error, Result};
use crate::extract::ApiJson;
use crate::i18n::{Lang, tr};
use crate::layout::{notice, page};
use crate::msg;
use crate::state::{AppState, now};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::html;
use serde::Deserialize;
use std::net::IpAddr;

/// The paths an account that must change its password may still reach.
pub const ALLOWED_BEFORE_CHANGE: &[&str] = &["/password", "/api/v1/me/password", "/logout", "/api/v1/session"];

pub fn router() -> Router<AppState> {
    Router::new().route("/password", get(form_page).post(form_submit)).route("/api/v1/me/password", post(api_change))
}

fn form(lang: Lang, u: &CurrentUser, message: Option<(&str, &str)>) -> String {
    let body = html! {
        section.card.login-box {
            h1 { (tr(lang, "password.title")) }
            @if u.user.must_change_password { (notice("warning", tr(lang, "password.required"))) }
            @if let Some((kind, m)) = message { (notice(kind, m)) }
            form method="post" action="/password" {
                input type="hidden" name="csrf" value=(u.csrf);
                label for="current" { (tr(lang, "password.current")) }
                input #current type="password" name="current_password" autocomplete="current-password" required maxlength="256";
                label for="new" { (tr(lang, "password.new")) }
                input #new type="password" name="new_password" autocomplete="new-password" required minlength="8" maxlength="256";
                label for="repeat" { (tr(lang, "password.repeat")) }
                input #repeat type="password" name="repeat_password" autocomplete="new-password" required minlength="8" maxlength="256";
                p { button #submit type="submit" { (tr(lang, "password.submit")) } }
            }
        }
    };
    page(lang, tr(lang, "password.title"), Some(u), body).into_string()
}

async fn form_page(PageUser(u): PageUser) -> Response {
    Html(form(u.lang, &u, None)).into_response()
}

#[derive(Deserialize)]
struct ChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    repeat_password: String,
}

async fn form_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    ClientAddr(addr): ClientAddr,
    Form(f): Form<ChangeForm>,
) -> Result<Response> {
    u.check_csrf(&f.csrf)?;
    let lang = u.lang;
    let again = |status: StatusCode, m: &str| (status, Html(form(lang, &u, Some(("error", m))))).into_response();
    if f.new_password != f.repeat_password {
        return Ok(again(StatusCode::UNPROCESSABLE_ENTITY, tr(lang, "password.mismatch")));
    }
    match change(&state, &u, &f.current_password, &f.new_password, addr).await {
        Ok(()) => Ok(([(header::SET_COOKIE, clear_cookie(&state, SESSION_COOKIE))], Redirect::to("/login?next=/home"))
            .into_response()),
        Err(e @ Error::Internal(_)) => Err(e),
        Err(e) => Ok(again(e.status(), &e.to_string())),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangeRequest {
    current_password: String,
    new_password: String,
}

async fn api_change(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ClientAddr(addr): ClientAddr,
    ApiJson(req): ApiJson<ChangeRequest>,
) -> Result<Response> {
    change(&state, &u, &req.current_password, &req.new_password, addr).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear_cookie(&state, SESSION_COOKIE))]).into_response())
}

async fn change(state: &AppState, u: &CurrentUser, current: &str, new: &str, addr: Option<IpAddr>) -> Result<()> {
    let new = crate::validate::new_password("new_password", new)?;
    if current.is_empty() || current.chars().count() > crate::validate::MAX_PASSWORD {
        return Err(Error::field("current_password", msg!("err.wrong")));
    }
    if new == current {
        return Err(Error::field("new_password", msg!("err.differ.from.current.password")));
    }
    match state.lockout.authenticate_password(&u.user.login, current, addr, now()).await? {
        AuthOutcome::Success(_) => {}
        AuthOutcome::Invalid => return Err(Error::field("current_password", msg!("err.wrong"))),
        AuthOutcome::Locked { until } => {
            return Err(Error::Locked { message: msg!("err.account.locked"), locked_until: until });
        }
        AuthOutcome::Throttled => {
            return Err(Error::TooManyRequests(msg!("err.too.many.failed.attempts.2")));
        }
        AuthOutcome::Busy => return Err(Error::Unavailable(msg!("err.server.busy.checking.passwords"))),
    }
    crate::auth::credentials::set_password(&state.store, u.user.id, &u.user.login, &new, now()).await?;
    state.cache.forget_session(&u.session_hash);
    tracing::info!(login = %u.user.login, "password changed; every session of the account ended");
    Ok(())
}

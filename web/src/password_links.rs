//! Set-password links: when email is on, an administrator mails a user a link to choose their
//! own password — for a new account (nobody ever sees a password) or when they forgot theirs.
//! The link (`/set-password/<token>`, 256 random bits; only its SHA-256 is stored) works once,
//! for [`LINK_HOURS`]. Choosing the password sets the web hash and the SIP digest together and
//! ends the user's sessions, as any password change does.

use crate::auth::credentials;
use crate::auth::session::{ClientAddr, hash_token, new_token};
use crate::error::{Error, Result};
use crate::i18n::{Arg, Lang, tr, trf};
use crate::layout::{notice, page};
use crate::msg;
use crate::state::{AppState, now};
use crate::store::UserRow;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use lettre::Message;
use lettre::message::{Mailbox, SinglePart};
use maud::html;
use serde::Deserialize;

/// How long a mailed link works.
pub const LINK_HOURS: i64 = 72;

pub fn router() -> Router<AppState> {
    Router::new().route("/set-password/{token}", get(form_page).post(submit))
}

/// Whether links can be mailed to this user: email is on and they have an address.
pub fn check_mailable(state: &AppState, email: &str) -> Result<()> {
    if state.mailer.is_none() {
        return Err(Error::Conflict(msg!("err.email.off.set.smtp.2")));
    }
    if email.trim().is_empty() {
        return Err(Error::field("email", msg!("err.link.mailed.user.s")));
    }
    Ok(())
}

/// Makes a link for `user` (any earlier one stops working) and mails it now.
pub async fn mail(state: &AppState, user: &UserRow, new_account: bool) -> Result<()> {
    check_mailable(state, &user.email)?;
    let Some(mailer) = state.mailer.clone() else { return Err(Error::Conflict(msg!("err.email.off"))) };
    let address = user
        .email
        .parse::<lettre::Address>()
        .map_err(|e| Error::field("email", crate::error::Msg::text(e.to_string())))?;
    let token = new_token();
    state.store.create_password_link(&hash_token(&token), user.id, now() + LINK_HOURS * 3600).await?;
    let base = state.config.public_url.trim_end_matches('/');
    // In the language of the user's profile.
    let lang = lang_of(user);
    let args = [("server", Arg::from(base)), ("login", Arg::from(&user.login)), ("hours", Arg::from(LINK_HOURS))];
    let why = trf(lang, if new_account { "mail.pwlink.new.account" } else { "mail.pwlink.reset" }, &args);
    let body = format!(
        "{why}\n\n{}\n{base}/set-password/{token}\n\n{}\n",
        trf(lang, "mail.pwlink.choose", &args),
        tr(lang, "mail.pwlink.unexpected")
    );
    let m = Message::builder()
        .from(mailer.from())
        .to(Mailbox::new(Some(user.shown_name().to_string()), address))
        .subject(tr(lang, "mail.pwlink.subject"))
        .singlepart(SinglePart::plain(body))
        .map_err(|e| Error::field("email", crate::error::Msg::text(e.to_string())))?;
    mailer.send(m).await.map_err(|e| Error::Unavailable(msg!("err.smtp.refused", why = format!("{e:#}"))))
}

fn form(lang: Lang, token: &str, user: &UserRow, message: Option<&str>) -> String {
    let t = |k: &'static str| tr(lang, k);
    let body = html! {
        section.card.login-box {
            h1 { (t("setpw.title")) }
            p { (t("setpw.for")) " " strong #setpw-login { (user.login) } }
            @if let Some(m) = message { (notice("error", m)) }
            form method="post" action={"/set-password/" (token)} {
                label for="new" { (t("password.new")) }
                input #new type="password" name="new_password" autocomplete="new-password" required minlength="8" maxlength="256";
                label for="repeat" { (t("password.repeat")) }
                input #repeat type="password" name="repeat_password" autocomplete="new-password" required minlength="8" maxlength="256";
                p { button #submit type="submit" { (t("password.submit")) } }
            }
        }
    };
    page(lang, t("setpw.title"), None, body).into_string()
}

fn gone(lang: Lang) -> Response {
    let body = html! {
        section.card.login-box {
            h1 { (tr(lang, "setpw.title")) }
            (notice("error", tr(lang, "setpw.gone")))
            p { a href="/login" { (tr(lang, "nav.sign_in")) } }
        }
    };
    (StatusCode::NOT_FOUND, Html(page(lang, tr(lang, "setpw.title"), None, body).into_string())).into_response()
}

async fn user_of(state: &AppState, token: &str) -> Result<Option<UserRow>> {
    if token.len() > 64 {
        return Ok(None);
    }
    let Some(id) = state.store.password_link(&hash_token(token), now()).await? else { return Ok(None) };
    Ok(state.store.user_by_id(id).await?.filter(|u| !u.disabled))
}

fn lang_of(u: &UserRow) -> Lang {
    Lang::from_code(&u.language).unwrap_or(Lang::En)
}

async fn form_page(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(token): Path<String>,
) -> Result<Response> {
    match user_of(&state, &token).await? {
        Some(u) => Ok(Html(form(lang_of(&u), &token, &u, None)).into_response()),
        None => {
            // A guessed link counts against the address like a wrong password.
            if let Some(a) = addr {
                state.lockout.record_address_failure(a, now());
            }
            Ok(gone(Lang::En))
        }
    }
}

#[derive(Deserialize)]
struct SetForm {
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    repeat_password: String,
}

async fn submit(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Path(token): Path<String>,
    Form(f): Form<SetForm>,
) -> Result<Response> {
    if let Some(a) = addr
        && state.lockout.address_throttled(a, now())
    {
        return Err(Error::TooManyRequests(msg!("err.too.many.failed.attempts")));
    }
    let Some(u) = user_of(&state, &token).await? else {
        if let Some(a) = addr {
            state.lockout.record_address_failure(a, now());
        }
        return Ok(gone(Lang::En));
    };
    let lang = lang_of(&u);
    let again = |m: &str| (StatusCode::UNPROCESSABLE_ENTITY, Html(form(lang, &token, &u, Some(m)))).into_response();
    if f.new_password != f.repeat_password {
        return Ok(again(tr(lang, "password.mismatch")));
    }
    let pw = match crate::validate::new_password("new_password", &f.new_password) {
        Ok(p) => p,
        Err(e) => return Ok(again(&e.to_string())),
    };
    // Used up before the password is set: of two submissions of one link, one sets it.
    if state.store.take_password_link(&hash_token(&token), now()).await?.is_none() {
        return Ok(gone(lang));
    }
    credentials::set_password(&state.store, u.id, &u.login, &pw, now()).await.map_err(Error::Internal)?;
    tracing::info!(user = %u.login, "password chosen through a mailed link");
    let body = html! {
        section.card.login-box #password-set {
            h1 { (tr(lang, "setpw.title")) }
            (notice("ok", tr(lang, "setpw.done")))
            p { a.button href="/login" { (tr(lang, "nav.sign_in")) } }
        }
    };
    Ok(Html(page(lang, tr(lang, "setpw.title"), None, body).into_string()).into_response())
}

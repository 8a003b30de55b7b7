//! **Contacts**: the user's address book — users of the server and SIP/H.323 addresses, each
//! with a name. Everyone sees their own; adding and removing needs the "edit address book"
//! right. The scheduling form offers the contacts as participants.

use crate::auth::{ApiUser, CurrentUser, PageUser};
use crate::error::{Error, Result};
use crate::extract::ApiJson;
use crate::i18n::tr;
use crate::layout::{notice, page};
use crate::msg;
use crate::rights::Right;
use crate::state::{AppState, now};
use crate::store::{Contact, StoreError};
use crate::validate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use axum::{Form, Json, Router};
use maud::html;
use serde::Deserialize;

/// The most contacts one address book holds.
pub const MAX_CONTACTS: usize = 1000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contacts", get(contacts_page).post(add_form))
        .route("/contacts/{id}/delete", post(delete_form))
        .route("/api/v1/contacts", get(list_api).post(add_api))
        .route("/api/v1/contacts/{id}", delete(delete_api))
        .route("/api/v1/address-book", get(shared_api).post(add_shared_api))
        .route("/api/v1/address-book/{id}", delete(delete_shared_api))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    /// A user of the server, by login…
    #[serde(default)]
    pub login: String,
    /// …or a SIP/H.323 address.
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub name: String,
}

async fn may_edit(state: &AppState, u: &CurrentUser) -> Result<()> {
    if state.store.rights_of(u.user.id).await?.contains(&Right::EditAddressBook) {
        Ok(())
    } else {
        Err(Error::Forbidden(msg!("err.you.do.not.have")))
    }
}

/// A contact's input checked: its name, and the user (not `me`) or the address it is.
pub async fn resolve(
    state: &AppState,
    me: Option<i64>,
    c: &NewContact,
) -> Result<(String, Option<i64>, Option<String>)> {
    let name = validate::text("name", &c.name, 100, false)?;
    let (user, address) = match (c.login.trim(), c.address.trim()) {
        ("", "") => return Err(Error::field("login", msg!("err.give.user.s.login.2"))),
        (l, a) if !l.is_empty() && !a.is_empty() => {
            return Err(Error::field("address", msg!("err.give.user.s.login.3")));
        }
        (login, "") => match state.store.user_by_login(login).await? {
            Some(x) if Some(x.id) == me => return Err(Error::field("login", msg!("err.you"))),
            Some(x) if !x.disabled => (Some(x.id), None),
            _ => return Err(Error::field("login", msg!("err.there.no.user", login = format!("{:?}", login)))),
        },
        (_, a) => (None, Some(crate::scheduling::input::address("address", a)?)),
    };
    Ok((name, user, address))
}

async fn add(state: &AppState, u: &CurrentUser, c: &NewContact) -> Result<i64> {
    may_edit(state, u).await?;
    let (name, user, address) = resolve(state, Some(u.user.id), c).await?;
    if state.store.own_contact_count(u.user.id).await? >= MAX_CONTACTS as i64 {
        return Err(Error::Conflict(msg!("err.address.book.holds.at", max_contacts = MAX_CONTACTS)));
    }
    match state.store.add_contact(u.user.id, user, address.as_deref(), &name, now()).await {
        Err(StoreError::Conflict(_)) => {
            Err(Error::field(if user.is_some() { "login" } else { "address" }, msg!("err.address.book.already")))
        }
        r => Ok(r?),
    }
}

async fn list_api(State(state): State<AppState>, ApiUser(u): ApiUser) -> Result<Json<Vec<Contact>>> {
    Ok(Json(state.store.contacts(u.user.id).await?))
}

async fn add_api(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(c): ApiJson<NewContact>,
) -> Result<Response> {
    let id = add(&state, &u, &c).await?;
    Ok((StatusCode::CREATED, Json(NewId { id })).into_response())
}

async fn delete_api(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<i64>) -> Result<StatusCode> {
    may_edit(&state, &u).await?;
    if state.store.delete_contact(u.user.id, id).await? { Ok(StatusCode::NO_CONTENT) } else { Err(Error::NotFound) }
}

/// The shared address book: everyone signed in reads it; operators change it (and the
/// administrator, with `tessera admin address-book`).
async fn shared_api(State(state): State<AppState>, ApiUser(_u): ApiUser) -> Result<Json<Vec<Contact>>> {
    Ok(Json(state.store.shared_contacts().await?))
}

async fn operator(state: &AppState, u: &CurrentUser) -> Result<()> {
    if state.store.rights_of(u.user.id).await?.contains(&Right::Operator) {
        Ok(())
    } else {
        Err(Error::Forbidden(msg!("err.shared.address.book.changed")))
    }
}

async fn add_shared_api(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(c): ApiJson<NewContact>,
) -> Result<Response> {
    operator(&state, &u).await?;
    let (name, user, address) = resolve(&state, None, &c).await?;
    match state.store.add_shared_contact(user, address.as_deref(), &name, now()).await {
        Ok(id) => Ok((StatusCode::CREATED, Json(NewId { id })).into_response()),
        Err(StoreError::Conflict(_)) => {
            Err(Error::field(if user.is_some() { "login" } else { "address" }, msg!("err.shared.address.book.already")))
        }
        Err(e) => Err(e.into()),
    }
}

async fn delete_shared_api(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
) -> Result<StatusCode> {
    operator(&state, &u).await?;
    if state.store.delete_shared_contact(id).await? { Ok(StatusCode::NO_CONTENT) } else { Err(Error::NotFound) }
}

#[derive(Deserialize)]
struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    contact: NewContact,
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
struct PageQuery {
    error: Option<String>,
}

async fn add_form(State(state): State<AppState>, PageUser(u): PageUser, Form(f): Form<AddForm>) -> Result<Response> {
    u.check_csrf(&f.csrf)?;
    Ok(match add(&state, &u, &f.contact).await {
        Ok(_) => Redirect::to("/contacts").into_response(),
        Err(e @ (Error::Field { .. } | Error::Conflict(_) | Error::Forbidden(_))) => {
            Redirect::to(&format!("/contacts?error={}", crate::scheduling::ics::enc(&e.render(u.lang)))).into_response()
        }
        Err(e) => return Err(e),
    })
}

async fn delete_form(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response> {
    u.check_csrf(&f.csrf)?;
    may_edit(&state, &u).await?;
    state.store.delete_contact(u.user.id, id).await?;
    Ok(Redirect::to("/contacts").into_response())
}

async fn contacts_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<PageQuery>,
) -> Result<Html<String>> {
    let lang = u.lang;
    let t = |k: &'static str| tr(lang, k);
    let (list, rights) = tokio::try_join!(state.store.contacts(u.user.id), state.store.rights_of(u.user.id))?;
    let editable = rights.contains(&Right::EditAddressBook);
    let may_call = rights.contains(&Right::MakeCalls);
    let body = html! {
        h1 { (t("contacts.title")) }
        @if let Some(e) = &q.error { (notice("error", e)) }
        div.grid {
            section.card #contact-list {
                @if list.is_empty() { p.muted { (t("contacts.empty")) } }
                ul.plain {
                    @for c in &list {
                        li.contact data-id=(c.id) {
                            strong { (c.name) } " "
                            span.muted { code { (c.login.as_deref().or(c.address.as_deref()).unwrap_or_default()) } }
                            @if c.shared { " " span.badge.shared title=(t("contacts.shared_help")) { (t("contacts.shared")) } }
                            @if let (true, Some(to)) = (may_call, c.login.as_deref().or(c.address.as_deref()).filter(|a| !a.starts_with("h323:") || state.config.h323_port.is_some())) {
                                " " a.call href={"/calls?to=" (crate::auth::session::urlencode(to))} { (t("calls.call")) }
                            }
                            @if editable && !c.shared {
                                " "
                                form.inline method="post" action={"/contacts/" (c.id) "/delete"} {
                                    input type="hidden" name="csrf" value=(u.csrf);
                                    button.link.remove type="submit" title=(t("contacts.remove")) { "×" }
                                }
                            }
                        }
                    }
                }
            }
            aside {
                @if editable {
                    section.card #add-contact {
                        h2 { (t("contacts.add")) }
                        form method="post" action="/contacts" {
                            input type="hidden" name="csrf" value=(u.csrf);
                            label for="login" { (t("contacts.login")) }
                            input #login type="text" name="login" maxlength="64";
                            label for="address" { (t("contacts.address")) }
                            input #address type="text" name="address" maxlength="200" placeholder="sip:room@example.org";
                            label for="cname" { (t("contacts.name")) }
                            input #cname type="text" name="name" maxlength="100";
                            p { button #add type="submit" { (t("sched.add")) } }
                        }
                    }
                } @else {
                    p.muted #no-edit-right { (t("contacts.no_right")) }
                }
            }
        }
    };
    Ok(Html(page(lang, t("contacts.title"), Some(&u), body).into_string()))
}

/// The id of what was added.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct NewId {
    pub id: i64,
}

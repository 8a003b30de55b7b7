//! The administrator's **control panel** (`/admin/…`): accounts (list, search, add, edit,
//! disable, lock, unlock, reset the password, rights, licenses, the administrator role), the
//! server-wide settings, the live view of what runs, and the audit log. Every action goes through
//! the same functions as the JSON API ([`crate::admin_users`], [`crate::admin_api`]) and is
//! recorded in the audit log with the client's address. To anyone without the role, every page
//! answers 404.

use crate::admin_api::{AdminUser, audited};
use crate::admin_users::{self as accounts, AccountChange, LicenseChange, NewAccount};
use crate::auth::session::{ClientAddr, urlencode};
use crate::error::{Error, Result};
use crate::i18n::{Lang, tr};
use crate::layout::{notice, page};
use crate::msg;
use crate::rights::Right;
use crate::state::{AppState, now};
use crate::store::{LicenseKind, UserRow};
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use maud::{Markup, html};
use serde::Deserialize;

/// The panel's pages that take no parameter, for the test that walks them.
pub const PAGES: &[&str] = &["/admin", "/admin/users", "/admin/live", "/admin/audit", "/admin/settings"];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(|_: AdminUser| async { Redirect::to("/admin/users") }))
        .route("/admin/users", get(users_page).post(create_form))
        .route("/admin/users/{id}", get(user_page).post(save_form))
        .route("/admin/users/{id}/action", post(action_form))
        .route("/admin/live", get(live_page))
        .route("/admin/audit", get(audit_page))
        .route("/admin/settings", get(settings_page).post(settings_form))
        .route("/admin/settings/smtp-test", post(smtp_test_form))
}

fn when(lang: Lang, secs: i64) -> String {
    let _ = lang;
    chrono::DateTime::from_timestamp(secs, 0).map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

/// A description whose `quoted` words are values to type: shown as code.
fn with_code(text: &str) -> Markup {
    html! {
        @for (i, part) in text.split('`').enumerate() {
            @if i % 2 == 1 { code { (part) } } @else { (part) }
        }
    }
}

/// The panel's tabs above every page of it.
fn tabs(lang: Lang, current: &str) -> Markup {
    let t = |k: &'static str| tr(lang, k);
    html! {
        nav.tabs aria-label=(t("adm.title")) {
            @for (href, key) in [("/admin/users", "adm.users"), ("/admin/live", "adm.live"), ("/admin/settings", "adm.settings"), ("/admin/audit", "adm.audit")] {
                a href=(href) aria-current=[(href == current).then_some("page")] { (t(key)) }
            }
        }
    }
}

fn admin_page(u: &crate::auth::CurrentUser, current: &str, title: &str, body: Markup) -> Html<String> {
    let lang = u.lang;
    let body = html! { h1 { (tr(lang, "adm.title")) " · " (title) } (tabs(lang, current)) (body) };
    Html(page(lang, title, Some(u), body).into_string())
}

fn license_text(lang: Lang, l: Option<crate::store::License>, now: i64) -> String {
    match l {
        None => tr(lang, "adm.license.none").to_string(),
        Some(l) if l.kind == LicenseKind::Permanent => tr(lang, "adm.license.permanent").to_string(),
        Some(l) if l.is_valid(now) => {
            format!("{} {}", tr(lang, "adm.license.until"), when(lang, l.expires_at.unwrap_or(0)))
        }
        Some(l) => format!("{} {}", tr(lang, "adm.license.expired"), when(lang, l.expires_at.unwrap_or(0))),
    }
}

#[derive(Deserialize)]
struct UsersQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    error: Option<String>,
}

async fn users_page(
    State(state): State<AppState>,
    AdminUser(u): AdminUser,
    Query(q): Query<UsersQuery>,
) -> Result<Html<String>> {
    let lang = u.lang;
    let t = |k: &'static str| tr(lang, k);
    let t_now = now();
    let list = accounts::search(&state.store, &q.q, q.page.unwrap_or(1), t_now).await?;
    let pages = ((list.total + list.page_size - 1) / list.page_size).max(1);
    let link = |p: i64| format!("/admin/users?q={}&page={p}", urlencode(&q.q));
    let body = html! {
        @if let Some(e) = &q.error { (notice("error", e)) }
        div.grid {
            section.card #user-list {
                form.inline role="search" method="get" action="/admin/users" {
                    label for="q" { (t("adm.search")) }
                    input #q type="search" name="q" value=(q.q) maxlength="100";
                    button type="submit" { (t("adm.find")) }
                }
                p.muted { (t("adm.found")) " " (list.total) }
                div.table-scroll role="region" aria-label=(t("adm.users")) tabindex="0" { table #users {
                    thead { tr {
                        th scope="col" { (t("adm.col.login")) } th scope="col" { (t("adm.col.name")) }
                        th scope="col" { (t("adm.col.state")) } th scope="col" { (t("adm.col.license")) }
                        th scope="col" { (t("adm.col.rights")) }
                    } }
                    tbody {
                        @for a in &list.accounts {
                            tr data-login=(a.user.login) {
                                td { a href={"/admin/users/" (a.user.id)} { (a.user.login) } @if a.user.is_admin { " " span.badge { (t("adm.admin")) } } }
                                td { (a.user.display_name) }
                                td.state { (state_text(lang, &a.user, a.locked_until)) }
                                td { (license_text(lang, a.license, t_now)) }
                                td { (a.rights.len()) " / " (Right::ALL.len()) }
                            }
                        }
                    }
                } }
                @if pages > 1 {
                    nav.pager aria-label=(t("adm.pages")) {
                        @if list.page > 1 { a rel="prev" href=(link(list.page - 1)) { "←" } " " }
                        span { (list.page) " / " (pages) }
                        @if list.page < pages { " " a rel="next" href=(link(list.page + 1)) { "→" } }
                    }
                }
            }
            aside {
                section.card #add-user {
                    h2 { (t("adm.add")) }
                    form method="post" action="/admin/users" {
                        input type="hidden" name="csrf" value=(u.csrf);
                        label for="login" { (t("adm.col.login")) }
                        input #login type="text" name="login" required maxlength="64" autocomplete="off";
                        label for="display_name" { (t("adm.col.name")) }
                        input #display_name type="text" name="display_name" maxlength="100";
                        label for="email" { (t("adm.email")) }
                        input #email type="email" name="email" maxlength="254";
                        label.check { input #admin type="checkbox" name="admin" value="on"; " " (t("adm.admin_role")) }
                        @if state.mailer.is_some() {
                            label.check { input #send_link type="checkbox" name="send_link" value="on"; " " (t("adm.send_link")) }
                        }
                        p.muted { (t("adm.add_help")) }
                        p { button #create type="submit" { (t("adm.create")) } }
                    }
                }
            }
        }
    };
    Ok(admin_page(&u, "/admin/users", t("adm.users"), body))
}

fn state_text(lang: Lang, u: &UserRow, locked_until: Option<i64>) -> String {
    if u.disabled {
        tr(lang, "adm.state.disabled").to_string()
    } else if let Some(t) = locked_until {
        format!("{} {}", tr(lang, "adm.state.locked"), when(lang, t))
    } else {
        tr(lang, "adm.state.active").to_string()
    }
}

#[derive(Deserialize)]
struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    admin: Option<String>,
    #[serde(default)]
    send_link: Option<String>,
}

/// Shows a generated password once, on its own page.
fn password_page(u: &crate::auth::CurrentUser, target: &UserRow, password: &str, created: bool) -> Html<String> {
    let lang = u.lang;
    let t = |k: &'static str| tr(lang, k);
    let body = html! {
        section.card #new-password {
            (notice("ok", if created { t("adm.created") } else { t("adm.reset_done") }))
            p { (t("adm.password_once")) }
            p { (t("adm.col.login")) ": " code #shown-login { (target.login) } }
            p { (t("adm.password")) ": " code #shown-password { (password) } }
            p { a href={"/admin/users/" (target.id)} { (t("adm.to_user")) } }
        }
    };
    admin_page(u, "/admin/users", t("adm.users"), body)
}

async fn create_form(
    State(state): State<AppState>,
    AdminUser(u): AdminUser,
    ClientAddr(addr): ClientAddr,
    Form(f): Form<CreateForm>,
) -> Result<Response> {
    u.check_csrf(&f.csrf)?;
    let a = NewAccount {
        login: f.login,
        display_name: f.display_name,
        email: f.email,
        password: None,
        admin: f.admin.is_some(),
        send_link: f.send_link.is_some(),
    };
    match accounts::create_and_mail(&state, &u, addr, &a).await {
        Ok((user, Some(pw))) => Ok(password_page(&u, &user, &pw, true).into_response()),
        Ok((user, None)) => Ok(Redirect::to(&format!("/admin/users/{}?done=link", user.id)).into_response()),
        Err(e @ (Error::Field { .. } | Error::Conflict(_) | Error::Unavailable(_))) => {
            Ok(Redirect::to(&format!("/admin/users?error={}", urlencode(&e.render(u.lang)))).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct UserQuery {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

async fn user_page(
    State(state): State<AppState>,
    AdminUser(u): AdminUser,
    Path(id): Path<i64>,
    Query(q): Query<UserQuery>,
) -> Result<Html<String>> {
    let lang = u.lang;
    let t = |k: &'static str| tr(lang, k);
    let t_now = now();
    let a = accounts::account(&state.store, accounts::find(&state.store, id).await?, t_now).await?;
    let until = match a.license {
        Some(l) if l.kind == LicenseKind::Temporary => l
            .expires_at
            .and_then(|e| chrono::DateTime::from_timestamp(e, 0))
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        _ => String::new(),
    };
    let kind = match a.license {
        None => "none",
        Some(l) if l.kind == LicenseKind::Permanent => "permanent",
        Some(_) => "temporary",
    };
    let action = |what: &'static str, key: &'static str| {
        html! {
            form.inline method="post" action={"/admin/users/" (id) "/action"} {
                input type="hidden" name="csrf" value=(u.csrf);
                input type="hidden" name="do" value=(what);
                button id={"do-" (what)} type="submit" { (t(key)) }
            }
        }
    };
    let body = html! {
        @if let Some(e) = &q.error { (notice("error", e)) }
        @match q.done.as_deref() {
            Some("link") => (notice("ok", t("adm.link_sent"))),
            Some(_) => (notice("ok", t("adm.saved"))),
            None => {}
        }
        div.grid {
            section.card #user-edit {
                h2 { (a.user.login) }
                p #user-state { (t("adm.col.state")) ": " strong { (state_text(lang, &a.user, a.locked_until)) } }
                form method="post" action={"/admin/users/" (id)} {
                    input type="hidden" name="csrf" value=(u.csrf);
                    label for="display_name" { (t("adm.col.name")) }
                    input #display_name type="text" name="display_name" value=(a.user.display_name) maxlength="100";
                    label for="email" { (t("adm.email")) }
                    input #email type="email" name="email" value=(a.user.email) maxlength="254";
                    fieldset {
                        legend { (t("adm.col.rights")) }
                        @for r in Right::ALL {
                            label.check {
                                input type="checkbox" name={"right." (r.as_str())} value="on" checked[a.rights.contains(&r)];
                                " " (tr(lang, r.title_key()))
                            }
                        }
                        label.check { input #admin type="checkbox" name="admin" value="on" checked[a.user.is_admin]; " " (t("adm.admin_role")) }
                    }
                    fieldset {
                        legend { (t("adm.col.license")) ": " (license_text(lang, a.license, t_now)) }
                        @for (v, key) in [("none", "adm.license.none"), ("permanent", "adm.license.permanent"), ("temporary", "adm.license.temporary")] {
                            label.check { input type="radio" name="license" value=(v) checked[kind == v]; " " (t(key)) }
                        }
                        label for="until" { (t("adm.license.until_date")) }
                        input #until type="date" name="until" value=(until);
                    }
                    p { button #save type="submit" { (t("adm.save")) } }
                }
            }
            aside {
                section.card #user-actions {
                    h2 { (t("adm.actions")) }
                    p { @if a.user.disabled { (action("enable", "adm.enable")) } @else { (action("disable", "adm.disable")) } }
                    p { @if a.locked_until.is_some() { (action("unlock", "adm.unlock")) } @else { (action("lock", "adm.lock")) } }
                    p { (action("reset", "adm.reset")) }
                    @if state.mailer.is_some() && !a.user.email.is_empty() { p { (action("mail_link", "adm.mail_link")) } }
                    p.muted { (t("adm.reset_help")) }
                }
            }
        }
    };
    Ok(admin_page(&u, "/admin/users", &a.user.login, body))
}

/// The edit form's fields: checkboxes and radios come as repeated pairs.
fn change_from_form(pairs: &[(String, String)]) -> Result<AccountChange> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let rights = Right::ALL
        .into_iter()
        .filter(|r| pairs.iter().any(|(n, _)| n.strip_prefix("right.") == Some(r.as_str())))
        .collect();
    let license = match get("license").as_deref() {
        None => None,
        Some("none") => Some(LicenseChange::None),
        Some("permanent") => Some(LicenseChange::Permanent),
        Some("temporary") => Some(LicenseChange::Temporary { until: get("until").unwrap_or_default() }),
        Some(_) => return Err(Error::field("license", msg!("err.none.permanent.temporary"))),
    };
    Ok(AccountChange {
        display_name: get("display_name"),
        email: get("email"),
        disabled: None,
        admin: Some(get("admin").is_some()),
        rights: Some(rights),
        license,
    })
}

async fn save_form(
    State(state): State<AppState>,
    AdminUser(u): AdminUser,
    ClientAddr(addr): ClientAddr,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response> {
    let csrf = pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or("");
    u.check_csrf(csrf)?;
    let target = accounts::find(&state.store, id).await?;
    let r = match change_from_form(&pairs) {
        Ok(c) => {
            let action = accounts::describe(&target.login, &c);
            audited(&state, &u, addr, action, accounts::change(&state.store, &u.user, &target, &c, now()).await).await
        }
        Err(e) => Err(e),
    };
    back(u.lang, id, r)
}

fn back(lang: Lang, id: i64, r: Result<()>) -> Result<Response> {
    match r {
        Ok(()) => Ok(Redirect::to(&format!("/admin/users/{id}?done=1")).into_response()),
        Err(e @ (Error::Field { .. } | Error::Conflict(_) | Error::Unavailable(_))) => {
            Ok(Redirect::to(&format!("/admin/users/{id}?error={}", urlencode(&e.render(lang)))).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(rename = "do", default)]
    what: String,
}

async fn action_form(
    State(state): State<AppState>,
    AdminUser(u): AdminUser,
    ClientAddr(addr): ClientAddr,
    Path(id): Path<i64>,
    Form(f): Form<ActionForm>,
) -> Result<Response> {
    u.check_csrf(&f.csrf)?;
    let target = accounts::find(&state.store, id).await?;
    let (store, t) = (&state.store, now());
    let action = format!("user.{} {}", f.what, target.login);
    let disable = |d: bool| AccountChange { disabled: Some(d), ..Default::default() };
    let r = match f.what.as_str() {
        "disable" => accounts::change(store, &u.user, &target, &disable(true), t).await,
        "enable" => accounts::change(store, &u.user, &target, &disable(false), t).await,
        "lock" => accounts::lock(store, &u.user, &target, t).await.map(|_| ()),
        "unlock" => accounts::unlock(store, &target).await.map(|_| ()),
        "mail_link" => {
            let r = crate::password_links::mail(&state, &target, false).await;
            let action = format!("user.mail_password_link {}", target.login);
            return match audited(&state, &u, addr, action, r).await {
                Ok(()) => Ok(Redirect::to(&format!("/admin/users/{id}?done=link")).into_response()),
                Err(e @ (Error::Field { .. } | Error::Conflict(_) | Error::Unavailable(_))) => back(u.lang, id, Err(e)),
                Err(e) => Err(e),
            };
        }
        "reset" => {
            let pw = audited(&state, &u, addr, action, accounts::reset_password(store, &target, t).await).await?;
            return Ok(password_page(&u, &target, &pw, false).into_response());
        }
        _ => return Err(Error::field("do", msg!("err.disable.enable.lock.unlock"))),
    };
    back(u.lang, id, audited(&state, &u, addr, action, r).await)
}

async fn live_page(State(state): State<AppState>, AdminUser(u): AdminUser) -> Result<Html<String>> {
    let lang = u.lang;
    let t = |k: &'static str| tr(lang, k);
    let live = crate::admin_api::live_view(&state).await;
    let since = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms).map(|d| d.format("%H:%M:%S").to_string()).unwrap_or_default()
    };
    let opt = |v: Option<f32>, unit: &str| v.map_or_else(|| "—".to_string(), |v| format!("{v:.1} {unit}"));
    let s = &live.system;
    let body = html! {
        section.card #system {
            h2 { (t("adm.system")) }
            p { (t("adm.cpu")) ": " strong #cpu { (s.cpu_percent) " %" } " (" (s.cores) " " (t("adm.cores")) "), "
                (t("adm.load")) ": " (s.load_1m) ", " (t("adm.memory")) ": " (s.memory_mib) " MiB" }
        }
        @if live.conferences.is_empty() { p.muted #nothing-runs { (t("adm.nothing_runs")) } }
        @for c in &live.conferences {
            section.card.running data-conference=(c.conference) {
                h2 { (c.conference) " " a.button href={"/conferences/" (c.conference) "/manage"} { (t("adm.manage")) } }
                p.muted {
                    (t("adm.since")) " " (c.started_at_ms.map(since).unwrap_or_default()) " · " (c.mode.as_str())
                    " · " (t("adm.encoder")) " " (state.config.encoder)
                    @if !c.outputs.is_empty() { " · " (c.outputs.join(", ")) }
                }
                table.participants {
                    thead { tr {
                        th scope="col" { (t("adm.col.name")) } th scope="col" { (t("adm.col.kind")) }
                        th scope="col" { (t("adm.col.address")) } th scope="col" { (t("adm.col.codec")) }
                        th scope="col" { (t("adm.col.receiving")) }
                        th scope="col" { (t("adm.col.loss")) } th scope="col" { (t("adm.col.jitter")) }
                        th scope="col" { (t("adm.col.joined")) }
                    } }
                    tbody {
                        @for p in &c.participants {
                            tr data-participant=(p.participant.id) {
                                td { (p.participant.name) }
                                td { (p.participant.kind.as_str()) }
                                td { (p.link.as_ref().map(|l| l.address.as_str()).unwrap_or("—")) }
                                td { (p.link.as_ref().map(|l| [l.audio_codec.clone(), l.video_codec.clone()].into_iter().flatten().collect::<Vec<_>>().join(" + ")).unwrap_or_default()) }
                                td.receiving { (opt(p.link.as_ref().and_then(|l| l.receive_kbps), "kbit/s")) }
                                td.loss { (opt(p.link.as_ref().and_then(|l| l.loss_percent), "%")) }
                                td.jitter { (opt(p.link.as_ref().and_then(|l| l.jitter_ms), "ms")) }
                                td { (since(p.participant.joined_at_ms)) }
                            }
                        }
                    }
                }
            }
        }
        section.card #registrations {
            h2 { (t("adm.registrations")) }
            @if live.registrations.is_empty() { p.muted { (t("adm.no_registrations")) } }
            ul.plain {
                @for r in &live.registrations {
                    li { strong { (r.login) } " " code { (r.contact) } " " span.muted { (r.expires_in_secs) " s" } }
                }
            }
        }
        script src="/static/admin-live.js" {}
    };
    Ok(admin_page(&u, "/admin/live", t("adm.live"), body))
}

async fn audit_page(State(state): State<AppState>, AdminUser(u): AdminUser) -> Result<Html<String>> {
    let lang = u.lang;
    let t = |k: &'static str| tr(lang, k);
    let rows = state.store.audit_log(500).await?;
    let body = html! {
        p { a.button #audit-csv href="/api/v1/admin/audit?format=csv" download { (t("adm.csv")) } " " span.muted { (t("adm.audit_help")) } }
        div.table-scroll role="region" aria-label=(t("adm.audit")) tabindex="0" { table #audit {
            thead { tr {
                th scope="col" { (t("adm.col.time")) } th scope="col" { (t("adm.col.actor")) }
                th scope="col" { (t("adm.col.source")) } th scope="col" { (t("adm.col.action")) }
                th scope="col" { (t("adm.col.outcome")) }
            } }
            tbody {
                @for e in &rows {
                    tr {
                        td { (chrono::DateTime::from_timestamp_millis(e.at_ms).map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default()) }
                        td { (e.actor) } td { (e.source) } td { code { (e.action) } }
                        // Recorded as it happened, in the server's language.
                        td lang="en" { (e.outcome) }
                    }
                }
            }
        } }
    };
    Ok(admin_page(&u, "/admin/audit", t("adm.audit"), body))
}

#[derive(Deserialize)]
struct SettingsQuery {
    #[serde(default)]
    error: Option<String>,
    /// The outcome of a test message: "ok: …" or the error.
    #[serde(default)]
    smtp: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

async fn settings_page(
    State(state): State<AppState>,
    AdminUser(u): AdminUser,
    Query(q): Query<SettingsQuery>,
) -> Result<Html<String>> {
    let lang = u.lang;
    let t = |k: &'static str| tr(lang, k);
    let list = crate::admin_api::settings(&state.store).await?;
    let body = html! {
        @if let Some(e) = &q.error { (notice("error", e)) }
        @if q.done.is_some() { (notice("ok", t("adm.saved"))) }
        section.card #settings {
            form method="post" action="/admin/settings" {
                input type="hidden" name="csrf" value=(u.csrf);
                @for s in &list {
                    label for=(s.key) { code { (s.key) } }
                    @if let Some(source) = &s.fixed_by {
                        input id=(s.key) type="text" value=(s.value) readonly aria-describedby={(s.key) "-fixed"};
                        p.muted.fixed id={(s.key) "-fixed"} { (t("adm.fixed_by")) " " (source) }
                    } @else {
                        input id=(s.key) type="text" name=(s.key) value=(s.value) maxlength="1000";
                    }
                    p.muted { (with_code(t(s.description_key))) }
                }
                p { button #save-settings type="submit" { (t("adm.save")) } }
            }
            p.muted { (t("adm.settings_help")) }
        }
        section.card #smtp {
            h2 { (t("adm.smtp")) }
            @match &state.config.smtp {
                Some(c) => p #smtp-config { code { (c.host) ":" (c.port) } " (" (format!("{:?}", c.security)) "), " (t("adm.smtp_from")) " " code { (c.from) } " · " span.muted { (t("adm.smtp_fixed")) } },
                None => p #smtp-config.muted { (t("adm.smtp_off")) },
            }
            @if let Some(m) = &q.smtp { (notice(if m.starts_with("ok") { "ok" } else { "error" }, m.trim_start_matches("ok: "))) }
            form method="post" action="/admin/settings/smtp-test" {
                input type="hidden" name="csrf" value=(u.csrf);
                label for="smtp-to" { (t("adm.smtp_to")) }
                input #smtp-to type="email" name="to" required maxlength="254" value=(u.user.email);
                p { button #smtp-test type="submit" { (t("adm.smtp_test")) } }
            }
        }
    };
    Ok(admin_page(&u, "/admin/settings", t("adm.settings"), body))
}

async fn settings_form(
    State(state): State<AppState>,
    AdminUser(u): AdminUser,
    ClientAddr(addr): ClientAddr,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response> {
    let csrf = pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or("");
    u.check_csrf(csrf)?;
    // Only what changed is written (and recorded).
    let current = crate::admin_api::settings(&state.store).await?;
    let changed: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(k, v)| k != "csrf" && current.iter().all(|s| s.key != k || s.value != v.trim()))
        .collect();
    if changed.is_empty() {
        return Ok(Redirect::to("/admin/settings?done=1").into_response());
    }
    let action =
        format!("settings.set {}", changed.iter().map(|(k, v)| format!("{k}={v:?}")).collect::<Vec<_>>().join(" "));
    let r = audited(&state, &u, addr, action, crate::admin_api::set_settings(&state.store, &changed).await).await;
    Ok(match r {
        Ok(()) => Redirect::to("/admin/settings?done=1").into_response(),
        Err(e @ Error::Field { .. }) => {
            Redirect::to(&format!("/admin/settings?error={}", urlencode(&e.render(u.lang)))).into_response()
        }
        Err(e) => return Err(e),
    })
}

#[derive(Deserialize)]
struct SmtpTestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    to: String,
}

async fn smtp_test_form(
    State(state): State<AppState>,
    AdminUser(u): AdminUser,
    ClientAddr(addr): ClientAddr,
    Form(f): Form<SmtpTestForm>,
) -> Result<Response> {
    u.check_csrf(&f.csrf)?;
    let r = crate::mail::test_message(&state, u.lang, &f.to).await;
    let outcome = match audited(&state, &u, addr, format!("smtp.test to={:?}", f.to), r).await {
        Ok(()) => format!("ok: {} {}", tr(u.lang, "adm.smtp_sent"), f.to.trim()),
        Err(e @ (Error::Field { .. } | Error::Conflict(_) | Error::Unavailable(_))) => e.render(u.lang),
        Err(e) => return Err(e),
    };
    Ok(Redirect::to(&format!("/admin/settings?smtp={}", urlencode(&outcome))).into_response())
}

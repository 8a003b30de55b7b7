//! The main page: today's conferences, up to five virtual rooms, the PRO license and the rights.

use crate::auth::{ApiUser, CurrentUser, PageUser};
use crate::error::{Error, Result};
use crate::i18n::{Lang, tr};
use crate::layout::{notice, page};
use crate::msg;
use crate::rights::Right;
use crate::state::{AppState, now};
use crate::store::{ConferenceKind, ConferenceRow, License, LicenseKind, Role, Settings};
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use chrono::{NaiveTime, TimeZone};
use chrono_tz::Tz;
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub const MAX_ROOMS_ON_HOME: i64 = 5;
const RENEWAL_SECS: i64 = 24 * 60 * 60;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/home", get(home_page))
        .route("/home/license/renew", post(renew_form))
        .route("/api/v1/home", get(home_api))
        .route("/api/v1/me/license/renew", post(renew_api))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LicenseView {
    #[serde(flatten)]
    pub license: Option<License>,
    pub valid: bool,
    pub may_renew: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HomeData {
    pub today: Vec<ConferenceRow>,
    pub rooms: Vec<ConferenceRow>,
    pub rights: Vec<Right>,
    /// None when the administrator hides license information.
    pub license: Option<LicenseView>,
}

/// The user's local day as UTC Unix seconds `[start, end)`.
pub fn local_day(tz: Tz, now: i64) -> (i64, i64) {
    let local = tz.timestamp_opt(now, 0).single().map(|t| t.date_naive());
    let Some(date) = local else { return (now - now.rem_euclid(86_400), now - now.rem_euclid(86_400) + 86_400) };
    let start_of = |d: chrono::NaiveDate| {
        let naive = d.and_time(NaiveTime::MIN);
        // A DST jump can skip or repeat midnight; take the earliest valid instant.
        tz.from_local_datetime(&naive).earliest().map(|t| t.timestamp()).unwrap_or_else(|| naive.and_utc().timestamp())
    };
    let next = date.succ_opt().unwrap_or(date);
    (start_of(date), start_of(next))
}

pub fn user_tz(user: &CurrentUser) -> Tz {
    user.user.time_zone.parse::<Tz>().unwrap_or(Tz::UTC)
}

fn license_view(license: Option<License>, settings: &Settings, t: i64) -> Option<LicenseView> {
    settings.license_show_info.then(|| LicenseView {
        valid: license.is_some_and(|l| l.is_valid(t)),
        may_renew: settings.license_allow_renewal && license.is_some_and(|l| l.kind == LicenseKind::Temporary),
        license,
    })
}

impl HomeData {
    /// The main page's data, from the cache when nothing changed since it was read.
    pub async fn load(state: &AppState, user: &CurrentUser) -> Result<Arc<HomeData>> {
        let t = now();
        let (from, to) = local_day(user_tz(user), t);
        let id = user.user.id;
        let g = state.cache.generation(&state.store);
        if let Some(d) = state.cache.home(id, g, from, t) {
            return Ok(d);
        }
        let s = &state.store;
        let (today, rooms, rights, license, settings) = tokio::try_join!(
            s.scheduled_between(id, from, to),
            s.rooms(id, MAX_ROOMS_ON_HOME),
            s.rights_of(id),
            s.license(id),
            s.settings(),
        )?;
        // A temporary license that expires today changes the page when it does.
        let valid_until = license.and_then(|l| l.expires_at).filter(|&e| e > t).map_or(to, |e| e.min(to));
        let data = Arc::new(HomeData { today, rooms, rights, license: license_view(license, &settings, t) });
        state.cache.put_home(id, g, from, valid_until, data.clone());
        Ok(data)
    }
}

async fn home_api(State(state): State<AppState>, ApiUser(u): ApiUser) -> Result<Json<Arc<HomeData>>> {
    Ok(Json(HomeData::load(&state, &u).await?))
}

pub fn fmt_time(tz: Tz, t: i64, fmt: &str) -> String {
    let Some(d) = tz.timestamp_opt(t, 0).single() else { return String::new() };
    // The lists' two formats without strftime's parsing (a thousand rows a page).
    use chrono::{Datelike, Timelike};
    match fmt {
        "%H:%M" => format!("{:02}:{:02}", d.hour(), d.minute()),
        "%Y-%m-%d %H:%M" => {
            format!("{:04}-{:02}-{:02} {:02}:{:02}", d.year(), d.month(), d.day(), d.hour(), d.minute())
        }
        _ => d.format(fmt).to_string(),
    }
}

pub(crate) fn role_key(r: Role) -> &'static str {
    match r {
        Role::Owner => "conf.role.owner",
        Role::Moderator => "conf.role.moderator",
        Role::Participant => "conf.role.participant",
    }
}

fn conference_item(lang: Lang, tz: Tz, c: &ConferenceRow) -> Markup {
    html! {
        li.conference data-id=(c.id) {
            @if c.kind == ConferenceKind::Scheduled {
                @if let Some(s) = c.starts_at { strong.time { (fmt_time(tz, s, "%H:%M")) } " " }
            }
            // The card, with its buttons (open the page, edit, manage, analytics), as in Meetings.
            @let card = match c.kind {
                ConferenceKind::Scheduled => format!("/meetings?view=all&selected={}", c.id),
                ConferenceKind::Room => format!("/rooms?selected={}", c.id),
            };
            a.name href=(card) { strong { (c.name) } }
            " "
            span.muted {
                (tr(lang, "conf.id")) " " code { (c.id) }
                " · " (tr(lang, role_key(c.my_role)))
                " · " (tr(lang, if c.access == "public" { "conf.public" } else { "conf.private" }))
                @if let Some(d) = c.duration_minutes { " · " (d) " " (tr(lang, "conf.minutes")) }
            }
        }
    }
}

fn license_block(lang: Lang, tz: Tz, csrf: &str, v: &LicenseView) -> Markup {
    html! {
        div.license #license {
            @match v.license {
                Some(License { kind: LicenseKind::Permanent, .. }) => {
                    span { (tr(lang, "license.permanent")) } " "
                    span.help-badge title=(tr(lang, "license.help")) { "?" }
                }
                Some(License { kind: LicenseKind::Temporary, expires_at }) => {
                    @let when = expires_at.map(|e| fmt_time(tz, e, "%Y-%m-%d %H:%M")).unwrap_or_default();
                    @if v.valid {
                        span { (tr(lang, "license.temporary")) " " time { (when) } } " "
                    } @else {
                        span.expired { (tr(lang, "license.expired")) " " time { (when) } } " "
                    }
                    span.help-badge title=(tr(lang, "license.help")) { "?" }
                    @if v.may_renew {
                        form.inline method="post" action="/home/license/renew" {
                            input type="hidden" name="csrf" value=(csrf);
                            " " button.secondary #renew type="submit" { (tr(lang, "license.renew")) }
                        }
                    }
                }
                None => { p.muted #no-license { (tr(lang, "license.none")) } }
            }
        }
    }
}

/// The notification at the bottom of the page: shown while the user has no valid license, or a
/// temporary one that ends within a day.
fn license_notification(lang: Lang, tz: Tz, v: &LicenseView) -> Markup {
    let t = now();
    let text = match v.license {
        _ if !v.valid => Some(tr(lang, "license.none").to_string()),
        Some(License { kind: LicenseKind::Temporary, expires_at: Some(e) }) if e - t < RENEWAL_SECS => {
            Some(format!("{} {}", tr(lang, "license.temporary"), fmt_time(tz, e, "%Y-%m-%d %H:%M")))
        }
        _ => None,
    };
    html! {
        @if let Some(text) = text {
            footer.notification #license-notification role="status" { (text) }
        }
    }
}

#[derive(Deserialize)]
struct HomeQuery {
    renewed: Option<String>,
}

async fn home_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<HomeQuery>,
) -> Result<Response> {
    let data = HomeData::load(&state, &u).await?;
    let lang = u.lang;
    let tz = user_tz(&u);
    let granted = |r: Right| data.rights.contains(&r);
    let body = html! {
        @if q.renewed.as_deref() == Some("1") { (notice("ok", tr(lang, "license.renewed"))) }
        @if q.renewed.as_deref() == Some("0") { (notice("error", tr(lang, "license.renew_denied"))) }
        div.grid {
            div {
                section.card #me {
                    h1 { (tr(lang, "home.hello")) ", " span #user-name { (u.user.shown_name()) } }
                    @if let Some(v) = &data.license { (license_block(lang, tz, &u.csrf, v)) }
                    @if granted(Right::CreateConferences) {
                        p.actions {
                            a.button #new-conference href="/conferences/new" { (tr(lang, "sched.new_conference")) } " "
                            a.button #new-room href="/conferences/new?kind=room" { (tr(lang, "sched.new_room")) }
                        }
                    }
                }
                section.card #today {
                    h2 { (tr(lang, "home.today")) }
                    @if data.today.is_empty() { p.muted { (tr(lang, "home.no_today")) } }
                    ul.plain { @for c in &data.today { (conference_item(lang, tz, c)) } }
                }
                section.card #rooms {
                    h2 { (tr(lang, "home.rooms")) }
                    @if data.rooms.is_empty() { p.muted { (tr(lang, "home.no_rooms")) } }
                    ul.plain { @for c in &data.rooms { (conference_item(lang, tz, c)) } }
                }
            }
            aside {
                section.card #rights {
                    h2 { (tr(lang, "home.rights")) }
                    ul.plain {
                        @for r in Right::ALL {
                            li class={"right " (if granted(r) { "granted" } else { "denied" })} data-right=(r.as_str()) {
                                strong { (tr(lang, r.title_key())) } " "
                                span.state { "— " (tr(lang, if granted(r) { "home.available" } else { "home.unavailable" })) }
                                span.help { (tr(lang, r.help_key())) }
                            }
                        }
                    }
                    p.muted { (tr(lang, "home.rights_hint")) }
                }
                section.card {
                    a #download href="/download" { (tr(lang, "nav.download")) }
                }
            }
        }
        @if let Some(v) = &data.license { (license_notification(lang, tz, v)) }
    };
    Ok(Html(page(lang, tr(lang, "nav.home"), Some(&u), body).into_string()).into_response())
}

/// Renews a temporary license for 24 hours from now; None when not allowed or not applicable.
async fn renew(state: &AppState, u: &CurrentUser) -> Result<License> {
    let settings = state.store.settings().await?;
    if !settings.license_allow_renewal {
        return Err(Error::Forbidden(msg!("err.administrator.does.not.allow")));
    }
    match state.store.renew_temporary_license(u.user.id, now() + RENEWAL_SECS).await? {
        Some(l) => {
            tracing::info!(login = %u.user.login, expires_at = ?l.expires_at, "temporary license renewed");
            Ok(l)
        }
        None => Err(Error::Conflict(msg!("err.you.have.no.temporary"))),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn renew_form(State(state): State<AppState>, PageUser(u): PageUser, Form(f): Form<CsrfForm>) -> Result<Response> {
    u.check_csrf(&f.csrf)?;
    let ok = match renew(&state, &u).await {
        Ok(_) => "1",
        Err(Error::Forbidden(_) | Error::Conflict(_)) => "0",
        Err(e) => return Err(e),
    };
    Ok(Redirect::to(&format!("/home?renewed={ok}")).into_response())
}

async fn renew_api(State(state): State<AppState>, ApiUser(u): ApiUser) -> Result<Json<License>> {
    Ok(Json(renew(&state, &u).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_day_follows_the_time_zone() {
        // 2026-11-24 22:30 UTC is already 2026-11-25 in Moscow (UTC+3).
        let t = chrono::Utc.with_ymd_and_hms(2026, 11, 24, 22, 30, 0).unwrap().timestamp();
        let (s, e) = local_day(Tz::UTC, t);
        assert_eq!(e - s, 86_400);
        assert_eq!(s, chrono::Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap().timestamp());
        let (s, _) = local_day("Europe/Moscow".parse().unwrap(), t);
        assert_eq!(s, chrono::Utc.with_ymd_and_hms(2026, 11, 24, 21, 0, 0).unwrap().timestamp());
        // A day with a DST change is 23 or 25 hours long.
        let dst = chrono::Utc.with_ymd_and_hms(2026, 3, 29, 12, 0, 0).unwrap().timestamp();
        let (s, e) = local_day("Europe/Berlin".parse().unwrap(), dst);
        assert_eq!(e - s, 23 * 3600);
    }
}

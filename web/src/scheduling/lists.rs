//! **Meetings** (the calendar above the day's conferences, or the list of all scheduled ones)
//! and **Virtual rooms**, each with the card of the selected conference: invited count, ID,
//! PIN, owner, access, mode, location, URL, the recording hint, the schedule, calendar export,
//! and Edit / Delete for those who may.

use crate::auth::{CurrentUser, PageUser};
use crate::cache::ListKey;
use crate::error::{Error, Result};
use crate::home::{fmt_time, user_tz};
use crate::i18n::{Lang, tr};
use crate::layout::{notice, page};
use crate::msg;
use crate::recurrence::{End, Freq, Recurrence};
use crate::rights::Right;
use crate::state::{AppState, now};
use crate::store::{ConferenceKind, ConferenceRow};
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{Datelike, Months, NaiveDate};
use chrono_tz::Tz;
use maud::{Markup, html};
use serde::Deserialize;
use std::sync::Arc;

/// The most conferences the lists show.
pub const LIST_LIMIT: i64 = 2000;

/// A user's list from the cache while nothing was written since it was read.
async fn cached(state: &AppState, user_id: i64, key: ListKey) -> Result<Arc<Vec<ConferenceRow>>> {
    let g = state.cache.generation(&state.store);
    if let Some(l) = state.cache.list(user_id, key, g) {
        return Ok(l);
    }
    // One load at a time: requests that missed together wait for it instead of all querying.
    let lock = state.cache.load_lock(user_id, key);
    let _one = lock.lock().await;
    if let Some(l) = state.cache.list(user_id, key, g) {
        return Ok(l);
    }
    let s = &state.store;
    let list = Arc::new(match key {
        ListKey::AllScheduled => s.all_scheduled(user_id, LIST_LIMIT).await?,
        ListKey::Rooms => s.rooms(user_id, LIST_LIMIT).await?,
        ListKey::Between(from, to) => s.occurrences_between(user_id, from, to).await?,
    });
    state.cache.put_list(user_id, key, g, list.clone());
    Ok(list)
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/meetings", get(meetings_page))
        .route("/rooms", get(rooms_page))
        .route("/conferences/{id}/delete", post(delete_form))
}

#[derive(Deserialize, Default)]
struct ListQuery {
    month: Option<String>,
    day: Option<String>,
    view: Option<String>,
    selected: Option<String>,
    saved: Option<String>,
    deleted: Option<String>,
}

pub(crate) fn mode_key(m: crate::store::Mode) -> &'static str {
    use crate::store::Mode;
    match m {
        Mode::VideoLecture => "sched.mode.video_lecture",
        Mode::RoleBased => "sched.mode.role_based",
        Mode::AllOnScreen => "sched.mode.all_on_screen",
    }
}

/// "Weekly on MO, WE, every 2 weeks, 10 times" in the user's language.
pub fn recurrence_text(lang: Lang, rrule: &str) -> String {
    use crate::i18n::{Arg, trf};
    let Ok(r) = Recurrence::parse(rrule) else { return String::new() };
    let t = |k: &'static str| tr(lang, k);
    let mut s = t(match r.freq {
        Freq::Daily => "sched.recurrence.daily",
        Freq::Weekly => "sched.recurrence.weekly",
        Freq::Monthly => "sched.recurrence.monthly",
    })
    .to_string();
    if r.freq == Freq::Weekly {
        let days: Vec<&str> = r.weekdays.iter().map(|d| t(day_key(*d))).collect();
        s.push_str(&format!(" ({})", days.join(", ")));
    }
    if r.interval > 1 {
        let every = match r.freq {
            Freq::Daily => "sched.every.days",
            Freq::Weekly => "sched.every.weeks",
            Freq::Monthly => "sched.every.months",
        };
        s.push_str(&format!(", {}", trf(lang, every, &[("n", Arg::from(r.interval))])));
    }
    match r.end {
        End::Until(d) => {
            let date = crate::i18n::long_date(lang, d);
            s.push_str(&format!(", {}", trf(lang, "sched.until.date", &[("date", Arg::from(date))])));
        }
        End::Count(n) => s.push_str(&format!(", {}", trf(lang, "sched.occurrences.n", &[("n", Arg::from(n))]))),
    }
    s
}

/// The message key of a weekday's short name.
fn day_key(d: chrono::Weekday) -> &'static str {
    ["day.mo", "day.tu", "day.we", "day.th", "day.fr", "day.sa", "day.su"][d.num_days_from_monday() as usize]
}

fn item(lang: Lang, tz: Tz, c: &ConferenceRow, href: &str, selected: bool) -> Markup {
    html! {
        li.conference.selected[selected] data-id=(c.id) {
            @if let Some(s) = c.starts_at { strong.time { (fmt_time(tz, s, "%H:%M")) } " " }
            a.name href=(href) { strong { (c.name) } }
            " "
            span.muted {
                (tr(lang, "conf.id")) " " code { (c.id) }
                @if c.recurrence.is_some() { " · " span.recurring { (tr(lang, "sched.recurring")) } }
            }
        }
    }
}

/// The card of the selected conference.
async fn card(state: &AppState, u: &CurrentUser, c: &ConferenceRow) -> Result<Markup> {
    let lang = u.lang;
    let tz = user_tz(u);
    let t = |k: &'static str| tr(lang, k);
    let access = crate::live::access(state, u.user.id, &c.id).await?;
    // The owner and operators edit it and have its records; moderators manage it.
    let may_edit = access == crate::live::Access::Own;
    let may_manage = access >= crate::live::Access::Control;
    let base = state.config.public_url.trim_end_matches('/');
    let editable = state.store.editable_conference(&c.id).await?;
    let (google, outlook) = match &editable {
        Some(e) => (
            super::ics::google_link(&state.config, &c.id, &e.settings, lang),
            super::ics::outlook_link(&state.config, &c.id, &e.settings, lang),
        ),
        None => (None, None),
    };
    let public = c.access == "public";
    let webinar = webinar_facts(state, (lang, tz), c, editable.as_ref(), may_edit).await?;
    let recordings = if may_edit { state.store.recordings(&c.id).await? } else { Vec::new() };
    let undelivered = if may_edit { crate::outbox::undelivered(&state.store, &c.id).await? } else { Vec::new() };
    let done: Vec<_> = recordings.iter().filter(|r| r.state != "recording").collect();
    let file_url = |r: &crate::store::RecordingRow| format!("/api/v1/conferences/{}/recordings/{}", c.id, r.id);
    Ok(html! {
        section.card #conference-card data-id=(c.id) {
            h2 { (c.name) }
            dl.facts {
                @if c.kind == ConferenceKind::Scheduled {
                    dt { (t("sched.when")) }
                    dd #card-when {
                        @if let Some(s) = c.first_starts_at { (fmt_time(tz, s, "%Y-%m-%d %H:%M")) }
                        @if let Some(d) = c.duration_minutes { " · " (d) " " (t("conf.minutes")) }
                        @if let Some(r) = &c.recurrence { br; span.recurring { (recurrence_text(lang, r)) } }
                    }
                }
                dt { (t("sched.invited")) } dd #card-invited { (c.participant_count) }
                dt { (t("conf.id")) } dd { code #card-id { (c.id) } }
                @if let Some(p) = &c.pin { dt { (t("conf.pin")) } dd { code #card-pin { (p) } } }
                dt { (t("cpage.owner")) } dd { (c.owner_name) }
                dt { (t("cpage.access")) } dd { (t(if c.access == "public" { "sched.access.public" } else { "sched.access.private" })) }
                dt { (t("sched.mode")) } dd { (t(mode_key(c.mode))) }
                @if !c.location.is_empty() { dt { (t("sched.location")) } dd { (c.location) } }
                dt { (t("sched.url")) } dd { a #card-url href={"/c/" (c.id)} { (base) "/c/" (c.id) } }
            }
            (webinar)
            @if public {
                details #card-widget {
                    summary { (t("reg.widget")) }
                    p.muted { (t("reg.widget_help")) }
                    textarea #card-widget-code readonly rows="3" translate="no" { (crate::registration::widget_html(&state.config, &c.id)) }
                }
            }
            (crate::outbox::report(lang, tz, &undelivered))
            @if c.record { p.muted #card-recording { (t("sched.recording_hint")) } }
            @if done.len() == 1 {
                p { a #card-download href=(file_url(done[0])) download { (t("rec.download")) } }
            } @else if done.len() > 1 {
                details #card-recordings {
                    summary { (t("rec.list")) " (" (done.len()) ")" }
                    table {
                        thead { tr {
                            th { (t("rec.started")) } th { (t("rec.duration")) } th { (t("rec.size")) }
                            th { (t("rec.state")) } th {}
                        } }
                        tbody {
                            @for r in &done {
                                tr {
                                    td { (fmt_time(tz, r.started_at, "%Y-%m-%d %H:%M")) }
                                    td { (r.duration_ms.map_or(String::new(), |ms| format!("{}:{:02}", ms / 60_000, ms / 1000 % 60))) }
                                    td { (r.size_bytes.map_or(String::new(), |b| format!("{:.1} MB", b as f64 / 1e6))) }
                                    td { (t(match r.state.as_str() {
                                        "complete" => "rec.state.complete",
                                        "interrupted" => "rec.state.interrupted",
                                        _ => "rec.state.failed",
                                    })) }
                                    td { a href=(file_url(r)) download { (t("rec.download_one")) } }
                                }
                            }
                        }
                    }
                }
            }
            @if c.kind == ConferenceKind::Scheduled {
                p.export {
                    (t("sched.export")) ": "
                    a #export-ics href={"/conferences/" (c.id) "/calendar.ics"} download { ".ics" } " · "
                    @if let Some(g) = google { a #export-google href=(g) target="_blank" rel="noopener" { "Google Calendar" } " · " }
                    @if let Some(o) = outlook { a #export-outlook href=(o) target="_blank" rel="noopener" { "Outlook" } }
                }
            }
            p {
                a.button #open-page href={"/c/" (c.id)} { (t("sched.open_page")) }
                @if may_edit { " " a.button.secondary #edit href={"/conferences/" (c.id) "/edit"} { (t("sched.edit")) } }
                @if may_manage { " " a.button.secondary #manage href={"/conferences/" (c.id) "/manage"} { (t("mgr.open")) } }
                @if may_edit { " " a.button.secondary #analytics href={"/conferences/" (c.id) "/analytics"} { (t("an.open")) } }
            }
            @if may_edit {
                form #delete-form method="post" action={"/conferences/" (c.id) "/delete"} {
                    input type="hidden" name="csrf" value=(u.csrf);
                    label.check { input type="checkbox" name="confirm" value="1" required; " " (t("sched.delete_confirm")) }
                    button.danger #delete type="submit" { (t("sched.delete")) }
                }
            }
        }
    })
}

/// A webinar's registration on its card: whether it is open, how many signed up, and for its
/// editors the guests with their answers.
async fn webinar_facts(
    state: &AppState,
    (lang, tz): (Lang, Tz),
    c: &ConferenceRow,
    e: Option<&crate::store::EditableConference>,
    may_edit: bool,
) -> Result<Markup> {
    use crate::registration::{Status, capacity, status};
    let t = |k: &'static str| tr(lang, k);
    let Some(e) = e.filter(|_| c.access == "public") else { return Ok(html! {}) };
    let Some(reg) = &e.settings.registration else { return Ok(html! {}) };
    let listed = state.store.list_count(&c.id).await?;
    let st = status(reg, e.settings.schedule().as_ref(), listed, capacity(c.mode), crate::state::now());
    let guests = state.store.registrants(&c.id).await?;
    let label = |f: &crate::store::FormField| crate::conference_page::field_label(lang, f);
    Ok(html! {
        p #card-registration {
            strong { (t("reg.title")) ": " }
            (t(match (reg.enabled, st) {
                (false, _) => "reg.off",
                (true, Status::Open) => "reg.open",
                (true, Status::NotYet(_)) => "reg.not_yet",
                (true, Status::Full) => "reg.state.full",
                (true, Status::Closed) => "reg.state.closed",
            }))
            " · " span #card-signed-up { (guests.len()) } " " (t("reg.signed_up"))
        }
        @if may_edit && !guests.is_empty() {
            details #card-registrants {
                summary { (t("reg.registrants")) }
                table.participants {
                    thead { tr { @for f in &reg.fields { th { (label(f)) } } th { (t("reg.signed_up_at")) } } }
                    tbody {
                        @for g in &guests {
                            tr {
                                @for f in &reg.fields { td { (g.answers.get(&f.key).map(String::as_str).unwrap_or("")) } }
                                td { (fmt_time(tz, g.created_at, "%Y-%m-%d %H:%M")) }
                            }
                        }
                    }
                }
            }
        }
    })
}

fn all_list(lang: Lang, tz: Tz, all: &[ConferenceRow]) -> Markup {
    let t = |k: &'static str| tr(lang, k);
    html! {
        section.card #all-meetings {
            h2 { (t("sched.all_meetings")) }
            @if all.is_empty() { p.muted { (t("sched.no_meetings")) } }
            ul.plain {
                @for c in all {
                    li.conference data-id=(c.id) {
                        @if let Some(s) = c.starts_at { strong.time { (fmt_time(tz, s, "%Y-%m-%d %H:%M")) } " " }
                        a.name href={"/meetings?view=all&selected=" (c.id)} { strong { (c.name) } }
                        " " span.muted { (t("conf.id")) " " code { (c.id) }
                            @if let Some(r) = &c.recurrence { " · " span.recurring { (recurrence_text(lang, r)) } } }
                    }
                }
            }
        }
    }
}

/// The selected conference's id, if the user takes part in it, and the side panel: its card,
/// or a hint to pick one.
async fn selection(state: &AppState, u: &CurrentUser, selected: Option<&str>) -> Result<(Option<String>, Markup)> {
    let c = match selected.filter(|s| s.len() <= 64) {
        Some(id) => state.store.conference_for(u.user.id, id).await?,
        None => None,
    };
    let aside = match &c {
        Some(c) => card(state, u, c).await?,
        None => html! { p.muted { (tr(u.lang, "sched.pick")) } },
    };
    Ok((c.map(|c| c.id), aside))
}

fn toolbar(lang: Lang, may_create: bool, active: &str) -> Markup {
    let t = |k: &'static str| tr(lang, k);
    html! {
        nav.toolbar {
            a.tab-link.active[active == "calendar"] #calendar-view href="/meetings" { (t("sched.calendar")) }
            a.tab-link.active[active == "all"] #all-view href="/meetings?view=all" { (t("sched.all_meetings")) }
            a.tab-link.active[active == "rooms"] href="/rooms" { (t("home.rooms")) }
            a.tab-link href="/templates" { (t("sched.templates")) }
            @if may_create {
                span.spacer {}
                a.button #new-conference href="/conferences/new" { (t("sched.new_conference")) }
                a.button #new-room href="/conferences/new?kind=room" { (t("sched.new_room")) }
            }
        }
    }
}

fn parse_month(s: Option<&str>, today: NaiveDate) -> NaiveDate {
    s.and_then(|m| NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok())
        .unwrap_or_else(|| today.with_day(1).unwrap_or(today))
}

async fn meetings_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response> {
    let lang = u.lang;
    let tz = user_tz(&u);
    let t = |k: &'static str| tr(lang, k);
    let today = crate::recurrence::utc_to_local(tz, now()).date();
    let may_create = crate::home::HomeData::load(&state, &u).await?.rights.contains(&Right::CreateConferences);
    let (selected, aside) = selection(&state, &u, q.selected.as_deref()).await?;
    let all_view = q.view.as_deref() == Some("all");
    let list: Markup = if all_view {
        let all = cached(&state, u.user.id, ListKey::AllScheduled).await?;
        // The rendered list is the same until something is written: kept beside the data.
        let g = state.cache.generation(&state.store);
        let key = format!("all:{}:{}", lang.code(), tz.name());
        let html = match state.cache.fragment(u.user.id, &key, g) {
            Some(h) => h,
            None => {
                let h: Arc<str> = all_list(lang, tz, &all).into_string().into();
                state.cache.put_fragment(u.user.id, &key, g, h.clone());
                h
            }
        };
        maud::PreEscaped(html.to_string())
    } else {
        let month = parse_month(q.month.as_deref(), today);
        let next = month.checked_add_months(Months::new(1)).unwrap_or(month);
        let prev = month.checked_sub_months(Months::new(1)).unwrap_or(month);
        let day = q
            .day
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .unwrap_or(if today.with_day(1) == Some(month) { today } else { month });
        let from = crate::recurrence::local_to_utc(tz, month.and_time(chrono::NaiveTime::MIN));
        let to = crate::recurrence::local_to_utc(tz, next.and_time(chrono::NaiveTime::MIN));
        let occ = cached(&state, u.user.id, ListKey::Between(from, to)).await?;
        // The list is in start order: each local day is a slice found by binary search.
        let starts = |d: NaiveDate| crate::recurrence::local_to_utc(tz, d.and_time(chrono::NaiveTime::MIN));
        let day_slice = |d: NaiveDate| {
            let (a, b) = (starts(d), starts(d.succ_opt().unwrap_or(d)));
            let lo = occ.partition_point(|c| c.starts_at.unwrap_or(i64::MIN) < a);
            let hi = occ.partition_point(|c| c.starts_at.unwrap_or(i64::MIN) < b);
            &occ[lo..hi.max(lo)]
        };
        let on_day = day_slice(day);
        let lead = month.weekday().num_days_from_monday();
        let days_in_month = (next - month).num_days() as u32;
        let m = month.format("%Y-%m").to_string();
        html! {
            section.card #calendar data-month=(m) {
                div.calendar-head {
                    a #prev-month href={"/meetings?month=" (prev.format("%Y-%m"))} { "‹" }
                    strong { (crate::i18n::month_year(lang, month)) }
                    a #next-month href={"/meetings?month=" (next.format("%Y-%m"))} { "›" }
                }
                table.month {
                    thead { tr { @for k in ["day.mo", "day.tu", "day.we", "day.th", "day.fr", "day.sa", "day.su"] { th { (t(k)) } } } }
                    tbody {
                        @for week in 0..((lead + days_in_month).div_ceil(7)) {
                            tr {
                                @for wd in 0..7u32 {
                                    @let n = week * 7 + wd;
                                    @if n < lead || n >= lead + days_in_month { td {} } @else {
                                        @let date = month.with_day(n - lead + 1).unwrap_or(month);
                                        @let count = day_slice(date).len();
                                        td.today[date == today].picked[date == day].busy[count > 0] {
                                            a.day data-date=(date.format("%Y-%m-%d")) data-count=(count)
                                                href={"/meetings?month=" (m) "&day=" (date.format("%Y-%m-%d"))} {
                                                (date.day())
                                                @if count > 0 { span.dot { (count) } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section.card #day-list data-date=(day.format("%Y-%m-%d")) {
                h2 { (day.format("%Y-%m-%d")) }
                @if on_day.is_empty() { p.muted { (t("home.no_today")) } }
                ul.plain {
                    @for c in on_day {
                        (item(lang, tz, c, &format!("/meetings?month={m}&day={}&selected={}", day.format("%Y-%m-%d"), c.id), selected.as_deref() == Some(c.id.as_str())))
                    }
                }
            }
        }
    };
    let body = html! {
        h1 { (t("sched.meetings")) }
        @if q.saved.is_some() { (notice("ok", t("sched.saved"))) }
        @if q.deleted.as_deref() == Some("1") { (notice("ok", t("sched.deleted"))) }
        @if q.deleted.as_deref() == Some("2") { (notice("ok", t("sched.deleted_running"))) }
        (toolbar(lang, may_create, if all_view { "all" } else { "calendar" }))
        div.grid {
            div { (list) }
            aside { (aside) }
        }
    };
    Ok(Html(page(lang, t("sched.meetings"), Some(&u), body).into_string()).into_response())
}

async fn rooms_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response> {
    let lang = u.lang;
    let tz = user_tz(&u);
    let t = |k: &'static str| tr(lang, k);
    let may_create = crate::home::HomeData::load(&state, &u).await?.rights.contains(&Right::CreateConferences);
    let rooms = cached(&state, u.user.id, ListKey::Rooms).await?;
    let (selected, aside) = selection(&state, &u, q.selected.as_deref()).await?;
    let body = html! {
        h1 { (t("home.rooms")) }
        @if q.saved.is_some() { (notice("ok", t("sched.saved"))) }
        (toolbar(lang, may_create, "rooms"))
        div.grid {
            section.card #room-list {
                @if rooms.is_empty() { p.muted { (t("home.no_rooms")) } }
                ul.plain { @for c in rooms.iter() { (item(lang, tz, c, &format!("/rooms?selected={}", c.id), selected.as_deref() == Some(c.id.as_str()))) } }
            }
            aside { (aside) }
        }
    };
    Ok(Html(page(lang, t("home.rooms"), Some(&u), body).into_string()).into_response())
}

#[derive(Deserialize)]
struct DeleteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: String,
}

async fn delete_form(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Form(f): Form<DeleteForm>,
) -> Result<Response> {
    u.check_csrf(&f.csrf)?;
    if f.confirm != "1" {
        return Err(Error::field("confirm", msg!("err.tick.box.confirm")));
    }
    let ended = super::delete(&state, &u, &id).await?;
    Ok(Redirect::to(if ended { "/meetings?deleted=2" } else { "/meetings?deleted=1" }).into_response())
}

//! The analytics page: three tabs, each a filter form (a plain GET form, so every filter is a
//! link that can be kept or shared), the rows that pass it and a link to the tab's CSV file. The
//! participants' entries add a chart and the details of the one selected.

use super::filter::{self, Auth, Filter, Status, Tab, show_key};
use super::{Rows, chart, conference_id, event_key, load};
use crate::auth::PageUser;
use crate::error::{Error, Result};
use crate::home::{fmt_time, user_tz};
use crate::i18n::{Lang, tr};
use crate::layout::page;
use crate::msg;
use crate::state::AppState;
use crate::store::{ConferenceKind, Entry, EntryKind};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::TimeZone;
use chrono_tz::Tz;
use maud::{Markup, html};

/// The most rows a tab lists; the CSV file has them all.
const PAGE_ROWS: usize = 1000;

fn time_ms(tz: Tz, ms: i64) -> String {
    fmt_time(tz, ms.div_euclid(1000), "%Y-%m-%d %H:%M")
}

fn date_of(tz: Tz, ms: i64) -> String {
    tz.timestamp_millis_opt(ms).single().map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

pub(super) async fn analytics_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<String>,
    Query(q): Query<filter::Query>,
) -> Result<Response> {
    let id = conference_id(&id)?;
    crate::live::records(&state, u.user.id, &id, msg!("err.owner.only.analytics")).await?;
    let conf = state.store.conference_page(&id).await?.ok_or(Error::NotFound)?;
    let lang = u.lang;
    let tz = user_tz(&u);
    let t = |k: &'static str| tr(lang, k);
    // A filter that does not parse is shown with its message; the tab opens unfiltered.
    let (f, problem) = match Filter::parse(&q) {
        Ok(f) => (f, None),
        Err(e) => {
            let tab = q.tab.as_deref().and_then(Tab::parse).unwrap_or_default();
            (Filter { tab, ..Filter::default() }, Some(e.to_string()))
        }
    };
    let (rows, default) = load(&state, &id, f.tab).await?;
    let span = f.interval(tz, default);
    let back = match conf.dial_in.kind {
        ConferenceKind::Room => format!("/rooms?selected={id}"),
        ConferenceKind::Scheduled => format!("/meetings?view=all&selected={id}"),
    };
    let (shown, total, table) = match &rows {
        Rows::Entries(all) => {
            let shown = filter::entries(all, &f, span);
            let selected = f.show.and_then(|(k, i)| all.iter().find(|e| e.kind == k && e.id == i));
            // A guest's answers are labelled as the sign-up form asked them.
            let fields = match selected {
                Some(e) if e.kind == EntryKind::Guest => {
                    conf.registration.as_ref().map(|r| r.fields.clone()).unwrap_or_default()
                }
                _ => Vec::new(),
            };
            let table = entries_tab(lang, tz, &q, &shown, span, selected.map(|e| (e, fields.as_slice())));
            (shown.len(), all.len(), table)
        }
        Rows::Connections(all) => {
            let shown = filter::connections(all, &f, span);
            let table = html! {
                table #connections {
                    thead { tr { th { (t("an.col.time")) } th { (t("an.col.event")) } th { (t("an.col.name")) } th { (t("an.col.detail")) } } }
                    tbody { @for e in shown.iter().take(PAGE_ROWS) {
                        tr.row data-kind=(e.kind.as_str()) {
                            td { (time_ms(tz, e.at_ms)) } td { (t(event_key(e.kind))) } td.name { (e.name) } td.muted { (e.detail) }
                        }
                    } }
                }
            };
            (shown.len(), all.len(), table)
        }
        Rows::Chat(all) => {
            let shown = filter::chat(all, &f, span);
            let table = html! {
                table #chat {
                    thead { tr { th { (t("an.col.time")) } th { (t("an.col.sender")) } th { (t("an.col.message")) } } }
                    tbody { @for m in shown.iter().take(PAGE_ROWS) {
                        tr.row {
                            td { (time_ms(tz, m.at_ms)) } td.sender { (m.from) }
                            td.text {
                                @if let Some(file) = &m.file {
                                    a.file href={"/c/" (conf.dial_in.id) "/files/" (file.id)} download { (file.name) }
                                    " (" (crate::chat_files::size_text(file.size)) ")"
                                } @else { (m.text) }
                            }
                        }
                    } }
                }
            };
            (shown.len(), all.len(), table)
        }
    };
    let from_value = f.from_date.map(|d| d.to_string()).unwrap_or_else(|| date_of(tz, span.0));
    let to_value = f.to_date.map(|d| d.to_string()).unwrap_or_else(|| date_of(tz, span.1 - 1));
    let body = html! {
        p { a #back href=(back) { "← " (conf.dial_in.name) } }
        h1 { (t("an.title")) ": " (conf.dial_in.name) }
        nav.tabs role="tablist" aria-label=(t("an.title")) {
            @for tab in Tab::ALL {
                a role="tab" id={"tab-" (tab.as_str())} href={"?tab=" (tab.as_str())}
                    aria-selected=(if tab == f.tab { "true" } else { "false" })
                    class=(if tab == f.tab { "tab selected" } else { "tab" }) { (t(tab_key(tab))) }
            }
        }
        section.card role="tabpanel" aria-labelledby={"tab-" (f.tab.as_str())} {
            @if let Some(p) = &problem { p.error #an-error role="alert" { (p) } }
            form #an-filters method="get" {
                input type="hidden" name="tab" value=(f.tab.as_str());
                label { (t(search_key(f.tab))) " " input #an-q type="search" name="q" value=(q.q.as_deref().unwrap_or("")) maxlength="200"; }
                @if f.tab == Tab::Chat {
                    label { (t("an.col.sender")) " " input #an-sender type="search" name="sender" value=(q.sender.as_deref().unwrap_or("")) maxlength="200"; }
                }
                @if f.tab == Tab::Entries {
                    label { (t("an.auth")) " "
                        select #an-auth name="auth" {
                            option value="all" selected[f.auth == Auth::All] { (t("an.auth.all")) }
                            option value="users" selected[f.auth == Auth::Users] { (t("an.auth.users")) }
                            option value="guests" selected[f.auth == Auth::Guests] { (t("an.auth.guests")) }
                        }
                    }
                    label { (t("an.status")) " "
                        select #an-status name="status" {
                            option value="all" selected[f.status == Status::All] { (t("an.status.all")) }
                            option value="joined" selected[f.status == Status::Joined] { (t("an.status.joined")) }
                            option value="absent" selected[f.status == Status::Absent] { (t("an.status.absent")) }
                        }
                    }
                }
                label { (t("an.from")) " " input #an-from type="date" name="from" value=(from_value); }
                label { (t("an.to")) " " input #an-to type="date" name="to" value=(to_value); }
                button #an-apply type="submit" { (t("an.apply")) }
                " " a #an-reset href={"?tab=" (f.tab.as_str())} { (t("an.reset")) }
            }
            p.muted #an-count {
                (t("an.shown")) " " span #an-shown { (shown) } " / " span #an-total { (total) }
                @if shown > PAGE_ROWS { " · " (t("an.first_rows")) " " (PAGE_ROWS) }
                " · " a #an-csv href={"/conferences/" (id) "/analytics/" (f.tab.as_str()) ".csv"} download { (t("an.csv")) }
                " " span.muted { (t("an.csv_all")) }
            }
            (table)
        }
    };
    let status = if problem.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    Ok((status, Html(page(lang, t("an.title"), Some(&u), body).into_string())).into_response())
}

fn tab_key(t: Tab) -> &'static str {
    match t {
        Tab::Entries => "an.tab.entries",
        Tab::Connections => "an.tab.connections",
        Tab::Chat => "an.tab.chat",
    }
}

fn search_key(t: Tab) -> &'static str {
    match t {
        Tab::Entries => "an.search.entries",
        Tab::Connections => "an.search.connections",
        Tab::Chat => "an.search.chat",
    }
}

/// The link that selects an entry, keeping the filters.
fn select_link(q: &filter::Query, e: &Entry) -> String {
    let mut pairs: Vec<(&str, &str)> = vec![("tab", "entries")];
    for (k, v) in [("q", &q.q), ("auth", &q.auth), ("status", &q.status), ("from", &q.from), ("to", &q.to)] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            pairs.push((k, v));
        }
    }
    let show = show_key(e.kind, e.id);
    pairs.push(("show", &show));
    let enc: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
    format!("?{}", enc.join("&"))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn entries_tab(
    lang: Lang,
    tz: Tz,
    q: &filter::Query,
    shown: &[&Entry],
    span: (i64, i64),
    selected: Option<(&Entry, &[crate::store::FormField])>,
) -> Markup {
    let t = |k: &'static str| tr(lang, k);
    html! {
        @if let Some((e, fields)) = selected {
            section.card #an-details aria-label=(t("an.details")) {
                h2 { (e.name) }
                dl.facts {
                    dt { (t("an.col.auth")) } dd { (t(super::csv::auth_key(e.kind))) }
                    @if !e.login.is_empty() { dt { (t("an.col.login")) } dd { code { (e.login) } } }
                    @if !e.email.is_empty() { dt { (t("an.col.email")) } dd { (e.email) } }
                    @if let Some(r) = e.role { dt { (t("an.col.role")) } dd { (t(crate::home::role_key(r))) } }
                    dt { (t("an.col.added")) } dd { (fmt_time(tz, e.added_at, "%Y-%m-%d %H:%M")) }
                    dt { (t("an.col.first_joined")) } dd { (e.first_joined_ms.map(|m| time_ms(tz, m)).unwrap_or_else(|| t("an.never").into())) }
                    dt { (t("an.col.last_joined")) } dd { (e.last_joined_ms.map(|m| time_ms(tz, m)).unwrap_or_else(|| t("an.never").into())) }
                    @if e.kind == EntryKind::User { dt { (t("an.col.joins")) } dd { (e.joins) } }
                    @for (k, v) in &e.details { dt { (detail_label(lang, fields, k)) } dd { (v) } }
                }
            }
        }
        details #an-chart {
            summary { (t("an.chart.show")) }
            (chart::chart(shown, span, lang, tz))
        }
        div.table-scroll role="region" aria-label=(t("an.tab.entries")) tabindex="0" { table #entries {
            thead { tr {
                th { (t("an.col.name")) } th { (t("an.col.email")) } th { (t("an.col.auth")) }
                th { (t("an.col.added")) } th { (t("an.col.joined")) }
            } }
            tbody { @for e in shown.iter().take(PAGE_ROWS) {
                tr.row data-kind=(if e.kind == EntryKind::User { "user" } else { "guest" })
                    data-joined=(if filter::joined_within(e, span) { "yes" } else { "no" }) {
                    td.name { a href=(select_link(q, e)) { (e.name) } }
                    td { (e.email) }
                    td { (t(super::csv::auth_key(e.kind))) }
                    td { (fmt_time(tz, e.added_at, "%Y-%m-%d %H:%M")) }
                    td { @match e.first_joined_ms { Some(m) => { (time_ms(tz, m)) }, None => { span.muted { (t("an.never")) } } } }
                }
            } }
        } }
    }
}

/// A user's profile field or a guest's form field (as the sign-up form asked it), by its key.
fn detail_label(lang: Lang, fields: &[crate::store::FormField], key: &str) -> String {
    if let Some(f) = fields.iter().find(|f| f.key == key) {
        return crate::conference_page::field_label(lang, f);
    }
    match key {
        "phone" => tr(lang, "an.detail.phone").into(),
        "company" => tr(lang, "an.detail.company").into(),
        "position" => tr(lang, "an.detail.position").into(),
        other => other.into(),
    }
}

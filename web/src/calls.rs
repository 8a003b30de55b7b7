//! The call history: a user's calls with other users (SIP phones through Tessera's proxy) and
//! the calls conferences placed (dial-outs: the user who placed one, and the user it called),
//! incoming and outgoing, with when they rang, how long they lasted and how they ended; as a
//! page of the personal area (select a call for its details; the owner of the conference that
//! placed it reaches its card) and as JSON. Each user sees their own calls only.

use crate::auth::{ApiUser, PageUser};
use crate::error::Result;
use crate::home::{fmt_time, user_tz};
use crate::i18n::tr;
use crate::layout::page;
use crate::state::AppState;
use crate::store::{CallResult, CallRow};
use axum::extract::{Query, State};
use axum::response::Html;
use axum::routing::get;
use axum::{Json, Router};
use maud::html;

/// The most calls listed.
const LIMIT: i64 = 500;

pub fn router() -> Router<AppState> {
    Router::new().route("/calls", get(calls_page)).route("/api/v1/me/calls", get(calls_api))
}

async fn calls_api(State(state): State<AppState>, ApiUser(u): ApiUser) -> Result<Json<Vec<CallRow>>> {
    Ok(Json(state.store.calls_of(u.user.id, LIMIT).await?))
}

fn result_key(r: CallResult) -> &'static str {
    match r {
        CallResult::Ringing => "calls.result.ringing",
        CallResult::Answered => "calls.result.answered",
        CallResult::Missed => "calls.result.missed",
        CallResult::Busy => "calls.result.busy",
        CallResult::Declined => "calls.result.declined",
        CallResult::Failed => "calls.result.failed",
    }
}

/// `m:ss` (or `h:mm:ss`).
fn duration(ms: i64) -> String {
    let s = ms / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

#[derive(serde::Deserialize)]
struct PageQuery {
    show: Option<i64>,
    /// Fills "Whom to call" (a contact's Call link).
    to: Option<String>,
}

/// Who the call was with: the other user, or the address a conference called.
fn peer(c: &CallRow) -> maud::Markup {
    html! {
        @if c.peer_login.is_empty() { code { (c.peer_address) } }
        @else { (if c.peer_name.is_empty() { &c.peer_login } else { &c.peer_name }) " " span.muted { code { (c.peer_login) } } }
    }
}

fn details(lang: crate::i18n::Lang, tz: chrono_tz::Tz, c: &CallRow) -> maud::Markup {
    let t = |k: &'static str| tr(lang, k);
    let at = |ms: i64| fmt_time(tz, ms / 1000, "%Y-%m-%d %H:%M");
    html! {
        section.card #call-details aria-label=(t("calls.details")) {
            dl.facts {
                dt { (t("calls.direction")) } dd { (t(if c.direction == "outgoing" { "calls.outgoing" } else { "calls.incoming" })) }
                dt { (t("calls.peer")) } dd { (peer(c)) }
                dt { (t("calls.when")) } dd { (at(c.started_at_ms)) }
                @if let Some(a) = c.answered_at_ms { dt { (t("calls.answered_at")) } dd { (at(a)) } }
                @if let Some(e) = c.ended_at_ms { dt { (t("calls.ended_at")) } dd { (at(e)) } }
                @if let Some(d) = c.duration_ms { dt { (t("calls.duration")) } dd { (duration(d)) } }
                dt { (t("calls.result")) } dd { (t(result_key(c.result))) @if !c.detail.is_empty() { " — " (c.detail) } }
                @if let Some(id) = &c.conference_id {
                    dt { (t("calls.conference")) }
                    dd {
                        (c.conference_name.as_deref().unwrap_or(id))
                        @if c.conference_owned {
                            @let card = if c.conference_room { format!("/rooms?selected={id}") } else { format!("/meetings?view=all&selected={id}") };
                            " · " a #call-conference href=(card) { (t("calls.open_card")) }
                        }
                    }
                }
            }
        }
    }
}

async fn calls_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<PageQuery>,
) -> Result<Html<String>> {
    let lang = u.lang;
    let t = |k: &'static str| tr(lang, k);
    let tz = user_tz(&u);
    let calls = state.store.calls_of(u.user.id, LIMIT).await?;
    let selected = q.show.and_then(|id| calls.iter().find(|c| c.id == id));
    let may_call = state.store.rights_of(u.user.id).await?.contains(&crate::rights::Right::MakeCalls);
    let body = html! {
        h1 { (t("calls.title")) }
        section.card #make-call-card {
            h2 { (t("calls.make")) }
            @if may_call {
                form #make-call {
                    label for="call-to" { (t("calls.to")) } " "
                    input #call-to name="to" type="text" maxlength="256" autocomplete="off" required value=(q.to.as_deref().unwrap_or(""));
                    " "
                    button type="submit" { (t("calls.call")) }
                }
                p.muted { (t("calls.make_help")) }
                p #make-call-status role="status" {}
            } @else {
                p.muted #no-call-right { (t("calls.no_right")) }
            }
        }
        @if let Some(c) = selected { (details(lang, tz, c)) }
        section.card #call-history {
            @if calls.is_empty() { p.muted #calls-empty { (t("calls.empty")) } }
            @else {
                table {
                    thead { tr {
                        th { (t("calls.when")) } th { (t("calls.direction")) } th { (t("calls.peer")) }
                        th { (t("calls.duration")) } th { (t("calls.result")) } th { (t("calls.conference")) }
                    } }
                    tbody {
                        @for c in &calls {
                            tr.call data-id=(c.id) data-result=(c.result.as_str()) {
                                td { a href={"?show=" (c.id)} { (fmt_time(tz, c.started_at_ms / 1000, "%Y-%m-%d %H:%M")) } }
                                td { (t(if c.direction == "outgoing" { "calls.outgoing" } else { "calls.incoming" })) }
                                td { (peer(c)) }
                                td.duration { (c.duration_ms.map(duration).unwrap_or_default()) }
                                td { (t(result_key(c.result))) @if !c.detail.is_empty() { br; span.muted { (c.detail) } } }
                                td { (c.conference_name.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(Html(page(lang, t("calls.title"), Some(&u), body).into_string()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_as_clocks() {
        assert_eq!(super::duration(0), "0:00");
        assert_eq!(super::duration(61_900), "1:01");
        assert_eq!(super::duration(3_725_000), "1:02:05");
    }
}

//! Templates: a user's saved scheduling settings. Create (from the form, or **Save as
//! template** when scheduling), edit, delete, and create a conference from one in one click —
//! a scheduled template whose start has passed moves to the next day at the same time.

use super::input::ConferenceInput;
use crate::auth::{ApiUser, CurrentUser, PageUser};
use crate::error::{Error, Result};
use crate::extract::ApiJson;
use crate::i18n::tr;
use crate::layout::{notice, page};
use crate::msg;
use crate::recurrence::{local_to_utc, utc_to_local};
use crate::rights::Right;
use crate::state::{AppState, now};
use crate::store::Template;
use crate::validate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use chrono::NaiveDateTime;
use maud::html;
use serde::{Deserialize, Serialize};

pub const MAX_TEMPLATES: usize = 200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/templates", get(templates_page))
        .route("/templates/new", get(new_template_page))
        .route("/templates/{id}/edit", get(edit_template_page))
        .route("/templates/{id}/create", post(create_from_form))
        .route("/templates/{id}/delete", post(delete_form))
        .route("/api/v1/templates", get(list_api).post(create_api))
        .route("/api/v1/templates/{id}", get(get_api).put(update_api).delete(delete_api))
        .route("/api/v1/templates/{id}/conference", post(conference_api))
}

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    pub name: String,
    pub settings: ConferenceInput,
}

/// Checks a template's settings as a conference would be checked, with a placeholder time when
/// it has none (a template need not say when).
async fn check(state: &AppState, u: &CurrentUser, t: &TemplateInput) -> Result<String> {
    let name = validate::text("name", &t.name, 200, true)?;
    let mut s = t.settings.clone();
    if s.kind == "scheduled" && s.start.trim().is_empty() {
        s.start = "2030-01-07T10:00".into();
        if s.end.as_deref().is_none_or(|e| e.trim().is_empty()) && s.duration_minutes.is_none() {
            s.duration_minutes = Some(60);
        }
    }
    s.id.clear();
    let cx = super::context(state, u.user.id, None, None).await?;
    super::input::validate(&s, &cx, None).await?;
    Ok(name)
}

/// A template's settings as stored: without an ID or the template choice itself.
pub(super) fn stored(settings: &ConferenceInput) -> Result<serde_json::Value> {
    let mut s = settings.clone();
    s.id.clear();
    s.save_as_template = false;
    s.template_name.clear();
    serde_json::to_value(&s).map_err(|e| Error::Internal(e.into()))
}

async fn may_create(state: &AppState, u: &CurrentUser) -> Result<()> {
    if state.store.rights_of(u.user.id).await?.contains(&Right::CreateConferences) {
        Ok(())
    } else {
        Err(Error::Forbidden(msg!("err.you.do.not.have.2")))
    }
}

async fn list_api(State(state): State<AppState>, ApiUser(u): ApiUser) -> Result<Json<Vec<Template>>> {
    Ok(Json(state.store.templates(u.user.id).await?))
}

async fn create_api(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    ApiJson(t): ApiJson<TemplateInput>,
) -> Result<Response> {
    may_create(&state, &u).await?;
    let name = check(&state, &u, &t).await?;
    if state.store.templates(u.user.id).await?.len() >= MAX_TEMPLATES {
        return Err(Error::Conflict(msg!("err.templates.full", max = MAX_TEMPLATES)));
    }
    let id = state.store.save_template(u.user.id, None, &name, &stored(&t.settings)?, now()).await?;
    let tpl = state.store.template(u.user.id, id).await?.ok_or(Error::NotFound)?;
    Ok((StatusCode::CREATED, Json(tpl)).into_response())
}

async fn get_api(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<i64>) -> Result<Json<Template>> {
    state.store.template(u.user.id, id).await?.map(Json).ok_or(Error::NotFound)
}

async fn update_api(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    ApiJson(t): ApiJson<TemplateInput>,
) -> Result<Json<Template>> {
    state.store.template(u.user.id, id).await?.ok_or(Error::NotFound)?;
    let name = check(&state, &u, &t).await?;
    state.store.save_template(u.user.id, Some(id), &name, &stored(&t.settings)?, now()).await?;
    state.store.template(u.user.id, id).await?.map(Json).ok_or(Error::NotFound)
}

async fn delete_api(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<i64>) -> Result<StatusCode> {
    if state.store.delete_template(u.user.id, id).await? { Ok(StatusCode::NO_CONTENT) } else { Err(Error::NotFound) }
}

/// The template's input with its start moved to the next day at the same local time if it has
/// passed (and its end with it).
pub fn for_now(mut s: ConferenceInput, t: i64) -> ConferenceInput {
    let Ok(tz) = s.time_zone.parse::<chrono_tz::Tz>() else { return s };
    let parse = |x: &str| NaiveDateTime::parse_from_str(x.trim(), "%Y-%m-%dT%H:%M").ok();
    if s.kind != "scheduled" {
        return s;
    }
    let today = utc_to_local(tz, t).date();
    let (start, end) = match parse(&s.start) {
        Some(start) => (start, s.end.as_deref().and_then(parse)),
        None => (today.and_hms_opt(10, 0, 0).unwrap_or_default(), None),
    };
    let length = end.map(|e| e - start).unwrap_or_else(|| chrono::Duration::minutes(s.duration_minutes.unwrap_or(60)));
    let mut moved = start;
    if local_to_utc(tz, moved) <= t {
        moved = today.and_time(start.time());
        if local_to_utc(tz, moved) <= t {
            moved += chrono::Duration::days(1);
        }
        // A weekly series starts on one of its days.
        if let Some(r) = s.recurrence.as_ref().filter(|r| r.freq == crate::recurrence::Freq::Weekly) {
            let days: Vec<_> = r.days.iter().filter_map(|d| crate::recurrence::parse_day_code(d)).collect();
            for _ in 0..7 {
                if days.is_empty() || days.contains(&chrono::Datelike::weekday(&moved.date())) {
                    break;
                }
                moved += chrono::Duration::days(1);
            }
        }
    }
    s.start = moved.format("%Y-%m-%dT%H:%M").to_string();
    s.end = Some((moved + length).format("%Y-%m-%dT%H:%M").to_string());
    s.duration_minutes = None;
    s
}

async fn from_template(state: &AppState, u: &CurrentUser, id: i64) -> Result<super::Saved> {
    let tpl = state.store.template(u.user.id, id).await?.ok_or(Error::NotFound)?;
    let input: ConferenceInput = serde_json::from_value(tpl.settings)
        .map_err(|e| Error::Conflict(msg!("err.template.cannot.read.any", e = e.to_string())))?;
    super::create(state, u, &for_now(input, now())).await
}

async fn conference_api(State(state): State<AppState>, ApiUser(u): ApiUser, Path(id): Path<i64>) -> Result<Response> {
    let saved = from_template(&state, &u, id).await?;
    Ok((StatusCode::CREATED, Json(saved)).into_response())
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn create_from_form(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response> {
    u.check_csrf(&f.csrf)?;
    match from_template(&state, &u, id).await {
        Ok(saved) => Ok(Redirect::to(&format!("/meetings?view=all&saved=1&selected={}", saved.id)).into_response()),
        Err(Error::Field { field, message }) => Ok(Redirect::to(&format!(
            "/templates?selected={id}&error={}",
            super::ics::enc(&format!("{field}: {}", message.render(u.lang)))
        ))
        .into_response()),
        Err(e) => Err(e),
    }
}

async fn delete_form(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response> {
    u.check_csrf(&f.csrf)?;
    state.store.delete_template(u.user.id, id).await?;
    Ok(Redirect::to("/templates").into_response())
}

#[derive(Deserialize)]
struct PageQuery {
    selected: Option<i64>,
    error: Option<String>,
}

async fn templates_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<PageQuery>,
) -> Result<Html<String>> {
    let lang = u.lang;
    let t = |k: &'static str| tr(lang, k);
    let list = state.store.templates(u.user.id).await?;
    let selected = q.selected.and_then(|id| list.iter().find(|x| x.id == id));
    let body = html! {
        h1 { (t("sched.templates")) }
        @if let Some(e) = &q.error { (notice("error", e)) }
        nav.toolbar { span.spacer {} a.button #create-template href="/templates/new" { (t("sched.create_template")) } }
        div.grid {
            section.card #template-list {
                @if list.is_empty() { p.muted { (t("sched.no_templates")) } }
                ul.plain {
                    @for x in &list {
                        li.template.selected[selected.is_some_and(|s| s.id == x.id)] data-id=(x.id) {
                            a href={"/templates?selected=" (x.id)} { strong { (x.name) } }
                        }
                    }
                }
            }
            aside {
                @if let Some(x) = selected {
                    section.card #template-card data-id=(x.id) {
                        h2 { (x.name) }
                        @let s = serde_json::from_value::<ConferenceInput>(x.settings.clone()).unwrap_or_default();
                        p.muted { (s.name) " · " (t(if s.kind == "room" { "sched.kind.room" } else { "sched.kind.scheduled" })) }
                        form.inline method="post" action={"/templates/" (x.id) "/create"} {
                            input type="hidden" name="csrf" value=(u.csrf);
                            button #create-from-template type="submit" { (t("sched.create_from_template")) }
                        }
                        " " a.button.secondary #edit-template href={"/templates/" (x.id) "/edit"} { (t("sched.edit")) } " "
                        form.inline method="post" action={"/templates/" (x.id) "/delete"} {
                            input type="hidden" name="csrf" value=(u.csrf);
                            button.danger #delete-template type="submit" { (t("sched.delete")) }
                        }
                    }
                } @else { p.muted { (t("sched.pick")) } }
            }
        }
    };
    Ok(Html(page(lang, t("sched.templates"), Some(&u), body).into_string()))
}

async fn new_template_page(State(state): State<AppState>, PageUser(u): PageUser) -> Result<Html<String>> {
    may_create(&state, &u).await?;
    let input = ConferenceInput { time_zone: u.user.time_zone.clone(), ..ConferenceInput::default() };
    Ok(Html(super::form::render(
        &u,
        tr(u.lang, "sched.create_template"),
        "template",
        None,
        &input,
        None,
        &super::form::FormContext::of(&state, u.user.id, &u.user.login, u.user.id).await?,
    )))
}

async fn edit_template_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
) -> Result<Html<String>> {
    let tpl = state.store.template(u.user.id, id).await?.ok_or(Error::NotFound)?;
    let mut input: ConferenceInput = serde_json::from_value(tpl.settings).unwrap_or_default();
    input.template_name = tpl.name.clone();
    let id = id.to_string();
    Ok(Html(super::form::render(
        &u,
        tr(u.lang, "sched.edit_template"),
        "template",
        Some(&id),
        &input,
        None,
        &super::form::FormContext::of(&state, u.user.id, &u.user.login, u.user.id).await?,
    )))
}

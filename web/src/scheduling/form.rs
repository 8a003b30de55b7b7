//! The scheduling form: **New conference** / **New room** (optionally from a template) and
//! editing, with the guide's tabs — General, Participants, Layout, Additional. The page carries
//! the input as JSON in `data-initial`; `static/schedule.js` fills the fields, sends the
//! JSON API request and shows each error at its field.

use super::input::{ConferenceInput, GUEST_PERMISSIONS, input_of};
use crate::auth::{CurrentUser, PageUser};
use crate::error::{Error, Result};
use crate::i18n::{Lang, tr};
use crate::layout::{notice, page};
use crate::msg;
use crate::rights::Right;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use axum::routing::get;
use maud::{Markup, html};
use serde::Deserialize;
use tessera_mixer::layout::{LayoutType, MAX_WINDOWS};

pub fn router() -> Router<AppState> {
    Router::new().route("/conferences/new", get(new_page)).route("/conferences/{id}/edit", get(edit_page))
}

#[derive(Deserialize)]
struct NewQuery {
    access: Option<String>,
    kind: Option<String>,
    template: Option<i64>,
}

pub fn layout_type_key(t: LayoutType) -> &'static str {
    match t {
        LayoutType::Grid => "layout.grid",
        LayoutType::OneLargeBeside => "layout.one_large_beside",
        LayoutType::OneLargeBelow => "layout.one_large_below",
        LayoutType::TwoLargeBelow => "layout.two_large_below",
        LayoutType::PictureInPicture => "layout.picture_in_picture",
        LayoutType::Row => "layout.row",
        LayoutType::OneLargeCentre => "layout.one_large_centre",
    }
}

fn layout_type_value(t: LayoutType) -> &'static str {
    layout_type_key(t).trim_start_matches("layout.")
}

/// An error line under a field, filled by the script.
fn err(field: &str) -> Markup {
    html! { div.field-error data-error-for=(field) role="alert" {} }
}

fn check(name: &str, label: &str) -> Markup {
    html! { label.check { input type="checkbox" name=(name) id=(name); " " (label) } }
}

/// What the form shows besides the input: the conference's owner (who can be given a window
/// too), whether the administrator lets users set a multicast output, and the editing user's
/// address book.
pub(super) struct FormContext<'a> {
    pub id: i64,
    pub login: &'a str,
    pub allow_multicast: bool,
    pub contacts: Vec<crate::store::Contact>,
}

impl<'a> FormContext<'a> {
    /// For a conference owned by `id` (`login`), edited by `editor`.
    pub async fn of(state: &AppState, id: i64, login: &'a str, editor: i64) -> Result<FormContext<'a>> {
        let (settings, contacts) = tokio::try_join!(state.store.settings(), state.store.contacts(editor))?;
        Ok(FormContext { id, login, allow_multicast: settings.scheduling_allow_multicast, contacts })
    }
}

pub(super) fn render(
    u: &CurrentUser,
    title: &str,
    mode: &str,
    id: Option<&str>,
    input: &ConferenceInput,
    note: Option<&str>,
    owner: &FormContext<'_>,
) -> String {
    let lang: Lang = u.lang;
    let t = |k: &'static str| tr(lang, k);
    let initial = serde_json::to_string(input).unwrap_or_default();
    let tzs = chrono_tz::TZ_VARIANTS.iter().map(|t| t.name());
    let body = html! {
        h1 { (title) }
        @if let Some(n) = note { (notice("ok", n)) }
        @if mode == "edit" { p.muted #running-note { (t("sched.edit_running")) } }
        form #conference-form data-mode=(mode) data-id=[id] data-initial=(initial)
            data-owner-id=(owner.id) data-owner-login=(owner.login) novalidate {
            nav.tabs role="tablist" {
                button.tab #tabbtn-general type="button" role="tab" data-tab="general" aria-controls="tab-general" aria-selected="true" tabindex="0" { (t("sched.tab.general")) }
                button.tab #tabbtn-participants type="button" role="tab" data-tab="participants" aria-controls="tab-participants" aria-selected="false" tabindex="-1" { (t("sched.tab.participants")) }
                button.tab #layout-tab-button type="button" role="tab" data-tab="layout" aria-controls="tab-layout" aria-selected="false" tabindex="-1" { (t("sched.tab.layout")) }
                button.tab #tabbtn-additional type="button" role="tab" data-tab="additional" aria-controls="tab-additional" aria-selected="false" tabindex="-1" { (t("sched.tab.additional")) }
                button.tab #registration-tab-button type="button" role="tab" data-tab="registration" aria-controls="tab-registration" aria-selected="false" tabindex="-1" { (t("reg.tab")) }
            }
            section.card.tab-panel #tab-general role="tabpanel" aria-labelledby="tabbtn-general" data-panel="general" {
                fieldset.inline-choices {
                    legend { (t("sched.access")) }
                    label.check { input type="radio" name="access" value="private"; " " (t("sched.access.private")) }
                    label.check { input type="radio" name="access" value="public"; " " (t("sched.access.public")) }
                }
                label for="name" { (t("sched.name")) " *" }
                input #name type="text" name="name" maxlength="200" required;
                (err("name"))
                label for="mode" { (t("sched.mode")) }
                select #mode name="mode" {
                    @for m in crate::store::Mode::ALL {
                        option value=(m.as_str()) { (t(crate::scheduling::lists::mode_key(*m))) }
                    }
                }
                div #speakers-row {
                    label for="active_speakers" { (t("sched.active_speakers")) }
                    input #active_speakers type="number" name="active_speakers" min="1" max=(MAX_WINDOWS);
                    (err("active_speakers"))
                }
                fieldset.inline-choices {
                    legend { (t("sched.kind")) }
                    label.check { input type="radio" name="kind" value="scheduled"; " " (t("sched.kind.scheduled")) }
                    label.check { input type="radio" name="kind" value="room"; " " (t("sched.kind.room")) }
                }
                div #schedule-fields {
                    label for="start" { (t("sched.start")) " *" }
                    input #start type="datetime-local" name="start";
                    (err("start"))
                    label for="end" { (t("sched.end")) " *" }
                    input #end type="datetime-local" name="end";
                    (err("end")) (err("duration_minutes"))
                    label for="time_zone" { (t("profile.time_zone")) }
                    select #time_zone name="time_zone" translate="no" { @for z in tzs { option value=(z) { (z) } } }
                    (err("time_zone"))
                    label for="freq" { (t("sched.recurrence")) }
                    select #freq name="freq" {
                        option value="" { (t("sched.recurrence.none")) }
                        option value="daily" { (t("sched.recurrence.daily")) }
                        option value="weekly" { (t("sched.recurrence.weekly")) }
                        option value="monthly" { (t("sched.recurrence.monthly")) }
                    }
                    (err("recurrence"))
                    div #recurrence-fields hidden {
                        label for="interval" { (t("sched.recurrence.every")) }
                        input #interval type="number" name="interval" min="1" max="99" value="1";
                        " " span #interval-unit data-daily=(t("sched.unit.days")) data-weekly=(t("sched.unit.weeks")) data-monthly=(t("sched.unit.months")) {}
                        (err("recurrence_interval"))
                        div #weekdays {
                            @for (code, key) in [("mo", "day.mo"), ("tu", "day.tu"), ("we", "day.we"), ("th", "day.th"), ("fr", "day.fr"), ("sa", "day.sa"), ("su", "day.su")] {
                                label.check.day { input type="checkbox" name="days" value=(code); " " (t(key)) }
                            }
                            (err("recurrence_days"))
                        }
                        fieldset.inline-choices {
                            legend { (t("sched.recurrence.ends")) }
                            label.check { input type="radio" name="ends" value="until"; " " (t("sched.recurrence.until")) }
                            input #until type="date" name="until" aria-label=(t("sched.recurrence.until"));
                            label.check { input type="radio" name="ends" value="count"; " " (t("sched.recurrence.after")) }
                            input #count type="number" name="count" min="1" max="500" aria-label=(t("sched.recurrence.after"));
                            " " (t("sched.recurrence.occurrences"))
                        }
                        (err("recurrence_end")) (err("recurrence_until")) (err("recurrence_count"))
                    }
                }
                (check("save_as_template", t("sched.save_as_template")))
                input #template_name type="text" name="template_name" maxlength="200" placeholder=(t("sched.template_name"));
                (err("template_name"))
            }
            section.card.tab-panel #tab-participants role="tabpanel" aria-labelledby="tabbtn-participants" data-panel="participants" hidden {
                @if !owner.contacts.is_empty() {
                    label for="contact-pick" { (t("sched.from_contacts")) }
                    select #contact-pick {
                        @for c in &owner.contacts {
                            @if let Some(l) = &c.login { option value={"u:" (l)} data-user-id=[c.user_id] { (c.name) " (" (l) ")" } }
                            @if let Some(a) = &c.address { option value={"a:" (a)} { (c.name) " (" (a) ")" } }
                        }
                    }
                    " " button.secondary #add-contact type="button" { (t("sched.add")) }
                }
                label for="user-search" { (t("sched.add_user")) }
                input #user-search type="text" list="user-options" autocomplete="off" placeholder=(t("sched.search_users"));
                datalist #user-options {}
                " " button.secondary #add-user type="button" { (t("sched.add")) }
                table.participants #participants data-role-participant=(t("conf.role.participant"))
                    data-role-moderator=(t("conf.role.moderator")) data-role=(t("sched.role"))
                    data-speaker=(t("sched.speaker")) data-remove=(t("mgr.remove")) {
                    thead { tr { th { (t("profile.login")) } th { (t("sched.role")) } th.speaker-col { (t("sched.speaker")) } th {} } }
                    tbody {}
                }
                (err("participants"))
                label for="address-input" { (t("sched.add_address")) }
                input #address-input type="text" placeholder="sip:room@example.org";
                " " button.secondary #add-address type="button" { (t("sched.add")) }
                table.participants #addresses { tbody {} }
                (err("addresses"))
            }
            section.card.tab-panel #tab-layout role="tabpanel" aria-labelledby="layout-tab-button" data-panel="layout" hidden {
                p.muted #layout-lecture-note hidden { (t("sched.layout.lecture")) }
                div #layout-fields {
                    p { button.secondary #layout-fullscreen type="button" aria-pressed="false"
                        data-exit=(t("sched.layout.fullscreen_exit")) { (t("sched.layout.fullscreen")) } }
                    label for="layout_scope" { (t("sched.layout.scope")) }
                    select #layout_scope { option value="" { (t("sched.layout.scope.all")) } }
                    (check("layout_custom", t("sched.layout.custom")))
                    label for="layout_kind" { (t("sched.layout.type")) }
                    select #layout_kind name="layout_kind" {
                        @for lt in LayoutType::ALL { option value=(layout_type_value(lt)) { (t(layout_type_key(lt))) } }
                    }
                    label for="layout_windows" { (t("sched.layout.windows")) }
                    input #layout_windows type="number" name="layout_windows" min="1" max=(MAX_WINDOWS) value="4";
                    (check("layout_content_slot", t("sched.layout.content_slot")))
                    label for="layout_names" { (t("sched.layout.names")) }
                    select #layout_names name="layout_names" {
                        option value="bottom" { (t("sched.layout.names.bottom")) }
                        option value="top" { (t("sched.layout.names.top")) }
                        option value="hidden" { (t("sched.layout.names.hidden")) }
                    }
                    fieldset.inline-choices {
                        legend { (t("sched.layout.fill")) }
                        label.check { input type="radio" name="layout_fill" value="auto"; " " (t("sched.layout.fill.auto")) }
                        label.check { input type="radio" name="layout_fill" value="assign"; " " (t("sched.layout.fill.assign")) }
                    }
                    ol #layout-slots hidden data-auto=(t("sched.layout.slot.auto")) data-empty=(t("sched.layout.slot.empty"))
                        data-up=(t("reg.up")) data-down=(t("reg.down")) data-window=(t("sched.layout.window")) {}
                    (check("layout_locked", t("sched.layout.locked")))
                    (err("layout"))
                }
            }
            section.card.tab-panel #tab-additional role="tabpanel" aria-labelledby="tabbtn-additional" data-panel="additional" hidden {
                label for="id" { (t("sched.id")) }
                input #id type="text" name="id" maxlength="64" placeholder=(t("sched.id.generated"));
                (err("id"))
                (check("pin_enabled", t("sched.pin_enabled")))
                input #pin type="text" name="pin" inputmode="numeric" maxlength="16" autocomplete="off" aria-label=(t("conf.pin"));
                (err("pin"))
                div #private-only { (check("join_without_invitation", t("sched.join_without_invitation"))) (err("join_without_invitation")) }
                (check("encrypted_media", t("sched.encrypted_media")))
                p.muted #encrypted-media-hint { (t("sched.encrypted_media.hint")) }
                (check("cameras_off_on_join", t("sched.cameras_off")))
                (check("microphones_off_on_join", t("sched.microphones_off")))
                fieldset #public-only {
                    legend { (t("sched.guest_permissions")) }
                    @for p in GUEST_PERMISSIONS {
                        label.check { input type="checkbox" name="guest_permissions" value=(p); " " (t(match p { "chat" => "sched.perm.chat", "microphone" => "sched.perm.microphone", _ => "sched.perm.camera" })) }
                    }
                    (err("guest_permissions"))
                }
                @if owner.allow_multicast {
                    fieldset #multicast-fields {
                        (check("multicast_enabled", t("sched.multicast")))
                        label for="multicast_group" { (t("sched.multicast.group")) }
                        input #multicast_group type="text" name="multicast_group" placeholder="239.1.2.3" maxlength="15";
                        label for="multicast_port" { (t("sched.multicast.port")) }
                        input #multicast_port type="number" name="multicast_port" min="1024" max="65532" step="2";
                        label for="multicast_ttl" { "TTL" }
                        input #multicast_ttl type="number" name="multicast_ttl" min="1" max="255" value="1";
                        (err("multicast"))
                    }
                }
                (check("record", t("sched.record"))) (err("record"))
                (check("email_invitations", t("sched.email_invitations"))) (err("email_invitations"))
                label for="location" { (t("sched.location")) }
                input #location type="text" name="location" maxlength="200";
                (err("location"))
                label for="description" { (t("sched.description")) }
                textarea #description name="description" maxlength="4000" rows="4" {}
                (err("description"))
            }
            (registration_tab(lang))
            p #form-error.notice.error role="alert" hidden {}
            p { button #save type="submit" { (t("sched.save")) } " " a href=(if id.is_some() { "/meetings" } else { "/home" }) { (t("sched.cancel")) } }
        }
        meta name="csrf-token" content=(u.csrf);
        script src="/static/schedule.js" {}
    };
    page(lang, title, Some(u), body).into_string()
}

/// The Registration tab (public scheduled conferences): the script fills and reads it.
fn registration_tab(lang: Lang) -> Markup {
    let t = |k: &'static str| tr(lang, k);
    let labels: serde_json::Map<String, serde_json::Value> = crate::registration::input::STANDARD_FIELDS
        .iter()
        .map(|k| {
            let f = crate::store::FormField { key: (*k).into(), label: String::new(), required: false };
            (k.to_string(), crate::conference_page::field_label(lang, &f).into())
        })
        .collect();
    html! {
        section.card.tab-panel #tab-registration role="tabpanel" aria-labelledby="registration-tab-button" data-panel="registration" hidden {
            p.muted { (t("reg.tab_help")) }
            (check("registration_enabled", t("reg.enable")))
            div #registration-fields {
                label for="registration_closes" { (t("reg.closes")) }
                select #registration_closes name="registration_closes" {
                    option value="never" { (t("reg.closes.never")) }
                    option value="start" { (t("reg.closes.start")) }
                    option value="end" { (t("reg.closes.end")) }
                    option value="custom" { (t("reg.closes.custom")) }
                }
                (err("registration_closes"))
                div #registration-custom hidden {
                    label for="registration_opens" { (t("reg.opens")) }
                    input #registration_opens type="datetime-local" name="registration_opens";
                    (err("registration_opens"))
                    label for="registration_closes_at" { (t("reg.closes_at")) }
                    input #registration_closes_at type="datetime-local" name="registration_closes_at";
                    (err("registration_closes_at"))
                }
                (check("registration_close_when_full", t("reg.close_when_full")))
                (check("registration_allow_attend", t("reg.allow_attend")))
                h3 { (t("reg.form")) }
                p.muted #registration-fixed-note hidden { (t("reg.form_fixed")) }
                p.muted #registration-drag-note { (t("reg.drag_note")) }
                ol #registration-form-fields data-labels=(serde_json::Value::Object(labels).to_string())
                    data-required=(t("reg.required")) data-remove=(t("reg.remove")) data-up=(t("reg.up")) data-down=(t("reg.down")) {}
                div #registration-add {
                    select #registration_add_kind aria-label=(t("reg.add_field")) {}
                    " "
                    input #registration_custom_label type="text" maxlength=(crate::registration::input::MAX_LABEL_CHARS) placeholder=(t("reg.custom_label"));
                    " "
                    button.secondary #registration-add-field type="button" data-custom=(t("reg.custom_field")) { (t("reg.add_field")) }
                }
                (err("registration_fields"))
            }
            (err("registration"))
        }
    }
}

async fn new_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<NewQuery>,
) -> Result<Html<String>> {
    if !state.store.rights_of(u.user.id).await?.contains(&Right::CreateConferences) {
        return Err(Error::Forbidden(msg!("err.you.do.not.have.2")));
    }
    // The first step (the guide's): Private or Public, then Continue — or start from a template.
    if q.access.is_none() && q.template.is_none() {
        return first_step(&state, &u, q.kind.as_deref() == Some("room")).await;
    }
    let mut input = match q.template {
        Some(tid) => {
            let tpl = state.store.template(u.user.id, tid).await?.ok_or(Error::NotFound)?;
            serde_json::from_value::<ConferenceInput>(tpl.settings).unwrap_or_default()
        }
        None => ConferenceInput { time_zone: u.user.time_zone.clone(), ..ConferenceInput::default() },
    };
    if let Some(a) = q.access.filter(|a| a == "public" || a == "private") {
        input.access = a;
    }
    if let Some(k) = q.kind.filter(|k| k == "room" || k == "scheduled") {
        input.kind = k;
    }
    let title = tr(u.lang, if input.kind == "room" { "sched.new_room" } else { "sched.new_conference" });
    let owner = FormContext::of(&state, u.user.id, &u.user.login, u.user.id).await?;
    Ok(Html(render(&u, title, "new", None, &input, None, &owner)))
}

async fn first_step(state: &AppState, u: &crate::auth::CurrentUser, room: bool) -> Result<Html<String>> {
    let lang = u.lang;
    let t = |k: &'static str| tr(lang, k);
    let templates = state.store.templates(u.user.id).await?;
    let title = t(if room { "sched.new_room" } else { "sched.new_conference" });
    let body = maud::html! {
        h1 { (title) }
        section.card #first-step {
            form method="get" action="/conferences/new" {
                @if room { input type="hidden" name="kind" value="room"; }
                fieldset {
                    legend { (t("sched.access")) }
                    label.check { input type="radio" name="access" value="private" checked; " " strong { (t("sched.access.private")) } }
                    p.muted { (t("sched.step.private_help")) }
                    label.check { input type="radio" name="access" value="public"; " " strong { (t("sched.access.public")) } }
                    p.muted { (t("sched.step.public_help")) }
                }
                p { button #continue type="submit" { (t("sched.step.continue")) } }
            }
        }
        @if !templates.is_empty() {
            section.card #from-template {
                h2 { (t("sched.step.templates")) }
                ul.plain {
                    @for tpl in &templates {
                        li { a.template href={"/conferences/new?template=" (tpl.id)} { (tpl.name) } }
                    }
                }
            }
        }
    };
    Ok(Html(crate::layout::page(lang, title, Some(u), body).into_string()))
}

async fn edit_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<String>,
) -> Result<Html<String>> {
    let c = super::editable(&state, &u, &id).await?;
    let running = match &state.control {
        Some(control) => control.call(&id, None, crate::control::Request::Status).await.is_ok_and(|s| s.running),
        None => false,
    };
    let note = running.then(|| tr(u.lang, "sched.is_running"));
    let owner = c.participants.iter().find(|p| p.user_id == c.owner_id).map(|p| p.login.clone()).unwrap_or_default();
    let owner = FormContext::of(&state, c.owner_id, &owner, u.user.id).await?;
    Ok(Html(render(&u, tr(u.lang, "sched.edit"), "edit", Some(&c.id), &input_of(&c), note, &owner)))
}

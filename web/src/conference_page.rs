//! Every conference's page, `/c/<id>`: its name and details and, while it runs (a virtual room
//! always may), **Join from the browser**, **Join from the application** and, for a webinar,
//! **Join as guest** with a name; a PIN field where the conference has a PIN. A private
//! conference shows itself only to those it admits: invited users, users of the server when it
//! admits them without an invitation, and operators; guests and everybody else get the same
//! answer as for an id that does not exist.
//!
//! A webinar with registration (see [`crate::registration`]) shows, besides its details and
//! **Add to calendar**: **Sign up** while registration is open (or why it is not), **Attend** for
//! signed-in users where the organiser allows it, and, while it runs, **Join** for a guest who
//! opened their join link; guests cannot join by name alone. `?embed=1` shows a public
//! conference's page without the site's navigation, for the widget that frames it.

use crate::auth::CurrentUser;
use crate::auth::session::MaybeUser;
use crate::error::Result;
use crate::home::{fmt_time, user_tz};
use crate::i18n::{Lang, tr};
use crate::layout::{notice, page};
use crate::registration::Status;
use crate::rights::Right;
use crate::state::{AppState, now};
use crate::store::{ConferenceKind, ConferencePage, FormField, Registration};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono_tz::Tz;
use maud::{Markup, html};

pub fn router() -> Router<AppState> {
    Router::new().route("/c/{id}", get(conference_page)).route("/c/{id}/ws", get(crate::join_ws::upgrade))
}

pub use crate::admission::Standing;

/// What the page and its WebSocket need to know about a visitor; `None`: the conference is
/// hidden from them (404). The core decides, from the facts about the user.
pub async fn standing(state: &AppState, page: &ConferencePage, user: Option<&CurrentUser>) -> Result<Option<Standing>> {
    let facts = match user {
        Some(u) => Some(crate::admission::user_facts(&state.store, u.user.id, &page.dial_in.id, now()).await?),
        None => None,
    };
    // Whether it runs does not change who may see it.
    Ok(crate::admission::standing(&crate::admission::conference(&page.dial_in, Default::default()), facts.as_ref()))
}

fn hidden(lang: Lang, user: Option<&CurrentUser>) -> Response {
    let body = html! {
        section.card #conference-missing {
            h1 { (tr(lang, "cpage.missing")) }
            @if user.is_none() {
                p { (tr(lang, "cpage.sign_in_hint")) }
            }
        }
    };
    let markup = page(lang, tr(lang, "cpage.missing"), user, body);
    (StatusCode::NOT_FOUND, Html(markup.into_string())).into_response()
}

/// What a conference's page shows from the store, whoever looks: read once per store
/// generation (a webinar's page is what a crowd opens at its start time).
pub struct PageData {
    pub page: ConferencePage,
    /// How many are on the list, where registration closes when full.
    pub listed: i64,
    /// Add to Google Calendar (without the PIN), for scheduled conferences: the event's text in
    /// each language.
    pub google: Vec<(Lang, String)>,
}

impl PageData {
    pub fn google(&self, lang: Lang) -> Option<&str> {
        self.google.iter().find(|(l, _)| *l == lang).map(|(_, g)| g.as_str())
    }
}

async fn page_data(state: &AppState, id: &str) -> Result<Option<std::sync::Arc<PageData>>> {
    let g = state.cache.generation(&state.store);
    if let Some(d) = state.cache.page(id, g) {
        return Ok(Some(d));
    }
    let Some(page) = state.store.conference_page(id).await? else { return Ok(None) };
    let listed = crate::registration::listed(state, &page).await?;
    let google = match (page.dial_in.kind, state.store.editable_conference(id).await?) {
        (ConferenceKind::Scheduled, Some(e)) => {
            let mut s = e.settings;
            s.pin = None;
            Lang::ALL
                .into_iter()
                .filter_map(|l| crate::scheduling::ics::google_link(&state.config, id, &s, l).map(|g| (l, g)))
                .collect()
        }
        _ => Vec::new(),
    };
    let d = std::sync::Arc::new(PageData { page, listed, google });
    state.cache.put_page(id, g, d.clone());
    Ok(Some(d))
}

#[derive(serde::Deserialize)]
struct PageQuery {
    #[serde(default)]
    embed: Option<String>,
}

async fn conference_page(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response> {
    let lang = user.as_ref().map(|u| u.lang).unwrap_or_else(|| {
        Lang::from_accept_language(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
    });
    let id = id.to_ascii_lowercase();
    if id.is_empty() || id.len() > 64 {
        return Ok(hidden(lang, user.as_ref()));
    }
    let Some(data) = page_data(&state, &id).await? else { return Ok(hidden(lang, user.as_ref())) };
    let c = &data.page;
    let facts = match &user {
        Some(u) => Some(crate::admission::user_facts(&state.store, u.user.id, &c.dial_in.id, now()).await?),
        None => None,
    };
    let now_in = crate::admission::presence(state.control.as_ref(), &c.dial_in.id);
    let rules = crate::admission::conference(&c.dial_in, now_in);
    let Some(standing) = crate::admission::standing(&rules, facts.as_ref()) else {
        return Ok(hidden(lang, user.as_ref()));
    };
    let licensed = facts.is_some_and(|f| f.licensed);
    let open = tessera_conference::admission::open_now(&rules);
    let tz = user.as_ref().map(user_tz).unwrap_or(Tz::UTC);
    let d = &c.dial_in;
    let may_join_as_user = user.is_some() && standing == Standing::Member && licensed;
    let rights = match &user {
        Some(u) => state.store.rights_of(u.user.id).await?,
        None => Default::default(),
    };
    let may_share = rights.contains(&Right::ScreenSharing);
    let may_show_slides = user.is_some() && crate::slides::may_show(&state, Some(&rights));
    // Recording in the client: what this participant sees and hears, saved on their computer.
    let may_record = rights.contains(&Right::Recording);
    let reg = c.registration_on();
    let reg_status = match reg {
        Some(r) if standing == Standing::Outsider => Some(crate::registration::status_now(c, r, data.listed)),
        _ => None,
    };
    let embed = d.public && q.embed.is_some();
    let sip = format!("sip:{}@{}", d.id, state.config.sip_host);
    let google = data.google(lang);
    // TURN relays with credentials for this page (time-limited; nothing to keep on the server).
    let ice = state.config.turn.as_ref().map_or_else(Vec::new, |t| t.ice_servers(chrono::Utc::now().timestamp()));
    let ice = serde_json::to_string(&ice).unwrap_or_else(|_| "[]".into());
    let body = html! {
        section.card #conference data-conference=(d.id) data-ws=(format!("/c/{}/ws", d.id)) data-ice=(ice) {
            h1 #conference-name { (d.name) }
            dl.details {
                dt { (tr(lang, "conf.id")) } dd { code { (d.id) } }
                dt { (tr(lang, "cpage.owner")) } dd { (c.owner_name) }
                dt { (tr(lang, "cpage.access")) } dd { (tr(lang, if d.public { "conf.public" } else { "conf.private" })) }
                dt { (tr(lang, "cpage.kind")) }
                dd {
                    @if d.kind == ConferenceKind::Room { (tr(lang, "cpage.room")) }
                    @else {
                        (tr(lang, "cpage.scheduled"))
                        @if let Some(s) = c.starts_at { " " (fmt_time(tz, s, "%Y-%m-%d %H:%M")) " (" (tz.name()) ")" }
                        @if let Some(m) = c.duration_minutes { ", " (m) " " (tr(lang, "conf.minutes")) }
                        @if c.recurrence.is_some() { ", " (tr(lang, "sched.recurring")) }
                    }
                }
                @if !c.location.is_empty() { dt { (tr(lang, "cpage.location")) } dd { (c.location) } }
                @if !c.description.is_empty() { dt { (tr(lang, "cpage.description")) } dd { (c.description) } }
                dt { (tr(lang, "cpage.sip")) } dd { code { (sip) } }
            }
            @if d.kind == ConferenceKind::Scheduled {
                p.actions #add-to-calendar {
                    (tr(lang, "sched.export")) ": "
                    a #calendar-ics href={"/c/" (d.id) "/calendar.ics"} { ".ics" }
                    @if let Some(g) = google { " · " a #calendar-google href=(g) target="_blank" rel="noopener" { "Google" } }
                }
            }
            @if !open {
                (notice("info", tr(lang, "cpage.not_started")))
            } @else {
                form #join-form {
                    @if d.pin.is_some() {
                        label { (tr(lang, "cpage.pin")) " "
                            input #pin name="pin" type="password" inputmode="numeric" autocomplete="off" maxlength="32";
                        }
                    }
                    @if may_join_as_user {
                        p.actions {
                            button #join-browser type="button" data-as="user" { (tr(lang, "cpage.join_browser")) }
                            " "
                            a.button #join-app href=(sip) { (tr(lang, "cpage.join_app")) }
                        }
                    }
                    @if user.is_some() && !licensed && standing == Standing::Member {
                        (notice("error", tr(lang, "cpage.no_license")))
                    }
                    @if d.public && reg.is_some() {
                        div #registrant-join hidden {
                            p { (tr(lang, "reg.join_with_link")) }
                            button #join-registrant type="button" data-as="registrant" { (tr(lang, "reg.join")) }
                        }
                    }
                    @if d.public && !may_join_as_user && reg.is_none() {
                        fieldset #guest {
                            legend { (tr(lang, "cpage.guest")) }
                            label { (tr(lang, "cpage.your_name")) " "
                                input #guest-name name="name" type="text" maxlength="64" autocomplete="name";
                            }
                            " "
                            button #join-guest type="button" data-as="guest" { (tr(lang, "cpage.join_guest")) }
                        }
                    }
                    @if user.is_none() && !embed {
                        p { a #sign-in-to-join href={"/login?next=/c/" (d.id)} { (tr(lang, "cpage.sign_in_to_join")) } }
                    }
                }
            }
            p #join-status role="status" {}
        }
        @if let (Some(r), Some(st)) = (reg, reg_status) {
            (registration_section(lang, tz, &d.id, r, st, user.as_ref()))
        }
        @if d.public && standing == Standing::Member && user.is_some() {
            details.card #widget {
                summary { (tr(lang, "reg.widget")) }
                p.muted { (tr(lang, "reg.widget_help")) }
                textarea #widget-code readonly rows="3" translate="no" { (crate::registration::widget_html(&state.config, &d.id)) }
            }
        }
        section.card #call hidden
            data-joining=(tr(lang, "call.joining")) data-connected=(tr(lang, "call.connected"))
            data-mic-off=(tr(lang, "call.mic_off")) data-cam-off=(tr(lang, "call.cam_off"))
            data-ended=(tr(lang, "call.ended")) data-left=(tr(lang, "call.left")) data-failed=(tr(lang, "call.failed"))
            data-share-ended=(tr(lang, "call.share_ended")) data-devices-changed=(tr(lang, "call.devices_changed")) {
            div.stage {
                video #remote autoplay playsinline {}
                video #self autoplay playsinline muted {}
            }
            p #device-notice role="alert" {}
            // A browser's media is always DTLS-SRTP; where the conference takes nothing else,
            // everyone's is encrypted.
            p.muted #media-security {
                "🔒 " (tr(lang, if d.encrypted_media { "call.encrypted_everyone" } else { "call.encrypted_yours" }))
            }
            p.actions {
                button #mic type="button" aria-pressed="true" { (tr(lang, "call.mic")) }
                " "
                button #cam type="button" aria-pressed="true" { (tr(lang, "call.cam")) }
                " "
                @if may_share {
                    button #share type="button" aria-pressed="false" { (tr(lang, "call.share")) }
                    " "
                }
                @if c.mode != tessera_conference::Mode::VideoLecture {
                    label for="my-layout" { (tr(lang, "call.my_layout")) } " "
                    select #my-layout {
                        option value="" { (tr(lang, "call.layout_conference")) }
                        @for lt in tessera_mixer::layout::LayoutType::ALL {
                            option value=(crate::scheduling::form::layout_type_key(lt).trim_start_matches("layout.")) {
                                (tr(lang, crate::scheduling::form::layout_type_key(lt)))
                            }
                        }
                    }
                    " "
                }
                @if c.mode == tessera_conference::Mode::RoleBased {
                    button #ask-podium type="button" data-asked=(tr(lang, "call.podium_asked"))
                        data-approved=(tr(lang, "call.podium_approved")) data-declined=(tr(lang, "call.podium_declined")) {
                        (tr(lang, "call.ask_podium"))
                    }
                    " "
                }
                @if may_record {
                    button #record type="button" aria-pressed="false" data-stop=(tr(lang, "call.record_stop"))
                        data-conference=(d.id) title=(tr(lang, "call.record_help")) { (tr(lang, "call.record")) }
                    " "
                }
                button #hangup.danger type="button" { (tr(lang, "call.hangup")) }
            }
            @if may_show_slides {
                div #slides {
                    label.button for="slides-file" { (tr(lang, "call.slides")) }
                    input #slides-file.visually-hidden type="file" accept="application/pdf,.pdf";
                    span #slides-controls hidden {
                        " "
                        button #slide-prev type="button" { "◀ " (tr(lang, "call.slide_prev")) }
                        " " span #slide-page aria-live="polite" {} " "
                        button #slide-next type="button" { (tr(lang, "call.slide_next")) " ▶" }
                        " "
                        button #slides-stop type="button" { (tr(lang, "call.slides_stop")) }
                    }
                    p #slides-status role="status" {}
                    canvas #slide-canvas width="1280" height="720" hidden {}
                }
            }
            div #chat {
                h2 { (tr(lang, "call.chat")) }
                ol #chat-log role="log" aria-live="polite" aria-relevant="additions" aria-label=(tr(lang, "call.chat")) {}
                form #chat-form {
                    input #chat-text type="text" maxlength="2000" autocomplete="off" aria-label=(tr(lang, "call.chat"));
                    " "
                    button type="submit" { (tr(lang, "call.send")) }
                    // Shown when the server says this participant may send files.
                    span #chat-file-box hidden {
                        " "
                        label.button for="chat-file" { (tr(lang, "call.send_file")) }
                        input #chat-file.visually-hidden type="file"
                            data-too-big=(tr(lang, "call.file_too_big")) data-sending=(tr(lang, "call.file_sending"));
                    }
                }
                p #chat-file-status role="status" {}
            }
        }
        @if let Some(u) = &user { meta name="csrf-token" content=(u.csrf); }
        script src="/static/conference.js" {}
        script src="/static/chat_files.js" {}
        @if may_show_slides {
            script src="/static/pdfjs/pdf.js" {}
            script src="/static/slides.js" {}
        }
        @if may_record { script src="/static/record.js" {} }
        @if reg.is_some() { script src="/static/registration.js" {} }
    };
    if embed {
        let mut r = Html(crate::layout::bare_page(lang, &d.name, body).into_string()).into_response();
        r.extensions_mut().insert(crate::Embeddable);
        return Ok(r);
    }
    Ok(Html(page(lang, &d.name, user.as_ref(), body).into_string()).into_response())
}

/// The label of a sign-up form's field: a standard one's in the user's language, a custom
/// one's as the organiser wrote it.
pub fn field_label(lang: Lang, f: &FormField) -> String {
    match f.key.as_str() {
        "name" => tr(lang, "reg.field.name").into(),
        "email" => tr(lang, "reg.field.email").into(),
        "phone" => tr(lang, "reg.field.phone").into(),
        "organization" => tr(lang, "reg.field.organization").into(),
        "position" => tr(lang, "reg.field.position").into(),
        _ => f.label.clone(),
    }
}

/// Sign up (or why not now) and Attend, for those not yet on a webinar's list.
fn registration_section(
    lang: Lang,
    tz: Tz,
    id: &str,
    r: &Registration,
    st: Status,
    user: Option<&CurrentUser>,
) -> Markup {
    html! {
        section.card #registration {
            h2 { (tr(lang, "reg.title")) }
            @match st {
                Status::Open => {
                    p { button #sign-up type="button" { (tr(lang, "reg.sign_up")) } }
                    form #signup-form hidden data-url={"/c/" (id) "/register"} novalidate {
                        p.muted { (tr(lang, "reg.required_note")) }
                        @for f in &r.fields {
                            label for={"reg-" (f.key)} { (field_label(lang, f)) @if f.required { " *" } }
                            input id={"reg-" (f.key)} data-key=(f.key) name=(f.key)
                                type=(match f.key.as_str() { "email" => "email", "phone" => "tel", _ => "text" })
                                maxlength=(if f.key == "name" { 64 } else { 500 })
                                required[f.required]
                                autocomplete=(match f.key.as_str() { "name" => "name", "email" => "email", "phone" => "tel", "organization" => "organization", "position" => "organization-title", _ => "off" });
                            div.field-error data-error-for=(f.key) role="alert" {}
                        }
                        div.field-error data-error-for="registration" role="alert" {}
                        p { button #signup-submit type="submit" { (tr(lang, "reg.submit")) } }
                    }
                    div #signup-done hidden data-emailed=(tr(lang, "reg.emailed")) data-copy=(tr(lang, "reg.copy_note")) {
                        p #signup-message role="status" {}
                        p #signup-link-row hidden {
                            input #join-link type="text" readonly size="60" aria-label=(tr(lang, "reg.link"));
                            " "
                            button #copy-link type="button" data-copied=(tr(lang, "reg.copied")) { (tr(lang, "reg.copy")) }
                            " "
                            a #open-link href="#" { (tr(lang, "reg.open_link")) }
                        }
                    }
                }
                Status::NotYet(t) => {
                    p #registration-closed.notice.info { (tr(lang, "reg.opens_at")) " " (fmt_time(tz, t, "%Y-%m-%d %H:%M")) " (" (tz.name()) ")" }
                }
                Status::Closed => { p #registration-closed.notice.info { (tr(lang, "reg.closed")) } }
                Status::Full => { p #registration-closed.notice.info { (tr(lang, "reg.full")) } }
            }
            @if user.is_some() && r.allow_attend {
                p.actions {
                    button #attend type="button" data-url={"/c/" (id) "/attend"} { (tr(lang, "reg.attend")) }
                    " " span #attend-status role="status" {}
                }
            }
        }
    }
}

//! The **conference manager** (`/conferences/<id>/manage`): operators and moderators run a
//! meeting from the browser without joining it. The page shows the conference's name, how long
//! it has run, its details (RTSP URL, multicast, the widget for webinars), every participant with
//! device controls (camera, microphone, sensitivity, remove, podium, moderator, rename,
//! individual layout; several at once), the layout panel (scope, type, windows, content slot,
//! names, do-not-allow-changes, fill automatically or window by window, drag to move, double
//! click to enlarge, discard, Apply) and **End**. Changes go through the JSON control API
//! (`POST /api/v1/conferences/<id>/live`); the page's WebSocket (`…/manage/ws`) pushes the live
//! state whenever something happens in the conference.
//!
//! Who: the owner, moderators and users with the operator right; participants get 403, anyone
//! else 404.

use crate::auth::PageUser;
use crate::auth::session::MaybeUser;
use crate::control::{Event, LiveState, Request};
use crate::error::{Error, Result};
use crate::i18n::tr;
use crate::layout::page;
use crate::live::{Access, access};
use crate::msg;
use crate::state::AppState;
use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::html;
use std::time::Duration;
use tessera_mixer::layout::{LayoutType, MAX_WINDOWS};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/conferences/{id}/manage", get(manager_page))
        .route("/conferences/{id}/manage/ws", get(upgrade))
}

async fn may_control(state: &AppState, user_id: i64, id: &str) -> Result<()> {
    match access(state, user_id, id).await? {
        Access::Control | Access::Own => Ok(()),
        Access::Watch => Err(Error::Forbidden(msg!("err.only.owner.moderators.operators.2"))),
    }
}

async fn manager_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<String>,
) -> Result<Html<String>> {
    let id = id.to_ascii_lowercase();
    may_control(&state, u.user.id, &id).await?;
    let c = state.store.conference_page(&id).await?.ok_or(Error::NotFound)?;
    let lang = u.lang;
    let t = |k: &'static str| tr(lang, k);
    let d = &c.dial_in;
    let lecture = c.mode == crate::store::Mode::VideoLecture;
    // The server's devices are for operators, where `[devices]` is on.
    let server_devices =
        state.devices.is_some() && state.store.rights_of(u.user.id).await?.contains(&crate::rights::Right::Operator);
    let body = html! {
        section.card #manager data-id=(d.id) data-csrf=(u.csrf) data-ws=(format!("/conferences/{}/manage/ws", d.id))
            data-mode=(c.mode) data-not-running=(t("mgr.not_running")) data-running=(t("mgr.running")) {
            h1 #m-name { (d.name) }
            p { span #m-status role="status" {} " " span #m-duration {} }
            dl.details {
                dt { (t("conf.id")) } dd { code { (d.id) } }
                dt { (t("sched.mode")) } dd { (t(crate::scheduling::lists::mode_key(c.mode))) }
                dt { "RTSP" } dd { code #m-rtsp {} }
                dt { (t("sched.multicast")) } dd { code #m-multicast {} }
                dt { (t("mgr.stream")) } dd #m-stream data-live=(t("mgr.stream_live"))
                    data-connecting=(t("mgr.stream_connecting")) data-retrying=(t("mgr.stream_retrying")) { "—" }
                dt { (t("cpage.sip")) } dd { code { "sip:" (d.id) "@" (state.config.sip_host) } }
            }
            @if d.public {
                details #m-widget {
                    summary { (t("reg.widget")) }
                    textarea #m-widget-code readonly rows="3" translate="no" { (crate::registration::widget_html(&state.config, &d.id)) }
                }
            }
            p.actions {
                a.button.secondary href={"/c/" (d.id)} { (t("sched.open_page")) }
                " "
                button.danger #m-end type="button" { (t("mgr.end")) }
                " "
                button.danger #m-end-confirm type="button" hidden { (t("mgr.end_confirm")) }
            }
            p #m-error.notice.error role="alert" hidden {}
        }
        section.card #m-participants {
            h2 { (t("mgr.participants")) " " span #m-count {} }
            p.actions {
                button.secondary #m-bulk-cam-off type="button" { (t("mgr.bulk_cam_off")) } " "
                button.secondary #m-bulk-mic-off type="button" { (t("mgr.bulk_mic_off")) } " "
                button.danger #m-bulk-remove type="button" { (t("mgr.bulk_remove")) }
            }
            div.table-scroll role="region" aria-label=(t("mgr.participants")) tabindex="0" { table.participants #m-roster
                data-cam=(t("call.cam")) data-mic=(t("call.mic")) data-remove=(t("mgr.remove"))
                data-rename=(t("mgr.rename")) data-podium-on=(t("mgr.podium_on")) data-podium-off=(t("mgr.podium_off"))
                data-moderator-on=(t("mgr.moderator_on")) data-moderator-off=(t("mgr.moderator_off"))
                data-individual=(t("mgr.individual")) data-on=(t("mgr.on")) data-off=(t("mgr.off"))
                data-devices=(t("mgr.devices")) data-encrypted=(t("mgr.encrypted")) data-plain=(t("mgr.plain"))
                data-loss=(t("mgr.loss")) data-jitter=(t("mgr.jitter"))
                data-tier-half=(t("mgr.tier_half")) data-tier-quarter=(t("mgr.tier_quarter")) {
                thead { tr {
                    th { input #m-select-all type="checkbox" aria-label=(t("mgr.select_all")); }
                    th { (t("mgr.name")) } th { (t("mgr.endpoint")) } th { (t("call.cam")) } th { (t("call.mic")) }
                    th { (t("mgr.sensitivity")) } th {}
                } }
                tbody {}
            } }
            // Role-based: who asked for the podium, to approve or decline.
            div #m-requests hidden data-approve=(t("mgr.podium_approve")) data-decline=(t("mgr.podium_decline")) {
                h3 { (t("mgr.podium_requests")) }
                ul #m-request-list {}
            }
            // Set up a browser participant's devices (the page lists what it has).
            div #m-devices hidden {
                h3 { (t("mgr.devices")) ": " span #m-devices-name {} }
                div.inline-choices {
                    label for="m-dev-camera" { (t("mgr.devices.camera")) } select #m-dev-camera {}
                    label for="m-dev-microphone" { (t("mgr.devices.microphone")) } select #m-dev-microphone {}
                    label for="m-dev-speaker" { (t("mgr.devices.speaker")) } select #m-dev-speaker {}
                }
                p { button #m-dev-apply type="button" { (t("mgr.devices.apply")) } " " span #m-dev-status role="status" {} }
            }
        }
        section.card #m-add data-calling=(t("mgr.call.calling")) data-ringing=(t("mgr.call.ringing"))
            data-call_failed=(t("mgr.call.call_failed")) data-joined=(t("mgr.call.joined")) data-no-contacts=(t("mgr.no_contacts")) {
            h2 { (t("mgr.add")) }
            p.muted { (t("mgr.add_help")) }
            div.inline-choices {
                label for="m-add-user" { (t("mgr.add_user")) }
                input #m-add-user type="search" autocomplete="off" maxlength="64" placeholder=(t("mgr.add_user_placeholder"));
                select #m-add-user-pick aria-label=(t("mgr.add_user")) {}
                button #m-call-user type="button" { (t("mgr.call")) }
            }
            div.inline-choices {
                label for="m-add-contact" { (t("mgr.add_contact")) }
                select #m-add-contact {}
                button #m-call-contact type="button" { (t("mgr.call")) }
            }
            div.inline-choices {
                label for="m-add-address" { (t("mgr.add_address")) }
                input #m-add-address type="text" maxlength="200" placeholder="sip:room@example.org";
                label for="m-add-name" { (t("mgr.add_address_name")) }
                input #m-add-name type="text" maxlength="64";
                button #m-call-address type="button" { (t("mgr.call")) }
            }
            p #m-add-status role="status" {}
            h3 { (t("mgr.calls")) }
            ul #m-calls {}
        }
        @if server_devices {
            // Devices attached to the server (operators): stored with the conference, they join
            // whenever it runs. Filled by /static/manager_devices.js.
            section.card #m-server-devices data-detach=(t("mgr.sd.detach")) data-none=(t("mgr.sd.none"))
                data-echo-off=(t("mgr.sd.echo_off")) data-starts=(t("mgr.sd.starts_room")) {
                h2 { (t("mgr.sd.title")) }
                p.muted { (t("mgr.sd.help")) }
                ul #m-sd-list {}
                div.inline-choices {
                    label for="m-sd-name" { (t("mgr.sd.name")) }
                    input #m-sd-name type="text" maxlength="64" placeholder=(t("mgr.sd.name_placeholder"));
                    label for="m-sd-camera" { (t("mgr.devices.camera")) } select #m-sd-camera {}
                    label for="m-sd-microphone" { (t("mgr.devices.microphone")) } select #m-sd-microphone {}
                    label for="m-sd-speaker" { (t("mgr.devices.speaker")) } select #m-sd-speaker {}
                }
                p {
                    label { input #m-sd-echo type="checkbox" checked; " " (t("mgr.sd.echo")) }
                    " "
                    label { input #m-sd-start type="checkbox"; " " (t("mgr.sd.start_room")) }
                }
                p { button #m-sd-attach type="button" { (t("mgr.sd.attach")) } " " span #m-sd-status role="status" {} }
                // A camera's pan, tilt, zoom and focus, and its presets.
                div #m-camera hidden data-recall=(t("mgr.cam.recall")) data-forget=(t("mgr.cam.forget"))
                    data-button=(t("mgr.cam.title")) data-pan=(t("mgr.cam.pan")) data-tilt=(t("mgr.cam.tilt"))
                    data-zoom=(t("mgr.cam.zoom")) data-focus=(t("mgr.cam.focus")) data-no-device=(t("mgr.sd.no_device")) {
                    h3 { (t("mgr.cam.title")) ": " span #m-camera-name {} }
                    div #m-camera-controls.inline-choices {}
                    h4 { (t("mgr.cam.presets")) }
                    ul #m-camera-presets {}
                    div.inline-choices {
                        label for="m-camera-preset-name" { (t("mgr.cam.preset_name")) }
                        input #m-camera-preset-name type="text" maxlength="40";
                        button #m-camera-save type="button" { (t("mgr.cam.save")) }
                    }
                    p #m-camera-status role="status" {}
                }
            }
        }
        @if !lecture {
            section.card #m-layout {
                h2 { (t("sched.tab.layout")) }
                label for="m-scope" { (t("sched.layout.scope")) }
                select #m-scope data-all=(t("sched.layout.scope.all")) data-sip=(t("mgr.scope.sip")) data-webrtc=(t("mgr.scope.webrtc")) {}
                div.inline-choices {
                    label for="m-kind" { (t("sched.layout.type")) }
                    select #m-kind {
                        @for lt in LayoutType::ALL {
                            option value=(crate::scheduling::form::layout_type_key(lt).trim_start_matches("layout.")) {
                                (t(crate::scheduling::form::layout_type_key(lt)))
                            }
                        }
                    }
                    label for="m-windows" { (t("sched.layout.windows")) }
                    input #m-windows type="number" min="1" max=(MAX_WINDOWS) value="4";
                    label.check { input #m-content type="checkbox"; " " (t("sched.layout.content_slot")) }
                    label for="m-names" { (t("sched.layout.names")) }
                    select #m-names {
                        option value="bottom" { (t("sched.layout.names.bottom")) }
                        option value="top" { (t("sched.layout.names.top")) }
                        option value="hidden" { (t("sched.layout.names.hidden")) }
                    }
                }
                details #m-advanced {
                    summary { (t("mgr.advanced")) }
                    label.check { input #m-locked type="checkbox"; " " (t("sched.layout.locked")) }
                    label.check { input #m-auto type="checkbox"; " " (t("sched.layout.fill.auto")) }
                    button.secondary #m-discard type="button" { (t("mgr.discard")) }
                }
                label.check { input #m-show-controls type="checkbox"; " " (t("mgr.show_controls")) }
                p.muted { (t("mgr.layout_help")) }
                p.muted #m-adaptive hidden { (t("mgr.adaptive")) }
                div #m-grid data-auto=(t("sched.layout.slot.auto")) data-empty=(t("sched.layout.slot.empty"))
                    data-window=(t("sched.layout.window")) data-earlier=(t("mgr.move_earlier"))
                    data-later=(t("mgr.move_later")) data-enlarge=(t("mgr.enlarge")) {}
                p { button #m-apply type="button" { (t("mgr.apply")) } " " span #m-layout-status role="status" {} }
            }
        }
        script src="/static/manager.js" {}
        @if server_devices {
            script src="/static/manager_devices.js" {}
        }
    };
    Ok(Html(page(lang, &format!("{} · {}", t("mgr.title"), d.name), Some(&u), body).into_string()))
}

async fn upgrade(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    ws: WebSocketUpgrade,
) -> Response {
    if !crate::join_ws::same_origin(&headers) {
        return Error::Forbidden(msg!("err.websocket.come.from.server")).into_response();
    }
    let Some(u) = user else { return Error::Unauthorized.into_response() };
    let id = id.to_ascii_lowercase();
    if let Err(e) = may_control(&state, u.user.id, &id).await {
        return e.into_response();
    }
    let session = u.session_hash.clone();
    ws.max_message_size(4096).on_upgrade(move |socket| live_updates(socket, state, id, u.user.id, session))
}

/// Events the page lists under "Calls".
const CALL_EVENTS: &[&str] = &["calling", "ringing", "call_failed", "joined"];

/// How calls the server places go (and who joined), for the page's list of calls.
async fn send_calls(socket: &mut WebSocket, id: &str, events: &[Event]) -> bool {
    for e in events.iter().filter(|e| e.conference == id && CALL_EVENTS.contains(&e.kind.as_str())) {
        let msg =
            serde_json::json!({ "type": "call", "kind": e.kind, "name": e.name, "detail": e.detail, "at_ms": e.at_ms });
        if socket.send(Message::Text(msg.to_string().into())).await.is_err() {
            return false;
        }
    }
    true
}

async fn send_state(socket: &mut WebSocket, state: &AppState, id: &str, user: i64) -> bool {
    let Some(control) = &state.control else { return false };
    let live: Option<LiveState> = control.call(id, Some(user), Request::Status).await.ok();
    // Each participant's link: RTCP loss and jitter, the rate it sends at.
    let links = control.links.of(id);
    let msg = serde_json::json!({ "type": "state", "state": live, "links": links });
    socket.send(Message::Text(msg.to_string().into())).await.is_ok()
}

/// Pushes the live state at once and after every event of the conference (bursts coalesced
/// over 100 ms), and every 5 s (the duration, the links, a conference that started or ended
/// elsewhere).
/// How often an open manager page's right to it is checked again.
const RECHECK: Duration = Duration::from_secs(5);

/// Why an open manager page may no longer see the conference: the session was signed out or
/// expired, the account disabled, or the user no longer runs the conference.
async fn no_longer(state: &AppState, session: &str, id: &str, user: i64) -> Option<&'static str> {
    let s = match state.store.session(session).await {
        Ok(Some(s)) => s,
        // Disabling an account deletes its sessions: say which it was.
        Ok(None) => {
            let disabled = matches!(state.store.user_by_id(user).await, Ok(Some(u)) if u.disabled);
            return Some(if disabled { "the account was disabled" } else { "signed out" });
        }
        // The store is briefly unavailable: keep the page; the next check decides.
        Err(_) => return None,
    };
    if s.user.disabled {
        return Some("the account was disabled");
    }
    let absolute = state.cache.settings(&state.store).await.map_or(12, |s| s.session_absolute_hours) * 3600;
    if crate::state::now() - s.created_at > absolute {
        return Some("the session expired");
    }
    match may_control(state, user, id).await {
        Ok(()) => None,
        Err(Error::Forbidden(_) | Error::NotFound) => Some("you no longer run this conference"),
        Err(_) => None,
    }
}

async fn live_updates(mut socket: WebSocket, state: AppState, id: String, user: i64, session: String) {
    let mut events = state.control.as_ref().map(|c| c.events.subscribe_to(&id));
    metrics::gauge!("tessera_manager_pages").increment(1.0);
    // Every 5 s: the running time, the links' figures, a conference that started or ended
    // elsewhere.
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    let mut recheck = tokio::time::interval(RECHECK);
    loop {
        tokio::select! {
            _ = recheck.tick() => {
                if let Some(why) = no_longer(&state, &session, &id, user).await {
                    tracing::info!(conference = %id, user, reason = why, "manager page closed");
                    metrics::gauge!("tessera_manager_pages").decrement(1.0);
                    crate::join_ws::close(socket, 1008, why).await;
                    return;
                }
            }
            _ = tick.tick() => {
                if !send_state(&mut socket, &state, &id, user).await { break; }
            }
            e = crate::control::next_broadcast(events.as_mut()) => {
                if e.as_ref().is_some_and(|e| e.conference != id) { continue; }
                tokio::time::sleep(Duration::from_millis(100)).await;
                let mut burst: Vec<Event> = e.into_iter().collect();
                if let Some(rx) = events.as_mut() { while let Ok(e) = rx.try_recv() { burst.push(e); } }
                if !send_calls(&mut socket, &id, &burst).await { break; }
                if !send_state(&mut socket, &state, &id, user).await { break; }
            }
            m = socket.recv() => match m {
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                _ => {}
            }
        }
    }
    metrics::gauge!("tessera_manager_pages").decrement(1.0);
}

#[cfg(test)]
mod tests {
    use crate::rights::Right;
    use crate::store::Role;
    use crate::tests::App;

    crate::both_backends!(only_owners_moderators_and_operators_manage, |store| {
        let app = App::new(store.clone());
        let alice = app.user("alice", "alice-password").await;
        let dave = app.user("dave", "dave-password").await;
        let mona = app.user("mona", "mona-password").await;
        let olga = app.user("olga", "olga-password").await;
        app.user("carol", "carol-password").await;
        store.grant_rights(olga, &[Right::Operator]).await.unwrap();
        app.room("ops", "Ops <review>", alice, true).await;
        store.add_participant("ops", dave, Role::Participant).await.unwrap();
        store.add_participant("ops", mona, Role::Moderator).await.unwrap();
        for (login, pw, status) in [
            ("alice", "alice-password", 200),
            ("mona", "mona-password", 200),
            ("olga", "olga-password", 200),
            ("dave", "dave-password", 403),
            ("carol", "carol-password", 404),
        ] {
            let s = app.sign_in(login, pw).await;
            let r = app.get("/conferences/ops/manage", Some(&s)).await;
            assert_eq!(r.status, status, "{login}: {}", r.text());
            if status == 200 {
                let html = r.text();
                assert!(html.contains("Ops &lt;review&gt;") && html.contains("id=\"m-apply\""), "{login}");
                assert!(html.contains("id=\"m-widget-code\""), "a webinar shows its widget");
            }
            // The card offers the manager to those who may use it.
            let card = app.get("/rooms?selected=ops", Some(&s)).await.text();
            assert_eq!(card.contains("id=\"manage\""), status == 200 && login != "olga", "{login}");
        }
        // Signed out: to the sign-in page; the socket: 401.
        assert_eq!(app.get("/conferences/ops/manage", None).await.status, 303);
        assert_eq!(
            app.get("/conferences/nothing/manage", Some(&app.sign_in("alice", "alice-password").await)).await.status,
            404
        );
    });
}

//! The conference page's WebSocket, `/c/<id>/ws`: signalling for the browser's WebRTC peer,
//! the participant's own microphone and camera, what the operator did to them, and the chat.
//!
//! The page sends one `join` first (as the signed-in user, or as a named guest of a webinar;
//! the PIN; its SDP offer with every ICE candidate); the answer comes back in `joined`. Then:
//! `chat`, `devices` and `device_list` (its cameras, microphones, speakers) from the page;
//! `chat`, `devices` (with `by_operator`), `use_devices` (the operator's choice of devices) and
//! `ended` from the server. Every refusal is an `error` message naming the field, then a close frame whose
//! reason says the same. Closing the socket leaves the conference.

use crate::admission::{self, Claim, PinGiven, PinGuard, Refusal};
use crate::auth::CurrentUser;
use crate::auth::session::{ClientAddr, MaybeUser};
use crate::conference_page::standing;
use crate::control::{ControlError, EventKind, Request};
use crate::error::Msg;
use crate::i18n::{Lang, tr};
use crate::msg;
use crate::rtc::{JoinRequest, Joined};
use crate::state::{AppState, now};
use crate::store::{ChatMessage, ConferencePage, GuestPermissions};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::time::Duration;
use tessera_mixer::layout::ParticipantId;

/// The largest message a page may send (an SDP offer with many candidates is a few KiB); a
/// larger one closes the socket with 1009. Beyond `TRANSPORT_LIMIT` the connection just drops.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
const TRANSPORT_LIMIT: usize = 1024 * 1024;
const JOIN_TIMEOUT: Duration = Duration::from_secs(30);
/// Chat messages one page may send per ten seconds.
const CHAT_BURST: u32 = 20;
/// Layout choices and podium requests one page may send per ten seconds (each changes what the
/// server composes and tells moderators).
const REQUEST_BURST: u32 = 10;

/// So many messages of a kind per ten seconds, from one page.
struct Budget {
    left: u32,
    since: i64,
    burst: u32,
}

impl Budget {
    fn new(burst: u32) -> Budget {
        Budget { left: burst, since: now(), burst }
    }

    /// Whether one more may go now.
    fn take(&mut self) -> bool {
        let t = now();
        if t - self.since >= 10 {
            (self.left, self.since) = (self.burst, t);
        }
        let ok = self.left > 0;
        self.left = self.left.saturating_sub(1);
        ok
    }
}

/// Close codes (4000–4999 are the application's): the reason text says more.
const CLOSE_BAD_REQUEST: u16 = 4400;
const CLOSE_FORBIDDEN: u16 = 4403;
const CLOSE_UNAVAILABLE: u16 = 4503;
const CLOSE_ENDED: u16 = 4000;

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum FromPage {
    Join {
        #[serde(rename = "as")]
        join_as: JoinAs,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        pin: Option<String>,
        /// A webinar guest's join link token (`as: registrant`).
        #[serde(default)]
        token: Option<String>,
        offer: String,
    },
    Chat {
        text: String,
    },
    Devices {
        #[serde(default)]
        camera: Option<bool>,
        #[serde(default)]
        microphone: Option<bool>,
    },
    /// Share a screen (a second, send-only peer connection) into the content slot.
    Share {
        offer: String,
        /// A slide show (the slide show right) rather than a screen (the screen sharing right).
        #[serde(default)]
        slides: bool,
    },
    Unshare,
    /// Role-based mode: ask the moderator for the podium.
    AskPodium,
    /// The layout this participant sees; `null`: the conference's.
    Layout {
        #[serde(default)]
        kind: Option<tessera_mixer::layout::LayoutType>,
    },
    /// The browser's cameras, microphones and speakers, for the conference manager.
    DeviceList {
        devices: crate::remote_devices::DeviceList,
    },
    Leave,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum JoinAs {
    User,
    Guest,
    /// A guest who signed up for a webinar, with their join link.
    Registrant,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ToPage<'a> {
    Joined {
        participant: ParticipantId,
        answer: &'a str,
        name: &'a str,
    },
    Error {
        field: Option<&'a str>,
        message: &'a str,
    },
    Devices {
        camera: bool,
        microphone: bool,
        by_operator: bool,
    },
    Chat {
        from: &'a str,
        text: &'a str,
        at_ms: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        file: Option<&'a crate::store::ChatFile>,
    },
    /// The page's key for sending (with the right) and fetching chat files.
    Files {
        key: &'a str,
        may_send: bool,
        max_bytes: u64,
    },
    Ended {
        reason: &'a str,
    },
    Sharing {
        answer: &'a str,
    },
    ShareEnded {
        reason: &'a str,
    },
    /// The request for the podium: `asked`, then `approved` or `declined`.
    Podium {
        state: &'a str,
    },
    /// The operator chose devices for this browser.
    UseDevices {
        choice: &'a crate::remote_devices::Choice,
    },
    /// The largest window the browser's picture is shown in (absent: nowhere): the page sends
    /// no larger a picture.
    ShownAt {
        #[serde(skip_serializing_if = "Option::is_none")]
        width: Option<u32>,
        #[serde(skip_serializing_if = "Option::is_none")]
        height: Option<u32>,
    },
}

/// A refusal: the field at fault (if one), the message and the close code.
struct Refused(Option<&'static str>, Msg, u16);

fn refused(field: Option<&'static str>, message: Msg, code: u16) -> Refused {
    Refused(field, message, code)
}

/// What a control request's refusal tells the page.
fn told(e: ControlError) -> Msg {
    crate::live::control_error(e).message()
}

/// Browsers send `Origin` with every WebSocket handshake; one from another site is a page
/// trying to use the visitor's session (cross-site WebSocket hijacking).
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else { return false };
    let bare = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://")).unwrap_or("");
    bare.eq_ignore_ascii_case(host)
}

pub async fn upgrade(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    Path(id): Path<String>,
    ws: WebSocketUpgrade,
) -> Response {
    if !same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "the WebSocket must come from this server's own pages").into_response();
    }
    let id = id.to_ascii_lowercase();
    let page = match state.store.conference_page(&id).await {
        Ok(Some(p)) if id.len() <= 64 => p,
        Ok(_) => return crate::error::Error::NotFound.into_response(),
        Err(e) => return crate::error::Error::from(e).into_response(),
    };
    match standing(&state, &page, user.as_ref()).await {
        Ok(Some(_)) => {}
        Ok(None) => return crate::error::Error::NotFound.into_response(),
        Err(e) => return e.into_response(),
    };
    // Refusals are told in the visitor's language: their profile's, or their browser's.
    let lang = user.as_ref().map(|u| u.lang).unwrap_or_else(|| {
        Lang::from_accept_language(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
    });
    let visitor = Visitor { user, addr, lang };
    let slot = match (&state.rtc, addr) {
        (Some(rtc), Some(a)) => match rtc.page_slot(a) {
            Some(s) => Some(s),
            None => {
                return crate::error::Error::TooManyRequests(msg!("err.too.many.conference.pages")).into_response();
            }
        },
        _ => None,
    };
    ws.max_message_size(TRANSPORT_LIMIT).max_frame_size(TRANSPORT_LIMIT).on_upgrade(move |socket| async move {
        session(socket, state, visitor, page).await;
        drop(slot);
    })
}

async fn send(socket: &mut WebSocket, msg: &ToPage<'_>) -> bool {
    let text = serde_json::to_string(msg).unwrap_or_default();
    socket.send(Message::Text(text.into())).await.is_ok()
}

pub(crate) async fn close(mut socket: WebSocket, code: u16, reason: &str) {
    // A close reason is at most 123 bytes.
    let mut r = reason.to_string();
    while r.len() > 120 {
        r.pop();
    }
    let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: Utf8Bytes::from(r) }))).await;
    // The closing handshake: wait (briefly) for the page's own close, so that the connection is
    // not reset under a close frame the page has not read yet.
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(Ok(m)) = socket.recv().await {
            if matches!(m, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

async fn too_big(socket: WebSocket) {
    close(socket, 1009, "the message is over 64 KiB").await;
}

async fn refuse(mut socket: WebSocket, lang: Lang, r: Refused) {
    let Refused(field, message, code) = r;
    let message = message.render(lang);
    send(&mut socket, &ToPage::Error { field, message: &message }).await;
    close(socket, code, &message).await;
}

/// Who opened the page's socket: their session (if signed in) and address. (Whether the
/// conference is hidden from them was checked at the handshake.)
struct Visitor {
    user: Option<CurrentUser>,
    addr: Option<IpAddr>,
    lang: Lang,
}

async fn session(mut socket: WebSocket, state: AppState, visitor: Visitor, page: ConferencePage) {
    let first = match tokio::time::timeout(JOIN_TIMEOUT, socket.recv()).await {
        Ok(Some(Ok(Message::Text(t)))) if t.len() > MAX_MESSAGE_BYTES => return too_big(socket).await,
        Ok(Some(Ok(Message::Text(t)))) => t,
        Ok(Some(Ok(Message::Close(_))) | None) => return,
        Ok(Some(Err(_))) => return,
        Ok(Some(Ok(_))) => {
            return refuse(socket, visitor.lang, refused(None, msg!("err.ws.join.first.message"), CLOSE_BAD_REQUEST))
                .await;
        }
        Err(_) => {
            return refuse(socket, visitor.lang, refused(None, msg!("err.ws.join.timeout"), CLOSE_BAD_REQUEST)).await;
        }
    };
    let (join_as, name, pin, token, offer) = match crate::extract::parse_json::<FromPage>(first.as_bytes()) {
        Ok(FromPage::Join { join_as, name, pin, token, offer }) => (join_as, name, pin, token, offer),
        Ok(_) => {
            return refuse(socket, visitor.lang, refused(None, msg!("err.ws.join.first"), CLOSE_BAD_REQUEST)).await;
        }
        Err(e) => {
            let why = msg!("err.ws.malformed.join", why = e.to_string());
            return refuse(socket, visitor.lang, refused(None, why, CLOSE_BAD_REQUEST)).await;
        }
    };
    let admitted = admit(&state, &visitor, &page, join_as, Given { name, pin, token }).await;
    let Identity { user: user_id, name, registrant } = match admitted {
        Ok(a) => a,
        Err(r) => return refuse(socket, visitor.lang, r).await,
    };
    let Some(rtc) = state.rtc.clone() else {
        return refuse(socket, visitor.lang, refused(None, msg!("err.ws.webrtc.off"), CLOSE_UNAVAILABLE)).await;
    };
    let req = JoinRequest {
        conference: page.dial_in.id.clone(),
        name: name.clone(),
        user: user_id,
        offer,
        content: false,
        guest: guest_devices(user_id.is_none().then_some(page.dial_in.guests)),
        address: visitor.addr,
    };
    let joined = match rtc.join(req).await {
        Ok(j) => j,
        Err(ControlError::Invalid { field, message }) => {
            let field: &'static str = if field == "sdp" { "offer" } else { "name" };
            return refuse(socket, visitor.lang, refused(Some(field), message, CLOSE_BAD_REQUEST)).await;
        }
        Err(e) => return refuse(socket, visitor.lang, refused(None, told(e), CLOSE_UNAVAILABLE)).await,
    };
    if !send(&mut socket, &ToPage::Joined { participant: joined.participant, answer: &joined.answer, name: &name })
        .await
    {
        return;
    }
    // A join link is in the conference from one device at a time: this page takes it over.
    let (_claim, displaced) = match registrant {
        Some(g) => {
            let _ = state.store.registrant_joined(g, now()).await;
            let (c, rx) = state.one_device.claim(g);
            (Some(c), Some(rx))
        }
        None => (None, None),
    };
    metrics::gauge!("tessera_webrtc_pages").increment(1.0);
    let rights = match user_id {
        Some(u) => state.store.rights_of(u).await.ok(),
        None => None,
    };
    let may_share = rights.as_ref().is_some_and(|r| r.contains(&crate::rights::Right::ScreenSharing));
    let may_send_files = crate::chat_files::may_send(&state.config.files, rights.as_deref());
    let may_show_slides = crate::slides::may_show(&state, rights.as_deref());
    let guest = user_id.is_none().then_some(page.dial_in.guests);
    let conference = page.dial_in.id.clone();
    let in_call = InCall {
        state: &state,
        conference,
        user: user_id,
        name,
        may_share,
        may_show_slides,
        may_send_files,
        guest,
        lang: visitor.lang,
    };
    in_call.run(socket, joined, displaced).await;
    metrics::gauge!("tessera_webrtc_pages").decrement(1.0);
}

/// What the join message brought besides how it joins.
struct Given {
    name: Option<String>,
    pin: Option<String>,
    token: Option<String>,
}

/// Who joins: the user (if one), the name shown, and the webinar guest whose link it is.
struct Identity {
    user: Option<i64>,
    name: String,
    registrant: Option<i64>,
}

/// Who joins, by the conference's rules: the facts gathered here, the decision the core's
/// (the same one the SIP bridge asks).
async fn admit(
    state: &AppState,
    visitor: &Visitor,
    page: &ConferencePage,
    join_as: JoinAs,
    given: Given,
) -> Result<Identity, Refused> {
    let Given { name, pin, token } = given;
    let d = &page.dial_in;
    let storage = |e: crate::error::Error| refused(None, e.message(), CLOSE_UNAVAILABLE);
    let t = now();
    let guard = admission::Guard { lockout: &state.lockout, addr: visitor.addr, now: t };
    let claim = match (join_as, visitor.user.as_ref()) {
        (JoinAs::User, None) => return Err(refused(None, msg!("err.ws.sign.in.as.yourself"), CLOSE_FORBIDDEN)),
        (JoinAs::User, Some(u)) => {
            Claim::User(admission::user_facts(&state.store, u.user.id, &d.id, t).await.map_err(storage)?)
        }
        (JoinAs::Guest, _) => Claim::Guest { name: name.as_deref().unwrap_or_default() },
        (JoinAs::Registrant, _) => {
            let token = token.unwrap_or_default();
            let found = match token.trim() {
                // Only a public conference's guests have links; a throttled address tries none.
                _ if !d.public || guard.throttled() => None,
                "" => None,
                t => state
                    .store
                    .registrant_by_token(&d.id, &crate::auth::session::hash_token(t))
                    .await
                    .map_err(|e| storage(e.into()))?,
            };
            Claim::Link(found.map(|g| admission::Registrant { id: g.id, name: g.name }))
        }
    };
    let now_in = admission::presence(state.control.as_ref(), &d.id);
    let rules = admission::conference(d, now_in);
    let decided = admission::decide(&rules, &claim, PinGiven::Given(pin.as_deref().unwrap_or("")), &guard)
        // A browser's media is always encrypted (DTLS-SRTP).
        .and_then(|a| admission::MediaRule::of(&rules).admits(true).map(|()| a));
    let a = match decided {
        Ok(a) => a,
        Err(r) => {
            match r {
                Refusal::BadLink => {
                    if let Some(a) = visitor.addr {
                        state.lockout.record_address_failure(a, t);
                    }
                    tracing::info!(conference = %d.id, "web: a join link that is not valid here");
                }
                Refusal::WrongPin => tracing::info!(conference = %d.id, "web: wrong PIN"),
                _ => {}
            }
            let message = match (r, join_as) {
                (Refusal::Hidden | Refusal::NotOnList, _) => msg!("err.join.not.invited"),
                (Refusal::SignInRequired, JoinAs::Guest) => Refusal::GuestsNotAllowed.said().into(),
                _ => r.said().into(),
            };
            let code = if matches!(r, Refusal::BadName(_)) { CLOSE_BAD_REQUEST } else { CLOSE_FORBIDDEN };
            // A throttled address is told at the field it was trying.
            let field = match (r, &claim) {
                (Refusal::Throttled, Claim::Link(_)) => Some("token"),
                (Refusal::Throttled, _) => Some("pin"),
                _ => r.field(),
            };
            return Err(refused(field, message, code));
        }
    };
    let name = match (a.name, visitor.user.as_ref()) {
        (Some(n), _) => n,
        (None, Some(u)) => u.user.shown_name().to_string(),
        (None, None) => String::new(),
    };
    Ok(Identity { user: a.user, name, registrant: a.registrant })
}

struct InCall<'a> {
    state: &'a AppState,
    conference: String,
    user: Option<i64>,
    name: String,
    /// The user has the screen sharing right.
    may_share: bool,
    /// The user has the slide show right and the server has pdf.js.
    may_show_slides: bool,
    /// The user may send files in the chat ([`crate::chat_files::may_send`]).
    may_send_files: bool,
    /// A guest of a webinar: what the organiser lets guests use (chat, microphone, camera).
    guest: Option<GuestPermissions>,
    /// The language the page is told refusals in.
    lang: Lang,
}

/// The page's shared screen while it shares.
struct Share {
    /// Dropping it stops the share.
    _leave: tokio::sync::oneshot::Sender<()>,
    ended: tokio::sync::oneshot::Receiver<String>,
}

/// A page's place in the list of browsers' devices, left when the page leaves.
struct Listed<'a> {
    state: &'a AppState,
    conference: &'a str,
    participant: ParticipantId,
    page: u64,
}

impl Drop for Listed<'_> {
    fn drop(&mut self) {
        self.state.remote_devices.forget(self.conference, self.participant, self.page);
    }
}

/// Fires when another page takes over this page's join link.
async fn taken_over(displaced: &mut Option<tokio::sync::oneshot::Receiver<()>>) {
    match displaced.as_mut() {
        Some(rx) => {
            if rx.await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}

async fn share_ended(share: &mut Option<Share>) -> String {
    match share.as_mut() {
        Some(s) => (&mut s.ended).await.unwrap_or_else(|_| "the shared screen's connection ended".into()),
        None => std::future::pending().await,
    }
}

impl InCall<'_> {
    async fn run(
        self,
        mut socket: WebSocket,
        joined: Joined,
        mut displaced: Option<tokio::sync::oneshot::Receiver<()>>,
    ) {
        let Joined { participant, leave, mut ended, mut shown, .. } = joined;
        // The operator's choices of devices, once the page has said what it has.
        let (device_tx, mut device_rx) = tokio::sync::mpsc::channel(4);
        let listed = Listed { state: self.state, conference: &self.conference, participant, page: rand::random() };
        let mut chat = self.state.chat.subscribe();
        let mut events = self.state.control.as_ref().map(|c| c.events.subscribe_to(&self.conference));
        // What the page itself last asked for; a difference is the operator's doing.
        let (mut camera, mut microphone) = (true, true);
        // Devices the operator turned off: the participant may not turn them back on.
        let (mut camera_held, mut microphone_held) = (false, false);
        let mut chat_budget = Budget::new(CHAT_BURST);
        let mut requests = Budget::new(REQUEST_BURST);
        let mut share: Option<Share> = None;
        // A guest joined with what the organiser does not allow off (the core's rule), held off:
        // the page is told.
        if let Some(g) = self.guest
            && (!g.camera || !g.microphone)
        {
            camera_held = !g.camera;
            microphone_held = !g.microphone;
            camera = g.camera;
            microphone = g.microphone;
            send(&mut socket, &ToPage::Devices { camera, microphone, by_operator: true }).await;
        }
        // The page's key for chat files, revoked when it leaves.
        let files = self.state.chat_files.admit(&self.conference, self.user, &self.name, self.may_send_files);
        let max_bytes = if self.may_send_files { self.state.config.files.max_bytes } else { 0 };
        send(&mut socket, &ToPage::Files { key: &files.key, may_send: self.may_send_files, max_bytes }).await;
        loop {
            tokio::select! {
                m = socket.recv() => {
                    let text = match m {
                        Some(Ok(Message::Text(t))) if t.len() > MAX_MESSAGE_BYTES => return too_big(socket).await,
                        Some(Ok(Message::Text(t))) => t,
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                        Some(Ok(Message::Binary(_))) => {
                            return close(socket, CLOSE_BAD_REQUEST, "binary messages are not understood").await;
                        }
                        Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                    };
                    match crate::extract::parse_json::<FromPage>(text.as_bytes()) {
                        Ok(FromPage::Leave) => {
                            close(socket, 1000, "left").await;
                            break;
                        }
                        Ok(FromPage::Share { offer, slides }) => {
                            share = None;
                            match self.share(offer, slides).await {
                                Ok((answer, s)) => {
                                    share = Some(s);
                                    send(&mut socket, &ToPage::Sharing { answer: &answer }).await;
                                }
                                Err(msg) => {
                                    send(&mut socket, &ToPage::Error { field: Some("share"), message: &msg.render(self.lang) }).await;
                                }
                            }
                        }
                        Ok(FromPage::Unshare) => share = None,
                        Ok(FromPage::Layout { .. } | FromPage::AskPodium) if !requests.take() => {
                            send(&mut socket, &ToPage::Error { field: None, message: tr(self.lang, "err.ws.too.many.requests") }).await;
                        }
                        Ok(FromPage::Layout { kind }) => {
                            let Some(control) = &self.state.control else { continue };
                            let req = Request::ChooseLayout { participant, kind };
                            if let Err(e) = control.call(&self.conference, self.user, req).await {
                                send(&mut socket, &ToPage::Error { field: Some("my-layout"), message: &told(e).render(self.lang) }).await;
                            }
                        }
                        Ok(FromPage::AskPodium) => {
                            let Some(control) = &self.state.control else { continue };
                            let req = Request::AskPodium { participant };
                            if let Err(e) = control.call(&self.conference, self.user, req).await {
                                send(&mut socket, &ToPage::Error { field: Some("podium"), message: &told(e).render(self.lang) }).await;
                            }
                        }
                        Ok(FromPage::DeviceList { devices }) => match devices.check() {
                            Ok(()) => self.state.remote_devices.report(&self.conference, participant, listed.page, devices, device_tx.clone()),
                            Err(msg) => {
                                send(&mut socket, &ToPage::Error { field: Some("device_list"), message: &msg }).await;
                            }
                        },
                        Ok(FromPage::Join { .. }) => {
                            send(&mut socket, &ToPage::Error { field: None, message: tr(self.lang, "err.ws.already.joined") }).await;
                        }
                        Ok(FromPage::Chat { text }) => {
                            if !chat_budget.take() {
                                send(&mut socket, &ToPage::Error { field: Some("text"), message: tr(self.lang, "err.ws.too.many.messages") }).await;
                                continue;
                            }
                            if let Err(m) = self.chat(text).await {
                                send(&mut socket, &ToPage::Error { field: Some("text"), message: &m.render(self.lang) }).await;
                            }
                        }
                        Ok(FromPage::Devices { camera: c, microphone: m }) => {
                            let refusal = if c == Some(true) && camera_held {
                                Some("err.ws.camera.held")
                            } else if m == Some(true) && microphone_held {
                                Some("err.ws.microphone.held")
                            } else {
                                None
                            };
                            if let Some(msg) = refusal {
                                send(&mut socket, &ToPage::Error { field: Some("devices"), message: tr(self.lang, msg) }).await;
                                continue;
                            }
                            match self.devices(participant, c, m).await {
                                Ok(()) => {
                                    camera = c.unwrap_or(camera);
                                    microphone = m.unwrap_or(microphone);
                                }
                                Err(msg) => {
                                    send(&mut socket, &ToPage::Error { field: Some("devices"), message: &msg.render(self.lang) }).await;
                                }
                            }
                        }
                        Err(e) => {
                            let msg = msg!("err.ws.malformed", why = e.to_string());
                            return refuse(socket, self.lang, refused(None, msg, CLOSE_BAD_REQUEST)).await;
                        }
                    }
                }
                why = &mut ended => {
                    let why = why.unwrap_or_else(|_| "the media connection ended".into());
                    send(&mut socket, &ToPage::Ended { reason: &why }).await;
                    close(socket, CLOSE_ENDED, &why).await;
                    return;
                }
                _ = taken_over(&mut displaced) => {
                    let why = "you joined from another device with this link";
                    send(&mut socket, &ToPage::Ended { reason: why }).await;
                    close(socket, CLOSE_ENDED, why).await;
                    return;
                }
                Some(choice) = device_rx.recv() => {
                    send(&mut socket, &ToPage::UseDevices { choice: &choice }).await;
                }
                Ok(()) = shown.changed() => {
                    let size = *shown.borrow_and_update();
                    send(&mut socket, &ToPage::ShownAt { width: size.map(|s| s.0), height: size.map(|s| s.1) }).await;
                }
                why = share_ended(&mut share) => {
                    share = None;
                    send(&mut socket, &ToPage::ShareEnded { reason: &why }).await;
                }
                c = crate::control::next_broadcast(Some(&mut chat)) => {
                    let Some(m) = c else { continue };
                    let mine = m.conference == self.conference;
                    if mine && !send(&mut socket, &ToPage::Chat { from: &m.from, text: &m.text, at_ms: m.at_ms, file: m.file.as_ref() }).await {
                        break;
                    }
                }
                e = crate::control::next_broadcast(events.as_mut()) => {
                    let Some(e) = e else { continue };
                    if e.conference != self.conference || e.participant != Some(participant) {
                        continue;
                    }
                    if matches!(e.kind, EventKind::PodiumRequest | EventKind::PodiumAnswer) {
                        let state = if e.kind == EventKind::PodiumRequest { "asked" } else { e.detail.as_str() };
                        send(&mut socket, &ToPage::Podium { state }).await;
                        continue;
                    }
                    if e.kind != EventKind::Device {
                        continue;
                    }
                    if let Some((c, m)) = self.current_devices(participant).await
                        && (c, m) != (camera, microphone)
                    {
                        (camera_held, microphone_held) = (!c, !m);
                        (camera, microphone) = (c, m);
                        send(&mut socket, &ToPage::Devices { camera: c, microphone: m, by_operator: true }).await;
                    }
                }
            }
        }
        drop(leave);
    }

    async fn share(&self, offer: String, slides: bool) -> Result<(String, Share), Msg> {
        if slides && !self.may_show_slides {
            return Err(msg!("err.ws.no.right.slides"));
        }
        if !slides && !self.may_share {
            return Err(msg!("err.ws.no.right.share"));
        }
        let Some(rtc) = &self.state.rtc else { return Err(msg!("err.ws.webrtc.off")) };
        let what = if slides { "slides" } else { "screen" };
        let name: String = format!("{} ({what})", self.name).chars().take(64).collect();
        let req = JoinRequest {
            conference: self.conference.clone(),
            name,
            user: self.user,
            offer,
            content: true,
            guest: guest_devices(self.guest),
            address: None,
        };
        let j = rtc.join(req).await.map_err(told)?;
        Ok((j.answer, Share { _leave: j.leave, ended: j.ended }))
    }

    async fn chat(&self, text: String) -> Result<(), Msg> {
        let text =
            tessera_conference::chat::message(&text, self.guest.map(|g| g.chat)).map_err(|r| Msg::from(r.said()))?;
        let m = ChatMessage {
            conference: self.conference.clone(),
            at_ms: chrono::Utc::now().timestamp_millis(),
            user_id: self.user,
            from: self.name.clone(),
            text,
            file: None,
            origin: "web".into(),
        };
        if let Err(e) = self.state.store.add_chat_message(&m).await {
            tracing::error!(error = %e, "chat: storing a message failed");
            return Err(msg!("err.chat.not.stored"));
        }
        metrics::counter!("tessera_chat_messages_total").increment(1);
        let _ = self.state.chat.send(m);
        Ok(())
    }

    /// The participant's own microphone or camera.
    async fn devices(
        &self,
        participant: ParticipantId,
        camera: Option<bool>,
        microphone: Option<bool>,
    ) -> Result<(), Msg> {
        let Some(control) = &self.state.control else { return Err(msg!("err.media.plane.not.running")) };
        let req = Request::Device { participant, camera, microphone, gain: None };
        control.call(&self.conference, self.user, req).await.map(|_| ()).map_err(told)
    }

    async fn current_devices(&self, participant: ParticipantId) -> Option<(bool, bool)> {
        let control = self.state.control.as_ref()?;
        let s = control.call(&self.conference, None, Request::Status).await.ok()?;
        s.participants.iter().find(|p| p.id == participant).map(|p| (p.camera, p.microphone))
    }
}

/// What a webinar guest may use, as the conference core takes it.
fn guest_devices(g: Option<GuestPermissions>) -> Option<crate::control::GuestDevices> {
    g.map(|g| crate::control::GuestDevices { camera: g.camera, microphone: g.microphone })
}

//! Calls Tessera places (dial-out): the conference manager's "Add participants" calls a user at
//! the SIP phone they registered with, or a SIP address; H.323 addresses and endpoints go to
//! [`super::h323::dial`]. Tessera offers every codec it takes
//! (as for a delayed offer), runs the INVITE client transaction
//! ([`tessera_sip_h323_bridge::sip::client`]), rings for up to a minute, ACKs the answer and
//! then the callee is a participant like any caller ([`super::call::answered`]). Progress is
//! told as events of the conference (`calling`, `ringing`, `call_failed`), which the connection
//! history keeps and the manager shows.

use super::Context;
use super::answer::tag;
use super::call::{Answered, bind_address, bind_ports, local_ip};
use super::history::History;
use super::path::{Inbound, Path};
use crate::media::sockets::Medium;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera_sip_h323_bridge::h323::url as h323_url;
use tessera_sip_h323_bridge::sdp::{self, negotiate};
use tessera_sip_h323_bridge::sip::check::METHODS;
use tessera_sip_h323_bridge::sip::client::{ClientInvite, Event, Outgoing};
use tessera_sip_h323_bridge::sip::dialog::Dialog;
use tessera_sip_h323_bridge::sip::message::StartLine;
use tessera_sip_h323_bridge::sip::transaction::Timers;
use tessera_sip_h323_bridge::sip::uri::{self, Uri};
use tessera_web::control::{ControlError, Event as ConferenceEvent, EventKind};
use tessera_web::dial_policy::DialPolicy;
use tessera_web::dialout::{DialOrder, DialReply, Dialling, MAX_DIALLING_PER_CONFERENCE, Target};
use tessera_web::error::Msg;
use tessera_web::msg;
use tessera_web::store::CallResult;
use tokio::sync::mpsc;
use tokio_rustls::rustls::pki_types::ServerName;

/// How long a callee's phone may ring before Tessera cancels the call.
const RING: Duration = Duration::from_secs(60);
/// After a CANCEL, how long to wait for the callee to confirm the INVITE ended.
const CANCEL_WAIT: Duration = Duration::from_secs(8);

/// Where the INVITE goes.
enum Route {
    /// A registered phone: its Contact, over the path it registered on.
    Binding { contact: String, path: Path },
    /// An address: its URI, and the host and port to reach over UDP, TCP or TLS.
    Address { uri: String, host: String, port: u16, carrier: Carrier },
    /// H.323: an `h323:` address, or a user's endpoint registered with the gatekeeper.
    H323(super::h323::dial::Callee),
}

/// How an address is reached: its `transport` parameter, TLS for `sips:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Carrier {
    Udp,
    Tcp,
    Tls,
}

impl Route {
    /// Whether the call's signalling is encrypted (TLS), so that it may carry SRTP keys.
    fn secure(&self) -> bool {
        match self {
            Route::Binding { path, .. } => path.transport() == "TLS",
            Route::Address { carrier, .. } => *carrier == Carrier::Tls,
            Route::H323(_) => false,
        }
    }
}

fn invalid(field: &str, message: Msg) -> ControlError {
    ControlError::Invalid { field: field.into(), message }
}

/// Decides where the order goes and starts the call: answers at once with its Call-ID (the
/// rest is told by events), or why it cannot be placed.
pub fn place(
    ctx: &Arc<Context>,
    order: DialOrder,
    calls: &mut HashMap<String, mpsc::Sender<Inbound>>,
    outgoing: &mut HashMap<String, String>,
    max_calls: usize,
) -> DialReply {
    if calls.len() >= max_calls {
        return Err(ControlError::Unavailable(msg!("err.dial.too.many.calls")));
    }
    if outgoing.values().filter(|c| **c == order.conference).count() >= MAX_DIALLING_PER_CONFERENCE {
        return Err(ControlError::Conflict(msg!("err.dial.too.many.placed", max = MAX_DIALLING_PER_CONFERENCE)));
    }
    if ctx.control.is_none() {
        return Err(ControlError::Unavailable(msg!("err.media.plane.not.running")));
    }
    let route = match &order.target {
        // A user's SIP phone, else the endpoint they registered over H.323.
        Target::User(login) => match ctx.registrar.lookup(login).into_iter().last() {
            Some(b) => Route::Binding { contact: b.contact, path: b.path },
            None => match ctx.h323.and_then(|_| super::h323::dial::registered(ctx, login)) {
                Some(callee) => Route::H323(callee),
                None => return Err(invalid("user", msg!("err.dial.no.phone", login = login.as_str()))),
            },
        },
        Target::Address(a) if a.starts_with("h323:") => {
            if ctx.h323.is_none() {
                return Err(invalid("address", msg!("err.dial.h323.off")));
            }
            match h323_url::parse(a) {
                Ok(to) => Route::H323(super::h323::dial::Callee::Address { written: a.clone(), to }),
                Err(e) => {
                    let address = format!("{a:?}");
                    return Err(invalid("address", msg!("err.dial.not.h323", address = address, why = e.to_string())));
                }
            }
        }
        Target::Address(a) => match uri::parse(a) {
            Ok(Uri::Sip(u)) if u.password.is_some() => {
                return Err(invalid("address", msg!("err.dial.password.in.address")));
            }
            Ok(Uri::Sip(u)) => {
                let transport = u
                    .params
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("transport"))
                    .and_then(|(_, v)| v.as_deref())
                    .map(str::to_ascii_lowercase);
                let carrier = match transport.as_deref() {
                    _ if u.secure => Carrier::Tls,
                    Some("tls") => Carrier::Tls,
                    Some("tcp") => Carrier::Tcp,
                    _ => Carrier::Udp,
                };
                // The callee's requests in the call come back to the Contact: Tessera's TLS port.
                if carrier == Carrier::Tls && ctx.tls.is_none() {
                    return Err(invalid("address", msg!("err.dial.tls.off")));
                }
                let host = u.host.trim_start_matches('[').trim_end_matches(']').to_string();
                let port = u.port.unwrap_or(if carrier == Carrier::Tls { 5061 } else { 5060 });
                Route::Address { uri: a.clone(), host, port, carrier }
            }
            Ok(Uri::Other { .. }) => return Err(invalid("address", msg!("err.dial.sip.only"))),
            Err(e) => {
                return Err(invalid(
                    "address",
                    msg!("err.dial.not.sip", address = format!("{a:?}"), why = e.to_string()),
                ));
            }
        },
    };
    // Only calls over TLS carry SRTP (SDES keys travel in the signalling); H.323's never do.
    if order.media_rule.admits(route.secure()).is_err() {
        let field = if matches!(order.target, Target::User(_)) { "user" } else { "address" };
        return Err(invalid(field, msg!("err.dial.encrypted.only")));
    }
    let call_id = format!("{}@tessera", tag());
    let to = match &route {
        Route::Binding { contact, .. } => contact.clone(),
        Route::Address { uri, .. } => uri.clone(),
        Route::H323(callee) => callee.shown(),
    };
    let (tx, rx) = mpsc::channel(64);
    calls.insert(call_id.clone(), tx);
    outgoing.insert(call_id.clone(), order.conference.clone());
    if let Route::H323(callee) = route {
        let span = tracing::info_span!("h323_dial_out", call = %call_id, conference = %order.conference);
        let call = super::h323::dial::run(ctx.clone(), order, callee, rx);
        tokio::spawn(tracing::Instrument::instrument(call, span));
        return Ok(Dialling { call: call_id, to });
    }
    metrics::counter!("tessera_sip_dial_outs_total").increment(1);
    let span = tracing::info_span!("sip_dial_out", call_id = %call_id, conference = %order.conference);
    tokio::spawn(tracing::Instrument::instrument(run(ctx.clone(), order, route, call_id.clone(), rx), span));
    Ok(Dialling { call: call_id, to })
}

/// Tells the conference (its history and whoever watches it) how the call goes.
pub(super) fn progress(ctx: &Context, order: &DialOrder, kind: EventKind, detail: &str) {
    if let Some(c) = &ctx.control {
        let e = ConferenceEvent {
            conference: order.conference.clone(),
            at_ms: chrono::Utc::now().timestamp_millis(),
            kind,
            participant: None,
            user: None,
            name: order.name.clone(),
            detail: detail.into(),
        };
        c.events.publish(&ctx.store, e);
    }
}

/// Why a call could not be placed: what users see (in the history and the manager), which
/// tells nothing of the network, and what the log keeps.
pub(super) struct Unreachable {
    pub shown: &'static str,
    pub logged: String,
}

/// The address `host` names, if the dial policy (the control panel's allowed domains and
/// networks) lets this server call it: checked for the name, then for the address it resolves to.
pub(super) async fn reach(ctx: &Context, host: &str, port: u16) -> Result<SocketAddr, Unreachable> {
    let refused = |why: &str| Unreachable {
        shown: "this address may not be called from this server",
        logged: format!("{host}: {why} (dial_out policy)"),
    };
    // The settings' value at this call: the control panel changes it while the server runs.
    let policy = match ctx.store.settings().await {
        Ok(s) => DialPolicy::new(&s.dial_out_allowed_domains, &s.dial_out_allowed_networks),
        Err(e) => Err(e.into()),
    }
    .map_err(|e| Unreachable {
        shown: "the server could not check where it may call",
        logged: format!("reading the dial_out settings failed: {e:#}"),
    })?;
    policy.host(host).map_err(refused)?;
    let peer = match host.parse::<IpAddr>() {
        Ok(ip) => SocketAddr::new(ip, port),
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| Unreachable {
                shown: "the address could not be found",
                logged: format!("{host} could not be resolved: {e}"),
            })?
            .next()
            .ok_or_else(|| Unreachable {
                shown: "the address could not be found",
                logged: format!("{host} has no address"),
            })?,
    };
    policy.address(peer.ip()).map_err(|why| Unreachable {
        shown: "this address may not be called from this server",
        logged: format!("{host} ({}): {why} (dial_out policy)", peer.ip()),
    })?;
    Ok(peer)
}

/// The path to the callee: a registered phone's, or UDP/TCP to the address's host, if the dial
/// policy allows it.
async fn path_to(ctx: &Context, route: &Route) -> Result<(String, Path), Unreachable> {
    match route {
        Route::Binding { contact, path } => Ok((contact.clone(), path.clone())),
        Route::H323(_) => Err(Unreachable { shown: "not a SIP address", logged: "an H.323 route on SIP's way".into() }),
        Route::Address { uri, host, port, carrier } => {
            let peer = reach(ctx, host, *port).await?;
            let tls = match carrier {
                Carrier::Udp => return Ok((uri.clone(), Path::Udp { out: ctx.udp_out.clone(), peer })),
                Carrier::Tcp => None,
                Carrier::Tls => {
                    let name = ServerName::try_from(host.clone()).map_err(|e| Unreachable {
                        shown: "the address is not a name a certificate can carry",
                        logged: format!("{host}: {e}"),
                    })?;
                    Some((&ctx.tls_client, name))
                }
            };
            let over = if tls.is_some() { "TLS" } else { "TCP" };
            let path =
                super::tcp::connect(peer, tls, ctx.limits.clone(), ctx.ua.clone()).await.map_err(|e| Unreachable {
                    shown: if over == "TLS" {
                        "the address could not be reached over TLS (or its certificate is not trusted)"
                    } else {
                        "the address could not be reached"
                    },
                    logged: format!("could not connect to {peer} over {over}: {e}"),
                })?;
            Ok((uri.clone(), path))
        }
    }
}

/// Words for a failure answer, for the operator.
fn failure(code: u16, reason: &str) -> String {
    let what = match code {
        486 | 600 => "busy",
        603 => "declined",
        404 | 604 => "not found",
        480 => "not available",
        487 => "cancelled",
        401 | 407 => "asks for credentials Tessera does not have",
        408 => "no answer",
        _ => "refused",
    };
    format!("{what} ({code} {reason})")
}

/// The call failed: the conference's history and the call history say why.
pub(super) fn failed(ctx: &Context, order: &DialOrder, history: &History, result: CallResult, why: &str) {
    history.ended(result, why.to_string());
    progress(ctx, order, EventKind::CallFailed, why);
}

async fn run(ctx: Arc<Context>, order: DialOrder, route: Route, call_id: String, rx: mpsc::Receiver<Inbound>) {
    let address = match &route {
        Route::Binding { .. } | Route::H323(_) => String::new(),
        Route::Address { uri, .. } => uri.clone(),
    };
    let history = if order.history {
        History::dial_out(&ctx.store, order.actor, order.user, &address, &order.conference).await
    } else {
        History::none(&ctx.store)
    };
    ring(ctx, order, route, call_id, rx, history).await;
}

async fn ring(
    ctx: Arc<Context>,
    order: DialOrder,
    route: Route,
    call_id: String,
    mut rx: mpsc::Receiver<Inbound>,
    history: History,
) {
    let (target, path) = match path_to(&ctx, &route).await {
        Ok(p) => p,
        Err(u) => {
            tracing::info!(conference = %order.conference, reason = %u.logged, "dial-out failed");
            return failed(&ctx, &order, &history, CallResult::Failed, u.shown);
        }
    };
    let local = local_ip(ctx.rtp_bind, path.peer().ip());
    let bind = bind_address(ctx.rtp_bind, local);
    let (audio, video) =
        match (bind_ports(&ctx.media, bind, Medium::Audio).await, bind_ports(&ctx.media, bind, Medium::Video).await) {
            (Ok(a), Ok(v)) => (a, v),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(error = %e, "SIP: no UDP ports for media");
                return failed(&ctx, &order, &history, CallResult::Failed, "no media ports on this server");
            }
        };
    let session_id: u64 = rand::random::<u32>().into();
    // SRTP only, over TLS, when the operator called a TLS address (sips:, ;transport=tls) or the
    // conference takes encrypted media only; a phone that merely registered over TLS gets the
    // plain offer it always took, unless the conference demands more.
    let asked = matches!(route, Route::Address { carrier: Carrier::Tls, .. }) || order.media_rule.encrypted_only;
    let keys = (path.transport() == "TLS" && asked).then(super::call::new_keys);
    let sdp_local = negotiate::Local {
        address: ctx.media.advertised(local),
        audio: Some((audio.rtp_port, audio.rtcp_port)),
        video: Some((video.rtp_port, video.rtcp_port)),
        session_id,
        version: 1,
        // Over TLS, SRTP only, with Tessera's keys (see the README's "Encrypted media").
        srtp: keys.clone(),
        h264_level: ctx.h323_video.level_idc(),
        picture: ctx.picture,
    };
    // Behind a 1:1 NAT the public address, as in the SDP: the callee's requests in the call
    // (its BYE) go to the Contact.
    let host = super::call::sip_host(ctx.media.advertised(local));
    let port = ctx.port_for(&path);
    let from_tag = tag();
    let display = order.conference_name.replace(['"', '\\'], "'");
    let from = format!("\"{display}\" <sip:{}@{host}>", order.conference);
    let transport = path.transport();
    let request = Outgoing {
        target: target.clone(),
        transport: transport.into(),
        sent_by: format!("{host}:{port}"),
        branch: tag(),
        from: format!("{from};tag={from_tag}"),
        to: format!("<{target}>"),
        call_id: call_id.clone(),
        cseq: 1,
        extra: vec![
            (
                "Contact".into(),
                format!("<sip:{}@{host}:{port};transport={}>", order.conference, transport.to_ascii_lowercase()),
            ),
            ("Allow".into(), METHODS.join(", ")),
            ("User-Agent".into(), concat!("Tessera/", env!("CARGO_PKG_VERSION")).into()),
        ],
        body: Some(("application/sdp".into(), negotiate::offer(&sdp_local).into_bytes())),
    };
    tracing::info!(conference = %order.conference, actor = order.actor, to = %target, transport, "calling out");
    progress(&ctx, &order, EventKind::Calling, &target);
    let started = Instant::now();
    let (mut tx, first) = ClientInvite::start(request, path.reliable(), Timers::default(), started);
    let mut cancel_at = Some(started + RING);
    let mut cancelled: Option<Instant> = None;
    let mut rang = false;
    let mut events = first;
    loop {
        for e in std::mem::take(&mut events) {
            match e {
                Event::Send(b) => path.send(b),
                Event::Timeout => {
                    let why =
                        if cancelled.is_some() { "no answer (cancelled after a minute)" } else { "no answer (408)" };
                    return failed(&ctx, &order, &history, CallResult::Missed, why);
                }
                Event::Terminated => {}
                Event::Response(m) => {
                    let StartLine::Response { code, reason } = m.start.clone() else { continue };
                    if code < 200 {
                        if code > 100 && !rang {
                            rang = true;
                            tx.ringing_without_limit();
                            progress(&ctx, &order, EventKind::Ringing, &format!("{code} {reason}"));
                        }
                        continue;
                    }
                    if code >= 300 {
                        let why = if cancelled.is_some() && code == 487 {
                            "no answer (cancelled after a minute)".to_string()
                        } else {
                            failure(code, &reason)
                        };
                        tracing::info!(conference = %order.conference, to = %target, code, "dial-out refused");
                        return failed(&ctx, &order, &history, CallResult::of_status(code), &why);
                    }
                    // Answered: ACK it (with no body: the 2xx holds the answer to our offer).
                    let Ok(dialog) = Dialog::uac(&m, &from, &from_tag, 1) else {
                        return failed(&ctx, &order, &history, CallResult::Failed, "the answer had no Contact");
                    };
                    let ack = dialog.ack(1, transport, &format!("{host}:{port}"), &tag(), None);
                    path.send(ack.clone());
                    let choice = sdp::parse(&m.body)
                        .map_err(|e| e.to_string())
                        .and_then(|s| negotiate::choose(&s, keys.is_some()))
                        .and_then(|c| match order.media_rule.admits(c.encrypted()) {
                            Ok(()) => Ok(c),
                            Err(_) => Err("it keeps plain RTP, and the conference takes encrypted media only".into()),
                        });
                    let mut dialog = dialog;
                    let choice = match choice {
                        Ok(c) if cancelled.is_none() => c,
                        other => {
                            let why = match other {
                                Err(e) => format!("the callee's answer: {e}"),
                                Ok(_) => "answered after the call was cancelled".into(),
                            };
                            let reason = format!("SIP;cause=488;text=\"{}\"", why.replace(['"', '\\'], "'"));
                            path.send(dialog.request(
                                "BYE",
                                transport,
                                &format!("{host}:{port}"),
                                &tag(),
                                &[("Reason", reason)],
                                None,
                            ));
                            return failed(&ctx, &order, &history, CallResult::Failed, &why);
                        }
                    };
                    tracing::info!(conference = %order.conference, to = %target, "dial-out answered");
                    let Some(control) = ctx.control.clone() else {
                        return history.ended(CallResult::Failed, "the media plane is off".into());
                    };
                    let answered = Answered {
                        conference: order.conference.clone(),
                        name: order.name.clone(),
                        user: order.user,
                        control,
                        audio: choice.audio.is_some().then_some(audio),
                        video: choice.video.is_some().then_some(video),
                        choice,
                        session_id,
                        local,
                        dialog,
                        ok: Inbound { msg: m, path: path.clone(), key: None },
                        ack,
                        keys: keys.clone(),
                        media_rule: order.media_rule,
                    };
                    history.answered();
                    super::call::answered(ctx.clone(), answered, rx).await;
                    return history.ended(CallResult::Answered, "the call ended".into());
                }
            }
        }
        let wake = [tx.next_deadline(), cancel_at, cancelled.map(|c| c + CANCEL_WAIT)].into_iter().flatten().min();
        tokio::select! {
            m = rx.recv() => {
                let Some(m) = m else { return };
                if m.msg.method().is_none() && tx.matches(&m.msg) {
                    events = tx.on_response(m.msg, Instant::now());
                }
                // The answer to our CANCEL, and requests before the call is set up, need nothing.
            }
            _ = sleep_until(wake) => {
                let now = Instant::now();
                events = tx.on_time(now);
                if cancel_at.is_some_and(|c| now >= c) {
                    cancel_at = None;
                    cancelled = Some(now);
                    path.send(tx.request.cancel());
                }
                if cancelled.is_some_and(|c| now >= c + CANCEL_WAIT) {
                    let why = "no answer (cancelled after a minute)";
                    return failed(&ctx, &order, &history, CallResult::Missed, why);
                }
            }
            _ = path.closed() => {
                return failed(&ctx, &order, &history, CallResult::Failed, "the connection to the callee closed");
            }
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}

//! Calls between registered users (RFC 3261 §16, a transaction-stateful proxy): an INVITE to
//! `sip:<login>@this server` that names no conference is challenged, needs the caller's
//! "make calls" right, and goes to the callee's registered contact with Tessera's Via and
//! Record-Route on top. Responses come back the same way; once answered, every request of the
//! call (the ACK, re-INVITEs, the BYE) passes through Tessera too ([`dialog`]), so it knows how
//! long the call lasted and can end it when a user is disabled; the media go directly between
//! the phones. Tessera ACKs the callee's failure answers itself, forwards CANCEL, retransmits
//! the INVITE over UDP until an answer (Timer A/B), and gives up on an unanswered ring after
//! three minutes (Timer C).

mod dialog;

use super::Context;
use super::answer::{reply, tag};
use super::auth::Verdict;
use super::history::History;
use super::path::Inbound;
use super::register::Binding;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera_sip_h323_bridge::sip::dialog::cseq;
use tessera_sip_h323_bridge::sip::message::{Message, StartLine};
use tessera_sip_h323_bridge::sip::via;
use tessera_web::rights::Right;
use tessera_web::store::CallResult;
use tokio::sync::mpsc;

const T1: Duration = Duration::from_millis(500);
const TIMER_B: Duration = Duration::from_secs(32);
const TIMER_C: Duration = Duration::from_secs(180);
/// After a 2xx, how long its retransmissions are still forwarded.
const LINGER: Duration = Duration::from_secs(32);
/// After the BYE (or a hang-up from the middle), how long late answers are still passed on.
const AFTER_BYE: Duration = Duration::from_secs(4);
/// The longest a call is kept: phones that vanished without a BYE free their place then.
const LONGEST_CALL: Duration = Duration::from_secs(12 * 3600);
/// How often an established call's two users are checked for being disabled.
const RECHECK: Duration = Duration::from_secs(5);

/// Headers a proxy does not pass on: credentials for its own realm, and what it rewrites.
/// The caller's own claims of identity go too: the callee sees who signed in.
const DROPPED: &[&str] = &[
    "Authorization",
    "Proxy-Authorization",
    "Content-Length",
    "Max-Forwards",
    "From",
    "P-Asserted-Identity",
    "P-Preferred-Identity",
    "Remote-Party-ID",
];

fn serialise(start: &str, top: &[(&str, String)], m: &Message, skip: &[&str]) -> Vec<u8> {
    let mut out = format!("{start}\r\n");
    for (n, v) in top {
        out += &format!("{n}: {v}\r\n");
    }
    for h in &m.headers.0 {
        if !skip.iter().any(|s| tessera_sip_h323_bridge::sip::headers::canonical(s) == h.key) {
            out += &format!("{}: {}\r\n", h.name, h.value);
        }
    }
    out += &format!("Content-Length: {}\r\n\r\n", m.body.len());
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&m.body);
    bytes
}

/// A response without its top Via (ours), for the caller.
fn unwrap_response(m: &Message) -> Option<(u16, Vec<u8>)> {
    let StartLine::Response { code, reason } = &m.start else { return None };
    let mut rest = m.clone();
    let first = rest.headers.0.iter().position(|h| h.key == tessera_sip_h323_bridge::sip::headers::canonical("Via"))?;
    // A Via header line may hold several values; drop the first value only.
    let line = rest.headers.0[first].value.clone();
    let values = tessera_sip_h323_bridge::sip::headers::split_list(&line);
    if values.len() > 1 {
        rest.headers.0[first].value = values[1..].join(", ");
    } else {
        rest.headers.0.remove(first);
    }
    Some((*code, serialise(&format!("SIP/2.0 {code} {reason}"), &[], &rest, &["Content-Length"])))
}

pub async fn run(ctx: Arc<Context>, invite: Inbound, mut rx: mpsc::Receiver<Inbound>, callee: String) {
    let h = invite.msg.headers.clone();
    let t = tag();
    let refuse = |code: u16, reason: &str, extra: &[(&str, String)]| {
        tracing::info!(callee = ?callee, code, reason, "SIP user call refused");
        invite.respond(code, reply(&h, code, reason, &t, extra, b""));
    };
    // Every name is challenged alike, so a call attempt does not tell which accounts exist.
    let (caller_id, caller) = match ctx.auth.verify(&invite.msg, invite.path.peer().ip(), invite.path.reliable()).await
    {
        Verdict::Challenge { stale } => {
            let ch = ctx.auth.challenge(stale);
            return refuse(401, super::admit::SIGN_IN, &ch);
        }
        Verdict::Refused => return refuse(403, "Forbidden", &[]),
        Verdict::User { id, login } => (id, login),
    };
    match ctx.store.rights_of(caller_id).await {
        Ok(r) if r.contains(&Right::MakeCalls) => {}
        Ok(_) => return refuse(403, "Forbidden (no right to make calls)", &[]),
        Err(e) => {
            tracing::error!(error = %e, "SIP: the store did not answer");
            return refuse(500, "Server Internal Error (storage)", &[]);
        }
    }
    // A disabled account's phone is not rung, whatever it registered before.
    let callee_id = match ctx.store.user_by_login(&callee.to_ascii_lowercase()).await {
        Ok(Some(u)) if !u.disabled => u.id,
        _ => return refuse(480, "Temporarily Unavailable (not registered)", &[]),
    };
    let Some(binding) = ctx.registrar.lookup(&callee).into_iter().last() else {
        return refuse(480, "Temporarily Unavailable (not registered)", &[]);
    };
    let max_forwards = h.single("Max-Forwards").ok().flatten().and_then(|v| v.trim().parse::<u32>().ok()).unwrap_or(70);
    if max_forwards == 0 {
        return refuse(483, "Too Many Hops", &[]);
    }
    let Some((n, _)) = cseq(&invite.msg) else { return refuse(400, "Bad Request (CSeq)", &[]) };
    // The callee is told who really calls: the authenticated user, not whatever the caller's
    // From said (caller-ID spoofing); the From tag stays, so the dialog is the same.
    let shown = match ctx.store.user_by_id(caller_id).await {
        Ok(Some(u)) => u.shown_name().to_string(),
        _ => caller.clone(),
    };
    let host = super::call::sip_host(super::call::local_ip(ctx.rtp_bind, binding.path.peer().ip()));
    let Some(from) = asserted_from(&invite.msg, &caller, &shown, &host) else {
        return refuse(400, "Bad Request (From)", &[]);
    };
    let leg = Leg::new(&ctx, binding, &invite.msg, max_forwards - 1, n, from);
    tracing::info!(caller = %caller, callee = ?callee, contact = ?leg.binding.contact, "SIP user call");
    metrics::counter!("tessera_sip_user_calls_total").increment(1);
    let via_to_caller = sent_by(&ctx, &invite.path);
    let history = History::user_call(&ctx.store, caller_id, callee_id).await;
    leg.relay(&ctx, Users { caller: caller_id, callee, history }, via_to_caller, invite, &mut rx).await;
}

/// Our Via's sent-by toward a path: `SIP/2.0/UDP host:port`.
fn sent_by(ctx: &Context, path: &super::path::Path) -> String {
    let host = super::call::sip_host(super::call::local_ip(ctx.rtp_bind, path.peer().ip()));
    format!("SIP/2.0/{} {host}:{}", path.transport(), ctx.port_for(path))
}

/// Who is in the call: the caller's account and the callee's login, and its history row.
struct Users {
    caller: i64,
    callee: String,
    history: History,
}

impl Users {
    /// Whether either account has been disabled since the call began.
    async fn one_disabled(&self, ctx: &Context) -> bool {
        let caller = ctx.store.user_by_id(self.caller).await;
        let callee = ctx.store.user_by_login(&self.callee.to_ascii_lowercase()).await;
        matches!(caller, Ok(Some(u)) if u.disabled) || matches!(callee, Ok(Some(u)) if u.disabled)
    }
}

/// The From header the callee gets (the authenticated user, with the caller's tag) and the
/// P-Asserted-Identity (RFC 3325) saying the same; `None` when the caller's From has no tag.
fn asserted_from(m: &Message, login: &str, shown: &str, host: &str) -> Option<(String, String)> {
    let from = m.headers.single("From").ok().flatten()?;
    let tag = tessera_sip_h323_bridge::sip::name_addr::parse(from).ok()?.tag()?.to_string();
    let name: String = shown.chars().filter(|c| !c.is_control() && *c != '"' && *c != '\\').collect();
    let identity = format!("\"{name}\" <sip:{login}@{host}>");
    Some((format!("{identity};tag={tag}"), identity))
}

/// The forwarded INVITE and what Tessera needs to follow it up (ACK, CANCEL).
struct Leg {
    binding: Binding,
    via: String,
    /// Our Via's sent-by toward the callee (without the branch).
    sent_by: String,
    invite: Vec<u8>,
    n: u32,
    from: String,
    to: String,
    call_id: String,
}

impl Leg {
    fn new(ctx: &Context, binding: Binding, m: &Message, max_forwards: u32, n: u32, from: (String, String)) -> Leg {
        let (transport, port) = (binding.path.transport(), ctx.port_for(&binding.path));
        let host = super::call::sip_host(super::call::local_ip(ctx.rtp_bind, binding.path.peer().ip()));
        let sent_by = format!("SIP/2.0/{transport} {host}:{port}");
        let via = format!("{sent_by};branch=z9hG4bK{}", tag());
        // Tessera stays in the call's path: both phones send the dialog's requests to it.
        let record_route = format!("<sip:{host}:{port};transport={};lr>", transport.to_ascii_lowercase());
        let invite = serialise(
            &format!("INVITE {} SIP/2.0", binding.contact),
            &[
                ("Via", via.clone()),
                ("Record-Route", record_route),
                ("Max-Forwards", max_forwards.to_string()),
                ("From", from.0.clone()),
                ("P-Asserted-Identity", from.1),
            ],
            m,
            DROPPED,
        );
        let single = |name: &str| m.headers.single(name).ok().flatten().unwrap_or_default().to_string();
        Leg { binding, via, sent_by, invite, n, from: from.0, to: single("To"), call_id: single("Call-ID") }
    }

    /// Whether a response's top Via is the one Tessera put on the forwarded INVITE.
    fn is_ours(&self, m: &Message) -> bool {
        let top = m.headers.list("Via").into_iter().next();
        let theirs = top.and_then(|v| via::parse(&v).ok()).and_then(|v| v.branch().map(str::to_string));
        let ours = via::parse(&self.via).ok();
        theirs.is_some() && theirs.as_deref() == ours.as_ref().and_then(|v| v.branch())
    }

    /// ACK (for a failure answer) or CANCEL toward the callee, on the INVITE's branch.
    fn follow_up(&self, method: &str, to: &str) -> Vec<u8> {
        format!(
            "{method} {} SIP/2.0\r\nVia: {}\r\nMax-Forwards: 70\r\nFrom: {}\r\nTo: {to}\r\nCall-ID: {}\r\nCSeq: {} {method}\r\nContent-Length: 0\r\n\r\n",
            self.binding.contact, self.via, self.from, self.call_id, self.n
        )
        .into_bytes()
    }

    async fn relay(
        self,
        ctx: &Context,
        users: Users,
        via_to_caller: String,
        invite: Inbound,
        rx: &mut mpsc::Receiver<Inbound>,
    ) {
        let reliable = self.binding.path.reliable();
        self.binding.path.send(self.invite.clone());
        let started = Instant::now();
        let (mut answered, mut done_at, mut cancelled) = (false, None::<Instant>, false);
        let mut next_retransmit = (!reliable).then(|| (started + T1, T1));
        let mut call: Option<dialog::Dialog> = None;
        let mut recheck = tokio::time::interval(RECHECK);
        loop {
            let wake = [
                next_retransmit.map(|r| r.0),
                done_at,
                (!answered).then_some(started + TIMER_C),
                call.as_ref().map(|c| c.since + LONGEST_CALL),
                call.as_ref().filter(|c| !c.acked).map(|c| c.since + LINGER),
            ]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(started + TIMER_C);
            tokio::select! {
                m = rx.recv() => {
                    let Some(m) = m else { return };
                    match m.msg.method() {
                        None if !self.is_ours(&m.msg) => {
                            // An answer to a request of the call Tessera passed on.
                            let Some(c) = call.as_mut() else { continue };
                            if let Some((code, method)) = c.response(&m.msg)
                                && method == "BYE"
                                && (200..300).contains(&code)
                            {
                                ended(&users, c, "hung up");
                                done_at = Some(Instant::now() + AFTER_BYE);
                            }
                        }
                        None => {
                            next_retransmit = None;
                            let Some((code, bytes)) = unwrap_response(&m.msg) else { continue };
                            if cseq(&m.msg).is_some_and(|c| c.1 != "INVITE") {
                                continue; // the answer to our CANCEL
                            }
                            if (200..300).contains(&code) {
                                if answered { invite.path.send(bytes) } else { invite.respond(code, bytes) }
                                answered = true;
                                if call.is_none() {
                                    call = dialog::Dialog::new(
                                        invite.path.clone(),
                                        self.binding.path.clone(),
                                        &invite.msg,
                                        &m.msg,
                                        self.from.clone(),
                                        &self.binding.contact,
                                        self.sent_by.clone(),
                                        via_to_caller.clone(),
                                    );
                                    if call.is_some() {
                                        users.history.answered();
                                        tracing::info!(caller = users.caller, callee = %users.callee, call_id = %self.call_id, "SIP user call answered");
                                    } else {
                                        // Without tags or a Contact the call cannot be followed:
                                        // it goes on between the phones.
                                        tracing::warn!(call_id = %self.call_id, "SIP user call answered without what a dialog needs");
                                        done_at.get_or_insert(Instant::now() + LINGER);
                                    }
                                }
                            } else if code >= 300 {
                                let to = m.msg.headers.single("To").ok().flatten().unwrap_or_default().to_string();
                                self.binding.path.send(self.follow_up("ACK", &to));
                                if !answered {
                                    invite.respond(code, bytes);
                                    let reason = match &m.msg.start {
                                        StartLine::Response { reason, .. } => reason.as_str(),
                                        StartLine::Request { .. } => "",
                                    };
                                    users.history.ended(CallResult::of_status(code), format!("{code} {reason}"));
                                }
                                answered = true;
                                done_at.get_or_insert(Instant::now() + LINGER);
                            } else if code > 100 && !answered {
                                invite.respond(code, bytes);
                            }
                        }
                        Some("CANCEL") => {
                            m.respond(200, reply(&m.msg.headers, 200, "OK", &tag(), &[], b""));
                            if !answered && !cancelled {
                                cancelled = true;
                                self.binding.path.send(self.follow_up("CANCEL", &self.to));
                            }
                        }
                        Some(_) if call.is_some() => {
                            if let Some(c) = call.as_mut()
                                && matches!(c.request(m), dialog::Forwarded::Bye)
                            {
                                // Answered or not, the call ends soon after a BYE.
                                done_at.get_or_insert(Instant::now() + LINGER);
                            }
                        }
                        Some("ACK") => {}
                        Some(_) => {
                            m.respond(481, reply(&m.msg.headers, 481, "Call/Transaction Does Not Exist", &tag(), &[], b""));
                        }
                    }
                }
                _ = recheck.tick(), if call.is_some() && done_at.is_none() => {
                    if users.one_disabled(ctx).await
                        && let Some(c) = call.as_mut()
                    {
                        c.hang_up_both();
                        ended(&users, c, "an account was disabled");
                        done_at = Some(Instant::now() + AFTER_BYE);
                    }
                }
                _ = tokio::time::sleep_until(wake.into()) => {
                    let now = Instant::now();
                    if done_at.is_some_and(|d| now >= d) {
                        return;
                    }
                    if let Some(c) = call.as_mut() && now >= c.since + LONGEST_CALL {
                        c.hang_up_both();
                        ended(&users, c, "the longest call time passed");
                        return;
                    }
                    // An answer never acknowledged (RFC 3261 §13.3.1.4): the call is over.
                    if let Some(c) = call.as_mut() && !c.acked && done_at.is_none() && now >= c.since + LINGER {
                        c.hang_up_both();
                        ended(&users, c, "the caller never acknowledged the answer");
                        return;
                    }
                    if let Some((at, every)) = next_retransmit && now >= at {
                        if now.duration_since(started) >= TIMER_B {
                            invite.respond(408, reply(&invite.msg.headers, 408, "Request Timeout (the callee does not answer)", &tag(), &[], b""));
                            users.history.ended(CallResult::Missed, "the phone did not answer".into());
                            return;
                        }
                        self.binding.path.send(self.invite.clone());
                        let every = every * 2;
                        next_retransmit = Some((now + every, every));
                    }
                    if !answered && now.duration_since(started) >= TIMER_C {
                        self.binding.path.send(self.follow_up("CANCEL", &self.to));
                        invite.respond(408, reply(&invite.msg.headers, 408, "Request Timeout (no answer)", &tag(), &[], b""));
                        users.history.ended(CallResult::Missed, "nobody answered within three minutes".into());
                        return;
                    }
                }
            }
        }
    }
}

/// A user-to-user call is over: how long it lasted, in the log, the metrics and the history.
fn ended(users: &Users, c: &dialog::Dialog, why: &str) {
    users.history.ended(CallResult::Answered, why.to_string());
    let seconds = c.since.elapsed().as_secs_f64();
    tracing::info!(caller = users.caller, callee = %users.callee, seconds = format!("{seconds:.1}"), reason = why, "SIP user call ended");
    metrics::histogram!("tessera_sip_user_call_seconds").record(seconds);
}

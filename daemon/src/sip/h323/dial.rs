//! Calls Tessera places over H.323: the conference manager's "Add participants" and scheduled
//! conferences calling an `h323:` address, or a user whose endpoint registered with the
//! gatekeeper. The address is checked against the dial policy as SIP's are (a registered
//! endpoint is where its user's signed registration put it, so only this host's own addresses
//! are checked: a forged datagram could name them); the call signalling connection
//! goes to it, the bridge's call machine places the call ([`Call::place`]) and, once the callee
//! answers, the call is the same as an answered inbound one ([`H323Call`]). Progress is told as
//! the conference's events (`calling`, `ringing`, `call_failed`) and kept in the call history,
//! as for SIP.

use super::super::Context;
use super::super::call::{Ports, bind_address, bind_ports, local_ip};
use super::super::dial::{Unreachable, failed, progress, reach};
use super::super::history::History;
use super::super::path::Inbound;
use super::call::{H323Call, Joining};
use crate::media::sockets::Medium;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera_sip_h323_bridge::h323::alias;
use tessera_sip_h323_bridge::h323::call::{Call, Output};
use tessera_sip_h323_bridge::h323::h245::channels::Local;
use tessera_sip_h323_bridge::h323::h245::codec::Codec;
use tessera_sip_h323_bridge::h323::signalling::{Answer, Placing};
use tessera_sip_h323_bridge::h323::tpkt::Framer;
use tessera_sip_h323_bridge::h323::url;
use tessera_web::control::EventKind;
use tessera_web::dialout::DialOrder;
use tessera_web::store::CallResult;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// How long connecting to the callee's call signalling address may take.
const CONNECT_WAIT: Duration = Duration::from_secs(10);

/// Whom an H.323 call goes to.
#[derive(Debug, Clone)]
pub(in crate::sip) enum Callee {
    /// An `h323:` address as written, and what it says.
    Address { written: String, to: url::Address },
    /// A user's endpoint registered with the gatekeeper: its call signalling address.
    Registered { login: String, at: SocketAddr },
}

impl Callee {
    /// What the operator sees the call goes to.
    pub(in crate::sip) fn shown(&self) -> String {
        match self {
            Callee::Address { written, .. } => written.clone(),
            Callee::Registered { login, at } => format!("h323:{login}@{at}"),
        }
    }
}

/// The endpoint `login` registered with the gatekeeper most recently, if any.
pub(in crate::sip) fn registered(ctx: &Context, login: &str) -> Option<Callee> {
    let now = chrono::Utc::now().timestamp();
    let endpoints = ctx.gatekeeper().endpoints(now);
    let e = endpoints.into_iter().filter(|e| e.login == login).max_by_key(|e| e.expires)?;
    Some(Callee::Registered { login: e.login, at: e.call_signal })
}

/// A call this server placed: its order and history, told as the call goes.
pub(in crate::sip) struct Dialled {
    order: DialOrder,
    history: History,
}

impl Dialled {
    /// The callee's progress, for the conference's events and the history.
    pub(super) fn told(&self, ctx: &Context, o: &Output) {
        match o {
            Output::Ringing => progress(ctx, &self.order, EventKind::Ringing, "alerting"),
            Output::Answered => {
                tracing::info!(conference = %self.order.conference, "H.323 dial-out answered");
                self.history.answered();
            }
            _ => {}
        }
    }

    /// The call is over: answered calls end in the history, others fail with the callee's
    /// cause in words.
    pub(super) fn ended(self, ctx: &Context, answered: bool, cause: Option<u8>, why: &str) {
        if answered {
            return self.history.ended(CallResult::Answered, "the call ended".into());
        }
        let (result, shown) = match (cause, why) {
            (Some(17), _) => (CallResult::Busy, "busy (Q.931 cause 17)".to_string()),
            (Some(21), _) => (CallResult::Declined, "declined (Q.931 cause 21)".into()),
            (Some(c @ (1 | 3)), _) => (CallResult::Failed, format!("not found (Q.931 cause {c})")),
            (Some(c @ (18 | 19)), _) => (CallResult::Missed, format!("no answer (Q.931 cause {c})")),
            (_, "no answer") => (CallResult::Missed, "no answer (released after a minute)".into()),
            (Some(c), _) => (CallResult::Failed, format!("refused (Q.931 cause {c})")),
            (None, w) => (CallResult::Failed, w.to_string()),
        };
        tracing::info!(conference = %self.order.conference, reason = %why, "H.323 dial-out failed");
        failed(ctx, &self.order, &self.history, result, &shown);
    }
}

/// Places the call and runs it to its end. `_held` keeps the call counted among the server's
/// calls (and the conference's being dialled) while it lasts: the user agent forgets calls
/// whose receiver is gone.
pub(in crate::sip) async fn run(ctx: Arc<Context>, order: DialOrder, callee: Callee, _held: mpsc::Receiver<Inbound>) {
    let history = if order.history {
        let address = match &callee {
            Callee::Address { written, .. } => written.as_str(),
            Callee::Registered { .. } => "",
        };
        History::dial_out(&ctx.store, order.actor, order.user, address, &order.conference).await
    } else {
        History::none(&ctx.store)
    };
    let fail = |u: Unreachable| {
        tracing::info!(conference = %order.conference, reason = %u.logged, "H.323 dial-out failed");
        failed(&ctx, &order, &history, CallResult::Failed, u.shown);
    };
    let (to, destination) = match &callee {
        Callee::Address { to, .. } => match reach(&ctx, &to.host, to.port).await {
            Ok(at) => (at, to.destination()),
            Err(u) => return fail(u),
        },
        Callee::Registered { login, at } => {
            // A registration's UDP source can be forged: this host's own services (loopback,
            // its addresses) are called only when the dial policy allows them.
            if crate::media::destination::is_local(at.ip())
                && let Err(u) = reach(&ctx, &at.ip().to_string(), at.port()).await
            {
                return fail(u);
            }
            (*at, alias::h323_id(login))
        }
    };
    let stream = match tokio::time::timeout(CONNECT_WAIT, TcpStream::connect(to)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            let logged = format!("could not connect to {to}: {e}");
            return fail(Unreachable { shown: "the address could not be reached", logged });
        }
        Err(_) => {
            let logged = format!("{to} did not take the connection within 10 s");
            return fail(Unreachable { shown: "the address could not be reached", logged });
        }
    };
    let _ = stream.set_nodelay(true);
    let (peer, from) = match (stream.peer_addr(), stream.local_addr()) {
        (Ok(p), Ok(l)) => (p, l),
        _ => {
            let logged = format!("the connection to {to} closed at once");
            return fail(Unreachable { shown: "the address could not be reached", logged });
        }
    };
    let here = local_ip(ctx.rtp_bind, peer.ip());
    if here.is_ipv4() != peer.is_ipv4() {
        let logged = format!("media.rtp_bind {} has no address of {peer}'s family", ctx.rtp_bind);
        return fail(Unreachable { shown: "no media ports on this server", logged });
    }
    let bind = bind_address(ctx.rtp_bind, here);
    let (audio, video) =
        match (bind_ports(&ctx.media, bind, Medium::Audio).await, bind_ports(&ctx.media, bind, Medium::Video).await) {
            (Ok(a), Ok(v)) => (a, v),
            (Err(e), _) | (_, Err(e)) => {
                let logged = format!("no UDP ports for media: {e}");
                return fail(Unreachable { shown: "no media ports on this server", logged });
            }
        };
    let Some(control) = ctx.control.clone() else {
        return history.ended(CallResult::Failed, "the media plane is off".into());
    };
    // The addresses given in H.245 and Fast Connect (behind a 1:1 NAT, the public one).
    let shown = ctx.media.advertised(here);
    let local =
        |p: &Ports| Local { rtp: SocketAddr::new(shown, p.rtp_port), rtcp: SocketAddr::new(shown, p.rtcp_port) };
    let (la, lv) = (local(&audio), local(&video));
    let values = Answer {
        call_reference: rand::random::<u16>() & 0x7fff | 1,
        conference_id: rand::random(),
        call_id: Some(rand::random()),
        display: Some(order.conference_name.clone()),
        ..Answer::default()
    };
    let placing = Placing {
        source: alias::h323_id(&order.conference).into_iter().collect(),
        destination,
        to: peer,
        from: Some(from),
    };
    let codecs = [Codec::G722, Codec::Pcmu, Codec::Pcma, Codec::H264(ctx.h323_video)];
    let sessions = move |session| match session {
        1 => Some(la),
        2 => Some(lv),
        _ => None,
    };
    let (machine, out) =
        Call::place(values, &placing, &codecs, sessions, ctx.h323_video, rand::random(), Instant::now());
    tracing::info!(conference = %order.conference, actor = order.actor, to = %peer, "calling out over H.323");
    progress(&ctx, &order, EventKind::Calling, &callee.shown());
    metrics::counter!("tessera_h323_dial_outs_total").increment(1);
    let mut call = H323Call::new(&ctx, peer, machine, audio, video, None, true);
    let joining = Joining {
        conference: order.conference.clone(),
        title: order.conference_name.clone(),
        name: order.name.clone(),
        pin: None,
        guest: None,
        user: order.user,
        control,
    };
    call.dialled = Some(Dialled { order, history });
    let (mut rd, mut wr) = stream.into_split();
    call.run(joining, &mut rd, &mut wr, Framer::new(), out).await;
}

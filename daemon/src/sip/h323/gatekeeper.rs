//! The H.323 gatekeeper on UDP (`sip.h323_gatekeeper_listen`, normally port 1719): the bridge's
//! sans-IO gatekeeper driven with SIP's context. Registrations are authenticated with H.235.1
//! against the key stored when the password was set, through the same lockout sequence as SIP
//! digests (`Auth::guarded`, on the datagram channel: a forged source address cannot lock an
//! account out of the web, and the source is throttled). Every answer goes to the datagram's
//! source, and datagrams count against the same per-address message rate as SIP.

use super::super::Context;
use super::super::auth::{Checked, Guarded, Way};
use super::call::conference_of;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tessera_sip_h323_bridge::h323::gatekeeper::{Facts, Needs, User};
use tessera_sip_h323_bridge::h323::h235;
use tessera_sip_h323_bridge::h323::ras::{self, Reply, Request};
use tessera_web::auth::lockout::Channel;
use tokio::net::UdpSocket;

/// This gatekeeper's identifier (GatekeeperIdentifier, and H.235's generalID).
pub const ID: &str = "tessera";

fn count(result: &'static str) {
    metrics::counter!("tessera_h323_ras_total", "result" => result).increment(1);
}

/// The local address a datagram from `peer` reaches when the socket listens on all addresses:
/// the one the system routes replies from (a connected UDP socket sends nothing).
fn local_toward(bound: SocketAddr, peer: SocketAddr) -> Option<SocketAddr> {
    if !bound.ip().is_unspecified() {
        return Some(bound);
    }
    let any: IpAddr = if peer.is_ipv4() { [0, 0, 0, 0].into() } else { std::net::Ipv6Addr::UNSPECIFIED.into() };
    let probe = std::net::UdpSocket::bind((any, 0)).ok()?;
    probe.connect(peer).ok()?;
    Some(SocketAddr::new(probe.local_addr().ok()?.ip(), bound.port()))
}

/// Answers RAS datagrams until the server stops.
pub(in crate::sip) async fn serve(socket: UdpSocket, ctx: Arc<Context>) {
    let Ok(bound) = socket.local_addr() else { return };
    let mut buf = vec![0u8; ras::MAX_DATAGRAM + 1];
    loop {
        let (n, from) = match socket.recv_from(&mut buf).await {
            Ok(x) => x,
            Err(e) => {
                tracing::debug!(error = %e, "H.323 RAS: receiving failed");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                continue;
            }
        };
        let from = SocketAddr::new(from.ip().to_canonical(), from.port());
        if !ctx.limits.allow_message(from.ip()) {
            count("rate_limited");
            continue;
        }
        let Some(reply) = handle(&ctx, &buf[..n], from, bound).await else { continue };
        if let Err(e) = socket.send_to(&reply, from).await {
            tracing::debug!(error = %e, peer = %from, "H.323 RAS: sending failed");
        }
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn encode(reply: &Reply, seal: Option<&ras::Seal>) -> Option<Vec<u8>> {
    match reply.encode(ID, seal) {
        Ok(b) => Some(b),
        Err(e) => {
            tracing::error!(error = %e, "H.323 RAS: an answer could not be encoded");
            None
        }
    }
}

/// Whether one of `aliases` dials a conference.
async fn dials_a_conference(ctx: &Context, aliases: &[String]) -> bool {
    for a in aliases {
        let (id, _) = conference_of(a);
        if matches!(ctx.store.dial_in(&id).await, Ok(Some(_))) {
            return true;
        }
    }
    false
}

async fn handle(ctx: &Context, raw: &[u8], from: SocketAddr, bound: SocketAddr) -> Option<Vec<u8>> {
    let read = match ras::read(raw) {
        Ok(r) => r,
        Err(e) => {
            count("malformed");
            tracing::info!(peer = %from, error = %e, "H.323 RAS: datagram dropped");
            return None;
        }
    };
    let now = now();
    let needs = ctx.gatekeeper().needs(&read, from, now);
    let (user, token) = match needs {
        Needs::Nothing => (None, None),
        Needs::Refused(reply) => {
            count("refused");
            tracing::info!(peer = %from, answer = ?reply, "H.323 RAS: request refused");
            return encode(&reply, None);
        }
        Needs::Key { login, token } => {
            // Taken apart: the guard of an `if let` scrutinee lives through its block.
            let fresh = ctx.gatekeeper().fresh(&login, &token, now);
            if let Err(stale) = fresh {
                count("stale_token");
                tracing::info!(peer = %from, login = ?login, why = ?stale, "H.323 RAS: token refused (clock off, or sent again)");
                return encode(&ctx.gatekeeper().denied(&read)?, None);
            }
            let mut key = None;
            let checked = ctx
                .auth
                .guarded(&login, from.ip(), Channel::Spoofable, Way::H323, |known| {
                    if let Some(d) = known
                        && d.h235_key.is_none()
                    {
                        tracing::info!(login = ?d.login, "H.323 registration: this account has no H.323 key yet (its password was set before H.323 registration existed): set the password again");
                    }
                    key = known
                        .and_then(|d| d.h235_key.as_deref())
                        .and_then(|h| hex::decode(h).ok())
                        .and_then(|k| <[u8; 20]>::try_from(k).ok());
                    match &key {
                        Some(k) if h235::verify(raw, &token, k) => Checked::Right,
                        _ => Checked::Wrong,
                    }
                })
                .await;
            match (checked, key) {
                (Guarded::Right(d), Some(key)) => {
                    ctx.gatekeeper().accepted(&login, &token, now);
                    (Some(User { id: d.user_id, login: d.login, key }), Some(token))
                }
                _ => {
                    tracing::info!(peer = %from, login = ?login, "H.323 RAS: authentication failed");
                    return encode(&ctx.gatekeeper().denied(&read)?, None);
                }
            }
        }
    };
    let conference = match &read.request {
        Request::Admission(a) => {
            dials_a_conference(ctx, &a.destination).await
                || a.dest_call_signal.is_some_and(|d| {
                    ctx.h323.is_some_and(|h| h.port() == d.port() && crate::media::destination::is_local(d.ip()))
                })
        }
        Request::Location { destination, .. } => dials_a_conference(ctx, destination).await,
        _ => false,
    };
    let facts = Facts {
        from: Some(from),
        ras: local_toward(bound, from),
        call_signal: ctx.h323.and_then(|h| local_toward(h, from)),
        conference,
        now,
    };
    let answer = ctx.gatekeeper().answer(&read, user.as_ref(), token.as_ref(), facts);
    count(answer.event);
    tracing::info!(peer = %from, login = ?user.as_ref().map(|u| &u.login), event = answer.event, "H.323 RAS");
    encode(&answer.reply, answer.seal.as_ref())
}

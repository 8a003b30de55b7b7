//! Who may join what: the dialled address (`<conference>` or `<conference>*<PIN>`, escapes
//! resolved), private conferences (digest, then an invitation unless the conference admits any
//! signed-in user), scheduled conferences that have not started, and the caller's SDP offer —
//! or, for any other name, a call to a registered user.

use super::Context;
use super::auth::Verdict as Auth;
use std::net::IpAddr;
use tessera_sip_h323_bridge::sdp::{self, negotiate};
use tessera_sip_h323_bridge::sip::message::{Message, StartLine};
use tessera_sip_h323_bridge::sip::{name_addr, uri};
use tessera_web::admission::{self, Claim, PinGiven, Refusal};
use tessera_web::control::Control;
use tessera_web::store::GuestPermissions;

/// The challenge of everything that needs an account: private conferences, conferences that do
/// not exist (when a PIN is dialled) and calls to users, alike.
pub(super) const SIGN_IN: &str = "Unauthorized (sign in)";
/// What a caller hears of a private conference it may not join, and of one that does not exist.
const NOT_FOUND: &str = "Not Found";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Who dialled what, once admitted.
pub(super) struct Admitted {
    pub(super) conference: String,
    /// The PIN still to be entered (the conference has one and the address did not carry it).
    pub(super) pin: Option<String>,
    pub(super) name: String,
    /// The user the caller proved to be (private conferences), for their scheduled role.
    pub(super) user: Option<i64>,
    /// The caller's offer; `None` for an INVITE without one (Tessera offers in its 200 and the
    /// answer comes in the ACK).
    pub(super) offer: Option<sdp::Session>,
    pub(super) choice: negotiate::Choice,
    pub(super) control: Control,
    /// A guest (no user of the server): what the organiser lets guests use.
    pub(super) guest: Option<GuestPermissions>,
    /// What the conference asks of the call's media (encrypted only, or not).
    pub(super) media_rule: admission::MediaRule,
}

pub(super) type SipRefusal = (u16, String, Vec<(&'static str, String)>);

fn refuse(code: u16, why: impl Into<String>) -> SipRefusal {
    (code, why.into(), Vec::new())
}

/// `%xx` escapes of a URI user part resolved (invalid ones kept as written).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The conference id and the PIN, if any, of a dialled user part: `ID` or `ID*PIN`.
pub fn dialled(user: &str) -> (String, Option<String>) {
    let user = unescape(user);
    match user.split_once('*') {
        Some((id, pin)) => (id.to_ascii_lowercase(), Some(pin.trim_end_matches('#').to_string())),
        None => (user.to_ascii_lowercase(), None),
    }
}

fn display_name(m: &Message) -> String {
    let from = m.headers.single("From").ok().flatten().and_then(|f| name_addr::parse(f).ok());
    let name = from.as_ref().and_then(|f| f.display.clone()).filter(|d| !d.trim().is_empty()).or_else(|| {
        match from.map(|f| f.uri) {
            Some(uri::Uri::Sip(u)) => u.user.map(|u| unescape(&u)),
            _ => None,
        }
    });
    let clean: String = name.unwrap_or_default().chars().filter(|c| !c.is_control()).take(64).collect();
    if clean.trim().is_empty() { "SIP caller".into() } else { clean.trim().to_string() }
}

/// Where an INVITE goes: into a conference, or to a registered user.
pub(super) enum Route {
    Conference(Box<Admitted>),
    User(String),
}

/// `proven`: the INVITE came over a connection (TCP, TLS), so `peer` cannot be forged;
/// `secure`: over TLS, so SRTP keys may travel in its SDP.
pub(super) async fn admit(
    ctx: &Context,
    m: &Message,
    peer: IpAddr,
    proven: bool,
    secure: bool,
) -> Result<Route, SipRefusal> {
    let StartLine::Request { uri: ruri, .. } = &m.start else { return Err(refuse(400, "not a request")) };
    let user = match uri::parse(ruri) {
        Ok(uri::Uri::Sip(u)) => u.user,
        _ => None,
    };
    let Some(user) = user else {
        return Err(refuse(404, "Not Found (dial sip:<conference id>@this server)"));
    };
    let (id, dialled_pin) = dialled(&user);
    let control = ctx.control.clone().ok_or_else(|| refuse(503, "Service Unavailable (the media plane is off)"))?;
    let conf = match ctx.store.dial_in(&id).await {
        Ok(Some(c)) => c,
        Ok(None) if dialled_pin.is_none() => return Ok(Route::User(unescape(&user))),
        // Answered like a private conference, so that a stranger cannot tell which exist: the
        // same challenge, then the same 404 as for one the caller is not invited to.
        Ok(None) => {
            return Err(match ctx.auth.verify(m, peer, proven).await {
                Auth::Challenge { stale } => (401, SIGN_IN.into(), ctx.auth.challenge(stale)),
                Auth::Refused => refuse(403, "Forbidden"),
                Auth::User { .. } => refuse(404, NOT_FOUND),
            });
        }
        Err(e) => {
            tracing::error!(error = %e, "SIP: the store did not answer");
            return Err(refuse(500, "Server Internal Error (storage)"));
        }
    };
    // The core decides (the same function as the conference page's socket). A caller is first
    // taken as a guest under the name it sent; where only users may join, it is challenged for
    // its credentials and asked about again as the user it proved to be.
    let now_in = admission::presence(Some(&control), &conf.id);
    let rules = admission::conference(&conf, now_in);
    let guard = admission::Guard { lockout: ctx.auth.lockout(), addr: Some(peer), now: now() };
    let pin_given = match dialled_pin.as_deref() {
        Some(p) => PinGiven::Given(p),
        None => PinGiven::Later,
    };
    let name = display_name(m);
    let mut decided = admission::decide(&rules, &Claim::Guest { name: &name }, pin_given, &guard);
    if let Err(why @ (Refusal::SignInRequired | Refusal::SignUpRequired)) = decided {
        match ctx.auth.verify(m, peer, proven).await {
            Auth::Challenge { stale } => {
                let text = if why == Refusal::SignUpRequired {
                    "Unauthorized (a webinar with registration: sign in as an invited user, or join with your link)"
                } else {
                    SIGN_IN
                };
                return Err((401, text.into(), ctx.auth.challenge(stale)));
            }
            Auth::Refused => return Err(refuse(403, "Forbidden")),
            Auth::User { id: uid, login } => {
                let facts = admission::user_facts(&ctx.store, uid, &conf.id, now()).await.map_err(|e| {
                    tracing::error!(error = %e, "SIP: the store did not answer");
                    refuse(500, "Server Internal Error (storage)")
                })?;
                decided = admission::decide(&rules, &Claim::User(facts), pin_given, &guard);
                if decided.is_ok() {
                    tracing::info!(conference = %conf.id, login = %login, "SIP: user admitted");
                }
            }
        }
    }
    let admitted = decided.map_err(|r| {
        if r == Refusal::WrongPin {
            tracing::info!(conference = %id, peer = %peer, "SIP: wrong PIN in the dialled address");
        }
        sip_refusal(r)
    })?;
    let (user, pin) = (admitted.user, admitted.pin_to_ask);
    let media_rule = admission::MediaRule::of(&rules);
    let ct = m.headers.single("Content-Type").ok().flatten().unwrap_or_default();
    let (offer, choice) = if m.body.is_empty() {
        // Tessera will offer: SRTP where the conference takes nothing else, which needs TLS.
        media_rule.admits(secure).map_err(sip_refusal)?;
        (None, negotiate::Choice { audio: None, video: None })
    } else if !ct.to_ascii_lowercase().starts_with("application/sdp") {
        return Err(refuse(415, "Unsupported Media Type (the INVITE's body must be an SDP offer)"));
    } else {
        let offer = sdp::parse(&m.body).map_err(|e| refuse(400, format!("Bad Request ({e})")))?;
        let choice =
            negotiate::choose(&offer, secure).map_err(|e| refuse(488, format!("Not Acceptable Here ({e})")))?;
        media_rule.admits(choice.encrypted()).map_err(|r| {
            // What was offered, so that an administrator can tell a phone without SRTP from one
            // whose suites Tessera does not take.
            let offered: Vec<String> =
                offer.media.iter().map(|m| format!("{} {} ({} keys taken)", m.kind, m.proto, m.crypto.len())).collect();
            let offered = offered.join(", ");
            tracing::info!(conference = %conf.id, peer = %peer, secure, offered, "SIP: plain RTP refused (encrypted media only)");
            sip_refusal(r)
        })?;
        (Some(offer), choice)
    };
    Ok(Route::Conference(Box::new(Admitted {
        conference: conf.id,
        pin,
        name,
        user,
        offer,
        choice,
        control,
        guest: admitted.guest.then_some(conf.guests),
        media_rule,
    })))
}

/// A refusal of the core's, as a SIP answer.
fn sip_refusal(r: Refusal) -> SipRefusal {
    match r {
        Refusal::Hidden => refuse(404, NOT_FOUND),
        Refusal::NotOnList => refuse(403, "Forbidden (not on this webinar's list)"),
        Refusal::NoLicense => refuse(403, "Forbidden (no valid PRO license: you cannot join as yourself)"),
        Refusal::PinRequired | Refusal::WrongPin => refuse(403, "Forbidden (wrong PIN)"),
        Refusal::Throttled => refuse(403, "Forbidden (too many wrong PINs or passwords from your address)"),
        Refusal::NotStarted => refuse(480, "Temporarily Unavailable (the conference has not started)"),
        Refusal::Full => refuse(486, "Busy Here (the conference is full)"),
        Refusal::Draining => refuse(503, "Service Unavailable (the server is restarting for maintenance)"),
        Refusal::EncryptionRequired => refuse(
            488,
            "Not Acceptable Here (this conference takes encrypted media only: call over SIP TLS (sips:) with SRTP)",
        ),
        // A caller is challenged before these could come back; a guest's name is always one.
        Refusal::SignInRequired | Refusal::SignUpRequired => refuse(403, "Forbidden"),
        Refusal::GuestsNotAllowed | Refusal::BadLink | Refusal::BadName(_) => refuse(403, "Forbidden"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialled_addresses() {
        assert_eq!(dialled("Room-1"), ("room-1".into(), None));
        assert_eq!(dialled("room*1234"), ("room".into(), Some("1234".into())));
        assert_eq!(dialled("room%2A1234%23"), ("room".into(), Some("1234".into())));
        assert_eq!(dialled("%zz"), ("%zz".into(), None));
    }
}

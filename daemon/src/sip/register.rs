//! REGISTER (RFC 3261 §10): a user binds the address they can be reached at to their account's
//! address of record `sip:<login>@<this server>`. Only after digest authentication as that very
//! user; bindings live in memory (a restart asks phones to register again, which they do on
//! their own schedule) and expire; `Expires: 0` or `Contact: *` removes them.

use super::Context;
use super::answer::{reply, tag};
use super::auth::Verdict;
use super::path::{Inbound, Path};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tessera_sip_h323_bridge::sip::name_addr;
use tessera_sip_h323_bridge::sip::uri::Uri;

pub const MIN_EXPIRES: u64 = 60;
pub const MAX_EXPIRES: u64 = 3600;
/// More bindings than this per user: the oldest goes.
const MAX_BINDINGS: usize = 8;

#[derive(Clone)]
pub struct Binding {
    pub contact: String,
    pub path: Path,
    pub expires: Instant,
}

#[derive(Default)]
pub struct Registrar {
    bindings: Mutex<HashMap<String, Vec<Binding>>>,
}

impl Registrar {
    /// The live bindings of a login.
    pub fn lookup(&self, login: &str) -> Vec<Binding> {
        let now = Instant::now();
        let mut b = self.bindings.lock().unwrap_or_else(|p| p.into_inner());
        let list = b.entry(login.to_string()).or_default();
        list.retain(|x| x.expires > now);
        list.clone()
    }

    /// Every live binding: login, contact, seconds left.
    pub fn all(&self) -> Vec<(String, String, u64)> {
        let now = Instant::now();
        let b = self.bindings.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<(String, String, u64)> = b
            .iter()
            .flat_map(|(login, list)| {
                list.iter()
                    .filter(|x| x.expires > now)
                    .map(move |x| (login.clone(), x.contact.clone(), (x.expires - now).as_secs()))
            })
            .collect();
        out.sort();
        out
    }

    /// Drops every binding of a login (its account was disabled); how many there were.
    pub fn forget(&self, login: &str) -> usize {
        let mut b = self.bindings.lock().unwrap_or_else(|p| p.into_inner());
        let n = b.remove(login).map_or(0, |l| l.len());
        metrics::gauge!("tessera_sip_registrations").set(b.values().map(Vec::len).sum::<usize>() as f64);
        n
    }

    fn update(&self, login: &str, contacts: &[(String, u64)], path: &Path, remove_all: bool) -> Vec<(String, u64)> {
        let now = Instant::now();
        let mut b = self.bindings.lock().unwrap_or_else(|p| p.into_inner());
        let list = b.entry(login.to_string()).or_default();
        list.retain(|x| x.expires > now);
        if remove_all {
            list.clear();
        }
        for (contact, secs) in contacts {
            list.retain(|x| x.contact != *contact);
            if *secs > 0 {
                list.push(Binding {
                    contact: contact.clone(),
                    path: reach(path, contact),
                    expires: now + Duration::from_secs(*secs),
                });
            }
        }
        while list.len() > MAX_BINDINGS {
            list.remove(0);
        }
        let out =
            list.iter().map(|x| (x.contact.clone(), x.expires.saturating_duration_since(now).as_secs())).collect();
        metrics::gauge!("tessera_sip_registrations").set(b.values().map(Vec::len).sum::<usize>() as f64);
        out
    }
}

/// How to reach a contact over UDP: at its own address when it names the host the REGISTER
/// came from (a phone registering another port, or a helper registering for it), else at the
/// REGISTER's source (behind NAT the contact's private address cannot be reached). TCP
/// bindings use the connection they registered on.
fn reach(path: &Path, contact: &str) -> Path {
    let Path::Udp { out, peer } = path else { return path.clone() };
    let Ok(Uri::Sip(u)) = tessera_sip_h323_bridge::sip::uri::parse(contact) else { return path.clone() };
    match u.host.trim_matches(['[', ']']).parse::<std::net::IpAddr>() {
        Ok(ip) if ip == peer.ip() => {
            Path::Udp { out: out.clone(), peer: std::net::SocketAddr::new(ip, u.port.unwrap_or(5060)) }
        }
        _ => path.clone(),
    }
}

fn user_of(value: Option<&str>) -> Option<String> {
    match name_addr::parse(value?).ok()?.uri {
        Uri::Sip(u) => u.user,
        Uri::Other { .. } => None,
    }
}

pub async fn handle(ctx: &Context, inb: Inbound) {
    let h = &inb.msg.headers;
    let t = tag();
    let respond = |code: u16, reason: &str, extra: &[(&str, String)]| {
        inb.respond(code, reply(h, code, reason, &t, extra, b""));
    };
    let (id, login) = match ctx.auth.verify(&inb.msg, inb.path.peer().ip(), inb.path.reliable()).await {
        Verdict::Challenge { stale } => {
            let ch = ctx.auth.challenge(stale);
            let extra: Vec<(&str, String)> = ch.iter().map(|(n, v)| (*n, v.clone())).collect();
            return respond(401, "Unauthorized", &extra);
        }
        Verdict::Refused => return respond(403, "Forbidden", &[]),
        Verdict::User { id, login } => (id, login),
    };
    // The address of record is the account's own.
    if user_of(h.single("To").ok().flatten()).as_deref() != Some(login.as_str()) {
        return respond(403, "Forbidden (register your own address: sip:<login>@this server)", &[]);
    }
    let default_expires =
        h.single("Expires").ok().flatten().and_then(|e| e.trim().parse::<u64>().ok()).unwrap_or(MAX_EXPIRES);
    let contacts = h.list("Contact");
    let star = contacts.iter().any(|c| c.trim() == "*");
    if star && (contacts.len() > 1 || default_expires != 0) {
        return respond(400, "Bad Request (Contact: * needs Expires: 0 and no other Contact)", &[]);
    }
    let mut wanted = Vec::new();
    for c in contacts.iter().filter(|c| c.trim() != "*") {
        let Ok(na) = name_addr::parse(c) else {
            return respond(400, "Bad Request (a Contact that is not an address)", &[]);
        };
        let secs = na.param("expires").flatten().and_then(|e| e.parse::<u64>().ok()).unwrap_or(default_expires);
        if secs > 0 && secs < MIN_EXPIRES {
            return respond(423, "Interval Too Brief", &[("Min-Expires", MIN_EXPIRES.to_string())]);
        }
        let uri = c.trim();
        let uri = match (uri.find('<'), uri.find('>')) {
            (Some(a), Some(b)) if a < b => uri[a + 1..b].to_string(),
            _ => uri.split(';').next().unwrap_or(uri).to_string(),
        };
        wanted.push((uri, secs.min(MAX_EXPIRES)));
    }
    let now_bound = ctx.registrar.update(&login, &wanted, &inb.path, star);
    tracing::info!(login = %login, user = id, peer = %inb.path.peer(), bindings = now_bound.len(), "SIP registration");
    let extra: Vec<(&str, String)> = now_bound.iter().map(|(c, s)| ("Contact", format!("<{c}>;expires={s}"))).collect();
    respond(200, "OK", &extra);
}

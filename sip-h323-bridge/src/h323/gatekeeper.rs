//! The gatekeeper's decisions, sans-IO: who is registered where, which requests need whose
//! password, and the answer to each request. The caller (the daemon) reads datagrams with
//! [`super::ras::read`], asks [`Gatekeeper::needs`] whose key must check a request, checks the
//! password through its lockout service with [`Gatekeeper::fresh`] and [`super::h235::verify`],
//! says what it knows of the destination (a conference or not), and sends the [`Answer`].
//!
//! Rules: every registration is authenticated (H.235.1); a lightweight RRQ, an ARQ, a URQ and
//! a DRQ must name a live registration and come from its RAS address; RRQ and ARQ must be
//! signed, and a URQ or DRQ that is signed must be signed right. Answers go to the datagram's
//! source, never to an address a datagram names, so a forged request cannot aim them elsewhere.

use super::h235::{Replays, Stale, Token};
use super::ras::{Admission, Read, Registration, Reply, Request, Seal};
use std::collections::HashMap;
use std::net::SocketAddr;
use tessera_h323_asn::h323_messages::{
    AdmissionRejectReason, BandRejectReason, DisengageRejectReason, GatekeeperRejectReason, LocationRejectReason,
    RegistrationRejectReason, UnregRejectReason,
};

/// Registrations of one login at most; more refuse the newest.
pub const MAX_PER_LOGIN: usize = 8;
/// Registrations in all at most.
pub const MAX_ENDPOINTS: usize = 10_000;
/// The time to live given when the endpoint asks for none, and the bounds of what it may ask.
pub const DEFAULT_TTL: u32 = 300;
pub const MIN_TTL: u32 = 60;
pub const MAX_TTL: u32 = 3600;
/// The bandwidth a call is granted (ARQ, BRQ), in H.225.0's units of 100 bit/s for both
/// directions: from 64 kbit/s to 8 Mbit/s (4 Mbit/s each way).
pub const MIN_BANDWIDTH: u32 = 640;
pub const MAX_BANDWIDTH: u32 = 80_000;
/// How long an admitted call may take to arrive (seconds).
const ADMITTED_FOR: i64 = 60;
const MAX_ADMITTED: usize = 10_000;

/// A live registration.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub id: String,
    pub user_id: i64,
    pub login: String,
    pub aliases: Vec<String>,
    /// Where it takes calls.
    pub call_signal: SocketAddr,
    /// Where its RAS datagrams come from and answers go.
    pub ras: SocketAddr,
    pub expires: i64,
}

/// A user whose key checked a request.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub login: String,
    pub key: [u8; 20],
}

/// What a request needs before it can be answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Needs {
    /// Nothing: answer it.
    Nothing,
    /// The key of this login must check the token.
    Key { login: String, token: Token },
    /// It is refused as it stands.
    Refused(Reply),
}

/// What the daemon knows of a request's destination.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts {
    /// The request's source.
    pub from: Option<SocketAddr>,
    /// This server's RAS and call signalling addresses, as the source reaches them.
    pub ras: Option<SocketAddr>,
    pub call_signal: Option<SocketAddr>,
    /// Whether an alias the request names is a conference one may dial.
    pub conference: bool,
    pub now: i64,
}

/// An answer, and how to seal it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub reply: Reply,
    pub seal: Option<Seal>,
    /// What happened, for the log and the metrics.
    pub event: &'static str,
}

#[derive(Debug, Clone)]
struct Admitted {
    user_id: i64,
    login: String,
    ip: std::net::IpAddr,
    until: i64,
}

pub struct Gatekeeper {
    id: String,
    endpoints: HashMap<String, Endpoint>,
    admitted: HashMap<[u8; 16], Admitted>,
    replays: Replays,
    random: i64,
    /// Endpoint identifiers: this start's prefix and a counter.
    prefix: u32,
    issued: u32,
}

impl Gatekeeper {
    /// A gatekeeper named `id` (its GatekeeperIdentifier, also H.235's generalID); `prefix`
    /// starts the endpoint identifiers it gives (random per start, so that a restart does not
    /// hand out an identifier an endpoint still holds).
    pub fn new(id: &str, prefix: u32) -> Gatekeeper {
        Gatekeeper {
            id: id.to_string(),
            endpoints: HashMap::new(),
            admitted: HashMap::new(),
            replays: Replays::default(),
            random: 0,
            prefix,
            issued: 0,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Live registrations (expired ones are dropped first).
    pub fn endpoints(&mut self, now: i64) -> Vec<Endpoint> {
        self.expire(now);
        let mut v: Vec<Endpoint> = self.endpoints.values().cloned().collect();
        v.sort_by(|a, b| (&a.login, &a.id).cmp(&(&b.login, &b.id)));
        v
    }

    /// Drops every registration of a login (its account was disabled or its password changed).
    pub fn forget(&mut self, login: &str) -> usize {
        let before = self.endpoints.len();
        self.endpoints.retain(|_, e| e.login != login);
        before - self.endpoints.len()
    }

    fn expire(&mut self, now: i64) {
        self.endpoints.retain(|_, e| e.expires > now);
        self.admitted.retain(|_, a| a.until > now);
    }

    fn live(&self, endpoint: &str, from: Option<SocketAddr>) -> Option<&Endpoint> {
        self.endpoints.get(endpoint).filter(|e| from.is_none_or(|f| f == e.ras))
    }

    /// Whose key must check `read` (from `from`).
    pub fn needs(&mut self, read: &Read, from: SocketAddr, now: i64) -> Needs {
        self.expire(now);
        let token = read.token.clone();
        let for_us = |t: &Token| t.general_id.as_deref().is_none_or(|g| g == self.id);
        match &read.request {
            Request::Gatekeeper { .. } | Request::Location { .. } | Request::Other { .. } => Needs::Nothing,
            Request::Registration(r) => {
                let reject = |reason| Needs::Refused(Reply::RegistrationReject { seq: r.seq, reason });
                if r.gatekeeper.as_deref().is_some_and(|g| g != self.id) {
                    return reject(RegistrationRejectReason::undefinedReason(()));
                }
                let Some(t) = token.filter(for_us) else {
                    return reject(RegistrationRejectReason::securityDenial(()));
                };
                let login = if r.keep_alive {
                    let Some(e) = r.endpoint.as_deref().and_then(|id| self.live(id, Some(from))) else {
                        return reject(RegistrationRejectReason::fullRegistrationRequired(()));
                    };
                    if t.senders_id.as_deref().is_some_and(|s| s != e.login && s != e.id) {
                        return reject(RegistrationRejectReason::securityDenial(()));
                    }
                    e.login.clone()
                } else {
                    match t.senders_id.clone().or_else(|| r.names.first().cloned()) {
                        Some(l) => l,
                        None => return reject(RegistrationRejectReason::securityDenial(())),
                    }
                };
                Needs::Key { login, token: t }
            }
            Request::Admission(a) => {
                let reject = |reason| Needs::Refused(Reply::AdmissionReject { seq: a.seq, reason });
                let Some(e) = self.live(&a.endpoint, Some(from)) else {
                    return reject(AdmissionRejectReason::callerNotRegistered(()));
                };
                match token.filter(for_us) {
                    Some(t) if t.senders_id.as_deref().is_none_or(|s| s == e.login || s == e.id) => {
                        Needs::Key { login: e.login.clone(), token: t }
                    }
                    _ => reject(AdmissionRejectReason::securityDenial(())),
                }
            }
            // URQ, BRQ, DRQ: from a live registration; a token, if any, must check.
            Request::Unregistration { seq, endpoint } => self.signed_if_token(
                endpoint.as_deref(),
                from,
                token,
                Reply::UnregistrationReject { seq: *seq, reason: UnregRejectReason::notCurrentlyRegistered(()) },
            ),
            Request::Bandwidth { seq, endpoint, .. } => self.signed_if_token(
                Some(endpoint),
                from,
                token,
                Reply::BandwidthReject { seq: *seq, reason: BandRejectReason::notBound(()) },
            ),
            Request::Disengage { seq, endpoint } => self.signed_if_token(
                Some(endpoint),
                from,
                token,
                Reply::DisengageReject { seq: *seq, reason: DisengageRejectReason::notRegistered(()) },
            ),
        }
    }

    /// A request that must come from the live registration `endpoint` (else `unknown`), and
    /// whose token, if it carries one, must check with that registration's key.
    fn signed_if_token(&self, endpoint: Option<&str>, from: SocketAddr, token: Option<Token>, unknown: Reply) -> Needs {
        match (endpoint.and_then(|id| self.live(id, Some(from))), token) {
            (None, _) => Needs::Refused(unknown),
            (Some(e), Some(t)) => Needs::Key { login: e.login.clone(), token: t },
            (Some(_), None) => Needs::Nothing,
        }
    }

    /// Whether `token` of `login` may be checked now: not too old or new, not seen before. A
    /// token that is not fresh is refused without counting as a wrong password (it is a clock
    /// that is off, or a captured message sent again).
    pub fn fresh(&self, login: &str, token: &Token, now: i64) -> Result<(), Stale> {
        self.replays.check(login, token, now)
    }

    /// Records that `token` of `login` checked out, so it cannot be used again.
    pub fn accepted(&mut self, login: &str, token: &Token, now: i64) {
        self.replays.accept(login, token, now);
    }

    /// The answer to `read`; `user` is whose key checked it (after [`Gatekeeper::needs`] said
    /// `Key`), `None` when nothing was needed. A request that needed a key and has no `user`
    /// must not reach this: refuse it with [`Gatekeeper::denied`].
    pub fn answer(&mut self, read: &Read, user: Option<&User>, token: Option<&Token>, f: Facts) -> Answer {
        let seal = user.map(|u| {
            self.random = self.random.wrapping_add(1).max(1);
            Seal {
                key: u.key,
                time_stamp: u32::try_from(f.now).unwrap_or(u32::MAX),
                random: self.random,
                general_id: token.and_then(|t| t.senders_id.clone()),
                senders_id: self.id.clone(),
            }
        });
        let (reply, event) = match &read.request {
            Request::Gatekeeper { seq, gatekeeper, offers_h235 } => match (gatekeeper, f.ras) {
                (Some(g), _) if *g != self.id => (
                    Reply::GatekeeperReject { seq: *seq, reason: GatekeeperRejectReason::terminalExcluded(()) },
                    "grj_other",
                ),
                (_, Some(ras)) if *offers_h235 => (Reply::GatekeeperConfirm { seq: *seq, ras, h235: true }, "gcf"),
                (_, Some(_)) => (
                    Reply::GatekeeperReject { seq: *seq, reason: GatekeeperRejectReason::securityDenial(()) },
                    "grj_no_h235",
                ),
                (_, None) => (
                    Reply::GatekeeperReject { seq: *seq, reason: GatekeeperRejectReason::resourceUnavailable(()) },
                    "grj_unavailable",
                ),
            },
            Request::Registration(r) => match user {
                Some(u) => self.register(r, u, f),
                None => (
                    Reply::RegistrationReject { seq: r.seq, reason: RegistrationRejectReason::securityDenial(()) },
                    "rrj_security",
                ),
            },
            Request::Unregistration { seq, endpoint } => {
                if let Some(id) = endpoint {
                    self.endpoints.remove(id);
                }
                (Reply::UnregistrationConfirm { seq: *seq }, "ucf")
            }
            Request::Admission(a) => match user {
                Some(u) => self.admit(a, u, f),
                None => (
                    Reply::AdmissionReject { seq: a.seq, reason: AdmissionRejectReason::securityDenial(()) },
                    "arj_security",
                ),
            },
            Request::Disengage { seq, .. } => (Reply::DisengageConfirm { seq: *seq }, "dcf"),
            // Granted within the bounds an admission gets.
            Request::Bandwidth { seq, bandwidth, .. } => (
                Reply::BandwidthConfirm { seq: *seq, bandwidth: (*bandwidth).clamp(MIN_BANDWIDTH, MAX_BANDWIDTH) },
                "bcf",
            ),
            Request::Location { seq, .. } => match (f.conference, f.call_signal, f.ras) {
                (true, Some(call_signal), Some(ras)) => (Reply::LocationConfirm { seq: *seq, call_signal, ras }, "lcf"),
                _ => (Reply::LocationReject { seq: *seq, reason: LocationRejectReason::requestDenied(()) }, "lrj"),
            },
            Request::Other { seq: Some(seq), .. } => (Reply::Unknown { seq: *seq }, "unknown"),
            Request::Other { seq: None, .. } => (Reply::Unknown { seq: 1 }, "unknown"),
        };
        Answer { reply, seal, event }
    }

    /// The answer to a request whose key did not check it (wrong password, locked account,
    /// stale token): a rejection with the reason `securityDenial`, unsealed.
    pub fn denied(&self, read: &Read) -> Option<Reply> {
        Some(match &read.request {
            Request::Registration(r) => {
                Reply::RegistrationReject { seq: r.seq, reason: RegistrationRejectReason::securityDenial(()) }
            }
            Request::Admission(a) => {
                Reply::AdmissionReject { seq: a.seq, reason: AdmissionRejectReason::securityDenial(()) }
            }
            Request::Unregistration { seq, .. } => {
                Reply::UnregistrationReject { seq: *seq, reason: UnregRejectReason::securityDenial(()) }
            }
            Request::Disengage { seq, .. } => {
                Reply::DisengageReject { seq: *seq, reason: DisengageRejectReason::securityDenial(()) }
            }
            Request::Bandwidth { seq, .. } => {
                Reply::BandwidthReject { seq: *seq, reason: BandRejectReason::securityDenial(()) }
            }
            _ => return None,
        })
    }

    fn register(&mut self, r: &Registration, u: &User, f: Facts) -> (Reply, &'static str) {
        let reject = |reason| Reply::RegistrationReject { seq: r.seq, reason };
        let ttl = r.time_to_live.unwrap_or(DEFAULT_TTL).clamp(MIN_TTL, MAX_TTL);
        let Some(from) = f.from else { return (reject(RegistrationRejectReason::undefinedReason(())), "rrj") };
        if r.keep_alive {
            let Some(e) = r.endpoint.as_deref().and_then(|id| self.endpoints.get_mut(id)) else {
                return (reject(RegistrationRejectReason::fullRegistrationRequired(())), "rrj_full_needed");
            };
            e.expires = f.now + i64::from(ttl);
            let reply = Reply::RegistrationConfirm {
                seq: r.seq,
                endpoint: e.id.clone(),
                call_signal: vec![e.call_signal],
                aliases: e.aliases.clone(),
                time_to_live: ttl,
            };
            return (reply, "rcf_keep_alive");
        }
        // Where calls reach it: the address it gives when that is the datagram's own host,
        // else that port at the datagram's host (behind NAT, its own address is unreachable).
        let Some(given) = r.call_signal.first().copied() else {
            return (reject(RegistrationRejectReason::invalidCallSignalAddress(())), "rrj_address");
        };
        let call_signal = if given.ip().to_canonical() == from.ip().to_canonical() {
            given
        } else {
            SocketAddr::new(from.ip(), given.port())
        };
        let taken = self.endpoints.values().any(|e| {
            e.login != u.login && e.aliases.iter().any(|a| r.aliases.iter().any(|b| a.eq_ignore_ascii_case(b)))
        });
        if taken {
            return (reject(RegistrationRejectReason::duplicateAlias(Vec::new())), "rrj_duplicate_alias");
        }
        // The same endpoint registering again (same call signalling address) replaces its entry.
        self.endpoints.retain(|_, e| !(e.login == u.login && e.call_signal == call_signal));
        let mine = self.endpoints.values().filter(|e| e.login == u.login).count();
        if mine >= MAX_PER_LOGIN || self.endpoints.len() >= MAX_ENDPOINTS {
            return (reject(RegistrationRejectReason::resourceUnavailable(())), "rrj_full");
        }
        self.issued = self.issued.wrapping_add(1);
        let id = format!("{:08x}{:08x}", self.prefix, self.issued);
        let mut aliases: Vec<String> = r.aliases.clone();
        if !aliases.contains(&u.login) {
            aliases.insert(0, u.login.clone());
        }
        let e = Endpoint {
            id: id.clone(),
            user_id: u.id,
            login: u.login.clone(),
            aliases: aliases.clone(),
            call_signal,
            ras: from,
            expires: f.now + i64::from(ttl),
        };
        self.endpoints.insert(id.clone(), e);
        (
            Reply::RegistrationConfirm {
                seq: r.seq,
                endpoint: id,
                call_signal: vec![call_signal],
                aliases,
                time_to_live: ttl,
            },
            "rcf",
        )
    }

    fn admit(&mut self, a: &Admission, u: &User, f: Facts) -> (Reply, &'static str) {
        let reject = |reason| Reply::AdmissionReject { seq: a.seq, reason };
        let Some(me) = self.endpoints.get(&a.endpoint).cloned() else {
            return (reject(AdmissionRejectReason::callerNotRegistered(())), "arj_not_registered");
        };
        let bandwidth = a.bandwidth.clamp(MIN_BANDWIDTH, MAX_BANDWIDTH);
        if a.answer_call {
            return (Reply::AdmissionConfirm { seq: a.seq, bandwidth, to: me.call_signal }, "acf_answer");
        }
        if f.conference {
            let Some(to) = f.call_signal else {
                return (reject(AdmissionRejectReason::resourceUnavailable(())), "arj_unavailable");
            };
            if let Some(call) = a.call_id {
                if self.admitted.len() >= MAX_ADMITTED {
                    self.admitted.clear();
                }
                let until = f.now + ADMITTED_FOR;
                self.admitted
                    .insert(call, Admitted { user_id: u.id, login: u.login.clone(), ip: me.call_signal.ip(), until });
            }
            return (Reply::AdmissionConfirm { seq: a.seq, bandwidth, to }, "acf_conference");
        }
        // Another registered endpoint, by its login or an alias.
        let callee = a.destination.iter().find_map(|d| {
            self.endpoints.values().find(|e| e.id != me.id && e.aliases.iter().any(|x| x.eq_ignore_ascii_case(d)))
        });
        match callee {
            Some(e) => (Reply::AdmissionConfirm { seq: a.seq, bandwidth, to: e.call_signal }, "acf_endpoint"),
            None => (reject(AdmissionRejectReason::calledPartyNotRegistered(())), "arj_unknown_destination"),
        }
    }

    /// The user an admitted call comes from: the ARQ for `call_id` was signed by them and the
    /// Setup arrives from their endpoint's address. Once per call.
    pub fn caller(&mut self, call_id: &[u8; 16], ip: std::net::IpAddr, now: i64) -> Option<(i64, String)> {
        let a = self.admitted.get(call_id)?;
        if a.until <= now || a.ip.to_canonical() != ip.to_canonical() {
            return None;
        }
        self.admitted.remove(call_id).map(|a| (a.user_id, a.login))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(sender: &str) -> Token {
        Token {
            time_stamp: 100,
            random: 1,
            general_id: Some("tessera".into()),
            senders_id: Some(sender.into()),
            hash: [0; 12],
        }
    }

    fn rrq(keep_alive: bool, endpoint: Option<&str>, aliases: &[&str]) -> Read {
        Read {
            request: Request::Registration(Registration {
                seq: 1,
                keep_alive,
                endpoint: endpoint.map(str::to_string),
                gatekeeper: None,
                call_signal: vec!["10.0.0.5:1720".parse().unwrap()],
                aliases: aliases.iter().map(|a| a.to_string()).collect(),
                names: aliases.iter().map(|a| a.to_string()).collect(),
                time_to_live: Some(10),
            }),
            token: Some(token("alice")),
        }
    }

    fn user(login: &str) -> User {
        User { id: 1, login: login.into(), key: [0; 20] }
    }

    fn facts(from: &str) -> Facts {
        Facts { from: Some(from.parse().unwrap()), now: 1000, ..Facts::default() }
    }

    fn register(gk: &mut Gatekeeper, login: &str, from: &str, aliases: &[&str]) -> Reply {
        gk.answer(&rrq(false, None, aliases), Some(&user(login)), None, facts(from)).reply
    }

    #[test]
    fn a_registration_needs_a_token_and_names_its_login() {
        let mut gk = Gatekeeper::new("tessera", 1);
        let from: SocketAddr = "10.0.0.5:1719".parse().unwrap();
        match gk.needs(&rrq(false, None, &["Room 101"]), from, 1000) {
            Needs::Key { login, .. } => assert_eq!(login, "alice", "the token's sender"),
            other => panic!("{other:?}"),
        }
        let unsigned = Read { token: None, ..rrq(false, None, &["Room 101"]) };
        assert!(matches!(gk.needs(&unsigned, from, 1000), Needs::Refused(Reply::RegistrationReject { .. })));
        let elsewhere = Read { token: Some(Token { general_id: Some("other".into()), ..token("alice") }), ..unsigned };
        assert!(matches!(gk.needs(&elsewhere, from, 1000), Needs::Refused(_)), "a token for another gatekeeper");
    }

    #[test]
    fn the_ttl_is_bounded_and_keep_alive_comes_from_the_registered_address() {
        let mut gk = Gatekeeper::new("tessera", 1);
        let Reply::RegistrationConfirm { endpoint, time_to_live, call_signal, .. } =
            register(&mut gk, "alice", "10.0.0.5:1719", &["Room 101"])
        else {
            panic!()
        };
        assert_eq!(time_to_live, MIN_TTL, "10 s asked, the minimum given");
        assert_eq!(call_signal, vec!["10.0.0.5:1720".parse().unwrap()]);
        let ka = rrq(true, Some(&endpoint), &[]);
        assert!(matches!(gk.needs(&ka, "10.0.0.5:1719".parse().unwrap(), 1000), Needs::Key { .. }));
        assert!(
            matches!(gk.needs(&ka, "10.0.0.9:1719".parse().unwrap(), 1000), Needs::Refused(_)),
            "keep-alive from another address"
        );
        assert_eq!(gk.endpoints(1000 + i64::from(MIN_TTL) + 1).len(), 0, "expired");
    }

    #[test]
    fn behind_nat_calls_go_to_the_source_and_aliases_are_not_shared() {
        let mut gk = Gatekeeper::new("tessera", 1);
        let Reply::RegistrationConfirm { call_signal, .. } =
            register(&mut gk, "alice", "192.0.2.7:40000", &["Room 101"])
        else {
            panic!()
        };
        assert_eq!(call_signal, vec!["192.0.2.7:1720".parse().unwrap()], "its own 10.0.0.5 is unreachable");
        assert!(matches!(
            register(&mut gk, "bob", "192.0.2.8:40000", &["room 101"]),
            Reply::RegistrationReject { reason: RegistrationRejectReason::duplicateAlias(_), .. }
        ));
        for i in 0..MAX_PER_LOGIN {
            let r = gk.answer(
                &Read {
                    request: Request::Registration(Registration {
                        call_signal: vec![format!("192.0.2.9:{}", 2000 + i).parse().unwrap()],
                        ..match rrq(false, None, &[]).request {
                            Request::Registration(r) => r,
                            _ => unreachable!(),
                        }
                    }),
                    token: None,
                },
                Some(&user("carol")),
                None,
                facts("192.0.2.9:40000"),
            );
            assert!(matches!(r.reply, Reply::RegistrationConfirm { .. }), "{i}: {r:?}");
        }
        assert!(matches!(
            register(&mut gk, "carol", "192.0.2.10:40000", &[]),
            Reply::RegistrationReject { reason: RegistrationRejectReason::resourceUnavailable(()), .. }
        ));
    }

    #[test]
    fn an_admitted_call_is_claimed_once_from_its_endpoint() {
        let mut gk = Gatekeeper::new("tessera", 1);
        let Reply::RegistrationConfirm { endpoint, .. } = register(&mut gk, "alice", "10.0.0.5:1719", &[]) else {
            panic!()
        };
        let arq = Read {
            request: Request::Admission(Admission {
                seq: 2,
                endpoint,
                destination: vec!["4321".into()],
                dest_call_signal: None,
                answer_call: false,
                bandwidth: 1280,
                call_id: Some([7; 16]),
            }),
            token: Some(token("alice")),
        };
        let here =
            Facts { call_signal: Some("10.0.0.1:1720".parse().unwrap()), conference: true, ..facts("10.0.0.5:1719") };
        let a = gk.answer(&arq, Some(&user("alice")), None, here);
        assert!(matches!(a.reply, Reply::AdmissionConfirm { to, .. } if to.port() == 1720), "{a:?}");
        assert_eq!(gk.caller(&[7; 16], "10.0.0.6".parse().unwrap(), 1000), None, "another address");
        assert_eq!(gk.caller(&[7; 16], "10.0.0.5".parse().unwrap(), 1000), Some((1, "alice".into())));
        assert_eq!(gk.caller(&[7; 16], "10.0.0.5".parse().unwrap(), 1000), None, "once");
        let nowhere = Facts { conference: false, ..here };
        let a = gk.answer(&arq, Some(&user("alice")), None, nowhere);
        assert!(matches!(a.reply, Reply::AdmissionReject { .. }), "no conference, no endpoint: {a:?}");
    }

    #[test]
    fn a_bandwidth_change_is_granted_within_bounds_to_registered_endpoints_only() {
        let mut gk = Gatekeeper::new("tessera", 1);
        let Reply::RegistrationConfirm { endpoint, .. } = register(&mut gk, "alice", "10.0.0.5:1719", &[]) else {
            panic!()
        };
        let brq = |endpoint: &str, bandwidth| Read {
            request: Request::Bandwidth { seq: 4, endpoint: endpoint.into(), bandwidth },
            token: None,
        };
        let from: SocketAddr = "10.0.0.5:1719".parse().unwrap();
        assert_eq!(gk.needs(&brq(&endpoint, 3840), from, 1000), Needs::Nothing);
        let a = gk.answer(&brq(&endpoint, 1_000_000), None, None, facts("10.0.0.5:1719"));
        assert_eq!(a.reply, Reply::BandwidthConfirm { seq: 4, bandwidth: MAX_BANDWIDTH });
        assert!(matches!(
            gk.needs(&brq("nobody", 3840), from, 1000),
            Needs::Refused(Reply::BandwidthReject { reason: BandRejectReason::notBound(()), .. })
        ));
        let encoded = a.reply.encode("tessera", None).unwrap();
        assert!(rasn::aper::decode::<tessera_h323_asn::h323_messages::RasMessage>(&encoded).is_ok());
    }
}

//! H.225.0 RAS (registration, admission and status) on UDP: the requests a gatekeeper answers,
//! read into what it needs ([`Request`]), and its answers written from a few values
//! ([`Reply`]). Answers to authenticated requests carry an H.235.1 token of their own
//! ([`Seal`]), so that the endpoint knows the gatekeeper holds its password too.

use super::alias;
use super::h235;
use super::signalling::{address, protocol_identifier, transport};
use std::net::SocketAddr;
use tessera_h323_asn::h235_security_messages::AuthenticationMechanism;
use tessera_h323_asn::h323_messages::{
    AdmissionConfirm, AdmissionReject, AdmissionRejectReason, AliasAddress, BandRejectReason, BandWidth,
    BandwidthConfirm, BandwidthReject, CallModel, CryptoH323Token, DisengageConfirm, DisengageReject,
    DisengageRejectReason, EndpointIdentifier, GatekeeperConfirm, GatekeeperIdentifier, GatekeeperReject,
    GatekeeperRejectReason, LocationConfirm, LocationReject, LocationRejectReason, RasMessage, RegistrationConfirm,
    RegistrationReject, RegistrationRejectReason, RequestSeqNum, TimeToLive, UnknownMessageResponse, UnregRejectReason,
    UnregistrationConfirm, UnregistrationReject,
};

/// A RAS datagram longer than this is not read (real ones are a few hundred octets).
pub const MAX_DATAGRAM: usize = 4096;
/// Aliases and addresses read from one request at most; more are ignored.
const MAX_LIST: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum RasError {
    #[error("RAS datagram of {0} octets (at most {MAX_DATAGRAM})")]
    TooLong(usize),
    #[error("RAS message does not decode (aligned PER): {0}")]
    Per(String),
}

/// A RAS request as read, with the H.235.1 token it carries, if any.
#[derive(Debug, Clone)]
pub struct Read {
    pub request: Request,
    pub token: Option<h235::Token>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// GRQ: which gatekeeper is there, and may this endpoint use it.
    Gatekeeper {
        seq: u16,
        /// The gatekeeper the endpoint looks for, if it names one.
        gatekeeper: Option<String>,
        /// It offers H.235.1 (pwdHash with HMAC-SHA1-96).
        offers_h235: bool,
    },
    Registration(Registration),
    /// URQ.
    Unregistration {
        seq: u16,
        endpoint: Option<String>,
    },
    /// ARQ: may this endpoint place (or answer) a call.
    Admission(Admission),
    /// DRQ: the call has ended.
    Disengage {
        seq: u16,
        endpoint: String,
    },
    /// BRQ: a call in progress asks for another bandwidth (units of 100 bit/s, both ways).
    Bandwidth {
        seq: u16,
        endpoint: String,
        bandwidth: u32,
    },
    /// LRQ: where is this alias (from an endpoint or another gatekeeper).
    Location {
        seq: u16,
        destination: Vec<String>,
    },
    /// Anything else: answered with UnknownMessageResponse when it has a sequence number.
    Other {
        seq: Option<u16>,
        kind: &'static str,
    },
}

/// RRQ: a full registration, or a lightweight one that only keeps it alive.
#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    pub seq: u16,
    pub keep_alive: bool,
    pub endpoint: Option<String>,
    pub gatekeeper: Option<String>,
    /// Where the endpoint takes calls (TCP) and RAS (UDP), as it says.
    pub call_signal: Vec<SocketAddr>,
    pub aliases: Vec<String>,
    /// The h323-IDs among the aliases.
    pub names: Vec<String>,
    pub time_to_live: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Admission {
    pub seq: u16,
    pub endpoint: String,
    pub destination: Vec<String>,
    pub dest_call_signal: Option<SocketAddr>,
    /// The endpoint is being called (not calling).
    pub answer_call: bool,
    /// In units of 100 bit/s, both directions.
    pub bandwidth: u32,
    pub call_id: Option<[u8; 16]>,
}

fn texts(list: Option<&Vec<AliasAddress>>) -> Vec<String> {
    list.into_iter().flatten().take(MAX_LIST).filter_map(alias::text).collect()
}

fn names(list: Option<&Vec<AliasAddress>>) -> Vec<String> {
    list.into_iter()
        .flatten()
        .take(MAX_LIST)
        .filter_map(|a| match a {
            AliasAddress::h323_ID(b) => Some(alias::bmp_text(b)),
            _ => None,
        })
        .collect()
}

fn text(b: &rasn::types::BmpString) -> String {
    alias::bmp_text(b)
}

/// Reads one RAS datagram.
pub fn read(raw: &[u8]) -> Result<Read, RasError> {
    if raw.len() > MAX_DATAGRAM {
        return Err(RasError::TooLong(raw.len()));
    }
    let m = rasn::aper::decode::<RasMessage>(raw).map_err(|e| RasError::Per(e.to_string()))?;
    let tokens = |t: &Option<Vec<CryptoH323Token>>| h235::find(t.as_deref());
    let (request, token) = match &m {
        RasMessage::gatekeeperRequest(g) => {
            let offers_h235 =
                g.authentication_capability.iter().flatten().any(|a| matches!(a, AuthenticationMechanism::pwdHash(())))
                    && g.algorithm_oids.iter().flatten().any(h235::is_algorithm);
            let r = Request::Gatekeeper {
                seq: g.request_seq_num.0,
                gatekeeper: g.gatekeeper_identifier.as_ref().map(|i| text(&i.0)),
                offers_h235,
            };
            (r, tokens(&g.crypto_tokens))
        }
        RasMessage::registrationRequest(r) => {
            let reg = Registration {
                seq: r.request_seq_num.0,
                keep_alive: r.keep_alive == Some(true),
                endpoint: r.endpoint_identifier.as_ref().map(|i| text(&i.0)),
                gatekeeper: r.gatekeeper_identifier.as_ref().map(|i| text(&i.0)),
                call_signal: r.call_signal_address.iter().take(MAX_LIST).filter_map(address).collect(),
                aliases: texts(r.terminal_alias.as_ref()),
                names: names(r.terminal_alias.as_ref()),
                time_to_live: r.time_to_live.as_ref().map(|t| t.0),
            };
            (Request::Registration(reg), tokens(&r.crypto_tokens))
        }
        RasMessage::unregistrationRequest(u) => (
            Request::Unregistration {
                seq: u.request_seq_num.0,
                endpoint: u.endpoint_identifier.as_ref().map(|i| text(&i.0)),
            },
            tokens(&u.crypto_tokens),
        ),
        RasMessage::admissionRequest(a) => {
            let adm = Admission {
                seq: a.request_seq_num.0,
                endpoint: text(&a.endpoint_identifier.0),
                destination: texts(a.destination_info.as_ref()),
                dest_call_signal: a.dest_call_signal_address.as_ref().and_then(address),
                answer_call: a.answer_call,
                bandwidth: a.band_width.0,
                call_id: a.call_identifier.as_ref().map(|c| *c.guid.0),
            };
            (Request::Admission(adm), tokens(&a.crypto_tokens))
        }
        RasMessage::disengageRequest(d) => (
            Request::Disengage { seq: d.request_seq_num.0, endpoint: text(&d.endpoint_identifier.0) },
            tokens(&d.crypto_tokens),
        ),
        RasMessage::bandwidthRequest(b) => (
            Request::Bandwidth {
                seq: b.request_seq_num.0,
                endpoint: text(&b.endpoint_identifier.0),
                bandwidth: b.band_width.0,
            },
            tokens(&b.crypto_tokens),
        ),
        RasMessage::locationRequest(l) => (
            Request::Location { seq: l.request_seq_num.0, destination: texts(Some(&l.destination_info)) },
            tokens(&l.crypto_tokens),
        ),
        other => (Request::Other { seq: sequence_number(other), kind: kind(other) }, None),
    };
    Ok(Read { request, token })
}

fn sequence_number(m: &RasMessage) -> Option<u16> {
    Some(match m {
        RasMessage::infoRequestResponse(i) => i.request_seq_num.0,
        RasMessage::resourcesAvailableIndicate(r) => r.request_seq_num.0,
        RasMessage::serviceControlIndication(s) => s.request_seq_num.0,
        _ => return None,
    })
}

fn kind(m: &RasMessage) -> &'static str {
    match m {
        RasMessage::infoRequestResponse(_) => "IRR",
        RasMessage::nonStandardMessage(_) => "nonStandardMessage",
        RasMessage::resourcesAvailableIndicate(_) => "RAI",
        RasMessage::serviceControlIndication(_) => "SCI",
        _ => "a confirmation or rejection",
    }
}

/// How an answer is sealed with H.235.1: the key of the endpoint's user, the token's time and
/// number, and the identifiers (for the endpoint: the sender it named; from: this gatekeeper).
#[derive(Debug, Clone)]
pub struct Seal {
    pub key: [u8; 20],
    pub time_stamp: u32,
    pub random: i64,
    pub general_id: Option<String>,
    pub senders_id: String,
}

/// A gatekeeper's answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// GCF: `h235` names H.235.1 as the way to authenticate.
    GatekeeperConfirm {
        seq: u16,
        ras: SocketAddr,
        h235: bool,
    },
    GatekeeperReject {
        seq: u16,
        reason: GatekeeperRejectReason,
    },
    RegistrationConfirm {
        seq: u16,
        endpoint: String,
        call_signal: Vec<SocketAddr>,
        aliases: Vec<String>,
        time_to_live: u32,
    },
    RegistrationReject {
        seq: u16,
        reason: RegistrationRejectReason,
    },
    UnregistrationConfirm {
        seq: u16,
    },
    UnregistrationReject {
        seq: u16,
        reason: UnregRejectReason,
    },
    /// ACF: place the call to `to` (this server's call signalling, or another endpoint's).
    AdmissionConfirm {
        seq: u16,
        bandwidth: u32,
        to: SocketAddr,
    },
    AdmissionReject {
        seq: u16,
        reason: AdmissionRejectReason,
    },
    DisengageConfirm {
        seq: u16,
    },
    BandwidthConfirm {
        seq: u16,
        bandwidth: u32,
    },
    BandwidthReject {
        seq: u16,
        reason: BandRejectReason,
    },
    DisengageReject {
        seq: u16,
        reason: DisengageRejectReason,
    },
    LocationConfirm {
        seq: u16,
        call_signal: SocketAddr,
        ras: SocketAddr,
    },
    LocationReject {
        seq: u16,
        reason: LocationRejectReason,
    },
    Unknown {
        seq: u16,
    },
}

fn seq(n: u16) -> RequestSeqNum {
    // RequestSeqNum is 1..=65535: a 0 read from an endpoint is answered as 1.
    RequestSeqNum(n.max(1))
}

impl Reply {
    /// Encodes the answer as `gatekeeper` (its identifier), sealed if `seal` says how.
    pub fn encode(&self, gatekeeper: &str, seal: Option<&Seal>) -> Result<Vec<u8>, RasError> {
        let mut m = self.message(gatekeeper)?;
        let Some(s) = seal else { return per(&m) };
        let Some(slot) = tokens_of(&mut m) else { return per(&m) };
        *slot = Some(vec![h235::unsealed(s.time_stamp, s.random, s.general_id.as_deref(), &s.senders_id)]);
        let hash = h235::seal(&per(&m)?, &s.key);
        if let Some(Some(list)) = tokens_of(&mut m)
            && let Some(t) = list.first_mut()
        {
            h235::set_hash(t, hash);
        }
        per(&m)
    }

    fn message(&self, gatekeeper: &str) -> Result<RasMessage, RasError> {
        let gk = || alias::bmp(gatekeeper, 128).map(GatekeeperIdentifier);
        let bad = |what: &str| RasError::Per(format!("{what} cannot be written"));
        Ok(match self {
            Reply::GatekeeperConfirm { seq: n, ras, h235 } => {
                let mut c = GatekeeperConfirm::new(
                    seq(*n),
                    protocol_identifier(),
                    None,
                    gk(),
                    transport(*ras),
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                );
                if *h235 {
                    c.authentication_mode = Some(AuthenticationMechanism::pwdHash(()));
                    c.algorithm_oid = Some(h235::algorithm());
                }
                RasMessage::gatekeeperConfirm(c)
            }
            Reply::GatekeeperReject { seq: n, reason } => RasMessage::gatekeeperReject(GatekeeperReject::new(
                seq(*n),
                protocol_identifier(),
                None,
                gk(),
                reason.clone(),
                None,
                None,
                None,
                None,
                None,
                None,
            )),
            Reply::RegistrationConfirm { seq: n, endpoint, call_signal, aliases, time_to_live } => {
                let id = alias::bmp(endpoint, 128).map(EndpointIdentifier).ok_or_else(|| bad("endpoint identifier"))?;
                let aliases: Vec<AliasAddress> =
                    aliases.iter().filter_map(|a| alias::dialled_digits(a).or_else(|| alias::h323_id(a))).collect();
                RasMessage::registrationConfirm(RegistrationConfirm::new(
                    seq(*n),
                    protocol_identifier(),
                    None,
                    call_signal.iter().map(|a| transport(*a)).collect(),
                    (!aliases.is_empty()).then_some(aliases),
                    gk(),
                    id,
                    None,
                    Some(TimeToLive((*time_to_live).max(1))),
                    None,
                    None,
                    None,
                    Some(false),
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                ))
            }
            Reply::RegistrationReject { seq: n, reason } => RasMessage::registrationReject(RegistrationReject::new(
                seq(*n),
                protocol_identifier(),
                None,
                reason.clone(),
                gk(),
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            )),
            Reply::UnregistrationConfirm { seq: n } => RasMessage::unregistrationConfirm(UnregistrationConfirm::new(
                seq(*n),
                None,
                None,
                None,
                None,
                None,
                None,
            )),
            Reply::UnregistrationReject { seq: n, reason } => RasMessage::unregistrationReject(
                UnregistrationReject::new(seq(*n), reason.clone(), None, None, None, None, None, None),
            ),
            Reply::AdmissionConfirm { seq: n, bandwidth, to } => {
                let mut c = AdmissionConfirm::new(
                    seq(*n),
                    BandWidth(*bandwidth),
                    CallModel::direct(()),
                    transport(*to),
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                );
                c.will_respond_to_irr = Some(false);
                RasMessage::admissionConfirm(c)
            }
            Reply::AdmissionReject { seq: n, reason } => RasMessage::admissionReject(AdmissionReject::new(
                seq(*n),
                reason.clone(),
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            )),
            Reply::DisengageConfirm { seq: n } => RasMessage::disengageConfirm(DisengageConfirm::new(
                seq(*n),
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            )),
            Reply::BandwidthConfirm { seq: n, bandwidth } => RasMessage::bandwidthConfirm(BandwidthConfirm::new(
                seq(*n),
                BandWidth(*bandwidth),
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            )),
            Reply::BandwidthReject { seq: n, reason } => RasMessage::bandwidthReject(BandwidthReject::new(
                seq(*n),
                reason.clone(),
                BandWidth(0),
                None,
                None,
                None,
                None,
                None,
                None,
            )),
            Reply::DisengageReject { seq: n, reason } => RasMessage::disengageReject(DisengageReject::new(
                seq(*n),
                reason.clone(),
                None,
                None,
                None,
                None,
                None,
                None,
            )),
            Reply::LocationConfirm { seq: n, call_signal, ras } => RasMessage::locationConfirm(LocationConfirm::new(
                seq(*n),
                transport(*call_signal),
                transport(*ras),
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            )),
            Reply::LocationReject { seq: n, reason } => RasMessage::locationReject(LocationReject::new(
                seq(*n),
                reason.clone(),
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            )),
            Reply::Unknown { seq: n } => {
                RasMessage::unknownMessageResponse(UnknownMessageResponse::new(seq(*n), None, None, None, None))
            }
        })
    }
}

fn per(m: &RasMessage) -> Result<Vec<u8>, RasError> {
    rasn::aper::encode(m).map_err(|e| RasError::Per(e.to_string()))
}

/// Where an answer's H.235 tokens go.
fn tokens_of(m: &mut RasMessage) -> Option<&mut Option<Vec<CryptoH323Token>>> {
    Some(match m {
        RasMessage::gatekeeperConfirm(c) => &mut c.crypto_tokens,
        RasMessage::registrationConfirm(c) => &mut c.crypto_tokens,
        RasMessage::registrationReject(c) => &mut c.crypto_tokens,
        RasMessage::unregistrationConfirm(c) => &mut c.crypto_tokens,
        RasMessage::admissionConfirm(c) => &mut c.crypto_tokens,
        RasMessage::admissionReject(c) => &mut c.crypto_tokens,
        RasMessage::disengageConfirm(c) => &mut c.crypto_tokens,
        RasMessage::bandwidthConfirm(c) => &mut c.crypto_tokens,
        _ => return None,
    })
}

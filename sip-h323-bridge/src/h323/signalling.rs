//! H.225.0 call signalling: a Q.931 message whose user-user element carries an
//! H323-UserInformation. Incoming messages are read into what a call needs ([`Setup`],
//! [`Signal`]); answers are written from a few values ([`Answer`]). Tunnelled H.245 messages and
//! fast-start proposals travel as opaque PER octet strings, decoded by [`super::h245`].

use super::alias;
use super::q931::{self, Message, MessageType, Q931Error, ie};
use rasn::types::{FixedOctetString, ObjectIdentifier, OctetString};
use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use tessera_h323_asn::h323_messages::{
    AlertingUUIE, AliasAddress, CallIdentifier, CallProceedingUUIE, CallType, ConferenceIdentifier, ConnectUUIE,
    EndpointType, FacilityReason, FacilityUUIE, GloballyUniqueID, H221NonStandard, H323UUPDU, H323UUPDUH323MessageBody,
    H323UserInformation, McuInfo, ProtocolIdentifier, ReleaseCompleteReason, ReleaseCompleteUUIE, SetupUUIE,
    SetupUUIEConferenceGoal, TransportAddress, TransportAddressIp6Address, TransportAddressIpAddress, VendorIdentifier,
};

/// H.225.0 version 7 (0.0.8.2250.0.7), the version this server speaks.
pub fn protocol_identifier() -> ProtocolIdentifier {
    ProtocolIdentifier(ObjectIdentifier::new_unchecked(Cow::Borrowed(&[0, 0, 8, 2250, 0, 7])))
}

/// Why a signalling packet could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SignalError {
    #[error("Q.931: {0}")]
    Q931(#[from] Q931Error),
    #[error("no H.225.0 user-user element")]
    NoUserUser,
    #[error("H.225.0 user-user element does not decode (aligned PER): {0}")]
    Per(String),
}

/// A call signalling message as read: the Q.931 envelope and its H.225.0 body.
#[derive(Debug, Clone)]
pub struct Signal {
    pub q931: Message,
    pub body: H323UserInformation,
}

impl Signal {
    /// Reads one Q.931 message (a TPKT payload).
    pub fn read(packet: &[u8]) -> Result<Signal, SignalError> {
        let q931 = Message::decode(packet)?;
        let uu = q931.user_user().ok_or(SignalError::NoUserUser)?;
        let body = rasn::aper::decode::<H323UserInformation>(uu).map_err(|e| SignalError::Per(e.to_string()))?;
        Ok(Signal { q931, body })
    }

    /// The H.245 messages tunnelled in this message (H.225.0 `h245Control`).
    pub fn h245_control(&self) -> &[OctetString] {
        self.body.h323_uu_pdu.h245_control.as_deref().unwrap_or_default()
    }

    /// The Fast Connect channels in a callee's answer (Call Proceeding, Alerting, Progress,
    /// Connect or Facility).
    pub fn fast_start(&self) -> Vec<Vec<u8>> {
        use H323UUPDUH323MessageBody as B;
        let list = match &self.body.h323_uu_pdu.h323_message_body {
            B::callProceeding(b) => &b.fast_start,
            B::alerting(b) => &b.fast_start,
            B::progress(b) => &b.fast_start,
            B::connect(b) => &b.fast_start,
            B::facility(b) => &b.fast_start,
            _ => return Vec::new(),
        };
        list.iter().flatten().map(|o| o.to_vec()).collect()
    }

    /// The H.245 address in a callee's answer, if it names one.
    pub fn h245_address(&self) -> Option<SocketAddr> {
        use H323UUPDUH323MessageBody as B;
        let a = match &self.body.h323_uu_pdu.h323_message_body {
            B::callProceeding(b) => &b.h245_address,
            B::alerting(b) => &b.h245_address,
            B::progress(b) => &b.h245_address,
            B::connect(b) => &b.h245_address,
            B::facility(b) => &b.h245_address,
            _ => return None,
        };
        a.as_ref().and_then(address)
    }
}

/// What a Setup asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    pub call_reference: u16,
    pub conference_id: [u8; 16],
    pub call_id: Option<[u8; 16]>,
    /// The caller's aliases as text (h323-IDs, digits, URLs), then the Q.931 display.
    pub caller: Vec<String>,
    pub display: Option<String>,
    /// Whom the caller dialled: destination aliases, then the called party number.
    pub destination: Vec<String>,
    /// Fast Connect proposals: each an OpenLogicalChannel in aligned PER.
    pub fast_start: Vec<Vec<u8>>,
    pub h245_tunnelling: bool,
    /// Where the caller listens for a separate H.245 connection, if it offers one.
    pub h245_address: Option<SocketAddr>,
}

impl Setup {
    /// The Setup in `signal`, or `None` if it is another message.
    pub fn of(signal: &Signal) -> Option<Setup> {
        let H323UUPDUH323MessageBody::setup(s) = &signal.body.h323_uu_pdu.h323_message_body else { return None };
        if signal.q931.kind != MessageType::Setup {
            return None;
        }
        let aliases =
            |list: &Option<Vec<_>>| -> Vec<String> { list.iter().flatten().filter_map(alias::text).collect() };
        let mut destination = aliases(&s.destination_address);
        destination.extend(signal.q931.called_number());
        Some(Setup {
            call_reference: signal.q931.call_reference,
            conference_id: *s.conference_id.0.0,
            call_id: s.call_identifier.as_ref().map(|c| *c.guid.0),
            caller: aliases(&s.source_address),
            display: signal.q931.display(),
            destination,
            fast_start: s.fast_start.iter().flatten().map(|o| o.to_vec()).collect(),
            h245_tunnelling: signal.body.h323_uu_pdu.h245_tunnelling == Some(true),
            h245_address: s.h245_address.as_ref().and_then(address),
        })
    }
}

/// An IPv4 or IPv6 transport address, if that is what `a` is.
pub fn address(a: &TransportAddress) -> Option<SocketAddr> {
    match a {
        TransportAddress::ipAddress(ip) => {
            let octets: [u8; 4] = ip.ip.as_ref().try_into().ok()?;
            Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::from(octets)), ip.port))
        }
        TransportAddress::ip6Address(ip) => {
            let octets: [u8; 16] = ip.ip.as_ref().try_into().ok()?;
            Some(SocketAddr::new(IpAddr::V6(Ipv6Addr::from(octets)), ip.port))
        }
        _ => None,
    }
}

/// The transport address of `a`.
pub fn transport(a: SocketAddr) -> TransportAddress {
    match a.ip() {
        IpAddr::V4(ip) => TransportAddress::ipAddress(TransportAddressIpAddress::new(
            OctetString::from(ip.octets().to_vec()),
            a.port(),
        )),
        IpAddr::V6(ip) => TransportAddress::ip6Address(TransportAddressIp6Address::new(
            OctetString::from(ip.octets().to_vec()),
            a.port(),
        )),
    }
}

/// What this server says about itself: an MCU (H.225.0 `EndpointType`), with a vendor entry.
pub(super) fn mcu() -> EndpointType {
    // T.35 country code 0xB5 (USA, as the registry leaves unassigned vendors), manufacturer 0.
    let vendor = VendorIdentifier::new(
        H221NonStandard::new(0xb5, 0, 0),
        Some(OctetString::from_static(b"Tessera")),
        Some(OctetString::from(env!("CARGO_PKG_VERSION").as_bytes().to_vec())),
        None,
    );
    EndpointType::new(None, Some(vendor), None, None, Some(McuInfo::new(None, None)), None, true, false, None, None)
}

/// What an answer to a Setup carries besides its kind.
#[derive(Debug, Clone, Default)]
pub struct Answer {
    pub call_reference: u16,
    pub conference_id: [u8; 16],
    pub call_id: Option<[u8; 16]>,
    /// Accepted Fast Connect channels (OpenLogicalChannel, aligned PER); empty for none.
    pub fast_start: Vec<Vec<u8>>,
    /// Tunnelled H.245 messages to send in this message.
    pub h245_control: Vec<Vec<u8>>,
    /// Whether H.245 is tunnelled in this call's signalling.
    pub h245_tunnelling: bool,
    /// Where this server listens for a separate H.245 connection.
    pub h245_address: Option<SocketAddr>,
    /// The name shown to the caller (the conference's).
    pub display: Option<String>,
    /// Sent by the side that did not place the call (Q.931's call reference flag): true when
    /// answering a Setup, false in a call this server placed.
    pub from_destination: bool,
}

fn guid(bytes: [u8; 16]) -> GloballyUniqueID {
    GloballyUniqueID(FixedOctetString::from(bytes))
}

impl Answer {
    /// The answers to `setup`: its call reference, conference and call, H.245 as it asks.
    pub fn to(setup: &Setup) -> Answer {
        Answer {
            call_reference: setup.call_reference,
            conference_id: setup.conference_id,
            call_id: setup.call_id,
            h245_tunnelling: setup.h245_tunnelling,
            from_destination: true,
            ..Answer::default()
        }
    }

    fn call_identifier(&self) -> Option<CallIdentifier> {
        self.call_id.map(|g| CallIdentifier::new(guid(g)))
    }

    fn fast_start(&self) -> Option<Vec<OctetString>> {
        (!self.fast_start.is_empty()).then(|| self.fast_start.iter().map(|c| OctetString::from(c.clone())).collect())
    }

    fn h245_address(&self) -> Option<TransportAddress> {
        self.h245_address.map(transport)
    }

    fn message(&self, kind: MessageType, body: H323UUPDUH323MessageBody) -> Result<Vec<u8>, SignalError> {
        self.message_with(kind, body, Vec::new(), Vec::new())
    }

    /// A message with Q.931 elements of its own: `first` before the display (bearer
    /// capability, cause), `later` after it (called party number), in Q.931's order.
    fn message_with(
        &self,
        kind: MessageType,
        body: H323UUPDUH323MessageBody,
        first: Vec<q931::Element>,
        later: Vec<q931::Element>,
    ) -> Result<Vec<u8>, SignalError> {
        let control = (!self.h245_control.is_empty())
            .then(|| self.h245_control.iter().map(|c| OctetString::from(c.clone())).collect());
        let pdu =
            H323UUPDU::new(body, None, None, Some(self.h245_tunnelling), control, None, None, None, None, None, None);
        let uu =
            rasn::aper::encode(&H323UserInformation::new(pdu, None)).map_err(|e| SignalError::Per(e.to_string()))?;
        let mut m = Message::new(kind, self.call_reference, self.from_destination);
        m.elements.extend(first);
        if let Some(d) = &self.display {
            // Q.931 display: IA5, at most 82 octets.
            let text: Vec<u8> = d.chars().filter(char::is_ascii).take(82).map(|c| c as u8).collect();
            if !text.is_empty() {
                m.push(ie::DISPLAY, text);
            }
        }
        m.elements.extend(later);
        m.set_user_user(&uu);
        Ok(m.encode()?)
    }

    /// Call Proceeding: the call is being handled (sent at once, before admission decides).
    pub fn call_proceeding(&self) -> Result<Vec<u8>, SignalError> {
        let b = CallProceedingUUIE::new(
            protocol_identifier(),
            mcu(),
            self.h245_address(),
            self.call_identifier(),
            None,
            None,
            None,
            self.fast_start(),
            Some(false),
            Some(false),
            None,
            None,
        );
        self.message(MessageType::CallProceeding, H323UUPDUH323MessageBody::callProceeding(b))
    }

    /// Alerting: the conference is being joined (for example while a PIN is awaited).
    pub fn alerting(&self) -> Result<Vec<u8>, SignalError> {
        let b = AlertingUUIE::new(
            protocol_identifier(),
            mcu(),
            self.h245_address(),
            self.call_identifier(),
            None,
            None,
            None,
            self.fast_start(),
            Some(false),
            Some(false),
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        );
        self.message(MessageType::Alerting, H323UUPDUH323MessageBody::alerting(b))
    }

    /// Connect: the call is answered.
    pub fn connect(&self) -> Result<Vec<u8>, SignalError> {
        let b = ConnectUUIE::new(
            protocol_identifier(),
            self.h245_address(),
            mcu(),
            ConferenceIdentifier(guid(self.conference_id)),
            self.call_identifier(),
            None,
            None,
            None,
            self.fast_start(),
            Some(false),
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
        );
        self.message(MessageType::Connect, H323UUPDUH323MessageBody::connect(b))
    }

    /// A Facility whose only purpose is the tunnelled H.245 in `h245_control`: its body is
    /// `empty`, as H.225.0 (7.4.2) asks of such messages.
    pub fn tunnel(&self) -> Result<Vec<u8>, SignalError> {
        self.message(MessageType::Facility, H323UUPDUH323MessageBody::empty(()))
    }

    /// Facility with a reason: with `start_h245`, asking the caller to open a separate H.245
    /// connection to `h245_address`; otherwise transported information.
    pub fn facility(&self, start_h245: bool) -> Result<Vec<u8>, SignalError> {
        let reason =
            if start_h245 { FacilityReason::startH245(()) } else { FacilityReason::transportedInformation(()) };
        let b = FacilityUUIE::new(
            protocol_identifier(),
            None,
            None,
            Some(ConferenceIdentifier(guid(self.conference_id))),
            reason,
            self.call_identifier(),
            None,
            None,
            None,
            None,
            None,
            self.h245_address(),
            None,
            Some(false),
            Some(false),
            None,
            None,
            None,
            None,
            None,
            None,
        );
        self.message(MessageType::Facility, H323UUPDUH323MessageBody::facility(b))
    }

    /// Release Complete with `reason` and the matching Q.931 cause.
    pub fn release_complete(&self, reason: Release) -> Result<Vec<u8>, SignalError> {
        let b = ReleaseCompleteUUIE::new(
            protocol_identifier(),
            Some(reason.h225()),
            self.call_identifier(),
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
        let cause = q931::Element { id: ie::CAUSE, contents: q931::cause(reason.cause()) };
        self.message_with(
            MessageType::ReleaseComplete,
            H323UUPDUH323MessageBody::releaseComplete(b),
            vec![cause],
            Vec::new(),
        )
    }
}

/// Whom a Setup this server sends is from and for, beyond the call's values ([`Answer`]).
#[derive(Debug, Clone)]
pub struct Placing {
    /// This server's aliases (the conference's ID).
    pub source: Vec<AliasAddress>,
    /// Whom to ask for at the address called.
    pub destination: Option<AliasAddress>,
    /// The callee's call signalling address.
    pub to: SocketAddr,
    /// This server's call signalling address, as the callee sees it.
    pub from: Option<SocketAddr>,
}

impl Answer {
    /// A Setup placing this call (H.225.0 7.3.1; the values of `self` are the caller's: its
    /// call reference, conference, call ID, Fast Connect proposals, H.245 tunnelling, display):
    /// bearer capability, display and, for a number, the called party number in Q.931.
    pub fn setup(&self, placing: &Placing) -> Result<Vec<u8>, SignalError> {
        let b = SetupUUIE::new(
            protocol_identifier(),
            self.h245_address(),
            (!placing.source.is_empty()).then(|| placing.source.clone()),
            mcu(),
            placing.destination.clone().map(|d| vec![d]),
            Some(transport(placing.to)),
            None,
            None,
            false,
            ConferenceIdentifier(guid(self.conference_id)),
            SetupUUIEConferenceGoal::create(()),
            None,
            CallType::pointToPoint(()),
            placing.from.map(transport),
            None,
            self.call_identifier(),
            None,
            None,
            None,
            self.fast_start(),
            Some(false),
            Some(false),
            None,
            Some(false),
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
            None,
            None,
        );
        let bearer = q931::Element { id: ie::BEARER_CAPABILITY, contents: q931::BEARER_UNRESTRICTED.to_vec() };
        let called = match &placing.destination {
            Some(AliasAddress::dialledDigits(d)) => {
                let number = q931::called_number(&String::from_utf8_lossy(d.as_iso646_bytes()));
                vec![q931::Element { id: ie::CALLED_PARTY_NUMBER, contents: number }]
            }
            _ => Vec::new(),
        };
        self.message_with(MessageType::Setup, H323UUPDUH323MessageBody::setup(b), vec![bearer], called)
    }
}

/// Why this server ends a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// The call ended normally (hang-up, removed by a moderator, conference ended).
    Normal,
    /// Nobody by that number, or the conference is not running and may not be started.
    NoSuchConference,
    /// Refused by the conference's rules (not invited, wrong PIN, locked).
    Refused,
    /// The conference or the server is full.
    Busy,
    /// The conference has not started and may not be started by this caller.
    NotStarted,
    /// The message was not understood.
    BadFormat,
    /// A call this server placed rang unanswered for too long.
    NoAnswer,
}

impl Release {
    fn h225(self) -> ReleaseCompleteReason {
        match self {
            Release::Normal => ReleaseCompleteReason::undefinedReason(()),
            Release::NoSuchConference => ReleaseCompleteReason::unreachableDestination(()),
            Release::Refused => ReleaseCompleteReason::destinationRejection(()),
            Release::Busy => ReleaseCompleteReason::adaptiveBusy(()),
            Release::NotStarted => ReleaseCompleteReason::undefinedReason(()),
            Release::BadFormat => ReleaseCompleteReason::badFormatAddress(()),
            Release::NoAnswer => ReleaseCompleteReason::undefinedReason(()),
        }
    }

    /// The Q.931 cause value: 16 normal clearing, 1 unallocated number, 21 call rejected,
    /// 17 user busy, 41 temporary failure, 28 invalid number format, 19 no answer.
    pub fn cause(self) -> u8 {
        match self {
            Release::Normal => 16,
            Release::NoSuchConference => 1,
            Release::Refused => 21,
            Release::Busy => 17,
            Release::NotStarted => 41,
            Release::BadFormat => 28,
            Release::NoAnswer => 19,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer() -> Answer {
        Answer {
            call_reference: 0x2a5c,
            conference_id: [7; 16],
            call_id: Some([9; 16]),
            h245_tunnelling: true,
            display: Some("Room one".into()),
            from_destination: true,
            ..Answer::default()
        }
    }

    #[test]
    fn answers_read_back_as_what_they_are() {
        let a = answer();
        for (packet, kind) in [
            (a.call_proceeding().unwrap(), MessageType::CallProceeding),
            (a.alerting().unwrap(), MessageType::Alerting),
            (a.connect().unwrap(), MessageType::Connect),
            (a.facility(false).unwrap(), MessageType::Facility),
            (a.tunnel().unwrap(), MessageType::Facility),
            (a.release_complete(Release::Refused).unwrap(), MessageType::ReleaseComplete),
        ] {
            let s = Signal::read(&packet).unwrap();
            assert_eq!((s.q931.kind, s.q931.call_reference, s.q931.from_destination), (kind, 0x2a5c, true));
            assert_eq!(s.q931.display().as_deref(), Some("Room one"));
            assert_eq!(s.body.h323_uu_pdu.h245_tunnelling, Some(true));
        }
        let rc = Message::decode(&a.release_complete(Release::Busy).unwrap()).unwrap();
        assert_eq!(rc.element(ie::CAUSE), Some(&[0x80, 0x80 | 17][..]));
    }

    #[test]
    fn transport_addresses_are_ipv4_or_ipv6() {
        for a in ["10.0.0.9:1720", "[2001:db8::1]:1720"] {
            let a: SocketAddr = a.parse().unwrap();
            assert_eq!(address(&transport(a)), Some(a));
        }
        assert_eq!(address(&TransportAddress::netBios(OctetString::from(vec![0u8; 16]))), None);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(matches!(Signal::read(&[]), Err(SignalError::Q931(_))));
        let mut m = Message::new(MessageType::Setup, 1, false);
        m.set_user_user(&[0xff, 0xff, 0xff]);
        assert!(matches!(Signal::read(&m.encode().unwrap()), Err(SignalError::Per(_))));
        let bare = Message::new(MessageType::Setup, 1, false);
        assert!(matches!(Signal::read(&bare.encode().unwrap()), Err(SignalError::NoUserUser)));
    }
}

//! H.245 as an H.323 call uses it: the messages this server reads ([`Event`], what a call does
//! with a message) and writes ([`Out`]), in aligned PER. The same bytes travel tunnelled in
//! H.225.0 (`h245Control`) or on a separate TCP connection in TPKT.

pub mod capabilities;
pub mod channels;
pub mod codec;
pub mod master_slave;

use rasn::types::{GeneralString, Ia5String};
use tessera_h323_asn::multimedia_system_control::{
    CloseLogicalChannelAck, CommandMessage, EndSessionCommand, IndicationMessage, LogicalChannelNumber,
    MasterSlaveDetermination, MasterSlaveDeterminationAck, MasterSlaveDeterminationAckDecision, MiscellaneousCommand,
    MiscellaneousCommandType, MultimediaSystemControlMessage, OpenLogicalChannel, OpenLogicalChannelAck,
    OpenLogicalChannelReject, OpenLogicalChannelRejectCause, RequestMessage, ResponseMessage, SequenceNumber,
    TerminalCapabilitySet, TerminalCapabilitySetAck, UserInputIndication, UserInputIndicationSignal,
};

/// What a received H.245 message means to a call.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    MasterSlave {
        terminal_type: u8,
        number: u32,
    },
    /// The peer's decision about this server's role.
    MasterSlaveAck(master_slave::Role),
    Capabilities(Box<TerminalCapabilitySet>),
    CapabilitiesAck,
    OpenChannel(Box<OpenLogicalChannel>),
    OpenChannelAck(Box<OpenLogicalChannelAck>),
    OpenChannelReject(u16),
    CloseChannel(u16),
    /// Keys pressed (userInputIndication as a string or DTMF signals).
    Digits(String),
    /// The peer asks for a full picture (videoFastUpdatePicture).
    FastUpdate,
    EndSession,
    /// Understood but nothing to do (round-trip delay, jitter, vendor identification…).
    Other,
}

/// Reads one H.245 message; `Err` with the decoder's reason if it is not aligned PER H.245.
pub fn read(bytes: &[u8]) -> Result<Event, String> {
    let m = rasn::aper::decode::<MultimediaSystemControlMessage>(bytes).map_err(|e| e.to_string())?;
    Ok(match m {
        MultimediaSystemControlMessage::request(r) => match r {
            RequestMessage::masterSlaveDetermination(d) => {
                Event::MasterSlave { terminal_type: d.terminal_type, number: d.status_determination_number }
            }
            RequestMessage::terminalCapabilitySet(t) => Event::Capabilities(Box::new(t)),
            RequestMessage::openLogicalChannel(o) => Event::OpenChannel(Box::new(o)),
            RequestMessage::closeLogicalChannel(c) => Event::CloseChannel(c.forward_logical_channel_number.0),
            _ => Event::Other,
        },
        MultimediaSystemControlMessage::response(r) => match r {
            ResponseMessage::masterSlaveDeterminationAck(a) => Event::MasterSlaveAck(match a.decision {
                MasterSlaveDeterminationAckDecision::master(()) => master_slave::Role::Master,
                MasterSlaveDeterminationAckDecision::slave(()) => master_slave::Role::Slave,
            }),
            ResponseMessage::terminalCapabilitySetAck(_) => Event::CapabilitiesAck,
            ResponseMessage::openLogicalChannelAck(a) => Event::OpenChannelAck(Box::new(a)),
            ResponseMessage::openLogicalChannelReject(r) => {
                Event::OpenChannelReject(r.forward_logical_channel_number.0)
            }
            _ => Event::Other,
        },
        MultimediaSystemControlMessage::command(c) => match c {
            CommandMessage::miscellaneousCommand(m)
                if matches!(m.r_type, MiscellaneousCommandType::videoFastUpdatePicture(())) =>
            {
                Event::FastUpdate
            }
            CommandMessage::endSessionCommand(_) => Event::EndSession,
            _ => Event::Other,
        },
        MultimediaSystemControlMessage::indication(IndicationMessage::userInput(u)) => match u {
            UserInputIndication::alphanumeric(s) => Event::Digits(keys(s.as_bytes())),
            UserInputIndication::signal(s) => Event::Digits(keys(s.signal_type.as_iso646_bytes())),
            _ => Event::Other,
        },
        _ => Event::Other,
    })
}

/// The keys among `bytes`: digits, `*` and `#` (a PIN's alphabet); anything else is dropped.
pub fn keys(bytes: &[u8]) -> String {
    bytes.iter().filter(|b| b.is_ascii_digit() || matches!(b, b'*' | b'#')).map(|&b| b as char).collect()
}

/// The H.245 messages this server writes.
#[derive(Debug, Clone)]
pub enum Out {
    MasterSlave {
        number: u32,
    },
    /// Tells the peer its role.
    MasterSlaveAck {
        peer: master_slave::Role,
    },
    Capabilities(Box<TerminalCapabilitySet>),
    CapabilitiesAck {
        sequence: u8,
    },
    OpenChannel(Box<OpenLogicalChannel>),
    OpenChannelAck(Box<OpenLogicalChannelAck>),
    /// Refuses a channel whose data type this server does not take.
    OpenChannelReject(u16),
    CloseChannelAck(u16),
    /// Asks the peer's encoder for a full picture on channel `number`.
    FastUpdate(u16),
    /// A key pressed, as a DTMF signal.
    Digit(char),
    EndSession,
}

impl Out {
    pub fn message(&self) -> MultimediaSystemControlMessage {
        use MultimediaSystemControlMessage as M;
        match self {
            Out::MasterSlave { number } => M::request(RequestMessage::masterSlaveDetermination(
                MasterSlaveDetermination::new(master_slave::TERMINAL_TYPE, number & 0xff_ffff),
            )),
            Out::MasterSlaveAck { peer } => {
                let decision = match peer {
                    master_slave::Role::Master => MasterSlaveDeterminationAckDecision::master(()),
                    master_slave::Role::Slave => MasterSlaveDeterminationAckDecision::slave(()),
                };
                M::response(ResponseMessage::masterSlaveDeterminationAck(MasterSlaveDeterminationAck::new(decision)))
            }
            Out::Capabilities(t) => M::request(RequestMessage::terminalCapabilitySet((**t).clone())),
            Out::CapabilitiesAck { sequence } => M::response(ResponseMessage::terminalCapabilitySetAck(
                TerminalCapabilitySetAck::new(SequenceNumber(*sequence), None),
            )),
            Out::OpenChannel(o) => M::request(RequestMessage::openLogicalChannel((**o).clone())),
            Out::OpenChannelAck(a) => M::response(ResponseMessage::openLogicalChannelAck((**a).clone())),
            Out::OpenChannelReject(n) => {
                M::response(ResponseMessage::openLogicalChannelReject(OpenLogicalChannelReject::new(
                    LogicalChannelNumber(*n),
                    OpenLogicalChannelRejectCause::dataTypeNotSupported(()),
                    None,
                )))
            }
            Out::CloseChannelAck(n) => M::response(ResponseMessage::closeLogicalChannelAck(
                CloseLogicalChannelAck::new(LogicalChannelNumber(*n)),
            )),
            Out::FastUpdate(n) => M::command(CommandMessage::miscellaneousCommand(MiscellaneousCommand::new(
                LogicalChannelNumber(*n),
                MiscellaneousCommandType::videoFastUpdatePicture(()),
                None,
            ))),
            Out::Digit(c) => {
                let mut buf = [0u8; 4];
                let signal = Ia5String::try_from(c.encode_utf8(&mut buf) as &str)
                    .unwrap_or_else(|_| Ia5String::try_from("0").unwrap_or_default());
                M::indication(IndicationMessage::userInput(UserInputIndication::signal(
                    UserInputIndicationSignal::new(signal, None, None, None, None, None, None),
                )))
            }
            Out::EndSession => M::command(CommandMessage::endSessionCommand(EndSessionCommand::disconnect(()))),
        }
    }

    /// The message in aligned PER.
    pub fn encode(&self) -> Result<Vec<u8>, String> {
        rasn::aper::encode(&self.message()).map_err(|e| e.to_string())
    }
}

/// A user input indication carrying `text` as a string (how older endpoints send keys).
pub fn alphanumeric(text: &str) -> MultimediaSystemControlMessage {
    MultimediaSystemControlMessage::indication(IndicationMessage::userInput(UserInputIndication::alphanumeric(
        GeneralString::from_bytes(text.as_bytes()).unwrap_or_default(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use codec::{Codec, H264};
    use std::net::{Ipv4Addr, SocketAddr};

    fn round(out: Out) -> Event {
        read(&out.encode().unwrap()).unwrap()
    }

    #[test]
    fn what_we_write_reads_back_as_the_event_it_means() {
        assert_eq!(round(Out::MasterSlave { number: 77 }), Event::MasterSlave { terminal_type: 190, number: 77 });
        assert_eq!(
            round(Out::MasterSlaveAck { peer: master_slave::Role::Slave }),
            Event::MasterSlaveAck(master_slave::Role::Slave)
        );
        assert_eq!(round(Out::CapabilitiesAck { sequence: 3 }), Event::CapabilitiesAck);
        assert_eq!(round(Out::FastUpdate(2)), Event::FastUpdate);
        assert_eq!(round(Out::Digit('#')), Event::Digits("#".into()));
        assert_eq!(round(Out::EndSession), Event::EndSession);
        assert_eq!(round(Out::OpenChannelReject(5)), Event::OpenChannelReject(5));
        let a = SocketAddr::from((Ipv4Addr::new(10, 0, 0, 2), 5004));
        let olc = channels::open(1, &Codec::H264(H264 { level: 64, max_bitrate_100bps: 5000 }), 96, a);
        let Event::OpenChannel(back) = round(Out::OpenChannel(Box::new(olc.clone()))) else { panic!() };
        assert_eq!(*back, olc);
        let incoming = channels::incoming(&back).unwrap();
        assert_eq!((incoming.number, incoming.payload_type, incoming.rtcp), (1, 96, Some(a)));
        // IPv6 addresses travel as iP6Address.
        let v6: SocketAddr = "[2001:db8::7]:6000".parse().unwrap();
        let ack = channels::open_ack(3, 1, v6, v6);
        let Event::OpenChannelAck(back) = round(Out::OpenChannelAck(Box::new(ack))) else { panic!() };
        assert_eq!(channels::acked(&back), Some((3, v6, Some(v6))));
    }

    #[test]
    fn keys_arrive_as_strings_or_signals_and_nothing_else_passes() {
        let text = rasn::aper::encode(&alphanumeric("12 34#x")).unwrap();
        assert_eq!(read(&text).unwrap(), Event::Digits("1234#".into()));
        assert!(read(&[0xff, 0x00]).is_err());
        assert!(read(&[]).is_err());
    }
}

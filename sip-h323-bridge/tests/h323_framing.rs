//! H.225.0 signalling checked by independent tools. pycrate (aligned PER, the ITU modules
//! compiled) writes a Setup's H323-UserInformation, this crate puts it in Q.931 and TPKT, and
//! tshark's dissectors must read the whole packet with no malformed field and no expert warning;
//! then the same for a Setup and a RAS request written by the generated types
//! (`tessera-h323-asn`), with an h323-ID and dialled digits, over TCP 1720 and UDP 1719. Both
//! tools are installed by `scripts/test.sh`; a missing one fails the test.

use std::io::Write;
use std::process::Command;
use tessera_sip_h323_bridge::h323::q931::{self, Message, MessageType, ie};
use tessera_sip_h323_bridge::h323::tpkt;

const SETUP_UUIE: &str = r#"
from pycrate_asn1dir import H225
UI = H225.H323_MESSAGES.H323_UserInformation
UI.set_val({'h323-uu-pdu': {
  'h323-message-body': ('setup', {
     'protocolIdentifier': (0, 0, 8, 2250, 0, 7),
     'sourceInfo': {'mc': False, 'undefinedNode': False},
     'activeMC': False,
     'conferenceID': bytes(range(16)),
     'conferenceGoal': ('create', 0),
     'callType': ('pointToPoint', 0),
     'callIdentifier': {'guid': bytes(range(16, 32))},
     'mediaWaitForConnect': False, 'canOverlapSend': False,
     'multipleCalls': False, 'maintainConnection': False}),
  'h245Tunnelling': True}})
print(UI.to_aper().hex())
"#;

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e} (scripts/test.sh installs it)"));
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Writes `packet` into a pcap as one TCP (`tcp`) or UDP segment to `port`, with text2pcap.
fn pcap(dir: &std::path::Path, packet: &[u8], tcp: bool, port: u16) -> std::path::PathBuf {
    let dump = dir.join(format!("{port}.txt"));
    let mut f = std::fs::File::create(&dump).unwrap();
    for (i, chunk) in packet.chunks(16).enumerate() {
        let bytes: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        writeln!(f, "{:06x} {}", i * 16, bytes.join(" ")).unwrap();
    }
    drop(f);
    let out = dir.join(format!("{port}.pcap"));
    let ports = format!("50000,{port}");
    run(Command::new("text2pcap").args(["-q", if tcp { "-T" } else { "-u" }, &ports]).arg(&dump).arg(&out));
    out
}

/// The fields tshark reads, separated by '|'.
fn fields(pcap: &std::path::Path, names: &[&str]) -> Vec<String> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(pcap).args(["-T", "fields", "-E", "separator=|", "-E", "aggregator=,"]);
    for n in names {
        cmd.args(["-e", n]);
    }
    run(&mut cmd).trim().split('|').map(str::to_string).collect()
}

fn assert_clean(pcap: &std::path::Path) {
    let warnings =
        run(Command::new("tshark").arg("-r").arg(pcap).args(["-Y", "_ws.malformed || _ws.expert.severity >= 4194304"]));
    assert!(warnings.trim().is_empty(), "tshark found problems: {warnings}");
}

#[test]
fn a_setup_and_a_ras_request_of_the_generated_types_decode_in_tshark() {
    use rasn::types::{BmpString, Ia5String};
    use tessera_h323_asn::h323_messages::{AliasAddress, H323UUPDUH323MessageBody, H323UserInformation, RasMessage};
    // rasn's BmpString::try_from(&str) reads the str's bytes as UTF-16 pairs (a pitfall the
    // first version of this test fell into: tshark showed "副潭‱〱"); give it UTF-16BE.
    let h323_id = |s: &str| {
        let utf16: Vec<u8> = s.encode_utf16().flat_map(u16::to_be_bytes).collect();
        AliasAddress::h323_ID(BmpString::try_from(utf16.as_slice()).unwrap())
    };
    let digits = |s: &str| AliasAddress::dialledDigits(Ia5String::try_from(s).unwrap());

    // A Setup from "Room 101" to the conference 4321 (the values start from pycrate's minimal one).
    let uuie = hex::decode(run(Command::new("python3").args(["-c", SETUP_UUIE])).trim()).unwrap();
    let mut ui: H323UserInformation = rasn::aper::decode(&uuie).unwrap();
    let H323UUPDUH323MessageBody::setup(setup) = &mut ui.h323_uu_pdu.h323_message_body else { panic!() };
    setup.source_address = Some(vec![h323_id("Room 101")]);
    setup.destination_address = Some(vec![digits("4321")]);
    let mut m = Message::new(MessageType::Setup, 7, false);
    m.push(ie::BEARER_CAPABILITY, q931::BEARER_UNRESTRICTED.to_vec());
    m.set_user_user(&rasn::aper::encode(&ui).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let setup_pcap = pcap(dir.path(), &tpkt::frame(&m.encode().unwrap()).unwrap(), true, 1720);
    let f = fields(&setup_pcap, &["q931.message_type", "h225.h323_ID", "h225.dialledDigits"]);
    assert_eq!(f, ["0x05", "Room 101", "4321"], "{f:?}");
    assert_clean(&setup_pcap);

    // A gatekeeper request naming the endpoint, on the RAS port.
    let grq = run(Command::new("python3").args(["-c", GRQ]));
    let mut ras: RasMessage = rasn::aper::decode(&hex::decode(grq.trim()).unwrap()).unwrap();
    let RasMessage::gatekeeperRequest(g) = &mut ras else { panic!() };
    g.endpoint_alias = Some(vec![h323_id("Hall A"), digits("100")]);
    let ras_pcap = pcap(dir.path(), &rasn::aper::encode(&ras).unwrap(), false, 1719);
    let f = fields(&ras_pcap, &["h225.RasMessage", "h225.requestSeqNum", "h225.h323_ID", "h225.dialledDigits"]);
    assert_eq!(f, ["0", "1", "Hall A", "100"], "{f:?}");
    assert_clean(&ras_pcap);
}

const GRQ: &str = r#"
from pycrate_asn1dir import H225
R = H225.H323_MESSAGES.RasMessage
R.set_val(('gatekeeperRequest', {'requestSeqNum': 1, 'protocolIdentifier': (0, 0, 8, 2250, 0, 7),
  'rasAddress': ('ipAddress', {'ip': b'\x7f\x00\x00\x01', 'port': 1719}),
  'endpointType': {'mc': False, 'undefinedNode': False}}))
print(R.to_aper().hex())
"#;

#[test]
fn a_setup_in_q931_and_tpkt_decodes_cleanly_in_tshark() {
    let uuie = hex::decode(run(Command::new("python3").args(["-c", SETUP_UUIE])).trim()).unwrap();
    let mut m = Message::new(MessageType::Setup, 0x2a5c, false);
    m.push(ie::BEARER_CAPABILITY, q931::BEARER_UNRESTRICTED.to_vec());
    m.push(ie::DISPLAY, b"Room 101".to_vec());
    m.push(ie::CALLED_PARTY_NUMBER, q931::called_number("4321"));
    m.set_user_user(&uuie);
    let packet = tpkt::frame(&m.encode().unwrap()).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let pcap = pcap(dir.path(), &packet, true, 1720);
    let names = [
        "q931.message_type",
        "q931.call_ref",
        "q931.display_information",
        "q931.called_party_number.digits",
        "h225.h323_message_body",
        "h225.h245Tunnelling",
    ];
    let f = fields(&pcap, &names);
    // A Setup (5) with its call reference, display and number; the body is a setup (0), tunnelling.
    assert_eq!(f, ["0x05", "2a5c", "Room 101", "4321", "0", "1"], "{f:?}");
    assert_clean(&pcap);
}

//! H.225.0 call signalling framing checked by independent tools: pycrate (aligned PER, the ITU
//! modules compiled) writes a Setup's H323-UserInformation, this crate puts it in Q.931 and
//! TPKT, and tshark's dissectors must read the whole packet with no malformed field and no
//! expert warning. Both tools are installed by `scripts/test.sh`; a missing one fails the test.

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
    let dump = dir.path().join("setup.txt");
    let mut f = std::fs::File::create(&dump).unwrap();
    for (i, chunk) in packet.chunks(16).enumerate() {
        let bytes: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        writeln!(f, "{:06x} {}", i * 16, bytes.join(" ")).unwrap();
    }
    drop(f);
    let pcap = dir.path().join("setup.pcap");
    run(Command::new("text2pcap").args(["-q", "-T", "50000,1720"]).arg(&dump).arg(&pcap));
    let fields = run(Command::new("tshark").arg("-r").arg(&pcap).args([
        "-T",
        "fields",
        "-E",
        "separator=|",
        "-e",
        "q931.message_type",
        "-e",
        "q931.call_ref",
        "-e",
        "q931.display_information",
        "-e",
        "q931.called_party_number.digits",
        "-e",
        "h225.h323_message_body",
        "-e",
        "h225.h245Tunnelling",
    ]));
    let fields: Vec<&str> = fields.trim().split('|').collect();
    assert_eq!(fields.len(), 6, "{fields:?}");
    assert_eq!(fields[0], "0x05", "Setup: {fields:?}");
    assert_eq!(fields[1], "2a5c", "{fields:?}");
    assert_eq!(fields[2], "Room 101", "{fields:?}");
    assert_eq!(fields[3], "4321", "{fields:?}");
    assert_eq!(fields[4], "0", "the body is a setup: {fields:?}");
    assert_eq!(fields[5], "1", "{fields:?}");
    let warnings = run(Command::new("tshark")
        .arg("-r")
        .arg(&pcap)
        .args(["-Y", "_ws.malformed || _ws.expert.severity >= 4194304"]));
    assert!(warnings.trim().is_empty(), "tshark found problems: {warnings}");
}

//! What the H.323 tests share: a caller's messages written by pycrate (an independent encoder:
//! the ITU-T modules compiled, aligned PER), and the packets around them.

#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Stdio};
use tessera_sip_h323_bridge::h323::q931::{self, Message, MessageType, ie};

/// Python that defines `setup(fast, tunnelling, h245_port)` (a caller's H323-UserInformation:
/// "Room 101" dialling 4321; with `fast`, proposing G.711 µ-law both ways and H.264 towards the
/// server) and `h245(value)` (a MultimediaSystemControlMessage), each returning hex.
pub const CALLER: &str = r#"
from pycrate_asn1dir import H225, H245
O = H245.MULTIMEDIA_SYSTEM_CONTROL.OpenLogicalChannel
M = H245.MULTIMEDIA_SYSTEM_CONTROL.MultimediaSystemControlMessage
UI = H225.H323_MESSAGES.H323_UserInformation
ip = lambda port: ('unicastAddress', ('iPAddress', {'network': b'\x7f\x00\x00\x01', 'tsapIdentifier': port}))
h264 = ('genericVideoCapability', {'capabilityIdentifier': ('standard', (0, 0, 8, 241, 0, 0, 1)),
  'maxBitRate': 10000, 'collapsing': [
    {'parameterIdentifier': ('standard', 41), 'parameterValue': ('booleanArray', 64)},
    {'parameterIdentifier': ('standard', 42), 'parameterValue': ('unsignedMin', 64)}]})
def proposals():
    out = []
    O.set_val({'forwardLogicalChannelNumber': 1, 'forwardLogicalChannelParameters': {
      'dataType': ('audioData', ('g711Ulaw64k', 20)),
      'multiplexParameters': ('h2250LogicalChannelParameters', {'sessionID': 1, 'mediaControlChannel': ip(40001)})}})
    out.append(O.to_aper())
    O.set_val({'forwardLogicalChannelNumber': 2, 'forwardLogicalChannelParameters': {
      'dataType': ('nullData', 0), 'multiplexParameters': ('none', 0)},
      'reverseLogicalChannelParameters': {'dataType': ('audioData', ('g711Ulaw64k', 20)),
      'multiplexParameters': ('h2250LogicalChannelParameters',
        {'sessionID': 1, 'mediaChannel': ip(40000), 'mediaControlChannel': ip(40001)})}})
    out.append(O.to_aper())
    O.set_val({'forwardLogicalChannelNumber': 3, 'forwardLogicalChannelParameters': {'dataType': ('videoData', h264),
      'multiplexParameters': ('h2250LogicalChannelParameters',
        {'sessionID': 2, 'dynamicRTPPayloadType': 97, 'mediaControlChannel': ip(40003)})}})
    out.append(O.to_aper())
    return out
def setup(fast, tunnelling, h245_port=None):
    body = {
     'protocolIdentifier': (0, 0, 8, 2250, 0, 7),
     'sourceAddress': [('h323-ID', 'Room 101')],
     'sourceInfo': {'terminal': {}, 'mc': False, 'undefinedNode': False},
     'destinationAddress': [('dialledDigits', '4321')],
     'activeMC': False,
     'conferenceID': bytes(range(16)),
     'conferenceGoal': ('create', 0),
     'callType': ('pointToPoint', 0),
     'callIdentifier': {'guid': bytes(range(16, 32))},
     'mediaWaitForConnect': False, 'canOverlapSend': False,
     'multipleCalls': False, 'maintainConnection': False}
    if fast:
        body['fastStart'] = proposals()
    if h245_port:
        body['h245Address'] = ('ipAddress', {'ip': b'\x7f\x00\x00\x01', 'port': h245_port})
    UI.set_val({'h323-uu-pdu': {'h323-message-body': ('setup', body), 'h245Tunnelling': tunnelling}})
    return UI.to_aper().hex()
def facility(messages):
    UI.set_val({'h323-uu-pdu': {'h323-message-body': ('empty', 0), 'h245Tunnelling': True,
                                'h245Control': [bytes.fromhex(m) for m in messages]}})
    return UI.to_aper().hex()
def h245(value):
    M.set_val(value)
    return M.to_aper().hex()
"#;

/// Runs `body` after [`CALLER`]; its printed lines.
pub fn python(body: &str) -> Vec<String> {
    let script = format!("{CALLER}\n{body}\n");
    let out = Command::new("python3").args(["-c", &script]).output().expect("python3 (scripts/test.sh)");
    assert!(out.status.success(), "pycrate: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
}

/// A Q.931 message of `kind` from the caller around the user-user body `uu`.
pub fn q931_from_caller(kind: MessageType, uu: &[u8]) -> Vec<u8> {
    let mut m = Message::new(kind, 0x1234, false);
    if kind == MessageType::Setup {
        m.push(ie::BEARER_CAPABILITY, q931::BEARER_UNRESTRICTED.to_vec());
    }
    m.set_user_user(uu);
    m.encode().unwrap()
}

/// `bytes` as one packet in a pcap made by text2pcap with `args` (the headers it adds).
fn pcap(dir: &std::path::Path, bytes: &[u8], args: &[&str]) -> std::path::PathBuf {
    let dump = dir.join("p.txt");
    let mut f = std::fs::File::create(&dump).unwrap();
    for (i, chunk) in bytes.chunks(16).enumerate() {
        let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        writeln!(f, "{:06x} {}", i * 16, hex.join(" ")).unwrap();
    }
    drop(f);
    let pcap = dir.join("p.pcap");
    let made = Command::new("text2pcap").arg("-q").args(args).arg(&dump).arg(&pcap).output().expect("text2pcap");
    assert!(made.status.success(), "text2pcap: {}", String::from_utf8_lossy(&made.stderr));
    pcap
}

/// tshark's complaints about one RAS datagram (UDP port 1719): empty when it reads cleanly.
pub fn tshark_ras_complaints(datagram: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let pcap = pcap(dir.path(), datagram, &["-u", "1719,1719"]);
    let out = Command::new("tshark")
        .arg("-r")
        .arg(&pcap)
        .args(["-Y", "_ws.malformed || _ws.expert.severity >= 4194304 || !h225"])
        .stderr(Stdio::null())
        .output()
        .expect("tshark");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Writes `stream` as one TCP segment to `port` in a pcap and runs tshark on it with `args`
/// (`h245`: the port carries H.245 in TPKT); its output.
pub fn tshark(stream: &[u8], port: u16, h245: bool, args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let ports = format!("50000,{port}");
    let pcap = pcap(dir.path(), stream, &["-T", &ports]);
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(&pcap).stderr(Stdio::null());
    if h245 {
        cmd.args(["-d", &format!("tcp.port=={port},h245")]);
    }
    let out = cmd.args(args).output().expect("tshark");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// tshark's complaints about `stream` (malformed fields, warnings): empty when it reads cleanly.
pub fn tshark_complaints(stream: &[u8], port: u16, h245: bool) -> String {
    tshark(stream, port, h245, &["-Y", "_ws.malformed || _ws.expert.severity >= 4194304"])
}

//! The generated types against independent encoders: a Setup written by pycrate (its own ITU
//! modules, aligned PER) decodes and is written back byte for byte; NetMeeting's Alerting and
//! Connect (H.225.0 version 2, from Erlang/OTP's test suite, `../shared/testdata/h323/`) decode
//! although later versions made some of their extension additions mandatory; and a gatekeeper
//! request written here is read back by pycrate with the same values; an RRQ whose extension
//! additions are constrained named types (timeToLive) decodes and is written back the same.

use std::process::Command;
use tessera_h323_asn::h323_messages::{
    GatekeeperRequest, H323UUPDUH323MessageBody, H323UserInformation, RasMessage, TransportAddress,
};

const PYCRATE_SETUP: &str = "2080060008914a00070000000102030405060708090a0b0c0d0e0f00d90d8000001100101112131415161718191a1b1c1d1e1f010001000100010010800180";
const NETMEETING_ALERTING: &str = "0380060008914a0002020120110000000000000000000000000000000000";
const NETMEETING_CONNECT: &str = "02c0060008914a00020088e1293a04a322c0b500534c164d6963726f736f6674ae204e65744d656474696e67ae0003332e3000001689edc5bf23d3118c2d00c04f4b1cd00900110000000000000000000000000000000000";

/// pycrate's RRQ with timeToLive 120 (INTEGER (1..4294967295), an extension addition: 2 bits of
/// length, then 119 in one octet) and keepAlive, willSupplyUUIEs, maintainConnection false.
const PYCRATE_RRQ: &str =
    "0e000000060008914a00078001007f00000106b801007f00000113880200b5007e57348b000000020077010001000100";

fn decode(hex_text: &str) -> H323UserInformation {
    rasn::aper::decode::<H323UserInformation>(&hex::decode(hex_text).unwrap()).unwrap()
}

#[test]
fn pycrates_setup_decodes_and_is_written_back_the_same() {
    let ui = decode(PYCRATE_SETUP);
    let H323UUPDUH323MessageBody::setup(setup) = &ui.h323_uu_pdu.h323_message_body else { panic!("{ui:?}") };
    assert_eq!(&setup.conference_id.0.0[..], (0u8..16).collect::<Vec<_>>().as_slice());
    assert_eq!(ui.h323_uu_pdu.h245_tunnelling, Some(true));
    assert_eq!(hex::encode(rasn::aper::encode(&ui).unwrap()), PYCRATE_SETUP);
}

#[test]
fn constrained_extension_additions_keep_their_constraints() {
    let raw = hex::decode(PYCRATE_RRQ).unwrap();
    let m = rasn::aper::decode::<RasMessage>(&raw).unwrap();
    let RasMessage::registrationRequest(r) = &m else { panic!("{m:?}") };
    assert_eq!(r.time_to_live.as_ref().map(|t| t.0), Some(120));
    assert_eq!(r.keep_alive, Some(false));
    assert_eq!(hex::encode(rasn::aper::encode(&m).unwrap()), PYCRATE_RRQ);
}

#[test]
fn netmeetings_version_2_messages_decode() {
    let alerting = decode(NETMEETING_ALERTING);
    assert!(matches!(alerting.h323_uu_pdu.h323_message_body, H323UUPDUH323MessageBody::alerting(_)));
    let connect = decode(NETMEETING_CONNECT);
    let H323UUPDUH323MessageBody::connect(c) = &connect.h323_uu_pdu.h323_message_body else { panic!("{connect:?}") };
    // h245Address 136.225.41.58:1187, as the Erlang suite describes the vector.
    let Some(TransportAddress::ipAddress(a)) = &c.h245_address else { panic!("{c:?}") };
    assert_eq!((a.ip.as_ref(), a.port), (&[136u8, 225, 41, 58][..], 1187));
    // Written again with this version's extensions, and read back the same.
    let again = rasn::aper::encode(&connect).unwrap();
    assert_eq!(rasn::aper::decode::<H323UserInformation>(&again).unwrap(), connect);
}

#[test]
fn pycrate_reads_a_gatekeeper_request_written_here() {
    // Built by decoding pycrate's own GRQ (TESTING.md's example), changed, and written here.
    let grq_hex = python(
        "R = H225.H323_MESSAGES.RasMessage\n\
         R.set_val(('gatekeeperRequest', {'requestSeqNum': 1, 'protocolIdentifier': (0,0,8,2250,0,7),\n\
           'rasAddress': ('ipAddress', {'ip': b'\\x7f\\x00\\x00\\x01', 'port': 1719}),\n\
           'endpointType': {'mc': False, 'undefinedNode': False}}))\n\
         print(R.to_aper().hex())",
    );
    let mut ras = rasn::aper::decode::<RasMessage>(&hex::decode(grq_hex.trim()).unwrap()).unwrap();
    let RasMessage::gatekeeperRequest(GatekeeperRequest { request_seq_num, .. }) = &mut ras else { panic!("{ras:?}") };
    request_seq_num.0 = 4242;
    let ours = hex::encode(rasn::aper::encode(&ras).unwrap());
    let read = python(&format!(
        "R = H225.H323_MESSAGES.RasMessage\nR.from_aper(bytes.fromhex('{ours}'))\nv = R.get_val()\n\
         print(v[0], v[1]['requestSeqNum'], v[1]['rasAddress'][1]['port'])"
    ));
    assert_eq!(read.trim(), "gatekeeperRequest 4242 1719");
}

/// Runs Python with pycrate's H.225.0 (scripts/test.sh installs it; a missing one fails).
fn python(body: &str) -> String {
    let script = format!("from pycrate_asn1dir import H225\n{body}\n");
    let out = Command::new("python3").args(["-c", &script]).output().expect("python3 (scripts/test.sh)");
    assert!(out.status.success(), "pycrate: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn an_h245_message_decodes() {
    use tessera_h323_asn::multimedia_system_control::MultimediaSystemControlMessage;
    // From the Erlang/OTP suite: the key "9" pressed (userInputIndication, alphanumeric), the
    // way a room system sends a PIN's digits over H.245; written back the same.
    let bytes = hex::decode("6d400139").unwrap();
    let m = rasn::aper::decode::<MultimediaSystemControlMessage>(&bytes).unwrap();
    assert_eq!(format!("{m:?}"), "indication(userInput(alphanumeric(GeneralString([57]))))");
    assert_eq!(rasn::aper::encode(&m).unwrap(), bytes);
}

#[test]
fn the_prepared_modules_are_what_prepare_py_makes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("asn1");
    let out = Command::new("python3").arg(dir.join("prepare.py")).arg("--check").output().expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

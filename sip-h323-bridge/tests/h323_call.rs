//! An inbound H.323 call driven by a caller whose every message pycrate writes: Fast Connect with
//! tunnelled H.245, then H.245 on a separate connection without Fast Connect, then refusal and
//! time-outs. What the call machine sends back is checked by pycrate (it decodes and reads the
//! values) and the whole conversation by tshark (no malformed field, no warning).

mod common;

use common::{python, q931_from_caller, tshark, tshark_complaints};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};
use tessera_sip_h323_bridge::h323::call::{self, Call, Input, Output};
use tessera_sip_h323_bridge::h323::h245::channels::Local;
use tessera_sip_h323_bridge::h323::h245::codec::{Codec, H264};
use tessera_sip_h323_bridge::h323::q931::{Message, MessageType, ie};
use tessera_sip_h323_bridge::h323::signalling::{Release, Setup, Signal};
use tessera_sip_h323_bridge::h323::tpkt;

const VIDEO: H264 = H264 { level: 64, max_bitrate_100bps: 10_000 };

fn local(session: u8) -> Option<Local> {
    let a = |p: u16| SocketAddr::from((Ipv4Addr::new(127, 0, 0, 2), p));
    let base = 30000 + 2 * u16::from(session);
    Some(Local { rtp: a(base), rtcp: a(base + 1) })
}

fn caller(port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

fn hex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// The signalling packets among `out`.
fn signals(out: &[Output]) -> Vec<Signal> {
    out.iter().filter_map(|o| if let Output::Signal(p) = o { Some(Signal::read(p).unwrap()) } else { None }).collect()
}

/// What pycrate reads in each H.245 message: "kind.choice".
fn h245_kinds(messages: &[Vec<u8>]) -> Vec<String> {
    let list: Vec<String> = messages.iter().map(|m| format!("'{}'", hex::encode(m))).collect();
    python(&format!(
        "for h in [{}]:\n    M.from_aper(bytes.fromhex(h)); v = M.get_val(); print(v[0] + '.' + v[1][0])",
        list.join(",")
    ))
}

#[test]
fn fast_connect_with_tunnelled_h245() {
    let lines = python(
        "print(setup(True, True))\n\
         tcs = h245(('request', ('terminalCapabilitySet', {'sequenceNumber': 1, 'protocolIdentifier': (0,0,8,245,0,13),\n\
           'capabilityTable': [{'capabilityTableEntryNumber': 1, 'capability': ('receiveAudioCapability', ('g711Ulaw64k', 20))},\n\
                               {'capabilityTableEntryNumber': 2, 'capability': ('receiveVideoCapability', h264)}]})))\n\
         msd = h245(('request', ('masterSlaveDetermination', {'terminalType': 50, 'statusDeterminationNumber': 4242})))\n\
         ack = h245(('response', ('terminalCapabilitySetAck', {'sequenceNumber': 1})))\n\
         msdack = h245(('response', ('masterSlaveDeterminationAck', {'decision': ('master', 0)})))\n\
         print(facility([tcs, msd, ack, msdack]))\n\
         print(facility([h245(('indication', ('userInput', ('alphanumeric', '1234#'))))]))\n\
         print(facility([h245(('command', ('miscellaneousCommand', {'logicalChannelNumber': 3, 'type': ('videoFastUpdatePicture', 0)})))]))\n\
         print(facility([h245(('response', ('openLogicalChannelAck', {'forwardLogicalChannelNumber': 1,\n\
           'forwardMultiplexAckParameters': ('h2250LogicalChannelAckParameters', {'sessionID': 2,\n\
             'mediaChannel': ip(40002), 'mediaControlChannel': ip(40003)})})))]))",
    );
    let setup_packet = q931_from_caller(MessageType::Setup, &hex(&lines[0]));
    let setup = Setup::of(&Signal::read(&setup_packet).unwrap()).unwrap();
    let t0 = Instant::now();
    let mut conversation = tpkt::frame(&setup_packet).unwrap();
    let mut ours = Vec::new();
    let record = |out: &[Output], conversation: &mut Vec<u8>, ours: &mut Vec<Vec<u8>>| {
        for o in out {
            if let Output::Signal(p) = o {
                conversation.extend(tpkt::frame(p).unwrap());
                ours.push(p.clone());
            }
        }
    };

    // Setup: Call Proceeding at once, and the conference is asked.
    let (mut c, out) = Call::new(&setup, local, VIDEO, 99, t0);
    record(&out, &mut conversation, &mut ours);
    assert_eq!(signals(&out)[0].q931.kind, MessageType::CallProceeding);
    assert!(out.contains(&Output::Admit {
        destination: vec!["4321".into()],
        caller: vec!["Room 101".into()],
        display: None
    }));

    // Admitted: Connect with the three accepted channels and, tunnelled, our capabilities and
    // master/slave determination; media is set up both ways at once.
    c.set_display("Room one");
    let out = c.handle(Input::Admitted { now: t0 });
    record(&out, &mut conversation, &mut ours);
    assert_eq!(out.last(), Some(&Output::Settled), "Fast Connect's media is all at once: {out:?}");
    let connect = &signals(&out)[0];
    assert_eq!((connect.q931.kind, connect.q931.display().as_deref()), (MessageType::Connect, Some("Room one")));
    let tunnelled: Vec<Vec<u8>> = connect.h245_control().iter().map(|o| o.to_vec()).collect();
    assert_eq!(h245_kinds(&tunnelled), ["request.terminalCapabilitySet", "request.masterSlaveDetermination"]);
    let received: Vec<_> =
        out.iter().filter_map(|o| if let Output::Receive(ch) = o { Some(ch.codec) } else { None }).collect();
    assert_eq!(received, [Codec::Pcmu, Codec::H264(VIDEO)]);
    let sent: Vec<_> =
        out.iter().filter_map(|o| if let Output::Send(ch) = o { Some(ch.clone()) } else { None }).collect();
    assert_eq!((sent.len(), sent[0].codec, sent[0].rtp), (1, Codec::Pcmu, Some(caller(40000))));

    // The caller's capabilities and determination: acknowledged, this server is master (an MCU
    // against a terminal), and video, which Fast Connect did not give this server to send, is
    // opened over H.245 in the caller's H.264.
    let out = c.handle(Input::Signal(q931_from_caller(MessageType::Facility, &hex(&lines[1]))));
    record(&out, &mut conversation, &mut ours);
    let replies: Vec<Vec<u8>> = signals(&out)[0].h245_control().iter().map(|o| o.to_vec()).collect();
    assert_eq!(
        h245_kinds(&replies),
        ["response.terminalCapabilitySetAck", "response.masterSlaveDeterminationAck", "request.openLogicalChannel"]
    );
    let decision = python(&format!(
        "M.from_aper(bytes.fromhex('{}')); print(M.get_val()[1][1]['decision'][0])",
        hex::encode(&replies[1])
    ));
    assert_eq!(decision, ["slave"], "the caller is told it is the slave");

    // Keys and a picture update.
    let out = c.handle(Input::Signal(q931_from_caller(MessageType::Facility, &hex(&lines[2]))));
    assert_eq!(out, [Output::Digits("1234#".into())]);
    let out = c.handle(Input::Signal(q931_from_caller(MessageType::Facility, &hex(&lines[3]))));
    assert_eq!(out, [Output::FastUpdate]);

    // The caller accepts the video channel: video goes to its address, in the payload type
    // the caller uses for its own (the media plane keeps one per medium).
    let out = c.handle(Input::Signal(q931_from_caller(MessageType::Facility, &hex(&lines[4]))));
    let Some(Output::Send(video)) = out.first() else { panic!("{out:?}") };
    assert_eq!(
        (video.number, video.codec, video.payload_type, video.rtp),
        (1, Codec::H264(VIDEO), 97, Some(caller(40002)))
    );

    // Nothing times out once media flows; hanging up ends the session, then the call.
    assert!(c.handle(Input::Tick(t0 + call::MEDIA_TIMEOUT * 2)).is_empty());
    let out = c.handle(Input::HangUp);
    record(&out, &mut conversation, &mut ours);
    let s = signals(&out);
    assert_eq!((s[0].q931.kind, s[1].q931.kind), (MessageType::Facility, MessageType::ReleaseComplete));
    let end: Vec<Vec<u8>> = s[0].h245_control().iter().map(|o| o.to_vec()).collect();
    assert_eq!(h245_kinds(&end), ["command.endSessionCommand"]);
    assert!(matches!(out.last(), Some(Output::Ended { .. })) && c.ended());
    assert!(c.handle(Input::Signal(setup_packet.clone())).is_empty(), "an ended call says nothing more");

    // pycrate reads every body this server wrote; tshark reads the whole conversation.
    let bodies: Vec<String> =
        ours.iter().map(|p| format!("'{}'", hex::encode(Message::decode(p).unwrap().user_user().unwrap()))).collect();
    let kinds = python(&format!(
        "for h in [{}]:\n    UI.from_aper(bytes.fromhex(h)); print(UI.get_val()['h323-uu-pdu']['h323-message-body'][0])",
        bodies.join(",")
    ));
    assert_eq!(kinds, ["callProceeding", "connect", "empty", "empty", "releaseComplete"]);
    let complaints = tshark_complaints(&conversation, 1720, false);
    assert!(complaints.is_empty(), "tshark: {complaints}");
    let read = tshark(
        &conversation,
        1720,
        false,
        &["-T", "fields", "-E", "aggregator=,", "-e", "q931.message_type", "-e", "h245.signalType"],
    );
    assert!(read.starts_with("0x05,0x02,0x07,0x62"), "tshark reads the call: {read}");
}

#[test]
fn h245_on_its_own_connection_without_fast_connect() {
    let lines = python(
        "print(setup(False, False, 41000))\n\
         print(h245(('request', ('terminalCapabilitySet', {'sequenceNumber': 7, 'protocolIdentifier': (0,0,8,245,0,13),\n\
           'capabilityTable': [{'capabilityTableEntryNumber': 1, 'capability': ('receiveAudioCapability', ('g729', 2))},\n\
                               {'capabilityTableEntryNumber': 2, 'capability': ('receiveAudioCapability', ('g722-64k', 20))},\n\
                               {'capabilityTableEntryNumber': 3, 'capability': ('receiveAudioCapability', ('g711Alaw64k', 20))}]}))))\n\
         print(h245(('response', ('terminalCapabilitySetAck', {'sequenceNumber': 1}))))\n\
         print(h245(('request', ('openLogicalChannel', {'forwardLogicalChannelNumber': 11, 'forwardLogicalChannelParameters': {\n\
           'dataType': ('audioData', ('g711Alaw64k', 20)),\n\
           'multiplexParameters': ('h2250LogicalChannelParameters', {'sessionID': 1, 'mediaControlChannel': ip(40001)})}}))))\n\
         print(h245(('request', ('openLogicalChannel', {'forwardLogicalChannelNumber': 12, 'forwardLogicalChannelParameters': {\n\
           'dataType': ('audioData', ('g729', 2)),\n\
           'multiplexParameters': ('h2250LogicalChannelParameters', {'sessionID': 1})}}))))\n\
         print(h245(('indication', ('userInput', ('signal', {'signalType': '7'})))))",
    );
    let setup = Setup::of(&Signal::read(&q931_from_caller(MessageType::Setup, &hex(&lines[0]))).unwrap()).unwrap();
    let t0 = Instant::now();
    let (mut c, out) = Call::new(&setup, local, VIDEO, 99, t0);
    assert!(out.contains(&Output::ConnectH245(caller(41000))), "{out:?}");

    let mut h245_out = Vec::new();
    let take = |out: &[Output], h245_out: &mut Vec<Vec<u8>>| -> Vec<Vec<u8>> {
        let new: Vec<Vec<u8>> =
            out.iter().filter_map(|o| if let Output::H245(b) = o { Some(b.clone()) } else { None }).collect();
        h245_out.extend(new.iter().cloned());
        new
    };
    let out = c.handle(Input::Admitted { now: t0 });
    let sent = take(&out, &mut h245_out);
    assert_eq!(h245_kinds(&sent), ["request.terminalCapabilitySet", "request.masterSlaveDetermination"]);
    let connect = &signals(&out)[0];
    assert_eq!((connect.q931.kind, connect.h245_control().len()), (MessageType::Connect, 0));

    // Their capabilities (G.729 first, which this server does not send, then G.722) and the ack
    // of ours: this server opens audio in G.722, and no video (the caller receives none).
    c.handle(Input::H245(hex(&lines[1]))).iter().for_each(|o| assert!(matches!(o, Output::H245(_)), "{o:?}"));
    let out = c.handle(Input::H245(hex(&lines[2])));
    let sent = take(&out, &mut h245_out);
    assert_eq!(h245_kinds(&sent), ["request.openLogicalChannel"]);
    let codec = python(&format!(
        "M.from_aper(bytes.fromhex('{}')); print(M.get_val()[1][1]['forwardLogicalChannelParameters']['dataType'][1][0])",
        hex::encode(&sent[0])
    ));
    assert_eq!(codec, ["g722-64k"]);

    // Their A-law channel is taken, with this server's audio ports; G.729 is refused.
    let out = c.handle(Input::H245(hex(&lines[3])));
    assert!(out.iter().any(|o| matches!(o, Output::Receive(ch) if ch.codec == Codec::Pcma && ch.number == 11)));
    let ack = take(&out, &mut h245_out);
    let port = python(&format!(
        "M.from_aper(bytes.fromhex('{}')); v = M.get_val()[1][1]\n\
         print(v['forwardMultiplexAckParameters'][1]['mediaChannel'][1][1]['tsapIdentifier'])",
        hex::encode(&ack[0])
    ));
    assert_eq!(port, ["30002"]);
    let out = c.handle(Input::H245(hex(&lines[4])));
    assert_eq!(h245_kinds(&take(&out, &mut h245_out)), ["response.openLogicalChannelReject"]);

    // A DTMF signal.
    assert_eq!(c.handle(Input::H245(hex(&lines[5]))), [Output::Digits("7".into())]);

    // This server's channel was never answered: the media counts as settled a while after it
    // started, not before.
    assert!(!c.handle(Input::Tick(t0 + Duration::from_secs(1))).contains(&Output::Settled));
    let out = c.handle(Input::Tick(t0 + Duration::from_secs(1) + call::SETTLE_WAIT));
    assert!(out.contains(&Output::Settled), "{out:?}");

    // Garbage on the H.245 connection is reported, not fatal.
    let out = c.handle(Input::H245(vec![0xff; 9]));
    assert!(matches!(out.as_slice(), [Output::Ignored(_)]), "{out:?}");
    assert!(!c.ended());

    let mut stream = Vec::new();
    for m in &h245_out {
        stream.extend(tpkt::frame(m).unwrap());
    }
    let complaints = tshark_complaints(&stream, 41000, true);
    assert!(complaints.is_empty(), "tshark: {complaints}");
    let read = tshark(
        &stream,
        41000,
        true,
        &["-T", "fields", "-E", "aggregator=,", "-e", "h245.terminalType", "-e", "h245.tsapIdentifier"],
    );
    // Our G.722 channel's RTCP, then the ack of theirs: RTP and RTCP.
    assert_eq!(read, "190\t30003,30002,30003", "tshark reads the H.245 connection");
}

#[test]
fn a_caller_without_an_h245_address_is_given_this_servers_in_the_connect() {
    let lines = python("print(setup(False, False))");
    let setup = Setup::of(&Signal::read(&q931_from_caller(MessageType::Setup, &hex(&lines[0]))).unwrap()).unwrap();
    let t0 = Instant::now();
    let (mut c, out) = Call::new(&setup, local, VIDEO, 99, t0);
    assert!(!out.iter().any(|o| matches!(o, Output::ConnectH245(_))), "{out:?}");
    assert!(c.awaits_h245_address());
    c.listen_h245(caller(42000));
    let out = c.handle(Input::Admitted { now: t0 });
    let connect = &signals(&out)[0];
    assert_eq!(connect.q931.kind, MessageType::Connect);
    let mut stream = Vec::new();
    for o in &out {
        if let Output::Signal(p) = o {
            stream.extend(tpkt::frame(p).unwrap());
        }
    }
    let read = tshark(&stream, 1720, false, &["-T", "fields", "-e", "h225.h245Ip", "-e", "h225.h245IpPort"]);
    assert_eq!(read, "127.0.0.1\t42000", "the Connect names the H.245 address: {read}");
    // Over IPv6 the Connect names an ip6Address.
    let (mut c, _) = Call::new(&setup, local, VIDEO, 99, t0);
    c.listen_h245("[::1]:42001".parse().unwrap());
    let mut stream = Vec::new();
    for o in c.handle(Input::Admitted { now: t0 }) {
        if let Output::Signal(p) = o {
            stream.extend(tpkt::frame(&p).unwrap());
        }
    }
    let read = tshark(&stream, 1720, false, &["-T", "fields", "-e", "h225.h245Ip6", "-e", "h225.h245Ip6port"]);
    assert_eq!(read, "::1\t42001", "the Connect names the IPv6 H.245 address: {read}");
    // A caller that tunnels, or named its own address, is not offered one.
    let lines = python("print(setup(True, True))\nprint(setup(False, False, 41000))");
    for l in &lines {
        let s = Setup::of(&Signal::read(&q931_from_caller(MessageType::Setup, &hex(l))).unwrap()).unwrap();
        assert!(!Call::new(&s, local, VIDEO, 99, t0).0.awaits_h245_address());
    }
}

#[test]
fn refusal_and_time_outs_release_the_call() {
    let setup_hex = python("print(setup(True, True))").remove(0);
    let setup = Setup::of(&Signal::read(&q931_from_caller(MessageType::Setup, &hex(&setup_hex))).unwrap()).unwrap();
    let t0 = Instant::now();

    let (mut c, _) = Call::new(&setup, local, VIDEO, 1, t0);
    let out = c.handle(Input::Refused(Release::Refused));
    let rc = Message::decode(match &out[0] {
        Output::Signal(p) => p,
        o => panic!("{o:?}"),
    })
    .unwrap();
    assert_eq!((rc.kind, rc.element(ie::CAUSE)), (MessageType::ReleaseComplete, Some(&[0x80, 0x80 | 21][..])));
    assert!(c.ended());

    // The conference never answers.
    let (mut c, _) = Call::new(&setup, local, VIDEO, 1, t0);
    assert!(c.handle(Input::Tick(t0 + Duration::from_secs(1))).is_empty());
    let out = c.handle(Input::Tick(t0 + call::ADMIT_TIMEOUT));
    assert!(matches!(out.last(), Some(Output::Ended { .. })), "{out:?}");

    // Answered without Fast Connect, and H.245 never opens anything.
    let no_fast = Setup { fast_start: Vec::new(), ..setup.clone() };
    let (mut c, _) = Call::new(&no_fast, local, VIDEO, 1, t0);
    c.handle(Input::Admitted { now: t0 });
    let out = c.handle(Input::Tick(t0 + call::MEDIA_TIMEOUT));
    assert!(matches!(out.last(), Some(Output::Ended { reason }) if reason.contains("no media")), "{out:?}");

    // The caller hangs up: nothing is sent back.
    let (mut c, _) = Call::new(&setup, local, VIDEO, 1, t0);
    let rc = python(
        "UI.set_val({'h323-uu-pdu': {'h323-message-body': ('releaseComplete', {'protocolIdentifier': (0,0,8,2250,0,7)})}})\n\
         print(UI.to_aper().hex())",
    );
    let out = c.handle(Input::Signal(q931_from_caller(MessageType::ReleaseComplete, &hex(&rc[0]))));
    assert!(matches!(out.as_slice(), [Output::Ended { .. }]), "{out:?}");
}

"""An H.323 room system for the tests, written with pycrate (the ITU-T modules compiled, aligned
PER): it dials an alias over TCP with Fast Connect (G.711 u-law both ways, H.245 tunnelled),
sends a 440 Hz tone as RTP to where the Connect says, counts and measures what it receives,
optionally presses keys (H.245 userInputIndication, tunnelled in a Facility), and hangs up.

With --h245 mine or --h245 yours it neither tunnels nor uses Fast Connect: H.245 runs on its
own TCP connection, to an address this caller names in the Setup (mine) or to the one the
Connect names (yours), and the call goes as H.245 lays out: capability sets (G.711 u-law, and
H.264 with --video-rx), master/slave determination (a terminal, type 50), then logical channels
opened by each side and acknowledged by the other. With --video-rx PORT the far end's video goes
to that port, and GStreamer sends a cyan H.264 picture to the far end.

With --gk PORT --login L --password P it first registers with the gatekeeper there (H.235.1,
see h323_ras.py), asks it to admit the call (ARQ) and calls where the answer says; after
hanging up it disengages (DRQ) and unregisters (URQ).

It prints what happened, one fact per line: "proceeding", "connect <rtp port>",
"received <packets> <rms>", "released <cause>" or "hung up"."""

import argparse
import audioop
import math
import select
import socket
import struct
import subprocess
import time

from pycrate_asn1dir import H225, H245

from h323_ras import Endpoint

UI = H225.H323_MESSAGES.H323_UserInformation
OLC = H245.MULTIMEDIA_SYSTEM_CONTROL.OpenLogicalChannel
MSG = H245.MULTIMEDIA_SYSTEM_CONTROL.MultimediaSystemControlMessage
CRV = 0x1234
CALL_ID = bytes(range(16, 32))


def tpkt(b):
    return bytes([3, 0]) + (len(b) + 4).to_bytes(2, "big") + b


def q931(kind, uu):
    b = bytes([8, 2, CRV >> 8, CRV & 0xFF, kind])
    if kind == 5:
        b += bytes([4, 3, 0x88, 0x90, 0xA5])
    return b + bytes([0x7E]) + (len(uu) + 1).to_bytes(2, "big") + bytes([5]) + uu


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def parse_q931(body):
    """(message type, call reference, user-user body or None, cause or None) of one message."""
    crv = int.from_bytes(body[2:4], "big") & 0x7FFF
    kind, i, uu, cause = body[4], 5, None, None
    while i < len(body):
        ie = body[i]
        if ie & 0x80:
            i += 1
        elif ie == 0x7E:
            n = int.from_bytes(body[i + 1 : i + 3], "big")
            uu = body[i + 4 : i + 3 + n]
            i += 3 + n
        else:
            n = body[i + 1]
            if ie == 0x08:
                cause = body[i + 2 + n - 1] & 0x7F
            i += 2 + n
    return kind, crv, uu, cause


def read_q931(sock):
    """[`parse_q931`] of the next message on `sock`."""
    head = read_exact(sock, 4)
    return parse_q931(read_exact(sock, int.from_bytes(head[2:4], "big") - 4))


def read_message(sock):
    """(message type, user-user body or None, cause value or None)."""
    kind, _, uu, cause = read_q931(sock)
    return kind, uu, cause


# This room system's address (--host): IPv4 or IPv6 loopback.
HOST = "127.0.0.1"


def ip(port):
    if ":" in HOST:
        return ("unicastAddress", ("iP6Address", {"network": socket.inet_pton(socket.AF_INET6, HOST), "tsapIdentifier": port}))
    return ("unicastAddress", ("iPAddress", {"network": b"\x7f\x00\x00\x01", "tsapIdentifier": port}))


def setup(alias, rtp, separate=False, h245_port=None, h245_host="127.0.0.1"):
    proposals = []
    OLC.set_val({"forwardLogicalChannelNumber": 1, "forwardLogicalChannelParameters": {
        "dataType": ("audioData", ("g711Ulaw64k", 20)),
        "multiplexParameters": ("h2250LogicalChannelParameters", {"sessionID": 1, "mediaControlChannel": ip(rtp + 1)})}})
    proposals.append(OLC.to_aper())
    OLC.set_val({"forwardLogicalChannelNumber": 2, "forwardLogicalChannelParameters": {
        "dataType": ("nullData", 0), "multiplexParameters": ("none", 0)},
        "reverseLogicalChannelParameters": {"dataType": ("audioData", ("g711Ulaw64k", 20)),
        "multiplexParameters": ("h2250LogicalChannelParameters",
                                {"sessionID": 1, "mediaChannel": ip(rtp), "mediaControlChannel": ip(rtp + 1)})}})
    proposals.append(OLC.to_aper())
    body = {
        "protocolIdentifier": (0, 0, 8, 2250, 0, 7),
        "sourceAddress": [("h323-ID", "Room 101")],
        "sourceInfo": {"terminal": {}, "mc": False, "undefinedNode": False},
        "destinationAddress": [("dialledDigits", alias)] if alias.replace("*", "").isdigit() else [("h323-ID", alias)],
        "activeMC": False, "conferenceID": bytes(range(16)),
        "conferenceGoal": ("create", 0), "callType": ("pointToPoint", 0),
        "callIdentifier": {"guid": CALL_ID},
        "mediaWaitForConnect": False, "canOverlapSend": False,
        "multipleCalls": False, "maintainConnection": False}
    if not separate:
        body["fastStart"] = proposals
    if h245_port:
        # H.225.0's TransportAddress (not H.245's): ipAddress {ip, port}.
        body["h245Address"] = (("ip6Address", {"ip": socket.inet_pton(socket.AF_INET6, h245_host), "port": h245_port})
                               if ":" in h245_host else ("ipAddress", {"ip": socket.inet_aton(h245_host), "port": h245_port}))
    UI.set_val({"h323-uu-pdu": {"h323-message-body": ("setup", body), "h245Tunnelling": not separate}})
    return UI.to_aper()


def server_rtp_port(uu):
    """The port the Connect's accepted channels give for this caller's audio."""
    UI.from_aper(uu)
    body = UI.get_val()["h323-uu-pdu"]["h323-message-body"][1]
    for raw in body.get("fastStart", []):
        OLC.from_aper(raw)
        f = OLC.get_val()["forwardLogicalChannelParameters"]["multiplexParameters"][1]
        if isinstance(f, dict) and "mediaChannel" in f:
            return f["mediaChannel"][1][1]["tsapIdentifier"]
    return None


def facility(h245_messages):
    UI.set_val({"h323-uu-pdu": {"h323-message-body": ("empty", 0), "h245Tunnelling": True,
                                "h245Control": h245_messages}})
    return q931(0x62, UI.to_aper())


def keys(text):
    MSG.set_val(("indication", ("userInput", ("alphanumeric", text))))
    return MSG.to_aper()


H264 = ("genericVideoCapability", {
    "capabilityIdentifier": ("standard", (0, 0, 8, 241, 0, 0, 1)), "maxBitRate": 10000,
    # H.241 Table 8-1: Profile (41, a boolean array: 64 is Baseline), Level (42: 64 is level 3).
    "collapsing": [{"parameterIdentifier": ("standard", 41), "parameterValue": ("booleanArray", 64)},
                   {"parameterIdentifier": ("standard", 42), "parameterValue": ("unsignedMin", 64)}]})


def telephone_event_pt(value):
    """The payload type an H.245 terminalCapabilitySet says its sender receives RFC 4733
    telephone events in, or None."""
    kind, (name, v) = value
    if name != "terminalCapabilitySet":
        return None
    for entry in v.get("capabilityTable", []):
        cap = entry.get("capability")
        if cap and cap[0] == "receiveRTPAudioTelephonyEventCapability":
            return cap[1]["dynamicRTPPayloadType"]
    return None


def event_packets(digits):
    """RFC 4733 packets for `digits`, one per 20 ms: (event code, end, duration, first), or None
    for a 20 ms gap. Each event: three packets, then three with the end bit (its end repeated)."""
    for d in digits:
        code = "0123456789*#".index(d)
        for i in range(1, 4):
            yield code, False, 160 * i, i == 1
        for _ in range(3):
            yield code, True, 160 * 4, False
        for _ in range(3):
            yield None


def send_h245(sock, value):
    MSG.set_val(value)
    sock.sendall(tpkt(MSG.to_aper()))


def read_h245(sock):
    head = read_exact(sock, 4)
    MSG.from_aper(read_exact(sock, int.from_bytes(head[2:4], "big") - 4))
    return MSG.get_val()


def h245_port_of(uu):
    """The port of the H.245 address a Connect names (H.225.0's ipAddress or ip6Address), or None."""
    UI.from_aper(uu)
    a = UI.get_val()["h323-uu-pdu"]["h323-message-body"][1].get("h245Address")
    return a[1]["port"] if a and a[0] in ("ipAddress", "ip6Address") else None


def negotiate(h, rtp, video_rx):
    """H.245 on its own connection, as H.245 lays it out: this terminal's capability set and
    master/slave determination, the answers to the far end's, then one channel per medium each
    way. Returns (the far end's audio port, its video port or None, its telephone-event payload
    type, the port of its video RTCP or None) once all channels are up."""
    caps = [{"capabilityTableEntryNumber": 1, "capability": ("receiveAudioCapability", ("g711Ulaw64k", 20))}]
    if video_rx:
        caps.append({"capabilityTableEntryNumber": 2, "capability": ("receiveVideoCapability", H264)})
    send_h245(h, ("request", ("terminalCapabilitySet", {
        "sequenceNumber": 1, "protocolIdentifier": (0, 0, 8, 245, 0, 13), "capabilityTable": caps,
        "capabilityDescriptors": [{"capabilityDescriptorNumber": 0,
                                   "simultaneousCapabilities": [[c["capabilityTableEntryNumber"]] for c in caps]}]})))
    send_h245(h, ("request", ("masterSlaveDetermination", {"terminalType": 50, "statusDeterminationNumber": 4242})))
    opened, theirs, ports, events, video_rtcp = False, set(), {}, None, None
    wanted = {1, 2} if video_rx else {1}
    h.settimeout(10)
    while not (ports.keys() >= wanted and theirs >= wanted):
        kind, (name, v) = read_h245(h)
        if name == "terminalCapabilitySet":
            events = telephone_event_pt((kind, (name, v)))
            send_h245(h, ("response", ("terminalCapabilitySetAck", {"sequenceNumber": v["sequenceNumber"]})))
        elif name == "masterSlaveDetermination":
            # A terminal (50) meets a higher type: the far end is master. The decision in the ack
            # is the status of the terminal that receives it.
            mine = "master" if v["terminalType"] > 50 else "slave"
            send_h245(h, ("response", ("masterSlaveDeterminationAck", {"decision": (mine, 0)})))
        elif name == "terminalCapabilitySetAck" and not opened:
            opened = True
            send_h245(h, ("request", ("openLogicalChannel", {"forwardLogicalChannelNumber": 1,
                "forwardLogicalChannelParameters": {"dataType": ("audioData", ("g711Ulaw64k", 20)),
                "multiplexParameters": ("h2250LogicalChannelParameters", {"sessionID": 1, "mediaControlChannel": ip(rtp + 1)})}})))
            if video_rx:
                send_h245(h, ("request", ("openLogicalChannel", {"forwardLogicalChannelNumber": 2,
                    "forwardLogicalChannelParameters": {"dataType": ("videoData", H264),
                    "multiplexParameters": ("h2250LogicalChannelParameters", {
                        "sessionID": 2, "mediaControlChannel": ip(video_rx + 1), "dynamicRTPPayloadType": 96})}})))
        elif name == "openLogicalChannelAck":
            ack = v["forwardMultiplexAckParameters"][1]
            ports[v["forwardLogicalChannelNumber"]] = ack["mediaChannel"][1][1]["tsapIdentifier"]
        elif name == "openLogicalChannel":
            h2250 = v["forwardLogicalChannelParameters"]["multiplexParameters"][1]
            session = h2250["sessionID"]
            port = {1: rtp, 2: video_rx}.get(session)
            control = h2250.get("mediaControlChannel")
            if session == 2 and control:
                video_rtcp = control[1][1]["tsapIdentifier"]
            if port:
                theirs.add(session)
                send_h245(h, ("response", ("openLogicalChannelAck", {
                    "forwardLogicalChannelNumber": v["forwardLogicalChannelNumber"],
                    "forwardMultiplexAckParameters": ("h2250LogicalChannelAckParameters", {
                        "sessionID": session, "mediaChannel": ip(port), "mediaControlChannel": ip(port + 1)})})))
            else:
                send_h245(h, ("response", ("openLogicalChannelReject", {
                    "forwardLogicalChannelNumber": v["forwardLogicalChannelNumber"], "cause": ("dataTypeNotSupported", 0)})))
    return ports[1], ports.get(2), events, video_rtcp


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--port", type=int, required=True)
    a.add_argument("--alias", required=True)
    a.add_argument("--seconds", type=float, default=4)
    a.add_argument("--keys", default="")
    a.add_argument("--flood", type=int, default=0, help="messages sent at once after the Connect")
    a.add_argument("--h245", choices=["tunnelled", "mine", "yours"], default="tunnelled",
                   help="tunnelled with Fast Connect, or on a connection to this caller's address or to the far end's")
    a.add_argument("--video-rx", type=int, default=0, help="the port where the far end's video goes (separate H.245)")
    a.add_argument("--lossy-video-reports", action="store_true",
                   help="after 2 s, send RTCP receiver reports saying 60 %% of the far end's video is lost (separate H.245)")
    a.add_argument("--rtp-keys", default="", help="keys sent as RFC 4733 events in the audio RTP (separate H.245)")
    a.add_argument("--h245-host", default=None, help="the address of this caller's H.245 (--h245 mine; default --host)")
    a.add_argument("--host", default="127.0.0.1", help="this caller's address and the server's: 127.0.0.1 or ::1")
    a.add_argument("--gk", type=int, default=0, help="register with the gatekeeper on this UDP port and ask it first")
    a.add_argument("--login", default="", help="the user this endpoint registers as (--gk)")
    a.add_argument("--password", default="", help="that user's password (--gk)")
    args = a.parse_args()
    separate = args.h245 != "tunnelled"

    global HOST
    HOST = args.host
    family = socket.AF_INET6 if ":" in HOST else socket.AF_INET
    args.h245_host = args.h245_host or HOST
    media = socket.socket(family, socket.SOCK_DGRAM)
    media.bind((HOST, 0))
    media.setblocking(False)
    rtp = media.getsockname()[1]
    listener = None
    if args.h245 == "mine":
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.bind((args.h245_host, 0))
        listener.listen(1)
        listener.settimeout(10 if args.h245_host == HOST else 4)
    gk, port = None, args.port
    if args.gk:
        # H.225.0 clause 7: discover the gatekeeper, register, and ask it where to call.
        gk = Endpoint(args.gk, HOST)
        gk.discover()
        kind, value, _ = gk.register(args.login, args.password)
        if kind != "registrationConfirm":
            print("not registered", value.get("rejectReason", ("",))[0], flush=True)
            return
        print("registered", flush=True)
        kind, value, data = gk.admission(args.alias, CALL_ID)
        if kind != "admissionConfirm":
            print("not admitted", value.get("rejectReason", ("",))[0], flush=True)
            return
        port = value["destCallSignalAddress"][1]["port"]
        print("admitted", port, gk.seal_of(value, data), flush=True)
    sig = socket.create_connection((HOST, port), timeout=15)
    sig.sendall(tpkt(q931(5, setup(args.alias, rtp, separate, listener and listener.getsockname()[1], args.h245_host))))
    connect = None
    while connect is None:
        kind, uu, cause = read_message(sig)
        if kind == 0x02:
            print("proceeding", flush=True)
        elif kind == 0x07:
            connect = uu
        elif kind == 0x5A:
            print("released", cause, flush=True)
            return
    h, video_sender, video_rtcp = None, None, None
    if separate:
        try:
            h = listener.accept()[0] if listener else None
        except socket.timeout:
            print("no H.245 connection", flush=True)
            return
        h = h or socket.create_connection((HOST, h245_port_of(connect)), timeout=10)
        target, video_target, events_pt, video_rtcp = negotiate(h, rtp, args.video_rx)
        if video_target:
            video_sender = subprocess.Popen(["gst-launch-1.0", "-q", "videotestsrc", "is-live=true", "pattern=solid-color",
                "foreground-color=0xff20c0c0", "!", "video/x-raw,width=320,height=240,framerate=15/1", "!",
                "x264enc", "tune=zerolatency", "key-int-max=15", "!", "rtph264pay", "pt=96", "config-interval=-1", "!",
                "udpsink", f"host={HOST}", f"port={video_target}"])
    else:
        target, events_pt = server_rtp_port(connect), None
    print("connect", target, flush=True)
    if args.keys and h:
        send_h245(h, ("indication", ("userInput", ("alphanumeric", args.keys))))
    elif args.keys:
        sig.sendall(tpkt(facility([keys(args.keys)])))
    if args.flood:
        sig.sendall(tpkt(facility([keys("")])) * args.flood)
    sig.setblocking(False)
    seq, ts, received, energy = 0, 0, 0, []
    if args.rtp_keys and events_pt is None:
        print("no telephone events", flush=True)
    pending = event_packets(args.rtp_keys if events_pt else "")
    event_ts = 0
    tone = [int(8000 * math.sin(2 * math.pi * 440 * n / 8000)) for n in range(160)]
    payload = audioop.lin2ulaw(struct.pack("<160h", *tone), 2)
    start, released, buf = time.monotonic(), None, b""
    while time.monotonic() - start < args.seconds and released is None:
        event = next(pending, None)
        if event:
            code, end, duration, first = event
            event_ts = ts if first else event_ts
            body = bytes([code, (0x80 if end else 0) | 10]) + duration.to_bytes(2, "big")
            marker = 0x80 if first else 0
            media.sendto(struct.pack("!BBHII", 0x80, marker | events_pt, seq & 0xFFFF, event_ts, 0x1234ABCD) + body,
                         (HOST, target))
        else:
            media.sendto(struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, ts, 0x1234ABCD) + payload, (HOST, target))
        # Every 200 ms after 2 s: a receiver report about the far end's video, 30 lost of 50 more.
        if args.lossy_video_reports and video_rtcp and seq >= 100 and seq % 10 == 0:
            lost, highest = 30 * (seq - 90) // 10, 50 * (seq - 90) // 10
            block = struct.pack("!IB", 0xABCD, 153) + lost.to_bytes(3, "big") + struct.pack("!IIII", highest, 0, 0, 0)
            media.sendto(struct.pack("!BBHI", 0x81, 201, 7, 0x1234ABCD) + block, (HOST, video_rtcp))
        seq, ts = seq + 1, ts + 160
        deadline = start + seq * 0.02
        while True:
            wait = deadline - time.monotonic()
            ready, _, _ = select.select([media, sig] + ([h] if h else []), [], [], max(wait, 0))
            if h in ready and not h.recv(4096):
                h = None
            if media in ready:
                data = media.recv(2048)
                if len(data) > 12 and data[1] & 0x7F == 0:
                    received += 1
                    energy.append(audioop.rms(audioop.ulaw2lin(data[12:], 2), 2))
            if sig in ready:
                chunk = sig.recv(4096)
                if not chunk:
                    released = "closed"
                    break
                buf += chunk
                while len(buf) >= 4 and len(buf) >= int.from_bytes(buf[2:4], "big"):
                    n = int.from_bytes(buf[2:4], "big")
                    msg, buf = buf[:n], buf[n:]
                    if msg[8] == 0x5A:
                        # Tessera puts the cause first: 08 <length> ... <cause value>.
                        released = msg[10 + msg[10]] & 0x7F if msg[9] == 0x08 else "no cause"
                if released is not None:
                    break
            if not ready or wait <= 0:
                break
    # The loudness of the second half of what arrived (the median packet's).
    tail = sorted(energy[len(energy) // 2 :])
    print("received", received, tail[len(tail) // 2] if tail else 0, flush=True)
    if video_sender:
        video_sender.kill()
    if released is not None:
        print("released", released, flush=True)
        return
    if h:
        h.setblocking(True)
        send_h245(h, ("command", ("endSessionCommand", ("disconnect", 0))))
    UI.set_val({"h323-uu-pdu": {"h323-message-body": ("releaseComplete", {
        "protocolIdentifier": (0, 0, 8, 2250, 0, 7)}), "h245Tunnelling": not separate}})
    sig.setblocking(True)
    sig.sendall(tpkt(q931(0x5A, UI.to_aper())))
    print("hung up", flush=True)
    if gk:
        print(gk.disengage(CALL_ID)[0], gk.unregister()[0], flush=True)


if __name__ == "__main__":
    main()

"""An H.323 room system for the tests, written with pycrate (the ITU-T modules compiled, aligned
PER): it dials an alias over TCP with Fast Connect (G.711 u-law both ways, H.245 tunnelled),
sends a 440 Hz tone as RTP to where the Connect says, counts and measures what it receives,
optionally presses keys (H.245 userInputIndication, tunnelled in a Facility), and hangs up.
It prints what happened, one fact per line: "proceeding", "connect <rtp port>",
"received <packets> <rms>", "released <cause>" or "hung up"."""

import argparse
import audioop
import math
import select
import socket
import struct
import time

from pycrate_asn1dir import H225, H245

UI = H225.H323_MESSAGES.H323_UserInformation
OLC = H245.MULTIMEDIA_SYSTEM_CONTROL.OpenLogicalChannel
MSG = H245.MULTIMEDIA_SYSTEM_CONTROL.MultimediaSystemControlMessage
CRV = 0x1234


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


def read_message(sock):
    """(message type, user-user body or None, cause value or None)."""
    head = read_exact(sock, 4)
    body = read_exact(sock, int.from_bytes(head[2:4], "big") - 4)
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
    return kind, uu, cause


def ip(port):
    return ("unicastAddress", ("iPAddress", {"network": b"\x7f\x00\x00\x01", "tsapIdentifier": port}))


def setup(alias, rtp):
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
    UI.set_val({"h323-uu-pdu": {"h323-message-body": ("setup", {
        "protocolIdentifier": (0, 0, 8, 2250, 0, 7),
        "sourceAddress": [("h323-ID", "Room 101")],
        "sourceInfo": {"terminal": {}, "mc": False, "undefinedNode": False},
        "destinationAddress": [("dialledDigits", alias)] if alias.replace("*", "").isdigit() else [("h323-ID", alias)],
        "activeMC": False, "conferenceID": bytes(range(16)),
        "conferenceGoal": ("create", 0), "callType": ("pointToPoint", 0),
        "callIdentifier": {"guid": bytes(range(16, 32))},
        "fastStart": proposals,
        "mediaWaitForConnect": False, "canOverlapSend": False,
        "multipleCalls": False, "maintainConnection": False}),
        "h245Tunnelling": True}})
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


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--port", type=int, required=True)
    a.add_argument("--alias", required=True)
    a.add_argument("--seconds", type=float, default=4)
    a.add_argument("--keys", default="")
    a.add_argument("--flood", type=int, default=0, help="messages sent at once after the Connect")
    args = a.parse_args()

    media = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    media.bind(("127.0.0.1", 0))
    media.setblocking(False)
    rtp = media.getsockname()[1]
    sig = socket.create_connection(("127.0.0.1", args.port), timeout=15)
    sig.sendall(tpkt(q931(5, setup(args.alias, rtp))))
    target = None
    while target is None:
        kind, uu, cause = read_message(sig)
        if kind == 0x02:
            print("proceeding", flush=True)
        elif kind == 0x07:
            target = server_rtp_port(uu)
            print("connect", target, flush=True)
        elif kind == 0x5A:
            print("released", cause, flush=True)
            return
    if args.keys:
        sig.sendall(tpkt(facility([keys(args.keys)])))
    if args.flood:
        sig.sendall(tpkt(facility([keys("")])) * args.flood)
    sig.setblocking(False)
    seq, ts, received, energy = 0, 0, 0, []
    tone = [int(8000 * math.sin(2 * math.pi * 440 * n / 8000)) for n in range(160)]
    payload = audioop.lin2ulaw(struct.pack("<160h", *tone), 2)
    start, released, buf = time.monotonic(), None, b""
    while time.monotonic() - start < args.seconds and released is None:
        media.sendto(struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, ts, 0x1234ABCD) + payload, ("127.0.0.1", target))
        seq, ts = seq + 1, ts + 160
        deadline = start + seq * 0.02
        while True:
            wait = deadline - time.monotonic()
            ready, _, _ = select.select([media, sig], [], [], max(wait, 0))
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
    if released is not None:
        print("released", released, flush=True)
        return
    UI.set_val({"h323-uu-pdu": {"h323-message-body": ("releaseComplete", {
        "protocolIdentifier": (0, 0, 8, 2250, 0, 7)}), "h245Tunnelling": True}})
    sig.setblocking(True)
    sig.sendall(tpkt(q931(0x5A, UI.to_aper())))
    print("hung up", flush=True)


main()

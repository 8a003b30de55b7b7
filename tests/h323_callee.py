"""An H.323 room system that is called, for the tests, written with pycrate (the ITU-T modules
compiled, aligned PER): it listens for call signalling on TCP, reads the Setup, and answers as
H.225.0 and H.323 8.1.7.1 (Fast Connect) lay out:

  --answer fast   Call Proceeding, Alerting, then Connect returning the proposals it accepts:
                  G.711 u-law both ways; with --video-rx PORT the far end's H.264 (to PORT);
                  with --video-tx, H.264 from GStreamer (a cyan picture) to the far end. It
                  acknowledges the far end's tunnelled capability set and master/slave
                  determination, sends a 440 Hz tone to where the accepted proposal says,
                  counts and measures what it receives, and hangs up after --seconds.
  --answer busy   Release Complete with cause 17 (user busy).

With --gk PORT --login L --password P it first registers with the gatekeeper there (H.235.1,
see h323_ras.py) with its call signalling address, and asks it to answer the call (ARQ with
answerCall) before answering; afterwards it disengages (DRQ) and unregisters (URQ).

It prints what happened, one fact per line: "listening <port>", "registered",
"setup <destination aliases> | <source aliases> | <proposals>", "admitted", "connect <rtp port>",
"h245 <messages>", "received <packets> <rms>", then "hung up" or "released <cause>"."""

import argparse
import audioop
import math
import select
import socket
import struct
import subprocess
import time

import h323_caller
from h323_caller import MSG, OLC, UI, parse_q931, read_q931, tpkt
from h323_ras import Endpoint

HOST = "127.0.0.1"


def ip(port):
    return h323_caller.ip(port)


def q931(kind, crv, uu, cause=None):
    """A Q.931 message from the called side (the call reference's flag set)."""
    b = bytes([8, 2, 0x80 | (crv >> 8), crv & 0xFF, kind])
    if cause is not None:
        b += bytes([0x08, 2, 0x80, 0x80 | cause])
    return b + bytes([0x7E]) + (len(uu) + 1).to_bytes(2, "big") + bytes([5]) + uu


def aliases(list_):
    return ",".join(f"{k}={v}" for k, v in (list_ or []))


def uu(kind, body, fast=None, control=None):
    body = dict(body, protocolIdentifier=(0, 0, 8, 2250, 0, 7))
    if fast:
        body["fastStart"] = fast
    pdu = {"h323-message-body": (kind, body), "h245Tunnelling": True}
    if control:
        pdu["h245Control"] = control
    UI.set_val({"h323-uu-pdu": pdu})
    return UI.to_aper()


def choose(proposals, rtp, video_rx, video_tx):
    """The proposals this room system accepts, with its addresses; the far end's RTP ports for
    audio and video (where this room system sends)."""
    accepted, far_audio, far_video, taken = [], None, None, set()
    for raw in proposals:
        OLC.from_aper(raw)
        v = OLC.get_val()
        reverse = v.get("reverseLogicalChannelParameters")
        if reverse:
            # The far end would receive: this room system sends.
            kind = reverse["dataType"]
            params = reverse["multiplexParameters"][1]
            if kind == ("audioData", ("g711Ulaw64k", 20)) and "tx-audio" not in taken:
                taken.add("tx-audio")
                far_audio = params["mediaChannel"][1][1]["tsapIdentifier"]
                params["mediaControlChannel"] = ip(rtp + 1)
            elif kind[0] == "videoData" and video_tx and "tx-video" not in taken:
                taken.add("tx-video")
                far_video = params["mediaChannel"][1][1]["tsapIdentifier"]
                params["mediaControlChannel"] = ip(rtp + 3)
            else:
                continue
        else:
            kind = v["forwardLogicalChannelParameters"]["dataType"]
            params = v["forwardLogicalChannelParameters"]["multiplexParameters"][1]
            if kind == ("audioData", ("g711Ulaw64k", 20)) and "rx-audio" not in taken:
                taken.add("rx-audio")
                params["mediaChannel"], params["mediaControlChannel"] = ip(rtp), ip(rtp + 1)
            elif kind[0] == "videoData" and video_rx and "rx-video" not in taken:
                taken.add("rx-video")
                params["mediaChannel"], params["mediaControlChannel"] = ip(video_rx), ip(video_rx + 1)
            else:
                continue
        OLC.set_val(v)
        accepted.append(OLC.to_aper())
    return accepted, far_audio, far_video


def answer_h245(sig, crv, control, seen):
    """Acknowledges the far end's tunnelled capability set and master/slave determination."""
    replies = []
    for raw in control:
        MSG.from_aper(raw)
        kind, (name, v) = MSG.get_val()
        seen.append(name)
        if name == "terminalCapabilitySet":
            MSG.set_val(("response", ("terminalCapabilitySetAck", {"sequenceNumber": v["sequenceNumber"]})))
            replies.append(MSG.to_aper())
        elif name == "masterSlaveDetermination":
            # A terminal (50) meets an MCU: the far end is master; the ack tells it so.
            mine = "master" if v["terminalType"] > 50 else "slave"
            MSG.set_val(("response", ("masterSlaveDeterminationAck", {"decision": (mine, 0)})))
            replies.append(MSG.to_aper())
    if replies:
        sig.sendall(tpkt(q931(0x62, crv, facility(replies))))


def facility(messages):
    UI.set_val({"h323-uu-pdu": {"h323-message-body": ("empty", 0), "h245Tunnelling": True, "h245Control": messages}})
    return UI.to_aper()


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--answer", choices=["fast", "busy"], default="fast")
    a.add_argument("--seconds", type=float, default=4)
    a.add_argument("--video-rx", type=int, default=0, help="the port where the far end's H.264 goes")
    a.add_argument("--video-tx", action="store_true", help="send H.264 (GStreamer, cyan) to the far end")
    a.add_argument("--gk", type=int, default=0, help="register with the gatekeeper on this UDP port")
    a.add_argument("--login", default="")
    a.add_argument("--password", default="")
    args = a.parse_args()

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((HOST, 0))
    listener.listen(1)
    listener.settimeout(30)
    port = listener.getsockname()[1]
    print("listening", port, flush=True)
    media = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    media.bind((HOST, 0))
    media.setblocking(False)
    rtp = media.getsockname()[1]
    gk = None
    if args.gk:
        gk = Endpoint(args.gk, HOST, signal_port=port)
        gk.discover()
        kind, value, _ = gk.register(args.login, args.password)
        print("registered" if kind == "registrationConfirm" else f"not registered {kind}", flush=True)

    sig, _ = listener.accept()
    sig.settimeout(10)
    kind, crv, body, _ = read_q931(sig)
    assert kind == 0x05, f"not a Setup: {kind:#x}"
    UI.from_aper(body)
    setup = UI.get_val()["h323-uu-pdu"]["h323-message-body"][1]
    proposals = setup.get("fastStart", [])
    print("setup", aliases(setup.get("destinationAddress")), "|", aliases(setup.get("sourceAddress")), "|",
          len(proposals), flush=True)
    call_id = setup["callIdentifier"]["guid"]
    conference_id = setup["conferenceID"]
    terminal = {"terminal": {}, "mc": False, "undefinedNode": False}
    ids = {"destinationInfo": terminal, "callIdentifier": {"guid": call_id}}

    if args.answer == "busy":
        sig.sendall(tpkt(q931(0x5A, crv, uu("releaseComplete", {"reason": ("adaptiveBusy", 0)}), cause=17)))
        print("refused busy", flush=True)
        return
    if gk:
        kind, value, _ = gk.admission(args.login, call_id, answer_call=True, conference_id=conference_id, crv=crv)
        print("admitted" if kind == "admissionConfirm" else f"not admitted {kind}", flush=True)
    sig.sendall(tpkt(q931(0x02, crv, uu("callProceeding", ids))))
    sig.sendall(tpkt(q931(0x01, crv, uu("alerting", ids))))
    accepted, target, far_video = choose(proposals, rtp, args.video_rx, args.video_tx)
    sig.sendall(tpkt(q931(0x07, crv, uu("connect", dict(ids, conferenceID=conference_id), accepted))))
    print("connect", target, flush=True)
    video_sender = None
    if far_video:
        video_sender = subprocess.Popen(["gst-launch-1.0", "-q", "videotestsrc", "is-live=true", "pattern=solid-color",
            "foreground-color=0xff20c0c0", "!", "video/x-raw,width=320,height=240,framerate=15/1", "!",
            "x264enc", "tune=zerolatency", "key-int-max=15", "!", "rtph264pay", "pt=96", "config-interval=-1", "!",
            "udpsink", f"host={HOST}", f"port={far_video}"])

    sig.setblocking(False)
    seq, ts, received, energy, seen = 0, 0, 0, [], []
    tone = [int(8000 * math.sin(2 * math.pi * 440 * n / 8000)) for n in range(160)]
    payload = audioop.lin2ulaw(struct.pack("<160h", *tone), 2)
    start, released, buf = time.monotonic(), None, b""
    while time.monotonic() - start < args.seconds and released is None:
        media.sendto(struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, ts, 0x4321ABCD) + payload, (HOST, target))
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
                chunk = sig.recv(65536)
                if not chunk:
                    released = "closed"
                    break
                buf += chunk
                while len(buf) >= 4 and len(buf) >= int.from_bytes(buf[2:4], "big"):
                    n = int.from_bytes(buf[2:4], "big")
                    msg, buf = buf[:n], buf[n:]
                    kind, _, body, cause = parse_q931(msg[4:])
                    if kind == 0x5A:
                        released = cause if cause is not None else "no cause"
                    elif kind == 0x62 and body:
                        UI.from_aper(body)
                        control = UI.get_val()["h323-uu-pdu"].get("h245Control", [])
                        sig.setblocking(True)
                        answer_h245(sig, crv, control, seen)
                        sig.setblocking(False)
                if released is not None:
                    break
            if not ready or wait <= 0:
                break
    print("h245", ",".join(seen), flush=True)
    tail = sorted(energy[len(energy) // 2 :])
    print("received", received, tail[len(tail) // 2] if tail else 0, flush=True)
    if video_sender:
        video_sender.kill()
    if released is None:
        sig.setblocking(True)
        sig.sendall(tpkt(q931(0x5A, crv, uu("releaseComplete", {}), cause=16)))
        print("hung up", flush=True)
    else:
        print("released", released, flush=True)
    if gk:
        print(gk.disengage(call_id)[0], gk.unregister()[0], flush=True)


if __name__ == "__main__":
    main()

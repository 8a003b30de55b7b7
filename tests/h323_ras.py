"""An H.323 endpoint's RAS side for the tests, written with pycrate from H.225.0 (clause 7) and
H.235.1 (the baseline security profile): gatekeeper discovery (GRQ offering pwdHash with
HMAC-SHA1-96), registration (RRQ, full and lightweight), admission (ARQ), disengage (DRQ) and
unregistration (URQ). Requests after discovery carry an H.235.1 token: a ClearToken (time,
a number that grows, the gatekeeper's identifier, this endpoint's) and an HMAC-SHA1-96 keyed
with SHA-1 of the password over the whole message encoded with a zero hash. Answers' tokens are
checked the same way.

As a program it runs one scenario against a gatekeeper and prints one fact per line:
  register: discover, register, keep the registration alive, unregister.
  wrong:    register with a wrong password.
  replay:   register, then send that very RRQ again.
  unsigned: register without a token."""

import argparse
import hashlib
import hmac
import random
import socket
import time

from pycrate_asn1dir import H225

RAS = H225.H323_MESSAGES.RasMessage
OID_A = (0, 0, 8, 235, 0, 2, 1)
OID_T = (0, 0, 8, 235, 0, 2, 5)
OID_U = (0, 0, 8, 235, 0, 2, 6)
VENDOR = {"vendor": {"t35CountryCode": 0xB5, "t35Extension": 0, "manufacturerCode": 0x7E57}}


def address(host, port):
    if ":" in host:
        return ("ip6Address", {"ip": socket.inet_pton(socket.AF_INET6, host), "port": port})
    return ("ipAddress", {"ip": socket.inet_aton(host), "port": port})


# pycrate 0.7.11 pads the extension bitmap of an ARQ and of a DRQ with one octet too many
# (tshark reports both malformed; X.691 19.7 pads to the next octet only). In both the bitmap
# follows the conference ID closely: in an ARQ activeMC, answerCall, then 1 + 6 + 19 bits, so
# the additions start 4 octets after the conference ID; in a DRQ the call reference (2 octets),
# disengageReason (3 bits), then 1 + 6 + 13 bits: 5 octets after it. pycrate puts a spare zero
# octet there; removed, the message is what X.691 says (checked with tshark).
SPARE_OCTET_AFTER_CONFERENCE_ID = {"admissionRequest": 4, "disengageRequest": 5}


def aper(kind, body):
    RAS.set_val((kind, body))
    raw = RAS.to_aper()
    if kind in SPARE_OCTET_AFTER_CONFERENCE_ID:
        at = raw.index(body["conferenceID"]) + 16 + SPARE_OCTET_AFTER_CONFERENCE_ID[kind]
        assert raw[at] == 0, raw.hex()
        raw = raw[:at] + raw[at + 1:]
    return raw


def hmac96(key, data):
    return hmac.new(key, data, hashlib.sha1).digest()[:12]


class Endpoint:
    def __init__(self, gk_port, host="127.0.0.1", source=None, signal_port=1720):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((source or host, 0))
        self.sock.settimeout(3)
        self.gk = (host, gk_port)
        self.host = source or host
        self.signal_port = signal_port
        self.seq = 0
        self.gk_id = None
        self.endpoint_id = None
        self.key = None
        self.login = None
        # The number in each token: it grows by one per message, from where this run starts.
        self.random = random.randint(1, 1 << 30)
        self.last_sent = None

    def token(self, hash_value, sender):
        clear = {"tokenOID": OID_T, "timeStamp": int(time.time()), "random": self.random}
        if self.gk_id:
            clear["generalID"] = self.gk_id
        if sender:
            clear["sendersID"] = sender
        return ("nestedcryptoToken", ("cryptoHashedToken", {
            "tokenOID": OID_A, "hashedVals": clear,
            "token": {"algorithmOID": OID_U, "paramS": {}, "hash": (int.from_bytes(hash_value, "big"), 96)}}))

    def encode(self, kind, body, sign, sender=None):
        """The message's encoding; signed: the hash computed over it with a zero hash in place."""
        if sign:
            self.random += 1
            body["cryptoTokens"] = [self.token(bytes(12), sender)]
            mac = hmac96(self.key, aper(kind, body))
            body["cryptoTokens"] = [self.token(mac, sender)]
        return aper(kind, body)

    def send(self, raw):
        self.last_sent = raw
        self.sock.sendto(raw, self.gk)
        data, _ = self.sock.recvfrom(65536)
        RAS.from_aper(data)
        kind, value = RAS.get_val()
        return kind, value, data

    def seal_of(self, value, data):
        """'sealed' if the answer's H.235.1 token checks with this endpoint's key, 'unsealed'
        without a token, 'bad seal' otherwise."""
        for t in value.get("cryptoTokens", []):
            if t[0] == "nestedcryptoToken" and t[1][0] == "cryptoHashedToken":
                h = t[1][1]["token"]["hash"]
                mac = h[0].to_bytes(12, "big")
                at = data.find(mac)
                if at < 0 or self.key is None:
                    return "bad seal"
                zeroed = data[:at] + bytes(12) + data[at + 12:]
                return "sealed" if hmac.compare_digest(hmac96(self.key, zeroed), mac) else "bad seal"
        return "unsealed"

    def next_seq(self):
        self.seq += 1
        return self.seq

    def discover(self):
        kind, value, _ = self.send(self.encode("gatekeeperRequest", {
            "requestSeqNum": self.next_seq(), "protocolIdentifier": (0, 0, 8, 2250, 0, 7),
            "rasAddress": address(self.host, self.sock.getsockname()[1]),
            "endpointType": {"terminal": {}, "mc": False, "undefinedNode": False},
            "endpointAlias": [("h323-ID", "Room 101")],
            "authenticationCapability": [("pwdHash", 0)], "algorithmOIDs": [OID_U]}, False))
        if kind == "gatekeeperConfirm":
            self.gk_id = value.get("gatekeeperIdentifier")
        return kind, value

    def register(self, login, password, sign=True, keep_alive=False, aliases=None):
        self.login = login
        self.key = hashlib.sha1(password.encode()).digest()
        body = {
            "requestSeqNum": self.next_seq(), "protocolIdentifier": (0, 0, 8, 2250, 0, 7),
            "discoveryComplete": True,
            "callSignalAddress": [address(self.host, self.signal_port)],
            "rasAddress": [address(self.host, self.sock.getsockname()[1])],
            "terminalType": {"terminal": {}, "mc": False, "undefinedNode": False},
            "terminalAlias": [("h323-ID", a) for a in (aliases or [login])],
            "endpointVendor": VENDOR, "timeToLive": 120,
            "keepAlive": keep_alive, "willSupplyUUIEs": False, "maintainConnection": False}
        if self.gk_id:
            body["gatekeeperIdentifier"] = self.gk_id
        if keep_alive:
            body["endpointIdentifier"] = self.endpoint_id
        kind, value, data = self.send(self.encode("registrationRequest", body, sign, login))
        if kind == "registrationConfirm":
            self.endpoint_id = value["endpointIdentifier"]
        return kind, value, data

    def admission(self, alias, call_id, answer_call=False, conference_id=bytes(range(16)), crv=0x1234):
        """ARQ: to call `alias`, or (answer_call) to answer a call that came in for this endpoint."""
        body = {
            "requestSeqNum": self.next_seq(), "callType": ("pointToPoint", 0), "callModel": ("direct", 0),
            "endpointIdentifier": self.endpoint_id,
            "destinationInfo": [("dialledDigits", alias)] if alias.isdigit() else [("h323-ID", alias)],
            "srcInfo": [("h323-ID", self.login)],
            "bandWidth": 1280, "callReferenceValue": crv, "conferenceID": conference_id,
            "activeMC": False, "answerCall": answer_call, "callIdentifier": {"guid": call_id},
            "canMapAlias": False, "willSupplyUUIEs": False, "gatekeeperIdentifier": self.gk_id}
        return self.send(self.encode("admissionRequest", body, True, self.endpoint_id))

    def disengage(self, call_id):
        body = {
            "requestSeqNum": self.next_seq(), "endpointIdentifier": self.endpoint_id,
            "conferenceID": bytes(range(16)), "callReferenceValue": 0x1234,
            "disengageReason": ("normalDrop", 0), "callIdentifier": {"guid": call_id},
            "gatekeeperIdentifier": self.gk_id, "answeredCall": False}
        return self.send(self.encode("disengageRequest", body, True, self.endpoint_id))

    def unregister(self):
        body = {
            "requestSeqNum": self.next_seq(),
            "callSignalAddress": [address(self.host, self.signal_port)],
            "endpointIdentifier": self.endpoint_id, "gatekeeperIdentifier": self.gk_id}
        return self.send(self.encode("unregistrationRequest", body, True, self.endpoint_id))


def reason(value):
    r = value.get("rejectReason")
    return r[0] if r else ""


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--gk", type=int, required=True, help="the gatekeeper's UDP port")
    a.add_argument("--host", default="127.0.0.1")
    a.add_argument("--source", default=None, help="the address this endpoint sends from")
    a.add_argument("--login", required=True)
    a.add_argument("--password", required=True)
    a.add_argument("--scenario", choices=["register", "wrong", "replay", "unsigned"], default="register")
    o = a.parse_args()
    ep = Endpoint(o.gk, o.host, o.source)
    kind, value = ep.discover()
    print(kind, value.get("gatekeeperIdentifier", ""), value.get("algorithmOID", ""), flush=True)
    if kind != "gatekeeperConfirm":
        return
    if o.scenario == "wrong":
        kind, value, _ = ep.register(o.login, o.password + "-wrong")
        print(kind, reason(value), flush=True)
        return
    if o.scenario == "unsigned":
        kind, value, _ = ep.register(o.login, o.password, sign=False)
        print(kind, reason(value), flush=True)
        return
    kind, value, data = ep.register(o.login, o.password)
    print(kind, reason(value) or value.get("timeToLive"), ep.seal_of(value, data), flush=True)
    if kind != "registrationConfirm":
        return
    if o.scenario == "replay":
        kind, value, _ = ep.send(ep.last_sent)
        print("again", kind, reason(value), flush=True)
        return
    kind, value, data = ep.register(o.login, o.password, keep_alive=True)
    print("keep-alive", kind, ep.seal_of(value, data), flush=True)
    kind, value, data = ep.unregister()
    print(kind, flush=True)
    kind, value, data = ep.register(o.login, o.password, keep_alive=True)
    print("after unregistering", kind, reason(value), flush=True)


if __name__ == "__main__":
    main()

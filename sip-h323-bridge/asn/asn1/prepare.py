#!/usr/bin/env python3
"""Prepares the ITU-T modules in original/ (H.225.0 v7, H.235.0, H.245 v15, as Wireshark 4.0.17
carries them in epan/dissectors/asn1/) for rasn-compiler, writing prepared/. Every change keeps
the aligned PER encoding as it is:

1. comments are removed and white space collapsed (the compiler cannot read a type name split
   across lines, such as "OBJECT\\n IDENTIFIER");
2. H.235's parameterized SIGNED{}, ENCRYPTED{} and HASHED{} are instantiated for the types they
   are used with, and TYPE-IDENTIFIER.&Type(X) (an open type) becomes OCTET STRING, which PER
   writes the same way (a length and the octets);
3. names that two modules define (TransportAddress, NonStandardParameter ...) get a module prefix
   in H.245 and H.235 (type names never reach the wire);
4. every extension addition of a SEQUENCE becomes OPTIONAL: PER writes additions in a presence
   bitmap either way, and an older endpoint's message (H.225.0 v2 has no multipleCalls) must
   decode although a later version made the addition mandatory.

Run it after changing original/; `prepare.py --check` fails when prepared/ is not what it makes.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
H225, H235, H245 = "H323-MESSAGES.asn", "H235-SECURITY-MESSAGES.asn", "MULTIMEDIA-SYSTEM-CONTROL.asn"


def strip_comments(text):
    out = []
    # split("\n"), not splitlines(): the modules carry control characters (ITU\x1eT) in comments.
    for line in text.split("\n"):
        kept, i, inside = "", 0, False
        while i < len(line):
            if line.startswith("--", i):
                inside = not inside
                i += 2
                continue
            if not inside:
                kept += line[i]
            i += 1
        out.append(kept)
    return re.sub(r"\s+", " ", "\n".join(out)).strip() + "\n"


def signed(x):
    return (f" SIGNED-{x} ::= SEQUENCE {{ toBeSigned {x}, algorithmOID OBJECT IDENTIFIER, "
            "paramS Params, signature BIT STRING }")


def instantiate(files):
    h235 = files[H235]
    h235 = re.sub(r"SIGNED\{ToBeSigned\} ::= SEQUENCE \{.*?\}\(CONSTRAINED BY \{ \}\)", "", h235)
    h235 = re.sub(r"ENCRYPTED\{ToBeEncrypted\} ::= (SEQUENCE \{.*?\})\(CONSTRAINED BY \{ ToBeEncrypted\}\)",
                  r"ENCRYPTED ::= \1", h235)
    h235 = re.sub(r"HASHED\{ToBeHashed\} ::= (SEQUENCE \{.*?\})\(CONSTRAINED BY \{ ToBeHashed\}\)",
                  r"HASHED ::= \1", h235)
    h225 = files[H225].replace("IMPORTS SIGNED{}, ENCRYPTED{}, HASHED{},", "IMPORTS ENCRYPTED, HASHED, Params,")
    for name in (H235, H225):
        text = h235 if name == H235 else h225
        used = sorted(set(re.findall(r"SIGNED\s*\{\s*([A-Za-z0-9-]+)\s*\}", text)))
        text = re.sub(r"SIGNED\s*\{\s*([A-Za-z0-9-]+)\s*\}", r"SIGNED-\1", text)
        text = re.sub(r"(ENCRYPTED|HASHED)\s*\{\s*[A-Za-z0-9-]*\s*\}", r"\1", text)
        text = re.sub(r"TYPE-IDENTIFIER\.&Type\s*\([^)]*\)", "OCTET STRING", text)
        end = text.rindex(" END")
        text = text[:end] + "".join(signed(x) for x in used) + text[end:]
        if name == H235:
            h235 = text
        else:
            h225 = text
    # H.225.0 imports the instantiated types' parts from H.235.
    files[H235], files[H225] = h235, h225


def rename_collisions(files):
    defined = {n: set(re.findall(r"(?:^| )([A-Z][A-Za-z0-9-]*) ::= (?!BEGIN)", t)) for n, t in files.items()}
    for name, prefix in ((H245, "H245"), (H235, "H235")):
        others = set().union(*(d for n, d in defined.items() if n != name and not (name == H235 and n == H245)))
        for x in sorted(defined[name] & others):
            files[name] = re.sub(r"(?<![A-Za-z0-9-])" + re.escape(x) + r"(?![A-Za-z0-9-])", prefix + x, files[name])


def split_top(body):
    parts, depth, cur = [], 0, ""
    for ch in body:
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def optional_additions(text):
    out, i = [], 0
    pattern = re.compile(r"\bSEQUENCE\s*\{")
    while True:
        m = pattern.search(text, i)
        if not m:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:m.end()])
        depth, j = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        parts, extended = [], False
        for p in split_top(optional_additions(text[m.end():j - 1])):
            t = p.strip()
            if t == "...":
                extended = not extended
            elif extended and t and not re.search(r"\b(OPTIONAL|DEFAULT\b.*)$", t):
                p = p.rstrip() + " OPTIONAL "
            parts.append(p)
        out.append(",".join(parts) + "}")
        i = j


def prepare():
    files = {n: strip_comments(open(os.path.join(HERE, "original", n), encoding="utf-8").read())
             for n in (H225, H235, H245)}
    instantiate(files)
    rename_collisions(files)
    return {n: optional_additions(t) for n, t in files.items()}


def main():
    out = os.path.join(HERE, "prepared")
    prepared = prepare()
    if "--check" in sys.argv:
        stale = [n for n, t in prepared.items()
                 if not os.path.exists(os.path.join(out, n)) or open(os.path.join(out, n)).read() != t]
        if stale:
            sys.exit(f"prepared/ is stale ({', '.join(stale)}): run asn1/prepare.py")
        return
    os.makedirs(out, exist_ok=True)
    for n, t in prepared.items():
        with open(os.path.join(out, n), "w") as f:
            f.write(t)


if __name__ == "__main__":
    main()

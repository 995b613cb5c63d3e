#!/usr/bin/env python3
"""corpus.py OUTDIR: writes seed inputs for tests/fuzz/fuzz_tlsp.c from the recorded streams of
this folder. Input format (see fuzz_tlsp.c): chunks of [selector][bytes], selector bit 7 the
direction (1: server to client), bits 0..6 the chunk length - 1."""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def chunks(direction, data, size):
    res = bytearray()
    for i in range(0, len(data), size):
        piece = data[i:i + size]
        res.append((0x80 if direction else 0) | (len(piece) - 1))
        res += piece
    return res


def load(name, ext):
    path = os.path.join(here, name + "." + ext)
    return open(path, "rb").read() if os.path.exists(path) else b""


SMTP = (b"EHLO client.test\r\nSTARTTLS\r\n",
        b"220 mx.test ESMTP\r\n250-mx.test\r\n250 STARTTLS\r\n220 go ahead\r\n")
XMPP = (b"<stream:stream to='example.test' xmlns='jabber:client' version='1.0'>"
        b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
        b"<stream:stream from='example.test' version='1.0'><stream:features>"
        b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>"
        b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
for name in ("tls12", "tls13", "tls12-client-cert", "tls13-hrr", "grease"):
    c2s, s2c = load(name, "c2s"), load(name, "s2c")
    open(os.path.join(out, name), "wb").write(chunks(0, c2s, 128) + chunks(1, s2c, 128))
    if s2c:
        open(os.path.join(out, name + "-server-first"), "wb").write(
            chunks(1, s2c, 97) + chunks(0, c2s, 61))
for proto, (cli, srv) in (("smtp", SMTP), ("xmpp", XMPP)):
    c2s, s2c = cli + load("tls12", "c2s"), srv + load("tls12", "s2c")
    open(os.path.join(out, "starttls-" + proto), "wb").write(
        chunks(1, srv, 128) + chunks(0, c2s, 128) + chunks(1, s2c[len(srv):], 128))

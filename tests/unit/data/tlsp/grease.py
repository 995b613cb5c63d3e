#!/usr/bin/env python3
"""grease.py IN.c2s OUT.c2s: rewrites the ClientHello (the first record, alone) of IN with GREASE
values (RFC 8701) added the way browsers send them: a GREASE cipher suite first, a GREASE
extension first (empty) and last (one byte), a GREASE group first in supported_groups and a
GREASE version first in supported_versions. Writes just that one record."""
import struct
import sys

rec = open(sys.argv[1], "rb").read()
assert rec[0] == 22
hello = rec[5:5 + (rec[3] << 8 | rec[4])]
assert hello[0] == 1
body = hello[4:]
p = 2 + 32
p += 1 + body[p]                       # session id
head = body[:p]
n = struct.unpack("!H", body[p:p + 2])[0]
suites = b"\x0a\x0a" + body[p + 2:p + 2 + n]
p += 2 + n
comp = body[p:p + 1 + body[p]]
p += 1 + body[p]
total = struct.unpack("!H", body[p:p + 2])[0]
exts, q, end = [], p + 2, p + 2 + total
while q < end:
    t, l = struct.unpack("!HH", body[q:q + 4])
    data = body[q + 4:q + 4 + l]
    if t == 10:                        # supported_groups
        inner = b"\x3a\x3a" + data[2:]
        data = struct.pack("!H", len(inner)) + inner
    if t == 43:                        # supported_versions
        inner = b"\x4a\x4a" + data[1:]
        data = struct.pack("!B", len(inner)) + inner
    exts.append((t, data))
    q += 4 + l
exts = [(0x1a1a, b"")] + exts + [(0x2a2a, b"\x00")]
ext_bytes = b"".join(struct.pack("!HH", t, len(d)) + d for t, d in exts)
body = (head + struct.pack("!H", len(suites)) + suites + comp +
        struct.pack("!H", len(ext_bytes)) + ext_bytes)
hello = b"\x01" + struct.pack("!I", len(body))[1:] + body
open(sys.argv[2], "wb").write(b"\x16\x03\x01" + struct.pack("!H", len(hello)) + hello)

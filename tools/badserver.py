#!/usr/bin/env python3
"""badserver.py: misbehaving TCP servers on loopback for the certsweep test farm.

usage: badserver.py --pidfile FILE [--lifetime SECONDS] MODE=ADDR:PORT [MODE=ADDR:PORT ...]

One process serves every listener given. Modes (what a connection gets):
  garbage    4 KiB of random bytes (first byte 0x00, so never a TLS or SSLv2 record), then FIN
  stall      nothing: the connection is held open, input read and discarded
  drip       a TLS handshake record (ServerHello header, random body), one byte per second
  huge       TLS records carrying one Certificate message that claims 16 MiB (2^24-1 bytes),
             in valid 16 KiB records of junk, for as long as the peer reads (2 MiB at most)
  bigrecord  one record header claiming 65535 bytes (over the 2^14+2048 limit), then that much junk
  afterhello reads the ClientHello (TLS record or SSLv2 format, 16 KiB at most), answers with a
             well-formed ServerHello record (the client's version capped at TLS 1.2, its first
             suite that is no SCSV, GREASE or TLS 1.3 suite, null compression, an empty
             renegotiation_info), then in the same write
             4 KiB of random bytes (first byte 0x00: no valid record type), then FIN. Input
             that is not a ClientHello gets the garbage alone.

Bounds: loopback addresses only; at most MAX_CONNS connections at once (more are closed at
once); every connection ends within CONN_MAX seconds; the whole process exits after
--lifetime seconds (default 1800). The pid file is written once every listener is bound, so
a caller can wait for it; it is removed on a clean exit (SIGTERM, SIGINT, lifetime).
"""

import argparse
import ipaddress
import os
import select
import signal
import socket
import sys
import threading
import time

MAX_CONNS = 256
CONN_MAX = 300.0
GARBAGE_LEN = 4096
HUGE_MAX = 2 * 1024 * 1024
HELLO_MAX = 16384 + 5
MODES = ("garbage", "stall", "drip", "huge", "bigrecord", "afterhello")


def drain(sock, seconds):
    """Reads and discards input for up to `seconds`; returns False once the peer has closed."""
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return True
        r, _, _ = select.select([sock], [], [], left)
        if r:
            try:
                if not sock.recv(65536):
                    return False
            except OSError:
                return False


def serve_garbage(sock):
    drain(sock, 0.2)
    sock.sendall(b"\x00" + os.urandom(GARBAGE_LEN - 1))
    sock.shutdown(socket.SHUT_WR)
    drain(sock, 2.0)


def serve_stall(sock):
    drain(sock, CONN_MAX)


def serve_drip(sock):
    body = b"\x03\x03" + os.urandom(118)
    hs = b"\x02" + len(body).to_bytes(3, "big") + body
    rec = b"\x16\x03\x03" + len(hs).to_bytes(2, "big") + hs
    for i in range(len(rec)):
        sock.sendall(rec[i:i + 1])
        if not drain(sock, 1.0):
            return


def serve_huge(sock):
    drain(sock, 0.5)
    first = True
    sent = 0
    while sent < HUGE_MAX:
        payload = os.urandom(16384)
        if first:
            payload = b"\x0b\xff\xff\xff" + payload[4:]
            first = False
        sock.sendall(b"\x16\x03\x03" + len(payload).to_bytes(2, "big") + payload)
        sent += len(payload) + 5
    drain(sock, 2.0)


def serve_bigrecord(sock):
    drain(sock, 0.5)
    sock.sendall(b"\x16\x03\x03\xff\xff" + os.urandom(65535))
    drain(sock, 2.0)


def read_hello(sock, seconds):
    """Reads the start of a ClientHello for up to `seconds`: at most HELLO_MAX bytes, and only
    as much as the first record (TLS or SSLv2 header) claims. Returns the bytes read."""
    end = time.monotonic() + seconds
    buf = b""
    while len(buf) < HELLO_MAX:
        need = HELLO_MAX
        if len(buf) >= 5 and buf[0] == 0x16:
            need = 5 + int.from_bytes(buf[3:5], "big")
        elif len(buf) >= 2 and buf[0] & 0x80:
            need = 2 + (((buf[0] & 0x7F) << 8) | buf[1])
        if len(buf) >= min(need, HELLO_MAX):
            break
        left = end - time.monotonic()
        if left <= 0:
            break
        r, _, _ = select.select([sock], [], [], left)
        if not r:
            break
        chunk = sock.recv(HELLO_MAX - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def usable_suite(suite):
    """Neither a signalling value (renegotiation, fallback) nor GREASE (RFC 8701)."""
    if suite in (0x00FF, 0x5600):
        return False
    return not (suite & 0x0F0F == 0x0A0A and suite >> 8 == suite & 0xFF)


def parse_hello(buf):
    """(client version, [suites]) from a TLS-record or SSLv2-format ClientHello, else None.
    Every length is checked against the bytes present; nothing is trusted."""
    try:
        if len(buf) >= 5 and buf[0] == 0x16:
            body = buf[5:5 + int.from_bytes(buf[3:5], "big")]
            if len(body) < 4 + 2 + 32 + 1 or body[0] != 0x01:
                return None
            version = int.from_bytes(body[4:6], "big")
            pos = 38
            pos += 1 + body[pos]                     # session id
            n = int.from_bytes(body[pos:pos + 2], "big")
            raw = body[pos + 2:pos + 2 + n]
            if n % 2 or len(raw) != n:
                return None
            suites = [int.from_bytes(raw[i:i + 2], "big") for i in range(0, n, 2)]
            return version, suites
        if len(buf) >= 11 and buf[0] & 0x80 and buf[2] == 0x01:
            version = int.from_bytes(buf[3:5], "big")
            n = int.from_bytes(buf[5:7], "big")
            raw = buf[11:11 + n]
            if n % 3 or len(raw) != n:
                return None
            suites = [int.from_bytes(raw[i + 1:i + 3], "big")
                      for i in range(0, n, 3) if raw[i] == 0]
            return version, suites
    except IndexError:
        return None
    return None


def server_hello(version, suites):
    """One handshake record holding a ServerHello that answers (version, suites)."""
    version = max(0x0300, min(version, 0x0303))
    # a suite that exists in the version answered: TLS 1.3 ones (0x13xx) only as a last resort
    usable = [s for s in suites if usable_suite(s)]
    suite = next((s for s in usable if s >> 8 != 0x13), usable[0] if usable else 0x002F)
    ext = b"\xff\x01\x00\x01\x00"                # renegotiation_info, empty
    body = (version.to_bytes(2, "big") + os.urandom(32) + b"\x20" + os.urandom(32) +
            suite.to_bytes(2, "big") + b"\x00" + len(ext).to_bytes(2, "big") + ext)
    hs = b"\x02" + len(body).to_bytes(3, "big") + body
    return b"\x16" + version.to_bytes(2, "big") + len(hs).to_bytes(2, "big") + hs


def serve_afterhello(sock):
    hello = parse_hello(read_hello(sock, 2.0))
    head = server_hello(*hello) if hello else b""
    sock.sendall(head + b"\x00" + os.urandom(GARBAGE_LEN - 1))
    sock.shutdown(socket.SHUT_WR)
    drain(sock, 2.0)


HANDLERS = {
    "garbage": serve_garbage,
    "stall": serve_stall,
    "drip": serve_drip,
    "huge": serve_huge,
    "bigrecord": serve_bigrecord,
    "afterhello": serve_afterhello,
}


def handle(conn, mode, slots):
    try:
        conn.settimeout(10.0)
        HANDLERS[mode](conn)
    except OSError:
        pass
    finally:
        try:
            conn.close()
        finally:
            slots.release()


def parse_listener(spec):
    mode, sep, rest = spec.partition("=")
    if not sep or mode not in MODES:
        raise ValueError("bad listener %r (want MODE=ADDR:PORT, MODE in %s)" % (spec, ", ".join(MODES)))
    addr, sep, port = rest.rpartition(":")
    addr = addr.strip("[]")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("bad address in %r" % spec)
    if not ipaddress.ip_address(addr).is_loopback:
        raise ValueError("refusing non-loopback address %s" % addr)
    return mode, addr, int(port)


def main():
    ap = argparse.ArgumentParser(description="misbehaving loopback servers for certsweep tests")
    ap.add_argument("--pidfile", required=True)
    ap.add_argument("--lifetime", type=float, default=1800.0)
    ap.add_argument("listeners", nargs="+", metavar="MODE=ADDR:PORT")
    args = ap.parse_args()

    socks = {}
    try:
        for spec in args.listeners:
            mode, addr, port = parse_listener(spec)
            family = socket.AF_INET6 if ":" in addr else socket.AF_INET
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((addr, port))
            s.listen(128)
            s.setblocking(False)
            socks[s] = mode
    except (ValueError, OSError) as e:
        print("badserver: %s" % e, file=sys.stderr)
        return 1

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    tmp = args.pidfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % os.getpid())
    os.replace(tmp, args.pidfile)

    slots = threading.BoundedSemaphore(MAX_CONNS)
    deadline = time.monotonic() + args.lifetime
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select(list(socks), [], [], min(left, 1.0))
            for s in ready:
                try:
                    conn, _ = s.accept()
                except OSError:
                    continue
                conn.setblocking(True)
                if not slots.acquire(blocking=False):
                    conn.close()
                    continue
                t = threading.Thread(target=handle, args=(conn, socks[s], slots), daemon=True)
                t.start()
    finally:
        try:
            os.unlink(args.pidfile)
        except OSError:
            pass
    # Daemon threads may still hold connections: end them with the process.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())

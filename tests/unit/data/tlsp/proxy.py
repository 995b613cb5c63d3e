#!/usr/bin/env python3
"""proxy.py LISTEN_PORT UPSTREAM_PORT OUT_PREFIX: relays one TCP connection on 127.0.0.1 and
saves what each side sent: OUT_PREFIX.c2s (client to server) and OUT_PREFIX.s2c."""
import select
import socket
import sys

listen_port, upstream_port, prefix = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", listen_port))
ls.listen(1)
print("ready", flush=True)
cli, _ = ls.accept()
srv = socket.create_connection(("127.0.0.1", upstream_port))
data = {cli: bytearray(), srv: bytearray()}
peer = {cli: srv, srv: cli}
open_ = {cli, srv}
while open_:
    readable, _, _ = select.select(list(open_), [], [], 10)
    if not readable:
        break
    for s in readable:
        chunk = s.recv(65536)
        if not chunk:
            open_.discard(s)
            try:
                peer[s].shutdown(socket.SHUT_WR)
            except OSError:
                pass
            continue
        data[s] += chunk
        peer[s].sendall(chunk)
with open(prefix + ".c2s", "wb") as f:
    f.write(data[cli])
with open(prefix + ".s2c", "wb") as f:
    f.write(data[srv])

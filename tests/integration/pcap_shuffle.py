#!/usr/bin/env python3
"""pcap_shuffle.py: rewrites one TCP connection of a classic pcap file so that the server's
data arrives split, out of order, duplicated and with an overlapping retransmission, for
tests/integration/test_sniff.sh (passive reassembly must give the same results).

    python3 pcap_shuffle.py IN.pcap OUT.pcap --server-port P --client-port C [--chunk N]

Input: a classic pcap (either byte order, micro- or nanosecond timestamps) of link type
Ethernet (what `tcpdump -i lo` writes), full packets (snaplen not cutting the connection).
Only the server's first flight is changed: the server->client segments with data of the
connection between client port C and server port P, from the first one up to the next one
the client sends with data (ServerHello .. ServerHelloDone in TLS 1.2); every other packet is
copied as it is. Those segments are first split into chunks of at most N payload bytes
(default 200; sequence numbers, IP lengths and the IP and TCP checksums fixed), then written,
in place of the first of them, in this order (c0, c1, ... the chunks in stream order):

    c1 c0 c0 c2 c4 c3 X c5 c6 c6 c8 c7 c9 c10 ...

where X is a retransmission overlapping the second half of c3 and the first half of c5 (sent
before c5 itself arrives). --drop leaves c7 out (a segment lost for good). With fewer than 9
chunks the script fails (the test wants a certificate message spread over several segments).
Prints one line: what it did.
Exit status: 0 written, 1 the connection is not in the file or too short, 2 bad input.
"""
import argparse
import struct
import sys

ETH_LEN = 14
ETH_IPV4 = 0x0800
ETH_IPV6 = 0x86DD
LINKTYPE_ETHERNET = 1
PROTO_TCP = 6


class BadInput(Exception):
    pass


def read_pcap(path):
    """(endian, global header bytes, [(ts_sec, ts_frac, orig_len, data)])"""
    with open(path, 'rb') as f:
        raw = f.read()
    if len(raw) < 24:
        raise BadInput('%s: too short for a pcap header' % path)
    magic = raw[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        endian = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        endian = '>'
    else:
        raise BadInput('%s: not a classic pcap file' % path)
    (linktype,) = struct.unpack(endian + 'I', raw[20:24])
    if linktype & 0xFFFF != LINKTYPE_ETHERNET:
        raise BadInput('%s: link type %d, only Ethernet (1) is handled' % (path, linktype))
    packets = []
    off = 24
    while off < len(raw):
        if off + 16 > len(raw):
            raise BadInput('%s: truncated record header at %d' % (path, off))
        ts_sec, ts_frac, incl, orig = struct.unpack(endian + 'IIII', raw[off:off + 16])
        off += 16
        if off + incl > len(raw):
            raise BadInput('%s: truncated packet at %d' % (path, off))
        packets.append((ts_sec, ts_frac, orig, raw[off:off + incl]))
        off += incl
    return endian, raw[:24], packets


def write_pcap(path, endian, header, packets):
    with open(path, 'wb') as f:
        f.write(header)
        for ts_sec, ts_frac, orig, data in packets:
            f.write(struct.pack(endian + 'IIII', ts_sec, ts_frac, len(data), max(orig, len(data))))
            f.write(data)


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Seg:
    """A decoded Ethernet/IP/TCP frame: header bytes kept to rebuild it with another payload."""

    def __init__(self, data):
        if len(data) < ETH_LEN:
            raise ValueError('short frame')
        (etype,) = struct.unpack('!H', data[12:14])
        self.eth = data[:ETH_LEN]
        ip = data[ETH_LEN:]
        if etype == ETH_IPV4:
            ihl = (ip[0] & 0x0F) * 4
            if ip[0] >> 4 != 4 or ihl < 20 or ip[9] != PROTO_TCP or len(ip) < ihl + 20:
                raise ValueError('not IPv4 TCP')
            (total,) = struct.unpack('!H', ip[2:4])
            self.v6 = False
            self.iphdr = ip[:ihl]
            tcp = ip[ihl:total]
            self.src, self.dst = ip[12:16], ip[16:20]
        elif etype == ETH_IPV6:
            if len(ip) < 40 + 20 or ip[6] != PROTO_TCP:
                raise ValueError('not IPv6 TCP')
            (plen,) = struct.unpack('!H', ip[4:6])
            self.v6 = True
            self.iphdr = ip[:40]
            tcp = ip[40:40 + plen]
            self.src, self.dst = ip[8:24], ip[24:40]
        else:
            raise ValueError('not IP')
        thl = (tcp[12] >> 4) * 4
        if thl < 20 or len(tcp) < thl:
            raise ValueError('bad TCP header')
        self.sport, self.dport, self.seq = struct.unpack('!HHI', tcp[:8])
        self.tcphdr = tcp[:thl]
        self.payload = tcp[thl:]

    def build(self, seq, payload):
        """The frame with this sequence number and payload, lengths and checksums fixed."""
        tcp = bytearray(self.tcphdr)
        struct.pack_into('!I', tcp, 4, seq & 0xFFFFFFFF)
        struct.pack_into('!H', tcp, 16, 0)
        seglen = len(tcp) + len(payload)
        if self.v6:
            pseudo = self.src + self.dst + struct.pack('!IxxxB', seglen, PROTO_TCP)
        else:
            pseudo = self.src + self.dst + struct.pack('!xBH', PROTO_TCP, seglen)
        struct.pack_into('!H', tcp, 16, csum(pseudo + bytes(tcp) + payload))
        ip = bytearray(self.iphdr)
        if self.v6:
            struct.pack_into('!H', ip, 4, seglen)
        else:
            struct.pack_into('!H', ip, 2, len(ip) + seglen)
            struct.pack_into('!H', ip, 10, 0)
            struct.pack_into('!H', ip, 10, csum(bytes(ip)))
        return self.eth + bytes(ip) + bytes(tcp) + payload


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('inp')
    ap.add_argument('out')
    ap.add_argument('--server-port', type=int, required=True)
    ap.add_argument('--client-port', type=int, required=True)
    ap.add_argument('--chunk', type=int, default=200)
    ap.add_argument('--drop', action='store_true', help='leave c7 out: a lost segment')
    a = ap.parse_args()
    if a.chunk < 16:
        print('pcap_shuffle: --chunk must be at least 16', file=sys.stderr)
        return 2
    try:
        endian, header, packets = read_pcap(a.inp)
    except (OSError, BadInput) as e:
        print('pcap_shuffle: %s' % e, file=sys.stderr)
        return 2

    # The server's data segments of the connection: their indexes, and the chunks they give.
    picked = []
    chunks = []     # (template Seg, seq, payload, ts_sec, ts_frac, orig_len)
    n_split = 0
    for i, (ts_sec, ts_frac, orig, data) in enumerate(packets):
        try:
            s = Seg(data)
        except (ValueError, IndexError, struct.error):
            continue
        if picked and s.sport == a.client_port and s.dport == a.server_port and s.payload:
            break   # the client answered: the server's first flight is complete
        if s.sport != a.server_port or s.dport != a.client_port or not s.payload:
            continue
        if orig != len(data):
            print('pcap_shuffle: packet %d is cut by the snap length' % (i + 1), file=sys.stderr)
            return 2
        picked.append(i)
        pieces = range(0, len(s.payload), a.chunk)
        if len(pieces) > 1:
            n_split += 1
        for off in pieces:
            chunks.append((s, s.seq + off, s.payload[off:off + a.chunk], ts_sec, ts_frac))
    if len(chunks) < 9:
        print('pcap_shuffle: %d server data chunks on port %d -> %d, need at least 9'
              % (len(chunks), a.server_port, a.client_port), file=sys.stderr)
        return 1

    def frame(k):
        s, seq, payload, ts_sec, ts_frac = chunks[k]
        return (ts_sec, ts_frac, 0, s.build(seq, payload))

    # X: from the middle of c3 to the middle of c5, one segment.
    s3, seq3, p3 = chunks[3][:3]
    s5, seq5, p5 = chunks[5][:3]
    x_start = seq3 + len(p3) // 2
    x_end = seq5 + len(p5) // 2
    stream = b''.join(c[2] for c in chunks[3:6])
    x_payload = stream[x_start - seq3:x_end - seq3]
    order = [1, 0, 0, 2, 4, 3, 'X', 5, 6, 6, 8, 7] + list(range(9, len(chunks)))
    if a.drop:
        order.remove(7)
    out_frames = []
    for k in order:
        if k == 'X':
            out_frames.append((chunks[3][3], chunks[3][4], 0, s3.build(x_start, x_payload)))
        else:
            out_frames.append(frame(k))

    result = []
    for i, p in enumerate(packets):
        if i == picked[0]:
            result.extend(out_frames)
        elif i not in picked:
            result.append(p)
    write_pcap(a.out, endian, header, result)
    print('pcap_shuffle: %d server segments (%d split) -> %d chunks, written as %d segments: '
          '2 pairs swapped, 2 duplicated, 1 overlapping retransmission of %d bytes%s'
          % (len(picked), n_split, len(chunks), len(out_frames), len(x_payload),
             ', c7 left out' if a.drop else ''))
    return 0


if __name__ == '__main__':
    sys.exit(main())

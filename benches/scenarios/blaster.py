#!/usr/bin/env python3
"""A BGP source that is never the bottleneck (stdlib only, loopback only): listens on
ADDR:PORT as AS 65001, takes one session, and once it is Established writes N IPv4 /24s
(10.0.0.0 up, next hop 192.0.2.1, about 1000 prefixes per 4096-byte UPDATE, all prebuilt)
and an End-of-RIB in one go. Then it reads and discards, sending KEEPALIVEs, until SIGTERM,
the peer closes, or MAX_SECONDS.

usage: blaster.py ADDR PORT N OUT MAX_SECONDS

Writes OUT.listening once bound, and OUT: `est=<t> first=<t> sent=<t> updates=<n>` (wall
clock: Established, first byte of the first UPDATE written, last byte written).
BIRD as a source sometimes pauses about 3 s in the middle of its table; this one does not.
"""
import ipaddress
import os
import select
import signal
import socket
import struct
import sys
import time

stop = False


def on_term(_sig, _frm):
    global stop
    stop = True


def msg(typ, body):
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), typ) + body


def open_msg():
    caps = bytes([1, 4, 0, 1, 0, 1]) + bytes([65, 4]) + struct.pack("!I", 65001)
    params = bytes([2, len(caps)]) + caps
    return msg(1, struct.pack("!BHH4sB", 4, 65001, 240, socket.inet_aton("10.255.0.8"), len(params)) + params)


KEEPALIVE = msg(4, b"")


def updates(n):
    attrs = bytes([0x40, 1, 1, 0])                                   # ORIGIN IGP
    attrs += bytes([0x40, 2, 6, 2, 1]) + struct.pack("!I", 65001)    # AS_PATH 65001 (4-octet)
    attrs += bytes([0x40, 3, 4]) + socket.inet_aton("192.0.2.1")     # NEXT_HOP
    per = (4096 - 19 - 4 - len(attrs)) // 4
    base = int(ipaddress.IPv4Address("10.0.0.0")) >> 8
    out = []
    for start in range(0, n, per):
        nlri = b"".join(b"\x18" + (base + i).to_bytes(3, "big") for i in range(start, min(n, start + per)))
        out.append(msg(2, struct.pack("!HH", 0, len(attrs)) + attrs + nlri))
    out.append(msg(2, struct.pack("!HH", 0, 0)))                     # End-of-RIB
    return out


def write_atomic(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def read_msgs(conn, buf):
    """Read what is there; return (list of message types, rest, closed)."""
    try:
        data = conn.recv(1 << 16)
    except BlockingIOError:
        return [], buf, False
    if not data:
        return [], buf, True
    buf += data
    types = []
    while len(buf) >= 19:
        ln = (buf[16] << 8) | buf[17]
        if len(buf) < ln:
            break
        types.append(buf[18])
        buf = buf[ln:]
    return types, buf, False


def main():
    addr, port, n, out, max_s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
    signal.signal(signal.SIGTERM, on_term)
    deadline = time.monotonic() + max_s
    blob = b"".join(updates(n))
    count = blob.count(b"\xff" * 16) - 1
    ls = socket.socket()
    ls.bind((addr, port))
    ls.listen(1)
    ls.settimeout(0.5)
    write_atomic(out + ".listening", "%d\n" % port)
    conn = None
    while not stop and conn is None and time.monotonic() < deadline:
        try:
            conn, _ = ls.accept()
        except socket.timeout:
            pass
    ls.close()
    if conn is None:
        return 1
    conn.sendall(open_msg())
    conn.setblocking(False)
    buf = b""
    est = first = sent = None
    got_open = closed = False
    next_ka = time.monotonic() + 30
    while not stop and not closed and time.monotonic() < deadline:
        r, _, _ = select.select([conn], [], [], 0.2)
        if r:
            types, buf, closed = read_msgs(conn, buf)
            for t in types:
                if t == 1 and not got_open:
                    got_open = True
                    conn.setblocking(True)
                    conn.sendall(KEEPALIVE)
                    conn.setblocking(False)
                elif t == 4 and got_open and est is None:
                    est = time.time()
                    conn.setblocking(True)
                    first = time.time()
                    conn.sendall(blob)
                    sent = time.time()
                    conn.setblocking(False)
                    write_atomic(out, "est=%.6f first=%.6f sent=%.6f updates=%d\n" % (est, first, sent, count))
                elif t == 3:
                    closed = True
        if time.monotonic() >= next_ka:
            try:
                conn.setblocking(True)
                conn.sendall(KEEPALIVE)
                conn.setblocking(False)
            except OSError:
                closed = True
            next_ka = time.monotonic() + 30
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Minimal passive BGP sink for the churn scenario (stdlib only, loopback only).

Accepts one session on ADDR:PORT (AS 65001, 4-octet AS, IPv4 unicast), answers OPEN and
KEEPALIVEs, and for every UPDATE records the arrival time and the MED, which the API helper
set to its send time in ms modulo 2**31: latency = arrival - MED.

usage: churn_sink.py ADDR PORT OUT MAX_SECONDS

Writes OUT.listening once bound, OUT.progress (`count=<prefixes> updates=<n> last=<t> up=<t>`) twice a second, and on
SIGTERM (or after MAX_SECONDS, or when the peer closes) writes OUT:
`count=... updates=... p50_ms=... p99_ms=... max_ms=... first=... last=... up=...`
"""
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


def open_msg():
    caps = bytes([1, 4, 0, 1, 0, 1])  # MP ipv4 unicast
    caps += bytes([65, 4]) + struct.pack("!I", 65001)  # 4-octet AS
    params = bytes([2, len(caps)]) + caps
    body = struct.pack("!BHH4sB", 4, 65001, 240, socket.inet_aton("10.255.0.9"), len(params)) + params
    return b"\xff" * 16 + struct.pack("!HB", 19 + len(body), 1) + body


KEEPALIVE = b"\xff" * 16 + struct.pack("!HB", 19, 4)


def nlri_count(buf):
    n = i = 0
    while i < len(buf):
        i += 1 + (buf[i] + 7) // 8
        n += 1
    return n


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def pct(sorted_vals, q):
    if not sorted_vals:
        return "NA"
    return "%d" % sorted_vals[min(len(sorted_vals) - 1, int(q * len(sorted_vals)))]


def main():
    addr, port, out, max_s = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    signal.signal(signal.SIGTERM, on_term)
    deadline = time.monotonic() + max_s
    ls = socket.socket()
    ls.bind((addr, port))
    ls.listen(1)
    write_atomic(out + ".listening", "%d\n" % port)
    ls.settimeout(0.5)
    conn = None
    while not stop and time.monotonic() < deadline and conn is None:
        try:
            conn, _ = ls.accept()
        except socket.timeout:
            pass
    ls.close()
    lat = []
    count = updates = 0
    first = last = up = None
    if conn is not None:
        conn.setblocking(False)
        conn.sendall(open_msg())
        buf = bytearray()
        next_ka = time.monotonic() + 30
        next_prog = 0.0
        closed = False
        while not stop and not closed and time.monotonic() < deadline:
            r, _, _ = select.select([conn], [], [], 0.2)
            now_m = time.monotonic()
            if r:
                try:
                    data = conn.recv(1 << 20)
                except BlockingIOError:
                    data = None
                if data == b"":
                    closed = True
                elif data:
                    t = time.time()
                    tms = int(t * 1000) % (1 << 31)
                    buf += data
                    i = 0
                    while len(buf) - i >= 19:
                        ln = (buf[i + 16] << 8) | buf[i + 17]
                        if len(buf) - i < ln:
                            break
                        typ = buf[i + 18]
                        if typ == 1:
                            conn.setblocking(True)
                            conn.sendall(KEEPALIVE)
                            conn.setblocking(False)
                            up = t
                        elif typ == 2:
                            m = bytes(buf[i + 19:i + ln])
                            wl = (m[0] << 8) | m[1]
                            al = (m[2 + wl] << 8) | m[3 + wl]
                            attrs = m[4 + wl:4 + wl + al]
                            k = nlri_count(m[4 + wl + al:])
                            if k:
                                med = None
                                j = 0
                                while j < len(attrs):
                                    fl, ty = attrs[j], attrs[j + 1]
                                    if fl & 0x10:
                                        alen = (attrs[j + 2] << 8) | attrs[j + 3]
                                        j += 4
                                    else:
                                        alen = attrs[j + 2]
                                        j += 3
                                    if ty == 4 and alen == 4:
                                        med = struct.unpack_from("!I", attrs, j)[0]
                                    j += alen
                                updates += 1
                                count += k
                                if first is None:
                                    first = t
                                last = t
                                if med is not None:
                                    lat.extend([(tms - med) % (1 << 31)] * k)
                        elif typ == 3:
                            closed = True
                        i += ln
                    del buf[:i]
            if now_m >= next_ka:
                try:
                    conn.setblocking(True)
                    conn.sendall(KEEPALIVE)
                    conn.setblocking(False)
                except OSError:
                    closed = True
                next_ka = now_m + 30
            if now_m >= next_prog:
                write_atomic(out + ".progress", "count=%d updates=%d last=%s up=%s\n" % (
                    count, updates, "%.6f" % last if last else "NA", "%.6f" % up if up else "NA"))
                next_prog = now_m + 0.5
        conn.close()
    lat.sort()
    write_atomic(out, "count=%d updates=%d p50_ms=%s p99_ms=%s max_ms=%s first=%s last=%s up=%s\n" % (
        count, updates, pct(lat, 0.50), pct(lat, 0.99), lat[-1] if lat else "NA",
        "%.6f" % first if first else "NA", "%.6f" % last if last else "NA",
        "%.6f" % up if up else "NA"))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""API helper for api-originate and churn: waits until the speaker reports the session up
(neighbor-changes; text `neighbor X up` or JSON `"state": "up"`), then prints commands, then
reads stdin until EOF so the speaker never blocks on a full pipe.

usage: announcer.py file PATH
         copy PATH (commands prepared beforehand, e.g. by `gen.py api`) to stdout in 1 MB
         writes: the helper costs next to nothing, so it never bounds a fast speaker
       announcer.py bulk N NEXT_HOP [RATE]
         `announce route P next-hop NH` for N /24s from 10.0.0.0 (RATE lines/s, 0 = unbounded)
       announcer.py churn RATE SECONDS POOL NEXT_HOP LOG
         for SECONDS, RATE updates/s cycling over POOL /24s: `announce route P next-hop NH
         med M` where M is the send time in ms modulo 2**31 (the sink derives the latency
         from it); appends `sent=<count> start=<t> end=<t>` to LOG at the end.
"""
import ipaddress
import shutil
import sys
import time


def wait_up(stdin):
    for line in stdin:
        if b"up" in line and (b'"state": "up"' in line or line.rstrip().endswith(b" up")):
            return True
    return False


def bulk(n, nh, rate):
    out = sys.stdout
    start = time.monotonic()
    base = int(ipaddress.IPv4Address("10.0.0.0"))
    fmt = "announce route %s/24 next-hop " + nh + "\n"
    for i in range(n):
        out.write(fmt % ipaddress.IPv4Address(base + (i << 8)))
        if rate > 0 and i % 100 == 99:
            out.flush()
            ahead = (i + 1) / rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
    out.flush()


def churn(rate, seconds, pool, nh, log):
    out = sys.stdout
    base = int(ipaddress.IPv4Address("10.0.0.0"))
    pfx = ["%s/24" % ipaddress.IPv4Address(base + (i << 8)) for i in range(pool)]
    start_wall = time.time()
    start = time.monotonic()
    sent = 0
    batch = max(1, int(rate // 100))  # write in 10 ms batches
    while True:
        el = time.monotonic() - start
        if el >= seconds:
            break
        due = int(el * rate) + batch
        ms = int(time.time() * 1000) % (1 << 31)
        while sent < due:
            out.write("announce route %s next-hop %s med %d\n" % (pfx[sent % pool], nh, ms))
            sent += 1
        out.flush()
        ahead = sent / rate - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
    with open(log, "a") as f:
        f.write("sent=%d start=%.6f end=%.6f\n" % (sent, start_wall, time.time()))


def main():
    stdin = sys.stdin.buffer
    if not wait_up(stdin):
        return
    mode = sys.argv[1]
    if mode == "file":
        with open(sys.argv[2], "rb") as f:
            shutil.copyfileobj(f, sys.stdout.buffer, 1 << 20)
        sys.stdout.buffer.flush()
    elif mode == "bulk":
        bulk(int(sys.argv[2]), sys.argv[3], float(sys.argv[4]) if len(sys.argv) > 4 else 0.0)
    elif mode == "churn":
        churn(float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6])
    else:
        sys.exit("unknown mode " + mode)
    for _ in stdin:
        pass


if __name__ == "__main__":
    main()

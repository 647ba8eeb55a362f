#!/usr/bin/env python3
"""API consumer for the receive scenario: reads ExaBGP-style JSON events on stdin, counts
announced prefixes, and writes `first=<t> done=<t> count=<n>` (wall-clock seconds) to OUT
once N prefixes have been read (and again at EOF if N was never reached).

usage: consumer.py OUT N

It keeps reading until EOF so the speaker never blocks on a full pipe.
"""
import json
import os
import sys
import time


def count_announce(msg):
    upd = msg.get("neighbor", {}).get("message", {}).get("update", {})
    n = 0
    for fam in upd.get("announce", {}).values():
        for nlris in fam.values():
            n += len(nlris)
    return n


def write(out, first, done, count):
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write("first=%s done=%s count=%d\n" % (first, done, count))
    os.replace(tmp, out)


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    count = 0
    first = None
    reported = False
    stdin = sys.stdin.buffer
    for line in stdin:
        if b'"announce"' not in line:
            continue
        if first is None:
            first = "%.6f" % time.time()
        # fast path: one "nlri" key per announced prefix and no withdrawal in the line
        k = line.count(b'"nlri"')
        if k and b'"withdraw"' not in line:
            count += k
        else:
            try:
                count += count_announce(json.loads(line))
            except (ValueError, AttributeError):
                pass
        if not reported and count >= n:
            write(out, first, "%.6f" % time.time(), count)
            reported = True
    if not reported:
        write(out, first or "NA", "NA", count)


if __name__ == "__main__":
    main()

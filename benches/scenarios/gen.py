#!/usr/bin/env python3
"""Input generators for the ferrobgp scenario benchmarks (stdlib only).

Every scenario announces N distinct IPv4 /24s, contiguous from a base address
(default 10.0.0.0; N = 1M ends at 25.66.63.0/24). These are prefixes inside BGP
messages on loopback sessions only: no packet is ever sent to them.

  gen.py blocks N [BASE]                 aligned aggregates covering the N /24s
  gen.py exabgp-static N NH [FORM] [BASE] `route ...;` lines for a static block
                                         FORM: split (default) | list
  gen.py bird-static N [BASE]            `route P unreachable;` lines
  gen.py mrt N FILE NH [BASE]            MRT TABLE_DUMP_V2 file for `gobgp mrt inject`
  gen.py api N NH [RATE] [BASE]          `announce route ...` lines on stdout
"""
import ipaddress
import struct
import sys
import time

DEFAULT_BASE = "10.0.0.0"


def base_int(base):
    return int(ipaddress.IPv4Address(base))


def prefixes(n, base=DEFAULT_BASE):
    b = base_int(base)
    for i in range(n):
        yield "%s/24" % ipaddress.IPv4Address(b + (i << 8))


def blocks(n, base=DEFAULT_BASE, max_k=16):
    """Cover n contiguous /24s from base with the fewest aligned prefixes of at most 2**max_k
    /24s each (16: a /8, 65,536 /24s, the most ferrobgp expands from one `split` line).

    Yields (prefix_string, k): a /(24-k) holding 2**k /24s.
    """
    b = base_int(base) >> 8
    off = 0
    while off < n:
        k = 0
        while k < max_k and (b + off) % (1 << (k + 1)) == 0 and off + (1 << (k + 1)) <= n:
            k += 1
        net = ipaddress.IPv4Network(((b + off) << 8, 24 - k))
        yield str(net), k
        off += 1 << k


def cmd_blocks(args):
    n = int(args[0])
    for p, k in blocks(n, *args[1:2]):
        print(p, 1 << k)


def cmd_exabgp_static(args):
    n, nh = int(args[0]), args[1]
    form = args[2] if len(args) > 2 else "split"
    base = args[3] if len(args) > 3 else DEFAULT_BASE
    out = sys.stdout
    if form == "split":
        for p, k in blocks(n, base):
            if k == 0:
                out.write("route %s next-hop %s;\n" % (p, nh))
            else:
                out.write("route %s next-hop %s split /24;\n" % (p, nh))
    else:
        for p in prefixes(n, base):
            out.write("route %s next-hop %s;\n" % (p, nh))


def cmd_bird_static(args):
    n = int(args[0])
    base = args[1] if len(args) > 1 else DEFAULT_BASE
    w = sys.stdout.write
    for p in prefixes(n, base):
        w("route %s unreachable;\n" % p)


def cmd_mrt(args):
    n, path, nh = int(args[0]), args[1], args[2]
    base = args[3] if len(args) > 3 else DEFAULT_BASE
    now = int(time.time())
    nh_b = ipaddress.IPv4Address(nh).packed
    # ORIGIN IGP, empty AS_PATH (GoBGP prepends its own AS on eBGP), NEXT_HOP
    attrs = bytes([0x40, 1, 1, 0]) + bytes([0x40, 2, 0]) + bytes([0x40, 3, 4]) + nh_b
    with open(path, "wb") as f:
        # PEER_INDEX_TABLE: collector id, empty view name, one peer (IPv4, AS4)
        body = ipaddress.IPv4Address("10.255.255.1").packed + struct.pack("!H", 0)
        body += struct.pack("!H", 1)
        body += bytes([0x02]) + ipaddress.IPv4Address("10.255.255.2").packed
        body += ipaddress.IPv4Address("192.0.2.1").packed + struct.pack("!I", 65099)
        f.write(struct.pack("!IHHI", now, 13, 1, len(body)) + body)
        b = base_int(base)
        entry = struct.pack("!HIH", 0, now, len(attrs)) + attrs
        hdr = struct.Struct("!IHHI")
        for i in range(n):
            rib = struct.pack("!IB", i, 24) + ((b + (i << 8)) >> 8).to_bytes(3, "big")
            rib += struct.pack("!H", 1) + entry
            f.write(hdr.pack(now, 13, 2, len(rib)) + rib)


def cmd_api(args):
    """Print `announce route` lines; RATE (lines/s, 0 = as fast as possible)."""
    n, nh = int(args[0]), args[1]
    rate = float(args[2]) if len(args) > 2 else 0.0
    base = args[3] if len(args) > 3 else DEFAULT_BASE
    out = sys.stdout
    start = time.monotonic()
    for i, p in enumerate(prefixes(n, base)):
        out.write("announce route %s next-hop %s\n" % (p, nh))
        if rate > 0 and i % 100 == 99:
            out.flush()
            ahead = (i + 1) / rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
    out.flush()


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        sys.exit(2)
    cmds = {
        "blocks": cmd_blocks,
        "exabgp-static": cmd_exabgp_static,
        "bird-static": cmd_bird_static,
        "mrt": cmd_mrt,
        "api": cmd_api,
    }
    cmd = cmds.get(sys.argv[1])
    if cmd is None:
        sys.stderr.write(__doc__)
        sys.exit(2)
    cmd(sys.argv[2:])


if __name__ == "__main__":
    main()

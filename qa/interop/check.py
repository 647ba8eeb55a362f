#!/usr/bin/env python3
"""Checks of the interop runner: what BIRD, GoBGP and ferrobgp's API helper received.

  check.py routes bird|gobgp FILE          print the routes of FILE normalised (debugging)
  check.py has bird|gobgp FILE PREFIX [K=V...]   0 when PREFIX is there with those attributes
  check.py absent bird|gobgp FILE PREFIX   0 when PREFIX is not there
  check.py flow bird|gobgp FILE TEXT...    0 when a flow route's text holds every TEXT and the
                                           route has traffic-rate 0 (discard)
  check.py json FILE FAMILY PREFIX [K=V...]  0 when the helper's JSON lines announce PREFIX
                                             (FAMILY e.g. "ipv4 unicast") with those attributes
  check.py json-absent FILE FAMILY PREFIX    0 when the JSON lines withdrew PREFIX (or never had it)

FILE is `birdc show route all` output or `gobgp ... adj-in -j` output. Attribute keys:
med, local-pref, as-path ("65100 65200"), community ("65000:1 65000:2", compared sorted),
next-hop; K= (empty) means "absent". On a mismatch it prints what it found, for the log.
"""
import json
import re
import sys


def norm_communities(items):
    return " ".join(sorted(items, key=lambda c: tuple(int(x) for x in c.split(":"))))


def parse_bird(text):
    routes, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"^([0-9a-fA-F:.]+/\d+)\s", line)
        if m:
            cur = routes.setdefault(m.group(1), {})
            continue
        if cur is None:
            continue
        m = re.match(r"^\s+BGP\.(\w+):\s*(.*)$", line)
        if not m:
            continue
        key, val = m.group(1), m.group(2).strip()
        if key == "med":
            cur["med"] = val
        elif key == "local_pref":
            cur["local-pref"] = val
        elif key == "as_path":
            cur["as-path"] = " ".join(val.split())
        elif key == "next_hop":
            cur["next-hop"] = val.split()[0]
        elif key == "community":
            cur["community"] = norm_communities(["%s:%s" % p for p in re.findall(r"\((\d+),(\d+)\)", val)])
        elif key == "origin":
            cur["origin"] = val.lower()
    return routes


def gobgp_attrs(path):
    out = {}
    for a in path.get("attrs", []):
        t = a.get("type")
        if t == 1:
            out["origin"] = {0: "igp", 1: "egp", 2: "incomplete"}.get(a.get("value"), str(a.get("value")))
        elif t == 2:
            asns = []
            for seg in a.get("as_paths", []):
                asns += [str(x) for x in seg.get("asns", [])]
            out["as-path"] = " ".join(asns)
        elif t == 3:
            out["next-hop"] = a.get("nexthop")
        elif t == 4:
            out["med"] = str(a.get("metric"))
        elif t == 5:
            out["local-pref"] = str(a.get("value"))
        elif t == 8:
            out["community"] = norm_communities(["%d:%d" % (c >> 16, c & 0xFFFF) for c in a.get("communities", [])])
        elif t == 14 and "nexthop" in a:
            out["next-hop"] = a.get("nexthop")
    return out


def parse_gobgp(text):
    text = text.strip()
    if not text:
        return {}
    data = json.loads(text)
    routes = {}
    if isinstance(data, dict):
        for prefix, paths in data.items():
            if paths:
                routes[prefix] = gobgp_attrs(paths[0])
    elif isinstance(data, list):
        for dest in data:
            for path in dest.get("paths", [dest]):
                prefix = path.get("nlri", {}).get("prefix") or dest.get("prefix")
                if prefix:
                    routes[prefix] = gobgp_attrs(path)
    return routes


def load(kind, path):
    with open(path) as f:
        text = f.read()
    return parse_bird(text) if kind == "bird" else parse_gobgp(text)


def want(pairs):
    out = {}
    for p in pairs:
        k, _, v = p.partition("=")
        out[k] = norm_communities(v.split()) if k == "community" else " ".join(v.split())
    return out


def compare(found, expected, what):
    # K= (empty value) means the attribute must be absent
    bad = [k for k, v in expected.items() if (k in found if v == "" else str(found.get(k)) != v)]
    if bad:
        print("%s: %s" % (what, "; ".join("%s: want %r got %r" % (k, expected[k], found.get(k)) for k in bad)))
        return 1
    return 0


def json_routes(path, family):
    """prefix -> attributes of the last announce of each prefix (withdraws remove it)."""
    routes = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            update = msg.get("neighbor", {}).get("message", {}).get("update")
            if not update:
                continue
            attr = update.get("attribute", {})
            norm = {}
            for k in ("med", "local-preference", "origin"):
                if k in attr:
                    norm["local-pref" if k == "local-preference" else k] = str(attr[k])
            if "as-path" in attr:
                path_ = attr["as-path"]
                if isinstance(path_, dict):  # ExaBGP 5: {"0": {"element": ..., "value": [...]}}
                    asns = []
                    for seg in path_.values():
                        asns += [str(x) for x in seg.get("value", [])]
                    norm["as-path"] = " ".join(asns)
                else:
                    norm["as-path"] = " ".join(str(x) for x in path_)
            if "community" in attr:
                norm["community"] = norm_communities(["%d:%d" % tuple(c) for c in attr["community"]])
            for nh, nlris in update.get("announce", {}).get(family, {}).items():
                for n in nlris:
                    prefix = n.get("nlri") if isinstance(n, dict) else n
                    routes[prefix] = dict(norm, **{"next-hop": nh})
            for n in update.get("withdraw", {}).get(family, []):
                prefix = n.get("nlri") if isinstance(n, dict) else n
                routes.pop(prefix, None)
    return routes


def flow_routes(kind, path):
    """[(text of the flow route, [its extended communities as (type, subtype, rate)])]."""
    with open(path) as f:
        text = f.read()
    out = []
    if kind == "bird":
        # "flow4 { dst 10.99.0.0/24; proto 6; dport 80; }  [fb ...] * (100) [i]" then attributes
        for line in text.splitlines():
            if line.startswith("flow"):
                out.append((line, []))
            elif out and "BGP.ext_community:" in line:
                for hi, lo in re.findall(r"\(generic, (0x[0-9a-f]+), (0x[0-9a-f]+)\)", line):
                    hi = int(hi, 16)
                    out[-1][1].append((hi >> 24, (hi >> 16) & 0xFF, int(lo, 16)))
        return out
    # GoBGP keys a flow route by its text: "[destination: 10.99.0.0/24][protocol: ==tcp]..."
    data = json.loads(text) if text.strip() else {}
    for key, paths in data.items():
        ext = []
        for a in (paths[0].get("attrs", []) if paths else []):
            if a.get("type") == 16:
                ext += [(e.get("type"), e.get("subtype"), e.get("rate")) for e in a.get("value", [])]
        out.append((key, ext))
    return out


def check_flow(kind, path, texts):
    routes = flow_routes(kind, path)
    for key, ext in routes:
        if not all(t in key for t in texts):
            continue
        # discard = traffic-rate 0: extended community type 0x80, subtype 6, rate 0.0
        if any(t == 0x80 and st == 6 and rate == 0 for t, st, rate in ext):
            return 0
        print("flow route %s lacks traffic-rate 0 (discard): %s" % (key, ext))
        return 1
    print("no flow route with %s; got %s" % (" ".join(texts), "; ".join(k for k, _ in routes) or "none"))
    return 1


def main(argv):
    cmd = argv[1]
    if cmd == "routes":
        print(json.dumps(load(argv[2], argv[3]), indent=1, sort_keys=True))
        return 0
    if cmd in ("has", "absent"):
        routes = load(argv[2], argv[3])
        prefix = argv[4]
        if cmd == "absent":
            if prefix in routes:
                print("%s still there: %s" % (prefix, routes[prefix]))
                return 1
            return 0
        if prefix not in routes:
            print("%s missing; routes: %s" % (prefix, " ".join(sorted(routes)) or "none"))
            return 1
        return compare(routes[prefix], want(argv[5:]), prefix)
    if cmd == "flow":
        return check_flow(argv[2], argv[3], argv[4:])
    if cmd == "json-absent":
        routes = json_routes(argv[2], argv[3])
        if argv[4] in routes:
            print("%s not withdrawn in the helper's JSON" % argv[4])
            return 1
        return 0
    if cmd == "json":
        routes = json_routes(argv[2], argv[3])
        prefix = argv[4]
        if prefix not in routes:
            print("%s missing from the helper's JSON; got %s" % (prefix, " ".join(sorted(routes)) or "nothing"))
            return 1
        return compare(routes[prefix], want(argv[5:]), prefix)
    print(__doc__)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (OSError, ValueError, IndexError) as e:
        print("check.py: %s" % e)
        sys.exit(1)

#!/usr/bin/env python3
"""Median of the result lines written by the scenario scripts, as Markdown tables.

usage: summarize.py RESULTS_FILE [--plot PNG]

Groups lines by (scenario, impl, loop, n and the scenario's shape: peers, routes_per_peer)
and prints, per group, the number of successful runs and the median of every numeric
field (bytes_per_route: peak RSS minus that of the same implementation's n=0 run, over n) (the median of `seconds` picks the run whose other figures are shown for
est_s/xfer_s-style splits too, so a row is one real run). With --plot, draws routes/s
per implementation (needs matplotlib; skipped with a message otherwise).
"""
import statistics
import sys
from collections import OrderedDict

KEYS = ("scenario", "impl", "loop", "n", "peers", "routes_per_peer")
SHOW = ["seconds", "routes_per_s", "rss_mb", "est_s", "xfer_s", "first_route_s", "after_est_s", "first_s",
        "offered_per_s", "delivered", "p50_ms", "p99_ms", "rss_start_mb", "rss_end_mb",
        "bytes_per_route", "cpu_s", "helper_cpu_s", "sink_cpu_s", "source_cpu_s"]


def parse(path):
    rows = []
    with open(path) as f:
        for line in f:
            d = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
            if "scenario" in d:
                rows.append(d)
    return rows


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    plot = None
    if "--plot" in args:
        i = args.index("--plot")
        plot = args[i + 1]
        del args[i:i + 2]
    rows = parse(args[0])
    groups = OrderedDict()
    for r in rows:
        groups.setdefault(tuple(r.get(k, "") for k in KEYS), []).append(r)
    # bytes per route: (median peak RSS at n - median peak RSS of the idle run, n = 0) / n
    idle = {}
    for key, runs in groups.items():
        vals = [num(r.get("rss_mb")) for r in runs if num(r.get("seconds")) is not None]
        vals = [v for v in vals if v is not None]
        if key[3] == "0" and vals:
            idle[key[:3] + key[4:]] = statistics.median(vals)
    for key, runs in groups.items():
        base = idle.get(key[:3] + key[4:])
        n = num(key[3])
        if base is not None and n:
            for r in runs:
                if num(r.get("rss_mb")) is not None:
                    r["bytes_per_route"] = "%.0f" % ((num(r["rss_mb"]) - base) * 1048576 / n)
    by_scen = OrderedDict()
    for key, runs in groups.items():
        by_scen.setdefault(key[0], []).append((key, runs))
    medians = []
    for scen, items in by_scen.items():
        cols = [c for c in SHOW if any(c in r for _, runs in items for r in runs)]
        print("\n### %s\n" % scen)
        print("| impl | loop | n | runs ok/all | " + " | ".join(cols) + " |")
        print("|---|---|---|---|" + "---|" * len(cols))
        for key, runs in items:
            ok = [r for r in runs if num(r.get("seconds")) is not None]
            n = key[3] + (" (%s x %s)" % (key[4], key[5]) if key[4] else "")
            if not ok:
                print("| %s | %s | %s | 0/%d |" % (key[1], key[2], n, len(runs)) + " fail |" * len(cols))
                continue
            ok.sort(key=lambda r: num(r["seconds"]))
            med = ok[(len(ok) - 1) // 2]
            cells = []
            for c in cols:
                vals = [num(r.get(c)) for r in ok if num(r.get(c)) is not None]
                if c in ("est_s", "xfer_s", "first_route_s", "after_est_s", "first_s"):
                    cells.append(med.get(c, "-"))
                elif vals:
                    m = statistics.median(vals)
                    cells.append(("%.3f" % m).rstrip("0").rstrip(".") if m != int(m) else "%d" % m)
                else:
                    cells.append("-")
            print("| %s | %s | %s | %d/%d | " % (key[1], key[2], n, len(ok), len(runs)) + " | ".join(cells) + " |")
            rps = num(med.get("routes_per_s"))
            if rps:
                medians.append((("%s n=%s" % (scen, key[3]), key[1]), rps))
    if plot:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            sys.stderr.write("no matplotlib: plot skipped (pip install matplotlib)\n")
            return
        labels = ["%s\n%s" % (s, i) for (s, i), _ in medians]
        fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(labels)), 4))
        palette = {"bird": "#2ca02c", "gobgp": "#1f77b4", "exabgp": "#ff7f0e",
                   "ferrobgp-mio": "#d62728", "ferrobgp-tokio": "#9467bd"}
        ax.bar(range(len(labels)), [v for _, v in medians],
               color=[palette.get(i, "#7f7f7f") for (_, i), _ in medians])
        ax.set_xticks(range(len(labels)))
        ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=7)
        ax.set_yscale("log")
        ax.set_ylabel("routes/s (median)")
        fig.tight_layout()
        fig.savefig(plot, dpi=120)


if __name__ == "__main__":
    main()

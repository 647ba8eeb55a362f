#!/usr/bin/env python3
"""Median of the result lines written by the scenario scripts, as Markdown tables.

usage: summarize.py RESULTS_FILE [--plot PNG] [--docs [--into FILE]]

Groups lines by (scenario, impl, loop, n and the scenario's shape: peers, routes_per_peer)
and prints, per group, the number of successful runs and the median of every numeric
field (bytes_per_route: peak RSS minus that of the same implementation's n=0 run, over n) (the median of `seconds` picks the run whose other figures are shown for
est_s/xfer_s-style splits too, so a row is one real run). With --plot, draws routes/s
per implementation (needs matplotlib; skipped with a message otherwise).

--docs prints, instead of the generic tables, the tables of docs/BENCHMARKS.md's "Full run"
section (one per scenario, every implementation side by side, median and range of the
runs), headed by the machine and versions that run-all.sh wrote to RESULTS_FILE.meta;
--into FILE replaces the block between `<!-- full-run:begin -->` and `<!-- full-run:end -->`
in FILE with it (the lead's paste, done by the script).
"""
import os
import statistics
import sys
from collections import OrderedDict

KEYS = ("scenario", "impl", "loop", "n", "peers", "routes_per_peer")
SHOW = ["seconds", "routes_per_s", "rss_mb", "est_s", "xfer_s", "first_route_s", "after_est_s", "first_s",
        "offered_per_s", "delivered", "pending", "p50_ms", "p99_ms", "rss_start_mb", "rss_mid_mb", "rss_end_mb",
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
    docs = "--docs" in args
    into = None
    if docs:
        args.remove("--docs")
    if "--into" in args:
        i = args.index("--into")
        into = args[i + 1]
        del args[i:i + 2]
    rows = parse(args[0])
    if docs:
        meta = read_meta(args[0] + ".meta")
        png = args[0][:-4] + ".png" if args[0].endswith(".txt") else None
        if into and png and os.path.exists(png):
            meta["plot"] = "benchmarks.png"  # run-all.sh --docs copies it beside FILE
        text = render_docs(rows, meta)
        if into:
            replace_block(into, text)
        else:
            sys.stdout.write(text)
        return
    groups = OrderedDict()
    for r in rows:
        key = [r.get(k, "") for k in KEYS]
        if r.get("scenario") == "churn" and r.get("offered_per_s"):
            # churn's n is what was delivered, different every run: group by the offered rate
            key[3] = "%s/s offered" % r["offered_per_s"]
        groups.setdefault(tuple(key), []).append(r)
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


# --- --docs: the shape of docs/BENCHMARKS.md's "Full run" section ------------------------

BEGIN = "<!-- full-run:begin -->"
END = "<!-- full-run:end -->"
ORDER = ["bird", "gobgp", "exabgp", "ferrobgp-mio", "ferrobgp-tokio"]


def read_meta(path):
    meta = OrderedDict()
    try:
        with open(path) as f:
            for line in f:
                if ":" in line:
                    k, v = line.split(":", 1)
                    meta[k.strip()] = v.strip()
    except OSError:
        pass
    return meta


def impl_name(impl, meta):
    names = {"bird": "BIRD " + meta.get("bird", ""), "gobgp": "GoBGP " + meta.get("gobgp", ""),
             "exabgp": "ExaBGP " + meta.get("exabgp", ""), "ferrobgp-mio": "ferrobgp mio",
             "ferrobgp-tokio": "ferrobgp tokio"}
    return names.get(impl, impl).strip()


def fmt(v, places=3):
    if v is None:
        return ""
    return ("{:,.%df}" % places).format(v)


def size(n):
    n = int(n)
    if n == 0:
        return "0 (idle)"
    if n >= 1000000 and n % 1000000 == 0:
        return "%dM" % (n // 1000000)
    if n >= 1000 and n % 1000 == 0:
        return "%dK" % (n // 1000)
    return str(n)


def cell(runs, key, places=3, spread=False):
    vals = sorted(num(r.get(key)) for r in runs if num(r.get(key)) is not None)
    if not vals:
        return ""
    m = statistics.median(vals)
    out = fmt(m, places)
    if spread and len(vals) > 1:
        out += " (%s–%s)" % (fmt(vals[0], places), fmt(vals[-1], places))
    return out


def median_run(runs):
    ok = sorted(runs, key=lambda r: num(r["seconds"]))
    return ok[(len(ok) - 1) // 2]


def render_docs(rows, meta):
    out = [BEGIN, ""]
    when = meta.get("started", "?")
    out.append("Full run: `%s`, started %s, finished %s (%s min), commit %s, ferrobgp binary %s." % (
        meta.get("command", "benches/scenarios/run-all.sh"), when, meta.get("finished", "?"),
        meta.get("minutes", "?"), meta.get("commit", "?"), meta.get("ferrobgp_bin", "?")))
    if "QUICK=1" in meta.get("command", ""):
        out.append("**A validation pass (`QUICK=1`: N = 10K, small shapes, short churn): it shows the "
                   "shape and that every implementation ran; not figures to quote.**")
    if meta.get("repetition"):
        out.append("Runs per cell: %s." % meta["repetition"])
    if meta.get("note"):
        out.append("Note: %s" % meta["note"])
    if meta.get("plot"):
        out += ["", "![routes/s per implementation, medians, log scale](%s)" % meta["plot"]]
    out += ["", "| | |", "|---|---|"]
    for k in ("machine", "load", "bird", "gobgp", "exabgp", "python", "ferrobgp"):
        if k in meta:
            out.append("| %s | %s |" % (k, meta[k]))
    # bytes/route against the same implementation's idle (n = 0) originate run
    idle = {}
    for r in rows:
        if r.get("scenario") == "originate" and r.get("n") == "0" and num(r.get("rss_mb")) is not None:
            idle.setdefault(r["impl"], []).append(num(r["rss_mb"]))
    idle = {k: statistics.median(v) for k, v in idle.items()}

    def groups(scen, key=lambda r: (r["impl"], int(r.get("n", 0)))):
        g = OrderedDict()
        for r in rows:
            if r.get("scenario") == scen:
                g.setdefault(key(r), []).append(r)
        order = lambda k: (k[1:] if isinstance(k, tuple) else (), ORDER.index(k[0]) if k[0] in ORDER else 99)
        return [(k, g[k]) for k in sorted(g, key=order)]

    def runs_col(runs):
        ok = [r for r in runs if num(r.get("seconds")) is not None]
        return ok, ("%d" % len(ok) if len(ok) == len(runs) else "%d of %d" % (len(ok), len(runs)))

    def table(title, intro, header, scen, row, key=None):
        items = groups(scen, key) if key else groups(scen)
        if not items:
            return
        out.extend(["", title, ""])
        if intro:
            out.extend([intro, ""])
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "---|" * len(header))
        for k, runs in items:
            ok, nruns = runs_col(runs)
            if not ok:
                out.append("| %s | %s | %s |" % (impl_name(k[0], meta), size(k[1]) if len(k) > 1 else "",
                                                 nruns) + " failed |" * (len(header) - 3))
                continue
            out.append("| " + " | ".join(row(k, ok, nruns)) + " |")

    def bpr(impl, n, ok):
        if impl not in idle or not n:
            return ""
        return "{:,.0f}".format((num(cell(ok, "rss_mb").replace(",", "")) - idle[impl]) * 1048576 / n)

    table("### 1. originate", "Start → the BIRD sink holds N; median of the runs (range).",
          ["implementation", "n", "runs", "seconds", "routes/s", "est_s", "first_route_s", "xfer_s",
           "peak RSS MB", "bytes/route", "CPU s", "sink CPU s"], "originate",
          lambda k, ok, nr: [impl_name(k[0], meta), size(k[1]), nr, cell(ok, "seconds", spread=True),
                             cell(ok, "routes_per_s", 0), median_run(ok).get("est_s", ""),
                             median_run(ok).get("first_route_s", ""), median_run(ok).get("xfer_s", ""),
                             cell(ok, "rss_mb", 1), bpr(k[0], k[1], ok), cell(ok, "cpu_s", 2),
                             cell(ok, "sink_cpu_s", 2)])
    table("### 2. api-originate", "Start → the sink holds the N routes an API helper announced.",
          ["implementation", "n", "runs", "seconds", "routes/s", "est_s", "xfer_s", "peak RSS MB",
           "CPU s", "helper CPU s", "sink CPU s"], "api-originate",
          lambda k, ok, nr: [impl_name(k[0], meta), size(k[1]), nr, cell(ok, "seconds", spread=True),
                             cell(ok, "routes_per_s", 0), median_run(ok).get("est_s", ""),
                             median_run(ok).get("xfer_s", ""), cell(ok, "rss_mb", 1), cell(ok, "cpu_s", 2),
                             cell(ok, "helper_cpu_s", 2), cell(ok, "sink_cpu_s", 2)])
    for scen, title in (("receive", "### 3. receive (BIRD source)"),
                        ("receive-blaster", "### 3b. receive (blaster.py source)")):
        table(title, "Start → the API consumer read all N prefixes as JSON (GoBGP, BIRD: into their RIB).",
              ["implementation", "n", "runs", "seconds", "routes/s", "est_s", "after Established",
               "first_s", "xfer_s (JSON)", "peak RSS MB", "CPU s", "source CPU s"], scen,
              lambda k, ok, nr: [impl_name(k[0], meta), size(k[1]), nr, cell(ok, "seconds", spread=True),
                                 cell(ok, "routes_per_s", 0), median_run(ok).get("est_s", ""),
                                 median_run(ok).get("after_est_s", ""), median_run(ok).get("first_s", ""),
                                 median_run(ok).get("xfer_s", ""), cell(ok, "rss_mb", 1),
                                 cell(ok, "cpu_s", 2), cell(ok, "source_cpu_s", 2)])
    peers_key = lambda r: (r["impl"], int(r.get("peers", 0)), int(r.get("routes_per_peer", 0)))
    for scen, title in (("many-peers", "### 4. many-peers"), ("idle-peers", "### 4b. idle-peers")):
        table(title, "Start → all sessions Established at the sink (est_s) and it holds peers × routes.",
              ["implementation", "peers × routes", "runs", "seconds", "est_s", "xfer_s", "peak RSS MB",
               "CPU s", "sink CPU s"], scen,
              lambda k, ok, nr: [impl_name(k[0], meta), "%s × %s" % (k[1], size(k[2])), nr,
                                 cell(ok, "seconds", spread=True), median_run(ok).get("est_s", ""),
                                 median_run(ok).get("xfer_s", ""), cell(ok, "rss_mb", 1),
                                 cell(ok, "cpu_s", 2), cell(ok, "sink_cpu_s", 2)],
              key=peers_key)
    churn_key = lambda r: (r["impl"], int(num(r.get("offered_per_s")) or 0))
    table("### 5. churn", "An API helper re-announces at the offered rate; latency send → the sink's arrival.",
          ["implementation", "offered/s", "runs", "delivered/s", "delivered / sent", "UPDATEs",
           "p50 ms", "p99 ms", "max ms", "RSS start → mid → end MB", "peak RSS MB", "CPU s", "helper CPU s",
           "sink CPU s"], "churn",
          lambda k, ok, nr: [impl_name(k[0], meta), "{:,}".format(k[1]), nr, cell(ok, "routes_per_s", 0),
                             "%s / %s" % (cell(ok, "delivered", 0), cell(ok, "n", 0)), cell(ok, "updates", 0),
                             cell(ok, "p50_ms", 0, True), cell(ok, "p99_ms", 0, True), cell(ok, "max_ms", 0),
                             " → ".join(cell(ok, k, 1) or "?" for k in ("rss_start_mb", "rss_mid_mb", "rss_end_mb")),
                             cell(ok, "rss_mb", 1), cell(ok, "cpu_s", 2), cell(ok, "helper_cpu_s", 2),
                             cell(ok, "sink_cpu_s", 2)],
          key=churn_key)
    out.extend(["", END, ""])
    return "\n".join(out)


def replace_block(path, text):
    with open(path) as f:
        doc = f.read()
    a, b = doc.find(BEGIN), doc.find(END)
    if a < 0 or b < a:
        sys.exit("%s: no %s ... %s block to replace" % (path, BEGIN, END))
    b += len(END)
    if doc[b:b + 1] == "\n":
        b += 1
    with open(path, "w") as f:
        f.write(doc[:a] + text + doc[b:])
    sys.stderr.write("%s: full-run block replaced\n" % path)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Run every scenario several times per implementation and size, then print the medians
# (summarize.py), plot routes/s (matplotlib from the bench venv) and render the tables of
# docs/BENCHMARKS.md's "Full run" section.
#
# usage: benches/scenarios/run-all.sh [SCENARIO...]
#        SCENARIO: originate api-originate receive many-peers idle-peers churn (default: all)
#        benches/scenarios/run-all.sh --docs RESULTS.txt [--into docs/BENCHMARKS.md]
#          render the docs tables of an earlier run (nothing is run); --into replaces the
#          block between <!-- full-run:begin --> and <!-- full-run:end --> in that file
#        benches/scenarios/run-all.sh --plan [SCENARIO...]
#          print what would run, runs per cell and the estimated duration; run nothing
#
# The full run (no QUICK), on 2 cores, ~30 min (see --plan):
#   originate      N = 0 (idle RSS), 100K, 1M: BIRD, GoBGP, ExaBGP, ferrobgp mio and tokio
#   api-originate  ferrobgp 100K and 1M; ExaBGP 100K (~145 s a run)
#   receive        1M from a BIRD source and from blaster.py: ferrobgp mio and tokio,
#                  ExaBGP (JSON to its consumer), GoBGP and BIRD (into their RIB, reference)
#   many-peers     100 peers x 1K routes; idle-peers: 1000 peers
#   churn          10K updates/s for 60 s: ferrobgp mio and tokio, ExaBGP
# Every cell runs RUNS (3) times, interleaved (run 1 of every implementation, then run 2,
# ...), except the slow cells of the foreign implementations, which run SLOW_RUNS (1) times
# to keep the whole under 45 minutes: ExaBGP originate 1M (~263 s and 5.1 GB a run),
# api-originate (~145 s) and churn (60 s + drain), GoBGP originate 1M (~70 s): the cells of
# more than a minute a run. ferrobgp and BIRD always run RUNS times. The plan printed first
# says which; SLOW_RUNS=3 repeats those too (~+20 min).
#
# env:   RUNS (default 3), SLOW_RUNS (default 1; set it to RUNS for full repetition, ~+25 min)
#        SIZES           originate sizes                    (default "100000 1000000")
#        API_SIZES       api-originate sizes                (default "100000 1000000"; ExaBGP
#                        runs only sizes <= EXABGP_API_MAX, default 100000)
#        RECEIVE_SIZES   receive sizes                      (default 1000000)
#        RECEIVE_SOURCES receive's sources                  (default "bird blaster", receive.sh)
#        IMPLS           restrict implementations (e.g. "bird exabgp"); default: all
#        QUICK=1         validation sizes: N=10000, 10 x 100 and 100 idle peers, churn
#                        2000/s for 5 s (RUNS defaults to 1 then): a few minutes
#        BENCH_RESULTS   (default target/bench/run-<UTC time>.txt), BENCH_TIMEOUT (default
#                        1200 here), lib.sh's (FERROBGP_BIN: the ferrobgp binary).
# Results: one line per run in BENCH_RESULTS, the machine and versions in BENCH_RESULTS.meta,
# medians in .md, the docs tables in .docs.md, the plot in .png.
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
VENV=${FERROBGP_BENCH_VENV:-/work/venv-bench}

bench_python() { # the bench venv's python (matplotlib installed there on first use)
    if [ -x "$VENV/bin/python" ]; then
        "$VENV/bin/python" -c 'import matplotlib' 2>/dev/null || "$VENV/bin/pip" install -q matplotlib >&2
        printf '%s' "$VENV/bin/python"
    else
        printf python3
    fi
}

if [ "${1:-}" = --docs ]; then
    shift
    [ $# -ge 1 ] || { echo "usage: run-all.sh --docs RESULTS.txt [--into FILE]" >&2; exit 2; }
    # with --into: the run's plot goes beside FILE as benchmarks.png (the block links it)
    if [ "${2:-}" = --into ] && [ -n "${3:-}" ] && [ -f "${1%.txt}.png" ]; then
        cp "${1%.txt}.png" "$(dirname "$3")/benchmarks.png"
    fi
    exec python3 "$HERE/summarize.py" "$1" --docs "${@:2}"
fi
PLAN_ONLY=0
if [ "${1:-}" = --plan ]; then PLAN_ONLY=1; shift; fi

QUICK=${QUICK:-0}
SIZES=${SIZES:-100000 1000000}
API_SIZES=${API_SIZES:-100000 1000000}
RECEIVE_SIZES=${RECEIVE_SIZES:-1000000}
EXABGP_API_MAX=${EXABGP_API_MAX:-100000}
RECEIVE_SOURCES=${RECEIVE_SOURCES:-bird blaster}
MANY_PEERS=100 MANY_ROUTES=1000 IDLE_PEERS=1000
CHURN_RATE=10000 CHURN_DURATION=60
if [ "$QUICK" = 1 ]; then
    SIZES=10000 API_SIZES=10000 RECEIVE_SIZES=10000 MANY_PEERS=10 MANY_ROUTES=100 IDLE_PEERS=100
    CHURN_RATE=2000 CHURN_DURATION=5
    RUNS=${RUNS:-1}
fi
RUNS=${RUNS:-3}
SLOW_RUNS=${SLOW_RUNS:-1}
[ "$SLOW_RUNS" -le "$RUNS" ] || SLOW_RUNS=$RUNS
# ExaBGP needs about 260 s for originate 1M on a quiet machine: leave room
export BENCH_TIMEOUT=${BENCH_TIMEOUT:-1200}
export BENCH_RESULTS=${BENCH_RESULTS:-$REPO/target/bench/run-$(date -u +%Y%m%dT%H%M%SZ).txt}
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(originate api-originate receive many-peers idle-peers churn)
read -r -a IMPL_ARGS <<<"${IMPLS:-}"

# filter IMPL...: keep only those in IMPLS (all when IMPLS is unset)
filter() {
    local i j
    if [ ${#IMPL_ARGS[@]} = 0 ]; then printf '%s\n' "$@"; return; fi
    for i in "$@"; do for j in "${IMPL_ARGS[@]}"; do [ "$i" = "$j" ] && printf '%s\n' "$i"; done; done
}

# runs_for SCENARIO N IMPL: how many runs this cell gets (see the header)
runs_for() {
    local scen=$1 n=$2 impl=$3
    case $impl in
    exabgp)
        case $scen in
        api-originate | churn) echo "$SLOW_RUNS"; return ;;
        originate) [ "$n" -ge 1000000 ] && { echo "$SLOW_RUNS"; return; } ;;
        esac ;;
    gobgp)
        [ "$scen" = originate ] && [ "$n" -ge 1000000 ] && { echo "$SLOW_RUNS"; return; } ;;
    esac
    echo "$RUNS"
}

# est_s SCENARIO N IMPL: expected seconds of one run, setup and teardown included (measured
# on this 2-core machine, 2026-11-23: issue #5's figures for the foreign speakers at 1M, the
# 15:13 QUICK pass and single ferrobgp runs at full size; only for the plan)
est_s() {
    local scen=$1 n=$2 impl=$3 k src=9
    k=$((n / 100000)) # hundreds of thousands
    case $scen in receive-blaster) src=1 ;; receive) src=$((1 + 8 * n / 1000000)) ;; esac
    case $scen:$impl in
    originate:exabgp) echo $((1 + 27 * k)) ;;        # 21 s at 100K, 263 s at 1M
    originate:gobgp) echo $((8 + 6 * k)) ;;          # 5-10 s first connect; 60.7 s at 1M
    originate:bird) echo $((1 + 8 * k / 10)) ;;      # 5.9 s at 1M
    originate:ferrobgp-*) echo $((1 + 4 * k / 10)) ;;
    api-originate:exabgp) echo $((3 + 145 * k)) ;;   # 690 routes/s
    api-originate:*) echo $((1 + 6 * k / 10)) ;;
    receive*:exabgp) echo $((src + 2 + 15 * k / 10)) ;;   # 14.9 s at 1M
    receive*:gobgp) echo $((src + 8 + 22 * k / 10)) ;;    # 22 s at 1M
    receive*:bird) echo $((src + 2 + 5 * k / 10)) ;;      # 4.5 s at 1M
    receive:ferrobgp-*) echo $((src + 1 + 5 * k / 10)) ;; # the BIRD source: ~250K routes/s
    receive*:*) echo $((src + 1 + k / 10)) ;;
    many-peers:gobgp) echo 22 ;;                     # 19.6 s in issue #5
    many-peers:*) echo 3 ;;
    idle-peers:gobgp) echo 12 ;;
    idle-peers:*) echo 4 ;;
    churn:exabgp) echo $((CHURN_DURATION + ${CHURN_DRAIN:-10} + 5)) ;;
    churn:*) echo $((CHURN_DURATION + 5)) ;;
    *) echo 10 ;;
    esac
}

# The plan: one line per cell "SCRIPT SCEN N IMPL RUNS ENV..."
CELLS=()
cell() { # cell SCRIPT SCEN N ENV IMPL...
    local script=$1 scen=$2 n=$3 env=$4 impl
    shift 4
    for impl in "$@"; do
        CELLS+=("$script|$scen|$n|$env|$impl|$(runs_for "$scen" "$n" "$impl")")
    done
}
ALL5=(bird gobgp exabgp ferrobgp-mio ferrobgp-tokio)
API3=(exabgp ferrobgp-mio ferrobgp-tokio)
for s in "${SCENARIOS[@]}"; do
    case $s in
    originate)
        # n=0 first: the idle daemon's RSS, for bytes per route (summarize.py)
        for n in 0 $SIZES; do
            mapfile -t I < <(filter "${ALL5[@]}")
            cell originate.sh originate "$n" "N=$n" "${I[@]}"
        done ;;
    api-originate)
        for n in $API_SIZES; do
            mapfile -t I < <(filter "${API3[@]}")
            if [ "$n" -gt "$EXABGP_API_MAX" ]; then mapfile -t I < <(printf '%s\n' "${I[@]}" | grep -v '^exabgp$'); fi
            cell api-originate.sh api-originate "$n" "N=$n" "${I[@]}"
        done ;;
    receive)
        for src in $RECEIVE_SOURCES; do
            scen=receive
            [ "$src" = bird ] || scen=receive-$src
            for n in $RECEIVE_SIZES; do
                mapfile -t I < <(filter exabgp ferrobgp-mio ferrobgp-tokio gobgp bird)
                cell receive.sh "$scen" "$n" "SOURCE=$src N=$n" "${I[@]}"
            done
        done ;;
    many-peers)
        mapfile -t I < <(filter "${ALL5[@]}")
        cell many-peers.sh many-peers $((MANY_PEERS * MANY_ROUTES)) "PEERS=$MANY_PEERS ROUTES=$MANY_ROUTES" "${I[@]}" ;;
    idle-peers)
        mapfile -t I < <(filter "${ALL5[@]}")
        cell many-peers.sh idle-peers 0 "PEERS=$IDLE_PEERS ROUTES=0" "${I[@]}" ;;
    churn)
        mapfile -t I < <(filter "${API3[@]}")
        cell churn.sh churn $((CHURN_RATE * CHURN_DURATION)) "RATE=$CHURN_RATE DURATION=$CHURN_DURATION" "${I[@]}" ;;
    *) echo "unknown scenario $s" >&2; exit 2 ;;
    esac
done

total=0
reduced=()
echo "== plan: RUNS=$RUNS SLOW_RUNS=$SLOW_RUNS QUICK=$QUICK; results: $BENCH_RESULTS" >&2
for c in "${CELLS[@]}"; do
    IFS='|' read -r script scen n env impl runs <<<"$c"
    e=$(est_s "$scen" "$n" "$impl")
    total=$((total + e * runs))
    [ "$runs" -lt "$RUNS" ] && reduced+=("$impl $scen n=$n: $runs run(s)")
    printf '   %-16s %-8s %-15s runs=%s  ~%ss a run\n' "$scen" "$n" "$impl" "$runs" "$e" >&2
done
if [ ${#reduced[@]} -gt 0 ]; then
    echo "== fewer runs than RUNS=$RUNS (slow foreign cells; SLOW_RUNS=$SLOW_RUNS):" >&2
    printf '   %s\n' "${reduced[@]}" >&2
fi
echo "== estimated: ~$((total / 60)) min" >&2
[ "$PLAN_ONLY" = 1 ] && exit 0

mkdir -p "$(dirname "$BENCH_RESULTS")"
# Probe the ferrobgp binary once here (lib.sh's probe takes 3 s, once per script otherwise).
if bash -c '. "$1/lib.sh" && ferrobgp_ready' probe "$HERE"; then export FERROBGP_READY=1; fi
META="$BENCH_RESULTS.meta"
START=$(date +%s)
ver() { "$@" 2>&1 | head -1 | tr -d '\r' | cut -c1-80; }
{
    echo "command: $([ "$QUICK" = 1 ] && echo 'QUICK=1 ')RUNS=$RUNS SLOW_RUNS=$SLOW_RUNS benches/scenarios/run-all.sh ${SCENARIOS[*]}"
    echo "started: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null)$(git -C "$REPO" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
    echo "ferrobgp_bin: ${FERROBGP_BIN:-$REPO/target/release/ferrobgp}"
    echo "machine: $(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"), kernel $(uname -r)"
    echo "load: $(cut -d' ' -f1-3 /proc/loadavg) at the start"
    command -v bird >/dev/null && echo "bird: $(ver bird --version | sed 's/^BIRD version //')"
    command -v gobgpd >/dev/null && echo "gobgp: $(ver gobgpd --version | sed 's/^gobgpd version //')"
    [ -x "$VENV/bin/exabgp" ] && echo "exabgp: $("$VENV/bin/pip" show exabgp 2>/dev/null | sed -n 's/^Version: //p')"
    echo "python: $(ver python3 --version)"
    echo "ferrobgp: $(ver "${FERROBGP_BIN:-$REPO/target/release/ferrobgp}" version)"
    if [ ${#reduced[@]} -gt 0 ]; then
        echo "repetition: $RUNS per cell, except $(printf '%s; ' "${reduced[@]}" | sed 's/; $//')"
    else
        echo "repetition: $RUNS per cell"
    fi
} >"$META"

# Interleaved: run r of every cell that has at least r runs, then run r + 1.
max_runs=$RUNS
for ((r = 1; r <= max_runs; r++)); do
    for c in "${CELLS[@]}"; do
        IFS='|' read -r script scen n env impl runs <<<"$c"
        [ "$r" -le "$runs" ] || continue
        echo "== [$(date +%H:%M:%S), $(($(date +%s) - START)) s] $env $script $impl (run $r/$runs)" >&2
        # shellcheck disable=SC2086  # $env is VAR=VALUE words
        env $env "$HERE/$script" "$impl"
    done
done

{
    echo "finished: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "minutes: $((($(date +%s) - START + 30) / 60))"
} >>"$META"
PY=$(bench_python)
"$PY" "$HERE/summarize.py" "$BENCH_RESULTS" --plot "${BENCH_RESULTS%.txt}.png" | tee "${BENCH_RESULTS%.txt}.md"
"$PY" "$HERE/summarize.py" "$BENCH_RESULTS" --docs >"${BENCH_RESULTS%.txt}.docs.md"
echo "results: $BENCH_RESULTS, medians: ${BENCH_RESULTS%.txt}.md, docs tables: ${BENCH_RESULTS%.txt}.docs.md" >&2
echo "  (paste into docs/BENCHMARKS.md: benches/scenarios/run-all.sh --docs $BENCH_RESULTS --into docs/BENCHMARKS.md)" >&2
echo "plot: ${BENCH_RESULTS%.txt}.png; took $((($(date +%s) - START + 30) / 60)) min" >&2

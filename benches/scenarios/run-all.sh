#!/usr/bin/env bash
# Run every scenario RUNS times per implementation and size, then print the medians
# (summarize.py) and, if matplotlib is there, plot routes/s.
#
# usage: benches/scenarios/run-all.sh [SCENARIO...]
#        SCENARIO: originate api-originate receive many-peers idle-peers churn (default: all)
# env:   RUNS (default 3)
#        SIZES      originate/receive sizes        (default "100000 1000000")
#        API_SIZES  api-originate sizes            (default "100000 1000000"; ExaBGP runs only
#                   sizes <= EXABGP_API_MAX, default 100000: ~150 s per 100K)
#        RECEIVE_SOURCES  receive's sources (default "bird blaster", see receive.sh)
#        IMPLS      restrict implementations (e.g. "bird exabgp"); default: each script's own
#        QUICK=1    validation sizes: N=10000, 10 x 100 and 100 idle peers, churn 2000/s for 5 s
#        BENCH_RESULTS (default target/bench/run-<UTC time>.txt), BENCH_TIMEOUT (default
#        1200 here), lib.sh's.
# Results: one line per run in BENCH_RESULTS, medians in BENCH_RESULTS.md, plot in .png.
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RUNS=${RUNS:-3}
SIZES=${SIZES:-100000 1000000}
API_SIZES=${API_SIZES:-100000 1000000}
EXABGP_API_MAX=${EXABGP_API_MAX:-100000}
RECEIVE_SOURCES=${RECEIVE_SOURCES:-bird blaster}
MANY_PEERS=100 MANY_ROUTES=1000 IDLE_PEERS=1000
CHURN_RATE=10000 CHURN_DURATION=60
if [ "${QUICK:-0}" = 1 ]; then
    SIZES=10000 API_SIZES=10000 MANY_PEERS=10 MANY_ROUTES=100 IDLE_PEERS=100
    CHURN_RATE=2000 CHURN_DURATION=5
fi
# ExaBGP needs about 260 s for originate 1M on a quiet machine: leave room
export BENCH_TIMEOUT=${BENCH_TIMEOUT:-1200}
export BENCH_RESULTS=${BENCH_RESULTS:-$REPO/target/bench/run-$(date -u +%Y%m%dT%H%M%SZ).txt}
mkdir -p "$(dirname "$BENCH_RESULTS")"
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(originate api-originate receive many-peers idle-peers churn)
read -r -a IMPL_ARGS <<<"${IMPLS:-}"

# filter IMPL...: keep only those in IMPLS (all when IMPLS is unset)
filter() {
    local i j
    if [ ${#IMPL_ARGS[@]} = 0 ]; then printf '%s\n' "$@"; return; fi
    for i in "$@"; do for j in "${IMPL_ARGS[@]}"; do [ "$i" = "$j" ] && printf '%s\n' "$i"; done; done
}

run() { # run SCRIPT IMPL... (env already set by the caller)
    local script=$1 r
    shift
    [ $# -gt 0 ] || return 0
    for ((r = 1; r <= RUNS; r++)); do
        echo "== $script $* (run $r/$RUNS)" >&2
        "$HERE/$script" "$@"
    done
}

ALL5=(bird gobgp exabgp ferrobgp-mio ferrobgp-tokio)
API3=(exabgp ferrobgp-mio ferrobgp-tokio)
for s in "${SCENARIOS[@]}"; do
    case $s in
    originate)
        # n=0 first: the idle daemon's RSS, for bytes per route (summarize.py)
        for n in 0 $SIZES; do mapfile -t I < <(filter "${ALL5[@]}"); N=$n run originate.sh "${I[@]}"; done ;;
    api-originate)
        for n in $API_SIZES; do
            mapfile -t I < <(filter "${API3[@]}")
            if [ "$n" -gt "$EXABGP_API_MAX" ]; then mapfile -t I < <(printf '%s\n' "${I[@]}" | grep -v '^exabgp$'); fi
            N=$n run api-originate.sh "${I[@]}"
        done ;;
    receive)
        for src in $RECEIVE_SOURCES; do
            for n in $SIZES; do
                mapfile -t I < <(filter exabgp ferrobgp-mio ferrobgp-tokio gobgp bird)
                SOURCE=$src N=$n run receive.sh "${I[@]}"
            done
        done ;;
    many-peers)
        mapfile -t I < <(filter "${ALL5[@]}")
        PEERS=$MANY_PEERS ROUTES=$MANY_ROUTES run many-peers.sh "${I[@]}" ;;
    idle-peers)
        mapfile -t I < <(filter "${ALL5[@]}")
        PEERS=$IDLE_PEERS ROUTES=0 run many-peers.sh "${I[@]}" ;;
    churn)
        mapfile -t I < <(filter "${API3[@]}")
        RATE=$CHURN_RATE DURATION=$CHURN_DURATION run churn.sh "${I[@]}" ;;
    *) echo "unknown scenario $s" >&2; exit 2 ;;
    esac
done

# the plot uses matplotlib from the bench venv (installed there on first use)
VENV=${FERROBGP_BENCH_VENV:-/work/venv-bench}
PY=python3
if [ -x "$VENV/bin/python" ]; then
    "$VENV/bin/python" -c 'import matplotlib' 2>/dev/null || "$VENV/bin/pip" install -q matplotlib >&2
    PY="$VENV/bin/python"
fi
"$PY" "$HERE/summarize.py" "$BENCH_RESULTS" --plot "${BENCH_RESULTS%.txt}.png" | tee "${BENCH_RESULTS%.txt}.md"
echo "results: $BENCH_RESULTS, medians: ${BENCH_RESULTS%.txt}.md" >&2

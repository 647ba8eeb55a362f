# shellcheck shell=bash disable=SC2034
# Shared helpers for the ferrobgp scenario benchmarks. Source it, do not run it.
#
# Rules kept here for every scenario:
#  - loopback only (127.0.0.0/8); a fresh free port per daemon and per run;
#  - every daemon started is tracked by PID and stopped by that PID (never by name);
#  - every wait is bounded (BENCH_TIMEOUT seconds, default 600);
#  - a BIRD peer is polled through O(1) counters (`show protocols all`), never by walking
#    its table, over one long-lived control-socket connection (birdwait.py);
#  - one result line per run on stdout, also appended to $BENCH_RESULTS:
#    scenario=... impl=... loop=... n=... seconds=... routes_per_s=... rss_mb=... [extra=...]
#
# Environment:
#  FERROBGP_BENCH_VENV   venv holding PyPI exabgp (default /work/venv-bench)
#  EXABGP_VERSION        version installed there (default 5.0.15)
#  BENCH_TMP             parent of the per-run work directories (default /tmp)
#  BENCH_RESULTS         file collecting result lines (default target/bench/results.txt)
#  BENCH_TIMEOUT         bound of every wait in seconds (default 600)
#  BENCH_POLL            polling interval of generic waits in seconds (default 0.1)
#  BIRDWAIT_POLL         polling interval of the BIRD sink (default 0.02; birdwait.py)
#  BENCH_KEEP=1          keep the work directory (configs, logs) after the run
#  FERROBGP_BIN          ferrobgp binary (default target/release/ferrobgp); any program
#                        taking ExaBGP's arguments works (a wrapper exec'ing exabgp tested
#                        the ferrobgp paths before the speaker ran)
#  FERROBGP_LOOP_FLAG=1  select the loop with `run --reactor LOOP` instead of the env

set -u -o pipefail

BENCH_SCEN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_REPO=$(cd "$BENCH_SCEN_DIR/../.." && pwd)
FERROBGP_BENCH_VENV=${FERROBGP_BENCH_VENV:-/work/venv-bench}
EXABGP_VERSION=${EXABGP_VERSION:-5.0.15}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-600}
BENCH_POLL=${BENCH_POLL:-0.1}
BENCH_RESULTS=${BENCH_RESULTS:-$BENCH_REPO/target/bench/results.txt}
FERROBGP_BIN=${FERROBGP_BIN:-$BENCH_REPO/target/release/ferrobgp}
PYTHON=${PYTHON:-python3}
GEN="$PYTHON $BENCH_SCEN_DIR/gen.py"
EXABGP="$FERROBGP_BENCH_VENV/bin/exabgp"

BENCH_PIDS=()
BENCH_DIR=""

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

now() { date +%s.%N; }
# elapsed START [END]: seconds with 3 decimals
elapsed() { awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN { printf "%.3f", b - a }'; }
# rate N SECONDS
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "inf" }'; }

# --- installation -----------------------------------------------------------

_apt_updated=0
apt_install() {
    command -v apt-get >/dev/null || die "apt-get not found; install $* by hand"
    if [ "$_apt_updated" = 0 ]; then
        log "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || die "apt-get update failed"
        _apt_updated=1
    fi
    log "apt-get install -y $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
}

need_bird() {
    if ! command -v bird >/dev/null || ! command -v birdc >/dev/null; then apt_install bird2; fi
}

need_gobgp() {
    if ! command -v gobgpd >/dev/null || ! command -v gobgp >/dev/null; then apt_install gobgpd; fi
}

need_exabgp() {
    if [ ! -x "$EXABGP" ]; then
        log "creating venv $FERROBGP_BENCH_VENV with exabgp==$EXABGP_VERSION"
        "$PYTHON" -m venv "$FERROBGP_BENCH_VENV" || die "venv creation failed"
        "$FERROBGP_BENCH_VENV/bin/pip" install -q "exabgp==$EXABGP_VERSION" || die "pip install exabgp failed"
    fi
}

# ferrobgp_ready: 0 when the release binary exists and can run a daemon.
# Builds it when BENCH_BUILD=1 (cargo build --release -p ferrobgp).
ferrobgp_ready() {
    [ "${FERROBGP_READY:-0}" = 1 ] && return 0
    if [ "${BENCH_BUILD:-0}" = 1 ]; then
        (cd "$BENCH_REPO" && cargo build --release -p ferrobgp) >&2 || return 1
    fi
    [ -x "$FERROBGP_BIN" ] || { log "skip ferrobgp: $FERROBGP_BIN not built (cargo build --release -p ferrobgp)"; return 1; }
    local probe out rc
    probe=$(mktemp --suffix=.conf "${BENCH_TMP:-/tmp}/ferrobgp-probe.XXXXXX")
    # passive, no listener: the probe run opens no connection
    printf 'neighbor 127.0.0.1 { local-as 65000; peer-as 65001; router-id 10.0.0.1; passive; }\n' >"$probe"
    out=$(env exabgp_tcp_bind= exabgp_api_cli=false timeout 3 "$FERROBGP_BIN" "$probe" 2>&1)
    rc=$?
    rm -f "$probe"
    if [ "$rc" != 124 ]; then
        log "skip ferrobgp: the speaker does not run yet (exit $rc: $(printf '%s' "$out" | head -c 200))"
        return 1
    fi
    FERROBGP_READY=1  # probed once per script (export FERROBGP_READY=1 to skip the probe)
    return 0
}

# --- processes --------------------------------------------------------------

bench_setup() { # bench_setup NAME
    mkdir -p "${BENCH_TMP:-/tmp}"
    BENCH_DIR=$(mktemp -d "${BENCH_TMP:-/tmp}/ferrobgp-bench-$1.XXXXXX")
    mkdir -p "$(dirname "$BENCH_RESULTS")"
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

# start_bg NAME CMD...: start CMD in the background (logs in $BENCH_DIR/NAME.log),
# track its PID, set LAST_PID.
LAST_PID=""
start_bg() {
    local name=$1
    shift
    "$@" >"$BENCH_DIR/$name.log" 2>&1 &
    LAST_PID=$!
    BENCH_PIDS+=("$LAST_PID")
}

# stop_pid PID: TERM, wait up to 5 s, then KILL. Only PIDs this script started.
stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

stop_all() {
    local i
    for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do
        stop_pid "${BENCH_PIDS[$i]}"
    done
    BENCH_PIDS=()
}

bench_cleanup() {
    stop_all
    if [ -n "$BENCH_DIR" ] && [ -d "$BENCH_DIR" ]; then
        if [ "${BENCH_KEEP:-0}" = 1 ]; then
            log "kept $BENCH_DIR"
        else
            rm -rf "$BENCH_DIR"
        fi
    fi
}

# wait_until TIMEOUT CMD...: poll CMD every BENCH_POLL seconds; 1 on timeout.
wait_until() {
    local t=$1 end
    shift
    end=$(awk -v a="$(now)" -v t="$t" 'BEGIN { printf "%.3f", a + t }')
    while ! "$@"; do
        if awk -v n="$(now)" -v e="$end" 'BEGIN { exit !(n > e) }'; then
            return 1
        fi
        sleep "$BENCH_POLL"
    done
    return 0
}

alive() { kill -0 "$1" 2>/dev/null; }

# free_port ADDR [COUNT]: COUNT (default 1) distinct ports, one a line, that nothing holds
# on ADDR nor on the wildcard address (BIRD binds it), not even a TIME-WAIT socket.
free_port() {
    "$PYTHON" - "$1" "${2:-1}" <<'EOF'
import random, socket, sys
addr, count = sys.argv[1], int(sys.argv[2])
found = []
for _ in range(200 * count):
    if len(found) == count:
        break
    p = random.randint(20000, 59999)
    if p in found:
        continue
    ok = True
    for a in (addr, "0.0.0.0"):
        s = socket.socket()
        try:
            s.bind((a, p))  # no SO_REUSEADDR: fails on TIME-WAIT too
        except OSError:
            ok = False
        finally:
            s.close()
    if ok:
        found.append(p)
if len(found) < count:
    sys.exit(1)
print("\n".join(map(str, found)))
EOF
}

# rss_mb PID: peak RSS (VmHWM) in MB, 1 decimal
rss_mb() {
    awk '/^VmHWM:/ { printf "%.1f", $2 / 1024; found = 1 } END { if (!found) print "NA" }' "/proc/$1/status" 2>/dev/null || echo NA
}
# cur_rss_mb PID: current RSS (VmRSS) in MB
cur_rss_mb() {
    awk '/^VmRSS:/ { printf "%.1f", $2 / 1024; found = 1 } END { if (!found) print "NA" }' "/proc/$1/status" 2>/dev/null || echo NA
}

# cpu_s PID: CPU seconds (user + system) used so far by PID, its threads and its reaped
# children (0 when gone). Beside the wall time it tells who bounded a run: the speaker,
# the sink or the tester.
cpu_s() {
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13 + $14 + $15) / hz }' \
        "/proc/$1/stat" 2>/dev/null || echo 0
}

# children_cpu_s PID: CPU seconds of PID's live children (its API helpers)
children_cpu_s() {
    local c t=0
    for c in $(pgrep -P "$1" 2>/dev/null); do
        t=$(awk -v a="$t" -v b="$(cpu_s "$c")" 'BEGIN { printf "%.2f", a + b }')
    done
    printf '%s' "$t"
}

# result KEY=VALUE...: print the result line and append it to BENCH_RESULTS
result() {
    local line
    line="$* load1=$(cut -d" " -f1 /proc/loadavg) date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf '%s\n' "$line"
    printf '%s\n' "$line" >>"$BENCH_RESULTS"
}

# --- BIRD -------------------------------------------------------------------

# bird_start NAME CONF: start `bird -f` with its own socket; sets BIRD_SOCK, BIRD_PID
bird_start() {
    local name=$1 conf=$2
    BIRD_SOCK="$BENCH_DIR/$name.ctl"
    start_bg "$name" bird -f -c "$conf" -s "$BIRD_SOCK" -P "$BENCH_DIR/$name.pid"
    BIRD_PID=$LAST_PID
    wait_until 30 birdc_ok "$BIRD_SOCK" || die "$name did not start: $(tail -5 "$BENCH_DIR/$name.log")"
}
birdc_ok() { birdc -s "$1" show status >/dev/null 2>&1; }

# bird_count SOCK: routes held, summed over the channels' `Routes: N imported` counters
# (0 when unknown). Not `show route count`: it walks the whole table in BIRD's only thread,
# 0.3-0.5 s at 1M routes, so polling it every 0.1 s would mostly measure the poll.
bird_count() {
    birdc -s "$1" show protocols all 2>/dev/null | awk '$1 == "Routes:" { n += $2 } END { print n + 0 }'
}
# bird_established SOCK: number of BGP protocols in state Established
bird_established() {
    birdc -s "$1" show protocols 2>/dev/null | awk '$2 == "BGP" && $6 == "Established" { n++ } END { print n + 0 }'
}

# BIRD listens with a backlog of 8: with hundreds of sessions connecting at once, the
# excess handshakes stall for tens of seconds (seen at 1000 peers). The sink therefore
# gives every SINK_GROUP (8) sessions their own listening port: session I (0-based)
# connects to ${SINK_PORTS[I / SINK_GROUP]} (sink_port_of I).
SINK_GROUP=8
SINK_PORTS=()
sink_port_of() { printf '%s' "${SINK_PORTS[$(($1 / SINK_GROUP))]}"; }

# sink_conf FILE LOCAL_ADDR PEER... : a passive BIRD sink (AS 65001) with one multihop
# session per peer (peers are AS 65000) on the ports in SINK_PORTS. A PEER written
# REMOTE=LOCAL uses its own local address LOCAL for that session.
sink_conf() {
    local file=$1 local_addr=$2 i=0 peer laddr
    shift 2
    {
        printf 'log "%s" { warning, error, fatal };\n' "$BENCH_DIR/sink.birdlog"
        printf 'router id 10.255.0.1;\n'
        printf 'protocol device { }\n'
        for peer in "$@"; do
            laddr=$local_addr
            case $peer in *=*) laddr=${peer#*=} peer=${peer%%=*} ;; esac
            printf 'protocol bgp p%d {\n' "$i"
            printf '  local %s port %s as 65001;\n' "$laddr" "$(sink_port_of "$i")"
            printf '  neighbor %s as 65000;\n' "$peer"
            printf '  multihop; passive on; hold time 240;\n'
            printf '  ipv4 { import all; export none; };\n}\n'
            i=$((i + 1))
        done
    } >"$file"
}

# sink_start PEER...: start the sink; sets SINK_SOCK SINK_PID SINK_PORTS SINK_PORT (the
# first port, all a one-session scenario needs) and SINK_ADDR (default 127.0.0.1)
sink_start() {
    SINK_ADDR=${SINK_ADDR:-127.0.0.1}
    mapfile -t SINK_PORTS < <(free_port "$SINK_ADDR" $((($# + SINK_GROUP - 1) / SINK_GROUP)))
    [ ${#SINK_PORTS[@]} -gt 0 ] || die "no free port"
    SINK_PORT=${SINK_PORTS[0]}
    sink_conf "$BENCH_DIR/sink.conf" "$SINK_ADDR" "$@"
    bird_start sink "$BENCH_DIR/sink.conf"
    SINK_SOCK=$BIRD_SOCK
    SINK_PID=$BIRD_PID
}

# sink_wait_routes N TIMEOUT PID [SESSIONS]: wait until SESSIONS (default 1) sessions are
# Established at the sink, then until it holds >= N routes, while PID lives. One
# long-lived control-socket client (birdwait.py) polls every BIRDWAIT_POLL s (default
# 0.02; 0.02 s more per 500 sessions: at 1000 sessions BIRD spends 0.4 ms of CPU on a
# `show protocols` and 1.2 ms on a `show protocols all`, 2-6 % of its thread at 0.04 s).
# Sets EST_AT, FIRST_AT (first route seen) and DONE_AT (wall-clock seconds).
EST_AT=""
FIRST_AT=""
DONE_AT=""
sink_wait_routes() {
    bird_wait "$SINK_SOCK" "${4:-1}" "$1" "$2" "$3" || return 1
    EST_AT=$BW_EST FIRST_AT=$BW_FIRST DONE_AT=$BW_DONE
}

# bird_wait SOCK SESSIONS N TIMEOUT PID: the same on any BIRD; sets BW_EST BW_FIRST BW_DONE
bird_wait() {
    local sock=$1 sessions=$2 n=$3 timeout=$4 pid=$5 interval out rc
    BW_EST="" BW_FIRST="" BW_DONE=""
    interval=$(awk -v p="${BIRDWAIT_POLL:-0.02}" -v s="$sessions" \
        'BEGIN { q = 0.02 * int((s + 499) / 500); printf "%.3f", (q > p ? q : p) }')
    out=$("$PYTHON" "$BENCH_SCEN_DIR/birdwait.py" "$sock" "$sessions" "$n" "$timeout" "$interval" "$pid")
    rc=$?
    BW_EST=$(printf '%s\n' "$out" | sed -n 's/^est=//p')
    BW_FIRST=$(printf '%s\n' "$out" | sed -n 's/^first=//p')
    BW_DONE=$(printf '%s\n' "$out" | sed -n 's/^done=//p')
    if [ "$rc" != 0 ] || [ -z "$BW_DONE" ]; then
        log "$(basename "$sock" .ctl): $(printf '%s' "$out" | tail -1)"
        return 1
    fi
    alive "$pid"
}

# --- speakers ---------------------------------------------------------------

# exabgp_start NAME CONF [ENV=VAL...]: start ExaBGP quietly (no CLI pipes, no privilege
# drop, no listener); sets SPEAKER_PID
exabgp_start() {
    local name=$1 conf=$2
    shift 2
    start_bg "$name" env exabgp_api_cli=false exabgp_daemon_drop=false exabgp_log_level=WARNING \
        exabgp_tcp_bind= exabgp_api_ack=false ${EXABGP_LOG:+exabgp_log_level=$EXABGP_LOG} "$@" "$EXABGP" "$conf"
    SPEAKER_PID=$LAST_PID
}

# ferrobgp_start NAME LOOP CONF [ENV=VAL...]: same for ferrobgp under LOOP (mio|tokio),
# chosen by the env ferrobgp_reactor, or by `run --reactor LOOP` with FERROBGP_LOOP_FLAG=1
ferrobgp_start() {
    local name=$1 loop=$2 conf=$3 args=()
    shift 3
    [ "${FERROBGP_LOOP_FLAG:-0}" = 1 ] && args=(run --reactor "$loop")
    start_bg "$name" env ferrobgp_reactor="$loop" exabgp_api_cli=false exabgp_daemon_drop=false \
        exabgp_log_level=WARNING exabgp_tcp_bind= exabgp_api_ack=false "$@" "$FERROBGP_BIN" "${args[@]}" "$conf"
    SPEAKER_PID=$LAST_PID
}

# impl_loop IMPL: the event loop named in an implementation label (ferrobgp-mio -> mio)
impl_loop() {
    case $1 in
    ferrobgp-*) printf '%s' "${1#ferrobgp-}" ;;
    *) printf '%s' - ;;
    esac
}

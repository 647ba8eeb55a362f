#!/usr/bin/env bash
# Scenario 5, churn (RFC 4098 AADiff churn): an API helper (announcer.py churn) re-announces
# a pool of POOL /24s at RATE updates/s for DURATION s, each with MED = its send time in ms;
# the speaker sends them to a minimal Python sink (churn_sink.py) that records the arrival
# time of every UPDATE. Reported: offered and delivered rates, latency p50/p99/max at the
# sink (send time -> arrival, ms), speaker RSS at session up and at the end (no growth
# expected), peak RSS. BIRD cannot timestamp arrivals, hence the Python sink; at 10K
# UPDATEs/s it uses a good part of one core itself.
#
# usage: churn.sh [IMPL...]   IMPL: exabgp ferrobgp-mio ferrobgp-tokio (default: all)
# env:   RATE (default 10000), DURATION (default 60), POOL (default 10000),
#        CHURN_DRAIN (default 10): once the helper has stopped, wait at most this many seconds
#        for the sink to stop receiving (a speaker that cannot keep up, as ExaBGP at 10K/s,
#        would otherwise drain a backlog of minutes); what is not delivered by then is
#        reported as pending= and counts against delivered/s. lib.sh's.
# RSS: rss_start_mb at session up, rss_mid_mb at DURATION/2, rss_end_mb after the drain.
# quick: RATE=2000 DURATION=5 benches/scenarios/churn.sh exabgp
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

RATE=${RATE:-10000}
DURATION=${DURATION:-60}
POOL=${POOL:-10000}
CHURN_DRAIN=${CHURN_DRAIN:-10}
SPEAKER=127.0.0.2
SINK=127.0.0.1
NH=192.0.2.1
IMPLS=("$@")
[ ${#IMPLS[@]} -gt 0 ] || IMPLS=(exabgp ferrobgp-mio ferrobgp-tokio)

kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" "$2" 2>/dev/null; }
_listening() { [ -f "$BENCH_DIR/sink.out.listening" ]; }
_up() {
    alive "$SPEAKER_PID" || return 0
    [ -n "$(kv up "$BENCH_DIR/sink.out.progress")" ] && [ "$(kv up "$BENCH_DIR/sink.out.progress")" != NA ]
}
_helper_done() {
    alive "$SPEAKER_PID" || return 0
    grep -q 'sent=' "$BENCH_DIR/helper.log" 2>/dev/null
}

run_one() {
    local impl=$1 loop conf port sink_pid t0 rss_start rss_mid rss_end hwm prev cur i
    loop=$(impl_loop "$impl")
    case $impl in
    exabgp) need_exabgp ;;
    ferrobgp-*) ferrobgp_ready || return 0 ;;
    *) die "unknown implementation $impl" ;;
    esac
    bench_setup "churn-$impl"
    port=$(free_port "$SINK") || die "no free port"
    start_bg sink "$PYTHON" "$BENCH_SCEN_DIR/churn_sink.py" "$SINK" "$port" "$BENCH_DIR/sink.out" \
        "$((DURATION + BENCH_TIMEOUT))"
    sink_pid=$LAST_PID
    wait_until 10 _listening || die "sink did not start: $(tail -3 "$BENCH_DIR/sink.log")"
    conf="$BENCH_DIR/speaker.conf"
    cat >"$conf" <<EOF
process churner {
  run $PYTHON $BENCH_SCEN_DIR/announcer.py churn $RATE $DURATION $POOL $NH $BENCH_DIR/helper.log;
  encoder text;
}
neighbor $SINK {
  router-id 10.0.0.2;
  local-address $SPEAKER;
  local-as 65000;
  peer-as 65001;
  connect $port;
  hold-time 240;
  family { ipv4 unicast; }
  api { processes [ churner ]; neighbor-changes; }
}
EOF
    t0=$(now)
    case $impl in
    exabgp) exabgp_start speaker "$conf" ;;
    ferrobgp-*) ferrobgp_start speaker "$loop" "$conf" ;;
    esac
    if ! wait_until 60 _up || ! alive "$SPEAKER_PID"; then
        tail -5 "$BENCH_DIR/speaker.log" >&2
        result "scenario=churn impl=$impl loop=$loop n=NA seconds=NA routes_per_s=NA rss_mb=NA status=fail"
        bench_cleanup
        trap - EXIT
        return 0
    fi
    rss_start=$(cur_rss_mb "$SPEAKER_PID")
    sleep "$(awk -v d="$DURATION" 'BEGIN { print d / 2 }')"
    rss_mid=$(cur_rss_mb "$SPEAKER_PID")
    wait_until "$((DURATION + BENCH_TIMEOUT))" _helper_done
    # drain: until the sink's count has not moved for 2 s, at most CHURN_DRAIN s
    prev=-1
    for ((i = 0; i <= CHURN_DRAIN; i += 2)); do
        cur=$(kv count "$BENCH_DIR/sink.out.progress")
        [ "$cur" = "$prev" ] && break
        prev=$cur
        alive "$SPEAKER_PID" || break
        sleep 2
    done
    rss_end=$(cur_rss_mb "$SPEAKER_PID")
    hwm=$(rss_mb "$SPEAKER_PID")
    local cpu helper_cpu sink_cpu
    cpu=$(cpu_s "$SPEAKER_PID")
    helper_cpu=$(children_cpu_s "$SPEAKER_PID")
    sink_cpu=$(cpu_s "$sink_pid")
    stop_pid "$sink_pid"
    local f="$BENCH_DIR/sink.out" h="$BENCH_DIR/helper.log" sent hs he count first last dur span
    sent=$(kv sent "$h")
    hs=$(kv start "$h")
    he=$(kv end "$h")
    count=$(kv count "$f")
    first=$(kv first "$f")
    last=$(kv last "$f")
    if [ -z "$sent" ] || [ -z "$count" ] || [ "$first" = NA ]; then
        tail -5 "$BENCH_DIR/speaker.log" >&2
        result "scenario=churn impl=$impl loop=$loop n=${sent:-NA} seconds=NA routes_per_s=NA rss_mb=$hwm status=fail"
    else
        dur=$(elapsed "$hs" "$he")
        span=$(elapsed "$hs" "$last")
        result "scenario=churn impl=$impl loop=$loop n=$sent seconds=$span routes_per_s=$(rate "$count" "$span") rss_mb=$hwm offered_per_s=$(rate "$sent" "$dur") delivered=$count pending=$((sent - count)) updates=$(kv updates "$f") p50_ms=$(kv p50_ms "$f") p99_ms=$(kv p99_ms "$f") max_ms=$(kv max_ms "$f") rss_start_mb=$rss_start rss_mid_mb=$rss_mid rss_end_mb=$rss_end start_s=$(elapsed "$t0" "$hs") cpu_s=$cpu helper_cpu_s=$helper_cpu sink_cpu_s=$sink_cpu"
    fi
    bench_cleanup
    trap - EXIT
}

for impl in "${IMPLS[@]}"; do
    run_one "$impl"
done

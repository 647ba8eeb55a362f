#!/usr/bin/env bash
# Scenario 2, api-originate: like originate, but the N /24s come from an API helper process
# (announcer.py) printing `announce route P next-hop 192.0.2.1` lines as fast as it can once
# the session is up (neighbor-changes: commands sent before that are partly lost by ExaBGP
# 5.0); the speaker sends them to a BIRD 2 sink. Measured: speaker start -> the sink holds N routes (est_s and xfer_s
# split as in originate), peak RSS of the speaker (helper not included).
#
# usage: api-originate.sh [IMPL...]   IMPL: exabgp ferrobgp-mio ferrobgp-tokio (default: all)
# env:   N (default 1000000; ExaBGP 5.0 needs ~150 s per 100K: use N=100000 for it),
#        RATE (lines/s the helper writes, 0 = unbounded; default 0), lib.sh's.
# quick: N=10000 benches/scenarios/api-originate.sh exabgp
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=${N:-1000000}
RATE=${RATE:-0}
SPEAKER=127.0.0.2
NH=192.0.2.1
IMPLS=("$@")
[ ${#IMPLS[@]} -gt 0 ] || IMPLS=(exabgp ferrobgp-mio ferrobgp-tokio)

run_one() {
    local impl=$1 loop conf rss secs est xfer t0
    loop=$(impl_loop "$impl")
    case $impl in
    exabgp) need_exabgp ;;
    ferrobgp-*) ferrobgp_ready || return 0 ;;
    *) die "unknown implementation $impl" ;;
    esac
    bench_setup "api-originate-$impl"
    need_bird
    SINK_ADDR=127.0.0.1
    sink_start "$SPEAKER"
    conf="$BENCH_DIR/speaker.conf"
    # RATE=0: the commands are written to a file before the clock starts and the helper
    # copies it in 1 MB writes (generating 1M lines in Python would take seconds of CPU).
    local HELPER_ARGS="bulk $N $NH $RATE"
    if [ "$RATE" = 0 ]; then
        $GEN api "$N" "$NH" >"$BENCH_DIR/commands.txt"
        HELPER_ARGS="file $BENCH_DIR/commands.txt"
    fi
    cat >"$conf" <<EOF
process announcer {
  run $PYTHON $BENCH_SCEN_DIR/announcer.py $HELPER_ARGS;
  encoder text;
}
neighbor $SINK_ADDR {
  router-id 10.0.0.2;
  local-address $SPEAKER;
  local-as 65000;
  peer-as 65001;
  connect $SINK_PORT;
  hold-time 240;
  family { ipv4 unicast; }
  api { processes [ announcer ]; neighbor-changes; }
}
EOF
    t0=$(now)
    case $impl in
    exabgp) exabgp_start speaker "$conf" ;;
    ferrobgp-*) ferrobgp_start speaker "$loop" "$conf" ;;
    esac
    if ! sink_wait_routes "$N" "$BENCH_TIMEOUT" "$SPEAKER_PID"; then
        log "$impl: sink has $(bird_count "$SINK_SOCK")/$N routes; speaker log tail:"
        tail -5 "$BENCH_DIR/speaker.log" >&2
        result "scenario=api-originate impl=$impl loop=$loop n=$N seconds=NA routes_per_s=NA rss_mb=$(rss_mb "$SPEAKER_PID") status=fail"
    else
        rss=$(rss_mb "$SPEAKER_PID")
        local cpu helper_cpu
        cpu=$(cpu_s "$SPEAKER_PID")
        helper_cpu=$(children_cpu_s "$SPEAKER_PID")
        secs=$(elapsed "$t0" "$DONE_AT")
        est=$(elapsed "$t0" "$EST_AT")
        xfer=$(elapsed "$EST_AT" "$DONE_AT")
        result "scenario=api-originate impl=$impl loop=$loop n=$N seconds=$secs routes_per_s=$(rate "$N" "$secs") rss_mb=$rss est_s=$est xfer_s=$xfer first_route_s=$(elapsed "$t0" "${FIRST_AT:-$DONE_AT}") cpu_s=$cpu helper_cpu_s=$helper_cpu sink_cpu_s=$(cpu_s "$SINK_PID")"
    fi
    bench_cleanup
    trap - EXIT
}

for impl in "${IMPLS[@]}"; do
    run_one "$impl"
done

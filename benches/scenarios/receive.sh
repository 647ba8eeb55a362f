#!/usr/bin/env bash
# Scenario 3, receive: a BIRD 2 source (static protocol, N /24s, loaded before the clock
# starts) exports N routes to the speaker. Measured: speaker start -> its API consumer
# (consumer.py) has read all N prefixes as JSON. first_s = speaker start -> first JSON
# UPDATE line read; xfer_s = first -> last. References: GoBGP (until `gobgp global rib
# summary` shows N) and BIRD (until a receiving BIRD's table holds N).
#
# usage: receive.sh [IMPL...]   IMPL: exabgp ferrobgp-mio ferrobgp-tokio gobgp bird
#                               (default: all of them)
# env:   N (default 1000000), lib.sh's,
#        SOURCE=bird (default) | blaster: blaster.py, a Python source that writes N prebuilt
#        /24s (about 1000 per UPDATE) in one go once Established, never the bottleneck and
#        without BIRD's occasional 3 s pause; reported as scenario=receive-blaster.
# quick: N=10000 benches/scenarios/receive.sh exabgp bird
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=${N:-1000000}
SOURCE=${SOURCE:-bird}
SCEN=receive
[ "$SOURCE" = bird ] || SCEN=receive-$SOURCE
SPEAKER=127.0.0.2
SRC=127.0.0.1
IMPLS=("$@")
[ ${#IMPLS[@]} -gt 0 ] || IMPLS=(exabgp ferrobgp-mio ferrobgp-tokio gobgp bird)

_src_full() { [ "$(bird_count "$SRC_SOCK")" -ge "$N" ]; }
_blaster_listening() { [ -f "$BENCH_DIR/blaster.out.listening" ]; }
_blaster_est() {
    alive "$SPEAKER_PID" || return 0
    [ -f "$BENCH_DIR/blaster.out" ]
}
_consumer_done() {
    alive "$SPEAKER_PID" || return 0
    grep -q 'done=[0-9]' "$BENCH_DIR/consumer.out" 2>/dev/null
}
_gobgp_count() {
    gobgp -u 127.0.0.1 -p "$GOBGP_API" global rib summary -a ipv4 2>/dev/null |
        awk -F'[:,]' '/Destination/ { gsub(/ /, "", $2); print $2; found = 1 } END { if (!found) print 0 }'
}
_gobgp_full() {
    alive "$SPEAKER_PID" || return 0
    [ "$(_gobgp_count)" -ge "$N" ]
}

run_one() {
    local impl=$1 loop conf t0 src_port est_at done_at first_at rss secs extra=""
    loop=$(impl_loop "$impl")
    case $impl in
    exabgp) need_exabgp ;;
    gobgp) need_gobgp ;;
    bird) ;;
    ferrobgp-*) ferrobgp_ready || return 0 ;;
    *) die "unknown implementation $impl" ;;
    esac
    bench_setup "$SCEN-$impl"
    need_bird
    src_port=$(free_port "$SRC") || die "no free port"
    if [ "$SOURCE" = blaster ]; then
        start_bg source "$PYTHON" "$BENCH_SCEN_DIR/blaster.py" "$SRC" "$src_port" "$N" \
            "$BENCH_DIR/blaster.out" "$((2 * BENCH_TIMEOUT))"
        SRC_PID=$LAST_PID
        wait_until 60 _blaster_listening || die "blaster did not start: $(tail -3 "$BENCH_DIR/source.log")"
    else
    {
        printf 'log "%s" { warning, error, fatal };\nrouter id 10.255.0.1;\nprotocol device { }\n' "$BENCH_DIR/source.birdlog"
        printf 'protocol static st {\n  ipv4;\n'
        $GEN bird-static "$N"
        printf '}\nprotocol bgp tospeaker {\n  local %s port %s as 65001;\n' "$SRC" "$src_port"
        printf '  neighbor %s as 65000;\n  multihop; passive on; hold time 240;\n' "$SPEAKER"
        printf '  ipv4 { import none; export all; next hop address 192.0.2.1; };\n}\n'
    } >"$BENCH_DIR/source.conf"
    bird_start source "$BENCH_DIR/source.conf"
    SRC_SOCK=$BIRD_SOCK
    SRC_PID=$BIRD_PID
    wait_until "$BENCH_TIMEOUT" _src_full || die "source did not load $N routes"
    fi
    conf="$BENCH_DIR/speaker.conf"
    case $impl in
    exabgp | ferrobgp-*)
        cat >"$conf" <<EOF
process consumer {
  run $PYTHON $BENCH_SCEN_DIR/consumer.py $BENCH_DIR/consumer.out $N;
  encoder json;
}
neighbor $SRC {
  router-id 10.0.0.2;
  local-address $SPEAKER;
  local-as 65000;
  peer-as 65001;
  connect $src_port;
  hold-time 240;
  family { ipv4 unicast; }
  api { processes [ consumer ]; receive { parsed; update; } }
}
EOF
        t0=$(now)
        if [ "$impl" = exabgp ]; then
            exabgp_start speaker "$conf"
        else
            ferrobgp_start speaker "$loop" "$conf"
        fi
        ;;
    gobgp)
        GOBGP_API=$(free_port 127.0.0.1) || die "no free port"
        cat >"$conf" <<EOF
[global.config]
  as = 65000
  router-id = "10.0.0.2"
  port = -1
  local-address-list = ["$SPEAKER"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "$SRC"
    peer-as = 65001
  [neighbors.transport.config]
    local-address = "$SPEAKER"
    remote-port = $src_port
  [neighbors.ebgp-multihop.config]
    enabled = true
    multihop-ttl = 255
  [neighbors.timers.config]
    connect-retry = 1
    hold-time = 240
    keepalive-interval = 80
EOF
        t0=$(now)
        start_bg speaker gobgpd -f "$conf" --api-hosts "127.0.0.1:$GOBGP_API" --pprof-disable -l warn
        SPEAKER_PID=$LAST_PID
        ;;
    bird)
        local rx_port
        rx_port=$(free_port "$SPEAKER") || die "no free port"
        {
            printf 'log "%s" { warning, error, fatal };\nrouter id 10.0.0.2;\nprotocol device { }\n' "$BENCH_DIR/speaker.birdlog"
            printf 'protocol bgp fromsource {\n  local %s port %s as 65000;\n' "$SPEAKER" "$rx_port"
            printf '  neighbor %s port %s as 65001;\n  multihop; connect delay time 1; hold time 240;\n' "$SRC" "$src_port"
            printf '  ipv4 { import all; export none; };\n}\n'
        } >"$conf"
        RX_SOCK="$BENCH_DIR/speaker.ctl"
        t0=$(now)
        start_bg speaker bird -f -c "$conf" -s "$RX_SOCK"
        SPEAKER_PID=$LAST_PID
        ;;
    esac
    local ok=1
    local up=0
    if [ "$SOURCE" = blaster ]; then
        wait_until "$BENCH_TIMEOUT" _blaster_est && alive "$SPEAKER_PID" && up=1
        est_at=$(sed -n 's/.*est=\([0-9.]*\).*/\1/p' "$BENCH_DIR/blaster.out" 2>/dev/null)
    elif bird_wait "$SRC_SOCK" 1 0 "$BENCH_TIMEOUT" "$SPEAKER_PID"; then
        up=1
        est_at=$BW_EST
    fi
    if [ "$up" = 1 ]; then
        case $impl in
        exabgp | ferrobgp-*) wait_until "$BENCH_TIMEOUT" _consumer_done || ok=0 ;;
        gobgp) wait_until "$BENCH_TIMEOUT" _gobgp_full || ok=0 ;;
        bird) bird_wait "$RX_SOCK" 1 "$N" "$BENCH_TIMEOUT" "$SPEAKER_PID" || ok=0 ;;
        esac
        alive "$SPEAKER_PID" || ok=0
        done_at=$(now)
        [ "$impl" = bird ] && done_at=$BW_DONE
    else
        ok=0
    fi
    rss=$(rss_mb "$SPEAKER_PID")
    local cpu helper_cpu
    cpu=$(cpu_s "$SPEAKER_PID")
    helper_cpu=$(children_cpu_s "$SPEAKER_PID")
    if [ "$ok" = 0 ]; then
        log "$impl: failed; speaker log tail:"
        tail -5 "$BENCH_DIR/speaker.log" >&2
        result "scenario=$SCEN impl=$impl loop=$loop n=$N seconds=NA routes_per_s=NA rss_mb=$rss status=fail"
    else
        if [ -f "$BENCH_DIR/consumer.out" ]; then
            # the consumer's own timestamps are exact; the poll only noticed them
            first_at=$(sed -n 's/.*first=\([0-9.]*\).*/\1/p' "$BENCH_DIR/consumer.out")
            done_at=$(sed -n 's/.*done=\([0-9.]*\).*/\1/p' "$BENCH_DIR/consumer.out")
            extra=" first_s=$(elapsed "$t0" "$first_at") xfer_s=$(elapsed "$first_at" "$done_at")"
        fi
        secs=$(elapsed "$t0" "$done_at")
        result "scenario=$SCEN impl=$impl loop=$loop n=$N seconds=$secs routes_per_s=$(rate "$N" "$secs") rss_mb=$rss est_s=$(elapsed "$t0" "$est_at") after_est_s=$(elapsed "$est_at" "$done_at")$extra cpu_s=$cpu helper_cpu_s=$helper_cpu source_cpu_s=$(cpu_s "$SRC_PID")"
    fi
    bench_cleanup
    trap - EXIT
}

for impl in "${IMPLS[@]}"; do
    run_one "$impl"
done

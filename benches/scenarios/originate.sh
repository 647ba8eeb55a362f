#!/usr/bin/env bash
# Scenario 1, originate (RFC 4098 Tupinit of a table): the speaker announces N IPv4 /24s
# from its own configuration to a BIRD 2 sink over loopback. Measured: speaker start ->
# the sink holds N routes (`birdc show route count`), split into start -> Established
# (est_s) and Established -> all routes (xfer_s); peak RSS (VmHWM) of the speaker.
#
# usage: originate.sh [IMPL...]   IMPL: bird gobgp exabgp ferrobgp-mio ferrobgp-tokio
#                                 (default: all of them)
# env:   N (default 1000000), FORM=split|list for the ExaBGP/ferrobgp static block
#        (split: `route 10.0.0.0/8 ... split /24`, list: one line per /24), lib.sh's.
# quick: N=10000 benches/scenarios/originate.sh bird exabgp
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=${N:-1000000}
FORM=${FORM:-split}
SPEAKER=127.0.0.2
NH=192.0.2.1
IMPLS=("$@")
[ ${#IMPLS[@]} -gt 0 ] || IMPLS=(bird gobgp exabgp ferrobgp-mio ferrobgp-tokio)

gobgp_conf() { # gobgp_conf FILE SINK_PORT
    cat >"$1" <<EOF
[global.config]
  as = 65000
  router-id = "10.0.0.2"
  port = -1
  local-address-list = ["$SPEAKER"]
[global.apply-policy.config]
  default-export-policy = "accept-route"
[[neighbors]]
  [neighbors.config]
    neighbor-address = "$SINK_ADDR"
    peer-as = 65001
  [neighbors.transport.config]
    local-address = "$SPEAKER"
    remote-port = $2
  [neighbors.ebgp-multihop.config]
    enabled = true
    multihop-ttl = 255
  [neighbors.timers.config]
    connect-retry = 1
    hold-time = 240
    keepalive-interval = 80
EOF
}

exa_conf() { # exa_conf FILE SINK_PORT
    {
        printf 'neighbor %s {\n  router-id 10.0.0.2;\n  local-address %s;\n' "$SINK_ADDR" "$SPEAKER"
        printf '  local-as 65000;\n  peer-as 65001;\n  connect %s;\n  hold-time 240;\n' "$2"
        printf '  family { ipv4 unicast; }\n  static {\n'
        $GEN exabgp-static "$N" "$NH" "$FORM"
        printf '  }\n}\n'
    } >"$1"
}

run_one() {
    local impl=$1 loop t0 rss est xfer secs conf
    loop=$(impl_loop "$impl")
    case $impl in ferrobgp-*) ferrobgp_ready || return 0 ;; esac
    bench_setup "originate-$impl"
    need_bird
    SINK_ADDR=127.0.0.1
    sink_start "$SPEAKER"
    conf="$BENCH_DIR/speaker.conf"
    case $impl in
    bird)
        local port
        port=$(free_port "$SPEAKER") || die "no free port"
        {
            printf 'log "%s" { warning, error, fatal };\nrouter id 10.0.0.2;\nprotocol device { }\n' "$BENCH_DIR/speaker.birdlog"
            printf 'protocol static st {\n  ipv4;\n'
            $GEN bird-static "$N"
            printf '}\nprotocol bgp tosink {\n  local %s port %s as 65000;\n' "$SPEAKER" "$port"
            printf '  neighbor %s port %s as 65001;\n  multihop; connect delay time 1; hold time 240;\n' "$SINK_ADDR" "$SINK_PORT"
            printf '  ipv4 { import none; export all; };\n}\n'
        } >"$conf"
        t0=$(now)
        start_bg speaker bird -f -c "$conf" -s "$BENCH_DIR/speaker.ctl"
        SPEAKER_PID=$LAST_PID
        ;;
    gobgp)
        need_gobgp
        local api fifo
        api=$(free_port 127.0.0.1) || die "no free port"
        gobgp_conf "$conf" "$SINK_PORT"
        $GEN mrt "$N" "$BENCH_DIR/routes.mrt" "$NH"
        fifo="$BENCH_DIR/routes.fifo"
        mkfifo "$fifo"
        t0=$(now)
        start_bg speaker gobgpd -f "$conf" --api-hosts "127.0.0.1:$api" --pprof-disable -l warn
        SPEAKER_PID=$LAST_PID
        wait_until 30 gobgp -u 127.0.0.1 -p "$api" global >/dev/null 2>&1 || die "gobgpd API not up"
        # The FIFO is held open (read-write, so opening never blocks) until the sink has
        # everything: `gobgp mrt inject` drops the tail of its input when it hits EOF.
        exec 9<>"$fifo"
        start_bg inject gobgp -u 127.0.0.1 -p "$api" mrt inject global "$fifo"
        timeout "$BENCH_TIMEOUT" cat "$BENCH_DIR/routes.mrt" >&9 &
        BENCH_PIDS+=("$!")
        ;;
    exabgp)
        need_exabgp
        exa_conf "$conf" "$SINK_PORT"
        t0=$(now)
        exabgp_start speaker "$conf"
        ;;
    ferrobgp-*)
        exa_conf "$conf" "$SINK_PORT"
        t0=$(now)
        ferrobgp_start speaker "$loop" "$conf"
        ;;
    *) die "unknown implementation $impl" ;;
    esac
    if ! sink_wait_routes "$N" "$BENCH_TIMEOUT" "$SPEAKER_PID"; then
        log "$impl: sink has $(bird_count "$SINK_SOCK")/$N routes; speaker log tail:"
        tail -5 "$BENCH_DIR/speaker.log" >&2
        result "scenario=originate impl=$impl loop=$loop n=$N seconds=NA routes_per_s=NA rss_mb=$(rss_mb "$SPEAKER_PID") status=fail"
    else
        rss=$(rss_mb "$SPEAKER_PID")
        secs=$(elapsed "$t0" "$DONE_AT")
        est=$(elapsed "$t0" "$EST_AT")
        xfer=$(elapsed "$EST_AT" "$DONE_AT")
        result "scenario=originate impl=$impl loop=$loop n=$N seconds=$secs routes_per_s=$(rate "$N" "$secs") rss_mb=$rss est_s=$est xfer_s=$xfer first_route_s=$(elapsed "$t0" "${FIRST_AT:-$DONE_AT}") sink_rss_mb=$(rss_mb "$SINK_PID") cpu_s=$(cpu_s "$SPEAKER_PID") sink_cpu_s=$(cpu_s "$SINK_PID")"
    fi
    exec 9>&-  # close the FIFO holder (a no-op when not open)
    bench_cleanup
    trap - EXIT
}

for impl in "${IMPLS[@]}"; do
    run_one "$impl"
done

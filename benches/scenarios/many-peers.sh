#!/usr/bin/env bash
# Scenario 4, many-peers: the speaker runs PEERS sessions, one per loopback address
# (127.0.2.1, 127.0.2.2, ... 250 per /24, then 127.0.3.x ...; BIRD serialises sessions to one
# remote address), to one BIRD 2 sink, and announces the same ROUTES /24s on every session.
# Measured: speaker start -> all PEERS Established at the sink (est_s) -> the sink holds
# PEERS x ROUTES routes (seconds); peak RSS of the speaker. With ROUTES=0 (idle peers) the
# result is the time to all Established, reported as scenario=idle-peers.
#
# usage: many-peers.sh [IMPL...]   IMPL: bird gobgp exabgp ferrobgp-mio ferrobgp-tokio
# env:   PEERS (default 100), ROUTES (default 1000), lib.sh's.
#        run-all.sh runs 100 x 1000 and 1000 x 0.
# quick: PEERS=10 ROUTES=100 benches/scenarios/many-peers.sh bird exabgp
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

PEERS=${PEERS:-100}
ROUTES=${ROUTES:-1000}
NH=192.0.2.1
IMPLS=("$@")
[ ${#IMPLS[@]} -gt 0 ] || IMPLS=(bird gobgp exabgp ferrobgp-mio ferrobgp-tokio)
TOTAL=$((PEERS * ROUTES))
SCEN=many-peers
[ "$ROUTES" -gt 0 ] || SCEN=idle-peers

# session I (0-based): speaker address 127.0.2.1 ... 127.0.2.250, 127.0.3.1 ..., sink
# address 127.1.0.1 ... (GoBGP keys neighbors by address: each session needs its own).
ADDRS=()
SINKS=()
PAIRS=()
for ((i = 0; i < PEERS; i++)); do
    ADDRS+=("127.0.$((2 + i / 250)).$((1 + i % 250))")
    SINKS+=("127.1.$((i / 250)).$((1 + i % 250))")
    PAIRS+=("${ADDRS[$i]}=${SINKS[$i]}")
done

exa_conf() { # exa_conf FILE
    local i static
    static=$($GEN exabgp-static "$ROUTES" "$NH" split)
    for ((i = 0; i < PEERS; i++)); do
        printf 'neighbor %s {\n  router-id 10.0.0.2;\n  local-address %s;\n' "${SINKS[$i]}" "${ADDRS[$i]}"
        printf '  local-as 65000;\n  peer-as 65001;\n  connect %s;\n  hold-time 240;\n' "$(sink_port_of "$i")"
        printf '  family { ipv4 unicast; }\n'
        [ "$ROUTES" -gt 0 ] && printf '  static {\n%s\n  }\n' "$static"
        printf '}\n'
    done >"$1"
}

run_one() {
    local impl=$1 loop conf t0 rss secs est
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
    SINK_ADDR=127.0.0.1
    sink_start "${PAIRS[@]}"
    conf="$BENCH_DIR/speaker.conf"
    case $impl in
    bird)
        local port i
        port=$(free_port 127.0.2.1) || die "no free port"
        {
            printf 'log "%s" { warning, error, fatal };\nrouter id 10.0.0.2;\nprotocol device { }\n' "$BENCH_DIR/speaker.birdlog"
            if [ "$ROUTES" -gt 0 ]; then
                printf 'protocol static st {\n  ipv4;\n'
                $GEN bird-static "$ROUTES"
                printf '}\n'
            fi
            for ((i = 0; i < PEERS; i++)); do
                printf 'protocol bgp s%d {\n  local %s port %s as 65000;\n' "$i" "${ADDRS[$i]}" "$port"
                printf '  neighbor %s port %s as 65001;\n  multihop; connect delay time 1; hold time 240;\n' "${SINKS[$i]}" "$(sink_port_of "$i")"
                printf '  ipv4 { import none; export all; };\n}\n'
            done
        } >"$conf"
        t0=$(now)
        start_bg speaker bird -f -c "$conf" -s "$BENCH_DIR/speaker.ctl"
        SPEAKER_PID=$LAST_PID
        ;;
    gobgp)
        local api i
        api=$(free_port 127.0.0.1) || die "no free port"
        {
            printf '[global.config]\n  as = 65000\n  router-id = "10.0.0.2"\n  port = -1\n'
            printf '[global.apply-policy.config]\n  default-export-policy = "accept-route"\n'
            for ((i = 0; i < PEERS; i++)); do
                printf '[[neighbors]]\n  [neighbors.config]\n    neighbor-address = "%s"\n    peer-as = 65001\n' "${SINKS[$i]}"
                printf '  [neighbors.transport.config]\n    local-address = "%s"\n    remote-port = %s\n' "${ADDRS[$i]}" "$(sink_port_of "$i")"
                printf '  [neighbors.ebgp-multihop.config]\n    enabled = true\n    multihop-ttl = 255\n'
                printf '  [neighbors.timers.config]\n    connect-retry = 1\n    hold-time = 240\n    keepalive-interval = 80\n'
            done
        } >"$conf"
        [ "$ROUTES" -gt 0 ] && $GEN mrt "$ROUTES" "$BENCH_DIR/routes.mrt" "$NH"
        t0=$(now)
        start_bg speaker gobgpd -f "$conf" --api-hosts "127.0.0.1:$api" --pprof-disable -l warn
        SPEAKER_PID=$LAST_PID
        if [ "$ROUTES" -gt 0 ]; then
            wait_until 30 gobgp -u 127.0.0.1 -p "$api" global >/dev/null 2>&1 || die "gobgpd API not up"
            mkfifo "$BENCH_DIR/routes.fifo"
            exec 9<>"$BENCH_DIR/routes.fifo"
            start_bg inject gobgp -u 127.0.0.1 -p "$api" mrt inject global "$BENCH_DIR/routes.fifo"
            timeout "$BENCH_TIMEOUT" cat "$BENCH_DIR/routes.mrt" >&9 &
            BENCH_PIDS+=("$!")
        fi
        ;;
    exabgp)
        exa_conf "$conf"
        t0=$(now)
        exabgp_start speaker "$conf"
        ;;
    ferrobgp-*)
        exa_conf "$conf"
        t0=$(now)
        ferrobgp_start speaker "$loop" "$conf"
        ;;
    esac
    if ! sink_wait_routes "$TOTAL" "$BENCH_TIMEOUT" "$SPEAKER_PID" "$PEERS"; then
        log "$impl: sink has $(bird_established "$SINK_SOCK")/$PEERS Established, $(bird_count "$SINK_SOCK")/$TOTAL routes; speaker log tail:"
        tail -5 "$BENCH_DIR/speaker.log" >&2
        result "scenario=$SCEN impl=$impl loop=$loop n=$TOTAL seconds=NA routes_per_s=NA rss_mb=$(rss_mb "$SPEAKER_PID") peers=$PEERS routes_per_peer=$ROUTES status=fail"
    else
        rss=$(rss_mb "$SPEAKER_PID")
        secs=$(elapsed "$t0" "$DONE_AT")
        est=$(elapsed "$t0" "$EST_AT")
        local rps=NA
        [ "$TOTAL" -gt 0 ] && rps=$(rate "$TOTAL" "$secs")
        result "scenario=$SCEN impl=$impl loop=$loop n=$TOTAL seconds=$secs routes_per_s=$rps rss_mb=$rss peers=$PEERS routes_per_peer=$ROUTES est_s=$est xfer_s=$(elapsed "$EST_AT" "$DONE_AT") sink_rss_mb=$(rss_mb "$SINK_PID") cpu_s=$(cpu_s "$SPEAKER_PID") sink_cpu_s=$(cpu_s "$SINK_PID")"
    fi
    exec 9>&-  # close the FIFO holder (a no-op when not open)
    bench_cleanup
    trap - EXIT
}

for impl in "${IMPLS[@]}"; do
    run_one "$impl"
done

#!/usr/bin/env bash
# The demo, in one command: two ferrobgp daemons on loopback.
#   - demo.conf announces static routes, a flow route, and (from its helper process) a route
#     that is announced and withdrawn every ten seconds;
#   - demo-peer.conf listens, and its helper prints every UPDATE it receives as ExaBGP JSON.
# Usage: etc/ferrobgp/demo.sh [SECONDS]   (default 25; env DEMO_PORT, default 1179)
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-25}
port=${DEMO_PORT:-1179}
cargo build --release --quiet -p ferrobgp
bin=${CARGO_TARGET_DIR:-target}/release/ferrobgp
work=$(mktemp -d)
export FERROBGP_DEMO_OUT=$work/received.jsonl
: >"$FERROBGP_DEMO_OUT"

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	echo "demo: logs in $work (speaker.log, peer.log, received.jsonl)"
}
trap cleanup EXIT

exabgp_tcp_bind=127.0.0.1 exabgp_tcp_port=$port "$bin" etc/ferrobgp/demo-peer.conf 2>"$work/peer.log" &
pids+=($!)
sleep 0.5
exabgp_tcp_port=$port "$bin" etc/ferrobgp/demo.conf 2>"$work/speaker.log" &
pids+=($!)

echo "demo: speaker (AS 65001) -> peer (AS 65002) on 127.0.0.1:$port for ${seconds}s; what the peer receives:"
timeout "$seconds" tail -n +1 -f "$FERROBGP_DEMO_OUT" || true

#!/bin/sh
# Receives the daemon's events (one JSON object a line) on stdin and writes them to the file
# named by FERROBGP_DEMO_OUT (standard error when unset). It never writes to stdout: what an
# API process writes there is read by the daemon as commands.
out=${FERROBGP_DEMO_OUT:-/dev/stderr}
while IFS= read -r line; do
	printf '%s\n' "$line" >>"$out"
done

#!/bin/sh
# Announces a route, withdraws it ten seconds later, and does it again, for ever.
# Commands go to stdout; events from the daemon arrive on stdin (ignored here).
while true; do
	echo "announce route 192.0.2.128/25 next-hop self med 50 community [ 65001:200 ]"
	sleep 10
	echo "withdraw route 192.0.2.128/25"
	sleep 10
done

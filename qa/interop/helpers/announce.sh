#!/bin/sh
# API helper of case 3 (withdraw): announces one route, waits (at most $2 seconds) until the
# runner creates the file $1, withdraws the route, then reads stdin until the daemon closes it.
trigger=$1
limit=${2:-60}
echo "announce route 10.100.3.0/24 next-hop 192.0.2.1 med 30 community [ 65000:3 ]"
echo "announce route 2001:db8:103::/48 next-hop 2001:db8::1 community [ 65000:3 ]"
i=0
while [ ! -e "$trigger" ] && [ "$i" -lt $((limit * 10)) ]; do
	sleep 0.1
	i=$((i + 1))
done
echo "withdraw route 10.100.3.0/24 next-hop 192.0.2.1"
echo "withdraw route 2001:db8:103::/48 next-hop 2001:db8::1"
cat >/dev/null # not exec: stdout stays open (a closed one reads as the helper dying)

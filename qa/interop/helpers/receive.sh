#!/bin/sh
# API helper of case 4 (receive): appends every line the daemon writes (JSON) to the file $1.
# Not `exec`: the shell keeps the helper's stdout open (a daemon sees a closed stdout as death).
cat >>"$1"

#!/usr/bin/env bash
# Static checks of the scenario scripts (no daemon started, a few seconds): bash -n,
# ShellCheck if installed, Python syntax, and the covering blocks of gen.py.
# Prints `N passed, N failed` and exits non-zero on a failure.
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

for f in "$HERE"/*.sh; do
    if bash -n "$f"; then ok; else ko "bash -n $f"; fi
done
if command -v shellcheck >/dev/null; then
    if (cd "$HERE" && shellcheck ./*.sh); then ok; else ko shellcheck; fi
else
    echo "shellcheck not installed: skipped (apt-get install -y shellcheck)" >&2
fi
for f in "$HERE"/*.py; do
    if python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' "$f"; then ok; else ko "python syntax $f"; fi
done
if python3 - "$HERE/gen.py" <<'EOF'
import importlib.util, ipaddress, sys
spec = importlib.util.spec_from_file_location("gen", sys.argv[1])
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)
for n in (0, 1, 3, 7, 1000, 65536, 100000, 999999, 1000000):
    pos = int(ipaddress.IPv4Address("10.0.0.0"))
    total = 0
    for p, k in gen.blocks(n):
        net = ipaddress.IPv4Network(p)
        assert int(net.network_address) == pos and net.prefixlen == 24 - k, (n, p)
        pos += (1 << k) * 256
        total += 1 << k
    assert total == n, (n, total)
    assert sum(1 for _ in gen.prefixes(min(n, 1000))) == min(n, 1000)
EOF
then ok; else ko "gen.py blocks"; fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

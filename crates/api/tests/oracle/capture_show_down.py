#!/usr/bin/env python3
"""Capture ExaBGP's `show neighbor extensive|configuration|json|summary` for a neighbor that
never comes up (the oracle of crates/api/tests/exabgp_show.rs, `down` cases).

Runs real ExaBGP (5.x, from /work/venv-exabgp) with a neighbor whose `connect` port on
127.0.0.1 has no listener (graceful-restart, add-path, three families, a description, api
blocks with receive and send flags) and a text-encoder process that asks the show commands
after three seconds and records what it reads.

usage: capture_show_down.py PORT OUT.txt    (PORT: a port nothing listens on)
Loopback only, bounded waits; ExaBGP is killed by its PID.
"""
import os, subprocess, sys, tempfile, time

EXABGP = os.environ.get('EXABGP', '/work/venv-exabgp/bin/exabgp')
COMMANDS = ['show neighbor extensive', 'show neighbor configuration', 'show neighbor json',
            'show neighbor summary']


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    tmp = tempfile.mkdtemp(prefix='exa-down-')
    cmd = os.path.join(tmp, 'cmd.py')
    with open(cmd, 'w') as f:
        f.write(f'''#!{sys.executable}
import sys, time, threading
out = open(sys.argv[1], "a")
def later():
    time.sleep(3)
    for c in {COMMANDS!r}:
        out.write("### " + c + "\\n"); out.flush()
        sys.stdout.write(c + "\\n"); sys.stdout.flush()
        time.sleep(0.5)
threading.Thread(target=later, daemon=True).start()
for line in sys.stdin:
    out.write(line); out.flush()
''')
    os.chmod(cmd, 0o755)
    conf = os.path.join(tmp, 'exa.conf')
    with open(conf, 'w') as f:
        f.write(f'''process cmd {{
\trun {cmd} {tmp}/cmd.out;
\tencoder text;
}}
neighbor 127.0.0.1 {{
\trouter-id 1.2.3.4;
\tlocal-address 127.0.0.1;
\tlocal-as 65000;
\tpeer-as 65001;
\tconnect {port};
\tdescription "lab peer";
\tcapability {{ graceful-restart 120; add-path send/receive; }}
\tfamily {{ ipv4 unicast; ipv4 flow; ipv6 unicast; }}
\tadd-path {{ ipv4 unicast; }}
\tapi {{ processes [ cmd ]; neighbor-changes; receive {{ parsed; update; }} send {{ packets; }} }}
}}
''')
    env = dict(os.environ, exabgp_tcp_bind='', exabgp_api_ack='true', exabgp_log_level='CRITICAL',
               exabgp_api_cli='false', exabgp_daemon_drop='false', exabgp_daemon_user='root')
    p = subprocess.Popen([EXABGP, conf], env=env, stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(tmp, 'err'), 'w'))
    try:
        time.sleep(3 + 0.5 * len(COMMANDS) + 1.5)
    finally:
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
    with open(os.path.join(tmp, 'cmd.out')) as f, open(out, 'w') as o:
        o.write(f.read())


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""Capture what ExaBGP writes for received OPERATIONAL messages (text and JSON encoders) and
its answers to `show neighbor …` / `show adj-rib …` (the oracle of crates/api/src/show.rs
and of the operational event encoders).

Runs real ExaBGP (5.x, from /work/venv-exabgp) against this script acting as the peer on
127.0.0.1. ExaBGP's neighbor has `capability { operational; route-refresh; }`, one static
route, and three processes:
  * `txt` (encoder text) and `jsn` (encoder json) only record what they read;
  * `cmd` (encoder text) writes `announce operational …` at once (before the session is up:
    does ExaBGP queue it?), then, once it reads `neighbor … up` and a moment passed, the
    `show` commands, recording everything it reads.
The peer mirrors ExaBGP's OPEN (operational capability included), sends an UPDATE, then one
OPERATIONAL message of each kind ExaBGP decodes, and records the OPERATIONAL messages ExaBGP
sends it (hex, OUT.peer).

usage: capture_show.py PORT OUTDIR
Writes OUTDIR/show-text.txt (what `txt` read), show-json.txt (`jsn`), show-cmd.txt (`cmd`:
the answers), show-peer.txt (OPERATIONAL messages received by the peer, hex) and
show-sent.txt (what the peer sent, hex, one message a line).
Loopback only, bounded waits; ExaBGP is killed by its PID.
"""
import os, socket, struct, subprocess, sys, tempfile, time

from oracle_peer import msg, read_msg

EXABGP = os.environ.get('EXABGP', '/work/venv-exabgp/bin/exabgp')

COMMANDS_EARLY = [
    'announce operational asm afi ipv4 safi unicast advisory "early static"',
    'announce operational rpcq afi ipv4 safi unicast sequence 7',
]
COMMANDS = [
    'show neighbor summary',
    'show neighbor extensive',
    'show neighbor 127.0.0.1 extensive',
    'show neighbor configuration',
    'show neighbor',
    'show adj-rib in',
    'show adj-rib in extensive',
    'show adj-rib out',
    'show adj-rib out extensive',
    'show neighbor json',
    'announce operational adm afi ipv4 safi unicast advisory "late"',
]


def op(code, afi, safi, rest):
    v = struct.pack('!HB', afi, safi) + rest
    return msg(6, struct.pack('!HH', code, len(v)) + v)


def rid(s):
    return socket.inet_aton(s)


# What the peer sends after the session is up: an UPDATE, then OPERATIONAL messages.
def to_send():
    upd = bytes.fromhex(
        '0000'  # withdrawn length
        '0015'  # attributes length
        '40010100'  # origin igp
        '400200'  # as-path empty (ibgp)
        '4003040a000002'  # next-hop 10.0.0.2
        '40050400000064'  # local-pref 100
    ) + bytes([24, 192, 0, 2])
    return [
        msg(2, upd),
        op(1, 1, 1, b'this is dynamic message #1'),
        op(2, 2, 1, 'caf\u00e9 "quoted" \\ text'.encode('utf-8')),
        op(3, 1, 1, rid('10.0.0.1') + struct.pack('!L', 1)),
        op(4, 1, 1, rid('1.2.3.4') + struct.pack('!LL', 4, 100)),
        op(5, 2, 1, rid('1.2.3.4') + struct.pack('!L', 2)),
        op(6, 1, 1, rid('1.2.3.4') + struct.pack('!LL', 5, 200)),
        op(7, 1, 1, rid('1.2.3.4') + struct.pack('!L', 3)),
        op(8, 1, 133, rid('10.0.0.2') + struct.pack('!LL', 6, 300)),
        op(1, 1, 1, b''),
    ]


def main():
    port, outdir = int(sys.argv[1]), sys.argv[2]
    tmp = tempfile.mkdtemp(prefix='exa-show-')
    rec = os.path.join(tmp, 'rec.py')
    with open(rec, 'w') as f:
        f.write(f'#!{sys.executable}\nimport sys\nwith open(sys.argv[1], "a") as o:\n'
                '    for line in sys.stdin:\n        o.write(line)\n        o.flush()\n')
    os.chmod(rec, 0o755)
    cmd = os.path.join(tmp, 'cmd.py')
    with open(cmd, 'w') as f:
        f.write(f'''#!{sys.executable}
import sys, time, threading
out = open(sys.argv[1], "a")
def say(c):
    out.write("### " + c + "\\n"); out.flush()
    sys.stdout.write(c + "\\n"); sys.stdout.flush()
for c in {COMMANDS_EARLY!r}:
    say(c)
up = False
for line in sys.stdin:
    out.write(line); out.flush()
    if not up and line.startswith("neighbor ") and line.strip().endswith(" up"):
        up = True
        def later():
            time.sleep(2.0)
            for c in {COMMANDS!r}:
                say(c)
                time.sleep(0.7)
        threading.Thread(target=later, daemon=True).start()
''')
    os.chmod(cmd, 0o755)
    conf = os.path.join(tmp, 'exa.conf')
    with open(conf, 'w') as f:
        f.write(f'''process txt {{
\trun {rec} {tmp}/txt.out;
\tencoder text;
}}
process jsn {{
\trun {rec} {tmp}/jsn.out;
\tencoder json;
}}
process cmd {{
\trun {cmd} {tmp}/cmd.out;
\tencoder text;
}}
neighbor 127.0.0.1 {{
\trouter-id 1.2.3.4;
\tlocal-address 127.0.0.1;
\tlocal-as 65000;
\tpeer-as 65000;
\tconnect {port};
\tcapability {{ operational; route-refresh; }}
\tfamily {{
\t\tipv4 unicast;
\t\tipv6 unicast;
\t}}
\tapi {{
\t\tprocesses [ txt, jsn ];
\t\treceive {{ parsed; operational; }}
\t}}
\tapi {{
\t\tprocesses [ cmd ];
\t\tneighbor-changes;
\t}}
\tstatic {{
\t\troute 10.9.0.0/16 next-hop 127.0.0.1 community 65000:1;
\t}}
}}
''')
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('127.0.0.1', port))
    srv.listen(1)
    srv.settimeout(20)
    env = dict(os.environ, exabgp_tcp_bind='', exabgp_api_ack='true', exabgp_log_level='CRITICAL',
               exabgp_api_cli='false', exabgp_daemon_drop='false',
               exabgp_daemon_user='root')
    p = subprocess.Popen([EXABGP, conf], env=env, stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(tmp, 'err'), 'w'))
    received = []
    sent = []
    try:
        s, _ = srv.accept()
        # let the early commands reach ExaBGP before the session is up
        time.sleep(1.5)
        s.settimeout(10)
        kind, h, b = read_msg(s)
        m = h + b
        assert kind == 1, kind
        body = m[19:]
        s.sendall(msg(1, body[:5] + socket.inet_aton('10.0.0.2') + body[9:]))
        s.sendall(msg(4, b''))
        while True:
            kind, h, b = read_msg(s)
            m = h + b
            if kind == 6:
                received.append(m)
            if kind == 4:
                break
        time.sleep(0.5)
        for m in to_send():
            s.sendall(m)
            sent.append(m)
            time.sleep(0.05)
        s.settimeout(0.5)
        deadline = time.time() + 12
        while time.time() < deadline:
            try:
                kind, h, b = read_msg(s)
                m = h + b
            except socket.timeout:
                continue
            if kind == 6:
                received.append(m)
            if kind == 4:
                s.sendall(msg(4, b''))
        s.close()
        time.sleep(0.5)
    finally:
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
    os.makedirs(outdir, exist_ok=True)
    for src, dst in (('txt.out', 'show-text.txt'), ('jsn.out', 'show-json.txt'), ('cmd.out', 'show-cmd.txt')):
        with open(os.path.join(tmp, src)) as f, open(os.path.join(outdir, dst), 'w') as o:
            o.write(f.read())
    with open(os.path.join(outdir, 'show-peer.txt'), 'w') as o:
        o.write(''.join(x.hex().upper() + '\n' for x in received))
    with open(os.path.join(outdir, 'show-sent.txt'), 'w') as o:
        o.write(''.join(x.hex().upper() + '\n' for x in sent))


if __name__ == '__main__':
    main()

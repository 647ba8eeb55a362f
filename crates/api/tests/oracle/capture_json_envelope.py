#!/usr/bin/env python3
"""Capture the JSON event envelope ExaBGP 5.0.15 writes to a process (the oracle of
crates/api/tests/exabgp_json_envelope.rs).

Runs real ExaBGP (from /work/venv-exabgp) with a JSON-encoder process subscribed to
`neighbor-changes` and `receive { parsed; update; open; keepalive; notification; refresh;
packets; [consolidate;] }`, against this script acting as the peer on 127.0.0.1. The peer
answers ExaBGP's OPEN with its own (router-id 10.0.0.2), then sends a KEEPALIVE, one
IPv4 UPDATE, the IPv4 unicast End-of-RIB, a ROUTE-REFRESH, a KEEPALIVE and a NOTIFICATION
(Cease/Administrative Shutdown "bye"), and closes.

usage: capture_json_envelope.py PORT OUT.json consolidate|packets|negotiated
  consolidate: the parsed events carry the raw header and body (ExaBGP `consolidate`)
  packets:     one `packets` event per message, then the parsed event without raw bytes
  negotiated:  `neighbor-changes` and `negotiated`, no `receive` (the `negotiated` event)
  negotiated-update: `negotiated` and `receive { parsed; update; packets; }` (ExaBGP then
               repeats the negotiated object in every update and packets event)
Writes the lines the process received to OUT.json and every message the peer sent
(type, then body, hex) to OUT.json.sent, one a line. Loopback only, bounded waits;
ExaBGP is stopped by its PID.
"""
import os, socket, subprocess, sys, tempfile, time

from oracle_peer import msg, read_msg

EXABGP = os.environ.get('EXABGP', '/work/venv-exabgp/bin/exabgp')

UPDATE = bytes.fromhex(
    '0000'  # no withdrawn routes
    '0015'  # path attributes length
    '40010100'  # ORIGIN igp
    '400200'  # AS_PATH empty (iBGP)
    '4003040a000002'  # NEXT_HOP 10.0.0.2
    '4005040000006e'  # LOCAL_PREF 110
    '180a0101'  # 10.1.1.0/24
)


def main():
    port, out, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    assert mode in ('consolidate', 'packets', 'negotiated', 'negotiated-update'), mode
    extra = ' consolidate;' if mode == 'consolidate' else ''
    if mode == 'negotiated':
        api = '\t\tnegotiated;\n'
    elif mode == 'negotiated-update':
        api = '\t\tnegotiated;\n\t\treceive { parsed; update; packets; }\n'
    else:
        api = f'\t\treceive {{ parsed; update; open; keepalive; notification; refresh; packets;{extra} }}\n'
    tmp = tempfile.mkdtemp(prefix='exa-env-')
    cap = os.path.join(tmp, 'cap.py')
    with open(cap, 'w') as f:
        f.write(f'#!{sys.executable}\nimport sys\nwith open("{tmp}/out.json", "a") as o:\n'
                '    for line in sys.stdin:\n        o.write(line)\n        o.flush()\n')
    os.chmod(cap, 0o755)
    conf = os.path.join(tmp, 'exa.conf')
    with open(conf, 'w') as f:
        f.write(f'''process cap {{
\trun {cap};
\tencoder json;
}}
neighbor 127.0.0.1 {{
\trouter-id 1.2.3.4;
\tlocal-address 127.0.0.1;
\tlocal-as 65000;
\tpeer-as 65000;
\tconnect {port};
\tfamily {{
\t\tipv4 unicast;
\t}}
\tapi {{
\t\tprocesses [ cap ];
\t\tneighbor-changes;
{api}\t}}
}}
''')
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('127.0.0.1', port))
    srv.listen(1)
    srv.settimeout(20)
    env = dict(os.environ, exabgp_tcp_bind='', exabgp_api_ack='false', exabgp_log_level='CRITICAL',
               exabgp_api_cli='false', exabgp_daemon_drop='false', exabgp_daemon_user='root')
    p = subprocess.Popen([EXABGP, conf], env=env, stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(tmp, 'err'), 'w'))
    sent = []

    def send(kind, body):
        s.sendall(msg(kind, body))
        sent.append(f'{kind} {body.hex().upper()}\n')

    try:
        s, _ = srv.accept()
        s.settimeout(10)
        kind, _, body = read_msg(s)
        assert kind == 1, kind
        # ExaBGP's OPEN with our router-id
        send(1, body[:5] + socket.inet_aton('10.0.0.2') + body[9:])
        send(4, b'')
        while True:
            kind, _, _ = read_msg(s)
            if kind == 4:
                break
        time.sleep(0.5)
        send(2, UPDATE)
        time.sleep(0.1)
        send(2, b'\x00\x00\x00\x00')  # ipv4 unicast End-of-RIB
        time.sleep(0.1)
        send(5, b'\x00\x01\x00\x01')
        time.sleep(0.1)
        send(4, b'')
        time.sleep(0.5)
        send(3, b'\x06\x02\x03bye')
        time.sleep(1.0)
        s.close()
        time.sleep(1.0)
    finally:
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
    time.sleep(0.3)
    with open(os.path.join(tmp, 'out.json')) as f, open(out, 'w') as o:
        o.write(f.read())
    with open(out + '.sent', 'w') as f:
        f.write(''.join(sent))


if __name__ == '__main__':
    main()

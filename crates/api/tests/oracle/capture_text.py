#!/usr/bin/env python3
"""Capture what ExaBGP's `encoder text` writes for received messages (the oracle of
crates/api/src/text.rs tests).

Runs real ExaBGP (5.x, from /work/venv-exabgp) with a text-encoder process against this
script acting as the peer on 127.0.0.1; the peer mirrors ExaBGP's OPEN, then sends the
UPDATEs given (hex, one per line, ExaBGP .ci `raw:` form accepted), for every UPDATE with
MP_REACH_NLRI a withdrawal of the same NLRI (MP_UNREACH_NLRI) and the family's End-of-RIB,
a ROUTE-REFRESH, and ends with a NOTIFICATION (Cease/Administrative Shutdown).

usage: capture_text.py PORT OUT.txt RAWFILE [add-path]
Writes ExaBGP's output to OUT.txt and the UPDATE bodies sent, in order, hex, to OUT.txt.sent
(one `update start` … `update end` block of OUT.txt per line).
Loopback only, bounded waits; ExaBGP is killed by its PID.
"""
import os, socket, struct, subprocess, sys, tempfile, time

from oracle_peer import msg, read_msg

EXABGP = os.environ.get('EXABGP', '/work/venv-exabgp/bin/exabgp')
FAMILIES = ['ipv4 unicast', 'ipv6 unicast', 'ipv4 nlri-mpls', 'ipv6 nlri-mpls', 'ipv4 mpls-vpn',
            'ipv6 mpls-vpn', 'ipv4 flow', 'ipv6 flow', 'ipv4 flow-vpn', 'ipv6 flow-vpn',
            'l2vpn vpls', 'l2vpn evpn', 'ipv4 mcast-vpn', 'ipv6 mcast-vpn', 'ipv4 mup', 'ipv6 mup']


def attributes(body):
    wl = struct.unpack('!H', body[:2])[0]
    al = struct.unpack('!H', body[2 + wl:4 + wl])[0]
    a = body[4 + wl:4 + wl + al]
    i = 0
    while i < len(a):
        flags, code = a[i], a[i + 1]
        if flags & 0x10:
            ln = struct.unpack('!H', a[i + 2:i + 4])[0]; off = i + 4
        else:
            ln = a[i + 2]; off = i + 3
        yield code, a[off:off + ln]
        i = off + ln


def withdraw_and_eor(body):
    for code, v in attributes(body):
        if code == 14:
            afi, safi, nhl = struct.unpack('!HBB', v[:4])
            nlri = v[4 + nhl + 1:]
            un = struct.pack('!HB', afi, safi) + nlri
            attr = struct.pack('!BBH', 0x90, 15, len(un)) + un
            eor = struct.pack('!HB', afi, safi)
            eattr = struct.pack('!BBB', 0x80, 15, len(eor)) + eor
            return [struct.pack('!HH', 0, len(attr)) + attr, struct.pack('!HH', 0, len(eattr)) + eattr]
    return []


def main():
    port, out, rawfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    addpath = len(sys.argv) > 4
    updates = []
    for line in open(rawfile):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        if ':raw:' in line:
            line = line.split(':raw:', 1)[1]
        h = bytes.fromhex(line.replace(':', ''))
        updates.append(h[19:])
    tmp = tempfile.mkdtemp(prefix='exa-text-')
    cap = os.path.join(tmp, 'cap.sh')
    with open(cap, 'w') as f:
        f.write(f'#!{sys.executable}\nimport sys\nwith open("{tmp}/out.txt", "a") as o:\n'
                '    for line in sys.stdin:\n        o.write(line)\n        o.flush()\n')
    os.chmod(cap, 0o755)
    fams = ''.join(f'\t\t{x};\n' for x in FAMILIES)
    ap = ('\tcapability { add-path send/receive; }\n\tadd-path {\n' + fams + '\t}\n') if addpath else ''
    conf = os.path.join(tmp, 'exa.conf')
    with open(conf, 'w') as f:
        f.write(f'''process cap {{
\trun {cap};
\tencoder text;
}}
neighbor 127.0.0.1 {{
\trouter-id 1.2.3.4;
\tlocal-address 127.0.0.1;
\tlocal-as 65000;
\tpeer-as 65000;
\tconnect {port};
\tfamily {{
{fams}\t}}
{ap}\tapi {{
\t\tprocesses [ cap ];
\t\tneighbor-changes;
\t\treceive {{ parsed; update; open; keepalive; notification; refresh; operational; }}
\t}}
}}
''')
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('127.0.0.1', port))
    srv.listen(1)
    srv.settimeout(20)
    env = dict(os.environ, exabgp_tcp_bind='', exabgp_api_ack='false', exabgp_log_level='CRITICAL',
               exabgp_api_cli='false', exabgp_daemon_drop='false',
               exabgp_daemon_user='root')
    p = subprocess.Popen([EXABGP, conf], env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, 'err'), 'w'))
    try:
        s, _ = srv.accept()
        s.settimeout(10)
        kind, _, body = read_msg(s)
        assert kind == 1, kind
        # mirror ExaBGP's OPEN with our router-id
        s.sendall(msg(1, body[:5] + socket.inet_aton('10.0.0.2') + body[9:]))
        s.sendall(msg(4, b''))
        while True:
            kind, _, _ = read_msg(s)
            if kind == 4:
                break
        time.sleep(0.5)
        sent = []
        for u in updates:
            for w in [u] + withdraw_and_eor(u):
                s.sendall(msg(2, w)); sent.append(w); time.sleep(0.05)
        s.sendall(msg(2, b'\x00\x00\x00\x00'))  # ipv4 unicast End-of-RIB
        sent.append(b'\x00\x00\x00\x00')
        with open(out + '.sent', 'w') as f:
            f.write(''.join(x.hex().upper() + '\n' for x in sent))
        s.sendall(msg(5, b'\x00\x01\x00\x01'))
        s.sendall(msg(4, b''))
        time.sleep(0.5)
        s.sendall(msg(3, b'\x06\x02\x03bye'))
        time.sleep(1.0)
        s.close()
        time.sleep(1.0)
    finally:
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
    with open(os.path.join(tmp, 'out.txt')) as f, open(out, 'w') as o:
        o.write(f.read())


if __name__ == '__main__':
    main()

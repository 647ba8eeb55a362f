"""The BGP framing the capture scripts' test peer needs (capture_*.py import it)."""
import struct


def msg(kind, body):
    """A BGP message of type `kind` with `body`: marker, length, type, body."""
    return b'\xff' * 16 + struct.pack('!HB', 19 + len(body), kind) + body


def read_msg(s):
    """Reads one message from socket `s`: (type, 19-octet header, body); EOFError at close."""
    h = b''
    while len(h) < 19:
        c = s.recv(19 - len(h))
        if not c:
            raise EOFError
        h += c
    ln = struct.unpack('!H', h[16:18])[0]
    b = b''
    while len(b) < ln - 19:
        c = s.recv(ln - 19 - len(b))
        if not c:
            raise EOFError
        b += c
    return h[18], h, b

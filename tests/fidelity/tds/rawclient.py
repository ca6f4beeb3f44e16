#!/usr/bin/python3
"""rawclient.py: a minimal TDS 7.4 client written from the protocol notes,
independent of the server's code, for tests that need the raw byte stream.

usage: rawclient.py PORT USER PASSWORD count SQL
           run SQL, print "bytes=B rows=R status=S seconds=T" from the final
           DONE token of the reply (R = its row count)
       rawclient.py PORT USER PASSWORD attention SQL
           send SQL, read the first packet, send an attention, then read
           until a DONE with the ATTN bit; print "attn-ok packets=P" and
           then run SELECT 7 to show the connection still works
       rawclient.py PORT USER PASSWORD login
           print "login-ok" or "login-failed NUMBER TEXT"
       rawclient.py PORT - - garbage SEED
           send seeded random bytes after a valid PRELOGIN; print "closed"
"""

import random
import socket
import struct
import sys
import time


def packet(typ, payload, status=1):
    return struct.pack('>BBHHBB', typ, status, len(payload) + 8, 0, 1, 0) + \
        payload


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(('127.0.0.1', port), timeout=20)
        self.buf = bytearray()
        self.pos = 0

    def fill(self, n):
        while len(self.buf) - self.pos < n:
            if self.pos > (1 << 20):
                del self.buf[:self.pos]
                self.pos = 0
            d = self.s.recv(1 << 20)
            if not d:
                raise EOFError()
            self.buf += d

    def recv_packet(self):
        self.fill(8)
        ln = struct.unpack('>H', self.buf[self.pos + 2:self.pos + 4])[0]
        self.fill(ln)
        p = self.buf[self.pos:self.pos + ln]
        self.pos += ln
        return p[0], p[1], bytes(p[8:])

    def recv_message(self):
        parts = []
        while True:
            typ, status, body = self.recv_packet()
            parts.append(body)
            if status & 1:
                return b''.join(parts)

    def prelogin(self):
        opts = [(0, b'\x09\x00\x00\x00\x00\x00'), (1, b'\x02')]
        off = 5 * len(opts) + 1
        table = b''
        data = b''
        for tok, val in opts:
            table += struct.pack('>BHH', tok, off + len(data), len(val))
            data += val
        self.s.sendall(packet(0x12, table + b'\xff' + data))
        return self.recv_message()

    def login(self, user, password):
        self.prelogin()
        fields = ['rawhost', user, password, 'rawclient', 'srv', '',
                  'rawlib', '', 'POHODA']
        var = b''
        offs = []
        base = 94
        for k, f in enumerate(fields):
            e = f.encode('utf-16-le')
            if k == 2:
                e = bytes((((b << 4) & 0xF0) | (b >> 4)) ^ 0xA5 for b in e)
            offs.append((base + len(var), len(f)))
            var += e
        fixed = struct.pack('<IIIIII', 0, 0x74000004, 4096, 7, 0, 0)
        fixed += bytes([0xE0, 0x03, 0, 0]) + struct.pack('<iI', 0, 0x409)
        for ib, cch in offs[:9]:
            fixed += struct.pack('<HH', ib, cch)
        fixed += b'\x00' * 6 + struct.pack('<HHHHHHI', base + len(var), 0,
                                           base + len(var), 0,
                                           base + len(var), 0, 0)
        assert len(fixed) == 94, len(fixed)
        body = fixed + var
        body = struct.pack('<I', len(body)) + body[4:]
        self.s.sendall(packet(0x10, body))
        return self.recv_message()

    def batch(self, sql):
        hdr = struct.pack('<IIHQI', 22, 18, 2, 0, 1)
        self.s.sendall(packet(0x01, hdr + sql.encode('utf-16-le')))


def last_done(msg):
    tok, status, cmd, rows = struct.unpack('<BHHQ', msg[-13:])
    assert tok == 0xFD, hex(tok)
    return status, rows


def login_error(reply):
    if reply[:1] == b'\xaa':
        num = struct.unpack('<i', reply[3:7])[0]
        n = struct.unpack('<H', reply[9:11])[0]
        return num, reply[11:11 + 2 * n].decode('utf-16-le')
    return None


def main():
    port, user, pw, mode = sys.argv[1:5]
    c = Conn(int(port))
    if mode == 'garbage':
        rnd = random.Random(int(sys.argv[5]))
        c.prelogin()
        try:
            for _ in range(20):
                c.s.sendall(bytes(rnd.randrange(256) for _ in range(
                    rnd.randrange(1, 300))))
            c.s.shutdown(socket.SHUT_WR)
            while c.s.recv(65536):
                pass
        except OSError:
            pass
        print('closed')
        return
    reply = c.login(user, pw)
    e = login_error(reply)
    if mode == 'login':
        print('login-failed %d %s' % e if e else 'login-ok')
        return
    if e:
        sys.exit('login failed: %s' % (e,))
    sql = sys.argv[5]
    if mode == 'count':
        t0 = time.time()
        c.batch(sql)
        total = 0
        while True:
            typ, status, body = c.recv_packet()
            total += len(body) + 8
            tail = body
            if status & 1:
                break
        st, rows = last_done(tail if len(tail) >= 13 else b'')
        print('bytes=%d rows=%d status=%d seconds=%.3f' % (
            total, rows, st, time.time() - t0))
    elif mode == 'attention':
        c.batch(sql)
        c.recv_packet()
        c.s.sendall(packet(0x06, b''))
        packets = 1
        while True:
            typ, status, body = c.recv_packet()
            packets += 1
            if status & 1 and len(body) >= 13 and body[-13] == 0xFD and \
                    struct.unpack('<H', body[-12:-10])[0] & 0x20:
                break
        c.batch('SELECT 7 AS x')
        msg = c.recv_message()
        ok = msg.find(b'\xd1\x04\x07\x00\x00\x00') >= 0
        print('attn-ok packets=%d after=%s' % (packets, 'ok' if ok else
                                                 'bad'))


if __name__ == '__main__':
    main()

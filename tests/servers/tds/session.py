"""One client connection: PRELOGIN, LOGIN7, SQL batches, attention."""

import itertools
import re
import select
import socket
import struct
import sys

import apsw
import numpy as np

from .types import (SqlError, SqlType, parse_type, collation, MAX,
                    V71, V72, V73A, V73B, V74)
from .columns import compile_column, b_varchar, us_varchar
from . import tsql

TDS_VERSIONS = {0x74000004: V74, 0x730B0003: V73B, 0x730A0003: V73A,
                0x72090002: V72, 0x71000001: V71, 0x71000000: V71,
                0x70000000: V71}
MAX_MESSAGE = 64 << 20
DONE_MORE, DONE_ERROR, DONE_COUNT, DONE_ATTN = 0x1, 0x2, 0x10, 0x20
DEFAULT_TEXTSIZE = 4096
SERVER_NAME = 'TDSTEST'


class Closed(Exception):
    pass


def log(msg):
    sys.stderr.write('tds-server: %s\n' % msg)
    sys.stderr.flush()


class CICollation:
    """SQLite comparison for *_CI_* collations (the rest compare binary)."""

    def __init__(self, ci):
        self.ci = ci

    def __call__(self, a, b):
        if self.ci:
            a, b = a.casefold(), b.casefold()
        return (a > b) - (a < b)


def collation_needed(conn, name):
    conn.createcollation(name, CICollation('_ci' in name.lower()))


def open_db(path, writable):
    flags = apsw.SQLITE_OPEN_URI | (
        apsw.SQLITE_OPEN_READWRITE if writable else
        apsw.SQLITE_OPEN_READONLY)
    db = apsw.Connection(path, flags=flags)
    db.collationneeded(collation_needed)
    from .functions import dateadd
    db.createscalarfunction('tds_dateadd', dateadd, 3)
    db.setbusytimeout(5000)
    return db


def table_collations(create_sql):
    """{lower column name: collation} from a CREATE TABLE statement."""
    out = {}
    try:
        items = tsql.group(tsql.tokenize(create_sql))
    except SqlError:
        return out
    g = next((t for t in items if t.kind == 'group'), None)
    if g is None:
        return out
    tr = tsql.Translator({}, {})
    for col in tr.args(g.items):
        if not col or col[0].kind not in ('ident', 'bracket', 'dq'):
            continue
        if col[0].kw('constraint', 'primary', 'unique', 'check',
                     'foreign'):
            continue
        for k, t in enumerate(col[:-1]):
            if t.kw('collate'):
                out[col[0].value.lower()] = col[k + 1].value
    return out


class Session:
    def __init__(self, sock, cfg, spid):
        self.sock = sock
        self.cfg = cfg
        self.spid = spid
        self.rbuf = bytearray()
        self.version = V74
        self.packet_size = 4096
        self.textsize = getattr(cfg, 'textsize', DEFAULT_TEXTSIZE)
        self.nocount = False
        self.fmtonly = False
        self.user = ''
        self.dbname = 'master'
        self.db = None
        self._schema = None
        self.cancelled = False
        self.out = bytearray()
        self.pkt_id = 1

    # ------------------------------------------------------------ I/O
    def recv_more(self):
        data = self.sock.recv(65536)
        if not data:
            raise Closed()
        self.rbuf += data

    def read_exact(self, n):
        while len(self.rbuf) < n:
            self.recv_more()
        b = bytes(self.rbuf[:n])
        del self.rbuf[:n]
        return b

    def read_message(self):
        parts = []
        total = 0
        mtype = None
        while True:
            hdr = self.read_exact(8)
            typ, status = hdr[0], hdr[1]
            ln = struct.unpack('>H', hdr[2:4])[0]
            if ln < 8:
                raise Closed()
            body = self.read_exact(ln - 8)
            if mtype is None:
                mtype = typ
            total += len(body)
            if total > MAX_MESSAGE:
                raise Closed()
            parts.append(body)
            if status & 0x01:
                return mtype, b''.join(parts)

    def send_packets(self, final):
        """Send the output buffer as packets of the negotiated size; all of
        it with EOM on the last packet when final, else only whole packets
        (keeping at least one byte back for the final packet)."""
        size = self.packet_size - 8
        buf = self.out
        n = len(buf)
        q = (n - 1) // size if n else 0     # whole packets before the last
        if q >= 64:
            arr = np.empty((q, size + 8), np.uint8)
            arr[:, 8:] = np.frombuffer(buf, np.uint8, q * size).reshape(
                q, size)
            arr[:, :8] = np.frombuffer(struct.pack(
                '>BBHHBB', 4, 0, size + 8, self.spid, 0, 0), np.uint8)
            arr[:, 6] = (self.pkt_id + np.arange(q)) & 0xFF
            self.pkt_id = (self.pkt_id + q) & 0xFF
            self.sock.sendall(arr.data)
            del buf[:q * size]
            n = len(buf)
            q = 0
        chunks = []
        pos = 0
        while n - pos > size or (final and pos < n) or (final and n == 0
                                                         and pos == 0):
            piece = buf[pos:pos + size]
            pos += len(piece)
            last = final and pos >= n
            chunks.append(struct.pack('>BBHHBB', 4, 1 if last else 0,
                                      len(piece) + 8, self.spid,
                                      self.pkt_id, 0))
            chunks.append(piece)
            self.pkt_id = (self.pkt_id + 1) & 0xFF
            if last:
                break
        del buf[:pos]
        if chunks:
            self.sock.sendall(b''.join(chunks))
        if final:
            self.pkt_id = 1

    def emit(self, b):
        self.out += b
        if len(self.out) >= 65536:
            self.send_packets(False)
            self.poll_attention()

    def finish(self):
        self.send_packets(True)

    def poll_attention(self):
        if self.cancelled:
            return
        while True:
            r, w, x = select.select([self.sock], [], [], 0)
            if not r:
                break
            self.recv_more()
        if len(self.rbuf) >= 8 and self.rbuf[0] == 0x06:
            ln = struct.unpack('>H', self.rbuf[2:4])[0]
            if len(self.rbuf) >= ln:
                del self.rbuf[:ln]
                self.cancelled = True

    # ------------------------------------------------------------ tokens
    def done(self, status, rows=0, curcmd=0, token=0xFD):
        if self.version >= V72:
            return struct.pack('<BHHQ', token, status, curcmd, rows)
        return struct.pack('<BHHI', token, status, curcmd, rows & 0xFFFFFFFF)

    def message(self, number, text, state=1, cls=16, line=1, token=None):
        if token is None:
            token = 0xAA if cls > 10 else 0xAB
        body = struct.pack('<iBB', number, state, cls) + us_varchar(text) + \
            b_varchar(SERVER_NAME) + b_varchar('') + (
                struct.pack('<i', line) if self.version >= V72
                else struct.pack('<H', line & 0xFFFF))
        return struct.pack('<BH', token, len(body)) + body

    @staticmethod
    def envchange(typ, new, old):
        body = bytes([typ]) + new + old
        return struct.pack('<BH', 0xE3, len(body)) + body

    def error(self, e, line=1):
        return self.message(e.number, e.msg, e.state, e.cls, line)

    # ------------------------------------------------------------ login
    def run(self):
        try:
            self.sock.settimeout(3600)
            if not self.login():
                return
            while True:
                typ, payload = self.read_message()
                if typ == 0x01:
                    self.batch(payload)
                elif typ == 0x06:
                    self.emit(self.done(DONE_ATTN))
                    self.finish()
                elif typ == 0x03:
                    self.emit(self.message(
                        50000, 'RPC requests are not supported by the test '
                        'server; send a SQL batch.', cls=16))
                    self.emit(self.done(DONE_ERROR))
                    self.finish()
                elif typ == 0x0E:
                    self.emit(self.done(0))
                    self.finish()
                else:
                    return
        except (Closed, OSError, socket.timeout):
            pass
        except Exception as e:          # never let a bug kill the server
            log('connection %d: internal error: %r' % (self.spid, e))
            import traceback
            traceback.print_exc()
        finally:
            try:
                self.sock.close()
            except OSError:
                pass
            if self.db is not None:
                self.db.close()

    def login(self):
        typ, payload = self.read_message()
        if typ == 0x12:
            self.prelogin(payload)
            typ, payload = self.read_message()
        if typ != 0x10:
            return False            # e.g. a TLS handshake: not supported
        return self.login7(payload)

    def prelogin(self, payload):
        opts = [(0x00, bytes([15, 0, 0x07, 0xD0, 0, 0])),   # 15.0.2000
                (0x01, b'\x02'), (0x02, b'\x00'), (0x03, b''),
                (0x04, b'\x00')]
        off = 5 * len(opts) + 1
        table = b''
        data = b''
        for tok, val in opts:
            table += struct.pack('>BHH', tok, off + len(data), len(val))
            data += val
        self.out += table + b'\xff' + data
        self.finish()

    def login7(self, p):
        if len(p) < 86:
            return False
        ver = struct.unpack('<I', p[4:8])[0]
        self.version = TDS_VERSIONS.get(ver, V74 if ver > V74 else V71)
        self.ack_version = ver if ver in TDS_VERSIONS and ver >= 0x71000000 \
            else (V74 if ver > V74 else 0x71000001)
        psize = struct.unpack('<I', p[8:12])[0] or 4096
        self.packet_size = max(512, min(psize, 32767))

        def field(off, pw=False):
            ib, cch = struct.unpack('<HH', p[off:off + 4])
            raw = p[ib:ib + 2 * cch]
            if pw:
                raw = bytes((((b ^ 0xA5) << 4) & 0xF0) | ((b ^ 0xA5) >> 4)
                            for b in raw)
            return raw.decode('utf-16-le', 'replace')
        user = field(40)
        pw = field(44, True)
        app = field(48)
        db = field(68)
        self.user = user
        users = self.cfg.users
        if users.get(user) != pw:
            self.out += self.message(18456, "Login failed for user '%s'."
                                     % user, state=1, cls=14)
            self.out += self.done(DONE_ERROR)
            self.finish()
            log('login failed for user %r (app %r)' % (user, app))
            return False
        self.dbname = db or self.cfg.dbname
        try:
            self.db = open_db(self.cfg.db, self.cfg.writable)
        except apsw.Error as e:
            self.out += self.message(4060, 'Cannot open database "%s" '
                                     'requested by the login. (%s)'
                                     % (self.dbname, e), cls=11)
            self.out += self.done(DONE_ERROR)
            self.finish()
            return False
        o = self.out
        o += self.envchange(1, b_varchar(self.dbname), b_varchar('master'))
        o += self.message(5701, "Changed database context to '%s'."
                          % self.dbname, state=2, cls=0)
        o += self.envchange(7, b'\x05' + collation(None).wire, b'\x00')
        o += self.envchange(2, b_varchar('us_english'), b_varchar(''))
        o += self.message(5703, 'Changed language setting to us_english.',
                          state=1, cls=0)
        prog = 'Microsoft SQL Server\x00\x00'
        body = b'\x01' + struct.pack('>I', self.ack_version) + \
            b_varchar(prog) + bytes([15, 0, 0x07, 0xD0])
        o += struct.pack('<BH', 0xAD, len(body)) + body
        ps = str(self.packet_size)
        o += self.envchange(4, b_varchar(ps), b_varchar(ps))
        o += self.done(0)
        self.finish()
        return True

    # ------------------------------------------------------------ batches
    def schema(self):
        if self._schema is None:
            sch = {}
            rows = list(self.db.execute(
                "SELECT name, sql FROM sqlite_master WHERE type IN "
                "('table', 'view') UNION ALL SELECT name, sql FROM "
                "sqlite_temp_master WHERE type IN ('table', 'view')"))
            for name, sql in rows:
                colls = table_collations(sql or '')
                cols = {}
                for r in self.db.execute('PRAGMA table_info(%s)'
                                         % tsql.bt(name)):
                    t = parse_type(r[2])
                    if t is not None and t.is_string():
                        t.coll = colls.get(r[1].lower())
                    cols[r[1].lower()] = (r[1], t)
                sch[name.lower()] = cols
            self._schema = sch
        return self._schema

    def env(self):
        return {'db': self.dbname, 'user': self.user, 'spid': self.spid,
                'textsize': self.textsize}

    def batch(self, payload):
        if self.version >= V72 and len(payload) >= 4:
            hl = struct.unpack('<I', payload[:4])[0]
            if 4 <= hl <= len(payload) and hl < 1024:
                payload = payload[hl:]
        if len(payload) % 2:
            payload = payload[:-1]
        text = payload.decode('utf-16-le', 'replace')
        self.cancelled = False
        try:
            stmts = tsql.split_statements(tsql.group(tsql.tokenize(text)))
        except (SqlError, RecursionError) as e:
            if not isinstance(e, SqlError):
                e = SqlError(191, 'Some part of your SQL statement is '
                             'nested too deeply.', cls=15)
            self.emit(self.error(e))
            self.emit(self.done(DONE_ERROR))
            self.finish()
            return
        if not stmts:
            self.emit(self.done(0))
            self.finish()
            return
        for k, st in enumerate(stmts):
            more = k < len(stmts) - 1
            line = getattr(st[0], 'line', 1)
            try:
                self.statement(st, more)
            except Abort:
                break
            except SqlError as e:
                self.emit(self.error(e, line))
                self.emit(self.done(DONE_ERROR))
                break
            except apsw.Error as e:
                self.emit(self.error(map_sqlite_error(e), line))
                self.emit(self.done(DONE_ERROR))
                break
            except (Closed, OSError):
                raise
            except Exception as e:      # a bug here must not kill the
                import traceback        # connection: report, go on
                traceback.print_exc()
                self.emit(self.error(SqlError(
                    50000, 'tds-server internal error: %r' % (e,)), line))
                self.emit(self.done(DONE_ERROR))
                break
            if self.cancelled:
                self.finish()
                self.emit(self.done(DONE_ATTN))
                break
        self.finish()
        if self.cancelled:
            self.cancelled = False
        else:
            # an attention that raced with the end of the reply
            self.poll_attention()
            if self.cancelled:
                self.cancelled = False
                self.emit(self.done(DONE_ATTN))
                self.finish()

    def statement(self, st, more):
        first = st[0]
        w = first.value.lower() if first.kind == 'ident' else ''
        mflag = DONE_MORE if more else 0
        if w == 'set':
            self.set_option(st)
            self.emit(self.done(mflag))
            return
        if w == 'use':
            if len(st) != 2:
                raise tsql.syntax_error('USE', first.line)
            self.dbname = st[1].value
            self.emit(self.envchange(1, b_varchar(self.dbname),
                                     b_varchar(self.dbname)))
            self.emit(self.message(5701, "Changed database context to "
                                   "'%s'." % self.dbname, 2, 0))
            self.emit(self.done(mflag))
            return
        if w in ('begin', 'commit', 'rollback', 'save') and (
                len(st) == 1 or st[1].kw('tran', 'transaction', 'work')):
            self.emit(self.done(mflag))
            return
        if w == 'print':
            tr = tsql.Translator(self.schema(), self.env())
            sql, typ = tr.expr(st[1:])
            v = self.db.execute('SELECT ' + sql).fetchall()[0][0]
            self.emit(self.message(0, '' if v is None else str(v), 1, 0))
            self.emit(self.done(mflag))
            return
        if w in ('select', 'with') or first.kind == 'group':
            if self.cfg.synthetic is not None:
                from .synthetic import match_query
                q = match_query(st)
                if q is not None:
                    self.cfg.synthetic.stream(self, q, mflag)
                    return
            self.select(st, mflag)
            return
        if w in ('insert', 'update', 'delete', 'create', 'drop', 'alter') \
                and self.cfg.writable:
            tr = tsql.Translator(self.schema(), self.env())
            tr.prescan(st)
            sql = tr.seq(st, top=False)
            self.db.execute(sql)
            n = self.db.changes() if w in ('insert', 'update',
                                           'delete') else 0
            self._schema = None
            self.emit(self.done(mflag | (0 if self.nocount or w in (
                'create', 'drop', 'alter') else DONE_COUNT), n,
                {'insert': 0xC3, 'update': 0xC5, 'delete': 0xC4}.get(w, 0)))
            return
        raise SqlError(50000, "Statement '%s' is not supported by the test "
                       "server." % (first.text.upper()), cls=16)

    def set_option(self, st):
        words = [t.value.lower() if t.kind == 'ident' else t.text
                 for t in st[1:]]
        if not words:
            raise tsql.syntax_error('SET', st[0].line)
        if words[0] == 'textsize' and len(words) >= 2:
            try:
                n = int(''.join(words[1:]))
            except ValueError:
                raise tsql.syntax_error(words[1], st[0].line)
            self.textsize = DEFAULT_TEXTSIZE if n == 0 else (
                2147483647 if n < 0 else n)
        elif words[0] == 'nocount' and len(words) >= 2:
            self.nocount = words[1] == 'on'
        elif words[0] == 'fmtonly' and len(words) >= 2:
            self.fmtonly = words[1] == 'on'
        elif words[0].startswith('@'):
            raise SqlError(137, 'Must declare the scalar variable "%s".'
                           % st[1].value, cls=15)

    def select(self, st, mflag):
        tr = tsql.Translator(self.schema(), self.env())
        tr.prescan(st)
        sql = tr.seq(st, top=True)
        if tr.into:
            return self.select_into(tr, sql, mflag)
        cur = self.db.cursor()
        it = cur.execute(sql)
        try:
            desc = cur.getdescription()
        except apsw.ExecutionCompleteError:
            desc = self.describe(sql)
            it = iter(())
        cols, rows = self.result_columns(tr, desc, it)
        self.emit(b'\x81' + struct.pack('<H', len(cols)) +
                  b''.join(c.meta for c in cols))
        if self.fmtonly:
            self.emit(self.done(mflag, 0, 0xC1))
            return
        nbc = self.version >= V73B
        n = 0
        ncols = len(cols)
        pairs = [(c.enc, c.null) for c in cols]
        for row in rows:
            try:
                if nbc and None in row:
                    bm = bytearray((ncols + 7) // 8)
                    parts = []
                    for k, v in enumerate(row):
                        if v is None:
                            bm[k >> 3] |= 1 << (k & 7)
                        else:
                            parts.append(pairs[k][0](v))
                    rec = b'\xd2' + bytes(bm) + b''.join(parts)
                else:
                    rec = b'\xd1' + b''.join(
                        [p[1] if v is None else p[0](v)
                         for p, v in zip(pairs, row)])
            except SqlError as e:
                self.emit(self.error(e))
                self.emit(self.done(DONE_ERROR | DONE_COUNT, n, 0xC1))
                raise Abort()
            self.emit(rec)
            n += 1
            if self.cancelled:
                break
        status = mflag | (0 if self.nocount else DONE_COUNT)
        self.emit(self.done(status, n, 0xC1))

    def describe(self, sql):
        """Column names and declared types of a query that returned no
        rows (apsw only describes a running statement): outer-join it to a
        one-row table so one all-NULL row comes back."""
        cur = self.db.cursor()
        cur.execute('SELECT q.* FROM (SELECT 1) AS one LEFT JOIN (%s) AS q '
                    'ON 1' % sql)
        d = cur.getdescription()
        for _ in cur:
            pass
        return [(re.sub(r':\d+$', '', n), t) for n, t in d]

    def result_columns(self, tr, desc, it):
        items = tr.items or []
        stars = sum(1 for x in items if x.star)
        mapping = [None] * len(desc)
        if stars == 0 and len(items) == len(desc):
            mapping = items
        elif stars == 1:
            extra = len(desc) - (len(items) - 1)
            k = 0
            for x in items:
                if x.star:
                    k += extra
                else:
                    if k < len(desc):
                        mapping[k] = x
                    k += 1
        specs = []
        for k, (name, decl) in enumerate(desc):
            item = mapping[k]
            t = parse_type(decl) if decl else None
            strict = t is not None
            if t is not None and t.is_string():
                ct = None
                if item is not None and item.colref:
                    ct = tr.column_type(item.colref)
                elif item is None:
                    ct = tr.column_type([name])
                if ct is not None and ct.is_string():
                    t.coll = ct.coll
                if item is not None and item.type is not None and \
                        item.type.coll and item.type.is_string():
                    t.coll = item.type.coll
            if t is None and item is not None and item.type is not None:
                t = item.type
            if item is not None and not item.star:
                cname = item.alias if item.alias is not None else (
                    name if item.colref else '')
            else:
                cname = name
            specs.append([cname, t, strict])
        rows = it
        if any(s[1] is None for s in specs):
            buf = list(itertools.islice(it, 1000))
            for k, s in enumerate(specs):
                if s[1] is None:
                    s[1] = guess_type([r[k] for r in buf])
            rows = itertools.chain(buf, it)
        cols = [compile_column(n, t, self.version, strict, self.textsize)
                for n, t, strict in specs]
        return cols, rows

    def select_into(self, tr, sql, mflag):
        cur = self.db.cursor()
        it = cur.execute(sql)
        try:
            desc = cur.getdescription()
        except apsw.ExecutionCompleteError:
            desc = self.describe(sql)
            it = iter(())
        cols, rows = self.result_columns(tr, desc, it)
        rows = list(rows)
        name = tr.into
        if not name.startswith('`#'):
            raise SqlError(50000, 'SELECT INTO is supported for #temporary '
                           'tables only by the test server.')
        defs = []
        for c in cols:
            t = c.type
            d = tsql.bt(c.name or 'f%d' % (len(defs) + 1)) + ' ' + t.sql()
            if t.is_string() and t.coll and t.name in ('char', 'varchar',
                                                       'text'):
                d += ' COLLATE ' + t.coll
            defs.append(d)
        self.db.execute('DROP TABLE IF EXISTS temp.%s' % name)
        self.db.execute('CREATE TEMP TABLE %s (%s)' % (name, ', '.join(defs)))
        with self.db:
            self.db.executemany('INSERT INTO temp.%s VALUES (%s)' % (
                name, ', '.join('?' * len(cols))), rows)
        self._schema = None
        self.emit(self.done(mflag | (0 if self.nocount else DONE_COUNT),
                            len(rows), 0xC1))


class Abort(SqlError):
    def __init__(self):
        SqlError.__init__(self, 0, 'aborted')


def guess_type(values):
    vals = [v for v in values if v is not None]
    if not vals:
        return SqlType('int')
    if all(isinstance(v, int) for v in vals):
        if all(-2**31 <= v < 2**31 for v in vals):
            return SqlType('int')
        return SqlType('bigint')
    if all(isinstance(v, (int, float)) for v in vals):
        return SqlType('float')
    if all(isinstance(v, bytes) for v in vals):
        m = max(len(v) for v in vals)
        return SqlType('varbinary', m if 0 < m <= 8000 else (
            MAX if m else 1))
    m = max(len(str(v).encode('utf-16-le')) // 2 for v in vals)
    return SqlType('nvarchar', 4000 if m <= 4000 else MAX)


ERRMAP = [
    (r'no such table: (?:\w+\.)?(.*)', 208, "Invalid object name '%s'."),
    (r'no such column: (.*)', 207, "Invalid column name '%s'."),
    (r'ambiguous column name: (.*)', 209, "Ambiguous column name '%s'."),
    (r'no such function: (.*)', 195,
     "'%s' is not a recognized built-in function name."),
    (r'near "(.*)": syntax error', 102, "Incorrect syntax near '%s'."),
    (r'incomplete input', 102, "Incorrect syntax near the end of input.%s"),
    (r'no such collation sequence: (.*)', 448, "Invalid collation '%s'."),
    (r'wrong number of arguments to function (\w+)', 174,
     "The %s function requires a different number of arguments."),
    (r'attempt to write a readonly database', 3906,
     "Failed to update database because the database is read-only.%s"),
]


def map_sqlite_error(e):
    msg = str(e)
    m = re.match(r'^\w+Error: (.*)$', msg)
    if m:
        msg = m.group(1)
    for pat, num, text in ERRMAP:
        m = re.search(pat, msg)
        if m:
            arg = m.group(1) if m.groups() else ''
            arg = arg.strip('`').split('.')[-1].strip('`') if num in (
                208, 207) else arg
            return SqlError(num, text % arg, cls=16 if num not in (102,)
                            else 15)
    return SqlError(50000, 'SQLite: %s' % msg)

"""--synthetic-rows N: a virtual table BIG of N invoice-like rows, produced
fast enough (numpy, pre-laid-out rows) that a benchmark measures the
client, not this server.

Row i (ID = 1..N) holds, as functions of i only (r = i % 80000, so that
all but a few bytes of a block of 80000 rows are computed once):
  ID        int               i
  Cislo     varchar(16)       'FV%08d' % i
  Datum     datetime          2020-01-01 + (r % 1461) days,
                              time of day (r * 7919 % 86400) seconds, .000
  Firma     varchar(64)       FIRMY[i % 8]  (Czech, code page 1250)
  Kc        money             ((r * 12345) % 100000000 - 50000000) / 10000
  Castka    decimal(19,2)     ((r * 1001) % 1000000000 - 100000000) / 100
  Mnozstvi  float             r * 0.25
  Zaplaceno bit               1 if r % 3 == 0 else 0
  Pozn      nvarchar(40)      'Poznámka č. %08d' % i
  Guid      uniqueidentifier  '%08X-0000-4000-8000-%012X'
                              % (i, (r * 2654435761) % 2**48)
No value is NULL.  Served for: SELECT [TOP n] * | col, ... FROM [..].BIG
[WITH (NOLOCK)]; any other query naming BIG goes to SQLite (and fails).
"""

import datetime
import struct
import threading

import numpy as np

from .types import SqlType
from .columns import compile_column

FIRMY = ['Dřevařství Novák s.r.o.', 'Žluťoučký kůň a.s.',
         'Účetní kancelář Čermák', 'Pekárna U Šťastných',
         'Stavby Přibyl & syn', 'Ovoce Ďáblice v.o.s.',
         'Truhlářství Kůrka', 'ELEKTRO Řezníček spol. s r.o.']
COLUMNS = [('ID', SqlType('int')), ('Cislo', SqlType('varchar', 16)),
           ('Datum', SqlType('datetime')), ('Firma', SqlType('varchar', 64)),
           ('Kc', SqlType('money')),
           ('Castka', SqlType('decimal', prec=19, scale=2)),
           ('Mnozstvi', SqlType('float')), ('Zaplaceno', SqlType('bit')),
           ('Pozn', SqlType('nvarchar', 40)),
           ('Guid', SqlType('uniqueidentifier'))]
PERIOD = 80000            # rows; a multiple of 8 and of 10000
DAY0 = (datetime.date(2020, 1, 1) - datetime.date(1900, 1, 1)).days


def row_values(i):
    """The row of ID i in canonical form (documentation and debugging)."""
    r = i % PERIOD
    d = datetime.date(2020, 1, 1) + datetime.timedelta(days=r % 1461)
    s = r * 7919 % 86400
    kc = (r * 12345) % 100000000 - 50000000
    ca = (r * 1001) % 1000000000 - 100000000
    return [i, 'FV%08d' % i, '%s %02d:%02d:%02d.000' % (
        d.isoformat(), s // 3600, s // 60 % 60, s % 60), FIRMY[i % 8],
        '%s%d.%04d' % ('-' if kc < 0 else '', abs(kc) // 10000,
                       abs(kc) % 10000),
        '%s%d.%02d' % ('-' if ca < 0 else '', abs(ca) // 100, abs(ca) % 100),
        r * 0.25, 1 if r % 3 == 0 else 0, 'Poznámka č. %08d' % i,
        '%08X-0000-4000-8000-%012X' % (i, (r * 2654435761) % 2**48)]


_DIGITS4 = np.array([list(b'%04d' % k) for k in range(10000)], np.uint8)


def _digits(ids, n):
    """8 ASCII digits of each id (n == 8), by table look-up."""
    assert n == 8
    return np.hstack([_DIGITS4[(ids // 10000) % 10000],
                      _DIGITS4[ids % 10000]])


def _bytes(a, dt):
    return np.ascontiguousarray(a.astype(dt)).view(np.uint8).reshape(
        a.shape[0], -1)




def _hi_digits(ids):
    return _DIGITS4[(ids // 10000) % 10000]


def patcher(name):
    """Bytes of a field that are not periodic in PERIOD: (byte positions
    within the field's value, ids -> uint8 array (len(ids), positions))."""
    if name == 'ID':
        return [0, 1, 2, 3], lambda ids: _bytes(ids, '<i4')
    if name == 'Cislo':
        return [0, 1, 2, 3], _hi_digits
    if name == 'Pozn':
        return [0, 2, 4, 6], _hi_digits
    if name == 'Guid':
        return [0, 1, 2, 3], lambda ids: _bytes(ids, '<u4')
    return None


def field_writer(name):
    """-> (fixed prefix bytes, value byte count, vectorized filler) where the
    filler maps ids (int64 array) to a uint8 array (len(ids), count), or
    None for fields whose bytes depend on i % 8 only (Firma)."""
    if name == 'ID':
        return b'\x04', 4, lambda ids: _bytes(ids, '<i4')
    if name == 'Cislo':
        return struct.pack('<H', 10) + b'FV', 8, lambda ids: _digits(ids, 8)
    if name == 'Datum':
        def f(ids):
            r = ids % PERIOD
            days = DAY0 + r % 1461
            ticks = (r * 7919 % 86400) * 300
            return np.hstack([_bytes(days, '<i4'), _bytes(ticks, '<u4')])
        return b'\x08', 8, f
    if name == 'Kc':
        def f(ids):
            v = (ids % PERIOD * 12345) % 100000000 - 50000000
            return np.hstack([_bytes(v >> 32, '<i4'),
                              _bytes(v & 0xFFFFFFFF, '<u4')])
        return b'\x08', 8, f
    if name == 'Castka':
        def f(ids):
            v = (ids % PERIOD * 1001) % 1000000000 - 100000000
            return np.hstack([(v >= 0).astype(np.uint8).reshape(-1, 1),
                              _bytes(np.abs(v), '<u8')])
        return b'\x09', 9, f
    if name == 'Mnozstvi':
        return b'\x08', 8, lambda ids: _bytes(ids % PERIOD * 0.25, '<f8')
    if name == 'Zaplaceno':
        return b'\x01', 1, lambda ids: (ids % PERIOD % 3 == 0).astype(
            np.uint8).reshape(-1, 1)
    if name == 'Pozn':
        pre = 'Poznámka č. '.encode('utf-16-le')

        def f(ids):
            d = _digits(ids, 8)
            out = np.zeros((ids.shape[0], 16), np.uint8)
            out[:, 0::2] = d
            return out
        return struct.pack('<H', len(pre) + 16) + pre, 16, f
    if name == 'Guid':
        def f(ids):
            tail = _bytes((ids % PERIOD * 2654435761) % 2**48,
                          '>u8')[:, 2:]
            fixed = np.tile(np.frombuffer(b'\x00\x00\x00\x40\x80\x00',
                                          np.uint8), (ids.shape[0], 1))
            return np.hstack([_bytes(ids, '<u4'), fixed, tail])
        return b'\x10', 16, f
    return None


def match_query(st):
    """SELECT [TOP n] * | col, ... FROM [srv.][db.][dbo.]BIG -> (cols, top)
    or None."""
    toks = [t for t in st if not (t.kind == 'punct' and t.text == ';')]
    if len(toks) < 4 or not toks[0].kw('select'):
        return None
    i = 1
    top = None
    if toks[i].kw('top'):
        t = toks[i + 1]
        if t.kind == 'group' and len(t.items) == 1 and \
                t.items[0].kind == 'num':
            t = t.items[0]
        if t.kind != 'num' or not t.text.isdigit():
            return None
        top = int(t.text)
        i += 2
    cols = []
    names = {c[0].lower(): c[0] for c in COLUMNS}
    while i < len(toks):
        t = toks[i]
        if t.kind == 'op' and t.text == '*':
            cols.extend(c[0] for c in COLUMNS)
        elif t.kind in ('ident', 'bracket') and t.value.lower() in names:
            cols.append(names[t.value.lower()])
        else:
            return None
        i += 1
        if i < len(toks) and toks[i].kind == 'punct' and toks[i].text == ',':
            i += 1
            continue
        break
    if i >= len(toks) or not toks[i].kw('from'):
        return None
    i += 1
    parts = []
    while i < len(toks) and toks[i].kind in ('ident', 'bracket', 'punct'):
        if toks[i].kind == 'punct' and toks[i].text != '.':
            return None
        parts.append(toks[i].value if toks[i].kind != 'punct' else '.')
        i += 1
    if not parts or parts[-1].lower() != 'big':
        return None
    if i + 1 < len(toks) and toks[i].kw('with') and toks[i + 1].kind == \
            'group':
        i += 2
    if i != len(toks) or not cols or len(set(cols)) != len(cols):
        return None
    return cols, top


class Synthetic:
    def __init__(self, nrows):
        self.nrows = nrows
        self.layouts = {}
        self.periods = {}
        self.lock = threading.Lock()

    def layout(self, cols):
        """Template of 8 consecutive rows (ids 8k+1 .. 8k+8) and the byte
        offsets of every varying field within it."""
        key = tuple(cols)
        if key in self.layouts:
            return self.layouts[key]
        tpl = bytearray()
        starts = []
        offs = {}               # field -> [offset of row j's value]
        for j in range(8):
            starts.append(len(tpl))
            tpl += b'\xd1'
            for c in cols:
                if c == 'Firma':
                    b = FIRMY[(j + 1) % 8].encode('cp1250')
                    tpl += struct.pack('<H', len(b)) + b
                    continue
                pre, width, f = field_writer(c)
                tpl += pre
                offs.setdefault(c, []).append(len(tpl))
                tpl += b'\x00' * width
        starts.append(len(tpl))
        fills = []
        for c, o in offs.items():
            pre, width, f = field_writer(c)
            fills.append((o, f, width))
        lay = (bytes(tpl), starts, fills)
        self.layouts[key] = lay
        return lay

    def slow_block(self, lay, first, count):
        """Rows first .. first+count-1 (first % 8 == 1), every field
        computed; used once per layout for the PERIOD-row template."""
        tpl, starts, fills = lay
        m = (count + 7) // 8
        raw = np.empty((m, len(tpl)), np.uint8)
        raw[:] = np.frombuffer(tpl, np.uint8)
        flat = raw.reshape(-1)
        ids = first + np.arange(m * 8, dtype=np.int64)
        rows = np.arange(m, dtype=np.int64)[:, None, None] * len(tpl)
        for offs, f, width in fills:
            idx = rows + np.array(offs, np.int64)[None, :, None] + \
                np.arange(width, dtype=np.int64)[None, None, :]
            flat[idx.reshape(-1)] = f(ids).reshape(-1)
        return flat

    def period(self, lay, cols):
        """The template of PERIOD rows and, for the fields that are not
        periodic, flat byte positions and value functions."""
        with self.lock:
            return self._period(lay, cols)

    def _period(self, lay, cols):
        got = self.periods.get(tuple(cols))
        if got is None:
            tpl, starts, fills = lay
            base = self.slow_block(lay, 1, PERIOD)
            m = PERIOD // 8
            rows = np.arange(m, dtype=np.int64)[:, None, None] * len(tpl)
            patches = []
            for (offs, f, width), c in zip(fills, [c for c in self.fcols(
                    cols)]):
                p = patcher(c)
                if p is None:
                    continue
                pos, pf = p
                idx = rows + np.array(offs, np.int64)[None, :, None] + \
                    np.array(pos, np.int64)[None, None, :]
                patches.append((idx.reshape(-1), pf))
            got = (base, patches)
            self.periods[tuple(cols)] = got
        return got

    @staticmethod
    def fcols(cols):
        seen = []
        for c in cols:
            if c != 'Firma' and c not in seen:
                seen.append(c)
        return seen

    def block(self, lay, cols, first, count):
        """Rows first .. first+count-1, first % PERIOD == 1, count <=
        PERIOD: the template with the non-periodic bytes patched."""
        tpl, starts, fills = lay
        base, patches = self.period(lay, cols)
        flat = base.copy()
        ids = first + np.arange(PERIOD, dtype=np.int64)
        for idx, pf in patches:
            flat[idx] = pf(ids).reshape(-1)
        m = (count + 7) // 8
        r = count % 8
        end = m * len(tpl) if r == 0 else (m - 1) * len(tpl) + starts[r]
        return flat[:end].data

    def stream(self, sess, q, mflag):
        cols, top = q
        n = self.nrows if top is None else min(top, self.nrows)
        types = dict(COLUMNS)
        meta = [compile_column(c, types[c], sess.version) for c in cols]
        sess.emit(b'\x81' + struct.pack('<H', len(meta)) +
                  b''.join(c.meta for c in meta))
        lay = self.layout(cols)
        done = 0
        if not sess.fmtonly:
            while done < n and not sess.cancelled:
                k = min(PERIOD, n - done)
                sess.emit(self.block(lay, cols, done + 1, k))
                done += k
        sess.emit(sess.done(mflag | (0 if sess.nocount else 0x10), done,
                            0xC1))

"""SQL Server types: parse declared type names, build TYPE_INFO bytes and
encode canonical SQLite values (see tests/servers/README.md) into the TDS
wire form of the declared type.

A value that does not fit its type raises ValueError2 carrying a SQL Server
error number, so the server answers with an ERROR token, never a crash.
"""

import datetime
import re
import uuid
import decimal
from decimal import Decimal, ROUND_HALF_UP, InvalidOperation

# 38-digit decimals need more than the default 28 digits; every thread's
# context is copied from DefaultContext.
decimal.DefaultContext.prec = 200
decimal.getcontext().prec = 200

V71 = 0x71000001
V72 = 0x72090002
V73A = 0x730A0003
V73B = 0x730B0003
V74 = 0x74000004


class SqlError(Exception):
    """An error the server reports to the client as an ERROR token."""

    def __init__(self, number, msg, state=1, cls=16):
        Exception.__init__(self, msg)
        self.number = number
        self.msg = msg
        self.state = state
        self.cls = cls


def overflow(tname):
    return SqlError(8115, "Arithmetic overflow error converting expression "
                    "to data type %s." % tname)


# Collations: name -> (lcid, flags byte, version nibble, sortid, codec).
LANG_LCID = {
    'czech': 0x405, 'slovak': 0x41B, 'polish': 0x415, 'hungarian': 0x40E,
    'croatian': 0x41A, 'romanian': 0x418, 'slovenian': 0x424,
    'albanian': 0x41C, 'latin1_general': 0x409, 'cyrillic_general': 0x419,
    'greek': 0x408, 'turkish': 0x41F, 'german_phonebook': 0x10407,
    'modern_spanish': 0xC0A, 'french': 0x40C,
}
LCID_CP = {0x405: 'cp1250', 0x41B: 'cp1250', 0x415: 'cp1250',
           0x40E: 'cp1250', 0x41A: 'cp1250', 0x418: 'cp1250',
           0x424: 'cp1250', 0x41C: 'cp1250', 0x419: 'cp1251',
           0x408: 'cp1253', 0x41F: 'cp1254'}
DEFAULT_COLLATION = 'Czech_CI_AS'


class Collation:
    def __init__(self, name):
        self.name = name
        low = name.lower()
        sortid = 0
        if low.startswith('sql_latin1_general_cp1_'):
            lcid, sortid = 0x409, 52 if '_ci_' in low + '_' else 51
            rest = low[len('sql_latin1_general_cp1'):]
        elif low.startswith('sql_latin1_general_cp1250_'):
            lcid, sortid = 0x405, 82 if '_ci_' in low + '_' else 81
            rest = low[len('sql_latin1_general_cp1250'):]
        else:
            lcid = None
            for lang in sorted(LANG_LCID, key=len, reverse=True):
                if low.startswith(lang + '_'):
                    lcid = LANG_LCID[lang]
                    rest = low[len(lang):]
                    break
            if lcid is None:
                raise SqlError(448, "Invalid collation '%s'." % name)
        parts = rest.strip('_').split('_')
        flags = 0
        ver = 0
        binflags = 0
        if '90' in parts:
            ver = 1
        if '100' in parts:
            ver = 2
        if '140' in parts:
            ver = 3
        if 'bin' in parts:
            binflags |= 1
        elif 'bin2' in parts:
            binflags |= 2
        else:
            if 'ci' in parts:
                flags |= 0x10
            if 'ai' in parts:
                flags |= 0x20
            if 'ks' not in parts:
                flags |= 0x40
            if 'ws' not in parts:
                flags |= 0x80
        self.utf8 = 'utf8' in parts
        if self.utf8:
            binflags |= 4
        self.codec = 'utf-8' if self.utf8 else LCID_CP.get(lcid & 0xFFFF,
                                                            'cp1252')
        if sortid == 82 or sortid == 81:
            self.codec = 'cp1250'
        self.case_insensitive = bool(flags & 0x10)
        self.wire = bytes([lcid & 0xFF, (lcid >> 8) & 0xFF,
                           ((lcid >> 16) & 0x0F) | flags,
                           binflags | (ver << 4), sortid])


_collations = {}


def collation(name):
    key = (name or DEFAULT_COLLATION).lower()
    c = _collations.get(key)
    if c is None:
        c = Collation(name or DEFAULT_COLLATION)
        _collations[key] = c
    return c


# ---------------------------------------------------------------- types

CHAR_TYPES = ('char', 'varchar', 'text')
NCHAR_TYPES = ('nchar', 'nvarchar', 'ntext', 'xml')
BIN_TYPES = ('binary', 'varbinary', 'image', 'timestamp')
STRING_TYPES = CHAR_TYPES + NCHAR_TYPES
INT_RANGE = {'tinyint': (0, 255), 'smallint': (-32768, 32767),
             'int': (-2**31, 2**31 - 1), 'bigint': (-2**63, 2**63 - 1)}
INT_LEN = {'tinyint': 1, 'smallint': 2, 'int': 4, 'bigint': 8}
DATE_TYPES = ('date', 'time', 'datetime2', 'datetimeoffset', 'datetime',
              'smalldatetime')
MAX = -1


class SqlType:
    """name: lower-case base type; length: characters (bytes for binary),
    MAX for (max); prec/scale for decimal and scale for time types."""

    def __init__(self, name, length=None, prec=None, scale=None,
                 coll=None):
        self.name = name
        self.length = length
        self.prec = prec
        self.scale = scale
        self.coll = coll

    def __repr__(self):
        return 'SqlType(%s)' % self.sql()

    def sql(self):
        n = self.name
        if n in ('decimal', 'numeric'):
            return '%s(%d,%d)' % (n, self.prec, self.scale)
        if n in ('time', 'datetime2', 'datetimeoffset'):
            return '%s(%d)' % (n, self.scale)
        if n in ('char', 'varchar', 'nchar', 'nvarchar', 'binary',
                 'varbinary'):
            return '%s(%s)' % (n, 'max' if self.length == MAX
                               else self.length)
        return n

    def is_string(self):
        return self.name in STRING_TYPES

    def is_numeric(self):
        return self.name in NUMERIC_PREC

    def with_coll(self, coll):
        return SqlType(self.name, self.length, self.prec, self.scale, coll)


# SQL Server data type precedence, highest first (for expression typing).
PRECEDENCE = ['datetimeoffset', 'datetime2', 'datetime', 'smalldatetime',
              'date', 'time', 'float', 'real', 'decimal', 'numeric',
              'money', 'smallmoney', 'bigint', 'int', 'smallint',
              'tinyint', 'bit', 'ntext', 'text', 'image', 'timestamp',
              'uniqueidentifier', 'nvarchar', 'nchar', 'varchar', 'char',
              'varbinary', 'binary']
NUMERIC_PREC = ('float', 'real', 'decimal', 'numeric', 'money',
                'smallmoney', 'bigint', 'int', 'smallint', 'tinyint', 'bit')

_TYPE_RE = re.compile(r'^\s*([a-z_][a-z_0-9 ]*?)\s*(?:\(\s*([^)]*)\))?\s*$', re.I)
ALIASES = {'integer': 'int', 'double precision': 'float',
           'double': 'float', 'character': 'char',
           'national character varying': 'nvarchar',
           'national char varying': 'nvarchar', 'national char': 'nchar',
           'character varying': 'varchar', 'char varying': 'varchar',
           'dec': 'decimal', 'rowversion': 'timestamp', 'bool': 'bit',
           'boolean': 'bit'}


def parse_type(decl, coll=None):
    """A declared type name ("varchar(64)", "decimal(19,4)") -> SqlType.
    SQLite's own names (INTEGER, TEXT, REAL, BLOB, NUMERIC) map to the
    nearest SQL Server type.  Returns None for an unknown name."""
    if not decl:
        return None
    m = _TYPE_RE.match(decl)
    if not m:
        return None
    name = ' '.join(m.group(1).lower().split())
    args = [a.strip().lower() for a in m.group(2).split(',')] \
        if m.group(2) is not None else []
    name = ALIASES.get(name, name)
    try:
        if name in ('char', 'varchar', 'nchar', 'nvarchar', 'binary',
                    'varbinary'):
            if args and args[0] in ('max', '-1'):
                if name in ('char', 'nchar', 'binary'):
                    return None
                return SqlType(name, MAX, coll=coll)
            n = int(args[0]) if args else (
                1 if name in ('char', 'nchar', 'binary') else MAX)
            limit = 4000 if name[0] == 'n' else 8000
            if n < 1 or n > limit:
                return None
            return SqlType(name, n, coll=coll)
        if name in ('decimal', 'numeric'):
            p = int(args[0]) if args else 18
            s = int(args[1]) if len(args) > 1 else 0
            if not 1 <= p <= 38 or not 0 <= s <= p:
                return None
            return SqlType(name, prec=p, scale=s)
        if name in ('time', 'datetime2', 'datetimeoffset'):
            s = int(args[0]) if args else 7
            if not 0 <= s <= 7:
                return None
            return SqlType(name, scale=s)
        if name == 'float':
            n = int(args[0]) if args else 53
            return SqlType('real' if n <= 24 else 'float')
        if name in ('text', 'ntext', 'image', 'xml'):
            return SqlType(name, MAX, coll=coll)
        if name == 'sysname':
            return SqlType('nvarchar', 128, coll=coll)
        if name in ('tinyint', 'smallint', 'int', 'bigint', 'bit', 'real',
                    'money', 'smallmoney', 'date', 'datetime',
                    'smalldatetime', 'uniqueidentifier', 'timestamp'):
            if name == 'timestamp':
                return SqlType('timestamp', 8)
            return SqlType(name)
        # SQLite affinity names (tables made by CREATE TABLE AS etc.)
        if name in ('int', 'num', 'numeric'):
            return SqlType('bigint') if name == 'int' else SqlType(
                'float')
        if name == 'real':
            return SqlType('float')
        if name == 'blob':
            return SqlType('varbinary', MAX)
    except ValueError:
        return None
    return None


# ---------------------------------------------------------- values

_DT_RE = re.compile(
    r'^\s*(?:(\d{4})-(\d{1,2})-(\d{1,2}))?(?:(?:^|[ T])\s*(\d{1,2}):(\d{2})'
    r'(?::(\d{2})(?:\.(\d{0,9})\d*)?)?)?\s*(?:(Z)|([+-])(\d{1,2}):?(\d{2}))?'
    r'\s*$')
ORD0 = datetime.date(1, 1, 1).toordinal()
ORD1900 = datetime.date(1900, 1, 1).toordinal()


def parse_datetime(v, what):
    """Canonical date/time text -> (days since 0001-01-01 or None,
    seconds of day, nanoseconds, offset minutes or None)."""
    if isinstance(v, bytes):
        v = v.decode('utf-8', 'replace')
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        # numbers count days since 1900-01-01, as CAST(n AS datetime)
        days = int(v // 1)
        frac = Decimal(repr(float(v))) - days
        ns = int((frac * 86400 * 10**9).to_integral_value(ROUND_HALF_UP))
        return ORD1900 - ORD0 + days, ns // 10**9, ns % 10**9, None
    m = _DT_RE.match(str(v))
    if not m or (m.group(1) is None and m.group(4) is None):
        raise SqlError(241, "Conversion failed when converting date and/or "
                       "time from character string.")
    if m.group(1) is not None:
        try:
            d = datetime.date(int(m.group(1)), int(m.group(2)),
                              int(m.group(3)))
        except ValueError:
            raise SqlError(242, "The conversion of a varchar data type to "
                           "a %s data type resulted in an out-of-range "
                           "value." % what)
        days = d.toordinal() - ORD0
    else:
        days = None
    secs = 0
    ns = 0
    if m.group(4) is not None:
        h, mi = int(m.group(4)), int(m.group(5))
        s = int(m.group(6) or 0)
        if h > 23 or mi > 59 or s > 59:
            raise SqlError(241, "Conversion failed when converting date "
                           "and/or time from character string.")
        secs = h * 3600 + mi * 60 + s
        frac = m.group(7) or ''
        ns = int((frac + '000000000')[:9])
    off = None
    if m.group(8):
        off = 0
    elif m.group(9):
        off = int(m.group(10)) * 60 + int(m.group(11))
        if m.group(9) == '-':
            off = -off
        if abs(off) > 840:
            raise SqlError(241, "Conversion failed when converting date "
                           "and/or time from character string.")
    return days, secs, ns, off


def to_decimal(v, tname):
    if isinstance(v, bool):
        v = int(v)
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, float):
        if v != v or v in (float('inf'), float('-inf')):
            raise overflow(tname)
        return Decimal(repr(v))
    if isinstance(v, bytes):
        v = v.decode('ascii', 'replace')
    try:
        return Decimal(str(v).strip())
    except InvalidOperation:
        raise SqlError(8114, "Error converting data type varchar to %s."
                       % tname)


def scaled(v, scale, strict, tname):
    """v * 10**scale as an int; strict refuses to drop non-zero digits."""
    d = to_decimal(v, tname)
    if not d.is_finite():
        raise overflow(tname)
    q = d.scaleb(scale)
    i = q.to_integral_value(ROUND_HALF_UP)
    if strict and i != q and not isinstance(v, float):
        raise SqlError(8115, "Arithmetic overflow error converting %s to "
                       "data type %s (more than %d decimals)."
                       % (v, tname, scale))
    return int(i)


def to_int(v, tname):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if v != v or abs(v) > 1e19:
            raise overflow(tname)
        return int(v)
    if isinstance(v, bytes):
        return int.from_bytes(v[-8:], 'big')
    try:
        return int(str(v).strip())
    except ValueError:
        try:
            return int(Decimal(str(v).strip()))
        except (InvalidOperation, ValueError):
            raise SqlError(245, "Conversion failed when converting the "
                           "varchar value '%s' to data type %s." % (v, tname))


def to_text(v):
    if isinstance(v, str):
        return v
    if isinstance(v, bytes):
        return v.decode('utf-8', 'replace')
    if isinstance(v, float):
        r = repr(v)
        return r[:-2] if r.endswith('.0') else r
    return str(v)


def guid_bytes(v):
    if isinstance(v, bytes) and len(v) == 16:
        return v
    try:
        return uuid.UUID(to_text(v).strip()).bytes_le
    except ValueError:
        raise SqlError(8169, "Conversion failed when converting from a "
                       "character string to uniqueidentifier.")


def time_units(secs, ns, scale):
    """Seconds + nanoseconds -> count of 10**-scale s, rounded half up."""
    div = 10 ** (9 - scale)
    return secs * 10 ** scale + (ns + div // 2) // div


TIME_LEN = [3, 3, 3, 4, 4, 5, 5, 5]


def downlevel_text(t, v):
    """date/time types as SQL Server prints them for TDS < 7.3 clients."""
    days, secs, ns, off = parse_datetime(v, t.name)
    n = t.scale or 0
    if t.name == 'date':
        d = datetime.date.fromordinal((days or 0) + ORD0)
        return '%04d-%02d-%02d' % (d.year, d.month, d.day)
    units = time_units(secs, ns, n)
    if units >= 86400 * 10 ** n:
        units -= 86400 * 10 ** n
        days = (days or 0) + 1
    s, f = divmod(units, 10 ** n)
    tt = '%02d:%02d:%02d' % (s // 3600, s // 60 % 60, s % 60)
    if n:
        tt += '.%0*d' % (n, f)
    if t.name == 'time':
        return tt
    d = datetime.date.fromordinal((days if days is not None else
                                   ORD1900 - ORD0) + ORD0)
    r = '%04d-%02d-%02d %s' % (d.year, d.month, d.day, tt)
    if t.name == 'datetimeoffset':
        o = off or 0
        r += ' %s%02d:%02d' % ('-' if o < 0 else '+', abs(o) // 60,
                               abs(o) % 60)
    return r


def downlevel_len(t):
    n = t.scale or 0
    frac = n + 1 if n else 0
    return {'date': 10, 'time': 8 + frac, 'datetime2': 19 + frac,
            'datetimeoffset': 26 + frac}[t.name]

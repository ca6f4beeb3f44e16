"""Result columns: COLMETADATA entries and value encoders per TDS version.

compile_column(name, SqlType, version, strict, textsize) returns a Column
whose .meta is the COLMETADATA bytes for the column and whose .enc(value)
returns the value bytes (value never None; .null is the NULL form).
"""

import struct

from .types import (SqlError, collation, MAX, INT_RANGE, INT_LEN,
                    V72, V73A, ORD0, ORD1900, TIME_LEN, parse_datetime,
                    scaled, to_int, to_text, guid_bytes, time_units,
                    downlevel_text, downlevel_len, overflow)

TEXTPTR = b'\x10' + b'\x7e' * 16 + b'\x00' * 8   # textptr + timestamp
PLP_NULL = b'\xff' * 8


def b_varchar(s):
    e = s.encode('utf-16-le')[:510]
    return bytes([len(e) // 2]) + e


def us_varchar(s):
    e = s.encode('utf-16-le')
    return struct.pack('<H', len(e) // 2) + e


def plp(data):
    out = [struct.pack('<Q', len(data))]
    for i in range(0, len(data), 32000):
        chunk = data[i:i + 32000]
        out.append(struct.pack('<I', len(chunk)))
        out.append(chunk)
    out.append(b'\x00\x00\x00\x00')
    return b''.join(out)


def trunc_err():
    return SqlError(8152, "String or binary data would be truncated.")


class Column:
    pass


def decimal_len(p):
    return 5 if p <= 9 else 9 if p <= 19 else 13 if p <= 28 else 17


def compile_column(name, t, version, strict=True, textsize=2147483647,
                   table=''):
    c = Column()
    c.name = name
    c.type = t
    n = t.name
    head = struct.pack('<I' if version >= V72 else '<H',
                       0x50 if n == 'timestamp' else 0)
    flags = struct.pack('<H', 0x0001 | 0x0008)
    tail = b_varchar(name)
    ti, enc, null = type_info(t, version, strict, textsize)
    if ti[0] in (0x23, 0x63, 0x22):     # text, ntext, image: table name
        if version >= V72:
            ti += b'\x01' + us_varchar(table or 't')
        else:
            ti += us_varchar(table or 't')
    c.meta = head + flags + ti + tail
    c.enc = enc
    c.null = null
    return c


def type_info(t, version, strict, textsize):
    """-> (TYPE_INFO bytes, encoder, NULL value bytes)"""
    n = t.name
    if n in INT_RANGE:
        lo, hi = INT_RANGE[n]
        ln = INT_LEN[n]
        fmt = {1: '<BB', 2: '<Bh', 4: '<Bi', 8: '<Bq'}[ln]
        pk = struct.Struct(fmt).pack

        def enc(v):
            i = to_int(v, n)
            if i < lo or i > hi:
                raise overflow(n)
            return pk(ln, i)
        return bytes([0x26, ln]), enc, b'\x00'
    if n == 'bit':
        def enc(v):
            return b'\x01\x01' if to_int(v, n) else b'\x01\x00'
        return b'\x68\x01', enc, b'\x00'
    if n in ('decimal', 'numeric'):
        p, s = t.prec, t.scale
        ln = decimal_len(p)
        lim = 10 ** p
        lenb = bytes([ln])

        def enc(v):
            i = scaled(v, s, strict, '%s(%d,%d)' % (n, p, s))
            if abs(i) >= lim:
                raise overflow('%s(%d,%d)' % (n, p, s))
            return lenb + (b'\x01' if i >= 0 else b'\x00') + \
                abs(i).to_bytes(ln - 1, 'little')
        return bytes([0x6A if n == 'decimal' else 0x6C, ln, p, s]), enc, \
            b'\x00'
    if n in ('money', 'smallmoney'):
        if n == 'money':
            def enc(v):
                i = scaled(v, 4, strict, n)
                if not -2**63 <= i < 2**63:
                    raise overflow(n)
                return struct.pack('<BiI', 8, i >> 32, i & 0xFFFFFFFF)
            return b'\x6e\x08', enc, b'\x00'

        def enc(v):
            i = scaled(v, 4, strict, n)
            if not -2**31 <= i < 2**31:
                raise overflow(n)
            return struct.pack('<Bi', 4, i)
        return b'\x6e\x04', enc, b'\x00'
    if n in ('float', 'real'):
        ln = 8 if n == 'float' else 4
        pk = struct.Struct('<Bd' if ln == 8 else '<Bf').pack

        def enc(v):
            try:
                f = float(v if not isinstance(v, bytes) else v.decode())
                return pk(ln, f)
            except (ValueError, OverflowError, struct.error):
                raise SqlError(8114, "Error converting data type varchar "
                               "to %s." % n)
        return bytes([0x6D, ln]), enc, b'\x00'
    if n == 'datetime':
        def enc(v):
            days, secs, ns, off = parse_datetime(v, n)
            if days is None:
                days = ORD1900 - ORD0
            ticks = secs * 300 + (ns * 300 + 500000000) // 1000000000
            if ticks >= 25920000:
                ticks -= 25920000
                days += 1
            d = days - (ORD1900 - ORD0)
            if d < -53690 or d > 2958463:
                raise SqlError(242, "The conversion of a varchar data type "
                               "to a datetime data type resulted in an "
                               "out-of-range value.")
            return struct.pack('<BiI', 8, d, ticks)
        return b'\x6f\x08', enc, b'\x00'
    if n == 'smalldatetime':
        def enc(v):
            days, secs, ns, off = parse_datetime(v, n)
            if days is None:
                days = ORD1900 - ORD0
            mins = secs // 60
            if (secs % 60) * 1000 + ns // 1000000 >= 29999:
                mins += 1
            if mins >= 1440:
                mins -= 1440
                days += 1
            d = days - (ORD1900 - ORD0)
            if d < 0 or d > 65535 or (d == 65535 and mins > 0):
                raise SqlError(242, "The conversion of a varchar data type "
                               "to a smalldatetime data type resulted in "
                               "an out-of-range value.")
            return struct.pack('<BHH', 4, d, mins)
        return b'\x6f\x04', enc, b'\x00'
    if n in ('date', 'time', 'datetime2', 'datetimeoffset'):
        if version < V73A:
            # SQL Server sends these as nvarchar text to down-level clients
            ln = downlevel_len(t)

            def enc(v):
                e = downlevel_text(t, v).encode('utf-16-le')
                return struct.pack('<H', len(e)) + e
            return b'\xe7' + struct.pack('<H', 2 * ln) + \
                collation(None).wire, enc, b'\xff\xff'
        return msdate_info(t)
    if n == 'uniqueidentifier':
        def enc(v):
            return b'\x10' + guid_bytes(v)
        return b'\x24\x10', enc, b'\x00'
    if n in ('char', 'varchar', 'text', 'nchar', 'nvarchar', 'ntext',
             'xml'):
        return string_info(t, version, strict, textsize)
    if n in ('binary', 'varbinary', 'image', 'timestamp'):
        return binary_info(t, version, textsize)
    raise SqlError(8116, "Type %s is not supported by this server." % n)


def msdate_info(t):
    n = t.name
    s = t.scale if t.scale is not None else 7
    tl = TIME_LEN[s]
    day_units = 86400 * 10 ** s

    def parts(v):
        days, secs, ns, off = parse_datetime(v, n)
        units = time_units(secs, ns, s)
        if days is None:
            days = ORD1900 - ORD0
        if n == 'datetimeoffset':
            tot = days * day_units + units - (off or 0) * 60 * 10 ** s
            days, units = divmod(tot, day_units)
        elif units >= day_units:
            units -= day_units
            days += 1
        if not 0 <= days <= 3652058:
            raise SqlError(242, "The conversion of a varchar data type to "
                           "a %s data type resulted in an out-of-range "
                           "value." % n)
        return days, units, off or 0
    if n == 'date':
        def enc(v):
            days, secs, ns, off = parse_datetime(v, n)
            if days is None:
                raise SqlError(241, "Conversion failed when converting "
                               "date and/or time from character string.")
            return b'\x03' + days.to_bytes(3, 'little')
        return b'\x28', enc, b'\x00'
    if n == 'time':
        def enc(v):
            days, units, off = parts(v)
            return bytes([tl]) + units.to_bytes(tl, 'little')
        return bytes([0x29, s]), enc, b'\x00'
    if n == 'datetime2':
        def enc(v):
            days, units, off = parts(v)
            return bytes([tl + 3]) + units.to_bytes(tl, 'little') + \
                days.to_bytes(3, 'little')
        return bytes([0x2A, s]), enc, b'\x00'

    def enc(v):
        days, units, off = parts(v)
        return bytes([tl + 5]) + units.to_bytes(tl, 'little') + \
            days.to_bytes(3, 'little') + struct.pack('<h', off)
    return bytes([0x2B, s]), enc, b'\x00'


def string_info(t, version, strict, textsize):
    n = t.name
    coll = collation(t.coll)
    wide = n in ('nchar', 'nvarchar', 'ntext', 'xml')
    codec = 'utf-16-le' if wide else coll.codec
    unit = 2 if wide else 1
    ln = t.length

    def encode(v):
        s = to_text(v)
        try:
            return s.encode(codec)
        except UnicodeEncodeError as e:
            raise SqlError(50000, "Value %r cannot be represented in code "
                           "page %s of collation %s (column type %s)."
                           % (s[max(0, e.start - 10):e.end + 10], codec,
                              coll.name, t.sql()))
    if n in ('char', 'varchar', 'nchar', 'nvarchar') and ln != MAX:
        pad = n in ('char', 'nchar')
        maxb = ln * unit
        padb = ' '.encode(codec)

        def enc(v):
            b = encode(v)
            if len(b) > maxb:
                raise trunc_err()
            if pad and len(b) < maxb:
                b += padb * ((maxb - len(b)) // unit)
            return struct.pack('<H', len(b)) + b
        code = {'char': 0xAF, 'varchar': 0xA7, 'nchar': 0xEF,
                'nvarchar': 0xE7}[n]
        return bytes([code]) + struct.pack('<H', maxb) + coll.wire, enc, \
            b'\xff\xff'
    # (max), text, ntext, xml
    limit = textsize if n != 'xml' else None
    if version >= V72 and n in ('varchar', 'nvarchar', 'xml'):
        def enc(v):
            b = encode(v)
            if limit is not None and len(b) > limit:
                b = b[:limit - limit % unit]
            return plp(b)
        if n == 'xml':
            return b'\xf1\x00', enc, PLP_NULL
        return bytes([0xA7 if n == 'varchar' else 0xE7]) + b'\xff\xff' + \
            coll.wire, enc, PLP_NULL
    # text/ntext (also (max) and xml for TDS 7.1 clients)
    if n in ('varchar', 'text'):
        code = 0x23
    else:
        code = 0x63

    def enc(v):
        b = encode(v)
        if limit is not None and len(b) > limit:
            b = b[:limit - limit % unit]
        return TEXTPTR + struct.pack('<i', len(b)) + b
    return bytes([code]) + struct.pack('<i', 0x7FFFFFFF) + coll.wire, enc, \
        b'\x00'


def to_bytes(v):
    if isinstance(v, bytes):
        return v
    if isinstance(v, str):
        s = v.strip()
        if s[:2].lower() == '0x':
            try:
                return bytes.fromhex(s[2:])
            except ValueError:
                pass
        return v.encode('utf-8')
    if isinstance(v, int):
        return v.to_bytes(8, 'big', signed=True)
    return to_text(v).encode('utf-8')


def binary_info(t, version, textsize):
    n = t.name
    ln = t.length
    if n in ('binary', 'varbinary', 'timestamp') and ln != MAX:
        pad = n in ('binary', 'timestamp')

        def enc(v):
            b = to_bytes(v)
            if len(b) > ln:
                raise trunc_err()
            if pad and len(b) < ln:
                b += b'\x00' * (ln - len(b))
            return struct.pack('<H', len(b)) + b
        code = 0xA5 if n == 'varbinary' else 0xAD
        return bytes([code]) + struct.pack('<H', ln), enc, b'\xff\xff'
    if version >= V72 and n == 'varbinary':
        def enc(v):
            return plp(to_bytes(v)[:textsize])
        return b'\xa5\xff\xff', enc, PLP_NULL

    def enc(v):
        b = to_bytes(v)[:textsize]
        return TEXTPTR + struct.pack('<i', len(b)) + b
    return b'\x22' + struct.pack('<i', 0x7FFFFFFF), enc, b'\x00'

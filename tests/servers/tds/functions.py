"""T-SQL built-in functions -> SQLite expressions and their result types."""

from .types import SqlError, SqlType, parse_type, MAX
from .tsql import sql_str, concat_type, highest, is_str

NOW_FMT = "strftime('%Y-%m-%d %H:%M:%f','now'{})"
DT_FMT = "'%Y-%m-%d %H:%M:%f'"

DATEPARTS = {
    'year': 'year', 'yy': 'year', 'yyyy': 'year', 'quarter': 'quarter',
    'qq': 'quarter', 'q': 'quarter', 'month': 'month', 'mm': 'month',
    'm': 'month', 'dayofyear': 'dayofyear', 'dy': 'dayofyear',
    'y': 'dayofyear', 'day': 'day', 'dd': 'day', 'd': 'day',
    'week': 'week', 'wk': 'week', 'ww': 'week', 'weekday': 'weekday',
    'dw': 'weekday', 'w': 'weekday', 'hour': 'hour', 'hh': 'hour',
    'minute': 'minute', 'mi': 'minute', 'n': 'minute', 'second': 'second',
    'ss': 'second', 's': 'second', 'millisecond': 'millisecond',
    'ms': 'millisecond'}


def err_args(name, n):
    return SqlError(174, "The %s function requires %s argument(s)."
                    % (name.lower(), n), cls=15)


def datepart_name(items):
    if len(items) != 1 or items[0].kind not in ('ident', 'bracket', 'str'):
        raise SqlError(155, "'%s' is not a recognized datepart option."
                       % (items[0].text if items else ''), cls=15)
    p = DATEPARTS.get(items[0].value.lower())
    if p is None:
        raise SqlError(155, "'%s' is not a recognized datepart option."
                       % items[0].value, cls=15)
    return p


def cast_target(tr, items, what):
    """Tokens of a type name (varchar(10), decimal(19,4) ...) -> SqlType."""
    if not items or items[0].kind not in ('ident', 'bracket'):
        raise SqlError(102, "Incorrect syntax near '%s'." % what, cls=15)
    words = []
    k = 0
    while k < len(items) and items[k].kind in ('ident', 'bracket'):
        words.append(items[k].value)
        k += 1
    args = ''
    if k < len(items) and items[k].kind == 'group':
        args = '(' + ''.join(x.text if x.kind != 'ident' else x.value
                             for x in items[k].items) + ')'
        k += 1
    name = ' '.join(words).lower()
    if not args and name in ('varchar', 'char', 'nvarchar', 'nchar',
                             'varbinary', 'binary'):
        args = '(30)' if name not in ('char', 'nchar', 'binary') else '(1)'
    t = parse_type(name + args)
    if t is None or k != len(items):
        raise SqlError(243, "Type %s is not a defined system type."
                       % (name + args), cls=16)
    return t


def cast_sql(x, t):
    n = t.name
    if n in ('tinyint', 'smallint', 'int', 'bigint'):
        return 'CAST(%s AS INTEGER)' % x
    if n == 'bit':
        return '(CASE WHEN (%s) IS NULL THEN NULL WHEN (%s) <> 0 THEN 1 ' \
            'ELSE 0 END)' % (x, x)
    if n in ('float', 'real'):
        return 'CAST(%s AS REAL)' % x
    if n in ('char', 'varchar', 'nchar', 'nvarchar', 'text', 'ntext',
             'xml'):
        if t.length not in (None, MAX):
            return 'substr(CAST(%s AS TEXT), 1, %d)' % (x, t.length)
        return 'CAST(%s AS TEXT)' % x
    if n == 'date':
        return "(CASE WHEN typeof(%s) IN ('integer','real') THEN " \
            "date('1900-01-01', (%s) || ' days') ELSE date(%s) END)" % (
                x, x, x)
    if n == 'time':
        return "strftime('%%H:%%M:%%f', %s)" % x
    if n in ('binary', 'varbinary', 'image'):
        return 'CAST(%s AS BLOB)' % x
    # decimal, money, datetime*: the encoder converts (and rounds); the
    # function call hides a plain column from SQLite's declared type
    return 'ifnull(%s, NULL)' % x


def translate_function(tr, name, inner, tok):
    args = tr.args(inner)
    if name in ('CAST', 'TRY_CAST'):
        k = None
        for idx, t in enumerate(inner):
            if t.kw('as'):
                k = idx
        if k is None:
            raise SqlError(102, "Incorrect syntax near 'CAST'.", cls=15)
        x, xt = tr.expr(inner[:k])
        t = cast_target(tr, inner[k + 1:], name)
        return cast_sql(x, t), t
    if name in ('CONVERT', 'TRY_CONVERT'):
        if len(args) < 2:
            raise err_args(name, 2)
        t = cast_target(tr, args[0], name)
        x, xt = tr.expr(args[1])
        return cast_sql(x, t), t
    a = [tr.expr(x) for x in args] if name not in (
        'DATEADD', 'DATEDIFF', 'DATEPART', 'DATENAME', 'DATEDIFF_BIG') \
        else None
    sqls = [x[0] for x in a] if a is not None else None
    typs = [x[1] for x in a] if a is not None else None

    def need(n):
        if len(args) != n:
            raise err_args(name, n)
    if name in ('GETDATE', 'CURRENT_TIMESTAMP'):
        return NOW_FMT.format(",'localtime'"), SqlType('datetime')
    if name == 'GETUTCDATE':
        return NOW_FMT.format(''), SqlType('datetime')
    if name in ('SYSDATETIME',):
        return NOW_FMT.format(",'localtime'"), SqlType('datetime2',
                                                       scale=7)
    if name in ('SYSUTCDATETIME',):
        return NOW_FMT.format(''), SqlType('datetime2', scale=7)
    if name == 'SYSDATETIMEOFFSET':
        return NOW_FMT.format('') + " || '+00:00'", SqlType(
            'datetimeoffset', scale=7)
    if name == 'CONCAT':
        if len(args) < 2:
            raise SqlError(189, "The concat function requires 2 to 254 "
                           "arguments.", cls=15)
        return '(' + ' || '.join("IFNULL(%s,'')" % s for s in sqls) + ')', \
            concat_type(typs)
    if name == 'ISNULL':
        need(2)
        return 'IFNULL(%s, %s)' % tuple(sqls), typs[0] or typs[1]
    if name == 'COALESCE':
        return 'COALESCE(%s)' % ', '.join(sqls), highest(typs)
    if name == 'NULLIF':
        need(2)
        return 'NULLIF(%s, %s)' % tuple(sqls), typs[0]
    if name == 'IIF':
        need(3)
        return 'CASE WHEN %s THEN %s ELSE %s END' % tuple(sqls), highest(
            typs[1:])
    if name in ('LEN',):
        need(1)
        return "length(rtrim(%s, ' '))" % sqls[0], SqlType('int')
    if name == 'DATALENGTH':
        need(1)
        return 'length(CAST(%s AS BLOB))' % sqls[0], SqlType('int')
    if name == 'SUBSTRING':
        need(3)
        return 'substr(%s, %s, %s)' % tuple(sqls), str_or(typs[0])
    if name == 'LEFT':
        need(2)
        return 'substr(%s, 1, %s)' % tuple(sqls), str_or(typs[0])
    if name == 'RIGHT':
        need(2)
        return 'substr(%s, max(length(%s) - (%s) + 1, 1))' % (
            sqls[0], sqls[0], sqls[1]), str_or(typs[0])
    if name in ('UPPER', 'LOWER', 'LTRIM', 'RTRIM', 'TRIM', 'REVERSE'):
        need(1)
        fn = {'REVERSE': 'reverse'}.get(name, name.lower())
        if name == 'REVERSE':
            raise SqlError(195, "'REVERSE' is not a recognized built-in "
                           "function name.", cls=15)
        return '%s(%s)' % (fn, sqls[0]), str_or(typs[0])
    if name == 'REPLACE':
        need(3)
        return 'replace(%s, %s, %s)' % tuple(sqls), str_or(typs[0])
    if name == 'REPLICATE':
        need(2)
        t = typs[0] if is_str(typs[0]) else SqlType('varchar', 8000)
        t = SqlType(t.name if t.name in ('varchar', 'nvarchar') else
                    'varchar', MAX if t.length == MAX else (
                        4000 if t.name[0] == 'n' else 8000), coll=t.coll)
        return "replace(hex(zeroblob(%s)), '00', %s)" % (sqls[1], sqls[0]), t
    if name == 'SPACE':
        need(1)
        return "printf('%%*s', %s, '')" % sqls[0], SqlType('varchar', 8000)
    if name == 'CHARINDEX':
        if len(args) == 2:
            return 'instr(%s, %s)' % (sqls[1], sqls[0]), SqlType('int')
        need(3)
        return ('(CASE WHEN instr(substr({b}, {s}), {a}) > 0 THEN '
                'instr(substr({b}, {s}), {a}) + ({s}) - 1 ELSE 0 END)'
                .format(a=sqls[0], b=sqls[1], s=sqls[2])), SqlType('int')
    if name in ('CHAR', 'NCHAR'):
        need(1)
        ln = args[0]
        if name == 'CHAR' and len(ln) == 1 and ln[0].kind == 'num' and \
                128 <= int(ln[0].text) <= 255:
            ch = bytes([int(ln[0].text)]).decode('cp1250', 'replace')
            return sql_str(ch), SqlType('char', 1)
        return 'char(%s)' % sqls[0], SqlType('char' if name == 'CHAR'
                                              else 'nchar', 1)
    if name in ('ASCII', 'UNICODE'):
        need(1)
        return 'unicode(%s)' % sqls[0], SqlType('int')
    if name in ('ABS', 'FLOOR', 'CEILING', 'SIGN', 'ROUND'):
        fn = {'CEILING': 'ceil'}.get(name, name.lower())
        if name == 'ROUND':
            if len(args) not in (2, 3):
                raise err_args(name, '2 or 3')
            if len(args) == 3:
                return 'CASE WHEN %s <> 0 THEN CAST((%s) * power(10, %s) ' \
                    'AS INTEGER) / power(10, %s) ELSE round(%s, %s) END' % (
                        sqls[2], sqls[0], sqls[1], sqls[1], sqls[0],
                        sqls[1]), typs[0]
            return 'round(%s, %s)' % tuple(sqls[:2]), typs[0]
        need(1)
        return '%s(%s)' % (fn, sqls[0]), typs[0]
    if name in ('POWER', 'SQRT', 'EXP', 'LOG', 'LOG10', 'PI'):
        return '%s(%s)' % (name.lower(), ', '.join(sqls)), SqlType('float')
    if name in ('COUNT',):
        return 'count(%s)' % ', '.join(sqls), SqlType('int')
    if name in ('COUNT_BIG',):
        return 'count(%s)' % ', '.join(sqls), SqlType('bigint')
    if name in ('MIN', 'MAX'):
        need(1)
        return '%s(%s)' % (name.lower(), sqls[0]), typs[0]
    if name in ('SUM', 'AVG'):
        need(1)
        return '%s(%s)' % ('total' if False else name.lower(),
                           sqls[0]), agg_type(name, typs[0])
    if name in ('ROW_NUMBER', 'RANK', 'DENSE_RANK', 'NTILE'):
        return '%s(%s)' % (name.lower(), ', '.join(sqls)), SqlType('bigint')
    if name in ('YEAR', 'MONTH', 'DAY'):
        need(1)
        f = {'YEAR': '%Y', 'MONTH': '%m', 'DAY': '%d'}[name]
        return "CAST(strftime('%s', %s) AS INTEGER)" % (f, sqls[0]), \
            SqlType('int')
    if name in ('DATEPART', 'DATENAME'):
        if len(args) != 2:
            raise err_args(name, 2)
        part = datepart_name(args[0])
        x, xt = tr.expr(args[1])
        return datepart_sql(part, x), SqlType('int') if name == \
            'DATEPART' else SqlType('nvarchar', 30)
    if name == 'DATEADD':
        if len(args) != 3:
            raise err_args(name, 3)
        part = datepart_name(args[0])
        n, nt = tr.expr(args[1])
        x, xt = tr.expr(args[2])
        rt = xt if xt is not None and xt.name in (
            'date', 'datetime', 'smalldatetime', 'datetime2',
            'datetimeoffset', 'time') else SqlType('datetime')
        return "tds_dateadd('%s', %s, %s)" % (part, n, x), rt
    if name in ('DATEDIFF', 'DATEDIFF_BIG'):
        if len(args) != 3:
            raise err_args(name, 3)
        part = datepart_name(args[0])
        a, at = tr.expr(args[1])
        b, bt_ = tr.expr(args[2])
        return datediff_sql(part, a, b), SqlType('int' if name ==
                                                  'DATEDIFF' else 'bigint')
    if name == 'EOMONTH':
        return "date(%s, 'start of month', '+1 month', '-1 day')" % \
            sqls[0], SqlType('date')
    if name == 'DATEFROMPARTS':
        need(3)
        return "printf('%%04d-%%02d-%%02d', %s, %s, %s)" % tuple(sqls), \
            SqlType('date')
    if name == 'NEWID':
        return ("(SELECT upper(substr(h, 1, 8) || '-' || substr(h, 9, 4) || "
                "'-' || substr(h, 13, 4) || '-' || substr(h, 17, 4) || '-' "
                "|| substr(h, 21, 12)) FROM (SELECT hex(randomblob(16)) "
                "AS h))"), SqlType('uniqueidentifier')
    if name in ('DB_NAME',):
        return sql_str(tr.env.get('db', 'master')), SqlType('nvarchar', 128)
    if name in ('SUSER_SNAME', 'SUSER_NAME', 'USER_NAME', 'CURRENT_USER'):
        return sql_str(tr.env.get('user', '')), SqlType('nvarchar', 128)
    if name in ('SERVERPROPERTY',):
        return 'NULL', SqlType('nvarchar', 128)
    if name in ('@@SPID',):
        return str(tr.env.get('spid', 51)), SqlType('smallint')
    if name in ('STR', 'FORMAT', 'STUFF', 'PATINDEX', 'SOUNDEX',
                'DIFFERENCE', 'QUOTENAME', 'OBJECT_ID', 'STRING_AGG',
                'TRANSLATE', 'CHOOSE', 'PARSE', 'TRY_PARSE', 'OPENQUERY',
                'OPENROWSET', 'STRING_SPLIT', 'JSON_VALUE'):
        raise SqlError(195, "'%s' is not a recognized built-in function "
                       "name (not supported by the test server)." % name,
                       cls=15)
    # anything else: same name in SQLite (an unknown one fails there)
    return '%s(%s)' % (name.lower(), ', '.join(sqls)), None


def str_or(t):
    return t if is_str(t) else SqlType('varchar', 8000)


def agg_type(name, t):
    if t is None:
        return None
    n = t.name
    if n in ('tinyint', 'smallint', 'int', 'bit'):
        return SqlType('int')
    if n in ('bigint', 'money', 'float'):
        return SqlType(n)
    if n == 'smallmoney':
        return SqlType('money')
    if n == 'real':
        return SqlType('float')
    if n in ('decimal', 'numeric'):
        s = t.scale if name == 'SUM' else max(t.scale, 6)
        return SqlType('decimal', prec=38, scale=s)
    return None


def datepart_sql(part, x):
    f = {'year': '%Y', 'month': '%m', 'day': '%d', 'dayofyear': '%j',
         'hour': '%H', 'minute': '%M', 'second': '%S'}.get(part)
    if f:
        return "CAST(strftime('%s', %s) AS INTEGER)" % (f, x)
    if part == 'quarter':
        return "((CAST(strftime('%%m', %s) AS INTEGER) + 2) / 3)" % x
    if part == 'weekday':
        return "(CAST(strftime('%%w', %s) AS INTEGER) + 1)" % x
    if part == 'week':
        return "(CAST(strftime('%%W', %s) AS INTEGER) + 1)" % x
    if part == 'millisecond':
        return "(CAST(strftime('%%f', %s) * 1000 AS INTEGER) %% 1000)" % x
    raise SqlError(155, "'%s' is not a recognized datepart option." % part,
                   cls=15)


def datediff_sql(part, a, b):
    if part in ('day', 'dayofyear', 'weekday'):
        return 'CAST(julianday(date(%s)) - julianday(date(%s)) AS INTEGER)' \
            % (b, a)
    if part == 'week':
        return "CAST((julianday(date(%s, 'weekday 0')) - julianday(date(" \
            "%s, 'weekday 0'))) / 7 AS INTEGER)" % (b, a)
    if part in ('year', 'month', 'quarter'):
        y = "(CAST(strftime('%%Y', %s) AS INTEGER) - CAST(strftime('%%Y', " \
            "%s) AS INTEGER))" % (b, a)
        m = "(CAST(strftime('%%m', %s) AS INTEGER) - CAST(strftime('%%m', " \
            "%s) AS INTEGER))" % (b, a)
        if part == 'year':
            return y
        if part == 'month':
            return '(%s * 12 + %s)' % (y, m)
        q = "((CAST(strftime('%%m', %s) AS INTEGER) + 2) / 3 - (CAST(" \
            "strftime('%%m', %s) AS INTEGER) + 2) / 3)" % (b, a)
        return '(%s * 4 + %s)' % (y, q)
    div = {'hour': 3600, 'minute': 60, 'second': 1,
           'millisecond': 0.001}[part]
    if part == 'millisecond':
        return 'CAST(round((julianday(%s) - julianday(%s)) * 86400000) ' \
            'AS INTEGER)' % (b, a)
    return '(CAST(floor(round(julianday(%s) * 86400) / %d) AS INTEGER) - ' \
        'CAST(floor(round(julianday(%s) * 86400) / %d) AS INTEGER))' % (
            b, div, a, div)


def dateadd(part, n, x):
    """SQL Server's DATEADD on canonical text (a SQLite function): months
    and years keep the day, clamped to the month's last day."""
    import calendar
    import datetime
    from .types import parse_datetime, ORD0
    if n is None or x is None:
        return None
    days, secs, ns, off = parse_datetime(x, 'datetime')
    if days is None:
        days = datetime.date(1900, 1, 1).toordinal() - ORD0
    d = datetime.date.fromordinal(days + ORD0)
    t = datetime.datetime(d.year, d.month, d.day) + datetime.timedelta(
        seconds=secs, microseconds=ns // 1000)
    n = int(n)
    if part in ('year', 'quarter', 'month'):
        months = n * {'year': 12, 'quarter': 3, 'month': 1}[part]
        k = t.year * 12 + t.month - 1 + months
        y, m = divmod(k, 12)
        if not 1 <= y <= 9999:
            raise ValueError('DATEADD overflow')
        t = t.replace(year=y, month=m + 1, day=min(
            t.day, calendar.monthrange(y, m + 1)[1]))
    else:
        sec = {'dayofyear': 86400, 'day': 86400, 'weekday': 86400,
               'week': 7 * 86400, 'hour': 3600, 'minute': 60,
               'second': 1, 'millisecond': 0.001}[part]
        t = t + datetime.timedelta(seconds=n * sec)
    return '%04d-%02d-%02d %02d:%02d:%02d.%03d' % (
        t.year, t.month, t.day, t.hour, t.minute, t.second,
        t.microsecond // 1000)

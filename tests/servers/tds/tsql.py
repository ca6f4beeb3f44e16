"""T-SQL to SQLite translation with SQL Server-like result typing.

tokenize() -> tokens; group() nests parentheses; split_statements() cuts a
batch into statements; Translator.statement() turns one SELECT into SQLite
SQL and records, for every item of the outermost select list, its alias,
whether it is a plain column reference, and the SQL Server type inferred
for it (rules in tests/servers/README.md).
"""

import re

from .types import SqlError, SqlType, parse_type, MAX, PRECEDENCE

_TOKEN_RE = re.compile(r"""
 (?P<ws>\s+)
|(?P<comment>--[^\n]*)
|(?P<bcomment>/\*)
|(?P<nstr>[Nn]'(?:[^']|'')*')
|(?P<str>'(?:[^']|'')*')
|(?P<ustr>[Nn]?')
|(?P<bracket>\[(?:[^\]]|\]\])*\])
|(?P<dq>"(?:[^"]|"")*")
|(?P<hex>0[xX][0-9a-fA-F]*)
|(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
|(?P<var>@@?[\w#$@]*)
|(?P<ident>[^\W\d][\w#$@]*|\#[\w#$@]*)
|(?P<op><>|!=|>=|<=|!<|!>|\|\||[-+*/%=<>&|^~])
|(?P<punct>[(),.;:])
""", re.X | re.S | re.U)

KEYWORDS = set('''select from where and or not as on join inner left right
full outer cross group by having order asc desc union all except intersect
distinct top percent ties case when then else end is null in like between
exists into set use declare insert update delete values create drop table
view index begin commit rollback tran transaction apply escape collate over
partition option for with exec execute print if while return go alter
truncate merge pivot unpivot offset fetch rows next only'''.split())

CLAUSE_END = {'from', 'into', 'where', 'group', 'having', 'order', 'union',
              'except', 'intersect', 'option', 'for'}


class Tok:
    __slots__ = ('kind', 'text', 'value', 'line')

    def __init__(self, kind, text, value, line):
        self.kind = kind
        self.text = text
        self.value = value
        self.line = line

    def kw(self, *words):
        return self.kind == 'ident' and self.value.lower() in words

    def is_keyword(self):
        return self.kind == 'ident' and self.value.lower() in KEYWORDS

    def __repr__(self):
        return 'Tok(%s,%r)' % (self.kind, self.text)


class Group:
    """A parenthesised token list."""
    kind = 'group'

    def __init__(self, items, line):
        self.items = items
        self.line = line
        self.text = '('

    def kw(self, *words):
        return False

    def is_keyword(self):
        return False


def apply_error():
    return SqlError(102, "Incorrect syntax near 'APPLY' (the test server "
                    "supports CROSS/OUTER APPLY only as (SELECT TOP 1 ... "
                    "FROM one table ...) alias).", cls=15)


def syntax_error(near, line=1):
    return SqlError(102, "Incorrect syntax near '%s'." % near, state=1,
                    cls=15)


def tokenize(sql):
    toks = []
    pos = 0
    line = 1
    n = len(sql)
    while pos < n:
        m = _TOKEN_RE.match(sql, pos)
        if not m:
            raise syntax_error(sql[pos:pos + 10], line)
        kind = m.lastgroup
        text = m.group()
        if kind == 'bcomment':
            depth = 0
            i = pos
            while i < n:
                if sql.startswith('/*', i):
                    depth += 1
                    i += 2
                elif sql.startswith('*/', i):
                    depth -= 1
                    i += 2
                    if depth == 0:
                        break
                else:
                    i += 1
            if depth:
                raise SqlError(113, "Missing end comment mark '*/'.",
                               cls=15)
            text = sql[pos:i]
        elif kind == 'ustr':
            raise SqlError(105, "Unclosed quotation mark after the "
                           "character string '%s'." % sql[pos + 1:pos + 40],
                           cls=15)
        if kind not in ('ws', 'comment', 'bcomment'):
            if kind == 'str':
                value = text[1:-1].replace("''", "'")
            elif kind == 'nstr':
                value = text[2:-1].replace("''", "'")
            elif kind == 'bracket':
                value = text[1:-1].replace(']]', ']')
            elif kind == 'dq':
                value = text[1:-1].replace('""', '"')
            else:
                value = text
            toks.append(Tok(kind, text, value, line))
        line += text.count('\n')
        pos = m.end() if kind != 'bcomment' else pos + len(text)
    return toks


def group(toks):
    stack = [[]]
    lines = [1]
    for t in toks:
        if t.kind == 'punct' and t.text == '(':
            stack.append([])
            lines.append(t.line)
        elif t.kind == 'punct' and t.text == ')':
            if len(stack) == 1:
                raise syntax_error(')', t.line)
            items = stack.pop()
            stack[-1].append(Group(items, lines.pop()))
        else:
            stack[-1].append(t)
    if len(stack) != 1:
        raise syntax_error('(', lines[-1])
    return stack[0]


STMT_START = {'select', 'set', 'use', 'declare', 'insert', 'update',
              'delete', 'print', 'exec', 'execute', 'if', 'while', 'begin',
              'commit', 'rollback', 'create', 'drop', 'alter', 'truncate',
              'with', 'merge', 'return', 'go', 'save'}


def split_statements(items):
    """Cut a grouped batch into statements at ';' and where a new statement
    keyword begins (T-SQL needs no separators: "SET NOCOUNT ON SELECT 1")."""
    stmts = []
    cur = []

    def flush():
        if cur:
            stmts.append(list(cur))
            del cur[:]
    for i, t in enumerate(items):
        if t.kind == 'punct' and t.text == ';':
            flush()
            continue
        if cur and t.kind == 'ident' and t.value.lower() in STMT_START:
            w = t.value.lower()
            first = cur[0].value.lower() if cur[0].kind == 'ident' else ''
            prev = cur[-1]
            new = False
            if w in ('select',):
                new = not (prev.kw('union', 'all', 'except', 'intersect')
                           or prev.kind == 'group' or first in
                           ('insert', 'with', 'create', 'declare'))
                if prev.kind == 'group' and first in ('set', 'use',
                                                      'print', 'begin'):
                    new = True
            elif w == 'with':
                new = (i + 1 < len(items) and items[i + 1].kind != 'group'
                       and not prev.kw('ties'))
                if first in ('set', 'use', 'print', 'begin', 'commit'):
                    new = True
                elif first in ('select', 'insert') and new:
                    new = False
            elif w == 'set':
                new = first not in ('update',)
            elif w in ('begin', 'commit', 'rollback'):
                new = first not in ('begin',) or w != 'tran'
            elif w in ('insert', 'update', 'delete', 'use', 'declare',
                       'print', 'exec', 'execute', 'drop', 'create',
                       'truncate', 'alter', 'if', 'while', 'go'):
                new = not (first in ('create', 'drop', 'alter') and
                           w in ('table', 'index'))
            if new:
                flush()
        cur.append(t)
    flush()
    return stmts


def bt(name):
    return '`' + name.replace('`', '``') + '`'


def sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def stype(name, *a, **k):
    t = parse_type(name if not a else '%s(%s)' % (name, ','.join(
        str(x) for x in a)))
    if t is not None and k.get('coll'):
        t.coll = k['coll']
    return t


def is_str(t):
    return t is not None and t.is_string()


def str_len(t):
    """Characters a value of type t takes when converted to a string."""
    if t is None:
        return 30
    n = t.name
    if t.is_string():
        return t.length
    return {'tinyint': 3, 'smallint': 6, 'int': 11, 'bigint': 20, 'bit': 1,
            'money': 21, 'smallmoney': 12, 'float': 23, 'real': 14,
            'date': 10, 'datetime': 23, 'smalldatetime': 19,
            'uniqueidentifier': 36, 'time': 16, 'datetime2': 27,
            'datetimeoffset': 34}.get(n, (t.prec or 18) + 2 if n in (
                'decimal', 'numeric') else 8000)


def concat_type(types):
    wide = any(t is not None and t.name in ('nchar', 'nvarchar', 'ntext')
               for t in types)
    total = 0
    coll = None
    for t in types:
        ln = str_len(t)
        if ln == MAX:
            total = MAX
            break
        total += ln
        if is_str(t) and t.coll and coll is None:
            coll = t.coll
    if total != MAX and total > (4000 if wide else 8000):
        total = MAX
    return SqlType('nvarchar' if wide else 'varchar', max(total, 1) if
                   total != MAX else MAX, coll=coll)


def as_decimal(t):
    return {'bit': (1, 0), 'tinyint': (3, 0), 'smallint': (5, 0),
            'int': (10, 0), 'bigint': (19, 0), 'money': (19, 4),
            'smallmoney': (10, 4)}.get(t.name, (t.prec, t.scale))


def arith_type(op, a, b):
    if a is None or b is None:
        return a or b if op in '+-' and (a or b) and (a or b).name in (
            'datetime', 'smalldatetime') else None
    if a.name in ('datetime', 'smalldatetime') and op in '+-':
        return a
    if not a.is_numeric() or not b.is_numeric():
        return None
    hi = a if PRECEDENCE.index(a.name) <= PRECEDENCE.index(b.name) else b
    if op == '%' and hi.name in ('float', 'real'):
        return None
    if hi.name not in ('decimal', 'numeric'):
        if hi.name in ('bit', 'tinyint', 'smallint'):
            return SqlType('int')
        return SqlType(hi.name)
    p1, s1 = as_decimal(a)
    p2, s2 = as_decimal(b)
    if op in '+-':
        s = max(s1, s2)
        p = max(p1 - s1, p2 - s2) + s + 1
    elif op == '*':
        p, s = p1 + p2 + 1, s1 + s2
    elif op == '/':
        s = max(6, s1 + p2 + 1)
        p = p1 - s1 + s2 + s
    else:
        s = max(s1, s2)
        p = min(p1 - s1, p2 - s2) + s
    if p > 38:
        s = max(min(s, 38 - (p - s)), min(s, 6))
        p = 38
    return SqlType('decimal', prec=max(p, 1), scale=min(s, p))


def highest(types):
    """Result type of CASE/COALESCE/IIF: the highest precedence; for equal
    types the longest length and the widest precision/scale."""
    best = None
    for t in types:
        if t is None:
            continue
        if best is None or PRECEDENCE.index(t.name) < PRECEDENCE.index(
                best.name):
            best = t
    if best is None:
        return None
    same = [t for t in types if t is not None and t.name == best.name]
    if best.length is not None:
        ln = MAX if any(t.length == MAX for t in same) else max(
            t.length for t in same)
        best = SqlType(best.name, ln, coll=best.coll)
    elif best.prec is not None and best.name in ('decimal', 'numeric'):
        s = max(t.scale for t in same)
        p = min(38, max(t.prec - t.scale for t in same) + s)
        best = SqlType(best.name, prec=p, scale=s)
    elif best.scale is not None:
        best = SqlType(best.name, scale=max(t.scale for t in same))
    return best


class Item:
    """One select-list item of the outermost SELECT."""

    def __init__(self):
        self.alias = None
        self.colref = None      # (parts) when a plain column reference
        self.star = False
        self.type = None


EXACT_TEXT = ('decimal', 'numeric', 'money', 'smallmoney')


class Translator:
    """Translates one statement; `schema` maps lower-case table name to
    {lower column name: (name, SqlType)} (types carry collations)."""

    def __init__(self, schema, env):
        self.schema = schema
        self.env = env          # dict: db, user, spid, version
        self.aliases = {}
        self.tables = []
        self.items = None
        self.into = None
        self.ctes = set()
        self.plain = False      # translating a plain select-list column

    def prescan(self, items):
        """Record FROM/JOIN tables and aliases (select lists are translated
        before their FROM clause, and need column types)."""
        for i, t in enumerate(items):
            if t.kind == 'group':
                self.prescan(t.items)
            elif t.kw('from', 'join') and i + 1 < len(items):
                self.table_ref(items, i + 1, [])

    # ---- name resolution
    def strip_parts(self, parts):
        """[SERVER].[DB].dbo.FA -> FA; dbo.FA.ID -> FA.ID."""
        low = [p.lower() for p in parts]
        for i in range(len(parts) - 2, -1, -1):
            if low[i] in ('dbo', '') and i < len(parts) - 1:
                return parts[i + 1:]
        if len(parts) >= 3:
            return parts[-1:]
        return parts

    def column_type(self, parts):
        parts = [p.lower() for p in parts]
        if len(parts) == 2:
            tab = self.aliases.get(parts[0], parts[0])
            cols = self.schema.get(tab)
            if cols is not None:
                return cols[parts[1]][1] if parts[1] in cols else None
            parts = parts[1:]       # alias of a subquery or CTE
        if len(parts) != 1:
            return None
        for tab in self.tables:
            cols = self.schema.get(tab)
            if cols and parts[0] in cols:
                return cols[parts[0]][1]
        return None

    # ---- expressions
    def primary(self, items, i):
        """Translate the primary expression at items[i] ->
        (sql, type, next index), or None if items[i] starts none."""
        t = items[i]
        k = t.kind
        nxt = items[i + 1] if i + 1 < len(items) else None
        if k == 'str':
            b = len(t.value.encode('cp1250', 'replace'))
            return sql_str(t.value), SqlType('varchar', max(b, 1)), i + 1
        if k == 'nstr':
            b = len(t.value.encode('utf-16-le')) // 2
            return sql_str(t.value), SqlType('nvarchar', max(min(b, 4000),
                                                              1) if b <= 4000
                                             else MAX), i + 1
        if k == 'num':
            return self.number(t.text) + (i + 1,)
        if k == 'hex':
            h = t.text[2:]
            if len(h) % 2:
                h = '0' + h
            return "X'%s'" % h, SqlType('varbinary', max(len(h) // 2, 1)), \
                i + 1
        if k == 'var':
            return self.variable(t) + (i + 1,)
        if k == 'op' and t.text in ('-', '+', '~') and nxt is not None:
            p = self.primary(items, i + 1)
            if p is None:
                return None
            return t.text + p[0], p[1], p[2]
        if k == 'group':
            inner = t.items
            if inner and inner[0].kw('select', 'with'):
                sub = Translator(self.schema, self.env)
                sub.aliases = dict(self.aliases)
                sub.tables = list(self.tables)
                sql = sub.seq(inner, top=False, subquery=True)
                typ = sub.first_type
                return '(' + sql + ')', typ, i + 1
            sql, typ = self.expr(inner)
            return '(' + sql + ')', typ, i + 1
        if k == 'ident' and t.value.lower() == 'null':
            return 'NULL', None, i + 1
        if k == 'ident' and t.value.lower() == 'case':
            return self.case(items, i)
        if k == 'ident' and t.value.lower() in ('current_timestamp',):
            return self.func('GETDATE', [], t) + (i + 1,)
        if k == 'ident' and t.value.lower() in ('system_user', 'user',
                                                'session_user'):
            return sql_str(self.env.get('user', '')), \
                SqlType('nvarchar', 128), i + 1
        if k == 'ident' and nxt is not None and nxt.kind == 'group' and \
                (not t.is_keyword() or t.value.lower() in ('left', 'right')):
            return self.func(t.value.upper(), nxt.items, t) + (i + 2,)
        if k in ('ident', 'bracket', 'dq') and not t.is_keyword() or \
                k in ('bracket', 'dq'):
            return self.name(items, i)
        if k == 'op' and t.text == '*':
            return '*', None, i + 1
        return None

    def number(self, text):
        if 'e' in text.lower():
            return text, SqlType('float')
        if '.' in text:
            ip, fp = text.split('.')
            ip = ip.lstrip('0')
            p = max(len(ip) + len(fp), 1)
            s = len(fp)
            typ = SqlType('numeric', prec=min(p, 38), scale=min(s, 38))
            if len(ip) + len(fp) > 15:
                return sql_str(text), typ
            return text, typ
        v = int(text)
        if v <= 2**31 - 1:
            return text, SqlType('int')
        typ = SqlType('numeric', prec=min(len(text.lstrip('0')), 38),
                      scale=0)
        if v > 2**63 - 1:
            return sql_str(text), typ
        return text, typ

    def variable(self, t):
        v = t.value.lower()
        env = self.env
        if v == '@@version':
            return sql_str('Microsoft SQL Server 2019 (RTM) - 15.0.2000.5 '
                           '(test double: pohoda-sync tds-server)'), \
                SqlType('nvarchar', 300)
        if v == '@@spid':
            return str(env.get('spid', 51)), SqlType('smallint')
        if v == '@@servername':
            return sql_str('TDSTEST'), SqlType('nvarchar', 128)
        if v in ('@@rowcount', '@@error', '@@trancount'):
            return str(env.get(v[2:], 0)), SqlType('int')
        if v == '@@textsize':
            return str(env.get('textsize', 4096)), SqlType('int')
        if v == '@@language':
            return "'us_english'", SqlType('nvarchar', 128)
        raise SqlError(137, 'Must declare the scalar variable "%s".'
                       % t.value, cls=15)

    def name(self, items, i):
        parts = []
        toks = []
        j = i
        while True:
            if j >= len(items):
                raise syntax_error(items[-1].text, items[-1].line)
            t = items[j]
            if t.kind in ('ident', 'bracket', 'dq'):
                parts.append(t.value)
                toks.append(t)
                j += 1
            elif t.kind == 'op' and t.text == '*':
                parts.append('*')
                j += 1
                break
            else:
                parts.append('')
            if j < len(items) and items[j].kind == 'punct' and \
                    items[j].text == '.':
                j += 1
                if j >= len(items):
                    raise syntax_error('.', items[j - 1].line)
                continue
            break
        if parts[-1] == '':
            raise syntax_error('.', items[i].line)
        parts = self.strip_parts(parts)
        sql = '.'.join('*' if p == '*' else bt(p) for p in parts)
        typ = None if parts[-1] == '*' else self.column_type(parts)
        if typ is not None and typ.name in EXACT_TEXT and not self.plain:
            # exact decimals are stored as TEXT, which SQLite would compare
            # and sort as text: compute with their numeric value instead
            sql = 'CAST(%s AS REAL)' % sql
        return sql, typ, j

    def case(self, items, i):
        depth = 0
        j = i
        while j < len(items):
            t = items[j]
            if t.kw('case'):
                depth += 1
            elif t.kw('end'):
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if j >= len(items):
            raise syntax_error('CASE', items[i].line)
        inner = items[i + 1:j]
        types = []
        for k, t in enumerate(inner):
            if t.kw('then', 'else') and k + 1 < len(inner):
                try:
                    types.append(self.chain(inner, k + 1)[1])
                except SqlError:
                    pass
        sql = 'CASE ' + self.seq(inner, top=False) + ' END'
        return sql, highest(types), j + 1

    def chain(self, items, i):
        """Primary (operator primary)* from items[i] -> (sql, type, next)."""
        p = self.primary(items, i)
        if p is None:
            raise syntax_error(getattr(items[i], 'text', '?'),
                               items[i].line)
        sql, typ, j = p
        while j < len(items):
            t = items[j]
            if t.kind == 'ident' and t.value.lower() == 'collate' and \
                    j + 1 < len(items):
                c = items[j + 1].value
                sql += ' COLLATE ' + bt(c)
                if is_str(typ):
                    typ = typ.with_coll(c)
                j += 2
                continue
            if t.kind != 'op' or t.text not in ('+', '-', '*', '/', '%',
                                               '&', '|', '^') or \
                    j + 1 >= len(items):
                break
            q = self.primary(items, j + 1)
            if q is None:
                break
            qsql, qtyp, k = q
            if t.text == '+' and (is_str(typ) or is_str(qtyp)) and (
                    is_str(typ) or qtyp is None or typ is None or
                    is_str(qtyp)) and not (typ is not None and
                                           typ.is_numeric()) and not (
                    qtyp is not None and qtyp.is_numeric()):
                sql = sql + ' || ' + qsql
                typ = concat_type([typ, qtyp])
            else:
                sql = sql + ' ' + t.text + ' ' + qsql
                typ = arith_type(t.text, typ, qtyp) if t.text in \
                    '+-*/%' else SqlType('int')
            j = k
        return sql, typ, j

    def expr(self, items):
        """A whole token list as one expression when possible."""
        if items:
            try:
                sql, typ, j = self.chain(items, 0)
                if j == len(items):
                    return sql, typ
            except SqlError:
                pass
        return self.seq(items, top=False), None

    def args(self, items):
        out = []
        cur = []
        for t in items:
            if t.kind == 'punct' and t.text == ',':
                out.append(cur)
                cur = []
            else:
                cur.append(t)
        if cur or out:
            out.append(cur)
        return out

    def func(self, name, inner, tok):
        from .functions import translate_function
        return translate_function(self, name, inner, tok)

    # ---- statements
    def seq(self, items, top=False, subquery=False):
        """Translate a token list (a statement or a parenthesised part)."""
        out = []
        i = 0
        n = len(items)
        limit = None
        self.first_type = None
        seen_select = False
        while i < n:
            t = items[i]
            low = t.value.lower() if t.kind == 'ident' else None
            if low in ('union', 'except', 'intersect'):
                if limit is not None:
                    out.append('LIMIT ' + limit)
                    limit = None
                out.append(t.value.upper())
                i += 1
                continue
            if low == 'select':
                i, limit = self.select_list(items, i, out,
                                            top and not seen_select,
                                            not seen_select)
                seen_select = True
                continue
            if low == 'with' and i + 1 < n and items[i + 1].kind == 'group':
                i += 2          # table hint: WITH (NOLOCK)
                continue
            if low == 'option' and i + 1 < n and items[i + 1].kind == 'group':
                i += 2
                continue
            if low in ('cross', 'outer') and i + 1 < n and \
                    items[i + 1].kw('apply'):
                out.append(self.apply(items, i, low == 'outer'))
                i += 3
                if i < n and items[i].kw('as'):
                    i += 1
                i += 1
                continue
            if low in ('apply',):
                raise apply_error()
            if low in ('pivot', 'unpivot', 'merge'):
                raise syntax_error(t.value, t.line)
            if low in ('from', 'join') and i + 1 < n:
                out.append(t.value.upper())
                i = self.table_ref(items, i + 1, out)
                continue
            if low == 'into' and top and self.items is not None and \
                    self.into is None and i + 1 < n:
                sql, typ, j = self.name(items, i + 1)
                self.into = sql
                i = j
                continue
            if t.kind == 'group' and self.hint_group(t):
                i += 1
                continue
            if t.kind == 'group' and t.items and t.items[0].kw('select',
                                                               'with'):
                sub = Translator(self.schema, self.env)
                sub.aliases = dict(self.aliases)
                sub.tables = list(self.tables)
                sub.ctes = self.ctes
                out.append('(' + sub.seq(t.items, subquery=True) + ')')
                i += 1
                continue
            if t.kind in ('ident', 'bracket', 'dq', 'str', 'nstr', 'num',
                          'hex', 'var', 'group') and not (
                    t.kind == 'ident' and t.is_keyword() and low not in (
                        'null', 'case', 'left', 'right') and not (
                        low in ('left', 'right') and i + 1 < n and
                        items[i + 1].kind == 'group')):
                if low in ('left', 'right') and not (
                        i + 1 < n and items[i + 1].kind == 'group'):
                    out.append(t.value.upper())
                    i += 1
                    continue
                sql, typ, i = self.chain(items, i)
                out.append(sql)
                continue
            if t.kind == 'op' and t.text in ('-', '+', '~') and i + 1 < n \
                    and (not out or out[-1].upper() in KEYWORDS_UP or
                         out[-1] in ('(', ',', '=', '<', '>', '<>', '!=',
                                     '<=', '>=')):
                sql, typ, i = self.chain(items, i)
                out.append(sql)
                continue
            if t.kind == 'group':
                out.append('(' + self.seq(t.items) + ')')
                i += 1
                continue
            if t.kind == 'op':
                out.append({'!<': '>=', '!>': '<='}.get(t.text, t.text))
            elif t.kind == 'punct':
                out.append(t.text)
            elif t.kind == 'ident':
                out.append(t.value.upper())
            else:
                out.append(t.text)
            i += 1
        if limit is not None:
            out.append('LIMIT ' + limit)
        return join_sql(out)

    def apply(self, items, i, outer):
        """CROSS/OUTER APPLY (SELECT TOP 1 list FROM table [alias] [WHERE
        ...] [ORDER BY ...]) x  ->  [LEFT] JOIN (SELECT rowid, list FROM
        table alias) x ON x.rowid = (SELECT alias.rowid FROM table alias
        WHERE ... ORDER BY ... LIMIT 1).  SQLite has no LATERAL join; this
        covers the usual "latest row per parent" use."""
        k = i + 2
        if k >= len(items) or items[k].kind != 'group':
            raise apply_error()
        j = k + 1
        if j < len(items) and items[j].kw('as'):
            j += 1
        if j >= len(items) or items[j].kind not in ('ident', 'bracket',
                                                    'dq'):
            raise apply_error()
        alias = items[j].value
        g = items[k].items
        if len(g) < 6 or not g[0].kw('select') or not g[1].kw('top'):
            raise apply_error()
        top = g[2].items if g[2].kind == 'group' else [g[2]]
        if len(top) != 1 or top[0].kind != 'num' or top[0].text != '1':
            raise apply_error()
        f = next((x for x, t in enumerate(g) if t.kw('from')), None)
        if f is None or f + 1 >= len(g):
            raise apply_error()
        sub = Translator(self.schema, self.env)
        sub.aliases = dict(self.aliases)
        sub.tables = list(self.tables)
        tab_out = []
        r = sub.table_ref(g, f + 1, tab_out)
        if r < len(g) and not g[r].kw('where', 'order'):
            raise apply_error()     # joins inside the APPLY
        inner_alias = tab_out[-1]
        rest = sub.seq(g[r:])
        sub2 = Translator(self.schema, self.env)
        sub2.aliases = dict(sub.aliases)
        sub2.tables = list(sub.tables)
        body = sub2.seq([g[0]] + g[3:r])
        assert body.startswith('SELECT ')
        derived = 'SELECT %s.rowid AS __tds_rid, %s' % (inner_alias,
                                                          body[7:])
        scalar = 'SELECT %s.rowid FROM %s %s LIMIT 1' % (
            inner_alias, ' '.join(tab_out), rest)
        self.aliases.pop(alias.lower(), None)
        return '%sJOIN (%s) %s ON %s.__tds_rid = (%s)' % (
            'LEFT ' if outer else '', derived, bt(alias), bt(alias), scalar)

    def hint_group(self, g):
        words = [t.value.lower() for t in g.items if t.kind == 'ident']
        return bool(words) and all(w in (
            'nolock', 'readuncommitted', 'readcommitted', 'holdlock',
            'rowlock', 'updlock', 'tablock', 'nowait', 'readpast',
            'index', 'forceseek', 'serializable', 'repeatableread')
            for w in words) and len(words) == len(
                [t for t in g.items if t.kind != 'punct'])

    def table_ref(self, items, i, out):
        """FROM/JOIN target: a table name (records alias) or subquery."""
        t = items[i]
        if t.kind in ('ident', 'bracket', 'dq') and not (
                t.kind == 'ident' and t.is_keyword()):
            sql, typ, j = self.name(items, i)
            raw = sql.split('.')[-1].strip('`').replace('``', '`').lower()
            if raw not in self.tables:
                self.tables.append(raw)
            out.append(sql)
            if j < len(items) and items[j].kind == 'group' and \
                    self.hint_group(items[j]):
                j += 1
            if j < len(items) and items[j].kw('as'):
                j += 1
            if j < len(items) and items[j].kind in ('ident', 'bracket',
                                                    'dq') and \
                    not items[j].is_keyword():
                self.aliases[items[j].value.lower()] = raw
                out.append(bt(items[j].value))
                j += 1
            return j
        return i

    def select_list(self, items, i, out, main, first):
        out.append('SELECT')
        i += 1
        n = len(items)
        limit = None
        if i < n and items[i].kw('distinct', 'all'):
            out.append(items[i].value.upper())
            i += 1
        if i < n and items[i].kw('top'):
            i += 1
            if i < n and items[i].kind == 'group':
                limit = '(' + self.expr(items[i].items)[0] + ')'
            elif i < n and items[i].kind == 'num':
                limit = items[i].text
            else:
                raise syntax_error('TOP', items[i - 1].line)
            i += 1
            if i < n and items[i].kw('percent'):
                raise SqlError(102, "Incorrect syntax near 'PERCENT' (TOP "
                               "n PERCENT is not supported by the test "
                               "server).", cls=15)
            if i + 1 < n and items[i].kw('with') and items[i + 1].kw(
                    'ties'):
                i += 2
        j = i
        while j < n and not (items[j].kind == 'ident' and
                             items[j].value.lower() in CLAUSE_END):
            j += 1
        parts = self.args(items[i:j])
        recs = []
        sqls = []
        for p in parts:
            if not p:
                raise syntax_error(',', items[i].line if i < n else 1)
            it = Item()
            if len(p) >= 3 and p[0].kind in ('ident', 'bracket', 'dq', 'str') \
                    and not p[0].is_keyword() and p[1].kind == 'op' and \
                    p[1].text == '=':
                it.alias = p[0].value
                p = p[2:]
            elif len(p) >= 2 and p[-1].kind in ('ident', 'bracket', 'dq',
                                                'str', 'nstr') and not \
                    p[-1].is_keyword() and (p[-2].kw('as') or (
                        p[-2].kind != 'op' and not (
                            p[-2].kind == 'punct' and p[-2].text == '.')
                        and not p[-2].kw('collate') and
                        p[-1].kind != 'str')):
                it.alias = p[-1].value
                p = p[:-2] if p[-2].kw('as') else p[:-1]
            self.plain = plain_ref(p)
            try:
                sql, typ = self.expr(p)
            finally:
                self.plain = False
            if p and p[-1].kind == 'op' and p[-1].text == '*':
                it.star = True
            else:
                names = [x for x in p if x.kind in ('ident', 'bracket',
                                                    'dq')]
                if names and len(p) == 2 * len(names) - 1 and all(
                        x.kind == 'punct' and x.text == '.'
                        for x in p[1::2]) and not p[0].is_keyword() and \
                        not (len(p) > 1 and p[1].kind == 'group'):
                    it.colref = self.strip_parts([x.value for x in names])
            it.type = typ
            recs.append(it)
            sqls.append(sql + (' AS ' + bt(it.alias) if it.alias else ''))
        out.append(', '.join(sqls))
        if first:
            self.first_type = recs[0].type if len(recs) == 1 else None
        if main and self.items is None:
            self.items = recs
        return j, limit


def plain_ref(p):
    """Is the token list a bare (possibly qualified) column name?"""
    return bool(p) and len(p) % 2 == 1 and all(
        x.kind in ('ident', 'bracket', 'dq') and not x.is_keyword()
        for x in p[0::2]) and all(x.kind == 'punct' and x.text == '.'
                                  for x in p[1::2])


KEYWORDS_UP = set(w.upper() for w in KEYWORDS)


def join_sql(parts):
    s = []
    for p in parts:
        if s and not (p in (',', ')', '.') or s[-1] in ('(', '.')):
            s.append(' ')
        s.append(p)
    return ''.join(s)

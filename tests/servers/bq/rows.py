"""Schema handling and row validation for the fake BigQuery server.

A load job's rows are checked the way BigQuery's JSON reader checks them
(see shared/reference/bigquery.md section 8).  Rows are stored exactly as
they arrived (the raw NDJSON line); the canonical value of every cell is
computed from the schema when the row is read back, so a copy or a
restart never re-encodes anything.
"""

import base64
import binascii
import datetime
import decimal
import json
import math
import re

# Legacy and GoogleSQL spellings of the same type.
TYPE_ALIASES = {
    "INTEGER": "INT64", "INT64": "INT64",
    "FLOAT": "FLOAT64", "FLOAT64": "FLOAT64",
    "BOOLEAN": "BOOL", "BOOL": "BOOL",
    "STRING": "STRING", "BYTES": "BYTES",
    "NUMERIC": "NUMERIC", "BIGNUMERIC": "BIGNUMERIC",
    "DECIMAL": "NUMERIC", "BIGDECIMAL": "BIGNUMERIC",
    "DATE": "DATE", "TIME": "TIME", "DATETIME": "DATETIME",
    "TIMESTAMP": "TIMESTAMP", "GEOGRAPHY": "GEOGRAPHY", "JSON": "JSON",
    "RECORD": "RECORD", "STRUCT": "RECORD",
}
# What tables.get shows: BigQuery answers with the legacy names.
LEGACY_NAME = {
    "INT64": "INTEGER", "FLOAT64": "FLOAT", "BOOL": "BOOLEAN",
    "RECORD": "RECORD",
}
MODES = ("NULLABLE", "REQUIRED", "REPEATED")
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,299}$")
RESERVED_PREFIXES = ("_table_", "_file_", "_partition", "_row_timestamp",
                     "__root__", "_colidentifier")

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
NUMERIC_MAX = decimal.Decimal("99999999999999999999999999999.999999999")
BIGNUMERIC_MAX = decimal.Decimal(
    "578960446186580977117854925043439539266."
    "34992332820282019728792003956564819967")
DEC_CTX = decimal.Context(prec=200, Emax=1000, Emin=-1000)
BIGNUMERIC_MIN = DEC_CTX.subtract(DEC_CTX.minus(BIGNUMERIC_MAX),
                                  decimal.Decimal("1e-38"))

DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
TIME_RE = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$")
DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})"
    r"(?:\.(\d{1,6}))?)?)?$")
TIMESTAMP_RE = re.compile(
    r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"\s*(Z|z|UTC|[+-]\d{1,2}(?::?\d{2})?)?$")
INT_STR_RE = re.compile(r"^[+-]?\d+$")
NUM_STR_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class SchemaError(Exception):
    """A schema the API rejects (400 invalid)."""


class RowError(Exception):
    """A value BigQuery's JSON reader rejects; the text is its message."""


def normalize_schema(fields, where="schema.fields"):
    """Checks a schema's fields and returns them in a canonical form."""
    if not isinstance(fields, list):
        raise SchemaError("Invalid value for %s: expected a list" % where)
    out = []
    seen = set()
    for f in fields:
        if not isinstance(f, dict):
            raise SchemaError("Invalid field in %s" % where)
        name = f.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name) or \
                name.lower().startswith(RESERVED_PREFIXES):
            raise SchemaError(
                "Invalid field name \"%s\". Fields must contain only "
                "letters, numbers, and underscores, start with a letter "
                "or underscore, and be at most 300 characters long."
                % name)
        if name.lower() in seen:
            raise SchemaError("Duplicate column names: '%s'." % name)
        seen.add(name.lower())
        t = f.get("type")
        if not isinstance(t, str) or t.upper() not in TYPE_ALIASES:
            raise SchemaError("Invalid value for type: %s is not a valid "
                              "value" % (t,))
        t = TYPE_ALIASES[t.upper()]
        mode = f.get("mode") or "NULLABLE"
        if not isinstance(mode, str) or mode.upper() not in MODES:
            raise SchemaError("Invalid value for mode: %s is not a valid "
                              "value" % (mode,))
        g = {"name": name, "type": LEGACY_NAME.get(t, t),
             "mode": mode.upper()}
        if isinstance(f.get("description"), str):
            g["description"] = f["description"]
        if t == "RECORD":
            sub = f.get("fields")
            if not sub:
                raise SchemaError("Field %s is type RECORD but has no "
                                  "schema" % name)
            g["fields"] = normalize_schema(sub, where + "." + name)
        out.append(g)
    return out


def schema_signature(fields):
    """What must match between a table and an appended load."""
    return [(f["name"].lower(), TYPE_ALIASES[f["type"]], f["mode"],
             schema_signature(f.get("fields", [])))
            for f in fields]


def schema_mismatch(old, new):
    """A BigQuery-like message if NEW cannot append to OLD, else None."""
    oldmap = {f["name"].lower(): f for f in old}
    newmap = {f["name"].lower(): f for f in new}
    for f in new:
        o = oldmap.get(f["name"].lower())
        if o is None:
            return ("Provided Schema does not match Table. Cannot add "
                    "fields (field: %s)" % f["name"])
        if TYPE_ALIASES[o["type"]] != TYPE_ALIASES[f["type"]]:
            return ("Provided Schema does not match Table. Field %s has "
                    "changed type from %s to %s"
                    % (f["name"], o["type"], f["type"]))
        if o["mode"] != f["mode"]:
            return ("Provided Schema does not match Table. Field %s has "
                    "changed mode from %s to %s"
                    % (f["name"], o["mode"], f["mode"]))
        if f.get("fields"):
            m = schema_mismatch(o.get("fields", []), f["fields"])
            if m:
                return m
    for f in old:
        if f["name"].lower() not in newmap and f["mode"] == "REQUIRED":
            return ("Provided Schema does not match Table. Field %s is "
                    "missing in new schema" % f["name"])
    return None


def describe(value):
    """How BigQuery's reader names a JSON value in its messages."""
    if isinstance(value, bool):
        return "bool_value: %s" % ("true" if value else "false")
    if isinstance(value, str):
        return "string_value: \"%s\"" % value
    if isinstance(value, int):
        return "int_value: %d" % value
    if isinstance(value, float):
        return "double_value: %r" % value
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _bad(value, what, field):
    raise RowError("Could not convert value '%s' to %s. Field: %s; "
                   "Value: %s" % (describe(value), what, field,
                                  _short(value)))


def _short(value):
    if isinstance(value, str):
        s = value
    else:
        s = json.dumps(value, ensure_ascii=False)
    return s if len(s) <= 60 else s[:57] + "..."


def conv_int(v, field):
    if isinstance(v, bool):
        _bad(v, "integer", field)
    if isinstance(v, int):
        n = v
    elif isinstance(v, float):
        if not math.isfinite(v) or v != int(v):
            _bad(v, "integer", field)
        n = int(v)
    elif isinstance(v, str) and INT_STR_RE.match(v.strip()):
        n = int(v.strip())
    else:
        _bad(v, "integer", field)
    if n < INT64_MIN or n > INT64_MAX:
        raise RowError("Value %s is out of range for INT64. Field: %s; "
                       "Value: %s" % (n, field, _short(v)))
    return str(n)


def _decimal(v, what, field):
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        _bad(v, what, field)
    if isinstance(v, float):
        if not math.isfinite(v):
            _bad(v, what, field)
        s = repr(v)
    else:
        s = str(v).strip()
    if not NUM_STR_RE.match(s):
        _bad(v, what, field)
    return DEC_CTX.create_decimal(s)


def dec_text(d):
    """BigQuery prints NUMERIC without exponent and trailing zeros."""
    if d == 0:
        return "0"
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def conv_numeric(v, field, big=False):
    what = "BIGNUMERIC" if big else "NUMERIC"
    d = _decimal(v, what, field)
    scale = 38 if big else 9
    if d != d.quantize(decimal.Decimal(1).scaleb(-scale), context=DEC_CTX):
        # NEEDSWORK: BigQuery's behaviour for extra digits is unconfirmed
        # (it may round); the fake refuses them so that a loss of
        # precision can never pass unnoticed.
        raise RowError("Invalid %s value: %s; too many digits after the "
                       "decimal point (scale %d). Field: %s; Value: %s"
                       % (what, _short(v), scale, field, _short(v)))
    if big:
        out_of_range = d > BIGNUMERIC_MAX or d < BIGNUMERIC_MIN
    else:
        out_of_range = d.copy_abs() > NUMERIC_MAX
    if out_of_range:
        raise RowError("Invalid %s value: %s; out of range. Field: %s; "
                       "Value: %s" % (what, _short(v), field, _short(v)))
    return dec_text(d)


def conv_float(v, field):
    if isinstance(v, bool):
        _bad(v, "double", field)
    if isinstance(v, (int, float)):
        f = float(v)
    elif isinstance(v, str):
        s = v.strip()
        special = {"nan": math.nan, "inf": math.inf, "+inf": math.inf,
                   "-inf": -math.inf, "infinity": math.inf,
                   "+infinity": math.inf, "-infinity": -math.inf}
        if s.lower() in special:
            f = special[s.lower()]
        elif NUM_STR_RE.match(s):
            f = float(s)
        else:
            _bad(v, "double", field)
    else:
        _bad(v, "double", field)
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "Infinity" if f > 0 else "-Infinity"
    return repr(f)


def conv_bool(v, field):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower()
    _bad(v, "boolean", field)


def conv_string(v, field):
    if isinstance(v, str):
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            raise RowError("Invalid UTF-8 (lone surrogate) in string. "
                           "Field: %s" % field)
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    _bad(v, "string", field)


def conv_bytes(v, field):
    if not isinstance(v, str):
        _bad(v, "bytes", field)
    try:
        raw = base64.b64decode(v, validate=True)
    except (binascii.Error, ValueError):
        raise RowError("Could not decode base64 string to bytes. "
                       "Field: %s; Value: %s" % (field, _short(v)))
    return base64.b64encode(raw).decode("ascii")


def _date(y, m, d, v, field, what):
    try:
        return datetime.date(int(y), int(m), int(d))
    except ValueError:
        _bad(v, what, field)


def conv_date(v, field):
    m = DATE_RE.match(v) if isinstance(v, str) else None
    if not m:
        _bad(v, "date", field)
    return _date(*m.groups(), v, field, "date").isoformat()


def _frac(s):
    return (s or "").ljust(6, "0")[:6]


def _time_text(h, mi, s, frac, v, field, what):
    h, mi, s = int(h), int(mi), int(s or 0)
    if h > 23 or mi > 59 or s > 59:
        _bad(v, what, field)
    out = "%02d:%02d:%02d" % (h, mi, s)
    f = _frac(frac).rstrip("0")
    return out + ("." + _frac(frac) if f else "")


def conv_time(v, field):
    m = TIME_RE.match(v) if isinstance(v, str) else None
    if not m:
        _bad(v, "time", field)
    return _time_text(*m.groups(), v, field, "time")


def conv_datetime(v, field):
    m = DATETIME_RE.match(v) if isinstance(v, str) else None
    if not m:
        _bad(v, "datetime", field)
    y, mo, d, h, mi, s, frac = m.groups()
    day = _date(y, mo, d, v, field, "datetime")
    t = _time_text(h or 0, mi or 0, s, frac, v, field, "datetime")
    return day.isoformat() + "T" + t


def timestamp_micros(v, field):
    """Microseconds since the epoch for a TIMESTAMP cell."""
    if isinstance(v, bool):
        _bad(v, "timestamp", field)
    if isinstance(v, (int, float)):
        if not math.isfinite(v):
            _bad(v, "timestamp", field)
        d = DEC_CTX.create_decimal(repr(v) if isinstance(v, float) else v)
        us = int(DEC_CTX.multiply(d, 1000000).to_integral_value(
            decimal.ROUND_FLOOR))
    else:
        m = TIMESTAMP_RE.match(v.strip()) if isinstance(v, str) else None
        if not m:
            _bad(v, "timestamp", field)
        y, mo, d, h, mi, s, frac, zone = m.groups()
        day = _date(y, mo, d, v, field, "timestamp")
        h, mi, s = int(h or 0), int(mi or 0), int(s or 0)
        if h > 23 or mi > 59 or s > 59:
            _bad(v, "timestamp", field)
        off = 0
        if zone and zone not in ("Z", "z", "UTC"):
            sign = -1 if zone[0] == "-" else 1
            z = zone[1:].replace(":", "")
            zh = int(z[:-2]) if len(z) > 2 else int(z)
            zm = int(z[-2:]) if len(z) > 2 else 0
            if zh > 14 or zm > 59:
                _bad(v, "timestamp", field)
            off = sign * (zh * 3600 + zm * 60)
        days = (day - datetime.date(1970, 1, 1)).days
        secs = days * 86400 + h * 3600 + mi * 60 + s - off
        us = secs * 1000000 + int(_frac(frac))
    lo = -62135596800 * 1000000
    hi = 253402300799 * 1000000 + 999999
    if us < lo or us > hi:
        raise RowError("Timestamp out of range. Field: %s; Value: %s"
                       % (field, _short(v)))
    return us


def conv_timestamp(v, field):
    return str(timestamp_micros(v, field))


def conv_json(v, field):
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def conv_geography(v, field):
    if not isinstance(v, str):
        _bad(v, "geography", field)
    return v


CONVERTERS = {
    "INT64": conv_int, "FLOAT64": conv_float, "BOOL": conv_bool,
    "STRING": conv_string, "BYTES": conv_bytes, "DATE": conv_date,
    "TIME": conv_time, "DATETIME": conv_datetime,
    "TIMESTAMP": conv_timestamp, "JSON": conv_json,
    "GEOGRAPHY": conv_geography,
    "NUMERIC": lambda v, f: conv_numeric(v, f, False),
    "BIGNUMERIC": lambda v, f: conv_numeric(v, f, True),
}


_MISSING = object()
_PLANS = {}


def _plan(fields):
    """Per-schema lookups, computed once per fields list."""
    p = _PLANS.get(id(fields))
    if p is None or p[0] is not fields:
        if len(_PLANS) > 256:
            _PLANS.clear()
        p = (fields,
             [(f["name"].lower(), f["name"], f["mode"],
               TYPE_ALIASES[f["type"]], f) for f in fields],
             frozenset(f["name"].lower() for f in fields))
        _PLANS[id(fields)] = p
    return p


def convert_record(obj, fields, ignore_unknown, prefix=""):
    """Canonical cells (a list in schema order) of one JSON object."""
    if not isinstance(obj, dict):
        raise RowError("Start of array encountered without start of "
                       "object." if isinstance(obj, list) else
                       "Expected a JSON object. Found: %s" % describe(obj))
    _, plan, known = _plan(fields)
    byname = {k.lower(): v for k, v in obj.items()}
    if not ignore_unknown and not byname.keys() <= known:
        for k in obj:
            if k.lower() not in known:
                raise RowError("No such field: %s." % (prefix + k))
    cells = []
    for lname, fname, mode, t, f in plan:
        v = byname.get(lname, _MISSING)
        if v is None or v is _MISSING:
            if mode == "REQUIRED":
                name = prefix + fname
                if v is _MISSING:
                    raise RowError("Missing required field: %s." % name)
                raise RowError("Only optional fields can be set to NULL. "
                               "Field: %s; Value: NULL" % name)
            cells.append([] if mode == "REPEATED" else None)
            continue
        if mode == "REPEATED":
            name = prefix + fname
            if not isinstance(v, list):
                raise RowError("Repeated field must be imported as a "
                               "JSON array. Field: %s." % name)
            items = []
            for e in v:
                if e is None:
                    raise RowError("Nested arrays or NULL elements are "
                                   "not allowed. Field: %s." % name)
                items.append(convert_value(e, f, ignore_unknown, name))
            cells.append(items)
        elif isinstance(v, list):
            raise RowError("Array specified for non-repeated field: "
                           "%s." % (prefix + fname))
        elif t == "RECORD":
            cells.append(convert_record(v, f["fields"], ignore_unknown,
                                        prefix + fname + "."))
        else:
            cells.append(CONVERTERS[t](v, prefix + fname))
    return cells


def convert_value(v, f, ignore_unknown, name):
    t = TYPE_ALIASES[f["type"]]
    if t == "RECORD":
        return convert_record(v, f["fields"], ignore_unknown, name + ".")
    return CONVERTERS[t](v, name)


def _no_dup_pairs(pairs):
    seen = set()
    for k, _ in pairs:
        if k.lower() in seen:
            raise RowError("Duplicate field: %s." % k)
        seen.add(k.lower())
    return dict(pairs)


def _no_constant(name):
    raise RowError("Invalid JSON value: %s" % name)


def parse_line(raw):
    """Parses one NDJSON line (bytes) as BigQuery's reader would."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise RowError("Invalid UTF-8 byte sequence at offset %d of the "
                       "row." % e.start)
    try:
        return json.loads(text, object_pairs_hook=_no_dup_pairs,
                          parse_constant=_no_constant)
    except RowError:
        raise
    except (ValueError, RecursionError) as e:
        raise RowError("Parser terminated before end of string: %s"
                       % str(e).split(":")[0])


def fv_cells(cells, fields, tsfmt):
    """tabledata.list's f/v form of a row's canonical cells."""
    out = []
    for f, c in zip(fields, cells):
        out.append({"v": fv_value(c, f, tsfmt)})
    return {"f": out}


def fv_value(c, f, tsfmt):
    if c is None:
        return None
    if f["mode"] == "REPEATED":
        one = dict(f, mode="NULLABLE")
        return [{"v": fv_value(e, one, tsfmt)} for e in c]
    t = TYPE_ALIASES[f["type"]]
    if t == "RECORD":
        return fv_cells(c, f["fields"], tsfmt)
    if t == "TIMESTAMP":
        return ts_format(int(c), tsfmt)
    return c


def ts_format(us, tsfmt):
    if tsfmt == "INT64":
        return str(us)
    if tsfmt == "ISO8601_STRING":
        t = EPOCH + datetime.timedelta(microseconds=us)
        return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # BigQuery's default: float seconds in scientific notation.
    secs = decimal.Decimal(us).scaleb(-6)
    if secs == 0:
        return "0.0"
    s = "{:E}".format(secs.normalize())
    mant, exp = s.split("E")
    if "." not in mant:
        mant += ".0"
    return "%sE%d" % (mant, int(exp))


def plain_cells(cells, fields):
    """Canonical cells as a JSON object, for the test inspection hook."""
    out = {}
    for f, c in zip(fields, cells):
        out[f["name"]] = plain_value(c, f)
    return out


def plain_value(c, f):
    if c is None:
        return None
    if f["mode"] == "REPEATED":
        one = dict(f, mode="NULLABLE")
        return [plain_value(e, one) for e in c]
    t = TYPE_ALIASES[f["type"]]
    if t == "RECORD":
        return plain_cells(c, f["fields"])
    if t == "TIMESTAMP":
        return ts_format(int(c), "ISO8601_STRING")
    return c

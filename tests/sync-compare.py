#!/usr/bin/python3
"""sync-compare.py: does every BigQuery table hold exactly its query's rows?

usage: sync-compare.py CONFIG BQ_URL PROJECT DATASET QUERYDIR TABLE...

For each TABLE, runs QUERYDIR/TABLE/query.sql (the rewritten query) on the
SQL Server of CONFIG through pymssql -- FreeTDS by another client, not our
pohoda-extract -- and reads the table's stored rows and schema from
bigquery-server's test hook (BQ_URL/_test/tables/...).  Both sides are
brought to one form per BigQuery type (numbers by value, datetimes parsed,
bytes decoded) and compared as multisets of rows.  Prints one line per
table: "TABLE source=N bigquery=M OK" or "... MISMATCH" with a few
differing rows, and exits 1 when any table differs or cannot be read.
The password is read from CONFIG, never from the command line.
"""

import base64
import collections
import datetime as dt
import decimal
import json
import sys
import urllib.request
import uuid

import pymssql


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read()


def norm_time(v):
    if isinstance(v, dt.time):
        return v.isoformat()
    return dt.time.fromisoformat(v).isoformat()


def norm_datetime(v):
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None).isoformat()
    return dt.datetime.fromisoformat(v.replace(" ", "T")).isoformat()


def norm_timestamp(v):
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=dt.timezone.utc)
        return v.astimezone(dt.timezone.utc).isoformat()
    if isinstance(v, str) and v.lstrip("-").isdigit():
        return (dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) +
                dt.timedelta(microseconds=int(v))).isoformat()
    return dt.datetime.fromisoformat(v.replace("Z", "+00:00")).astimezone(
        dt.timezone.utc).isoformat()


def norm(v, typ):
    """One form for a source value and a stored BigQuery value alike."""
    if v is None:
        return None
    if typ in ("INTEGER", "INT64"):
        return str(int(v))
    if typ in ("NUMERIC", "BIGNUMERIC", "DECIMAL", "BIGDECIMAL"):
        d = decimal.Decimal(str(v))
        return "0" if d == 0 else format(d.normalize(), "f")
    if typ in ("FLOAT", "FLOAT64"):
        return repr(float(v))
    if typ in ("BOOLEAN", "BOOL"):
        if isinstance(v, str):
            return v.strip().lower() in ("true", "1")
        return bool(v)
    if typ == "BYTES":
        if isinstance(v, (bytes, bytearray)):
            return base64.b64encode(bytes(v)).decode()
        return base64.b64encode(base64.b64decode(v)).decode()
    if typ == "DATE":
        if isinstance(v, dt.datetime):
            v = v.date()
        return v.isoformat() if isinstance(v, dt.date) else \
            dt.date.fromisoformat(v).isoformat()
    if typ == "TIME":
        return norm_time(v)
    if typ == "DATETIME":
        return norm_datetime(v)
    if typ == "TIMESTAMP":
        return norm_timestamp(v)
    if isinstance(v, uuid.UUID):
        return str(v).upper()
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).decode("utf-8")
    return str(v)


def source_rows(cfg, sql, types):
    m = cfg["mssql"]
    conn = pymssql.connect(server=m["host"], port=str(m.get("port", 1433)),
                           user=m["user"], password=m["password"],
                           database=m["database"],
                           tds_version="7.3",
                           login_timeout=30, charset="UTF-8")
    try:
        cur = conn.cursor()
        cur.execute(sql)
        rows = cur.fetchall()
    finally:
        conn.close()
    out = []
    for r in rows:
        if len(r) != len(types):
            raise ValueError("source row has %d columns, schema %d" %
                             (len(r), len(types)))
        out.append(json.dumps([norm(v, t) for v, t in zip(r, types)],
                              ensure_ascii=False))
    return out


def bq_rows(base, project, dataset, table):
    path = "%s/_test/tables/%s/%s/%s" % (base, project, dataset, table)
    view = json.loads(fetch(path))
    fields = view["schema"]["fields"]
    rows = []
    for line in fetch(path + "/rows?form=canonical").splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        rows.append(json.dumps([norm(obj.get(f["name"]), f["type"])
                                for f in fields], ensure_ascii=False))
    return [f["type"] for f in fields], rows


def main():
    if len(sys.argv) < 7:
        sys.exit(__doc__.strip().splitlines()[2])
    cfgpath, base, project, dataset, qdir = sys.argv[1:6]
    with open(cfgpath, encoding="utf-8") as f:
        cfg = json.load(f)
    bad = 0
    for table in sys.argv[6:]:
        try:
            types, got = bq_rows(base, project, dataset, table)
            with open("%s/%s/query.sql" % (qdir, table),
                      encoding="utf-8") as f:
                want = source_rows(cfg, f.read(), types)
        except Exception as e:   # one line per table, whatever went wrong
            print("%s source=? bigquery=? MISMATCH (%s)" % (table, e))
            bad = 1
            continue
        cw, cg = collections.Counter(want), collections.Counter(got)
        verdict = "OK" if cw == cg else "MISMATCH"
        print("%s source=%d bigquery=%d %s" % (table, len(want), len(got),
                                              verdict))
        if cw != cg:
            bad = 1
            for r in list((cw - cg).elements())[:3]:
                print("#   only in source:   %s" % r[:300])
            for r in list((cg - cw).elements())[:3]:
                print("#   only in bigquery: %s" % r[:300])
    sys.exit(bad)


if __name__ == "__main__":
    main()

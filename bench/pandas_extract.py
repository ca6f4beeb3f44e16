#!/usr/bin/python3
"""The approach pohoda-sync replaces, as a benchmark peer: pandas.read_sql
over pymssql in chunks of 5000 rows, each chunk written with
to_json(lines=True) into one gzip file.  pymssql hands a uniqueidentifier
over as uuid.UUID, which to_json cannot encode (it emitted raw bytes and
failed), so default_handler=str spells it as text, as a user would have to.  The password comes from the
environment variable BENCH_PASSWORD, never from the command line.

usage: pandas_extract.py HOST PORT USER DATABASE QUERY OUT.gz
"""
import gzip
import os
import sys
import warnings

import pandas as pd
import pymssql


def main():
    host, port, user, database, query, out = sys.argv[1:7]
    conn = pymssql.connect(server=host, port=int(port), user=user,
                           password=os.environ["BENCH_PASSWORD"],
                           database=database, charset="UTF-8",
                           tds_version="7.3")
    rows = 0
    warnings.simplefilter("ignore")
    with gzip.open(out, "wt", encoding="utf-8") as f:
        for chunk in pd.read_sql(query, conn, chunksize=5000):
            f.write(chunk.to_json(orient="records", lines=True,
                                  force_ascii=False, date_format="iso",
                                  default_handler=str))
            f.write("\n")
            rows += len(chunk)
    conn.close()
    print(rows)


if __name__ == "__main__":
    main()

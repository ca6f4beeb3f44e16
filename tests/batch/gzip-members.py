#!/usr/bin/python3
"""gzip-members.py ROWS < NDJSON > GZ: gzip with a new member every ROWS
rows, the way pohoda-extract -B writes it (0: one member)."""
import gzip
import sys

k = int(sys.argv[1])
out = sys.stdout.buffer
buf = []
for line in sys.stdin.buffer:
    buf.append(line)
    if len(buf) == k:
        out.write(gzip.compress(b"".join(buf), 6))
        buf = []
if buf or k == 0:
    out.write(gzip.compress(b"".join(buf), 6))

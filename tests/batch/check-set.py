#!/usr/bin/python3
"""check-set.py DIR ROWS MAXBYTES REF: check a pohoda-batch set on its
own, with Python's gzip and hashlib: the manifest's format and sums,
every batch file's rows, bytes, size and SHA-256, and the batches read
in order giving REF (plain NDJSON) exactly.  Every batch but the last
holds exactly ROWS rows; with MAXBYTES (0: none) every batch holds at
most MAXBYTES bytes and ROWS rows, and one that holds fewer than ROWS
rows would have gone over MAXBYTES with the next row.
Prints one line per problem (at most 20); exits 1 when there is any."""
import gzip
import hashlib
import os
import sys

d, rows, maxbytes, ref = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    sys.argv[4]
bad = []
with open(os.path.join(d, "manifest"), encoding="ascii") as f:
    lines = f.read().split("\n")
if lines[0] != "# pohoda-batch manifest 1":
    bad.append("manifest: bad first line %r" % lines[0])
if lines[-1] != "":
    bad.append("manifest: no final newline")
body = [l.split("\t") for l in lines[1:-1]]
total = body[-1] if body else []
batches = body[:-1]
if not total or total[0] != "total" or len(total) != 5:
    bad.append("manifest: no total line")
    total = ["total", "0", "0", "0", "0"]
sums = [0, 0, 0]
refh = open(ref, "rb")
for i, b in enumerate(batches, 1):
    name = "%05d.ndjson.gz" % i
    if len(b) != 5 or b[0] != name:
        bad.append("manifest line %d: %r" % (i + 1, b))
        continue
    data = open(os.path.join(d, name), "rb").read()
    plain = gzip.decompress(data)
    n = plain.count(b"\n")
    if not plain.endswith(b"\n") and plain:
        bad.append("%s: no final newline" % name)
    if n != int(b[1]):
        bad.append("%s: %d rows, manifest says %s" % (name, n, b[1]))
    pos = refh.tell()
    refh.seek(pos + len(plain))
    nextrow = refh.readline()
    refh.seek(pos)
    if maxbytes == 0 and i < len(batches) and n != rows:
        bad.append("%s: %d rows, not %d" % (name, n, rows))
    if maxbytes and n > rows:
        bad.append("%s: %d rows, over %d" % (name, n, rows))
    if maxbytes and i < len(batches) and n < rows and \
            len(plain) + len(nextrow) <= maxbytes:
        bad.append("%s: %d rows, %d bytes: the next row fits too" %
                   (name, n, len(plain)))
    if n == 0:
        bad.append("%s: empty batch" % name)
    if maxbytes and len(plain) > maxbytes:
        bad.append("%s: %d bytes, over %d" % (name, len(plain), maxbytes))
    if len(plain) != int(b[2]):
        bad.append("%s: %d bytes, manifest says %s" % (name, len(plain), b[2]))
    if len(data) != int(b[3]):
        bad.append("%s: size %d, manifest says %s" % (name, len(data), b[3]))
    if hashlib.sha256(data).hexdigest() != b[4]:
        bad.append("%s: checksum differs from the manifest" % name)
    if refh.read(len(plain)) != plain:
        bad.append("%s: rows differ from the input" % name)
    sums = [sums[0] + n, sums[1] + len(plain), sums[2] + len(data)]
if refh.read(1) != b"":
    bad.append("the input has rows after the last batch")
want = [str(x) for x in sums] + [str(len(batches))]
if total[1:] != want:
    bad.append("total line %r, counted %r" % (total[1:], want))
names = sorted(x for x in os.listdir(d) if x.endswith(".ndjson.gz"))
if names != ["%05d.ndjson.gz" % i for i in range(1, len(batches) + 1)]:
    bad.append("batch files %r do not match the manifest" % names[:5])
for x in os.listdir(d):
    if x.startswith(".") and ".tmp." in x:
        inner = x[1:x.index(".tmp.")]
        if inner in ("manifest", "source") or inner.endswith(".ndjson.gz"):
            bad.append("%s: a leftover temporary file" % x)
    elif x in ("manifest", "source") or x.endswith(".ndjson.gz"):
        mode = os.stat(os.path.join(d, x)).st_mode
        if mode & 0o077:
            bad.append("%s: not private (%o)" % (x, mode))
for line in bad[:20]:
    print(line)
sys.exit(1 if bad else 0)

#!/bin/sh
# extract-stream.t: pohoda-extract on the fake server's synthetic table
# BIG: rows match the server's own definition of them, gzip members
# every -B rows, memory that does not grow with the row count, and no
# file under the final name when the server dies or the extract is
# stopped midway.
. tests/lib.sh
. tests/extract/env.sh

X=$BIN/pohoda-extract
"$PY" -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).close()' \
    "$T/empty.sqlite"
tds_start "$T/empty.sqlite" --synthetic-rows 1000000
ok $? "tds-server with 1000000 synthetic rows"
CFG=$(tds_cfg_file "$TDS_PORT")

# 1. 10000 rows against the server's row_values(), value by value
"$X" -q -c "$CFG" -o "$T/small.ndjson" -e 'SELECT TOP 10000 * FROM BIG'
ok $? "10000 rows read"
"$PY" - "$T/small.ndjson" <<'EOF' > "$T/cmp"
import json, re, sys
sys.path.insert(0, "tests/servers")
from tds.synthetic import row_values, COLUMNS
names = [c[0] for c in COLUMNS]
bad = 0
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    n += 1
    got = json.loads(line)
    v = row_values(n)
    want = dict(zip(names, v))
    want["Zaplaceno"] = bool(want["Zaplaceno"])
    if list(got) != names or got != want:
        bad += 1
        if bad < 3:
            print("row", n, "got", got, "want", want)
    # money and decimal keep their exact decimals as strings
    if not re.search(r'"Kc":"-?\d+\.\d{4}","Castka":"-?\d+\.\d{2}"', line):
        bad += 1
print("rows", n, "bad", bad)
EOF
is "$(tail -n 1 "$T/cmp")" "rows 10000 bad 0" "every value as the server defines it"
[ "$(tail -n 1 "$T/cmp")" = "rows 10000 bad 0" ] || diag "$(cat "$T/cmp")"

# 2. gzip members every -B rows; the same bytes as the plain output
"$X" -q -c "$CFG" -B 4000 -o "$T/small.ndjson.gz" \
    -e 'SELECT TOP 10000 * FROM BIG'
ok $? "gzip'd with -B 4000"
gzip -dc "$T/small.ndjson.gz" | cmp -s - "$T/small.ndjson"
ok $? "gzip'd rows equal the plain ones"
members=$("$PY" -c 'import sys, zlib
data = open(sys.argv[1], "rb").read()
rows = []
while data:
    d = zlib.decompressobj(31)
    rows.append(d.decompress(data).count(b"\n"))
    data = d.unused_data
print(" ".join(map(str, rows)))' "$T/small.ndjson.gz")
is "$members" "4000 4000 2000" "members of 4000 rows each"

# 3. peak memory: 1000000 rows within 2 MiB of 10000 (not timed)
rss() {
	/usr/bin/time -f %M -o "$T/rss" "$PLAIN_BIN/pohoda-extract" -q \
	    -c "$CFG" -o "$T/rss.ndjson.gz" -e "SELECT TOP $1 * FROM BIG" &&
	    cat "$T/rss"
}
small=$(rss 10000)
big=$(rss 1000000)
is "$(gzip -dc "$T/rss.ndjson.gz" | wc -l)" 1000000 "1000000 rows read"
[ -n "$small" ] && [ -n "$big" ] && [ $((big - small)) -le 2048 ]
ok $? "peak RSS of 1000000 rows (${big} KB) within 2 MiB of 10000 (${small} KB)"

# 4. the server dies midway: non-zero, nothing under the final name
stop_bg "$TDS_PID"
tds_start "$T/empty.sqlite" --synthetic-rows 5000000
CFG=$(tds_cfg_file "$TDS_PORT")
mkdir "$T/kill"
"$X" -q -c "$CFG" -o "$T/kill/BIG.ndjson.gz" -m "$T/kill/BIG.schema" \
    -e 'SELECT * FROM BIG' 2> "$T/kill.err" &
xpid=$!
i=0
while [ $i -lt 100 ]; do
	sz=$(find "$T/kill" -name '.BIG.ndjson.gz.tmp.*' -size +64k | wc -l)
	[ "$sz" -gt 0 ] && break
	sleep 0.1
	i=$((i + 1))
done
ok $((i >= 100)) "the extract is writing rows"
kill -KILL "$TDS_PID"
wait "$xpid"
rc=$?
[ $rc -ne 0 ]
ok $? "server killed midway: non-zero exit ($rc)"
case $rc in 75|69) r=0 ;; *) r=1 ;; esac
ok $r "and a retry-later or unavailable status"
is "$(ls -A "$T/kill")" "" "no file under the final name, no temp file"
diag "$(cat "$T/kill.err")"

# 5. SIGTERM to the extract midway: its temporary files are removed
tds_start "$T/empty.sqlite" --synthetic-rows 5000000
CFG=$(tds_cfg_file "$TDS_PORT")
"$X" -q -c "$CFG" -o "$T/kill/BIG.ndjson.gz" -m "$T/kill/BIG.schema" \
    -e 'SELECT * FROM BIG' 2> /dev/null &
xpid=$!
i=0
while [ $i -lt 100 ]; do
	[ -n "$(find "$T/kill" -name '.BIG.ndjson.gz.tmp.*' -size +64k)" ] &&
	    break
	sleep 0.1
	i=$((i + 1))
done
kill -TERM "$xpid"
wait "$xpid" 2> /dev/null
isnt "$?" 0 "stopped by SIGTERM: non-zero"
is "$(ls -A "$T/kill")" "" "no final file and no temporary file left"
stop_bg "$TDS_PID"

# the server stops answering midway: query_timeout 2 s gives 75 soon
tds_start "$T/empty.sqlite" --synthetic-rows 5000000
CFG=$T/stall.json
tds_config "$TDS_PORT" | sed 's/"query_timeout": 0/"query_timeout": 2/' \
    > "$CFG"
chmod 600 "$CFG"
"$X" -q -c "$CFG" -o "$T/kill/BIG.ndjson.gz" -e 'SELECT * FROM BIG' \
    2> "$T/stall.err" &
xpid=$!
i=0
while [ $i -lt 100 ]; do
	[ -n "$(find "$T/kill" -name '.BIG.ndjson.gz.tmp.*' -size +64k)" ] &&
	    break
	sleep 0.1
	i=$((i + 1))
done
kill -STOP "$TDS_PID"
start=$(date +%s)
wait "$xpid"
rc=$?
took=$(( $(date +%s) - start ))
kill -CONT "$TDS_PID"
is "$rc" 75 "a stalled server: 75"
[ "$took" -le 8 ]
ok $? "given up after the query timeout (took $took s)"
grep -q 'query: timed out' "$T/stall.err"
ok $? "says it timed out"
is "$(ls -A "$T/kill")" "" "no file left"
stop_bg "$TDS_PID"

# 6. a progress line on a terminal, none with -q
tds_start "$T/empty.sqlite" --synthetic-rows 20000
CFG=$(tds_cfg_file "$TDS_PORT")
if command -v script > /dev/null; then
	script -qec "$X -c $CFG -o $T/p.ndjson -e 'SELECT TOP 20000 * FROM BIG'" \
	    /dev/null > "$T/tty" 2>&1
	grep -q 'pohoda-extract: 20000 rows, [0-9.]* MB, [0-9]* rows/s' \
	    "$T/tty"
	ok $? "progress line on a terminal"
	script -qec "$X -q -c $CFG -o $T/p.ndjson -e 'SELECT TOP 20000 * FROM BIG'" \
	    /dev/null > "$T/tty" 2>&1
	is "$(cat "$T/tty")" "" "-q: silent"
else
	skip "script(1) missing"
	skip "script(1) missing"
fi
done_testing

#!/bin/sh
# extract-fail.t: each way pohoda-extract can fail gives a clear message,
# the exit status of DESIGN §7 and no file under the final name; the
# password shows nowhere.
. tests/lib.sh
. tests/extract/env.sh

X=$BIN/pohoda-extract
PW=pohoda-test-pw

# no_output DESCRIPTION: nothing under the final names, no temp files
no_output() {
	left=$(ls -A "$T/out")
	is "$left" "" "$1: no output file, no temporary file"
}
mkdir "$T/out"

# usage
"$X" -h > "$T/h" 2>&1
is "$?" 0 "-h exits 0"
grep -q '^usage: pohoda-extract' "$T/h"
ok $? "-h prints the usage"
"$X" --version | grep -q '^pohoda-extract (pohoda-sync) '
ok $? "--version"
"$X" -Z 2> "$T/e"
is "$?" 64 "unknown option: 64"
"$X" -B many -e 'SELECT 1' 2> "$T/e"
is "$?" 64 "-B many: 64"
grep -q -- '-B many' "$T/e"
ok $? "the bad value is named"
"$X" -e 'SELECT 1' a.sql 2> /dev/null
is "$?" 64 "-e and a file: 64"
echo '{"batch_size": 10}' > "$T/nomssql.json"
chmod 600 "$T/nomssql.json"
"$X" -c "$T/nomssql.json" -e 'SELECT 1' 2> "$T/e"
is "$?" 78 "config without mssql: 78"
grep -q 'mssql: missing' "$T/e"
ok $? "says mssql is missing"

# connection refused: 69
port=$(free_port)
CFG=$(tds_cfg_file "$port")
"$X" -q -c "$CFG" -o "$T/out/x.ndjson.gz" -e 'SELECT 1' 2> "$T/e"
is "$?" 69 "connection refused: 69"
grep -q "127.0.0.1:$port: cannot connect: Connection refused" "$T/e"
ok $? "the message names host, port and the reason"
no_output "connection refused"

# a listener that accepts and never answers: login_timeout 5 s
"$PY" - "$T/silent.port" <<'EOF' &
import os, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
tmp = sys.argv[1] + ".tmp"
open(tmp, "w").write(str(s.getsockname()[1]))
os.rename(tmp, sys.argv[1])
held = []
deadline = time.time() + 60
while time.time() < deadline:
    c, _ = s.accept()
    held.append(c)
EOF
SILENT=$!
_bg_pids="$_bg_pids $SILENT"
i=0
while [ ! -s "$T/silent.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
CFG=$(tds_cfg_file "$(cat "$T/silent.port")" "$PW" 5)
start=$(date +%s)
"$X" -q -c "$CFG" -o "$T/out/x.ndjson" -e 'SELECT 1' 2> "$T/e" &
xpid=$!
sleep 1
# while it waits: the password is not on its command line
tr '\0' ' ' < "/proc/$xpid/cmdline" > "$T/cmdline"
grep -q "$PW" "$T/cmdline"
ok $((! $?)) "the password is not in argv"
ps -ww -o args= -p "$xpid" | grep -q "$PW"
ok $((! $?)) "ps does not show the password"
wait "$xpid"
rc=$?
took=$(( $(date +%s) - start ))
case $rc in 75|69) r=0 ;; *) r=1 ;; esac
ok $r "silent server: exit 75 or 69 (got $rc)"
[ "$took" -le 10 ]
ok $? "silent server: gave up within 10 s (took $took s)"
grep -q 'timed out' "$T/e"
ok $? "says it timed out"
no_output "silent server"
stop_bg "$SILENT"

# the real fake server from here on
"$PY" - "$T/db.sqlite" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE FA (ID int, Cislo varchar(32))")
db.executemany("INSERT INTO FA VALUES (?, ?)",
               [(i, "FA%05d" % i) for i in range(1, 101)])
db.commit()
EOF
tds_start "$T/db.sqlite"
ok $? "tds-server is listening"

# wrong password: 78, the server's message, never the password
WRONG=wrong-secret-4711
CFG=$(tds_cfg_file "$TDS_PORT" "$WRONG")
"$X" -q -c "$CFG" -o "$T/out/x.ndjson" -e 'SELECT 1' 2> "$T/e"
is "$?" 78 "wrong password: 78"
grep -q "Login failed for user 'pohoda_sync'" "$T/e"
ok $? "the server's login message"
grep -q "$WRONG" "$T/e" "$T/extract.log" 2>/dev/null
ok $((! $?)) "the password is in no message and no log line"
no_output "wrong password"

# a query error: the server's message, number and line; 65
CFG=$(tds_cfg_file "$TDS_PORT")
printf -- '-- FA: invoices\n\nSELECT ID FROM FA JOIN Nothing ON 1 = 1\n' \
    > "$T/FA.sql"
(cd "$T" && "$X" -q -c "$CFG" -o out/FA.ndjson.gz -m out/FA.schema \
    FA.sql 2> e)
is "$?" 65 "query error: 65"
grep -q "^pohoda-extract: FA.sql: server error 208, line 3: Invalid object name 'Nothing'$" "$T/e"
ok $? "message: file, server error number, line and text"
[ "$(wc -l < "$T/e")" -eq 1 ]
ok $? "one message, no db-lib echo"
no_output "query error"
grep -q 'ERROR.*table=FA' "$T/extract.log"
ok $? "the failure is in the log with the table"

# a result, then an error in a later statement of the batch: no file
printf 'SELECT ID FROM FA\nSELECT x FROM Nothing\n' > "$T/two.sql"
"$X" -q -c "$CFG" -o "$T/out/two.ndjson" "$T/two.sql" 2> "$T/e"
is "$?" 65 "error after the result set: 65"
no_output "error after the result set"

# a value JSON cannot hold: 65, the row and the column named
stop_bg "$TDS_PID"
sqlite3 "$T/inf.sqlite" 'CREATE TABLE f (id int, v float);
INSERT INTO f VALUES (1, 1.5), (2, 9e999);'
tds_start "$T/inf.sqlite"
CFG=$(tds_cfg_file "$TDS_PORT")
"$X" -q -c "$CFG" -o "$T/out/f.ndjson" -e 'SELECT id, v AS [Částka] FROM f' \
    2> "$T/e"
is "$?" 65 "an infinite float: 65"
grep -q 'query: row 2, column Castka: NaN or infinity has no JSON form' \
    "$T/e"
ok $? "the message names row and column"
no_output "an infinite float"
stop_bg "$TDS_PID"
tds_start "$T/db.sqlite"
CFG=$(tds_cfg_file "$TDS_PORT")

# stdout write errors are errors
"$X" -q -c "$CFG" -e 'SELECT ID, Cislo FROM FA' > /dev/full 2> "$T/e"
rc=$?
[ $rc -ne 0 ]
ok $? "writing to a full device fails (exit $rc)"
grep -q 'No space left on device' "$T/e"
ok $? "and says why"

# the happy path for contrast: files 0600, complete
"$X" -q -c "$CFG" -o "$T/out/FA.ndjson.gz" -m "$T/out/FA.schema" \
    -e 'SELECT ID, Cislo FROM FA'
is "$?" 0 "a good query: 0"
is "$(gzip -dc "$T/out/FA.ndjson.gz" | wc -l)" 100 "100 rows"
is "$(stat -c %a "$T/out/FA.ndjson.gz") $(stat -c %a "$T/out/FA.schema")" \
    "600 600" "output files are 0600"
grep -q 'INFO.*table=query rows=100 bytes=[0-9]* seconds=[0-9.]* rate=[0-9]*/s' \
    "$T/extract.log"
ok $? "a final INFO line with rows, bytes, seconds and rate"
done_testing

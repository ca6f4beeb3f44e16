#!/bin/sh
# sync-perm.t: run-sync.sh warns, where a person sees it, about a config
# or key file that others may read; refuses a config that is not valid,
# naming the key; and always exits 0 or 1.
. tests/lib.sh
RS=$TOP/bin/run-sync.sh
POHODA_SYNC_BIN=$BIN
export POHODA_SYNC_BIN

mkdir -p "$T/sql"
echo "SELECT 1 AS x" > "$T/sql/X.sql"
# a real key: run-sync.sh has bq-upload check it before a run
"$PY" "$TOP/tests/servers/make-sa-key" --token-uri http://127.0.0.1:9/token \
    --project perm --no-register "$T/key.json" || exit 1
cat > "$T/c.json" <<'JSON'
{"mssql": {"host": "127.0.0.1", "port": 9, "user": "u", "password": "p",
   "database": "d"},
 "bigquery": {"credentials": "key.json", "dataset": "pohoda"},
 "sql_dir": "sql", "spool_dir": "spool", "log": {"file": "sync.log"}}
JSON
chmod 644 "$T/c.json" "$T/key.json"

"$RS" -c "$T/c.json" -n > "$T/out" 2> "$T/err"
is "$?" 0 "-n with readable files still plans"
grep -q "c.json: readable by group or others" "$T/err"
ok $? "a warning about the config"
grep -q "key.json: readable by group or others" "$T/err"
ok $? "a warning about the key file"
chmod 600 "$T/c.json" "$T/key.json"
"$RS" -c "$T/c.json" -n > "$T/out" 2> "$T/err"
is "$(cat "$T/err")" "" "no warning once they are 0600"

printf '{"batch_size": "many"}\n' > "$T/bad.json"
chmod 600 "$T/bad.json"
"$RS" -c "$T/bad.json" > "$T/out" 2> "$T/err"
is "$?" 1 "a bad config: exit 1"
grep -q "bad.json: batch_size: expected a whole number" "$T/err"
ok $? "naming the key path"
"$RS" -c "$T/none.json" 2> /dev/null
is "$?" 1 "a missing config: exit 1"
"$RS" -x 2> /dev/null
is "$?" 1 "a bad option: exit 1"
"$RS" -c "$T/c.json" -t NOPE 2> "$T/err"
is "$?" 1 "an unknown table: exit 1"
grep -q "NOPE.sql: no such query" "$T/err"
ok $? "naming the query file"
: > "$T/sql/bad name.sql"
"$RS" -c "$T/c.json" -n > "$T/out" 2> "$T/err"
grep -q "bad name.sql: not a table name" "$T/err"
ok $? "a query whose name is no table name is named on stderr"
grep -q "bad" "$T/out"
isnt "$?" 0 "and left out of the plan"
rm -f "$T/sql/bad name.sql"
"$RS" --help | grep -q "^usage: run-sync.sh"
ok $? "--help prints the usage"

# a SQL Server nobody answers: the run fails with 1, not the program's code
"$RS" -c "$T/c.json" > /dev/null 2> "$T/err"
is "$?" 1 "a run that cannot reach SQL Server exits 1"
ok "$([ -z "$(find "$T/spool" "$T"/sync.log* \( -type f ! -perm 600 \) \
    -o \( -type d ! -perm 700 \))" ]; echo $?)" \
    "what it created is private"
done_testing

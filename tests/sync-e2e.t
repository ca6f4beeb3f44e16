#!/bin/sh
# shellcheck disable=SC2086 # $tables is a list of names
# sync-e2e.t: run-sync.sh end to end on the sample database: every
# BigQuery table holds exactly its query's rows as another client reads
# them from the TDS server; the log has a summary, run.json says done,
# the spool is private, no secret shows on any command line.
. tests/lib.sh
. tests/sync-lib.sh

sync_setup 1 50 || { echo "Bail out! servers did not start"; exit 1; }
tables=$(sync_tables)
ntables=$(echo "$tables" | wc -l)

# sample the command lines of the run's session (the driver and all it
# starts) while it goes: no password, no key
setsid "$RS" -c "$CFG" > "$T/out" 2> "$T/err" &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
	for p in $(ps -s "$pid" -o pid=); do
		tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null
		echo
	done
	sleep 0.01
done > "$T/cmdlines"
wait "$pid"
rc=$?
is "$rc" 0 "run-sync.sh exits 0"
[ -s "$T/err" ] && diag "$(head -c 2000 "$T/err")"
is "$(cat "$T/out")" "" "silent on success"

run=$(last_run)
rd=$SPOOL/$run
is "$(jq -r .state "$rd/run.json")" "done" "run.json: the run is done"
is "$(jq -r '[.tables[] | .status] | unique | join(",")' "$rd/run.json")" \
    "done" "run.json: every table is done"
is "$(jq -r .server "$rd/run.json")" SERVER1 \
    "run.json: the linked server from companies"
is "$(jq -r .config_sha256 "$rd/run.json")" \
    "$(sha256sum < "$CFG" | cut -d ' ' -f 1)" "run.json: the config digest"
n=0
for t in $tables; do
	[ -e "$rd/$t.done" ] && n=$((n + 1))
done
is "$n" "$ntables" "a TABLE.done for every query"

sync_compare "$rd" $tables > "$T/cmp"
rc=$?
sed 's/^/# /' "$T/cmp"
is "$rc" 0 "every BigQuery table equals its query's rows on the TDS server"
is "$(grep -c ' OK$' "$T/cmp")" "$ntables" "one OK line per table"

# the comparison can fail: PH's rows are not SKPP's
mkdir -p "$T/swap/SKPP"
cp "$rd/PH/query.sql" "$T/swap/SKPP/query.sql"
sync_compare "$T/swap" SKPP > /dev/null
isnt "$?" 0 "the comparison tells another query's rows apart"

grep -q "table=PH step=extract status=ok seconds=" "$SYNC_LOG"
ok $? "the log has a line per step, naming table and step"
summ=$(grep -c "run=$run table=[A-Za-z]* step=summary status=done rows=[0-9]* batches=[0-9]* bytes=[0-9]* seconds=[0-9]*" "$SYNC_LOG")
is "$summ" "$ntables" "a summary line per table"
grep -q "run=$run step=summary status=ok tables=$ntables done=$ntables failed=0 rows=" "$SYNC_LOG"
ok $? "an overall summary line"
grep -q "rows=" "$SYNC_LOG" && ! grep -q "$PASSWORD" "$SYNC_LOG"
ok $? "the log does not hold the password"

bad=$(find "$SPOOL" "$T"/sync.log* \( -type f ! -perm 600 \) -o \
    \( -type d ! -perm 700 \) | head -n 5)
is "$bad" "" "spool and log: files 0600, folders 0700"
is "$(find "$SPOOL" -name '.*.tmp.*' | head -n 3)" "" \
    "no temporary file is left"

key_part=$(jq -r .private_key "$T/key.json" | sed -n 5p)
hits=0
for s in "$PASSWORD" "$key_part" "$SENTRY_KEY"; do
	grep -qF -- "$s" "$T/cmdlines" && hits=$((hits + 1))
done
is "$hits" 0 "no password, key or DSN key on any command line"
grep -q "pohoda-extract" "$T/cmdlines"
ok $? "the command-line sampler saw the programs run"

# a second start is a new run, and the tables stay exact
sleep 1
sync_run -v 2> "$T/err2"
is "$?" 0 "a second run exits 0"
run2=$(last_run)
isnt "$run2" "$run" "the second run is a new one"
sync_compare "$SPOOL/$run2" $tables > "$T/cmp2"
ok $? "after the second run every table is still exact"
done_testing

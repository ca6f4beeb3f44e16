#!/bin/sh
# sync-fail.t: the TDS server dies in the middle of an extract.  The run
# exits 1, yesterday's BigQuery tables stay as they were, the log names
# the table and the step, and Sentry gets exactly one event, without the
# password.  Sentry down or rate-limiting changes nothing of that.
. tests/lib.sh
SQL_DIR=$T/sql
. tests/sync-lib.sh

mkdir -p "$SQL_DIR"
cp "$TOP/sql/PH.sql" "$SQL_DIR/PH.sql"
printf 'SELECT * FROM BIG\n' > "$SQL_DIR/BIG.sql"
TDS_ARGS="--synthetic-rows 3000000"
sync_setup 1 5000 || { echo "Bail out! servers did not start"; exit 1; }

# yesterday: PH published
sync_run -t PH 2> "$T/err"
is "$?" 0 "a first run publishes PH"
[ -s "$T/err" ] && diag "$(head -c 1000 "$T/err")"
is "$(sentry_events)" 0 "a run that succeeds sends no Sentry event"
bq_table_dump PH > "$T/ph.before"
ok "$([ "$(wc -l < "$T/ph.before")" -gt 10 ]; echo $?)" "PH has rows"

# today: the server dies while BIG is being extracted
sleep 1
"$RS" -c "$CFG" > "$T/out" 2> "$T/err" &
pid=$!
seen=
i=0
while [ "$i" -lt 600 ] && kill -0 "$pid" 2>/dev/null; do
	if ls "$SPOOL"/*/BIG/.data.ndjson.gz.tmp.* > /dev/null 2>&1; then
		seen=1
		break
	fi
	sleep 0.02
	i=$((i + 1))
done
kill -KILL "$TDS_PID"
wait "$pid"
rc=$?
is "$seen" 1 "the extract of BIG was under way when the server died"
is "$rc" 1 "the run exits 1"
grep -q "run-sync.sh: " "$T/err" || grep -q "pohoda-extract: " "$T/err"
ok $? "standard error says what failed"
grep -Eq "ERROR run-sync.sh\[$pid\] .* table=BIG step=extract program=pohoda-extract status=(failed|retry) exit=[0-9]+" "$SYNC_LOG"
ok $? "the log names the table and the step"
grep -q "ERROR run-sync.sh\[$pid\] .* table=BIG step=extract program=pohoda-extract msg=" "$SYNC_LOG"
ok $? "the program's own message is in the log"
bq_table_dump PH > "$T/ph.after"
is "$(sha256sum < "$T/ph.after")" "$(sha256sum < "$T/ph.before")" \
    "yesterday's PH is unchanged"
code=$(curl -s -o /dev/null -w '%{http_code}' \
    "$BQ_URL/_test/tables/$PROJECT/$DATASET/BIG")
isnt "$code" 200 "no half-loaded BIG table appeared"
run=$(last_run)
is "$(jq -r .state "$SPOOL/$run/run.json")" failed \
    "run.json: the run is failed (to be resumed)"
is "$(jq -r .tables.BIG.step "$SPOOL/$run/run.json")" extract \
    "run.json: BIG failed at extract"

sleep 0.5
is "$(sentry_events)" 1 "Sentry received exactly one event"
ev=$(head -n 1 "$T/sentry.events")
is "$(printf '%s' "$ev" | jq -r .event.tags.table)" BIG "event tag: table"
is "$(printf '%s' "$ev" | jq -r .event.tags.step)" extract "event tag: step"
is "$(printf '%s' "$ev" | jq -r .event.tags.run)" "$run" "event tag: run"
is "$(printf '%s' "$ev" | jq -r .event.tags.program)" pohoda-extract \
    "event tag: program"
ok "$(printf '%s' "$ev" | jq -e '.event.tags.exit_status | test("^[1-9][0-9]*$")' > /dev/null; echo $?)" \
    "event tag: exit status"
is "$(printf '%s' "$ev" | jq -r .event.environment)" test \
    "event: the config's environment"
is "$(printf '%s' "$ev" | jq -r .event.release)" "pohoda-sync@0.1.0" \
    "event: the release"
printf '%s' "$ev" | jq -r .event.extra.log_tail | grep -q "table=BIG step=extract"
ok $? "event: the last log lines"
grep -qF -e "$PASSWORD" -e "$SENTRY_KEY" "$T/sentry.events"
isnt "$?" 0 "no password and no Sentry key in the event"

# Sentry unreachable: same exit status, little delay
stop_bg "$SENTRY_PID"
start=$(date +%s)
sync_run > /dev/null 2>&1
rc=$?
is "$rc" 1 "with Sentry down the run still exits 1"
ok "$([ $(($(date +%s) - start)) -lt 30 ]; echo $?)" \
    "and Sentry down does not hold it up"

# Sentry rate-limiting: one request, no retries, same exit status
sentry_start --mode 429 --retry-after 3600
tmp=$(mktemp "$T/cfg.XXXXXX")
jq --arg d "http://$SENTRY_KEY@127.0.0.1:$SENTRY_PORT/42" '.sentry.dsn = $d' \
    "$CFG" > "$tmp" && mv "$tmp" "$CFG" && chmod 600 "$CFG"
sync_run > /dev/null 2>&1
is "$?" 1 "with Sentry rate-limiting the run still exits 1"
reqs=$(curl -s "http://127.0.0.1:$SENTRY_PORT/_stats" | jq -r '.requests // .ingest // empty')
is "$reqs" 1 "one request to a rate-limiting Sentry, no retries"
grep -q "pohoda-report.* step=report status=rate_limited" "$SYNC_LOG"
ok $? "the rate limit is logged"
done_testing

# shellcheck shell=sh disable=SC2034,SC2119,SC2120,SC2153
# tests/sync-lib.sh: set-up shared by the tests/sync-*.t files: the sample
# database, the three fake servers, a service-account key and a config,
# all under $T; source it after tests/lib.sh.
#
#   sync_setup [SCALE [BATCH_SIZE]]   make everything and start the servers
#                                     ($TDS_ARGS: more tds-server options)
#   sync_run [ARGS...]                run-sync.sh -c $CFG with our programs
#   sync_compare TABLE...             BigQuery == the query on the TDS server
#   sync_tables                       the queries' names in $SQL_DIR
#   sentry_events                     how many events sentry-server kept
#
# The driver runs from $TOP/bin, the programs from $BIN (POHODA_SYNC_BIN).

RS=$TOP/bin/run-sync.sh
CFG=$T/config.json
SPOOL=$T/spool
SYNC_LOG=$T/sync.log
: "${SQL_DIR:=$TOP/sql}"
PROJECT=sync-test
DATASET=pohoda
# a password of this test's own, so that no other test's command line
# could be mistaken for ours
PASSWORD=sync-pw-$$-$(date +%s)
SENTRY_KEY=s3ntrykey0123456789abcdef
POHODA_SYNC_BIN=$BIN
export POHODA_SYNC_BIN

# port_wait FILE: the port a server wrote into FILE once listening
port_wait() {
	_i=0
	while [ ! -s "$1" ] && [ "$_i" -lt 200 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	cat "$1"
}

tds_start() {
	rm -f "$T/tds.port"
	printf 'pohoda_sync:%s\n' "$PASSWORD" > "$T/tds.users"
	start_bg "$TOP/tests/servers/tds-server" --port 0 \
	    --port-file "$T/tds.port" --db "$T/pohoda.sqlite" \
	    --users "$T/tds.users" ${TDS_ARGS:+$TDS_ARGS} "$@" \
	    > "$T/tds.out" 2>&1
	TDS_PID=$BG_PID
	TDS_PORT=$(port_wait "$T/tds.port")
}

bq_start() {
	rm -f "$T/bq.port"
	start_bg "$TOP/tests/servers/bigquery-server" --port 0 \
	    --port-file "$T/bq.port" --state "$T/bq" --job-polls 0 "$@" \
	    > "$T/bq.out" 2>&1
	BQ_PID=$BG_PID
	BQ_PORT=$(port_wait "$T/bq.port")
	BQ_URL=http://127.0.0.1:$BQ_PORT
}

sentry_start() {
	SENTRY_PORT=
	[ -x "$TOP/tests/servers/sentry-server" ] || return 0
	rm -f "$T/sentry.port"
	start_bg "$TOP/tests/servers/sentry-server" --port 0 \
	    --port-file "$T/sentry.port" --out "$T/sentry.events" \
	    --key "$SENTRY_KEY" --project 42 "$@" \
	    > "$T/sentry.out" 2>&1
	SENTRY_PID=$BG_PID
	SENTRY_PORT=$(port_wait "$T/sentry.port")
}

# config_write [BATCH_SIZE [EXTRA_JSON]]: $CFG, mode 0600
config_write() {
	_dsn=
	[ -n "$SENTRY_PORT" ] &&
	    _dsn=http://$SENTRY_KEY@127.0.0.1:$SENTRY_PORT/42
	cat > "$CFG" <<-JSON
	{
	  "mssql": { "host": "127.0.0.1", "port": $TDS_PORT,
	    "user": "pohoda_sync", "password": "$PASSWORD",
	    "database": "CONTROL", "encryption": "off" },
	  "bigquery": { "credentials": "key.json", "dataset": "$DATASET",
	    "api_url": "$BQ_URL" },
	  "batch_size": ${1:-1000},
	  "sql_dir": "$SQL_DIR",
	  "spool_dir": "spool",
	  "log": { "file": "sync.log" },
	  "sentry": { "dsn": "$_dsn", "environment": "test" }${2:+,
	  $2}
	}
	JSON
	chmod 600 "$CFG"
}

sync_setup() {
	"$PY" "$TOP/tests/data/make-pohoda-db" --scale "${1:-1}" --seed 7 \
	    "$T/pohoda.sqlite" > /dev/null || return 1
	tds_start
	bq_start
	sentry_start
	"$PY" "$TOP/tests/servers/make-sa-key" --token-uri "$BQ_URL/token" \
	    --project "$PROJECT" --state "$T/bq" "$T/key.json" || return 1
	config_write "${2:-1000}"
	[ -n "$TDS_PORT" ] && [ -n "$BQ_PORT" ]
}

sync_run() {
	"$RS" -c "$CFG" "$@"
}

sync_tables() {
	for _f in "$SQL_DIR"/*.sql; do
		_f=${_f##*/}
		printf '%s\n' "${_f%.sql}"
	done
}

# sync_compare RUNDIR TABLE...: prints a line per table; status 0 when
# every table holds exactly its query's rows
sync_compare() {
	_rd=$1
	shift
	"$PY" "$TOP/tests/sync-compare.py" "$CFG" "$BQ_URL" "$PROJECT" \
	    "$DATASET" "$_rd" "$@"
}

# last_run: the newest run folder's name
last_run() {
	for _r in "$SPOOL"/[0-9]*T[0-9]*Z; do
		[ -d "$_r" ] && _last=${_r##*/}
	done
	echo "${_last:-}"
}

# sentry_events: how many events sentry-server recorded
sentry_events() {
	if [ -f "$T/sentry.events" ]; then
		wc -l < "$T/sentry.events" | tr -d ' '
	else
		echo 0
	fi
}

# bq_table_dump TABLE: the stored rows, sorted (to see a table unchanged)
bq_table_dump() {
	curl -s \
	    "$BQ_URL/_test/tables/$PROJECT/$DATASET/$1/rows?form=canonical" |
	    sort
}

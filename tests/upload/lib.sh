# shellcheck shell=sh
# tests/upload/lib.sh: helpers for the bq-upload tests (source it after
# tests/lib.sh).  bq_start runs bigquery-server with its state in $T/bq,
# writes a key registered with it ($T/key.json) and a config pointing at
# it ($T/config.json); the rest compare what the server holds with what
# the batch files hold, both canonicalised by tests/upload/canon.

UP=$TOP/tests/upload
SRV=$TOP/tests/servers

# short waits, so that retries and polls do not slow the tests down
BQ_UPLOAD_RETRY_BASE_MS=5
BQ_UPLOAD_RETRY_CAP_MS=40
BQ_UPLOAD_RETRY_BUDGET_MS=4000
BQ_UPLOAD_POLL_BASE_MS=10
BQ_UPLOAD_POLL_CAP_MS=40
export BQ_UPLOAD_RETRY_BASE_MS BQ_UPLOAD_RETRY_CAP_MS \
    BQ_UPLOAD_RETRY_BUDGET_MS BQ_UPLOAD_POLL_BASE_MS BQ_UPLOAD_POLL_CAP_MS

# bq_start [SERVER OPTION...]
bq_start() {
	mkdir -p "$T/bq"
	rm -f "$T/bq.port"
	start_bg "$SRV/bigquery-server" --port 0 --port-file "$T/bq.port" \
	    --state "$T/bq" "$@" 2>> "$T/bq.err"
	# shellcheck disable=SC2153
	BQ_PID=$BG_PID
	bq_wait
	BQ_PORT=$(cat "$T/bq.port")
	BQ_URL=http://127.0.0.1:$BQ_PORT
	"$SRV/make-sa-key" --token-uri "$BQ_URL/token" --project proj \
	    --state "$T/bq" "$T/key.json" > /dev/null
	config_write "$BQ_URL" "$T/key.json"
}

bq_wait() {
	_i=0
	while [ ! -s "$T/bq.port" ] && [ "$_i" -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
}

# bq_restart [SERVER OPTION...]: stop the server, start it again on the
# same port and state folder
bq_restart() {
	stop_bg "$BQ_PID"
	rm -f "$T/bq.port"
	start_bg "$SRV/bigquery-server" --port "$BQ_PORT" \
	    --port-file "$T/bq.port" --state "$T/bq" "$@" 2>> "$T/bq.err"
	BQ_PID=$BG_PID
	bq_wait
}

# config_write API_URL KEYFILE
config_write() {
	cat > "$T/config.json" <<EOC
{
  "bigquery": { "credentials": "$2", "dataset": "ds",
                "api_url": "$1" },
  "log": { "file": "$T/sync.log", "level": "INFO" }
}
EOC
	chmod 600 "$T/config.json"
}

# bq_get PATH: a GET on the server (test hooks are under /_test/)
bq_get() {
	curl -sf "$BQ_URL$1"
}

# bq_fault SPEC SEED: change the server's fault injection
bq_fault() {
	curl -sf -X POST -d "{\"spec\": \"$1\", \"seed\": $2}" \
	    "$BQ_URL/_fault" > /dev/null
}

# table_rows TABLE: the table's rows as the server stores them, canonical
table_rows() {
	bq_get "/_test/tables/proj/ds/$1/rows" | "$PY" "$UP/canon"
}

# set_rows DIR: the batch files' rows, canonical
set_rows() {
	for _f in "$1"/[0-9]*.ndjson.gz; do
		[ -f "$_f" ] && zcat "$_f"
	done | "$PY" "$UP/canon"
}

# table_exists TABLE: whether the server has it
table_exists() {
	bq_get "/_test/tables/proj/ds/$1" > /dev/null 2>&1
}

# double_loads TABLE [RUN]: batches (or publish) committed more than once
double_loads() {
	bq_get /_test/commits | "$PY" "$UP/loads-per-batch" "$@" |
	    awk '$2 != 1'
}

# upload ARGS...: bq-upload with the test config
upload() {
	"$BIN/bq-upload" -c "$T/config.json" "$@"
}

# shellcheck shell=sh
# lib-bq.sh: shell helpers for the bigquery-server tests; source it after
# tests/lib.sh.  Everything here speaks plain HTTP with curl, so the
# tests check the server from the outside, the way a client sees it.

BQ_SERVER=$TOP/tests/servers/bigquery-server
BQ_KEYGEN=$TOP/tests/servers/make-sa-key
BQ_FID=$TOP/tests/fidelity/bq
BQ_PROJECT=proj

# bq_start STATE [ARGS...]: start a server on a free port; sets BQ_PORT,
# BQ_URL, BQ_PID.
# shellcheck disable=SC2034,SC2153
bq_start() {
	_st=$1
	shift
	rm -f "$T/bq.port"
	start_bg "$BQ_SERVER" --port 0 --port-file "$T/bq.port" \
	    --state "$_st" "$@" 2>> "$T/bq.err"
	BQ_PID=$BG_PID
	_i=0
	while [ ! -s "$T/bq.port" ] && [ "$_i" -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	BQ_PORT=$(cat "$T/bq.port")
	BQ_URL=http://127.0.0.1:$BQ_PORT
}

# bq_key STATE FILE: a registered service-account key file
bq_key() {
	"$BQ_KEYGEN" --token-uri "$BQ_URL/token" --project "$BQ_PROJECT" \
	    --state "$1" "$2"
}

# bq_token KEYFILE: an access token obtained by hand (openssl + curl)
bq_token() {
	"$BQ_FID/jwt-token.sh" "$1" | head -n 1 | jq -r .access_token
}

# bq_curl ARGS...: curl with the bearer token, -w status on a last line
bq_curl() {
	curl -sS -H "Authorization: Bearer $BQ_TOKEN" -w '\n%{http_code}\n' \
	    "$@"
}

# bq_api METHOD PATH [JSON]: a metadata API call; prints body + status
bq_api() {
	if [ $# -ge 3 ]; then
		bq_curl -X "$1" -H 'Content-Type: application/json' \
		    --data-binary "$3" \
		    "$BQ_URL/bigquery/v2/projects/$BQ_PROJECT$2"
	else
		bq_curl -X "$1" "$BQ_URL/bigquery/v2/projects/$BQ_PROJECT$2"
	fi
}

# body_of / code_of: split bq_curl's output
body_of() { sed '$d'; }
code_of() { tail -n 1; }

# bq_load_conf JOBID TABLE SCHEMA_FIELDS [EXTRA_LOAD_JSON]: job metadata
bq_load_conf() {
	_x=${4-}
	[ -n "$_x" ] || _x='{}'
	jq -cn --arg j "$1" --arg t "$2" --argjson f "$3" \
	    --argjson x "$_x" '{jobReference: {projectId: "proj",
	    jobId: $j}, configuration: {load: ({destinationTable:
	    {projectId: "proj", datasetId: "ds", tableId: $t},
	    sourceFormat: "NEWLINE_DELIMITED_JSON", schema: {fields: $f}}
	    + $x)}}'
}

# bq_multipart META_JSON DATAFILE OUT: writes a multipart/related body
bq_multipart() {
	{
		printf -- '--%s\r\n' "$BQ_BOUNDARY"
		printf 'Content-Type: application/json; charset=UTF-8\r\n\r\n'
		printf '%s' "$1"
		printf '\r\n--%s\r\n' "$BQ_BOUNDARY"
		printf 'Content-Type: application/octet-stream\r\n\r\n'
		cat "$2"
		printf '\r\n--%s--\r\n' "$BQ_BOUNDARY"
	} > "$3"
}
BQ_BOUNDARY=bq_test_0123456789abcdef0123456789abcdef

# bq_upload META_JSON DATAFILE: a multipart load; prints body + status
bq_upload() {
	bq_multipart "$1" "$2" "$T/mp.body"
	bq_curl -H "Content-Type: multipart/related; boundary=$BQ_BOUNDARY" \
	    --data-binary "@$T/mp.body" \
	    "$BQ_URL/upload/bigquery/v2/projects/$BQ_PROJECT/jobs?\
uploadType=multipart"
}

# bq_wait JOBID: polls until DONE (bounded); prints the job JSON
bq_wait() {
	_i=0
	while [ "$_i" -lt 50 ]; do
		_j=$(bq_api GET "/jobs/$1" | body_of)
		if [ "$(printf '%s' "$_j" | jq -r .status.state)" = DONE ]; then
			printf '%s\n' "$_j"
			return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	printf '%s\n' "$_j"
	return 1
}

# bq_rows TABLE [FORM]: the stored rows (test hook), NDJSON
bq_rows() {
	curl -sS "$BQ_URL/_test/tables/$BQ_PROJECT/ds/$1/rows?form=${2:-raw}"
}

# bq_dataset NAME [LOCATION]
bq_dataset() {
	bq_api POST /datasets \
	    "{\"datasetReference\":{\"datasetId\":\"$1\"},\
\"location\":\"${2:-EU}\"}" > /dev/null
}

# bq_ready POLLS: a server on $T/st whose jobs are RUNNING to the first
# POLLS jobs.get calls, with a key ($T/key.json), a token in BQ_TOKEN and
# the dataset ds in EU
bq_ready() {
	bq_start "$T/st" --job-polls "$1"
	bq_key "$T/st" "$T/key.json"
	BQ_TOKEN=$(bq_token "$T/key.json")
	bq_dataset ds EU
}

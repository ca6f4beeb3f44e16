#!/bin/sh
# Load jobs through multipart uploads with curl: row validation as
# BigQuery does it, dispositions, job ids, polling, tabledata.list,
# copy and delete, and persistence across a restart.
. tests/lib.sh
. tests/fidelity/bq/lib-bq.sh

bq_ready 1

F1='[{"name":"n","type":"INT64","mode":"REQUIRED"},{"name":"s","type":"STRING"}]'
printf '{"n":1,"s":"a"}\n{"n":2,"s":"ř"}\n\n{"s":null,"n":"3"}\n' > "$T/a.ndjson"

# -- polling: PENDING at insert, RUNNING, then DONE --------------------
bq_upload "$(bq_load_conf j1 t "$F1" '{"writeDisposition":"WRITE_TRUNCATE"}')" \
    "$T/a.ndjson" > "$T/r"
is "$(code_of < "$T/r") $(body_of < "$T/r" | jq -r .status.state)" \
    "200 PENDING" "a multipart load answers 200 with the job, PENDING"
is "$(bq_api GET /jobs/j1 | body_of | jq -r .status.state)" RUNNING \
    "the first jobs.get sees RUNNING"
bq_api GET /jobs/j1 | body_of > "$T/job"
is "$(jq -r '.status.state + " " + .statistics.load.outputRows' "$T/job")" \
    "DONE 3" "then DONE with outputRows as a string"
is "$(jq -r '[.id, .jobReference.location, .kind,
    (.status | has("errorResult") | tostring)] | join(" ")' "$T/job")" \
    "proj:EU.j1 EU bigquery#job false" \
    "the job's id, location and kind are BigQuery's; no errorResult"
bq_rows t > "$T/got"
grep -v '^$' "$T/a.ndjson" > "$T/want"
files_eq "$T/got" "$T/want" "the stored rows are the loaded lines, byte for byte"

# -- tabledata.list ----------------------------------------------------
bq_api GET '/datasets/ds/tables/t/data' | body_of > "$T/td"
is "$(jq -c '[.totalRows, .rows]' "$T/td")" \
    '["3",[{"f":[{"v":"1"},{"v":"a"}]},{"f":[{"v":"2"},{"v":"ř"}]},{"f":[{"v":"3"},{"v":null}]}]]' \
    "tabledata.list answers BigQuery's f/v rows with string values"
bq_api GET '/datasets/ds/tables/t/data?maxResults=2' | body_of > "$T/td"
tok=$(jq -r .pageToken "$T/td")
is "$(jq '.rows | length' "$T/td") $([ -n "$tok" ] && echo token)" "2 token" \
    "maxResults gives a page and a pageToken"
bq_api GET "/datasets/ds/tables/t/data?maxResults=2&pageToken=$tok" |
    body_of > "$T/td2"
is "$(jq -c '[.rows[0].f[0].v, has("pageToken")]' "$T/td2")" '["3",false]' \
    "the pageToken leads to the last page"
bq_api GET /datasets/ds/tables/t | body_of > "$T/tb"
is "$(jq -c '[.numRows, .schema.fields[0].type, .schema.fields[0].mode,
    .location, .tableReference.tableId]' "$T/tb")" \
    '["3","INTEGER","REQUIRED","EU","t"]' "tables.get: numRows, schema, location"

# -- job ids -----------------------------------------------------------
bq_upload "$(bq_load_conf j1 t "$F1" '{"writeDisposition":"WRITE_APPEND"}')" \
    "$T/a.ndjson" > "$T/r"
is "$(code_of < "$T/r") $(body_of < "$T/r" | jq -r '.error.errors[0].reason')" \
    "409 duplicate" "re-inserting job j1 is 409 duplicate"
is "$(body_of < "$T/r" | jq -r .error.message)" "Already Exists: Job proj:EU.j1" \
    "with BigQuery's message"
is "$(bq_rows t | wc -l)" 3 "and loads nothing"
bq_upload "$(bq_load_conf 'bad id!' t "$F1")" "$T/a.ndjson" > "$T/r"
is "$(code_of < "$T/r")" 400 "a job id outside [A-Za-z0-9_-] is 400"

# -- dispositions ------------------------------------------------------
load() {	# load JOBID TABLE FIELDS EXTRA DATAFILE: inserts and waits
	bq_upload "$(bq_load_conf "$1" "$2" "$3" "$4")" "$5" > "$T/r"
	if [ "$(code_of < "$T/r")" != 200 ]; then
		body_of < "$T/r"
		return 1
	fi
	bq_wait "$1"
}
err_of() { jq -r '.status.errorResult.reason // "ok"'; }

load j2 t "$F1" '{"writeDisposition":"WRITE_APPEND"}' "$T/a.ndjson" > "$T/job"
is "$(err_of < "$T/job") $(bq_rows t | wc -l)" "ok 6" "WRITE_APPEND appends"
gzip -c "$T/a.ndjson" > "$T/a.ndjson.gz"
load j3 t "$F1" '{"writeDisposition":"WRITE_TRUNCATE"}' "$T/a.ndjson.gz" > "$T/job"
is "$(err_of < "$T/job") $(bq_rows t | wc -l)" "ok 3" \
    "WRITE_TRUNCATE replaces (gzip'd data is read too)"
load j4 t "$F1" '{"writeDisposition":"WRITE_EMPTY"}' "$T/a.ndjson" > "$T/job"
is "$(err_of < "$T/job") $(bq_rows t | wc -l)" "duplicate 3" \
    "WRITE_EMPTY into a table with rows fails with duplicate"
load j5 nosuch "$F1" '{"createDisposition":"CREATE_NEVER"}' "$T/a.ndjson" > "$T/job"
is "$(err_of < "$T/job")" notFound "CREATE_NEVER on a missing table: notFound"
is "$(jq -r .status.errorResult.message "$T/job")" \
    "Not found: Table proj:ds.nosuch" "naming the table"
load j6 t '[{"name":"n","type":"STRING","mode":"REQUIRED"},{"name":"s","type":"STRING"}]' \
    '{"writeDisposition":"WRITE_APPEND"}' "$T/a.ndjson" > "$T/job"
is "$(err_of < "$T/job") $(bq_rows t | wc -l)" "invalid 3" \
    "appending with a changed column type fails"
: > "$T/empty"
load j7 empty "$F1" '{"writeDisposition":"WRITE_TRUNCATE"}' "$T/empty" > "$T/job"
is "$(err_of < "$T/job") $(bq_api GET /datasets/ds/tables/empty | body_of |
    jq -r '.numRows + " " + (.schema.fields | length | tostring)')" "ok 0 2" \
    "an empty load creates an empty table with its schema"
bq_upload "$(jq -c '.jobReference.location = "US"' <<JSON
$(bq_load_conf j8 t "$F1")
JSON
)" "$T/a.ndjson" > "$T/r"
bq_wait j8 > "$T/job"
is "$(err_of < "$T/job")" notFound "a job in another location than the dataset fails"

# -- a bad row fails the whole job and writes nothing ------------------
printf '{"n":7,"s":"x"}\n{"n":8}\n{"n":"x","s":"y"}\n{"n":9}\n' > "$T/bad.ndjson"
load j9 t "$F1" '{"writeDisposition":"WRITE_TRUNCATE"}' "$T/bad.ndjson" > "$T/job"
is "$(err_of < "$T/job") $(bq_rows t | wc -l)" "invalid 3" \
    "one bad row fails the job; the table keeps its old rows"
is "$(jq -r .status.errorResult.message "$T/job")" \
    "Error while reading data, error message: JSON table encountered too many errors, giving up. Rows: 3; errors: 1. Please look into the errors[] collection for more details." \
    "errorResult says how many rows were read when it gave up"
is "$(jq -r '.status.errors[1].message' "$T/job")" \
    "Error while reading data, error message: JSON parsing error in row starting at position 24: Could not convert value 'string_value: \"x\"' to integer. Field: n; Value: x" \
    "errors[] names the byte position, the field and the value"
is "$(jq -r '.status.errors[1].location' "$T/job")" "row 3" \
    "and the row's number"
load j10 t "$F1" '{"writeDisposition":"WRITE_TRUNCATE","maxBadRecords":1}' \
    "$T/bad.ndjson" > "$T/job"
is "$(err_of < "$T/job") $(jq -r '.statistics.load.outputRows + " " +
    .statistics.load.badRecords' "$T/job") $(bq_rows t | wc -l)" "ok 3 1 3" \
    "maxBadRecords 1 skips the bad row and loads the rest"

printf '{"n":1,"extra":2}\n' > "$T/x.ndjson"
load j11 t "$F1" '{"writeDisposition":"WRITE_APPEND"}' "$T/x.ndjson" > "$T/job"
is "$(err_of < "$T/job") $(jq -r '.status.errors[1].message' "$T/job" |
    sed 's/.*: //')" "invalid extra." "an unknown field fails: No such field"
load j12 t "$F1" '{"writeDisposition":"WRITE_APPEND","ignoreUnknownValues":true}' \
    "$T/x.ndjson" > "$T/job"
is "$(err_of < "$T/job") $(bq_rows t | wc -l)" "ok 4" \
    "ignoreUnknownValues drops it and loads the row"
printf '{"s":"no n"}\n' > "$T/m.ndjson"
load j13 t "$F1" '{"writeDisposition":"WRITE_APPEND"}' "$T/m.ndjson" > "$T/job"
jq -r '.status.errors[1].message' "$T/job" | grep -q 'Missing required field: n\.$'
ok $? "a missing REQUIRED field fails: Missing required field"
printf '{"n":null}\n' > "$T/m.ndjson"
load j14 t "$F1" '{"writeDisposition":"WRITE_APPEND"}' "$T/m.ndjson" > "$T/job"
jq -r '.status.errors[1].message' "$T/job" |
    grep -q 'Only optional fields can be set to NULL. Field: n; Value: NULL$'
ok $? "null in a REQUIRED field fails"
printf '{"n":1}\n[1]\n' > "$T/m.ndjson"
load j15 t "$F1" '{"writeDisposition":"WRITE_APPEND"}' "$T/m.ndjson" > "$T/job"
is "$(err_of < "$T/job")" invalid "a line that is not an object fails"
printf '{"n":1}\n{"n":2\n' > "$T/m.ndjson"
load j16 t "$F1" '{"writeDisposition":"WRITE_APPEND"}' "$T/m.ndjson" > "$T/job"
is "$(err_of < "$T/job")" invalid "a truncated JSON line fails"
printf '{"n":1,"s":"\351"}\n' > "$T/m.ndjson"
load j17 t "$F1" '{"writeDisposition":"WRITE_APPEND"}' "$T/m.ndjson" > "$T/job"
is "$(err_of < "$T/job")" invalid "invalid UTF-8 fails"
head -c 40 "$T/a.ndjson.gz" > "$T/trunc.gz"
load j18 t "$F1" '{"writeDisposition":"WRITE_APPEND"}' "$T/trunc.gz" > "$T/job"
is "$(err_of < "$T/job") $(bq_rows t | wc -l)" "invalid 4" \
    "a truncated gzip stream fails and loads nothing"

# -- RECORD and REPEATED ------------------------------------------------
FN='[{"name":"tags","type":"STRING","mode":"REPEATED"},
    {"name":"r","type":"RECORD","fields":[{"name":"a","type":"INT64"},
    {"name":"d","type":"DATE","mode":"REPEATED"}]}]'
printf '%s\n' '{"tags":["x","y"],"r":{"a":"1","d":["2024-01-01"]}}' \
    '{"tags":null,"r":null}' > "$T/nested"
load n1 nested "$FN" '' "$T/nested" > "$T/job"
is "$(err_of < "$T/job")" ok "a load with REPEATED and RECORD columns"
bq_api GET /datasets/ds/tables/nested/data | body_of | jq -c .rows > "$T/r"
is "$(cat "$T/r")" \
    '[{"f":[{"v":[{"v":"x"},{"v":"y"}]},{"v":{"f":[{"v":"1"},{"v":[{"v":"2024-01-01"}]}]}}]},{"f":[{"v":[]},{"v":null}]}]' \
    "tabledata.list nests f/v for records and arrays"
printf '%s\n' '{"tags":"x"}' > "$T/nested"
load n2 nested "$FN" '' "$T/nested" > "$T/job"
is "$(err_of < "$T/job")" invalid "a scalar for a REPEATED column fails"
printf '%s\n' '{"r":{"a":1,"zz":2}}' > "$T/nested"
load n3 nested "$FN" '' "$T/nested" > "$T/job"
jq -r '.status.errors[1].message' "$T/job" | grep -q 'No such field: r.zz.$'
ok $? "an unknown field inside a record is named with its path"

# -- copy and delete ---------------------------------------------------
copy() {	# copy JOBID SRC DST DISPOSITION
	bq_api POST /jobs "$(jq -cn --arg j "$1" --arg s "$2" --arg d "$3" \
	    --arg w "$4" '{jobReference: {jobId: $j}, configuration: {copy: ({
	    sourceTable: {projectId: "proj", datasetId: "ds", tableId: $s},
	    destinationTable: {projectId: "proj", datasetId: "ds", tableId: $d}}
	    + (if $w == "" then {} else {writeDisposition: $w} end))}}')" > "$T/r"
	bq_wait "$1"
}
copy c1 t t2 "" > "$T/job"
is "$(err_of < "$T/job") $(jq -r .statistics.copy.copiedRows "$T/job")" "ok 4" \
    "a copy job copies"
files_eq "$(bq_rows t2 > "$T/t2"; echo "$T/t2")" "$(bq_rows t > "$T/t1"; echo "$T/t1")" \
    "the copy holds the same rows"
copy c2 t t2 "" > "$T/job"
is "$(err_of < "$T/job")" duplicate \
    "a copy's default disposition is WRITE_EMPTY: a full target fails"
copy c3 empty t2 WRITE_TRUNCATE > "$T/job"
is "$(err_of < "$T/job") $(bq_rows t2 | wc -l)" "ok 0" \
    "copy with WRITE_TRUNCATE replaces the target, schema and all"
copy c4 nosuch t2 WRITE_TRUNCATE > "$T/job"
is "$(err_of < "$T/job")" notFound "copying a missing table: notFound"
is "$(bq_api DELETE /datasets/ds/tables/t2 | code_of)" 204 "tables.delete: 204"
is "$(bq_api DELETE /datasets/ds/tables/t2 | code_of)" 404 "again: 404"
is "$(bq_api GET /datasets/ds/tables/t2 | body_of | jq -r .error.message)" \
    "Not found: Table proj:ds.t2" "tables.get of a missing table: Not found"

# -- malformed requests ------------------------------------------------
printf -- '--B\r\nContent-Type: application/json\r\n\r\n{}\r\n--B--\r\n' > "$T/mp"
is "$(bq_curl -H 'Content-Type: multipart/related; boundary=B' \
    --data-binary @"$T/mp" \
    "$BQ_URL/upload/bigquery/v2/projects/proj/jobs?uploadType=multipart" |
    code_of)" 400 "a multipart body without the media part is 400"
is "$(bq_curl -H 'Content-Type: application/json' --data-binary '{' \
    "$BQ_URL/bigquery/v2/projects/proj/jobs" | code_of)" 400 \
    "a broken JSON body is 400"
is "$(bq_api POST /datasets '{"datasetReference":{"datasetId":"ds"}}' |
    code_of)" 409 "creating an existing dataset is 409"
is "$(bq_api GET /datasets/ds | body_of | jq -r .location)" EU \
    "datasets.get keeps the location"

# -- a restarted server keeps everything --------------------------------
bq_rows t > "$T/before"
stop_bg "$BQ_PID"
bq_start "$T/st"
bq_rows t > "$T/after"
files_eq "$T/after" "$T/before" "a restarted server keeps the table's rows"
is "$(bq_api GET /jobs/j3 | body_of | jq -r .status.state)" DONE \
    "and its jobs"
bq_upload "$(bq_load_conf j3 t "$F1")" "$T/a.ndjson" > "$T/r"
is "$(code_of < "$T/r")" 409 "and still refuses a known job id"
is "$(curl -sS "$BQ_URL/_test/loads" | jq -r '[.j1, .j2, .j3, .j9] | map(tostring) | join(" ")')" \
    "1 1 1 0" "the test hook counts committed loads per job id"

done_testing

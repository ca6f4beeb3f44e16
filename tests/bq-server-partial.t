#!/bin/sh
# The fake BigQuery server's partial responses (the fields parameter every
# Google API takes) and its prettyPrint: indented JSON unless the request
# says prettyPrint=false, as Google's APIs answer.
. tests/lib.sh
. tests/fidelity/bq/lib-bq.sh

bq_ready 0
F='[{"name":"n","type":"INT64"},{"name":"s","type":"STRING"}]'
printf '{"n":1,"s":"a"}\n{"n":2,"s":"b"}\n' > "$T/rows"
bq_upload "$(bq_load_conf j1 t "$F")" "$T/rows" > /dev/null
printf '{"n":"x"}\n' > "$T/bad"
bq_upload "$(bq_load_conf j2 t "$F" '{"writeDisposition":"WRITE_APPEND"}')" \
    "$T/bad" > /dev/null

# get JOB QUERY: the job's body as one line of JSON, or the status
get() {
	bq_api GET "/jobs/$1?$2" > "$T/r"
	if [ "$(code_of < "$T/r")" = 200 ]; then
		body_of < "$T/r" | jq -cS .
	else
		code_of < "$T/r"
	fi
}

is "$(get j1 'fields=status,statistics(load/outputRows)')" \
    '{"statistics":{"load":{"outputRows":"2"}},"status":{"state":"DONE"}}' \
    "a(b/c) and a plain name keep only those members"
is "$(get j1 'fields=status/state,jobReference(jobId)')" \
    '{"jobReference":{"jobId":"j1"},"status":{"state":"DONE"}}' \
    "a/b and a(b)"
get j2 '' | jq -c '{status: {errors: [.status.errors[] | {reason}]}}' \
    > "$T/want"
is "$(get j2 'fields=status/errors/reason')" "$(cat "$T/want")" \
    "a selection applies to each element of an array"
get j2 '' | jq -e '.status.errors[0].message' > /dev/null
ok $? "(each error also has a message, left out)"
is "$(get j1 'fields=status/errorResult,statistics/copy')" '{}' \
    "members the job does not have are left out"
is "$(get j1 'fields=statistics/load(outputRows,inputFiles),status/state')" \
    '{"statistics":{"load":{"inputFiles":"1","outputRows":"2"}},"status":{"state":"DONE"}}' \
    "a list inside parentheses"
get j1 'fields=status(*)' > "$T/a"
get j1 'fields=status' > "$T/b"
is "$(cat "$T/a")" "$(cat "$T/b")" "* keeps every member"
is "$(get j1 'fields=')" "$(get j1 '')" "an empty fields is no selection"
for bad in 'status(' 'status,' 'a//b' 'a)b' 'a%20b'; do
	is "$(get j1 "fields=$bad")" 400 "fields=$bad is 400"
done
body_of < "$T/r" | jq -r '.error.errors[0].reason' > "$T/why"
is "$(cat "$T/why")" invalidParameter "with reason invalidParameter"
deep=$(awk 'BEGIN { for (i = 0; i < 1000; i++) printf "a("
    printf "b"; for (i = 0; i < 1000; i++) printf ")" }')
is "$(get j1 "fields=$deep")" 400 "a selection nested 1000 deep is 400"
long=$(awk 'BEGIN { printf "a"; for (i = 0; i < 999; i++) printf "/a" }')
is "$(get j1 "fields=$long,$long")" 400 "so is a path of 1000 names"
get j2 '' | jq -c '.status.errors' > "$T/want"
is "$(get j2 'fields=*,status/errors/reason' | jq -c .status.errors)" \
    "$(cat "$T/want")" "* and a narrower selection: the union, in any order"
is "$(get j2 'fields=status/errors/reason,status(*)' | jq -c .status.errors)" \
    "$(cat "$T/want")" "(the other way round)"
is "$(bq_api GET '/jobs/nosuch?fields=status' | body_of |
    jq -r .error.code)" 404 "an error is not filtered"
is "$(bq_api GET '/datasets/ds/tables/t?fields=numRows' | body_of |
    jq -c .)" '{"numRows":"2"}' "tables.get takes fields too"
is "$(bq_upload "$(bq_load_conf j3 t "$F" \
    '{"writeDisposition":"WRITE_APPEND"}')" "$T/rows" | body_of |
    jq -c '[.status.state, (.configuration.load.schema.fields | length)]')" \
    '["DONE",2]' "an upload without fields answers the whole job"
bq_multipart "$(bq_load_conf j4 t "$F" '{"writeDisposition":"WRITE_APPEND"}')" \
    "$T/rows" "$T/mp.body"
bq_curl -H "Content-Type: multipart/related; boundary=$BQ_BOUNDARY" \
    --data-binary "@$T/mp.body" "$BQ_URL/upload/bigquery/v2/projects/\
$BQ_PROJECT/jobs?uploadType=multipart&fields=status/state" > "$T/r"
is "$(body_of < "$T/r" | jq -c .)" '{"status":{"state":"DONE"}}' \
    "an upload with fields answers what it selects"

bq_api GET /jobs/j1 | body_of > "$T/pretty"
bq_api GET '/jobs/j1?prettyPrint=false' | body_of > "$T/flat"
ok "$([ "$(wc -l < "$T/pretty")" -gt 10 ] && echo 0 || echo 1)" \
    "answers are indented by default"
is "$(wc -l < "$T/flat")" 1 "and on one line with prettyPrint=false"
is "$(jq -cS . "$T/pretty")" "$(jq -cS . "$T/flat")" "the same JSON"
grep -q '^  "status": {$' "$T/pretty"
ok $? "two spaces a level, a space after the colon"
! grep -q Traceback "$T/bq.err"
ok $? "and the server logged no traceback"

done_testing

#!/bin/sh
# Resumable uploads (uploadType=resumable) driven by hand with curl:
# session URI, chunked PUTs with Content-Range, 308 + Range, status
# probes, the 256 KiB chunk rule, and a session that outlives a restart.
. tests/lib.sh
. tests/fidelity/bq/lib-bq.sh

bq_ready 0
K=262144
F='[{"name":"n","type":"INT64"},{"name":"s","type":"STRING"}]'

# About 700 KiB of rows: more than two chunks, not a multiple of 256 KiB.
awk 'BEGIN { for (i = 1; i <= 9000; i++)
	printf "{\"n\":%d,\"s\":\"row %d %s\"}\n", i, i,
	    "žluťoučký kůň úpěl ďábelské ódy, příliš dlouhý řádek" }' \
    > "$T/data.ndjson"
TOTAL=$(wc -c < "$T/data.ndjson")
[ "$TOTAL" -gt $((2 * K)) ] && [ $((TOTAL % K)) -ne 0 ]
ok $? \
    "the data ($TOTAL bytes) spans three chunks"

start() {	# start JOBID [TOTAL]: opens a session; URI in $T/loc
	bq_curl -D "$T/h" -H 'Content-Type: application/json; charset=UTF-8' \
	    -H 'X-Upload-Content-Type: application/octet-stream' \
	    ${2:+-H "X-Upload-Content-Length: $2"} \
	    --data-binary "$(bq_load_conf "$1" "$1" "$F")" \
	    "$BQ_URL/upload/bigquery/v2/projects/proj/jobs?uploadType=resumable"
	tr -d '\r' < "$T/h" | sed -n 's/^[Ll]ocation: //p' > "$T/loc"
}
piece() {	# piece OFFSET LENGTH: bytes of the data into $T/chunk
	tail -c +$(($1 + 1)) "$T/data.ndjson" | head -c "$2" > "$T/chunk"
}
put() {		# put CONTENT-RANGE [FILE]: one PUT to the session URI
	curl -sS -D "$T/h" -X PUT -w '\n%{http_code}\n' \
	    -H "Content-Range: $1" --data-binary "@${2:-$T/chunk}" \
	    "$(cat "$T/loc")"
}
range() { tr -d '\r' < "$T/h" | sed -n 's/^[Rr]ange: //p'; }
: > "$T/none"

start r1 "$TOTAL" > "$T/r"
is "$(code_of < "$T/r") $(body_of < "$T/r" | tr -d '\n' | wc -c)" "200 0" \
    "initiating answers 200 with an empty body"
grep -q "^$BQ_URL/upload/bigquery/v2/projects/proj/jobs?uploadType=resumable&upload_id=" "$T/loc"
ok $? "and the session URI in Location"

piece 0 $K
is "$(put "bytes 0-$((K - 1))/$TOTAL" | code_of) $(range)" \
    "308 bytes=0-$((K - 1))" "a first 256 KiB chunk: 308 with Range"
is "$(put "bytes 0-$((K - 1))/$TOTAL" | code_of) $(range)" \
    "308 bytes=0-$((K - 1))" "sending it again changes nothing"
is "$(put "bytes */$TOTAL" "$T/none" | code_of) $(range)" \
    "308 bytes=0-$((K - 1))" "a status probe (bytes */TOTAL) tells the offset"
piece $K 300000
is "$(put "bytes $K-$((K + 300000 - 1))/*" | code_of) $(range)" \
    "308 bytes=0-$((2 * K - 1))" \
    "a chunk that is no multiple of 256 KiB: only whole 256 KiB are kept"
piece $((3 * K)) 1000
is "$(put "bytes $((3 * K))-$((3 * K + 999))/$TOTAL" | code_of)" 400 \
    "a chunk past the persisted offset (a gap) is 400"
piece $((2 * K)) 10
is "$(put "bytes $((2 * K))-$((2 * K + 19))/$TOTAL" | code_of)" 400 \
    "a Content-Range that does not match the body is 400"
is "$(put 'bytes */*' "$T/none" | code_of) $(range)" \
    "308 bytes=0-$((2 * K - 1))" "a probe with bytes */* works too"
piece $((2 * K)) $((TOTAL - 2 * K))
put "bytes $((2 * K))-$((TOTAL - 1))/$TOTAL" > "$T/r"
is "$(code_of < "$T/r") $(body_of < "$T/r" | jq -r '.jobReference.jobId + " " + .status.state + " " + .statistics.load.outputRows')" \
    "200 r1 DONE 9000" "the last chunk: 200 with the Job"
bq_rows r1 > "$T/got"
files_eq "$T/got" "$T/data.ndjson" "the table holds exactly the uploaded rows"
put "bytes */$TOTAL" "$T/none" > "$T/r"
is "$(code_of < "$T/r") $(body_of < "$T/r" | jq -r .jobReference.jobId)" \
    "200 r1" "a probe after the end answers the Job again (lost reply)"
is "$(start r1 | code_of)" 409 "a new session for an existing job id is 409"

# Whole upload in one PUT without Content-Range; no token on the PUT
# (the session URI is the credential).
start r2 > /dev/null
curl -sS -X PUT -w '\n%{http_code}\n' --data-binary @"$T/data.ndjson" \
    "$(cat "$T/loc")" > "$T/r"
is "$(code_of < "$T/r") $(body_of < "$T/r" | jq -r .statistics.load.outputRows)" \
    "200 9000" "a single PUT with the whole data works"
curl -sS -o /dev/null -w '%{http_code}\n' -X PUT -H 'Content-Range: bytes */1' \
    "$BQ_URL/upload/bigquery/v2/projects/proj/jobs?uploadType=resumable&upload_id=nosuch" > "$T/r"
is "$(cat "$T/r")" 404 "an unknown upload_id is 404"

# The server may keep less than it was sent: the client must trust Range.
start r3 "$TOTAL" > /dev/null
curl -sS -o /dev/null -H 'Content-Type: application/json' -d '{"next":["short"]}' \
    "$BQ_URL/_fault"
piece 0 $((2 * K))
is "$(put "bytes 0-$((2 * K - 1))/$TOTAL" | code_of) $(range)" \
    "308 bytes=0-$((K - 1))" "a 'short' fault keeps one chunk of two"

# A session outlives a restart of the server.
stop_bg "$BQ_PID"
bq_start "$T/st" --job-polls 0
# (the new server listens on another port; the session id is the same)
sed -i "s/127\.0\.0\.1:[0-9]*/127.0.0.1:$BQ_PORT/" "$T/loc"
is "$(put "bytes */$TOTAL" "$T/none" | code_of) $(range)" \
    "308 bytes=0-$((K - 1))" "after a restart the session still knows its offset"
piece $K $((TOTAL - K))
is "$(put "bytes $K-$((TOTAL - 1))/$TOTAL" | code_of)" 200 \
    "and finishes the upload"
bq_rows r3 > "$T/got"
files_eq "$T/got" "$T/data.ndjson" "with every row once"

# gzip'd data through a resumable session with an unknown total.
gzip -c "$T/data.ndjson" > "$T/data.gz"
GZ=$(wc -c < "$T/data.gz")
start r4 > /dev/null
cp "$T/data.gz" "$T/chunk"
is "$(put "bytes 0-$((GZ - 1))/$GZ" | code_of)" 200 \
    "gzip'd data in one final chunk"
files_eq "$(bq_rows r4 > "$T/got4"; echo "$T/got4")" "$T/data.ndjson" \
    "loads the same rows"

done_testing

#!/bin/sh
# The fake BigQuery server as an HTTP/1.1 server: keep-alive, chunked
# bodies, Expect: 100-continue, concurrent loads, and bad input that must
# neither hang it nor kill it.
. tests/lib.sh
. tests/fidelity/bq/lib-bq.sh

bq_ready 0
F='[{"name":"n","type":"INT64"}]'
A="$BQ_URL/bigquery/v2/projects/proj"

curl -sv -o "$T/o1" -o "$T/o2" -o "$T/o3" -H "Authorization: Bearer $BQ_TOKEN" \
    "$A/datasets/ds" "$A/datasets/nosuch" "$A/datasets/ds" 2> "$T/v"
is "$(grep -c 'Re-using existing connection' "$T/v")" 2 \
    "three requests share one connection, a 404 in between"
curl -sv -o "$T/o1" -H "Authorization: Bearer $BQ_TOKEN" \
    -H 'Content-Type: application/json' --data-binary '{' "$A/jobs" \
    --next -o "$T/o2" -H "Authorization: Bearer $BQ_TOKEN" "$A/datasets/ds" \
    2> "$T/v"
grep -q 'Re-using existing connection' "$T/v"
ok $? "the connection survives a 400 on a request with a body"
grep -c '^< Content-Length:' "$T/v" > "$T/n"
is "$(cat "$T/n")" 2 "every answer has a Content-Length"

awk 'BEGIN { for (i = 0; i < 120000; i++) printf "{\"n\":%d}\n", i }' > "$T/big"
bq_multipart "$(bq_load_conf c1 chunked "$F")" "$T/big" "$T/mp"
curl -sS -H "Authorization: Bearer $BQ_TOKEN" -H 'Transfer-Encoding: chunked' \
    -H "Content-Type: multipart/related; boundary=$BQ_BOUNDARY" \
    --data-binary @"$T/mp" -v \
    "$BQ_URL/upload/bigquery/v2/projects/proj/jobs?uploadType=multipart" \
    2> "$T/v" > "$T/r"
is "$(jq -r .statistics.load.outputRows "$T/r")" 120000 \
    "a chunked request body ($(wc -c < "$T/mp") bytes) is read whole"
grep -q '^< HTTP/1.1 100 Continue' "$T/v"
ok $? "Expect: 100-continue is answered"

# Four loads at once into one table: each commits whole, none is lost.
for i in 1 2 3 4; do
	awk -v i="$i" 'BEGIN { for (k = 0; k < 5000; k++) printf "{\"n\":%d}\n", i * 100000 + k }' > "$T/p$i"
	bq_multipart "$(bq_load_conf "par$i" par "$F" '{"writeDisposition":"WRITE_APPEND"}')" \
	    "$T/p$i" "$T/mp$i"
	curl -sS -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $BQ_TOKEN" \
	    -H "Content-Type: multipart/related; boundary=$BQ_BOUNDARY" \
	    --data-binary @"$T/mp$i" \
	    "$BQ_URL/upload/bigquery/v2/projects/proj/jobs?uploadType=multipart" \
	    > "$T/c$i" &
	pids="${pids-} $!"
done
for p in $pids; do
	wait "$p"
done
is "$(cat "$T/c1" "$T/c2" "$T/c3" "$T/c4" | sort -u)" 200 "four parallel loads: 200"
bq_rows par | sort > "$T/got"
sort "$T/p1" "$T/p2" "$T/p3" "$T/p4" > "$T/want"
files_eq "$T/got" "$T/want" "the table holds the four batches, each once"

# Bad input.
rawall() { printf '%b' "$1" | timeout 10 nc -q 2 127.0.0.1 "$BQ_PORT"; }
raw() { rawall "$1" | head -n 1 | tr -d '\r'; }
rawall 'GET / HTTPX/1.1\r\n\r\n' | grep -q 'Error code: 400'
ok $? "a garbage request line gets 400"
head -c 4000 /dev/urandom > "$T/noise"
timeout 10 nc -q 2 127.0.0.1 "$BQ_PORT" < "$T/noise" > /dev/null
ok $? "random bytes are answered or dropped, not hung on"
is "$(raw 'GET /bigquery/v2/projects/proj/datasets HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n')" \
    "HTTP/1.1 400 Bad Request" "a negative Content-Length is 400"
s=$(date +%s)
raw 'POST /bigquery/v2/projects/proj/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc' > /dev/null
is "$(( $(date +%s) - s < 8 ))" 1 "a body shorter than its Content-Length: dropped when the client goes"
is "$(bq_api GET '/datasets/..%2F..%2Fkeys' | code_of)" 400 \
    "a dataset id with ../ is refused"
is "$(bq_api GET '/datasets/ds/tables/a.b' | code_of)" 400 \
    "a table id with a dot is refused"
deep=$(awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["; }')
printf '%s\n' "$deep" > "$T/deep"
bq_upload "$(bq_load_conf deep1 deep "$F")" "$T/deep" | body_of > "$T/r"
is "$(jq -r .status.errorResult.reason "$T/r")" invalid \
    "a row nested 100000 deep fails the job, not the server"
printf -- '--%s\r\nContent-Type: application/json\r\n\r\n{}\r\n--%s\r\n\r\nabc' \
    "$BQ_BOUNDARY" "$BQ_BOUNDARY" > "$T/trunc"
is "$(bq_curl -H "Content-Type: multipart/related; boundary=$BQ_BOUNDARY" \
    --data-binary @"$T/trunc" \
    "$BQ_URL/upload/bigquery/v2/projects/proj/jobs?uploadType=multipart" |
    code_of)" 400 "a multipart body without its closing boundary is 400"
is "$(bq_curl -H 'Content-Type: text/plain' --data-binary 'x' \
    "$BQ_URL/upload/bigquery/v2/projects/proj/jobs?uploadType=multipart" |
    code_of)" 400 "a multipart upload that is not multipart is 400"
is "$(bq_curl -X PUT "$BQ_URL/upload/bigquery/v2/projects/proj/jobs?uploadType=resumable" |
    code_of)" 404 "a PUT without upload_id is 404"
kill -HUP "$BQ_PID"
is "$(bq_api GET /datasets/ds | code_of)" 200 "after all that the server still answers"
! grep -q Traceback "$T/bq.err"
ok $? "and logged no traceback"

done_testing

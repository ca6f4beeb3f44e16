#!/bin/sh
# Fault injection of the fake BigQuery server: seeded and repeatable,
# changeable at run time, limited to paths and methods, and never
# corrupting state (a reset after a commit leaves the job in place).
. tests/lib.sh
. tests/fidelity/bq/lib-bq.sh

F='[{"name":"n","type":"INT64"}]'
fault() { curl -sS -H 'Content-Type: application/json' -d "$1" "$BQ_URL/_fault"; }
codes() {	# codes N PATH: status codes of N GETs, on one line
	_i=0
	while [ "$_i" -lt "$1" ]; do
		curl -sS -o /dev/null -w '%{http_code} ' \
		    -H "Authorization: Bearer $BQ_TOKEN" "$BQ_URL$2" 2>/dev/null
		_i=$((_i + 1))
	done
}
session() {	# session STATE ARGS...: server, key, token, dataset
	bq_start "$@"
	bq_key "$1" "$T/key.json"
	BQ_TOKEN=$(bq_token "$T/key.json")
	bq_dataset ds EU
}

# -- the same seed gives the same faults --------------------------------
# (GETs only, so that the token and the dataset are set up unharmed)
session "$T/s1" --seed 3
fault '{"spec":"5xx=0.3,429=0.2,method=GET","seed":7}' > /dev/null
seq1=$(codes 30 /bigquery/v2/projects/proj/datasets)
stop_bg "$BQ_PID"
session "$T/s2" --faults '5xx=0.3,429=0.2,method=GET' --seed 7
seq2=$(codes 30 /bigquery/v2/projects/proj/datasets)
is "$seq2" "$seq1" "--seed 7 twice gives the same sequence of answers"
diag "seed 7: $seq1"
case $seq1 in *200*) r=0 ;; *) r=1 ;; esac
ok $r "some requests pass"
case $seq1 in *500*|*503*) r=0 ;; *) r=1 ;; esac
ok $r "some get a 5xx"
case $seq1 in *429*) r=0 ;; *) r=1 ;; esac
ok $r "some get a 429"
fault '{"seed":8}' > /dev/null
seq3=$(codes 30 /bigquery/v2/projects/proj/datasets)
isnt "$seq3" "$seq1" "another seed (set at run time) gives another sequence"
n=$(jq -r 'select(.fault == "429") | .status' "$T/s2/requests.log" | sort -u)
is "$n" 429 "the request log names each injected fault"
fault '{"spec":""}' > /dev/null

# -- the shape of the errors ------------------------------------------
fault '{"next":["503"]}' > /dev/null
bq_api GET /datasets > "$T/r"
is "$(code_of < "$T/r") $(body_of < "$T/r" | jq -r '.error.errors[0].reason')" \
    "503 backendError" "a 5xx fault is Google's JSON with backendError"
fault '{"next":["429"]}' > /dev/null
bq_curl -D "$T/h" "$BQ_URL/bigquery/v2/projects/proj/datasets" > "$T/r"
is "$(code_of < "$T/r") $(body_of < "$T/r" | jq -r '.error.errors[0].reason')" \
    "429 rateLimitExceeded" "a 429 fault says rateLimitExceeded"
grep -qi '^Retry-After:' "$T/h"
ok $? "with Retry-After"
fault '{"next":["403rate", "quota", "502"]}' > /dev/null
is "$(bq_api GET /datasets | body_of | jq -r '.error.code, .error.errors[0].reason' | tr '\n' ' ')" \
    "403 rateLimitExceeded " "403rate: BigQuery's 403 rateLimitExceeded"
is "$(bq_api GET /datasets | body_of | jq -r '.error.errors[0].reason')" \
    quotaExceeded "quota: 403 quotaExceeded"
bq_api GET /datasets > "$T/r"
is "$(code_of < "$T/r")" 502 "502: a proxy's error"
! body_of < "$T/r" | jq . > /dev/null 2>&1
ok $? "whose body is not JSON"

# -- filters -----------------------------------------------------------
fault '{"spec":"503=1,path=/upload,method=POST"}' > /dev/null
is "$(bq_api GET /datasets | code_of)" 200 "path/method filters spare other requests"
printf '{"n":1}\n' > "$T/one"
is "$(bq_upload "$(bq_load_conf f1 t "$F")" "$T/one" | code_of)" 503 \
    "and hit the chosen ones"
is "$(curl -sS -o /dev/null -w '%{http_code}' "$BQ_URL/_test/jobs")" 200 \
    "test hooks are never faulted"
fault '{"spec":"500=1,after=2,count=1"}' > /dev/null
is "$(codes 5 /bigquery/v2/projects/proj/datasets)" "200 200 500 200 200 " \
    "after=2,count=1: the third request and only it"
fault '{"spec":"5xx=2"}' | jq -r .error.message > "$T/r"
grep -q 'probability out of range' "$T/r"
ok $? "a bad spec is refused with a message"
fault '{"spec":""}' > /dev/null

# -- resets and slowness -------------------------------------------------
fault '{"next":["resetbefore"]}' > /dev/null
bq_api POST /datasets '{"datasetReference":{"datasetId":"lost"}}' > /dev/null 2>&1
rc=$?
[ "$rc" -eq 52 ] || [ "$rc" -eq 56 ]
ok $? \
    "a reset before the answer: curl sees the connection drop ($rc)"
is "$(bq_api GET /datasets/lost | code_of)" 404 "and the request had no effect"

fault '{"next":["resetafter"]}' > /dev/null
bq_upload "$(bq_load_conf after1 t "$F" '{"writeDisposition":"WRITE_APPEND"}')" \
    "$T/one" > /dev/null 2>&1
rc=$?
[ "$rc" -eq 52 ] || [ "$rc" -eq 56 ] || [ "$rc" -eq 18 ]
ok $? \
    "a reset after the commit: the answer is lost ($rc)"
bq_upload "$(bq_load_conf after1 t "$F" '{"writeDisposition":"WRITE_APPEND"}')" \
    "$T/one" > "$T/r"
is "$(code_of < "$T/r")" 409 "the retry with the same job id gets 409"
bq_wait after1 > /dev/null
is "$(bq_rows t | wc -l) $(curl -sS "$BQ_URL/_test/loads" | jq .after1)" "1 1" \
    "and the batch is in the table once"

fault '{"next":["jobfail"]}' > /dev/null
bq_upload "$(bq_load_conf jf1 t "$F" '{"writeDisposition":"WRITE_APPEND"}')" \
    "$T/one" > /dev/null
bq_wait jf1 > "$T/job"
is "$(jq -r '.status.state + " " + .status.errorResult.reason' "$T/job")" \
    "DONE backendError" "jobfail: the job ends DONE with errorResult backendError"
is "$(bq_rows t | wc -l) $(curl -sS "$BQ_URL/_test/loads" | jq .jf1)" "1 0" \
    "and loads nothing"

fault '{"spec":"slow=0:1","next":["slow"]}' > /dev/null
s=$(date +%s%N)
c=$(bq_api GET /datasets | code_of)
ms=$(( ($(date +%s%N) - s) / 1000000 ))
[ "$c" = 200 ] && [ "$ms" -ge 900 ]
ok $? "slow=P:1 delays by a second (${ms} ms)"
stop_bg "$BQ_PID"

# -- SIGHUP re-reads the faults file ------------------------------------
echo '' > "$T/faults"
session "$T/s3" --faults-file "$T/faults" --seed 1
is "$(codes 3 /bigquery/v2/projects/proj/datasets)" "200 200 200 " "no faults in the file"
echo '500=1,method=GET' > "$T/faults"
kill -HUP "$BQ_PID"
sleep 0.3
is "$(codes 2 /bigquery/v2/projects/proj/datasets)" "500 500 " "SIGHUP: now every request fails"
stop_bg "$BQ_PID"

# -- a client that retries by job id commits every batch exactly once ----
session "$T/s4" --faults '5xx=0.25,429=0.1,reset=0.15,path=/upload/' \
    --seed 42 --job-polls 0
i=0
tries=0
while [ "$i" -lt 10 ]; do
	i=$((i + 1))
	printf '{"n":%d}\n{"n":%d}\n' "$i" "$((i + 100))" > "$T/b$i"
	a=0
	while [ "$a" -lt 30 ]; do
		a=$((a + 1))
		tries=$((tries + 1))
		c=$(bq_upload "$(bq_load_conf "batch_$i" t "$F" \
		    '{"writeDisposition":"WRITE_APPEND"}')" "$T/b$i" 2>/dev/null |
		    code_of)
		[ "$c" = 200 ] || [ "$c" = 409 ] && break
	done
done
diag "10 batches took $tries attempts"
[ "$tries" -gt 10 ]
ok $? "faults really happened on the way"
curl -sS "$BQ_URL/_test/loads" | jq -c '[to_entries[] | select(.key | startswith("batch_")) | .value] | unique' > "$T/r"
is "$(cat "$T/r")" "[1]" "every batch committed exactly once"
bq_rows t | jq -r .n | sort -n > "$T/got"
{ seq 1 10; seq 101 110; } > "$T/want"
files_eq "$T/got" "$T/want" "the table holds every row once"
stop_bg "$BQ_PID"

done_testing

#!/bin/sh
# upload-faults: with the server failing a third of the requests (5xx,
# 429, connection resets before and after it acted; seeded), failing
# jobs, and a retry budget that runs out, the table still ends up with
# exactly the batch set's rows and no batch is ever committed twice.
. tests/lib.sh
. tests/upload/lib.sh

plan 27

bq_start --faults "5xx=0.2,429=0.1,reset=0.05" --seed 11
"$UP/make-batches" --rows 120 --batch 10 --seed 5 "$T/a"
upload -t FA -r f1 "$T/a/batches" 2> "$T/err"
is "$?" 0 "multipart loads under 5xx/429/reset faults: exit 0"
table_rows FA > "$T/got"
set_rows "$T/a/batches" > "$T/want"
files_eq "$T/got" "$T/want" "FA holds exactly the batch set's rows"
is "$(double_loads FA)" "" "no batch committed twice"
injected=$(bq_get /_test/stats | "$PY" -c 'import json, sys
print(json.load(sys.stdin)["faults"]["injected"])')
test "$injected" -ge 10
ok $? "the server did inject faults ($injected)"

# large batches go up in 256 KiB chunks; faults hit chunks and probes
"$UP/make-batches" --rows 900 --batch 300 --pad 1500 --seed 6 "$T/r"
BQ_UPLOAD_MULTIPART_MAX=0 BQ_UPLOAD_CHUNK_BYTES=262144 \
    upload -t FR -r f2 "$T/r/batches" 2> "$T/err"
is "$?" 0 "resumable chunked loads under faults: exit 0"
table_rows FR > "$T/got"
set_rows "$T/r/batches" > "$T/want"
files_eq "$T/got" "$T/want" "FR holds exactly the batch set's rows"
is "$(double_loads FR)" "" "no chunked batch committed twice"
"$PY" -c 'import json, sys
puts = [r for r in map(json.loads, open(sys.argv[1]))
        if r["method"] == "PUT" and "upload_id" in r["query"]]
chunks = [r for r in puts if r["bytes_in"] == 262144 and r["status"] == 308]
probes = [r for r in puts if r["bytes_in"] == 0 and r["status"] == 308]
sys.exit(not (chunks and probes))' "$T/bq/requests.log"
ok $? "256 KiB chunks were answered 308, and status probes were made"

# jobs that end in backendError are sent again under a new job id
bq_fault "jobfail=0.3" 12
"$UP/make-batches" --rows 80 --batch 10 --seed 7 "$T/j"
upload -t FJ -r f3 "$T/j/batches" 2> "$T/err"
is "$?" 0 "failing jobs: exit 0"
table_rows FJ > "$T/got"
set_rows "$T/j/batches" > "$T/want"
files_eq "$T/got" "$T/want" "FJ holds exactly the batch set's rows"
is "$(double_loads FJ)" "" "no batch committed twice"
bq_get /_test/jobs | "$PY" -c 'import json, sys
jobs = [j for j in json.load(sys.stdin) if "_FJ_" in j["jobId"]]
failed = [j for j in jobs if j["error"]]
again = [j for j in jobs if not j["jobId"].endswith("_1")]
sys.exit(not (failed and again))'
ok $? "a failed job was retried under a new id"

# BigQuery's own 403 rateLimitExceeded, a proxy's HTML 502, answers
# lost after the server acted
bq_fault "403rate=0.15,502=0.1,resetafter=0.1" 14
"$UP/make-batches" --rows 60 --batch 10 --seed 9 "$T/p"
upload -t FP -r f5 "$T/p/batches" 2> "$T/err"
is "$?" 0 "403 rateLimitExceeded, HTML 502, lost answers: exit 0"
table_rows FP > "$T/got"
set_rows "$T/p/batches" > "$T/want"
files_eq "$T/got" "$T/want" "FP holds exactly the batch set's rows"
is "$(double_loads FP)" "" "no batch committed twice"

# a server that keeps less of a chunk than it was sent
bq_fault "short=0.4,5xx=0.1,path=/upload/" 15
"$UP/make-batches" --rows 600 --batch 300 --pad 2500 --seed 10 "$T/s"
BQ_UPLOAD_MULTIPART_MAX=0 BQ_UPLOAD_CHUNK_BYTES=524288 \
    upload -t FS -r f6 "$T/s/batches" 2> "$T/err"
is "$?" 0 "chunks kept short: exit 0"
table_rows FS > "$T/got"
set_rows "$T/s/batches" > "$T/want"
is "$(cksum < "$T/got")" "$(cksum < "$T/want")" \
    "FS holds exactly the batch set's rows"
grep -c '"fault": "short"' "$T/bq/requests.log" > "$T/n"
test "$(cat "$T/n")" -ge 1
ok $? "the server did keep chunks short ($(cat "$T/n") times)"

# answers that do not come: the stall timeout, then a retry
bq_fault "slow=0.2:3" 16
"$UP/make-batches" --rows 30 --batch 10 --seed 11 "$T/t"
BQ_UPLOAD_STALL_TIMEOUT=1 upload -v -t FT -r f7 "$T/t/batches" 2> "$T/err"
is "$?" 0 "stalled answers: exit 0"
table_rows FT > "$T/got"
set_rows "$T/t/batches" > "$T/want"
files_eq "$T/got" "$T/want" "FT holds exactly the batch set's rows"
grep -q 'retry_ms=.*Operation too slow' "$T/err"
ok $? "the stalls were timed out and logged"

# quotaExceeded is not worth a quick retry: one request, exit 75
bq_fault "quota=1,path=/upload/" 17
"$UP/make-batches" --rows 10 --batch 10 --seed 12 "$T/q"
n0=$(grep -c '"fault": "quota"' "$T/bq/requests.log")
upload -t FQ -r f8 "$T/q/batches" 2> "$T/err"
is "$?" 75 "quotaExceeded: exit 75"
is "$(( $(grep -c '"fault": "quota"' "$T/bq/requests.log") - n0 ))" 1 \
    "after one request"

# a spent retry budget is exit 75, and a later run finishes the job
bq_fault "5xx=1" 13
"$UP/make-batches" --rows 40 --batch 10 --seed 8 "$T/x"
BQ_UPLOAD_RETRY_ATTEMPTS=3 BQ_UPLOAD_RETRY_BUDGET_MS=200 \
    upload -t FX -r f4 "$T/x/batches" 2> "$T/err"
is "$?" 75 "the server failing every request: exit 75"
grep -q 'giving up after' "$T/err"
ok $? "the message says it gave up"
bq_fault "" 0
upload -t FX -r f4 "$T/x/batches" 2> "$T/err"
is "$?" 0 "the rerun completes"
table_rows FX > "$T/got"
set_rows "$T/x/batches" > "$T/want"
files_eq "$T/got" "$T/want" "FX holds exactly the batch set's rows"

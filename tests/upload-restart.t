#!/bin/sh
# upload-restart: the server goes away in the middle of an upload and
# comes back having forgotten every access token: bq-upload rides out the
# refused connections, renews its token on the 401, and finishes with
# exactly the batch set's rows, none twice.
. tests/lib.sh
. tests/upload/lib.sh

plan 7

bq_start --seed 0 --job-polls 3
"$UP/make-batches" --rows 60 --batch 10 --seed 61 "$T/a"
BQ_UPLOAD_POLL_BASE_MS=300 BQ_UPLOAD_POLL_CAP_MS=300 \
    BQ_UPLOAD_RETRY_CAP_MS=300 BQ_UPLOAD_RETRY_BUDGET_MS=30000 \
    "$BIN/bq-upload" -c "$T/config.json" -v -t FA -r r1 "$T/a/batches" \
    2> "$T/err" &
pid=$!
sleep 2
stop_bg "$BQ_PID"
rm -f "$T/bq/tokens.json"
sleep 1
bq_restart --seed 0 --job-polls 3
wait "$pid"
is "$?" 0 "the upload survives the server's restart"
table_rows FA > "$T/got"
set_rows "$T/a/batches" > "$T/want"
files_eq "$T/got" "$T/want" "FA holds exactly the batch set's rows"
is "$(double_loads FA)" "" "no batch committed twice"
grep -q 'Connection refused\|Couldn.t connect' "$T/err"
ok $? "it met refused connections while the server was down"
grep -c '"status": 401' "$T/bq/requests.log" > "$T/n"
is "$(cat "$T/n")" 1 "the forgotten token was refused once"
issued=$(bq_get /_test/stats | "$PY" -c 'import json, sys
print(json.load(sys.stdin)["tokens_issued"])')
is "$issued" 1 "and renewed once"
table_exists FA__staging
isnt "$?" 0 "no staging table left"

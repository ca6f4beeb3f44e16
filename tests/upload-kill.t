#!/bin/sh
# upload-kill: bq-upload killed with SIGKILL at 20 seeded-random moments
# (during token requests, multipart uploads, resumable chunks, polling,
# the copy, the drop), then run again: every time the table holds
# exactly the batch set's rows and no batch was committed twice.
. tests/lib.sh
. tests/upload/lib.sh

TRIALS=${TRIALS:-20}
plan $((TRIALS * 4 + 8))

bq_start --seed 0
"$UP/make-batches" --rows 40 --batch 10 --seed 21 "$T/small"
"$UP/make-batches" --rows 600 --batch 300 --pad 1500 --seed 22 "$T/big"
set_rows "$T/small/batches" > "$T/small.rows"
set_rows "$T/big/batches" > "$T/big.rows"

delays=$("$PY" -c 'import random
r = random.Random(20261203)
print(" ".join(str(r.randint(0, 1300)) for _ in range(int(__import__("sys").argv[1]))))' "$TRIALS")

k=0
for ms in $delays; do
	k=$((k + 1))
	if [ $((k % 2)) -eq 0 ]; then
		kind=small
		export BQ_UPLOAD_MULTIPART_MAX=5242880
	else
		kind=big
		export BQ_UPLOAD_MULTIPART_MAX=0 BQ_UPLOAD_CHUNK_BYTES=262144
	fi
	dir=$T/trial$k
	cp -r "$T/$kind/batches" "$dir"
	"$BIN/bq-upload" -c "$T/config.json" -q -t K -m "$T/small/schema.json" \
	    -r "k$k" "$dir" 2> /dev/null &
	pid=$!
	sleep "$(awk -v ms="$ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
	kill -9 "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null
	rc=$?
	upload -q -t K -m "$T/small/schema.json" -r "k$k" "$dir" 2> "$T/err"
	rc2=$?
	is "$rc2" 0 "trial $k ($kind, killed after ${ms} ms, status $rc): the rerun completes"
	[ "$rc2" -eq 0 ] || diag "$(cat "$T/err")"
	table_rows K > "$T/got"
	is "$(cksum < "$T/got")" "$(cksum < "$T/$kind.rows")" \
	    "trial $k: K holds exactly the batch set's rows"
	is "$(double_loads K "k$k")" "" "trial $k: no batch committed twice"
	table_exists K__staging
	isnt "$?" 0 "trial $k: no staging table left"
done

# two kills placed exactly: while a chunk of a resumable upload is in
# flight (the server holds its answer), and while a job that was already
# created is being polled; the reruns must pick up the session and read
# the job back instead of sending its data again
await() {	# await COMMAND...: up to 10 s for COMMAND to succeed
	_n=0
	while ! "$@" 2> /dev/null && [ "$_n" -lt 100 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
}
count() {	# count PYTHON-EXPR: requests.log records r that match
	"$PY" -c 'import json, sys
n = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    n += eval(sys.argv[2], {"r": r})
print(n)' "$T/bq/requests.log" "$1"
}

export BQ_UPLOAD_MULTIPART_MAX=0 BQ_UPLOAD_CHUNK_BYTES=262144
bq_fault "slow=1:4,method=PUT,count=1" 0
probes0=$(count 'r["method"] == "PUT" and r["bytes_in"] == 0')
cp -r "$T/big/batches" "$T/sess"
"$BIN/bq-upload" -c "$T/config.json" -q -t K -m "$T/small/schema.json" \
    -r sess "$T/sess" 2> /dev/null &
pid=$!
await grep -q '"session"' "$T/sess/upload/journal"
sleep 1
kill -9 "$pid" 2> /dev/null
wait "$pid" 2> /dev/null
bq_fault "" 0
upload -q -t K -m "$T/small/schema.json" -r sess "$T/sess" 2> "$T/err"
is "$?" 0 "killed during a chunk: the rerun completes"
table_rows K > "$T/got"
is "$(cksum < "$T/got")" "$(cksum < "$T/big.rows")" \
    "K holds exactly the batch set's rows"
is "$(double_loads K sess)" "" "no batch committed twice"
probes=$(count 'r["method"] == "PUT" and r["bytes_in"] == 0')
test "$probes" -gt "$probes0"
ok $? "the rerun asked the session how much it had"

export BQ_UPLOAD_MULTIPART_MAX=5242880
bq_fault "slow=1:4,method=GET,path=/jobs/,count=1" 0
dups0=$(count 'r["status"] == 409')
cp -r "$T/small/batches" "$T/dup"
"$BIN/bq-upload" -c "$T/config.json" -q -t K -m "$T/small/schema.json" \
    -r dup "$T/dup" 2> /dev/null &
pid=$!
await grep -q '"batch":"00001"' "$T/dup/upload/journal"
sleep 1
kill -9 "$pid" 2> /dev/null
wait "$pid" 2> /dev/null
bq_fault "" 0
upload -q -t K -m "$T/small/schema.json" -r dup "$T/dup" 2> "$T/err"
is "$?" 0 "killed while polling a job: the rerun completes"
table_rows K > "$T/got"
files_eq "$T/got" "$T/small.rows" "K holds exactly the batch set's rows"
is "$(double_loads K dup)" "" "no batch committed twice"
dups=$(count 'r["status"] == 409')
test "$dups" -gt "$dups0"
ok $? "the rerun found its job there (409) and read it back"

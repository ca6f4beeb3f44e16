#!/bin/sh
# upload-kill: bq-upload killed with SIGKILL at 20 seeded-random moments
# (during token requests, multipart uploads, resumable chunks, polling,
# the copy, the drop), then run again: every time the table holds
# exactly the batch set's rows and no batch was committed twice.
. tests/lib.sh
. tests/upload/lib.sh

TRIALS=${TRIALS:-20}
plan $((TRIALS * 4 + 2))

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

# what the reruns met: jobs that already existed (409, read back with
# jobs.get) and resumable sessions picked up where they stopped (status
# probes: this server injected no faults, so nothing else sends them)
"$PY" -c 'import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
dup = [r for r in recs if r["status"] == 409]
probe = [r for r in recs if r["method"] == "PUT" and r["bytes_in"] == 0]
print(len(dup), len(probe))' "$T/bq/requests.log" > "$T/seen"
read -r dups probes < "$T/seen"
test "$dups" -ge 1
ok $? "some reruns found their job already there ($dups times 409)"
test "$probes" -ge 1
ok $? "some reruns resumed an upload session ($probes status probes)"

#!/bin/sh
# sync-lock.t: only one run at a time.  A second run-sync.sh started
# while one runs exits 1 at once, naming the running one's pid, and
# changes nothing in the spool or in BigQuery.
. tests/lib.sh
. tests/sync-lib.sh

sync_setup 1 50 || { echo "Bail out! servers did not start"; exit 1; }

# spool_state: every path with its size, mode and modification time,
# and the contents of every file
spool_state() {
	find "$SPOOL" -printf '%p %s %m %T@\n' | sort
	find "$SPOOL" -type f -exec sha256sum {} + | sort
}

# while a real run is under way
"$RS" -c "$CFG" > /dev/null 2> "$T/err1" &
first=$!
i=0
while [ "$i" -lt 200 ] && ! ls "$SPOOL"/*/run.json > /dev/null 2>&1; do
	sleep 0.05
	i=$((i + 1))
done
start=$(date +%s)
sync_run > "$T/out" 2> "$T/err"
rc=$?
took=$(($(date +%s) - start))
running=$(kill -0 "$first" 2>/dev/null && echo yes)
is "$running" yes "the first run was still going"
is "$rc" 1 "a second start exits 1"
is "$(cat "$T/err")" \
    "run-sync.sh: another run is in progress (pid $first)" \
    "and says so, with the first run's pid"
ok "$([ "$took" -le 2 ]; echo $?)" "at once (${took}s)"
wait "$first"
is "$?" 0 "the first run is not disturbed"
is "$(sentry_events)" 0 "a busy lock is not a failed run for Sentry"

# with the lock held and a finished spool: nothing changes at all
sleep 1
commits_before=$(curl -s "$BQ_URL/_test/commits" | wc -l)
( exec 8>> "$SPOOL/.lock"; flock 8; echo 4242 > "$SPOOL/.lock"
  exec sleep 10 ) &
holder=$!
sleep 0.5
spool_state > "$T/before"
sync_run > "$T/out" 2> "$T/err"
is "$?" 1 "with the lock held a start exits 1"
is "$(cat "$T/err")" "run-sync.sh: another run is in progress (pid 4242)" \
    "naming the pid in the lock file"
sync_run -t PH > /dev/null 2>&1
is "$?" 1 "so does a start for one table"
spool_state > "$T/after"
files_eq "$T/after" "$T/before" "the spool is untouched"
is "$(curl -s "$BQ_URL/_test/commits" | wc -l)" "$commits_before" \
    "BigQuery is untouched"
grep -q "WARNING run-sync.sh\[[0-9]*\] step=lock status=busy pid=4242" \
    "$SYNC_LOG"
ok $? "the refused start is logged"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# the lock is free again once its holder is gone
sync_run > /dev/null 2> "$T/err"
is "$?" 0 "after the holder ends, a run goes ahead"
done_testing

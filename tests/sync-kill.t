#!/bin/sh
# sync-kill.t: SIGKILL the driver and everything it started at 30 seeded
# random moments across a run (companies lookup, rewrite, extract, batch,
# upload, bookkeeping); each time the next run-sync.sh resumes and ends
# with every table holding exactly its query's rows, none twice.
# shellcheck disable=SC2086 # $tables is a list of names
. tests/lib.sh
# two of the queries keep each round short; a small batch size gives
# the kills many batches to land among
SQL_DIR=$T/sql
. tests/sync-lib.sh
KILLS=${SYNC_KILLS:-30}
SEED=${SYNC_SEED:-20261203}

mkdir -p "$SQL_DIR"
cp "$TOP/sql/PH.sql" "$TOP/sql/SKPP.sql" "$SQL_DIR/"
sync_setup 1 20 || { echo "Bail out! servers did not start"; exit 1; }
tables=$(sync_tables)

# an uninterrupted run first: how long a run takes
start=$(date +%s.%N)
sync_run 2> "$T/err"
is "$?" 0 "an uninterrupted run exits 0"
span=$(echo "$start $(date +%s.%N)" | awk '{ printf "%.2f", $2 - $1 }')
diag "one run takes ${span}s"

awk -v seed="$SEED" -v n="$KILLS" -v span="$span" 'BEGIN {
	srand(seed)
	for (i = 0; i < n; i++) printf "%.2f\n", 0.05 + rand() * span
}' > "$T/moments"

landed=0
steps=
i=0
while read -r at; do
	i=$((i + 1))
	setsid "$RS" -c "$CFG" > /dev/null 2>&1 &
	pid=$!
	sleep "$at"
	if kill -KILL "-$pid" 2>/dev/null; then
		landed=$((landed + 1))
		st=$(grep "^.* run-sync.sh\[$pid\] " "$SYNC_LOG" | tail -n 1 |
		    sed -n 's/.* table=\([A-Za-z]*\) step=\([a-z]*\).*/\1:\2/p')
		steps="$steps ${st:-start}"
	fi
	wait "$pid" 2>/dev/null
	sync_run > /dev/null 2> "$T/err"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		ok 1 "kill $i at ${at}s: the next run exits 0"
		diag "$(head -c 1500 "$T/err")"
		continue
	fi
	run=$(last_run)
	if sync_compare "$SPOOL/$run" $tables > "$T/cmp"; then
		ok 0 "kill $i at ${at}s: resumed, every table exact"
	else
		ok 1 "kill $i at ${at}s: resumed, every table exact"
		sed 's/^/# /' "$T/cmp"
	fi
done < "$T/moments"

diag "kills that hit a running driver: $landed;" \
    "last step logged before each:$steps"
ok "$([ "$landed" -ge $((KILLS / 2)) ]; echo $?)" \
    "at least half the kills hit a run in progress ($landed of $KILLS)"
is "$(find "$SPOOL" -name '.*.tmp.*' | head -n 3)" "" \
    "no temporary file is left after the last resume"
done_testing

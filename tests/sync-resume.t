#!/bin/sh
# shellcheck disable=SC2086 # $tables is a list of names
# sync-resume.t: -n prints the plan and touches nothing; a run whose
# uploads must wait (bq-upload exit 75) stays unfinished, is resumed by
# -r or by the next start, skips what is done, removes temporary
# leftovers; old runs are pruned; a bad -r is refused.
. tests/lib.sh
. tests/sync-lib.sh

sync_setup 1 100 || { echo "Bail out! servers did not start"; exit 1; }
tables=$(sync_tables)
ntables=$(echo "$tables" | wc -l)

# a bq-upload that fails "for now" while $T/fail-upload exists (its
# --check before a run is left alone)
mkdir -p "$T/wrap"
cat > "$T/wrap/bq-upload" <<WRAP
#!/bin/sh
if [ -e "$T/fail-upload" ] && [ "\$3" != --check ]; then
	echo "bq-upload: injected: backendError, try later" >&2
	exit 75
fi
exec "$BIN/bq-upload" "\$@"
WRAP
chmod +x "$T/wrap/bq-upload"
POHODA_SYNC_BIN=$T/wrap:$BIN
export POHODA_SYNC_BIN

run_state_of() { jq -r .state "$SPOOL/$1/run.json"; }

config_set() {	# config_set JQ-FILTER
	jq "$1" "$CFG" > "$T/cfg.new" && mv "$T/cfg.new" "$CFG" &&
	    chmod 600 "$CFG"
}

# the plan of a first run touches nothing
out=$(sync_run -n)
is "$?" 0 "-n exits 0"
case $out in "run: new"*) ok 0 "-n: a new run" ;;
*) ok 1 "-n: a new run"; diag "$out" ;; esac
is "$(printf '%s\n' "$out" |
    grep -c ': rewrite run, extract run, batch run, upload run$')" \
    "$ntables" "-n: every step of every table would run"
ok "$([ ! -e "$SPOOL" ]; echo $?)" "-n created no spool"

# uploads fail for now: the run stays unfinished
touch "$T/fail-upload"
sync_run 2> "$T/err"
is "$?" 1 "a run whose uploads must wait exits 1"
run=$(last_run)
rd=$SPOOL/$run
is "$(jq -r .state "$rd/run.json")" failed "run.json: failed, not done"
is "$(jq -r '[.tables[].status] | unique | join(",")' "$rd/run.json")" \
    retry "run.json: every table waits for a retry"
is "$(sentry_events)" 1 "one Sentry event for the failed run"

out=$(sync_run -n)
case $out in "run: $run (resume, failed)"*) ok 0 "-n: resume that run" ;;
*) ok 1 "-n: resume that run"; diag "$out" ;; esac
is "$(printf '%s\n' "$out" |
    grep -c ': rewrite skip, extract skip, batch check, upload run$')" \
    "$ntables" "-n: only the uploads would run"

# -r resumes even with automatic resuming off
config_set '.resume_hours = 0'
rm -f "$T/fail-upload"
: > "$rd/PH/.data.ndjson.gz.tmp.AbCdEf"
sync_run -r 20990101T000000Z 2> "$T/err"
is "$?" 1 "-r of a run that does not exist exits 1"
grep -q "^run-sync.sh: .*20990101T000000Z: no such run" "$T/err"
ok $? "and says so"
sync_run -r "$run" 2> "$T/err"
is "$?" 0 "-r RUN resumes it and exits 0"
is "$(last_run)" "$run" "no new run was made"
is "$(jq -r .state "$rd/run.json")" "done" "run.json: done"
ok "$([ ! -e "$rd/PH/.data.ndjson.gz.tmp.AbCdEf" ]; echo $?)" \
    "a leftover temporary file is removed on resume"
is "$(grep -c "pohoda-extract\[[0-9]*\] table=PH rows=" "$SYNC_LOG")" 1 \
    "the resume did not extract again"
sync_compare "$rd" $tables > "$T/cmp"
ok $? "every table exact after the resume"
sed 's/^/# /' "$T/cmp"

# the next start resumes an unfinished run by itself (resume_hours 12)
config_set '.resume_hours = 12'
sleep 1
touch "$T/fail-upload"
sync_run -t PH 2> /dev/null
is "$?" 1 "a PH-only run fails for now"
run2=$(last_run)
isnt "$run2" "$run" "it is a new run"
rm -f "$T/fail-upload"
sleep 1
sync_run 2> "$T/err"
is "$?" 0 "the next start succeeds"
is "$(last_run)" "$run2" "by resuming the unfinished run"
is "$(jq -r '.tables | keys | join(" ")' "$SPOOL/$run2/run.json")" \
    "$(echo "$tables" | tr '\n' ' ' | sed 's/ $//')" \
    "and copying every query, not only the first one's"
sync_compare "$SPOOL/$run2" $tables > "$T/cmp"
ok $? "every table exact after that"

# -N starts a new run even though a young unfinished one is there
touch "$T/fail-upload"
sync_run -t PH 2> /dev/null
is "$?" 1 "a PH-only run fails for now again"
run3=$(last_run)
rm -f "$T/fail-upload"
sleep 1
out=$(sync_run -N -n)
case $out in "run: new"*) ok 0 "-N -n: a new run" ;;
*) ok 1 "-N -n: a new run"; diag "$out" ;; esac
sync_run -N 2> "$T/err"
is "$?" 0 "-N: the new run succeeds"
isnt "$(last_run)" "$run3" "-N did not resume the unfinished run"
is "$(run_state_of "$run3")" failed "and left it as it was"
sync_run -N -r "$run3" > /dev/null 2> "$T/err"
is "$?" 1 "-N with -r is refused"

# pruning: finished runs older than keep_days, and abandoned ones
for r in 20200101T000000Z 20200102T000000Z; do
	mkdir -p "$SPOOL/$r/PH"
done
printf '{\n  "run": "x",\n  "state": "done",\n  "tables": {}\n}\n' \
    > "$SPOOL/20200101T000000Z/run.json"
printf '{\n  "run": "x",\n  "state": "failed",\n  "tables": {}\n}\n' \
    > "$SPOOL/20200102T000000Z/run.json"
mkdir -p "$SPOOL/keepme"
out=$(sync_run -n)
printf '%s\n' "$out" | grep -q "^prune: 20200101T000000Z (done"
ok $? "-n: would prune an old finished run"
ok "$([ -d "$SPOOL/20200101T000000Z" ]; echo $?)" "-n pruned nothing"
sync_run 2> "$T/err"
is "$?" 0 "a run with old runs in the spool exits 0"
ok "$([ ! -e "$SPOOL/20200101T000000Z" ]; echo $?)" \
    "an old finished run is pruned"
ok "$([ ! -e "$SPOOL/20200102T000000Z" ]; echo $?)" \
    "an old abandoned run is pruned"
ok "$([ -d "$SPOOL/$run" ] && [ -d "$SPOOL/keepme" ]; echo $?)" \
    "recent runs and other folders are kept"
grep -q "step=prune run=20200101T000000Z state=done" "$SYNC_LOG"
ok $? "the pruning is logged"
done_testing

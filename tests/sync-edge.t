#!/bin/sh
# sync-edge.t: the driver at the edges a night can bring: stopped by a
# signal mid-upload, an empty sql_dir, a program that fails without a
# word, a damaged run.json, a spool it cannot create, a log folder that
# is missing, an empty companies_query.  Each ends with one clear message
# naming the file or key, exit 1, and nothing published half.
. tests/lib.sh
. tests/sync-lib.sh

sync_setup 1 30 || { echo "Bail out! servers did not start"; exit 1; }

# wait_for CMD...: up to 10 s for CMD to succeed
wait_for() {
	_i=0
	while [ "$_i" -lt 200 ] && ! "$@" 2>/dev/null; do
		sleep 0.05
		_i=$((_i + 1))
	done
	"$@" 2>/dev/null
}

runs_count() {
	find "$SPOOL" -mindepth 1 -maxdepth 1 -name '2*' | wc -l
}

uploading() {
	pgrep -P "$drv" -x bq-upload > /dev/null
}

# SIGTERM to the driver while bq-upload works: it stops at once, stops
# its child, and leaves a run that a resume completes
curl -s -X POST -d '{"spec": "slow=1:2,path=/upload/"}' \
    "$BQ_URL/_fault" > /dev/null
"$RS" -c "$CFG" -t PH > /dev/null 2> "$T/err" &
drv=$!
wait_for uploading
ok $? "bq-upload is running under the driver"
child=$(pgrep -P "$drv" -x bq-upload)
t0=$(date +%s)
kill -TERM "$drv"
wait "$drv"
rc=$?
took=$(($(date +%s) - t0))
is "$rc" 1 "SIGTERM: the driver exits 1"
ok "$([ "$took" -le 3 ]; echo $?)" \
    "at once, not when bq-upload is done (${took}s)"
sleep 0.2
alive=$(kill -0 "$child" 2>/dev/null && echo yes)
is "$alive" "" "bq-upload was stopped with it"
grep -q "step=run status=stopped signal=TERM" "$SYNC_LOG"
ok $? "the log says the run was stopped by SIGTERM"
grep -q "stopped by SIGTERM" "$T/err"
ok $? "and so does standard error"
curl -s -X POST -d '{"spec": ""}' "$BQ_URL/_fault" > /dev/null
run=$(last_run)
sync_run -r "$run" 2> "$T/err"
is "$?" 0 "the stopped run resumes"
sync_compare "$SPOOL/$run" PH > "$T/cmp"
ok $? "and PH holds exactly its query's rows"

# an empty sql_dir: one message, no run folder, nothing for Sentry
mkdir "$T/nosql"
sed "s|\"sql_dir\": \"[^\"]*\"|\"sql_dir\": \"nosql\"|" "$CFG" \
    > "$T/c-nosql.json"
chmod 600 "$T/c-nosql.json"
runs_before=$(runs_count)
events_before=$(sentry_events)
"$RS" -c "$T/c-nosql.json" > /dev/null 2> "$T/err"
is "$?" 1 "an empty sql_dir exits 1"
is "$(cat "$T/err")" "run-sync.sh: $T/nosql: no queries (*.sql)" \
    "with one message naming the folder"
is "$(runs_count)" "$runs_before" "and makes no run folder"
is "$(sentry_events)" "$events_before" "a config mistake is not sent to Sentry"

# a program that fails without a word (its messages lost, say to a full
# disk): standard error, which cron mails, still says what failed
mkdir "$T/quietbin"
for p in "$BIN"/*; do
	ln -s "$p" "$T/quietbin/${p##*/}"
done
rm "$T/quietbin/pohoda-batch"
printf '#!/bin/sh\nexit 1\n' > "$T/quietbin/pohoda-batch"
chmod 755 "$T/quietbin/pohoda-batch"
POHODA_SYNC_BIN=$T/quietbin "$RS" -c "$CFG" -t SKPP > /dev/null 2> "$T/err"
is "$?" 1 "a silent failure exits 1"
run=$(last_run)
grep -q "^run-sync.sh: run $run failed: SKPP (batch, pohoda-batch exit 1)" \
    "$T/err"
ok $? "standard error names the run, table, step and program"

# a damaged run.json: named, and a start without -r begins a new run
printf '{"run": ' > "$SPOOL/$run/run.json"
sync_run -r "$run" > /dev/null 2> "$T/err"
is "$?" 1 "-r with a damaged run.json exits 1"
is "$(cat "$T/err")" \
    "run-sync.sh: $SPOOL/$run/run.json: damaged (not valid JSON)" \
    "naming the file"
sleep 1
sync_run -t SKPP > /dev/null 2> "$T/err"
is "$?" 0 "a start without -r begins a new run instead"
isnt "$(last_run)" "$run" "(a new one)"
grep -q "WARNING run-sync.sh.* run=$run .*run.json: damaged" "$SYNC_LOG"
ok $? "and logs why the old one is not resumed"
sync_compare "$SPOOL/$(last_run)" SKPP > "$T/cmp"
ok $? "SKPP holds exactly its query's rows"

# a spool that cannot be created
: > "$T/afile"
sed 's|"spool_dir": "spool"|"spool_dir": "afile/spool"|' "$CFG" \
    > "$T/c-ro.json"
chmod 600 "$T/c-ro.json"
"$RS" -c "$T/c-ro.json" > /dev/null 2> "$T/err"
is "$?" 1 "a spool that cannot be made exits 1"
is "$(cat "$T/err")" \
    "run-sync.sh: $T/afile/spool: cannot create: Not a directory" \
    "with one message naming it"

# a log in a folder that does not exist: said once, before anything runs
sed 's|"file": "sync.log"|"file": "nolog/sync.log"|' "$CFG" \
    > "$T/c-log.json"
chmod 600 "$T/c-log.json"
runs_before=$(runs_count)
"$RS" -c "$T/c-log.json" > /dev/null 2> "$T/err"
is "$?" 1 "a log in a missing folder exits 1"
grep -q "c-log.json: log.file: $T/nolog/sync.log: No such file" "$T/err"
ok $? "naming the key and the file"
is "$(grep -c . "$T/err")" 2 "in one message (and the driver's)"
is "$(runs_count)" "$runs_before" "before any run starts"

# an empty companies_query names the key
sed 's|"spool_dir": "spool"|"spool_dir": "spool", "companies_query": ""|' \
    "$CFG" > "$T/c-cq.json"
chmod 600 "$T/c-cq.json"
"$RS" -c "$T/c-cq.json" > /dev/null 2> "$T/err"
is "$?" 1 "an empty companies_query exits 1"
is "$(cat "$T/err")" \
    "run-sync.sh: $T/c-cq.json: companies_query: must not be empty" \
    "naming the key"

# a Sentry DSN that could never be used: said before the run, not lost
# with the first failure's report
sed 's|"dsn": "[^"]*"|"dsn": "garbage"|' "$CFG" > "$T/c-dsn.json"
chmod 600 "$T/c-dsn.json"
runs_before=$(runs_count)
"$RS" -c "$T/c-dsn.json" > /dev/null 2> "$T/err"
is "$?" 1 "a malformed sentry.dsn exits 1"
grep -q "^pohoda-report: $T/c-dsn.json: sentry.dsn: expected" "$T/err"
ok $? "naming the key"
is "$(runs_count)" "$runs_before" "before any run starts"

# a key file that is not there: said before the run, not after the
# extract of every table
sed 's|"credentials": "key.json"|"credentials": "nokey.json"|' "$CFG" \
    > "$T/c-key.json"
chmod 600 "$T/c-key.json"
runs_before=$(runs_count)
"$RS" -c "$T/c-key.json" > /dev/null 2> "$T/err"
is "$?" 1 "a missing key file exits 1"
grep -q "^bq-upload: $T/nokey.json: No such file" "$T/err"
ok $? "naming the file"
is "$(runs_count)" "$runs_before" "before any run starts"

# a resumed run keeps the batch size it was cut with: a new batch_size
# in the config would cut batches that the loaded ones' job ids do not
# match, and the run could never finish.  bq-upload is killed once two
# batches are in.
mkdir -p "$T/killbin"
for p in "$BIN"/*; do
	ln -s "$p" "$T/killbin/${p##*/}"
done
rm "$T/killbin/bq-upload"
cat > "$T/killbin/bq-upload" <<WRAP
#!/bin/sh
[ "\$3" = --check ] && exec "$BIN/bq-upload" "\$@"
for a; do dir=\$a; done
"$BIN/bq-upload" "\$@" &
pid=\$!
i=0
while [ \$i -lt 1000 ] && kill -0 \$pid 2>/dev/null; do
	if grep -q '"batch":"00002".*"done"' "\$dir/upload/journal" \
	    2>/dev/null; then
		kill -9 \$pid
		break
	fi
	sleep 0.01
	i=\$((i + 1))
done
wait \$pid
exit 75
WRAP
chmod 755 "$T/killbin/bq-upload"
curl -s -X POST -d '{"spec": "slow=1:0.5,path=/upload/"}' \
    "$BQ_URL/_fault" > /dev/null
POHODA_SYNC_BIN=$T/killbin "$RS" -c "$CFG" -t PH > /dev/null 2>&1
is "$?" 1 "a run whose upload was killed exits 1"
curl -s -X POST -d '{"spec": ""}' "$BQ_URL/_fault" > /dev/null
run=$(last_run)
d=$SPOOL/$run/PH
ok "$(grep -q '"batch":"00002".*"done"' "$d/batches/upload/journal" &&
    [ ! -e "$d/batches/upload/published" ]; echo $?)" \
    "(two batches are in, nothing is published)"
rows=$(awk -F '\t' '$1 == "total" { print $2 }' "$d/batches/manifest")
n=$(awk -F '\t' '$1 == "total" { print $5 }' "$d/batches/manifest")
grep -Eq "run=$run table=PH step=summary status=(failed|retry) rows=$rows\
 batches=$n bytes=[1-9]" "$SYNC_LOG"
ok $? "the failed table's summary counts the batches it has ($n)"
sed 's|"batch_size": 30|"batch_size": 45|' "$CFG" > "$T/c-bs.json"
chmod 600 "$T/c-bs.json"
"$RS" -c "$T/c-bs.json" -r "$run" > /dev/null 2> "$T/err"
is "$?" 0 "resumed with another batch_size in the config, it finishes"
[ -s "$T/err" ] && diag "$(cat "$T/err")"
is "$(awk -F '\t' '$1 == "total" { print $5 }' "$d/batches/manifest")" \
    "$n" "cut as it began ($rows rows by 30)"
grep -q "WARNING run-sync.sh.* run=$run .*batch_size=30 config=45" \
    "$SYNC_LOG"
ok $? "and says so in the log"
sync_compare "$SPOOL/$run" PH > "$T/cmp"
ok $? "PH holds exactly its query's rows"
done_testing

#!/bin/sh
# upload-reject: a batch with a value the schema rejects stops the upload
# with BigQuery's own messages (batch file, row and field), exit 65, and
# the published table keeps its previous contents.
. tests/lib.sh
. tests/upload/lib.sh

plan 18

bq_start --seed 0
"$UP/make-batches" --rows 30 --batch 10 --seed 31 "$T/good"
upload -t FA "$T/good/batches"
is "$?" 0 "a good set is published first"
set_rows "$T/good/batches" > "$T/want"

# row 15 of the set is row 5 of 00002.ndjson.gz: "qty" gets "many"
"$UP/make-batches" --rows 30 --batch 10 --seed 32 --bad 15 "$T/bad"
upload -t FA "$T/bad/batches" 2> "$T/err"
is "$?" 65 "a rejected value: exit 65"
grep '00002.ndjson.gz' "$T/err" | grep 'row 5' | grep -q 'Field: qty'
ok $? "the message names the batch, the row and the field"
grep -q 'many' "$T/err"
ok $? "and the rejected value"
grep -q "invalid" "$T/err"
ok $? "and BigQuery's reason"
table_rows FA > "$T/got"
files_eq "$T/got" "$T/want" "FA keeps its previous contents"
test ! -e "$T/bad/batches/upload/published"
ok $? "nothing was marked published"
grep -q ' ERROR bq-upload.* table=FA .*Field: qty' "$T/sync.log"
ok $? "the log has the error"

# a rerun gives the same answer, from a new job (a failed id is spent)
jobs_before=$(bq_get /_test/jobs | "$PY" -c 'import json, sys
print(len(json.load(sys.stdin)))')
upload -t FA "$T/bad/batches" 2> "$T/err2"
is "$?" 65 "the rerun is rejected too"
jobs_after=$(bq_get /_test/jobs | "$PY" -c 'import json, sys
print(len(json.load(sys.stdin)))')
is "$((jobs_after - jobs_before))" 1 "by one new load job"
table_rows FA > "$T/got"
files_eq "$T/got" "$T/want" "FA still keeps its previous contents"

# a schema that is not one
echo '{"fields": 3}' > "$T/bad.schema"
upload -t FA -m "$T/bad.schema" "$T/good/batches" 2> "$T/err"
is "$?" 65 "a malformed schema file: exit 65"

# a manifest that promises a row the batch does not hold: the job's own
# row count gives it away, and nothing is published
"$UP/make-batches" --rows 30 --batch 10 --seed 33 "$T/lie"
awk 'BEGIN { FS = OFS = "\t" }
    $1 == "00002.ndjson.gz" || $1 == "total" { $2 = $2 + 1 } { print }' \
    "$T/lie/batches/manifest" > "$T/manifest" &&
    cat "$T/manifest" > "$T/lie/batches/manifest"
upload -t FA "$T/lie/batches" 2> "$T/err"
is "$?" 65 "a batch with fewer rows than its manifest says: exit 65"
grep -q '00002.ndjson.gz: job .*: loaded 10 rows, the manifest says 11' \
    "$T/err"
ok $? "the message names the batch and both counts"
table_rows FA > "$T/got"
files_eq "$T/got" "$T/want" "FA keeps its previous contents"

# state left by one batch set does not fit another in the same folder
cp "$T/good/batches/"*.gz "$T/good/batches/manifest" "$T/bad/batches/"
upload -t FA "$T/bad/batches" 2> "$T/err"
is "$?" 65 "another batch set under an old state: exit 65"
grep -q 'upload/journal: 00001: made for another 00001.ndjson.gz' "$T/err"
ok $? "the message names the journal and the batch"

# the run id a set was started with is the one it keeps
upload -t FA -r other "$T/bad/batches" 2> "$T/err"
is "$?" 64 "a different -r for a started set: exit 64"

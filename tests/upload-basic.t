#!/bin/sh
# upload-basic: twelve batches end up in TABLE, exactly, through the
# staging table; a rerun changes nothing; an empty set publishes an
# empty table with the schema; options and exit codes.
. tests/lib.sh
. tests/upload/lib.sh

plan 28

"$BIN/bq-upload" -h > "$T/out" 2>&1
is "$?" 0 "-h exits 0"
grep -q '^usage: bq-upload ' "$T/out"
ok $? "-h prints the usage"
"$BIN/bq-upload" --version | grep -q '^bq-upload (pohoda-sync) '
ok $? "--version names the program"
"$BIN/bq-upload" -t FA > /dev/null 2>&1
is "$?" 64 "no DIR: usage, exit 64"
"$BIN/bq-upload" -x -t FA "$T" > /dev/null 2>&1
is "$?" 64 "unknown option: exit 64"

bq_start --seed 0
"$UP/make-batches" --rows 118 --batch 10 --seed 3 "$T/a"
upload -t FA -r r1 "$T/a/batches" 2> "$T/err"
is "$?" 0 "12 batches: exit 0"
cp "$T/bq/requests.log" "$T/req1"	# bq-upload's requests alone
table_rows FA > "$T/got"
set_rows "$T/a/batches" > "$T/want"
is "$(wc -l < "$T/want")" 118 "the batch set holds 118 rows"
files_eq "$T/got" "$T/want" "FA holds exactly the batch set's rows"
table_exists FA__staging
isnt "$?" 0 "the staging table is gone"
is "$(double_loads FA)" "" "every batch and the publish committed once"
is "$(bq_get /_test/commits | "$PY" "$UP/loads-per-batch" FA | wc -l)" 13 \
    "12 loads and 1 copy committed"
test -f "$T/a/batches/upload/published"
ok $? "DIR/upload/published written"
# what a job's replies hold: the whole job repeats the schema in its
# configuration, so each asks for only what bq-upload reads
jq -r 'select(.path | test("/jobs(/[^/]*)?$")) |
    "\(.query.fields) \(.query.prettyPrint)"' "$T/req1" |
    sort | uniq -c > "$T/jobq"
is "$(awk '{ print $2, $3 }' "$T/jobq")" \
    "status,statistics(load/outputRows) false" \
    "every jobs.insert and jobs.get asks for status and rows, unindented"
is "$(awk '{ n += $1 } END { print (n >= 25) }' "$T/jobq")" 1 \
    "(12 loads, a copy, and their polls)"
is "$(jq -r 'select(.method == "GET" and (.path | test("/tables/"))) |
    .query.fields' "$T/req1" | sort -u)" numRows \
    "tables.get asks for numRows only"
is "$(grep -c ' INFO bq-upload.* table=FA batch=' "$T/sync.log")" 12 \
    "one INFO line per batch"
bad=$(find "$T/a/batches/upload" -type f ! -perm 600 | wc -l)
is "$bad" 0 "state files are mode 0600"
is "$(stat -c %a "$T/a/batches/upload")" 700 "DIR/upload is mode 0700"

# a rerun of a published set sends nothing
before=$(wc -l < "$T/bq/requests.log")
upload -t FA -r r1 "$T/a/batches"
is "$?" 0 "rerun of a published set: exit 0"
is "$(wc -l < "$T/bq/requests.log")" "$before" "and no request"

# a second upload replaces the table's contents, not adds to them
"$UP/make-batches" --rows 35 --batch 10 --seed 4 "$T/b"
upload -t FA -m "$T/b/schema.json" "$T/b/batches"
is "$?" 0 "a second set (random run id, -m schema): exit 0"
table_rows FA > "$T/got"
set_rows "$T/b/batches" > "$T/want"
files_eq "$T/got" "$T/want" "FA now holds the second set only"

# an empty set publishes an empty table with the schema
"$UP/make-batches" --rows 0 "$T/e"
upload -t EMPTY "$T/e/batches"
is "$?" 0 "an empty set: exit 0"
bq_get /_test/tables/proj/ds/EMPTY > "$T/empty.json"
"$PY" -c 'import json, sys
t = json.load(open(sys.argv[1]))
s = json.load(open(sys.argv[2]))
sys.exit(not (t["numRows"] == "0" and
    [f["name"] for f in t["schema"]["fields"]] == [f["name"] for f in s]))' \
    "$T/empty.json" "$T/e/schema.json"
ok $? "EMPTY exists with 0 rows and the schema's fields"
table_exists EMPTY__staging
isnt "$?" 0 "and its staging table is gone"

# a batch set cut by pohoda-batch itself (the spool layout: the schema
# next to the batches folder)
"$UP/make-batches" --rows 123 --batch 1000 --seed 5 "$T/src"
zcat "$T/src/batches/00001.ndjson.gz" | gzip > "$T/all.ndjson.gz"
mkdir -p "$T/spool/FB"
cp "$T/src/schema.json" "$T/spool/FB/schema.json"
if [ -x "$BIN/pohoda-batch" ]; then
	"$BIN/pohoda-batch" -q -n 20 -o "$T/spool/FB/batches" "$T/all.ndjson.gz"
	upload -t FB "$T/spool/FB/batches"
	is "$?" 0 "a set cut by pohoda-batch: exit 0"
	table_rows FB > "$T/got"
	set_rows "$T/src/batches" > "$T/want"
	files_eq "$T/got" "$T/want" "FB holds exactly the rows given to pohoda-batch"
	is "$(double_loads FB)" "" "and each of its 7 batches once"
else
	skip "no pohoda-batch in $BIN"
	skip "no pohoda-batch in $BIN"
	skip "no pohoda-batch in $BIN"
fi

#!/bin/sh
# upload-edge.t: bq-upload's words for values it cannot use: a dataset
# from the config is a config error naming bigquery.dataset (exit 78), one
# given with -d a usage error (64); a damaged upload/run file names the
# file and is bad data (65), not a usage error; a damaged batch state file
# says how to mend it, and mending it loads no row twice.
. tests/lib.sh
. tests/upload/lib.sh

plan 11

bq_start --seed 0
"$UP/make-batches" --rows 20 --batch 10 --seed 52 "$T/a"

sed 's/"dataset": "ds"/"dataset": "a-b"/' "$T/config.json" > "$T/c2.json"
chmod 600 "$T/c2.json"
"$BIN/bq-upload" -q -c "$T/c2.json" -t FA "$T/a/batches" 2> "$T/err"
is "$?" 78 "a bad bigquery.dataset in the config: exit 78"
is "$(cat "$T/err")" "bq-upload: $T/c2.json: bigquery.dataset: a-b:\
 expected 1 to 1024 letters, digits or underscores" "naming the key"

"$BIN/bq-upload" -q -c "$T/config.json" -d a-b -t FA "$T/a/batches" \
    2> "$T/err"
is "$?" 64 "-d a-b: exit 64"
is "$(cat "$T/err")" \
    "bq-upload: -d a-b: expected 1 to 1024 letters, digits or underscores" \
    "naming the option"

# a run file that is not a run id: damaged, not a usage mistake
mkdir -p "$T/a/batches/upload"
echo 'garbage!' > "$T/a/batches/upload/run"
"$BIN/bq-upload" -q -c "$T/config.json" -r R1 -t FA "$T/a/batches" \
    2> "$T/err"
is "$?" 65 "a damaged upload/run: exit 65"
grep -q "^bq-upload: $T/a/batches/upload/run: " "$T/err"
ok $? "naming the file"
is "$(table_rows FA | wc -l)" 0 "nothing was loaded"

# a damaged state file of the second batch: 65, and what to do
rm -rf "$T/a/batches/upload"
mkdir -p "$T/a/batches/upload"
echo 'garb' > "$T/a/batches/upload/00002.state"
"$BIN/bq-upload" -q -c "$T/config.json" -r R2 -t GS "$T/a/batches" \
    2> "$T/err"
is "$?" 65 "a damaged 00002.state: exit 65"
grep -q "^bq-upload: $T/a/batches/upload/00002.state: damaged (.*);\
 remove it and run again" "$T/err"
ok $? "naming the file and what to do"
rm "$T/a/batches/upload/00002.state"
"$BIN/bq-upload" -q -c "$T/config.json" -r R2 -t GS "$T/a/batches" \
    2> "$T/err"
is "$?" 0 "once it is removed, the set is published"
is "$(table_rows GS | wc -l)" 20 "with every row once"

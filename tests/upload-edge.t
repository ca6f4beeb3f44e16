#!/bin/sh
# upload-edge.t: bq-upload's words for values it cannot use: a dataset
# from the config is a config error naming bigquery.dataset (exit 78), one
# given with -d a usage error (64); a damaged upload/run file names the
# file and is bad data (65), not a usage error; a damaged batch state file
# says how to mend it, and mending it loads no row twice.
. tests/lib.sh
. tests/upload/lib.sh

plan 18

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

# --check: the config, the dataset, the key file and the URLs, nothing
# sent, so that the driver finds them before it extracts a night's rows
n0=$(wc -l < "$T/bq/requests.log")
"$BIN/bq-upload" -c "$T/config.json" --check > "$T/out" 2> "$T/err"
is "$?" 0 "--check of a good config: exit 0"
is "$(cat "$T/out" "$T/err")" "" "silently"
"$BIN/bq-upload" -c "$T/c2.json" --check 2> "$T/err"
is "$?" 78 "--check of a bad dataset: exit 78"
config_write "$BQ_URL" "$T/nokey.json"
"$BIN/bq-upload" -c "$T/config.json" --check 2> "$T/err"
is "$?" 78 "--check of a missing key file: exit 78"
grep -q "^bq-upload: $T/nokey.json: No such file" "$T/err"
ok $? "naming the file"
config_write "http://192.0.2.1" "$T/key.json"
"$BIN/bq-upload" -c "$T/config.json" --check 2> "$T/err"
is "$?" 78 "--check of a plain-http api_url: exit 78"
is "$(wc -l < "$T/bq/requests.log")" "$n0" "nothing was sent"

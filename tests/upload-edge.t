#!/bin/sh
# upload-edge.t: bq-upload's words for values it cannot use: a dataset
# from the config is a config error naming bigquery.dataset (exit 78), one
# given with -d a usage error (64); a damaged upload/run file names the
# file and is bad data (65), not a usage error; a damaged journal line
# says how to mend it, and mending it loads no row twice; a cut last line
# (a kill mid-write) is dropped.
. tests/lib.sh
. tests/upload/lib.sh

plan 23

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

# a damaged journal line: 65, naming the file and line, and what to do
rm -rf "$T/a/batches/upload"
mkdir -p "$T/a/batches/upload"
sha=$(awk -F '\t' '$1 == "00001.ndjson.gz" { print $5 }' \
    "$T/a/batches/manifest")
printf '%s\n' "{\"batch\":\"00001\",\"job\":\"pohoda_R2_ds_GS_00001_1\",\
\"attempt\":1,\"state\":\"inserting\",\"sha256\":\"$sha\",\"rows\":10}" \
    garb > "$T/a/batches/upload/journal"
"$BIN/bq-upload" -q -c "$T/config.json" -r R2 -t GS "$T/a/batches" \
    2> "$T/err"
is "$?" 65 "a damaged journal line: exit 65"
grep -q "^bq-upload: $T/a/batches/upload/journal: line 2: damaged (.*);\
 remove that line and run again" "$T/err"
ok $? "naming the file, the line and what to do"
is "$(table_rows GS | wc -l)" 0 "nothing was loaded"
sed -i 2d "$T/a/batches/upload/journal"
"$BIN/bq-upload" -q -c "$T/config.json" -r R2 -t GS "$T/a/batches" \
    2> "$T/err"
is "$?" 0 "once it is removed, the set is published"
is "$(table_rows GS | wc -l)" 20 "with every row once"

# a last line without its newline is what a kill in the middle of a
# write leaves: it is dropped with a warning, and the set loads once
rm -rf "$T/a/batches/upload"
mkdir -p "$T/a/batches/upload"
printf '{"batch":"00001","job":"pohoda_R3_ds_GT_00001_1","atte' \
    > "$T/a/batches/upload/journal"
"$BIN/bq-upload" -q -c "$T/config.json" -r R3 -t GT "$T/a/batches" \
    2> "$T/err"
is "$?" 0 "a cut last line: the set is published"
grep -q "journal: the last line was cut short" "$T/err"
ok $? "with a warning"
is "$(table_rows GT | wc -l)" 20 "with every row once"
is "$(grep -c '"state":"done"' "$T/a/batches/upload/journal")" 3 \
    "the journal goes on from the last whole line (2 batches, publish)"

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

#!/bin/sh
# The official @google-cloud/bigquery Node client (with google-auth-
# library's service-account JWT flow) against the fake BigQuery server:
# the fake is trusted only as far as the real client agrees with it.
. tests/lib.sh
. tests/fidelity/bq/lib-bq.sh

NODE_DIR=$TOP/tests/fidelity/bq
if [ ! -d "$NODE_DIR/node_modules/@google-cloud/bigquery" ]; then
	diag "node_modules missing in tests/fidelity/bq: run scripts/install-deps"
	ok 1 "the official BigQuery client is installed"
	done_testing
	exit 1
fi

bq_start "$T/st"
bq_key "$T/st" "$T/key.json"

cat > "$T/good.ndjson" <<'NDJSON'
{"n":1,"amount":"1234.50","name":"Příliš žluťoučký kůň","day":"2024-03-01","at":"2024-03-01T11:34:56.123456Z","ok":true}
{"n":"2","amount":null,"name":null,"day":null,"at":null,"ok":false}
{"n":9007199254740993,"amount":"-0.000000001","name":"","day":"1999-12-31","at":"1970-01-01 00:00:00 UTC","ok":null}
NDJSON
printf '{"n":3}\n{"n":"x"}\n' > "$T/bad.ndjson"

(cd "$NODE_DIR" && timeout 60 node client.js "$T/key.json" "$BQ_URL" fid \
    "$T/good.ndjson" "$T/bad.ndjson") > "$T/out" 2> "$T/node.err"
ok $? "the client's scenario runs to the end"
[ -s "$T/node.err" ] && diag "$(cat "$T/node.err")"

step() { jq -c "select(.step == \"$1\")" "$T/out"; }
field() { step "$1" | jq -r "$2"; }

is "$(field dataset .location)" EU "dataset created with its location"
is "$(field load '.state + " " + .outputRows')" "DONE 3" \
    "table.load() with a job id: DONE, outputRows 3"
is "$(field load .jobId)" fid_load_1 "the client's job id is kept"

# The right values are written out by hand from the input and the
# BigQuery value rules (NUMERIC without trailing zeros, TIMESTAMP in UTC).
cat > "$T/want" <<'EOF2'
{"n":"1","amount":"1234.5","name":"Příliš žluťoučký kůň","day":"2024-03-01","at":"2024-03-01T11:34:56.123456000Z","ok":true}
{"n":"2","amount":null,"name":null,"day":null,"at":null,"ok":false}
{"n":"9007199254740993","amount":"-0.000000001","name":"","day":"1999-12-31","at":"1970-01-01T00:00:00.000Z","ok":null}
EOF2
step row | jq -c 'del(.step)' > "$T/got"
files_eq "$T/got" "$T/want" "getRows() reads back the loaded rows exactly"
is "$(field paged '[.first, .second, .token, .end] | join(" ")')" \
    "2 1 true true" "getRows() pages with maxResults and pageToken"
is "$(field table '.numRows + " " + (.fields | join(","))')" \
    "3 n:INTEGER,amount:NUMERIC,name:STRING,day:DATE,at:TIMESTAMP,ok:BOOLEAN" \
    "table metadata: numRows and schema with BigQuery's type names"

is "$(field duplicate '(.code | tostring) + " " + .reasons[0]')" \
    "409 duplicate" "a load with an existing job id gets 409 duplicate"
is "$(field duplicate .message)" "Already Exists: Job proj:EU.fid_load_1" \
    "the 409 names the job as BigQuery does"
commits=$(curl -sS "$BQ_URL/_test/commits" | jq -r .job | sort | tr '\n' ' ')
is "$commits" "fid_copy_1 fid_load_1 " \
    "only the first load and the copy committed anything"

field bad '.messages | join("\n")' > "$T/bad.msg"
grep -q 'Rows: 2; errors: 1' "$T/bad.msg"
ok $? "the bad load's error names the row (Rows: 2)"
grep -q 'Field: n; Value: x' "$T/bad.msg"
ok $? "the bad load's error names the field and the value"
grep -q "position 8" "$T/bad.msg"
ok $? "the bad load's error gives the row's byte position"
is "$(field bad '.reasons[0]')" invalid "the bad load's reason is invalid"

is "$(field copy '.state + " " + .copiedRows + " " + (.rows | tostring)')" \
    "DONE 3 3" "table.copy() runs a copy job and the copy has the rows"
is "$(field delete .exists)" false "table.delete() removes the table"
is "$(field delete_again '(.code | tostring) + " " + .reasons[0]')" \
    "404 notFound" "deleting it again is 404 notFound"
is "$(field dataset_deleted .exists)" false \
    "dataset.delete({force: true}) removes the dataset"

# The OAuth flow really ran: one token request, no 401, no secret logged.
is "$(jq -r 'select(.path == "/token") | .status' "$T/st/requests.log")" 200 \
    "the client got its token from the fake token endpoint"
is "$(jq -r 'select(.status == 401) | .path' "$T/st/requests.log" | wc -l)" 0 \
    "no API call went without a valid token"
key_b64=$(jq -r .private_key "$T/key.json" | sed -n 2p | cut -c1-40)
! grep -q -e 'ya29' -e 'assertion' -e "$key_b64" -e Bearer "$T/st/requests.log"
ok $? "the request log holds no token, assertion or key"

done_testing

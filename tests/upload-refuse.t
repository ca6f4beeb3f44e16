#!/bin/sh
# upload-refuse: what bq-upload refuses before it sends anything: plain
# http to a non-loopback host (no connection is even tried), bad key
# files (exit 78, naming the file and the field), damaged batch sets
# (exit 65, naming the file); and the quota warning.
. tests/lib.sh
. tests/upload/lib.sh

plan 32

bq_start --seed 0
"$UP/make-batches" --rows 30 --batch 10 --seed 51 "$T/a"
requests() {
	if [ -f "$T/bq/requests.log" ]; then
		wc -l < "$T/bq/requests.log"
	else
		echo 0
	fi
}
n0=$(requests)

# 192.0.2.1 is TEST-NET-1: nothing there may ever be contacted
config_write "http://192.0.2.1" "$T/key.json"
start=$(date +%s)
upload -t FA "$T/a/batches" 2> "$T/err"
is "$?" 78 "api_url http://192.0.2.1: exit 78"
test $(( $(date +%s) - start )) -le 2
ok $? "at once, without trying to connect"
grep -q 'bigquery.api_url: http://192.0.2.1: plain http is allowed only to a loopback address' "$T/err"
ok $? "the message names the key and the rule"
is "$(requests)" "$n0" "not even a token was asked for"

config_write "ftp://127.0.0.1:$BQ_PORT" "$T/key.json"
upload -t FA "$T/a/batches" 2> "$T/err"
is "$?" 78 "an ftp:// api_url: exit 78"

config_write "http://localhost:$BQ_PORT" "$T/key.json"
upload -t LH "$T/a/batches" 2> "$T/err"
is "$?" 0 "http://localhost is loopback: allowed"
rm -rf "$T/a/batches/upload"

# https to a server whose certificate nobody vouches for: refused at
# once, not retried
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/tls.key" \
    -out "$T/tls.crt" -subj /CN=127.0.0.1 -days 1 > /dev/null 2>&1
tls_port=$(free_port)
start_bg openssl s_server -quiet -accept "127.0.0.1:$tls_port" \
    -cert "$T/tls.crt" -key "$T/tls.key" -www > /dev/null 2>&1
tls_pid=$BG_PID
wait_port "$tls_port"
config_write "https://127.0.0.1:$tls_port" "$T/key.json"
start=$(date +%s)
upload -t FA "$T/a/batches" 2> "$T/err"
is "$?" 78 "a self-signed https server: exit 78"
test $(( $(date +%s) - start )) -le 3 && grep -qi 'certificate' "$T/err"
ok $? "at once, saying the certificate was not trusted"
stop_bg "$tls_pid"
rm -rf "$T/a/batches/upload"

# the key's token_uri obeys the same rule
config_write "$BQ_URL" "$T/k1.json"
"$PY" -c 'import json, sys
k = json.load(open(sys.argv[1])); k["token_uri"] = "http://192.0.2.1/token"
json.dump(k, open(sys.argv[2], "w"))' "$T/key.json" "$T/k1.json"
chmod 600 "$T/k1.json"
n0=$(requests)
upload -t FA "$T/a/batches" 2> "$T/err"
is "$?" 78 "token_uri http://192.0.2.1/token: exit 78"
grep -q "k1.json: token_uri: http://192.0.2.1/token: plain http" "$T/err"
ok $? "the message names the key file and the field"
is "$(requests)" "$n0" "and nothing was sent"

# broken key files: each names the file and the field
badkey() {	# badkey NAME PYTHON-EXPRESSION-ON-k
	"$PY" -c 'import json, sys
k = json.load(open(sys.argv[1]))
exec(sys.argv[3])
open(sys.argv[2], "w").write(k if isinstance(k, str) else json.dumps(k))' \
	    "$T/key.json" "$T/$1" "$2"
	chmod 600 "$T/$1"
	config_write "$BQ_URL" "$T/$1"
	upload -t FA "$T/a/batches" 2> "$T/err"
}
badkey nopk.json 'del k["private_key"]'
is "$?" 78 "a key without private_key: exit 78"
grep -q 'nopk.json: private_key: missing' "$T/err"
ok $? "the message names the file and the missing field"
badkey junkpk.json 'k["private_key"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"'
is "$?" 78 "a key whose private_key is junk: exit 78"
grep -q 'junkpk.json: private_key: not a PEM private key' "$T/err"
ok $? "the message says so"
badkey nomail.json 'del k["client_email"]'
is "$?" 78 "a key without client_email: exit 78"
grep -q 'nomail.json: client_email: missing' "$T/err"
ok $? "the message names it"
badkey type.json 'k["type"] = "authorized_user"'
is "$?" 78 "a key of another type: exit 78"
badkey notjson.json 'k = "{ not json"'
is "$?" 78 "a key that is not JSON: exit 78"
grep -q 'notjson.json: line 1: not valid JSON' "$T/err"
ok $? "the message names the file"
config_write "$BQ_URL" "$T/nosuch.json"
upload -t FA "$T/a/batches" 2> "$T/err"
is "$?" 78 "a missing key file: exit 78"

# a key the token server does not know is refused there
"$SRV/make-sa-key" --token-uri "$BQ_URL/token" --project proj \
    --no-register "$T/stranger.json" > /dev/null
config_write "$BQ_URL" "$T/stranger.json"
upload -t FA "$T/a/batches" 2> "$T/err"
is "$?" 78 "an unknown key: exit 78"
grep -q 'token request refused: HTTP 400: invalid_grant' "$T/err"
ok $? "with the token server's answer"

# a key others can read is used, with a warning
cp "$T/key.json" "$T/open.json"
chmod 644 "$T/open.json"
config_write "$BQ_URL" "$T/open.json"
upload -t OPEN "$T/a/batches" 2> "$T/err"
is "$?" 0 "a world-readable key still works"
grep -q 'open.json: readable by group or others' "$T/err"
ok $? "with a warning"
rm -rf "$T/a/batches/upload"

# damaged batch sets: nothing is sent
config_write "$BQ_URL" "$T/key.json"
cp -r "$T/a/batches" "$T/dmg"
printf 'X' | dd of="$T/dmg/00002.ndjson.gz" bs=1 seek=20 conv=notrunc \
    2> /dev/null
n0=$(requests)
upload -t FA "$T/dmg" 2> "$T/err"
is "$?" 65 "a damaged batch: exit 65"
grep -q '00002.ndjson.gz: does not match the manifest' "$T/err"
ok $? "the message names the batch file"
is "$(requests)" "$n0" "and nothing was sent"
rm "$T/dmg/manifest"
upload -t FA "$T/dmg" 2> "$T/err"
is "$?" 65 "no manifest (an incomplete set): exit 65"

# usage errors
upload -t 'FA;DROP' "$T/a/batches" 2> "$T/err"
is "$?" 64 "a table name BigQuery would not take: exit 64"

# more than 150 batches: a warning about the daily quota (the upload
# itself is cut short by pointing at a port where nobody listens)
"$UP/make-batches" --rows 151 --batch 1 --seed 52 "$T/many"
config_write "http://127.0.0.1:$(free_port)" "$T/key.json"
BQ_UPLOAD_RETRY_ATTEMPTS=1 BQ_UPLOAD_RETRY_BUDGET_MS=0 \
    upload -t MANY "$T/many/batches" 2> "$T/err"
grep -q 'warning: MANY: 151 batches use more than a tenth of the 1500' \
    "$T/err"
ok $? "151 batches: a warning about the 1,500 loads a day"
grep -q 'WARNING bq-upload.* table=MANY batches=151' "$T/sync.log"
ok $? "also in the log"

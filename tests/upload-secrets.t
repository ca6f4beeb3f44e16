#!/bin/sh
# upload-secrets: the access token and the private key appear nowhere in
# the log, the batch set's folder, the messages, or the process's
# command line and environment; a short-lived token is renewed.
. tests/lib.sh
. tests/upload/lib.sh

plan 11

# tokens live 3 s and every job is polled a few times: the run outlives
# more than one token
bq_start --seed 0 --token-ttl 3 --job-polls 2
"$UP/make-batches" --rows 80 --batch 10 --seed 41 "$T/s"
BQ_UPLOAD_POLL_BASE_MS=300 BQ_UPLOAD_POLL_CAP_MS=300 \
    "$BIN/bq-upload" -c "$T/config.json" -v -t FA "$T/s/batches" \
    > "$T/out" 2> "$T/err" &
pid=$!
sleep 1
tr '\0' '\n' < "/proc/$pid/cmdline" > "$T/cmdline" 2> /dev/null
tr '\0' '\n' < "/proc/$pid/environ" > "$T/environ" 2> /dev/null
# meanwhile a second upload of the same set is turned away
"$BIN/bq-upload" -c "$T/config.json" -t FA "$T/s/batches" 2> "$T/err2"
is "$?" 75 "a second bq-upload on the same set: exit 75"
grep -q 'another bq-upload works on this batch set' "$T/err2"
ok $? "it says the set is busy"
wait "$pid"
is "$?" 0 "the upload succeeds"
test -s "$T/cmdline"
ok $? "the command line was read while it ran"

# the key's PEM body, one line of it, and the token's fixed prefix
"$PY" -c 'import json, sys
pem = json.load(open(sys.argv[1]))["private_key"].splitlines()
print(pem[1]); print(pem[-2])' "$T/key.json" > "$T/pem-lines"
test -s "$T/pem-lines"
ok $? "the key's PEM lines were read"

# every place a secret could leak to
find "$T/s" -type f -exec cat {} + > "$T/all" 2> /dev/null
cat "$T/sync.log" "$T/out" "$T/err" "$T/cmdline" "$T/environ" >> "$T/all"

grep -c 'ya29' "$T/all" > "$T/n"
is "$(cat "$T/n")" 0 "no access token in the log, DIR, messages or argv"
grep -c -F -f "$T/pem-lines" "$T/all" > "$T/n"
is "$(cat "$T/n")" 0 "no private key material there either"
grep -c 'PRIVATE KEY' "$T/all" > "$T/n"
is "$(cat "$T/n")" 0 "nor the PEM armour"
grep -ci 'bearer\|assertion=' "$T/all" > "$T/n"
is "$(cat "$T/n")" 0 "nor an Authorization header or a signed assertion"

issued=$(bq_get /_test/stats | "$PY" -c 'import json, sys
print(json.load(sys.stdin)["tokens_issued"])')
test "$issued" -ge 2
ok $? "the short-lived token was renewed ($issued tokens)"
grep -c '"status": 401' "$T/bq/requests.log" > "$T/n"
is "$(cat "$T/n")" 0 "renewed before it expired: no request was refused"

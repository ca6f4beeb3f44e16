#!/bin/sh
# The fake Sentry ingest endpoint, fed with envelopes built by hand
# (the grammar of shared/reference/sentry.md section 3) and posted with curl.
. tests/lib.sh

S=$TOP/tests/servers/sentry-server
start_bg "$S" --port 0 --port-file "$T/port" --out "$T/events" \
    --key testkey --project 42 2> "$T/err"
SPID=$BG_PID
i=0
while [ ! -s "$T/port" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
URL=http://127.0.0.1:$(cat "$T/port")
AUTH='X-Sentry-Auth: Sentry sentry_version=7, sentry_client=pohoda-sync/0.1, sentry_key=testkey'
EID=fc6d8c0c43fc4630ad850ee518f1b9d0

payload() {	# payload [PLATFORM]: a minimal valid error event
	printf '{"event_id":"%s","timestamp":"2026-12-03T04:00:02Z","platform":"%s","level":"error","logger":"run-sync","release":"pohoda-sync@0.1","environment":"production","message":"bq-upload failed","tags":{"table":"FA","step":"upload"},"extra":{"run":"20261203T040002Z"}}' \
	    "$EID" "${1:-c}"
}
envelope() {	# envelope [PLATFORM] [nolength]: header, item header, payload
	payload "${1:-c}" > "$T/p"
	printf '{"event_id":"%s","sent_at":"2026-12-03T04:00:03Z","dsn":"http://testkey@127.0.0.1/42"}\n' "$EID"
	if [ "${2:-}" = nolength ]; then
		printf '{"type":"event"}\n'
	else
		printf '{"type":"event","length":%d}\n' "$(wc -c < "$T/p")"
	fi
	cat "$T/p"
	printf '\n'
}
post() {	# post FILE [CURL ARGS...]: prints status; headers in $T/h
	_f=$1
	shift
	curl -sS -D "$T/h" -o "$T/body" -w '%{http_code}\n' \
	    -H 'Content-Type: application/x-sentry-envelope' "$@" \
	    --data-binary @"$_f" 2>/dev/null
}
count() { [ -f "$T/events" ] && wc -l < "$T/events" || echo 0; }

envelope > "$T/e1"
is "$(post "$T/e1" -H "$AUTH" "$URL/api/42/envelope/")" 200 "an envelope is accepted"
is "$(jq -r .id "$T/body")" "$EID" "the answer is {\"id\": event_id}"
is "$(count)" 1 "one event recorded"
is "$(jq -r '[.event.message, .event.tags.table, .envelope.event_id,
    .envelope.sent_at, .item.type, .client] | join(" ")' "$T/events")" \
    "bq-upload failed FA $EID 2026-12-03T04:00:03Z event pohoda-sync/0.1" \
    "the record holds the event payload and the envelope header"
is "$(stat -c %a "$T/events")" 600 "the events file is 0600"

gzip -c "$T/e1" > "$T/e1.gz"
is "$(post "$T/e1.gz" -H "$AUTH" -H 'Content-Encoding: gzip' "$URL/api/42/envelope/")" \
    200 "a gzip'd envelope (Content-Encoding: gzip) is accepted"
is "$(tail -n 1 "$T/events" | jq -r .event.message)" "bq-upload failed" \
    "and decoded"
envelope c nolength > "$T/e2"
is "$(post "$T/e2" -H "$AUTH" "$URL/api/42/envelope/")" 200 \
    "an item without length runs to the end of the line"
is "$(post "$T/e1" "$URL/api/42/envelope/?sentry_version=7&sentry_key=testkey")" \
    200 "the query-string form of the auth works"
is "$(post "$T/e1" -H "$AUTH" "$URL/sentry/api/42/envelope/")" 200 \
    "a DSN path prefix works"
is "$(count)" 5 "five events recorded so far"

is "$(post "$T/e1" -H "$(echo "$AUTH" | sed s/testkey/wrongkey/)" \
    "$URL/api/42/envelope/")" 403 "a wrong key is refused (403)"
grep -qi '^X-Sentry-Error: invalid api key' "$T/h"
ok $? "with X-Sentry-Error"
is "$(post "$T/e1" "$URL/api/42/envelope/")" 401 "no auth is refused (401)"
is "$(post "$T/e1" -H 'X-Sentry-Auth: Sentry sentry_version=6, sentry_key=testkey' \
    "$URL/api/42/envelope/")" 401 "sentry_version other than 7 is refused"
is "$(post "$T/e1" -H "$AUTH" "$URL/api/43/envelope/")" 403 \
    "another project is refused"
is "$(post "$T/e1" -H "$AUTH" "$URL/api/42/envelop/")" 404 "a wrong path is 404"

sed 's/"length":[0-9]*/"length":9999/' "$T/e1" > "$T/bad1"
is "$(post "$T/bad1" -H "$AUTH" "$URL/api/42/envelope/")" 400 \
    "a length past the end of the envelope is 400"
grep -qi '^X-Sentry-Error: .*truncated' "$T/h"
ok $? "and says why"
envelope java > "$T/bad2"
sed -i 's/"platform":"java"/"platform":"cobol"/' "$T/bad2"
sed -i 's/"length":\([0-9]*\)/"length":\1X/' "$T/bad2"
is "$(post "$T/bad2" -H "$AUTH" "$URL/api/42/envelope/")" 400 \
    "a broken item header is 400"
envelope cobol > "$T/bad3"
is "$(post "$T/bad3" -H "$AUTH" "$URL/api/42/envelope/")" 400 \
    "an event with an unknown platform is 400"
printf 'not json\n' > "$T/bad4"
is "$(post "$T/bad4" -H "$AUTH" "$URL/api/42/envelope/")" 400 \
    "a body that is no envelope is 400"
is "$(post "$T/e1" -H "$AUTH" -H 'Content-Encoding: gzip' "$URL/api/42/envelope/")" \
    400 "a body that is not the gzip it claims is 400"
is "$(count)" 5 "refused envelopes are not recorded"

# -- modes, changed at run time -------------------------------------------
curl -sS -o /dev/null -d '{"mode":"429","retry_after":60}' "$URL/_mode"
is "$(post "$T/e1" -H "$AUTH" "$URL/api/42/envelope/")" 429 "mode 429: 429"
is "$(tr -d '\r' < "$T/h" | sed -n 's/^Retry-After: //Ip')" 60 "with Retry-After: 60"
is "$(tr -d '\r' < "$T/h" | sed -n 's/^X-Sentry-Rate-Limits: //Ip')" \
    "60:error;default:organization:quota_exceeded" "and X-Sentry-Rate-Limits"
curl -sS -o /dev/null -d '{"mode":"429-bare"}' "$URL/_mode"
is "$(post "$T/e1" -H "$AUTH" "$URL/api/42/envelope/")" 429 "mode 429-bare: 429"
! grep -qi '^Retry-After' "$T/h"
ok $? "without Retry-After"
curl -sS -o /dev/null -d '{"mode":"500"}' "$URL/_mode"
is "$(post "$T/e1" -H "$AUTH" "$URL/api/42/envelope/")" 500 "mode 500: 500"
curl -sS -o /dev/null -d '{"mode":"200-limits","retry_after":"2.5"}' "$URL/_mode"
is "$(post "$T/e1" -H "$AUTH" "$URL/api/42/envelope/")" 200 "mode 200-limits: 200"
is "$(tr -d '\r' < "$T/h" | sed -n 's/^X-Sentry-Rate-Limits: //Ip')" \
    "2.5:error;default:organization" "with a float X-Sentry-Rate-Limits"
curl -sS -o /dev/null -d '{"mode":"slow","delay":1}' "$URL/_mode"
timeout 30 curl -sS -m 0.5 -o /dev/null -H "$AUTH" --data-binary @"$T/e1" \
    "$URL/api/42/envelope/" 2>/dev/null
is "$?" 28 "mode slow: a client with a short timeout gives up"
curl -sS -o /dev/null -d ok "$URL/_mode"
is "$(post "$T/e1" -H "$AUTH" "$URL/api/42/envelope/")" 200 "back to ok"
is "$(curl -sS -d nonsense "$URL/_mode" -o /dev/null -w '%{http_code}')" 400 \
    "an unknown mode is refused"
sleep 0.8
is "$(count)" 8 "429/500 modes dropped events; the slow one arrived late"
! jq -c 'del(.envelope.dsn)' "$T/events" | grep -q testkey
ok $? "the auth header's key is not recorded"

stop_bg "$SPID"
is "$(cat "$T/err")" "" "the server wrote nothing on standard error"

done_testing

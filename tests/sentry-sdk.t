#!/bin/sh
# The official Sentry JavaScript SDK core (@sentry/core: DSN parsing,
# envelope writer, auth, rate limiter) against the fake Sentry server: the
# fake is trusted only as far as a real client agrees with it.
. tests/lib.sh

D=$TOP/tests/fidelity/sentry
if [ ! -d "$D/node_modules/@sentry/core" ]; then
	diag "node_modules missing in tests/fidelity/sentry: run scripts/install-deps"
	ok 1 "the Sentry SDK is installed"
	done_testing
	exit 1
fi
start_bg "$TOP/tests/servers/sentry-server" --port 0 --port-file "$T/port" \
    --out "$T/events" --key pubkey --project 7 2> "$T/err"
SPID=$BG_PID
i=0
while [ ! -s "$T/port" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
URL=http://127.0.0.1:$(cat "$T/port")
send() { (cd "$D" && timeout 30 node send.js "$@") 2>> "$T/node.err"; }
mode() { curl -sS -o /dev/null -d "$1" "$URL/_mode"; }

send "http://pubkey@127.0.0.1:$(cat "$T/port")/7" "first boom" second > "$T/out"
is "$(jq -r .status "$T/out" | tr '\n' ' ')" "200 200 " \
    "the SDK's envelopes are accepted (strict event checks)"
is "$(jq -r '[.event.exception.values[0].type, .event.exception.values[0].value,
    .event.platform, .event.level, .event.tags.table, .event.release,
    .event.environment] | join(" ")' "$T/events" | head -n 1)" \
    "Error first boom node error FA pohoda-sync@0.1 test" \
    "the recorded event has the SDK's exception, tags, release, environment"
is "$(jq -r '.envelope.event_id == .event.event_id' "$T/events" | sort -u)" true \
    "envelope header and payload agree on event_id"
is "$(jq -r '.event.exception.values[0].stacktrace.frames | length > 0' \
    "$T/events" | sort -u)" true "stack frames arrive"

mode 429
send "http://pubkey@127.0.0.1:$(cat "$T/port")/7" third fourth > "$T/out"
is "$(jq -r .status "$T/out" | tr '\n' ' ')" "429 dropped " \
    "after a 429 with X-Sentry-Rate-Limits the SDK holds the next event back"
mode ok
send "http://wrongkey@127.0.0.1:$(cat "$T/port")/7" fifth > "$T/out"
is "$(jq -r .status "$T/out")" 403 "a DSN with a wrong key is refused"
send "http://pubkey@127.0.0.1:$(cat "$T/port")/prefix/7" sixth > "$T/out"
is "$(jq -r .status "$T/out")" 200 "a DSN with a path prefix works"
is "$(wc -l < "$T/events")" 3 "three events recorded"
is "$(cat "$T/node.err")" "" "the SDK reported no error"
stop_bg "$SPID"
is "$(cat "$T/err")" "" "the server wrote nothing on standard error"

done_testing

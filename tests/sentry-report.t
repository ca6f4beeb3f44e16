#!/bin/sh
# sentry-report.t: pohoda-report sends one well-formed event through the
# DSN's envelope endpoint, with the run's context and the log's last
# lines scrubbed of secrets; it does nothing without a DSN, gives up at
# once on 429, within its timeouts on a slow or absent Sentry, and
# refuses a DSN it cannot use safely.
. tests/lib.sh

KEY=k3y$$abcdef
PW=pw-$$-Secret
EVENTS=$T/events
rep=$BIN/pohoda-report

start_bg "$TOP/tests/servers/sentry-server" --port 0 --port-file "$T/port" \
    --out "$EVENTS" --key "$KEY" --project 42 --delay 30 \
    > "$T/server.out" 2>&1
i=0
while [ ! -s "$T/port" ] && [ "$i" -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
PORT=$(cat "$T/port")
SURL=http://127.0.0.1:$PORT

config() {	# config DSN
	cat > "$T/c.json" <<-JSON
	{"mssql": {"host": "h", "user": "u", "password": "$PW",
	   "database": "d"},
	 "log": {"file": "sync.log"},
	 "sentry": {"dsn": "$1", "environment": "staging"}}
	JSON
	chmod 600 "$T/c.json"
}
mode() {
	curl -s -X POST -d "{\"mode\": \"$1\"}" "$SURL/_mode" > /dev/null
}
events() {
	if [ -f "$EVENTS" ]; then wc -l < "$EVENTS" | tr -d ' '; else echo 0; fi
}

# a log with secrets in it, as a careless program might have written
for n in $(seq 1 80); do
	echo "2026-12-03T04:00:00Z INFO x[1] n=$n"
done > "$T/sync.log"
echo "2026-12-03T04:00:01Z ERROR x[1] login with $PW failed" >> "$T/sync.log"
echo "2026-12-03T04:00:02Z DEBUG x[1] Authorization: Bearer ya29.AbC-dEf_123" \
    >> "$T/sync.log"

config ""
"$rep" -c "$T/c.json" -r R1 "nothing to say"
is "$?" 0 "an empty DSN: exit 0"
is "$(events)" 0 "and nothing is sent"

config "http://$KEY@127.0.0.1:$PORT/42"
"$rep" -c "$T/c.json" -r 20261203T040002Z -t FA -s extract \
    -p pohoda-extract -x 69 "run 20261203T040002Z failed:" "FA ($PW)"
is "$?" 0 "an event is sent: exit 0"
is "$(events)" 1 "the server recorded one event"
ev=$(head -n 1 "$EVENTS")
j() { printf '%s' "$ev" | jq -r "$1"; }
is "$(j .project)" 42 "to the DSN's project"
is "$(j .endpoint)" envelope "through the envelope endpoint"
is "$(j '.event.tags | [.run, .table, .step, .program, .exit_status] | join(" ")')" \
    "20261203T040002Z FA extract pohoda-extract 69" \
    "tags: run, table, step, program, exit status"
is "$(j .event.level)" error "level error"
is "$(j .event.environment)" staging "the config's environment"
is "$(j .event.release)" "pohoda-sync@$("$rep" --version | awk '{ print $3 }')" \
    "the release is pohoda-sync@version"
is "$(j .event.logentry.formatted)" \
    "run 20261203T040002Z failed: FA ([scrubbed])" \
    "the message, with the password scrubbed"
tail=$(j .event.extra.log_tail)
is "$(printf '%s\n' "$tail" | grep -c .)" 50 "the last 50 log lines"
case $tail in *"n=80"*) ok 0 "ending with the newest" ;;
*) ok 1 "ending with the newest" ;; esac
grep -qF -e "$PW" -e "ya29.AbC" -e "$KEY" "$EVENTS"
isnt "$?" 0 "no password, token or key in what was sent"
is "$(printf '%s' "$ev" | jq -r .event.event_id | grep -cE '^[0-9a-f]{32}$')" \
    1 "a 32-hex event id"
grep -q "pohoda-report\[[0-9]*\] step=report status=sent" "$T/sync.log"
ok $? "the report is logged"

# 429: dropped at once, one request, exit 75
mode 429
before=$(curl -s "$SURL/_stats")
"$rep" -c "$T/c.json" -r R2 "again" 2> "$T/err"
is "$?" 75 "rate-limited: exit 75"
after=$(curl -s "$SURL/_stats")
reqs() { printf '%s' "$1" | jq -r '.requests // .ingest // 0'; }
is "$(($(reqs "$after") - $(reqs "$before")))" 1 "one request, no retry"
grep -q "rate limited" "$T/err"
ok $? "and says it was rate-limited"
is "$(events)" 1 "nothing recorded"

# slow Sentry: the 10 s budget holds
mode slow
start=$(date +%s)
"$rep" -c "$T/c.json" -r R3 "slow" 2> /dev/null
rc=$?
took=$(($(date +%s) - start))
is "$rc" 69 "a Sentry slower than the timeout: exit 69"
ok "$([ "$took" -ge 9 ] && [ "$took" -le 13 ]; echo $?)" \
    "after about 10 seconds (${took}s)"
mode ok

# nothing listening
config "http://$KEY@127.0.0.1:$(free_port)/42"
"$rep" -c "$T/c.json" "down" 2> /dev/null
is "$?" 69 "Sentry unreachable: exit 69"

# DSNs that cannot be used
config "http://$KEY@sentry.example.com/42"
out=$("$rep" -c "$T/c.json" "x" 2>&1)
is "$?" 78 "plain http to a remote host is refused (78)"
case $out in *"$KEY"*) ok 1 "without showing the key" ;;
*) ok 0 "without showing the key" ;; esac
config "not a dsn"
"$rep" -c "$T/c.json" "x" 2> /dev/null
is "$?" 78 "a malformed DSN: exit 78"
"$rep" -c "$T/c.json" 2> /dev/null
is "$?" 64 "no message: usage, exit 64"
done_testing

#!/bin/sh
# sentry-report-check.t: pohoda-report --check reads the config and the
# DSN and sends nothing, so that the driver finds a DSN it could never
# use before the run (a malformed one lost every failure report).
. tests/lib.sh
plan 7

cfg() {
	printf '{"sentry": {"dsn": "%s"}}\n' "$1" > "$T/c.json"
	chmod 600 "$T/c.json"
}

cfg "http://k1@127.0.0.1:1/7"
"$BIN/pohoda-report" -c "$T/c.json" --check > "$T/out" 2> "$T/err"
is "$?" 0 "a loopback DSN is fine (nothing is sent to port 1)"
is "$(cat "$T/out" "$T/err")" "" "and --check is silent"

cfg ""
"$BIN/pohoda-report" -c "$T/c.json" --check 2> "$T/err"
is "$?" 0 "no DSN is fine"

cfg "garbage"
"$BIN/pohoda-report" -c "$T/c.json" --check 2> "$T/err"
is "$?" 78 "a malformed DSN: exit 78"
is "$(cat "$T/err")" "pohoda-report: $T/c.json: sentry.dsn: expected\
 PROTOCOL://KEY@HOST[:PORT][/PATH]/PROJECT" "naming the key"

cfg "http://k1@192.0.2.1/7"
"$BIN/pohoda-report" -c "$T/c.json" --check 2> "$T/err"
is "$?" 78 "plain http to a host that is not loopback: exit 78"

"$BIN/pohoda-report" -c "$T/c.json" --check extra 2> "$T/err"
is "$?" 64 "--check takes no message"

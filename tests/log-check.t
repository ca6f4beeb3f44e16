#!/bin/sh
# log-check.t: pohoda-log --check also tries what the config names
# outside itself that the driver needs first: a log whose folder is
# missing or not writable is a config error naming log.file and the
# file, said once, before any run starts.
. tests/lib.sh
plan 6

cfg() {
	printf '{"log": {"file": "%s"}}\n' "$1" > "$T/c.json"
	chmod 600 "$T/c.json"
}

cfg sync.log
"$BIN/pohoda-log" -c "$T/c.json" --check 2> "$T/err"
is "$?" 0 "a log in the config's folder is fine"
ok "$([ ! -e "$T/sync.log" ]; echo $?)" "and --check does not create it"

cfg nolog/sync.log
"$BIN/pohoda-log" -c "$T/c.json" --check 2> "$T/err"
is "$?" 78 "a log in a missing folder: exit 78"
is "$(cat "$T/err")" \
    "pohoda-log: $T/c.json: log.file: $T/nolog/sync.log: No such file or directory" \
    "naming the key and the file"

: > "$T/afile"
cfg afile/sync.log
"$BIN/pohoda-log" -c "$T/c.json" --check 2> "$T/err"
is "$?" 78 "a log under a file: exit 78"

cfg ""
"$BIN/pohoda-log" -c "$T/c.json" --check 2> "$T/err"
is "$?" 0 "no log at all is fine"

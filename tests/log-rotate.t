#!/bin/sh
# log-rotate.t: pohoda-log, the driver's way into sync.log: 30 MB of
# events from four writers at once with log.max_bytes 10 MB leave the log
# and at most 5 older files, each under the limit, every line whole and
# every event there exactly once; fields are quoted; --check names keys.
. tests/lib.sh
plan 17

cat > "$T/c.json" <<'JSON'
{"log": {"file": "sync.log", "max_bytes": 10485760, "backups": 5}}
JSON
chmod 600 "$T/c.json"

# writer W N: N numbered lines of 200-odd bytes for pohoda-log -i
writer() {
	awk -v w="$1" -v n="$2" 'BEGIN {
		pad = sprintf("%150s", ""); gsub(/ /, "x", pad)
		for (i = 1; i <= n; i++) printf "w%d-n%06d-%s\n", w, i, pad
	}' | "$BIN/pohoda-log" -c "$T/c.json" -p writer -P "$1" -i INFO \
	    table=T step=test
}
per=40000	# 4 x 40000 lines x ~225 bytes = ~36 MB
pids=
for w in 1 2 3 4; do
	writer "$w" "$per" &
	pids="$pids $!"
done
rc=0
for p in $pids; do
	wait "$p" || rc=1
done
is "$rc" 0 "four concurrent writers finish"

cd "$T" || exit 1
total=$(cat sync.log sync.log.[0-9]* | wc -c)
ok "$([ "$total" -gt 31457280 ]; echo $?)" "more than 30 MB was written ($total bytes)"
old=0
for f in sync.log.*; do
	case $f in sync.log.[0-9]|sync.log.[0-9][0-9]) old=$((old + 1)) ;; esac
done
ok "$([ "$old" -ge 2 ] && [ "$old" -le 5 ]; echo $?)" \
    "the log rotated, keeping at most 5 older files ($old)"
is "$(ls sync.log.6 2>/dev/null)" "" "no sixth older file"
big=0
for f in sync.log sync.log.[0-9]*; do
	[ "$(wc -c < "$f")" -le 10485760 ] || big=1
done
is "$big" 0 "every file is within log.max_bytes"
bad=$(cat sync.log sync.log.[0-9]* | grep -cvE '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z INFO writer\[[1-4]\] table=T step=test msg=w[1-4]-n[0-9]{6}-x{150}$')
is "$bad" 0 "every line is one whole event"
lines=$(cat sync.log sync.log.[0-9]* | wc -l)
is "$lines" $((4 * per)) "no line lost"
dups=$(cat sync.log sync.log.[0-9]* | sed 's/.*msg=//' | sort | uniq -d |
    wc -l)
is "$dups" 0 "no line twice"
for w in 1 2 3 4; do
	# within one writer the lines keep their order across the files
	cat sync.log.5 sync.log.4 sync.log.3 sync.log.2 sync.log.1 sync.log \
	    2>/dev/null | sed -n "s/.*msg=w$w-n\([0-9]*\)-.*/\1/p" |
	    sort -c 2>/dev/null || { ok 1 "writer $w's lines in order"; continue; }
	ok 0 "writer $w's lines in order"
done
perm=$(stat -c %a sync.log)
is "$perm" 600 "the log is created mode 0600"
cd "$TOP" || exit 1

# fields with spaces are quoted, and the driver's name and pid are shown
rm -f "$T"/sync.log*
"$BIN/pohoda-log" -c "$T/c.json" -p run-sync.sh -P 4242 WARNING run=R \
    msg='a b "c"'
line=$(cat "$T/sync.log")
case $line in
*' WARNING run-sync.sh[4242] run=R msg="a b \"c\""')
	ok 0 "name, pid and a quoted value" ;;
*)	ok 1 "name, pid and a quoted value"; diag "$line" ;;
esac

# --check: the key path in the message, 78 for a bad config
printf '{"log": {"max_bytes": "big"}}\n' > "$T/bad.json"
out=$("$BIN/pohoda-log" -c "$T/bad.json" --check 2>&1); rc=$?
is "$rc" 78 "--check exits 78 on a bad config"
case $out in *"bad.json: log.max_bytes: expected a whole number"*)
	ok 0 "--check names the key path" ;;
*)	ok 1 "--check names the key path"; diag "$out" ;;
esac
"$BIN/pohoda-log" -c "$T/c.json" INFO "not a field" 2>/dev/null
is "$?" 64 "a field that is not key=value is a usage error"

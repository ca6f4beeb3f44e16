#!/bin/sh
# lib.t: the shared library: config checks name the key, relative paths,
# manifests catch damage, the log rotates without breaking lines, atomic
# files leave no temporary behind.
. tests/lib.sh
lt="$UNIT/lib-test"

cfg() { printf '%s\n' "$1" > "$T/c.json"; chmod 600 "$T/c.json"; }

cfg '{"mssql": {"host": "h", "port": "1433", "user": "u",
  "password": "p", "database": "d"}}'
out=$("$lt" config "$T/c.json" 2>&1); rc=$?
is "$rc" 78 "a string port is a configuration error"
case "$out" in *"c.json: mssql.port: expected a whole number, not a string"*)
	ok 0 "the message names the key path and the type" ;;
*) ok 1 "the message names the key path and the type"; diag "$out" ;; esac

cfg '{"batch_size": 1.5}'
out=$("$lt" config "$T/c.json" 2>&1)
is "$out" "lib-test: $T/c.json: batch_size: expected a whole number, not a fraction" \
    "a fraction where a whole number belongs is called one"

cfg '{"mssql": {"host": "h", "user": "u", "password": "p"}}'
out=$("$lt" config "$T/c.json" 2>&1)
case "$out" in *"mssql.database: missing"*) ok 0 "a missing key is named" ;;
*) ok 1 "a missing key is named"; diag "$out" ;; esac

cfg '{"batch_size": 10, "spool": "x"}'
out=$("$lt" config "$T/c.json" 2>&1); rc=$?
is "$rc" 78 "an unknown key is an error"
case "$out" in *"spool: unknown key"*) ok 0 "the unknown key is named" ;;
*) ok 1 "the unknown key is named"; diag "$out" ;; esac

cfg '{"mssql": {"host": "h", "user": "u", "password": "p", "database": "d",
  "login_timeout": 0}}'
out=$("$lt" config "$T/c.json" 2>&1)
is "$?/$out" \
    "78/lib-test: $T/c.json: mssql.login_timeout: 0 is out of range (1 to 3600)" \
    "a login timeout of 0 (wait for ever) is refused"

cfg '{"mssql": []}'
out=$("$lt" config "$T/c.json" 2>&1)
is "$out" "lib-test: $T/c.json: mssql: expected an object, not an array" \
    "a section of the wrong type is one message"

cfg '{"log": {"level": "LOUD"}}'
"$lt" config "$T/c.json" > /dev/null 2>&1
is $? 78 "a bad log level is an error"

cfg '{"mssql": {"host": "h", "user": "u", "password": "s3cr3t-pw",
  "database": "d"}, "mssql": {}}'
out=$("$lt" config "$T/c.json" 2>&1)
is $? 78 "a duplicate key is an error"
case "$out" in *s3cr3t-pw*) ok 1 "no password in messages" ;;
*) ok 0 "no password in messages" ;; esac

cfg '{"mssql": {"host": "h", "user": "u", "password": "p", "database": "d"},
  "spool_dir": "sp", "log": {"file": "/var/log/x.log"}, "batch_size": 7}'
out=$("$lt" config "$T/c.json")
is "$(printf '%s\n' "$out" | grep '^spool_dir=')" "spool_dir=$T/sp" \
    "relative paths are relative to the config's folder"
is "$(printf '%s\n' "$out" | grep '^log.file=')" "log.file=/var/log/x.log" \
    "absolute paths are kept"
is "$(printf '%s\n' "$out" | grep '^mssql.port=')" "mssql.port=1433" \
    "the port defaults to 1433"

chmod 644 "$T/c.json"
out=$("$lt" config "$T/c.json" 2>&1 >/dev/null)
case "$out" in *"readable by group or others"*) ok 0 "a readable config warns" ;;
*) ok 1 "a readable config warns" ;; esac

# jansson quotes the text near a syntax error, which can be the password
for bad in '{"mssql": {"password": "s3cr3t-pw\n"}}' \
    '{"mssql": {"password": s3cr3t-pw}}'; do
	# shellcheck disable=SC2059 # the newline inside the string is meant
	printf "$bad\n" > "$T/c.json"
	out=$("$lt" config "$T/c.json" 2>&1)
	case "$out" in
	*s3cr3t*) ok 1 "a syntax error does not quote the config"
		diag "$out" ;;
	*"line 1, column"*) ok 0 "a syntax error does not quote the config" ;;
	*) ok 1 "a syntax error does not quote the config"; diag "$out" ;;
	esac
done

# the config path: -c, else $POHODA_SYNC_CONFIG when not empty, else
# ./config.json, the same in every program
is "$(POHODA_SYNC_CONFIG=/x/c.json "$lt" path given.json)" given.json \
    "-c wins over the environment"
is "$(POHODA_SYNC_CONFIG=/x/c.json "$lt" path)" /x/c.json \
    "POHODA_SYNC_CONFIG is the next choice"
is "$(POHODA_SYNC_CONFIG='' "$lt" path)" config.json \
    "an empty POHODA_SYNC_CONFIG counts as unset"
mkdir "$T/cwd"
printf '{"batch_size": true}\n' > "$T/cwd/config.json"
chmod 600 "$T/cwd/config.json"
for p in pohoda-log pohoda-report bq-upload; do
	out=$(cd "$T/cwd" && POHODA_SYNC_CONFIG='' "$BIN/$p" --check 2>&1)
	case $out in *"config.json: batch_size: expected"*)
		ok 0 "$p: an empty POHODA_SYNC_CONFIG reads ./config.json" ;;
	*) ok 1 "$p: an empty POHODA_SYNC_CONFIG reads ./config.json"
		diag "$out" ;;
	esac
done

printf 'not json' > "$T/c.json"
out=$("$lt" config "$T/c.json" 2>&1)
case "$out" in *"c.json: line 1, column"*) ok 0 "a JSON error gives the line" ;;
*) ok 1 "a JSON error gives the line"; diag "$out" ;; esac

# manifest: written by hand from sha256sum, so the module is checked
# against an independent checksum
mkdir "$T/b"
printf '{"a":1}\n{"a":2}\n' | gzip > "$T/b/00001.ndjson.gz"
sum=$(sha256sum < "$T/b/00001.ndjson.gz" | cut -d' ' -f1)
size=$(wc -c < "$T/b/00001.ndjson.gz")
printf '# pohoda-batch manifest 1\n00001.ndjson.gz\t2\t16\t%s\t%s\n' \
    "$size" "$sum" > "$T/b/manifest"
printf 'total\t2\t16\t%s\t1\n' "$size" >> "$T/b/manifest"
is "$("$lt" manifest "$T/b")" "batches=1 rows=2 bytes=16" "a manifest reads"
cp "$T/b/00001.ndjson.gz" "$T/keep.gz"
printf 'x' | dd of="$T/b/00001.ndjson.gz" bs=1 seek=12 conv=notrunc \
    2>/dev/null
out=$("$lt" manifest "$T/b" 2>&1)
is $? 65 "a flipped byte is caught"
case "$out" in *"00001.ndjson.gz: does not match"*)
	ok 0 "the damaged file is named" ;;
*) ok 1 "the damaged file is named"; diag "$out" ;; esac
cp "$T/keep.gz" "$T/b/00001.ndjson.gz"
sed -i '$d' "$T/b/manifest"
"$lt" manifest "$T/b" > /dev/null 2>&1
is $? 65 "a manifest without its total line is refused"

# log: 4 writers, 1000 lines of about 115 bytes each, a 100 KiB limit:
# about 450 KiB, which sync.log and its 5 old files can hold whole
for w in 1 2 3 4; do
	"$lt" log "$T/sync.log" 102400 1000 "w$w" &
done
wait
n=$(cat "$T"/sync.log* 2>/dev/null | wc -l)
files=$(find "$T" -maxdepth 1 -name 'sync.log*' ! -name '*.lock' | wc -l)
ok $(( files <= 6 ? 0 : 1 )) "at most 5 old logs are kept ($files files)"
big=$(find "$T" -maxdepth 1 -name 'sync.log*' -size +100k | wc -l)
is "$big" 0 "no log file is over the limit"
bad=$(cat "$T"/sync.log* | grep -cv \
    '^[0-9T:-]*Z INFO lib-test\[[0-9]*\] tag=w[1-4] n=[0-9]* pad=\.*$')
is "$bad" 0 "every line is whole"
is "$n" 4000 "no line is lost"
for w in 1 2 3 4; do
	seq=$(cat "$T"/sync.log* | grep "tag=w$w " |
	    sed 's/.* n=\([0-9]*\).*/\1/' | sort -n | uniq | wc -l)
	[ "$seq" -eq 1000 ] || break
done
is "$seq" 1000 "every writer's every line is there once"
perm=$(stat -c %a "$T/sync.log")
is "$perm" 600 "the log is created 0600"

"$lt" atomic "$T/a.txt" hello
is "$(cat "$T/a.txt")" hello "an atomic file is written"
is "$(find "$T" -name '.a.txt.tmp.*' | wc -l)" 0 "no temporary is left"
"$lt" istemp "dir/.data.ndjson.gz.tmp.Ab12Cd"
ok $? "temporary names are recognised"
"$lt" istemp "dir/data.ndjson.gz"
ok $((! $?)) "final names are not temporary"
done_testing

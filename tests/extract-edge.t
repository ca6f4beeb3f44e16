#!/bin/sh
# extract-edge.t: pohoda-extract at its edges: a reader that goes away,
# odd query files, odd options, odd configurations and servers that are
# not SQL Server.  Each case checks the exit status of DESIGN §7, a
# message that names the thing, and no file left behind.
. tests/lib.sh
. tests/extract/env.sh

X=$BIN/pohoda-extract
PW=pohoda-test-pw
mkdir "$T/out"

# left: what is in $T/out (final names and temporary files); clean
left() { ls -A "$T/out"; }
clean() { find "$T/out" -mindepth 1 -delete; }

"$PY" -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).close()' \
    "$T/empty.sqlite"
tds_start "$T/empty.sqlite" --synthetic-rows 200000
ok $? "tds-server with 200000 synthetic rows"
CFG=$(tds_cfg_file "$TDS_PORT")

# 1. a reader that stops early (| head -1): the extract dies of SIGPIPE
# as cat(1) would, quietly, and leaves no temporary schema file
( "$X" -q -c "$CFG" -m "$T/out/s.json" -e 'SELECT * FROM BIG' 2> "$T/e"
  echo $? > "$T/rc" ) | head -n 1 > "$T/first"
grep -q '^{"ID":1,' "$T/first"
ok $? "| head -1: the first row arrives"
is "$(cat "$T/rc")" 141 "| head -1: ended by SIGPIPE (128 + 13)"
is "$(cat "$T/e")" "" "| head -1: no message"
is "$(left)" "" "| head -1: no schema file, no temporary file"
clean
# with SIGPIPE ignored by the caller, the write fails: a message, exit 1
( trap '' PIPE
  "$X" -q -c "$CFG" -m "$T/out/s.json" -e 'SELECT * FROM BIG' 2> "$T/e"
  echo $? > "$T/rc" ) | head -n 1 > /dev/null
is "$(cat "$T/rc")" 1 "SIGPIPE ignored: exit 1"
grep -q '^pohoda-extract: stdout: Broken pipe$' "$T/e"
ok $? "SIGPIPE ignored: says stdout: Broken pipe"
is "$(left)" "" "SIGPIPE ignored: no schema file, no temporary file"
clean

# 2. a query file saved with a byte order mark (Windows Notepad): the
# mark says how the file is encoded and is no part of the query
printf '\357\273\277SELECT TOP 2 ID FROM BIG\r\n' > "$T/bom.sql"
"$X" -q -c "$CFG" "$T/bom.sql" > "$T/got" 2> "$T/e"
is "$?" 0 "a UTF-8 byte order mark: 0"
printf '{"ID":1}\n{"ID":2}\n' > "$T/want"
files_eq "$T/got" "$T/want" "a UTF-8 byte order mark: the rows"

# 3. a query that is not UTF-8 (a file saved in code page 1250): refused
# before it reaches FreeTDS, which would send what comes before the bad
# byte and fail with a message about character sets
printf -- '-- faktury\nSELECT ID FROM BIG WHERE Firma = \047\350\047\n' \
    > "$T/cp1250.sql"
"$X" -q -c "$CFG" -o "$T/out/x.ndjson" "$T/cp1250.sql" 2> "$T/e"
is "$?" 65 "a query in code page 1250: 65"
is "$(cat "$T/e")" \
    "pohoda-extract: $T/cp1250.sql: line 2, byte 35: not valid UTF-8" \
    "a query in code page 1250: says where"
is "$(left)" "" "a query in code page 1250: no file"
"$X" -q -c "$CFG" -e "$(printf 'SELECT \377 AS a')" 2> "$T/e"
is "$?" 65 "-e with invalid UTF-8: 65"
grep -q '^pohoda-extract: query: line 1, byte 8: not valid UTF-8$' "$T/e"
ok $? "-e with invalid UTF-8: says where"

# 4. an empty query is the same mistake with -e as in a file
for q in '' ' ' "$(printf '\r\n\t')"; do
	"$X" -q -c "$CFG" -e "$q" 2> "$T/e"
	is "$?" 65 "-e '$q': 65"
	is "$(cat "$T/e")" "pohoda-extract: query: empty query" \
	    "-e '$q': says the query is empty"
done

# 5. query and config files that cannot be read: DESIGN §7 has no 66, so
# an unreadable query is 1 (as for pohoda-rewrite and pohoda-batch), a
# query too large to be one is 65 and a config file's trouble 78
"$X" -q -c "$CFG" "$T/nothing.sql" 2> "$T/e"
is "$?" 1 "a missing query file: 1"
is "$(cat "$T/e")" \
    "pohoda-extract: $T/nothing.sql: No such file or directory" \
    "a missing query file: named, with the reason"
"$X" -q -c "$CFG" "$T/out" 2> "$T/e"
is "$?" 1 "a folder as the query file: 1"
is "$(cat "$T/e")" "pohoda-extract: $T/out: Is a directory" \
    "a folder as the query file: says so"
{ echo 'SELECT 1 AS a'; head -c 16777216 /dev/zero | tr '\0' ' '; } \
    > "$T/huge.sql"
"$X" -q -c "$CFG" "$T/huge.sql" 2> "$T/e"
is "$?" 65 "a query file over 16 MiB: 65"
is "$(cat "$T/e")" "pohoda-extract: $T/huge.sql: larger than 16 MiB" \
    "a query file over 16 MiB: says the limit"
rm -f "$T/huge.sql"
"$X" -q -c "$T/nothing.json" -e 'SELECT 1' 2> "$T/e"
is "$?" 78 "a missing config: 78"
grep -q "nothing.json: No such file or directory" "$T/e"
ok $? "a missing config: named, with the reason"
"$X" -q -c "$T/out" -e 'SELECT 1' 2> "$T/e"
is "$?" 78 "a folder as the config: 78"
grep -q "out: Is a directory" "$T/e"
ok $? "a folder as the config: says so"

# 6. -o and -m on one file: the rows would silently replace the schema
"$X" -q -c "$CFG" -o "$T/out/x.json" -m "$T/out/x.json" \
    -e 'SELECT TOP 1 ID FROM BIG' 2> "$T/e"
is "$?" 64 "-o and -m the same file: 64"
grep -q '^pohoda-extract: -o and -m name the same file' "$T/e"
ok $? "-o and -m the same file: says so"
is "$(left)" "" "-o and -m the same file: nothing written"
"$X" -q -c "$CFG" -o "$T/out/x.json" -m "$T/out/../out/x.json" \
    -e 'SELECT TOP 1 ID FROM BIG' 2> "$T/e"
is "$?" 64 "-o and -m the same file by two paths: 64"
"$X" -q -c "$CFG" -m - -e 'SELECT TOP 1 ID FROM BIG' > "$T/got" 2> "$T/e"
is "$?" 64 "-m - with the rows on stdout too: 64"
is "$(wc -c < "$T/got")" 0 "-m - with the rows on stdout too: nothing written"
"$X" -q -c "$CFG" -o "$T/out/x.ndjson" -m - \
    -e 'SELECT TOP 1 ID FROM BIG' > "$T/got" 2> "$T/e"
is "$?" 0 "-m - with -o FILE: 0"
grep -q '"name": "ID", "type": "INT64"' "$T/got"
ok $? "-m - with -o FILE: the schema on stdout"
clean
for opt in -o -m -T; do
	"$X" -q -c "$CFG" "$opt" '' -e 'SELECT TOP 1 ID FROM BIG' 2> "$T/e"
	is "$?" 64 "$opt '': 64"
	is "$(cat "$T/e")" "pohoda-extract: $opt: empty name" \
	    "$opt '': says the name is empty"
done

done_testing

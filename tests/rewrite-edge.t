#!/bin/sh
# rewrite-edge.t: pohoda-rewrite on odd inputs and odd outputs: text
# without a statement, long names, deep nesting, bytes that are not
# UTF-8, a closed or broken standard output.
. tests/lib.sh

R=$BIN/pohoda-rewrite

# only comments and white space: the same bytes back, exit 0
printf -- '-- nothing here\r\n/* nor /* here */ */\n\t\n' > "$T/in"
"$R" -s S -d D "$T/in" > "$T/out"
is "$?" 0 "only comments: 0"
cmp -s "$T/in" "$T/out"
ok $? "only comments: every byte back"

# NUL bytes and bytes that are not UTF-8 around a table name
printf 'SELECT \377\0 FROM FA\0 JOIN AD ON 1 = 1 -- \351\n' > "$T/in"
printf 'SELECT \377\0 FROM [S].[D].dbo.FA\0 JOIN [S].[D].dbo.AD ON 1 = 1 -- \351\n' \
    > "$T/want"
"$R" -s S -d D "$T/in" > "$T/out"
is "$?" 0 "NUL and non-UTF-8 bytes: 0"
cmp -s "$T/out" "$T/want"
ok $? "NUL and non-UTF-8 bytes: kept, the tables qualified"

# a 100000-byte table name, bare and bracketed
"$PY" -c 'import sys
n = "A" * 100000
sys.stdout.write("SELECT * FROM %s JOIN [%s] ON 1 = 1" % (n, n))' > "$T/in"
"$PY" -c 'import sys
n = "A" * 100000
sys.stdout.write("SELECT * FROM [S].[D].dbo.%s JOIN [S].[D].dbo.[%s] "
                 "ON 1 = 1" % (n, n))' > "$T/want"
"$R" -s S -d D "$T/in" > "$T/out"
is "$?" 0 "100000-byte names: 0"
cmp -s "$T/out" "$T/want"
ok $? "100000-byte names: qualified"

# 200000 nested derived tables: no recursion that runs out of stack
"$PY" -c 'import sys
n = 200000
sys.stdout.write("SELECT * FROM " + "(" * n + "SELECT 1 x FROM FA" +
                 ") t" * n)' > "$T/in"
"$R" -s S -d D "$T/in" > "$T/out" 2> "$T/err"
is "$?" 0 "200000 nested subqueries: 0"
grep -q '(SELECT 1 x FROM \[S\]\.\[D\]\.dbo\.FA) t' "$T/out"
ok $? "200000 nested subqueries: the innermost table qualified"

# standard output closed: exit 1 and says so
echo 'SELECT * FROM FA' | "$R" -s S -d D 2> "$T/err" >&-
is "$?" 1 "stdout closed: 1"
is "$(cat "$T/err")" "pohoda-rewrite: stdout: Bad file descriptor" \
    "stdout closed: says so"

# a reader that stops early: SIGPIPE, quietly; with SIGPIPE ignored, a
# write error and exit 1
"$PY" -c 'import sys
sys.stdout.write("SELECT * FROM FA\n" * 400000)' > "$T/in"
( "$R" -s S -d D "$T/in" 2> "$T/err"; echo $? > "$T/rc" ) | head -n 1 \
    > "$T/out"
is "$(cat "$T/out")" "SELECT * FROM [S].[D].dbo.FA" "| head -1: the first line"
is "$(cat "$T/rc")" 141 "| head -1: ended by SIGPIPE"
is "$(cat "$T/err")" "" "| head -1: no message"
( trap '' PIPE
  "$R" -s S -d D "$T/in" 2> "$T/err"; echo $? > "$T/rc" ) | head -n 1 \
    > /dev/null
is "$(cat "$T/rc")" 1 "SIGPIPE ignored: 1"
is "$(cat "$T/err")" "pohoda-rewrite: stdout: Broken pipe" \
    "SIGPIPE ignored: says so"
done_testing

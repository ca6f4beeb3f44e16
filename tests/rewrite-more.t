#!/bin/sh
# rewrite-more.t: pohoda-rewrite on the project's own cases in
# tests/rewrite/ (expected outputs written by hand from the rules in
# pohoda-rewrite(1)), then errors with their places, standard input,
# usage errors and write errors.
. tests/lib.sh
. tests/rewrite/cases.sh
R=$BIN/pohoda-rewrite

cases_run tests/rewrite

# err_case NAME INPUT WANT: INPUT fails with exit 65 and message WANT
err_case() {
	printf %b "$2" > "$T/in.sql"
	"$R" -s S -d D "$T/in.sql" > "$T/out" 2> "$T/err"
	is "$?" 65 "$1: exit 65"
	is "$(cat "$T/err")" "pohoda-rewrite: $T/in.sql: $3" "$1: message"
	[ ! -s "$T/out" ]
	ok $? "$1: nothing on stdout"
}
err_case "unterminated block comment" \
    'SELECT 1\n  /* a /* b */ c\n' "line 2, column 3: unterminated comment"
err_case "unterminated bracket" \
    'SELECT [a]]\nFROM FA' "line 1, column 8: unterminated bracketed identifier"
err_case "unterminated quoted identifier" \
    'SELECT 1 FROM "FA' "line 1, column 15: unterminated quoted identifier"
err_case "unterminated N literal after CRLF and UTF-8" \
    "SELECT 1\r\nFROM FA WHERE x = 'ř' + N'abc" \
    "line 2, column 25: unterminated string literal"
err_case "columns start after a byte order mark" \
    '\357\273\277x "' "line 1, column 3: unterminated quoted identifier"
err_case "a comment marker inside a literal is not a comment" \
    "SELECT '/*' FROM FA /* x" "line 1, column 21: unterminated comment"

# standard input, with and without "-"
printf 'SELECT * FROM FA\n' > "$T/fa.sql"
"$R" -s S -d D < "$T/fa.sql" > "$T/out"
is "$?:$(cat "$T/out")" "0:SELECT * FROM [S].[D].dbo.FA" "reads stdin"
"$R" -s S -d D - < "$T/fa.sql" > "$T/out"
is "$?:$(cat "$T/out")" "0:SELECT * FROM [S].[D].dbo.FA" "- is stdin"
printf 'SELECT "x' | "$R" -s S -d D > "$T/out" 2> "$T/err"
is "$?:$(cat "$T/err")" \
    "65:pohoda-rewrite: <stdin>: line 1, column 8: unterminated quoted identifier" \
    "errors on stdin name <stdin>"
printf '' | "$R" -s S -d D > "$T/out"
is "$?:$(wc -c < "$T/out")" "0:0" "empty input, empty output"

# usage errors: exit 64, usage on stderr, nothing on stdout
usage_case() {
	_what=$1
	shift
	"$R" "$@" < "$T/fa.sql" > "$T/out" 2> "$T/err"
	is "$?" 64 "usage error: $_what"
	grep -q '^usage: pohoda-rewrite -s server -d database' "$T/err"
	ok $? "usage error: $_what: usage on stderr"
	[ ! -s "$T/out" ]
	ok $? "usage error: $_what: nothing on stdout"
}
usage_case "no arguments"
usage_case "no -d" -s S
usage_case "no -s" -d D
usage_case "empty -d" -s S -d ''
usage_case "unknown option" -s S -d D -x
usage_case "two files" -s S -d D "$T/fa.sql" "$T/fa.sql"
usage_case "-d without a value" -s S -d
"$R" -s S -d '' < "$T/fa.sql" 2>&1 | grep -q 'database name is empty'
ok $? "empty -d says why"

"$R" -h > "$T/out" 2> "$T/err"
is "$?" 0 "-h exits 0"
grep -q '^usage: pohoda-rewrite' "$T/out"
ok $? "-h prints usage on stdout"
"$R" --help > "$T/out" 2>&1
is "$?:$(head -c 6 "$T/out")" "0:usage:" "--help"
"$R" --version > "$T/out" 2>&1
rc=$?
grep -Eq '^pohoda-rewrite .*[0-9]+\.[0-9]+' "$T/out"
ok $((rc + $?)) "--version prints name and version"

# other failures: exit 1
"$R" -s S -d D "$T/missing.sql" > "$T/out" 2> "$T/err"
is "$?" 1 "a missing file: exit 1"
grep -q "pohoda-rewrite: $T/missing.sql: No such file" "$T/err"
ok $? "a missing file is named"
if [ -w /dev/full ]; then
	"$R" -s S -d D "$T/fa.sql" > /dev/full 2> "$T/err"
	is "$?" 1 "a full disk on stdout: exit 1"
	grep -q 'pohoda-rewrite: stdout: No space left' "$T/err"
	ok $? "a full disk on stdout is reported"
else
	skip "no /dev/full"
	skip "no /dev/full"
fi
head -c $((16 * 1024 * 1024 + 1)) /dev/zero > "$T/big.sql"
"$R" -s S -d D "$T/big.sql" > "$T/out" 2> "$T/err"
is "$?:$(cat "$T/err")" \
    "65:pohoda-rewrite: $T/big.sql: larger than 16 MiB" "input over 16 MiB"
[ ! -s "$T/out" ]
ok $? "input over 16 MiB: nothing on stdout"
head -c $((16 * 1024 * 1024)) /dev/zero > "$T/big.sql"
"$R" -s S -d D "$T/big.sql" | cmp -s - "$T/big.sql"
ok $? "input of 16 MiB exactly passes through"
done_testing

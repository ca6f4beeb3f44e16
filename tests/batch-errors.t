#!/bin/sh
# batch-errors.t: input that is not NDJSON, or a damaged gzip stream, is
# an error naming the line, exit 65, with no manifest and no batch file
# left; usage errors exit 64, a bad config 78.
. tests/lib.sh
. tests/batch/common.sh

# bad NAME WANT_MESSAGE: $T/bad must fail with exit 65 and the message
bad() {
	rm -rf "$T/out"
	"$BIN/pohoda-batch" -n 5000 -o "$T/out" "$T/bad" 2> "$T/err"
	is $? 65 "$1: exit 65"
	is "$(cat "$T/err")" "pohoda-batch: $T/bad: $2" "$1: message"
	[ ! -e "$T/out/manifest" ] && [ ! -e "$T/out/source" ]
	ok $? "$1: no manifest"
	is "$(find "$T/out" -type f | wc -l | tr -d ' ')" 0 \
	    "$1: no batch or temporary file left"
}

rows 12000 > "$T/in"
# lines, each case at line 11000 so that two batches are written first
lbad() {	# lbad NAME PRINTF-FORMAT MESSAGE
	# shellcheck disable=SC2059 # the format is the test case
	{ head -n 10999 "$T/in"; printf "$2"; tail -n +11000 "$T/in"; } \
	    > "$T/bad"
	bad "$1" "line 11000: $3"
}
lbad "empty line" '\n' "empty line"
lbad "blank line" '   \n' "not a JSON object (a blank line)"
lbad "array" '[1,2]\n' "not a JSON object (it does not start with '{')"
lbad "csv" 'a,b,c\n' "not a JSON object (it does not start with '{')"
lbad "open object" '{"a":1\n' "not a JSON object (it does not end with '}')"
lbad "trailing space" '{"a":1} \n' \
    "not a JSON object (it does not end with '}')"
lbad "CRLF" '{"a":1}\r\n' \
    "byte 8: control character 0x0d (it must be escaped)"
lbad "raw tab" '{"a":"x\ty"}\n' \
    "byte 8: control character 0x09 (it must be escaped)"
lbad "NUL" '{"a":"\0"}\n' \
    "byte 7: control character 0x00 (it must be escaped)"
lbad "cp1250 text" '{"a":"\370"}\n' "byte 7: invalid UTF-8"
lbad "overlong" '{"a":"\300\257"}\n' "byte 7: invalid UTF-8"
lbad "surrogate" '{"a":"\355\240\200"}\n' "byte 8: invalid UTF-8"
lbad "above U+10FFFF" '{"a":"\364\220\200\200"}\n' "byte 8: invalid UTF-8"
lbad "lone continuation" '{"a":"\200"}\n' "byte 7: invalid UTF-8"
lbad "cut sequence" '{"a":"\305"}\n' "byte 8: invalid UTF-8"
lbad "cut at line end" '{"a":1}\305\n' \
    "byte 8: invalid UTF-8 (a truncated sequence)"

# leading spaces, 4-byte UTF-8 and DEL are fine
printf '  {"a":"\360\237\220\277 \177"}\n' > "$T/good"
rm -rf "$T/out"
"$BIN/pohoda-batch" -o "$T/out" "$T/good"
ok $? "leading spaces, U+1F43F, DEL: accepted"

# sequences of 2, 3 and 4 bytes split by every buffer boundary pass;
# a bad byte far into a long line is named by its offset
"$PY" -c 'import sys
for ch, n in (("ř", 400000), ("€", 300000), ("\U0001F600", 200000)):
    for shift in range(4):
        sys.stdout.write("{\"a\":\"" + "x" * shift + ch * n + "\"}\n")' \
    > "$T/long"
for f in long long.gz; do
	[ "$f" = long.gz ] && gzip -c < "$T/long" > "$T/long.gz"
	rm -rf "$T/out"
	"$BIN/pohoda-batch" -n 5 -o "$T/out" "$T/$f"
	ok $? "$f: split multi-byte sequences pass"
	set_check "$T/out" 5 0 "$T/long" "$f: and come out whole"
done
"$PY" -c 'import sys
sys.stdout.buffer.write(b"{\"a\":1}\n{\"a\":\"" + "ř".encode() * 150000 +
    b"\xff\"}\n")' > "$T/bad"
bad "a bad byte at 300007" "line 2: byte 300007: invalid UTF-8"

# a missing final newline is a truncated file
{ cat "$T/in"; printf '{"a":1}'; } > "$T/bad"
bad "missing final newline" \
    "line 12001: missing final newline (truncated input?)"
printf '{' > "$T/bad"
bad "a single byte" "line 1: missing final newline (truncated input?)"

# gzip damage
"$PY" tests/batch/gzip-members.py 5000 < "$T/in" > "$T/in.gz"
size=$(stat -c %s "$T/in.gz")
head -c $((size - 5000)) "$T/in.gz" > "$T/bad"
rm -rf "$T/out"
"$BIN/pohoda-batch" -o "$T/out" "$T/bad" 2> "$T/err"
is $? 65 "truncated gzip: exit 65"
grep -q "^pohoda-batch: $T/bad: line [0-9]*: truncated gzip stream" "$T/err"
ok $? "truncated gzip: message names the line"
[ ! -e "$T/out/manifest" ] && [ "$(nbatches "$T/out")" = 0 ]
ok $? "truncated gzip: no manifest, no batch file"
head -c $((size - 3)) "$T/in.gz" > "$T/bad"
bad "gzip cut in the trailer" "line 12001: truncated gzip stream (the \
input ends inside a member)"
gzip -c < "$T/in" | head -c 1000 > "$T/bad"
rm -rf "$T/out"
"$BIN/pohoda-batch" -o "$T/out" "$T/bad" 2> "$T/err"
is $? 65 "truncated single member: exit 65"
grep -q ": line [0-9]*: truncated gzip stream" "$T/err"
ok $? "truncated single member: message"
# the CRC of the last member (the trailer's first 4 bytes)
"$PY" -c 'import sys
d = bytearray(open(sys.argv[1], "rb").read()); d[-8] ^= 1
open(sys.argv[2], "wb").write(d)' "$T/in.gz" "$T/bad"
bad "bad CRC" "line 12001: bad gzip data: the member's CRC-32 or length \
does not match"
"$PY" -c 'import sys
d = bytearray(open(sys.argv[1], "rb").read()); d[-2] ^= 1
open(sys.argv[2], "wb").write(d)' "$T/in.gz" "$T/bad"
bad "bad length" "line 12001: bad gzip data: the member's CRC-32 or \
length does not match"
# a flipped byte inside the deflate data of the first member
"$PY" -c 'import sys
d = bytearray(open(sys.argv[1], "rb").read()); d[3000] ^= 0x55
open(sys.argv[2], "wb").write(d)' "$T/in.gz" "$T/bad"
rm -rf "$T/out"
"$BIN/pohoda-batch" -o "$T/out" "$T/bad" 2> "$T/err"
is $? 65 "damaged deflate data: exit 65"
grep -q ": line [0-9]*: " "$T/err"
ok $? "damaged deflate data: the message names a line"
[ ! -e "$T/out/manifest" ] && [ "$(nbatches "$T/out")" = 0 ]
ok $? "damaged deflate data: no manifest, no batch file"
{ cat "$T/in.gz"; printf 'garbage'; } > "$T/bad"
bad "trailing garbage" "line 12001: trailing garbage after gzip member \
(input byte $((size + 1)))"
{ cat "$T/in.gz"; printf '\037'; } > "$T/bad"
bad "a lone magic byte after the end" "line 12001: truncated gzip stream \
(the input ends inside a member)"
{ cat "$T/in.gz"; printf '\0\0\0\0'; } > "$T/bad"
bad "zero padding" "line 12001: trailing garbage after gzip member (input \
byte $((size + 1)))"
# a bad row inside a gzip member that would be copied
{ head -n 5000 "$T/in" | gzip -c; { head -n 6999 "$T/in"; echo x; } |
    tail -n 5000 | gzip -c; } > "$T/bad"
bad "bad row in a copied member" "line 10000: not a JSON object (it does \
not start with '{')"

# usage, config
"$BIN/pohoda-batch" "$T/in" > /dev/null 2> "$T/err"
is $? 64 "no -o: exit 64"
grep -q '^usage: pohoda-batch ' "$T/err"
ok $? "no -o: usage on stderr"
"$BIN/pohoda-batch" -n 0 -o "$T/out" "$T/in" 2> "$T/err"
is $? 64 "-n 0: exit 64"
grep -q '^pohoda-batch: -n: 0: too small' "$T/err"
ok $? "-n 0: says why"
"$BIN/pohoda-batch" -b 12x -o "$T/out" "$T/in" 2> /dev/null
is $? 64 "-b 12x: exit 64"
"$BIN/pohoda-batch" -o "$T/out" "$T/in" "$T/in" 2> /dev/null
is $? 64 "two files: exit 64"
out=$("$BIN/pohoda-batch" --help)
ok $? "--help: exit 0"
case $out in "usage: pohoda-batch "*) ok 0 "--help: usage on stdout" ;;
*) ok 1 "--help: usage on stdout" ;; esac
is "$("$BIN/pohoda-batch" --version | cut -d ' ' -f 1-2)" \
    "pohoda-batch (pohoda-sync)" "--version"
printf '{"batch_size": "x"}\n' > "$T/config.json"
chmod 600 "$T/config.json"
"$BIN/pohoda-batch" -c "$T/config.json" -o "$T/out" "$T/in" 2> "$T/err"
is $? 78 "bad config: exit 78"
"$BIN/pohoda-batch" -c "$T/nonexistent.json" -o "$T/out" "$T/in" 2> /dev/null
is $? 78 "missing -c config: exit 78"
"$BIN/pohoda-batch" -o "$T/out" "$T/nonexistent" 2> "$T/err"
is $? 1 "missing input: exit 1"
is "$(cat "$T/err")" "pohoda-batch: $T/nonexistent: No such file or \
directory" "missing input: message"

done_testing

#!/bin/sh
# batch-cut.t: the batches, read in order, give the input's rows exactly,
# every batch but the last holds -n rows, and the manifest's counts agree
# with counts made another way (wc -l, sha256sum, Python's gzip), for
# plain input, one gzip member, and many members aligned or not with -n.
. tests/lib.sh
. tests/batch/common.sh

# check NAME INPUT REF N: batch INPUT and check the set against REF
check() {
	rm -rf "$T/out"
	"$BIN/pohoda-batch" -q -n "$4" -o "$T/out" "$2" 2> "$T/err"
	ok $? "$1: exit 0"
	want=$(wc -l < "$3" | tr -d ' ')
	got=$(awk -F '\t' '$1 == "total" { print $2 }' "$T/out/manifest")
	is "$got" "$want" "$1: manifest total rows = wc -l"
	if [ "$want" -gt 0 ]; then
		got=$(cat "$T/out/"*.ndjson.gz | gzip -dc | sha256sum)
	else
		got=$(sha256sum < /dev/null)
		is "$(nbatches "$T/out")" 0 "$1: no batch file"
	fi
	is "$got" "$(sha256sum < "$3")" "$1: batches in order = input"
	set_check "$T/out" "$4" 0 "$3" "$1: rows per batch, bytes, checksums"
}

for n in 0 1 4999 5000 5001 12345; do
	rows $n > "$T/in"
	check "$n rows plain" "$T/in" "$T/in" 5000
	gzip -c < "$T/in" > "$T/in.gz"
	check "$n rows gzip" "$T/in.gz" "$T/in" 5000
	"$PY" tests/batch/gzip-members.py 5000 < "$T/in" > "$T/in.gz"
	check "$n rows gzip members of 5000" "$T/in.gz" "$T/in" 5000
	"$PY" tests/batch/gzip-members.py 1999 < "$T/in" > "$T/in.gz"
	check "$n rows gzip members of 1999" "$T/in.gz" "$T/in" 5000
done

# aligned members are copied byte for byte: the batch files are the input
rows 12345 > "$T/in"
"$PY" tests/batch/gzip-members.py 5000 < "$T/in" > "$T/in.gz"
rm -rf "$T/out"
"$BIN/pohoda-batch" -v -n 5000 -o "$T/out" "$T/in.gz" 2> "$T/err"
cat "$T/out/"*.ndjson.gz | cmp -s - "$T/in.gz"
ok $? "aligned members: batch files are the input's members unchanged"
grep -q 'batches=3 .*copied=3' "$T/err"
ok $? "aligned members: the log says 3 of 3 copied"

# members of half a batch: copied, then read again and recompressed
"$PY" tests/batch/gzip-members.py 2500 < "$T/in" > "$T/in.gz"
check "members of half a batch" "$T/in.gz" "$T/in" 5000
# an empty member between full ones, and a member of exactly -n rows
# that ends with an empty member
{ head -n 5000 "$T/in" | gzip -c; printf '' | gzip -c
  tail -n +5001 "$T/in" | head -n 5000 | gzip -c; printf '' | gzip -c
  tail -n +10001 "$T/in" | gzip -c; } > "$T/in.gz"
check "empty members in between" "$T/in.gz" "$T/in" 5000
# -n 1: every row its own batch
head -n 7 "$T/in" > "$T/in7"
"$PY" tests/batch/gzip-members.py 3 < "$T/in7" > "$T/in.gz"
check "-n 1" "$T/in.gz" "$T/in7" 1

# a million rows, plain and gzip (aligned and not); stdin too
rows 1000000 > "$T/big"
check "1000000 rows plain" "$T/big" "$T/big" 5000
"$PY" tests/batch/gzip-members.py 5000 < "$T/big" > "$T/big.gz"
check "1000000 rows gzip members of 5000" "$T/big.gz" "$T/big" 5000
"$PY" tests/batch/gzip-members.py 7000 < "$T/big" > "$T/big.gz"
rm -rf "$T/out"
"$BIN/pohoda-batch" -q -n 5000 -o "$T/out" < "$T/big.gz"
ok $? "1000000 rows, members of 7000, from stdin: exit 0"
set_check "$T/out" 5000 0 "$T/big" \
    "1000000 rows, members of 7000, from stdin: set checks"

# "-" is standard input too, plain or gzip
rows 12345 > "$T/in"
gzip -c < "$T/in" > "$T/in.gz"
for f in in in.gz; do
	rm -rf "$T/out"
	"$BIN/pohoda-batch" -q -n 5000 -o "$T/out" - < "$T/$f"
	ok $? "- for stdin, $f: exit 0"
	set_check "$T/out" 5000 0 "$T/in" "- for stdin, $f: set checks"
done

# the batch size comes from the config when -n is not given
printf '{"batch_size": 3, "log": {"file": "%s"}}\n' "$T/sync.log" \
    > "$T/config.json"
chmod 600 "$T/config.json"
rm -rf "$T/out"
"$BIN/pohoda-batch" -c "$T/config.json" -o "$T/out" "$T/in7"
set_check "$T/out" 3 0 "$T/in7" "batch_size from -c config"
grep -q 'INFO pohoda-batch\[[0-9]*\] .*rows=7 batches=3 ' "$T/sync.log"
ok $? "one INFO line in the config's log"
rm -rf "$T/out"
POHODA_SYNC_CONFIG="$T/config.json" "$BIN/pohoda-batch" -o "$T/out" \
    "$T/in7"
is "$(nbatches "$T/out")" 3 "batch_size from POHODA_SYNC_CONFIG"
rm -rf "$T/out"
(cd "$T" && "$BIN/pohoda-batch" -o out in7)
is "$(nbatches "$T/out")" 3 "batch_size from ./config.json"
rm -rf "$T/out"
mkdir "$T/nocfg"
(cd "$T/nocfg" && "$BIN/pohoda-batch" -o "$T/out" ../big)
is "$(nbatches "$T/out")" 200 "no config: 5000 rows a batch"

# modes: folder 0700, files 0600
is "$(stat -c %a "$T/out")" 700 "the folder is made 0700"
is "$(stat -c %a "$T/out/00001.ndjson.gz" "$T/out/manifest" |
    sort -u)" 600 "files are 0600"

done_testing

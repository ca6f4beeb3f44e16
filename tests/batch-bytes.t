#!/bin/sh
# batch-bytes.t: -b keeps every batch at or under its bytes, a row larger
# than -b is an error naming it, and rows of many megabytes (longer than
# any read buffer) pass whole, with and without -b.
. tests/lib.sh
. tests/batch/common.sh

rows 20000 > "$T/in"
head -n 300 "$T/in" > "$T/small"
for f in small in; do
	"$PY" tests/batch/gzip-members.py 100 < "$T/$f" > "$T/$f.gz"
	gzip -c < "$T/$f" > "$T/$f.1.gz"
done
for case in small:100:10 small:1000:10 small:1000:7 in:65536:5000 \
    in:300000:5000 in:400000:5000 in:10M:5000; do
	ref=${case%%:*}
	lim=${case#*:}
	n=${lim#*:}
	lim=${lim%:*}
	case $lim in 10M) b=10485760 ;; *) b=$lim ;; esac
	for f in "$ref" "$ref.gz" "$ref.1.gz"; do
		rm -rf "$T/out"
		"$BIN/pohoda-batch" -n "$n" -b "$lim" -o "$T/out" "$T/$f"
		ok $? "-n $n -b $lim, $f: exit 0"
		set_check "$T/out" "$n" "$b" "$T/$ref" \
		    "-n $n -b $lim, $f: batches full up to the limits"
	done
done
# members of exactly -n rows: copied when they fit -b, else cut again
"$PY" tests/batch/gzip-members.py 5000 < "$T/in" > "$T/in.al.gz"
for lim in 300000 400000 10M; do
	case $lim in 10M) b=10485760 ;; *) b=$lim ;; esac
	rm -rf "$T/out"
	"$BIN/pohoda-batch" -v -n 5000 -b "$lim" -o "$T/out" "$T/in.al.gz" \
	    2> "$T/err"
	ok $? "members of 5000, -b $lim: exit 0"
	set_check "$T/out" 5000 "$b" "$T/in" \
	    "members of 5000, -b $lim: batches full up to the limits"
done
grep -q 'batches=4 .*copied=4' "$T/err"
ok $? "members of 5000, -b 10M: all 4 copied"

# the rows-per-batch rule still holds where the bytes allow it
rm -rf "$T/out"
"$BIN/pohoda-batch" -n 5000 -b 10M -o "$T/out" "$T/in.gz"
set_check "$T/out" 5000 0 "$T/in" "-b 10M: 5000 rows a batch"
is "$(nbatches "$T/out")" 4 "-b 10M: 4 batches"
# a batch ends exactly at -b: the limit is inclusive
head -n 10 "$T/in" > "$T/in10"
b=$(head -n 5 "$T/in10" | wc -c | tr -d ' ')
rm -rf "$T/out"
"$BIN/pohoda-batch" -b "$b" -o "$T/out" "$T/in10"
is "$(cut -f 2 "$T/out/manifest" | sed -n 2p)" 5 \
    "a batch of exactly -b bytes holds its rows"

# a row over -b
rm -rf "$T/out"
"$BIN/pohoda-batch" -b 60 -o "$T/out" "$T/in" 2> "$T/err"
is $? 65 "a row over -b: exit 65"
want=$(awk 'length($0) + 1 > 60 { print NR ": a row of " length($0) + 1 \
    " bytes"; exit }' "$T/in")
grep -q "^pohoda-batch: $T/in: line $want does not fit a batch of -b 60 \
bytes" "$T/err"
ok $? "a row over -b: the line and its size named"
[ ! -e "$T/out/manifest" ] && [ "$(nbatches "$T/out")" = 0 ]
ok $? "a row over -b: no manifest, no batch file"

# rows of 0.6 to 10.5 MB (a 10 MB text value) between short ones
"$PY" -c 'import json
for i, n in enumerate([0, 5250000, 0, 1500000, 0, 0, 300000, 0]):
    print(json.dumps({"i": i, "t": "ř" * n}, ensure_ascii=False))' \
    > "$T/big"
gzip -c < "$T/big" > "$T/big.gz"
"$PY" tests/batch/gzip-members.py 3 < "$T/big" > "$T/big3.gz"
for f in big big.gz big3.gz; do
	for n in 1 3 5000; do
		rm -rf "$T/out"
		"$BIN/pohoda-batch" -n $n -o "$T/out" "$T/$f"
		ok $? "big rows, $f, -n $n: exit 0"
		set_check "$T/out" $n 0 "$T/big" "big rows, $f, -n $n: whole"
	done
	for lim in 11M 14M; do
		case $lim in 11M) b=11534336 ;; 14M) b=14680064 ;; esac
		rm -rf "$T/out"
		"$BIN/pohoda-batch" -n 4 -b $lim -o "$T/out" "$T/$f"
		ok $? "big rows, $f, -b $lim: exit 0"
		set_check "$T/out" 4 "$b" "$T/big" \
		    "big rows, $f, -b $lim: within the limit, whole"
	done
	rm -rf "$T/out"
	"$BIN/pohoda-batch" -b 5M -o "$T/out" "$T/$f" 2> "$T/err"
	is $? 65 "big rows, $f, -b 5M: exit 65"
	grep -q ': line 2: a row of .* does not fit a batch of -b 5242880' \
	    "$T/err"
	ok $? "big rows, $f, -b 5M: line 2 named"
done

done_testing

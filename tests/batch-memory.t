#!/bin/sh
# batch-memory.t: pohoda-batch's peak memory does not grow with the input:
# 10 000 and 1 000 000 rows (plain, one gzip member, members aligned with
# -n and not) peak within 2 MiB of each other; a 10 MB row needs no more
# than a short one when -b is not given.  Measured on $PLAIN_BIN (no
# sanitizers) with GNU time.
. tests/lib.sh
. tests/batch/common.sh

if [ ! -x /usr/bin/time ]; then
	skip "GNU time (/usr/bin/time) is not installed"
	done_testing
	exit
fi

peak() {	# peak FILE [ARGS]: peak RSS in KiB of batching FILE
	_f=$1
	shift
	rm -rf "$T/out"
	/usr/bin/time -f %M -o "$T/rss" "$PLAIN_BIN/pohoda-batch" -q "$@" \
	    -o "$T/out" "$_f" || return 1
	cat "$T/rss"
}

rows 1000000 > "$T/big"
head -n 10000 "$T/big" > "$T/small"
for f in small big; do
	gzip -1 -c < "$T/$f" > "$T/$f.gz"
	"$PY" tests/batch/gzip-members.py 5000 < "$T/$f" > "$T/$f.al.gz"
	"$PY" tests/batch/gzip-members.py 3000 < "$T/$f" > "$T/$f.un.gz"
done
for kind in "" .gz .al.gz .un.gz; do
	s=$(peak "$T/small$kind" -n 5000)
	b=$(peak "$T/big$kind" -n 5000)
	ok $(( ! (s > 0 && b - s <= 2048) )) \
	    "small$kind ${s} KiB, big$kind ${b} KiB: within 2 MiB"
done

# a 10 MB row among short ones, without -b, streams through
# (enough short rows that every buffer is used in both runs)
"$PY" -c 'import json
for i in range(200000):
    print(json.dumps({"i": i, "t": "x" * (10 << 20 if i == 999 else 10)}))' \
    > "$T/huge"
head -n 999 "$T/huge" > "$T/short"
tail -n +1001 "$T/huge" >> "$T/short"
s=$(peak "$T/short" -n 500)
b=$(peak "$T/huge" -n 500)
ok $(( ! (s > 0 && b - s <= 2048) )) \
    "short rows ${s} KiB, with a 10 MB row ${b} KiB: within 2 MiB"
gzip -c < "$T/huge" > "$T/huge.gz"
gzip -c < "$T/short" > "$T/short.gz"
s=$(peak "$T/short.gz" -n 500)
b=$(peak "$T/huge.gz" -n 500)
ok $(( ! (s > 0 && b - s <= 2048) )) \
    "the same gzip'd: ${s} KiB and ${b} KiB, within 2 MiB"

done_testing

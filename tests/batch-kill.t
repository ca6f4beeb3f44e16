#!/bin/sh
# batch-kill.t: pohoda-batch killed (SIGKILL) at any moment leaves either
# no manifest or a complete, valid set; a rerun then gives the exact set.
# Kill times are seeded, and bounded in count.
. tests/lib.sh
. tests/batch/common.sh

# shellcheck disable=SC2046 # pkg-config's flags are words
cc -std=c99 -D_GNU_SOURCE -DVERSION='"test"' -Itools/lib -o "$T/verify" \
    tests/batch/verify.c tools/lib/manifest.c tools/lib/util.c \
    tools/lib/atomicfile.c $(pkg-config --cflags --libs libbsd libcrypto)
ok $? "manifest checker builds"

rows 300000 > "$T/in"
"$PY" tests/batch/gzip-members.py 5000 < "$T/in" > "$T/al.gz"
"$PY" tests/batch/gzip-members.py 3000 < "$T/in" > "$T/un.gz"
# delays in milliseconds, from a seeded generator
delays=$(awk 'BEGIN { srand(20261203); for (i = 0; i < 12; i++)
	printf "%d ", 5 + int(rand() * 400) }')
i=0
for ms in $delays; do
	i=$((i + 1))
	case $((i % 3)) in 0) f=in ;; 1) f=al.gz ;; 2) f=un.gz ;; esac
	D=$T/out$i
	"$BIN/pohoda-batch" -q -n 5000 -o "$D" "$T/$f" 2> /dev/null &
	pid=$!
	sleep "$(awk -v ms="$ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
	kill -9 "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null
	if [ -e "$D/manifest" ]; then
		"$T/verify" "$D" > /dev/null
		ok $? "kill $i ($f, ${ms} ms): the manifest's set verifies"
		want=yes
	else
		want=no
	fi
	"$BIN/pohoda-batch" -v -q -n 5000 -o "$D" "$T/$f" 2> "$T/err"
	ok $? "kill $i: rerun exits 0"
	grep -q "up_to_date=$want " "$T/err"
	ok $? "kill $i: rerun finds the set current: $want"
	set_check "$D" 5000 0 "$T/in" "kill $i: rerun gives the exact set"
	rm -rf "$D"
done

done_testing

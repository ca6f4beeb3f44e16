#!/bin/sh
# upload-window.t: after the first batch's job (WRITE_TRUNCATE), which
# runs alone, up to -j load jobs run at once (8 by default), waited for
# in batch order; -j 1 sends a batch only when the previous job is done;
# every row arrives once either way.  Bad -j values are usage errors.
. tests/lib.sh
. tests/upload/lib.sh

plan 19

bq_start --seed 0
"$UP/make-batches" --rows 236 --batch 10 --seed 7 "$T/a"
set_rows "$T/a/batches" > "$T/want"

# window JOBS TABLE RUN: upload with -j JOBS (none: the default), check the
# table, and write what inflight makes of the request log to $T/inflight
window() {
	rm -rf "$T/a/batches/upload"
	upload -q ${1:+-j "$1"} -t "$2" -r "$3" "$T/a/batches" 2> "$T/err"
	is "$?" 0 "-j ${1:-default}: exit 0"
	table_rows "$2" > "$T/got"
	files_eq "$T/got" "$T/want" "-j ${1:-default}: every row once"
	is "$(double_loads "$2" "$3")" "" "-j ${1:-default}: no batch twice"
	"$PY" "$UP/inflight" "$3" < "$T/bq/requests.log" > "$T/inflight"
}

window "" FA rdef
# shellcheck disable=SC2046
set -- $(cat "$T/inflight")
is "$1" 8 "by default, 8 load jobs at once"
is "$2" 0 "the first batch's job ran alone"
test "$3" -gt 10
ok $? "later batches were sent while earlier jobs ran ($3 of 23)"

window 3 FB r3
# shellcheck disable=SC2046
set -- $(cat "$T/inflight")
is "$1" 3 "-j 3: 3 at once"
is "$2" 0 "-j 3: the first batch's job ran alone"

window 1 FC r1
# shellcheck disable=SC2046
set -- $(cat "$T/inflight")
is "$1 $3" "1 0" "-j 1: one job at a time"

for j in 0 101 x; do
	upload -q -j "$j" -t FD "$T/a/batches" 2> "$T/err"
	is "$?" 64 "-j $j: exit 64"
done
grep -q '^bq-upload: -j x: expected 1 to 100 load jobs at once$' "$T/err"
ok $? "naming the option and the range"

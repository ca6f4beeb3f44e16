#!/bin/sh
# rewrite-fuzz.t: a short run of every libFuzzer target (scripts/fuzz 20,
# under ASan and UBSan, the rewriter's among them) finds nothing.
. tests/lib.sh

if ! command -v "${CLANG:-clang}" > /dev/null 2>&1; then
	skip "no clang to build the fuzz targets (scripts/install-deps)"
	done_testing
	exit
fi
FUZZ_OUT=$T/fuzz scripts/fuzz 20 > "$T/log" 2>&1
rc=$?
ok $rc "scripts/fuzz 20: no finding"
if [ $rc -ne 0 ]; then
	diag "$(tail -n 30 "$T/log")"
	for f in "$T"/fuzz/*-crash-* "$T"/fuzz/*-leak-* "$T"/fuzz/*-timeout-*
	do
		[ -f "$f" ] || continue
		diag "${f##*/}:" "$(od -c "$f" | head -n 20)"
	done
fi
grep -q '^fuzz: rewrite-fuzz: no finding in [0-9][0-9]* runs' "$T/log"
ok $? "the rewriter's target ran"
grep -q '^fuzz: rewrite-fuzz: no seed folder' "$T/log"
ok $((! $?)) "its seeds were found"
done_testing

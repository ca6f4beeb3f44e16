#!/bin/sh
# rewrite-cases.t: pohoda-rewrite against every shared case in
# $SHARED/cases/rewrite, byte for byte, and rewriting each expected
# output again changes nothing.
. tests/lib.sh
. tests/rewrite/cases.sh

if [ ! -d "$SHARED/cases/rewrite" ]; then
	echo "1..0 # SKIP no $SHARED/cases/rewrite"
	exit 0
fi
n=$(find "$SHARED/cases/rewrite" -name '*.sql' ! -name '*.expected.sql' |
    wc -l)
[ "$n" -ge 12 ]
ok $? "the shared cases are there ($n inputs)"
cases_run "$SHARED/cases/rewrite"
done_testing

#!/bin/sh
# style.t: the style checker passes on the whole tree, and it does catch
# what it is meant to catch.
. tests/lib.sh

out=$(scripts/check-style 2>&1)
rc=$?
ok $rc "check-style is clean"
[ $rc -eq 0 ] || diag "$out"

# the checker itself must fail on a bad file
mkdir -p "$T/tools/x" && cd "$T" && git init -q . && mkdir scripts &&
    cp "$TOP/scripts/check-style" scripts/
printf 'int\nf(char *d)\n{\n\tstrcpy(d, "x");\n}\n' > tools/x/a.c
scripts/check-style > out 2>&1
ok $((! $?)) "a banned call is reported"
grep -q 'a.c:4: banned call' out
ok $? "the report names file and line"
printf '/* %s */\n' "$(printf '%080d' 0)" > tools/x/a.c
scripts/check-style > out 2>&1
grep -q 'a.c:1: over 80 columns' out
ok $? "a wide line is reported"
done_testing

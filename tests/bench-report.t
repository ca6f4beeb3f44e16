#!/bin/sh
# scripts/bench's report, from made-up measurements: a goal met, one not,
# and the end-to-end profile, which has no peer, no ratio and no goal.
. tests/lib.sh

"$PY" - "$TOP/scripts/bench" "$T/out" > "$T/stdout" 2>&1 <<'PYEOF'
import importlib.machinery, importlib.util, shutil, sys
loader = importlib.machinery.SourceFileLoader("bench", sys.argv[1])
spec = importlib.util.spec_from_loader("bench", loader)
m = importlib.util.module_from_spec(spec)
loader.exec_module(m)
m.OUT = sys.argv[2]
b = m.Bench(["--quick", "--runs", "1"])
shutil.rmtree(b.tmp)
b.record("batch-vs-split", "seconds", 0.25, 4.5, 18.0, ">= 10x", True, "s")
b.record("upload-vs-curl", "CPU s per MB", 0.006, 0.003, 2.0, "<= 1.2x",
         False, "s/MB")
b.profile = {"upload": 30.0, "extract": 4.0}
b.record("end-to-end", "seconds", 36.4, None, None, "profile", None, "s")
b.report()
PYEOF
ok $? "the report is written"
is "$(grep '^| end-to-end ' "$T/out/results.md")" \
    "| end-to-end | seconds | 36.4 |  |  | profile |  |" \
    "the profile row has no peer, ratio or verdict"
is "$(grep '^| upload-vs-curl ' "$T/out/results.md")" \
    "| upload-vs-curl | CPU s per MB | 0.006 | 0.003 | 2.00 | <= 1.2x | NOT MET |" \
    "a goal not met says so"
grep -q '^1 of 2 goals met ' "$T/stdout"
ok $? "the summary counts the goals, not the profile"
grep -q '^--quick: .*only a full run is measured against the goals' \
    "$T/stdout"
ok $? "a quick run says it is not measured against the goals"
is "$(jq -c '[.results[] | select(.goal == "profile") | .peer, .ratio]' \
    "$T/out/results.json")" "[null,null]" "in the JSON too"
is "$(jq -c .profile "$T/out/results.json")" '{"upload":30,"extract":4}' \
    "with the profile's steps"

done_testing

# shellcheck shell=sh
# tests/batch/common.sh: helpers for the batch-*.t tests.
unset POHODA_SYNC_CONFIG

# rows N: N POHODA-like NDJSON rows (UTF-8, escapes, nulls)
rows() {
	awk -v n="$1" 'BEGIN {
		for (i = 1; i <= n; i++) {
			printf "{\"ID\":%d,\"Firma\":", i
			printf "\"Žluťoučký kůň %d\"," \
			    "\"Castka\":\"%d.%02d\",\"Pozn\":%s}\n", i % 977,
			    i * 7 % 100000, i % 100,
			    i % 3 ? "null" : "\"ř \\\"x\\\"\""
		}
	}'
}

# nbatches DIR: how many batch files DIR holds
nbatches() {
	find "$1" -maxdepth 1 -name '*.ndjson.gz' | wc -l | tr -d ' '
}

# set_check DIR ROWS MAXBYTES REF DESCRIPTION: check-set.py passes
set_check() {
	_out=$("$PY" tests/batch/check-set.py "$1" "$2" "$3" "$4" 2>&1)
	ok $? "$5"
	[ -z "$_out" ] || diag "$_out"
}

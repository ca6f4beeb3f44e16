#!/bin/sh
# Row validation of the fake BigQuery server, value by value and type by
# type (tests/fidelity/bq/values.tsv: right values from the BigQuery value
# rules in shared/reference/bigquery.md section 8): one load job per value,
# kept or refused as BigQuery would (the message naming the field), kept
# values read back canonically.
. tests/lib.sh
. tests/fidelity/bq/lib-bq.sh

bq_ready 0
i=0
tab=$(printf '\t')
grep -v '^#' "$BQ_FID/values.tsv" > "$T/values"
while IFS="$tab" read -r type value want; do
	i=$((i + 1))
	printf '{"v":%s}\n' "$value" > "$T/v.ndjson"
	f=$(printf '[{"name":"v","type":"%s"}]' "$type")
	bq_upload "$(bq_load_conf "v$i" "v$i" "$f")" "$T/v.ndjson" |
	    body_of > "$T/job"
	if [ "$(jq -r '.status.errorResult.reason // "ok"' "$T/job")" = ok ]; then
		got=$(bq_rows "v$i" canonical | jq -r .v)
	elif jq -r '.status.errors[1].message' "$T/job" | grep -qi 'field: v\b'
	then
		got=ERR
	else
		got="ERR not naming the field: $(jq -c .status "$T/job")"
	fi
	is "$got" "$want" "$type $value -> $want"
done < "$T/values"

stop_bg "$BQ_PID"

done_testing

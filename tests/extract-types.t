#!/bin/sh
# extract-types.t: every case of the shared types.tsv and names.tsv read
# through the fake TDS server by FreeTDS gives exactly the NDJSON value,
# key and BigQuery type the case lists (from make-type-cases' tables,
# which copy the TSV files); long values arrive whole; the driver's
# companies lookup prints its one line.
. tests/lib.sh
. tests/extract/env.sh

X=$BIN/pohoda-extract
"$PY" tests/data/make-type-cases "$T/types.sqlite" \
    "$SHARED/cases/types.tsv" "$SHARED/cases/names.tsv" > /dev/null
ok $? "make-type-cases builds the case database"
tds_start "$T/types.sqlite"
ok $? "tds-server is listening"
CFG=$(tds_cfg_file "$TDS_PORT")

# sql TEXT: a query's rows through the server, via sqlite3
sql() { sqlite3 -separator '	' "$T/types.sqlite" "$1"; }

sql "SELECT n, type, want_json, want_bq, why FROM cases ORDER BY n" \
    > "$T/cases"
is "$(wc -l < "$T/cases")" "$(grep -vc '^#' "$SHARED/cases/types.tsv")" \
    "the case table has every line of types.tsv"

while IFS='	' read -r n type want bq why; do
	tab=$(printf 'c%02d' "$n")
	"$X" -q -c "$CFG" -m "$T/$tab.schema" -o "$T/$tab.ndjson" \
	    -e "SELECT v FROM $tab" 2> "$T/$tab.err"
	rc=$?
	if [ $rc -ne 0 ]; then
		ok 1 "$type: exit $rc"
		diag "$(cat "$T/$tab.err")"
		continue
	fi
	# the value's exact JSON text: the line is {"v":VALUE}
	got=$(sed -e 's/^{"v"://' -e 's/}$//' "$T/$tab.ndjson")
	case $want in
	"(100000 characters, the last one Ž)")
		got=$("$PY" -c 'import json, sys
v = json.load(open(sys.argv[1]))["v"]
print(len(v), v[-1], set(v[:-1]) == {"a"})' "$T/$tab.ndjson")
		is "$got" "100000 Ž True" "$type: $why"
		;;
	*)
		is "$got" "$want" "$type ($tab): $why"
		;;
	esac
	is "$(jq -r '.[0].type' "$T/$tab.schema")" "$bq" "$type: $bq"
done < "$T/cases"

# one query, every column, gzip'd: the same values as one row each
cols=$(sql "SELECT group_concat('(SELECT v FROM ' || printf('c%02d', n) \
    || ') AS c' || n, ', ') FROM cases")
"$X" -q -c "$CFG" -o "$T/all.ndjson.gz" -m "$T/all.schema" \
    -e "SELECT $cols"
ok $? "all cases in one row, gzip'd"
for n in 7 11 14 17 20 24 27; do
	want=$(sql "SELECT want_json FROM cases WHERE n = $n")
	got=$(gzip -dc "$T/all.ndjson.gz" | jq -c ".c$n")
	is "$got" "$want" "case $n in the gzip'd row"
done
is "$(gzip -dc "$T/all.ndjson.gz" | wc -l)" 1 "one physical line per row"
is "$(jq -r 'map(.mode) | unique | join(",")' "$T/all.schema")" \
    NULLABLE "every field NULLABLE"
is "$(jq -r '.[].name' "$T/all.schema" | grep -vc '^[A-Za-z_][A-Za-z0-9_]*$')" \
    0 "every field name is BigQuery-safe"

# names.tsv: keys of the NDJSON and names/descriptions of the schema
sql "SELECT columns, want, why, query FROM names ORDER BY n" > "$T/names"
while IFS='	' read -r cols want why query; do
	"$X" -q -c "$CFG" -m "$T/n.schema" -o "$T/n.ndjson" -e "$query"
	rc=$?
	is "$rc" 0 "names query runs: $query"
	is "$(jq -r 'keys_unsorted | join(", ")' "$T/n.ndjson")" "$want" \
	    "NDJSON keys: $why"
	is "$(jq -r 'map(.name) | join(", ")' "$T/n.schema")" "$want" \
	    "schema names: $why"
	desc=$(jq -r 'map(if .description == "" then "(no name)"
	    else .description end) | join(", ")' "$T/n.schema")
	is "$desc" "$cols" "schema descriptions keep the original names"
done < "$T/names"

# a stray freetds.conf and FreeTDS's environment change nothing: not the
# character set, not the text size, not the TDS version
mkdir "$T/home"
cat > "$T/home/.freetds.conf" <<'EOF'
[global]
	client charset = ISO-8859-1
	text size = 1000
	tds version = 7.1
	use utf-16 = no
	port = 1
[pohoda-extract]
	client charset = ISO-8859-1
	text size = 1000
	port = 1
EOF
for n in 20 23 24; do
	tab=$(printf 'c%02d' "$n")
	HOME=$T/home FREETDSCONF=$T/home/.freetds.conf TDSVER=7.1 TDSPORT=1 \
	    "$X" -q -c "$CFG" -o "$T/stray.ndjson" -e "SELECT v FROM $tab"
	cmp -s "$T/stray.ndjson" "$T/$tab.ndjson"
	ok $? "stray freetds.conf, TDSVER, TDSPORT: case $n unchanged"
done

# types the shared cases do not list, values worked out by hand from
# DESIGN §4: xml, ntext, image, varbinary(max), time(3), datetimeoffset
# (+01:00, so UTC is an hour earlier), real, rowversion, nchar(5), a NULL
# smallint, numeric(5,2)
sqlite3 "$T/more.sqlite" "CREATE TABLE x (a xml, b ntext, c image,
  d [varbinary(max)], e [time(3)], f [datetimeoffset(7)], g real,
  h timestamp, i [nchar(5)], j smallint, k [numeric(5,2)]);
INSERT INTO x VALUES ('<a>ř</a>', 'ntext ž', X'00FF', X'0102',
  '08:45:30.123', '2024-03-01 12:34:56.1234567+01:00', 0.1,
  X'0000000000000001', 'ab', NULL, '123.45');"
stop_bg "$TDS_PID"
tds_start "$T/more.sqlite"
CFG=$(tds_cfg_file "$TDS_PORT")
"$X" -q -c "$CFG" -m "$T/more.schema" -o "$T/more.ndjson" \
    -e 'SELECT * FROM x'
ok $? "more types read"
is "$(cat "$T/more.ndjson")" '{"a":"<a>ř</a>","b":"ntext ž","c":"AP8=","d":"AQI=","e":"08:45:30.123","f":"2024-03-01T11:34:56.123456Z","g":0.1,"h":"AAAAAAAAAAE=","i":"ab   ","j":null,"k":"123.45"}' \
    "xml, ntext, image, varbinary(max), time, datetimeoffset, real, rowversion, nchar, NULL, numeric"
is "$(jq -r 'map(.type) | join(" ")' "$T/more.schema")" \
    "STRING STRING BYTES BYTES TIME TIMESTAMP FLOAT64 BYTES STRING INT64 NUMERIC" \
    "their BigQuery types"

# long values: text of 100000 and nvarchar(max) of 40000 characters (a
# non-BMP character among them) and a varchar(max) of 10 MB
"$PY" - "$T/long.sqlite" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE big (id int, t text, n [nvarchar(max)], "
           "v [varchar(max)])")
n = ("ř🎄" * 10000 + "x" * 20000)
db.execute("INSERT INTO big VALUES (1, ?, ?, ?)",
           ("ž" * 100000, n, "ABCDEFGHIJ" * 1048576))
db.execute("CREATE TABLE companies (linked_server varchar(64), "
           "[database] varchar(128))")
db.execute("INSERT INTO companies VALUES ('SERVER1', 'StwPh_12345678_2024')")
db.commit()
EOF
stop_bg "$TDS_PID"
tds_start "$T/long.sqlite"
CFG=$(tds_cfg_file "$TDS_PORT")
"$X" -q -c "$CFG" -o "$T/long.ndjson" -e "SELECT t, n, v FROM big"
ok $? "long values read"
got=$("$PY" -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(r["t"] == "ž" * 100000, r["n"] == "ř🎄" * 10000 + "x" * 20000,
      r["v"] == "ABCDEFGHIJ" * 1048576)' "$T/long.ndjson")
is "$got" "True True True" \
    "text 100000, nvarchar(max) 40000, varchar(max) 10 MB arrive whole"

got=$("$X" -q -c "$CFG" \
    -e "SELECT TOP 1 linked_server, [database] FROM companies")
is "$got" '{"linked_server":"SERVER1","database":"StwPh_12345678_2024"}' \
    "the companies lookup"
done_testing

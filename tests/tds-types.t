#!/bin/sh
# Every shared type case served by tests/servers/tds-server and read by
# three independent clients (tsql, freebcp, tedious): each printed value
# must mean the case's right value (tests/fidelity/tds/check-cases).
. tests/lib.sh
. tests/fidelity/tds/env.sh

"$PY" tests/data/make-type-cases "$T/cases.sqlite" "$SHARED/cases/types.tsv" \
    "$SHARED/cases/names.tsv"
ok $? "make-type-cases builds the case database"
tds_start "$T/cases.sqlite"
ok $? "tds-server is listening"
ncases=$("$PY" -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from cases").fetchone()[0])' "$T/cases.sqlite")

# report CLIENT FILE: one TAP line per case
report() {
	"$PY" "$TDS_FID/check-cases" "$T/cases.sqlite" "$1" "$2" > "$T/check.out"
	[ "$(wc -l < "$T/check.out")" -eq "$ncases" ]
	ok $? "$1: a verdict for each of the $ncases cases"
	while IFS='	' read -r n bad msg; do
		ok "$bad" "case $n $msg"
	done < "$T/check.out"
}

# tsql: all cases in one session, each value between markers
{
	echo "SET TEXTSIZE 2147483647"
	echo go
	n=1
	while [ "$n" -le "$ncases" ]; do
		printf "SELECT 'BEGIN<%d', v, '>END' FROM c%02d\ngo\n" "$n" "$n"
		n=$((n + 1))
	done
} > "$T/batch.sql"
tds_tsql "$T/batch.sql" > "$T/tsql.out"
report tsql "$T/tsql.out"

# freebcp queryout -c, one file per case
mkdir "$T/bcp"
n=1
while [ "$n" -le "$ncases" ]; do
	f=$(printf '%s/bcp/%02d.txt' "$T" "$n")
	timeout 30 freebcp "SELECT v FROM c$(printf %02d "$n")" queryout "$f" \
	    -c -T 2147483647 -S fake -U "$TDS_USER" -P "$TDS_PW" \
	    > "$T/bcp.log" 2>&1 || sed 's/^/# /' "$T/bcp.log"
	n=$((n + 1))
done
report freebcp "$T/bcp"

# tedious (Node): one batch per case
if [ -d "$TDS_FID/node_modules/tedious" ]; then
	set --
	n=1
	while [ "$n" -le "$ncases" ]; do
		set -- "$@" "$(printf 'SELECT v FROM c%02d' "$n")"
		n=$((n + 1))
	done
	(cd "$TDS_FID" && timeout 60 node client.js "$TDS_PORT" "$TDS_USER" \
	    "$TDS_PW" query "$@") > "$T/tedious.out" 2>&1
	report tedious "$T/tedious.out"
else
	skip "tedious not installed (npm ci in tests/fidelity/tds)"
fi

# acceptance: Czech text through code page 1250 and the money minimum
cat > "$T/acc.sql" <<'EOS'
SELECT '<' + v + '>' FROM c20
go
SELECT v FROM c11
go
EOS
tds_tsql "$T/acc.sql" > "$T/acc.out"
grep -qx '<Příliš žluťoučký kůň úpěl ďábelské ódy>' "$T/acc.out"
ok $? "tsql reads varchar Czech_CI_AS text exactly (UTF-8 client charset)"
grep -qx -- '-922337203685477.5808' "$T/acc.out"
ok $? "tsql reads money -922337203685477.5808 exactly"
# the checker can fail: a server serving three wrong values is caught
"$PY" - "$T/cases.sqlite" "$T/wrong.sqlite" <<'EOP'
import shutil, sqlite3, sys
shutil.copy(sys.argv[1], sys.argv[2])
db = sqlite3.connect(sys.argv[2])
db.execute("UPDATE c11 SET v = '-922337203685477.5807'")
db.execute("UPDATE c20 SET v = 'Prilis zlutoucky kun upel dabelske ody'")
db.execute("UPDATE c13 SET v = 0.3")
db.commit()
EOP
tds_start "$T/wrong.sqlite"
tds_tsql "$T/batch.sql" > "$T/wrong.out"
"$PY" "$TDS_FID/check-cases" "$T/cases.sqlite" tsql "$T/wrong.out" |
    awk -F '\t' '$2 == 1 { print $1 }' | tr '\n' ' ' > "$T/wrong.bad"
is "$(cat "$T/wrong.bad")" "11 13 20 " \
    "check-cases flags exactly the three altered values"

done_testing

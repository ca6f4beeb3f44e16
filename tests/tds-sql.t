#!/bin/sh
# The T-SQL dialect of tests/servers/tds-server, read back with tsql:
# 3/4-part names, brackets, TOP, CONCAT, string +, ISNULL/COALESCE/NULLIF,
# CAST, DATEADD/DATEDIFF, LEN, NOLOCK hints, N'' literals, SET, several
# statements per batch, and the result types tedious reports.
. tests/lib.sh
. tests/fidelity/tds/env.sh

"$PY" - "$T/db.sqlite" <<'EOP'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.create_collation('Czech_CI_AS', lambda a, b: (a.lower() > b.lower()) - (a.lower() < b.lower()))
db.executescript('''
CREATE TABLE FA (ID int, Cislo varchar(32) COLLATE Czech_CI_AS, RefAD int,
  Datum datetime, Kc, Pozn text);
CREATE TABLE AD (ID int, Firma varchar(64), Jmeno nvarchar(40), DIC varchar(20));
INSERT INTO FA VALUES (1, 'FV001', 10, '2024-03-01 12:34:56.997', '1234.5600', 'první');
INSERT INTO FA VALUES (2, 'FV002', 11, '2024-02-28 00:00:00.000', '-0.0100', NULL);
INSERT INTO FA VALUES (3, 'FV003', 10, '2023-12-31 23:59:59.997', '0', 'třetí');
INSERT INTO AD VALUES (10, 'Dřevo Novák s.r.o.', 'Novák', 'CZ123');
INSERT INTO AD VALUES (11, 'Žluťoučký kůň', NULL, NULL);
CREATE TABLE M (ID int, Kc);
INSERT INTO M VALUES (1, '99.0000'), (2, '1000.0000'), (3, '-5.0000');
''')
# money stays exact TEXT (no affinity at insert time), as the shared
# generators store it: the server must still order and compare it as numbers
ver = db.execute('PRAGMA schema_version').fetchone()[0]
db.execute('PRAGMA writable_schema = ON')
db.execute("UPDATE sqlite_master SET sql = replace(sql, 'Datum datetime, Kc,', "
           "'Datum datetime, Kc money,') WHERE name = 'FA'")
db.execute("UPDATE sqlite_master SET sql = 'CREATE TABLE M (ID int, Kc money)' "
           "WHERE name = 'M'")
db.execute('PRAGMA schema_version = %d' % (ver + 1))
db.execute('PRAGMA writable_schema = OFF')
db.commit()
assert db.execute("SELECT typeof(Kc) FROM FA WHERE ID = 1").fetchone()[0] == 'text'
assert 'Kc money' in db.execute("SELECT sql FROM sqlite_master WHERE name = 'FA'").fetchone()[0]
EOP
tds_start "$T/db.sqlite"
ok $? "server on a small POHODA-like database"

# q NAME SQL WANT: tsql prints exactly WANT (rows, tab separated)
q() {
	printf 'SET NOCOUNT ON\ngo\n%s\ngo\n' "$2" > "$T/q.sql"
	tds_tsql "$T/q.sql" | sed '1d' > "$T/q.out"
	printf '%s\n' "$3" > "$T/q.want"
	files_eq "$T/q.out" "$T/q.want" "$1"
}

q "4-part names and brackets" \
"SELECT h.Cislo, a.[Firma] FROM [SERVER1].[POHODA_DB].dbo.FA h JOIN [SERVER1].[POHODA_DB].dbo.[AD] a ON a.ID = h.RefAD ORDER BY h.ID" \
"FV001	Dřevo Novák s.r.o.
FV002	Žluťoučký kůň
FV003	Dřevo Novák s.r.o."
q "3-part and dbo names, WITH (NOLOCK), TOP" \
"SELECT TOP 2 ID FROM POHODA_DB.dbo.FA WITH (NOLOCK) ORDER BY ID DESC" \
"3
2"
q "TOP (n) in a subquery" \
"SELECT f.ID FROM (SELECT TOP (1) ID FROM dbo.FA ORDER BY ID) f" "1"
q "CONCAT with a number, N'' literal, string +" \
"SELECT CONCAT('FA-', ID) AS Klic, N'č.' + Cislo + ' ' + ISNULL(Pozn, '-') FROM FA ORDER BY ID" \
"FA-1	č.FV001 první
FA-2	č.FV002 -
FA-3	č.FV003 třetí"
q "COALESCE, NULLIF, ISNULL, LEN" \
"SELECT COALESCE(a.Jmeno, a.Firma), NULLIF(a.ID, 10), LEN('ab  ') FROM AD a ORDER BY a.ID" \
"Novák	NULL	2
Žluťoučký kůň	11	2"
q "CAST AS DATE, DATEADD, DATEDIFF" \
"SELECT CAST(Datum AS DATE), DATEDIFF(day, '2024-02-28', Datum), DATEADD(day, 1, Datum) FROM FA WHERE ID = 2" \
"Feb 28 2024 12:00AM	0	Feb 29 2024 12:00AM"
q "DATEADD(month) keeps the day or clamps it to the month's end" \
"SELECT DATEADD(month, 1, '2024-01-31'), DATEADD(year, -1, '2024-02-29 10:00:00.003'), DATEADD(quarter, 1, Datum) FROM FA WHERE ID = 3" \
"Feb 29 2024 12:00AM	Feb 28 2023 10:00AM	Mar 31 2024 11:59PM"
q "OUTER APPLY (SELECT TOP 1 ...): latest row per parent, NULL if none" \
"SELECT a.ID, x.Cislo, x.K FROM AD a OUTER APPLY (SELECT TOP 1 f.Cislo, f.Kc AS K FROM [S].[D].dbo.FA f WHERE f.RefAD = a.ID ORDER BY f.ID DESC) x ORDER BY a.ID" \
"10	FV003	0.0000
11	FV002	-0.0100"
q "CROSS APPLY drops parents without a row" \
"SELECT a.ID FROM AD a CROSS APPLY (SELECT TOP (1) f.ID FROM FA f WHERE f.RefAD = a.ID AND f.ID > 2) x" \
"10"
q "money arithmetic and CAST to decimal" \
"SELECT Kc * 2, CAST(Kc AS decimal(10,1)) FROM FA WHERE ID = 1" \
"2469.1200	1234.6"
q "several statements in one batch, SET in between" \
"SELECT 1 AS a; SET ANSI_NULLS ON SELECT 2 AS b" \
"1
b
2"
q "string comparison follows the column's CI collation" \
"SELECT ID FROM FA WHERE Cislo = 'fv002'" "2"
q "@@SPID and DB_NAME()" \
"SELECT CASE WHEN @@SPID > 0 THEN 'spid' END, DB_NAME()" "spid	POHODA"
q "GETDATE() is a datetime of today" \
"SELECT DATEDIFF(day, GETDATE(), CAST(GETDATE() AS date))" "0"

q "money stored as exact text sorts, compares and aggregates as a number" \
"SELECT MAX(Kc), MIN(Kc) FROM M; SELECT ID FROM M WHERE Kc > 50 ORDER BY Kc DESC" \
"1000.0000	-5.0000
ID
2
1"
q "CASE result is as long as its longest branch" \
"SELECT CASE ID WHEN 1 THEN 'a' ELSE 'přijatá faktura' END FROM FA WHERE ID = 2" \
"přijatá faktura"
q "SELECT INTO #temp keeps the types; the temp table is per connection" \
"SELECT ID, Kc INTO #t FROM FA WHERE ID < 3; SELECT Kc FROM #t ORDER BY ID" \
"1234.5600
-0.0100"

# result types as another client reports them
(cd "$TDS_FID" && timeout 30 node client.js "$TDS_PORT" "$TDS_USER" "$TDS_PW" \
    query "SELECT h.ID, h.Cislo, h.Kc, CONCAT('FA-', h.ID) AS k, N'x' AS n, 1 AS i, CAST(h.Kc AS decimal(12,3)) AS d, h.Kc * 2 AS m2, COUNT(*) OVER () AS c, Pozn FROM (SELECT * FROM FA) h WHERE h.ID = 1") > "$T/types.out" 2>&1
"$PY" - "$T/types.out" > "$T/types.got" <<'EOP'
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if 'cols' in o:
        for c in o['cols']:
            print(c['name'] or '-', c['type'], c.get('length'),
                  c.get('precision'), c.get('scale'))
EOP
cat > "$T/types.want" <<'EOW'
ID IntN 4 None None
Cislo VarChar 32 None None
Kc MoneyN 8 None None
k VarChar 14 None None
n NVarChar 2 None None
i IntN 4 None None
d DecimalN 9 12 3
m2 MoneyN 8 None None
c IntN 4 None None
Pozn Text 2147483647 None None
EOW
files_eq "$T/types.got" "$T/types.want" "tedious: declared types through a subquery, inferred types of expressions"

# unnamed columns and duplicates keep SQL Server's names
(cd "$TDS_FID" && timeout 30 node client.js "$TDS_PORT" "$TDS_USER" "$TDS_PW" \
    query "SELECT 1, a.Firma, f.ID, a.ID FROM FA f JOIN AD a ON a.ID = f.RefAD WHERE f.ID = 1") > "$T/names.out" 2>&1
grep -q '"cols":\[{"name":"","type":"IntN"' "$T/names.out" &&
    grep -q '"name":"ID".*"name":"ID"' "$T/names.out"
ok $? "an expression has an empty column name; duplicates stay duplicates"
# the project's own queries (sql/*.sql) on a make-pohoda-db database
if [ -x tests/data/make-pohoda-db ] && ls sql/*.sql > /dev/null 2>&1; then
	"$PY" tests/data/make-pohoda-db --scale 1 --seed 1 "$T/pohoda.sqlite" &&
	    tds_start "$T/pohoda.sqlite"
	ok $? "server on make-pohoda-db's database"
	for f in sql/*.sql; do
		(cd "$TDS_FID" && timeout 30 node client.js "$TDS_PORT" \
		    "$TDS_USER" "$TDS_PW" query "$(cat "$TOP/$f")") \
		    > "$T/sql.out" 2>&1
		grep -q '^{"done":' "$T/sql.out" && ! grep -q '"error"' "$T/sql.out"
		ok $? "$f runs through tds-server (tedious)"
		grep '"error"' "$T/sql.out" | sed 's/^/# /'
	done
else
	skip "make-pohoda-db or sql/*.sql not present"
fi
done_testing

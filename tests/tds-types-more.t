#!/bin/sh
# The SQL Server types the shared cases do not cover (time, datetimeoffset,
# nchar, ntext, xml, image, (max) types, smallmoney, real, numeric, binary,
# rowversion, datetime2 rounding, smalldatetime rounding), read by tedious
# at TDS 7.4 and by tsql at TDS 7.1 (date types arrive as text there).
. tests/lib.sh
. tests/fidelity/tds/env.sh

"$PY" - "$T/x.sqlite" <<'EOP'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
cols = [('t3', 'time(3)', '12:34:56.789'), ('t0', 'time(0)', '23:59:59'),
        ('dto', 'datetimeoffset(2)', '2024-03-01 12:34:56.12+01:00'),
        ('nc', 'nchar(3)', 'ž'), ('nt', 'ntext', 'Ťuk 🎄'),
        ('x', 'xml', '<a b="č"/>'), ('img', 'image', b'\x00\x01\xff'),
        ('vbm', '"varbinary(max)"', b'\xde\xad'),
        ('nvm', '"nvarchar(max)"', 'Žlutý ' * 3), ('vcm', 'varchar(-1)', 'Žlutý'),
        ('sm', 'smallmoney', '-214748.3648'), ('r', 'real', 0.5),
        ('num', 'numeric(5,2)', '-123.45'), ('bin', 'binary(4)', b'\x01\x02'),
        ('rv', 'rowversion', b'\x00\x00\x00\x00\x00\x00\x07\xd1'),
        ('dt2', 'datetime2(3)', '2024-02-29 23:59:59.9995'),
        ('sdt', 'smalldatetime', '2024-03-01 12:34:29.999'),
        ('g', 'uniqueidentifier', '6F9619FF-8B86-D011-B42D-00C04FC964FF'),
        ('nul', 'nvarchar(5)', None)]
# untyped columns first, so SQLite keeps every value as given
db.execute('CREATE TABLE X (%s)' % ', '.join(c for c, t, v in cols))
db.execute('INSERT INTO X VALUES (%s)' % ','.join('?' * len(cols)),
           [v for c, t, v in cols])
ver = db.execute('PRAGMA schema_version').fetchone()[0]
db.execute('PRAGMA writable_schema = ON')
db.execute("UPDATE sqlite_master SET sql = ? WHERE name = 'X'",
           ('CREATE TABLE X (%s)' % ', '.join('%s %s' % (c, t)
                                              for c, t, v in cols),))
db.execute('PRAGMA schema_version = %d' % (ver + 1))
db.execute('PRAGMA writable_schema = OFF')
db.commit()
EOP
ok $? "fixture with one column per extra type"
tds_start "$T/x.sqlite"
ok $? "server listening"

if [ -d "$TDS_FID/node_modules/tedious" ]; then
	(cd "$TDS_FID" && timeout 30 node client.js "$TDS_PORT" "$TDS_USER" \
	    "$TDS_PW" query "SELECT * FROM X") > "$T/ted.out" 2>&1
	"$PY" - "$T/ted.out" > "$T/ted.got" <<'EOP'
import json, sys
for l in open(sys.argv[1], encoding='utf-8'):
    o = json.loads(l)
    if 'cols' in o:
        names = [c['name'] + ':' + c['type'] for c in o['cols']]
    if 'row' in o:
        for n, v in zip(names, o['row']):
            print(n, json.dumps(v, ensure_ascii=False))
EOP
	cat > "$T/ted.want" <<'EOW'
t3:Time {"date": "1970-01-01T12:34:56.789Z", "ns": 0}
t0:Time {"date": "1970-01-01T23:59:59.000Z", "ns": 0}
dto:DateTimeOffset {"date": "2024-03-01T11:34:56.120Z", "ns": 0}
nc:NChar "ž  "
nt:NText "Ťuk 🎄"
x:Xml "<a b=\"č\"/>"
img:Image {"hex": "0001ff"}
vbm:VarBinary {"hex": "dead"}
nvm:NVarChar "Žlutý Žlutý Žlutý "
vcm:VarChar "Žlutý"
sm:MoneyN -214748.3648
r:FloatN 0.5
num:NumericN -123.45
bin:Binary {"hex": "01020000"}
rv:Binary {"hex": "00000000000007d1"}
dt2:DateTime2 {"date": "2024-03-01T00:00:00.000Z", "ns": 0}
sdt:DateTimeN {"date": "2024-03-01T12:35:00.000Z", "ns": 0}
g:UniqueIdentifier "6F9619FF-8B86-D011-B42D-00C04FC964FF"
nul:NVarChar null
EOW
	files_eq "$T/ted.got" "$T/ted.want" "tedious (TDS 7.4) reads every extra type"
else
	skip "tedious not installed"
fi

sed 's/tds version = .*/tds version = 7.1/' "$T/freetds.conf" > "$T/f71.conf"
printf 'SET TEXTSIZE 100000\ngo\nSELECT * FROM X\ngo\n' > "$T/x.sql"
FREETDSCONF=$T/f71.conf FREETDS=$T/f71.conf tds_tsql "$T/x.sql" | sed 1d \
    > "$T/tsql.got"
printf '%s\n' '12:34:56.789	23:59:59	2024-03-01 12:34:56.12 +01:00	ž  	Ťuk 🎄	<a b="č"/>	0001ff	dead	Žlutý Žlutý Žlutý 	Žlutý	-214748.3648	0.5	-123.45	01020000	00000000000007d1	2024-03-01 00:00:00.000	Mar  1 2024 12:35PM	6F9619FF-8B86-D011-B42D-00C04FC964FF	NULL' \
    > "$T/tsql.want"
files_eq "$T/tsql.got" "$T/tsql.want" \
    "tsql at TDS 7.1: (max) types as text/ntext/image, date types as text"
done_testing

#!/bin/sh
# extract-unit.t: pohoda-extract's value formatting, column names and
# gzip writer, without a server.  Each case of the shared types.tsv is
# hand-encoded below as the bytes db-lib's dbdata() holds for it (derived
# from the literal and the TDS notes, x86-64 layout); the wanted JSON and
# BigQuery type come from types.tsv itself, the wanted keys from
# names.tsv.
. tests/lib.sh

if [ "$BIN" = "$TOP/bin" ]; then
	U=$TOP/build/obj/unit/extract-value
else
	U=$BIN/../obj/unit/extract-value
fi
if [ ! -x "$U" ]; then
	echo "1..0 # skip $U not built (make)"
	exit 0
fi

# type in types.tsv | db-lib type code, precision, scale | dbdata() hex
cat > "$T/enc" <<'EOF'
bit|50 0 0|01
bit|50 0 0|NULL
tinyint|48 0 0|ff
smallint|52 0 0|0080
int|56 0 0|ffffff7f
bigint|127 0 0|0000000000000080
decimal(19,4)|106 19 4|1304010000000000bc5ea8
decimal(38,0)|106 38 0|2600000949b0f6f0023313c4499050de38f34e
decimal(38,16)|106 38 16|2610010000000000000000001e522befb7f4ff
money|60 0 0|00000000d2040000
money|60 0 0|0000008000000000
smallmoney|122 0 0|42450100
float|62 0 0|343333333333d33f
datetime|61 0 0|e9b00000ff818b01
datetime|61 0 0|0000000002000000
smalldatetime|58 0 0|26b1f302
datetime2(7)|42 7 7|ffbf692ac90000007f242d0000000760
datetime2(0)|42 0 0|0040230e4300000025b1000000000060
date|40 0 0|0000000000000000a56af5ff00000040
varchar(64) COLLATE Czech_CI_AS|47 0 0|50c599c3ad6c69c5a120c5be6c75c5a56f75c48d6bc3bd206bc5afc58820c3ba70c49b6c20c48fc3a162656c736bc3a920c3b36479
char(10)|47 0 0|41424320202020202020
varchar(10)|47 0 0|-
text COLLATE Czech_CI_AS|35 0 0|LONGTEXT
nvarchar(10)|47 0 0|f09f8e84
varchar(100) COLLATE Czech_CI_AS|47 0 0|c599c3a164656b20310d0ac599c3a164656b20320978
varbinary(5)|45 0 0|48656C6C6F
uniqueidentifier|36 0 0|fdb05715ad406e4c9651161136ad68d2
EOF

grep -v '^#' "$SHARED/cases/types.tsv" > "$T/cases"
is "$(wc -l < "$T/cases")" "$(wc -l < "$T/enc")" \
    "every case of types.tsv is encoded"

# the long text: 99999 times 'a' and a 'Ž', as UTF-8
long=$("$PY" -c 'print(("a" * 99999 + "\u017d").encode().hex())')
while IFS='|' read -r _ code hex; do
	[ "$hex" = LONGTEXT ] && hex=$long
	echo "$code $hex"
done < "$T/enc" > "$T/in"
"$U" values < "$T/in" > "$T/out"
ok $? "the value driver runs"

i=0
while IFS='	' read -r type literal want bq why; do
	i=$((i + 1))
	enc_type=$(sed -n "${i}p" "$T/enc" | cut -d'|' -f1)
	got=$(sed -n "${i}p" "$T/out" | cut -f1)
	got_bq=$(sed -n "${i}p" "$T/out" | cut -f2)
	if [ "$enc_type" != "$type" ]; then
		ok 1 "case $i: encoding table out of step ($enc_type)"
		continue
	fi
	case $want in
	"(100000 characters, the last one Ž)")
		n=$(printf '%s' "$got" | "$PY" -c 'import json, sys
v = json.loads(sys.stdin.read())
print(len(v), v[-1], v[:-1] == "a" * 99999)')
		is "$n" "100000 Ž True" "$type $literal: $why"
		;;
	*)
		is "$got" "$want" "$type $literal: $why"
		;;
	esac
	is "$got_bq" "$bq" "$type: BigQuery $bq"
done < "$T/cases"

# names.tsv: column names in, keys out
grep -v '^#' "$SHARED/cases/names.tsv" > "$T/names"
while IFS='	' read -r names want why; do
	got=$(printf '%s\n' "$names" | "$U" names)
	is "$got" "$want" "names: $why"
done < "$T/names"
got=$(printf 'id, ID, Id_2, ÆØß Œuvre, Ðe\314\201, €\n' | "$U" names)
is "$got" "id, ID_2, Id_2_2, AEOss_OEuvre, De, _" \
    "names: duplicates ignore case, wide letters, combining marks"

for t in calendar decimal money float ticks strings base64; do
	out=$("$U" selftest $t)
	ok $? "selftest $t"
	[ -z "$out" ] || diag "$out"
done

# more types the shared cases do not list: time(3), datetimeoffset(7)
# +01:00 and (0) -01:30 (db-lib keeps them in UTC), real, numeric(5,2),
# sql_variant
cat > "$T/more-in" <<'EOF'
41 3 3 b0f56a69490000000000000000000320
43 7 7 8786d3146100000026b100003c0007e0
43 0 0 008c87f9c400000026b10000a6ff00e0
59 0 0 cdcccc3d
108 5 2 0502000030390000
98 0 0 00
EOF
cat > "$T/more-want" <<'EOF'
"08:45:30.123"	TIME
"2024-03-01T11:34:56.123456Z"	TIMESTAMP
"2024-03-01T23:30:00Z"	TIMESTAMP
0.1	FLOAT64
"123.45"	NUMERIC
error: no mapping	-
EOF
"$U" values < "$T/more-in" > "$T/more"
files_eq "$T/more" "$T/more-want" "time, datetimeoffset in UTC, real, numeric"

# the writer: a gzip member every 1000 rows, the rows intact
"$U" gz 2500 1000 "$T/x.gz"
ok $? "gzip writer runs"
got=$(gzip -dc "$T/x.gz" | sed 's/{"n":\([0-9]*\)}/\1/' | cksum)
is "$got" "$(seq 1 2500 | cksum)" "gzip rows intact"
members() {
	"$PY" -c 'import sys, zlib
data = open(sys.argv[1], "rb").read()
n = 0
while data:
    d = zlib.decompressobj(31)
    d.decompress(data)
    data = d.unused_data
    n += 1
print(n)' "$1"
}
is "$(members "$T/x.gz")" 3 "2500 rows in members of 1000: 3 members"
"$U" gz 2000 1000 "$T/y.gz"
is "$(members "$T/y.gz")" 2 "2000 rows: 2 members, no empty third"
"$U" gz 0 1000 "$T/z.gz"
is "$(gzip -dc "$T/z.gz" | wc -c)" 0 "no rows: a valid empty gzip file"
"$U" gz 3000 0 "$T/w.gz"
is "$(members "$T/w.gz")" 1 "member size 0: one member"
done_testing

#!/bin/sh
# extract-conv.t: pohoda-extract's own code page 1250 and UTF-16LE to
# UTF-8 conversions (tools/pohoda-extract/conv.c, which FreeTDS reaches
# through iconv.c) give what Python's codecs give: every byte of code
# page 1250, the ones it leaves undefined too, and UTF-16 surrogates,
# paired, lone and cut off; they keep glibc's iconv(3) contract on a
# million random inputs; and through a server that sends the raw bytes,
# the values arrive as Python decodes them, and a byte that cannot be
# converted still fails the run as it did through glibc.
. tests/lib.sh
. tests/extract/env.sh

if [ "$BIN" = "$TOP/bin" ]; then
	U=$TOP/build/obj/unit/extract-conv
else
	U=$BIN/../obj/unit/extract-conv
fi
if [ ! -x "$U" ]; then
	echo "1..0 # skip $U not built (make)"
	exit 0
fi
X=$BIN/pohoda-extract

# want KIND HEX: what Python's codec makes of HEX, in the driver's form
want() {
	"$PY" -c 'import sys
codec = {"cp1250": "cp1250", "utf16le": "utf-16-le"}[sys.argv[1]]
raw = bytes.fromhex(sys.argv[2])
try:
    print(raw.decode(codec).encode().hex(), "ok")
except UnicodeDecodeError as e:
    cut = e.reason in ("unexpected end of data", "truncated data")
    print(raw[:e.start].decode(codec).encode().hex(),
          "EINVAL" if cut else "EILSEQ", e.start)' "$1" "$2"
}

# every byte of code page 1250 on its own, and all of them in a row
# but the five it leaves undefined (0x81 0x83 0x88 0x90 0x98)
b=0
bad=""
while [ $b -lt 256 ]; do
	h=$(printf '%02x' $b)
	[ "$("$U" cp1250 "$h")" = "$(want cp1250 "$h")" ] || bad="$bad $h"
	b=$((b + 1))
done
is "$bad" "" "code page 1250: each of the 256 bytes as Python's codec"
all=$("$PY" -c 'print("".join("%02x" % b for b in range(32, 256)
    if b not in (0x81, 0x83, 0x88, 0x90, 0x98)))')
is "$("$U" cp1250 "$all")" "$(want cp1250 "$all")" \
    "code page 1250: every defined byte in one value"
is "$("$U" cp1250 41c881)" "41c48c EILSEQ 2" \
    "code page 1250: an undefined byte stops at its offset"

# UTF-16LE: a pair, a lone high, a lone low, a high cut off by the end,
# an odd byte, a byte order mark (kept), the edges of the planes
for h in 3cd884df 41003cd84100 410084df4100 41003cd8 3cd884 4100ff \
    fffe4100 fffffeffff07000800d7ffdbffdfff 00d800dcffdbffdf \
    3cd83cd884df 84df3cd8; do
	is "$("$U" utf16le "$h")" "$(want utf16le "$h")" "UTF-16LE $h"
done

"$U" glibc 1 1000000 > "$T/fuzz"
ok $? "a million random inputs: the same as glibc's iconv"
[ -s "$T/fuzz" ] && diag "$(head -n 5 "$T/fuzz")"

# through a server: a varchar of collation Czech_CI_AS and an nvarchar
# whose bytes the test sends raw, row by row from rows.hex
sqlite3 "$T/empty.sqlite" "CREATE TABLE t (x int);"
"$PY" - "$T/raw.port" "$T/rows.hex" "$T/empty.sqlite" <<'PYEOF' &
import struct, sys
sys.path.insert(0, "tests/extract")
from tdsfake import Session, serve
from tds.columns import compile_column
from tds.types import SqlType

class Raw(Session):
    def batch(self, payload):
        if "RAWTEXT" not in payload.decode("utf-16-le", "replace"):
            return Session.batch(self, payload)
        cols = [compile_column("a", SqlType("varchar", 4000,
                                            coll="Czech_CI_AS"),
                               self.version),
                compile_column("n", SqlType("nvarchar", 4000),
                               self.version)]
        self.emit(b"\x81" + struct.pack("<H", 2) +
                  b"".join(c.meta for c in cols))
        rows = [l.split() for l in open(sys.argv[2])]
        for a, n in rows:
            a, n = bytes.fromhex(a[1:]), bytes.fromhex(n[1:])
            self.emit(b"\xd1" + struct.pack("<H", len(a)) + a +
                      struct.pack("<H", len(n)) + n)
        self.emit(self.done(0x10, len(rows), 0xC1))
        self.finish()

serve(Raw, sys.argv[1], sys.argv[3])
PYEOF
RAW=$!
bg_adopt "$RAW"
wait_file "$T/raw.port"
RCFG=$(tds_cfg_file "$(cat "$T/raw.port")")

# raw ROWS...: each row "CP1250HEX UTF16HEX" (x before each, so that an
# empty value is a word); the NDJSON pohoda-extract makes of them
raw() {
	printf '%s\n' "$@" > "$T/rows.hex"
	"$X" -q -c "$RCFG" -o "$T/raw.ndjson" -e "SELECT RAWTEXT" \
	    2> "$T/raw.err"
}
# json ROWS...: what Python makes of the same rows
json() {
	printf '%s\n' "$@" | "$PY" -c 'import json, sys
for line in sys.stdin:
    a, n = line.split()
    print(json.dumps({"a": bytes.fromhex(a[1:]).decode("cp1250"),
                      "n": bytes.fromhex(n[1:]).decode("utf-16-le")},
                     ensure_ascii=False, separators=(",", ":")))'
}

wide=$("$PY" -c 'print("Příliš žluťoučký kůň 🎄\ufeff\uffff\U0010ffff"
    .encode("utf-16-le").hex())')
raw "x$all x$wide" "x x" "x41 x3cd884df"
ok $? "raw code page 1250 and UTF-16LE read"
files_eq "$T/raw.ndjson" "$(json "x$all x$wide" "x x" "x41 x3cd884df" \
    > "$T/raw.want"; echo "$T/raw.want")" \
    "every defined byte of 1250, pairs, BOM, U+FFFF as Python decodes"

# what cannot be converted fails the run (FreeTDS puts a ? in its place
# and says so; a ? must not reach BigQuery), as it did through glibc
for row in "x4181 x4100" "x41 x41003cd84100" "x41 x84df" "x41 x3cd8"; do
	raw "$row"
	rc=$?
	is "$rc/$(cat "$T/raw.err")" \
	    "65/pohoda-extract: query: character conversion failed" \
	    "not convertible ($row): 65, said"
done
stop_bg "$RAW"
done_testing

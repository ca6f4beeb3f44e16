#!/bin/sh
# tests/servers/tds-server at the protocol level, seen by independent
# clients: login failure (18456), SQL errors, attention (tedious cancel and
# a raw attention packet), junk input, TDS 7.1/7.2 clients, and the
# synthetic BIG table (row count and values from the documented formulas).
. tests/lib.sh
. tests/fidelity/tds/env.sh
raw() { "$PY" "$TDS_FID/rawclient.py" "$@"; }

"$PY" tests/data/make-type-cases "$T/cases.sqlite" "$SHARED/cases/types.tsv" \
    "$SHARED/cases/names.tsv" || exit 1
tds_start "$T/cases.sqlite" --synthetic-rows 250000
ok $? "tds-server with --synthetic-rows is listening"

# wrong password: SQL Server's 18456, then the connection closes
printf 'SELECT 1\ngo\n' > "$T/one.sql"
tds_tsql "$T/one.sql" pohoda_sync wrong-pw > "$T/badpw.out"
grep -q "Msg 18456" "$T/badpw.out" &&
    grep -q "Login failed for user 'pohoda_sync'" "$T/badpw.out"
ok $? "tsql sees error 18456 Login failed for a wrong password"
is "$(raw "$TDS_PORT" pohoda_sync wrong-pw login)" \
    "login-failed 18456 Login failed for user 'pohoda_sync'." \
    "raw client: ERROR 18456 instead of LOGINACK"
is "$(raw "$TDS_PORT" nobody pohoda-test-pw login)" \
    "login-failed 18456 Login failed for user 'nobody'." \
    "unknown user is refused the same way"

# a client that requires TLS gets ENCRYPT_NOT_SUP and gives up cleanly
sed 's/^\[fake\]/[fake]\n\tencryption = require/' "$T/freetds.conf" > "$T/enc.conf"
FREETDSCONF=$T/enc.conf FREETDS=$T/enc.conf tds_tsql "$T/one.sql" > "$T/enc.out"
r=$?
[ "$r" -ne 0 ] && [ "$r" -ne 124 ] && grep -q "connection failed" "$T/enc.out"
ok $? "tsql with encryption = require is refused, no hang (status $r)"

# --users replaces the default login
printf 'alice:s3cret:with:colons\n' > "$T/users"
start_bg "$PY" "$TDS_SERVER" --port 0 --port-file "$T/p2" --db \
    "$T/cases.sqlite" --users "$T/users" 2>>"$T/tds-server.log"
_w=0; while [ ! -s "$T/p2" ] && [ $_w -lt 100 ]; do sleep 0.1; _w=$((_w+1)); done
is "$(raw "$(cat "$T/p2")" alice 's3cret:with:colons' login)" login-ok \
    "--users: a listed user logs in"
is "$(raw "$(cat "$T/p2")" pohoda_sync pohoda-test-pw login | cut -c1-18)" \
    "login-failed 18456" "--users: the default user is gone"

# SQL errors reach the client with SQL Server numbers, connection lives on
cat > "$T/err.sql" <<'EOS'
SELECT * FROM [SERVER1].[POHODA_DB].dbo.NEEXISTUJE
go
SELECT FROM WHERE
go
SELECT Neni FROM c01
go
SELECT 'still alive'
go
EOS
tds_tsql "$T/err.sql" > "$T/err.out"
grep -q "Msg 208.*" "$T/err.out" && grep -q "Invalid object name 'NEEXISTUJE'" "$T/err.out"
ok $? "unknown table: Msg 208 Invalid object name"
grep -q "Msg 102" "$T/err.out"
ok $? "bad syntax: Msg 102 Incorrect syntax"
grep -q "Msg 207" "$T/err.out" && grep -q "Invalid column name 'Neni'" "$T/err.out"
ok $? "unknown column: Msg 207 Invalid column name"
grep -qx "still alive" "$T/err.out"
ok $? "the connection keeps working after errors"

# tedious: error object carries the number; cancel sends an attention
(cd "$TDS_FID" && timeout 30 node client.js "$TDS_PORT" "$TDS_USER" "$TDS_PW" \
    query "SELECT * FROM NEEXISTUJE") > "$T/ted-err.out" 2>&1
grep -q '"number":208' "$T/ted-err.out"
ok $? "tedious: error 208 surfaced as a request error"
(cd "$TDS_FID" && timeout 30 node client.js "$TDS_PORT" "$TDS_USER" "$TDS_PW" \
    cancel "SELECT * FROM BIG") > "$T/ted-cancel.out" 2>&1
grep -q '"code":"ECANCEL".*"after":42' "$T/ted-cancel.out"
ok $? "tedious: request.cancel() ends the 250000-row query, connection reusable"
diag "$(cat "$T/ted-cancel.out")"
(cd "$TDS_FID" && timeout 30 node client.js "$TDS_PORT" "$TDS_USER" wrong \
    query "SELECT 1") > "$T/ted-login.out" 2>&1
grep -q '"code":"ELOGIN"' "$T/ted-login.out"
ok $? "tedious: wrong password is ELOGIN"

out=$(raw "$TDS_PORT" "$TDS_USER" "$TDS_PW" attention "SELECT * FROM BIG")
case $out in "attn-ok "*" after=ok") r=0 ;; *) r=1 ;; esac
ok $r "raw attention packet: DONE with ATTN, then SELECT 7 works ($out)"

# junk after PRELOGIN: the server drops the connection and keeps serving
for seed in 1 2 3 4 5; do
	timeout 10 "$PY" "$TDS_FID/rawclient.py" "$TDS_PORT" - - garbage "$seed" > /dev/null 2>&1
done
is "$(raw "$TDS_PORT" "$TDS_USER" "$TDS_PW" login)" login-ok \
    "server survives 5 seeded junk sessions"
kill -0 "$TDS_PID" 2>/dev/null
ok $? "server process still running"

# seeded T-SQL junk: every batch gets an answer ending in DONE
out=$(timeout 60 "$PY" "$TDS_FID/fuzz-sql.py" "$TDS_PORT" 7 300 | tail -n 1)
is "$out" "bad=0" "300 seeded random batches each answered with a final DONE"
! grep -q Traceback "$T/tds-server.log"
ok $? "no internal error while serving them"

# default TEXTSIZE is 4096 bytes, as SQL Server's; SET TEXTSIZE lifts it
printf "SELECT 'B<', v, '>E' FROM c23\ngo\nSET TEXTSIZE 2147483647\ngo\nSELECT 'B<', v, '>E' FROM c23\ngo\n" > "$T/ts.sql"
tds_tsql "$T/ts.sql" | sed -n 's/^B<\t\(.*\)\t>E$/\1/p' | awk '{ print length($0) }' > "$T/ts.out"
is "$(tr '\n' ' ' < "$T/ts.out")" "4096 100001 " \
    "text is cut at TEXTSIZE 4096 until SET TEXTSIZE (UTF-8 bytes: 99999 a + Ž)"

# older TDS versions: 7.2 (no NBCROW), 7.1 (date types downgraded to text)
for v in 7.1 7.2 7.3; do
	sed "s/tds version = .*/tds version = $v/" "$T/freetds.conf" > "$T/f$v.conf"
	printf "SELECT 'B<', v, '>E' FROM c17\ngo\nSELECT 'B<', v, '>E' FROM c02\ngo\nSELECT 'B<', v, '>E' FROM c11\ngo\n" > "$T/v.sql"
	FREETDSCONF=$T/f$v.conf FREETDS=$T/f$v.conf tds_tsql "$T/v.sql" > "$T/v$v.out"
	case $v in
	7.1|7.2) want='B<	9999-12-31 23:59:59.9999999	>E' ;;
	*) want='B<	Dec 31 9999 11:59PM	>E' ;;
	esac
	grep -qxF "$want" "$T/v$v.out"
	ok $? "TDS $v: datetime2(7) arrives as $(echo "$want" | cut -f2)"
	grep -qxF 'B<	NULL	>E' "$T/v$v.out" && grep -qxF 'B<	-922337203685477.5808	>E' "$T/v$v.out"
	ok $? "TDS $v: NULL and money minimum"
done

# synthetic BIG: every row read by freebcp equals the documented formulas
timeout 60 freebcp "SELECT * FROM BIG" queryout "$T/big.txt" -c \
    -S fake -U "$TDS_USER" -P "$TDS_PW" > "$T/bcp.log" 2>&1
ok $? "freebcp queryout of SELECT * FROM BIG"
"$PY" - "$T/big.txt" 250000 > "$T/big.check" <<'EOP'
import datetime, sys
FIRMY = ['Dřevařství Novák s.r.o.', 'Žluťoučký kůň a.s.',
         'Účetní kancelář Čermák', 'Pekárna U Šťastných',
         'Stavby Přibyl & syn', 'Ovoce Ďáblice v.o.s.',
         'Truhlářství Kůrka', 'ELEKTRO Řezníček spol. s r.o.']
from decimal import Decimal
bad = 0
n = 0
with open(sys.argv[1], encoding='utf-8', newline='') as f:
    for line in f:
        n += 1
        i = n
        r = i % 80000
        got = line.rstrip('\n').split('\t')
        d = datetime.datetime(2020, 1, 1) + datetime.timedelta(
            days=r % 1461, seconds=r * 7919 % 86400)
        want = [str(i), 'FV%08d' % i, d.strftime('%Y-%m-%d %H:%M:%S.000'),
                FIRMY[i % 8],
                Decimal((r * 12345) % 100000000 - 50000000).scaleb(-4),
                Decimal((r * 1001) % 1000000000 - 100000000).scaleb(-2),
                r * 0.25, '1' if r % 3 == 0 else '0',
                'Poznámka č. %08d' % i,
                '%08X-0000-4000-8000-%012X' % (i, (r * 2654435761) % 2**48)]
        ok = (len(got) == 10 and got[:4] == want[:4] and
              Decimal(got[4]) == want[4] and Decimal(got[5]) == want[5] and
              float(got[6]) == want[6] and got[7:] == want[7:])
        if not ok:
            bad += 1
            if bad < 3:
                print('row %d: got %r want %r' % (i, got, want))
print('rows=%d bad=%d' % (n, bad))
EOP
is "$(tail -n 1 "$T/big.check")" "rows=250000 bad=0" \
    "BIG: 250000 rows, each equal to its ID's formula values"
out=$(raw "$TDS_PORT" "$TDS_USER" "$TDS_PW" count "SELECT TOP 1000 ID, Firma FROM [S].[D].dbo.BIG")
case $out in *" rows=1000 status=16 "*) r=0 ;; *) r=1 ;; esac
ok $r "raw client: TOP 1000 with a column list gives DONE count 1000 ($out)"
out=$(raw "$TDS_PORT" "$TDS_USER" "$TDS_PW" count "SELECT * FROM BIG")
case $out in *" rows=250000 status=16 "*) r=0 ;; *) r=1 ;; esac
ok $r "raw client: all 250000 rows ($out)"
done_testing

#!/bin/sh
# extract-edge.t: pohoda-extract at its edges: a reader that goes away,
# odd query files, odd options, odd configurations and servers that are
# not SQL Server.  Each case checks the exit status of DESIGN §7, a
# message that names the thing, and no file left behind.
. tests/lib.sh
. tests/extract/env.sh

X=$BIN/pohoda-extract
PW=pohoda-test-pw
mkdir "$T/out"

# left: what is in $T/out (final names and temporary files); clean
left() { ls -A "$T/out"; }
clean() { find "$T/out" -mindepth 1 -delete; }

"$PY" -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).close()' \
    "$T/empty.sqlite"
tds_start "$T/empty.sqlite" --synthetic-rows 200000
ok $? "tds-server with 200000 synthetic rows"
CFG=$(tds_cfg_file "$TDS_PORT")

# 1. a reader that stops early (| head -1): the extract dies of SIGPIPE
# as cat(1) would, quietly, and leaves no temporary schema file
( "$X" -q -c "$CFG" -m "$T/out/s.json" -e 'SELECT * FROM BIG' 2> "$T/e"
  echo $? > "$T/rc" ) | head -n 1 > "$T/first"
grep -q '^{"ID":1,' "$T/first"
ok $? "| head -1: the first row arrives"
is "$(cat "$T/rc")" 141 "| head -1: ended by SIGPIPE (128 + 13)"
is "$(cat "$T/e")" "" "| head -1: no message"
is "$(left)" "" "| head -1: no schema file, no temporary file"
clean
# with SIGPIPE ignored by the caller, the write fails: a message, exit 1
( trap '' PIPE
  "$X" -q -c "$CFG" -m "$T/out/s.json" -e 'SELECT * FROM BIG' 2> "$T/e"
  echo $? > "$T/rc" ) | head -n 1 > /dev/null
is "$(cat "$T/rc")" 1 "SIGPIPE ignored: exit 1"
grep -q '^pohoda-extract: stdout: Broken pipe$' "$T/e"
ok $? "SIGPIPE ignored: says stdout: Broken pipe"
is "$(left)" "" "SIGPIPE ignored: no schema file, no temporary file"
clean

# 2. a query file saved with a byte order mark (Windows Notepad): the
# mark says how the file is encoded and is no part of the query
printf '\357\273\277SELECT TOP 2 ID FROM BIG\r\n' > "$T/bom.sql"
"$X" -q -c "$CFG" "$T/bom.sql" > "$T/got" 2> "$T/e"
is "$?" 0 "a UTF-8 byte order mark: 0"
printf '{"ID":1}\n{"ID":2}\n' > "$T/want"
files_eq "$T/got" "$T/want" "a UTF-8 byte order mark: the rows"

# 3. a query that is not UTF-8 (a file saved in code page 1250): refused
# before it reaches FreeTDS, which would send what comes before the bad
# byte and fail with a message about character sets
printf -- '-- faktury\nSELECT ID FROM BIG WHERE Firma = \047\350\047\n' \
    > "$T/cp1250.sql"
"$X" -q -c "$CFG" -o "$T/out/x.ndjson" "$T/cp1250.sql" 2> "$T/e"
is "$?" 65 "a query in code page 1250: 65"
is "$(cat "$T/e")" \
    "pohoda-extract: $T/cp1250.sql: line 2, byte 35: not valid UTF-8" \
    "a query in code page 1250: says where"
is "$(left)" "" "a query in code page 1250: no file"
"$X" -q -c "$CFG" -e "$(printf 'SELECT \377 AS a')" 2> "$T/e"
is "$?" 65 "-e with invalid UTF-8: 65"
grep -q '^pohoda-extract: query: line 1, byte 8: not valid UTF-8$' "$T/e"
ok $? "-e with invalid UTF-8: says where"

# 4. an empty query is the same mistake with -e as in a file
for q in '' ' ' "$(printf '\r\n\t')"; do
	"$X" -q -c "$CFG" -e "$q" 2> "$T/e"
	is "$?" 65 "-e '$q': 65"
	is "$(cat "$T/e")" "pohoda-extract: query: empty query" \
	    "-e '$q': says the query is empty"
done

# 5. query and config files that cannot be read: DESIGN §7 has no 66, so
# an unreadable query is 1 (as for pohoda-rewrite and pohoda-batch), a
# query too large to be one is 65 and a config file's trouble 78
"$X" -q -c "$CFG" "$T/nothing.sql" 2> "$T/e"
is "$?" 1 "a missing query file: 1"
is "$(cat "$T/e")" \
    "pohoda-extract: $T/nothing.sql: No such file or directory" \
    "a missing query file: named, with the reason"
"$X" -q -c "$CFG" "$T/out" 2> "$T/e"
is "$?" 1 "a folder as the query file: 1"
is "$(cat "$T/e")" "pohoda-extract: $T/out: Is a directory" \
    "a folder as the query file: says so"
{ echo 'SELECT 1 AS a'; head -c 16777216 /dev/zero | tr '\0' ' '; } \
    > "$T/huge.sql"
"$X" -q -c "$CFG" "$T/huge.sql" 2> "$T/e"
is "$?" 65 "a query file over 16 MiB: 65"
is "$(cat "$T/e")" "pohoda-extract: $T/huge.sql: larger than 16 MiB" \
    "a query file over 16 MiB: says the limit"
rm -f "$T/huge.sql"
"$X" -q -c "$T/nothing.json" -e 'SELECT 1' 2> "$T/e"
is "$?" 78 "a missing config: 78"
grep -q "nothing.json: No such file or directory" "$T/e"
ok $? "a missing config: named, with the reason"
"$X" -q -c "$T/out" -e 'SELECT 1' 2> "$T/e"
is "$?" 78 "a folder as the config: 78"
grep -q "out: Is a directory" "$T/e"
ok $? "a folder as the config: says so"

# 6. -o and -m on one file: the rows would silently replace the schema
"$X" -q -c "$CFG" -o "$T/out/x.json" -m "$T/out/x.json" \
    -e 'SELECT TOP 1 ID FROM BIG' 2> "$T/e"
is "$?" 64 "-o and -m the same file: 64"
grep -q '^pohoda-extract: -o and -m name the same file' "$T/e"
ok $? "-o and -m the same file: says so"
is "$(left)" "" "-o and -m the same file: nothing written"
"$X" -q -c "$CFG" -o "$T/out/x.json" -m "$T/out/../out/x.json" \
    -e 'SELECT TOP 1 ID FROM BIG' 2> "$T/e"
is "$?" 64 "-o and -m the same file by two paths: 64"
"$X" -q -c "$CFG" -m - -e 'SELECT TOP 1 ID FROM BIG' > "$T/got" 2> "$T/e"
is "$?" 64 "-m - with the rows on stdout too: 64"
is "$(wc -c < "$T/got")" 0 "-m - with the rows on stdout too: nothing written"
"$X" -q -c "$CFG" -o "$T/out/x.ndjson" -m - \
    -e 'SELECT TOP 1 ID FROM BIG' > "$T/got" 2> "$T/e"
is "$?" 0 "-m - with -o FILE: 0"
grep -q '"name": "ID", "type": "INT64"' "$T/got"
ok $? "-m - with -o FILE: the schema on stdout"
clean
for opt in -o -m -T; do
	"$X" -q -c "$CFG" "$opt" '' -e 'SELECT TOP 1 ID FROM BIG' 2> "$T/e"
	is "$?" 64 "$opt '': 64"
	is "$(cat "$T/e")" "pohoda-extract: $opt: empty name" \
	    "$opt '': says the name is empty"
done

# 7. servers that are not SQL Server, or leave during the login: 69 and
# one plain message, whatever FreeTDS makes of it
"$PY" - "$T/evil.ports" <<'PYEOF' &
import os, random, select, socket, sys, time
rnd = random.Random(4711)
modes = ["close", "read-close", "garbage", "http", "bad-header"]
socks = {}
for m in modes:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    socks[s] = m
tmp = sys.argv[1] + ".tmp"
with open(tmp, "w") as f:
    for s, m in socks.items():
        f.write("%s %d\n" % (m, s.getsockname()[1]))
os.rename(tmp, sys.argv[1])
deadline = time.time() + 60
while time.time() < deadline:
    ready, _, _ = select.select(list(socks), [], [], 1)
    for s in ready:
        c, _ = s.accept()
        m = socks[s]
        c.settimeout(5)
        try:
            if m != "close":
                c.recv(4096)
            if m == "garbage":
                c.sendall(bytes(rnd.getrandbits(8) for _ in range(4096)))
            elif m == "http":
                c.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
            elif m == "bad-header":
                # a reply packet that claims 53248 bytes and sends 200
                c.sendall(bytes([4, 1, 0xd0, 0, 0, 0, 1, 0]) +
                          bytes(rnd.getrandbits(8) for _ in range(200)))
            if m != "close":
                time.sleep(0.3)
        except OSError:
            pass
        c.close()
PYEOF
EVIL=$!
bg_adopt "$EVIL"
wait_file "$T/evil.ports"
while read -r mode port; do
	ECFG=$(tds_cfg_file "$port" "$PW" 5)
	"$X" -q -c "$ECFG" -o "$T/out/x.ndjson" -e 'SELECT 1' 2> "$T/e"
	is "$?" 69 "$mode during the login: 69"
	is "$(cat "$T/e")" "pohoda-extract: 127.0.0.1:$port: login not \
completed: the server closed the connection or does not speak TDS" \
	    "$mode during the login: one plain message"
	is "$(left)" "" "$mode during the login: no file"
done < "$T/evil.ports"
stop_bg "$EVIL"

# 8. a host name that does not resolve: 69, said plainly
sed 's/"host": "127.0.0.1"/"host": "no-such-host.invalid"/' "$CFG" \
    > "$T/nohost.json"
chmod 600 "$T/nohost.json"
"$X" -q -c "$T/nohost.json" -e 'SELECT 1' 2> "$T/e"
is "$?" 69 "an unknown host: 69"
is "$(cat "$T/e")" "pohoda-extract: no-such-host.invalid:$TDS_PORT: \
unknown host name" "an unknown host: one plain message"

# encryption "require" against a server without TLS
sed 's/"encryption": "off"/"encryption": "require"/' "$CFG" > "$T/tls.json"
chmod 600 "$T/tls.json"
"$X" -q -c "$T/tls.json" -e 'SELECT 1' 2> "$T/e"
is "$?" 69 "encryption require, no TLS on the server: 69"
grep -q 'login not completed: .* offers no TLS (encryption is "require")$' \
    "$T/e"
ok $? "encryption require, no TLS on the server: says TLS may be why"

# 9. an empty user is no SQL Server login (FreeTDS would try Kerberos)
sed 's/"user": "pohoda_sync"/"user": ""/' "$CFG" > "$T/nouser.json"
chmod 600 "$T/nouser.json"
"$X" -q -c "$T/nouser.json" -e 'SELECT 1' 2> "$T/e"
is "$?" 78 "an empty mssql.user: 78"
is "$(cat "$T/e")" \
    "pohoda-extract: $T/nouser.json: mssql.user: must not be empty" \
    "an empty mssql.user: names the key"

# 10. the password in no message, log line or FreeTDS trace, with -v
for pw in "$PW" wrong-pw-4711; do
	PCFG=$T/pw-$pw.json
	(umask 077 && tds_config "$TDS_PORT" "$pw" > "$PCFG")
	TDSDUMP=$T/dump "$X" -v -q -c "$PCFG" -o "$T/out/x.ndjson" \
	    -e 'SELECT TOP 3 ID FROM BIG' > "$T/v" 2>&1
	grep -q 'Login failed\|table=query rows=3' "$T/v"
	ok $? "-v with password $pw: the outcome is shown"
	[ -s "$T/dump" ]
	ok $? "-v with password $pw: FreeTDS wrote its trace"
	grep -l -e "$pw" "$T/v" "$T/dump" "$T/extract.log" > "$T/hits"
	is "$(cat "$T/hits")" "" "-v with password $pw: in no message, log or trace"
	rm -f "$T/dump"
	clean
done
# a syntax error in the config must not quote jansson's "near '...'"
# text, which can be the password
printf '{"mssql": {"host": "h", "password": "s3cr3t-pw\n"}}\n' \
    > "$T/leak.json"
chmod 600 "$T/leak.json"
"$X" -q -c "$T/leak.json" -e 'SELECT 1' 2> "$T/e"
is "$?" 78 "a config syntax error in the password: 78"
grep -q s3cr3t "$T/e"
ok $((! $?)) "a config syntax error does not quote the password"

# 11. log fields with spaces or quotes stay one key=value each
mkdir "$T/my queries"
echo 'SELECT TOP 1 ID FROM BIG' > "$T/my queries/FA 2.sql"
"$X" -q -c "$CFG" -T 'F "A"' -e 'SELECT TOP 1 ID FROM BIG' > /dev/null
tail -n 1 "$T/extract.log" | grep -q ' table="F \\"A\\"" rows=1 '
ok $? "a label with a space and quotes is quoted in the log"
"$X" -q -c "$CFG" "$T/my queries/FA 2.sql" > /dev/null
tail -n 1 "$T/extract.log" | grep -q ' table="FA 2" rows=1 '
ok $? "a default label with a space is quoted in the log"
echo 'SELECT x FROM Nothing' > "$T/my queries/bad one.sql"
"$X" -q -c "$CFG" "$T/my queries/bad one.sql" 2> /dev/null
grep 'server_error=208' "$T/extract.log" | tail -n 1 |
    grep -q " query=\"$T/my queries/bad one.sql\" server_error=208 "
ok $? "a query path with a space is quoted in the log"
clean

# 12. an output that cannot be written is found before the server is
# asked (here: a port where nothing listens, which would be 69)
NCFG=$(tds_cfg_file "$(free_port)")
for o in "-o $T/nowhere/x.ndjson.gz" "-m $T/nowhere/x.schema" "-o $T/out"; do
	# shellcheck disable=SC2086 # $o is an option and its value
	"$X" -q -c "$NCFG" $o -e 'SELECT 1' 2> "$T/e"
	is "$?" 1 "$o: 1 before connecting"
	case $o in
	*nowhere*) want="${o#-? }: No such file or directory" ;;
	*) want="$T/out: Is a directory" ;;
	esac
	is "$(cat "$T/e")" "pohoda-extract: $want" "$o: says why"
done
is "$(left)" "" "unwritable outputs: no temporary file"
# an existing file is replaced whole, by a new file (rename), mode 0600
echo old > "$T/out/x.ndjson"
chmod 644 "$T/out/x.ndjson"
ln "$T/out/x.ndjson" "$T/old-link"
"$X" -q -c "$CFG" -o "$T/out/x.ndjson" -e 'SELECT TOP 1 ID FROM BIG'
is "$(cat "$T/out/x.ndjson") $(cat "$T/old-link")" '{"ID":1} old' \
    "an existing output is replaced by a new file, not written over"
is "$(stat -c %a "$T/out/x.ndjson")" 600 "the new file is 0600"
clean

# 13. closed standard streams: no file takes their place.  With stderr
# closed, -v's lines must not land in the rows; with stdout closed, the
# schema (-m -) must not either, and writing it is an error
"$X" -v -q -c "$CFG" -o "$T/out/x.ndjson" -e 'SELECT TOP 1 ID FROM BIG' 2>&-
is "$?" 0 "stderr closed: 0"
is "$(cat "$T/out/x.ndjson")" '{"ID":1}' "stderr closed: only the rows in -o"
"$X" -q -c "$CFG" -o "$T/out/y.ndjson" -m - -e 'SELECT TOP 1 ID FROM BIG' \
    2> "$T/e" >&-
is "$?" 1 "stdout closed, -m -: 1"
is "$(cat "$T/e")" "pohoda-extract: stdout: Bad file descriptor" \
    "stdout closed, -m -: says stdout cannot be written"
is "$(left)" "x.ndjson" "stdout closed, -m -: no rows file"
"$X" -q -c "$CFG" -e 'SELECT TOP 1 ID FROM BIG' 2> "$T/e" >&-
is "$?" 1 "stdout closed: 1"
is "$(cat "$T/e")" "pohoda-extract: stdout: Bad file descriptor" \
    "stdout closed: says so"
clean

# 14. -v: the server's notes during the login name the server, those of
# the query name the query
"$X" -v -q -c "$CFG" -o "$T/out/x.ndjson" \
    -e "SELECT TOP 1 ID FROM BIG; USE OTHER" 2> "$T/e"
grep -q "^pohoda-extract: 127.0.0.1:$TDS_PORT: server: Changed database context to 'POHODA'$" "$T/e"
ok $? "-v: a login note names host and port"
grep -q "^pohoda-extract: query: server: Changed database context to 'OTHER'$" "$T/e"
ok $? "-v: a query note names the query"
clean

# 15. killed while it waits for the login: the output files, made
# before connecting, go too
"$PY" - "$T/silent.port" <<'PYEOF' &
import os, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
deadline = time.time() + 30
while time.time() < deadline:
    held.append(s.accept())
PYEOF
SILENT=$!
bg_adopt "$SILENT"
wait_file "$T/silent.port"
SCFG=$(tds_cfg_file "$(cat "$T/silent.port")" "$PW" 20)
for sig in INT TERM; do
	"$X" -q -c "$SCFG" -o "$T/out/x.ndjson.gz" -m "$T/out/x.schema" \
	    -e 'SELECT 1' 2> /dev/null &
	xpid=$!
	i=0
	while [ "$(left | wc -l)" -lt 2 ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	is "$(left | grep -c '\.tmp\.')" 2 "SIG$sig in the login: the temporary files were there"
	kill -"$sig" "$xpid"
	wait "$xpid" 2> /dev/null
	rc=$?
	case $sig in INT) want=130 ;; TERM) want=143 ;; esac
	is "$rc" "$want" "SIG$sig in the login: ended by the signal"
	is "$(left)" "" "SIG$sig in the login: no file left"
done
stop_bg "$SILENT"

# 16. logins refused for a reason a person must fix (SQL Server's own
# numbers and texts): 78, the server's message; the fake server's
# session, with its LOGIN7 answered by the error under test
"$PY" - "$T/refuse.ports" <<'PYEOF' &
import os, socket, sys, threading, time
sys.path.insert(0, "tests/servers")
from tds.session import Session
REFUSALS = {
    18452: "Login failed. The login is from an untrusted domain and "
           "cannot be used with Integrated authentication.",
    18470: "Login failed for user 'pohoda_sync'. Reason: The account is "
           "disabled.",
    18486: "Login failed for user 'pohoda_sync' because the account is "
           "currently locked out.",
    18487: "Login failed for user 'pohoda_sync'. Reason: The password "
           "of the account has expired.",
    18488: "Login failed for user 'pohoda_sync'. Reason: The password "
           "of the account must be changed.",
    4064: "Cannot open user default database. Login failed.",
}

def serve(sock, number):
    class Refuse(Session):
        def login7(self, p):
            self.out += self.message(number, REFUSALS[number], cls=14)
            self.out += self.done(2)
            self.finish()
            return False
    while True:
        c, _ = sock.accept()
        threading.Thread(target=Refuse(c, None, 51).run,
                         daemon=True).start()

lines = []
for number in REFUSALS:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(4)
    lines.append("%d %d\n" % (number, s.getsockname()[1]))
    threading.Thread(target=serve, args=(s, number), daemon=True).start()
open(sys.argv[1] + ".tmp", "w").write("".join(lines))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(60)
PYEOF
REFUSE=$!
bg_adopt "$REFUSE"
wait_file "$T/refuse.ports"
while read -r number port; do
	RCFG=$(tds_cfg_file "$port")
	"$X" -q -c "$RCFG" -o "$T/out/x.ndjson" -e 'SELECT 1' 2> "$T/e"
	is "$?" 78 "login refused with error $number: 78"
	grep -q "^pohoda-extract: 127.0.0.1:$port: server error $number: " \
	    "$T/e"
	ok $? "login refused with error $number: the server's message"
done < "$T/refuse.ports"
is "$(left)" "" "refused logins: no file"
stop_bg "$REFUSE"

# 17. errors in the query that are worth a retry (SQL Server's numbers):
# a deadlock victim and a lock timeout give 75, a missing table 65
"$PY" - "$T/retry.port" "$T/empty.sqlite" <<'PYEOF' &
import struct, sys
sys.path.insert(0, "tests/extract")
from tdsfake import Session, serve
ERRORS = {
    "1205": (1205, 13, "Transaction (Process ID 51) was deadlocked on "
             "lock resources with another process and has been chosen as "
             "the deadlock victim. Rerun the transaction."),
    "1222": (1222, 16, "Lock request time out period exceeded."),
}

class Failing(Session):
    def batch(self, payload):
        text = payload.decode("utf-16-le", "replace")
        for mark, (number, cls, msg) in ERRORS.items():
            if "/*" + mark + "*/" in text:
                self.emit(self.message(number, msg, cls=cls, line=2))
                self.emit(self.done(2))
                self.finish()
                return
        Session.batch(self, payload)

serve(Failing, sys.argv[1], sys.argv[2])
PYEOF
RETRY=$!
bg_adopt "$RETRY"
wait_file "$T/retry.port"
FCFG=$(tds_cfg_file "$(cat "$T/retry.port")")
for n in 1205 1222; do
	"$X" -q -c "$FCFG" -o "$T/out/x.ndjson" -e "/*$n*/ SELECT 1" 2> "$T/e"
	is "$?" 75 "server error $n in the query: 75"
	grep -q "^pohoda-extract: query: server error $n, line 2: " "$T/e"
	ok $? "server error $n in the query: the server's message"
done
"$X" -q -c "$FCFG" -o "$T/out/x.ndjson" -e "SELECT 1 FROM Nothing" 2> /dev/null
is "$?" 65 "an invalid object on the same server: 65"
is "$(left)" "" "errors in the query: no file"
stop_bg "$RETRY"

# 18. a server that logs in and answers FreeTDS's first batch (its SET
# TEXTSIZE, still inside dbopen) with bytes that are no TDS reply: 69
# with a message (db-lib fails here without calling its error handler)
"$PY" - "$T/junk.port" "$T/empty.sqlite" <<'PYEOF' &
import sys
sys.path.insert(0, "tests/extract")
from tdsfake import Session, serve

class Junk(Session):
    def batch(self, payload):
        self.out += bytes.fromhex("d2147cc342090025a996")
        self.finish()

serve(Junk, sys.argv[1], sys.argv[2])
PYEOF
JUNK=$!
bg_adopt "$JUNK"
wait_file "$T/junk.port"
port=$(cat "$T/junk.port")
JCFG=$(tds_cfg_file "$port")
"$X" -q -c "$JCFG" -o "$T/out/x.ndjson" -e 'SELECT 1' 2> "$T/e"
is "$?" 69 "junk for the first batch in the login: 69"
is "$(cat "$T/e")" "pohoda-extract: 127.0.0.1:$port: login not \
completed: the server closed the connection or does not speak TDS" \
    "junk for the first batch in the login: a message"
is "$(left)" "" "junk for the first batch in the login: no file"
stop_bg "$JUNK"

# 19. an -o or -m that is no regular file (a FIFO here, /dev/null in
# use) is written to, not replaced by a new file through rename(2): as
# root, -o /dev/null would put a regular file in place of the device
mkfifo "$T/out/fifo"
timeout 20 cat "$T/out/fifo" > "$T/from-fifo" &
reader=$!
"$X" -q -c "$CFG" -o "$T/out/fifo" -e 'SELECT TOP 2 ID FROM BIG' 2> "$T/e"
is "$?" 0 "-o FIFO: 0"
wait "$reader"
printf '{"ID":1}\n{"ID":2}\n' > "$T/want"
files_eq "$T/from-fifo" "$T/want" "-o FIFO: the reader got the rows"
[ -p "$T/out/fifo" ]
ok $? "-o FIFO: still a FIFO"
timeout 20 cat "$T/out/fifo" > "$T/from-fifo" &
reader=$!
"$X" -q -c "$CFG" -o "$T/out/x.ndjson" -m "$T/out/fifo" \
    -e 'SELECT TOP 2 ID FROM BIG' 2> "$T/e"
is "$?" 0 "-m FIFO: 0"
wait "$reader"
grep -q '"name": "ID"' "$T/from-fifo"
ok $? "-m FIFO: the reader got the schema"
[ -p "$T/out/fifo" ]
ok $? "-m FIFO: still a FIFO"
is "$(left)" "$(printf 'fifo\nx.ndjson')" "-m FIFO: no temporary file"
clean
"$X" -q -c "$CFG" -o /dev/null -m /dev/null -e 'SELECT TOP 2 ID FROM BIG'
is "$?" 0 "-o /dev/null -m /dev/null: 0"
[ -c /dev/null ] && [ -z "$(find /dev -maxdepth 1 -name '.null.tmp.*')" ]
ok $? "-o /dev/null: still the device, no temporary file in /dev"

# 20. an IPv6 address in messages is bracketed before its port
sed 's/"host": "127.0.0.1"/"host": "::1"/' "$NCFG" > "$T/v6.json"
chmod 600 "$T/v6.json"
v6port=$(sed -n 's/.*"port": \([0-9]*\).*/\1/p' "$T/v6.json")
"$X" -q -c "$T/v6.json" -e 'SELECT 1' 2> "$T/e"
is "$?" 69 "nothing on [::1]: 69"
grep -q "^pohoda-extract: \[::1\]:$v6port: cannot connect" "$T/e"
ok $? "nothing on [::1]: the address in brackets"

# 21. names that clash after the rules of DESIGN §4: case (BigQuery
# compares without it), sanitising, a suffix that is taken already
"$X" -q -c "$CFG" -m "$T/out/n.schema" -e "SELECT 1 AS a, 2 AS A, \
3 AS [a b], 4 AS a_b, 5 AS a_2, 6 AS [a-2], 7 AS [日本], 8 AS [ß], \
9 AS [Ærø], 10 AS [_]" > "$T/got"
is "$?" 0 "clashing names: 0"
echo '{"a":1,"A_2":2,"a_b":3,"a_b_2":4,"a_2_2":5,"a_2_3":6,"__":7,"ss":8,"AEro":9,"_":10}' \
    > "$T/want"
files_eq "$T/got" "$T/want" "clashing names: unique keys, numbered in column order"
"$PY" -c 'import json, sys
s = json.load(open(sys.argv[1]))
print(" ".join(f["description"] for f in s))' "$T/out/n.schema" > "$T/got"
echo 'a A a b a_b a_2 a-2 日本 ß Ærø _' > "$T/want"
files_eq "$T/got" "$T/want" "clashing names: the original names as descriptions"

# NULL of every type, and the schema types of those columns
"$X" -q -c "$CFG" -m "$T/out/null.schema" -e "SELECT \
CAST(NULL AS bit) a, CAST(NULL AS tinyint) b, CAST(NULL AS bigint) c, \
CAST(NULL AS decimal(38,10)) d, CAST(NULL AS money) e, \
CAST(NULL AS real) f, CAST(NULL AS float) g, CAST(NULL AS date) h, \
CAST(NULL AS time(3)) i, CAST(NULL AS datetime) j, \
CAST(NULL AS smalldatetime) k, CAST(NULL AS datetime2(7)) l, \
CAST(NULL AS datetimeoffset(7)) m, CAST(NULL AS varchar(max)) n, \
CAST(NULL AS nchar(3)) o, CAST(NULL AS ntext) p, CAST(NULL AS image) q, \
CAST(NULL AS varbinary(8)) r, CAST(NULL AS uniqueidentifier) s, \
CAST(NULL AS xml) t" > "$T/got"
is "$?" 0 "NULL of every type: 0"
echo '{"a":null,"b":null,"c":null,"d":null,"e":null,"f":null,"g":null,"h":null,"i":null,"j":null,"k":null,"l":null,"m":null,"n":null,"o":null,"p":null,"q":null,"r":null,"s":null,"t":null}' \
    > "$T/want"
files_eq "$T/got" "$T/want" "NULL of every type: null"
"$PY" -c 'import json, sys
print(" ".join(f["type"] for f in json.load(open(sys.argv[1]))))' \
    "$T/out/null.schema" > "$T/got"
echo 'BOOL INT64 INT64 BIGNUMERIC NUMERIC FLOAT64 FLOAT64 DATE TIME DATETIME DATETIME DATETIME TIMESTAMP STRING STRING STRING BYTES BYTES STRING STRING' \
    > "$T/want"
files_eq "$T/got" "$T/want" "NULL of every type: the types still mapped"

# 500 columns, in order
cols=$("$PY" -c 'print(", ".join("%d AS c%d" % (i, i) for i in range(500)))')
"$X" -q -c "$CFG" -m "$T/out/500.schema" -e "SELECT $cols" > "$T/got"
is "$?" 0 "500 columns: 0"
"$PY" -c 'import json, sys
row = json.loads(open(sys.argv[1]).read())
s = json.load(open(sys.argv[2]))
want = ["c%d" % i for i in range(500)]
print(list(row) == want and list(row.values()) == list(range(500)) and
      [f["name"] for f in s] == want)' "$T/got" "$T/out/500.schema" \
    > "$T/cmp"
is "$(cat "$T/cmp")" True "500 columns: keys, values and schema in order"
clean

# 22. on a terminal, a message in the middle of the progress line starts
# a line of its own, and a failed run shows no closing count
if command -v script > /dev/null; then
	"$PY" - "$T/mid.sqlite" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE t (id int, s nvarchar(20))")
db.executemany("INSERT INTO t VALUES (?, ?)",
               [(i, "ok" if i != 300000 else "日本") for i in range(1, 300001)])
db.commit()
PYEOF
	stop_bg "$TDS_PID"
	tds_start "$T/mid.sqlite"
	MCFG=$(tds_cfg_file "$TDS_PORT")
	script -qec "$X -c $MCFG -o $T/out/m.ndjson -e 'SELECT id, \
CAST(s AS varchar(20)) AS s FROM t'" /dev/null | tr '\r' '\n' \
	    > "$T/tty"
	grep -q 'rows/s' "$T/tty"
	ok $? "terminal: a progress line was shown"
	grep -q '^pohoda-extract: query: server error 50000, line 1: Value' \
	    "$T/tty"
	ok $? "terminal: the server's message starts its own line"
	tail -n 2 "$T/tty" | grep -q 'rows/s'
	ok $((! $?)) "terminal: no count after the message of a failed run"
else
	skip "script(1) missing"
	skip "script(1) missing"
	skip "script(1) missing"
fi
clean

# 23. a column type with no BigQuery mapping (sql_variant, sent here by
# hand as SQL Server describes it): 65, the query, column and type named
"$PY" - "$T/variant.port" "$T/empty.sqlite" <<'PYEOF' &
import struct, sys
sys.path.insert(0, "tests/extract")
from tdsfake import Session, serve

class Variant(Session):
    def batch(self, payload):
        if "sql_variant" not in payload.decode("utf-16-le", "replace"):
            return Session.batch(self, payload)
        # COLMETADATA: one nullable sql_variant (0x62) of 8016 bytes
        name = "Hodnota".encode("utf-16-le")
        col = struct.pack("<IHBI", 0, 0x09, 0x62, 8016) + \
            bytes([len(name) // 2]) + name
        self.emit(bytes([0x81]) + struct.pack("<H", 1) + col)
        self.emit(self.done(0x10, 0, 0xC1))
        self.finish()

serve(Variant, sys.argv[1], sys.argv[2])
PYEOF
VARIANT=$!
bg_adopt "$VARIANT"
wait_file "$T/variant.port"
VCFG=$(tds_cfg_file "$(cat "$T/variant.port")")
echo 'SELECT CAST(x AS sql_variant) AS Hodnota FROM t' > "$T/V.sql"
"$X" -q -c "$VCFG" -o "$T/out/v.ndjson" "$T/V.sql" 2> "$T/e"
is "$?" 65 "a sql_variant column: 65"
is "$(cat "$T/e")" "pohoda-extract: $T/V.sql: column 1 (Hodnota): \
type sql_variant (98) has no BigQuery mapping" \
    "a sql_variant column: query, column and type named"
is "$(left)" "" "a sql_variant column: no file"
stop_bg "$VARIANT"

# keys that begin with a prefix BigQuery keeps for itself get an f in
# front (BigQuery refuses such a column), compared without case as
# BigQuery does; the original name stays in the description
"$X" -q -c "$MCFG" -m "$T/out/s.json" -e "SELECT 1 AS [ FILE size],
    2 AS [_partitiontime], 3 AS [__root__], 4 AS [_Table_x],
    5 AS [_ROW_TIMESTAMP], 6 AS [_COLIDENTIFIER1], 7 AS [_TABLE]" \
    > "$T/out/rows" 2> "$T/e"
is "$?/$(cat "$T/out/rows")" \
    '0/{"f_FILE_size":1,"f_partitiontime":2,"f__root__":3,"f_Table_x":4,"f_ROW_TIMESTAMP":5,"f_COLIDENTIFIER1":6,"_TABLE":7}' \
    "reserved prefixes get an f in front"
is "$(jq -r '.[0].description' "$T/out/s.json")" " FILE size" \
    "the description keeps the original name"
clean

done_testing

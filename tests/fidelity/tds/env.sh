# shellcheck shell=sh disable=SC2034
# tests/fidelity/tds/env.sh: start tests/servers/tds-server for a tds-*.t
# test and point FreeTDS at it.  Source after tests/lib.sh.
#   tds_start DB [server args...]   sets TDS_PORT, writes $T/freetds.conf
#                                   (section [fake], client charset UTF-8,
#                                   tds version ${TDS_VERSION:-7.4}) and
#                                   exports FREETDSCONF/FREETDS so no user
#                                   or system config is read
#   tds_tsql FILE                    run tsql -S fake on the batch in FILE
TDS_SERVER=$TOP/tests/servers/tds-server
TDS_FID=$TOP/tests/fidelity/tds
TDS_USER=pohoda_sync
TDS_PW=pohoda-test-pw

tds_start() {
	_db=$1
	shift
	rm -f "$T/tds.port"
	start_bg "$PY" "$TDS_SERVER" --port 0 --port-file "$T/tds.port" \
	    --db "$_db" "$@" 2>>"$T/tds-server.log"
	TDS_PID=$BG_PID
	_w=0
	while [ ! -s "$T/tds.port" ] && [ "$_w" -lt 100 ]; do
		sleep 0.1
		_w=$((_w + 1))
	done
	TDS_PORT=$(cat "$T/tds.port" 2>/dev/null)
	cat > "$T/freetds.conf" <<EOC
[global]
	tds version = ${TDS_VERSION:-7.4}
	client charset = UTF-8
[fake]
	host = 127.0.0.1
	port = $TDS_PORT
	tds version = ${TDS_VERSION:-7.4}
	client charset = UTF-8
EOC
	FREETDSCONF=$T/freetds.conf
	FREETDS=$T/freetds.conf
	export FREETDSCONF FREETDS
	[ -n "$TDS_PORT" ]
}

tds_tsql() {
	timeout 30 tsql -S fake -U "${2:-$TDS_USER}" -P "${3:-$TDS_PW}" \
	    -o q < "$1" 2>&1
}

# shellcheck shell=sh
# tests/extract/env.sh: start the fake TDS server on a SQLite file and
# write a config for pohoda-extract.  Source after tests/lib.sh.
#   tds_start DB [ARGS...]   starts it; sets TDS_PORT, TDS_PID
#   tds_config PORT [PASSWORD [TIMEOUT]] > FILE   a config.json

tds_start() {
	_db=$1
	shift
	rm -f "$T/tds.port"
	start_bg "$TOP/tests/servers/tds-server" --port 0 \
	    --port-file "$T/tds.port" --db "$_db" "$@" \
	    2>> "$T/tds.log"
	# shellcheck disable=SC2034 # used by the tests that source this
	TDS_PID=$BG_PID
	_w=0
	while [ ! -s "$T/tds.port" ] && [ $_w -lt 100 ]; do
		sleep 0.1
		_w=$((_w + 1))
	done
	TDS_PORT=$(cat "$T/tds.port" 2>/dev/null)
	[ -n "$TDS_PORT" ]
}

tds_config() {
	printf '{"mssql": {"host": "127.0.0.1", "port": %s,
  "user": "pohoda_sync", "password": "%s", "database": "POHODA",
  "tds_version": "7.4", "encryption": "off",
  "login_timeout": %s, "query_timeout": 0},
 "log": {"file": "extract.log"}}\n' "$1" "${2:-pohoda-test-pw}" "${3:-10}"
}

# tds_cfg_file PORT [PASSWORD [TIMEOUT]]: the config as $T/NAME.json,
# mode 0600; prints its path
tds_cfg_file() {
	_f="$T/config-$1-$$.json"
	(umask 077 && tds_config "$@" > "$_f")
	echo "$_f"
}

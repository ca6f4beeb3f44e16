# shellcheck shell=sh
# tests/rewrite/cases.sh: run a folder of rewrite cases, for
# rewrite-cases.t and rewrite-more.t (source tests/lib.sh first).
#
# NAME.sql is an input; NAME.expected.sql what pohoda-rewrite must print
# for it byte for byte, with the arguments in NAME.args (read with eval)
# or "-s SERVER1 -d POHODA_DB"; NAME.error instead holds the
# "line L, column C: message" that a failing rewrite must print (exit
# 65, stdout empty).  Every expected output, rewritten again with the
# same arguments, must come out unchanged.

# cases_run DIR
cases_run() {
	for _in in "$1"/*.sql; do
		case $_in in
		*.expected.sql) continue ;;
		esac
		[ -f "$_in" ] || continue
		_name=${_in%.sql}
		case_run "$_name" "${_name##*/}"
	done
}

# case_run PATH-WITHOUT-.sql NAME
case_run() {
	if [ -f "$1.args" ]; then
		eval "set -- \"\$1\" \"\$2\" $(cat "$1.args")"
	else
		set -- "$1" "$2" -s SERVER1 -d POHODA_DB
	fi
	_p=$1
	_n=$2
	shift 2
	if [ -f "$_p.error" ]; then
		"$BIN/pohoda-rewrite" "$@" "$_p.sql" > "$T/out" 2> "$T/err"
		is "$?" 65 "$_n: fails with exit 65"
		_want="pohoda-rewrite: $_p.sql: $(cat "$_p.error")"
		is "$(cat "$T/err")" "$_want" "$_n: the message names the place"
		[ ! -s "$T/out" ]
		ok $? "$_n: nothing on stdout"
		return
	fi
	"$BIN/pohoda-rewrite" "$@" "$_p.sql" > "$T/out" 2> "$T/err"
	is "$?" 0 "$_n: exit 0"
	[ ! -s "$T/err" ] || diag "$(cat "$T/err")"
	files_eq "$T/out" "$_p.expected.sql" "$_n: output byte for byte"
	"$BIN/pohoda-rewrite" "$@" "$_p.expected.sql" > "$T/again" 2>&1
	files_eq "$T/again" "$_p.expected.sql" "$_n: rewriting again is a no-op"
}

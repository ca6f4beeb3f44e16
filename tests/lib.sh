# shellcheck shell=sh
# tests/lib.sh: helpers for the TAP shell tests; source it first.
#
# A test file is tests/NAME.t, executable, run from the top of the tree
# with these variables set by tests/run:
#   TOP       the repository's top folder
#   BIN       the programs under test (the sanitizer build in make check)
#   PLAIN_BIN the same programs built without sanitizers (memory tests)
#   PY        the Python that sees Debian's python3-* packages
#   SHARED    ../shared (cases and references), may be absent
# Each test gets its own scratch folder $T, removed when it exits, and
# every server it starts with start_bg is stopped by process id.

set -u
: "${TOP:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${BIN:=$TOP/bin}"
: "${PLAIN_BIN:=$TOP/bin}"
: "${PY:=/usr/bin/python3}"
: "${SHARED:=$TOP/../shared}"
: "${UNIT:=$TOP/build/unit}"
export TOP BIN PLAIN_BIN PY SHARED UNIT

T=$(mktemp -d "${TMPDIR:-/tmp}/pohoda-test.XXXXXX")
_tap_n=0
_tap_fail=0
_bg_pids=""

_tap_cleanup() {
	for p in $_bg_pids; do
		kill "$p" 2>/dev/null
	done
	for p in $_bg_pids; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap _tap_cleanup EXIT
trap 'exit 130' INT TERM

plan() { echo "1..$1"; }
done_testing() { echo "1..$_tap_n"; [ "$_tap_fail" -eq 0 ]; }
diag() { printf '# %s\n' "$*" | sed '2,$s/^/# /'; }

ok() {	# ok STATUS DESCRIPTION: passes when STATUS is 0
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		echo "not ok $_tap_n - $2"
		_tap_fail=$((_tap_fail + 1))
	fi
}

is() {	# is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "got:  $1" "want: $2"
	fi
}

isnt() { [ "$1" != "$2" ]; ok $? "$3"; }

skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # skip $*"; }

todo() { # todo STATUS DESCRIPTION: a known bug, expected to fail
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2 # TODO"
	else
		echo "not ok $_tap_n - $2 # TODO"
	fi
}

# files_eq GOT WANT DESCRIPTION: diff -u, shown on failure
files_eq() {
	if diff -u "$2" "$1" > "$T/.diff" 2>&1; then
		ok 0 "$3"
	else
		ok 1 "$3"
		sed -n '1,40p' "$T/.diff" | sed 's/^/#   /'
	fi
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now
free_port() {
	"$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# start_bg CMD...: run CMD in the background, remembered for cleanup;
# its pid is left in $BG_PID
start_bg() {
	"$@" &
	BG_PID=$!
	_bg_pids="$_bg_pids $BG_PID"
}

# bg_adopt PID: a process started with & that is to be stopped, like
# those of start_bg, when the test ends
bg_adopt() {
	_bg_pids="$_bg_pids $1"
}

# wait_file FILE [SECONDS]: wait until FILE exists and is not empty
wait_file() {
	_w=0
	while [ ! -s "$1" ] && [ "$_w" -lt $(( ${2:-5} * 10 )) ]; do
		sleep 0.1
		_w=$((_w + 1))
	done
	[ -s "$1" ]
}

# stop_bg PID: stop one process started with start_bg
stop_bg() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# wait_port PORT [SECONDS]: wait until something listens on PORT
wait_port() {
	_w=0
	while [ "$_w" -lt $(( ${2:-10} * 10 )) ]; do
		if "$PY" -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
		    "$1" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
		_w=$((_w + 1))
	done
	return 1
}

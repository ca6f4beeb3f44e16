#!/bin/sh
# shellcheck disable=SC2016 # $names in jq filters are jq's own
# run-sync.sh: the nightly job.  Copies every query in sql/ from POHODA
# into BigQuery through the spool folder (run-sync(8)):
#
#   SPOOL/RUN/run.json            target, config digest, state, tables
#   SPOOL/RUN/TABLE/query.sql     rewritten query
#   SPOOL/RUN/TABLE/data.ndjson.gz, schema.json
#   SPOOL/RUN/TABLE/batches/      batch files, manifest, upload/ state
#   SPOOL/RUN/TABLE.done          the table is published
#
# Every step writes under a temporary name and renames, so a file with
# its final name is complete; a run killed at any moment is resumed by
# the next start, which skips what is complete.
set -eu
umask 077

PROG='run-sync.sh'
VERSION=0.1.0
here=$(cd "$(dirname "$0")" && pwd)
# cron's environment is bare; the programs live next to this script,
# or in POHODA_SYNC_BIN (tests point it at a sanitizer build)
PATH=${POHODA_SYNC_BIN:+$POHODA_SYNC_BIN:}$here:/usr/local/bin:/usr/bin:/bin
export PATH
LC_ALL=C
export LC_ALL

die() {
	printf '%s: %s\n' "$PROG" "$*" >&2
	exit 1
}

usage() {
	echo "usage: $PROG [-Nnv] [-c config] [-r run] [-t table] ..."
}

# log LEVEL key=value ...: one event in the config's log
log() {
	pohoda-log -q -c "$config" -p "$PROG" -P "$$" ${verbose:+-v} "$@" ||
	    true
}

now() {
	date -u +%s
}

# run_epoch RUN: the start time of run RUN in seconds
run_epoch() {
	_hms=${1#*T}
	_hms=${_hms%Z}
	_mm=${_hms#??}
	date -u -d "${1%%T*} ${_hms%????}:${_mm%??}:${_hms#????}" +%s \
	    2>/dev/null || echo 0
}

# run_name_ago SECONDS: the name a run started that long ago would have;
# run names sort as their times do
run_name_ago() {
	date -u -d "@$(($(now) - $1))" +%Y%m%dT%H%M%SZ
}

is_run_name() {
	_d='[0-9][0-9]'
	# shellcheck disable=SC2254 # the pattern is meant
	case $1 in
	$_d$_d$_d${_d}T$_d$_d${_d}Z) return 0 ;;
	esac
	return 1
}

# run_state DIR: done, running, failed, or new (no run.json yet); read
# with sed, not jq: a spool holds many runs and this is asked of each
run_state() {
	if [ -f "$1/run.json" ]; then
		_s=$(sed -n 's/^  "state": "\([a-z]*\)",*$/\1/p' "$1/run.json")
		echo "${_s:-running}"
	else
		echo new
	fi
}

# runjson_damaged DIR: DIR/run.json is there but no run's record (a
# crash cannot leave it so, a disk or a person can)
runjson_damaged() {
	[ -e "$1/run.json" ] || return 1
	! jq -e '.tables | type == "object"' "$1/run.json" > /dev/null 2>&1
}

# file_put FILE: standard input into FILE, atomically
file_put() {
	_tmp=$(mktemp "$(dirname "$1")/.$(basename "$1").tmp.XXXXXX")
	if cat > "$_tmp" && sync "$_tmp" && mv -f "$_tmp" "$1"; then
		return 0
	fi
	rm -f "$_tmp"
	return 1
}

# runjson_update JQ-ARGS...: rewrite run.json through a jq filter
runjson_update() {
	_new=$(jq "$@" "$rundir/run.json") ||
	    die "$rundir/run.json: cannot update"
	printf '%s\n' "$_new" | file_put "$rundir/run.json" ||
	    die "$rundir/run.json: cannot write"
}

# step_run TABLE STEP PROGRAM ARGS...: run one program; what it says on
# standard error goes into the log (naming table and step) and, when it
# fails or with -v, to our standard error as well
step_run() {
	_t=$1
	_s=$2
	shift 2
	_err=$(mktemp "$rundir/.${_t:-run}.$_s.err.tmp.XXXXXX")
	_rc=0
	# in the background and waited for: a shell runs a trap only when
	# its foreground command ends, so SIGTERM would wait for the whole
	# upload; the child gets no copy of the lock (fd 9), so that it
	# cannot hold the spool once the driver is gone
	"$@" 2> "$_err" 9>&- &
	child=$!
	wait "$child" || _rc=$?
	child=
	if [ -s "$_err" ]; then
		if [ "$_rc" -eq 0 ]; then _lv=WARNING; else _lv=ERROR; fi
		pohoda-log -q -i -c "$config" -p "$PROG" -P "$$" "$_lv" \
		    run="$run" ${_t:+table="$_t"} step="$_s" program="$1" \
		    < "$_err" || true
		if [ "$_rc" -ne 0 ] || [ -n "$verbose" ]; then
			cat "$_err" >&2
		fi
	fi
	rm -f "$_err"
	return "$_rc"
}

# table_fail TABLE STEP PROGRAM STATUS: remember a failed table
table_fail() {
	_st=failed
	[ "$4" -eq 75 ] && _st=retry
	log ERROR run="$run" ${1:+table="$1"} step="$2" program="$3" \
	    status="$_st" exit="$4"
	if [ -n "$1" ]; then
		# what it has so far: a set cut before the upload failed
		read -r _r _y _b <<-EOF
		$(manifest_totals "$rundir/$1/batches")
		EOF
		runjson_update --arg t "$1" --arg s "$_st" --arg st "$2" \
		    --arg p "$3" --argjson x "$4" --argjson r "${_r:-0}" \
		    --argjson b "${_b:-0}" --argjson y "${_y:-0}" \
		    '.tables[$t] += {status: $s, step: $st, program: $p,
		      exit: $x, rows: $r, batches: $b, bytes: $y}'
		failures="$failures $1 ($2, $3 exit $4);"
	else
		failures="$failures $2 ($3 exit $4);"
	fi
	if [ -z "$first_fail" ]; then
		first_fail=$1
		first_step=$2
		first_prog=$3
		first_exit=$4
	fi
}

step_ok() {	# step_ok TABLE STEP STARTED [key=value ...]
	_t=$1
	_s=$2
	_t0=$3
	shift 3
	log INFO run="$run" table="$_t" step="$_s" status=ok \
	    seconds=$(($(now) - _t0)) "$@"
}

step_skip() {
	log DEBUG run="$run" table="$1" step="$2" status=skipped
}

# manifest_totals DIR: "rows bytes batches" from a batch manifest
manifest_totals() {
	awk -F '\t' '$1 == "total" { print $2, $3, $5 }' "$1/manifest" \
	    2>/dev/null || true
}

# table_sync TABLE: rewrite, extract, batch and upload one query
table_sync() {
	t=$1
	d=$rundir/$t
	t_start=$(now)
	if [ -e "$rundir/$t.done" ]; then
		step_skip "$t" all
		return 0
	fi
	mkdir -p "$d"

	if [ -s "$d/query.sql" ]; then
		step_skip "$t" rewrite
	else
		s0=$(now)
		rc=0
		q=$(mktemp "$d/.query.sql.tmp.XXXXXX")
		step_run "$t" rewrite pohoda-rewrite -s "$server" \
		    -d "$database" "$sql_dir/$t.sql" > "$q" || rc=$?
		if [ "$rc" -ne 0 ]; then
			rm -f "$q"
			table_fail "$t" rewrite pohoda-rewrite "$rc"
			return 1
		fi
		sync "$q"
		mv -f "$q" "$d/query.sql"
		step_ok "$t" rewrite "$s0"
	fi

	if [ -e "$d/data.ndjson.gz" ] && [ -e "$d/schema.json" ]; then
		step_skip "$t" extract
	else
		# batches cut from an older extract must not survive it
		rm -rf "$d/batches"
		s0=$(now)
		rc=0
		step_run "$t" extract pohoda-extract -q -c "$config" \
		    -o "$d/data.ndjson.gz" -m "$d/schema.json" \
		    -B "$batch_size" -T "$t" "$d/query.sql" || rc=$?
		if [ "$rc" -ne 0 ]; then
			table_fail "$t" extract pohoda-extract "$rc"
			return 1
		fi
		step_ok "$t" extract "$s0"
	fi

	# pohoda-batch checks a complete set and leaves it alone
	if [ -e "$d/batches/upload/published" ]; then
		step_skip "$t" batch
	else
		s0=$(now)
		rc=0
		step_run "$t" batch pohoda-batch -c "$config" \
		    -n "$batch_size" -o "$d/batches" "$d/data.ndjson.gz" ||
		    rc=$?
		if [ "$rc" -ne 0 ]; then
			table_fail "$t" batch pohoda-batch "$rc"
			return 1
		fi
		read -r rows bytes batches <<-EOF
		$(manifest_totals "$d/batches")
		EOF
		step_ok "$t" batch "$s0" rows="${rows:-0}" \
		    batches="${batches:-0}" bytes="${bytes:-0}"
	fi

	[ -L "$d/upload" ] || ln -s batches/upload "$d/upload"
	if [ -e "$d/batches/upload/published" ]; then
		step_skip "$t" upload
	else
		s0=$(now)
		rc=0
		step_run "$t" upload bq-upload -q -c "$config" -r "$run" \
		    -t "$t" -m "$d/schema.json" "$d/batches" || rc=$?
		if [ "$rc" -eq 0 ] && [ ! -e "$d/batches/upload/published" ]
		then
			echo "$PROG: $t: bq-upload ended without publishing" >&2
			rc=1
		fi
		if [ "$rc" -ne 0 ]; then
			table_fail "$t" upload bq-upload "$rc"
			return 1
		fi
		read -r rows bytes batches <<-EOF
		$(manifest_totals "$d/batches")
		EOF
		step_ok "$t" upload "$s0" rows="${rows:-0}" \
		    batches="${batches:-0}"
	fi

	read -r rows bytes batches <<-EOF
	$(manifest_totals "$d/batches")
	EOF
	rows=${rows:-0}
	bytes=${bytes:-0}
	batches=${batches:-0}
	secs=$(($(now) - t_start))
	runjson_update --arg t "$t" --argjson r "$rows" --argjson b "$batches" \
	    --argjson y "$bytes" --argjson s "$secs" \
	    '.tables[$t] = {status: "done", rows: $r, batches: $b, bytes: $y,
	      seconds: $s}'
	printf '{"table": "%s", "run": "%s", "rows": %s}\n' "$t" "$run" \
	    "$rows" | file_put "$rundir/$t.done"
	return 0
}

# target_lookup: the linked server and database, from companies
target_lookup() {
	rc=0
	# into a file, not $(...): the driver must see a signal at once
	_out=$(mktemp "$rundir/.companies.tmp.XXXXXX")
	step_run "" companies pohoda-extract -q -c "$config" \
	    -T companies -e "$companies_query" > "$_out" || rc=$?
	if [ "$rc" -ne 0 ]; then
		rm -f "$_out"
		table_fail "" companies pohoda-extract "$rc"
		return 1
	fi
	IFS='	' read -r server database <<-EOF
	$(head -n 1 "$_out" |
	    jq -r '[.[]] | [.[0] // "", .[1] // ""] | @tsv' 2>/dev/null)
	EOF
	rm -f "$_out"
	if [ -z "$server" ] || [ -z "$database" ]; then
		echo "$PROG: companies_query gave no linked server and" \
		    "database" >&2
		table_fail "" companies pohoda-extract 65
		return 1
	fi
	runjson_update --arg s "$server" --arg d "$database" \
	    '.server = $s | .database = $d'
	log INFO run="$run" step=companies status=ok server="$server" \
	    database="$database"
}

# run_pick: the run to resume (-r, or the newest unfinished one young
# enough), else "" for a new run
run_pick() {
	if [ -n "$opt_run" ]; then
		is_run_name "$opt_run" || die "$opt_run: not a run name" \
		    "(YYYYMMDDTHHMMSSZ)"
		[ -d "$spool/$opt_run" ] || die "$spool/$opt_run: no such run"
		! runjson_damaged "$spool/$opt_run" ||
		    die "$spool/$opt_run/run.json: damaged (not valid JSON)"
		echo "$opt_run"
		return
	fi
	[ -z "$opt_new" ] || return 0
	[ "$resume_hours" -gt 0 ] || return 0
	_pick=
	_oldest=$(run_name_ago $((resume_hours * 3600)))
	for _p in "$spool"/*; do
		r=${_p##*/}
		if ! is_run_name "$r" || [ ! -d "$_p" ] ||
		    ! expr "$r" \> "$_oldest" > /dev/null; then
			continue
		fi
		[ "$(run_state "$_p")" != "done" ] || continue
		if runjson_damaged "$_p"; then
			# a new run is always safe; this one waits for a person
			[ -n "$plan" ] || log WARNING run="$r" step=start \
			    msg="$_p/run.json: damaged (not valid JSON);\
 not resumed"
			continue
		fi
		_pick=$r
	done
	echo "$_pick"
}

# runs_prune: finished runs older than keep_days, and unfinished ones too
# old for keep_days and resume_hours alike (nothing would resume them)
runs_prune() {
	_newest=$(run_name_ago $((keep_days * 86400)))
	for _p in "$spool"/*; do
		r=${_p##*/}
		if ! is_run_name "$r" || [ ! -d "$_p" ] ||
		    [ "$r" = "$run" ] || ! expr "$_newest" \> "$r" > /dev/null
		then
			continue
		fi
		age=$(($(now) - $(run_epoch "$r")))
		st=$(run_state "$spool/$r")
		if [ "$st" != "done" ] &&
		    [ "$age" -le $((resume_hours * 3600)) ]; then
			continue
		fi
		if [ -n "$plan" ]; then
			echo "prune: $r ($st, $((age / 86400)) days old)"
			continue
		fi
		rm -rf "${spool:?}/$r"
		log INFO step=prune run="$r" state="$st" \
		    age_days=$((age / 86400))
	done
}

# tables_pick: the tables of this run: those of -t; for -r RUN the
# run's own; else the run's (when resuming) and every query in sql_dir,
# so that the nightly start after a failed -t run still copies them all
tables_pick() {
	if [ -n "$opt_tables" ]; then
		echo "$opt_tables"
		return
	fi
	_have=
	if [ -n "$run" ] && [ -f "$spool/$run/run.json" ]; then
		_have=$(jq -r '.tables | keys_unsorted | .[]' \
		    "$spool/$run/run.json" | tr '\n' ' ')
	fi
	if [ -n "$opt_run" ] && [ -n "$_have" ]; then
		echo "$_have"
		return
	fi
	printf '%s' "$_have"
	for f in "$sql_dir"/*.sql; do
		[ -f "$f" ] || continue
		f=${f##*/}
		case ${f%.sql} in
		*[!A-Za-z0-9_]*) continue ;;	# queries_check says why
		esac
		case " $_have " in
		*" ${f%.sql} "*) ;;
		*) printf '%s ' "${f%.sql}" ;;
		esac
	done
}

# plan_print: what a run would do now, touching nothing
plan_print() {
	if [ -z "$run" ]; then
		echo "run: new; companies lookup: run"
	else
		s=$(jq -r '"\(.server // "") \(.database // "")"' \
		    "$spool/$run/run.json" 2>/dev/null || echo " ")
		echo "run: $run (resume, $(run_state "$spool/$run"));" \
		    "target: ${s:-unknown}"
	fi
	for t in $tables; do
		d=$spool/$run/$t
		if [ -n "$run" ] && [ -e "$spool/$run/$t.done" ]; then
			echo "$t: done"
			continue
		fi
		[ -n "$run" ] && [ -s "$d/query.sql" ] && a=skip || a=run
		[ "$a" = skip ] && [ -e "$d/data.ndjson.gz" ] &&
		    [ -e "$d/schema.json" ] && b=skip || b=run
		c=run
		[ "$b" = skip ] && [ -e "$d/batches/manifest" ] && c=check
		u=run
		[ -n "$run" ] && [ -e "$d/batches/upload/published" ] &&
		    c=skip && u=skip
		[ "$u" = run ] && [ -d "$d/batches/upload" ] && u=resume
		echo "$t: rewrite $a, extract $b, batch $c, upload $u"
	done
	runs_prune
}

summary_log() {
	n=0
	ok=0
	all_rows=0
	jq -r --arg t "$tables" '.tables as $all | $t | split(" ")[] |
	    select(. != "") | . as $n | ($all[$n] // {}) |
	    [$n, .status // "pending", .rows // 0, .batches // 0, .bytes // 0,
	     .seconds // 0] | @tsv' "$rundir/run.json" \
	    > "$rundir/.summary.tmp.0"
	while IFS='	' read -r t st rows batches bytes secs; do
		n=$((n + 1))
		[ "$st" = "done" ] && ok=$((ok + 1))
		all_rows=$((all_rows + rows))
		log INFO run="$run" table="$t" step=summary status="$st" \
		    rows="$rows" batches="$batches" bytes="$bytes" \
		    seconds="$secs"
	done < "$rundir/.summary.tmp.0"
	rm -f "$rundir/.summary.tmp.0"
	if [ "$ok" -eq "$n" ] && [ -z "$failures" ]; then
		st=ok
	else
		st=failed
	fi
	log INFO run="$run" step=summary status="$st" tables="$n" \
	    done="$ok" failed=$((n - ok)) rows="$all_rows" \
	    seconds=$(($(now) - run_start))
	[ "$st" = ok ]
}

report_failure() {
	reported=1
	_list=$(printf '%s' "$failures" | sed 's/^ //; s/;$//')
	# cron mails standard error: it must say what failed even when a
	# program's own words were lost (a full spool) or went to the log
	echo "$PROG: run $run failed: $_list" >&2
	log ERROR run="$run" step=run status=failed failed="$_list"
	pohoda-report -q -c "$config" -r "$run" -t "$first_fail" \
	    -s "$first_step" -p "$first_prog" -x "${first_exit:-1}" \
	    "run $run failed: $_list" || true
}

# on_exit: the driver exits 0 or 1 whatever failed; a run that stops on
# an unexpected error is still logged and reported, once
# shellcheck disable=SC2317 # run by the EXIT trap
on_exit() {
	_rc=$?
	trap - EXIT
	trap '' HUP INT TERM
	if [ -n "${child:-}" ]; then
		kill -TERM "$child" 2>/dev/null || true
		wait "$child" 2>/dev/null || true
	fi
	[ "$_rc" -eq 0 ] && exit 0
	if [ -n "${rundir:-}" ] && [ -z "${reported:-}" ]; then
		reported=1
		if [ -n "${signal:-}" ]; then
			echo "$PROG: run $run stopped by SIG$signal;" \
			    "the next start resumes it" >&2
			log WARNING run="$run" step=run status=stopped \
			    signal="$signal"
			_why="stopped by SIG$signal"
		else
			log ERROR run="$run" step=run status=aborted \
			    exit="$_rc"
			_why="stopped by an unexpected error (exit $_rc)"
		fi
		pohoda-report -q -c "$config" -r "$run" -p "$PROG" -x 1 \
		    "run $run $_why" || true
	fi
	exit 1
}

# on_signal NAME: stop the run (on_exit stops the running program)
# shellcheck disable=SC2317 # run by a trap
on_signal() {
	signal=$1
	exit 1
}

resolve() {	# resolve PATH: relative to the config's folder
	case $1 in
	/*) echo "$1" ;;
	*) echo "$confdir/$1" ;;
	esac
}

options_parse() {
	case ${1:-} in
	--help|-h)
		usage
		exit 0 ;;
	--version)
		echo "$PROG (pohoda-sync) $VERSION"
		exit 0 ;;
	esac
	config=${POHODA_SYNC_CONFIG:-./config.json}
	opt_run=
	opt_new=
	opt_tables=
	plan=
	verbose=
	while getopts c:Nr:t:nv opt; do
		case $opt in
		c) config=$OPTARG ;;
		N) opt_new=1 ;;
		r) opt_run=$OPTARG ;;
		t)
			case $OPTARG in
			*[!A-Za-z0-9_]*|'')
				die "-t $OPTARG: expected a query name" ;;
			esac
			opt_tables="$opt_tables$OPTARG " ;;
		n) plan=1 ;;
		v) verbose=1 ;;
		*)
			usage >&2
			exit 1 ;;
		esac
	done
	shift $((OPTIND - 1))
	[ $# -eq 0 ] || { usage >&2; exit 1; }
	[ -z "$opt_new" ] || [ -z "$opt_run" ] ||
	    die "-N (a new run) and -r (resume a run) exclude each other"
}

config_read() {
	case $config in
	/*) ;;
	*) config=$(pwd)/$config ;;
	esac
	[ -f "$config" ] || die "$config: no such file"
	pohoda-log -c "$config" --check ||
	    die "$config: configuration is not valid"
	# what bq-upload would refuse only after a night's extract, and a
	# DSN that would lose every failure report (their warnings about
	# the files were said just above)
	for _p in bq-upload pohoda-report; do
		if ! _e=$("$_p" -c "$config" --check 2>&1); then
			printf '%s\n' "$_e" | grep -v ': warning: ' >&2
			die "$config: configuration is not valid"
		fi
	done
	confdir=$(dirname "$config")

	IFS='	' read -r spool sql_dir batch_size resume_hours \
	    keep_days <<-EOF
	$(jq -r '[.spool_dir // "spool", .sql_dir // "sql",
	    .batch_size // 5000, .resume_hours // 12, .keep_days // 14] |
	    map(if . == "" then "-" else . end) | @tsv' "$config")
	EOF
	companies_query=$(jq -r '.companies_query //
	    "SELECT TOP 1 linked_server, [database] FROM companies"' "$config")
	[ -n "$companies_query" ] ||
	    die "$config: companies_query: must not be empty"
	[ "$spool" != - ] || die "$config: spool_dir: must not be empty"
	[ "$sql_dir" != - ] || die "$config: sql_dir: must not be empty"
	spool=$(resolve "$spool")
	sql_dir=$(resolve "$sql_dir")
	for t in $opt_tables; do
		[ -f "$sql_dir/$t.sql" ] || die "$sql_dir/$t.sql: no such query"
	done
}

# queries_check: a query whose name cannot be a BigQuery table name is
# left out, and a person told so
queries_check() {
	_n=0
	for f in "$sql_dir"/*.sql; do
		[ -f "$f" ] || continue
		case ${f##*/} in
		*[!A-Za-z0-9_]*.sql|.sql)
			echo "$PROG: $f: not a table name (letters, digits," \
			    "underscores); left out" >&2
			[ -n "$plan" ] || log WARNING step=start \
			    msg="$f: not a table name; left out" ;;
		*) _n=$((_n + 1)) ;;
		esac
	done
	# before the lock and a run folder: a config mistake, not a run
	[ -d "$sql_dir" ] || die "$sql_dir: no such folder (sql_dir)"
	[ "$_n" -gt 0 ] || die "$sql_dir: no queries (*.sql)"
}

plan_main() {
	run=$(run_pick)
	tables=$(tables_pick)
	[ -n "$tables" ] || die "$sql_dir: no queries (*.sql)"
	if [ -e "$spool/.lock" ] && ! flock -n "$spool/.lock" true; then
		echo "note: a run is in progress (pid $(cat "$spool/.lock"))"
	fi
	plan_print
	exit 0
}

lock_take() {
	# a failed redirection would end the shell with its own message
	if ! _e=$(mkdir -p "$spool" 2>&1); then
		log ERROR step=lock status=failed msg="$spool: ${_e##*: }"
		die "$spool: cannot create: ${_e##*: }"
	fi
	# made if missing, never touched: a busy start changes nothing
	if ! _e=$([ -e "$spool/.lock" ] || touch "$spool/.lock" 2>&1) ||
	    [ ! -w "$spool/.lock" ]; then
		_e=${_e:+: ${_e##*: }}
		log ERROR step=lock status=failed msg="$spool/.lock$_e"
		die "$spool/.lock: cannot write$_e"
	fi
	exec 9>> "$spool/.lock"
	if ! flock -n 9; then
		pid=$(cat "$spool/.lock" 2>/dev/null || true)
		log WARNING step=lock status=busy pid="${pid:-unknown}"
		die "another run is in progress (pid ${pid:-unknown})"
	fi
	echo "$$" > "$spool/.lock"
}

# run_open: resume a run or make a new one; its run.json
run_open() {
	digest=$(sha256sum < "$config" | cut -d ' ' -f 1)
	run=$(run_pick)
	if [ -n "$run" ]; then
		rundir=$spool/$run
		find "$rundir" -name '.*.tmp.*' -exec rm -f {} +
		resumed=yes
	else
		while :; do
			run=$(date -u +%Y%m%dT%H%M%SZ)
			mkdir "$spool/$run" 2>/dev/null && break
			sleep 1
		done
		rundir=$spool/$run
		resumed=no
	fi
	tables=$(tables_pick)
	[ -n "$tables" ] || die "$sql_dir: no queries (*.sql)"
	if [ ! -f "$rundir/run.json" ]; then
		# the run's tables are written with it at once: a resume
		# takes them from here, so the list must never be partial
		jq -n --arg run "$run" --arg d "$digest" --arg t "$tables" \
		    --arg at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		    --argjson bs "$batch_size" \
		    '{run: $run, state: "running", started: $at,
		      finished: null, config_sha256: $d, server: null,
		      database: null, batch_size: $bs,
		      tables: ($t | split(" ") | map(select(. != "") |
		      {key: ., value: {status: "pending"}}) | from_entries)}' |
		    file_put "$rundir/run.json" ||
		    die "$rundir/run.json: cannot write"
	elif [ "$(jq -r .config_sha256 "$rundir/run.json")" != "$digest" ]
	then
		log WARNING run="$run" step=start \
		    msg="the config changed since this run started"
	fi
	# the batches of a run are cut once: loaded batches and their job
	# ids hold only for that cut, so a resume keeps the run's size
	_bs=$(jq -r '.batch_size // empty' "$rundir/run.json")
	if [ -n "$_bs" ] && [ "$_bs" != "$batch_size" ]; then
		log WARNING run="$run" step=start batch_size="$_bs" \
		    config="$batch_size" msg="the run keeps its batch size"
		batch_size=$_bs
	fi
	# tables named with -t that the run does not hold yet join it
	runjson_update --arg t "$tables" --argjson bs "$batch_size" \
	    '.batch_size //= $bs | .state = "running" |
	    reduce ($t | split(" ")[] | select(. != "")) as $n (.;
	      .tables[$n] //= {status: "pending"})'
	log INFO run="$run" step=start resumed="$resumed" \
	    tables="$(printf '%s' "$tables" | sed 's/ *$//; s/ /,/g')" \
	    version="$VERSION"
}

# run_close: the summary, the run's state, the exit status
run_close() {
	if summary_log; then
		# the run is done once every table it was started with is;
		# after a -t run the others wait for a resume
		runjson_update --arg at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		    'if ([.tables[].status] | all(. == "done"))
		     then .state = "done" | .finished = $at
		     else .state = "running" end'
		exit 0
	fi
	runjson_update '.state = "failed"'
	report_failure
	exit 1
}

# The whole script is read before main runs, so that replacing it (make
# install) during a run cannot change what the running driver does.
main() {
	options_parse "$@"
	config_read
	queries_check
	if [ -n "$plan" ]; then
		plan_main
	fi

	rundir=
	reported=
	run_start=$(now)
	failures=
	first_fail=
	first_step=
	first_prog=
	first_exit=
	child=
	signal=
	trap on_exit EXIT
	trap 'on_signal HUP' HUP
	trap 'on_signal INT' INT
	trap 'on_signal TERM' TERM
	lock_take
	run_open
	runs_prune

	IFS='	' read -r server database <<-EOF
	$(jq -r '[.server // "", .database // ""] | @tsv' "$rundir/run.json")
	EOF
	if [ -z "$server" ] || [ -z "$database" ]; then
		target_lookup || true
	fi
	if [ -n "$server" ] && [ -n "$database" ]; then
		for t in $tables; do
			table_sync "$t" || true
		done
	fi
	run_close
}

main "$@"

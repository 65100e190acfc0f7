# shellcheck shell=bash
#
# tap.sh - a tiny TAP (Test Anything Protocol) helper for the shell tests.
# Source it from a bash script:  . "$srcdir/tests/tap.sh"
#
#   ok DESC / not_ok DESC      print one test point
#   check DESC CMD...          ok when CMD succeeds
#   is GOT WANT DESC           ok when two strings are equal
#   like TEXT ERE DESC         ok when TEXT matches the extended regex ERE
#   skip REASON DESC           a skipped test point
#   diag TEXT...               "# " diagnostics on stdout (one per line)
#   bail_out REASON            "Bail out!" and exit 1
#   skip_all REASON            plan "1..0 # SKIP REASON" and exit 0 (the
#                              whole script is skipped)
#   t_need PROGRAM...          skip_all unless every PROGRAM is on PATH
#   t_need_luciaauth           skip_all unless LUCIAAUTH is built
#   t_pamtester MODULE         can pamtester under pam_wrapper load MODULE?
#                              (status 1 and the reason in T_WHY if not)
#   t_fake_accounts DIR        write the fake DIR/passwd and DIR/group
#   t_write_config FILE STATE DIR [LINE...]
#                              write a store configuration: dir = STATE,
#                              cheap hashing, passwd_file / group_file =
#                              DIR/passwd / DIR/group, then each LINE
#   t_store DIR CFG [LINE...]  a test store in DIR: t_fake_accounts DIR,
#                              t_write_config CFG DIR/state DIR LINE...,
#                              and T_DB (exported) its master database
#   t_run  [opts] -- CMD...    run CMD, keep its stdout/stderr/status in
#                              T_OUT / T_ERR / T_RC (see t_cmd for opts)
#   t_cmd  [opts] STATUS DESC -- CMD...
#                              run CMD and make ONE test point of: exit
#                              status == STATUS, the output patterns, the
#                              "secret not echoed" and "store unchanged"
#                              checks (see below)
#   done_testing               print the plan "1..N" (plan last) and exit
#                              0 when every point passed, 1 otherwise
#
# t_cmd / t_run options (before STATUS):
#   -i TEXT    standard input is TEXT plus a newline (a password or token:
#              given to printf, a builtin, so it never reaches an argv)
#   -I TEXT    standard input is exactly TEXT (no newline added)
#   -f FILE    standard input from FILE
#              (without -i/-I/-f, standard input is /dev/null)
#   -o ERE     stdout must match ERE        -O ERE  stdout must not match
#   -e ERE     stderr must match ERE        -E ERE  stderr must not match
#   -u         the store (T_DB) must be unchanged by the command: integrity
#              check "ok" before and after, same row counts, same dump
#   -S         do not check that the -i/-I secret is absent from the output
#   -q         stderr may be empty (by default a failure, STATUS != 0,
#              needs a "luciaauth: ..." message on stderr)
# Matching uses grep -E on the whole text (any line may match).
#
# Variables the caller may set: T_DB (path of the master database for -u),
# T_SQLITE (sqlite3 binary, default "sqlite3").
#
# Set here unless the caller (or make check's environment) did: builddir
# (abs_top_builddir, else the source tree $srcdir) and LUCIAAUTH (the CLI
# of the build tree).

TAP_N=0
TAP_FAILED=0
T_OUT=
T_ERR=
T_RC=0
: "${T_SQLITE:=sqlite3}"
: "${builddir:=${abs_top_builddir:-${srcdir:-.}}}"
: "${LUCIAAUTH:=$builddir/tools/luciaauth}"

TAP_WORK=$(mktemp -d "${TMPDIR:-/tmp}/tap.XXXXXXXX") || {
	echo "Bail out! cannot create a temporary directory"
	exit 1
}

# Never across a mount point: a test may mount below its work directory
# (inside its own mount namespace).
tap_cleanup() {
	rm -rf --one-file-system "$TAP_WORK"
}

diag() {
	local arg line
	for arg in "$@"; do
		while IFS= read -r line || [ -n "$line" ]; do
			printf '# %s\n' "$line"
		done <<<"$arg"
	done
}

ok() {
	TAP_N=$((TAP_N + 1))
	printf 'ok %d - %s\n' "$TAP_N" "$(tap_clean_desc "$*")"
}

not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	printf 'not ok %d - %s\n' "$TAP_N" "$(tap_clean_desc "$*")"
}

# A description is one line; '#' would start a TAP directive.
tap_clean_desc() {
	local d=${1//$'\n'/\\n}
	d=${d//#/No.}
	printf '%s' "$d"
}

skip() {
	local reason=$1
	shift
	TAP_N=$((TAP_N + 1))
	printf 'ok %d - %s # SKIP %s\n' "$TAP_N" "$(tap_clean_desc "$*")" "$reason"
}

bail_out() {
	printf 'Bail out! %s\n' "$*"
	exit 1
}

skip_all() {
	echo "1..0 # SKIP $*"
	tap_cleanup
	exit 0
}

t_need() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || skip_all "$p not found"
	done
}

t_need_luciaauth() {
	[ -x "$LUCIAAUTH" ] || skip_all "luciaauth not built ($LUCIAAUTH)"
}

# Can pamtester, under pam_wrapper, load MODULE?  Sets T_PAM_PRELOAD, the
# LD_PRELOAD to run pamtester with, and T_PAM_ASAN, its ASAN_OPTIONS: a
# sanitizer build of the module needs the ASan runtime loaded first
# (pamtester itself is not built with it; its own leaks are not ours:
# detect_leaks=0 for pamtester only).  "env true": a builtin would not load
# the preload.
t_pamtester() {
	local rt
	T_WHY=
	T_PAM_PRELOAD=libpam_wrapper.so
	T_PAM_ASAN=${ASAN_OPTIONS:-}
	if [ -f "$1" ] && readelf -d "$1" 2>/dev/null | grep -q 'NEEDED.*libasan'; then
		rt=$(${CC:-gcc} -print-file-name=libasan.so 2>/dev/null)
		if [ -f "$rt" ]; then
			T_PAM_PRELOAD="$rt libpam_wrapper.so"
			T_PAM_ASAN="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
		else
			T_WHY="a sanitizer build and no ASan runtime to preload"
		fi
	fi
	if [ -n "$T_WHY" ]; then
		:
	elif ! command -v pamtester >/dev/null ||
		[ -n "$(LD_PRELOAD=libpam_wrapper.so env true 2>&1)" ]; then
		T_WHY="pamtester or pam_wrapper missing"
	elif [ ! -f "$1" ]; then
		T_WHY="$1 not built"
	fi
	[ -z "$T_WHY" ]
}

# Fake account files (passwd_file / group_file of the test store), so the
# host's accounts never matter.
t_fake_accounts() {
	cat >"$1/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/bash
localuser:x:10500:10500:Local User,,,:/home/localuser:/bin/bash
EOF
	cat >"$1/group" <<'EOF'
root:x:0:
sudo:x:27:localuser
localuser:x:10500:
EOF
}

# t_write_config FILE STATE DIR [extra "key = value" lines...]
t_write_config() {
	local f=$1 state=$2 dir=$3 line
	shift 3
	{
		echo "# luciaauth test configuration"
		echo "dir = $state"
		echo "hash_mem_kib = 64"
		echo "hash_ops = 1"
		echo "passwd_file = $dir/passwd"
		echo "group_file = $dir/group"
		for line in "$@"; do
			echo "$line"
		done
	} >"$f"
}

t_store() {
	local dir=$1 cfg=$2
	shift 2
	t_fake_accounts "$dir"
	t_write_config "$cfg" "$dir/state" "$dir" "$@"
	export T_DB=$dir/state/luciaauth.db
}

check() {
	local desc=$1
	shift
	if "$@"; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "command failed: $*"
	fi
}

is() {
	if [ "$1" = "$2" ]; then
		ok "$3"
	else
		not_ok "$3"
		diag "got:  '$1'" "want: '$2'"
	fi
}

like() {
	if tap_match "$1" -E "$2"; then
		ok "$3"
	else
		not_ok "$3"
		diag "text:    '$1'" "pattern: '$2'"
	fi
}

# tap_match TEXT -E|-F PATTERN: does TEXT match?  The pattern reaches grep
# through a file, not argv: it may be a secret (ps shows argv).
tap_match() {
	printf '%s' "$1" | grep -q "$2" -f <(printf '%s\n' "$3")
}

# Printable rendering of output for diagnostics (control bytes escaped,
# long text cut).
tap_show() {
	local s=$1
	if [ "${#s}" -gt 600 ]; then
		s="${s:0:600}... (${#1} chars)"
	fi
	printf '%s' "$s" | LC_ALL=C cat -v
}

# State of the store for -u: integrity, row counts, full dump digest.
tap_db_state() {
	local db=${T_DB:?T_DB is not set}
	{
		"$T_SQLITE" "$db" 'PRAGMA integrity_check' 2>&1
		"$T_SQLITE" "$db" "SELECT 'users', count(*) FROM users;
			SELECT 'auth_keys', count(*) FROM auth_keys;
			SELECT 'sessions', count(*) FROM sessions;
			SELECT 'groups', count(*) FROM groups;" 2>&1 | tr '\n' ' '
		echo
		"$T_SQLITE" "$db" .dump 2>&1 | sha256sum
	}
}

# Option parsing shared by t_run and t_cmd; sets tap_* locals of the caller
# (bash's dynamic scoping) and returns the number of words consumed.
tap_opts() {
	local n=0
	while [ $# -gt 0 ]; do
		case $1 in
		-u | -S | -q)
			case $1 in
			-u) tap_unchanged=1 ;;
			-S) tap_nosecret=1 ;;
			-q) tap_quiet_ok=1 ;;
			esac
			n=$((n + 1))
			shift
			continue
			;;
		-i | -I | -f | -o | -O | -e | -E)
			[ $# -ge 2 ] || bail_out "t_cmd: option $1 needs a value"
			case $1 in
			-i) tap_in_mode=line tap_in=$2 ;;
			-I) tap_in_mode=raw tap_in=$2 ;;
			-f) tap_in_mode=file tap_in=$2 ;;
			-o) tap_out_re+=("$2") ;;
			-O) tap_out_nre+=("$2") ;;
			-e) tap_err_re+=("$2") ;;
			-E) tap_err_nre+=("$2") ;;
			esac
			n=$((n + 2))
			shift 2
			;;
		*) break ;;
		esac
	done
	tap_nopts=$n
}

# tap_exec CMD...: run with the selected stdin, fill T_OUT/T_ERR/T_RC.
tap_exec() {
	local rc=0
	case ${tap_in_mode:-none} in
	line) "$@" < <(printf '%s\n' "$tap_in") >"$TAP_WORK/out" 2>"$TAP_WORK/err" || rc=$? ;;
	raw) "$@" < <(printf '%s' "$tap_in") >"$TAP_WORK/out" 2>"$TAP_WORK/err" || rc=$? ;;
	file) "$@" <"$tap_in" >"$TAP_WORK/out" 2>"$TAP_WORK/err" || rc=$? ;;
	*) "$@" </dev/null >"$TAP_WORK/out" 2>"$TAP_WORK/err" || rc=$? ;;
	esac
	T_RC=$rc
	T_OUT=$(LC_ALL=C tr -d '\000' <"$TAP_WORK/out")
	T_ERR=$(LC_ALL=C tr -d '\000' <"$TAP_WORK/err")
	: >"$TAP_WORK/out"
	: >"$TAP_WORK/err"
}

t_run() {
	local tap_in_mode=none tap_in='' tap_nopts=0 tap_unchanged=0 tap_nosecret=0 tap_quiet_ok=0
	local -a tap_out_re=() tap_out_nre=() tap_err_re=() tap_err_nre=()
	tap_opts "$@"
	shift "$tap_nopts"
	[ "${1-}" = -- ] && shift
	tap_exec "$@"
	return 0
}

t_cmd() {
	local tap_in_mode=none tap_in='' tap_nopts=0 tap_unchanged=0 tap_nosecret=0 tap_quiet_ok=0
	local -a tap_out_re=() tap_out_nre=() tap_err_re=() tap_err_nre=()
	local want desc before='' after='' re
	local -a why=()
	tap_opts "$@"
	shift "$tap_nopts"
	want=$1 desc=$2
	shift 2
	[ "${1-}" = -- ] && shift
	[ "$tap_unchanged" = 1 ] && before=$(tap_db_state)
	tap_exec "$@"
	[ "$T_RC" = "$want" ] || why+=("exit status $T_RC, expected $want")
	for re in "${tap_out_re[@]}"; do
		tap_match "$T_OUT" -E "$re" || why+=("stdout does not match /$re/")
	done
	for re in "${tap_out_nre[@]}"; do
		tap_match "$T_OUT" -E "$re" && why+=("stdout matches /$re/")
	done
	for re in "${tap_err_re[@]}"; do
		tap_match "$T_ERR" -E "$re" || why+=("stderr does not match /$re/")
	done
	for re in "${tap_err_nre[@]}"; do
		tap_match "$T_ERR" -E "$re" && why+=("stderr matches /$re/")
	done
	if [ "$want" != 0 ] && [ "$tap_quiet_ok" = 0 ] &&
		! printf '%s' "$T_ERR" | grep -Eq '^luciaauth: [^ ]'; then
		why+=("no 'luciaauth: <message>' on stderr")
	fi
	# A secret fed on stdin must never be echoed back (8+ chars, so that
	# short refused inputs such as "abc" do not match ordinary words).
	case $tap_nosecret:$tap_in_mode in
	0:line | 0:raw)
		if [ "${#tap_in}" -ge 8 ] && [[ $tap_in != *$'\n'* ]] &&
			tap_match "$T_OUT"$'\n'"$T_ERR" -F "$tap_in"; then
			why+=("the secret given on stdin appears in the output")
		fi
		;;
	esac
	if [ "$tap_unchanged" = 1 ]; then
		after=$(tap_db_state)
		if [ "$before" != "$after" ]; then
			why+=("store changed; before: ${before//$'\n'/ | }" "               after:  ${after//$'\n'/ | }")
		fi
		printf '%s' "$after" | head -n1 | grep -qx ok || why+=("integrity_check is not ok")
	fi
	if [ "${#why[@]}" -eq 0 ]; then
		ok "$desc"
		return 0
	fi
	not_ok "$desc"
	diag "command: $(tap_show "$*")"
	for re in "${why[@]}"; do
		diag "  $re"
	done
	[ -n "$T_OUT" ] && diag "stdout: $(tap_show "$T_OUT")"
	[ -n "$T_ERR" ] && diag "stderr: $(tap_show "$T_ERR")"
	return 1
}

done_testing() {
	printf '1..%d\n' "$TAP_N"
	if [ "$TAP_FAILED" -ne 0 ]; then
		diag "$TAP_FAILED of $TAP_N test points failed"
		exit 1
	fi
	exit 0
}

#!/bin/bash
#
# test_faults.sh - fault injection (TAP): the store fails closed and loses
# nothing under a missing master, a missing snapshot, a corrupt master
# (page bytes and header overwritten), a read-only file system, a full file
# system, a database locked by another writer past the busy timeout, and
# wrong owners and modes.
#
# For each fault, with the module and the CLI as built:
#   PAM  (pamtester under pam_wrapper): the right password never succeeds
#        where the store is unusable, and the answer is PAM_AUTHINFO_UNAVAIL
#        ("Authentication service cannot retrieve authentication info"); a wrong
#        password never succeeds under any fault;
#   NSS  (tests/nss_probe: the module's own getpwnam_r, dlopen'ed): UNAVAIL
#        when the snapshot is unusable; the last published snapshot keeps
#        answering when only the master is hurt (by design: NSS never reads
#        the master);
#   CLI  exits 5 with a "luciaauth: ..." message;
#   data integrity_check, row counts and a dump digest are the same after
#        the fault is lifted as before it was injected.
#
# Needs root for chown and, for the read-only and full file systems, a
# private mount namespace: the script re-executes itself under
# "unshare -m" (mounts made there vanish with it; the host is not
# touched).  Points that cannot run are skipped.  Run time: a few seconds.
set -u
export LC_ALL=C
umask 022

srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}

# shellcheck source=tap.sh
. "$srcdir/tests/tap.sh"
# shellcheck source=ns.sh
. "$srcdir/tests/ns.sh"

# Into a private mount namespace once, when we can.
[ "$(id -u)" = 0 ] && ns_reexec FAULTS_NS "$0" "$@"

pam_so=$builddir/pam_module/.libs/pam_luciaauth.so
nss_so=$builddir/nss_module/.libs/libnss_luciaauth.so.2
probe=$builddir/tests/nss_probe

[ "$(id -u)" = 0 ] || skip_all "needs root (file owners, mounts)"
t_need_luciaauth
command -v sqlite3 >/dev/null || skip_all "needs the sqlite3 program"

T=$TAP_WORK
pw='Fault-Test-Pass-1'
user=faultuser

# PAM through pamtester + pam_wrapper, unless missing or a sanitizer build
# (pamtester cannot load an ASan module without preloading libasan).
pam_ok=1
t_pamtester "$pam_so" || pam_ok=0
nss_ok=1
{ [ -x "$probe" ] && [ -f "$nss_so" ]; } || nss_ok=0
# (an ASan build of the module is fine: the probe is built the same way)
ns_ok=0
[ -n "${FAULTS_NS-}" ] && ns_ok=1

# ---- a fresh store per case --------------------------------------------

# new_store DIR [config lines...]: store in DIR/state, config DIR/c.conf,
# user $user with a password, a group, a session; sets S, CFG, T_DB.
new_store() {
	local d=$1
	shift
	mkdir -p "$d"
	S=$d/state CFG=$d/c.conf
	t_store "$d" "$CFG" "busy_timeout = 1" "$@"
	mkdir -p "$d/pam.d"
	printf 'auth required %s config=%s nodelay\naccount required %s config=%s\n' \
		"$pam_so" "$CFG" "$pam_so" "$CFG" >"$d/pam.d/faults"
	printf 'auth required pam_deny.so\naccount required pam_deny.so\n' >"$d/pam.d/other"
	la init >/dev/null &&
		printf '%s\n' "$pw" | la user add "$user" --password-stdin >/dev/null &&
		la group add faultgrp >/dev/null &&
		la group add-member faultgrp "$user" >/dev/null &&
		printf '%s\n' "$pw" | la login --user "$user" --password-stdin >/dev/null ||
		bail_out "cannot set up a store in $d"
}

la() { "$LUCIAAUTH" --config "$CFG" "$@"; }

# pam_auth PASSWORD: pamtester authenticate; sets PAM_RC and PAM_ERR.
pam_auth() {
	PAM_RC=0
	printf '%s\n' "$1" | ASAN_OPTIONS="$T_PAM_ASAN" LD_PRELOAD="$T_PAM_PRELOAD" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$(dirname "$CFG")/pam.d" \
		pamtester faults "$user" authenticate >/dev/null 2>"$T/pam.err" || PAM_RC=$?
	PAM_ERR=$(grep -v '^PWRAP' "$T/pam.err" | sed 's/^Password: //')
}

# pam_expect DESC unavail|fail|ok: the right password gives that.
pam_expect() {
	local desc=$1 want=$2
	if [ "$pam_ok" = 0 ]; then
		skip "pamtester/pam_wrapper or the module not usable here" "$desc"
		skip "pamtester/pam_wrapper or the module not usable here" "$desc: wrong password"
		return
	fi
	pam_auth "$pw"
	case $want in
	unavail)
		if [ "$PAM_RC" != 0 ] && [[ $PAM_ERR == *"Authentication service cannot retrieve authentication info"* ]]; then
			ok "$desc: PAM_AUTHINFO_UNAVAIL"
		else
			not_ok "$desc: PAM_AUTHINFO_UNAVAIL"
			diag "pamtester status $PAM_RC: $PAM_ERR"
		fi
		;;
	ok)
		is "$PAM_RC" 0 "$desc: PAM still authenticates (the master is fine)"
		;;
	esac
	pam_auth 'wrong password 99'
	if [ "$PAM_RC" != 0 ]; then
		ok "$desc: wrong password: no success"
	else
		not_ok "$desc: wrong password: no success"
	fi
}

# nss_expect DESC UNAVAIL|SUCCESS
nss_expect() {
	local got
	if [ "$nss_ok" = 0 ]; then
		skip "nss_probe or the NSS module not usable here" "$1"
		return
	fi
	got=$(LUCIAAUTH_NSS_SNAPSHOT=$S/nss.snapshot "$probe" "$nss_so" passwd "$user")
	like "$got" "^$2" "$1: NSS getpwnam_r $2"
}

# ---- 1. missing master -------------------------------------------------
new_store "$T/c1"
before=$(tap_db_state)
mkdir "$T/c1/away"
mv "$S"/luciaauth.db* "$T/c1/away/"
pam_expect "missing master" unavail
nss_expect "missing master (snapshot intact)" SUCCESS
t_cmd -e 'no master database' 5 "missing master: user add exits 5" -- \
	la user add newuser --no-password
t_cmd -o 'master database .* does not exist' -o 'fix: restore a backup' 5 \
	"missing master: doctor exits 5" -- la doctor
t_cmd -i "$pw" -e 'no master database|no store' 5 "missing master: login exits 5" -- \
	la login --user "$user" --password-stdin
check "missing master: nothing was created in its place" test ! -e "$S/luciaauth.db"
mv "$T/c1/away/"* "$S/"
is "$(tap_db_state)" "$before" "missing master: store intact once it is back"

# ---- 2. missing snapshot -----------------------------------------------
new_store "$T/c2"
rm "$S/nss.snapshot"
nss_expect "missing snapshot" UNAVAIL
pam_expect "missing snapshot" ok
t_cmd -u -e 'doctor: ' -o 'snapshot.*does not exist' -o 'luciaauth publish' 5 \
	"missing snapshot: doctor exits 5 and says 'luciaauth publish'" -- la doctor
t_cmd -q 0 "missing snapshot: publish brings it back" -- la publish
nss_expect "snapshot published again" SUCCESS

# ---- 3. corrupt master -------------------------------------------------
# Everything in the main file first (no WAL to fall back on), then the
# pages after the first (users, keys, sessions) overwritten.
new_store "$T/c3"
la backup "$T/c3/good.db" >/dev/null || bail_out "backup failed"
sqlite3 "$T_DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
size=$(stat -c %s "$T_DB")
LC_ALL=C tr '\0' 'Z' </dev/zero | head -c $((size - 4096)) |
	dd of="$T_DB" bs=4096 seek=1 conv=notrunc status=none
pam_expect "corrupt master pages" unavail
nss_expect "corrupt master (snapshot intact)" SUCCESS
t_cmd -e 'corrupt|malformed' 5 "corrupt master pages: user add exits 5" -- \
	la user add newuser --no-password
t_cmd -o 'malformed' 5 "corrupt master pages: doctor exits 5" -- la doctor
t_cmd -e 'corrupt|malformed' 5 "corrupt master pages: backup refuses to copy it" -- \
	la backup "$T/c3/bad.db"
check "corrupt master pages: no half-written backup" test ! -e "$T/c3/bad.db"

# A few bytes in the middle of the file: quick_check notices.
new_store "$T/c3m"
sqlite3 "$T_DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
size=$(stat -c %s "$T_DB")
printf 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX' |
	dd of="$T_DB" bs=1 seek=$((size / 2 / 4096 * 4096 + 8)) conv=notrunc status=none
t_cmd -o 'error +integrity +quick_check' 5 "bytes overwritten mid-file: doctor exits 5" -- la doctor
pam_auth 'wrong password 99'
[ "$pam_ok" = 1 ] && { [ "$PAM_RC" != 0 ] && ok "bytes overwritten mid-file: wrong password: no success" ||
	not_ok "bytes overwritten mid-file: wrong password: no success"; }

# The header: not a database any more.
new_store "$T/c3h"
sqlite3 "$T_DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
printf 'this is not SQLite at all' | dd of="$T_DB" conv=notrunc status=none
pam_expect "corrupt master header" unavail
t_cmd -e 'not a database|corrupt' 5 "corrupt master header: user list exits 5" -- la user list
t_cmd -o 'not a database' 5 "corrupt master header: doctor exits 5" -- la doctor

# restore repairs both: the header-corrupt one (cannot be opened: the
# file is replaced) and the page-corrupt one (copied into in place).
t_cmd -q 0 "corrupt master header: restore from a backup" -- la restore "$T/c3/good.db"
t_cmd -o "$user" 0 "corrupt master header: the user is back" -- la user list
S=$T/c3/state CFG=$T/c3/c.conf T_DB=$T/c3/state/luciaauth.db
t_cmd -q 0 "corrupt master pages: restore from the backup" -- la restore "$T/c3/good.db"
t_cmd -o "$user" 0 "corrupt master pages: the user is back" -- la user list
t_cmd -q -O '^error' 1 "corrupt master pages: doctor finds no store error after restore" -- \
	la doctor --nsswitch /dev/null
pam_expect "after restore" ok

# ---- 4. read-only file system ------------------------------------------
if [ "$ns_ok" = 1 ]; then
	new_store "$T/c4"
	before=$(tap_db_state)
	mount --bind "$S" "$S" && mount -o remount,ro,bind "$S" ||
		bail_out "cannot make $S read-only in the namespace"
	pam_expect "read-only fs" unavail
	nss_expect "read-only fs (snapshot readable)" SUCCESS
	t_cmd -e 'Read-only|read-only|readonly' 5 "read-only fs: user add exits 5" -- \
		la user add newuser --no-password
	t_cmd -e 'Read-only|read-only|readonly' 5 "read-only fs: publish exits 5" -- la publish
	t_cmd -e 'Read-only|read-only|readonly' 5 "read-only fs: restore exits 5" -- \
		la restore "$T/c3/good.db"
	umount "$S"
	is "$(tap_db_state)" "$before" "read-only fs: store unchanged"
	nss_expect "read-only fs lifted" SUCCESS
else
	for i in 1 2 3 4 5 6 7 8; do skip "no private mount namespace (root + unshare -m)" "read-only fs"; done
fi

# ---- 5. full file system -----------------------------------------------
if [ "$ns_ok" = 1 ]; then
	mkdir -p "$T/c5"
	mount -t tmpfs -o size=2m,mode=0755 tmpfs "$T/c5" || bail_out "cannot mount a tmpfs"
	new_store "$T/c5"
	# An empty WAL: every write needs new blocks.
	sqlite3 "$T_DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
	before=$(tap_db_state)
	dd if=/dev/zero of="$T/c5/filler" bs=4k status=none 2>/dev/null
	is "$(df --output=avail "$T/c5" | tail -1 | tr -d ' ')" 0 "full fs: no space left"
	t_cmd -e 'full|space|I/O' 5 "full fs: user add exits 5" -- la user add newuser --no-password
	t_cmd -e 'full|space|I/O' 5 "full fs: backup onto it exits 5" -- la backup "$T/c5/b.db"
	check "full fs: no partial backup left" test -z "$(ls -A "$T/c5" | grep -v '^filler$\|^state$\|^pam.d$\|^c.conf$\|^passwd$\|^group$')"
	# Even a right password writes (the failure counter is reset in a
	# transaction): no space, no success.
	pam_expect "full fs" unavail
	nss_expect "full fs" SUCCESS
	rm "$T/c5/filler"
	is "$(tap_db_state)" "$before" "full fs: store unchanged"
	t_cmd -q 0 "full fs lifted: user add works again" -- la user add newuser --no-password
	umount "$T/c5"
else
	for i in $(seq 1 11); do skip "no private mount namespace (root + unshare -m)" "full fs"; done
fi

# ---- 6. locked by another writer ---------------------------------------
new_store "$T/c6"
before=$(tap_db_state)
mkfifo "$T/c6/fifo"
sqlite3 "$T_DB" <"$T/c6/fifo" >/dev/null 2>&1 &
holder=$!
exec 7>"$T/c6/fifo"
echo 'BEGIN EXCLUSIVE; SELECT 1;' >&7
sleep 0.3
t_cmd -e 'busy|locked' 5 "locked: user add exits 5 after the busy timeout" -- \
	la user add newuser --no-password
t_cmd -i 'Another-Pass-2' -e 'busy|locked' 5 "locked: passwd exits 5" -- la passwd "$user" --stdin
t_cmd -e 'busy|locked' 5 "locked: restore exits 5" -- la restore "$T/c3/good.db"
# Even the right password: a sign-in writes (lockout counters) and cannot.
pam_expect "locked past the busy timeout" unavail
if [ "$pam_ok" = 1 ]; then
	pam_auth 'wrong password 99'
	if [ "$PAM_RC" != 0 ] && [[ $PAM_ERR == *"Authentication service cannot retrieve authentication info"* ]]; then
		ok "locked: wrong password: PAM_AUTHINFO_UNAVAIL (the failure cannot be counted)"
	else
		not_ok "locked: wrong password: PAM_AUTHINFO_UNAVAIL (the failure cannot be counted)"
		diag "pamtester status $PAM_RC: $PAM_ERR"
	fi
else
	skip "pamtester not usable" "locked: wrong password"
fi
nss_expect "locked master (snapshot readable)" SUCCESS
echo 'ROLLBACK;' >&7
exec 7>&-
wait "$holder"
is "$(tap_db_state)" "$before" "locked: store unchanged"

# ---- 7. wrong owner / mode ---------------------------------------------
# bad_case DESC CMD...: CMD damages the store's files; PAM, NSS (where the
# snapshot is hurt), the CLI and the doctor must all refuse; then the mode
# is put back by the fix the doctor printed.
bad_case() {
	local desc=$1 nss=$2 fix
	shift 2
	# $1: the damage, a command evaluated once the store exists
	new_store "$T/c7-${desc//[^a-z0-9]/_}"
	before=$(tap_db_state)
	eval "$1"
	if [ "$nss" = UNAVAIL ]; then
		nss_expect "$desc" UNAVAIL
	else
		pam_expect "$desc" unavail
		t_cmd -e 'refusing|permission|unsafe|owned' 5 "$desc: user list exits 5" -- la user list
	fi
	t_cmd -o 'fix: ' 5 "$desc: doctor exits 5" -- la doctor
	fix=$(printf '%s\n' "$T_OUT" | sed -n 's/^ *fix: \(ch\(mod\|own\) .*\)$/\1/p' | head -1)
	if [ -n "$fix" ]; then
		eval "$fix"
	fi
	t_cmd -u -q 1 "$desc: the doctor's fix ($fix) repairs it" -- la doctor
}
bad_case "master mode 0644" SUCCESS 'chmod 0644 "$T_DB"'
bad_case "master owned by another user" SUCCESS 'chown 12345 "$T_DB"'
bad_case "state dir writable by others" SUCCESS 'chmod 0777 "$S"'
bad_case "snapshot writable by others" UNAVAIL 'chmod 0666 "$S/nss.snapshot"'
bad_case "snapshot owned by another user" UNAVAIL 'chown 12345 "$S/nss.snapshot"'

# A configuration file others can write: refused before anything is read.
new_store "$T/c8"
chmod 0666 "$CFG"
t_cmd -u -e 'refusing|writable' 5 "config writable by others: user list exits 5" -- la user list
t_cmd -e 'refusing|writable' 5 "config writable by others: doctor exits 5" -- la doctor
chmod 0644 "$CFG"

done_testing

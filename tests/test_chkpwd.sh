#!/bin/bash
#
# test_chkpwd.sh - luciaauth-chkpwd(8), the setuid-root helper, run for
# real as an unprivileged store user, and pam_luciaauth.so running without
# privilege through it (TAP).
#
# Needs root and a private mount namespace (unshare -m); otherwise the plan
# is skipped.  The script re-executes itself inside "unshare -m", where:
#   $tmp/ns      a fresh tmpfs (suid allowed, /tmp may be nosuid) holding a
#                copy of the helper, chown root, mode 4755
#   /etc         a read-only overlay adding luciaauth.conf (the test store):
#                the helper reads /etc/luciaauth.conf and nothing else
#   /dev         an overlay adding /dev/log: a tiny python3 datagram
#                listener captures syslog, so "refused and logged" and
#                "no secret in the log" are checked on real log lines
# Callers are made with setpriv --reuid/--regid --clear-groups; a tty on
# stdin comes from script(1).  Everything is undone when the namespace
# ends; the listener is stopped by its PID.
#
# Passwords go through stdin only; they are compared from files/variables,
# never put in an argv.

set -u
export LC_ALL=C

srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tap.sh
. "$srcdir/tests/tap.sh"
# shellcheck source=ns.sh
. "$srcdir/tests/ns.sh"

helper=$builddir/tools/luciaauth-chkpwd
module=$builddir/pam_module/.libs/pam_luciaauth.so

t_need_luciaauth
[ -x "$helper" ] || skip_all "luciaauth-chkpwd not built ($helper)"
[ "$(id -u)" = 0 ] || skip_all "needs root (a setuid-root copy of the helper, unshare -m)"
t_need unshare setpriv script findmnt sqlite3 python3 logger
ns_reexec CHKPWD_IN_NS "$0" "$@" ||
	skip_all "cannot create a private mount namespace (unshare -m failed)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/luciaauth-chkpwd.XXXXXXXX") || bail_out "mktemp failed"
listener=
cleanup() {
	[ -n "$listener" ] && kill "$listener" 2>/dev/null
	# Never across a mount point: the mounts end with the namespace.
	rm -rf --one-file-system "$tmp" 2>/dev/null
	tap_cleanup
}
trap cleanup EXIT
chmod 711 "$tmp"

ns=$tmp/ns
mkdir "$ns"
mount -t tmpfs -o mode=711 tmpfs "$ns" || bail_out "cannot mount a tmpfs"
findmnt -no OPTIONS -T "$ns" | grep -qw nosuid && bail_out "$ns is nosuid"
mkdir -m 755 "$ns/bin" "$ns/etcadd" "$ns/pam.d"
mkdir -m 1777 "$ns/ptmp"
H=$ns/bin/luciaauth-chkpwd
install -o root -g root -m 4755 "$helper" "$H"

pw_alice='alice-Secret-3141'
pw_bob='bob-Secret-2718'
wrong='wrong-Guess-1618'
state=$tmp/state db=$tmp/state/luciaauth.db cfg=$ns/etcadd/luciaauth.conf
t_store "$tmp" "$cfg" "deny = 3"
chmod 644 "$cfg" "$tmp/passwd" "$tmp/group"
la() { "$LUCIAAUTH" --config "$cfg" "$@"; }
la init >/dev/null || bail_out "luciaauth init failed"
printf '%s\n' "$pw_alice" | la user add alice --uid 20001 --password-stdin >/dev/null &&
	printf '%s\n' "$pw_bob" | la user add bob --uid 20002 --password-stdin >/dev/null ||
	bail_out "user add failed"

# /etc/luciaauth.conf for the helper: a read-only overlay, the host's /etc
# is not touched.
mount -t overlay overlay -o "lowerdir=$ns/etcadd:/etc" /etc ||
	bail_out "cannot overlay /etc"

# /dev/log: an overlay of /dev with our socket, and private pts and shm
# instances.  The host's /dev is never bound anywhere below $tmp: removing
# $tmp must not be able to reach it.
syslog=$tmp/syslog.txt
have_log=0
mkdir "$ns/devup" "$ns/devwork"
if mount -t overlay overlay -o "lowerdir=/dev,upperdir=$ns/devup,workdir=$ns/devwork" /dev; then
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts &&
		rm -f /dev/ptmx && ln -s pts/ptmx /dev/ptmx
	mount -t tmpfs -o mode=1777 tmpfs /dev/shm
	rm -f /dev/log
	python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536).rstrip(b"\0\n") + b"\n")
' /dev/log "$syslog" &
	listener=$!
	for _ in $(seq 100); do [ -S /dev/log ] && break; sleep 0.05; done
	[ -S /dev/log ] && have_log=1
fi
: >>"$syslog"

# Wait until every line logged so far has reached the file.
log_sync() {
	local m="sync-$RANDOM$RANDOM"
	[ "$have_log" = 1 ] || return 0
	logger -u /dev/log "$m"
	for _ in $(seq 100); do grep -q "$m" "$syslog" && return 0; sleep 0.05; done
}

as_user() {
	local uid=$1
	shift
	setpriv --reuid="$uid" --regid="$uid" --clear-groups -- "$@"
}
failures() {
	sqlite3 "$db" "SELECT count(*) FROM auth_failures f JOIN users u ON u.id = f.user_id
		WHERE u.username = '$1'"
}
locked_until() {
	sqlite3 "$db" "SELECT coalesce(max(l.locked_until), 0) FROM lockout l JOIN users u
		ON u.id = l.user_id WHERE u.username = '$1'"
}
log_has() {
	log_sync
	if [ "$have_log" = 1 ]; then
		like "$(cat "$syslog")" "$1" "$2"
	else
		skip "no /dev/log capture" "$2"
	fi
}

# ---- the helper itself -------------------------------------------------

is "$(stat -c '%U %a' "$H")" "root 4755" "the helper copy is setuid root"
t_cmd -q -I "$pw_alice" 0 "alice checks her own password (name as argument)" \
	-- as_user 20001 "$H" alice
t_cmd -q -I "alice"$'\n'"$pw_alice" 0 "alice checks her own password (name on the first line)" \
	-- as_user 20001 "$H"
t_cmd -q -i "$pw_alice" 0 "a trailing newline after the password is dropped" \
	-- as_user 20001 "$H" alice
t_cmd -q -I "$wrong" 1 "a wrong password: exit 1" -- as_user 20001 "$H" alice
is "$(failures alice)" 1 "the failure was counted"
log_has 'password check failed for user \(alice\)' "the failure is logged"

t_cmd -q -u -I "$pw_bob" 2 "alice asking about bob (with bob's right password) is refused" \
	-- as_user 20001 "$H" bob
is "$(failures bob)" 0 "bob's failure counter is untouched"
log_has 'uid 20001: refused: asked for the password of bob' "the refusal is logged"
t_cmd -q -u -I "$pw_alice" 2 "alice giving root's name is refused" -- as_user 20001 "$H" root
t_cmd -q -u -I "$pw_alice" 3 "a uid that is not a store user: exit 3" -- as_user 20999 "$H" alice

t_cmd -q -u 2 "a terminal on standard input is refused" \
	-- script -qec "setpriv --reuid=20001 --regid=20001 --clear-groups -- $H alice" /dev/null
log_has 'uid 20001: refused: standard input is a terminal' "the tty refusal is logged"
for opt in "--config=$tmp/other.conf" "--config" "--dir" "-h" "--help"; do
	t_cmd -q -u -I "$pw_alice" 2 "option $opt is refused" \
		-- as_user 20001 "$H" "$opt" alice
done
t_cmd -q -u -I "$pw_alice" 2 "an empty name is refused" -- as_user 20001 "$H" ''
log_has 'uid 20001: refused: options or extra arguments' "option refusals are logged"

# The environment cannot point the helper elsewhere.
mkdir -m 700 "$tmp/evil"
t_write_config "$tmp/evil.conf" "$tmp/evil" "$tmp"
t_cmd -q -I "$pw_alice" 0 "LD_PRELOAD, LUCIAAUTH_* and friends are ignored" \
	-- as_user 20001 env LD_PRELOAD="$tmp/evil/evil.so" LD_LIBRARY_PATH="$tmp/evil" \
	LUCIAAUTH_CONFIG="$tmp/evil.conf" LUCIAAUTH_DIR="$tmp/evil" TMPDIR="$tmp/evil" "$H" alice
is "$(ls -A "$tmp/evil")" "" "nothing was created where the environment pointed"

# Lockout (deny = 3) counts the helper's failures like any other.
t_cmd -q -u -I "$pw_alice" 0 "a right password resets the count" -- as_user 20001 "$H" alice
is "$(failures alice)" 0 "failure count is 0 again"
for i in 1 2 3; do
	t_cmd -q -I "$wrong" 1 "wrong password $i of 3" -- as_user 20001 "$H" alice
done
is "$(failures alice)" 3 "three failures counted"
check "alice is locked out" [ "$(locked_until alice)" -gt 0 ]
t_cmd -q -I "$pw_alice" 6 "locked out: even the right password gets exit 6" \
	-- as_user 20001 "$H" alice
is "$(failures alice)" 3 "a locked-out attempt is not checked or counted"
la user unlock alice >/dev/null
t_cmd -q -I "$pw_alice" 0 "after unlock the right password works" -- as_user 20001 "$H" alice

# ---- pam_luciaauth.so without privilege --------------------------------
pam_ok=1
t_pamtester "$module" || pam_ok=$T_WHY
cat >"$ns/pam.d/chk" <<EOF
auth required $module chkpwd=$H nodelay debug
EOF
cat >"$ns/pam.d/chk-nohelper" <<EOF
auth required $module chkpwd=$ns/bin/missing nodelay
EOF
printf 'auth required pam_deny.so\n' >"$ns/pam.d/other"
chmod 644 "$ns/pam.d/"*

# pt SERVICE USER PASSWORD: pamtester as alice (uid 20001) through pam_wrapper.
pt() {
	printf '%s\n' "$3" >"$tmp/pw"
	chmod 644 "$tmp/pw"
	t_run -f "$tmp/pw" -- as_user 20001 env ASAN_OPTIONS="$T_PAM_ASAN" LD_PRELOAD="$T_PAM_PRELOAD" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$ns/pam.d" PAM_WRAPPER_DEBUGLEVEL=2 TMPDIR="$ns/ptmp" \
		pamtester "$1" "$2" authenticate
	rm -f "$tmp/pw"
	cat >>"$tmp/pam.err" <<<"$T_ERR"
}
if [ "$pam_ok" = 1 ]; then
	pt chk alice "$pw_alice"
	is "$T_RC" 0 "PAM as alice, right password: success through the helper"
	like "$T_ERR" 'store not readable.*luciaauth-chkpwd' "the module said it used the helper"
	n=$(failures alice)
	pt chk alice "$wrong"
	like "$T_ERR" 'Authentication failure' "PAM as alice, wrong password: PAM_AUTH_ERR"
	is "$(failures alice)" $((n + 1)) "...and counted"
	pt chk bob "$pw_bob"
	like "$T_ERR" 'Authentication failure' "PAM as alice for bob: refused"
	is "$(failures bob)" 0 "bob's counter is untouched"
	pt chk carol "$wrong"
	like "$T_ERR" '(User not known|Authentication failure)' "PAM as alice for a stranger: fails"
	pt chk-nohelper alice "$pw_alice"
	like "$T_ERR" 'cannot retrieve authentication info' \
		"helper missing: PAM_AUTHINFO_UNAVAIL"
	mv "$state" "$state.away"
	pt chk alice "$pw_alice"
	like "$T_ERR" 'cannot retrieve authentication info' \
		"store missing: PAM_AUTHINFO_UNAVAIL"
	mv "$state.away" "$state"
	pt chk alice "$pw_alice"
	is "$T_RC" 0 "store back: success again"
else
	for i in 1 2 3 4 5 6 7 8 9 10; do skip "$pam_ok" "PAM through the helper ($i)"; done
fi

# ---- nothing secret anywhere ---------------------------------------------
log_sync
leaks=
for s in "$pw_alice" "$pw_bob" "$wrong"; do
	grep -qF -f <(printf '%s\n' "$s") "$syslog" "$tmp/pam.err" 2>/dev/null && leaks="$leaks x"
done
while read -r h; do
	[ -n "$h" ] && grep -qF -f <(printf '%s\n' "$h") "$syslog" "$tmp/pam.err" 2>/dev/null &&
		leaks="$leaks hash"
done < <(sqlite3 "$db" "SELECT hashed_password FROM auth_keys WHERE hashed_password IS NOT NULL")
is "$leaks" "" "no password or hash in the captured syslog or PAM output"
if [ "$have_log" = 1 ]; then
	check "the syslog capture saw the helper" grep -q 'luciaauth-chkpwd\[' "$syslog"
else
	skip "no /dev/log capture" "the syslog capture saw the helper"
fi
check "integrity of the store" [ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ]
done_testing

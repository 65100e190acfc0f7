#!/bin/bash
#
# test_pam_real.sh - end-to-end test of pam_luciaauth.so with real programs
# (TAP): a real sshd on 127.0.0.1 with a real ssh client (password and
# keyboard-interactive authentication), setuid su run by an unprivileged
# user, passwd, and Debian's common-* stacks made by pam-auth-update.
#
# Run by "make check" with LUCIAAUTH, abs_top_builddir and abs_top_srcdir in
# the environment; by hand (as root):
#   LUCIAAUTH=$build/tools/luciaauth abs_top_builddir=$build \
#   abs_top_srcdir=$src bash tests/test_pam_real.sh
#
# Needs root and a private mount namespace (unshare -m); otherwise the whole
# plan is skipped ("1..0 # SKIP ...", exit 0).
#
# The host is never changed.  Everything the programs see differently lives
# in one private mount namespace, kept alive by a "holder" process that the
# test started (every command that must see the namespace runs through
# nsenter into it):
#   /etc/pam.d                tmpfs, a copy of the host's files plus ours
#   /etc                      a read-only overlay that adds nsswitch.conf
#                             ("passwd: files luciaauth", "group: files
#                             [SUCCESS=merge] luciaauth", "shadow: files
#                             luciaauth"), an ld.so.cache that also lists a
#                             copy of our NSS module libnss_luciaauth.so.2,
#                             and /etc/luciaauth.conf (dir = the test's
#                             store): the store users come from the store,
#                             NOT from /etc/passwd (pam_localuser in the
#                             pam-auth-update profile depends on that)
#   /etc/passwd, group, shadow  bind mounts of copies of the host's plus a
#                             local user with a real hash (for pam_unix),
#                             and carol (known to NSS, not in the store)
#   /run                      tmpfs (sshd's /run/sshd; hides nscd)
#   /usr/share/pam-configs, /var/lib/pam, /var/cache/debconf
#                             tmpfs copies, for pam-auth-update
# Fallbacks for the store users (PAMREAL_NSS=userdb or passwd, or when the
# NSS module is not built): nss-systemd drop-in records in /run/userdb with
# a bind-mounted nsswitch.conf ("files systemd"), so that they are not in
# /etc/passwd either; or, without libnss-systemd, appended to the bind-
# mounted passwd/group/shadow (shadow "*": pam_unix never accepts them), and
# the points that need the difference are skipped.
# sshd is started by absolute path on a free loopback port with its own
# config and host key, and stopped by its PID.  The ssh client and the CLI
# run outside the namespace (loopback is shared; the store is in $tmp).
# At the end the test checks that the host's files and mount table are as
# before and that no process is left in the namespace.
#
# Debugging knobs: PAMREAL_DEBUG=1 prints sshd's log as diagnostics at the
# end; PAMREAL_SSHD_LOGLEVEL (default VERBOSE) and PAMREAL_SSH_LOGLEVEL
# (default ERROR) set the log levels; PAMREAL_NSS=module (the default),
# userdb or passwd chooses how the store users are known to NSS.  A
# sanitizer build is skipped (setuid su/passwd cannot preload libasan).
# Run time: about 25 s (35 s with both cores busy).
#
# Passwords reach ssh through SSHPASS (sshpass -e), and the other programs on
# standard input: never in an argv.  Our own service files use "nodelay";
# Debian's stacks keep the 2 s failure delay (a few points pay it).  Session tokens are handed to the test
# through a mode-600 file in the user's home and compared or validated here;
# they are never printed.

# shellcheck disable=SC2016 # single-quoted scripts run in the namespace
# shellcheck disable=SC2034 # the pw_* variables are read through ${!name}
# shellcheck disable=SC2317 # helpers such as ns() are run through t_run / t_cmd
set -u
export LC_ALL=C
umask 022

srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tap.sh
. "$srcdir/tests/tap.sh"
# shellcheck source=ns.sh
. "$srcdir/tests/ns.sh"

module=$builddir/pam_module/.libs/pam_luciaauth.so
nss_module=$builddir/nss_module/.libs/libnss_luciaauth.so.2

[ "$(id -u)" = 0 ] || skip_all "needs root (private mount namespace, sshd, su, passwd)"
t_need_luciaauth
[ -f "$module" ] || skip_all "pam_luciaauth.so not built ($module)"
# A sanitizer build of the module cannot be loaded by setuid su and passwd
# (LD_PRELOAD of libasan is ignored there) and not by sshd without one: the
# module-level tests cover that build.
if grep -Eq '^SAN_CFLAGS = .*-fsanitize' "$builddir/Makefile" 2>/dev/null ||
	{ command -v readelf >/dev/null 2>&1 &&
		readelf -d "$module" 2>/dev/null | grep -Eq 'NEEDED.*lib(asan|ubsan|tsan)'; }; then
	skip_all "sanitizer build: real sshd, su and passwd cannot load this pam_luciaauth.so"
fi
t_need unshare nsenter setpriv findmnt timeout ssh ssh-keygen sshpass su passwd pamtester perl
[ -x /usr/sbin/sshd ] || skip_all "/usr/sbin/sshd not found (openssh-server)"
unshare -m --propagation private true 2>/dev/null ||
	skip_all "cannot create a private mount namespace (unshare -m failed)"

# Never inherit a token or a preload from the caller.
unset LUCIAAUTH_SESSION SSHPASS LD_PRELOAD

# ---------------------------------------------------------------------
# Host state, compared at the end.
# ---------------------------------------------------------------------
host_files() {
	local f
	for f in /etc/pam.d/* /usr/share/pam-configs/* /var/lib/pam/* \
		/etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/nsswitch.conf \
		/etc/ld.so.cache /etc/luciaauth.conf \
		/etc/ssh/sshd_config /var/cache/debconf/config.dat \
		/var/cache/debconf/passwords.dat; do
		[ -e "$f" ] && md5sum "$f"
	done
	ls -A /etc /etc/pam.d /usr/share/pam-configs /var/lib/pam
}
host_mounts() { findmnt -rn -o TARGET,SOURCE,FSTYPE | sort; }
host_files_before=$(host_files 2>&1)
host_mounts_before=$(host_mounts 2>&1)

tmp=$(mktemp -d /tmp/luciaauth-pamreal.XXXXXXXX) || bail_out "mktemp failed"
# Traversable by the test users (their homes live below), not listable.
chmod 711 "$tmp"

SSHD_PID=

stop_namespace() {
	if [ -n "$SSHD_PID" ]; then
		kill "$SSHD_PID" 2>/dev/null
		wait "$SSHD_PID" 2>/dev/null
		SSHD_PID=
	fi
	ns_stop_bg
	ns_release
}
cleanup() {
	stop_namespace
	rm -rf --one-file-system "$tmp"
	tap_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---------------------------------------------------------------------
# The store and the users.
# ---------------------------------------------------------------------
cfg=$tmp/luciaauth.conf
state=$tmp/state
homes=$tmp/home
mkdir -m 755 "$homes" "$tmp/bin" "$tmp/ns" "$tmp/ssh"

pw_alice='alice-Pass-1234'
pw_bob='bob-Pass-5678'
pw_dave='dave-Pass-0001'
pw_dave2='dave-Pass-0002'
pw_dave3='dave-Pass-0003'
pw_erin='erin-Pass-4321'
pw_frank='frank-Pass-111'
pw_frank2='frank-Pass-222'
pw_alice2='alice-Pass-5678'
pw_local='local-Pass-777'
pw_wrong='wrong-Pass-000'

# How the store users become known to sshd, su and passwd.  Default: our
# NSS module (module), with the store named by /etc/luciaauth.conf of the
# namespace, so that they are NOT in /etc/passwd (this matters for
# pam_localuser in the pam-auth-update profile).  Fallbacks: nss-systemd's
# drop-in user records in /run/userdb of the namespace (userdb, "passwd:
# files systemd"), likewise not in /etc/passwd; without libnss-systemd,
# appended to the bind-mounted /etc/passwd (passwd).
have_systemd_nss=0
for d in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /usr/lib64 /lib /usr/lib \
	"/usr/lib/$(uname -m)-linux-gnu"; do
	[ -e "$d/libnss_systemd.so.2" ] && have_systemd_nss=1
done
have_nss_module=0
[ -f "$nss_module" ] && command -v ldconfig >/dev/null 2>&1 && have_nss_module=1
nss_fallback=passwd
[ "$have_systemd_nss" = 1 ] && nss_fallback=userdb
case ${PAMREAL_NSS-} in
'' | module)
	nss_mode=$nss_fallback
	[ "$have_nss_module" = 1 ] && nss_mode=module
	[ -n "${PAMREAL_NSS-}" ] && [ "$nss_mode" != module ] &&
		bail_out "PAMREAL_NSS=module: $nss_module not built (or no ldconfig)"
	;;
userdb)
	[ "$have_systemd_nss" = 1 ] || bail_out "PAMREAL_NSS=userdb: libnss_systemd.so.2 not found"
	nss_mode=userdb
	;;
passwd) nss_mode=passwd ;;
*) bail_out "PAMREAL_NSS must be module, userdb or passwd (got '$PAMREAL_NSS')" ;;
esac

# A local account (in /etc/passwd and /etc/shadow with a real hash) for the
# pam_unix part; pick a uid free on this host, below the store's range.
local_user=lalocal
local_uid=9990
while getent passwd "$local_uid" >/dev/null 2>&1 || getent group "$local_uid" >/dev/null 2>&1; do
	local_uid=$((local_uid - 1))
done
getent passwd "$local_user" >/dev/null 2>&1 && bail_out "user $local_user exists on this host"
local_hash=$(printf '%s' "$pw_local" | perl -e '
	my $pw = <STDIN>; my @c = ("a".."z", "A".."Z", 0..9, ".", "/");
	my $salt = join "", map { $c[rand @c] } 1..16;
	print crypt($pw, "\$6\$$salt\$");')
case $local_hash in
'$6$'*) ;;
*) bail_out "perl crypt() gave no sha512crypt hash" ;;
esac
mkdir -m 700 "$homes/$local_user"
chown "$local_uid:$local_uid" "$homes/$local_user"

# The namespace's /etc/passwd, /etc/group, /etc/shadow: copies of the host's
# (owner and mode kept) plus the local user; copies of these two are the
# account files the store consults (local accounts are never ours).
days=$(($(date +%s) / 86400))
for f in passwd group shadow; do
	cp -p "/etc/$f" "$tmp/ns/$f"
done
echo "$local_user:x:$local_uid:$local_uid:luciaauth test local user:$homes/$local_user:/bin/sh" \
	>>"$tmp/ns/passwd"
echo "$local_user:x:$local_uid:" >>"$tmp/ns/group"
echo "$local_user:$local_hash:$days:0:99999:7:::" >>"$tmp/ns/shadow"
unset local_hash
cp "$tmp/ns/passwd" "$tmp/local-passwd"
cp "$tmp/ns/group" "$tmp/local-group"
sed -E 's/^(passwd|group|shadow):.*/\1: files systemd/' /etc/nsswitch.conf >"$tmp/ns/nsswitch.conf"
# For the NSS module: what the overlay on the namespace's /etc adds (see
# tests/test_nss_real.sh): nsswitch.conf, an ld.so.cache that also lists a
# copy of the module, /etc/luciaauth.conf (written below).
mkdir -m 755 "$tmp/etcov" "$tmp/nsslib"
if [ "$nss_mode" = module ]; then
	cp "$nss_module" "$tmp/nsslib/libnss_luciaauth.so.2"
	chmod 644 "$tmp/nsslib/libnss_luciaauth.so.2"
	printf 'include /etc/ld.so.conf.d/*.conf\n%s\n' "$tmp/nsslib" >"$tmp/ld.so.conf"
	ldconfig -X -C "$tmp/etcov/ld.so.cache" -f "$tmp/ld.so.conf" 2>"$tmp/ldconfig.err" ||
		bail_out "ldconfig for the private ld.so.cache failed: $(cat "$tmp/ldconfig.err")"
	{
		grep -Ev '^[[:space:]]*(passwd|group|shadow|initgroups)[[:space:]]*:' /etc/nsswitch.conf
		echo "passwd:     files luciaauth"
		echo "group:      files [SUCCESS=merge] luciaauth"
		echo "shadow:     files luciaauth"
		echo "initgroups: files luciaauth"
	} >"$tmp/etcov/nsswitch.conf"
fi

cat >"$cfg" <<EOF
# luciaauth store of test_pam_real.sh
dir = $state
hash_mem_kib = 64
hash_ops = 1
passwd_file = $tmp/local-passwd
group_file = $tmp/local-group
EOF
if [ "$nss_mode" = module ]; then
	cp "$cfg" "$tmp/etcov/luciaauth.conf"
	chmod 644 "$tmp/etcov/"*
fi

la() { "$LUCIAAUTH" --config "$cfg" "$@"; }

must() {
	t_run "$@"
	if [ "$T_RC" != 0 ]; then
		diag "setup command failed ($T_RC): ${*}" "stdout: $T_OUT" "stderr: $T_ERR"
		bail_out "setup step failed"
	fi
}

# nss_user NAME UID GID: make NAME known to NSS in the namespace (not to
# the store, nor to the account files the store consults).  With the NSS
# module the store users need nothing (the store serves them): only carol,
# who is not in the store, goes to the namespace's files.
mkdir -m 755 "$tmp/userdb"
: >"$tmp/ns/passwd.add"
: >"$tmp/ns/group.add"
: >"$tmp/ns/shadow.add"
nss_user() {
	local name=$1 uid=$2 gid=$3 in_store=${4-1}
	if [ "$nss_mode" = module ] && [ "$in_store" = 1 ]; then
		return 0
	elif [ "$nss_mode" = userdb ]; then
		printf '{"userName":"%s","uid":%s,"gid":%s,"realName":"luciaauth test user %s","homeDirectory":"%s","shell":"/bin/sh","disposition":"regular"}\n' \
			"$name" "$uid" "$gid" "$name" "$homes/$name" >"$tmp/userdb/$name.user"
		printf '{"groupName":"%s","gid":%s}\n' "$name" "$gid" >"$tmp/userdb/$name.group"
		ln -s "$name.user" "$tmp/userdb/$uid.user"
		ln -s "$name.group" "$tmp/userdb/$gid.group"
	else
		echo "$name:x:$uid:$gid:luciaauth test user $name:$homes/$name:/bin/sh" >>"$tmp/ns/passwd.add"
		echo "$name:x:$gid:" >>"$tmp/ns/group.add"
		echo "$name:*:$days:0:99999:7:::" >>"$tmp/ns/shadow.add"
	fi
}

must -- la init
# store_user NAME PASSWORD-VARIABLE: add a user to the store and to NSS;
# sets uid_NAME and gid_NAME.
store_user() {
	local name=$1 pw=${!2} uid gid
	mkdir -m 700 "$homes/$name"
	must -i "$pw" -- la user add "$name" --password-stdin --home "$homes/$name" --shell /bin/sh
	must -- la --json user show "$name"
	uid=$(printf '%s' "$T_OUT" | grep -o '"uid":[0-9]*' | cut -d: -f2)
	gid=$(printf '%s' "$T_OUT" | grep -o '"gid":[0-9]*' | cut -d: -f2)
	if [ -z "$uid" ] || [ -z "$gid" ]; then
		bail_out "no uid/gid for $name in: $T_OUT"
	fi
	chown "$uid:$gid" "$homes/$name"
	nss_user "$name" "$uid" "$gid"
	eval "uid_$name=\$uid gid_$name=\$gid"
}
uid_alice='' gid_alice='' uid_dave='' gid_dave=''
store_user alice pw_alice
store_user bob pw_bob
store_user dave pw_dave
store_user erin pw_erin
store_user frank pw_frank
must -- la user lock bob
must -- la user mod frank --must-change

# carol: known to NSS (as another user database would make her), unknown
# to the store.
mkdir -m 700 "$homes/carol"
nss_user carol $((uid_alice + 500)) $((uid_alice + 500)) 0
if [ "$nss_mode" != userdb ]; then
	# Only in the namespace's files, not in the store's local-passwd.
	cat "$tmp/ns/passwd.add" >>"$tmp/ns/passwd"
	cat "$tmp/ns/group.add" >>"$tmp/ns/group"
	cat "$tmp/ns/shadow.add" >>"$tmp/ns/shadow"
fi
ns_shadow_md5=$(md5sum <"$tmp/ns/shadow")

# Remote command of the session tests: hands the session token to the test
# through a mode-600 file and keeps the session open until told to go.
cat >"$tmp/bin/hold" <<'EOF'
#!/bin/sh
# hold DIR NAME: write $LUCIAAUTH_SESSION to DIR/NAME.tok (atomically, mode
# 600), wait until DIR/NAME.go exists (at most 20 s), then print the user.
umask 077
printf '%s' "${LUCIAAUTH_SESSION-}" >"$1/$2.tmp" && mv -f "$1/$2.tmp" "$1/$2.tok" || exit 1
i=0
while [ ! -e "$1/$2.go" ] && [ "$i" -lt 200 ]; do
	sleep 0.1
	i=$((i + 1))
done
id -un
EOF
chmod 755 "$tmp/bin/hold"

# ---------------------------------------------------------------------
# PAM service files of the first part (our own, module by absolute path).
# ---------------------------------------------------------------------
margs="config=$cfg"
cp -a /etc/pam.d "$tmp/pamd-host"
mkdir "$tmp/pamd-own"
cat >"$tmp/pamd-own/sshd" <<EOF
# test_pam_real.sh: sshd with pam_luciaauth only
auth     required  $module $margs nodelay
account  required  $module $margs
session  required  $module $margs
password required  pam_deny.so
EOF
cat >"$tmp/pamd-own/su" <<EOF
# test_pam_real.sh: su with pam_luciaauth only
auth     sufficient pam_rootok.so
auth     required   $module $margs nodelay
account  required   $module $margs
session  required   $module $margs
password required   $module $margs
EOF
cat >"$tmp/pamd-own/passwd" <<EOF
# test_pam_real.sh: passwd with pam_luciaauth only
password required   $module $margs
EOF

# ---------------------------------------------------------------------
# The namespace.
# ---------------------------------------------------------------------
ns_hold || bail_out "the namespace holder did not start"

# ns CMD...: run CMD inside the namespace, in /, with a clean environment.
ns() {
	nsenter -t "$HOLDER" -m --wd=/ -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C "$@"
}

t_run -- ns sh -euc '
	tmp=$1
	if [ "$2" = module ]; then
		mount -t overlay overlay -o "lowerdir=$tmp/etcov:/etc" /etc
	fi
	mount -t tmpfs -o mode=755 tmpfs /run
	mkdir -m 755 /run/sshd
	mount -t tmpfs -o mode=755 tmpfs /etc/pam.d
	cp -a "$tmp/pamd-host/." /etc/pam.d/
	cp "$tmp/pamd-own/sshd" "$tmp/pamd-own/su" "$tmp/pamd-own/passwd" /etc/pam.d/
	for f in passwd group shadow; do
		mount --bind "$tmp/ns/$f" "/etc/$f"
	done
	if [ "$2" = userdb ]; then
		mount --bind "$tmp/ns/nsswitch.conf" /etc/nsswitch.conf
		mkdir -m 755 /run/userdb
		cp -a "$tmp/userdb/." /run/userdb/
	fi
	for d in /usr/share/pam-configs /var/lib/pam /var/cache/debconf; do
		[ -d "$d" ] || continue
		mkdir -p "$tmp/copy$d"
		cp -a "$d/." "$tmp/copy$d/"
		mount -t tmpfs -o mode=755 tmpfs "$d"
		cp -a "$tmp/copy$d/." "$d/"
	done' sh "$tmp" "$nss_mode"
if [ "$T_RC" = 0 ]; then
	ok "private mount namespace set up (pam.d, passwd/group/shadow, /run; store users via $nss_mode)"
else
	not_ok "private mount namespace set up (pam.d, passwd/group/shadow, /run; store users via $nss_mode)"
	diag "stderr: $T_ERR"
	bail_out "cannot set up the namespace"
fi
t_run -- ns id -u alice
is "$T_OUT" "$uid_alice" "the namespace knows the store user alice (uid $uid_alice, from 10000 on)"

# ---------------------------------------------------------------------
# sshd
# ---------------------------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -C luciaauth-test -f "$tmp/ssh/host_ed25519_key" ||
	bail_out "ssh-keygen failed"
cat >"$tmp/ssh/sshd_config" <<EOF
# test_pam_real.sh: a private sshd on the loopback only
ListenAddress 127.0.0.1
HostKey $tmp/ssh/host_ed25519_key
PidFile none
UsePAM yes
PasswordAuthentication yes
KbdInteractiveAuthentication yes
PubkeyAuthentication no
HostbasedAuthentication no
GSSAPIAuthentication no
PermitRootLogin no
PermitEmptyPasswords no
AuthorizedKeysFile none
MaxAuthTries 3
MaxStartups 50
LoginGraceTime 30
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
AllowTcpForwarding no
LogLevel ${PAMREAL_SSHD_LOGLEVEL:-VERBOSE}
EOF
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
		echo $((20000 + RANDOM % 20000))
}
sshd_log=$tmp/sshd.log
PORT=
for _ in 1 2 3 4 5; do
	PORT=$(free_port)
	: >"$sshd_log"
	# A simple command, and nsenter and env exec: $! is sshd itself.
	nsenter -t "$HOLDER" -m --wd=/ -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C \
		/usr/sbin/sshd -D -e -f "$tmp/ssh/sshd_config" -p "$PORT" </dev/null 2>>"$sshd_log" &
	SSHD_PID=$!
	for _ in $(seq 200); do
		grep -q "Server listening on 127.0.0.1 port $PORT" "$sshd_log" && break
		kill -0 "$SSHD_PID" 2>/dev/null || break
		sleep 0.05
	done
	grep -q "Server listening on 127.0.0.1 port $PORT" "$sshd_log" && break
	kill "$SSHD_PID" 2>/dev/null
	wait "$SSHD_PID" 2>/dev/null
	SSHD_PID=
done
if [ -n "$SSHD_PID" ]; then
	ok "sshd listens on 127.0.0.1:$PORT (UsePAM yes, in the namespace)"
else
	not_ok "sshd listens on 127.0.0.1"
	diag "$(cat "$sshd_log")"
	bail_out "sshd did not start"
fi

ssh_opts=(-F /dev/null -p "$PORT" -n -T
	-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o GlobalKnownHostsFile=/dev/null -o "LogLevel=${PAMREAL_SSH_LOGLEVEL:-ERROR}" -o BatchMode=no
	-o PubkeyAuthentication=no -o GSSAPIAuthentication=no -o HostbasedAuthentication=no
	-o NumberOfPasswordPrompts=1 -o ConnectTimeout=10 -o ControlMaster=no
	-o ControlPath=none -o ServerAliveInterval=5 -o ServerAliveCountMax=3)

# ssh_as MODE USER PASSWORD-VARIABLE REMOTE-COMMAND...
# MODE: pw (password) or kbd (keyboard-interactive, PAM conversation).
ssh_as() {
	local mode=$1 user=$2
	local -x SSHPASS=${!3}
	local -a m
	shift 3
	case $mode in
	pw) m=(-o PreferredAuthentications=password -o PasswordAuthentication=yes
		-o KbdInteractiveAuthentication=no) ;;
	kbd) m=(-o PreferredAuthentications=keyboard-interactive -o PasswordAuthentication=no
		-o KbdInteractiveAuthentication=yes) ;;
	esac
	timeout 30 sshpass -e ssh "${ssh_opts[@]}" "${m[@]}" "$user@127.0.0.1" "$@"
}
mode_name() { [ "$1" = pw ] && echo password || echo keyboard-interactive; }
sshd_method() { [ "$1" = pw ] && echo password || echo keyboard-interactive/pam; }

# Lines sshd logged since mark_log.
log_mark=0
mark_log() { log_mark=$(wc -l <"$sshd_log"); }
new_log() { tail -n +"$((log_mark + 1))" "$sshd_log"; }
# Closing a session and logging happen just after the client returns.
wait_log() {
	local re=$1 i
	for i in $(seq 50); do
		new_log | grep -Eq "$re" && return 0
		sleep 0.1
	done
	return 1
}

# ssh_accepted MODE USER PASSWORD-VARIABLE DESC
ssh_accepted() {
	local mode=$1 user=$2 pwvar=$3 desc=$4 meth
	meth=$(sshd_method "$mode")
	mark_log
	t_run -- ssh_as "$mode" "$user" "$pwvar" id -un
	if [ "$T_RC" = 0 ] && [ "$T_OUT" = "$user" ] && wait_log "Accepted $meth for $user from 127.0.0.1"; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "ssh exit status $T_RC, stdout '$T_OUT'" "stderr: $T_ERR" "sshd: $(new_log)"
	fi
}

# ssh_refused MODE USER PASSWORD-VARIABLE DESC [SSHD-LOG-ERE]
# Refused: no remote command ran, and sshd logged the failure (so the
# refusal came from authentication, not from a broken connection).
ssh_refused() {
	local mode=$1 user=$2 pwvar=$3 desc=$4 meth re
	meth=$(sshd_method "$mode")
	# With one prompt the client gives up after the first keyboard-
	# interactive round: sshd then logs PAM's verdict, not "Failed".
	re=${5:-"(Failed $meth for (invalid user )?$user|PAM: [A-Za-z ]+ for (illegal user )?$user) from 127.0.0.1"}
	mark_log
	t_run -- ssh_as "$mode" "$user" "$pwvar" echo REMOTE-COMMAND-RAN
	if [ "$T_RC" != 0 ] && [ -z "$T_OUT" ] && wait_log "$re" &&
		! new_log | grep -q "Accepted .* for $user "; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "ssh exit status $T_RC, stdout '$T_OUT'" "stderr: $T_ERR" "sshd: $(new_log)"
	fi
}

# Live sessions of a user, as JSON from the CLI; their number, or "error"
# (so that a failing CLI never passes for "no session").
sessions_json() { la --json session list "$1" 2>&1; }
session_count() {
	local js
	js=$(sessions_json "$1")
	case $js in
	'{"sessions":['*) printf '%s' "$js" | grep -o '"id":"' | wc -l ;;
	*) echo error ;;
	esac
}
wait_no_sessions() {
	local i
	for i in $(seq 50); do
		[ "$(session_count "$1")" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}
# The hold script renames the token file into place: existing is complete.
wait_file() {
	local i
	for i in $(seq 200); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

seen_tokens=()
# session_roundtrip LABEL NAME SOURCE RHOST CMD...
# CMD (run in the background) logs alice in and runs "hold $homes/alice
# NAME".  While it is logged in: the token from its environment is valid
# and is the one row of alice; after logout the row is gone.
session_roundtrip() {
	local label=$1 name=$2 source=$3 rhost=$4 tokf tokstate tok='' id='' js pid rc out
	shift 4
	tokf=$homes/alice/$name.tok
	rm -f "$tokf" "$homes/alice/$name.go"
	"$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid=$!
	BG_PIDS+=("$pid")
	if wait_file "$tokf"; then
		tok=$(cat "$tokf")
		tokstate=present
	else
		tokstate=missing
	fi
	rm -f "$tokf"
	# <public id>.<secret>, lower-case base32
	if [[ $tok =~ ^[a-z2-9]{8,}\.[a-z2-9]{16,}$ ]]; then
		seen_tokens+=("$tok")
		ok "$label: LUCIAAUTH_SESSION in the session's environment is a token"
	else
		not_ok "$label: LUCIAAUTH_SESSION in the session's environment is a token"
		diag "token file: $tokstate, ${#tok} chars" \
			"stderr: $(cat "$tmp/$name.err")"
	fi
	id=${tok%%.*}
	if [ -n "$tok" ]; then
		# The token goes through the environment, as the remote shell would
		# pass it; it is never printed.
		LUCIAAUTH_SESSION=$tok t_run -- la session get --from-env
		if [ "$T_RC" = 0 ] && [[ $T_OUT == "valid: user alice "* ]] && [[ $T_OUT != *"$tok"* ]]; then
			ok "$label: the token is valid while logged in (luciaauth session get --from-env)"
		else
			not_ok "$label: the token is valid while logged in (luciaauth session get --from-env)"
			diag "exit status $T_RC" "stdout: ${T_OUT//$tok/<token>}" "stderr: $T_ERR"
		fi
	else
		skip "no token" "$label: the token is valid while logged in"
	fi
	js=$(sessions_json alice)
	if [ "$(session_count alice)" = 1 ] &&
		[[ $js == *"\"id\":\"$id\""* ]] && [ -n "$id" ] &&
		[[ $js == *"\"source\":\"$source\""* ]] &&
		[[ $js == *"\"rhost\":$rhost"* ]]; then
		ok "$label: one session row for alice: the token's, source $source, rhost $rhost"
	else
		not_ok "$label: one session row for alice: the token's, source $source, rhost $rhost"
		diag "token id: $id" "session list: $js"
	fi
	touch "$homes/alice/$name.go"
	rc=0
	wait "$pid" || rc=$?
	BG_PIDS=()
	out=$(cat "$tmp/$name.out")
	is "$rc:$out" "0:alice" "$label: the login ran its command as alice and ended"
	if wait_no_sessions alice; then
		ok "$label: after logout the session row is gone"
	else
		not_ok "$label: after logout the session row is gone"
		diag "session list: $(sessions_json alice)"
	fi
	if [ -n "$tok" ]; then
		LUCIAAUTH_SESSION=$tok t_run -- la session get --from-env
		is "$T_RC" 1 "$label: after logout the token is no longer valid"
	else
		skip "no token" "$label: after logout the token is no longer valid"
	fi
	rm -f "$homes/alice/$name.go"
	tok=
}

# =====================================================================
diag "sshd: password and keyboard-interactive authentication"
# =====================================================================
for mode in pw kbd; do
	mn=$(mode_name "$mode")
	ssh_accepted "$mode" alice pw_alice "ssh $mn: alice with the right password runs a remote command"
	ssh_refused "$mode" alice pw_wrong "ssh $mn: alice with a wrong password is refused"
	ssh_refused "$mode" nosuchuser pw_alice "ssh $mn: an unknown user is refused"
	ssh_refused "$mode" carol pw_alice "ssh $mn: carol (known to NSS, not in the store) is refused"
	# Refused by the auth or by the account stage: sshd logs a failed
	# password, an account denial, or for keyboard-interactive PAM's
	# verdict or a passed conversation ("Postponed", VERBOSE) that then
	# fails in the account stage.
	if [ "$mode" = pw ]; then
		re="(Failed password for bob from 127.0.0.1|Access denied for user bob by PAM account configuration)"
	else
		re="(Failed keyboard-interactive/pam for bob|PAM: [A-Za-z ]+ for bob|Postponed keyboard-interactive/pam for bob) from 127.0.0.1"
	fi
	ssh_refused "$mode" bob pw_bob \
		"ssh $mn: bob, locked by 'luciaauth user lock', is refused with his right password" "$re"
	ssh_accepted "$mode" alice pw_alice "ssh $mn: alice again after the failures (no lockout yet)"
	session_roundtrip "ssh $mn session" "ssh_$mode" sshd '"127.0.0.1"' \
		ssh_as "$mode" alice pw_alice sh "$tmp/bin/hold" "$homes/alice" "ssh_$mode"
done

# =====================================================================
diag "sshd: lockout after repeated failures (shared with the CLI)"
# =====================================================================
for _ in 1 2 3 4 5; do
	t_run -- ssh_as pw erin pw_wrong true
done
ssh_refused pw erin pw_erin "ssh: after 5 wrong passwords erin is locked out, the right password is refused" \
	"Failed password for erin from 127.0.0.1"
t_run -- la --json user show erin
like "$T_OUT" '"locked_until":[0-9]' "luciaauth user show reports erin's lockout"
must -- la user unlock erin
ssh_accepted pw erin pw_erin "ssh: after 'luciaauth user unlock' erin signs in"

# =====================================================================
diag "su run by an unprivileged user"
# =====================================================================
# as_nobody CMD...: run CMD in the namespace as nobody (su is setuid root).
as_nobody() { ns setpriv --reuid=65534 --regid=65534 --clear-groups timeout 30 "$@"; }
t_cmd -q -i "$pw_alice" -o '^alice$' 0 "su by nobody: alice with the right password" \
	-- as_nobody su alice -c 'id -un'
t_cmd -q -i "$pw_wrong" -e 'Authentication failure' -O . 1 "su by nobody: alice with a wrong password is refused" \
	-- as_nobody su alice -c 'id -un'
t_cmd -q -i "$pw_bob" -O . 1 "su by nobody: locked bob is refused with his right password" \
	-- as_nobody su bob -c 'id -un'
t_cmd -q -i "$pw_alice" -O . 1 "su by nobody: carol (known to NSS, not in the store) is refused" \
	-- as_nobody su carol -c 'id -un'
# must-change: su asks for a new password (pam_chauthtok with
# PAM_CHANGE_EXPIRED_AUTHTOK: the current password is asked again).
t_cmd -q -i "$pw_frank"$'\n'"$pw_frank"$'\n'"$pw_frank2"$'\n'"$pw_frank2" -o '^frank$' \
	-e 'required to change your password' 0 \
	"su by nobody: frank, who must change his password, changes it and gets in" \
	-- as_nobody su frank -c 'id -un'
t_run -- la --json user show frank
like "$T_OUT" '"must_change":false' "after the change frank no longer must change his password"
t_cmd -q -i "$pw_frank2" -o '^frank$' 0 "su by nobody: frank with the password he chose" \
	-- as_nobody su frank -c 'id -un'
su_hold() {
	printf '%s\n' "$pw_alice" | as_nobody su alice -c "sh $tmp/bin/hold $homes/alice su_session"
}
session_roundtrip "su session" su_session su null su_hold

# =====================================================================
diag "passwd through PAM"
# =====================================================================
t_cmd -q -i "$pw_dave2"$'\n'"$pw_dave2" 0 "passwd as root sets dave's password without the old one" \
	-- ns timeout 30 passwd dave
ssh_refused pw dave pw_dave "ssh: dave's old password no longer works"
ssh_accepted pw dave pw_dave2 "ssh: dave's new password works"
t_cmd -q -i "$pw_wrong"$'\n'"$pw_dave3"$'\n'"$pw_dave3" -e 'password unchanged' 10 \
	"passwd as dave with a wrong current password is refused" \
	-- ns setpriv --reuid="$uid_dave" --regid="$gid_dave" --clear-groups timeout 30 passwd
t_cmd -q -i "$pw_dave2"$'\n'"short"$'\n'"short" -e 'BAD PASSWORD' -e 'password unchanged' 10 \
	"passwd as dave: a too short new password is refused (policy)" \
	-- ns setpriv --reuid="$uid_dave" --regid="$gid_dave" --clear-groups timeout 30 passwd
t_cmd -q -i "$pw_dave2"$'\n'"$pw_dave3"$'\n'"$pw_dave3" 0 \
	"passwd as dave (unprivileged, setuid passwd) with the current password" \
	-- ns setpriv --reuid="$uid_dave" --regid="$gid_dave" --clear-groups timeout 30 passwd
ssh_refused pw dave pw_dave2 "ssh: after dave's own change the previous password is refused"
ssh_accepted pw dave pw_dave3 "ssh: after dave's own change the new password works"
t_cmd -q -i "$pw_dave3" -o '^dave$' 0 "su by nobody: dave with the new password" \
	-- as_nobody su dave -c 'id -un'

# =====================================================================
diag "pam-auth-update: Debian's common-* stacks with luciaauth"
# =====================================================================
profile_src=$srcdir/pam-configs/luciaauth
profile=$tmp/pam-configs-luciaauth
if [ -f "$profile_src" ]; then
	cp "$profile_src" "$profile"
	diag "profile: $profile_src"
else
	# Minimal stand-in until the project ships pam-configs/luciaauth.
	diag "profile: $profile_src not found, using the test's stand-in"
	cat >"$profile" <<'EOF'
Name: luciaauth credential store (test stand-in)
Default: no
Priority: 257
Auth-Type: Primary
Auth:
	[success=end ignore=ignore user_unknown=ignore authinfo_unavail=ignore default=die]	pam_luciaauth.so try_first_pass
Auth-Initial:
	[success=end ignore=ignore user_unknown=ignore authinfo_unavail=ignore default=die]	pam_luciaauth.so
Account-Type: Primary
Account:
	[success=end new_authtok_reqd=done ignore=ignore user_unknown=ignore authinfo_unavail=ignore default=die]	pam_luciaauth.so
Account-Initial:
	[success=end new_authtok_reqd=done ignore=ignore user_unknown=ignore authinfo_unavail=ignore default=die]	pam_luciaauth.so
Session-Type: Additional
Session:
	optional	pam_luciaauth.so
Session-Initial:
	optional	pam_luciaauth.so
Password-Type: Primary
Password:
	[success=end ignore=ignore user_unknown=ignore default=die]	pam_luciaauth.so try_first_pass
Password-Initial:
	[success=end ignore=ignore user_unknown=ignore default=die]	pam_luciaauth.so
EOF
fi
# The module by absolute path to the build, with the test's store.
sed -i -E "s#(^|[[:space:]])([^[:space:]]*/)?pam_luciaauth\.so#\1$module $margs#" "$profile"
if grep -q -- "$module $margs" "$profile"; then
	ok "profile points at the built module and the test store"
else
	not_ok "profile points at the built module and the test store"
	diag "$(cat "$profile")"
fi
t_run -- ns sh -euc '
	cp "$1" /usr/share/pam-configs/luciaauth
	# our own service files go: from here on the stacks are Debian ones
	cp "$2/sshd" "$2/su" "$2/passwd" /etc/pam.d/
	DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true \
		timeout 60 pam-auth-update --enable luciaauth' sh "$profile" "$tmp/pamd-host"
if [ "$T_RC" = 0 ]; then
	ok "pam-auth-update --enable luciaauth (inside the namespace)"
else
	not_ok "pam-auth-update --enable luciaauth (inside the namespace)"
	diag "exit status $T_RC" "stdout: $T_OUT" "stderr: $T_ERR"
fi
t_run -- ns cat /etc/pam.d/common-auth /etc/pam.d/common-account /etc/pam.d/common-session \
	/etc/pam.d/common-password
common=$T_OUT
ok_common=1
for t in auth account session password; do
	printf '%s\n' "$common" | grep -Eq "^${t}[[:space:]].*$module" || ok_common=0
done
printf '%s\n' "$common" | grep -Eq '^auth[[:space:]].*pam_unix\.so' || ok_common=0
if [ "$ok_common" = 1 ]; then
	ok "common-auth/account/session/password have pam_luciaauth beside pam_unix"
else
	not_ok "common-auth/account/session/password have pam_luciaauth beside pam_unix"
	diag "$(printf '%s\n' "$common" | grep -Ev '^(#|$)')"
fi

# A service made of the common stacks only, for pamtester.
t_run -- ns sh -c 'printf "@include common-auth\n@include common-account\n@include common-session\n" \
	>/etc/pam.d/la-common'
pt() { ns timeout 30 pamtester la-common "$@"; }
t_cmd -q -i "$pw_alice" 0 "common-*: store user alice: authenticate, acct_mgmt, open/close session" \
	-- pt alice authenticate acct_mgmt open_session close_session
t_cmd -q -i "$pw_local" 0 "common-*: local user $local_user (pam_unix): authenticate, acct_mgmt, open/close session" \
	-- pt "$local_user" authenticate acct_mgmt open_session close_session
t_cmd -q -i "$pw_wrong" 1 "common-*: alice with a wrong password is refused" \
	-- pt alice authenticate
t_cmd -q -i "$pw_wrong" 1 "common-*: $local_user with a wrong password is refused" \
	-- pt "$local_user" authenticate
t_cmd -q -i "$pw_alice" 1 "common-*: $local_user does not sign in with a store user's password" \
	-- pt "$local_user" authenticate
if [ "$nss_mode" = passwd ] && grep -q pam_localuser "$profile"; then
	# pam_localuser takes every user of /etc/passwd for a local one.
	skip "store users are in /etc/passwd without libnss-systemd" \
		"common-*: locked store user bob is refused (authenticate + acct_mgmt)"
else
	t_cmd -q -i "$pw_bob" 1 "common-*: locked store user bob is refused (authenticate + acct_mgmt)" \
		-- pt bob authenticate acct_mgmt
fi
is "$(session_count alice)" 0 "common-*: no session row of alice left"

# The distribution's own sshd and su service files over those stacks.
ssh_accepted pw alice pw_alice "Debian's sshd stack (password): store user alice"
ssh_accepted kbd alice pw_alice "Debian's sshd stack (keyboard-interactive): store user alice"
ssh_accepted pw "$local_user" pw_local "Debian's sshd stack (password): local user $local_user through pam_unix"
ssh_refused pw alice pw_wrong "Debian's sshd stack: alice with a wrong password is refused"
session_roundtrip "Debian's sshd stack session" debian_ssh sshd '"127.0.0.1"' \
	ssh_as pw alice pw_alice sh "$tmp/bin/hold" "$homes/alice" debian_ssh
t_cmd -q -i "$pw_alice" -o '^alice$' 0 "Debian's su stack, by nobody: store user alice" \
	-- as_nobody su alice -c 'id -un'
t_cmd -q -i "$pw_local" -o "^$local_user\$" 0 "Debian's su stack, by nobody: local user $local_user" \
	-- as_nobody su "$local_user" -c 'id -un'

# passwd over common-password: pam_unix comes first and refuses alice (not
# in /etc/shadow); pam_luciaauth reuses the current password pam_unix
# asked for and changes it.  Not with the passwd fallback: with the store
# users in the namespace's /etc/passwd pam_unix would take them for its own.
if [ "$nss_mode" != passwd ]; then
	t_cmd -q -i "$pw_alice"$'\n'"$pw_alice2"$'\n'"$pw_alice2" -E 'Current password:.*Current password:' \
		-e 'updated successfully' 0 \
		"Debian's passwd stack: alice (unprivileged) changes her password, asked once for the current one" \
		-- ns setpriv --reuid="$uid_alice" --regid="$gid_alice" --clear-groups timeout 30 passwd
	t_cmd -q -i "$pw_alice2" 0 "common-*: alice's new password works" -- pt alice authenticate
	t_cmd -q -i "$pw_alice" 1 "common-*: alice's old password is refused" -- pt alice authenticate
else
	for d in "alice changes her password" "alice's new password works" "alice's old password is refused"; do
		skip "store users are in /etc/passwd without libnss-systemd" "Debian's passwd stack: $d"
	done
fi

# The tokens reach grep through a pipe, never argv.
if [ "${#seen_tokens[@]}" -gt 0 ] &&
	! printf '%s\n' "${seen_tokens[@]}" | grep -qF -f - "$sshd_log"; then
	ok "none of the ${#seen_tokens[@]} session tokens is in sshd's log"
else
	not_ok "none of the session tokens is in sshd's log"
	diag "tokens seen: ${#seen_tokens[@]}"
fi
is "$(md5sum <"$tmp/ns/shadow")" "$ns_shadow_md5" "the namespace's /etc/shadow was never written (store passwords stay in the store)"

# =====================================================================
diag "the host is untouched"
# =====================================================================
sshd_pid_was=$SSHD_PID
stop_namespace
[ -n "${PAMREAL_DEBUG-}" ] && diag "sshd log:" "$(cat "$sshd_log")"
check "sshd (pid $sshd_pid_was) is gone" bash -c '! kill -0 "$1" 2>/dev/null' _ "$sshd_pid_was"
left=$(for p in /proc/[0-9]*; do
	[ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$NS_ID" ] && echo "${p#/proc/}"
done)
is "$left" "" "no process left in the test's mount namespace"
is "$(host_mounts 2>&1)" "$host_mounts_before" "findmnt: the host's mount table is as before"
host_files_after=$(host_files 2>&1)
if [ "$host_files_after" = "$host_files_before" ]; then
	ok "host files unchanged (/etc/pam.d, pam-configs, /var/lib/pam, passwd, shadow, debconf, /etc listing)"
else
	not_ok "host files unchanged (/etc/pam.d, pam-configs, /var/lib/pam, passwd, shadow, debconf, /etc listing)"
	diag "$(diff <(printf '%s\n' "$host_files_before") <(printf '%s\n' "$host_files_after"))"
fi

done_testing

#!/usr/bin/env bash
# demo.sh BUILD-DIR - an end-to-end tour of luciaauth in a temporary state
# directory: the command-line tool; the NSS module as built, loaded through
# nss_wrapper, so that the demo user resolves for getent and id; then the
# PAM module as built, loaded through pam_wrapper and driven by pamtester;
# importing accounts from passwd/shadow files made here and from the Lucia
# v2 fixture (tests/fixtures/lucia), backup and restore, doctor; luciaauthd
# on a loopback port.  Changes nothing on the host and needs no root: no
# file under /etc is written, and none is read except what the NSS module
# reads in every process (/etc/luciaauth.conf if it exists, /etc/passwd)
# and what doctor checks (/etc/nsswitch.conf, /etc/pam.d).  Run through
# './dev demo'.  The path of the luciaauth binary inside a build directory
# is accepted instead of BUILD-DIR too.
set -euo pipefail
arg=${1:?usage: demo.sh BUILD-DIR}
if [ -d "$arg" ]; then
	build=$(cd "$arg" && pwd)
	cli=$build/tools/luciaauth
else
	cli=$(cd "$(dirname "$arg")" && pwd)/$(basename "$arg")
	build=$(dirname "$(dirname "$cli")")
fi
pam_so=$build/pam_module/.libs/pam_luciaauth.so
nss_so=$build/nss_module/.libs/libnss_luciaauth.so.2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/luciaauth-demo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cfg=$tmp/luciaauth.conf
# A short active period so that the demo can show an idle session being
# renewed; everything else keeps the documented defaults.
cat >"$cfg" <<CONF
dir = $tmp/state
session_active = 3s
session_idle = 1h
CONF

step() { printf '\n\033[1m## %s\033[0m\n' "$*"; }
# Show each command as a reader would type it (on stderr, so that command
# substitution captures only the command's own output).
la() {
	local shown=$*
	printf '\033[2m$ luciaauth %s\033[0m\n' "${shown//$tmp/\$tmp}" >&2
	"$cli" --config "$cfg" "$@"
}
mask() { sed -E 's/^([a-z0-9]{12})\.[a-z0-9]{32}$/\1.<secret>/'; }

step "Create a store in $tmp/state"
la init
ls -ld "$tmp/state" "$tmp/state/luciaauth.db" "$tmp/state/nss.snapshot" | awk '{print $1, $NF}'

step "Add a user; the password comes on standard input, never on the command line"
printf '%s\n' 'correct horse battery' | la user add alice --email alice@example.org \
	--gecos 'Alice Example' --password-stdin
la user show alice

step "Sign in (as a web app would): a session token is printed"
token=$(printf '%s\n' 'correct horse battery' | la login --user alice --password-stdin)
echo "token: $(printf '%s' "$token" | mask)   (only a SHA-256 of the secret is stored)"

step "Sign in by e-mail address, JSON output for scripts"
printf '%s\n' 'correct horse battery' | la --json login --email ALICE@example.org \
	--password-stdin | sed -E 's/"token": ?"([a-z0-9]{12})\.[a-z0-9]{32}"/"token":"\1.<secret>"/'

step "A wrong password is refused (exit status 1)"
set +e
printf '%s\n' 'wrong password' | la login --user alice --password-stdin
echo "exit status: $?"
set -e

step "Validate the token: the session is active"
printf '%s\n' "$token" | la session validate

step "Wait past the 3 s active period: the session is idle, validate renews it in place"
sleep 4
printf '%s\n' "$token" | la session get
printf '%s\n' "$token" | la session validate
printf '%s\n' "$token" | la session validate

step "Sessions of alice"
la session list alice

step "Sign out: the session is deleted on the server"
printf '%s\n' "$token" | la session revoke
set +e
printf '%s\n' "$token" | la session validate
echo "exit status: $?"
set -e

step "A malformed token is rejected before any database work"
set +e
printf '%s\n' "not-a-token" | la session validate
echo "exit status: $?"
set -e

# ---- NSS ---------------------------------------------------------------
# nss_wrapper (LD_PRELOAD, for the commands shown with nw only) answers
# passwd and group lookups from copies of /etc/passwd and /etc/group and
# then from the module as built, instead of following /etc/nsswitch.conf.
# The module finds the demo's snapshot through its test hook
# LUCIAAUTH_NSS_SNAPSHOT; on a real system it reads dir from
# /etc/luciaauth.conf.
nw() {
	printf '\033[2m$ %s\033[0m\n' "$*" >&2
	env LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD="$tmp/nss/passwd" \
		NSS_WRAPPER_GROUP="$tmp/nss/group" NSS_WRAPPER_MODULE_SO_PATH="$nss_so" \
		NSS_WRAPPER_MODULE_FN_PREFIX=luciaauth \
		LUCIAAUTH_NSS_SNAPSHOT="$tmp/state/nss.snapshot" "$@"
}

nss_missing=
# ld.so complains on standard error when it cannot preload a library.
[ -z "$(LD_PRELOAD=libnss_wrapper.so env true 2>&1)" ] ||
	nss_missing="nss_wrapper (package libnss-wrapper)"
if [ ! -f "$nss_so" ]; then
	nss_missing="${nss_missing:+$nss_missing, }the module $nss_so (build first)"
elif command -v readelf >/dev/null && readelf -d "$nss_so" | grep -q 'NEEDED.*libasan'; then
	nss_missing="${nss_missing:+$nss_missing, }a module built without sanitizers"
fi
# The module reads /etc/luciaauth.conf in every process; one this user may
# not read makes it unavailable (see nss_luciaauth(8)).
if [ -e /etc/luciaauth.conf ] && [ ! -r /etc/luciaauth.conf ]; then
	nss_missing="${nss_missing:+$nss_missing, }read access to /etc/luciaauth.conf"
fi

if [ -n "$nss_missing" ]; then
	step "NSS module: skipped, missing $nss_missing"
else
	step "NSS: groups for alice; every change republishes the public snapshot (no hashes, mode 0644)"
	la group add developers
	la group add-member developers alice
	# A merge group: the name and gid of a local group.
	local_group=$(awk -F: '$1 == "users" && $3 != "" { print $1 }' /etc/group)
	if [ -n "$local_group" ]; then
		la group add "$local_group"
		la group add-member "$local_group" alice
	fi
	ls -l "$tmp/state/nss.snapshot" | awk '{print $1, $NF}'

	step "NSS: alice through the module as built (nss_wrapper; /etc/nsswitch.conf is not touched)"
	mkdir "$tmp/nss"
	cp /etc/passwd /etc/group "$tmp/nss/"
	if ! nw getent passwd alice; then
		echo "demo: the NSS module did not answer for alice" >&2
		exit 1
	fi
	nw id alice
	nw getent group developers
	if [ -n "$local_group" ]; then
		echo "($local_group is a local group: with 'group: files [SUCCESS=merge] luciaauth'"
		echo " in /etc/nsswitch.conf, 'getent group $local_group' lists alice too)"
	fi

	step "NSS: a change is seen at the next lookup, without restarting anything"
	la user mod alice --shell /bin/sh
	nw getent passwd alice
fi

# ---- PAM ---------------------------------------------------------------
# pamtester drives a PAM service the way sshd or login would.  pam_wrapper
# (LD_PRELOAD, for pamtester only) makes libpam read the service file from
# $tmp/pam.d instead of /etc/pam.d, so the module is used exactly as built.
# Its debug level 2 shows what the module sends to syslog; pamtester's
# standard error is collected and shown after the command, without the
# "Password: " prompt, so that nothing is interleaved.
pt() {
	local rc=0
	printf '\033[2m$ pamtester luciaauth-demo %s\033[0m\n' "$*" >&2
	LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$tmp/pam.d" \
		PAM_WRAPPER_DEBUGLEVEL=2 pamtester luciaauth-demo "$@" 2>"$tmp/pam.err" || rc=$?
	sed -e 's/^\(Password: \)*//' \
		-e 's/^PWRAP_[A-Z]*\[[^]]*\] - SYSLOG([0-9]*): /syslog: /' \
		-e '/^PWRAP_/d' -e '/^$/d' "$tmp/pam.err"
	return "$rc"
}

pam_missing=
command -v pamtester >/dev/null || pam_missing="pamtester (package pamtester)"
# ld.so complains on standard error when it cannot preload a library.
[ -z "$(LD_PRELOAD=libpam_wrapper.so env true 2>&1)" ] ||
	pam_missing="${pam_missing:+$pam_missing, }pam_wrapper (package libpam-wrapper)"
[ -f "$pam_so" ] || pam_missing="${pam_missing:+$pam_missing, }the module $pam_so (build first)"

if [ -n "$pam_missing" ]; then
	step "PAM module: skipped, missing $pam_missing"
else
	step "PAM: a service file for the built module (it would live in /etc/pam.d)"
	mkdir "$tmp/pam.d"
	# nodelay: no 2-second pause after the wrong password below.  pam_exec
	# hands the PAM environment to the program it runs: that is how the
	# token of the new session reaches 'luciaauth session validate
	# --from-env' without ever being printed.
	cat >"$tmp/pam.d/luciaauth-demo" <<PAMD
auth     required  $pam_so config=$cfg nodelay
account  required  $pam_so config=$cfg
session  required  $pam_so config=$cfg
session  optional  pam_exec.so stdout type=open_session $cli --config $cfg session validate --from-env
password required  $pam_so config=$cfg
PAMD
	printf 'auth required pam_deny.so\naccount required pam_deny.so\n%s\n%s\n' \
		'password required pam_deny.so' 'session required pam_deny.so' >"$tmp/pam.d/other"
	sed "s|$tmp|\$tmp|g" "$tmp/pam.d/luciaauth-demo"

	step "PAM: alice logs in; open_session puts a new session's token in LUCIAAUTH_SESSION, luciaauth validates it, close_session deletes the session"
	printf '%s\n' 'correct horse battery' |
		pt alice authenticate acct_mgmt open_session close_session
	la session list alice

	step "PAM: open and close in two processes (as sshd may do): the session lives in between; close finds it by its origin"
	pt alice open_session
	la session list alice
	pt alice close_session
	la session list alice

	step "PAM: a wrong password is refused and logged as pam_unix does; the failure counts in the lockout shared with the CLI"
	set +e
	printf '%s\n' 'wrong password' | pt alice authenticate
	echo "exit status: $?"
	set -e
	la user show alice | grep -E '^(failures|locked out)'

	step "PAM: root (any account of /etc/passwd) is never served by the module"
	set +e
	printf '%s\n' 'any password' | pt root authenticate
	echo "exit status: $?"
	set -e
fi

# ---- import, backup and restore, doctor --------------------------------
# shellcheck disable=SC2016 # the hash prefixes are literal
# hashes NAME...: the kind of each user's stored password hash (never the
# hash itself), read from the master database with sqlite3.
hashes() {
	local u h kind
	for u in "$@"; do
		h=$(sqlite3 -readonly "$tmp/state/luciaauth.db" \
			"SELECT hashed_password FROM auth_keys WHERE id = 'password:$u'")
		case $h in
		'$argon2id$'*) kind='Argon2id ($argon2id$...)' ;;
		'$y$'*) kind='yescrypt ($y$...)' ;;
		'$6$'*) kind='sha512crypt ($6$...)' ;;
		s2:*) kind='Lucia v2 scrypt (s2:...)' ;;
		?*:*) kind='Lucia v1 scrypt (salt:hex)' ;;
		*) kind='none' ;;
		esac
		printf '  %-8s %s\n' "$u" "$kind"
	done
}
# status CMD...: run a command that may fail and show its exit status.
status() {
	local rc=0
	"$@" || rc=$?
	echo "exit status: $rc"
}

if ! command -v mkpasswd >/dev/null || ! command -v sqlite3 >/dev/null; then
	step "Import from shadow: skipped, missing mkpasswd (package whois) or sqlite3"
else
	step "Import: passwd, shadow and group files of another machine (made here with mkpasswd; the host's files are not read)"
	mkdir "$tmp/src"
	h_carol=$(printf '%s' 'carol old pw' | mkpasswd -s -m yescrypt)
	h_dave=$(printf '%s' 'dave old pw' | mkpasswd -s -m sha512crypt)
	printf '%s\n' 'root:x:0:0:root:/root:/bin/bash' \
		'carol:x:41001:41001:Carol Imported:/home/carol:/bin/bash' \
		'dave:x:41002:41002:Dave Imported:/home/dave:/bin/bash' >"$tmp/src/passwd"
	printf '%s\n' 'root:*:19000:0:99999:7:::' "carol:$h_carol:19000:0:99999:7:::" \
		"dave:$h_dave:19000:0:99999:7:::" >"$tmp/src/shadow"
	chmod 600 "$tmp/src/shadow"
	printf '%s\n' 'root:x:0:' 'carol:x:41001:' 'dave:x:41002:' 'projects:x:41100:carol,dave' \
		>"$tmp/src/group"
	# Hashes shortened to their kind for the screen.
	sed -E 's/^([a-z]+:\$[^$]+\$)[^:]*/\1.../' "$tmp/src/shadow"
	src=(--passwd "$tmp/src/passwd" --shadow "$tmp/src/shadow" --group "$tmp/src/group")
	la import shadow "${src[@]}"
	la import shadow "${src[@]}"
	echo "stored hashes (kept as they are; libxcrypt verifies them):"
	hashes carol dave

	if [ -n "$pam_missing" ]; then
		step "Import: carol signs in with her old password (CLI; PAM skipped, missing $pam_missing)"
		printf '%s\n' 'carol old pw' | la login --user carol --password-stdin | mask
	else
		step "Import: carol logs in through PAM with her old password; the first sign-in rehashes to Argon2id"
		printf '%s\n' 'carol old pw' | pt carol authenticate acct_mgmt
	fi
	hashes carol dave
fi

if ! command -v sqlite3 >/dev/null; then
	step "Import from Lucia: skipped, missing sqlite3"
else
	fixture=$(cd "$(dirname "$0")" && pwd)/fixtures/lucia/lucia-v2.sql
	step "Import: a Lucia v2 web app's database (tests/fixtures/lucia/lucia-v2.sql, made by the real lucia@2)"
	sqlite3 "$tmp/lucia.sqlite" <"$fixture"
	# shellcheck disable=SC2016 # $tmp is shown, not expanded
	printf '\033[2m$ sqlite3 $tmp/lucia.sqlite "SELECT id, email FROM user"\033[0m\n'
	sqlite3 -readonly "$tmp/lucia.sqlite" 'SELECT id, email FROM user'
	echo "(the fixture holds rows Lucia would not write and two users with the same Unix name: nothing is imported ...)"
	status la import lucia "$tmp/lucia.sqlite"
	echo "(... unless --skip-invalid imports the rest; the same lines again, then:)"
	la import lucia "$tmp/lucia.sqlite" --skip-invalid | grep '^imported'
	printf '%s\n' 'ann-lucia-pw' | la login --user ann --password-stdin | mask
	hashes ann dora
fi

step "Backup and restore: an online copy (mode 0600, it holds the hashes); a deleted user comes back"
la backup "$tmp/backup.db"
stat -c '%A %n' "$tmp/backup.db"
la user del alice
la restore "$tmp/backup.db"
la user list

step "Doctor: check the installation (changes nothing)"
status la doctor
echo "(the warnings are expected: this host's /etc/nsswitch.conf and /etc/pam.d do not use luciaauth, and the demo leaves them alone)"

# ---- web service -------------------------------------------------------
daemon=$build/daemon/luciaauthd
if [ ! -x "$daemon" ] || ! command -v curl >/dev/null; then
	step "luciaauthd: skipped (not built, or no curl)"
else
	step "luciaauthd: the web service on a free loopback port, over the same store"
	cat >"$tmp/luciaauthd.conf" <<CONF
dir = $tmp/state
signup = open
http_listen = 127.0.0.1:0
http_socket =
http_cookie_secure = no
CONF
	"$daemon" --config "$tmp/luciaauthd.conf" 2>"$tmp/luciaauthd.log" &
	dpid=$!
	for _ in $(seq 100); do grep -q serving "$tmp/luciaauthd.log" && break; sleep 0.05; done
	url=$(sed -n 's|.* on \(http://127\.0\.0\.1:[0-9]*\).*|\1|p' "$tmp/luciaauthd.log")
	sed "s|$tmp|\$tmp|g" "$tmp/luciaauthd.log"
	web() { # web PATH [curl args]: show the request and the answer
		local p=$1
		shift
		printf '\033[2m$ curl %s %s\033[0m\n' "$*" "$p" >&2
		curl -s -i "$@" "$url$p" | tr -d '\r' |
			grep -E '^(HTTP|Set-Cookie|X-Auth|\{)' |
			sed -E 's/(auth_session=[a-z0-9]{12})\.[a-z0-9]{32}/\1.<secret>/'
	}
	printf '{"username":"bob","email":"bob@example.org","password":"%s"}' 'correct horse battery' \
		>"$tmp/signup.json"
	step "luciaauthd: sign up bob (JSON API; the page is at $url/login)"
	web /api/signup -X POST -H "Origin: $url" -H 'Content-Type: application/json' \
		--data-binary @"$tmp/signup.json" -c "$tmp/jar"
	step "luciaauthd: GET /auth with the cookie, as nginx auth_request does"
	web /auth -b "$tmp/jar"
	step "luciaauthd: sign out, then /auth refuses the cookie"
	web /api/logout -X POST -H "Origin: $url" -b "$tmp/jar"
	web /auth -b "$tmp/jar"
	kill "$dpid"
	wait "$dpid" || true
fi

step "Done: the temporary store is removed"

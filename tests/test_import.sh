#!/bin/bash
#
# test_import.sh - "luciaauth import shadow" and "luciaauth import lucia"
# end to end (TAP).
#
# Run by "make check" with LUCIAAUTH, abs_top_srcdir and abs_top_builddir
# in the environment; by hand:
#   LUCIAAUTH=$build/tools/luciaauth abs_top_builddir=$build \
#   abs_top_srcdir=$src bash tests/test_import.sh
#
# Fixtures are made here, with this machine's own tools: mkpasswd (Debian
# whois: yescrypt, sha256crypt, bcrypt) and openssl passwd -6 (sha512crypt)
# for the shadow file; the Lucia v2 database with the real lucia@2 through
# tests/fixtures/lucia/make-db.mjs when node and npm are there (its
# package.json installed once into tests/browser-node/lucia-v2 of the build
# tree), else, or with LUCIAAUTH_TEST_LUCIA_DUMP=1, from the checked-in dump
# lucia-v2.sql that the same script made.  The account files of the test store are fake
# (t_fake_accounts): the host's /etc is neither read nor written.
#
# Every imported account then signs in with its old password through the
# CLI (one store) and through pam_luciaauth.so under pam_wrapper with
# pamtester (a second store), and its stored hash is Argon2id afterwards.

# shellcheck disable=SC2317 # helpers are run through t_cmd
# shellcheck disable=SC2016 # '$' in patterns and hashes is literal
set -u
export LC_ALL=C

srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
build=${abs_top_builddir:-$srcdir}
# shellcheck source=tap.sh
. "$srcdir/tests/tap.sh"

: "${LUCIAAUTH:=$build/tools/luciaauth}"
[ -x "$LUCIAAUTH" ] || skip_all "luciaauth not built ($LUCIAAUTH)"
command -v sqlite3 >/dev/null 2>&1 || skip_all "sqlite3 not found"
command -v openssl >/dev/null 2>&1 || skip_all "openssl not found"
command -v mkpasswd >/dev/null 2>&1 || skip_all "mkpasswd not found (package whois)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/luciaauth-import.XXXXXXXX") || bail_out "mktemp failed"
trap 'rm -rf "$tmp"; tap_cleanup' EXIT
chmod 700 "$tmp"
t_fake_accounts "$tmp"

# mkstore NAME: a fresh store $tmp/NAME with its config $tmp/NAME.conf.
mkstore() {
	t_write_config "$tmp/$1.conf" "$tmp/$1" "$tmp"
	"$LUCIAAUTH" --config "$tmp/$1.conf" init >/dev/null || bail_out "init $1 failed"
}
la() { "$LUCIAAUTH" --config "$tmp/$store.conf" "$@"; }
sql() { sqlite3 "$tmp/$store/luciaauth.db" "$@"; }
# tc [-u] WANT DESC [t_cmd options] -- CMD...: t_cmd with the expectations
# after the description, which reads better for long lists.
tc() {
	local -a pre=() opts=()
	while [ "$1" = -u ]; do
		pre+=("$1")
		shift
	done
	local want=$1 desc=$2
	shift 2
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	t_cmd "${pre[@]}" "${opts[@]}" "$want" "$desc" "$@"
}
hash_of() { sql "SELECT hashed_password FROM auth_keys WHERE id = 'password:$1'"; }

# ---- shadow fixtures ----------------------------------------------------
pw_yes=yes-Old-pw1 pw_512=sha512-Old-pw2 pw_256=sha256-Old-pw3 pw_bf=bcrypt-Old-pw4
pw_exp=expired-Old-pw5 pw_grp=group-Old-pw6
h_yes=$(printf '%s' "$pw_yes" | mkpasswd -s -m yescrypt) || bail_out "mkpasswd yescrypt"
h_512=$(printf '%s\n' "$pw_512" | openssl passwd -6 -stdin) || bail_out "openssl passwd -6"
h_256=$(printf '%s' "$pw_256" | mkpasswd -s -m sha256crypt) || bail_out "mkpasswd sha256crypt"
h_bf=$(printf '%s' "$pw_bf" | mkpasswd -s -m bcrypt) || bail_out "mkpasswd bcrypt"
h_exp=$(printf '%s\n' "$pw_exp" | openssl passwd -5 -stdin) || bail_out "openssl passwd -5"
h_grp=$(printf '%s\n' "$pw_grp" | openssl passwd -6 -stdin) || bail_out "openssl passwd -6"

# passwd/shadow/group of a machine with system accounts, users in private
# groups, one in the shared group "users", local groups with members.
mkdir "$tmp/src"
cat >"$tmp/src/passwd" <<EOT
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
yuki:x:20001:20001:Yuki Y,,,:/home/yuki:/bin/bash
sasha:x:20002:20002:Sasha:/home/sasha:/bin/zsh
tom:x:20003:20003::/home/tom:/bin/bash
bea:x:20004:20004::/home/bea:/bin/bash
eve:x:20005:20005::/home/eve:/bin/bash
gus:x:20006:100:Gus:/home/gus:
noah:x:20007:20007::/home/noah:/bin/bash
old:x:30001:30001::/home/old:/bin/bash
EOT
cat >"$tmp/src/shadow" <<EOT
root:*:19000:0:99999:7:::
daemon:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
yuki:$h_yes:19000:0:99999:7:::
sasha:$h_512:19000:0:99999:7:::
tom:$h_256:19000:0:99999:7:::
bea:!$h_bf:19000:0:99999:7:::
eve:$h_exp:19000:0:99999:7::19000:
gus:$h_grp:19000:0:99999:7:::
noah:*:19000:0:99999:7:::
old:$h_512:19000:0:99999:7:::
EOT
cat >"$tmp/src/group" <<EOT
root:x:0:
daemon:x:1:
users:x:100:
nogroup:x:65534:
yuki:x:20001:
sasha:x:20002:
tom:x:20003:
bea:x:20004:
eve:x:20005:
noah:x:20007:
old:x:30001:
devs:x:20100:yuki,sasha,root
audio2:x:20101:gus
sudo:x:27:yuki
wheel:x:10:sasha
EOT
chmod 600 "$tmp/src/shadow"
src=(--passwd "$tmp/src/passwd" --shadow "$tmp/src/shadow" --group "$tmp/src/group")

# ---- shadow import ------------------------------------------------------
store=a
mkstore a
export T_DB=$tmp/a/luciaauth.db

tc -u 0 "shadow: --dry-run reports the accounts and writes nothing" \
	-o '^would import 7 account' -o 'dry run: nothing was saved' \
	-o '^skipped +root: uid 0 is outside' -o '^skipped +old: uid 30001' -E . \
	-- la import shadow "${src[@]}" --uid-max 29999 --dry-run
tc 0 "shadow: import adopts the users in range, skips the system accounts" \
	-o '^imported 7 account\(s\) \(1 locked, 1 without a password' \
	-o '^skipped +daemon:' -o '^note +noah: no usable password' -O '^added' -E . \
	-o "^note +yuki: membership of the local group 'sudo' stays in $tmp/group" \
	-o "^note +sasha: membership of 'wheel' not recorded: gid 10 is a system gid" \
	-O "mirrored.*'(users|sudo|wheel)'" \
	-- la import shadow "${src[@]}" --uid-max 29999
is "$(la user list | awk 'NR > 1 { print $1 }' | tr '\n' ' ')" \
	"yuki sasha tom bea eve gus noah " "shadow: the seven users are in the store"
is "$(sql "SELECT username, uid, gid, gecos, home, shell FROM users WHERE username IN ('yuki','gus')
	ORDER BY uid" | tr '\n' ' ')" \
	"yuki|20001|20001|Yuki Y,,,|/home/yuki|/bin/bash gus|20006|100|Gus|/home/gus|/bin/sh " \
	"shadow: uid, gid, gecos, home and shell kept (empty shell = /bin/sh)"
is "$(hash_of yuki)" "$h_yes" "shadow: the yescrypt hash is stored as it is"
is "$(hash_of bea)" "$h_bf" "shadow: a '!'-locked account keeps the hash after the '!'"
is "$(sql "SELECT locked FROM users WHERE username = 'bea'")" 1 "shadow: '!' is the admin lock"
is "$(sql "SELECT expires FROM users WHERE username = 'eve'")" $((19000 * 86400000)) \
	"shadow: the expiry date is the account's"
is "$(sql "SELECT count(*) FROM auth_keys WHERE id = 'password:noah'")" 0 \
	"shadow: '*' means no password key"
is "$(la group list | awk 'NR > 1 { print $1 ":" $2 ":" $3 ":" $4 }' | tr '\n' ' ')" \
	"yuki:20001:yes:- sasha:20002:yes:- tom:20003:yes:- bea:20004:yes:- eve:20005:yes:- noah:20007:yes:- devs:20100:no:yuki,sasha audio2:20101:no:gus " \
	"shadow: private groups adopted, groups of the source mirrored with the imported members only"
tc -u 0 "shadow: a second run changes nothing and says so" \
	-o '^nothing to do: 7 account\(s\) already imported' -O '^note' \
	-- la import shadow "${src[@]}" --uid-max 29999
tc -u 0 "shadow: --json counts" -o '"unchanged": ?7' -o '"added": ?0' -o '"committed"' \
	-- la --json import shadow "${src[@]}" --uid-max 29999

# Sign-in with the old passwords through the CLI; rehash to Argon2id.
for u in "yuki:$pw_yes" "sasha:$pw_512" "tom:$pw_256" "gus:$pw_grp"; do
	tc 0 "shadow/CLI: ${u%%:*} signs in with the old password (${u%%:*})" \
		-i "${u#*:}" -o '^[a-km-np-z2-9]{12}\.' -- la login --user "${u%%:*}" --password-stdin
	like "$(hash_of "${u%%:*}")" '^\$argon2id\$' "shadow/CLI: ${u%%:*} has an Argon2id hash now"
done
tc 1 "shadow/CLI: a wrong password is refused" -i 'not-the-password' -e 'invalid' \
	-- la login --user tom --password-stdin
tc 1 "shadow/CLI: the locked account is refused" -i "$pw_bf" -e 'locked' \
	-- la login --user bea --password-stdin
tc 1 "shadow/CLI: the expired account is refused" -i "$pw_exp" -e 'expired' \
	-- la login --user eve --password-stdin
la user unlock bea >/dev/null 2>&1
tc 0 "shadow/CLI: unlocked, bea signs in with her old bcrypt password" -i "$pw_bf" \
	-- la login --user bea --password-stdin
like "$(hash_of bea)" '^\$argon2id\$' "shadow/CLI: bea has an Argon2id hash now"
tc -u 0 "shadow: after the rehash a new run still changes nothing" -o '^nothing to do' \
	-- la import shadow "${src[@]}" --uid-max 29999

# ---- the same accounts through the PAM module ---------------------------
pam_so=$build/pam_module/.libs/pam_luciaauth.so
pam_missing=
t_pamtester "$pam_so" || pam_missing=$T_WHY
# pt SERVICE-CONF USER PASSWORD: authenticate + acct_mgmt with pamtester.
pt() {
	local rc=0
	printf '%s\n' "$3" | ASAN_OPTIONS="$T_PAM_ASAN" LD_PRELOAD="$T_PAM_PRELOAD" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$tmp/pam.d" pamtester "$1" "$2" authenticate acct_mgmt \
		>/dev/null 2>&1 || rc=$?
	return "$rc"
}
pam_users=("yuki:$pw_yes" "sasha:$pw_512" "tom:$pw_256" "gus:$pw_grp")
store=b
mkstore b
T_DB=$tmp/b/luciaauth.db
if [ -n "$pam_missing" ]; then
	for u in "${pam_users[@]}" x x; do
		skip "shadow/PAM: $pam_missing"
	done
else
	mkdir "$tmp/pam.d"
	for s in a b l; do
		printf 'auth required %s config=%s nodelay\naccount required %s config=%s\n' \
			"$pam_so" "$tmp/$s.conf" "$pam_so" "$tmp/$s.conf" >"$tmp/pam.d/la-$s"
	done
	la import shadow "${src[@]}" --uid-max 29999 >/dev/null || bail_out "import into b failed"
	for u in "${pam_users[@]}"; do
		if pt la-b "${u%%:*}" "${u#*:}" && [[ $(hash_of "${u%%:*}") == '$argon2id$'* ]]; then
			ok "shadow/PAM: ${u%%:*} signs in with the old password; Argon2id afterwards"
		else
			not_ok "shadow/PAM: ${u%%:*} signs in with the old password; Argon2id afterwards"
		fi
	done
	if pt la-b tom wrong-password; then not_ok "shadow/PAM: a wrong password is refused"
	else ok "shadow/PAM: a wrong password is refused"; fi
	if pt la-b bea "$pw_bf"; then not_ok "shadow/PAM: the locked account is refused"
	else ok "shadow/PAM: the locked account is refused"; fi
fi

# ---- shadow: bad input, nothing half-imported ---------------------------
store=c
mkstore c
T_DB=$tmp/c/luciaauth.db
bad() { # bad NAME: copies of the source files to spoil
	mkdir -p "$tmp/$1"
	cp "$tmp/src/passwd" "$tmp/src/shadow" "$tmp/src/group" "$tmp/$1/"
	badsrc=(--passwd "$tmp/$1/passwd" --shadow "$tmp/$1/shadow" --group "$tmp/$1/group")
}
bad trunc
echo 'ida:x:20010' >>"$tmp/trunc/passwd"
tc -u 1 "shadow: a truncated passwd line imports nothing" \
	-o '^rejected +passwd line 12: ' -e 'rejected: nothing imported' \
	-- la import shadow "${badsrc[@]}" --uid-max 29999
tc 0 "shadow: --skip-invalid imports the rest and reports the line" \
	-o '^rejected +passwd line 12' -o '^imported 7 account' \
	-- la import shadow "${badsrc[@]}" --uid-max 29999 --skip-invalid
mkstore c2
store=c2 T_DB=$tmp/c2/luciaauth.db
bad garbled
sed -i 's/^tom:\$5\$[^:]*:/tom:$5$rounds=x$garbage$:/' "$tmp/garbled/shadow"
printf 'ida:x:20010:20010::/home/ida:/bin/bash\nida:x:20011:20011::/home/ida2:/bin/bash\n' \
	>>"$tmp/garbled/passwd"
printf 'ivy:x:20001:20001::/home/ivy:/bin/bash\n' >>"$tmp/garbled/passwd"
printf 'sasha:%s:19000:0:99999:7:::\n' "$h_512" >>"$tmp/garbled/shadow"
printf 'zed:x:20020:20020::/home/zed:/bin/bash\n' >>"$tmp/garbled/passwd"
printf 'zed:$6$short\n' >>"$tmp/garbled/shadow"
tc -u 1 "shadow: garbled hash, duplicate names and uids, a short shadow line: nothing imported" \
	-o '^rejected +tom: shadow line [0-9]+: garbled password hash' \
	-o '^rejected +ida: duplicate' -o '^rejected +ivy: duplicate' \
	-o '^rejected +sasha: duplicate entry in the shadow file' -o '^rejected +shadow line 13: too few fields' \
	-e 'nothing imported' -- la import shadow "${badsrc[@]}" --uid-max 29999
is "$(sql 'SELECT count(*) FROM users')" 0 "shadow: the store is still empty"
tc -u 0 "shadow: --uid-min/--uid-max leave the accounts outside the range" \
	-o '^would import 2 account' -o '^skipped +yuki: uid 20001 is outside 20002..20003' \
	-- la import shadow "${src[@]}" --uid-min 20002 --uid-max 20003 --dry-run
tc -u 3 "shadow: a missing shadow file" -e 'nope' \
	-- la import shadow "${src[@]:0:2}" --shadow "$tmp/nope" --group "$tmp/src/group"
tc -u 2 "shadow: --uid-min above --uid-max is a usage error" \
	-- la import shadow "${src[@]}" --uid-min 30000 --uid-max 20000
tc -u 2 "shadow: an unknown option is a usage error" -- la import shadow --frobnicate

# A local account in the store's own passwd_file with the same name and uid
# is the one being adopted; with another uid it is a conflict.
store=d
mkstore d
T_DB=$tmp/d/luciaauth.db
printf 'yuki:x:20001:20001::/home/yuki:/bin/bash\nsasha:x:29999:29999::/h:/bin/sh\n' >>"$tmp/passwd"
tc 0 "shadow: the local account being adopted is no conflict, another uid is" \
	-o '^skipped +sasha: .sasha. is a local account with uid 29999' \
	-- la import shadow "${src[@]}" --uid-max 29999
is "$(sql "SELECT uid FROM users WHERE username = 'yuki'")" 20001 "shadow: yuki adopted"
t_fake_accounts "$tmp"

# ---- progress bar on a terminal -----------------------------------------
if command -v script >/dev/null 2>&1; then
	store=e
	mkstore e
	out=$(script -qec "$LUCIAAUTH --config $tmp/e.conf import shadow --passwd $tmp/src/passwd --shadow $tmp/src/shadow --group $tmp/src/group --uid-max 29999 --dry-run" /dev/null 2>&1)
	like "$out" '\] 11/11 accounts, [0-9]+/s' "progress: a bar with counts and rate on a terminal"
	store=a
	t_run -- la import shadow "${src[@]}" --uid-max 29999
	is "$T_ERR" "" "progress: nothing on stderr when it is not a terminal"
else
	skip "progress: script(1) not found"
	skip "progress: script(1) not found"
fi

# ---- Lucia v2 ----------------------------------------------------------
ldb=$tmp/lucia.sqlite
fix=$srcdir/tests/fixtures/lucia
# lucia_node: make $ldb with the real lucia@2 (make-db.mjs), its npm packages
# installed once per build tree (the npm registry is needed the first time;
# better-sqlite3 may be compiled then, which takes a minute or two).  The
# folder is next to playwright-core's, which "make clean" removes.  Sets
# lucia_why when it cannot.
lucia_why=
lucia_node() {
	local nodedir=$build/tests/browser-node/lucia-v2
	if [ -n "${LUCIAAUTH_TEST_LUCIA_DUMP:-}" ]; then
		lucia_why="LUCIAAUTH_TEST_LUCIA_DUMP is set"
	elif ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		lucia_why="node or npm not found"
	else
		mkdir -p "$nodedir" || { lucia_why="cannot create $nodedir"; return 1; }
		cp "$fix/package.json" "$fix/make-db.mjs" "$nodedir/" ||
			{ lucia_why="cannot copy the fixture's package.json"; return 1; }
		if [ ! -f "$nodedir/node_modules/lucia/package.json" ] ||
			[ ! -f "$nodedir/node_modules/better-sqlite3/package.json" ]; then
			# --legacy-peer-deps: @lucia-auth/adapter-sqlite 2 names
			# better-sqlite3 8-9 as its peer (bench/run-lucia.sh does the same).
			if ! (cd "$nodedir" && timeout 900 npm install --no-audit --no-fund \
				--legacy-peer-deps --fetch-retries=1 --loglevel=error) \
				>"$nodedir/npm.log" 2>&1; then
				rm -rf --one-file-system "$nodedir/node_modules"
				lucia_why="npm install failed (no network?): $(grep -m1 -E \
					'(error|ERR!) code' "$nodedir/npm.log" || tail -n1 "$nodedir/npm.log"); see $nodedir/npm.log"
				return 1
			fi
		fi
		node "$nodedir/make-db.mjs" "$ldb" 2>"$tmp/node.err" && return 0
		lucia_why="make-db.mjs failed: $(tail -n1 "$tmp/node.err")"
	fi
	return 1
}
if lucia_node; then
	diag "Lucia v2 database made now by the real lucia@2 (make-db.mjs, packages in $build/tests/browser-node/lucia-v2)"
else
	rm -f "$ldb"
	sqlite3 "$ldb" <"$fix/lucia-v2.sql" || bail_out "cannot load lucia-v2.sql"
	diag "Lucia v2 database from the checked-in lucia-v2.sql: $lucia_why"
fi
chmod 400 "$ldb"
ldb_sum=$(sha256sum <"$ldb")
store=l
mkstore l
T_DB=$tmp/l/luciaauth.db
tc -u 1 "lucia: malformed rows and a name collision are reported, nothing imported" \
	-o '^rejected +user row 7: user id is not a Lucia id' \
	-o "^rejected +bob_smith: .*'bob_smith' would be shared by 2 users; not merged" \
	-e 'nothing imported' -- la import lucia "$ldb"
tc 0 "lucia: --skip-invalid imports the other users; sessions are not imported" \
	-o '^imported 4 account\(s\) \(0 locked, 1 without a password, 2 other keys\)' \
	-o '^note +4 session\(s\) of user_session not imported' \
	-- la import lucia "$ldb" --skip-invalid
is "$(sha256sum <"$ldb")" "$ldb_sum" "lucia: the Lucia database is not written"
is "$(la user list | awk 'NR > 1 { print $1 "," $4 }' | tr '\n' ' ')" \
	"ann,ann@example.com carl,carl@example.net dora,dora@example.com u9lives,9lives@example.com " \
	"lucia: user names from the e-mail addresses (u in front of a digit)"
lid=$(sqlite3 "$ldb" "SELECT id FROM user WHERE email = 'ann@example.com'")
is "$(sql "SELECT id FROM users WHERE username = 'ann'")" "$lid" "lucia: the Lucia user id is kept"
is "$(sql "SELECT user_id IS NOT NULL AND hashed_password IS NULL FROM auth_keys
	WHERE id = 'github:1001'")" 1 "lucia: the OAuth key github:1001 survives, without password"
is "$(sql "SELECT count(*) FROM auth_keys WHERE id = 'github:777'")" 1 \
	"lucia: the OAuth-only user keeps github:777"
like "$(hash_of ann)" '^s2:' "lucia: the s2: scrypt hash is stored as it is"
tc -u 0 "lucia: a second run changes nothing" -o '4 unchanged' -O '^added' \
	-- la import lucia "$ldb" --skip-invalid
tc 0 "lucia/CLI: ann signs in with her Lucia password (s2:)" -i 'ann-lucia-pw' \
	-- la login --user ann --password-stdin
like "$(hash_of ann)" '^\$argon2id\$' "lucia/CLI: ann has an Argon2id hash now"
tc 0 "lucia/CLI: dora signs in with her Lucia v1 password (legacy scrypt)" \
	-i 'dora-v1-pw' -- la login --user dora --password-stdin
like "$(hash_of dora)" '^\$argon2id\$' "lucia/CLI: dora has an Argon2id hash now"
tc 1 "lucia/CLI: a wrong password is refused" -i 'not-cat-pw' \
	-- la login --user u9lives --password-stdin
if [ -n "$pam_missing" ]; then
	skip "lucia/PAM: $pam_missing"
	skip "lucia/PAM: $pam_missing"
else
	if pt la-l u9lives cat-lucia-pw && [[ $(hash_of u9lives) == '$argon2id$'* ]]; then
		ok "lucia/PAM: u9lives signs in with the Lucia password; Argon2id afterwards"
	else
		not_ok "lucia/PAM: u9lives signs in with the Lucia password; Argon2id afterwards"
	fi
	if pt la-l carl anything; then not_ok "lucia/PAM: the OAuth-only user has no password"
	else ok "lucia/PAM: the OAuth-only user has no password"; fi
fi

# Lucia: bad databases.
store=m
mkstore m
T_DB=$tmp/m/luciaauth.db
cp "$ldb" "$tmp/extra.sqlite"
chmod 600 "$tmp/extra.sqlite"
sqlite3 "$tmp/extra.sqlite" 'ALTER TABLE user ADD COLUMN is_admin INTEGER'
tc -u 1 "lucia: an unexpected column imports nothing and names it" \
	-e 'unexpected column user.is_admin' -- la import lucia "$tmp/extra.sqlite" --skip-invalid
cp "$ldb" "$tmp/nokey.sqlite"
chmod 600 "$tmp/nokey.sqlite"
sqlite3 "$tmp/nokey.sqlite" 'DROP TABLE user_key'
tc -u 1 "lucia: a missing key table imports nothing" -e 'no table user_key' \
	-- la import lucia "$tmp/nokey.sqlite"
cp "$ldb" "$tmp/badhash.sqlite"
chmod 600 "$tmp/badhash.sqlite"
sqlite3 "$tmp/badhash.sqlite" "UPDATE user_key SET hashed_password = 's2:x' WHERE id = 'email:ann@example.com'"
tc 0 "lucia: a garbled hash rejects its user, not the others" \
	-o '^rejected +ann: ' -o '^imported 3 account' -- la import lucia "$tmp/badhash.sqlite" --skip-invalid
is "$(sql "SELECT count(*) FROM users WHERE username = 'ann'")" 0 "lucia: ann was not imported"
tc -u 1 "lucia: --username-from username needs a username column" \
	-e 'no column user.username to take user names from' \
	-- la import lucia "$ldb" --username-from username
cp "$ldb" "$tmp/renamed.sqlite"
chmod 600 "$tmp/renamed.sqlite"
sqlite3 "$tmp/renamed.sqlite" 'ALTER TABLE user RENAME TO auth_user;
	ALTER TABLE user_key RENAME TO auth_key; DROP TABLE user_session'
tc -u 1 "lucia: the default table names are not there" -e 'no table user' \
	-- la import lucia "$tmp/renamed.sqlite"
store=n
mkstore n
T_DB=$tmp/n/luciaauth.db
tc 0 "lucia: --tables names them (no session table)" -o '^would import 4 account' \
	-- la import lucia "$tmp/renamed.sqlite" --tables auth_user,auth_key --skip-invalid --dry-run
printf 'not a database at all, just text\n' >"$tmp/junk.sqlite"
tc -u 1 "lucia: a file that is not SQLite" -e 'not a readable SQLite database' \
	-- la import lucia "$tmp/junk.sqlite"
tc -u 3 "lucia: a missing file" -- la import lucia "$tmp/none.sqlite"
tc -u 2 "lucia: a bad table name" -- la import lucia "$ldb" --tables 'user;drop,k'
tc -u 2 "lucia: --username-from takes email or username" \
	-- la import lucia "$ldb" --username-from phone

done_testing

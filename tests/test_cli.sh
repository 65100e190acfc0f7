#!/bin/bash
#
# test_cli.sh - end-to-end tests of the luciaauth command-line tool (TAP).
#
# Run by "make check" with LUCIAAUTH (the built CLI), abs_top_srcdir and
# abs_top_builddir in the environment; by hand:
#   LUCIAAUTH=$build/tools/luciaauth abs_top_srcdir=$src bash tests/test_cli.sh
#
# Every command runs against a private store in a temporary directory with
# fake passwd/group files, so the host's accounts and /var/lib never matter.
# Passwords and tokens are always fed on standard input, never in argv.
#
# What a test point checks (see tests/tap.sh, t_cmd): the exact exit status
# (SPEC 5: 0 ok, 1 auth failed, 2 usage, 3 not found, 4 exists, 5 store,
# 6 policy), a "luciaauth: ..." message on stderr for every failure, the
# message's gist, that a secret fed on stdin is never echoed, and for every
# refused write (-u) that the database is unchanged (integrity_check "ok",
# same row counts, same dump).

# shellcheck disable=SC2317 # helpers such as la() are run through t_cmd
set -u
export LC_ALL=C

srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tap.sh
. "$srcdir/tests/tap.sh"

t_need_luciaauth
command -v sqlite3 >/dev/null 2>&1 || skip_all "sqlite3 not found (needed for integrity checks)"
have_python=0
command -v python3 >/dev/null 2>&1 && have_python=1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/luciaauth-cli.XXXXXXXX") || bail_out "mktemp failed"
trap 'rm -rf "$tmp"; tap_cleanup' EXIT
chmod 700 "$tmp"

state=$tmp/state
db=$state/luciaauth.db
export T_DB=$db
cfg=$tmp/luciaauth.conf
cfg_open=$tmp/open.conf

t_fake_accounts "$tmp"

# write_config FILE [extra "key = value" lines...]
write_config() { t_write_config "$1" "$state" "$tmp" "${@:2}"; }
write_config "$cfg"
write_config "$cfg_open" "signup = open"

la() { "$LUCIAAUTH" --config "$cfg" "$@"; }
la_open() { "$LUCIAAUTH" --config "$cfg_open" "$@"; }
sql() { sqlite3 "$db" "$@"; }

# Token: <12 chars base32>.<32 chars base32>, alphabet without l, o, 0, 1.
TOKEN_RE='^[a-km-np-z2-9]{12}\.[a-km-np-z2-9]{32}$'
# Row key of a public session id: 12 base32 letters are the session's
# INTEGER PRIMARY KEY (storage/la_session.c).
sid_key() {
	local alpha=abcdefghijkmnpqrstuvwxyz23456789 id=$1 v=0 i rest
	for ((i = 0; i < ${#id}; i++)); do
		rest=${alpha%%"${id:i:1}"*}
		v=$(((v << 5) | ${#rest}))
	done
	echo "$v"
}

# jget EXPR: evaluate the Python expression EXPR on d = JSON of $T_OUT.
jget() {
	printf '%s' "$T_OUT" | python3 -c '
import json, sys
try:
    d = json.loads(sys.stdin.read())
except Exception as e:
    print("invalid JSON: %s" % e)
    sys.exit(0)
try:
    v = eval(sys.argv[1], {"d": d, "len": len, "sorted": sorted})
except Exception as e:
    print("error: %r" % (e,))
    sys.exit(0)
print(v if isinstance(v, str) else json.dumps(v))' "$1"
}

# t_json DESC EXPR WANT: one test point on the JSON output of the last run.
t_json() {
	if [ "$have_python" = 0 ]; then
		skip "python3 not found" "$1"
		return
	fi
	is "$(jget "$2")" "$3" "$1"
}

# Run a command whose stdout we need (T_OUT) without making a test point.
# Stops the test when it fails: later points depend on it.
must() {
	t_run "$@"
	if [ "$T_RC" != 0 ]; then
		diag "setup command failed ($T_RC): ${*}" "stderr: $T_ERR"
		bail_out "setup step failed"
	fi
}

unset LUCIAAUTH_SESSION
pw_alice='correct horse 1'
pw_bob='bob-secret-99'

# =====================================================================
diag "store: init, modes, refusals"
# =====================================================================

t_cmd -e "luciaauth init" 5 "command on a missing store: 5, tells to run 'luciaauth init'" \
	-- la user list
check "a command on a missing store creates nothing" test ! -e "$state"

mkdir -m 700 "$state"
t_cmd -e "luciaauth init" 5 "state dir without a database: 5, tells to run 'luciaauth init'" \
	-- la user list
rmdir "$state"

t_cmd -o "$state" 0 "init creates the store" -- la init
is "$(stat -c %a "$state" 2>&1)" 711 "state directory has mode 0711 (traversable, not listable)"
is "$(stat -c %a "$state/nss.snapshot" 2>&1)" 644 "init publishes the NSS snapshot with mode 0644"
is "$(stat -c %a "$db" 2>&1)" 600 "master database has mode 0600"
is "$(sql 'PRAGMA integrity_check' 2>&1)" ok "fresh database passes integrity_check"
check "schema has users, auth_keys, sessions and groups tables" \
	test "$(sql "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN
		('users', 'auth_keys', 'sessions', 'groups')")" = 4
t_cmd -u 0 "init a second time is harmless" -- la init
is "$(stat -c %a "$db")" 600 "database still 0600 after the second init"
t_cmd 0 "user list on an empty store" -- la user list

chmod 666 "$db"
t_cmd -e 'mode|writable' 5 "master database mode 0666 refused (5) with a message about the mode" \
	-- la user list
chmod 644 "$db"
t_cmd -e 'mode|readable' 5 "master database mode 0644 refused (5): password hashes readable" \
	-- la user list
chmod 600 "$db"
chmod 777 "$state"
t_cmd -e 'mode|writable' 5 "state directory mode 0777 refused (5)" -- la user list
chmod 700 "$state"
mv "$db" "$db.real"
ln -s luciaauth.db.real "$db"
t_cmd -e 'symbolic link|symlink|link' 5 "master database that is a symlink refused (5)" \
	-- la user list
rm -f "$db"
mv "$db.real" "$db"
if [ "$(id -u)" = 0 ]; then
	chown 65534 "$db"
	t_cmd -e 'owned|owner' 5 "master database owned by another user refused (5)" -- la user list
	chown 0 "$db"
else
	skip "not root" "master database owned by another user refused (5)"
fi
t_cmd -u 0 "store usable again after the modes are repaired" -- la user list

other=$tmp/other
mkdir -m 700 "$other"
sqlite3 "$other/luciaauth.db" 'CREATE TABLE t (x); INSERT INTO t VALUES (1);'
chmod 600 "$other/luciaauth.db"
sum_before=$(sha256sum <"$other/luciaauth.db")
t_cmd -e 'not a luciaauth database' 5 "--dir with a foreign SQLite database: 5" \
	-- la --dir "$other" user list
if [ "$(sha256sum <"$other/luciaauth.db")" = "$sum_before" ]; then
	ok "foreign database left untouched"
else
	not_ok "foreign database left untouched"
	diag "the refused file was modified; its journal_mode is now" \
		"$(sqlite3 "$other/luciaauth.db" 'PRAGMA journal_mode' 2>&1) (was delete)"
fi
rm -f "$other/luciaauth.db"
head -c 8192 /dev/urandom >"$other/luciaauth.db"
chmod 600 "$other/luciaauth.db"
t_cmd 5 "--dir with a garbage (corrupt) database file: 5" -- la --dir "$other" user list
t_cmd 2 "--dir with a relative path: 2" -- la --dir relative/dir user list
rm -f "$other/luciaauth.db"
sqlite3 "$db" ".backup '$other/luciaauth.db'"
sqlite3 "$other/luciaauth.db" "PRAGMA journal_mode = DELETE; INSERT INTO schema_version VALUES (999, 0);" >/dev/null
chmod 600 "$other/luciaauth.db"
t_cmd -e 'newer' 5 "database with a newer schema version: 5" -- la --dir "$other" user list

write_config "$tmp/bad.conf" "no_such_key = 1"
t_run -- "$LUCIAAUTH" --config "$tmp/bad.conf" user list
if [ "$T_RC" != 0 ] && printf '%s' "$T_ERR" | grep -q "bad.conf:[0-9]"; then
	ok "config file with an unknown key refused, message names file:line"
else
	not_ok "config file with an unknown key refused, message names file:line"
	diag "exit $T_RC, stderr: $T_ERR"
fi
t_run -- "$LUCIAAUTH" --config "$tmp/missing.conf" user list
if [ "$T_RC" != 0 ] && printf '%s' "$T_ERR" | grep -q "missing.conf"; then
	ok "--config naming a missing file refused, message names it"
else
	not_ok "--config naming a missing file refused, message names it"
	diag "exit $T_RC, stderr: $T_ERR"
fi

# =====================================================================
diag "help and usage errors"
# =====================================================================

t_cmd -o '^Usage: luciaauth' -o 'user add' -o 'session validate' 0 "luciaauth --help" \
	-- "$LUCIAAUTH" --help
help_top=$T_OUT
t_cmd -o 'luciaauth' 0 "luciaauth --version" -- "$LUCIAAUTH" --version
# Every command of the synopsis in --help has its own --help.
commands=$(printf '%s\n' "$help_top" |
	awk '$1 == "luciaauth" { w = ""; for (i = 2; i <= NF && $i ~ /^[a-z][a-z-]*$/; i++)
		w = w (w == "" ? "" : " ") $i; if (w != "") print w }')
like "$(printf '%s\n' "$commands" | wc -l)" '^[2-9][0-9]$' "--help lists the commands (found $(printf '%s\n' "$commands" | wc -l))"
help_all=
while IFS= read -r sub; do
	# shellcheck disable=SC2086 # word splitting of $sub is intended
	t_cmd -o '^Usage: luciaauth' 0 "luciaauth $sub --help" -- la $sub --help
	help_all+=$T_OUT$'\n'
done <<<"$commands"
for sub in user group key session; do
	t_cmd -o 'Usage' -o "luciaauth $sub [a-z]" 0 "luciaauth $sub --help lists its subcommands" \
		-- la "$sub" --help
done
man_page=$srcdir/man/luciaauth.8
if [ -f "$man_page" ] && grep -q '^\.SH' "$man_page"; then
	missing=
	man_text=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$man_page")
	while IFS= read -r sub; do
		printf '%s' "$man_text" | grep -Fq -- "$sub" || missing+="'$sub' "
	done <<<"$commands"
	is "$missing" "" "luciaauth(8) describes every command of --help"
	like "$(sed -n '/^\.SH EXIT STATUS/,/^\.SH [^E]/p' "$man_page" | grep -A1 '^\.TP' |
		grep -Eo '^\.B [0-6]$' | tr -d '.B \n')" '^0123456$' "luciaauth(8) documents exit statuses 0 to 6"
else
	skip "man/luciaauth.8 not written yet" "luciaauth(8) describes every command of --help"
	skip "man/luciaauth.8 not written yet" "luciaauth(8) documents exit statuses 0 to 6"
fi
t_cmd -e 'unknown command' 2 "unknown command: 2" -- la frobnicate
t_cmd -e 'unknown command' 2 "unknown subcommand: 2" -- la user frobnicate
t_cmd -e 'invalid option' 2 "unknown option of a subcommand: 2" -- la user list --bogus
t_cmd -e 'invalid option' 2 "unknown global option: 2" -- "$LUCIAAUTH" --bogus user list
t_cmd 2 "no command at all: 2" -- la
t_cmd 2 "missing argument (user show): 2" -- la user show
t_cmd 2 "extra argument (user list x): 2" -- la user list extra
t_cmd 2 "--config without its value: 2" -- "$LUCIAAUTH" --config
t_cmd -E 'hunter22' 2 "--password=VALUE is not an option (2) and its value is not echoed" \
	-- la login --user alice --password=hunter22
t_cmd -E 'hunter22' 2 "--password VALUE is not an option (2) and its value is not echoed" \
	-- la login --user alice --password hunter22

# =====================================================================
diag "users: happy paths"
# =====================================================================

t_cmd -i "$pw_alice" -o 'alice' -o '10000' 0 "user add alice --email --password-stdin" \
	-- la user add alice --email Alice@Example.com --password-stdin
t_cmd 0 "user show alice --json" -- la user show alice --json
t_json "alice: uid, gid, home, shell, email" \
	"[d['uid'], d['gid'], d['home'], d['shell'], d['email']]" \
	'[10000, 10000, "/home/alice", "/bin/bash", "Alice@Example.com"]'
t_json "alice: has a password, not locked, no failures" \
	"[d['has_password'], d['locked'], d['failures']]" '[true, false, 0]'
t_json "alice: keys" "d['keys']" '["password:alice"]'
alice_id=$(jget "d['id']" 2>/dev/null)
like "$alice_id" '^[a-z0-9]{15}$' "alice has a 15-char Lucia user id"
# shellcheck disable=SC2016 # a literal $
like "$(sql "SELECT hashed_password FROM auth_keys WHERE id = 'password:alice'")" \
	'^\$argon2id\$v=19\$m=64,t=1,p=1\$' "password stored as an Argon2id hash (configured cost)"
t_cmd -o '^username: +alice' -o 'home: +/home/alice' 0 "user show alice (human)" \
	-- la user show alice

t_cmd -i "$pw_bob" 0 "user add bob --json" -- la user add bob --password-stdin --json
t_json "bob: uid 10001, gid 10001 (next id)" "[d['user']['uid'], d['user']['gid']]" \
	'[10001, 10001]'
t_cmd 0 "group show bob: user private group" -- la group show bob --json
t_json "bob's private group has gid 10001" "[d['gid'], d['user_private']]" '[10001, true]'
t_cmd -o '^deleted' 0 "user del bob" -- la user del bob
t_cmd -e 'no such user' 3 "user show of a deleted user: 3" -- la user show bob
t_cmd -u 3 "user del of a missing user: 3" -- la user del bob
t_cmd 3 "deleting a user deletes its private group" -- la group show bob
t_cmd 0 "user add dave --no-password --json" -- la user add dave --no-password --json
t_json "dave gets uid 10002: bob's deleted uid 10001 is not reused" "d['user']['uid']" 10002
t_cmd 0 "user add carol with --uid --home --shell --gecos" \
	-- la user add carol --uid 10100 --home /srv/carol --shell /bin/sh --gecos "Carol C" \
	--no-password
t_cmd 0 "user show carol --json" -- la user show carol --json
t_json "carol: uid, gid, home, shell, gecos, no password" \
	"[d['uid'], d['gid'], d['home'], d['shell'], d['gecos'], d['has_password']]" \
	'[10100, 10100, "/srv/carol", "/bin/sh", "Carol C", false]'
t_cmd 0 "user add erin --json" -- la user add erin --no-password --json
t_json "erin gets a fresh uid in range (not 10000-10002, 10100)" \
	"10003 <= d['user']['uid'] <= 59999 and d['user']['uid'] != 10100" true

t_cmd -o 'alice' -o 'carol' -o 'dave' -o 'erin' -O 'bob' 0 "user list" -- la user list
t_cmd 0 "user list --json" -- la user list --json
t_json "user list --json: the four users, ordered by uid" \
	"[sorted(u['username'] for u in d['users']), [u['uid'] for u in d['users']] == sorted(u['uid'] for u in d['users'])]" \
	'[["alice", "carol", "dave", "erin"], true]'

t_cmd 0 "user mod dave --shell --home --email --gecos" \
	-- la user mod dave --shell /bin/zsh --home /home/david --email dave@example.org \
	--gecos "Dave D"
t_cmd 0 "user show dave --json" -- la user show dave --json
t_json "dave modified: shell, home, email, gecos" \
	"[d['shell'], d['home'], d['email'], d['gecos']]" \
	'["/bin/zsh", "/home/david", "dave@example.org", "Dave D"]'
t_cmd 0 "user mod dave --no-email" -- la user mod dave --no-email
t_run -- la user show dave --json
t_json "dave has no email any more" "d['email']" null
t_cmd -u 2 "user mod without any change: 2" -- la user mod dave
t_cmd -u 3 "user mod of a missing user: 3" -- la user mod nosuchuser --shell /bin/sh

t_cmd 0 "user lock dave" -- la user lock dave
t_run -- la user show dave --json
t_json "dave is locked" "d['locked']" true
t_cmd 0 "user unlock dave" -- la user unlock dave
t_run -- la user show dave --json
t_json "dave is unlocked" "d['locked']" false
t_cmd -u 3 "user lock of a missing user: 3" -- la user lock nosuchuser
t_cmd 0 "user expire dave --at 2000-01-01" -- la user expire dave --at 2000-01-01
t_run -- la user show dave --json
t_json "dave expires 2000-01-01 (ms) and is expired" "[d['expires'], d['expired']]" \
	'[946684800000, true]'
t_cmd 0 "user expire dave --at never" -- la user expire dave --at never
t_run -- la user show dave --json
t_json "dave never expires" "[d['expires'], d['expired']]" '[null, false]'
t_cmd -u 2 "user expire with an impossible date (2024-02-31): 2" \
	-- la user expire dave --at 2024-02-31
t_cmd -u 2 "user expire with a non-date: 2" -- la user expire dave --at yesterday
t_cmd -u 2 "user expire without --at: 2" -- la user expire dave
t_cmd -u 3 "user expire of a missing user: 3" -- la user expire nosuchuser --at never
t_cmd -u -o '"code": *"no_user"' 3 "errors with --json: a JSON object with the code" \
	-- la user show nosuchuser --json

# =====================================================================
diag "users: bad input is refused and changes nothing"
# =====================================================================

name32=abcdefghijklmnopqrstuvwxyz012345
name33=${name32}6
t_cmd 0 "user name of 32 characters accepted" -- la user add "$name32" --no-password
t_cmd -u -e 'invalid user name' 2 "user name of 33 characters: 2" -- la user add "$name33" --no-password
t_cmd -u -e 'invalid user name' 2 "upper-case user name: 2" -- la user add Frank --no-password
t_cmd -u -e 'invalid user name' 2 "user name with a leading digit: 2" -- la user add 1frank --no-password
t_cmd -u -e 'invalid user name' 2 "user name 'a:b': 2" -- la user add a:b --no-password
t_cmd -u -e 'invalid user name' 2 "user name 'a b': 2" -- la user add "a b" --no-password
t_cmd -u -e 'invalid user name' 2 "empty user name: 2" -- la user add "" --no-password
t_cmd -u -e 'invalid user name' 2 "user name of invalid UTF-8 (0xff): 2" \
	-- la user add $'\xff' --no-password
t_cmd -u -e 'invalid user name' 2 "user name with a UTF-8 letter: 2" -- la user add "jos"$'\xc3\xa9' --no-password
t_cmd -u -e 'invalid user name' 2 "user name with an embedded newline: 2" \
	-- la user add $'frank\nroot' --no-password
t_cmd -u -e 'invalid user name' 2 "user name with a tab: 2" -- la user add $'frank\t' --no-password
t_cmd -u -e 'invalid user name' 2 "user name with SQL metacharacters (DROP TABLE): 2" \
	-- la user add "x'; DROP TABLE users;--" --no-password
t_cmd -u -e 'invalid user name' 2 "user name with SQL metacharacters (robert'); --): 2" \
	-- la user add "robert'); --" --no-password
t_cmd -u -e 'invalid user name' 2 "user name with a path (../x): 2" -- la user add ../x --no-password
t_cmd -u -e 'invalid user name' 2 "user name starting with '-' after --: 2" \
	-- la user add --no-password -- -frank
t_cmd -u -e 'system|exists' 4 "name of a local account (localuser): 4" \
	-- la user add localuser --no-password
t_cmd -u -e 'system|exists' 4 "name of a local account (root): 4" -- la user add root --no-password
t_cmd -u -e 'system|exists' 4 "name of a local group (sudo): 4" -- la user add sudo --no-password
t_cmd -u -e 'exists' 4 "duplicate user name: 4" -- la user add alice --no-password
t_cmd -u -i "another-password-1" -e 'exists' 4 "duplicate user name with a password: 4" \
	-- la user add alice --password-stdin
t_cmd -u -e 'invalid uid' 2 "--uid abc: 2" -- la user add frank --uid abc --no-password
t_cmd -u -e 'invalid uid' 2 "--uid -5: 2" -- la user add frank --uid -5 --no-password
t_cmd -u -e 'invalid uid' 2 "--uid 99999999999 (overflow): 2" \
	-- la user add frank --uid 99999999999 --no-password
t_cmd -u 2 "--uid ' 10200' (leading space): 2" -- la user add frank --uid " 10200" --no-password
t_cmd -u 2 "--uid 0: 2" -- la user add frank --uid 0 --no-password
t_cmd -u -e 'outside|range' 2 "--uid 5 (outside uid_min..uid_max): 2" \
	-- la user add frank --uid 5 --no-password
t_cmd -u -e 'outside|range' 2 "--uid 60000 (above uid_max): 2" \
	-- la user add frank --uid 60000 --no-password
t_cmd -u -e 'in use|exists' 4 "--uid of another store user: 4" \
	-- la user add frank --uid 10000 --no-password
t_cmd -u -e 'in use|exists' 4 "--uid of a local account (10500): 4" \
	-- la user add frank --uid 10500 --no-password
t_cmd -u -e 'email' 2 "--email without '@': 2" -- la user add frank --email frank.example.com --no-password
t_cmd -u -e 'email' 2 "--email with a newline: 2" \
	-- la user add frank --email $'frank@example.com\nx' --no-password
t_cmd -u -e 'email|exists' 4 "duplicate --email in another case: 4" \
	-- la user add frank --email aLiCe@eXaMpLe.CoM --no-password
t_cmd -u -e 'home' 2 "--home relative: 2" -- la user add frank --home home/frank --no-password
t_cmd -u -e 'home' 2 "--home with ':': 2" -- la user add frank --home /home/fr:ank --no-password
t_cmd -u -e 'shell' 2 "--shell with ':': 2" -- la user add frank --shell /bin/ba:sh --no-password
t_cmd -u -e 'shell' 2 "--shell relative: 2" -- la user add frank --shell bash --no-password
t_cmd -u -e 'gecos' 2 "--gecos with ':': 2" -- la user add frank --gecos "a:b" --no-password
t_cmd -u -e 'gecos' 2 "--gecos with a newline: 2" -- la user add frank --gecos $'a\nb' --no-password
t_cmd -u -e 'no such group' 3 "unknown group in --groups: 3" \
	-- la user add frank --groups nosuchgroup --no-password
t_cmd -u 2 "empty element in --groups (a,,b): 2" -- la user add frank --groups "alice,,carol" --no-password
t_cmd -u -e 'group' 3 "--gid of a missing group: 3" -- la user add frank --gid 42424 --no-password
t_cmd -u 2 "--password-stdin with --no-password: 2" \
	-- la user add frank --password-stdin --no-password
t_cmd -u -e 'email' 2 "user mod --email without '@': 2" -- la user mod dave --email nope
t_cmd -u -e 'email|exists' 4 "user mod --email taken by alice (other case): 4" \
	-- la user mod dave --email ALICE@example.com
t_cmd -u -e 'home' 2 "user mod --home relative: 2" -- la user mod dave --home rel
t_cmd -u -e 'shell' 2 "user mod --shell with ':': 2" -- la user mod dave --shell /bin/a:b
t_cmd -u -e 'no such group' 3 "user mod --groups unknown: 3" -- la user mod dave --groups nosuchgroup
t_cmd -u -e 'no such user' 3 "user show of a SQL-metacharacter name: 3" \
	-- la user show "x' OR '1'='1"

# =====================================================================
diag "passwords on standard input: policy"
# =====================================================================

t_cmd -u -i "" -e 'short' 6 "empty password: 6" -- la user add pw0 --password-stdin
t_cmd -u -i "abcdefg" -e 'short' 6 "7-character password: 6" -- la user add pw7 --password-stdin
t_cmd -i "abcdefgh" 0 "8-character password accepted" -- la user add pw8 --password-stdin
t_cmd -u -i $'\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9' -e 'short' 6 \
	"7 characters in 14 bytes (UTF-8): 6 (length counts characters)" \
	-- la user add pwu --password-stdin
pw256=$(printf 'p%.0s' $(seq 256))
pw257=${pw256}q
pw10k=$(printf 'x%.0s' $(seq 10240))
t_cmd -i "$pw256" 0 "256-character password accepted" -- la user add pw256 --password-stdin
t_cmd -i "$pw256" -o "$TOKEN_RE" 0 "login with the 256-character password" \
	-- la login --user pw256 --password-stdin
t_cmd -u -i "$pw257" -e 'long' 6 "257-character password: 6" -- la user add pw257 --password-stdin
t_cmd -u -i "$pw10k" -e 'long' 6 "10 kB password: 6" -- la user add pw10k --password-stdin
pw70k=$(printf '%s' "$pw10k$pw10k$pw10k$pw10k$pw10k$pw10k$pw10k")
t_cmd -u -i "$pw70k" -e '64 KiB' 2 "password line over 64 KiB: 2" -- la user add pw70k --password-stdin
t_cmd -u -S -i "pwsameasname" -e 'user name' 6 "password equal to the user name: 6" \
	-- la user add pwsameasname --password-stdin
t_cmd -u -i $'\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8' -e 'UTF-8' 6 "password of invalid UTF-8: 6" \
	-- la user add pwbad --password-stdin
t_cmd -u -i $'abc\tdefghij' -e 'control' 6 "password with a control character (tab): 6" \
	-- la user add pwtab --password-stdin
printf 'abc\0defghij\n' >"$tmp/nul.in"
t_cmd -u -f "$tmp/nul.in" -e 'NUL' 2 "password line with an embedded NUL byte: 2, never truncated" \
	-- la user add pwnul --password-stdin
check "no user created from a NUL-truncated password" test "$(sql "SELECT count(*) FROM users WHERE username = 'pwnul'")" = 0
t_cmd -u -e 'password-stdin|no-password' 2 "no --password-stdin and stdin not a terminal: 2" \
	-- la user add pwnone
t_cmd -u -i "a-good-password" -e 'password-stdin|no-password' 2 \
	"a password piped without --password-stdin is not read: 2" -- la user add pwnone
t_cmd -u -I "" -e 'no password' 2 "--password-stdin with empty input (no line at all): 2" \
	-- la user add pwnone --password-stdin
# NFKC: full-width letters are the same password as ASCII ones.
t_cmd -i $'\xef\xbd\x90\xef\xbd\x81\xef\xbd\x93\xef\xbd\x93\xef\xbd\x97\xef\xbd\x8f\xef\xbd\x92\xef\xbd\x84\xef\xbc\x91' \
	0 "user add with a full-width (NFKC) password" -- la user add pwnfkc --password-stdin
t_cmd -i "password1" -o "$TOKEN_RE" 0 "login with the NFKC-equivalent ASCII password" \
	-- la login --user pwnfkc --password-stdin
t_cmd -i $'crlf-pass-1\r' 0 "a password line ending in CRLF: the CR is not part of it" \
	-- la user add pwcrlf --password-stdin
t_cmd -i "crlf-pass-1" -o "$TOKEN_RE" 0 "login with the password without CR" \
	-- la login --user pwcrlf --password-stdin

t_cmd -i "first-pass-1" 0 "user add pwchange" -- la user add pwchange --password-stdin
t_cmd -i "second-pass-2" 0 "passwd pwchange --stdin" -- la passwd pwchange --stdin
t_cmd -i "first-pass-1" -e 'invalid' 1 "old password no longer works" \
	-- la login --user pwchange --password-stdin
t_cmd -i "second-pass-2" -o "$TOKEN_RE" 0 "new password works" \
	-- la login --user pwchange --password-stdin
t_cmd -u -i "short" -e 'short' 6 "passwd with a weak password: 6" -- la passwd pwchange --stdin
t_cmd -u -i "whatever-pass-3" -e 'no such user' 3 "passwd of a missing user: 3" \
	-- la passwd nosuchuser --stdin
t_cmd -u 2 "passwd without --stdin and stdin not a terminal: 2" -- la passwd pwchange

# =====================================================================
diag "login"
# =====================================================================

t_cmd -i "$pw_alice" -o "$TOKEN_RE" 0 "login --user alice: prints a 45-char token" \
	-- la login --user alice --password-stdin
tok_alice=$T_OUT
is "${#tok_alice}" 45 "token is 45 characters"
t_cmd -i "wrong password" -e 'invalid' 1 "login with a wrong password: 1" \
	-- la login --user alice --password-stdin
err_wrong=$T_ERR
t_cmd -i "wrong password" -e 'invalid' 1 "login of an unknown user: 1" \
	-- la login --user nosuchuser --password-stdin
is "$T_ERR" "$err_wrong" "unknown user and wrong password give the same message"
t_cmd -i "wrong password" 1 "login with an invalid user name: 1" \
	-- la login --user "Not A Name" --password-stdin
is "$T_ERR" "$err_wrong" "invalid user name gives the same message too"
t_cmd -i "wrong password" 1 "login --json with a wrong password" \
	-- la login --user alice --password-stdin --json
json_wrong=$T_OUT
t_cmd -i "wrong password" 1 "login --json of an unknown user" \
	-- la login --user nosuchuser --password-stdin --json
is "$T_OUT" "$json_wrong" "--json: unknown user and wrong password give the same object"
t_json "--json error object: code auth, exit 1" "[d['code'], d['exit']]" '["auth", 1]'
t_cmd -i "$pw_alice" 1 "login of a user without a password (carol): 1" \
	-- la login --user carol --password-stdin
t_cmd -i "$pw_alice" -o "$TOKEN_RE" 0 "login --email in another case" \
	-- la login --email ALICE@example.COM --password-stdin
t_cmd -i "wrong password" -e 'invalid' 1 "login --email with a wrong password: 1" \
	-- la login --email alice@example.com --password-stdin
err_wrong_email=$T_ERR
t_cmd -i "wrong password" 1 "login --email unknown: 1" \
	-- la login --email nobody@example.com --password-stdin
is "$T_ERR" "$err_wrong_email" "unknown email and wrong password give the same message"
t_cmd -i "$pw_alice" -o "$TOKEN_RE" 0 "login --key password:alice" \
	-- la login --key password:alice --password-stdin
t_cmd -e 'invalid' 1 "login --key password:alice without a password: 1" \
	-- la login --key password:alice
t_cmd -i "$pw_alice" 0 "login --json" -- la login --user alice --password-stdin --json
t_json "login --json: token, fresh, session state, user" \
	"[len(d['token']), d['fresh'], d['session']['state'], d['user']['username'], d['user']['uid'], d['session']['user_id'] == d['user']['id']]" \
	'[45, false, "active", "alice", 10000, true]'
t_cmd 2 "login without --user/--email/--key: 2" -- la login --password-stdin
t_cmd 2 "login with both --user and --email: 2" \
	-- la login --user alice --email alice@example.com --password-stdin
t_cmd -e 'password-stdin' 2 "login without --password-stdin, stdin not a terminal: 2" \
	-- la login --user alice
t_cmd -f "$tmp/nul.in" -e 'NUL' 2 "login password with a NUL byte: 2" \
	-- la login --user alice --password-stdin

t_cmd -i "mustchange-1" 0 "user add --must-change" -- la user add mustc --must-change --password-stdin
t_cmd -i "mustchange-1" -o "$TOKEN_RE" -e 'must be changed' 0 \
	"login of a must-change account succeeds with a note on stderr" \
	-- la login --user mustc --password-stdin
t_cmd -i "mustchange-1" 0 "login --json of a must-change account" \
	-- la login --user mustc --password-stdin --json
t_json "login --json tells must_change" "d['user']['must_change']" true
t_cmd -i "mustchange-2" 0 "passwd of the must-change account" -- la passwd mustc --stdin
t_run -- la user show mustc --json
t_json "passwd clears must_change" "d['must_change']" false
t_cmd -i "$pw_alice" -o "$TOKEN_RE" 0 "login --rhost records the client" \
	-- la login --user alice --password-stdin --rhost 192.0.2.7
tok_rhost=$T_OUT
t_run -- la session list alice --json
t_json "session list shows rhost and source web" \
	"[[s['source'], s['rhost']] for s in d['sessions'] if s['id'] == '${tok_rhost%%.*}']" \
	'[["web", "192.0.2.7"]]'
t_cmd -o '^\{' 0 "--json before the command word" -- la --json user show alice
t_json "--json before the command: same object" "d['username']" alice

# lockout (deny = 5 by default)
t_cmd -i "locky-pass-1" 0 "user add locky" -- la user add locky --password-stdin
statuses=
for _ in 1 2 3 4 5; do
	t_run -i "wrong-pass" -- la login --user locky --password-stdin
	statuses+="$T_RC "
done
is "$statuses" "1 1 1 1 1 " "5 wrong passwords: 1 each"
t_cmd -i "locky-pass-1" -e 'locked' 1 "6th attempt with the right password: 1, locked" \
	-- la login --user locky --password-stdin
t_cmd 0 "user show locky --json" -- la user show locky --json
t_json "locky: 5 failures, locked out until a time" \
	"[d['failures'], d['locked_until'] is not None, d['locked']]" '[5, true, false]'
t_cmd -o 'locked out until' 0 "user show tells until when" -- la user show locky
t_cmd 0 "user unlock locky" -- la user unlock locky
t_cmd -i "locky-pass-1" -o "$TOKEN_RE" 0 "login works again after unlock" \
	-- la login --user locky --password-stdin
t_run -- la user show locky --json
t_json "locky: counters reset" "[d['failures'], d['locked_until']]" '[0, null]'
t_cmd 0 "user lock locky" -- la user lock locky
t_cmd -i "locky-pass-1" -e 'locked' 1 "login of an administratively locked account: 1" \
	-- la login --user locky --password-stdin
t_cmd 0 "user unlock locky (again)" -- la user unlock locky
t_cmd 0 "user expire locky --at 2000-01-01" -- la user expire locky --at 2000-01-01
t_cmd -i "locky-pass-1" -e 'expired' 1 "login of an expired account: 1" \
	-- la login --user locky --password-stdin
t_cmd 0 "user expire locky --at never" -- la user expire locky --at never
t_cmd -i "locky-pass-1" -o "$TOKEN_RE" 0 "login works when no longer expired" \
	-- la login --user locky --password-stdin

# =====================================================================
diag "sessions"
# =====================================================================

t_cmd -i "$tok_alice" -o 'alice' 0 "session validate (token on stdin): prints the user name" \
	-- la session validate
t_cmd -i "$tok_alice" 0 "session validate --json" -- la session validate --json
t_json "validate --json: state active, not fresh, user alice" \
	"[d['session']['state'], d['fresh'], d['user']['username'], d['session']['id'] == '${tok_alice%%.*}']" \
	'["active", false, "alice", true]'
with_env() { LUCIAAUTH_SESSION=$env_token "$@"; }
env_token=$tok_alice
t_cmd -o 'alice' 0 "session validate --from-env (LUCIAAUTH_SESSION)" \
	-- with_env la session validate --from-env
env_token=
t_cmd -e 'LUCIAAUTH_SESSION' 2 "--from-env with LUCIAAUTH_SESSION unset: 2" \
	-- with_env la session validate --from-env
t_cmd -i "$tok_alice" -o 'alice' 0 "session get" -- la session get
t_cmd -o "${tok_alice%%.*}" 0 "session list alice shows the session id" -- la session list alice
t_cmd -O "${tok_alice#*.}" 0 "session list never shows the token secret" -- la session list alice --json
t_json "session list --json has the session" \
	"'${tok_alice%%.*}' in [s['id'] for s in d['sessions']]" true
t_cmd 0 "session list (all users)" -- la session list
t_cmd -u -e 'no such user' 3 "session list of a missing user: 3" -- la session list nosuchuser
t_cmd -i "$tok_alice" 0 "session revoke" -- la session revoke
t_cmd -i "$tok_alice" -e 'invalid or expired' 1 "validate after revoke: 1" -- la session validate
t_cmd -u -i "$tok_alice" 1 "revoke of a revoked session: 1" -- la session revoke
t_cmd -u -I "" -e 'no session token' 2 "no token at all on stdin: 2" -- la session validate
must -i "$pw_alice" -- la login --user alice --password-stdin
env_token=$T_OUT
t_cmd 0 "session revoke --from-env" -- with_env la session revoke --from-env
t_cmd 1 "the revoked session no longer validates from the environment" \
	-- with_env la session validate --from-env
env_token=

must -i "$pw_alice" -- la login --user alice --password-stdin
tok=$T_OUT
sid=${tok%%.*}
secret=${tok#*.}
bad_secret=$(printf '%s' "$secret" | tr 'a-km-np-z2-9' 'b-km-np-z2-9a')
declare -A bad_tokens=(
	["empty line"]=""
	["no dot"]="nodot"
	["44 characters"]="${tok:0:44}"
	["46 characters"]="${tok}a"
	["upper case"]=$(printf '%s' "$tok" | tr '[:lower:]' '[:upper:]')
	["characters outside the alphabet (l, o, 0, 1)"]="${sid:0:8}lo01.${secret}"
	["SQL metacharacters"]="' OR '1'='1' --.${secret}"
	["SQL metacharacters of token length"]="${sid:0:6}' OR 1.${secret}"
	["10 kB line"]=$(printf 'a%.0s' $(seq 10240))
	["leading space"]=" ${tok}"
	["two dots"]="${sid}.${secret:0:15}.${secret:16}"
	["valid id, wrong secret"]="${sid}.${bad_secret}"
	["valid secret, unknown id"]="aaaaaaaaaaaa.${secret}"
)
for what in "empty line" "no dot" "44 characters" "46 characters" "upper case" \
	"characters outside the alphabet (l, o, 0, 1)" "SQL metacharacters" \
	"SQL metacharacters of token length" "10 kB line" "leading space" "two dots" \
	"valid id, wrong secret" "valid secret, unknown id"; do
	t_cmd -u -i "${bad_tokens[$what]}" -e 'invalid|malformed' 1 \
		"session validate, token: $what: 1" -- la session validate
done
t_cmd -u -i "${sid}.${bad_secret}" 1 "session get, valid id + wrong secret: 1" -- la session get
t_cmd -u -i "${sid}.${bad_secret}" 1 "session revoke, valid id + wrong secret: 1" \
	-- la session revoke
t_cmd -i "$tok" -o 'alice' 0 "the real token still validates after the bad attempts" \
	-- la session validate
printf '%s\0x\n' "$tok" >"$tmp/tok-nul.in"
t_cmd -u -f "$tmp/tok-nul.in" -e 'NUL' 2 "token line with a NUL byte: 2" -- la session validate

must -i "$pw_alice" -- la login --user alice --password-stdin
tok2=$T_OUT
t_cmd -o 'revoked [0-9]+' 0 "session revoke-all alice --except the first session" \
	-- la session revoke-all alice --except "$sid"
t_cmd -i "$tok" 0 "the excepted session is still valid" -- la session validate
t_cmd -i "$tok2" 1 "the other session is revoked" -- la session validate
t_cmd 0 "session revoke-all alice" -- la session revoke-all alice --json
t_json "revoke-all --json counts the sessions" "d['revoked']" 1
t_cmd -i "$tok" 1 "no session of alice left" -- la session validate
check "sessions table has no row of alice" test "$(sql "SELECT count(*) FROM sessions WHERE user_id = '$alice_id'")" = 0
t_cmd -u -e 'no such user' 3 "session revoke-all of a missing user: 3" \
	-- la session revoke-all nosuchuser
must -i "$pw_alice" -- la login --user alice --password-stdin
tok3=$T_OUT
t_cmd 0 "session revoke-id" -- la session revoke-id "${tok3%%.*}"
t_cmd -i "$tok3" 1 "validate after revoke-id: 1" -- la session validate
t_cmd -u -e 'no such session' 3 "session revoke-id of an unknown id: 3" \
	-- la session revoke-id aaaaaaaaaaaa
t_cmd -E "${tok3#*.}" 2 "a token given as an argument is refused (2) and not echoed" \
	-- la session validate "$tok3"
t_cmd -o '[0-9]' 0 "session gc" -- la session gc

# =====================================================================
diag "time: session periods, session_max, unlock_time, fail_interval"
# =====================================================================
# Everything that needs time to pass is set up first, then one sleep.

# Lucia's active / idle / dead periods, with short periods.
write_config "$tmp/short-idle.conf" "session_active = 2s" "session_idle = 1h"
write_config "$tmp/short-dead.conf" "session_active = 1s" "session_idle = 1s"
write_config "$tmp/short-max.conf" "session_active = 1s" "session_idle = 1h" "session_max = 2s"
write_config "$tmp/short-unlock.conf" "deny = 2" "unlock_time = 1s"
write_config "$tmp/short-window.conf" "deny = 2" "fail_interval = 1s"
must -i "$pw_alice" -- "$LUCIAAUTH" --config "$tmp/short-idle.conf" login --user alice --password-stdin
tok_idle=$T_OUT
must -i "$pw_alice" -- "$LUCIAAUTH" --config "$tmp/short-dead.conf" login --user alice --password-stdin
tok_dead=$T_OUT
must -i "$pw_alice" -- "$LUCIAAUTH" --config "$tmp/short-max.conf" login --user alice --password-stdin
tok_max=$T_OUT
must -i "timed-pass-1" -- la user add timed --password-stdin
must -i "windowed-pass-1" -- la user add windowed --password-stdin
statuses=
for _ in 1 2; do
	t_run -i "wrong-pass" -- "$LUCIAAUTH" --config "$tmp/short-unlock.conf" login --user timed --password-stdin
	statuses+="$T_RC "
done
t_run -i "timed-pass-1" -- "$LUCIAAUTH" --config "$tmp/short-unlock.conf" login --user timed --password-stdin
statuses+="$T_RC"
is "$statuses" "1 1 1" "deny = 2: two failures lock the right password out"
t_cmd -i "wrong-pass" 1 "one failure (fail_interval = 1s)" \
	-- "$LUCIAAUTH" --config "$tmp/short-window.conf" login --user windowed --password-stdin
sleep 2.2
t_cmd -i "timed-pass-1" -o "$TOKEN_RE" 0 "after unlock_time the right password works again" \
	-- "$LUCIAAUTH" --config "$tmp/short-unlock.conf" login --user timed --password-stdin
t_cmd -i "wrong-pass" 1 "a failure after fail_interval starts a new count" \
	-- "$LUCIAAUTH" --config "$tmp/short-window.conf" login --user windowed --password-stdin
t_run -- la user show windowed --json
t_json "windowed: 1 failure counted, not locked out" "[d['failures'], d['locked_until']]" '[1, null]'
t_cmd -i "windowed-pass-1" -o "$TOKEN_RE" 0 "so the right password still works (deny = 2)" \
	-- "$LUCIAAUTH" --config "$tmp/short-window.conf" login --user windowed --password-stdin
t_cmd -u -i "$tok_max" -e 'invalid or expired' 1 "session past session_max: 1 though still idle" \
	-- "$LUCIAAUTH" --config "$tmp/short-max.conf" session validate
t_cmd -i "$tok_idle" 0 "session get of an idle session" \
	-- "$LUCIAAUTH" --config "$tmp/short-idle.conf" session get --json
t_json "get: state idle, not renewed" "[d['session']['state'], d['fresh']]" '["idle", false]'
idle_expires_before=$(sql "SELECT active_expires FROM sessions WHERE id = $(sid_key "${tok_idle%%.*}")")
t_cmd -i "$tok_idle" 0 "session validate of an idle session" \
	-- "$LUCIAAUTH" --config "$tmp/short-idle.conf" session validate --json
t_json "validate: renewed in place (fresh, same id)" \
	"[d['fresh'], d['session']['id'] == '${tok_idle%%.*}']" '[true, true]'
check "validate moved active_expires forward" \
	test "$(sql "SELECT active_expires FROM sessions WHERE id = $(sid_key "${tok_idle%%.*}")")" -gt "$idle_expires_before"
t_cmd -i "$tok_idle" 0 "session get after the renewal" \
	-- "$LUCIAAUTH" --config "$tmp/short-idle.conf" session get --json
t_json "get after renewal: active" "[d['session']['state'], d['fresh']]" '["active", false]'
t_cmd -u -i "$tok_dead" -e 'invalid or expired' 1 "validate of a dead session: 1" \
	-- la session validate
t_cmd -o 'deleted [1-9]' 0 "session gc deletes the dead session" -- la session gc
check "dead session row is gone" \
	test "$(sql "SELECT count(*) FROM sessions WHERE id = $(sid_key "${tok_dead%%.*}")")" = 0
t_cmd -i "$tok_idle" 0 "gc keeps live sessions" -- la session validate

# =====================================================================
diag "signup"
# =====================================================================

t_cmd -u -i "newbie-pass-1" -e 'closed' 6 "signup when closed (default): 6, nothing written" \
	-- la signup --username newbie --password-stdin
t_cmd -i "newbie-pass-1" -o "$TOKEN_RE" 0 "signup when open: prints a token" \
	-- la_open signup --username newbie --email newbie@example.com --password-stdin
tok_newbie=$T_OUT
t_cmd -i "$tok_newbie" -o 'newbie' 0 "the signup token validates" -- la session validate
t_cmd 0 "user show newbie --json" -- la user show newbie --json
t_json "signed-up user: shell /usr/sbin/nologin, email, password" \
	"[d['shell'], d['email'], d['has_password']]" '["/usr/sbin/nologin", "newbie@example.com", true]'
t_cmd -i "newbie-pass-1" -o "$TOKEN_RE" 0 "the signed-up user can log in" \
	-- la login --email NEWBIE@example.com --password-stdin
t_cmd -u -i "newbie-pass-2" -e 'exists' 4 "signup of an existing name: 4" \
	-- la_open signup --username newbie --password-stdin
t_cmd -u -i "newbie-pass-2" -e 'exists' 4 "signup with an email in use (other case): 4" \
	-- la_open signup --username newbie2 --email NewBie@Example.com --password-stdin
t_cmd -u -i "newbie-pass-2" -e 'exists|system' 4 "signup as a local account name: 4" \
	-- la_open signup --username localuser --password-stdin
t_cmd -u -i "short" -e 'short' 6 "signup with a weak password: 6" \
	-- la_open signup --username newbie3 --password-stdin
t_cmd -u -i "newbie-pass-2" 2 "signup with an invalid name: 2" \
	-- la_open signup --username "New Bie" --password-stdin
t_cmd -u -i "newbie-pass-2" 2 "signup with an invalid email: 2" \
	-- la_open signup --username newbie4 --email nope --password-stdin
t_cmd -u 2 "signup without --password-stdin, stdin not a terminal: 2" \
	-- la_open signup --username newbie5
t_cmd -u -i "newbie-pass-2" 2 "signup without --username: 2" -- la_open signup --password-stdin

# =====================================================================
diag "groups"
# =====================================================================

t_cmd -o 'devs' 0 "group add devs" -- la group add devs
t_cmd 0 "group show devs --json" -- la group show devs --json
t_json "devs: allocated gid in range, no members, not private" \
	"[10000 <= d['gid'] <= 59999, d['members'], d['user_private']]" '[true, [], false]'
t_cmd -u -e 'exists' 4 "group add of an existing group: 4" -- la group add devs
t_cmd -u -e 'exists' 4 "group add named like a store user's private group: 4" -- la group add alice
t_cmd 0 "group add sudo (merge group with the local gid)" -- la group add sudo --json
t_json "sudo got the local gid 27" "d['gid']" 27
t_cmd -u 4 "group add with a gid already used: 4" -- la group add ops --gid 10000
t_cmd -u 2 "group add with --gid out of range: 2" -- la group add ops --gid 5
t_cmd -u 2 "group add with --gid abc: 2" -- la group add ops --gid abc
t_cmd -u 2 "group add with an invalid name: 2" -- la group add "Bad Group"
t_cmd -u 2 "group add with SQL metacharacters: 2" -- la group add "g'); DROP TABLE groups;--"
t_cmd -u -e 'gid' 4 "group add of a local group with another gid: 4" \
	-- la group add localuser --gid 10400
t_run -- la group add root
if [ "$T_RC" != 0 ] && printf '%s' "$T_ERR" | grep -q 'root'; then
	ok "group add root (merging into gid 0) is refused"
else
	not_ok "group add root (merging into gid 0) is refused"
	diag "exit $T_RC, stderr: $T_ERR"
fi
t_cmd 0 "group add-member devs alice" -- la group add-member devs alice
t_cmd 0 "group add-member devs carol" -- la group add-member devs carol
t_cmd -u -e 'already|exists' 4 "group add-member twice: 4" -- la group add-member devs alice
t_cmd -u -e 'no such group' 3 "group add-member to a missing group: 3" -- la group add-member nosuch alice
t_cmd -u -e 'no such user' 3 "group add-member of a missing user: 3" -- la group add-member devs nosuchuser
t_run -- la group show devs --json
t_json "devs members" "d['members']" '["alice", "carol"]'
t_cmd -o 'devs' -o 'alice' 0 "group list shows devs and its members" -- la group list
t_cmd 0 "group list --json" -- la group list --json
t_json "group list --json has devs, sudo and the private groups" \
	"sorted(g['name'] for g in d['groups'] if g['name'] in ('devs', 'sudo', 'alice'))" \
	'["alice", "devs", "sudo"]'
t_run -- la user show alice --json
t_json "user show alice lists group devs" "d['groups']" '["devs"]'
t_cmd 0 "group remove-member devs alice" -- la group remove-member devs alice
t_cmd -u -e 'not a member' 3 "group remove-member of a non-member: 3" -- la group remove-member devs alice
t_cmd -u 3 "group remove-member from a missing group: 3" -- la group remove-member nosuch alice
t_cmd 0 "user add with --groups devs,sudo" -- la user add grace --groups devs,sudo --no-password
t_run -- la user show grace --json
t_json "grace is in devs and sudo" "sorted(d['groups'])" '["devs", "sudo"]'
t_cmd 0 "user mod --groups '' removes every membership" -- la user mod grace --groups ""
t_run -- la user show grace --json
t_json "grace has no groups" "d['groups']" '[]'
t_cmd -u 3 "group del of a missing group: 3" -- la group del nosuch
t_cmd -u -e 'primary group' 2 "group del of a user's primary group: refused" -- la group del alice
t_cmd 0 "group del devs" -- la group del devs
t_cmd 3 "group show of the deleted group: 3" -- la group show devs
t_run -- la user show carol --json
t_json "deleting a group removes its memberships" "d['groups']" '[]'

# =====================================================================
diag "auth keys"
# =====================================================================

t_cmd -o 'github:123' 0 "key add alice --provider github --provider-user-id 123 (no password)" \
	-- la key add alice --provider github --provider-user-id 123
t_cmd -o "$TOKEN_RE" 0 "login --key github:123 without a password" -- la login --key github:123
tok_gh=$T_OUT
t_cmd -i "$tok_gh" -o 'alice' 0 "the github session belongs to alice" -- la session validate
t_cmd -i "anything-at-all" -e 'invalid' 1 "login --key github:123 with a password: 1" \
	-- la login --key github:123 --password-stdin
t_cmd -e 'invalid' 1 "login --key of an unknown key: 1" -- la login --key github:999
t_cmd -e 'invalid' 1 "login --key without ':': 1" -- la login --key github
t_cmd -o 'github:123' -o 'password:alice' 0 "key list alice" -- la key list alice
t_cmd 0 "key list alice --json" -- la key list alice --json
t_json "key list --json" "sorted([k['id'], k['has_password']] for k in d['keys'])" \
	'[["github:123", false], ["password:alice", true]]'
t_cmd -u -e 'exists' 4 "duplicate key for the same user: 4" \
	-- la key add alice --provider github --provider-user-id 123
t_cmd -u -e 'exists' 4 "duplicate key for another user: 4" \
	-- la key add carol --provider github --provider-user-id 123
t_cmd -u -e 'no such user' 3 "key add for a missing user: 3" \
	-- la key add nosuchuser --provider github --provider-user-id 777
t_cmd -u 2 "key add with ':' in the provider: 2" \
	-- la key add alice --provider "git:hub" --provider-user-id 1
t_cmd -u 2 "key add without --provider-user-id: 2" -- la key add alice --provider github
t_cmd -u -i "some-password-1" 2 "key add --provider password for another name: 2" \
	-- la key add alice --provider password --provider-user-id carol --password-stdin
t_cmd -i "email-key-pass-1" 0 "key add with a password (email provider)" \
	-- la key add carol --provider email --provider-user-id carol@example.net --password-stdin
t_cmd -i "email-key-pass-1" -o "$TOKEN_RE" 0 "login --key email:... with its password" \
	-- la login --key email:carol@example.net --password-stdin
t_cmd -e 'invalid' 1 "login --key with a password key but no password: 1" \
	-- la login --key email:carol@example.net
t_cmd -u -i "short" 6 "key add with a weak password: 6" \
	-- la key add carol --provider other --provider-user-id 1 --password-stdin
t_cmd 0 "key del github:123" -- la key del github:123
t_cmd -e 'invalid' 1 "login --key github:123 after key del: 1" -- la login --key github:123
t_cmd -u -e 'no such key' 3 "key del of a missing key: 3" -- la key del github:123

# =====================================================================
diag "secrets"
# =====================================================================

t_run -- la user show alice --json
t_json "alice still has her password key" "d['has_password']" true
must -i "$pw_alice" -- la login --user alice --password-stdin
tok_last=$T_OUT
dump=$(sql .dump)
if printf '%s' "$dump" | grep -Fq -f <(printf '%s\n' "$pw_alice" "$pw_bob" "${tok_last#*.}" "newbie-pass-1"); then
	not_ok "no password or token secret stored in plain text"
else
	ok "no password or token secret stored in plain text"
fi
bad_opts=$(printf '%s\n%s\n' "$help_top" "${help_all:-}" |
	grep -Eo -- '--([a-z-]*(password|passphrase|token|secret)[a-z-]*|pass|pw)[ =][A-Z<]+' |
	grep -v -- '--password-stdin' || true)
is "$bad_opts" "" "no option of --help takes a password, token or secret as its value"
like "$help_top" 'never.*command line|command line.*never' "--help says secrets never go on the command line"

# =====================================================================
diag "user deletion (Lucia order)"
# =====================================================================

t_cmd 0 "user del alice (with sessions, keys, memberships)" -- la user del alice
is "$(sql "SELECT (SELECT count(*) FROM sessions WHERE user_id = '$alice_id') ||
	' ' || (SELECT count(*) FROM auth_keys WHERE user_id = '$alice_id') ||
	' ' || (SELECT count(*) FROM users WHERE id = '$alice_id')")" "0 0 0" \
	"alice's sessions, keys and row are gone"
t_cmd -i "$tok_last" 1 "alice's last session no longer validates" -- la session validate
t_cmd -i "$pw_alice" 1 "alice can no longer log in" -- la login --user alice --password-stdin
is "$(sql 'PRAGMA integrity_check')" ok "integrity_check ok at the end"
is "$(sql 'PRAGMA foreign_key_check')" "" "foreign_key_check clean at the end"
is "$(stat -c %a "$db")" 600 "master database still 0600 at the end"

done_testing

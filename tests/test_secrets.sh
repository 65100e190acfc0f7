#!/bin/bash
#
# test_secrets.sh - secrets never leak (TAP).
#
#  1. Every CLI command that handles a secret runs with its standard error
#     captured; the PAM module runs with "debug" through pam_wrapper
#     (PAM_WRAPPER_DEBUGLEVEL=2 puts every pam_syslog line on standard
#     error) for auth good/bad, an unknown user, open/close session,
#     chauthtok.  None of the test passwords, session tokens or token
#     secrets, or the stored hashes (read from the database) appears in any
#     of it; passwords never appear on standard output either.
#  2. Files have the documented modes: state dir 0711, master 0600 (and
#     its -wal/-shm), snapshot 0644, a backup 0600 when "backup" exists.
#  3. No command takes a secret from argv: --password X, --token X or a
#     token operand is a usage error (exit 2) that does not echo X.
#
# Runs as any user; the PAM part is skipped without pamtester/pam_wrapper
# and in a sanitizer build.

set -u
export LC_ALL=C

srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tap.sh
. "$srcdir/tests/tap.sh"

module=$builddir/pam_module/.libs/pam_luciaauth.so
t_need_luciaauth
t_need sqlite3

tmp=$(mktemp -d "${TMPDIR:-/tmp}/luciaauth-secrets.XXXXXXXX") || bail_out "mktemp failed"
trap 'rm -rf --one-file-system "$tmp"; tap_cleanup' EXIT
chmod 700 "$tmp"
state=$tmp/state db=$tmp/state/luciaauth.db cfg=$tmp/luciaauth.conf
t_store "$tmp" "$cfg" "signup = open"
errs=$tmp/all.err # every standard error and syslog line of the run
outs=$tmp/all.out # every standard output
secrets=$tmp/secrets # one secret a line (mode 600, never in argv)
: >"$errs"
: >"$outs"
(umask 077 && : >"$secrets")

pw1='Alice-first-Pass-101' pw2='Bob-Secret-Pass-202' pw3='Alice-second-Pass-303'
pw4='Key-Secret-Pass-404' pw5='Carol-Signup-Pass-505' pw6='Alice-pam-Chauthtok-606'
wrong='Wrong-Guess-Pass-707' wrong2='Nobody-Guess-Pass-808'
printf '%s\n' "$pw1" "$pw2" "$pw3" "$pw4" "$pw5" "$pw6" "$wrong" "$wrong2" >>"$secrets"

# t IN EXPECTED DESC ARGS...: luciaauth with IN on stdin; output kept.
t() {
	local in=$1 want=$2 desc=$3
	shift 3
	t_cmd -q -i "$in" "$want" "$desc" -- "$LUCIAAUTH" --config "$cfg" "$@"
	printf '%s\n' "$T_ERR" >>"$errs"
	printf '%s\n' "$T_OUT" >>"$outs"
}
# A token from --json output (stdout) into the secrets list.
token_of() {
	local tok
	tok=$(printf '%s' "$1" | sed -n 's/.*"token": *"\([^"]*\)".*/\1/p')
	printf '%s\n' "$tok" "${tok#*.}" >>"$secrets"
	printf '%s' "$tok"
}

# ---- 1. the CLI ---------------------------------------------------------
t "" 0 "init" init
t "$pw1" 0 "user add alice --password-stdin" user add alice --password-stdin
t "$pw2" 0 "user add bob --password-stdin" user add bob --password-stdin
t "$pw3" 0 "passwd alice --stdin" passwd alice --stdin
t "short" 6 "passwd with a weak password: refused" passwd alice --stdin
t "$pw4" 0 "key add with a password" key add alice --provider app --provider-user-id 42 \
	--password-stdin
t "$pw3" 0 "login --user alice" login --user alice --password-stdin --json
tok1=$(token_of "$T_OUT")
t "$pw4" 0 "login --key app:42" login --key app:42 --password-stdin --json
tok2=$(token_of "$T_OUT")
t "$pw5" 0 "signup carol" signup --username carol --password-stdin --json
tok3=$(token_of "$T_OUT")
t "$wrong" 1 "login with a wrong password" login --user alice --password-stdin
t "$wrong2" 1 "login of an unknown user" login --user nobody --password-stdin
t "$tok1" 0 "session validate (token on stdin)" session validate --json
t "$tok2" 0 "session get" session get
LUCIAAUTH_SESSION=$tok3 t "" 0 "session validate --from-env" session validate --from-env
bad=${tok1%.*}.$(printf '%s' "${tok1#*.}" | tr 'a-z' 'b-za')
printf '%s\n' "$bad" "${bad#*.}" >>"$secrets"
t "$bad" 1 "session validate with a wrong secret" session validate
t "$tok1" 0 "session revoke" session revoke
t "$tok1" 1 "session validate of a revoked session" session validate

# ---- 1. the PAM module with debug ----------------------------------------
pam_ok=1
t_pamtester "$module" || pam_ok=$T_WHY
mkdir "$tmp/pam.d"
# pam_exec hands the session token (PAM environment) to a script that
# keeps it, so that it can be looked for in the logs.
cat >"$tmp/keep-token" <<EOF
#!/bin/sh
umask 077
printf '%s\n' "\$LUCIAAUTH_SESSION" >>"$tmp/pam-tokens"
EOF
chmod 700 "$tmp/keep-token"
cat >"$tmp/pam.d/sec" <<EOF
auth     required $module config=$cfg debug nodelay audit
account  required $module config=$cfg debug
session  required $module config=$cfg debug
session  optional pam_exec.so type=open_session $tmp/keep-token
password required $module config=$cfg debug revoke_sessions
EOF
printf 'auth required pam_deny.so\n' >"$tmp/pam.d/other"
pt() {
	local in=$1
	shift
	t_run -i "$in" -- env ASAN_OPTIONS="$T_PAM_ASAN" LD_PRELOAD="$T_PAM_PRELOAD" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$tmp/pam.d" PAM_WRAPPER_DEBUGLEVEL=2 pamtester sec "$@"
	printf '%s\n' "$T_ERR" >>"$errs"
	printf '%s\n' "$T_OUT" >>"$outs"
}
if [ "$pam_ok" = 1 ]; then
	pt "$pw3" alice authenticate acct_mgmt open_session close_session
	is "$T_RC" 0 "PAM: alice signs in, session opened and closed"
	pt "$wrong" alice authenticate
	like "$T_ERR" 'Authentication failure' "PAM: wrong password refused"
	pt "$wrong2" nobody authenticate
	check "PAM: unknown user refused" [ "$T_RC" != 0 ]
	pt "$pw6"$'\n'"$pw6" alice chauthtok
	is "$T_RC" 0 "PAM: chauthtok (as root: new password twice)"
	pt "$pw6" alice authenticate open_session
	is "$T_RC" 0 "PAM: the new password works"
	like "$(cat "$errs")" 'SYSLOG\(7\)' "PAM debug lines were captured"
	[ -f "$tmp/pam-tokens" ] && cat "$tmp/pam-tokens" >>"$secrets" &&
		sed 's/^[^.]*\.//' "$tmp/pam-tokens" >>"$secrets"
	check "PAM: session tokens were handed out (and kept for the search)" \
		[ -s "$tmp/pam-tokens" ]
else
	for i in 1 2 3 4 5 6 7; do skip "$pam_ok" "PAM with debug ($i)"; done
fi

# ---- 1. the search ---------------------------------------------------------
sqlite3 "$db" "SELECT hashed_password FROM auth_keys WHERE hashed_password IS NOT NULL;
	SELECT lower(hex(secret_hash)) FROM sessions;" >"$tmp/hashes"
check "hashes were read from the database" [ "$(grep -c . "$tmp/hashes")" -ge 4 ]
grep -v '^$' "$secrets" | sort -u >"$secrets.u"
n_secrets=$(grep -c . "$secrets.u")
check "the secret list has every password and token ($n_secrets)" [ "$n_secrets" -ge 16 ]
leaked=$(grep -oF -f "$secrets.u" "$errs" | head -3 | sed 's/^\(....\).*/\1.../')
is "$leaked" "" "no password, token or token secret in any stderr or PAM syslog line"
leaked=$(grep -oF -f "$tmp/hashes" "$errs" "$outs" | head -3 | sed 's/^.*:\(....\).*/\1.../')
is "$leaked" "" "no stored hash in any output"
grep -v '^$' "$secrets" | head -8 >"$tmp/pws" # the passwords
leaked=$(grep -oF -f "$tmp/pws" "$outs" | head -3 | sed 's/^\(....\).*/\1.../')
is "$leaked" "" "no password on any standard output"

# ---- 2. modes ----------------------------------------------------------------
mode() { stat -c '%a' "$1"; }
is "$(mode "$state")" 711 "state directory 0711"
is "$(mode "$db")" 600 "master database 0600"
for f in "$db-wal" "$db-shm" "$db-journal"; do
	[ -e "$f" ] && is "$(mode "$f")" 600 "${f##*/} 0600"
done
snap=$(find "$state" -maxdepth 1 -name '*snapshot*' ! -name '*.tmp*' | head -1)
check "a snapshot exists" [ -n "$snap" ]
[ -n "$snap" ] && is "$(mode "$snap")" 644 "snapshot ${snap##*/} 0644"
is "$(find "$state" -perm /o+w | head -1)" "" "nothing in the state directory is world-writable"
if "$LUCIAAUTH" backup --help >/dev/null 2>&1; then
	"$LUCIAAUTH" --config "$cfg" backup "$tmp/backup.db" >/dev/null 2>>"$errs"
	is "$(mode "$tmp/backup.db" 2>/dev/null)" 600 "backup 0600"
else
	skip "no 'luciaauth backup' in this build" "backup 0600"
fi

# ---- 3. no secret in argv ------------------------------------------------
argv_secret='Argv-Secret-Value-909'
refused() {
	local desc=$1
	shift
	t_cmd -q -u -E "$argv_secret" 2 "$desc: usage error, value not echoed" \
		-- "$LUCIAAUTH" --config "$cfg" "$@"
}
refused "user add --password X" user add dave --password "$argv_secret"
refused "user add --password=X" user add dave "--password=$argv_secret"
refused "passwd NAME X" passwd alice "$argv_secret"
refused "passwd --password X" passwd alice --password "$argv_secret"
refused "key add --password X" key add alice --provider p --provider-user-id 7 \
	--password "$argv_secret"
refused "signup --password X" signup --username erin --password "$argv_secret"
refused "login --password X" login --user alice --password "$argv_secret"
refused "login -p X" login --user alice -p "$argv_secret"
refused "session validate TOKEN" session validate "$tok2"
refused "session get TOKEN" session get "$tok2"
refused "session revoke TOKEN" session revoke "$tok2"
refused "session validate --token X" session validate --token "$tok2"
done_testing

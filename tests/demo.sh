#!/usr/bin/env bash
# demo.sh CLI - an end-to-end tour of luciaauth in a temporary state
# directory.  Changes nothing on the host.  Run through './dev demo'.
set -euo pipefail
cli=${1:?usage: demo.sh PATH-TO-luciaauth}
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
	printf '\033[2m$ luciaauth %s\033[0m\n' "$*" >&2
	"$cli" --config "$cfg" "$@"
}
mask() { sed -E 's/^([a-z0-9]{12})\.[a-z0-9]{32}$/\1.<secret>/'; }

step "Create a store in $tmp/state"
la init
ls -ld "$tmp/state" "$tmp/state/luciaauth.db" | awk '{print $1, $NF}'

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

step "Done: the temporary store is removed"

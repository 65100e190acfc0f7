#!/bin/bash
#
# test_concurrency.sh - concurrent use of one store by many luciaauth
# processes (TAP).  Run by "make check" (LUCIAAUTH, abs_top_srcdir set).
#
#  1. 8 processes, each 10 x (login + session validate + session get), for
#     different users and for one shared user: every command succeeds, no
#     "busy"/"locked" error, every session is recorded.
#  2. 8 concurrent "user add": distinct uids (no lost id allocation).
#  3. rounds of 8 concurrent wrong-password logins of one user (deny = 100):
#     the failure counter counts every one of them (no lost update).
#
# The concurrent starts use a FIFO as a barrier: every worker blocks opening
# it for reading until the parent opens it for writing.

# shellcheck disable=SC2317 # helpers are run in the background / via t_cmd
set -u
export LC_ALL=C

srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tap.sh
. "$srcdir/tests/tap.sh"

t_need_luciaauth
command -v sqlite3 >/dev/null 2>&1 || skip_all "sqlite3 not found (needed for integrity checks)"
command -v python3 >/dev/null 2>&1 || skip_all "python3 not found (needed to read --json output)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/luciaauth-conc.XXXXXXXX") || bail_out "mktemp failed"
pids=()
watchdog=
cleanup() {
	local p
	for p in "${pids[@]}" $watchdog; do
		kill "$p" 2>/dev/null
	done
	rm -rf "$tmp"
	tap_cleanup
}
trap cleanup EXIT
chmod 700 "$tmp"
# A hung worker must not hang "make check": give up after 5 minutes.
# (its sleep is killed with it and must not hold the TAP pipe open)
(
	trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
	sleep 300 >/dev/null 2>&1 &
	sleeper=$!
	wait "$sleeper"
	echo "Bail out! timeout: the concurrency test took more than 300 s"
	kill -TERM $$
) &
watchdog=$!

state=$tmp/state db=$tmp/state/luciaauth.db cfg=$tmp/luciaauth.conf
t_store "$tmp" "$cfg" "deny = 100"

la() { "$LUCIAAUTH" --config "$cfg" "$@"; }
sql() { sqlite3 "$db" "$@"; }
jget() {
	printf '%s' "$T_OUT" | python3 -c '
import json, sys
try:
    d = json.loads(sys.stdin.read())
    v = eval(sys.argv[1], {"d": d, "len": len, "sorted": sorted, "set": set})
except Exception as e:
    v = "error: %r" % (e,)
print(v if isinstance(v, str) else json.dumps(v))' "$1"
}

TOKEN_RE='^[a-km-np-z2-9]{12}\.[a-km-np-z2-9]{32}$'
ROUNDS=10

t_cmd 0 "init" -- la init
for u in own1 own2 own3 own4 shared target; do
	t_cmd -i "pass-of-$u" 0 "user add $u" -- la user add "$u" --password-stdin
done

# ---------------------------------------------------------------------
# Barrier.  A worker calls gate_wait: it says it is ready, then blocks
# opening the FIFO for reading.  release_gate N waits until N workers are
# ready and opens the FIFO for writing, which lets them all go at once; it
# stays open (so that no late opener can block) until close_gate.
new_gate() {
	rm -f "$tmp/gate" "$tmp"/ready.*
	mkfifo "$tmp/gate"
}
gate_wait() {
	: >"$tmp/ready.$BASHPID"
	exec 3<"$tmp/gate"
	exec 3<&-
}
n_ready() {
	local f n=0
	for f in "$tmp"/ready.*; do
		[ -e "$f" ] && n=$((n + 1))
	done
	echo "$n"
}
release_gate() {
	while [ "$(n_ready)" -lt "$1" ]; do
		sleep 0.01
	done
	sleep 0.05
	exec 9>"$tmp/gate"
}
close_gate() {
	exec 9>&-
}

# worker ID USER: ROUNDS x (login, validate, get); problems go to
# $tmp/w.ID.log, every stderr line to $tmp/w.ID.err, tokens to $tmp/w.ID.tok
worker() {
	local id=$1 user=$2 n tok out rc fail=0
	gate_wait
	for ((n = 1; n <= ROUNDS; n++)); do
		rc=0
		tok=$(printf '%s\n' "pass-of-$user" | la login --user "$user" --password-stdin \
			2>>"$tmp/w.$id.err") || rc=$?
		if [ "$rc" != 0 ] || ! printf '%s' "$tok" | grep -Eq "$TOKEN_RE"; then
			echo "round $n: login exit $rc, output '$tok'" >>"$tmp/w.$id.log"
			fail=1
			continue
		fi
		printf '%s\n' "${tok%%.*}" >>"$tmp/w.$id.tok"
		out=$(printf '%s\n' "$tok" | la session validate 2>>"$tmp/w.$id.err") || rc=$?
		if [ "$rc" != 0 ] || [[ $out != *"user $user "* ]]; then
			echo "round $n: validate exit $rc, output '$out'" >>"$tmp/w.$id.log"
			fail=1
		fi
		out=$(printf '%s\n' "$tok" | la session get 2>>"$tmp/w.$id.err") || rc=$?
		if [ "$rc" != 0 ] || [[ $out != *"user $user "* ]]; then
			echo "round $n: get exit $rc, output '$out'" >>"$tmp/w.$id.log"
			fail=1
		fi
	done
	exit "$fail"
}

diag "8 workers x $ROUNDS x (login + validate + get): own users and one shared user"
new_gate
pids=()
users=(own1 own2 own3 own4 shared shared shared shared)
for i in 0 1 2 3 4 5 6 7; do
	: >"$tmp/w.$i.err"
	: >"$tmp/w.$i.tok"
	worker "$i" "${users[$i]}" &
	pids+=($!)
done
start=$SECONDS
release_gate 8
for i in 0 1 2 3 4 5 6 7; do
	rc=0
	wait "${pids[$i]}" || rc=$?
	if [ "$rc" = 0 ]; then
		ok "worker $i (${users[$i]}): $ROUNDS logins, validates and gets all succeeded"
	else
		not_ok "worker $i (${users[$i]}): $ROUNDS logins, validates and gets all succeeded"
		diag "exit status $rc"
		[ -s "$tmp/w.$i.log" ] && diag "$(head -n 5 "$tmp/w.$i.log")"
		[ -s "$tmp/w.$i.err" ] && diag "stderr: $(head -n 5 "$tmp/w.$i.err")"
	fi
done
pids=()
close_gate
diag "workers took $((SECONDS - start)) s"
errs=$(cat "$tmp"/w.*.err)
if printf '%s' "$errs" | grep -Eiq 'busy|locked'; then
	not_ok "no 'busy' or 'locked' error from any worker"
	diag "$(printf '%s' "$errs" | grep -Ei 'busy|locked' | sort | uniq -c | head -n 5)"
else
	ok "no 'busy' or 'locked' error from any worker"
fi
is "$errs" "" "workers wrote nothing on stderr"
is "$(sort "$tmp"/w.*.tok | uniq -d)" "" "every session id handed out is unique"
is "$(sql "SELECT u.username || '=' || count(s.id) FROM users u LEFT JOIN sessions s
	ON s.user_id = u.id GROUP BY u.username ORDER BY u.username" | tr '\n' ' ')" \
	"own1=$ROUNDS own2=$ROUNDS own3=$ROUNDS own4=$ROUNDS shared=$((4 * ROUNDS)) target=0 " \
	"every session was recorded"
t_cmd 0 "user show shared --json" -- la user show shared --json
is "$(jget "[d['failures'], d['locked_until']]")" "[0, null]" "shared user: no failure counted"

# ---------------------------------------------------------------------
diag "8 concurrent user add: distinct uids"
# new user NAME: one "user add" waiting at the gate
adder() {
	gate_wait
	la user add "$1" --no-password --json >"$tmp/add.$1.out" 2>"$tmp/add.$1.err"
}
new_gate
pids=()
for i in 1 2 3 4 5 6 7 8; do
	adder "new$i" &
	pids+=($!)
done
release_gate 8
statuses=
for p in "${pids[@]}"; do
	rc=0
	wait "$p" || rc=$?
	statuses+="$rc "
done
pids=()
close_gate
is "$statuses" "0 0 0 0 0 0 0 0 " "8 concurrent user add: all exit 0"
[ "$statuses" = "0 0 0 0 0 0 0 0 " ] || diag "$(cat "$tmp"/add.*.err)"
is "$(sql "SELECT count(DISTINCT uid) || ' ' || count(*) FROM users WHERE username LIKE 'new%'")" \
	"8 8" "8 new users with 8 distinct uids"
is "$(sql "SELECT count(DISTINCT gid) FROM groups WHERE name LIKE 'new%'")" 8 \
	"8 private groups with distinct gids"

# ---------------------------------------------------------------------
diag "concurrent wrong-password logins (deny = 100): no lost update"
# bad_login N: one wrong-password login of "target" waiting at the gate
bad_login() {
	gate_wait
	printf '%s\n' "wrong-password-$1" |
		la login --user target --password-stdin >"$tmp/bad.$1.out" 2>"$tmp/bad.$1.err"
}
total=0
for round in 1 2 3; do
	new_gate
	pids=()
	for i in 1 2 3 4 5 6 7 8; do
		bad_login "$round.$i" &
		pids+=($!)
	done
	release_gate 8
	statuses=
	for p in "${pids[@]}"; do
		rc=0
		wait "$p" || rc=$?
		statuses+="$rc "
	done
	pids=()
	close_gate
	total=$((total + 8))
	is "$statuses" "1 1 1 1 1 1 1 1 " "round $round: 8 concurrent wrong-password logins exit 1"
	errs=$(cat "$tmp"/bad."$round".*.err)
	if printf '%s' "$errs" | grep -Eiq 'busy|locked|database'; then
		not_ok "round $round: only 'invalid username or password' messages"
		diag "$(printf '%s' "$errs" | sort | uniq -c)"
	else
		ok "round $round: only 'invalid username or password' messages"
	fi
	t_cmd 0 "round $round: user show target --json" -- la user show target --json
	is "$(jget "[d['failures'], d['locked_until']]")" "[$total, null]" \
		"round $round: failures == $total exactly (no lost update), not locked out"
done
t_cmd -i "pass-of-target" -o "$TOKEN_RE" 0 "target can still log in (below deny)" \
	-- la login --user target --password-stdin
t_cmd 0 "user show target --json after the success" -- la user show target --json
is "$(jget "d['failures']")" 0 "a successful login resets the failure counter"

is "$(sql 'PRAGMA integrity_check')" ok "integrity_check ok after the concurrent runs"
is "$(sql 'PRAGMA foreign_key_check')" "" "foreign_key_check clean"

done_testing

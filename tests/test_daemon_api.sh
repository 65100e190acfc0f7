#!/bin/bash
#
# test_daemon_api.sh - luciaauthd's JSON API, /auth and page over a real
# TCP port and a real Unix socket, with curl (TAP).
#
# Every endpoint with success and failure; idle renewal through the
# cookie; logout killing the session for every path (CLI, /auth); the
# lockout shared with the PAM module (pamtester + pam_wrapper, as in
# tests/demo.sh); hostile input (oversized bodies, malformed JSON, missing
# or foreign Origin, header injection in names, a flood of failed logins).
# The daemon runs on 127.0.0.1 with a port the kernel picks.

# shellcheck disable=SC2317
set -u
export LC_ALL=C

srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tap.sh
. "$srcdir/tests/tap.sh"
# shellcheck source=daemon_lib.sh
. "$srcdir/tests/daemon_lib.sh"

d_need
t_need curl
t_need sqlite3

tmp=$(mktemp -d "${TMPDIR:-/tmp}/luciaauthd-api.XXXXXXXX") || bail_out "mktemp failed"
trap 'd_stop_all; rm -rf "$tmp"; tap_cleanup' EXIT
chmod 700 "$tmp"
state=$tmp/state db=$tmp/state/luciaauth.db cfg=$tmp/d.conf sock=$tmp/http.sock
t_store "$tmp" "$cfg" "signup = open" "deny = 3" "password_min = 10" \
	"http_listen = 127.0.0.1:0" "http_socket = $sock" "http_cookie_secure = no" \
	"http_throttle = 1000" "http_threads = 2"
la() { "$LUCIAAUTH" --config "$cfg" "$@"; }
la init >/dev/null || bail_out "luciaauth init failed"
TOKEN_RE='^[a-km-np-z2-9]{12}\.[a-km-np-z2-9]{32}$'
PW='correct horse battery'

# ---- configuration -------------------------------------------------------
printf 'http_listen = 127.0.0.1:0\nhttp_bogus = 1\n' >"$tmp/bad.conf"
t_cmd -q -e 'unknown key .http_bogus.' 2 "an unknown key is refused (exit 2)" -- \
	"$LUCIAAUTHD" --config "$tmp/bad.conf" --check
t_write_config "$tmp/nostore.conf" "$tmp/none" "$tmp" "http_listen = 127.0.0.1:0"
t_cmd -q -e 'cannot open the store' 5 "a missing store is refused before serving (exit 5)" -- \
	"$LUCIAAUTHD" --config "$tmp/nostore.conf" --check
t_cmd -q 0 "--check accepts the test configuration" -- "$LUCIAAUTHD" --config "$cfg" --check

d_start "$cfg" "$tmp/d.log" || bail_out "luciaauthd did not start: $(cat "$tmp/d.log")"
main_pid=$D_PID
U=$D_URL
ok "luciaauthd serves on $U and on $sock"
sock_mode=$(stat -c %a "$sock" 2>/dev/null)
is "$sock_mode" 660 "the Unix socket has mode 0660 (http_socket_mode)"

# ---- page ----------------------------------------------------------------
hreq "$U/login"
hexpect 200 "GET /login serves the page"
like "$H_HEAD" 'Content-Security-Policy: default-src .none.' "the page has a strict CSP"
like "$H_BODY" 'id="form"' "the page has the sign-in form"
hreq "$U/login/app.js"
like "$H_HEAD" 'Content-Type: text/javascript' "the page's script is served"
hreq "$U/nope"
hexpect 404 "an unknown path is 404"

# ---- sign-up ---------------------------------------------------------------
jpost "$U/api/signup" '{"username":"alice","email":"alice@example.org","password":"'"$PW"'"}'
hexpect 201 "POST /api/signup creates alice"
like "$H_HEAD" 'Set-Cookie: auth_session=[^;]+; Path=/; HttpOnly; SameSite=Lax; Max-Age=[0-9]+$' \
	"the cookie is HttpOnly, SameSite=Lax, Path=/ (no Secure: http_cookie_secure = no)"
like "$(cookie_of)" "$TOKEN_RE" "the cookie holds a session token"
like "$H_BODY" '"username":"alice".*"email":"alice@example.org"' "the reply names the user"
t_cmd -o '^username: +alice' 0 "the CLI sees the new user" -- "$LUCIAAUTH" --config "$cfg" user show alice
jpost "$U/api/signup" '{"username":"alice","password":"'"$PW"'"}'
like "$H_CODE $H_BODY" '^409 .*not available' "signing up a taken name is 409"
jpost "$U/api/signup" '{"username":"bob","password":"short"}'
like "$H_CODE $H_BODY" '^400 .*password too short' "a short password: 400 'password too short'"
jpost "$U/api/signup" '{"username":"Bob!","password":"'"$PW"'"}'
like "$H_CODE $H_BODY" '^400 .*invalid username' "an invalid username is 400"
jpost "$U/api/signup" '{"username":"bob\r\nX-Evil: 1","password":"'"$PW"'"}'
like "$H_CODE $H_BODY" '^400 ' "CR LF in a username (header injection) is 400"
jpost "$U/api/signup" '{"username":"bob","email":"b@example.org\r\nX-Evil: 1","password":"'"$PW"'"}'
like "$H_CODE $H_BODY" '^400 ' "CR LF in an email (header injection) is 400"
t_cmd -q 3 "neither injected name became a user" -- "$LUCIAAUTH" --config "$cfg" user show bob

# ---- sign-in ---------------------------------------------------------------
jpost "$U/api/login" '{"identifier":"alice","password":"'"$PW"'"}'
hexpect 200 "POST /api/login by username"
tok=$(cookie_of)
like "$tok" "$TOKEN_RE" "login sets a session cookie"
like "$(la --json session list alice)" '"source":"web".*"rhost":"127\.0\.0\.1"' \
	"a web session records its source and the client's address"
jpost "$U/api/login" '{"identifier":"ALICE@example.org","password":"'"$PW"'","token":true}'
hexpect 200 "POST /api/login by email"
like "$H_BODY" '"token":"[a-z0-9]{12}\.[a-z0-9]{32}"' "\"token\": true returns the token for API clients"
jpost "$U/api/login" '{"identifier":"nobody","password":"'"$PW"'"}'
msg_nouser=$H_BODY
like "$H_CODE $H_BODY" '^401 .*invalid username or password' "an unknown user: 401, generic message"
jpost "$U/api/login" '{"identifier":"alice","password":"wrong password"}'
like "$H_CODE" '^401$' "a wrong password: 401"
is "$H_BODY" "$msg_nouser" "wrong password and unknown user get the same answer"

# ---- session and /auth -------------------------------------------------------
hreq -b "auth_session=$tok" "$U/api/session"
like "$H_CODE $H_BODY" '^200 .*"username":"alice".*"state":"active"' "GET /api/session with the cookie"
hreq -H "Authorization: Bearer $tok" "$U/api/session"
hexpect 200 "GET /api/session with Authorization: Bearer"
hreq "$U/api/session"
hexpect 401 "GET /api/session without a token is 401"
hreq -b "auth_session=aaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" "$U/api/session"
hexpect 401 "a made-up token is 401"
hreq -b "auth_session=$(printf 'x%.0s' {1..500})" "$U/auth"
hexpect 401 "an overlong cookie is 401"
hreq -b "auth_session=$tok" "$U/auth"
hexpect 204 "GET /auth with the cookie is 204"
like "$H_HEAD" $'X-Auth-User: alice' "X-Auth-User names the user"
like "$H_HEAD" 'X-Auth-Uid: 10000' "X-Auth-Uid carries the uid"
like "$H_HEAD" 'X-Auth-Email: alice@example.org' "X-Auth-Email carries the email"
hreq "$U/auth"
hexpect 401 "GET /auth without a cookie is 401"
hreq --unix-socket "$sock" -H "Authorization: Bearer $tok" http://localhost/auth
hexpect 204 "GET /auth over the Unix socket with a Bearer token"

# A token of the CLI (as pam_luciaauth puts in LUCIAAUTH_SESSION) works as Bearer.
cli_tok=$(printf '%s\n' "$PW" | la login --user alice --password-stdin)
hreq -H "Authorization: Bearer $cli_tok" "$U/auth"
hexpect 204 "a token made by 'luciaauth login' is accepted as Bearer"

# ---- idle renewal through the cookie ---------------------------------------------
sid=${tok%%.*}
alpha=abcdefghijkmnpqrstuvwxyz23456789 key=0
for ((i = 0; i < ${#sid}; i++)); do
	rest=${alpha%%"${sid:i:1}"*}
	key=$(((key << 5) | ${#rest}))
done
now_ms=$(($(date +%s) * 1000))
sqlite3 "$db" "UPDATE sessions SET active_expires = $((now_ms - 60000)) WHERE id = $key"
hreq -b "auth_session=$tok" "$U/api/session"
like "$H_CODE $H_BODY" '^200 .*"fresh":true' "an idle session is renewed by GET /api/session (fresh)"
like "$(cookie_of)" "^$tok\$" "the renewal refreshes the cookie (same token, new Max-Age)"
ae=$(sqlite3 "$db" "SELECT active_expires FROM sessions WHERE id = $key")
check "the renewed session is active again in the store" test "$ae" -gt "$now_ms"
hreq -b "auth_session=$tok" "$U/api/session"
like "$H_CODE $H_BODY" '^200 .*"fresh":false' "an active session is not renewed again"

# ---- logout kills the session everywhere ------------------------------------------
hreq -X POST -H "Origin: $U" -b "auth_session=$tok" "$U/api/logout"
hexpect 200 "POST /api/logout"
like "$H_HEAD" 'Set-Cookie: auth_session=; .*Max-Age=0' "logout clears the cookie"
hreq -b "auth_session=$tok" "$U/auth"
hexpect 401 "after logout /auth refuses the token"
hreq -b "auth_session=$tok" "$U/api/session"
hexpect 401 "after logout /api/session refuses the token"
t_cmd -q -i "$tok" -S 1 "after logout the CLI refuses the token" -- \
	"$LUCIAAUTH" --config "$cfg" session validate
hreq -X POST -H "Origin: $U" -b "auth_session=$tok" "$U/api/logout"
hexpect 401 "a second logout is 401"
printf '%s\n' "$cli_tok" | la session revoke >/dev/null
hreq -H "Authorization: Bearer $cli_tok" "$U/auth"
hexpect 401 "a session revoked by the CLI is refused by /auth"

# ---- Origin, content type, size, JSON, methods --------------------------------------
printf '%s' '{"identifier":"alice","password":"x"}' >"$tmp/login.json"
hreq -X POST -H 'Content-Type: application/json' --data-binary @"$tmp/login.json" "$U/api/login"
like "$H_CODE $H_BODY" '^403 .*origin' "POST without Origin is 403"
hreq -X POST -H 'Origin: http://evil.example' -H 'Content-Type: application/json' \
	--data-binary @"$tmp/login.json" "$U/api/login"
hexpect 403 "POST with a foreign Origin is 403"
hreq -X POST -H 'Origin: http://evil.example' -b "auth_session=$cli_tok" "$U/api/logout"
hexpect 403 "logout with a foreign Origin is 403"
hreq -X POST -H "Origin: $U" -H 'Content-Type: text/plain' --data-binary @"$tmp/login.json" \
	"$U/api/login"
hexpect 415 "a non-JSON content type is 415"
head -c 100000 /dev/zero | tr '\0' 'a' >"$tmp/big"
jpost "$U/api/login" "$(cat "$tmp/big")"
hexpect 413 "a 100 kB body is 413"
hreq -X POST -H "Origin: $U" -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
	--data-binary @"$tmp/big" "$U/api/login"
hexpect 413 "a chunked oversized body is 413"
for bad in '{"identifier":"alice","password":' '["alice","x"]' '{"identifier":"alice","password":1}' \
	'{"identifier":"alice","password":"x"} trailing' '' '{"identifier":"alice"}' \
	'{"identifier":"al\u0000ice","password":"x"}'; do
	jpost "$U/api/login" "$bad"
	like "$H_CODE $H_BODY" '^400 .*malformed request' "malformed JSON is 400: ${bad:0:40}"
done
hreq "$U/api/login"
hexpect 405 "GET /api/login is 405"
hreq -X POST -H "Origin: $U" "$U/auth"
hexpect 405 "POST /auth is 405"
hreq -X DELETE "$U/api/session"
hexpect 405 "DELETE is 405"

# ---- lockout shared with PAM ----------------------------------------------------------
pam_so=${abs_top_builddir:-$srcdir}/pam_module/.libs/pam_luciaauth.so
pam_ok=1
command -v pamtester >/dev/null || pam_ok=0
[ -z "$(LD_PRELOAD=libpam_wrapper.so env true 2>&1)" ] || pam_ok=0
[ -f "$pam_so" ] || pam_ok=0
# A module built with ASan needs the ASan runtime preloaded first in pamtester.
pam_preload=libpam_wrapper.so
if [ "$pam_ok" = 1 ] && command -v readelf >/dev/null &&
	readelf -d "$pam_so" 2>/dev/null | grep -q 'NEEDED.*libasan'; then
	asan_rt=$(${CC:-gcc} -print-file-name=libasan.so 2>/dev/null)
	if [ -f "$asan_rt" ]; then
		pam_preload="$asan_rt libpam_wrapper.so"
		export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
	else
		pam_ok=0
	fi
fi
printf '%s\n' "$PW" | la user add bob --password-stdin >/dev/null
printf '%s\n' "$PW" | la user add carol --password-stdin >/dev/null
if [ "$pam_ok" = 1 ]; then
	mkdir "$tmp/pam.d"
	printf 'auth required %s config=%s nodelay\naccount required %s config=%s\n' \
		"$pam_so" "$cfg" "$pam_so" "$cfg" >"$tmp/pam.d/luciaauthd-test"
	pt() {
		printf '%s\n' "$2" | LD_PRELOAD="$pam_preload" PAM_WRAPPER=1 \
			PAM_WRAPPER_SERVICE_DIR="$tmp/pam.d" pamtester luciaauthd-test "$1" authenticate \
			>/dev/null 2>&1
	}
	check "PAM accepts bob's password before any failure" pt bob "$PW"
	for i in 1 2 3; do
		jpost "$U/api/login" '{"identifier":"bob","password":"wrong password"}'
	done
	hexpect 401 "three wrong passwords through the API"
	jpost "$U/api/login" '{"identifier":"bob","password":"'"$PW"'"}'
	hexpect 401 "bob is locked out: the API refuses even the right password"
	t_cmd -o 'locked out' 0 "the store records bob's lockout" -- la user show bob
	check "PAM refuses bob's right password: the API's failures locked him out" \
		eval '! pt bob "$PW"'
	for i in 1 2 3; do pt carol "wrong password"; done
	check "three wrong passwords for carol through PAM" true
	jpost "$U/api/login" '{"identifier":"carol","password":"'"$PW"'"}'
	hexpect 401 "the API refuses carol's right password: PAM's failures locked her out"
else
	for i in 1 2 3 4 5 6 7 8; do
		skip "pamtester, pam_wrapper or the built module missing" "lockout shared with PAM ($i)"
	done
fi

# ---- a flood of failed logins from one address ------------------------------------------
t_write_config "$tmp/t.conf" "$state" "$tmp" "deny = 0" "http_listen = 127.0.0.1:0" \
	"http_socket =" "http_cookie_secure = no" "http_throttle = 5" "http_throttle_interval = 1h"
d_start "$tmp/t.conf" "$tmp/t.log" || bail_out "second luciaauthd did not start"
flood_pid=$D_PID
{
	for i in $(seq 2000); do
		[ "$i" = 1 ] || echo next
		printf 'url = "%s/api/login"\nrequest = "POST"\nheader = "Origin: %s"\n' "$D_URL" "$D_URL"
		printf 'header = "Content-Type: application/json"\n'
		printf 'data = "{\\"identifier\\":\\"carol\\",\\"password\\":\\"nope%d\\"}"\n' "$i"
		printf 'output = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n'
	done
} >"$tmp/flood.cfg"
codes=$(curl -s --max-time 120 --config "$tmp/flood.cfg" | sort | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')
is "$codes" "401x5 429x1995 " "2000 failed logins from one address: 5 answered, then 429"
hreq -X POST -H "Origin: $D_URL" -H 'Content-Type: application/json' \
	--data-binary @"$tmp/login.json" "$D_URL/api/login"
like "$H_HEAD" 'Retry-After: [0-9]+' "a throttled reply says when to retry"
check "the daemon is still up after the flood" kill -0 "$flood_pid"
hreq -H "Authorization: Bearer nothing" "$D_URL/auth"
hexpect 401 "and still answers /auth (throttling is for sign-ins only)"
d_stop "$flood_pid"

# ---- the main daemon survived everything; nothing secret was logged ------------------------
check "the main daemon is still running" kill -0 "$main_pid"
[ "$TAP_FAILED" = 0 ] || diag "daemon log:" "$(cat "$tmp/d.log")"
d_stop "$main_pid"
check "SIGTERM removes the Unix socket" test ! -e "$sock"
logs=$(cat "$tmp/d.log" "$tmp/t.log")
check "no password in the daemon's log" eval '! grep -q -e "$PW" -e "wrong password" <<<"$logs"'
check "no token in the daemon's log" eval '! grep -Eq "[a-z0-9]{12}\.[a-z0-9]{32}" <<<"$logs"'
check "the store is intact" test "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok

done_testing

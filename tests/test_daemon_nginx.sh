#!/bin/bash
#
# test_daemon_nginx.sh - a real nginx (the Debian package) protecting a
# static page with auth_request against luciaauthd (TAP).
#
# The test starts its own nginx, by PID, with its own prefix and
# configuration in a temporary directory, on a free 127.0.0.1 port
# (`-p PREFIX -c CONF -g 'daemon off; pid ...;'`), talking to luciaauthd
# over a Unix socket, and stops both.  The host's nginx is never touched.
#
# Shows: a 302 to the login page without a cookie; the page through nginx;
# sign-in through nginx's /api/ proxy; the protected page with the cookie,
# with the user's name passed on by auth_request_set; a Bearer token; the
# page gone again after logout; /auth not reachable from outside.

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
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
[ -x "$NGINX" ] || skip_all "nginx not found (package nginx)"
"$NGINX" -V 2>&1 | grep -q -e 'http_auth_request_module' ||
	skip_all "this nginx has no auth_request module"
command -v python3 >/dev/null || skip_all "python3 not found (used to pick a free port)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/luciaauthd-nginx.XXXXXXXX") || bail_out "mktemp failed"
nginx_pid=
stop_nginx() {
	[ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
	nginx_pid=
}
trap 'stop_nginx; d_stop_all; rm -rf "$tmp"; tap_cleanup' EXIT
chmod 700 "$tmp"
state=$tmp/state cfg=$tmp/d.conf sock=$tmp/http.sock
t_store "$tmp" "$cfg" "http_listen =" "http_socket = $sock" \
	"http_cookie_secure = no" "http_throttle = 1000"
la() { "$LUCIAAUTH" --config "$cfg" "$@"; }
la init >/dev/null || bail_out "luciaauth init failed"
PW='correct horse battery'
printf '%s\n' "$PW" | la user add alice --email alice@example.org --password-stdin >/dev/null

# luciaauthd on the Unix socket only (no TCP port: d_start finds none).
"$LUCIAAUTHD" --config "$cfg" 2>"$tmp/d.log" &
D_PIDS+=("$!")
for ((i = 0; i < 200; i++)); do
	[ -S "$sock" ] && break
	sleep 0.05
done
[ -S "$sock" ] || bail_out "luciaauthd did not start: $(cat "$tmp/d.log")"

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

mkdir -p "$tmp/nginx/logs" "$tmp/www"
echo '<h1>Secret page</h1>' >"$tmp/www/index.html"
write_nginx_conf() {
	# root only: then nginx's workers run as root too, so that they can
	# reach the socket (mode 0660) in the test's private directory.
	cat >"$tmp/nginx/nginx.conf" <<CONF
$([ "$(id -u)" = 0 ] && echo 'user root;')
worker_processes 1;
error_log $tmp/nginx/logs/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    upstream luciaauthd { server unix:$sock; }
    server {
        listen 127.0.0.1:$1;
        root $tmp/www;

        # The protected application: one line plus a redirect to sign in.
        location / {
            auth_request /auth;
            auth_request_set \$auth_user \$upstream_http_x_auth_user;
            add_header X-App-User \$auth_user always;
            auth_request_set \$auth_cookie \$upstream_http_set_cookie;
            add_header Set-Cookie \$auth_cookie;
            error_page 401 = @login;
        }
        location = /auth {
            internal;
            proxy_pass http://luciaauthd/auth;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
        }
        location @login {
            return 302 /login?next=\$request_uri;
        }
        # luciaauthd's page and API, same origin as the application.
        location /login { proxy_pass http://luciaauthd; proxy_set_header Host \$http_host; }
        location /api/ { proxy_pass http://luciaauthd; proxy_set_header Host \$http_host; }
    }
}
CONF
}

for attempt in 1 2 3; do
	NPORT=$(free_port)
	write_nginx_conf "$NPORT"
	"$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/logs/error.log" \
		-g "daemon off; pid $tmp/nginx/nginx.pid;" 2>>"$tmp/nginx/stderr" &
	nginx_pid=$!
	for ((i = 0; i < 100; i++)); do
		curl -s -o /dev/null "http://127.0.0.1:$NPORT/login" && break
		kill -0 "$nginx_pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$nginx_pid" 2>/dev/null && break
	nginx_pid=
done
[ -n "$nginx_pid" ] ||
	bail_out "nginx did not start: $(cat "$tmp/nginx/stderr" "$tmp/nginx/logs/error.log" 2>/dev/null)"
N=http://127.0.0.1:$NPORT
D_URL=$N # the Origin of the requests below
ok "nginx (pid $nginx_pid) runs on $N in front of luciaauthd on $sock"

hreq "$N/"
hexpect 302 "without a cookie the protected page redirects"
like "$H_HEAD" "^Location: $N/login\\?next=/\$" "... to the sign-in page, with the way back"
hreq "$N/login"
hexpect 200 "the sign-in page through nginx"
like "$H_BODY" 'id="form"' "it is luciaauthd's page"

jpost "$N/api/login" '{"identifier":"alice","password":"wrong password"}'
hexpect 401 "a wrong password through nginx is 401"
jpost "$N/api/login" '{"identifier":"alice@example.org","password":"'"$PW"'"}'
hexpect 200 "sign-in through nginx's /api/ proxy"
tok=$(cookie_of)
like "$tok" '^[a-z0-9]{12}\.[a-z0-9]{32}$' "the cookie comes back through nginx"

hreq -b "auth_session=$tok" "$N/"
hexpect 200 "with the cookie nginx serves the protected page"
like "$H_BODY" 'Secret page' "the page is the application's"
like "$H_HEAD" '^X-App-User: alice$' "auth_request_set passes X-Auth-User on to the application"
if command -v sqlite3 >/dev/null; then
	# Make the session idle: /auth renews it and nginx passes the new cookie
	# on.  (The file itself: "/" would be redirected internally to
	# /index.html, a second auth_request that finds the session active.)
	sid=${tok%%.*} alpha=abcdefghijkmnpqrstuvwxyz23456789 key=0
	for ((i = 0; i < ${#sid}; i++)); do
		rest=${alpha%%"${sid:i:1}"*}
		key=$(((key << 5) | ${#rest}))
	done
	sqlite3 "$state/luciaauth.db" \
		"UPDATE sessions SET active_expires = $(($(date +%s) * 1000 - 60000)) WHERE id = $key"
	hreq -b "auth_session=$tok" "$N/index.html"
	like "$H_HEAD" "^Set-Cookie: auth_session=$tok; .*Max-Age=" \
		"an idle session is renewed through nginx, which passes the refreshed cookie on"
else
	skip "sqlite3 not found" "an idle session is renewed through nginx"
fi
hreq -H "Authorization: Bearer $tok" "$N/index.html"
hexpect 200 "a Bearer token works through nginx too"
hreq -b "auth_session=$tok" "$N/auth"
hexpect 404 "/auth is internal: not reachable from outside"
hreq -b "auth_session=aaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" "$N/"
hexpect 302 "a made-up cookie is redirected to sign in"

hreq -X POST -H 'Origin: http://evil.example' -b "auth_session=$tok" "$N/api/logout"
hexpect 403 "logout from a foreign Origin is refused through nginx"
hreq -b "auth_session=$tok" "$N/"
hexpect 200 "... and the session still works"
hreq -X POST -H "Origin: $N" -b "auth_session=$tok" "$N/api/logout"
hexpect 200 "logout through nginx"
hreq -b "auth_session=$tok" "$N/"
hexpect 302 "after logout the protected page is gone again"
hreq -H "Authorization: Bearer $tok" "$N/"
hexpect 302 "... for the Bearer token as well"

check "nginx is still running" kill -0 "$nginx_pid"
stop_nginx
check "nginx stopped (by its PID)" eval '! curl -s -o /dev/null "$N/login"'
d_stop_all
check "luciaauthd stopped and removed its socket" test ! -e "$sock"
done_testing

#!/usr/bin/env bash
# run-daemon.sh [BUILD-DIR] - GET /auth under load: luciaauthd vs Lucia v2.
#
# wrk (Debian package wrk) sends GET /auth with a valid session cookie to
#   luciaauthd      built in BUILD-DIR (default _build), one run per
#                   thread-pool size in LD_THREADS (default "1 2 4")
#   Lucia v2        bench/lucia/auth-server.mjs: a minimal Node HTTP server
#                   doing the same check with auth.validateSession() on
#                   better-sqlite3 (one Node process, as such apps run)
# in the same run, on 127.0.0.1, and reports requests/s and p99 latency of
# each and the ratio of the best luciaauthd run to Lucia (target >= 3x).
#
# Environment: DURATION (wrk -d, default 10s), CONNECTIONS (wrk -c,
# default 64), WRK_THREADS (wrk -t, default 2), LD_THREADS.
# Exit status 77 when wrk, node or the Lucia packages are missing.
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
build=$(cd "${1:-$top/_build}" && pwd)
: "${DURATION:=10s}" "${CONNECTIONS:=64}" "${WRK_THREADS:=2}" "${LD_THREADS:=1 2 4}"
daemon=$build/daemon/luciaauthd cli=$build/tools/luciaauth

skip() {
	printf 'run-daemon.sh: SKIP: %s\n' "$*" >&2
	exit 77
}
[ -x "$daemon" ] || skip "$daemon not built (libmicrohttpd-dev)"
command -v wrk >/dev/null || skip "wrk not found (package wrk)"
command -v node >/dev/null || skip "node not found"
if ! (cd "$here/lucia" && node -e 'require("better-sqlite3"); require.resolve("lucia")') 2>/dev/null; then
	(cd "$here/lucia" && npm install --no-audit --no-fund --legacy-peer-deps >/dev/null 2>&1) ||
		skip "npm install in bench/lucia failed"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/luciaauthd-bench.XXXXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
chmod 700 "$tmp"

# A store like production: default hashing cost does not matter here
# (no password is checked under load), WAL and synchronous=NORMAL.
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$tmp/passwd"
printf 'root:x:0:\n' >"$tmp/group"
write_conf() {
	cat >"$tmp/d.conf" <<CONF
dir = $tmp/state
passwd_file = $tmp/passwd
group_file = $tmp/group
hash_mem_kib = 64
hash_ops = 1
http_listen = 127.0.0.1:0
http_socket =
http_cookie_secure = no
http_threads = $1
CONF
}
write_conf 1
"$cli" --config "$tmp/d.conf" init >/dev/null
printf 'correct horse battery\n' | "$cli" --config "$tmp/d.conf" user add alice --password-stdin >/dev/null
token=$(printf 'correct horse battery\n' | "$cli" --config "$tmp/d.conf" login --user alice --password-stdin)

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# run_wrk NAME URL COOKIE: prints "NAME rps p99" and keeps wrk's report.
run_wrk() {
	local name=$1 url=$2 cookie=$3 out code
	code=$(curl -s -o /dev/null -w '%{http_code}' -b "auth_session=$cookie" "$url")
	[ "$code" = 204 ] || { echo "run-daemon.sh: $name answered $code, not 204" >&2; exit 1; }
	out=$(wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
		-H "Cookie: auth_session=$cookie" "$url")
	printf '%s\n' "$out" >"$tmp/wrk-$name.txt"
	if grep -q 'Non-2xx' <<<"$out"; then
		echo "run-daemon.sh: $name gave non-2xx answers under load" >&2
		grep 'Non-2xx' <<<"$out" >&2
	fi
	printf '%s %s %s\n' "$name" "$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")" \
		"$(awk '$1 == "99%" {print $2}' <<<"$out")"
}

results=()
for n in $LD_THREADS; do
	write_conf "$n"
	"$daemon" --config "$tmp/d.conf" 2>"$tmp/d.log" &
	pid=$!
	pids+=("$pid")
	for ((i = 0; i < 100; i++)); do grep -q 'serving' "$tmp/d.log" && break; sleep 0.05; done
	port=$(sed -n 's|.* on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$tmp/d.log")
	results+=("$(run_wrk "luciaauthd-$n-threads" "http://127.0.0.1:$port/auth" "$token")")
	kill "$pid" && wait "$pid" 2>/dev/null || true
done

mkdir "$tmp/lucia"
lport=$(free_port)
: >"$tmp/lucia.out"
node "$here/lucia/auth-server.mjs" "$tmp/lucia" "$lport" >"$tmp/lucia.out" 2>&1 &
pids+=("$!")
for ((i = 0; i < 200; i++)); do grep -q '^ready' "$tmp/lucia.out" && break; sleep 0.05; done
lsid=$(awk '/^ready/ {print $2}' "$tmp/lucia.out")
[ -n "$lsid" ] || { cat "$tmp/lucia.out" >&2; exit 1; }
results+=("$(run_wrk lucia-v2-node "http://127.0.0.1:$lport/auth" "$lsid")")

printf '\nGET /auth with a valid cookie: wrk -t%s -c%s -d%s on %s cores (%s)\n' \
	"$WRK_THREADS" "$CONNECTIONS" "$DURATION" "$(nproc)" "$(uname -m)"
printf '%-26s %12s %10s\n' server requests/s p99
best=0 lucia=0
for r in "${results[@]}"; do
	read -r name rps p99 <<<"$r"
	printf '%-26s %12s %10s\n' "$name" "$rps" "$p99"
	case $name in
	lucia-v2*) lucia=$rps ;;
	*) best=$(awk -v a="$best" -v b="$rps" 'BEGIN { print (b > a) ? b : a }') ;;
	esac
done
awk -v a="$best" -v b="$lucia" 'BEGIN {
	if (b > 0) printf "best luciaauthd / Lucia v2: %.2fx (target >= 3x)\n", a / b }'

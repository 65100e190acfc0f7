#!/bin/bash
#
# test_daemon_browser.sh - luciaauthd's sign-in page in a real browser:
# headless Chromium (Debian package chromium) driven by playwright-core
# from npm, which is installed once into the build tree (no browser is
# downloaded).  Screenshots of every state go to
# tests/test_daemon_browser.out/ in the build directory (TAP).

# shellcheck disable=SC2317
set -u
export LC_ALL=C

srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=tap.sh
. "$srcdir/tests/tap.sh"
# shellcheck source=daemon_lib.sh
. "$srcdir/tests/daemon_lib.sh"

d_need
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip_all "chromium not found (package chromium)"
command -v node >/dev/null || skip_all "node not found"
command -v npm >/dev/null || skip_all "npm not found"

# playwright-core, once per build tree (network to the npm registry).
nodedir=$builddir/tests/browser-node
if [ ! -f "$nodedir/node_modules/playwright-core/package.json" ]; then
	mkdir -p "$nodedir"
	cp "$srcdir/tests/browser/package.json" "$nodedir/package.json"
	(cd "$nodedir" && npm install --no-audit --no-fund --loglevel=error >"$nodedir/npm.log" 2>&1) ||
		skip_all "npm install playwright-core failed (no network?): $(tail -n1 "$nodedir/npm.log")"
fi
cp "$srcdir/tests/browser/browser.mjs" "$nodedir/browser.mjs"

out=$builddir/tests/test_daemon_browser.out
rm -rf "$out"
mkdir -p "$out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/luciaauthd-browser.XXXXXXXX") || bail_out "mktemp failed"
trap 'd_stop_all; rm -rf "$tmp"; tap_cleanup' EXIT
chmod 700 "$tmp"
cfg=$tmp/d.conf
t_store "$tmp" "$cfg" "signup = open" "password_min = 10" \
	"http_listen = 127.0.0.1:0" "http_socket =" "http_cookie_secure = no"
"$LUCIAAUTH" --config "$cfg" init >/dev/null || bail_out "luciaauth init failed"
d_start "$cfg" "$tmp/d.log" || bail_out "luciaauthd did not start: $(cat "$tmp/d.log")"
ok "luciaauthd serves on $D_URL"

CHROMIUM=$CHROMIUM timeout 180 node "$nodedir/browser.mjs" "$D_URL" "$out" >"$tmp/browser.log" 2>&1
rc=$?
while IFS= read -r line; do
	case $line in
	PASS\ *) ok "${line#PASS }" ;;
	FAIL\ *) not_ok "${line#FAIL }" ;;
	*) diag "$line" ;;
	esac
done <"$tmp/browser.log"
[ "$rc" = 0 ] || [ "$TAP_FAILED" != 0 ] || not_ok "the browser run failed (exit $rc)"
n=$(find "$out" -name '*.png' | wc -l)
is "$n" 8 "eight screenshots in $out"
check "the user signed up in the browser is in the store" \
	eval '"$LUCIAAUTH" --config "$cfg" user show dana >/dev/null'
check "the daemon is still running" kill -0 "$D_PID"
done_testing

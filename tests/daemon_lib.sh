# shellcheck shell=bash
#
# daemon_lib.sh - helpers shared by the luciaauthd tests (source after
# tap.sh).  Every daemon runs on 127.0.0.1 with port 0 (the kernel picks a
# free one; luciaauthd prints it) and is stopped by its PID.
#
#   d_need                     skip_all unless luciaauthd is built
#   d_start CONFIG LOG         start luciaauthd; sets D_PID, D_PORT, D_URL
#   d_stop PID                 SIGTERM and wait
#   hreq [curl args...] URL    one request; H_CODE, H_HEAD (no CRs), H_BODY
#   jpost URL JSON [args...]   POST JSON from a file (so that passwords
#                              stay out of curl's argv) with a good
#                              Origin (D_URL) and content type
#   cookie_of                  the auth_session value set by the last reply

: "${LUCIAAUTHD:=$builddir/daemon/luciaauthd}"
D_PIDS=()

d_need() {
	[ -x "$LUCIAAUTHD" ] || skip_all "luciaauthd not built (libmicrohttpd-dev missing?)"
}

d_start() {
	local cfg=$1 log=$2 i
	"$LUCIAAUTHD" --config "$cfg" 2>"$log" &
	D_PID=$!
	D_PIDS+=("$D_PID")
	for ((i = 0; i < 200; i++)); do
		grep -q 'serving store' "$log" && break
		kill -0 "$D_PID" 2>/dev/null || return 1
		sleep 0.05
	done
	D_PORT=$(sed -n 's|.* on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$log" | head -n1)
	D_URL=http://127.0.0.1:$D_PORT
	[ -n "$D_PORT" ]
}

d_stop() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

d_stop_all() {
	local p
	for p in "${D_PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	D_PIDS=()
}

hreq() {
	local dir=${TAP_WORK:-/tmp}
	H_CODE=$(curl -s -o "$dir/h.body" -D "$dir/h.head" -w '%{http_code}' --max-time 20 "$@") ||
		H_CODE=${H_CODE:-000}
	H_HEAD=$(tr -d '\r' <"$dir/h.head" 2>/dev/null)
	H_BODY=$(cat "$dir/h.body" 2>/dev/null)
	rm -f "$dir/h.body" "$dir/h.head"
}

jpost() {
	local url=$1 json=$2 f=${TAP_WORK:-/tmp}/h.json
	shift 2
	printf '%s' "$json" >"$f"
	hreq -X POST -H "Origin: $D_URL" -H 'Content-Type: application/json' \
		--data-binary @"$f" "$@" "$url"
	rm -f "$f"
}

cookie_of() {
	printf '%s\n' "$H_HEAD" | sed -n 's/^Set-Cookie: auth_session=\([^;]*\);.*/\1/Ip' | head -n1
}

# hexpect CODE DESC: one test point on H_CODE, with the reply as diagnostics.
hexpect() {
	if [ "$H_CODE" = "$1" ]; then
		ok "$2"
	else
		not_ok "$2"
		diag "status $H_CODE, expected $1" "$H_HEAD" "$H_BODY"
	fi
}

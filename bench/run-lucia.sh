#!/usr/bin/env bash
# Reference run of Lucia v2 (Node + better-sqlite3) for the side-by-side ratios of SPEC §7.
#
# Usage: bench/run-lucia.sh [OUTDIR] [-- BENCH_ARGS...]
#   OUTDIR      where lucia.jsonl is written (default: bench/results/)
#   BENCH_ARGS  passed to bench/lucia/bench.mjs, e.g. -- --sync full --n 50000
# Environment: LUCIA_BENCH_SYNC (normal|full|off), LUCIA_BENCH_JOURNAL, LUCIA_BENCH_N, ... (see bench.mjs)
#
# Installs lucia@2, @lucia-auth/adapter-sqlite@2 and better-sqlite3@12 into bench/lucia/node_modules
# when missing (needs the npm registry; better-sqlite3 is compiled from source by node-gyp when no
# prebuilt binary can be downloaded, which needs python3, make and a C++ compiler).
# Exit status 77 (automake "skipped") when node/npm are missing or the install fails.

set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
pkgdir="$here/lucia"
outdir="$here/results"
if [[ $# -gt 0 && $1 != -- ]]; then
	outdir=$1
	shift
fi
if [[ $# -gt 0 && $1 == -- ]]; then
	shift
fi

skip() {
	printf 'run-lucia.sh: SKIP: %s\n' "$*" >&2
	exit 77
}

command -v node >/dev/null 2>&1 || skip "node not found (Node.js >= 20 is needed for better-sqlite3 12)"
command -v npm >/dev/null 2>&1 || skip "npm not found"
node_major=$(node -p 'process.versions.node.split(".")[0]')
if ((node_major < 20)); then
	skip "Node.js $(node --version) is too old; better-sqlite3 12 needs >= 20"
fi

# True when the three packages resolve and the native better-sqlite3 addon loads.
deps_ok() {
	(cd "$pkgdir" && node --input-type=module -e '
		import "lucia";
		import "@lucia-auth/adapter-sqlite";
		import Database from "better-sqlite3";
		new Database(":memory:").close();
	') >/dev/null 2>&1
}

mkdir -p "$outdir"
log="$outdir/lucia-npm-install.log"

if ! deps_ok; then
	printf 'run-lucia.sh: installing lucia@2, @lucia-auth/adapter-sqlite@2, better-sqlite3@12 (log: %s)\n' "$log" >&2
	# --legacy-peer-deps: the adapter declares better-sqlite3 8.x-9.x (and @libsql/client) as peers.
	# package.json's allowScripts approves better-sqlite3's install script for npm versions that
	# block dependency scripts by default.
	if ! (cd "$pkgdir" && npm install --no-audit --no-fund --legacy-peer-deps) >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		skip "npm install failed (see $log)"
	fi
	if ! deps_ok; then
		# Install script skipped, or the prebuilt binary does not fit: compile it here.
		printf 'run-lucia.sh: building better-sqlite3 from source\n' >&2
		if ! (cd "$pkgdir" && npm rebuild better-sqlite3 --build-from-source) >>"$log" 2>&1; then
			tail -n 20 "$log" >&2
			skip "building better-sqlite3 failed (see $log)"
		fi
	fi
	deps_ok || skip "better-sqlite3 does not load after installing (see $log)"
fi

out="$outdir/lucia.jsonl"
tmp=$(mktemp "$outdir/.lucia.jsonl.XXXXXX")
trap 'rm -f -- "$tmp"' EXIT
chmod 0644 "$tmp"
# JSON lines on stdout go to the results file; the settings and the table on stderr go to the terminal.
(cd "$pkgdir" && node bench.mjs "$@") >"$tmp"
mv -f -- "$tmp" "$out"
trap - EXIT
printf 'run-lucia.sh: wrote %s\n' "$out" >&2

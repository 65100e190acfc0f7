#!/usr/bin/env bash
# Timing of a failed sign-in: an unknown user against a wrong password for a
# known user, through PAM and through the CLI (issue 5).
#
# Usage: bench/run-timing.sh BUILD_DIR [OUTDIR]
#   BUILD_DIR  a configured build tree in which `make` has built
#              pam_module/pam_luciaauth.la, tools/luciaauth and bench/bench_timing
#   OUTDIR     results (default: bench/results/ next to this script)
#
# Runs BUILD_DIR/bench/bench_timing (see the comment at the top of
# bench/bench_timing.c): N rounds, each one failed sign-in of both kinds in
# alternating order, through pam_authenticate (the built module, loaded by
# libpam from a private service directory, nodelay) and through the whole
# `luciaauth login --user NAME --password-stdin` process; the store has every
# default but deny = 1000, so that lockout never kicks in.  Prints per path
# the median, p10 and p90 of both cases and the ratio of the medians
# (target: within 10 %).
#
# Environment:
#   BENCH_TIMING_N       rounds per path (default 200, at most 395)
#   BENCH_TIMING_WARMUP  rounds not timed first (default 5)
#   BENCH_STRICT         1 = exit 1 when a ratio is more than 10 % off (default 0)
#   TMPDIR               where the store and the service file live
#
# Writes OUTDIR/timing.jsonl (one JSON line per path) and OUTDIR/logs/timing.log
# (the table).
set -euo pipefail

usage() {
	awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}" >&2
	exit 2
}

[[ $# -ge 1 && $# -le 2 && $1 != -h && $1 != --help ]] || usage

die() {
	printf 'run-timing.sh: %s\n' "$*" >&2
	exit 1
}

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
build=$(cd -- "$1" && pwd) || die "no build directory $1"
outdir=${2:-$here/results}
n=${BENCH_TIMING_N:-200}
warmup=${BENCH_TIMING_WARMUP:-5}
strict=${BENCH_STRICT:-0}

bench=$build/bench/bench_timing
module=$build/pam_module/.libs/pam_luciaauth.so
cli=$build/tools/luciaauth
for f in "$bench" "$module" "$cli"; do
	[[ -e $f ]] || die "$f not found; run 'make' and 'make bench/bench_timing' in $build"
done

mkdir -p "$outdir/logs"
"$bench" --module "$module" --cli "$cli" --n "$n" --warmup "$warmup" --json \
	>"$outdir/timing.jsonl" 2> >(tee "$outdir/logs/timing.log" >&2)
wait
if [[ $strict == 1 ]] && grep -q '"within_10pct":false' "$outdir/timing.jsonl"; then
	die "the medians are more than 10 % apart"
fi

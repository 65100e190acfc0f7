#!/bin/sh
# fuzz/run-long.sh [SECONDS] [JOBS] [TARGET...] - build every target of
# fuzz/targets (or only the TARGETs named) into $FUZZ_OUT (default
# /tmp/luciaauth-fuzz) and run each for SECONDS (default 600), JOBS targets
# at a time (default 2), over a scratch copy of its seed corpus.  Prints per target: executions, coverage (edges), features,
# corpus size, crashes; exits 1 if any target crashed, leaked or timed out.
# Crash inputs and logs stay in $FUZZ_OUT/NAME/.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-600}
jobs=${2:-2}
if [ $# -gt 2 ]; then shift 2; else set --; fi
out=${FUZZ_OUT:-/tmp/luciaauth-fuzz}

names=$(grep -v '^#' "$src/fuzz/targets" | awk 'NF { print $1 }')
if [ $# -gt 0 ]; then
	for t in "$@"; do
		echo "$names" | grep -qx "$t" || {
			echo "fuzz/run-long.sh: no target '$t' in fuzz/targets" >&2
			exit 2
		}
	done
	names=$*
fi

# shellcheck disable=SC2086
"$src/fuzz/build.sh" "$out/bin" $names

# run_one NAME: one target for $secs seconds; writes $out/NAME/result
run_one() {
	name=$1
	dir=$out/$name
	rm -rf "$dir"
	mkdir -p "$dir/corpus" "$dir/artifacts"
	dict=
	[ -f "$src/fuzz/$name.dict" ] && dict=-dict=$src/fuzz/$name.dict
	rc=0
	# -timeout: an input that takes 10 s counts as a failure (a hang).
	"$out/bin/$name" $dict -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
		"$dir/corpus" "$src/fuzz/corpus/$name" >"$dir/log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log")
	last=$(grep -E '^#[0-9]+' "$dir/log" | tail -1)
	cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.*corp: \([0-9]*\)\/.*/\1/p')
	crashes=$(find "$dir/artifacts" -type f | wc -l)
	printf '%-20s %6ss %12s %6s %6s %6s %7s  rc=%s\n' "$name" "$secs" "${execs:-?}" \
		"${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes" "$rc" >"$dir/result"
}

echo "running each target for $secs s, $jobs at a time; logs in $out/NAME/log"
set -- $names
while [ $# -gt 0 ]; do
	pids=
	i=0
	while [ $# -gt 0 ] && [ "$i" -lt "$jobs" ]; do
		run_one "$1" &
		pids="$pids $!"
		shift
		i=$((i + 1))
	done
	for p in $pids; do
		wait "$p" || true
	done
done

printf '%-20s %7s %12s %6s %6s %6s %7s\n' target time executions cov ft corpus crashes
failed=0
for name in $names; do
	cat "$out/$name/result"
	grep -q ' rc=0$' "$out/$name/result" || failed=1
done
exit $failed

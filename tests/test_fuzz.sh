#!/bin/bash
#
# test_fuzz.sh - the libFuzzer targets of fuzz/ (TAP): build them with clang
# (fuzz/build.sh, independent of the gcc build) and run each for a few
# seconds (LA_FUZZ_SECONDS, default 3) over its seed corpus fuzz/corpus/NAME
# plus a scratch directory for what it finds.  Every seed is run first, so
# an input that once crashed a target and was added to its corpus is a
# regression test from then on.  The long runs are fuzz/run-long.sh.
# Skipped when clang or its libFuzzer runtime (libclang-rt-*-dev) is absent.
#
# Run by "make check" with abs_top_builddir and abs_top_srcdir set.
set -u
srcdir=${abs_top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
build=${abs_top_builddir:-$PWD}
# shellcheck source=tests/tap.sh
. "$srcdir/tests/tap.sh"
trap tap_cleanup EXIT

CC=${FUZZ_CC:-clang}
secs=${LA_FUZZ_SECONDS:-3}
# Built afresh in the scratch directory: nothing to clean up in the build tree.
out=$TAP_WORK/bin

command -v "$CC" >/dev/null || skip_all "$CC not found (Debian package clang)"
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; return (int)n * 0; }' \
	>"$TAP_WORK/probe.c"
"$CC" -fsanitize=fuzzer,address,undefined "$TAP_WORK/probe.c" -o "$TAP_WORK/probe" \
	>"$TAP_WORK/probe.log" 2>&1 ||
	skip_all "$CC cannot link -fsanitize=fuzzer (libFuzzer runtime missing)"

if CC=$CC "$srcdir/fuzz/build.sh" "$out" >"$TAP_WORK/build.log" 2>&1; then
	ok "fuzz/build.sh builds every target with $CC"
else
	not_ok "fuzz/build.sh builds every target with $CC"
	diag "$(tail -30 "$TAP_WORK/build.log")"
fi

# The sanitizers' settings of the ASan build's "make check" are not ours.
unset ASAN_OPTIONS UBSAN_OPTIONS
for name in $(grep -v '^#' "$srcdir/fuzz/targets" | awk 'NF { print $1 }'); do
	seeds=$srcdir/fuzz/corpus/$name
	scratch=$TAP_WORK/$name
	mkdir -p "$scratch/corpus" "$scratch/art"
	dict=()
	[ -f "$srcdir/fuzz/$name.dict" ] && dict=(-dict="$srcdir/fuzz/$name.dict")
	if [ ! -x "$out/$name" ]; then
		not_ok "$name: built"
		continue
	fi
	n_seeds=$(find "$seeds" -type f 2>/dev/null | wc -l)
	if [ "$n_seeds" -eq 0 ]; then
		not_ok "$name: has a seed corpus in fuzz/corpus/$name"
		continue
	fi
	if "$out/$name" "${dict[@]}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$scratch/art/" -print_final_stats=1 \
		"$scratch/corpus" "$seeds" >"$scratch/log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/log")
		ok "$name: $n_seeds seeds and ${execs:-?} runs in ${secs}s, no crash"
	else
		not_ok "$name: $n_seeds seeds and ${secs}s of fuzzing, no crash"
		diag "$(grep -E -A12 'ERROR|SUMMARY|runtime error' "$scratch/log" | head -40)"
		for f in "$scratch"/art/*; do
			[ -f "$f" ] && diag "input: $(od -An -c "$f" | head -5)"
		done
	fi
done

done_testing

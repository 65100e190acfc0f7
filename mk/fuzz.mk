# ---- fuzz (included from Makefile.am) ----
# libFuzzer targets (fuzz/): fuzz/build.sh builds them with clang on its
# own, tests/test_fuzz.sh runs each for a few seconds in "make check",
# fuzz/run-long.sh for ten minutes each.  tests/test_abi.sh checks what the
# shared objects export.
SHELL_TESTS += tests/test_fuzz.sh tests/test_abi.sh
EXTRA_DIST += fuzz/build.sh fuzz/run-long.sh fuzz/targets fuzz/fuzz.h \
	fuzz/fuzz_token.c fuzz/fuzz_hash.c fuzz/fuzz_config.c fuzz/fuzz_pam_args.c \
	fuzz/fuzz_nss_snapshot.c fuzz/fuzz_hash.dict fuzz/fuzz_config.dict \
	fuzz/fuzz_pam_args.dict fuzz/corpus
# the importers' line parsers and hash gate (storage/la_import.h)
EXTRA_DIST += fuzz/fuzz_import_line.c fuzz/fuzz_import_hash.c \
	fuzz/fuzz_import_line.dict fuzz/fuzz_import_hash.dict

# A sanitizer finding must never pass for an expected failure: ASan's and
# UBSan's exit status is 1 by default, which is also the CLI's and the
# helpers' "authentication failed".  In the tests they abort (status 134,
# or a Check "signal 6" error) instead; options given from outside come
# later in the string and win.  Without a sanitizer runtime these are unread.
AM_TESTS_ENVIRONMENT += \
	ASAN_OPTIONS="abort_on_error=1:$${ASAN_OPTIONS-}"; \
	UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:$${UBSAN_OPTIONS-}"; \
	export ASAN_OPTIONS UBSAN_OPTIONS;

# Timing of a failed sign-in, unknown user against wrong password, through
# PAM and the CLI (bench/run-timing.sh runs it).
noinst_PROGRAMS += bench/bench_timing
bench_bench_timing_SOURCES = bench/bench_timing.c
bench_bench_timing_LDADD = storage/libluciaauth.la $(PAM_LIBS)
EXTRA_DIST += bench/run-timing.sh

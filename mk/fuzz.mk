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

# ---- import (included from Makefile.am) ----
# luciaauth import shadow / import lucia: parsers, account indexes and the
# batch (one transaction, one snapshot publish) in the storage library; the
# CLI adapter in tools/cli_import.c.
storage_libluciaauth_core_la_SOURCES += storage/la_import.h storage/la_import.c \
	storage/la_batch_int.h storage/la_batch.c storage/la_batch_check.c \
	storage/la_import_shadow.c \
	storage/la_import_lucia.c
tools_luciaauth_SOURCES += tools/cli_import.c
# Shadow and Lucia v2 imports end to end (CLI and pam_luciaauth.so under
# pam_wrapper); the Lucia database is made by the real lucia@2 (npm
# packages installed once per build tree, tests/browser-node/lucia-v2,
# removed by make clean), else loaded from the checked-in dump.
SHELL_TESTS += tests/test_import.sh
EXTRA_DIST += tests/fixtures/lucia/package.json tests/fixtures/lucia/make-db.mjs \
	tests/fixtures/lucia/lucia-v2.sql
# Benchmark: 100,000 users imported (bench/run-import.sh BUILD_DIR).
EXTRA_DIST += bench/run-import.sh
if HAVE_CHECK
# The importers' pure functions (line parsers, hash shapes): Check.
check_PROGRAMS += tests/check_import
tests_check_import_SOURCES = tests/check_import.c
tests_check_import_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SQLITE_CFLAGS)
tests_check_import_LDADD = storage/libluciaauth_core.la $(CHECK_LIBS) $(SQLITE_LIBS)
TESTS += tests/check_import
endif

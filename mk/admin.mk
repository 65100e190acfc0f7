# ---- admin (included from Makefile.am) ----
# luciaauth doctor, backup and restore; fault injection and crash tests.
storage_libluciaauth_core_la_SOURCES += storage/la_doctor.c storage/la_backup.c
tools_luciaauth_SOURCES += tools/cli_admin.c
tools_luciaauth_CFLAGS += -DLA_CHKPWD_PATH='"$(libexecdir)/luciaauth/luciaauth-chkpwd"'
EXTRA_DIST += SECURITY.md

# Test helper: one raw NSS answer of the module as built (tests/*.sh).
noinst_PROGRAMS += tests/nss_probe
tests_nss_probe_SOURCES = tests/nss_probe.c
tests_nss_probe_LDADD = -ldl

# Fault injection: missing/corrupt master, missing snapshot, read-only and
# full file systems, a locked database, wrong owners and modes (unshare -m
# when root; a few seconds).
SHELL_TESTS += tests/test_faults.sh

# Crash safety: SIGKILL the CLI at random points (strace fault injection
# and random delays), check the store and the snapshot after each kill
# (about 30 s; CRASH_ITER=2000 for the long run).
SHELL_TESTS += tests/test_crash.sh

# doctor, backup and restore end to end (a few seconds).
SHELL_TESTS += tests/test_admin.sh

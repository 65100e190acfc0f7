# ---- admin (included from Makefile.am) ----
# luciaauth doctor, backup and restore; fault injection and crash tests.
storage_libluciaauth_core_la_SOURCES += storage/la_doctor.c storage/la_backup.c
tools_luciaauth_SOURCES += tools/cli_admin.c
tools_luciaauth_CFLAGS += -DLA_SBINDIR='"$(sbindir)"'
EXTRA_DIST += SECURITY.md

# ---- import (included from Makefile.am) ----
# luciaauth import shadow / import lucia: parsers, account indexes and the
# batch (one transaction, one snapshot publish) in the storage library; the
# CLI adapter in tools/cli_import.c.
storage_libluciaauth_core_la_SOURCES += storage/la_import.h storage/la_import.c \
	storage/la_batch.c storage/la_import_shadow.c \
	storage/la_import_lucia.c
tools_luciaauth_SOURCES += tools/cli_import.c

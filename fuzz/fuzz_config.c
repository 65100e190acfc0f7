/*
 * fuzz_config.c - luciaauth.conf: the file body through store_config_read()
 * (what la_config_load() runs once it has checked the file's owner and
 * mode), from memory.
 */
#include "config.h"

#include <stdio.h>

#include "fuzz.h"
#include "la_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct la_config c;
	char err[512];
	FILE *f;
	la_rc rc;

	if (size == 0)
		return 0;
	f = fmemopen((void *)(uintptr_t)data, size, "r");
	if (!f)
		return 0;
	la_config_defaults(&c);
	memset(err, 'x', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	rc = store_config_read(&c, f, "fuzz.conf", err, sizeof(err));
	fclose(f);
	FZ_ASSERT(rc == LA_OK || rc == LA_E_INVAL || rc == LA_E_IO);
	FZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL);
	if (rc == LA_OK) {
		/* What the loader accepts is a usable configuration. */
		FZ_ASSERT(c.uid_min <= c.uid_max);
		FZ_ASSERT(memchr(c.dir, '\0', sizeof(c.dir)) != NULL);
		FZ_ASSERT(memchr(c.passwd_file, '\0', sizeof(c.passwd_file)) != NULL);
		FZ_ASSERT(memchr(c.home_base, '\0', sizeof(c.home_base)) != NULL);
	}
	return 0;
}

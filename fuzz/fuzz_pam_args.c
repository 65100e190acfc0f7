/*
 * fuzz_pam_args.c - pam_luciaauth.so's module arguments: the input is the
 * argument list, one argument a line, applied by pla_apply_args() (the part
 * of pla_parse_args() that reads no file).  libpam is not linked: the four
 * libpam functions that pam_luciaauth_util.c calls are stubbed below, the
 * logging one formatting its message as libpam would.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include <security/pam_ext.h>
#include <security/pam_modutil.h>

#include "fuzz.h"
#include "pam_luciaauth.h"

#define MAX_ARGS 64

void pam_syslog(const pam_handle_t *pamh, int priority, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	(void)pamh, (void)priority;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
}

int pam_prompt(pam_handle_t *pamh, int style, char **response, const char *fmt, ...)
{
	(void)pamh, (void)style, (void)fmt;
	if (response)
		*response = NULL;
	return PAM_CONV_ERR;
}

int pam_get_item(const pam_handle_t *pamh, int item_type, const void **item)
{
	(void)pamh, (void)item_type;
	*item = NULL;
	return PAM_BAD_ITEM;
}

const char *pam_modutil_getlogin(pam_handle_t *pamh)
{
	(void)pamh;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fz_cstr(data, size), *save = NULL, *tok;
	const char *argv[MAX_ARGS];
	struct pla_opts o, dflt;
	int argc = 0;

	if (!s)
		return 0;
	for (tok = strtok_r(s, "\n", &save); tok && argc < MAX_ARGS;
	     tok = strtok_r(NULL, "\n", &save))
		argv[argc++] = tok;
	memset(&o, 0, sizeof(o));
	la_config_defaults(&o.cfg);
	dflt = o;
	pla_apply_args(NULL, argc, argv, &o);
	/* Arguments may change only what they are allowed to override. */
	FZ_ASSERT(strcmp(o.cfg.passwd_file, dflt.cfg.passwd_file) == 0);
	FZ_ASSERT(o.cfg.hash_mem_kib == dflt.cfg.hash_mem_kib);
	FZ_ASSERT(o.cfg.uid_min == dflt.cfg.uid_min && o.cfg.uid_max == dflt.cfg.uid_max);
	FZ_ASSERT(memchr(o.cfg.dir, '\0', sizeof(o.cfg.dir)) != NULL);
	/* Whatever the arguments, the store's failures never map to success. */
	for (int rc = LA_OK + 1; rc <= LA_E_INTERNAL + 4; rc++)
		for (int g = PLA_AUTH; g <= PLA_PASSWORD; g++)
			FZ_ASSERT(pla_pam_code(&o, (enum pla_group)g, (la_rc)rc) != PAM_SUCCESS);
	free(s);
	return 0;
}

/*
 * la_util.c - input validation and the system account files.
 *
 * Names and text fields end up in /etc/passwd-shaped records served by NSS,
 * so ':' and control characters are refused at the door, and every string
 * must be valid UTF-8.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <unistr.h>

#include "la_int.h"

bool la_valid_username(const char *name)
{
	size_t n;

	if (!name || !*name)
		return false;
	if (!((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return false;
	for (n = 1; name[n]; n++) {
		char ch = name[n];

		if (n >= LA_NAME_MAX)
			return false;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			return false;
	}
	return true;
}

bool store_valid_utf8_text(const char *s, size_t max_bytes, bool allow_colon)
{
	size_t len = strnlen(s, max_bytes + 1);

	if (len > max_bytes || u8_check((const uint8_t *)s, len) != NULL)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || (*p == ':' && !allow_colon))
			return false;
		/* C1 controls are U+0080..U+009F, encoded 0xC2 0x80..0x9F. */
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return false;
	}
	return true;
}

bool store_valid_email(const char *s)
{
	const char *at;

	if (!store_valid_utf8_text(s, LA_EMAIL_MAX, false))
		return false;
	at = strchr(s, '@');
	if (!at || at == s || !at[1] || strchr(at + 1, '@'))
		return false;
	for (const char *p = s; *p; p++)
		if (*p == ' ' || *p == ',' || *p == '<' || *p == '>' || *p == '"')
			return false;
	return true;
}

bool store_valid_path(const char *s)
{
	return s[0] == '/' && store_valid_utf8_text(s, LA_FIELD_MAX, false);
}

/* Scan a passwd- or group-shaped file for a line whose name (field 1) is
 * name or whose id (field 3) is id.  getline() copes with lines of any
 * length, where fgetpwent_r() would stop at the first overlong one.  A file
 * that cannot be read fails closed. */
static la_rc scan_account_file(struct la_store *st, const char *path, const char *name,
			       uint32_t id, bool *found, uint32_t *id_out)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char *line = NULL, *fields[4];
	size_t cap = 0;
	FILE *f = NULL;
	la_rc rc = LA_OK;

	*found = false;
	if (fd < 0 || !(f = fdopen(fd, "r"))) {
		if (fd >= 0)
			close(fd);
		return store_fail(st, LA_E_IO, "cannot read %s: %s", path, strerror(errno));
	}
	while (!*found && getline(&line, &cap, f) > 0) {
		char *p = line, *end = NULL;
		unsigned long v;
		int n = 0;

		while (n < 4 && (fields[n++] = strsep(&p, ":\n")) && p)
			;
		if (n < 3 || !fields[0] || !fields[2] || fields[0][0] == '#')
			continue;
		v = strtoul(fields[2], &end, 10);
		if (end == fields[2] || *end)
			continue;
		*found = (name && strcmp(fields[0], name) == 0) || (id && v == id);
		if (*found && id_out)
			*id_out = (uint32_t)v;
	}
	if (ferror(f))
		rc = store_fail(st, LA_E_IO, "cannot read %s", path);
	free(line);
	fclose(f);
	return rc;
}

la_rc store_system_user(struct la_store *st, const char *name, uint32_t uid, bool *found)
{
	return scan_account_file(st, st->cfg.passwd_file, name, uid, found, NULL);
}

la_rc store_system_group(struct la_store *st, const char *name, uint32_t gid, bool *found,
			 uint32_t *gid_out)
{
	return scan_account_file(st, st->cfg.group_file, name, gid, found, gid_out);
}

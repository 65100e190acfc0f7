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
#include <pwd.h>
#include <grp.h>
#include <stdio.h>
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

/* Open a system account file without following links; NULL if absent. */
static FILE *open_system_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

bool store_system_user(const struct la_store *st, const char *name, uint32_t uid)
{
	FILE *f = open_system_file(st->cfg.passwd_file);
	struct passwd pw, *res = NULL;
	char buf[4096];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgetpwent_r(f, &pw, buf, sizeof(buf), &res) == 0)
		found = (name && strcmp(pw.pw_name, name) == 0) || (uid && pw.pw_uid == uid);
	fclose(f);
	return found;
}

bool store_system_group(const struct la_store *st, const char *name, uint32_t gid,
			uint32_t *gid_out)
{
	FILE *f = open_system_file(st->cfg.group_file);
	struct group gr, *res = NULL;
	char buf[16384];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgetgrent_r(f, &gr, buf, sizeof(buf), &res) == 0) {
		found = (name && strcmp(gr.gr_name, name) == 0) || (gid && gr.gr_gid == gid);
		if (found && gid_out)
			*gid_out = gr.gr_gid;
	}
	fclose(f);
	return found;
}

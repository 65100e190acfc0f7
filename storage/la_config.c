/*
 * la_config.c - /etc/luciaauth.conf: defaults, "key = value" parsing.
 *
 * The same la_config_set() serves the file, PAM module arguments and CLI
 * options, so a key means the same thing everywhere.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "la_int.h"

#define DAY_MS ((int64_t)86400000)

void la_config_defaults(struct la_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->dir, sizeof(c->dir), "/var/lib/luciaauth");
	c->uid_min = 10000;
	c->uid_max = 59999;
	c->session_active_ms = DAY_MS;
	c->session_idle_ms = 14 * DAY_MS;
	c->session_max_ms = 0;
	c->deny = 5;
	c->fail_interval_ms = 15 * 60 * 1000;
	c->unlock_time_ms = 10 * 60 * 1000;
	c->password_min = 8;
	c->signup_open = false;
	snprintf(c->signup_shell, sizeof(c->signup_shell), "/usr/sbin/nologin");
	snprintf(c->default_shell, sizeof(c->default_shell), "/bin/bash");
	snprintf(c->home_base, sizeof(c->home_base), "/home");
	c->hash_mem_kib = 19456;
	c->hash_ops = 2;
	c->busy_timeout_ms = 10000;
	c->sync_full = false;
	snprintf(c->passwd_file, sizeof(c->passwd_file), "/etc/passwd");
	snprintf(c->group_file, sizeof(c->group_file), "/etc/group");
	store_config_http_defaults(c);
}

la_rc la_parse_duration(const char *s, int64_t *ms)
{
	char *end = NULL;
	unsigned long long v;
	int64_t unit = 1000;

	if (!s || *s < '0' || *s > '9')
		return LA_E_INVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return LA_E_INVAL;
	if (*end) {
		switch (*end) {
		case 's': unit = 1000; break;
		case 'm': unit = 60 * 1000; break;
		case 'h': unit = 3600 * 1000; break;
		case 'd': unit = DAY_MS; break;
		default: return LA_E_INVAL;
		}
		if (end[1])
			return LA_E_INVAL;
	}
	/* 100 years is plenty and keeps every sum of durations far from overflow. */
	if (v > (unsigned long long)(36500 * DAY_MS / unit))
		return LA_E_INVAL;
	*ms = (int64_t)v * unit;
	return LA_OK;
}

static la_rc parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end = NULL;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return LA_E_INVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return LA_E_INVAL;
	*out = v;
	return LA_OK;
}

/* Paths end up in passwd fields (shells, homes) or are opened: absolute,
 * UTF-8, no ':' or control characters. */
static la_rc set_path(char *dst, size_t len, const char *v, bool absolute)
{
	if (!*v || strlen(v) >= len || (absolute && v[0] != '/') ||
	    !store_valid_utf8_text(v, len - 1, false))
		return LA_E_INVAL;
	memcpy(dst, v, strlen(v) + 1);
	return LA_OK;
}

static la_rc set_bool_word(bool *dst, const char *v, const char *yes, const char *no)
{
	if (strcmp(v, yes) == 0)
		*dst = true;
	else if (strcmp(v, no) == 0)
		*dst = false;
	else
		return LA_E_INVAL;
	return LA_OK;
}

static la_rc set_number(struct la_config *c, const char *key, const char *value, bool *known)
{
	unsigned long v = 0;
	la_rc rc = LA_E_INVAL;

	*known = true;
	if (strcmp(key, "uid_min") == 0 || strcmp(key, "uid_max") == 0) {
		rc = parse_ulong(value, 1000, 4294967294UL, &v);
		if (rc == LA_OK)
			*(strcmp(key, "uid_min") == 0 ? &c->uid_min : &c->uid_max) = (uint32_t)v;
	} else if (strcmp(key, "deny") == 0) {
		rc = parse_ulong(value, 0, 1000, &v);
		if (rc == LA_OK)
			c->deny = (unsigned)v;
	} else if (strcmp(key, "password_min") == 0) {
		rc = parse_ulong(value, 1, LA_PASSWORD_MAX, &v);
		if (rc == LA_OK)
			c->password_min = (unsigned)v;
	} else if (strcmp(key, "hash_mem_kib") == 0) {
		rc = parse_ulong(value, 8, 4UL * 1024 * 1024, &v);
		if (rc == LA_OK)
			c->hash_mem_kib = v;
	} else if (strcmp(key, "hash_ops") == 0) {
		rc = parse_ulong(value, 1, 100, &v);
		if (rc == LA_OK)
			c->hash_ops = v;
	} else if (strcmp(key, "busy_timeout") == 0) {
		int64_t ms = 0;

		rc = la_parse_duration(value, &ms);
		if (rc == LA_OK && ms > 600000)
			rc = LA_E_INVAL;
		if (rc == LA_OK)
			c->busy_timeout_ms = (unsigned)ms;
	} else {
		*known = false;
	}
	return rc;
}

static la_rc set_duration(struct la_config *c, const char *key, const char *value, bool *known)
{
	struct {
		const char *key;
		int64_t *dst;
		bool zero_ok;
	} map[] = {
		{ "session_active", &c->session_active_ms, false },
		{ "session_idle", &c->session_idle_ms, true },
		{ "session_max", &c->session_max_ms, true },
		{ "fail_interval", &c->fail_interval_ms, false },
		{ "unlock_time", &c->unlock_time_ms, false },
	};
	int64_t ms = 0;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(key, map[i].key) != 0)
			continue;
		*known = true;
		if (la_parse_duration(value, &ms) != LA_OK || (ms == 0 && !map[i].zero_ok))
			return LA_E_INVAL;
		*map[i].dst = ms;
		return LA_OK;
	}
	*known = false;
	return LA_E_INVAL;
}

la_rc la_config_set(struct la_config *c, const char *key, const char *value, char *err,
		    size_t errlen)
{
	bool known = true;
	la_rc rc;

	if (strcmp(key, "dir") == 0)
		rc = set_path(c->dir, sizeof(c->dir), value, true);
	else if (strcmp(key, "signup") == 0)
		rc = set_bool_word(&c->signup_open, value, "open", "closed");
	else if (strcmp(key, "sync") == 0)
		rc = set_bool_word(&c->sync_full, value, "full", "normal");
	else if (strcmp(key, "signup_shell") == 0)
		rc = set_path(c->signup_shell, sizeof(c->signup_shell), value, true);
	else if (strcmp(key, "default_shell") == 0)
		rc = set_path(c->default_shell, sizeof(c->default_shell), value, true);
	else if (strcmp(key, "home_base") == 0)
		rc = set_path(c->home_base, sizeof(c->home_base), value, true);
	else if (strcmp(key, "passwd_file") == 0)
		rc = set_path(c->passwd_file, sizeof(c->passwd_file), value, true);
	else if (strcmp(key, "group_file") == 0)
		rc = set_path(c->group_file, sizeof(c->group_file), value, true);
	else {
		rc = set_duration(c, key, value, &known);
		if (!known)
			rc = set_number(c, key, value, &known);
		if (!known)
			rc = store_config_http_set(c, key, value, &known);
	}
	if (!known) {
		if (err)
			snprintf(err, errlen, "unknown key '%s'", key);
		return LA_E_INVAL;
	}
	if (rc != LA_OK && err)
		snprintf(err, errlen, "invalid value '%s' for '%s'", value, key);
	return rc;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static la_rc parse_line(struct la_config *c, char *line, char *err, size_t errlen)
{
	char *eq, *key, *value, *hash = strchr(line, '#');

	if (hash)
		*hash = '\0';
	key = trim(line);
	if (!*key)
		return LA_OK;
	eq = strchr(key, '=');
	if (!eq) {
		snprintf(err, errlen, "expected 'key = value'");
		return LA_E_INVAL;
	}
	*eq = '\0';
	value = trim(eq + 1);
	key = trim(key);
	return la_config_set(c, key, value, err, errlen);
}

/* The config names the state directory and the account files: a file that
 * someone else could have written is not trusted (SPEC 2). */
static la_rc check_config_file(int fd, const char *path, char *err, size_t errlen)
{
	struct stat sb;

	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		if (err)
			snprintf(err, errlen, "%s is not a regular file", path);
		return LA_E_INVAL;
	}
	if ((sb.st_uid != 0 && sb.st_uid != geteuid()) || (sb.st_mode & (S_IWGRP | S_IWOTH))) {
		if (err)
			snprintf(err, errlen,
				 "%s is writable by someone other than root (owner uid %u, "
				 "mode %04o); refusing",
				 path, (unsigned)sb.st_uid, (unsigned)(sb.st_mode & 07777));
		return LA_E_PERM;
	}
	return LA_OK;
}

la_rc store_config_read(struct la_config *c, FILE *f, const char *path, char *err, size_t errlen)
{
	char line[LA_PATH_MAX + 64], msg[256] = "";
	unsigned lineno = 0;
	la_rc rc = LA_OK;

	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(msg, sizeof(msg), "line too long");
			rc = LA_E_INVAL;
		} else {
			rc = parse_line(c, line, msg, sizeof(msg));
		}
		if (rc != LA_OK) {
			if (err)
				snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
			break;
		}
	}
	if (rc == LA_OK && ferror(f)) {
		if (err)
			snprintf(err, errlen, "cannot read %s", path);
		rc = LA_E_IO;
	}
	/* Checked once the whole file is read: the keys may come in any order. */
	if (rc == LA_OK && c->uid_min > c->uid_max) {
		if (err)
			snprintf(err, errlen, "%s: uid_min is greater than uid_max", path);
		rc = LA_E_INVAL;
	}
	return rc;
}

la_rc la_config_load(struct la_config *c, const char *path, bool missing_ok, char *err,
		     size_t errlen)
{
	la_rc rc = LA_OK;
	FILE *f = NULL;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		if (e == ENOENT && missing_ok)
			return LA_OK;
		if (err)
			snprintf(err, errlen, "cannot open %s: %s", path,
				 e == ELOOP ? "is a symbolic link" : strerror(e));
		return e == ENOENT ? LA_E_NOSTORE : (e == EACCES || e == ELOOP) ? LA_E_PERM : LA_E_IO;
	}
	rc = check_config_file(fd, path, err, errlen);
	if (rc != LA_OK) {
		close(fd);
		return rc;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return LA_E_NOMEM;
	}
	rc = store_config_read(c, f, path, err, errlen);
	fclose(f);
	return rc;
}

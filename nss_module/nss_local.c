/*
 * nss_local.c - what the NSS module reads besides the snapshot: its
 * configuration (/etc/luciaauth.conf, the keys "dir" and "passwd_file" as
 * the library reads them) and the names of the system passwd file.
 *
 * MUST:
 *  1. A store user named like an account of the system passwd file is
 *     never served (SPEC 2), even when the local account was created after
 *     the last publish or the snapshot was tampered with: the library
 *     filters at publish time, the module again at every answer.
 *  2. Files are read directly (open/read), never through NSS: no recursion.
 *  3. A configuration that others could have written, or one that cannot be
 *     parsed, is not used at all (the library refuses it too).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nss_snapshot.h"

#define CONFIG_MAX (64 * 1024)	       /* larger configuration files are refused */
#define PASSWD_MAX (256 * 1024 * 1024) /* larger passwd files are refused */

/* ---- reading files -------------------------------------------------- */

static int open_file(const char *path, struct stat *sb, off_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (fstat(fd, sb) != 0 || !S_ISREG(sb->st_mode) || sb->st_size > max) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* The whole file as a NUL-terminated malloc'd string; NULL with *err. */
static char *read_all(int fd, size_t size, int *err)
{
	char *text = malloc(size + 1);
	size_t done = 0;

	*err = EAGAIN;
	if (!text)
		return NULL;
	while (done < size) {
		ssize_t n = read(fd, text + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(text);
			*err = EIO;
			return NULL;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	text[done] = '\0';
	return text;
}

/* ---- configuration -------------------------------------------------- */

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* An absolute path without control characters that fits out with room
 * for suffix. */
static int set_path(char *out, size_t len, const char *value, const char *suffix)
{
	if (value[0] != '/' || strlen(value) + strlen(suffix) >= len)
		return EIO;
	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return EIO;
	strcpy(out, value);
	strcat(out, suffix);
	return 0;
}

/* One line ("key = value", '#' comments), as the library reads it; keys
 * other than ours are the library's business.  0 or EIO. */
static int conf_line(struct nss_conf *c, char *line)
{
	char *hash = strchr(line, '#'), *eq, *key;

	if (hash)
		*hash = '\0';
	eq = strchr(line, '=');
	if (!eq)
		return *trim(line) ? EIO : 0;
	*eq = '\0';
	key = trim(line);
	if (strcmp(key, "dir") == 0)
		return set_path(c->snapshot, sizeof(c->snapshot), trim(eq + 1), "/" LA_SNAP_NAME);
	if (strcmp(key, "passwd_file") == 0)
		return set_path(c->passwd, sizeof(c->passwd), trim(eq + 1), "");
	return 0;
}

static int conf_parse(struct nss_conf *c, char *text)
{
	char *line = text, *next;
	int err = 0;

	for (; line && !err; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		err = conf_line(c, line);
	}
	return err;
}

int nss_conf_load(struct nss_conf *c)
{
	struct stat sb;
	char *text = NULL;
	int fd, err;

	strcpy(c->snapshot, NSS_LA_DEFAULT_DIR "/" LA_SNAP_NAME);
	strcpy(c->passwd, NSS_LA_DEFAULT_PASSWD);
	fd = open_file(NSS_LA_CONFIG, &sb, CONFIG_MAX);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return EIO;
	err = EIO;
	if ((sb.st_uid == 0 || sb.st_uid == geteuid()) && !(sb.st_mode & (S_IWGRP | S_IWOTH)))
		text = read_all(fd, (size_t)sb.st_size, &err);
	if (text)
		err = conf_parse(c, text);
	free(text);
	close(fd);
	return err;
}

/* ---- names of the system passwd file (MUST 1, 2) -------------------- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Cut text into the names of its lines ("name:..."; '#' lines skipped),
 * the way the library reads the file; sorted into l->names. */
static int split_names(struct nss_local *l)
{
	size_t cap = 0;
	char *line = l->text, *next;

	for (; line && *line; line = next) {
		char *colon;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		colon = strchr(line, ':');
		if (line[0] == '#' || !colon)
			continue;
		*colon = '\0';
		if (l->n == cap) {
			const char **v = realloc(l->names, (cap = cap ? 2 * cap : 64) * sizeof(*v));

			if (!v)
				return EAGAIN;
			l->names = v;
		}
		l->names[l->n++] = line;
	}
	if (l->n)
		qsort(l->names, l->n, sizeof(*l->names), cmp_names);
	return 0;
}

struct nss_local *nss_local_load(const char *path, int *err)
{
	struct nss_local *l = NULL;
	struct stat sb;
	int fd = open_file(path, &sb, PASSWD_MAX);

	*err = EIO;
	if (fd < 0)
		return NULL;
	l = calloc(1, sizeof(*l));
	*err = EAGAIN;
	if (l && (l->text = read_all(fd, (size_t)sb.st_size, err)))
		*err = split_names(l);
	close(fd);
	if (!l || *err) {
		nss_local_free(l);
		return NULL;
	}
	l->dev = sb.st_dev;
	l->ino = sb.st_ino;
	l->size = sb.st_size;
	l->mtime = sb.st_mtim;
	l->ctime = sb.st_ctim;
	return l;
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

bool nss_local_same(const struct nss_local *l, const struct stat *sb)
{
	return l && l->dev == sb->st_dev && l->ino == sb->st_ino && l->size == sb->st_size &&
	       same_time(&l->mtime, &sb->st_mtim) && same_time(&l->ctime, &sb->st_ctim);
}

void nss_local_free(struct nss_local *l)
{
	if (!l)
		return;
	free(l->names);
	free(l->text);
	free(l);
}

bool nss_local_has(const struct nss_local *l, const char *name)
{
	return l->n && bsearch(&name, l->names, l->n, sizeof(*l->names), cmp_names);
}

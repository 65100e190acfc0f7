/*
 * la_snapshot.c - publishing the public NSS snapshot (layout: la_snapshot.h).
 *
 * MUST:
 *  1. The snapshot holds no secret: no hash, key, session or lockout data.
 *  2. It is written to a temporary file in the same directory, fsynced and
 *     renamed into place, so a reader sees the old or the new file, never a
 *     mix; the directory is fsynced so the rename survives a crash.
 *  3. Only users the system may be served are published: uid inside
 *     uid_min..uid_max (never 0), name not in the system passwd file (see
 *     la_user_check_servable); merge groups only with their local gid.
 *  4. The data comes from one read transaction: a consistent view.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "la_int.h"
#include "la_snapshot.h"

#define DAY_MS 86400000LL

/* A growable byte buffer for the string pool and the arrays. */
struct buf {
	char *p;
	size_t len, cap;
};

static int buf_add(struct buf *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		char *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
}

/* Offset of a new NUL-terminated string in the pool; UINT32_MAX on error. */
static uint32_t pool_add(struct buf *pool, const unsigned char *s)
{
	size_t off = pool->len;
	const char *t = s ? (const char *)s : "";

	if (off > UINT32_MAX / 2 || buf_add(pool, t, strlen(t) + 1) != 0)
		return UINT32_MAX;
	return (uint32_t)off;
}

struct snap {
	struct la_snap_user *users;
	struct la_snap_group *groups;
	uint32_t *members, *user_groups, *users_by_name, *groups_by_name;
	uint32_t n_users, n_groups, n_members, n_user_groups;
	struct buf pool;
};

static void snap_free(struct snap *s)
{
	free(s->users);
	free(s->groups);
	free(s->members);
	free(s->user_groups);
	free(s->users_by_name);
	free(s->groups_by_name);
	free(s->pool.p);
}

static int32_t days(int64_t ms, int32_t none)
{
	return ms > 0 ? (int32_t)(ms / DAY_MS) : none;
}

/* Names (and ids) of a system account file, sorted by name, for MUST 3. */
struct sysent {
	char *name;
	uint32_t id;
};
struct sysfile {
	struct sysent *e;
	size_t n;
};

static int sysent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sysent *)a)->name, ((const struct sysent *)b)->name);
}

static la_rc sysfile_load(struct la_store *st, const char *path, struct sysfile *f)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	FILE *fp = fd >= 0 ? fdopen(fd, "r") : NULL;
	char *line = NULL;
	size_t cap = 0, alloc = 0;
	la_rc rc = LA_OK;

	memset(f, 0, sizeof(*f));
	if (!fp) {
		if (fd >= 0)
			close(fd);
		return store_fail(st, LA_E_IO, "cannot read %s: %s", path, strerror(errno));
	}
	while (rc == LA_OK && getline(&line, &cap, fp) > 0) {
		char *name = line, *p = strchr(line, ':'), *id;

		if (!p || line[0] == '#' || !(id = strchr(p + 1, ':')))
			continue;
		*p = '\0';
		if (f->n == alloc) {
			struct sysent *e = realloc(f->e, (alloc = alloc ? alloc * 2 : 64) * sizeof(*e));

			if (!e) {
				rc = LA_E_NOMEM;
				break;
			}
			f->e = e;
		}
		f->e[f->n].id = (uint32_t)strtoul(id + 1, NULL, 10);
		f->e[f->n].name = strdup(name);
		if (!f->e[f->n++].name)
			rc = LA_E_NOMEM;
	}
	free(line);
	fclose(fp);
	if (f->n)
		qsort(f->e, f->n, sizeof(*f->e), sysent_cmp);
	return rc;
}

static const struct sysent *sysfile_find(const struct sysfile *f, const char *name)
{
	struct sysent key = { (char *)(uintptr_t)name, 0 };

	return f->n ? bsearch(&key, f->e, f->n, sizeof(*f->e), sysent_cmp) : NULL;
}

static void sysfile_free(struct sysfile *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->e[i].name);
	free(f->e);
}

static const char SQL_USERS[] =
	"SELECT username, gecos, home, shell, uid, gid, password_changed, must_change,"
	" expires, locked FROM users WHERE uid BETWEEN ?1 AND ?2 AND uid <> 0 ORDER BY uid";
static const char SQL_GROUPS[] = "SELECT name, gid FROM groups ORDER BY gid";
static const char SQL_MEMBERS[] =
	"SELECT m.gid, u.uid FROM group_members m JOIN users u ON u.id = m.user_id"
	" ORDER BY m.gid, u.uid";

static la_rc load_users(struct la_store *st, const struct sysfile *pw, struct snap *s)
{
	sqlite3_stmt *q = store_stmt(st, SQL_USERS);
	size_t alloc = 0;
	la_rc rc = LA_OK;
	int r = SQLITE_DONE;

	if (!q)
		return LA_E_DB;
	sqlite3_bind_int64(q, 1, st->cfg.uid_min);
	sqlite3_bind_int64(q, 2, st->cfg.uid_max);
	while (rc == LA_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
		struct la_snap_user *u;
		const char *name = (const char *)sqlite3_column_text(q, 0);

		if (!name || !la_valid_username(name) || sysfile_find(pw, name))
			continue;
		if (s->n_users == alloc) {
			u = realloc(s->users, (alloc = alloc ? alloc * 2 : 256) * sizeof(*u));
			if (!u) {
				rc = LA_E_NOMEM;
				break;
			}
			s->users = u;
		}
		u = &s->users[s->n_users++];
		memset(u, 0, sizeof(*u));
		u->name = pool_add(&s->pool, sqlite3_column_text(q, 0));
		u->gecos = pool_add(&s->pool, sqlite3_column_text(q, 1));
		u->home = pool_add(&s->pool, sqlite3_column_text(q, 2));
		u->shell = pool_add(&s->pool, sqlite3_column_text(q, 3));
		u->uid = (uint32_t)sqlite3_column_int64(q, 4);
		u->gid = (uint32_t)sqlite3_column_int64(q, 5);
		u->lastchg_days = sqlite3_column_int(q, 7) ? 0 : days(sqlite3_column_int64(q, 6), -1);
		/* An administrative lock shows as an account that expired on
		 * 1970-01-02, as `usermod --expiredate 1` does, so that
		 * pam_unix and sshd refuse it too. */
		u->expire_days = sqlite3_column_int(q, 9) ? 1 : days(sqlite3_column_int64(q, 8), -1);
		u->flags = sqlite3_column_int(q, 9) ? LA_SNAP_USER_LOCKED : 0;
		if (u->name == UINT32_MAX || u->gecos == UINT32_MAX || u->home == UINT32_MAX ||
		    u->shell == UINT32_MAX)
			rc = LA_E_NOMEM;
	}
	if (rc == LA_OK && r != SQLITE_DONE)
		rc = store_db_fail(st, r, "snapshot users");
	store_stmt_done(q);
	return rc;
}

static la_rc load_groups(struct la_store *st, const struct sysfile *gr, struct snap *s)
{
	sqlite3_stmt *q = store_stmt(st, SQL_GROUPS);
	size_t alloc = 0;
	la_rc rc = LA_OK;
	int r = SQLITE_DONE;

	if (!q)
		return LA_E_DB;
	while (rc == LA_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 0);
		uint32_t gid = (uint32_t)sqlite3_column_int64(q, 1);
		const struct sysent *local = name ? sysfile_find(gr, name) : NULL;
		bool in_range = gid >= st->cfg.uid_min && gid <= st->cfg.uid_max;
		struct la_snap_group *g;

		/* A local name only as a merge group with the local gid; never root. */
		if (!name || !la_valid_username(name) || gid == 0 ||
		    (local ? local->id != gid : !in_range))
			continue;
		if (s->n_groups == alloc) {
			g = realloc(s->groups, (alloc = alloc ? alloc * 2 : 256) * sizeof(*g));
			if (!g) {
				rc = LA_E_NOMEM;
				break;
			}
			s->groups = g;
		}
		g = &s->groups[s->n_groups++];
		memset(g, 0, sizeof(*g));
		g->name = pool_add(&s->pool, sqlite3_column_text(q, 0));
		g->gid = gid;
		g->flags = local ? LA_SNAP_GROUP_MERGE : 0;
		if (g->name == UINT32_MAX)
			rc = LA_E_NOMEM;
	}
	if (rc == LA_OK && r != SQLITE_DONE)
		rc = store_db_fail(st, r, "snapshot groups");
	store_stmt_done(q);
	return rc;
}

/* Index of the element of an array sorted by a uint32_t id whose id is
 * key, or -1: users by uid, groups by gid.  at(i) = base + i * stride,
 * the id at field offset off. */
static long find_id(const void *base, size_t n, size_t stride, size_t off, uint32_t key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t id;

		memcpy(&id, (const char *)base + mid * stride + off, sizeof(id));
		if (id == key)
			return (long)mid;
		if (id < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static long find_uid(const struct snap *s, uint32_t uid)
{
	return find_id(s->users, s->n_users, sizeof(*s->users), offsetof(struct la_snap_user, uid),
		       uid);
}

static long find_gid(const struct snap *s, uint32_t gid)
{
	return find_id(s->groups, s->n_groups, sizeof(*s->groups),
		       offsetof(struct la_snap_group, gid), gid);
}

static la_rc load_members(struct la_store *st, struct snap *s)
{
	sqlite3_stmt *q = store_stmt(st, SQL_MEMBERS);
	uint32_t *pairs = NULL, *count = NULL; /* (group, user) index pairs */
	size_t alloc = 0;
	la_rc rc = LA_OK;
	int r = SQLITE_DONE;

	if (!q)
		return LA_E_DB;
	while (rc == LA_OK && (r = sqlite3_step(q)) == SQLITE_ROW) {
		long gi = find_gid(s, (uint32_t)sqlite3_column_int64(q, 0));
		long ui = find_uid(s, (uint32_t)sqlite3_column_int64(q, 1));

		if (gi < 0 || ui < 0)
			continue;
		if (s->n_members == alloc) {
			uint32_t *p = realloc(pairs, (alloc = alloc ? alloc * 2 : 256) * 2 * sizeof(*p));

			if (!p) {
				rc = LA_E_NOMEM;
				break;
			}
			pairs = p;
		}
		pairs[2 * s->n_members] = (uint32_t)gi;
		pairs[2 * s->n_members++ + 1] = (uint32_t)ui;
	}
	if (rc == LA_OK && r != SQLITE_DONE)
		rc = store_db_fail(st, r, "snapshot members");
	store_stmt_done(q);
	s->n_user_groups = s->n_members;
	s->members = malloc((s->n_members + 1) * sizeof(uint32_t));
	s->user_groups = malloc((s->n_members + 1) * sizeof(uint32_t));
	count = calloc(s->n_users + 1, sizeof(uint32_t));
	if (rc == LA_OK && (!s->members || !s->user_groups || !count))
		rc = LA_E_NOMEM;
	if (rc == LA_OK) {
		/* Rows come by group: each group's members are one slice. */
		for (uint32_t i = 0; i < s->n_members; i++) {
			struct la_snap_group *g = &s->groups[pairs[2 * i]];

			if (g->n_members++ == 0)
				g->first_member = i;
			s->members[i] = pairs[2 * i + 1];
			count[pairs[2 * i + 1]]++;
		}
		/* Each user's groups: a slice found by prefix sums. */
		for (uint32_t u = 0, at = 0; u < s->n_users; at += count[u++])
			s->users[u].first_group = at;
		for (uint32_t i = 0; i < s->n_members; i++) {
			struct la_snap_user *u = &s->users[pairs[2 * i + 1]];

			s->user_groups[u->first_group + u->n_groups++] = pairs[2 * i];
		}
	}
	free(pairs);
	free(count);
	return rc;
}

static int by_name(const void *a, const void *b, void *ctx)
{
	const struct snap *s = ctx;

	return strcmp(s->pool.p + s->users[*(const uint32_t *)a].name,
		      s->pool.p + s->users[*(const uint32_t *)b].name);
}

static int by_group_name(const void *a, const void *b, void *ctx)
{
	const struct snap *s = ctx;

	return strcmp(s->pool.p + s->groups[*(const uint32_t *)a].name,
		      s->pool.p + s->groups[*(const uint32_t *)b].name);
}

static la_rc build_indexes(struct snap *s)
{
	s->users_by_name = malloc((s->n_users + 1) * sizeof(uint32_t));
	s->groups_by_name = malloc((s->n_groups + 1) * sizeof(uint32_t));
	if (!s->users_by_name || !s->groups_by_name)
		return LA_E_NOMEM;
	for (uint32_t i = 0; i < s->n_users; i++)
		s->users_by_name[i] = i;
	for (uint32_t i = 0; i < s->n_groups; i++)
		s->groups_by_name[i] = i;
	qsort_r(s->users_by_name, s->n_users, sizeof(uint32_t), by_name, s);
	qsort_r(s->groups_by_name, s->n_groups, sizeof(uint32_t), by_group_name, s);
	return LA_OK;
}

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* Lay the snapshot out in one buffer: header, arrays, string pool. */
static la_rc serialise(struct la_store *st, const struct snap *s, struct buf *out)
{
	const struct {
		const void *p;
		size_t n;
	} parts[] = {
		{ s->users, s->n_users * sizeof(*s->users) },
		{ s->users_by_name, s->n_users * sizeof(uint32_t) },
		{ s->groups, s->n_groups * sizeof(*s->groups) },
		{ s->groups_by_name, s->n_groups * sizeof(uint32_t) },
		{ s->members, s->n_members * sizeof(uint32_t) },
		{ s->user_groups, s->n_user_groups * sizeof(uint32_t) },
		{ s->pool.p, s->pool.len },
	};
	struct la_snap_header h;
	uint32_t *const offsets[7] = { &h.users,	 &h.users_by_name, &h.groups,
				       &h.groups_by_name, &h.members,	   &h.user_groups,
				       &h.strings };
	static const char zero[8];
	size_t at = align8(sizeof(h));

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, LA_SNAP_MAGIC, sizeof(h.magic));
	h.version = LA_SNAP_VERSION;
	h.header_size = (uint32_t)align8(sizeof(h));
	h.published_ms = la_store_now(st);
	h.uid_min = st->cfg.uid_min, h.uid_max = st->cfg.uid_max;
	h.n_users = s->n_users, h.n_groups = s->n_groups;
	h.n_members = s->n_members, h.n_user_groups = s->n_user_groups;
	h.strings_size = (uint32_t)s->pool.len;
	for (size_t i = 0; i < 7; i++) {
		*offsets[i] = (uint32_t)at;
		at = align8(at + parts[i].n);
	}
	if (at > UINT32_MAX)
		return store_fail(st, LA_E_RANGE, "snapshot larger than 4 GiB");
	h.file_size = at;
	if (buf_add(out, &h, sizeof(h)) || buf_add(out, zero, h.header_size - sizeof(h)))
		return LA_E_NOMEM;
	for (size_t i = 0; i < 7; i++)
		if ((parts[i].n && buf_add(out, parts[i].p, parts[i].n)) ||
		    buf_add(out, zero, align8(out->len) - out->len))
			return LA_E_NOMEM;
	h.checksum = la_snap_fnv1a(LA_SNAP_FNV_INIT, out->p + h.header_size,
				   out->len - h.header_size);
	memcpy(out->p, &h, sizeof(h));
	return LA_OK;
}

static la_rc write_file(struct la_store *st, const struct buf *data)
{
	char path[LA_PATH_MAX + 32], tmp[LA_PATH_MAX + 32];
	size_t done = 0;
	int fd, dfd;

	snprintf(path, sizeof(path), "%s/%s", st->cfg.dir, LA_SNAP_NAME);
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", st->cfg.dir, LA_SNAP_NAME);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return store_fail(st, LA_E_IO, "cannot create %s: %s", tmp, strerror(errno));
	while (done < data->len) {
		ssize_t n = write(fd, data->p + done, data->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	/* World-readable on purpose: it is the public half (MUST 1). */
	if (done != data->len || fchmod(fd, 0644) != 0 || fsync(fd) != 0 || close(fd) != 0) {
		int e = errno;

		close(fd);
		unlink(tmp);
		return store_fail(st, LA_E_IO, "cannot write %s: %s", tmp, strerror(e));
	}
	if (rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		return store_fail(st, LA_E_IO, "cannot replace %s: %s", path, strerror(e));
	}
	dfd = open(st->cfg.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return LA_OK;
}

static const char SQL_READ_BEGIN[] = "BEGIN DEFERRED";
static const char SQL_READ_END[] = "COMMIT";

static la_rc load(struct la_store *st, struct snap *s)
{
	struct sysfile pw, gr;
	sqlite3_stmt *b = store_stmt(st, SQL_READ_BEGIN), *e = store_stmt(st, SQL_READ_END);
	la_rc rc;

	if (!b || !e)
		return LA_E_DB;
	rc = sysfile_load(st, st->cfg.passwd_file, &pw);
	if (rc == LA_OK) {
		rc = sysfile_load(st, st->cfg.group_file, &gr);
		if (rc == LA_OK)
			rc = store_step_done(st, b, "snapshot"); /* MUST 4 */
		if (rc == LA_OK) {
			rc = load_users(st, &pw, s);
			if (rc == LA_OK)
				rc = load_groups(st, &gr, s);
			if (rc == LA_OK)
				rc = load_members(st, s);
			if (store_step_done(st, e, "snapshot") != LA_OK && rc == LA_OK)
				rc = LA_E_DB;
		}
		sysfile_free(&gr);
	}
	sysfile_free(&pw);
	return rc;
}

/* The snapshot file's bytes for the store as it is now, into *out (the
 * caller frees out->p, also on error). */
static la_rc build(struct la_store *st, struct buf *out)
{
	struct snap s;
	la_rc rc;

	memset(&s, 0, sizeof(s));
	rc = load(st, &s);
	if (rc == LA_OK)
		rc = build_indexes(&s);
	if (rc == LA_OK)
		rc = serialise(st, &s, out);
	snap_free(&s);
	return rc;
}

la_rc la_snapshot_publish(struct la_store *st)
{
	struct buf out = { NULL, 0, 0 };
	la_rc rc = build(st, &out);

	if (rc == LA_OK)
		rc = write_file(st, &out);
	if (rc == LA_E_NOMEM)
		store_fail(st, rc, "out of memory while publishing the snapshot");
	free(out.p);
	return rc;
}

la_rc store_snapshot_expect(struct la_store *st, struct la_snap_header *h)
{
	struct buf out = { NULL, 0, 0 };
	la_rc rc = build(st, &out);

	if (rc == LA_OK)
		memcpy(h, out.p, sizeof(*h));
	free(out.p);
	return rc;
}

/*
 * check_nss_tamper.c - the NSS module against snapshots the library would
 * never write: entries it must not serve (uid/gid 0, "root", ids outside
 * the range) in a well-formed hand-made file, damaged files (every header
 * field, every offset and index, the checksum, truncation), unsafe modes
 * and kinds of file, and a missing one.  Damage is UNAVAIL with EIO, a
 * missing file UNAVAIL with ENOENT -- never a crash, never NOTFOUND.
 */
#include "config.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_nss.h"
#include "la_snapshot.h"

/* ---- writing snapshot files ----------------------------------------- */

static const char *tpath(const char *name)
{
	static char path[LA_PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", fx.dir, name);
	return path;
}

/* data[0..len) to path, replacing it by rename as the library does. */
static void put_file(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[LA_PATH_MAX + 80];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert(len == 0 || write(fd, data, len) == (ssize_t)len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	ck_assert_int_eq(close(fd), 0);
	ck_assert_int_eq(rename(tmp, path), 0);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = malloc(1 << 20);

	ck_assert(f && data);
	*len = fread(data, 1, 1 << 20, f);
	ck_assert(*len > sizeof(struct la_snap_header) && feof(f));
	fclose(f);
	return data;
}

static void reseal(unsigned char *data, size_t len)
{
	struct la_snap_header h;

	memcpy(&h, data, sizeof(h));
	h.checksum = la_snap_fnv1a(LA_SNAP_FNV_INIT, data + h.header_size, len - h.header_size);
	memcpy(data, &h, sizeof(h));
}

/* A hand-made snapshot: users (by uid) with placeholder fields, groups (by
 * gid), and memberships as (group index, user index) pairs by group. */
struct tb_user {
	const char *name;
	uint32_t uid, gid;
};
struct tb_group {
	const char *name;
	uint32_t gid, flags;
};
struct tb {
	const struct tb_user *u;
	const struct tb_group *g;
	const uint32_t (*pairs)[2];
	uint32_t n_users, n_groups, n_pairs;
};

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static int by_name_users(const void *a, const void *b, void *ctx)
{
	const struct tb *t = ctx;

	return strcmp(t->u[*(const uint32_t *)a].name, t->u[*(const uint32_t *)b].name);
}

static int by_name_groups(const void *a, const void *b, void *ctx)
{
	const struct tb *t = ctx;

	return strcmp(t->g[*(const uint32_t *)a].name, t->g[*(const uint32_t *)b].name);
}

/* Append s to the pool at data + h->strings; its offset. */
static uint32_t pool(unsigned char *data, struct la_snap_header *h, const char *s)
{
	uint32_t off = h->strings_size;

	memcpy(data + h->strings + off, s, strlen(s) + 1);
	h->strings_size += (uint32_t)strlen(s) + 1;
	return off;
}

static void tb_users(unsigned char *data, struct la_snap_header *h, const struct tb *t)
{
	struct la_snap_user *u = (void *)(data + h->users);
	uint32_t *ug = (void *)(data + h->user_groups), *idx = (void *)(data + h->users_by_name);
	uint32_t at = 0;

	for (uint32_t i = 0; i < t->n_users; i++) {
		u[i] = (struct la_snap_user){.uid = t->u[i].uid,
					     .gid = t->u[i].gid,
					     .first_group = at,
					     .lastchg_days = -1,
					     .expire_days = -1};
		u[i].name = pool(data, h, t->u[i].name);
		u[i].gecos = pool(data, h, "");
		u[i].home = pool(data, h, "/home/x");
		u[i].shell = pool(data, h, "/bin/sh");
		for (uint32_t p = 0; p < t->n_pairs; p++)
			if (t->pairs[p][1] == i)
				ug[at++] = t->pairs[p][0], u[i].n_groups++;
		idx[i] = i;
	}
	qsort_r(idx, t->n_users, sizeof(*idx), by_name_users, (void *)(uintptr_t)t);
}

static void tb_groups(unsigned char *data, struct la_snap_header *h, const struct tb *t)
{
	struct la_snap_group *g = (void *)(data + h->groups);
	uint32_t *m = (void *)(data + h->members), *idx = (void *)(data + h->groups_by_name);

	for (uint32_t i = 0; i < t->n_groups; i++) {
		g[i] = (struct la_snap_group){.gid = t->g[i].gid, .flags = t->g[i].flags};
		g[i].name = pool(data, h, t->g[i].name);
		idx[i] = i;
	}
	for (uint32_t p = 0; p < t->n_pairs; p++) {
		struct la_snap_group *gr = &g[t->pairs[p][0]];

		if (gr->n_members++ == 0)
			gr->first_member = p;
		m[p] = t->pairs[p][1];
	}
	qsort_r(idx, t->n_groups, sizeof(*idx), by_name_groups, (void *)(uintptr_t)t);
}

/* Lay t out as la_snapshot.c does, with uid_min..uid_max 10000..59999. */
static void tb_write(const char *path, const struct tb *t)
{
	const size_t sizes[7] = {t->n_users * sizeof(struct la_snap_user),
				 t->n_users * 4,
				 t->n_groups * sizeof(struct la_snap_group),
				 t->n_groups * 4,
				 t->n_pairs * 4,
				 t->n_pairs * 4,
				 4096};
	unsigned char *data = calloc(1, 1 << 16);
	struct la_snap_header h = {.version = LA_SNAP_VERSION,
				   .uid_min = 10000,
				   .uid_max = 59999,
				   .n_users = t->n_users,
				   .n_groups = t->n_groups,
				   .n_members = t->n_pairs,
				   .n_user_groups = t->n_pairs};
	uint32_t *const offs[7] = {&h.users,   &h.users_by_name, &h.groups, &h.groups_by_name,
				   &h.members, &h.user_groups,	 &h.strings};
	size_t at = align8(sizeof(h));

	ck_assert_ptr_nonnull(data);
	memcpy(h.magic, LA_SNAP_MAGIC, sizeof(h.magic));
	h.header_size = (uint32_t)at;
	for (size_t i = 0; i < 7; i++) {
		*offs[i] = (uint32_t)at;
		at = align8(at + sizes[i]);
	}
	tb_users(data, &h, t);
	tb_groups(data, &h, t);
	h.file_size = align8(h.strings + h.strings_size);
	memcpy(data, &h, sizeof(h));
	reseal(data, h.file_size);
	put_file(path, data, h.file_size, 0644);
	free(data);
}

/* ---- entries never served ------------------------------------------- */

static const struct tb_user T_USERS[] = {
    {"toor", 0, 0},	    {"lowuser", 500, 500}, {"good", 10002, 10002},
    {"root", 10003, 10003}, {"gidzero", 10004, 0}, {"highuser", 70000, 70000},
};
static const struct tb_group T_GROUPS[] = {
    {"wheel", 0, LA_SNAP_GROUP_MERGE},
    {"sudo", 27, LA_SNAP_GROUP_MERGE},
    {"games", 60, 0},
    {"good", 10002, 0},
    {"root", 10003, 0},
    {"mixed", 20000, 0},
};
/* good is in every group; mixed has every user. */
static const uint32_t T_PAIRS[][2] = {{0, 2}, {1, 2}, {2, 2}, {3, 2}, {4, 2}, {5, 0},
				      {5, 1}, {5, 2}, {5, 3}, {5, 4}, {5, 5}};
static const struct tb T_SNAP = {T_USERS, T_GROUPS, T_PAIRS, 6, 6, 11};

START_TEST(test_nss_never_served)
{
	static const char *const users[] = {"toor", "lowuser", "root", "gidzero", "highuser"};
	static const uid_t uids[] = {0, 500, 10003, 10004, 70000};
	static const char *const groups[] = {"wheel", "games", "root"};
	static const gid_t gids[] = {0, 60, 10003};
	char buf[NSS_BUF];
	struct passwd pw;
	struct group gr;
	struct spwd sp;
	long start = 1, size = 1;
	gid_t *g = malloc(sizeof(gid_t));
	int errnop;

	ck_assert_ptr_nonnull(g);
	g[0] = 1;
	tb_write(tpath("made.snapshot"), &T_SNAP);
	nss_use(tpath("made.snapshot"));
	for (size_t i = 0; i < 5; i++) {
		NSS_FAILS(nss.getpwnam_r(users[i], &pw, buf, sizeof(buf), &errnop),
			  NSS_STATUS_NOTFOUND, ENOENT);
		NSS_FAILS(nss.getspnam_r(users[i], &sp, buf, sizeof(buf), &errnop),
			  NSS_STATUS_NOTFOUND, ENOENT);
		NSS_FAILS(nss.getpwuid_r(uids[i], &pw, buf, sizeof(buf), &errnop),
			  NSS_STATUS_NOTFOUND, ENOENT);
		NSS_FAILS(nss.initgroups_dyn(users[i], 1, &start, &size, &g, 0, &errnop),
			  NSS_STATUS_NOTFOUND, ENOENT);
	}
	for (size_t i = 0; i < 3; i++) {
		NSS_FAILS(nss.getgrnam_r(groups[i], &gr, buf, sizeof(buf), &errnop),
			  NSS_STATUS_NOTFOUND, ENOENT);
		NSS_FAILS(nss.getgrgid_r(gids[i], &gr, buf, sizeof(buf), &errnop),
			  NSS_STATUS_NOTFOUND, ENOENT);
	}
	NSS_OK(nss.getpwnam_r("good", &pw, buf, sizeof(buf), &errnop));
	ck_assert_uint_eq(pw.pw_uid, 10002);
	NSS_OK(nss.getgrnam_r("sudo", &gr, buf, sizeof(buf), &errnop)); /* a merge group */
	NSS_OK(nss.getgrgid_r(20000, &gr, buf, sizeof(buf), &errnop));
	ck_assert(gr.gr_mem[0] && strcmp(gr.gr_mem[0], "good") == 0 && !gr.gr_mem[1]);
	/* Supplementary groups: only sudo and mixed (good is the primary). */
	g[0] = 10002;
	NSS_OK(nss.initgroups_dyn("good", 10002, &start, &size, &g, 0, &errnop));
	ck_assert_int_eq(start, 3);
	ck_assert(g[1] == 27 && g[2] == 20000);
	free(g);
	/* Enumerations skip them too. */
	NSS_OK(nss.getpwent_r(&pw, buf, sizeof(buf), &errnop));
	ck_assert_str_eq(pw.pw_name, "good");
	NSS_FAILS(nss.getpwent_r(&pw, buf, sizeof(buf), &errnop), NSS_STATUS_NOTFOUND, ENOENT);
	NSS_OK(nss.getspent_r(&sp, buf, sizeof(buf), &errnop));
	ck_assert_str_eq(sp.sp_namp, "good");
	NSS_FAILS(nss.getspent_r(&sp, buf, sizeof(buf), &errnop), NSS_STATUS_NOTFOUND, ENOENT);
	for (size_t i = 0; i < 3; i++) {
		NSS_OK(nss.getgrent_r(&gr, buf, sizeof(buf), &errnop));
		ck_assert_uint_eq(gr.gr_gid, i == 0 ? 27 : i == 1 ? 10002 : 20000);
	}
	NSS_FAILS(nss.getgrent_r(&gr, buf, sizeof(buf), &errnop), NSS_STATUS_NOTFOUND, ENOENT);
}
END_TEST

/* The first name of /etc/passwd other than root that a store could use
 * (daemon on Debian), in name; false when there is none. */
static bool local_name(char name[LA_NAME_MAX + 1])
{
	char line[1024];
	FILE *f = fopen("/etc/passwd", "r");
	bool found = false;

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, ":");

		line[n] = '\0';
		found = n <= LA_NAME_MAX && strcmp(line, "root") != 0 && la_valid_username(line);
		if (found)
			memcpy(name, line, n + 1);
	}
	fclose(f);
	return found;
}

/* A snapshot user named like an account of the system passwd file (a local
 * account created after the last publish, or a tampered file) is never
 * served, and never listed as a member. */
START_TEST(test_nss_local_account)
{
	char name[LA_NAME_MAX + 1], buf[NSS_BUF];
	const struct tb_user users[] = {{"good", 10002, 10002}, {name, 10010, 10010}};
	const struct tb_group groups[] = {{"mixed", 20000, 0}};
	const uint32_t pairs[][2] = {{0, 0}, {0, 1}};
	const struct tb t = {users, groups, pairs, 2, 1, 2};
	struct passwd pw;
	struct group gr;
	struct spwd sp;
	long start = 1, size = 1;
	gid_t *g = malloc(sizeof(gid_t));
	int errnop;

	ck_assert_ptr_nonnull(g);
	g[0] = 10010;
	if (!local_name(name)) {
		free(g);
		return;
	}
	tb_write(tpath("local.snapshot"), &t);
	nss_use(tpath("local.snapshot"));
	NSS_FAILS(nss.getpwnam_r(name, &pw, buf, sizeof(buf), &errnop), NSS_STATUS_NOTFOUND,
		  ENOENT);
	NSS_FAILS(nss.getpwuid_r(10010, &pw, buf, sizeof(buf), &errnop), NSS_STATUS_NOTFOUND,
		  ENOENT);
	NSS_FAILS(nss.getspnam_r(name, &sp, buf, sizeof(buf), &errnop), NSS_STATUS_NOTFOUND,
		  ENOENT);
	NSS_FAILS(nss.initgroups_dyn(name, 10010, &start, &size, &g, 0, &errnop),
		  NSS_STATUS_NOTFOUND, ENOENT);
	NSS_OK(nss.getgrgid_r(20000, &gr, buf, sizeof(buf), &errnop));
	ck_assert(gr.gr_mem[0] && strcmp(gr.gr_mem[0], "good") == 0 && !gr.gr_mem[1]);
	NSS_OK(nss.getpwent_r(&pw, buf, sizeof(buf), &errnop));
	ck_assert_str_eq(pw.pw_name, "good");
	NSS_FAILS(nss.getpwent_r(&pw, buf, sizeof(buf), &errnop), NSS_STATUS_NOTFOUND, ENOENT);
	free(g);
}
END_TEST

/* ---- damaged files -------------------------------------------------- */

/* alice(10001) and bob(10002) in devs(20000): every section is used. */
static void two_users(void)
{
	static const char *const devs[] = {"devs"};
	struct la_group g;

	OK(la_group_add(fx.st, "devs", 20000, &g));
	OK(fx_addu(SPEC(.username = "alice", .uid = 10001, .groups = devs, .n_groups = 1), NULL));
	OK(fx_addu(SPEC(.username = "bob", .uid = 10002, .groups = devs, .n_groups = 1), NULL));
}

/* The module answers from path again (it recovers from a bad file). */
static void answers(const char *path)
{
	char buf[NSS_BUF];
	struct passwd pw;
	int errnop;

	nss_use(path);
	NSS_OK(nss.getpwnam_r("alice", &pw, buf, sizeof(buf), &errnop));
}

/* One damage: width 4 stores value at offset at, width 1 flips the bits of
 * value in the byte at at; reseal recomputes the checksum afterwards. */
struct damage {
	const char *label;
	size_t at;
	uint32_t value;
	int width;
	bool reseal;
};

static void try_damage(const unsigned char *good, size_t len, const struct damage *d)
{
	unsigned char *data = malloc(len);
	char name[96];

	ck_assert_ptr_nonnull(data);
	memcpy(data, good, len);
	ck_assert_uint_lt(d->at + (size_t)d->width, len + 1);
	if (d->width == 1)
		data[d->at] ^= (unsigned char)d->value;
	else
		memcpy(data + d->at, &d->value, 4);
	if (d->reseal)
		reseal(data, len);
	snprintf(name, sizeof(name), "bad-%s.snapshot", d->label);
	put_file(tpath(name), data, len, 0644);
	nss_use(tpath(name));
	nss_all_fail(NSS_STATUS_UNAVAIL, EIO);
	nss_all_fail(NSS_STATUS_UNAVAIL, EIO); /* again: remembered as bad */
	free(data);
	answers(nss_snap);
}

#define HDR(field) offsetof(struct la_snap_header, field)
#define USER(i, field)                                                                             \
	(h.users + (i) * sizeof(struct la_snap_user) + offsetof(struct la_snap_user, field))
#define GROUP(i, field)                                                                            \
	(h.groups + (i) * sizeof(struct la_snap_group) + offsetof(struct la_snap_group, field))

START_TEST(test_nss_damaged)
{
	size_t len;
	unsigned char *good;
	struct la_snap_header h;

	two_users();
	answers(nss_snap);
	good = slurp(nss_snap, &len);
	memcpy(&h, good, sizeof(h));
	ck_assert(h.n_users == 2 && h.n_groups == 3 && h.n_members == 2);
	{
		const struct damage d[] = {
		    {"magic", HDR(magic), 'X', 1, false},
		    {"version", HDR(version), 2, 4, false},
		    {"header-small", HDR(header_size), 8, 4, false},
		    {"header-big", HDR(header_size), (uint32_t)len + 8, 4, false},
		    {"file-size", HDR(file_size), (uint32_t)len + 8, 4, false},
		    {"checksum", HDR(checksum), 1, 1, false},
		    {"body", h.header_size + 5, 0x40, 1, false},
		    {"users-oob", HDR(users), (uint32_t)len + 8, 4, false},
		    {"users-end", HDR(users), (uint32_t)len - 8, 4, false},
		    {"users-odd", HDR(users), h.users + 2, 4, false},
		    {"users-hdr", HDR(users), 0, 4, false},
		    {"n-users", HDR(n_users), 0x7fffffff, 4, false},
		    {"n-groups", HDR(n_groups), 0x10000, 4, false},
		    {"n-members", HDR(n_members), 0x40000000, 4, false},
		    {"n-user-groups", HDR(n_user_groups), 0xffffffff, 4, false},
		    {"by-name-oob", HDR(users_by_name), (uint32_t)len, 4, false},
		    {"members-oob", HDR(members), (uint32_t)len - 4, 4, false},
		    {"strings-0", HDR(strings_size), 0, 4, false},
		    {"strings-big", HDR(strings_size), h.strings_size + 16, 4, false},
		    {"strings-oob", HDR(strings), (uint32_t)len + 1, 4, false},
		    {"pool-end", h.strings + h.strings_size - 1, 'x', 1, true},
		    {"user-name", USER(0, name), h.strings_size, 4, true},
		    {"user-shell", USER(1, shell), 0xffffffff, 4, true},
		    {"user-groups", USER(0, first_group), h.n_user_groups, 4, true},
		    {"user-n-groups", USER(1, n_groups), 0xffffffff, 4, true},
		    {"uid-order", USER(1, uid), 10001, 4, true},
		    {"by-name-index", h.users_by_name, h.n_users, 4, true},
		    {"by-name-order", h.users_by_name, 1, 4, true},
		    {"group-name", GROUP(0, name), h.strings_size + 100, 4, true},
		    {"group-members", GROUP(2, first_member), 0xfffffff0, 4, true},
		    {"gid-order", GROUP(2, gid), 1, 4, true},
		    {"group-by-name", h.groups_by_name + 4, h.n_groups, 4, true},
		    {"member", h.members, h.n_users, 4, true},
		    {"user-group", h.user_groups + 4, h.n_groups, 4, true},
		};

		for (size_t i = 0; i < sizeof(d) / sizeof(*d); i++)
			try_damage(good, len, &d[i]);
	}
	free(good);
}
END_TEST

START_TEST(test_nss_truncated)
{
	static const size_t cut[] = {0, 1, 10, sizeof(struct la_snap_header) - 1,
				     sizeof(struct la_snap_header)};
	size_t len;
	unsigned char *good;

	two_users();
	good = slurp(nss_snap, &len);
	for (size_t i = 0; i < sizeof(cut) / sizeof(*cut) + 2; i++) {
		char name[64];
		size_t n = i < 5 ? cut[i] : len - (i == 5 ? 1 : 8);

		snprintf(name, sizeof(name), "cut-%zu.snapshot", n);
		put_file(tpath(name), good, n, 0644);
		nss_use(tpath(name));
		nss_all_fail(NSS_STATUS_UNAVAIL, EIO);
	}
	/* Truncated, with a header that says so and a right checksum. */
	{
		struct la_snap_header h;

		memcpy(&h, good, sizeof(h));
		h.file_size = len - 8;
		memcpy(good, &h, sizeof(h));
		reseal(good, len - 8);
		put_file(tpath("cut-resealed.snapshot"), good, len - 8, 0644);
		nss_use(tpath("cut-resealed.snapshot"));
		nss_all_fail(NSS_STATUS_UNAVAIL, EIO);
	}
	free(good);
	answers(nss_snap);
}
END_TEST

/* ---- unsafe or missing files ---------------------------------------- */

START_TEST(test_nss_unsafe_file)
{
	static const mode_t bad_modes[] = {0666, 0664, 0646, 0622};
	size_t len;
	unsigned char *good;

	two_users();
	good = slurp(nss_snap, &len);
	for (size_t i = 0; i < sizeof(bad_modes) / sizeof(*bad_modes); i++) {
		put_file(tpath("mode.snapshot"), good, len, bad_modes[i]);
		nss_use(tpath("mode.snapshot"));
		nss_all_fail(NSS_STATUS_UNAVAIL, EIO);
	}
	put_file(tpath("mode.snapshot"), good, len, 0600); /* private, ours: fine */
	answers(tpath("mode.snapshot"));
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(tpath("mode.snapshot"), 65534, 65534), 0);
		nss_use(tpath("mode.snapshot"));
		nss_all_fail(NSS_STATUS_UNAVAIL, EIO);
	}
	ck_assert_int_eq(symlink(nss_snap, tpath("link.snapshot")), 0);
	nss_use(tpath("link.snapshot"));
	nss_all_fail(NSS_STATUS_UNAVAIL, EIO);
	ck_assert_int_eq(mkdir(tpath("dir.snapshot"), 0755), 0);
	nss_use(tpath("dir.snapshot"));
	nss_all_fail(NSS_STATUS_UNAVAIL, EIO);
	ck_assert_int_eq(mkfifo(tpath("fifo.snapshot"), 0644), 0);
	nss_use(tpath("fifo.snapshot"));
	nss_all_fail(NSS_STATUS_UNAVAIL, EIO);
	free(good);
	answers(nss_snap);
}
END_TEST

START_TEST(test_nss_missing)
{
	two_users();
	nss_use(tpath("none.snapshot"));
	nss_all_fail(NSS_STATUS_UNAVAIL, ENOENT);
	nss_use(tpath("none/nss.snapshot"));
	nss_all_fail(NSS_STATUS_UNAVAIL, ENOENT);
	nss_use(tpath("state/luciaauth.db/nss.snapshot")); /* ENOTDIR */
	nss_all_fail(NSS_STATUS_UNAVAIL, ENOENT);
	/* Removed after it was mapped: unavailable, not the old answers. */
	answers(nss_snap);
	ck_assert_int_eq(rename(nss_snap, tpath("moved.snapshot")), 0);
	nss_use(nss_snap);
	nss_all_fail(NSS_STATUS_UNAVAIL, ENOENT);
	ck_assert_int_eq(rename(tpath("moved.snapshot"), nss_snap), 0);
	answers(nss_snap);
}
END_TEST

/* A damaged file replaced by a good one at the same path is served. */
START_TEST(test_nss_recovers)
{
	size_t len;
	unsigned char *good;

	two_users();
	good = slurp(nss_snap, &len);
	good[len - 1] ^= 1;
	put_file(tpath("fix.snapshot"), good, len, 0644);
	nss_use(tpath("fix.snapshot"));
	nss_all_fail(NSS_STATUS_UNAVAIL, EIO);
	good[len - 1] ^= 1;
	put_file(tpath("fix.snapshot"), good, len, 0644);
	answers(tpath("fix.snapshot"));
	free(good);
}
END_TEST

Suite *suite_nss_tamper(void)
{
	const TTest *tests[] = {
	    test_nss_never_served, test_nss_local_account, test_nss_damaged,  test_nss_truncated,
	    test_nss_unsafe_file,  test_nss_missing,	   test_nss_recovers,
	};
	Suite *s = suite_create("nss_tamper");

	NSS_TCASE(s, "errors", 0, tests);
	return s;
}

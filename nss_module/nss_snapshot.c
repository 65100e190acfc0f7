/*
 * nss_snapshot.c - mapping, validating and caching <dir>/nss.snapshot for
 * the NSS module (layout: storage/la_snapshot.h; contract: nss_snapshot.h),
 * with the names of the system passwd file next to it (nss_local.c).
 *
 * MUST:
 *  1. Never crash, whatever the file holds: every offset, index and count
 *     is checked against the file once per mapping, before any lookup sees
 *     it; a file that fails any check is "unavailable", never "not found".
 *  2. Read the snapshot read-only: O_RDONLY|O_CLOEXEC|O_NOFOLLOW, a
 *     regular file owned by root (or by the euid) that no group or other
 *     can write, mapped PROT_READ.  The library replaces it by rename and
 *     never rewrites it in place, so a mapping stays valid for as long as
 *     someone uses it; a replaced file is mapped again on the next lookup.
 *  3. Thread-safe and fork-safe: the caches and the enumeration cursors
 *     have one lock each, taken around fork() and re-initialised in the
 *     child.  Readers hold counted references, never a lock.
 *  4. No output, no syslog, no NSS call (no recursion), only libc: the
 *     module runs inside every process of the system.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nss_snapshot.h"

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t ent_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* Guarded by cache_lock. */
static struct nss_snap *cache_cur;
/* The last file that failed to load and why, so that a broken snapshot
 * costs one stat per lookup instead of a full validation. */
static struct {
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	uid_t euid;
	int err;
} cache_bad;

/* Set once by init(): the paths from the configuration, or the errno-style
 * reason why there are none. */
static struct nss_conf conf;
static int conf_err;
/* The names of the passwd file; guarded by cache_lock. */
static struct nss_local *local_cur;

/* ---- fork safety ---------------------------------------------------- */

static void fork_prepare(void)
{
	pthread_mutex_lock(&ent_lock);
	pthread_mutex_lock(&cache_lock);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&cache_lock);
	pthread_mutex_unlock(&ent_lock);
}

/* The child has one thread: whatever other threads held is void.  The
 * mappings stay valid (inherited); references of threads that do not
 * exist here only keep an old mapping alive. */
static void fork_child(void)
{
	pthread_mutex_init(&cache_lock, NULL);
	pthread_mutex_init(&ent_lock, NULL);
}

static void init(void)
{
	int saved = errno;

	conf_err = nss_conf_load(&conf);
	if (pthread_atfork(fork_prepare, fork_parent, fork_child) != 0 && !conf_err)
		conf_err = EAGAIN;
	errno = saved;
}

void nss_snap_ent_lock(void)
{
	pthread_mutex_lock(&ent_lock);
}

void nss_snap_ent_unlock(void)
{
	pthread_mutex_unlock(&ent_lock);
}

/* ---- validation (MUST 1) -------------------------------------------- */

/* count elements of elem bytes at off: aligned and inside the file, after
 * the header. */
static bool span_ok(const struct nss_snap *s, uint32_t off, uint32_t count, size_t elem)
{
	uint64_t bytes = (uint64_t)count * elem;

	return off % 4 == 0 && off >= s->h->header_size && off <= s->size && bytes <= s->size - off;
}

static bool header_ok(struct nss_snap *s)
{
	const struct la_snap_header *h = s->h;

	if (s->size < sizeof(*h) || memcmp(h->magic, LA_SNAP_MAGIC, sizeof(h->magic)) != 0 ||
	    h->version != LA_SNAP_VERSION || h->header_size < sizeof(*h) ||
	    h->header_size > s->size || h->file_size != s->size)
		return false;
	if (!span_ok(s, h->users, h->n_users, sizeof(struct la_snap_user)) ||
	    !span_ok(s, h->users_by_name, h->n_users, sizeof(uint32_t)) ||
	    !span_ok(s, h->groups, h->n_groups, sizeof(struct la_snap_group)) ||
	    !span_ok(s, h->groups_by_name, h->n_groups, sizeof(uint32_t)) ||
	    !span_ok(s, h->members, h->n_members, sizeof(uint32_t)) ||
	    !span_ok(s, h->user_groups, h->n_user_groups, sizeof(uint32_t)) ||
	    h->strings < h->header_size || h->strings > s->size || h->strings_size == 0 ||
	    h->strings_size > s->size - h->strings)
		return false;
	s->users = (const void *)(s->base + h->users);
	s->users_by_name = (const void *)(s->base + h->users_by_name);
	s->groups = (const void *)(s->base + h->groups);
	s->groups_by_name = (const void *)(s->base + h->groups_by_name);
	s->members = (const void *)(s->base + h->members);
	s->user_groups = (const void *)(s->base + h->user_groups);
	s->pool = (const char *)s->base + h->strings;
	/* Every string ends inside the pool. */
	return s->pool[h->strings_size - 1] == '\0' &&
	       la_snap_fnv1a(LA_SNAP_FNV_INIT, s->base + h->header_size,
			     s->size - h->header_size) == h->checksum;
}

static bool users_ok(const struct nss_snap *s)
{
	const struct la_snap_header *h = s->h;

	for (uint32_t i = 0; i < h->n_users; i++) {
		const struct la_snap_user *u = &s->users[i];

		if (u->name >= h->strings_size || u->gecos >= h->strings_size ||
		    u->home >= h->strings_size || u->shell >= h->strings_size ||
		    (uint64_t)u->first_group + u->n_groups > h->n_user_groups ||
		    (i > 0 && u->uid <= s->users[i - 1].uid))
			return false;
	}
	for (uint32_t i = 0; i < h->n_user_groups; i++)
		if (s->user_groups[i] >= h->n_groups)
			return false;
	return true;
}

static bool groups_ok(const struct nss_snap *s)
{
	const struct la_snap_header *h = s->h;

	for (uint32_t i = 0; i < h->n_groups; i++) {
		const struct la_snap_group *g = &s->groups[i];

		if (g->name >= h->strings_size ||
		    (uint64_t)g->first_member + g->n_members > h->n_members ||
		    (i > 0 && g->gid <= s->groups[i - 1].gid))
			return false;
	}
	for (uint32_t i = 0; i < h->n_members; i++)
		if (s->members[i] >= h->n_users)
			return false;
	return true;
}

/* idx[0..n) are indices below n whose names are strictly ascending, which
 * also makes them a permutation: binary search by name is sound. */
static bool by_name_ok(const struct nss_snap *s, const uint32_t *idx, uint32_t n, bool users)
{
	const char *prev = NULL;

	for (uint32_t i = 0; i < n; i++) {
		const char *name;

		if (idx[i] >= n)
			return false;
		name = s->pool + (users ? s->users[idx[i]].name : s->groups[idx[i]].name);
		if (prev && strcmp(prev, name) >= 0)
			return false;
		prev = name;
	}
	return true;
}

bool nss_snap_validate(struct nss_snap *s)
{
	return header_ok(s) && users_ok(s) && groups_ok(s) &&
	       by_name_ok(s, s->users_by_name, s->h->n_users, true) &&
	       by_name_ok(s, s->groups_by_name, s->h->n_groups, false);
}

/* ---- loading -------------------------------------------------------- */

static void snap_free(struct nss_snap *s)
{
	if (!s)
		return;
	if (s->base)
		munmap((void *)(uintptr_t)s->base, s->size);
	free(s->path);
	free(s);
}

/* MUST 2: the descriptor's file is one we may trust; 0 or EIO. */
static int file_ok(int fd, struct stat *sb)
{
	if (fstat(fd, sb) != 0 || !S_ISREG(sb->st_mode) ||
	    (sb->st_uid != 0 && sb->st_uid != geteuid()) || (sb->st_mode & (S_IWGRP | S_IWOTH)) ||
	    sb->st_size < (off_t)sizeof(struct la_snap_header) ||
	    (uint64_t)sb->st_size > UINT32_MAX)
		return EIO;
	return 0;
}

static void remember_bad(const char *path, const struct stat *sb, int err)
{
	free(cache_bad.path);
	cache_bad.path = strdup(path);
	cache_bad.dev = sb->st_dev;
	cache_bad.ino = sb->st_ino;
	cache_bad.size = sb->st_size;
	cache_bad.mtime = sb->st_mtim;
	cache_bad.ctime = sb->st_ctim;
	cache_bad.euid = geteuid();
	cache_bad.err = err;
}

/* Map and validate the file at path; NULL with *err = ENOENT, EIO or
 * EAGAIN.  Called with cache_lock held. */
static struct nss_snap *snap_load(const char *path, int *err)
{
	struct nss_snap *s = NULL;
	struct stat sb;
	void *map;
	/* O_NONBLOCK: a FIFO put at the path must not hang every process. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);

	*err = fd < 0 ? (errno == ENOENT || errno == ENOTDIR ? ENOENT : EIO) : file_ok(fd, &sb);
	if (*err)
		goto fail;
	s = calloc(1, sizeof(*s));
	*err = EAGAIN;
	if (!s || !(s->path = strdup(path)))
		goto fail;
	map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		*err = errno == ENOMEM || errno == EAGAIN ? EAGAIN : EIO;
		goto fail;
	}
	s->base = map;
	s->size = (size_t)sb.st_size;
	s->h = map;
	s->dev = sb.st_dev;
	s->ino = sb.st_ino;
	s->file_size = sb.st_size;
	s->mtime = sb.st_mtim;
	s->ctime = sb.st_ctim;
	s->euid = geteuid();
	*err = EIO;
	if (!nss_snap_validate(s)) {
		remember_bad(path, &sb, EIO);
		goto fail;
	}
	close(fd);
	return s;
fail:
	snap_free(s);
	if (fd >= 0)
		close(fd);
	return NULL;
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static bool is_current(const struct nss_snap *s, const char *path, const struct stat *sb)
{
	return s && s->dev == sb->st_dev && s->ino == sb->st_ino && s->file_size == sb->st_size &&
	       same_time(&s->mtime, &sb->st_mtim) && same_time(&s->ctime, &sb->st_ctim) &&
	       s->euid == geteuid() && strcmp(s->path, path) == 0;
}

static bool is_known_bad(const char *path, const struct stat *sb)
{
	return cache_bad.path && cache_bad.dev == sb->st_dev && cache_bad.ino == sb->st_ino &&
	       cache_bad.size == sb->st_size && same_time(&cache_bad.mtime, &sb->st_mtim) &&
	       same_time(&cache_bad.ctime, &sb->st_ctim) && cache_bad.euid == geteuid() &&
	       strcmp(cache_bad.path, path) == 0;
}

/* ---- the cache ------------------------------------------------------ */

/* The snapshot's path: the test hook (ignored in setuid programs), else
 * <dir>/nss.snapshot.  A broken configuration fails either way: it also
 * names the passwd file. */
static int snapshot_path(char *out, size_t len)
{
#ifdef HAVE_SECURE_GETENV
	const char *env = secure_getenv(NSS_LA_ENV_PATH);
#else
	const char *env = NULL;
#endif

	if (conf_err)
		return conf_err;
	if (!env || !*env)
		env = conf.snapshot;
	if (strlen(env) >= len)
		return EIO;
	strcpy(out, env);
	return 0;
}

static enum nss_status fail(int *errnop, int err)
{
	*errnop = err;
	return err == EAGAIN ? NSS_STATUS_TRYAGAIN : NSS_STATUS_UNAVAIL;
}

/* With cache_lock held: cache_cur made the mapping of the file sb
 * describes (at path); 0 or the errno-style reason why not. */
static int snap_current(const char *path, const struct stat *sb)
{
	struct nss_snap *s = NULL;
	int err;

	if (is_current(cache_cur, path, sb))
		return 0;
	err = is_known_bad(path, sb) ? cache_bad.err : 0;
	if (!err)
		s = snap_load(path, &err);
	if (!s)
		return err;
	if (cache_cur && cache_cur->refs == 0)
		snap_free(cache_cur);
	cache_cur = s;
	return 0;
}

/* With cache_lock held: local_cur made the names of the passwd file sb
 * describes; 0 or the errno-style reason why not. */
static int local_current(const struct stat *sb)
{
	struct nss_local *l;
	int err;

	if (nss_local_same(local_cur, sb))
		return 0;
	l = nss_local_load(conf.passwd, &err);
	if (!l)
		return err;
	if (local_cur && local_cur->refs == 0)
		nss_local_free(local_cur);
	local_cur = l;
	return 0;
}

enum nss_status nss_view_acquire(struct nss_view *v, int *errnop)
{
	char path[PATH_MAX];
	struct stat sb, pw;
	int err;

	v->snap = NULL;
	v->local = NULL;
	pthread_once(&init_once, init);
	err = snapshot_path(path, sizeof(path));
	if (err)
		return fail(errnop, err);
	/* Cheap checks first: are the files at the paths still the ones read? */
	if (lstat(path, &sb) != 0)
		return fail(errnop, errno == ENOENT || errno == ENOTDIR ? ENOENT : EIO);
	if (!S_ISREG(sb.st_mode) || lstat(conf.passwd, &pw) != 0)
		return fail(errnop, EIO);
	pthread_mutex_lock(&cache_lock);
	err = snap_current(path, &sb);
	if (!err)
		err = local_current(&pw);
	if (!err) {
		v->snap = cache_cur;
		v->local = local_cur;
		v->snap->refs++;
		v->local->refs++;
	}
	pthread_mutex_unlock(&cache_lock);
	return err ? fail(errnop, err) : NSS_STATUS_SUCCESS;
}

void nss_view_release(struct nss_view *v)
{
	if (!v->snap)
		return;
	pthread_mutex_lock(&cache_lock);
	if (--v->snap->refs == 0 && v->snap != cache_cur)
		snap_free(v->snap);
	if (--v->local->refs == 0 && v->local != local_cur)
		nss_local_free(v->local);
	pthread_mutex_unlock(&cache_lock);
	v->snap = NULL;
	v->local = NULL;
}

/* ---- lookups -------------------------------------------------------- */

const char *nss_snap_str(const struct nss_snap *s, uint32_t off)
{
	return off < s->h->strings_size ? s->pool + off : "";
}

const struct la_snap_user *nss_snap_user_by_uid(const struct nss_snap *s, uint32_t uid)
{
	uint32_t lo = 0, hi = s->h->n_users;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (s->users[mid].uid == uid)
			return &s->users[mid];
		if (s->users[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct la_snap_group *nss_snap_group_by_gid(const struct nss_snap *s, uint32_t gid)
{
	uint32_t lo = 0, hi = s->h->n_groups;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (s->groups[mid].gid == gid)
			return &s->groups[mid];
		if (s->groups[mid].gid < gid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct la_snap_user *nss_snap_user_by_name(const struct nss_snap *s, const char *name)
{
	uint32_t lo = 0, hi = s->h->n_users;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct la_snap_user *u = &s->users[s->users_by_name[mid]];
		int c = strcmp(s->pool + u->name, name);

		if (c == 0)
			return u;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct la_snap_group *nss_snap_group_by_name(const struct nss_snap *s, const char *name)
{
	uint32_t lo = 0, hi = s->h->n_groups;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct la_snap_group *g = &s->groups[s->groups_by_name[mid]];
		int c = strcmp(s->pool + g->name, name);

		if (c == 0)
			return g;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- serving rules -------------------------------------------------- */

bool nss_valid_name(const char *name)
{
	size_t n;

	if (!name || !((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return false;
	for (n = 1; name[n]; n++) {
		char c = name[n];

		if (n >= NSS_LA_NAME_MAX ||
		    !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return strcmp(name, "root") != 0;
}

bool nss_user_ok(const struct nss_view *v, const struct la_snap_user *u)
{
	const struct nss_snap *s = v->snap;

	return u->uid != 0 && u->gid != 0 && u->uid >= s->h->uid_min && u->uid <= s->h->uid_max &&
	       nss_valid_name(s->pool + u->name) && !nss_local_has(v->local, s->pool + u->name);
}

bool nss_group_ok(const struct nss_view *v, const struct la_snap_group *g)
{
	const struct nss_snap *s = v->snap;
	bool in_range = g->gid >= s->h->uid_min && g->gid <= s->h->uid_max;

	return g->gid != 0 && (in_range || (g->flags & LA_SNAP_GROUP_MERGE)) &&
	       nss_valid_name(s->pool + g->name);
}

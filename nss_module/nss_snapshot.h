/*
 * nss_snapshot.h - what the NSS module reads: <dir>/nss.snapshot (layout:
 * storage/la_snapshot.h; nss_snapshot.c), its configuration and the names
 * of the system passwd file (nss_local.c).
 *
 * One mapping of the snapshot and one copy of the passwd file's names are
 * cached per process.  nss_view_acquire() hands out counted references to
 * the current ones (loading them again when a file was replaced); the
 * caller reads them without any lock and gives them back with
 * nss_view_release().  A mapping is validated as a whole before anyone
 * sees it, so the lookups below need no further bounds checks.  Nothing
 * here prints, logs or calls into NSS.
 */
#ifndef NSS_SNAPSHOT_H
#define NSS_SNAPSHOT_H

#include <nss.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "la_snapshot.h"

/* Where the snapshot lives without a configuration file. */
#define NSS_LA_CONFIG	      "/etc/luciaauth.conf"
#define NSS_LA_DEFAULT_DIR    "/var/lib/luciaauth"
#define NSS_LA_DEFAULT_PASSWD "/etc/passwd"
/* Test hook: full path of the snapshot file (secure_getenv only). */
#define NSS_LA_ENV_PATH "LUCIAAUTH_NSS_SNAPSHOT"
/* Longest Unix name served (Debian rule, SPEC 1). */
#define NSS_LA_NAME_MAX 32

struct nss_snap {
	/* The validated mapping. */
	const unsigned char *base;
	size_t size;
	const struct la_snap_header *h;
	const struct la_snap_user *users; /* by uid */
	const uint32_t *users_by_name;
	const struct la_snap_group *groups; /* by gid */
	const uint32_t *groups_by_name;
	const uint32_t *members, *user_groups;
	const char *pool;
	/* What it was mapped from: a different file at the path, the same
	 * one changed (ctime: also chmod, chown), or another euid (the owner
	 * check depends on it) means "map again". */
	char *path;
	dev_t dev;
	ino_t ino;
	off_t file_size;
	struct timespec mtime, ctime;
	uid_t euid;
	unsigned long refs; /* guarded by the cache lock */
};

/* The names of the system passwd file (sorted) and the file they came
 * from. */
struct nss_local {
	char *text;
	const char **names;
	size_t n;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	unsigned long refs; /* guarded by the cache lock */
};

/* What one lookup or one enumeration reads. */
struct nss_view {
	struct nss_snap *snap;
	struct nss_local *local;
};

/* References to the current, valid snapshot and passwd names in *v.
 * NSS_STATUS_SUCCESS, or a failure status with *errnop set: UNAVAIL +
 * ENOENT (no snapshot), UNAVAIL + EIO (unsafe owner/mode, damaged, bad
 * configuration, unreadable passwd file), TRYAGAIN + EAGAIN (out of
 * memory).  Thread-safe. */
enum nss_status nss_view_acquire(struct nss_view *v, int *errnop);
/* Give the references back (v may hold none).  Thread-safe. */
void nss_view_release(struct nss_view *v);

/* Check the mapping s->base / s->size (MUST 1 of nss_snapshot.c) and set
 * the table pointers; false if anything is out of place.  Pure: the fuzz
 * target fuzz/fuzz_nss_snapshot.c feeds it hostile bytes. */
bool nss_snap_validate(struct nss_snap *s);

/* The lock around the module's enumeration cursors (set*ent/get*ent_r),
 * reset in a forked child together with the cache lock. */
void nss_snap_ent_lock(void);
void nss_snap_ent_unlock(void);

/* A string of the pool ("" for an offset outside it). */
const char *nss_snap_str(const struct nss_snap *s, uint32_t off);

/* Exact-match lookups; NULL when absent.  They do not apply the serving
 * rules: check nss_snap_user_ok / nss_snap_group_ok. */
const struct la_snap_user *nss_snap_user_by_name(const struct nss_snap *s, const char *name);
const struct la_snap_user *nss_snap_user_by_uid(const struct nss_snap *s, uint32_t uid);
const struct la_snap_group *nss_snap_group_by_name(const struct nss_snap *s, const char *name);
const struct la_snap_group *nss_snap_group_by_gid(const struct nss_snap *s, uint32_t gid);

/* Serving rules (SPEC 2): never uid/gid 0 or "root", users only inside the
 * header's uid_min..uid_max and not named like an account of the system
 * passwd file, groups only inside the range too unless they are merge
 * groups, and only well-formed names -- whatever the file says. */
bool nss_user_ok(const struct nss_view *v, const struct la_snap_user *u);
bool nss_group_ok(const struct nss_view *v, const struct la_snap_group *g);
/* Debian rule ^[a-z_][a-z0-9_-]*$, 1..32 characters. */
bool nss_valid_name(const char *name);

/* ---- nss_local.c ---------------------------------------------------- */

struct nss_conf {
	char snapshot[PATH_MAX]; /* <dir>/nss.snapshot */
	char passwd[PATH_MAX];	 /* passwd_file */
};
/* Read NSS_LA_CONFIG into c (defaults when it does not exist): 0, or EIO
 * when it is unsafe (not root's, writable by others), unreadable or
 * malformed. */
int nss_conf_load(struct nss_conf *c);

/* Read the passwd file at path; NULL with *err = EIO or EAGAIN. */
struct nss_local *nss_local_load(const char *path, int *err);
/* l was read from the file sb describes (unchanged since). */
bool nss_local_same(const struct nss_local *l, const struct stat *sb);
void nss_local_free(struct nss_local *l);
/* name is an account of the passwd file. */
bool nss_local_has(const struct nss_local *l, const char *name);

#endif /* NSS_SNAPSHOT_H */

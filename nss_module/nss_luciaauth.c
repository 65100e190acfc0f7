/*
 * nss_luciaauth.c - the glibc NSS entry points of libnss_luciaauth.so.2
 * (SPEC 4): passwd, group, initgroups and a safe shadow, answered from the
 * public snapshot (nss_snapshot.c).
 *
 * MUST (the glibc NSS contract):
 *  1. A short buffer is ERANGE + NSS_STATUS_TRYAGAIN, and the next call
 *     with a larger buffer gets the same entry: enumeration cursors move
 *     only on success.
 *  2. Every string and the gr_mem array live inside the caller's buffer;
 *     gr_mem is pointer-aligned and NULL-terminated.
 *  3. *errnop is set (never to 0) on every status but SUCCESS; errno is
 *     left as it was on SUCCESS.  A missing entry is NOTFOUND + ENOENT; a
 *     missing or broken snapshot is UNAVAIL, never NOTFOUND.
 *  4. Never an answer for uid/gid 0 or "root", for a user outside the
 *     snapshot's uid_min..uid_max, or for a group outside it that is not
 *     a merge group (nss_snap_user_ok / nss_snap_group_ok).
 *  5. The shadow entry never carries a hash: sp_pwdp is "*".
 */
#include "config.h"

#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "nss_luciaauth.h"
#include "nss_snapshot.h"

#define NSS_EXPORT __attribute__((visibility("default")))

/* ---- results -------------------------------------------------------- */

static enum nss_status fail(int *errnop, int err, enum nss_status st)
{
	*errnop = err;
	return st;
}

static enum nss_status not_found(int *errnop)
{
	return fail(errnop, ENOENT, NSS_STATUS_NOTFOUND);
}

/* MUST 3: restore errno after a success (errnop may point at it). */
static enum nss_status done(enum nss_status st, int saved_errno)
{
	if (st == NSS_STATUS_SUCCESS)
		errno = saved_errno;
	return st;
}

/* ---- packing into the caller's buffer (MUST 1, 2) ------------------- */

struct pack {
	char *buf;
	size_t len, used;
};

/* A copy of s inside the buffer; NULL when it does not fit. */
static char *pack_str(struct pack *p, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d;

	if (n > p->len - p->used)
		return NULL;
	d = p->buf + p->used;
	memcpy(d, s, n);
	p->used += n;
	return d;
}

/* n pointers at the first pointer-aligned place of the buffer. */
static char **pack_ptrs(struct pack *p, size_t n)
{
	uintptr_t at = (uintptr_t)p->buf + p->used;
	size_t pad = (alignof(char *) - at % alignof(char *)) % alignof(char *);
	char **v;

	if (pad > p->len - p->used || n > (p->len - p->used - pad) / sizeof(char *))
		return NULL;
	v = (char **)(void *)(p->buf + p->used + pad);
	p->used += pad + n * sizeof(char *);
	return v;
}

static enum nss_status fill_passwd(const struct nss_snap *s, const struct la_snap_user *u,
				   struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	struct pack p = {buf, buflen, 0};
	struct passwd r;

	r.pw_name = pack_str(&p, nss_snap_str(s, u->name));
	r.pw_passwd = pack_str(&p, "x");
	r.pw_gecos = pack_str(&p, nss_snap_str(s, u->gecos));
	r.pw_dir = pack_str(&p, nss_snap_str(s, u->home));
	r.pw_shell = pack_str(&p, nss_snap_str(s, u->shell));
	if (!r.pw_name || !r.pw_passwd || !r.pw_gecos || !r.pw_dir || !r.pw_shell)
		return fail(errnop, ERANGE, NSS_STATUS_TRYAGAIN);
	r.pw_uid = u->uid;
	r.pw_gid = u->gid;
	*pw = r;
	return NSS_STATUS_SUCCESS;
}

static enum nss_status fill_group(const struct nss_view *v, const struct la_snap_group *g,
				  struct group *gr, char *buf, size_t buflen, int *errnop)
{
	const struct nss_snap *s = v->snap;
	struct pack p = {buf, buflen, 0};
	const uint32_t *m = s->members + g->first_member;
	size_t n = 0, k = 0;
	struct group r;

	for (uint32_t i = 0; i < g->n_members; i++)
		n += nss_user_ok(v, &s->users[m[i]]);
	/* Pointers first: they need the alignment, strings do not. */
	r.gr_mem = pack_ptrs(&p, n + 1);
	if (!r.gr_mem)
		return fail(errnop, ERANGE, NSS_STATUS_TRYAGAIN);
	for (uint32_t i = 0; i < g->n_members; i++) {
		const struct la_snap_user *u = &s->users[m[i]];

		if (!nss_user_ok(v, u))
			continue;
		r.gr_mem[k] = pack_str(&p, nss_snap_str(s, u->name));
		if (!r.gr_mem[k++])
			return fail(errnop, ERANGE, NSS_STATUS_TRYAGAIN);
	}
	r.gr_mem[k] = NULL;
	r.gr_name = pack_str(&p, nss_snap_str(s, g->name));
	r.gr_passwd = pack_str(&p, "x");
	if (!r.gr_name || !r.gr_passwd)
		return fail(errnop, ERANGE, NSS_STATUS_TRYAGAIN);
	r.gr_gid = g->gid;
	*gr = r;
	return NSS_STATUS_SUCCESS;
}

/* MUST 5: no hash ever; aging from the store, no policy of our own. */
static enum nss_status fill_spwd(const struct nss_snap *s, const struct la_snap_user *u,
				 struct spwd *sp, char *buf, size_t buflen, int *errnop)
{
	struct pack p = {buf, buflen, 0};
	struct spwd r;

	r.sp_namp = pack_str(&p, nss_snap_str(s, u->name));
	r.sp_pwdp = pack_str(&p, "*");
	if (!r.sp_namp || !r.sp_pwdp)
		return fail(errnop, ERANGE, NSS_STATUS_TRYAGAIN);
	r.sp_lstchg = u->lastchg_days < 0 ? -1 : u->lastchg_days; /* 0: must change */
	r.sp_min = -1;
	r.sp_max = -1;
	r.sp_warn = -1;
	r.sp_inact = -1;
	r.sp_expire = u->expire_days < 0 ? -1 : u->expire_days;
	r.sp_flag = ~0UL;
	*sp = r;
	return NSS_STATUS_SUCCESS;
}

/* ---- passwd and shadow ---------------------------------------------- */

/* Kinds of entries, for the shared lookup and enumeration code. */
enum kind { KIND_PASSWD, KIND_SHADOW, KIND_GROUP };

static enum nss_status fill_user(enum kind k, const struct nss_view *v,
				 const struct la_snap_user *u, void *out, char *buf, size_t buflen,
				 int *errnop)
{
	if (!u || !nss_user_ok(v, u))
		return not_found(errnop);
	return k == KIND_PASSWD ? fill_passwd(v->snap, u, out, buf, buflen, errnop)
				: fill_spwd(v->snap, u, out, buf, buflen, errnop);
}

/* One user by name (name != NULL) or by uid. */
static enum nss_status user_lookup(enum kind k, const char *name, uid_t uid, void *out, char *buf,
				   size_t buflen, int *errnop)
{
	int saved_errno = errno;
	struct nss_view v;
	enum nss_status st;

	if (name ? !nss_valid_name(name) : uid == 0)
		return not_found(errnop);
	st = nss_view_acquire(&v, errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	st = fill_user(
	    k, &v, name ? nss_snap_user_by_name(v.snap, name) : nss_snap_user_by_uid(v.snap, uid),
	    out, buf, buflen, errnop);
	nss_view_release(&v);
	return done(st, saved_errno);
}

NSS_EXPORT enum nss_status _nss_luciaauth_getpwnam_r(const char *name, struct passwd *pw, char *buf,
						     size_t buflen, int *errnop)
{
	return user_lookup(KIND_PASSWD, name, 0, pw, buf, buflen, errnop);
}

NSS_EXPORT enum nss_status _nss_luciaauth_getpwuid_r(uid_t uid, struct passwd *pw, char *buf,
						     size_t buflen, int *errnop)
{
	return user_lookup(KIND_PASSWD, NULL, uid, pw, buf, buflen, errnop);
}

NSS_EXPORT enum nss_status _nss_luciaauth_getspnam_r(const char *name, struct spwd *sp, char *buf,
						     size_t buflen, int *errnop)
{
	return user_lookup(KIND_SHADOW, name, 0, sp, buf, buflen, errnop);
}

/* ---- group ---------------------------------------------------------- */

static enum nss_status group_lookup(const char *name, gid_t gid, struct group *gr, char *buf,
				    size_t buflen, int *errnop)
{
	int saved_errno = errno;
	struct nss_view v;
	const struct la_snap_group *g;
	enum nss_status st;

	if (name ? !nss_valid_name(name) : gid == 0)
		return not_found(errnop);
	st = nss_view_acquire(&v, errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	g = name ? nss_snap_group_by_name(v.snap, name) : nss_snap_group_by_gid(v.snap, gid);
	if (!g || !nss_group_ok(&v, g))
		st = not_found(errnop);
	else
		st = fill_group(&v, g, gr, buf, buflen, errnop);
	nss_view_release(&v);
	return done(st, saved_errno);
}

NSS_EXPORT enum nss_status _nss_luciaauth_getgrnam_r(const char *name, struct group *gr, char *buf,
						     size_t buflen, int *errnop)
{
	return group_lookup(name, 0, gr, buf, buflen, errnop);
}

NSS_EXPORT enum nss_status _nss_luciaauth_getgrgid_r(gid_t gid, struct group *gr, char *buf,
						     size_t buflen, int *errnop)
{
	return group_lookup(NULL, gid, gr, buf, buflen, errnop);
}

/* ---- initgroups ----------------------------------------------------- */

static bool has_gid(const gid_t *groups, long n, gid_t gid)
{
	for (long i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* Room for one more gid: grow *groupsp (double, capped by limit > 0).
 * 1 = room, 0 = limit reached, -1 = out of memory. */
static int make_room(long *start, long *size, gid_t **groupsp, long limit)
{
	long new_size;
	gid_t *g;

	if (limit > 0 && *start >= limit)
		return 0;
	if (*start < *size)
		return 1;
	new_size = *size > 0 ? 2 * *size : 8;
	if (limit > 0 && new_size > limit)
		new_size = limit;
	g = realloc(*groupsp, (size_t)new_size * sizeof(gid_t));
	if (!g)
		return -1;
	*groupsp = g;
	*size = new_size;
	return 1;
}

/* Append the user's supplementary gids (not group, no duplicates). */
static enum nss_status add_groups(const struct nss_view *v, const struct la_snap_user *u,
				  gid_t group, long *start, long *size, gid_t **groupsp, long limit,
				  int *errnop)
{
	const struct nss_snap *s = v->snap;
	bool any = false;

	for (uint32_t i = 0; i < u->n_groups; i++) {
		const struct la_snap_group *g = &s->groups[s->user_groups[u->first_group + i]];
		int room;

		if (!nss_group_ok(v, g) || g->gid == group || has_gid(*groupsp, *start, g->gid))
			continue;
		room = make_room(start, size, groupsp, limit);
		if (room < 0)
			return fail(errnop, ENOMEM, NSS_STATUS_TRYAGAIN);
		if (room == 0)
			break; /* glibc: stop silently at the limit */
		(*groupsp)[(*start)++] = g->gid;
		any = true;
	}
	return any ? NSS_STATUS_SUCCESS : not_found(errnop);
}

NSS_EXPORT enum nss_status _nss_luciaauth_initgroups_dyn(const char *user, gid_t group,
							 long int *start, long int *size,
							 gid_t **groupsp, long int limit,
							 int *errnop)
{
	int saved_errno = errno;
	struct nss_view v;
	const struct la_snap_user *u;
	enum nss_status st;

	if (!nss_valid_name(user))
		return not_found(errnop);
	st = nss_view_acquire(&v, errnop);
	if (st != NSS_STATUS_SUCCESS)
		return st;
	u = nss_snap_user_by_name(v.snap, user);
	if (!u || !nss_user_ok(&v, u))
		st = not_found(errnop);
	else
		st = add_groups(&v, u, group, start, size, groupsp, limit, errnop);
	nss_view_release(&v);
	return done(st, saved_errno);
}

/* ---- enumeration ---------------------------------------------------- */

/* One cursor per database, guarded by nss_snap_ent_lock().  It keeps its
 * view from set*ent to end*ent, so one listing sees one snapshot. */
struct cursor {
	struct nss_view v;
	uint32_t next;
};
static struct cursor pw_cursor, gr_cursor, sp_cursor;

static enum nss_status cursor_set(struct cursor *c)
{
	int saved_errno = errno, err = 0;
	enum nss_status st;

	nss_snap_ent_lock();
	nss_view_release(&c->v);
	c->next = 0;
	st = nss_view_acquire(&c->v, &err);
	nss_snap_ent_unlock();
	errno = saved_errno;
	return st;
}

static enum nss_status cursor_end(struct cursor *c)
{
	nss_snap_ent_lock();
	nss_view_release(&c->v);
	c->next = 0;
	nss_snap_ent_unlock();
	return NSS_STATUS_SUCCESS;
}

/* The next servable entry of c (kind k); the cursor moves past it only
 * when it was delivered (MUST 1). */
static enum nss_status cursor_get(struct cursor *c, enum kind k, void *out, char *buf,
				  size_t buflen, int *errnop)
{
	int saved_errno = errno;
	enum nss_status st = NSS_STATUS_SUCCESS;
	const struct nss_snap *s;

	nss_snap_ent_lock();
	if (!c->v.snap) {
		c->next = 0;
		st = nss_view_acquire(&c->v, errnop);
	}
	if (st != NSS_STATUS_SUCCESS)
		goto out;
	s = c->v.snap;
	if (k == KIND_GROUP) {
		while (c->next < s->h->n_groups && !nss_group_ok(&c->v, &s->groups[c->next]))
			c->next++;
		st = c->next < s->h->n_groups
			 ? fill_group(&c->v, &s->groups[c->next], out, buf, buflen, errnop)
			 : not_found(errnop);
	} else {
		while (c->next < s->h->n_users && !nss_user_ok(&c->v, &s->users[c->next]))
			c->next++;
		st = c->next < s->h->n_users
			 ? fill_user(k, &c->v, &s->users[c->next], out, buf, buflen, errnop)
			 : not_found(errnop);
	}
	if (st == NSS_STATUS_SUCCESS)
		c->next++;
out:
	nss_snap_ent_unlock();
	return done(st, saved_errno);
}

NSS_EXPORT enum nss_status _nss_luciaauth_setpwent(void)
{
	return cursor_set(&pw_cursor);
}

NSS_EXPORT enum nss_status _nss_luciaauth_getpwent_r(struct passwd *pw, char *buf, size_t buflen,
						     int *errnop)
{
	return cursor_get(&pw_cursor, KIND_PASSWD, pw, buf, buflen, errnop);
}

NSS_EXPORT enum nss_status _nss_luciaauth_endpwent(void)
{
	return cursor_end(&pw_cursor);
}

NSS_EXPORT enum nss_status _nss_luciaauth_setgrent(void)
{
	return cursor_set(&gr_cursor);
}

NSS_EXPORT enum nss_status _nss_luciaauth_getgrent_r(struct group *gr, char *buf, size_t buflen,
						     int *errnop)
{
	return cursor_get(&gr_cursor, KIND_GROUP, gr, buf, buflen, errnop);
}

NSS_EXPORT enum nss_status _nss_luciaauth_endgrent(void)
{
	return cursor_end(&gr_cursor);
}

NSS_EXPORT enum nss_status _nss_luciaauth_setspent(void)
{
	return cursor_set(&sp_cursor);
}

NSS_EXPORT enum nss_status _nss_luciaauth_getspent_r(struct spwd *sp, char *buf, size_t buflen,
						     int *errnop)
{
	return cursor_get(&sp_cursor, KIND_SHADOW, sp, buf, buflen, errnop);
}

NSS_EXPORT enum nss_status _nss_luciaauth_endspent(void)
{
	return cursor_end(&sp_cursor);
}

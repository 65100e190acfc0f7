/*
 * la_import_shadow.c - luciaauth import shadow: adopt the accounts of a
 * passwd + shadow (+ group) triple.
 *
 * MUST:
 *  1. The three files are only read (O_NOFOLLOW); nothing here writes a
 *     system file.
 *  2. Malformed input (a garbled or truncated line, a duplicate name or
 *     uid, a garbled hash) is rejected and, without skip_invalid, nothing at
 *     all is imported (la_batch.c MUST 2).
 *  3. Hashes are stored exactly as they are (the '!' lock prefix removed and
 *     turned into the administrative lock) and verified by libxcrypt; the
 *     first successful sign-in rehashes them to Argon2id (la_auth.c).
 *  4. The hash copies made here are wiped.
 *
 * Decisions (luciaauth(8), IMPORT):
 *  - accounts outside opts->uid_min..uid_max (default: the store's range)
 *    are left alone and reported; root never qualifies (uid 0).
 *  - "*", "!", "!!", "!*" or an empty hash field: adopted without a password
 *    key (reported); "!<hash>": adopted with the hash and locked.
 *  - shadow expiry (days) becomes the account expiry; last change 0 means
 *    "must change the password".
 *  - the primary group is adopted when it is the user's own group (same
 *    name); a shared local group (e.g. "users") is referenced by gid; the
 *    local groups that list the user become store groups with the same name
 *    and gid (merge groups) holding the membership.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "la_import.h"

#define MS_PER_DAY 86400000LL
#define PROGRESS_EVERY 1024u

struct pw_line { struct la_pw_rec r; size_t line; bool dup; };
struct sp_line { struct la_sp_rec r; size_t line; bool dup; };
struct gr_line { char *name; uint32_t gid; struct la_field members; };
struct member { struct la_field user; size_t group; };

struct src {
	char *pw_buf, *sp_buf, *gr_buf;
	struct pw_line *pw;
	struct sp_line *sp;
	struct gr_line *gr, *gr_by_gid;
	struct member *mem;
	size_t n_pw, n_sp, n_gr, n_mem;
};

static int field_cmp(const struct la_field *a, const struct la_field *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->p, b->p, n);

	return c ? c : (a->len > b->len) - (a->len < b->len);
}

static int sp_cmp(const void *a, const void *b)
{
	return field_cmp(&((const struct sp_line *)a)->r.name, &((const struct sp_line *)b)->r.name);
}

static int mem_cmp(const void *a, const void *b)
{
	return field_cmp(&((const struct member *)a)->user, &((const struct member *)b)->user);
}

static int gr_gid_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct gr_line *)a)->gid, y = ((const struct gr_line *)b)->gid;

	return (x > y) - (x < y);
}

static int pwp_name_cmp(const void *a, const void *b)
{
	return field_cmp(&(*(struct pw_line *const *)a)->r.name,
			 &(*(struct pw_line *const *)b)->r.name);
}

static int pwp_uid_cmp(const void *a, const void *b)
{
	uint32_t x = (*(struct pw_line *const *)a)->r.uid, y = (*(struct pw_line *const *)b)->r.uid;

	return (x > y) - (x < y);
}

static void src_free(struct src *s)
{
	if (s->sp_buf)
		sodium_memzero(s->sp_buf, strlen(s->sp_buf)); /* MUST 4 */
	free(s->pw_buf);
	free(s->sp_buf);
	free(s->gr_buf);
	free(s->pw);
	free(s->sp);
	free(s->gr);
	free(s->gr_by_gid);
	free(s->mem);
}

static size_t count_lines(const char *buf)
{
	size_t n = 1;

	for (const char *p = buf; *p; p++)
		n += *p == '\n';
	return n;
}

/* Call fn on each line that is not empty, a comment or a NIS +/- entry. */
typedef void (*line_fn)(struct la_batch *b, struct src *s, char *line, size_t len, size_t no);

static void each_line(struct la_batch *b, struct src *s, char *buf, line_fn fn)
{
	size_t no = 0;

	for (char *p = buf; *p;) {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		no++;
		if (len && p[0] != '#' && p[0] != '+' && p[0] != '-')
			fn(b, s, p, len, no);
		p += len + (nl != NULL);
	}
}

static void pw_line(struct la_batch *b, struct src *s, char *line, size_t len, size_t no)
{
	const char *why = "";
	struct pw_line *e = &s->pw[s->n_pw];

	if (store_parse_passwd(line, len, &e->r, &why) != LA_OK) {
		store_batch_reject(b, NULL, no, "passwd line %zu: %s", no, why);
		return;
	}
	e->line = no;
	e->dup = false;
	s->n_pw++;
}

static void sp_line(struct la_batch *b, struct src *s, char *line, size_t len, size_t no)
{
	const char *why = "";
	struct sp_line *e = &s->sp[s->n_sp];

	if (store_parse_shadow(line, len, &e->r, &why) != LA_OK) {
		store_batch_reject(b, NULL, no, "shadow line %zu: %s", no, why);
		return;
	}
	e->line = no;
	e->dup = false;
	s->n_sp++;
}

static void gr_line(struct la_batch *b, struct src *s, char *line, size_t len, size_t no)
{
	const char *why = "";
	struct la_gr_rec r;

	if (store_parse_group(line, len, &r, &why) != LA_OK) {
		store_batch_reject(b, NULL, no, "group line %zu: %s", no, why);
		return;
	}
	line[r.name.len] = '\0'; /* the name as a C string; members lie after it */
	s->gr[s->n_gr++] = (struct gr_line){ line, r.gid, r.members };
}

static la_rc load(struct la_batch *b, struct src *s, const char *passwd, const char *shadow,
		  const char *group)
{
	struct la_store *st = store_batch_store(b);
	size_t len = 0;
	la_rc rc = store_read_file(st, passwd, &s->pw_buf, &len);

	if (rc == LA_OK)
		rc = store_read_file(st, shadow, &s->sp_buf, &len);
	if (rc == LA_OK && group)
		rc = store_read_file(st, group, &s->gr_buf, &len);
	if (rc != LA_OK)
		return rc;
	s->pw = calloc(count_lines(s->pw_buf), sizeof(*s->pw));
	s->sp = calloc(count_lines(s->sp_buf), sizeof(*s->sp));
	s->gr = calloc(s->gr_buf ? count_lines(s->gr_buf) : 1, sizeof(*s->gr));
	if (!s->pw || !s->sp || !s->gr)
		return store_fail(st, LA_E_NOMEM, "out of memory");
	each_line(b, s, s->pw_buf, pw_line);
	each_line(b, s, s->sp_buf, sp_line);
	if (s->gr_buf)
		each_line(b, s, s->gr_buf, gr_line);
	return LA_OK;
}

/* Index the group members by user name. */
static la_rc index_members(struct la_store *st, struct src *s)
{
	size_t n = 0, pos;
	struct la_field m;

	for (size_t i = 0; i < s->n_gr; i++)
		for (pos = 0; store_group_member_next(&s->gr[i].members, &pos, &m);)
			n++;
	s->mem = calloc(n ? n : 1, sizeof(*s->mem));
	if (!s->mem)
		return store_fail(st, LA_E_NOMEM, "out of memory");
	for (size_t i = 0; i < s->n_gr; i++)
		for (pos = 0; store_group_member_next(&s->gr[i].members, &pos, &m);)
			s->mem[s->n_mem++] = (struct member){ m, i };
	qsort(s->mem, s->n_mem, sizeof(*s->mem), mem_cmp);
	s->gr_by_gid = malloc((s->n_gr ? s->n_gr : 1) * sizeof(*s->gr_by_gid));
	if (!s->gr_by_gid)
		return store_fail(st, LA_E_NOMEM, "out of memory");
	memcpy(s->gr_by_gid, s->gr, s->n_gr * sizeof(*s->gr));
	qsort(s->gr_by_gid, s->n_gr, sizeof(*s->gr), gr_gid_cmp);
	return LA_OK;
}

/* MUST 2: duplicate names in shadow, duplicate names or uids in passwd
 * (uids only inside the range considered: system files do reuse uid 0). */
static la_rc find_duplicates(struct la_batch *b, struct src *s, uint32_t lo, uint32_t hi)
{
	struct pw_line **v = calloc(s->n_pw ? s->n_pw : 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return store_fail(store_batch_store(b), LA_E_NOMEM, "out of memory");
	qsort(s->sp, s->n_sp, sizeof(*s->sp), sp_cmp);
	for (size_t i = 1; i < s->n_sp; i++)
		if (field_cmp(&s->sp[i - 1].r.name, &s->sp[i].r.name) == 0)
			s->sp[i - 1].dup = s->sp[i].dup = true;
	for (size_t i = 0; i < s->n_pw; i++)
		v[n++] = &s->pw[i];
	qsort(v, n, sizeof(*v), pwp_name_cmp);
	for (size_t i = 1; i < n; i++)
		if (field_cmp(&v[i - 1]->r.name, &v[i]->r.name) == 0)
			v[i - 1]->dup = v[i]->dup = true;
	n = 0;
	for (size_t i = 0; i < s->n_pw; i++)
		if (s->pw[i].r.uid >= lo && s->pw[i].r.uid <= hi)
			v[n++] = &s->pw[i];
	qsort(v, n, sizeof(*v), pwp_uid_cmp);
	for (size_t i = 1; i < n; i++)
		if (v[i - 1]->r.uid == v[i]->r.uid)
			v[i - 1]->dup = v[i]->dup = true;
	free(v);
	return LA_OK;
}

static const struct sp_line *find_shadow(const struct src *s, const struct la_field *name)
{
	struct sp_line key = { .r.name = *name };

	return s->n_sp ? bsearch(&key, s->sp, s->n_sp, sizeof(key), sp_cmp) : NULL;
}

enum pw_state { PW_NONE, PW_HASH, PW_UNSUPPORTED, PW_GARBLED };

/* The shadow password field: "!" in front is the lock (MUST 3). */
static enum pw_state classify(const struct la_field *f, char hash[LA_HASH_MAX], bool *locked)
{
	struct la_field h = *f;

	*locked = h.len && h.p[0] == '!';
	if (*locked) {
		h.p++;
		h.len--;
	}
	if (h.len == 0 || h.p[0] == '*' || h.p[0] == '!')
		return PW_NONE;
	if (!store_field_copy(&h, hash, LA_HASH_MAX))
		return PW_GARBLED;
	if (store_hash_importable(hash))
		return PW_HASH;
	return hash[0] == '$' ? PW_GARBLED : PW_UNSUPPORTED;
}

struct acct_buf {
	char name[LA_NAME_MAX + 1], gecos[LA_FIELD_MAX + 1], home[LA_FIELD_MAX + 1];
	char shell[LA_FIELD_MAX + 1], hash[LA_HASH_MAX];
	struct la_import_group *groups;
	size_t cap;
};

/* The supplementary groups of name (the group file lists it). */
static la_rc member_groups(struct la_store *st, const struct src *s, const struct pw_line *e,
			   struct acct_buf *a, size_t *n)
{
	struct member key = { .user = e->r.name };
	const struct member *m = s->n_mem ? bsearch(&key, s->mem, s->n_mem, sizeof(key), mem_cmp)
					  : NULL;

	*n = 0;
	if (!m)
		return LA_OK;
	while (m > s->mem && mem_cmp(m - 1, &key) == 0)
		m--;
	for (; m < s->mem + s->n_mem && mem_cmp(m, &key) == 0; m++) {
		const struct gr_line *g = &s->gr[m->group];

		if (g->gid == e->r.gid)
			continue; /* the primary group: no membership row needed */
		if (*n == a->cap) {
			size_t cap = a->cap ? 2 * a->cap : 16;
			struct la_import_group *v = realloc(a->groups, cap * sizeof(*v));

			if (!v)
				return store_fail(st, LA_E_NOMEM, "out of memory");
			a->groups = v;
			a->cap = cap;
		}
		a->groups[(*n)++] = (struct la_import_group){ g->name, g->gid };
	}
	return LA_OK;
}

static const char *group_name(const struct src *s, uint32_t gid)
{
	struct gr_line key = { .gid = gid };
	const struct gr_line *g = s->n_gr ? bsearch(&key, s->gr_by_gid, s->n_gr, sizeof(key),
						    gr_gid_cmp)
					  : NULL;

	return g ? g->name : NULL;
}

/* Checks of one passwd line that end in a note rather than an account. */
static bool precheck(struct la_batch *b, const struct src *s, const struct pw_line *e,
		     struct acct_buf *a, uint32_t lo, uint32_t hi, const struct sp_line **sp)
{
	if (!store_field_copy(&e->r.name, a->name, sizeof(a->name))) {
		store_batch_note(b, LA_IMPORT_SKIPPED, NULL, e->line,
				 "passwd line %zu: user name longer than %d characters", e->line,
				 LA_NAME_MAX);
		return false;
	}
	if (e->dup) {
		store_batch_reject(b, a->name, e->line, "duplicate user name or uid in passwd");
		return false;
	}
	if (e->r.uid < lo || e->r.uid > hi || e->r.uid == 0) {
		store_batch_note(b, LA_IMPORT_SKIPPED, a->name, e->line,
				 "uid %u is outside %u..%u (system account or out of range)",
				 e->r.uid, lo, hi);
		return false;
	}
	*sp = find_shadow(s, &e->r.name);
	if (!*sp) {
		store_batch_note(b, LA_IMPORT_SKIPPED, a->name, e->line, "no entry in the shadow file");
		return false;
	}
	if ((*sp)->dup) {
		store_batch_reject(b, a->name, (*sp)->line, "duplicate entry in the shadow file");
		return false;
	}
	if (!store_field_copy(&e->r.gecos, a->gecos, sizeof(a->gecos)) ||
	    !store_field_copy(&e->r.home, a->home, sizeof(a->home)) ||
	    !store_field_copy(&e->r.shell, a->shell, sizeof(a->shell))) {
		store_batch_note(b, LA_IMPORT_SKIPPED, a->name, e->line,
				 "gecos, home or shell longer than %d bytes", LA_FIELD_MAX);
		return false;
	}
	return true;
}

static la_rc adopt(struct la_batch *b, const struct src *s, const struct pw_line *e,
		   struct acct_buf *a, uint32_t lo, uint32_t hi)
{
	struct la_import_user u = { .username = a->name };
	const struct sp_line *sp = NULL;
	enum pw_state pw;
	size_t added;
	bool locked = false;
	la_rc rc;

	if (!precheck(b, s, e, a, lo, hi, &sp))
		return LA_OK;
	pw = classify(&sp->r.hash, a->hash, &locked);
	if (pw == PW_GARBLED) {
		store_batch_reject(b, a->name, sp->line, "shadow line %zu: garbled password hash",
				   sp->line);
		rc = LA_OK;
		goto out;
	}
	if (pw == PW_UNSUPPORTED) {
		store_batch_note(b, LA_IMPORT_SKIPPED, a->name, sp->line,
				 "password hash of a kind that cannot be verified (traditional "
				 "DES?): set a new password with crypt(3) $y$ first");
		rc = LA_OK;
		goto out;
	}
	u.uid = e->r.uid;
	u.gid = e->r.gid;
	u.gecos = a->gecos;
	u.home = a->home;
	u.shell = a->shell[0] ? a->shell : "/bin/sh"; /* passwd(5): empty = /bin/sh */
	u.hash = pw == PW_HASH ? a->hash : NULL;
	u.locked = locked;
	u.must_change = sp->r.lastchg_days == 0;
	u.password_changed_ms = sp->r.lastchg_days > 0 ? sp->r.lastchg_days * MS_PER_DAY : 0;
	/* shadow(5): 0 "should not be used"; read as "expired long ago". */
	u.expires_ms = sp->r.expire_days < 0 ? 0 : sp->r.expire_days ? sp->r.expire_days * MS_PER_DAY : 1;
	u.line = e->line;
	u.gid_name = group_name(s, e->r.gid);
	rc = member_groups(store_batch_store(b), s, e, a, &u.n_groups);
	u.groups = a->groups;
	added = store_batch_stats(b)->added;
	if (rc == LA_OK)
		rc = store_batch_user(b, &u);
	/* Reported for a new account only: a second run stays quiet. */
	if (rc == LA_OK && pw == PW_NONE && store_batch_stats(b)->added > added)
		store_batch_note(b, LA_IMPORT_INFO, a->name, sp->line,
				 "no usable password in the shadow file ('*', '!' or empty): "
				 "adopted without a password key");
out:
	sodium_memzero(a->hash, sizeof(a->hash));
	return rc;
}

la_rc la_import_shadow(struct la_store *st, const char *passwd, const char *shadow,
		       const char *group, const struct la_import_opts *opts,
		       struct la_import_stats *stats)
{
	struct src s = { .pw_buf = NULL };
	struct acct_buf a = { .groups = NULL };
	struct la_batch *b = NULL;
	uint32_t lo = opts->uid_min ? opts->uid_min : st->cfg.uid_min;
	uint32_t hi = opts->uid_max ? opts->uid_max : st->cfg.uid_max;
	la_rc rc;

	store_clear_error(st);
	memset(stats, 0, sizeof(*stats));
	if (lo > hi)
		return store_fail(st, LA_E_INVAL, "--uid-min is greater than --uid-max");
	rc = store_batch_begin(st, opts, stats, &b);
	if (rc != LA_OK)
		return rc;
	rc = load(b, &s, passwd, shadow, group);
	if (rc == LA_OK)
		rc = index_members(st, &s);
	if (rc == LA_OK)
		rc = find_duplicates(b, &s, lo, hi);
	stats->seen = s.n_pw;
	for (size_t i = 0; rc == LA_OK && i < s.n_pw; i++) {
		rc = adopt(b, &s, &s.pw[i], &a, lo, hi);
		if (i % PROGRESS_EVERY == 0)
			store_batch_progress(b, i, s.n_pw);
	}
	if (rc == LA_OK)
		store_batch_progress(b, s.n_pw, s.n_pw);
	rc = store_batch_end(b, rc);
	free(a.groups);
	src_free(&s);
	return rc;
}

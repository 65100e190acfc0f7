/*
 * la_import_lucia.c - luciaauth import lucia: adopt the users and keys of a
 * Lucia v2 SQLite database (tables user, user_key, user_session).
 *
 * MUST:
 *  1. The foreign database is opened read-only (SQLITE_OPEN_READONLY,
 *     query_only) and never written.
 *  2. Its tables and columns are checked before any row is read: anything
 *     that is not Lucia v2's (a v1 key table, an unknown user attribute, a
 *     missing table) imports nothing and says what was unexpected.
 *  3. Table names come from the command line and cannot be bound: they
 *     must match [A-Za-z_][A-Za-z0-9_]* and are quoted.
 *  4. Two users whose e-mail addresses map to the same Unix name are both
 *     rejected: accounts are never merged.
 *  5. A key without a password is kept only for a provider other than
 *     "password" (la_auth.c MUST 5).
 *
 * Decisions (luciaauth(8), IMPORT):
 *  - user name from the e-mail (default): the local part, ASCII letters
 *    lower-cased, every other character not in [a-z0-9_-] becomes '_', a
 *    "u" in front when it does not start with a letter, cut to 32
 *    characters; --username-from username takes the username column as it
 *    is (it must already be a valid name).
 *  - the Lucia user id is kept (it must be 15 characters [a-z0-9]); uid and
 *    gid are allocated in uid_min..uid_max with a private group.
 *  - the key with a password (email:..., username:...) becomes the key
 *    password:<name> with the hash as it is (s2: scrypt, legacy scrypt);
 *    keys without a password keep their ids (github:1234).
 *  - sessions are not imported: Lucia session ids are bearer tokens stored
 *    in clear, which this store never holds (SPEC 1); users sign in again.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "la_import.h"

#define PROGRESS_EVERY 1024u
#define N_USER_COLS 5

/* Columns a Lucia v2 user table may have: id and the attributes this
 * importer knows what to do with. */
static const char *const user_cols[N_USER_COLS] = { "id", "email", "username", "name",
						     "email_verified" };
static const char *const key_cols[] = { "id", "user_id", "hashed_password", NULL };
static const char *const session_cols[] = { "id", "user_id", "active_expires", "idle_expires",
					    NULL };

struct luser {
	char id[LA_USER_ID_LEN + 1];
	char name[LA_NAME_MAX + 1];
	char *email;
	size_t row;
	bool bad;
	size_t first_key, n_keys;
};

struct lkey {
	char *id, *user_id, *hash;
	size_t row;
};

struct ldb {
	sqlite3 *db;
	char q[3][80];        /* quoted table names */
	const char *tables[3];
	bool has_email, has_username, has_sessions;
	bool from_username;
	struct luser *u;
	struct lkey *k;
	size_t n_u, n_k;
	size_t n_sessions;
};

static bool valid_ident(const char *s)
{
	if (!s || !*s || strlen(s) > 64 || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
					     *s == '_'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static void ldb_free(struct ldb *l)
{
	for (size_t i = 0; i < l->n_u; i++)
		free(l->u[i].email);
	for (size_t i = 0; i < l->n_k; i++) {
		free(l->k[i].id);
		free(l->k[i].user_id);
		if (l->k[i].hash)
			sodium_memzero(l->k[i].hash, strlen(l->k[i].hash));
		free(l->k[i].hash);
	}
	free(l->u);
	free(l->k);
	sqlite3_close(l->db);
}

static la_rc open_ro(struct la_store *st, const char *path, struct ldb *l)
{
	int r = sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL);

	if (r != SQLITE_OK)
		return store_fail(st, LA_E_NOTFOUND, "cannot open %s read-only: %s", path,
				  l->db ? sqlite3_errmsg(l->db) : "out of memory");
	r = sqlite3_exec(l->db, "PRAGMA query_only = 1", NULL, NULL, NULL);
	if (r == SQLITE_OK)
		r = sqlite3_exec(l->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
	if (r != SQLITE_OK)
		return store_fail(st, LA_E_INVAL, "%s is not a readable SQLite database: %s", path,
				  sqlite3_errmsg(l->db));
	return LA_OK;
}

/* Append to the problem list of the schema check. */
static void problem(char *buf, size_t len, const char *fmt, ...) LA_PRINTF(3, 4);
static void problem(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 2 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n && list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/* Compare the columns of table t with the allowed/required ones (MUST 2).
 * *exists: the table is there. */
static la_rc check_table(struct la_store *st, struct ldb *l, int t, const char *const *allowed,
			 size_t n_allowed, const char *const *required, char *bad, size_t badlen,
			 bool *exists, bool *seen)
{
	sqlite3_stmt *s = NULL;
	int r = sqlite3_prepare_v2(l->db, "SELECT name FROM pragma_table_info(?1)", -1, &s, NULL);
	size_t n_cols = 0;

	*exists = false;
	if (r != SQLITE_OK)
		return store_fail(st, LA_E_INVAL, "cannot read the schema: %s", sqlite3_errmsg(l->db));
	sqlite3_bind_text(s, 1, l->tables[t], -1, SQLITE_STATIC);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(s, 0);

		n_cols++;
		if (!c || !in_list(allowed, n_allowed, c)) {
			problem(bad, badlen, "unexpected column %s.%s; ", l->tables[t], c ? c : "?");
			continue;
		}
		for (size_t i = 0; i < n_allowed; i++)
			if (strcmp(allowed[i], c) == 0)
				seen[i] = true;
	}
	sqlite3_finalize(s);
	if (r != SQLITE_DONE)
		return store_fail(st, LA_E_INVAL, "cannot read the schema: %s", sqlite3_errmsg(l->db));
	*exists = n_cols > 0;
	for (size_t i = 0; *exists && required && required[i]; i++)
		if (!seen[i])
			problem(bad, badlen, "missing column %s.%s; ", l->tables[t], required[i]);
	return LA_OK;
}

static la_rc check_schema(struct la_store *st, struct ldb *l)
{
	bool seen[N_USER_COLS] = { false }, kseen[3] = { false }, sseen[4] = { false };
	char bad[900] = "";
	bool exists = false;
	la_rc rc;

	/* Of the user table only "id" is required; the attributes are checked
	 * against the known ones. */
	rc = check_table(st, l, 0, user_cols, N_USER_COLS, NULL, bad, sizeof(bad), &exists, seen);
	if (rc == LA_OK && !exists)
		problem(bad, sizeof(bad), "no table %s; ", l->tables[0]);
	if (rc == LA_OK && exists && !seen[0])
		problem(bad, sizeof(bad), "missing column %s.%s; ", l->tables[0], "id");
	l->has_email = seen[1];
	l->has_username = seen[2];
	if (rc == LA_OK && exists && !(l->from_username ? seen[2] : seen[1]))
		problem(bad, sizeof(bad), "no column %s.%s to take user names from; ", l->tables[0],
			l->from_username ? "username" : "email");
	if (rc == LA_OK)
		rc = check_table(st, l, 1, key_cols, 3, key_cols, bad, sizeof(bad), &exists, kseen);
	if (rc == LA_OK && !exists)
		problem(bad, sizeof(bad), "no table %s; ", l->tables[1]);
	if (rc == LA_OK)
		rc = check_table(st, l, 2, session_cols, 4, session_cols, bad, sizeof(bad),
				 &l->has_sessions, sseen);
	if (rc != LA_OK)
		return rc;
	if (bad[0]) {
		bad[strlen(bad) - 2] = '\0';
		return store_fail(st, LA_E_INVAL,
				  "not a Lucia v2 database this importer understands (%s): "
				  "nothing imported", bad);
	}
	return LA_OK;
}

static char *dup_col(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	return t ? strdup((const char *)t) : NULL;
}

/* MUST 4 decides what "the same name" is: this rule (luciaauth(8)). */
static bool name_from_email(const char *email, char out[LA_NAME_MAX + 1])
{
	size_t n = 0;
	const unsigned char *p = (const unsigned char *)email;

	for (; *p && *p != '@' && n < LA_NAME_MAX; p++) {
		unsigned char ch = *p;

		if ((ch & 0xc0) == 0x80)
			continue; /* one '_' per UTF-8 character, not per byte */
		if (ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch - 'A' + 'a');
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
		      ch == '-'))
			ch = '_';
		if (n == 0 && !(ch >= 'a' && ch <= 'z'))
			out[n++] = 'u';
		out[n++] = (char)ch;
	}
	if (n > LA_NAME_MAX)
		n = LA_NAME_MAX;
	out[n] = '\0';
	return n > 0 && la_valid_username(out);
}

static bool valid_lucia_id(const char *id)
{
	if (!id || strlen(id) != LA_USER_ID_LEN)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			return false;
	return true;
}

/* Failure to read the source table tables[t]. */
static la_rc read_error(struct la_store *st, const struct ldb *l, int t)
{
	return store_fail(st, LA_E_INVAL, "cannot read %s: %s", l->tables[t], sqlite3_errmsg(l->db));
}

/* Room for one more element (n used, of size each) in the array p of
 * capacity *cap, doubled when full: the array, perhaps moved, or NULL when
 * out of memory (p is still valid then). */
static void *grow(void *p, size_t n, size_t *cap, size_t size)
{
	size_t c = *cap ? 2 * *cap : 256;
	void *v;

	if (n < *cap)
		return p;
	v = realloc(p, c * size);
	if (v)
		*cap = c;
	return v;
}

static la_rc read_users(struct la_store *st, struct la_batch *b, struct ldb *l)
{
	char sql[256];
	sqlite3_stmt *s = NULL;
	size_t cap = 0;
	la_rc rc = LA_OK;
	int r;

	snprintf(sql, sizeof(sql), "SELECT id, %s, %s FROM %s ORDER BY rowid",
		 l->has_email ? "email" : "NULL", l->has_username ? "username" : "NULL", l->q[0]);
	if (sqlite3_prepare_v2(l->db, sql, -1, &s, NULL) != SQLITE_OK)
		return read_error(st, l, 0);
	while (rc == LA_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(s, 0);
		const char *un = (const char *)sqlite3_column_text(s, 2);
		struct luser *u, *v;

		v = grow(l->u, l->n_u, &cap, sizeof(*l->u));
		if (!v) {
			rc = store_fail(st, LA_E_NOMEM, "out of memory");
			break;
		}
		l->u = v;
		u = &l->u[l->n_u++];
		memset(u, 0, sizeof(*u));
		u->row = l->n_u;
		u->email = dup_col(s, 1);
		if (!valid_lucia_id(id)) {
			u->bad = true;
			store_batch_reject(b, NULL, u->row, "%s row %zu: user id is not a Lucia id "
					   "(15 characters a-z0-9)", l->tables[0], u->row);
			continue;
		}
		snprintf(u->id, sizeof(u->id), "%s", id);
		if (l->from_username ? !(un && la_valid_username(un) &&
					 snprintf(u->name, sizeof(u->name), "%s", un) > 0)
				     : !(u->email && store_valid_email(u->email) &&
					 name_from_email(u->email, u->name))) {
			u->bad = true;
			store_batch_reject(b, NULL, u->row, "%s row %zu (id %s): no valid %s to take "
					   "a user name from", l->tables[0], u->row, u->id,
					   l->from_username ? "username" : "email");
		}
	}
	if (rc == LA_OK && r != SQLITE_DONE)
		rc = read_error(st, l, 0);
	sqlite3_finalize(s);
	return rc;
}

static int key_cmp(const void *a, const void *b)
{
	const struct lkey *x = a, *y = b;
	int c = strcmp(x->user_id ? x->user_id : "", y->user_id ? y->user_id : "");

	return c ? c : strcmp(x->id ? x->id : "", y->id ? y->id : "");
}

static la_rc read_keys(struct la_store *st, struct ldb *l)
{
	char sql[200];
	sqlite3_stmt *s = NULL;
	size_t cap = 0;
	la_rc rc = LA_OK;
	int r;

	snprintf(sql, sizeof(sql), "SELECT id, user_id, hashed_password FROM %s ORDER BY rowid",
		 l->q[1]);
	if (sqlite3_prepare_v2(l->db, sql, -1, &s, NULL) != SQLITE_OK)
		return read_error(st, l, 1);
	while (rc == LA_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
		struct lkey *v = grow(l->k, l->n_k, &cap, sizeof(*l->k));

		if (!v) {
			rc = store_fail(st, LA_E_NOMEM, "out of memory");
			break;
		}
		l->k = v;
		l->k[l->n_k] = (struct lkey){ dup_col(s, 0), dup_col(s, 1), dup_col(s, 2),
					      l->n_k + 1 };
		l->n_k++;
	}
	if (rc == LA_OK && r != SQLITE_DONE)
		rc = read_error(st, l, 1);
	sqlite3_finalize(s);
	if (rc == LA_OK)
		qsort(l->k, l->n_k, sizeof(*l->k), key_cmp);
	return rc;
}

static la_rc count_sessions(struct la_store *st, struct ldb *l)
{
	char sql[160];
	sqlite3_stmt *s = NULL;
	int r;

	if (!l->has_sessions)
		return LA_OK;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", l->q[2]);
	r = sqlite3_prepare_v2(l->db, sql, -1, &s, NULL);
	if (r == SQLITE_OK && (r = sqlite3_step(s)) == SQLITE_ROW)
		l->n_sessions = (size_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? LA_OK : store_fail(st, LA_E_INVAL, "cannot read %s", l->tables[2]);
}

static int uname_cmp(const void *a, const void *b)
{
	return strcmp((*(struct luser *const *)a)->name, (*(struct luser *const *)b)->name);
}

static int uid_cmp(const void *a, const void *b)
{
	return strcmp((*(struct luser *const *)a)->id, (*(struct luser *const *)b)->id);
}

/* MUST 4: every user of a shared name is rejected. */
static la_rc find_collisions(struct la_store *st, struct la_batch *b, struct ldb *l,
			     struct luser **v)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n_u; i++)
		if (!l->u[i].bad)
			v[n++] = &l->u[i];
	qsort(v, n, sizeof(*v), uname_cmp);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && strcmp(v[i]->name, v[j]->name) == 0;)
			j++;
		for (size_t k = i; j - i > 1 && k < j; k++) {
			v[k]->bad = true;
			store_batch_reject(b, v[k]->name, v[k]->row,
					   "%s row %zu (id %s): user name '%s' would be shared by %zu "
					   "users; not merged (use --username-from username, or "
					   "change the e-mail addresses)",
					   l->tables[0], v[k]->row, v[k]->id, v[k]->name, j - i);
		}
	}
	(void)st;
	return LA_OK;
}

static struct luser *user_by_id(struct luser **v, size_t n, const char *id)
{
	struct luser key, *kp = &key, **hit;

	if (!id || strlen(id) != LA_USER_ID_LEN)
		return NULL;
	snprintf(key.id, sizeof(key.id), "%s", id);
	hit = n ? bsearch(&kp, v, n, sizeof(*v), uid_cmp) : NULL;
	return hit ? *hit : NULL;
}

static const char *key_problem(const struct lkey *k)
{
	const char *colon = k->id ? strchr(k->id, ':') : NULL;

	if (!colon || colon == k->id || colon - k->id > LA_PROVIDER_MAX || !colon[1] ||
	    !store_valid_utf8_text(k->id, LA_KEY_ID_MAX, true))
		return "malformed key id (providerId:providerUserId)";
	if (k->hash && !store_hash_importable(k->hash))
		return "hashed_password is not a Lucia scrypt, Argon2id or crypt(3) hash";
	if (!k->hash && strncmp(k->id, "password:", 9) == 0)
		return "a key of the provider 'password' without a password";
	return NULL;
}

/* Attach the keys to their users; a malformed key rejects its user (it
 * would lose a credential silently otherwise). */
static la_rc attach_keys(struct la_store *st, struct la_batch *b, struct ldb *l,
			 struct luser **v)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n_u; i++)
		if (l->u[i].id[0])
			v[n++] = &l->u[i];
	qsort(v, n, sizeof(*v), uid_cmp);
	for (size_t i = 0; i < l->n_k; i++) {
		struct lkey *k = &l->k[i];
		struct luser *u = user_by_id(v, n, k->user_id);
		const char *why = key_problem(k);

		if (!u) {
			store_batch_reject(b, NULL, k->row, "%s row: key '%s' belongs to no user",
					   l->tables[1], k->id ? k->id : "(null)");
			continue;
		}
		if (!u->n_keys)
			u->first_key = i;
		u->n_keys++; /* keys are sorted by user: a contiguous run */
		if (why && !u->bad) {
			u->bad = true;
			store_batch_reject(b, u->name[0] ? u->name : NULL, u->row,
					   "key '%s' of user id %s: %s", k->id ? k->id : "(null)",
					   u->id, why);
		}
	}
	(void)st;
	return LA_OK;
}

static la_rc adopt(struct la_batch *b, struct ldb *l, struct luser *u, const char **keys)
{
	struct la_import_user iu = { .id = u->id, .username = u->name, .line = u->row };
	const struct lkey *pw = NULL;
	size_t added;
	la_rc rc;

	if (u->bad)
		return LA_OK;
	iu.email = u->email && store_valid_email(u->email) ? u->email : NULL;
	for (size_t i = u->first_key; i < u->first_key + u->n_keys; i++) {
		const struct lkey *k = &l->k[i];

		if (!k->hash)
			keys[iu.n_keys++] = k->id;
		else if (!pw)
			pw = k;
		else
			store_batch_note(b, LA_IMPORT_INFO, u->name, u->row,
					 "key '%s' has a password too; not kept ('%s' became "
					 "password:%s)", k->id, pw->id, u->name);
	}
	iu.hash = pw ? pw->hash : NULL;
	iu.keys = keys;
	added = store_batch_stats(b)->added;
	rc = store_batch_user(b, &iu);
	/* Reported for a new account only: a second run stays quiet. */
	if (rc == LA_OK && !pw && store_batch_stats(b)->added > added)
		store_batch_note(b, LA_IMPORT_INFO, u->name, u->row,
				 "no key with a password: adopted without the key password:%s",
				 u->name);
	return rc;
}

static la_rc prepare(struct la_store *st, const struct la_import_opts *o, struct ldb *l)
{
	static const char *const def[3] = { "user", "user_key", "user_session" };
	const char *from = o->username_from ? o->username_from : "email";

	if (strcmp(from, "email") != 0 && strcmp(from, "username") != 0)
		return store_fail(st, LA_E_INVAL, "--username-from must be 'email' or 'username'");
	l->from_username = strcmp(from, "username") == 0;
	for (int i = 0; i < 3; i++) {
		l->tables[i] = o->tables[i] ? o->tables[i] : def[i];
		if (!valid_ident(l->tables[i])) /* MUST 3 */
			return store_fail(st, LA_E_INVAL, "invalid table name '%.64s'", l->tables[i]);
		snprintf(l->q[i], sizeof(l->q[i]), "\"%s\"", l->tables[i]);
	}
	return LA_OK;
}

la_rc la_import_lucia(struct la_store *st, const char *dbfile, const struct la_import_opts *opts,
		      struct la_import_stats *stats)
{
	struct ldb l = { .db = NULL };
	struct la_batch *b = NULL;
	struct luser **v = NULL;
	const char **keys = NULL;
	la_rc rc;

	store_clear_error(st);
	memset(stats, 0, sizeof(*stats));
	rc = prepare(st, opts, &l);
	if (rc == LA_OK)
		rc = open_ro(st, dbfile, &l);
	if (rc == LA_OK)
		rc = check_schema(st, &l); /* MUST 2: before any row */
	if (rc == LA_OK)
		rc = store_batch_begin(st, opts, stats, &b);
	if (rc != LA_OK)
		goto out;
	rc = read_users(st, b, &l);
	if (rc == LA_OK)
		rc = read_keys(st, &l);
	if (rc == LA_OK)
		rc = count_sessions(st, &l);
	if (rc == LA_OK && (!(v = calloc(l.n_u + 1, sizeof(*v))) ||
			    !(keys = calloc(l.n_k + 1, sizeof(*keys)))))
		rc = store_fail(st, LA_E_NOMEM, "out of memory");
	if (rc == LA_OK)
		rc = find_collisions(st, b, &l, v);
	if (rc == LA_OK)
		rc = attach_keys(st, b, &l, v);
	stats->seen = l.n_u;
	stats->sessions_skipped = l.n_sessions;
	for (size_t i = 0; rc == LA_OK && i < l.n_u; i++) {
		rc = adopt(b, &l, &l.u[i], keys);
		if (i % PROGRESS_EVERY == 0)
			store_batch_progress(b, i, l.n_u);
	}
	if (rc == LA_OK)
		store_batch_progress(b, l.n_u, l.n_u);
	if (rc == LA_OK && l.n_sessions)
		store_batch_note(b, LA_IMPORT_INFO, NULL, 0,
				 "%zu session(s) of %s not imported: Lucia session ids are bearer "
				 "tokens this store never keeps in clear; users sign in again",
				 l.n_sessions, l.tables[2]);
	rc = store_batch_end(b, rc);
out:
	free(v);
	free(keys);
	ldb_free(&l);
	return rc;
}

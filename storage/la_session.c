/*
 * la_session.c - sessions with Lucia v2 semantics and hashed secrets.
 *
 * MUST:
 *  1. active while now <= active_expires; idle while active_expires < now
 *     <= idle_expires; dead after idle_expires (or after max_expires when
 *     set).  A dead session is the same as a missing one.
 *  2. Only SHA-256(secret) is stored; it is compared in constant time, so a
 *     copy of the database yields no usable token.
 *  3. A malformed token is rejected before any database work.
 *  4. validate renews an idle session in place (same id) and says fresh;
 *     get never writes.
 *
 * The public id is the row's INTEGER PRIMARY KEY (60 bits: creation time
 * and 19 random bits) written as 12 base32 letters: a lookup is one B-tree
 * search and a new session appends to two B-trees (table and user index).
 * It needs no secrecy; the secret is the other half of the token.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "la_int.h"

#define SESSION_COLS                                                                       \
	"s.id, s.user_id, s.active_expires, s.idle_expires, s.created, s.max_expires,"     \
	" s.source, s.tty, s.rhost, u.username"
#define SESSION_USER_COLS                                                                  \
	" u.email, u.uid, u.gid, u.gecos, u.home, u.shell, u.created, u.expires,"             \
	" u.password_changed, u.locked, u.must_change"

static const char SQL_LOOKUP[] =
	"SELECT " SESSION_COLS ", s.secret_hash," SESSION_USER_COLS
	" FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?1";
static const char SQL_INSERT[] =
	"INSERT INTO sessions (id, user_id, active_expires, idle_expires, secret_hash, created,"
	" max_expires, source, tty, rhost) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char SQL_RENEW[] =
	"UPDATE sessions SET active_expires = ?2, idle_expires = ?3 WHERE id = ?1"
	" AND idle_expires = ?4";
static const char SQL_DELETE[] = "DELETE FROM sessions WHERE id = ?1";
static const char SQL_DELETE_USER[] =
	"DELETE FROM sessions WHERE user_id = ?1 AND id IS NOT ?2";
static const char SQL_LIST_ALL[] =
	"SELECT " SESSION_COLS " FROM sessions s JOIN users u ON u.id = s.user_id"
	" WHERE s.idle_expires >= ?1"
	" AND (s.max_expires = 0 OR s.max_expires >= ?1) ORDER BY s.created";
static const char SQL_LIST_USER[] =
	"SELECT " SESSION_COLS " FROM sessions s JOIN users u ON u.id = s.user_id"
	" WHERE u.username = ?2 AND s.idle_expires >= ?1"
	" AND (s.max_expires = 0 OR s.max_expires >= ?1) ORDER BY s.created";
static const char SQL_DELETE_ORIGIN[] =
	"DELETE FROM sessions WHERE id = (SELECT id FROM sessions WHERE user_id = ?1"
	" AND source = ?2 AND tty IS ?3 AND rhost IS ?4 ORDER BY created DESC LIMIT 1)";
static const char SQL_GC[] =
	"DELETE FROM sessions WHERE idle_expires < ?1 OR (max_expires > 0 AND max_expires < ?1)";

enum la_session_state la_session_state_at(const struct la_session *s, int64_t now)
{
	if (now > s->idle_expires || (s->max_expires > 0 && now > s->max_expires))
		return LA_SESSION_DEAD;
	if (now <= s->active_expires)
		return LA_SESSION_ACTIVE;
	return LA_SESSION_IDLE;
}

const char *la_session_state_name(enum la_session_state state)
{
	switch (state) {
	case LA_SESSION_ACTIVE:
		return "active";
	case LA_SESSION_IDLE:
		return "idle";
	case LA_SESSION_DEAD:
		return "dead";
	}
	return "dead";
}

/* Fill 2 x n chars from the 32-letter alphabet: a byte's low 5 bits index
 * it without bias. */
static void random_base32(char *out, size_t n)
{
	unsigned char raw[LA_SECRET_LEN];

	randombytes_buf(raw, n);
	for (size_t i = 0; i < n; i++)
		out[i] = LA_ALPHA_BASE32[raw[i] & 31];
	out[n] = '\0';
	sodium_memzero(raw, sizeof(raw));
}

/* Value of a base32 letter, or -1. */
static int base32_value(char c)
{
	static signed char table[256];
	static bool ready;

	if (!ready) { /* idempotent, so a race only repeats the same writes */
		memset(table, -1, sizeof(table));
		for (int i = 0; LA_ALPHA_BASE32[i]; i++)
			table[(unsigned char)LA_ALPHA_BASE32[i]] = (signed char)i;
		ready = true;
	}
	return table[(unsigned char)c];
}

static bool base32_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (base32_value(s[i]) < 0)
			return false;
	return true;
}

#define ID_BITS (5 * LA_SESSION_ID_LEN)
#define ID_MASK ((UINT64_C(1) << ID_BITS) - 1)

static void id_encode(int64_t v, char out[LA_SESSION_ID_LEN + 1])
{
	uint64_t u = (uint64_t)v;

	for (int i = LA_SESSION_ID_LEN - 1; i >= 0; i--, u >>= 5)
		out[i] = LA_ALPHA_BASE32[u & 31];
	out[LA_SESSION_ID_LEN] = '\0';
}

/* The first 12 letters of s -> row key; false if any is not base32. */
static bool id_decode_n(const char *s, int64_t *v)
{
	uint64_t u = 0;

	for (int i = 0; i < LA_SESSION_ID_LEN; i++) {
		int d = base32_value(s[i]);

		if (d < 0)
			return false;
		u = u << 5 | (uint64_t)d;
	}
	*v = (int64_t)u;
	return true;
}

/* A public id (exactly 12 base32 letters) -> row key. */
static bool id_decode(const char *s, int64_t *v)
{
	return s && strnlen(s, LA_SESSION_ID_LEN + 1) == LA_SESSION_ID_LEN && id_decode_n(s, v);
}

/* Milliseconds since 2020 in the high 41 bits (69 years), 19 random bits
 * below: new rows go to the right edge of the table and of the user index,
 * where their pages are hot, instead of to a random page each. */
#define ID_RANDOM_BITS 19
#define ID_EPOCH_MS INT64_C(1577836800000)

static int64_t new_id(int64_t now)
{
	uint32_t r = randombytes_uniform(1u << ID_RANDOM_BITS);
	uint64_t t = now > ID_EPOCH_MS ? (uint64_t)(now - ID_EPOCH_MS) : 0;
	uint64_t u = ((t << ID_RANDOM_BITS) | r) & ID_MASK;

	return u ? (int64_t)u : 1;
}

bool store_token_parse(const char *token, int64_t *id)
{
	return token && strnlen(token, LA_TOKEN_LEN + 1) == LA_TOKEN_LEN &&
	       token[LA_SESSION_ID_LEN] == '.' && id_decode_n(token, id) &&
	       base32_ok(token + LA_SESSION_ID_LEN + 1, LA_SECRET_LEN);
}

bool store_session_id_decode(const char *s, int64_t *v)
{
	return id_decode(s, v);
}

void store_session_id_encode(int64_t v, char out[LA_SESSION_ID_LEN + 1])
{
	id_encode(v, out);
}

/* Check the shape of "<id>.<secret>" and return the row key. */
static la_rc parse_token(struct la_store *st, const char *token, int64_t *id)
{
	if (!store_token_parse(token, id))
		return store_fail(st, LA_E_BADTOKEN,
				  "a token is %d characters: <session id>.<secret>", LA_TOKEN_LEN);
	return LA_OK;
}

static void secret_hash(const char *secret, unsigned char out[crypto_hash_sha256_BYTES])
{
	crypto_hash_sha256(out, (const unsigned char *)secret, LA_SECRET_LEN);
}

static void read_session(sqlite3_stmt *s, struct la_session *out)
{
	memset(out, 0, sizeof(*out));
	id_encode(sqlite3_column_int64(s, 0), out->id);
	store_col_text(s, 1, out->user_id, sizeof(out->user_id));
	out->active_expires = sqlite3_column_int64(s, 2);
	out->idle_expires = sqlite3_column_int64(s, 3);
	out->created_ms = sqlite3_column_int64(s, 4);
	out->max_expires = sqlite3_column_int64(s, 5);
	store_col_text(s, 6, out->source, sizeof(out->source));
	store_col_text(s, 7, out->tty, sizeof(out->tty));
	store_col_text(s, 8, out->rhost, sizeof(out->rhost));
	store_col_text(s, 9, out->username, sizeof(out->username));
}

/* User columns of SQL_LOOKUP, from column 11 on (the name is column 9). */
static void read_session_user(sqlite3_stmt *s, const char *user_id, const char *username,
			      struct la_user *u)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->id, sizeof(u->id), "%s", user_id);
	snprintf(u->username, sizeof(u->username), "%s", username);
	store_col_text(s, 11, u->email, sizeof(u->email));
	u->uid = (uint32_t)sqlite3_column_int64(s, 12);
	u->gid = (uint32_t)sqlite3_column_int64(s, 13);
	store_col_text(s, 14, u->gecos, sizeof(u->gecos));
	store_col_text(s, 15, u->home, sizeof(u->home));
	store_col_text(s, 16, u->shell, sizeof(u->shell));
	u->created_ms = sqlite3_column_int64(s, 17);
	u->expires_ms = sqlite3_column_int64(s, 18);
	u->password_changed_ms = sqlite3_column_int64(s, 19);
	u->locked = sqlite3_column_int(s, 20) != 0;
	u->must_change = sqlite3_column_int(s, 21) != 0;
}

/* New expiries from now (SPEC 1), never past the absolute end. */
static void set_expiries(const struct la_store *st, struct la_session *s, int64_t now)
{
	s->active_expires = now + st->cfg.session_active_ms;
	s->idle_expires = s->active_expires + st->cfg.session_idle_ms;
	if (s->max_expires > 0) {
		if (s->active_expires > s->max_expires)
			s->active_expires = s->max_expires;
		if (s->idle_expires > s->max_expires)
			s->idle_expires = s->max_expires;
	}
}

la_rc la_session_create(struct la_store *st, const char *user_id, const struct la_origin *origin,
			char token[LA_TOKEN_BUF], struct la_session *out)
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	char secret[LA_SECRET_LEN + 1];
	sqlite3_stmt *s = store_stmt(st, SQL_INSERT);
	int64_t now = la_store_now(st), id = 0;
	int r = SQLITE_CONSTRAINT_PRIMARYKEY;

	store_clear_error(st);
	if (!s)
		return LA_E_DB;
	memset(out, 0, sizeof(*out));
	random_base32(secret, LA_SECRET_LEN);
	secret_hash(secret, hash);
	snprintf(out->user_id, sizeof(out->user_id), "%s", user_id ? user_id : "");
	out->created_ms = now;
	out->max_expires = st->cfg.session_max_ms > 0 ? now + st->cfg.session_max_ms : 0;
	set_expiries(st, out, now);
	out->state = LA_SESSION_ACTIVE;
	snprintf(out->source, sizeof(out->source), "%s",
		 origin && origin->source ? origin->source : "web");
	snprintf(out->tty, sizeof(out->tty), "%s", origin && origin->tty ? origin->tty : "");
	snprintf(out->rhost, sizeof(out->rhost), "%s", origin && origin->rhost ? origin->rhost : "");
	store_bind_text(s, 2, out->user_id, false);
	sqlite3_bind_int64(s, 3, out->active_expires);
	sqlite3_bind_int64(s, 4, out->idle_expires);
	sqlite3_bind_blob(s, 5, hash, sizeof(hash), SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, now);
	sqlite3_bind_int64(s, 7, out->max_expires);
	store_bind_text(s, 8, out->source, false);
	store_bind_text(s, 9, out->tty, true);
	store_bind_text(s, 10, out->rhost, true);
	/* Two sessions in the same millisecond share an id one time in 2^19;
	 * then draw again. */
	for (int tries = 0; tries < 4 && r == SQLITE_CONSTRAINT_PRIMARYKEY; tries++) {
		id = new_id(now);
		sqlite3_bind_int64(s, 1, id);
		r = sqlite3_step(s);
		sqlite3_reset(s);
	}
	store_stmt_done(s);
	id_encode(id, out->id);
	sodium_memzero(hash, sizeof(hash));
	if (r == SQLITE_DONE)
		snprintf(token, LA_TOKEN_BUF, "%s.%s", out->id, secret);
	sodium_memzero(secret, sizeof(secret));
	if (r == SQLITE_CONSTRAINT_FOREIGNKEY)
		return store_fail(st, LA_E_NOUSER, "no such user");
	return r == SQLITE_DONE ? LA_OK : store_db_fail(st, r, "create session");
}

/* Find the session a token names and check its secret (MUST 2, 3).  The
 * same answer for missing and wrong secret. */
static la_rc find(struct la_store *st, const char *token, struct la_session *out,
		  struct la_user *user)
{
	unsigned char want[crypto_hash_sha256_BYTES];
	int64_t id = 0;
	sqlite3_stmt *s;
	bool ok = false;
	la_rc rc;
	int r;

	store_clear_error(st);
	rc = parse_token(st, token, &id);
	if (rc != LA_OK)
		return rc;
	s = store_stmt(st, SQL_LOOKUP);
	if (!s)
		return LA_E_DB;
	sqlite3_bind_int64(s, 1, id);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		secret_hash(token + LA_SESSION_ID_LEN + 1, want);
		ok = sqlite3_column_bytes(s, 10) == (int)sizeof(want) &&
		     sodium_memcmp(sqlite3_column_blob(s, 10), want, sizeof(want)) == 0;
		read_session(s, out);
		read_session_user(s, out->user_id, out->username, user);
		sodium_memzero(want, sizeof(want));
	}
	store_stmt_done(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return store_db_fail(st, r, "session lookup");
	if (!ok)
		return store_fail(st, LA_E_NOSESSION, "invalid or expired session");
	return LA_OK;
}

static la_rc renew(struct la_store *st, const char *token, struct la_session *out,
		   struct la_user *u, int64_t now)
{
	sqlite3_stmt *s = store_stmt(st, SQL_RENEW);
	int64_t old_idle = out->idle_expires, key = 0;
	la_rc rc;

	if (!s)
		return LA_E_DB;
	set_expiries(st, out, now);
	if (!id_decode(out->id, &key))
		return LA_E_INTERNAL;
	sqlite3_bind_int64(s, 1, key);
	sqlite3_bind_int64(s, 2, out->active_expires);
	sqlite3_bind_int64(s, 3, out->idle_expires);
	/* Only if nobody renewed or revoked it meanwhile. */
	sqlite3_bind_int64(s, 4, old_idle);
	rc = store_step_done(st, s, "renew session");
	if (rc == LA_OK && sqlite3_changes(st->db) == 0) {
		/* Lost a race: report what is stored now (renewed by the other
		 * caller, or gone if it was revoked). */
		rc = find(st, token, out, u);
		if (rc == LA_OK && la_session_state_at(out, now) == LA_SESSION_DEAD)
			rc = store_fail(st, LA_E_NOSESSION, "invalid or expired session");
	}
	out->state = LA_SESSION_IDLE; /* as looked up, like Lucia; fresh tells */
	out->fresh = rc == LA_OK;
	return rc;
}

static la_rc lookup(struct la_store *st, const char *token, bool may_renew,
		    struct la_session *out, struct la_user *user)
{
	struct la_user tmp;
	struct la_user *u = user ? user : &tmp;
	int64_t now = la_store_now(st);
	la_rc rc = find(st, token, out, u);

	if (rc != LA_OK)
		return rc;
	out->state = la_session_state_at(out, now);
	/* An account locked or expired by the administrator has no sessions. */
	if (out->state == LA_SESSION_DEAD || u->locked || (u->expires_ms && now > u->expires_ms))
		return store_fail(st, LA_E_NOSESSION, "invalid or expired session");
	if (may_renew && out->state == LA_SESSION_IDLE)
		return renew(st, token, out, u, now);
	return LA_OK;
}

la_rc la_session_validate(struct la_store *st, const char *token, struct la_session *out,
			  struct la_user *user)
{
	return lookup(st, token, true, out, user);
}

la_rc la_session_get(struct la_store *st, const char *token, struct la_session *out,
		     struct la_user *user)
{
	return lookup(st, token, false, out, user);
}

/* DELETE by public id; the rc missing when nothing was deleted. */
static la_rc delete_one(struct la_store *st, const char *id, la_rc missing)
{
	sqlite3_stmt *s;
	int64_t key = 0;
	la_rc rc;

	if (!id_decode(id, &key))
		return store_fail(st, missing, "no such session");
	s = store_stmt(st, SQL_DELETE);
	if (!s)
		return LA_E_DB;
	sqlite3_bind_int64(s, 1, key);
	rc = store_step_done(st, s, "delete session");
	if (rc == LA_OK && sqlite3_changes(st->db) == 0)
		rc = store_fail(st, missing, "no such session");
	return rc;
}

la_rc la_session_revoke(struct la_store *st, const char *token)
{
	struct la_session s;
	struct la_user u;
	la_rc rc = find(st, token, &s, &u);

	/* A dead session with the right secret may still be signed out. */
	return rc == LA_OK ? delete_one(st, s.id, LA_E_NOSESSION) : rc;
}

la_rc la_session_revoke_id(struct la_store *st, const char *id)
{
	store_clear_error(st);
	return delete_one(st, id, LA_E_NOTFOUND);
}

la_rc la_session_revoke_user(struct la_store *st, const char *username, const char *except_id,
			     unsigned *n_deleted)
{
	struct la_user u;
	int64_t keep = 0;
	sqlite3_stmt *s;
	la_rc rc;

	rc = la_user_by_name(st, username, &u);
	if (rc != LA_OK)
		return rc;
	s = store_stmt(st, SQL_DELETE_USER);
	if (!s)
		return LA_E_DB;
	store_bind_text(s, 1, u.id, false);
	if (except_id && id_decode(except_id, &keep))
		sqlite3_bind_int64(s, 2, keep);
	else
		sqlite3_bind_null(s, 2);
	rc = store_step_done(st, s, "revoke sessions");
	if (n_deleted)
		*n_deleted = rc == LA_OK ? (unsigned)sqlite3_changes(st->db) : 0;
	return rc;
}

la_rc la_session_revoke_origin(struct la_store *st, const char *user_id,
			       const struct la_origin *origin)
{
	sqlite3_stmt *s = store_stmt(st, SQL_DELETE_ORIGIN);
	la_rc rc;

	store_clear_error(st);
	if (!s)
		return LA_E_DB;
	store_bind_text(s, 1, user_id, false);
	store_bind_text(s, 2, origin && origin->source ? origin->source : "web", false);
	store_bind_text(s, 3, origin ? origin->tty : NULL, true);
	store_bind_text(s, 4, origin ? origin->rhost : NULL, true);
	rc = store_step_done(st, s, "delete session");
	if (rc == LA_OK && sqlite3_changes(st->db) == 0)
		rc = store_fail(st, LA_E_NOTFOUND, "no session from that origin");
	return rc;
}

struct session_iter {
	la_session_cb cb;
	void *ctx;
	int64_t now;
};

static int session_row(sqlite3_stmt *s, void *p)
{
	struct session_iter *it = p;
	struct la_session sess;

	read_session(s, &sess);
	sess.state = la_session_state_at(&sess, it->now);
	return it->cb(&sess, it->ctx);
}

la_rc la_session_list(struct la_store *st, const char *username, la_session_cb cb, void *ctx)
{
	struct session_iter it = { cb, ctx, la_store_now(st) };
	struct la_user u;
	sqlite3_stmt *s;
	la_rc rc;

	store_clear_error(st);
	if (username && (rc = la_user_by_name(st, username, &u)) != LA_OK)
		return rc;
	s = store_stmt(st, username ? SQL_LIST_USER : SQL_LIST_ALL);
	if (!s)
		return LA_E_DB;
	sqlite3_bind_int64(s, 1, it.now);
	if (username)
		store_bind_text(s, 2, username, false);
	return store_each(st, s, session_row, &it, "list sessions");
}

la_rc la_session_gc(struct la_store *st, unsigned *n_deleted)
{
	sqlite3_stmt *s = store_stmt(st, SQL_GC);
	la_rc rc;

	store_clear_error(st);
	if (!s)
		return LA_E_DB;
	sqlite3_bind_int64(s, 1, la_store_now(st));
	rc = store_step_done(st, s, "delete dead sessions");
	if (n_deleted)
		*n_deleted = rc == LA_OK ? (unsigned)sqlite3_changes(st->db) : 0;
	return rc;
}

/*
 * check_session.c - sessions: tokens, the Lucia v2 state machine (SPEC 1,
 * lucia-semantics.md 1.3 and 2.1), session_max, revocation, listing and
 * garbage collection.  Times move through fx.now only.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "check_la.h"

#define DAY ((int64_t)86400000)
#define PW "correct horse"

static const char ALPHA[] = "abcdefghijkmnpqrstuvwxyz23456789";

/* ---- helpers ---------------------------------------------------------- */

struct tk {
	char t[LA_TOKEN_BUF];
	struct la_session s;
};

static struct la_user alice;  /* set by with_alice() */
static struct la_session got; /* filled by V() and G() */

static void with_alice(void)
{
	fx_add_user("alice", PW, &alice);
}

static struct tk mk(const struct la_user *u, const struct la_origin *o)
{
	struct tk k;
	la_rc rc = la_session_create(fx.st, u->id, o, k.t, &k.s);

	ck_assert_msg(rc == LA_OK, "create: %s (%s)", la_strerror(rc), la_store_errmsg(fx.st));
	return k;
}

/* s has this state, freshness and expiries. */
static void sess_is(const struct la_session *s, enum la_session_state st, bool fresh,
		    int64_t active, int64_t idle)
{
	ck_assert_int_eq(s->state, st);
	ck_assert_int_eq(s->fresh, fresh);
	ck_assert_int_eq(s->active_expires, active);
	ck_assert_int_eq(s->idle_expires, idle);
}

#define V(tok) la_session_validate(fx.st, (tok), &got, NULL)
#define G(tok) la_session_get(fx.st, (tok), &got, NULL)

/* A sessions row read through an independent connection. */
struct row {
	bool found;
	int64_t active, idle, created, max;
	int hash_len;
	unsigned char hash[64];
	char source[LA_ORIGIN_MAX + 1], tty[LA_ORIGIN_MAX + 1], rhost[LA_ORIGIN_MAX + 1]; /* "(null)" */
};

/* Prepare sql on an independent read-only connection; *db to close. */
static sqlite3_stmt *db_query(sqlite3 **db, const char *sql, const char *arg)
{
	char path[LA_PATH_MAX + 32];
	sqlite3_stmt *s = NULL;

	snprintf(path, sizeof(path), "%s/luciaauth.db", fx.cfg.dir);
	ck_assert_int_eq(sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(*db, sql, -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
	return s;
}

static struct row row_get(const char *id)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = db_query(&db, "SELECT active_expires, idle_expires, created, max_expires,"
					" secret_hash, source, coalesce(tty, '(null)'),"
					" coalesce(rhost, '(null)') FROM sessions WHERE id = ?1", id);
	struct row r;

	memset(&r, 0, sizeof(r));
	if (sqlite3_step(s) == SQLITE_ROW) {
		r.found = true;
		r.active = sqlite3_column_int64(s, 0);
		r.idle = sqlite3_column_int64(s, 1);
		r.created = sqlite3_column_int64(s, 2);
		r.max = sqlite3_column_int64(s, 3);
		r.hash_len = sqlite3_column_bytes(s, 4);
		if (r.hash_len > 0 && r.hash_len <= (int)sizeof(r.hash))
			memcpy(r.hash, sqlite3_column_blob(s, 4), (size_t)r.hash_len);
		snprintf(r.source, sizeof(r.source), "%s", (const char *)sqlite3_column_text(s, 5));
		snprintf(r.tty, sizeof(r.tty), "%s", (const char *)sqlite3_column_text(s, 6));
		snprintf(r.rhost, sizeof(r.rhost), "%s", (const char *)sqlite3_column_text(s, 7));
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return r;
}

/* The stored row has exactly these expiries. */
static void row_is(const char *id, int64_t active, int64_t idle)
{
	struct row r = row_get(id);

	ck_assert_msg(r.found, "session %s not stored", id);
	ck_assert_int_eq(r.active, active);
	ck_assert_int_eq(r.idle, idle);
}

/* Does needle occur in the named file of the state directory? */
static bool file_contains(const char *name, const char *needle)
{
	static char buf[8 << 20];
	char path[LA_PATH_MAX + 32];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fx.cfg.dir, name);
	if (!(f = fopen(path, "rb")))
		return false;
	n = fread(buf, 1, sizeof(buf), f);
	ck_assert(feof(f)); /* read all of it */
	fclose(f);
	return memmem(buf, n, needle, strlen(needle)) != NULL;
}

/* Collected by la_session_list. */
struct seen {
	int n, stop_after;
	char id[16][LA_SESSION_ID_LEN + 1];
	enum la_session_state state[16];
};

static int collect(const struct la_session *s, void *ctx)
{
	struct seen *v = ctx;

	if (v->n < 16) {
		snprintf(v->id[v->n], sizeof(v->id[0]), "%s", s->id);
		v->state[v->n] = s->state;
	}
	v->n++;
	return v->stop_after && v->n >= v->stop_after;
}

static struct seen list(const char *user, la_rc want)
{
	struct seen v;

	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(la_session_list(fx.st, user, collect, &v), want);
	return v;
}

/* State of id in a listing, -1 when absent. */
static int seen_state(const struct seen *v, const char *id)
{
	for (int i = 0; i < v->n && i < 16; i++)
		if (strcmp(v->id[i], id) == 0)
			return (int)v->state[i];
	return -1;
}

/* ---- core ------------------------------------------------------------- */

START_TEST(test_session_create_token_format)
{
	struct tk a, b;
	struct row r;

	with_alice();
	fx.now = FX_T0 + 12345;
	a = mk(&alice, NULL);
	ck_assert_uint_eq(strlen(a.t), 57);
	ck_assert_int_eq(LA_TOKEN_LEN, 57);
	ck_assert_int_eq(a.t[24], '.');
	for (size_t i = 0; i < 57; i++)
		if (i != 24)
			ck_assert_msg(a.t[i] && strchr(ALPHA, a.t[i]), "char %zu of %s", i, a.t);
	ck_assert_uint_eq(strlen(a.s.id), 24);
	ck_assert_int_eq(strncmp(a.t, a.s.id, 24), 0);
	ck_assert_str_eq(a.s.user_id, alice.id);
	sess_is(&a.s, LA_SESSION_ACTIVE, false, fx.now + 86400000, fx.now + 15 * 86400000LL);
	ck_assert_int_eq(a.s.created_ms, fx.now);
	ck_assert_int_eq(a.s.max_expires, 0);
	row_is(a.s.id, a.s.active_expires, a.s.idle_expires);
	r = row_get(a.s.id);
	ck_assert_int_eq(r.created, fx.now);
	ck_assert_int_eq(r.max, 0);
	/* Every token is new. */
	b = mk(&alice, NULL);
	ck_assert_str_ne(a.s.id, b.s.id);
	ck_assert_str_ne(a.t + 25, b.t + 25);
	ck_assert_int_eq(fx_count("sessions"), 2);
}
END_TEST

START_TEST(test_session_create_stores_no_secret)
{
	unsigned char want[crypto_hash_sha256_BYTES];
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	const char *secret;
	struct row r;
	struct tk a;

	with_alice();
	a = mk(&alice, NULL);
	secret = a.t + 25;
	r = row_get(a.s.id);
	ck_assert_int_eq(r.hash_len, 32);
	ck_assert_int_ne(memcmp(r.hash, secret, 32), 0);
	crypto_hash_sha256(want, (const unsigned char *)secret, 32);
	ck_assert_int_eq(memcmp(r.hash, want, 32), 0);
	/* No column of the row holds the secret (not even 16 chars of it). */
	st = db_query(&db, "SELECT * FROM sessions WHERE id = ?1", a.s.id);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	for (int c = 0; c < sqlite3_column_count(st); c++) {
		const void *b = sqlite3_column_blob(st, c);

		ck_assert_msg(!b || !memmem(b, (size_t)sqlite3_column_bytes(st, c), secret, 16),
			      "column %s holds the secret", sqlite3_column_name(st, c));
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* Nor does any byte of the database or its WAL (which do hold the id). */
	ck_assert(!file_contains("luciaauth.db", secret));
	ck_assert(!file_contains("luciaauth.db-wal", secret));
	ck_assert(file_contains("luciaauth.db-wal", a.s.id) || file_contains("luciaauth.db", a.s.id));
}
END_TEST

START_TEST(test_session_origin_fields)
{
	struct la_origin pam = { .source = "sshd", .tty = "pts/3", .rhost = "192.0.2.7" };
	struct la_origin tty_only = { .tty = "tty1" };
	struct la_user vu;
	struct tk a, b, c;
	struct row r;

	with_alice();
	a = mk(&alice, NULL);
	b = mk(&alice, &pam);
	c = mk(&alice, &tty_only);
	ck_assert_str_eq(a.s.source, "web");
	ck_assert_str_eq(a.s.tty, "");
	ck_assert_str_eq(a.s.rhost, "");
	r = row_get(a.s.id);
	ck_assert_str_eq(r.source, "web");
	ck_assert_str_eq(r.tty, "(null)");
	ck_assert_str_eq(r.rhost, "(null)");
	r = row_get(b.s.id);
	ck_assert_str_eq(r.source, "sshd");
	ck_assert_str_eq(r.tty, "pts/3");
	ck_assert_str_eq(r.rhost, "192.0.2.7");
	ck_assert_int_eq(la_session_validate(fx.st, b.t, &got, &vu), LA_OK);
	ck_assert_str_eq(got.source, "sshd");
	ck_assert_str_eq(got.tty, "pts/3");
	ck_assert_str_eq(got.rhost, "192.0.2.7");
	ck_assert_str_eq(vu.username, "alice");
	ck_assert_str_eq(vu.id, alice.id);
	ck_assert_int_eq(vu.uid, alice.uid);
	ck_assert_str_eq(c.s.source, "web");
	ck_assert_int_eq(G(c.t), LA_OK);
	ck_assert_str_eq(got.source, "web");
	ck_assert_str_eq(got.tty, "tty1");
	ck_assert_str_eq(got.rhost, "");
}
END_TEST

START_TEST(test_session_revoke_token)
{
	struct tk a, b;
	char bad[LA_TOKEN_BUF];

	with_alice();
	a = mk(&alice, NULL);
	b = mk(&alice, NULL);
	/* A wrong secret deletes nothing. */
	memcpy(bad, a.t, sizeof(bad));
	bad[56] = bad[56] == 'a' ? 'b' : 'a';
	ck_assert_int_eq(la_session_revoke(fx.st, bad), LA_E_NOSESSION);
	ck_assert_int_eq(fx_count("sessions"), 2);
	ck_assert_int_eq(V(a.t), LA_OK);
	/* The right one deletes exactly that session. */
	ck_assert_int_eq(la_session_revoke(fx.st, a.t), LA_OK);
	ck_assert_int_eq(fx_count("sessions"), 1);
	ck_assert(!row_get(a.s.id).found);
	ck_assert_int_eq(V(a.t), LA_E_NOSESSION);
	ck_assert_int_eq(G(a.t), LA_E_NOSESSION);
	ck_assert_int_eq(la_session_revoke(fx.st, a.t), LA_E_NOSESSION);
	ck_assert_int_eq(V(b.t), LA_OK);
}
END_TEST

START_TEST(test_session_revoke_id)
{
	struct tk a = (with_alice(), mk(&alice, NULL)), b = mk(&alice, NULL);

	ck_assert_int_eq(la_session_revoke_id(fx.st, a.s.id), LA_OK);
	ck_assert_int_eq(fx_count("sessions"), 1);
	ck_assert_int_eq(V(a.t), LA_E_NOSESSION);
	ck_assert_int_eq(V(b.t), LA_OK);
	ck_assert_int_eq(la_session_revoke_id(fx.st, a.s.id), LA_E_NOTFOUND);
}
END_TEST

START_TEST(test_session_revoke_user_except)
{
	struct la_user bob;
	struct tk a[3], b;
	unsigned n = 99;

	with_alice();
	fx_add_user("bob", PW, &bob);
	for (int i = 0; i < 3; i++)
		a[i] = mk(&alice, NULL);
	b = mk(&bob, NULL);
	ck_assert_int_eq(la_session_revoke_user(fx.st, "alice", a[1].s.id, &n), LA_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(V(a[0].t), LA_E_NOSESSION);
	ck_assert_int_eq(V(a[1].t), LA_OK);
	ck_assert_int_eq(V(a[2].t), LA_E_NOSESSION);
	ck_assert_int_eq(V(b.t), LA_OK);
	ck_assert_int_eq(fx_count("sessions"), 2);
	ck_assert_int_eq(la_session_revoke_user(fx.st, "alice", NULL, &n), LA_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(la_session_revoke_user(fx.st, "alice", NULL, &n), LA_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(la_session_revoke_user(fx.st, "alice", NULL, NULL), LA_OK);
	ck_assert_int_eq(V(b.t), LA_OK);
	ck_assert_int_eq(fx_count("sessions"), 1);
}
END_TEST

START_TEST(test_session_list_live_only)
{
	struct la_user bob;
	struct tk a1, a2, a3, b1, b2;
	struct seen v;

	with_alice();
	fx_add_user("bob", PW, &bob);
	a1 = mk(&alice, NULL);
	b1 = mk(&bob, NULL);
	fx.now = FX_T0 + 2 * DAY;
	a2 = mk(&alice, NULL);
	fx.now = FX_T0 + 15 * DAY;
	a3 = mk(&alice, NULL);
	b2 = mk(&bob, NULL);
	/* a1 and b1 dead, a2 idle, a3 and b2 active. */
	fx.now = a1.s.idle_expires + 1;
	v = list("alice", LA_OK);
	ck_assert_int_eq(v.n, 2);
	ck_assert_int_eq(seen_state(&v, a2.s.id), LA_SESSION_IDLE);
	ck_assert_int_eq(seen_state(&v, a3.s.id), LA_SESSION_ACTIVE);
	v = list(NULL, LA_OK);
	ck_assert_int_eq(v.n, 3);
	ck_assert_int_eq(seen_state(&v, a1.s.id), -1);
	ck_assert_int_eq(seen_state(&v, b1.s.id), -1);
	ck_assert_int_eq(seen_state(&v, b2.s.id), LA_SESSION_ACTIVE);
	v = list("bob", LA_OK);
	ck_assert_int_eq(v.n, 1);
	ck_assert_str_eq(v.id[0], b2.s.id);
	/* Listing writes nothing: dead rows stay until gc. */
	ck_assert_int_eq(fx_count("sessions"), 5);
	/* A non-zero callback return stops the walk. */
	memset(&v, 0, sizeof(v));
	v.stop_after = 1;
	ck_assert_int_eq(la_session_list(fx.st, NULL, collect, &v), LA_OK);
	ck_assert_int_eq(v.n, 1);
	ck_assert_int_eq(list("nobody", LA_E_NOUSER).n, 0);
}
END_TEST

START_TEST(test_session_user_locked_or_expired)
{
	struct la_user vu;
	struct tk a;

	with_alice();
	a = mk(&alice, NULL);
	ck_assert_int_eq(la_user_set_locked(fx.st, "alice", true), LA_OK);
	ck_assert_int_eq(la_session_validate(fx.st, a.t, &got, &vu), LA_E_NOSESSION);
	ck_assert_int_eq(G(a.t), LA_E_NOSESSION);
	ck_assert(row_get(a.s.id).found);
	ck_assert_int_eq(la_user_set_locked(fx.st, "alice", false), LA_OK);
	ck_assert_int_eq(la_session_validate(fx.st, a.t, &got, &vu), LA_OK);
	ck_assert_str_eq(vu.username, "alice");
	ck_assert(!vu.locked);
	/* Account expiry: valid up to and including expires, not after. */
	ck_assert_int_eq(la_user_set_expiry(fx.st, "alice", FX_T0 + 1000), LA_OK);
	fx.now = FX_T0 + 1000;
	ck_assert_int_eq(V(a.t), LA_OK);
	fx.now = FX_T0 + 1001;
	ck_assert_int_eq(V(a.t), LA_E_NOSESSION);
	ck_assert_int_eq(G(a.t), LA_E_NOSESSION);
	ck_assert(row_get(a.s.id).found);
	ck_assert_int_eq(la_user_set_expiry(fx.st, "alice", 0), LA_OK);
	ck_assert_int_eq(V(a.t), LA_OK);
}
END_TEST

/* ---- errors ----------------------------------------------------------- */

static void expect_bad(const char *tok, const char *what)
{
	struct la_user u;
	la_rc rc = la_session_validate(fx.st, tok, &got, &u);

	ck_assert_msg(rc == LA_E_BADTOKEN, "validate(%s): %s", what, la_strerror(rc));
	ck_assert_str_ne(la_store_errmsg(fx.st), "");
	rc = G(tok);
	ck_assert_msg(rc == LA_E_BADTOKEN, "get(%s): %s", what, la_strerror(rc));
	rc = la_session_revoke(fx.st, tok);
	ck_assert_msg(rc == LA_E_BADTOKEN, "revoke(%s): %s", what, la_strerror(rc));
}

/* tok with position i set to c (tok may be the returned buffer itself). */
static const char *patched(const char *tok, size_t i, char c)
{
	static char buf[LA_TOKEN_BUF];

	memmove(buf, tok, LA_TOKEN_BUF);
	buf[i] = c;
	return buf;
}

START_TEST(test_session_malformed_tokens)
{
	static const char bad_chars[] = { 'l', '0', '1', 'o', 'A', '-', '_', ' ', '/', '\xc3' };
	char buf[128], msg[64], *big;
	const char *t;
	struct tk a;

	with_alice();
	a = mk(&alice, NULL);
	t = a.t;
	expect_bad(NULL, "NULL");
	expect_bad("", "empty");
	expect_bad(".", "dot");
	expect_bad(patched(t, 24, 'a'), "no dot");
	expect_bad(patched(patched(t, 23, '.'), 24, 'a'), "dot at 23");
	expect_bad(patched(patched(t, 25, '.'), 24, 'a'), "dot at 25");
	expect_bad(patched(t, 40, '.'), "two dots");
	expect_bad(patched(t, 56, '\0'), "56 chars");
	expect_bad(t + 1, "56 chars, id of 23");
	snprintf(buf, sizeof(buf), "%.57sa", t);
	expect_bad(buf, "58 chars");
	snprintf(buf, sizeof(buf), "%.57s\n", t);
	expect_bad(buf, "trailing newline");
	snprintf(buf, sizeof(buf), " %.56s", t);
	expect_bad(buf, "leading space, 57 chars");
	for (size_t i = 0; i <= 57; i++)
		buf[i] = (char)toupper((unsigned char)t[i]);
	expect_bad(buf, "uppercase");
	for (size_t i = 0; i < sizeof(bad_chars); i++) {
		snprintf(msg, sizeof(msg), "0x%02x in the id", (unsigned char)bad_chars[i]);
		expect_bad(patched(t, 3, bad_chars[i]), msg);
		snprintf(msg, sizeof(msg), "0x%02x in the secret", (unsigned char)bad_chars[i]);
		expect_bad(patched(t, 50, bad_chars[i]), msg);
	}
	/* An embedded NUL makes the C string shorter. */
	expect_bad(patched(t, 40, '\0'), "embedded NUL");
	/* SQL metacharacters, in tokens of the right length. */
	snprintf(buf, sizeof(buf), "aaaaaaaaaaaaaaaaaaaaa'--.%.32s", t + 25);
	expect_bad(buf, "quote");
	snprintf(buf, sizeof(buf), "%-24.24s.%.32s", "' OR '1'='1", t + 25);
	expect_bad(buf, "or 1=1");
	snprintf(buf, sizeof(buf), "%.23s%%.%.32s", t, t + 25);
	expect_bad(buf, "percent");
	snprintf(buf, sizeof(buf), "%.24s.%-32.32s", t, "x'; DROP TABLE sessions; --");
	expect_bad(buf, "drop table");
	expect_bad("'; DROP TABLE sessions; --", "short injection");
	/* 10 kB, dot at the right place. */
	big = malloc(10 * 1024 + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', 10 * 1024);
	big[24] = '.';
	big[10 * 1024] = '\0';
	expect_bad(big, "10 kB");
	free(big);
	/* Nothing was deleted or changed; the real token still works. */
	ck_assert_int_eq(fx_count("sessions"), 1);
	ck_assert_int_eq(V(t), LA_OK);
}
END_TEST

START_TEST(test_session_wrong_secret)
{
	char mix[LA_TOKEN_BUF];
	struct tk a, b;

	with_alice();
	a = mk(&alice, NULL);
	b = mk(&alice, NULL);
	for (size_t i = 25; i < 57; i += 31) {
		const char *bad = patched(a.t, i, a.t[i] == 'a' ? 'b' : 'a');

		ck_assert_int_eq(V(bad), LA_E_NOSESSION);
		ck_assert_int_eq(G(bad), LA_E_NOSESSION);
		ck_assert_int_eq(la_session_revoke(fx.st, bad), LA_E_NOSESSION);
	}
	/* Another session's secret with this id. */
	snprintf(mix, sizeof(mix), "%.25s%.32s", a.t, b.t + 25);
	ck_assert_int_eq(V(mix), LA_E_NOSESSION);
	ck_assert_int_eq(fx_count("sessions"), 2);
	ck_assert_int_eq(V(a.t), LA_OK);
	ck_assert_str_eq(got.id, a.s.id);
	ck_assert_int_eq(V(b.t), LA_OK);
}
END_TEST

START_TEST(test_session_unknown_id)
{
	char tok[LA_TOKEN_BUF];

	with_alice();
	memset(tok, 'a', LA_TOKEN_LEN);
	tok[24] = '.';
	tok[LA_TOKEN_LEN] = '\0';
	ck_assert_int_eq(V(tok), LA_E_NOSESSION);
	ck_assert_int_eq(G(tok), LA_E_NOSESSION);
	ck_assert_int_eq(la_session_revoke(fx.st, tok), LA_E_NOSESSION);
	ck_assert_int_eq(la_session_revoke_id(fx.st, "aaaaaaaaaaaaaaaaaaaaaaaa"), LA_E_NOTFOUND);
	ck_assert_int_eq(la_session_revoke_id(fx.st, ""), LA_E_NOTFOUND);
	ck_assert_int_eq(la_session_revoke_id(fx.st, NULL), LA_E_NOTFOUND);
	ck_assert_int_eq(la_session_revoke_id(fx.st, "' OR 1=1 --"), LA_E_NOTFOUND);
}
END_TEST

START_TEST(test_session_create_unknown_user)
{
	struct la_session s;
	char tok[LA_TOKEN_BUF];
	unsigned n = 7;

	ck_assert_int_eq(la_session_create(fx.st, "nosuchuser12345", NULL, tok, &s), LA_E_NOUSER);
	ck_assert_int_eq(la_session_create(fx.st, "", NULL, tok, &s), LA_E_NOUSER);
	ck_assert_int_eq(la_session_create(fx.st, NULL, NULL, tok, &s), LA_E_NOUSER);
	ck_assert_int_eq(fx_count("sessions"), 0);
	ck_assert_int_eq(la_session_revoke_user(fx.st, "nobody", NULL, &n), LA_E_NOUSER);
	ck_assert_int_eq(la_session_revoke_user(fx.st, NULL, NULL, &n), LA_E_NOUSER);
}
END_TEST

/* ---- limits: the state machine at its boundaries ------------------------ */

START_TEST(test_session_state_at_boundaries)
{
	struct la_session s;

	memset(&s, 0, sizeof(s));
	s.active_expires = 1000;
	s.idle_expires = 2000;
	ck_assert_int_eq(la_session_state_at(&s, 0), LA_SESSION_ACTIVE);
	ck_assert_int_eq(la_session_state_at(&s, 1000), LA_SESSION_ACTIVE);
	ck_assert_int_eq(la_session_state_at(&s, 1001), LA_SESSION_IDLE);
	ck_assert_int_eq(la_session_state_at(&s, 2000), LA_SESSION_IDLE);
	ck_assert_int_eq(la_session_state_at(&s, 2001), LA_SESSION_DEAD);
	s.max_expires = 1500;
	ck_assert_int_eq(la_session_state_at(&s, 1500), LA_SESSION_IDLE);
	ck_assert_int_eq(la_session_state_at(&s, 1501), LA_SESSION_DEAD);
	s.max_expires = 800;
	ck_assert_int_eq(la_session_state_at(&s, 800), LA_SESSION_ACTIVE);
	ck_assert_int_eq(la_session_state_at(&s, 801), LA_SESSION_DEAD);
	ck_assert_str_eq(la_session_state_name(LA_SESSION_ACTIVE), "active");
	ck_assert_str_eq(la_session_state_name(LA_SESSION_IDLE), "idle");
	ck_assert_str_eq(la_session_state_name(LA_SESSION_DEAD), "dead");
}
END_TEST

START_TEST(test_session_state_active_until_active_expires)
{
	struct tk a;

	with_alice();
	a = mk(&alice, NULL);
	fx.now = a.s.active_expires;
	ck_assert_int_eq(la_session_state_at(&a.s, fx.now), LA_SESSION_ACTIVE);
	ck_assert_int_eq(G(a.t), LA_OK);
	sess_is(&got, LA_SESSION_ACTIVE, false, a.s.active_expires, a.s.idle_expires);
	ck_assert_int_eq(V(a.t), LA_OK);
	sess_is(&got, LA_SESSION_ACTIVE, false, a.s.active_expires, a.s.idle_expires);
	ck_assert_str_eq(got.id, a.s.id);
	row_is(a.s.id, a.s.active_expires, a.s.idle_expires);
}
END_TEST

START_TEST(test_session_state_idle_renewed_in_place)
{
	int64_t act, idle;
	struct tk a;

	with_alice();
	a = mk(&alice, NULL);
	fx.now = a.s.active_expires + 1;
	ck_assert_int_eq(la_session_state_at(&a.s, fx.now), LA_SESSION_IDLE);
	/* get: idle, never renews. */
	ck_assert_int_eq(G(a.t), LA_OK);
	sess_is(&got, LA_SESSION_IDLE, false, a.s.active_expires, a.s.idle_expires);
	row_is(a.s.id, a.s.active_expires, a.s.idle_expires);
	/* validate: renewed in place, same id, expiries from now. */
	ck_assert_int_eq(V(a.t), LA_OK);
	act = fx.now + DAY;
	idle = act + 14 * DAY;
	/* state is the one found at lookup (Lucia quirk); fresh tells the renewal */
	sess_is(&got, LA_SESSION_IDLE, true, act, idle);
	ck_assert_str_eq(got.id, a.s.id);
	ck_assert_int_eq(got.created_ms, a.s.created_ms);
	row_is(a.s.id, act, idle);
	ck_assert_int_eq(row_get(a.s.id).created, a.s.created_ms);
	ck_assert_int_eq(fx_count("sessions"), 1);
	/* Right after the renewal: active, not fresh, nothing changes. */
	ck_assert_int_eq(V(a.t), LA_OK);
	sess_is(&got, LA_SESSION_ACTIVE, false, act, idle);
	row_is(a.s.id, act, idle);
}
END_TEST

START_TEST(test_session_state_dead_after_idle_expires)
{
	struct tk a, b;

	with_alice();
	a = mk(&alice, NULL);
	b = mk(&alice, NULL);
	fx.now = a.s.idle_expires;
	ck_assert_int_eq(la_session_state_at(&a.s, fx.now), LA_SESSION_IDLE);
	ck_assert_int_eq(G(a.t), LA_OK);
	sess_is(&got, LA_SESSION_IDLE, false, a.s.active_expires, a.s.idle_expires);
	ck_assert_int_eq(V(b.t), LA_OK);
	sess_is(&got, LA_SESSION_IDLE, true, fx.now + DAY, fx.now + 15 * DAY);
	fx.now = a.s.idle_expires + 1;
	ck_assert_int_eq(la_session_state_at(&a.s, fx.now), LA_SESSION_DEAD);
	ck_assert_int_eq(G(a.t), LA_E_NOSESSION);
	ck_assert_int_eq(V(a.t), LA_E_NOSESSION);
	ck_assert_int_eq(V(a.t), LA_E_NOSESSION);
	/* Validation neither deletes nor touches the dead row (Lucia 2.1). */
	row_is(a.s.id, a.s.active_expires, a.s.idle_expires);
	ck_assert_int_eq(fx_count("sessions"), 2);
	/* The one renewed at idle_expires lives on. */
	ck_assert_int_eq(V(b.t), LA_OK);
	sess_is(&got, LA_SESSION_ACTIVE, false, a.s.idle_expires + DAY, a.s.idle_expires + 15 * DAY);
	/* Signing out a dead session with the right secret is allowed. */
	ck_assert_int_eq(la_session_revoke(fx.st, a.t), LA_OK);
	ck_assert_int_eq(fx_count("sessions"), 1);
}
END_TEST

START_TEST(test_session_max_caps_renewal)
{
	int64_t end = FX_T0 + 3 * DAY;
	unsigned n = 99;
	struct row r;
	struct tk a;

	fx.cfg.session_max_ms = 3 * DAY;
	fx_reopen();
	with_alice();
	a = mk(&alice, NULL);
	ck_assert_int_eq(a.s.max_expires, end);
	ck_assert_int_eq(a.s.active_expires, FX_T0 + DAY);
	ck_assert_int_eq(a.s.idle_expires, end);
	ck_assert_int_eq(row_get(a.s.id).max, end);
	/* Renewals never reach past created + max. */
	for (int64_t t = a.s.active_expires + 1; t < end; t += DAY / 2) {
		fx.now = t;
		ck_assert_int_eq(V(a.t), LA_OK);
		ck_assert_int_le(got.active_expires, end);
		ck_assert_int_le(got.idle_expires, end);
		r = row_get(a.s.id);
		ck_assert_int_le(r.active, end);
		ck_assert_int_le(r.idle, end);
		ck_assert_int_eq(r.max, end);
	}
	fx.now = end;
	ck_assert_int_eq(G(a.t), LA_OK);
	ck_assert_int_ne(got.state, LA_SESSION_DEAD);
	ck_assert_int_eq(V(a.t), LA_OK);
	ck_assert_int_le(got.idle_expires, end);
	fx.now = end + 1;
	ck_assert_int_eq(G(a.t), LA_E_NOSESSION);
	ck_assert_int_eq(V(a.t), LA_E_NOSESSION);
	ck_assert_int_eq(la_session_state_at(&got, fx.now), LA_SESSION_DEAD);
	ck_assert_int_eq(la_session_gc(fx.st, &n), LA_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(fx_count("sessions"), 0);
}
END_TEST

START_TEST(test_session_max_shorter_than_active)
{
	struct tk a;

	fx.cfg.session_max_ms = 60000;
	fx_reopen();
	with_alice();
	a = mk(&alice, NULL);
	sess_is(&a.s, LA_SESSION_ACTIVE, false, FX_T0 + 60000, FX_T0 + 60000);
	fx.now = FX_T0 + 60000;
	ck_assert_int_eq(V(a.t), LA_OK);
	fx.now = FX_T0 + 60001;
	ck_assert_int_eq(V(a.t), LA_E_NOSESSION);
}
END_TEST

START_TEST(test_session_gc_boundary)
{
	unsigned n = 99;
	struct tk a, b;

	with_alice();
	a = mk(&alice, NULL);
	fx.now = FX_T0 + 1;
	b = mk(&alice, NULL);
	ck_assert_int_eq(la_session_gc(fx.st, &n), LA_OK);
	ck_assert_uint_eq(n, 0);
	fx.now = a.s.idle_expires;
	ck_assert_int_eq(la_session_gc(fx.st, &n), LA_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(fx_count("sessions"), 2);
	fx.now = a.s.idle_expires + 1;
	ck_assert_int_eq(la_session_gc(fx.st, &n), LA_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert(!row_get(a.s.id).found);
	ck_assert(row_get(b.s.id).found);
	ck_assert_int_eq(G(b.t), LA_OK); /* now == b's idle_expires */
	ck_assert_int_eq(got.state, LA_SESSION_IDLE);
	fx.now = b.s.idle_expires + 1;
	ck_assert_int_eq(la_session_gc(fx.st, NULL), LA_OK);
	ck_assert_int_eq(fx_count("sessions"), 0);
}
END_TEST

static void add_tcase(Suite *s, const char *name, const TTest *const *t, size_t n)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	for (size_t i = 0; i < n; i++)
		tcase_add_test(tc, t[i]);
	suite_add_tcase(s, tc);
}

Suite *suite_session(void)
{
	const TTest *core[] = {
		test_session_create_token_format, test_session_create_stores_no_secret,
		test_session_origin_fields,	  test_session_revoke_token,
		test_session_revoke_id,		  test_session_revoke_user_except,
		test_session_list_live_only,	  test_session_user_locked_or_expired,
	};
	const TTest *errors[] = {
		test_session_malformed_tokens, test_session_wrong_secret,
		test_session_unknown_id,       test_session_create_unknown_user,
	};
	const TTest *limits[] = {
		test_session_state_at_boundaries,	     test_session_state_active_until_active_expires,
		test_session_state_idle_renewed_in_place,   test_session_state_dead_after_idle_expires,
		test_session_max_caps_renewal,		     test_session_max_shorter_than_active,
		test_session_gc_boundary,
	};
	Suite *s = suite_create("session");

	add_tcase(s, "core", core, sizeof(core) / sizeof(*core));
	add_tcase(s, "errors", errors, sizeof(errors) / sizeof(*errors));
	add_tcase(s, "limits", limits, sizeof(limits) / sizeof(*limits));
	return s;
}

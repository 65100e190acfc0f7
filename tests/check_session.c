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

/* A sessions row read through an independent connection. */
struct row {
	bool found;
	int64_t active, idle, created, max;
	int hash_len;
	unsigned char hash[64];
	char source[LA_ORIGIN_MAX + 1];
	bool tty_null, rhost_null;
	char tty[LA_ORIGIN_MAX + 1], rhost[LA_ORIGIN_MAX + 1];
};

static sqlite3 *db_open(void)
{
	char path[LA_PATH_MAX + 32];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/luciaauth.db", fx.cfg.dir);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	return db;
}

static void copy_col(sqlite3_stmt *s, int col, char *dst, size_t len, bool *is_null)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	if (is_null)
		*is_null = sqlite3_column_type(s, col) == SQLITE_NULL;
	snprintf(dst, len, "%s", t ? (const char *)t : "");
}

static struct row row_get(const char *id)
{
	struct row r;
	sqlite3 *db = db_open();
	sqlite3_stmt *s = NULL;

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(sqlite3_prepare_v2(db,
					    "SELECT active_expires, idle_expires, created, max_expires,"
					    " secret_hash, source, tty, rhost FROM sessions WHERE id = ?1",
					    -1, &s, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		r.found = true;
		r.active = sqlite3_column_int64(s, 0);
		r.idle = sqlite3_column_int64(s, 1);
		r.created = sqlite3_column_int64(s, 2);
		r.max = sqlite3_column_int64(s, 3);
		r.hash_len = sqlite3_column_bytes(s, 4);
		if (r.hash_len > 0 && r.hash_len <= (int)sizeof(r.hash))
			memcpy(r.hash, sqlite3_column_blob(s, 4), (size_t)r.hash_len);
		copy_col(s, 5, r.source, sizeof(r.source), NULL);
		copy_col(s, 6, r.tty, sizeof(r.tty), &r.tty_null);
		copy_col(s, 7, r.rhost, sizeof(r.rhost), &r.rhost_null);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return r;
}

/* Does needle occur in the named file of the state directory? */
static bool file_contains(const char *name, const char *needle)
{
	char path[LA_PATH_MAX + 32];
	char *buf;
	long n;
	bool hit;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fx.cfg.dir, name);
	f = fopen(path, "rb");
	if (!f)
		return false;
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	hit = memmem(buf, (size_t)n, needle, strlen(needle)) != NULL;
	free(buf);
	return hit;
}

static void create(const struct la_user *u, const struct la_origin *o, char tok[LA_TOKEN_BUF],
		   struct la_session *s)
{
	la_rc rc = la_session_create(fx.st, u->id, o, tok, s);

	ck_assert_msg(rc == LA_OK, "create: %s (%s)", la_strerror(rc), la_store_errmsg(fx.st));
}

static la_rc validate(const char *tok, struct la_session *s)
{
	return la_session_validate(fx.st, tok, s, NULL);
}

static la_rc get(const char *tok, struct la_session *s)
{
	return la_session_get(fx.st, tok, s, NULL);
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
	struct la_user u;
	struct la_session s, s2;
	char tok[LA_TOKEN_BUF], tok2[LA_TOKEN_BUF];
	struct row r;

	fx_add_user("alice", PW, &u);
	fx.now = FX_T0 + 12345;
	create(&u, NULL, tok, &s);
	ck_assert_uint_eq(strlen(tok), 57);
	ck_assert_int_eq(LA_TOKEN_LEN, 57);
	ck_assert_int_eq(tok[24], '.');
	for (size_t i = 0; i < 57; i++)
		if (i != 24)
			ck_assert_msg(tok[i] && strchr(ALPHA, tok[i]), "char %zu of %s", i, tok);
	ck_assert_int_eq(strncmp(tok, s.id, 24), 0);
	ck_assert_uint_eq(strlen(s.id), 24);
	ck_assert_str_eq(s.user_id, u.id);
	ck_assert_int_eq(s.state, LA_SESSION_ACTIVE);
	ck_assert(!s.fresh);
	ck_assert_int_eq(s.created_ms, fx.now);
	ck_assert_int_eq(s.max_expires, 0);
	ck_assert_int_eq(s.active_expires, fx.now + 86400000);
	ck_assert_int_eq(s.idle_expires, s.active_expires + 14 * 86400000LL);
	r = row_get(s.id);
	ck_assert(r.found);
	ck_assert_int_eq(r.active, s.active_expires);
	ck_assert_int_eq(r.idle, s.idle_expires);
	ck_assert_int_eq(r.created, fx.now);
	ck_assert_int_eq(r.max, 0);
	/* Every token is new. */
	create(&u, NULL, tok2, &s2);
	ck_assert_str_ne(s.id, s2.id);
	ck_assert_int_ne(strcmp(tok + 25, tok2 + 25), 0);
	ck_assert_int_eq(fx_count("sessions"), 2);
}
END_TEST

START_TEST(test_session_create_stores_no_secret)
{
	unsigned char want[crypto_hash_sha256_BYTES];
	struct la_user u;
	struct la_session s;
	char tok[LA_TOKEN_BUF], sql[128];
	const char *secret;
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	struct row r;
	int cols;

	fx_add_user("alice", PW, &u);
	create(&u, NULL, tok, &s);
	secret = tok + 25;
	r = row_get(s.id);
	ck_assert(r.found);
	ck_assert_int_eq(r.hash_len, 32);
	ck_assert_int_ne(memcmp(r.hash, secret, 32), 0);
	crypto_hash_sha256(want, (const unsigned char *)secret, 32);
	ck_assert_int_eq(memcmp(r.hash, want, 32), 0);
	/* No column of the row holds the secret (or a prefix of 16 chars). */
	db = db_open();
	snprintf(sql, sizeof(sql), "SELECT * FROM sessions WHERE id = '%s'", s.id);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	cols = sqlite3_column_count(st);
	for (int c = 0; c < cols; c++) {
		const void *b = sqlite3_column_blob(st, c);
		int n = sqlite3_column_bytes(st, c);

		ck_assert_msg(!b || !memmem(b, (size_t)n, secret, 16), "column %s holds the secret",
			      sqlite3_column_name(st, c));
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* Nor any byte of the database or its WAL. */
	ck_assert(!file_contains("luciaauth.db", secret));
	ck_assert(!file_contains("luciaauth.db-wal", secret));
	ck_assert(file_contains("luciaauth.db-wal", s.id) || file_contains("luciaauth.db", s.id));
}
END_TEST

START_TEST(test_session_origin_fields)
{
	struct la_origin pam = { .source = "sshd", .tty = "pts/3", .rhost = "192.0.2.7" };
	struct la_origin tty_only = { .tty = "tty1" };
	struct la_user u, vu;
	struct la_session s1, s2, s3, g;
	char t1[LA_TOKEN_BUF], t2[LA_TOKEN_BUF], t3[LA_TOKEN_BUF];
	struct row r;

	fx_add_user("alice", PW, &u);
	create(&u, NULL, t1, &s1);
	create(&u, &pam, t2, &s2);
	create(&u, &tty_only, t3, &s3);
	ck_assert_str_eq(s1.source, "web");
	ck_assert_str_eq(s1.tty, "");
	ck_assert_str_eq(s1.rhost, "");
	r = row_get(s1.id);
	ck_assert_str_eq(r.source, "web");
	ck_assert(r.tty_null && r.rhost_null);
	r = row_get(s2.id);
	ck_assert_str_eq(r.source, "sshd");
	ck_assert_str_eq(r.tty, "pts/3");
	ck_assert_str_eq(r.rhost, "192.0.2.7");
	ck_assert_int_eq(la_session_validate(fx.st, t2, &g, &vu), LA_OK);
	ck_assert_str_eq(g.source, "sshd");
	ck_assert_str_eq(g.tty, "pts/3");
	ck_assert_str_eq(g.rhost, "192.0.2.7");
	ck_assert_str_eq(vu.username, "alice");
	ck_assert_str_eq(vu.id, u.id);
	ck_assert_int_eq(vu.uid, u.uid);
	ck_assert_str_eq(s3.source, "web");
	ck_assert_int_eq(get(t3, &g), LA_OK);
	ck_assert_str_eq(g.source, "web");
	ck_assert_str_eq(g.tty, "tty1");
	ck_assert_str_eq(g.rhost, "");
}
END_TEST

START_TEST(test_session_revoke_token)
{
	struct la_user u;
	struct la_session s, s2, g;
	char tok[LA_TOKEN_BUF], tok2[LA_TOKEN_BUF], bad[LA_TOKEN_BUF];

	fx_add_user("alice", PW, &u);
	create(&u, NULL, tok, &s);
	create(&u, NULL, tok2, &s2);
	/* A wrong secret deletes nothing. */
	memcpy(bad, tok, sizeof(bad));
	bad[56] = bad[56] == 'a' ? 'b' : 'a';
	ck_assert_int_eq(la_session_revoke(fx.st, bad), LA_E_NOSESSION);
	ck_assert_int_eq(fx_count("sessions"), 2);
	ck_assert_int_eq(validate(tok, &g), LA_OK);
	/* The right one deletes exactly that session. */
	ck_assert_int_eq(la_session_revoke(fx.st, tok), LA_OK);
	ck_assert_int_eq(fx_count("sessions"), 1);
	ck_assert(!row_get(s.id).found);
	ck_assert_int_eq(validate(tok, &g), LA_E_NOSESSION);
	ck_assert_int_eq(get(tok, &g), LA_E_NOSESSION);
	ck_assert_int_eq(la_session_revoke(fx.st, tok), LA_E_NOSESSION);
	ck_assert_int_eq(validate(tok2, &g), LA_OK);
}
END_TEST

START_TEST(test_session_revoke_id)
{
	struct la_user u;
	struct la_session s, s2, g;
	char tok[LA_TOKEN_BUF], tok2[LA_TOKEN_BUF];

	fx_add_user("alice", PW, &u);
	create(&u, NULL, tok, &s);
	create(&u, NULL, tok2, &s2);
	ck_assert_int_eq(la_session_revoke_id(fx.st, s.id), LA_OK);
	ck_assert_int_eq(fx_count("sessions"), 1);
	ck_assert_int_eq(validate(tok, &g), LA_E_NOSESSION);
	ck_assert_int_eq(validate(tok2, &g), LA_OK);
	ck_assert_int_eq(la_session_revoke_id(fx.st, s.id), LA_E_NOTFOUND);
}
END_TEST

START_TEST(test_session_revoke_user_except)
{
	struct la_user a, b;
	struct la_session s[3], sb, g;
	char t[3][LA_TOKEN_BUF], tb[LA_TOKEN_BUF];
	unsigned n = 99;

	fx_add_user("alice", PW, &a);
	fx_add_user("bob", PW, &b);
	for (int i = 0; i < 3; i++)
		create(&a, NULL, t[i], &s[i]);
	create(&b, NULL, tb, &sb);
	ck_assert_int_eq(la_session_revoke_user(fx.st, "alice", s[1].id, &n), LA_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(validate(t[0], &g), LA_E_NOSESSION);
	ck_assert_int_eq(validate(t[1], &g), LA_OK);
	ck_assert_int_eq(validate(t[2], &g), LA_E_NOSESSION);
	ck_assert_int_eq(validate(tb, &g), LA_OK);
	ck_assert_int_eq(fx_count("sessions"), 2);
	ck_assert_int_eq(la_session_revoke_user(fx.st, "alice", NULL, &n), LA_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(la_session_revoke_user(fx.st, "alice", NULL, &n), LA_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(la_session_revoke_user(fx.st, "alice", NULL, NULL), LA_OK);
	ck_assert_int_eq(validate(tb, &g), LA_OK);
	ck_assert_int_eq(fx_count("sessions"), 1);
}
END_TEST

START_TEST(test_session_list_live_only)
{
	struct la_user a, b;
	struct la_session a1, a2, a3, b1, b2;
	char ta1[LA_TOKEN_BUF], ta2[LA_TOKEN_BUF], ta3[LA_TOKEN_BUF], tb1[LA_TOKEN_BUF],
		tb2[LA_TOKEN_BUF];
	struct seen v;

	fx_add_user("alice", PW, &a);
	fx_add_user("bob", PW, &b);
	create(&a, NULL, ta1, &a1);
	create(&b, NULL, tb1, &b1);
	fx.now = FX_T0 + 2 * DAY;
	create(&a, NULL, ta2, &a2);
	fx.now = FX_T0 + 15 * DAY;
	create(&a, NULL, ta3, &a3);
	create(&b, NULL, tb2, &b2);
	/* a1 and b1 dead, a2 idle, a3 and b2 active. */
	fx.now = a1.idle_expires + 1;
	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(la_session_list(fx.st, "alice", collect, &v), LA_OK);
	ck_assert_int_eq(v.n, 2);
	ck_assert_int_eq(seen_state(&v, a2.id), LA_SESSION_IDLE);
	ck_assert_int_eq(seen_state(&v, a3.id), LA_SESSION_ACTIVE);
	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(la_session_list(fx.st, NULL, collect, &v), LA_OK);
	ck_assert_int_eq(v.n, 3);
	ck_assert_int_eq(seen_state(&v, a1.id), -1);
	ck_assert_int_eq(seen_state(&v, b1.id), -1);
	ck_assert_int_eq(seen_state(&v, b2.id), LA_SESSION_ACTIVE);
	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(la_session_list(fx.st, "bob", collect, &v), LA_OK);
	ck_assert_int_eq(v.n, 1);
	ck_assert_str_eq(v.id[0], b2.id);
	/* Listing writes nothing: dead rows stay until gc. */
	ck_assert_int_eq(fx_count("sessions"), 5);
	/* A non-zero callback return stops the walk. */
	memset(&v, 0, sizeof(v));
	v.stop_after = 1;
	ck_assert_int_eq(la_session_list(fx.st, NULL, collect, &v), LA_OK);
	ck_assert_int_eq(v.n, 1);
	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(la_session_list(fx.st, "nobody", collect, &v), LA_E_NOUSER);
	ck_assert_int_eq(v.n, 0);
}
END_TEST

START_TEST(test_session_user_locked_or_expired)
{
	struct la_user u, vu;
	struct la_session s, g;
	char tok[LA_TOKEN_BUF];

	fx_add_user("alice", PW, &u);
	create(&u, NULL, tok, &s);
	ck_assert_int_eq(la_user_set_locked(fx.st, "alice", true), LA_OK);
	ck_assert_int_eq(la_session_validate(fx.st, tok, &g, &vu), LA_E_NOSESSION);
	ck_assert_int_eq(get(tok, &g), LA_E_NOSESSION);
	ck_assert(row_get(s.id).found);
	ck_assert_int_eq(la_user_set_locked(fx.st, "alice", false), LA_OK);
	ck_assert_int_eq(la_session_validate(fx.st, tok, &g, &vu), LA_OK);
	ck_assert_str_eq(vu.username, "alice");
	ck_assert(!vu.locked);
	/* Account expiry: valid up to and including expires, not after. */
	ck_assert_int_eq(la_user_set_expiry(fx.st, "alice", FX_T0 + 1000), LA_OK);
	fx.now = FX_T0 + 1000;
	ck_assert_int_eq(validate(tok, &g), LA_OK);
	fx.now = FX_T0 + 1001;
	ck_assert_int_eq(validate(tok, &g), LA_E_NOSESSION);
	ck_assert_int_eq(get(tok, &g), LA_E_NOSESSION);
	ck_assert(row_get(s.id).found);
	ck_assert_int_eq(la_user_set_expiry(fx.st, "alice", 0), LA_OK);
	ck_assert_int_eq(validate(tok, &g), LA_OK);
}
END_TEST

/* ---- errors ----------------------------------------------------------- */

static void expect_bad(const char *tok, const char *what)
{
	struct la_session s;
	struct la_user u;
	la_rc rc;

	rc = la_session_validate(fx.st, tok, &s, &u);
	ck_assert_msg(rc == LA_E_BADTOKEN, "validate(%s): %s", what, la_strerror(rc));
	ck_assert_str_ne(la_store_errmsg(fx.st), "");
	rc = la_session_get(fx.st, tok, &s, NULL);
	ck_assert_msg(rc == LA_E_BADTOKEN, "get(%s): %s", what, la_strerror(rc));
	rc = la_session_revoke(fx.st, tok);
	ck_assert_msg(rc == LA_E_BADTOKEN, "revoke(%s): %s", what, la_strerror(rc));
}

/* tok with position i set to c. */
static const char *patched(const char *tok, size_t i, char c)
{
	static char buf[LA_TOKEN_BUF];

	memmove(buf, tok, LA_TOKEN_BUF); /* tok may be buf itself */
	buf[i] = c;
	return buf;
}

START_TEST(test_session_malformed_tokens)
{
	static const char bad_chars[] = { 'l', '0', '1', 'o', 'A', '-', '_', ' ', '/', '\xc3' };
	struct la_user u;
	struct la_session s, g;
	char tok[LA_TOKEN_BUF], buf[128], *big;
	char msg[64];

	fx_add_user("alice", PW, &u);
	create(&u, NULL, tok, &s);
	expect_bad(NULL, "NULL");
	expect_bad("", "empty");
	expect_bad(".", "dot");
	expect_bad(patched(tok, 24, 'a'), "no dot");
	expect_bad(patched(patched(tok, 23, '.'), 24, 'a'), "dot at 23");
	expect_bad(patched(patched(tok, 25, '.'), 24, 'a'), "dot at 25");
	expect_bad(patched(tok, 40, '.'), "two dots");
	expect_bad(patched(tok, 56, '\0'), "56 chars");
	expect_bad(tok + 1, "56 chars, id of 23");
	snprintf(buf, sizeof(buf), "%sa", tok);
	expect_bad(buf, "58 chars");
	snprintf(buf, sizeof(buf), "%s\n", tok);
	expect_bad(buf, "trailing newline");
	snprintf(buf, sizeof(buf), " %.56s", tok);
	expect_bad(buf, "leading space, 57 chars");
	for (size_t i = 0; i < sizeof(buf) && tok[i]; i++)
		buf[i] = (char)toupper((unsigned char)tok[i]);
	buf[57] = '\0';
	expect_bad(buf, "uppercase");
	for (size_t i = 0; i < sizeof(bad_chars); i++) {
		snprintf(msg, sizeof(msg), "0x%02x in the id", (unsigned char)bad_chars[i]);
		expect_bad(patched(tok, 3, bad_chars[i]), msg);
		snprintf(msg, sizeof(msg), "0x%02x in the secret", (unsigned char)bad_chars[i]);
		expect_bad(patched(tok, 50, bad_chars[i]), msg);
	}
	/* An embedded NUL makes the C string shorter. */
	expect_bad(patched(tok, 40, '\0'), "embedded NUL");
	/* SQL metacharacters, in well-shaped tokens. */
	snprintf(buf, sizeof(buf), "aaaaaaaaaaaaaaaaaaaaa'--.%s", tok + 25);
	expect_bad(buf, "quote");
	snprintf(buf, sizeof(buf), "%-24.24s.%s", "' OR '1'='1", tok + 25);
	expect_bad(buf, "or 1=1");
	snprintf(buf, sizeof(buf), "%.23s%%.%s", tok, tok + 25);
	expect_bad(buf, "percent");
	snprintf(buf, sizeof(buf), "%.24s.%-32.32s", tok, "x'; DROP TABLE sessions; --");
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
	ck_assert_int_eq(validate(tok, &g), LA_OK);
}
END_TEST

START_TEST(test_session_wrong_secret)
{
	struct la_user u;
	struct la_session s, s2, g;
	char tok[LA_TOKEN_BUF], tok2[LA_TOKEN_BUF], mix[LA_TOKEN_BUF];

	fx_add_user("alice", PW, &u);
	create(&u, NULL, tok, &s);
	create(&u, NULL, tok2, &s2);
	for (size_t i = 25; i < 57; i += 31) {
		const char *bad = patched(tok, i, tok[i] == 'a' ? 'b' : 'a');

		ck_assert_int_eq(validate(bad, &g), LA_E_NOSESSION);
		ck_assert_int_eq(get(bad, &g), LA_E_NOSESSION);
		ck_assert_int_eq(la_session_revoke(fx.st, bad), LA_E_NOSESSION);
	}
	/* Another session's secret with this id. */
	snprintf(mix, sizeof(mix), "%.25s%s", tok, tok2 + 25);
	ck_assert_int_eq(validate(mix, &g), LA_E_NOSESSION);
	ck_assert_int_eq(fx_count("sessions"), 2);
	ck_assert_int_eq(validate(tok, &g), LA_OK);
	ck_assert_str_eq(g.id, s.id);
	ck_assert_int_eq(validate(tok2, &g), LA_OK);
}
END_TEST

START_TEST(test_session_unknown_id)
{
	struct la_session g;
	struct la_user u;
	char tok[LA_TOKEN_BUF];

	fx_add_user("alice", PW, &u);
	memset(tok, 'a', LA_TOKEN_LEN);
	tok[24] = '.';
	tok[LA_TOKEN_LEN] = '\0';
	ck_assert_int_eq(validate(tok, &g), LA_E_NOSESSION);
	ck_assert_int_eq(get(tok, &g), LA_E_NOSESSION);
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

	ck_assert_int_eq(la_session_create(fx.st, "nosuchuser12345", NULL, tok, &s), LA_E_NOUSER);
	ck_assert_int_eq(la_session_create(fx.st, "", NULL, tok, &s), LA_E_NOUSER);
	ck_assert_int_eq(la_session_create(fx.st, NULL, NULL, tok, &s), LA_E_NOUSER);
	ck_assert_int_eq(fx_count("sessions"), 0);
}
END_TEST

START_TEST(test_session_revoke_user_unknown)
{
	unsigned n = 7;

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
	struct la_user u;
	struct la_session s, g;
	char tok[LA_TOKEN_BUF];
	struct row r;

	fx_add_user("alice", PW, &u);
	create(&u, NULL, tok, &s);
	fx.now = s.active_expires;
	ck_assert_int_eq(la_session_state_at(&s, fx.now), LA_SESSION_ACTIVE);
	ck_assert_int_eq(get(tok, &g), LA_OK);
	ck_assert_int_eq(g.state, LA_SESSION_ACTIVE);
	ck_assert_int_eq(validate(tok, &g), LA_OK);
	ck_assert_int_eq(g.state, LA_SESSION_ACTIVE);
	ck_assert(!g.fresh);
	ck_assert_str_eq(g.id, s.id);
	ck_assert_int_eq(g.active_expires, s.active_expires);
	ck_assert_int_eq(g.idle_expires, s.idle_expires);
	r = row_get(s.id);
	ck_assert_int_eq(r.active, s.active_expires);
	ck_assert_int_eq(r.idle, s.idle_expires);
}
END_TEST

START_TEST(test_session_state_idle_renewed_in_place)
{
	struct la_user u;
	struct la_session s, g;
	char tok[LA_TOKEN_BUF];
	int64_t act, idle;
	struct row r;

	fx_add_user("alice", PW, &u);
	create(&u, NULL, tok, &s);
	fx.now = s.active_expires + 1;
	ck_assert_int_eq(la_session_state_at(&s, fx.now), LA_SESSION_IDLE);
	/* get: idle, never renews. */
	ck_assert_int_eq(get(tok, &g), LA_OK);
	ck_assert_int_eq(g.state, LA_SESSION_IDLE);
	ck_assert(!g.fresh);
	ck_assert_int_eq(g.active_expires, s.active_expires);
	ck_assert_int_eq(g.idle_expires, s.idle_expires);
	r = row_get(s.id);
	ck_assert_int_eq(r.active, s.active_expires);
	ck_assert_int_eq(r.idle, s.idle_expires);
	/* validate: renewed in place, same id, expiries from now. */
	ck_assert_int_eq(validate(tok, &g), LA_OK);
	ck_assert(g.fresh);
	ck_assert_int_eq(g.state, LA_SESSION_IDLE); /* state when looked up (Lucia quirk) */
	ck_assert_str_eq(g.id, s.id);
	act = fx.now + DAY;
	idle = act + 14 * DAY;
	ck_assert_int_eq(g.active_expires, act);
	ck_assert_int_eq(g.idle_expires, idle);
	ck_assert_int_eq(g.created_ms, s.created_ms);
	r = row_get(s.id);
	ck_assert(r.found);
	ck_assert_int_eq(r.active, act);
	ck_assert_int_eq(r.idle, idle);
	ck_assert_int_eq(r.created, s.created_ms);
	ck_assert_int_eq(fx_count("sessions"), 1);
	/* Right after the renewal: active, not fresh, nothing changes. */
	ck_assert_int_eq(validate(tok, &g), LA_OK);
	ck_assert(!g.fresh);
	ck_assert_int_eq(g.state, LA_SESSION_ACTIVE);
	ck_assert_int_eq(g.active_expires, act);
	ck_assert_int_eq(row_get(s.id).idle, idle);
}
END_TEST

START_TEST(test_session_state_dead_after_idle_expires)
{
	struct la_user u;
	struct la_session s1, s2, g;
	char t1[LA_TOKEN_BUF], t2[LA_TOKEN_BUF];
	struct row r;

	fx_add_user("alice", PW, &u);
	create(&u, NULL, t1, &s1);
	create(&u, NULL, t2, &s2);
	fx.now = s1.idle_expires;
	ck_assert_int_eq(la_session_state_at(&s1, fx.now), LA_SESSION_IDLE);
	ck_assert_int_eq(get(t1, &g), LA_OK);
	ck_assert_int_eq(g.state, LA_SESSION_IDLE);
	ck_assert_int_eq(validate(t2, &g), LA_OK);
	ck_assert(g.fresh);
	fx.now = s1.idle_expires + 1;
	ck_assert_int_eq(la_session_state_at(&s1, fx.now), LA_SESSION_DEAD);
	ck_assert_int_eq(get(t1, &g), LA_E_NOSESSION);
	ck_assert_int_eq(validate(t1, &g), LA_E_NOSESSION);
	ck_assert_int_eq(validate(t1, &g), LA_E_NOSESSION);
	/* Validation does not delete the dead row (Lucia 2.1). */
	r = row_get(s1.id);
	ck_assert(r.found);
	ck_assert_int_eq(r.active, s1.active_expires);
	ck_assert_int_eq(r.idle, s1.idle_expires);
	ck_assert_int_eq(fx_count("sessions"), 2);
	/* The one renewed at idle_expires lives on. */
	ck_assert_int_eq(validate(t2, &g), LA_OK);
	ck_assert_int_eq(g.state, LA_SESSION_ACTIVE);
	/* Signing out a dead session with the right secret is allowed. */
	ck_assert_int_eq(la_session_revoke(fx.st, t1), LA_OK);
	ck_assert_int_eq(fx_count("sessions"), 1);
}
END_TEST

START_TEST(test_session_max_caps_renewal)
{
	struct la_user u;
	struct la_session s, g;
	char tok[LA_TOKEN_BUF];
	unsigned n = 99;
	int64_t end;
	struct row r;

	fx.cfg.session_max_ms = 3 * DAY;
	fx_reopen();
	fx_add_user("alice", PW, &u);
	create(&u, NULL, tok, &s);
	end = FX_T0 + 3 * DAY;
	ck_assert_int_eq(s.max_expires, end);
	ck_assert_int_eq(s.active_expires, FX_T0 + DAY);
	ck_assert_int_eq(s.idle_expires, end);
	r = row_get(s.id);
	ck_assert_int_eq(r.max, end);
	ck_assert_int_le(r.idle, end);
	/* Renewals never reach past created + max. */
	for (int64_t t = s.active_expires + 1; t < end; t += DAY / 2) {
		fx.now = t;
		ck_assert_int_eq(validate(tok, &g), LA_OK);
		ck_assert_int_le(g.active_expires, end);
		ck_assert_int_le(g.idle_expires, end);
		r = row_get(s.id);
		ck_assert_int_le(r.active, end);
		ck_assert_int_le(r.idle, end);
		ck_assert_int_eq(r.max, end);
	}
	fx.now = end;
	ck_assert_int_eq(get(tok, &g), LA_OK);
	ck_assert_int_ne(g.state, LA_SESSION_DEAD);
	ck_assert_int_eq(validate(tok, &g), LA_OK);
	ck_assert_int_le(g.idle_expires, end);
	fx.now = end + 1;
	ck_assert_int_eq(get(tok, &g), LA_E_NOSESSION);
	ck_assert_int_eq(validate(tok, &g), LA_E_NOSESSION);
	ck_assert_int_eq(la_session_state_at(&g, fx.now), LA_SESSION_DEAD);
	ck_assert_int_eq(la_session_gc(fx.st, &n), LA_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(fx_count("sessions"), 0);
}
END_TEST

START_TEST(test_session_max_shorter_than_active)
{
	struct la_user u;
	struct la_session s, g;
	char tok[LA_TOKEN_BUF];

	fx.cfg.session_max_ms = 60000;
	fx_reopen();
	fx_add_user("alice", PW, &u);
	create(&u, NULL, tok, &s);
	ck_assert_int_eq(s.max_expires, FX_T0 + 60000);
	ck_assert_int_le(s.active_expires, FX_T0 + 60000);
	ck_assert_int_le(s.idle_expires, FX_T0 + 60000);
	fx.now = FX_T0 + 60000;
	ck_assert_int_eq(validate(tok, &g), LA_OK);
	fx.now = FX_T0 + 60001;
	ck_assert_int_eq(validate(tok, &g), LA_E_NOSESSION);
}
END_TEST

START_TEST(test_session_gc_boundary)
{
	struct la_user u;
	struct la_session s1, s2, g;
	char t1[LA_TOKEN_BUF], t2[LA_TOKEN_BUF];
	unsigned n = 99;

	fx_add_user("alice", PW, &u);
	create(&u, NULL, t1, &s1);
	fx.now = FX_T0 + 1;
	create(&u, NULL, t2, &s2);
	ck_assert_int_eq(la_session_gc(fx.st, &n), LA_OK);
	ck_assert_uint_eq(n, 0);
	fx.now = s1.idle_expires;
	ck_assert_int_eq(la_session_gc(fx.st, &n), LA_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(fx_count("sessions"), 2);
	fx.now = s1.idle_expires + 1;
	ck_assert_int_eq(la_session_gc(fx.st, &n), LA_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert(!row_get(s1.id).found);
	ck_assert(row_get(s2.id).found);
	ck_assert_int_eq(get(t2, &g), LA_OK); /* now == s2.idle_expires */
	ck_assert_int_eq(g.state, LA_SESSION_IDLE);
	fx.now = s2.idle_expires + 1;
	ck_assert_int_eq(la_session_gc(fx.st, NULL), LA_OK);
	ck_assert_int_eq(fx_count("sessions"), 0);
}
END_TEST

Suite *suite_session(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, test_session_create_token_format);
	tcase_add_test(tc, test_session_create_stores_no_secret);
	tcase_add_test(tc, test_session_origin_fields);
	tcase_add_test(tc, test_session_revoke_token);
	tcase_add_test(tc, test_session_revoke_id);
	tcase_add_test(tc, test_session_revoke_user_except);
	tcase_add_test(tc, test_session_list_live_only);
	tcase_add_test(tc, test_session_user_locked_or_expired);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, test_session_malformed_tokens);
	tcase_add_test(tc, test_session_wrong_secret);
	tcase_add_test(tc, test_session_unknown_id);
	tcase_add_test(tc, test_session_create_unknown_user);
	tcase_add_test(tc, test_session_revoke_user_unknown);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, test_session_state_at_boundaries);
	tcase_add_test(tc, test_session_state_active_until_active_expires);
	tcase_add_test(tc, test_session_state_idle_renewed_in_place);
	tcase_add_test(tc, test_session_state_dead_after_idle_expires);
	tcase_add_test(tc, test_session_max_caps_renewal);
	tcase_add_test(tc, test_session_max_shorter_than_active);
	tcase_add_test(tc, test_session_gc_boundary);
	suite_add_tcase(s, tc);
	return s;
}

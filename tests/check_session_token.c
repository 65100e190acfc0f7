/*
 * check_session_token.c - session tokens: their format, what the store
 * keeps of them (a hash of the secret, never the secret), and malformed,
 * wrong or unknown tokens.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "check_la.h"

static const char ALPHA[] = "abcdefghijkmnpqrstuvwxyz23456789";

/* ---- helpers ---------------------------------------------------------- */

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

static void expect_bad(const char *tok, const char *what)
{
	struct la_user u;
	la_rc rc = la_session_validate(fx.st, tok, &fx_got, &u);

	ck_assert_msg(rc == LA_E_BADTOKEN, "validate(%s): %s", what, la_strerror(rc));
	ck_assert_str_ne(la_store_errmsg(fx.st), "");
	rc = fx_session_get(tok);
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

/* ---- core ------------------------------------------------------------- */

START_TEST(test_session_create_token_format)
{
	struct fx_tok a, b;
	struct fx_row r;

	fx_with_alice();
	fx.now = FX_T0 + 12345;
	a = fx_new_session(&fx_alice, NULL);
	ck_assert_uint_eq(strlen(a.t), 45);
	ck_assert_int_eq(LA_TOKEN_LEN, 45);
	ck_assert_int_eq(a.t[12], '.');
	for (size_t i = 0; i < 45; i++)
		if (i != 12)
			ck_assert_msg(a.t[i] && strchr(ALPHA, a.t[i]), "char %zu of %s", i, a.t);
	ck_assert_uint_eq(strlen(a.s.id), 12);
	ck_assert_int_eq(strncmp(a.t, a.s.id, 12), 0);
	ck_assert_str_eq(a.s.user_id, fx_alice.id);
	fx_session_is(&a.s, LA_SESSION_ACTIVE, false, fx.now + 86400000, fx.now + 15 * 86400000LL);
	ck_assert_int_eq(a.s.created_ms, fx.now);
	ck_assert_int_eq(a.s.max_expires, 0);
	fx_session_row_is(a.s.id, a.s.active_expires, a.s.idle_expires);
	r = fx_session_row(a.s.id);
	ck_assert_int_eq(r.created, fx.now);
	ck_assert_int_eq(r.max, 0);
	/* Every token is new. */
	b = fx_new_session(&fx_alice, NULL);
	ck_assert_str_ne(a.s.id, b.s.id);
	ck_assert_str_ne(a.t + LA_SESSION_ID_LEN + 1, b.t + LA_SESSION_ID_LEN + 1);
	ck_assert_int_eq(fx_count("sessions"), 2);
}
END_TEST

START_TEST(test_session_create_stores_no_secret)
{
	unsigned char want[crypto_hash_sha256_BYTES];
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	const char *secret;
	struct fx_row r;
	struct fx_tok a;

	fx_with_alice();
	a = fx_new_session(&fx_alice, NULL);
	secret = a.t + LA_SESSION_ID_LEN + 1;
	r = fx_session_row(a.s.id);
	ck_assert_int_eq(r.hash_len, 32);
	ck_assert_int_ne(memcmp(r.hash, secret, 32), 0);
	crypto_hash_sha256(want, (const unsigned char *)secret, 32);
	ck_assert_int_eq(memcmp(r.hash, want, 32), 0);
	/* No column of the row holds the secret (not even 16 chars of it). */
	st = fx_db_query(&db, "SELECT * FROM sessions WHERE id = ?1", fx_session_key(a.s.id));
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	for (int c = 0; c < sqlite3_column_count(st); c++) {
		const void *b = sqlite3_column_blob(st, c);

		ck_assert_msg(!b || !memmem(b, (size_t)sqlite3_column_bytes(st, c), secret, 16),
			      "column %s holds the secret", sqlite3_column_name(st, c));
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* Nor does any byte of the database or its WAL (which do hold the row). */
	ck_assert(r.found);
	ck_assert(!file_contains("luciaauth.db", secret));
	ck_assert(!file_contains("luciaauth.db-wal", secret));
}
END_TEST

/* ---- errors ----------------------------------------------------------- */

START_TEST(test_session_malformed_tokens)
{
	static const char bad_chars[] = {'l', '0', '1', 'o', 'A', '-', '_', ' ', '/', '\xc3'};
	char buf[128], msg[64], *big;
	const char *t;
	struct fx_tok a;

	fx_with_alice();
	a = fx_new_session(&fx_alice, NULL);
	t = a.t;
	expect_bad(NULL, "NULL");
	expect_bad("", "empty");
	expect_bad(".", "dot");
	expect_bad(patched(t, 12, 'a'), "no dot");
	expect_bad(patched(patched(t, 11, '.'), 12, 'a'), "dot at 11");
	expect_bad(patched(patched(t, 13, '.'), 12, 'a'), "dot at 13");
	expect_bad(patched(t, 40, '.'), "two dots");
	expect_bad(patched(t, 44, '\0'), "44 chars");
	expect_bad(t + 1, "44 chars, id of 11");
	snprintf(buf, sizeof(buf), "%.45sa", t);
	expect_bad(buf, "46 chars");
	snprintf(buf, sizeof(buf), "%.45s\n", t);
	expect_bad(buf, "trailing newline");
	snprintf(buf, sizeof(buf), " %.44s", t);
	expect_bad(buf, "leading space, 45 chars");
	for (size_t i = 0; i <= 45; i++)
		buf[i] = (char)toupper((unsigned char)t[i]);
	expect_bad(buf, "uppercase");
	for (size_t i = 0; i < sizeof(bad_chars); i++) {
		snprintf(msg, sizeof(msg), "0x%02x in the id", (unsigned char)bad_chars[i]);
		expect_bad(patched(t, 3, bad_chars[i]), msg);
		snprintf(msg, sizeof(msg), "0x%02x in the secret", (unsigned char)bad_chars[i]);
		expect_bad(patched(t, 30, bad_chars[i]), msg);
	}
	/* An embedded NUL makes the C string shorter. */
	expect_bad(patched(t, 40, '\0'), "embedded NUL");
	/* SQL metacharacters, in tokens of the right length. */
	snprintf(buf, sizeof(buf), "aaaaaaaaa'--.%.32s", t + 13);
	expect_bad(buf, "quote");
	snprintf(buf, sizeof(buf), "%-12.12s.%.32s", "' OR '1'='1", t + 13);
	expect_bad(buf, "or 1=1");
	snprintf(buf, sizeof(buf), "%.11s%%.%.32s", t, t + 13);
	expect_bad(buf, "percent");
	snprintf(buf, sizeof(buf), "%.12s.%-32.32s", t, "x'; DROP TABLE sessions; --");
	expect_bad(buf, "drop table");
	expect_bad("'; DROP TABLE sessions; --", "short injection");
	/* 10 kB, dot at the right place. */
	big = malloc(10 * 1024 + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', 10 * 1024);
	big[12] = '.';
	big[10 * 1024] = '\0';
	expect_bad(big, "10 kB");
	free(big);
	/* Nothing was deleted or changed; the real token still works. */
	ck_assert_int_eq(fx_count("sessions"), 1);
	ck_assert_int_eq(fx_session_validate(t), LA_OK);
}
END_TEST

START_TEST(test_session_wrong_secret)
{
	char mix[LA_TOKEN_BUF];
	struct fx_tok a, b;

	fx_with_alice();
	a = fx_new_session(&fx_alice, NULL);
	b = fx_new_session(&fx_alice, NULL);
	for (size_t i = 13; i < 45; i += 31) {
		const char *bad = patched(a.t, i, a.t[i] == 'a' ? 'b' : 'a');

		ck_assert_int_eq(fx_session_validate(bad), LA_E_NOSESSION);
		ck_assert_int_eq(fx_session_get(bad), LA_E_NOSESSION);
		ck_assert_int_eq(la_session_revoke(fx.st, bad), LA_E_NOSESSION);
	}
	/* Another session's secret with this id. */
	snprintf(mix, sizeof(mix), "%.13s%.32s", a.t, b.t + 13);
	ck_assert_int_eq(fx_session_validate(mix), LA_E_NOSESSION);
	ck_assert_int_eq(fx_count("sessions"), 2);
	ck_assert_int_eq(fx_session_validate(a.t), LA_OK);
	ck_assert_str_eq(fx_got.id, a.s.id);
	ck_assert_int_eq(fx_session_validate(b.t), LA_OK);
}
END_TEST

START_TEST(test_session_unknown_id)
{
	char tok[LA_TOKEN_BUF];

	fx_with_alice();
	memset(tok, 'a', LA_TOKEN_LEN);
	tok[12] = '.';
	tok[LA_TOKEN_LEN] = '\0';
	ck_assert_int_eq(fx_session_validate(tok), LA_E_NOSESSION);
	ck_assert_int_eq(fx_session_get(tok), LA_E_NOSESSION);
	ck_assert_int_eq(la_session_revoke(fx.st, tok), LA_E_NOSESSION);
	ck_assert_int_eq(la_session_revoke_id(fx.st, "aaaaaaaaaaaa"), LA_E_NOTFOUND);
	ck_assert_int_eq(la_session_revoke_id(fx.st, ""), LA_E_NOTFOUND);
	ck_assert_int_eq(la_session_revoke_id(fx.st, NULL), LA_E_NOTFOUND);
	ck_assert_int_eq(la_session_revoke_id(fx.st, "' OR 1=1 --"), LA_E_NOTFOUND);
}
END_TEST

Suite *suite_session_token(void)
{
	const TTest *core[] = {
	    test_session_create_token_format,
	    test_session_create_stores_no_secret,
	};
	const TTest *errors[] = {
	    test_session_malformed_tokens,
	    test_session_wrong_secret,
	    test_session_unknown_id,
	};
	Suite *s = suite_create("session_token");

	FX_TCASE(s, "core", 0, core);
	FX_TCASE(s, "errors", 0, errors);
	return s;
}

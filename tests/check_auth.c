/*
 * check_auth.c - signing in (la_authenticate, Lucia useKey), rehashing
 * imported hashes, account state, la_login and la_signup.  The lockout of
 * SPEC 3 and concurrent sign-ins are in check_lockout.c.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "check_la.h"

#define WRONG "wrong horse"

/* Lucia v2 output for "hunter22" (lucia-semantics.md 2.3, check_hash.c). */
#define V2_HUNTER22                                                                                \
	"s2:du22a90aa971y1w0:17a5e26d852282ed7b0fb0ed2091e02f19f8c762ae94528d34be778417236e67"     \
	"e46e46fe96882365c7df77626977a17b89a3a776389e2ff7e07f8525beb141d5"

/* ---- helpers ---------------------------------------------------------- */

/* The stored hash of a key ("" when NULL or missing). */
static void key_hash(const char *key_id, char out[LA_HASH_MAX])
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s =
	    fx_db_query(&db, "SELECT hashed_password FROM auth_keys WHERE id = ?1", key_id);

	out[0] = '\0';
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(out, LA_HASH_MAX, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static void counts_are(long users, long keys, long sessions, long groups)
{
	ck_assert_int_eq(fx_count("users"), users);
	ck_assert_int_eq(fx_count("auth_keys"), keys);
	ck_assert_int_eq(fx_count("sessions"), sessions);
	ck_assert_int_eq(fx_count("groups"), groups);
}

/* ---- core ------------------------------------------------------------- */

START_TEST(test_auth_username_ok)
{
	struct la_user u, a;

	fx_add_user("alice", PW, &u);
	ck_assert_int_eq(la_authenticate(fx.st, LA_IDENT_USERNAME, "alice", PW, &a), LA_OK);
	ck_assert_str_eq(a.id, u.id);
	ck_assert_str_eq(a.username, "alice");
	ck_assert(a.has_password);
	ck_assert_uint_eq(a.failures, 0);
	ck_assert_int_eq(a.locked_until_ms, 0);
}
END_TEST

START_TEST(test_auth_email_case_insensitive)
{
	struct la_user u, a;

	fx_add_user_email("alice", "Alice@Example.com", PW, &u);
	ck_assert_int_eq(la_authenticate(fx.st, LA_IDENT_EMAIL, "Alice@Example.com", PW, &a),
			 LA_OK);
	ck_assert_str_eq(a.id, u.id);
	ck_assert_int_eq(la_authenticate(fx.st, LA_IDENT_EMAIL, "alice@example.com", PW, &a),
			 LA_OK);
	ck_assert_int_eq(la_authenticate(fx.st, LA_IDENT_EMAIL, "ALICE@EXAMPLE.COM", PW, &a),
			 LA_OK);
	ck_assert_str_eq(a.username, "alice");
	ck_assert_int_eq(fx_auth(LA_IDENT_EMAIL, "alice@example.com", WRONG), LA_E_AUTH);
	ck_assert_int_eq(fx_auth(LA_IDENT_EMAIL, "bob@example.com", PW), LA_E_NOUSER);
	ck_assert_int_eq(fx_auth(LA_IDENT_EMAIL, "", PW), LA_E_NOUSER);
}
END_TEST

START_TEST(test_auth_by_key_id)
{
	struct la_user u, a;

	fx_add_user("alice", PW, &u);
	ck_assert_int_eq(la_authenticate(fx.st, LA_IDENT_KEY, "password:alice", PW, &a), LA_OK);
	ck_assert_str_eq(a.id, u.id);
	ck_assert_str_eq(a.username, "alice");
	ck_assert_int_eq(fx_auth(LA_IDENT_KEY, "password:alice", WRONG), LA_E_AUTH);
}
END_TEST

START_TEST(test_auth_passwordless_key)
{
	struct la_user u, a;
	struct la_key k;

	fx_add_user("alice", PW, &u);
	ck_assert_int_eq(la_key_add(fx.st, "alice", "github", "123", NULL, &k), LA_OK);
	ck_assert(!k.has_password);
	ck_assert_int_eq(la_authenticate(fx.st, LA_IDENT_KEY, "github:123", NULL, &a), LA_OK);
	ck_assert_str_eq(a.id, u.id);
	/* Lucia 2.6: a key without a password refuses any password. */
	ck_assert_int_eq(fx_auth(LA_IDENT_KEY, "github:123", "anything at all"), LA_E_AUTH);
	ck_assert_int_eq(fx_auth(LA_IDENT_KEY, "github:123", PW), LA_E_AUTH);
	ck_assert_int_eq(fx_auth(LA_IDENT_KEY, "github:123", ""), LA_E_AUTH);
	ck_assert_int_eq(fx_auth(LA_IDENT_KEY, "github:1234", NULL), LA_E_NOKEY);
}
END_TEST

START_TEST(test_auth_rehash_lucia_import_once)
{
	char sql[512], h0[LA_HASH_MAX], h1[LA_HASH_MAX], h2[LA_HASH_MAX];
	struct la_user u;
	bool nr = true;

	fx_add_user("hunter", NULL, &u);
	ck_assert(!u.has_password);
	snprintf(sql, sizeof(sql), "INSERT INTO auth_keys VALUES('password:hunter', '%s', '%s')",
		 u.id, V2_HUNTER22);
	fx_sql(sql);
	ck_assert(fx_user("hunter").has_password);
	/* A wrong password does not rehash. */
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "hunter", "hunter2"), LA_E_AUTH);
	key_hash("password:hunter", h0);
	ck_assert_str_eq(h0, V2_HUNTER22);
	/* The right one succeeds and upgrades to Argon2id at the store's cost. */
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "hunter", "hunter22"), LA_OK);
	key_hash("password:hunter", h1);
	ck_assert_msg(strncmp(h1, "$argon2id$v=19$m=64,t=1,p=1$", 28) == 0, "got %s", h1);
	ck_assert_int_eq(la_verify_password("hunter22", h1, 64, 1, &nr), LA_OK);
	ck_assert(!nr);
	ck_assert_uint_eq(fx_user("hunter").failures, 0);
	/* Exactly once: the next sign-in leaves the hash alone. */
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "hunter", "hunter22"), LA_OK);
	ck_assert_int_eq(fx_auth(LA_IDENT_KEY, "password:hunter", "hunter22"), LA_OK);
	key_hash("password:hunter", h2);
	ck_assert_str_eq(h2, h1);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "hunter", "hunter2"), LA_E_AUTH);
	key_hash("password:hunter", h2);
	ck_assert_str_eq(h2, h1);
	/* New cost parameters: one more rehash, then stable again. */
	fx.cfg.hash_ops = 2;
	fx_reopen();
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "hunter", "hunter22"), LA_OK);
	key_hash("password:hunter", h2);
	ck_assert_msg(strncmp(h2, "$argon2id$v=19$m=64,t=2,p=1$", 28) == 0, "got %s", h2);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "hunter", "hunter22"), LA_OK);
	key_hash("password:hunter", h1);
	ck_assert_str_eq(h1, h2);
}
END_TEST

START_TEST(test_auth_account_check)
{
	struct la_user_spec mc = {.must_change = true, .set = LA_SET_MUST_CHANGE};
	struct la_user u;

	fx_add_user("alice", PW, &u);
	ck_assert_int_eq(la_account_check(fx.st, &u), LA_OK);
	ck_assert_int_eq(la_user_set_locked(fx.st, "alice", true), LA_OK);
	u = fx_user("alice");
	ck_assert_int_eq(la_account_check(fx.st, &u), LA_E_DISABLED);
	ck_assert_str_ne(la_store_errmsg(fx.st), "");
	ck_assert_int_eq(la_user_set_locked(fx.st, "alice", false), LA_OK);
	ck_assert_int_eq(la_user_set_expiry(fx.st, "alice", FX_T0 + 1000), LA_OK);
	u = fx_user("alice");
	ck_assert_int_eq(u.expires_ms, FX_T0 + 1000);
	ck_assert_int_eq(la_account_check(fx.st, &u), LA_OK);
	fx.now = FX_T0 + 1000;
	ck_assert_int_eq(la_account_check(fx.st, &u), LA_OK);
	fx.now = FX_T0 + 1001;
	ck_assert_int_eq(la_account_check(fx.st, &u), LA_E_EXPIRED);
	ck_assert_int_eq(la_user_set_expiry(fx.st, "alice", 0), LA_OK);
	ck_assert_int_eq(la_user_mod(fx.st, "alice", &mc), LA_OK);
	u = fx_user("alice");
	ck_assert_int_eq(la_account_check(fx.st, &u), LA_E_MUST_CHANGE);
	/* Order: DISABLED, EXPIRED, MUST_CHANGE. */
	u.expires_ms = FX_T0;
	ck_assert_int_eq(la_account_check(fx.st, &u), LA_E_EXPIRED);
	u.locked = true;
	ck_assert_int_eq(la_account_check(fx.st, &u), LA_E_DISABLED);
}
END_TEST

START_TEST(test_auth_login_creates_session)
{
	struct la_origin o = {.source = "web", .rhost = "198.51.100.4"};
	struct la_user u, lu, vu;
	struct la_session s, v;
	char tok[LA_TOKEN_BUF];

	fx_add_user_email("alice", "alice@example.com", PW, &u);
	ck_assert_int_eq(la_login(fx.st, LA_IDENT_USERNAME, "alice", PW, &o, tok, &s, &lu), LA_OK);
	ck_assert_str_eq(lu.id, u.id);
	ck_assert_str_eq(s.user_id, u.id);
	ck_assert_str_eq(s.rhost, "198.51.100.4");
	ck_assert_uint_eq(strlen(tok), LA_TOKEN_LEN);
	ck_assert_int_eq(la_session_validate(fx.st, tok, &v, &vu), LA_OK);
	ck_assert_str_eq(v.id, s.id);
	ck_assert_str_eq(vu.username, "alice");
	ck_assert_int_eq(
	    la_login(fx.st, LA_IDENT_EMAIL, "ALICE@example.com", PW, NULL, tok, &s, &lu), LA_OK);
	ck_assert_int_eq(la_session_validate(fx.st, tok, &v, NULL), LA_OK);
	ck_assert_int_eq(fx_count("sessions"), 2);
}
END_TEST

START_TEST(test_auth_login_account_state)
{
	struct la_user_spec mc = {.must_change = true, .set = LA_SET_MUST_CHANGE};
	struct la_user lu;
	struct la_session s;
	char tok[LA_TOKEN_BUF];

	fx_add_user("alice", PW, NULL);
	ck_assert_int_eq(la_user_set_locked(fx.st, "alice", true), LA_OK);
	ck_assert_int_eq(la_login(fx.st, LA_IDENT_USERNAME, "alice", PW, NULL, tok, &s, &lu),
			 LA_E_DISABLED);
	ck_assert_int_eq(fx_count("sessions"), 0);
	ck_assert_int_eq(la_user_set_locked(fx.st, "alice", false), LA_OK);
	ck_assert_int_eq(la_user_set_expiry(fx.st, "alice", FX_T0 - 1), LA_OK);
	ck_assert_int_eq(la_login(fx.st, LA_IDENT_USERNAME, "alice", PW, NULL, tok, &s, &lu),
			 LA_E_EXPIRED);
	ck_assert_int_eq(fx_count("sessions"), 0);
	ck_assert_int_eq(la_user_set_expiry(fx.st, "alice", 0), LA_OK);
	ck_assert_int_eq(la_login(fx.st, LA_IDENT_USERNAME, "alice", WRONG, NULL, tok, &s, &lu),
			 LA_E_AUTH);
	ck_assert_int_eq(fx_count("sessions"), 0);
	/* MUST_CHANGE is reported through user->must_change, not as an error. */
	ck_assert_int_eq(la_user_mod(fx.st, "alice", &mc), LA_OK);
	ck_assert_int_eq(la_login(fx.st, LA_IDENT_USERNAME, "alice", PW, NULL, tok, &s, &lu),
			 LA_OK);
	ck_assert(lu.must_change);
	ck_assert_int_eq(fx_count("sessions"), 1);
}
END_TEST

START_TEST(test_auth_signup_open)
{
	struct la_user u, vu;
	struct la_session s, v;
	struct la_key k;
	char tok[LA_TOKEN_BUF];

	fx.cfg.signup_open = true;
	fx_reopen();
	ck_assert_int_eq(la_signup(fx.st, "carol", "carol@example.com", PW, NULL, tok, &s, &u),
			 LA_OK);
	ck_assert_str_eq(u.username, "carol");
	ck_assert_str_eq(u.shell, "/usr/sbin/nologin");
	ck_assert(u.has_password);
	ck_assert_str_eq(s.user_id, u.id);
	ck_assert_str_eq(s.source, "web");
	ck_assert_int_eq(la_key_get(fx.st, "password:carol", &k), LA_OK);
	ck_assert(k.has_password);
	ck_assert_str_eq(k.user_id, u.id);
	ck_assert_int_eq(la_session_validate(fx.st, tok, &v, &vu), LA_OK);
	ck_assert_str_eq(vu.username, "carol");
	counts_are(1, 1, 1, 1);
	ck_assert_int_eq(fx_auth(LA_IDENT_EMAIL, "Carol@Example.com", PW), LA_OK);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "carol", PW), LA_OK);
}
END_TEST

/* ---- errors ----------------------------------------------------------- */

START_TEST(test_auth_wrong_password)
{
	struct la_user a;

	fx_add_user("alice", PW, NULL);
	ck_assert_int_eq(la_authenticate(fx.st, LA_IDENT_USERNAME, "alice", WRONG, &a), LA_E_AUTH);
	ck_assert_str_ne(la_store_errmsg(fx.st), "");
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", "correct horse "), LA_E_AUTH);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", "Correct horse"), LA_E_AUTH);
	ck_assert_uint_eq(fx_user("alice").failures, 3);
}
END_TEST

START_TEST(test_auth_unknown_ident)
{
	fx_add_user("alice", PW, NULL);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "bob", PW), LA_E_NOUSER);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "bob", NULL), LA_E_NOUSER);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "Not A Name", PW), LA_E_NOUSER);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, NULL, PW), LA_E_NOUSER);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "root", PW), LA_E_NOUSER);
	ck_assert_int_eq(fx_auth(LA_IDENT_EMAIL, "nobody@example.com", PW), LA_E_NOUSER);
	ck_assert_int_eq(fx_auth(LA_IDENT_KEY, "password:bob", PW), LA_E_NOKEY);
	ck_assert_int_eq(fx_auth(LA_IDENT_KEY, "github:1", NULL), LA_E_NOKEY);
	ck_assert_int_eq(fx_auth(LA_IDENT_KEY, "alice", PW), LA_E_NOKEY);
	ck_assert_int_eq(fx_auth(LA_IDENT_KEY, "", PW), LA_E_NOKEY);
	ck_assert_int_eq(fx_auth((enum la_ident)42, "alice", PW), LA_E_INVAL);
	/* Unknown names leave no lockout rows. */
	ck_assert_int_eq(fx_count("lockout"), 0);
}
END_TEST

/* PRAGMA data_version of the connection behind s: it changes when another
 * connection commits. */
static long data_version(sqlite3_stmt *s)
{
	long v;

	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = (long)sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return v;
}

/* MUST 3 beyond the hash: a wrong password commits the failure counter, and
 * an unknown name commits a write transaction too (its commit and the WAL
 * checkpoint at close are part of the time a failure takes; see
 * bench/run-timing.sh), one that changes nothing. */
/* Size of the store's WAL file; -1 when there is none. */
static long wal_size(void)
{
	char path[LA_PATH_MAX + 32];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/luciaauth.db-wal", fx.cfg.dir);
	return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* A handle whose only writes were a sign-in's lockout slots skips the
 * checkpoint (and its fdatasync) at close; anything that must last, such
 * as a counted failure, is still checkpointed when its handle closes. */
START_TEST(test_auth_success_skips_checkpoint)
{
	fx_add_user("alice", PW, NULL);
	fx_reopen();
	ck_assert_int_le(wal_size(), 0);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", PW), LA_OK);
	fx_reopen();
	ck_assert_int_gt(wal_size(), 0);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", WRONG), LA_E_AUTH);
	fx_reopen();
	ck_assert_int_le(wal_size(), 0);
	ck_assert_int_eq(fx_count("auth_failures"), 1);
}
END_TEST

START_TEST(test_auth_unknown_writes_like_wrong)
{
	static const char *const tables[] = {
	    "users", "auth_keys", "auth_failures", "lockout", "schema_version", "id_alloc", NULL};
	sqlite3 *db = NULL;
	sqlite3_stmt *s, *sv;
	long v0, v1, before[FX_TABLES_MAX];
	int64_t applied;

	fx_add_user("alice", PW, NULL);
	s = fx_db_query(&db, "PRAGMA data_version", NULL);
	ck_assert_int_eq(
	    sqlite3_prepare_v2(db, "SELECT max(applied) FROM schema_version", -1, &sv, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(sv), SQLITE_ROW);
	applied = sqlite3_column_int64(sv, 0);
	sqlite3_reset(sv);
	ck_assert_int_gt(applied, 0);
	fx_counts_get(tables, before);
	v0 = data_version(s);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "bob", WRONG), LA_E_NOUSER);
	v1 = data_version(s);
	ck_assert_int_ne(v1, v0);
	fx_counts_same(tables, before);
	ck_assert_int_eq(sqlite3_step(sv), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int64(sv, 0), applied);
	sqlite3_reset(sv);
	ck_assert_int_eq(fx_auth(LA_IDENT_KEY, "github:1", WRONG), LA_E_NOKEY);
	ck_assert_int_ne(data_version(s), v1);
	fx_counts_same(tables, before);
	/* The reference: a wrong password commits its failure. */
	v1 = data_version(s);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", WRONG), LA_E_AUTH);
	ck_assert_int_ne(data_version(s), v1);
	ck_assert_int_eq(fx_count("auth_failures"), before[2] + 1);
	sqlite3_finalize(sv);
	sqlite3_finalize(s);
	sqlite3_close(db);
}
END_TEST

START_TEST(test_auth_user_without_password_key)
{
	struct la_user u;
	struct la_key k;

	fx_add_user("nopw", NULL, &u);
	ck_assert(!u.has_password);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "nopw", PW), LA_E_NOKEY);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "nopw", NULL), LA_E_NOKEY);
	ck_assert_int_eq(fx_auth(LA_IDENT_KEY, "password:nopw", PW), LA_E_NOKEY);
	/* A password-less key of another provider does not open password sign-in. */
	ck_assert_int_eq(la_key_add(fx.st, "nopw", "github", "7", NULL, &k), LA_OK);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "nopw", NULL), LA_E_NOKEY);
	ck_assert_int_eq(fx_auth(LA_IDENT_KEY, "github:7", NULL), LA_OK);
}
END_TEST

START_TEST(test_auth_password_key_null_or_empty)
{
	fx_add_user("alice", PW, NULL);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", NULL), LA_E_AUTH);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", ""), LA_E_AUTH);
	ck_assert_int_eq(fx_auth(LA_IDENT_KEY, "password:alice", NULL), LA_E_AUTH);
	ck_assert_int_eq(fx_auth(LA_IDENT_KEY, "password:alice", ""), LA_E_AUTH);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", PW), LA_OK);
}
END_TEST

START_TEST(test_auth_signup_closed)
{
	struct la_user u;
	struct la_session s;
	char tok[LA_TOKEN_BUF];

	ck_assert(!fx.cfg.signup_open);
	ck_assert_int_eq(la_signup(fx.st, "carol", "carol@example.com", PW, NULL, tok, &s, &u),
			 LA_E_SIGNUP_CLOSED);
	ck_assert_str_ne(la_store_errmsg(fx.st), "");
	counts_are(0, 0, 0, 0);
}
END_TEST

START_TEST(test_auth_signup_duplicate)
{
	struct la_user u;
	struct la_session s;
	char tok[LA_TOKEN_BUF];

	fx.cfg.signup_open = true;
	fx_reopen();
	fx_add_user_email("alice", "alice@example.com", PW, NULL);
	counts_are(1, 1, 0, 1);
	ck_assert_int_eq(la_signup(fx.st, "alice", NULL, PW, NULL, tok, &s, &u), LA_E_USER_EXISTS);
	counts_are(1, 1, 0, 1);
	ck_assert_int_eq(la_signup(fx.st, "dave", "ALICE@example.com", PW, NULL, tok, &s, &u),
			 LA_E_EXISTS);
	counts_are(1, 1, 0, 1);
	/* Names of the system account files are taken too. */
	ck_assert_int_eq(la_signup(fx.st, "localuser", NULL, PW, NULL, tok, &s, &u),
			 LA_E_USER_EXISTS);
	ck_assert_int_eq(la_signup(fx.st, "root", NULL, PW, NULL, tok, &s, &u), LA_E_USER_EXISTS);
	counts_are(1, 1, 0, 1);
	/* The original account is untouched. */
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", PW), LA_OK);
}
END_TEST

START_TEST(test_auth_signup_weak_password)
{
	struct la_user u;
	struct la_session s;
	char tok[LA_TOKEN_BUF];

	fx.cfg.signup_open = true;
	fx_reopen();
	ck_assert_int_eq(la_signup(fx.st, "erin", NULL, "short", NULL, tok, &s, &u), LA_E_POLICY);
	ck_assert_int_eq(la_signup(fx.st, "erinerin", NULL, "erinerin", NULL, tok, &s, &u),
			 LA_E_POLICY);
	ck_assert_int_eq(la_signup(fx.st, "erin", NULL, "", NULL, tok, &s, &u), LA_E_POLICY);
	ck_assert_int_eq(la_signup(fx.st, "erin", NULL, "bad\npassword", NULL, tok, &s, &u),
			 LA_E_POLICY);
	ck_assert_int_eq(la_signup(fx.st, "Erin", NULL, PW, NULL, tok, &s, &u), LA_E_INVAL);
	ck_assert_int_eq(la_signup(fx.st, "erin", "not-an-email", PW, NULL, tok, &s, &u),
			 LA_E_INVAL);
	counts_are(0, 0, 0, 0);
}
END_TEST

Suite *suite_auth(void)
{
	const TTest *core[] = {
	    test_auth_username_ok,
	    test_auth_email_case_insensitive,
	    test_auth_by_key_id,
	    test_auth_passwordless_key,
	    test_auth_rehash_lucia_import_once,
	    test_auth_account_check,
	    test_auth_login_creates_session,
	    test_auth_login_account_state,
	    test_auth_signup_open,
	};
	const TTest *errors[] = {
	    test_auth_wrong_password,
	    test_auth_unknown_ident,
	    test_auth_unknown_writes_like_wrong,
	    test_auth_success_skips_checkpoint,
	    test_auth_user_without_password_key,
	    test_auth_password_key_null_or_empty,
	    test_auth_signup_closed,
	    test_auth_signup_duplicate,
	    test_auth_signup_weak_password,
	};
	Suite *s = suite_create("auth");

	FX_TCASE(s, "core", 0, core);
	FX_TCASE(s, "errors", 0, errors);
	return s;
}

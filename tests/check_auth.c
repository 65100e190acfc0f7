/*
 * check_auth.c - signing in (la_authenticate, Lucia useKey + lockout of
 * SPEC 3), rehashing imported hashes, account state, la_login, la_signup,
 * and concurrent sign-ins from several processes.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check_la.h"

#define PW "correct horse"
#define WRONG "wrong horse"
#define MIN ((int64_t)60000)
#define DAY ((int64_t)86400000)

/* Lucia v2 output for "hunter22" (lucia-semantics.md 2.3, check_hash.c). */
#define V2_HUNTER22                                                                     \
	"s2:du22a90aa971y1w0:17a5e26d852282ed7b0fb0ed2091e02f19f8c762ae94528d34be778417236e67" \
	"e46e46fe96882365c7df77626977a17b89a3a776389e2ff7e07f8525beb141d5"

/* ---- helpers ---------------------------------------------------------- */

static la_rc auth(enum la_ident how, const char *ident, const char *pw)
{
	struct la_user u;

	return la_authenticate(fx.st, how, ident, pw, &u);
}

static struct la_user user(const char *name)
{
	struct la_user u;
	la_rc rc = la_user_by_name(fx.st, name, &u);

	ck_assert_msg(rc == LA_OK, "user %s: %s", name, la_strerror(rc));
	return u;
}

static void add_user_email(const char *name, const char *email, struct la_user *out)
{
	struct la_user_spec spec = { .username = name, .email = email };
	struct la_user tmp;
	la_rc rc = la_user_add(fx.st, &spec, PW, out ? out : &tmp);

	ck_assert_msg(rc == LA_OK, "add %s: %s (%s)", name, la_strerror(rc), la_store_errmsg(fx.st));
}

static sqlite3 *db_open(void)
{
	char path[LA_PATH_MAX + 32];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/luciaauth.db", fx.cfg.dir);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static void db_exec(const char *sql)
{
	sqlite3 *db = db_open();
	int r = sqlite3_exec(db, sql, NULL, NULL, NULL);

	ck_assert_msg(r == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* The stored hash of a key ("" when NULL or missing). */
static void key_hash(const char *key_id, char out[LA_HASH_MAX])
{
	sqlite3 *db = db_open();
	sqlite3_stmt *s = NULL;

	out[0] = '\0';
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT hashed_password FROM auth_keys WHERE id = ?1",
					    -1, &s, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(s, 1, key_id, -1, SQLITE_STATIC);
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

/* The lockout counters of name are exactly these. */
static void lockout_is(const char *name, unsigned failures, int64_t until)
{
	struct la_user u = user(name);

	ck_assert_uint_eq(u.failures, failures);
	ck_assert_int_eq(u.locked_until_ms, until);
}

/* n wrong passwords for name, 1 ms apart, each refused with AUTH. */
static void fail_n(const char *name, int n)
{
	for (int i = 0; i < n; i++) {
		la_rc rc = auth(LA_IDENT_USERNAME, name, WRONG);

		ck_assert_msg(rc == LA_E_AUTH, "failure %d: %s", i + 1, la_strerror(rc));
		fx.now++;
	}
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

	add_user_email("alice", "Alice@Example.com", &u);
	ck_assert_int_eq(la_authenticate(fx.st, LA_IDENT_EMAIL, "Alice@Example.com", PW, &a), LA_OK);
	ck_assert_str_eq(a.id, u.id);
	ck_assert_int_eq(la_authenticate(fx.st, LA_IDENT_EMAIL, "alice@example.com", PW, &a), LA_OK);
	ck_assert_int_eq(la_authenticate(fx.st, LA_IDENT_EMAIL, "ALICE@EXAMPLE.COM", PW, &a), LA_OK);
	ck_assert_str_eq(a.username, "alice");
	ck_assert_int_eq(auth(LA_IDENT_EMAIL, "alice@example.com", WRONG), LA_E_AUTH);
	ck_assert_int_eq(auth(LA_IDENT_EMAIL, "bob@example.com", PW), LA_E_NOUSER);
	ck_assert_int_eq(auth(LA_IDENT_EMAIL, "", PW), LA_E_NOUSER);
}
END_TEST

START_TEST(test_auth_by_key_id)
{
	struct la_user u, a;

	fx_add_user("alice", PW, &u);
	ck_assert_int_eq(la_authenticate(fx.st, LA_IDENT_KEY, "password:alice", PW, &a), LA_OK);
	ck_assert_str_eq(a.id, u.id);
	ck_assert_str_eq(a.username, "alice");
	ck_assert_int_eq(auth(LA_IDENT_KEY, "password:alice", WRONG), LA_E_AUTH);
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
	ck_assert_int_eq(auth(LA_IDENT_KEY, "github:123", "anything at all"), LA_E_AUTH);
	ck_assert_int_eq(auth(LA_IDENT_KEY, "github:123", PW), LA_E_AUTH);
	ck_assert_int_eq(auth(LA_IDENT_KEY, "github:123", ""), LA_E_AUTH);
	ck_assert_int_eq(auth(LA_IDENT_KEY, "github:1234", NULL), LA_E_NOKEY);
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
	db_exec(sql);
	ck_assert(user("hunter").has_password);
	/* A wrong password does not rehash. */
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "hunter", "hunter2"), LA_E_AUTH);
	key_hash("password:hunter", h0);
	ck_assert_str_eq(h0, V2_HUNTER22);
	/* The right one succeeds and upgrades to Argon2id at the store's cost. */
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "hunter", "hunter22"), LA_OK);
	key_hash("password:hunter", h1);
	ck_assert_msg(strncmp(h1, "$argon2id$v=19$m=64,t=1,p=1$", 28) == 0, "got %s", h1);
	ck_assert_int_eq(la_verify_password("hunter22", h1, 64, 1, &nr), LA_OK);
	ck_assert(!nr);
	ck_assert_uint_eq(user("hunter").failures, 0);
	/* Exactly once: the next sign-in leaves the hash alone. */
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "hunter", "hunter22"), LA_OK);
	ck_assert_int_eq(auth(LA_IDENT_KEY, "password:hunter", "hunter22"), LA_OK);
	key_hash("password:hunter", h2);
	ck_assert_str_eq(h2, h1);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "hunter", "hunter2"), LA_E_AUTH);
	key_hash("password:hunter", h2);
	ck_assert_str_eq(h2, h1);
	/* New cost parameters: one more rehash, then stable again. */
	fx.cfg.hash_ops = 2;
	fx_reopen();
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "hunter", "hunter22"), LA_OK);
	key_hash("password:hunter", h2);
	ck_assert_msg(strncmp(h2, "$argon2id$v=19$m=64,t=2,p=1$", 28) == 0, "got %s", h2);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "hunter", "hunter22"), LA_OK);
	key_hash("password:hunter", h1);
	ck_assert_str_eq(h1, h2);
}
END_TEST

START_TEST(test_auth_account_check)
{
	struct la_user_spec mc = { .must_change = true, .set = LA_SET_MUST_CHANGE };
	struct la_user u;

	fx_add_user("alice", PW, &u);
	ck_assert_int_eq(la_account_check(fx.st, &u), LA_OK);
	ck_assert_int_eq(la_user_set_locked(fx.st, "alice", true), LA_OK);
	u = user("alice");
	ck_assert_int_eq(la_account_check(fx.st, &u), LA_E_DISABLED);
	ck_assert_str_ne(la_store_errmsg(fx.st), "");
	ck_assert_int_eq(la_user_set_locked(fx.st, "alice", false), LA_OK);
	ck_assert_int_eq(la_user_set_expiry(fx.st, "alice", FX_T0 + 1000), LA_OK);
	u = user("alice");
	ck_assert_int_eq(u.expires_ms, FX_T0 + 1000);
	ck_assert_int_eq(la_account_check(fx.st, &u), LA_OK);
	fx.now = FX_T0 + 1000;
	ck_assert_int_eq(la_account_check(fx.st, &u), LA_OK);
	fx.now = FX_T0 + 1001;
	ck_assert_int_eq(la_account_check(fx.st, &u), LA_E_EXPIRED);
	ck_assert_int_eq(la_user_set_expiry(fx.st, "alice", 0), LA_OK);
	ck_assert_int_eq(la_user_mod(fx.st, "alice", &mc), LA_OK);
	u = user("alice");
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
	struct la_origin o = { .source = "web", .rhost = "198.51.100.4" };
	struct la_user u, lu, vu;
	struct la_session s, v;
	char tok[LA_TOKEN_BUF];

	add_user_email("alice", "alice@example.com", &u);
	ck_assert_int_eq(la_login(fx.st, LA_IDENT_USERNAME, "alice", PW, &o, tok, &s, &lu), LA_OK);
	ck_assert_str_eq(lu.id, u.id);
	ck_assert_str_eq(s.user_id, u.id);
	ck_assert_str_eq(s.rhost, "198.51.100.4");
	ck_assert_uint_eq(strlen(tok), LA_TOKEN_LEN);
	ck_assert_int_eq(la_session_validate(fx.st, tok, &v, &vu), LA_OK);
	ck_assert_str_eq(v.id, s.id);
	ck_assert_str_eq(vu.username, "alice");
	ck_assert_int_eq(la_login(fx.st, LA_IDENT_EMAIL, "ALICE@example.com", PW, NULL, tok, &s, &lu),
			 LA_OK);
	ck_assert_int_eq(la_session_validate(fx.st, tok, &v, NULL), LA_OK);
	ck_assert_int_eq(fx_count("sessions"), 2);
}
END_TEST

START_TEST(test_auth_login_account_state)
{
	struct la_user_spec mc = { .must_change = true, .set = LA_SET_MUST_CHANGE };
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
	ck_assert_int_eq(la_login(fx.st, LA_IDENT_USERNAME, "alice", PW, NULL, tok, &s, &lu), LA_OK);
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
	ck_assert_int_eq(auth(LA_IDENT_EMAIL, "Carol@Example.com", PW), LA_OK);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "carol", PW), LA_OK);
}
END_TEST

/* ---- errors ----------------------------------------------------------- */

START_TEST(test_auth_wrong_password)
{
	struct la_user a;

	fx_add_user("alice", PW, NULL);
	ck_assert_int_eq(la_authenticate(fx.st, LA_IDENT_USERNAME, "alice", WRONG, &a), LA_E_AUTH);
	ck_assert_str_ne(la_store_errmsg(fx.st), "");
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", "correct horse "), LA_E_AUTH);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", "Correct horse"), LA_E_AUTH);
	ck_assert_uint_eq(user("alice").failures, 3);
}
END_TEST

START_TEST(test_auth_unknown_ident)
{
	fx_add_user("alice", PW, NULL);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "bob", PW), LA_E_NOUSER);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "bob", NULL), LA_E_NOUSER);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "Not A Name", PW), LA_E_NOUSER);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, NULL, PW), LA_E_NOUSER);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "root", PW), LA_E_NOUSER);
	ck_assert_int_eq(auth(LA_IDENT_EMAIL, "nobody@example.com", PW), LA_E_NOUSER);
	ck_assert_int_eq(auth(LA_IDENT_KEY, "password:bob", PW), LA_E_NOKEY);
	ck_assert_int_eq(auth(LA_IDENT_KEY, "github:1", NULL), LA_E_NOKEY);
	ck_assert_int_eq(auth(LA_IDENT_KEY, "alice", PW), LA_E_NOKEY);
	ck_assert_int_eq(auth(LA_IDENT_KEY, "", PW), LA_E_NOKEY);
	ck_assert_int_eq(auth((enum la_ident)42, "alice", PW), LA_E_INVAL);
	/* Unknown names leave no lockout rows. */
	ck_assert_int_eq(fx_count("lockout"), 0);
}
END_TEST

START_TEST(test_auth_user_without_password_key)
{
	struct la_user u;
	struct la_key k;

	fx_add_user("nopw", NULL, &u);
	ck_assert(!u.has_password);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "nopw", PW), LA_E_NOKEY);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "nopw", NULL), LA_E_NOKEY);
	ck_assert_int_eq(auth(LA_IDENT_KEY, "password:nopw", PW), LA_E_NOKEY);
	/* A password-less key of another provider does not open password sign-in. */
	ck_assert_int_eq(la_key_add(fx.st, "nopw", "github", "7", NULL, &k), LA_OK);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "nopw", NULL), LA_E_NOKEY);
	ck_assert_int_eq(auth(LA_IDENT_KEY, "github:7", NULL), LA_OK);
}
END_TEST

START_TEST(test_auth_password_key_null_or_empty)
{
	fx_add_user("alice", PW, NULL);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", NULL), LA_E_AUTH);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", ""), LA_E_AUTH);
	ck_assert_int_eq(auth(LA_IDENT_KEY, "password:alice", NULL), LA_E_AUTH);
	ck_assert_int_eq(auth(LA_IDENT_KEY, "password:alice", ""), LA_E_AUTH);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", PW), LA_OK);
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
	add_user_email("alice", "alice@example.com", NULL);
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
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", PW), LA_OK);
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

/* ---- limits: lockout (SPEC 3: deny 5, fail_interval 15m, unlock 10m) --- */

START_TEST(test_auth_lockout_after_deny)
{
	struct la_user u;
	struct la_session s;
	char tok[LA_TOKEN_BUF];
	int64_t until;

	ck_assert_uint_eq(fx.cfg.deny, 5);
	ck_assert_int_eq(fx.cfg.unlock_time_ms, 10 * MIN);
	fx_add_user("alice", PW, NULL);
	for (unsigned i = 1; i <= 4; i++) {
		ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", WRONG), LA_E_AUTH);
		lockout_is("alice", i, 0);
		fx.now += 1000;
	}
	/* The 5th failure itself is a plain AUTH, and locks. */
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", WRONG), LA_E_AUTH);
	until = fx.now + 10 * MIN;
	lockout_is("alice", 5, until);
	/* While locked the password is not even checked; nothing moves. */
	fx.now += 1;
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", PW), LA_E_LOCKED);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", WRONG), LA_E_LOCKED);
	ck_assert_int_eq(auth(LA_IDENT_KEY, "password:alice", PW), LA_E_LOCKED);
	ck_assert_int_eq(la_login(fx.st, LA_IDENT_USERNAME, "alice", PW, NULL, tok, &s, &u),
			 LA_E_LOCKED);
	ck_assert_int_eq(fx_count("sessions"), 0);
	fx.now = until - 1;
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", PW), LA_E_LOCKED);
	lockout_is("alice", 5, until);
}
END_TEST

START_TEST(test_auth_lockout_ends_at_locked_until)
{
	struct la_user a;
	int64_t until;

	fx_add_user("alice", PW, NULL);
	fail_n("alice", 5);
	until = user("alice").locked_until_ms;
	ck_assert_int_eq(until, fx.now - 1 + 10 * MIN);
	/* Locked while locked_until > now: at now == locked_until it is over. */
	fx.now = until;
	ck_assert_int_eq(la_authenticate(fx.st, LA_IDENT_USERNAME, "alice", PW, &a), LA_OK);
	ck_assert_uint_eq(a.failures, 0);
	ck_assert_int_eq(a.locked_until_ms, 0);
	lockout_is("alice", 0, 0);
	/* Lock again; a wrong password after the lock expired starts a new count. */
	fail_n("alice", 5);
	until = user("alice").locked_until_ms;
	ck_assert_int_gt(until, 0);
	fx.now = until;
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", WRONG), LA_E_AUTH);
	lockout_is("alice", 1, 0);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", PW), LA_OK);
}
END_TEST

START_TEST(test_auth_lockout_fail_interval)
{
	ck_assert_int_eq(fx.cfg.fail_interval_ms, 15 * MIN);
	fx_add_user("alice", PW, NULL);
	fx_add_user("bob", PW, NULL);
	fx_add_user("carol", PW, NULL);
	/* Failures 4 minutes apart never gather 5 inside 15 minutes. */
	for (int i = 0; i < 12; i++) {
		ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", WRONG), LA_E_AUTH);
		ck_assert_uint_lt(user("alice").failures, 5);
		ck_assert_int_eq(user("alice").locked_until_ms, 0);
		fx.now += 4 * MIN;
	}
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", PW), LA_OK);
	/* Boundary: the 5th failure exactly fail_interval after the first counts... */
	fx.now = FX_T0 + DAY;
	fail_n("bob", 4);
	fx.now = FX_T0 + DAY + 15 * MIN;
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "bob", WRONG), LA_E_AUTH);
	ck_assert_int_gt(user("bob").locked_until_ms, fx.now);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "bob", PW), LA_E_LOCKED);
	/* ...one millisecond later it does not. */
	fx.now = FX_T0 + 2 * DAY;
	fail_n("carol", 4);
	fx.now = FX_T0 + 2 * DAY + 15 * MIN + 1;
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "carol", WRONG), LA_E_AUTH);
	ck_assert_uint_lt(user("carol").failures, 5);
	ck_assert_int_eq(user("carol").locked_until_ms, 0);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "carol", PW), LA_OK);
}
END_TEST

/* SPEC 3 (pam_faillock's model and defaults): deny failures inside ANY span
 * of fail_interval lock.  Here 5 failures fall within 5 ms, straddling the
 * moment fail_interval after the first failure. */
START_TEST(test_auth_lockout_window_slides)
{
	fx_add_user("alice", PW, NULL);
	fail_n("alice", 1);                     /* T0 */
	fx.now = FX_T0 + 15 * MIN - 2;
	fail_n("alice", 2);                     /* T0+15m-2, T0+15m-1 */
	fx.now = FX_T0 + 15 * MIN + 1;
	fail_n("alice", 3);                     /* T0+15m+1 .. T0+15m+3 */
	ck_assert_msg(user("alice").locked_until_ms > fx.now,
		      "5 failures within 5 ms did not lock (failures = %u)", user("alice").failures);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", PW), LA_E_LOCKED);
}
END_TEST

START_TEST(test_auth_lockout_success_resets)
{
	fx_add_user("alice", PW, NULL);
	fail_n("alice", 4);
	lockout_is("alice", 4, 0);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", PW), LA_OK);
	lockout_is("alice", 0, 0);
	fail_n("alice", 4);
	lockout_is("alice", 4, 0);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", PW), LA_OK);
	fail_n("alice", 5);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", PW), LA_E_LOCKED);
}
END_TEST

START_TEST(test_auth_lockout_shared_by_idents)
{
	add_user_email("alice", "alice@example.com", NULL);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", WRONG), LA_E_AUTH);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", WRONG), LA_E_AUTH);
	ck_assert_int_eq(auth(LA_IDENT_EMAIL, "alice@example.com", WRONG), LA_E_AUTH);
	ck_assert_int_eq(auth(LA_IDENT_EMAIL, "ALICE@example.com", WRONG), LA_E_AUTH);
	ck_assert_uint_eq(user("alice").failures, 4);
	ck_assert_int_eq(auth(LA_IDENT_KEY, "password:alice", WRONG), LA_E_AUTH);
	ck_assert_int_gt(user("alice").locked_until_ms, fx.now);
	ck_assert_int_eq(auth(LA_IDENT_EMAIL, "alice@example.com", PW), LA_E_LOCKED);
	ck_assert_int_eq(auth(LA_IDENT_KEY, "password:alice", PW), LA_E_LOCKED);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", PW), LA_E_LOCKED);
}
END_TEST

START_TEST(test_auth_lockout_deny_zero)
{
	fx.cfg.deny = 0;
	fx_reopen();
	fx_add_user("alice", PW, NULL);
	for (int i = 0; i < 20; i++) {
		ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", WRONG), LA_E_AUTH);
		ck_assert_int_eq(user("alice").locked_until_ms, 0);
	}
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", PW), LA_OK);
	lockout_is("alice", 0, 0);
}
END_TEST

START_TEST(test_auth_lockout_admin_unlock)
{
	fx_add_user("alice", PW, NULL);
	fail_n("alice", 5);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", PW), LA_E_LOCKED);
	ck_assert_int_eq(la_user_set_locked(fx.st, "alice", false), LA_OK);
	lockout_is("alice", 0, 0);
	ck_assert(!user("alice").locked);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", PW), LA_OK);
	ck_assert_int_eq(la_user_set_locked(fx.st, "nobody", false), LA_E_NOUSER);
}
END_TEST

/* ---- concurrency: several processes, one store ------------------------- */

#define NCHILD 8

static char alice_name[] = "alice";

static int64_t child_clock(void *ctx)
{
	return *(const int64_t *)ctx;
}

/* A child's own handle on fx.cfg, on the test clock (frozen at fork). */
static la_rc child_open(struct la_store **st)
{
	la_rc rc = la_store_open(&fx.cfg, 0, st);

	if (rc == LA_OK)
		la_store_set_clock(*st, child_clock, &fx.now);
	return rc;
}

typedef int (*child_fn)(int idx, void *ctx);

/* Fork n children that start together (a pipe closed by the parent is the
 * gate), run fn, and _exit() with its result; collect wait statuses.  The
 * fixture's handle is closed across the fork and reopened afterwards. */
static void run_children(int n, child_fn fn, void *ctx, int status[])
{
	pid_t pid[NCHILD];
	int gate[2];

	ck_assert_int_le(n, NCHILD);
	ck_assert_int_eq(pipe(gate), 0);
	la_store_close(fx.st);
	fx.st = NULL;
	for (int i = 0; i < n; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0) {
			char c;

			close(gate[1]);
			while (read(gate[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(fn(i, ctx));
		}
	}
	close(gate[0]);
	close(gate[1]);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(waitpid(pid[i], &status[i], 0), pid[i]);
	fx_reopen();
}

static const char *const OPS[] = { "ok", "open", "authenticate", "create", "validate" };

/* Exit code of the mixed child: op * 50 + rc, 0 when all went well. */
static int child_mixed(int idx, void *ctx)
{
	static const enum la_ident how[] = { LA_IDENT_USERNAME, LA_IDENT_EMAIL, LA_IDENT_KEY };
	static const char *const ident[] = { "alice", "alice@example.com", "password:alice" };
	const char *shared = ctx;
	struct la_store *st = NULL;
	struct la_session s;
	struct la_user u;
	char tok[LA_TOKEN_BUF];
	la_rc rc = child_open(&st);
	int op = 1;

	memset(&u, 0, sizeof(u));
	for (int i = 0; i < 50 && rc == LA_OK; i++) {
		switch (i % 3) {
		case 0:
			op = 2;
			rc = la_authenticate(st, how[(idx + i) % 3], ident[(idx + i) % 3], PW, &u);
			break;
		case 1:
			op = 3;
			rc = la_session_create(st, u.id, NULL, tok, &s);
			break;
		default:
			op = 4;
			/* The shared idle session first: renewals race with each other. */
			rc = la_session_validate(st, i == 2 ? shared : tok, &s, NULL);
			break;
		}
	}
	la_store_close(st);
	return rc == LA_OK ? 0 : op * 50 + (int)rc;
}

START_TEST(test_auth_concurrent_mixed)
{
	struct la_user u;
	struct la_session s, v;
	char shared[LA_TOKEN_BUF];
	int status[NCHILD];

	add_user_email("alice", "alice@example.com", &u);
	ck_assert_int_eq(la_session_create(fx.st, u.id, NULL, shared, &s), LA_OK);
	fx.now = s.active_expires + 1; /* the shared session is idle for every child */
	run_children(NCHILD, child_mixed, shared, status);
	for (int i = 0; i < NCHILD; i++) {
		int code = WIFEXITED(status[i]) ? WEXITSTATUS(status[i]) : -1;

		ck_assert_msg(code == 0, "child %d: %s -> %s (status %#x)", i,
			      code > 0 ? OPS[code / 50 % 5] : "signal",
			      code > 0 ? la_strerror((la_rc)(code % 50)) : "-", (unsigned)status[i]);
	}
	/* 17 sessions per child (i = 1, 4, ..., 49) plus the shared one. */
	ck_assert_int_eq(fx_count("sessions"), NCHILD * 17 + 1);
	ck_assert_int_eq(la_session_validate(fx.st, shared, &v, NULL), LA_OK);
	ck_assert_int_eq(v.active_expires, fx.now + DAY);
	ck_assert(!v.fresh);
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
	ck_assert_uint_eq(user("alice").failures, 0);
}
END_TEST

/* One wrong password; exit code = rc (100 + rc when the store did not open). */
static int child_wrong(int idx, void *ctx)
{
	struct la_store *st = NULL;
	struct la_user u;
	la_rc rc = child_open(&st);

	(void)idx;
	if (rc != LA_OK) {
		la_store_close(st);
		return 100 + (int)rc;
	}
	rc = la_authenticate(st, LA_IDENT_USERNAME, (const char *)ctx, WRONG, &u);
	la_store_close(st);
	return (int)rc;
}

/* Tally of child results by la_rc. */
static void tally(const int status[], int n, int out[LA_RC_MAX])
{
	memset(out, 0, sizeof(int) * LA_RC_MAX);
	for (int i = 0; i < n; i++) {
		int code = WIFEXITED(status[i]) ? WEXITSTATUS(status[i]) : -1;

		ck_assert_msg(code == LA_E_AUTH || code == LA_E_LOCKED,
			      "child %d: exit %d (%s)", i, code,
			      code >= 0 ? la_strerror((la_rc)(code % 100)) : "signal");
		out[code]++;
	}
}

START_TEST(test_auth_concurrent_failures_no_lost_update)
{
	int status[NCHILD], n[LA_RC_MAX];

	fx.cfg.deny = 100;
	fx_reopen();
	fx_add_user("alice", PW, NULL);
	for (unsigned round = 1; round <= 3; round++) {
		run_children(NCHILD, child_wrong, alice_name, status);
		tally(status, NCHILD, n);
		ck_assert_int_eq(n[LA_E_AUTH], NCHILD);
		lockout_is("alice", round * NCHILD, 0);
	}
}
END_TEST

START_TEST(test_auth_concurrent_failures_lock)
{
	int status[NCHILD], n[LA_RC_MAX];
	struct la_user u;

	ck_assert_uint_eq(fx.cfg.deny, 5);
	fx_add_user("alice", PW, NULL);
	run_children(NCHILD, child_wrong, alice_name, status);
	tally(status, NCHILD, n);
	u = user("alice");
	ck_assert_int_eq(u.locked_until_ms, fx.now + fx.cfg.unlock_time_ms);
	ck_assert_uint_ge(u.failures, 5);
	ck_assert_uint_le(u.failures, NCHILD);
	/* What la_auth.c guarantees (MUST 2): a child that read the user before
	 * the lock was set still verifies its password, but its result is
	 * recorded in a BEGIN IMMEDIATE transaction that re-reads the lockout
	 * row, and once locked_until > now that transaction answers LOCKED
	 * without counting.  So exactly `deny` failures are counted and every
	 * other child gets LOCKED: no lost update, no over-count. */
	ck_assert_int_eq(n[LA_E_AUTH] + n[LA_E_LOCKED], NCHILD);
	ck_assert_uint_eq(u.failures, (unsigned)n[LA_E_AUTH]);
	ck_assert_uint_eq(u.failures, fx.cfg.deny);
	ck_assert_int_eq(auth(LA_IDENT_USERNAME, "alice", PW), LA_E_LOCKED);
}
END_TEST

static void add_tcase(Suite *s, const char *name, int timeout, const TTest *const *t, size_t n)
{
	TCase *tc = tcase_create(name);

	if (timeout)
		tcase_set_timeout(tc, timeout);
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	for (size_t i = 0; i < n; i++)
		tcase_add_test(tc, t[i]);
	suite_add_tcase(s, tc);
}

#define ADD(s, name, timeout, tests) add_tcase(s, name, timeout, tests, sizeof(tests) / sizeof(*tests))

Suite *suite_auth(void)
{
	const TTest *core[] = {
		test_auth_username_ok,	       test_auth_email_case_insensitive,
		test_auth_by_key_id,	       test_auth_passwordless_key,
		test_auth_rehash_lucia_import_once, test_auth_account_check,
		test_auth_login_creates_session,    test_auth_login_account_state,
		test_auth_signup_open,
	};
	const TTest *errors[] = {
		test_auth_wrong_password,	      test_auth_unknown_ident,
		test_auth_user_without_password_key,  test_auth_password_key_null_or_empty,
		test_auth_signup_closed,	      test_auth_signup_duplicate,
		test_auth_signup_weak_password,
	};
	const TTest *limits[] = {
		test_auth_lockout_after_deny,	   test_auth_lockout_ends_at_locked_until,
		test_auth_lockout_fail_interval,   test_auth_lockout_success_resets,
		test_auth_lockout_shared_by_idents, test_auth_lockout_deny_zero,
		test_auth_lockout_admin_unlock,	   test_auth_lockout_window_slides,
	};
	const TTest *concurrency[] = {
		test_auth_concurrent_mixed,
		test_auth_concurrent_failures_no_lost_update,
		test_auth_concurrent_failures_lock,
	};
	Suite *s = suite_create("auth");

	ADD(s, "core", 0, core);
	ADD(s, "errors", 0, errors);
	ADD(s, "limits", 0, limits);
	ADD(s, "concurrency", 60, concurrency);
	return s;
}

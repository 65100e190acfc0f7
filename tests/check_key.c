/*
 * check_key.c - auth keys (Lucia: providerId:providerUserId, with or without
 * a password) and setting the password key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_la.h"

#define PW  "correct horse"
#define PW2 "battery staple"

static const char *const TABLES[] = {"users", "auth_keys", "sessions", "lockout"};
#define N_TABLES (sizeof(TABLES) / sizeof(TABLES[0]))

static void counts_get(long c[N_TABLES])
{
	for (size_t i = 0; i < N_TABLES; i++)
		ck_assert_msg((c[i] = fx_count(TABLES[i])) >= 0, "table %s missing", TABLES[i]);
}

static void counts_same(const long before[N_TABLES])
{
	for (size_t i = 0; i < N_TABLES; i++)
		ck_assert_msg(fx_count(TABLES[i]) == before[i], "%s: rows changed", TABLES[i]);
}

/* expr must fail with code and leave every table as it was. */
#define REFUSED(expr, code)                                                                        \
	do {                                                                                       \
		long c0_[N_TABLES];                                                                \
		la_rc rc_;                                                                         \
		counts_get(c0_);                                                                   \
		rc_ = (expr);                                                                      \
		ck_assert_msg(rc_ == (code), "%s: %s, expected %s (%s)", #expr, la_strerror(rc_),  \
			      la_strerror(code), la_store_errmsg(fx.st));                          \
		counts_same(c0_);                                                                  \
	} while (0)

#define OK(expr)                                                                                   \
	do {                                                                                       \
		la_rc rc_ = (expr);                                                                \
		ck_assert_msg(rc_ == LA_OK, "%s: %s (%s)", #expr, la_strerror(rc_),                \
			      la_store_errmsg(fx.st));                                             \
	} while (0)

static struct la_key scratch;

static la_rc kadd(const char *user, const char *provider, const char *puid, const char *pw)
{
	return la_key_add(fx.st, user, provider, puid, pw, &scratch);
}

static la_rc login(enum la_ident how, const char *ident, const char *pw)
{
	struct la_user u;

	return la_authenticate(fx.st, how, ident, pw, &u);
}

static int key_cb(const struct la_key *k, void *ctx)
{
	char *buf = ctx;
	size_t len = strlen(buf);

	snprintf(buf + len, 512 - len, "%s%s%s", len ? "," : "", k->id, k->has_password ? "*" : "");
	return 0;
}

static void add_nopw(const char *name, struct la_user *u)
{
	struct la_user_spec spec = {.username = name};

	OK(la_user_add(fx.st, &spec, NULL, u));
}

/* ---- core ----------------------------------------------------------- */

START_TEST(test_key_add_without_password)
{
	struct la_user u;
	struct la_key k;

	fx_add_user("alice", PW, &u);
	OK(la_key_add(fx.st, "alice", "github", "12345", NULL, &k));
	ck_assert_str_eq(k.id, "github:12345");
	ck_assert_str_eq(k.user_id, u.id);
	ck_assert(!k.has_password);
	memset(&k, 0, sizeof(k));
	OK(la_key_get(fx.st, "github:12345", &k));
	ck_assert_str_eq(k.id, "github:12345");
	ck_assert_str_eq(k.user_id, u.id);
	ck_assert(!k.has_password);
	/* Lucia useKey: such a key signs in with no password at all. */
	OK(login(LA_IDENT_KEY, "github:12345", NULL));
	ck_assert_int_eq(login(LA_IDENT_KEY, "github:12345", PW), LA_E_AUTH);
	ck_assert_int_eq(fx_count("auth_keys"), 2);
}
END_TEST

START_TEST(test_key_add_with_password)
{
	struct la_user u;
	struct la_key k;

	add_nopw("alice", &u);
	OK(la_key_add(fx.st, "alice", "email", "alice@x.org", PW2, &k));
	ck_assert_str_eq(k.id, "email:alice@x.org");
	ck_assert(k.has_password);
	OK(login(LA_IDENT_KEY, "email:alice@x.org", PW2));
	ck_assert_int_eq(login(LA_IDENT_KEY, "email:alice@x.org", PW), LA_E_AUTH);
	ck_assert_int_eq(login(LA_IDENT_KEY, "email:alice@x.org", NULL), LA_E_AUTH);
	/* Another key does not make the user's password key. */
	OK(la_user_by_name(fx.st, "alice", &u));
	ck_assert(!u.has_password);
	/* A provider user id may contain ':'; the provider id may not. */
	OK(la_key_add(fx.st, "alice", "oidc", "https://id.example:443/u/7", NULL, &k));
	ck_assert_str_eq(k.id, "oidc:https://id.example:443/u/7");
	OK(la_key_get(fx.st, "oidc:https://id.example:443/u/7", &k));
	OK(login(LA_IDENT_KEY, "oidc:https://id.example:443/u/7", NULL));
	/* Text is data: quotes and UTF-8 are stored as given. */
	OK(la_key_add(fx.st, "alice", "we'ird", "x'); DELETE FROM auth_keys;--", NULL, &k));
	OK(la_key_get(fx.st, "we'ird:x'); DELETE FROM auth_keys;--", &k));
	OK(la_key_add(fx.st, "alice", "gitlab", "J\xc3\xbcrgen", NULL, &k));
	ck_assert_int_eq(fx_count("auth_keys"), 4);
}
END_TEST

START_TEST(test_key_list_and_del)
{
	char buf[512] = "";
	struct la_user u;
	struct la_key k;

	fx_add_user("alice", PW, NULL);
	fx_add_user("bob", PW, NULL);
	OK(kadd("alice", "zz", "1", NULL));
	OK(kadd("alice", "github", "12345", NULL));
	OK(kadd("bob", "github", "777", NULL));
	OK(la_key_list(fx.st, "alice", key_cb, buf));
	ck_assert_str_eq(buf, "github:12345,password:alice*,zz:1");
	OK(la_key_del(fx.st, "github:12345"));
	ck_assert_int_eq(la_key_get(fx.st, "github:12345", &k), LA_E_NOKEY);
	ck_assert_int_eq(login(LA_IDENT_KEY, "github:12345", NULL), LA_E_NOKEY);
	buf[0] = '\0';
	OK(la_key_list(fx.st, "alice", key_cb, buf));
	ck_assert_str_eq(buf, "password:alice*,zz:1");
	/* The id is free again, for any user. */
	OK(kadd("bob", "github", "12345", NULL));
	/* Deleting the password key leaves a user without a password. */
	OK(la_key_del(fx.st, "password:alice"));
	OK(la_user_by_name(fx.st, "alice", &u));
	ck_assert(!u.has_password);
	buf[0] = '\0';
	OK(la_key_list(fx.st, "alice", key_cb, buf));
	ck_assert_str_eq(buf, "zz:1");
	ck_assert_int_eq(login(LA_IDENT_USERNAME, "alice", PW), LA_E_NOKEY);
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

START_TEST(test_key_password_set_creates)
{
	struct la_user u;
	struct la_key k;
	struct la_user_spec spec = {.set = LA_SET_MUST_CHANGE, .must_change = true};

	add_nopw("bob", &u);
	OK(la_user_mod(fx.st, "bob", &spec));
	ck_assert(!u.has_password);
	ck_assert_int_eq(u.password_changed_ms, 0);
	fx.now += 5000;
	OK(la_password_set(fx.st, "bob", PW));
	OK(la_user_by_name(fx.st, "bob", &u));
	ck_assert(u.has_password);
	ck_assert_int_eq(u.password_changed_ms, FX_T0 + 5000);
	ck_assert(!u.must_change);
	OK(la_key_get(fx.st, "password:bob", &k));
	ck_assert_str_eq(k.user_id, u.id);
	ck_assert(k.has_password);
	ck_assert_int_eq(fx_count("auth_keys"), 1);
	OK(login(LA_IDENT_USERNAME, "bob", PW));
}
END_TEST

START_TEST(test_key_password_set_replaces)
{
	struct la_user u;

	fx_add_user("alice", PW, &u);
	ck_assert_int_eq(u.password_changed_ms, FX_T0);
	fx.now = FX_T0 + 60000;
	OK(la_password_set(fx.st, "alice", PW2));
	OK(la_user_by_name(fx.st, "alice", &u));
	ck_assert_int_eq(u.password_changed_ms, FX_T0 + 60000);
	ck_assert_int_eq(fx_count("auth_keys"), 1);
	ck_assert_int_eq(login(LA_IDENT_USERNAME, "alice", PW), LA_E_AUTH);
	OK(login(LA_IDENT_USERNAME, "alice", PW2));
}
END_TEST

/* ---- errors --------------------------------------------------------- */

START_TEST(test_key_duplicate)
{
	fx_add_user("alice", PW, NULL);
	fx_add_user("bob", PW, NULL);
	OK(kadd("alice", "github", "12345", NULL));
	/* Lucia AUTH_DUPLICATE_KEY_ID, for the same or another user. */
	REFUSED(kadd("alice", "github", "12345", NULL), LA_E_KEY_EXISTS);
	REFUSED(kadd("bob", "github", "12345", NULL), LA_E_KEY_EXISTS);
	REFUSED(kadd("bob", "github", "12345", PW2), LA_E_KEY_EXISTS);
	OK(la_key_get(fx.st, "github:12345", &scratch));
	ck_assert(!scratch.has_password);
	/* Key ids are case-sensitive (as in Lucia). */
	OK(kadd("bob", "GitHub", "12345", NULL));
}
END_TEST

START_TEST(test_key_bad_ids)
{
	fx_add_user("alice", PW, NULL);
	REFUSED(kadd("alice", "git:hub", "12345", NULL), LA_E_INVAL);
	REFUSED(kadd("alice", ":", "12345", NULL), LA_E_INVAL);
	REFUSED(kadd("alice", "", "12345", NULL), LA_E_INVAL);
	REFUSED(kadd("alice", NULL, "12345", NULL), LA_E_INVAL);
	REFUSED(kadd("alice", "github", "", NULL), LA_E_INVAL);
	REFUSED(kadd("alice", "github", NULL, NULL), LA_E_INVAL);
	REFUSED(kadd("alice", "git\nhub", "1", NULL), LA_E_INVAL);
	REFUSED(kadd("alice", "github", "1\n2", NULL), LA_E_INVAL);
	REFUSED(kadd("alice", "github", "1\x7f", NULL), LA_E_INVAL);
	REFUSED(kadd("alice", "github", "\xff\xfe", NULL), LA_E_INVAL);
	REFUSED(kadd("alice", "g\xc3", "1", NULL), LA_E_INVAL);
}
END_TEST

START_TEST(test_key_password_provider_refused)
{
	struct la_user u;

	fx_add_user("alice", PW, NULL);
	add_nopw("bob", &u);
	/* MUST: the provider "password" never gets a key without a hash... */
	REFUSED(kadd("bob", "password", "bob", NULL), LA_E_INVAL);
	/* ...nor a key named after another user... */
	REFUSED(kadd("bob", "password", "alice", PW2), LA_E_INVAL);
	REFUSED(kadd("bob", "password", "carol", PW2), LA_E_INVAL);
	REFUSED(kadd("alice", "password", "alice", NULL), LA_E_INVAL);
	/* ...and is set with la_password_set only, which records the change. */
	REFUSED(kadd("bob", "password", "bob", PW2), LA_E_INVAL);
	OK(la_user_by_name(fx.st, "bob", &u));
	ck_assert(!u.has_password);
	ck_assert_int_eq(login(LA_IDENT_USERNAME, "bob", NULL), LA_E_NOKEY);
}
END_TEST

START_TEST(test_key_unknown)
{
	char buf[512] = "";
	struct la_key k;

	fx_add_user("alice", PW, NULL);
	REFUSED(kadd("nobody", "github", "1", NULL), LA_E_NOUSER);
	REFUSED(kadd("nobody", "github", "1", PW2), LA_E_NOUSER);
	REFUSED(kadd("localuser", "github", "1", NULL), LA_E_NOUSER);
	REFUSED(la_key_del(fx.st, "github:1"), LA_E_NOKEY);
	REFUSED(la_key_del(fx.st, "password:nobody"), LA_E_NOKEY);
	REFUSED(la_key_del(fx.st, ""), LA_E_NOKEY);
	ck_assert_int_eq(la_key_get(fx.st, "github:1", &k), LA_E_NOKEY);
	ck_assert_int_eq(la_key_get(fx.st, "PASSWORD:alice", &k), LA_E_NOKEY);
	ck_assert_int_eq(la_key_list(fx.st, "nobody", key_cb, buf), LA_E_NOUSER);
	ck_assert_str_eq(buf, "");
	REFUSED(la_password_set(fx.st, "nobody", PW2), LA_E_NOUSER);
	REFUSED(la_password_set(fx.st, "localuser", PW2), LA_E_NOUSER);
}
END_TEST

START_TEST(test_key_password_policy)
{
	struct la_user before, after;

	fx_add_user("alice", PW, NULL);
	OK(la_user_mod(fx.st, "alice",
		       &(struct la_user_spec){.set = LA_SET_MUST_CHANGE, .must_change = true}));
	OK(la_user_by_name(fx.st, "alice", &before));
	fx.now += 1000;
	REFUSED(la_password_set(fx.st, "alice", "short"), LA_E_POLICY);
	REFUSED(la_password_set(fx.st, "alice", ""), LA_E_POLICY);
	REFUSED(la_password_set(fx.st, "alice", "alice"), LA_E_POLICY);
	REFUSED(la_password_set(fx.st, "alice", "long enough\x01"), LA_E_POLICY);
	REFUSED(la_password_set(fx.st, "alice", "long enough \xff"), LA_E_POLICY);
	REFUSED(la_password_set(fx.st, "alice", NULL), LA_E_INVAL);
	OK(la_user_by_name(fx.st, "alice", &after));
	ck_assert_mem_eq(&before, &after, sizeof(before));
	OK(login(LA_IDENT_USERNAME, "alice", PW));
	/* A key with a password obeys the same policy. */
	REFUSED(kadd("alice", "email", "a@x.org", "short"), LA_E_POLICY);
	REFUSED(kadd("alice", "email", "a@x.org", "alice"), LA_E_POLICY);
	/* No password set for a user without one either. */
	add_nopw("bob", &before);
	REFUSED(la_password_set(fx.st, "bob", "1234567"), LA_E_POLICY);
	ck_assert_int_eq(la_key_get(fx.st, "password:bob", &scratch), LA_E_NOKEY);
}
END_TEST

/* ---- limits --------------------------------------------------------- */

START_TEST(test_key_id_lengths)
{
	char prov[LA_PROVIDER_MAX + 2], puid[LA_KEY_ID_MAX], id[2 * LA_KEY_ID_MAX];
	size_t puid_max = LA_KEY_ID_MAX - LA_PROVIDER_MAX - 1;

	fx_add_user("alice", PW, NULL);
	memset(prov, 'p', sizeof(prov));
	prov[LA_PROVIDER_MAX + 1] = '\0';
	REFUSED(kadd("alice", prov, "1", NULL), LA_E_INVAL);
	prov[LA_PROVIDER_MAX] = '\0';
	memset(puid, 'u', sizeof(puid));
	puid[puid_max + 1] = '\0';
	REFUSED(kadd("alice", prov, puid, NULL), LA_E_INVAL);
	/* The longest id: 64-byte provider, ':' and 255-byte user id. */
	puid[puid_max] = '\0';
	OK(kadd("alice", prov, puid, NULL));
	snprintf(id, sizeof(id), "%s:%s", prov, puid);
	ck_assert_uint_eq(strlen(id), LA_KEY_ID_MAX);
	ck_assert_str_eq(scratch.id, id);
	OK(la_key_get(fx.st, id, &scratch));
	OK(login(LA_IDENT_KEY, id, NULL));
	OK(la_key_del(fx.st, id));
	OK(kadd("alice", "p", "1", NULL));
}
END_TEST

START_TEST(test_key_password_lengths)
{
	char pw[300];

	fx_add_user("alice", PW, NULL);
	memset(pw, 'x', sizeof(pw));
	pw[LA_PASSWORD_MAX + 1] = '\0';
	REFUSED(la_password_set(fx.st, "alice", pw), LA_E_POLICY);
	OK(login(LA_IDENT_USERNAME, "alice", PW));
	pw[LA_PASSWORD_MAX] = '\0';
	OK(la_password_set(fx.st, "alice", pw));
	OK(login(LA_IDENT_USERNAME, "alice", pw));
	pw[8] = '\0';
	OK(la_password_set(fx.st, "alice", pw));
	OK(login(LA_IDENT_USERNAME, "alice", pw));
	pw[7] = '\0';
	REFUSED(la_password_set(fx.st, "alice", pw), LA_E_POLICY);
}
END_TEST

Suite *suite_key(void)
{
	Suite *s = suite_create("key");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, test_key_add_without_password);
	tcase_add_test(tc, test_key_add_with_password);
	tcase_add_test(tc, test_key_list_and_del);
	tcase_add_test(tc, test_key_password_set_creates);
	tcase_add_test(tc, test_key_password_set_replaces);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, test_key_duplicate);
	tcase_add_test(tc, test_key_bad_ids);
	tcase_add_test(tc, test_key_password_provider_refused);
	tcase_add_test(tc, test_key_unknown);
	tcase_add_test(tc, test_key_password_policy);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, test_key_id_lengths);
	tcase_add_test(tc, test_key_password_lengths);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * check_key.c - auth keys (Lucia: providerId:providerUserId, with or without
 * a password) and setting the password key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_la.h"

#define PW2 "battery staple"

/* The tables a refused call must leave alone. */
static const char *const TABLES[] = {"users", "auth_keys", "sessions", "lockout", NULL};

#define REFUSED(expr, code) REFUSED_IN(TABLES, expr, code)

static struct la_key scratch;

static la_rc kadd(const char *user, const char *provider, const char *puid, const char *pw)
{
	return la_key_add(fx.st, user, provider, puid, pw, &scratch);
}

static int key_cb(const struct la_key *k, void *ctx)
{
	char *buf = ctx;
	size_t len = strlen(buf);

	snprintf(buf + len, 512 - len, "%s%s%s", len ? "," : "", k->id, k->has_password ? "*" : "");
	return 0;
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
	OK(fx_auth(LA_IDENT_KEY, "github:12345", NULL));
	ck_assert_int_eq(fx_auth(LA_IDENT_KEY, "github:12345", PW), LA_E_AUTH);
	ck_assert_int_eq(fx_count("auth_keys"), 2);
}
END_TEST

START_TEST(test_key_add_with_password)
{
	struct la_user u;
	struct la_key k;

	fx_add_user("alice", NULL, &u);
	OK(la_key_add(fx.st, "alice", "email", "alice@x.org", PW2, &k));
	ck_assert_str_eq(k.id, "email:alice@x.org");
	ck_assert(k.has_password);
	OK(fx_auth(LA_IDENT_KEY, "email:alice@x.org", PW2));
	ck_assert_int_eq(fx_auth(LA_IDENT_KEY, "email:alice@x.org", PW), LA_E_AUTH);
	ck_assert_int_eq(fx_auth(LA_IDENT_KEY, "email:alice@x.org", NULL), LA_E_AUTH);
	/* Another key does not make the user's password key. */
	OK(la_user_by_name(fx.st, "alice", &u));
	ck_assert(!u.has_password);
	/* A provider user id may contain ':'; the provider id may not. */
	OK(la_key_add(fx.st, "alice", "oidc", "https://id.example:443/u/7", NULL, &k));
	ck_assert_str_eq(k.id, "oidc:https://id.example:443/u/7");
	OK(la_key_get(fx.st, "oidc:https://id.example:443/u/7", &k));
	OK(fx_auth(LA_IDENT_KEY, "oidc:https://id.example:443/u/7", NULL));
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
	ck_assert_int_eq(fx_auth(LA_IDENT_KEY, "github:12345", NULL), LA_E_NOKEY);
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
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", PW), LA_E_NOKEY);
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

START_TEST(test_key_password_set_creates)
{
	struct la_user u;
	struct la_key k;
	struct la_user_spec spec = {.set = LA_SET_MUST_CHANGE, .must_change = true};

	fx_add_user("bob", NULL, &u);
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
	OK(fx_auth(LA_IDENT_USERNAME, "bob", PW));
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
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", PW), LA_E_AUTH);
	OK(fx_auth(LA_IDENT_USERNAME, "alice", PW2));
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
	fx_add_user("bob", NULL, &u);
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
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "bob", NULL), LA_E_NOKEY);
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
	OK(fx_auth(LA_IDENT_USERNAME, "alice", PW));
	/* A key with a password obeys the same policy. */
	REFUSED(kadd("alice", "email", "a@x.org", "short"), LA_E_POLICY);
	REFUSED(kadd("alice", "email", "a@x.org", "alice"), LA_E_POLICY);
	/* No password set for a user without one either. */
	fx_add_user("bob", NULL, &before);
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
	OK(fx_auth(LA_IDENT_KEY, id, NULL));
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
	OK(fx_auth(LA_IDENT_USERNAME, "alice", PW));
	pw[LA_PASSWORD_MAX] = '\0';
	OK(la_password_set(fx.st, "alice", pw));
	OK(fx_auth(LA_IDENT_USERNAME, "alice", pw));
	pw[8] = '\0';
	OK(la_password_set(fx.st, "alice", pw));
	OK(fx_auth(LA_IDENT_USERNAME, "alice", pw));
	pw[7] = '\0';
	REFUSED(la_password_set(fx.st, "alice", pw), LA_E_POLICY);
}
END_TEST

Suite *suite_key(void)
{
	const TTest *core[] = {
	    test_key_add_without_password, test_key_add_with_password,	   test_key_list_and_del,
	    test_key_password_set_creates, test_key_password_set_replaces,
	};
	const TTest *errors[] = {
	    test_key_duplicate, test_key_bad_ids,	  test_key_password_provider_refused,
	    test_key_unknown,	test_key_password_policy,
	};
	const TTest *limits[] = {
	    test_key_id_lengths,
	    test_key_password_lengths,
	};
	Suite *s = suite_create("key");

	FX_TCASE(s, "core", 0, core);
	FX_TCASE(s, "errors", 0, errors);
	FX_TCASE(s, "limits", 0, limits);
	return s;
}

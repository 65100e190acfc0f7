/*
 * check_user.c - users: creation and its defaults, uid allocation, names and
 * fields, lookups, changes, deletion, lock, expiry, listing.
 *
 * The fixture's system files hold root(0), localuser(uid 10500) and the
 * groups root(0), sudo(27), localgrp(10600).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_la.h"

#define PW "correct horse"
#define LUCIA_ALPHA "abcdefghijklmnopqrstuvwxyz0123456789"

static const char *const TABLES[] = { "users", "groups", "group_members",
				      "auth_keys", "sessions", "lockout" };
#define N_TABLES (sizeof(TABLES) / sizeof(TABLES[0]))

/* Row counts of every table, to prove that a refused call wrote nothing. */
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
#define REFUSED(expr, code)                                                              \
	do {                                                                             \
		long c0_[N_TABLES];                                                      \
		la_rc rc_;                                                               \
		counts_get(c0_);                                                         \
		rc_ = (expr);                                                            \
		ck_assert_msg(rc_ == (code), "%s: %s, expected %s (%s)", #expr,          \
			      la_strerror(rc_), la_strerror(code), la_store_errmsg(fx.st)); \
		counts_same(c0_);                                                        \
	} while (0)

#define OK(expr)                                                                          \
	do {                                                                              \
		la_rc rc_ = (expr);                                                       \
		ck_assert_msg(rc_ == LA_OK, "%s: %s (%s)", #expr, la_strerror(rc_),       \
			      la_store_errmsg(fx.st));                                    \
	} while (0)

static struct la_user scratch;

static la_rc add_spec(const struct la_user_spec *spec, const char *pw)
{
	return la_user_add(fx.st, spec, pw, &scratch);
}

static la_rc add_name(const char *name)
{
	struct la_user_spec spec = { .username = name };

	return add_spec(&spec, PW);
}

/* Every field, via the whole struct: the library zero-fills what it returns. */
static void same_user(const struct la_user *a, const struct la_user *b)
{
	ck_assert_str_eq(a->username, b->username);
	ck_assert_mem_eq(a, b, sizeof(*a));
}

/* Collects names from la_name_cb / la_user_cb into "a,b,c". */
struct names {
	char buf[512];
	int stop_after; /* 0 = never */
	int n;
};

static int name_cb(const char *name, uint32_t id, void *ctx)
{
	struct names *ns = ctx;
	size_t len = strlen(ns->buf);

	snprintf(ns->buf + len, sizeof(ns->buf) - len, "%s%s:%u", len ? "," : "", name, id);
	return ++ns->n == ns->stop_after;
}

static int user_cb(const struct la_user *u, void *ctx)
{
	return name_cb(u->username, u->uid, ctx);
}

/* ---- core ----------------------------------------------------------- */

START_TEST(test_user_add_defaults)
{
	struct la_user u, v;
	struct la_group g;
	struct la_key k;

	fx.now = FX_T0 + 42;
	fx_add_user("alice", PW, &u);
	ck_assert_uint_eq(strlen(u.id), LA_USER_ID_LEN);
	ck_assert_uint_eq(strspn(u.id, LUCIA_ALPHA), LA_USER_ID_LEN);
	ck_assert_str_eq(u.username, "alice");
	ck_assert_str_eq(u.email, "");
	ck_assert_uint_eq(u.uid, 10000);
	ck_assert_uint_eq(u.gid, 10000);
	ck_assert_str_eq(u.gecos, "");
	ck_assert_str_eq(u.home, "/home/alice");
	ck_assert_str_eq(u.shell, "/bin/bash");
	ck_assert_int_eq(u.created_ms, FX_T0 + 42);
	ck_assert_int_eq(u.expires_ms, 0);
	ck_assert_int_eq(u.password_changed_ms, FX_T0 + 42);
	ck_assert(!u.locked && !u.must_change && u.has_password);
	ck_assert_uint_eq(u.failures, 0);
	ck_assert_int_eq(u.locked_until_ms, 0);
	/* The user private group, gid = uid, and the key password:alice. */
	OK(la_group_get(fx.st, "alice", &g));
	ck_assert_uint_eq(g.gid, 10000);
	ck_assert(g.user_private);
	OK(la_key_get(fx.st, "password:alice", &k));
	ck_assert_str_eq(k.user_id, u.id);
	ck_assert(k.has_password);
	ck_assert_int_eq(fx_count("users"), 1);
	ck_assert_int_eq(fx_count("groups"), 1);
	ck_assert_int_eq(fx_count("auth_keys"), 1);
	ck_assert_int_eq(fx_count("group_members"), 0);
	/* What add returned is what is stored. */
	OK(la_user_by_name(fx.st, "alice", &v));
	same_user(&u, &v);
	fx_add_user("bob", PW, &v);
	ck_assert_uint_eq(v.uid, 10001);
	ck_assert_uint_eq(v.gid, 10001);
	ck_assert_str_ne(v.id, u.id);
}
END_TEST

START_TEST(test_user_add_without_password)
{
	struct la_user_spec spec = { .username = "nopw" };
	struct la_user u;
	struct la_key k;

	OK(la_user_add(fx.st, &spec, NULL, &u));
	ck_assert(!u.has_password);
	ck_assert_int_eq(u.password_changed_ms, 0);
	ck_assert_int_eq(fx_count("auth_keys"), 0);
	ck_assert_int_eq(la_key_get(fx.st, "password:nopw", &k), LA_E_NOKEY);
}
END_TEST

START_TEST(test_user_add_explicit_fields)
{
	const char *const groups[] = { "ops", "devs", "ops" };
	struct la_user_spec spec = {
		.username = "bob", .email = "Bob@X.org", .uid = 20000,
		.gecos = "Bob Zo\xc3\xab,Room 1,,", .home = "/srv/bob", .shell = "/bin/zsh",
		.groups = groups, .n_groups = 3, .must_change = true,
	};
	struct la_group devs, ops;
	struct la_user u;
	struct names ns = { .n = 0 };

	OK(la_group_add(fx.st, "devs", 0, &devs));
	OK(la_group_add(fx.st, "ops", 0, &ops));
	spec.gid = devs.gid;
	OK(la_user_add(fx.st, &spec, PW, &u));
	ck_assert_str_eq(u.email, "Bob@X.org");
	ck_assert_uint_eq(u.uid, 20000);
	ck_assert_uint_eq(u.gid, devs.gid);
	ck_assert_str_eq(u.gecos, "Bob Zo\xc3\xab,Room 1,,");
	ck_assert_str_eq(u.home, "/srv/bob");
	ck_assert_str_eq(u.shell, "/bin/zsh");
	ck_assert(u.must_change);
	/* An explicit gid means no private group. */
	ck_assert_int_eq(fx_count("groups"), 2);
	OK(la_user_groups(fx.st, "bob", name_cb, &ns));
	ck_assert_str_eq(ns.buf, "devs:10000,ops:10001");
	/* Explicit uid without gid: private group with gid = uid. */
	spec = (struct la_user_spec){ .username = "carol", .uid = 30000 };
	OK(la_user_add(fx.st, &spec, NULL, &u));
	ck_assert_uint_eq(u.gid, 30000);
	OK(la_group_get(fx.st, "carol", &devs));
	ck_assert_uint_eq(devs.gid, 30000);
	/* SQL metacharacters in values are data, not SQL. */
	spec = (struct la_user_spec){ .username = "obrien", .email = "o'brien@x.org",
				      .gecos = "Robert'); DROP TABLE users;--" };
	OK(la_user_add(fx.st, &spec, NULL, &u));
	OK(la_user_by_email(fx.st, "O'Brien@X.org", &u));
	ck_assert_str_eq(u.gecos, "Robert'); DROP TABLE users;--");
	ck_assert_int_eq(fx_count("users"), 3);
}
END_TEST

START_TEST(test_user_lookup)
{
	struct la_user_spec spec = { .username = "bob", .email = "Bob@x.org" };
	struct la_user u, v;

	OK(la_user_add(fx.st, &spec, PW, &u));
	fx_add_user("alice", PW, NULL);
	OK(la_user_by_name(fx.st, "bob", &v));
	same_user(&u, &v);
	OK(la_user_by_id(fx.st, u.id, &v));
	same_user(&u, &v);
	OK(la_user_by_uid(fx.st, u.uid, &v));
	same_user(&u, &v);
	OK(la_user_by_email(fx.st, "Bob@x.org", &v));
	same_user(&u, &v);
	OK(la_user_by_email(fx.st, "bob@X.ORG", &v));
	same_user(&u, &v);
	ck_assert_int_eq(la_user_by_name(fx.st, "nobody", &v), LA_E_NOUSER);
	ck_assert_int_eq(la_user_by_name(fx.st, "Bob", &v), LA_E_NOUSER);
	ck_assert_int_eq(la_user_by_name(fx.st, "localuser", &v), LA_E_NOUSER);
	ck_assert_int_eq(la_user_by_id(fx.st, "aaaaaaaaaaaaaaa", &v), LA_E_NOUSER);
	ck_assert_int_eq(la_user_by_uid(fx.st, 10500, &v), LA_E_NOUSER);
	ck_assert_int_eq(la_user_by_uid(fx.st, 0, &v), LA_E_NOUSER);
	ck_assert_int_eq(la_user_by_email(fx.st, "carol@x.org", &v), LA_E_NOUSER);
	ck_assert_int_eq(la_user_by_email(fx.st, "", &v), LA_E_NOUSER);
}
END_TEST

START_TEST(test_user_mod_fields)
{
	const char *const g1[] = { "ops" }, *const g2[] = { "devs", "ops" };
	struct la_user_spec spec = { .username = "bob", .email = "bob@x.org" };
	struct la_group devs, ops;
	struct la_user u, v;
	struct names ns = { .n = 0 };

	OK(la_user_add(fx.st, &spec, PW, &u));
	OK(la_group_add(fx.st, "devs", 0, &devs));
	OK(la_group_add(fx.st, "ops", 0, &ops));
	/* Only the fields named in set change; the rest of spec is ignored. */
	spec = (struct la_user_spec){ .set = LA_SET_GECOS, .gecos = "Bob B", .shell = "/bin/zsh" };
	OK(la_user_mod(fx.st, "bob", &spec));
	OK(la_user_by_name(fx.st, "bob", &v));
	ck_assert_str_eq(v.gecos, "Bob B");
	ck_assert_str_eq(v.shell, "/bin/bash");
	spec = (struct la_user_spec){ .set = LA_SET_HOME | LA_SET_SHELL, .home = "/srv/b",
				      .shell = "/bin/zsh" };
	OK(la_user_mod(fx.st, "bob", &spec));
	spec = (struct la_user_spec){ .set = LA_SET_GID, .gid = devs.gid };
	OK(la_user_mod(fx.st, "bob", &spec));
	spec = (struct la_user_spec){ .set = LA_SET_MUST_CHANGE, .must_change = true };
	OK(la_user_mod(fx.st, "bob", &spec));
	spec = (struct la_user_spec){ .set = LA_SET_EMAIL, .email = "robert@y.org" };
	OK(la_user_mod(fx.st, "bob", &spec));
	OK(la_user_by_name(fx.st, "bob", &v));
	ck_assert_str_eq(v.home, "/srv/b");
	ck_assert_str_eq(v.shell, "/bin/zsh");
	ck_assert_uint_eq(v.gid, devs.gid);
	ck_assert(v.must_change);
	ck_assert_str_eq(v.email, "robert@y.org");
	ck_assert_str_eq(v.id, u.id);
	ck_assert_uint_eq(v.uid, u.uid);
	ck_assert_int_eq(la_user_by_email(fx.st, "bob@x.org", &v), LA_E_NOUSER);
	OK(la_user_by_email(fx.st, "ROBERT@y.org", &v));
	/* Changing the case of one's own address is not a clash. */
	spec = (struct la_user_spec){ .set = LA_SET_EMAIL, .email = "Robert@Y.org" };
	OK(la_user_mod(fx.st, "bob", &spec));
	/* NULL (or "") clears the address. */
	spec = (struct la_user_spec){ .set = LA_SET_EMAIL | LA_SET_MUST_CHANGE };
	OK(la_user_mod(fx.st, "bob", &spec));
	OK(la_user_by_name(fx.st, "bob", &v));
	ck_assert_str_eq(v.email, "");
	ck_assert(!v.must_change);
	/* Supplementary groups are replaced, not added to. */
	spec = (struct la_user_spec){ .set = LA_SET_GROUPS, .groups = g2, .n_groups = 2 };
	OK(la_user_mod(fx.st, "bob", &spec));
	spec = (struct la_user_spec){ .set = LA_SET_GROUPS, .groups = g1, .n_groups = 1 };
	OK(la_user_mod(fx.st, "bob", &spec));
	OK(la_user_groups(fx.st, "bob", name_cb, &ns));
	ck_assert_str_eq(ns.buf, "ops:10002");
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

START_TEST(test_user_del_everything)
{
	const char *const groups[] = { "devs" };
	struct la_user_spec spec = { .username = "alice", .groups = groups, .n_groups = 1 };
	char token[LA_TOKEN_BUF];
	struct la_session s;
	struct la_user a, b;
	struct la_group g;
	struct la_key k;

	OK(la_group_add(fx.st, "devs", 0, &g));
	OK(la_user_add(fx.st, &spec, PW, &a));
	fx_add_user("bob", PW, &b);
	OK(la_group_add_member(fx.st, "devs", "bob"));
	OK(la_key_add(fx.st, "alice", "github", "12345", NULL, &k));
	OK(la_session_create(fx.st, a.id, NULL, token, &s));
	OK(la_session_create(fx.st, a.id, NULL, token, &s));
	OK(la_session_create(fx.st, b.id, NULL, token, &s));
	ck_assert_int_eq(la_authenticate(fx.st, LA_IDENT_USERNAME, "alice", "wrong pw!", &a),
			 LA_E_AUTH);
	ck_assert_int_eq(fx_count("lockout"), 1);
	ck_assert_int_eq(fx_count("sessions"), 3);
	ck_assert_int_eq(fx_count("auth_keys"), 3);
	ck_assert_int_eq(fx_count("group_members"), 2);
	ck_assert_int_eq(fx_count("groups"), 3);

	OK(la_user_del(fx.st, "alice"));
	ck_assert_int_eq(fx_count("users"), 1);
	ck_assert_int_eq(fx_count("sessions"), 1);
	ck_assert_int_eq(fx_count("auth_keys"), 1);
	ck_assert_int_eq(fx_count("group_members"), 1);
	ck_assert_int_eq(fx_count("lockout"), 0);
	ck_assert_int_eq(fx_count("groups"), 2);
	ck_assert_int_eq(la_group_get(fx.st, "alice", &g), LA_E_NOGROUP);
	ck_assert_int_eq(la_key_get(fx.st, "github:12345", &k), LA_E_NOKEY);
	ck_assert_int_eq(la_user_by_name(fx.st, "alice", &a), LA_E_NOUSER);
	OK(la_key_get(fx.st, "password:bob", &k));
	OK(la_group_get(fx.st, "bob", &g));
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
	/* The name is free again (a new id, a new uid). */
	fx_add_user("alice", PW, &b);
	ck_assert_uint_eq(b.uid, 10003);
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

START_TEST(test_user_lock_unlock_expiry)
{
	struct la_user u;

	fx_add_user("alice", PW, NULL);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(la_authenticate(fx.st, LA_IDENT_USERNAME, "alice", "wrong pw!", &u),
				 LA_E_AUTH);
	OK(la_user_by_name(fx.st, "alice", &u));
	ck_assert_uint_eq(u.failures, 5);
	ck_assert_int_gt(u.locked_until_ms, fx.now);
	/* Locking keeps the counters; unlocking clears both. */
	OK(la_user_set_locked(fx.st, "alice", true));
	OK(la_user_by_name(fx.st, "alice", &u));
	ck_assert(u.locked);
	ck_assert_uint_eq(u.failures, 5);
	OK(la_user_set_locked(fx.st, "alice", false));
	OK(la_user_by_name(fx.st, "alice", &u));
	ck_assert(!u.locked);
	ck_assert_uint_eq(u.failures, 0);
	ck_assert_int_eq(u.locked_until_ms, 0);
	ck_assert_int_eq(fx_count("lockout"), 0);
	OK(la_authenticate(fx.st, LA_IDENT_USERNAME, "alice", PW, &u));
	/* Unlocking a user who is not locked is fine. */
	OK(la_user_set_locked(fx.st, "alice", false));

	OK(la_user_set_expiry(fx.st, "alice", FX_T0 + 86400000));
	OK(la_user_by_name(fx.st, "alice", &u));
	ck_assert_int_eq(u.expires_ms, FX_T0 + 86400000);
	OK(la_user_set_expiry(fx.st, "alice", 0));
	OK(la_user_by_name(fx.st, "alice", &u));
	ck_assert_int_eq(u.expires_ms, 0);
}
END_TEST

START_TEST(test_user_list_and_groups)
{
	struct la_user_spec spec = { .username = "carol", .uid = 10030 };
	struct la_group g;
	struct names ns = { .n = 0 };

	OK(add_spec(&spec, NULL));
	spec = (struct la_user_spec){ .username = "alice", .uid = 10010 };
	OK(add_spec(&spec, NULL));
	spec = (struct la_user_spec){ .username = "bob", .uid = 10020 };
	OK(add_spec(&spec, NULL));
	OK(la_user_list(fx.st, user_cb, &ns));
	ck_assert_str_eq(ns.buf, "alice:10010,bob:10020,carol:10030");
	/* A non-zero return stops the walk and is not an error. */
	ns = (struct names){ .stop_after = 2 };
	OK(la_user_list(fx.st, user_cb, &ns));
	ck_assert_str_eq(ns.buf, "alice:10010,bob:10020");

	OK(la_group_add(fx.st, "zeta", 10100, &g));
	OK(la_group_add(fx.st, "alpha", 10200, &g));
	OK(la_group_add(fx.st, "mid", 10150, &g));
	OK(la_group_add_member(fx.st, "alpha", "bob"));
	OK(la_group_add_member(fx.st, "zeta", "bob"));
	OK(la_group_add_member(fx.st, "mid", "alice"));
	ns = (struct names){ .n = 0 };
	OK(la_user_groups(fx.st, "bob", name_cb, &ns));
	ck_assert_str_eq(ns.buf, "zeta:10100,alpha:10200");
	ns = (struct names){ .n = 0 };
	OK(la_user_groups(fx.st, "carol", name_cb, &ns));
	ck_assert_int_eq(ns.n, 0);
	ck_assert_int_eq(la_user_groups(fx.st, "nobody", name_cb, &ns), LA_E_NOUSER);
}
END_TEST

/* ---- errors --------------------------------------------------------- */

START_TEST(test_user_add_bad_names)
{
	static const char *const bad[] = {
		"", "Alice", "aLice", "1alice", "-alice", "al:ice", "al ice", "al\tice",
		"al.ice", "al/ice", "\xc3\xa5lice", "alice\n", "a'; DROP TABLE users;--",
		"bob'--", "x\"y",
	};
	struct la_user_spec spec = { .username = NULL };

	fx_add_user("keep", PW, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		spec.username = bad[i];
		REFUSED(add_spec(&spec, PW), LA_E_INVAL);
		REFUSED(add_spec(&spec, NULL), LA_E_INVAL);
	}
	spec.username = NULL;
	REFUSED(add_spec(&spec, PW), LA_E_INVAL);
	/* The tables survived the injection attempt. */
	ck_assert_int_eq(fx_count("users"), 1);
	ck_assert_int_eq(fx_count("groups"), 1);
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

START_TEST(test_user_add_taken_names)
{
	struct la_user_spec spec = { .username = "alice" };
	struct la_group g;

	fx_add_user("alice", PW, NULL);
	OK(la_group_add(fx.st, "devs", 0, &g));
	REFUSED(add_spec(&spec, PW), LA_E_USER_EXISTS);
	REFUSED(add_spec(&spec, NULL), LA_E_USER_EXISTS);
	/* A store group of that name would clash with the private group. */
	REFUSED(add_name("devs"), LA_E_USER_EXISTS);
	/* System accounts and system group names. */
	REFUSED(add_name("root"), LA_E_USER_EXISTS);
	REFUSED(add_name("localuser"), LA_E_USER_EXISTS);
	REFUSED(add_name("sudo"), LA_E_USER_EXISTS);
	REFUSED(add_name("localgrp"), LA_E_USER_EXISTS);
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

START_TEST(test_user_add_bad_fields)
{
	static const char *const bad_gecos[] = {
		"a:b", "\xff\xfe", "caf\xc3", "line\nbreak", "tab\there", "bell\x07", "del\x7f",
		"c1\xc2\x85", "\xed\xa0\x80surrogate", "\xc0\xafoverlong",
	};
	static const char *const bad_path[] = { "relative/home", "home", "", "/ho:me",
						"/home/a\nb", "/home/\xff" };
	static const char *const bad_email[] = { "bob", "@x.org", "bob@", "a@b@c.org",
						 "a b@x.org", "<a@x.org>", "a:b@x.org",
						 "a@x.org\n" };
	struct la_user_spec spec = { .username = "bob" };

	for (size_t i = 0; i < sizeof(bad_gecos) / sizeof(bad_gecos[0]); i++) {
		spec = (struct la_user_spec){ .username = "bob", .gecos = bad_gecos[i] };
		REFUSED(add_spec(&spec, PW), LA_E_INVAL);
	}
	for (size_t i = 0; i < sizeof(bad_path) / sizeof(bad_path[0]); i++) {
		spec = (struct la_user_spec){ .username = "bob", .home = bad_path[i] };
		REFUSED(add_spec(&spec, PW), LA_E_INVAL);
		spec = (struct la_user_spec){ .username = "bob", .shell = bad_path[i] };
		REFUSED(add_spec(&spec, PW), LA_E_INVAL);
	}
	for (size_t i = 0; i < sizeof(bad_email) / sizeof(bad_email[0]); i++) {
		spec = (struct la_user_spec){ .username = "bob", .email = bad_email[i] };
		REFUSED(add_spec(&spec, PW), LA_E_INVAL);
	}
	/* A password refused by policy creates nothing either. */
	spec = (struct la_user_spec){ .username = "bob" };
	REFUSED(add_spec(&spec, "short"), LA_E_POLICY);
	REFUSED(add_spec(&spec, "bob"), LA_E_POLICY);
	ck_assert_int_eq(fx_count("users"), 0);
}
END_TEST

START_TEST(test_user_add_conflicts)
{
	const char *const groups[] = { "nosuchgroup" };
	struct la_user_spec spec = { .username = "bob", .email = "Bob@x.org" };
	struct la_group g;

	OK(add_spec(&spec, PW));
	OK(la_group_add(fx.st, "devs", 0, &g));
	/* Email addresses compare case-insensitively. */
	spec = (struct la_user_spec){ .username = "robert", .email = "bob@X.ORG" };
	REFUSED(add_spec(&spec, PW), LA_E_EXISTS);
	spec.email = "Bob@x.org";
	REFUSED(add_spec(&spec, NULL), LA_E_EXISTS);
	/* Taken ids: a store uid, a store gid, a system uid, a system gid. */
	spec = (struct la_user_spec){ .username = "robert", .uid = 10000 };
	REFUSED(add_spec(&spec, PW), LA_E_EXISTS);
	spec.uid = g.gid;
	REFUSED(add_spec(&spec, PW), LA_E_EXISTS);
	spec.uid = 10500;
	REFUSED(add_spec(&spec, PW), LA_E_EXISTS);
	spec.uid = 10600;
	REFUSED(add_spec(&spec, PW), LA_E_EXISTS);
	/* Out of range. */
	spec.uid = 9999;
	REFUSED(add_spec(&spec, PW), LA_E_RANGE);
	spec.uid = 60000;
	REFUSED(add_spec(&spec, PW), LA_E_RANGE);
	spec.uid = 1000;
	REFUSED(add_spec(&spec, NULL), LA_E_RANGE);
	/* Unknown primary or supplementary group: nothing is created. */
	spec = (struct la_user_spec){ .username = "robert", .gid = 12345 };
	REFUSED(add_spec(&spec, PW), LA_E_NOGROUP);
	spec = (struct la_user_spec){ .username = "robert", .groups = groups, .n_groups = 1 };
	REFUSED(add_spec(&spec, PW), LA_E_NOGROUP);
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

START_TEST(test_user_mod_refused)
{
	const char *const groups[] = { "devs", "nosuchgroup" };
	struct la_user_spec spec = { .username = "bob", .email = "bob@x.org" };
	struct la_group g;
	struct la_user before, after;
	struct names ns = { .n = 0 };

	OK(la_group_add(fx.st, "devs", 0, &g));
	OK(la_group_add(fx.st, "ops", 0, &g));
	OK(add_spec(&spec, PW));
	spec = (struct la_user_spec){ .username = "alice", .email = "alice@x.org" };
	OK(add_spec(&spec, PW));
	OK(la_group_add_member(fx.st, "ops", "bob"));
	OK(la_user_by_name(fx.st, "bob", &before));
	spec = (struct la_user_spec){ .set = LA_SET_EMAIL, .email = "ALICE@x.org" };
	REFUSED(la_user_mod(fx.st, "bob", &spec), LA_E_EXISTS);
	spec = (struct la_user_spec){ .set = LA_SET_EMAIL, .email = "not-an-email" };
	REFUSED(la_user_mod(fx.st, "bob", &spec), LA_E_INVAL);
	spec = (struct la_user_spec){ .set = LA_SET_GID, .gid = 12345 };
	REFUSED(la_user_mod(fx.st, "bob", &spec), LA_E_NOGROUP);
	spec = (struct la_user_spec){ .set = LA_SET_GECOS, .gecos = "a:b" };
	REFUSED(la_user_mod(fx.st, "bob", &spec), LA_E_INVAL);
	spec = (struct la_user_spec){ .set = LA_SET_GECOS, .gecos = "\xff" };
	REFUSED(la_user_mod(fx.st, "bob", &spec), LA_E_INVAL);
	spec = (struct la_user_spec){ .set = LA_SET_HOME, .home = "home/bob" };
	REFUSED(la_user_mod(fx.st, "bob", &spec), LA_E_INVAL);
	spec = (struct la_user_spec){ .set = LA_SET_HOME };
	REFUSED(la_user_mod(fx.st, "bob", &spec), LA_E_INVAL);
	spec = (struct la_user_spec){ .set = LA_SET_SHELL, .shell = "/bin/ba:sh" };
	REFUSED(la_user_mod(fx.st, "bob", &spec), LA_E_INVAL);
	/* One bad group name in the list keeps the old memberships. */
	spec = (struct la_user_spec){ .set = LA_SET_GROUPS | LA_SET_GECOS, .gecos = "new",
				      .groups = groups, .n_groups = 2 };
	REFUSED(la_user_mod(fx.st, "bob", &spec), LA_E_NOGROUP);
	spec = (struct la_user_spec){ .set = LA_SET_GECOS, .gecos = "x" };
	REFUSED(la_user_mod(fx.st, "nobody", &spec), LA_E_NOUSER);
	OK(la_user_by_name(fx.st, "bob", &after));
	same_user(&before, &after);
	OK(la_user_groups(fx.st, "bob", name_cb, &ns));
	ck_assert_str_eq(ns.buf, "ops:10001");
}
END_TEST

START_TEST(test_user_unknown)
{
	fx_add_user("alice", PW, NULL);
	REFUSED(la_user_del(fx.st, "nobody"), LA_E_NOUSER);
	REFUSED(la_user_del(fx.st, "localuser"), LA_E_NOUSER);
	REFUSED(la_user_del(fx.st, "Alice"), LA_E_NOUSER);
	REFUSED(la_user_set_locked(fx.st, "nobody", true), LA_E_NOUSER);
	REFUSED(la_user_set_locked(fx.st, "nobody", false), LA_E_NOUSER);
	REFUSED(la_user_set_expiry(fx.st, "nobody", FX_T0), LA_E_NOUSER);
	REFUSED(la_user_set_expiry(fx.st, "alice", -1), LA_E_INVAL);
	OK(la_user_del(fx.st, "alice"));
	REFUSED(la_user_del(fx.st, "alice"), LA_E_NOUSER);
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

/* ---- limits --------------------------------------------------------- */

START_TEST(test_user_name_length)
{
	char name[LA_NAME_MAX + 2];
	struct la_group g;

	memset(name, 'a', sizeof(name));
	name[LA_NAME_MAX] = '\0';
	OK(add_name(name));
	ck_assert_str_eq(scratch.username, name);
	OK(la_group_get(fx.st, name, &g));
	name[0] = 'b';
	name[LA_NAME_MAX] = 'a';
	name[LA_NAME_MAX + 1] = '\0';
	REFUSED(add_name(name), LA_E_INVAL);
	/* Shortest names, '_' start, '-' and digits inside. */
	OK(add_name("a"));
	OK(add_name("_"));
	OK(add_name("_svc-1_x"));
}
END_TEST

START_TEST(test_user_uid_allocation_skips_system)
{
	struct la_user u;

	fx.cfg.uid_min = 10499;
	fx_reopen();
	fx_add_user("a1", PW, &u);
	ck_assert_uint_eq(u.uid, 10499);
	fx_add_user("a2", PW, &u); /* 10500 is localuser's uid */
	ck_assert_uint_eq(u.uid, 10501);
	ck_assert_uint_eq(u.gid, 10501);
	fx.cfg.uid_min = 10599;
	fx_reopen();
	fx_add_user("a3", PW, &u);
	ck_assert_uint_eq(u.uid, 10599);
	fx_add_user("a4", PW, &u); /* 10600 is localgrp's gid */
	ck_assert_uint_eq(u.uid, 10601);
	ck_assert_uint_eq(u.gid, 10601);
}
END_TEST

START_TEST(test_user_uid_never_reused)
{
	struct la_user u;
	struct la_group g;

	fx_add_user("a", PW, &u);
	fx_add_user("b", PW, &u);
	ck_assert_uint_eq(u.uid, 10001);
	OK(la_user_del(fx.st, "b"));
	fx_add_user("c", PW, &u);
	ck_assert_uint_eq(u.uid, 10002);
	OK(la_user_del(fx.st, "a"));
	OK(la_user_del(fx.st, "c"));
	fx_reopen();
	fx_add_user("d", PW, &u);
	ck_assert_uint_eq(u.uid, 10003);
	/* Group gids come from the same sequence. */
	OK(la_group_add(fx.st, "devs", 0, &g));
	ck_assert_uint_eq(g.gid, 10004);
	fx_add_user("e", PW, &u);
	ck_assert_uint_eq(u.uid, 10005);
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

START_TEST(test_user_uid_range_edges)
{
	struct la_user_spec spec = { .username = "x" };

	fx.cfg.uid_min = 30000;
	fx.cfg.uid_max = 30001;
	fx_reopen();
	OK(add_spec(&spec, NULL));
	ck_assert_uint_eq(scratch.uid, 30000);
	spec.username = "y";
	OK(add_spec(&spec, NULL));
	ck_assert_uint_eq(scratch.uid, 30001);
	/* The range is full. */
	REFUSED(add_name("z"), LA_E_RANGE);
	spec = (struct la_user_spec){ .username = "z", .uid = 29999 };
	REFUSED(add_spec(&spec, NULL), LA_E_RANGE);
	spec.uid = 30002;
	REFUSED(add_spec(&spec, NULL), LA_E_RANGE);
	/* Both ends of the default range are usable explicitly. */
	fx.cfg.uid_min = 10000;
	fx.cfg.uid_max = 59999;
	fx_reopen();
	spec = (struct la_user_spec){ .username = "lo", .uid = 10000 };
	OK(add_spec(&spec, NULL));
	spec = (struct la_user_spec){ .username = "hi", .uid = 59999 };
	OK(add_spec(&spec, NULL));
	ck_assert_uint_eq(scratch.gid, 59999);
}
END_TEST

START_TEST(test_user_field_lengths)
{
	char buf[400], email[300];
	struct la_user_spec spec = { .username = "bob" };

	memset(buf, 'g', sizeof(buf));
	buf[LA_FIELD_MAX + 1] = '\0';
	spec.gecos = buf;
	REFUSED(add_spec(&spec, NULL), LA_E_INVAL);
	buf[LA_FIELD_MAX] = '\0';
	OK(add_spec(&spec, NULL));
	ck_assert_str_eq(scratch.gecos, buf);
	buf[0] = '/';
	buf[LA_FIELD_MAX] = 'x';
	spec = (struct la_user_spec){ .username = "carol", .home = buf };
	REFUSED(add_spec(&spec, NULL), LA_E_INVAL);
	buf[LA_FIELD_MAX] = '\0';
	OK(add_spec(&spec, NULL));
	ck_assert_str_eq(scratch.home, buf);
	/* 254 bytes of address are fine, 255 are not. */
	memset(email, 'e', sizeof(email));
	snprintf(email + LA_EMAIL_MAX - 6, 8, "@x.org");
	spec = (struct la_user_spec){ .username = "dave", .email = email };
	ck_assert_uint_eq(strlen(email), LA_EMAIL_MAX);
	OK(add_spec(&spec, NULL));
	memset(email, 'f', sizeof(email));
	snprintf(email + LA_EMAIL_MAX - 5, 8, "@x.org");
	spec = (struct la_user_spec){ .username = "erin", .email = email };
	REFUSED(add_spec(&spec, NULL), LA_E_INVAL);
}
END_TEST

START_TEST(test_user_default_home_and_shell_checked)
{
	struct la_user_spec spec = { .username = "bob" };

	/* A default home longer than a passwd field allows. */
	memset(fx.cfg.home_base, 'h', LA_FIELD_MAX);
	fx.cfg.home_base[0] = '/';
	fx.cfg.home_base[LA_FIELD_MAX - 2] = '\0';
	fx_reopen();
	REFUSED(add_spec(&spec, NULL), LA_E_INVAL);
	/* Defaults from the configuration end up in passwd records too: a ':'
	 * or a newline there must not reach the store. */
	snprintf(fx.cfg.home_base, sizeof(fx.cfg.home_base), "/home");
	snprintf(fx.cfg.default_shell, sizeof(fx.cfg.default_shell), "/bin/ba:sh");
	fx_reopen();
	REFUSED(add_spec(&spec, NULL), LA_E_INVAL);
	snprintf(fx.cfg.default_shell, sizeof(fx.cfg.default_shell), "/bin/bash");
	snprintf(fx.cfg.home_base, sizeof(fx.cfg.home_base), "/ho\nme");
	fx_reopen();
	REFUSED(add_spec(&spec, NULL), LA_E_INVAL);
}
END_TEST

Suite *suite_user(void)
{
	Suite *s = suite_create("user");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, test_user_add_defaults);
	tcase_add_test(tc, test_user_add_without_password);
	tcase_add_test(tc, test_user_add_explicit_fields);
	tcase_add_test(tc, test_user_lookup);
	tcase_add_test(tc, test_user_mod_fields);
	tcase_add_test(tc, test_user_del_everything);
	tcase_add_test(tc, test_user_lock_unlock_expiry);
	tcase_add_test(tc, test_user_list_and_groups);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, test_user_add_bad_names);
	tcase_add_test(tc, test_user_add_taken_names);
	tcase_add_test(tc, test_user_add_bad_fields);
	tcase_add_test(tc, test_user_add_conflicts);
	tcase_add_test(tc, test_user_mod_refused);
	tcase_add_test(tc, test_user_unknown);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, test_user_name_length);
	tcase_add_test(tc, test_user_uid_allocation_skips_system);
	tcase_add_test(tc, test_user_uid_never_reused);
	tcase_add_test(tc, test_user_uid_range_edges);
	tcase_add_test(tc, test_user_field_lengths);
	tcase_add_test(tc, test_user_default_home_and_shell_checked);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * check_user.c - users: creation and its defaults, names and fields,
 * lookups, changes, deletion, lock, expiry, listing.  The limits (name and
 * field lengths, uid allocation) are in check_user_limits.c.
 *
 * The fixture's system files hold root(0), localuser(uid 10500) and the
 * groups root(0), sudo(27), localgrp(10600).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_la.h"

#define LUCIA_ALPHA "abcdefghijklmnopqrstuvwxyz0123456789"

/* The tables a refused call must leave alone (in the order of rows()). */
static const char *const TABLES[] = {
    "users", "groups", "group_members", "auth_keys", "sessions", "auth_failures", NULL};

#define REFUSED(expr, code) REFUSED_IN(TABLES, expr, code)

static la_rc mod(const char *name, struct la_user_spec spec)
{
	return la_user_mod(fx.st, name, &spec);
}

static void rows(long users, long groups, long members, long keys, long sessions, long failures)
{
	long want[] = {users, groups, members, keys, sessions, failures};

	fx_counts_same(TABLES, want);
}

/* Every field, via the whole struct: the library zero-fills what it returns. */
static void same_user(const struct la_user *a, const struct la_user *b)
{
	ck_assert_str_eq(a->username, b->username);
	ck_assert_mem_eq(a, b, sizeof(*a));
}

static int user_cb(const struct la_user *u, void *ctx)
{
	return fx_name_cb(u->username, u->uid, ctx);
}

/* "group:gid,..." of a user's supplementary groups. */
static const char *groups_of(const char *name)
{
	static struct fx_names ns;

	memset(&ns, 0, sizeof(ns));
	OK(la_user_groups(fx.st, name, fx_name_cb, &ns));
	return ns.buf;
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
	ck_assert(u.failures == 0 && u.locked_until_ms == 0);
	/* The user private group, gid = uid, and the key password:alice. */
	OK(la_group_get(fx.st, "alice", &g));
	ck_assert_uint_eq(g.gid, 10000);
	ck_assert(g.user_private);
	OK(la_key_get(fx.st, "password:alice", &k));
	ck_assert_str_eq(k.user_id, u.id);
	ck_assert(k.has_password);
	rows(1, 1, 0, 1, 0, 0);
	/* What add returned is what is stored. */
	v = fx_user("alice");
	same_user(&u, &v);
	fx_add_user("bob", PW, &v);
	ck_assert_uint_eq(v.uid, 10001);
	ck_assert_uint_eq(v.gid, 10001);
	ck_assert_str_ne(v.id, u.id);
	/* Without a password: no key, never changed. */
	OK(fx_addu(SPEC(.username = "nopw"), NULL));
	ck_assert(!fx.added.has_password);
	ck_assert_int_eq(fx.added.password_changed_ms, 0);
	ck_assert_int_eq(la_key_get(fx.st, "password:nopw", &k), LA_E_NOKEY);
	rows(3, 3, 0, 2, 0, 0);
}
END_TEST

START_TEST(test_user_add_explicit_fields)
{
	const char *const groups[] = {"ops", "devs", "ops"};
	struct la_user_spec spec = {.username = "bob",
				    .email = "Bob@X.org",
				    .uid = 20000,
				    .gecos = "Bob Zo\xc3\xab,Room 1,,",
				    .home = "/srv/bob",
				    .shell = "/bin/zsh",
				    .groups = groups,
				    .n_groups = 3,
				    .must_change = true};
	struct la_group devs, g;

	OK(la_group_add(fx.st, "devs", 0, &devs));
	OK(la_group_add(fx.st, "ops", 0, &g));
	spec.gid = devs.gid;
	OK(fx_addu(spec, PW));
	ck_assert_str_eq(fx.added.email, "Bob@X.org");
	ck_assert_uint_eq(fx.added.uid, 20000);
	ck_assert_uint_eq(fx.added.gid, devs.gid);
	ck_assert_str_eq(fx.added.gecos, "Bob Zo\xc3\xab,Room 1,,");
	ck_assert_str_eq(fx.added.home, "/srv/bob");
	ck_assert_str_eq(fx.added.shell, "/bin/zsh");
	ck_assert(fx.added.must_change);
	/* An explicit gid means no private group. */
	ck_assert_int_eq(fx_count("groups"), 2);
	ck_assert_str_eq(groups_of("bob"), "devs:10000,ops:10001");
	/* Explicit uid without gid: private group with gid = uid. */
	OK(fx_addu(SPEC(.username = "carol", .uid = 30000), NULL));
	ck_assert_uint_eq(fx.added.gid, 30000);
	OK(la_group_get(fx.st, "carol", &g));
	ck_assert_uint_eq(g.gid, 30000);
	/* SQL metacharacters in values are data, not SQL. */
	OK(fx_addu(SPEC(.username = "obrien", .email = "o'brien@x.org",
			.gecos = "Robert'); DROP TABLE users;--"),
		   NULL));
	OK(la_user_by_email(fx.st, "O'Brien@X.org", &fx.added));
	ck_assert_str_eq(fx.added.gecos, "Robert'); DROP TABLE users;--");
	ck_assert_int_eq(fx_count("users"), 3);
}
END_TEST

START_TEST(test_user_lookup)
{
	struct la_user u, v;

	OK(fx_addu(SPEC(.username = "bob", .email = "Bob@x.org"), PW));
	u = fx.added;
	fx_add_user("alice", PW, NULL);
	v = fx_user("bob");
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
	const char *const g1[] = {"ops"}, *const g2[] = {"devs", "ops"};
	struct la_group devs, ops;
	struct la_user u, v;

	OK(fx_addu(SPEC(.username = "bob", .email = "bob@x.org"), PW));
	u = fx.added;
	OK(la_group_add(fx.st, "devs", 0, &devs));
	OK(la_group_add(fx.st, "ops", 0, &ops));
	/* Only the fields named in set change; the rest of spec is ignored. */
	OK(mod("bob", SPEC(.set = LA_SET_GECOS, .gecos = "Bob B", .shell = "/bin/zsh")));
	v = fx_user("bob");
	ck_assert_str_eq(v.gecos, "Bob B");
	ck_assert_str_eq(v.shell, "/bin/bash");
	OK(mod("bob",
	       SPEC(.set = LA_SET_HOME | LA_SET_SHELL, .home = "/srv/b", .shell = "/bin/zsh")));
	OK(mod("bob", SPEC(.set = LA_SET_GID, .gid = devs.gid)));
	OK(mod("bob", SPEC(.set = LA_SET_MUST_CHANGE, .must_change = true)));
	OK(mod("bob", SPEC(.set = LA_SET_EMAIL, .email = "robert@y.org")));
	v = fx_user("bob");
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
	OK(mod("bob", SPEC(.set = LA_SET_EMAIL, .email = "Robert@Y.org")));
	/* NULL clears the address. */
	OK(mod("bob", SPEC(.set = LA_SET_EMAIL | LA_SET_MUST_CHANGE)));
	v = fx_user("bob");
	ck_assert_str_eq(v.email, "");
	ck_assert(!v.must_change);
	/* Supplementary groups are replaced, not added to. */
	OK(mod("bob", SPEC(.set = LA_SET_GROUPS, .groups = g2, .n_groups = 2)));
	ck_assert_str_eq(groups_of("bob"), "devs:10001,ops:10002");
	OK(mod("bob", SPEC(.set = LA_SET_GROUPS, .groups = g1, .n_groups = 1)));
	ck_assert_str_eq(groups_of("bob"), "ops:10002");
	OK(mod("bob", SPEC(.set = LA_SET_GROUPS)));
	ck_assert_str_eq(groups_of("bob"), "");
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

START_TEST(test_user_del_everything)
{
	const char *const groups[] = {"devs"};
	char token[LA_TOKEN_BUF];
	struct la_session s;
	struct la_user a, b;
	struct la_group g;
	struct la_key k;

	OK(la_group_add(fx.st, "devs", 0, &g));
	OK(fx_addu(SPEC(.username = "alice", .groups = groups, .n_groups = 1), PW));
	a = fx.added;
	fx_add_user("bob", PW, &b);
	OK(la_group_add_member(fx.st, "devs", "bob"));
	OK(la_key_add(fx.st, "alice", "github", "12345", NULL, &k));
	OK(la_session_create(fx.st, a.id, NULL, token, &s));
	OK(la_session_create(fx.st, a.id, NULL, token, &s));
	OK(la_session_create(fx.st, b.id, NULL, token, &s));
	ck_assert_int_eq(la_authenticate(fx.st, LA_IDENT_USERNAME, "alice", "wrong pw!", &a),
			 LA_E_AUTH);
	rows(2, 3, 2, 3, 3, 1);
	OK(la_user_del(fx.st, "alice"));
	rows(1, 2, 1, 1, 1, 0);
	ck_assert_int_eq(la_group_get(fx.st, "alice", &g), LA_E_NOGROUP);
	ck_assert_int_eq(la_key_get(fx.st, "github:12345", &k), LA_E_NOKEY);
	ck_assert_int_eq(la_user_by_name(fx.st, "alice", &a), LA_E_NOUSER);
	/* Bob keeps everything. */
	OK(la_key_get(fx.st, "password:bob", &k));
	OK(la_group_get(fx.st, "bob", &g));
	ck_assert_str_eq(groups_of("bob"), "devs:10000");
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
	/* The name is free again (a new id, a new uid). */
	fx_add_user("alice", PW, &b);
	ck_assert_uint_eq(b.uid, 10003);
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

START_TEST(test_user_del_private_group_after_gid_change)
{
	struct la_group g;

	OK(fx_add_name("bob"));
	OK(la_group_add(fx.st, "devs", 0, &g));
	OK(mod("bob", SPEC(.set = LA_SET_GID, .gid = g.gid)));
	/* MUST 3: the private group goes with its user even when it is no
	 * longer the user's primary group... */
	OK(la_user_del(fx.st, "bob"));
	ck_assert_int_eq(la_group_get(fx.st, "bob", &g), LA_E_NOGROUP);
	rows(0, 1, 0, 0, 0, 0);
	/* ...so that the name can be used again. */
	OK(fx_add_name("bob"));
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

START_TEST(test_user_lock_unlock_expiry)
{
	struct la_user u;

	fx_add_user("alice", PW, NULL);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(
		    la_authenticate(fx.st, LA_IDENT_USERNAME, "alice", "wrong pw!", &u), LA_E_AUTH);
	u = fx_user("alice");
	ck_assert_uint_eq(u.failures, 5);
	ck_assert_int_gt(u.locked_until_ms, fx.now);
	/* Locking keeps the counters; unlocking clears both. */
	OK(la_user_set_locked(fx.st, "alice", true));
	u = fx_user("alice");
	ck_assert(u.locked);
	ck_assert_uint_eq(u.failures, 5);
	OK(la_user_set_locked(fx.st, "alice", false));
	u = fx_user("alice");
	ck_assert(!u.locked);
	ck_assert_uint_eq(u.failures, 0);
	ck_assert_int_eq(u.locked_until_ms, 0);
	ck_assert_int_eq(fx_count("lockout"), 0);
	OK(la_authenticate(fx.st, LA_IDENT_USERNAME, "alice", PW, &u));
	/* Unlocking a user who is not locked is fine. */
	OK(la_user_set_locked(fx.st, "alice", false));
	OK(la_user_set_expiry(fx.st, "alice", FX_T0 + 86400000));
	ck_assert_int_eq(fx_user("alice").expires_ms, FX_T0 + 86400000);
	OK(la_user_set_expiry(fx.st, "alice", 0));
	ck_assert_int_eq(fx_user("alice").expires_ms, 0);
}
END_TEST

START_TEST(test_user_list_and_groups)
{
	struct fx_names ns = {.n = 0};
	struct la_group g;

	OK(fx_addu(SPEC(.username = "carol", .uid = 10030), NULL));
	OK(fx_addu(SPEC(.username = "alice", .uid = 10010), NULL));
	OK(fx_addu(SPEC(.username = "bob", .uid = 10020), NULL));
	OK(la_user_list(fx.st, user_cb, &ns));
	ck_assert_str_eq(ns.buf, "alice:10010,bob:10020,carol:10030");
	/* A non-zero return stops the walk and is not an error. */
	ns = (struct fx_names){.stop_after = 2};
	OK(la_user_list(fx.st, user_cb, &ns));
	ck_assert_str_eq(ns.buf, "alice:10010,bob:10020");
	/* Supplementary groups, by gid. */
	OK(la_group_add(fx.st, "zeta", 10100, &g));
	OK(la_group_add(fx.st, "alpha", 10200, &g));
	OK(la_group_add(fx.st, "mid", 10150, &g));
	OK(la_group_add_member(fx.st, "alpha", "bob"));
	OK(la_group_add_member(fx.st, "zeta", "bob"));
	OK(la_group_add_member(fx.st, "mid", "alice"));
	ck_assert_str_eq(groups_of("bob"), "zeta:10100,alpha:10200");
	ck_assert_str_eq(groups_of("carol"), "");
	ck_assert_int_eq(la_user_groups(fx.st, "nobody", fx_name_cb, &ns), LA_E_NOUSER);
}
END_TEST

/* ---- errors --------------------------------------------------------- */

START_TEST(test_user_add_bad_names)
{
	static const char *const bad[] = {"",
					  "Alice",
					  "aLice",
					  "1alice",
					  "-alice",
					  "al:ice",
					  "al ice",
					  "al\tice",
					  "al.ice",
					  "al/ice",
					  "\xc3\xa5lice",
					  "alice\n",
					  "a'; DROP TABLE users;--",
					  "bob'--",
					  "x\"y"};

	fx_add_user("keep", PW, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		REFUSED(fx_addu(SPEC(.username = bad[i]), PW), LA_E_INVAL);
		REFUSED(fx_addu(SPEC(.username = bad[i]), NULL), LA_E_INVAL);
	}
	REFUSED(fx_addu(SPEC(.username = NULL), PW), LA_E_INVAL);
	/* The tables survived the injection attempt. */
	rows(1, 1, 0, 1, 0, 0);
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

START_TEST(test_user_add_taken_names)
{
	struct la_group g;

	fx_add_user("alice", PW, NULL);
	OK(la_group_add(fx.st, "devs", 0, &g));
	REFUSED(fx_add_name("alice"), LA_E_USER_EXISTS);
	REFUSED(fx_addu(SPEC(.username = "alice"), NULL), LA_E_USER_EXISTS);
	/* A store group of that name would clash with the private group. */
	REFUSED(fx_add_name("devs"), LA_E_USER_EXISTS);
	/* System accounts, and system group names (the private group). */
	REFUSED(fx_add_name("root"), LA_E_USER_EXISTS);
	REFUSED(fx_add_name("localuser"), LA_E_USER_EXISTS);
	REFUSED(fx_add_name("sudo"), LA_E_USER_EXISTS);
	REFUSED(fx_add_name("localgrp"), LA_E_USER_EXISTS);
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

START_TEST(test_user_add_bad_fields)
{
	static const char *const bad_gecos[] = {
	    "a:b",	"\xff\xfe", "caf\xc3",	  "line\nbreak",	   "tab\there",
	    "bell\x07", "del\x7f",  "c1\xc2\x85", "\xed\xa0\x80surrogate", "\xc0\xafoverlong"};
	static const char *const bad_path[] = {"relative/home", "home",	      "",
					       "/ho:me",	"/home/a\nb", "/home/\xff"};
	static const char *const bad_email[] = {"bob",	     "@x.org",	  "bob@",      "a@b@c.org",
						"a b@x.org", "<a@x.org>", "a:b@x.org", "a@x.org\n"};
	size_t i;

	for (i = 0; i < sizeof(bad_gecos) / sizeof(bad_gecos[0]); i++)
		REFUSED(fx_addu(SPEC(.username = "bob", .gecos = bad_gecos[i]), PW), LA_E_INVAL);
	for (i = 0; i < sizeof(bad_path) / sizeof(bad_path[0]); i++) {
		REFUSED(fx_addu(SPEC(.username = "bob", .home = bad_path[i]), PW), LA_E_INVAL);
		REFUSED(fx_addu(SPEC(.username = "bob", .shell = bad_path[i]), PW), LA_E_INVAL);
	}
	for (i = 0; i < sizeof(bad_email) / sizeof(bad_email[0]); i++)
		REFUSED(fx_addu(SPEC(.username = "bob", .email = bad_email[i]), PW), LA_E_INVAL);
	/* A password refused by policy creates nothing either. */
	REFUSED(fx_addu(SPEC(.username = "bob"), "short"), LA_E_POLICY);
	REFUSED(fx_addu(SPEC(.username = "bob"), "bob"), LA_E_POLICY);
	ck_assert_int_eq(fx_count("users"), 0);
}
END_TEST

START_TEST(test_user_add_conflicts)
{
	const char *const groups[] = {"nosuchgroup"};
	static const uint32_t taken[] = {10000, 10001, 10500, 10600};
	static const uint32_t out[] = {9999, 60000, 1000, 4294967295u};
	struct la_group g;

	OK(fx_addu(SPEC(.username = "bob", .email = "Bob@x.org"), PW));
	OK(la_group_add(fx.st, "devs", 0, &g));
	/* Email addresses compare case-insensitively. */
	REFUSED(fx_addu(SPEC(.username = "robert", .email = "bob@X.ORG"), PW), LA_E_EXISTS);
	REFUSED(fx_addu(SPEC(.username = "robert", .email = "Bob@x.org"), NULL), LA_E_EXISTS);
	/* Taken ids: a store uid, a store gid, a system uid, a system gid. */
	for (size_t i = 0; i < 4; i++)
		REFUSED(fx_addu(SPEC(.username = "robert", .uid = taken[i]), PW), LA_E_EXISTS);
	for (size_t i = 0; i < 4; i++)
		REFUSED(fx_addu(SPEC(.username = "robert", .uid = out[i]), PW), LA_E_RANGE);
	/* Unknown primary or supplementary group: nothing is created. */
	REFUSED(fx_addu(SPEC(.username = "robert", .gid = 12345), PW), LA_E_NOGROUP);
	REFUSED(fx_addu(SPEC(.username = "robert", .groups = groups, .n_groups = 1), PW),
		LA_E_NOGROUP);
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

START_TEST(test_user_mod_refused)
{
	const char *const groups[] = {"devs", "nosuchgroup"};
	struct la_user before, after;
	struct la_group g;

	OK(la_group_add(fx.st, "devs", 0, &g));
	OK(la_group_add(fx.st, "ops", 0, &g));
	OK(fx_addu(SPEC(.username = "bob", .email = "bob@x.org"), PW));
	OK(fx_addu(SPEC(.username = "alice", .email = "alice@x.org"), PW));
	OK(la_group_add_member(fx.st, "ops", "bob"));
	before = fx_user("bob");
	REFUSED(mod("bob", SPEC(.set = LA_SET_EMAIL, .email = "ALICE@x.org")), LA_E_EXISTS);
	REFUSED(mod("bob", SPEC(.set = LA_SET_EMAIL, .email = "not-an-email")), LA_E_INVAL);
	REFUSED(mod("bob", SPEC(.set = LA_SET_GID, .gid = 12345)), LA_E_NOGROUP);
	REFUSED(mod("bob", SPEC(.set = LA_SET_GECOS, .gecos = "a:b")), LA_E_INVAL);
	REFUSED(mod("bob", SPEC(.set = LA_SET_GECOS, .gecos = "\xff")), LA_E_INVAL);
	REFUSED(mod("bob", SPEC(.set = LA_SET_HOME, .home = "home/bob")), LA_E_INVAL);
	REFUSED(mod("bob", SPEC(.set = LA_SET_HOME)), LA_E_INVAL);
	REFUSED(mod("bob", SPEC(.set = LA_SET_SHELL, .shell = "/bin/ba:sh")), LA_E_INVAL);
	/* One bad group name in the list keeps the old memberships. */
	REFUSED(mod("bob", SPEC(.set = LA_SET_GROUPS | LA_SET_GECOS, .gecos = "new",
				.groups = groups, .n_groups = 2)),
		LA_E_NOGROUP);
	REFUSED(mod("nobody", SPEC(.set = LA_SET_GECOS, .gecos = "x")), LA_E_NOUSER);
	after = fx_user("bob");
	same_user(&before, &after);
	ck_assert_str_eq(groups_of("bob"), "ops:10001");
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

Suite *suite_user(void)
{
	const TTest *core[] = {
	    test_user_add_defaults,
	    test_user_add_explicit_fields,
	    test_user_lookup,
	    test_user_mod_fields,
	    test_user_del_everything,
	    test_user_del_private_group_after_gid_change,
	    test_user_lock_unlock_expiry,
	    test_user_list_and_groups,
	};
	const TTest *errors[] = {
	    test_user_add_bad_names, test_user_add_taken_names, test_user_add_bad_fields,
	    test_user_add_conflicts, test_user_mod_refused,	test_user_unknown,
	};
	Suite *s = suite_create("user");

	FX_TCASE(s, "core", 0, core);
	FX_TCASE(s, "errors", 0, errors);
	return s;
}

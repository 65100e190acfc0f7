/*
 * check_group.c - groups: gid allocation, merge groups, deletion and
 * memberships.
 *
 * The fixture's system group file holds root(0), sudo(27), localgrp(10600);
 * its passwd file localuser(uid 10500).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "check_la.h"

/* The tables a refused call must leave alone. */
static const char *const TABLES[] = {"users", "groups", "group_members", "auth_keys", NULL};

#define REFUSED(expr, code) REFUSED_IN(TABLES, expr, code)

static struct la_group scratch;

static la_rc gadd(const char *name, uint32_t gid)
{
	return la_group_add(fx.st, name, gid, &scratch);
}

static int group_cb(const struct la_group *g, void *ctx)
{
	char name[LA_NAME_MAX + 3];

	snprintf(name, sizeof(name), "%s%s", g->name, g->user_private ? "*" : "");
	return fx_name_cb(name, g->gid, ctx);
}

static const char *members(const char *group)
{
	static struct fx_names ns;

	memset(&ns, 0, sizeof(ns));
	OK(la_group_members(fx.st, group, fx_name_cb, &ns));
	return ns.buf;
}

/* ---- core ----------------------------------------------------------- */

START_TEST(test_group_add_allocated)
{
	struct la_group g, h;

	OK(la_group_add(fx.st, "devs", 0, &g));
	ck_assert_uint_eq(g.gid, 10000);
	ck_assert_str_eq(g.name, "devs");
	ck_assert(!g.user_private);
	OK(la_group_get(fx.st, "devs", &h));
	ck_assert_mem_eq(&g, &h, sizeof(g));
	OK(la_group_add(fx.st, "ops", 0, &g));
	ck_assert_uint_eq(g.gid, 10001);
	/* Users and groups draw from one sequence of ids. */
	fx_add_user("alice", PW, NULL);
	OK(la_group_add(fx.st, "qa", 0, &g));
	ck_assert_uint_eq(g.gid, 10003);
	ck_assert_int_eq(fx_count("groups"), 4);
}
END_TEST

START_TEST(test_group_add_explicit_gid)
{
	struct la_group g;
	struct la_user u;

	OK(la_group_add(fx.st, "web", 12345, &g));
	ck_assert_uint_eq(g.gid, 12345);
	OK(la_group_get(fx.st, "web", &g));
	ck_assert_uint_eq(g.gid, 12345);
	/* An explicit gid moves the allocation past it. */
	fx_add_user("alice", PW, &u);
	ck_assert_uint_eq(u.uid, 12346);
}
END_TEST

START_TEST(test_group_add_merge)
{
	struct la_group g;
	struct la_user u;

	/* A local group's name is accepted with the local gid, outside the range. */
	OK(la_group_add(fx.st, "sudo", 0, &g));
	ck_assert_uint_eq(g.gid, 27);
	ck_assert(!g.user_private);
	fx_add_user("alice", PW, &u);
	ck_assert_uint_eq(u.uid, 10000);
	OK(la_group_add_member(fx.st, "sudo", "alice"));
	ck_assert_str_eq(members("sudo"), "alice:10000");
	OK(la_group_del(fx.st, "sudo"));
	OK(la_group_add(fx.st, "sudo", 27, &g));
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

START_TEST(test_group_list)
{
	struct fx_names ns = {.n = 0};

	OK(gadd("zeta", 20000));
	fx_add_user("alice", PW, NULL);
	OK(gadd("sudo", 0));
	OK(gadd("alpha", 15000));
	OK(la_group_list(fx.st, group_cb, &ns));
	/* Ordered by gid; '*' marks a user private group. */
	ck_assert_str_eq(ns.buf, "sudo:27,alpha:15000,zeta:20000,alice*:20001");
}
END_TEST

START_TEST(test_group_members)
{
	struct fx_names ns = {.n = 0};

	fx_add_user("carol", PW, NULL);
	fx_add_user("alice", PW, NULL);
	fx_add_user("bob", PW, NULL);
	OK(gadd("devs", 0));
	ck_assert_str_eq(members("devs"), "");
	OK(la_group_add_member(fx.st, "devs", "bob"));
	OK(la_group_add_member(fx.st, "devs", "carol"));
	OK(la_group_add_member(fx.st, "devs", "alice"));
	/* Ordered by uid. */
	ck_assert_str_eq(members("devs"), "carol:10000,alice:10001,bob:10002");
	/* A private group may have other members too. */
	OK(la_group_add_member(fx.st, "alice", "bob"));
	ck_assert_str_eq(members("alice"), "bob:10002");
	OK(la_user_groups(fx.st, "bob", fx_name_cb, &ns));
	ck_assert_str_eq(ns.buf, "alice:10001,devs:10003");
	OK(la_group_remove_member(fx.st, "devs", "carol"));
	ck_assert_str_eq(members("devs"), "alice:10001,bob:10002");
	ck_assert_int_eq(fx_count("group_members"), 3);
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

START_TEST(test_group_del)
{
	struct la_user_spec spec = {.username = "dave"};
	struct la_group g;
	struct la_user u;

	fx_add_user("alice", PW, NULL);
	fx_add_user("bob", PW, NULL);
	OK(gadd("devs", 0));
	OK(gadd("ops", 0));
	OK(la_group_add_member(fx.st, "devs", "alice"));
	OK(la_group_add_member(fx.st, "devs", "bob"));
	OK(la_group_add_member(fx.st, "ops", "bob"));
	OK(la_group_del(fx.st, "devs"));
	ck_assert_int_eq(la_group_get(fx.st, "devs", &g), LA_E_NOGROUP);
	ck_assert_int_eq(fx_count("group_members"), 1);
	ck_assert_int_eq(fx_count("users"), 2);
	ck_assert_str_eq(members("ops"), "bob:10001");
	/* A deleted group's gid is not handed out again. */
	OK(gadd("devs", 0));
	ck_assert_uint_eq(scratch.gid, 10004);
	spec.gid = scratch.gid;
	OK(la_user_add(fx.st, &spec, NULL, &u));
	ck_assert_int_eq(la_group_del(fx.st, "devs"), LA_E_INVAL);
	/* A private group no longer anybody's primary group can go. */
	spec = (struct la_user_spec){.set = LA_SET_GID, .gid = 10003};
	OK(la_user_mod(fx.st, "alice", &spec));
	OK(la_group_del(fx.st, "alice"));
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

/* ---- errors --------------------------------------------------------- */

START_TEST(test_group_add_taken)
{
	fx_add_user("alice", PW, NULL);
	OK(gadd("devs", 0));
	REFUSED(gadd("devs", 0), LA_E_GROUP_EXISTS);
	REFUSED(gadd("devs", 20000), LA_E_GROUP_EXISTS);
	REFUSED(gadd("alice", 0), LA_E_GROUP_EXISTS);
	OK(gadd("sudo", 0));
	REFUSED(gadd("sudo", 0), LA_E_GROUP_EXISTS);
	/* Taken gids: a store group, a user (uid and private group), a system
	 * group, a system user. */
	REFUSED(gadd("ops", 10001), LA_E_EXISTS);
	REFUSED(gadd("ops", 10000), LA_E_EXISTS);
	REFUSED(gadd("ops", 10600), LA_E_EXISTS);
	REFUSED(gadd("ops", 10500), LA_E_EXISTS);
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

START_TEST(test_group_add_merge_wrong_gid)
{
	REFUSED(gadd("sudo", 28), LA_E_EXISTS);
	REFUSED(gadd("sudo", 10000), LA_E_EXISTS);
	REFUSED(gadd("localgrp", 10601), LA_E_EXISTS);
	ck_assert_int_eq(fx_count("groups"), 0);
}
END_TEST

START_TEST(test_group_add_bad)
{
	static const char *const bad[] = {"",	   "Devs",	  "1devs",
					  "-devs", "de:vs",	  "de vs",
					  "de.vs", "d\xc3\xa9vs", "x'; DROP TABLE groups;--"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		REFUSED(gadd(bad[i], 0), LA_E_INVAL);
	REFUSED(gadd(NULL, 0), LA_E_INVAL);
	/* Out of range, and not a local group. */
	REFUSED(gadd("devs", 9999), LA_E_RANGE);
	REFUSED(gadd("devs", 60000), LA_E_RANGE);
	REFUSED(gadd("devs", 27), LA_E_RANGE);
	REFUSED(gadd("devs", 4294967295u), LA_E_RANGE);
	ck_assert_int_eq(fx_count("groups"), 0);
}
END_TEST

START_TEST(test_group_del_refused)
{
	struct la_user_spec spec = {.username = "bob"};
	struct la_user u;

	fx_add_user("alice", PW, NULL);
	OK(gadd("devs", 0));
	spec.gid = scratch.gid;
	OK(la_user_add(fx.st, &spec, NULL, &u));
	OK(la_group_add_member(fx.st, "devs", "alice"));
	/* Primary group of a user: its own private group, or another's. */
	REFUSED(la_group_del(fx.st, "alice"), LA_E_INVAL);
	REFUSED(la_group_del(fx.st, "devs"), LA_E_INVAL);
	REFUSED(la_group_del(fx.st, "nosuch"), LA_E_NOGROUP);
	REFUSED(la_group_del(fx.st, "sudo"), LA_E_NOGROUP);
	ck_assert_str_eq(members("devs"), "alice:10000");
}
END_TEST

START_TEST(test_group_member_errors)
{
	struct fx_names ns = {.n = 0};

	fx_add_user("alice", PW, NULL);
	OK(gadd("devs", 0));
	OK(la_group_add_member(fx.st, "devs", "alice"));
	REFUSED(la_group_add_member(fx.st, "devs", "alice"), LA_E_EXISTS);
	REFUSED(la_group_remove_member(fx.st, "alice", "alice"), LA_E_NOTFOUND);
	REFUSED(la_group_add_member(fx.st, "nosuch", "alice"), LA_E_NOGROUP);
	REFUSED(la_group_remove_member(fx.st, "nosuch", "alice"), LA_E_NOGROUP);
	REFUSED(la_group_add_member(fx.st, "devs", "nobody"), LA_E_NOUSER);
	REFUSED(la_group_remove_member(fx.st, "devs", "nobody"), LA_E_NOUSER);
	/* System accounts are not members of the store. */
	REFUSED(la_group_add_member(fx.st, "devs", "localuser"), LA_E_NOUSER);
	REFUSED(la_group_add_member(fx.st, "sudo", "alice"), LA_E_NOGROUP);
	ck_assert_int_eq(la_group_members(fx.st, "nosuch", fx_name_cb, &ns), LA_E_NOGROUP);
	ck_assert_int_eq(ns.n, 0);
	OK(la_group_remove_member(fx.st, "devs", "alice"));
	REFUSED(la_group_remove_member(fx.st, "devs", "alice"), LA_E_NOTFOUND);
	ck_assert_int_eq(fx_count("group_members"), 0);
}
END_TEST

/* ---- limits --------------------------------------------------------- */

START_TEST(test_group_name_length)
{
	char name[LA_NAME_MAX + 2];

	memset(name, 'g', sizeof(name));
	name[LA_NAME_MAX + 1] = '\0';
	REFUSED(gadd(name, 0), LA_E_INVAL);
	name[LA_NAME_MAX] = '\0';
	OK(gadd(name, 0));
	ck_assert_str_eq(scratch.name, name);
	OK(gadd("_", 0));
	OK(gadd("g-1_x", 0));
}
END_TEST

START_TEST(test_group_gid_range_edges)
{
	fx.cfg.uid_min = 10599;
	fx.cfg.uid_max = 10601;
	fx_reopen();
	/* 10600 belongs to localgrp: allocation skips it. */
	OK(gadd("a", 0));
	ck_assert_uint_eq(scratch.gid, 10599);
	OK(gadd("b", 0));
	ck_assert_uint_eq(scratch.gid, 10601);
	REFUSED(gadd("c", 0), LA_E_RANGE);
	REFUSED(gadd("c", 10602), LA_E_RANGE);
	REFUSED(gadd("c", 10598), LA_E_RANGE);
	/* Merge groups are not bound to the range or to the free ids. */
	OK(gadd("sudo", 0));
	OK(gadd("localgrp", 0));
	ck_assert_uint_eq(scratch.gid, 10600);
	/* Both ends of the default range. */
	fx.cfg.uid_min = 10000;
	fx.cfg.uid_max = 59999;
	fx_reopen();
	OK(gadd("lo", 10000));
	OK(gadd("hi", 59999));
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

Suite *suite_group(void)
{
	const TTest *core[] = {
	    test_group_add_allocated, test_group_add_explicit_gid, test_group_add_merge,
	    test_group_list,	      test_group_members,	   test_group_del,
	};
	const TTest *errors[] = {
	    test_group_add_taken,   test_group_add_merge_wrong_gid, test_group_add_bad,
	    test_group_del_refused, test_group_member_errors,
	};
	const TTest *limits[] = {
	    test_group_name_length,
	    test_group_gid_range_edges,
	};
	Suite *s = suite_create("group");

	FX_TCASE(s, "core", 0, core);
	FX_TCASE(s, "errors", 0, errors);
	FX_TCASE(s, "limits", 0, limits);
	return s;
}

/*
 * check_user_limits.c - users at their limits: name and field lengths, uid
 * allocation (range edges, system ids skipped, ids never reused), long
 * lines in the system account files, the configured defaults.
 *
 * The fixture's system files hold root(0), localuser(uid 10500) and the
 * groups root(0), sudo(27), localgrp(10600).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "check_la.h"

/* The tables a refused call must leave alone (as in check_user.c). */
static const char *const TABLES[] = {
    "users", "groups", "group_members", "auth_keys", "sessions", "auth_failures", NULL};

#define REFUSED(expr, code) REFUSED_IN(TABLES, expr, code)

START_TEST(test_user_name_length)
{
	char name[LA_NAME_MAX + 2];
	struct la_group g;

	memset(name, 'a', sizeof(name));
	name[LA_NAME_MAX] = '\0';
	OK(fx_add_name(name));
	ck_assert_str_eq(fx.added.username, name);
	OK(la_group_get(fx.st, name, &g));
	name[0] = 'b';
	name[LA_NAME_MAX] = 'a';
	name[LA_NAME_MAX + 1] = '\0';
	REFUSED(fx_add_name(name), LA_E_INVAL);
	/* Shortest names, '_' start, '-' and digits inside. */
	OK(fx_add_name("a"));
	OK(fx_add_name("_"));
	OK(fx_add_name("_svc-1_x"));
}
END_TEST

START_TEST(test_user_uid_allocation_skips_system)
{
	fx.cfg.uid_min = 10499;
	fx_reopen();
	OK(fx_add_name("a1"));
	ck_assert_uint_eq(fx.added.uid, 10499);
	OK(fx_add_name("a2")); /* 10500 is localuser's uid */
	ck_assert_uint_eq(fx.added.uid, 10501);
	ck_assert_uint_eq(fx.added.gid, 10501);
	fx.cfg.uid_min = 10599;
	fx_reopen();
	OK(fx_add_name("a3"));
	ck_assert_uint_eq(fx.added.uid, 10599);
	OK(fx_add_name("a4")); /* 10600 is localgrp's gid */
	ck_assert_uint_eq(fx.added.uid, 10601);
	ck_assert_uint_eq(fx.added.gid, 10601);
}
END_TEST

START_TEST(test_user_uid_never_reused)
{
	struct la_group g;

	OK(fx_add_name("a"));
	OK(fx_add_name("b"));
	ck_assert_uint_eq(fx.added.uid, 10001);
	OK(la_user_del(fx.st, "b"));
	OK(fx_add_name("c"));
	ck_assert_uint_eq(fx.added.uid, 10002);
	OK(la_user_del(fx.st, "a"));
	OK(la_user_del(fx.st, "c"));
	fx_reopen();
	OK(fx_add_name("d"));
	ck_assert_uint_eq(fx.added.uid, 10003);
	/* Group gids come from the same sequence. */
	OK(la_group_add(fx.st, "devs", 0, &g));
	ck_assert_uint_eq(g.gid, 10004);
	OK(fx_add_name("e"));
	ck_assert_uint_eq(fx.added.uid, 10005);
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

START_TEST(test_user_uid_range_edges)
{
	fx.cfg.uid_min = 30000;
	fx.cfg.uid_max = 30001;
	fx_reopen();
	OK(fx_add_name("x"));
	ck_assert_uint_eq(fx.added.uid, 30000);
	OK(fx_add_name("y"));
	ck_assert_uint_eq(fx.added.uid, 30001);
	/* The range is full. */
	REFUSED(fx_add_name("z"), LA_E_RANGE);
	REFUSED(fx_addu(SPEC(.username = "z", .uid = 29999), NULL), LA_E_RANGE);
	REFUSED(fx_addu(SPEC(.username = "z", .uid = 30002), NULL), LA_E_RANGE);
	/* Both ends of the default range are usable explicitly. */
	fx.cfg.uid_min = 10000;
	fx.cfg.uid_max = 59999;
	fx_reopen();
	OK(fx_addu(SPEC(.username = "lo", .uid = 10000), NULL));
	OK(fx_addu(SPEC(.username = "hi", .uid = 59999), NULL));
	ck_assert_uint_eq(fx.added.gid, 59999);
}
END_TEST

START_TEST(test_user_field_lengths)
{
	char buf[400], email[300];

	memset(buf, 'g', sizeof(buf));
	buf[LA_FIELD_MAX + 1] = '\0';
	REFUSED(fx_addu(SPEC(.username = "bob", .gecos = buf), NULL), LA_E_INVAL);
	buf[LA_FIELD_MAX] = '\0';
	OK(fx_addu(SPEC(.username = "bob", .gecos = buf), NULL));
	ck_assert_str_eq(fx.added.gecos, buf);
	buf[0] = '/';
	buf[LA_FIELD_MAX] = 'x';
	REFUSED(fx_addu(SPEC(.username = "carol", .home = buf), NULL), LA_E_INVAL);
	buf[LA_FIELD_MAX] = '\0';
	OK(fx_addu(SPEC(.username = "carol", .home = buf), NULL));
	ck_assert_str_eq(fx.added.home, buf);
	/* 254 bytes of address are fine, 255 are not. */
	memset(email, 'e', sizeof(email));
	snprintf(email + LA_EMAIL_MAX - 6, 8, "@x.org");
	ck_assert_uint_eq(strlen(email), LA_EMAIL_MAX);
	OK(fx_addu(SPEC(.username = "dave", .email = email), NULL));
	memset(email, 'f', sizeof(email));
	snprintf(email + LA_EMAIL_MAX - 5, 8, "@x.org");
	REFUSED(fx_addu(SPEC(.username = "erin", .email = email), NULL), LA_E_INVAL);
}
END_TEST

START_TEST(test_user_system_file_long_line)
{
	FILE *f = fopen(fx.cfg.group_file, "w");

	/* A group line longer than any fixed buffer must not hide the groups
	 * after it (nor make them look absent). */
	ck_assert_ptr_nonnull(f);
	fputs("root:x:0:\nbig:x:20000:", f);
	for (int i = 0; i < 3000; i++)
		fprintf(f, "%smember%d", i ? "," : "", i);
	fputs("\nlatergrp:x:10700:\n", f);
	ck_assert_int_eq(fclose(f), 0);
	REFUSED(fx_add_name("latergrp"), LA_E_USER_EXISTS);
	REFUSED(fx_addu(SPEC(.username = "x", .uid = 10700), NULL), LA_E_EXISTS);
	REFUSED(fx_addu(SPEC(.username = "x", .uid = 20000), NULL), LA_E_EXISTS);
}
END_TEST

START_TEST(test_user_default_home_and_shell_checked)
{
	/* A default home longer than a passwd field allows. */
	memset(fx.cfg.home_base, 'h', LA_FIELD_MAX);
	fx.cfg.home_base[0] = '/';
	fx.cfg.home_base[LA_FIELD_MAX - 2] = '\0';
	fx_reopen();
	REFUSED(fx_add_name("bob"), LA_E_INVAL);
	/* Defaults from the configuration end up in passwd records too: a ':'
	 * or a newline there is refused when the store is opened. */
	snprintf(fx.cfg.home_base, sizeof(fx.cfg.home_base), "/home");
	snprintf(fx.cfg.default_shell, sizeof(fx.cfg.default_shell), "/bin/ba:sh");
	fx_expect_open(LA_E_INVAL, "absolute paths");
	snprintf(fx.cfg.default_shell, sizeof(fx.cfg.default_shell), "/bin/bash");
	snprintf(fx.cfg.home_base, sizeof(fx.cfg.home_base), "/ho\nme");
	fx_expect_open(LA_E_INVAL, "absolute paths");
	snprintf(fx.cfg.home_base, sizeof(fx.cfg.home_base), "/home");
	snprintf(fx.cfg.signup_shell, sizeof(fx.cfg.signup_shell), "nologin");
	fx_expect_open(LA_E_INVAL, "absolute paths");
}
END_TEST

Suite *suite_user_limits(void)
{
	const TTest *limits[] = {
	    test_user_name_length,
	    test_user_uid_allocation_skips_system,
	    test_user_uid_never_reused,
	    test_user_uid_range_edges,
	    test_user_field_lengths,
	    test_user_system_file_long_line,
	    test_user_default_home_and_shell_checked,
	};
	Suite *s = suite_create("user_limits");

	FX_TCASE(s, "limits", 0, limits);
	return s;
}

/*
 * check_import.c - unit tests of the importers' pure functions (Check):
 * the passwd/shadow/group line parsers, the group member iterator and the
 * hash shape check.  The same functions are what a fuzz target calls
 * (storage/la_import.h, layer 1).  End-to-end behaviour is in
 * tests/test_import.sh.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "la_import.h"

static bool field_is(const struct la_field *f, const char *s)
{
	return f->len == strlen(s) && memcmp(f->p, s, f->len) == 0;
}

#define PW(s, rec, why) store_parse_passwd((s), strlen(s), (rec), (why))
#define SP(s, rec, why) store_parse_shadow((s), strlen(s), (rec), (why))
#define GR(s, rec, why) store_parse_group((s), strlen(s), (rec), (why))

START_TEST(test_passwd_ok)
{
	struct la_pw_rec r;
	const char *why = NULL;

	ck_assert_int_eq(PW("yuki:x:20001:100:Yuki Y,,,:/home/yuki:/bin/bash", &r, &why), LA_OK);
	ck_assert(field_is(&r.name, "yuki"));
	ck_assert_uint_eq(r.uid, 20001);
	ck_assert_uint_eq(r.gid, 100);
	ck_assert(field_is(&r.gecos, "Yuki Y,,,"));
	ck_assert(field_is(&r.home, "/home/yuki"));
	ck_assert(field_is(&r.shell, "/bin/bash"));
	ck_assert_int_eq(PW("a:x:1:1:::", &r, &why), LA_OK); /* empty gecos, home, shell */
	ck_assert(field_is(&r.shell, ""));
}
END_TEST

START_TEST(test_passwd_bad)
{
	static const char *const bad[] = {
		"yuki:x:20001",                        /* truncated */
		"yuki:x:20001:100:G:/h:/bin/sh:extra", /* 8 fields */
		":x:1:1::/:/bin/sh",                   /* empty name */
		"yuki:x:abc:1::/:/bin/sh",             /* uid not a number */
		"yuki:x:-1:1::/:/bin/sh",              /* negative */
		"yuki:x:4294967296:1::/:/bin/sh",      /* beyond 32 bits */
		"yuki:x:1:99999999999999999999::/:/bin/sh",
		"yuki:x::1::/:/bin/sh",                /* empty uid */
		"yuki:x:1:1::/:/bin/sh\r",             /* CRLF file */
		"yu\tki:x:1:1::/:/bin/sh",             /* control character */
		"",
	};
	struct la_pw_rec r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;

		ck_assert_msg(PW(bad[i], &r, &why) == LA_E_INVAL, "accepted: %s", bad[i]);
		ck_assert_msg(why && *why, "no reason for: %s", bad[i]);
	}
}
END_TEST

START_TEST(test_passwd_nul_and_bounds)
{
	/* A NUL inside the line, and a buffer that is not NUL-terminated:
	 * the parser must stop at len. */
	static const char nul[] = "yu\0ki:x:1:1::/:/bin/sh";
	char *exact = malloc(18);
	struct la_pw_rec r;
	const char *why = NULL;

	ck_assert_int_eq(store_parse_passwd(nul, sizeof(nul) - 1, &r, &why), LA_E_INVAL);
	ck_assert_ptr_nonnull(exact);
	memcpy(exact, "a:x:1:1::/:/bin/sh", 18); /* no terminator */
	ck_assert_int_eq(store_parse_passwd(exact, 18, &r, &why), LA_OK);
	ck_assert(field_is(&r.shell, "/bin/sh"));
	free(exact);
}
END_TEST

START_TEST(test_shadow)
{
	struct la_sp_rec r;
	const char *why = NULL;

	ck_assert_int_eq(SP("bea:!$6$s$h:19000:0:99999:7::19500:", &r, &why), LA_OK);
	ck_assert(field_is(&r.name, "bea"));
	ck_assert(field_is(&r.hash, "!$6$s$h"));
	ck_assert_int_eq(r.lastchg_days, 19000);
	ck_assert_int_eq(r.expire_days, 19500);
	ck_assert_int_eq(SP("tom:*:::::::", &r, &why), LA_OK);
	ck_assert_int_eq(r.lastchg_days, -1);
	ck_assert_int_eq(r.expire_days, -1);
	ck_assert_int_eq(SP("zed:$6$short", &r, &why), LA_E_INVAL);   /* truncated */
	ck_assert_int_eq(SP("zed:x:1:2:3:4:5:6:7:8", &r, &why), LA_E_INVAL); /* 10 fields */
	ck_assert_int_eq(SP("zed:x:19000:0:99999:7::soon:", &r, &why), LA_E_INVAL);
	ck_assert_int_eq(SP(":x:19000:0:99999:7:::", &r, &why), LA_E_INVAL);
}
END_TEST

START_TEST(test_group)
{
	struct la_gr_rec r;
	struct la_field m;
	const char *why = NULL;
	size_t pos = 0, n = 0;
	const char *want[] = { "yuki", "sasha", "root" };

	ck_assert_int_eq(GR("devs:x:20100:yuki,,sasha,root,", &r, &why), LA_OK);
	ck_assert(field_is(&r.name, "devs"));
	ck_assert_uint_eq(r.gid, 20100);
	while (store_group_member_next(&r.members, &pos, &m)) {
		ck_assert_uint_lt(n, 3);
		ck_assert(field_is(&m, want[n]));
		n++;
	}
	ck_assert_uint_eq(n, 3); /* empty members skipped */
	ck_assert_int_eq(GR("devs:x:20100:", &r, &why), LA_OK);
	pos = 0;
	ck_assert(!store_group_member_next(&r.members, &pos, &m));
	ck_assert_int_eq(GR("devs:x:20100", &r, &why), LA_E_INVAL);
	ck_assert_int_eq(GR("devs:x:gid:", &r, &why), LA_E_INVAL);
}
END_TEST

START_TEST(test_hash_importable)
{
	static const char *const good[] = {
		"$y$j9T$.LfNFyc3f6aZQAOq7baIF1$gQeWJvP8QFu8S39KkXcDsRX.BKWcfEXr9CqnJgYmlo7",
		"$6$beWq2v1FXSytws7U$KBwEeCbLXJRPJKfo5W5Kwv6gh7RhoJazMMq.fc3CQ4wlf8PVP7DepHslVvQ6"
		"bewtrvd01C17sDEBoEkND41vu/",
		"$6$rounds=6000$M.iIOHCzTZ0dVC7K$eUThUqdPRH561YAOrtYZPXw8FwMyHN6ABLJVZqnT6fONhj.d9I"
		"Gf3PqFO0PfDd7QPlgnucme7/jTp83vjpUeL.",
		"$5$jk7IW05x9azrcwwf$4tRpB1mIZ6CddcmEP7rI7QeMoBIA.P7yHmQLQd60SY5",
		"$2b$05$KGw5vrySZYons/4jjS/On.SZBl9Buk0Gdhh2JztlPJTDH6oU0vL6q",
		"s2:pzhfn5fdgldozs0c:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"$argon2id$v=19$m=64,t=1,p=1$B8TdjMJcLxy8f52sh4jgLg$9jzYsOPtifDG7Girh1RAJvL+yZvcvRt"
		"2phQTD6NU1TY",
	};
	static const char *const bad[] = {
		"$5$rounds=x$garbage$", "$6$abc$def", "$6$salt$", "$2b$05$short",
		"$y$j9T$salt$has spaces in it not base64 at all 1234567890abc",
		"s2:salt:0123", "s3:salt:00", "plain-text-password", "", "*", "!",
		/* Argon2id that libsodium cannot decode (fuzz_import_hash found
		 * the bare prefix accepted): no parameters, a truncated or
		 * non-base64 hash, a salt too short. */
		"$argon2id$", "$argon2id$v=19$m=64,t=1,p=1$B8TdjMJcLxy8f52sh4jgLg$",
		"$argon2id$v=19$m=64,t=1,p=1$B8TdjMJcLxy8f52sh4jgLg$not base64!",
		"$argon2id$v=19$m=64,t=1,p=1$AA$9jzYsOPtifDG7Girh1RAJvL+yZvcvRt2phQTD6NU1TY",
		"$argon2id$garbage",
		/* A legacy Lucia hash whose salt starts with '*' or '!': the
		 * verifier reads those as "no login". */
		"*abcdefghijklmnop:a810977cac445119340187c7152cf9e191d1baf365847077bf84c82662b45466"
		"0e363822ab8e7d038e8e4af65c6d23c4ee18d083654246b39da9117283dc69b6",
		"!abcdefghijklmnop:a810977cac445119340187c7152cf9e191d1baf365847077bf84c82662b45466"
		"0e363822ab8e7d038e8e4af65c6d23c4ee18d083654246b39da9117283dc69b6",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(store_hash_importable(good[i]), "refused: %s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!store_hash_importable(bad[i]), "accepted: %s", bad[i]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("import");
	TCase *tc = tcase_create("parsers");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_passwd_ok);
	tcase_add_test(tc, test_passwd_bad);
	tcase_add_test(tc, test_passwd_nul_and_bounds);
	tcase_add_test(tc, test_shadow);
	tcase_add_test(tc, test_group);
	tcase_add_test(tc, test_hash_importable);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

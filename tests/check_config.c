/*
 * check_config.c - configuration: defaults, durations, keys, the file.
 * Opening the store is in check_store_open.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_la.h"

#define DAY ((int64_t)86400000)

static char err[512];

/* Write text to fx.dir/name with mode; returns the path (static). */
static const char *put_file(const char *name, const char *text, mode_t mode)
{
	static char path[2][400];
	static int which;
	char *p = path[which ^= 1];
	FILE *f;

	snprintf(p, sizeof(path[0]), "%s/%s", fx.dir, name);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(p, mode), 0);
	return p;
}

static la_rc set(struct la_config *c, const char *key, const char *value)
{
	err[0] = '\0';
	return la_config_set(c, key, value, err, sizeof(err));
}

static int64_t dur(const char *s)
{
	int64_t ms = -42;

	ck_assert_msg(la_parse_duration(s, &ms) == LA_OK, "duration '%s' refused", s);
	return ms;
}

static void dur_bad(const char *s)
{
	int64_t ms = -42;

	ck_assert_msg(la_parse_duration(s, &ms) == LA_E_INVAL, "duration '%s' accepted", s);
	ck_assert_int_eq(ms, -42);
}

/* ---- core ----------------------------------------------------------- */

START_TEST(test_config_defaults)
{
	struct la_config c;

	memset(&c, 0x5a, sizeof(c));
	la_config_defaults(&c);
	ck_assert_str_eq(c.dir, "/var/lib/luciaauth");
	ck_assert_uint_eq(c.uid_min, 10000);
	ck_assert_uint_eq(c.uid_max, 59999);
	ck_assert_int_eq(c.session_active_ms, DAY);
	ck_assert_int_eq(c.session_idle_ms, 14 * DAY);
	ck_assert_int_eq(c.session_max_ms, 0);
	ck_assert_uint_eq(c.deny, 5);
	ck_assert_int_eq(c.fail_interval_ms, 15 * 60000);
	ck_assert_int_eq(c.unlock_time_ms, 10 * 60000);
	ck_assert_uint_eq(c.password_min, 8);
	ck_assert(!c.signup_open);
	ck_assert_str_eq(c.signup_shell, "/usr/sbin/nologin");
	ck_assert_str_eq(c.default_shell, "/bin/bash");
	ck_assert_str_eq(c.home_base, "/home");
	ck_assert_uint_eq(c.hash_mem_kib, 19456);
	ck_assert_uint_eq(c.hash_ops, 2);
	ck_assert_str_eq(c.passwd_file, "/etc/passwd");
	ck_assert_str_eq(c.group_file, "/etc/group");
	ck_assert(!c.sync_full);
	ck_assert_uint_gt(c.busy_timeout_ms, 0);
}
END_TEST

START_TEST(test_duration_valid)
{
	ck_assert_int_eq(dur("90"), 90000);
	ck_assert_int_eq(dur("90s"), 90000);
	ck_assert_int_eq(dur("15m"), 15 * 60000);
	ck_assert_int_eq(dur("1h"), 3600000);
	ck_assert_int_eq(dur("14d"), 14 * DAY);
	ck_assert_int_eq(dur("0"), 0);
	ck_assert_int_eq(dur("0d"), 0);
	ck_assert_int_eq(dur("007m"), 7 * 60000);
}
END_TEST

START_TEST(test_config_set_every_key)
{
	/* clang-format off */
	static const char *const kv[] = {
		"dir", "/srv/la",   "uid_max", "70000",   "uid_min", "60000",
		"session_active", "2h",   "session_idle", "0",   "session_max", "30d",
		"deny", "0",   "fail_interval", "5m",   "unlock_time", "90",
		"password_min", "12",   "signup", "open",   "signup_shell", "/bin/false",
		"default_shell", "/bin/zsh",   "home_base", "/srv/home",   "hash_mem_kib", "65536",
		"hash_ops", "3",   "busy_timeout", "5s",   "sync", "full",
		"passwd_file", "/x/passwd",   "group_file", "/x/group"
	};
	/* clang-format on */
	struct la_config c;

	la_config_defaults(&c);
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i += 2)
		ck_assert_msg(set(&c, kv[i], kv[i + 1]) == LA_OK, "%s = %s: %s", kv[i], kv[i + 1],
			      err);
	ck_assert_str_eq(c.dir, "/srv/la");
	ck_assert_uint_eq(c.uid_min, 60000);
	ck_assert_uint_eq(c.uid_max, 70000);
	ck_assert_int_eq(c.session_active_ms, 7200000);
	ck_assert_int_eq(c.session_idle_ms, 0);
	ck_assert_int_eq(c.session_max_ms, 30 * DAY);
	ck_assert_uint_eq(c.deny, 0);
	ck_assert_int_eq(c.fail_interval_ms, 300000);
	ck_assert_int_eq(c.unlock_time_ms, 90000);
	ck_assert_uint_eq(c.password_min, 12);
	ck_assert(c.signup_open);
	ck_assert_str_eq(c.signup_shell, "/bin/false");
	ck_assert_str_eq(c.default_shell, "/bin/zsh");
	ck_assert_str_eq(c.home_base, "/srv/home");
	ck_assert_uint_eq(c.hash_mem_kib, 65536);
	ck_assert_uint_eq(c.hash_ops, 3);
	ck_assert_uint_eq(c.busy_timeout_ms, 5000);
	ck_assert(c.sync_full);
	ck_assert_str_eq(c.passwd_file, "/x/passwd");
	ck_assert_str_eq(c.group_file, "/x/group");
	ck_assert_int_eq(set(&c, "signup", "closed"), LA_OK);
	ck_assert(!c.signup_open);
	ck_assert_int_eq(set(&c, "sync", "normal"), LA_OK);
	ck_assert(!c.sync_full);
	ck_assert_int_eq(la_config_set(&c, "deny", "7", NULL, 0), LA_OK);
	ck_assert_uint_eq(c.deny, 7);
}
END_TEST

START_TEST(test_config_load_file)
{
	struct la_config c, d;
	char path[400];
	const char *p = put_file("la.conf",
				 "# luciaauth test configuration\n"
				 "   # indented comment\n"
				 "\n"
				 "  \t\n"
				 "dir = /srv/la\n"
				 "uid_min=20000\n"
				 "uid_max =  30000\t\n"
				 "\tdeny\t=\t3   # trailing comment\n"
				 "session_active = 2h\r\n"
				 "signup = open\n"
				 "default_shell = /bin/zsh\n"
				 "password_min = 10", /* no final newline */
				 0644);

	la_config_defaults(&c);
	ck_assert_int_eq(la_config_load(&c, p, false, err, sizeof(err)), LA_OK);
	ck_assert_str_eq(c.dir, "/srv/la");
	ck_assert_uint_eq(c.uid_min, 20000);
	ck_assert_uint_eq(c.uid_max, 30000);
	ck_assert_uint_eq(c.deny, 3);
	ck_assert_int_eq(c.session_active_ms, 7200000);
	ck_assert(c.signup_open);
	ck_assert_str_eq(c.default_shell, "/bin/zsh");
	ck_assert_uint_eq(c.password_min, 10);
	/* Untouched keys keep their defaults. */
	ck_assert_int_eq(c.session_idle_ms, 14 * DAY);
	ck_assert_str_eq(c.home_base, "/home");
	/* An empty file, or a missing one when that is fine, changes nothing. */
	d = c;
	p = put_file("empty.conf", "", 0644);
	ck_assert_int_eq(la_config_load(&c, p, false, err, sizeof(err)), LA_OK);
	snprintf(path, sizeof(path), "%s/absent.conf", fx.dir);
	ck_assert_int_eq(la_config_load(&c, path, true, err, sizeof(err)), LA_OK);
	ck_assert_int_eq(la_config_load(&c, path, false, err, sizeof(err)), LA_E_NOSTORE);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_mem_eq(&c, &d, sizeof(c));
}
END_TEST

/* ---- errors --------------------------------------------------------- */

START_TEST(test_duration_invalid)
{
	static const char *const bad[] = {"",
					  "-1",
					  "1x",
					  "1m2",
					  "abc",
					  "1.5h",
					  " 1",
					  "1 ",
					  "+1",
					  "1S",
					  "1ms",
					  "h",
					  "1hh",
					  "0x10",
					  "99999999999999999999",
					  "18446744073709551615",
					  "9223372036854775807",
					  "1d\n"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		dur_bad(bad[i]);
	dur_bad(NULL);
}
END_TEST

START_TEST(test_config_set_bad_values)
{
	/* clang-format off */
	static const char *const bad[] = {
		"dir", "",   "dir", "relative/dir",   "signup", "Open",   "signup", "yes",
		"signup", "",   "sync", "fast",   "signup_shell", "bin/sh",   "default_shell", "",
		"home_base", "home",   "passwd_file", "passwd",   "group_file", "",
		"session_active", "0",   "session_active", "1x",   "session_idle", "-1",
		"session_max", "",   "fail_interval", "0",   "unlock_time", "0s",   "deny", "",
		"deny", "-1",   "deny", "5x",   "deny", " 5",   "deny", "+5",   "deny", "0x10",
		"password_min", "0",   "password_min", "abc",   "uid_min", "999",
		"uid_max", "4294967295",   "uid_min", "-10000",   "hash_mem_kib", "7",
		"hash_ops", "0",   "busy_timeout", "11m"
	};
	/* clang-format on */
	struct la_config c, d;

	la_config_defaults(&c);
	d = c;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i += 2) {
		ck_assert_msg(set(&c, bad[i], bad[i + 1]) == LA_E_INVAL, "%s = '%s' accepted",
			      bad[i], bad[i + 1]);
		ck_assert_msg(strstr(err, bad[i]) != NULL, "no key in '%s'", err);
		ck_assert_msg(memcmp(&c, &d, sizeof(c)) == 0, "%s = '%s' changed the config",
			      bad[i], bad[i + 1]);
	}
	ck_assert_int_eq(la_config_set(&c, "deny", "x", NULL, 0), LA_E_INVAL);
}
END_TEST

START_TEST(test_config_set_unknown_key)
{
	struct la_config c, d;

	la_config_defaults(&c);
	d = c;
	ck_assert_int_eq(set(&c, "bogus", "1"), LA_E_INVAL);
	ck_assert_ptr_nonnull(strstr(err, "unknown key 'bogus'"));
	ck_assert_int_eq(set(&c, "Deny", "3"), LA_E_INVAL);
	ck_assert_int_eq(set(&c, "deny ", "3"), LA_E_INVAL);
	ck_assert_int_eq(set(&c, "", "3"), LA_E_INVAL);
	ck_assert_int_eq(set(&c, "busy_timeout_ms", "3"), LA_E_INVAL);
	ck_assert_mem_eq(&c, &d, sizeof(c));
}
END_TEST

START_TEST(test_config_uid_min_above_max)
{
	struct la_config c;
	struct la_store *st = NULL;

	/* Keys are set one at a time, in any order: the range is checked on
	 * the final values, by la_config_load and la_store_open. */
	la_config_defaults(&c);
	ck_assert_int_eq(set(&c, "uid_min", "60000"), LA_OK);
	ck_assert_int_eq(set(&c, "uid_max", "70000"), LA_OK);
	ck_assert_uint_eq(c.uid_min, 60000);
	ck_assert_uint_eq(c.uid_max, 70000);
	ck_assert_int_eq(set(&c, "uid_max", "9999"), LA_OK);
	snprintf(c.dir, sizeof(c.dir), "%s/range", fx.dir);
	ck_assert_int_eq(la_store_open(&c, LA_OPEN_CREATE, &st), LA_E_INVAL);
	ck_assert_ptr_nonnull(strstr(la_store_errmsg(st), "uid_min"));
	la_store_close(st);
}
END_TEST

START_TEST(test_config_load_bad_lines)
{
	static const char *const files[][2] = {
	    {"# c\ndeny = 3\n\nuid_min=20000\nbogus line\ndeny = 4\n", ":5: "},
	    {"deny = 3\nnosuchkey = 1\n", ":2: unknown key 'nosuchkey'"},
	    {"deny = lots\n", ":1: invalid value 'lots' for 'deny'"},
	    {"\n\n= 3\n", ":3: "},
	    {"deny =\n", ":1: "},
	    {"uid_min = 20000\nuid_max = 15000\n", ": uid_min is greater than uid_max"}};
	char want[600];
	struct la_config c;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		const char *p = put_file("bad.conf", files[i][0], 0644);

		la_config_defaults(&c);
		err[0] = '\0';
		ck_assert_int_eq(la_config_load(&c, p, true, err, sizeof(err)), LA_E_INVAL);
		snprintf(want, sizeof(want), "%s%s", p, files[i][1]);
		ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "'%s' does not start '%s'",
			      err, want);
		/* Lines after the bad one are not applied. */
		ck_assert_uint_ne(c.deny, 4);
	}
	ck_assert_int_eq(la_config_load(&c, put_file("x.conf", "x\n", 0644), false, NULL, 0),
			 LA_E_INVAL);
}
END_TEST

START_TEST(test_config_load_refuses_symlink)
{
	struct la_config c;
	char link[400];
	const char *real = put_file("real.conf", "deny = 9\n", 0644);

	snprintf(link, sizeof(link), "%s/link.conf", fx.dir);
	ck_assert_int_eq(symlink(real, link), 0);
	la_config_defaults(&c);
	ck_assert_int_ne(la_config_load(&c, link, false, err, sizeof(err)), LA_OK);
	ck_assert_ptr_nonnull(strstr(err, link));
	ck_assert_int_ne(la_config_load(&c, link, true, err, sizeof(err)), LA_OK);
	ck_assert_uint_eq(c.deny, 5);
	ck_assert_int_eq(la_config_load(&c, real, false, err, sizeof(err)), LA_OK);
	ck_assert_uint_eq(c.deny, 9);
}
END_TEST

START_TEST(test_config_load_refuses_directory)
{
	struct la_config c;

	la_config_defaults(&c);
	/* Reading a directory fails; that is not an empty file. */
	ck_assert_int_ne(la_config_load(&c, fx.dir, false, err, sizeof(err)), LA_OK);
	ck_assert_int_ne(la_config_load(&c, fx.dir, true, err, sizeof(err)), LA_OK);
}
END_TEST

START_TEST(test_config_load_refuses_writable)
{
	struct la_config c;
	const char *p = put_file("open.conf", "dir = /tmp/evil\n", 0666);

	/* SPEC 2: owner and mode are checked; a file anybody can write could
	 * point the modules at a store of the attacker's choosing. */
	la_config_defaults(&c);
	ck_assert_int_eq(la_config_load(&c, p, false, err, sizeof(err)), LA_E_PERM);
	ck_assert_str_eq(c.dir, "/var/lib/luciaauth");
}
END_TEST

/* ---- limits --------------------------------------------------------- */

START_TEST(test_duration_limits)
{
	/* 100 years, in every unit, and one more unit. */
	ck_assert_int_eq(dur("36500d"), 36500 * DAY);
	ck_assert_int_eq(dur("876000h"), 36500 * DAY);
	ck_assert_int_eq(dur("52560000m"), 36500 * DAY);
	ck_assert_int_eq(dur("3153600000s"), 36500 * DAY);
	ck_assert_int_eq(dur("3153600000"), 36500 * DAY);
	dur_bad("36501d");
	dur_bad("876001h");
	dur_bad("52560001m");
	dur_bad("3153600001");
}
END_TEST

START_TEST(test_config_number_limits)
{
	/* clang-format off */
	static const char *const good[] = {
		"uid_min", "1000",   "uid_max", "4294967294",   "deny", "1000",
		"password_min", "1",   "password_min", "256",   "hash_mem_kib", "8",
		"hash_mem_kib", "4194304",   "hash_ops", "1",   "hash_ops", "100",
		"busy_timeout", "10m",   "busy_timeout", "600"
	};
	static const char *const bad[] = {
		"deny", "1001",   "password_min", "257",   "hash_mem_kib", "4194305",
		"hash_ops", "101",   "busy_timeout", "601",   "deny", "99999999999999999999"
	};
	/* clang-format on */
	struct la_config c;

	la_config_defaults(&c);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i += 2)
		ck_assert_msg(set(&c, good[i], good[i + 1]) == LA_OK, "%s = %s: %s", good[i],
			      good[i + 1], err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i += 2)
		ck_assert_msg(set(&c, bad[i], bad[i + 1]) == LA_E_INVAL, "%s = %s accepted", bad[i],
			      bad[i + 1]);
	ck_assert_uint_eq(c.uid_min, 1000);
	ck_assert_uint_eq(c.uid_max, 4294967294u);
	ck_assert_uint_eq(c.busy_timeout_ms, 600000);
}
END_TEST

START_TEST(test_config_path_limits)
{
	char v[LA_PATH_MAX + 2];
	struct la_config c;

	la_config_defaults(&c);
	memset(v, 'd', sizeof(v));
	v[0] = '/';
	v[LA_PATH_MAX] = '\0';
	ck_assert_int_eq(set(&c, "dir", v), LA_E_INVAL);
	v[LA_PATH_MAX - 1] = '\0';
	ck_assert_int_eq(set(&c, "dir", v), LA_OK);
	ck_assert_str_eq(c.dir, v);
	v[LA_FIELD_MAX + 1] = '\0';
	ck_assert_int_eq(set(&c, "default_shell", v), LA_E_INVAL);
	v[LA_FIELD_MAX] = '\0';
	ck_assert_int_eq(set(&c, "default_shell", v), LA_OK);
}
END_TEST

START_TEST(test_config_load_long_line)
{
	size_t n = LA_PATH_MAX + 200;
	char *text = malloc(n + 16);
	struct la_config c;

	ck_assert_ptr_nonnull(text);
	memset(text, ' ', n);
	memcpy(text, "deny = 3\n# ", 11);
	memcpy(text + n - 8, " = 4\n", 6);
	la_config_defaults(&c);
	ck_assert_int_eq(
	    la_config_load(&c, put_file("long.conf", text, 0644), false, err, sizeof(err)),
	    LA_E_INVAL);
	ck_assert_ptr_nonnull(strstr(err, ":2: "));
	free(text);
}
END_TEST

START_TEST(test_config_load_uid_range_order)
{
	struct la_config c;
	const char *p = put_file("range.conf", "uid_min = 60000\nuid_max = 70000\n", 0644);

	/* A valid file may name uid_min first even when it is above the
	 * default uid_max; only the final pair has to be in order. */
	la_config_defaults(&c);
	ck_assert_msg(la_config_load(&c, p, false, err, sizeof(err)) == LA_OK, "%s", err);
	ck_assert_uint_eq(c.uid_min, 60000);
	ck_assert_uint_eq(c.uid_max, 70000);
}
END_TEST

/* luciaauthd's keys (la_config_http.c): defaults, good and bad values. */
START_TEST(test_config_http_keys)
{
	static const char *const bad[][2] = {
		{ "http_listen", "127.0.0.1" },      { "http_listen", "127.0.0.1:65536" },
		{ "http_listen", ":80" },            { "http_listen", "a b:80" },
		{ "http_socket", "relative.sock" },  { "http_socket_mode", "0800" },
		{ "http_socket_mode", "rw" },        { "http_threads", "0" },
		{ "http_threads", "257" },           { "http_body_max", "100" },
		{ "http_body_max", "2000000" },      { "http_cookie_secure", "true" },
		{ "http_trust_proxy", "1" },         { "http_origins", "evil.example" },
		{ "http_origins", "https://a.example/path" },
		{ "http_throttle_interval", "0" },   { "http_throttle_interval", "2d" },
		{ "http_throttle", "-1" },           { "http_bogus", "1" },
	};
	struct la_config c, d;
	char longsock[200];

	la_config_defaults(&c);
	ck_assert_str_eq(c.http.listen, "");
	ck_assert_str_eq(c.http.socket, "/run/luciaauthd/http.sock");
	ck_assert_uint_eq(c.http.socket_mode, 0660);
	ck_assert(c.http.cookie_secure);
	ck_assert(!c.http.trust_proxy);
	ck_assert_uint_eq(c.http.body_max, 4096);
	ck_assert_uint_eq(c.http.throttle, 20);
	ck_assert_int_eq(c.http.throttle_interval_ms, 60000);
	ck_assert_int_eq(set(&c, "http_listen", "[::1]:8787"), LA_OK);
	ck_assert_str_eq(c.http.listen, "[::1]:8787");
	ck_assert_int_eq(set(&c, "http_listen", "127.0.0.1:0"), LA_OK);
	ck_assert_int_eq(set(&c, "http_socket", ""), LA_OK);
	ck_assert_str_eq(c.http.socket, "");
	ck_assert_int_eq(set(&c, "http_socket_mode", "0600"), LA_OK);
	ck_assert_uint_eq(c.http.socket_mode, 0600);
	ck_assert_int_eq(set(&c, "http_cookie_secure", "no"), LA_OK);
	ck_assert(!c.http.cookie_secure);
	ck_assert_int_eq(set(&c, "http_origins", "https://a.example http://localhost:8080"), LA_OK);
	ck_assert_int_eq(set(&c, "http_throttle_interval", "15m"), LA_OK);
	ck_assert_int_eq(c.http.throttle_interval_ms, 15 * 60000);
	ck_assert_int_eq(set(&c, "http_threads", "8"), LA_OK);
	ck_assert_uint_eq(c.http.threads, 8);
	d = c;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(set(&c, bad[i][0], bad[i][1]) == LA_E_INVAL, "%s = %s accepted",
			      bad[i][0], bad[i][1]);
	memset(longsock, 'a', sizeof(longsock) - 1);
	longsock[0] = '/';
	longsock[sizeof(longsock) - 1] = '\0';
	ck_assert_int_eq(set(&c, "http_socket", longsock), LA_E_INVAL);
	ck_assert_mem_eq(&c, &d, sizeof(c));
}
END_TEST

Suite *suite_config(void)
{
	const TTest *core[] = {
	    test_config_defaults,
	    test_duration_valid,
	    test_config_set_every_key,
	    test_config_load_file,
	    test_config_http_keys,
	};
	const TTest *errors[] = {
	    test_duration_invalid,
	    test_config_set_bad_values,
	    test_config_set_unknown_key,
	    test_config_uid_min_above_max,
	    test_config_load_bad_lines,
	    test_config_load_refuses_symlink,
	    test_config_load_refuses_directory,
	    test_config_load_refuses_writable,
	};
	const TTest *limits[] = {
	    test_duration_limits,	test_config_number_limits,	  test_config_path_limits,
	    test_config_load_long_line, test_config_load_uid_range_order,
	};
	Suite *s = suite_create("config");

	FX_TCASE(s, "core", 0, core);
	FX_TCASE(s, "errors", 0, errors);
	FX_TCASE(s, "limits", 0, limits);
	return s;
}

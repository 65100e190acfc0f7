/*
 * check_pam_session.c - session management (open/close session)
 * (part of tests/check_pam; see check_pam.c).
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_pam.h"

/* ---- session ------------------------------------------------------------------ */


START_TEST(test_session_open_close)
{
	struct ph_call c = session_call("la", "pts/7", "192.0.2.1");
	struct pam_testcase t[] = { pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
				    pam_test(PAMTEST_GETENVLIST, 0) };
	struct la_session s;
	char token[LA_TOKEN_BUF];
	bool listed = false;

	ph_run_at(&c, t, 2, __FILE__, __LINE__);
	ck_assert_uint_eq(strlen(c.token), LA_TOKEN_LEN);
	snprintf(token, sizeof(token), "%s", c.token);
	for (char **e = t[1].case_out.envlist; e && *e; e++)
		listed = listed || (strncmp(*e, ENV_TOKEN "=", sizeof(ENV_TOKEN)) == 0 &&
				    strcmp(*e + sizeof(ENV_TOKEN), token) == 0);
	pamtest_free_env(t[1].case_out.envlist);
	ck_assert_msg(listed, "pam_getenvlist has no " ENV_TOKEN);
	s = session_of(token);
	ck_assert_str_eq(s.source, "la");
	ck_assert_str_eq(s.tty, "pts/7");
	ck_assert_str_eq(s.rhost, "192.0.2.1");
	ck_assert_uint_eq(ph_sessions("alice"), 1);
	PH_RUN(&c, pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS));
	ph_end(&c);
	ck_assert_str_eq(c.token, ""); /* removed from the PAM environment */
	ck_assert_uint_eq(ph_sessions("alice"), 0);
	ck_assert_int_eq(ph_sql_long("SELECT count(*) FROM sessions"), 0);
}
END_TEST

START_TEST(test_session_no_items)
{
	struct ph_call c = session_call("la", NULL, NULL);
	struct la_session s;

	PH_RUN(&c, pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS));
	s = session_of(c.token);
	ck_assert_str_eq(s.source, "la");
	ck_assert_str_eq(s.tty, "");
	ck_assert_str_eq(s.rhost, "");
	PH_ONCE(&c, pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS));
	ck_assert_uint_eq(ph_sessions("alice"), 0);
}
END_TEST

/* Close in another handle (sshd: another process) that has the token in
 * its PAM environment but no module data; the origin differs, so only the
 * token can find the row. */
START_TEST(test_session_close_by_env)
{
	struct ph_call c = session_call("la", "pts/7", "192.0.2.1");
	struct la_origin elsewhere = { "la", "pts/9", "192.0.2.1" };
	struct la_session s;
	char token[LA_TOKEN_BUF], other[LA_TOKEN_BUF], env[LA_TOKEN_BUF + 32];

	PH_ONCE(&c, pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS));
	snprintf(token, sizeof(token), "%s", c.token);
	ck_assert_uint_eq(ph_sessions("alice"), 1); /* pam_end does not close it */
	LA_OK_OR_FAIL(la_session_create(ph_st, ph_alice.id, &elsewhere, other, &s));
	snprintf(env, sizeof(env), ENV_TOKEN "=%s", token);
	c = session_call("la", "pts/9", "192.0.2.1");
	c.env = env;
	PH_ONCE(&c, pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS));
	ck_assert_int_eq(la_session_get(ph_st, token, &s, NULL), LA_E_NOSESSION);
	(void)session_of(other);
}
END_TEST

/* Close in another handle with neither module data nor the token: the row
 * opened from the same (service, tty, rhost) goes, and only that one. */
START_TEST(test_session_close_by_origin)
{
	struct ph_call c = session_call("la", "pts/7", "192.0.2.1");
	struct la_origin tty8 = { "la", "pts/8", "192.0.2.1" }, web = { NULL, NULL, "192.0.2.1" },
			 sshd = { "sshd", "pts/7", "192.0.2.1" };
	char token[LA_TOKEN_BUF], t8[LA_TOKEN_BUF], tw[LA_TOKEN_BUF], ts[LA_TOKEN_BUF];
	struct la_session s;

	PH_ONCE(&c, pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS));
	snprintf(token, sizeof(token), "%s", c.token);
	LA_OK_OR_FAIL(la_session_create(ph_st, ph_alice.id, &tty8, t8, &s));
	LA_OK_OR_FAIL(la_session_create(ph_st, ph_alice.id, &web, tw, &s));
	LA_OK_OR_FAIL(la_session_create(ph_st, ph_alice.id, &sshd, ts, &s));
	c = session_call("la", "pts/7", "192.0.2.1");
	PH_ONCE(&c, pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS));
	ck_assert_int_eq(la_session_get(ph_st, token, &s, NULL), LA_E_NOSESSION);
	(void)session_of(t8);
	(void)session_of(tw);
	(void)session_of(ts);
	/* Nothing left from that origin: still a success, nothing else goes. */
	c = session_call("la", "pts/7", "192.0.2.1");
	PH_ONCE(&c, pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS));
	ck_assert_uint_eq(ph_sessions("alice"), 3);
}
END_TEST

/* Open and close in two processes (sshd's privilege separation): the
 * closer has neither module data nor the opener's PAM environment.  (The
 * opener is the child: a child forked after pam_wrapper's set-up reports
 * pam_wrapper's own strings as leaked.) */
static int open_in_child(unsigned i)
{
	struct ph_call c = session_call("la", "pts/7", "192.0.2.1");
	int r;

	(void)i;
	r = ph_op(&c, PAMTEST_OPEN_SESSION, 0);
	ph_end(&c);
	return r == PAM_SUCCESS && strlen(c.token) == LA_TOKEN_LEN ? 0 : 1;
}

START_TEST(test_session_two_processes)
{
	struct ph_call c = session_call("la", "pts/7", "192.0.2.1");

	ph_parallel(1, open_in_child);
	ck_assert_uint_eq(ph_sessions("alice"), 1);
	PH_ONCE(&c, pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS));
	ck_assert_uint_eq(ph_sessions("alice"), 0);
}
END_TEST

/* Closing in another handle is the normal case under sshd; it must not
 * log errors (admins watch LOG_ERR).  The same with noenv. */
START_TEST(test_session_close_logs_no_error)
{
	static const char *const services[] = { "la", "la_noenv" };

	for (size_t i = 0; i < 2; i++) {
		struct ph_call c = session_call(services[i], "pts/7", "192.0.2.1");

		PH_ONCE(&c, pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS));
		c = session_call(services[i], "pts/7", "192.0.2.1");
		c.capture_log = true;
		PH_ONCE(&c, pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS));
		ck_assert_uint_eq(ph_sessions("alice"), 0);
		ck_assert_msg(!ph_match(c.log, "SYSLOG\\([0-3]\\)"),
			      "%s: close_session logged an error:\n%s", services[i], c.log);
	}
}
END_TEST

START_TEST(test_session_noenv)
{
	struct ph_call c = session_call("la_noenv", "pts/7", "192.0.2.1");

	PH_RUN(&c, pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS));
	ck_assert_str_eq(c.token, "");
	ck_assert_uint_eq(ph_sessions("alice"), 1);
	/* Same handle: the module's own copy of the token. */
	PH_ONCE(&c, pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS));
	ck_assert_uint_eq(ph_sessions("alice"), 0);
	/* Other handle: the origin. */
	c = session_call("la_noenv", "pts/7", "192.0.2.1");
	PH_ONCE(&c, pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS));
	ck_assert_uint_eq(ph_sessions("alice"), 1);
	c = session_call("la_noenv", "pts/7", "192.0.2.1");
	PH_ONCE(&c, pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS));
	ck_assert_uint_eq(ph_sessions("alice"), 0);
}
END_TEST

START_TEST(test_session_already_gone)
{
	struct ph_call c = session_call("la", "pts/7", "192.0.2.1");
	unsigned n = 0;

	PH_RUN(&c, pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS));
	LA_OK_OR_FAIL(la_session_revoke_user(ph_st, "alice", NULL, &n));
	ck_assert_uint_eq(n, 1);
	PH_ONCE(&c, pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS));
}
END_TEST

START_TEST(test_session_not_ours)
{
	struct ph_call c = session_call("la", "pts/7", NULL);

	c.user = "nosuchuser";
	PH_ONCE(&c, pam_test(PAMTEST_OPEN_SESSION, PAM_IGNORE),
		pam_test(PAMTEST_CLOSE_SESSION, PAM_IGNORE));
	ck_assert_str_eq(c.token, "");
	c = session_call("la_unknown_ok", "pts/7", NULL);
	c.user = "root";
	PH_ONCE(&c, pam_test(PAMTEST_OPEN_SESSION, PAM_IGNORE),
		pam_test(PAMTEST_CLOSE_SESSION, PAM_IGNORE));
	ck_assert_int_eq(ph_sql_long("SELECT count(*) FROM sessions"), 0);
}
END_TEST


/* ---- TCases ---------------------------------------------------------------- */

void cp_tcase_session(Suite *s)
{
	const TTest *const session[] = {
		test_session_open_close,    test_session_no_items,	test_session_close_by_env,
		test_session_close_by_origin, test_session_two_processes,
		test_session_close_logs_no_error, test_session_noenv,	test_session_already_gone,
		test_session_not_ours,
	};

	PH_TCASE(s, "session", session);
}

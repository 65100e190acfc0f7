/*
 * check_pam_auth.c - authentication, setcred, lockout and rehash on login
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

/* ---- auth ----------------------------------------------------------------- */

START_TEST(test_auth_success)
{
	struct ph_call c = CALL("la", "alice", PW);

	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
		pam_test_flags(PAMTEST_SETCRED, PAM_SUCCESS, PAM_ESTABLISH_CRED),
		pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS));
	ck_assert_uint_eq(c.prompts, 1);
	ck_assert_match(c.conv, "^P:Password: $");
	ck_assert_no_match(c.conv, "^E:");
	/* One verification, no rehash: the stored hash has the store's cost. */
	ck_assert_uint_eq(ph_work.argon2_verify, 1);
	ck_assert_uint_eq(ph_work.argon2_hash, 0);
	/* libpam is told of the success (and applies no delay). */
	ck_assert_int_eq(c.delay_status, PAM_SUCCESS);
}
END_TEST

START_TEST(test_auth_wrong_password)
{
	struct ph_call c = CALL("la", "alice", WRONG);

	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR));
	ck_assert_uint_eq(c.prompts, 1);
	ck_assert_uint_eq(ph_user("alice").failures, 1);
	/* pam_fail_delay was requested: libpam hands the delay to the
	 * application's PAM_FAIL_DELAY function instead of sleeping. */
	ck_assert_uint_ge(c.delay_calls, 1);
	ck_assert_int_eq(c.delay_status, PAM_AUTH_ERR);
	ck_assert_uint_gt(c.delay_usec, 0);
	/* A later success resets the count. */
	ck_assert_pam(auth_rc("la", "alice", PW, 0), PAM_SUCCESS);
	ck_assert_uint_eq(ph_user("alice").failures, 0);
}
END_TEST

START_TEST(test_auth_nodelay)
{
	struct ph_call c = CALL("la_nodelay", "alice", WRONG);

	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR));
	/* libpam calls the delay function with 0, or not at all. */
	ck_assert(c.delay_calls == 0 || c.delay_usec == 0);
}
END_TEST

START_TEST(test_auth_empty_password)
{
	struct ph_call c = CALL("la", "alice", "");

	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR));
	ck_assert_uint_eq(ph_user("alice").failures, 1);
}
END_TEST

START_TEST(test_auth_unknown_user)
{
	struct ph_call c = CALL("la", "nosuchuser", PW);

	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_USER_UNKNOWN),
		pam_test(PAMTEST_ACCOUNT, PAM_USER_UNKNOWN));
	/* Asked for a password like anybody, and delayed like a failure. */
	ck_assert_uint_eq(c.prompts, 1);
	ck_assert_uint_gt(c.delay_usec, 0);
	c = CALL("la_unknown_ok", "nosuchuser", PW);
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_IGNORE),
		pam_test(PAMTEST_ACCOUNT, PAM_IGNORE));
	ck_assert_pam(sm_setcred("nosuchuser", NULL), PAM_IGNORE);
	ck_assert_pam(sm_setcred("nosuchuser", "unknown_ok"), PAM_IGNORE);
}
END_TEST

/* SPEC 3: an unknown user costs the same work as a wrong password. */
START_TEST(test_auth_unknown_user_same_work)
{
	struct ph_work wrong, unknown;

	ck_assert_pam(auth_rc("la", "alice", WRONG, 0), PAM_AUTH_ERR);
	wrong = ph_work;
	ph_work_reset();
	ck_assert_pam(auth_rc("la", "nosuchuser", WRONG, 0), PAM_USER_UNKNOWN);
	unknown = ph_work;
	/* Sanity: the counters see the module's calls at all. */
	ck_assert_uint_eq(wrong.argon2_verify, 1);
	ck_assert_msg(unknown.argon2_verify == wrong.argon2_verify &&
			      unknown.argon2_hash == wrong.argon2_hash,
		      "unknown user: %u Argon2id hash + %u verify; wrong password of a known "
		      "user: %u hash + %u verify",
		      unknown.argon2_hash, unknown.argon2_verify, wrong.argon2_hash,
		      wrong.argon2_verify);
}
END_TEST

START_TEST(test_auth_root_never)
{
	/* root is in the system passwd file and not in the store ... */
	never_ours("root");
	/* ... nor when the database holds a root with a known password. */
	tamper_add("root", 0);
	never_ours("root");
}
END_TEST

START_TEST(test_auth_local_name_never)
{
	/* localuser: in the system passwd file, uid inside the store's range. */
	tamper_add("localuser", 10500);
	never_ours("localuser");
}
END_TEST

START_TEST(test_auth_uid_out_of_range_never)
{
	ph_sql("UPDATE users SET uid = 70000 WHERE username = 'alice'");
	never_ours("alice");
	ph_sql("UPDATE users SET uid = 999 WHERE username = 'alice'");
	never_ours("alice");
	/* Back in range, alice is served again. */
	ph_sql("UPDATE users SET uid = 10001 WHERE username = 'alice'");
	ck_assert_pam(auth_rc("la", "alice", PW, 0), PAM_SUCCESS);
}
END_TEST

START_TEST(test_auth_no_password_key)
{
	struct la_user_spec spec = { .username = "nopw" };
	struct la_user u;

	LA_OK_OR_FAIL(la_user_add(ph_st, &spec, NULL, &u));
	ck_assert_int_ne(auth_rc("la", "nopw", PW, 0), PAM_SUCCESS);
	ck_assert_int_ne(auth_rc("la", "nopw", "", 0), PAM_SUCCESS);
	/* A password key without a hash never accepts a password either. */
	ph_sql("INSERT INTO auth_keys (id, user_id, hashed_password) VALUES ('password:nopw', '%s',"
	       " NULL)",
	       u.id);
	ck_assert_int_ne(auth_rc("la", "nopw", PW, 0), PAM_SUCCESS);
	ck_assert_int_ne(auth_rc("la", "nopw", "", 0), PAM_SUCCESS);
}
END_TEST

START_TEST(test_auth_user_from_prompt)
{
	struct ph_call c = CALL("la", NULL, PW);

	c.echo_on = "alice";
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS));
	ck_assert_match(c.conv, "^U:");
}
END_TEST

START_TEST(test_auth_conversation_fails)
{
	struct ph_call c = CALL("la", "alice");

	/* No answer: never a success, and not counted as a wrong password. */
	ck_assert_int_ne(ph_op(&c, PAMTEST_AUTHENTICATE, 0), PAM_SUCCESS);
	ph_end(&c);
	ck_assert_uint_eq(c.conv_errors, 1);
	c = CALL("la", "alice", PW);
	c.conv_again = true;
	ck_assert_int_ne(ph_op(&c, PAMTEST_AUTHENTICATE, 0), PAM_SUCCESS);
	ph_end(&c);
	ck_assert_uint_eq(ph_user("alice").failures, 0);
}
END_TEST

START_TEST(test_auth_use_first_pass)
{
	struct ph_call c;

	if (!*ph.set_items) {
		ph_skip("use_first_pass", "pam_set_items.so missing");
		return;
	}
	/* pam_set_items.so (first in the stack) sets PAM_AUTHTOK from the
	 * environment variable of that name. */
	setenv("PAM_AUTHTOK", PW, 1);
	c = CALL("la_first", "alice", "not asked");
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS));
	ck_assert_uint_eq(c.prompts, 0);
	setenv("PAM_AUTHTOK", WRONG, 1);
	c = CALL("la_first", "alice", PW);
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR));
	ck_assert_uint_eq(c.prompts, 0);
	/* No earlier password: fail without asking. */
	unsetenv("PAM_AUTHTOK");
	c = CALL("la_first", "alice", PW);
	ck_assert_int_ne(ph_op(&c, PAMTEST_AUTHENTICATE, 0), PAM_SUCCESS);
	ph_end(&c);
	ck_assert_uint_eq(c.prompts, 0);
	ck_assert_str_eq(c.conv, "");
}
END_TEST

START_TEST(test_auth_try_first_pass)
{
	struct ph_call c;

	if (!*ph.set_items) {
		ph_skip("try_first_pass", "pam_set_items.so missing");
		return;
	}
	setenv("PAM_AUTHTOK", PW, 1);
	c = CALL("la_try", "alice", "not asked");
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS));
	ck_assert_uint_eq(c.prompts, 0);
	/* The earlier password is tried, and its failure is the result (as
	 * pam_unix does). */
	setenv("PAM_AUTHTOK", WRONG, 1);
	c = CALL("la_try", "alice", PW);
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR));
	ck_assert_uint_eq(c.prompts, 0);
	/* No earlier password: ask. */
	unsetenv("PAM_AUTHTOK");
	c = CALL("la_try", "alice", PW);
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS));
	ck_assert_uint_eq(c.prompts, 1);
}
END_TEST

START_TEST(test_auth_options_logged_and_ignored)
{
	struct ph_call c = CALL("la_opts", "alice", PW);

	c.capture_log = true;
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
		pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS));
	ck_assert_match(c.log, "SYSLOG\\([0-9]\\): .*frobnicate");
	ck_assert_match(c.log, "SYSLOG\\([0-9]\\): .*bogus=1");
	ck_assert_match(c.log, "SYSLOG\\([0-9]\\): .*deny=many");
	/* debug */
	ck_assert_match(c.log, "SYSLOG\\(7\\): .*alice");
	ck_assert_no_match(c.log, PW);
}
END_TEST

START_TEST(test_auth_failure_log)
{
	struct ph_call c = CALL("la", "alice", WRONG);

	c.capture_log = true;
	c.tty = "pts/7";
	c.rhost = "192.0.2.1";
	c.ruser = "mallory";
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR));
	/* pam_unix's line, which fail2ban's pam-generic filter parses. */
	ck_assert_match(c.log, FAIL2BAN_RE);
	ck_assert_no_match(c.log, WRONG);
	/* Unknown names are logged only with audit (they may be passwords
	 * typed into the user name prompt). */
	c = CALL("la", "nosuchuser", WRONG);
	c.capture_log = true;
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_USER_UNKNOWN));
	ck_assert_no_match(c.log, "nosuchuser");
	ck_assert_no_match(c.log, WRONG);
	c = CALL("la_audit", "nosuchuser", WRONG);
	c.capture_log = true;
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_USER_UNKNOWN));
	ck_assert_match(c.log, "SYSLOG\\([0-9]\\): .*user unknown.*user=nosuchuser");
	ck_assert_no_match(c.log, WRONG);
}
END_TEST

START_TEST(test_setcred)
{
	struct ph_call c = CALL("la", "alice");

	PH_ONCE(&c, pam_test_flags(PAMTEST_SETCRED, PAM_SUCCESS, PAM_ESTABLISH_CRED),
		pam_test_flags(PAMTEST_SETCRED, PAM_SUCCESS, PAM_DELETE_CRED));
	ck_assert_uint_eq(c.prompts, 0);
	ck_assert_pam(sm_setcred("alice", NULL), PAM_SUCCESS);
	ck_assert_pam(sm_setcred("nosuchuser", NULL), PAM_IGNORE);
	ck_assert_pam(sm_setcred("root", NULL), PAM_IGNORE);
	/* Through libpam a lone PAM_IGNORE is never a success. */
	c = CALL("la", "nosuchuser");
	ck_assert_int_ne(ph_op(&c, PAMTEST_SETCRED, PAM_ESTABLISH_CRED), PAM_SUCCESS);
	ph_end(&c);
}
END_TEST

/* ---- lockout (SPEC 3) and the clock --------------------------------------- */

START_TEST(test_lockout_deny_then_unlock)
{
	struct ph_call c;
	struct la_user u;

	if (!ph_clock("+0"))
		return;
	for (int i = 1; i <= 3; i++)
		ck_assert_pam(auth_rc("la_lock", "alice", WRONG, 0), PAM_AUTH_ERR);
	u = ph_user("alice");
	ck_assert_uint_eq(u.failures, 3);
	ck_assert_int_gt(u.locked_until_ms, la_store_now(ph_st));
	/* Locked: the right password is refused without being checked. */
	ph_work_reset();
	c = CALL("la_lock", "alice", PW);
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR));
	ck_assert_uint_eq(ph_work.argon2_verify, 0);
	ck_assert_match(c.conv, "^" LOCKED_MSG "$");
	ck_assert_uint_gt(c.delay_usec, 0);
	/* PAM_SILENT: no message. */
	c = CALL("la_lock", "alice", PW);
	PH_ONCE(&c, pam_test_flags(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR, PAM_SILENT));
	ck_assert_no_match(c.conv, "^E:");
	/* More wrong passwords while locked are not counted and do not extend it. */
	ck_assert_pam(auth_rc("la_lock", "alice", WRONG, 0), PAM_AUTH_ERR);
	ck_assert_uint_eq(ph_user("alice").failures, 3);
	ck_assert_int_eq(ph_user("alice").locked_until_ms, u.locked_until_ms);
	/* Still locked 9 minutes later, open after unlock_time (10m). */
	ph_clock("+9m");
	ck_assert_pam(auth_rc("la_lock", "alice", PW, 0), PAM_AUTH_ERR);
	ph_clock("+11m");
	ck_assert_pam(auth_rc("la_lock", "alice", PW, 0), PAM_SUCCESS);
	u = ph_user("alice");
	ck_assert_uint_eq(u.failures, 0);
	ck_assert_int_eq(u.locked_until_ms, 0);
}
END_TEST

START_TEST(test_lockout_fail_interval)
{
	if (!ph_clock("+0"))
		return;
	for (int i = 0; i < 2; i++)
		ck_assert_pam(auth_rc("la_lock", "alice", WRONG, 0), PAM_AUTH_ERR);
	/* The first two fall out of fail_interval (15m): two more do not lock. */
	ph_clock("+16m");
	for (int i = 0; i < 2; i++)
		ck_assert_pam(auth_rc("la_lock", "alice", WRONG, 0), PAM_AUTH_ERR);
	ck_assert_uint_eq(ph_user("alice").failures, 2);
	ck_assert_pam(auth_rc("la_lock", "alice", PW, 0), PAM_SUCCESS);
}
END_TEST

START_TEST(test_lockout_success_resets)
{
	for (int i = 0; i < 2; i++)
		ck_assert_pam(auth_rc("la_lock", "alice", WRONG, 0), PAM_AUTH_ERR);
	ck_assert_pam(auth_rc("la_lock", "alice", PW, 0), PAM_SUCCESS);
	for (int i = 0; i < 2; i++)
		ck_assert_pam(auth_rc("la_lock", "alice", WRONG, 0), PAM_AUTH_ERR);
	ck_assert_pam(auth_rc("la_lock", "alice", PW, 0), PAM_SUCCESS);
}
END_TEST

/* Failures from concurrent processes are all counted (deny=0: no lock). */
static int three_wrong(unsigned i)
{
	(void)i;
	for (int k = 0; k < 3; k++) {
		int r = auth_rc("la_nolock", "alice", WRONG, 0);

		if (r != PAM_AUTH_ERR)
			return 100 + r; /* the exit status tells the code */
	}
	return 0;
}

START_TEST(test_lockout_counts_concurrent_failures)
{
	ph_parallel(4, three_wrong);
	ck_assert_uint_eq(ph_user("alice").failures, 12);
	ck_assert_int_eq(ph_user("alice").locked_until_ms, 0);
}
END_TEST

/* ---- rehash on login --------------------------------------------------------- */

START_TEST(test_rehash_lucia_v2)
{
	ph_sql("UPDATE auth_keys SET hashed_password = '" LUCIA_V2_HUNTER22 "'"
	       " WHERE id = 'password:alice'");
	/* A wrong password leaves the old hash alone. */
	ck_assert_pam(auth_rc("la", "alice", WRONG, 0), PAM_AUTH_ERR);
	ck_assert_str_eq(ph_hash_of("alice"), LUCIA_V2_HUNTER22);
	ph_work_reset();
	ck_assert_pam(auth_rc("la", "alice", "hunter22", 0), PAM_SUCCESS);
	ck_assert_uint_eq(ph_work.scrypt, 1);
	ck_assert_uint_eq(ph_work.argon2_hash, 1);
	ck_assert_match(ph_hash_of("alice"), "^\\$argon2id\\$v=19\\$m=64,t=1,");
	ck_assert(ph_password_is("alice", "hunter22"));
	/* Once is enough. */
	ph_work_reset();
	ck_assert_pam(auth_rc("la", "alice", "hunter22", 0), PAM_SUCCESS);
	ck_assert_uint_eq(ph_work.argon2_hash, 0);
	ck_assert_uint_eq(ph_work.scrypt, 0);
}
END_TEST

START_TEST(test_rehash_argon2_cost)
{
	char hash[LA_HASH_MAX];

	LA_OK_OR_FAIL(la_hash_password(PW, 128, 2, hash));
	ph_sql("UPDATE auth_keys SET hashed_password = '%s' WHERE id = 'password:alice'", hash);
	ck_assert_pam(auth_rc("la", "alice", PW, 0), PAM_SUCCESS);
	ck_assert_match(ph_hash_of("alice"), "^\\$argon2id\\$v=19\\$m=64,t=1,");
	ck_assert(ph_password_is("alice", PW));
}
END_TEST


/* ---- TCases ---------------------------------------------------------------- */

void cp_tcase_auth(Suite *s)
{
	const TTest *const auth[] = {
		test_auth_success,
		test_auth_wrong_password,
		test_auth_nodelay,
		test_auth_empty_password,
		test_auth_unknown_user,
		test_auth_unknown_user_same_work,
		test_auth_root_never,
		test_auth_local_name_never,
		test_auth_uid_out_of_range_never,
		test_auth_no_password_key,
		test_auth_user_from_prompt,
		test_auth_conversation_fails,
		test_auth_use_first_pass,
		test_auth_try_first_pass,
		test_auth_options_logged_and_ignored,
		test_auth_failure_log,
		test_setcred,
	};

	PH_TCASE(s, "auth", auth);
}

void cp_tcase_lockout(Suite *s)
{
	const TTest *const lockout[] = {
		test_lockout_deny_then_unlock,
		test_lockout_fail_interval,
		test_lockout_success_resets,
		test_lockout_counts_concurrent_failures,
		test_rehash_lucia_v2,
		test_rehash_argon2_cost,
	};

	PH_TCASE(s, "lockout", lockout);
}

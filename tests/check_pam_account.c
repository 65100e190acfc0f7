/*
 * check_pam_account.c - account management (pam_acct_mgmt)
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

/* ---- account ------------------------------------------------------------------ */

START_TEST(test_account_states)
{
	struct la_user_spec mc = { .must_change = true, .set = LA_SET_MUST_CHANGE };
	struct ph_call c = CALL("la", "alice");

	PH_ONCE(&c, pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS));
	ck_assert_str_eq(c.conv, "");
	/* must change */
	LA_OK_OR_FAIL(la_user_mod(ph_st, "alice", &mc));
	c = CALL("la", "alice");
	PH_ONCE(&c, pam_test(PAMTEST_ACCOUNT, PAM_NEW_AUTHTOK_REQD));
	ck_assert_match(c.conv, "^E:.*change your password");
	/* expired wins over must change */
	LA_OK_OR_FAIL(la_user_set_expiry(ph_st, "alice", la_store_now(ph_st) - 1000));
	c = CALL("la", "alice");
	PH_ONCE(&c, pam_test(PAMTEST_ACCOUNT, PAM_ACCT_EXPIRED));
	ck_assert_match(c.conv, "^E:.*expired");
	/* locked wins over both */
	LA_OK_OR_FAIL(la_user_set_locked(ph_st, "alice", true));
	c = CALL("la", "alice");
	PH_ONCE(&c, pam_test(PAMTEST_ACCOUNT, PAM_PERM_DENIED));
	ck_assert_match(c.conv, "^E:.*locked");
	/* PAM_SILENT: the same codes, no messages */
	c = CALL("la", "alice");
	PH_ONCE(&c, pam_test_flags(PAMTEST_ACCOUNT, PAM_PERM_DENIED, PAM_SILENT));
	ck_assert_str_eq(c.conv, "");
	LA_OK_OR_FAIL(la_user_set_locked(ph_st, "alice", false));
	c = CALL("la", "alice");
	PH_ONCE(&c, pam_test_flags(PAMTEST_ACCOUNT, PAM_ACCT_EXPIRED, PAM_SILENT));
	ck_assert_str_eq(c.conv, "");
	LA_OK_OR_FAIL(la_user_set_expiry(ph_st, "alice", 0));
	c = CALL("la", "alice");
	PH_ONCE(&c, pam_test_flags(PAMTEST_ACCOUNT, PAM_NEW_AUTHTOK_REQD, PAM_SILENT));
	ck_assert_str_eq(c.conv, "");
}
END_TEST

START_TEST(test_account_unknown)
{
	ck_assert_pam(account_rc("la", "nosuchuser"), PAM_USER_UNKNOWN);
	ck_assert_pam(account_rc("la_unknown_ok", "nosuchuser"), PAM_IGNORE);
	ck_assert_pam(account_rc("la", "root"), PAM_USER_UNKNOWN);
	ck_assert_pam(account_rc("la_unknown_ok", "root"), PAM_IGNORE);
}
END_TEST

START_TEST(test_account_expires_with_clock)
{
	if (!ph_clock("+0"))
		return;
	LA_OK_OR_FAIL(la_user_set_expiry(ph_st, "alice", la_store_now(ph_st) + 3600000));
	ck_assert_pam(account_rc("la", "alice"), PAM_SUCCESS);
	ph_clock("+2h");
	ck_assert_pam(account_rc("la", "alice"), PAM_ACCT_EXPIRED);
}
END_TEST

/* Login with an expired password: account says so, the change (which
 * needs the old password even from root) clears it. */
START_TEST(test_account_must_change_flow)
{
	struct la_user_spec mc = { .must_change = true, .set = LA_SET_MUST_CHANGE };
	struct ph_call c = CALL("la", "alice", PW, PW, PW_NEW, PW_NEW);

	LA_OK_OR_FAIL(la_user_mod(ph_st, "alice", &mc));
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
		pam_test(PAMTEST_ACCOUNT, PAM_NEW_AUTHTOK_REQD),
		pam_test_flags(PAMTEST_CHAUTHTOK, PAM_SUCCESS, PAM_CHANGE_EXPIRED_AUTHTOK),
		pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS));
	ck_assert_uint_eq(c.prompts, 4);
	ck_assert(!ph_user("alice").must_change);
	ck_assert(ph_password_is("alice", PW_NEW));
}
END_TEST


/* ---- TCases ---------------------------------------------------------------- */

void cp_tcase_account(Suite *s)
{
	const TTest *const account[] = {
		test_account_states,
		test_account_unknown,
		test_account_expires_with_clock,
		test_account_must_change_flow,
	};

	PH_TCASE(s, "account", account);
}

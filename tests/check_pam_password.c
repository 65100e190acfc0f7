/*
 * check_pam_password.c - password change (pam_chauthtok)
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

/* ---- password ------------------------------------------------------------------ */

START_TEST(test_chauthtok_root_without_old)
{
	struct ph_call c = CALL("la", "alice", PW_NEW, PW_NEW);
	int64_t before = ph_user("alice").password_changed_ms;

	if (getuid() != 0) {
		ph_skip("chauthtok as root", "not running as root; the unprivileged branch is "
					     "test_chauthtok_old_required");
		return;
	}
	PH_ONCE(&c, pam_test(PAMTEST_CHAUTHTOK, PAM_SUCCESS));
	ck_assert_uint_eq(c.prompts, 2);
	ck_assert_match(c.conv, "^P:New password: $");
	ck_assert_match(c.conv, "^P:Retype new password: $");
	ck_assert(ph_password_is("alice", PW_NEW));
	ck_assert(!ph_password_is("alice", PW));
	ck_assert_int_ge(ph_user("alice").password_changed_ms, before);
	ck_assert_pam(auth_rc("la", "alice", PW_NEW, 0), PAM_SUCCESS);
	ck_assert_pam(auth_rc("la", "alice", PW, 0), PAM_AUTH_ERR);
}
END_TEST

static bool refused_old(int r)
{
	return r == PAM_AUTH_ERR || r == PAM_AUTHTOK_ERR || r == PAM_AUTHTOK_RECOVERY_ERR ||
	       r == PAM_PERM_DENIED;
}

/* Runs as a non-root uid (child): errors are returned, not asserted. */
static const char *old_required(const void *arg)
{
	static char why[8192];
	const char *service = arg;
	struct ph_call c = CALL(service, "alice", WRONG, PW_NEW, PW_NEW);
	int r;

	/* Wrong old password: refused in the PRELIM pass, new one never asked. */
	r = ph_op(&c, PAMTEST_CHAUTHTOK, 0);
	ph_end(&c);
	if (!refused_old(r) || c.prompts != 1) {
		snprintf(why, sizeof(why), "wrong old password: %s after %u prompts\n%s",
			 ph_code_name(r), c.prompts, c.conv);
		return why;
	}
	c = CALL(service, "alice", PW, PW_NEW, PW_NEW);
	r = ph_op(&c, PAMTEST_CHAUTHTOK, 0);
	ph_end(&c);
	if (r != PAM_SUCCESS || c.prompts != 3) {
		snprintf(why, sizeof(why), "change: %s after %u prompts\n%s", ph_code_name(r),
			 c.prompts, c.conv);
		return why;
	}
	/* The new password must not be the old one. */
	c = CALL(service, "alice", PW_NEW, PW_NEW, PW_NEW);
	r = ph_op(&c, PAMTEST_CHAUTHTOK, 0);
	ph_end(&c);
	if (r != PAM_AUTHTOK_ERR || !ph_match(c.conv, "^E:BAD PASSWORD: .*old")) {
		snprintf(why, sizeof(why), "new = old: %s\n%s", ph_code_name(r), c.conv);
		return why;
	}
	return NULL;
}

START_TEST(test_chauthtok_old_required)
{
	/* uid 65534 cannot read the build tree everywhere: la_drop names a
	 * copy of the module inside R. */
	if (!ph_unprivileged(old_required, getuid() == 0 ? "la_drop" : "la", true))
		return;
	ck_assert(ph_password_is("alice", PW_NEW));
	/* The wrong old password counted as a failure, the right one cleared it. */
	ck_assert_uint_eq(ph_user("alice").failures, 0);
}
END_TEST

/* PAM_CHANGE_EXPIRED_AUTHTOK: the old password even from root. */
START_TEST(test_chauthtok_expired_needs_old)
{
	struct ph_call c = CALL("la", "alice", WRONG, PW_NEW, PW_NEW);
	int r;

	r = ph_op(&c, PAMTEST_CHAUTHTOK, PAM_CHANGE_EXPIRED_AUTHTOK);
	ph_end(&c);
	ck_assert_msg(refused_old(r), "wrong old password: %s", ph_code_name(r));
	ck_assert_uint_eq(c.prompts, 1);
	ck_assert_uint_eq(ph_user("alice").failures, 1);
	ck_assert(ph_password_is("alice", PW));
	c = CALL("la", "alice", PW, PW_NEW, PW_NEW);
	PH_ONCE(&c, pam_test_flags(PAMTEST_CHAUTHTOK, PAM_SUCCESS, PAM_CHANGE_EXPIRED_AUTHTOK));
	ck_assert_uint_eq(c.prompts, 3);
	ck_assert(ph_password_is("alice", PW_NEW));
	/* new = old */
	c = CALL("la", "alice", PW_NEW, PW_NEW, PW_NEW);
	PH_ONCE(&c, pam_test_flags(PAMTEST_CHAUTHTOK, PAM_AUTHTOK_ERR, PAM_CHANGE_EXPIRED_AUTHTOK));
	ck_assert_match(c.conv, "^E:BAD PASSWORD: .*old");
}
END_TEST

/* One refused change: AUTHTOK_ERR, the reason shown, nothing changed. */
static void refused(const char *service, const char *user, const char *pw, const char *reason)
{
	struct ph_call c = CALL(service, user);

	change_answers(&c, PW, pw, pw);
	PH_ONCE(&c, pam_test(PAMTEST_CHAUTHTOK, PAM_AUTHTOK_ERR));
	ck_assert_match(c.conv, reason);
	ck_assert(ph_password_is(user, PW));
	/* PAM_SILENT: refused the same, without the message. */
	c = CALL(service, user);
	change_answers(&c, PW, pw, pw);
	PH_ONCE(&c, pam_test_flags(PAMTEST_CHAUTHTOK, PAM_AUTHTOK_ERR, PAM_SILENT));
	ck_assert_no_match(c.conv, "^E:");
	ck_assert(ph_password_is(user, PW));
}

START_TEST(test_chauthtok_policy)
{
	char long_pw[LA_PASSWORD_MAX + 2];
	struct ph_call c;

	refused("la", "alice", "seven77", "^E:BAD PASSWORD: .*short");
	refused("la_pwmin", "alice", "elevenchars", "^E:BAD PASSWORD: .*short");
	memset(long_pw, 'a', LA_PASSWORD_MAX + 1);
	long_pw[LA_PASSWORD_MAX + 1] = '\0';
	refused("la", "alice", long_pw, "^E:BAD PASSWORD: .*long");
	ph_add_user("carolina8", PW, NULL);
	refused("la", "carolina8", "carolina8", "^E:BAD PASSWORD: .*user name");
	/* The retyped password differs. */
	c = CALL("la", "alice");
	change_answers(&c, PW, PW_NEW, "battery stapl3");
	ck_assert_int_ne(ph_op(&c, PAMTEST_CHAUTHTOK, 0), PAM_SUCCESS);
	ph_end(&c);
	ck_assert(ph_password_is("alice", PW));
	/* The limits themselves are fine: 12 with password_min=12, 256. */
	c = CALL("la_pwmin", "alice");
	change_answers(&c, PW, "twelve chars", "twelve chars");
	PH_ONCE(&c, pam_test(PAMTEST_CHAUTHTOK, PAM_SUCCESS));
	ck_assert(ph_password_is("alice", "twelve chars"));
	long_pw[LA_PASSWORD_MAX] = '\0';
	c = CALL("la", "alice");
	change_answers(&c, "twelve chars", long_pw, long_pw);
	PH_ONCE(&c, pam_test(PAMTEST_CHAUTHTOK, PAM_SUCCESS));
	ck_assert(ph_password_is("alice", long_pw));
}
END_TEST

START_TEST(test_chauthtok_revoke_sessions)
{
	struct la_origin web = { NULL, NULL, "192.0.2.1" };
	char t1[LA_TOKEN_BUF], t2[LA_TOKEN_BUF], mine[LA_TOKEN_BUF];
	struct ph_call c = session_call("la", "pts/7", NULL);
	struct la_session s;

	LA_OK_OR_FAIL(la_session_create(ph_st, ph_alice.id, &web, t1, &s));
	LA_OK_OR_FAIL(la_session_create(ph_st, ph_alice.id, &web, t2, &s));
	/* Without the option every session stays. */
	change_answers(&c, PW, PW_NEW, PW_NEW);
	PH_ONCE(&c, pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
		pam_test(PAMTEST_CHAUTHTOK, PAM_SUCCESS));
	ck_assert_uint_eq(ph_sessions("alice"), 3);
	/* With it only the session the change is made from stays. */
	c = session_call("la_revoke", "pts/7", NULL);
	change_answers(&c, PW_NEW, PW, PW);
	PH_RUN(&c, pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
	       pam_test(PAMTEST_CHAUTHTOK, PAM_SUCCESS));
	snprintf(mine, sizeof(mine), "%s", c.token);
	ph_end(&c);
	ck_assert_uint_eq(ph_sessions("alice"), 1);
	(void)session_of(mine);
	ck_assert_int_eq(la_session_get(ph_st, t1, &s, NULL), LA_E_NOSESSION);
	ck_assert_int_eq(la_session_get(ph_st, t2, &s, NULL), LA_E_NOSESSION);
}
END_TEST

START_TEST(test_chauthtok_not_ours)
{
	struct ph_call c = CALL("la", "nosuchuser", PW, PW_NEW, PW_NEW);

	PH_ONCE(&c, pam_test(PAMTEST_CHAUTHTOK, PAM_IGNORE));
	ck_assert_uint_eq(c.prompts, 0);
	c = CALL("la", "root", PW, PW_NEW, PW_NEW);
	PH_ONCE(&c, pam_test(PAMTEST_CHAUTHTOK, PAM_IGNORE));
	ck_assert_uint_eq(c.prompts, 0);
}
END_TEST

START_TEST(test_chauthtok_use_authtok)
{
	struct ph_call c;

	if (!*ph.set_items) {
		ph_skip("use_authtok", "pam_set_items.so missing");
		return;
	}
	/* The new (and old) password from an earlier module, no prompt. */
	setenv("PAM_OLDAUTHTOK", PW, 1);
	setenv("PAM_AUTHTOK", PW_NEW, 1);
	c = CALL("la_authtok", "alice", "not asked", "not asked", "not asked");
	PH_ONCE(&c, pam_test(PAMTEST_CHAUTHTOK, PAM_SUCCESS));
	ck_assert_uint_eq(c.prompts, 0);
	ck_assert(ph_password_is("alice", PW_NEW));
	/* use_authtok without an earlier new password: refused, not asked. */
	unsetenv("PAM_AUTHTOK");
	setenv("PAM_OLDAUTHTOK", PW_NEW, 1);
	c = CALL("la_authtok", "alice", "fresh password", "fresh password");
	ck_assert_int_ne(ph_op(&c, PAMTEST_CHAUTHTOK, 0), PAM_SUCCESS);
	ph_end(&c);
	ck_assert_uint_eq(c.prompts, 0);
	ck_assert(ph_password_is("alice", PW_NEW));
	unsetenv("PAM_OLDAUTHTOK");
}
END_TEST


/* ---- TCases ---------------------------------------------------------------- */

void cp_tcase_password(Suite *s)
{
	const TTest *const password[] = {
		test_chauthtok_root_without_old, test_chauthtok_old_required,
		test_chauthtok_expired_needs_old, test_chauthtok_policy,
		test_chauthtok_revoke_sessions,	 test_chauthtok_not_ours,
		test_chauthtok_use_authtok,
	};

	PH_TCASE(s, "password", password);
}

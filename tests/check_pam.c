/*
 * check_pam.c - module-level tests of pam_luciaauth.so (SPEC 3): the built
 * module is driven through libpam (pam_wrapper + libpamtest, no root and
 * no /etc/pam.d), against a fresh store per test.  The harness
 * (pam_harness.c/.h) explains the process set-up, the clock (libfaketime)
 * and how the module's hashing work is counted.
 *
 * Runs as root and as a normal user.  The one branch that depends on the
 * caller's uid (chauthtok asks for the old password unless root) is tested
 * in both directions: as root directly and, in a child that dropped to uid
 * 65534, the unprivileged way; as a normal user the root branch is skipped
 * with a "# SKIP" line.
 *
 *   tests/check_pam             re-executes itself under pam_wrapper and
 *                               libfaketime (libasan first in an ASan build)
 *   make check-pam-valgrind     once under valgrind, preloads set outside
 *   CHECK_PAM_MODULE=/path/pam_luciaauth.so tests/check_pam
 *                               another build of the module (installed one,
 *                               negative controls)
 *
 * Return codes are the module's own: each service passes the module's code
 * through and turns its PAM_IGNORE into a marker (pam_harness.c, SENTINEL);
 * only setcred's PAM_IGNORE has to be read by calling pam_sm_setcred
 * directly (sm_setcred).
 *
 * The tests are split by theme (each file adds its TCases through a builder
 * declared in check_pam.h): check_pam_module.c (exports, store),
 * check_pam_auth.c (auth, lockout), check_pam_account.c,
 * check_pam_session.c, check_pam_password.c; their shared helpers are in
 * check_pam_common.c.
 */
#include "config.h"

#include <stdlib.h>

#include "check_pam.h"

/* ---- suite ---------------------------------------------------------------------- */

static Suite *suite_pam(void)
{
	Suite *s = suite_create("pam");

	cp_tcase_exports(s);
	cp_tcase_auth(s);
	cp_tcase_store(s);
	cp_tcase_lockout(s);
	cp_tcase_account(s);
	cp_tcase_session(s);
	cp_tcase_password(s);
	return s;
}

int main(int argc, char **argv)
{
	SRunner *sr;
	int failed;

	ph_init(argc, argv);
	sr = srunner_create(suite_pam());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	ph_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * check_main.c - runs every Check suite of the storage library.
 * Output is TAP when CK_TAP_LOG_FILE_NAME=- (set by make check).
 */
#include "config.h"

#include <stdlib.h>

#include "check_la.h"

int main(void)
{
	SRunner *sr = srunner_create(suite_config());
	int failed;

	srunner_add_suite(sr, suite_store_open());
	srunner_add_suite(sr, suite_hash());
	srunner_add_suite(sr, suite_user());
	srunner_add_suite(sr, suite_user_limits());
	srunner_add_suite(sr, suite_group());
	srunner_add_suite(sr, suite_key());
	srunner_add_suite(sr, suite_session());
	srunner_add_suite(sr, suite_session_token());
	srunner_add_suite(sr, suite_auth());
	srunner_add_suite(sr, suite_lockout());
	srunner_add_suite(sr, suite_nss());
	srunner_add_suite(sr, suite_nss_tamper());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

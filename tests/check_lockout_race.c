/*
 * check_lockout_race.c - lockout under concurrency (la_auth.c MUST 6): 32
 * processes sign in to one user at the same moment.
 *
 *  - 32 wrong passwords: exactly `deny` failures are recorded, the user is
 *    locked, and exactly `deny` password hashes were checked: the others
 *    were answered LOCKED without a check.
 *  - 32 right passwords interleaved with deny - 1 wrong ones: every right
 *    one succeeds, the user ends up unlocked.
 *  - a slot left by a process that died counts as one failure.
 *
 * The hash checks are counted by wrapping crypto_pwhash_str_verify
 * (-Wl,--wrap; the storage library is linked statically) into a counter
 * in shared memory, so that the children's checks add up in the parent.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "check_la.h"

#define NPROC 32
#define WRONG "not the password"

static unsigned long *n_verify; /* shared with the children */

int __real_crypto_pwhash_str_verify(const char *str, const char *passwd,
				    unsigned long long passwdlen);
int __wrap_crypto_pwhash_str_verify(const char *str, const char *passwd,
				    unsigned long long passwdlen);

int __wrap_crypto_pwhash_str_verify(const char *str, const char *passwd,
				    unsigned long long passwdlen)
{
	if (n_verify)
		__atomic_fetch_add(n_verify, 1, __ATOMIC_SEQ_CST);
	return __real_crypto_pwhash_str_verify(str, passwd, passwdlen);
}

/* Child idx signs in to alice with pw_of(idx). */
typedef const char *(*pw_fn)(int idx);

static int child(int idx, void *ctx)
{
	const pw_fn *pw_of = ctx;

	return fx_child_auth("alice", (*pw_of)(idx));
}

/* NPROC children at once; tally their results by la_rc. */
static void race(pw_fn pw_of, int tally[LA_RC_MAX])
{
	int status[NPROC];

	*n_verify = 0;
	fx_run_children(NPROC, child, &pw_of, status);
	fx_tally(status, NPROC, tally);
}

static void setup(void)
{
	fx_setup();
	n_verify = mmap(NULL, sizeof(*n_verify), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(n_verify, MAP_FAILED);
	fx_add_user("alice", PW, NULL);
	*n_verify = 0;
}

static void teardown(void)
{
	munmap(n_verify, sizeof(*n_verify));
	n_verify = NULL;
	fx_teardown();
}

static const char *always_wrong(int idx)
{
	(void)idx;
	return WRONG;
}

/* deny - 1 = 4 wrong passwords spread among 32 + 4 right ones. */
static const char *mostly_right(int idx)
{
	return idx % 8 == 3 ? WRONG : PW;
}

START_TEST(test_race_failures_lock_after_exactly_deny)
{
	int n[LA_RC_MAX];
	struct la_user u;

	ck_assert_uint_eq(fx.cfg.deny, 5);
	race(always_wrong, n);
	ck_assert_int_eq(n[LA_E_AUTH], 5);
	ck_assert_int_eq(n[LA_E_LOCKED], NPROC - 5);
	/* The point: the 27 refused ones never got to check a password. */
	ck_assert_uint_eq(*n_verify, 5);
	u = fx_user("alice");
	ck_assert_uint_eq(u.failures, 5);
	ck_assert_int_eq(u.locked_until_ms, fx.now + fx.cfg.unlock_time_ms);
	ck_assert_int_eq(fx_count("auth_pending"), 0);
	*n_verify = 0;
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", PW), LA_E_LOCKED);
	ck_assert_uint_eq(*n_verify, 0);
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

START_TEST(test_race_successes_never_lock)
{
	int n[LA_RC_MAX];
	struct la_user u;

	race(mostly_right, n);
	ck_assert_int_eq(n[LA_E_AUTH], NPROC / 8);
	ck_assert_int_eq(n[LA_OK], NPROC - NPROC / 8);
	ck_assert_int_eq(n[LA_E_LOCKED], 0);
	ck_assert_uint_eq(*n_verify, NPROC); /* every one was checked */
	u = fx_user("alice");
	ck_assert_int_eq(u.locked_until_ms, 0);
	ck_assert_uint_lt(u.failures, fx.cfg.deny);
	ck_assert_int_eq(fx_count("auth_pending"), 0);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", PW), LA_OK);
	ck_assert_uint_eq(fx_user("alice").failures, 0);
}
END_TEST

/* A process killed between taking its slot and recording its result
 * leaves a row behind: after a minute it is one failure, not a free pass
 * (killing the check must not be a way around the counter). */
START_TEST(test_race_dead_slot_counts_as_failure)
{
	char sql[256];
	struct la_user u = fx_user("alice");

	snprintf(sql, sizeof(sql), "INSERT INTO auth_pending (user_id, at) VALUES ('%s', %lld)",
		 u.id, (long long)(fx.now - 61000));
	fx_sql(sql);
	snprintf(sql, sizeof(sql), "INSERT INTO auth_pending (user_id, at) VALUES ('%s', %lld)",
		 u.id, (long long)(fx.now - 1000));
	fx_sql(sql);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", WRONG), LA_E_AUTH);
	/* the stale slot became a failure; the recent one is still under way */
	ck_assert_uint_eq(fx_user("alice").failures, 2);
	ck_assert_int_eq(fx_count("auth_pending"), 1);
	/* 3 more failures + the slot under way = deny: no slot is free until it
	 * ends, and it ends (dies) as a failure: locked. */
	fx.now += 1;
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", WRONG), LA_E_AUTH);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", WRONG), LA_E_AUTH);
	ck_assert_uint_eq(fx_user("alice").failures, 4);
	fx.now += 60000;
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", PW), LA_E_LOCKED);
	ck_assert_uint_eq(fx_user("alice").failures, 5);
	ck_assert_int_eq(fx_count("auth_pending"), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lockout_race");
	TCase *tc = tcase_create("race");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_race_failures_lock_after_exactly_deny);
	tcase_add_test(tc, test_race_successes_never_lock);
	tcase_add_test(tc, test_race_dead_slot_counts_as_failure);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * check_lockout.c - the lockout of SPEC 3 (pam_faillock's model: deny
 * failures inside any span of fail_interval lock the account for
 * unlock_time) and concurrent sign-ins from several processes, which must
 * neither lose nor over-count failures.
 */
#include "config.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_la.h"

#define WRONG "wrong horse"
#define MIN   ((int64_t)60000)
#define DAY   ((int64_t)86400000)

/* ---- helpers ---------------------------------------------------------- */

/* The lockout counters of name are exactly these. */
static void lockout_is(const char *name, unsigned failures, int64_t until)
{
	struct la_user u = fx_user(name);

	ck_assert_uint_eq(u.failures, failures);
	ck_assert_int_eq(u.locked_until_ms, until);
}

/* n wrong passwords for name, 1 ms apart, each refused with AUTH. */
static void fail_n(const char *name, int n)
{
	for (int i = 0; i < n; i++) {
		la_rc rc = fx_auth(LA_IDENT_USERNAME, name, WRONG);

		ck_assert_msg(rc == LA_E_AUTH, "failure %d: %s", i + 1, la_strerror(rc));
		fx.now++;
	}
}

/* ---- limits: lockout (SPEC 3: deny 5, fail_interval 15m, unlock 10m) --- */

START_TEST(test_auth_lockout_after_deny)
{
	struct la_user u;
	struct la_session s;
	char tok[LA_TOKEN_BUF];
	int64_t until;

	ck_assert_uint_eq(fx.cfg.deny, 5);
	ck_assert_int_eq(fx.cfg.unlock_time_ms, 10 * MIN);
	fx_add_user("alice", PW, NULL);
	for (unsigned i = 1; i <= 4; i++) {
		ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", WRONG), LA_E_AUTH);
		lockout_is("alice", i, 0);
		fx.now += 1000;
	}
	/* The 5th failure itself is a plain AUTH, and locks. */
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", WRONG), LA_E_AUTH);
	until = fx.now + 10 * MIN;
	lockout_is("alice", 5, until);
	/* While locked the password is not even checked; nothing moves. */
	fx.now += 1;
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", PW), LA_E_LOCKED);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", WRONG), LA_E_LOCKED);
	ck_assert_int_eq(fx_auth(LA_IDENT_KEY, "password:alice", PW), LA_E_LOCKED);
	ck_assert_int_eq(la_login(fx.st, LA_IDENT_USERNAME, "alice", PW, NULL, tok, &s, &u),
			 LA_E_LOCKED);
	ck_assert_int_eq(fx_count("sessions"), 0);
	fx.now = until - 1;
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", PW), LA_E_LOCKED);
	lockout_is("alice", 5, until);
}
END_TEST

START_TEST(test_auth_lockout_ends_at_locked_until)
{
	struct la_user a;
	int64_t until;

	fx_add_user("alice", PW, NULL);
	fail_n("alice", 5);
	until = fx_user("alice").locked_until_ms;
	ck_assert_int_eq(until, fx.now - 1 + 10 * MIN);
	/* Locked while locked_until > now: at now == locked_until it is over. */
	fx.now = until;
	ck_assert_int_eq(la_authenticate(fx.st, LA_IDENT_USERNAME, "alice", PW, &a), LA_OK);
	ck_assert_uint_eq(a.failures, 0);
	ck_assert_int_eq(a.locked_until_ms, 0);
	lockout_is("alice", 0, 0);
	/* Lock again; a wrong password after the lock expired starts a new count. */
	fail_n("alice", 5);
	until = fx_user("alice").locked_until_ms;
	ck_assert_int_gt(until, 0);
	fx.now = until;
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", WRONG), LA_E_AUTH);
	lockout_is("alice", 1, 0);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", PW), LA_OK);
}
END_TEST

START_TEST(test_auth_lockout_fail_interval)
{
	ck_assert_int_eq(fx.cfg.fail_interval_ms, 15 * MIN);
	fx_add_user("alice", PW, NULL);
	fx_add_user("bob", PW, NULL);
	fx_add_user("carol", PW, NULL);
	/* Failures 4 minutes apart never gather 5 inside 15 minutes. */
	for (int i = 0; i < 12; i++) {
		ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", WRONG), LA_E_AUTH);
		ck_assert_uint_lt(fx_user("alice").failures, 5);
		ck_assert_int_eq(fx_user("alice").locked_until_ms, 0);
		fx.now += 4 * MIN;
	}
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", PW), LA_OK);
	/* Boundary: the 5th failure exactly fail_interval after the first counts... */
	fx.now = FX_T0 + DAY;
	fail_n("bob", 4);
	fx.now = FX_T0 + DAY + 15 * MIN;
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "bob", WRONG), LA_E_AUTH);
	ck_assert_int_gt(fx_user("bob").locked_until_ms, fx.now);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "bob", PW), LA_E_LOCKED);
	/* ...one millisecond later it does not. */
	fx.now = FX_T0 + 2 * DAY;
	fail_n("carol", 4);
	fx.now = FX_T0 + 2 * DAY + 15 * MIN + 1;
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "carol", WRONG), LA_E_AUTH);
	ck_assert_uint_lt(fx_user("carol").failures, 5);
	ck_assert_int_eq(fx_user("carol").locked_until_ms, 0);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "carol", PW), LA_OK);
}
END_TEST

/* SPEC 3 (pam_faillock's model and defaults): deny failures inside ANY span
 * of fail_interval lock.  Here 5 failures fall within 5 ms, straddling the
 * moment fail_interval after the first failure. */
START_TEST(test_auth_lockout_window_slides)
{
	fx_add_user("alice", PW, NULL);
	fail_n("alice", 1); /* T0 */
	fx.now = FX_T0 + 15 * MIN - 2;
	fail_n("alice", 2); /* T0+15m-2, T0+15m-1 */
	fx.now = FX_T0 + 15 * MIN + 1;
	fail_n("alice", 3); /* T0+15m+1 .. T0+15m+3 */
	ck_assert_msg(fx_user("alice").locked_until_ms > fx.now,
		      "5 failures within 5 ms did not lock (failures = %u)",
		      fx_user("alice").failures);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", PW), LA_E_LOCKED);
}
END_TEST

START_TEST(test_auth_lockout_success_resets)
{
	fx_add_user("alice", PW, NULL);
	fail_n("alice", 4);
	lockout_is("alice", 4, 0);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", PW), LA_OK);
	lockout_is("alice", 0, 0);
	fail_n("alice", 4);
	lockout_is("alice", 4, 0);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", PW), LA_OK);
	fail_n("alice", 5);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", PW), LA_E_LOCKED);
}
END_TEST

START_TEST(test_auth_lockout_shared_by_idents)
{
	fx_add_user_email("alice", "alice@example.com", PW, NULL);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", WRONG), LA_E_AUTH);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", WRONG), LA_E_AUTH);
	ck_assert_int_eq(fx_auth(LA_IDENT_EMAIL, "alice@example.com", WRONG), LA_E_AUTH);
	ck_assert_int_eq(fx_auth(LA_IDENT_EMAIL, "ALICE@example.com", WRONG), LA_E_AUTH);
	ck_assert_uint_eq(fx_user("alice").failures, 4);
	ck_assert_int_eq(fx_auth(LA_IDENT_KEY, "password:alice", WRONG), LA_E_AUTH);
	ck_assert_int_gt(fx_user("alice").locked_until_ms, fx.now);
	ck_assert_int_eq(fx_auth(LA_IDENT_EMAIL, "alice@example.com", PW), LA_E_LOCKED);
	ck_assert_int_eq(fx_auth(LA_IDENT_KEY, "password:alice", PW), LA_E_LOCKED);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", PW), LA_E_LOCKED);
}
END_TEST

START_TEST(test_auth_lockout_deny_zero)
{
	fx.cfg.deny = 0;
	fx_reopen();
	fx_add_user("alice", PW, NULL);
	for (int i = 0; i < 20; i++) {
		ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", WRONG), LA_E_AUTH);
		ck_assert_int_eq(fx_user("alice").locked_until_ms, 0);
	}
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", PW), LA_OK);
	lockout_is("alice", 0, 0);
}
END_TEST

START_TEST(test_auth_lockout_admin_unlock)
{
	fx_add_user("alice", PW, NULL);
	fail_n("alice", 5);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", PW), LA_E_LOCKED);
	ck_assert_int_eq(la_user_set_locked(fx.st, "alice", false), LA_OK);
	lockout_is("alice", 0, 0);
	ck_assert(!fx_user("alice").locked);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", PW), LA_OK);
	ck_assert_int_eq(la_user_set_locked(fx.st, "nobody", false), LA_E_NOUSER);
}
END_TEST

/* ---- concurrency: several processes, one store ------------------------- */

#define NCHILD 8

static char alice_name[] = "alice";

static const char *const OPS[] = {"ok", "open", "authenticate", "create", "validate"};

/* Exit code of the mixed child: op * 50 + rc, 0 when all went well. */
static int child_mixed(int idx, void *ctx)
{
	static const enum la_ident how[] = {LA_IDENT_USERNAME, LA_IDENT_EMAIL, LA_IDENT_KEY};
	static const char *const ident[] = {"alice", "alice@example.com", "password:alice"};
	const char *shared = ctx;
	struct la_store *st = NULL;
	struct la_session s;
	struct la_user u;
	char tok[LA_TOKEN_BUF];
	la_rc rc = fx_child_open(&st);
	int op = 1;

	memset(&u, 0, sizeof(u));
	for (int i = 0; i < 50 && rc == LA_OK; i++) {
		switch (i % 3) {
		case 0:
			op = 2;
			rc = la_authenticate(st, how[(idx + i) % 3], ident[(idx + i) % 3], PW, &u);
			break;
		case 1:
			op = 3;
			rc = la_session_create(st, u.id, NULL, tok, &s);
			break;
		default:
			op = 4;
			/* The shared idle session first: renewals race with each other. */
			rc = la_session_validate(st, i == 2 ? shared : tok, &s, NULL);
			break;
		}
	}
	la_store_close(st);
	return rc == LA_OK ? 0 : op * 50 + (int)rc;
}

START_TEST(test_auth_concurrent_mixed)
{
	struct la_user u;
	struct la_session s, v;
	char shared[LA_TOKEN_BUF];
	int status[NCHILD];

	fx_add_user_email("alice", "alice@example.com", PW, &u);
	ck_assert_int_eq(la_session_create(fx.st, u.id, NULL, shared, &s), LA_OK);
	fx.now = s.active_expires + 1; /* the shared session is idle for every child */
	fx_run_children(NCHILD, child_mixed, shared, status);
	for (int i = 0; i < NCHILD; i++) {
		int code = WIFEXITED(status[i]) ? WEXITSTATUS(status[i]) : -1;

		ck_assert_msg(code == 0, "child %d: %s -> %s (status %#x)", i,
			      code > 0 ? OPS[code / 50 % 5] : "signal",
			      code > 0 ? la_strerror((la_rc)(code % 50)) : "-",
			      (unsigned)status[i]);
	}
	/* 17 sessions per child (i = 1, 4, ..., 49) plus the shared one. */
	ck_assert_int_eq(fx_count("sessions"), NCHILD * 17 + 1);
	ck_assert_int_eq(la_session_validate(fx.st, shared, &v, NULL), LA_OK);
	ck_assert_int_eq(v.active_expires, fx.now + DAY);
	ck_assert(!v.fresh);
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
	ck_assert_uint_eq(fx_user("alice").failures, 0);
}
END_TEST

/* One wrong password for the user ctx names. */
static int child_wrong(int idx, void *ctx)
{
	(void)idx;
	return fx_child_auth((const char *)ctx, WRONG);
}

START_TEST(test_auth_concurrent_failures_no_lost_update)
{
	int status[NCHILD], n[LA_RC_MAX];

	fx.cfg.deny = 100;
	fx_reopen();
	fx_add_user("alice", PW, NULL);
	for (unsigned round = 1; round <= 3; round++) {
		fx_run_children(NCHILD, child_wrong, alice_name, status);
		fx_tally(status, NCHILD, n);
		ck_assert_int_eq(n[LA_E_AUTH], NCHILD);
		lockout_is("alice", round * NCHILD, 0);
	}
}
END_TEST

START_TEST(test_auth_concurrent_failures_lock)
{
	int status[NCHILD], n[LA_RC_MAX];
	struct la_user u;

	ck_assert_uint_eq(fx.cfg.deny, 5);
	fx_add_user("alice", PW, NULL);
	fx_run_children(NCHILD, child_wrong, alice_name, status);
	fx_tally(status, NCHILD, n);
	u = fx_user("alice");
	ck_assert_int_eq(u.locked_until_ms, fx.now + fx.cfg.unlock_time_ms);
	ck_assert_uint_ge(u.failures, 5);
	ck_assert_uint_le(u.failures, NCHILD);
	/* What la_auth.c guarantees (MUST 2 and 6): at most deny - failures
	 * password checks of a user are under way at once, results are
	 * recorded in BEGIN IMMEDIATE transactions that re-read the counters,
	 * and once locked_until > now the rest answer LOCKED without a check.
	 * So exactly `deny` failures are counted and every other child gets
	 * LOCKED (check_lockout_race.c also counts the checks, with 32). */
	ck_assert_int_eq(n[LA_E_AUTH] + n[LA_E_LOCKED], NCHILD);
	ck_assert_uint_eq(u.failures, (unsigned)n[LA_E_AUTH]);
	ck_assert_uint_eq(u.failures, fx.cfg.deny);
	ck_assert_int_eq(fx_auth(LA_IDENT_USERNAME, "alice", PW), LA_E_LOCKED);
}
END_TEST

Suite *suite_lockout(void)
{
	const TTest *limits[] = {
	    test_auth_lockout_after_deny,	test_auth_lockout_ends_at_locked_until,
	    test_auth_lockout_fail_interval,	test_auth_lockout_success_resets,
	    test_auth_lockout_shared_by_idents, test_auth_lockout_deny_zero,
	    test_auth_lockout_admin_unlock,	test_auth_lockout_window_slides,
	};
	const TTest *concurrency[] = {
	    test_auth_concurrent_mixed,
	    test_auth_concurrent_failures_no_lost_update,
	    test_auth_concurrent_failures_lock,
	};
	Suite *s = suite_create("lockout");

	FX_TCASE(s, "limits", 0, limits);
	FX_TCASE(s, "concurrency", 60, concurrency);
	return s;
}

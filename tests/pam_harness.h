/*
 * pam_harness.h - the harness of tests/check_pam: runs the built
 * pam_luciaauth.so through libpam under pam_wrapper (no root, no
 * /etc/pam.d), with a fresh store per test and an injectable clock.
 *
 * How a run is set up (pam_harness.c):
 *  - The binary re-executes itself once with
 *      LD_PRELOAD = [libasan of an ASan build] [caller's LD_PRELOAD]
 *                   libpam_wrapper.so [libfaketime.so.1]
 *    (libasan must come first; pam_wrapper then turns RTLD_DEEPBIND off by
 *    itself).  Set PAM_WRAPPER=1 and that LD_PRELOAD yourself (valgrind)
 *    and it runs as is.
 *  - A private root directory R holds the fake passwd/group files (root and
 *    one local user), luciaauth.conf, the state directory, the service
 *    files (PAM_WRAPPER_SERVICE_DIR = R/services, set before the first
 *    pam_start) and the faketime control file.
 *  - The clock: the module links the storage library statically, so the
 *    library's la_store_set_clock() cannot reach it.  libfaketime is
 *    preloaded with FAKETIME_TIMESTAMP_FILE = R/faketime and
 *    FAKETIME_NO_CACHE=1; ph_clock() writes an offset ("+11m") to that
 *    file and every later clock_gettime() of the process -- the module's
 *    and the test's own store handle alike -- sees the moved clock.  Only
 *    the realtime clock moves (FAKETIME_DONT_FAKE_MONOTONIC=1, so Check's
 *    timeouts are unaffected).  This works in-process with pam_wrapper,
 *    in Check's fork mode and with CK_FORK=no, under ASan (libasan first,
 *    its clock_gettime interceptor forwards to libfaketime) and under
 *    valgrind; a per-step driver process under faketime(1) would cost an
 *    exec per step and lose the in-process PAM handle.
 *  - Every service file passes the module's return code through and, when
 *    the module returns PAM_IGNORE, ends in pam_debug.so returning
 *    PAM_MODULE_UNKNOWN (libpam would turn a lone PAM_IGNORE into
 *    PAM_PERM_DENIED); ph_run/ph_op report that as PAM_IGNORE.
 *  - Children of ph_parallel set pam_wrapper up one at a time (its choice
 *    of /tmp/pam.X is racy); R/services holds a harness-owner.<pid> marker
 *    so that ph_cleanup() removes the copies failed children leave behind.
 *  - The work the module does is counted: the test binary exports its own
 *    crypto_pwhash_str_alg / crypto_pwhash_str_verify /
 *    crypto_pwhash_scryptsalsa208sha256_ll, which count and forward to
 *    libsodium; the module's calls bind to them (global scope first).
 */
#ifndef PAM_HARNESS_H
#define PAM_HARNESS_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

#include <libpamtest.h>
#include <security/pam_appl.h>

#include "luciaauth.h"

#define PW "correct horse"     /* alice's password */
#define PW_NEW "battery staple" /* a new password that passes the policy */
#define WRONG "wrong horse"
#define ENV_TOKEN "LUCIAAUTH_SESSION"

/* ---- the run ------------------------------------------------------------ */

struct ph_paths {
	char root[256];     /* R */
	char services[300]; /* R/services */
	char conf[300];     /* R/luciaauth.conf */
	char state[300];    /* R/state */
	char faketime[300]; /* R/faketime ("" when the clock cannot move) */
	char module[LA_PATH_MAX]; /* the module under test */
	char set_items[LA_PATH_MAX]; /* pam_wrapper's pam_set_items.so ("" if missing) */
};
extern struct ph_paths ph;

/* Called first in main(): re-executes the program under pam_wrapper (does
 * not return then), or sets up R and the service files. */
void ph_init(int argc, char **argv);
/* Called last: removes R and pam_wrapper's leaked /tmp/pam.? copies. */
void ph_cleanup(void);

/* ---- per test --------------------------------------------------------- */

/* The checked fixture: a fresh store in R/state (opened as ph_st, with
 * the config the module reads), alice (password PW) added as ph_alice,
 * clock offset +0, work counters zero. */
extern struct la_store *ph_st;
extern struct la_user ph_alice;
void ph_setup(void);
void ph_teardown(void);
/* Add a TCase running tests with the fixture. */
void ph_tcase(Suite *s, const char *name, const TTest *const tests[], size_t n);
#define PH_TCASE(s, name, tests) ph_tcase(s, name, tests, sizeof(tests) / sizeof(*(tests)))

/* Print a TAP comment that a test (or part) was skipped and why. */
void ph_skip(const char *what, const char *why);

/* Move the clock of the whole process: offset is libfaketime syntax
 * ("+0", "+11m", "+2d").  Returns false (after ph_skip) when libfaketime
 * is not loaded. */
bool ph_clock(const char *offset);

/* Work the module (and the test) did, since ph_work_reset(). */
struct ph_work {
	unsigned argon2_hash;   /* crypto_pwhash_str_alg */
	unsigned argon2_verify; /* crypto_pwhash_str_verify */
	unsigned scrypt;        /* Lucia v2 hashes */
};
extern struct ph_work ph_work;
void ph_work_reset(void);

/* ---- the store, from the test's side ----------------------------------- */

#define LA_OK_OR_FAIL(expr)                                                                        \
	do {                                                                                       \
		la_rc rc_ = (expr);                                                                \
		ck_assert_msg(rc_ == LA_OK, "%s: %s (%s)", #expr, la_strerror(rc_),                \
			      la_store_errmsg(ph_st));                                             \
	} while (0)

void ph_add_user(const char *name, const char *pw, struct la_user *out);
struct la_user ph_user(const char *name);
/* SQL on the master database through an independent connection. */
void ph_sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* First column of the first row of a query, as text ("" when no row). */
const char *ph_sql_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
long ph_sql_long(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The stored hash of key password:<name>. */
const char *ph_hash_of(const char *name);
/* Does la_authenticate accept name/pw now?  (Counts like a sign-in; a
 * success also clears the user's failures.) */
la_rc ph_auth(const char *name, const char *pw);
/* Verify pw against the stored hash without touching any counter. */
bool ph_password_is(const char *name, const char *pw);
/* Live sessions of name. */
unsigned ph_sessions(const char *name);

/* ---- the PAM side ----------------------------------------------------- */

/* One PAM handle and the conversation with it. */
struct ph_call {
	/* in */
	const char *service, *user;
	const char *answers[8]; /* echo-off answers, in order; NULL ends */
	const char *echo_on;    /* answer to an echo-on prompt (user name) */
	const char *tty, *rhost, *ruser; /* items set after pam_start */
	const char *env;        /* "NAME=value" for pam_putenv after pam_start */
	bool conv_again;        /* the conversation returns PAM_CONV_AGAIN */
	bool capture_log;       /* collect the module's pam_syslog lines */
	/* out */
	pam_handle_t *pamh;
	unsigned prompts;        /* echo-off prompts answered */
	unsigned conv_errors;    /* prompts that found no answer */
	char conv[4096];         /* "P:prompt\n" "E:error\n" "I:info\n" "U:echo-on\n" */
	unsigned delay_calls;    /* PAM_FAIL_DELAY callback: calls, last status, */
	int delay_status;        /* last delay asked for (libpam always calls it; */
	unsigned delay_usec;     /* 0 = nobody asked for a delay) */
	char token[LA_TOKEN_BUF]; /* LUCIAAUTH_SESSION in the PAM env after the ops */
	char log[8192];          /* "SYSLOG(n): ..." lines (capture_log) */
};

/* Start c->pamh if needed (pam_start, items, env), run the ops in order
 * through libpamtest and fail the test, naming the op and the codes, at the
 * first op whose result differs.  The handle stays open: run more ops on it,
 * then ph_end(). */
void ph_run_at(struct ph_call *c, struct pam_testcase *t, size_t n, const char *file, int line);
#define PH_RUN(c, ...)                                                                             \
	do {                                                                                       \
		struct pam_testcase ph_t_[] = { __VA_ARGS__ };                                     \
		ph_run_at(c, ph_t_, sizeof(ph_t_) / sizeof(ph_t_[0]), __FILE__, __LINE__);         \
	} while (0)
/* One whole transaction: start, ops, pam_end. */
#define PH_ONCE(c, ...)                                                                            \
	do {                                                                                       \
		PH_RUN(c, __VA_ARGS__);                                                            \
		ph_end(c);                                                                         \
	} while (0)
/* pam_start (if not yet) with the items and env of c. */
int ph_start(struct ph_call *c);
/* Run one op (libpam call) on c and return its code, no expectation. */
int ph_op(struct ph_call *c, enum pamtest_ops op, int flags);
void ph_end(struct ph_call *c);

const char *ph_code_name(int pam_code);
#define ck_assert_pam(got, want)                                                                   \
	do {                                                                                       \
		int g_ = (got), w_ = (want);                                                       \
		ck_assert_msg(g_ == w_, "%s = %s (%d), expected %s (%d)", #got, ph_code_name(g_),  \
			      g_, ph_code_name(w_), w_);                                           \
	} while (0)

/* Does text contain a match of the extended regex re? */
bool ph_match(const char *text, const char *re);
#define ck_assert_match(text, re)                                                                  \
	ck_assert_msg(ph_match(text, re), "/%s/ not found in:\n%s", re, text)
#define ck_assert_no_match(text, re)                                                               \
	ck_assert_msg(!ph_match(text, re), "/%s/ found in:\n%s", re, text)

/* Run fn(arg) as an unprivileged uid: directly when the tests do not run
 * as root, else in a child that has dropped to 65534 (and owns the state
 * directory for the time when own_state).  fn returns NULL when all went
 * as expected, or what went wrong; that fails the test.  fn must not use
 * ph_st or ck_assert.  Returns false (after ph_skip) when the child cannot
 * reach the files. */
typedef const char *(*ph_unpriv_fn)(const void *arg);
bool ph_unprivileged(ph_unpriv_fn fn, const void *arg, bool own_state);

/* Run fn(i) in n concurrent children (each its own PAM handle); fails the
 * test unless every child returns 0. */
void ph_parallel(unsigned n, int (*fn)(unsigned i));

#endif

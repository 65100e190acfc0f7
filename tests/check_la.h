/*
 * check_la.h - shared declarations of the Check test suites: the fixture,
 * the helpers more than one suite uses (check_fixture.c) and the suites.
 */
#ifndef CHECK_LA_H
#define CHECK_LA_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "luciaauth.h"

struct sqlite3;
struct sqlite3_stmt;

/* The password the tests give their users. */
#define PW "correct horse"

/* One fixture for every test: a fresh temporary state directory with an
 * initialised store, cheap hash parameters, and an injected clock that the
 * test moves by assigning fx.now (milliseconds).  Set up and torn down by
 * fx_setup / fx_teardown (checked fixtures). */
struct fx {
	char dir[256];
	struct la_config cfg;
	struct la_store *st;
	int64_t now;
	struct la_user added; /* the user the last fx_addu() added */
	char open_msg[512];   /* detail message of the last fx_open() */
};
extern struct fx fx;

#define FX_T0 ((int64_t)1700000000000) /* initial clock */

void fx_setup(void);
void fx_teardown(void);
/* Close fx.st (fx.st becomes NULL). */
void fx_close(void);
/* Reopen fx.st (after fx.cfg changes), keeping the clock. */
void fx_reopen(void);

/* ---- assertions on library calls --------------------------------------- */

/* expr must return LA_OK. */
#define OK(expr)                                                                                   \
	do {                                                                                       \
		la_rc rc_ = (expr);                                                                \
		ck_assert_msg(rc_ == LA_OK, "%s: %s (%s)", #expr, la_strerror(rc_),                \
			      la_store_errmsg(fx.st));                                             \
	} while (0)

/* Row counts of tables (a NULL-terminated list of at most FX_TABLES_MAX
 * names), to prove that a refused call wrote nothing. */
#define FX_TABLES_MAX 8
void fx_counts_get(const char *const tables[], long counts[FX_TABLES_MAX]);
/* Every table of the list still has the rows counted in before. */
void fx_counts_same(const char *const tables[], const long before[]);

/* expr must fail with code and leave every table of the list as it was.
 * A suite names its list once: #define REFUSED(e, c) REFUSED_IN(TABLES, e, c) */
#define REFUSED_IN(tables, expr, code)                                                             \
	do {                                                                                       \
		long c0_[FX_TABLES_MAX];                                                           \
		la_rc rc_;                                                                         \
		fx_counts_get(tables, c0_);                                                        \
		rc_ = (expr);                                                                      \
		ck_assert_msg(rc_ == (code), "%s: %s, expected %s (%s)", #expr, la_strerror(rc_),  \
			      la_strerror(code), la_store_errmsg(fx.st));                          \
		fx_counts_same(tables, c0_);                                                       \
	} while (0)

/* ---- users and sign-in ------------------------------------------------- */

/* A user spec from designated initialisers: SPEC(.username = "bob"). */
#define SPEC(...) ((struct la_user_spec){__VA_ARGS__})

/* Add a user with a password (NULL: none) through the API; fails the test
 * on error.  out may be NULL. */
void fx_add_user(const char *name, const char *password, struct la_user *out);
/* The same, with an email address. */
void fx_add_user_email(const char *name, const char *email, const char *password,
		       struct la_user *out);
/* la_user_add(spec, pw) for a test that checks the result itself; the user
 * added is kept in fx.added. */
la_rc fx_addu(struct la_user_spec spec, const char *pw);
/* fx_addu of a plain user called name, with the password PW. */
la_rc fx_add_name(const char *name);
/* The stored user called name; fails the test when there is none. */
struct la_user fx_user(const char *name);
/* la_authenticate, for when only the result code matters. */
la_rc fx_auth(enum la_ident how, const char *ident, const char *pw);

/* Collects names from a la_name_cb walk into "name:id,name:id"; the walk
 * stops after stop_after names (0 = never). */
struct fx_names {
	char buf[512];
	int stop_after;
	int n;
};
int fx_name_cb(const char *name, uint32_t id, void *ctx);

/* ---- the master database, behind the library's back ------------------- */

/* Path of the master database with suffix appended ("" or one of SQLite's
 * side files, "-wal"); a static buffer, overwritten by the next call. */
const char *fx_db_file(const char *suffix);
/* Row count of a table of the master database (independent connection),
 * -1 when there is no such table. */
long fx_count(const char *table);
/* Run sql on the master database through an independent read-write
 * connection (which creates the file when it is missing). */
void fx_sql(const char *sql);
/* sql prepared on an independent read-only connection, with arg bound to
 * ?1; the caller finalizes the statement and closes *db. */
struct sqlite3_stmt *fx_db_query(struct sqlite3 **db, const char *sql, const char *arg);

/* Open a second handle on fx.cfg with flags and close it again; returns
 * its rc and keeps its detail message in fx.open_msg. */
la_rc fx_open(unsigned flags);
/* fx_open(0) must return want, and in_msg (unless NULL) be part of its
 * message. */
void fx_expect_open(la_rc want, const char *in_msg);

/* ---- several processes on one store (check_lockout*.c) ----------------- */

#define FX_CHILDREN_MAX 32

/* A child's own handle on fx.cfg, on the test clock (frozen at fork). */
la_rc fx_child_open(struct la_store **st);
/* In a child: la_authenticate(name, pw) on its own handle; returns the
 * la_rc (100 + rc when the store did not open), to be its exit status. */
int fx_child_auth(const char *name, const char *pw);
/* Fork n (<= FX_CHILDREN_MAX) children that start together, run fn and
 * _exit() with its result; their wait statuses go to status[].  fx.st is
 * closed across the fork and reopened afterwards. */
typedef int (*fx_child_fn)(int idx, void *ctx);
void fx_run_children(int n, fx_child_fn fn, void *ctx, int status[]);
/* Tally of the children's exit codes by la_rc; a child that was killed or
 * exited with anything else fails the test. */
void fx_tally(const int status[], int n, int out[LA_RC_MAX]);

/* ---- sessions (check_session.c, check_session_token.c) ----------------- */

/* A session and its token, as la_session_create returned them. */
struct fx_tok {
	char t[LA_TOKEN_BUF];
	struct la_session s;
};

extern struct la_user fx_alice;	 /* set by fx_with_alice() */
extern struct la_session fx_got; /* filled by fx_session_validate/get() */

/* Add the user alice (password PW) into fx_alice. */
void fx_with_alice(void);
/* A new session of u; fails the test on error. */
struct fx_tok fx_new_session(const struct la_user *u, const struct la_origin *o);
/* la_session_validate / la_session_get of tok into fx_got. */
la_rc fx_session_validate(const char *tok);
la_rc fx_session_get(const char *tok);
/* s has this state, freshness and expiries. */
void fx_session_is(const struct la_session *s, enum la_session_state st, bool fresh, int64_t active,
		   int64_t idle);

/* A sessions row read through an independent connection. */
struct fx_row {
	bool found;
	int64_t active, idle, created, max;
	int hash_len;
	unsigned char hash[64];
	/* The origin columns; a NULL tty or rhost reads "(null)". */
	char source[LA_ORIGIN_MAX + 1], tty[LA_ORIGIN_MAX + 1], rhost[LA_ORIGIN_MAX + 1];
};
/* Row key (as decimal text) of a public session id. */
const char *fx_session_key(const char *id);
struct fx_row fx_session_row(const char *id);
/* The stored row of session id has exactly these expiries. */
void fx_session_row_is(const char *id, int64_t active, int64_t idle);

/* ---- suites ------------------------------------------------------------ */

/* Add a TCase called name to s, running tests[0..n) in order, each with
 * the checked fixture; timeout in seconds, 0 for Check's default. */
void fx_add_tcase(Suite *s, const char *name, int timeout, const TTest *const tests[], size_t n);
#define FX_TCASE(s, name, timeout, tests)                                                          \
	fx_add_tcase(s, name, timeout, tests, sizeof(tests) / sizeof(*(tests)))

Suite *suite_config(void);
Suite *suite_store_open(void);
Suite *suite_hash(void);
Suite *suite_user(void);
Suite *suite_user_limits(void);
Suite *suite_group(void);
Suite *suite_key(void);
Suite *suite_session(void);
Suite *suite_session_token(void);
Suite *suite_auth(void);
Suite *suite_lockout(void);
Suite *suite_nss(void);
Suite *suite_nss_tamper(void);

#endif

/*
 * check_nss.h - what the NSS module's suites share (check_nss.c,
 * check_nss_tamper.c): the module loaded with dlopen() and a fixture whose
 * snapshot it reads through the LUCIAAUTH_NSS_SNAPSHOT test hook.
 */
#ifndef CHECK_NSS_H
#define CHECK_NSS_H

#include <errno.h>
#include <nss.h>

#include "check_la.h"
#include "nss_luciaauth.h"

/* The module's entry points, typed by nss_luciaauth.h. */
#define NSS_FN(name) __typeof__(_nss_luciaauth_##name) *name
struct nss_api {
	NSS_FN(getpwnam_r);
	NSS_FN(getpwuid_r);
	NSS_FN(setpwent);
	NSS_FN(getpwent_r);
	NSS_FN(endpwent);
	NSS_FN(getgrnam_r);
	NSS_FN(getgrgid_r);
	NSS_FN(setgrent);
	NSS_FN(getgrent_r);
	NSS_FN(endgrent);
	NSS_FN(initgroups_dyn);
	NSS_FN(getspnam_r);
	NSS_FN(setspent);
	NSS_FN(getspent_r);
	NSS_FN(endspent);
};
#undef NSS_FN
extern struct nss_api nss;

/* Path of the module: $abs_top_builddir/nss_module/.libs/..., else the
 * build-time LA_NSS_MODULE. */
const char *nss_module_path(void);

/* The fixture (fx_setup) plus: the module loaded into nss, the test hook
 * pointing at fx's snapshot, whose path is nss_snap. */
extern char nss_snap[LA_PATH_MAX + 32];
void nss_setup(void);
void nss_teardown(void);
/* Point the module at another snapshot file. */
void nss_use(const char *path);
/* A TCase of tests run with nss_setup/nss_teardown (like fx_add_tcase). */
void nss_add_tcase(Suite *s, const char *name, int timeout, const TTest *const tests[], size_t n);
#define NSS_TCASE(s, name, timeout, tests)                                                         \
	nss_add_tcase(s, name, timeout, tests, sizeof(tests) / sizeof(*(tests)))

/* A large buffer for lookups that are not about buffer sizes. */
#define NSS_BUF 4096

/* expr (with int errnop in scope) must return status and set errnop to
 * err, which is never 0 (the glibc contract). */
#define NSS_FAILS(expr, status, err)                                                               \
	do {                                                                                       \
		enum nss_status st_;                                                               \
		errnop = 0;                                                                        \
		st_ = (expr);                                                                      \
		ck_assert_msg(st_ == (status), "%s: status %d, expected %d", #expr, st_,           \
			      (status));                                                           \
		ck_assert_msg(errnop == (err), "%s: errno %d, expected %d", #expr, errnop, (err)); \
	} while (0)

#define NSS_OK(expr)                                                                               \
	do {                                                                                       \
		enum nss_status st_ = (expr);                                                      \
		ck_assert_msg(st_ == NSS_STATUS_SUCCESS, "%s: status %d (errno %d)", #expr, st_,   \
			      errnop);                                                             \
	} while (0)

/* Every lookup entry point of the module fails with status and err, with
 * the cursors rewound first. */
void nss_all_fail(enum nss_status status, int err);
/* Keep the malloc'd block p until the next call or the end of the test
 * (frees the block kept before). */
void nss_keep(void *p);

/* ---- the people of the tests ------------------------------------------ */

/* The fixture's system files hold root(0), localuser(10500); sudo(27),
 * localgrp(10600).  nss_people() adds the groups devs(20000), ops(20001)
 * and the merge group sudo(27); alice(10001: devs, ops, sudo, password
 * set, gecos "Alice Liddell,,,", /home/alice, /bin/zsh), bob(10002: devs)
 * and carol(10003, gecos "gen 0", must change her password). */
void nss_people(void);
/* Members of devs, and of ops and sudo. */
extern const char *const NSS_DEVS[];
extern const char *const NSS_ONLY_ALICE[];

/* p points into buf[0..len). */
bool nss_in_buf(const void *p, const char *buf, size_t len);
/* Exact buffer size of the passwd entry of u / of a group entry. */
size_t nss_pw_len(const struct la_user *u);
size_t nss_gr_len(const char *name, const char *const *members);
/* pw is exactly u's entry (password field "x"). */
bool nss_pw_same(const struct passwd *pw, const struct la_user *u);
/* gr is name/gid (password field "x") with exactly the members of the
 * NULL-terminated list, gr_mem pointer-aligned. */
bool nss_gr_same(const struct group *gr, const char *name, gid_t gid, const char *const *members);

#endif

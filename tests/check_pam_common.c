/*
 * check_pam_common.c - helpers shared by the check_pam test files (see
 * check_pam.c for the suite and check_pam.h for the declarations).
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

/* ---- helpers -------------------------------------------------------------- */

/* Result of one pam_authenticate in its own transaction. */
int auth_rc(const char *service, const char *user, const char *pw, int flags)
{
	struct ph_call c = CALL(service, user, pw);
	int r = ph_op(&c, PAMTEST_AUTHENTICATE, flags);

	ph_end(&c);
	return r;
}

int account_rc(const char *service, const char *user)
{
	struct ph_call c = CALL(service, user);
	int r = ph_op(&c, PAMTEST_ACCOUNT, 0);

	ph_end(&c);
	return r;
}

/* Does chauthtok ask for the old password of this process's callers? */
static bool need_old(void)
{
	return getuid() != 0;
}

/* Answers for changing the password: old (when asked), new, retype. */
void change_answers(struct ph_call *c, const char *old, const char *n1, const char *n2)
{
	size_t i = 0;

	if (need_old())
		c->answers[i++] = old;
	c->answers[i++] = n1;
	c->answers[i] = n2;
}

/* A user alice's uid moved, a user renamed: the database "tampered with".
 * A row for name with uid and alice's password hash. */
void tamper_add(const char *name, unsigned uid)
{
	ph_sql("INSERT INTO users (id, username, uid, gid, home, shell, created)"
	       " VALUES ('tampered%07u', '%s', %u, %u, '/root', '/bin/sh', 0)",
	       uid, name, uid, uid);
	ph_sql("INSERT INTO auth_keys (id, user_id, hashed_password)"
	       " VALUES ('password:%s', 'tampered%07u',"
	       " (SELECT hashed_password FROM auth_keys WHERE id = 'password:alice'))",
	       name, uid);
}

/* pam_sm_setcred of the module, called directly on a started handle of
 * service "la" (module arguments config=... and extra).  libpam's
 * pam_setcred replays the auth stack's frozen chain and turns the module's
 * PAM_IGNORE into PAM_PERM_DENIED whatever the stack, so the module's own
 * code is only visible this way. */
int sm_setcred(const char *user, const char *extra)
{
	union {
		void *p;
		int (*fn)(pam_handle_t *, int, int, const char **);
	} f;
	struct ph_call c = CALL("la", user);
	char conf[LA_PATH_MAX + 16];
	const char *argv[] = { conf, extra };
	void *h = dlopen(ph.module, RTLD_NOW | RTLD_LOCAL);
	int r;

	ck_assert_msg(h != NULL, "dlopen %s: %s", ph.module, dlerror());
	f.p = dlsym(h, "pam_sm_setcred");
	ck_assert_ptr_nonnull(f.p);
	snprintf(conf, sizeof(conf), "config=%s", ph.conf);
	ck_assert_pam(ph_start(&c), PAM_SUCCESS);
	r = f.fn(c.pamh, PAM_ESTABLISH_CRED, extra ? 2 : 1, argv);
	ph_end(&c);
	dlclose(h);
	return r;
}

/* Every management group refuses name (whose password is PW) in the ways
 * SPEC 3 gives for users that are not ours, and nothing changes. */
void never_ours(const char *name)
{
	struct ph_call c = CALL("la", name, PW);
	long sessions = ph_sql_long("SELECT count(*) FROM sessions");
	char hash[LA_HASH_MAX];

	snprintf(hash, sizeof(hash), "%s", ph_hash_of(name));
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_USER_UNKNOWN),
		pam_test(PAMTEST_ACCOUNT, PAM_USER_UNKNOWN),
		pam_test(PAMTEST_OPEN_SESSION, PAM_IGNORE),
		pam_test(PAMTEST_CLOSE_SESSION, PAM_IGNORE));
	ck_assert_pam(sm_setcred(name, NULL), PAM_IGNORE);
	c = CALL("la", name, PW, PW_NEW, PW_NEW);
	PH_ONCE(&c, pam_test(PAMTEST_CHAUTHTOK, PAM_IGNORE));
	c = CALL("la_unknown_ok", name, PW);
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_IGNORE),
		pam_test(PAMTEST_ACCOUNT, PAM_IGNORE));
	ck_assert_int_eq(ph_sql_long("SELECT count(*) FROM sessions"), sessions);
	ck_assert_str_eq(ph_hash_of(name), hash);
}

/* ---- session helpers ------------------------------------------------------ */

/* The stored session of token, with its origin. */
struct la_session session_of(const char *token)
{
	struct la_session s;
	struct la_user u;
	la_rc rc = la_session_get(ph_st, token, &s, &u);

	ck_assert_msg(rc == LA_OK, "la_session_get(%s): %s", token, la_strerror(rc));
	ck_assert_str_eq(u.username, "alice");
	return s;
}

struct ph_call session_call(const char *service, const char *tty, const char *rhost)
{
	struct ph_call c = CALL(service, "alice");

	c.tty = tty;
	c.rhost = rhost;
	return c;
}

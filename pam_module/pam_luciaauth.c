/*
 * pam_luciaauth.c - the PAM entry points of pam_luciaauth.so, a thin
 * adapter over libluciaauth (SPEC 3, pam_luciaauth(8)).
 *
 * MUST:
 *  1. Fail closed: only a verified password of a servable store user
 *     returns PAM_SUCCESS from authenticate; an unusable store is
 *     PAM_AUTHINFO_UNAVAIL.
 *  2. Local accounts (/etc/passwd, root) and ids outside uid_min..uid_max
 *     are never ours, whatever the database says.
 *  3. close_session finds its row without module data from auth or open:
 *     sshd may run them in other processes (privilege separation,
 *     keyboard-interactive).
 *  4. Passwords and tokens are never logged; copies are wiped.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include <sodium.h>

#include "pam_luciaauth.h"

#define ENV_NAME "LUCIAAUTH_SESSION"
#define DATA_NAME "pam_luciaauth_session"

/* Shared start of every entry point: options, user name, store. */
struct call {
	struct pla_opts o;
	const char *user;
	struct la_store *st;
	int pam_rc; /* result when setup failed */
	bool delegate; /* no store access: authenticate through luciaauth-chkpwd */
};

static bool setup(pam_handle_t *pamh, int flags, int argc, const char **argv, enum pla_group g,
		  struct call *c)
{
	memset(c, 0, sizeof(*c));
	if (!pla_parse_args(pamh, flags, argc, argv, &c->o)) {
		c->pam_rc = pla_pam_code(&c->o, g, LA_E_INVAL);
		return false;
	}
	c->pam_rc = pam_get_user(pamh, &c->user, NULL);
	if (c->pam_rc != PAM_SUCCESS || !c->user || !*c->user) {
		if (c->pam_rc == PAM_SUCCESS)
			c->pam_rc = pla_pam_code(&c->o, g, LA_E_NOUSER);
		return false;
	}
	c->st = g == PLA_AUTH ? pla_open_or_delegate(pamh, &c->o, &c->delegate)
			      : pla_open(pamh, &c->o);
	if (!c->st) {
		c->pam_rc = pla_pam_code(&c->o, g, LA_E_NOSTORE);
		return false;
	}
	return true;
}

static int finish(struct call *c, int rc)
{
	la_store_close(c->st);
	return rc;
}

/* Authenticate in-process: the store is open.  Sets *rc; returns the PAM
 * status of getting the password. */
static int check_here(pam_handle_t *pamh, struct call *c, struct la_user *u, la_rc *rc)
{
	const char *pw = NULL;
	int r;

	/* MUST 2: a local or out-of-range name is never authenticated here;
	 * every name is asked for a password so that none stands out. */
	*rc = pla_our_user(c->st, c->user, u);
	if (*rc == LA_OK || *rc == LA_E_NOUSER) {
		r = pam_get_authtok(pamh, PAM_AUTHTOK, &pw, NULL);
		if (r != PAM_SUCCESS)
			return r == PAM_CONV_AGAIN ? PAM_INCOMPLETE : r;
	}
	if (*rc == LA_OK || (*rc == LA_E_NOUSER && la_user_by_name(c->st, c->user, u) != LA_OK))
		/* Unknown users cost a dummy verification, like a wrong password. */
		*rc = la_authenticate(c->st, LA_IDENT_USERNAME, c->user, pw, u);
	if (*rc == LA_OK)
		*rc = la_user_check_servable(c->st, u);
	/* An administrative lock refuses the password itself, as a '!' hash
	 * does for pam_unix: the account stack may not get to say no (a
	 * must-change user can be waved through by pam_unix's account). */
	if (*rc == LA_OK && u->locked)
		*rc = LA_E_DISABLED;
	return PAM_SUCCESS;
}

/* Without privilege: the setuid helper checks the caller's own password
 * and does the lockout accounting (luciaauth-chkpwd(8)). */
static int check_helper(pam_handle_t *pamh, struct call *c, la_rc *rc)
{
	const char *pw = NULL;
	int r = pam_get_authtok(pamh, PAM_AUTHTOK, &pw, NULL);

	if (r != PAM_SUCCESS)
		return r == PAM_CONV_AGAIN ? PAM_INCOMPLETE : r;
	*rc = pla_chkpwd(pamh, &c->o, c->user, pw);
	return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct call c;
	struct la_user u;
	la_rc rc = LA_E_INTERNAL;
	int r;

	if (!setup(pamh, flags, argc, argv, PLA_AUTH, &c) && !c.delegate)
		return c.pam_rc;
	if (!c.o.nodelay)
		pam_fail_delay(pamh, 2000000);
	r = c.delegate ? check_helper(pamh, &c, &rc) : check_here(pamh, &c, &u, &rc);
	if (r != PAM_SUCCESS)
		return finish(&c, r);
	if (rc == LA_E_AUTH || rc == LA_E_LOCKED || rc == LA_E_DISABLED)
		pla_log_failure(pamh, c.user, "authentication failure");
	else if ((rc == LA_E_NOUSER || rc == LA_E_NOKEY) && c.o.audit)
		pla_log_failure(pamh, c.user, "check pass; user unknown");
	else if (rc != LA_OK && rc != LA_E_NOUSER && rc != LA_E_NOKEY)
		pam_syslog(pamh, LOG_ERR, "%s: %s", la_strerror(rc),
			   c.st ? la_store_errmsg(c.st) : "through luciaauth-chkpwd");
	if (rc == LA_E_LOCKED)
		pla_tell(pamh, &c.o, PAM_ERROR_MSG,
			 "The account is locked due to too many failed logins.");
	if (rc == LA_E_DISABLED)
		rc = LA_E_AUTH; /* the same answer as a wrong password */
	if (rc == LA_OK && c.o.debug)
		pam_syslog(pamh, LOG_DEBUG, "authenticated %s", c.user);
	return finish(&c, pla_pam_code(&c.o, PLA_AUTH, rc));
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct call c;
	struct la_user u;

	/* Nothing to establish; success for our users, and no opinion on
	 * anyone else or when the store is away. */
	if (!setup(pamh, flags, argc, argv, PLA_AUTH, &c))
		return PAM_IGNORE;
	return finish(&c, pla_our_user(c.st, c.user, &u) == LA_OK ? PAM_SUCCESS : PAM_IGNORE);
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct call c;
	struct la_user u;
	la_rc rc;

	if (!setup(pamh, flags, argc, argv, PLA_ACCOUNT, &c))
		return c.pam_rc;
	rc = pla_our_user(c.st, c.user, &u);
	if (rc == LA_OK)
		rc = la_account_check(c.st, &u);
	if (rc == LA_E_DISABLED)
		pla_tell(pamh, &c.o, PAM_ERROR_MSG, "Your account is locked.");
	else if (rc == LA_E_EXPIRED)
		pla_tell(pamh, &c.o, PAM_ERROR_MSG,
			 "Your account has expired; please contact your system administrator.");
	else if (rc == LA_E_MUST_CHANGE)
		pla_tell(pamh, &c.o, PAM_ERROR_MSG,
			 "You are required to change your password immediately.");
	if (rc != LA_OK && rc != LA_E_NOUSER)
		pam_syslog(pamh, rc == LA_E_MUST_CHANGE ? LOG_NOTICE : LOG_WARNING,
			   "account %s: %s", c.user, la_strerror(rc));
	return finish(&c, pla_pam_code(&c.o, PLA_ACCOUNT, rc));
}

static void wipe_token(pam_handle_t *pamh, void *data, int status)
{
	(void)pamh;
	(void)status;
	sodium_memzero(data, LA_TOKEN_BUF);
	free(data);
}

static void origin_of(pam_handle_t *pamh, struct la_origin *o)
{
	const void *service = NULL, *tty = NULL, *rhost = NULL;

	pam_get_item(pamh, PAM_SERVICE, &service);
	pam_get_item(pamh, PAM_TTY, &tty);
	pam_get_item(pamh, PAM_RHOST, &rhost);
	o->source = service ? service : "pam";
	o->tty = tty;
	o->rhost = rhost;
}

/* Export the token (unless noenv) and keep a copy for close_session. */
static int publish_token(pam_handle_t *pamh, const struct pla_opts *o, const char *token)
{
	char env[sizeof(ENV_NAME) + LA_TOKEN_BUF];
	char *copy = malloc(LA_TOKEN_BUF);
	int r = PAM_BUF_ERR;

	if (!copy)
		return r;
	memcpy(copy, token, LA_TOKEN_BUF);
	r = pam_set_data(pamh, DATA_NAME, copy, wipe_token);
	if (r != PAM_SUCCESS) {
		wipe_token(pamh, copy, 0);
		return r;
	}
	if (o->noenv)
		return PAM_SUCCESS;
	snprintf(env, sizeof(env), "%s=%s", ENV_NAME, token);
	r = pam_putenv(pamh, env);
	sodium_memzero(env, sizeof(env));
	return r;
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	char token[LA_TOKEN_BUF] = "";
	struct la_session s;
	struct la_origin origin;
	struct call c;
	struct la_user u;
	la_rc rc;
	int r;

	if (!setup(pamh, flags, argc, argv, PLA_SESSION, &c))
		return c.pam_rc == PAM_USER_UNKNOWN ? PAM_IGNORE : c.pam_rc;
	rc = pla_our_user(c.st, c.user, &u);
	if (rc != LA_OK)
		return finish(&c, pla_pam_code(&c.o, PLA_SESSION, rc));
	origin_of(pamh, &origin);
	rc = la_session_create(c.st, u.id, &origin, token, &s);
	if (rc != LA_OK) {
		pam_syslog(pamh, LOG_ERR, "cannot create a session for %s: %s", c.user,
			   la_store_errmsg(c.st));
		return finish(&c, pla_pam_code(&c.o, PLA_SESSION, rc));
	}
	r = publish_token(pamh, &c.o, token);
	sodium_memzero(token, sizeof(token));
	if (r != PAM_SUCCESS) {
		/* No half-made session: the row goes if the token cannot be handed on. */
		if (la_session_revoke_id(c.st, s.id) != LA_OK)
			pam_syslog(pamh, LOG_ERR, "cannot remove session %s", s.id);
		return finish(&c, PAM_SESSION_ERR);
	}
	if (c.o.debug)
		pam_syslog(pamh, LOG_DEBUG, "session %s opened for %s", s.id, c.user);
	return finish(&c, PAM_SUCCESS);
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const void *data = NULL;
	const char *token = NULL;
	struct la_origin origin;
	struct call c;
	struct la_user u;
	la_rc rc;

	if (!setup(pamh, flags, argc, argv, PLA_SESSION, &c))
		return c.pam_rc == PAM_USER_UNKNOWN ? PAM_IGNORE : c.pam_rc;
	rc = pla_our_user(c.st, c.user, &u);
	if (rc != LA_OK)
		return finish(&c, pla_pam_code(&c.o, PLA_SESSION, rc));
	/* MUST 3: our own copy, else the exported token, else the origin. */
	if (pam_get_data(pamh, DATA_NAME, &data) == PAM_SUCCESS && data)
		token = data;
	else
		token = pam_getenv(pamh, ENV_NAME);
	if (token) {
		rc = la_session_revoke(c.st, token);
	} else {
		origin_of(pamh, &origin);
		rc = la_session_revoke_origin(c.st, u.id, &origin);
	}
	if (!c.o.noenv && pam_getenv(pamh, ENV_NAME))
		pam_putenv(pamh, ENV_NAME);
	/* Already gone (revoked, or swept as dead) is fine. */
	if (rc == LA_E_NOSESSION || rc == LA_E_NOTFOUND || rc == LA_E_BADTOKEN)
		rc = LA_OK;
	if (rc != LA_OK)
		pam_syslog(pamh, LOG_ERR, "cannot close the session of %s: %s", c.user,
			   la_store_errmsg(c.st));
	return finish(&c, pla_pam_code(&c.o, PLA_SESSION, rc));
}

/* The old password is required, except when root changes a password
 * outside of an expired-password login (as pam_unix does). */
static bool need_old(int flags)
{
	return getuid() != 0 || (flags & PAM_CHANGE_EXPIRED_AUTHTOK);
}

/* Ask for (or reuse) the old password and verify it; counts toward lockout. */
static int check_old(pam_handle_t *pamh, struct call *c, const char **old)
{
	struct la_user u;
	la_rc rc;
	int r = pam_get_authtok(pamh, PAM_OLDAUTHTOK, old, NULL);

	if (r != PAM_SUCCESS)
		return r;
	rc = la_authenticate(c->st, LA_IDENT_USERNAME, c->user, *old, &u);
	if (rc == LA_E_AUTH || rc == LA_E_LOCKED)
		pla_log_failure(pamh, c->user, "authentication failure");
	if (rc == LA_E_LOCKED)
		pla_tell(pamh, &c->o, PAM_ERROR_MSG,
			 "The account is locked due to too many failed logins.");
	return pla_pam_code(&c->o, PLA_AUTH, rc);
}

/* Keep the session the change is made from, sign out every other one. */
static void revoke_others(pam_handle_t *pamh, struct call *c)
{
	const void *data = NULL;
	const char *token = NULL;
	char keep[LA_SESSION_ID_LEN + 1] = "";
	unsigned n = 0;

	if (pam_get_data(pamh, DATA_NAME, &data) == PAM_SUCCESS && data)
		token = data;
	else
		token = pam_getenv(pamh, ENV_NAME);
	if (token && strlen(token) == LA_TOKEN_LEN)
		memcpy(keep, token, LA_SESSION_ID_LEN);
	if (la_session_revoke_user(c->st, c->user, keep[0] ? keep : NULL, &n) != LA_OK)
		pam_syslog(pamh, LOG_ERR, "cannot revoke the sessions of %s: %s", c->user,
			   la_store_errmsg(c->st));
	else if (c->o.debug)
		pam_syslog(pamh, LOG_DEBUG, "revoked %u other sessions of %s", n, c->user);
}

static int update(pam_handle_t *pamh, int flags, struct call *c)
{
	const char *old = NULL, *pw = NULL;
	int r = PAM_SUCCESS;
	la_rc rc;

	if (need_old(flags))
		r = check_old(pamh, c, &old);
	if (r == PAM_SUCCESS)
		r = pam_get_authtok(pamh, PAM_AUTHTOK, &pw, NULL);
	if (r != PAM_SUCCESS)
		return r == PAM_CONV_AGAIN ? PAM_INCOMPLETE : r;
	rc = la_password_policy(c->st, c->user, pw, old);
	if (rc == LA_OK)
		rc = la_password_set(c->st, c->user, pw);
	if (rc == LA_E_POLICY)
		pla_tell(pamh, &c->o, PAM_ERROR_MSG, "BAD PASSWORD: %s", la_store_errmsg(c->st));
	if (rc != LA_OK) {
		pam_syslog(pamh, LOG_NOTICE, "password of %s not changed: %s", c->user,
			   la_strerror(rc));
		/* Do not let a refused new password linger for the next module. */
		pam_set_item(pamh, PAM_AUTHTOK, NULL);
		return pla_pam_code(&c->o, PLA_PASSWORD, rc);
	}
	pam_syslog(pamh, LOG_NOTICE, "password changed for %s", c->user);
	if (c->o.revoke_sessions)
		revoke_others(pamh, c);
	return PAM_SUCCESS;
}

PAM_EXTERN int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const char *old = NULL;
	struct call c;
	struct la_user u;
	la_rc rc;
	int r;

	if (!setup(pamh, flags, argc, argv, PLA_PASSWORD, &c))
		return c.pam_rc == PAM_USER_UNKNOWN ? PAM_IGNORE : c.pam_rc;
	rc = pla_our_user(c.st, c.user, &u);
	if (rc == LA_OK && u.locked)
		rc = LA_E_DISABLED; /* a locked account's password stays as it is */
	if (rc != LA_OK)
		return finish(&c, pla_pam_code(&c.o, PLA_PASSWORD, rc));
	if (flags & PAM_PRELIM_CHECK) {
		r = need_old(flags) ? check_old(pamh, &c, &old) : PAM_SUCCESS;
		return finish(&c, r);
	}
	if (!(flags & PAM_UPDATE_AUTHTOK))
		return finish(&c, PAM_SERVICE_ERR);
	return finish(&c, update(pamh, flags, &c));
}

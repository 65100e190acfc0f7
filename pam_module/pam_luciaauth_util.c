/*
 * pam_luciaauth_util.c - arguments, store access, the la_rc -> PAM mapping
 * and logging of pam_luciaauth.so.
 *
 * MUST:
 *  1. No path is taken from the environment: only module arguments and the
 *     config file they name.
 *  2. Anything unexpected maps to a failure code, never to PAM_SUCCESS.
 *  3. Nothing secret is ever logged; logging goes through pam_syslog only.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modutil.h>

#include "pam_luciaauth.h"

static bool flag_arg(const char *arg, struct pla_opts *o)
{
	static const struct {
		const char *name;
		size_t offset;
	} flags[] = {
		{ "debug", offsetof(struct pla_opts, debug) },
		{ "noenv", offsetof(struct pla_opts, noenv) },
		{ "unknown_ok", offsetof(struct pla_opts, unknown_ok) },
		{ "audit", offsetof(struct pla_opts, audit) },
		{ "revoke_sessions", offsetof(struct pla_opts, revoke_sessions) },
		{ "nodelay", offsetof(struct pla_opts, nodelay) },
	};

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (strcmp(arg, flags[i].name) == 0) {
			*(bool *)((char *)o + flags[i].offset) = true;
			return true;
		}
	}
	/* Handled by pam_get_authtok() itself. */
	return strcmp(arg, "use_first_pass") == 0 || strcmp(arg, "try_first_pass") == 0 ||
	       strcmp(arg, "use_authtok") == 0 || strncmp(arg, "authtok_type=", 13) == 0;
}

/* key=value arguments that may override the config file. */
static bool config_arg(pam_handle_t *pamh, const char *arg, struct pla_opts *o)
{
	static const char *const keys[] = { "dir", "deny", "unlock_time", "fail_interval",
					    "password_min" };
	const char *eq = strchr(arg, '=');
	char key[32], err[256];

	if (!eq || (size_t)(eq - arg) >= sizeof(key))
		return false;
	memcpy(key, arg, (size_t)(eq - arg));
	key[eq - arg] = '\0';
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(key, keys[i]) != 0)
			continue;
		if (la_config_set(&o->cfg, key, eq + 1, err, sizeof(err)) != LA_OK)
			pam_syslog(pamh, LOG_ERR, "ignoring argument %s: %s", arg, err);
		return true;
	}
	return false;
}

bool pla_parse_args(pam_handle_t *pamh, int flags, int argc, const char **argv,
		    struct pla_opts *o)
{
	const char *config = NULL;
	char err[512] = "";

	memset(o, 0, sizeof(*o));
	o->silent = (flags & PAM_SILENT) != 0;
	snprintf(o->chkpwd, sizeof(o->chkpwd), "%s", LA_CHKPWD_PATH);
	la_config_defaults(&o->cfg);
	for (int i = 0; i < argc; i++)
		if (strncmp(argv[i], "config=", 7) == 0)
			config = argv[i] + 7;
	if (la_config_load(&o->cfg, config ? config : LA_DEFAULT_CONFIG, config == NULL, err,
			   sizeof(err)) != LA_OK) {
		pam_syslog(pamh, LOG_ERR, "configuration: %s", err);
		return false;
	}
	pla_apply_args(pamh, argc, argv, o);
	return true;
}

void pla_apply_args(pam_handle_t *pamh, int argc, const char **argv, struct pla_opts *o)
{
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "chkpwd=", 7) == 0 && argv[i][7] == '/') {
			snprintf(o->chkpwd, sizeof(o->chkpwd), "%s", argv[i] + 7);
			continue;
		}
		if (strncmp(argv[i], "config=", 7) == 0 || flag_arg(argv[i], o) ||
		    config_arg(pamh, argv[i], o))
			continue;
		pam_syslog(pamh, LOG_ERR, "ignoring unknown option: %s", argv[i]);
	}
}

struct la_store *pla_open(pam_handle_t *pamh, const struct pla_opts *o)
{
	struct la_store *st = NULL;
	la_rc rc = la_store_open(&o->cfg, 0, &st);

	if (rc == LA_OK)
		return st;
	pam_syslog(pamh, LOG_ERR, "store unavailable: %s: %s", la_strerror(rc),
		   la_store_errmsg(st));
	la_store_close(st);
	return NULL;
}

struct la_store *pla_open_or_delegate(pam_handle_t *pamh, const struct pla_opts *o,
				      bool *delegate)
{
	struct la_store *st = NULL;
	la_rc rc;

	*delegate = false;
	if (geteuid() == 0)
		return pla_open(pamh, o);
	rc = la_store_open(&o->cfg, 0, &st);
	if (rc == LA_OK)
		return st; /* a store this caller may read (tests, a private store) */
	/* Without privilege the master database is out of reach by design:
	 * not an error worth a log line on every screen unlock. */
	if (o->debug)
		pam_syslog(pamh, LOG_DEBUG, "store not readable (%s): using %s", la_strerror(rc),
			   o->chkpwd);
	la_store_close(st);
	*delegate = true;
	return NULL;
}

la_rc pla_our_user(struct la_store *st, const char *name, struct la_user *u)
{
	la_rc rc = la_user_by_name(st, name, u);

	if (rc == LA_OK)
		rc = la_user_check_servable(st, u);
	return rc;
}

static int unknown(const struct pla_opts *o)
{
	return o->unknown_ok ? PAM_IGNORE : PAM_USER_UNKNOWN;
}

int pla_pam_code(const struct pla_opts *o, enum pla_group g, la_rc rc)
{
	switch (rc) {
	case LA_OK:
		return PAM_SUCCESS;
	case LA_E_NOUSER:
	case LA_E_NOKEY:
		return g == PLA_SESSION || g == PLA_PASSWORD ? PAM_IGNORE : unknown(o);
	case LA_E_AUTH:
	case LA_E_LOCKED:
		return g == PLA_PASSWORD ? PAM_AUTHTOK_ERR : PAM_AUTH_ERR;
	case LA_E_DISABLED:
		return PAM_PERM_DENIED;
	case LA_E_EXPIRED:
		return PAM_ACCT_EXPIRED;
	case LA_E_MUST_CHANGE:
		return PAM_NEW_AUTHTOK_REQD;
	case LA_E_POLICY:
		return PAM_AUTHTOK_ERR;
	case LA_E_NOMEM:
		return PAM_BUF_ERR;
	default:
		break;
	}
	/* The store is missing, unreadable, busy or broken: fail closed. */
	switch (g) {
	case PLA_SESSION:
		return PAM_SESSION_ERR;
	case PLA_PASSWORD:
		return PAM_AUTHTOK_ERR;
	case PLA_AUTH:
	case PLA_ACCOUNT:
		break;
	}
	return PAM_AUTHINFO_UNAVAIL;
}

void pla_log_failure(pam_handle_t *pamh, const char *user, const char *what)
{
	const void *tty = NULL, *ruser = NULL, *rhost = NULL;
	const char *login = pam_modutil_getlogin(pamh);

	pam_get_item(pamh, PAM_TTY, &tty);
	pam_get_item(pamh, PAM_RUSER, &ruser);
	pam_get_item(pamh, PAM_RHOST, &rhost);
	/* The format of pam_unix, which fail2ban's filters already parse. */
	pam_syslog(pamh, LOG_NOTICE,
		   "%s; logname=%s uid=%d euid=%d tty=%s ruser=%s rhost=%s  user=%s", what,
		   login ? login : "", (int)getuid(), (int)geteuid(),
		   tty ? (const char *)tty : "", ruser ? (const char *)ruser : "",
		   rhost ? (const char *)rhost : "", user ? user : "");
}

void pla_tell(pam_handle_t *pamh, const struct pla_opts *o, int style, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (o->silent)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pam_prompt(pamh, style, NULL, "%s", msg);
}

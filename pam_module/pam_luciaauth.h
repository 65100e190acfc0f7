/*
 * pam_luciaauth.h - internals of pam_luciaauth.so, shared by its files only.
 */
#ifndef PAM_LUCIAAUTH_H
#define PAM_LUCIAAUTH_H

#include <stdbool.h>

#include <security/pam_modules.h>

#include "luciaauth.h"

#define PLA_HIDDEN __attribute__((visibility("hidden")))

/* Parsed module arguments. */
struct pla_opts {
	struct la_config cfg;
	bool debug;
	bool noenv;       /* do not export LUCIAAUTH_SESSION */
	bool unknown_ok;  /* PAM_IGNORE instead of PAM_USER_UNKNOWN */
	bool audit;       /* log the user name of unknown users too */
	bool revoke_sessions; /* password change signs out other sessions */
	bool nodelay;     /* no pam_fail_delay on failure */
	bool silent;      /* PAM_SILENT was passed */
	char chkpwd[LA_PATH_MAX]; /* the helper (LA_CHKPWD_PATH or chkpwd=) */
};

/* Read the config file (config= or /etc/luciaauth.conf), then apply the
 * other arguments over it.  Unknown or bad arguments are logged and
 * ignored; a config file that exists but cannot be used is an error
 * (returns false, logged). */
PLA_HIDDEN bool pla_parse_args(pam_handle_t *pamh, int flags, int argc, const char **argv,
			       struct pla_opts *o);

/* The second half of pla_parse_args(): apply every argument but config=
 * over o; reads no file, so fuzz/fuzz_pam_args.c can drive it. */
PLA_HIDDEN void pla_apply_args(pam_handle_t *pamh, int argc, const char **argv,
			       struct pla_opts *o);

/* Open the store; logs the reason and returns NULL when it is unusable. */
PLA_HIDDEN struct la_store *pla_open(pam_handle_t *pamh, const struct pla_opts *o);

/* Open the store; when that fails for a caller without privilege, sets
 * *delegate instead of logging: authentication then goes through
 * pla_chkpwd().  Otherwise as pla_open. */
PLA_HIDDEN struct la_store *pla_open_or_delegate(pam_handle_t *pamh, const struct pla_opts *o,
						 bool *delegate);

/* Check user's password through luciaauth-chkpwd(8): LA_OK, LA_E_AUTH,
 * LA_E_NOUSER, LA_E_LOCKED, or LA_E_NOSTORE for anything else
 * (pam_luciaauth_chkpwd.c). */
PLA_HIDDEN la_rc pla_chkpwd(pam_handle_t *pamh, const struct pla_opts *o, const char *user,
			    const char *pw);

/* The user of the transaction if it is one of ours and may be served
 * (la_user_check_servable).  Returns LA_OK, LA_E_NOUSER, or a store error. */
PLA_HIDDEN la_rc pla_our_user(struct la_store *st, const char *name, struct la_user *u);

/* The one mapping from la_rc to a PAM return code, per management group. */
enum pla_group { PLA_AUTH, PLA_ACCOUNT, PLA_SESSION, PLA_PASSWORD };
PLA_HIDDEN int pla_pam_code(const struct pla_opts *o, enum pla_group g, la_rc rc);

/* pam_unix-style failure line (fail2ban parses it), and messages to the
 * user unless PAM_SILENT. */
PLA_HIDDEN void pla_log_failure(pam_handle_t *pamh, const char *user, const char *what);
PLA_HIDDEN void pla_tell(pam_handle_t *pamh, const struct pla_opts *o, int style,
			 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif

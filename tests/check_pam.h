/*
 * check_pam.h - what the check_pam test files share: the harness, the
 * macros and helpers of check_pam_common.c, and the TCase builders of each
 * theme file (check_pam_module.c, _auth.c, _account.c, _session.c,
 * _password.c), called in order by suite_pam() in check_pam.c.
 */
#ifndef CHECK_PAM_H
#define CHECK_PAM_H

#include "pam_harness.h"

/* Lucia v2 (scrypt) hash of "hunter22". */
#define LUCIA_V2_HUNTER22                                                                          \
	"s2:du22a90aa971y1w0:17a5e26d852282ed7b0fb0ed2091e02f19f8c762ae94528d34be778417236e67e4"   \
	"6e46fe96882365c7df77626977a17b89a3a776389e2ff7e07f8525beb141d5"

#define LOCKED_MSG "E:The account is locked due to too many failed logins."
#define FAIL2BAN_RE                                                                                \
	"SYSLOG\\(5\\): [^\n]*authentication failure; logname=[^ ]* uid=[0-9]+ euid=[0-9]+ "      \
	"tty=pts/7 ruser=mallory rhost=192\\.0\\.2\\.1 +user=alice$"

/* A call of service for user answering the echo-off prompts in order. */
#define CALL(svc, usr, ...)                                                                        \
	((struct ph_call){ .service = (svc), .user = (usr), .answers = { __VA_ARGS__ } })

/* ---- helpers (check_pam_common.c) ---------------------------------------- */

int auth_rc(const char *service, const char *user, const char *pw, int flags);
int account_rc(const char *service, const char *user);
void change_answers(struct ph_call *c, const char *old, const char *n1, const char *n2);
void tamper_add(const char *name, unsigned uid);
int sm_setcred(const char *user, const char *extra);
void never_ours(const char *name);
struct la_session session_of(const char *token);
struct ph_call session_call(const char *service, const char *tty, const char *rhost);

/* ---- TCase builders, one per TCase, each adding it to s ------------------ */

void cp_tcase_exports(Suite *s);  /* check_pam_module.c */
void cp_tcase_store(Suite *s);    /* check_pam_module.c */
void cp_tcase_auth(Suite *s);     /* check_pam_auth.c */
void cp_tcase_lockout(Suite *s);  /* check_pam_auth.c */
void cp_tcase_account(Suite *s);  /* check_pam_account.c */
void cp_tcase_session(Suite *s);  /* check_pam_session.c */
void cp_tcase_password(Suite *s); /* check_pam_password.c */

#endif

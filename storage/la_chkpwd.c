/*
 * la_chkpwd.c - the logic of luciaauth-chkpwd(8): a caller that cannot
 * read the master database checks its own password, nobody else's.
 *
 * MUST:
 *  1. Identity is the caller's uid, resolved in the store (not via NSS,
 *     which the caller's environment could influence).
 *  2. A request naming another user is refused before any password work
 *     and touches no counter of anybody.
 *  3. Everything else is la_authenticate: lockout, dummy verification,
 *     rehash behave exactly as for PAM and the CLI.
 */
#include "config.h"

#include <string.h>

#include "la_int.h"

la_rc la_check_own_password(struct la_store *st, uint32_t caller_uid, const char *name,
			    const char *password, struct la_user *out)
{
	struct la_user me;
	la_rc rc;

	store_clear_error(st);
	memset(&me, 0, sizeof(me));
	rc = la_user_by_uid(st, caller_uid, &me);
	if (rc == LA_OK)
		rc = la_user_check_servable(st, &me);
	if (rc == LA_E_NOUSER) {
		/* The same work as a known user's check, then "unknown". */
		if (password)
			store_verify_dummy(st, password);
		return store_fail(st, LA_E_NOUSER, "uid %u is not a user of the store",
				  (unsigned)caller_uid);
	}
	if (rc != LA_OK)
		return rc;
	if (!name || strcmp(name, me.username) != 0) /* MUST 2 */
		return store_fail(st, LA_E_PERM, "uid %u may only check its own password",
				  (unsigned)caller_uid);
	rc = la_authenticate(st, LA_IDENT_USERNAME, me.username, password, out);
	if (rc == LA_OK && out->locked)
		rc = store_fail(st, LA_E_DISABLED, "account '%s' is locked", me.username);
	return rc;
}

int la_chkpwd_status(la_rc rc)
{
	switch (rc) {
	case LA_OK:
		return LA_CHKPWD_OK;
	case LA_E_AUTH:
	case LA_E_DISABLED:
		return LA_CHKPWD_AUTH;
	case LA_E_PERM:
	case LA_E_INVAL:
		return LA_CHKPWD_REFUSED;
	case LA_E_NOUSER:
	case LA_E_NOKEY:
		return LA_CHKPWD_UNKNOWN;
	case LA_E_LOCKED:
		return LA_CHKPWD_LOCKED;
	default:
		return LA_CHKPWD_UNAVAIL;
	}
}

la_rc la_chkpwd_rc(int status)
{
	switch (status) {
	case LA_CHKPWD_OK:
		return LA_OK;
	case LA_CHKPWD_AUTH:
	case LA_CHKPWD_REFUSED:
		return LA_E_AUTH;
	case LA_CHKPWD_UNKNOWN:
		return LA_E_NOUSER;
	case LA_CHKPWD_LOCKED:
		return LA_E_LOCKED;
	default:
		return LA_E_NOSTORE;
	}
}

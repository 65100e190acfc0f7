/*
 * la_error.c - the one table of error strings, and per-handle details.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "la_int.h"

static const char *const la_errstr[LA_RC_MAX] = {
	[LA_OK] = "success",
	[LA_E_INVAL] = "invalid argument",
	[LA_E_NOUSER] = "no such user",
	[LA_E_NOGROUP] = "no such group",
	[LA_E_NOKEY] = "no such key",
	[LA_E_NOSESSION] = "invalid or expired session",
	[LA_E_NOTFOUND] = "not found",
	[LA_E_BADTOKEN] = "malformed session token",
	[LA_E_USER_EXISTS] = "user already exists",
	[LA_E_GROUP_EXISTS] = "group already exists",
	[LA_E_KEY_EXISTS] = "key already exists",
	[LA_E_EXISTS] = "already exists",
	[LA_E_AUTH] = "authentication failed",
	[LA_E_LOCKED] = "account temporarily locked after too many failures",
	[LA_E_DISABLED] = "account locked",
	[LA_E_EXPIRED] = "account expired",
	[LA_E_MUST_CHANGE] = "password must be changed",
	[LA_E_POLICY] = "refused by password policy",
	[LA_E_SIGNUP_CLOSED] = "sign-up is closed",
	[LA_E_RANGE] = "id out of range or none free",
	[LA_E_NOSTORE] = "store not found",
	[LA_E_PERM] = "permission denied or unsafe file mode",
	[LA_E_CORRUPT] = "store corrupt",
	[LA_E_SCHEMA] = "store schema is newer than this program",
	[LA_E_BUSY] = "store busy",
	[LA_E_IO] = "I/O error",
	[LA_E_DB] = "database error",
	[LA_E_NOMEM] = "out of memory",
	[LA_E_CRYPTO] = "cryptographic failure",
	[LA_E_INTERNAL] = "internal error",
};

const char *la_strerror(la_rc rc)
{
	if ((unsigned)rc >= LA_RC_MAX || !la_errstr[rc])
		return "unknown error";
	return la_errstr[rc];
}

void store_clear_error(struct la_store *st)
{
	if (st)
		st->errmsg[0] = '\0';
}

la_rc store_fail(struct la_store *st, la_rc rc, const char *fmt, ...)
{
	va_list ap;

	if (!st)
		return rc;
	va_start(ap, fmt);
	vsnprintf(st->errmsg, sizeof(st->errmsg), fmt, ap);
	va_end(ap);
	return rc;
}

la_rc store_db_fail(struct la_store *st, int sqlite_rc, const char *what)
{
	la_rc rc = LA_E_DB;
	const char *msg = st && st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(sqlite_rc);

	switch (sqlite_rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		rc = LA_E_BUSY;
		break;
	case SQLITE_NOMEM:
		rc = LA_E_NOMEM;
		break;
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_READONLY:
		rc = LA_E_IO;
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		rc = LA_E_CORRUPT;
		break;
	case SQLITE_CANTOPEN:
		rc = LA_E_NOSTORE;
		break;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		rc = LA_E_PERM;
		break;
	default:
		break;
	}
	return store_fail(st, rc, "%s: %s", what, msg);
}

const char *la_store_errmsg(const struct la_store *st)
{
	return st ? st->errmsg : "out of memory";
}

/*
 * pam_harness_store.c - the store from the test's side, for tests/check_pam
 * (see pam_harness.h; process set-up and fixture are in pam_harness.c).
 */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <link.h>
#include <regex.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "pam_harness.h"
#include "pam_harness_int.h"

/* ---- the store, from the test's side ----------------------------------- */

void ph_add_user(const char *name, const char *pw, struct la_user *out)
{
	struct la_user_spec spec = { .username = name };
	struct la_user tmp;

	LA_OK_OR_FAIL(la_user_add(ph_st, &spec, pw, out ? out : &tmp));
}

struct la_user ph_user(const char *name)
{
	struct la_user u;

	LA_OK_OR_FAIL(la_user_by_name(ph_st, name, &u));
	return u;
}

static sqlite3 *db_open(int flags)
{
	char path[PATH_MAX];
	sqlite3 *db = NULL;

	ph_fmt(path, sizeof(path), "%s/luciaauth.db", ph.state);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, flags, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

void ph_sql(const char *f, ...)
{
	char sql[2048], *err = NULL;
	sqlite3 *db = db_open(SQLITE_OPEN_READWRITE);
	va_list ap;
	int r;

	va_start(ap, f);
	vsnprintf(sql, sizeof(sql), f, ap);
	va_end(ap);
	r = sqlite3_exec(db, sql, NULL, NULL, &err);
	ck_assert_msg(r == SQLITE_OK, "%s: %s", sql, err ? err : "?");
	sqlite3_free(err);
	sqlite3_close(db);
}

static const char *sql_text_v(const char *f, va_list ap)
{
	static char out[1024];
	char sql[2048];
	sqlite3 *db = db_open(SQLITE_OPEN_READONLY);
	sqlite3_stmt *s = NULL;

	vsnprintf(sql, sizeof(sql), f, ap);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK, "%s: %s", sql,
		      sqlite3_errmsg(db));
	out[0] = '\0';
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(out, sizeof(out), "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return out;
}

const char *ph_sql_text(const char *f, ...)
{
	va_list ap;
	const char *r;

	va_start(ap, f);
	r = sql_text_v(f, ap);
	va_end(ap);
	return r;
}

long ph_sql_long(const char *f, ...)
{
	va_list ap;
	const char *r;

	va_start(ap, f);
	r = sql_text_v(f, ap);
	va_end(ap);
	return strtol(r, NULL, 10);
}

const char *ph_hash_of(const char *name)
{
	return ph_sql_text("SELECT hashed_password FROM auth_keys WHERE id = 'password:%s'", name);
}

la_rc ph_auth(const char *name, const char *pw)
{
	struct la_user u;

	return la_authenticate(ph_st, LA_IDENT_USERNAME, name, pw, &u);
}

bool ph_password_is(const char *name, const char *pw)
{
	char hash[LA_HASH_MAX];
	const struct la_config *cfg = la_store_config(ph_st);

	snprintf(hash, sizeof(hash), "%s", ph_hash_of(name));
	return la_verify_password(pw, hash, cfg->hash_mem_kib, cfg->hash_ops, NULL) == LA_OK;
}

static int count_cb(const struct la_session *s, void *ctx)
{
	(void)s;
	++*(unsigned *)ctx;
	return 0;
}

unsigned ph_sessions(const char *name)
{
	unsigned n = 0;

	LA_OK_OR_FAIL(la_session_list(ph_st, name, count_cb, &n));
	return n;
}


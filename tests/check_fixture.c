/*
 * check_fixture.c - the per-test temporary store, and the helpers that more
 * than one suite uses (declared in check_la.h).
 */
#include "config.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_la.h"

struct fx fx;

static int64_t fx_clock(void *ctx)
{
	(void)ctx;
	return fx.now;
}

void fx_close(void)
{
	la_store_close(fx.st);
	fx.st = NULL;
}

void fx_reopen(void)
{
	la_rc rc;

	fx_close();
	rc = la_store_open(&fx.cfg, 0, &fx.st);
	ck_assert_msg(rc == LA_OK, "reopen: %s", la_store_errmsg(fx.st));
	la_store_set_clock(fx.st, fx_clock, NULL);
}

void fx_setup(void)
{
	const char *tmp = getenv("TMPDIR");
	FILE *f;
	la_rc rc;

	snprintf(fx.dir, sizeof(fx.dir), "%s/la-check-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(fx.dir));
	la_config_defaults(&fx.cfg);
	snprintf(fx.cfg.dir, sizeof(fx.cfg.dir), "%s/state", fx.dir);
	/* Cheap hashes keep the suite fast; the cost is a parameter like any other. */
	fx.cfg.hash_mem_kib = 64;
	fx.cfg.hash_ops = 1;
	/* Empty system account files: the host's accounts must not matter. */
	snprintf(fx.cfg.passwd_file, sizeof(fx.cfg.passwd_file), "%s/passwd", fx.dir);
	snprintf(fx.cfg.group_file, sizeof(fx.cfg.group_file), "%s/group", fx.dir);
	f = fopen(fx.cfg.passwd_file, "w");
	ck_assert_ptr_nonnull(f);
	fputs("root:x:0:0:root:/root:/bin/bash\nlocaluser:x:10500:10500::/home/l:/bin/sh\n", f);
	fclose(f);
	f = fopen(fx.cfg.group_file, "w");
	ck_assert_ptr_nonnull(f);
	fputs("root:x:0:\nsudo:x:27:\nlocalgrp:x:10600:\n", f);
	fclose(f);
	fx.now = FX_T0;
	rc = la_store_open(&fx.cfg, LA_OPEN_CREATE, &fx.st);
	ck_assert_msg(rc == LA_OK, "init: %s", la_store_errmsg(fx.st));
	la_store_set_clock(fx.st, fx_clock, NULL);
}

void fx_teardown(void)
{
	char cmd[400];

	fx_close();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx.dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* ---- assertions on library calls --------------------------------------- */

void fx_counts_get(const char *const tables[], long counts[FX_TABLES_MAX])
{
	for (size_t i = 0; tables[i]; i++) {
		ck_assert_uint_lt(i, FX_TABLES_MAX);
		ck_assert_msg((counts[i] = fx_count(tables[i])) >= 0, "table %s missing",
			      tables[i]);
	}
}

void fx_counts_same(const char *const tables[], const long before[])
{
	for (size_t i = 0; tables[i]; i++) {
		long n = fx_count(tables[i]);

		ck_assert_msg(n == before[i], "%s: %ld rows, expected %ld", tables[i], n,
			      before[i]);
	}
}

/* ---- users and sign-in ------------------------------------------------- */

void fx_add_user_email(const char *name, const char *email, const char *password,
		       struct la_user *out)
{
	struct la_user_spec spec = {.username = name, .email = email};
	struct la_user tmp;
	la_rc rc = la_user_add(fx.st, &spec, password, out ? out : &tmp);

	ck_assert_msg(rc == LA_OK, "add %s: %s (%s)", name, la_strerror(rc),
		      la_store_errmsg(fx.st));
}

void fx_add_user(const char *name, const char *password, struct la_user *out)
{
	fx_add_user_email(name, NULL, password, out);
}

la_rc fx_addu(struct la_user_spec spec, const char *pw)
{
	return la_user_add(fx.st, &spec, pw, &fx.added);
}

la_rc fx_add_name(const char *name)
{
	return fx_addu(SPEC(.username = name), PW);
}

struct la_user fx_user(const char *name)
{
	struct la_user u;
	la_rc rc = la_user_by_name(fx.st, name, &u);

	ck_assert_msg(rc == LA_OK, "user %s: %s (%s)", name, la_strerror(rc),
		      la_store_errmsg(fx.st));
	return u;
}

la_rc fx_auth(enum la_ident how, const char *ident, const char *pw)
{
	struct la_user u;

	return la_authenticate(fx.st, how, ident, pw, &u);
}

int fx_name_cb(const char *name, uint32_t id, void *ctx)
{
	struct fx_names *ns = ctx;
	size_t len = strlen(ns->buf);

	snprintf(ns->buf + len, sizeof(ns->buf) - len, "%s%s:%u", len ? "," : "", name, id);
	return ++ns->n == ns->stop_after;
}

/* ---- the master database, behind the library's back ------------------- */

static void db_name(char *out, size_t size, const char *suffix)
{
	snprintf(out, size, "%s/luciaauth.db%s", fx.cfg.dir, suffix);
}

const char *fx_db_file(const char *suffix)
{
	static char path[LA_PATH_MAX + 32];

	db_name(path, sizeof(path), suffix);
	return path;
}

long fx_count(const char *table)
{
	char path[LA_PATH_MAX + 32], sql[128];
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	long n = -1;

	db_name(path, sizeof(path), "");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

void fx_sql(const char *sql)
{
	char path[LA_PATH_MAX + 32];
	sqlite3 *db = NULL;
	int r;

	db_name(path, sizeof(path), "");
	ck_assert_int_eq(
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
	    SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	r = sqlite3_exec(db, sql, NULL, NULL, NULL);
	ck_assert_msg(r == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

sqlite3_stmt *fx_db_query(sqlite3 **db, const char *sql, const char *arg)
{
	char path[LA_PATH_MAX + 32];
	sqlite3_stmt *s = NULL;

	db_name(path, sizeof(path), "");
	ck_assert_int_eq(sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(*db, sql, -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
	return s;
}

la_rc fx_open(unsigned flags)
{
	struct la_store *st = NULL;
	la_rc rc = la_store_open(&fx.cfg, flags, &st);

	snprintf(fx.open_msg, sizeof(fx.open_msg), "%s", st ? la_store_errmsg(st) : "");
	la_store_close(st);
	return rc;
}

void fx_expect_open(la_rc want, const char *in_msg)
{
	la_rc rc = fx_open(0);

	ck_assert_msg(rc == want, "open: %s, expected %s (%s)", la_strerror(rc), la_strerror(want),
		      fx.open_msg);
	if (in_msg)
		ck_assert_msg(strstr(fx.open_msg, in_msg) != NULL, "'%s' not in '%s'", in_msg,
			      fx.open_msg);
}

/* ---- several processes on one store ---------------------------------- */

static int64_t child_clock(void *ctx)
{
	return *(const int64_t *)ctx;
}

la_rc fx_child_open(struct la_store **st)
{
	la_rc rc = la_store_open(&fx.cfg, 0, st);

	if (rc == LA_OK)
		la_store_set_clock(*st, child_clock, &fx.now);
	return rc;
}

int fx_child_auth(const char *name, const char *pw)
{
	struct la_store *st = NULL;
	struct la_user u;
	la_rc rc = fx_child_open(&st);

	if (rc != LA_OK) {
		la_store_close(st);
		return 100 + (int)rc;
	}
	rc = la_authenticate(st, LA_IDENT_USERNAME, name, pw, &u);
	la_store_close(st);
	return (int)rc;
}

/* The children wait at a gate (a pipe the parent closes), so that they
 * really run at the same moment. */
void fx_run_children(int n, fx_child_fn fn, void *ctx, int status[])
{
	pid_t pid[FX_CHILDREN_MAX];
	int gate[2];

	ck_assert_int_le(n, FX_CHILDREN_MAX);
	ck_assert_int_eq(pipe(gate), 0);
	fx_close();
	for (int i = 0; i < n; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0) {
			char c;

			close(gate[1]);
			while (read(gate[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(fn(i, ctx));
		}
	}
	close(gate[0]);
	close(gate[1]);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(waitpid(pid[i], &status[i], 0), pid[i]);
	fx_reopen();
}

void fx_tally(const int status[], int n, int out[LA_RC_MAX])
{
	memset(out, 0, sizeof(int) * LA_RC_MAX);
	for (int i = 0; i < n; i++) {
		int code = WIFEXITED(status[i]) ? WEXITSTATUS(status[i]) : -1;

		ck_assert_msg(code >= 0 && code < LA_RC_MAX, "child %d: status %#x (%s)", i,
			      (unsigned)status[i],
			      code >= 100 ? la_strerror((la_rc)(code - 100)) : "signal");
		out[code]++;
	}
}

/* ---- sessions ---------------------------------------------------------- */

struct la_user fx_alice;
struct la_session fx_got;

void fx_with_alice(void)
{
	fx_add_user("alice", PW, &fx_alice);
}

struct fx_tok fx_new_session(const struct la_user *u, const struct la_origin *o)
{
	struct fx_tok k;
	la_rc rc = la_session_create(fx.st, u->id, o, k.t, &k.s);

	ck_assert_msg(rc == LA_OK, "create: %s (%s)", la_strerror(rc), la_store_errmsg(fx.st));
	return k;
}

la_rc fx_session_validate(const char *tok)
{
	return la_session_validate(fx.st, tok, &fx_got, NULL);
}

la_rc fx_session_get(const char *tok)
{
	return la_session_get(fx.st, tok, &fx_got, NULL);
}

void fx_session_is(const struct la_session *s, enum la_session_state st, bool fresh, int64_t active,
		   int64_t idle)
{
	ck_assert_int_eq(s->state, st);
	ck_assert_int_eq(s->fresh, fresh);
	ck_assert_int_eq(s->active_expires, active);
	ck_assert_int_eq(s->idle_expires, idle);
}

const char *fx_session_key(const char *id)
{
	static const char alpha[] = "abcdefghijkmnpqrstuvwxyz23456789";
	static char out[32];
	uint64_t v = 0;

	/* The public id is the row key in base32 (storage/la_session.c); the
	 * decimal text compares equal to the INTEGER PRIMARY KEY. */
	for (const char *p = id; *p; p++) {
		const char *at = strchr(alpha, *p);

		ck_assert_msg(at != NULL, "session id %s is not base32", id);
		v = v << 5 | (uint64_t)(at - alpha);
	}
	snprintf(out, sizeof(out), "%llu", (unsigned long long)v);
	return out;
}

struct fx_row fx_session_row(const char *id)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = fx_db_query(&db,
				      "SELECT active_expires, idle_expires, created, max_expires,"
				      " secret_hash, source, coalesce(tty, '(null)'),"
				      " coalesce(rhost, '(null)') FROM sessions WHERE id = ?1",
				      fx_session_key(id));
	struct fx_row r;

	memset(&r, 0, sizeof(r));
	if (sqlite3_step(s) == SQLITE_ROW) {
		r.found = true;
		r.active = sqlite3_column_int64(s, 0);
		r.idle = sqlite3_column_int64(s, 1);
		r.created = sqlite3_column_int64(s, 2);
		r.max = sqlite3_column_int64(s, 3);
		r.hash_len = sqlite3_column_bytes(s, 4);
		if (r.hash_len > 0 && r.hash_len <= (int)sizeof(r.hash))
			memcpy(r.hash, sqlite3_column_blob(s, 4), (size_t)r.hash_len);
		snprintf(r.source, sizeof(r.source), "%s", (const char *)sqlite3_column_text(s, 5));
		snprintf(r.tty, sizeof(r.tty), "%s", (const char *)sqlite3_column_text(s, 6));
		snprintf(r.rhost, sizeof(r.rhost), "%s", (const char *)sqlite3_column_text(s, 7));
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return r;
}

void fx_session_row_is(const char *id, int64_t active, int64_t idle)
{
	struct fx_row r = fx_session_row(id);

	ck_assert_msg(r.found, "session %s not stored", id);
	ck_assert_int_eq(r.active, active);
	ck_assert_int_eq(r.idle, idle);
}

/* ---- suites ------------------------------------------------------------ */

void fx_add_tcase(Suite *s, const char *name, int timeout, const TTest *const tests[], size_t n)
{
	TCase *tc = tcase_create(name);

	if (timeout)
		tcase_set_timeout(tc, timeout);
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	for (size_t i = 0; i < n; i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
}

/*
 * check_fixture.c - the per-test temporary store.
 */
#include "config.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_la.h"

struct fx fx;

static int64_t fx_clock(void *ctx)
{
	(void)ctx;
	return fx.now;
}

void fx_reopen(void)
{
	la_rc rc;

	la_store_close(fx.st);
	fx.st = NULL;
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

	la_store_close(fx.st);
	fx.st = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx.dir);
	ck_assert_int_eq(system(cmd), 0);
}

void fx_add_user(const char *name, const char *password, struct la_user *out)
{
	struct la_user_spec spec = { .username = name };
	struct la_user tmp;
	la_rc rc = la_user_add(fx.st, &spec, password, out ? out : &tmp);

	ck_assert_msg(rc == LA_OK, "add %s: %s (%s)", name, la_strerror(rc),
		      la_store_errmsg(fx.st));
}

long fx_count(const char *table)
{
	char path[LA_PATH_MAX + 32], sql[128];
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	long n = -1;

	snprintf(path, sizeof(path), "%s/luciaauth.db", fx.cfg.dir);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

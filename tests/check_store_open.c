/*
 * check_store_open.c - opening the store: the modes it is created with and
 * insists on, a missing, corrupt, foreign or newer database, symbolic links
 * and foreign owners.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_la.h"

static void unlink_side_files(void)
{
	unlink(fx_db_file("-wal"));
	unlink(fx_db_file("-shm"));
}

/* ---- core ----------------------------------------------------------- */

START_TEST(test_store_created_modes)
{
	char snap[LA_PATH_MAX + 32];
	struct stat sb;
	mode_t old = umask(0);

	snprintf(fx.cfg.dir, sizeof(fx.cfg.dir), "%s/fresh", fx.dir);
	fx_close();
	ck_assert_int_eq(la_store_open(&fx.cfg, LA_OPEN_CREATE, &fx.st), LA_OK);
	fx_add_user("alice", PW, NULL);
	ck_assert_int_eq(stat(fx.cfg.dir, &sb), 0);
	/* Traversable (the public snapshot is reached by name), not listable. */
	ck_assert_uint_eq(sb.st_mode & 07777, 0711);
	ck_assert_int_eq(stat(fx_db_file(""), &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 07777, 0600);
	/* The public snapshot: world-readable, never writable by others. */
	snprintf(snap, sizeof(snap), "%s/nss.snapshot", fx.cfg.dir);
	ck_assert_int_eq(stat(snap, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 07777, 0644);
	/* SQLite's side files hold the same secrets. */
	if (stat(fx_db_file("-wal"), &sb) == 0)
		ck_assert_uint_eq(sb.st_mode & 077, 0);
	if (stat(fx_db_file("-shm"), &sb) == 0)
		ck_assert_uint_eq(sb.st_mode & 077, 0);
	umask(old);
	/* Opening again (with or without create) keeps the data. */
	fx_close();
	ck_assert_int_eq(fx_open(LA_OPEN_CREATE), LA_OK);
	fx_reopen();
	ck_assert_int_eq(fx_count("users"), 1);
	/* A database the group may read is accepted (luciaauthd's group). */
	ck_assert_int_eq(chmod(fx_db_file(""), 0640), 0);
	ck_assert_int_eq(chmod(fx.cfg.dir, 0755), 0);
	fx_expect_open(LA_OK, NULL);
}
END_TEST

/* ---- errors --------------------------------------------------------- */

START_TEST(test_store_open_refuses_db_mode)
{
	static const mode_t bad[] = {0666, 0604, 0606, 0622, 0602};

	fx_close();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(chmod(fx_db_file(""), bad[i]), 0);
		fx_expect_open(LA_E_PERM, fx_db_file(""));
		ck_assert_msg(strstr(fx.open_msg, bad[i] & 022 ? "writable" : "readable"), "%s",
			      fx.open_msg);
	}
	ck_assert_int_eq(chmod(fx_db_file(""), 0600), 0);
	fx_expect_open(LA_OK, NULL);
	fx_reopen();
	ck_assert_int_eq(la_store_check(fx.st), LA_OK);
}
END_TEST

START_TEST(test_store_open_refuses_dir_mode)
{
	static const mode_t bad[] = {0770, 0707, 0777, 01777, 0720};

	fx_close();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(chmod(fx.cfg.dir, bad[i]), 0);
		fx_expect_open(LA_E_PERM, "writable");
		ck_assert_int_eq(fx_open(LA_OPEN_CREATE), LA_E_PERM);
	}
	ck_assert_int_eq(chmod(fx.cfg.dir, 0700), 0);
	fx_expect_open(LA_OK, NULL);
}
END_TEST

START_TEST(test_store_open_missing)
{
	char db[LA_PATH_MAX + 32];

	fx_close();
	snprintf(db, sizeof(db), "%s", fx_db_file(""));
	ck_assert_int_eq(unlink(db), 0);
	fx_expect_open(LA_E_NOSTORE, "luciaauth init");
	snprintf(fx.cfg.dir, sizeof(fx.cfg.dir), "%s/absent", fx.dir);
	fx_expect_open(LA_E_NOSTORE, "luciaauth init");
	/* Neither attempt created anything. */
	ck_assert_int_eq(access(fx.cfg.dir, F_OK), -1);
	ck_assert_int_eq(access(db, F_OK), -1);
	snprintf(fx.cfg.dir, sizeof(fx.cfg.dir), "relative/state");
	fx_expect_open(LA_E_INVAL, NULL);
}
END_TEST

START_TEST(test_store_open_not_sqlite)
{
	char junk[4096];
	FILE *f;

	fx_close();
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = "this is not a database\n"[i % 23];
	f = fopen(fx_db_file(""), "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
	ck_assert_int_eq(fclose(f), 0);
	fx_expect_open(LA_E_CORRUPT, NULL);
	ck_assert_int_eq(fx_open(LA_OPEN_CREATE), LA_E_CORRUPT);
}
END_TEST

START_TEST(test_store_open_foreign_sqlite)
{
	fx_close();
	ck_assert_int_eq(unlink(fx_db_file("")), 0);
	unlink_side_files();
	fx_sql("CREATE TABLE user (id TEXT PRIMARY KEY)");
	ck_assert_int_eq(chmod(fx_db_file(""), 0600), 0);
	fx_expect_open(LA_E_CORRUPT, "not a luciaauth database");
	/* ...and it was left alone. */
	ck_assert_int_eq(fx_count("user"), 0);
	ck_assert_int_eq(fx_count("users"), -1);
}
END_TEST

START_TEST(test_store_open_newer_schema)
{
	fx_add_user("alice", PW, NULL);
	fx_close();
	fx_sql("INSERT INTO schema_version VALUES (99, 0)");
	fx_expect_open(LA_E_SCHEMA, "99");
	ck_assert_int_eq(fx_open(LA_OPEN_CREATE), LA_E_SCHEMA);
	ck_assert_int_eq(fx_count("users"), 1);
}
END_TEST

START_TEST(test_store_open_refuses_symlink)
{
	char real[LA_PATH_MAX + 32];

	fx_close();
	snprintf(real, sizeof(real), "%s/real.db", fx.cfg.dir);
	ck_assert_int_eq(rename(fx_db_file(""), real), 0);
	ck_assert_int_eq(symlink(real, fx_db_file("")), 0);
	fx_expect_open(LA_E_PERM, "symbolic link");
}
END_TEST

START_TEST(test_store_open_refuses_foreign_owner)
{
	fx_close();
	if (geteuid() != 0)
		return; /* needs root to give the file away */
	ck_assert_int_eq(chown(fx_db_file(""), 12345, (gid_t)-1), 0);
	fx_expect_open(LA_E_PERM, "owned by uid 12345");
}
END_TEST

/* Does another process see SQLite's SHARED lock on the database file (the
 * range after SQLite's pending byte), which a WAL-mode connection holds as
 * long as it is open?  The last connection to close checkpoints and removes
 * the WAL when it can lock the file exclusively. */
static bool others_see_shared_lock(const char *db)
{
	pid_t pid = fork();
	int status = 0;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
				    .l_start = 0x40000002, .l_len = 510 };
		int fd = open(db, O_RDONLY | O_CLOEXEC);

		_exit(fd >= 0 && fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Opening a second handle in the same process (luciaauthd: one per thread)
 * must not drop the first one's POSIX locks, as closing any descriptor of
 * the file would. */
START_TEST(test_store_open_keeps_other_handles_locks)
{
	struct la_store *second = NULL;
	struct la_user u;

	ck_assert_int_eq(la_user_by_name(fx.st, "nobody", &u), LA_E_NOUSER);
	ck_assert(others_see_shared_lock(fx_db_file("")));
	ck_assert_int_eq(la_store_open(&fx.cfg, 0, &second), LA_OK);
	ck_assert_msg(others_see_shared_lock(fx_db_file("")),
		      "opening a second handle dropped the first handle's lock");
	ck_assert_int_eq(la_user_by_name(second, "nobody", &u), LA_E_NOUSER);
	la_store_close(second);
	ck_assert(others_see_shared_lock(fx_db_file("")));
}
END_TEST

Suite *suite_store_open(void)
{
	const TTest *core[] = {
	    test_store_created_modes,
	    test_store_open_keeps_other_handles_locks,
	};
	const TTest *errors[] = {
	    test_store_open_refuses_db_mode, test_store_open_refuses_dir_mode,
	    test_store_open_missing,	     test_store_open_not_sqlite,
	    test_store_open_foreign_sqlite,  test_store_open_newer_schema,
	    test_store_open_refuses_symlink, test_store_open_refuses_foreign_owner,
	};
	Suite *s = suite_create("store_open");

	FX_TCASE(s, "core", 0, core);
	FX_TCASE(s, "errors", 0, errors);
	return s;
}

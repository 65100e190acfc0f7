/*
 * la_db.c - opening the master database, statements and transactions.
 *
 * MUST:
 *  1. The master database holds password hashes and session secrets: it is
 *     created 0600 in a directory that group and others cannot write, and a
 *     database or directory that others can write (or read) is refused.
 *  2. Files are opened O_NOFOLLOW|O_CLOEXEC and checked on the descriptor.
 *  3. Every multi-statement change runs inside BEGIN IMMEDIATE so that a
 *     writer waits for the lock up front instead of failing half-way.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "la_int.h"

static la_rc check_stat(struct la_store *st, const struct stat *stp, const char *path,
			bool is_dir)
{
	struct stat sb = *stp;

	if (is_dir ? !S_ISDIR(sb.st_mode) : !S_ISREG(sb.st_mode))
		return store_fail(st, LA_E_PERM, "%s is not a %s", path,
				  is_dir ? "directory" : "regular file");
	if (sb.st_uid != 0 && sb.st_uid != geteuid())
		return store_fail(st, LA_E_PERM, "%s is owned by uid %u, not by root; refusing",
				  path, (unsigned)sb.st_uid);
	if (sb.st_mode & (S_IWGRP | S_IWOTH))
		return store_fail(st, LA_E_PERM,
				  "%s is writable by group or others (mode %04o); refusing "
				  "(chmod go-w %s)",
				  path, (unsigned)(sb.st_mode & 07777), path);
	if (!is_dir && (sb.st_mode & S_IROTH))
		return store_fail(st, LA_E_PERM,
				  "%s is readable by others (mode %04o); refusing (chmod o-r %s)",
				  path, (unsigned)(sb.st_mode & 07777), path);
	return LA_OK;
}

static la_rc check_owner_mode(struct la_store *st, int fd, const char *path, bool is_dir)
{
	struct stat sb;

	if (fstat(fd, &sb) != 0)
		return store_fail(st, LA_E_IO, "cannot stat %s: %s", path, strerror(errno));
	return check_stat(st, &sb, path, is_dir);
}

static la_rc open_dir(struct la_store *st, bool create)
{
	const char *dir = st->cfg.dir;
	int fd;
	la_rc rc;

	/* 0711: others may reach the public snapshot by name but not list the
	 * directory; the master database itself stays 0600. */
	if (create && mkdir(dir, 0711) == 0) {
		/* Whatever the umask: the snapshot must be reachable. */
		if (chmod(dir, 0711) != 0)
			return store_fail(st, LA_E_IO, "cannot chmod %s: %s", dir, strerror(errno));
	} else if (create && errno != EEXIST) {
		return store_fail(st, errno == EACCES ? LA_E_PERM : LA_E_IO,
				  "cannot create state directory %s: %s", dir, strerror(errno));
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return store_fail(st, LA_E_NOSTORE,
					  "no store in %s (run 'luciaauth init')", dir);
		return store_fail(st, errno == EACCES ? LA_E_PERM : LA_E_IO, "cannot open %s: %s",
				  dir, strerror(errno));
	}
	rc = check_owner_mode(st, fd, dir, true);
	close(fd);
	return rc;
}

/* An existing database is checked without opening it: closing any
 * descriptor of the file drops every POSIX lock this process holds on it,
 * including those of other handles' SQLite connections (a threaded
 * program such as luciaauthd opens one handle per thread, and a dropped
 * WAL lock lets another process corrupt the database).  SQLite then opens
 * it with O_NOFOLLOW, so the name checked is the file used. */
static la_rc stat_file(struct la_store *st, const char *path)
{
	struct stat sb;

	if (fstatat(AT_FDCWD, path, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
	    (S_ISREG(sb.st_mode) && faccessat(AT_FDCWD, path, R_OK | W_OK, AT_EACCESS) != 0))
		return LA_E_NOTFOUND; /* errno says why: open_file explains */
	if (S_ISLNK(sb.st_mode)) {
		errno = ELOOP;
		return LA_E_NOTFOUND;
	}
	return check_stat(st, &sb, path, false);
}

static la_rc open_file(struct la_store *st, const char *path, bool create)
{
	int flags = O_RDWR | O_NOFOLLOW | O_CLOEXEC | (create ? O_CREAT : 0);
	la_rc rc = create ? LA_E_NOTFOUND : stat_file(st, path);
	int fd = -1;

	if (rc != LA_E_NOTFOUND)
		return rc;
	if (create)
		fd = open(path, flags, 0600);
	if (fd < 0) {
		if (errno == ENOENT)
			return store_fail(st, LA_E_NOSTORE,
					  "no master database %s (run 'luciaauth init')", path);
		if (errno == EACCES || errno == EPERM)
			return store_fail(st, LA_E_PERM, "cannot open %s: %s (are you root?)",
					  path, strerror(errno));
		if (errno == ELOOP)
			return store_fail(st, LA_E_PERM, "%s is a symbolic link; refusing", path);
		return store_fail(st, LA_E_IO, "cannot open %s: %s", path, strerror(errno));
	}
	rc = check_owner_mode(st, fd, path, false);
	close(fd);
	return rc;
}

static la_rc exec_sql(struct la_store *st, const char *sql)
{
	int r = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	return r == SQLITE_OK ? LA_OK : store_db_fail(st, r, sql);
}

static la_rc configure_db(struct la_store *st)
{
	la_rc rc;

	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, (int)st->cfg.busy_timeout_ms);
	rc = exec_sql(st, "PRAGMA foreign_keys=ON");
	if (rc == LA_OK)
		rc = exec_sql(st, st->cfg.sync_full ? "PRAGMA synchronous=FULL"
						    : "PRAGMA synchronous=NORMAL");
	if (rc == LA_OK)
		rc = exec_sql(st, "PRAGMA secure_delete=ON");
	/* 16 MiB of page cache instead of 2: session lookups stay in memory. */
	if (rc == LA_OK)
		rc = exec_sql(st, "PRAGMA cache_size=-16384");
	return rc;
}

la_rc la_store_open(const struct la_config *cfg, unsigned flags, struct la_store **out)
{
	struct la_store *st = NULL;
	char path[LA_PATH_MAX + sizeof(LA_DB_NAME) + 1];
	bool create = (flags & LA_OPEN_CREATE) != 0;
	la_rc rc;
	int r;

	*out = NULL;
	if (sodium_init() < 0)
		return LA_E_CRYPTO;
	st = calloc(1, sizeof(*st));
	if (!st)
		return LA_E_NOMEM;
	*out = st;
	st->cfg = *cfg;
	if (st->cfg.dir[0] != '/')
		return store_fail(st, LA_E_INVAL, "state directory must be an absolute path");
	if (st->cfg.uid_min > st->cfg.uid_max)
		return store_fail(st, LA_E_INVAL, "uid_min is greater than uid_max");
	/* These become passwd fields of new accounts. */
	if (!store_valid_path(st->cfg.default_shell) || !store_valid_path(st->cfg.signup_shell) ||
	    !store_valid_path(st->cfg.home_base))
		return store_fail(st, LA_E_INVAL,
				  "default_shell, signup_shell and home_base must be absolute "
				  "paths without ':' or control characters");
	snprintf(path, sizeof(path), "%s/%s", st->cfg.dir, LA_DB_NAME);
	rc = open_dir(st, create);
	if (rc == LA_OK)
		rc = open_file(st, path, create);
	if (rc != LA_OK)
		return rc;
	/* NOMUTEX: a handle is used by one thread at a time (luciaauth.h). */
	r = sqlite3_open_v2(path, &st->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL);
	if (r != SQLITE_OK)
		return store_db_fail(st, r, "cannot open the master database");
	rc = configure_db(st);
	if (rc == LA_OK)
		rc = store_schema_apply(st);
	/* Only once the file is known to be ours: WAL mode is persistent and
	 * would change a foreign database that we refuse. */
	if (rc == LA_OK)
		rc = exec_sql(st, "PRAGMA journal_mode=WAL");
	if (rc == LA_OK && create)
		rc = la_snapshot_publish(st);
	return rc;
}

void la_store_close(struct la_store *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < LA_STMT_CACHE; i++)
		sqlite3_finalize(st->stmts[i].stmt);
	/* The last connection to close checkpoints the WAL, and that waits
	 * for the disk (fdatasync).  A handle that changed nothing, or only
	 * the lockout slots of a sign-in (la_auth.c), which a crash may lose,
	 * leaves that to the next handle that writes something that must
	 * last, or to the automatic checkpoint: a successful sign-in costs no
	 * disk wait (0.8 ms of pam_authenticate here).  Every other write
	 * still ends checkpointed at close. */
	if (st->db && sqlite3_total_changes64(st->db) == st->scratch_changes)
		sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
	sqlite3_close(st->db);
	sodium_memzero(st, sizeof(*st));
	free(st);
}

const struct la_config *la_store_config(const struct la_store *st)
{
	return &st->cfg;
}

void la_store_set_clock(struct la_store *st, la_clock_fn fn, void *ctx)
{
	st->clock = fn;
	st->clock_ctx = ctx;
}

int64_t la_store_now(const struct la_store *st)
{
	struct timespec ts;

	if (st->clock)
		return st->clock(st->clock_ctx);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

sqlite3_stmt *store_stmt(struct la_store *st, const char *sql)
{
	size_t i;
	int r;

	for (i = 0; i < LA_STMT_CACHE && st->stmts[i].sql; i++)
		if (st->stmts[i].sql == sql)
			return st->stmts[i].stmt;
	if (i == LA_STMT_CACHE) {
		store_fail(st, LA_E_INTERNAL, "statement cache full");
		return NULL;
	}
	r = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st->stmts[i].stmt, NULL);
	if (r != SQLITE_OK) {
		store_db_fail(st, r, "prepare");
		sqlite3_finalize(st->stmts[i].stmt);
		st->stmts[i].stmt = NULL;
		return NULL;
	}
	st->stmts[i].sql = sql;
	return st->stmts[i].stmt;
}

void store_stmt_done(sqlite3_stmt *stmt)
{
	if (stmt) {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
	}
}

la_rc store_step_done(struct la_store *st, sqlite3_stmt *stmt, const char *what)
{
	int r = sqlite3_step(stmt);
	la_rc rc = LA_OK;

	if (r != SQLITE_DONE && r != SQLITE_ROW)
		rc = store_db_fail(st, r, what);
	store_stmt_done(stmt);
	return rc;
}

la_rc store_each(struct la_store *st, sqlite3_stmt *s, store_row_fn row, void *ctx,
		 const char *what)
{
	la_rc rc = LA_OK;
	int r;

	while ((r = sqlite3_step(s)) == SQLITE_ROW)
		if (row(s, ctx))
			break;
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = store_db_fail(st, r, what);
	store_stmt_done(s);
	return rc;
}

la_rc store_exists(struct la_store *st, const char *sql, const char *arg, int64_t iarg,
		   bool *found)
{
	sqlite3_stmt *s = store_stmt(st, sql);
	int r;

	if (!s)
		return LA_E_DB;
	if (arg)
		store_bind_text(s, 1, arg, false);
	else
		sqlite3_bind_int64(s, 1, iarg);
	r = sqlite3_step(s);
	store_stmt_done(s);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return store_db_fail(st, r, "lookup");
	*found = r == SQLITE_ROW;
	return LA_OK;
}

static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";

la_rc store_begin(struct la_store *st)
{
	sqlite3_stmt *s = store_stmt(st, SQL_BEGIN);

	return s ? store_step_done(st, s, "begin transaction") : LA_E_DB;
}

void store_public_changed(struct la_store *st)
{
	st->public_dirty = true;
}

la_rc store_commit(struct la_store *st)
{
	sqlite3_stmt *s = store_stmt(st, SQL_COMMIT);
	la_rc rc = s ? store_step_done(st, s, "commit") : LA_E_DB;

	if (rc != LA_OK) {
		store_rollback(st);
		return rc;
	}
	if (st->public_dirty) {
		st->public_dirty = false;
		rc = la_snapshot_publish(st);
		if (rc != LA_OK) {
			char detail[sizeof(st->errmsg)];

			snprintf(detail, sizeof(detail), "%s", st->errmsg);
			store_fail(st, rc, "saved, but the NSS snapshot was not published: %s",
				   detail);
		}
	}
	return rc;
}

void store_rollback(struct la_store *st)
{
	sqlite3_stmt *s;

	st->public_dirty = false;
	if (sqlite3_get_autocommit(st->db))
		return;
	s = store_stmt(st, SQL_ROLLBACK);
	if (s) {
		sqlite3_step(s);
		store_stmt_done(s);
	}
}

int store_bind_text(sqlite3_stmt *stmt, int idx, const char *s, bool null_empty)
{
	if (!s || (null_empty && !*s))
		return sqlite3_bind_null(stmt, idx);
	return sqlite3_bind_text(stmt, idx, s, -1, SQLITE_STATIC);
}

void store_col_text(sqlite3_stmt *stmt, int col, char *dst, size_t dstlen)
{
	const unsigned char *t = sqlite3_column_text(stmt, col);
	size_t n = t ? (size_t)sqlite3_column_bytes(stmt, col) : 0;

	if (n >= dstlen)
		n = dstlen - 1;
	if (n)
		memcpy(dst, t, n);
	dst[n] = '\0';
}

void store_random_string(char *out, size_t n, const char *alphabet)
{
	uint32_t len = (uint32_t)strlen(alphabet);

	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[randombytes_uniform(len)];
	out[n] = '\0';
}

la_rc la_store_check(struct la_store *st)
{
	sqlite3_stmt *s = NULL;
	la_rc rc = LA_OK;
	int r;

	r = sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s, NULL);
	if (r != SQLITE_OK)
		return store_db_fail(st, r, "integrity check");
	r = sqlite3_step(s);
	if (r != SQLITE_ROW)
		rc = store_db_fail(st, r, "integrity check");
	else if (strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0)
		rc = store_fail(st, LA_E_CORRUPT, "integrity check: %s", sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	if (rc != LA_OK)
		return rc;
	r = sqlite3_prepare_v2(st->db, "PRAGMA foreign_key_check", -1, &s, NULL);
	if (r != SQLITE_OK)
		return store_db_fail(st, r, "foreign key check");
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		rc = store_fail(st, LA_E_CORRUPT, "foreign key check: dangling row in %s",
				sqlite3_column_text(s, 0));
	else if (r != SQLITE_DONE)
		rc = store_db_fail(st, r, "foreign key check");
	sqlite3_finalize(s);
	return rc;
}

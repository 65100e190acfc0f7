/*
 * la_backup.c - online backup and restore of the master database.
 *
 * MUST:
 *  1. A backup holds every password hash and session secret: it is created
 *     0600 (mkostemp, O_EXCL) whatever the umask, and appears at its name
 *     only when complete and fsynced -- link(2), which never replaces an
 *     existing file, or rename(2) with force.
 *  2. It is consistent while others write: sqlite3_backup_step(-1) copies
 *     every page inside one read transaction of the source (WAL readers do
 *     not block writers).
 *  3. Restore judges the file before touching anything: integrity_check,
 *     foreign_key_check, our tables and a schema version this program
 *     knows.  Then one backup into the live database: a single write
 *     transaction through the WAL, so PAM and NSS readers see the old or
 *     the new store, never a mix, and a crash leaves the old one.  The
 *     live file is never renamed away under readers that hold it open.
 *  4. The snapshot is published after a restore: NSS must match.
 *  5. A live database that cannot be opened at all (missing, or corrupt
 *     beyond opening) is replaced as a file instead: the verified copy is
 *     written to a 0600 temporary file in the state directory, fsynced,
 *     the stale -wal/-shm removed (a WAL of the old file must never be
 *     replayed onto the new one), then renamed into place.  Readers of a
 *     database that cannot be opened have nothing to lose.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "la_int.h"

/* Copy all of src into dst, waiting for locks up to the busy timeout. */
static la_rc copy_db(struct la_store *st, sqlite3 *dst, sqlite3 *src, const char *what)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	unsigned waited = 0;
	int r;

	if (!b)
		return store_db_fail(st, sqlite3_errcode(dst), what);
	for (;;) {
		r = sqlite3_backup_step(b, -1);
		if ((r != SQLITE_BUSY && r != SQLITE_LOCKED) || waited >= st->cfg.busy_timeout_ms)
			break;
		sqlite3_sleep(20);
		waited += 20;
	}
	sqlite3_backup_finish(b);
	if (r != SQLITE_DONE)
		return store_fail(st, (r & 0xff) == SQLITE_BUSY   ? LA_E_BUSY
				      : (r & 0xff) == SQLITE_READONLY ? LA_E_IO
								      : LA_E_DB,
				  "%s: %s", what, sqlite3_errstr(r));
	return LA_OK;
}

static la_rc exec_on(struct la_store *st, sqlite3 *db, const char *sql, const char *what)
{
	int r = sqlite3_exec(db, sql, NULL, NULL, NULL);

	return r == SQLITE_OK ? LA_OK : store_fail(st, LA_E_IO, "%s: %s", what, sqlite3_errmsg(db));
}

static la_rc one_row(struct la_store *st, sqlite3 *db, const char *sql, const char *what,
		     char *out, size_t len);

/* Write the copy into the already created, empty temporary file tmp. */
static la_rc backup_into(struct la_store *st, const char *tmp)
{
	sqlite3 *dst = NULL;
	char v[256] = "";
	la_rc rc;
	int r = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);

	if (r != SQLITE_OK) {
		rc = store_fail(st, LA_E_IO, "cannot open %s: %s", tmp, sqlite3_errstr(r));
		goto out;
	}
	rc = copy_db(st, dst, st->db, "backup");
	/* The copy keeps the source's WAL flag; one self-contained file is
	 * what one expects to carry around (and no -wal to forget). */
	if (rc == LA_OK)
		rc = exec_on(st, dst, "PRAGMA journal_mode=DELETE", "backup");
	/* A backup nobody can restore is worse than none: check the copy. */
	if (rc == LA_OK)
		rc = one_row(st, dst, "PRAGMA quick_check", "backup check", v, sizeof(v));
	if (rc == LA_OK && strcmp(v, "ok") != 0)
		rc = store_fail(st, LA_E_CORRUPT, "the copy fails quick_check: %s", v);
out:
	if (dst && sqlite3_close(dst) != SQLITE_OK && rc == LA_OK)
		rc = store_fail(st, LA_E_IO, "cannot close %s", tmp);
	return rc;
}

static la_rc fsync_dir_of(struct la_store *st, const char *path)
{
	char copy[LA_PATH_MAX];
	int fd;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		if (fd >= 0)
			close(fd);
		return store_fail(st, LA_E_IO, "cannot sync the directory of %s: %s", path,
				  strerror(errno));
	}
	close(fd);
	return LA_OK;
}

la_rc la_store_backup(struct la_store *st, const char *path, bool force)
{
	char tmp[LA_PATH_MAX + 16], dir[LA_PATH_MAX];
	la_rc rc = LA_OK;
	int fd = -1;

	store_clear_error(st);
	if (!path || !*path || strlen(path) >= LA_PATH_MAX)
		return store_fail(st, LA_E_INVAL, "invalid backup file name");
	if (!force && access(path, F_OK) == 0)
		return store_fail(st, LA_E_EXISTS, "%s exists (use --force to replace it)", path);
	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(tmp, sizeof(tmp), "%s/.luciaauth-backup.XXXXXX", dirname(dir));
	fd = mkostemp(tmp, O_CLOEXEC); /* O_EXCL, mode 0600 (MUST 1) */
	if (fd < 0)
		return store_fail(st, errno == EACCES ? LA_E_PERM : LA_E_IO, "cannot create %s: %s",
				  tmp, strerror(errno));
	if (fchmod(fd, 0600) != 0) {
		rc = store_fail(st, LA_E_IO, "cannot chmod %s: %s", tmp, strerror(errno));
		goto fail;
	}
	rc = backup_into(st, tmp);
	if (rc == LA_OK && fsync(fd) != 0)
		rc = store_fail(st, LA_E_IO, "cannot write %s: %s", tmp, strerror(errno));
	if (rc != LA_OK)
		goto fail;
	if (force ? rename(tmp, path) != 0 : link(tmp, path) != 0) {
		rc = store_fail(st, errno == EEXIST ? LA_E_EXISTS : LA_E_IO, "cannot create %s: %s",
				path, strerror(errno));
		goto fail;
	}
	if (!force)
		unlink(tmp);
	close(fd);
	return fsync_dir_of(st, path);
fail:
	close(fd);
	unlink(tmp);
	return rc;
}

/* ---- restore -------------------------------------------------------- */

static la_rc one_row(struct la_store *st, sqlite3 *db, const char *sql, const char *what,
		     char *out, size_t len)
{
	sqlite3_stmt *s = NULL;
	int r = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	la_rc rc = LA_OK;

	if (r == SQLITE_OK)
		r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		snprintf(out, len, "%s", sqlite3_column_text(s, 0) ? (const char *)
			 sqlite3_column_text(s, 0) : "");
	else if (r == SQLITE_DONE)
		out[0] = '\0';
	else
		rc = store_fail(st, LA_E_CORRUPT, "%s: %s", what, sqlite3_errmsg(db));
	sqlite3_finalize(s);
	return rc;
}

/* MUST 3: is the database db a sound luciaauth store we can read? */
static la_rc judge(struct la_store *st, sqlite3 *db, const char *path)
{
	char v[256];
	la_rc rc = one_row(st, db, "PRAGMA integrity_check", "integrity check", v, sizeof(v));
	long version;

	if (rc == LA_OK && strcmp(v, "ok") != 0)
		return store_fail(st, LA_E_CORRUPT, "%s: integrity check: %s", path, v);
	if (rc == LA_OK)
		rc = one_row(st, db, "PRAGMA foreign_key_check", "foreign key check", v, sizeof(v));
	if (rc == LA_OK && v[0])
		return store_fail(st, LA_E_CORRUPT, "%s: foreign key check: dangling row in %s",
				  path, v);
	if (rc == LA_OK)
		rc = one_row(st, db,
			     "SELECT count(*) FROM sqlite_schema WHERE type='table' AND name IN "
			     "('schema_version','users','groups','group_members','auth_keys',"
			     "'sessions')",
			     "schema", v, sizeof(v));
	if (rc == LA_OK && strcmp(v, "6") != 0)
		return store_fail(st, LA_E_CORRUPT, "%s is not a luciaauth database", path);
	if (rc == LA_OK)
		rc = one_row(st, db, "SELECT max(version) FROM schema_version", "schema", v,
			     sizeof(v));
	if (rc != LA_OK)
		return rc;
	version = strtol(v, NULL, 10);
	if (version < 1)
		return store_fail(st, LA_E_CORRUPT, "%s has no schema version", path);
	if (version > LA_SCHEMA_VERSION)
		return store_fail(st, LA_E_SCHEMA,
				  "%s has schema version %ld, newer than this program (%d)", path,
				  version, LA_SCHEMA_VERSION);
	return LA_OK;
}

static la_rc open_backup(struct la_store *st, const char *path, sqlite3 **db)
{
	struct stat sb;
	int r;

	if (lstat(path, &sb) != 0)
		return store_fail(st, errno == ENOENT ? LA_E_NOTFOUND : LA_E_IO, "cannot read %s: %s",
				  path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return store_fail(st, LA_E_INVAL, "%s is not a regular file", path);
	r = sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL);
	if (r != SQLITE_OK)
		return store_fail(st, LA_E_CORRUPT, "cannot open %s: %s", path,
				  *db ? sqlite3_errmsg(*db) : sqlite3_errstr(r));
	sqlite3_busy_timeout(*db, (int)st->cfg.busy_timeout_ms);
	return LA_OK;
}

la_rc la_store_restore(struct la_store *st, const char *path)
{
	sqlite3 *src = NULL;
	la_rc rc;

	store_clear_error(st);
	if (!path || !*path)
		return store_fail(st, LA_E_INVAL, "invalid backup file name");
	rc = open_backup(st, path, &src);
	if (rc == LA_OK)
		rc = judge(st, src, path);
	/* The live handle must be idle: cached statements are reset between
	 * uses, and no transaction is open here. */
	if (rc == LA_OK && !sqlite3_get_autocommit(st->db))
		rc = store_fail(st, LA_E_INTERNAL, "restore inside a transaction");
	if (rc == LA_OK)
		rc = copy_db(st, st->db, src, "restore");
	sqlite3_close(src);
	if (rc != LA_OK)
		return rc;
	/* An older schema is brought up to date; then NSS must follow. */
	rc = store_schema_apply(st);
	if (rc == LA_OK)
		rc = la_store_check(st);
	if (rc == LA_OK)
		rc = la_snapshot_publish(st);
	return rc;
}

/* ---- restore when the live database cannot be opened (MUST 5) -------- */

static la_rc replace_file(struct la_store *st, sqlite3 *src)
{
	char tmp[LA_PATH_MAX + 32], db[LA_PATH_MAX + 32], side[LA_PATH_MAX + 40];
	const char *dir = st->cfg.dir;
	sqlite3 *dst = NULL;
	la_rc rc = LA_OK;
	int fd, r;

	if (mkdir(dir, 0711) == 0 && chmod(dir, 0711) != 0)
		return store_fail(st, LA_E_IO, "cannot chmod %s: %s", dir, strerror(errno));
	snprintf(db, sizeof(db), "%s/%s", dir, LA_DB_NAME);
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, LA_DB_NAME);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return store_fail(st, errno == EACCES ? LA_E_PERM : LA_E_IO, "cannot create %s: %s",
				  tmp, strerror(errno));
	if (fchmod(fd, 0600) != 0)
		rc = store_fail(st, LA_E_IO, "cannot chmod %s: %s", tmp, strerror(errno));
	r = rc == LA_OK ? sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW,
					  NULL)
			: SQLITE_OK;
	if (rc == LA_OK && r != SQLITE_OK)
		rc = store_fail(st, LA_E_IO, "cannot open %s: %s", tmp, sqlite3_errstr(r));
	if (rc == LA_OK)
		rc = copy_db(st, dst, src, "restore");
	if (rc == LA_OK)
		rc = exec_on(st, dst, "PRAGMA journal_mode=DELETE", "restore");
	if (dst && sqlite3_close(dst) != SQLITE_OK && rc == LA_OK)
		rc = store_fail(st, LA_E_IO, "cannot close %s", tmp);
	if (rc == LA_OK && fsync(fd) != 0)
		rc = store_fail(st, LA_E_IO, "cannot write %s: %s", tmp, strerror(errno));
	close(fd);
	for (const char *sfx = "-wal"; rc == LA_OK && sfx; sfx = sfx[1] == 'w' ? "-shm" : NULL) {
		snprintf(side, sizeof(side), "%s%s", db, sfx);
		if (unlink(side) != 0 && errno != ENOENT)
			rc = store_fail(st, LA_E_IO, "cannot remove %s: %s", side, strerror(errno));
	}
	if (rc == LA_OK && rename(tmp, db) != 0)
		rc = store_fail(st, LA_E_IO, "cannot replace %s: %s", db, strerror(errno));
	if (rc != LA_OK) {
		unlink(tmp);
		return rc;
	}
	return fsync_dir_of(st, db);
}

la_rc la_store_restore_cfg(const struct la_config *cfg, const char *path, struct la_store **out)
{
	struct la_store *bare = NULL;
	sqlite3 *src = NULL;
	la_rc rc = la_store_open(cfg, 0, out);

	if (rc == LA_OK)
		return la_store_restore(*out, path);
	if (rc != LA_E_CORRUPT && rc != LA_E_NOSTORE)
		return rc;
	/* The live database is gone or unreadable: judge the backup first. */
	la_store_close(*out);
	*out = bare = calloc(1, sizeof(*bare));
	if (!bare)
		return LA_E_NOMEM;
	bare->cfg = *cfg;
	rc = open_backup(bare, path, &src);
	if (rc == LA_OK)
		rc = judge(bare, src, path);
	if (rc == LA_OK)
		rc = replace_file(bare, src);
	sqlite3_close(src);
	if (rc != LA_OK)
		return rc;
	la_store_close(bare);
	rc = la_store_open(cfg, 0, out);
	if (rc == LA_OK)
		rc = la_store_check(*out);
	if (rc == LA_OK)
		rc = la_snapshot_publish(*out);
	return rc;
}

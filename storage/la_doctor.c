/*
 * la_doctor.c - "luciaauth doctor": is this installation healthy?
 *
 * Every check reports one struct la_doctor_item: what was found and, when
 * something is wrong, one line saying how to fix it.  The caller prints.
 *
 * MUST:
 *  1. The doctor changes nothing: the master database is opened read-only
 *     (no migration, no WAL checkpoint by us), files are only stat'ed and
 *     read, and nothing is published.
 *  2. Files are opened O_NOFOLLOW|O_CLOEXEC and judged on the descriptor,
 *     with the same owner/mode rules as la_store_open (la_db.c), so the
 *     doctor never calls "fine" what the library would refuse.
 *  3. Store problems (LA_DOCTOR_FAIL, store = true) are told apart from
 *     system configuration hints (nsswitch, PAM, helper): luciaauth(8)
 *     gives them different exit statuses.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "la_int.h"
#include "la_snapshot.h"

struct doc {
	const struct la_config *cfg;
	la_doctor_cb cb;
	void *ctx;
	la_rc first;  /* first store failure, LA_OK when none */
	bool stopped; /* the callback asked to stop */
	bool db_unsafe; /* dir, database, -wal or -shm refused: do not open */
};

static void LA_PRINTF(5, 6) emit(struct doc *d, const char *check, enum la_doctor_level level,
				 const char *fix, const char *fmt, ...)
{
	struct la_doctor_item it;
	va_list ap;

	if (d->stopped)
		return;
	memset(&it, 0, sizeof(it));
	it.check = check;
	it.level = level;
	va_start(ap, fmt);
	vsnprintf(it.what, sizeof(it.what), fmt, ap);
	va_end(ap);
	/* One line per finding: quick_check reports span lines. */
	for (char *p = it.what; (p = strchr(p, '\n')); )
		*p = ' ';
	snprintf(it.fix, sizeof(it.fix), "%s", fix ? fix : "");
	if (d->cb(&it, d->ctx) != 0)
		d->stopped = true;
}

/* A store problem: remembered for the return value. */
static void LA_PRINTF(5, 6) store_bad(struct doc *d, const char *check, la_rc rc,
				      const char *fix, const char *fmt, ...)
{
	char what[sizeof(((struct la_doctor_item *)0)->what)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (d->first == LA_OK)
		d->first = rc;
	if (rc == LA_E_PERM && strcmp(check, "snapshot") != 0 && strcmp(check, "config") != 0)
		d->db_unsafe = true;
	emit(d, check, LA_DOCTOR_FAIL, fix, "%s", what);
}

/* ---- files ---------------------------------------------------------- */

enum want { W_DIR, W_SECRET, W_PUBLIC, W_CONFIG };

/* Owner and mode of path against the rules of la_db.c / SPEC 2.  Returns
 * false when the file is missing (not reported: the caller decides). */
static bool check_file(struct doc *d, const char *check, const char *path, enum want w)
{
	int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (w == W_DIR ? O_DIRECTORY : O_NONBLOCK);
	int fd = open(path, flags);
	char fix[2 * LA_PATH_MAX + 128];
	struct stat sb;
	unsigned mode;

	if (fd < 0 && errno == ENOENT)
		return false;
	if (fd < 0 && errno == ELOOP) {
		snprintf(fix, sizeof(fix), "replace the link %s by the file itself", path);
		store_bad(d, check, LA_E_PERM, fix, "%s is a symbolic link", path);
		return true;
	}
	if (fd < 0 || fstat(fd, &sb) != 0) {
		store_bad(d, check, errno == EACCES ? LA_E_PERM : LA_E_IO, "run the doctor as root",
			  "cannot open %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return true;
	}
	close(fd);
	mode = (unsigned)(sb.st_mode & 07777);
	if (w == W_DIR ? !S_ISDIR(sb.st_mode) : !S_ISREG(sb.st_mode)) {
		store_bad(d, check, LA_E_PERM, "move it away and run 'luciaauth init'",
			  "%s is not a %s", path, w == W_DIR ? "directory" : "regular file");
	} else if (sb.st_uid != 0 && sb.st_uid != geteuid()) {
		snprintf(fix, sizeof(fix), "chown root: %s", path);
		store_bad(d, check, LA_E_PERM, fix, "%s is owned by uid %u, not by root", path,
			  (unsigned)sb.st_uid);
	} else if (mode & (S_IWGRP | S_IWOTH)) {
		snprintf(fix, sizeof(fix), "chmod go-w %s", path);
		store_bad(d, check, LA_E_PERM, fix, "%s is writable by group or others (mode %04o)",
			  path, mode);
	} else if (w == W_SECRET && (mode & S_IROTH)) {
		snprintf(fix, sizeof(fix), "chmod 0600 %s", path);
		store_bad(d, check, LA_E_PERM, fix, "%s is readable by others (mode %04o)", path,
			  mode);
	} else if (w == W_PUBLIC && (mode & 0444) != 0444) {
		snprintf(fix, sizeof(fix), "chmod 0644 %s", path);
		store_bad(d, check, LA_E_PERM, fix,
			  "%s is not readable by everyone (mode %04o): NSS fails for users", path,
			  mode);
	} else if (w == W_DIR && !(mode & S_IXOTH)) {
		snprintf(fix, sizeof(fix), "chmod 0711 %s", path);
		store_bad(d, check, LA_E_PERM, fix,
			  "%s cannot be traversed by others (mode %04o): NSS cannot reach the "
			  "snapshot",
			  path, mode);
	} else {
		emit(d, check, LA_DOCTOR_OK, NULL, "%s: owner uid %u, mode %04o", path,
		     (unsigned)sb.st_uid, mode);
	}
	return true;
}

static void check_leftovers(struct doc *d);

static void check_files(struct doc *d, const char *config)
{
	const char *dir = d->cfg->dir;
	char path[LA_PATH_MAX + 32], fix[2 * LA_PATH_MAX + 128];
	static const char *const sfx[] = { "-wal", "-shm" };

	if (config && !check_file(d, "config", config, W_CONFIG))
		emit(d, "config", LA_DOCTOR_OK, NULL, "%s does not exist: defaults are used",
		     config);
	if (!check_file(d, "dir", dir, W_DIR)) {
		snprintf(fix, sizeof(fix), "luciaauth --dir %s init", dir);
		store_bad(d, "dir", LA_E_NOSTORE, fix, "state directory %s does not exist", dir);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, LA_DB_NAME);
	if (!check_file(d, "db", path, W_SECRET)) {
		snprintf(fix, sizeof(fix), "restore a backup (luciaauth restore FILE) or "
					   "luciaauth --dir %s init", dir);
		store_bad(d, "db", LA_E_NOSTORE, fix, "master database %s does not exist", path);
	}
	/* SQLite gives -wal and -shm the database's mode; a hand-made one
	 * could still leak hashes (the WAL holds recent pages). */
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s%s", dir, LA_DB_NAME, sfx[i]);
		check_file(d, sfx[i] + 1, path, W_SECRET);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, LA_SNAP_NAME);
	if (!check_file(d, "snapshot", path, W_PUBLIC))
		store_bad(d, "snapshot", LA_E_NOSTORE, "luciaauth publish",
			  "NSS snapshot %s does not exist: NSS answers UNAVAIL", path);
	check_leftovers(d);
}

/* Temporary files of a publish or restore that was killed half-way: the
 * live files are intact (they are only ever renamed into place), but the
 * leftovers take space and, for the database, hold secrets. */
static void check_leftovers(struct doc *d)
{
	DIR *dir = opendir(d->cfg->dir);
	struct dirent *e;
	unsigned n = 0;
	char fix[2 * LA_PATH_MAX + 128];

	if (!dir)
		return;
	while ((e = readdir(dir)))
		if (strncmp(e->d_name, "." LA_SNAP_NAME ".", sizeof(LA_SNAP_NAME) + 1) == 0 ||
		    strncmp(e->d_name, "." LA_DB_NAME ".", sizeof(LA_DB_NAME) + 1) == 0)
			n++;
	closedir(dir);
	snprintf(fix, sizeof(fix), "rm -f %s/." LA_SNAP_NAME ".* %s/." LA_DB_NAME ".*",
		 d->cfg->dir, d->cfg->dir);
	if (n)
		emit(d, "leftover", LA_DOCTOR_WARN, fix,
		     "%u temporary file(s) of an interrupted publish or restore in %s", n,
		     d->cfg->dir);
}

/* ---- the database --------------------------------------------------- */

/* One integer from a one-row query; false (and a failure item) otherwise. */
static bool query_int(struct doc *d, sqlite3 *db, const char *sql, const char *check,
		      int64_t *out)
{
	sqlite3_stmt *s = NULL;
	int r = sqlite3_prepare_v2(db, sql, -1, &s, NULL);

	if (r == SQLITE_OK)
		r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else
		store_bad(d, check, (r & 0xff) == SQLITE_BUSY ? LA_E_BUSY : LA_E_CORRUPT,
			  "restore a backup: luciaauth restore FILE", "%s: %s", check,
			  sqlite3_errmsg(db));
	sqlite3_finalize(s);
	return r == SQLITE_ROW;
}

static bool check_schema(struct doc *d, sqlite3 *db)
{
	int64_t n = 0, v = 0;
	sqlite3_stmt *s = NULL;
	int r;

	if (!query_int(d, db, "SELECT count(*) FROM sqlite_schema WHERE name='schema_version'",
		       "schema", &n))
		return false;
	if (n > 0 && !query_int(d, db, "SELECT max(version) FROM schema_version", "schema", &v))
		return false;
	if (v <= 0) {
		store_bad(d, "schema", LA_E_CORRUPT, "restore a backup: luciaauth restore FILE",
			  "the master database is not a luciaauth database");
		return false;
	}
	if (v > LA_SCHEMA_VERSION) {
		store_bad(d, "schema", LA_E_SCHEMA, "install a newer luciaauth",
			  "schema version %lld is newer than this program (%d)", (long long)v,
			  LA_SCHEMA_VERSION);
		return false;
	}
	emit(d, "schema", v == LA_SCHEMA_VERSION ? LA_DOCTOR_OK : LA_DOCTOR_WARN,
	     v == LA_SCHEMA_VERSION ? NULL : "any write (e.g. luciaauth publish) migrates it",
	     "schema version %lld (this program: %d)", (long long)v, LA_SCHEMA_VERSION);
	r = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &s, NULL);
	if (r == SQLITE_OK)
		r = sqlite3_step(s);
	if (r == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(s, 0), "ok") == 0)
		emit(d, "integrity", LA_DOCTOR_OK, NULL, "quick_check: ok");
	else
		store_bad(d, "integrity", r == SQLITE_ROW ? LA_E_CORRUPT : LA_E_DB,
			  "restore a backup: luciaauth restore FILE", "quick_check: %s",
			  r == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0)
					  : sqlite3_errmsg(db));
	sqlite3_finalize(s);
	return r == SQLITE_ROW;
}

/* The published file's header, checked against its size and checksum. */
static bool read_snapshot(struct doc *d, struct la_snap_header *h)
{
	char path[LA_PATH_MAX + 32];
	struct stat sb;
	unsigned char *buf = NULL;
	bool ok = false;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", d->cfg->dir, LA_SNAP_NAME);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0 || sb.st_size < (off_t)sizeof(*h) ||
	    sb.st_size > (off_t)UINT32_MAX)
		goto out;
	buf = malloc((size_t)sb.st_size);
	if (!buf || read(fd, buf, (size_t)sb.st_size) != (ssize_t)sb.st_size)
		goto out;
	memcpy(h, buf, sizeof(*h));
	ok = memcmp(h->magic, LA_SNAP_MAGIC, sizeof(h->magic)) == 0 &&
	     h->version == LA_SNAP_VERSION && h->file_size == (uint64_t)sb.st_size &&
	     h->header_size >= sizeof(*h) && h->header_size <= h->file_size &&
	     la_snap_fnv1a(LA_SNAP_FNV_INIT, buf + h->header_size,
			   (size_t)(h->file_size - h->header_size)) == h->checksum;
	if (!ok)
		store_bad(d, "snapshot", LA_E_CORRUPT, "luciaauth publish",
			  "%s is damaged (bad header, size or checksum)", path);
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Is the published snapshot what the master would publish now?  The body
 * checksum covers every user, group and member; published_ms is outside
 * it. */
static void check_fresh(struct doc *d, struct la_store *st)
{
	struct la_snap_header have, want;
	la_rc rc;

	if (!read_snapshot(d, &have))
		return;
	rc = store_snapshot_expect(st, &want);
	if (rc != LA_OK) {
		store_bad(d, "freshness", rc, "see the message above",
			  "cannot build the expected snapshot: %s", la_store_errmsg(st));
		return;
	}
	if (have.checksum != want.checksum || have.file_size != want.file_size ||
	    have.uid_min != want.uid_min || have.uid_max != want.uid_max)
		store_bad(d, "freshness", LA_E_CORRUPT, "luciaauth publish",
			  "the NSS snapshot is stale: it has %u users and %u groups, the "
			  "master would publish %u users and %u groups",
			  have.n_users, have.n_groups, want.n_users, want.n_groups);
	else
		emit(d, "freshness", LA_DOCTOR_OK, NULL,
		     "the NSS snapshot is current (%u users, %u groups)", have.n_users,
		     have.n_groups);
}

static void check_db(struct doc *d)
{
	char path[LA_PATH_MAX + 32];
	struct la_store *st = calloc(1, sizeof(*st));
	int r;

	if (!st) {
		store_bad(d, "db", LA_E_NOMEM, "", "out of memory");
		return;
	}
	st->cfg = *d->cfg;
	snprintf(path, sizeof(path), "%s/%s", d->cfg->dir, LA_DB_NAME);
	/* MUST 1: read-only; the files were judged above (MUST 2). */
	r = sqlite3_open_v2(path, &st->db,
			    SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX, NULL);
	if (r != SQLITE_OK) {
		store_bad(d, "db", LA_E_NOSTORE, "run the doctor as root",
			  "cannot open %s: %s", path, st->db ? sqlite3_errmsg(st->db) : "");
		goto out;
	}
	sqlite3_busy_timeout(st->db, (int)d->cfg->busy_timeout_ms);
	if (check_schema(d, st->db))
		check_fresh(d, st);
out:
	la_store_close(st);
}

/* ---- system configuration (hints, not store failures) --------------- */

/* The sources of the "db:" line of an nsswitch.conf, space-separated into
 * out ("" when the line is missing).  Actions ([...]) are dropped. */
static bool nss_sources(FILE *f, const char *db, char *out, size_t len)
{
	char line[1024];
	size_t n = strlen(db);
	bool found = false;

	out[0] = '\0';
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t"), *tok, *save = NULL;

		if (strncmp(p, db, n) != 0 || p[n] != ':')
			continue;
		found = true;
		out[0] = '\0';
		for (tok = strtok_r(p + n + 1, " \t\n", &save); tok && *tok != '#';
		     tok = strtok_r(NULL, " \t\n", &save))
			if (*tok != '[' && strlen(out) + strlen(tok) + 2 < len)
				strcat(strcat(out, " "), tok);
	}
	return found;
}

static void check_nsswitch(struct doc *d, const char *path)
{
	static const char *const dbs[] = { "passwd", "group", "shadow" };
	char src[1024], fix[256];
	FILE *f = fopen(path, "re");

	if (!f) {
		emit(d, "nsswitch", LA_DOCTOR_WARN, "create it (see nss_luciaauth(8))",
		     "cannot read %s: %s", path, strerror(errno));
		return;
	}
	for (size_t i = 0; i < 3; i++) {
		const char *me, *files;

		nss_sources(f, dbs[i], src, sizeof(src));
		me = strstr(src, " luciaauth");
		files = strstr(src, " files");
		if (!files)
			files = strstr(src, " compat");
		snprintf(fix, sizeof(fix), "put 'luciaauth' after 'files' on the %s: line of %s",
			 dbs[i], path);
		if (!me)
			emit(d, "nsswitch", LA_DOCTOR_WARN, fix, "%s: the %s: line does not use "
			     "luciaauth", path, dbs[i]);
		else if (!files || files > me)
			emit(d, "nsswitch", LA_DOCTOR_WARN, fix, "%s: on the %s: line luciaauth "
			     "comes before files: local accounts must win", path, dbs[i]);
		else
			emit(d, "nsswitch", LA_DOCTOR_OK, NULL, "%s:%s", dbs[i], src);
	}
	fclose(f);
}

/* Does a non-comment line of path name pam_luciaauth.so? */
static bool pam_file_uses(const char *path)
{
	char line[1024];
	bool found = false;
	FILE *f = fopen(path, "re");

	while (f && !found && fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " \t");

		found = *p != '#' && strstr(p, "pam_luciaauth.so") != NULL;
	}
	if (f)
		fclose(f);
	return found;
}

static void check_pam(struct doc *d, const char *dir)
{
	static const char *const stacks[] = { "common-auth", "common-account", "common-password",
					      "common-session" };
	char path[LA_PATH_MAX + 32], missing[128] = "";

	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, stacks[i]);
		if (!pam_file_uses(path))
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
				 " %s", stacks[i]);
	}
	if (missing[0])
		emit(d, "pam", LA_DOCTOR_WARN, "pam-auth-update --enable luciaauth",
		     "pam_luciaauth.so is not in%s of %s", missing, dir);
	else
		emit(d, "pam", LA_DOCTOR_OK, NULL, "pam_luciaauth.so is in the common-* stacks of %s",
		     dir);
}

/* The helper is optional; when present it must be root's, setuid, and
 * writable by nobody else (a writable setuid binary is a root shell). */
static void check_chkpwd(struct doc *d, const char *path)
{
	char fix[2 * LA_PATH_MAX + 128];
	struct stat sb;

	if (lstat(path, &sb) != 0) {
		emit(d, "chkpwd", LA_DOCTOR_OK, NULL, "%s is not installed: callers without "
		     "privilege (screen lockers) cannot verify passwords", path);
		return;
	}
	snprintf(fix, sizeof(fix), "chown root: %s && chmod 4755 %s", path, path);
	if (!S_ISREG(sb.st_mode) || sb.st_uid != 0 || (sb.st_mode & (S_IWGRP | S_IWOTH)))
		store_bad(d, "chkpwd", LA_E_PERM, fix, "%s is not a root-owned file that only "
			  "root can write (uid %u, mode %04o)", path, (unsigned)sb.st_uid,
			  (unsigned)(sb.st_mode & 07777));
	else if (!(sb.st_mode & S_ISUID))
		emit(d, "chkpwd", LA_DOCTOR_WARN, fix, "%s is not setuid root (mode %04o): "
		     "screen lockers cannot verify passwords", path, (unsigned)(sb.st_mode & 07777));
	else
		emit(d, "chkpwd", LA_DOCTOR_OK, NULL, "%s: setuid root, mode %04o", path,
		     (unsigned)(sb.st_mode & 07777));
}

/* ---- entry ---------------------------------------------------------- */

la_rc la_doctor(const struct la_config *cfg, const struct la_doctor_paths *p, la_doctor_cb cb,
		void *ctx)
{
	struct doc d = { .cfg = cfg, .cb = cb, .ctx = ctx, .first = LA_OK };
	char path[LA_PATH_MAX + 32];
	struct stat sb;

	check_files(&d, p ? p->config : NULL);
	snprintf(path, sizeof(path), "%s/%s", cfg->dir, LA_DB_NAME);
	/* A database we would refuse is not opened, not even read-only. */
	if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) && !d.db_unsafe)
		check_db(&d);
	check_nsswitch(&d, p && p->nsswitch ? p->nsswitch : "/etc/nsswitch.conf");
	check_pam(&d, p && p->pam_dir ? p->pam_dir : "/etc/pam.d");
	if (p && p->chkpwd)
		check_chkpwd(&d, p->chkpwd);
	return d.first;
}

/*
 * la_schema.c - the master database schema and its migrations.
 *
 * migrations[i] takes a database from version i to version i + 1; a new
 * schema version appends one entry and never edits an old one.  Table and
 * column names follow Lucia v2 (users, auth_keys, sessions with
 * active_expires / idle_expires in milliseconds).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "la_int.h"

static const char *const migrations[LA_SCHEMA_VERSION] = {
	/* 0 -> 1: initial schema */
	"CREATE TABLE schema_version (version INTEGER NOT NULL, applied INTEGER NOT NULL);"
	"CREATE TABLE users ("
	"  id TEXT NOT NULL PRIMARY KEY,"
	"  username TEXT NOT NULL UNIQUE,"
	"  email TEXT UNIQUE COLLATE NOCASE,"
	"  uid INTEGER NOT NULL UNIQUE,"
	"  gid INTEGER NOT NULL,"
	"  gecos TEXT NOT NULL DEFAULT '',"
	"  home TEXT NOT NULL,"
	"  shell TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  locked INTEGER NOT NULL DEFAULT 0,"
	"  expires INTEGER NOT NULL DEFAULT 0,"
	"  password_changed INTEGER NOT NULL DEFAULT 0,"
	"  must_change INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE groups ("
	"  gid INTEGER NOT NULL PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  user_private INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE group_members ("
	"  gid INTEGER NOT NULL REFERENCES groups(gid),"
	"  user_id TEXT NOT NULL REFERENCES users(id),"
	"  PRIMARY KEY (gid, user_id)) WITHOUT ROWID;"
	"CREATE INDEX group_members_user ON group_members(user_id);"
	"CREATE TABLE auth_keys ("
	"  id TEXT NOT NULL PRIMARY KEY,"
	"  user_id TEXT NOT NULL REFERENCES users(id),"
	"  hashed_password TEXT);"
	"CREATE INDEX auth_keys_user ON auth_keys(user_id);"
	/* id: the public session id (12 base32 letters) as a 60-bit integer. */
	"CREATE TABLE sessions ("
	"  id INTEGER PRIMARY KEY,"
	"  user_id TEXT NOT NULL REFERENCES users(id),"
	"  active_expires INTEGER NOT NULL,"
	"  idle_expires INTEGER NOT NULL,"
	"  secret_hash BLOB NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  max_expires INTEGER NOT NULL DEFAULT 0,"
	"  source TEXT NOT NULL DEFAULT 'web',"
	"  tty TEXT,"
	"  rhost TEXT);"
	"CREATE INDEX sessions_user ON sessions(user_id);"
	/* Lockout: one row per failed sign-in inside fail_interval (a sliding
	 * window, as pam_faillock), and the end of the current lock. */
	"CREATE TABLE auth_failures ("
	"  user_id TEXT NOT NULL REFERENCES users(id),"
	"  at INTEGER NOT NULL);"
	"CREATE INDEX auth_failures_user ON auth_failures(user_id, at);"
	"CREATE TABLE lockout ("
	"  user_id TEXT NOT NULL PRIMARY KEY REFERENCES users(id),"
	"  locked_until INTEGER NOT NULL DEFAULT 0);"
	/* Where id allocation goes on, and the ids of deleted users and groups,
	 * which are never handed out again. */
	"CREATE TABLE id_alloc (kind TEXT NOT NULL PRIMARY KEY, next INTEGER NOT NULL);"
	"CREATE TABLE retired_ids (id INTEGER NOT NULL PRIMARY KEY);",
	/* 1 -> 2: sign-ins whose password check is under way (la_auth.c MUST
	 * 6): at most deny - failures of them per user, so that concurrent
	 * wrong passwords cannot all be checked before the lock is set. */
	"CREATE TABLE auth_pending ("
	"  user_id TEXT NOT NULL REFERENCES users(id),"
	"  at INTEGER NOT NULL);"
	"CREATE INDEX auth_pending_user ON auth_pending(user_id, at);",
};

static la_rc read_version(struct la_store *st, int *version)
{
	sqlite3_stmt *s = NULL;
	int r;
	la_rc rc = LA_OK;

	r = sqlite3_prepare_v2(st->db,
			       "SELECT count(*) FROM sqlite_schema WHERE name='schema_version'", -1,
			       &s, NULL);
	if (r != SQLITE_OK)
		return store_db_fail(st, r, "reading the schema");
	r = sqlite3_step(s);
	if (r != SQLITE_ROW) {
		rc = store_db_fail(st, r, "reading the schema");
		goto out;
	}
	if (sqlite3_column_int(s, 0) == 0) {
		*version = 0;
		goto out;
	}
	sqlite3_finalize(s);
	s = NULL;
	r = sqlite3_prepare_v2(st->db, "SELECT max(version) FROM schema_version", -1, &s, NULL);
	if (r == SQLITE_OK)
		r = sqlite3_step(s);
	if (r != SQLITE_ROW) {
		rc = store_db_fail(st, r, "reading the schema version");
		goto out;
	}
	*version = sqlite3_column_int(s, 0);
out:
	sqlite3_finalize(s);
	return rc;
}

static la_rc is_empty(struct la_store *st, bool *empty)
{
	sqlite3_stmt *s = NULL;
	int r = sqlite3_prepare_v2(st->db, "SELECT count(*) FROM sqlite_schema", -1, &s, NULL);
	la_rc rc = LA_OK;

	if (r == SQLITE_OK)
		r = sqlite3_step(s);
	if (r != SQLITE_ROW)
		rc = store_db_fail(st, r, "reading the schema");
	else
		*empty = sqlite3_column_int(s, 0) == 0;
	sqlite3_finalize(s);
	return rc;
}

la_rc store_schema_apply(struct la_store *st)
{
	int version = 0;
	bool empty = false;
	la_rc rc;
	int r;

	/* The common case takes no write lock. */
	rc = read_version(st, &version);
	if (rc != LA_OK || version == LA_SCHEMA_VERSION)
		return rc;
	rc = store_begin(st);
	if (rc != LA_OK)
		return rc;
	rc = read_version(st, &version);
	if (rc == LA_OK && version == 0)
		rc = is_empty(st, &empty);
	if (rc != LA_OK)
		goto fail;
	if (version == 0 && !empty) {
		rc = store_fail(st, LA_E_CORRUPT, "%s/%s is not a luciaauth database", st->cfg.dir,
				LA_DB_NAME);
		goto fail;
	}
	if (version > LA_SCHEMA_VERSION) {
		rc = store_fail(st, LA_E_SCHEMA,
				"database schema version %d is newer than this program (%d)",
				version, LA_SCHEMA_VERSION);
		goto fail;
	}
	for (; version < LA_SCHEMA_VERSION; version++) {
		char sql[96];

		r = sqlite3_exec(st->db, migrations[version], NULL, NULL, NULL);
		if (r != SQLITE_OK) {
			rc = store_db_fail(st, r, "schema migration");
			goto fail;
		}
		snprintf(sql, sizeof(sql),
			 "INSERT INTO schema_version VALUES (%d, %lld)", version + 1,
			 (long long)la_store_now(st));
		r = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
		if (r != SQLITE_OK) {
			rc = store_db_fail(st, r, "schema migration");
			goto fail;
		}
	}
	return store_commit(st);
fail:
	store_rollback(st);
	return rc;
}

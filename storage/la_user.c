/*
 * la_user.c - users: creation with id allocation, lookup, change, deletion.
 *
 * MUST:
 *  1. A name or id that exists in the system account files is never
 *     created here (NSS would shadow or be shadowed by it).
 *  2. Allocated uids stay inside uid_min..uid_max and are never handed out
 *     twice, even after the user is deleted (id_alloc high-water mark).
 *  3. Deleting a user removes sessions, then keys, then the user (Lucia
 *     order), with memberships, lockout row and private group, in one
 *     transaction.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "la_int.h"

#define USER_SELECT                                                                          \
	"SELECT u.id, u.username, u.email, u.uid, u.gid, u.gecos, u.home, u.shell, u.created," \
	" u.expires, u.password_changed, u.locked, u.must_change,"                             \
	" k.hashed_password IS NOT NULL,"                                                      \
	" (SELECT count(*) FROM auth_failures f WHERE f.user_id = u.id),"                      \
	" coalesce(l.locked_until, 0)"                                                         \
	" FROM users u LEFT JOIN auth_keys k ON k.id = 'password:' || u.username"              \
	" LEFT JOIN lockout l ON l.user_id = u.id "

static const char SQL_BY_NAME[] = USER_SELECT "WHERE u.username = ?1";
static const char SQL_BY_ID[] = USER_SELECT "WHERE u.id = ?1";
static const char SQL_BY_EMAIL[] = USER_SELECT "WHERE u.email = ?1";
static const char SQL_BY_UID[] = USER_SELECT "WHERE u.uid = ?1";
static const char SQL_LIST[] = USER_SELECT "ORDER BY u.uid";

static void read_user(sqlite3_stmt *s, struct la_user *u)
{
	memset(u, 0, sizeof(*u));
	store_col_text(s, 0, u->id, sizeof(u->id));
	store_col_text(s, 1, u->username, sizeof(u->username));
	store_col_text(s, 2, u->email, sizeof(u->email));
	u->uid = (uint32_t)sqlite3_column_int64(s, 3);
	u->gid = (uint32_t)sqlite3_column_int64(s, 4);
	store_col_text(s, 5, u->gecos, sizeof(u->gecos));
	store_col_text(s, 6, u->home, sizeof(u->home));
	store_col_text(s, 7, u->shell, sizeof(u->shell));
	u->created_ms = sqlite3_column_int64(s, 8);
	u->expires_ms = sqlite3_column_int64(s, 9);
	u->password_changed_ms = sqlite3_column_int64(s, 10);
	u->locked = sqlite3_column_int(s, 11) != 0;
	u->must_change = sqlite3_column_int(s, 12) != 0;
	u->has_password = sqlite3_column_int(s, 13) != 0;
	u->failures = (unsigned)sqlite3_column_int(s, 14);
	u->locked_until_ms = sqlite3_column_int64(s, 15);
}

la_rc store_user_row(struct la_store *st, const char *sql, const char *arg, int64_t iarg,
		     struct la_user *out)
{
	sqlite3_stmt *s = store_stmt(st, sql);
	la_rc rc = LA_OK;
	int r;

	if (!s)
		return LA_E_DB;
	if (arg)
		store_bind_text(s, 1, arg, false);
	else
		sqlite3_bind_int64(s, 1, iarg);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		read_user(s, out);
	else if (r == SQLITE_DONE)
		rc = store_fail(st, LA_E_NOUSER, "no such user");
	else
		rc = store_db_fail(st, r, "user lookup");
	store_stmt_done(s);
	return rc;
}

la_rc la_user_by_name(struct la_store *st, const char *name, struct la_user *out)
{
	store_clear_error(st);
	if (!la_valid_username(name))
		return store_fail(st, LA_E_NOUSER, "no such user");
	return store_user_row(st, SQL_BY_NAME, name, 0, out);
}

la_rc la_user_by_id(struct la_store *st, const char *id, struct la_user *out)
{
	store_clear_error(st);
	return store_user_row(st, SQL_BY_ID, id, 0, out);
}

la_rc la_user_by_email(struct la_store *st, const char *email, struct la_user *out)
{
	store_clear_error(st);
	if (!email || !*email)
		return store_fail(st, LA_E_NOUSER, "no such user");
	return store_user_row(st, SQL_BY_EMAIL, email, 0, out);
}

la_rc la_user_by_uid(struct la_store *st, uint32_t uid, struct la_user *out)
{
	store_clear_error(st);
	return store_user_row(st, SQL_BY_UID, NULL, uid, out);
}

static const char SQL_ID_USED[] =
	"SELECT 1 FROM users WHERE uid = ?1 UNION ALL SELECT 1 FROM groups WHERE gid = ?1"
	" UNION ALL SELECT 1 FROM retired_ids WHERE id = ?1";
static const char SQL_NAME_USED[] =
	"SELECT 1 FROM users WHERE username = ?1 UNION ALL SELECT 1 FROM groups WHERE name = ?1";
static const char SQL_EMAIL_USED[] = "SELECT 1 FROM users WHERE email = ?1";
static const char SQL_GROUP_GID[] = "SELECT 1 FROM groups WHERE gid = ?1";
static const char SQL_HWM_GET[] = "SELECT next FROM id_alloc WHERE kind = 'id'";
/* After an allocation, go on from there; after an explicit id, from above
 * it if that is higher (as useradd does). */
static const char SQL_HWM_SET[] =
	"INSERT INTO id_alloc VALUES ('id', ?1) ON CONFLICT(kind) DO UPDATE SET next = ?1";
static const char SQL_HWM_RAISE[] =
	"INSERT INTO id_alloc VALUES ('id', ?1) ON CONFLICT(kind) DO UPDATE SET next ="
	" max(next, ?1)";
static const char SQL_RETIRE[] = "INSERT OR IGNORE INTO retired_ids (id) VALUES (?1)";

la_rc store_id_free(struct la_store *st, uint32_t id, bool store_only, bool *free_out)
{
	bool used = false, sys = false;
	la_rc rc = store_exists(st, SQL_ID_USED, NULL, id, &used);

	*free_out = false;
	if (rc != LA_OK || used)
		return rc;
	if (!store_only) {
		rc = store_system_user(st, NULL, id, &sys);
		if (rc == LA_OK && !sys)
			rc = store_system_group(st, NULL, id, &sys, NULL);
	}
	*free_out = rc == LA_OK && !sys;
	return rc;
}

/* The next free id after the last allocated one, wrapping around once:
 * ids of deleted users and groups are retired (MUST 2), so a wrap never
 * hands one out again. */
la_rc store_id_allocate(struct la_store *st, uint32_t *out)
{
	sqlite3_stmt *s = store_stmt(st, SQL_HWM_GET);
	int64_t min = st->cfg.uid_min, span = (int64_t)st->cfg.uid_max - min + 1, start = min;
	bool ok = false;
	la_rc rc;

	if (!s)
		return LA_E_DB;
	if (sqlite3_step(s) == SQLITE_ROW)
		start = sqlite3_column_int64(s, 0);
	store_stmt_done(s);
	if (start < min || start > st->cfg.uid_max)
		start = min;
	for (int64_t i = 0; i < span; i++) {
		uint32_t id = (uint32_t)(min + (start - min + i) % span);

		rc = store_id_free(st, id, false, &ok);
		if (rc != LA_OK)
			return rc;
		if (ok) {
			*out = id;
			return LA_OK;
		}
	}
	return store_fail(st, LA_E_RANGE, "no free id left in %u..%u", st->cfg.uid_min,
			  st->cfg.uid_max);
}

la_rc store_id_mark(struct la_store *st, uint32_t id, bool allocated)
{
	sqlite3_stmt *s;

	if (id < st->cfg.uid_min || id > st->cfg.uid_max)
		return LA_OK;
	s = store_stmt(st, allocated ? SQL_HWM_SET : SQL_HWM_RAISE);
	if (!s)
		return LA_E_DB;
	sqlite3_bind_int64(s, 1, (int64_t)id + 1);
	return store_step_done(st, s, "id allocation");
}

la_rc store_id_retire(struct la_store *st, uint32_t id)
{
	sqlite3_stmt *s;

	if (id < st->cfg.uid_min || id > st->cfg.uid_max)
		return LA_OK;
	s = store_stmt(st, SQL_RETIRE);
	if (!s)
		return LA_E_DB;
	sqlite3_bind_int64(s, 1, id);
	return store_step_done(st, s, "retire id");
}

static la_rc check_spec_fields(struct la_store *st, const struct la_user_spec *spec)
{
	if (spec->email && *spec->email && !store_valid_email(spec->email))
		return store_fail(st, LA_E_INVAL, "invalid email address");
	if (spec->gecos && !store_valid_utf8_text(spec->gecos, LA_FIELD_MAX, false))
		return store_fail(st, LA_E_INVAL,
				  "invalid gecos (UTF-8, no ':' or control characters, "
				  "at most %d bytes)", LA_FIELD_MAX);
	if (spec->home && !store_valid_path(spec->home))
		return store_fail(st, LA_E_INVAL, "home must be an absolute path without ':'");
	if (spec->shell && !store_valid_path(spec->shell))
		return store_fail(st, LA_E_INVAL, "shell must be an absolute path without ':'");
	return LA_OK;
}

/* Name and uid checks of a new user (MUST 1 and 2). */
static la_rc check_new_identity(struct la_store *st, const struct la_user_spec *spec,
				uint32_t *uid)
{
	bool used = false;
	la_rc rc;

	if (!la_valid_username(spec->username))
		return store_fail(st, LA_E_INVAL,
				  "invalid user name (^[a-z_][a-z0-9_-]*$, at most %d characters)",
				  LA_NAME_MAX);
	rc = store_exists(st, SQL_NAME_USED, spec->username, 0, &used);
	if (rc != LA_OK)
		return rc;
	if (used)
		return store_fail(st, LA_E_USER_EXISTS, "user or group '%s' already exists",
				  spec->username);
	rc = store_system_user(st, spec->username, 0, &used);
	if (rc == LA_OK && !used && !spec->gid)
		rc = store_system_group(st, spec->username, 0, &used, NULL);
	if (rc != LA_OK)
		return rc;
	if (used)
		return store_fail(st, LA_E_USER_EXISTS, "'%s' exists in the system account files",
				  spec->username);
	if (spec->email && *spec->email) {
		rc = store_exists(st, SQL_EMAIL_USED, spec->email, 0, &used);
		if (rc != LA_OK)
			return rc;
		if (used)
			return store_fail(st, LA_E_EXISTS, "email address already in use");
	}
	if (!spec->uid)
		return store_id_allocate(st, uid);
	if (spec->uid < st->cfg.uid_min || spec->uid > st->cfg.uid_max)
		return store_fail(st, LA_E_RANGE, "uid %u is outside %u..%u", spec->uid,
				  st->cfg.uid_min, st->cfg.uid_max);
	rc = store_id_free(st, spec->uid, false, &used);
	if (rc == LA_OK && !used)
		rc = store_fail(st, LA_E_EXISTS, "uid %u is already in use", spec->uid);
	*uid = spec->uid;
	return rc;
}

static la_rc check_primary_gid(struct la_store *st, uint32_t gid)
{
	bool found = false;
	la_rc rc = store_exists(st, SQL_GROUP_GID, NULL, gid, &found);

	if (rc == LA_OK && !found)
		rc = store_system_group(st, NULL, gid, &found, NULL);
	if (rc == LA_OK && !found)
		rc = store_fail(st, LA_E_NOGROUP, "no group with gid %u", gid);
	return rc;
}

static const char SQL_INSERT_USER[] =
	"INSERT INTO users (id, username, email, uid, gid, gecos, home, shell, created,"
	" password_changed, must_change) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
static const char SQL_INSERT_PRIVATE_GROUP[] =
	"INSERT INTO groups (gid, name, user_private) VALUES (?1, ?2, 1)";

static la_rc insert_row(struct la_store *st, const struct la_user_spec *spec, const char *id,
			uint32_t uid, uint32_t gid, bool has_hash)
{
	sqlite3_stmt *s = store_stmt(st, SQL_INSERT_USER);
	char home[LA_FIELD_MAX + 1];
	int64_t now = la_store_now(st);

	if (!s)
		return LA_E_DB;
	if (spec->home)
		snprintf(home, sizeof(home), "%s", spec->home);
	else if (snprintf(home, sizeof(home), "%s/%s", st->cfg.home_base, spec->username) >=
		 (int)sizeof(home))
		return store_fail(st, LA_E_INVAL, "home directory path too long");
	store_bind_text(s, 1, id, false);
	store_bind_text(s, 2, spec->username, false);
	store_bind_text(s, 3, spec->email, true);
	sqlite3_bind_int64(s, 4, uid);
	sqlite3_bind_int64(s, 5, gid);
	store_bind_text(s, 6, spec->gecos ? spec->gecos : "", false);
	sqlite3_bind_text(s, 7, home, -1, SQLITE_TRANSIENT);
	store_bind_text(s, 8, spec->shell ? spec->shell : st->cfg.default_shell, false);
	sqlite3_bind_int64(s, 9, now);
	sqlite3_bind_int64(s, 10, has_hash ? now : 0);
	sqlite3_bind_int(s, 11, spec->must_change);
	return store_step_done(st, s, "insert user");
}

la_rc store_user_insert(struct la_store *st, const struct la_user_spec *spec, const char *hash,
			struct la_user *out)
{
	char id[LA_USER_ID_LEN + 1], key_id[LA_KEY_ID_MAX + 1];
	uint32_t uid = 0, gid = spec->gid;
	sqlite3_stmt *s;
	la_rc rc;

	rc = check_spec_fields(st, spec);
	if (rc == LA_OK)
		rc = check_new_identity(st, spec, &uid);
	if (rc == LA_OK && gid)
		rc = check_primary_gid(st, gid);
	if (rc != LA_OK)
		return rc;
	store_random_string(id, LA_USER_ID_LEN, LA_ALPHA_LUCIA);
	store_public_changed(st);
	rc = insert_row(st, spec, id, uid, gid ? gid : uid, hash != NULL);
	if (rc == LA_OK && !gid) {
		s = store_stmt(st, SQL_INSERT_PRIVATE_GROUP);
		if (!s)
			return LA_E_DB;
		sqlite3_bind_int64(s, 1, uid);
		store_bind_text(s, 2, spec->username, false);
		rc = store_step_done(st, s, "insert private group");
	}
	if (rc == LA_OK)
		rc = store_id_mark(st, uid, !spec->uid);
	if (rc == LA_OK)
		rc = store_member_set(st, id, spec->groups, spec->n_groups);
	if (rc == LA_OK && hash) {
		snprintf(key_id, sizeof(key_id), "password:%s", spec->username);
		rc = store_key_set_hash(st, id, key_id, hash);
	}
	if (rc == LA_OK)
		rc = store_user_row(st, SQL_BY_ID, id, 0, out);
	return rc;
}

la_rc la_user_add(struct la_store *st, const struct la_user_spec *spec, const char *password,
		  struct la_user *out)
{
	char hash[LA_HASH_MAX] = "";
	la_rc rc;

	store_clear_error(st);
	if (!la_valid_username(spec->username))
		return store_fail(st, LA_E_INVAL,
				  "invalid user name (^[a-z_][a-z0-9_-]*$, at most %d characters)",
				  LA_NAME_MAX);
	if (password) {
		/* Hash before taking the write lock: it is the slow part. */
		rc = la_password_policy(st, spec->username, password, NULL);
		if (rc == LA_OK)
			rc = store_hash(st, password, hash);
		if (rc != LA_OK)
			return rc;
	}
	rc = store_begin(st);
	if (rc == LA_OK)
		rc = store_user_insert(st, spec, password ? hash : NULL, out);
	if (rc == LA_OK)
		rc = store_commit(st);
	else
		store_rollback(st);
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

static const char SQL_UPDATE_USER[] =
	"UPDATE users SET email = ?2, gid = ?3, gecos = ?4, home = ?5, shell = ?6,"
	" must_change = ?7 WHERE id = ?1";

static la_rc apply_mod(struct la_store *st, struct la_user *u, const struct la_user_spec *spec)
{
	sqlite3_stmt *s;
	bool used = false;
	la_rc rc = LA_OK;

	if ((spec->set & LA_SET_EMAIL) && spec->email && *spec->email &&
	    strcasecmp(spec->email, u->email) != 0) {
		rc = store_exists(st, SQL_EMAIL_USED, spec->email, 0, &used);
		if (rc == LA_OK && used)
			rc = store_fail(st, LA_E_EXISTS, "email address already in use");
	}
	if (rc == LA_OK && (spec->set & LA_SET_GID) && spec->gid != u->gid)
		rc = check_primary_gid(st, spec->gid);
	if (rc == LA_OK && (spec->set & LA_SET_GROUPS))
		rc = store_member_set(st, u->id, spec->groups, spec->n_groups);
	if (rc != LA_OK)
		return rc;
	s = store_stmt(st, SQL_UPDATE_USER);
	if (!s)
		return LA_E_DB;
	store_bind_text(s, 1, u->id, false);
	store_bind_text(s, 2, (spec->set & LA_SET_EMAIL) ? spec->email : u->email, true);
	sqlite3_bind_int64(s, 3, (spec->set & LA_SET_GID) ? spec->gid : u->gid);
	store_bind_text(s, 4, (spec->set & LA_SET_GECOS) ? spec->gecos : u->gecos, false);
	store_bind_text(s, 5, (spec->set & LA_SET_HOME) ? spec->home : u->home, false);
	store_bind_text(s, 6, (spec->set & LA_SET_SHELL) ? spec->shell : u->shell, false);
	sqlite3_bind_int(s, 7, (spec->set & LA_SET_MUST_CHANGE) ? spec->must_change : u->must_change);
	return store_step_done(st, s, "update user");
}

la_rc la_user_mod(struct la_store *st, const char *name, const struct la_user_spec *spec)
{
	struct la_user u;
	la_rc rc;

	store_clear_error(st);
	rc = check_spec_fields(st, spec);
	if (rc == LA_OK && (spec->set & (LA_SET_GECOS | LA_SET_HOME | LA_SET_SHELL)) &&
	    (((spec->set & LA_SET_GECOS) && !spec->gecos) ||
	     ((spec->set & LA_SET_HOME) && !spec->home) ||
	     ((spec->set & LA_SET_SHELL) && !spec->shell)))
		rc = store_fail(st, LA_E_INVAL, "missing value");
	if (rc != LA_OK)
		return rc;
	rc = store_begin(st);
	if (rc != LA_OK)
		return rc;
	store_public_changed(st);
	rc = la_user_by_name(st, name, &u);
	if (rc == LA_OK)
		rc = apply_mod(st, &u, spec);
	if (rc == LA_OK)
		return store_commit(st);
	store_rollback(st);
	return rc;
}

static const char *const SQL_DELETE_USER[] = {
	/* Lucia order: sessions, keys, then the user. */
	"DELETE FROM sessions WHERE user_id = ?1",
	"DELETE FROM auth_keys WHERE user_id = ?1",
	"DELETE FROM group_members WHERE user_id = ?1",
	"DELETE FROM lockout WHERE user_id = ?1",
	"DELETE FROM auth_failures WHERE user_id = ?1",
	"DELETE FROM auth_pending WHERE user_id = ?1",
	"DELETE FROM groups WHERE user_private = 1 AND name = ?2"
	" AND NOT EXISTS (SELECT 1 FROM group_members m WHERE m.gid = groups.gid)"
	" AND NOT EXISTS (SELECT 1 FROM users v WHERE v.gid = groups.gid AND v.id <> ?1)",
	"DELETE FROM users WHERE id = ?1",
};

la_rc la_user_del(struct la_store *st, const char *name)
{
	struct la_user u;
	la_rc rc;

	store_clear_error(st);
	rc = store_begin(st);
	if (rc != LA_OK)
		return rc;
	store_public_changed(st);
	rc = la_user_by_name(st, name, &u);
	for (size_t i = 0; rc == LA_OK && i < sizeof(SQL_DELETE_USER) / sizeof(*SQL_DELETE_USER);
	     i++) {
		sqlite3_stmt *s = store_stmt(st, SQL_DELETE_USER[i]);

		if (!s) {
			rc = LA_E_DB;
			break;
		}
		store_bind_text(s, 1, u.id, false);
		if (sqlite3_bind_parameter_count(s) >= 2)
			store_bind_text(s, 2, u.username, false);
		rc = store_step_done(st, s, "delete user");
	}
	if (rc == LA_OK)
		rc = store_id_retire(st, u.uid);
	if (rc == LA_OK)
		return store_commit(st);
	store_rollback(st);
	return rc;
}

static const char SQL_SET_LOCKED[] = "UPDATE users SET locked = ?2 WHERE username = ?1";
static const char SQL_CLEAR_LOCKOUT[] =
	"DELETE FROM lockout WHERE user_id = (SELECT id FROM users WHERE username = ?1)";
static const char SQL_CLEAR_FAILURES[] =
	"DELETE FROM auth_failures WHERE user_id = (SELECT id FROM users WHERE username = ?1)";
static const char SQL_SET_EXPIRY[] = "UPDATE users SET expires = ?2 WHERE username = ?1";

/* Run one UPDATE keyed by user name; NOUSER when it touched no row. */
static la_rc update_by_name(struct la_store *st, const char *sql, const char *name, int64_t v)
{
	sqlite3_stmt *s = store_stmt(st, sql);
	la_rc rc;

	if (!s)
		return LA_E_DB;
	store_bind_text(s, 1, name, false);
	sqlite3_bind_int64(s, 2, v);
	rc = store_step_done(st, s, "update user");
	if (rc == LA_OK && sqlite3_changes(st->db) == 0)
		rc = store_fail(st, LA_E_NOUSER, "no such user");
	return rc;
}

la_rc la_user_set_locked(struct la_store *st, const char *name, bool locked)
{
	const char *const clear[] = { SQL_CLEAR_LOCKOUT, SQL_CLEAR_FAILURES };
	la_rc rc;

	store_clear_error(st);
	rc = store_begin(st);
	if (rc != LA_OK)
		return rc;
	store_public_changed(st);
	rc = update_by_name(st, SQL_SET_LOCKED, name, locked);
	for (size_t i = 0; rc == LA_OK && !locked && i < 2; i++) {
		sqlite3_stmt *s = store_stmt(st, clear[i]);

		if (!s) {
			rc = LA_E_DB;
			break;
		}
		store_bind_text(s, 1, name, false);
		rc = store_step_done(st, s, "clear lockout");
	}
	if (rc == LA_OK)
		return store_commit(st);
	store_rollback(st);
	return rc;
}

la_rc la_user_set_expiry(struct la_store *st, const char *name, int64_t at_ms)
{
	la_rc rc;

	store_clear_error(st);
	if (at_ms < 0)
		return store_fail(st, LA_E_INVAL, "invalid expiry time");
	rc = store_begin(st);
	if (rc != LA_OK)
		return rc;
	store_public_changed(st); /* shadow's expiry field */
	rc = update_by_name(st, SQL_SET_EXPIRY, name, at_ms);
	if (rc == LA_OK)
		return store_commit(st);
	store_rollback(st);
	return rc;
}

la_rc la_user_check_servable(struct la_store *st, const struct la_user *u)
{
	bool local = false;
	la_rc rc;

	if (u->uid == 0 || u->uid < st->cfg.uid_min || u->uid > st->cfg.uid_max ||
	    !la_valid_username(u->username) || strcmp(u->username, "root") == 0)
		return store_fail(st, LA_E_NOUSER, "uid %u or name outside the store's range",
				  u->uid);
	rc = store_system_user(st, u->username, 0, &local);
	if (rc == LA_OK && local)
		rc = store_fail(st, LA_E_NOUSER, "'%s' is a local account", u->username);
	return rc;
}

struct user_iter {
	la_user_cb cb;
	void *ctx;
};

static int user_row(sqlite3_stmt *s, void *p)
{
	struct user_iter *it = p;
	struct la_user u;

	read_user(s, &u);
	return it->cb(&u, it->ctx);
}

la_rc la_user_list(struct la_store *st, la_user_cb cb, void *ctx)
{
	struct user_iter it = { cb, ctx };
	sqlite3_stmt *s = store_stmt(st, SQL_LIST);

	store_clear_error(st);
	return s ? store_each(st, s, user_row, &it, "list users") : LA_E_DB;
}

/*
 * la_group.c - groups and memberships.
 *
 * A store group may carry the name and gid of a local group (e.g. sudo) so
 * that glibc's [SUCCESS=merge] adds store users to it; any other name or
 * gid that exists in the system group file is refused.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "la_int.h"

static const char SQL_GET[] = "SELECT gid, name, user_private FROM groups WHERE name = ?1";
static const char SQL_LIST[] = "SELECT gid, name, user_private FROM groups ORDER BY gid";
static const char SQL_INSERT[] = "INSERT INTO groups (gid, name) VALUES (?1, ?2)";
static const char SQL_IN_USE[] =
	"SELECT 1 FROM users u JOIN groups g ON g.gid = u.gid WHERE g.name = ?1";
static const char SQL_DEL_MEMBERS[] =
	"DELETE FROM group_members WHERE gid = (SELECT gid FROM groups WHERE name = ?1)";
static const char SQL_DEL[] = "DELETE FROM groups WHERE name = ?1";
static const char SQL_MEMBERS[] =
	"SELECT u.username, u.uid FROM group_members m JOIN users u ON u.id = m.user_id"
	" JOIN groups g ON g.gid = m.gid WHERE g.name = ?1 ORDER BY u.uid";
static const char SQL_USER_GROUPS[] =
	"SELECT g.name, g.gid FROM group_members m JOIN groups g ON g.gid = m.gid"
	" JOIN users u ON u.id = m.user_id WHERE u.username = ?1 ORDER BY g.gid";
static const char SQL_MEMBER_ADD[] =
	"INSERT INTO group_members (gid, user_id) SELECT g.gid, ?2 FROM groups g WHERE g.name = ?1";
static const char SQL_MEMBER_DEL[] =
	"DELETE FROM group_members WHERE gid = (SELECT gid FROM groups WHERE name = ?1)"
	" AND user_id = ?2";
static const char SQL_MEMBERS_CLEAR[] = "DELETE FROM group_members WHERE user_id = ?1";
static const char SQL_USER_ID[] = "SELECT id FROM users WHERE username = ?1";

static void read_group(sqlite3_stmt *s, struct la_group *g)
{
	memset(g, 0, sizeof(*g));
	g->gid = (uint32_t)sqlite3_column_int64(s, 0);
	store_col_text(s, 1, g->name, sizeof(g->name));
	g->user_private = sqlite3_column_int(s, 2) != 0;
}

la_rc la_group_get(struct la_store *st, const char *name, struct la_group *out)
{
	sqlite3_stmt *s = store_stmt(st, SQL_GET);
	la_rc rc = LA_OK;
	int r;

	if (!s)
		return LA_E_DB;
	store_bind_text(s, 1, name, false);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		read_group(s, out);
	else if (r == SQLITE_DONE) {
		rc = store_fail(st, LA_E_NOGROUP, "no such group '%s'", name);
	} else {
		rc = store_db_fail(st, r, "group lookup");
	}
	store_stmt_done(s);
	return rc;
}

/* The gid for a new group: the local group's for a merge group, the given
 * one if free, or the next free id in the store's range (*allocated). */
static la_rc choose_gid(struct la_store *st, const char *name, uint32_t gid, uint32_t *out,
			bool *allocated)
{
	uint32_t sys_gid = 0;
	bool merge = false, is_free = false;
	la_rc rc = store_system_group(st, name, 0, &merge, &sys_gid);

	*allocated = false;
	if (rc != LA_OK)
		return rc;
	if (merge && gid && gid != sys_gid)
		return store_fail(st, LA_E_EXISTS,
				  "local group '%s' has gid %u; a merge group must use it", name,
				  sys_gid);
	if (merge && sys_gid == 0)
		return store_fail(st, LA_E_RANGE, "refusing to merge into the root group");
	if (merge) {
		gid = sys_gid;
	} else if (!gid) {
		*allocated = true;
		return store_id_allocate(st, out);
	} else if (gid < st->cfg.uid_min || gid > st->cfg.uid_max) {
		return store_fail(st, LA_E_RANGE, "gid %u is outside %u..%u", gid,
				  st->cfg.uid_min, st->cfg.uid_max);
	}
	rc = store_id_free(st, gid, merge, &is_free);
	if (rc == LA_OK && !is_free)
		rc = store_fail(st, LA_E_EXISTS, "gid %u is already in use", gid);
	*out = gid;
	return rc;
}

static la_rc insert_group(struct la_store *st, const char *name, uint32_t gid, bool allocated)
{
	sqlite3_stmt *s = store_stmt(st, SQL_INSERT);
	la_rc rc;

	if (!s)
		return LA_E_DB;
	sqlite3_bind_int64(s, 1, gid);
	store_bind_text(s, 2, name, false);
	rc = store_step_done(st, s, "insert group");
	if (rc == LA_OK)
		rc = store_id_mark(st, gid, allocated);
	return rc;
}

la_rc la_group_add(struct la_store *st, const char *name, uint32_t gid, struct la_group *out)
{
	bool used = false;
	uint32_t chosen = 0;
	bool allocated = false;
	la_rc rc;

	store_clear_error(st);
	if (!la_valid_username(name))
		return store_fail(st, LA_E_INVAL,
				  "invalid group name (^[a-z_][a-z0-9_-]*$, at most %d characters)",
				  LA_NAME_MAX);
	rc = store_begin(st);
	if (rc != LA_OK)
		return rc;
	store_public_changed(st);
	rc = store_exists(st, SQL_GET, name, 0, &used);
	if (rc == LA_OK && used)
		rc = store_fail(st, LA_E_GROUP_EXISTS, "group '%s' already exists", name);
	if (rc == LA_OK)
		rc = choose_gid(st, name, gid, &chosen, &allocated);
	if (rc == LA_OK)
		rc = insert_group(st, name, chosen, allocated);
	if (rc == LA_OK)
		rc = la_group_get(st, name, out);
	if (rc == LA_OK)
		return store_commit(st);
	store_rollback(st);
	return rc;
}

la_rc la_group_del(struct la_store *st, const char *name)
{
	struct la_group g;
	bool in_use = false;
	sqlite3_stmt *s;
	la_rc rc;

	store_clear_error(st);
	rc = store_begin(st);
	if (rc != LA_OK)
		return rc;
	store_public_changed(st);
	rc = la_group_get(st, name, &g);
	if (rc == LA_OK)
		rc = store_exists(st, SQL_IN_USE, name, 0, &in_use);
	if (rc == LA_OK && in_use)
		rc = store_fail(st, LA_E_INVAL, "group '%s' is the primary group of a user", name);
	for (int i = 0; rc == LA_OK && i < 2; i++) {
		s = store_stmt(st, i == 0 ? SQL_DEL_MEMBERS : SQL_DEL);
		if (!s) {
			rc = LA_E_DB;
			break;
		}
		store_bind_text(s, 1, name, false);
		rc = store_step_done(st, s, "delete group");
	}
	if (rc == LA_OK)
		rc = store_id_retire(st, g.gid);
	if (rc == LA_OK)
		return store_commit(st);
	store_rollback(st);
	return rc;
}

struct group_iter {
	la_group_cb cb;
	void *ctx;
};

static int group_row(sqlite3_stmt *s, void *p)
{
	struct group_iter *it = p;
	struct la_group g;

	read_group(s, &g);
	return it->cb(&g, it->ctx);
}

la_rc la_group_list(struct la_store *st, la_group_cb cb, void *ctx)
{
	struct group_iter it = { cb, ctx };
	sqlite3_stmt *s = store_stmt(st, SQL_LIST);

	store_clear_error(st);
	return s ? store_each(st, s, group_row, &it, "list groups") : LA_E_DB;
}

struct name_iter {
	la_name_cb cb;
	void *ctx;
};

static int name_row(sqlite3_stmt *s, void *p)
{
	struct name_iter *it = p;
	char name[LA_NAME_MAX + 1];

	store_col_text(s, 0, name, sizeof(name));
	return it->cb(name, (uint32_t)sqlite3_column_int64(s, 1), it->ctx);
}

static la_rc list_names(struct la_store *st, const char *sql, const char *arg, la_name_cb cb,
			void *ctx)
{
	struct name_iter it = { cb, ctx };
	sqlite3_stmt *s = store_stmt(st, sql);

	if (!s)
		return LA_E_DB;
	store_bind_text(s, 1, arg, false);
	return store_each(st, s, name_row, &it, "list names");
}

la_rc la_group_members(struct la_store *st, const char *name, la_name_cb cb, void *ctx)
{
	struct la_group g;
	la_rc rc;

	store_clear_error(st);
	rc = la_group_get(st, name, &g);
	return rc == LA_OK ? list_names(st, SQL_MEMBERS, name, cb, ctx) : rc;
}

la_rc la_user_groups(struct la_store *st, const char *name, la_name_cb cb, void *ctx)
{
	bool found = false;
	la_rc rc;

	store_clear_error(st);
	rc = store_exists(st, SQL_USER_ID, name, 0, &found);
	if (rc == LA_OK && !found)
		rc = store_fail(st, LA_E_NOUSER, "no such user '%s'", name);
	return rc == LA_OK ? list_names(st, SQL_USER_GROUPS, name, cb, ctx) : rc;
}

/* Add (or remove) user_id to group name; the caller holds a transaction. */
static la_rc member_change(struct la_store *st, const char *group, const char *user_id, bool add)
{
	sqlite3_stmt *s = store_stmt(st, add ? SQL_MEMBER_ADD : SQL_MEMBER_DEL);
	la_rc rc;
	int r;

	if (!s)
		return LA_E_DB;
	store_bind_text(s, 1, group, false);
	store_bind_text(s, 2, user_id, false);
	r = sqlite3_step(s);
	store_stmt_done(s);
	if ((r & 0xff) == SQLITE_CONSTRAINT)
		return store_fail(st, LA_E_EXISTS, "already a member of '%s'", group);
	if (r != SQLITE_DONE)
		return store_db_fail(st, r, "membership");
	rc = LA_OK;
	if (sqlite3_changes(st->db) == 0)
		rc = add ? store_fail(st, LA_E_NOGROUP, "no such group '%s'", group)
			 : store_fail(st, LA_E_NOTFOUND, "not a member of '%s'", group);
	return rc;
}

la_rc store_member_set(struct la_store *st, const char *user_id, const char *const *names,
		       size_t n)
{
	sqlite3_stmt *s = store_stmt(st, SQL_MEMBERS_CLEAR);
	la_rc rc;

	if (!s)
		return LA_E_DB;
	store_bind_text(s, 1, user_id, false);
	rc = store_step_done(st, s, "clear memberships");
	for (size_t i = 0; rc == LA_OK && i < n; i++) {
		rc = member_change(st, names[i], user_id, true);
		if (rc == LA_E_EXISTS) /* listed twice */
			rc = LA_OK;
	}
	return rc;
}

static la_rc member_op(struct la_store *st, const char *group, const char *user, bool add)
{
	struct la_user u;
	struct la_group g;
	la_rc rc;

	store_clear_error(st);
	rc = store_begin(st);
	if (rc != LA_OK)
		return rc;
	store_public_changed(st);
	rc = la_group_get(st, group, &g);
	if (rc == LA_OK)
		rc = la_user_by_name(st, user, &u);
	if (rc == LA_OK)
		rc = member_change(st, group, u.id, add);
	if (rc == LA_OK)
		return store_commit(st);
	store_rollback(st);
	return rc;
}

la_rc la_group_add_member(struct la_store *st, const char *group, const char *user)
{
	return member_op(st, group, user, true);
}

la_rc la_group_remove_member(struct la_store *st, const char *group, const char *user)
{
	return member_op(st, group, user, false);
}

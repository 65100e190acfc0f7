/*
 * la_batch_check.c - the checks of the import batch before an account is
 * written (see la_batch.c for the MUST list): is it there already (then it
 * is left alone), is its name, uid and gid free or the adopted local
 * account's, which groups come with it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "la_batch_int.h"

/* Is id free for a new uid or gid: not in the store (users, groups,
 * retired), not in the system files. */
static la_rc id_free(struct la_batch *b, uint32_t id, bool *is_free)
{
	bool used = false;
	la_rc rc = store_batch_query(b, S_ID_USED, NULL, id, &used);

	*is_free = rc == LA_OK && !used && !store_acct_by_id(&b->syspw, id) &&
		   !store_acct_by_id(&b->sysgr, id);
	return rc;
}

static la_rc allocate(struct la_batch *b, uint32_t *out)
{
	const struct la_config *c = &b->st->cfg;
	int64_t span = (int64_t)c->uid_max - c->uid_min + 1;
	bool ok = false;

	for (int64_t i = 0; i < span; i++) {
		uint32_t id = (uint32_t)(c->uid_min + ((int64_t)b->next_id - c->uid_min + i) % span);
		la_rc rc = id_free(b, id, &ok);

		if (rc != LA_OK)
			return rc;
		if (ok) {
			*out = id;
			b->next_id = id;
			return LA_OK;
		}
	}
	return store_fail(b->st, LA_E_RANGE, "no free id left in %u..%u", c->uid_min, c->uid_max);
}

#define SKIP(p, ...) (snprintf((p)->why, sizeof((p)->why), __VA_ARGS__), V_SKIP)

/* Already in the store?  MUST 4: then it is left alone. */
static la_rc check_existing(struct la_batch *b, const struct la_import_user *u, struct plan *p,
			    enum verdict *v)
{
	bool row = false;
	la_rc rc = LA_OK;

	*v = V_GO;
	if (u->id) {
		rc = store_batch_query(b, S_USER_BY_ID, u->id, 0, &row);
		if (rc == LA_OK && row) {
			snprintf(p->why, sizeof(p->why), "already imported (as '%s')",
				 store_batch_col(b, S_USER_BY_ID, 0));
			*v = V_UNCHANGED;
			return LA_OK;
		}
	}
	if (rc == LA_OK)
		rc = store_batch_query(b, S_USER_BY_NAME, u->username, 0, &row);
	if (rc != LA_OK || !row)
		return rc;
	if (!u->id && u->uid && (uint32_t)sqlite3_column_int64(b->s[S_USER_BY_NAME], 1) == u->uid) {
		snprintf(p->why, sizeof(p->why), "already imported");
		*v = V_UNCHANGED;
	} else {
		*v = SKIP(p, "a store user '%s' already exists (uid %lld); not merged", u->username,
			  (long long)sqlite3_column_int64(b->s[S_USER_BY_NAME], 1));
	}
	return LA_OK;
}

/* The uid: kept (in range, free, or the adopted local account's) or
 * allocated. */
static la_rc check_uid(struct la_batch *b, const struct la_import_user *u, struct plan *p,
		       enum verdict *v)
{
	const struct la_config *c = &b->st->cfg;
	const struct la_acct *a = store_acct_by_name(&b->syspw, u->username);
	bool row = false;
	la_rc rc;

	if (a && a->id != u->uid) {
		*v = SKIP(p, "'%s' is a local account with uid %u in %.200s", u->username, a->id,
			  c->passwd_file);
		return LA_OK;
	}
	if (!u->uid)
		return allocate(b, &p->uid);
	p->uid = u->uid;
	if (u->uid < c->uid_min || u->uid > c->uid_max) {
		*v = SKIP(p, "uid %u is outside the store's range %u..%u (uid_min/uid_max)", u->uid,
			  c->uid_min, c->uid_max);
		return LA_OK;
	}
	a = store_acct_by_id(&b->syspw, u->uid);
	if (a && strcmp(a->name, u->username) != 0) {
		*v = SKIP(p, "uid %u belongs to the local account '%s'", u->uid, a->name);
		return LA_OK;
	}
	rc = store_batch_query(b, S_USER_BY_UID, NULL, u->uid, &row);
	if (rc == LA_OK && row) {
		*v = SKIP(p, "uid %u belongs to the store user '%s'", u->uid,
			  store_batch_col(b, S_USER_BY_UID, 0));
		return LA_OK;
	}
	if (rc == LA_OK)
		rc = store_batch_query(b, S_RETIRED, NULL, u->uid, &row);
	if (rc == LA_OK && row)
		*v = SKIP(p, "uid %u belonged to a deleted store account and is retired", u->uid);
	return rc;
}

/* The primary group: a store group with that gid, a local group, or a
 * private group named after the user (created with the account). */
static la_rc check_gid(struct la_batch *b, const struct la_import_user *u, struct plan *p,
		       enum verdict *v)
{
	uint32_t gid = u->gid ? u->gid : p->uid;
	const struct la_acct *g = store_acct_by_id(&b->sysgr, gid);
	bool row = false;
	la_rc rc = store_batch_query(b, S_GROUP_BY_GID, NULL, gid, &row);

	p->gid = gid;
	if (rc != LA_OK)
		return rc;
	if (row) {
		if (!u->gid && strcmp(store_batch_col(b, S_GROUP_BY_GID, 0), u->username) != 0)
			*v = SKIP(p, "gid %u is the store group '%s'", gid,
				  store_batch_col(b, S_GROUP_BY_GID, 0));
		return LA_OK;
	}
	if (g && strcmp(g->name, u->username) != 0) {
		if (!u->gid)
			*v = SKIP(p, "gid %u is the local group '%s'", gid, g->name);
		return LA_OK; /* a shared local group such as "users": referenced */
	}
	if (!g && u->gid_name && strcmp(u->gid_name, u->username) != 0 &&
	    gid >= b->st->cfg.uid_min) {
		/* Only in the source's group file: mirrored, as supplementary
		 * groups are. */
		rc = store_batch_query(b, S_GROUP_BY_NAME, u->gid_name, 0, &row);
		if (rc == LA_OK && row)
			*v = SKIP(p, "primary group '%s' is a store group with gid %lld, not %u",
				  u->gid_name,
				  (long long)sqlite3_column_int64(b->s[S_GROUP_BY_NAME], 1), gid);
		p->mirror_group = u->gid_name;
		return rc;
	}
	if (!g && u->gid && u->gid != u->uid && (!u->gid_name || gid < b->st->cfg.uid_min)) {
		/* A system gid is referenced as a number (users, staff...), never
		 * created; an unknown one is an error of the source. */
		if (u->gid_name && gid < b->st->cfg.uid_min)
			return LA_OK;
		*v = SKIP(p, "primary group gid %u exists neither in the store nor in %.200s", gid,
			  b->st->cfg.group_file);
		return LA_OK;
	}
	rc = store_batch_query(b, S_GROUP_BY_NAME, u->username, 0, &row);
	if (rc == LA_OK && row)
		*v = SKIP(p, "a store group '%s' exists with gid %lld", u->username,
			  (long long)sqlite3_column_int64(b->s[S_GROUP_BY_NAME], 1));
	p->make_group = true; /* the user's own group, adopted */
	return rc;
}

la_rc store_batch_check(struct la_batch *b, const struct la_import_user *u, struct plan *p,
			enum verdict *v)
{
	bool row = false;
	la_rc rc;

	if (!la_valid_username(u->username)) {
		*v = SKIP(p, "'%s' is not a valid user name (^[a-z_][a-z0-9_-]*$, at most %d)",
			  u->username, LA_NAME_MAX);
		return LA_OK;
	}
	rc = check_existing(b, u, p, v);
	if (rc == LA_OK && *v == V_GO)
		rc = check_uid(b, u, p, v);
	if (rc == LA_OK && *v == V_GO && u->email && *u->email) {
		if (!store_valid_email(u->email))
			*v = SKIP(p, "invalid email address");
		else if ((rc = store_batch_query(b, S_EMAIL_USED, u->email, 0, &row)) == LA_OK && row)
			*v = SKIP(p, "email address already used by a store user");
	}
	if (rc == LA_OK && *v == V_GO)
		rc = check_gid(b, u, p, v);
	return rc;
}

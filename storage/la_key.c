/*
 * la_key.c - auth keys (Lucia: one per sign-in method) and setting passwords.
 *
 * MUST:
 *  1. A key of the provider "password" always has a hash: a NULL hash there
 *     would let anyone sign in without a password.
 *  2. The key password:<name> belongs to the user <name> and no other; it
 *     is only ever written by la_password_set() (and user creation), which
 *     also keep password_changed and must_change right.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "la_int.h"

static const char SQL_GET[] =
	"SELECT id, user_id, hashed_password IS NOT NULL FROM auth_keys WHERE id = ?1";
static const char SQL_LIST[] =
	"SELECT k.id, k.user_id, k.hashed_password IS NOT NULL FROM auth_keys k"
	" JOIN users u ON u.id = k.user_id WHERE u.username = ?1 ORDER BY k.id";
static const char SQL_INSERT[] =
	"INSERT INTO auth_keys (id, user_id, hashed_password) VALUES (?1, ?2, ?3)";
static const char SQL_UPSERT[] =
	"INSERT INTO auth_keys (id, user_id, hashed_password) VALUES (?1, ?2, ?3)"
	" ON CONFLICT(id) DO UPDATE SET hashed_password = excluded.hashed_password"
	" WHERE user_id = excluded.user_id";
static const char SQL_DEL[] = "DELETE FROM auth_keys WHERE id = ?1";
static const char SQL_PW_CHANGED[] =
	"UPDATE users SET password_changed = ?2, must_change = 0 WHERE id = ?1";

static void read_key(sqlite3_stmt *s, struct la_key *k)
{
	memset(k, 0, sizeof(*k));
	store_col_text(s, 0, k->id, sizeof(k->id));
	store_col_text(s, 1, k->user_id, sizeof(k->user_id));
	k->has_password = sqlite3_column_int(s, 2) != 0;
}

la_rc la_key_get(struct la_store *st, const char *key_id, struct la_key *out)
{
	sqlite3_stmt *s = store_stmt(st, SQL_GET);
	la_rc rc = LA_OK;
	int r;

	store_clear_error(st);
	if (!s)
		return LA_E_DB;
	store_bind_text(s, 1, key_id, false);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		read_key(s, out);
	else if (r == SQLITE_DONE)
		rc = store_fail(st, LA_E_NOKEY, "no such key");
	else
		rc = store_db_fail(st, r, "key lookup");
	store_stmt_done(s);
	return rc;
}

static la_rc make_key_id(struct la_store *st, const char *provider, const char *puid,
			 char out[LA_KEY_ID_MAX + 1])
{
	if (!provider || !*provider || !store_valid_utf8_text(provider, LA_PROVIDER_MAX, false))
		return store_fail(st, LA_E_INVAL,
				  "invalid provider id (no ':' or control characters, at most %d "
				  "bytes)", LA_PROVIDER_MAX);
	if (!puid || !*puid || !store_valid_utf8_text(puid, LA_KEY_ID_MAX - LA_PROVIDER_MAX - 1, true))
		return store_fail(st, LA_E_INVAL, "invalid provider user id");
	snprintf(out, LA_KEY_ID_MAX + 1, "%s:%s", provider, puid);
	return LA_OK;
}

/* Insert (upsert when replace) a key row; the caller holds a transaction. */
static la_rc put_key(struct la_store *st, const char *user_id, const char *key_id,
		     const char *hash, bool replace)
{
	sqlite3_stmt *s = store_stmt(st, replace ? SQL_UPSERT : SQL_INSERT);
	int r;

	if (!s)
		return LA_E_DB;
	store_bind_text(s, 1, key_id, false);
	store_bind_text(s, 2, user_id, false);
	store_bind_text(s, 3, hash, false);
	r = sqlite3_step(s);
	store_stmt_done(s);
	if (r == SQLITE_CONSTRAINT_PRIMARYKEY)
		return store_fail(st, LA_E_KEY_EXISTS, "key already exists");
	if (r == SQLITE_CONSTRAINT_FOREIGNKEY)
		return store_fail(st, LA_E_NOUSER, "no such user");
	if (r != SQLITE_DONE)
		return store_db_fail(st, r, "store key");
	if (replace && sqlite3_changes(st->db) == 0)
		return store_fail(st, LA_E_KEY_EXISTS, "key belongs to another user");
	return LA_OK;
}

la_rc store_key_set_hash(struct la_store *st, const char *user_id, const char *key_id,
			 const char *hash)
{
	return put_key(st, user_id, key_id, hash, false);
}

la_rc la_key_add(struct la_store *st, const char *username, const char *provider,
		 const char *provider_user_id, const char *password, struct la_key *out)
{
	char key_id[LA_KEY_ID_MAX + 1], hash[LA_HASH_MAX] = "";
	struct la_user u;
	la_rc rc;

	store_clear_error(st);
	rc = make_key_id(st, provider, provider_user_id, key_id);
	if (rc == LA_OK && strcmp(provider, "password") == 0)
		rc = store_fail(st, LA_E_INVAL,
				"the key password:<user> is set with 'luciaauth passwd <user>'");
	if (rc == LA_OK && password) {
		rc = la_password_policy(st, username, password, NULL);
		if (rc == LA_OK)
			rc = store_hash(st, password, hash);
	}
	if (rc != LA_OK)
		return rc;
	rc = store_begin(st);
	if (rc == LA_OK) {
		rc = la_user_by_name(st, username, &u);
		if (rc == LA_OK)
			rc = put_key(st, u.id, key_id, password ? hash : NULL, false);
		if (rc == LA_OK)
			rc = la_key_get(st, key_id, out);
		if (rc == LA_OK)
			rc = store_commit(st);
		else
			store_rollback(st);
	}
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

la_rc la_key_del(struct la_store *st, const char *key_id)
{
	sqlite3_stmt *s = store_stmt(st, SQL_DEL);
	la_rc rc;

	store_clear_error(st);
	if (!s)
		return LA_E_DB;
	store_bind_text(s, 1, key_id, false);
	rc = store_step_done(st, s, "delete key");
	if (rc == LA_OK && sqlite3_changes(st->db) == 0)
		rc = store_fail(st, LA_E_NOKEY, "no such key");
	return rc;
}

struct key_iter {
	la_key_cb cb;
	void *ctx;
};

static int key_row(sqlite3_stmt *s, void *p)
{
	struct key_iter *it = p;
	struct la_key k;

	read_key(s, &k);
	return it->cb(&k, it->ctx);
}

la_rc la_key_list(struct la_store *st, const char *username, la_key_cb cb, void *ctx)
{
	struct key_iter it = { cb, ctx };
	struct la_user u;
	sqlite3_stmt *s;
	la_rc rc;

	rc = la_user_by_name(st, username, &u);
	if (rc != LA_OK)
		return rc;
	s = store_stmt(st, SQL_LIST);
	if (!s)
		return LA_E_DB;
	store_bind_text(s, 1, username, false);
	return store_each(st, s, key_row, &it, "list keys");
}

/* The caller holds a transaction and has hashed the password. */
static la_rc set_hash(struct la_store *st, const char *username, const char *hash)
{
	char key_id[LA_KEY_ID_MAX + 1];
	struct la_user u;
	sqlite3_stmt *s;
	la_rc rc;

	rc = la_user_by_name(st, username, &u);
	if (rc != LA_OK)
		return rc;
	store_public_changed(st); /* shadow's last-change field */
	snprintf(key_id, sizeof(key_id), "password:%s", username);
	rc = put_key(st, u.id, key_id, hash, true);
	if (rc != LA_OK)
		return rc;
	s = store_stmt(st, SQL_PW_CHANGED);
	if (!s)
		return LA_E_DB;
	store_bind_text(s, 1, u.id, false);
	sqlite3_bind_int64(s, 2, la_store_now(st));
	return store_step_done(st, s, "password change");
}

la_rc la_password_set(struct la_store *st, const char *username, const char *password)
{
	char hash[LA_HASH_MAX] = "";
	struct la_user u;
	la_rc rc;

	store_clear_error(st);
	rc = la_user_by_name(st, username, &u);
	if (rc == LA_OK)
		rc = la_password_policy(st, username, password, NULL);
	if (rc == LA_OK)
		rc = store_hash(st, password, hash);
	if (rc == LA_OK)
		rc = store_begin(st);
	if (rc == LA_OK) {
		rc = set_hash(st, username, hash);
		if (rc == LA_OK)
			rc = store_commit(st);
		else
			store_rollback(st);
	}
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

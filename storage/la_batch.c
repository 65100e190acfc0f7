/*
 * la_batch.c - the import batch: many accounts in one write transaction,
 * one commit, one NSS snapshot publish.
 *
 * MUST:
 *  1. All of an account or nothing of it: each account runs inside its own
 *     SAVEPOINT; a failure rolls back to it and the account is reported as
 *     skipped with the reason.
 *  2. The whole import is one transaction: a rejected record (without
 *     skip_invalid), a store failure or a dry run rolls everything back,
 *     so nothing is ever half-imported.
 *  3. The same rules as la_user_add() for what may be created (names and
 *     ids of the system files, the uid range, retired ids), with one
 *     deliberate exception: a local account with the same name AND uid as
 *     the imported one is the account being adopted, not a conflict.
 *  4. An account that exists already is never changed: a second run
 *     reports it as unchanged (and so cannot undo a rehash to Argon2id).
 *  5. The system account files are read once per batch, never written.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "la_batch_int.h"

static const char *const batch_sql[N_STMT] = {
	[S_USER_BY_NAME] = "SELECT id, uid FROM users WHERE username = ?1",
	[S_USER_BY_ID] = "SELECT username, uid FROM users WHERE id = ?1",
	[S_USER_BY_UID] = "SELECT username, uid FROM users WHERE uid = ?1",
	[S_ID_USED] = "SELECT 1 FROM users WHERE uid = ?1 UNION ALL SELECT 1 FROM groups"
		      " WHERE gid = ?1 UNION ALL SELECT 1 FROM retired_ids WHERE id = ?1",
	[S_RETIRED] = "SELECT 1 FROM retired_ids WHERE id = ?1",
	[S_EMAIL_USED] = "SELECT 1 FROM users WHERE email = ?1",
	[S_GROUP_BY_NAME] = "SELECT name, gid FROM groups WHERE name = ?1",
	[S_GROUP_BY_GID] = "SELECT name, gid FROM groups WHERE gid = ?1",
	[S_INSERT_USER] = "INSERT INTO users (id, username, email, uid, gid, gecos, home, shell,"
			  " created, locked, expires, password_changed, must_change)"
			  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[S_INSERT_GROUP] = "INSERT INTO groups (gid, name, user_private) VALUES (?1, ?2, ?3)",
	[S_INSERT_KEY] = "INSERT INTO auth_keys (id, user_id, hashed_password) VALUES (?1, ?2, ?3)",
	[S_KEY_OWNER] = "SELECT user_id FROM auth_keys WHERE id = ?1",
	[S_INSERT_MEMBER] = "INSERT OR IGNORE INTO group_members (gid, user_id) VALUES (?1, ?2)",
	[S_SAVEPOINT] = "SAVEPOINT la_import_user",
	[S_RELEASE] = "RELEASE la_import_user",
	[S_ROLLBACK_TO] = "ROLLBACK TO la_import_user",
	[S_HWM_GET] = "SELECT next FROM id_alloc WHERE kind = 'id'",
	[S_HWM_RAISE] = "INSERT INTO id_alloc VALUES ('id', ?1) ON CONFLICT(kind) DO UPDATE"
			" SET next = max(next, ?1)",
};

struct la_store *store_batch_store(struct la_batch *b)
{
	return b->st;
}

const struct la_import_stats *store_batch_stats(const struct la_batch *b)
{
	return b->stats;
}

const struct la_acctfile *store_batch_syspw(struct la_batch *b)
{
	return &b->syspw;
}

static void vnote(struct la_batch *b, enum la_import_action act, const char *name, size_t line,
		  const char *fmt, va_list ap)
{
	char reason[1024];
	struct la_import_note n = { act, name, line, reason };

	vsnprintf(reason, sizeof(reason), fmt, ap);
	if (b->o.note)
		b->o.note(&n, b->o.ctx);
}

void store_batch_note(struct la_batch *b, enum la_import_action act, const char *name,
		      size_t line, const char *fmt, ...)
{
	va_list ap;

	switch (act) {
	case LA_IMPORT_ADDED: b->stats->added++; break;
	case LA_IMPORT_UNCHANGED: b->stats->unchanged++; break;
	case LA_IMPORT_SKIPPED: b->stats->skipped++; break;
	case LA_IMPORT_REJECTED: b->stats->rejected++; break;
	case LA_IMPORT_INFO: break;
	}
	va_start(ap, fmt);
	vnote(b, act, name, line, fmt, ap);
	va_end(ap);
}

void store_batch_reject(struct la_batch *b, const char *name, size_t line, const char *fmt, ...)
{
	va_list ap;

	b->stats->rejected++;
	va_start(ap, fmt);
	vnote(b, LA_IMPORT_REJECTED, name, line, fmt, ap);
	va_end(ap);
}

void store_batch_progress(struct la_batch *b, size_t done, size_t total)
{
	if (b->o.progress)
		b->o.progress(done, total, b->o.ctx);
}

la_rc store_batch_query(struct la_batch *b, int which, const char *arg, int64_t iarg, bool *row)
{
	sqlite3_stmt *s = b->s[which];
	int r;

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (arg)
		store_bind_text(s, 1, arg, false);
	else
		sqlite3_bind_int64(s, 1, iarg);
	r = sqlite3_step(s);
	*row = r == SQLITE_ROW;
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return store_db_fail(b->st, r, "import lookup");
	return LA_OK;
}

static la_rc exec_stmt(struct la_batch *b, int which)
{
	return store_step_done(b->st, b->s[which], "import");
}

const char *store_batch_col(struct la_batch *b, int which, int col)
{
	const unsigned char *t = sqlite3_column_text(b->s[which], col);

	return t ? (const char *)t : "";
}

static la_rc batch_pragmas(struct la_batch *b, const char *sql)
{
	int r = sqlite3_exec(b->st->db, sql, NULL, NULL, NULL);

	return r == SQLITE_OK ? LA_OK : store_db_fail(b->st, r, "import settings");
}

la_rc store_batch_begin(struct la_store *st, const struct la_import_opts *o,
			struct la_import_stats *stats, struct la_batch **out)
{
	struct la_batch *b = calloc(1, sizeof(*b));
	la_rc rc;
	bool row = false;

	*out = NULL;
	if (!b)
		return store_fail(st, LA_E_NOMEM, "out of memory");
	b->st = st;
	b->o = *o;
	b->stats = stats;
	b->next_id = st->cfg.uid_min;
	b->pool_used = sizeof(b->pool); /* empty: filled at the first use */
	rc = store_acctfile_load(st, st->cfg.passwd_file, LA_ACCT_PASSWD, false, &b->syspw);
	if (rc == LA_OK)
		rc = store_acctfile_load(st, st->cfg.group_file, LA_ACCT_GROUP, false, &b->sysgr);
	for (int i = 0; rc == LA_OK && i < N_STMT; i++) {
		int r = sqlite3_prepare_v3(st->db, batch_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					   &b->s[i], NULL);

		if (r != SQLITE_OK)
			rc = store_db_fail(st, r, "prepare import");
	}
	/* Each account's SAVEPOINT keeps a sub-journal: in memory rather than
	 * a temporary file (one write per page otherwise), and a page cache
	 * big enough that the one long transaction does not spill. */
	if (rc == LA_OK)
		rc = batch_pragmas(b, "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -131072");
	if (rc == LA_OK)
		rc = store_begin(st);
	b->in_tx = rc == LA_OK;
	if (rc == LA_OK)
		rc = store_batch_query(b, S_HWM_GET, NULL, 0, &row);
	if (rc == LA_OK && row) {
		int64_t next = sqlite3_column_int64(b->s[S_HWM_GET], 0);

		if (next >= st->cfg.uid_min && next <= st->cfg.uid_max)
			b->next_id = (uint32_t)next;
	}
	if (rc != LA_OK) {
		(void)store_batch_end(b, rc);
		return rc;
	}
	*out = b;
	return LA_OK;
}

la_rc store_batch_end(struct la_batch *b, la_rc rc)
{
	struct la_store *st = b->st;

	if (rc == LA_OK && b->stats->rejected && !b->o.skip_invalid)
		rc = store_fail(st, LA_E_INVAL,
				"%zu record(s) rejected: nothing imported (fix the input, or "
				"import the rest with --skip-invalid)",
				b->stats->rejected);
	if (b->in_tx) {
		if (rc == LA_OK && !b->o.dry_run) {
			rc = store_commit(st); /* the one snapshot publish */
			b->stats->committed = rc == LA_OK;
		} else {
			store_rollback(st);
		}
	}
	for (int i = 0; i < N_STMT; i++)
		sqlite3_finalize(b->s[i]);
	/* Back to la_db.c's settings for whatever the caller does next. */
	(void)batch_pragmas(b, "PRAGMA temp_store = DEFAULT; PRAGMA cache_size = -16384");
	store_acctfile_free(&b->syspw);
	store_acctfile_free(&b->sysgr);
	sodium_memzero(b->pool, sizeof(b->pool));
	free(b);
	return rc;
}

static la_rc insert_group(struct la_batch *b, uint32_t gid, const char *name, bool private_group)
{
	sqlite3_stmt *s = b->s[S_INSERT_GROUP];

	sqlite3_bind_int64(s, 1, gid);
	store_bind_text(s, 2, name, false);
	sqlite3_bind_int(s, 3, private_group);
	b->stats->groups++;
	return exec_stmt(b, S_INSERT_GROUP);
}

static la_rc insert_user(struct la_batch *b, const struct la_import_user *u,
			 const struct plan *p, const char *id)
{
	sqlite3_stmt *s = b->s[S_INSERT_USER];
	const struct la_config *c = &b->st->cfg;
	char home[LA_FIELD_MAX + 1];
	int64_t now = la_store_now(b->st);

	if (u->home)
		snprintf(home, sizeof(home), "%s", u->home);
	else if (snprintf(home, sizeof(home), "%s/%s", c->home_base, u->username) >=
		 (int)sizeof(home))
		return store_fail(b->st, LA_E_INVAL, "home directory path too long");
	if (!store_valid_path(home) || (u->shell && !store_valid_path(u->shell)))
		return store_fail(b->st, LA_E_INVAL, "home and shell must be absolute paths");
	if (u->gecos && !store_valid_utf8_text(u->gecos, LA_FIELD_MAX, false))
		return store_fail(b->st, LA_E_INVAL, "gecos is not valid UTF-8 text");
	store_bind_text(s, 1, id, false);
	store_bind_text(s, 2, u->username, false);
	store_bind_text(s, 3, u->email, true);
	sqlite3_bind_int64(s, 4, p->uid);
	sqlite3_bind_int64(s, 5, p->gid);
	store_bind_text(s, 6, u->gecos ? u->gecos : "", false);
	store_bind_text(s, 7, home, false);
	store_bind_text(s, 8, u->shell ? u->shell : c->default_shell, false);
	sqlite3_bind_int64(s, 9, now);
	sqlite3_bind_int(s, 10, u->locked);
	sqlite3_bind_int64(s, 11, u->expires_ms);
	sqlite3_bind_int64(s, 12, !u->hash ? 0 : u->password_changed_ms ? u->password_changed_ms : now);
	sqlite3_bind_int(s, 13, u->must_change);
	return exec_stmt(b, S_INSERT_USER);
}

static la_rc insert_key(struct la_batch *b, const char *key_id, const char *user_id,
			const char *hash)
{
	sqlite3_stmt *s = b->s[S_INSERT_KEY];

	store_bind_text(s, 1, key_id, false);
	store_bind_text(s, 2, user_id, false);
	store_bind_text(s, 3, hash, false);
	return exec_stmt(b, S_INSERT_KEY);
}

/* A supplementary group: the store group of that name and gid, or the
 * local group mirrored into the store (same name and gid, as a group that
 * glibc's [SUCCESS=merge] joins with the local one). */
static la_rc add_membership(struct la_batch *b, const struct la_import_user *u, const char *id,
			    const struct la_import_group *g)
{
	const struct la_acct *by_name = store_acct_by_name(&b->sysgr, g->name);
	const struct la_acct *by_gid = store_acct_by_id(&b->sysgr, g->gid);
	bool row = false;
	la_rc rc;

	/* A local group keeps its members where they are: the group file's
	 * member list names the user, who now resolves through NSS.  Copying
	 * it would only make a second, diverging list. */
	if (by_name || by_gid) {
		store_batch_note(b, LA_IMPORT_INFO, u->username, u->line,
				 by_name && by_name->id == g->gid /* two index arrays */
					 ? "membership of the local group '%s' stays in %.200s"
					 : "membership of '%s' not recorded: its name or gid is another "
					   "local group in %.200s",
				 g->name, b->st->cfg.group_file);
		return LA_OK;
	}
	/* Never create a system group (sudo, wheel, adm...) from an import. */
	if (g->gid < b->st->cfg.uid_min) {
		store_batch_note(b, LA_IMPORT_INFO, u->username, u->line,
				 "membership of '%s' not recorded: gid %u is a system gid (below "
				 "uid_min), and system groups are never created by an import",
				 g->name, g->gid);
		return LA_OK;
	}
	rc = store_batch_query(b, S_GROUP_BY_NAME, g->name, 0, &row);
	if (rc == LA_OK && row && (uint32_t)sqlite3_column_int64(b->s[S_GROUP_BY_NAME], 1) != g->gid) {
		store_batch_note(b, LA_IMPORT_INFO, u->username, u->line,
				 "membership of '%s' not recorded: the store group '%s' has gid %lld, "
				 "not %u", g->name, g->name,
				 (long long)sqlite3_column_int64(b->s[S_GROUP_BY_NAME], 1), g->gid);
		return LA_OK;
	}
	if (rc == LA_OK && !row) {
		rc = store_batch_query(b, S_GROUP_BY_GID, NULL, g->gid, &row);
		if (rc == LA_OK && row) {
			store_batch_note(b, LA_IMPORT_INFO, u->username, u->line,
					 "membership of '%s' not recorded: gid %u is the store "
					 "group '%s'", g->name, g->gid, store_batch_col(b, S_GROUP_BY_GID, 0));
			return LA_OK;
		}
		if (rc == LA_OK)
			rc = insert_group(b, g->gid, g->name, false);
		if (rc == LA_OK)
			store_batch_note(b, LA_IMPORT_INFO, g->name, 0,
					 "group '%s' (gid %u) mirrored into the store for its "
					 "imported members", g->name, g->gid);
	}
	if (rc != LA_OK)
		return rc;
	sqlite3_bind_int64(b->s[S_INSERT_MEMBER], 1, g->gid);
	store_bind_text(b->s[S_INSERT_MEMBER], 2, id, false);
	b->stats->memberships++;
	return exec_stmt(b, S_INSERT_MEMBER);
}

/* The further keys (no password): kept unless another user has them. */
static la_rc add_keys(struct la_batch *b, const struct la_import_user *u, const char *id)
{
	bool row = false;
	la_rc rc = LA_OK;

	for (size_t i = 0; rc == LA_OK && i < u->n_keys; i++) {
		rc = store_batch_query(b, S_KEY_OWNER, u->keys[i], 0, &row);
		if (rc == LA_OK && row) {
			store_batch_note(b, LA_IMPORT_INFO, u->username, u->line,
					 "key '%s' not kept: it belongs to another store user",
					 u->keys[i]);
			continue;
		}
		if (rc == LA_OK)
			rc = insert_key(b, u->keys[i], id, NULL);
		if (rc == LA_OK)
			b->stats->keys++;
	}
	return rc;
}

/* Everything of one account, inside the caller's savepoint. */
static la_rc write_user(struct la_batch *b, const struct la_import_user *u, const struct plan *p,
			const char *id)
{
	char key_id[LA_KEY_ID_MAX + 1];
	la_rc rc = LA_OK;

	store_public_changed(b->st);
	if (p->make_group)
		rc = insert_group(b, p->gid, u->username, true);
	else if (p->mirror_group)
		rc = insert_group(b, p->gid, p->mirror_group, false);
	if (rc == LA_OK && p->mirror_group)
		store_batch_note(b, LA_IMPORT_INFO, p->mirror_group, 0,
				 "group '%s' (gid %u) mirrored into the store for its imported "
				 "members", p->mirror_group, p->gid);
	if (rc == LA_OK)
		rc = insert_user(b, u, p, id);
	if (rc == LA_OK && p->uid >= b->st->cfg.uid_min && p->uid < b->st->cfg.uid_max) {
		sqlite3_bind_int64(b->s[S_HWM_RAISE], 1, (int64_t)p->uid + 1);
		rc = exec_stmt(b, S_HWM_RAISE);
	}
	for (size_t i = 0; rc == LA_OK && i < u->n_groups; i++)
		rc = add_membership(b, u, id, &u->groups[i]);
	if (rc == LA_OK && u->hash) {
		snprintf(key_id, sizeof(key_id), "password:%s", u->username);
		rc = insert_key(b, key_id, id, u->hash);
	}
	if (rc == LA_OK)
		rc = add_keys(b, u, id);
	return rc;
}

/* A new Lucia user id, as store_random_string() makes them, but from a
 * pool filled 4 KiB at a time: one getrandom() per ~250 accounts instead
 * of one per character (15 per account) in a bulk import.  Unbiased:
 * bytes >= 252 (7 * 36) are dropped. */
static void random_id(struct la_batch *b, char id[LA_USER_ID_LEN + 1])
{
	static const char alpha[] = LA_ALPHA_LUCIA;
	const unsigned int n = sizeof(alpha) - 1, limit = 256 - 256 % n;

	for (size_t i = 0; i < LA_USER_ID_LEN;) {
		unsigned char c;

		if (b->pool_used == sizeof(b->pool)) {
			randombytes_buf(b->pool, sizeof(b->pool));
			b->pool_used = 0;
		}
		c = b->pool[b->pool_used++];
		if (c < limit)
			id[i++] = alpha[c % n];
	}
	id[LA_USER_ID_LEN] = '\0';
}

static bool store_failure(la_rc rc)
{
	return rc == LA_E_DB || rc == LA_E_IO || rc == LA_E_BUSY || rc == LA_E_NOMEM ||
	       rc == LA_E_CORRUPT || rc == LA_E_PERM || rc == LA_E_INTERNAL;
}

la_rc store_batch_user(struct la_batch *b, const struct la_import_user *u)
{
	struct plan p = { .uid = 0 };
	enum verdict v = V_GO;
	char id[LA_USER_ID_LEN + 1];
	size_t groups_before = b->stats->groups, members_before = b->stats->memberships;
	size_t keys_before = b->stats->keys;
	la_rc rc = store_batch_check(b, u, &p, &v);

	if (rc != LA_OK)
		return rc;
	if (v != V_GO) {
		store_batch_note(b, v == V_UNCHANGED ? LA_IMPORT_UNCHANGED : LA_IMPORT_SKIPPED,
				 u->username, u->line, "%s", p.why);
		return LA_OK;
	}
	if (u->id)
		snprintf(id, sizeof(id), "%s", u->id);
	else
		random_id(b, id);
	rc = exec_stmt(b, S_SAVEPOINT);
	if (rc == LA_OK)
		rc = write_user(b, u, &p, id);
	if (rc == LA_OK)
		rc = exec_stmt(b, S_RELEASE);
	if (rc == LA_OK) {
		b->stats->no_password += !u->hash;
		b->stats->locked += u->locked;
		store_batch_note(b, LA_IMPORT_ADDED, u->username, u->line, "uid %u, gid %u%s%s",
				 p.uid, p.gid, u->hash ? "" : ", no password",
				 u->locked ? ", locked" : "");
		return LA_OK;
	}
	/* MUST 1: nothing of this account stays. */
	b->stats->groups = groups_before;
	b->stats->memberships = members_before;
	b->stats->keys = keys_before;
	snprintf(p.why, sizeof(p.why), "%s", b->st->errmsg);
	(void)exec_stmt(b, S_ROLLBACK_TO);
	(void)exec_stmt(b, S_RELEASE);
	if (store_failure(rc))
		return store_fail(b->st, rc, "%s", p.why);
	store_batch_note(b, LA_IMPORT_SKIPPED, u->username, u->line, "%s", p.why);
	return LA_OK;
}

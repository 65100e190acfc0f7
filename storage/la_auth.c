/*
 * la_auth.c - signing in (Lucia useKey + lockout), account state, sign-up.
 *
 * MUST:
 *  1. While a user is locked out the password is not even checked.
 *  2. Failures and successes are counted inside one write transaction that
 *     re-reads the counters, so concurrent sign-ins lose no update; a
 *     success that finds the user locked meanwhile still fails.
 *  3. An unknown user or key costs one hash verification like a known one.
 *  4. The slow hash runs outside any transaction, so sign-ins of different
 *     users run in parallel.
 *  5. A key without a hash is accepted only with no password, and never
 *     for the provider "password".
 *  6. No more passwords of a user are checked than the lockout allows:
 *     before the slow hash, a sign-in takes one of the user's
 *     deny - failures slots (a row in auth_pending), or waits for one, or
 *     gets LOCKED without a check once the lock is set.  So N concurrent
 *     wrong passwords cost exactly deny checks, and concurrent right ones
 *     never lock (they only queue).  A slot whose process died counts as
 *     a failure once it is older than LA_PENDING_STALE_MS.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "la_int.h"

static const char SQL_KEY_HASH[] =
	"SELECT user_id, hashed_password FROM auth_keys WHERE id = ?1";
static const char SQL_LOCKOUT_GET[] = "SELECT locked_until FROM lockout WHERE user_id = ?1";
static const char SQL_LOCKOUT_PUT[] =
	"INSERT INTO lockout (user_id, locked_until) VALUES (?1, ?2)"
	" ON CONFLICT(user_id) DO UPDATE SET locked_until = ?2";
static const char SQL_LOCKOUT_CLEAR[] = "DELETE FROM lockout WHERE user_id = ?1";
/* ?2 = the oldest failure that still counts, ?3 = now. */
static const char SQL_FAILURES_PRUNE[] = "DELETE FROM auth_failures WHERE user_id = ?1 AND at < ?2";
static const char SQL_FAILURE_INSERT[] = "INSERT INTO auth_failures (user_id, at) VALUES (?1, ?2)";
static const char SQL_FAILURE_COUNT[] = "SELECT count(*) FROM auth_failures WHERE user_id = ?1";
static const char SQL_FAILURES_CLEAR[] = "DELETE FROM auth_failures WHERE user_id = ?1";
static const char SQL_PENDING_ADD[] = "INSERT INTO auth_pending (user_id, at) VALUES (?1, ?2)";
static const char SQL_PENDING_COUNT[] = "SELECT count(*) FROM auth_pending WHERE user_id = ?1";
static const char SQL_PENDING_DEL[] = "DELETE FROM auth_pending WHERE rowid = ?2 AND user_id = ?1";
/* Dead processes' slots become failures (MUST 6), at their own time. */
static const char SQL_PENDING_TO_FAILURES[] =
	"INSERT INTO auth_failures (user_id, at)"
	" SELECT user_id, at FROM auth_pending WHERE user_id = ?1 AND at < ?2";
static const char SQL_PENDING_STALE_DEL[] =
	"DELETE FROM auth_pending WHERE user_id = ?1 AND at < ?2";
/* Run twice, a write that changes nothing in the end.  Once would not do:
 * SQLite does not rewrite a row that stays the same. */
static const char SQL_FAILURE_NOUSER[] =
	"UPDATE schema_version SET applied = -applied"
	" WHERE rowid = (SELECT max(rowid) FROM schema_version)";
static const char SQL_REHASH[] =
	"UPDATE auth_keys SET hashed_password = ?2 WHERE id = ?1 AND hashed_password = ?3";

struct attempt {
	char key_id[LA_KEY_ID_MAX + 1];
	char hash[LA_HASH_MAX];
	bool has_hash;
	bool ok;
	char new_hash[LA_HASH_MAX]; /* "" unless a rehash is due */
};

/* Resolve ident to a user and a key id.  NOUSER/NOKEY when unknown. */
static la_rc resolve(struct la_store *st, enum la_ident how, const char *ident,
		     struct la_user *u, struct attempt *a)
{
	la_rc rc;

	if (!ident)
		return LA_E_NOUSER;
	switch (how) {
	case LA_IDENT_USERNAME:
		rc = la_user_by_name(st, ident, u);
		break;
	case LA_IDENT_EMAIL:
		rc = la_user_by_email(st, ident, u);
		break;
	case LA_IDENT_KEY:
		if (strlen(ident) > LA_KEY_ID_MAX || !strchr(ident, ':'))
			return LA_E_NOKEY;
		snprintf(a->key_id, sizeof(a->key_id), "%s", ident);
		return LA_OK;
	default:
		return LA_E_INVAL;
	}
	if (rc == LA_OK)
		snprintf(a->key_id, sizeof(a->key_id), "password:%s", u->username);
	return rc;
}

/* Read the key's hash and, for a key id, its user. */
static la_rc load_key(struct la_store *st, enum la_ident how, struct la_user *u,
		      struct attempt *a)
{
	sqlite3_stmt *s = store_stmt(st, SQL_KEY_HASH);
	char user_id[LA_USER_ID_LEN + 1] = "";
	la_rc rc = LA_OK;
	int r;

	if (!s)
		return LA_E_DB;
	store_bind_text(s, 1, a->key_id, false);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		store_col_text(s, 0, user_id, sizeof(user_id));
		a->has_hash = sqlite3_column_type(s, 1) != SQLITE_NULL;
		store_col_text(s, 1, a->hash, sizeof(a->hash));
	} else if (r == SQLITE_DONE) {
		rc = LA_E_NOKEY;
	} else {
		rc = store_db_fail(st, r, "key lookup");
	}
	store_stmt_done(s);
	if (rc == LA_OK && how == LA_IDENT_KEY)
		rc = la_user_by_id(st, user_id, u);
	return rc;
}

static la_rc verify(struct la_store *st, const char *password, struct attempt *a)
{
	bool rehash = false;
	la_rc rc;

	if (!a->has_hash) {
		a->ok = password == NULL && strncmp(a->key_id, "password:", 9) != 0;
		return LA_OK;
	}
	if (!password || !*password)
		return LA_OK; /* Lucia: a password key needs a password */
	rc = store_verify(st, password, a->hash, &rehash);
	if (rc == LA_E_AUTH)
		return LA_OK;
	if (rc != LA_OK)
		return rc;
	a->ok = true;
	if (rehash && store_hash(st, password, a->new_hash) != LA_OK)
		a->new_hash[0] = '\0'; /* keep the old hash; sign-in still succeeds */
	return LA_OK;
}

/* Run sql with ?1 = user_id and, if it has one, ?2 = v. */
static la_rc exec_user(struct la_store *st, const char *sql, const char *user_id, int64_t v)
{
	sqlite3_stmt *s = store_stmt(st, sql);

	if (!s)
		return LA_E_DB;
	store_bind_text(s, 1, user_id, false);
	if (sqlite3_bind_parameter_count(s) >= 2)
		sqlite3_bind_int64(s, 2, v);
	return store_step_done(st, s, "lockout");
}

/* exec_user for a lockout slot row: counted as scratch, so that a handle
 * that changed nothing else skips the checkpoint at close (la_db.c). */
static la_rc exec_slot(struct la_store *st, const char *sql, const char *user_id, int64_t v)
{
	la_rc rc = exec_user(st, sql, user_id, v);

	if (rc == LA_OK)
		st->scratch_changes += sqlite3_changes64(st->db);
	return rc;
}

/* One-value query with ?1 = user_id; 0 when there is no row. */
static la_rc query_user(struct la_store *st, const char *sql, const char *user_id, int64_t *v)
{
	sqlite3_stmt *s = store_stmt(st, sql);
	int r;

	*v = 0;
	if (!s)
		return LA_E_DB;
	store_bind_text(s, 1, user_id, false);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*v = sqlite3_column_int64(s, 0);
	store_stmt_done(s);
	return r == SQLITE_ROW || r == SQLITE_DONE ? LA_OK : store_db_fail(st, r, "lockout");
}

/* Record a failure; lock when deny failures fall inside fail_interval.  The
 * failures that caused a lock are spent when it ends, so the first failure
 * after a lock starts a new count. */
static la_rc count_failure(struct la_store *st, const char *user_id, int64_t until, int64_t now)
{
	int64_t n = 0;
	la_rc rc = LA_OK;

	if (until && until <= now) {
		rc = exec_user(st, SQL_FAILURES_CLEAR, user_id, 0);
		if (rc == LA_OK)
			rc = exec_user(st, SQL_LOCKOUT_CLEAR, user_id, 0);
	}
	if (rc == LA_OK)
		rc = exec_user(st, SQL_FAILURES_PRUNE, user_id, now - st->cfg.fail_interval_ms);
	if (rc == LA_OK)
		rc = exec_user(st, SQL_FAILURE_INSERT, user_id, now);
	if (rc == LA_OK)
		rc = query_user(st, SQL_FAILURE_COUNT, user_id, &n);
	if (rc == LA_OK && st->cfg.deny && n >= st->cfg.deny)
		rc = exec_user(st, SQL_LOCKOUT_PUT, user_id, now + st->cfg.unlock_time_ms);
	return rc;
}

/* MUST 3, the part after the hash: a wrong password costs two write
 * transactions -- the slot (MUST 6, reserve) and the failure counter
 * (record) -- whose commits and, when the connection closes, WAL
 * checkpoint (fdatasync) are a measurable part of a failed sign-in
 * (bench/run-timing.sh).  An unknown name runs the same reads on an id no
 * user has and as many write transactions that change nothing in the end.
 * Their own errors (a read-only store) do not change the answer. */
static la_rc slot_housekeeping(struct la_store *st, const char *user_id, int64_t now,
			       int64_t *until);

static void unknown_tx(struct la_store *st, bool as_reserve)
{
	static const char nobody[] = "";
	int64_t now = la_store_now(st), until = 0, n = 0;
	sqlite3_stmt *s;
	la_rc rc = store_begin(st);

	if (rc != LA_OK)
		return;
	if (as_reserve)
		rc = slot_housekeeping(st, nobody, now, &until);
	else
		rc = query_user(st, SQL_LOCKOUT_GET, nobody, &until);
	if (rc == LA_OK && !as_reserve)
		rc = exec_user(st, SQL_FAILURES_PRUNE, nobody, now - st->cfg.fail_interval_ms);
	for (int i = 0; i < 2 && rc == LA_OK; i++) {
		s = store_stmt(st, SQL_FAILURE_NOUSER);
		rc = s ? store_step_done(st, s, "lockout") : LA_E_DB;
	}
	if (rc == LA_OK)
		rc = query_user(st, SQL_FAILURE_COUNT, nobody, &n);
	if (rc == LA_OK && as_reserve)
		rc = query_user(st, SQL_PENDING_COUNT, nobody, &n);
	if (rc == LA_OK)
		rc = store_commit(st);
	if (rc != LA_OK)
		store_rollback(st);
}

static void record_unknown(struct la_store *st)
{
	if (st->cfg.deny)
		unknown_tx(st, true);
	unknown_tx(st, false);
}

static la_rc record_success(struct la_store *st, const char *user_id, const struct attempt *a)
{
	sqlite3_stmt *s;
	la_rc rc = exec_user(st, SQL_LOCKOUT_CLEAR, user_id, 0);

	if (rc == LA_OK)
		rc = exec_user(st, SQL_FAILURES_CLEAR, user_id, 0);
	if (rc != LA_OK || !a->new_hash[0])
		return rc;
	s = store_stmt(st, SQL_REHASH);
	if (!s)
		return LA_E_DB;
	store_bind_text(s, 1, a->key_id, false);
	store_bind_text(s, 2, a->new_hash, false);
	/* Unless the password was changed while we were hashing. */
	store_bind_text(s, 3, a->hash, false);
	return store_step_done(st, s, "rehash");
}

/* MUST 2: one transaction re-reads the counters and records the result,
 * and gives back the slot (MUST 6). */
static la_rc record(struct la_store *st, const struct la_user *u, const struct attempt *a,
		    int64_t slot)
{
	int64_t now = la_store_now(st), until = 0;
	la_rc rc, result = a->ok ? LA_OK : LA_E_AUTH;

	rc = store_begin(st);
	if (rc != LA_OK)
		return rc;
	if (slot)
		rc = exec_slot(st, SQL_PENDING_DEL, u->id, slot);
	if (rc == LA_OK)
		rc = query_user(st, SQL_LOCKOUT_GET, u->id, &until);
	if (rc == LA_OK && st->cfg.deny && until > now)
		result = LA_E_LOCKED;
	else if (rc == LA_OK && a->ok)
		rc = record_success(st, u->id, a);
	else if (rc == LA_OK)
		rc = count_failure(st, u->id, until, now);
	if (rc == LA_OK)
		rc = store_commit(st);
	else
		store_rollback(st);
	return rc != LA_OK ? rc : result;
}

/* ---- MUST 6: slots for password checks under way --------------------- */

#define LA_PENDING_STALE_MS (60 * 1000)   /* no check takes this long */
#define LA_PENDING_WAIT_MS (30 * 1000)    /* give up waiting for a slot */

/* Inside a transaction: end an expired lock (its failures are spent, as in
 * count_failure), turn dead slots into failures, forget old failures.
 * *until is the lock in force (0 = none). */
static la_rc slot_housekeeping(struct la_store *st, const char *user_id, int64_t now,
			       int64_t *until)
{
	la_rc rc = query_user(st, SQL_LOCKOUT_GET, user_id, until);

	if (rc == LA_OK && *until && *until <= now) {
		*until = 0;
		rc = exec_user(st, SQL_FAILURES_CLEAR, user_id, 0);
		if (rc == LA_OK)
			rc = exec_user(st, SQL_LOCKOUT_CLEAR, user_id, 0);
	}
	if (rc == LA_OK)
		rc = exec_user(st, SQL_PENDING_TO_FAILURES, user_id, now - LA_PENDING_STALE_MS);
	if (rc == LA_OK)
		rc = exec_slot(st, SQL_PENDING_STALE_DEL, user_id, now - LA_PENDING_STALE_MS);
	if (rc == LA_OK)
		rc = exec_user(st, SQL_FAILURES_PRUNE, user_id, now - st->cfg.fail_interval_ms);
	return rc;
}

/* One try: *slot = the new row's id, or 0 when every slot is taken. */
static la_rc try_reserve(struct la_store *st, const char *user_id, int64_t *slot)
{
	int64_t now = la_store_now(st), until = 0, n_fail = 0, n_pend = 0;
	la_rc rc = store_begin(st), result = LA_OK;

	*slot = 0;
	if (rc != LA_OK)
		return rc;
	rc = slot_housekeeping(st, user_id, now, &until);
	if (rc == LA_OK && until > now)
		result = LA_E_LOCKED;
	if (rc == LA_OK && !until)
		rc = query_user(st, SQL_FAILURE_COUNT, user_id, &n_fail);
	if (rc == LA_OK && !until)
		rc = query_user(st, SQL_PENDING_COUNT, user_id, &n_pend);
	if (rc == LA_OK && !until && n_fail >= (int64_t)st->cfg.deny) {
		/* Dead slots just made up the count. */
		rc = exec_user(st, SQL_LOCKOUT_PUT, user_id, now + st->cfg.unlock_time_ms);
		result = LA_E_LOCKED;
	} else if (rc == LA_OK && !until && n_fail + n_pend < (int64_t)st->cfg.deny) {
		rc = exec_slot(st, SQL_PENDING_ADD, user_id, now);
		*slot = sqlite3_last_insert_rowid(st->db);
	}
	if (rc == LA_OK)
		rc = store_commit(st);
	else
		store_rollback(st);
	if (rc != LA_OK)
		*slot = 0;
	return rc != LA_OK ? rc : result;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Take a slot, waiting while the checks under way decide whether the user
 * gets locked.  LA_OK (*slot set), LOCKED, BUSY, or a store error. */
static la_rc reserve(struct la_store *st, const char *user_id, int64_t *slot)
{
	int64_t start = mono_ms();
	long nap_ns = 2 * 1000 * 1000;

	for (;;) {
		la_rc rc = try_reserve(st, user_id, slot);

		if (rc != LA_OK || *slot)
			return rc;
		if (mono_ms() - start > LA_PENDING_WAIT_MS)
			return store_fail(st, LA_E_BUSY, "too many sign-ins of one user under way");
		nanosleep(&(struct timespec){ .tv_nsec = nap_ns }, NULL);
		if (nap_ns < 32 * 1000 * 1000)
			nap_ns *= 2;
	}
}

/* Give a slot back when no result is recorded (the check itself failed). */
static void release(struct la_store *st, const char *user_id, int64_t slot)
{
	/* If even that fails, the leftover slot turns into one failure
	 * later: fail closed. */
	if (slot)
		(void)exec_slot(st, SQL_PENDING_DEL, user_id, slot);
}

static void wipe_attempt(struct attempt *a)
{
	sodium_memzero(a, sizeof(*a));
}

la_rc la_authenticate(struct la_store *st, enum la_ident how, const char *ident,
		      const char *password, struct la_user *out)
{
	struct attempt a;
	int64_t slot = 0;
	la_rc rc;

	store_clear_error(st);
	memset(&a, 0, sizeof(a));
	rc = resolve(st, how, ident, out, &a);
	if (rc == LA_OK)
		rc = load_key(st, how, out, &a);
	if (rc == LA_E_NOUSER || rc == LA_E_NOKEY) {
		if (password) {
			store_verify_dummy(st, password); /* MUST 3 */
			record_unknown(st);
		}
		rc = store_fail(st, rc, "unknown user or key");
		goto out;
	}
	if (rc != LA_OK)
		goto out;
	if (a.has_hash && st->cfg.deny && out->locked_until_ms > la_store_now(st)) {
		rc = store_fail(st, LA_E_LOCKED, "too many failed sign-ins"); /* MUST 1 */
		goto out;
	}
	if (a.has_hash && st->cfg.deny) {
		rc = reserve(st, out->id, &slot); /* MUST 6 */
		if (rc == LA_E_LOCKED)
			store_fail(st, rc, "too many failed sign-ins");
		if (rc != LA_OK)
			goto out;
	}
	rc = verify(st, password, &a);
	if (rc != LA_OK) {
		release(st, out->id, slot);
		goto out;
	}
	rc = a.has_hash ? record(st, out, &a, slot) : (a.ok ? LA_OK : LA_E_AUTH);
	if (rc == LA_OK && a.has_hash)
		rc = la_user_by_id(st, out->id, out); /* counters were just cleared */
	if (rc == LA_E_AUTH)
		store_fail(st, rc, "wrong password");
	else if (rc == LA_E_LOCKED)
		store_fail(st, rc, "too many failed sign-ins");
out:
	wipe_attempt(&a);
	return rc;
}

la_rc la_account_check(struct la_store *st, const struct la_user *u)
{
	if (u->locked)
		return store_fail(st, LA_E_DISABLED, "account '%s' is locked", u->username);
	if (u->expires_ms && la_store_now(st) > u->expires_ms)
		return store_fail(st, LA_E_EXPIRED, "account '%s' has expired", u->username);
	if (u->must_change)
		return store_fail(st, LA_E_MUST_CHANGE, "password of '%s' must be changed",
				  u->username);
	return LA_OK;
}

la_rc la_login(struct la_store *st, enum la_ident how, const char *ident, const char *password,
	       const struct la_origin *origin, char token[LA_TOKEN_BUF],
	       struct la_session *session, struct la_user *user)
{
	la_rc rc = la_authenticate(st, how, ident, password, user);

	if (rc == LA_OK) {
		rc = la_account_check(st, user);
		if (rc == LA_E_MUST_CHANGE) /* shown to the caller via user->must_change */
			rc = LA_OK;
	}
	if (rc == LA_OK)
		rc = la_session_create(st, user->id, origin, token, session);
	return rc;
}

la_rc la_signup(struct la_store *st, const char *username, const char *email,
		const char *password, const struct la_origin *origin, char token[LA_TOKEN_BUF],
		struct la_session *session, struct la_user *user)
{
	struct la_user_spec spec = {
		.username = username,
		.email = email,
		.shell = st->cfg.signup_shell,
	};
	char hash[LA_HASH_MAX] = "";
	la_rc rc;

	store_clear_error(st);
	if (!st->cfg.signup_open)
		return store_fail(st, LA_E_SIGNUP_CLOSED, "sign-up is closed (signup = closed)");
	if (!la_valid_username(username))
		return store_fail(st, LA_E_INVAL,
				  "invalid user name (^[a-z_][a-z0-9_-]*$, at most %d characters)",
				  LA_NAME_MAX);
	rc = la_password_policy(st, username, password, NULL);
	if (rc == LA_OK)
		rc = store_hash(st, password, hash);
	if (rc == LA_OK)
		rc = store_begin(st);
	if (rc != LA_OK)
		goto out;
	rc = store_user_insert(st, &spec, hash, user);
	if (rc == LA_OK)
		rc = la_session_create(st, user->id, origin, token, session);
	if (rc == LA_OK)
		rc = store_commit(st);
	else
		store_rollback(st);
	if (rc != LA_OK)
		sodium_memzero(token, LA_TOKEN_BUF);
out:
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

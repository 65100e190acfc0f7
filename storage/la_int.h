/*
 * la_int.h - internals of libluciaauth, shared by the files of storage/ only.
 */
#ifndef LA_INT_H
#define LA_INT_H

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>

#include "luciaauth.h"

#define LA_HIDDEN __attribute__((visibility("hidden")))
#define LA_PRINTF(a, b) __attribute__((format(printf, a, b)))

#define LA_STMT_CACHE 64
#define LA_SCHEMA_VERSION 2
#define LA_DB_NAME "luciaauth.db"

struct la_stmt_slot {
	const char *sql; /* address of a static string: the cache key */
	sqlite3_stmt *stmt;
};

struct la_store {
	struct la_config cfg;
	sqlite3 *db;
	char errmsg[512];
	la_clock_fn clock;
	void *clock_ctx;
	struct la_stmt_slot stmts[LA_STMT_CACHE];
	char dummy_hash[LA_HASH_MAX]; /* "" until first needed */
	bool public_dirty;            /* publish the snapshot at the next commit */
	int64_t scratch_changes;      /* rows changed for lockout slots only */
};

/* Record a failure detail on st and return rc (st may be NULL). */
LA_HIDDEN la_rc store_fail(struct la_store *st, la_rc rc, const char *fmt, ...) LA_PRINTF(3, 4);
/* Map a SQLite result code to la_rc, recording what failed and SQLite's
 * message (which never contains bound values). */
LA_HIDDEN la_rc store_db_fail(struct la_store *st, int sqlite_rc, const char *what);
LA_HIDDEN void store_clear_error(struct la_store *st);

/* Cached prepared statement for a static SQL string, reset and unbound.
 * NULL on failure (error recorded).  Call store_stmt_done() after use. */
LA_HIDDEN sqlite3_stmt *store_stmt(struct la_store *st, const char *sql);
LA_HIDDEN void store_stmt_done(sqlite3_stmt *stmt);

/* Step through the rows of s, calling row(s, ctx) for each until it
 * returns non-zero; resets s.  The list functions' iteration. */
typedef int (*store_row_fn)(sqlite3_stmt *s, void *ctx);
LA_HIDDEN la_rc store_each(struct la_store *st, sqlite3_stmt *s, store_row_fn row, void *ctx,
			   const char *what);
/* Does the statement sql, with ?1 bound to arg (text) or else iarg, return
 * a row? */
LA_HIDDEN la_rc store_exists(struct la_store *st, const char *sql, const char *arg, int64_t iarg,
			     bool *found);
/* The transaction under way changes public data: store_commit() will
 * publish the NSS snapshot after it commits. */
LA_HIDDEN void store_public_changed(struct la_store *st);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
LA_HIDDEN la_rc store_begin(struct la_store *st);
LA_HIDDEN la_rc store_commit(struct la_store *st);
LA_HIDDEN void store_rollback(struct la_store *st);
/* Run a statement that returns no rows; rc of the step mapped. */
LA_HIDDEN la_rc store_step_done(struct la_store *st, sqlite3_stmt *stmt, const char *what);

/* Bind helpers: NULL or "" text binds SQL NULL when null_empty. */
LA_HIDDEN int store_bind_text(sqlite3_stmt *stmt, int idx, const char *s, bool null_empty);
/* Copy column text into a fixed buffer ("" for NULL). */
LA_HIDDEN void store_col_text(sqlite3_stmt *stmt, int col, char *dst, size_t dstlen);

/* Schema creation and migrations (la_schema.c). */
LA_HIDDEN la_rc store_schema_apply(struct la_store *st);

/* Random string of n chars from alphabet (libsodium), NUL-terminated. */
LA_HIDDEN void store_random_string(char *out, size_t n, const char *alphabet);
#define LA_ALPHA_LUCIA "abcdefghijklmnopqrstuvwxyz0123456789"
#define LA_ALPHA_BASE32 "abcdefghijkmnpqrstuvwxyz23456789"

/* luciaauthd's http_* keys (la_config_http.c); *known = false if not one. */
LA_HIDDEN void store_config_http_defaults(struct la_config *c);
LA_HIDDEN la_rc store_config_http_set(struct la_config *c, const char *key, const char *value,
				      bool *known);

/* Validation helpers (la_util.c). */
LA_HIDDEN bool store_valid_utf8_text(const char *s, size_t max_bytes, bool allow_colon);
LA_HIDDEN bool store_valid_email(const char *s);
LA_HIDDEN bool store_valid_path(const char *s);
/* Is name (or the id, when non-zero) in the system passwd / group file?
 * LA_E_IO when the file cannot be read (fail closed). */
LA_HIDDEN la_rc store_system_user(struct la_store *st, const char *name, uint32_t uid,
				  bool *found);
LA_HIDDEN la_rc store_system_group(struct la_store *st, const char *name, uint32_t gid,
				   bool *found, uint32_t *gid_out);

/* Password hashing internals (la_hash.c). */
/* NFKC-normalise a UTF-8 password into a sodium_malloc'd buffer; the caller
 * frees it with sodium_free().  LA_E_POLICY for invalid UTF-8. */
LA_HIDDEN la_rc store_nfkc(const char *in, char **out, size_t *out_len);
/* Hash with the store's configured cost. */
LA_HIDDEN la_rc store_hash(struct la_store *st, const char *password, char out[LA_HASH_MAX]);
/* Verify with the store's cost; LA_OK or LA_E_AUTH. */
LA_HIDDEN la_rc store_verify(struct la_store *st, const char *password, const char *hash,
			     bool *needs_rehash);
/* The same work as verifying a real Argon2id hash, always fails. */
LA_HIDDEN void store_verify_dummy(struct la_store *st, const char *password);
/* Classify a stored hash; for HASH_SCRYPT fill *lh with pointers into
 * hash.  Pure, no KDF: the fuzz target fuzz/fuzz_hash.c calls it. */
enum store_hash_kind { HASH_BAD, HASH_ARGON2ID, HASH_SCRYPT, HASH_CRYPT };
struct store_lucia_hash {
	const char *salt; /* used as its ASCII bytes, as Lucia did */
	size_t salt_len;
	const char *hex; /* hex(scrypt key), NUL-terminated */
	uint32_t r;	 /* 16 for "s2:", 8 for the legacy v1 form */
};
LA_HIDDEN enum store_hash_kind store_hash_parse(const char *hash, struct store_lucia_hash *lh);

/* Session tokens (la_session.c), pure functions (fuzz/fuzz_token.c):
 * "<id>.<secret>" -> row key; a public id of exactly 12 base32 letters ->
 * row key; row key -> public id. */
LA_HIDDEN bool store_token_parse(const char *token, int64_t *id);
LA_HIDDEN bool store_session_id_decode(const char *s, int64_t *v);
LA_HIDDEN void store_session_id_encode(int64_t v, char out[LA_SESSION_ID_LEN + 1]);

/* The body of la_config_load() on an open stream (fuzz/fuzz_config.c
 * feeds it from memory); path only names it in messages. */
LA_HIDDEN la_rc store_config_read(struct la_config *c, FILE *f, const char *path, char *err,
				  size_t errlen);

/* Users (la_user.c) for the other files. */
LA_HIDDEN la_rc store_user_row(struct la_store *st, const char *where_sql, const char *arg,
			       int64_t iarg, struct la_user *out);
LA_HIDDEN la_rc store_user_insert(struct la_store *st, const struct la_user_spec *spec,
				  const char *hash, struct la_user *out);
/* Ids shared by uids and gids (la_user.c): is id free in the store (and,
 * unless store_only, in the system files); the next free one; remember the
 * last allocated one; retire the id of a deleted user or group for good. */
LA_HIDDEN la_rc store_id_free(struct la_store *st, uint32_t id, bool store_only, bool *free_out);
LA_HIDDEN la_rc store_id_allocate(struct la_store *st, uint32_t *out);
LA_HIDDEN la_rc store_id_mark(struct la_store *st, uint32_t id, bool allocated);
LA_HIDDEN la_rc store_id_retire(struct la_store *st, uint32_t id);
/* Replace the supplementary groups of user_id by names (la_group.c). */
LA_HIDDEN la_rc store_member_set(struct la_store *st, const char *user_id,
				 const char *const *names, size_t n);
LA_HIDDEN la_rc store_key_set_hash(struct la_store *st, const char *user_id, const char *key_id,
				   const char *hash);

/* The header of the snapshot la_snapshot_publish() would write now
 * (published_ms aside), without writing anything (la_snapshot.c). */
struct la_snap_header;
LA_HIDDEN la_rc store_snapshot_expect(struct la_store *st, struct la_snap_header *h);

#endif /* LA_INT_H */

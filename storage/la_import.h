/*
 * la_import.h - internals of the importers (storage/ only, and the tests
 * and fuzz targets that link libluciaauth_core statically).
 *
 * Three layers:
 *  1. Line parsers for passwd, shadow and group lines: pure functions over
 *     a buffer (no allocation, no I/O, no global state), so that a fuzz
 *     target can call them directly.  Fields are slices of the input.
 *  2. Account files read whole into memory and indexed (sorted arrays),
 *     so that a bulk import never rescans /etc/passwd per account.
 *  3. The batch: one write transaction for the whole import, each account
 *     inside its own SAVEPOINT (all of an account or nothing of it), one
 *     commit and one NSS snapshot publish at the end; a dry run rolls the
 *     whole transaction back, so it reports exactly what a real run would
 *     do.
 */
#ifndef LA_IMPORT_H
#define LA_IMPORT_H

#include "la_int.h"

/* ---- 1. line parsers ------------------------------------------------ */
struct la_field {
	const char *p; /* into the caller's buffer, not NUL-terminated */
	size_t len;
};

struct la_pw_rec {
	struct la_field name, gecos, home, shell;
	uint32_t uid, gid;
};

struct la_sp_rec {
	struct la_field name, hash;
	int64_t lastchg_days; /* -1 when empty */
	int64_t expire_days;  /* -1 when empty (never) */
};

struct la_gr_rec {
	struct la_field name, members; /* members: "a,b,c" */
	uint32_t gid;
};

/* Parse one line (without its '\n'; a trailing '\r' is refused) of
 * passwd(5) / shadow(5) / group(5).  LA_OK, or LA_E_INVAL with *why set to
 * a static English reason ("7 fields expected", "uid is not a number",
 * ...).  Names are not checked against the Debian rule here (that is a
 * policy of the importer, not a syntax error); NUL bytes, control
 * characters and empty names are refused.  Never reads past line + len. */
LA_HIDDEN la_rc store_parse_passwd(const char *line, size_t len, struct la_pw_rec *out,
				   const char **why);
LA_HIDDEN la_rc store_parse_shadow(const char *line, size_t len, struct la_sp_rec *out,
				   const char **why);
LA_HIDDEN la_rc store_parse_group(const char *line, size_t len, struct la_gr_rec *out,
				  const char **why);
/* Next member of a group's member list: *pos starts at 0; false at the end.
 * Empty members ("a,,b") are skipped. */
LA_HIDDEN bool store_group_member_next(const struct la_field *members, size_t *pos,
				       struct la_field *out);
/* Copy a field into a NUL-terminated buffer; false when it does not fit. */
LA_HIDDEN bool store_field_copy(const struct la_field *f, char *dst, size_t dstlen);
/* Is hash a password hash this library can verify (Argon2id, Lucia
 * scrypt "s2:salt:hex" / "salt:hex", or a crypt(3) string libxcrypt
 * accepts)?  Used to reject garbage before it is stored. */
LA_HIDDEN bool store_hash_importable(const char *hash);

/* ---- 2. account files ----------------------------------------------- */
struct la_acct {
	const char *name; /* NUL-terminated, inside the file's buffer */
	uint32_t id;      /* uid (passwd) or gid (group) */
	size_t line;      /* 1-based line number */
	size_t rec;       /* index into the file's record array */
};

struct la_acctfile {
	char *buf;                 /* the whole file; lines NUL-terminated */
	struct la_acct *by_name;   /* sorted by name */
	struct la_acct *by_id;     /* sorted by id */
	size_t n;
};

enum la_acct_kind { LA_ACCT_PASSWD, LA_ACCT_GROUP };

/* Read path (O_NOFOLLOW) whole and index the names and ids of its valid
 * lines; malformed lines are ignored (the system files are not ours to
 * judge).  A missing file is an empty set when missing_ok. */
LA_HIDDEN la_rc store_acctfile_load(struct la_store *st, const char *path, enum la_acct_kind kind,
				    bool missing_ok, struct la_acctfile *f);
LA_HIDDEN void store_acctfile_free(struct la_acctfile *f);
LA_HIDDEN const struct la_acct *store_acct_by_name(const struct la_acctfile *f, const char *name);
LA_HIDDEN const struct la_acct *store_acct_by_id(const struct la_acctfile *f, uint32_t id);

/* Read a whole file (O_NOFOLLOW|O_CLOEXEC, at most 1 GiB) into a
 * malloc'd, NUL-terminated buffer.  LA_E_NOTFOUND when it does not exist. */
LA_HIDDEN la_rc store_read_file(struct la_store *st, const char *path, char **buf, size_t *len);

/* ---- 3. the batch --------------------------------------------------- */
struct la_batch;

struct la_import_group {
	const char *name;
	uint32_t gid;
};

/* One account to adopt. */
struct la_import_user {
	const char *id;            /* Lucia user id to keep, or NULL = new */
	const char *username;
	const char *email;         /* NULL = none */
	uint32_t uid;              /* 0 = allocate in uid_min..uid_max */
	uint32_t gid;              /* 0 = a private group with gid = uid */
	const char *gid_name;      /* name of gid in the source's group file */
	const char *gecos, *home, *shell; /* NULL = "" / home_base/name / default_shell */
	const char *hash;          /* key password:<username>, NULL = none */
	bool locked;
	int64_t expires_ms;        /* 0 = never */
	bool must_change;
	int64_t password_changed_ms; /* 0 = now (when hash is set) */
	const struct la_import_group *groups; /* supplementary (mirrored if missing) */
	size_t n_groups;
	const char *const *keys;   /* further keys without a password */
	size_t n_keys;
	size_t line;               /* where it came from, for notes (0 = none) */
};

LA_HIDDEN la_rc store_batch_begin(struct la_store *st, const struct la_import_opts *o,
				  struct la_import_stats *stats, struct la_batch **out);
/* Adopt one account.  LA_OK when it was added, found already imported, or
 * skipped for a reason (each reported through the note callback and
 * counted); other codes are failures of the store, which end the batch. */
LA_HIDDEN la_rc store_batch_user(struct la_batch *b, const struct la_import_user *u);
/* Report a record that was not even considered (bad line, duplicate):
 * counted as rejected. */
LA_HIDDEN void store_batch_reject(struct la_batch *b, const char *name, size_t line,
				  const char *fmt, ...) LA_PRINTF(4, 5);
LA_HIDDEN void store_batch_note(struct la_batch *b, enum la_import_action act, const char *name,
				size_t line, const char *fmt, ...) LA_PRINTF(5, 6);
LA_HIDDEN void store_batch_progress(struct la_batch *b, size_t done, size_t total);
/* Commit (one transaction, one snapshot publish) unless the batch is a dry
 * run, failed, or rejected records without skip_invalid: then roll back.
 * Frees b.  Returns the batch's result. */
LA_HIDDEN la_rc store_batch_end(struct la_batch *b, la_rc rc);
LA_HIDDEN struct la_store *store_batch_store(struct la_batch *b);
LA_HIDDEN const struct la_import_stats *store_batch_stats(const struct la_batch *b);
LA_HIDDEN const struct la_acctfile *store_batch_syspw(struct la_batch *b);

#endif /* LA_IMPORT_H */

/*
 * luciaauth.h - the one public header of libluciaauth.
 *
 * libluciaauth holds every piece of logic of luciaauth: the SQLite master
 * database, users, groups, auth keys, sessions (Lucia v2 semantics),
 * password hashing, tokens and lockout.  The PAM module, the NSS module,
 * the CLI and the web service are thin adapters over this API.
 *
 * Conventions
 *  - Every fallible call returns enum la_rc (LA_OK == 0).  A short,
 *    secret-free explanation of the last failure is kept per handle:
 *    la_store_errmsg().  The library never prints and never logs.
 *  - Strings are NUL-terminated UTF-8.  Passwords and tokens are passed as
 *    C strings; the library wipes every copy it makes of them.
 *  - Times are milliseconds since the Unix epoch (as in Lucia v2).
 *  - A struct la_store is not thread-safe; use one handle per thread.
 *    Handles must not cross fork().
 */
#ifndef LUCIAAUTH_H
#define LUCIAAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define LA_WUR __attribute__((warn_unused_result))
#define LA_PUBLIC __attribute__((visibility("default")))
#else
#define LA_WUR
#define LA_PUBLIC
#endif

/* ---- sizes ---------------------------------------------------------- */
#define LA_USER_ID_LEN 15        /* Lucia user id: 15 chars [a-z0-9] */
#define LA_NAME_MAX 32           /* Unix user and group names */
#define LA_EMAIL_MAX 254
#define LA_FIELD_MAX 255         /* gecos, home, shell */
#define LA_PROVIDER_MAX 64       /* providerId of a key */
#define LA_KEY_ID_MAX 320        /* providerId ':' providerUserId */
#define LA_SESSION_ID_LEN 12     /* public session id, base32 (60 bits) */
#define LA_SECRET_LEN 32         /* token secret, base32 (160 bits) */
#define LA_TOKEN_LEN (LA_SESSION_ID_LEN + 1 + LA_SECRET_LEN)
#define LA_TOKEN_BUF (LA_TOKEN_LEN + 1)
#define LA_HASH_MAX 256          /* longest stored password hash + NUL */
#define LA_PASSWORD_MAX 256      /* longest accepted password, in characters */
#define LA_ORIGIN_MAX 255        /* session source / tty / rhost */

/* ---- errors --------------------------------------------------------- */
enum la_rc {
	LA_OK = 0,
	LA_E_INVAL,          /* malformed argument (name, email, option) */
	LA_E_NOUSER,         /* no such user */
	LA_E_NOGROUP,        /* no such group */
	LA_E_NOKEY,          /* no such auth key */
	LA_E_NOSESSION,      /* session unknown, dead, or wrong secret */
	LA_E_NOTFOUND,       /* anything else that does not exist */
	LA_E_BADTOKEN,       /* token not of the form <id>.<secret> */
	LA_E_USER_EXISTS,    /* user name taken (store or system) */
	LA_E_GROUP_EXISTS,   /* group name taken */
	LA_E_KEY_EXISTS,     /* duplicate key id (Lucia AUTH_DUPLICATE_KEY_ID) */
	LA_E_EXISTS,         /* uid, gid, email or membership taken */
	LA_E_AUTH,           /* wrong password */
	LA_E_LOCKED,         /* too many failures: temporarily locked */
	LA_E_DISABLED,       /* account locked by an administrator */
	LA_E_EXPIRED,        /* account expired */
	LA_E_MUST_CHANGE,    /* password must be changed */
	LA_E_POLICY,         /* password refused by policy */
	LA_E_SIGNUP_CLOSED,  /* sign-up refused: signup = closed */
	LA_E_RANGE,          /* id outside uid_min..uid_max, or none free */
	LA_E_NOSTORE,        /* state directory or master database missing */
	LA_E_PERM,           /* permission denied or unsafe owner/mode */
	LA_E_CORRUPT,        /* database corrupt or not ours */
	LA_E_SCHEMA,         /* database schema newer than this library */
	LA_E_BUSY,           /* database locked past the busy timeout */
	LA_E_IO,             /* I/O error, disk full, read-only fs */
	LA_E_DB,             /* other SQLite error */
	LA_E_NOMEM,
	LA_E_CRYPTO,         /* libsodium / crypt failure */
	LA_E_INTERNAL,
	LA_RC_MAX
};
typedef enum la_rc la_rc;

/* Static English string for rc; never NULL ("unknown error" otherwise). */
LA_PUBLIC const char *la_strerror(la_rc rc);

/* ---- configuration -------------------------------------------------- */
#define LA_PATH_MAX 4096
#define LA_HTTP_SOCKET_MAX 108       /* sizeof(sun_path) */
#define LA_HTTP_ORIGINS_MAX 1024
struct la_config {
	char dir[LA_PATH_MAX];       /* state directory */
	uint32_t uid_min, uid_max;
	int64_t session_active_ms, session_idle_ms, session_max_ms; /* max 0 = off */
	unsigned deny;               /* failures before lockout (0 = off) */
	int64_t fail_interval_ms, unlock_time_ms;
	unsigned password_min;       /* characters */
	bool signup_open;
	char signup_shell[LA_FIELD_MAX + 1];
	char default_shell[LA_FIELD_MAX + 1];
	char home_base[LA_FIELD_MAX + 1];
	unsigned long hash_mem_kib, hash_ops;
	unsigned busy_timeout_ms;
	bool sync_full;              /* synchronous=FULL instead of NORMAL */
	char passwd_file[LA_PATH_MAX]; /* system accounts (default /etc/passwd) */
	char group_file[LA_PATH_MAX];  /* system groups (default /etc/group) */
	struct la_http_config {        /* luciaauthd only (http_* keys) */
		char listen[LA_ORIGIN_MAX + 1];  /* "127.0.0.1:8787", "" = none */
		char socket[LA_HTTP_SOCKET_MAX]; /* Unix socket path, "" = none */
		unsigned socket_mode;            /* e.g. 0660 */
		unsigned threads;                /* worker threads */
		unsigned long body_max;          /* bytes of a request body */
		bool cookie_secure;              /* Secure attribute on cookies */
		bool trust_proxy;                /* client address from X-Real-IP */
		char origins[LA_HTTP_ORIGINS_MAX]; /* allowed Origins, ' '-separated */
		unsigned throttle;               /* sign-in attempts per IP ... */
		int64_t throttle_interval_ms;    /* ... per interval (0 = off) */
	} http;
};

#define LA_DEFAULT_CONFIG "/etc/luciaauth.conf"

/* Fill c with the documented defaults. */
LA_PUBLIC void la_config_defaults(struct la_config *c);
/* Set one key ("dir", "deny", ...) from its text value.  On error returns
 * LA_E_INVAL and writes a message to err (may be NULL). */
LA_PUBLIC la_rc la_config_set(struct la_config *c, const char *key, const char *value,
			      char *err, size_t errlen) LA_WUR;
/* Read a "key = value" file ('#' comments).  A missing file is LA_OK when
 * missing_ok, LA_E_NOSTORE otherwise.  Errors name the line. */
LA_PUBLIC la_rc la_config_load(struct la_config *c, const char *path, bool missing_ok,
			       char *err, size_t errlen) LA_WUR;
/* "90", "90s", "15m", "1h", "14d" -> milliseconds.  LA_E_INVAL otherwise. */
LA_PUBLIC la_rc la_parse_duration(const char *s, int64_t *ms) LA_WUR;

/* ---- store handle --------------------------------------------------- */
struct la_store;

#define LA_OPEN_CREATE 0x1u   /* create dir and database (luciaauth init) */

/* Open the master database in cfg->dir.  *out is set whenever memory allows,
 * even on failure, so that la_store_errmsg() can explain; always
 * la_store_close() it.  Refuses a database that others can write. */
LA_PUBLIC la_rc la_store_open(const struct la_config *cfg, unsigned flags,
			      struct la_store **out) LA_WUR;
LA_PUBLIC void la_store_close(struct la_store *st);
/* Detail of the last failure on st (never a secret); "" when none. */
LA_PUBLIC const char *la_store_errmsg(const struct la_store *st);
LA_PUBLIC const struct la_config *la_store_config(const struct la_store *st);

/* Injectable clock for tests: fn(ctx) returns "now" in ms; NULL = real. */
typedef int64_t (*la_clock_fn)(void *ctx);
LA_PUBLIC void la_store_set_clock(struct la_store *st, la_clock_fn fn, void *ctx);
LA_PUBLIC int64_t la_store_now(const struct la_store *st);

/* PRAGMA integrity_check and foreign_key_check; LA_E_CORRUPT if not ok. */
LA_PUBLIC la_rc la_store_check(struct la_store *st) LA_WUR;

/* ---- users ---------------------------------------------------------- */
struct la_user {
	char id[LA_USER_ID_LEN + 1];
	char username[LA_NAME_MAX + 1];
	char email[LA_EMAIL_MAX + 1];      /* "" when none */
	uint32_t uid, gid;
	char gecos[LA_FIELD_MAX + 1];
	char home[LA_FIELD_MAX + 1];
	char shell[LA_FIELD_MAX + 1];
	int64_t created_ms;
	int64_t expires_ms;                /* account expiry, 0 = never */
	int64_t password_changed_ms;       /* 0 = never set */
	bool locked;                       /* locked by an administrator */
	bool must_change;
	bool has_password;                 /* key password:<username> has a hash */
	unsigned failures;                 /* lockout: recent failed sign-ins */
	int64_t locked_until_ms;           /* lockout: 0 = not locked out */
};

/* Fields of la_user_spec that la_user_mod() applies. */
#define LA_SET_EMAIL 0x01u
#define LA_SET_GID 0x02u
#define LA_SET_GECOS 0x04u
#define LA_SET_HOME 0x08u
#define LA_SET_SHELL 0x10u
#define LA_SET_GROUPS 0x20u
#define LA_SET_MUST_CHANGE 0x40u

struct la_user_spec {
	const char *username;
	const char *email;           /* NULL or "" = none */
	uint32_t uid;                /* 0 = allocate */
	uint32_t gid;                /* 0 = user private group gid = uid */
	const char *gecos, *home, *shell; /* NULL = default */
	const char *const *groups;   /* supplementary group names */
	size_t n_groups;
	bool must_change;
	unsigned set;                /* LA_SET_* (la_user_mod only) */
};

/* Debian rule ^[a-z_][a-z0-9_-]*$, at most 32 chars. */
LA_PUBLIC bool la_valid_username(const char *name);

/* Create a user, its private group (unless spec->gid), its memberships and,
 * if password != NULL, the key password:<username>.  One transaction.
 * Errors: INVAL, USER_EXISTS, EXISTS (uid/email), RANGE, NOGROUP, POLICY. */
LA_PUBLIC la_rc la_user_add(struct la_store *st, const struct la_user_spec *spec,
			    const char *password, struct la_user *out) LA_WUR;
LA_PUBLIC la_rc la_user_by_name(struct la_store *st, const char *name, struct la_user *out) LA_WUR;
LA_PUBLIC la_rc la_user_by_id(struct la_store *st, const char *id, struct la_user *out) LA_WUR;
LA_PUBLIC la_rc la_user_by_email(struct la_store *st, const char *email, struct la_user *out) LA_WUR;
LA_PUBLIC la_rc la_user_by_uid(struct la_store *st, uint32_t uid, struct la_user *out) LA_WUR;
/* Apply the fields named in spec->set to user name. */
LA_PUBLIC la_rc la_user_mod(struct la_store *st, const char *name, const struct la_user_spec *spec) LA_WUR;
/* Delete sessions, then keys, then the user (Lucia order), one transaction. */
LA_PUBLIC la_rc la_user_del(struct la_store *st, const char *name) LA_WUR;
/* Administrative lock; unlocking also clears the lockout counters. */
LA_PUBLIC la_rc la_user_set_locked(struct la_store *st, const char *name, bool locked) LA_WUR;
LA_PUBLIC la_rc la_user_set_expiry(struct la_store *st, const char *name, int64_t at_ms) LA_WUR;
/* Calls cb for each user ordered by uid; a non-zero return stops (LA_OK). */
typedef int (*la_user_cb)(const struct la_user *u, void *ctx);
LA_PUBLIC la_rc la_user_list(struct la_store *st, la_user_cb cb, void *ctx) LA_WUR;
/* May this user be served to the system at all?  LA_E_NOUSER unless its uid
 * is inside uid_min..uid_max (never 0) and its name is not in the system
 * passwd file -- even if the database was tampered with.  PAM and NSS
 * check this on every answer. */
LA_PUBLIC la_rc la_user_check_servable(struct la_store *st, const struct la_user *u) LA_WUR;
/* Names of the supplementary groups of a user, ordered by gid. */
typedef int (*la_name_cb)(const char *name, uint32_t id, void *ctx);
LA_PUBLIC la_rc la_user_groups(struct la_store *st, const char *name, la_name_cb cb, void *ctx) LA_WUR;

/* ---- groups --------------------------------------------------------- */
struct la_group {
	uint32_t gid;
	char name[LA_NAME_MAX + 1];
	bool user_private;           /* created as a user's private group */
};
/* gid 0 = allocate; a name that exists in the system group file may be
 * added only with that file's gid (for [SUCCESS=merge]). */
LA_PUBLIC la_rc la_group_add(struct la_store *st, const char *name, uint32_t gid,
			     struct la_group *out) LA_WUR;
LA_PUBLIC la_rc la_group_del(struct la_store *st, const char *name) LA_WUR;
LA_PUBLIC la_rc la_group_get(struct la_store *st, const char *name, struct la_group *out) LA_WUR;
typedef int (*la_group_cb)(const struct la_group *g, void *ctx);
LA_PUBLIC la_rc la_group_list(struct la_store *st, la_group_cb cb, void *ctx) LA_WUR;
/* Member user names of a group (by uid order). */
LA_PUBLIC la_rc la_group_members(struct la_store *st, const char *name, la_name_cb cb, void *ctx) LA_WUR;
LA_PUBLIC la_rc la_group_add_member(struct la_store *st, const char *group, const char *user) LA_WUR;
LA_PUBLIC la_rc la_group_remove_member(struct la_store *st, const char *group, const char *user) LA_WUR;

/* ---- auth keys ------------------------------------------------------ */
struct la_key {
	char id[LA_KEY_ID_MAX + 1];  /* providerId:providerUserId */
	char user_id[LA_USER_ID_LEN + 1];
	bool has_password;
};
/* password NULL = a key without a password (e.g. github:12345).  The
 * provider "password" is refused here: la_password_set() owns that key.
 * Errors: INVAL, NOUSER, KEY_EXISTS,
 * POLICY. */
LA_PUBLIC la_rc la_key_add(struct la_store *st, const char *username, const char *provider,
			   const char *provider_user_id, const char *password,
			   struct la_key *out) LA_WUR;
LA_PUBLIC la_rc la_key_get(struct la_store *st, const char *key_id, struct la_key *out) LA_WUR;
LA_PUBLIC la_rc la_key_del(struct la_store *st, const char *key_id) LA_WUR;
typedef int (*la_key_cb)(const struct la_key *k, void *ctx);
LA_PUBLIC la_rc la_key_list(struct la_store *st, const char *username, la_key_cb cb, void *ctx) LA_WUR;

/* ---- passwords ------------------------------------------------------ */
/* Policy: valid UTF-8, no control characters, password_min..256
 * characters after NFKC, not the username, not old (if old != NULL).
 * LA_E_POLICY with a reason in errmsg. */
LA_PUBLIC la_rc la_password_policy(struct la_store *st, const char *username,
				   const char *password, const char *old) LA_WUR;
/* Check policy, then set the key password:<username> (created if missing),
 * password_changed = now, must_change cleared. */
LA_PUBLIC la_rc la_password_set(struct la_store *st, const char *username,
				const char *password) LA_WUR;
/* Argon2id (libsodium) of NFKC(password) -> "$argon2id$v=19$m=...". */
LA_PUBLIC la_rc la_hash_password(const char *password, unsigned long mem_kib,
				 unsigned long ops, char out[LA_HASH_MAX]) LA_WUR;
/* Verify against "$argon2id$...", Lucia "s2:salt:hex", legacy "salt:hex"
 * or a crypt(3) string.  LA_OK, LA_E_AUTH (wrong or unusable hash).
 * *needs_rehash (may be NULL) is set when the hash is not Argon2id with
 * exactly mem_kib/ops.  Constant-time comparisons throughout.  LA_E_NOMEM or
 * LA_E_CRYPTO on a real failure. */
LA_PUBLIC la_rc la_verify_password(const char *password, const char *hash,
				   unsigned long mem_kib, unsigned long ops,
				   bool *needs_rehash) LA_WUR;

/* ---- sign-in -------------------------------------------------------- */
enum la_ident { LA_IDENT_USERNAME, LA_IDENT_EMAIL, LA_IDENT_KEY };

/* Lucia useKey with lockout: resolve the key (password:<user>, the email's
 * user, or a key id), refuse while locked out without checking the
 * password, verify, count the result atomically, rehash old hashes.  An
 * unknown user/key costs the same work as a wrong password.
 * password NULL is only accepted by a key without a password.
 * Returns OK, NOUSER, NOKEY, AUTH, LOCKED, INVAL. */
LA_PUBLIC la_rc la_authenticate(struct la_store *st, enum la_ident how, const char *ident,
				const char *password, struct la_user *out) LA_WUR;
/* Account state: OK, DISABLED, EXPIRED, MUST_CHANGE (checked in that order). */
LA_PUBLIC la_rc la_account_check(struct la_store *st, const struct la_user *u) LA_WUR;

/* ---- luciaauth-chkpwd: a caller's own password -------------------- */
/* Exit statuses of luciaauth-chkpwd(8); pam_luciaauth maps them back. */
#define LA_CHKPWD_OK 0        /* the password is right */
#define LA_CHKPWD_AUTH 1      /* wrong password (or account locked by an admin) */
#define LA_CHKPWD_REFUSED 2   /* usage, tty on stdin, another user's name, ... */
#define LA_CHKPWD_UNKNOWN 3   /* the caller is not a store user */
#define LA_CHKPWD_UNAVAIL 5   /* store missing, unreadable or broken */
#define LA_CHKPWD_LOCKED 6    /* locked out after too many failures */

/* Verify the password of the store user whose uid is caller_uid, named
 * name by the caller, through la_authenticate (lockout, rehash, dummy work
 * for unknown callers).  LA_E_PERM, without touching anybody's counters,
 * when name is not the caller's own user name.  Otherwise as
 * la_authenticate, plus DISABLED for an account locked by an admin. */
LA_PUBLIC la_rc la_check_own_password(struct la_store *st, uint32_t caller_uid, const char *name,
				      const char *password, struct la_user *out) LA_WUR;
/* la_rc of la_check_own_password (or of opening the store) -> exit status,
 * and an exit status -> the la_rc it stands for (unexpected -> NOSTORE). */
LA_PUBLIC int la_chkpwd_status(la_rc rc);
LA_PUBLIC la_rc la_chkpwd_rc(int status);

/* ---- sessions ------------------------------------------------------- */
enum la_session_state { LA_SESSION_ACTIVE, LA_SESSION_IDLE, LA_SESSION_DEAD };

struct la_session {
	char id[LA_SESSION_ID_LEN + 1];
	char user_id[LA_USER_ID_LEN + 1];
	char username[LA_NAME_MAX + 1];       /* of user_id */
	int64_t active_expires, idle_expires; /* ms */
	int64_t created_ms;
	int64_t max_expires;                  /* absolute end, 0 = none */
	enum la_session_state state;          /* state when looked up */
	bool fresh;                           /* renewed by this validate */
	char source[LA_ORIGIN_MAX + 1];       /* "web" or the PAM service */
	char tty[LA_ORIGIN_MAX + 1];
	char rhost[LA_ORIGIN_MAX + 1];
};

struct la_origin {
	const char *source, *tty, *rhost;     /* NULL = none; source NULL = "web" */
};

/* State of s at time now (inclusive boundaries of SPEC 1). */
LA_PUBLIC enum la_session_state la_session_state_at(const struct la_session *s, int64_t now);
LA_PUBLIC const char *la_session_state_name(enum la_session_state st);

/* Create a session for user_id; writes "<id>.<secret>" to token (wipe it
 * when done).  Errors: NOUSER. */
LA_PUBLIC la_rc la_session_create(struct la_store *st, const char *user_id,
				  const struct la_origin *origin, char token[LA_TOKEN_BUF],
				  struct la_session *out) LA_WUR;
/* Lucia validateSession: active -> unchanged; idle -> renewed in place,
 * fresh = true; dead/missing/wrong secret -> NOSESSION; malformed ->
 * BADTOKEN before any database work.  user may be NULL. */
LA_PUBLIC la_rc la_session_validate(struct la_store *st, const char *token,
				    struct la_session *out, struct la_user *user) LA_WUR;
/* Lucia getSession: the same checks, never renews. */
LA_PUBLIC la_rc la_session_get(struct la_store *st, const char *token,
			       struct la_session *out, struct la_user *user) LA_WUR;
/* Sign out: delete the session the token names (its secret must match). */
LA_PUBLIC la_rc la_session_revoke(struct la_store *st, const char *token) LA_WUR;
/* Delete by public id; NOTFOUND if there is none. */
LA_PUBLIC la_rc la_session_revoke_id(struct la_store *st, const char *id) LA_WUR;
/* Delete every session of a user except except_id (may be NULL). */
LA_PUBLIC la_rc la_session_revoke_user(struct la_store *st, const char *username,
				       const char *except_id, unsigned *n_deleted) LA_WUR;
/* Delete the newest session of user_id opened from exactly this origin
 * (source, tty, rhost): how a PAM close_session finds its row when neither
 * the token nor module data survived.  NOTFOUND if there is none. */
LA_PUBLIC la_rc la_session_revoke_origin(struct la_store *st, const char *user_id,
					 const struct la_origin *origin) LA_WUR;
typedef int (*la_session_cb)(const struct la_session *s, void *ctx);
/* Live (active or idle) sessions, of one user or of all (username NULL). */
LA_PUBLIC la_rc la_session_list(struct la_store *st, const char *username, la_session_cb cb,
				void *ctx) LA_WUR;
/* Delete dead sessions. */
LA_PUBLIC la_rc la_session_gc(struct la_store *st, unsigned *n_deleted) LA_WUR;

/* ---- NSS snapshot --------------------------------------------------- */
/* Write the public snapshot (users' public fields, groups, members; no
 * secret) to <dir>/nss.snapshot atomically, mode 0644.  Every change to
 * public data does this by itself after it commits; luciaauth publish
 * forces it. */
LA_PUBLIC la_rc la_snapshot_publish(struct la_store *st) LA_WUR;

/* ---- web sign-up / sign-in ------------------------------------------ */
/* Authenticate, check the account (MUST_CHANGE is not an error here: see
 * user->must_change), create a session.  Errors as la_authenticate plus
 * DISABLED, EXPIRED. */
LA_PUBLIC la_rc la_login(struct la_store *st, enum la_ident how, const char *ident,
			 const char *password, const struct la_origin *origin,
			 char token[LA_TOKEN_BUF], struct la_session *session,
			 struct la_user *user) LA_WUR;
/* Refused with SIGNUP_CLOSED unless signup = open; the account gets
 * signup_shell; then as la_user_add + la_session_create, atomically. */
LA_PUBLIC la_rc la_signup(struct la_store *st, const char *username, const char *email,
			  const char *password, const struct la_origin *origin,
			  char token[LA_TOKEN_BUF], struct la_session *session,
			  struct la_user *user) LA_WUR;


/* ---- administration: doctor, backup, restore ------------------------ */
enum la_doctor_level {
	LA_DOCTOR_OK,   /* as it should be */
	LA_DOCTOR_WARN, /* system configuration hint (nsswitch, PAM, helper) */
	LA_DOCTOR_FAIL, /* the store is unusable, unsafe or stale */
};
struct la_doctor_item {
	const char *check;           /* "config", "dir", "db", "wal", "shm", "snapshot",
				      * "schema", "integrity", "freshness", "nsswitch",
				      * "pam", "chkpwd", "leftover" */
	enum la_doctor_level level;
	char what[640];              /* what was found (no secret) */
	char fix[640];               /* one line: how to fix it; "" when fine */
};
/* Files outside the state directory that the doctor reads; NULL members
 * take the real ones (/etc/nsswitch.conf, /etc/pam.d; chkpwd NULL = not
 * checked). */
struct la_doctor_paths {
	const char *config, *nsswitch, *pam_dir, *chkpwd;
};
typedef int (*la_doctor_cb)(const struct la_doctor_item *it, void *ctx);
/* Check modes and owners of every file of the store, the schema version,
 * quick_check, whether the published snapshot is what the master would
 * publish now, nsswitch.conf, the PAM stacks and the helper; cb gets one
 * item per finding (non-zero stops).  Changes nothing.  Returns LA_OK when
 * the store is fine (WARN items may still exist), else the la_rc of the
 * first store failure (NOSTORE, PERM, CORRUPT, SCHEMA, BUSY, IO...). */
LA_PUBLIC la_rc la_doctor(const struct la_config *cfg, const struct la_doctor_paths *p,
			  la_doctor_cb cb, void *ctx) LA_WUR;
/* Online backup (SQLite backup API) to a new file created 0600 next to
 * path and linked into place only when complete: a consistent copy even
 * while others write.  EXISTS when path exists and !force.  The copy is in
 * rollback-journal mode: one self-contained file. */
LA_PUBLIC la_rc la_store_backup(struct la_store *st, const char *path, bool force) LA_WUR;
/* Replace the whole store by the backup at path: first integrity_check,
 * foreign_key_check and our schema (version 1..current) on path -- nothing
 * is touched if any fails (CORRUPT, SCHEMA, NOTFOUND) -- then one atomic
 * copy into the live database (readers see the old or the new store), then
 * the NSS snapshot is published again. */
LA_PUBLIC la_rc la_store_restore(struct la_store *st, const char *path) LA_WUR;
/* Restore for the CLI: open the store of cfg and la_store_restore(); when
 * the live database is missing or too damaged to open (NOSTORE, CORRUPT),
 * verify the backup the same way and put a copy of it in place as a file
 * (stale -wal/-shm removed), then open it.  *out as for la_store_open. */
LA_PUBLIC la_rc la_store_restore_cfg(const struct la_config *cfg, const char *path,
				     struct la_store **out) LA_WUR;

/* ---- importers (luciaauth import) ---------------------------------- */
enum la_import_action {
	LA_IMPORT_ADDED,     /* account adopted */
	LA_IMPORT_UNCHANGED, /* already imported by an earlier run */
	LA_IMPORT_SKIPPED,   /* not adopted, for a reason (range, conflict) */
	LA_IMPORT_REJECTED,  /* malformed input: a bad line, a duplicate */
	LA_IMPORT_INFO,      /* something done or left alone besides (a group
			      * mirrored, an account without password) */
};

/* One line of the import report; the strings live until the callback
 * returns.  name may be NULL; line is 0 when unknown.  Never a secret. */
struct la_import_note {
	enum la_import_action action;
	const char *name;
	size_t line;
	const char *reason;
};
typedef void (*la_import_note_fn)(const struct la_import_note *n, void *ctx);
/* Called now and then during a long import, and once at the end. */
typedef void (*la_import_progress_fn)(size_t done, size_t total, void *ctx);

struct la_import_opts {
	bool dry_run;            /* do everything, then roll back */
	bool skip_invalid;       /* import the rest despite rejected records
				  * (otherwise one rejected record imports
				  * nothing and returns LA_E_INVAL) */
	uint32_t uid_min, uid_max; /* shadow: accounts to consider; 0 = store's */
	const char *username_from; /* lucia: "email" (default) or "username" */
	const char *tables[3];   /* lucia: user, key, session tables (NULL =
				  * "user", "user_key", "user_session") */
	la_import_note_fn note;
	la_import_progress_fn progress;
	void *ctx;
};

struct la_import_stats {
	size_t seen;             /* records read */
	size_t added, unchanged, skipped, rejected;
	size_t keys;             /* keys without a password kept (lucia) */
	size_t no_password;      /* accounts adopted without a password key */
	size_t locked;           /* accounts adopted with the admin lock */
	size_t groups;           /* groups created (private or mirrored) */
	size_t memberships;
	size_t sessions_skipped; /* lucia sessions not imported */
	bool committed;          /* the changes were saved */
};

/* Adopt the accounts of passwd + shadow (+ group for memberships) whose
 * uid lies in opts->uid_min..uid_max and in the store's range; see
 * luciaauth(8), IMPORT.  Reads the files only; never writes them.  One
 * transaction and one snapshot publish.  Returns LA_OK (see stats),
 * LA_E_INVAL when records were rejected (nothing saved unless
 * skip_invalid), LA_E_NOTFOUND/LA_E_IO for unreadable files, or a store
 * error (nothing saved). */
LA_PUBLIC la_rc la_import_shadow(struct la_store *st, const char *passwd, const char *shadow,
				 const char *group, const struct la_import_opts *opts,
				 struct la_import_stats *stats) LA_WUR;
/* Adopt the users and keys of a Lucia v2 SQLite database, opened
 * read-only; its tables and columns are checked before any row is read
 * (LA_E_INVAL and nothing imported when they are not Lucia v2's).
 * Sessions are counted, not imported. */
LA_PUBLIC la_rc la_import_lucia(struct la_store *st, const char *dbfile,
				const struct la_import_opts *opts,
				struct la_import_stats *stats) LA_WUR;

#ifdef __cplusplus
}
#endif
#endif /* LUCIAAUTH_H */

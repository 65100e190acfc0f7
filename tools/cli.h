/*
 * cli.h - pieces shared by the files of the luciaauth command-line tool.
 *
 * The CLI is a thin adapter over libluciaauth: it parses arguments, reads
 * secrets, calls the library and prints the result (human or --json).
 * There is no global mutable state: everything parsed from argv travels in
 * struct cli_ctx.
 *
 * MUST:
 *  1. Passwords and tokens never come from argv (other local users can read
 *     /proc/PID/cmdline): standard input, a no-echo prompt on /dev/tty, or
 *     $LUCIAAUTH_SESSION for tokens.
 *  2. Every buffer that held a secret is wiped on every path (secrets read
 *     here live in sodium_malloc() memory, freed with cli_secret_free()).
 *  3. The only secret ever printed is the session token of login/signup,
 *     on standard output, written with write(2) and then wiped.
 *  4. Every la_rc becomes an exit status in exactly one place:
 *     cli_exit_status().
 */
#ifndef LUCIAAUTH_CLI_H
#define LUCIAAUTH_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "luciaauth.h"

#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define CLI_NAME "luciaauth"

/* Exit statuses (luciaauth(8), EXIT STATUS). */
enum cli_exit {
	CLI_OK = 0,
	CLI_EAUTH = 1,      /* authentication or validation failed */
	CLI_EUSAGE = 2,     /* bad or missing arguments */
	CLI_ENOTFOUND = 3,  /* no such user, group, key, session */
	CLI_EEXISTS = 4,    /* already exists */
	CLI_ESTORE = 5,     /* store unavailable, permission, corrupt */
	CLI_EPOLICY = 6,    /* refused by policy */
};
/* Returned by the parsing helpers when the command should go on. */
#define CLI_CONTINUE (-1)

/* Long option value of --json; every subcommand accepts it. */
#define CLI_OPT_JSON 0x100
#define CLI_STD_OPTIONS \
	{ "json", no_argument, NULL, CLI_OPT_JSON }, { "help", no_argument, NULL, 'h' }

struct cli_ctx;
typedef int (*cli_fn)(struct cli_ctx *c, int argc, char **argv);

/* A command word: either a leaf (fn) or a table of subcommands (sub).
 * Tables end with an entry whose name is NULL. */
struct cli_cmd {
	const char *name;
	cli_fn fn;
	const struct cli_cmd *sub;
	const char *usage;  /* arguments after the command words */
	const char *help;   /* description and options, for CMD --help */
};

struct cli_ctx {
	const char *config_path; /* --config, NULL = /etc/luciaauth.conf if present */
	const char *dir;         /* --dir, NULL = from the configuration */
	bool json;               /* --json */
	char cmd[64];            /* command words, e.g. "user add" */
	const struct cli_cmd *leaf; /* the running subcommand */
};

/* Subcommand tables (cli_*.c) and leaves. */
extern const struct cli_cmd cli_user_cmds[];
extern const struct cli_cmd cli_group_cmds[];
extern const struct cli_cmd cli_key_cmds[];
extern const struct cli_cmd cli_session_cmds[];
extern const struct cli_cmd cli_import_cmds[];
int cli_cmd_passwd(struct cli_ctx *c, int argc, char **argv);
int cli_cmd_signup(struct cli_ctx *c, int argc, char **argv);
int cli_cmd_login(struct cli_ctx *c, int argc, char **argv);
/* doctor, backup, restore (cli_admin.c) */
int cli_cmd_doctor(struct cli_ctx *c, int argc, char **argv);
int cli_cmd_backup(struct cli_ctx *c, int argc, char **argv);
int cli_cmd_restore(struct cli_ctx *c, int argc, char **argv);
#define CLI_DOCTOR_HELP \
	"Check the installation: owner and mode of the configuration file, the\n" \
	"state directory, the master database (and -wal/-shm) and the snapshot;\n" \
	"schema version; quick_check; whether the snapshot is current; the\n" \
	"passwd/group/shadow lines of nsswitch.conf; the PAM common-* stacks;\n" \
	"the luciaauth-chkpwd helper.  One line per finding, with a fix.\n" \
	"Exit 0 when all is well, 5 for a store problem, 1 for hints only.\n" \
	"  --nsswitch F   read F instead of /etc/nsswitch.conf\n" \
	"  --pam-dir D    read D instead of /etc/pam.d\n" \
	"  --chkpwd F     the helper to check (default in sbindir)"
#define CLI_BACKUP_HELP \
	"Copy the master database to FILE (mode 0600) with SQLite's online backup:\n" \
	"consistent while others write.  FILE appears only when complete.\n" \
	"  --force   replace FILE if it exists (otherwise exit 4)"
#define CLI_RESTORE_HELP \
	"Replace the store by the backup FILE.  FILE must pass integrity_check and\n" \
	"be a luciaauth database of a known schema version, else nothing changes\n" \
	"(exit 5).  The copy is one transaction: readers see the old or the new\n" \
	"store.  The NSS snapshot is published again."

/* ---- dispatch and options (luciaauth.c) ------------------------------ */
/* getopt_long for subcommands: the caller sets optind = 0 first.  Handles
 * --json and --help itself; returns the next command-specific option, or
 * -1 at the end with *status = CLI_CONTINUE, 0 after --help (usage printed)
 * or CLI_EUSAGE after a bad option (message printed). */
int cli_getopt(struct cli_ctx *c, int argc, char **argv, const struct option *longopts,
	       int *status);
/* After a cli_getopt() loop that left status: that status when it is not
 * CLI_CONTINUE (help printed or bad option), else check that min..max
 * positional arguments remain: CLI_CONTINUE or CLI_EUSAGE (message printed). */
int cli_getopt_end(struct cli_ctx *c, int argc, int status, int min, int max);
/* Option parsing for subcommands with only --json/--help. */
int cli_simple_args(struct cli_ctx *c, int argc, char **argv, int min, int max);

/* ---- errors (cli_util.c) -------------------------------------------- */
int cli_exit_status(la_rc rc);
/* Short stable code for --json ("no_user", "auth", ...). */
const char *cli_rc_code(la_rc rc);
/* Report a library failure; detail from la_store_errmsg(st) or, when that
 * adds nothing, subject (both may be NULL).  Returns the exit status. */
int cli_fail(struct cli_ctx *c, const struct la_store *st, la_rc rc, const char *subject);
/* Report a failure with an explicit message, status and --json code. */
int cli_fail_msg(struct cli_ctx *c, int status, const char *code, const char *fmt, ...)
	CLI_PRINTF(4, 5);
/* Usage error: message plus "Try 'luciaauth CMD --help'."; CLI_EUSAGE. */
int cli_usage(struct cli_ctx *c, const char *fmt, ...) CLI_PRINTF(2, 3);

/* ---- store (cli_util.c) --------------------------------------------- */
/* Load the configuration, apply --dir, open the store (flags LA_OPEN_*).
 * CLI_OK with *out set, or the exit status after reporting. */
int cli_open_store(struct cli_ctx *c, unsigned flags, struct la_store **out);
/* A command on one NAME argument ("user del", "key del", ...): open the
 * store, run fn(st, NAME), then print {"ok": true, KEY: NAME} or the line
 * "BEFORE NAME AFTER".  Returns the exit status. */
typedef la_rc (*cli_name_fn)(struct la_store *st, const char *name);
int cli_name_cmd(struct cli_ctx *c, int argc, char **argv, cli_name_fn fn, const char *key,
		 const char *before, const char *after);

/* ---- secrets (cli_auth.c) ------------------------------------------- */
/* Password from one line of stdin (use_stdin), else a no-echo prompt when
 * stdin is a terminal (twice when confirm), else a usage error naming
 * hint.  *out is a sodium_malloc'd string: release with cli_secret_free(). */
int cli_get_password(struct cli_ctx *c, bool use_stdin, bool confirm, const char *hint,
		     char **out);
/* Session token from $LUCIAAUTH_SESSION (from_env) or one line of stdin. */
int cli_get_token(struct cli_ctx *c, bool from_env, char **out);
void cli_secret_free(char *s);
/* Wipe a string that an API handed out as const (json-c buffers). */
void cli_wipe_const(const char *s);

/* ---- parsing (cli_util.c) ------------------------------------------- */
/* Strict decimal 1..UINT32_MAX (no sign, no spaces, no leading junk). */
bool cli_parse_id(const char *s, uint32_t *out);
/* "YYYY-MM-DD" (00:00 UTC), "YYYY-MM-DDTHH:MM:SSZ", "@SECONDS" or
 * "never" (0) -> ms since the epoch. */
bool cli_parse_date(const char *s, int64_t *ms);
/* Split "a,b,c" into a NULL-terminated malloc'd vector over a malloc'd
 * copy (*storage); "" gives none.  false on an empty element or no memory. */
bool cli_split_list(const char *s, char **storage, const char ***vec, size_t *n);

/* ---- output (cli_util.c) -------------------------------------------- */
#define CLI_TIME_BUF 32
/* ms -> "2024-05-01T12:00:00Z" (UTC). */
const char *cli_fmt_time(int64_t ms, char buf[CLI_TIME_BUF]);
/* Print o as one line on stdout and release it.  When secret, the text is
 * written with write(2) and every json-c copy of it is wiped. */
int cli_json_emit(struct cli_ctx *c, json_object *o, bool secret);
/* o[key] = s, or null when s is NULL or "". */
void cli_json_str(json_object *o, const char *key, const char *s);
void cli_json_int(json_object *o, const char *key, int64_t v);
/* o[key] = v, or null when v == 0 (times: "never"). */
void cli_json_time(json_object *o, const char *key, int64_t v);
void cli_json_bool(json_object *o, const char *key, bool v);
/* {"ok": true} plus the caller's fields. */
json_object *cli_json_ok(void);
/* la_name_cb: append name to the JSON array arr. */
int cli_json_add_name(const char *name, uint32_t id, void *arr);

/* Aligned columns: rows of cells, printed with cli_table_print(). */
struct cli_table;
struct cli_table *cli_table_new(size_t n_cols);
/* Add one row of n_cols strings (copied; NULL prints as "-"). */
bool cli_table_row(struct cli_table *t, const char *const *cells);
void cli_table_print(const struct cli_table *t);
void cli_table_free(struct cli_table *t);

/* Output of a list command: rows of an aligned table, or with --json
 * objects of an array printed as {KEY: [...]}. */
struct cli_list {
	struct cli_table *t;
	json_object *arr;
	bool failed; /* out of memory while adding */
};
/* Start the table with its header row (n_cols cells) or the array.  false
 * when neither could be allocated. */
bool cli_list_init(struct cli_ctx *c, struct cli_list *l, size_t n_cols, const char *const *head);
/* Add one entry: with --json the object o (taken; NULL = out of memory),
 * else the row cells (o is released).  0, or 1 (stop the listing) when out
 * of memory: fit to return from a listing callback. */
int cli_list_add(struct cli_list *l, json_object *o, const char *const *cells);
/* Report rc (LA_E_NOMEM when an entry could not be added) with
 * cli_fail(c, st, rc, subject), or print the list; releases l.  Returns the
 * exit status. */
int cli_list_finish(struct cli_ctx *c, struct cli_list *l, const struct la_store *st, la_rc rc,
		    const char *key, const char *subject);

/* ---- shared printers (cli_session.c) -------------------------------- */
/* Public fields of a user / a session as JSON objects. */
json_object *cli_json_user(const struct la_user *u);
json_object *cli_json_session(const struct la_session *s);
/* Result of login/signup (token != NULL) or validate/get. */
int cli_print_session_result(struct cli_ctx *c, const char *token, const struct la_session *s,
			     const struct la_user *u);

#endif /* LUCIAAUTH_CLI_H */

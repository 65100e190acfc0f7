/*
 * cli_import.c - "luciaauth import shadow|lucia": adopt existing accounts
 * (SPEC 5).  The work is done by la_import_shadow() / la_import_lucia();
 * this file parses the options, draws the progress bar and prints the
 * report.
 *
 * Output: one line per account that was not simply added (skipped,
 * rejected, notes), the added ones with --verbose, then a summary; with
 * --json one object with the counts and every note.  A progress bar on
 * standard error when it is a terminal (and not --json), nothing
 * otherwise.  Exit status: 0 done (or nothing to do), 1 records rejected
 * or a database that is not Lucia v2's (nothing imported), 3 a file not
 * found, 5 store errors.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

struct import_args {
	struct la_import_opts o;
	const char *passwd, *shadow, *group;
	char *tables_buf;
	const char **tables;
	bool verbose;
};

struct report {
	struct cli_ctx *c;
	const struct import_args *a;
	json_object *notes;
	bool bar;            /* progress bar on stderr */
	bool bar_drawn;
	struct timespec t0;
	double last_draw;
};

static const char *const action_name[] = {
	[LA_IMPORT_ADDED] = "added", [LA_IMPORT_UNCHANGED] = "unchanged",
	[LA_IMPORT_SKIPPED] = "skipped", [LA_IMPORT_REJECTED] = "rejected",
	[LA_IMPORT_INFO] = "note",
};

static double elapsed(const struct report *r)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - r->t0.tv_sec) + (double)(t.tv_nsec - r->t0.tv_nsec) / 1e9;
}

static void bar_clear(struct report *r)
{
	if (r->bar_drawn) {
		fputs("\r\033[K", stderr);
		r->bar_drawn = false;
	}
}

static void on_progress(size_t done, size_t total, void *ctx)
{
	struct report *r = ctx;
	double t = elapsed(r);
	char bar[31];
	size_t fill = total ? done * 30 / total : 30;

	/* At most ten redraws a second, and none for a quick import. */
	if (!r->bar || (done < total && (t - r->last_draw < 0.1 || t < 0.3)))
		return;
	r->last_draw = t;
	memset(bar, '#', fill);
	memset(bar + fill, '.', 30 - fill);
	bar[30] = '\0';
	fprintf(stderr, "\r\033[K[%s] %zu/%zu accounts, %.0f/s", bar, done, total,
		t > 0 ? (double)done / t : 0.0);
	r->bar_drawn = true;
	if (done == total)
		bar_clear(r);
}

static void on_note(const struct la_import_note *n, void *ctx)
{
	struct report *r = ctx;
	json_object *o;

	if (r->notes) {
		o = json_object_new_object();
		if (!o)
			return;
		cli_json_str(o, "action", action_name[n->action]);
		cli_json_str(o, "name", n->name);
		cli_json_int(o, "line", (int64_t)n->line);
		cli_json_str(o, "reason", n->reason);
		json_object_array_add(r->notes, o);
		return;
	}
	if ((n->action == LA_IMPORT_ADDED || n->action == LA_IMPORT_UNCHANGED) && !r->a->verbose)
		return;
	bar_clear(r);
	printf("%-9s %s%s%s\n", action_name[n->action], n->name ? n->name : "",
	       n->name ? ": " : "", n->reason);
}

static void json_counts(json_object *o, const struct la_import_stats *s, bool dry_run)
{
	cli_json_bool(o, "dry_run", dry_run);
	cli_json_bool(o, "committed", s->committed);
	cli_json_int(o, "seen", (int64_t)s->seen);
	cli_json_int(o, "added", (int64_t)s->added);
	cli_json_int(o, "unchanged", (int64_t)s->unchanged);
	cli_json_int(o, "skipped", (int64_t)s->skipped);
	cli_json_int(o, "rejected", (int64_t)s->rejected);
	cli_json_int(o, "locked", (int64_t)s->locked);
	cli_json_int(o, "no_password", (int64_t)s->no_password);
	cli_json_int(o, "keys", (int64_t)s->keys);
	cli_json_int(o, "groups", (int64_t)s->groups);
	cli_json_int(o, "memberships", (int64_t)s->memberships);
	cli_json_int(o, "sessions_skipped", (int64_t)s->sessions_skipped);
}

static void print_summary(const struct la_import_stats *s, bool dry_run)
{
	const char *verb = dry_run ? "would import" : "imported";

	if (!s->added && !s->rejected && s->unchanged) {
		printf("nothing to do: %zu account(s) already imported, %zu skipped%s\n",
		       s->unchanged, s->skipped, dry_run ? " (dry run)" : "");
		return;
	}
	printf("%s %zu account(s) (%zu locked, %zu without a password, %zu other keys), "
	       "%zu unchanged, %zu skipped, %zu rejected; %zu group(s) created, "
	       "%zu membership(s)\n",
	       verb, s->added, s->locked, s->no_password, s->keys, s->unchanged, s->skipped,
	       s->rejected, s->groups, s->memberships);
	if (dry_run)
		printf("dry run: nothing was saved\n");
}

/* The end of an import: the report, or the failure with the notes. */
static int finish(struct cli_ctx *c, struct la_store *st, struct report *r, la_rc rc,
		  const struct la_import_stats *s, const char *subject)
{
	json_object *o = NULL;
	int status = rc == LA_E_INVAL ? CLI_EAUTH : cli_exit_status(rc);

	bar_clear(r);
	if (c->json) {
		o = rc == LA_OK ? cli_json_ok() : json_object_new_object();
		if (rc != LA_OK) {
			cli_json_bool(o, "ok", false);
			cli_json_str(o, "error", la_store_errmsg(st)[0] ? la_store_errmsg(st)
									: la_strerror(rc));
			cli_json_str(o, "code", cli_rc_code(rc));
			cli_json_int(o, "exit", status);
			/* The machine-readable form goes to stdout; the
			 * message also to stderr, as for every failure. */
			fprintf(stderr, CLI_NAME ": %s\n", la_store_errmsg(st));
		}
		json_counts(o, s, r->a->o.dry_run);
		json_object_object_add(o, "notes", r->notes);
		r->notes = NULL;
		return cli_json_emit(c, o, false) == CLI_OK ? status : CLI_ESTORE;
	}
	if (rc == LA_OK) {
		print_summary(s, r->a->o.dry_run);
		return CLI_OK;
	}
	if (rc == LA_E_INVAL) {
		if (s->seen || s->rejected)
			print_summary(s, true);
		return cli_fail_msg(c, status, cli_rc_code(rc), "%s", la_store_errmsg(st));
	}
	return cli_fail(c, st, rc, subject);
}

static int run(struct cli_ctx *c, struct import_args *a, const char *dbfile)
{
	struct report r = { .c = c, .a = a };
	struct la_import_stats s;
	struct la_store *st = NULL;
	int status;
	la_rc rc;

	memset(&s, 0, sizeof(s));
	clock_gettime(CLOCK_MONOTONIC, &r.t0);
	r.bar = !c->json && isatty(STDERR_FILENO);
	if (c->json && !(r.notes = json_object_new_array()))
		return cli_fail(c, NULL, LA_E_NOMEM, NULL);
	a->o.note = on_note;
	a->o.progress = on_progress;
	a->o.ctx = &r;
	status = cli_open_store(c, 0, &st);
	if (status != CLI_OK)
		goto out;
	if (dbfile)
		rc = la_import_lucia(st, dbfile, &a->o, &s);
	else
		rc = la_import_shadow(st, a->passwd, a->shadow, a->group, &a->o, &s);
	status = finish(c, st, &r, rc, &s, dbfile ? dbfile : a->shadow);
out:
	json_object_put(r.notes);
	la_store_close(st);
	return status;
}

enum { OPT_DRY_RUN = 0x200, OPT_SKIP_INVALID, OPT_UID_MIN, OPT_UID_MAX, OPT_PASSWD, OPT_SHADOW,
       OPT_GROUP, OPT_TABLES, OPT_USERNAME_FROM, OPT_VERBOSE };

/* Options common to both importers: their getopt entries, and
 * common_opt() to take one (false when opt is not one of them). */
#define IMPORT_COMMON_OPTIONS                                          \
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },                 \
	{ "skip-invalid", no_argument, NULL, OPT_SKIP_INVALID },       \
	{ "verbose", no_argument, NULL, OPT_VERBOSE }

static bool common_opt(int opt, struct import_args *a)
{
	switch (opt) {
	case OPT_DRY_RUN: a->o.dry_run = true; return true;
	case OPT_SKIP_INVALID: a->o.skip_invalid = true; return true;
	case OPT_VERBOSE: a->verbose = true; return true;
	default: return false;
	}
}

static int import_shadow(struct cli_ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "passwd", required_argument, NULL, OPT_PASSWD },
		{ "shadow", required_argument, NULL, OPT_SHADOW },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "uid-min", required_argument, NULL, OPT_UID_MIN },
		{ "uid-max", required_argument, NULL, OPT_UID_MAX },
		IMPORT_COMMON_OPTIONS,
		CLI_STD_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct import_args a = { .passwd = "/etc/passwd", .shadow = "/etc/shadow",
				 .group = "/etc/group" };
	int status = CLI_CONTINUE, opt, r;

	optind = 0;
	while ((opt = cli_getopt(c, argc, argv, opts, &status)) != -1) {
		if (common_opt(opt, &a))
			continue;
		if (opt == OPT_PASSWD)
			a.passwd = optarg;
		else if (opt == OPT_SHADOW)
			a.shadow = optarg;
		else if (opt == OPT_GROUP)
			a.group = optarg;
		else if (opt == OPT_UID_MIN && !cli_parse_id(optarg, &a.o.uid_min))
			return cli_usage(c, "invalid --uid-min '%s'", optarg);
		else if (opt == OPT_UID_MAX && !cli_parse_id(optarg, &a.o.uid_max))
			return cli_usage(c, "invalid --uid-max '%s'", optarg);
	}
	r = cli_getopt_end(c, argc, status, 0, 0);
	if (r != CLI_CONTINUE)
		return r;
	if (a.o.uid_min && a.o.uid_max && a.o.uid_min > a.o.uid_max)
		return cli_usage(c, "--uid-min is greater than --uid-max");
	return run(c, &a, NULL);
}

/* --tables user,user_key,user_session (the last may be left out). */
static int parse_tables(struct cli_ctx *c, const char *arg, struct import_args *a)
{
	size_t n = 0;

	if (!cli_split_list(arg, &a->tables_buf, &a->tables, &n) || n < 2 || n > 3)
		return cli_usage(c, "--tables wants USER,KEY[,SESSION] table names");
	for (size_t i = 0; i < n; i++) {
		/* Checked again by the library; here it is a usage error. */
		if (strspn(a->tables[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					 "0123456789_") != strlen(a->tables[i]) ||
		    !a->tables[i][0] || (a->tables[i][0] >= '0' && a->tables[i][0] <= '9'))
			return cli_usage(c, "invalid table name '%s' ([A-Za-z_][A-Za-z0-9_]*)",
					 a->tables[i]);
		a->o.tables[i] = a->tables[i];
	}
	return CLI_CONTINUE;
}

static int import_lucia(struct cli_ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tables", required_argument, NULL, OPT_TABLES },
		{ "username-from", required_argument, NULL, OPT_USERNAME_FROM },
		IMPORT_COMMON_OPTIONS,
		CLI_STD_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct import_args a = { .passwd = NULL };
	int status = CLI_CONTINUE, opt, r = CLI_CONTINUE;

	optind = 0;
	while ((opt = cli_getopt(c, argc, argv, opts, &status)) != -1) {
		if (common_opt(opt, &a))
			continue;
		if (opt == OPT_TABLES && r == CLI_CONTINUE)
			r = parse_tables(c, optarg, &a);
		else if (opt == OPT_USERNAME_FROM)
			a.o.username_from = optarg;
	}
	if (r == CLI_CONTINUE)
		r = cli_getopt_end(c, argc, status, 1, 1);
	if (r == CLI_CONTINUE && a.o.username_from && strcmp(a.o.username_from, "email") != 0 &&
	    strcmp(a.o.username_from, "username") != 0)
		r = cli_usage(c, "--username-from must be 'email' or 'username'");
	if (r == CLI_CONTINUE)
		r = run(c, &a, argv[optind]);
	free(a.tables);
	free(a.tables_buf);
	return r;
}

const struct cli_cmd cli_import_cmds[] = {
	{ "shadow", import_shadow, NULL,
	  "[--passwd F] [--shadow F] [--group F] [--uid-min N] [--uid-max N] [--dry-run]\n"
	  "        [--skip-invalid] [--verbose]",
	  "Adopt the Unix accounts of passwd + shadow (default /etc/passwd, /etc/shadow,\n"
	  "/etc/group) with their uid, gid, gecos, home, shell, password hash (yescrypt,\n"
	  "sha512crypt, sha256crypt, bcrypt: verified as they are, rehashed to Argon2id\n"
	  "at the first sign-in), lock ('!') and expiry, and their local groups.  The\n"
	  "files are only read.  Accounts that exist already are left unchanged.\n"
	  "  --uid-min N, --uid-max N  accounts to consider (default: uid_min..uid_max\n"
	  "                            of the store; system accounts are never taken)\n"
	  "  --dry-run                 report what would be done, save nothing\n"
	  "  --skip-invalid            import the rest when some lines are malformed\n"
	  "                            (otherwise nothing is imported)\n"
	  "  --verbose                 also list every account added or unchanged" },
	{ "lucia", import_lucia, NULL,
	  "DBFILE [--tables user,user_key,user_session] [--username-from email|username]\n"
	  "        [--dry-run] [--skip-invalid] [--verbose]",
	  "Adopt the users and keys of a Lucia v2 SQLite database (opened read-only).\n"
	  "Lucia ids and password hashes (s2: scrypt) are kept; keys without a password\n"
	  "(github:1234) keep their ids; the key with a password becomes\n"
	  "password:<name>.  Sessions are not imported (users sign in again).\n"
	  "  --tables U,K[,S]          the user, key and session tables\n"
	  "  --username-from email     user name from the e-mail's local part,\n"
	  "                            lower-cased, other characters '_' (default)\n"
	  "  --username-from username  the user table's username column as it is\n"
	  "  --dry-run, --skip-invalid, --verbose  as for 'import shadow'" },
	{ NULL, NULL, NULL, NULL, NULL },
};

/*
 * luciaauth.c - main(), global options and the subcommand dispatcher of the
 * luciaauth administration tool (SPEC 5, luciaauth(8)).
 *
 * Command words are looked up in tables (struct cli_cmd); each leaf parses
 * its own options with cli_getopt(), which also accepts --json and --help
 * so that "luciaauth login --user u --json" works as well as
 * "luciaauth --json login --user u".
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "la_snapshot.h"

static int cmd_init(struct cli_ctx *c, int argc, char **argv)
{
	struct la_store *st = NULL;
	json_object *o = NULL;
	int r = cli_simple_args(c, argc, argv, 0, 0);

	if (r != CLI_CONTINUE)
		return r;
	r = cli_open_store(c, LA_OPEN_CREATE, &st);
	if (r != CLI_OK)
		return r;
	if (c->json) {
		o = cli_json_ok();
		cli_json_str(o, "dir", la_store_config(st)->dir);
		r = cli_json_emit(c, o, false);
	} else {
		printf("initialised store in %s\n", la_store_config(st)->dir);
	}
	la_store_close(st);
	return r;
}

/* The header of the snapshot just published, for its counts. */
static bool read_snap_header(const char *path, struct la_snap_header *h)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	bool ok = fd >= 0 && read(fd, h, sizeof(*h)) == (ssize_t)sizeof(*h) &&
		  memcmp(h->magic, LA_SNAP_MAGIC, sizeof(h->magic)) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

static int cmd_publish(struct cli_ctx *c, int argc, char **argv)
{
	char path[LA_PATH_MAX + sizeof("/" LA_SNAP_NAME)];
	struct la_snap_header h;
	struct la_store *st = NULL;
	json_object *o = NULL;
	int r = cli_simple_args(c, argc, argv, 0, 0);
	la_rc rc;

	if (r != CLI_CONTINUE)
		return r;
	r = cli_open_store(c, 0, &st);
	if (r != CLI_OK)
		return r;
	rc = la_snapshot_publish(st);
	snprintf(path, sizeof(path), "%s/%s", la_store_config(st)->dir, LA_SNAP_NAME);
	if (rc != LA_OK) {
		r = cli_fail(c, st, rc, path);
	} else if (!read_snap_header(path, &h)) {
		r = cli_fail_msg(c, CLI_ESTORE, cli_rc_code(LA_E_IO), "cannot read %s back", path);
	} else if (c->json) {
		o = cli_json_ok();
		cli_json_str(o, "path", path);
		cli_json_int(o, "users", h.n_users);
		cli_json_int(o, "groups", h.n_groups);
		r = cli_json_emit(c, o, false);
	} else {
		printf("published %s (%u users, %u groups)\n", path, h.n_users, h.n_groups);
	}
	la_store_close(st);
	return r;
}

static const struct cli_cmd top_cmds[] = {
	{ "init", cmd_init, NULL, "",
	  "Create the state directory and the master database (mode 0600) if they\n"
	  "do not exist yet.  Running it again on an existing store is harmless." },
	{ "user", NULL, cli_user_cmds, NULL, NULL },
	{ "passwd", cli_cmd_passwd, NULL, "NAME [--stdin]",
	  "Set the password of NAME (checked against the password policy).\n"
	  "  --stdin   read the new password as one line from standard input;\n"
	  "            otherwise prompt twice on the terminal without echo" },
	{ "group", NULL, cli_group_cmds, NULL, NULL },
	{ "key", NULL, cli_key_cmds, NULL, NULL },
	{ "signup", cli_cmd_signup, NULL,
	  "--username U [--email E] --password-stdin [--rhost HOST]",
	  "Create an account with a password key and a session, as a web sign-up\n"
	  "does; refused (exit 6) unless 'signup = open'.  Prints the session token.\n"
	  "  --username U       the new user name\n"
	  "  --email E          optional e-mail address (unique)\n"
	  "  --password-stdin   read the password as one line from standard input\n"
	  "  --rhost HOST       remote address recorded with the session" },
	{ "login", cli_cmd_login, NULL,
	  "(--user U | --email E | --key P:ID) [--password-stdin] [--rhost HOST]",
	  "Sign in and print a new session token on standard output.\n"
	  "  --user U           sign in with the key password:U\n"
	  "  --email E          sign in as the user with this e-mail address\n"
	  "  --key P:ID         sign in with the key P:ID; without --password-stdin\n"
	  "                     no password is used (e.g. github:1234 after OAuth)\n"
	  "  --password-stdin   read the password as one line from standard input\n"
	  "  --rhost HOST       remote address recorded with the session" },
	{ "session", NULL, cli_session_cmds, NULL, NULL },
	{ "import", NULL, cli_import_cmds, NULL, NULL },
	{ "publish", cmd_publish, NULL, "",
	  "Rebuild the NSS snapshot <dir>/nss.snapshot (mode 0644) from the master\n"
	  "database.  Every change does this by itself; use it after restoring or\n"
	  "editing the database by other means, or after changing uid_min/uid_max\n"
	  "or the system account files." },
	{ "doctor", cli_cmd_doctor, NULL, "[--nsswitch F] [--pam-dir D] [--chkpwd F]",
	  CLI_DOCTOR_HELP },
	{ "backup", cli_cmd_backup, NULL, "[--force] FILE", CLI_BACKUP_HELP },
	{ "restore", cli_cmd_restore, NULL, "FILE", CLI_RESTORE_HELP },
	{ NULL, NULL, NULL, NULL, NULL },
};

/* ---- dispatch ------------------------------------------------------- */

static bool is_help(const char *s)
{
	return strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0;
}

static void append_word(struct cli_ctx *c, const char *w)
{
	size_t len = strlen(c->cmd);

	snprintf(c->cmd + len, sizeof(c->cmd) - len, "%s%s", len ? " " : "", w);
}

/* Print the synopsis lines of table (prefix = command words so far). */
static void print_synopsis(FILE *f, const struct cli_cmd *table, const char *prefix)
{
	char sub[128];

	for (const struct cli_cmd *e = table; e->name; e++) {
		if (e->sub) {
			snprintf(sub, sizeof(sub), "%s %s", prefix, e->name);
			print_synopsis(f, e->sub, sub);
		} else {
			fprintf(f, "  " CLI_NAME "%s %s%s%s\n", prefix, e->name,
				e->usage[0] ? " " : "", e->usage);
		}
	}
}

static void print_group_usage(FILE *f, const struct cli_ctx *c, const struct cli_cmd *table)
{
	char prefix[sizeof(c->cmd) + 1];

	snprintf(prefix, sizeof(prefix), "%s%s", c->cmd[0] ? " " : "", c->cmd);
	fprintf(f, "Usage:\n");
	print_synopsis(f, table, prefix);
}

/* Run argv[0] looked up in table (recursing into sub-tables); returns the
 * exit status.  Accepts --json and --help between command words. */
static int dispatch(struct cli_ctx *c, const struct cli_cmd *table, int argc, char **argv)
{
	const struct cli_cmd *e = table;

	while (argc > 0 && strcmp(argv[0], "--json") == 0) {
		c->json = true;
		argc--;
		argv++;
	}
	if (argc == 0) {
		cli_usage(c, "missing command");
		print_group_usage(stderr, c, table);
		return CLI_EUSAGE;
	}
	if (is_help(argv[0])) {
		print_group_usage(stdout, c, table);
		printf("\nSee '" CLI_NAME " %s%sCOMMAND --help' and luciaauth(8).\n", c->cmd,
		       c->cmd[0] ? " " : "");
		return CLI_OK;
	}
	while (e->name && strcmp(e->name, argv[0]) != 0)
		e++;
	if (!e->name)
		return cli_usage(c, "unknown command '%s'", argv[0]);
	append_word(c, e->name);
	if (e->sub)
		return dispatch(c, e->sub, argc - 1, argv + 1);
	c->leaf = e;
	return e->fn(c, argc, argv);
}

static void print_leaf_help(const struct cli_ctx *c)
{
	const struct cli_cmd *e = c->leaf;

	printf("Usage: " CLI_NAME " %s%s%s\n", c->cmd, e->usage[0] ? " " : "", e->usage);
	if (e->help && e->help[0])
		printf("\n%s\n", e->help);
	printf("\nAlso accepted: --json (one JSON object on stdout), --help.\n");
}

/* A bad option: name it, but never echo an "=value" part (it could be a
 * password someone tried to pass on the command line). */
static int bad_option(struct cli_ctx *c, char **argv, int opt)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	int len = (int)strcspn(arg, "=");

	if (opt == ':')
		return cli_usage(c, "option '%.*s' requires an argument", len, arg);
	if (optopt && optopt < 0x100 && strncmp(arg, "--", 2) != 0)
		return cli_usage(c, "invalid option '-%c'", optopt);
	return cli_usage(c, "invalid option '%.*s'", len, arg);
}

int cli_getopt(struct cli_ctx *c, int argc, char **argv, const struct option *longopts,
	       int *status)
{
	int opt;

	*status = CLI_CONTINUE;
	opterr = 0;
	for (;;) {
		opt = getopt_long(argc, argv, ":h", longopts, NULL);
		switch (opt) {
		case CLI_OPT_JSON:
			c->json = true;
			continue;
		case 'h':
			print_leaf_help(c);
			*status = CLI_OK;
			return -1;
		case ':':
		case '?':
			*status = bad_option(c, argv, opt);
			return -1;
		default:
			return opt;
		}
	}
}

int cli_getopt_end(struct cli_ctx *c, int argc, int status, int min, int max)
{
	int n = argc - optind;

	if (status != CLI_CONTINUE)
		return status;
	if (n < min)
		return cli_usage(c, "missing argument (expected: %s)", c->leaf->usage);
	/* Not echoed: a stray argument may be a secret typed in the wrong place. */
	if (n > max && max == 0)
		return cli_usage(c, "unexpected argument (%s takes no arguments)", c->cmd);
	if (n > max)
		return cli_usage(c, "too many arguments (expected: %s)", c->leaf->usage);
	return CLI_CONTINUE;
}

int cli_simple_args(struct cli_ctx *c, int argc, char **argv, int min, int max)
{
	static const struct option opts[] = { CLI_STD_OPTIONS, { NULL, 0, NULL, 0 } };
	int status = CLI_CONTINUE;

	optind = 0;
	while (cli_getopt(c, argc, argv, opts, &status) != -1)
		; /* only --json and --help: handled by cli_getopt */
	return cli_getopt_end(c, argc, status, min, max);
}

/* ---- main ----------------------------------------------------------- */

static void print_help(void)
{
	printf("Usage: " CLI_NAME " [--config FILE] [--dir DIR] [--json] COMMAND ...\n\n"
	       "Manage the luciaauth credential store: users, groups, auth keys and\n"
	       "sessions; sign up and sign in for web applications.\n\n"
	       "Commands:\n");
	print_synopsis(stdout, top_cmds, "");
	printf("\nGlobal options:\n"
	       "  --config FILE  configuration file (default " LA_DEFAULT_CONFIG ")\n"
	       "  --dir DIR      state directory (overrides 'dir' in the configuration)\n"
	       "  --json         print one JSON object on standard output\n"
	       "  --help         this help; '" CLI_NAME " COMMAND --help' for a command\n"
	       "  --version      print the version\n\n"
	       "Passwords and tokens are never taken from the command line.\n"
	       "Exit status: 0 ok, 1 authentication failed, 2 usage, 3 not found,\n"
	       "4 already exists, 5 store unavailable, 6 refused by policy.\n"
	       "See luciaauth(8).\n");
}

/* --json anywhere (before a "--") selects JSON output even for errors
 * found before the subcommand's own parser reaches it. */
static bool wants_json(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "--json") == 0)
			return true;
	}
	return false;
}

static int finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, CLI_NAME ": error writing standard output: %s\n", strerror(errno));
		return status == CLI_OK ? CLI_ESTORE : status;
	}
	return status;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dir", required_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		CLI_STD_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli_ctx c = { .config_path = NULL };
	int opt;

	c.json = wants_json(argc, argv);
	if (sodium_init() < 0)
		return cli_fail_msg(&c, CLI_ESTORE, "crypto", "cannot initialise libsodium");
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			c.config_path = optarg;
			break;
		case 'd':
			c.dir = optarg;
			break;
		case CLI_OPT_JSON:
			c.json = true;
			break;
		case 'h':
			print_help();
			return finish(CLI_OK);
		case 'V':
			printf(CLI_NAME " " PACKAGE_VERSION "\n");
			return finish(CLI_OK);
		default:
			return bad_option(&c, argv, opt);
		}
	}
	if (optind >= argc) {
		cli_usage(&c, "missing command");
		fprintf(stderr, "Usage: " CLI_NAME " [--config FILE] [--dir DIR] [--json] COMMAND ...\n");
		return CLI_EUSAGE;
	}
	return finish(dispatch(&c, top_cmds, argc - optind, argv + optind));
}

/*
 * cli_user.c - "luciaauth user ..." and "luciaauth passwd".
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define USER_SPEC_OPTIONS                                            \
	{ "email", required_argument, NULL, 'e' },                   \
	{ "gid", required_argument, NULL, 'g' },                     \
	{ "home", required_argument, NULL, 'H' },                    \
	{ "shell", required_argument, NULL, 's' },                   \
	{ "gecos", required_argument, NULL, 'c' },                   \
	{ "groups", required_argument, NULL, 'G' },                  \
	{ "must-change", no_argument, NULL, 'm' }

/* Options shared by "user add" and "user mod"; sets spec->set bits. */
static int spec_option(struct cli_ctx *c, int opt, struct la_user_spec *spec,
		       const char **groups)
{
	switch (opt) {
	case 'e':
	case 'E':
		spec->email = opt == 'e' ? optarg : NULL;
		spec->set |= LA_SET_EMAIL;
		break;
	case 'u':
		if (!cli_parse_id(optarg, &spec->uid))
			return cli_usage(c, "invalid uid '%s' (a positive decimal number)", optarg);
		break;
	case 'g':
		if (!cli_parse_id(optarg, &spec->gid))
			return cli_usage(c, "invalid gid '%s' (a positive decimal number)", optarg);
		spec->set |= LA_SET_GID;
		break;
	case 'H':
		spec->home = optarg;
		spec->set |= LA_SET_HOME;
		break;
	case 's':
		spec->shell = optarg;
		spec->set |= LA_SET_SHELL;
		break;
	case 'c':
		spec->gecos = optarg;
		spec->set |= LA_SET_GECOS;
		break;
	case 'G':
		*groups = optarg;
		spec->set |= LA_SET_GROUPS;
		break;
	case 'm':
	case 'M':
		spec->must_change = opt == 'm';
		spec->set |= LA_SET_MUST_CHANGE;
		break;
	default:
		return cli_usage(c, "unexpected option");
	}
	return CLI_CONTINUE;
}

/* --groups into spec (storage/vec to be freed by the caller). */
static int spec_groups(struct cli_ctx *c, const char *groups, struct la_user_spec *spec,
		       char **storage, const char ***vec)
{
	if (!groups)
		return CLI_CONTINUE;
	if (!cli_split_list(groups, storage, vec, &spec->n_groups))
		return cli_usage(c, "invalid group list '%s' (names separated by commas)", groups);
	spec->groups = *vec;
	return CLI_CONTINUE;
}

static int user_add_opts(struct cli_ctx *c, int argc, char **argv, struct la_user_spec *spec,
			 const char **groups, bool *pw_stdin, bool *no_password)
{
	static const struct option opts[] = {
		USER_SPEC_OPTIONS,
		{ "uid", required_argument, NULL, 'u' },
		{ "password-stdin", no_argument, NULL, 'p' },
		{ "no-password", no_argument, NULL, 'n' },
		CLI_STD_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int status = CLI_CONTINUE, opt, r = CLI_CONTINUE;

	optind = 0;
	while (r == CLI_CONTINUE && (opt = cli_getopt(c, argc, argv, opts, &status)) != -1) {
		if (opt == 'p')
			*pw_stdin = true;
		else if (opt == 'n')
			*no_password = true;
		else
			r = spec_option(c, opt, spec, groups);
	}
	if (r == CLI_CONTINUE)
		r = cli_getopt_end(c, argc, status, 1, 1);
	if (r != CLI_CONTINUE)
		return r;
	spec->username = argv[optind];
	if (!la_valid_username(spec->username))
		return cli_usage(c, "invalid user name '%s' (lower case, digits, '_' and '-', "
				    "at most %d characters)", spec->username, LA_NAME_MAX);
	if (*pw_stdin && *no_password)
		return cli_usage(c, "--password-stdin and --no-password exclude each other");
	return CLI_CONTINUE;
}

static int user_add(struct cli_ctx *c, int argc, char **argv)
{
	struct la_user_spec spec = { .username = NULL };
	struct la_store *st = NULL;
	struct la_user u;
	json_object *o = NULL;
	const char *groups = NULL, **vec = NULL;
	char *storage = NULL, *password = NULL;
	bool pw_stdin = false, no_password = false;
	int r = user_add_opts(c, argc, argv, &spec, &groups, &pw_stdin, &no_password);
	la_rc rc;

	if (r != CLI_CONTINUE)
		return r;
	spec.set = 0; /* only la_user_mod() reads it */
	r = spec_groups(c, groups, &spec, &storage, &vec);
	if (r != CLI_CONTINUE)
		goto out;
	r = cli_open_store(c, 0, &st);
	if (r != CLI_OK)
		goto out;
	if (la_user_by_name(st, spec.username, &u) == LA_OK) {
		r = cli_fail(c, NULL, LA_E_USER_EXISTS, spec.username);
		goto out;
	}
	if (!no_password) {
		r = cli_get_password(c, pw_stdin, true,
				     "no password given: use --password-stdin or --no-password",
				     &password);
		if (r != CLI_OK)
			goto out;
	}
	rc = la_user_add(st, &spec, password, &u);
	if (rc != LA_OK) {
		r = cli_fail(c, st, rc, spec.username);
	} else if (c->json) {
		o = cli_json_ok();
		json_object_object_add(o, "user", cli_json_user(&u));
		r = cli_json_emit(c, o, false);
	} else {
		printf("added user %s (uid %u, gid %u)\n", u.username, u.uid, u.gid);
	}
out:
	cli_secret_free(password);
	la_store_close(st);
	free(vec);
	free(storage);
	return r;
}

static int user_mod(struct cli_ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		USER_SPEC_OPTIONS,
		{ "no-email", no_argument, NULL, 'E' },
		{ "no-must-change", no_argument, NULL, 'M' },
		CLI_STD_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct la_user_spec spec = { .username = NULL };
	struct la_store *st = NULL;
	const char *groups = NULL, **vec = NULL;
	char *storage = NULL;
	int status = CLI_CONTINUE, opt, r = CLI_CONTINUE;
	la_rc rc;

	optind = 0;
	while (r == CLI_CONTINUE && (opt = cli_getopt(c, argc, argv, opts, &status)) != -1)
		r = spec_option(c, opt, &spec, &groups);
	if (r == CLI_CONTINUE)
		r = cli_getopt_end(c, argc, status, 1, 1);
	if (r != CLI_CONTINUE)
		return r;
	if (spec.set == 0)
		return cli_usage(c, "nothing to change");
	spec.username = argv[optind];
	r = spec_groups(c, groups, &spec, &storage, &vec);
	if (r != CLI_CONTINUE)
		goto out;
	r = cli_open_store(c, 0, &st);
	if (r != CLI_OK)
		goto out;
	rc = la_user_mod(st, spec.username, &spec);
	if (rc != LA_OK)
		r = cli_fail(c, st, rc, spec.username);
	else if (c->json)
		r = cli_json_emit(c, cli_json_ok(), false);
	else
		printf("modified user %s\n", spec.username);
out:
	la_store_close(st);
	free(vec);
	free(storage);
	return r;
}

/* ---- one-NAME changes: del, lock, unlock ---------------------------- */

static la_rc lock_user(struct la_store *st, const char *name)
{
	return la_user_set_locked(st, name, true);
}

static la_rc unlock_user(struct la_store *st, const char *name)
{
	return la_user_set_locked(st, name, false);
}

static int user_del(struct cli_ctx *c, int argc, char **argv)
{
	return cli_name_cmd(c, argc, argv, la_user_del, "deleted", "deleted user ", "");
}

static int user_lock(struct cli_ctx *c, int argc, char **argv)
{
	return cli_name_cmd(c, argc, argv, lock_user, "locked", "locked user ", "");
}

static int user_unlock(struct cli_ctx *c, int argc, char **argv)
{
	return cli_name_cmd(c, argc, argv, unlock_user, "unlocked", "unlocked user ", "");
}

static int user_expire(struct cli_ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "at", required_argument, NULL, 'a' },
		CLI_STD_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct la_store *st = NULL;
	json_object *o = NULL;
	const char *at = NULL, *name;
	char tbuf[CLI_TIME_BUF];
	int64_t ms = 0;
	int status = CLI_CONTINUE, opt, r;
	la_rc rc;

	optind = 0;
	while ((opt = cli_getopt(c, argc, argv, opts, &status)) != -1)
		if (opt == 'a')
			at = optarg;
	r = cli_getopt_end(c, argc, status, 1, 1);
	if (r != CLI_CONTINUE)
		return r;
	name = argv[optind];
	if (!at)
		return cli_usage(c, "--at DATE or --at never is required");
	if (!cli_parse_date(at, &ms))
		return cli_usage(c, "invalid date '%s' (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ, "
				    "@SECONDS or never)", at);
	r = cli_open_store(c, 0, &st);
	if (r != CLI_OK)
		return r;
	rc = la_user_set_expiry(st, name, ms);
	if (rc != LA_OK) {
		r = cli_fail(c, st, rc, name);
	} else if (c->json) {
		o = cli_json_ok();
		cli_json_str(o, "user", name);
		cli_json_time(o, "expires", ms);
		r = cli_json_emit(c, o, false);
	} else if (ms) {
		printf("account %s expires %s\n", name, cli_fmt_time(ms, tbuf));
	} else {
		printf("account %s never expires\n", name);
	}
	la_store_close(st);
	return r;
}

/* ---- show and list -------------------------------------------------- */

/* User fields for show/list, beyond the public ones of cli_json_user(). */
static json_object *user_json_full(const struct la_user *u, int64_t now)
{
	json_object *o = cli_json_user(u);

	if (!o)
		return NULL;
	cli_json_time(o, "created", u->created_ms);
	cli_json_time(o, "expires", u->expires_ms);
	cli_json_bool(o, "expired", u->expires_ms && u->expires_ms <= now);
	cli_json_bool(o, "locked", u->locked);
	cli_json_time(o, "locked_until", u->locked_until_ms > now ? u->locked_until_ms : 0);
	cli_json_int(o, "failures", u->failures);
	cli_json_bool(o, "has_password", u->has_password);
	cli_json_time(o, "password_changed", u->password_changed_ms);
	return o;
}

static int add_key_name(const struct la_key *k, void *ctx)
{
	return cli_json_add_name(k->id, 0, ctx);
}

static void kv(const char *key, const char *fmt, ...) CLI_PRINTF(2, 3);
static void kv(const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("%s:%*s", key, (int)(18 - strlen(key)), "");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* "a, b, c" from a JSON array of strings. */
static void kv_list(const char *key, json_object *arr)
{
	size_t n = json_object_array_length(arr);

	printf("%s:%*s", key, (int)(18 - strlen(key)), "");
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? ", " : "",
		       json_object_get_string(json_object_array_get_idx(arr, i)));
	printf("%s\n", n ? "" : "-");
}

static void show_human(const struct la_user *u, json_object *groups, json_object *keys,
		       int64_t now)
{
	char t[CLI_TIME_BUF];

	kv("username", "%s", u->username);
	kv("id", "%s", u->id);
	kv("email", "%s", u->email[0] ? u->email : "-");
	kv("uid", "%u", u->uid);
	kv("gid", "%u", u->gid);
	kv("gecos", "%s", u->gecos[0] ? u->gecos : "-");
	kv("home", "%s", u->home);
	kv("shell", "%s", u->shell);
	kv_list("groups", groups);
	kv_list("keys", keys);
	kv("created", "%s", cli_fmt_time(u->created_ms, t));
	if (u->expires_ms)
		kv("expires", "%s%s", cli_fmt_time(u->expires_ms, t),
		   u->expires_ms <= now ? " (expired)" : "");
	else
		kv("expires", "never");
	if (u->has_password && u->password_changed_ms)
		kv("password", "set, changed %s", cli_fmt_time(u->password_changed_ms, t));
	else
		kv("password", "%s", u->has_password ? "set" : "none");
	kv("must change", "%s", u->must_change ? "yes" : "no");
	kv("locked", "%s", u->locked ? "yes (by an administrator)" : "no");
	if (u->locked_until_ms > now)
		kv("locked out until", "%s", cli_fmt_time(u->locked_until_ms, t));
	kv("failures", "%u", u->failures);
}

static int user_show(struct cli_ctx *c, int argc, char **argv)
{
	struct la_store *st = NULL;
	struct la_user u;
	json_object *groups = json_object_new_array(), *keys = json_object_new_array();
	json_object *o = NULL;
	const char *name;
	int64_t now;
	int r = cli_simple_args(c, argc, argv, 1, 1);
	la_rc rc;

	if (r != CLI_CONTINUE)
		goto out;
	name = argv[optind];
	r = cli_open_store(c, 0, &st);
	if (r != CLI_OK)
		goto out;
	rc = la_user_by_name(st, name, &u);
	if (rc == LA_OK)
		rc = !groups || !keys ? LA_E_NOMEM
				      : la_user_groups(st, name, cli_json_add_name, groups);
	if (rc == LA_OK)
		rc = la_key_list(st, name, add_key_name, keys);
	if (rc != LA_OK) {
		r = cli_fail(c, st, rc, name);
		goto out;
	}
	now = la_store_now(st);
	if (!c->json) {
		show_human(&u, groups, keys, now);
		goto out;
	}
	o = user_json_full(&u, now);
	if (o) {
		json_object_object_add(o, "groups", json_object_get(groups));
		json_object_object_add(o, "keys", json_object_get(keys));
	}
	r = cli_json_emit(c, o, false);
out:
	json_object_put(groups);
	json_object_put(keys);
	la_store_close(st);
	return r;
}

struct user_list {
	struct cli_list l;
	int64_t now;
};

static void user_status(const struct la_user *u, int64_t now, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s", u->locked ? "locked," : "",
		 u->expires_ms && u->expires_ms <= now ? "expired," : "",
		 u->locked_until_ms > now ? "locked-out," : "",
		 u->must_change ? "must-change," : "", u->has_password ? "" : "no-password,");
	if (buf[0])
		buf[strlen(buf) - 1] = '\0';
	else
		snprintf(buf, len, "ok");
}

static int list_user(const struct la_user *u, void *ctx)
{
	struct user_list *ul = ctx;
	char uid[16], gid[16], status[80];
	const char *cells[6] = { u->username, uid, gid, u->email, u->shell, status };

	if (ul->l.arr)
		return cli_list_add(&ul->l, user_json_full(u, ul->now), NULL);
	snprintf(uid, sizeof(uid), "%u", u->uid);
	snprintf(gid, sizeof(gid), "%u", u->gid);
	user_status(u, ul->now, status, sizeof(status));
	return cli_list_add(&ul->l, NULL, cells);
}

static int user_list(struct cli_ctx *c, int argc, char **argv)
{
	static const char *const head[] = { "USER", "UID", "GID", "EMAIL", "SHELL", "STATUS" };
	struct la_store *st = NULL;
	struct user_list ul;
	int r = cli_simple_args(c, argc, argv, 0, 0);
	la_rc rc;

	if (r != CLI_CONTINUE)
		return r;
	r = cli_open_store(c, 0, &st);
	if (r != CLI_OK)
		return r;
	ul.now = la_store_now(st);
	rc = cli_list_init(c, &ul.l, 6, head) ? la_user_list(st, list_user, &ul) : LA_E_NOMEM;
	r = cli_list_finish(c, &ul.l, st, rc, "users", NULL);
	la_store_close(st);
	return r;
}

/* ---- passwd --------------------------------------------------------- */

int cli_cmd_passwd(struct cli_ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "stdin", no_argument, NULL, 'p' },
		{ "password-stdin", no_argument, NULL, 'p' },
		CLI_STD_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct la_store *st = NULL;
	struct la_user u;
	char *password = NULL;
	const char *name;
	bool pw_stdin = false;
	int status = CLI_CONTINUE, opt, r;
	la_rc rc;

	optind = 0;
	while ((opt = cli_getopt(c, argc, argv, opts, &status)) != -1)
		if (opt == 'p')
			pw_stdin = true;
	r = cli_getopt_end(c, argc, status, 1, 1);
	if (r != CLI_CONTINUE)
		return r;
	name = argv[optind];
	r = cli_open_store(c, 0, &st);
	if (r != CLI_OK)
		goto out;
	rc = la_user_by_name(st, name, &u); /* before asking for a password */
	if (rc != LA_OK) {
		r = cli_fail(c, st, rc, name);
		goto out;
	}
	r = cli_get_password(c, pw_stdin, true, "no password given: use --stdin", &password);
	if (r != CLI_OK)
		goto out;
	rc = la_password_set(st, name, password);
	if (rc != LA_OK)
		r = cli_fail(c, st, rc, name);
	else if (c->json)
		r = cli_json_emit(c, cli_json_ok(), false);
	else
		printf("password of %s updated\n", name);
out:
	cli_secret_free(password);
	la_store_close(st);
	return r;
}

const struct cli_cmd cli_user_cmds[] = {
	{ "add", user_add, NULL,
	  "NAME [--email E] [--uid N] [--gid N] [--home H] [--shell S]\n"
	  "        [--gecos G] [--groups g1,g2] [--must-change]\n"
	  "        [--password-stdin | --no-password]",
	  "Create a user, its private group (unless --gid), its group memberships\n"
	  "and, unless --no-password, the key password:NAME.\n"
	  "  --email E          e-mail address (unique, case-insensitive)\n"
	  "  --uid N            uid (default: the first free one in uid_min..uid_max)\n"
	  "  --gid N            primary gid of an existing group (default: a private\n"
	  "                     group with gid = uid)\n"
	  "  --home H           home directory (default home_base/NAME)\n"
	  "  --shell S          login shell (default default_shell)\n"
	  "  --gecos G          full name / comment\n"
	  "  --groups g1,g2     supplementary groups\n"
	  "  --must-change      the password must be changed at the next login\n"
	  "  --password-stdin   read the password as one line from standard input\n"
	  "  --no-password      no password (the user signs in with other keys)\n"
	  "Without either, the password is asked twice on the terminal." },
	{ "del", user_del, NULL, "NAME",
	  "Delete a user with its sessions, keys and memberships." },
	{ "mod", user_mod, NULL,
	  "NAME [--email E | --no-email] [--gid N] [--home H] [--shell S]\n"
	  "        [--gecos G] [--groups g1,g2] [--must-change | --no-must-change]",
	  "Change the given fields of a user.  --groups replaces the supplementary\n"
	  "groups ('' removes them all)." },
	{ "show", user_show, NULL, "NAME", "Show every field of a user, groups and keys." },
	{ "list", user_list, NULL, "", "List the users." },
	{ "lock", user_lock, NULL, "NAME", "Lock the account: no sign-in of any kind." },
	{ "unlock", user_unlock, NULL, "NAME",
	  "Unlock the account and reset the failed-login counter (ends a lockout)." },
	{ "expire", user_expire, NULL, "NAME --at DATE|never",
	  "Set the account expiry.  DATE is YYYY-MM-DD (midnight UTC),\n"
	  "YYYY-MM-DDTHH:MM:SSZ, @SECONDS since the epoch, or never." },
	{ NULL, NULL, NULL, NULL, NULL },
};

/*
 * cli_key.c - "luciaauth key ...": auth keys (Lucia's user keys), one per
 * sign-in method, with or without a password.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

static json_object *key_json(const struct la_key *k)
{
	json_object *o = json_object_new_object();
	const char *colon = strchr(k->id, ':');
	int plen = colon ? (int)(colon - k->id) : (int)strlen(k->id);
	char provider[LA_PROVIDER_MAX + 1];

	if (!o)
		return NULL;
	snprintf(provider, sizeof(provider), "%.*s", plen, k->id);
	cli_json_str(o, "id", k->id);
	cli_json_str(o, "provider", provider);
	cli_json_str(o, "provider_user_id", colon ? colon + 1 : "");
	cli_json_str(o, "user_id", k->user_id);
	cli_json_bool(o, "has_password", k->has_password);
	return o;
}

struct key_add_args {
	const char *user, *provider, *provider_user_id;
	bool pw_stdin;
};

static int key_add_opts(struct cli_ctx *c, int argc, char **argv, struct key_add_args *a)
{
	static const struct option opts[] = {
		{ "provider", required_argument, NULL, 'P' },
		{ "provider-user-id", required_argument, NULL, 'I' },
		{ "password-stdin", no_argument, NULL, 'p' },
		CLI_STD_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int status = CLI_CONTINUE, opt, r;

	optind = 0;
	while ((opt = cli_getopt(c, argc, argv, opts, &status)) != -1) {
		if (opt == 'P')
			a->provider = optarg;
		else if (opt == 'I')
			a->provider_user_id = optarg;
		else if (opt == 'p')
			a->pw_stdin = true;
	}
	r = cli_getopt_end(c, argc, status, 1, 1);
	if (r != CLI_CONTINUE)
		return r;
	a->user = argv[optind];
	if (!a->provider || !a->provider_user_id)
		return cli_usage(c, "--provider and --provider-user-id are required");
	if (!a->provider[0] || strchr(a->provider, ':'))
		return cli_usage(c, "invalid provider '%s' (non-empty, no ':')", a->provider);
	return CLI_CONTINUE;
}

static int key_add(struct cli_ctx *c, int argc, char **argv)
{
	struct key_add_args a = { .user = NULL };
	struct la_store *st = NULL;
	struct la_key k;
	json_object *o = NULL;
	char *password = NULL, id[LA_KEY_ID_MAX + 1];
	int r = key_add_opts(c, argc, argv, &a);
	la_rc rc;

	if (r != CLI_CONTINUE)
		return r;
	r = cli_open_store(c, 0, &st);
	if (r != CLI_OK)
		goto out;
	/* The provider "password" always has one; other keys only when asked. */
	if (a.pw_stdin || strcmp(a.provider, "password") == 0) {
		r = cli_get_password(c, a.pw_stdin, true, "password required: use --password-stdin",
				     &password);
		if (r != CLI_OK)
			goto out;
	}
	rc = la_key_add(st, a.user, a.provider, a.provider_user_id, password, &k);
	if (rc != LA_OK) {
		snprintf(id, sizeof(id), "%s:%s", a.provider, a.provider_user_id);
		r = cli_fail(c, st, rc, rc == LA_E_NOUSER ? a.user : id);
	} else if (c->json) {
		o = cli_json_ok();
		json_object_object_add(o, "key", key_json(&k));
		r = cli_json_emit(c, o, false);
	} else {
		printf("added key %s for %s%s\n", k.id, a.user,
		       k.has_password ? " (with a password)" : "");
	}
out:
	cli_secret_free(password);
	la_store_close(st);
	return r;
}

static int list_key(const struct la_key *k, void *ctx)
{
	const char *cells[2] = { k->id, k->has_password ? "yes" : "no" };
	struct cli_list *l = ctx;

	return cli_list_add(l, l->arr ? key_json(k) : NULL, cells);
}

static int key_list(struct cli_ctx *c, int argc, char **argv)
{
	static const char *const head[] = { "KEY", "PASSWORD" };
	struct la_store *st = NULL;
	struct cli_list l;
	const char *user;
	int r = cli_simple_args(c, argc, argv, 1, 1);
	la_rc rc;

	if (r != CLI_CONTINUE)
		return r;
	user = argv[optind];
	r = cli_open_store(c, 0, &st);
	if (r != CLI_OK)
		return r;
	rc = cli_list_init(c, &l, 2, head) ? la_key_list(st, user, list_key, &l) : LA_E_NOMEM;
	r = cli_list_finish(c, &l, st, rc, "keys", user);
	la_store_close(st);
	return r;
}

static int key_del(struct cli_ctx *c, int argc, char **argv)
{
	return cli_name_cmd(c, argc, argv, la_key_del, "deleted", "deleted key ", "");
}

const struct cli_cmd cli_key_cmds[] = {
	{ "add", key_add, NULL, "USER --provider P --provider-user-id ID [--password-stdin]",
	  "Add the key P:ID to USER (Lucia createKey), e.g. github:12345 once a\n"
	  "web application has verified the OAuth sign-in.\n"
	  "  --provider P          provider id, without ':'\n"
	  "  --provider-user-id ID the user's id at that provider\n"
	  "  --password-stdin      give the key a password, read as one line from\n"
	  "                        standard input (the provider 'password' always\n"
	  "                        has one: asked on the terminal otherwise)" },
	{ "list", key_list, NULL, "USER", "List the keys of USER." },
	{ "del", key_del, NULL, "KEYID", "Delete the key KEYID (provider:id)." },
	{ NULL, NULL, NULL, NULL, NULL },
};

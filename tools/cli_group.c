/*
 * cli_group.c - "luciaauth group ...".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int group_add(struct cli_ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "gid", required_argument, NULL, 'g' },
		CLI_STD_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct la_store *st = NULL;
	struct la_group g;
	json_object *o = NULL;
	const char *name;
	uint32_t gid = 0;
	int status = CLI_CONTINUE, opt, r;
	la_rc rc;

	optind = 0;
	while ((opt = cli_getopt(c, argc, argv, opts, &status)) != -1)
		if (opt == 'g' && !cli_parse_id(optarg, &gid))
			return cli_usage(c, "invalid gid '%s' (a positive decimal number)", optarg);
	r = cli_getopt_end(c, argc, status, 1, 1);
	if (r != CLI_CONTINUE)
		return r;
	name = argv[optind];
	r = cli_open_store(c, 0, &st);
	if (r != CLI_OK)
		return r;
	rc = la_group_add(st, name, gid, &g);
	if (rc != LA_OK) {
		r = cli_fail(c, st, rc, name);
	} else if (c->json) {
		o = cli_json_ok();
		cli_json_str(o, "group", g.name);
		cli_json_int(o, "gid", g.gid);
		r = cli_json_emit(c, o, false);
	} else {
		printf("added group %s (gid %u)\n", g.name, g.gid);
	}
	la_store_close(st);
	return r;
}

static int group_del(struct cli_ctx *c, int argc, char **argv)
{
	return cli_name_cmd(c, argc, argv, la_group_del, "deleted", "deleted group ", "");
}

static int group_member(struct cli_ctx *c, int argc, char **argv, bool add)
{
	struct la_store *st = NULL;
	json_object *o = NULL;
	const char *group, *user;
	int r = cli_simple_args(c, argc, argv, 2, 2);
	la_rc rc;

	if (r != CLI_CONTINUE)
		return r;
	group = argv[optind];
	user = argv[optind + 1];
	r = cli_open_store(c, 0, &st);
	if (r != CLI_OK)
		return r;
	rc = add ? la_group_add_member(st, group, user) : la_group_remove_member(st, group, user);
	if (rc != LA_OK) {
		r = cli_fail(c, st, rc, rc == LA_E_NOUSER ? user : group);
	} else if (c->json) {
		o = cli_json_ok();
		cli_json_str(o, "group", group);
		cli_json_str(o, add ? "added" : "removed", user);
		r = cli_json_emit(c, o, false);
	} else {
		printf("%s %s %s group %s\n", add ? "added" : "removed", user, add ? "to" : "from",
		       group);
	}
	la_store_close(st);
	return r;
}

static int group_add_member(struct cli_ctx *c, int argc, char **argv)
{
	return group_member(c, argc, argv, true);
}

static int group_remove_member(struct cli_ctx *c, int argc, char **argv)
{
	return group_member(c, argc, argv, false);
}

/* ---- show and list -------------------------------------------------- */

/* {"name", "gid", "user_private", "members": [...]} */
static la_rc group_json(struct la_store *st, const struct la_group *g, json_object **out)
{
	json_object *o = json_object_new_object(), *members = json_object_new_array();
	la_rc rc = o && members ? LA_OK : LA_E_NOMEM;

	*out = NULL;
	if (rc == LA_OK)
		rc = la_group_members(st, g->name, cli_json_add_name, members);
	if (rc != LA_OK) {
		json_object_put(o);
		json_object_put(members);
		return rc;
	}
	cli_json_str(o, "name", g->name);
	cli_json_int(o, "gid", g->gid);
	cli_json_bool(o, "user_private", g->user_private);
	json_object_object_add(o, "members", members);
	*out = o;
	return LA_OK;
}

static const char *members_text(json_object *g, char *buf, size_t len)
{
	json_object *m = json_object_object_get(g, "members");
	size_t n = json_object_array_length(m), used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "",
					 json_object_get_string(json_object_array_get_idx(m, i)));
	return buf;
}

static int group_show(struct cli_ctx *c, int argc, char **argv)
{
	struct la_store *st = NULL;
	struct la_group g;
	json_object *o = NULL;
	char members[4096];
	const char *name;
	int r = cli_simple_args(c, argc, argv, 1, 1);
	la_rc rc;

	if (r != CLI_CONTINUE)
		return r;
	name = argv[optind];
	r = cli_open_store(c, 0, &st);
	if (r != CLI_OK)
		return r;
	rc = la_group_get(st, name, &g);
	if (rc == LA_OK)
		rc = group_json(st, &g, &o);
	if (rc != LA_OK) {
		r = cli_fail(c, st, rc, name);
	} else if (c->json) {
		r = cli_json_emit(c, o, false);
		o = NULL;
	} else {
		printf("name:     %s\ngid:      %u\nprivate:  %s\nmembers:  %s\n", g.name, g.gid,
		       g.user_private ? "yes (a user's private group)" : "no",
		       members_text(o, members, sizeof(members))[0] ? members : "-");
	}
	json_object_put(o);
	la_store_close(st);
	return r;
}

struct group_vec {
	struct la_group *v;
	size_t n, cap;
	bool oom;
};

static int collect_group(const struct la_group *g, void *ctx)
{
	struct group_vec *gv = ctx;
	struct la_group *grown;

	if (gv->n == gv->cap) {
		grown = reallocarray(gv->v, gv->cap ? gv->cap * 2 : 32, sizeof(*grown));
		if (!grown) {
			gv->oom = true;
			return 1;
		}
		gv->v = grown;
		gv->cap = gv->cap ? gv->cap * 2 : 32;
	}
	gv->v[gv->n++] = *g;
	return 0;
}

/* Members are looked up after the listing, not inside its callback. */
static int print_groups(struct cli_ctx *c, struct la_store *st, const struct group_vec *gv)
{
	static const char *const head[] = { "GROUP", "GID", "PRIVATE", "MEMBERS" };
	struct cli_list l;
	json_object *g = NULL;
	char gid[16], members[4096];
	const char *cells[4] = { NULL, gid, NULL, members };
	la_rc rc = cli_list_init(c, &l, 4, head) ? LA_OK : LA_E_NOMEM;

	for (size_t i = 0; rc == LA_OK && !l.failed && i < gv->n; i++) {
		rc = group_json(st, &gv->v[i], &g);
		if (rc != LA_OK)
			break;
		cells[0] = gv->v[i].name;
		snprintf(gid, sizeof(gid), "%u", gv->v[i].gid);
		cells[2] = gv->v[i].user_private ? "yes" : "no";
		members_text(g, members, sizeof(members));
		cli_list_add(&l, g, cells);
	}
	return cli_list_finish(c, &l, st, rc, "groups", NULL);
}

static int group_list(struct cli_ctx *c, int argc, char **argv)
{
	struct la_store *st = NULL;
	struct group_vec gv = { .v = NULL };
	int r = cli_simple_args(c, argc, argv, 0, 0);
	la_rc rc;

	if (r != CLI_CONTINUE)
		return r;
	r = cli_open_store(c, 0, &st);
	if (r != CLI_OK)
		return r;
	rc = la_group_list(st, collect_group, &gv);
	if (rc == LA_OK && gv.oom)
		rc = LA_E_NOMEM;
	r = rc == LA_OK ? print_groups(c, st, &gv) : cli_fail(c, st, rc, NULL);
	free(gv.v);
	la_store_close(st);
	return r;
}

const struct cli_cmd cli_group_cmds[] = {
	{ "add", group_add, NULL, "NAME [--gid N]",
	  "Create a group.  A group named like a system group must use that\n"
	  "group's gid; glibc's [SUCCESS=merge] then adds our members to it.\n"
	  "  --gid N   the gid (default: the first free one in uid_min..uid_max)" },
	{ "del", group_del, NULL, "NAME", "Delete a group and its memberships." },
	{ "list", group_list, NULL, "", "List the groups with their members." },
	{ "show", group_show, NULL, "NAME", "Show a group and its members." },
	{ "add-member", group_add_member, NULL, "GROUP USER", "Add USER to GROUP." },
	{ "remove-member", group_remove_member, NULL, "GROUP USER", "Remove USER from GROUP." },
	{ NULL, NULL, NULL, NULL, NULL },
};

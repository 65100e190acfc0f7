/*
 * cli_session.c - "luciaauth session ..." and the printers shared with
 * login and signup.
 *
 * Tokens come from standard input or $LUCIAAUTH_SESSION, never argv; only
 * public session ids are accepted as arguments (revoke-id, --except).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"

/* ---- shared printers ------------------------------------------------ */

json_object *cli_json_user(const struct la_user *u)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	cli_json_str(o, "id", u->id);
	cli_json_str(o, "username", u->username);
	cli_json_str(o, "email", u->email);
	cli_json_int(o, "uid", u->uid);
	cli_json_int(o, "gid", u->gid);
	cli_json_str(o, "gecos", u->gecos);
	cli_json_str(o, "home", u->home);
	cli_json_str(o, "shell", u->shell);
	cli_json_bool(o, "must_change", u->must_change);
	return o;
}

json_object *cli_json_session(const struct la_session *s)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	cli_json_str(o, "id", s->id);
	cli_json_str(o, "user_id", s->user_id);
	cli_json_str(o, "state", la_session_state_name(s->state));
	cli_json_int(o, "active_expires", s->active_expires);
	cli_json_int(o, "idle_expires", s->idle_expires);
	cli_json_time(o, "created", s->created_ms);
	cli_json_time(o, "max_expires", s->max_expires);
	cli_json_str(o, "source", s->source);
	cli_json_str(o, "tty", s->tty);
	cli_json_str(o, "rhost", s->rhost);
	return o;
}

static int emit_token_line(struct cli_ctx *c, const char *token)
{
	char line[LA_TOKEN_BUF + 1];
	size_t len = strnlen(token, LA_TOKEN_BUF - 1);
	int r = CLI_OK;

	/* write(2), not stdio: no copy of the token lingers in a buffer */
	fflush(stdout);
	memcpy(line, token, len);
	line[len] = '\n';
	if (write(STDOUT_FILENO, line, len + 1) != (ssize_t)(len + 1))
		r = cli_fail_msg(c, CLI_ESTORE, "io", "error writing the token");
	sodium_memzero(line, sizeof(line));
	return r;
}

int cli_print_session_result(struct cli_ctx *c, const char *token, const struct la_session *s,
			     const struct la_user *u)
{
	char t1[CLI_TIME_BUF], t2[CLI_TIME_BUF];
	json_object *o = NULL, *tok = NULL;
	int r;

	if (!c->json) {
		if (token)
			return emit_token_line(c, token);
		printf("valid: user %s (uid %u), session %s active until %s, idle until %s%s\n",
		       u->username, u->uid, s->id, cli_fmt_time(s->active_expires, t1),
		       cli_fmt_time(s->idle_expires, t2),
		       s->fresh ? " (renewed)" : s->state == LA_SESSION_IDLE ? " (idle)" : "");
		return CLI_OK;
	}
	o = json_object_new_object();
	if (o && token) {
		tok = json_object_new_string(token);
		/* keep a reference so the copy can be wiped after printing */
		json_object_object_add(o, "token", json_object_get(tok));
	}
	if (o) {
		cli_json_bool(o, "fresh", s->fresh);
		json_object_object_add(o, "session", cli_json_session(s));
		json_object_object_add(o, "user", cli_json_user(u));
	}
	r = cli_json_emit(c, o, token != NULL);
	if (tok) {
		cli_wipe_const(json_object_get_string(tok));
		json_object_put(tok);
	}
	return r;
}

/* ---- validate / get / revoke ---------------------------------------- */

static int parse_from_env(struct cli_ctx *c, int argc, char **argv, bool *from_env)
{
	static const struct option opts[] = {
		{ "from-env", no_argument, NULL, 'E' },
		CLI_STD_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int status = CLI_CONTINUE, opt;

	optind = 0;
	while ((opt = cli_getopt(c, argc, argv, opts, &status)) != -1)
		if (opt == 'E')
			*from_env = true;
	return cli_getopt_end(c, argc, status, 0, 0);
}

/* An invalid token gets the library's generic text, never the detail. */
static int token_fail(struct cli_ctx *c, const struct la_store *st, la_rc rc)
{
	if (rc == LA_E_NOSESSION || rc == LA_E_BADTOKEN)
		return cli_fail(c, NULL, rc, NULL);
	return cli_fail(c, st, rc, NULL);
}

enum token_op { TOKEN_VALIDATE, TOKEN_GET, TOKEN_REVOKE };

/* validate, get and revoke: the commands that take a session token. */
static int session_token(struct cli_ctx *c, int argc, char **argv, enum token_op op)
{
	struct la_store *st = NULL;
	struct la_session s;
	struct la_user u;
	char *token = NULL;
	bool from_env = false;
	int r = parse_from_env(c, argc, argv, &from_env);
	la_rc rc;

	if (r != CLI_CONTINUE)
		return r;
	r = cli_open_store(c, 0, &st);
	if (r != CLI_OK)
		goto out;
	r = cli_get_token(c, from_env, &token);
	if (r != CLI_OK)
		goto out;
	if (op == TOKEN_REVOKE)
		rc = la_session_revoke(st, token);
	else if (op == TOKEN_VALIDATE)
		rc = la_session_validate(st, token, &s, &u);
	else
		rc = la_session_get(st, token, &s, &u);
	if (rc != LA_OK)
		r = token_fail(c, st, rc);
	else if (op != TOKEN_REVOKE)
		r = cli_print_session_result(c, NULL, &s, &u);
	else if (c->json)
		r = cli_json_emit(c, cli_json_ok(), false);
	else
		printf("session revoked\n");
out:
	cli_secret_free(token);
	la_store_close(st);
	return r;
}

static int session_validate(struct cli_ctx *c, int argc, char **argv)
{
	return session_token(c, argc, argv, TOKEN_VALIDATE);
}

static int session_get(struct cli_ctx *c, int argc, char **argv)
{
	return session_token(c, argc, argv, TOKEN_GET);
}

static int session_revoke(struct cli_ctx *c, int argc, char **argv)
{
	return session_token(c, argc, argv, TOKEN_REVOKE);
}

static int session_revoke_id(struct cli_ctx *c, int argc, char **argv)
{
	return cli_name_cmd(c, argc, argv, la_session_revoke_id, "revoked", "session ", " revoked");
}

static int print_count(struct cli_ctx *c, const char *key, unsigned n, const char *what,
		       const char *user)
{
	json_object *o = NULL;

	if (c->json) {
		o = cli_json_ok();
		cli_json_int(o, key, n);
		return cli_json_emit(c, o, false);
	}
	printf("%s %u %ssession%s%s%s\n", key, n, what, n == 1 ? "" : "s", user ? " of " : "",
	       user ? user : "");
	return CLI_OK;
}

static int session_revoke_all(struct cli_ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "except", required_argument, NULL, 'x' },
		CLI_STD_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct la_store *st = NULL;
	const char *except = NULL, *user;
	unsigned n = 0;
	int status = CLI_CONTINUE, opt, r;
	la_rc rc;

	optind = 0;
	while ((opt = cli_getopt(c, argc, argv, opts, &status)) != -1)
		if (opt == 'x')
			except = optarg;
	r = cli_getopt_end(c, argc, status, 1, 1);
	if (r != CLI_CONTINUE)
		return r;
	user = argv[optind];
	r = cli_open_store(c, 0, &st);
	if (r != CLI_OK)
		return r;
	rc = la_session_revoke_user(st, user, except, &n);
	if (rc != LA_OK)
		r = cli_fail(c, st, rc, user);
	else
		r = print_count(c, "revoked", n, "", user);
	la_store_close(st);
	return r;
}

static int session_gc(struct cli_ctx *c, int argc, char **argv)
{
	struct la_store *st = NULL;
	unsigned n = 0;
	int r = cli_simple_args(c, argc, argv, 0, 0);
	la_rc rc;

	if (r != CLI_CONTINUE)
		return r;
	r = cli_open_store(c, 0, &st);
	if (r != CLI_OK)
		return r;
	rc = la_session_gc(st, &n);
	if (rc != LA_OK)
		r = cli_fail(c, st, rc, NULL);
	else
		r = print_count(c, "deleted", n, "dead ", NULL);
	la_store_close(st);
	return r;
}

/* ---- list ----------------------------------------------------------- */

/* "sshd pts/0 192.0.2.1" */
static void origin_text(const struct la_session *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s", s->source, s->tty[0] ? " " : "", s->tty,
		 s->rhost[0] ? " " : "", s->rhost);
}

static int list_session(const struct la_session *s, void *ctx)
{
	char t1[CLI_TIME_BUF], t2[CLI_TIME_BUF], from[3 * LA_ORIGIN_MAX + 3];
	const char *cells[6] = { s->id, s->username, la_session_state_name(s->state),
				 t1, t2, from };
	struct cli_list *l = ctx;
	json_object *o = NULL;

	if (l->arr) {
		o = cli_json_session(s);
		if (o)
			cli_json_str(o, "username", s->username);
		return cli_list_add(l, o, NULL);
	}
	cli_fmt_time(s->active_expires, t1);
	cli_fmt_time(s->idle_expires, t2);
	origin_text(s, from, sizeof(from));
	return cli_list_add(l, NULL, cells);
}

static int session_list(struct cli_ctx *c, int argc, char **argv)
{
	static const char *const head[] = { "ID", "USER", "STATE", "ACTIVE-UNTIL", "IDLE-UNTIL",
					    "FROM" };
	struct la_store *st = NULL;
	struct cli_list l;
	const char *user = NULL;
	int r = cli_simple_args(c, argc, argv, 0, 1);
	la_rc rc;

	if (r != CLI_CONTINUE)
		return r;
	if (optind < argc)
		user = argv[optind];
	r = cli_open_store(c, 0, &st);
	if (r != CLI_OK)
		return r;
	rc = cli_list_init(c, &l, 6, head) ? la_session_list(st, user, list_session, &l)
					   : LA_E_NOMEM;
	r = cli_list_finish(c, &l, st, rc, "sessions", user);
	la_store_close(st);
	return r;
}

const struct cli_cmd cli_session_cmds[] = {
	{ "validate", session_validate, NULL, "[--from-env]",
	  "Check the session token read from standard input (one line) and renew\n"
	  "it when idle, as Lucia's validateSession does.  Exit 1 when invalid.\n"
	  "  --from-env   take the token from $LUCIAAUTH_SESSION instead" },
	{ "get", session_get, NULL, "[--from-env]",
	  "Like validate, but never renews the session (Lucia getSession).\n"
	  "  --from-env   take the token from $LUCIAAUTH_SESSION instead" },
	{ "revoke", session_revoke, NULL, "[--from-env]",
	  "Sign out: delete the session whose token is read from standard input.\n"
	  "  --from-env   take the token from $LUCIAAUTH_SESSION instead" },
	{ "revoke-id", session_revoke_id, NULL, "ID",
	  "Delete the session with the public id ID (see 'session list')." },
	{ "revoke-all", session_revoke_all, NULL, "USER [--except ID]",
	  "Delete every session of USER.\n"
	  "  --except ID   keep the session with public id ID" },
	{ "list", session_list, NULL, "[USER]",
	  "List live (active or idle) sessions, of USER or of everyone." },
	{ "gc", session_gc, NULL, "", "Delete dead sessions and print how many." },
	{ NULL, NULL, NULL, NULL, NULL },
};

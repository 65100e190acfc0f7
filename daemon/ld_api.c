/*
 * ld_api.c - the endpoints: POST /api/signup, /api/login, /api/logout,
 * GET /api/session and GET /auth (nginx auth_request).
 *
 * Each is a few library calls; failures are mapped to a status and a
 * generic message that says nothing about which part of a sign-in was
 * wrong, whether an account exists, or why the store failed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "luciaauthd.h"

#define MSG_BADLOGIN "invalid username or password"

/* A store failure is the operator's business: logged (the library's
 * messages never hold a secret), and the client learns only 503. */
static void unavailable(struct ld_reply *r, struct la_store *st, la_rc rc)
{
	fprintf(stderr, "luciaauthd: store error: %s%s%s\n", la_strerror(rc),
		st && *la_store_errmsg(st) ? ": " : "", st ? la_store_errmsg(st) : "");
	ld_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "service unavailable");
}

/* Fields of a sign-in or sign-up body; pointers into obj (owned by it). */
struct ld_form {
	json_object *obj;
	const char *username, *email, *identifier, *password;
	bool want_token;
};

/* Wipe every string value of the object (the password among them) before
 * json-c frees it. */
static void form_free(struct ld_form *f)
{
	if (!f->obj)
		return;
	if (!json_object_is_type(f->obj, json_type_object)) {
		json_object_put(f->obj);
		f->obj = NULL;
		return;
	}
	json_object_object_foreach(f->obj, key, val)
	{
		(void)key;
		if (json_object_is_type(val, json_type_string))
			sodium_memzero((void *)(uintptr_t)json_object_get_string(val),
				       (size_t)json_object_get_string_len(val));
	}
	json_object_put(f->obj);
	f->obj = NULL;
}

static const char *field(json_object *obj, const char *name, bool *bad)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(obj, name, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	if (!json_object_is_type(v, json_type_string)) {
		*bad = true;
		return NULL;
	}
	/* an embedded NUL would make the C string differ from the JSON one */
	if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		*bad = true;
	return json_object_get_string(v);
}

/* Parse a flat JSON object; false for anything else (trailing bytes too). */
static bool form_parse(const struct ld_req *req, struct ld_form *f)
{
	json_tokener *tok = json_tokener_new_ex(8);
	json_object *tv = NULL;
	bool bad = false;

	memset(f, 0, sizeof(*f));
	if (!tok)
		return false;
	if (req->len > 0 && req->len < (size_t)INT32_MAX)
		f->obj = json_tokener_parse_ex(tok, req->body, (int)req->len);
	if (!f->obj || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != req->len ||
	    !json_object_is_type(f->obj, json_type_object))
		bad = true;
	json_tokener_free(tok);
	if (bad)
		return form_free(f), false;
	f->username = field(f->obj, "username", &bad);
	f->email = field(f->obj, "email", &bad);
	f->identifier = field(f->obj, "identifier", &bad);
	f->password = field(f->obj, "password", &bad);
	if (json_object_object_get_ex(f->obj, "token", &tv))
		f->want_token = json_object_is_type(tv, json_type_boolean) &&
				json_object_get_boolean(tv);
	if (bad || !f->password)
		return form_free(f), false;
	return true;
}

static json_object *user_json(const struct la_user *u)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(u->id));
	json_object_object_add(o, "username", json_object_new_string(u->username));
	json_object_object_add(o, "email", u->email[0] ? json_object_new_string(u->email) : NULL);
	json_object_object_add(o, "uid", json_object_new_int64(u->uid));
	json_object_object_add(o, "must_change_password", json_object_new_boolean(u->must_change));
	return o;
}

static json_object *session_json(const struct la_session *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_string(s->id));
	json_object_object_add(o, "state", json_object_new_string(la_session_state_name(s->state)));
	json_object_object_add(o, "fresh", json_object_new_boolean(s->fresh));
	json_object_object_add(o, "active_expires", json_object_new_int64(s->active_expires));
	json_object_object_add(o, "idle_expires", json_object_new_int64(s->idle_expires));
	return o;
}

/* {"user":..., "session":..., ["token":...]} as the reply body. */
static void signed_in_reply(struct ld_reply *r, unsigned status, const struct la_user *u,
			    const struct la_session *s, const char *token)
{
	json_object *o = json_object_new_object();
	const char *text;

	json_object_object_add(o, "user", user_json(u));
	json_object_object_add(o, "session", session_json(s));
	if (token)
		json_object_object_add(o, "token", json_object_new_string(token));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	r->status = status;
	r->body = text ? strdup(text) : NULL;
	r->len = r->body ? strlen(r->body) : 0;
	/* json-c frees without wiping: the token's copies go first */
	if (text)
		sodium_memzero((void *)(uintptr_t)text, strlen(text));
	if (token)
		form_free(&(struct ld_form){ .obj = o });
	else
		json_object_put(o);
	if (!r->body)
		ld_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error");
}

/* Per-address throttle shared by sign-in and sign-up; true when refused. */
static bool throttled(struct ld_ctx *d, const char *ip, struct la_store *st, struct ld_reply *r)
{
	unsigned retry = 0;

	if (ld_throttle_take(&d->throttle, ip, la_store_now(st), &retry))
		return false;
	ld_error(r, MHD_HTTP_TOO_MANY_REQUESTS, "too many attempts, try again later");
	r->retry_after = retry ? retry : 1;
	return true;
}

static void signin_done(struct ld_ctx *d, struct ld_reply *r, la_rc rc, unsigned status,
			struct la_store *st, const char *token, bool want_token,
			const struct la_session *s, const struct la_user *u)
{
	if (rc != LA_OK)
		return;
	signed_in_reply(r, status, u, s, want_token ? token : NULL);
	if (r->status == status)
		ld_set_cookie(d, r, token, s->idle_expires, la_store_now(st));
}

static void signup_error(struct ld_reply *r, la_rc rc, struct la_store *st, const char *pw)
{
	size_t chars = 0;

	switch (rc) {
	case LA_E_SIGNUP_CLOSED:
		return ld_error(r, MHD_HTTP_FORBIDDEN, "sign-up is closed");
	case LA_E_POLICY:
		/* count UTF-8 characters: "too short" is the one reason shown */
		for (const char *p = pw; *p; p++)
			chars += ((unsigned char)*p & 0xc0) != 0x80;
		return ld_error(r, MHD_HTTP_BAD_REQUEST,
				chars < la_store_config(st)->password_min ? "password too short"
									  : "password not accepted");
	case LA_E_INVAL:
		return ld_error(r, MHD_HTTP_BAD_REQUEST, "invalid username or email");
	case LA_E_USER_EXISTS:
	case LA_E_EXISTS:
		return ld_error(r, MHD_HTTP_CONFLICT, "username or email not available");
	default:
		return unavailable(r, st, rc);
	}
}

/* One sign-up or sign-in request: its form, and what the library gave. */
struct signin {
	struct ld_form f;
	char ip[LD_IP_MAX]; /* the session's rhost, as the throttle sees it */
	char token[LA_TOKEN_BUF];
	struct la_session s;
	struct la_user u;
};

/* The library call of a request (ident: what ident_of chose); maps its
 * failures into r. */
typedef la_rc (*signin_op)(struct la_store *st, struct signin *si, const char *ident,
			   struct ld_reply *r);

/* What sign-up and sign-in share: the store, the form (ident_of returns
 * NULL for a malformed one), the throttle, the reply with its cookie, and
 * wiping the token and the form. */
static void signin_request(struct ld_ctx *d, struct MHD_Connection *conn, struct ld_req *req,
			   struct ld_reply *r, const char *(*ident_of)(const struct ld_form *f),
			   signin_op op, unsigned ok_status)
{
	struct la_store *st = ld_store(d);
	struct signin si = { .token = "" };
	const char *ident = NULL;
	la_rc rc;

	if (!st)
		return ld_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "service unavailable");
	if (!form_parse(req, &si.f) || !(ident = ident_of(&si.f))) {
		ld_error(r, MHD_HTTP_BAD_REQUEST, "malformed request");
		goto out;
	}
	ld_client_ip(d, conn, si.ip);
	if (!throttled(d, si.ip, st, r)) {
		rc = op(st, &si, ident, r);
		signin_done(d, r, rc, ok_status, st, si.token, si.f.want_token, &si.s, &si.u);
	}
out:
	sodium_memzero(si.token, sizeof(si.token));
	form_free(&si.f);
}

static const char *signup_ident(const struct ld_form *f)
{
	return f->username;
}

static la_rc signup_op(struct la_store *st, struct signin *si, const char *ident,
		       struct ld_reply *r)
{
	struct la_origin origin = { "web", NULL, si->ip };
	const struct ld_form *f = &si->f;
	la_rc rc = la_signup(st, ident, f->email && *f->email ? f->email : NULL, f->password,
			     &origin, si->token, &si->s, &si->u);

	if (rc != LA_OK)
		signup_error(r, rc, st, f->password);
	return rc;
}

void ld_api_signup(struct ld_ctx *d, struct MHD_Connection *conn, struct ld_req *req,
		   struct ld_reply *r)
{
	signin_request(d, conn, req, r, signup_ident, signup_op, MHD_HTTP_CREATED);
}

/* Sign-in takes "identifier", or else "username" or "email". */
static const char *login_ident(const struct ld_form *f)
{
	const char *ident = f->identifier ? f->identifier : f->username ? f->username : f->email;

	return ident && *ident ? ident : NULL;
}

static la_rc login_op(struct la_store *st, struct signin *si, const char *ident,
		      struct ld_reply *r)
{
	struct la_origin origin = { "web", NULL, si->ip };
	la_rc rc = la_login(st, strchr(ident, '@') ? LA_IDENT_EMAIL : LA_IDENT_USERNAME, ident,
			    si->f.password, &origin, si->token, &si->s, &si->u);

	if (rc == LA_E_NOUSER || rc == LA_E_NOKEY || rc == LA_E_AUTH || rc == LA_E_LOCKED ||
	    rc == LA_E_DISABLED || rc == LA_E_EXPIRED || rc == LA_E_INVAL)
		ld_error(r, MHD_HTTP_UNAUTHORIZED, MSG_BADLOGIN);
	else if (rc != LA_OK)
		unavailable(r, st, rc);
	return rc;
}

void ld_api_login(struct ld_ctx *d, struct MHD_Connection *conn, struct ld_req *req,
		  struct ld_reply *r)
{
	signin_request(d, conn, req, r, login_ident, login_op, MHD_HTTP_OK);
}

void ld_api_logout(struct ld_ctx *d, struct MHD_Connection *conn, struct ld_reply *r)
{
	struct la_store *st = ld_store(d);
	char token[LA_TOKEN_BUF];
	enum ld_token_src src = ld_token(conn, token);
	la_rc rc = LA_E_NOSESSION;

	if (!st)
		return ld_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "service unavailable");
	if (src != LD_TOKEN_NONE)
		rc = la_session_revoke(st, token);
	sodium_memzero(token, sizeof(token));
	if (rc == LA_OK) {
		r->status = MHD_HTTP_OK;
		r->body = strdup("{\"ok\":true}");
		r->len = r->body ? strlen(r->body) : 0;
	} else if (rc == LA_E_NOSESSION || rc == LA_E_BADTOKEN || rc == LA_E_NOTFOUND) {
		ld_error(r, MHD_HTTP_UNAUTHORIZED, "not signed in");
	} else {
		return unavailable(r, st, rc);
	}
	/* whatever the cookie held, it is of no use any more */
	if (src == LD_TOKEN_COOKIE)
		ld_clear_cookie(d, r);
}

/* Validate the request's token (renewing an idle session); on success the
 * cookie is refreshed when the session was renewed.  false: r is set. */
static bool validate(struct ld_ctx *d, struct MHD_Connection *conn, struct ld_reply *r,
		     struct la_session *s, struct la_user *u)
{
	struct la_store *st = ld_store(d);
	char token[LA_TOKEN_BUF];
	enum ld_token_src src = ld_token(conn, token);
	la_rc rc = LA_E_NOSESSION;

	if (!st) {
		ld_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "service unavailable");
		return false;
	}
	if (src != LD_TOKEN_NONE)
		rc = la_session_validate(st, token, s, u);
	if (rc == LA_OK && s->fresh && src == LD_TOKEN_COOKIE)
		ld_set_cookie(d, r, token, s->idle_expires, la_store_now(st));
	sodium_memzero(token, sizeof(token));
	if (rc == LA_OK)
		return true;
	if (rc == LA_E_NOSESSION || rc == LA_E_BADTOKEN)
		ld_error(r, MHD_HTTP_UNAUTHORIZED, "not signed in");
	else
		unavailable(r, st, rc);
	return false;
}

void ld_api_session(struct ld_ctx *d, struct MHD_Connection *conn, struct ld_reply *r)
{
	struct la_session s;
	struct la_user u;

	if (validate(d, conn, r, &s, &u))
		signed_in_reply(r, MHD_HTTP_OK, &u, &s, NULL);
}

void ld_api_auth(struct ld_ctx *d, struct MHD_Connection *conn, struct ld_reply *r)
{
	struct la_session s;
	struct la_user u;

	if (!validate(d, conn, r, &s, &u))
		return;
	r->status = MHD_HTTP_NO_CONTENT;
	r->hdr_name[0] = "X-Auth-User";
	snprintf(r->hdr_value[0], sizeof(r->hdr_value[0]), "%s", u.username);
	r->hdr_name[1] = "X-Auth-Uid";
	snprintf(r->hdr_value[1], sizeof(r->hdr_value[1]), "%u", (unsigned)u.uid);
	r->n_hdr = 2;
	if (u.email[0]) {
		r->hdr_name[2] = "X-Auth-Email";
		snprintf(r->hdr_value[2], sizeof(r->hdr_value[2]), "%s", u.email);
		r->n_hdr = 3;
	}
}

/*
 * ld_http.c - libmicrohttpd glue: reading requests, routing, the checks
 * every state-changing request passes (size, Origin, content type), and
 * sending replies with the right headers.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <sodium.h>

#include "luciaauthd.h"

#define PAGE_CSP "default-src 'none'; script-src 'self'; style-src 'self'; " \
	"connect-src 'self'; img-src 'self'; form-action 'self'; " \
	"frame-ancestors 'none'; base-uri 'none'"

void ld_store_destroy(void *st)
{
	la_store_close(st);
}

/* The store handle of the calling worker thread, opened on first use:
 * a la_store is not thread-safe, and one per thread needs no lock. */
struct la_store *ld_store(struct ld_ctx *d)
{
	struct la_store *st = pthread_getspecific(d->store_key);
	la_rc rc;

	if (st)
		return st;
	rc = la_store_open(&d->cfg, 0, &st);
	if (rc != LA_OK) {
		fprintf(stderr, "luciaauthd: cannot open the store: %s%s%s\n", la_strerror(rc),
			st && *la_store_errmsg(st) ? ": " : "", st ? la_store_errmsg(st) : "");
		la_store_close(st);
		return NULL;
	}
	if (pthread_setspecific(d->store_key, st) != 0) {
		la_store_close(st);
		return NULL;
	}
	return st;
}

void ld_error(struct ld_reply *r, unsigned status, const char *msg)
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "{\"error\":\"%s\"}", msg);

	free(r->body);
	r->status = status;
	r->ctype = NULL;
	r->body = strdup(buf);
	r->len = r->body ? (size_t)n : 0;
}

/* Authorization: Bearer first (API clients, ssh login tokens), else the
 * cookie.  Anything longer than a token is not one: "" then. */
enum ld_token_src ld_token(struct MHD_Connection *conn, char tok[LA_TOKEN_BUF])
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	enum ld_token_src src = LD_TOKEN_BEARER;

	tok[0] = '\0';
	if (v && strncasecmp(v, "Bearer ", 7) == 0) {
		v += 7;
	} else {
		v = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, "auth_session");
		src = LD_TOKEN_COOKIE;
	}
	if (!v || !*v)
		return LD_TOKEN_NONE;
	if (strlen(v) >= LA_TOKEN_BUF) {
		/* la_session_validate answers BADTOKEN for this without db work */
		snprintf(tok, LA_TOKEN_BUF, "x");
		return src;
	}
	memcpy(tok, v, strlen(v) + 1);
	return src;
}

void ld_set_cookie(struct ld_ctx *d, struct ld_reply *r, const char *token, int64_t expires_ms,
		   int64_t now_ms)
{
	int64_t age = (expires_ms - now_ms) / 1000;

	snprintf(r->cookie, sizeof(r->cookie),
		 "auth_session=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%lld%s", token,
		 (long long)(age > 0 ? age : 0), d->cfg.http.cookie_secure ? "; Secure" : "");
}

void ld_clear_cookie(struct ld_ctx *d, struct ld_reply *r)
{
	snprintf(r->cookie, sizeof(r->cookie),
		 "auth_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0%s",
		 d->cfg.http.cookie_secure ? "; Secure" : "");
}

static bool valid_ip_text(const char *s)
{
	size_t n = strspn(s, "0123456789abcdefABCDEF.:");

	return n > 0 && n < LD_IP_MAX && s[n] == '\0';
}

void ld_client_ip(struct ld_ctx *d, struct MHD_Connection *conn, char ip[LD_IP_MAX])
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const char *real = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Real-IP");
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(ip, LD_IP_MAX, "local");
	/* Only a proxy we were told to trust may name the client. */
	if (d->cfg.http.trust_proxy && real && valid_ip_text(real)) {
		snprintf(ip, LD_IP_MAX, "%s", real);
		return;
	}
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, ip,
			  LD_IP_MAX);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, ip,
			  LD_IP_MAX);
}

/* A state-changing request must come from an allowed page: the Origin
 * header (sent by browsers on every POST) is one of http_origins, or, when
 * none are configured, the daemon's own origin as named by Host. */
static bool origin_ok(struct ld_ctx *d, struct MHD_Connection *conn)
{
	const char *o = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	const char *list = d->cfg.http.origins;
	size_t n;

	if (!o || !*o)
		return false;
	n = strlen(o);
	if (*list) {
		for (const char *p = list; *p;) {
			size_t len;

			p += strspn(p, " \t");
			len = strcspn(p, " \t");
			if (len == n && len > 0 && memcmp(p, o, n) == 0)
				return true;
			p += len;
		}
		return false;
	}
	if (!host || !*host)
		return false;
	if (strncmp(o, "https://", 8) == 0)
		return strcmp(o + 8, host) == 0;
	return !d->cfg.http.cookie_secure && strncmp(o, "http://", 7) == 0 &&
	       strcmp(o + 7, host) == 0;
}

static bool json_content(struct MHD_Connection *conn)
{
	const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	size_t n = strlen("application/json");

	return ct && strncasecmp(ct, "application/json", n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static void static_reply(struct ld_reply *r, const char *ctype, const char *body, bool page)
{
	r->status = MHD_HTTP_OK;
	r->ctype = ctype;
	r->static_body = body;
	r->len = strlen(body);
	r->page = page;
	r->cacheable = !page;
}

static void route_get(struct ld_ctx *d, struct MHD_Connection *conn, const char *url,
		      struct ld_reply *r)
{
	if (strcmp(url, "/auth") == 0)
		ld_api_auth(d, conn, r);
	else if (strcmp(url, "/api/session") == 0)
		ld_api_session(d, conn, r);
	else if (strcmp(url, "/") == 0 || strcmp(url, "/login") == 0)
		static_reply(r, "text/html; charset=utf-8", ld_page_html, true);
	else if (strcmp(url, "/login/style.css") == 0)
		static_reply(r, "text/css; charset=utf-8", ld_page_css, false);
	else if (strcmp(url, "/login/app.js") == 0)
		static_reply(r, "text/javascript; charset=utf-8", ld_page_js, false);
	else if (strncmp(url, "/api/", 5) == 0)
		ld_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
	else
		ld_error(r, MHD_HTTP_NOT_FOUND, "not found");
}

static void route_post(struct ld_ctx *d, struct MHD_Connection *conn, const char *url,
		       struct ld_req *req, struct ld_reply *r)
{
	bool known = strcmp(url, "/api/signup") == 0 || strcmp(url, "/api/login") == 0 ||
		     strcmp(url, "/api/logout") == 0;

	if (!known)
		ld_error(r, strcmp(url, "/auth") == 0 || strcmp(url, "/api/session") == 0
				    ? MHD_HTTP_METHOD_NOT_ALLOWED : MHD_HTTP_NOT_FOUND,
			 strcmp(url, "/auth") == 0 || strcmp(url, "/api/session") == 0
				 ? "method not allowed" : "not found");
	else if (req->too_big)
		ld_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "request too large");
	else if (!origin_ok(d, conn))
		ld_error(r, MHD_HTTP_FORBIDDEN, "origin not allowed");
	else if (strcmp(url, "/api/logout") == 0)
		ld_api_logout(d, conn, r);
	else if (!json_content(conn))
		ld_error(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "content type must be application/json");
	else if (strcmp(url, "/api/signup") == 0)
		ld_api_signup(d, conn, req, r);
	else
		ld_api_login(d, conn, req, r);
}

static enum MHD_Result add_headers(struct MHD_Response *resp, const struct ld_reply *r)
{
	char num[32];
	bool ok = true;

	if (r->len > 0)
		ok &= MHD_add_response_header(resp, "Content-Type",
					      r->ctype ? r->ctype : "application/json") == MHD_YES;
	ok &= MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") == MHD_YES;
	ok &= MHD_add_response_header(resp, "Cache-Control",
				      r->cacheable ? "public, max-age=300" : "no-store") == MHD_YES;
	if (r->page) {
		ok &= MHD_add_response_header(resp, "Content-Security-Policy", PAGE_CSP) == MHD_YES;
		ok &= MHD_add_response_header(resp, "X-Frame-Options", "DENY") == MHD_YES;
		ok &= MHD_add_response_header(resp, "Referrer-Policy", "no-referrer") == MHD_YES;
	}
	if (r->cookie[0])
		ok &= MHD_add_response_header(resp, "Set-Cookie", r->cookie) == MHD_YES;
	if (r->retry_after) {
		snprintf(num, sizeof(num), "%u", r->retry_after);
		ok &= MHD_add_response_header(resp, "Retry-After", num) == MHD_YES;
	}
	if (r->status == MHD_HTTP_METHOD_NOT_ALLOWED)
		ok &= MHD_add_response_header(resp, "Allow", "GET, HEAD, POST") == MHD_YES;
	/* libmicrohttpd refuses values with CR or LF: a failure here means a
	 * value we must not send, so the whole reply becomes a 500. */
	for (unsigned i = 0; i < r->n_hdr; i++)
		ok &= MHD_add_response_header(resp, r->hdr_name[i], r->hdr_value[i]) == MHD_YES;
	return ok ? MHD_YES : MHD_NO;
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct ld_reply *r)
{
	const void *body = r->static_body ? r->static_body : r->body;
	struct MHD_Response *resp = NULL;
	enum MHD_Result ret = MHD_NO;

	resp = MHD_create_response_from_buffer(body ? r->len : 0, (void *)(uintptr_t)body,
					       r->static_body ? MHD_RESPMEM_PERSISTENT
							      : MHD_RESPMEM_MUST_COPY);
	if (!resp)
		goto out;
	if (add_headers(resp, r) != MHD_YES) {
		MHD_destroy_response(resp);
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (!resp)
			goto out;
		r->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	ret = MHD_queue_response(conn, r->status, resp);
out:
	if (resp)
		MHD_destroy_response(resp);
	if (r->body)
		sodium_memzero(r->body, r->len);
	free(r->body);
	r->body = NULL;
	sodium_memzero(r->cookie, sizeof(r->cookie));
	return ret;
}

/* Collect the body into the buffer allocated at its full size up front
 * (no realloc leaving unwiped copies of a password); true once complete. */
static bool read_body(struct ld_ctx *d, struct ld_req *req, const char *upload, size_t *len)
{
	if (*len == 0)
		return true;
	if (!req->too_big && req->len + *len <= d->cfg.http.body_max) {
		memcpy(req->body + req->len, upload, *len);
		req->len += *len;
		req->body[req->len] = '\0';
	} else {
		req->too_big = true;
	}
	*len = 0;
	return false;
}

static enum MHD_Result first_call(struct ld_ctx *d, struct MHD_Connection *conn,
				  const char *method, void **req_cls)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
	struct ld_reply r = { .status = 200 };
	struct ld_req *req;

	if (strcmp(method, "POST") != 0) {
		*req_cls = conn; /* marker: headers seen */
		return MHD_YES;
	}
	/* Refuse a declared oversized body before reading any of it. */
	if (cl && strtoull(cl, NULL, 10) > d->cfg.http.body_max) {
		ld_error(&r, MHD_HTTP_CONTENT_TOO_LARGE, "request too large");
		return send_reply(conn, &r);
	}
	req = calloc(1, sizeof(*req));
	if (!req)
		return MHD_NO;
	req->body = malloc(d->cfg.http.body_max + 1);
	if (!req->body) {
		free(req);
		return MHD_NO;
	}
	req->body[0] = '\0';
	*req_cls = req;
	return MHD_YES;
}

enum MHD_Result ld_handle(void *cls, struct MHD_Connection *conn, const char *url,
			  const char *method, const char *version, const char *upload,
			  size_t *upload_len, void **req_cls)
{
	struct ld_ctx *d = cls;
	struct ld_reply r = { .status = 200 };

	(void)version;
	if (!*req_cls)
		return first_call(d, conn, method, req_cls);
	if (strcmp(method, "POST") == 0) {
		if (!read_body(d, *req_cls, upload, upload_len))
			return MHD_YES;
		route_post(d, conn, url, *req_cls, &r);
	} else if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
		route_get(d, conn, url, &r);
	} else {
		ld_error(&r, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
	}
	return send_reply(conn, &r);
}

void ld_request_done(void *cls, struct MHD_Connection *conn, void **req_cls,
		     enum MHD_RequestTerminationCode toe)
{
	struct ld_ctx *d = cls;
	struct ld_req *req = *req_cls;

	(void)toe;
	if (req && (void *)req != (void *)conn) {
		if (req->body)
			sodium_memzero(req->body, d->cfg.http.body_max + 1);
		free(req->body);
		free(req);
	}
	*req_cls = NULL;
}

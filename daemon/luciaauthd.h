/*
 * luciaauthd.h - internals shared by the files of the web service.
 *
 * luciaauthd is a thin HTTP adapter: every decision on users, passwords,
 * sessions and lockout is libluciaauth's; the daemon adds what only a web
 * front can do (cookies, Origin checks, per-address throttling, size
 * limits) and maps la_rc to HTTP statuses with generic messages.
 */
#ifndef LUCIAAUTHD_H
#define LUCIAAUTHD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "luciaauth.h"

#define LD_IP_MAX 64
#define LD_THROTTLE_SLOTS 4096

struct ld_slot {
	char ip[LD_IP_MAX];
	int64_t start_ms;      /* start of this address's current window */
	unsigned n;            /* attempts in the window */
};

struct ld_throttle {
	pthread_mutex_t mu;
	unsigned limit;        /* 0 = off */
	int64_t interval_ms;
	struct ld_slot slot[LD_THROTTLE_SLOTS];
};

/* Process-wide state, read-only once the HTTP threads run (except the
 * throttle table, which has its own lock). */
struct ld_ctx {
	struct la_config cfg;
	pthread_key_t store_key;   /* each worker thread's own la_store */
	struct ld_throttle throttle;
};

/* A request being read: the body is collected up to cfg.http.body_max. */
struct ld_req {
	char *body;
	size_t len;
	bool too_big;
};

/* A reply under construction (ld_http.c sends it). */
struct ld_reply {
	unsigned status;
	const char *ctype;      /* NULL = application/json */
	char *body;             /* malloc'd, owned; NULL = empty */
	size_t len;
	const void *static_body; /* used instead of body when set */
	char cookie[LA_TOKEN_BUF + 128]; /* Set-Cookie value, "" = none */
	const char *hdr_name[4];
	char hdr_value[4][LA_EMAIL_MAX + 1];
	unsigned n_hdr;
	unsigned retry_after;   /* seconds, 0 = none */
	bool cacheable;         /* static assets */
	bool page;              /* HTML: add the page's security headers */
};

/* Where the token of a request came from. */
enum ld_token_src { LD_TOKEN_NONE, LD_TOKEN_COOKIE, LD_TOKEN_BEARER };

/* ld_http.c */
enum MHD_Result ld_handle(void *cls, struct MHD_Connection *conn, const char *url,
			  const char *method, const char *version, const char *upload,
			  size_t *upload_len, void **req_cls);
void ld_request_done(void *cls, struct MHD_Connection *conn, void **req_cls,
		     enum MHD_RequestTerminationCode toe);
void ld_store_destroy(void *st);

/* ld_api.c: the endpoints.  req is NULL for GET. */
void ld_api_signup(struct ld_ctx *d, struct MHD_Connection *conn, struct ld_req *req,
		   struct ld_reply *r);
void ld_api_login(struct ld_ctx *d, struct MHD_Connection *conn, struct ld_req *req,
		  struct ld_reply *r);
void ld_api_logout(struct ld_ctx *d, struct MHD_Connection *conn, struct ld_reply *r);
void ld_api_session(struct ld_ctx *d, struct MHD_Connection *conn, struct ld_reply *r);
void ld_api_auth(struct ld_ctx *d, struct MHD_Connection *conn, struct ld_reply *r);

/* ld_http.c helpers used by the endpoints. */
struct la_store *ld_store(struct ld_ctx *d);
void ld_error(struct ld_reply *r, unsigned status, const char *msg);
/* Copy the request's token (Bearer first, then cookie) into tok. */
enum ld_token_src ld_token(struct MHD_Connection *conn, char tok[LA_TOKEN_BUF]);
void ld_set_cookie(struct ld_ctx *d, struct ld_reply *r, const char *token, int64_t expires_ms,
		   int64_t now_ms);
void ld_clear_cookie(struct ld_ctx *d, struct ld_reply *r);
/* The client's address (or "local" on the Unix socket) for throttling. */
void ld_client_ip(struct ld_ctx *d, struct MHD_Connection *conn, char ip[LD_IP_MAX]);

/* ld_throttle.c: count one attempt of ip; false (and *retry_s) when over. */
void ld_throttle_init(struct ld_throttle *t, unsigned limit, int64_t interval_ms);
bool ld_throttle_take(struct ld_throttle *t, const char *ip, int64_t now_ms, unsigned *retry_s);

/* ld_page.c (generated from page.html, page.css, page.js). */
extern const char ld_page_html[], ld_page_css[], ld_page_js[];

#endif /* LUCIAAUTHD_H */

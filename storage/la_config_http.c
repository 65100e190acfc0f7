/*
 * la_config_http.c - the http_* keys of luciaauth.conf, read by luciaauthd.
 *
 * They live in the library's parser so that one file configures every
 * part and an unknown or misspelt key is refused everywhere alike.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "la_int.h"

void store_config_http_defaults(struct la_config *c)
{
	struct la_http_config *h = &c->http;

	h->listen[0] = '\0';
	snprintf(h->socket, sizeof(h->socket), "/run/luciaauthd/http.sock");
	h->socket_mode = 0660;
	h->threads = 4;
	h->body_max = 4096;
	h->cookie_secure = true;
	h->trust_proxy = false;
	h->origins[0] = '\0';
	h->throttle = 20;
	h->throttle_interval_ms = 60 * 1000;
}

static la_rc parse_num(const char *s, int base, unsigned long min, unsigned long max,
		       unsigned long *out)
{
	char *end = NULL;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return LA_E_INVAL;
	errno = 0;
	v = strtoul(s, &end, base);
	if (errno || *end || v < min || v > max)
		return LA_E_INVAL;
	*out = v;
	return LA_OK;
}

static la_rc parse_yes_no(const char *v, bool *out)
{
	if (strcmp(v, "yes") == 0)
		*out = true;
	else if (strcmp(v, "no") == 0)
		*out = false;
	else
		return LA_E_INVAL;
	return LA_OK;
}

/* "host:port" or "[v6]:port"; the daemon resolves it, here only its shape. */
static la_rc set_listen(struct la_http_config *h, const char *v)
{
	const char *colon = strrchr(v, ':');
	unsigned long port = 0;

	if (!*v) {
		h->listen[0] = '\0';
		return LA_OK;
	}
	if (!colon || colon == v || strlen(v) >= sizeof(h->listen) ||
	    parse_num(colon + 1, 10, 0, 65535, &port) != LA_OK ||
	    !store_valid_utf8_text(v, sizeof(h->listen) - 1, true) || strchr(v, ' '))
		return LA_E_INVAL;
	memcpy(h->listen, v, strlen(v) + 1);
	return LA_OK;
}

/* Space-separated "scheme://host[:port]" entries, compared verbatim with
 * the Origin header of a request. */
static la_rc set_origins(struct la_http_config *h, const char *v)
{
	char copy[LA_HTTP_ORIGINS_MAX], *save = NULL, *tok;

	if (strlen(v) >= sizeof(copy) || !store_valid_utf8_text(v, sizeof(copy) - 1, true))
		return LA_E_INVAL;
	memcpy(copy, v, strlen(v) + 1);
	for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if ((strncmp(tok, "http://", 7) != 0 && strncmp(tok, "https://", 8) != 0) ||
		    strchr(strchr(tok, ':') + 3, '/'))
			return LA_E_INVAL;
	}
	memcpy(h->origins, v, strlen(v) + 1);
	return LA_OK;
}

static la_rc set_socket(struct la_http_config *h, const char *v)
{
	if (!*v) {
		h->socket[0] = '\0';
		return LA_OK;
	}
	if (v[0] != '/' || strlen(v) >= sizeof(h->socket) ||
	    !store_valid_utf8_text(v, sizeof(h->socket) - 1, true))
		return LA_E_INVAL;
	memcpy(h->socket, v, strlen(v) + 1);
	return LA_OK;
}

static la_rc set_number(struct la_http_config *h, const char *key, const char *v, bool *known)
{
	unsigned long n = 0;
	la_rc rc = LA_E_INVAL;

	*known = true;
	if (strcmp(key, "http_socket_mode") == 0) {
		rc = parse_num(v, 8, 0, 0777, &n);
		h->socket_mode = rc == LA_OK ? (unsigned)n : h->socket_mode;
	} else if (strcmp(key, "http_threads") == 0) {
		rc = parse_num(v, 10, 1, 256, &n);
		h->threads = rc == LA_OK ? (unsigned)n : h->threads;
	} else if (strcmp(key, "http_body_max") == 0) {
		rc = parse_num(v, 10, 512, 1024 * 1024, &n);
		h->body_max = rc == LA_OK ? n : h->body_max;
	} else if (strcmp(key, "http_throttle") == 0) {
		rc = parse_num(v, 10, 0, 1000000, &n);
		h->throttle = rc == LA_OK ? (unsigned)n : h->throttle;
	} else if (strcmp(key, "http_throttle_interval") == 0) {
		int64_t ms = 0;

		rc = la_parse_duration(v, &ms);
		if (rc == LA_OK && (ms == 0 || ms > 86400000))
			rc = LA_E_INVAL;
		h->throttle_interval_ms = rc == LA_OK ? ms : h->throttle_interval_ms;
	} else {
		*known = false;
	}
	return rc;
}

la_rc store_config_http_set(struct la_config *c, const char *key, const char *value, bool *known)
{
	struct la_http_config *h = &c->http;

	*known = true;
	if (strcmp(key, "http_listen") == 0)
		return set_listen(h, value);
	if (strcmp(key, "http_socket") == 0)
		return set_socket(h, value);
	if (strcmp(key, "http_origins") == 0)
		return set_origins(h, value);
	if (strcmp(key, "http_cookie_secure") == 0)
		return parse_yes_no(value, &h->cookie_secure);
	if (strcmp(key, "http_trust_proxy") == 0)
		return parse_yes_no(value, &h->trust_proxy);
	return set_number(h, key, value, known);
}

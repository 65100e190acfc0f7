/*
 * cli_util.c - error reporting and exit statuses, opening the store,
 * argument parsing helpers and JSON output.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"

/* ---- errors --------------------------------------------------------- */

/* The one mapping from library result to exit status (luciaauth(8)). */
int cli_exit_status(la_rc rc)
{
	switch (rc) {
	case LA_OK:
		return CLI_OK;
	case LA_E_AUTH:
	case LA_E_LOCKED:
	case LA_E_DISABLED:
	case LA_E_EXPIRED:
	case LA_E_MUST_CHANGE:
	case LA_E_NOSESSION:
	case LA_E_BADTOKEN:
		return CLI_EAUTH;
	case LA_E_INVAL:
	case LA_E_RANGE:
		return CLI_EUSAGE;
	case LA_E_NOUSER:
	case LA_E_NOGROUP:
	case LA_E_NOKEY:
	case LA_E_NOTFOUND:
		return CLI_ENOTFOUND;
	case LA_E_USER_EXISTS:
	case LA_E_GROUP_EXISTS:
	case LA_E_KEY_EXISTS:
	case LA_E_EXISTS:
		return CLI_EEXISTS;
	case LA_E_POLICY:
	case LA_E_SIGNUP_CLOSED:
		return CLI_EPOLICY;
	case LA_E_NOSTORE:
	case LA_E_PERM:
	case LA_E_CORRUPT:
	case LA_E_SCHEMA:
	case LA_E_BUSY:
	case LA_E_IO:
	case LA_E_DB:
	case LA_E_NOMEM:
	case LA_E_CRYPTO:
	case LA_E_INTERNAL:
	case LA_RC_MAX:
		break;
	}
	return CLI_ESTORE;
}

static const char *const rc_codes[LA_RC_MAX] = {
	[LA_OK] = "ok",
	[LA_E_INVAL] = "invalid",
	[LA_E_NOUSER] = "no_user",
	[LA_E_NOGROUP] = "no_group",
	[LA_E_NOKEY] = "no_key",
	[LA_E_NOSESSION] = "no_session",
	[LA_E_NOTFOUND] = "not_found",
	[LA_E_BADTOKEN] = "bad_token",
	[LA_E_USER_EXISTS] = "user_exists",
	[LA_E_GROUP_EXISTS] = "group_exists",
	[LA_E_KEY_EXISTS] = "key_exists",
	[LA_E_EXISTS] = "exists",
	[LA_E_AUTH] = "auth",
	[LA_E_LOCKED] = "locked",
	[LA_E_DISABLED] = "disabled",
	[LA_E_EXPIRED] = "expired",
	[LA_E_MUST_CHANGE] = "must_change",
	[LA_E_POLICY] = "policy",
	[LA_E_SIGNUP_CLOSED] = "signup_closed",
	[LA_E_RANGE] = "range",
	[LA_E_NOSTORE] = "no_store",
	[LA_E_PERM] = "permission",
	[LA_E_CORRUPT] = "corrupt",
	[LA_E_SCHEMA] = "schema",
	[LA_E_BUSY] = "busy",
	[LA_E_IO] = "io",
	[LA_E_DB] = "db",
	[LA_E_NOMEM] = "nomem",
	[LA_E_CRYPTO] = "crypto",
	[LA_E_INTERNAL] = "internal",
};

const char *cli_rc_code(la_rc rc)
{
	if ((unsigned)rc >= LA_RC_MAX || !rc_codes[rc])
		return "unknown";
	return rc_codes[rc];
}

/* stderr: "luciaauth: msg[: detail]"; with --json also one object on stdout. */
static int report(struct cli_ctx *c, int status, const char *code, const char *msg,
		  const char *detail)
{
	char full[1024];
	json_object *o = NULL;

	if (detail && detail[0])
		snprintf(full, sizeof(full), "%s: %s", msg, detail);
	else
		snprintf(full, sizeof(full), "%s", msg);
	fprintf(stderr, CLI_NAME ": %s\n", full);
	if (c->json) {
		o = json_object_new_object();
		cli_json_str(o, "error", full);
		cli_json_str(o, "code", code);
		cli_json_int(o, "exit", status);
		(void)cli_json_emit(c, o, false);
	}
	return status;
}

int cli_fail(struct cli_ctx *c, const struct la_store *st, la_rc rc, const char *subject)
{
	const char *msg = la_strerror(rc);
	const char *detail = st ? la_store_errmsg(st) : "";

	if (!detail[0] || strcmp(detail, msg) == 0)
		detail = subject;
	return report(c, cli_exit_status(rc), cli_rc_code(rc), msg, detail);
}

int cli_fail_msg(struct cli_ctx *c, int status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return report(c, status, code, msg, NULL);
}

int cli_usage(struct cli_ctx *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(c, CLI_EUSAGE, "usage", msg, NULL);
	fprintf(stderr, "Try '" CLI_NAME "%s%s --help'.\n", c->cmd[0] ? " " : "", c->cmd);
	return CLI_EUSAGE;
}

/* ---- store and one-NAME commands ------------------------------------ */

int cli_open_store(struct cli_ctx *c, unsigned flags, struct la_store **out)
{
	struct la_config cfg;
	struct la_store *st = NULL;
	const char *path = c->config_path ? c->config_path : LA_DEFAULT_CONFIG;
	char err[512] = "";
	la_rc rc;
	int r;

	*out = NULL;
	la_config_defaults(&cfg);
	rc = la_config_load(&cfg, path, c->config_path == NULL, err, sizeof(err));
	if (rc != LA_OK)
		return report(c, cli_exit_status(rc), cli_rc_code(rc), la_strerror(rc),
			      err[0] ? err : path);
	if (c->dir) {
		rc = la_config_set(&cfg, "dir", c->dir, err, sizeof(err));
		if (rc != LA_OK)
			return report(c, CLI_EUSAGE, "usage", "invalid --dir", err);
	}
	rc = la_store_open(&cfg, flags, &st);
	if (rc != LA_OK) {
		r = cli_fail(c, st, rc, cfg.dir);
		if (st)
			la_store_close(st);
		return r;
	}
	*out = st;
	return CLI_OK;
}

int cli_name_cmd(struct cli_ctx *c, int argc, char **argv, cli_name_fn fn, const char *key,
		 const char *before, const char *after)
{
	struct la_store *st = NULL;
	json_object *o = NULL;
	const char *name;
	int r = cli_simple_args(c, argc, argv, 1, 1);
	la_rc rc;

	if (r != CLI_CONTINUE)
		return r;
	name = argv[optind];
	r = cli_open_store(c, 0, &st);
	if (r != CLI_OK)
		return r;
	rc = fn(st, name);
	if (rc != LA_OK) {
		r = cli_fail(c, st, rc, name);
	} else if (c->json) {
		o = cli_json_ok();
		cli_json_str(o, key, name);
		r = cli_json_emit(c, o, false);
	} else {
		printf("%s%s%s\n", before, name, after);
	}
	la_store_close(st);
	return r;
}

/* ---- parsing -------------------------------------------------------- */

static bool all_digits(const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static bool parse_u64(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	char *end = NULL;

	if (!all_digits(s, strlen(s)))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

bool cli_parse_id(const char *s, uint32_t *out)
{
	unsigned long long v = 0;

	if (!parse_u64(s, UINT32_MAX, &v) || v == 0)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Fixed-width decimal field of s; -1 when not all digits. */
static int field(const char *s, size_t len)
{
	int v = 0;

	if (!all_digits(s, len))
		return -1;
	for (size_t i = 0; i < len; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

#define CLI_MAX_SECONDS 253402300799LL /* 9999-12-31T23:59:59Z */

bool cli_parse_date(const char *s, int64_t *ms)
{
	struct tm tm = { .tm_isdst = 0 }, chk;
	unsigned long long secs = 0;
	size_t len = strlen(s);
	time_t t;

	if (strcmp(s, "never") == 0) {
		*ms = 0;
		return true;
	}
	if (s[0] == '@') {
		if (!parse_u64(s + 1, CLI_MAX_SECONDS, &secs) || secs == 0)
			return false;
		*ms = (int64_t)secs * 1000;
		return true;
	}
	if (len != 10 && !(len == 20 && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == 'Z'))
		return false;
	if (s[4] != '-' || s[7] != '-')
		return false;
	tm.tm_year = field(s, 4) - 1900;
	tm.tm_mon = field(s + 5, 2) - 1;
	tm.tm_mday = field(s + 8, 2);
	if (len == 20) {
		tm.tm_hour = field(s + 11, 2);
		tm.tm_min = field(s + 14, 2);
		tm.tm_sec = field(s + 17, 2);
	}
	if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
	    tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 ||
	    tm.tm_sec < 0 || tm.tm_sec > 59)
		return false;
	chk = tm;
	t = timegm(&tm);
	/* timegm() normalises 2023-02-29 to March 1st: refuse such dates. */
	if (t <= 0 || tm.tm_mday != chk.tm_mday || tm.tm_mon != chk.tm_mon)
		return false;
	*ms = (int64_t)t * 1000;
	return true;
}

bool cli_split_list(const char *s, char **storage, const char ***vec, size_t *n)
{
	size_t count = 1, i = 0;
	char *copy = NULL, *tok, *comma;
	const char **v = NULL;

	*storage = NULL;
	*vec = NULL;
	*n = 0;
	if (!s[0])
		return true;
	for (const char *p = s; *p; p++)
		count += *p == ',';
	copy = strdup(s);
	v = calloc(count + 1, sizeof(*v));
	if (!copy || !v)
		goto fail;
	for (tok = copy;; tok = comma + 1) {
		comma = strchr(tok, ',');
		if (comma)
			*comma = '\0';
		if (!tok[0])
			goto fail;
		v[i++] = tok;
		if (!comma)
			break;
	}
	*storage = copy;
	*vec = v;
	*n = i;
	return true;
fail:
	free(copy);
	free(v);
	return false;
}

/* ---- output --------------------------------------------------------- */

const char *cli_fmt_time(int64_t ms, char buf[CLI_TIME_BUF])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(buf, CLI_TIME_BUF, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, CLI_TIME_BUF, "@%lld", (long long)t);
	return buf;
}

static bool write_all(int fd, const char *s, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		s += n;
		len -= (size_t)n;
	}
	return true;
}

void cli_wipe_const(const char *s)
{
	/* json-c hands out its buffers as const; they are ours to wipe. */
	if (s)
		sodium_memzero((void *)(uintptr_t)s, strlen(s));
}

int cli_json_emit(struct cli_ctx *c, json_object *o, bool secret)
{
	const char *s = NULL;
	int r = CLI_OK;

	(void)c;
	if (o)
		s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s) {
		fprintf(stderr, CLI_NAME ": out of memory\n");
		r = CLI_ESTORE;
	} else if (secret) {
		fflush(stdout);
		if (!write_all(STDOUT_FILENO, s, strlen(s)) || !write_all(STDOUT_FILENO, "\n", 1)) {
			fprintf(stderr, CLI_NAME ": error writing standard output: %s\n",
				strerror(errno));
			r = CLI_ESTORE;
		}
		cli_wipe_const(s);
	} else {
		printf("%s\n", s);
	}
	json_object_put(o);
	return r;
}

void cli_json_str(json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, s && s[0] ? json_object_new_string(s) : NULL);
}

void cli_json_int(json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

void cli_json_time(json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, v ? json_object_new_int64(v) : NULL);
}

void cli_json_bool(json_object *o, const char *key, bool v)
{
	json_object_object_add(o, key, json_object_new_boolean(v));
}

json_object *cli_json_ok(void)
{
	json_object *o = json_object_new_object();

	if (o)
		cli_json_bool(o, "ok", true);
	return o;
}

int cli_json_add_name(const char *name, uint32_t id, void *arr)
{
	(void)id;
	return json_object_array_add(arr, json_object_new_string(name)) == 0 ? 0 : 1;
}

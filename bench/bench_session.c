/*
 * bench_session.c - sessions and sign-in through libluciaauth (SPEC 7).
 *
 * bench_session [--n N] [--signin-n M] [--warmup W] [--sync normal|full]
 *               [--dir DIR] [--keep] [--json]
 *
 * In a fresh state directory (mkdtemp under DIR, $TMPDIR or /tmp; removed at
 * the end unless --keep) with one user, times N sequential calls each of
 *   create         la_session_create
 *   validate       la_session_validate on active sessions (no write)
 *   get            la_session_get
 *   validate_idle  la_session_validate on idle sessions (renewal UPDATE):
 *                  the injected clock is moved past active_expires
 *   revoke         la_session_revoke by token
 * in a shuffled order (as bench/lucia/bench.mjs does), after a warm-up; then
 * M sign-ins (la_authenticate, right password, default Argon2id cost) and,
 * interleaved with them, M verifications of a hash of the same password with
 * the same parameters (la_verify_password) - the hash alone.  overhead =
 * mean(total) - mean(hash).  That difference of two ~10-20 ms figures is at
 * the mercy of scheduling noise, so the split is also measured inside each
 * call: this program defines crypto_pwhash_str_verify, which the library's
 * call binds to (an executable's definition comes first in the global
 * symbol scope), times it and forwards to libsodium's.  nonhash = total -
 * time in that call; it is reported as "unavailable" if the library's
 * verification did not come through the wrapper.  The split is also measured
 * at libsodium's minimum Argon2id cost ("signin_lowcost"), where the caches
 * are not cold from a 19 MiB hash.
 *
 * Output: a human table (stderr with --json, stdout otherwise) and, with
 * --json, one JSON object per line on stdout.  Any library error aborts the
 * run with a message and exit status 1; usage errors exit 2.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h> /* SQLITE_VERSION only: the bench links libluciaauth alone */

#include "luciaauth.h"

#define IMPL	       "luciaauth-c"
#define BENCH_USER     "benchuser"
#define BENCH_USER_LOW "benchlow"
#define BENCH_PASSWORD "correct horse battery staple"
#define LOWCOST_FACTOR 10 /* signin_lowcost runs FACTOR x M sign-ins */

static char g_dir[LA_PATH_MAX];
static bool g_keep;
static struct la_store *g_st, *g_st_low;

/* ---- errors and clean-up -------------------------------------------- */

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	if (remove(path) != 0)
		fprintf(stderr, "bench_session: cannot remove %s: %s\n", path, strerror(errno));
	return 0;
}

static void cleanup(void)
{
	la_store_close(g_st_low);
	g_st_low = NULL;
	la_store_close(g_st);
	g_st = NULL;
	if (!g_dir[0])
		return;
	if (g_keep)
		fprintf(stderr, "bench_session: kept %s\n", g_dir);
	else if (nftw(g_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "bench_session: cannot remove %s: %s\n", g_dir, strerror(errno));
	g_dir[0] = '\0';
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench_session: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cleanup();
	exit(1);
}

/* Abort on anything but LA_OK, with the library's explanation. */
static void check(struct la_store *st, la_rc rc, const char *what, size_t i)
{
	if (rc == LA_OK)
		return;
	die("%s (#%zu): %s%s%s", what, i, la_strerror(rc), st && *la_store_errmsg(st) ? ": " : "",
	    st ? la_store_errmsg(st) : "");
}

static void usage(FILE *f, int code)
{
	fprintf(f, "usage: bench_session [--n N] [--signin-n M] [--warmup W] "
		   "[--sync normal|full] [--dir DIR] [--keep] [--json]\n"
		   "  --n N         session operations per kind (default 20000)\n"
		   "  --signin-n M  sign-ins at the default hash cost (default 20; 0 = skip)\n"
		   "  --warmup W    warm-up operations (default min(2000, max(100, N/10)))\n"
		   "  --sync S      synchronous=NORMAL (default) or FULL (config sync = full)\n"
		   "  --dir DIR     where to create the temporary state directory\n"
		   "                (default $TMPDIR or /tmp)\n"
		   "  --keep        do not remove the state directory\n"
		   "  --json        JSON lines on stdout, the table on stderr\n");
	exit(code);
}

static size_t parse_count(const char *s, size_t min, const char *opt)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || !end || end == s || *end || s[0] == '-' || v < min || v > 100000000ull) {
		fprintf(stderr, "bench_session: %s: not a count >= %zu: %s\n", opt, min, s);
		usage(stderr, 2);
	}
	return (size_t)v;
}

/* ---- time ----------------------------------------------------------- */

static double mono_s(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		die("clock_gettime: %s", strerror(errno));
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The store's clock: real time plus an offset, to make sessions idle. */
struct clock_ctx {
	int64_t offset_ms;
};

static int64_t bench_clock(void *ctx)
{
	const struct clock_ctx *c = ctx;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + c->offset_ms;
}

/* ---- the hash inside la_authenticate -------------------------------- */

/* libsodium's prototype, without pulling in <sodium.h>. */
int crypto_pwhash_str_verify(const char *str, const char *passwd, unsigned long long passwdlen);
typedef int (*verify_fn)(const char *, const char *, unsigned long long);

static double g_verify_s;	 /* time spent in the real function */
static unsigned long g_verify_n; /* calls that came through here */

int crypto_pwhash_str_verify(const char *str, const char *passwd, unsigned long long passwdlen)
{
	static verify_fn real;
	double t0;
	int r;

	if (!real)
		real = (verify_fn)dlsym(RTLD_NEXT, "crypto_pwhash_str_verify");
	if (!real)
		die("crypto_pwhash_str_verify: libsodium's definition not found: %s", dlerror());
	t0 = mono_s();
	r = real(str, passwd, passwdlen);
	g_verify_s += mono_s() - t0;
	g_verify_n++;
	return r;
}

/* ---- helpers -------------------------------------------------------- */

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		die("out of memory");
	return p;
}

/* Deterministic Fisher-Yates (the same generator as bench.mjs). */
static void shuffle(size_t *a, size_t n)
{
	uint32_t s = 0x9e3779b9u;

	for (size_t i = n; i-- > 1;) {
		s = (uint32_t)((s ^ (s >> 15)) * 0x2c1b3c6du + 0x6d2b79f5u);
		size_t j = s % (i + 1);
		size_t t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct dist {
	double mean, p50, p99, min, max; /* microseconds */
};

/* Nearest-rank percentiles of v[0..n) (seconds) in microseconds. */
static struct dist distribution(const double *v, size_t n)
{
	double *s = xcalloc(n, sizeof(*s));
	double sum = 0;
	struct dist d;
	size_t r50, r99;

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += s[i];
	r50 = (n * 50 + 99) / 100;
	r99 = (n * 99 + 99) / 100;
	d.mean = sum / (double)n * 1e6;
	d.p50 = s[(r50 ? r50 : 1) - 1] * 1e6;
	d.p99 = s[(r99 ? r99 : 1) - 1] * 1e6;
	d.min = s[0] * 1e6;
	d.max = s[n - 1] * 1e6;
	free(s);
	return d;
}

/* ---- session operations --------------------------------------------- */

enum op { OP_CREATE, OP_VALIDATE, OP_GET, OP_VALIDATE_IDLE, OP_REVOKE, OP_MAX };
static const char *const op_names[OP_MAX] = {"create", "validate", "get", "validate_idle",
					     "revoke"};

struct ctx {
	struct la_store *st;
	struct clock_ctx clock;
	struct la_user user;
	char (*tokens)[LA_TOKEN_BUF];
	size_t *order;
};

/* Run op on tokens[order[0..n)] and return the elapsed seconds.  Every
 * result is checked: the state and freshness too, so that the bench cannot
 * time an error path. */
static double run_op(struct ctx *c, enum op op, size_t n)
{
	struct la_session s;
	struct la_user u;
	double t0 = mono_s();
	la_rc rc;

	for (size_t k = 0; k < n; k++) {
		size_t i = op == OP_CREATE ? k : c->order[k];

		switch (op) {
		case OP_CREATE:
			rc = la_session_create(c->st, c->user.id, NULL, c->tokens[i], &s);
			check(c->st, rc, "la_session_create", k);
			break;
		case OP_VALIDATE:
		case OP_VALIDATE_IDLE:
			rc = la_session_validate(c->st, c->tokens[i], &s, &u);
			check(c->st, rc, "la_session_validate", k);
			if (op == OP_VALIDATE && (s.state != LA_SESSION_ACTIVE || s.fresh))
				die("validate #%zu: session %s, fresh %d: expected active", k,
				    la_session_state_name(s.state), s.fresh);
			if (op == OP_VALIDATE_IDLE && (s.state != LA_SESSION_IDLE || !s.fresh))
				die("validate_idle #%zu: session %s, fresh %d: expected an idle "
				    "session renewed",
				    k, la_session_state_name(s.state), s.fresh);
			break;
		case OP_GET:
			rc = la_session_get(c->st, c->tokens[i], &s, &u);
			check(c->st, rc, "la_session_get", k);
			if (s.state != LA_SESSION_ACTIVE || s.fresh)
				die("get #%zu: session %s, fresh %d: expected active", k,
				    la_session_state_name(s.state), s.fresh);
			break;
		case OP_REVOKE:
			rc = la_session_revoke(c->st, c->tokens[i]);
			check(c->st, rc, "la_session_revoke", k);
			break;
		case OP_MAX:
		default:
			die("internal: bad op");
		}
	}
	return mono_s() - t0;
}

/* The whole cycle on n sessions; secs[op] gets the times. */
static void session_cycle(struct ctx *c, size_t n, double secs[OP_MAX])
{
	const struct la_config *cfg = la_store_config(c->st);
	la_rc rc;

	for (size_t i = 0; i < n; i++)
		c->order[i] = i;
	shuffle(c->order, n);
	c->clock.offset_ms = 0;
	secs[OP_CREATE] = run_op(c, OP_CREATE, n);
	secs[OP_VALIDATE] = run_op(c, OP_VALIDATE, n);
	secs[OP_GET] = run_op(c, OP_GET, n);
	/* Every session was created before now, so now + active period + 1 min
	 * is past each one's active_expires and far before its idle_expires. */
	c->clock.offset_ms = cfg->session_active_ms + 60 * 1000;
	secs[OP_VALIDATE_IDLE] = run_op(c, OP_VALIDATE_IDLE, n);
	c->clock.offset_ms = 0;
	secs[OP_REVOKE] = run_op(c, OP_REVOKE, n);
	/* Nothing may be left: revoke of every token must have deleted it. */
	for (size_t i = 0; i < n && i < 10; i++) {
		struct la_session s;

		rc = la_session_get(c->st, c->tokens[i], &s, NULL);
		if (rc != LA_E_NOSESSION)
			die("session #%zu still there after revoke (%s)", i, la_strerror(rc));
	}
}

/* ---- sign-in ------------------------------------------------------- */

struct signin {
	size_t n;
	unsigned long mem_kib, ops;
	struct dist total, hash;
	double overhead_us; /* mean(total) - mean(hash) */
	bool split;	    /* nonhash measured inside each call */
	struct dist nonhash;
};

/* m times, interleaved: the hash alone (la_verify_password of an equal-cost
 * hash of the same password) and the whole la_authenticate. */
static void signin(struct la_store *st, const char *username, size_t m, struct signin *out)
{
	const struct la_config *cfg = la_store_config(st);
	double *tot = xcalloc(m, sizeof(*tot)), *hash = xcalloc(m, sizeof(*hash));
	double *other = xcalloc(m, sizeof(*other));
	bool split = true;
	char ref[LA_HASH_MAX];
	struct la_user u;
	bool rehash = false;
	la_rc rc;
	double t0;

	/* The stored hash is not reachable through the public API; one made
	 * with the same password, memory and passes costs the same to verify
	 * (and needs_rehash == false proves the parameters match the store's,
	 * so la_authenticate does not rehash either). */
	rc = la_hash_password(BENCH_PASSWORD, cfg->hash_mem_kib, cfg->hash_ops, ref);
	check(st, rc, "la_hash_password", 0);
	/* Warm-up: allocator, statement cache, page cache. */
	rc = la_verify_password(BENCH_PASSWORD, ref, cfg->hash_mem_kib, cfg->hash_ops, &rehash);
	check(st, rc, "la_verify_password (warm-up)", 0);
	if (rehash)
		die("la_verify_password: reference hash reported as needing a rehash");
	rc = la_authenticate(st, LA_IDENT_USERNAME, username, BENCH_PASSWORD, &u);
	check(st, rc, "la_authenticate (warm-up)", 0);
	for (size_t i = 0; i < m; i++) {
		t0 = mono_s();
		rc = la_verify_password(BENCH_PASSWORD, ref, cfg->hash_mem_kib, cfg->hash_ops,
					&rehash);
		hash[i] = mono_s() - t0;
		check(st, rc, "la_verify_password", i);
		unsigned long calls = g_verify_n;

		g_verify_s = 0;
		t0 = mono_s();
		rc = la_authenticate(st, LA_IDENT_USERNAME, username, BENCH_PASSWORD, &u);
		tot[i] = mono_s() - t0;
		check(st, rc, "la_authenticate", i);
		other[i] = tot[i] - g_verify_s;
		if (g_verify_n != calls + 1)
			split = false; /* the library's hash did not come through here */
		if (strcmp(u.username, username) != 0)
			die("la_authenticate #%zu: returned user %s, not %s", i, u.username,
			    username);
	}
	out->n = m;
	out->mem_kib = cfg->hash_mem_kib;
	out->ops = cfg->hash_ops;
	out->total = distribution(tot, m);
	out->hash = distribution(hash, m);
	out->overhead_us = out->total.mean - out->hash.mean;
	out->split = split;
	if (split)
		out->nonhash = distribution(other, m);
	free(tot);
	free(hash);
	free(other);
}

/* ---- set-up -------------------------------------------------------- */

static struct la_store *open_store(const char *dir, bool sync_full, unsigned long mem_kib,
				   unsigned long ops, unsigned flags)
{
	struct la_config cfg;
	struct la_store *st = NULL;
	la_rc rc;

	la_config_defaults(&cfg);
	if ((size_t)snprintf(cfg.dir, sizeof(cfg.dir), "%s", dir) >= sizeof(cfg.dir))
		die("state directory path too long");
	cfg.sync_full = sync_full;
	if (mem_kib) {
		cfg.hash_mem_kib = mem_kib;
		cfg.hash_ops = ops;
	}
	rc = la_store_open(&cfg, flags, &st);
	if (rc != LA_OK) {
		fprintf(stderr, "bench_session: la_store_open %s: %s%s%s\n", dir, la_strerror(rc),
			st && *la_store_errmsg(st) ? ": " : "", st ? la_store_errmsg(st) : "");
		la_store_close(st);
		die("cannot open the store");
	}
	return st;
}

static void add_user(struct la_store *st, const char *name, struct la_user *out)
{
	struct la_user_spec spec = {.username = name};

	check(st, la_user_add(st, &spec, BENCH_PASSWORD, out), "la_user_add", 0);
}

static void make_dir(const char *base)
{
	char tmpl[LA_PATH_MAX];
	char *real;

	if ((size_t)snprintf(tmpl, sizeof(tmpl), "%s/luciaauth-bench-XXXXXX", base) >= sizeof(tmpl))
		die("directory path too long: %s", base);
	if (!mkdtemp(tmpl))
		die("mkdtemp %s: %s", tmpl, strerror(errno));
	real = realpath(tmpl, NULL); /* the store wants an absolute path */
	if (!real) {
		int e = errno;

		rmdir(tmpl);
		die("realpath %s: %s", tmpl, strerror(e));
	}
	snprintf(g_dir, sizeof(g_dir), "%s", real);
	free(real);
}

/* What journal the store really got: a WAL database has a -wal file while
 * a connection is open. */
static const char *journal_mode(void)
{
	char path[LA_PATH_MAX + 32];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/luciaauth.db-wal", g_dir);
	return stat(path, &sb) == 0 ? "wal" : "not-wal";
}

/* ---- output -------------------------------------------------------- */

static void print_json_signin(const char *op, const struct signin *r, const char *sync,
			      const char *journal)
{
	printf("{\"impl\":\"" IMPL "\",\"op\":\"%s\",\"total_us\":%.1f,\"hash_us\":%.1f,"
	       "\"overhead_us\":%.1f,\"total_p50_us\":%.1f,\"total_p99_us\":%.1f,"
	       "\"hash_p50_us\":%.1f,\"hash_p99_us\":%.1f,",
	       op, r->total.mean, r->hash.mean, r->overhead_us, r->total.p50, r->total.p99,
	       r->hash.p50, r->hash.p99);
	if (r->split)
		printf("\"nonhash_us\":%.1f,\"nonhash_p50_us\":%.1f,\"nonhash_p99_us\":%.1f,",
		       r->nonhash.mean, r->nonhash.p50, r->nonhash.p99);
	else
		printf("\"nonhash_us\":null,");
	printf("\"n\":%zu,"
	       "\"hash\":\"argon2id m=%lu KiB t=%lu p=1\",\"sync\":\"%s\",\"journal\":\"%s\","
	       "\"sqlite\":\"" SQLITE_VERSION "\"}\n",
	       r->n, r->mem_kib, r->ops, sync, journal);
}

static void print_table_signin(FILE *f, const char *title, const struct signin *r)
{
	fprintf(f, "\n%s: %zu x la_authenticate, argon2id m=%lu KiB t=%lu p=1\n", title, r->n,
		r->mem_kib, r->ops);
	fprintf(f, "  %-30s %10s %10s %10s %10s\n", "microseconds", "mean", "p50", "p99", "max");
	fprintf(f, "  %-30s %10.1f %10.1f %10.1f %10.1f\n", "total (la_authenticate)",
		r->total.mean, r->total.p50, r->total.p99, r->total.max);
	fprintf(f, "  %-30s %10.1f %10.1f %10.1f %10.1f\n", "hash (la_verify_password)",
		r->hash.mean, r->hash.p50, r->hash.p99, r->hash.max);
	fprintf(f, "  %-30s %10.1f %10s %10s %10s\n", "overhead = total - hash", r->overhead_us, "",
		"", "");
	if (r->split)
		fprintf(f, "  %-30s %10.1f %10.1f %10.1f %10.1f\n", "non-hash, inside each call",
			r->nonhash.mean, r->nonhash.p50, r->nonhash.p99, r->nonhash.max);
	else
		fprintf(f, "  %-30s %10s\n", "non-hash, inside each call", "unavailable");
}

int main(int argc, char **argv)
{
	size_t n = 20000, m = 20, warmup = 0;
	bool json = false, sync_full = false, warmup_set = false;
	const char *base = NULL;
	double secs[OP_MAX], wsecs[OP_MAX];
	struct signin si = {0}, lo = {0};
	struct ctx c;
	struct la_user low_user;
	const char *sync, *journal;
	FILE *tf;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--keep")) {
			g_keep = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout, 0);
		} else if (strcmp(a, "--n") && strcmp(a, "--signin-n") && strcmp(a, "--warmup") &&
			   strcmp(a, "--dir") && strcmp(a, "--sync")) {
			fprintf(stderr, "bench_session: unknown option: %s\n", a);
			usage(stderr, 2);
		} else if (!v) {
			fprintf(stderr, "bench_session: %s needs a value\n", a);
			usage(stderr, 2);
		} else if (!strcmp(a, "--n")) {
			n = parse_count(v, 1, a), i++;
		} else if (!strcmp(a, "--signin-n")) {
			m = parse_count(v, 0, a), i++;
		} else if (!strcmp(a, "--warmup")) {
			warmup = parse_count(v, 0, a), warmup_set = true, i++;
		} else if (!strcmp(a, "--dir")) {
			base = v, i++;
		} else if (!strcmp(a, "--sync")) {
			if (!strcmp(v, "normal"))
				sync_full = false;
			else if (!strcmp(v, "full"))
				sync_full = true;
			else {
				fprintf(stderr, "bench_session: --sync: normal or full, not %s\n",
					v);
				usage(stderr, 2);
			}
			i++;
		}
	}
	if (!warmup_set)
		warmup = n / 10 < 100 ? 100 : n / 10 > 2000 ? 2000 : n / 10;
	if (!base || !*base)
		base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	sync = sync_full ? "full" : "normal";

	make_dir(base);
	g_st = open_store(g_dir, sync_full, 0, 0, LA_OPEN_CREATE);
	memset(&c, 0, sizeof(c));
	c.st = g_st;
	la_store_set_clock(g_st, bench_clock, &c.clock);
	add_user(g_st, BENCH_USER, &c.user);
	c.tokens = xcalloc(n > warmup ? n : warmup, sizeof(*c.tokens));
	c.order = xcalloc(n > warmup ? n : warmup, sizeof(*c.order));

	if (warmup)
		session_cycle(&c, warmup, wsecs);
	session_cycle(&c, n, secs);
	journal = journal_mode();

	if (m) {
		signin(g_st, BENCH_USER, m, &si);
		/* The same path where the hash costs almost nothing: a second
		 * handle whose configured (and stored) cost is libsodium's
		 * minimum, so la_authenticate does not rehash. */
		g_st_low = open_store(g_dir, sync_full, 8, 1, 0);
		add_user(g_st_low, BENCH_USER_LOW, &low_user);
		signin(g_st_low, BENCH_USER_LOW, m * LOWCOST_FACTOR, &lo);
	}

	tf = json ? stderr : stdout;
	fprintf(tf, IMPL ": libluciaauth, SQLite %s (headers), journal=%s synchronous=%s\n",
		SQLITE_VERSION, journal, sync);
	fprintf(tf,
		"n=%zu per session op, warm-up %zu, sign-ins %zu; one handle, sequential "
		"calls, shuffled token order\n\n",
		n, warmup, m);
	fprintf(tf, "  %-14s %12s %10s\n", "op", "ops/s", "us/op");
	for (int op = 0; op < OP_MAX; op++)
		fprintf(tf, "  %-14s %12.0f %10.2f\n", op_names[op], (double)n / secs[op],
			secs[op] * 1e6 / (double)n);
	if (m) {
		print_table_signin(tf, "sign-in", &si);
		if (m < 100)
			fprintf(tf, "  (p99 of %zu samples is their maximum)\n", m);
		print_table_signin(tf, "sign-in at minimum hash cost (non-hash part)", &lo);
	}
	fflush(tf);

	if (json) {
		for (int op = 0; op < OP_MAX; op++)
			printf("{\"impl\":\"" IMPL "\",\"op\":\"%s\",\"ops_per_s\":%.0f,"
			       "\"us_per_op\":%.2f,\"n\":%zu,\"sync\":\"%s\",\"journal\":\"%s\","
			       "\"sqlite\":\"" SQLITE_VERSION "\"}\n",
			       op_names[op], (double)n / secs[op], secs[op] * 1e6 / (double)n, n,
			       sync, journal);
		if (m) {
			print_json_signin("signin", &si, sync, journal);
			print_json_signin("signin_lowcost", &lo, sync, journal);
		}
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		die("writing the results: %s", strerror(errno));

	memset(c.tokens, 0, (n > warmup ? n : warmup) * sizeof(*c.tokens));
	free(c.tokens);
	free(c.order);
	cleanup();
	return 0;
}

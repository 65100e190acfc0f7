/*
 * bench_nss.c - NSS passwd lookups through glibc, and snapshot publishing
 * (SPEC 7).  bench/run-nss.sh drives it; it has two modes.
 *
 * bench_nss build --users N --dir DIR [--publish-runs R] [--json]
 *   Creates a store in DIR/store (uid_min 10000, uid_max raised above the
 *   last uid) holding N users u0000000.. with uids 10000.., each with its
 *   private group, written straight into the master database in one
 *   transaction (la_user_add would publish the snapshot after every add:
 *   O(N^2)).  Then times R calls of la_snapshot_publish() (the SPEC figure:
 *   < 1 s at 100,000 users), checks the published header, and writes
 *   DIR/passwd: the same N users as passwd(5) lines, for glibc's files
 *   module.
 *
 * bench_nss lookup --impl luciaauth-nss|glibc-files --users N [--n COUNT]
 *                  [--warmup W] [--max-seconds S] [--seed X] [--round R] [--json]
 *   Times COUNT getpwnam_r and COUNT getpwuid_r calls through glibc, of
 *   random users among the N above, in pairs (one of each, in random
 *   order).  The caller sets up NSS beforehand (run-nss.sh: a private
 *   mount namespace with its own nsswitch.conf naming one module only,
 *   ld.so.cache and /etc/passwd); glibc keeps a module loaded for the life
 *   of the process, so one process measures one configuration, from its
 *   first call.  Every answer is checked (uid, gid, name, home), and
 *   so is the configuration: "root" must not resolve (only the bench users
 *   exist) and, for luciaauth-nss, libnss_luciaauth.so.2 must be mapped.
 *   The first call (nsswitch.conf parse, module load, snapshot map) is
 *   reported apart as first_us; W warm-up pairs follow (at most S/4
 *   seconds), then the timed ones, which stop early after S seconds per
 *   operation (the files module needs tens of ms per call at 1,000,000
 *   users).  Without nscd, glibc itself tries to reach nscd again on every
 *   100th passwd lookup of the process (socket + connect, ~2 us): 1% of
 *   the calls of either module carry that, right at the p99 boundary.
 *
 * Output: a human table (stderr with --json, stdout otherwise) and, with
 * --json, one JSON object per line on stdout.  Any failure aborts with a
 * message and exit status 1; usage errors exit 2.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "luciaauth.h"
#include "la_snapshot.h"

#define UID_BASE   10000u
#define NAME_FMT   "u%07zu"
#define NAME_LEN   24 /* "u" + up to 20 digits */
#define HOME_BASE  "/home"
#define SHELL	   "/bin/bash"
#define MAX_USERS  10000000u
#define MODULE_SO  "libnss_luciaauth.so.2"
#define PW_BUFSIZE 4096

static bool g_json;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench_nss: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage(FILE *f, int code)
{
	fprintf(
	    f,
	    "usage: bench_nss build --users N --dir DIR [--publish-runs R] [--json]\n"
	    "       bench_nss lookup --impl luciaauth-nss|glibc-files --users N [--n COUNT]\n"
	    "                        [--warmup W] [--max-seconds S] [--seed X] [--round R]"
	    " [--json]\n"
	    "  build   store with N users in DIR/store, time la_snapshot_publish() R times\n"
	    "          (default 3), write DIR/passwd with the same users\n"
	    "  lookup  time getpwnam_r/getpwuid_r of random users through glibc, as NSS is\n"
	    "          configured for this process (default COUNT 20000, W min(1000, COUNT/10),\n"
	    "          S 10 seconds per operation)\n");
	exit(code);
}

static size_t parse_count(const char *s, size_t min, size_t max, const char *opt)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || !end || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "bench_nss: %s: not a number in %zu..%zu: %s\n", opt, min, max, s);
		usage(stderr, 2);
	}
	return (size_t)v;
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		die("out of memory");
	return p;
}

/* FILE for the human table: stderr when stdout carries JSON. */
static FILE *human(void)
{
	return g_json ? stderr : stdout;
}

/* The i-th bench user (0-based); the two modes agree on these. */
static void user_name(size_t i, char out[NAME_LEN])
{
	snprintf(out, NAME_LEN, NAME_FMT, i);
}

static uint32_t user_uid(size_t i)
{
	return UID_BASE + (uint32_t)i;
}

/* ---- statistics ----------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct dist {
	double mean, p50, p99, min, max; /* in the unit of the samples */
};

/* Nearest-rank percentiles; sorts v. */
static struct dist distribution(double *v, size_t n)
{
	double sum = 0;
	struct dist d;
	size_t r50 = (n * 50 + 99) / 100, r99 = (n * 99 + 99) / 100;

	qsort(v, n, sizeof(*v), cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	d.mean = sum / (double)n;
	d.p50 = v[(r50 ? r50 : 1) - 1];
	d.p99 = v[(r99 ? r99 : 1) - 1];
	d.min = v[0];
	d.max = v[n - 1];
	return d;
}

/* ---- build: the store, the snapshot, the passwd file ----------------- */

static void sql_ok(sqlite3 *db, int r, const char *what)
{
	if (r != SQLITE_OK && r != SQLITE_DONE)
		die("%s: %s", what, sqlite3_errmsg(db));
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;

	sql_ok(db, sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL), sql);
	return s;
}

static void step_reset(sqlite3 *db, sqlite3_stmt *s, const char *what)
{
	sql_ok(db, sqlite3_step(s), what);
	sqlite3_reset(s);
}

/* A Lucia-style 15-character id [a-z0-9], increasing with i so that the
 * primary key index is filled in order. */
static void user_id(size_t i, char out[LA_USER_ID_LEN + 1])
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";

	memcpy(out, "bench", 5);
	for (int k = LA_USER_ID_LEN - 1; k >= 5; k--) {
		out[k] = digits[i % 36];
		i /= 36;
	}
	out[LA_USER_ID_LEN] = '\0';
}

/* N users and their private groups, straight into the master database:
 * the columns la_user_add() writes, one transaction. */
static void fill_database(const char *db_path, size_t n_users)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *ins_user, *ins_group, *ins_alloc;
	int64_t now = (int64_t)time(NULL) * 1000;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		die("%s: %s", db_path, db ? sqlite3_errmsg(db) : "cannot open");
	/* A scratch store: nothing to keep if the machine crashes now. */
	sql_ok(db,
	       sqlite3_exec(db,
			    "PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;"
			    " PRAGMA foreign_keys=ON; BEGIN IMMEDIATE",
			    NULL, NULL, NULL),
	       "begin");
	ins_user = prepare(db, "INSERT INTO users (id, username, email, uid, gid, gecos, home,"
			       " shell, created, password_changed, must_change)"
			       " VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8, 0, 0)");
	ins_group = prepare(db, "INSERT INTO groups (gid, name, user_private) VALUES (?1, ?2, 1)");
	ins_alloc = prepare(db, "INSERT INTO id_alloc VALUES ('id', ?1)"
				" ON CONFLICT(kind) DO UPDATE SET next = ?1");
	for (size_t i = 0; i < n_users; i++) {
		char id[LA_USER_ID_LEN + 1], name[NAME_LEN], email[64], gecos[64], home[64];

		user_id(i, id);
		user_name(i, name);
		snprintf(email, sizeof(email), "%s@example.org", name);
		snprintf(gecos, sizeof(gecos), "Bench User %zu", i);
		snprintf(home, sizeof(home), HOME_BASE "/%s", name);
		sqlite3_bind_text(ins_user, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins_user, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins_user, 3, email, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins_user, 4, user_uid(i));
		sqlite3_bind_text(ins_user, 5, gecos, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins_user, 6, home, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins_user, 7, SHELL, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins_user, 8, now);
		step_reset(db, ins_user, "insert user");
		sqlite3_bind_int64(ins_group, 1, user_uid(i));
		sqlite3_bind_text(ins_group, 2, name, -1, SQLITE_STATIC);
		step_reset(db, ins_group, "insert private group");
	}
	sqlite3_bind_int64(ins_alloc, 1, (int64_t)user_uid(n_users));
	step_reset(db, ins_alloc, "id allocation");
	sqlite3_finalize(ins_user);
	sqlite3_finalize(ins_group);
	sqlite3_finalize(ins_alloc);
	sql_ok(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
	if (sqlite3_close(db) != SQLITE_OK)
		die("closing %s", db_path);
}

static void check_rc(struct la_store *st, la_rc rc, const char *what)
{
	if (rc != LA_OK)
		die("%s: %s%s%s", what, la_strerror(rc), st && *la_store_errmsg(st) ? ": " : "",
		    st ? la_store_errmsg(st) : "");
}

/* Read the published header back: the snapshot must hold all N users. */
static uint64_t check_snapshot(const char *path, size_t n_users)
{
	struct la_snap_header h;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;

	if (fd < 0 || fstat(fd, &sb) != 0 || read(fd, &h, sizeof(h)) != (ssize_t)sizeof(h))
		die("cannot read %s: %s", path, strerror(errno));
	close(fd);
	if (memcmp(h.magic, LA_SNAP_MAGIC, sizeof(h.magic)) != 0 || h.n_users != n_users ||
	    h.file_size != (uint64_t)sb.st_size || (sb.st_mode & 0777) != 0644)
		die("%s: unexpected snapshot (magic, %u users, %llu bytes, mode %04o)", path,
		    h.n_users, (unsigned long long)h.file_size, (unsigned)(sb.st_mode & 07777));
	return h.file_size;
}

static void write_passwd(const char *path, size_t n_users)
{
	FILE *f = fopen(path, "we");

	if (!f)
		die("cannot create %s: %s", path, strerror(errno));
	for (size_t i = 0; i < n_users; i++) {
		char name[NAME_LEN];
		uint32_t uid = user_uid(i);

		user_name(i, name);
		fprintf(f, "%s:x:%u:%u:Bench User %zu:" HOME_BASE "/%s:" SHELL "\n", name, uid, uid,
			i, name);
	}
	if (fflush(f) != 0 || ferror(f) || fclose(f) != 0)
		die("cannot write %s: %s", path, strerror(errno));
	if (chmod(path, 0644) != 0)
		die("chmod %s: %s", path, strerror(errno));
}

static int cmd_build(int argc, char **argv)
{
	size_t n_users = 0, runs = 3;
	const char *dir = NULL;
	char db_path[LA_PATH_MAX + 32], snap_path[LA_PATH_MAX + 32], pw_path[LA_PATH_MAX + 32];
	struct la_config cfg;
	struct la_store *st = NULL;
	double t0, fill_s, *pub_ms;
	uint64_t bytes;
	struct dist d;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--json") == 0) {
			g_json = true;
			continue;
		}
		if (!v)
			usage(stderr, 2);
		if (strcmp(a, "--users") == 0)
			n_users = parse_count(v, 1, MAX_USERS, a);
		else if (strcmp(a, "--dir") == 0)
			dir = v;
		else if (strcmp(a, "--publish-runs") == 0)
			runs = parse_count(v, 1, 1000, a);
		else
			usage(stderr, 2);
		i++;
	}
	if (!n_users || !dir || dir[0] != '/')
		usage(stderr, 2);

	la_config_defaults(&cfg);
	if (snprintf(cfg.dir, sizeof(cfg.dir), "%s/store", dir) >= (int)sizeof(cfg.dir))
		die("--dir too long");
	cfg.uid_min = UID_BASE;
	if (user_uid(n_users) + 100000u > cfg.uid_max)
		cfg.uid_max = user_uid(n_users) + 100000u;
	snprintf(db_path, sizeof(db_path), "%s/luciaauth.db", cfg.dir);
	snprintf(snap_path, sizeof(snap_path), "%s/%s", cfg.dir, LA_SNAP_NAME);
	snprintf(pw_path, sizeof(pw_path), "%s/passwd", dir);

	/* The library creates the directory and schema; rows go in directly. */
	check_rc(st, la_store_open(&cfg, LA_OPEN_CREATE, &st), "la_store_open (create)");
	la_store_close(st);
	st = NULL;
	t0 = mono_s();
	fill_database(db_path, n_users);
	fill_s = mono_s() - t0;

	check_rc(st, la_store_open(&cfg, 0, &st), "la_store_open");
	pub_ms = xcalloc(runs, sizeof(*pub_ms));
	for (size_t r = 0; r < runs; r++) {
		t0 = mono_s();
		check_rc(st, la_snapshot_publish(st), "la_snapshot_publish");
		pub_ms[r] = (mono_s() - t0) * 1e3;
	}
	la_store_close(st);
	bytes = check_snapshot(snap_path, n_users);
	write_passwd(pw_path, n_users);

	d = distribution(pub_ms, runs);
	fprintf(human(),
		"%9zu users: database filled in %.2f s; snapshot %.1f MB, "
		"la_snapshot_publish() %.1f ms (median of %zu; %.1f-%.1f)\n",
		n_users, fill_s, (double)bytes / 1e6, d.p50, runs, d.min, d.max);
	if (g_json) {
		printf(
		    "{\"impl\":\"luciaauth\",\"op\":\"fill_database\",\"users\":%zu,\"s\":%.3f}\n",
		    n_users, fill_s);
		printf("{\"impl\":\"luciaauth\",\"op\":\"snapshot_publish\",\"users\":%zu,"
		       "\"runs\":%zu,\"ms_p50\":%.3f,\"ms_min\":%.3f,\"ms_max\":%.3f,"
		       "\"bytes\":%llu,\"sqlite\":\"%s\"}\n",
		       n_users, runs, d.p50, d.min, d.max, (unsigned long long)bytes,
		       sqlite3_libversion());
	}
	free(pub_ms);
	return 0;
}

/* ---- lookup --------------------------------------------------------- */

enum impl { IMPL_MODULE, IMPL_FILES };
static const char *const impl_names[] = {"luciaauth-nss", "glibc-files"};

/* xorshift64*: the same sequence for every process with the same seed. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* The path of the mapped libnss_luciaauth.so.2, "" if none. */
static void module_path(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[LA_PATH_MAX + 128];

	out[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/');

		if (p && strstr(p, "/" MODULE_SO)) {
			p[strcspn(p, "\n")] = '\0';
			snprintf(out, len, "%s", p);
			break;
		}
	}
	fclose(f);
}

static void expect_user(const struct passwd *pw, int r, size_t i, const char *how)
{
	char name[NAME_LEN], home[64];

	user_name(i, name);
	snprintf(home, sizeof(home), HOME_BASE "/%s", name);
	if (r != 0)
		die("%s(%s): %s", how, name, strerror(r));
	if (!pw)
		die("%s(%s): not found (is NSS set up for this process?)", how, name);
	if (pw->pw_uid != user_uid(i) || pw->pw_gid != user_uid(i) || strcmp(pw->pw_name, name) ||
	    strcmp(pw->pw_dir, home) || strcmp(pw->pw_shell, SHELL))
		die("%s(%s): wrong entry %s:%u:%u:%s:%s", how, name, pw->pw_name,
		    (unsigned)pw->pw_uid, (unsigned)pw->pw_gid, pw->pw_dir, pw->pw_shell);
}

static double time_getpwnam(const char *name, size_t i, char *buf)
{
	struct passwd pwd, *pw = NULL;
	double t0 = mono_s();
	int r = getpwnam_r(name, &pwd, buf, PW_BUFSIZE, &pw);
	double t = mono_s() - t0;

	expect_user(pw, r, i, "getpwnam_r");
	return t;
}

static double time_getpwuid(size_t i, char *buf)
{
	struct passwd pwd, *pw = NULL;
	double t0 = mono_s();
	int r = getpwuid_r(user_uid(i), &pwd, buf, PW_BUFSIZE, &pw);
	double t = mono_s() - t0;

	expect_user(pw, r, i, "getpwuid_r");
	return t;
}

static void print_lookup(enum impl impl, const char *op, size_t n_users, double *us, size_t n,
			 double first_us, size_t round, const char *so)
{
	struct dist d = distribution(us, n);

	fprintf(human(),
		"%-14s %-9s %9zu users  n=%-6zu mean %9.2f  p50 %9.2f  p99 %9.2f  "
		"max %9.2f us  (first call %.0f us)\n",
		impl_names[impl], op, n_users, n, d.mean, d.p50, d.p99, d.max, first_us);
	if (g_json)
		printf("{\"impl\":\"%s\",\"op\":\"%s\",\"users\":%zu,\"n\":%zu,\"us_mean\":%.3f,"
		       "\"us_p50\":%.3f,\"us_p99\":%.3f,\"us_min\":%.3f,\"us_max\":%.3f,"
		       "\"first_us\":%.1f,\"round\":%zu,\"module\":\"%s\"}\n",
		       impl_names[impl], op, n_users, n, d.mean, d.p50, d.p99, d.min, d.max,
		       first_us, round, so);
}

static int cmd_lookup(int argc, char **argv)
{
	size_t n_users = 0, n = 20000, warmup = SIZE_MAX, round = 1, done = 0;
	double max_s = 10, first_us, t_nam = 0, t_uid = 0, *us_nam, *us_uid;
	uint64_t seed = 0x5eed, s;
	enum impl impl = IMPL_MODULE;
	bool have_impl = false;
	char so[LA_PATH_MAX + 128], buf[PW_BUFSIZE], (*names)[NAME_LEN];
	size_t *nam_idx, *uid_idx;
	bool *nam_first;
	struct passwd pwd, *pw = NULL;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--json") == 0) {
			g_json = true;
			continue;
		}
		if (!v)
			usage(stderr, 2);
		if (strcmp(a, "--impl") == 0) {
			have_impl = true;
			if (strcmp(v, impl_names[IMPL_MODULE]) == 0)
				impl = IMPL_MODULE;
			else if (strcmp(v, impl_names[IMPL_FILES]) == 0)
				impl = IMPL_FILES;
			else
				usage(stderr, 2);
		} else if (strcmp(a, "--users") == 0) {
			n_users = parse_count(v, 1, MAX_USERS, a);
		} else if (strcmp(a, "--n") == 0) {
			n = parse_count(v, 1, 100000000, a);
		} else if (strcmp(a, "--warmup") == 0) {
			warmup = parse_count(v, 0, 100000000, a);
		} else if (strcmp(a, "--max-seconds") == 0) {
			char *end = NULL;

			max_s = strtod(v, &end);
			if (!end || end == v || *end || !(max_s > 0 && max_s <= 1e5)) {
				fprintf(stderr, "bench_nss: %s: not a number of seconds: %s\n", a,
					v);
				usage(stderr, 2);
			}
		} else if (strcmp(a, "--seed") == 0) {
			seed = parse_count(v, 1, SIZE_MAX, a);
		} else if (strcmp(a, "--round") == 0) {
			round = parse_count(v, 1, 1000000, a);
		} else {
			usage(stderr, 2);
		}
		i++;
	}
	if (!n_users || !have_impl)
		usage(stderr, 2);
	if (warmup == SIZE_MAX)
		warmup = n / 10 < 1000 ? n / 10 : 1000;

	/* Users and names chosen before the clock runs. */
	s = seed;
	nam_idx = xcalloc(n + warmup, sizeof(*nam_idx));
	uid_idx = xcalloc(n + warmup, sizeof(*uid_idx));
	names = xcalloc(n + warmup, sizeof(*names));
	nam_first = xcalloc(n + warmup, sizeof(*nam_first));
	for (size_t k = 0; k < n + warmup; k++) {
		nam_idx[k] = (size_t)(rnd(&s) % n_users);
		uid_idx[k] = (size_t)(rnd(&s) % n_users);
		nam_first[k] = (rnd(&s) >> 32) & 1;
		user_name(nam_idx[k], names[k]);
	}
	us_nam = xcalloc(n, sizeof(*us_nam));
	us_uid = xcalloc(n, sizeof(*us_uid));

	/* First call: nsswitch.conf, module, snapshot or file. */
	first_us = time_getpwnam(names[0], nam_idx[0], buf) * 1e6;
	module_path(so, sizeof(so));
	if (impl == IMPL_MODULE && !so[0])
		die("%s is not loaded: nsswitch.conf or ld.so.cache not in effect", MODULE_SO);
	if (impl == IMPL_FILES && so[0])
		die("%s is loaded although the files module alone is wanted", MODULE_SO);
	/* Only the bench users exist: a system account means another source. */
	if (getpwnam_r("root", &pwd, buf, sizeof(buf), &pw) != 0 || pw)
		die("\"root\" resolves: NSS is not limited to the %s module", impl_names[impl]);

	/* Warm-up: W pairs, but no more than a quarter of the budget. */
	for (size_t k = 1; k < warmup && t_nam + t_uid < max_s / 4; k++) {
		t_nam += time_getpwnam(names[k], nam_idx[k], buf);
		t_uid += time_getpwuid(uid_idx[k], buf);
	}
	t_nam = t_uid = 0;
	while (done < n && t_nam < max_s && t_uid < max_s) {
		size_t k = warmup + done;

		/* glibc tries nscd again every 100th passwd call (socket +
		 * connect, ~2 us, when no nscd runs): with a fixed order it
		 * would always land on the same one of the pair. */
		if (nam_first[k]) {
			us_nam[done] = time_getpwnam(names[k], nam_idx[k], buf);
			us_uid[done] = time_getpwuid(uid_idx[k], buf);
		} else {
			us_uid[done] = time_getpwuid(uid_idx[k], buf);
			us_nam[done] = time_getpwnam(names[k], nam_idx[k], buf);
		}
		t_nam += us_nam[done];
		t_uid += us_uid[done];
		us_nam[done] *= 1e6;
		us_uid[done] *= 1e6;
		done++;
	}
	print_lookup(impl, "getpwnam", n_users, us_nam, done, first_us, round, so);
	print_lookup(impl, "getpwuid", n_users, us_uid, done, first_us, round, so);
	free(nam_idx);
	free(uid_idx);
	free(names);
	free(nam_first);
	free(us_nam);
	free(us_uid);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
		usage(argc < 2 ? stderr : stdout, argc < 2 ? 2 : 0);
	if (strcmp(argv[1], "build") == 0)
		return cmd_build(argc - 2, argv + 2);
	if (strcmp(argv[1], "lookup") == 0)
		return cmd_lookup(argc - 2, argv + 2);
	usage(stderr, 2);
}

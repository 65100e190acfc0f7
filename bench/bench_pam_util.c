/*
 * bench_pam_util.c - errors, clean-up, time and helpers of bench_pam.
 */
#include "config.h"

#include "bench_pam.h"

char g_dir[LA_PATH_MAX];
bool g_keep;
unsigned long g_mem_kib, g_ops; /* the store's default hash cost */

/* ---- errors and clean-up -------------------------------------------- */

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	if (remove(path) != 0)
		fprintf(stderr, PROG ": cannot remove %s: %s\n", path, strerror(errno));
	return 0;
}

void cleanup(void)
{
	if (!g_dir[0])
		return;
	if (g_keep)
		fprintf(stderr, PROG ": kept %s\n", g_dir);
	else if (nftw(g_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, PROG ": cannot remove %s: %s\n", g_dir, strerror(errno));
	g_dir[0] = '\0';
}

void die(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cleanup();
	exit(1);
}

void check(struct la_store *st, la_rc rc, const char *what)
{
	if (rc == LA_OK)
		return;
	die("%s: %s%s%s", what, la_strerror(rc), st && *la_store_errmsg(st) ? ": " : "",
	    st ? la_store_errmsg(st) : "");
}

/* ---- time ----------------------------------------------------------- */

static double clock_s(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		die("clock_gettime: %s", strerror(errno));
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double mono_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

double thread_cpu_s(void)
{
	return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

/* ---- helpers -------------------------------------------------------- */

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		die("out of memory");
	return p;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}


/* Nearest-rank percentiles of v[0..n) (seconds) in microseconds. */
struct dist distribution(const double *v, size_t n)
{
	struct dist d = {0};
	double *s, sum = 0;
	size_t r50, r99;

	if (!n)
		return d;
	s = xcalloc(n, sizeof(*s));
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	for (size_t i = 0; i < n; i++)
		sum += s[i];
	r50 = (n * 50 + 99) / 100;
	r99 = (n * 99 + 99) / 100;
	d.n = n;
	d.mean = sum / (double)n * 1e6;
	d.p50 = s[(r50 ? r50 : 1) - 1] * 1e6;
	d.p99 = s[(r99 ? r99 : 1) - 1] * 1e6;
	d.min = s[0] * 1e6;
	d.max = s[n - 1] * 1e6;
	free(s);
	return d;
}

double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
void write_file(const char *path, mode_t mode, const char *fmt, ...)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	FILE *f;
	va_list ap;

	if (fd < 0 || !(f = fdopen(fd, "w")))
		die("cannot write %s: %s", path, strerror(errno));
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	if (fclose(f) != 0)
		die("cannot write %s: %s", path, strerror(errno));
}

/* A path that goes into a PAM service file or the config: no blanks. */
void plain_path(const char *p)
{
	for (; *p; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '#' || *p == '[')
			die("paths with blanks, '#' or '[' cannot go into a PAM service file");
}

void make_dir(const char *base)
{
	char tmpl[LA_PATH_MAX];
	char *real;

	if ((size_t)snprintf(tmpl, sizeof(tmpl), "%s/luciaauth-pambench-XXXXXX", base) >=
	    sizeof(tmpl) - 64)
		die("directory path too long: %s", base);
	if (!mkdtemp(tmpl))
		die("mkdtemp %s: %s", tmpl, strerror(errno));
	real = realpath(tmpl, NULL);
	if (!real) {
		int e = errno;

		rmdir(tmpl);
		die("realpath %s: %s", tmpl, strerror(e));
	}
	snprintf(g_dir, sizeof(g_dir), "%s", real);
	free(real);
	plain_path(g_dir);
}

unsigned online_cores(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

/* JSON string body: the few strings here are ours or PAM's messages. */
void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* ---- the database ------------------------------------------------- */

/* The stored hash of key, straight from the master database. */
void stored_hash(const char *db_path, const char *key, char out[LA_HASH_MAX])
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int r = sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL);

	if (r == SQLITE_OK)
		r = sqlite3_prepare_v2(db, "SELECT hashed_password FROM auth_keys WHERE id = ?1",
				       -1, &s, NULL);
	if (r == SQLITE_OK)
		r = sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (r == SQLITE_OK)
		r = sqlite3_step(s);
	if (r != SQLITE_ROW || sqlite3_column_type(s, 0) != SQLITE_TEXT)
		die("reading the hash of %s from %s: %s", key, db_path,
		    db ? sqlite3_errmsg(db) : "cannot open");
	snprintf(out, LA_HASH_MAX, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
}

int64_t count_rows(const char *db_path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v = -1;
	int r = sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL);

	if (r == SQLITE_OK)
		r = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (r == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* "m=19456,t=2,p=1" out of "$argon2id$v=19$m=19456,t=2,p=1$salt$hash". */
void hash_params(const char *hash, int field, char *out, size_t len)
{
	const char *p = hash;

	for (int i = 0; i < field && p; i++)
		p = strchr(p + 1, '$');
	if (!p) {
		snprintf(out, len, "?");
		return;
	}
	p++;
	snprintf(out, len, "%.*s", (int)strcspn(p, "$"), p);
}

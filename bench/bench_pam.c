/*
 * bench_pam.c - PAM authentication and a login storm through
 * pam_luciaauth.so (SPEC 3 and 7).
 *
 * bench_pam --module PATH [--n N] [--warmup W] [--clients C] [--logins L]
 *           [--users U] [--hash-storm H] [--storm-mode M] [--hash-slots K]
 *           [--unix-user NAME | --unix-skip WHY] [--dir DIR] [--keep] [--json]
 * bench_pam --calibrate-yescrypt FILE [--json]
 *
 * The module is loaded the way sshd or login load it, by libpam from a
 * service file, but from a private directory: pam_start_confdir() (Linux-PAM
 * >= 1.4) with services written into a fresh temporary directory (mkdtemp
 * under DIR, $TMPDIR or /tmp; removed at the end unless --keep) that also
 * holds the state directory and the config file the module is pointed at:
 *
 *   auth     required PATH config=TMP/luciaauth.conf nodelay
 *   account  required PATH config=TMP/luciaauth.conf nodelay
 *   session  required PATH config=TMP/luciaauth.conf nodelay
 *
 * (nodelay only drops the 2 s delay after a failure; only successes are
 * timed).  The store keeps every default, in particular the password hash
 * cost (Argon2id m = 19456 KiB, t = 2, p = 1) and synchronous = NORMAL.
 * U users (pbuser000 ...) are created through libluciaauth.
 *
 * One client (N times each, interleaved, after W warm-up rounds; every call
 * on a fresh handle: pam_start_confdir, the call timed, pam_end):
 *   hash         la_verify_password on the stored hash of pbuser000, read
 *                from the database with the same parameters: the hash alone
 *   auth         pam_authenticate for pbuser000 through pam_luciaauth.so
 *   login        pam_authenticate + pam_open_session + pam_close_session
 *   unix_hash    crypt_rn on the yescrypt hash of NAME from /etc/shadow
 *   unix_auth    pam_authenticate for NAME through pam_unix.so (nodelay)
 * overhead = mean(auth) - mean(hash), the figure of SPEC 7 (target < 1 ms).
 * That difference of two ~20-40 ms means is noisy, so the split is also
 * measured inside each call: this program defines crypto_pwhash_str_verify
 * and crypt_r, which the module's and pam_unix's calls bind to (an
 * executable's definition comes first in the global scope), times them in
 * wall-clock and thread CPU time and forwards to libsodium's / libxcrypt's.
 *
 * pam_unix needs root (it reads /etc/shadow) and NAME in /etc/passwd and
 * /etc/shadow with the benchmark password; bench/run-pam.sh provides that
 * in a private mount namespace.  Without --unix-user the part is reported
 * as skipped (with WHY).
 *
 * Login storm: C clients, each with its own handles, take login numbers
 * 0..L-1 from a shared counter; login k is user k % U: pam_start_confdir,
 * pam_authenticate, pam_open_session, pam_close_session, pam_end.  The
 * clients are forked processes (as every sshd, login or su is its own
 * process) and/or threads of this process (--storm-mode).  Reports wall
 * time, logins/s, errors (any result other than PAM_SUCCESS), latency, CPU
 * time (all clients; in the hash) and throughput / (cores / hash time),
 * hash time being the one-client mean of "hash" and cores the CPUs this
 * process may run on (target >= 90 %); also the one-client hash CPU time /
 * the storm's CPU time per login (the share the storm would reach with the
 * cores to itself), and how much CPU other processes used meanwhile
 * (/proc/stat), which makes a throughput figure inconclusive.  Then H
 * hash-only verifications by C clients of the same kind (--hash-storm,
 * default L / 4; 0 = skip): what the cores give when nothing but the hash
 * runs, to tell the module's share of a shortfall from the machine's.
 * --hash-slots K adds one more storm in which the wrapper lets at most K
 * hashes run at a time (a process-shared semaphore): an experiment for a
 * limit the module could enforce.
 *
 * The modules log through pam_syslog only; this program defines it too and
 * copies the first lines to stderr before forwarding them.
 *
 * --calibrate-yescrypt FILE measures la_verify_password at the default
 * Argon2id cost and crypt_rn for yescrypt costs 1, 2, ... (crypt_gensalt_rn
 * "$y$"), picks the cost whose verification time is closest, and writes a
 * yescrypt hash of the benchmark password at that cost to FILE (mode 0600).
 *
 * Output: a human table (stderr with --json, stdout otherwise) and, with
 * --json, one JSON object per line on stdout.  Any unexpected result in the
 * one-client part aborts with a message and exit status 1; storm errors are
 * counted and reported (exit status 0: the report is the point); usage
 * errors exit 2.
 */
#include "config.h"

#include <crypt.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <shadow.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <sqlite3.h>

#include "luciaauth.h"

#define PROG	       "bench_pam"
#define IMPL	       "luciaauth-pam"
#define IMPL_UNIX      "pam_unix"
#define SERVICE	       "luciaauth"
#define SERVICE_UNIX   "unix"
#define USER_FMT       "pbuser%03zu"
#define BENCH_PASSWORD "correct horse battery staple"
#define RHOST	       "192.0.2.1" /* TEST-NET-1 */
#define TTY	       "ssh"
#define CAL_RUNS       5
#define MAX_ERR_SHOWN  5

static char g_dir[LA_PATH_MAX];
static bool g_keep;
static unsigned long g_mem_kib, g_ops; /* the store's default hash cost */

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

static void cleanup(void)
{
	if (!g_dir[0])
		return;
	if (g_keep)
		fprintf(stderr, PROG ": kept %s\n", g_dir);
	else if (nftw(g_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, PROG ": cannot remove %s: %s\n", g_dir, strerror(errno));
	g_dir[0] = '\0';
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
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

static void check(struct la_store *st, la_rc rc, const char *what)
{
	if (rc == LA_OK)
		return;
	die("%s: %s%s%s", what, la_strerror(rc), st && *la_store_errmsg(st) ? ": " : "",
	    st ? la_store_errmsg(st) : "");
}

static void usage(FILE *f, int code)
{
	fprintf(
	    f,
	    "usage: " PROG " --module PATH [--n N] [--warmup W] [--clients C] [--logins L]\n"
	    "                 [--users U] [--hash-storm H] [--storm-mode M] [--hash-slots K]\n"
	    "                 [--unix-user NAME | --unix-skip WHY] [--dir DIR] [--keep] [--json]\n"
	    "       " PROG " --calibrate-yescrypt FILE [--json]\n"
	    "  --module PATH   pam_luciaauth.so to load (absolute path)\n"
	    "  --n N           one-client rounds (default 50)\n"
	    "  --warmup W      warm-up rounds (default 3)\n"
	    "  --clients C     storm clients (default 32)\n"
	    "  --logins L      storm logins in all (default 1000; 0 = no storm)\n"
	    "  --users U       store users (default 32)\n"
	    "  --hash-storm H  hash-only verifications by C clients (default L/4; 0 = skip)\n"
	    "  --storm-mode M  clients are processes, threads or both (default both)\n"
	    "  --hash-slots K  then one more storm with at most K hashes at a time\n"
	    "                  (an experiment; default 0 = none)\n"
	    "  --unix-user NAME  also time pam_unix.so for NAME (root; its password must be\n"
	    "                  the benchmark's, see bench/run-pam.sh)\n"
	    "  --unix-skip WHY why there is no pam_unix part (reported)\n"
	    "  --dir DIR       where to create the temporary directory ($TMPDIR or /tmp)\n"
	    "  --keep          do not remove it\n"
	    "  --json          JSON lines on stdout, the table on stderr\n"
	    "  --calibrate-yescrypt FILE  pick the yescrypt cost closest to the default\n"
	    "                  Argon2id and write such a hash of the benchmark password to FILE\n");
	exit(code);
}

static size_t parse_count(const char *s, size_t min, size_t max, const char *opt)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || !end || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, PROG ": %s: not a count in %zu..%zu: %s\n", opt, min, max, s);
		usage(stderr, 2);
	}
	return (size_t)v;
}

/* ---- time ----------------------------------------------------------- */

static double clock_s(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) != 0)
		die("clock_gettime: %s", strerror(errno));
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double mono_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

static double thread_cpu_s(void)
{
	return clock_s(CLOCK_THREAD_CPUTIME_ID);
}

/* ---- what the modules log ------------------------------------------ */

/* The modules log with pam_syslog only, and this machine may have no
 * syslog daemon: the first lines are copied to stderr, then forwarded. */
typedef void (*vsyslog_fn)(const pam_handle_t *, int, const char *, va_list);
static vsyslog_fn g_real_pam_vsyslog;
static atomic_uint g_syslog_lines;
static bool g_syslog_quiet; /* during the deliberate wrong-password check */
#define SYSLOG_SHOWN 20

void pam_syslog(const pam_handle_t *pamh, int priority, const char *fmt, ...)
{
	va_list ap;

	if (!g_syslog_quiet && atomic_fetch_add(&g_syslog_lines, 1) < SYSLOG_SHOWN) {
		char line[512];

		va_start(ap, fmt);
		vsnprintf(line, sizeof(line), fmt, ap);
		va_end(ap);
		fprintf(stderr, PROG ": pam_syslog(%d): %s\n", priority, line);
	}
	if (g_real_pam_vsyslog) {
		va_start(ap, fmt);
		g_real_pam_vsyslog(pamh, priority, fmt, ap);
		va_end(ap);
	}
}

/* ---- the hash inside the modules ------------------------------------ */

/* Time spent in the interposed hash functions by the calling thread. */
struct hash_acc {
	double wall, cpu;
	unsigned long n;
};

static _Thread_local struct hash_acc t_argon, t_crypt;

/* libsodium's prototype, without pulling in <sodium.h>. */
int crypto_pwhash_str_verify(const char *str, const char *passwd, unsigned long long passwdlen);
typedef int (*verify_fn)(const char *, const char *, unsigned long long);
typedef char *(*crypt_r_fn)(const char *, const char *, struct crypt_data *);

/* The experiment of --hash-slots: at most K hashes at a time, as a module
 * could enforce with K lock files in its state directory. */
static sem_t *g_hash_slots;

/* Resolved once in main(), before any thread starts. */
static verify_fn g_real_verify;
static crypt_r_fn g_real_crypt_r;

static void resolve_real(void)
{
	g_real_verify = (verify_fn)dlsym(RTLD_NEXT, "crypto_pwhash_str_verify");
	if (!g_real_verify)
		die("crypto_pwhash_str_verify: libsodium's definition not found: %s", dlerror());
	g_real_pam_vsyslog = (vsyslog_fn)dlsym(RTLD_NEXT, "pam_vsyslog");
	g_real_crypt_r = (crypt_r_fn)dlsym(RTLD_NEXT, "crypt_r");
	if (!g_real_crypt_r)
		die("crypt_r: libxcrypt's definition not found: %s", dlerror());
}

int crypto_pwhash_str_verify(const char *str, const char *passwd, unsigned long long passwdlen)
{
	sem_t *slots = g_hash_slots;
	double w0, c0;
	int r;

	if (slots)
		while (sem_wait(slots) != 0 && errno == EINTR)
			;
	w0 = mono_s();
	c0 = thread_cpu_s();
	r = g_real_verify(str, passwd, passwdlen);
	t_argon.cpu += thread_cpu_s() - c0;
	t_argon.wall += mono_s() - w0;
	t_argon.n++;
	if (slots)
		sem_post(slots);
	return r;
}

/* pam_unix verifies with crypt_r. */
char *crypt_r(const char *phrase, const char *setting, struct crypt_data *data)
{
	double w0 = mono_s(), c0 = thread_cpu_s();
	char *r = g_real_crypt_r(phrase, setting, data);

	t_crypt.cpu += thread_cpu_s() - c0;
	t_crypt.wall += mono_s() - w0;
	t_crypt.n++;
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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct dist {
	size_t n;
	double mean, p50, p99, min, max; /* microseconds */
};

/* Nearest-rank percentiles of v[0..n) (seconds) in microseconds. */
static struct dist distribution(const double *v, size_t n)
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

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void write_file(const char *path, mode_t mode, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void write_file(const char *path, mode_t mode, const char *fmt, ...)
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
static void plain_path(const char *p)
{
	for (; *p; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '#' || *p == '[')
			die("paths with blanks, '#' or '[' cannot go into a PAM service file");
}

static void make_dir(const char *base)
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

static unsigned online_cores(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

/* JSON string body: the few strings here are ours or PAM's messages. */
static void json_str(FILE *f, const char *s)
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

/* ---- PAM ------------------------------------------------------------ */

/* Answers every no-echo prompt with the password in appdata. */
static int conv(int num_msg, const struct pam_message **msg, struct pam_response **resp,
		void *appdata)
{
	struct pam_response *r;

	if (num_msg <= 0 || num_msg > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	r = calloc((size_t)num_msg, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < num_msg; i++) {
		if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF)
			continue; /* info and error messages need no answer */
		r[i].resp = strdup(appdata);
		if (!r[i].resp) {
			for (int j = 0; j < i; j++)
				free(r[j].resp);
			free(r);
			return PAM_BUF_ERR;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

static const struct pam_conv g_conv = {conv, (void *)(uintptr_t)BENCH_PASSWORD};

struct pam_ctx {
	const char *confdir;
	const char *service;
};

/* pam_start_confdir with the items sshd sets; NULL and *rc on failure. */
static pam_handle_t *start(const struct pam_ctx *p, const char *user, int *rc)
{
	pam_handle_t *ph = NULL;

	*rc = pam_start_confdir(p->service, user, &g_conv, p->confdir, &ph);
	if (*rc == PAM_SUCCESS)
		*rc = pam_set_item(ph, PAM_RHOST, RHOST);
	if (*rc == PAM_SUCCESS)
		*rc = pam_set_item(ph, PAM_TTY, TTY);
	if (*rc != PAM_SUCCESS && ph) {
		pam_end(ph, *rc);
		ph = NULL;
	}
	return ph;
}

static void pam_check(pam_handle_t *ph, int rc, int want, const char *what, const char *user)
{
	if (rc != want)
		die("%s for %s: %s (%d), expected %s", what, user,
		    ph ? pam_strerror(ph, rc) : "pam_start failed", rc,
		    want == PAM_SUCCESS ? "success" : "a refusal");
}

/* One timed call; out: wall, thread CPU, and the hash's share of both. */
struct sample {
	double wall, cpu, hash_wall, hash_cpu;
	unsigned long hash_n;
};

enum call { CALL_AUTH, CALL_OPEN, CALL_CLOSE };

static int do_call(pam_handle_t *ph, enum call c)
{
	switch (c) {
	case CALL_AUTH:
		return pam_authenticate(ph, 0);
	case CALL_OPEN:
		return pam_open_session(ph, 0);
	case CALL_CLOSE:
		return pam_close_session(ph, 0);
	default:
		return PAM_SYSTEM_ERR;
	}
}

static int timed(pam_handle_t *ph, enum call c, struct hash_acc *acc, struct sample *s)
{
	struct hash_acc h0 = *acc;
	double w0 = mono_s(), c0 = thread_cpu_s();
	int rc = do_call(ph, c);

	s->cpu = thread_cpu_s() - c0;
	s->wall = mono_s() - w0;
	s->hash_wall = acc->wall - h0.wall;
	s->hash_cpu = acc->cpu - h0.cpu;
	s->hash_n = acc->n - h0.n;
	return rc;
}

/* ---- one-client measurements ---------------------------------------- */

/* Per-sample series of one operation. */
struct series {
	size_t n;
	double *wall, *cpu, *nonhash_wall, *nonhash_cpu;
	unsigned long hash_n; /* calls of the interposed hash, in all */
	bool split;	      /* every call went through the interposed hash */
};

static void series_init(struct series *s, size_t cap)
{
	memset(s, 0, sizeof(*s));
	s->wall = xcalloc(cap, sizeof(double));
	s->cpu = xcalloc(cap, sizeof(double));
	s->nonhash_wall = xcalloc(cap, sizeof(double));
	s->nonhash_cpu = xcalloc(cap, sizeof(double));
	s->split = true;
}

static void series_add(struct series *s, const struct sample *x, unsigned long want_hash_n)
{
	s->wall[s->n] = x->wall;
	s->cpu[s->n] = x->cpu;
	s->nonhash_wall[s->n] = x->wall - x->hash_wall;
	s->nonhash_cpu[s->n] = x->cpu - x->hash_cpu;
	/* Split: the hash came through the wrapper (pam_unix may call it more
	 * than once: "non-hash" is then the time outside all those calls). */
	if ((x->hash_n == 0) != (want_hash_n == 0))
		s->split = false;
	s->hash_n += x->hash_n;
	s->n++;
}

static void series_free(struct series *s)
{
	free(s->wall);
	free(s->cpu);
	free(s->nonhash_wall);
	free(s->nonhash_cpu);
}

/* The stored hash of key, straight from the master database. */
static void stored_hash(const char *db_path, const char *key, char out[LA_HASH_MAX])
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

static int64_t count_rows(const char *db_path, const char *sql)
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
static void hash_params(const char *hash, int field, char *out, size_t len)
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

struct one_client {
	struct series hash, auth, unix_hash, unix_auth;
	struct series login, l_auth, l_open, l_close;
	char argon_params[64], unix_params[64];
	bool unix_on;
};

static double hash_alone(const char *hash, double *cpu)
{
	bool rehash = true;
	double t0 = mono_s(), c0 = thread_cpu_s();
	la_rc rc = la_verify_password(BENCH_PASSWORD, hash, g_mem_kib, g_ops, &rehash);
	double t = mono_s() - t0;

	if (cpu)
		*cpu = thread_cpu_s() - c0;
	check(NULL, rc, "la_verify_password");
	if (rehash)
		die("la_verify_password: the stored hash is not at the default cost");
	return t;
}

static double crypt_alone(const char *hash, double *cpu)
{
	struct crypt_data *cd = xcalloc(1, sizeof(*cd));
	double t0 = mono_s(), c0 = thread_cpu_s();
	const char *r = crypt_rn(BENCH_PASSWORD, hash, cd, (int)sizeof(*cd));
	double t = mono_s() - t0;

	if (cpu)
		*cpu = thread_cpu_s() - c0;
	if (!r || strcmp(r, hash) != 0)
		die("crypt_rn: the benchmark password does not match the shadow hash");
	free(cd);
	return t;
}

static void one_auth(const struct pam_ctx *p, const char *user, struct hash_acc *acc,
		     struct series *s)
{
	struct sample x;
	int rc;
	pam_handle_t *ph = start(p, user, &rc);

	pam_check(ph, rc, PAM_SUCCESS, "pam_start_confdir", user);
	rc = timed(ph, CALL_AUTH, acc, &x);
	pam_check(ph, rc, PAM_SUCCESS, "pam_authenticate", user);
	pam_end(ph, rc);
	if (s)
		series_add(s, &x, 1);
}

static void one_login(const struct pam_ctx *p, const char *user, struct one_client *o)
{
	struct sample a, op, cl, t;
	int rc;
	pam_handle_t *ph = start(p, user, &rc);

	pam_check(ph, rc, PAM_SUCCESS, "pam_start_confdir", user);
	rc = timed(ph, CALL_AUTH, &t_argon, &a);
	pam_check(ph, rc, PAM_SUCCESS, "pam_authenticate", user);
	rc = timed(ph, CALL_OPEN, &t_argon, &op);
	pam_check(ph, rc, PAM_SUCCESS, "pam_open_session", user);
	if (!pam_getenv(ph, "LUCIAAUTH_SESSION"))
		die("pam_open_session for %s: no LUCIAAUTH_SESSION in the PAM environment", user);
	rc = timed(ph, CALL_CLOSE, &t_argon, &cl);
	pam_check(ph, rc, PAM_SUCCESS, "pam_close_session", user);
	pam_end(ph, rc);
	t.wall = a.wall + op.wall + cl.wall;
	t.cpu = a.cpu + op.cpu + cl.cpu;
	t.hash_wall = a.hash_wall + op.hash_wall + cl.hash_wall;
	t.hash_cpu = a.hash_cpu + op.hash_cpu + cl.hash_cpu;
	t.hash_n = a.hash_n + op.hash_n + cl.hash_n;
	series_add(&o->login, &t, 1);
	series_add(&o->l_auth, &a, 1);
	series_add(&o->l_open, &op, 0);
	series_add(&o->l_close, &cl, 0);
}

/* A wrong password must be refused: proof that the timed path checks it. */
static void negative_check(const struct pam_ctx *p, const char *user)
{
	static const struct pam_conv wrong = {conv, (void *)(uintptr_t) "not the password"};
	pam_handle_t *ph = NULL;
	int rc = pam_start_confdir(p->service, user, &wrong, p->confdir, &ph);

	pam_check(ph, rc, PAM_SUCCESS, "pam_start_confdir", user);
	g_syslog_quiet = true; /* its "authentication failure" line is expected */
	rc = pam_authenticate(ph, 0);
	g_syslog_quiet = false;
	pam_check(ph, rc, PAM_AUTH_ERR, "pam_authenticate with a wrong password", user);
	pam_end(ph, rc);
}

static void run_one_client(const struct pam_ctx *lp, const struct pam_ctx *up, const char *user,
			   const char *unix_user, const char *argon_hash, const char *unix_hash,
			   size_t n, size_t warmup, struct one_client *o)
{
	size_t cap = n + 1;

	series_init(&o->hash, cap);
	series_init(&o->auth, cap);
	series_init(&o->login, cap);
	series_init(&o->l_auth, cap);
	series_init(&o->l_open, cap);
	series_init(&o->l_close, cap);
	series_init(&o->unix_hash, cap);
	series_init(&o->unix_auth, cap);
	o->unix_on = unix_user != NULL;

	negative_check(lp, user);
	if (o->unix_on)
		negative_check(up, unix_user);
	for (size_t i = 0; i < warmup; i++) {
		(void)hash_alone(argon_hash, NULL);
		one_auth(lp, user, &t_argon, NULL);
		if (o->unix_on) {
			(void)crypt_alone(unix_hash, NULL);
			one_auth(up, unix_user, &t_crypt, NULL);
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct sample x = {0};

		x.wall = hash_alone(argon_hash, &x.cpu);
		series_add(&o->hash, &x, 0);
		one_auth(lp, user, &t_argon, &o->auth);
		if (o->unix_on) {
			x.wall = crypt_alone(unix_hash, &x.cpu);
			series_add(&o->unix_hash, &x, 0);
			one_auth(up, unix_user, &t_crypt, &o->unix_auth);
		}
		one_login(lp, user, o);
	}
	/* Nothing to split in the hash alone. */
	o->hash.split = o->unix_hash.split = false;
}

/* ---- login storm ---------------------------------------------------- */

enum stage { ST_START, ST_AUTH, ST_OPEN, ST_CLOSE, ST_MAX };
static const char *const stage_names[ST_MAX] = {"pam_start", "pam_authenticate", "pam_open_session",
						"pam_close_session"};

enum storm_mode { MODE_PROCESSES, MODE_THREADS };
static const char *const mode_names[] = {"processes", "threads"};

/* What every worker reports. */
struct wstat {
	double cpu, hash_cpu, hash_wall;
	unsigned long hash_n;
};

/* Shared by the workers: MAP_SHARED, so that forked children write here too. */
struct storm {
	const struct pam_ctx *p;
	size_t logins, users;
	const char *hash; /* non-NULL: the hash-only run */
	atomic_size_t next;
	atomic_size_t errors[ST_MAX];
	atomic_size_t n_shown;
	char shown[MAX_ERR_SHOWN][160];
	pthread_barrier_t barrier; /* threads */
	int start_fd;		   /* processes: read end of the start pipe */
	sem_t slots;		   /* --hash-slots */
	struct wstat *w;	   /* [clients] */
	double *latency;	   /* [logins], seconds */
};

static void storm_error(struct storm *s, enum stage st, const char *user, pam_handle_t *ph, int rc)
{
	size_t i;

	atomic_fetch_add(&s->errors[st], 1);
	i = atomic_fetch_add(&s->n_shown, 1);
	if (i < MAX_ERR_SHOWN)
		snprintf(s->shown[i], sizeof(s->shown[0]), "%s %s: %s (%d)", stage_names[st], user,
			 ph ? pam_strerror(ph, rc) : "no handle", rc);
}

static void storm_login(struct storm *s, size_t k)
{
	char user[LA_NAME_MAX + 1];
	pam_handle_t *ph;
	int rc;
	double t0 = mono_s();

	snprintf(user, sizeof(user), USER_FMT, k % s->users);
	ph = start(s->p, user, &rc);
	if (!ph) {
		storm_error(s, ST_START, user, ph, rc);
		s->latency[k] = mono_s() - t0;
		return;
	}
	rc = pam_authenticate(ph, 0);
	if (rc != PAM_SUCCESS)
		storm_error(s, ST_AUTH, user, ph, rc);
	else if ((rc = pam_open_session(ph, 0)) != PAM_SUCCESS)
		storm_error(s, ST_OPEN, user, ph, rc);
	else if ((rc = pam_close_session(ph, 0)) != PAM_SUCCESS)
		storm_error(s, ST_CLOSE, user, ph, rc);
	pam_end(ph, rc);
	s->latency[k] = mono_s() - t0;
}

static void storm_work(struct storm *s, size_t idx)
{
	struct hash_acc h0 = t_argon; /* a forked child inherits the parent's */
	double c0 = thread_cpu_s();
	size_t k;

	while ((k = atomic_fetch_add(&s->next, 1)) < s->logins) {
		if (s->hash) {
			double t0 = mono_s();
			la_rc rc =
			    la_verify_password(BENCH_PASSWORD, s->hash, g_mem_kib, g_ops, NULL);

			if (rc != LA_OK)
				storm_error(s, ST_AUTH, "la_verify_password", NULL, (int)rc);
			s->latency[k] = mono_s() - t0;
		} else {
			storm_login(s, k);
		}
	}
	s->w[idx].cpu = thread_cpu_s() - c0;
	s->w[idx].hash_cpu = t_argon.cpu - h0.cpu;
	s->w[idx].hash_wall = t_argon.wall - h0.wall;
	s->w[idx].hash_n = t_argon.n - h0.n;
}

struct thread_arg {
	struct storm *s;
	size_t idx;
};

static void *storm_thread(void *arg)
{
	struct thread_arg *a = arg;

	pthread_barrier_wait(&a->s->barrier);
	storm_work(a->s, a->idx);
	return NULL;
}

struct storm_result {
	enum storm_mode mode;
	bool hash_only;
	unsigned hash_slots;
	double ceiling_per_s;		 /* the hash-only storm of the same mode */
	int64_t sessions_left, failures; /* in the store afterwards */
	size_t clients, logins, users;
	double wall_s, per_s;
	size_t errors, errors_by[ST_MAX];
	char shown[MAX_ERR_SHOWN][160];
	size_t n_shown;
	struct dist latency;
	double cpu_s, hash_cpu_s, rusage_user_s, rusage_sys_s;
	unsigned long hash_n;
	long vol_cs, invol_cs;
	bool machine;		      /* the next two are known */
	double other_busy_s, steal_s; /* other processes' CPU, hypervisor steal */
};

/* Busy and steal seconds of the whole machine so far (/proc/stat), to tell
 * how much else ran during a storm; false if unavailable. */
static bool machine_cpu(double *busy_s, double *steal_s)
{
	unsigned long long v[8] = {0};
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "re");
	int got;

	if (!f)
		return false;
	got = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		     &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (got != 8 || hz <= 0)
		return false;
	/* user nice system idle iowait irq softirq steal */
	*busy_s = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / (double)hz;
	*steal_s = (double)v[7] / (double)hz;
	return true;
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void *shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap %zu bytes: %s", size, strerror(errno));
	return p;
}

static void start_threads(struct storm *s, size_t clients, struct rusage *r0, double *t0)
{
	pthread_t *th = xcalloc(clients, sizeof(*th));
	struct thread_arg *args = xcalloc(clients, sizeof(*args));
	int e;

	if (pthread_barrier_init(&s->barrier, NULL, (unsigned)clients + 1) != 0)
		die("pthread_barrier_init failed");
	for (size_t i = 0; i < clients; i++) {
		args[i] = (struct thread_arg){s, i};
		if ((e = pthread_create(&th[i], NULL, storm_thread, &args[i])) != 0)
			die("pthread_create: %s", strerror(e));
	}
	getrusage(RUSAGE_SELF, r0);
	pthread_barrier_wait(&s->barrier);
	*t0 = mono_s();
	for (size_t i = 0; i < clients; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&s->barrier);
	free(args);
	free(th);
}

static void start_processes(struct storm *s, size_t clients, struct rusage *r0, double *t0)
{
	pid_t *pids = xcalloc(clients, sizeof(*pids));
	int go[2], status;
	char c;

	if (pipe2(go, O_CLOEXEC) != 0)
		die("pipe: %s", strerror(errno));
	fflush(NULL);
	for (size_t i = 0; i < clients; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork: %s", strerror(errno));
		if (pids[i] == 0) {
			g_dir[0] = '\0'; /* the parent cleans up, whatever happens here */
			close(go[1]);
			/* Released when the parent closes its end. */
			while (read(go[0], &c, 1) < 0 && errno == EINTR)
				;
			storm_work(s, i);
			_exit(0);
		}
	}
	close(go[0]);
	getrusage(RUSAGE_CHILDREN, r0);
	*t0 = mono_s();
	close(go[1]);
	for (size_t i = 0; i < clients; i++) {
		if (waitpid(pids[i], &status, 0) != pids[i])
			die("waitpid: %s", strerror(errno));
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			die("storm worker %zu died (status %d)", i, status);
	}
	free(pids);
}

static void run_storm(const struct pam_ctx *p, enum storm_mode mode, size_t clients, size_t logins,
		      size_t users, const char *hash_only, unsigned slots, struct storm_result *out)
{
	size_t size =
	    sizeof(struct storm) + clients * sizeof(struct wstat) + logins * sizeof(double);
	struct storm *s = shared_alloc(size);
	struct rusage r0, r1;
	double t0 = 0, wall, busy0 = 0, steal0 = 0, busy1 = 0, steal1 = 0;
	bool machine = machine_cpu(&busy0, &steal0);

	memset(s, 0, sizeof(*s));
	s->p = p;
	s->logins = logins;
	s->users = users;
	s->hash = hash_only;
	s->w = (struct wstat *)(s + 1);
	s->latency = (double *)(s->w + clients);
	atomic_init(&s->next, 0);
	atomic_init(&s->n_shown, 0);
	for (int i = 0; i < ST_MAX; i++)
		atomic_init(&s->errors[i], 0);
	if (slots) {
		if (sem_init(&s->slots, 1, slots) != 0)
			die("sem_init: %s", strerror(errno));
		g_hash_slots = &s->slots;
	}
	if (mode == MODE_THREADS)
		start_threads(s, clients, &r0, &t0);
	else
		start_processes(s, clients, &r0, &t0);
	wall = mono_s() - t0;
	getrusage(mode == MODE_THREADS ? RUSAGE_SELF : RUSAGE_CHILDREN, &r1);
	machine = machine && machine_cpu(&busy1, &steal1);
	g_hash_slots = NULL;
	if (slots)
		sem_destroy(&s->slots);

	memset(out, 0, sizeof(*out));
	out->wall_s = wall;
	out->mode = mode;
	out->hash_only = hash_only != NULL;
	out->hash_slots = slots;
	out->clients = clients;
	out->logins = logins;
	out->users = users;
	out->per_s = (double)logins / out->wall_s;
	for (int i = 0; i < ST_MAX; i++) {
		out->errors_by[i] = atomic_load(&s->errors[i]);
		out->errors += out->errors_by[i];
	}
	out->n_shown = atomic_load(&s->n_shown);
	if (out->n_shown > MAX_ERR_SHOWN)
		out->n_shown = MAX_ERR_SHOWN;
	memcpy(out->shown, s->shown, sizeof(s->shown));
	out->latency = distribution(s->latency, logins);
	for (size_t i = 0; i < clients; i++) {
		out->cpu_s += s->w[i].cpu;
		out->hash_cpu_s += s->w[i].hash_cpu;
		out->hash_n += s->w[i].hash_n;
	}
	out->rusage_user_s = tv_s(r1.ru_utime) - tv_s(r0.ru_utime);
	out->rusage_sys_s = tv_s(r1.ru_stime) - tv_s(r0.ru_stime);
	out->vol_cs = r1.ru_nvcsw - r0.ru_nvcsw;
	out->invol_cs = r1.ru_nivcsw - r0.ru_nivcsw;
	out->machine = machine;
	if (machine) {
		out->other_busy_s = busy1 - busy0 - out->rusage_user_s - out->rusage_sys_s;
		if (out->other_busy_s < 0)
			out->other_busy_s = 0;
		out->steal_s = steal1 - steal0;
	}
	munmap(s, size);
}

/* ---- yescrypt calibration -------------------------------------------- */

static int calibrate_yescrypt(const char *out_path, bool json)
{
	char argon[LA_HASH_MAX], best_hash[CRYPT_OUTPUT_SIZE] = "", params[64];
	double v[CAL_RUNS], target, best_ratio = 1e300;
	unsigned long best = 0;
	struct crypt_data *cd = xcalloc(1, sizeof(*cd));
	FILE *tf = json ? stderr : stdout;

	check(NULL, la_hash_password(BENCH_PASSWORD, g_mem_kib, g_ops, argon), "la_hash_password");
	(void)hash_alone(argon, NULL);
	for (size_t i = 0; i < CAL_RUNS; i++)
		v[i] = hash_alone(argon, NULL);
	target = median(v, CAL_RUNS);
	hash_params(argon, 2, params, sizeof(params));
	fprintf(tf, "yescrypt calibration: la_verify_password (argon2id %s) median %.2f ms\n",
		params, target * 1e3);
	if (json)
		printf("{\"impl\":\"" IMPL "\",\"op\":\"calibrate_argon2id\",\"us\":%.1f,"
		       "\"hash\":\"argon2id %s\",\"n\":%d}\n",
		       target * 1e6, params, CAL_RUNS);
	for (unsigned long count = 1; count <= 11; count++) {
		char setting[CRYPT_GENSALT_OUTPUT_SIZE], hash[CRYPT_OUTPUT_SIZE];
		double t, ratio;

		if (!crypt_gensalt_rn("$y$", count, NULL, 0, setting, (int)sizeof(setting)))
			die("crypt_gensalt_rn $y$ count %lu: %s", count, strerror(errno));
		memset(cd, 0, sizeof(*cd));
		if (!crypt_rn(BENCH_PASSWORD, setting, cd, (int)sizeof(*cd)) ||
		    cd->output[0] == '*')
			die("crypt_rn with %s failed", setting);
		snprintf(hash, sizeof(hash), "%s", cd->output);
		(void)crypt_alone(hash, NULL);
		for (size_t i = 0; i < CAL_RUNS; i++)
			v[i] = crypt_alone(hash, NULL);
		t = median(v, CAL_RUNS);
		ratio = t > target ? t / target : target / t;
		hash_params(hash, 1, params, sizeof(params));
		fprintf(tf, "  yescrypt cost %2lu ($y$%s): %8.2f ms (%.2fx)\n", count, params,
			t * 1e3, t / target);
		if (json)
			printf("{\"impl\":\"yescrypt\",\"op\":\"calibrate\",\"count\":%lu,"
			       "\"params\":\"%s\",\"us\":%.1f,\"ratio\":%.3f,\"n\":%d}\n",
			       count, params, t * 1e6, t / target, CAL_RUNS);
		if (ratio < best_ratio) {
			best_ratio = ratio;
			best = count;
			snprintf(best_hash, sizeof(best_hash), "%s", hash);
		}
		if (t > 2 * target)
			break;
	}
	free(cd);
	hash_params(best_hash, 1, params, sizeof(params));
	fprintf(tf, "  picked cost %lu ($y$%s)\n", best, params);
	if (json)
		printf("{\"impl\":\"yescrypt\",\"op\":\"calibrate_pick\",\"count\":%lu,"
		       "\"params\":\"%s\"}\n",
		       best, params);
	write_file(out_path, 0600, "%s\n", best_hash);
	explicit_bzero(best_hash, sizeof(best_hash));
	if (fflush(stdout) != 0 || ferror(stdout))
		die("writing the results: %s", strerror(errno));
	return 0;
}

/* ---- output --------------------------------------------------------- */

static void json_series(const char *impl, const char *op, const struct series *s, const char *hash,
			const char *extra)
{
	struct dist w = distribution(s->wall, s->n), c = distribution(s->cpu, s->n);

	printf("{\"impl\":\"%s\",\"op\":\"%s\",\"n\":%zu,\"mean_us\":%.1f,\"p50_us\":%.1f,"
	       "\"p99_us\":%.1f,\"min_us\":%.1f,\"max_us\":%.1f,\"cpu_us\":%.1f,"
	       "\"hash_calls_per_op\":%.2f",
	       impl, op, s->n, w.mean, w.p50, w.p99, w.min, w.max, c.mean,
	       (double)s->hash_n / (double)s->n);
	if (s->split) {
		struct dist nw = distribution(s->nonhash_wall, s->n);
		struct dist nc = distribution(s->nonhash_cpu, s->n);

		printf(",\"nonhash_us\":%.1f,\"nonhash_p50_us\":%.1f,\"nonhash_p99_us\":%.1f,"
		       "\"nonhash_cpu_us\":%.1f",
		       nw.mean, nw.p50, nw.p99, nc.mean);
	}
	if (hash)
		printf(",\"hash\":\"%s\"", hash);
	printf("%s}\n", extra ? extra : "");
}

static void row(FILE *f, const char *label, const struct series *s)
{
	struct dist w = distribution(s->wall, s->n), c = distribution(s->cpu, s->n);

	fprintf(f, "  %-36s %9.3f %9.3f %9.3f %9.3f\n", label, w.mean / 1e3, w.p50 / 1e3,
		w.p99 / 1e3, c.mean / 1e3);
}

static void row_nonhash(FILE *f, const char *label, const struct series *s)
{
	struct dist w, c;

	if (!s->split) {
		fprintf(f, "  %-36s %9s\n", label, "unavailable");
		return;
	}
	w = distribution(s->nonhash_wall, s->n);
	c = distribution(s->nonhash_cpu, s->n);
	fprintf(f, "  %-36s %9.3f %9.3f %9.3f %9.3f\n", label, w.mean / 1e3, w.p50 / 1e3,
		w.p99 / 1e3, c.mean / 1e3);
}

static double series_mean(const struct series *s)
{
	return distribution(s->wall, s->n).mean;
}

static void print_one_client(FILE *f, const struct one_client *o, const char *unix_skip)
{
	double ovh = series_mean(&o->auth) - series_mean(&o->hash);

	fprintf(f, "\nOne client, %zu rounds, each call on a fresh pam_start_confdir handle\n",
		o->auth.n);
	fprintf(f, "  %-36s %9s %9s %9s %9s\n", "milliseconds", "mean", "p50", "p99", "cpu");
	fprintf(f, "luciaauth (argon2id %s):\n", o->argon_params);
	row(f, "pam_authenticate", &o->auth);
	row(f, "hash alone (la_verify_password)", &o->hash);
	fprintf(f, "  %-36s %9.3f   target < 1 ms: %s\n", "overhead = auth - hash", ovh / 1e3,
		ovh < 1000 ? "PASS" : "MISS");
	row_nonhash(f, "non-hash part, inside each call", &o->auth);
	fprintf(f, "  %-36s %9.2f\n", "hash calls per pam_authenticate",
		(double)o->auth.hash_n / (double)o->auth.n);
	row(f, "login: auth + open + close", &o->login);
	row_nonhash(f, "  non-hash part of the login", &o->login);
	row(f, "  pam_authenticate", &o->l_auth);
	row(f, "  pam_open_session", &o->l_open);
	row(f, "  pam_close_session", &o->l_close);
	if (o->unix_on) {
		double uovh = series_mean(&o->unix_auth) - series_mean(&o->unix_hash);

		fprintf(f, "pam_unix (yescrypt %s):\n", o->unix_params);
		row(f, "pam_authenticate", &o->unix_auth);
		row(f, "hash alone (crypt_rn)", &o->unix_hash);
		fprintf(f, "  %-36s %9.3f\n", "overhead = auth - hash", uovh / 1e3);
		row_nonhash(f, "non-hash part, inside each call", &o->unix_auth);
		fprintf(f, "  %-36s %9.2f\n", "crypt_r calls per pam_authenticate",
			(double)o->unix_auth.hash_n / (double)o->unix_auth.n);
	} else {
		fprintf(f, "pam_unix: skipped (%s)\n", unix_skip);
	}
}

static void json_one_client(const struct one_client *o, const char *unix_skip)
{
	char h[96], extra[160];
	double ovh = series_mean(&o->auth) - series_mean(&o->hash);

	snprintf(h, sizeof(h), "argon2id %s", o->argon_params);
	json_series(IMPL, "auth", &o->auth, h, NULL);
	json_series(IMPL, "hash", &o->hash, h, NULL);
	printf("{\"impl\":\"" IMPL "\",\"op\":\"overhead\",\"us\":%.1f,\"target_us\":1000,"
	       "\"pass\":%s,\"hash\":\"%s\"}\n",
	       ovh, ovh < 1000 ? "true" : "false", h);
	json_series(IMPL, "login", &o->login, h, NULL);
	json_series(IMPL, "login_auth", &o->l_auth, h, NULL);
	json_series(IMPL, "login_open_session", &o->l_open, NULL, NULL);
	json_series(IMPL, "login_close_session", &o->l_close, NULL, NULL);
	if (o->unix_on) {
		double uovh = series_mean(&o->unix_auth) - series_mean(&o->unix_hash);

		snprintf(h, sizeof(h), "yescrypt %s", o->unix_params);
		json_series(IMPL_UNIX, "auth", &o->unix_auth, h, NULL);
		json_series(IMPL_UNIX, "hash", &o->unix_hash, h, NULL);
		snprintf(extra, sizeof(extra), ",\"vs_luciaauth_auth\":%.3f",
			 series_mean(&o->unix_auth) / series_mean(&o->auth));
		printf("{\"impl\":\"" IMPL_UNIX "\",\"op\":\"overhead\",\"us\":%.1f,\"hash\":\"%s\""
		       "%s}\n",
		       uovh, h, extra);
	} else {
		printf("{\"impl\":\"" IMPL_UNIX "\",\"op\":\"skipped\",\"reason\":");
		json_str(stdout, unix_skip);
		printf("}\n");
	}
}

/* CPU seconds (user + sys, every client) per login or verification. */
static double cpu_per_op(const struct storm_result *r)
{
	return (r->rusage_user_s + r->rusage_sys_s) / (double)r->logins;
}

static void print_storm(FILE *f, const struct storm_result *r, unsigned cores, double hash_s,
			double hash_cpu_s)
{
	double ideal = (double)cores / hash_s, frac = r->per_s / ideal;
	bool logins = !r->hash_only;

	fprintf(f, "\n%s (%s",
		logins ? "Login storm" : "Hash-only storm (la_verify_password, no PAM)",
		mode_names[r->mode]);
	if (r->hash_slots)
		fprintf(f, ", at most %u hashes at a time", r->hash_slots);
	fprintf(f, "): %zu clients, %zu %s", r->clients, r->logins,
		logins ? "logins (auth + open_session + close_session)" : "verifications");
	if (logins)
		fprintf(f, ", %zu users", r->users);
	fprintf(f, "\n  wall %.2f s, %.1f /s, errors %zu", r->wall_s, r->per_s, r->errors);
	if (logins)
		fprintf(f, " (target 0: %s)", r->errors ? "MISS" : "PASS");
	fprintf(f, "\n  cores / hash time = %u / %.2f ms = %.1f /s; throughput = %.1f %%", cores,
		hash_s * 1e3, ideal, frac * 100);
	if (logins)
		fprintf(f, " (target >= 90 %%: %s)", frac >= 0.9 ? "PASS" : "MISS");
	if (logins && r->ceiling_per_s > 0)
		fprintf(f, "\n  vs the hash-only storm in the same mode (%.1f /s): %.1f %%",
			r->ceiling_per_s, r->per_s / r->ceiling_per_s * 100);
	fprintf(f,
		"\n  CPU per %s %.2f ms: one-client hash CPU %.2f ms / that = %.1f %% (the share "
		"of ideal with the cores to ourselves)",
		logins ? "login" : "verification", cpu_per_op(r) * 1e3, hash_cpu_s * 1e3,
		hash_cpu_s / cpu_per_op(r) * 100);
	fprintf(f, "\n  latency ms: mean %.1f, p50 %.1f, p99 %.1f, max %.1f\n",
		r->latency.mean / 1e3, r->latency.p50 / 1e3, r->latency.p99 / 1e3,
		r->latency.max / 1e3);
	fprintf(f,
		"  CPU: user %.2f s + sys %.2f s (%.0f %% of %u cores x wall); in the hash "
		"%.2f s (%lu calls, %.2f ms CPU each)",
		r->rusage_user_s, r->rusage_sys_s,
		(r->rusage_user_s + r->rusage_sys_s) / (r->wall_s * cores) * 100, cores,
		r->hash_cpu_s, r->hash_n,
		r->hash_n ? r->hash_cpu_s / (double)r->hash_n * 1e3 : 0.0);
	if (logins)
		fprintf(f, ", the rest %.2f ms CPU per login",
			(r->rusage_user_s + r->rusage_sys_s - r->hash_cpu_s) / (double)r->logins *
			    1e3);
	fprintf(f, "\n  context switches: %ld voluntary, %ld involuntary\n", r->vol_cs,
		r->invol_cs);
	if (r->machine)
		fprintf(f,
			"  meanwhile other processes used %.0f %% and the hypervisor stole %.0f %% "
			"of %u cores x wall\n",
			r->other_busy_s / (r->wall_s * cores) * 100,
			r->steal_s / (r->wall_s * cores) * 100, cores);
	if (logins)
		fprintf(f,
			"  afterwards: %lld sessions left in the store (expect 0), %lld recorded "
			"failures (expect 0)\n",
			(long long)r->sessions_left, (long long)r->failures);
	for (size_t i = 0; i < r->n_shown; i++)
		fprintf(f, "  error: %s\n", r->shown[i]);
}

static void json_storm(const struct storm_result *r, unsigned cores, double hash_s,
		       double hash_cpu_s)
{
	double ideal = (double)cores / hash_s, frac = r->per_s / ideal;
	bool logins = !r->hash_only;

	printf("{\"impl\":\"" IMPL "\",\"op\":\"%s\",\"mode\":\"%s\",\"hash_slots\":%u,"
	       "\"clients\":%zu,\"%s\":%zu,",
	       logins ? "storm" : "hash_storm", mode_names[r->mode], r->hash_slots, r->clients,
	       logins ? "logins" : "verifications", r->logins);
	if (logins)
		printf("\"users\":%zu,", r->users);
	printf("\"wall_s\":%.3f,\"per_s\":%.2f,\"errors\":%zu,", r->wall_s, r->per_s, r->errors);
	if (logins)
		printf("\"errors_by_stage\":{\"start\":%zu,\"auth\":%zu,\"open_session\":%zu,"
		       "\"close_session\":%zu},\"sessions_left\":%lld,\"auth_failures\":%lld,",
		       r->errors_by[ST_START], r->errors_by[ST_AUTH], r->errors_by[ST_OPEN],
		       r->errors_by[ST_CLOSE], (long long)r->sessions_left, (long long)r->failures);
	printf("\"cores\":%u,\"hash_us\":%.1f,\"ideal_per_s\":%.2f,\"fraction\":%.4f,"
	       "\"hash_cpu_us\":%.1f,\"cpu_per_op_ms\":%.3f,\"cpu_efficiency\":%.4f,",
	       cores, hash_s * 1e6, ideal, frac, hash_cpu_s * 1e6, cpu_per_op(r) * 1e3,
	       hash_cpu_s / cpu_per_op(r));
	if (logins) {
		printf("\"target_fraction\":0.9,\"pass\":%s,",
		       frac >= 0.9 && r->errors == 0 ? "true" : "false");
		if (r->ceiling_per_s > 0)
			printf("\"hash_storm_per_s\":%.2f,\"vs_hash_storm\":%.4f,",
			       r->ceiling_per_s, r->per_s / r->ceiling_per_s);
	}
	printf("\"latency_mean_ms\":%.2f,\"latency_p50_ms\":%.2f,\"latency_p99_ms\":%.2f,"
	       "\"latency_max_ms\":%.2f,\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f,"
	       "\"hash_cpu_s\":%.3f,\"hash_calls\":%lu,\"vol_cs\":%ld,\"invol_cs\":%ld",
	       r->latency.mean / 1e3, r->latency.p50 / 1e3, r->latency.p99 / 1e3,
	       r->latency.max / 1e3, r->rusage_user_s, r->rusage_sys_s, r->hash_cpu_s, r->hash_n,
	       r->vol_cs, r->invol_cs);
	if (r->machine)
		printf(",\"other_busy_frac\":%.4f,\"steal_frac\":%.4f",
		       r->other_busy_s / (r->wall_s * cores), r->steal_s / (r->wall_s * cores));
	printf("}\n");
}

/* ---- set-up -------------------------------------------------------- */

static void setup_store(const char *state, size_t users)
{
	struct la_config cfg;
	struct la_store *st = NULL;
	struct la_user u;
	la_rc rc;

	la_config_defaults(&cfg);
	if ((size_t)snprintf(cfg.dir, sizeof(cfg.dir), "%s", state) >= sizeof(cfg.dir))
		die("state directory path too long");
	rc = la_store_open(&cfg, LA_OPEN_CREATE, &st);
	check(st, rc, "la_store_open (create)");
	for (size_t i = 0; i < users; i++) {
		char name[LA_NAME_MAX + 1];
		struct la_user_spec spec = {.username = name};

		snprintf(name, sizeof(name), USER_FMT, i);
		rc = la_user_add(st, &spec, BENCH_PASSWORD, &u);
		check(st, rc, "la_user_add");
	}
	la_store_close(st);
}

static void setup_services(const char *confdir, const char *module, const char *conf)
{
	char path[LA_PATH_MAX + 64];

	if (mkdir(confdir, 0700) != 0)
		die("mkdir %s: %s", confdir, strerror(errno));
	snprintf(path, sizeof(path), "%s/" SERVICE, confdir);
	write_file(path, 0644,
		   "auth     required %s config=%s nodelay\n"
		   "account  required %s config=%s nodelay\n"
		   "session  required %s config=%s nodelay\n"
		   "password required pam_deny.so\n",
		   module, conf, module, conf, module, conf);
	snprintf(path, sizeof(path), "%s/" SERVICE_UNIX, confdir);
	write_file(path, 0644,
		   "auth     required pam_unix.so nodelay\n"
		   "account  required pam_unix.so\n"
		   "session  required pam_unix.so\n"
		   "password required pam_deny.so\n");
	snprintf(path, sizeof(path), "%s/other", confdir);
	write_file(path, 0644,
		   "auth     required pam_deny.so\n"
		   "account  required pam_deny.so\n"
		   "session  required pam_deny.so\n"
		   "password required pam_deny.so\n");
}

int main(int argc, char **argv)
{
	size_t n = 50, warmup = 3, clients = 32, logins = 1000, users = 32, hstorm = 0;
	bool json = false, hstorm_set = false;
	const char *base = NULL, *module = NULL, *unix_user = NULL, *unix_skip = NULL;
	const char *calibrate = NULL;
	char state[LA_PATH_MAX + 16], conf[LA_PATH_MAX + 32], confdir[LA_PATH_MAX + 16];
	char db[LA_PATH_MAX + 32], argon_hash[LA_HASH_MAX], unix_hash[CRYPT_OUTPUT_SIZE] = "";
	char user0[LA_NAME_MAX + 1], skip_buf[128];
	struct one_client o;
	struct storm_result runs[5];
	size_t n_runs = 0;
	unsigned modes = 3, slots = 0; /* bit 0 processes, bit 1 threads */
	char load_start[64] = "?";
	struct pam_ctx lp, up;
	unsigned cores = online_cores();
	double hash_s, hash_cpu_s;
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
		} else if (strcmp(a, "--n") && strcmp(a, "--warmup") && strcmp(a, "--clients") &&
			   strcmp(a, "--logins") && strcmp(a, "--users") &&
			   strcmp(a, "--hash-storm") && strcmp(a, "--unix-user") &&
			   strcmp(a, "--unix-skip") && strcmp(a, "--dir") &&
			   strcmp(a, "--module") && strcmp(a, "--calibrate-yescrypt") &&
			   strcmp(a, "--storm-mode") && strcmp(a, "--hash-slots")) {
			fprintf(stderr, PROG ": unknown option: %s\n", a);
			usage(stderr, 2);
		} else if (!v) {
			fprintf(stderr, PROG ": %s needs a value\n", a);
			usage(stderr, 2);
		} else {
			i++;
			if (!strcmp(a, "--n"))
				n = parse_count(v, 1, 1000000, a);
			else if (!strcmp(a, "--warmup"))
				warmup = parse_count(v, 0, 1000000, a);
			else if (!strcmp(a, "--clients"))
				clients = parse_count(v, 1, 4096, a);
			else if (!strcmp(a, "--logins"))
				logins = parse_count(v, 0, 100000000, a);
			else if (!strcmp(a, "--users"))
				users = parse_count(v, 1, 999, a);
			else if (!strcmp(a, "--hash-storm"))
				hstorm = parse_count(v, 0, 100000000, a), hstorm_set = true;
			else if (!strcmp(a, "--unix-user"))
				unix_user = v;
			else if (!strcmp(a, "--unix-skip"))
				unix_skip = v;
			else if (!strcmp(a, "--dir"))
				base = v;
			else if (!strcmp(a, "--module"))
				module = v;
			else if (!strcmp(a, "--hash-slots"))
				slots = (unsigned)parse_count(v, 0, 4096, a);
			else if (!strcmp(a, "--storm-mode")) {
				if (!strcmp(v, "processes"))
					modes = 1;
				else if (!strcmp(v, "threads"))
					modes = 2;
				else if (!strcmp(v, "both"))
					modes = 3;
				else {
					fprintf(stderr,
						PROG ": --storm-mode: processes, threads or "
						     "both, not %s\n",
						v);
					usage(stderr, 2);
				}
			} else
				calibrate = v;
		}
	}
	resolve_real();
	{
		struct la_config defaults;

		la_config_defaults(&defaults);
		g_mem_kib = defaults.hash_mem_kib;
		g_ops = defaults.hash_ops;
	}
	if (calibrate)
		return calibrate_yescrypt(calibrate, json);
	if (!module || module[0] != '/') {
		fprintf(stderr, PROG ": --module needs the absolute path of pam_luciaauth.so\n");
		usage(stderr, 2);
	}
	if (access(module, R_OK) != 0)
		die("%s: %s", module, strerror(errno));
	plain_path(module);
	if (!hstorm_set)
		hstorm = logins / 4;
	if (unix_user && geteuid() != 0) {
		snprintf(skip_buf, sizeof(skip_buf), "not root: pam_unix cannot read /etc/shadow");
		unix_skip = skip_buf;
		unix_user = NULL;
	}
	if (!unix_user && !unix_skip)
		unix_skip = "no --unix-user given";
	if (!base || !*base)
		base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	{
		FILE *la = fopen("/proc/loadavg", "re");

		if (la) {
			if (!fgets(load_start, sizeof(load_start), la))
				snprintf(load_start, sizeof(load_start), "?");
			load_start[strcspn(load_start, "\n")] = '\0';
			fclose(la);
		}
	}

	/* Everything lives in one private directory. */
	make_dir(base);
	snprintf(state, sizeof(state), "%s/state", g_dir);
	snprintf(conf, sizeof(conf), "%s/luciaauth.conf", g_dir);
	snprintf(confdir, sizeof(confdir), "%s/pam.d", g_dir);
	snprintf(db, sizeof(db), "%s/luciaauth.db", state);
	write_file(conf, 0600, "# bench_pam: every default but the state directory\ndir = %s\n",
		   state);
	setup_services(confdir, module, conf);
	setup_store(state, users);
	snprintf(user0, sizeof(user0), USER_FMT, (size_t)0);
	{
		char key[LA_KEY_ID_MAX + 1];

		snprintf(key, sizeof(key), "password:%s", user0);
		stored_hash(db, key, argon_hash);
	}
	if (unix_user) {
		struct spwd *sp = getspnam(unix_user);

		if (!sp || !sp->sp_pwdp)
			die("getspnam %s: no shadow entry", unix_user);
		if (strncmp(sp->sp_pwdp, "$y$", 3) != 0)
			die("the shadow hash of %s is not yescrypt", unix_user);
		snprintf(unix_hash, sizeof(unix_hash), "%s", sp->sp_pwdp);
	}
	lp = (struct pam_ctx){confdir, SERVICE};
	up = (struct pam_ctx){confdir, SERVICE_UNIX};

	memset(&o, 0, sizeof(o));
	hash_params(argon_hash, 2, o.argon_params, sizeof(o.argon_params));
	if (unix_user)
		hash_params(unix_hash, 1, o.unix_params, sizeof(o.unix_params));
	run_one_client(&lp, &up, user0, unix_user, argon_hash, unix_hash, n, warmup, &o);
	if (!o.auth.split)
		fprintf(stderr, PROG ": warning: the module's hash did not come through the "
				     "interposed crypto_pwhash_str_verify; no in-call split\n");
	if (o.unix_on && !o.unix_auth.split)
		fprintf(stderr, PROG ": warning: pam_unix's hash did not come through the "
				     "interposed crypt_r; no in-call split\n");
	hash_s = series_mean(&o.hash) / 1e6;
	hash_cpu_s = distribution(o.hash.cpu, o.hash.n).mean / 1e6;

	for (int m = 0; logins && m < 2; m++) {
		struct storm_result *pam, *hash = NULL;

		if (!(modes & (1u << m)))
			continue;
		pam = &runs[n_runs++];
		run_storm(&lp, (enum storm_mode)m, clients, logins, users, NULL, 0, pam);
		pam->sessions_left = count_rows(db, "SELECT count(*) FROM sessions");
		pam->failures = count_rows(db, "SELECT count(*) FROM auth_failures");
		if (hstorm) {
			hash = &runs[n_runs++];
			run_storm(&lp, (enum storm_mode)m, clients, hstorm, users, argon_hash, 0,
				  hash);
			pam->ceiling_per_s = hash->per_s;
		}
	}
	if (logins && slots) {
		enum storm_mode m = modes & 1u ? MODE_PROCESSES : MODE_THREADS;
		struct storm_result *pam = &runs[n_runs++];

		run_storm(&lp, m, clients, logins, users, NULL, slots, pam);
		pam->sessions_left = count_rows(db, "SELECT count(*) FROM sessions");
		pam->failures = count_rows(db, "SELECT count(*) FROM auth_failures");
		for (size_t i = 0; i < n_runs; i++)
			if (runs[i].hash_only && runs[i].mode == m)
				pam->ceiling_per_s = runs[i].per_s;
	}

	tf = json ? stderr : stdout;
	fprintf(tf,
		IMPL ": %s via pam_start_confdir; store defaults (argon2id %s, "
		     "synchronous=NORMAL, WAL) in %s; %u cores\n",
		module, o.argon_params, g_dir, cores);
	print_one_client(tf, &o, unix_skip);
	for (size_t i = 0; i < n_runs; i++)
		print_storm(tf, &runs[i], cores, hash_s, hash_cpu_s);
	fflush(tf);
	if (json) {
		json_one_client(&o, unix_skip);
		for (size_t i = 0; i < n_runs; i++)
			json_storm(&runs[i], cores, hash_s, hash_cpu_s);
		printf("{\"impl\":\"" IMPL "\",\"op\":\"settings\",\"cores\":%u,\"n\":%zu,"
		       "\"warmup\":%zu,\"clients\":%zu,\"logins\":%zu,\"users\":%zu,"
		       "\"hash_storm\":%zu,\"hash_slots\":%u,\"sqlite\":\"%s\",\"load\":",
		       cores, n, warmup, clients, logins, users, hstorm, slots,
		       sqlite3_libversion());
		json_str(stdout, load_start);
		printf(",\"dir\":");
		json_str(stdout, g_dir);
		printf("}\n");
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		die("writing the results: %s", strerror(errno));
	series_free(&o.hash);
	series_free(&o.auth);
	series_free(&o.login);
	series_free(&o.l_auth);
	series_free(&o.l_open);
	series_free(&o.l_close);
	series_free(&o.unix_hash);
	series_free(&o.unix_auth);
	explicit_bzero(argon_hash, sizeof(argon_hash));
	explicit_bzero(unix_hash, sizeof(unix_hash));
	cleanup();
	return 0;
}

/*
 * bench_pam.h - declarations shared by the files of bench_pam (see the
 * comment at the top of bench_pam.c).
 */
#ifndef LUCIAAUTH_BENCH_PAM_H
#define LUCIAAUTH_BENCH_PAM_H

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

/* Only this program's own: nothing here goes into the dynamic symbol table,
 * so no module's call can bind to it (unlike crypto_pwhash_str_verify,
 * crypt_r and pam_syslog, which are meant to be interposed). */
#pragma GCC visibility push(hidden)

extern char g_dir[LA_PATH_MAX];
extern bool g_keep;
extern unsigned long g_mem_kib, g_ops; /* the store's default hash cost */

/* bench_pam_util.c: errors, clean-up, time, helpers, the database */
void cleanup(void);
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void check(struct la_store *st, la_rc rc, const char *what);
double mono_s(void);
double thread_cpu_s(void);
void *xcalloc(size_t n, size_t size);

struct dist {
	size_t n;
	double mean, p50, p99, min, max; /* microseconds */
};

struct dist distribution(const double *v, size_t n);
double median(double *v, size_t n);
void write_file(const char *path, mode_t mode, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void plain_path(const char *p);
void make_dir(const char *base);
unsigned online_cores(void);
void json_str(FILE *f, const char *s);
void stored_hash(const char *db_path, const char *key, char out[LA_HASH_MAX]);
int64_t count_rows(const char *db_path, const char *sql);
void hash_params(const char *hash, int field, char *out, size_t len);

/* bench_pam_timing.c: the interposed hash, PAM, one client, calibration */


/* Time spent in the interposed hash functions by the calling thread. */
struct hash_acc {
	double wall, cpu;
	unsigned long n;
};

extern _Thread_local struct hash_acc t_argon, t_crypt;
extern sem_t *g_hash_slots;

struct pam_ctx {
	const char *confdir;
	const char *service;
};

/* Per-sample series of one operation. */
struct series {
	size_t n;
	double *wall, *cpu, *nonhash_wall, *nonhash_cpu;
	unsigned long hash_n; /* calls of the interposed hash, in all */
	bool split;	      /* every call went through the interposed hash */
};

struct one_client {
	struct series hash, auth, unix_hash, unix_auth;
	struct series login, l_auth, l_open, l_close;
	char argon_params[64], unix_params[64];
	bool unix_on;
};

void resolve_real(void);
pam_handle_t *start(const struct pam_ctx *p, const char *user, int *rc);
void series_free(struct series *s);
void run_one_client(const struct pam_ctx *lp, const struct pam_ctx *up, const char *user,
		    const char *unix_user, const char *argon_hash, const char *unix_hash,
		    size_t n, size_t warmup, struct one_client *o);
int calibrate_yescrypt(const char *out_path, bool json);

/* bench_pam_storm.c: the login storm */

enum stage { ST_START, ST_AUTH, ST_OPEN, ST_CLOSE, ST_MAX };
enum storm_mode { MODE_PROCESSES, MODE_THREADS };
extern const char *const mode_names[];

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

void run_storm(const struct pam_ctx *p, enum storm_mode mode, size_t clients, size_t logins,
	       size_t users, const char *hash_only, unsigned slots, struct storm_result *out);

/* bench_pam_report.c: the table and the JSON lines */
double series_mean(const struct series *s);
void print_one_client(FILE *f, const struct one_client *o, const char *unix_skip);
void json_one_client(const struct one_client *o, const char *unix_skip);
void print_storm(FILE *f, const struct storm_result *r, unsigned cores, double hash_s,
		 double hash_cpu_s);
void json_storm(const struct storm_result *r, unsigned cores, double hash_s,
		double hash_cpu_s);

#pragma GCC visibility pop

#endif

/*
 * bench_pam_timing.c - bench_pam's one-client timings: the interposed
 * crypto_pwhash_str_verify and crypt_r, PAM calls, the yescrypt calibration.
 */
#include "config.h"

#include "bench_pam.h"

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

_Thread_local struct hash_acc t_argon, t_crypt;

/* libsodium's prototype, without pulling in <sodium.h>. */
int crypto_pwhash_str_verify(const char *str, const char *passwd, unsigned long long passwdlen);
typedef int (*verify_fn)(const char *, const char *, unsigned long long);
typedef char *(*crypt_r_fn)(const char *, const char *, struct crypt_data *);

/* The experiment of --hash-slots: at most K hashes at a time, as a module
 * could enforce with K lock files in its state directory. */
sem_t *g_hash_slots;

/* Resolved once in main(), before any thread starts. */
static verify_fn g_real_verify;
static crypt_r_fn g_real_crypt_r;

void resolve_real(void)
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


/* pam_start_confdir with the items sshd sets; NULL and *rc on failure. */
pam_handle_t *start(const struct pam_ctx *p, const char *user, int *rc)
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

void series_free(struct series *s)
{
	free(s->wall);
	free(s->cpu);
	free(s->nonhash_wall);
	free(s->nonhash_cpu);
}

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

void run_one_client(const struct pam_ctx *lp, const struct pam_ctx *up, const char *user,
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

/* ---- yescrypt calibration -------------------------------------------- */

int calibrate_yescrypt(const char *out_path, bool json)
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

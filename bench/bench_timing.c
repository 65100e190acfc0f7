/*
 * bench_timing.c - does a failed sign-in tell an unknown user from a known
 * one by its duration?  (issue 5; the SPEC's "never tells an unknown user
 * from a wrong password").
 *
 * bench_timing --module PATH --cli PATH [--n N] [--warmup W] [--dir DIR]
 *              [--keep] [--json]
 *
 * In a fresh temporary directory (mkdtemp under DIR, $TMPDIR or /tmp) a
 * store with every default except the state directory and deny = 1000 (so
 * that lockout never ends the known user's failures early: its own answer is
 * faster), two users with a password (one for each path), a PAM service
 * file "auth required PATH config=... nodelay" for pam_start_confdir(), and
 * empty account files so that the host's users play no part.  Then N rounds
 * (after W warm-up rounds), each timing, in alternating order:
 *
 *   PAM  pam_authenticate (on a fresh handle: pam_start_confdir, the call
 *        timed, pam_end) for an unknown user / the known user, both with a
 *        wrong password;
 *   CLI  the whole process "luciaauth --config ... login --user NAME
 *        --password-stdin" (posix_spawn to waitpid), the same two cases.
 *
 * Every answer is checked: PAM never succeeds and gives the same code for
 * both, the CLI exits 1 for both.  Reports per path and case the median,
 * p10 and p90 in milliseconds and the ratio of the medians unknown/known
 * (target: within 10 %).  Exit status 0 when the run completed (the figures
 * are the point), 1 on an unexpected answer or error, 2 on usage errors.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "luciaauth.h"

#define PROG	  "bench_timing"
#define SERVICE	  "luciaauth-timing"
#define PASSWORD  "correct horse battery staple"
#define WRONG	  "not the password at all"
#define UNKNOWN	  "tbnosuchuser"
#define USER_PAM  "tbpam"
#define USER_CLI  "tbcli"
#define DENY	  1000u
#define MAX_ROUND 400u /* 2 x (warm-up + rounds) failures stay below DENY */

static char g_dir[LA_PATH_MAX];
static bool g_keep;

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	if (g_dir[0] && !g_keep)
		nftw(g_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs(PROG ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
}

/* ---- set-up ---------------------------------------------------------- */

/* The config file of the module and the CLI; the store with both users. */
static void setup(const char *module, char *conf, size_t conflen, char *confdir, size_t confdirlen)
{
	char path[LA_PATH_MAX + 64], text[4 * LA_PATH_MAX + 256], err[256];
	const char *users[] = {USER_PAM, USER_CLI};
	struct la_config cfg;
	struct la_store *st = NULL;
	struct la_user u;
	la_rc rc;

	snprintf(path, sizeof(path), "%s/passwd", g_dir);
	write_text(path, ""); /* the host's accounts play no part */
	snprintf(conf, conflen, "%s/luciaauth.conf", g_dir);
	snprintf(text, sizeof(text),
		 "# bench_timing: defaults but these\ndir = %s/state\ndeny = %u\n"
		 "passwd_file = %s\ngroup_file = %s\n",
		 g_dir, DENY, path, path);
	write_text(conf, text);
	la_config_defaults(&cfg);
	rc = la_config_load(&cfg, conf, false, err, sizeof(err));
	if (rc != LA_OK)
		die("%s: %s", conf, err);
	rc = la_store_open(&cfg, LA_OPEN_CREATE, &st);
	for (size_t i = 0; rc == LA_OK && i < 2; i++) {
		struct la_user_spec spec = {.username = users[i]};

		rc = la_user_add(st, &spec, PASSWORD, &u);
	}
	if (rc != LA_OK)
		die("store set-up: %s: %s", la_strerror(rc), st ? la_store_errmsg(st) : "");
	la_store_close(st);
	snprintf(confdir, confdirlen, "%s/pam.d", g_dir);
	if (mkdir(confdir, 0700) != 0)
		die("mkdir %s: %s", confdir, strerror(errno));
	snprintf(path, sizeof(path), "%s/" SERVICE, confdir);
	snprintf(text, sizeof(text),
		 "auth     required %s config=%s nodelay\naccount  required pam_deny.so\n"
		 "session  required pam_deny.so\npassword required pam_deny.so\n",
		 module, conf);
	write_text(path, text);
}

/* ---- the two paths ----------------------------------------------------- */

static int conv(int num_msg, const struct pam_message **msg, struct pam_response **resp,
		void *appdata)
{
	struct pam_response *r;

	if (num_msg <= 0 || num_msg > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	r = calloc((size_t)num_msg, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < num_msg; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF && !(r[i].resp = strdup(appdata))) {
			for (int j = 0; j < i; j++)
				free(r[j].resp);
			free(r);
			return PAM_BUF_ERR;
		}
	*resp = r;
	return PAM_SUCCESS;
}

/* pam_authenticate for user with password; its duration in ms, *code. */
static double pam_once(const char *confdir, const char *user, const char *password, int *code)
{
	struct pam_conv c = {conv, (void *)(uintptr_t)password};
	pam_handle_t *ph = NULL;
	double t0, t1;
	int rc = pam_start_confdir(SERVICE, user, &c, confdir, &ph);

	if (rc != PAM_SUCCESS)
		die("pam_start_confdir: %s", pam_strerror(ph, rc));
	t0 = now_ms();
	*code = pam_authenticate(ph, PAM_SILENT);
	t1 = now_ms();
	pam_end(ph, *code);
	return t1 - t0;
}

/* The CLI's "login" as a process of its own; its duration, *status. */
static double cli_once(const char *cli, const char *conf, const char *user, const char *password,
		       int *status)
{
	static char o_config[] = "--config", o_login[] = "login", o_user[] = "--user",
		    o_stdin[] = "--password-stdin";
	/* posix_spawn's argv is char *const[]; nothing writes to it. */
	char *argv[] = {(char *)(uintptr_t)cli,
			o_config,
			(char *)(uintptr_t)conf,
			o_login,
			o_user,
			(char *)(uintptr_t)user,
			o_stdin,
			NULL};
	posix_spawn_file_actions_t fa;
	int fd[2];
	pid_t pid;
	double t0, t1;
	size_t len = strlen(password);

	if (pipe(fd) != 0 || posix_spawn_file_actions_init(&fa) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, fd[0], 0) != 0 ||
	    posix_spawn_file_actions_addclose(&fa, fd[1]) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0) != 0)
		die("spawn set-up: %s", strerror(errno));
	t0 = now_ms();
	errno = posix_spawn(&pid, cli, &fa, NULL, argv, environ);
	if (errno != 0)
		die("%s: %s", cli, strerror(errno));
	close(fd[0]);
	if (write(fd[1], password, len) != (ssize_t)len || write(fd[1], "\n", 1) != 1)
		die("writing the password: %s", strerror(errno));
	close(fd[1]);
	if (waitpid(pid, status, 0) != pid)
		die("waitpid: %s", strerror(errno));
	t1 = now_ms();
	posix_spawn_file_actions_destroy(&fa);
	return t1 - t0;
}

/* ---- measuring ------------------------------------------------------- */

enum path_kind { PATH_PAM, PATH_CLI };
static const char *const path_names[] = {"PAM", "CLI"};

struct sample_set {
	double *unknown, *known;      /* ms */
	int code_unknown, code_known; /* PAM code, or CLI exit status */
};

struct ctx {
	const char *cli, *conf, *confdir;
};

/* One failed sign-in of user on path; its duration, *code the answer. */
static double attempt(const struct ctx *c, enum path_kind p, const char *user, int *code)
{
	int status = 0;
	double ms;

	if (p == PATH_PAM)
		return pam_once(c->confdir, user, WRONG, code);
	ms = cli_once(c->cli, c->conf, user, WRONG, &status);
	*code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return ms;
}

/* The answer must be a refusal, and the same for every attempt of a case
 * and for both cases (PAM: the same code; CLI: exit status 1). */
static void check_answer(enum path_kind p, const char *what, int code, int *seen)
{
	bool refused = p == PATH_PAM ? code != PAM_SUCCESS : code == 1;

	if (!refused)
		die("%s, %s: unexpected answer %d", path_names[p], what, code);
	if (*seen != -1 && *seen != code)
		die("%s, %s: answer changed from %d to %d", path_names[p], what, *seen, code);
	*seen = code;
}

/* W warm-up and N timed rounds; the order of the two cases alternates. */
static void measure(const struct ctx *c, enum path_kind p, size_t n, size_t warmup,
		    struct sample_set *s)
{
	const char *known = p == PATH_PAM ? USER_PAM : USER_CLI;

	s->code_unknown = s->code_known = -1;
	for (size_t i = 0; i < warmup + n; i++) {
		for (int k = 0; k < 2; k++) {
			bool unknown_now = (k == 0) == (i % 2 == 0);
			int code = 0;
			double ms = attempt(c, p, unknown_now ? UNKNOWN : known, &code);

			check_answer(p, unknown_now ? "unknown user" : "wrong password", code,
				     unknown_now ? &s->code_unknown : &s->code_known);
			if (i >= warmup)
				(unknown_now ? s->unknown : s->known)[i - warmup] = ms;
		}
	}
	if (p == PATH_CLI && s->code_unknown != s->code_known)
		die("CLI: exit status %d for an unknown user, %d for a wrong password",
		    s->code_unknown, s->code_known);
}

/* ---- statistics and report -------------------------------------------- */

struct stats {
	double p10, p50, p90, mean;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Linear interpolation between the closest ranks. */
static double quantile(const double *sorted, size_t n, double q)
{
	double pos = q * (double)(n - 1);
	size_t lo = (size_t)pos;

	if (lo + 1 >= n)
		return sorted[n - 1];
	return sorted[lo] + (pos - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

static struct stats stats_of(double *v, size_t n)
{
	struct stats s = {0, 0, 0, 0};

	qsort(v, n, sizeof(*v), cmp_double);
	for (size_t i = 0; i < n; i++)
		s.mean += v[i] / (double)n;
	s.p10 = quantile(v, n, 0.10);
	s.p50 = quantile(v, n, 0.50);
	s.p90 = quantile(v, n, 0.90);
	return s;
}

static void report(enum path_kind p, struct sample_set *s, size_t n, bool json)
{
	struct stats u = stats_of(s->unknown, n), k = stats_of(s->known, n);
	double ratio = u.p50 / k.p50;
	bool within = ratio >= 0.9 && ratio <= 1.1;
	FILE *f = json ? stderr : stdout;

	fprintf(f, "%-4s %-16s %8.2f %8.2f %8.2f %8.2f\n", path_names[p], "unknown user", u.p50,
		u.p10, u.p90, u.mean);
	fprintf(f, "%-4s %-16s %8.2f %8.2f %8.2f %8.2f\n", path_names[p], "wrong password", k.p50,
		k.p10, k.p90, k.mean);
	fprintf(f, "%-4s ratio of medians unknown/known: %.3f (%+.1f %%) - %s\n", path_names[p],
		ratio, (ratio - 1) * 100, within ? "within 10 %" : "MORE THAN 10 % APART");
	if (json)
		printf("{\"bench\":\"timing\",\"path\":\"%s\",\"n\":%zu,"
		       "\"unknown\":{\"p50_ms\":%.4f,\"p10_ms\":%.4f,\"p90_ms\":%.4f,\"mean_ms\":%."
		       "4f},"
		       "\"known_wrong\":{\"p50_ms\":%.4f,\"p10_ms\":%.4f,\"p90_ms\":%.4f,\"mean_"
		       "ms\":%.4f},"
		       "\"ratio\":%.4f,\"within_10pct\":%s,\"answer\":%d}\n",
		       path_names[p], n, u.p50, u.p10, u.p90, u.mean, k.p50, k.p10, k.p90, k.mean,
		       ratio, within ? "true" : "false", s->code_known);
}

/* ---- main ------------------------------------------------------------- */

static void usage(FILE *f, int code)
{
	fprintf(f, "usage: " PROG " --module PATH --cli PATH [--n N] [--warmup W] [--dir DIR]\n"
		   "                    [--keep] [--json]\n"
		   "  --module PATH  pam_luciaauth.so (absolute path)\n"
		   "  --cli PATH     the luciaauth program (absolute path)\n"
		   "  --n N          timed rounds per path, each case once a round (default 100)\n"
		   "  --warmup W     rounds not timed first (default 5)\n"
		   "  --dir DIR      where to create the temporary directory ($TMPDIR or /tmp)\n"
		   "  --keep         do not remove it\n"
		   "  --json         one JSON line per path on stdout, the table on stderr\n");
	exit(code);
}

static size_t count_arg(const char *s, size_t min, size_t max)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, PROG ": not a count in %zu..%zu: %s\n", min, max, s);
		usage(stderr, 2);
	}
	return (size_t)v;
}

int main(int argc, char **argv)
{
	const char *module = NULL, *cli = NULL, *base = getenv("TMPDIR");
	char conf[LA_PATH_MAX + 32], confdir[LA_PATH_MAX + 32];
	size_t n = 100, warmup = 5;
	bool json = false;
	struct sample_set s[2];

	for (int i = 1; i < argc; i++) {
		bool more = i + 1 < argc;

		if (strcmp(argv[i], "--module") == 0 && more)
			module = argv[++i];
		else if (strcmp(argv[i], "--cli") == 0 && more)
			cli = argv[++i];
		else if (strcmp(argv[i], "--n") == 0 && more)
			n = count_arg(argv[++i], 1, MAX_ROUND);
		else if (strcmp(argv[i], "--warmup") == 0 && more)
			warmup = count_arg(argv[++i], 0, 50);
		else if (strcmp(argv[i], "--dir") == 0 && more)
			base = argv[++i];
		else if (strcmp(argv[i], "--keep") == 0)
			g_keep = true;
		else if (strcmp(argv[i], "--json") == 0)
			json = true;
		else
			usage(strcmp(argv[i], "--help") == 0 ? stdout : stderr,
			      strcmp(argv[i], "--help") == 0 ? 0 : 2);
	}
	if (!module || module[0] != '/' || !cli || cli[0] != '/')
		usage(stderr, 2);
	if (n + warmup > MAX_ROUND)
		die("--n + --warmup must stay below %u (deny = %u)", MAX_ROUND, DENY);
	snprintf(g_dir, sizeof(g_dir), "%s/bench_timing.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(g_dir))
		die("mkdtemp %s: %s", g_dir, strerror(errno));
	atexit(cleanup);
	setup(module, conf, sizeof(conf), confdir, sizeof(confdir));
	for (int p = 0; p < 2; p++) {
		s[p].unknown = calloc(n, sizeof(double));
		s[p].known = calloc(n, sizeof(double));
		if (!s[p].unknown || !s[p].known)
			die("out of memory");
	}
	struct ctx c = {cli, conf, confdir};

	fprintf(json ? stderr : stdout,
		"failed sign-ins, %zu rounds after %zu warm-up, cases interleaved; "
		"store defaults (deny = %u)\n%-4s %-16s %8s %8s %8s %8s\n",
		n, warmup, DENY, "path", "case", "p50 ms", "p10 ms", "p90 ms", "mean ms");
	for (int p = 0; p < 2; p++) {
		measure(&c, (enum path_kind)p, n, warmup, &s[p]);
		report((enum path_kind)p, &s[p], n, json);
		free(s[p].unknown);
		free(s[p].known);
	}
	if (g_keep)
		fprintf(stderr, PROG ": kept %s\n", g_dir);
	return 0;
}

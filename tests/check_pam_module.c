/*
 * check_pam_module.c - the module as a shared object (its exports) and
 * an unusable store or configuration
 * (part of tests/check_pam; see check_pam.c).
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_pam.h"

static const char *const six[] = {
	"pam_sm_acct_mgmt",	"pam_sm_authenticate", "pam_sm_chauthtok",
	"pam_sm_close_session", "pam_sm_open_session", "pam_sm_setcred",
};

/* ---- exports ---------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* nm -D --defined-only, run with an empty environment: a child exec()ed
 * with pam_wrapper preloaded would leave a /tmp/pam.X copy behind. */
START_TEST(test_exports_only_pam_sm)
{
	static const char *const nm_paths[] = { "/usr/bin/nm", "/bin/nm" };
	char lc[] = "LC_ALL=C", opt_d[] = "-D", opt_def[] = "--defined-only";
	char nm_arg[64], mod_arg[LA_PATH_MAX], *env[] = { lc, NULL };
	char out[8192] = "", *names[64], *save = NULL, *line;
	const char *nm = NULL;
	int pipefd[2], status = 0;
	size_t n = 0, len = 0;
	ssize_t r;
	pid_t pid;

	for (size_t i = 0; i < 2 && !nm; i++)
		if (access(nm_paths[i], X_OK) == 0)
			nm = nm_paths[i];
	if (!nm) {
		ph_skip("exports", "nm (binutils) not found; only the dlsym checks ran");
		return;
	}
	ck_assert_int_eq(pipe(pipefd), 0);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char *argv[] = { nm_arg, opt_d, opt_def, mod_arg, NULL };

		snprintf(nm_arg, sizeof(nm_arg), "%s", nm);
		snprintf(mod_arg, sizeof(mod_arg), "%s", ph.module);

		dup2(pipefd[1], 1);
		close(pipefd[0]);
		close(pipefd[1]);
		execve(nm, argv, env);
		_exit(127);
	}
	close(pipefd[1]);
	while ((r = read(pipefd[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)r;
	out[len] = '\0';
	close(pipefd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "nm failed: %d", status);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *name = strrchr(line, ' ');

		ck_assert_uint_lt(n, 64);
		names[n++] = name ? name + 1 : line;
	}
	qsort(names, n, sizeof(names[0]), cmp_str);
	ck_assert_msg(n == 6, "the module exports %zu symbols, expected the six pam_sm_*", n);
	for (size_t i = 0; i < 6; i++)
		ck_assert_str_eq(names[i], six[i]);
}
END_TEST

START_TEST(test_exports_dlsym)
{
	static const char *const hidden[] = {
		"la_store_open", "la_authenticate", "la_strerror", "pla_parse_args",
		"pla_pam_code", "sqlite3_open_v2", "crypto_pwhash_str_alg",
	};
	void *h = dlopen(ph.module, RTLD_NOW | RTLD_LOCAL);

	ck_assert_msg(h != NULL, "dlopen %s: %s", ph.module, dlerror());
	for (size_t i = 0; i < 6; i++)
		ck_assert_msg(dlsym(h, six[i]) != NULL, "%s not exported", six[i]);
	/* Looked up in the module alone (dlvsym would do too): RTLD_DEFAULT
	 * would find libsqlite/libsodium/the test binary. */
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		Dl_info info;
		void *p = dlsym(h, hidden[i]);

		if (p && dladdr(p, &info) && info.dli_fname && strstr(info.dli_fname, "pam_luciaauth"))
			ck_abort_msg("the module exports %s", hidden[i]);
	}
	dlclose(h);
}
END_TEST

/* ---- the store unusable: never a success ------------------------------------ */

/* Every group fails closed with the store's codes of SPEC 3. */
static void store_unusable(const char *service)
{
	struct ph_call c = CALL(service, "alice", PW);

	c.capture_log = true;
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_AUTHINFO_UNAVAIL),
		pam_test(PAMTEST_ACCOUNT, PAM_AUTHINFO_UNAVAIL),
		pam_test(PAMTEST_OPEN_SESSION, PAM_SESSION_ERR),
		pam_test(PAMTEST_CLOSE_SESSION, PAM_SESSION_ERR));
	ck_assert_match(c.log, "SYSLOG\\(3\\): ");
	c = CALL(service, "alice");
	ck_assert_int_ne(ph_op(&c, PAMTEST_SETCRED, PAM_ESTABLISH_CRED), PAM_SUCCESS);
	ph_end(&c);
	c = CALL(service, "alice", PW, PW_NEW, PW_NEW);
	PH_ONCE(&c, pam_test(PAMTEST_CHAUTHTOK, PAM_AUTHTOK_ERR));
	/* Unknown users too: the store cannot say they are not ours. */
	ck_assert_pam(auth_rc(service, "nosuchuser", PW, 0), PAM_AUTHINFO_UNAVAIL);
}

START_TEST(test_store_missing_dir)
{
	store_unusable("la_nostore");
}
END_TEST

START_TEST(test_store_missing_config)
{
	store_unusable("la_noconf");
}
END_TEST

START_TEST(test_store_corrupt)
{
	char path[600], junk[8192];
	FILE *f;

	la_store_close(ph_st);
	ph_st = NULL;
	snprintf(path, sizeof(path), "%s/luciaauth.db-wal", ph.state);
	unlink(path);
	snprintf(path, sizeof(path), "%s/luciaauth.db-shm", ph.state);
	unlink(path);
	snprintf(path, sizeof(path), "%s/luciaauth.db", ph.state);
	memset(junk, 'x', sizeof(junk));
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
	fclose(f);
	store_unusable("la");
}
END_TEST

START_TEST(test_store_world_writable)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/luciaauth.db", ph.state);
	ck_assert_int_eq(chmod(path, 0666), 0);
	store_unusable("la");
	ck_assert_int_eq(chmod(path, 0600), 0);
	ck_assert_pam(auth_rc("la", "alice", PW, 0), PAM_SUCCESS);
}
END_TEST

/* A caller that may not read the master database (a screen locker running
 * as the user): unavailable, never a success. */
static const char *unreadable(const void *arg)
{
	static char why[8192];
	const char *service = arg;
	struct ph_call c = CALL(service, "alice", PW);
	int r = ph_op(&c, PAMTEST_AUTHENTICATE, 0), a = ph_op(&c, PAMTEST_ACCOUNT, 0);

	ph_end(&c);
	if (r != PAM_AUTHINFO_UNAVAIL || a != PAM_AUTHINFO_UNAVAIL) {
		snprintf(why, sizeof(why), "auth %s, account %s (expected PAM_AUTHINFO_UNAVAIL)",
			 ph_code_name(r), ph_code_name(a));
		return why;
	}
	return NULL;
}

START_TEST(test_store_unreadable_by_caller)
{
	bool root = getuid() == 0;

	/* Not root: take the permission away from ourselves. */
	if (!root)
		ck_assert_int_eq(chmod(ph.state, 0), 0);
	ph_unprivileged(unreadable, root ? "la_drop" : "la", false);
	if (!root)
		ck_assert_int_eq(chmod(ph.state, 0700), 0);
}
END_TEST

/* No config= argument: /etc/luciaauth.conf if it exists, else the defaults;
 * dir= still applies. */
START_TEST(test_no_config_argument)
{
	FILE *f;
	char line[256];
	bool local = false;

	if (access(LA_DEFAULT_CONFIG, F_OK) == 0) {
		ph_skip("no config=", LA_DEFAULT_CONFIG " exists on this host");
		return;
	}
	f = fopen("/etc/passwd", "r");
	while (f && fgets(line, sizeof(line), f))
		local = local || strncmp(line, "alice:", 6) == 0;
	if (f)
		fclose(f);
	if (local) {
		ph_skip("no config=", "alice is a local account on this host");
		return;
	}
	ck_assert_pam(auth_rc("la_defaults", "alice", PW, 0), PAM_SUCCESS);
	/* Rehashed to the default cost (19456 KiB), not the test config's 64. */
	ck_assert_match(ph_hash_of("alice"), "^\\$argon2id\\$v=19\\$m=19456,t=2,");
	ck_assert_pam(auth_rc("la_defaults", "root", PW, 0), PAM_USER_UNKNOWN);
}
END_TEST


/* ---- TCases ---------------------------------------------------------------- */

void cp_tcase_exports(Suite *s)
{
	const TTest *const exports[] = { test_exports_only_pam_sm, test_exports_dlsym };

	PH_TCASE(s, "exports", exports);
}

void cp_tcase_store(Suite *s)
{
	const TTest *const store[] = {
		test_store_missing_dir,	  test_store_missing_config, test_store_corrupt,
		test_store_world_writable, test_store_unreadable_by_caller, test_no_config_argument,
	};

	PH_TCASE(s, "store", store);
}

/*
 * check_pam.c - module-level tests of pam_luciaauth.so (SPEC 3): the built
 * module is driven through libpam (pam_wrapper + libpamtest, no root and
 * no /etc/pam.d), against a fresh store per test.  The harness
 * (pam_harness.c/.h) explains the process set-up, the clock (libfaketime)
 * and how the module's hashing work is counted.
 *
 * Runs as root and as a normal user.  The one branch that depends on the
 * caller's uid (chauthtok asks for the old password unless root) is tested
 * in both directions: as root directly and, in a child that dropped to uid
 * 65534, the unprivileged way; as a normal user the root branch is skipped
 * with a "# SKIP" line.
 *
 *   tests/check_pam             re-executes itself under pam_wrapper and
 *                               libfaketime (libasan first in an ASan build)
 *   make check-pam-valgrind     once under valgrind, preloads set outside
 *   CHECK_PAM_MODULE=/path/pam_luciaauth.so tests/check_pam
 *                               another build of the module (installed one,
 *                               negative controls)
 *
 * Return codes are the module's own: each service passes the module's code
 * through and turns its PAM_IGNORE into a marker (pam_harness.c, SENTINEL);
 * only setcred's PAM_IGNORE has to be read by calling pam_sm_setcred
 * directly (sm_setcred).
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

#include "pam_harness.h"

/* Lucia v2 (scrypt) hash of "hunter22". */
#define LUCIA_V2_HUNTER22                                                                          \
	"s2:du22a90aa971y1w0:17a5e26d852282ed7b0fb0ed2091e02f19f8c762ae94528d34be778417236e67e4"   \
	"6e46fe96882365c7df77626977a17b89a3a776389e2ff7e07f8525beb141d5"

#define LOCKED_MSG "E:The account is locked due to too many failed logins."
#define FAIL2BAN_RE                                                                                \
	"SYSLOG\\(5\\): [^\n]*authentication failure; logname=[^ ]* uid=[0-9]+ euid=[0-9]+ "      \
	"tty=pts/7 ruser=mallory rhost=192\\.0\\.2\\.1 +user=alice$"

/* A call of service for user answering the echo-off prompts in order. */
#define CALL(svc, usr, ...)                                                                        \
	((struct ph_call){ .service = (svc), .user = (usr), .answers = { __VA_ARGS__ } })

static const char *const six[] = {
	"pam_sm_acct_mgmt",	"pam_sm_authenticate", "pam_sm_chauthtok",
	"pam_sm_close_session", "pam_sm_open_session", "pam_sm_setcred",
};

/* ---- helpers -------------------------------------------------------------- */

/* Result of one pam_authenticate in its own transaction. */
static int auth_rc(const char *service, const char *user, const char *pw, int flags)
{
	struct ph_call c = CALL(service, user, pw);
	int r = ph_op(&c, PAMTEST_AUTHENTICATE, flags);

	ph_end(&c);
	return r;
}

static int account_rc(const char *service, const char *user)
{
	struct ph_call c = CALL(service, user);
	int r = ph_op(&c, PAMTEST_ACCOUNT, 0);

	ph_end(&c);
	return r;
}

/* Does chauthtok ask for the old password of this process's callers? */
static bool need_old(void)
{
	return getuid() != 0;
}

/* Answers for changing the password: old (when asked), new, retype. */
static void change_answers(struct ph_call *c, const char *old, const char *n1, const char *n2)
{
	size_t i = 0;

	if (need_old())
		c->answers[i++] = old;
	c->answers[i++] = n1;
	c->answers[i] = n2;
}

/* A user alice's uid moved, a user renamed: the database "tampered with".
 * A row for name with uid and alice's password hash. */
static void tamper_add(const char *name, unsigned uid)
{
	ph_sql("INSERT INTO users (id, username, uid, gid, home, shell, created)"
	       " VALUES ('tampered%07u', '%s', %u, %u, '/root', '/bin/sh', 0)",
	       uid, name, uid, uid);
	ph_sql("INSERT INTO auth_keys (id, user_id, hashed_password)"
	       " VALUES ('password:%s', 'tampered%07u',"
	       " (SELECT hashed_password FROM auth_keys WHERE id = 'password:alice'))",
	       name, uid);
}

/* pam_sm_setcred of the module, called directly on a started handle of
 * service "la" (module arguments config=... and extra).  libpam's
 * pam_setcred replays the auth stack's frozen chain and turns the module's
 * PAM_IGNORE into PAM_PERM_DENIED whatever the stack, so the module's own
 * code is only visible this way. */
static int sm_setcred(const char *user, const char *extra)
{
	union {
		void *p;
		int (*fn)(pam_handle_t *, int, int, const char **);
	} f;
	struct ph_call c = CALL("la", user);
	char conf[LA_PATH_MAX + 16];
	const char *argv[] = { conf, extra };
	void *h = dlopen(ph.module, RTLD_NOW | RTLD_LOCAL);
	int r;

	ck_assert_msg(h != NULL, "dlopen %s: %s", ph.module, dlerror());
	f.p = dlsym(h, "pam_sm_setcred");
	ck_assert_ptr_nonnull(f.p);
	snprintf(conf, sizeof(conf), "config=%s", ph.conf);
	ck_assert_pam(ph_start(&c), PAM_SUCCESS);
	r = f.fn(c.pamh, PAM_ESTABLISH_CRED, extra ? 2 : 1, argv);
	ph_end(&c);
	dlclose(h);
	return r;
}

/* Every management group refuses name (whose password is PW) in the ways
 * SPEC 3 gives for users that are not ours, and nothing changes. */
static void never_ours(const char *name)
{
	struct ph_call c = CALL("la", name, PW);
	long sessions = ph_sql_long("SELECT count(*) FROM sessions");
	char hash[LA_HASH_MAX];

	snprintf(hash, sizeof(hash), "%s", ph_hash_of(name));
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_USER_UNKNOWN),
		pam_test(PAMTEST_ACCOUNT, PAM_USER_UNKNOWN),
		pam_test(PAMTEST_OPEN_SESSION, PAM_IGNORE),
		pam_test(PAMTEST_CLOSE_SESSION, PAM_IGNORE));
	ck_assert_pam(sm_setcred(name, NULL), PAM_IGNORE);
	c = CALL("la", name, PW, PW_NEW, PW_NEW);
	PH_ONCE(&c, pam_test(PAMTEST_CHAUTHTOK, PAM_IGNORE));
	c = CALL("la_unknown_ok", name, PW);
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_IGNORE),
		pam_test(PAMTEST_ACCOUNT, PAM_IGNORE));
	ck_assert_int_eq(ph_sql_long("SELECT count(*) FROM sessions"), sessions);
	ck_assert_str_eq(ph_hash_of(name), hash);
}

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

/* ---- auth ----------------------------------------------------------------- */

START_TEST(test_auth_success)
{
	struct ph_call c = CALL("la", "alice", PW);

	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
		pam_test_flags(PAMTEST_SETCRED, PAM_SUCCESS, PAM_ESTABLISH_CRED),
		pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS));
	ck_assert_uint_eq(c.prompts, 1);
	ck_assert_match(c.conv, "^P:Password: $");
	ck_assert_no_match(c.conv, "^E:");
	/* One verification, no rehash: the stored hash has the store's cost. */
	ck_assert_uint_eq(ph_work.argon2_verify, 1);
	ck_assert_uint_eq(ph_work.argon2_hash, 0);
	/* libpam is told of the success (and applies no delay). */
	ck_assert_int_eq(c.delay_status, PAM_SUCCESS);
}
END_TEST

START_TEST(test_auth_wrong_password)
{
	struct ph_call c = CALL("la", "alice", WRONG);

	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR));
	ck_assert_uint_eq(c.prompts, 1);
	ck_assert_uint_eq(ph_user("alice").failures, 1);
	/* pam_fail_delay was requested: libpam hands the delay to the
	 * application's PAM_FAIL_DELAY function instead of sleeping. */
	ck_assert_uint_ge(c.delay_calls, 1);
	ck_assert_int_eq(c.delay_status, PAM_AUTH_ERR);
	ck_assert_uint_gt(c.delay_usec, 0);
	/* A later success resets the count. */
	ck_assert_pam(auth_rc("la", "alice", PW, 0), PAM_SUCCESS);
	ck_assert_uint_eq(ph_user("alice").failures, 0);
}
END_TEST

START_TEST(test_auth_nodelay)
{
	struct ph_call c = CALL("la_nodelay", "alice", WRONG);

	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR));
	/* libpam calls the delay function with 0, or not at all. */
	ck_assert(c.delay_calls == 0 || c.delay_usec == 0);
}
END_TEST

START_TEST(test_auth_empty_password)
{
	struct ph_call c = CALL("la", "alice", "");

	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR));
	ck_assert_uint_eq(ph_user("alice").failures, 1);
}
END_TEST

START_TEST(test_auth_unknown_user)
{
	struct ph_call c = CALL("la", "nosuchuser", PW);

	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_USER_UNKNOWN),
		pam_test(PAMTEST_ACCOUNT, PAM_USER_UNKNOWN));
	/* Asked for a password like anybody, and delayed like a failure. */
	ck_assert_uint_eq(c.prompts, 1);
	ck_assert_uint_gt(c.delay_usec, 0);
	c = CALL("la_unknown_ok", "nosuchuser", PW);
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_IGNORE),
		pam_test(PAMTEST_ACCOUNT, PAM_IGNORE));
	ck_assert_pam(sm_setcred("nosuchuser", NULL), PAM_IGNORE);
	ck_assert_pam(sm_setcred("nosuchuser", "unknown_ok"), PAM_IGNORE);
}
END_TEST

/* SPEC 3: an unknown user costs the same work as a wrong password. */
START_TEST(test_auth_unknown_user_same_work)
{
	struct ph_work wrong, unknown;

	ck_assert_pam(auth_rc("la", "alice", WRONG, 0), PAM_AUTH_ERR);
	wrong = ph_work;
	ph_work_reset();
	ck_assert_pam(auth_rc("la", "nosuchuser", WRONG, 0), PAM_USER_UNKNOWN);
	unknown = ph_work;
	/* Sanity: the counters see the module's calls at all. */
	ck_assert_uint_eq(wrong.argon2_verify, 1);
	ck_assert_msg(unknown.argon2_verify == wrong.argon2_verify &&
			      unknown.argon2_hash == wrong.argon2_hash,
		      "unknown user: %u Argon2id hash + %u verify; wrong password of a known "
		      "user: %u hash + %u verify",
		      unknown.argon2_hash, unknown.argon2_verify, wrong.argon2_hash,
		      wrong.argon2_verify);
}
END_TEST

START_TEST(test_auth_root_never)
{
	/* root is in the system passwd file and not in the store ... */
	never_ours("root");
	/* ... nor when the database holds a root with a known password. */
	tamper_add("root", 0);
	never_ours("root");
}
END_TEST

START_TEST(test_auth_local_name_never)
{
	/* localuser: in the system passwd file, uid inside the store's range. */
	tamper_add("localuser", 10500);
	never_ours("localuser");
}
END_TEST

START_TEST(test_auth_uid_out_of_range_never)
{
	ph_sql("UPDATE users SET uid = 70000 WHERE username = 'alice'");
	never_ours("alice");
	ph_sql("UPDATE users SET uid = 999 WHERE username = 'alice'");
	never_ours("alice");
	/* Back in range, alice is served again. */
	ph_sql("UPDATE users SET uid = 10001 WHERE username = 'alice'");
	ck_assert_pam(auth_rc("la", "alice", PW, 0), PAM_SUCCESS);
}
END_TEST

START_TEST(test_auth_no_password_key)
{
	struct la_user_spec spec = { .username = "nopw" };
	struct la_user u;

	LA_OK_OR_FAIL(la_user_add(ph_st, &spec, NULL, &u));
	ck_assert_int_ne(auth_rc("la", "nopw", PW, 0), PAM_SUCCESS);
	ck_assert_int_ne(auth_rc("la", "nopw", "", 0), PAM_SUCCESS);
	/* A password key without a hash never accepts a password either. */
	ph_sql("INSERT INTO auth_keys (id, user_id, hashed_password) VALUES ('password:nopw', '%s',"
	       " NULL)",
	       u.id);
	ck_assert_int_ne(auth_rc("la", "nopw", PW, 0), PAM_SUCCESS);
	ck_assert_int_ne(auth_rc("la", "nopw", "", 0), PAM_SUCCESS);
}
END_TEST

START_TEST(test_auth_user_from_prompt)
{
	struct ph_call c = CALL("la", NULL, PW);

	c.echo_on = "alice";
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS));
	ck_assert_match(c.conv, "^U:");
}
END_TEST

START_TEST(test_auth_conversation_fails)
{
	struct ph_call c = CALL("la", "alice");

	/* No answer: never a success, and not counted as a wrong password. */
	ck_assert_int_ne(ph_op(&c, PAMTEST_AUTHENTICATE, 0), PAM_SUCCESS);
	ph_end(&c);
	ck_assert_uint_eq(c.conv_errors, 1);
	c = CALL("la", "alice", PW);
	c.conv_again = true;
	ck_assert_int_ne(ph_op(&c, PAMTEST_AUTHENTICATE, 0), PAM_SUCCESS);
	ph_end(&c);
	ck_assert_uint_eq(ph_user("alice").failures, 0);
}
END_TEST

START_TEST(test_auth_use_first_pass)
{
	struct ph_call c;

	if (!*ph.set_items) {
		ph_skip("use_first_pass", "pam_set_items.so missing");
		return;
	}
	/* pam_set_items.so (first in the stack) sets PAM_AUTHTOK from the
	 * environment variable of that name. */
	setenv("PAM_AUTHTOK", PW, 1);
	c = CALL("la_first", "alice", "not asked");
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS));
	ck_assert_uint_eq(c.prompts, 0);
	setenv("PAM_AUTHTOK", WRONG, 1);
	c = CALL("la_first", "alice", PW);
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR));
	ck_assert_uint_eq(c.prompts, 0);
	/* No earlier password: fail without asking. */
	unsetenv("PAM_AUTHTOK");
	c = CALL("la_first", "alice", PW);
	ck_assert_int_ne(ph_op(&c, PAMTEST_AUTHENTICATE, 0), PAM_SUCCESS);
	ph_end(&c);
	ck_assert_uint_eq(c.prompts, 0);
	ck_assert_str_eq(c.conv, "");
}
END_TEST

START_TEST(test_auth_try_first_pass)
{
	struct ph_call c;

	if (!*ph.set_items) {
		ph_skip("try_first_pass", "pam_set_items.so missing");
		return;
	}
	setenv("PAM_AUTHTOK", PW, 1);
	c = CALL("la_try", "alice", "not asked");
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS));
	ck_assert_uint_eq(c.prompts, 0);
	/* The earlier password is tried, and its failure is the result (as
	 * pam_unix does). */
	setenv("PAM_AUTHTOK", WRONG, 1);
	c = CALL("la_try", "alice", PW);
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR));
	ck_assert_uint_eq(c.prompts, 0);
	/* No earlier password: ask. */
	unsetenv("PAM_AUTHTOK");
	c = CALL("la_try", "alice", PW);
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS));
	ck_assert_uint_eq(c.prompts, 1);
}
END_TEST

START_TEST(test_auth_options_logged_and_ignored)
{
	struct ph_call c = CALL("la_opts", "alice", PW);

	c.capture_log = true;
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
		pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS));
	ck_assert_match(c.log, "SYSLOG\\([0-9]\\): .*frobnicate");
	ck_assert_match(c.log, "SYSLOG\\([0-9]\\): .*bogus=1");
	ck_assert_match(c.log, "SYSLOG\\([0-9]\\): .*deny=many");
	/* debug */
	ck_assert_match(c.log, "SYSLOG\\(7\\): .*alice");
	ck_assert_no_match(c.log, PW);
}
END_TEST

START_TEST(test_auth_failure_log)
{
	struct ph_call c = CALL("la", "alice", WRONG);

	c.capture_log = true;
	c.tty = "pts/7";
	c.rhost = "192.0.2.1";
	c.ruser = "mallory";
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR));
	/* pam_unix's line, which fail2ban's pam-generic filter parses. */
	ck_assert_match(c.log, FAIL2BAN_RE);
	ck_assert_no_match(c.log, WRONG);
	/* Unknown names are logged only with audit (they may be passwords
	 * typed into the user name prompt). */
	c = CALL("la", "nosuchuser", WRONG);
	c.capture_log = true;
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_USER_UNKNOWN));
	ck_assert_no_match(c.log, "nosuchuser");
	ck_assert_no_match(c.log, WRONG);
	c = CALL("la_audit", "nosuchuser", WRONG);
	c.capture_log = true;
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_USER_UNKNOWN));
	ck_assert_match(c.log, "SYSLOG\\([0-9]\\): .*user unknown.*user=nosuchuser");
	ck_assert_no_match(c.log, WRONG);
}
END_TEST

START_TEST(test_setcred)
{
	struct ph_call c = CALL("la", "alice");

	PH_ONCE(&c, pam_test_flags(PAMTEST_SETCRED, PAM_SUCCESS, PAM_ESTABLISH_CRED),
		pam_test_flags(PAMTEST_SETCRED, PAM_SUCCESS, PAM_DELETE_CRED));
	ck_assert_uint_eq(c.prompts, 0);
	ck_assert_pam(sm_setcred("alice", NULL), PAM_SUCCESS);
	ck_assert_pam(sm_setcred("nosuchuser", NULL), PAM_IGNORE);
	ck_assert_pam(sm_setcred("root", NULL), PAM_IGNORE);
	/* Through libpam a lone PAM_IGNORE is never a success. */
	c = CALL("la", "nosuchuser");
	ck_assert_int_ne(ph_op(&c, PAMTEST_SETCRED, PAM_ESTABLISH_CRED), PAM_SUCCESS);
	ph_end(&c);
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

/* ---- lockout (SPEC 3) and the clock --------------------------------------- */

START_TEST(test_lockout_deny_then_unlock)
{
	struct ph_call c;
	struct la_user u;

	if (!ph_clock("+0"))
		return;
	for (int i = 1; i <= 3; i++)
		ck_assert_pam(auth_rc("la_lock", "alice", WRONG, 0), PAM_AUTH_ERR);
	u = ph_user("alice");
	ck_assert_uint_eq(u.failures, 3);
	ck_assert_int_gt(u.locked_until_ms, la_store_now(ph_st));
	/* Locked: the right password is refused without being checked. */
	ph_work_reset();
	c = CALL("la_lock", "alice", PW);
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR));
	ck_assert_uint_eq(ph_work.argon2_verify, 0);
	ck_assert_match(c.conv, "^" LOCKED_MSG "$");
	ck_assert_uint_gt(c.delay_usec, 0);
	/* PAM_SILENT: no message. */
	c = CALL("la_lock", "alice", PW);
	PH_ONCE(&c, pam_test_flags(PAMTEST_AUTHENTICATE, PAM_AUTH_ERR, PAM_SILENT));
	ck_assert_no_match(c.conv, "^E:");
	/* More wrong passwords while locked are not counted and do not extend it. */
	ck_assert_pam(auth_rc("la_lock", "alice", WRONG, 0), PAM_AUTH_ERR);
	ck_assert_uint_eq(ph_user("alice").failures, 3);
	ck_assert_int_eq(ph_user("alice").locked_until_ms, u.locked_until_ms);
	/* Still locked 9 minutes later, open after unlock_time (10m). */
	ph_clock("+9m");
	ck_assert_pam(auth_rc("la_lock", "alice", PW, 0), PAM_AUTH_ERR);
	ph_clock("+11m");
	ck_assert_pam(auth_rc("la_lock", "alice", PW, 0), PAM_SUCCESS);
	u = ph_user("alice");
	ck_assert_uint_eq(u.failures, 0);
	ck_assert_int_eq(u.locked_until_ms, 0);
}
END_TEST

START_TEST(test_lockout_fail_interval)
{
	if (!ph_clock("+0"))
		return;
	for (int i = 0; i < 2; i++)
		ck_assert_pam(auth_rc("la_lock", "alice", WRONG, 0), PAM_AUTH_ERR);
	/* The first two fall out of fail_interval (15m): two more do not lock. */
	ph_clock("+16m");
	for (int i = 0; i < 2; i++)
		ck_assert_pam(auth_rc("la_lock", "alice", WRONG, 0), PAM_AUTH_ERR);
	ck_assert_uint_eq(ph_user("alice").failures, 2);
	ck_assert_pam(auth_rc("la_lock", "alice", PW, 0), PAM_SUCCESS);
}
END_TEST

START_TEST(test_lockout_success_resets)
{
	for (int i = 0; i < 2; i++)
		ck_assert_pam(auth_rc("la_lock", "alice", WRONG, 0), PAM_AUTH_ERR);
	ck_assert_pam(auth_rc("la_lock", "alice", PW, 0), PAM_SUCCESS);
	for (int i = 0; i < 2; i++)
		ck_assert_pam(auth_rc("la_lock", "alice", WRONG, 0), PAM_AUTH_ERR);
	ck_assert_pam(auth_rc("la_lock", "alice", PW, 0), PAM_SUCCESS);
}
END_TEST

/* Failures from concurrent processes are all counted (deny=0: no lock). */
static int three_wrong(unsigned i)
{
	(void)i;
	for (int k = 0; k < 3; k++) {
		int r = auth_rc("la_nolock", "alice", WRONG, 0);

		if (r != PAM_AUTH_ERR)
			return 100 + r; /* the exit status tells the code */
	}
	return 0;
}

START_TEST(test_lockout_counts_concurrent_failures)
{
	ph_parallel(4, three_wrong);
	ck_assert_uint_eq(ph_user("alice").failures, 12);
	ck_assert_int_eq(ph_user("alice").locked_until_ms, 0);
}
END_TEST

/* ---- rehash on login --------------------------------------------------------- */

START_TEST(test_rehash_lucia_v2)
{
	ph_sql("UPDATE auth_keys SET hashed_password = '" LUCIA_V2_HUNTER22 "'"
	       " WHERE id = 'password:alice'");
	/* A wrong password leaves the old hash alone. */
	ck_assert_pam(auth_rc("la", "alice", WRONG, 0), PAM_AUTH_ERR);
	ck_assert_str_eq(ph_hash_of("alice"), LUCIA_V2_HUNTER22);
	ph_work_reset();
	ck_assert_pam(auth_rc("la", "alice", "hunter22", 0), PAM_SUCCESS);
	ck_assert_uint_eq(ph_work.scrypt, 1);
	ck_assert_uint_eq(ph_work.argon2_hash, 1);
	ck_assert_match(ph_hash_of("alice"), "^\\$argon2id\\$v=19\\$m=64,t=1,");
	ck_assert(ph_password_is("alice", "hunter22"));
	/* Once is enough. */
	ph_work_reset();
	ck_assert_pam(auth_rc("la", "alice", "hunter22", 0), PAM_SUCCESS);
	ck_assert_uint_eq(ph_work.argon2_hash, 0);
	ck_assert_uint_eq(ph_work.scrypt, 0);
}
END_TEST

START_TEST(test_rehash_argon2_cost)
{
	char hash[LA_HASH_MAX];

	LA_OK_OR_FAIL(la_hash_password(PW, 128, 2, hash));
	ph_sql("UPDATE auth_keys SET hashed_password = '%s' WHERE id = 'password:alice'", hash);
	ck_assert_pam(auth_rc("la", "alice", PW, 0), PAM_SUCCESS);
	ck_assert_match(ph_hash_of("alice"), "^\\$argon2id\\$v=19\\$m=64,t=1,");
	ck_assert(ph_password_is("alice", PW));
}
END_TEST

/* ---- account ------------------------------------------------------------------ */

START_TEST(test_account_states)
{
	struct la_user_spec mc = { .must_change = true, .set = LA_SET_MUST_CHANGE };
	struct ph_call c = CALL("la", "alice");

	PH_ONCE(&c, pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS));
	ck_assert_str_eq(c.conv, "");
	/* must change */
	LA_OK_OR_FAIL(la_user_mod(ph_st, "alice", &mc));
	c = CALL("la", "alice");
	PH_ONCE(&c, pam_test(PAMTEST_ACCOUNT, PAM_NEW_AUTHTOK_REQD));
	ck_assert_match(c.conv, "^E:.*change your password");
	/* expired wins over must change */
	LA_OK_OR_FAIL(la_user_set_expiry(ph_st, "alice", la_store_now(ph_st) - 1000));
	c = CALL("la", "alice");
	PH_ONCE(&c, pam_test(PAMTEST_ACCOUNT, PAM_ACCT_EXPIRED));
	ck_assert_match(c.conv, "^E:.*expired");
	/* locked wins over both */
	LA_OK_OR_FAIL(la_user_set_locked(ph_st, "alice", true));
	c = CALL("la", "alice");
	PH_ONCE(&c, pam_test(PAMTEST_ACCOUNT, PAM_PERM_DENIED));
	ck_assert_match(c.conv, "^E:.*locked");
	/* PAM_SILENT: the same codes, no messages */
	c = CALL("la", "alice");
	PH_ONCE(&c, pam_test_flags(PAMTEST_ACCOUNT, PAM_PERM_DENIED, PAM_SILENT));
	ck_assert_str_eq(c.conv, "");
	LA_OK_OR_FAIL(la_user_set_locked(ph_st, "alice", false));
	c = CALL("la", "alice");
	PH_ONCE(&c, pam_test_flags(PAMTEST_ACCOUNT, PAM_ACCT_EXPIRED, PAM_SILENT));
	ck_assert_str_eq(c.conv, "");
	LA_OK_OR_FAIL(la_user_set_expiry(ph_st, "alice", 0));
	c = CALL("la", "alice");
	PH_ONCE(&c, pam_test_flags(PAMTEST_ACCOUNT, PAM_NEW_AUTHTOK_REQD, PAM_SILENT));
	ck_assert_str_eq(c.conv, "");
}
END_TEST

START_TEST(test_account_unknown)
{
	ck_assert_pam(account_rc("la", "nosuchuser"), PAM_USER_UNKNOWN);
	ck_assert_pam(account_rc("la_unknown_ok", "nosuchuser"), PAM_IGNORE);
	ck_assert_pam(account_rc("la", "root"), PAM_USER_UNKNOWN);
	ck_assert_pam(account_rc("la_unknown_ok", "root"), PAM_IGNORE);
}
END_TEST

START_TEST(test_account_expires_with_clock)
{
	if (!ph_clock("+0"))
		return;
	LA_OK_OR_FAIL(la_user_set_expiry(ph_st, "alice", la_store_now(ph_st) + 3600000));
	ck_assert_pam(account_rc("la", "alice"), PAM_SUCCESS);
	ph_clock("+2h");
	ck_assert_pam(account_rc("la", "alice"), PAM_ACCT_EXPIRED);
}
END_TEST

/* Login with an expired password: account says so, the change (which
 * needs the old password even from root) clears it. */
START_TEST(test_account_must_change_flow)
{
	struct la_user_spec mc = { .must_change = true, .set = LA_SET_MUST_CHANGE };
	struct ph_call c = CALL("la", "alice", PW, PW, PW_NEW, PW_NEW);

	LA_OK_OR_FAIL(la_user_mod(ph_st, "alice", &mc));
	PH_ONCE(&c, pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
		pam_test(PAMTEST_ACCOUNT, PAM_NEW_AUTHTOK_REQD),
		pam_test_flags(PAMTEST_CHAUTHTOK, PAM_SUCCESS, PAM_CHANGE_EXPIRED_AUTHTOK),
		pam_test(PAMTEST_ACCOUNT, PAM_SUCCESS));
	ck_assert_uint_eq(c.prompts, 4);
	ck_assert(!ph_user("alice").must_change);
	ck_assert(ph_password_is("alice", PW_NEW));
}
END_TEST

/* ---- session ------------------------------------------------------------------ */

/* The stored session of token, with its origin. */
static struct la_session session_of(const char *token)
{
	struct la_session s;
	struct la_user u;
	la_rc rc = la_session_get(ph_st, token, &s, &u);

	ck_assert_msg(rc == LA_OK, "la_session_get(%s): %s", token, la_strerror(rc));
	ck_assert_str_eq(u.username, "alice");
	return s;
}

static struct ph_call session_call(const char *service, const char *tty, const char *rhost)
{
	struct ph_call c = CALL(service, "alice");

	c.tty = tty;
	c.rhost = rhost;
	return c;
}

START_TEST(test_session_open_close)
{
	struct ph_call c = session_call("la", "pts/7", "192.0.2.1");
	struct pam_testcase t[] = { pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
				    pam_test(PAMTEST_GETENVLIST, 0) };
	struct la_session s;
	char token[LA_TOKEN_BUF];
	bool listed = false;

	ph_run_at(&c, t, 2, __FILE__, __LINE__);
	ck_assert_uint_eq(strlen(c.token), LA_TOKEN_LEN);
	snprintf(token, sizeof(token), "%s", c.token);
	for (char **e = t[1].case_out.envlist; e && *e; e++)
		listed = listed || (strncmp(*e, ENV_TOKEN "=", sizeof(ENV_TOKEN)) == 0 &&
				    strcmp(*e + sizeof(ENV_TOKEN), token) == 0);
	pamtest_free_env(t[1].case_out.envlist);
	ck_assert_msg(listed, "pam_getenvlist has no " ENV_TOKEN);
	s = session_of(token);
	ck_assert_str_eq(s.source, "la");
	ck_assert_str_eq(s.tty, "pts/7");
	ck_assert_str_eq(s.rhost, "192.0.2.1");
	ck_assert_uint_eq(ph_sessions("alice"), 1);
	PH_RUN(&c, pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS));
	ph_end(&c);
	ck_assert_str_eq(c.token, ""); /* removed from the PAM environment */
	ck_assert_uint_eq(ph_sessions("alice"), 0);
	ck_assert_int_eq(ph_sql_long("SELECT count(*) FROM sessions"), 0);
}
END_TEST

START_TEST(test_session_no_items)
{
	struct ph_call c = session_call("la", NULL, NULL);
	struct la_session s;

	PH_RUN(&c, pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS));
	s = session_of(c.token);
	ck_assert_str_eq(s.source, "la");
	ck_assert_str_eq(s.tty, "");
	ck_assert_str_eq(s.rhost, "");
	PH_ONCE(&c, pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS));
	ck_assert_uint_eq(ph_sessions("alice"), 0);
}
END_TEST

/* Close in another handle (sshd: another process) that has the token in
 * its PAM environment but no module data; the origin differs, so only the
 * token can find the row. */
START_TEST(test_session_close_by_env)
{
	struct ph_call c = session_call("la", "pts/7", "192.0.2.1");
	struct la_origin elsewhere = { "la", "pts/9", "192.0.2.1" };
	struct la_session s;
	char token[LA_TOKEN_BUF], other[LA_TOKEN_BUF], env[LA_TOKEN_BUF + 32];

	PH_ONCE(&c, pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS));
	snprintf(token, sizeof(token), "%s", c.token);
	ck_assert_uint_eq(ph_sessions("alice"), 1); /* pam_end does not close it */
	LA_OK_OR_FAIL(la_session_create(ph_st, ph_alice.id, &elsewhere, other, &s));
	snprintf(env, sizeof(env), ENV_TOKEN "=%s", token);
	c = session_call("la", "pts/9", "192.0.2.1");
	c.env = env;
	PH_ONCE(&c, pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS));
	ck_assert_int_eq(la_session_get(ph_st, token, &s, NULL), LA_E_NOSESSION);
	(void)session_of(other);
}
END_TEST

/* Close in another handle with neither module data nor the token: the row
 * opened from the same (service, tty, rhost) goes, and only that one. */
START_TEST(test_session_close_by_origin)
{
	struct ph_call c = session_call("la", "pts/7", "192.0.2.1");
	struct la_origin tty8 = { "la", "pts/8", "192.0.2.1" }, web = { NULL, NULL, "192.0.2.1" },
			 sshd = { "sshd", "pts/7", "192.0.2.1" };
	char token[LA_TOKEN_BUF], t8[LA_TOKEN_BUF], tw[LA_TOKEN_BUF], ts[LA_TOKEN_BUF];
	struct la_session s;

	PH_ONCE(&c, pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS));
	snprintf(token, sizeof(token), "%s", c.token);
	LA_OK_OR_FAIL(la_session_create(ph_st, ph_alice.id, &tty8, t8, &s));
	LA_OK_OR_FAIL(la_session_create(ph_st, ph_alice.id, &web, tw, &s));
	LA_OK_OR_FAIL(la_session_create(ph_st, ph_alice.id, &sshd, ts, &s));
	c = session_call("la", "pts/7", "192.0.2.1");
	PH_ONCE(&c, pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS));
	ck_assert_int_eq(la_session_get(ph_st, token, &s, NULL), LA_E_NOSESSION);
	(void)session_of(t8);
	(void)session_of(tw);
	(void)session_of(ts);
	/* Nothing left from that origin: still a success, nothing else goes. */
	c = session_call("la", "pts/7", "192.0.2.1");
	PH_ONCE(&c, pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS));
	ck_assert_uint_eq(ph_sessions("alice"), 3);
}
END_TEST

/* Open and close in two processes (sshd's privilege separation): the
 * closer has neither module data nor the opener's PAM environment.  (The
 * opener is the child: a child forked after pam_wrapper's set-up reports
 * pam_wrapper's own strings as leaked.) */
static int open_in_child(unsigned i)
{
	struct ph_call c = session_call("la", "pts/7", "192.0.2.1");
	int r;

	(void)i;
	r = ph_op(&c, PAMTEST_OPEN_SESSION, 0);
	ph_end(&c);
	return r == PAM_SUCCESS && strlen(c.token) == LA_TOKEN_LEN ? 0 : 1;
}

START_TEST(test_session_two_processes)
{
	struct ph_call c = session_call("la", "pts/7", "192.0.2.1");

	ph_parallel(1, open_in_child);
	ck_assert_uint_eq(ph_sessions("alice"), 1);
	PH_ONCE(&c, pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS));
	ck_assert_uint_eq(ph_sessions("alice"), 0);
}
END_TEST

/* Closing in another handle is the normal case under sshd; it must not
 * log errors (admins watch LOG_ERR).  The same with noenv. */
START_TEST(test_session_close_logs_no_error)
{
	static const char *const services[] = { "la", "la_noenv" };

	for (size_t i = 0; i < 2; i++) {
		struct ph_call c = session_call(services[i], "pts/7", "192.0.2.1");

		PH_ONCE(&c, pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS));
		c = session_call(services[i], "pts/7", "192.0.2.1");
		c.capture_log = true;
		PH_ONCE(&c, pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS));
		ck_assert_uint_eq(ph_sessions("alice"), 0);
		ck_assert_msg(!ph_match(c.log, "SYSLOG\\([0-3]\\)"),
			      "%s: close_session logged an error:\n%s", services[i], c.log);
	}
}
END_TEST

START_TEST(test_session_noenv)
{
	struct ph_call c = session_call("la_noenv", "pts/7", "192.0.2.1");

	PH_RUN(&c, pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS));
	ck_assert_str_eq(c.token, "");
	ck_assert_uint_eq(ph_sessions("alice"), 1);
	/* Same handle: the module's own copy of the token. */
	PH_ONCE(&c, pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS));
	ck_assert_uint_eq(ph_sessions("alice"), 0);
	/* Other handle: the origin. */
	c = session_call("la_noenv", "pts/7", "192.0.2.1");
	PH_ONCE(&c, pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS));
	ck_assert_uint_eq(ph_sessions("alice"), 1);
	c = session_call("la_noenv", "pts/7", "192.0.2.1");
	PH_ONCE(&c, pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS));
	ck_assert_uint_eq(ph_sessions("alice"), 0);
}
END_TEST

START_TEST(test_session_already_gone)
{
	struct ph_call c = session_call("la", "pts/7", "192.0.2.1");
	unsigned n = 0;

	PH_RUN(&c, pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS));
	LA_OK_OR_FAIL(la_session_revoke_user(ph_st, "alice", NULL, &n));
	ck_assert_uint_eq(n, 1);
	PH_ONCE(&c, pam_test(PAMTEST_CLOSE_SESSION, PAM_SUCCESS));
}
END_TEST

START_TEST(test_session_not_ours)
{
	struct ph_call c = session_call("la", "pts/7", NULL);

	c.user = "nosuchuser";
	PH_ONCE(&c, pam_test(PAMTEST_OPEN_SESSION, PAM_IGNORE),
		pam_test(PAMTEST_CLOSE_SESSION, PAM_IGNORE));
	ck_assert_str_eq(c.token, "");
	c = session_call("la_unknown_ok", "pts/7", NULL);
	c.user = "root";
	PH_ONCE(&c, pam_test(PAMTEST_OPEN_SESSION, PAM_IGNORE),
		pam_test(PAMTEST_CLOSE_SESSION, PAM_IGNORE));
	ck_assert_int_eq(ph_sql_long("SELECT count(*) FROM sessions"), 0);
}
END_TEST

/* ---- password ------------------------------------------------------------------ */

START_TEST(test_chauthtok_root_without_old)
{
	struct ph_call c = CALL("la", "alice", PW_NEW, PW_NEW);
	int64_t before = ph_user("alice").password_changed_ms;

	if (getuid() != 0) {
		ph_skip("chauthtok as root", "not running as root; the unprivileged branch is "
					     "test_chauthtok_old_required");
		return;
	}
	PH_ONCE(&c, pam_test(PAMTEST_CHAUTHTOK, PAM_SUCCESS));
	ck_assert_uint_eq(c.prompts, 2);
	ck_assert_match(c.conv, "^P:New password: $");
	ck_assert_match(c.conv, "^P:Retype new password: $");
	ck_assert(ph_password_is("alice", PW_NEW));
	ck_assert(!ph_password_is("alice", PW));
	ck_assert_int_ge(ph_user("alice").password_changed_ms, before);
	ck_assert_pam(auth_rc("la", "alice", PW_NEW, 0), PAM_SUCCESS);
	ck_assert_pam(auth_rc("la", "alice", PW, 0), PAM_AUTH_ERR);
}
END_TEST

static bool refused_old(int r)
{
	return r == PAM_AUTH_ERR || r == PAM_AUTHTOK_ERR || r == PAM_AUTHTOK_RECOVERY_ERR ||
	       r == PAM_PERM_DENIED;
}

/* Runs as a non-root uid (child): errors are returned, not asserted. */
static const char *old_required(const void *arg)
{
	static char why[8192];
	const char *service = arg;
	struct ph_call c = CALL(service, "alice", WRONG, PW_NEW, PW_NEW);
	int r;

	/* Wrong old password: refused in the PRELIM pass, new one never asked. */
	r = ph_op(&c, PAMTEST_CHAUTHTOK, 0);
	ph_end(&c);
	if (!refused_old(r) || c.prompts != 1) {
		snprintf(why, sizeof(why), "wrong old password: %s after %u prompts\n%s",
			 ph_code_name(r), c.prompts, c.conv);
		return why;
	}
	c = CALL(service, "alice", PW, PW_NEW, PW_NEW);
	r = ph_op(&c, PAMTEST_CHAUTHTOK, 0);
	ph_end(&c);
	if (r != PAM_SUCCESS || c.prompts != 3) {
		snprintf(why, sizeof(why), "change: %s after %u prompts\n%s", ph_code_name(r),
			 c.prompts, c.conv);
		return why;
	}
	/* The new password must not be the old one. */
	c = CALL(service, "alice", PW_NEW, PW_NEW, PW_NEW);
	r = ph_op(&c, PAMTEST_CHAUTHTOK, 0);
	ph_end(&c);
	if (r != PAM_AUTHTOK_ERR || !ph_match(c.conv, "^E:BAD PASSWORD: .*old")) {
		snprintf(why, sizeof(why), "new = old: %s\n%s", ph_code_name(r), c.conv);
		return why;
	}
	return NULL;
}

START_TEST(test_chauthtok_old_required)
{
	/* uid 65534 cannot read the build tree everywhere: la_drop names a
	 * copy of the module inside R. */
	if (!ph_unprivileged(old_required, getuid() == 0 ? "la_drop" : "la", true))
		return;
	ck_assert(ph_password_is("alice", PW_NEW));
	/* The wrong old password counted as a failure, the right one cleared it. */
	ck_assert_uint_eq(ph_user("alice").failures, 0);
}
END_TEST

/* PAM_CHANGE_EXPIRED_AUTHTOK: the old password even from root. */
START_TEST(test_chauthtok_expired_needs_old)
{
	struct ph_call c = CALL("la", "alice", WRONG, PW_NEW, PW_NEW);
	int r;

	r = ph_op(&c, PAMTEST_CHAUTHTOK, PAM_CHANGE_EXPIRED_AUTHTOK);
	ph_end(&c);
	ck_assert_msg(refused_old(r), "wrong old password: %s", ph_code_name(r));
	ck_assert_uint_eq(c.prompts, 1);
	ck_assert_uint_eq(ph_user("alice").failures, 1);
	ck_assert(ph_password_is("alice", PW));
	c = CALL("la", "alice", PW, PW_NEW, PW_NEW);
	PH_ONCE(&c, pam_test_flags(PAMTEST_CHAUTHTOK, PAM_SUCCESS, PAM_CHANGE_EXPIRED_AUTHTOK));
	ck_assert_uint_eq(c.prompts, 3);
	ck_assert(ph_password_is("alice", PW_NEW));
	/* new = old */
	c = CALL("la", "alice", PW_NEW, PW_NEW, PW_NEW);
	PH_ONCE(&c, pam_test_flags(PAMTEST_CHAUTHTOK, PAM_AUTHTOK_ERR, PAM_CHANGE_EXPIRED_AUTHTOK));
	ck_assert_match(c.conv, "^E:BAD PASSWORD: .*old");
}
END_TEST

/* One refused change: AUTHTOK_ERR, the reason shown, nothing changed. */
static void refused(const char *service, const char *user, const char *pw, const char *reason)
{
	struct ph_call c = CALL(service, user);

	change_answers(&c, PW, pw, pw);
	PH_ONCE(&c, pam_test(PAMTEST_CHAUTHTOK, PAM_AUTHTOK_ERR));
	ck_assert_match(c.conv, reason);
	ck_assert(ph_password_is(user, PW));
	/* PAM_SILENT: refused the same, without the message. */
	c = CALL(service, user);
	change_answers(&c, PW, pw, pw);
	PH_ONCE(&c, pam_test_flags(PAMTEST_CHAUTHTOK, PAM_AUTHTOK_ERR, PAM_SILENT));
	ck_assert_no_match(c.conv, "^E:");
	ck_assert(ph_password_is(user, PW));
}

START_TEST(test_chauthtok_policy)
{
	char long_pw[LA_PASSWORD_MAX + 2];
	struct ph_call c;

	refused("la", "alice", "seven77", "^E:BAD PASSWORD: .*short");
	refused("la_pwmin", "alice", "elevenchars", "^E:BAD PASSWORD: .*short");
	memset(long_pw, 'a', LA_PASSWORD_MAX + 1);
	long_pw[LA_PASSWORD_MAX + 1] = '\0';
	refused("la", "alice", long_pw, "^E:BAD PASSWORD: .*long");
	ph_add_user("carolina8", PW, NULL);
	refused("la", "carolina8", "carolina8", "^E:BAD PASSWORD: .*user name");
	/* The retyped password differs. */
	c = CALL("la", "alice");
	change_answers(&c, PW, PW_NEW, "battery stapl3");
	ck_assert_int_ne(ph_op(&c, PAMTEST_CHAUTHTOK, 0), PAM_SUCCESS);
	ph_end(&c);
	ck_assert(ph_password_is("alice", PW));
	/* The limits themselves are fine: 12 with password_min=12, 256. */
	c = CALL("la_pwmin", "alice");
	change_answers(&c, PW, "twelve chars", "twelve chars");
	PH_ONCE(&c, pam_test(PAMTEST_CHAUTHTOK, PAM_SUCCESS));
	ck_assert(ph_password_is("alice", "twelve chars"));
	long_pw[LA_PASSWORD_MAX] = '\0';
	c = CALL("la", "alice");
	change_answers(&c, "twelve chars", long_pw, long_pw);
	PH_ONCE(&c, pam_test(PAMTEST_CHAUTHTOK, PAM_SUCCESS));
	ck_assert(ph_password_is("alice", long_pw));
}
END_TEST

START_TEST(test_chauthtok_revoke_sessions)
{
	struct la_origin web = { NULL, NULL, "192.0.2.1" };
	char t1[LA_TOKEN_BUF], t2[LA_TOKEN_BUF], mine[LA_TOKEN_BUF];
	struct ph_call c = session_call("la", "pts/7", NULL);
	struct la_session s;

	LA_OK_OR_FAIL(la_session_create(ph_st, ph_alice.id, &web, t1, &s));
	LA_OK_OR_FAIL(la_session_create(ph_st, ph_alice.id, &web, t2, &s));
	/* Without the option every session stays. */
	change_answers(&c, PW, PW_NEW, PW_NEW);
	PH_ONCE(&c, pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
		pam_test(PAMTEST_CHAUTHTOK, PAM_SUCCESS));
	ck_assert_uint_eq(ph_sessions("alice"), 3);
	/* With it only the session the change is made from stays. */
	c = session_call("la_revoke", "pts/7", NULL);
	change_answers(&c, PW_NEW, PW, PW);
	PH_RUN(&c, pam_test(PAMTEST_OPEN_SESSION, PAM_SUCCESS),
	       pam_test(PAMTEST_CHAUTHTOK, PAM_SUCCESS));
	snprintf(mine, sizeof(mine), "%s", c.token);
	ph_end(&c);
	ck_assert_uint_eq(ph_sessions("alice"), 1);
	(void)session_of(mine);
	ck_assert_int_eq(la_session_get(ph_st, t1, &s, NULL), LA_E_NOSESSION);
	ck_assert_int_eq(la_session_get(ph_st, t2, &s, NULL), LA_E_NOSESSION);
}
END_TEST

START_TEST(test_chauthtok_not_ours)
{
	struct ph_call c = CALL("la", "nosuchuser", PW, PW_NEW, PW_NEW);

	PH_ONCE(&c, pam_test(PAMTEST_CHAUTHTOK, PAM_IGNORE));
	ck_assert_uint_eq(c.prompts, 0);
	c = CALL("la", "root", PW, PW_NEW, PW_NEW);
	PH_ONCE(&c, pam_test(PAMTEST_CHAUTHTOK, PAM_IGNORE));
	ck_assert_uint_eq(c.prompts, 0);
}
END_TEST

START_TEST(test_chauthtok_use_authtok)
{
	struct ph_call c;

	if (!*ph.set_items) {
		ph_skip("use_authtok", "pam_set_items.so missing");
		return;
	}
	/* The new (and old) password from an earlier module, no prompt. */
	setenv("PAM_OLDAUTHTOK", PW, 1);
	setenv("PAM_AUTHTOK", PW_NEW, 1);
	c = CALL("la_authtok", "alice", "not asked", "not asked", "not asked");
	PH_ONCE(&c, pam_test(PAMTEST_CHAUTHTOK, PAM_SUCCESS));
	ck_assert_uint_eq(c.prompts, 0);
	ck_assert(ph_password_is("alice", PW_NEW));
	/* use_authtok without an earlier new password: refused, not asked. */
	unsetenv("PAM_AUTHTOK");
	setenv("PAM_OLDAUTHTOK", PW_NEW, 1);
	c = CALL("la_authtok", "alice", "fresh password", "fresh password");
	ck_assert_int_ne(ph_op(&c, PAMTEST_CHAUTHTOK, 0), PAM_SUCCESS);
	ph_end(&c);
	ck_assert_uint_eq(c.prompts, 0);
	ck_assert(ph_password_is("alice", PW_NEW));
	unsetenv("PAM_OLDAUTHTOK");
}
END_TEST

/* ---- suite ---------------------------------------------------------------------- */

static Suite *suite_pam(void)
{
	const TTest *const exports[] = { test_exports_only_pam_sm, test_exports_dlsym };
	const TTest *const auth[] = {
		test_auth_success,
		test_auth_wrong_password,
		test_auth_nodelay,
		test_auth_empty_password,
		test_auth_unknown_user,
		test_auth_unknown_user_same_work,
		test_auth_root_never,
		test_auth_local_name_never,
		test_auth_uid_out_of_range_never,
		test_auth_no_password_key,
		test_auth_user_from_prompt,
		test_auth_conversation_fails,
		test_auth_use_first_pass,
		test_auth_try_first_pass,
		test_auth_options_logged_and_ignored,
		test_auth_failure_log,
		test_setcred,
	};
	const TTest *const store[] = {
		test_store_missing_dir,	  test_store_missing_config, test_store_corrupt,
		test_store_world_writable, test_store_unreadable_by_caller, test_no_config_argument,
	};
	const TTest *const lockout[] = {
		test_lockout_deny_then_unlock,
		test_lockout_fail_interval,
		test_lockout_success_resets,
		test_lockout_counts_concurrent_failures,
		test_rehash_lucia_v2,
		test_rehash_argon2_cost,
	};
	const TTest *const account[] = {
		test_account_states,
		test_account_unknown,
		test_account_expires_with_clock,
		test_account_must_change_flow,
	};
	const TTest *const session[] = {
		test_session_open_close,    test_session_no_items,	test_session_close_by_env,
		test_session_close_by_origin, test_session_two_processes,
		test_session_close_logs_no_error, test_session_noenv,	test_session_already_gone,
		test_session_not_ours,
	};
	const TTest *const password[] = {
		test_chauthtok_root_without_old, test_chauthtok_old_required,
		test_chauthtok_expired_needs_old, test_chauthtok_policy,
		test_chauthtok_revoke_sessions,	 test_chauthtok_not_ours,
		test_chauthtok_use_authtok,
	};
	Suite *s = suite_create("pam");

	PH_TCASE(s, "exports", exports);
	PH_TCASE(s, "auth", auth);
	PH_TCASE(s, "store", store);
	PH_TCASE(s, "lockout", lockout);
	PH_TCASE(s, "account", account);
	PH_TCASE(s, "session", session);
	PH_TCASE(s, "password", password);
	return s;
}

int main(int argc, char **argv)
{
	SRunner *sr;
	int failed;

	ph_init(argc, argv);
	sr = srunner_create(suite_pam());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	ph_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * pam_harness_pam.c - the PAM side of tests/check_pam: the conversation,
 * driving libpam through libpamtest, and other processes (unprivileged
 * children, concurrent handles).  See pam_harness.h.
 */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <link.h>
#include <regex.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "pam_harness.h"
#include "pam_harness_int.h"

/* ---- the PAM side -------------------------------------------------------- */

const char *ph_code_name(int code)
{
	static const char *const names[] = {
		"PAM_SUCCESS", "PAM_OPEN_ERR", "PAM_SYMBOL_ERR", "PAM_SERVICE_ERR",
		"PAM_SYSTEM_ERR", "PAM_BUF_ERR", "PAM_PERM_DENIED", "PAM_AUTH_ERR",
		"PAM_CRED_INSUFFICIENT", "PAM_AUTHINFO_UNAVAIL", "PAM_USER_UNKNOWN",
		"PAM_MAXTRIES", "PAM_NEW_AUTHTOK_REQD", "PAM_ACCT_EXPIRED", "PAM_SESSION_ERR",
		"PAM_CRED_UNAVAIL", "PAM_CRED_EXPIRED", "PAM_CRED_ERR", "PAM_NO_MODULE_DATA",
		"PAM_CONV_ERR", "PAM_AUTHTOK_ERR", "PAM_AUTHTOK_RECOVERY_ERR",
		"PAM_AUTHTOK_LOCK_BUSY", "PAM_AUTHTOK_DISABLE_AGING", "PAM_TRY_AGAIN",
		"PAM_IGNORE", "PAM_ABORT", "PAM_AUTHTOK_EXPIRED", "PAM_MODULE_UNKNOWN",
		"PAM_BAD_ITEM", "PAM_CONV_AGAIN", "PAM_INCOMPLETE",
	};

	return code >= 0 && (size_t)code < sizeof(names) / sizeof(names[0]) ? names[code] : "?";
}

static const char *op_name(enum pamtest_ops op)
{
	switch (op) {
	case PAMTEST_AUTHENTICATE:
		return "pam_authenticate";
	case PAMTEST_SETCRED:
		return "pam_setcred";
	case PAMTEST_ACCOUNT:
		return "pam_acct_mgmt";
	case PAMTEST_OPEN_SESSION:
		return "pam_open_session";
	case PAMTEST_CLOSE_SESSION:
		return "pam_close_session";
	case PAMTEST_CHAUTHTOK:
		return "pam_chauthtok";
	case PAMTEST_GETENVLIST:
		return "pam_getenvlist";
	case PAMTEST_KEEPHANDLE:
		return "keep handle";
	}
	return "?";
}

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *appdata)
{
	struct ph_call *c = appdata;
	struct pam_response *r;
	bool asked = false;

	if (n <= 0 || n > PAM_MAX_NUM_MSG || !resp)
		return PAM_CONV_ERR;
	if (c->conv_again)
		return PAM_CONV_AGAIN;
	r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		const char *text = msg[i]->msg ? msg[i]->msg : "(null)", *answer = NULL;

		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
			ph_append(c->conv, sizeof(c->conv), "P:%s\n", text);
			if (c->prompts < sizeof(c->answers) / sizeof(c->answers[0]))
				answer = c->answers[c->prompts];
			if (!answer)
				c->conv_errors++;
			else
				c->prompts++;
			break;
		case PAM_PROMPT_ECHO_ON:
			ph_append(c->conv, sizeof(c->conv), "U:%s\n", text);
			answer = c->echo_on;
			if (!answer)
				c->conv_errors++;
			break;
		case PAM_ERROR_MSG:
			ph_append(c->conv, sizeof(c->conv), "E:%s\n", text);
			break;
		case PAM_TEXT_INFO:
			/* pam_debug.so saying which code it returns (SENTINEL) */
			if (!strstr(text, "=module_unknown"))
				ph_append(c->conv, sizeof(c->conv), "I:%s\n", text);
			break;
		default:
			ph_append(c->conv, sizeof(c->conv), "?:%s\n", text);
			break;
		}
		if ((msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
		     msg[i]->msg_style == PAM_PROMPT_ECHO_ON) &&
		    !answer) {
			for (int j = 0; j < i; j++)
				free(r[j].resp);
			free(r);
			return PAM_CONV_ERR;
		}
		if (answer && !(r[i].resp = strdup(answer))) {
			for (int j = 0; j < i; j++)
				free(r[j].resp);
			free(r);
			return PAM_BUF_ERR;
		}
	}
	for (int i = 0; i < n; i++)
		if (r[i].resp)
			asked = true;
	if (!asked) {
		/* Nothing to answer: some modules (pam_debug) never free it. */
		free(r);
		r = NULL;
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* libpam calls this instead of sleeping after a failure (PAM_FAIL_DELAY). */
static void fail_delay(int status, unsigned usec, void *appdata)
{
	struct ph_call *c = appdata;

	if (!c)
		return;
	c->delay_calls++;
	c->delay_status = status;
	c->delay_usec = usec;
}

int ph_start(struct ph_call *c)
{
	struct pam_conv cv = { conv, c };
	union {
		void (*fn)(int, unsigned, void *);
		const void *p;
	} delay = { .fn = fail_delay };
	int r;

	if (c->pamh)
		return PAM_SUCCESS;
	r = pam_start(c->service, c->user, &cv, &c->pamh);
	if (r != PAM_SUCCESS)
		return r;
	if (r == PAM_SUCCESS && c->tty)
		r = pam_set_item(c->pamh, PAM_TTY, c->tty);
	if (r == PAM_SUCCESS && c->rhost)
		r = pam_set_item(c->pamh, PAM_RHOST, c->rhost);
	if (r == PAM_SUCCESS && c->ruser)
		r = pam_set_item(c->pamh, PAM_RUSER, c->ruser);
	if (r == PAM_SUCCESS)
		r = pam_set_item(c->pamh, PAM_FAIL_DELAY, delay.p);
	if (r == PAM_SUCCESS && c->env)
		r = pam_putenv(c->pamh, c->env);
	return r;
}

/* stderr goes to a file while PAM runs; pam_wrapper writes the module's
 * pam_syslog() lines there ("PWRAP_...: SYSLOG(prio): text"). */
struct capture {
	int saved;
	char path[PATH_MAX];
	char *level;
};

static void capture_begin(const struct ph_call *c, struct capture *k)
{
	const char *lvl = getenv("PAM_WRAPPER_DEBUGLEVEL");
	int fd;

	k->saved = -1;
	if (!c->capture_log)
		return;
	k->level = lvl ? strdup(lvl) : NULL;
	ph_fmt(k->path, sizeof(k->path), "%s/log.%ld", ph.root, (long)getpid());
	fflush(stderr);
	fd = open(k->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_msg(fd >= 0, "%s: %s", k->path, strerror(errno));
	k->saved = dup(2);
	ck_assert_int_ge(k->saved, 0);
	dup2(fd, 2);
	close(fd);
	/* 3 = every pam_syslog priority, LOG_DEBUG included. */
	setenv("PAM_WRAPPER_DEBUGLEVEL", "3", 1);
}

/* Keeps only the SYSLOG lines: pam_wrapper's own trace shows items, the
 * password included, which is not the module's doing. */
static void capture_end(struct ph_call *c, struct capture *k)
{
	char line[2048];
	FILE *f;

	if (k->saved < 0)
		return;
	fflush(stderr);
	dup2(k->saved, 2);
	close(k->saved);
	if (k->level)
		setenv("PAM_WRAPPER_DEBUGLEVEL", k->level, 1);
	else
		unsetenv("PAM_WRAPPER_DEBUGLEVEL");
	free(k->level);
	f = fopen(k->path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		const char *s = strstr(line, "SYSLOG(");

		if (s)
			ph_append(c->log, sizeof(c->log), "%s", s);
	}
	if (f)
		fclose(f);
	unlink(k->path);
}

static void read_token(struct ph_call *c)
{
	const char *t = c->pamh ? pam_getenv(c->pamh, ENV_TOKEN) : NULL;

	snprintf(c->token, sizeof(c->token), "%s", t ? t : "");
}

void ph_run_at(struct ph_call *c, struct pam_testcase *t, size_t n, const char *file, int line)
{
	struct pam_testcase all[16];
	const struct pam_testcase *bad;
	struct capture k;
	enum pamtest_err e;
	int r;

	ck_assert_uint_lt(n, sizeof(all) / sizeof(all[0]));
	r = ph_start(c);
	ck_assert_msg(r == PAM_SUCCESS, "%s:%d: pam_start(%s, %s) = %s", file, line, c->service,
		      c->user ? c->user : "(null)", ph_code_name(r));
	memcpy(all, t, n * sizeof(*t));
	for (size_t i = 0; i < n; i++)
		if (all[i].expected_rv == PAM_IGNORE) /* see SENTINEL */
			all[i].expected_rv = PAM_MODULE_UNKNOWN;
	all[n] = (struct pam_testcase)pam_test(PAMTEST_KEEPHANDLE, 0);
	capture_begin(c, &k);
	e = _pamtest_conv(c->service, c->user, conv, c, all, n + 1, c->pamh);
	capture_end(c, &k);
	for (size_t i = 0; i < n + 1; i++) {
		if (all[i].expected_rv == PAM_MODULE_UNKNOWN)
			all[i].expected_rv = PAM_IGNORE;
		if (all[i].op_rv == PAM_MODULE_UNKNOWN)
			all[i].op_rv = PAM_IGNORE;
	}
	memcpy(t, all, n * sizeof(*t));
	if (e == PAMTEST_ERR_CASE) {
		/* libpamtest has ended the handle. */
		c->pamh = NULL;
		bad = _pamtest_failed_case(all, n + 1);
		ck_abort_msg("%s:%d: %s(%s, %s) = %s (%d), expected %s (%d)\nconversation:\n%s"
			     "log:\n%s",
			     file, line, bad ? op_name(bad->pam_operation) : "?", c->service,
			     c->user ? c->user : "(null)", bad ? ph_code_name(bad->op_rv) : "?",
			     bad ? bad->op_rv : -1, bad ? ph_code_name(bad->expected_rv) : "?",
			     bad ? bad->expected_rv : -1, c->conv, c->log);
	}
	ck_assert_msg(e == PAMTEST_ERR_OK, "%s:%d: libpamtest: %s", file, line,
		      pamtest_strerror(e));
	read_token(c);
}

int ph_op(struct ph_call *c, enum pamtest_ops op, int flags)
{
	struct capture k;
	int r = ph_start(c);

	if (r != PAM_SUCCESS)
		return r;
	capture_begin(c, &k);
	switch (op) {
	case PAMTEST_AUTHENTICATE:
		r = pam_authenticate(c->pamh, flags);
		break;
	case PAMTEST_SETCRED:
		r = pam_setcred(c->pamh, flags);
		break;
	case PAMTEST_ACCOUNT:
		r = pam_acct_mgmt(c->pamh, flags);
		break;
	case PAMTEST_OPEN_SESSION:
		r = pam_open_session(c->pamh, flags);
		break;
	case PAMTEST_CLOSE_SESSION:
		r = pam_close_session(c->pamh, flags);
		break;
	case PAMTEST_CHAUTHTOK:
		r = pam_chauthtok(c->pamh, flags);
		break;
	case PAMTEST_GETENVLIST:
	case PAMTEST_KEEPHANDLE:
		r = PAM_SYSTEM_ERR;
		break;
	}
	capture_end(c, &k);
	read_token(c);
	return r == PAM_MODULE_UNKNOWN ? PAM_IGNORE : r; /* see SENTINEL */
}

void ph_end(struct ph_call *c)
{
	if (c->pamh)
		pam_end(c->pamh, PAM_SUCCESS);
	c->pamh = NULL;
}

bool ph_match(const char *text, const char *re)
{
	regex_t rx;
	bool m;

	ck_assert_msg(regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE | REG_NOSUB) == 0, "bad regex %s",
		      re);
	m = regexec(&rx, text, 0, NULL, 0) == 0;
	regfree(&rx);
	return m;
}

/* ---- other processes ------------------------------------------------------ */

/* No SQLite handle crosses a fork (nor shows up as a leak of the child):
 * ph_st is closed before and reopened after. */
static struct la_config fork_cfg;

static void store_close_for_fork(void)
{
	fork_cfg = *la_store_config(ph_st);
	la_store_close(ph_st);
	ph_st = NULL;
}

static void store_reopen_after_fork(void)
{
	la_rc rc = la_store_open(&fork_cfg, 0, &ph_st);

	ck_assert_msg(rc == LA_OK, "reopen: %s", la_store_errmsg(ph_st));
}

bool ph_unprivileged(ph_unpriv_fn fn, const void *arg, bool own_state)
{
	char *msg;
	const char *err;
	pid_t pid;
	int status = 0;
	char path[PATH_MAX];

	if (getuid() != 0) {
		err = fn(arg);
		ck_assert_msg(err == NULL, "as uid %ld: %s", (long)getuid(), err);
		return true;
	}
	msg = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(msg, MAP_FAILED);
	msg[0] = '\0';
	store_close_for_fork();
	if (own_state)
		ck_assert_msg(ph_chown_r(ph.state, NOBODY, NOBODY), "chown %s: %s", ph.state,
			      strerror(errno));
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (setgroups(0, NULL) != 0 || setresgid(NOBODY, NOBODY, NOBODY) != 0 ||
		    setresuid(NOBODY, NOBODY, NOBODY) != 0) {
			snprintf(msg, 4096, "cannot drop to uid %u: %s", NOBODY, strerror(errno));
			exit(1);
		}
		ph_fmt(path, sizeof(path), "%s/lib/pam_luciaauth.so", ph.root);
		if (access(path, R_OK) != 0 || access(ph.conf, R_OK) != 0 ||
		    access(ph.services, R_OK | X_OK) != 0 || access("/tmp", W_OK | X_OK) != 0) {
			snprintf(msg, 4096, "uid %u cannot reach %s (parent directories not "
					    "searchable?)", NOBODY, ph.root);
			exit(77);
		}
		err = fn(arg);
		if (err)
			snprintf(msg, 4096, "%s", err);
		/* exit(), not _exit(): pam_wrapper's destructor removes its copy. */
		exit(err ? 1 : 0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (own_state)
		ck_assert_msg(ph_chown_r(ph.state, 0, 0), "chown %s back: %s", ph.state,
			      strerror(errno));
	store_reopen_after_fork();
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		ph_skip("unprivileged", msg);
		munmap(msg, 4096);
		return false;
	}
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "as uid %u: %s (status %d)",
		      NOBODY, msg[0] ? msg : "child died", status);
	munmap(msg, 4096);
	return true;
}

static int nop_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *d)
{
	(void)n;
	(void)msg;
	(void)resp;
	(void)d;
	return PAM_CONV_ERR;
}

/* pam_wrapper picks its /tmp/pam.X copy racily ("Failed to create
 * pam_wrapper config dir ... File exists" and exit(1) when two processes
 * start at once): children set it up one at a time, under a lock, with a
 * throw-away handle, before they run concurrently. */
static void child_wrapper_init(void)
{
	struct pam_conv cv = { nop_conv, NULL };
	pam_handle_t *h = NULL;
	char path[PATH_MAX];
	int fd;

	ph_fmt(path, sizeof(path), "%s/fork.lock", ph.root);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		flock(fd, LOCK_EX);
	if (pam_start("other", "nobody", &cv, &h) == PAM_SUCCESS)
		pam_end(h, PAM_SUCCESS);
	if (fd >= 0)
		close(fd); /* unlocks */
}

void ph_parallel(unsigned n, int (*fn)(unsigned i))
{
	pid_t pids[32];
	unsigned bad = 0;
	char why[512] = "";

	ck_assert_uint_le(n, 32);
	store_close_for_fork();
	fflush(NULL);
	for (unsigned i = 0; i < n; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			child_wrapper_init();
			exit(fn(i)); /* exit(): see ph_unprivileged */
		}
	}
	for (unsigned i = 0; i < n; i++) {
		int status = 0;

		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			bad++;
			ph_append(why, sizeof(why), " child %u: status 0x%x;", i, (unsigned)status);
		}
	}
	store_reopen_after_fork();
	ck_assert_msg(bad == 0, "%u of %u children failed:%s", bad, n, why);
}

/*
 * check_nss.c - the NSS module libnss_luciaauth.so.2, loaded with dlopen()
 * and pointed at the fixture's snapshot: every entry point, found and not
 * found, every buffer size up to the exact one (exact-size heap buffers, so
 * that ASan and valgrind see an off-by-one), enumeration retries, initgroups
 * growth and limits, a republished snapshot, fork and threads, and the
 * symbols and libraries of the module itself.
 *
 * The people of the tests: nss_people() in check_nss_fixture.c.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_nss.h"
#include "la_snapshot.h"

#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#else
#define RUNNING_ON_VALGRIND   0
#define VALGRIND_COUNT_ERRORS 0
#endif

/* ---- buffer sizes --------------------------------------------------- */

/* One lookup with a buffer: the entry point under test, bound to its key. */
struct call {
	enum nss_status (*fn)(struct call *c, char *buf, size_t len, int *errnop);
	const char *name;
	uint32_t id;
	union {
		struct passwd pw;
		struct group gr;
		struct spwd sp;
	} out;
};

static enum nss_status call_pwnam(struct call *c, char *buf, size_t len, int *e)
{
	return nss.getpwnam_r(c->name, &c->out.pw, buf, len, e);
}

static enum nss_status call_pwuid(struct call *c, char *buf, size_t len, int *e)
{
	return nss.getpwuid_r(c->id, &c->out.pw, buf, len, e);
}

static enum nss_status call_pwent(struct call *c, char *buf, size_t len, int *e)
{
	return nss.getpwent_r(&c->out.pw, buf, len, e);
}

static enum nss_status call_grnam(struct call *c, char *buf, size_t len, int *e)
{
	return nss.getgrnam_r(c->name, &c->out.gr, buf, len, e);
}

static enum nss_status call_grgid(struct call *c, char *buf, size_t len, int *e)
{
	return nss.getgrgid_r(c->id, &c->out.gr, buf, len, e);
}

static enum nss_status call_grent(struct call *c, char *buf, size_t len, int *e)
{
	return nss.getgrent_r(&c->out.gr, buf, len, e);
}

static enum nss_status call_spnam(struct call *c, char *buf, size_t len, int *e)
{
	return nss.getspnam_r(c->name, &c->out.sp, buf, len, e);
}

static enum nss_status call_spent(struct call *c, char *buf, size_t len, int *e)
{
	return nss.getspent_r(&c->out.sp, buf, len, e);
}

/* Every size below exact is ERANGE + TRYAGAIN, exact succeeds; each call
 * gets a heap block of exactly that size.  Returns the last buffer, with
 * c->out filled in. */
static char *sizes(struct call *c, size_t exact)
{
	for (size_t len = 0;; len++) {
		char *buf = malloc(len);
		int errnop = 0;
		enum nss_status st;

		ck_assert(buf != NULL || len == 0);
		st = c->fn(c, buf, len, &errnop);
		if (len == exact) {
			ck_assert_msg(st == NSS_STATUS_SUCCESS, "%s: size %zu: status %d", c->name,
				      len, st);
			nss_keep(buf); /* c->out points into it */
			return buf;
		}
		ck_assert_msg(st == NSS_STATUS_TRYAGAIN && errnop == ERANGE,
			      "%s: size %zu of %zu: status %d errno %d", c->name, len, exact, st,
			      errnop);
		free(buf);
	}
}

START_TEST(test_nss_passwd_sizes)
{
	struct la_user a, b;
	struct call c = {.fn = call_pwnam, .name = "alice"};
	char *buf;

	nss_people();
	a = fx_user("alice"), b = fx_user("bob");
	buf = sizes(&c, nss_pw_len(&a));
	ck_assert(nss_pw_same(&c.out.pw, &a));
	ck_assert(nss_in_buf(c.out.pw.pw_name, buf, nss_pw_len(&a)));
	ck_assert(nss_in_buf(c.out.pw.pw_passwd, buf, nss_pw_len(&a)));
	ck_assert(nss_in_buf(c.out.pw.pw_shell, buf, nss_pw_len(&a)));
	c = (struct call){.fn = call_pwuid, .name = "bob", .id = b.uid};
	sizes(&c, nss_pw_len(&b));
	ck_assert(nss_pw_same(&c.out.pw, &b));
}
END_TEST

START_TEST(test_nss_group_sizes)
{
	struct call c = {.fn = call_grnam, .name = "devs"};
	char *buf;
	size_t n = nss_gr_len("devs", NSS_DEVS);

	nss_people();
	buf = sizes(&c, n);
	ck_assert(nss_gr_same(&c.out.gr, "devs", 20000, NSS_DEVS));
	ck_assert(nss_in_buf(c.out.gr.gr_mem, buf, n) && nss_in_buf(c.out.gr.gr_mem[1], buf, n));
	ck_assert(nss_in_buf(c.out.gr.gr_name, buf, n) && nss_in_buf(c.out.gr.gr_passwd, buf, n));
	c = (struct call){.fn = call_grgid, .name = "sudo", .id = 27};
	sizes(&c, nss_gr_len("sudo", NSS_ONLY_ALICE));
	ck_assert(nss_gr_same(&c.out.gr, "sudo", 27, NSS_ONLY_ALICE));
}
END_TEST

START_TEST(test_nss_shadow_sizes)
{
	struct call c = {.fn = call_spnam, .name = "alice"};

	nss_people();
	sizes(&c, strlen("alice") + 1 + 2);
	ck_assert_str_eq(c.out.sp.sp_namp, "alice");
	ck_assert_str_eq(c.out.sp.sp_pwdp, "*");
}
END_TEST

/* Enumeration: each entry, offered every short buffer first, comes back
 * whole -- the cursor moves only on success. */
START_TEST(test_nss_enum_retry)
{
	const char *const users[] = {"alice", "bob", "carol"};
	struct call c = {.fn = call_pwent, .name = "pwent"};
	char big[NSS_BUF];
	struct la_user u;
	int errnop;

	nss_people();
	ck_assert_int_eq(nss.setpwent(), NSS_STATUS_SUCCESS);
	for (size_t i = 0; i < 3; i++) {
		u = fx_user(users[i]);
		sizes(&c, nss_pw_len(&u));
		ck_assert(nss_pw_same(&c.out.pw, &u));
	}
	NSS_FAILS(call_pwent(&c, NULL, 0, &errnop), NSS_STATUS_NOTFOUND, ENOENT);
	/* set*ent rewinds. */
	ck_assert_int_eq(nss.setpwent(), NSS_STATUS_SUCCESS);
	u = fx_user("alice");
	sizes(&c, nss_pw_len(&u));
	ck_assert(nss_pw_same(&c.out.pw, &u));
	nss.endpwent();

	/* Groups by gid: sudo(27), private groups 10001..10003, devs, ops. */
	c = (struct call){.fn = call_grent, .name = "grent"};
	ck_assert_int_eq(nss.setgrent(), NSS_STATUS_SUCCESS);
	sizes(&c, nss_gr_len("sudo", NSS_ONLY_ALICE));
	ck_assert(nss_gr_same(&c.out.gr, "sudo", 27, NSS_ONLY_ALICE));
	for (int i = 0; i < 3; i++)
		NSS_OK(call_grent(&c, big, NSS_BUF, &errnop));
	sizes(&c, nss_gr_len("devs", NSS_DEVS));
	ck_assert(nss_gr_same(&c.out.gr, "devs", 20000, NSS_DEVS));
	NSS_OK(call_grent(&c, big, NSS_BUF, &errnop));
	ck_assert_str_eq(c.out.gr.gr_name, "ops");
	NSS_FAILS(call_grent(&c, NULL, 0, &errnop), NSS_STATUS_NOTFOUND, ENOENT);
	nss.endgrent();

	/* Shadow, without set*ent first. */
	c = (struct call){.fn = call_spent, .name = "spent"};
	for (size_t i = 0; i < 3; i++) {
		sizes(&c, strlen(users[i]) + 1 + 2);
		ck_assert_str_eq(c.out.sp.sp_namp, users[i]);
	}
	NSS_FAILS(call_spent(&c, NULL, 0, &errnop), NSS_STATUS_NOTFOUND, ENOENT);
}
END_TEST

/* ---- lookups -------------------------------------------------------- */

START_TEST(test_nss_lookup_found)
{
	char buf[NSS_BUF];
	struct passwd pw;
	struct group gr;
	int errnop = 0;

	nss_people();
	errno = 12345; /* left alone on success */
	NSS_OK(nss.getpwnam_r("alice", &pw, buf, sizeof(buf), &errnop));
	ck_assert_int_eq(errno, 12345);
	ck_assert_int_eq(errnop, 0);
	ck_assert_str_eq(pw.pw_gecos, "Alice Liddell,,,");
	ck_assert_str_eq(pw.pw_dir, "/home/alice");
	ck_assert_str_eq(pw.pw_shell, "/bin/zsh");
	ck_assert_uint_eq(pw.pw_uid, 10001);
	ck_assert_uint_eq(pw.pw_gid, 10001);
	NSS_OK(nss.getpwuid_r(10003, &pw, buf, sizeof(buf), &errnop));
	ck_assert_str_eq(pw.pw_name, "carol");
	NSS_OK(nss.getgrnam_r("ops", &gr, buf, sizeof(buf), &errnop));
	ck_assert(nss_gr_same(&gr, "ops", 20001, NSS_ONLY_ALICE));
	/* A user's private group, without members. */
	NSS_OK(nss.getgrgid_r(10002, &gr, buf, sizeof(buf), &errnop));
	ck_assert_str_eq(gr.gr_name, "bob");
	ck_assert_int_eq(errno, 12345);
}
END_TEST

START_TEST(test_nss_lookup_not_found)
{
	static const char *const bad[] = {
	    "",	      "Alice",	   "a:b",
	    "al ice", "-x",	   "root",
	    "daemon", "localuser", "abcdefghijabcdefghijabcdefghijabc" /* 33 */};
	char buf[NSS_BUF];
	struct passwd pw;
	struct group gr;
	struct spwd sp;
	int errnop;

	nss_people();
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		NSS_FAILS(nss.getpwnam_r(bad[i], &pw, buf, sizeof(buf), &errnop),
			  NSS_STATUS_NOTFOUND, ENOENT);
		NSS_FAILS(nss.getgrnam_r(bad[i], &gr, buf, sizeof(buf), &errnop),
			  NSS_STATUS_NOTFOUND, ENOENT);
		NSS_FAILS(nss.getspnam_r(bad[i], &sp, buf, sizeof(buf), &errnop),
			  NSS_STATUS_NOTFOUND, ENOENT);
	}
	NSS_FAILS(nss.getpwuid_r(0, &pw, buf, sizeof(buf), &errnop), NSS_STATUS_NOTFOUND, ENOENT);
	NSS_FAILS(nss.getpwuid_r(10500, &pw, buf, sizeof(buf), &errnop), NSS_STATUS_NOTFOUND,
		  ENOENT);
	NSS_FAILS(nss.getpwuid_r(99999, &pw, buf, sizeof(buf), &errnop), NSS_STATUS_NOTFOUND,
		  ENOENT);
	NSS_FAILS(nss.getgrgid_r(0, &gr, buf, sizeof(buf), &errnop), NSS_STATUS_NOTFOUND, ENOENT);
	NSS_FAILS(nss.getgrgid_r(20002, &gr, buf, sizeof(buf), &errnop), NSS_STATUS_NOTFOUND,
		  ENOENT);
	NSS_FAILS(nss.getgrnam_r("localgrp", &gr, buf, sizeof(buf), &errnop), NSS_STATUS_NOTFOUND,
		  ENOENT);
	NSS_FAILS(nss.getspnam_r("dave", &sp, buf, sizeof(buf), &errnop), NSS_STATUS_NOTFOUND,
		  ENOENT);
}
END_TEST

START_TEST(test_nss_shadow_aging)
{
	char buf[NSS_BUF];
	struct spwd sp;
	int errnop;

	nss_people();
	OK(la_user_set_expiry(fx.st, "bob", FX_T0 + 10 * 86400000LL));
	NSS_OK(nss.getspnam_r("alice", &sp, buf, sizeof(buf), &errnop));
	ck_assert_str_eq(sp.sp_pwdp, "*");
	ck_assert_int_eq(sp.sp_lstchg, FX_T0 / 86400000); /* password set at FX_T0 */
	ck_assert_int_eq(sp.sp_expire, -1);
	ck_assert_int_eq(sp.sp_min, -1);
	ck_assert_int_eq(sp.sp_max, -1);
	ck_assert_int_eq(sp.sp_inact, -1);
	NSS_OK(nss.getspnam_r("bob", &sp, buf, sizeof(buf), &errnop));
	ck_assert_int_eq(sp.sp_lstchg, -1); /* never set */
	ck_assert_int_eq(sp.sp_expire, FX_T0 / 86400000 + 10);
	NSS_OK(nss.getspnam_r("carol", &sp, buf, sizeof(buf), &errnop));
	ck_assert_int_eq(sp.sp_lstchg, 0); /* must change */
}
END_TEST

/* ---- initgroups ----------------------------------------------------- */

static bool has(const gid_t *g, long n, gid_t gid)
{
	for (long i = 0; i < n; i++)
		if (g[i] == gid)
			return true;
	return false;
}

START_TEST(test_nss_initgroups)
{
	long start = 1, size = 1;
	gid_t *g = malloc(sizeof(gid_t));
	int errnop;

	nss_people();
	ck_assert_ptr_nonnull(g);
	g[0] = 10001;
	NSS_OK(nss.initgroups_dyn("alice", 10001, &start, &size, &g, 0, &errnop));
	ck_assert_int_eq(start, 4);
	ck_assert_int_ge(size, 4);
	ck_assert(g[0] == 10001 && has(g, start, 20000) && has(g, start, 20001) &&
		  has(g, start, 27));
	/* Nothing new to add: everything is in the list already. */
	NSS_FAILS(nss.initgroups_dyn("alice", 10001, &start, &size, &g, 0, &errnop),
		  NSS_STATUS_NOTFOUND, ENOENT);
	ck_assert_int_eq(start, 4);
	/* The limit: stop there, successfully. */
	start = 1;
	NSS_OK(nss.initgroups_dyn("alice", 10001, &start, &size, &g, 2, &errnop));
	ck_assert_int_eq(start, 2);
	start = 1, size = 1;
	NSS_OK(nss.initgroups_dyn("alice", 10001, &start, &size, &g, 3, &errnop));
	ck_assert_int_eq(start, 3);
	ck_assert_int_eq(size, 3);
	/* The primary group is the caller's, even when it is a member group. */
	start = 1, g[0] = 20000;
	NSS_OK(nss.initgroups_dyn("alice", 20000, &start, &size, &g, 0, &errnop));
	ck_assert_int_eq(start, 3);
	ck_assert(!has(g + 1, start - 1, 20000));
	start = 1;
	NSS_FAILS(nss.initgroups_dyn("carol", 10003, &start, &size, &g, 0, &errnop),
		  NSS_STATUS_NOTFOUND, ENOENT);
	NSS_FAILS(nss.initgroups_dyn("nobody", 65534, &start, &size, &g, 0, &errnop),
		  NSS_STATUS_NOTFOUND, ENOENT);
	NSS_FAILS(nss.initgroups_dyn("root", 0, &start, &size, &g, 0, &errnop), NSS_STATUS_NOTFOUND,
		  ENOENT);
	ck_assert_int_eq(start, 1);
	free(g);
}
END_TEST

/* ---- a replaced snapshot, fork, threads ----------------------------- */

START_TEST(test_nss_republish)
{
	char buf[NSS_BUF];
	struct passwd pw;
	struct la_user_spec mod = {.gecos = "Dave Two", .set = LA_SET_GECOS};
	int errnop;

	nss_people();
	NSS_FAILS(nss.getpwnam_r("dave", &pw, buf, sizeof(buf), &errnop), NSS_STATUS_NOTFOUND,
		  ENOENT);
	OK(fx_addu(SPEC(.username = "dave", .gecos = "Dave"), NULL));
	NSS_OK(nss.getpwnam_r("dave", &pw, buf, sizeof(buf), &errnop));
	ck_assert_str_eq(pw.pw_gecos, "Dave");
	OK(la_user_mod(fx.st, "dave", &mod));
	NSS_OK(nss.getpwnam_r("dave", &pw, buf, sizeof(buf), &errnop));
	ck_assert_str_eq(pw.pw_gecos, "Dave Two");
	OK(la_user_del(fx.st, "dave"));
	NSS_FAILS(nss.getpwnam_r("dave", &pw, buf, sizeof(buf), &errnop), NSS_STATUS_NOTFOUND,
		  ENOENT);
}
END_TEST

/* Lookups of alice, bob, devs and carol until at least n are done and
 * stop is set, counting every answer that is not exactly right. */
struct worker {
	const struct la_user *alice, *bob;
	int *stop;
	long n, done, bad;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	char buf[NSS_BUF];
	struct passwd pw;
	struct group gr;
	int errnop;

	for (w->done = 0; w->done < w->n || !__atomic_load_n(w->stop, __ATOMIC_RELAXED);
	     w->done++) {
		bool ok;

		switch (w->done % 4) {
		case 0:
			ok = nss.getpwnam_r("alice", &pw, buf, sizeof(buf), &errnop) ==
				 NSS_STATUS_SUCCESS &&
			     nss_pw_same(&pw, w->alice);
			break;
		case 1:
			ok = nss.getpwuid_r(10002, &pw, buf, sizeof(buf), &errnop) ==
				 NSS_STATUS_SUCCESS &&
			     nss_pw_same(&pw, w->bob);
			break;
		case 2:
			ok = nss.getgrnam_r("devs", &gr, buf, sizeof(buf), &errnop) ==
				 NSS_STATUS_SUCCESS &&
			     nss_gr_same(&gr, "devs", 20000, NSS_DEVS);
			break;
		default:
			ok = nss.getpwnam_r("carol", &pw, buf, sizeof(buf), &errnop) ==
				 NSS_STATUS_SUCCESS &&
			     pw.pw_uid == 10003 && strncmp(pw.pw_gecos, "gen ", 4) == 0;
		}
		w->bad += !ok;
	}
	return NULL;
}

START_TEST(test_nss_threads)
{
	struct la_user a, b;
	struct la_user_spec mod = {.gecos = "gen 0", .set = LA_SET_GECOS};
	char gecos[32];
	int stop = 0;
	struct worker w[4];
	pthread_t t[4];

	nss_people();
	a = fx_user("alice"), b = fx_user("bob");
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){.alice = &a, .bob = &b, .stop = &stop, .n = 10000};
		ck_assert_int_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	/* Results are checked once the threads are joined (see test_nss_fork). */
	la_rc rc = LA_OK;

	for (int i = 1; i <= 200 && rc == LA_OK; i++) {
		snprintf(gecos, sizeof(gecos), "gen %d", i);
		mod.gecos = gecos;
		rc = i % 2 ? la_user_mod(fx.st, "carol", &mod) : la_snapshot_publish(fx.st);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	OK(rc);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_ge(w[i].done, 10000);
		ck_assert_msg(w[i].bad == 0, "thread %d: %ld bad answers", i, w[i].bad);
	}
}
END_TEST

/* A child forked while another thread is inside the module (and after the
 * snapshot changed) must resolve, not deadlock. */
static int child_lookups(void)
{
	char buf[NSS_BUF];
	struct passwd pw;
	int errnop;

	signal(SIGALRM, SIG_DFL); /* Check's handler would kill the whole test */
	alarm(120);               /* a hang, not a slow valgrind run on a busy machine */
	if (nss.getpwnam_r("dave", &pw, buf, sizeof(buf), &errnop) != NSS_STATUS_SUCCESS ||
	    strcmp(pw.pw_name, "dave") != 0)
		return 1;
	if (nss.setpwent() != NSS_STATUS_SUCCESS ||
	    nss.getpwent_r(&pw, buf, sizeof(buf), &errnop) != NSS_STATUS_SUCCESS ||
	    strcmp(pw.pw_name, "alice") != 0)
		return 2;
	nss.endpwent();
	return 0;
}

/* Run child_lookups() in a forked child; its result, or -1 if it did not
 * report one.  Under valgrind a child forked from a threaded process ends
 * with the other threads' blocks unreachable, and the leak check at its exit
 * would fail it (--error-exitcode) for memory the parent still owns.  There
 * the child reports through a pipe instead, counting its own memory errors
 * (VALGRIND_COUNT_ERRORS, which valgrind also prints), and ends by SIGKILL,
 * which skips that leak check; the parent's own check at its exit still
 * covers everything. */
static int forked_lookups(int *status)
{
	int fd[2] = {-1, -1};
	unsigned char r = 0xff;
	pid_t pid;

	*status = -1;
	if (RUNNING_ON_VALGRIND && pipe(fd) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		unsigned errors = VALGRIND_COUNT_ERRORS;

		r = (unsigned char)child_lookups();
		if (!RUNNING_ON_VALGRIND)
			_exit(r);
		if (VALGRIND_COUNT_ERRORS != errors)
			r = 3;
		if (write(fd[1], &r, 1) != 1)
			_exit(4);
		raise(SIGKILL);
		_exit(5);
	}
	if (fd[1] >= 0)
		close(fd[1]);
	if (pid < 0 || waitpid(pid, status, 0) != pid)
		r = 0xff;
	else if (!RUNNING_ON_VALGRIND)
		r = WIFEXITED(*status) ? (unsigned char)WEXITSTATUS(*status) : 0xff;
	else if (!WIFSIGNALED(*status) || WTERMSIG(*status) != SIGKILL || read(fd[0], &r, 1) != 1)
		r = 0xff;
	if (fd[0] >= 0)
		close(fd[0]);
	return r == 0xff ? -1 : r;
}

START_TEST(test_nss_fork)
{
	struct la_user a, b;
	char buf[NSS_BUF];
	struct passwd pw;
	int stop = 0;
	struct worker w;
	pthread_t t;
	int errnop, status;

	nss_people();
	NSS_OK(nss.getpwnam_r("alice", &pw, buf, sizeof(buf), &errnop));
	OK(fx_addu(SPEC(.username = "dave"), NULL));
	a = fx_user("alice"), b = fx_user("bob");
	w = (struct worker){.alice = &a, .bob = &b, .stop = &stop};
	ck_assert_int_eq(pthread_create(&t, NULL, work, &w), 0);
	/* No assertion while the worker runs: a failing one leaves the test
	 * (longjmp with CK_FORK=no) under the thread's feet. */
	int failed_child = -1, failed_status = 0, failed_result = 0;

	for (int i = 0; i < 20 && failed_child < 0; i++)
		if ((failed_result = forked_lookups(&status)) != 0)
			failed_child = i, failed_status = status;
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_msg(failed_child < 0, "child %d: result %d (-1: none), wait status %#x",
		      failed_child, failed_result, failed_status);
	ck_assert_msg(w.bad == 0, "%ld bad answers", w.bad);
}
END_TEST

/* ---- the module file ------------------------------------------------ */

/* Lines of the output of cmd (with the module path appended). */
static FILE *run(const char *cmd)
{
	char line[LA_PATH_MAX + 64];
	FILE *p;

	snprintf(line, sizeof(line), "%s '%s' 2>&1", cmd, nss_module_path());
	p = popen(line, "r");
	ck_assert_ptr_nonnull(p);
	return p;
}

START_TEST(test_nss_module_file)
{
	char line[512], name[256];
	int n = 0, soname = 0;
	FILE *p = run("nm -D --defined-only");

	while (fgets(line, sizeof(line), p)) {
		ck_assert_msg(sscanf(line, "%*s %*s %255s", name) == 1, "nm: %s", line);
		ck_assert_msg(strncmp(name, "_nss_luciaauth_", 15) == 0, "exported: %s", name);
		n++;
	}
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_int_eq(n, 15);
	p = run("ldd");
	while (fgets(line, sizeof(line), p))
		ck_assert_msg(!strstr(line, "sodium") && !strstr(line, "sqlite") &&
				  !strstr(line, "luciaauth.so") && !strstr(line, "crypt"),
			      "linked: %s", line);
	ck_assert_int_eq(pclose(p), 0);
	p = run("readelf -d");
	while (fgets(line, sizeof(line), p))
		soname += strstr(line, "Library soname: [libnss_luciaauth.so.2]") != NULL;
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_int_eq(soname, 1);
}
END_TEST

Suite *suite_nss(void)
{
	const TTest *core[] = {
	    test_nss_lookup_found, test_nss_lookup_not_found, test_nss_shadow_aging,
	    test_nss_initgroups,   test_nss_republish,	      test_nss_module_file,
	};
	const TTest *limits[] = {
	    test_nss_passwd_sizes,
	    test_nss_group_sizes,
	    test_nss_shadow_sizes,
	    test_nss_enum_retry,
	};
	const TTest *concurrency[] = {test_nss_threads, test_nss_fork};
	Suite *s = suite_create("nss");

	NSS_TCASE(s, "core", 0, core);
	NSS_TCASE(s, "limits", 0, limits);
	NSS_TCASE(s, "concurrency", 120, concurrency);
	return s;
}

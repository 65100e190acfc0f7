/*
 * check_nss_fixture.c - what the NSS module's suites share (check_nss.h):
 * the module loaded with dlopen(), the fixture pointing it at fx's
 * snapshot, the people of the tests and comparisons of the answers.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_nss.h"
#include "la_snapshot.h"

struct nss_api nss;
char nss_snap[LA_PATH_MAX + 32];

/* ---- module and fixture --------------------------------------------- */

const char *nss_module_path(void)
{
	static char path[LA_PATH_MAX];
	const char *top = getenv("abs_top_builddir");

	if (!top || !*top)
		return LA_NSS_MODULE;
	snprintf(path, sizeof(path), "%s/nss_module/.libs/libnss_luciaauth.so.2", top);
	return path;
}

static void *sym(void *h, const char *name)
{
	char full[64];
	void *p;

	snprintf(full, sizeof(full), "_nss_luciaauth_%s", name);
	p = dlsym(h, full);
	ck_assert_msg(p != NULL, "%s: %s", full, dlerror());
	return p;
}

#define LOAD(h, name) (nss.name = (__typeof__(nss.name))sym(h, #name))

/* Loaded once per process and never closed: glibc keeps NSS modules too. */
static void nss_load(void)
{
	static void *h;

	if (h)
		return;
	h = dlopen(nss_module_path(), RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(h != NULL, "dlopen %s: %s", nss_module_path(), dlerror());
	LOAD(h, getpwnam_r), LOAD(h, getpwuid_r), LOAD(h, setpwent), LOAD(h, getpwent_r);
	LOAD(h, endpwent), LOAD(h, getgrnam_r), LOAD(h, getgrgid_r), LOAD(h, setgrent);
	LOAD(h, getgrent_r), LOAD(h, endgrent), LOAD(h, initgroups_dyn), LOAD(h, getspnam_r);
	LOAD(h, setspent), LOAD(h, getspent_r), LOAD(h, endspent);
}

void nss_use(const char *path)
{
	ck_assert_int_eq(setenv("LUCIAAUTH_NSS_SNAPSHOT", path, 1), 0);
}

void nss_setup(void)
{
	fx_setup();
	nss_load();
	snprintf(nss_snap, sizeof(nss_snap), "%s/%s", fx.cfg.dir, LA_SNAP_NAME);
	nss_use(nss_snap);
	/* No cursor may survive from an earlier test (CK_FORK=no). */
	nss.endpwent(), nss.endgrent(), nss.endspent();
}

static void *kept;

void nss_keep(void *p)
{
	free(kept);
	kept = p;
}

void nss_teardown(void)
{
	nss_keep(NULL);
	nss.endpwent(), nss.endgrent(), nss.endspent();
	fx_teardown();
}

void nss_add_tcase(Suite *s, const char *name, int timeout, const TTest *const tests[], size_t n)
{
	TCase *tc = tcase_create(name);

	if (timeout)
		tcase_set_timeout(tc, timeout);
	tcase_add_checked_fixture(tc, nss_setup, nss_teardown);
	for (size_t i = 0; i < n; i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
}

void nss_all_fail(enum nss_status status, int err)
{
	char buf[NSS_BUF];
	struct passwd pw;
	struct group gr;
	struct spwd sp;
	long start = 1, size = 1;
	gid_t *groups = malloc(sizeof(gid_t));
	int errnop;

	ck_assert_ptr_nonnull(groups);
	groups[0] = 10001;
	nss.endpwent(), nss.endgrent(), nss.endspent();
	NSS_FAILS(nss.getpwnam_r("alice", &pw, buf, sizeof(buf), &errnop), status, err);
	NSS_FAILS(nss.getpwuid_r(10001, &pw, buf, sizeof(buf), &errnop), status, err);
	NSS_FAILS(nss.getgrnam_r("devs", &gr, buf, sizeof(buf), &errnop), status, err);
	NSS_FAILS(nss.getgrgid_r(20000, &gr, buf, sizeof(buf), &errnop), status, err);
	NSS_FAILS(nss.getspnam_r("alice", &sp, buf, sizeof(buf), &errnop), status, err);
	NSS_FAILS(nss.initgroups_dyn("alice", 10001, &start, &size, &groups, 0, &errnop), status,
		  err);
	ck_assert_int_eq(start, 1);
	ck_assert_int_ne(nss.setpwent(), NSS_STATUS_SUCCESS);
	NSS_FAILS(nss.getpwent_r(&pw, buf, sizeof(buf), &errnop), status, err);
	NSS_FAILS(nss.getgrent_r(&gr, buf, sizeof(buf), &errnop), status, err);
	NSS_FAILS(nss.getspent_r(&sp, buf, sizeof(buf), &errnop), status, err);
	nss.endpwent(), nss.endgrent(), nss.endspent();
	free(groups);
}

/* ---- data ----------------------------------------------------------- */

void nss_people(void)
{
	static const char *const alice_groups[] = {"devs", "ops", "sudo"};
	static const char *const bob_groups[] = {"devs"};
	struct la_group g;

	OK(la_group_add(fx.st, "devs", 20000, &g));
	OK(la_group_add(fx.st, "ops", 20001, &g));
	OK(la_group_add(fx.st, "sudo", 27, &g)); /* merge group */
	OK(fx_addu(SPEC(.username = "alice", .uid = 10001, .gecos = "Alice Liddell,,,",
			.home = "/home/alice", .shell = "/bin/zsh", .groups = alice_groups,
			.n_groups = 3),
		   PW));
	OK(fx_addu(SPEC(.username = "bob", .uid = 10002, .groups = bob_groups, .n_groups = 1),
		   NULL));
	OK(fx_addu(SPEC(.username = "carol", .uid = 10003, .gecos = "gen 0", .must_change = true),
		   NULL));
}

bool nss_in_buf(const void *p, const char *buf, size_t len)
{
	return (const char *)p >= buf && (const char *)p < buf + len;
}

size_t nss_pw_len(const struct la_user *u)
{
	return strlen(u->username) + 1 + 2 + strlen(u->gecos) + 1 + strlen(u->home) + 1 +
	       strlen(u->shell) + 1;
}

bool nss_pw_same(const struct passwd *pw, const struct la_user *u)
{
	return strcmp(pw->pw_name, u->username) == 0 && strcmp(pw->pw_passwd, "x") == 0 &&
	       pw->pw_uid == u->uid && pw->pw_gid == u->gid &&
	       strcmp(pw->pw_gecos, u->gecos) == 0 && strcmp(pw->pw_dir, u->home) == 0 &&
	       strcmp(pw->pw_shell, u->shell) == 0;
}

/* gr is name/gid with exactly the members of the NULL-terminated list. */
bool nss_gr_same(const struct group *gr, const char *name, gid_t gid, const char *const *members)
{
	size_t i;

	if (strcmp(gr->gr_name, name) != 0 || gr->gr_gid != gid ||
	    strcmp(gr->gr_passwd, "x") != 0 || (uintptr_t)gr->gr_mem % alignof(char *) != 0)
		return false;
	for (i = 0; members[i]; i++)
		if (!gr->gr_mem[i] || strcmp(gr->gr_mem[i], members[i]) != 0)
			return false;
	return gr->gr_mem[i] == NULL;
}

size_t nss_gr_len(const char *name, const char *const *members)
{
	size_t n = strlen(name) + 1 + 2 + sizeof(char *);

	for (size_t i = 0; members[i]; i++)
		n += strlen(members[i]) + 1 + sizeof(char *);
	return n;
}

const char *const NSS_DEVS[] = {"alice", "bob", NULL};
const char *const NSS_ONLY_ALICE[] = {"alice", NULL};

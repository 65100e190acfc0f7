/*
 * pam_harness.c - process set-up, fixture and PAM driver of tests/check_pam
 * (see pam_harness.h for the design, and /work/shared/notes/testing-pam-nss.md
 * sections 1 and 5 for the pam_wrapper / ASan pitfalls handled here).
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

#ifndef PH_MODULE
#error "PH_MODULE (path of the built pam_luciaauth.so) must be defined"
#endif
#ifndef PH_PAM_WRAPPER_MODULES
#define PH_PAM_WRAPPER_MODULES ""
#endif
#ifndef PH_LIBFAKETIME
#define PH_LIBFAKETIME ""
#endif

struct ph_paths ph;
struct la_store *ph_st;
struct la_user ph_alice;
struct ph_work ph_work;

static bool own_root; /* R is ours to remove */

/* ---- small utilities ---------------------------------------------------- */

static void rm_rf(const char *path);

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! check_pam: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (own_root && *ph.root)
		rm_rf(ph.root);
	exit(1);
}

static void write_file(const char *path, mode_t mode, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	size_t len = strlen(text);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) != 0 ||
	    close(fd) != 0)
		die("cannot write %s: %s", path, strerror(errno));
}

static int rm_one(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	(void)sb;
	(void)type;
	(void)f;
	if (remove(path) != 0 && errno != ENOENT)
		fprintf(stderr, "check_pam: cannot remove %s: %s\n", path, strerror(errno));
	return 0;
}

/* rm -rf, without a shell: a child exec()ed with pam_wrapper preloaded would
 * leak a /tmp/pam.X copy (notes 1, pitfall 3). */
static void rm_rf(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) == 0)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static uid_t chown_uid;
static gid_t chown_gid;

static int chown_one(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	(void)sb;
	(void)type;
	(void)f;
	return lchown(path, chown_uid, chown_gid) == 0 ? 0 : -1;
}

bool ph_chown_r(const char *path, uid_t uid, gid_t gid)
{
	chown_uid = uid;
	chown_gid = gid;
	return nftw(path, chown_one, 16, FTW_PHYS) == 0;
}

/* snprintf that fails loudly instead of truncating a path. */
void ph_fmt(char *out, size_t size, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(out, size, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		die("path too long: %s", out);
}

void ph_append(char *buf, size_t size, const char *f, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, f);
	vsnprintf(buf + len, size - len, f, ap);
	va_end(ap);
}

/* ---- counting the module's work ----------------------------------------- */

/* These definitions in the executable interpose libsodium's (the binary is
 * linked with --export-dynamic-symbol for them): the module's calls, and
 * the test's own store handle's, land here first. */
typedef int (*str_alg_fn)(char *, const char *, unsigned long long, unsigned long long, size_t,
			  int);
typedef int (*str_verify_fn)(const char *, const char *, unsigned long long);
typedef int (*scrypt_fn)(const uint8_t *, size_t, const uint8_t *, size_t, uint64_t, uint32_t,
			 uint32_t, uint8_t *, size_t);

static void *next_sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (!p)
		die("dlsym(RTLD_NEXT, %s): %s", name, dlerror());
	return p;
}

int crypto_pwhash_str_alg(char out[crypto_pwhash_STRBYTES], const char *const passwd,
			  unsigned long long passwdlen, unsigned long long opslimit, size_t memlimit,
			  int alg)
{
	static union {
		void *p;
		str_alg_fn f;
	} real;

	if (!real.p)
		real.p = next_sym("crypto_pwhash_str_alg");
	ph_work.argon2_hash++;
	return real.f(out, passwd, passwdlen, opslimit, memlimit, alg);
}

int crypto_pwhash_str_verify(const char str[crypto_pwhash_STRBYTES], const char *const passwd,
			     unsigned long long passwdlen)
{
	static union {
		void *p;
		str_verify_fn f;
	} real;

	if (!real.p)
		real.p = next_sym("crypto_pwhash_str_verify");
	ph_work.argon2_verify++;
	return real.f(str, passwd, passwdlen);
}

int crypto_pwhash_scryptsalsa208sha256_ll(const uint8_t *passwd, size_t passwdlen,
					  const uint8_t *salt, size_t saltlen, uint64_t N,
					  uint32_t r, uint32_t p, uint8_t *buf, size_t buflen)
{
	static union {
		void *p;
		scrypt_fn f;
	} real;

	if (!real.p)
		real.p = next_sym("crypto_pwhash_scryptsalsa208sha256_ll");
	ph_work.scrypt++;
	return real.f(passwd, passwdlen, salt, saltlen, N, r, p, buf, buflen);
}

void ph_work_reset(void)
{
	memset(&ph_work, 0, sizeof(ph_work));
}

/* ---- the process ---------------------------------------------------------- */

static int find_asan(struct dl_phdr_info *info, size_t size, void *data)
{
	char *out = data;

	(void)size;
	if (info->dlpi_name && strstr(info->dlpi_name, "/libasan.so")) {
		snprintf(out, PATH_MAX, "%s", info->dlpi_name);
		return 1;
	}
	return 0;
}

static const char *faketime_lib(void)
{
	const char *env = getenv("LIBFAKETIME");
	const char *lib = env && *env ? env : PH_LIBFAKETIME;

	return *lib && access(lib, R_OK) == 0 ? lib : NULL;
}

static bool preloaded(const char *what)
{
	const char *pre = getenv("LD_PRELOAD");

	return pre && strstr(pre, what);
}

/* Start over under pam_wrapper (and libfaketime), with libasan first when
 * this is an ASan build (notes 5: "ASan runtime does not come first"). */
static void reexec(char **argv) __attribute__((noreturn));
static void reexec(char **argv)
{
	char asan[PATH_MAX] = "", preload[3 * PATH_MAX + 64], path[PATH_MAX];
	const char *old = getenv("LD_PRELOAD"), *ft = faketime_lib(), *tmp = getenv("TMPDIR");

	if (getenv("PH_REEXEC"))
		die("pam_wrapper is not active after re-executing with LD_PRELOAD=%s",
		    old ? old : "");
	dl_iterate_phdr(find_asan, asan);
	ph_fmt(preload, sizeof(preload), "%s%s%s%slibpam_wrapper.so%s%s", asan, *asan ? " " : "",
	    old && *old ? old : "", old && *old ? " " : "", ft ? " " : "", ft ? ft : "");
	ph_fmt(ph.root, sizeof(ph.root), "%s/la-pamt-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(ph.root))
		die("mkdtemp %s: %s", ph.root, strerror(errno));
	own_root = true;
	setenv("PH_ROOT", ph.root, 1);
	setenv("PH_REEXEC", "1", 1);
	setenv("LD_PRELOAD", preload, 1);
	setenv("PAM_WRAPPER", "1", 1);
	/* Set once the service files exist (ph_init), so that pam_wrapper's
	 * constructor does not copy an empty directory. */
	unsetenv("PAM_WRAPPER_SERVICE_DIR");
	if (ft) {
		ph_fmt(path, sizeof(path), "%s/faketime", ph.root);
		write_file(path, 0644, "+0\n");
		unsetenv("FAKETIME"); /* it would win over the file */
		setenv("FAKETIME_TIMESTAMP_FILE", path, 1);
		setenv("FAKETIME_NO_CACHE", "1", 1);
		setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1", 1);
		setenv("NO_FAKE_STAT", "1", 1);
	}
	fflush(NULL);
	execv("/proc/self/exe", argv);
	execv(argv[0], argv);
	die("cannot re-execute %s: %s", argv[0], strerror(errno));
}

/* A stack whose only module returns PAM_IGNORE ends in PAM_PERM_DENIED
 * (libpam's "no module decided"), which would hide the module's PAM_IGNORE.
 * So every stack passes the module's own code through and, when it
 * ignores, lets pam_debug.so return PAM_MODULE_UNKNOWN -- a code the module
 * never returns -- which ph_run/ph_op report as PAM_IGNORE. */
#define SENTINEL                                                                                   \
	"pam_debug.so auth=module_unknown cred=module_unknown acct=module_unknown "                \
	"prechauthtok=module_unknown chauthtok=module_unknown open_session=module_unknown "        \
	"close_session=module_unknown"
#define STACK(group, args)                                                                         \
	group " [success=done ignore=ignore default=die] " args "\n" group " required " SENTINEL "\n"
#define ALL4(args) STACK("auth", args) STACK("account", args) STACK("password", args) STACK("session", args)

static const struct {
	const char *name, *text;
	bool needs_set_items;
} services[] = {
	{ "other", "auth required pam_deny.so\naccount required pam_deny.so\n"
		   "password required pam_deny.so\nsession required pam_deny.so\n", false },
	{ "la", ALL4("@M@"), false },
	{ "la_opts", ALL4("@M@ debug frobnicate bogus=1 deny=many"), false },
	{ "la_unknown_ok", ALL4("@M@ unknown_ok"), false },
	{ "la_audit", ALL4("@M@ audit"), false },
	{ "la_nodelay", ALL4("@M@ nodelay"), false },
	{ "la_lock", ALL4("@M@ deny=3 unlock_time=10m fail_interval=15m"), false },
	{ "la_nolock", ALL4("@M@ deny=0"), false },
	{ "la_noenv", ALL4("@M@ noenv"), false },
	{ "la_revoke", ALL4("@M@ revoke_sessions"), false },
	{ "la_pwmin", ALL4("@M@ password_min=12"), false },
	{ "la_nostore", ALL4("@M@ dir=@R@/nostate"), false },
	{ "la_noconf", ALL4("@MOD@ config=@R@/missing.conf"), false },
	{ "la_defaults", ALL4("@MOD@ dir=@R@/state"), false },
	{ "la_drop", ALL4("@R@/lib/pam_luciaauth.so config=@R@/luciaauth.conf"), false },
	{ "la_first", "auth required @S@\n" STACK("auth", "@M@ use_first_pass"), true },
	{ "la_try", "auth required @S@\n" STACK("auth", "@M@ try_first_pass"), true },
	{ "la_authtok", "password required @S@\n" STACK("password", "@M@ use_authtok"), true },
};

static void expand(char *out, size_t size, const char *text)
{
	static const char *const keys[] = { "@M@", "@MOD@", "@S@", "@R@" };
	char m[LA_PATH_MAX + 400];
	const char *vals[4];

	ph_fmt(m, sizeof(m), "%s config=%s", ph.module, ph.conf);
	vals[0] = m;
	vals[1] = ph.module;
	vals[2] = ph.set_items;
	vals[3] = ph.root;
	out[0] = '\0';
	while (*text) {
		size_t i;

		for (i = 0; i < 4; i++)
			if (strncmp(text, keys[i], strlen(keys[i])) == 0)
				break;
		if (i < 4) {
			ph_append(out, size, "%s", vals[i]);
			text += strlen(keys[i]);
		} else {
			ph_append(out, size, "%c", *text++);
		}
	}
	if (strlen(out) + 1 >= size)
		die("service file too long");
}

static void write_services(const char *dir)
{
	char path[PATH_MAX], text[4 * LA_PATH_MAX];

	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		if (services[i].needs_set_items && !*ph.set_items)
			continue;
		expand(text, sizeof(text), services[i].text);
		ph_fmt(path, sizeof(path), "%s/%s", dir, services[i].name);
		write_file(path, 0644, text);
	}
	/* Marks the /tmp/pam.X copies of this run, for ph_cleanup. */
	ph_fmt(path, sizeof(path), "%s/harness-owner.%ld", dir, (long)getpid());
	write_file(path, 0644, "");
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	ssize_t n;

	if (in < 0)
		die("cannot open %s: %s (build the module first)", from, strerror(errno));
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0)
		die("cannot create %s: %s", to, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			die("cannot write %s", to);
	if (n < 0 || fchmod(out, 0755) != 0)
		die("cannot copy %s", from);
	close(in);
	close(out);
}

void ph_init(int argc, char **argv)
{
	const char *env_root = getenv("PH_ROOT"), *tmp = getenv("TMPDIR");
	char path[PATH_MAX], text[4 * PATH_MAX];

	(void)argc;
	if (!(getenv("PAM_WRAPPER") && strcmp(getenv("PAM_WRAPPER"), "1") == 0 &&
	      preloaded("libpam_wrapper")))
		reexec(argv);
	if (env_root && *env_root) {
		ph_fmt(ph.root, sizeof(ph.root), "%s", env_root);
	} else {
		ph_fmt(ph.root, sizeof(ph.root), "%s/la-pamt-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(ph.root))
			die("mkdtemp %s: %s", ph.root, strerror(errno));
	}
	own_root = true;
	unsetenv("PH_ROOT");
	/* Reachable for the uid-65534 child of ph_unprivileged(). */
	chmod(ph.root, 0755);
	/* CHECK_PAM_MODULE: run the tests against another build of the module
	 * (an installed one, or a negative control). */
	ph_fmt(ph.module, sizeof(ph.module), "%s",
	    getenv("CHECK_PAM_MODULE") && *getenv("CHECK_PAM_MODULE") ? getenv("CHECK_PAM_MODULE")
								      : PH_MODULE);
	ph_fmt(ph.services, sizeof(ph.services), "%s/services", ph.root);
	ph_fmt(ph.conf, sizeof(ph.conf), "%s/luciaauth.conf", ph.root);
	ph_fmt(ph.state, sizeof(ph.state), "%s/state", ph.root);
	ph_fmt(path, sizeof(path), "%s/pam_set_items.so", PH_PAM_WRAPPER_MODULES);
	if (*PH_PAM_WRAPPER_MODULES && access(path, R_OK) == 0)
		ph_fmt(ph.set_items, sizeof(ph.set_items), "%s", path);
	if (preloaded("libfaketime") && getenv("FAKETIME_TIMESTAMP_FILE") && !getenv("FAKETIME")) {
		ph_fmt(ph.faketime, sizeof(ph.faketime), "%s", getenv("FAKETIME_TIMESTAMP_FILE"));
		write_file(ph.faketime, 0644, "+0\n");
	}
	if (access(ph.module, R_OK) != 0)
		die("module %s: %s", ph.module, strerror(errno));

	/* System accounts: root and a local user inside the store's uid range. */
	ph_fmt(path, sizeof(path), "%s/passwd", ph.root);
	write_file(path, 0644,
		   "root:x:0:0:root:/root:/bin/bash\n"
		   "localuser:x:10500:10500::/home/localuser:/bin/sh\n");
	ph_fmt(path, sizeof(path), "%s/group", ph.root);
	write_file(path, 0644, "root:x:0:\nlocalgrp:x:10500:\n");
	ph_fmt(text, sizeof(text),
	    "# written by tests/check_pam\n"
	    "dir = %s\nhash_mem_kib = 64\nhash_ops = 1\n"
	    "passwd_file = %s/passwd\ngroup_file = %s/group\n",
	    ph.state, ph.root, ph.root);
	write_file(ph.conf, 0644, text);
	ph_fmt(path, sizeof(path), "%s/lib", ph.root);
	if (mkdir(path, 0755) != 0)
		die("mkdir %s: %s", path, strerror(errno));
	ph_fmt(path, sizeof(path), "%s/lib/pam_luciaauth.so", ph.root);
	copy_file(ph.module, path);

	if (mkdir(ph.services, 0755) != 0)
		die("mkdir %s: %s", ph.services, strerror(errno));
	write_services(ph.services);
	setenv("PAM_WRAPPER_SERVICE_DIR", ph.services, 1);
	/* Started with PAM_WRAPPER_SERVICE_DIR already set: pam_wrapper made
	 * its copy at load time, before the files above existed. */
	if (getenv("PAM_WRAPPER_RUNTIME_DIR"))
		write_services(getenv("PAM_WRAPPER_RUNTIME_DIR"));
	if (!*ph.faketime)
		ph_skip("clock", "libfaketime is not preloaded: the tests that move the clock "
				 "are skipped (install libfaketime)");
	if (!*ph.set_items)
		ph_skip("use_first_pass", "pam_wrapper's pam_set_items.so not found: the "
					  "use_first_pass/try_first_pass/use_authtok tests are "
					  "skipped");
}

/* Remove R and the /tmp/pam.? copies of this run that pam_wrapper left
 * behind (a failed Check child exits without running destructors). */
void ph_cleanup(void)
{
	const char *mine = getenv("PAM_WRAPPER_RUNTIME_DIR");
	char marker[64], path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	ph_fmt(marker, sizeof(marker), "harness-owner.%ld", (long)getpid());
	d = opendir("/tmp");
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "pam.", 4) != 0 || strlen(e->d_name) != 5)
			continue;
		ph_fmt(path, sizeof(path), "/tmp/%s", e->d_name);
		if (mine && strcmp(mine, path) == 0)
			continue; /* pam_wrapper's destructor removes it */
		ph_fmt(path, sizeof(path), "/tmp/%s/%s", e->d_name, marker);
		if (access(path, F_OK) == 0) {
			ph_fmt(path, sizeof(path), "/tmp/%s", e->d_name);
			rm_rf(path);
		}
	}
	if (d)
		closedir(d);
	if (own_root && *ph.root)
		rm_rf(ph.root);
}

void ph_skip(const char *what, const char *why)
{
	printf("# SKIP %s: %s\n", what, why);
	fflush(stdout);
}

bool ph_clock(const char *offset)
{
	char text[64];

	if (!*ph.faketime) {
		ph_skip("clock", "libfaketime is not preloaded");
		return false;
	}
	ph_fmt(text, sizeof(text), "%s\n", offset);
	write_file(ph.faketime, 0644, text);
	return true;
}

/* ---- fixture ------------------------------------------------------------- */

void ph_setup(void)
{
	struct la_config cfg;
	char err[512] = "";
	la_rc rc;

	rm_rf(ph.state);
	if (*ph.faketime)
		write_file(ph.faketime, 0644, "+0\n");
	la_config_defaults(&cfg);
	rc = la_config_load(&cfg, ph.conf, false, err, sizeof(err));
	ck_assert_msg(rc == LA_OK, "config: %s", err);
	rc = la_store_open(&cfg, LA_OPEN_CREATE, &ph_st);
	ck_assert_msg(rc == LA_OK, "init: %s", la_store_errmsg(ph_st));
	ph_add_user("alice", PW, &ph_alice);
	ph_work_reset();
}

void ph_teardown(void)
{
	la_store_close(ph_st);
	ph_st = NULL;
	if (*ph.faketime)
		write_file(ph.faketime, 0644, "+0\n");
}

void ph_tcase(Suite *s, const char *name, const TTest *const tests[], size_t n)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, ph_setup, ph_teardown);
	for (size_t i = 0; i < n; i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
}


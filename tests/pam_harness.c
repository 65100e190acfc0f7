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

#ifndef PH_MODULE
#error "PH_MODULE (path of the built pam_luciaauth.so) must be defined"
#endif
#ifndef PH_PAM_WRAPPER_MODULES
#define PH_PAM_WRAPPER_MODULES ""
#endif
#ifndef PH_LIBFAKETIME
#define PH_LIBFAKETIME ""
#endif

#define NOBODY ((uid_t)65534)

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

static bool chown_r(const char *path, uid_t uid, gid_t gid)
{
	chown_uid = uid;
	chown_gid = gid;
	return nftw(path, chown_one, 16, FTW_PHYS) == 0;
}

/* snprintf that fails loudly instead of truncating a path. */
static void fmt(char *out, size_t size, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *out, size_t size, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(out, size, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		die("path too long: %s", out);
}

static void append(char *buf, size_t size, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t size, const char *f, ...)
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
	fmt(preload, sizeof(preload), "%s%s%s%slibpam_wrapper.so%s%s", asan, *asan ? " " : "",
	    old && *old ? old : "", old && *old ? " " : "", ft ? " " : "", ft ? ft : "");
	fmt(ph.root, sizeof(ph.root), "%s/la-pamt-XXXXXX", tmp && *tmp ? tmp : "/tmp");
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
		fmt(path, sizeof(path), "%s/faketime", ph.root);
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

	fmt(m, sizeof(m), "%s config=%s", ph.module, ph.conf);
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
			append(out, size, "%s", vals[i]);
			text += strlen(keys[i]);
		} else {
			append(out, size, "%c", *text++);
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
		fmt(path, sizeof(path), "%s/%s", dir, services[i].name);
		write_file(path, 0644, text);
	}
	/* Marks the /tmp/pam.X copies of this run, for ph_cleanup. */
	fmt(path, sizeof(path), "%s/harness-owner.%ld", dir, (long)getpid());
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
		fmt(ph.root, sizeof(ph.root), "%s", env_root);
	} else {
		fmt(ph.root, sizeof(ph.root), "%s/la-pamt-XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(ph.root))
			die("mkdtemp %s: %s", ph.root, strerror(errno));
	}
	own_root = true;
	unsetenv("PH_ROOT");
	/* Reachable for the uid-65534 child of ph_unprivileged(). */
	chmod(ph.root, 0755);
	/* CHECK_PAM_MODULE: run the tests against another build of the module
	 * (an installed one, or a negative control). */
	fmt(ph.module, sizeof(ph.module), "%s",
	    getenv("CHECK_PAM_MODULE") && *getenv("CHECK_PAM_MODULE") ? getenv("CHECK_PAM_MODULE")
								      : PH_MODULE);
	fmt(ph.services, sizeof(ph.services), "%s/services", ph.root);
	fmt(ph.conf, sizeof(ph.conf), "%s/luciaauth.conf", ph.root);
	fmt(ph.state, sizeof(ph.state), "%s/state", ph.root);
	fmt(path, sizeof(path), "%s/pam_set_items.so", PH_PAM_WRAPPER_MODULES);
	if (*PH_PAM_WRAPPER_MODULES && access(path, R_OK) == 0)
		fmt(ph.set_items, sizeof(ph.set_items), "%s", path);
	if (preloaded("libfaketime") && getenv("FAKETIME_TIMESTAMP_FILE") && !getenv("FAKETIME")) {
		fmt(ph.faketime, sizeof(ph.faketime), "%s", getenv("FAKETIME_TIMESTAMP_FILE"));
		write_file(ph.faketime, 0644, "+0\n");
	}
	if (access(ph.module, R_OK) != 0)
		die("module %s: %s", ph.module, strerror(errno));

	/* System accounts: root and a local user inside the store's uid range. */
	fmt(path, sizeof(path), "%s/passwd", ph.root);
	write_file(path, 0644,
		   "root:x:0:0:root:/root:/bin/bash\n"
		   "localuser:x:10500:10500::/home/localuser:/bin/sh\n");
	fmt(path, sizeof(path), "%s/group", ph.root);
	write_file(path, 0644, "root:x:0:\nlocalgrp:x:10500:\n");
	fmt(text, sizeof(text),
	    "# written by tests/check_pam\n"
	    "dir = %s\nhash_mem_kib = 64\nhash_ops = 1\n"
	    "passwd_file = %s/passwd\ngroup_file = %s/group\n",
	    ph.state, ph.root, ph.root);
	write_file(ph.conf, 0644, text);
	fmt(path, sizeof(path), "%s/lib", ph.root);
	if (mkdir(path, 0755) != 0)
		die("mkdir %s: %s", path, strerror(errno));
	fmt(path, sizeof(path), "%s/lib/pam_luciaauth.so", ph.root);
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

	fmt(marker, sizeof(marker), "harness-owner.%ld", (long)getpid());
	d = opendir("/tmp");
	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "pam.", 4) != 0 || strlen(e->d_name) != 5)
			continue;
		fmt(path, sizeof(path), "/tmp/%s", e->d_name);
		if (mine && strcmp(mine, path) == 0)
			continue; /* pam_wrapper's destructor removes it */
		fmt(path, sizeof(path), "/tmp/%s/%s", e->d_name, marker);
		if (access(path, F_OK) == 0) {
			fmt(path, sizeof(path), "/tmp/%s", e->d_name);
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
	fmt(text, sizeof(text), "%s\n", offset);
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

/* ---- the store, from the test's side ----------------------------------- */

void ph_add_user(const char *name, const char *pw, struct la_user *out)
{
	struct la_user_spec spec = { .username = name };
	struct la_user tmp;

	LA_OK_OR_FAIL(la_user_add(ph_st, &spec, pw, out ? out : &tmp));
}

struct la_user ph_user(const char *name)
{
	struct la_user u;

	LA_OK_OR_FAIL(la_user_by_name(ph_st, name, &u));
	return u;
}

static sqlite3 *db_open(int flags)
{
	char path[PATH_MAX];
	sqlite3 *db = NULL;

	fmt(path, sizeof(path), "%s/luciaauth.db", ph.state);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, flags, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

void ph_sql(const char *f, ...)
{
	char sql[2048], *err = NULL;
	sqlite3 *db = db_open(SQLITE_OPEN_READWRITE);
	va_list ap;
	int r;

	va_start(ap, f);
	vsnprintf(sql, sizeof(sql), f, ap);
	va_end(ap);
	r = sqlite3_exec(db, sql, NULL, NULL, &err);
	ck_assert_msg(r == SQLITE_OK, "%s: %s", sql, err ? err : "?");
	sqlite3_free(err);
	sqlite3_close(db);
}

static const char *sql_text_v(const char *f, va_list ap)
{
	static char out[1024];
	char sql[2048];
	sqlite3 *db = db_open(SQLITE_OPEN_READONLY);
	sqlite3_stmt *s = NULL;

	vsnprintf(sql, sizeof(sql), f, ap);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK, "%s: %s", sql,
		      sqlite3_errmsg(db));
	out[0] = '\0';
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(out, sizeof(out), "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return out;
}

const char *ph_sql_text(const char *f, ...)
{
	va_list ap;
	const char *r;

	va_start(ap, f);
	r = sql_text_v(f, ap);
	va_end(ap);
	return r;
}

long ph_sql_long(const char *f, ...)
{
	va_list ap;
	const char *r;

	va_start(ap, f);
	r = sql_text_v(f, ap);
	va_end(ap);
	return strtol(r, NULL, 10);
}

const char *ph_hash_of(const char *name)
{
	return ph_sql_text("SELECT hashed_password FROM auth_keys WHERE id = 'password:%s'", name);
}

la_rc ph_auth(const char *name, const char *pw)
{
	struct la_user u;

	return la_authenticate(ph_st, LA_IDENT_USERNAME, name, pw, &u);
}

bool ph_password_is(const char *name, const char *pw)
{
	char hash[LA_HASH_MAX];
	const struct la_config *cfg = la_store_config(ph_st);

	snprintf(hash, sizeof(hash), "%s", ph_hash_of(name));
	return la_verify_password(pw, hash, cfg->hash_mem_kib, cfg->hash_ops, NULL) == LA_OK;
}

static int count_cb(const struct la_session *s, void *ctx)
{
	(void)s;
	++*(unsigned *)ctx;
	return 0;
}

unsigned ph_sessions(const char *name)
{
	unsigned n = 0;

	LA_OK_OR_FAIL(la_session_list(ph_st, name, count_cb, &n));
	return n;
}

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
			append(c->conv, sizeof(c->conv), "P:%s\n", text);
			if (c->prompts < sizeof(c->answers) / sizeof(c->answers[0]))
				answer = c->answers[c->prompts];
			if (!answer)
				c->conv_errors++;
			else
				c->prompts++;
			break;
		case PAM_PROMPT_ECHO_ON:
			append(c->conv, sizeof(c->conv), "U:%s\n", text);
			answer = c->echo_on;
			if (!answer)
				c->conv_errors++;
			break;
		case PAM_ERROR_MSG:
			append(c->conv, sizeof(c->conv), "E:%s\n", text);
			break;
		case PAM_TEXT_INFO:
			/* pam_debug.so saying which code it returns (SENTINEL) */
			if (!strstr(text, "=module_unknown"))
				append(c->conv, sizeof(c->conv), "I:%s\n", text);
			break;
		default:
			append(c->conv, sizeof(c->conv), "?:%s\n", text);
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
	fmt(k->path, sizeof(k->path), "%s/log.%ld", ph.root, (long)getpid());
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
			append(c->log, sizeof(c->log), "%s", s);
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
		ck_assert_msg(chown_r(ph.state, NOBODY, NOBODY), "chown %s: %s", ph.state,
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
		fmt(path, sizeof(path), "%s/lib/pam_luciaauth.so", ph.root);
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
		ck_assert_msg(chown_r(ph.state, 0, 0), "chown %s back: %s", ph.state,
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

	fmt(path, sizeof(path), "%s/fork.lock", ph.root);
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
			append(why, sizeof(why), " child %u: status 0x%x;", i, (unsigned)status);
		}
	}
	store_reopen_after_fork();
	ck_assert_msg(bad == 0, "%u of %u children failed:%s", bad, n, why);
}

/*
 * luciaauth_chkpwd.c - luciaauth-chkpwd(8), installed setuid root: lets a
 * caller that cannot read the master database (a screen locker running as
 * the user, pam_luciaauth.so without privilege) check its OWN password.
 *
 *   luciaauth-chkpwd USER        password on stdin (a pipe), up to EOF;
 *                                one trailing newline is dropped
 *   luciaauth-chkpwd             first line of stdin USER, then the password
 *
 * MUST (this runs with root's effective uid on behalf of anybody):
 *  1. Nothing from the caller chooses what is opened: no path or config
 *     option from a non-root caller, no environment (cleared first), only
 *     /etc/luciaauth.conf.
 *  2. The caller is its real uid; the name must be that uid's store user
 *     (la_check_own_password).  Other requests are refused and logged.
 *  3. Standard input must not be a terminal (a program pipes the password;
 *     a person at a tty is not what this is for).
 *  4. The password never reaches a log, argv or core dump; it is wiped.
 *  5. Every outcome is one small exit status (LA_CHKPWD_*, luciaauth.h).
 * All decisions are made by the library; this file only wires them up.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <sodium.h>

#include "luciaauth.h"

#define IN_MAX (LA_NAME_MAX + 2 + LA_PASSWORD_MAX * 4 + 2)

/* MUST 1 and 4: a process nobody can trace, dump or feed through its
 * environment, with only fds 0-2 (opened on /dev/null if closed). */
static void harden(void)
{
	struct rlimit no_core = { 0, 0 };
	int fd;

	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	setrlimit(RLIMIT_CORE, &no_core);
	clearenv();
	umask(077);
	do {
		fd = open("/dev/null", O_RDWR);
	} while (fd >= 0 && fd <= 2);
	if (fd > 2)
		close(fd);
	closefrom(3);
}

/* Read all of stdin (bounded) into buf; -1 when too long or unreadable. */
static ssize_t read_all(char *buf, size_t size)
{
	size_t n = 0;

	for (;;) {
		ssize_t r = read(STDIN_FILENO, buf + n, size - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == size - 1)
			return -1;
	}
	buf[n] = '\0';
	return (ssize_t)n;
}

/* Split the input into name (from argv or the first line) and password. */
static bool parse_input(char *buf, size_t len, const char *arg, const char **name,
			const char **password)
{
	char *nl;

	if (memchr(buf, '\0', len))
		return false;
	if (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (arg) {
		*name = arg;
		*password = buf;
		return true;
	}
	nl = strchr(buf, '\n');
	if (!nl)
		return false;
	*nl = '\0';
	*name = buf;
	*password = nl + 1;
	return true;
}

/* The name as it may appear in a log line: only a valid user name. */
static const char *loggable(const char *name)
{
	return name && la_valid_username(name) ? name : "(not a user name)";
}

static int check(const char *arg, uid_t ruid)
{
	static char buf[IN_MAX];
	const char *name = NULL, *password = NULL;
	struct la_config cfg;
	struct la_store *st = NULL;
	struct la_user u;
	char err[512] = "";
	ssize_t len = read_all(buf, sizeof(buf));
	la_rc rc;
	int status = LA_CHKPWD_REFUSED;

	memset(&u, 0, sizeof(u));
	if (len < 0 || !parse_input(buf, (size_t)len, arg, &name, &password)) {
		syslog(LOG_WARNING, "uid %u: refused: malformed input", (unsigned)ruid);
		goto out;
	}
	la_config_defaults(&cfg);
	rc = la_config_load(&cfg, LA_DEFAULT_CONFIG, true, err, sizeof(err));
	if (rc == LA_OK)
		rc = la_store_open(&cfg, 0, &st);
	if (rc != LA_OK) {
		syslog(LOG_ERR, "store unavailable: %s: %s", la_strerror(rc),
		       err[0] ? err : la_store_errmsg(st));
		status = LA_CHKPWD_UNAVAIL;
		goto out;
	}
	rc = la_check_own_password(st, (uint32_t)ruid, name, password, &u);
	status = la_chkpwd_status(rc);
	if (rc == LA_E_PERM)
		syslog(LOG_WARNING, "uid %u: refused: asked for the password of %s",
		       (unsigned)ruid, loggable(name));
	else if (rc == LA_E_AUTH || rc == LA_E_LOCKED || rc == LA_E_DISABLED)
		syslog(LOG_NOTICE, "password check failed for user (%s): %s", loggable(name),
		       la_strerror(rc));
	else if (rc == LA_E_NOUSER)
		syslog(LOG_NOTICE, "uid %u: not a user of the store", (unsigned)ruid);
	else if (status == LA_CHKPWD_UNAVAIL)
		syslog(LOG_ERR, "%s: %s", la_strerror(rc), la_store_errmsg(st));
out:
	la_store_close(st);
	sodium_memzero(buf, sizeof(buf));
	return status;
}

int main(int argc, char **argv)
{
	uid_t ruid = getuid();

	harden();
	openlog("luciaauth-chkpwd", LOG_PID, LOG_AUTHPRIV);
	if (sodium_init() < 0) {
		syslog(LOG_ERR, "libsodium failed to initialise");
		return LA_CHKPWD_UNAVAIL;
	}
	/* MUST 1: one optional operand, never an option. */
	if (argc > 2 || (argc == 2 && (argv[1][0] == '-' || !argv[1][0]))) {
		syslog(LOG_WARNING, "uid %u: refused: options or extra arguments",
		       (unsigned)ruid);
		fprintf(stderr, "usage: luciaauth-chkpwd [USER] <password-on-a-pipe\n");
		return LA_CHKPWD_REFUSED;
	}
	if (isatty(STDIN_FILENO)) { /* MUST 3 */
		syslog(LOG_WARNING, "uid %u: refused: standard input is a terminal",
		       (unsigned)ruid);
		fprintf(stderr, "luciaauth-chkpwd: standard input must not be a terminal;"
				" this helper is run by pam_luciaauth(8)\n");
		return LA_CHKPWD_REFUSED;
	}
	return check(argc == 2 ? argv[1] : NULL, ruid);
}

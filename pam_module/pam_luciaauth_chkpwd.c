/*
 * pam_luciaauth_chkpwd.c - authentication without privilege: run the
 * setuid helper luciaauth-chkpwd(8) and map its exit status (as pam_unix
 * runs unix_chkpwd).
 *
 * MUST:
 *  1. Fail closed: only exit status 0 of a helper that ran to its end is
 *     success; a helper that cannot be run, is killed or says anything
 *     unexpected is PAM_AUTHINFO_UNAVAIL.
 *  2. The password goes over a pipe, never argv or the environment; the
 *     helper gets an empty environment and only fds 0-2.
 *  3. The caller's SIGCHLD and SIGPIPE handling must neither steal the
 *     helper's exit status nor kill the caller (a screen locker): both are
 *     set to defaults / ignored for the duration and then restored.
 *  4. The helper's path comes from the build or from a module argument
 *     (admin-controlled), never from the environment.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <security/pam_ext.h>

#include "pam_luciaauth.h"

/* In the child: stdin from the pipe, stdout/stderr to /dev/null, exec.
 * Only async-signal-safe calls: the caller may have threads. */
static void run_child(char *path, char *user, int rfd)
{
	char *const argv[] = { path, user, NULL };
	char *const envp[] = { NULL };
	int null = open("/dev/null", O_RDWR);

	if (null < 0 || dup2(rfd, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0 ||
	    dup2(null, STDERR_FILENO) < 0)
		_exit(127);
	closefrom(3);
	execve(path, argv, envp);
	_exit(127); /* as a shell says "cannot run"; never a helper's own status */
}

static bool write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Fork and exec the helper, feed it pw, return its wait status or -1. */
static int run_helper(pam_handle_t *pamh, const char *helper, const char *name, const char *pw)
{
	char path[LA_PATH_MAX], user[LA_NAME_MAX + 1];
	int fds[2], status = -1;
	pid_t pid, w;

	snprintf(path, sizeof(path), "%s", helper);
	snprintf(user, sizeof(user), "%s", name);
	if (pipe2(fds, O_CLOEXEC) != 0) {
		pam_syslog(pamh, LOG_ERR, "chkpwd: pipe: %m");
		return -1;
	}
	pid = fork();
	if (pid == 0)
		run_child(path, user, fds[0]);
	close(fds[0]);
	if (pid < 0) {
		pam_syslog(pamh, LOG_ERR, "chkpwd: fork: %m");
		close(fds[1]);
		return -1;
	}
	/* A helper that exits early only makes this write fail (SIGPIPE is
	 * ignored meanwhile); its exit status says why. */
	(void)write_all(fds[1], pw, strlen(pw));
	close(fds[1]);
	do {
		w = waitpid(pid, &status, 0);
	} while (w < 0 && errno == EINTR);
	if (w != pid) {
		pam_syslog(pamh, LOG_ERR, "chkpwd: waitpid: %m");
		return -1;
	}
	return status;
}

la_rc pla_chkpwd(pam_handle_t *pamh, const struct pla_opts *o, const char *user, const char *pw)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL }, ign = { .sa_handler = SIG_IGN };
	struct sigaction old_chld, old_pipe;
	int status;

	if (strlen(user) > LA_NAME_MAX)
		return LA_E_NOUSER; /* never a store user; the helper need not run */
	/* MUST 3 (pam_unix does the same unless "noreap"). */
	sigemptyset(&dfl.sa_mask);
	sigemptyset(&ign.sa_mask);
	sigaction(SIGCHLD, &dfl, &old_chld);
	sigaction(SIGPIPE, &ign, &old_pipe);
	status = run_helper(pamh, o->chkpwd, user, pw ? pw : "");
	sigaction(SIGPIPE, &old_pipe, NULL);
	sigaction(SIGCHLD, &old_chld, NULL);
	if (status < 0)
		return LA_E_NOSTORE;
	if (!WIFEXITED(status)) {
		pam_syslog(pamh, LOG_ERR, "chkpwd: %s ended by signal %d", o->chkpwd,
			   WIFSIGNALED(status) ? WTERMSIG(status) : -1);
		return LA_E_NOSTORE;
	}
	if (WEXITSTATUS(status) == LA_CHKPWD_REFUSED)
		pam_syslog(pamh, LOG_WARNING, "chkpwd: %s refused to check the password of %s",
			   o->chkpwd, user);
	else if (WEXITSTATUS(status) != LA_CHKPWD_OK && WEXITSTATUS(status) != LA_CHKPWD_AUTH &&
		 WEXITSTATUS(status) != LA_CHKPWD_UNKNOWN && WEXITSTATUS(status) != LA_CHKPWD_LOCKED)
		pam_syslog(pamh, LOG_ERR, "chkpwd: %s failed (exit status %d%s)", o->chkpwd,
			   WEXITSTATUS(status),
			   WEXITSTATUS(status) == 127 ? ": cannot be run" : "");
	if (o->debug)
		pam_syslog(pamh, LOG_DEBUG, "chkpwd: exit status %d for %s", WEXITSTATUS(status),
			   user);
	return la_chkpwd_rc(WEXITSTATUS(status));
}

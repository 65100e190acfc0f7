/*
 * cli_auth.c - reading secrets (stdin, no-echo prompt, environment) and the
 * web-style commands "signup" and "login".
 *
 * MUST:
 *  1. Secrets are read with read(2) straight into sodium_malloc() memory
 *     (no stdio buffer keeps a copy) and freed with sodium_free(), which
 *     wipes them, on every path.
 *  2. Exactly one line is consumed from standard input; an embedded NUL,
 *     a line over 64 KiB or no line at all is a usage error, never a
 *     silently truncated password.
 *  3. The terminal's echo is restored on every path, including SIGINT.
 *  4. login never tells whether a user or key exists: unknown names get
 *     the same message and status as a wrong password.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"

#define CLI_SECRET_MAX (64 * 1024)

/* Signal that interrupted a no-echo prompt.  The only file-scope mutable
 * variable: a signal handler has nowhere else to put it. */
static volatile sig_atomic_t prompt_signal;

static void on_prompt_signal(int sig)
{
	prompt_signal = sig;
}

void cli_secret_free(char *s)
{
	sodium_free(s); /* wipes; NULL is fine */
}

/* One line from fd into a new sodium_malloc'd string; "\n" or "\r\n"
 * stripped.  src names the source in messages. */
static int read_line(struct cli_ctx *c, int fd, const char *src, const char *what, char **out)
{
	char *buf = sodium_malloc(CLI_SECRET_MAX + 1);
	size_t len = 0;
	bool eol = false;
	char ch = '\0';
	ssize_t n;
	int r = CLI_OK;

	*out = NULL;
	if (!buf)
		return cli_fail_msg(c, CLI_ESTORE, "nomem", "out of memory");
	for (;;) {
		n = read(fd, &ch, 1);
		if (n < 0 && errno == EINTR && !prompt_signal)
			continue;
		if (n < 0) {
			r = prompt_signal ? cli_fail_msg(c, CLI_EUSAGE, "usage", "interrupted")
					  : cli_fail_msg(c, CLI_ESTORE, "io", "cannot read %s: %s",
							 src, strerror(errno));
			goto out;
		}
		if (n == 0 || ch == '\n') {
			eol = n == 1;
			break;
		}
		if (ch == '\0') {
			r = cli_usage(c, "the %s on %s contains a NUL byte", what, src);
			goto out;
		}
		if (len == CLI_SECRET_MAX) {
			r = cli_usage(c, "the %s on %s is longer than 64 KiB", what, src);
			goto out;
		}
		buf[len++] = ch;
	}
	if (len == 0 && !eol) {
		r = cli_usage(c, "no %s on %s", what, src);
		goto out;
	}
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
out:
	sodium_memzero(&ch, sizeof(ch));
	sodium_free(buf);
	return r;
}

static const int prompt_signals[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP };
#define N_PROMPT_SIGNALS (sizeof(prompt_signals) / sizeof(prompt_signals[0]))

/* Prompt on /dev/tty without echo.  Signals are caught so the echo can be
 * restored; the signal is then re-raised with its old disposition. */
static int prompt_secret(struct cli_ctx *c, const char *prompt, const char *what, char **out)
{
	struct sigaction sa = { .sa_handler = on_prompt_signal }, old_sa[N_PROMPT_SIGNALS];
	struct termios old_tio, tio;
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	int r, sig;

	*out = NULL;
	if (fd < 0 || tcgetattr(fd, &old_tio) != 0) {
		r = cli_fail_msg(c, CLI_EUSAGE, "usage", "cannot prompt for the %s on /dev/tty: %s",
				 what, strerror(errno));
		if (fd >= 0)
			close(fd);
		return r;
	}
	prompt_signal = 0;
	sigemptyset(&sa.sa_mask); /* no SA_RESTART: read() must return EINTR */
	for (size_t i = 0; i < N_PROMPT_SIGNALS; i++)
		sigaction(prompt_signals[i], &sa, &old_sa[i]);
	tio = old_tio;
	tio.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	tio.c_lflag |= ICANON;
	tcsetattr(fd, TCSAFLUSH, &tio);
	if (write(fd, prompt, strlen(prompt)) < 0) {
		/* read_line() reports a terminal that stopped working */
	}
	r = read_line(c, fd, "the terminal", what, out);
	if (write(fd, "\n", 1) < 0) {
		/* the echoed newline is cosmetic */
	}
	tcsetattr(fd, TCSAFLUSH, &old_tio);
	for (size_t i = 0; i < N_PROMPT_SIGNALS; i++)
		sigaction(prompt_signals[i], &old_sa[i], NULL);
	close(fd);
	sig = prompt_signal;
	if (sig) {
		cli_secret_free(*out);
		*out = NULL;
		raise(sig);
		return r != CLI_OK ? r : CLI_EUSAGE;
	}
	return r;
}

int cli_get_password(struct cli_ctx *c, bool use_stdin, bool confirm, const char *hint,
		     char **out)
{
	char *again = NULL;
	int r;

	*out = NULL;
	if (use_stdin)
		return read_line(c, STDIN_FILENO, "standard input", "password", out);
	if (!isatty(STDIN_FILENO))
		return cli_usage(c, "%s", hint);
	r = prompt_secret(c, confirm ? "New password: " : "Password: ", "password", out);
	if (r != CLI_OK || !confirm)
		return r;
	r = prompt_secret(c, "Retype new password: ", "password", &again);
	if (r == CLI_OK && (strlen(again) != strlen(*out) ||
			    sodium_memcmp(again, *out, strlen(again)) != 0))
		r = cli_fail_msg(c, CLI_EUSAGE, "usage", "passwords do not match");
	cli_secret_free(again);
	if (r != CLI_OK) {
		cli_secret_free(*out);
		*out = NULL;
	}
	return r;
}

int cli_get_token(struct cli_ctx *c, bool from_env, char **out)
{
	const char *v;
	size_t len;

	*out = NULL;
	if (!from_env) {
		if (isatty(STDIN_FILENO))
			return prompt_secret(c, "Session token: ", "session token", out);
		return read_line(c, STDIN_FILENO, "standard input", "session token", out);
	}
#ifdef HAVE_SECURE_GETENV
	v = secure_getenv("LUCIAAUTH_SESSION");
#else
	v = getenv("LUCIAAUTH_SESSION");
#endif
	if (!v || !v[0])
		return cli_usage(c, "LUCIAAUTH_SESSION is not set");
	len = strlen(v);
	if (len > CLI_SECRET_MAX)
		return cli_usage(c, "LUCIAAUTH_SESSION is longer than 64 KiB");
	*out = sodium_malloc(len + 1);
	if (!*out)
		return cli_fail_msg(c, CLI_ESTORE, "nomem", "out of memory");
	memcpy(*out, v, len + 1);
	return CLI_OK;
}

/* ---- signup --------------------------------------------------------- */

struct signup_args {
	const char *username, *email;
	bool pw_stdin;
	struct la_origin origin;
};

static int signup_opts(struct cli_ctx *c, int argc, char **argv, struct signup_args *a)
{
	static const struct option opts[] = {
		{ "username", required_argument, NULL, 'u' },
		{ "email", required_argument, NULL, 'e' },
		{ "password-stdin", no_argument, NULL, 'p' },
		{ "rhost", required_argument, NULL, 'r' },
		CLI_STD_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int status = CLI_CONTINUE, opt, r;

	optind = 0;
	while ((opt = cli_getopt(c, argc, argv, opts, &status)) != -1) {
		if (opt == 'u')
			a->username = optarg;
		else if (opt == 'e')
			a->email = optarg;
		else if (opt == 'p')
			a->pw_stdin = true;
		else if (opt == 'r')
			a->origin.rhost = optarg;
	}
	r = cli_getopt_end(c, argc, status, 0, 0);
	if (r != CLI_CONTINUE)
		return r;
	if (!a->username)
		return cli_usage(c, "--username is required");
	if (!la_valid_username(a->username))
		return cli_usage(c, "invalid user name '%s'", a->username);
	return CLI_CONTINUE;
}

int cli_cmd_signup(struct cli_ctx *c, int argc, char **argv)
{
	struct signup_args a = { .username = NULL };
	struct la_store *st = NULL;
	struct la_session s;
	struct la_user u;
	char token[LA_TOKEN_BUF] = "";
	char *password = NULL;
	int r = signup_opts(c, argc, argv, &a);
	la_rc rc;

	if (r != CLI_CONTINUE)
		return r;
	r = cli_open_store(c, 0, &st);
	if (r != CLI_OK)
		goto out;
	if (!la_store_config(st)->signup_open) {
		r = cli_fail(c, NULL, LA_E_SIGNUP_CLOSED, "set 'signup = open' to allow it");
		goto out;
	}
	r = cli_get_password(c, a.pw_stdin, true, "password required: use --password-stdin",
			     &password);
	if (r != CLI_OK)
		goto out;
	rc = la_signup(st, a.username, a.email, password, &a.origin, token, &s, &u);
	cli_secret_free(password);
	password = NULL;
	if (rc != LA_OK)
		r = cli_fail(c, st, rc, a.username);
	else
		r = cli_print_session_result(c, token, &s, &u);
out:
	sodium_memzero(token, sizeof(token));
	cli_secret_free(password);
	la_store_close(st);
	return r;
}

/* ---- login ---------------------------------------------------------- */

/* Unknown user, unknown key and wrong password look the same. */
static int login_fail(struct cli_ctx *c, const struct la_store *st, la_rc rc, enum la_ident how)
{
	static const char *const generic[] = {
		[LA_IDENT_USERNAME] = "invalid username or password",
		[LA_IDENT_EMAIL] = "invalid email or password",
		[LA_IDENT_KEY] = "invalid credentials",
	};

	if (rc == LA_E_AUTH || rc == LA_E_NOUSER || rc == LA_E_NOKEY)
		return cli_fail_msg(c, CLI_EAUTH, cli_rc_code(LA_E_AUTH), "%s", generic[how]);
	return cli_fail(c, st, rc, NULL);
}

static int login_ident(struct cli_ctx *c, int opt, enum la_ident *how, const char **ident)
{
	if (*ident)
		return cli_usage(c, "give only one of --user, --email and --key");
	*how = opt == 'u' ? LA_IDENT_USERNAME : opt == 'e' ? LA_IDENT_EMAIL : LA_IDENT_KEY;
	*ident = optarg;
	return CLI_CONTINUE;
}

int cli_cmd_login(struct cli_ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "email", required_argument, NULL, 'e' },
		{ "key", required_argument, NULL, 'k' },
		{ "password-stdin", no_argument, NULL, 'p' },
		{ "rhost", required_argument, NULL, 'r' },
		CLI_STD_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct la_store *st = NULL;
	struct la_session s;
	struct la_user u;
	struct la_origin origin = { .source = NULL };
	enum la_ident how = LA_IDENT_USERNAME;
	char token[LA_TOKEN_BUF] = "";
	char *password = NULL;
	const char *ident = NULL;
	bool pw_stdin = false;
	int status = CLI_CONTINUE, opt, r = CLI_CONTINUE;
	la_rc rc;

	optind = 0;
	while (r == CLI_CONTINUE && (opt = cli_getopt(c, argc, argv, opts, &status)) != -1) {
		if (opt == 'p')
			pw_stdin = true;
		else if (opt == 'r')
			origin.rhost = optarg;
		else
			r = login_ident(c, opt, &how, &ident);
	}
	if (r == CLI_CONTINUE)
		r = cli_getopt_end(c, argc, status, 0, 0);
	if (r != CLI_CONTINUE)
		return r;
	if (!ident)
		return cli_usage(c, "one of --user, --email or --key is required");
	r = cli_open_store(c, 0, &st);
	if (r != CLI_OK)
		goto out;
	/* A key such as github:1234 may have no password: only ask for one
	 * when told to, or when signing in by name or e-mail. */
	if (how != LA_IDENT_KEY || pw_stdin) {
		r = cli_get_password(c, pw_stdin, false, "password required: use --password-stdin",
				     &password);
		if (r != CLI_OK)
			goto out;
	}
	rc = la_login(st, how, ident, password, &origin, token, &s, &u);
	cli_secret_free(password);
	password = NULL;
	if (rc != LA_OK) {
		r = login_fail(c, st, rc, how);
		goto out;
	}
	if (u.must_change && !c->json)
		fprintf(stderr, CLI_NAME ": note: the password of %s must be changed\n", u.username);
	r = cli_print_session_result(c, token, &s, &u);
out:
	sodium_memzero(token, sizeof(token));
	cli_secret_free(password);
	la_store_close(st);
	return r;
}

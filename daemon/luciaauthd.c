/*
 * luciaauthd.c - the web service: options, configuration, listening
 * sockets, the libmicrohttpd daemons and an orderly stop on SIGTERM.
 *
 * Threading: one libmicrohttpd daemon per listening socket, each with an
 * internal epoll thread pool of http_threads; every pool thread opens its
 * own store handle on first use (ld_store), so no lock is taken around the
 * library and SQLite's WAL lets the readers run side by side.
 *
 * Exit status: 0 stopped by a signal, 2 usage or configuration error,
 * 5 store unavailable, 1 anything else (a socket that cannot be bound).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "luciaauthd.h"

static struct ld_ctx ctx;

static void usage(FILE *f)
{
	fprintf(f, "usage: luciaauthd [--config FILE] [--dir DIR] [--listen HOST:PORT]\n"
		   "                  [--socket PATH] [--check]\n"
		   "Serves the sign-in page, the JSON API and GET /auth (nginx auth_request)\n"
		   "over the luciaauth store.  See luciaauthd(8).\n");
}

static int load_config(int argc, char **argv, bool *check_only)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "dir", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' }, { "socket", required_argument, NULL, 's' },
		{ "check", no_argument, NULL, 'k' },        { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = LA_DEFAULT_CONFIG, *over[3] = { NULL, NULL, NULL };
	bool explicit_path = false;
	char err[512] = "";
	int o;

	while ((o = getopt_long(argc, argv, "c:d:l:s:kh", opts, NULL)) != -1) {
		switch (o) {
		case 'c': path = optarg; explicit_path = true; break;
		case 'd': over[0] = optarg; break;
		case 'l': over[1] = optarg; break;
		case 's': over[2] = optarg; break;
		case 'k': *check_only = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	la_config_defaults(&ctx.cfg);
	if (la_config_load(&ctx.cfg, path, !explicit_path, err, sizeof(err)) != LA_OK ||
	    (over[0] && la_config_set(&ctx.cfg, "dir", over[0], err, sizeof(err)) != LA_OK) ||
	    (over[1] && la_config_set(&ctx.cfg, "http_listen", over[1], err, sizeof(err)) != LA_OK) ||
	    (over[2] && la_config_set(&ctx.cfg, "http_socket", over[2], err, sizeof(err)) != LA_OK)) {
		fprintf(stderr, "luciaauthd: %s\n", err);
		return 2;
	}
	if (!ctx.cfg.http.listen[0] && !ctx.cfg.http.socket[0]) {
		fprintf(stderr, "luciaauthd: neither http_listen nor http_socket is set\n");
		return 2;
	}
	return 0;
}

/* Bind "host:port" ("[v6]:port"); port 0 picks a free one (tests). */
static int listen_tcp(const char *spec, char *shown, size_t shown_len)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM };
	char host[LA_ORIGIN_MAX + 1], port[8], hbuf[NI_MAXHOST], pbuf[NI_MAXSERV];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct addrinfo *ai = NULL;
	const char *colon = strrchr(spec, ':');
	int fd = -1, one = 1, r;

	snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
	snprintf(port, sizeof(port), "%s", colon + 1);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	r = getaddrinfo(host, port, &hints, &ai);
	if (r != 0) {
		fprintf(stderr, "luciaauthd: %s: %s\n", spec, gai_strerror(r));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 512) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, sl, hbuf, sizeof(hbuf), pbuf, sizeof(pbuf),
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		fprintf(stderr, "luciaauthd: cannot listen on %s: %s\n", spec, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	} else {
		snprintf(shown, shown_len, strchr(hbuf, ':') ? "[%s]:%s" : "%s:%s", hbuf, pbuf);
	}
	freeaddrinfo(ai);
	return fd;
}

/* A stale socket of an earlier run is replaced; any other file is not. */
static int listen_unix(const char *path, unsigned mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat sb;
	mode_t old;
	int fd, ok;

	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			fprintf(stderr, "luciaauthd: %s exists and is not a socket\n", path);
			return -1;
		}
		unlink(path);
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* no window in which the socket exists with a wider mode */
	old = umask(0777 & ~(mode_t)mode);
	ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	umask(old);
	if (!ok || chmod(path, (mode_t)mode) != 0 || listen(fd, 512) != 0) {
		fprintf(stderr, "luciaauthd: cannot listen on %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("luciaauthd: ", stderr);
	vfprintf(stderr, fmt, ap);
}

static struct MHD_Daemon *start_http(int fd)
{
	/* headers plus the body; more is refused by libmicrohttpd itself */
	size_t mem = 32 * 1024 + ctx.cfg.http.body_max;

	return MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				ld_handle, &ctx, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_THREAD_POOL_SIZE, ctx.cfg.http.threads,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
				MHD_OPTION_CONNECTION_LIMIT, 2048u,
				MHD_OPTION_CONNECTION_TIMEOUT, 30u,
				MHD_OPTION_NOTIFY_COMPLETED, ld_request_done, &ctx,
				MHD_OPTION_END);
}

/* Open the store once before serving: a wrong dir or mode fails now,
 * with the library's explanation, not on the first request. */
static int check_store(void)
{
	struct la_store *st = NULL;
	la_rc rc = la_store_open(&ctx.cfg, 0, &st);

	if (rc != LA_OK)
		fprintf(stderr, "luciaauthd: cannot open the store in %s: %s%s%s\n", ctx.cfg.dir,
			la_strerror(rc), st && *la_store_errmsg(st) ? ": " : "",
			st ? la_store_errmsg(st) : "");
	la_store_close(st);
	return rc == LA_OK ? 0 : 5;
}

static int serve(void)
{
	struct MHD_Daemon *tcp = NULL, *unx = NULL;
	char shown[NI_MAXHOST + NI_MAXSERV + 4] = "";
	int fd_tcp = -1, fd_unix = -1, sig = 0, ret = 1;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* blocked before any thread starts, so only sigwait() sees them */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (ctx.cfg.http.listen[0] &&
	    ((fd_tcp = listen_tcp(ctx.cfg.http.listen, shown, sizeof(shown))) < 0 ||
	     !(tcp = start_http(fd_tcp))))
		goto out;
	if (ctx.cfg.http.socket[0] &&
	    ((fd_unix = listen_unix(ctx.cfg.http.socket, ctx.cfg.http.socket_mode)) < 0 ||
	     !(unx = start_http(fd_unix))))
		goto out;
	fprintf(stderr, "luciaauthd: serving store %s%s%s%s%s (%u threads each)\n", ctx.cfg.dir,
		tcp ? " on http://" : "", shown, unx ? " on unix:" : "",
		unx ? ctx.cfg.http.socket : "", ctx.cfg.http.threads);
	while (sigwait(&set, &sig) == 0 && sig == SIGHUP)
		fprintf(stderr, "luciaauthd: SIGHUP ignored (restart to reload)\n");
	fprintf(stderr, "luciaauthd: stopping on signal %d\n", sig);
	ret = 0;
out:
	if (tcp)
		MHD_stop_daemon(tcp);
	if (unx)
		MHD_stop_daemon(unx);
	if (fd_tcp >= 0)
		close(fd_tcp);
	if (fd_unix >= 0) {
		close(fd_unix);
		unlink(ctx.cfg.http.socket);
	}
	return ret;
}

int main(int argc, char **argv)
{
	bool check_only = false;
	int ret;

	ret = load_config(argc, argv, &check_only);
	if (ret != 0)
		return ret;
	if (sodium_init() < 0) {
		fprintf(stderr, "luciaauthd: libsodium failed to initialise\n");
		return 1;
	}
	ret = check_store();
	if (ret != 0 || check_only)
		return ret;
	if (pthread_key_create(&ctx.store_key, ld_store_destroy) != 0)
		return 1;
	ld_throttle_init(&ctx.throttle, ctx.cfg.http.throttle, ctx.cfg.http.throttle_interval_ms);
	setvbuf(stderr, NULL, _IOLBF, 0);
	return serve();
}

/*
 * nss_probe.c - ask the NSS module as built one question and print the raw
 * nss_status, for the shell tests (test_faults.sh, test_crash.sh): getent
 * cannot tell UNAVAIL from NOTFOUND.
 *
 *   nss_probe MODULE.so passwd NAME   -> "SUCCESS uid=N" | "NOTFOUND" |
 *                                        "UNAVAIL errno=E" | "TRYAGAIN ..."
 *   nss_probe MODULE.so group NAME    -> the same for a group (gid=N)
 *
 * The snapshot comes from LUCIAAUTH_NSS_SNAPSHOT (the module's test hook).
 * Exit 0 whatever the status (the status is the answer), 2 on misuse.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

typedef enum nss_status (*pw_fn)(const char *, struct passwd *, char *, size_t, int *);
typedef enum nss_status (*gr_fn)(const char *, struct group *, char *, size_t, int *);

static const char *status_name(enum nss_status s)
{
	switch (s) {
	case NSS_STATUS_SUCCESS:
		return "SUCCESS";
	case NSS_STATUS_NOTFOUND:
		return "NOTFOUND";
	case NSS_STATUS_UNAVAIL:
		return "UNAVAIL";
	case NSS_STATUS_TRYAGAIN:
		return "TRYAGAIN";
	default:
		return "OTHER";
	}
}

int main(int argc, char **argv)
{
	static char buf[65536];
	struct passwd pw;
	struct group gr;
	enum nss_status s;
	void *h;
	void *fn;
	int err = 0;
	unsigned id = 0;

	if (argc != 4 || (strcmp(argv[2], "passwd") != 0 && strcmp(argv[2], "group") != 0)) {
		fprintf(stderr, "usage: nss_probe MODULE.so passwd|group NAME\n");
		return 2;
	}
	h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!h) {
		fprintf(stderr, "nss_probe: %s\n", dlerror());
		return 2;
	}
	fn = dlsym(h, argv[2][0] == 'p' ? "_nss_luciaauth_getpwnam_r" : "_nss_luciaauth_getgrnam_r");
	if (!fn) {
		fprintf(stderr, "nss_probe: %s\n", dlerror());
		return 2;
	}
	if (argv[2][0] == 'p') {
		s = ((pw_fn)fn)(argv[3], &pw, buf, sizeof(buf), &err);
		id = s == NSS_STATUS_SUCCESS ? pw.pw_uid : 0;
	} else {
		s = ((gr_fn)fn)(argv[3], &gr, buf, sizeof(buf), &err);
		id = s == NSS_STATUS_SUCCESS ? gr.gr_gid : 0;
	}
	if (s == NSS_STATUS_SUCCESS)
		printf("SUCCESS %s=%u\n", argv[2][0] == 'p' ? "uid" : "gid", id);
	else if (s == NSS_STATUS_NOTFOUND)
		printf("NOTFOUND\n");
	else
		printf("%s errno=%s\n", status_name(s), strerror(err));
	dlclose(h);
	return 0;
}

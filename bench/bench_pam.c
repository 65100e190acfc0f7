/*
 * bench_pam.c - PAM authentication and a login storm through
 * pam_luciaauth.so (SPEC 3 and 7).
 *
 * bench_pam --module PATH [--n N] [--warmup W] [--clients C] [--logins L]
 *           [--users U] [--hash-storm H] [--storm-mode M] [--hash-slots K]
 *           [--unix-user NAME | --unix-skip WHY] [--dir DIR] [--keep] [--json]
 * bench_pam --calibrate-yescrypt FILE [--json]
 *
 * The module is loaded the way sshd or login load it, by libpam from a
 * service file, but from a private directory: pam_start_confdir() (Linux-PAM
 * >= 1.4) with services written into a fresh temporary directory (mkdtemp
 * under DIR, $TMPDIR or /tmp; removed at the end unless --keep) that also
 * holds the state directory and the config file the module is pointed at:
 *
 *   auth     required PATH config=TMP/luciaauth.conf nodelay
 *   account  required PATH config=TMP/luciaauth.conf nodelay
 *   session  required PATH config=TMP/luciaauth.conf nodelay
 *
 * (nodelay only drops the 2 s delay after a failure; only successes are
 * timed).  The store keeps every default, in particular the password hash
 * cost (Argon2id m = 19456 KiB, t = 2, p = 1) and synchronous = NORMAL.
 * U users (pbuser000 ...) are created through libluciaauth.
 *
 * One client (N times each, interleaved, after W warm-up rounds; every call
 * on a fresh handle: pam_start_confdir, the call timed, pam_end):
 *   hash         la_verify_password on the stored hash of pbuser000, read
 *                from the database with the same parameters: the hash alone
 *   auth         pam_authenticate for pbuser000 through pam_luciaauth.so
 *   login        pam_authenticate + pam_open_session + pam_close_session
 *   unix_hash    crypt_rn on the yescrypt hash of NAME from /etc/shadow
 *   unix_auth    pam_authenticate for NAME through pam_unix.so (nodelay)
 * overhead = mean(auth) - mean(hash), the figure of SPEC 7 (target < 1 ms).
 * That difference of two ~20-40 ms means is noisy, so the split is also
 * measured inside each call: this program defines crypto_pwhash_str_verify
 * and crypt_r, which the module's and pam_unix's calls bind to (an
 * executable's definition comes first in the global scope), times them in
 * wall-clock and thread CPU time and forwards to libsodium's / libxcrypt's.
 *
 * pam_unix needs root (it reads /etc/shadow) and NAME in /etc/passwd and
 * /etc/shadow with the benchmark password; bench/run-pam.sh provides that
 * in a private mount namespace.  Without --unix-user the part is reported
 * as skipped (with WHY).
 *
 * Login storm: C clients, each with its own handles, take login numbers
 * 0..L-1 from a shared counter; login k is user k % U: pam_start_confdir,
 * pam_authenticate, pam_open_session, pam_close_session, pam_end.  The
 * clients are forked processes (as every sshd, login or su is its own
 * process) and/or threads of this process (--storm-mode).  Reports wall
 * time, logins/s, errors (any result other than PAM_SUCCESS), latency, CPU
 * time (all clients; in the hash) and throughput / (cores / hash time),
 * hash time being the one-client mean of "hash" and cores the CPUs this
 * process may run on (target >= 90 %); also the one-client hash CPU time /
 * the storm's CPU time per login (the share the storm would reach with the
 * cores to itself), and how much CPU other processes used meanwhile
 * (/proc/stat), which makes a throughput figure inconclusive.  Then H
 * hash-only verifications by C clients of the same kind (--hash-storm,
 * default L / 4; 0 = skip): what the cores give when nothing but the hash
 * runs, to tell the module's share of a shortfall from the machine's.
 * --hash-slots K adds one more storm in which the wrapper lets at most K
 * hashes run at a time (a process-shared semaphore): an experiment for a
 * limit the module could enforce.
 *
 * The modules log through pam_syslog only; this program defines it too and
 * copies the first lines to stderr before forwarding them.
 *
 * --calibrate-yescrypt FILE measures la_verify_password at the default
 * Argon2id cost and crypt_rn for yescrypt costs 1, 2, ... (crypt_gensalt_rn
 * "$y$"), picks the cost whose verification time is closest, and writes a
 * yescrypt hash of the benchmark password at that cost to FILE (mode 0600).
 *
 * Output: a human table (stderr with --json, stdout otherwise) and, with
 * --json, one JSON object per line on stdout.  Any unexpected result in the
 * one-client part aborts with a message and exit status 1; storm errors are
 * counted and reported (exit status 0: the report is the point); usage
 * errors exit 2.
 */
#include "config.h"

#include "bench_pam.h"

static void usage(FILE *f, int code)
{
	fprintf(
	    f,
	    "usage: " PROG " --module PATH [--n N] [--warmup W] [--clients C] [--logins L]\n"
	    "                 [--users U] [--hash-storm H] [--storm-mode M] [--hash-slots K]\n"
	    "                 [--unix-user NAME | --unix-skip WHY] [--dir DIR] [--keep] [--json]\n"
	    "       " PROG " --calibrate-yescrypt FILE [--json]\n"
	    "  --module PATH   pam_luciaauth.so to load (absolute path)\n"
	    "  --n N           one-client rounds (default 50)\n"
	    "  --warmup W      warm-up rounds (default 3)\n"
	    "  --clients C     storm clients (default 32)\n"
	    "  --logins L      storm logins in all (default 1000; 0 = no storm)\n"
	    "  --users U       store users (default 32)\n"
	    "  --hash-storm H  hash-only verifications by C clients (default L/4; 0 = skip)\n"
	    "  --storm-mode M  clients are processes, threads or both (default both)\n"
	    "  --hash-slots K  then one more storm with at most K hashes at a time\n"
	    "                  (an experiment; default 0 = none)\n"
	    "  --unix-user NAME  also time pam_unix.so for NAME (root; its password must be\n"
	    "                  the benchmark's, see bench/run-pam.sh)\n"
	    "  --unix-skip WHY why there is no pam_unix part (reported)\n"
	    "  --dir DIR       where to create the temporary directory ($TMPDIR or /tmp)\n"
	    "  --keep          do not remove it\n"
	    "  --json          JSON lines on stdout, the table on stderr\n"
	    "  --calibrate-yescrypt FILE  pick the yescrypt cost closest to the default\n"
	    "                  Argon2id and write such a hash of the benchmark password to FILE\n");
	exit(code);
}

static size_t parse_count(const char *s, size_t min, size_t max, const char *opt)
{
	char *end = NULL;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || !end || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, PROG ": %s: not a count in %zu..%zu: %s\n", opt, min, max, s);
		usage(stderr, 2);
	}
	return (size_t)v;
}

/* ---- set-up -------------------------------------------------------- */

static void setup_store(const char *state, size_t users)
{
	struct la_config cfg;
	struct la_store *st = NULL;
	struct la_user u;
	la_rc rc;

	la_config_defaults(&cfg);
	if ((size_t)snprintf(cfg.dir, sizeof(cfg.dir), "%s", state) >= sizeof(cfg.dir))
		die("state directory path too long");
	rc = la_store_open(&cfg, LA_OPEN_CREATE, &st);
	check(st, rc, "la_store_open (create)");
	for (size_t i = 0; i < users; i++) {
		char name[LA_NAME_MAX + 1];
		struct la_user_spec spec = {.username = name};

		snprintf(name, sizeof(name), USER_FMT, i);
		rc = la_user_add(st, &spec, BENCH_PASSWORD, &u);
		check(st, rc, "la_user_add");
	}
	la_store_close(st);
}

static void setup_services(const char *confdir, const char *module, const char *conf)
{
	char path[LA_PATH_MAX + 64];

	if (mkdir(confdir, 0700) != 0)
		die("mkdir %s: %s", confdir, strerror(errno));
	snprintf(path, sizeof(path), "%s/" SERVICE, confdir);
	write_file(path, 0644,
		   "auth     required %s config=%s nodelay\n"
		   "account  required %s config=%s nodelay\n"
		   "session  required %s config=%s nodelay\n"
		   "password required pam_deny.so\n",
		   module, conf, module, conf, module, conf);
	snprintf(path, sizeof(path), "%s/" SERVICE_UNIX, confdir);
	write_file(path, 0644,
		   "auth     required pam_unix.so nodelay\n"
		   "account  required pam_unix.so\n"
		   "session  required pam_unix.so\n"
		   "password required pam_deny.so\n");
	snprintf(path, sizeof(path), "%s/other", confdir);
	write_file(path, 0644,
		   "auth     required pam_deny.so\n"
		   "account  required pam_deny.so\n"
		   "session  required pam_deny.so\n"
		   "password required pam_deny.so\n");
}

int main(int argc, char **argv)
{
	size_t n = 50, warmup = 3, clients = 32, logins = 1000, users = 32, hstorm = 0;
	bool json = false, hstorm_set = false;
	const char *base = NULL, *module = NULL, *unix_user = NULL, *unix_skip = NULL;
	const char *calibrate = NULL;
	char state[LA_PATH_MAX + 16], conf[LA_PATH_MAX + 32], confdir[LA_PATH_MAX + 16];
	char db[LA_PATH_MAX + 32], argon_hash[LA_HASH_MAX], unix_hash[CRYPT_OUTPUT_SIZE] = "";
	char user0[LA_NAME_MAX + 1], skip_buf[128];
	struct one_client o;
	struct storm_result runs[5];
	size_t n_runs = 0;
	unsigned modes = 3, slots = 0; /* bit 0 processes, bit 1 threads */
	char load_start[64] = "?";
	struct pam_ctx lp, up;
	unsigned cores = online_cores();
	double hash_s, hash_cpu_s;
	FILE *tf;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--keep")) {
			g_keep = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout, 0);
		} else if (strcmp(a, "--n") && strcmp(a, "--warmup") && strcmp(a, "--clients") &&
			   strcmp(a, "--logins") && strcmp(a, "--users") &&
			   strcmp(a, "--hash-storm") && strcmp(a, "--unix-user") &&
			   strcmp(a, "--unix-skip") && strcmp(a, "--dir") &&
			   strcmp(a, "--module") && strcmp(a, "--calibrate-yescrypt") &&
			   strcmp(a, "--storm-mode") && strcmp(a, "--hash-slots")) {
			fprintf(stderr, PROG ": unknown option: %s\n", a);
			usage(stderr, 2);
		} else if (!v) {
			fprintf(stderr, PROG ": %s needs a value\n", a);
			usage(stderr, 2);
		} else {
			i++;
			if (!strcmp(a, "--n"))
				n = parse_count(v, 1, 1000000, a);
			else if (!strcmp(a, "--warmup"))
				warmup = parse_count(v, 0, 1000000, a);
			else if (!strcmp(a, "--clients"))
				clients = parse_count(v, 1, 4096, a);
			else if (!strcmp(a, "--logins"))
				logins = parse_count(v, 0, 100000000, a);
			else if (!strcmp(a, "--users"))
				users = parse_count(v, 1, 999, a);
			else if (!strcmp(a, "--hash-storm"))
				hstorm = parse_count(v, 0, 100000000, a), hstorm_set = true;
			else if (!strcmp(a, "--unix-user"))
				unix_user = v;
			else if (!strcmp(a, "--unix-skip"))
				unix_skip = v;
			else if (!strcmp(a, "--dir"))
				base = v;
			else if (!strcmp(a, "--module"))
				module = v;
			else if (!strcmp(a, "--hash-slots"))
				slots = (unsigned)parse_count(v, 0, 4096, a);
			else if (!strcmp(a, "--storm-mode")) {
				if (!strcmp(v, "processes"))
					modes = 1;
				else if (!strcmp(v, "threads"))
					modes = 2;
				else if (!strcmp(v, "both"))
					modes = 3;
				else {
					fprintf(stderr,
						PROG ": --storm-mode: processes, threads or "
						     "both, not %s\n",
						v);
					usage(stderr, 2);
				}
			} else
				calibrate = v;
		}
	}
	resolve_real();
	{
		struct la_config defaults;

		la_config_defaults(&defaults);
		g_mem_kib = defaults.hash_mem_kib;
		g_ops = defaults.hash_ops;
	}
	if (calibrate)
		return calibrate_yescrypt(calibrate, json);
	if (!module || module[0] != '/') {
		fprintf(stderr, PROG ": --module needs the absolute path of pam_luciaauth.so\n");
		usage(stderr, 2);
	}
	if (access(module, R_OK) != 0)
		die("%s: %s", module, strerror(errno));
	plain_path(module);
	if (!hstorm_set)
		hstorm = logins / 4;
	if (unix_user && geteuid() != 0) {
		snprintf(skip_buf, sizeof(skip_buf), "not root: pam_unix cannot read /etc/shadow");
		unix_skip = skip_buf;
		unix_user = NULL;
	}
	if (!unix_user && !unix_skip)
		unix_skip = "no --unix-user given";
	if (!base || !*base)
		base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	{
		FILE *la = fopen("/proc/loadavg", "re");

		if (la) {
			if (!fgets(load_start, sizeof(load_start), la))
				snprintf(load_start, sizeof(load_start), "?");
			load_start[strcspn(load_start, "\n")] = '\0';
			fclose(la);
		}
	}

	/* Everything lives in one private directory. */
	make_dir(base);
	snprintf(state, sizeof(state), "%s/state", g_dir);
	snprintf(conf, sizeof(conf), "%s/luciaauth.conf", g_dir);
	snprintf(confdir, sizeof(confdir), "%s/pam.d", g_dir);
	snprintf(db, sizeof(db), "%s/luciaauth.db", state);
	write_file(conf, 0600, "# bench_pam: every default but the state directory\ndir = %s\n",
		   state);
	setup_services(confdir, module, conf);
	setup_store(state, users);
	snprintf(user0, sizeof(user0), USER_FMT, (size_t)0);
	{
		char key[LA_KEY_ID_MAX + 1];

		snprintf(key, sizeof(key), "password:%s", user0);
		stored_hash(db, key, argon_hash);
	}
	if (unix_user) {
		struct spwd *sp = getspnam(unix_user);

		if (!sp || !sp->sp_pwdp)
			die("getspnam %s: no shadow entry", unix_user);
		if (strncmp(sp->sp_pwdp, "$y$", 3) != 0)
			die("the shadow hash of %s is not yescrypt", unix_user);
		snprintf(unix_hash, sizeof(unix_hash), "%s", sp->sp_pwdp);
	}
	lp = (struct pam_ctx){confdir, SERVICE};
	up = (struct pam_ctx){confdir, SERVICE_UNIX};

	memset(&o, 0, sizeof(o));
	hash_params(argon_hash, 2, o.argon_params, sizeof(o.argon_params));
	if (unix_user)
		hash_params(unix_hash, 1, o.unix_params, sizeof(o.unix_params));
	run_one_client(&lp, &up, user0, unix_user, argon_hash, unix_hash, n, warmup, &o);
	if (!o.auth.split)
		fprintf(stderr, PROG ": warning: the module's hash did not come through the "
				     "interposed crypto_pwhash_str_verify; no in-call split\n");
	if (o.unix_on && !o.unix_auth.split)
		fprintf(stderr, PROG ": warning: pam_unix's hash did not come through the "
				     "interposed crypt_r; no in-call split\n");
	hash_s = series_mean(&o.hash) / 1e6;
	hash_cpu_s = distribution(o.hash.cpu, o.hash.n).mean / 1e6;

	for (int m = 0; logins && m < 2; m++) {
		struct storm_result *pam, *hash = NULL;

		if (!(modes & (1u << m)))
			continue;
		pam = &runs[n_runs++];
		run_storm(&lp, (enum storm_mode)m, clients, logins, users, NULL, 0, pam);
		pam->sessions_left = count_rows(db, "SELECT count(*) FROM sessions");
		pam->failures = count_rows(db, "SELECT count(*) FROM auth_failures");
		if (hstorm) {
			hash = &runs[n_runs++];
			run_storm(&lp, (enum storm_mode)m, clients, hstorm, users, argon_hash, 0,
				  hash);
			pam->ceiling_per_s = hash->per_s;
		}
	}
	if (logins && slots) {
		enum storm_mode m = modes & 1u ? MODE_PROCESSES : MODE_THREADS;
		struct storm_result *pam = &runs[n_runs++];

		run_storm(&lp, m, clients, logins, users, NULL, slots, pam);
		pam->sessions_left = count_rows(db, "SELECT count(*) FROM sessions");
		pam->failures = count_rows(db, "SELECT count(*) FROM auth_failures");
		for (size_t i = 0; i < n_runs; i++)
			if (runs[i].hash_only && runs[i].mode == m)
				pam->ceiling_per_s = runs[i].per_s;
	}

	tf = json ? stderr : stdout;
	fprintf(tf,
		IMPL ": %s via pam_start_confdir; store defaults (argon2id %s, "
		     "synchronous=NORMAL, WAL) in %s; %u cores\n",
		module, o.argon_params, g_dir, cores);
	print_one_client(tf, &o, unix_skip);
	for (size_t i = 0; i < n_runs; i++)
		print_storm(tf, &runs[i], cores, hash_s, hash_cpu_s);
	fflush(tf);
	if (json) {
		json_one_client(&o, unix_skip);
		for (size_t i = 0; i < n_runs; i++)
			json_storm(&runs[i], cores, hash_s, hash_cpu_s);
		printf("{\"impl\":\"" IMPL "\",\"op\":\"settings\",\"cores\":%u,\"n\":%zu,"
		       "\"warmup\":%zu,\"clients\":%zu,\"logins\":%zu,\"users\":%zu,"
		       "\"hash_storm\":%zu,\"hash_slots\":%u,\"sqlite\":\"%s\",\"load\":",
		       cores, n, warmup, clients, logins, users, hstorm, slots,
		       sqlite3_libversion());
		json_str(stdout, load_start);
		printf(",\"dir\":");
		json_str(stdout, g_dir);
		printf("}\n");
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		die("writing the results: %s", strerror(errno));
	series_free(&o.hash);
	series_free(&o.auth);
	series_free(&o.login);
	series_free(&o.l_auth);
	series_free(&o.l_open);
	series_free(&o.l_close);
	series_free(&o.unix_hash);
	series_free(&o.unix_auth);
	explicit_bzero(argon_hash, sizeof(argon_hash));
	explicit_bzero(unix_hash, sizeof(unix_hash));
	cleanup();
	return 0;
}

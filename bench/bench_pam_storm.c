/*
 * bench_pam_storm.c - bench_pam's login storm.
 */
#include "config.h"

#include "bench_pam.h"

/* ---- login storm ---------------------------------------------------- */

static const char *const stage_names[ST_MAX] = {"pam_start", "pam_authenticate", "pam_open_session",
						"pam_close_session"};

const char *const mode_names[] = {"processes", "threads"};

/* What every worker reports. */
struct wstat {
	double cpu, hash_cpu, hash_wall;
	unsigned long hash_n;
};

/* Shared by the workers: MAP_SHARED, so that forked children write here too. */
struct storm {
	const struct pam_ctx *p;
	size_t logins, users;
	const char *hash; /* non-NULL: the hash-only run */
	atomic_size_t next;
	atomic_size_t errors[ST_MAX];
	atomic_size_t n_shown;
	char shown[MAX_ERR_SHOWN][160];
	pthread_barrier_t barrier; /* threads */
	int start_fd;		   /* processes: read end of the start pipe */
	sem_t slots;		   /* --hash-slots */
	struct wstat *w;	   /* [clients] */
	double *latency;	   /* [logins], seconds */
};

static void storm_error(struct storm *s, enum stage st, const char *user, pam_handle_t *ph, int rc)
{
	size_t i;

	atomic_fetch_add(&s->errors[st], 1);
	i = atomic_fetch_add(&s->n_shown, 1);
	if (i < MAX_ERR_SHOWN)
		snprintf(s->shown[i], sizeof(s->shown[0]), "%s %s: %s (%d)", stage_names[st], user,
			 ph ? pam_strerror(ph, rc) : "no handle", rc);
}

static void storm_login(struct storm *s, size_t k)
{
	char user[LA_NAME_MAX + 1];
	pam_handle_t *ph;
	int rc;
	double t0 = mono_s();

	snprintf(user, sizeof(user), USER_FMT, k % s->users);
	ph = start(s->p, user, &rc);
	if (!ph) {
		storm_error(s, ST_START, user, ph, rc);
		s->latency[k] = mono_s() - t0;
		return;
	}
	rc = pam_authenticate(ph, 0);
	if (rc != PAM_SUCCESS)
		storm_error(s, ST_AUTH, user, ph, rc);
	else if ((rc = pam_open_session(ph, 0)) != PAM_SUCCESS)
		storm_error(s, ST_OPEN, user, ph, rc);
	else if ((rc = pam_close_session(ph, 0)) != PAM_SUCCESS)
		storm_error(s, ST_CLOSE, user, ph, rc);
	pam_end(ph, rc);
	s->latency[k] = mono_s() - t0;
}

static void storm_work(struct storm *s, size_t idx)
{
	struct hash_acc h0 = t_argon; /* a forked child inherits the parent's */
	double c0 = thread_cpu_s();
	size_t k;

	while ((k = atomic_fetch_add(&s->next, 1)) < s->logins) {
		if (s->hash) {
			double t0 = mono_s();
			la_rc rc =
			    la_verify_password(BENCH_PASSWORD, s->hash, g_mem_kib, g_ops, NULL);

			if (rc != LA_OK)
				storm_error(s, ST_AUTH, "la_verify_password", NULL, (int)rc);
			s->latency[k] = mono_s() - t0;
		} else {
			storm_login(s, k);
		}
	}
	s->w[idx].cpu = thread_cpu_s() - c0;
	s->w[idx].hash_cpu = t_argon.cpu - h0.cpu;
	s->w[idx].hash_wall = t_argon.wall - h0.wall;
	s->w[idx].hash_n = t_argon.n - h0.n;
}

struct thread_arg {
	struct storm *s;
	size_t idx;
};

static void *storm_thread(void *arg)
{
	struct thread_arg *a = arg;

	pthread_barrier_wait(&a->s->barrier);
	storm_work(a->s, a->idx);
	return NULL;
}

/* Busy and steal seconds of the whole machine so far (/proc/stat), to tell
 * how much else ran during a storm; false if unavailable. */
static bool machine_cpu(double *busy_s, double *steal_s)
{
	unsigned long long v[8] = {0};
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "re");
	int got;

	if (!f)
		return false;
	got = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		     &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (got != 8 || hz <= 0)
		return false;
	/* user nice system idle iowait irq softirq steal */
	*busy_s = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / (double)hz;
	*steal_s = (double)v[7] / (double)hz;
	return true;
}

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void *shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap %zu bytes: %s", size, strerror(errno));
	return p;
}

static void start_threads(struct storm *s, size_t clients, struct rusage *r0, double *t0)
{
	pthread_t *th = xcalloc(clients, sizeof(*th));
	struct thread_arg *args = xcalloc(clients, sizeof(*args));
	int e;

	if (pthread_barrier_init(&s->barrier, NULL, (unsigned)clients + 1) != 0)
		die("pthread_barrier_init failed");
	for (size_t i = 0; i < clients; i++) {
		args[i] = (struct thread_arg){s, i};
		if ((e = pthread_create(&th[i], NULL, storm_thread, &args[i])) != 0)
			die("pthread_create: %s", strerror(e));
	}
	getrusage(RUSAGE_SELF, r0);
	pthread_barrier_wait(&s->barrier);
	*t0 = mono_s();
	for (size_t i = 0; i < clients; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&s->barrier);
	free(args);
	free(th);
}

static void start_processes(struct storm *s, size_t clients, struct rusage *r0, double *t0)
{
	pid_t *pids = xcalloc(clients, sizeof(*pids));
	int go[2], status;
	char c;

	if (pipe2(go, O_CLOEXEC) != 0)
		die("pipe: %s", strerror(errno));
	fflush(NULL);
	for (size_t i = 0; i < clients; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork: %s", strerror(errno));
		if (pids[i] == 0) {
			g_dir[0] = '\0'; /* the parent cleans up, whatever happens here */
			close(go[1]);
			/* Released when the parent closes its end. */
			while (read(go[0], &c, 1) < 0 && errno == EINTR)
				;
			storm_work(s, i);
			_exit(0);
		}
	}
	close(go[0]);
	getrusage(RUSAGE_CHILDREN, r0);
	*t0 = mono_s();
	close(go[1]);
	for (size_t i = 0; i < clients; i++) {
		if (waitpid(pids[i], &status, 0) != pids[i])
			die("waitpid: %s", strerror(errno));
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			die("storm worker %zu died (status %d)", i, status);
	}
	free(pids);
}

void run_storm(const struct pam_ctx *p, enum storm_mode mode, size_t clients, size_t logins,
		      size_t users, const char *hash_only, unsigned slots, struct storm_result *out)
{
	size_t size =
	    sizeof(struct storm) + clients * sizeof(struct wstat) + logins * sizeof(double);
	struct storm *s = shared_alloc(size);
	struct rusage r0, r1;
	double t0 = 0, wall, busy0 = 0, steal0 = 0, busy1 = 0, steal1 = 0;
	bool machine = machine_cpu(&busy0, &steal0);

	memset(s, 0, sizeof(*s));
	s->p = p;
	s->logins = logins;
	s->users = users;
	s->hash = hash_only;
	s->w = (struct wstat *)(s + 1);
	s->latency = (double *)(s->w + clients);
	atomic_init(&s->next, 0);
	atomic_init(&s->n_shown, 0);
	for (int i = 0; i < ST_MAX; i++)
		atomic_init(&s->errors[i], 0);
	if (slots) {
		if (sem_init(&s->slots, 1, slots) != 0)
			die("sem_init: %s", strerror(errno));
		g_hash_slots = &s->slots;
	}
	if (mode == MODE_THREADS)
		start_threads(s, clients, &r0, &t0);
	else
		start_processes(s, clients, &r0, &t0);
	wall = mono_s() - t0;
	getrusage(mode == MODE_THREADS ? RUSAGE_SELF : RUSAGE_CHILDREN, &r1);
	machine = machine && machine_cpu(&busy1, &steal1);
	g_hash_slots = NULL;
	if (slots)
		sem_destroy(&s->slots);

	memset(out, 0, sizeof(*out));
	out->wall_s = wall;
	out->mode = mode;
	out->hash_only = hash_only != NULL;
	out->hash_slots = slots;
	out->clients = clients;
	out->logins = logins;
	out->users = users;
	out->per_s = (double)logins / out->wall_s;
	for (int i = 0; i < ST_MAX; i++) {
		out->errors_by[i] = atomic_load(&s->errors[i]);
		out->errors += out->errors_by[i];
	}
	out->n_shown = atomic_load(&s->n_shown);
	if (out->n_shown > MAX_ERR_SHOWN)
		out->n_shown = MAX_ERR_SHOWN;
	memcpy(out->shown, s->shown, sizeof(s->shown));
	out->latency = distribution(s->latency, logins);
	for (size_t i = 0; i < clients; i++) {
		out->cpu_s += s->w[i].cpu;
		out->hash_cpu_s += s->w[i].hash_cpu;
		out->hash_n += s->w[i].hash_n;
	}
	out->rusage_user_s = tv_s(r1.ru_utime) - tv_s(r0.ru_utime);
	out->rusage_sys_s = tv_s(r1.ru_stime) - tv_s(r0.ru_stime);
	out->vol_cs = r1.ru_nvcsw - r0.ru_nvcsw;
	out->invol_cs = r1.ru_nivcsw - r0.ru_nivcsw;
	out->machine = machine;
	if (machine) {
		out->other_busy_s = busy1 - busy0 - out->rusage_user_s - out->rusage_sys_s;
		if (out->other_busy_s < 0)
			out->other_busy_s = 0;
		out->steal_s = steal1 - steal0;
	}
	munmap(s, size);
}

/*
 * bench_pam_report.c - bench_pam's report: the table and the JSON lines.
 */
#include "config.h"

#include "bench_pam.h"

/* ---- output --------------------------------------------------------- */

static void json_series(const char *impl, const char *op, const struct series *s, const char *hash,
			const char *extra)
{
	struct dist w = distribution(s->wall, s->n), c = distribution(s->cpu, s->n);

	printf("{\"impl\":\"%s\",\"op\":\"%s\",\"n\":%zu,\"mean_us\":%.1f,\"p50_us\":%.1f,"
	       "\"p99_us\":%.1f,\"min_us\":%.1f,\"max_us\":%.1f,\"cpu_us\":%.1f,"
	       "\"hash_calls_per_op\":%.2f",
	       impl, op, s->n, w.mean, w.p50, w.p99, w.min, w.max, c.mean,
	       (double)s->hash_n / (double)s->n);
	if (s->split) {
		struct dist nw = distribution(s->nonhash_wall, s->n);
		struct dist nc = distribution(s->nonhash_cpu, s->n);

		printf(",\"nonhash_us\":%.1f,\"nonhash_p50_us\":%.1f,\"nonhash_p99_us\":%.1f,"
		       "\"nonhash_cpu_us\":%.1f",
		       nw.mean, nw.p50, nw.p99, nc.mean);
	}
	if (hash)
		printf(",\"hash\":\"%s\"", hash);
	printf("%s}\n", extra ? extra : "");
}

static void row(FILE *f, const char *label, const struct series *s)
{
	struct dist w = distribution(s->wall, s->n), c = distribution(s->cpu, s->n);

	fprintf(f, "  %-36s %9.3f %9.3f %9.3f %9.3f\n", label, w.mean / 1e3, w.p50 / 1e3,
		w.p99 / 1e3, c.mean / 1e3);
}

static void row_nonhash(FILE *f, const char *label, const struct series *s)
{
	struct dist w, c;

	if (!s->split) {
		fprintf(f, "  %-36s %9s\n", label, "unavailable");
		return;
	}
	w = distribution(s->nonhash_wall, s->n);
	c = distribution(s->nonhash_cpu, s->n);
	fprintf(f, "  %-36s %9.3f %9.3f %9.3f %9.3f\n", label, w.mean / 1e3, w.p50 / 1e3,
		w.p99 / 1e3, c.mean / 1e3);
}

double series_mean(const struct series *s)
{
	return distribution(s->wall, s->n).mean;
}

void print_one_client(FILE *f, const struct one_client *o, const char *unix_skip)
{
	double ovh = series_mean(&o->auth) - series_mean(&o->hash);

	fprintf(f, "\nOne client, %zu rounds, each call on a fresh pam_start_confdir handle\n",
		o->auth.n);
	fprintf(f, "  %-36s %9s %9s %9s %9s\n", "milliseconds", "mean", "p50", "p99", "cpu");
	fprintf(f, "luciaauth (argon2id %s):\n", o->argon_params);
	row(f, "pam_authenticate", &o->auth);
	row(f, "hash alone (la_verify_password)", &o->hash);
	fprintf(f, "  %-36s %9.3f   target < 1 ms: %s\n", "overhead = auth - hash", ovh / 1e3,
		ovh < 1000 ? "PASS" : "MISS");
	row_nonhash(f, "non-hash part, inside each call", &o->auth);
	fprintf(f, "  %-36s %9.2f\n", "hash calls per pam_authenticate",
		(double)o->auth.hash_n / (double)o->auth.n);
	row(f, "login: auth + open + close", &o->login);
	row_nonhash(f, "  non-hash part of the login", &o->login);
	row(f, "  pam_authenticate", &o->l_auth);
	row(f, "  pam_open_session", &o->l_open);
	row(f, "  pam_close_session", &o->l_close);
	if (o->unix_on) {
		double uovh = series_mean(&o->unix_auth) - series_mean(&o->unix_hash);

		fprintf(f, "pam_unix (yescrypt %s):\n", o->unix_params);
		row(f, "pam_authenticate", &o->unix_auth);
		row(f, "hash alone (crypt_rn)", &o->unix_hash);
		fprintf(f, "  %-36s %9.3f\n", "overhead = auth - hash", uovh / 1e3);
		row_nonhash(f, "non-hash part, inside each call", &o->unix_auth);
		fprintf(f, "  %-36s %9.2f\n", "crypt_r calls per pam_authenticate",
			(double)o->unix_auth.hash_n / (double)o->unix_auth.n);
	} else {
		fprintf(f, "pam_unix: skipped (%s)\n", unix_skip);
	}
}

void json_one_client(const struct one_client *o, const char *unix_skip)
{
	char h[96], extra[160];
	double ovh = series_mean(&o->auth) - series_mean(&o->hash);

	snprintf(h, sizeof(h), "argon2id %s", o->argon_params);
	json_series(IMPL, "auth", &o->auth, h, NULL);
	json_series(IMPL, "hash", &o->hash, h, NULL);
	printf("{\"impl\":\"" IMPL "\",\"op\":\"overhead\",\"us\":%.1f,\"target_us\":1000,"
	       "\"pass\":%s,\"hash\":\"%s\"}\n",
	       ovh, ovh < 1000 ? "true" : "false", h);
	json_series(IMPL, "login", &o->login, h, NULL);
	json_series(IMPL, "login_auth", &o->l_auth, h, NULL);
	json_series(IMPL, "login_open_session", &o->l_open, NULL, NULL);
	json_series(IMPL, "login_close_session", &o->l_close, NULL, NULL);
	if (o->unix_on) {
		double uovh = series_mean(&o->unix_auth) - series_mean(&o->unix_hash);

		snprintf(h, sizeof(h), "yescrypt %s", o->unix_params);
		json_series(IMPL_UNIX, "auth", &o->unix_auth, h, NULL);
		json_series(IMPL_UNIX, "hash", &o->unix_hash, h, NULL);
		snprintf(extra, sizeof(extra), ",\"vs_luciaauth_auth\":%.3f",
			 series_mean(&o->unix_auth) / series_mean(&o->auth));
		printf("{\"impl\":\"" IMPL_UNIX "\",\"op\":\"overhead\",\"us\":%.1f,\"hash\":\"%s\""
		       "%s}\n",
		       uovh, h, extra);
	} else {
		printf("{\"impl\":\"" IMPL_UNIX "\",\"op\":\"skipped\",\"reason\":");
		json_str(stdout, unix_skip);
		printf("}\n");
	}
}

/* CPU seconds (user + sys, every client) per login or verification. */
static double cpu_per_op(const struct storm_result *r)
{
	return (r->rusage_user_s + r->rusage_sys_s) / (double)r->logins;
}

void print_storm(FILE *f, const struct storm_result *r, unsigned cores, double hash_s,
			double hash_cpu_s)
{
	double ideal = (double)cores / hash_s, frac = r->per_s / ideal;
	bool logins = !r->hash_only;

	fprintf(f, "\n%s (%s",
		logins ? "Login storm" : "Hash-only storm (la_verify_password, no PAM)",
		mode_names[r->mode]);
	if (r->hash_slots)
		fprintf(f, ", at most %u hashes at a time", r->hash_slots);
	fprintf(f, "): %zu clients, %zu %s", r->clients, r->logins,
		logins ? "logins (auth + open_session + close_session)" : "verifications");
	if (logins)
		fprintf(f, ", %zu users", r->users);
	fprintf(f, "\n  wall %.2f s, %.1f /s, errors %zu", r->wall_s, r->per_s, r->errors);
	if (logins)
		fprintf(f, " (target 0: %s)", r->errors ? "MISS" : "PASS");
	fprintf(f, "\n  cores / hash time = %u / %.2f ms = %.1f /s; throughput = %.1f %%", cores,
		hash_s * 1e3, ideal, frac * 100);
	if (logins)
		fprintf(f, " (target >= 90 %%: %s)", frac >= 0.9 ? "PASS" : "MISS");
	if (logins && r->ceiling_per_s > 0)
		fprintf(f, "\n  vs the hash-only storm in the same mode (%.1f /s): %.1f %%",
			r->ceiling_per_s, r->per_s / r->ceiling_per_s * 100);
	fprintf(f,
		"\n  CPU per %s %.2f ms: one-client hash CPU %.2f ms / that = %.1f %% (the share "
		"of ideal with the cores to ourselves)",
		logins ? "login" : "verification", cpu_per_op(r) * 1e3, hash_cpu_s * 1e3,
		hash_cpu_s / cpu_per_op(r) * 100);
	fprintf(f, "\n  latency ms: mean %.1f, p50 %.1f, p99 %.1f, max %.1f\n",
		r->latency.mean / 1e3, r->latency.p50 / 1e3, r->latency.p99 / 1e3,
		r->latency.max / 1e3);
	fprintf(f,
		"  CPU: user %.2f s + sys %.2f s (%.0f %% of %u cores x wall); in the hash "
		"%.2f s (%lu calls, %.2f ms CPU each)",
		r->rusage_user_s, r->rusage_sys_s,
		(r->rusage_user_s + r->rusage_sys_s) / (r->wall_s * cores) * 100, cores,
		r->hash_cpu_s, r->hash_n,
		r->hash_n ? r->hash_cpu_s / (double)r->hash_n * 1e3 : 0.0);
	if (logins)
		fprintf(f, ", the rest %.2f ms CPU per login",
			(r->rusage_user_s + r->rusage_sys_s - r->hash_cpu_s) / (double)r->logins *
			    1e3);
	fprintf(f, "\n  context switches: %ld voluntary, %ld involuntary\n", r->vol_cs,
		r->invol_cs);
	if (r->machine)
		fprintf(f,
			"  meanwhile other processes used %.0f %% and the hypervisor stole %.0f %% "
			"of %u cores x wall\n",
			r->other_busy_s / (r->wall_s * cores) * 100,
			r->steal_s / (r->wall_s * cores) * 100, cores);
	if (logins)
		fprintf(f,
			"  afterwards: %lld sessions left in the store (expect 0), %lld recorded "
			"failures (expect 0)\n",
			(long long)r->sessions_left, (long long)r->failures);
	for (size_t i = 0; i < r->n_shown; i++)
		fprintf(f, "  error: %s\n", r->shown[i]);
}

void json_storm(const struct storm_result *r, unsigned cores, double hash_s,
		       double hash_cpu_s)
{
	double ideal = (double)cores / hash_s, frac = r->per_s / ideal;
	bool logins = !r->hash_only;

	printf("{\"impl\":\"" IMPL "\",\"op\":\"%s\",\"mode\":\"%s\",\"hash_slots\":%u,"
	       "\"clients\":%zu,\"%s\":%zu,",
	       logins ? "storm" : "hash_storm", mode_names[r->mode], r->hash_slots, r->clients,
	       logins ? "logins" : "verifications", r->logins);
	if (logins)
		printf("\"users\":%zu,", r->users);
	printf("\"wall_s\":%.3f,\"per_s\":%.2f,\"errors\":%zu,", r->wall_s, r->per_s, r->errors);
	if (logins)
		printf("\"errors_by_stage\":{\"start\":%zu,\"auth\":%zu,\"open_session\":%zu,"
		       "\"close_session\":%zu},\"sessions_left\":%lld,\"auth_failures\":%lld,",
		       r->errors_by[ST_START], r->errors_by[ST_AUTH], r->errors_by[ST_OPEN],
		       r->errors_by[ST_CLOSE], (long long)r->sessions_left, (long long)r->failures);
	printf("\"cores\":%u,\"hash_us\":%.1f,\"ideal_per_s\":%.2f,\"fraction\":%.4f,"
	       "\"hash_cpu_us\":%.1f,\"cpu_per_op_ms\":%.3f,\"cpu_efficiency\":%.4f,",
	       cores, hash_s * 1e6, ideal, frac, hash_cpu_s * 1e6, cpu_per_op(r) * 1e3,
	       hash_cpu_s / cpu_per_op(r));
	if (logins) {
		printf("\"target_fraction\":0.9,\"pass\":%s,",
		       frac >= 0.9 && r->errors == 0 ? "true" : "false");
		if (r->ceiling_per_s > 0)
			printf("\"hash_storm_per_s\":%.2f,\"vs_hash_storm\":%.4f,",
			       r->ceiling_per_s, r->per_s / r->ceiling_per_s);
	}
	printf("\"latency_mean_ms\":%.2f,\"latency_p50_ms\":%.2f,\"latency_p99_ms\":%.2f,"
	       "\"latency_max_ms\":%.2f,\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f,"
	       "\"hash_cpu_s\":%.3f,\"hash_calls\":%lu,\"vol_cs\":%ld,\"invol_cs\":%ld",
	       r->latency.mean / 1e3, r->latency.p50 / 1e3, r->latency.p99 / 1e3,
	       r->latency.max / 1e3, r->rusage_user_s, r->rusage_sys_s, r->hash_cpu_s, r->hash_n,
	       r->vol_cs, r->invol_cs);
	if (r->machine)
		printf(",\"other_busy_frac\":%.4f,\"steal_frac\":%.4f",
		       r->other_busy_s / (r->wall_s * cores), r->steal_s / (r->wall_s * cores));
	printf("}\n");
}

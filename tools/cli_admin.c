/*
 * cli_admin.c - luciaauth doctor, backup and restore (luciaauth(8)).
 *
 * The checks, the copy and the verification live in the library
 * (la_doctor.c, la_backup.c); this file parses options and prints.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef LA_CHKPWD_PATH
#define LA_CHKPWD_PATH "/usr/libexec/luciaauth/luciaauth-chkpwd"
#endif

/* ---- doctor --------------------------------------------------------- */

struct doctor_out {
	struct cli_ctx *c;
	json_object *arr;
	unsigned n_fail, n_warn;
	bool nomem;
};

static int doctor_item(const struct la_doctor_item *it, void *ctx)
{
	static const char *const names[] = { "ok", "warning", "error" };
	struct doctor_out *d = ctx;
	json_object *o;

	d->n_fail += it->level == LA_DOCTOR_FAIL;
	d->n_warn += it->level == LA_DOCTOR_WARN;
	if (!d->c->json) {
		printf("%-7s %-9s %s\n", names[it->level], it->check, it->what);
		if (it->fix[0])
			printf("%-7s %-9s fix: %s\n", "", "", it->fix);
		return 0;
	}
	o = json_object_new_object();
	if (!o || json_object_array_add(d->arr, o) != 0) {
		json_object_put(o);
		d->nomem = true;
		return 1;
	}
	cli_json_str(o, "check", it->check);
	cli_json_str(o, "status", names[it->level]);
	cli_json_str(o, "message", it->what);
	cli_json_str(o, "fix", it->fix);
	return 0;
}

/* The configuration as every other command loads it, without opening the
 * store (the doctor must run when it cannot be opened). */
static int load_config(struct cli_ctx *c, struct la_config *cfg, const char **path)
{
	char err[512] = "";
	la_rc rc;

	*path = c->config_path ? c->config_path : LA_DEFAULT_CONFIG;
	la_config_defaults(cfg);
	rc = la_config_load(cfg, *path, c->config_path == NULL, err, sizeof(err));
	if (rc != LA_OK)
		return cli_fail_msg(c, cli_exit_status(rc), cli_rc_code(rc), "%s: %s",
				    la_strerror(rc), err[0] ? err : *path);
	if (c->dir) {
		rc = la_config_set(cfg, "dir", c->dir, err, sizeof(err));
		if (rc != LA_OK)
			return cli_usage(c, "invalid --dir: %s", err);
	}
	return CLI_CONTINUE;
}

static int doctor_parse(struct cli_ctx *c, int argc, char **argv, struct la_doctor_paths *p)
{
	enum { O_NSS = 1, O_PAM, O_CHKPWD };
	static const struct option opts[] = {
		{ "nsswitch", required_argument, NULL, O_NSS },
		{ "pam-dir", required_argument, NULL, O_PAM },
		{ "chkpwd", required_argument, NULL, O_CHKPWD },
		CLI_STD_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int status = CLI_CONTINUE, opt;

	optind = 0;
	while ((opt = cli_getopt(c, argc, argv, opts, &status)) != -1) {
		if (opt == O_NSS)
			p->nsswitch = optarg;
		else if (opt == O_PAM)
			p->pam_dir = optarg;
		else
			p->chkpwd = optarg;
	}
	return cli_getopt_end(c, argc, status, 0, 0);
}

int cli_cmd_doctor(struct cli_ctx *c, int argc, char **argv)
{
	struct la_doctor_paths p = { .chkpwd = LA_CHKPWD_PATH };
	struct doctor_out d = { .c = c };
	struct la_config cfg;
	json_object *o = NULL;
	la_rc rc;
	int r = doctor_parse(c, argc, argv, &p);

	if (r == CLI_CONTINUE)
		r = load_config(c, &cfg, &p.config);
	if (r != CLI_CONTINUE)
		return r;
	if (c->json && !(d.arr = json_object_new_array()))
		return cli_fail(c, NULL, LA_E_NOMEM, NULL);
	rc = la_doctor(&cfg, &p, doctor_item, &d);
	/* Store problems: 5 (SPEC 5); only configuration hints: 1. */
	r = d.n_fail ? cli_exit_status(rc == LA_OK ? LA_E_INTERNAL : rc) : d.n_warn ? CLI_EAUTH
										   : CLI_OK;
	if (d.nomem) {
		json_object_put(d.arr);
		return cli_fail(c, NULL, LA_E_NOMEM, NULL);
	}
	if (c->json) {
		o = json_object_new_object();
		cli_json_bool(o, "ok", r == CLI_OK);
		cli_json_int(o, "errors", d.n_fail);
		cli_json_int(o, "warnings", d.n_warn);
		cli_json_int(o, "exit", r);
		json_object_object_add(o, "checks", d.arr);
		return cli_json_emit(c, o, false) == CLI_OK ? r : CLI_ESTORE;
	}
	if (r != CLI_OK)
		fprintf(stderr, CLI_NAME ": doctor: %u error(s), %u warning(s)\n", d.n_fail,
			d.n_warn);
	else
		printf("all is well\n");
	return r;
}

/* ---- backup / restore ----------------------------------------------- */

int cli_cmd_backup(struct cli_ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		CLI_STD_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct la_store *st = NULL;
	bool force = false;
	int status = CLI_CONTINUE, r;
	la_rc rc;
	json_object *o;

	optind = 0;
	while (cli_getopt(c, argc, argv, opts, &status) == 'f')
		force = true;
	r = cli_getopt_end(c, argc, status, 1, 1);
	if (r != CLI_CONTINUE)
		return r;
	r = cli_open_store(c, 0, &st);
	if (r != CLI_OK)
		return r;
	rc = la_store_backup(st, argv[optind], force);
	if (rc != LA_OK) {
		r = cli_fail(c, st, rc, argv[optind]);
	} else if (c->json) {
		o = cli_json_ok();
		cli_json_str(o, "path", argv[optind]);
		r = cli_json_emit(c, o, false);
	} else {
		printf("backed up %s to %s\n", la_store_config(st)->dir, argv[optind]);
	}
	la_store_close(st);
	return r;
}

int cli_cmd_restore(struct cli_ctx *c, int argc, char **argv)
{
	struct la_store *st = NULL;
	struct la_config cfg;
	const char *cfg_path = NULL;
	la_rc rc;
	json_object *o;
	int r = cli_simple_args(c, argc, argv, 1, 1);

	if (r == CLI_CONTINUE)
		r = load_config(c, &cfg, &cfg_path);
	if (r != CLI_CONTINUE)
		return r;
	rc = la_store_restore_cfg(&cfg, argv[optind], &st);
	r = CLI_OK;
	if (rc != LA_OK) {
		r = cli_fail(c, st, rc, argv[optind]);
	} else if (c->json) {
		o = cli_json_ok();
		cli_json_str(o, "path", argv[optind]);
		cli_json_str(o, "dir", cfg.dir);
		r = cli_json_emit(c, o, false);
	} else {
		printf("restored %s from %s and published the NSS snapshot\n", cfg.dir,
		       argv[optind]);
	}
	la_store_close(st);
	return r;
}

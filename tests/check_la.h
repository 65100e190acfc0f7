/*
 * check_la.h - shared declarations of the Check test suites.
 */
#ifndef CHECK_LA_H
#define CHECK_LA_H

#include <check.h>
#include <stdint.h>

#include "luciaauth.h"

/* One fixture for every test: a fresh temporary state directory with an
 * initialised store, cheap hash parameters, and an injected clock that the
 * test moves by assigning fx.now (milliseconds).  Set up and torn down by
 * fx_setup / fx_teardown (checked fixtures). */
struct fx {
	char dir[256];
	struct la_config cfg;
	struct la_store *st;
	int64_t now;
};
extern struct fx fx;

void fx_setup(void);
void fx_teardown(void);
/* Reopen fx.st (after fx.cfg changes), keeping the clock. */
void fx_reopen(void);
/* Add a user with a password through the API; fails the test on error. */
void fx_add_user(const char *name, const char *password, struct la_user *out);
/* Row count of a table of the master database (independent connection). */
long fx_count(const char *table);

#define FX_T0 ((int64_t)1700000000000) /* initial clock */

Suite *suite_config(void);
Suite *suite_hash(void);
Suite *suite_user(void);
Suite *suite_group(void);
Suite *suite_key(void);
Suite *suite_session(void);
Suite *suite_auth(void);

#endif

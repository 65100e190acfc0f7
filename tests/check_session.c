/*
 * check_session.c - sessions: origin fields, the Lucia v2 state machine
 * (SPEC 1, lucia-semantics.md 1.3 and 2.1), session_max, revocation,
 * listing and garbage collection.  Times move through fx.now only.  The
 * token itself (format, storage, malformed tokens) is in
 * check_session_token.c.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "check_la.h"

#define DAY ((int64_t)86400000)

/* ---- helpers ---------------------------------------------------------- */

/* Collected by la_session_list. */
struct seen {
	int n, stop_after;
	char id[16][LA_SESSION_ID_LEN + 1];
	enum la_session_state state[16];
};

static int collect(const struct la_session *s, void *ctx)
{
	struct seen *v = ctx;

	if (v->n < 16) {
		snprintf(v->id[v->n], sizeof(v->id[0]), "%s", s->id);
		v->state[v->n] = s->state;
	}
	v->n++;
	return v->stop_after && v->n >= v->stop_after;
}

static struct seen list(const char *user, la_rc want)
{
	struct seen v;

	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(la_session_list(fx.st, user, collect, &v), want);
	return v;
}

/* State of id in a listing, -1 when absent. */
static int seen_state(const struct seen *v, const char *id)
{
	for (int i = 0; i < v->n && i < 16; i++)
		if (strcmp(v->id[i], id) == 0)
			return (int)v->state[i];
	return -1;
}

/* ---- core ------------------------------------------------------------- */

START_TEST(test_session_origin_fields)
{
	struct la_origin pam = {.source = "sshd", .tty = "pts/3", .rhost = "192.0.2.7"};
	struct la_origin tty_only = {.tty = "tty1"};
	struct la_user vu;
	struct fx_tok a, b, c;
	struct fx_row r;

	fx_with_alice();
	a = fx_new_session(&fx_alice, NULL);
	b = fx_new_session(&fx_alice, &pam);
	c = fx_new_session(&fx_alice, &tty_only);
	ck_assert_str_eq(a.s.source, "web");
	ck_assert_str_eq(a.s.tty, "");
	ck_assert_str_eq(a.s.rhost, "");
	r = fx_session_row(a.s.id);
	ck_assert_str_eq(r.source, "web");
	ck_assert_str_eq(r.tty, "(null)");
	ck_assert_str_eq(r.rhost, "(null)");
	r = fx_session_row(b.s.id);
	ck_assert_str_eq(r.source, "sshd");
	ck_assert_str_eq(r.tty, "pts/3");
	ck_assert_str_eq(r.rhost, "192.0.2.7");
	ck_assert_int_eq(la_session_validate(fx.st, b.t, &fx_got, &vu), LA_OK);
	ck_assert_str_eq(fx_got.source, "sshd");
	ck_assert_str_eq(fx_got.tty, "pts/3");
	ck_assert_str_eq(fx_got.rhost, "192.0.2.7");
	ck_assert_str_eq(vu.username, "alice");
	ck_assert_str_eq(vu.id, fx_alice.id);
	ck_assert_int_eq(vu.uid, fx_alice.uid);
	ck_assert_str_eq(c.s.source, "web");
	ck_assert_int_eq(fx_session_get(c.t), LA_OK);
	ck_assert_str_eq(fx_got.source, "web");
	ck_assert_str_eq(fx_got.tty, "tty1");
	ck_assert_str_eq(fx_got.rhost, "");
}
END_TEST

START_TEST(test_session_revoke_token)
{
	struct fx_tok a, b;
	char bad[LA_TOKEN_BUF];

	fx_with_alice();
	a = fx_new_session(&fx_alice, NULL);
	b = fx_new_session(&fx_alice, NULL);
	/* A wrong secret deletes nothing. */
	memcpy(bad, a.t, sizeof(bad));
	bad[LA_TOKEN_LEN - 1] = bad[LA_TOKEN_LEN - 1] == 'a' ? 'b' : 'a';
	ck_assert_int_eq(la_session_revoke(fx.st, bad), LA_E_NOSESSION);
	ck_assert_int_eq(fx_count("sessions"), 2);
	ck_assert_int_eq(fx_session_validate(a.t), LA_OK);
	/* The right one deletes exactly that session. */
	ck_assert_int_eq(la_session_revoke(fx.st, a.t), LA_OK);
	ck_assert_int_eq(fx_count("sessions"), 1);
	ck_assert(!fx_session_row(a.s.id).found);
	ck_assert_int_eq(fx_session_validate(a.t), LA_E_NOSESSION);
	ck_assert_int_eq(fx_session_get(a.t), LA_E_NOSESSION);
	ck_assert_int_eq(la_session_revoke(fx.st, a.t), LA_E_NOSESSION);
	ck_assert_int_eq(fx_session_validate(b.t), LA_OK);
}
END_TEST

START_TEST(test_session_revoke_id)
{
	struct fx_tok a = (fx_with_alice(), fx_new_session(&fx_alice, NULL)),
		      b = fx_new_session(&fx_alice, NULL);

	ck_assert_int_eq(la_session_revoke_id(fx.st, a.s.id), LA_OK);
	ck_assert_int_eq(fx_count("sessions"), 1);
	ck_assert_int_eq(fx_session_validate(a.t), LA_E_NOSESSION);
	ck_assert_int_eq(fx_session_validate(b.t), LA_OK);
	ck_assert_int_eq(la_session_revoke_id(fx.st, a.s.id), LA_E_NOTFOUND);
}
END_TEST

START_TEST(test_session_revoke_user_except)
{
	struct la_user bob;
	struct fx_tok a[3], b;
	unsigned n = 99;

	fx_with_alice();
	fx_add_user("bob", PW, &bob);
	for (int i = 0; i < 3; i++)
		a[i] = fx_new_session(&fx_alice, NULL);
	b = fx_new_session(&bob, NULL);
	ck_assert_int_eq(la_session_revoke_user(fx.st, "alice", a[1].s.id, &n), LA_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(fx_session_validate(a[0].t), LA_E_NOSESSION);
	ck_assert_int_eq(fx_session_validate(a[1].t), LA_OK);
	ck_assert_int_eq(fx_session_validate(a[2].t), LA_E_NOSESSION);
	ck_assert_int_eq(fx_session_validate(b.t), LA_OK);
	ck_assert_int_eq(fx_count("sessions"), 2);
	ck_assert_int_eq(la_session_revoke_user(fx.st, "alice", NULL, &n), LA_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(la_session_revoke_user(fx.st, "alice", NULL, &n), LA_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(la_session_revoke_user(fx.st, "alice", NULL, NULL), LA_OK);
	ck_assert_int_eq(fx_session_validate(b.t), LA_OK);
	ck_assert_int_eq(fx_count("sessions"), 1);
}
END_TEST

START_TEST(test_session_list_live_only)
{
	struct la_user bob;
	struct fx_tok a1, a2, a3, b1, b2;
	struct seen v;

	fx_with_alice();
	fx_add_user("bob", PW, &bob);
	a1 = fx_new_session(&fx_alice, NULL);
	b1 = fx_new_session(&bob, NULL);
	fx.now = FX_T0 + 2 * DAY;
	a2 = fx_new_session(&fx_alice, NULL);
	fx.now = FX_T0 + 15 * DAY;
	a3 = fx_new_session(&fx_alice, NULL);
	b2 = fx_new_session(&bob, NULL);
	/* a1 and b1 dead, a2 idle, a3 and b2 active. */
	fx.now = a1.s.idle_expires + 1;
	v = list("alice", LA_OK);
	ck_assert_int_eq(v.n, 2);
	ck_assert_int_eq(seen_state(&v, a2.s.id), LA_SESSION_IDLE);
	ck_assert_int_eq(seen_state(&v, a3.s.id), LA_SESSION_ACTIVE);
	v = list(NULL, LA_OK);
	ck_assert_int_eq(v.n, 3);
	ck_assert_int_eq(seen_state(&v, a1.s.id), -1);
	ck_assert_int_eq(seen_state(&v, b1.s.id), -1);
	ck_assert_int_eq(seen_state(&v, b2.s.id), LA_SESSION_ACTIVE);
	v = list("bob", LA_OK);
	ck_assert_int_eq(v.n, 1);
	ck_assert_str_eq(v.id[0], b2.s.id);
	/* Listing writes nothing: dead rows stay until gc. */
	ck_assert_int_eq(fx_count("sessions"), 5);
	/* A non-zero callback return stops the walk. */
	memset(&v, 0, sizeof(v));
	v.stop_after = 1;
	ck_assert_int_eq(la_session_list(fx.st, NULL, collect, &v), LA_OK);
	ck_assert_int_eq(v.n, 1);
	ck_assert_int_eq(list("nobody", LA_E_NOUSER).n, 0);
}
END_TEST

START_TEST(test_session_user_locked_or_expired)
{
	struct la_user vu;
	struct fx_tok a;

	fx_with_alice();
	a = fx_new_session(&fx_alice, NULL);
	ck_assert_int_eq(la_user_set_locked(fx.st, "alice", true), LA_OK);
	ck_assert_int_eq(la_session_validate(fx.st, a.t, &fx_got, &vu), LA_E_NOSESSION);
	ck_assert_int_eq(fx_session_get(a.t), LA_E_NOSESSION);
	ck_assert(fx_session_row(a.s.id).found);
	ck_assert_int_eq(la_user_set_locked(fx.st, "alice", false), LA_OK);
	ck_assert_int_eq(la_session_validate(fx.st, a.t, &fx_got, &vu), LA_OK);
	ck_assert_str_eq(vu.username, "alice");
	ck_assert(!vu.locked);
	/* Account expiry: valid up to and including expires, not after. */
	ck_assert_int_eq(la_user_set_expiry(fx.st, "alice", FX_T0 + 1000), LA_OK);
	fx.now = FX_T0 + 1000;
	ck_assert_int_eq(fx_session_validate(a.t), LA_OK);
	fx.now = FX_T0 + 1001;
	ck_assert_int_eq(fx_session_validate(a.t), LA_E_NOSESSION);
	ck_assert_int_eq(fx_session_get(a.t), LA_E_NOSESSION);
	ck_assert(fx_session_row(a.s.id).found);
	ck_assert_int_eq(la_user_set_expiry(fx.st, "alice", 0), LA_OK);
	ck_assert_int_eq(fx_session_validate(a.t), LA_OK);
}
END_TEST

/* ---- errors ----------------------------------------------------------- */

START_TEST(test_session_create_unknown_user)
{
	struct la_session s;
	char tok[LA_TOKEN_BUF];
	unsigned n = 7;

	ck_assert_int_eq(la_session_create(fx.st, "nosuchuser12345", NULL, tok, &s), LA_E_NOUSER);
	ck_assert_int_eq(la_session_create(fx.st, "", NULL, tok, &s), LA_E_NOUSER);
	ck_assert_int_eq(la_session_create(fx.st, NULL, NULL, tok, &s), LA_E_NOUSER);
	ck_assert_int_eq(fx_count("sessions"), 0);
	ck_assert_int_eq(la_session_revoke_user(fx.st, "nobody", NULL, &n), LA_E_NOUSER);
	ck_assert_int_eq(la_session_revoke_user(fx.st, NULL, NULL, &n), LA_E_NOUSER);
}
END_TEST

/* ---- limits: the state machine at its boundaries ------------------------ */

START_TEST(test_session_state_at_boundaries)
{
	struct la_session s;

	memset(&s, 0, sizeof(s));
	s.active_expires = 1000;
	s.idle_expires = 2000;
	ck_assert_int_eq(la_session_state_at(&s, 0), LA_SESSION_ACTIVE);
	ck_assert_int_eq(la_session_state_at(&s, 1000), LA_SESSION_ACTIVE);
	ck_assert_int_eq(la_session_state_at(&s, 1001), LA_SESSION_IDLE);
	ck_assert_int_eq(la_session_state_at(&s, 2000), LA_SESSION_IDLE);
	ck_assert_int_eq(la_session_state_at(&s, 2001), LA_SESSION_DEAD);
	s.max_expires = 1500;
	ck_assert_int_eq(la_session_state_at(&s, 1500), LA_SESSION_IDLE);
	ck_assert_int_eq(la_session_state_at(&s, 1501), LA_SESSION_DEAD);
	s.max_expires = 800;
	ck_assert_int_eq(la_session_state_at(&s, 800), LA_SESSION_ACTIVE);
	ck_assert_int_eq(la_session_state_at(&s, 801), LA_SESSION_DEAD);
	ck_assert_str_eq(la_session_state_name(LA_SESSION_ACTIVE), "active");
	ck_assert_str_eq(la_session_state_name(LA_SESSION_IDLE), "idle");
	ck_assert_str_eq(la_session_state_name(LA_SESSION_DEAD), "dead");
}
END_TEST

START_TEST(test_session_state_active_until_active_expires)
{
	struct fx_tok a;

	fx_with_alice();
	a = fx_new_session(&fx_alice, NULL);
	fx.now = a.s.active_expires;
	ck_assert_int_eq(la_session_state_at(&a.s, fx.now), LA_SESSION_ACTIVE);
	ck_assert_int_eq(fx_session_get(a.t), LA_OK);
	fx_session_is(&fx_got, LA_SESSION_ACTIVE, false, a.s.active_expires, a.s.idle_expires);
	ck_assert_int_eq(fx_session_validate(a.t), LA_OK);
	fx_session_is(&fx_got, LA_SESSION_ACTIVE, false, a.s.active_expires, a.s.idle_expires);
	ck_assert_str_eq(fx_got.id, a.s.id);
	fx_session_row_is(a.s.id, a.s.active_expires, a.s.idle_expires);
}
END_TEST

START_TEST(test_session_state_idle_renewed_in_place)
{
	int64_t act, idle;
	struct fx_tok a;

	fx_with_alice();
	a = fx_new_session(&fx_alice, NULL);
	fx.now = a.s.active_expires + 1;
	ck_assert_int_eq(la_session_state_at(&a.s, fx.now), LA_SESSION_IDLE);
	/* get: idle, never renews. */
	ck_assert_int_eq(fx_session_get(a.t), LA_OK);
	fx_session_is(&fx_got, LA_SESSION_IDLE, false, a.s.active_expires, a.s.idle_expires);
	fx_session_row_is(a.s.id, a.s.active_expires, a.s.idle_expires);
	/* validate: renewed in place, same id, expiries from now. */
	ck_assert_int_eq(fx_session_validate(a.t), LA_OK);
	act = fx.now + DAY;
	idle = act + 14 * DAY;
	/* state is the one found at lookup (Lucia quirk); fresh tells the renewal */
	fx_session_is(&fx_got, LA_SESSION_IDLE, true, act, idle);
	ck_assert_str_eq(fx_got.id, a.s.id);
	ck_assert_int_eq(fx_got.created_ms, a.s.created_ms);
	fx_session_row_is(a.s.id, act, idle);
	ck_assert_int_eq(fx_session_row(a.s.id).created, a.s.created_ms);
	ck_assert_int_eq(fx_count("sessions"), 1);
	/* Right after the renewal: active, not fresh, nothing changes. */
	ck_assert_int_eq(fx_session_validate(a.t), LA_OK);
	fx_session_is(&fx_got, LA_SESSION_ACTIVE, false, act, idle);
	fx_session_row_is(a.s.id, act, idle);
}
END_TEST

START_TEST(test_session_state_dead_after_idle_expires)
{
	struct fx_tok a, b;

	fx_with_alice();
	a = fx_new_session(&fx_alice, NULL);
	b = fx_new_session(&fx_alice, NULL);
	fx.now = a.s.idle_expires;
	ck_assert_int_eq(la_session_state_at(&a.s, fx.now), LA_SESSION_IDLE);
	ck_assert_int_eq(fx_session_get(a.t), LA_OK);
	fx_session_is(&fx_got, LA_SESSION_IDLE, false, a.s.active_expires, a.s.idle_expires);
	ck_assert_int_eq(fx_session_validate(b.t), LA_OK);
	fx_session_is(&fx_got, LA_SESSION_IDLE, true, fx.now + DAY, fx.now + 15 * DAY);
	fx.now = a.s.idle_expires + 1;
	ck_assert_int_eq(la_session_state_at(&a.s, fx.now), LA_SESSION_DEAD);
	ck_assert_int_eq(fx_session_get(a.t), LA_E_NOSESSION);
	ck_assert_int_eq(fx_session_validate(a.t), LA_E_NOSESSION);
	ck_assert_int_eq(fx_session_validate(a.t), LA_E_NOSESSION);
	/* Validation neither deletes nor touches the dead row (Lucia 2.1). */
	fx_session_row_is(a.s.id, a.s.active_expires, a.s.idle_expires);
	ck_assert_int_eq(fx_count("sessions"), 2);
	/* The one renewed at idle_expires lives on. */
	ck_assert_int_eq(fx_session_validate(b.t), LA_OK);
	fx_session_is(&fx_got, LA_SESSION_ACTIVE, false, a.s.idle_expires + DAY,
		      a.s.idle_expires + 15 * DAY);
	/* Signing out a dead session with the right secret is allowed. */
	ck_assert_int_eq(la_session_revoke(fx.st, a.t), LA_OK);
	ck_assert_int_eq(fx_count("sessions"), 1);
}
END_TEST

START_TEST(test_session_max_caps_renewal)
{
	int64_t end = FX_T0 + 3 * DAY;
	unsigned n = 99;
	struct fx_row r;
	struct fx_tok a;

	fx.cfg.session_max_ms = 3 * DAY;
	fx_reopen();
	fx_with_alice();
	a = fx_new_session(&fx_alice, NULL);
	ck_assert_int_eq(a.s.max_expires, end);
	ck_assert_int_eq(a.s.active_expires, FX_T0 + DAY);
	ck_assert_int_eq(a.s.idle_expires, end);
	ck_assert_int_eq(fx_session_row(a.s.id).max, end);
	/* Renewals never reach past created + max. */
	for (int64_t t = a.s.active_expires + 1; t < end; t += DAY / 2) {
		fx.now = t;
		ck_assert_int_eq(fx_session_validate(a.t), LA_OK);
		ck_assert_int_le(fx_got.active_expires, end);
		ck_assert_int_le(fx_got.idle_expires, end);
		r = fx_session_row(a.s.id);
		ck_assert_int_le(r.active, end);
		ck_assert_int_le(r.idle, end);
		ck_assert_int_eq(r.max, end);
	}
	fx.now = end;
	ck_assert_int_eq(fx_session_get(a.t), LA_OK);
	ck_assert_int_ne(fx_got.state, LA_SESSION_DEAD);
	ck_assert_int_eq(fx_session_validate(a.t), LA_OK);
	ck_assert_int_le(fx_got.idle_expires, end);
	fx.now = end + 1;
	ck_assert_int_eq(fx_session_get(a.t), LA_E_NOSESSION);
	ck_assert_int_eq(fx_session_validate(a.t), LA_E_NOSESSION);
	ck_assert_int_eq(la_session_state_at(&fx_got, fx.now), LA_SESSION_DEAD);
	ck_assert_int_eq(la_session_gc(fx.st, &n), LA_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(fx_count("sessions"), 0);
}
END_TEST

START_TEST(test_session_max_shorter_than_active)
{
	struct fx_tok a;

	fx.cfg.session_max_ms = 60000;
	fx_reopen();
	fx_with_alice();
	a = fx_new_session(&fx_alice, NULL);
	fx_session_is(&a.s, LA_SESSION_ACTIVE, false, FX_T0 + 60000, FX_T0 + 60000);
	fx.now = FX_T0 + 60000;
	ck_assert_int_eq(fx_session_validate(a.t), LA_OK);
	fx.now = FX_T0 + 60001;
	ck_assert_int_eq(fx_session_validate(a.t), LA_E_NOSESSION);
}
END_TEST

START_TEST(test_session_gc_boundary)
{
	unsigned n = 99;
	struct fx_tok a, b;

	fx_with_alice();
	a = fx_new_session(&fx_alice, NULL);
	fx.now = FX_T0 + 1;
	b = fx_new_session(&fx_alice, NULL);
	ck_assert_int_eq(la_session_gc(fx.st, &n), LA_OK);
	ck_assert_uint_eq(n, 0);
	fx.now = a.s.idle_expires;
	ck_assert_int_eq(la_session_gc(fx.st, &n), LA_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(fx_count("sessions"), 2);
	fx.now = a.s.idle_expires + 1;
	ck_assert_int_eq(la_session_gc(fx.st, &n), LA_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert(!fx_session_row(a.s.id).found);
	ck_assert(fx_session_row(b.s.id).found);
	ck_assert_int_eq(fx_session_get(b.t), LA_OK); /* now == b's idle_expires */
	ck_assert_int_eq(fx_got.state, LA_SESSION_IDLE);
	fx.now = b.s.idle_expires + 1;
	ck_assert_int_eq(la_session_gc(fx.st, NULL), LA_OK);
	ck_assert_int_eq(fx_count("sessions"), 0);
}
END_TEST

Suite *suite_session(void)
{
	const TTest *core[] = {
	    test_session_origin_fields,	 test_session_revoke_token,
	    test_session_revoke_id,	 test_session_revoke_user_except,
	    test_session_list_live_only, test_session_user_locked_or_expired,
	};
	const TTest *errors[] = {
	    test_session_create_unknown_user,
	};
	const TTest *limits[] = {
	    test_session_state_at_boundaries,
	    test_session_state_active_until_active_expires,
	    test_session_state_idle_renewed_in_place,
	    test_session_state_dead_after_idle_expires,
	    test_session_max_caps_renewal,
	    test_session_max_shorter_than_active,
	    test_session_gc_boundary,
	};
	Suite *s = suite_create("session");

	FX_TCASE(s, "core", 0, core);
	FX_TCASE(s, "errors", 0, errors);
	FX_TCASE(s, "limits", 0, limits);
	return s;
}

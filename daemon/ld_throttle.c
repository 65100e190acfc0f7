/*
 * ld_throttle.c - per-address limit on sign-in and sign-up attempts.
 *
 * A fixed table (no allocation a flood could grow) of fixed windows: an
 * address may make `limit` attempts per `interval`.  Each address hashes to
 * a short probe sequence; when every slot there belongs to another live
 * address the first one is shared, which only makes the limit stricter.
 * The store's own lockout (per account) is independent of this.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "luciaauthd.h"

#define PROBES 8

void ld_throttle_init(struct ld_throttle *t, unsigned limit, int64_t interval_ms)
{
	memset(t->slot, 0, sizeof(t->slot));
	pthread_mutex_init(&t->mu, NULL);
	t->limit = limit;
	t->interval_ms = interval_ms;
}

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static struct ld_slot *find(struct ld_throttle *t, const char *ip, int64_t now)
{
	uint32_t h = fnv1a(ip);
	struct ld_slot *free_slot = NULL;

	for (unsigned i = 0; i < PROBES; i++) {
		struct ld_slot *s = &t->slot[(h + i) % LD_THROTTLE_SLOTS];

		if (strcmp(s->ip, ip) == 0)
			return s;
		if (!free_slot && (!s->ip[0] || now - s->start_ms >= t->interval_ms))
			free_slot = s;
	}
	if (!free_slot)
		return &t->slot[h % LD_THROTTLE_SLOTS];
	snprintf(free_slot->ip, sizeof(free_slot->ip), "%s", ip);
	free_slot->start_ms = now;
	free_slot->n = 0;
	return free_slot;
}

bool ld_throttle_take(struct ld_throttle *t, const char *ip, int64_t now_ms, unsigned *retry_s)
{
	struct ld_slot *s;
	bool allowed;

	if (t->limit == 0)
		return true;
	pthread_mutex_lock(&t->mu);
	s = find(t, ip, now_ms);
	if (now_ms - s->start_ms >= t->interval_ms) {
		s->start_ms = now_ms;
		s->n = 0;
	}
	allowed = s->n < t->limit;
	if (allowed)
		s->n++;
	else
		*retry_s = (unsigned)((s->start_ms + t->interval_ms - now_ms + 999) / 1000);
	pthread_mutex_unlock(&t->mu);
	return allowed;
}

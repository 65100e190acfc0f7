/*
 * fuzz_nss_snapshot.c - hostile snapshot bytes for the NSS module's
 * validator (nss_snap_validate()), then every lookup over what it accepts.
 * The header's file_size and checksum are patched to match the input
 * first: both are cheap to get right for someone who writes the file, and
 * leaving them wrong would stop the fuzzer at the checksum.
 */
#include "config.h"

#include "fuzz.h"
#include "nss_snapshot.h"

static void check_users(const struct nss_snap *s)
{
	const struct la_snap_header *h = s->h;

	for (uint32_t i = 0; i < h->n_users; i++) {
		const struct la_snap_user *u = &s->users[i];
		const char *name = nss_snap_str(s, u->name);
		size_t n = strlen(name) + strlen(nss_snap_str(s, u->gecos)) +
			   strlen(nss_snap_str(s, u->home)) + strlen(nss_snap_str(s, u->shell));

		FZ_ASSERT(n < 4 * (size_t)h->strings_size);
		/* Unique keys: each lookup finds exactly this record. */
		FZ_ASSERT(nss_snap_user_by_uid(s, u->uid) == u);
		FZ_ASSERT(nss_snap_user_by_name(s, name) == u);
		(void)nss_valid_name(name);
		for (uint32_t j = 0; j < u->n_groups; j++) {
			uint32_t g = s->user_groups[u->first_group + j];

			FZ_ASSERT(g < h->n_groups);
			(void)nss_snap_str(s, s->groups[g].name);
		}
	}
}

static void check_groups(const struct nss_snap *s)
{
	const struct la_snap_header *h = s->h;

	for (uint32_t i = 0; i < h->n_groups; i++) {
		const struct la_snap_group *g = &s->groups[i];
		const char *name = nss_snap_str(s, g->name);

		FZ_ASSERT(nss_snap_group_by_gid(s, g->gid) == g);
		FZ_ASSERT(nss_snap_group_by_name(s, name) == g);
		for (uint32_t j = 0; j < g->n_members; j++) {
			uint32_t m = s->members[g->first_member + j];

			FZ_ASSERT(m < h->n_users);
			(void)strlen(nss_snap_str(s, s->users[m].name));
		}
	}
	(void)nss_snap_user_by_name(s, "nobody-here");
	(void)nss_snap_group_by_gid(s, 4242);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly size bytes, so that ASan sees any read past the end. */
	unsigned char *buf = malloc(size ? size : 1);
	struct nss_snap s;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (size >= sizeof(struct la_snap_header)) {
		struct la_snap_header *h = (struct la_snap_header *)buf;

		h->file_size = size;
		if (h->header_size <= size)
			h->checksum = la_snap_fnv1a(LA_SNAP_FNV_INIT, buf + h->header_size,
						    size - h->header_size);
	}
	memset(&s, 0, sizeof(s));
	s.base = buf;
	s.size = size;
	s.h = (const struct la_snap_header *)buf;
	if (nss_snap_validate(&s)) {
		check_users(&s);
		check_groups(&s);
	}
	free(buf);
	return 0;
}

/*
 * la_snapshot.h - layout of the public NSS snapshot file.
 *
 * The snapshot holds only what /etc/passwd and /etc/group would show:
 * names, ids, gecos, home, shell, groups and members, plus the shadow aging
 * fields (never a hash).  The library writes it to a temporary file, fsyncs
 * it and renames it into place (mode 0644, owner root) after every change
 * to public data; the NSS module maps it read-only and maps it again when
 * the file at the path is replaced (another inode).  No reader can block a
 * writer: nothing ever locks it.
 *
 * Layout: one struct la_snap_header at offset 0, then arrays of fixed-size
 * little structs and one pool of NUL-terminated strings.  Every offset is
 * relative to the start of the file; every index and offset is checked by
 * the reader against the file size, and a 64-bit FNV-1a checksum over
 * everything after the header catches a torn or damaged file.  Integers are
 * in the host's byte order (the file never leaves the host).
 *
 * Shared by the publisher (storage/la_snapshot.c) and the reader
 * (nss_module/), which must not need SQLite or libsodium.
 */
#ifndef LA_SNAPSHOT_H
#define LA_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#define LA_SNAP_MAGIC "LASNAP01"
#define LA_SNAP_VERSION 1u
#define LA_SNAP_NAME "nss.snapshot"

struct la_snap_header {
	char magic[8];
	uint32_t version;
	uint32_t header_size;   /* sizeof(struct la_snap_header) */
	uint64_t file_size;
	uint64_t checksum;      /* FNV-1a 64 of bytes [header_size, file_size) */
	int64_t published_ms;   /* when it was written (ms since the epoch) */
	uint32_t uid_min, uid_max;
	uint32_t n_users, n_groups;
	uint32_t n_members;     /* entries of the members array */
	uint32_t n_user_groups; /* entries of the user_groups array */
	/* Arrays (file offsets). */
	uint32_t users;         /* struct la_snap_user[n_users], by uid */
	uint32_t users_by_name; /* uint32_t[n_users]: user indices sorted by name */
	uint32_t groups;        /* struct la_snap_group[n_groups], by gid */
	uint32_t groups_by_name;/* uint32_t[n_groups]: group indices sorted by name */
	uint32_t members;       /* uint32_t[n_members]: user indices */
	uint32_t user_groups;   /* uint32_t[n_user_groups]: group indices */
	uint32_t strings;       /* string pool */
	uint32_t strings_size;  /* bytes; the pool ends with a NUL */
	uint32_t reserved[6];
};

struct la_snap_user {
	uint32_t name, gecos, home, shell; /* offsets into the string pool */
	uint32_t uid, gid;
	uint32_t first_group, n_groups;    /* slice of user_groups */
	int32_t lastchg_days;              /* shadow sp_lstchg: days since epoch, 0 = must change, -1 = none */
	int32_t expire_days;               /* shadow sp_expire, -1 = never */
	uint32_t flags;                    /* LA_SNAP_USER_* */
	uint32_t reserved;
};

#define LA_SNAP_USER_LOCKED 0x1u /* administrative lock */

struct la_snap_group {
	uint32_t name;                  /* offset into the string pool */
	uint32_t gid;
	uint32_t first_member, n_members; /* slice of members */
	uint32_t flags;                 /* LA_SNAP_GROUP_* */
	uint32_t reserved;
};

/* A group that shares name and gid with a local group, for
 * "group: files [SUCCESS=merge] luciaauth"; its gid may lie outside
 * uid_min..uid_max. */
#define LA_SNAP_GROUP_MERGE 0x1u

/* Checksum of n bytes continuing from h (start with LA_SNAP_FNV_INIT):
 * FNV-1a over 64-bit words, then over the tail bytes.  A word at a time
 * keeps a 100 MB snapshot (a million users) at a few milliseconds per
 * mapping; it is there to catch damage, not an attacker (the file is
 * root's and nobody else can write it). */
#define LA_SNAP_FNV_INIT 0xcbf29ce484222325ULL
#define LA_SNAP_FNV_PRIME 0x100000001b3ULL
static inline uint64_t la_snap_fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;

		__builtin_memcpy(&w, b + i, 8);
		h = (h ^ w) * LA_SNAP_FNV_PRIME;
	}
	for (; i < n; i++)
		h = (h ^ b[i]) * LA_SNAP_FNV_PRIME;
	return h;
}

#endif /* LA_SNAPSHOT_H */

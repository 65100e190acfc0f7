/*
 * la_batch_int.h - what the two halves of the import batch share:
 * la_batch.c (begin, write, end) and la_batch_check.c (the checks before
 * an account is written).  storage/ only.
 */
#ifndef LA_BATCH_INT_H
#define LA_BATCH_INT_H

#include "la_import.h"

enum {
	S_USER_BY_NAME, S_USER_BY_ID, S_USER_BY_UID, S_ID_USED, S_RETIRED, S_EMAIL_USED,
	S_GROUP_BY_NAME, S_GROUP_BY_GID, S_INSERT_USER, S_INSERT_GROUP, S_INSERT_KEY,
	S_KEY_OWNER, S_INSERT_MEMBER, S_SAVEPOINT, S_RELEASE, S_ROLLBACK_TO, S_HWM_GET,
	S_HWM_RAISE, N_STMT
};


struct la_batch {
	struct la_store *st;
	struct la_import_opts o;
	struct la_import_stats *stats;
	struct la_acctfile syspw, sysgr;
	sqlite3_stmt *s[N_STMT];
	uint32_t next_id; /* allocation cursor */
	bool in_tx;
	unsigned char pool[4096]; /* random bytes for user ids */
	size_t pool_used;
};

/* The verdict of the checks before an account is written. */
enum verdict { V_GO, V_UNCHANGED, V_SKIP };

struct plan {
	uint32_t uid, gid;
	bool make_group;     /* create the primary group (gid, username) */
	const char *mirror_group; /* or create it as this shared group */
	char why[1024];       /* reason of V_UNCHANGED / V_SKIP */
};

/* Step a one-row query with ?1 = text (arg) or integer (iarg).  *row: a
 * row came back (the statement stays on it for the caller to read; it is
 * reset at the next use). */
LA_HIDDEN la_rc store_batch_query(struct la_batch *b, int which, const char *arg, int64_t iarg,
				  bool *row);
/* Text column of the row store_batch_query() left statement which on. */
LA_HIDDEN const char *store_batch_col(struct la_batch *b, int which, int col);
/* May u be written, and how (uid, gid, groups to create)? */
LA_HIDDEN la_rc store_batch_check(struct la_batch *b, const struct la_import_user *u,
				  struct plan *p, enum verdict *v);

#endif /* LA_BATCH_INT_H */

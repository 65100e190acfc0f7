/*
 * pam_harness_int.h - internals shared by the pam_harness*.c files of
 * tests/check_pam (not for the tests themselves; they use pam_harness.h).
 */
#ifndef PAM_HARNESS_INT_H
#define PAM_HARNESS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define NOBODY ((uid_t)65534)

/* snprintf that fails loudly (Bail out!) instead of truncating a path. */
void ph_fmt(char *out, size_t size, const char *f, ...) __attribute__((format(printf, 3, 4)));
/* Append to a NUL-terminated buffer, truncating silently. */
void ph_append(char *buf, size_t size, const char *f, ...) __attribute__((format(printf, 3, 4)));
/* chown -R without following symlinks. */
bool ph_chown_r(const char *path, uid_t uid, gid_t gid);

#endif

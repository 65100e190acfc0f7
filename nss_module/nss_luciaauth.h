/*
 * nss_luciaauth.h - the glibc NSS entry points of libnss_luciaauth.so.2,
 * the only symbols it exports (nss_luciaauth.map).  glibc declares none of
 * them; the module and its tests share these prototypes.
 */
#ifndef NSS_LUCIAAUTH_H
#define NSS_LUCIAAUTH_H

#include <grp.h>
#include <nss.h>
#include <pwd.h>
#include <shadow.h>
#include <stddef.h>
#include <sys/types.h>

enum nss_status _nss_luciaauth_getpwnam_r(const char *name, struct passwd *pw, char *buf,
					  size_t buflen, int *errnop);
enum nss_status _nss_luciaauth_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t buflen,
					  int *errnop);
enum nss_status _nss_luciaauth_setpwent(void);
enum nss_status _nss_luciaauth_getpwent_r(struct passwd *pw, char *buf, size_t buflen, int *errnop);
enum nss_status _nss_luciaauth_endpwent(void);

enum nss_status _nss_luciaauth_getgrnam_r(const char *name, struct group *gr, char *buf,
					  size_t buflen, int *errnop);
enum nss_status _nss_luciaauth_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t buflen,
					  int *errnop);
enum nss_status _nss_luciaauth_setgrent(void);
enum nss_status _nss_luciaauth_getgrent_r(struct group *gr, char *buf, size_t buflen, int *errnop);
enum nss_status _nss_luciaauth_endgrent(void);
enum nss_status _nss_luciaauth_initgroups_dyn(const char *user, gid_t group, long int *start,
					      long int *size, gid_t **groupsp, long int limit,
					      int *errnop);

enum nss_status _nss_luciaauth_getspnam_r(const char *name, struct spwd *sp, char *buf,
					  size_t buflen, int *errnop);
enum nss_status _nss_luciaauth_setspent(void);
enum nss_status _nss_luciaauth_getspent_r(struct spwd *sp, char *buf, size_t buflen, int *errnop);
enum nss_status _nss_luciaauth_endspent(void);

#endif /* NSS_LUCIAAUTH_H */

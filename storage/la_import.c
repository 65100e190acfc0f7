/*
 * la_import.c - line parsers for passwd/shadow/group, whole-file account
 * indexes, and the hash check of the importers.
 *
 * MUST:
 *  1. The parsers are pure: they read exactly [line, line + len), allocate
 *     nothing and keep no state, so a fuzz target may call them with any
 *     bytes (see la_import.h).
 *  2. A field that would end up in an NSS answer never contains a control
 *     character or a NUL byte; ':' cannot occur by construction.
 *  3. Files are opened O_NOFOLLOW|O_CLOEXEC and only read.
 */
#include "config.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "la_import.h"

#define IMPORT_FILE_MAX (1024L * 1024 * 1024)

/* ---- 1. line parsers -------------------------------------------------- */

/* Split into exactly n fields on ':'; refuses NUL, '\r', '\n' and other
 * control bytes anywhere (MUST 2). */
static bool split_fields(const char *line, size_t len, struct la_field *f, size_t n,
			 const char **why)
{
	size_t k = 0, start = 0;

	for (size_t i = 0; i <= len; i++) {
		unsigned char ch = i < len ? (unsigned char)line[i] : ':';

		if (i < len && (ch < 0x20 || ch == 0x7f)) {
			*why = "control character or NUL byte in the line";
			return false;
		}
		if (ch != ':')
			continue;
		if (k == n) {
			*why = "too many fields";
			return false;
		}
		f[k].p = line + start;
		f[k].len = i - start;
		k++;
		start = i + 1;
	}
	if (k != n) {
		*why = "too few fields (truncated line?)";
		return false;
	}
	return true;
}

/* Strict decimal: digits only, no sign, at most UINT32_MAX - 1 (the
 * all-ones id is (uid_t)-1, "no id", for chown and setreuid). */
static bool parse_u32(const struct la_field *f, uint32_t *out)
{
	uint64_t v = 0;

	if (f->len == 0 || f->len > 10)
		return false;
	for (size_t i = 0; i < f->len; i++) {
		if (f->p[i] < '0' || f->p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(f->p[i] - '0');
	}
	if (v >= UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* Optional day count of shadow(5): empty = -1. */
static bool parse_days(const struct la_field *f, int64_t *out)
{
	uint32_t v = 0;

	if (f->len == 0) {
		*out = -1;
		return true;
	}
	if (!parse_u32(f, &v) || v > 10000000u) /* well past the year 29000 */
		return false;
	*out = v;
	return true;
}

la_rc store_parse_passwd(const char *line, size_t len, struct la_pw_rec *out, const char **why)
{
	struct la_field f[7];

	memset(out, 0, sizeof(*out));
	if (!split_fields(line, len, f, 7, why))
		return LA_E_INVAL;
	if (f[0].len == 0) {
		*why = "empty user name";
		return LA_E_INVAL;
	}
	if (!parse_u32(&f[2], &out->uid)) {
		*why = "uid is not a number";
		return LA_E_INVAL;
	}
	if (!parse_u32(&f[3], &out->gid)) {
		*why = "gid is not a number";
		return LA_E_INVAL;
	}
	out->name = f[0];
	out->gecos = f[4];
	out->home = f[5];
	out->shell = f[6];
	return LA_OK;
}

la_rc store_parse_shadow(const char *line, size_t len, struct la_sp_rec *out, const char **why)
{
	struct la_field f[9];

	memset(out, 0, sizeof(*out));
	if (!split_fields(line, len, f, 9, why))
		return LA_E_INVAL;
	if (f[0].len == 0) {
		*why = "empty user name";
		return LA_E_INVAL;
	}
	if (!parse_days(&f[2], &out->lastchg_days)) {
		*why = "last change is not a day count";
		return LA_E_INVAL;
	}
	if (!parse_days(&f[7], &out->expire_days)) {
		*why = "expiry is not a day count";
		return LA_E_INVAL;
	}
	out->name = f[0];
	out->hash = f[1];
	return LA_OK;
}

la_rc store_parse_group(const char *line, size_t len, struct la_gr_rec *out, const char **why)
{
	struct la_field f[4];

	memset(out, 0, sizeof(*out));
	if (!split_fields(line, len, f, 4, why))
		return LA_E_INVAL;
	if (f[0].len == 0) {
		*why = "empty group name";
		return LA_E_INVAL;
	}
	if (!parse_u32(&f[2], &out->gid)) {
		*why = "gid is not a number";
		return LA_E_INVAL;
	}
	out->name = f[0];
	out->members = f[3];
	return LA_OK;
}

bool store_group_member_next(const struct la_field *members, size_t *pos, struct la_field *out)
{
	while (*pos < members->len) {
		size_t start = *pos, end = start;

		while (end < members->len && members->p[end] != ',')
			end++;
		*pos = end + 1;
		if (end > start) {
			out->p = members->p + start;
			out->len = end - start;
			return true;
		}
	}
	return false;
}

bool store_field_copy(const struct la_field *f, char *dst, size_t dstlen)
{
	if (f->len >= dstlen)
		return false;
	memcpy(dst, f->p, f->len);
	dst[f->len] = '\0';
	return true;
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* The shape of a crypt(3) string beyond what crypt_checksalt() looks at
 * (it checks the setting, not the checksum): a checksum of crypt's base64
 * alphabet with the method's length, and digits after "rounds=".  Cheap on
 * purpose: hashing a dummy password per account would make a bulk import
 * take minutes. */
static bool crypt_shape_ok(const char *hash)
{
	static const char b64[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	static const struct { const char *prefix; size_t sum_len; } known[] = {
		{ "$y$", 43 }, { "$gy$", 43 }, { "$7$", 43 }, { "$6$", 86 }, { "$5$", 43 },
		{ "$1$", 22 },
	};
	const char *sum = strrchr(hash, '$') + 1, *r = strstr(hash, "$rounds=");
	size_t len = strlen(hash);

	if (!*sum || strspn(sum, b64) != strlen(sum))
		return false;
	if (r && (r[8] < '0' || r[8] > '9' || strspn(r + 8, "0123456789") + 9 > (size_t)(sum - r)))
		return false;
	if (hash[1] == '2' && hash[3] == '$') /* bcrypt: "$2b$NN$" + 22 salt + 31 sum */
		return len == 60 && strlen(sum) == 53;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strncmp(hash, known[i].prefix, strlen(known[i].prefix)) == 0)
			return strlen(sum) == known[i].sum_len;
	return true;
}

bool store_hash_importable(const char *hash)
{
	size_t len = strnlen(hash, LA_HASH_MAX);
	struct store_lucia_hash lh;
	const char *c1, *c2, *hex;

	if (len == 0 || len >= LA_HASH_MAX || !store_valid_utf8_text(hash, LA_HASH_MAX, true))
		return false;
	/* Never accept what la_verify_password() would refuse unseen: a
	 * legacy Lucia hash whose salt starts with '*' or '!' passed the
	 * checks below but is "no login" to the verifier (found by
	 * fuzz/fuzz_import_hash.c). */
	if (store_hash_parse(hash, &lh) == HASH_BAD)
		return false;
	if (strncmp(hash, "$argon2id$", 10) == 0)
		/* libsodium must be able to decode it: needs_rehash() parses
		 * the whole PHC string without hashing and says -1 for one it
		 * cannot (the prefix alone was accepted before; found by
		 * fuzz/fuzz_import_hash.c).  The limits given do not matter. */
		return crypto_pwhash_str_needs_rehash(hash, crypto_pwhash_OPSLIMIT_INTERACTIVE,
						      crypto_pwhash_MEMLIMIT_INTERACTIVE) != -1;
	if (hash[0] == '$')
		/* libxcrypt knows the method and the setting is well-formed;
		 * LEGACY (md5crypt, ...) still verifies and is rehashed at the
		 * first sign-in. */
		return (crypt_checksalt(hash) == CRYPT_SALT_OK ||
			crypt_checksalt(hash) == CRYPT_SALT_METHOD_LEGACY) &&
		       crypt_shape_ok(hash);
	/* Lucia: "s2:<salt>:<hex>" or the legacy "<salt>:<hex>", 64-byte key. */
	c1 = strchr(hash, ':');
	if (!c1 || c1 == hash)
		return false;
	c2 = strchr(c1 + 1, ':');
	if (c2 && (c1 - hash != 2 || strncmp(hash, "s2", 2) != 0 || c2 == c1 + 1))
		return false;
	hex = c2 ? c2 + 1 : c1 + 1;
	return strlen(hex) == 128 && all_hex(hex, 128) && !strchr(hex, ':');
}

/* ---- 2. whole files and account indexes ------------------------------- */

la_rc store_read_file(struct la_store *st, const char *path, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat sb;
	char *p = NULL;
	size_t got = 0;
	la_rc rc = LA_OK;

	*buf = NULL;
	*len = 0;
	if (fd < 0)
		return store_fail(st, errno == ENOENT ? LA_E_NOTFOUND : errno == EACCES ? LA_E_PERM
										       : LA_E_IO,
				  "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > IMPORT_FILE_MAX) {
		rc = store_fail(st, LA_E_IO, "%s is not a regular file of at most 1 GiB", path);
		goto out;
	}
	p = malloc((size_t)sb.st_size + 1);
	if (!p) {
		rc = store_fail(st, LA_E_NOMEM, "out of memory reading %s", path);
		goto out;
	}
	while (got < (size_t)sb.st_size) {
		ssize_t r = read(fd, p + got, (size_t)sb.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = store_fail(st, LA_E_IO, "cannot read %s", path);
			goto out;
		}
		got += (size_t)r;
	}
	p[got] = '\0';
	*buf = p;
	*len = got;
	p = NULL;
out:
	free(p);
	close(fd);
	return rc;
}

static int acct_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct la_acct *)a)->name, ((const struct la_acct *)b)->name);
}

static int acct_id_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct la_acct *)a)->id, y = ((const struct la_acct *)b)->id;

	return x < y ? -1 : x > y;
}

/* One line of a system file into an index entry; the name is terminated
 * in place (the line is not needed as a whole afterwards). */
static bool index_line(char *line, size_t len, enum la_acct_kind kind, struct la_acct *a)
{
	struct la_pw_rec pw;
	struct la_gr_rec gr;
	const char *why = NULL;
	struct la_field name;

	if (len == 0 || line[0] == '#' || line[0] == '+' || line[0] == '-')
		return false;
	if (kind == LA_ACCT_PASSWD) {
		if (store_parse_passwd(line, len, &pw, &why) != LA_OK)
			return false;
		name = pw.name;
		a->id = pw.uid;
	} else {
		if (store_parse_group(line, len, &gr, &why) != LA_OK)
			return false;
		name = gr.name;
		a->id = gr.gid;
	}
	line[name.len] = '\0';
	a->name = line;
	return true;
}

la_rc store_acctfile_load(struct la_store *st, const char *path, enum la_acct_kind kind,
			  bool missing_ok, struct la_acctfile *f)
{
	size_t len = 0, n_lines = 1, lineno = 0;
	la_rc rc;

	memset(f, 0, sizeof(*f));
	rc = store_read_file(st, path, &f->buf, &len);
	if (rc == LA_E_NOTFOUND && missing_ok) {
		store_clear_error(st);
		return LA_OK;
	}
	if (rc != LA_OK)
		return rc;
	for (size_t i = 0; i < len; i++)
		n_lines += f->buf[i] == '\n';
	f->by_name = calloc(n_lines, sizeof(*f->by_name));
	f->by_id = calloc(n_lines, sizeof(*f->by_id));
	if (!f->by_name || !f->by_id) {
		store_acctfile_free(f);
		return store_fail(st, LA_E_NOMEM, "out of memory indexing %s", path);
	}
	for (char *p = f->buf, *end = f->buf + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		lineno++;
		if (index_line(p, l, kind, &f->by_name[f->n])) {
			f->by_name[f->n].line = lineno;
			f->by_name[f->n].rec = f->n;
			f->n++;
		}
		p += l + 1;
	}
	memcpy(f->by_id, f->by_name, f->n * sizeof(*f->by_id));
	qsort(f->by_name, f->n, sizeof(*f->by_name), acct_name_cmp);
	qsort(f->by_id, f->n, sizeof(*f->by_id), acct_id_cmp);
	return LA_OK;
}

void store_acctfile_free(struct la_acctfile *f)
{
	free(f->buf);
	free(f->by_name);
	free(f->by_id);
	memset(f, 0, sizeof(*f));
}

const struct la_acct *store_acct_by_name(const struct la_acctfile *f, const char *name)
{
	struct la_acct key = { .name = name };

	return f->n ? bsearch(&key, f->by_name, f->n, sizeof(key), acct_name_cmp) : NULL;
}

const struct la_acct *store_acct_by_id(const struct la_acctfile *f, uint32_t id)
{
	struct la_acct key = { .id = id };

	return f->n ? bsearch(&key, f->by_id, f->n, sizeof(key), acct_id_cmp) : NULL;
}

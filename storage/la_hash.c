/*
 * la_hash.c - password hashing, verification, NFKC and the password policy.
 *
 * MUST:
 *  1. Every copy this file makes of a password or of material derived from
 *     it (NFKC buffers, scrypt keys, crypt(3) scratch space) lives in
 *     sodium_malloc'd memory or a stack array and is wiped on every path.
 *     sodium_free() wipes the whole allocation before releasing it.
 *  2. Derived material is compared in constant time (sodium_memcmp,
 *     crypto_pwhash_str_verify); only lengths, which are public, are
 *     compared first.
 *  3. New hashes are Argon2id of NFKC(password).  Lucia scrypt hashes are
 *     verified on NFKC(password) because Lucia normalised before hashing;
 *     crypt(3) hashes on the raw bytes because the Unix systems they were
 *     imported from did not.
 *  4. No message recorded here contains a password or a hash.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <uninorm.h>
#include <unistr.h>
#include <crypt.h>

#include "la_int.h"

_Static_assert(LA_HASH_MAX >= crypto_pwhash_STRBYTES, "LA_HASH_MAX too small for Argon2id");

/* Lucia v2 scrypt parameters (lucia-semantics.md 2.3). */
#define LUCIA_SCRYPT_N	   16384u
#define LUCIA_SCRYPT_P	   1u
#define LUCIA_SCRYPT_DKLEN 64u
#define ARGON2ID_PREFIX	   "$argon2id$"

/* A policy-sized password is at most LA_PASSWORD_MAX code points of at most
 * 4 bytes; anything longer is refused before any per-character work. */
#define PW_BYTES_MAX (4u * LA_PASSWORD_MAX)

/* Classify a stored hash.  The stored hash is not secret towards the
 * caller, so ordinary string functions are fine here. */
enum store_hash_kind store_hash_parse(const char *hash, struct store_lucia_hash *lh)
{
	const char *c1, *c2;

	/* '*' and '!' are the crypt(3) conventions for "no login"/"locked". */
	if (!hash || !*hash || hash[0] == '*' || hash[0] == '!' ||
	    strnlen(hash, LA_HASH_MAX) >= LA_HASH_MAX)
		return HASH_BAD;
	if (strncmp(hash, ARGON2ID_PREFIX, strlen(ARGON2ID_PREFIX)) == 0)
		return HASH_ARGON2ID;
	if (hash[0] == '$')
		return HASH_CRYPT;
	/* Lucia v2 splits on ':' and wants exactly 2 (legacy) or 3 ("s2") parts. */
	c1 = strchr(hash, ':');
	if (!c1)
		return HASH_BAD;
	c2 = strchr(c1 + 1, ':');
	if (!c2) {
		*lh = (struct store_lucia_hash){hash, (size_t)(c1 - hash), c1 + 1, 8};
		return HASH_SCRYPT;
	}
	if (strchr(c2 + 1, ':') || c1 - hash != 2 || strncmp(hash, "s2", 2) != 0)
		return HASH_BAD;
	*lh = (struct store_lucia_hash){c1 + 1, (size_t)(c2 - c1 - 1), c2 + 1, 16};
	return HASH_SCRYPT;
}

/* The public hash functions need no store handle, so they cannot rely on
 * la_store_open() having initialised libsodium; sodium_init() is cheap and
 * thread-safe once done. */
static bool sodium_ready(void)
{
	return sodium_init() >= 0;
}

/* Move a result that libunistring had to malloc() into guarded memory,
 * wiping the original. */
static char *secure_copy(uint8_t *res, size_t len)
{
	char *p = sodium_malloc(len + 1);

	if (p) {
		memcpy(p, res, len);
		p[len] = '\0';
	}
	sodium_memzero(res, len);
	free(res);
	return p;
}

la_rc store_nfkc(const char *in, char **out, size_t *out_len)
{
	size_t in_len, cap, res_len;
	char *buf = NULL;
	uint8_t *res = NULL;

	*out = NULL;
	*out_len = 0;
	if (!in)
		return LA_E_INVAL;
	if (!sodium_ready())
		return LA_E_CRYPTO;
	in_len = strlen(in);
	if (u8_check((const uint8_t *)in, in_len) != NULL)
		return LA_E_POLICY;
	/* Hand libunistring a guarded buffer large enough for all but
	 * pathological expansions (U+FDFA grows 11-fold), so the normalised
	 * password normally never touches plain heap memory. */
	if (in_len > (SIZE_MAX - 64) / 3)
		return LA_E_NOMEM;
	cap = 3 * in_len + 32;
	buf = sodium_malloc(cap + 1);
	if (!buf)
		return LA_E_NOMEM;
	res_len = cap;
	res = u8_normalize(UNINORM_NFKC, (const uint8_t *)in, in_len, (uint8_t *)buf, &res_len);
	if (res && res != (uint8_t *)buf) {
		sodium_free(buf);
		buf = secure_copy(res, res_len);
	} else if (res) {
		buf[res_len] = '\0';
	} else {
		sodium_free(buf);
		buf = NULL;
	}
	if (!buf)
		return LA_E_NOMEM;
	*out = buf;
	*out_len = res_len;
	return LA_OK;
}

static bool cost_valid(unsigned long mem_kib, unsigned long ops)
{
	return ops >= crypto_pwhash_argon2id_opslimit_min() &&
	       ops <= crypto_pwhash_argon2id_opslimit_max() &&
	       mem_kib >= crypto_pwhash_argon2id_memlimit_min() / 1024u &&
	       mem_kib <= crypto_pwhash_argon2id_memlimit_max() / 1024u;
}

la_rc la_hash_password(const char *password, unsigned long mem_kib, unsigned long ops,
		       char out[LA_HASH_MAX])
{
	char *pw = NULL;
	size_t pw_len = 0;
	la_rc rc;

	if (!out)
		return LA_E_INVAL;
	out[0] = '\0';
	if (!password || !cost_valid(mem_kib, ops))
		return LA_E_INVAL;
	rc = store_nfkc(password, &pw, &pw_len);
	if (rc != LA_OK)
		return rc;
	errno = 0;
	if (crypto_pwhash_str_alg(out, pw, pw_len, ops, (size_t)mem_kib * 1024u,
				  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		/* Argon2 allocates mem_kib up front: ENOMEM is the usual cause. */
		rc = errno == ENOMEM ? LA_E_NOMEM : LA_E_CRYPTO;
		sodium_memzero(out, LA_HASH_MAX);
	}
	sodium_free(pw);
	return rc;
}

static la_rc verify_argon2id(const char *password, const char *hash)
{
	char *pw = NULL;
	size_t pw_len = 0;
	la_rc rc = store_nfkc(password, &pw, &pw_len);

	if (rc != LA_OK)
		return rc == LA_E_POLICY ? LA_E_AUTH : rc; /* invalid UTF-8 cannot match */
	errno = 0;
	if (crypto_pwhash_str_verify(hash, pw, pw_len) != 0)
		/* Mismatch and malformed hashes are EINVAL; only ENOMEM is a
		 * real failure that the caller must not read as "wrong". */
		rc = errno == ENOMEM ? LA_E_NOMEM : LA_E_AUTH;
	sodium_free(pw);
	return rc;
}

static la_rc verify_scrypt(const char *password, const struct store_lucia_hash *lh)
{
	uint8_t expected[LUCIA_SCRYPT_DKLEN] = {0}, derived[LUCIA_SCRYPT_DKLEN] = {0};
	char *pw = NULL;
	size_t pw_len = 0, bin_len = 0;
	la_rc rc = LA_E_AUTH;

	/* Strict: exactly 128 hex digits, nothing ignored, nothing left over. */
	if (strlen(lh->hex) != 2 * LUCIA_SCRYPT_DKLEN ||
	    sodium_hex2bin(expected, sizeof(expected), lh->hex, 2 * LUCIA_SCRYPT_DKLEN, NULL,
			   &bin_len, NULL) != 0 ||
	    bin_len != sizeof(expected))
		goto out;
	rc = store_nfkc(password, &pw, &pw_len);
	if (rc != LA_OK) {
		rc = rc == LA_E_POLICY ? LA_E_AUTH : rc;
		goto out;
	}
	errno = 0;
	if (crypto_pwhash_scryptsalsa208sha256_ll(
		(const uint8_t *)pw, pw_len, (const uint8_t *)lh->salt, lh->salt_len,
		LUCIA_SCRYPT_N, lh->r, LUCIA_SCRYPT_P, derived, sizeof(derived)) != 0) {
		rc = errno == ENOMEM ? LA_E_NOMEM : LA_E_CRYPTO;
		goto out;
	}
	rc = sodium_memcmp(derived, expected, sizeof(derived)) == 0 ? LA_OK : LA_E_AUTH;
out:
	sodium_memzero(derived, sizeof(derived));
	sodium_memzero(expected, sizeof(expected));
	sodium_free(pw);
	return rc;
}

static la_rc verify_crypt(const char *password, const char *hash)
{
	/* struct crypt_data is 32 KiB of scratch space that ends up holding
	 * password-derived state: guarded heap rather than the stack. */
	struct crypt_data *cd = sodium_malloc(sizeof(*cd));
	size_t hash_len = strlen(hash);
	const char *res = NULL;
	la_rc rc = LA_E_AUTH;

	if (!cd)
		return LA_E_NOMEM;
	sodium_memzero(cd, sizeof(*cd)); /* libxcrypt wants zeroed scratch */
	res = crypt_rn(password, hash, cd, (int)sizeof(*cd));
	/* crypt_rn returns NULL on failure; a '*' output is a failure token
	 * of other implementations and never matches a usable hash. */
	if (res && res[0] != '*' && strlen(res) == hash_len &&
	    sodium_memcmp(res, hash, hash_len) == 0)
		rc = LA_OK;
	sodium_memzero(cd, sizeof(*cd));
	sodium_free(cd);
	return rc;
}

la_rc la_verify_password(const char *password, const char *hash, unsigned long mem_kib,
			 unsigned long ops, bool *needs_rehash)
{
	struct store_lucia_hash lh = {NULL, 0, NULL, 0};
	enum store_hash_kind kind = store_hash_parse(hash, &lh);
	size_t memlimit = mem_kib > SIZE_MAX / 1024u ? SIZE_MAX : (size_t)mem_kib * 1024u;
	la_rc rc = LA_E_AUTH;

	if (needs_rehash)
		*needs_rehash = false;
	if (!password)
		return LA_E_AUTH;
	if (!sodium_ready())
		return LA_E_CRYPTO;
	switch (kind) {
	case HASH_ARGON2ID:
		rc = verify_argon2id(password, hash);
		break;
	case HASH_SCRYPT:
		rc = verify_scrypt(password, &lh);
		break;
	case HASH_CRYPT:
		rc = verify_crypt(password, hash);
		break;
	case HASH_BAD:
	default:
		return LA_E_AUTH;
	}
	/* Only a verified password can be rehashed: the caller needs it. */
	if (rc == LA_OK && needs_rehash)
		*needs_rehash = kind != HASH_ARGON2ID ||
				crypto_pwhash_str_needs_rehash(hash, ops, memlimit) != 0;
	return rc;
}

la_rc store_hash(struct la_store *st, const char *password, char out[LA_HASH_MAX])
{
	la_rc rc = la_hash_password(password, st->cfg.hash_mem_kib, st->cfg.hash_ops, out);

	switch (rc) {
	case LA_OK:
		return LA_OK;
	case LA_E_POLICY:
		return store_fail(st, rc, "password is not valid UTF-8");
	case LA_E_INVAL:
		return store_fail(st, rc,
				  password
				      ? "hash_mem_kib = %lu / hash_ops = %lu outside the range "
					"libsodium accepts"
				      : "no password given (hash_mem_kib = %lu, hash_ops = %lu)",
				  st->cfg.hash_mem_kib, st->cfg.hash_ops);
	case LA_E_NOMEM:
		return store_fail(st, rc,
				  "out of memory while hashing the password "
				  "(hash_mem_kib = %lu)",
				  st->cfg.hash_mem_kib);
	default:
		return store_fail(st, rc, "password hashing failed");
	}
}

la_rc store_verify(struct la_store *st, const char *password, const char *hash, bool *needs_rehash)
{
	struct store_lucia_hash lh;
	la_rc rc = la_verify_password(password, hash, st->cfg.hash_mem_kib, st->cfg.hash_ops,
				      needs_rehash);

	switch (rc) {
	case LA_OK:
		return LA_OK;
	case LA_E_AUTH:
		/* Tell an administrator why a hash can never work; the format of
		 * a stored hash is no secret, its contents are. */
		if (store_hash_parse(hash, &lh) == HASH_BAD)
			return store_fail(st, rc,
					  "stored password hash is locked or of an "
					  "unsupported format");
		return store_fail(st, rc, "password does not match");
	case LA_E_NOMEM:
		return store_fail(st, rc, "out of memory while verifying the password");
	default:
		return store_fail(st, rc, "password verification failed");
	}
}

void store_verify_dummy(struct la_store *st, const char *password)
{
	unsigned char salt[crypto_pwhash_SALTBYTES], tag[32];
	char salt64[64], tag64[64];
	la_rc rc;

	if (!st)
		return;
	if (st->dummy_hash[0] == '\0') {
		/* An Argon2id string with the store's cost and random salt and
		 * tag: verifying against it costs exactly a real verification and
		 * never succeeds.  Building it costs nothing -- hashing here would
		 * make an unknown user twice as slow as a known one whenever the
		 * handle is new (a PAM call always opens a new one). */
		randombytes_buf(salt, sizeof(salt));
		randombytes_buf(tag, sizeof(tag));
		sodium_bin2base64(salt64, sizeof(salt64), salt, sizeof(salt),
				  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
		sodium_bin2base64(tag64, sizeof(tag64), tag, sizeof(tag),
				  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
		snprintf(st->dummy_hash, sizeof(st->dummy_hash), "$argon2id$v=19$m=%lu,t=%lu,p=1$%s$%s",
			 st->cfg.hash_mem_kib, st->cfg.hash_ops, salt64, tag64);
	}
	rc = la_verify_password(password ? password : "", st->dummy_hash, st->cfg.hash_mem_kib,
				st->cfg.hash_ops, NULL);
	(void)rc; /* the result is meaningless by construction */
}

/* C0, DEL and C1 controls; pw is valid UTF-8. */
static bool has_control(const char *pw, size_t len)
{
	const uint8_t *p = (const uint8_t *)pw, *end = p + len;
	ucs4_t c = 0;

	while (p < end) {
		p += u8_mbtouc(&c, p, (size_t)(end - p));
		if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
			return true;
	}
	return false;
}

/* *same = NFKC(other) equals pw (already NFKC), in constant time so that the
 * policy does not leak the new password through its timing either. */
static la_rc same_nfkc(const char *pw, size_t pw_len, const char *other, bool *same)
{
	char *o = NULL;
	size_t o_len = 0;
	la_rc rc;

	*same = false;
	if (!other)
		return LA_OK;
	rc = store_nfkc(other, &o, &o_len);
	if (rc == LA_E_POLICY)
		return LA_OK; /* invalid UTF-8 cannot equal a valid password */
	if (rc != LA_OK)
		return rc;
	*same = o_len == pw_len && sodium_memcmp(o, pw, pw_len) == 0;
	sodium_free(o);
	return LA_OK;
}

static la_rc policy_check(struct la_store *st, const char *pw, size_t pw_len, const char *username,
			  const char *old)
{
	size_t n_chars = u8_mbsnlen((const uint8_t *)pw, pw_len);
	bool same = false;

	if (has_control(pw, pw_len))
		return store_fail(st, LA_E_POLICY, "password contains control characters");
	if (n_chars < st->cfg.password_min)
		return store_fail(st, LA_E_POLICY, "password is too short (minimum %u characters)",
				  st->cfg.password_min);
	if (n_chars > LA_PASSWORD_MAX)
		return store_fail(st, LA_E_POLICY, "password is too long (maximum %d characters)",
				  LA_PASSWORD_MAX);
	if (same_nfkc(pw, pw_len, username, &same) != LA_OK)
		return store_fail(st, LA_E_NOMEM, "out of memory while checking the password");
	if (same)
		return store_fail(st, LA_E_POLICY, "password must not be the user name");
	if (same_nfkc(pw, pw_len, old, &same) != LA_OK)
		return store_fail(st, LA_E_NOMEM, "out of memory while checking the password");
	if (same)
		return store_fail(st, LA_E_POLICY, "new password must differ from the old one");
	return LA_OK;
}

la_rc la_password_policy(struct la_store *st, const char *username, const char *password,
			 const char *old)
{
	char *pw = NULL;
	size_t pw_len = 0;
	la_rc rc;

	if (!st || !password)
		return store_fail(st, LA_E_INVAL, "no password given");
	/* Cheap refusal of huge input before normalising it. */
	if (strnlen(password, PW_BYTES_MAX + 1) > PW_BYTES_MAX)
		return store_fail(st, LA_E_POLICY, "password is too long (maximum %d characters)",
				  LA_PASSWORD_MAX);
	rc = store_nfkc(password, &pw, &pw_len);
	if (rc == LA_E_POLICY)
		return store_fail(st, rc, "password is not valid UTF-8");
	if (rc != LA_OK)
		return store_fail(st, rc, "out of memory while checking the password");
	rc = policy_check(st, pw, pw_len, username, old);
	sodium_free(pw);
	return rc;
}

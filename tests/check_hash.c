/*
 * check_hash.c - password hashing, verification, NFKC and password policy.
 *
 * The Lucia scrypt vectors are the real v2 output (and the vectors of
 * lucia-semantics.md 2.3, cross-checked with Node's crypto.scryptSync);
 * crypt(3) hashes are generated at test time with libxcrypt.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <crypt.h>
#include <sodium.h>

#include "check_la.h"
#include "la_int.h"

/* Lucia v2 output for "hunter22". */
#define V2_HUNTER22                                                                                \
	"s2:du22a90aa971y1w0:17a5e26d852282ed7b0fb0ed2091e02f19f8c762ae94528d34be778417236e67"     \
	"e46e46fe96882365c7df77626977a17b89a3a776389e2ff7e07f8525beb141d5"
/* lucia-semantics.md 2.3: "hunter2", salt abcdefghij012345, r = 16 and r = 8. */
#define S2_HUNTER2                                                                                 \
	"s2:abcdefghij012345:e482ec45482af47929d9daa27c896d36df301f4b62c93169099d89a9ab8aa0ba"     \
	"05700d887b95008873713ee6327d6ca68f25728b96ccf731e99da72ae35c60a2"
#define V1_HUNTER2                                                                                 \
	"abcdefghij012345:830edfdfaf7d894ba16486de61b562eccd9ade87cc5f56de3289e5e5e02f92d6"        \
	"f98ca872e4e780bdc6daa1437e6e39056053a0426e242d1e279267a41f9014ed"

/* U+FB01 LATIN SMALL LIGATURE FI: NFKC "fi". */
#define FI "\xef\xac\x81"
/* U+FF21 FULLWIDTH LATIN CAPITAL LETTER A: NFKC "A". */
#define FW_A "\xef\xbc\xa1"

#define MEM 64ul
#define OPS 1ul

/* Verify and return rc; needs_rehash goes to *nr (starts true to catch a
 * function that forgets to set it). */
static la_rc verify(const char *pw, const char *hash, bool *nr)
{
	bool dummy = true;

	if (!nr)
		nr = &dummy;
	*nr = true;
	return la_verify_password(pw, hash, MEM, OPS, nr);
}

static void hash_ok(const char *pw, char out[LA_HASH_MAX])
{
	la_rc rc = la_hash_password(pw, MEM, OPS, out);

	ck_assert_msg(rc == LA_OK, "hash: %s", la_strerror(rc));
}

/* ---- Lucia scrypt --------------------------------------------------- */

START_TEST(test_hash_lucia_v2_real_vector)
{
	bool nr = false;

	ck_assert_int_eq(verify("hunter22", V2_HUNTER22, &nr), LA_OK);
	ck_assert(nr);
	ck_assert_int_eq(verify("hunter2", V2_HUNTER22, &nr), LA_E_AUTH);
	ck_assert(!nr);
	ck_assert_int_eq(verify("hunter222", V2_HUNTER22, NULL), LA_E_AUTH);
	ck_assert_int_eq(verify("Hunter22", V2_HUNTER22, NULL), LA_E_AUTH);
	ck_assert_int_eq(verify("", V2_HUNTER22, NULL), LA_E_AUTH);
	ck_assert_int_eq(verify(NULL, V2_HUNTER22, NULL), LA_E_AUTH);
}
END_TEST

START_TEST(test_hash_lucia_semantics_vectors)
{
	bool nr = false;

	ck_assert_int_eq(verify("hunter2", S2_HUNTER2, &nr), LA_OK);
	ck_assert(nr);
	nr = false;
	ck_assert_int_eq(verify("hunter2", V1_HUNTER2, &nr), LA_OK);
	ck_assert(nr);
	ck_assert_int_eq(verify("hunter22", V1_HUNTER2, NULL), LA_E_AUTH);
	/* The r parameter belongs to the format: swapping keys must fail. */
	ck_assert_int_eq(verify("hunter2", "s2:" V1_HUNTER2, NULL), LA_E_AUTH);
	ck_assert_int_eq(verify("hunter2", &S2_HUNTER2[3], NULL), LA_E_AUTH);
}
END_TEST

START_TEST(test_hash_lucia_tampered)
{
	char h[LA_HASH_MAX];
	size_t n;

	/* One hex digit flipped (first and last digit of the key). */
	snprintf(h, sizeof(h), "%s", S2_HUNTER2);
	n = strlen(h);
	h[n - 1] = h[n - 1] == '2' ? '3' : '2';
	ck_assert_int_eq(verify("hunter2", h, NULL), LA_E_AUTH);
	snprintf(h, sizeof(h), "%s", V1_HUNTER2);
	h[strlen("abcdefghij012345:")] = '9'; /* was '8' */
	ck_assert_int_eq(verify("hunter2", h, NULL), LA_E_AUTH);
	/* Salt changed. */
	snprintf(h, sizeof(h), "%s", S2_HUNTER2);
	h[3] = 'A';
	ck_assert_int_eq(verify("hunter2", h, NULL), LA_E_AUTH);
	/* Upper-case hex is the same key. */
	snprintf(h, sizeof(h), "%s", S2_HUNTER2);
	for (char *p = h + strlen("s2:abcdefghij012345:"); *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	ck_assert_int_eq(verify("hunter2", h, NULL), LA_OK);
}
END_TEST

START_TEST(test_hash_lucia_malformed)
{
	char h[LA_HASH_MAX];

	/* 127 and 129 hex digits, 126, and a trailing newline. */
	snprintf(h, sizeof(h), "%.*s", (int)strlen(S2_HUNTER2) - 1, S2_HUNTER2);
	ck_assert_int_eq(verify("hunter2", h, NULL), LA_E_AUTH);
	snprintf(h, sizeof(h), "%s0", S2_HUNTER2);
	ck_assert_int_eq(verify("hunter2", h, NULL), LA_E_AUTH);
	snprintf(h, sizeof(h), "%.*s", (int)strlen(S2_HUNTER2) - 2, S2_HUNTER2);
	ck_assert_int_eq(verify("hunter2", h, NULL), LA_E_AUTH);
	snprintf(h, sizeof(h), "%s\n", S2_HUNTER2);
	ck_assert_int_eq(verify("hunter2", h, NULL), LA_E_AUTH);
	/* Non-hex digit in place of a hex one. */
	snprintf(h, sizeof(h), "%s", S2_HUNTER2);
	h[strlen(h) - 5] = 'g';
	ck_assert_int_eq(verify("hunter2", h, NULL), LA_E_AUTH);
	/* Wrong prefix, too many parts, empty key. */
	snprintf(h, sizeof(h), "s3%s", &S2_HUNTER2[2]);
	ck_assert_int_eq(verify("hunter2", h, NULL), LA_E_AUTH);
	snprintf(h, sizeof(h), "x:%s", S2_HUNTER2);
	ck_assert_int_eq(verify("hunter2", h, NULL), LA_E_AUTH);
	ck_assert_int_eq(verify("hunter2", "s2:abcdefghij012345:", NULL), LA_E_AUTH);
	ck_assert_int_eq(verify("hunter2", "abcdefghij012345:", NULL), LA_E_AUTH);
}
END_TEST

/* ---- Argon2id ------------------------------------------------------- */

START_TEST(test_hash_argon2id_roundtrip)
{
	char h[LA_HASH_MAX], h2[LA_HASH_MAX];
	bool nr = true;

	hash_ok("correct horse", h);
	ck_assert_msg(strncmp(h, "$argon2id$v=19$m=64,t=1,p=1$", 28) == 0, "%s", h);
	ck_assert_int_eq(la_verify_password("correct horse", h, MEM, OPS, &nr), LA_OK);
	ck_assert(!nr);
	ck_assert_int_eq(la_verify_password("correct horse", h, 128, OPS, &nr), LA_OK);
	ck_assert(nr);
	nr = false;
	ck_assert_int_eq(la_verify_password("correct horse", h, MEM, 2, &nr), LA_OK);
	ck_assert(nr);
	ck_assert_int_eq(verify("correct horsE", h, &nr), LA_E_AUTH);
	ck_assert(!nr);
	ck_assert_int_eq(verify("correct horse ", h, NULL), LA_E_AUTH);
	ck_assert_int_eq(verify("", h, NULL), LA_E_AUTH);
	/* Random salt: the same password never gives the same string. */
	hash_ok("correct horse", h2);
	ck_assert_str_ne(h, h2);
	/* Needs-rehash with a NULL out pointer is allowed. */
	ck_assert_int_eq(la_verify_password("correct horse", h, MEM, OPS, NULL), LA_OK);
}
END_TEST

START_TEST(test_hash_argon2id_cost_limits)
{
	char h[LA_HASH_MAX];

	memset(h, 'x', sizeof(h));
	ck_assert_int_eq(la_hash_password("pw", 7, 1, h), LA_E_INVAL);
	ck_assert_str_eq(h, "");
	ck_assert_int_eq(la_hash_password("pw", 0, 1, h), LA_E_INVAL);
	ck_assert_int_eq(la_hash_password("pw", 64, 0, h), LA_E_INVAL);
	ck_assert_int_eq(la_hash_password("pw", (unsigned long)-1, 1, h), LA_E_INVAL);
	ck_assert_int_eq(la_hash_password(NULL, 64, 1, h), LA_E_INVAL);
	/* The libsodium minimum itself is accepted. */
	ck_assert_int_eq(la_hash_password("pw", 8, 1, h), LA_OK);
	ck_assert_int_eq(verify("pw", h, NULL), LA_OK);
}
END_TEST

START_TEST(test_hash_argon2id_tampered)
{
	char h[LA_HASH_MAX];
	size_t n;

	hash_ok("secret", h);
	n = strlen(h);
	h[n - 1] = h[n - 1] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(verify("secret", h, NULL), LA_E_AUTH);
	ck_assert_int_eq(verify("secret", "$argon2id$", NULL), LA_E_AUTH);
	ck_assert_int_eq(verify("secret", "$argon2id$v=19$m=64,t=1,p=1$", NULL), LA_E_AUTH);
	/* Other Argon2 variants are not ours and crypt(3) does not know them. */
	hash_ok("secret", h);
	memmove(h + 8, h + 9, strlen(h + 9) + 1); /* "$argon2i$..." */
	ck_assert_int_eq(verify("secret", h, NULL), LA_E_AUTH);
}
END_TEST

/* ---- NFKC ----------------------------------------------------------- */

START_TEST(test_hash_nfkc_ligature)
{
	char h[LA_HASH_MAX];

	hash_ok(FI "ne", h);
	ck_assert_int_eq(verify("fine", h, NULL), LA_OK);
	ck_assert_int_eq(verify(FI "ne", h, NULL), LA_OK);
	ck_assert_int_eq(verify("f ine", h, NULL), LA_E_AUTH);
	hash_ok("fine", h);
	ck_assert_int_eq(verify(FI "ne", h, NULL), LA_OK);
}
END_TEST

START_TEST(test_hash_nfkc_composition)
{
	char h[LA_HASH_MAX];

	hash_ok("caf\xc3\xa9", h);				  /* precomposed U+00E9 */
	ck_assert_int_eq(verify("cafe\xcc\x81", h, NULL), LA_OK); /* e + U+0301 */
	ck_assert_int_eq(verify("cafe", h, NULL), LA_E_AUTH);
	hash_ok("cafe\xcc\x81", h);
	ck_assert_int_eq(verify("caf\xc3\xa9", h, NULL), LA_OK);
	/* Fullwidth letters are compatibility equivalents. */
	hash_ok("\xef\xbc\xa1\xef\xbd\x82\xef\xbd\x83", h); /* U+FF21 U+FF42 U+FF43 */
	ck_assert_int_eq(verify("Abc", h, NULL), LA_OK);
}
END_TEST

START_TEST(test_hash_nfkc_scrypt)
{
	/* Lucia normalised before scrypt: an s2 hash of "fi" verifies "ﬁ". */
	uint8_t key[64];
	char hex[129], h[LA_HASH_MAX];

	ck_assert_int_eq(crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)"fi", 2,
							       (const uint8_t *)"saltsaltsaltsalt",
							       16, 16384, 16, 1, key, 64),
			 0);
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	snprintf(h, sizeof(h), "s2:saltsaltsaltsalt:%s", hex);
	ck_assert_int_eq(verify(FI, h, NULL), LA_OK);
	ck_assert_int_eq(verify("fi", h, NULL), LA_OK);
	ck_assert_int_eq(verify("f", h, NULL), LA_E_AUTH);
}
END_TEST

START_TEST(test_hash_nfkc_invalid_utf8)
{
	static const char *const bad[] = {
	    "\xff\xfe", "ab\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
	};
	char h[LA_HASH_MAX], good[LA_HASH_MAX];
	char sentinel = 0;
	char *out = &sentinel;
	size_t len = 99;

	hash_ok("x", good);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(la_hash_password(bad[i], MEM, OPS, h), LA_E_POLICY);
		ck_assert_str_eq(h, "");
		ck_assert_int_eq(store_nfkc(bad[i], &out, &len), LA_E_POLICY);
		ck_assert_ptr_null(out);
		ck_assert_uint_eq(len, 0);
		/* A wrong password, not an error, when verifying. */
		ck_assert_int_eq(verify(bad[i], good, NULL), LA_E_AUTH);
		ck_assert_int_eq(verify(bad[i], S2_HUNTER2, NULL), LA_E_AUTH);
	}
}
END_TEST

START_TEST(test_hash_nfkc_buffer)
{
	char *out = NULL;
	size_t len = 99;
	/* U+FDFA expands to 18 characters (33 bytes): past the preallocated
	 * guarded buffer, so libunistring's own result is copied. */
	char big[64 * 3 + 1] = "";

	ck_assert_int_eq(store_nfkc(FW_A "b" FI, &out, &len), LA_OK);
	ck_assert_str_eq(out, "Abfi");
	ck_assert_uint_eq(len, 4);
	sodium_free(out);
	ck_assert_int_eq(store_nfkc("", &out, &len), LA_OK);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(len, 0);
	sodium_free(out);
	for (int i = 0; i < 64; i++)
		strcat(big, "\xef\xb7\xba");
	ck_assert_int_eq(store_nfkc(big, &out, &len), LA_OK);
	ck_assert_uint_eq(len, 64 * 33);
	ck_assert_uint_eq(strlen(out), len);
	sodium_free(out);
	ck_assert_int_eq(store_nfkc(NULL, &out, &len), LA_E_INVAL);
}
END_TEST

/* ---- crypt(3) ------------------------------------------------------- */

static void crypt_hash(const char *prefix, unsigned long count, const char *pw, char *out,
		       size_t outlen)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *h;

	ck_assert_ptr_nonnull(cd);
	ck_assert_ptr_nonnull(crypt_gensalt_rn(prefix, count, NULL, 0, setting, sizeof(setting)));
	h = crypt_rn(pw, setting, cd, (int)sizeof(*cd));
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_lt(strlen(h), outlen);
	snprintf(out, outlen, "%s", h);
	free(cd);
}

START_TEST(test_hash_crypt_formats)
{
	static const struct {
		const char *prefix;
		unsigned long count;
	} fmt[] = {{"$y$", 1}, {"$6$", 1000}, {"$5$", 1000}, {"$2b$", 4}};
	char h[LA_HASH_MAX], bang[LA_HASH_MAX + 1];
	bool nr = false;

	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		crypt_hash(fmt[i].prefix, fmt[i].count, "Tr0ub4dor&3", h, sizeof(h));
		ck_assert_msg(strncmp(h, fmt[i].prefix, strlen(fmt[i].prefix)) == 0, "%s", h);
		nr = false;
		ck_assert_msg(verify("Tr0ub4dor&3", h, &nr) == LA_OK, "%s", fmt[i].prefix);
		ck_assert_msg(nr, "%s must be rehashed", fmt[i].prefix);
		ck_assert_int_eq(verify("Tr0ub4dor&4", h, &nr), LA_E_AUTH);
		ck_assert(!nr);
		ck_assert_int_eq(verify("", h, NULL), LA_E_AUTH);
		/* Locked ("!" prefix, usermod -L) never verifies. */
		snprintf(bang, sizeof(bang), "!%s", h);
		ck_assert_int_eq(verify("Tr0ub4dor&3", bang, NULL), LA_E_AUTH);
		/* A truncated hash is a different setting, not a prefix match. */
		h[strlen(h) - 1] = '\0';
		ck_assert_int_eq(verify("Tr0ub4dor&3", h, NULL), LA_E_AUTH);
	}
}
END_TEST

START_TEST(test_hash_crypt_bcrypt_variants)
{
	char h[LA_HASH_MAX];

	/* For ASCII passwords $2a$ (Lucia beta), $2y$ and $2b$ agree. */
	crypt_hash("$2b$", 4, "hunter2", h, sizeof(h));
	h[2] = 'y';
	ck_assert_int_eq(verify("hunter2", h, NULL), LA_OK);
	ck_assert_int_eq(verify("hunter3", h, NULL), LA_E_AUTH);
	h[2] = 'a';
	ck_assert_int_eq(verify("hunter2", h, NULL), LA_OK);
	ck_assert_int_eq(verify("hunter3", h, NULL), LA_E_AUTH);
}
END_TEST

START_TEST(test_hash_crypt_raw_password)
{
	char h[LA_HASH_MAX];

	/* Imported Unix hashes were made from the raw bytes: no NFKC. */
	crypt_hash("$6$", 1000, FI, h, sizeof(h));
	ck_assert_int_eq(verify(FI, h, NULL), LA_OK);
	ck_assert_int_eq(verify("fi", h, NULL), LA_E_AUTH);
	crypt_hash("$6$", 1000, "fi", h, sizeof(h));
	ck_assert_int_eq(verify(FI, h, NULL), LA_E_AUTH);
	/* Raw bytes that are not UTF-8 still go to crypt(3) unchanged. */
	crypt_hash("$6$", 1000, "\xff\xfe", h, sizeof(h));
	ck_assert_int_eq(verify("\xff\xfe", h, NULL), LA_OK);
}
END_TEST

START_TEST(test_hash_unusable)
{
	static const char *const bad[] = {
	    "",
	    "*",
	    "!",
	    "!!",
	    "*LK*",
	    "x",
	    "hunter2",
	    "$",
	    "$6$",
	    "$9$abc$def",
	    "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA",
	    "::",
	    "s2:a:b:c",
	};
	char h[4 * LA_HASH_MAX];
	bool nr = true;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(verify("hunter2", bad[i], &nr) == LA_E_AUTH, "'%s'", bad[i]);
		ck_assert(!nr);
		ck_assert_int_eq(verify("", bad[i], NULL), LA_E_AUTH);
	}
	ck_assert_int_eq(verify("hunter2", NULL, &nr), LA_E_AUTH);
	ck_assert(!nr);
	/* "*" and "" never verify, whatever the password. */
	ck_assert_int_eq(verify("*", "*", NULL), LA_E_AUTH);
	ck_assert_int_eq(verify("", "", NULL), LA_E_AUTH);
	/* A hash longer than any we store is refused before any work. */
	memset(h, 'a', sizeof(h) - 1);
	h[sizeof(h) - 1] = '\0';
	memcpy(h, "$6$", 3);
	ck_assert_int_eq(verify("hunter2", h, NULL), LA_E_AUTH);
}
END_TEST

/* ---- store wrappers ------------------------------------------------- */

START_TEST(test_hash_store_wrappers)
{
	char h[LA_HASH_MAX];
	bool nr = true;

	ck_assert_int_eq(store_hash(fx.st, "open sesame", h), LA_OK);
	ck_assert_msg(strncmp(h, "$argon2id$v=19$m=64,t=1,p=1$", 28) == 0, "%s", h);
	ck_assert_int_eq(store_verify(fx.st, "open sesame", h, &nr), LA_OK);
	ck_assert(!nr);
	ck_assert_int_eq(store_verify(fx.st, "open sesamE", h, &nr), LA_E_AUTH);
	ck_assert_str_eq(la_store_errmsg(fx.st), "password does not match");
	ck_assert_int_eq(store_verify(fx.st, "open sesame", "!", &nr), LA_E_AUTH);
	ck_assert_ptr_null(strstr(la_store_errmsg(fx.st), "sesame"));
	ck_assert_int_ne(la_store_errmsg(fx.st)[0], '\0');
	ck_assert_int_eq(store_verify(fx.st, "hunter22", V2_HUNTER22, &nr), LA_OK);
	ck_assert(nr);
	ck_assert_int_eq(store_hash(fx.st, "\xff", h), LA_E_POLICY);
	ck_assert_ptr_null(strstr(la_store_errmsg(fx.st), "\xff"));
	fx.st->cfg.hash_mem_kib = 1;
	ck_assert_int_eq(store_hash(fx.st, "open sesame", h), LA_E_INVAL);
	ck_assert_ptr_nonnull(strstr(la_store_errmsg(fx.st), "hash_mem_kib"));
	/* A store with other cost asks for a rehash of the old cost. */
	fx.st->cfg.hash_mem_kib = 128;
	ck_assert_int_eq(store_hash(fx.st, "open sesame", h), LA_OK);
	fx.st->cfg.hash_mem_kib = 64;
	ck_assert_int_eq(store_verify(fx.st, "open sesame", h, &nr), LA_OK);
	ck_assert(nr);
}
END_TEST

START_TEST(test_hash_dummy)
{
	char first[LA_HASH_MAX];

	ck_assert_str_eq(fx.st->dummy_hash, "");
	store_verify_dummy(fx.st, "whatever");
	ck_assert_msg(strncmp(fx.st->dummy_hash, "$argon2id$v=19$m=64,t=1,p=1$", 28) == 0, "%s",
		      fx.st->dummy_hash);
	snprintf(first, sizeof(first), "%s", fx.st->dummy_hash);
	/* Created once per handle, then reused. */
	store_verify_dummy(fx.st, "");
	store_verify_dummy(fx.st, NULL);
	store_verify_dummy(fx.st, "\xff\xfe");
	ck_assert_str_eq(fx.st->dummy_hash, first);
	/* Nobody knows its password: common guesses fail. */
	ck_assert_int_eq(verify("", first, NULL), LA_E_AUTH);
	ck_assert_int_eq(verify("whatever", first, NULL), LA_E_AUTH);
	store_verify_dummy(NULL, "x"); /* harmless */
}
END_TEST

/* ---- policy --------------------------------------------------------- */

/* Expect LA_E_POLICY with exactly msg, and never the password in errmsg. */
static void refused(const char *user, const char *pw, const char *old, const char *msg)
{
	la_rc rc = la_password_policy(fx.st, user, pw, old);
	const char *em = la_store_errmsg(fx.st);

	ck_assert_msg(rc == LA_E_POLICY, "rc %s for '%s'", la_strerror(rc), pw);
	ck_assert_str_eq(em, msg);
	if (*pw)
		ck_assert_ptr_null(strstr(em, pw));
}

static char *repeat(const char *unit, size_t n)
{
	size_t ul = strlen(unit);
	char *s = malloc(ul * n + 1);

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * ul, unit, ul);
	s[ul * n] = '\0';
	return s;
}

START_TEST(test_hash_policy_length)
{
	char *s;

	refused("alice", "sevench", NULL, "password is too short (minimum 8 characters)");
	refused("alice", "", NULL, "password is too short (minimum 8 characters)");
	ck_assert_int_eq(la_password_policy(fx.st, "alice", "eightchr", NULL), LA_OK);
	/* Characters, not bytes: 7 two-byte characters are still too short... */
	refused("alice", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", NULL,
		"password is too short (minimum 8 characters)");
	/* ...counted after NFKC: 4 ligatures are 8 characters. */
	ck_assert_int_eq(la_password_policy(fx.st, "alice", FI FI FI FI, NULL), LA_OK);
	s = repeat("\xc3\xa9", 256);
	ck_assert_int_eq(la_password_policy(fx.st, "alice", s, NULL), LA_OK);
	free(s);
	s = repeat("a", 257);
	refused("alice", s, NULL, "password is too long (maximum 256 characters)");
	free(s);
	s = repeat("\xf0\x9f\x94\x91", 257); /* 4-byte characters */
	refused("alice", s, NULL, "password is too long (maximum 256 characters)");
	free(s);
	s = repeat("x", 10 * 1024);
	refused("alice", s, NULL, "password is too long (maximum 256 characters)");
	free(s);
	fx.st->cfg.password_min = 12;
	refused("alice", "elevenchars", NULL, "password is too short (minimum 12 characters)");
}
END_TEST

START_TEST(test_hash_policy_content)
{
	refused("alice", "bad\x01password", NULL, "password contains control characters");
	refused("alice", "tab\tpassword", NULL, "password contains control characters");
	refused("alice", "newline-pw\n", NULL, "password contains control characters");
	refused("alice", "delete\x7fpw", NULL, "password contains control characters");
	refused("alice", "c1-\xc2\x85-nextline", NULL, "password contains control characters");
	refused("alice", "long enough \xff\xfe", NULL, "password is not valid UTF-8");
	refused("longusername", "longusername", NULL, "password must not be the user name");
	refused("alice", "correct horse", "correct horse",
		"new password must differ from the old one");
	/* Equality is judged after NFKC on both sides. */
	refused("alice", FI "ne-tuned", "fine-tuned", "new password must differ from the old one");
	refused("financial", FI "nancial", NULL, "password must not be the user name");
	ck_assert_int_eq(la_password_policy(fx.st, "alice", "correct horse", "correct horsE"),
			 LA_OK);
	ck_assert_int_eq(la_password_policy(fx.st, "alice", "correct horse", "\xff\xfe"), LA_OK);
	ck_assert_int_eq(la_password_policy(fx.st, NULL, "correct horse", NULL), LA_OK);
	/* Whitespace and non-ASCII are fine. */
	ck_assert_int_eq(la_password_policy(fx.st, "alice", "  gr\xc3\xbc\xc3\x9f Gott  ", NULL),
			 LA_OK);
	ck_assert_int_eq(la_password_policy(fx.st, "alice", NULL, NULL), LA_E_INVAL);
}
END_TEST

Suite *suite_hash(void)
{
	Suite *s = suite_create("hash");
	TCase *tc = tcase_create("core");

	/* scrypt with Lucia's r = 16 costs 32 MiB per verify: slow under ASan. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_hash_lucia_v2_real_vector);
	tcase_add_test(tc, test_hash_lucia_semantics_vectors);
	tcase_add_test(tc, test_hash_lucia_tampered);
	tcase_add_test(tc, test_hash_argon2id_roundtrip);
	tcase_add_test(tc, test_hash_nfkc_ligature);
	tcase_add_test(tc, test_hash_nfkc_composition);
	tcase_add_test(tc, test_hash_nfkc_scrypt);
	tcase_add_test(tc, test_hash_crypt_formats);
	tcase_add_test(tc, test_hash_crypt_bcrypt_variants);
	tcase_add_test(tc, test_hash_crypt_raw_password);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_hash_lucia_malformed);
	tcase_add_test(tc, test_hash_argon2id_cost_limits);
	tcase_add_test(tc, test_hash_argon2id_tampered);
	tcase_add_test(tc, test_hash_nfkc_invalid_utf8);
	tcase_add_test(tc, test_hash_nfkc_buffer);
	tcase_add_test(tc, test_hash_unusable);
	suite_add_tcase(s, tc);

	tc = tcase_create("store");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_add_test(tc, test_hash_store_wrappers);
	tcase_add_test(tc, test_hash_dummy);
	tcase_add_test(tc, test_hash_policy_length);
	tcase_add_test(tc, test_hash_policy_content);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * fuzz_hash.c - stored password hashes: "PASSWORD\nHASH".  The pure
 * classifier store_hash_parse() (PHC $argon2id$, Lucia "s2:" and legacy
 * scrypt, crypt(3) "$id$"), then la_verify_password() whenever the hash's
 * own cost parameters are cheap: the target looks for bugs in our parsing
 * and handling, not for slow inputs (a stored hash is written by root).
 */
#include "config.h"

#include <stdio.h>

#include "fuzz.h"
#include "la_int.h"

/* Would verifying hash take more than a few milliseconds? */
static int too_costly(const char *hash, enum store_hash_kind kind)
{
	static const char *const slow[] = {"$y$", "$gy$", "$7$", "$sha1$", "$md5"};
	unsigned long m = 0, t = 0, p = 0;
	unsigned cost = 0;

	if (kind == HASH_ARGON2ID)
		return sscanf(hash, "$argon2id$v=19$m=%lu,t=%lu,p=%lu$", &m, &t, &p) != 3 ||
		       m > 256 || t > 3 || p > 2;
	if (kind != HASH_CRYPT)
		return 0; /* Lucia scrypt has fixed parameters */
	if (strstr(hash, "rounds="))
		return 1;
	for (size_t i = 0; i < sizeof(slow) / sizeof(slow[0]); i++)
		if (strncmp(hash, slow[i], strlen(slow[i])) == 0)
			return 1;
	if (hash[1] == '2' && sscanf(hash + 3, "%*1[aby]$%2u", &cost) == 1)
		return cost > 5;
	return hash[1] == '2';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fz_cstr(data, size), *nl, *hash;
	struct store_lucia_hash lh = {NULL, 0, NULL, 0};
	enum store_hash_kind kind;
	bool rehash = true;
	la_rc rc;

	if (!s)
		return 0;
	nl = strchr(s, '\n');
	hash = nl ? nl + 1 : s;
	if (nl)
		*nl = '\0';
	kind = store_hash_parse(hash, &lh);
	if (kind == HASH_SCRYPT) {
		size_t len = strlen(hash);

		FZ_ASSERT(lh.r == 8 || lh.r == 16);
		FZ_ASSERT(lh.salt >= hash && lh.salt + lh.salt_len <= hash + len);
		FZ_ASSERT(lh.hex > hash && lh.hex <= hash + len);
	}
	if (!too_costly(hash, kind)) {
		rc = la_verify_password(nl ? s : "fuzz", hash, 64, 1, &rehash);
		FZ_ASSERT(rc == LA_OK || rc == LA_E_AUTH || rc == LA_E_NOMEM || rc == LA_E_CRYPTO);
		FZ_ASSERT(rc == LA_OK || !rehash);
		FZ_ASSERT(kind != HASH_BAD || rc == LA_E_AUTH);
	}
	free(s);
	return 0;
}

/*
 * fuzz_import_hash.c - store_hash_importable(), the gate every imported
 * password hash passes (shadow's password field, Lucia's
 * hashed_password): a NUL-terminated string of any bytes.  It must not
 * read past the NUL (ASan: the string is an exact-sized heap copy), and
 * what it accepts must be a hash the library can verify: the classifier
 * store_hash_parse() must not call it HASH_BAD, and a crypt(3) string it
 * accepts must be accepted by crypt_checksalt() too, and an Argon2id
 * string it accepts must be one libsodium can decode (needs_rehash says
 * -1 for a string it cannot parse) - else an import would store a
 * credential nobody can ever sign in with, without a word.
 */
#include "config.h"

#include <crypt.h>

#include <sodium.h>

#include "fuzz.h"
#include "la_import.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return sodium_init() < 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fz_cstr(data, size);
	struct store_lucia_hash lh = {NULL, 0, NULL, 0};
	size_t len;

	if (!s)
		return 0;
	len = strlen(s);
	if (store_hash_importable(s)) {
		int cs = crypt_checksalt(s);

		FZ_ASSERT(len > 0 && len < LA_HASH_MAX);
		FZ_ASSERT(store_hash_parse(s, &lh) != HASH_BAD);
		FZ_ASSERT(s[0] != '$' || strncmp(s, "$argon2id$", 10) == 0 || cs == CRYPT_SALT_OK ||
			  cs == CRYPT_SALT_METHOD_LEGACY);
		FZ_ASSERT(strncmp(s, "$argon2id$", 10) != 0 ||
			  crypto_pwhash_str_needs_rehash(s, crypto_pwhash_OPSLIMIT_INTERACTIVE,
							 crypto_pwhash_MEMLIMIT_INTERACTIVE) != -1);
	}
	free(s);
	return 0;
}

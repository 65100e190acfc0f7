/*
 * fuzz_token.c - session tokens ("<id>.<secret>") and public session ids:
 * the pure parsers, then the token through la_session_get() on a real
 * store in a temporary directory (the path a web app's cookie takes).
 */
#include "config.h"

#include <ftw.h>
#include <stdio.h>
#include <unistd.h>

#include "fuzz.h"
#include "la_int.h"

static struct la_store *st;
static char tmpdir[] = "/tmp/la-fuzz-token-XXXXXX";

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	la_store_close(st);
	nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct la_config cfg;
	char path[LA_PATH_MAX];
	FILE *f;

	(void)argc, (void)argv;
	if (!mkdtemp(tmpdir))
		abort();
	la_config_defaults(&cfg);
	snprintf(cfg.dir, sizeof(cfg.dir), "%s/state", tmpdir);
	/* Empty account files: the host's accounts play no part. */
	snprintf(path, sizeof(path), "%s/passwd", tmpdir);
	if (!(f = fopen(path, "w")) || fclose(f) != 0)
		abort();
	snprintf(cfg.passwd_file, sizeof(cfg.passwd_file), "%s", path);
	snprintf(cfg.group_file, sizeof(cfg.group_file), "%s", path);
	if (la_store_open(&cfg, LA_OPEN_CREATE, &st) != LA_OK)
		abort();
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fz_cstr(data, size), enc[LA_SESSION_ID_LEN + 1];
	int64_t id = 0, id2 = 0;
	struct la_session sess;
	la_rc rc;

	if (!s)
		return 0;
	if (store_token_parse(s, &id)) {
		/* A well-formed token's id re-encodes to its first 12 letters. */
		store_session_id_encode(id, enc);
		FZ_ASSERT(memcmp(enc, s, LA_SESSION_ID_LEN) == 0);
		FZ_ASSERT(store_session_id_decode(enc, &id2) && id2 == id);
	}
	if (store_session_id_decode(s, &id)) {
		store_session_id_encode(id, enc);
		FZ_ASSERT(strcmp(enc, s) == 0);
	}
	/* No session exists: malformed is BADTOKEN, well-formed NOSESSION. */
	rc = la_session_get(st, s, &sess, NULL);
	FZ_ASSERT(rc == (store_token_parse(s, &id) ? LA_E_NOSESSION : LA_E_BADTOKEN));
	free(s);
	return 0;
}

/*
 * fuzz_import_line.c - one line of passwd(5), shadow(5) or group(5) as
 * "luciaauth import shadow" reads it: every input goes through all three
 * pure parsers (store_parse_passwd, _shadow, _group; no selector byte, a
 * line is whatever it parses as), the group's member list is walked with
 * store_group_member_next, and a shadow password field takes the path of
 * the importer's classify(): a leading '!' is the lock, the rest copied
 * into LA_HASH_MAX and checked by store_hash_importable.
 *
 * The parsers promise (la_import.h, la_import.c MUST 1-2) to read only
 * [line, line + len): the input is libFuzzer's own exact-sized buffer, so
 * ASan reports a read one byte past it.  The assertions check what the
 * importer relies on: fields are slices of the line, in order, without
 * ':' or control bytes; ids are below UINT32_MAX; members are non-empty
 * and without ','.
 */
#include "config.h"

#include "fuzz.h"
#include "la_import.h"

/* f lies inside [line, line + len), holds no ':' and no control byte. */
static void check_field(const struct la_field *f, const char *line, size_t len)
{
	FZ_ASSERT(f->p >= line && f->p + f->len <= line + len);
	for (size_t i = 0; i < f->len; i++) {
		unsigned char ch = (unsigned char)f->p[i];

		FZ_ASSERT(ch != ':' && ch >= 0x20 && ch != 0x7f);
	}
}

static void check_passwd(const char *line, size_t len)
{
	struct la_pw_rec pw;
	const char *why = NULL;

	if (store_parse_passwd(line, len, &pw, &why) != LA_OK) {
		FZ_ASSERT(why != NULL);
		return;
	}
	check_field(&pw.name, line, len);
	check_field(&pw.gecos, line, len);
	check_field(&pw.home, line, len);
	check_field(&pw.shell, line, len);
	FZ_ASSERT(pw.name.p == line && pw.name.len > 0);
	FZ_ASSERT(pw.gecos.p < pw.home.p && pw.home.p < pw.shell.p);
	FZ_ASSERT(pw.shell.p + pw.shell.len == line + len);
	FZ_ASSERT(pw.uid != UINT32_MAX && pw.gid != UINT32_MAX);
}

/* The importer's reading of the password field (la_import_shadow.c). */
static void check_hash_field(const struct la_field *f)
{
	struct la_field h = *f;
	char hash[LA_HASH_MAX];

	if (h.len && h.p[0] == '!') {
		h.p++;
		h.len--;
	}
	if (h.len == 0 || h.p[0] == '*' || h.p[0] == '!')
		return;
	if (!store_field_copy(&h, hash, sizeof(hash))) {
		FZ_ASSERT(h.len >= sizeof(hash));
		return;
	}
	FZ_ASSERT(strlen(hash) == h.len);
	(void)store_hash_importable(hash);
}

static void check_shadow(const char *line, size_t len)
{
	struct la_sp_rec sp;
	const char *why = NULL;

	if (store_parse_shadow(line, len, &sp, &why) != LA_OK) {
		FZ_ASSERT(why != NULL);
		return;
	}
	check_field(&sp.name, line, len);
	check_field(&sp.hash, line, len);
	FZ_ASSERT(sp.name.p == line && sp.name.len > 0);
	FZ_ASSERT(sp.hash.p == line + sp.name.len + 1);
	FZ_ASSERT(sp.lastchg_days >= -1 && sp.lastchg_days <= 10000000);
	FZ_ASSERT(sp.expire_days >= -1 && sp.expire_days <= 10000000);
	check_hash_field(&sp.hash);
}

static void check_group(const char *line, size_t len)
{
	struct la_gr_rec gr;
	struct la_field m;
	const char *why = NULL;
	size_t pos = 0, n = 0, bytes = 0;

	if (store_parse_group(line, len, &gr, &why) != LA_OK) {
		FZ_ASSERT(why != NULL);
		return;
	}
	check_field(&gr.name, line, len);
	check_field(&gr.members, line, len);
	FZ_ASSERT(gr.name.p == line && gr.name.len > 0);
	FZ_ASSERT(gr.members.p + gr.members.len == line + len);
	FZ_ASSERT(gr.gid != UINT32_MAX);
	while (store_group_member_next(&gr.members, &pos, &m)) {
		check_field(&m, gr.members.p, gr.members.len);
		FZ_ASSERT(m.len > 0 && !memchr(m.p, ',', m.len));
		n++;
		bytes += m.len;
		/* Each call consumes at least one byte: the walk ends. */
		FZ_ASSERT(n <= gr.members.len && bytes + n - 1 <= gr.members.len);
	}
	/* Once at the end, it stays there. */
	FZ_ASSERT(!store_group_member_next(&gr.members, &pos, &m));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;

	check_passwd(line, size);
	check_shadow(line, size);
	check_group(line, size);
	return 0;
}

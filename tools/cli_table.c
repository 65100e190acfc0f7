/*
 * cli_table.c - aligned tables and the output of list commands.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ---- tables --------------------------------------------------------- */

struct cli_table {
	size_t n_cols, n_rows, cap;
	char **cells; /* n_rows * n_cols */
};

struct cli_table *cli_table_new(size_t n_cols)
{
	struct cli_table *t = calloc(1, sizeof(*t));

	if (t)
		t->n_cols = n_cols;
	return t;
}

bool cli_table_row(struct cli_table *t, const char *const *cells)
{
	char **grown;
	size_t base;

	if (!t)
		return false;
	if (t->n_rows == t->cap) {
		grown = reallocarray(t->cells, (t->cap ? t->cap * 2 : 16) * t->n_cols,
				     sizeof(*grown));
		if (!grown)
			return false;
		t->cells = grown;
		t->cap = t->cap ? t->cap * 2 : 16;
	}
	base = t->n_rows * t->n_cols;
	for (size_t i = 0; i < t->n_cols; i++) {
		t->cells[base + i] = strdup(cells[i] && cells[i][0] ? cells[i] : "-");
		if (!t->cells[base + i]) {
			while (i-- > 0)
				free(t->cells[base + i]);
			return false;
		}
	}
	t->n_rows++;
	return true;
}

/* Display width of UTF-8 text, counting code points (good enough for the
 * names, addresses and paths shown here). */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

void cli_table_print(const struct cli_table *t)
{
	size_t width[16] = { 0 };
	size_t n_cols = t->n_cols < 16 ? t->n_cols : 16;
	const char *cell;

	for (size_t r = 0; r < t->n_rows; r++)
		for (size_t i = 0; i < n_cols; i++) {
			size_t w = text_width(t->cells[r * t->n_cols + i]);
			if (w > width[i])
				width[i] = w;
		}
	for (size_t r = 0; r < t->n_rows; r++) {
		for (size_t i = 0; i < n_cols; i++) {
			cell = t->cells[r * t->n_cols + i];
			fputs(cell, stdout);
			if (i + 1 < n_cols)
				printf("%*s", (int)(width[i] - text_width(cell) + 2), "");
		}
		putchar('\n');
	}
}

void cli_table_free(struct cli_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

/* ---- list commands -------------------------------------------------- */

bool cli_list_init(struct cli_ctx *c, struct cli_list *l, size_t n_cols, const char *const *head)
{
	*l = (struct cli_list){ .t = NULL };
	if (c->json)
		l->arr = json_object_new_array();
	else if ((l->t = cli_table_new(n_cols)) != NULL)
		l->failed = !cli_table_row(l->t, head);
	return l->arr || l->t;
}

int cli_list_add(struct cli_list *l, json_object *o, const char *const *cells)
{
	if (!l->arr) {
		json_object_put(o);
		if (!cli_table_row(l->t, cells))
			l->failed = true;
	} else if (!o || json_object_array_add(l->arr, o) != 0) {
		json_object_put(o);
		l->failed = true;
	}
	return l->failed;
}

int cli_list_finish(struct cli_ctx *c, struct cli_list *l, const struct la_store *st, la_rc rc,
		    const char *key, const char *subject)
{
	json_object *o = NULL;
	int r = CLI_OK;

	if (rc == LA_OK && l->failed)
		rc = LA_E_NOMEM;
	if (rc != LA_OK) {
		r = cli_fail(c, st, rc, subject);
	} else if (l->arr) {
		o = json_object_new_object();
		json_object_object_add(o, key, l->arr);
		l->arr = NULL;
		r = cli_json_emit(c, o, false);
	} else {
		cli_table_print(l->t);
	}
	json_object_put(l->arr);
	cli_table_free(l->t);
	return r;
}

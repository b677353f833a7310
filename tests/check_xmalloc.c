/*
 * Copyright (c) 2026 The creamasd developers
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * The tables of common/xmalloc.c that an environment keeps its agents in:
 * made zeroed, grown and shrunk keeping what they hold, and left as they
 * were when the memory cannot be had.
 */

#include <stdint.h>
#include <stdlib.h>

#include <check.h>

#include "xmalloc.h"

#define XT_SMALL	1024		/* members: the table's first size */
#define XT_LARGE	(8 * 1024 * 1024)	/* members: 64 MiB of them */

Suite	*suite_xmalloc(void);

/* Fail unless the first n members of a table are their own index. */
static void
xt_assert_indexes(const uint64_t *table, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (table[i] != i)
			ck_abort_msg("member %zu holds %llu", i,
			    (unsigned long long)table[i]);
	}
}

/*
 * A table starts zeroed, keeps its members as it grows to 64 MiB (its
 * new part zeroed) and as it shrinks back, and is freed.
 */
START_TEST(test_table_grow_shrink)
{
	uint64_t	*table;
	size_t		 i;

	table = xtable_resize(NULL, 0, XT_SMALL * sizeof *table);
	ck_assert_ptr_nonnull(table);
	for (i = 0; i < XT_SMALL; i++) {
		ck_assert_uint_eq(table[i], 0);
		table[i] = i;
	}
	table = xtable_resize(table, XT_SMALL * sizeof *table,
	    XT_LARGE * sizeof *table);
	ck_assert_ptr_nonnull(table);
	xt_assert_indexes(table, XT_SMALL);
	for (i = XT_SMALL; i < XT_LARGE; i++) {
		if (table[i] != 0)
			ck_abort_msg("new member %zu is not zero", i);
		table[i] = i;
	}
	table = xtable_resize(table, XT_LARGE * sizeof *table,
	    XT_SMALL * sizeof *table);
	ck_assert_ptr_nonnull(table);
	xt_assert_indexes(table, XT_SMALL);
	xtable_free(table, XT_SMALL * sizeof *table);
}
END_TEST

/* A size no memory can hold: NULL, and the table still as it was. */
START_TEST(test_table_too_large)
{
	uint64_t	*table;
	size_t		 i;

	table = xtable_resize(NULL, 0, XT_SMALL * sizeof *table);
	ck_assert_ptr_nonnull(table);
	for (i = 0; i < XT_SMALL; i++)
		table[i] = i;
	ck_assert_ptr_null(xtable_resize(table, XT_SMALL * sizeof *table,
	    SIZE_MAX / 2));
	xt_assert_indexes(table, XT_SMALL);
	xtable_free(table, XT_SMALL * sizeof *table);
}
END_TEST

/* Collect the table tests. */
Suite *
suite_xmalloc(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("xmalloc");
	tc = tcase_create("tables");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_table_grow_shrink);
	tcase_add_test(tc, test_table_too_large);
	suite_add_tcase(suite, tc);
	return (suite);
}

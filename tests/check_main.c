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
 * The test runner: every tests/check_NAME.c defines "Suite *suite_NAME(void)"
 * and the build lists them in suites.h. CK_RUN_SUITE=NAME runs one suite.
 */

#include <stdlib.h>

#include <check.h>

#define SUITE(name)	Suite *suite_##name(void);
#include "suites.h"
#undef SUITE

/* Run every suite and report Check's summary. */
int
main(void)
{
	SRunner	*runner;
	int	 failed;

	runner = srunner_create(NULL);
#define SUITE(name)	srunner_add_suite(runner, suite_##name());
#include "suites.h"
#undef SUITE
	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

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
 * Fuzz what a master reads of a slave's runs (common/idruns.c,
 * common/valueruns.c), as a hostile slave could send them: text the
 * scanner calls valid is read as runs of ids and as runs of values. What
 * is taken writes a list that is valid JSON, of the length counted,
 * within the cap; what is refused has a reason, leaves the runs as they
 * were and writes nothing.
 */

#include <string.h>

#include <event2/buffer.h>

#include "fuzz.h"
#include "idruns.h"
#include "jsonspan.h"
#include "valueruns.h"

#define FUZZ_DEPTH	32
#define FUZZ_MOST	(256 * 1024)	/* bytes a list may take */

/* Whether a buffer's elements, brackets added, are a valid JSON array. */
static int
fuzz_list_valid(struct evbuffer *list)
{
	const char	*text;

	evbuffer_prepend(list, "[", 1);
	evbuffer_add(list, "]", 1);
	text = (const char *)evbuffer_pullup(list, -1);
	return (jsonspan_valid(text, evbuffer_get_length(list), FUZZ_DEPTH));
}

/* Read the input as runs of ids; write them when they are taken. */
static void
fuzz_idruns(const char *text, size_t size)
{
	struct idruns		 runs;
	struct idruns_cursor	 cursor;
	struct evbuffer		*list = evbuffer_new();
	const char		*why;
	int			 rc;

	memset(&runs, 0, sizeof runs);
	memset(&cursor, 0, sizeof cursor);
	if (idruns_parse(&runs, text, size, FUZZ_MOST, &why) != 0) {
		FUZZ_CHECK(why != NULL && runs.nruns == 0 &&
		    runs.nprefixes == 0 && runs.bytes == 0 &&
		    runs.agents == 0, "refused without a reason, or runs "
		    "kept: %.*s", (int)size, text);
	} else {
		FUZZ_CHECK(runs.bytes <= FUZZ_MOST, "bytes %llu over the cap",
		    (unsigned long long)runs.bytes);
		while ((rc = idruns_write(list, &runs, &cursor, 1000)) == 1)
			continue;
		FUZZ_CHECK(rc == 0, "write failed");
		FUZZ_CHECK(evbuffer_get_length(list) + (runs.agents > 0) ==
		    runs.bytes, "wrote %zu for %llu bytes counted",
		    evbuffer_get_length(list),
		    (unsigned long long)runs.bytes);
		FUZZ_CHECK(fuzz_list_valid(list), "addresses not valid JSON");
	}
	idruns_free(&runs);
	evbuffer_free(list);
}

/* Read the input as runs of values; write them when they are taken. */
static void
fuzz_valueruns(const char *text, size_t size)
{
	struct evbuffer	*list = evbuffer_new();
	const char	*why;
	int		 written = 0;

	if (valueruns_expand(list, text, size, FUZZ_MOST, &written,
	    &why) != 0) {
		FUZZ_CHECK(why != NULL && evbuffer_get_length(list) == 0 &&
		    !written, "refused without a reason, or wrote");
	} else {
		FUZZ_CHECK(evbuffer_get_length(list) <= FUZZ_MOST,
		    "wrote %zu, over the cap", evbuffer_get_length(list));
		FUZZ_CHECK(fuzz_list_valid(list), "values not valid JSON");
	}
	evbuffer_free(list);
}

/* Check the input as both kinds of runs, when it is valid JSON. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*text = (const char *)data;

	if (!jsonspan_valid(text, size, FUZZ_DEPTH))
		return (0);
	fuzz_idruns(text, size);
	fuzz_valueruns(text, size);
	return (0);
}

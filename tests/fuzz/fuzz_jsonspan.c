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
 * Fuzz the JSON scanner (common/jsonspan.c) against json-c's strict
 * parser: whatever the scanner calls valid, json-c parses (the codec may
 * refuse more: NULs, numbers a field cannot hold); a result span it
 * finds is itself one valid value; walking an array gives spans that
 * are valid values and ends where the array does; in valid text, what
 * jsonspan_find() passes over to find a member is what the checking
 * jsonspan_member() finds.
 */

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "jsonspan.h"

#define FUZZ_DEPTH	32	/* well inside the codec's own limit */

/* Check the input as one value, as a reply and as an array. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*text = (const char *)data;
	struct json_tokener	*tokener;
	struct json_object	*value = NULL;
	static const char *const names[] = { "result", "results", "id" };
	size_t			 start, end, pos = 0, found_start, found_end;
	size_t			 i;
	int			 valid, rc;

	valid = jsonspan_valid(text, size, FUZZ_DEPTH);
	if (valid) {
		tokener = json_tokener_new_ex(JSONSPAN_MAX_DEPTH);
		json_tokener_set_flags(tokener, JSON_TOKENER_STRICT);
		value = json_tokener_parse_ex(tokener, text, (int)size);
		if (json_tokener_get_error(tokener) == json_tokener_continue)
			value = json_tokener_parse_ex(tokener, " ", 1);
		FUZZ_CHECK(json_tokener_get_error(tokener) ==
		    json_tokener_success, "valid to the scanner, not to "
		    "json-c: %.*s", (int)size, text);
		json_object_put(value);
		json_tokener_free(tokener);
	}
	if (jsonspan_result(text, size, &start, &end) == 0) {
		FUZZ_CHECK(start < end && end <= size, "span %zu..%zu of %zu",
		    start, end, size);
		FUZZ_CHECK(jsonspan_valid(text + start, end - start,
		    JSONSPAN_MAX_DEPTH), "result span not valid: %.*s",
		    (int)(end - start), text + start);
	}
	if (valid && size > 0) {
		while ((rc = jsonspan_next(text, size, &pos, &start,
		    &end)) == 1)
			FUZZ_CHECK(start < end && end <= size &&
			    jsonspan_valid(text + start, end - start,
			    FUZZ_DEPTH), "element %zu..%zu", start, end);
		FUZZ_CHECK(rc == -1 || pos <= size, "walk ended at %zu", pos);
	}
	for (i = 0; valid && i < sizeof names / sizeof names[0]; i++) {
		start = end = found_start = found_end = 0;
		rc = jsonspan_member(text, size, names[i], &start, &end);
		FUZZ_CHECK(jsonspan_find(text, size, names[i], &found_start,
		    &found_end) == rc && found_start == start &&
		    found_end == end, "%s found at %zu..%zu, not %zu..%zu",
		    names[i], found_start, found_end, start, end);
	}
	/* In any text, it stays within it. */
	if (jsonspan_find(text, size, "result", &found_start,
	    &found_end) == 0)
		FUZZ_CHECK(found_start <= found_end && found_end <= size,
		    "found %zu..%zu of %zu", found_start, found_end, size);
	return (0);
}

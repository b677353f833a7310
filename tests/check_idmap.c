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
 * Tests for common/idmap.c, checked against a plain array that holds the
 * same entries.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "idmap.h"
#include "xmalloc.h"

#define REFERENCE_MAX	4096
#define CLUSTER_SIZE	8

/*
 * Passing ck_assert calls each record a checkpoint (a write), far too
 * slow for the loops below; this one is silent until it fails.
 */
#define expect(condition) do {						\
	if (!(condition))						\
		ck_abort_msg("Assertion '%s' failed", #condition);	\
} while (0)

Suite	*suite_idmap(void);

/* The reference: an unsorted array of keys and values. */
struct reference {
	uint64_t	 keys[REFERENCE_MAX];
	void		*values[REFERENCE_MAX];
	size_t		 count;
};

/* Return the index of a key in the reference, or count. */
static size_t
reference_find(const struct reference *ref, uint64_t key)
{
	size_t	 i;

	for (i = 0; i < ref->count; i++) {
		if (ref->keys[i] == key)
			break;
	}
	return (i);
}

/* A small deterministic generator, so failures repeat. */
static uint64_t
next_random(uint64_t *state)
{
	uint64_t	 z;

	z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* Make a distinct non-NULL pointer for a number. */
static void *
value_for(uint64_t n)
{
	return ((void *)(uintptr_t)(n * 2 + 1));
}

/* Check the map holds exactly what the reference holds. */
static void
check_same(const struct idmap *map, const struct reference *ref)
{
	size_t	 i, used = 0;

	expect(map->count == ref->count);
	for (i = 0; i < ref->count; i++) {
		if (idmap_get(map, ref->keys[i]) != ref->values[i])
			ck_abort_msg("key %llu: got %p, want %p",
			    (unsigned long long)ref->keys[i],
			    idmap_get(map, ref->keys[i]), ref->values[i]);
	}
	for (i = 0; i < map->capacity; i++) {
		if (map->values[i] != NULL) {
			used++;
			expect(reference_find(ref, map->keys[i]) <
			    ref->count);
		}
	}
	expect(used == ref->count);
	if (map->capacity != 0) {
		expect((map->capacity & (map->capacity - 1)) == 0);
		expect(map->count < map->capacity);
	}
}

/* Check an empty map answers without a table. */
START_TEST(test_empty)
{
	struct idmap	 map;

	memset(&map, 0x5a, sizeof map);
	idmap_init(&map);
	ck_assert_uint_eq(map.count, 0);
	ck_assert_uint_eq(map.capacity, 0);
	ck_assert_ptr_null(idmap_get(&map, 0));
	ck_assert_ptr_null(idmap_get(&map, 1));
	ck_assert_ptr_null(idmap_remove(&map, 0));
	ck_assert_ptr_null(idmap_remove(&map, UINT64_MAX));
	idmap_clear(&map);
	ck_assert_ptr_null(idmap_get(&map, 0));
}
END_TEST

/* Check put, replace, get and remove on a few keys, including 0. */
START_TEST(test_basic)
{
	struct idmap	 map;
	int		 a, b, c;

	idmap_init(&map);
	idmap_put(&map, 0, &a);
	idmap_put(&map, UINT64_MAX, &b);
	idmap_put(&map, 42, &c);
	ck_assert_uint_eq(map.count, 3);
	ck_assert_ptr_eq(idmap_get(&map, 0), &a);
	ck_assert_ptr_eq(idmap_get(&map, UINT64_MAX), &b);
	ck_assert_ptr_eq(idmap_get(&map, 42), &c);
	ck_assert_ptr_null(idmap_get(&map, 43));

	idmap_put(&map, 42, &a);
	ck_assert_uint_eq(map.count, 3);
	ck_assert_ptr_eq(idmap_get(&map, 42), &a);

	ck_assert_ptr_eq(idmap_remove(&map, 0), &a);
	ck_assert_ptr_null(idmap_remove(&map, 0));
	ck_assert_ptr_null(idmap_get(&map, 0));
	ck_assert_uint_eq(map.count, 2);
	ck_assert_ptr_eq(idmap_get(&map, UINT64_MAX), &b);

	idmap_clear(&map);
	ck_assert_uint_eq(map.count, 0);
	ck_assert_ptr_null(idmap_get(&map, 42));
	idmap_put(&map, 42, &b);
	ck_assert_ptr_eq(idmap_get(&map, 42), &b);
	idmap_clear(&map);
}
END_TEST

/* Check many sequential ids through growth and removal of every other. */
START_TEST(test_many)
{
	struct idmap	 map;
	uint64_t	 i, n = 100000;

	idmap_init(&map);
	for (i = 1; i <= n; i++)
		idmap_put(&map, i, value_for(i));
	expect(map.count == n);
	for (i = 1; i <= n; i++)
		expect(idmap_get(&map, i) == value_for(i));
	for (i = 1; i <= n; i += 2)
		expect(idmap_remove(&map, i) == value_for(i));
	expect(map.count == n / 2);
	for (i = 1; i <= n; i++) {
		if (i % 2)
			expect(idmap_get(&map, i) == NULL);
		else
			expect(idmap_get(&map, i) == value_for(i));
	}
	for (i = 2; i <= n; i += 2)
		expect(idmap_remove(&map, i) == value_for(i));
	expect(map.count == 0);
	for (i = 0; i < map.capacity; i++)
		expect(map.values[i] == NULL);
	idmap_clear(&map);
}
END_TEST

/* Return the slot a key lands in when it is alone in a fresh map. */
static size_t
home_slot(uint64_t key, size_t *capacity)
{
	struct idmap	 map;
	size_t		 i, slot = SIZE_MAX;

	idmap_init(&map);
	idmap_put(&map, key, value_for(key));
	for (i = 0; i < map.capacity; i++) {
		if (map.values[i] != NULL)
			slot = i;
	}
	*capacity = map.capacity;
	idmap_clear(&map);
	return (slot);
}

/* Advance to the next permutation in lexicographic order; 0 at the end. */
static int
next_permutation(size_t *order, size_t n)
{
	size_t	 i, j, swap;

	for (i = n - 1; i > 0 && order[i - 1] >= order[i]; i--)
		;
	if (i == 0)
		return (0);
	for (j = n - 1; order[j] <= order[i - 1]; j--)
		;
	swap = order[i - 1];
	order[i - 1] = order[j];
	order[j] = swap;
	for (j = n - 1; i < j; i++, j--) {
		swap = order[i];
		order[i] = order[j];
		order[j] = swap;
	}
	return (1);
}

/*
 * Check removal in every order from one cluster of colliding keys that
 * wraps around the end of the table.
 */
START_TEST(test_collisions_every_order)
{
	struct idmap		 map;
	struct reference	 ref;
	uint64_t		 keys[CLUSTER_SIZE], key;
	size_t			 order[CLUSTER_SIZE], found = 0, i, j;
	size_t			 capacity, slot, permutations = 0;

	/* Keys whose home is the last slot, then the first: they wrap. */
	(void)home_slot(0, &capacity);
	for (key = 1; found < CLUSTER_SIZE && key < 10000000; key++) {
		slot = home_slot(key, &capacity);
		if ((found < 4 && slot == capacity - 1) ||
		    (found >= 4 && found < 6 && slot == 0) ||
		    (found >= 6 && slot == capacity - 2))
			keys[found++] = key;
	}
	expect(found == CLUSTER_SIZE);

	for (i = 0; i < CLUSTER_SIZE; i++)
		order[i] = i;
	do {
		idmap_init(&map);
		ref.count = 0;
		for (i = 0; i < CLUSTER_SIZE; i++) {
			idmap_put(&map, keys[i], value_for(keys[i]));
			ref.keys[ref.count] = keys[i];
			ref.values[ref.count++] = value_for(keys[i]);
		}
		/* All of them in one table: a real cluster. */
		expect(map.capacity == capacity);
		for (i = 0; i < CLUSTER_SIZE; i++) {
			key = keys[order[i]];
			expect(idmap_remove(&map, key) == value_for(key));
			j = reference_find(&ref, key);
			ref.keys[j] = ref.keys[ref.count - 1];
			ref.values[j] = ref.values[ref.count - 1];
			ref.count--;
			expect(idmap_get(&map, key) == NULL);
			check_same(&map, &ref);
		}
		idmap_clear(&map);
		permutations++;
	} while (next_permutation(order, CLUSTER_SIZE));
	expect(permutations == 40320);
}
END_TEST

/* Check that removing from a cluster keeps reinserted keys reachable. */
START_TEST(test_collisions_reinsert)
{
	struct idmap	 map;
	uint64_t	 keys[6], key;
	void		*values[6];
	size_t		 capacity, found = 0, i, round;

	for (key = 1; found < 6 && key < 10000000; key++) {
		if (home_slot(key, &capacity) == 3)
			keys[found++] = key;
	}
	ck_assert_uint_eq(found, 6);
	idmap_init(&map);
	for (i = 0; i < 6; i++) {
		values[i] = value_for(keys[i]);
		idmap_put(&map, keys[i], values[i]);
	}
	for (round = 0; round < 100; round++) {
		i = (round * 5) % 6;
		ck_assert_ptr_eq(idmap_remove(&map, keys[i]), values[i]);
		ck_assert_ptr_null(idmap_get(&map, keys[i]));
		ck_assert_uint_eq(map.count, 5);
		values[i] = value_for(keys[i] + round);
		idmap_put(&map, keys[i], values[i]);
		ck_assert_uint_eq(map.count, 6);
		for (found = 0; found < 6; found++)
			ck_assert_ptr_eq(idmap_get(&map, keys[found]),
			    values[found]);
	}
	idmap_clear(&map);
}
END_TEST

/* Random puts, gets and removes checked against the reference array. */
START_TEST(test_random)
{
	struct idmap		 map;
	struct reference	*ref;
	uint64_t		 state = 12345 + (uint64_t)_i, key, op;
	size_t			 i, j, range;
	void			*value, *got;

	ref = xcalloc(1, sizeof *ref);
	idmap_init(&map);
	/* Small ranges make many hits and collisions; the last is wide. */
	range = (size_t[]){ 16, 300, 3000, 0 }[_i];
	for (i = 0; i < 100000; i++) {
		op = next_random(&state) % 10;
		key = next_random(&state);
		if (range != 0)
			key %= range;
		j = reference_find(ref, key);
		if (op < 5 && (j < ref->count || ref->count < REFERENCE_MAX)) {
			value = value_for(next_random(&state) >> 2);
			idmap_put(&map, key, value);
			if (j == ref->count)
				ref->keys[ref->count++] = key;
			ref->values[j] = value;
		} else if (op < 8) {
			got = idmap_remove(&map, key);
			if (j < ref->count) {
				expect(got == ref->values[j]);
				ref->count--;
				ref->keys[j] = ref->keys[ref->count];
				ref->values[j] = ref->values[ref->count];
			} else
				expect(got == NULL);
		} else {
			got = idmap_get(&map, key);
			expect(got == (j < ref->count ?
			    ref->values[j] : NULL));
		}
		expect(map.count == ref->count);
		if (i % 997 == 0)
			check_same(&map, ref);
	}
	check_same(&map, ref);
	/* Drain it in a random order. */
	while (ref->count > 0) {
		j = next_random(&state) % ref->count;
		expect(idmap_remove(&map, ref->keys[j]) ==
		    ref->values[j]);
		ref->count--;
		ref->keys[j] = ref->keys[ref->count];
		ref->values[j] = ref->values[ref->count];
		if (ref->count % 61 == 0)
			check_same(&map, ref);
	}
	expect(map.count == 0);
	idmap_clear(&map);
	free(ref);
}
END_TEST

/* Collect the id map tests. */
Suite *
suite_idmap(void)
{
	Suite	*suite;
	TCase	*tc;

	suite = suite_create("idmap");
	tc = tcase_create("idmap");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_basic);
	tcase_add_test(tc, test_many);
	tcase_add_test(tc, test_collisions_every_order);
	tcase_add_test(tc, test_collisions_reinsert);
	tcase_add_loop_test(tc, test_random, 0, 4);
	suite_add_tcase(suite, tc);
	return (suite);
}

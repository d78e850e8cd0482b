/* test_strmap.c - unit tests for server/types/strmap: set/get/delete against
 * a model from empty to 100k pairs with the table's invariants (counts,
 * fill limit, exact byte count) checked at every step of the incremental
 * resizes, tombstone churn at a steady size, SCAN's exactly-once guarantee
 * while the map grows and shrinks between steps, random picks, dup, and
 * values replaced in place or reallocated. */
#include "tests/unit/unit.h"

#include "server/core/mem.h"
#include "server/core/rng.h"
#include "server/types/strmap.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PTR_MASK ((UINT64_C(1) << 48) - 1)

/* ---- helpers ---------------------------------------------------------- */

static size_t field_of(uint32_t id, char *buf)
{
    return (size_t)sprintf(buf, "field:%u", id);
}

static size_t value_of(uint32_t id, uint32_t gen, char *buf)
{
    /* lengths vary with gen so replacements change the element's size */
    return (size_t)sprintf(buf, "v%u-%.*s", id, (int)(gen % 40), "0123456789abcdefghijklmnopqrstuvwxyzABCD");
}

static int set_id(struct strmap *m, uint32_t id, uint32_t gen)
{
    char f[32], v[64];
    size_t fl = field_of(id, f), vl = value_of(id, gen, v);
    return strmap_set(m, f, fl, v, vl);
}

static int del_id(struct strmap *m, uint32_t id)
{
    char f[32];
    return strmap_delete(m, f, field_of(id, f));
}

/* 1 if id is present with generation gen's value (gen < 0: absent). */
static int has_id(struct strmap *m, uint32_t id, long gen)
{
    char f[32], v[64];
    size_t fl = field_of(id, f);
    struct strmap_kv kv;
    int found = strmap_get(m, f, fl, &kv);
    if (gen < 0)
        return !found;
    size_t vl = value_of(id, (uint32_t)gen, v);
    return found && kv.flen == fl && memcmp(kv.f, f, fl) == 0 && kv.vlen == vl &&
           memcmp(kv.v, v, vl) == 0;
}

/* The invariants, recomputed from the slots: live counts, fill limit, and
 * mem equal to the usable size of every allocation the map owns. */
static int check_invariants(const struct strmap *m)
{
    size_t mem = mem_usable((void *)m);
    int ok = 1;
    for (int i = 0; i < 2; i++) {
        if (!m->t[i]) {
            ok &= CHECK(i == 1 && m->size[1] == 0 && m->used[1] == 0);
            continue;
        }
        mem += mem_usable(m->t[i]);
        uint64_t live = 0, tombs = 0, empty = 0;
        for (uint64_t j = 0; j < m->size[i]; j++) {
            uintptr_t s = m->t[i][j];
            if (s > 1) {
                live++;
                mem += mem_usable((void *)(s & PTR_MASK));
            } else if (s == 1) {
                tombs++;
            } else {
                empty++;
            }
        }
        ok &= CHECK_EQ_INT(live, m->used[i]);
        ok &= CHECK(empty > 0); /* probes always terminate */
        if (i == 1 || !m->t[1])
            ok &= CHECK(tombs == m->tombs[i]);
    }
    ok &= CHECK_EQ_INT(mem, m->mem);
    return ok;
}

/* ---- tests -------------------------------------------------------------- */

TEST(empty_map)
{
    struct strmap *m = strmap_create(0);
    CHECK_EQ_INT(strmap_len(m), 0);
    struct strmap_kv kv;
    CHECK(!strmap_get(m, "x", 1, &kv));
    CHECK(!strmap_delete(m, "x", 1));
    uint64_t pos = 0;
    CHECK(!strmap_next(m, &pos, &kv));
    CHECK(check_invariants(m));
    strmap_destroy(m);
}

TEST(empty_and_binary_fields_and_values)
{
    struct strmap *m = strmap_create(0);
    CHECK_EQ_INT(strmap_set(m, "", 0, "", 0), 1);
    CHECK_EQ_INT(strmap_set(m, "a\0b", 3, "x\0y", 3), 1);
    CHECK_EQ_INT(strmap_set(m, "a", 1, "", 0), 1);
    struct strmap_kv kv;
    CHECK(strmap_get(m, "", 0, &kv) && kv.vlen == 0);
    CHECK(strmap_get(m, "a\0b", 3, &kv) && CHECK_MEM(kv.v, kv.vlen, "x\0y", 3));
    CHECK(!strmap_get(m, "a\0c", 3, &kv));
    CHECK_EQ_INT(strmap_set(m, "", 0, "now", 3), 0);
    CHECK(strmap_get(m, "", 0, &kv) && CHECK_MEM_STR(kv.v, kv.vlen, "now"));
    CHECK_EQ_INT(strmap_len(m), 3);
    CHECK(check_invariants(m));
    strmap_destroy(m);
}

TEST(long_fields_and_values_use_wide_varints)
{
    struct strmap *m = strmap_create(0);
    size_t n = 100000;
    char *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('a' + i % 26);
    CHECK_EQ_INT(strmap_set(m, big, 300, big, n), 1);
    CHECK_EQ_INT(strmap_set(m, big, 299, "s", 1), 1);
    struct strmap_kv kv;
    CHECK(strmap_get(m, big, 300, &kv) && CHECK_MEM(kv.v, kv.vlen, big, n));
    CHECK(strmap_get(m, big, 299, &kv) && CHECK_MEM_STR(kv.v, kv.vlen, "s"));
    /* a value shrinking across a varint width reallocates */
    CHECK_EQ_INT(strmap_set(m, big, 300, "tiny", 4), 0);
    CHECK(strmap_get(m, big, 300, &kv) && CHECK_MEM_STR(kv.v, kv.vlen, "tiny"));
    CHECK(check_invariants(m));
    strmap_destroy(m);
    free(big);
}

TEST(replace_in_place_and_reallocated)
{
    struct strmap *m = strmap_create(0);
    strmap_set(m, "counter", 7, "1", 1);
    struct strmap_kv kv;
    strmap_get(m, "counter", 7, &kv);
    const char *before = kv.f;
    strmap_set(m, "counter", 7, "2", 1); /* same size: in place */
    strmap_get(m, "counter", 7, &kv);
    CHECK(kv.f == before);
    CHECK(CHECK_MEM_STR(kv.v, kv.vlen, "2"));
    char v[200];
    memset(v, 'z', sizeof(v));
    strmap_set(m, "counter", 7, v, sizeof(v)); /* grows: a new element */
    CHECK(strmap_get(m, "counter", 7, &kv) && CHECK_MEM(kv.v, kv.vlen, v, sizeof(v)));
    strmap_set(m, "counter", 7, "3", 1); /* shrinks a lot: not kept oversized */
    CHECK(strmap_get(m, "counter", 7, &kv) && CHECK_MEM_STR(kv.v, kv.vlen, "3"));
    CHECK(check_invariants(m));
    CHECK(m->mem < 200 + sizeof(*m) + 8 * 16);
    strmap_destroy(m);
}

/* Grow to 100k, replace, then delete down to zero, checking the model and
 * the invariants at every step of every incremental resize. */
TEST(model_grow_and_shrink)
{
    enum { N = 100000 };
    long *gen = malloc(N * sizeof(*gen));
    for (int i = 0; i < N; i++)
        gen[i] = -1;
    struct strmap *m = strmap_create(0);
    uint64_t rng = 42, live = 0;
    int ok = 1, resizes = 0, was_resizing = 0;
    for (uint32_t i = 0; i < N && ok; i++) {
        ok &= CHECK_EQ_INT(set_id(m, i, i), 1);
        gen[i] = i;
        live++;
        if (m->t[1] && !was_resizing)
            resizes++;
        was_resizing = m->t[1] != NULL;
        if (i % 97 == 0 || (m->t[1] && m->size[0] <= 4096))
            ok &= check_invariants(m);
        if (i % 1013 == 0) /* spot-check older ids */
            for (int k = 0; k < 20; k++) {
                uint32_t id = (uint32_t)(rng_next(&rng) % (i + 1));
                ok &= CHECK(has_id(m, id, gen[id]));
            }
    }
    CHECK(resizes >= 10);
    CHECK_EQ_INT(strmap_len(m), live);
    /* at 100k pairs the table is 2^17 slots: 10.5 bytes of slot per pair */
    CHECK_EQ_INT(m->size[0] + m->size[1], 131072);
    for (uint32_t i = 0; i < N; i += 3) {
        ok &= CHECK_EQ_INT(set_id(m, i, gen[i] + 7), 0);
        gen[i] += 7;
    }
    for (uint32_t i = 0; i < N && ok; i++)
        ok &= CHECK(has_id(m, i, gen[i]));
    /* delete in a scattered order down to empty */
    for (uint32_t j = 0; j < N && ok; j++) {
        uint32_t id = (uint32_t)(((uint64_t)j * 7919) % N);
        ok &= CHECK_EQ_INT(del_id(m, id), 1);
        ok &= CHECK_EQ_INT(del_id(m, id), 0);
        gen[id] = -1;
        live--;
        ok &= CHECK_EQ_INT(strmap_len(m), live);
        if (j % 89 == 0 || (m->t[1] && m->size[0] <= 4096))
            ok &= check_invariants(m);
        if (live == 100 && !CHECK(m->size[0] + m->size[1] <= 1024 + 256))
            fprintf(stderr, "sizes %lu + %lu at 100 pairs\n", (unsigned long)m->size[0],
                    (unsigned long)m->size[1]);
        if (j % 2003 == 0)
            for (int k = 0; k < 20; k++) {
                uint32_t x = (uint32_t)(rng_next(&rng) % N);
                ok &= CHECK(has_id(m, x, gen[x]));
            }
    }
    strmap_destroy(m);
    free(gen);
}

/* Insert/delete churn at a steady size must reclaim tombstones, not grow. */
TEST(tombstone_churn_stays_bounded)
{
    struct strmap *m = strmap_create(0);
    for (uint32_t i = 0; i < 1000; i++)
        set_id(m, i, 1);
    uint64_t max_size = 0;
    int ok = 1;
    for (uint32_t i = 1000; i < 200000 && ok; i++) {
        ok &= CHECK_EQ_INT(set_id(m, i, 1), 1);
        ok &= CHECK_EQ_INT(del_id(m, i - 1000), 1);
        uint64_t s = m->size[0] > m->size[1] ? m->size[0] : m->size[1];
        if (s > max_size)
            max_size = s;
        if (i % 5000 == 0)
            ok &= check_invariants(m);
    }
    CHECK_EQ_INT(strmap_len(m), 1000);
    CHECK(max_size <= 4096);
    for (uint32_t i = 199000; i < 200000 && ok; i++)
        ok &= CHECK(has_id(m, i, 1));
    strmap_destroy(m);
}

struct seen {
    uint8_t *count; /* per id */
    uint32_t n;
};

static void count_seen(const struct strmap_kv *kv, void *arg)
{
    struct seen *s = arg;
    char buf[32];
    memcpy(buf, kv->f, kv->flen);
    buf[kv->flen] = '\0';
    uint32_t id = (uint32_t)strtoul(buf + 6, NULL, 10);
    if (id < s->n && s->count[id] < 255)
        s->count[id]++;
}

/* The SCAN guarantee: ids present for the whole walk are reported exactly
 * once, while the map grows (ids added) or shrinks (ids removed) between
 * steps, through several incremental resizes. */
static void scan_while(int grow)
{
    enum { N = 40000, STABLE = 3000 };
    struct strmap *m = strmap_create(0);
    struct seen s = {calloc(N, 1), N};
    uint32_t next = STABLE;
    for (uint32_t i = 0; i < STABLE; i++)
        set_id(m, i, 0);
    if (!grow)
        for (; next < N; next++)
            set_id(m, next, 0);
    uint64_t cursor = 0, steps = 0, resizes_seen = 0;
    do {
        cursor = strmap_scan(m, cursor, count_seen, &s);
        steps++;
        for (int k = 0; k < 13; k++) {
            if (grow && next < N) {
                set_id(m, next++, 0);
            } else if (!grow && next > STABLE) {
                del_id(m, --next);
            }
        }
        resizes_seen += m->t[1] != NULL;
    } while (cursor);
    int ok = 1;
    for (uint32_t i = 0; i < STABLE && ok; i++)
        ok &= CHECK_EQ_INT(s.count[i], 1);
    for (uint32_t i = STABLE; i < N && ok; i++)
        ok &= CHECK(s.count[i] <= 1); /* never twice, even for the changing ids */
    CHECK(resizes_seen > 0);
    CHECK(steps > 100);
    free(s.count);
    strmap_destroy(m);
}

TEST(scan_exactly_once_while_growing) { scan_while(1); }
TEST(scan_exactly_once_while_shrinking) { scan_while(0); }

TEST(scan_from_any_cursor_terminates)
{
    struct strmap *m = strmap_create(0);
    for (uint32_t i = 0; i < 500; i++)
        set_id(m, i, 0);
    struct seen s = {calloc(500, 1), 500};
    uint64_t cursor = UINT64_MAX - 5, steps = 0;
    do {
        cursor = strmap_scan(m, cursor, count_seen, &s);
    } while (cursor && ++steps < 100000);
    CHECK_EQ_INT(cursor, 0);
    free(s.count);
    strmap_destroy(m);
}

TEST(random_covers_every_pair)
{
    struct strmap *m = strmap_create(0);
    enum { N = 300 };
    for (uint32_t i = 0; i < N; i++)
        set_id(m, i, 0);
    for (uint32_t i = 0; i < N; i += 2) /* leave tombstones around */
        del_id(m, i);
    struct seen s = {calloc(N, 1), N};
    uint64_t rng = 7;
    for (int k = 0; k < 20000; k++) {
        struct strmap_kv kv;
        const void *id = strmap_random(m, &rng, &kv);
        CHECK(id != NULL);
        count_seen(&kv, &s);
    }
    int ok = 1;
    for (uint32_t i = 0; i < N && ok; i++)
        ok &= i % 2 ? CHECK(s.count[i] > 0) : CHECK_EQ_INT(s.count[i], 0);
    free(s.count);
    strmap_destroy(m);
}

TEST(dup_is_deep_and_equal)
{
    struct strmap *m = strmap_create(0);
    for (uint32_t i = 0; i < 5000; i++)
        set_id(m, i, i);
    for (uint32_t i = 0; i < 5000; i += 5)
        del_id(m, i);
    struct strmap *d = strmap_dup(m);
    CHECK_EQ_INT(strmap_len(d), strmap_len(m));
    CHECK(check_invariants(d));
    int ok = 1;
    for (uint32_t i = 0; i < 5000 && ok; i++)
        ok &= CHECK(has_id(d, i, i % 5 ? (long)i : -1));
    strmap_destroy(m); /* the copy owns its own elements */
    for (uint32_t i = 1; i < 5000 && ok; i += 5)
        ok &= CHECK(has_id(d, i, i));
    strmap_destroy(d);
}

TEST(iteration_visits_every_pair_once)
{
    struct strmap *m = strmap_create(0);
    enum { N = 2000 };
    for (uint32_t i = 0; i < N; i++)
        set_id(m, i, 0);
    /* stop in the middle of a resize */
    uint32_t extra = N;
    while (!m->t[1])
        set_id(m, extra++, 0);
    struct seen s = {calloc(extra, 1), extra};
    struct strmap_kv kv;
    uint64_t n = 0;
    for (uint64_t pos = 0; strmap_next(m, &pos, &kv); n++)
        count_seen(&kv, &s);
    CHECK_EQ_INT(n, strmap_len(m));
    int ok = 1;
    for (uint32_t i = 0; i < extra && ok; i++)
        ok &= CHECK_EQ_INT(s.count[i], 1);
    free(s.count);
    strmap_destroy(m);
}

/* test_intset.c - unit tests for server/types/intset: the exact Redis byte
 * layout, upgrades 16->32->64 at both ends, width boundaries, removes,
 * contains, ascending get order, validation of hand-made and corrupted
 * blobs, and a random model test against a sorted array. */
#include "tests/unit/unit.h"

#include "server/core/mem.h"
#include "server/core/rng.h"
#include "server/types/intset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint32_t width_of(const struct intset *is)
{
    const unsigned char *p = (const unsigned char *)is;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static struct intset *add(struct intset *is, int64_t v, int want_added)
{
    int added = -1;
    is = intset_add(is, v, &added);
    CHECK_EQ_INT(added, want_added);
    return is;
}

/* Members in order equal want[0..n), the size matches the width, and the
 * blob validates. */
static void check_members(const struct intset *is, const int64_t *want, uint32_t n,
                          uint32_t width)
{
    CHECK_EQ_INT(intset_len(is), n);
    CHECK_EQ_INT(width_of(is), width);
    CHECK_EQ_INT(intset_bytes(is), 8 + (size_t)n * width);
    CHECK(intset_validate(is, intset_bytes(is)));
    for (uint32_t i = 0; i < n && i < intset_len(is); i++) {
        CHECK_EQ_INT(intset_get(is, i), want[i]);
        CHECK(intset_contains(is, want[i]));
    }
}

TEST(empty)
{
    struct intset *is = intset_create();
    CHECK_EQ_INT(intset_len(is), 0);
    CHECK_EQ_INT(intset_bytes(is), 8);
    CHECK_EQ_INT(width_of(is), 2);
    CHECK(!intset_contains(is, 0));
    CHECK(!intset_contains(is, INT64_MAX));
    CHECK(intset_validate(is, 8));
    int removed = -1;
    is = intset_remove(is, 5, &removed);
    CHECK_EQ_INT(removed, 0);
    intset_destroy(is);
}

TEST(redis_layout_bytes)
{
    /* what Redis writes for SADD s 3 1 2, then for SADD s 70000 */
    struct intset *is = intset_create();
    is = add(is, 3, 1);
    is = add(is, 1, 1);
    is = add(is, 2, 1);
    is = add(is, 2, 0);
    CHECK_MEM(is, intset_bytes(is), "\x02\0\0\0\x03\0\0\0\x01\0\x02\0\x03\0", 14);
    is = add(is, 70000, 1);
    CHECK_MEM(is, intset_bytes(is),
              "\x04\0\0\0\x04\0\0\0\x01\0\0\0\x02\0\0\0\x03\0\0\0\x70\x11\x01\0", 24);
    is = add(is, -1, 1);
    CHECK_MEM(is, intset_bytes(is),
              "\x04\0\0\0\x05\0\0\0\xff\xff\xff\xff\x01\0\0\0\x02\0\0\0\x03\0\0\0\x70\x11\x01\0",
              28);
    intset_destroy(is);
}

TEST(load_a_redis_blob)
{
    static const unsigned char blob[] = { 8, 0, 0, 0, 3, 0, 0, 0,
                                          0, 0, 0, 0, 0, 0, 0, 0x80, /* INT64_MIN */
                                          0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                          7, 0, 0, 0, 0, 0, 0, 0 };
    CHECK(intset_validate(blob, sizeof(blob)));
    struct intset *is = xmalloc(sizeof(blob));
    memcpy(is, blob, sizeof(blob));
    int64_t want[] = { INT64_MIN, -2, 7 };
    check_members(is, want, 3, 8);
    is = add(is, 5, 1); /* stays 64-bit */
    int64_t want2[] = { INT64_MIN, -2, 5, 7 };
    check_members(is, want2, 4, 8);
    intset_destroy(is);
}

TEST(upgrade_16_32_64_at_both_ends)
{
    struct intset *is = intset_create();
    int64_t w[8];
    for (int i = 0; i < 5; i++)
        is = add(is, (i - 2) * 1000, 1);
    for (int i = 0; i < 5; i++)
        w[i] = (i - 2) * 1000;
    check_members(is, w, 5, 2);

    is = add(is, INT16_MAX, 1);
    is = add(is, INT16_MIN, 1);
    int64_t w16[] = { INT16_MIN, -2000, -1000, 0, 1000, 2000, INT16_MAX };
    check_members(is, w16, 7, 2);

    is = add(is, INT16_MAX + 1, 1); /* appended while widening */
    int64_t w32a[] = { INT16_MIN, -2000, -1000, 0, 1000, 2000, INT16_MAX, INT16_MAX + 1 };
    check_members(is, w32a, 8, 4);
    intset_destroy(is);

    is = intset_create();
    is = add(is, 1, 1);
    is = add(is, 2, 1);
    is = add(is, INT16_MIN - 1, 1); /* prepended while widening */
    int64_t w32b[] = { INT16_MIN - 1, 1, 2 };
    check_members(is, w32b, 3, 4);
    is = add(is, INT32_MIN, 1);
    is = add(is, INT32_MAX, 1);
    int64_t w32c[] = { INT32_MIN, INT16_MIN - 1, 1, 2, INT32_MAX };
    check_members(is, w32c, 5, 4);
    is = add(is, (int64_t)INT32_MIN - 1, 1);
    int64_t w64a[] = { (int64_t)INT32_MIN - 1, INT32_MIN, INT16_MIN - 1, 1, 2, INT32_MAX };
    check_members(is, w64a, 6, 8);
    is = add(is, INT64_MAX, 1);
    is = add(is, INT64_MIN, 1);
    is = add(is, INT64_MAX, 0);
    int64_t w64b[] = { INT64_MIN, (int64_t)INT32_MIN - 1, INT32_MIN, INT16_MIN - 1,
                       1, 2, INT32_MAX, INT64_MAX };
    check_members(is, w64b, 8, 8);
    intset_destroy(is);

    /* 16 straight to 64, both directions */
    is = intset_create();
    is = add(is, -7, 1);
    is = add(is, 9, 1);
    is = add(is, (int64_t)INT32_MAX + 1, 1);
    int64_t w64c[] = { -7, 9, (int64_t)INT32_MAX + 1 };
    check_members(is, w64c, 3, 8);
    intset_destroy(is);
    is = intset_create();
    is = add(is, -7, 1);
    is = add(is, 9, 1);
    is = add(is, INT64_MIN, 1);
    int64_t w64d[] = { INT64_MIN, -7, 9 };
    check_members(is, w64d, 3, 8);
    intset_destroy(is);
}

TEST(remove_and_contains)
{
    struct intset *is = intset_create();
    for (int64_t v = -50; v <= 50; v += 2)
        is = add(is, v, 1);
    int removed;
    is = intset_remove(is, 1, &removed); /* odd: never there */
    CHECK_EQ_INT(removed, 0);
    is = intset_remove(is, 100000, &removed); /* wider than the set */
    CHECK_EQ_INT(removed, 0);
    is = intset_remove(is, INT64_MIN, &removed);
    CHECK_EQ_INT(removed, 0);
    CHECK(!intset_contains(is, 100000) && !intset_contains(is, -100000));
    CHECK(!intset_contains(is, 51) && !intset_contains(is, -51) && !intset_contains(is, 3));
    /* first, last, middle */
    int64_t order[] = { -50, 50, 0, -48, 48 };
    for (int i = 0; i < 5; i++) {
        is = intset_remove(is, order[i], &removed);
        CHECK_EQ_INT(removed, 1);
        CHECK(!intset_contains(is, order[i]));
        is = intset_remove(is, order[i], &removed);
        CHECK_EQ_INT(removed, 0);
    }
    CHECK_EQ_INT(intset_len(is), 51 - 5);
    CHECK(intset_validate(is, intset_bytes(is)));
    for (uint32_t i = 1; i < intset_len(is); i++)
        CHECK(intset_get(is, i - 1) < intset_get(is, i));
    /* removing the wide member keeps the width */
    is = add(is, INT64_MAX, 1);
    is = intset_remove(is, INT64_MAX, &removed);
    CHECK_EQ_INT(removed, 1);
    CHECK_EQ_INT(width_of(is), 8);
    CHECK(intset_contains(is, 2) && !intset_contains(is, INT64_MAX));
    CHECK(intset_validate(is, intset_bytes(is)));
    while (intset_len(is)) {
        is = intset_remove(is, intset_get(is, intset_len(is) / 2), &removed);
        CHECK_EQ_INT(removed, 1);
    }
    CHECK_EQ_INT(intset_bytes(is), 8);
    intset_destroy(is);
}

/* Validate a copy of exactly n bytes (ASan catches overreads). */
static int validate_copy(const void *src, size_t n)
{
    void *b = xmalloc(n ? n : 1);
    memcpy(b, src, n);
    int ok = intset_validate(b, n);
    free(b);
    return ok;
}

TEST(validate)
{
    static const struct {
        const char *bytes;
        size_t n;
        int ok;
    } cases[] = {
        { "\x02\0\0\0\0\0\0\0", 8, 1 },
        { "\x02\0\0\0\x02\0\0\0\x01\0\x02\0", 12, 1 },
        { "\x02\0\0\0\x02\0\0\0\x02\0\x01\0", 12, 0 },         /* unsorted */
        { "\x02\0\0\0\x02\0\0\0\x01\0\x01\0", 12, 0 },         /* duplicate */
        { "\x02\0\0\0\x02\0\0\0\xff\xff\x01\0", 12, 1 },       /* -1 < 1 */
        { "\x02\0\0\0\x02\0\0\0\x01\0\xff\xff", 12, 0 },       /* 1 > -1 */
        { "\x02\0\0\0\x02\0\0\0\x01\0\x02\0\x00", 13, 0 },     /* a byte too many */
        { "\x02\0\0\0\x02\0\0\0\x01\0\x02", 11, 0 },           /* a byte short */
        { "\x02\0\0\0\x03\0\0\0\x01\0\x02\0", 12, 0 },         /* count too big */
        { "\x03\0\0\0\x02\0\0\0\x01\0\x02\0", 12, 0 },         /* width 3 */
        { "\x00\0\0\0\0\0\0\0", 8, 0 },                        /* width 0 */
        { "\x01\0\0\0\x02\0\0\0\x01\x02", 10, 0 },             /* width 1 */
        { "\x10\0\0\0\x01\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 24, 0 }, /* width 16 */
        { "\x02\0\0\x01\0\0\0\0", 8, 0 },                      /* width 2^24 + 2 */
        { "\x02\0\0\0\0\0\0\x80", 8, 0 },                      /* huge count */
        { "\x04\0\0\0\x01\0\0\0\x01\0\0\0", 12, 1 },
        { "\x04\0\0\0\x02\0\0\0\x01\0\0\0\x01\0\0\0", 16, 0 },
        { "\x08\0\0\0\x01\0\0\0\x01\0\0\0\0\0\0\0", 16, 1 },   /* wide but valid */
        { "\x02\0\0\0\0\0\0", 7, 0 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (!CHECK_EQ_INT(validate_copy(cases[i].bytes, cases[i].n), cases[i].ok))
            fprintf(stderr, "    case %zu\n", i);
    CHECK(!intset_validate(NULL, 0));

    /* every truncation and byte flip of a real one */
    struct intset *is = intset_create();
    for (int64_t v = -300000; v < 300000; v += 77777)
        is = add(is, v, 1);
    size_t n = intset_bytes(is);
    CHECK(validate_copy(is, n));
    for (size_t k = 0; k < n; k++)
        CHECK(!validate_copy(is, k));
    unsigned char *b = xmalloc(n);
    uint64_t rng = 5;
    for (int iter = 0; iter < 5000; iter++) {
        memcpy(b, is, n);
        b[rng_next(&rng) % n] ^= (unsigned char)(1 + rng_next(&rng) % 255);
        if (validate_copy(b, n)) { /* still a set: order must hold */
            const struct intset *c = (const struct intset *)b;
            for (uint32_t i = 1; i < intset_len(c); i++)
                CHECK(intset_get(c, i - 1) < intset_get(c, i));
        }
    }
    free(b);
    intset_destroy(is);
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t *find_in(int64_t *m, size_t n, int64_t v)
{
    return n ? bsearch(&v, m, n, sizeof(*m), cmp64) : NULL;
}

TEST(model_random_operations)
{
    int64_t *m = NULL;
    size_t n = 0;
    struct intset *is = intset_create();
    uint64_t rng = 31337;
    for (int step = 0; step < 20000; step++) {
        if (step % 5000 == 0) { /* start over: each run goes through 16, 32, 64 */
            intset_destroy(is);
            is = intset_create();
            n = 0;
        }
        uint64_t r = rng_next(&rng);
        int64_t v;
        switch (r % 4) {
        case 0:
            v = (int64_t)(rng_next(&rng) % 200) - 100;
            break;
        case 1:
            v = (int64_t)(rng_next(&rng) % 70000) - 35000;
            break;
        case 2: /* rarely wide, so most sets stay narrow for a while */
            v = rng_next(&rng) % 256 == 0 ? (int64_t)rng_next(&rng) : (int64_t)(r >> 50);
            break;
        default:
            v = n ? m[rng_next(&rng) % n] : 0;
            break;
        }
        int was = find_in(m, n, v) != NULL;
        int did;
        if (rng_next(&rng) % 3) {
            is = intset_add(is, v, &did);
            if (!CHECK_EQ_INT(did, !was))
                break;
            if (!was) {
                m = realloc(m, (n + 1) * sizeof(*m));
                size_t at = n;
                while (at > 0 && m[at - 1] > v)
                    at--;
                memmove(m + at + 1, m + at, (n - at) * sizeof(*m));
                m[at] = v;
                n++;
            }
        } else {
            is = intset_remove(is, v, &did);
            if (!CHECK_EQ_INT(did, was))
                break;
            if (was) {
                int64_t *at = find_in(m, n, v);
                memmove(at, at + 1, (size_t)(m + n - at - 1) * sizeof(*m));
                n--;
            }
        }
        if (!CHECK_EQ_INT(intset_len(is), n) || !CHECK(intset_validate(is, intset_bytes(is))))
            break;
        if (step % 10 == 0 || n < 50) {
            int ok = 1;
            for (size_t i = 0; i < n && ok; i++)
                ok = CHECK_EQ_INT(intset_get(is, (uint32_t)i), m[i]);
            if (!ok)
                break;
        }
        CHECK_EQ_INT(intset_contains(is, v), find_in(m, n, v) != NULL);
    }
    free(m);
    intset_destroy(is);
}

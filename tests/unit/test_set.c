/* test_set.c - unit tests for server/types/strset (the hashtable encoding
 * of sets) and server/types/t_set (encodings and their conversions):
 * add/remove/contains against a model from empty to 200k members with
 * every member checked reachable while resizes are in progress, the exact
 * memory counter, SCAN's guarantee while the table grows and shrinks
 * between calls, uniform random draws, copies, and the intset -> listpack
 * -> hashtable conversions at the configured thresholds. */
#include "tests/unit/unit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/config.h"
#include "server/core/mem.h"
#include "server/core/rng.h"
#include "server/types/strset.h"
#include "server/types/t_set.h"
#include "server/types/types.h"

/* ---- helpers ---------------------------------------------------------------- */

static size_t name(uint32_t id, char *buf)
{
    return (size_t)sprintf(buf, "member:%u", id);
}

static int add_id(struct strset *s, uint32_t id)
{
    char b[32];
    return strset_add(s, b, name(id, b));
}

static int remove_id(struct strset *s, uint32_t id)
{
    char b[32];
    return strset_remove(s, b, name(id, b));
}

static int has_id(const struct strset *s, uint32_t id)
{
    char b[32];
    return strset_contains(s, b, name(id, b));
}

static uint32_t id_of(const char *p, size_t len)
{
    char b[32];
    memcpy(b, p, len);
    b[len] = '\0';
    return (uint32_t)strtoul(b + 7, NULL, 10);
}

/* The memory counter recomputed from scratch: tables plus every member. */
static size_t mem_recount(const struct strset *s)
{
    size_t n = 0;
    for (int i = 0; i < 2; i++) {
        if (!s->t[i])
            continue;
        n += mem_usable(s->t[i]);
        for (uint64_t j = 0; j < (1ULL << s->bits[i]); j++)
            if (s->t[i][j])
                n += mem_usable((void *)(uintptr_t)(s->t[i][j] & ((1ULL << 48) - 1)));
    }
    return n;
}

/* Count, memory and a walk agree with the model. */
static void check_against(const struct strset *s, const unsigned char *in, uint32_t universe)
{
    uint64_t want = 0;
    for (uint32_t i = 0; i < universe; i++)
        want += in[i];
    CHECK_EQ_INT(strset_count(s), want);
    CHECK_EQ_INT(strset_mem(s), mem_recount(s));
    struct strset_pos it = {0, 0};
    const char *p;
    size_t len;
    uint64_t walked = 0;
    while (strset_next(s, &it, &p, &len)) {
        uint32_t id = id_of(p, len);
        if (!CHECK(id < universe && in[id]))
            return;
        walked++;
    }
    CHECK_EQ_INT(walked, want);
}

/* ---- strset ------------------------------------------------------------------ */

TEST(strset_empty)
{
    struct strset s;
    strset_init(&s, 0);
    CHECK_EQ_INT(strset_count(&s), 0);
    CHECK(!strset_contains(&s, "a", 1));
    CHECK(!strset_remove(&s, "a", 1));
    CHECK_EQ_INT(strset_scan(&s, 0, 10, NULL, NULL), 0);
    CHECK_EQ_INT(strset_mem(&s), mem_recount(&s));
    strset_deinit(&s);
}

TEST(strset_binary_and_empty_members)
{
    struct strset s;
    strset_init(&s, 0);
    CHECK(strset_add(&s, "", 0));
    CHECK(!strset_add(&s, "", 0));
    CHECK(strset_add(&s, "a\0b", 3));
    CHECK(strset_add(&s, "a\0c", 3));
    CHECK(strset_contains(&s, "a\0b", 3));
    CHECK(!strset_contains(&s, "a", 1));
    char big[300];
    memset(big, 'x', sizeof(big)); /* a two-byte length prefix */
    CHECK(strset_add(&s, big, sizeof(big)));
    CHECK(strset_contains(&s, big, sizeof(big)));
    CHECK(!strset_contains(&s, big, sizeof(big) - 1));
    CHECK_EQ_INT(strset_count(&s), 4);
    CHECK(strset_remove(&s, "", 0));
    CHECK(!strset_contains(&s, "", 0));
    CHECK_EQ_INT(strset_mem(&s), mem_recount(&s));
    strset_deinit(&s);
}

/* Grow from empty to 200k, then shrink to nothing, checking every member
 * is still found after each step (probing works while two tables exist). */
TEST(strset_grow_and_shrink_against_model)
{
    enum { N = 200000 };
    unsigned char *in = calloc(N, 1);
    struct strset s;
    strset_init(&s, 0);
    size_t base = strset_mem(&s);
    int saw_rehash = 0;
    for (uint32_t i = 0; i < N; i++) {
        CHECK(add_id(&s, i));
        in[i] = 1;
        saw_rehash |= s.t[1] != NULL;
        if (i % 997 == 0) {
            CHECK(!add_id(&s, i / 2));
            CHECK(has_id(&s, i / 3));
        }
        if (i < 3000) { /* every member reachable at every step early on */
            uint32_t j = 0;
            while (j <= i && has_id(&s, j))
                j++;
            CHECK_EQ_INT(j, i + 1);
        }
    }
    CHECK(saw_rehash);
    check_against(&s, in, N);
    CHECK(s.bits[0] <= 19); /* 200k at <= 3/4 load: 2^18 is too small */
    for (uint32_t i = 0; i < N; i++) {
        uint32_t id = (uint32_t)(((uint64_t)i * 7919) % N); /* a scattered order */
        CHECK(remove_id(&s, id));
        in[id] = 0;
        if (i % 10007 == 0) {
            CHECK(!remove_id(&s, id));
            check_against(&s, in, N);
        }
    }
    CHECK_EQ_INT(strset_count(&s), 0);
    CHECK_EQ_INT(strset_mem(&s), mem_recount(&s));
    CHECK(strset_mem(&s) <= base * 16); /* tables shrank on the way down */
    strset_deinit(&s);
    free(in);
}

/* Adds and removes interleaved at random, through many resizes. */
TEST(strset_random_ops_against_model)
{
    enum { U = 5000 };
    unsigned char in[U] = {0};
    uint64_t rng = 42;
    struct strset s;
    strset_init(&s, 0);
    for (int step = 0; step < 300000; step++) {
        uint32_t id = (uint32_t)(rng_next(&rng) % U);
        /* phases that favour adds, then removes, so the size swings */
        int adding = (step / 20000) % 2 == 0 ? rng_next(&rng) % 4 != 0 : rng_next(&rng) % 4 == 0;
        if (adding) {
            CHECK_EQ_INT(add_id(&s, id), !in[id]);
            in[id] = 1;
        } else {
            CHECK_EQ_INT(remove_id(&s, id), in[id]);
            in[id] = 0;
        }
        if (step % 5000 == 0) {
            check_against(&s, in, U);
            uint32_t j = 0;
            while (j < U && has_id(&s, j) == in[j])
                j++;
            CHECK_EQ_INT(j, U); /* membership agrees with the model */
        }
    }
    check_against(&s, in, U);
    strset_deinit(&s);
}

TEST(strset_copy_is_deep)
{
    struct strset a, b;
    strset_init(&a, 0);
    for (uint32_t i = 0; i < 1000; i++)
        add_id(&a, i);
    while (!a.t[1]) /* copy one caught mid-resize */
        add_id(&a, 1000 + (uint32_t)strset_count(&a));
    strset_copy(&b, &a);
    CHECK_EQ_INT(strset_count(&b), strset_count(&a));
    CHECK_EQ_INT(strset_mem(&b), mem_recount(&b));
    for (uint32_t i = 0; i < 1000; i++)
        CHECK(has_id(&b, i));
    CHECK(remove_id(&a, 5));
    CHECK(has_id(&b, 5));
    CHECK(add_id(&b, 999999));
    CHECK(!has_id(&a, 999999));
    strset_deinit(&a);
    strset_deinit(&b);
}

struct scan_seen {
    unsigned char *seen;
    uint32_t universe;
    long calls;
};

static void on_scan(void *arg, const char *p, size_t len)
{
    struct scan_seen *st = arg;
    uint32_t id = id_of(p, len);
    if (id < st->universe)
        st->seen[id] = 1;
    st->calls++;
}

/* A member present for the whole scan is returned at least once, while
 * the table grows (and later shrinks) between calls. */
static void scan_while_resizing(int grow)
{
    enum { KEEP = 3000, CHURN = 60000 };
    struct strset s;
    strset_init(&s, 0);
    uint32_t first = grow ? 0 : KEEP, n = grow ? 0 : CHURN;
    for (uint32_t i = 0; i < KEEP; i++)
        add_id(&s, i); /* 0..KEEP-1 stay for the whole scan */
    if (!grow)
        for (uint32_t i = 0; i < CHURN; i++)
            add_id(&s, KEEP + i);
    struct scan_seen st = {calloc(KEEP + CHURN, 1), KEEP + CHURN, 0};
    uint64_t cur = 0;
    int calls = 0, resized = 0;
    unsigned bits0 = s.bits[0];
    do {
        cur = strset_scan(&s, cur, 7, on_scan, &st);
        calls++;
        for (int k = 0; k < 400; k++) {
            if (grow && n < CHURN)
                add_id(&s, KEEP + n++);
            else if (!grow && first < KEEP + CHURN)
                remove_id(&s, first++);
        }
        resized |= s.bits[0] != bits0 || s.t[1] != NULL;
    } while (cur != 0 && calls < 1000000);
    CHECK(resized);
    uint32_t i = 0;
    while (i < KEEP && st.seen[i])
        i++;
    CHECK_EQ_INT(i, KEEP); /* no member present throughout was missed */
    strset_deinit(&s);
    free(st.seen);
}

TEST(strset_scan_complete_while_growing) { scan_while_resizing(1); }
TEST(strset_scan_complete_while_shrinking) { scan_while_resizing(0); }

TEST(strset_scan_stable_table_returns_each_once)
{
    struct strset s;
    strset_init(&s, 0);
    for (uint32_t i = 0; i < 10000; i++)
        add_id(&s, i);
    struct scan_seen st = {calloc(10000, 1), 10000, 0};
    uint64_t cur = 0;
    do
        cur = strset_scan(&s, cur, 100, on_scan, &st);
    while (cur);
    CHECK_EQ_INT(st.calls, 10000);
    long seen = 0;
    for (int i = 0; i < 10000; i++)
        seen += st.seen[i];
    CHECK_EQ_INT(seen, 10000);
    strset_deinit(&s);
    free(st.seen);
}

TEST(strset_random_is_roughly_uniform)
{
    enum { M = 50, DRAWS = 100000 };
    struct strset s;
    strset_init(&s, 0);
    for (uint32_t i = 0; i < M; i++)
        add_id(&s, i);
    long hits[M] = {0};
    uint64_t rng = 7;
    for (int d = 0; d < DRAWS; d++) {
        struct strset_pos pos;
        size_t len;
        strset_random(&s, &rng, &pos);
        const char *p = strset_at(&s, &pos, &len);
        hits[id_of(p, len)]++;
    }
    for (int i = 0; i < M; i++) /* expected 2000 each; 6 sigma ~ 270 */
        CHECK(hits[i] > 1700 && hits[i] < 2300);
    strset_deinit(&s);
}

TEST(strset_random_then_delete_empties)
{
    struct strset s;
    strset_init(&s, 0);
    for (uint32_t i = 0; i < 20000; i++)
        add_id(&s, i);
    uint64_t rng = 9;
    while (strset_count(&s)) {
        struct strset_pos pos;
        strset_random(&s, &rng, &pos);
        strset_delete_at(&s, &pos);
    }
    CHECK_EQ_INT(strset_mem(&s), mem_recount(&s));
    strset_deinit(&s);
}

/* ---- t_set: encodings ---------------------------------------------------------- */

static const char *enc(const struct set *s)
{
    return type_ops_of(T_SET)->encoding(s);
}

static void defaults(void)
{
    cfg.set_max_intset_entries = 512;
    cfg.set_max_listpack_entries = 128;
    cfg.set_max_listpack_value = 64;
}

TEST(set_intset_until_the_entry_limit)
{
    defaults();
    cfg.set_max_intset_entries = 4;
    struct set *s = set_create();
    char b[16];
    for (int i = 0; i < 4; i++)
        CHECK(set_add(s, b, (size_t)sprintf(b, "%d", i)));
    CHECK_EQ_STR(enc(s), "intset");
    CHECK(set_add(s, "9", 1));
    CHECK_EQ_STR(enc(s), "hashtable"); /* past the intset limit: never listpack */
    CHECK(set_contains(s, "3", 1));
    CHECK_EQ_INT(set_len(s), 5);
    set_destroy(s);
    defaults();
}

TEST(set_intset_takes_a_string_into_listpack_or_hashtable)
{
    defaults();
    struct set *s = set_create();
    CHECK(set_add(s, "1", 1));
    CHECK(set_add(s, "-20", 3));
    CHECK(set_add(s, "a", 1));
    CHECK_EQ_STR(enc(s), "listpack");
    CHECK(set_contains(s, "-20", 3) && set_contains(s, "1", 1) && set_contains(s, "a", 1));
    CHECK(!set_add(s, "1", 1));
    set_destroy(s);

    cfg.set_max_listpack_value = 3; /* "1000" is too wide for the listpack */
    s = set_create();
    CHECK(set_add(s, "1000", 4));
    CHECK(set_add(s, "a", 1));
    CHECK_EQ_STR(enc(s), "hashtable");
    set_destroy(s);
    defaults();
}

TEST(set_non_canonical_integers_are_strings)
{
    defaults();
    struct set *s = set_create();
    CHECK(set_add(s, "7", 1));
    CHECK(set_add(s, "07", 2)); /* not what string2ll accepts */
    CHECK_EQ_STR(enc(s), "listpack");
    CHECK(set_contains(s, "07", 2) && set_contains(s, "7", 1));
    CHECK(set_remove(s, "07", 2));
    CHECK(!set_contains(s, "07", 2));
    set_destroy(s);
}

TEST(set_listpack_limits)
{
    defaults();
    cfg.set_max_listpack_entries = 3;
    struct set *s = set_create_for("a", 1, 1);
    CHECK_EQ_STR(enc(s), "listpack");
    set_add(s, "a", 1);
    set_add(s, "b", 1);
    set_add(s, "c", 1);
    CHECK_EQ_STR(enc(s), "listpack");
    set_add(s, "d", 1);
    CHECK_EQ_STR(enc(s), "hashtable");
    set_destroy(s);
    defaults();
    s = set_create_for("a", 1, 1);
    char v[65];
    memset(v, 'v', sizeof(v));
    set_add(s, v, 64);
    CHECK_EQ_STR(enc(s), "listpack");
    set_add(s, v, 65);
    CHECK_EQ_STR(enc(s), "hashtable");
    CHECK(set_contains(s, v, 64) && set_contains(s, v, 65));
    set_destroy(s);
}

TEST(set_create_for_follows_the_hint)
{
    defaults();
    struct set *s = set_create_for("1", 1, 512);
    CHECK_EQ_STR(enc(s), "intset");
    set_destroy(s);
    s = set_create_for("1", 1, 513);
    CHECK_EQ_STR(enc(s), "hashtable");
    set_destroy(s);
    s = set_create_for("x", 1, 128);
    CHECK_EQ_STR(enc(s), "listpack");
    set_destroy(s);
    s = set_create_for("x", 1, 129);
    CHECK_EQ_STR(enc(s), "hashtable");
    set_destroy(s);
}

/* A copy is deep, in each encoding. */
TEST(set_dup_every_encoding)
{
    defaults();
    const char *firsts[] = {"1", "x", "x"};
    int sizes[] = {10, 10, 1000};
    const char *encs[] = {"intset", "listpack", "hashtable"};
    for (int t = 0; t < 3; t++) {
        struct set *s = set_create_for(firsts[t], 1, 1);
        char b[32];
        for (int i = 0; i < sizes[t]; i++)
            set_add(s, b, (size_t)sprintf(b, t ? "x%d" : "%d", i));
        CHECK_EQ_STR(enc(s), encs[t]);
        struct set *d = set_dup(s);
        CHECK_EQ_STR(enc(d), encs[t]);
        CHECK_EQ_INT(set_len(d), set_len(s));
        CHECK_EQ_INT(set_mem(d), set_mem(s));
        set_remove(s, b, strlen(b));
        CHECK(set_contains(d, b, strlen(b)));
        set_destroy(s);
        set_destroy(d);
    }
}

static void count_emit(void *arg, const char *p, size_t len)
{
    (void)p;
    (void)len;
    (*(long *)arg)++;
}

static void pop_and_check(const char *first, int n, int pop)
{
    struct set *s = set_create_for(first, strlen(first), 1);
    char b[32];
    for (int i = 0; i < n; i++)
        set_add(s, b, (size_t)sprintf(b, first[0] == '1' ? "%d" : "x%d", i));
    long got = 0;
    uint64_t rng = 3;
    set_pop_many(s, &rng, (size_t)pop, count_emit, &got);
    CHECK_EQ_INT(got, pop);
    CHECK_EQ_INT(set_len(s), n - pop);
    set_destroy(s);
}

TEST(set_pop_many_every_encoding_and_strategy)
{
    defaults();
    pop_and_check("1", 100, 37);      /* intset */
    pop_and_check("x", 100, 99);      /* listpack */
    pop_and_check("x", 5000, 100);    /* hashtable, one by one */
    pop_and_check("x", 5000, 4990);   /* hashtable, keep the survivors */
}

static void distinct_emit(void *arg, const char *p, size_t len)
{
    struct strset *seen = arg;
    CHECK(strset_add(seen, p, len)); /* never the same member twice */
}

TEST(set_random_many_distinct)
{
    defaults();
    const char *firsts[] = {"1", "x", "x"};
    int sizes[] = {300, 100, 3000};
    for (int t = 0; t < 3; t++) {
        struct set *s = set_create_for(firsts[t], 1, 1);
        char b[32];
        for (int i = 0; i < sizes[t]; i++)
            set_add(s, b, (size_t)sprintf(b, t ? "x%d" : "%d", i));
        int counts[] = {1, sizes[t] / 10, sizes[t] / 2, sizes[t] - 1};
        for (int k = 0; k < 4; k++) {
            struct strset seen;
            strset_init(&seen, 0);
            uint64_t rng = (uint64_t)k + 1;
            set_random_many(s, &rng, (size_t)counts[k], 0, distinct_emit, &seen);
            CHECK_EQ_INT(strset_count(&seen), counts[k]);
            strset_deinit(&seen);
        }
        set_destroy(s);
    }
}

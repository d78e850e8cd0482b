/* test_hash.c - unit tests for server/types/t_hash: the listpack/hashtable
 * conversions at the configured limits, get/set/delete against a model in
 * both encodings, values that look like integers, the type_ops row (mem,
 * len, dup, encoding), HSCAN steps, and random pairs with and without
 * repeats on every sampling path. */
#include "tests/unit/unit.h"

#include "server/core/config.h"
#include "server/core/mem.h"
#include "server/types/t_hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void limits(long long entries, long long value)
{
    cfg.hash_max_listpack_entries = entries;
    cfg.hash_max_listpack_value = value;
}

static int set_s(struct hash *h, const char *f, const char *v)
{
    return hash_set(h, f, strlen(f), v, strlen(v));
}

/* 1 if field f holds v (v NULL: f is absent). */
static int holds(struct hash *h, const char *f, const char *v)
{
    char buf[LP_INTBUF];
    size_t vlen;
    const char *got = hash_get(h, f, strlen(f), buf, &vlen);
    if (!v)
        return got == NULL && !hash_exists(h, f, strlen(f));
    return got && vlen == strlen(v) && memcmp(got, v, vlen) == 0;
}

static const char *enc_name(struct hash *h)
{
    return hash_type_ops.encoding(h);
}

TEST(starts_as_listpack_and_converts_past_entries)
{
    limits(4, 64);
    struct hash *h = hash_create();
    CHECK_EQ_STR(enc_name(h), "listpack");
    CHECK_EQ_STR(hash_type_ops.name, "hash");
    char f[24];
    for (int i = 0; i < 4; i++) {
        snprintf(f, sizeof(f), "f%d", i);
        CHECK_EQ_INT(set_s(h, f, "v"), 1);
    }
    CHECK_EQ_INT(set_s(h, "f0", "again"), 0); /* an update adds no entry */
    CHECK_EQ_STR(enc_name(h), "listpack");
    CHECK_EQ_INT(set_s(h, "f4", "v"), 1);
    CHECK_EQ_STR(enc_name(h), "hashtable");
    CHECK_EQ_INT(hash_len(h), 5);
    CHECK(holds(h, "f0", "again"));
    for (int i = 0; i < 5; i++) {
        snprintf(f, sizeof(f), "f%d", i);
        CHECK_EQ_INT(hash_delete(h, f, strlen(f)), 1);
    }
    CHECK_EQ_STR(enc_name(h), "hashtable"); /* never back */
    CHECK_EQ_INT(hash_type_ops.len(h), 0);
    hash_destroy(h);
}

TEST(converts_on_a_long_field_or_value)
{
    limits(128, 8);
    struct hash *h = hash_create();
    set_s(h, "12345678", "12345678");
    CHECK_EQ_STR(enc_name(h), "listpack");
    set_s(h, "a", "123456789");
    CHECK_EQ_STR(enc_name(h), "hashtable");
    CHECK(holds(h, "a", "123456789"));
    CHECK(holds(h, "12345678", "12345678"));
    hash_destroy(h);
    h = hash_create();
    set_s(h, "123456789", "1");
    CHECK_EQ_STR(enc_name(h), "hashtable");
    hash_destroy(h);
}

TEST(integer_looking_values_round_trip)
{
    limits(128, 64);
    const char *vals[] = {"0", "-1", "127", "-4096", "4095", "32767", "-8388608",
                          "2147483647", "9223372036854775807", "-9223372036854775808",
                          "9223372036854775808", "-0", "007", "+5", "1.0", " 1", ""};
    struct hash *h = hash_create();
    char f[24];
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        snprintf(f, sizeof(f), "k%zu", i);
        set_s(h, f, vals[i]);
        set_s(h, vals[i], f); /* as fields too */
    }
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        snprintf(f, sizeof(f), "k%zu", i);
        CHECK(holds(h, f, vals[i]));
        CHECK(holds(h, vals[i], f));
    }
    CHECK_EQ_STR(enc_name(h), "listpack");
    hash_destroy(h);
}

/* A model run crossing into "hashtable" partway. */
TEST(model_across_conversion)
{
    enum { N = 400 };
    limits(100, 64);
    struct hash *h = hash_create();
    int present[N] = {0};
    unsigned gen[N] = {0};
    unsigned long long s = 12345;
    int ok = 1;
    for (int step = 0; step < 20000 && ok; step++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        int id = (int)((s >> 33) % N), op = (int)((s >> 20) % 3);
        char f[24], v[32];
        snprintf(f, sizeof(f), "%s%d", id % 3 ? "f" : "", id); /* some integer fields */
        if (op < 2) {
            gen[id]++;
            snprintf(v, sizeof(v), (gen[id] % 2) ? "%u" : "val-%u", gen[id]);
            ok &= CHECK_EQ_INT(set_s(h, f, v), !present[id]);
            present[id] = 1;
        } else {
            ok &= CHECK_EQ_INT(hash_delete(h, f, strlen(f)), present[id]);
            present[id] = 0;
        }
        if (step % 500 == 0 || step > 19900) {
            size_t n = 0;
            for (int i = 0; i < N; i++) {
                snprintf(f, sizeof(f), "%s%d", i % 3 ? "f" : "", i);
                snprintf(v, sizeof(v), (gen[i] % 2) ? "%u" : "val-%u", gen[i]);
                ok &= CHECK(holds(h, f, present[i] ? v : NULL));
                n += (size_t)present[i];
            }
            ok &= CHECK_EQ_INT(hash_len(h), n);
        }
    }
    CHECK_EQ_STR(enc_name(h), "hashtable");
    hash_destroy(h);
}

static void count_pair(const struct hash_kv *kv, void *arg)
{
    (void)kv;
    (*(size_t *)arg)++;
}

TEST(mem_len_dup_and_scan)
{
    for (int big = 0; big < 2; big++) {
        limits(big ? 8 : 128, 64);
        struct hash *h = hash_create();
        size_t m0 = hash_type_ops.mem(h);
        CHECK(m0 >= 16);
        char f[24];
        for (int i = 0; i < 50; i++) {
            snprintf(f, sizeof(f), "field%d", i);
            set_s(h, f, "some value");
        }
        CHECK(hash_type_ops.mem(h) > m0 + 50 * 10);
        CHECK_EQ_INT(hash_type_ops.len(h), 50);
        struct hash *d = hash_type_ops.dup(h);
        CHECK_EQ_STR(enc_name(d), enc_name(h));
        CHECK_EQ_INT(hash_type_ops.mem(d), hash_type_ops.mem(h));
        set_s(d, "field0", "changed");
        CHECK(holds(h, "field0", "some value"));
        hash_delete(h, "field1", 6);
        CHECK(holds(d, "field1", "some value"));
        size_t n = 0;
        uint64_t cursor = 0;
        int steps = 0;
        do {
            cursor = hash_scan(d, cursor, count_pair, &n);
            steps++;
        } while (cursor);
        CHECK_EQ_INT(n, 50);
        CHECK(big ? steps > 1 : steps == 1); /* a listpack answers at once */
        hash_destroy(h);
        hash_destroy(d);
    }
}

struct picks {
    int count[64];
    size_t total;
};

static void pick(const struct hash_kv *kv, void *arg)
{
    struct picks *p = arg;
    char buf[16];
    memcpy(buf, kv->f + 1, kv->flen - 1);
    buf[kv->flen - 1] = '\0';
    p->count[atoi(buf)]++;
    p->total++;
    CHECK(kv->vlen == kv->flen && kv->v[0] == 'v' && memcmp(kv->v + 1, kv->f + 1, kv->flen - 1) == 0);
}

TEST(random_pairs_every_path)
{
    for (int big = 0; big < 2; big++) {
        limits(big ? 8 : 128, 64);
        struct hash *h = hash_create();
        char f[24], v[24];
        for (int i = 0; i < 60; i++) {
            snprintf(f, sizeof(f), "f%d", i);
            snprintf(v, sizeof(v), "v%d", i);
            set_s(h, f, v);
        }
        uint64_t rng = 99;
        /* distinct: count * 3 <= len (random picks), and > len (one pass) */
        for (uint64_t count = 1; count < 60; count += 7) {
            struct picks p = {{0}, 0};
            hash_random_pairs(h, count, 1, &rng, pick, &p);
            CHECK_EQ_INT(p.total, count);
            for (int i = 0; i < 60; i++)
                CHECK(p.count[i] <= 1);
        }
        /* repeats: every pair turns up */
        struct picks p = {{0}, 0};
        hash_random_pairs(h, 6000, 0, &rng, pick, &p);
        CHECK_EQ_INT(p.total, 6000);
        for (int i = 0; i < 60; i++)
            CHECK(p.count[i] > 40 && p.count[i] < 200);
        hash_destroy(h);
    }
}

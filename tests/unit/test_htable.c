/* test_htable.c - unit tests for server/keyspace/htable: insert, find,
 * remove and replace from empty to 100k entries, incremental rehashing
 * (growth and shrink) checked at every single step, SCAN's guarantee while
 * the table grows and shrinks between calls, ht_random and the eviction
 * sampler (ht_sample_*), and the bucket
 * memory counter. */
#include "tests/unit/unit.h"

#include "server/core/mem.h"
#include "server/core/rng.h"
#include "server/keyspace/htable.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------------- */

static size_t key_of(uint32_t id, char *buf)
{
    return (size_t)sprintf(buf, "key:%u", id);
}

static struct entry *make(uint32_t id, uint32_t gen)
{
    char k[32], v[48];
    size_t kl = key_of(id, k);
    size_t vl = (size_t)sprintf(v, "value-%u-generation-%u", id, gen);
    return entry_new_string(k, kl, v, vl, -1);
}

/* The id encoded in an entry's key. */
static uint32_t id_of(const struct entry *e)
{
    size_t kl;
    const char *k = entry_key(e, &kl);
    char buf[32];
    memcpy(buf, k, kl);
    buf[kl] = '\0';
    return (uint32_t)strtoul(buf + 4, NULL, 10);
}

static void insert_id(struct htable *h, uint32_t id, uint32_t gen)
{
    struct entry *e = make(id, gen);
    char k[32];
    size_t kl = key_of(id, k);
    ht_insert(h, e, ht_hash(k, kl));
}

/* The entry stored for id, or NULL. */
static struct entry *find_id(struct htable *h, uint32_t id)
{
    char k[32];
    size_t kl = key_of(id, k);
    struct ht_pos pos;
    if (!ht_find(h, k, kl, ht_hash(k, kl), &pos))
        return NULL;
    return *pos.link;
}

/* Remove and free id's entry; returns 1 if it was there. */
static int remove_id(struct htable *h, uint32_t id)
{
    char k[32];
    size_t kl = key_of(id, k);
    struct ht_pos pos;
    if (!ht_find(h, k, kl, ht_hash(k, kl), &pos))
        return 0;
    struct entry *e = ht_remove(h, &pos);
    int ok = e->next == NULL && id_of(e) == id;
    entry_free(e);
    return ok ? 1 : -1;
}

static void free_cb(struct entry *e, void *arg)
{
    (*(size_t *)arg)++;
    entry_free(e);
}

static int rehashing(const struct htable *h)
{
    return h->rehash_idx >= 0;
}

/* Bytes the bucket arrays hold, which *memctr must equal. */
static size_t bucket_bytes(struct htable *h)
{
    return mem_usable(h->t[0]) + mem_usable(h->t[1]);
}

/* How many ids in [0, n) with present[id] are missing from h, and how many
 * absent ones are found. */
static size_t count_mismatches(struct htable *h, const uint8_t *present, uint32_t n)
{
    size_t bad = 0;
    for (uint32_t id = 0; id < n; id++)
        if ((find_id(h, id) != NULL) != (present[id] != 0))
            bad++;
    return bad;
}

/* Structural invariants: used counts match the chains, each entry sits in
 * the bucket its hash selects, rehashed buckets of t[0] are empty. */
static int check_structure(struct htable *h)
{
    int ok = 1;
    for (int i = 0; i < 2; i++) {
        uint64_t n = 0;
        for (uint64_t b = 0; b < h->size[i]; b++) {
            if (i == 0 && rehashing(h) && b < (uint64_t)h->rehash_idx && h->t[0][b])
                ok = 0;
            for (struct entry *e = h->t[i][b]; e; e = e->next) {
                size_t kl;
                const char *k = entry_key(e, &kl);
                if ((ht_hash(k, kl) & (h->size[i] - 1)) != b)
                    ok = 0;
                n++;
            }
        }
        if (n != h->used[i])
            ok = 0;
    }
    if (!rehashing(h) && (h->t[1] || h->size[1] || h->used[1]))
        ok = 0;
    if (h->size[0] & (h->size[0] - 1))
        ok = 0;
    if (*h->memctr != bucket_bytes(h))
        ok = 0;
    return ok;
}

/* ---- basic operations ------------------------------------------------------ */

struct fe_arg {
    size_t *visits;
    uint8_t *seen;
    uint32_t n;
    size_t dup;
};

static void visit(struct entry *e, void *arg)
{
    struct fe_arg *a = arg;
    uint32_t id = id_of(e);
    (*a->visits)++;
    if (id >= a->n || a->seen[id]++)
        a->dup++;
}

static void basic_ops(uint32_t n)
{
    struct htable h;
    size_t mem = 0;
    ht_init(&h, &mem);
    CHECK_EQ_INT(ht_count(&h), 0);
    CHECK(find_id(&h, 0) == NULL);
    CHECK_EQ_INT(remove_id(&h, 1), 0);

    for (uint32_t id = 0; id < n; id++) {
        insert_id(&h, id, 0);
        if (ht_count(&h) != id + 1) {
            CHECK_EQ_INT(ht_count(&h), id + 1);
            break;
        }
    }
    CHECK_EQ_INT(ht_count(&h), n);
    if (n)
        CHECK(mem > 0);
    CHECK_EQ_INT(mem, bucket_bytes(&h));
    CHECK(check_structure(&h));

    /* every key found, with its own entry; absent keys not found */
    size_t bad = 0;
    for (uint32_t id = 0; id < n; id++) {
        struct entry *e = find_id(&h, id);
        if (!e || id_of(e) != id)
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
    bad = 0;
    for (uint32_t id = n; id < n + 1000; id++)
        if (find_id(&h, id))
            bad++;
    CHECK_EQ_INT(bad, 0);

    /* replace every third: same place, new value; the old one comes back */
    bad = 0;
    for (uint32_t id = 0; id < n; id += 3) {
        char k[32];
        size_t kl = key_of(id, k);
        struct ht_pos pos;
        if (!ht_find(&h, k, kl, ht_hash(k, kl), &pos)) {
            bad++;
            continue;
        }
        struct entry *old = *pos.link;
        struct entry *nw = make(id, 1);
        if (ht_replace(&h, &pos, nw) != old || old->next != NULL)
            bad++;
        entry_free(old);
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(ht_count(&h), n);
    bad = 0;
    for (uint32_t id = 0; id < n; id++) {
        struct entry *e = find_id(&h, id);
        char want[48], vb[24];
        int wl = sprintf(want, "value-%u-generation-%u", id, id % 3 == 0 ? 1u : 0u);
        size_t vl;
        const char *v = e ? entry_str(e, vb, &vl) : NULL;
        if (!v || vl != (size_t)wl || memcmp(v, want, vl))
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(check_structure(&h));

    /* remove the even ids */
    bad = 0;
    for (uint32_t id = 0; id < n; id += 2)
        if (remove_id(&h, id) != 1)
            bad++;
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(ht_count(&h), n / 2);
    bad = 0;
    for (uint32_t id = 0; id < n; id++)
        if ((find_id(&h, id) != NULL) != (id % 2 == 1))
            bad++;
    CHECK_EQ_INT(bad, 0);
    /* removing again finds nothing */
    CHECK_EQ_INT(remove_id(&h, 0), 0);
    CHECK(check_structure(&h));

    /* foreach visits each remaining entry exactly once */
    size_t visits = 0;
    struct fe_arg fe = {&visits, calloc(n + 1, 1), n, 0};
    ht_foreach(&h, visit, &fe);
    CHECK_EQ_INT(visits, n / 2);
    CHECK_EQ_INT(fe.dup, 0);
    free(fe.seen);

    size_t freed = 0;
    ht_deinit(&h, free_cb, &freed);
    CHECK_EQ_INT(freed, n / 2);
    CHECK_EQ_INT(mem, 0);
    CHECK_EQ_INT(ht_count(&h), 0);
    CHECK(find_id(&h, 1) == NULL);
}

TEST(basic_sizes)
{
    static const uint32_t sizes[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 100, 1000, 4097};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        VIA(basic_ops(sizes[i]));
}

TEST(basic_100k)
{
    VIA(basic_ops(100000));
}

TEST(reinsert_after_remove_all)
{
    struct htable h;
    size_t mem = 0;
    ht_init(&h, &mem);
    for (int round = 0; round < 3; round++) {
        for (uint32_t id = 0; id < 500; id++)
            insert_id(&h, id, (uint32_t)round);
        CHECK_EQ_INT(ht_count(&h), 500);
        size_t bad = 0;
        for (uint32_t id = 0; id < 500; id++)
            if (remove_id(&h, id) != 1)
                bad++;
        CHECK_EQ_INT(bad, 0);
        CHECK_EQ_INT(ht_count(&h), 0);
        /* an empty table has nothing to scan or sample */
        uint64_t rng = 1;
        CHECK(ht_random(&h, &rng) == NULL);
        CHECK_EQ_INT(ht_scan(&h, 0, NULL, NULL), 0);
        CHECK(check_structure(&h));
    }
    ht_deinit(&h, NULL, NULL); /* no entries left */
    CHECK_EQ_INT(mem, 0);
}

/* ---- incremental rehash ------------------------------------------------------ */

/* Step a rehash one bucket at a time, checking every key after each step. */
static void step_through(struct htable *h, const uint8_t *present, uint32_t n, size_t *steps)
{
    size_t bad = 0, badstruct = 0, overrun = 0;
    int guard = 0;
    while (rehashing(h)) {
        int64_t before = h->rehash_idx;
        uint64_t count = ht_count(h);
        int more = ht_rehash_step(h, 1);
        if (more != rehashing(h))
            bad++;
        /* one bucket moved, or at most 10 empty buckets skipped */
        if (rehashing(h) && (h->rehash_idx <= before || h->rehash_idx - before > 10))
            overrun++;
        if (ht_count(h) != count)
            bad++;
        bad += count_mismatches(h, present, n);
        if (!check_structure(h))
            badstruct++;
        (*steps)++;
        if (++guard > 10000000)
            break;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(badstruct, 0);
    CHECK_EQ_INT(overrun, 0);
    CHECK(!rehashing(h));
    CHECK_EQ_INT(ht_rehash_step(h, 1), 0); /* no-op when not rehashing */
}

TEST(rehash_growth_every_step)
{
    enum { N = 4096 };
    static uint8_t present[N];
    memset(present, 0, sizeof(present));
    struct htable h;
    size_t mem = 0;
    ht_init(&h, &mem);
    int growths = 0;
    size_t steps = 0;
    uint64_t last_size = 0;
    for (uint32_t id = 0; id < N; id++) {
        insert_id(&h, id, 0);
        present[id] = 1;
        if (rehashing(&h)) {
            growths++;
            CHECK(h.size[1] > h.size[0]);
            /* it doubles, as Redis's does: a table is half to wholly full */
            CHECK_EQ_INT(h.size[1], 2 * h.size[0]);
            CHECK(h.size[1] >= ht_count(&h));
            CHECK_EQ_INT(mem, bucket_bytes(&h));
            VIA(step_through(&h, present, id + 1, &steps));
            CHECK_EQ_INT(mem, bucket_bytes(&h));
            CHECK(h.size[0] > last_size);
            last_size = h.size[0];
        }
    }
    /* 4 -> 8 -> ... -> 4096, and 4096 keys fill it */
    CHECK_EQ_INT(growths, 10);
    CHECK_EQ_INT(h.size[0], 4096);
    CHECK(steps > 0);
    ht_deinit(&h, free_cb, &steps);
    CHECK_EQ_INT(mem, 0);
}

TEST(rehash_with_inserts_and_removes_in_between)
{
    /* inserts during a rehash go to the new table (and step it); removes
     * may hit either table; every key stays findable throughout */
    enum { N = 3000 };
    static uint8_t present[N];
    memset(present, 0, sizeof(present));
    struct htable h;
    size_t mem = 0;
    ht_init(&h, &mem);
    uint32_t next = 0;
    while (next < 1025) { /* 1025th insert grows 1024 -> 4096 */
        insert_id(&h, next, 0);
        present[next++] = 1;
        while (rehashing(&h) && next < 1025)
            ht_rehash_step(&h, 100);
    }
    CHECK(rehashing(&h));
    uint64_t rng = 12345;
    size_t bad = 0, badstruct = 0;
    int ops = 0;
    while (rehashing(&h) && next < N) {
        uint64_t r = rng_next(&rng);
        if (r % 3 == 0) {
            insert_id(&h, next, 0);
            present[next++] = 1;
        } else if (r % 3 == 1) {
            uint32_t id = (uint32_t)(rng_next(&rng) % next);
            int got = remove_id(&h, id);
            if (got != (present[id] ? 1 : 0))
                bad++;
            present[id] = 0;
        } else {
            ht_rehash_step(&h, 1);
        }
        ops++;
        if (ops % 16 == 0) {
            bad += count_mismatches(&h, present, next);
            if (!check_structure(&h))
                badstruct++;
        }
    }
    CHECK(!rehashing(&h));
    CHECK(ops > 100);
    bad += count_mismatches(&h, present, next);
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(badstruct, 0);
    CHECK(check_structure(&h));
    size_t freed = 0, want = 0;
    for (uint32_t i = 0; i < next; i++)
        want += present[i];
    ht_deinit(&h, free_cb, &freed);
    CHECK_EQ_INT(freed, want);
    CHECK_EQ_INT(mem, 0);
}

TEST(shrink_every_step)
{
    enum { N = 4000 };
    static uint8_t present[N];
    memset(present, 0, sizeof(present));
    struct htable h;
    size_t mem = 0;
    ht_init(&h, &mem);
    for (uint32_t id = 0; id < N; id++) {
        insert_id(&h, id, 0);
        present[id] = 1;
    }
    while (rehashing(&h))
        ht_rehash_step(&h, 100);
    uint64_t big = h.size[0];
    CHECK_EQ_INT(big, 4096);
    /* not sparse enough yet: no shrink */
    ht_maybe_shrink(&h);
    CHECK(!rehashing(&h));
    /* keep 1 in 50: 80 keys in 4096 buckets */
    for (uint32_t id = 0; id < N; id++)
        if (id % 50) {
            remove_id(&h, id);
            present[id] = 0;
        }
    CHECK_EQ_INT(ht_count(&h), 80);
    ht_maybe_shrink(&h);
    CHECK(rehashing(&h));
    CHECK_EQ_INT(h.size[1], 128);
    size_t steps = 0;
    VIA(step_through(&h, present, N, &steps));
    CHECK_EQ_INT(h.size[0], 128);
    CHECK_EQ_INT(ht_count(&h), 80);
    CHECK_EQ_INT(mem, bucket_bytes(&h));
    /* sparse bucket runs are cut at 10 per step, so it took many steps */
    CHECK(steps >= big / 10);
    /* 80 in 128 is not below 1/8: stays */
    ht_maybe_shrink(&h);
    CHECK(!rehashing(&h));

    /* remove all but 3: shrinks to the minimum of 4 */
    uint32_t kept = 0;
    for (uint32_t id = 0; id < N; id++)
        if (present[id] && kept++ >= 3) {
            remove_id(&h, id);
            present[id] = 0;
        }
    CHECK_EQ_INT(ht_count(&h), 3);
    ht_maybe_shrink(&h);
    CHECK(rehashing(&h));
    VIA(step_through(&h, present, N, &steps));
    CHECK_EQ_INT(h.size[0], 4);
    ht_maybe_shrink(&h); /* at the minimum: nothing */
    CHECK(!rehashing(&h));

    /* an emptied big table shrinks too */
    for (uint32_t id = N; id < N + 1000; id++) {
        insert_id(&h, id, 0);
    }
    while (rehashing(&h))
        ht_rehash_step(&h, 100);
    for (uint32_t id = N; id < N + 1000; id++)
        remove_id(&h, id);
    for (uint32_t id = 0; id < N; id++)
        if (present[id]) {
            remove_id(&h, id);
            present[id] = 0;
        }
    CHECK_EQ_INT(ht_count(&h), 0);
    ht_maybe_shrink(&h);
    CHECK(rehashing(&h));
    VIA(step_through(&h, present, N, &steps));
    CHECK_EQ_INT(h.size[0], 4);
    CHECK_EQ_INT(mem, bucket_bytes(&h));
    /* and still works */
    insert_id(&h, 7, 0);
    CHECK(find_id(&h, 7) != NULL);
    ht_deinit(&h, free_cb, &steps);
    CHECK_EQ_INT(mem, 0);
}

TEST(insert_during_shrink)
{
    /* a shrink in progress when inserts arrive: they go to the small
     * table; the rehash finishes and nothing is lost */
    enum { N = 2000 };
    static uint8_t present[N + 400];
    memset(present, 0, sizeof(present));
    struct htable h;
    size_t mem = 0;
    ht_init(&h, &mem);
    for (uint32_t id = 0; id < N; id++)
        insert_id(&h, id, 0);
    while (rehashing(&h))
        ht_rehash_step(&h, 100);
    for (uint32_t id = 0; id < N; id++) {
        if (id % 100 == 0)
            present[id] = 1;
        else
            remove_id(&h, id);
    }
    ht_maybe_shrink(&h);
    CHECK(rehashing(&h));
    CHECK(h.size[1] < h.size[0]);
    size_t bad = 0;
    for (uint32_t id = N; id < N + 400; id++) {
        insert_id(&h, id, 0);
        present[id] = 1;
        if (id % 8 == 0)
            bad += count_mismatches(&h, present, N + 400);
        if (!check_structure(&h))
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
    while (rehashing(&h))
        ht_rehash_step(&h, 1);
    CHECK_EQ_INT(count_mismatches(&h, present, N + 400), 0);
    CHECK_EQ_INT(ht_count(&h), 420);
    CHECK(check_structure(&h));
    size_t freed = 0;
    ht_deinit(&h, free_cb, &freed);
    CHECK_EQ_INT(freed, 420);
    CHECK_EQ_INT(mem, 0);
}

/* ---- SCAN ------------------------------------------------------------------- */

struct scan_state {
    uint32_t *seen; /* times each id was returned */
    uint32_t n;
    size_t bogus;
};

static void scan_cb(struct entry *e, void *arg)
{
    struct scan_state *st = arg;
    uint32_t id = id_of(e);
    if (id >= st->n)
        st->bogus++;
    else
        st->seen[id]++;
}

enum scan_mode { SCAN_GROW, SCAN_SHRINK, SCAN_MIXED, SCAN_STATIC };

/* Steps per call: 1 drives ht_scan, more drive ht_scan_n (the snapshot
 * sweep's batched, prefetching form), which must keep the same guarantee. */
static unsigned scan_batch = 1;
static size_t scan_totals[3]; /* grows, shrinks, calls that left a rehash going */

/* One full SCAN (cursor 0 back to 0) with mutations between calls; every
 * key present from start to end must be returned at least once. */
static void scan_case(enum scan_mode mode, uint32_t initial, uint64_t seed)
{
    enum { MAXID = 60000 };
    uint8_t *present = calloc(MAXID, 1);
    uint8_t *stable = calloc(MAXID, 1); /* present for the whole scan */
    uint32_t *seen = calloc(MAXID, sizeof(*seen));
    struct htable h;
    size_t mem = 0;
    ht_init(&h, &mem);
    uint32_t next = 0;
    for (; next < initial; next++) {
        insert_id(&h, next, 0);
        present[next] = stable[next] = 1;
    }
    if (mode != SCAN_MIXED)
        while (rehashing(&h))
            ht_rehash_step(&h, 1000);
    uint64_t rng = seed;
    struct scan_state st = {seen, MAXID, 0};
    uint64_t cursor = 0;
    size_t calls = 0, grows = 0, shrinks = 0, rehash_calls = 0;
    uint64_t prev_size = h.size[0];
    do {
        cursor = scan_batch > 1 ? ht_scan_n(&h, cursor, scan_batch, scan_cb, &st)
                                : ht_scan(&h, cursor, scan_cb, &st);
        calls++;
        if (rehashing(&h))
            rehash_calls++;
        switch (mode) {
        case SCAN_STATIC:
            break;
        case SCAN_GROW:
            for (unsigned i = 0; i < 6 * scan_batch && next < MAXID; i++) {
                insert_id(&h, next, 0);
                present[next++] = 1;
            }
            break;
        case SCAN_SHRINK:
            /* delete most keys that are not in the stable set */
            for (unsigned i = 0; i < 40 * scan_batch; i++) {
                uint32_t id = (uint32_t)(rng_next(&rng) % next);
                if (present[id] && !(id % 64 == 0)) {
                    remove_id(&h, id);
                    present[id] = stable[id] = 0;
                }
            }
            ht_maybe_shrink(&h);
            ht_rehash_step(&h, (int)scan_batch);
            break;
        case SCAN_MIXED: {
            int nops = (int)(rng_next(&rng) % 12 * scan_batch); /* the same rate per step */
            for (int i = 0; i < nops; i++) {
                uint64_t r = rng_next(&rng) % 10;
                if (r < 4 && next < MAXID) {
                    insert_id(&h, next, 0);
                    present[next++] = 1;
                } else if (r < 8 && next) {
                    uint32_t id = (uint32_t)(rng_next(&rng) % next);
                    if (present[id]) {
                        remove_id(&h, id);
                        present[id] = stable[id] = 0;
                    }
                } else if (r == 8) {
                    ht_maybe_shrink(&h);
                } else {
                    ht_rehash_step(&h, 1);
                }
            }
            break;
        }
        }
        if (h.size[0] > prev_size)
            grows++;
        if (h.size[0] < prev_size)
            shrinks++;
        prev_size = h.size[0];
    } while (cursor != 0 && calls < 10000000);
    CHECK_EQ_INT(cursor, 0);
    CHECK_EQ_INT(st.bogus, 0);
    size_t missed = 0, nstable = 0;
    for (uint32_t id = 0; id < MAXID; id++) {
        if (stable[id]) {
            nstable++;
            if (!seen[id]) {
                if (missed < 5)
                    fprintf(stderr, "    scan missed key:%u\n", id);
                missed++;
            }
        }
        /* never-inserted ids are never returned */
        if (id >= next && seen[id])
            st.bogus++;
    }
    CHECK_EQ_INT(missed, 0);
    CHECK_EQ_INT(st.bogus, 0);
    CHECK(nstable > 0);
    scan_totals[0] += grows;
    scan_totals[1] += shrinks;
    scan_totals[2] += rehash_calls;
    if (scan_batch == 1) { /* batched runs check these over all their cases */
        if (mode == SCAN_GROW)
            CHECK(grows >= 1);
        if (mode == SCAN_SHRINK)
            CHECK(shrinks >= 1);
        if (mode == SCAN_MIXED || mode == SCAN_SHRINK)
            CHECK(rehash_calls > 0);
    }
    if (mode == SCAN_STATIC) {
        /* nothing moved: each key exactly once */
        size_t dups = 0;
        for (uint32_t id = 0; id < next; id++)
            if (seen[id] != 1)
                dups++;
        CHECK_EQ_INT(dups, 0);
    }
    size_t freed = 0;
    ht_deinit(&h, free_cb, &freed);
    CHECK_EQ_INT(mem, 0);
    free(present);
    free(stable);
    free(seen);
}

TEST(scan_static)
{
    static const uint32_t sizes[] = {1, 3, 4, 5, 100, 1000, 5000};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        VIA(scan_case(SCAN_STATIC, sizes[i], 1));
}

TEST(scan_while_growing)
{
    static const uint32_t sizes[] = {1, 5, 100, 1000, 3000};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        VIA(scan_case(SCAN_GROW, sizes[i], 7));
}

TEST(scan_while_shrinking)
{
    static const uint32_t sizes[] = {200, 2000, 20000};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        VIA(scan_case(SCAN_SHRINK, sizes[i], 99 + i));
}

TEST(scan_while_mixed_mutations)
{
    for (uint64_t seed = 1; seed <= 40; seed++)
        VIA(scan_case(SCAN_MIXED, (uint32_t)(seed * 97 % 3000), seed));
}

/* ht_scan_n: n steps at once are n calls of ht_scan, visit for visit and
 * cursor for cursor, on a static table (every size class, batches that
 * end before, at and past the end of the scan). */
struct visit_log {
    struct entry **e;
    size_t n, cap;
};

static void log_cb(struct entry *e, void *arg)
{
    struct visit_log *l = arg;
    if (l->n < l->cap)
        l->e[l->n] = e;
    l->n++;
}

TEST(scan_n_equals_n_scans)
{
    static const uint32_t sizes[] = {1, 2, 7, 100, 1000, 5000};
    static const unsigned batches[] = {1, 2, 15, 16, 17, 33, 64, 256, 100000};
    for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
        struct htable h;
        size_t mem = 0;
        ht_init(&h, &mem);
        for (uint32_t id = 0; id < sizes[si]; id++)
            insert_id(&h, id, 0);
        while (rehashing(&h))
            ht_rehash_step(&h, 1000);
        size_t cap = sizes[si] + 1;
        struct visit_log a = {calloc(cap, sizeof(struct entry *)), 0, cap};
        struct visit_log b = {calloc(cap, sizeof(struct entry *)), 0, cap};
        for (size_t bi = 0; bi < sizeof(batches) / sizeof(batches[0]); bi++) {
            a.n = b.n = 0;
            uint64_t ca = 0, cb = 0;
            size_t calls = 0;
            do {
                cb = ht_scan_n(&h, cb, batches[bi], log_cb, &b);
                for (unsigned k = 0; k < batches[bi]; k++) {
                    ca = ht_scan(&h, ca, log_cb, &a);
                    if (!ca)
                        break;
                }
                CHECK_EQ_INT(cb, ca);
                CHECK_EQ_INT(b.n, a.n);
            } while (cb && ca && ++calls < 1000000);
            CHECK_EQ_INT(a.n, sizes[si]);
            CHECK(memcmp(a.e, b.e, a.n * sizeof(struct entry *)) == 0);
        }
        CHECK_EQ_INT(ht_scan_n(&h, 5, 0, log_cb, &b), 5); /* no steps: same cursor */
        free(a.e);
        free(b.e);
        size_t freed = 0;
        ht_deinit(&h, free_cb, &freed);
    }
}

TEST(scan_n_keeps_the_guarantee)
{
    /* small batches, so the table still grows, shrinks and rehashes
     * between calls often enough for scan_case's own checks */
    static const unsigned batches[] = {2, 3, 5};
    memset(scan_totals, 0, sizeof(scan_totals));
    for (size_t bi = 0; bi < sizeof(batches) / sizeof(batches[0]); bi++) {
        scan_batch = batches[bi];
        VIA(scan_case(SCAN_STATIC, 5000, 1));
        VIA(scan_case(SCAN_GROW, 1000, 7));
        VIA(scan_case(SCAN_SHRINK, 20000, 99));
        for (uint64_t seed = 1; seed <= 10; seed++)
            VIA(scan_case(SCAN_MIXED, (uint32_t)(seed * 97 % 3000), seed));
    }
    scan_batch = 40;
    VIA(scan_case(SCAN_STATIC, 5000, 1));
    VIA(scan_case(SCAN_GROW, 1000, 7));
    scan_batch = 1;
    CHECK(scan_totals[0] > 0);
    CHECK(scan_totals[1] > 0);
    CHECK(scan_totals[2] > 0);
}

TEST(scan_during_rehash_both_directions)
{
    /* start the scan with a growth rehash half done, and with a shrink
     * rehash half done; step the rehash one bucket per scan call */
    for (int dir = 0; dir < 2; dir++) {
        enum { N = 3000 };
        uint8_t *present = calloc(N, 1);
        uint32_t *seen = calloc(N, sizeof(*seen));
        struct htable h;
        size_t mem = 0;
        ht_init(&h, &mem);
        uint32_t n = dir == 0 ? 1025 : N;
        for (uint32_t id = 0; id < n; id++) {
            insert_id(&h, id, 0);
            present[id] = 1;
            if (dir == 0 && id < n - 1)
                while (rehashing(&h))
                    ht_rehash_step(&h, 100);
        }
        if (dir == 1) {
            while (rehashing(&h))
                ht_rehash_step(&h, 100);
            for (uint32_t id = 0; id < N; id++)
                if (id % 40) {
                    remove_id(&h, id);
                    present[id] = 0;
                }
            ht_maybe_shrink(&h);
        }
        CHECK(rehashing(&h));
        for (int i = 0; i < 40 && rehashing(&h); i++)
            ht_rehash_step(&h, 1);
        CHECK(rehashing(&h));
        struct scan_state st = {seen, N, 0};
        uint64_t cursor = 0;
        size_t calls = 0, during = 0;
        do {
            if (rehashing(&h))
                during++;
            cursor = ht_scan(&h, cursor, scan_cb, &st);
            ht_rehash_step(&h, 1);
        } while (cursor && ++calls < 1000000);
        CHECK(during > 0);
        size_t missed = 0, dups = 0;
        for (uint32_t id = 0; id < N; id++) {
            if (present[id] && !seen[id])
                missed++;
            if (!present[id] && seen[id])
                dups++;
        }
        CHECK_EQ_INT(missed, 0);
        CHECK_EQ_INT(dups, 0);
        CHECK_EQ_INT(st.bogus, 0);
        size_t freed = 0;
        ht_deinit(&h, free_cb, &freed);
        CHECK_EQ_INT(mem, 0);
        free(present);
        free(seen);
    }
}

/* ---- random ----------------------------------------------------------------- */

static void random_case_with(struct entry *(*pick)(struct htable *, uint64_t *),
                             struct htable *h, const uint8_t *present, uint32_t n, int draws);

/* The eviction sampler's two steps (ht_sample_start, then ht_sample_head). */
static struct entry *group_random(struct htable *h, uint64_t *rng)
{
    struct ht_sample sm;
    if (!ht_sample_start(h, rng, &sm))
        return NULL;
    ht_sample_prefetch(h, &sm);
    return ht_chain_pick(ht_sample_head(h, &sm, rng), rng);
}

/* Every draw of both samplers is a stored entry, and every entry is drawn. */
static void random_case(struct htable *h, const uint8_t *present, uint32_t n, int draws)
{
    for (int which = 0; which < 2; which++)
        VIA(random_case_with(which ? group_random : ht_random, h, present, n, draws));
}

static void random_case_with(struct entry *(*pick)(struct htable *, uint64_t *),
                             struct htable *h, const uint8_t *present, uint32_t n, int draws)
{
    uint64_t rng = 42;
    uint32_t *hits = calloc(n, sizeof(*hits));
    size_t absent = 0, nulls = 0, want = 0;
    for (uint32_t i = 0; i < n; i++)
        want += present[i];
    for (int i = 0; i < draws; i++) {
        struct entry *e = pick(h, &rng);
        if (!e) {
            nulls++;
            continue;
        }
        uint32_t id = id_of(e);
        /* it is present, and it is the stored entry */
        if (id >= n || !present[id] || find_id(h, id) != e)
            absent++;
        else
            hits[id]++;
    }
    CHECK_EQ_INT(nulls, 0);
    CHECK_EQ_INT(absent, 0);
    size_t never = 0;
    for (uint32_t i = 0; i < n; i++)
        if (present[i] && !hits[i])
            never++;
    CHECK_EQ_INT(never, 0);
    CHECK(want > 0);
    free(hits);
}

TEST(random_small_and_sparse)
{
    enum { N = 1000 };
    static uint8_t present[N];
    memset(present, 0, sizeof(present));
    struct htable h;
    size_t mem = 0;
    ht_init(&h, &mem);
    uint64_t rng = 5;
    CHECK(ht_random(&h, &rng) == NULL);
    CHECK(group_random(&h, &rng) == NULL);

    /* a small table: 10 keys */
    for (uint32_t id = 0; id < 10; id++) {
        insert_id(&h, id, 0);
        present[id] = 1;
    }
    VIA(random_case(&h, present, N, 5000));

    /* mid-rehash: entries in both tables */
    for (uint32_t id = 10; id < 17; id++) {
        insert_id(&h, id, 0);
        present[id] = 1;
    }
    if (CHECK(rehashing(&h)) && CHECK(h.used[0] > 0) && CHECK(h.used[1] > 0))
        VIA(random_case(&h, present, N, 5000));

    /* a sparse table: 2 keys left in a big one (no shrink) */
    for (uint32_t id = 17; id < N; id++) {
        insert_id(&h, id, 0);
        present[id] = 1;
    }
    while (rehashing(&h))
        ht_rehash_step(&h, 100);
    for (uint32_t id = 0; id < N; id++)
        if (id != 3 && id != 777) {
            remove_id(&h, id);
            present[id] = 0;
        }
    CHECK_EQ_INT(ht_count(&h), 2);
    CHECK(h.size[0] >= 1024);
    VIA(random_case(&h, present, N, 2000));

    /* one key */
    remove_id(&h, 3);
    present[3] = 0;
    VIA(random_case(&h, present, N, 100));

    /* shrink rehash in progress */
    ht_maybe_shrink(&h);
    CHECK(rehashing(&h));
    VIA(random_case(&h, present, N, 100));

    size_t freed = 0;
    ht_deinit(&h, free_cb, &freed);
    CHECK_EQ_INT(freed, 1);
    CHECK_EQ_INT(mem, 0);
}

/* ---- memory counter ------------------------------------------------------- */

TEST(memctr_tracks_bucket_arrays)
{
    struct htable h;
    size_t mem = 1000; /* the counter is shared: only deltas are applied */
    ht_init(&h, &mem);
    CHECK_EQ_INT(mem, 1000);
    insert_id(&h, 1, 0);
    CHECK_EQ_INT(mem, 1000 + bucket_bytes(&h));
#if defined(__SANITIZE_ADDRESS__)
    CHECK_EQ_INT(mem, 1000 + 4 * sizeof(void *));
#endif
    for (uint32_t id = 2; id <= 5; id++)
        insert_id(&h, id, 0);
    CHECK(rehashing(&h));
    CHECK_EQ_INT(mem, 1000 + bucket_bytes(&h));
#if defined(__SANITIZE_ADDRESS__)
    CHECK_EQ_INT(mem, 1000 + (4 + 8) * sizeof(void *));
#endif
    while (rehashing(&h))
        ht_rehash_step(&h, 1);
    CHECK_EQ_INT(mem, 1000 + bucket_bytes(&h));
    size_t freed = 0;
    ht_deinit(&h, free_cb, &freed);
    CHECK_EQ_INT(freed, 5);
    CHECK_EQ_INT(mem, 1000);
    /* deinit twice, and deinit of a never-used table, are harmless */
    ht_deinit(&h, free_cb, &freed);
    CHECK_EQ_INT(mem, 1000);

    /* deinit in the middle of a rehash frees both arrays and all entries */
    mem = 0;
    ht_init(&h, &mem);
    for (uint32_t id = 0; id < 300; id++)
        insert_id(&h, id, 0);
    CHECK(rehashing(&h));
    freed = 0;
    ht_deinit(&h, free_cb, &freed);
    CHECK_EQ_INT(freed, 300);
    CHECK_EQ_INT(mem, 0);
}

/* ---- reserve (snapshot loading) -------------------------------------------- */

TEST(reserve_sizes_once_and_only_grows)
{
    struct htable h;
    size_t mem = 0;
    ht_init(&h, &mem);
    ht_reserve(&h, 1000);
    CHECK(!rehashing(&h));
    CHECK_EQ_INT(h.size[0], 2048); /* twice the keys, a power of two */
    CHECK_EQ_INT(mem, bucket_bytes(&h));
    for (uint32_t id = 0; id < 2000; id++) { /* even 2x the hint: no resize */
        insert_id(&h, id, 0);
        CHECK(!rehashing(&h));
    }
    CHECK_EQ_INT(h.size[0], 2048);
    ht_reserve(&h, 10); /* never shrinks */
    CHECK_EQ_INT(h.size[0], 2048);
    ht_reserve(&h, 5000); /* grows a filled table through the usual rehash */
    CHECK(rehashing(&h));
    ht_reserve(&h, 100000); /* ignored while a rehash runs */
    CHECK_EQ_INT(h.size[1], 16384);
    while (rehashing(&h))
        ht_rehash_step(&h, 16);
    for (uint32_t id = 0; id < 2000; id++)
        CHECK(find_id(&h, id) != NULL);
    size_t freed = 0;
    ht_deinit(&h, free_cb, &freed);
    CHECK_EQ_INT(freed, 2000);
    CHECK_EQ_INT(mem, 0);
}

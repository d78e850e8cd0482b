/* test_keyspace.c - unit tests for server/keyspace/keyspace and shard: the
 * store/lookup/delete/expire/detach semantics with lazy expiry, the
 * volatile index, memory accounting, active expiry slices and their time
 * budget, WATCH signalling, FLUSHDB and SWAPDB. */
#include "tests/unit/unit.h"

#include "eviction/policy.h"
#include "server/core/mem.h"
#include "server/keyspace/keyspace.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSHARDS 16
#define NDB 16

/* ---- helpers ---------------------------------------------------------------- */

/* A key with its own storage (struct key only points at bytes). */
struct tkey {
    char buf[40];
    struct key k;
};

static void tkey_init(struct tkey *t, const char *fmt, unsigned n)
{
    int l = snprintf(t->buf, sizeof(t->buf), fmt, n);
    key_init(&t->k, t->buf, (size_t)l);
}

static struct entry *mk(const struct key *k, const char *val, int64_t exp)
{
    return entry_new_string(k->p, k->len, val, strlen(val), exp);
}

/* Store under the key's shard lock, as command handlers do. */
static void store(const struct ks_env *env, int db, const struct key *k, const char *val,
                  int64_t exp)
{
    shard_lock(k->s);
    ks_store(env, db, k, mk(k, val, exp));
    shard_unlock(k->s);
}

/* Look up under the lock; 1 if a live entry with value `val` (or any
 * value if val is NULL) is there. */
static int has(const struct ks_env *env, int db, const struct key *k, const char *val)
{
    shard_lock(k->s);
    struct entry *e = ks_lookup(env, db, k, KS_NOTOUCH);
    int ok = e != NULL;
    if (e && val) {
        char b[24];
        size_t l;
        const char *v = entry_str(e, b, &l);
        ok = l == strlen(val) && !memcmp(v, val, l);
    }
    shard_unlock(k->s);
    return ok;
}

static size_t bucket_bytes(struct htable *h)
{
    return mem_usable(h->t[0]) + mem_usable(h->t[1]);
}

struct sum {
    size_t mem;
    uint32_t volatile_;
};

static void sum_cb(struct entry *e, void *arg)
{
    struct sum *s = arg;
    s->mem += entry_mem(e);
    if (e->flags & E_VOLATILE)
        s->volatile_++;
}

/* shard->mem equals its bucket arrays plus its entries, and each db's
 * volatile array lists exactly its volatile entries, each knowing its
 * own index.  Caller holds the lock (or is single-threaded). */
/* The volatile-key array is accounted in the shard's memory too. */
static size_t vol_bytes(const struct db_slot *d)
{
    return mem_usable(d->vol.v);
}

static int shard_consistent(struct shard *s)
{
    size_t mem = 0;
    int ok = 1;
    for (int db = 0; db < NDB; db++) {
        struct db_slot *d = &s->db[db];
        struct sum sm = {0, 0};
        ht_foreach(&d->ht, sum_cb, &sm);
        mem += sm.mem + bucket_bytes(&d->ht) + vol_bytes(d);
        if (sm.volatile_ != d->vol.n) {
            fprintf(stderr, "    db %d: %u volatile entries, vol.n %u\n", db, sm.volatile_,
                    d->vol.n);
            ok = 0;
        }
        if (d->vol.n > d->vol.cap)
            ok = 0;
        for (uint32_t i = 0; i < d->vol.n; i++) {
            struct entry *e = d->vol.v[i];
            size_t kl;
            const char *k = entry_key(e, &kl);
            struct ht_pos pos;
            if (!(e->flags & E_VOLATILE) || entry_vol_index(e) != i ||
                !ht_find(&d->ht, k, kl, ht_hash(k, kl), &pos) || *pos.link != e) {
                fprintf(stderr, "    db %d: vol[%u] inconsistent\n", db, i);
                ok = 0;
                break;
            }
        }
    }
    if (mem != s->mem) {
        fprintf(stderr, "    shard mem %zu, computed %zu\n", s->mem, mem);
        ok = 0;
    }
    /* the database masks eviction samples by (NDB < 63: every bit exact) */
    for (int db = 0; db < NDB; db++) {
        int keys = (s->keys_dbs >> db) & 1, vol = (s->vol_dbs >> db) & 1;
        if (keys != (ht_count(&s->db[db].ht) != 0) || vol != (s->db[db].vol.n != 0)) {
            fprintf(stderr, "    db %d: mask bits keys %d vol %d, counts %llu / %u\n", db, keys,
                    vol, (unsigned long long)ht_count(&s->db[db].ht), s->db[db].vol.n);
            ok = 0;
        }
    }
    return ok;
}

static int all_consistent(void)
{
    int ok = 1;
    for (uint32_t i = 0; i < ks_nshards(); i++)
        if (!shard_consistent(ks_shard(i)))
            ok = 0;
    return ok;
}

static uint64_t total_mem(void)
{
    uint64_t m = 0;
    for (uint32_t i = 0; i < ks_nshards(); i++)
        m += ks_shard(i)->mem;
    return m;
}

static void setup(void)
{
    if (keyspace_init(NSHARDS, NDB) != 0) {
        fprintf(stderr, "keyspace_init failed\n");
        abort();
    }
}

/* ---- init ------------------------------------------------------------------- */

TEST(init_and_shards)
{
    CHECK_EQ_INT(keyspace_init(3, 16), -1); /* not a power of two */
    CHECK_EQ_INT(keyspace_init(0, 16), -1);
    setup();
    CHECK_EQ_INT(ks_nshards(), NSHARDS);
    CHECK_EQ_INT(ks_ndb(), NDB);
    /* the top 4 bits of the hash pick the shard */
    CHECK_EQ_INT(ks_shard_index(0), 0);
    CHECK_EQ_INT(ks_shard_index(~0ULL), 15);
    CHECK_EQ_INT(ks_shard_index(0x7fffffffffffffffULL), 7);
    struct tkey t;
    tkey_init(&t, "some-key-%u", 1);
    CHECK(t.k.hash == ht_hash("some-key-1", 10));
    CHECK(t.k.s == ks_shard(ks_shard_index(t.k.hash)));
    /* keys spread over every shard */
    int used[NSHARDS] = {0};
    for (unsigned i = 0; i < 1000; i++) {
        tkey_init(&t, "k%u", i);
        used[t.k.s - ks_shard(0)]++;
    }
    int empty = 0;
    for (int i = 0; i < NSHARDS; i++)
        empty += used[i] == 0;
    CHECK_EQ_INT(empty, 0);
    /* lock-set helpers */
    uint32_t idx[] = {5, 1, 5, 3, 1, 0};
    size_t n = shard_set_normalize(idx, 6);
    CHECK_EQ_INT(n, 4);
    CHECK(idx[0] == 0 && idx[1] == 1 && idx[2] == 3 && idx[3] == 5);
    shard_lock_set(idx, n);
    shard_unlock_set(idx, n);
    shard_lock_all();
    shard_unlock_all();
    for (uint32_t i = 0; i < ks_nshards(); i++)
        CHECK_EQ_INT(ks_shard(i)->mem, 0);
    keyspace_deinit();

    /* a single shard */
    CHECK_EQ_INT(keyspace_init(1, 2), 0);
    CHECK_EQ_INT(ks_shard_index(~0ULL), 0);
    tkey_init(&t, "x%u", 0);
    CHECK(t.k.s == ks_shard(0));
    keyspace_deinit();
}

/* ---- database masks (eviction sampling) ------------------------------------ */

/* The databases shard_next_db visits, as a bitmap over 0..69. */
static void visited(struct shard *s, int vol_only, uint8_t *seen)
{
    memset(seen, 0, 70);
    for (int db = shard_next_db(s, vol_only, 0); db >= 0; db = shard_next_db(s, vol_only, db + 1))
        seen[db] = 1;
}

TEST(db_masks_past_63_databases)
{
    CHECK_EQ_INT(keyspace_init(1, 70), 0);
    struct shard *s = ks_shard(0);
    struct ks_env env = {1000, NULL};
    struct tkey t;
    uint8_t seen[70];
    CHECK_EQ_INT(shard_pick_db(s, 0, 12345), -1);
    tkey_init(&t, "m%u", 0);
    store(&env, 5, &t.k, "v", -1);
    store(&env, 66, &t.k, "v", 99999);
    visited(s, 0, seen);
    CHECK(seen[5] && seen[66] && !seen[0] && !seen[63] && !seen[69]);
    visited(s, 1, seen);
    CHECK(seen[66] && !seen[5]);
    for (uint64_t r = 0; r < 200; r++) { /* every start finds one of them */
        int db = shard_pick_db(s, 0, r);
        CHECK(db == 5 || db == 66);
        CHECK_EQ_INT(shard_pick_db(s, 1, r), 66);
    }
    /* SWAPDB moves the bits with the keys */
    shard_lock(s);
    ks_swap_db_locked(s, 66, 2);
    shard_unlock(s);
    CHECK(s->keys_dbs >> 63); /* 63..69 share a bit: it stays until a scan */
    CHECK(s->vol_dbs >> 63);
    visited(s, 0, seen);
    CHECK(seen[2] && seen[5] && !seen[66]);
    visited(s, 1, seen);
    CHECK(seen[2] && !seen[66]);
    /* ... which found 63..69 empty and cleared it */
    CHECK(!(s->keys_dbs >> 63));
    CHECK(!(s->vol_dbs >> 63));
    CHECK_EQ_INT(shard_next_db(s, 0, 6), -1);
    /* deleting the last key of a database clears its bit */
    shard_lock(s);
    CHECK_EQ_INT(ks_delete(&env, 5, &t.k), 1);
    CHECK_EQ_INT(ks_delete(&env, 2, &t.k), 1);
    shard_unlock(s);
    CHECK(s->keys_dbs == 0 && s->vol_dbs == 0);
    CHECK_EQ_INT(shard_pick_db(s, 0, 7), -1);
    keyspace_deinit();
}

/* ---- store / lookup / delete ------------------------------------------------ */

TEST(store_lookup_delete)
{
    setup();
    uint64_t expired = 0;
    struct ks_env env = {1000000, &expired};
    struct tkey a, b;
    tkey_init(&a, "alpha%u", 0);
    tkey_init(&b, "beta%u", 0);

    CHECK(!has(&env, 0, &a.k, NULL));
    store(&env, 0, &a.k, "one", -1);
    CHECK(has(&env, 0, &a.k, "one"));
    CHECK(!has(&env, 1, &a.k, NULL)); /* databases are separate */
    CHECK(!has(&env, 0, &b.k, NULL));
    /* overwrite */
    store(&env, 0, &a.k, "two", -1);
    CHECK(has(&env, 0, &a.k, "two"));
    CHECK_EQ_INT(ht_count(&a.k.s->db[0].ht), 1);
    store(&env, 0, &a.k, "12345", -1); /* int encoded */
    CHECK(has(&env, 0, &a.k, "12345"));
    store(&env, 5, &a.k, "in db5", -1);
    CHECK(all_consistent());

    shard_lock(a.k.s);
    CHECK_EQ_INT(ks_delete(&env, 0, &a.k), 1);
    CHECK_EQ_INT(ks_delete(&env, 0, &a.k), 0);
    shard_unlock(a.k.s);
    shard_lock(b.k.s);
    CHECK_EQ_INT(ks_delete(&env, 0, &b.k), 0);
    shard_unlock(b.k.s);
    CHECK(!has(&env, 0, &a.k, NULL));
    CHECK(has(&env, 5, &a.k, "in db5"));
    CHECK_EQ_INT(expired, 0);
    CHECK(all_consistent());

    uint64_t keys, vol;
    ks_db_counts(5, &keys, &vol);
    CHECK_EQ_INT(keys, 1);
    CHECK_EQ_INT(vol, 0);
    ks_db_counts(0, &keys, &vol);
    CHECK_EQ_INT(keys, 0);
    keyspace_deinit();
}

TEST(store_many_and_delete_all_returns_memory)
{
    setup();
    uint64_t expired = 0;
    struct ks_env env = {5000, &expired};
    struct tkey t;
    for (unsigned i = 0; i < 20000; i++) {
        tkey_init(&t, "key:%u", i);
        store(&env, i % 3, &t.k, i % 2 ? "a value that is not an integer" : "777",
              i % 5 ? -1 : 100000 + (int64_t)i);
    }
    CHECK(all_consistent());
    uint64_t keys, vol, tk = 0, tv = 0;
    for (int db = 0; db < NDB; db++) {
        ks_db_counts(db, &keys, &vol);
        tk += keys;
        tv += vol;
    }
    CHECK_EQ_INT(tk, 20000);
    CHECK_EQ_INT(tv, 4000);
    CHECK(total_mem() > 20000 * ENTRY_HDR_SIZE);
    size_t bad = 0;
    for (unsigned i = 0; i < 20000; i++) {
        tkey_init(&t, "key:%u", i);
        shard_lock(t.k.s);
        if (ks_delete(&env, i % 3, &t.k) != 1)
            bad++;
        shard_unlock(t.k.s);
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(all_consistent());
    /* only bucket arrays (and emptied expiry arrays) remain */
    uint64_t buckets = 0;
    for (uint32_t i = 0; i < ks_nshards(); i++)
        for (int db = 0; db < NDB; db++)
            buckets += bucket_bytes(&ks_shard(i)->db[db].ht) + vol_bytes(&ks_shard(i)->db[db]);
    CHECK_EQ_INT(total_mem(), buckets);
    CHECK_EQ_INT(expired, 0);
    keyspace_deinit();
}

TEST(access_metadata)
{
    setup();
    struct ks_env env = {5000, NULL};
    struct tkey t;
    tkey_init(&t, "lru%u", 0);
    store(&env, 0, &t.k, "v", -1);
    shard_lock(t.k.s);
    env.now_ms = 9000;
    struct entry *e = ks_lookup(&env, 0, &t.k, KS_NOTOUCH);
    CHECK_EQ_INT(e->access, evict_clock(5000)); /* access clock from the store */
    e = ks_lookup(&env, 0, &t.k, KS_TOUCH);
    CHECK_EQ_INT(e->access, evict_clock(9000));
    CHECK_EQ_INT(evict_idle_ms(e, 12000), 3008 - 3008 % 16); /* 16 ms resolution */
    shard_unlock(t.k.s);
    keyspace_deinit();
}

/* ---- lazy expiry -------------------------------------------------------------- */

TEST(lazy_expiry)
{
    setup();
    uint64_t expired = 0;
    struct ks_env env = {1000, &expired};
    struct tkey t;
    tkey_init(&t, "ttl-key%u", 0);
    struct shard *s = t.k.s;

    /* the baseline: db 2's bucket array exists (it stays after deletes) */
    store(&env, 2, &t.k, "persistent", -1);
    shard_lock(s);
    ks_delete(&env, 2, &t.k);
    shard_unlock(s);
    size_t with_table = s->mem;
    CHECK_EQ_INT(with_table, bucket_bytes(&s->db[2].ht));

    store(&env, 2, &t.k, "volatile value", 1500);
    CHECK(s->mem > with_table);
    CHECK_EQ_INT(s->db[2].vol.n, 1);
    int dirty = 0;
    shard_lock(s);
    shard_watch_add(s, 2, t.k.p, t.k.len, t.k.hash, &dirty);
    shard_unlock(s);

    env.now_ms = 1499;
    CHECK(has(&env, 2, &t.k, "volatile value"));
    CHECK_EQ_INT(expired, 0);
    CHECK_EQ_INT(dirty, 0);

    /* expire <= now: gone, removed, counted, memory returned, watchers told */
    env.now_ms = 1500;
    shard_lock(s);
    CHECK(ks_lookup(&env, 2, &t.k, KS_TOUCH) == NULL);
    CHECK_EQ_INT(ht_count(&s->db[2].ht), 0);
    CHECK_EQ_INT(s->db[2].vol.n, 0);
    shard_unlock(s);
    CHECK_EQ_INT(expired, 1);
    CHECK_EQ_INT(s->mem, with_table + vol_bytes(&s->db[2]));
    CHECK_EQ_INT(dirty, 1);
    /* a second lookup is a plain miss */
    CHECK(!has(&env, 2, &t.k, NULL));
    CHECK_EQ_INT(expired, 1);

    /* ks_delete of an expired key: 0, but it is removed and counted */
    store(&env, 2, &t.k, "v", 1600);
    env.now_ms = 2000;
    shard_lock(s);
    CHECK_EQ_INT(ks_delete(&env, 2, &t.k), 0);
    CHECK_EQ_INT(ht_count(&s->db[2].ht), 0);
    /* ks_detach of an expired key: NULL, removed, counted */
    shard_unlock(s);
    store(&env, 2, &t.k, "v", 1999);
    shard_lock(s);
    CHECK(ks_detach(&env, 2, &t.k) == NULL);
    CHECK_EQ_INT(ht_count(&s->db[2].ht), 0);
    shard_unlock(s);
    CHECK_EQ_INT(expired, 3);
    CHECK_EQ_INT(s->mem, with_table + vol_bytes(&s->db[2]));

    /* expiry 0 is in the past too; a NULL counter is allowed */
    struct ks_env env2 = {1, NULL};
    store(&env2, 2, &t.k, "v", 0);
    CHECK(!has(&env2, 2, &t.k, NULL));
    CHECK(shard_consistent(s));

    shard_lock(s);
    shard_watch_remove(s, &dirty);
    CHECK_EQ_INT(s->nwatch, 0);
    shard_unlock(s);
    keyspace_deinit();
}

/* ---- eviction's deletes ------------------------------------------------------ */

/* ks_evict: one walk, keeps a key without a TTL when asked to; ks_evict_entry:
 * finds the entry by address among others of its chain, counts an expired
 * one as expired, and both signal watchers. */
TEST(evict_and_evict_entry)
{
    setup();
    uint64_t expired = 0;
    struct ks_env env = {1000, &expired};
    struct tkey t[64];
    for (unsigned i = 0; i < 64; i++) {
        tkey_init(&t[i], "ev%u", i);
        store(&env, 1, &t[i].k, "value", i % 2 ? 5000 : -1);
    }
    struct shard *s = t[0].k.s;
    int dirty = 0;
    shard_lock(s);
    shard_watch_add(s, 1, t[0].k.p, t[0].k.len, t[0].k.hash, &dirty);
    CHECK_EQ_INT(ks_evict(&env, 1, &t[0].k, 1), 0); /* persistent: volatile-* keeps it */
    CHECK_EQ_INT(dirty, 0);
    CHECK_EQ_INT(ks_evict(&env, 1, &t[0].k, 0), 1);
    CHECK_EQ_INT(ks_evict(&env, 1, &t[0].k, 0), 0); /* gone */
    CHECK_EQ_INT(dirty, 1);
    shard_unlock(s);
    shard_lock(t[1].k.s);
    CHECK_EQ_INT(ks_evict(&env, 1, &t[1].k, 1), 1);
    shard_unlock(t[1].k.s);
    CHECK(!has(&env, 1, &t[1].k, NULL));

    /* by address: every remaining key, chains of several included (64 keys
     * over 16 shards' small tables); the odd ones have expired by now */
    env.now_ms = 6000;
    int live = 0, gone = 0;
    for (unsigned i = 2; i < 64; i++) {
        struct shard *si = t[i].k.s;
        shard_lock(si);
        struct ht_pos pos;
        CHECK(ht_find(&si->db[1].ht, t[i].k.p, t[i].k.len, t[i].k.hash, &pos));
        int r = ks_evict_entry(&env, si, 1, *pos.link, t[i].k.hash);
        live += r;
        gone += !r;
        CHECK(!ht_find(&si->db[1].ht, t[i].k.p, t[i].k.len, t[i].k.hash, &pos));
        shard_unlock(si);
    }
    CHECK_EQ_INT(live, 31);
    CHECK_EQ_INT(gone, 31);
    CHECK_EQ_INT(expired, 31);
    CHECK(all_consistent());
    shard_lock(s);
    shard_watch_remove(s, &dirty);
    shard_unlock(s);
    keyspace_deinit();
}

/* ---- ks_set_expire and the volatile index -------------------------------------- */

TEST(set_expire_add_change_remove)
{
    setup();
    uint64_t expired = 0;
    struct ks_env env = {1000, &expired};
    enum { N = 300 };
    static struct tkey t[N];
    for (unsigned i = 0; i < N; i++) {
        tkey_init(&t[i], "vk%u", i);
        store(&env, 1, &t[i].k, i % 2 ? "text" : "42", -1);
    }
    CHECK(all_consistent());
    int dirty = 0;
    shard_lock(t[0].k.s);
    shard_watch_add(t[0].k.s, 1, t[0].k.p, t[0].k.len, t[0].k.hash, &dirty);
    shard_unlock(t[0].k.s);

    /* add a TTL to every key: the entry moves, vol grows */
    size_t bad = 0;
    for (unsigned i = 0; i < N; i++) {
        struct shard *s = t[i].k.s;
        shard_lock(s);
        struct entry *e = ks_lookup(&env, 1, &t[i].k, KS_NOTOUCH);
        uint32_t before = s->db[1].vol.n;
        struct entry *n = ks_set_expire(&env, 1, &t[i].k, e, 5000 + i);
        if (entry_expire(n) != 5000 + (int64_t)i || !(n->flags & E_VOLATILE) ||
            s->db[1].vol.n != before + 1 || ks_lookup(&env, 1, &t[i].k, KS_NOTOUCH) != n)
            bad++;
        shard_unlock(s);
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(all_consistent());
    CHECK_EQ_INT(dirty, 1);
    dirty = 0;
    uint64_t keys, vol;
    ks_db_counts(1, &keys, &vol);
    CHECK_EQ_INT(keys, N);
    CHECK_EQ_INT(vol, N);

    /* change: same entry, rewritten in place */
    for (unsigned i = 0; i < N; i += 3) {
        struct shard *s = t[i].k.s;
        shard_lock(s);
        struct entry *e = ks_lookup(&env, 1, &t[i].k, KS_NOTOUCH);
        uint32_t idx = entry_vol_index(e);
        size_t mem = s->mem;
        struct entry *n = ks_set_expire(&env, 1, &t[i].k, e, 9000);
        if (n != e || entry_expire(n) != 9000 || entry_vol_index(n) != idx || s->mem != mem)
            bad++;
        shard_unlock(s);
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(all_consistent());
    CHECK_EQ_INT(dirty, 1); /* key 0 changed */
    dirty = 0;

    /* remove the TTL from the even keys: entry moves, vol shrinks */
    for (unsigned i = 0; i < N; i += 2) {
        struct shard *s = t[i].k.s;
        shard_lock(s);
        struct entry *e = ks_lookup(&env, 1, &t[i].k, KS_NOTOUCH);
        uint32_t before = s->db[1].vol.n;
        struct entry *n = ks_set_expire(&env, 1, &t[i].k, e, -1);
        if (entry_expire(n) != -1 || (n->flags & E_VOLATILE) || s->db[1].vol.n != before - 1 ||
            ks_lookup(&env, 1, &t[i].k, KS_NOTOUCH) != n)
            bad++;
        /* persisting a persistent key is a no-op */
        if (ks_set_expire(&env, 1, &t[i].k, n, -1) != n)
            bad++;
        shard_unlock(s);
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(all_consistent());
    CHECK_EQ_INT(dirty, 1);
    ks_db_counts(1, &keys, &vol);
    CHECK_EQ_INT(keys, N);
    CHECK_EQ_INT(vol, N / 2);

    /* values survived every move */
    for (unsigned i = 0; i < N; i++)
        if (!has(&env, 1, &t[i].k, i % 2 ? "text" : "42"))
            bad++;
    CHECK_EQ_INT(bad, 0);
    /* and the remaining TTLs fire: odd keys at 5000+i or 9000 */
    env.now_ms = 100000;
    for (unsigned i = 0; i < N; i++)
        if (has(&env, 1, &t[i].k, NULL) != (i % 2 == 0))
            bad++;
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(expired, N / 2);
    CHECK(all_consistent());

    shard_lock(t[0].k.s);
    shard_watch_remove(t[0].k.s, &dirty);
    shard_unlock(t[0].k.s);
    keyspace_deinit();
}

TEST(set_expire_raw_value_moves)
{
    setup();
    struct ks_env env = {1000, NULL};
    struct tkey t;
    tkey_init(&t, "raw%u", 1);
    struct shard *s = t.k.s;
    shard_lock(s);
    ks_store(&env, 0, &t.k, entry_new_raw(t.k.p, t.k.len, "growable", 8, 100, -1));
    struct entry *e = ks_lookup(&env, 0, &t.k, KS_NOTOUCH);
    size_t len;
    char *buf = entry_raw_buf(e, &len);
    struct entry *n = ks_set_expire(&env, 0, &t.k, e, 50000);
    CHECK(entry_raw_buf(n, &len) == buf);
    CHECK(shard_consistent(s));
    n = ks_set_expire(&env, 0, &t.k, n, -1);
    CHECK(entry_raw_buf(n, &len) == buf);
    CHECK_EQ_INT(len, 8);
    CHECK(shard_consistent(s));
    /* an in-place append, accounted with ks_value_resized */
    size_t before = entry_mem(n);
    char *nb = xrealloc(buf, 5000);
    memcpy(nb + 8, "++", 2);
    entry_raw_set(n, nb, 10);
    ks_value_resized(s, before, entry_mem(n));
    CHECK(shard_consistent(s));
    shard_unlock(s);
    CHECK(has(&env, 0, &t.k, "growable++"));
    keyspace_deinit();
}

TEST(store_replaces_with_ttl_transitions)
{
    setup();
    uint64_t expired = 0;
    struct ks_env env = {1000, &expired};
    enum { N = 200 };
    static struct tkey t[N];
    for (unsigned i = 0; i < N; i++) {
        tkey_init(&t[i], "rep%u", i);
        store(&env, 3, &t[i].k, "first", i % 2 ? 50000 : -1);
    }
    CHECK(all_consistent());
    /* volatile->volatile, volatile->persistent, persistent->volatile,
     * persistent->persistent, with values of different sizes */
    for (unsigned i = 0; i < N; i++)
        store(&env, 3, &t[i].k, i % 3 ? "second, a longer value than before" : "2",
              i % 4 < 2 ? 60000 : -1);
    CHECK(all_consistent());
    size_t bad = 0;
    for (unsigned i = 0; i < N; i++) {
        if (!has(&env, 3, &t[i].k, i % 3 ? "second, a longer value than before" : "2"))
            bad++;
        shard_lock(t[i].k.s);
        struct entry *e = ks_lookup(&env, 3, &t[i].k, KS_NOTOUCH);
        if (entry_expire(e) != (i % 4 < 2 ? 60000 : -1))
            bad++;
        shard_unlock(t[i].k.s);
    }
    CHECK_EQ_INT(bad, 0);
    uint64_t keys, vol;
    ks_db_counts(3, &keys, &vol);
    CHECK_EQ_INT(keys, N);
    CHECK_EQ_INT(vol, N / 2);
    CHECK_EQ_INT(expired, 0);
    keyspace_deinit();
}

TEST(detach_and_restore)
{
    /* RENAME-style: detach, reshape under a new key, store */
    setup();
    struct ks_env env = {1000, NULL};
    struct tkey a, b;
    tkey_init(&a, "from%u", 0);
    tkey_init(&b, "to%u", 0);
    store(&env, 0, &a.k, "moving value", 7777);
    int dirty = 0;
    shard_lock(a.k.s);
    shard_watch_add(a.k.s, 0, a.k.p, a.k.len, a.k.hash, &dirty);
    size_t mem_before = a.k.s->mem;
    struct entry *e = ks_detach(&env, 0, &a.k);
    CHECK(e != NULL);
    CHECK_EQ_INT(dirty, 1);
    CHECK(a.k.s->mem < mem_before);
    CHECK_EQ_INT(a.k.s->db[0].vol.n, 0);
    CHECK(ks_lookup(&env, 0, &a.k, KS_NOTOUCH) == NULL);
    CHECK(ks_detach(&env, 0, &a.k) == NULL); /* already gone */
    CHECK(shard_consistent(a.k.s));
    shard_watch_remove(a.k.s, &dirty);
    shard_unlock(a.k.s);
    CHECK(e->next == NULL);

    struct entry *n = entry_reshape(e, b.k.p, b.k.len, entry_expire(e));
    entry_free_shell(e);
    uint32_t idx[2] = {(uint32_t)(a.k.s - ks_shard(0)), (uint32_t)(b.k.s - ks_shard(0))};
    size_t ni = shard_set_normalize(idx, 2);
    shard_lock_set(idx, ni);
    ks_store(&env, 0, &b.k, n);
    CHECK(shard_consistent(a.k.s));
    CHECK(shard_consistent(b.k.s));
    shard_unlock_set(idx, ni);
    CHECK(has(&env, 0, &b.k, "moving value"));
    CHECK(!has(&env, 0, &a.k, NULL));
    shard_lock(b.k.s);
    CHECK_EQ_INT(entry_expire(ks_lookup(&env, 0, &b.k, KS_NOTOUCH)), 7777);
    shard_unlock(b.k.s);

    /* detaching a persistent key */
    store(&env, 4, &a.k, "p", -1);
    shard_lock(a.k.s);
    e = ks_detach(&env, 4, &a.k);
    CHECK(shard_consistent(a.k.s));
    shard_unlock(a.k.s);
    CHECK(e != NULL);
    entry_free(e);
    keyspace_deinit();
}

/* ---- active expiry -------------------------------------------------------------- */

/* Keys that all hash to shard `want`. */
static struct tkey *keys_in_shard(uint32_t want, unsigned n)
{
    struct tkey *t = calloc(n, sizeof(*t));
    unsigned got = 0;
    for (unsigned i = 0; got < n; i++) {
        tkey_init(&t[got], "exp:%u", i);
        if (t[got].k.s == ks_shard(want))
            got++;
    }
    return t;
}

static uint32_t live_volatile(struct shard *s)
{
    uint32_t n = 0;
    for (int db = 0; db < NDB; db++)
        n += s->db[db].vol.n;
    return n;
}

TEST(active_expiry_one_shard)
{
    setup();
    struct ks_env env = {1000000, NULL};
    enum { N = 10000, LIVE = 1000 };
    struct tkey *t = keys_in_shard(0, N + LIVE);
    struct shard *s = ks_shard(0);
    /* N keys in db 0 already expired (but never looked up); LIVE keys with
     * future expiries in db 1 of the same shard */
    for (unsigned i = 0; i < N + LIVE; i++)
        store(&env, i < N ? 0 : 1, &t[i].k, "some value here",
              i < N ? 1000 + (int64_t)i : 5000000 + (int64_t)i);
    CHECK_EQ_INT(s->db[0].vol.n, N);
    CHECK_EQ_INT(s->db[1].vol.n, LIVE);
    CHECK(shard_consistent(s));
    size_t mem_full = s->mem;

    /* a zero budget still makes progress: the clock is read only every
     * 32 visits, and every visit in db 0 is an expiration */
    uint32_t quota = N / 10 + 1;
    uint64_t got = ks_expire_slice(s, env.now_ms, 0, 10);
    CHECK(got >= 32);
    CHECK_EQ_INT(got % 32, 0);
    CHECK(got < quota); /* ...and it stops long before the quota */
    CHECK_EQ_INT(s->db[0].vol.n, N - got);
    CHECK_EQ_INT(s->db[1].vol.n, LIVE);
    CHECK(shard_consistent(s));
    CHECK(s->mem < mem_full);

    /* with an ample budget, one slice reclaims every expired key: only
     * steps past live keys count against the n/10 + 1 quota */
    uint32_t before = s->db[0].vol.n;
    got = ks_expire_slice(s, env.now_ms, 1000000000, 10);
    CHECK_EQ_INT(got, before);
    CHECK_EQ_INT(s->db[0].vol.n, 0);
    CHECK(shard_consistent(s));

    /* keep slicing: every expired key goes, no live key does */
    uint64_t total = N - s->db[0].vol.n;
    int calls = 0;
    while (s->db[0].vol.n && calls < 1000) {
        total += ks_expire_slice(s, env.now_ms, 1000000000, 10);
        calls++;
    }
    CHECK_EQ_INT(total, N);
    CHECK_EQ_INT(s->db[0].vol.n, 0);
    CHECK_EQ_INT(ht_count(&s->db[0].ht), 0);
    CHECK_EQ_INT(s->db[1].vol.n, LIVE);
    CHECK_EQ_INT(ht_count(&s->db[1].ht), LIVE);
    CHECK(shard_consistent(s));
    /* further slices find nothing */
    for (int i = 0; i < 20; i++)
        CHECK_EQ_INT(ks_expire_slice(s, env.now_ms, 1000000000, 10), 0);
    size_t bad = 0;
    for (unsigned i = 0; i < N + LIVE; i++)
        if (has(&env, i < N ? 0 : 1, &t[i].k, NULL) != (i >= N))
            bad++;
    CHECK_EQ_INT(bad, 0);
    /* housekeeping slices also shrink db 0's emptied table (it held
     * 16384 buckets) and finish that rehash without any insert */
    struct htable *h = &s->db[0].ht;
    CHECK(h->rehash_idx < 0);
    CHECK(h->size[0] <= 4);
    CHECK_EQ_INT(h->size[1], 0);
    /* later expiries of live keys, at their times */
    env.now_ms = 5000000 + N + LIVE / 2 - 1; /* expire <= now: exactly half */
    got = 0;
    for (int i = 0; i < 100; i++)
        got += ks_expire_slice(s, env.now_ms, 1000000000, 10);
    CHECK_EQ_INT(got, LIVE / 2);
    CHECK_EQ_INT(s->db[1].vol.n, LIVE / 2);
    CHECK(shard_consistent(s));
    free(t);
    keyspace_deinit();
}

TEST(active_expiry_all_shards_ten_slices)
{
    /* 10,000 expired and 2,000 live keys over every shard and a few dbs;
     * slices_per_sec = 10 */
    setup();
    struct ks_env env = {2000000, NULL};
    enum { N = 10000, LIVE = 2000 };
    struct tkey *t = calloc(N + LIVE, sizeof(*t));
    for (unsigned i = 0; i < N + LIVE; i++) {
        tkey_init(&t[i], "all:%u", i);
        store(&env, (int)(i % 4), &t[i].k, "v", i < N ? 1 + (int64_t)i : 3000000);
    }
    uint64_t total = 0;
    /* a second of slices (hz 10) */
    for (int round = 0; round < 10; round++)
        for (uint32_t sh = 0; sh < ks_nshards(); sh++)
            total += ks_expire_slice(ks_shard(sh), env.now_ms, 1000000000, 10);
    CHECK(total > 0);
    CHECK(all_consistent());
    /* see the report: with mass expiry the per-slice quota shrinks with the
     * array, so ten slices do not reach every key; keep going */
    int rounds = 10;
    for (; rounds < 500; rounds++) {
        uint64_t left = 0;
        for (uint32_t sh = 0; sh < ks_nshards(); sh++)
            left += live_volatile(ks_shard(sh));
        if (left == LIVE)
            break;
        for (uint32_t sh = 0; sh < ks_nshards(); sh++)
            total += ks_expire_slice(ks_shard(sh), env.now_ms, 1000000000, 10);
    }
    CHECK(rounds < 500);
    CHECK_EQ_INT(total, N);
    size_t bad = 0;
    for (unsigned i = 0; i < N + LIVE; i++)
        if (has(&env, (int)(i % 4), &t[i].k, NULL) != (i >= N))
            bad++;
    CHECK_EQ_INT(bad, 0);
    CHECK(all_consistent());
    free(t);
    keyspace_deinit();
}

TEST(active_expiry_signals_watchers)
{
    setup();
    struct ks_env env = {1000, NULL};
    struct tkey t;
    tkey_init(&t, "watched%u", 0);
    store(&env, 7, &t.k, "v", 1500);
    int dirty = 0;
    shard_lock(t.k.s);
    shard_watch_add(t.k.s, 7, t.k.p, t.k.len, t.k.hash, &dirty);
    uint64_t d0 = t.k.s->dirty;
    shard_unlock(t.k.s);
    CHECK_EQ_INT(ks_expire_slice(t.k.s, 1499, 1000000, 10), 0);
    CHECK_EQ_INT(dirty, 0);
    CHECK_EQ_INT(ks_expire_slice(t.k.s, 1500, 1000000, 10), 1);
    CHECK_EQ_INT(dirty, 1);
    CHECK(t.k.s->dirty > d0);
    shard_lock(t.k.s);
    shard_watch_remove(t.k.s, &dirty);
    shard_unlock(t.k.s);
    keyspace_deinit();
}

/* ---- WATCH ------------------------------------------------------------------- */

TEST(signal_key_matches_db_and_key)
{
    setup();
    struct ks_env env = {1000, NULL};
    /* two different keys of the same shard */
    struct tkey *t = keys_in_shard(3, 2);
    struct shard *s = t[0].k.s;
    CHECK(t[1].k.s == s);
    int d_a0 = 0, d_a1 = 0, d_b0 = 0, d_dup = 0;
    shard_lock(s);
    shard_watch_add(s, 0, t[0].k.p, t[0].k.len, t[0].k.hash, &d_a0);
    shard_watch_add(s, 0, t[0].k.p, t[0].k.len, t[0].k.hash, &d_a0); /* once only */
    shard_watch_add(s, 1, t[0].k.p, t[0].k.len, t[0].k.hash, &d_a1);
    shard_watch_add(s, 0, t[1].k.p, t[1].k.len, t[1].k.hash, &d_b0);
    shard_watch_add(s, 0, t[0].k.p, t[0].k.len, t[0].k.hash, &d_dup);
    CHECK_EQ_INT(s->nwatch, 4);
    uint64_t dirty0 = s->dirty;

    shard_signal_key(s, 0, t[0].k.p, t[0].k.len, t[0].k.hash);
    CHECK_EQ_INT(d_a0, 1);
    CHECK_EQ_INT(d_dup, 1);
    CHECK_EQ_INT(d_a1, 0); /* other db */
    CHECK_EQ_INT(d_b0, 0); /* other key */
    CHECK_EQ_INT(s->dirty, dirty0 + 1);

    /* a key with the same hash but different bytes does not match */
    d_a0 = d_dup = 0;
    shard_signal_key(s, 0, "zzz", 3, t[0].k.hash);
    CHECK_EQ_INT(d_a0, 0);
    /* a prefix of the key does not match */
    shard_signal_key(s, 0, t[0].k.p, t[0].k.len - 1, t[0].k.hash);
    CHECK_EQ_INT(d_a0, 0);

    shard_signal_key(s, 1, t[0].k.p, t[0].k.len, t[0].k.hash);
    CHECK_EQ_INT(d_a1, 1);
    CHECK_EQ_INT(d_a0, 0);
    CHECK_EQ_INT(d_b0, 0);

    /* mutations through the keyspace signal; lookups do not */
    d_a0 = d_a1 = d_b0 = d_dup = 0;
    ks_store(&env, 0, &t[1].k, mk(&t[1].k, "x", -1));
    CHECK_EQ_INT(d_b0, 1);
    CHECK_EQ_INT(d_a0, 0);
    d_b0 = 0;
    CHECK(ks_lookup(&env, 0, &t[1].k, KS_TOUCH) != NULL);
    CHECK_EQ_INT(d_b0, 0);
    CHECK_EQ_INT(ks_delete(&env, 1, &t[1].k), 0); /* missing: no signal */
    CHECK_EQ_INT(d_b0, 0);
    CHECK_EQ_INT(ks_delete(&env, 0, &t[1].k), 1);
    CHECK_EQ_INT(d_b0, 1);
    struct entry *tmp = mk(&t[0].k, "y", -1); /* an in-place change of some entry */
    ks_modified(0, &t[0].k, tmp);
    entry_free(tmp);
    CHECK_EQ_INT(d_a0, 1);
    CHECK_EQ_INT(d_a1, 0);

    /* removing one client's watches leaves the others */
    shard_watch_remove(s, &d_a0);
    CHECK_EQ_INT(s->nwatch, 3);
    d_a0 = d_dup = 0;
    shard_signal_key(s, 0, t[0].k.p, t[0].k.len, t[0].k.hash);
    CHECK_EQ_INT(d_a0, 0);
    CHECK_EQ_INT(d_dup, 1);
    shard_unlock(s);
    free(t);
    keyspace_deinit(); /* frees the remaining watch records */
}

TEST(signal_db_marks_existing_keys_only)
{
    setup();
    struct ks_env env = {1000, NULL};
    struct tkey *t = keys_in_shard(5, 2);
    struct shard *s = t[0].k.s;
    int d_exists = 0, d_missing = 0, d_otherdb = 0;
    shard_lock(s);
    ks_store(&env, 2, &t[0].k, mk(&t[0].k, "v", -1));
    shard_watch_add(s, 2, t[0].k.p, t[0].k.len, t[0].k.hash, &d_exists);
    shard_watch_add(s, 2, t[1].k.p, t[1].k.len, t[1].k.hash, &d_missing);
    shard_watch_add(s, 3, t[0].k.p, t[0].k.len, t[0].k.hash, &d_otherdb);
    d_exists = 0;
    shard_signal_db(s, 2);
    CHECK_EQ_INT(d_exists, 1);
    CHECK_EQ_INT(d_missing, 0);
    CHECK_EQ_INT(d_otherdb, 0);
    shard_unlock(s);
    free(t);
    keyspace_deinit();
}

/* ---- FLUSHDB / SWAPDB ------------------------------------------------------ */

TEST(flush_db_frees_memory)
{
    setup();
    uint64_t expired = 0;
    struct ks_env env = {1000, &expired};
    struct tkey t;
    /* db 0 holds a few keys whose memory must survive the flush of db 9 */
    for (unsigned i = 0; i < 100; i++) {
        tkey_init(&t, "keep:%u", i);
        store(&env, 0, &t.k, "kept", i % 2 ? 99999 : -1);
    }
    uint64_t base[NSHARDS];
    for (uint32_t i = 0; i < NSHARDS; i++)
        base[i] = ks_shard(i)->mem;
    for (unsigned i = 0; i < 5000; i++) {
        tkey_init(&t, "flush:%u", i);
        store(&env, 9, &t.k, i % 2 ? "some string value" : "12", i % 3 ? 99999 : -1);
    }
    /* a RAW value too */
    tkey_init(&t, "flush-raw%u", 0);
    shard_lock(t.k.s);
    ks_store(&env, 9, &t.k, entry_new_raw(t.k.p, t.k.len, "r", 1, 4096, 123456));
    shard_unlock(t.k.s);

    int dirty_watch = 0, dirty_other = 0;
    tkey_init(&t, "flush:%u", 7);
    struct shard *ws = t.k.s;
    shard_lock(ws);
    shard_watch_add(ws, 9, t.k.p, t.k.len, t.k.hash, &dirty_watch);
    shard_watch_add(ws, 0, t.k.p, t.k.len, t.k.hash, &dirty_other);
    shard_unlock(ws);

    uint64_t flushed = 0;
    for (uint32_t i = 0; i < NSHARDS; i++) {
        struct shard *s = ks_shard(i);
        shard_lock(s);
        uint64_t d0 = s->dirty, n = ht_count(&s->db[9].ht);
        uint64_t got = ks_flush_db_locked(s, 9);
        flushed += got;
        CHECK_EQ_INT(got, n);
        CHECK_EQ_INT(s->dirty, d0 + n);
        CHECK_EQ_INT(ht_count(&s->db[9].ht), 0);
        CHECK_EQ_INT(s->db[9].vol.n, 0);
        CHECK(s->db[9].vol.v == NULL);
        /* memory back to the baseline: db 9's entries and buckets are gone */
        CHECK_EQ_INT(s->mem, base[i]);
        CHECK(shard_consistent(s));
        shard_unlock(s);
    }
    CHECK_EQ_INT(flushed, 5001);
    CHECK_EQ_INT(dirty_watch, 1);
    CHECK_EQ_INT(dirty_other, 0);
    uint64_t keys, vol;
    ks_db_counts(0, &keys, &vol);
    CHECK_EQ_INT(keys, 100);
    CHECK_EQ_INT(vol, 50);
    ks_db_counts(9, &keys, &vol);
    CHECK_EQ_INT(keys, 0);
    CHECK_EQ_INT(vol, 0);
    /* the flushed db is usable again */
    tkey_init(&t, "flush:%u", 1);
    store(&env, 9, &t.k, "again", 5000);
    CHECK(has(&env, 9, &t.k, "again"));
    CHECK(all_consistent());
    /* flushing an empty db is fine */
    shard_lock(ks_shard(0));
    CHECK_EQ_INT(ks_flush_db_locked(ks_shard(0), 15), 0);
    shard_unlock(ks_shard(0));
    CHECK_EQ_INT(expired, 0);
    keyspace_deinit();
}

TEST(swap_db)
{
    setup();
    struct ks_env env = {1000, NULL};
    struct tkey t;
    for (unsigned i = 0; i < 500; i++) {
        tkey_init(&t, "a:%u", i);
        store(&env, 0, &t.k, "in-a", i % 2 ? 50000 : -1);
    }
    for (unsigned i = 0; i < 300; i++) {
        tkey_init(&t, "b:%u", i);
        store(&env, 1, &t.k, "in-b", i % 3 ? -1 : 60000);
    }
    int d_exists = 0, d_absent = 0;
    tkey_init(&t, "a:%u", 3);
    shard_lock(t.k.s);
    shard_watch_add(t.k.s, 0, t.k.p, t.k.len, t.k.hash, &d_exists);
    shard_watch_add(t.k.s, 1, "nope", 4, ht_hash("nope", 4), &d_absent);
    shard_unlock(t.k.s);

    uint64_t mem0 = total_mem();
    shard_lock_all();
    for (uint32_t i = 0; i < NSHARDS; i++)
        ks_swap_db_locked(ks_shard(i), 0, 1);
    shard_unlock_all();
    CHECK_EQ_INT(d_exists, 1);
    CHECK_EQ_INT(d_absent, 0);
    CHECK_EQ_INT(total_mem(), mem0);
    CHECK(all_consistent());
    uint64_t keys, vol;
    ks_db_counts(0, &keys, &vol);
    CHECK_EQ_INT(keys, 300);
    CHECK_EQ_INT(vol, 100);
    ks_db_counts(1, &keys, &vol);
    CHECK_EQ_INT(keys, 500);
    CHECK_EQ_INT(vol, 250);
    size_t bad = 0;
    for (unsigned i = 0; i < 500; i++) {
        tkey_init(&t, "a:%u", i);
        if (!has(&env, 1, &t.k, "in-a") || has(&env, 0, &t.k, NULL))
            bad++;
    }
    for (unsigned i = 0; i < 300; i++) {
        tkey_init(&t, "b:%u", i);
        if (!has(&env, 0, &t.k, "in-b") || has(&env, 1, &t.k, NULL))
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
    /* the volatile index moved with its db: active expiry works on it */
    uint64_t got = 0;
    for (int r = 0; r < 200; r++)
        for (uint32_t i = 0; i < NSHARDS; i++)
            got += ks_expire_slice(ks_shard(i), 70000, 1000000000, 10);
    CHECK_EQ_INT(got, 350);
    ks_db_counts(1, &keys, &vol);
    CHECK_EQ_INT(keys, 250);
    CHECK_EQ_INT(vol, 0);
    CHECK(all_consistent());
    /* swapping a db with itself changes nothing */
    shard_lock(ks_shard(0));
    ks_swap_db_locked(ks_shard(0), 2, 2);
    shard_unlock(ks_shard(0));
    CHECK(all_consistent());
    keyspace_deinit();
}

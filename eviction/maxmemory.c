/* maxmemory.c - the memory limit and the eviction loop; see maxmemory.h.
 *
 * Sampled policies work as Redis's evict.c does since 3.0: each round
 * samples `maxmemory-samples` keys (one from each of that many random
 * shards, so the sample spans the keyspace) into a pool of the 16 best
 * candidates seen, then evicts the best candidate that still exists.  The
 * pool persists per thread between evictions, so over a run it holds
 * genuinely old (or rare) keys, which is what makes sampled LRU/LFU come
 * close to the exact ones.  Random policies skip the pool.
 *
 * Locking: called with no shard lock held.  A batch of samples holds up
 * to BATCH_SHARDS shard locks at once, taken in ascending order (shard.h
 * rule 3) and released before anything else is locked; each eviction
 * takes one shard lock for a moment.
 */
#include "eviction/maxmemory.h"

#include <stdlib.h>
#include <string.h>

#include "eviction/policy.h"
#include "server/core/clock.h"
#include "server/core/config.h"
#include "server/core/mem.h"
#include "server/core/rng.h"
#include "server/keyspace/keyspace.h"

/* Longest one command evicts before it is admitted anyway (Redis's
 * default eviction tenacity gives it about 500 us). */
#define EVICT_TIME_LIMIT_US 1000

static size_t startup;

void maxmemory_init(size_t startup_bytes)
{
    startup = startup_bytes;
}

size_t maxmemory_used(void)
{
    return startup + mem_accounted_estimate();
}

int maxmemory_exceeded(void)
{
    long long limit = CFG(maxmemory);
    return limit > 0 && maxmemory_used() > (size_t)limit;
}

#define POOL_SIZE 16
/* Keys up to this long are copied into a buffer the slot owns; longer ones
 * are allocated.  A pool insert happens on most evictions, and a malloc
 * and free per insert was ~1% of the server's CPU while evicting (Redis
 * keeps a 255-byte cached sds per slot for the same reason). */
#define POOL_KEY_INLINE 128
struct candidate {
    uint64_t score;
    uint64_t hash; /* of the key: finds duplicates and the key's shard */
    int db;
    size_t klen;
    char *key; /* NULL: empty slot; == buf, or allocated if klen > POOL_KEY_INLINE */
    char *buf; /* this slot's inline buffer: moves with the candidate */
    /* What evicting it reads, as it was when sampled: its db_slot, bucket
     * and entry.  Only ever prefetched, never read (the bucket or entry
     * may be freed by now; a prefetch of freed memory is harmless). */
    const void *hint[3];
};
static __thread struct candidate pool[POOL_SIZE]; /* ascending score */
static __thread char pool_bufs[POOL_SIZE][POOL_KEY_INLINE];

/* Give every slot its buffer (once per thread); slots only ever trade
 * them, so each buffer keeps exactly one owner. */
static void pool_init(void)
{
    if (pool[0].buf)
        return;
    for (int i = 0; i < POOL_SIZE; i++)
        pool[i].buf = pool_bufs[i];
}

static void key_release(struct candidate *c)
{
    if (c->key != c->buf)
        free(c->key);
    c->key = NULL;
}

/* Whether a key scored `score` would enter the pool (before hashing it). */
static int pool_wants(uint64_t score)
{
    return !pool[0].key || score > pool[0].score;
}

static void pool_insert(uint64_t score, uint64_t hash, int db, const char *key, size_t klen,
                        const struct db_slot *d, const struct entry *e)
{
    if (!pool_wants(score))
        return; /* no better than the worst we hold */
    for (int i = 0; i < POOL_SIZE; i++)
        if (pool[i].key && pool[i].hash == hash && pool[i].db == db && pool[i].klen == klen &&
            !memcmp(pool[i].key, key, klen)) {
            return; /* already a candidate */
        }
    key_release(&pool[0]); /* drop the worst, insert keeping the order */
    char *buf = pool[0].buf;
    int i = 0;
    while (i + 1 < POOL_SIZE && (!pool[i + 1].key || pool[i + 1].score < score)) {
        pool[i] = pool[i + 1];
        i++;
    }
    char *copy = klen <= POOL_KEY_INLINE ? memcpy(buf, key, klen) : xmemdup(key, klen);
    pool[i] = (struct candidate){score, hash, db, klen, copy, buf,
                                 {d, ht_bucket_hint(&d->ht, hash), e}};
}

/* ---- locking a batch of shards ----
 *
 * A sample costs four dependent cache misses (the shard's lock line, its
 * db_slot, a bucket, the entry), and taking a lock is a full barrier, so
 * sampling shards one at a time pays every miss in turn: that was most of
 * the server's CPU while evicting.  A batch prefetches the lines of all
 * its shards, locks them (ascending, shard.h rule 3), then walks the
 * samples stage by stage, prefetching each sample's next line before
 * reading any, so the misses of the batch overlap.  Holding up to
 * BATCH_SHARDS locks for that long is safe (no other lock is taken
 * meanwhile) and cheap (a few hundred ns over 1/128 of the default 1024
 * shards). */
#define BATCH_SHARDS 8

struct batch {
    int n;                          /* samples */
    uint32_t idx[BATCH_SHARDS];     /* shard of each sample */
    uint32_t locked[BATCH_SHARDS];  /* sorted, distinct */
    size_t nlocked;
};

/* The shards of this thread's next batch, drawn and prefetched as the
 * previous batch ends: the next eviction is a command or more away, time
 * enough for their lock lines to arrive.  The draw is as random as one
 * made later. */
static __thread uint32_t next_idx[BATCH_SHARDS];
static __thread int next_n;

/* Pick the n (<= BATCH_SHARDS) shards of a batch. */
static void batch_choose(struct batch *b, int n, uint64_t *rng)
{
    uint32_t nsh = ks_nshards();
    b->n = n;
    for (int i = 0; i < n; i++) {
        b->idx[i] = i < next_n ? next_idx[i] : (uint32_t)(rng_next(rng) % nsh);
        __builtin_prefetch(ks_shard(b->idx[i]), 1);
    }
    next_n = 0;
}

static void batch_lock(struct batch *b)
{
    b->nlocked = 0;
    for (int i = 0; i < b->n; i++) {
        uint32_t idx = b->idx[i];
        size_t j = b->nlocked; /* insertion sort, dropping repeats */
        while (j > 0 && b->locked[j - 1] > idx)
            j--;
        if (j > 0 && b->locked[j - 1] == idx)
            continue;
        memmove(&b->locked[j + 1], &b->locked[j], (b->nlocked - j) * sizeof(b->locked[0]));
        b->locked[j] = idx;
        b->nlocked++;
    }
    shard_lock_set(b->locked, b->nlocked);
}

/* Unlock, and draw and prefetch the next batch's shards. */
static void batch_unlock(struct batch *b, uint64_t *rng)
{
    shard_unlock_set(b->locked, b->nlocked);
    uint32_t nsh = ks_nshards();
    for (int i = 0; i < b->n; i++) {
        next_idx[i] = (uint32_t)(rng_next(rng) % nsh);
        __builtin_prefetch(ks_shard(next_idx[i]), 1);
    }
    next_n = b->n;
}

/* Sample one key from each of n random shards (n <= BATCH_SHARDS) into
 * the pool. */
static void pool_sample_batch(const struct ks_env *env, enum evict_policy p, int n, uint64_t *rng)
{
    int vol_only = evict_policy_volatile(p);
    uint64_t (*score)(const struct entry *, int64_t) = evict_ops_of(p)->score;
    int ndb = ks_ndb();
    struct batch b;
    struct {
        struct db_slot *d;
        int db;
        uint64_t r;
        struct ht_sample sm;
        uint32_t vi;
        struct entry *e;
    } st[BATCH_SHARDS];
    batch_choose(&b, n, rng);
    for (int i = 0; i < n; i++) { /* stage 0, unlocked: the likely database */
        struct shard *s = ks_shard(b.idx[i]);
        st[i].r = rng_next(rng);
        int db = shard_db_hint(s, vol_only, st[i].r, ndb);
        if (db >= 0)
            __builtin_prefetch(vol_only ? (void *)&s->db[db].vol : (void *)&s->db[db].ht);
    }
    batch_lock(&b);
    for (int i = 0; i < n; i++) { /* stage 1: the database (lock line) */
        struct shard *s = ks_shard(b.idx[i]);
        st[i].db = shard_pick_db(s, vol_only, st[i].r);
        st[i].d = st[i].db >= 0 ? &s->db[st[i].db] : NULL;
        if (st[i].d)
            __builtin_prefetch(vol_only ? (void *)&st[i].d->vol : (void *)&st[i].d->ht);
    }
    for (int i = 0; i < n; i++) { /* stage 2: the probed buckets (db_slot line) */
        struct db_slot *d = st[i].d;
        if (!d)
            continue;
        if (vol_only) {
            st[i].vi = (uint32_t)(rng_next(rng) % d->vol.n);
            __builtin_prefetch(&d->vol.v[st[i].vi]);
        } else if (ht_sample_start(&d->ht, rng, &st[i].sm)) {
            ht_sample_prefetch(&d->ht, &st[i].sm);
        } else {
            st[i].d = NULL; /* cannot happen: the mask said it has keys */
        }
    }
    for (int i = 0; i < n; i++) { /* stage 3: a chain head (bucket lines) */
        struct db_slot *d = st[i].d;
        if (!d)
            continue;
        st[i].e = vol_only ? d->vol.v[st[i].vi] : ht_sample_head(&d->ht, &st[i].sm, rng);
        __builtin_prefetch(st[i].e);
    }
    for (int i = 0; i < n; i++) { /* stage 4: score it (entry line) */
        if (!st[i].d)
            continue;
        struct entry *e = vol_only ? st[i].e : ht_chain_pick(st[i].e, rng);
        uint64_t sc = score(e, env->now_ms);
        if (!pool_wants(sc))
            continue;
        size_t klen;
        const char *key = entry_key(e, &klen);
        uint64_t hash = ht_hash(key, klen);
        pool_insert(sc, hash, st[i].db, key, klen, st[i].d, e);
    }
    batch_unlock(&b, rng);
}

/* A random entry of shard s (any db with keys, or volatile keys only);
 * caller holds its lock. */
static struct entry *sample_one(struct shard *s, int vol_only, uint64_t *rng, int *db_out)
{
    int db = shard_pick_db(s, vol_only, rng_next(rng));
    if (db < 0)
        return NULL;
    struct db_slot *d = &s->db[db];
    *db_out = db;
    if (vol_only)
        return d->vol.v[rng_next(rng) % d->vol.n];
    struct ht_sample sm;
    if (!ht_sample_start(&d->ht, rng, &sm))
        return NULL;
    return ht_chain_pick(ht_sample_head(&d->ht, &sm, rng), rng);
}

/* Delete e, a live entry of database db of locked shard s (hash: its
 * key's, or 0 if not known yet); 1 if deleted (0 only if it had expired:
 * it is reclaimed all the same). */
static int evict_entry_locked(const struct ks_env *env, struct shard *s, int db, struct entry *e,
                              uint64_t hash)
{
    if (!hash) {
        size_t klen;
        const char *key = entry_key(e, &klen);
        hash = ht_hash(key, klen);
    }
    return ks_evict_entry(env, s, db, e, hash);
}

/* Delete pooled candidate c if it still exists, and for a volatile-*
 * policy still has a TTL (a PERSIST since sampling makes it untouchable);
 * 1 if it was deleted. */
static int evict_candidate(const struct ks_env *env, const struct candidate *c, int vol_only)
{
    struct key k = {c->key, c->klen, c->hash, ks_shard(ks_shard_index(c->hash))};
    shard_lock(k.s);
    int n = ks_evict(env, c->db, &k, vol_only);
    shard_unlock(k.s);
    return n;
}

/* Keys shard s could give up under the policy (caller holds its lock). */
static uint64_t evictable(struct shard *s, int vol_only)
{
    uint64_t n = 0;
    for (int db = shard_next_db(s, vol_only, 0); db >= 0; db = shard_next_db(s, vol_only, db + 1))
        n += vol_only ? s->db[db].vol.n : ht_count(&s->db[db].ht);
    return n;
}

/* Evict one sampled key of shard idx right away (random policies). */
static int evict_random_from(const struct ks_env *env, uint32_t idx, int vol_only, uint64_t *rng)
{
    struct shard *s = ks_shard(idx);
    shard_lock(s);
    int db, ok = 0;
    struct entry *e = sample_one(s, vol_only, rng, &db);
    if (e)
        ok = evict_entry_locked(env, s, db, e, 0);
    shard_unlock(s);
    return ok;
}

/* Evict the best pooled candidate that still exists; 1 if one was. */
static int evict_from_pool(const struct ks_env *env, int vol_only)
{
    for (int i = POOL_SIZE - 1; i >= 0; i--) {
        if (!pool[i].key)
            continue;
        struct candidate c = pool[i];
        memmove(&pool[1], &pool[0], sizeof(pool[0]) * (size_t)i); /* keep it packed high */
        pool[0].key = NULL;
        pool[0].buf = c.buf; /* c's key stays readable until the next insert */
        int ok = evict_candidate(env, &c, vol_only);
        key_release(&c);
        if (ok)
            return 1;
    }
    return 0;
}

/* Sample `samples` random shards into the pool, a batch at a time. */
static void pool_sample(const struct ks_env *env, enum evict_policy p, int samples, uint64_t *rng)
{
    /* The best candidate is usually still the best after sampling: start
     * fetching what evicting it reads (its shard's lock line, db_slot,
     * bucket and entry) now, to arrive while the samples' misses do. */
    pool_init();
    const struct candidate *best = &pool[POOL_SIZE - 1];
    if (best->key) {
        __builtin_prefetch(ks_shard(ks_shard_index(best->hash)), 1);
        for (int i = 0; i < 3; i++)
            __builtin_prefetch(best->hint[i], 1);
    }
    for (int left = samples; left > 0; left -= BATCH_SHARDS)
        pool_sample_batch(env, p, left < BATCH_SHARDS ? left : BATCH_SHARDS, rng);
}

/* Sample shard idx into the pool; 1 if it had a candidate. */
static int pool_sample_shard(const struct ks_env *env, enum evict_policy p, uint32_t idx,
                             uint64_t *rng)
{
    struct shard *s = ks_shard(idx);
    pool_init();
    shard_lock(s);
    int db;
    struct entry *e = sample_one(s, evict_policy_volatile(p), rng, &db);
    if (e) {
        size_t klen;
        const char *key = entry_key(e, &klen);
        uint64_t hash = ht_hash(key, klen);
        pool_insert(evict_ops_of(p)->score(e, env->now_ms), hash, db, key, klen, &s->db[db], e);
    }
    shard_unlock(s);
    return e != NULL;
}

/* Evict the queued policy's victim from shard idx (any db with keys);
 * 1 if a key was deleted. */
static int evict_queued_from(const struct ks_env *env, uint32_t idx, uint64_t *rng)
{
    struct shard *s = ks_shard(idx);
    int ok = 0;
    shard_lock(s);
    int start = (int)(rng_next(rng) % (uint64_t)ks_ndb());
    for (int pass = 0; pass < 2 && !ok; pass++) /* dbs from a random start, wrapping */
        for (int db = shard_next_db(s, 0, pass ? 0 : start); db >= 0 && (!pass || db < start) && !ok;
             db = shard_next_db(s, 0, db + 1)) {
            uint64_t hash = 0; /* 0: the policy did not hash the key (a real 0 is rehashed) */
            struct entry *e = evict_queue_victim(s, &s->db[db], &hash);
            if (e)
                ok = evict_entry_locked(env, s, db, e, hash);
        }
    shard_unlock(s);
    return ok;
}

/* The fullest of `samples` random shards (by evictable keys), or -1. */
static long fullest_shard(int samples, int vol_only, uint64_t *rng)
{
    long best = -1;
    uint64_t best_n = 0;
    for (int left = samples; left > 0; left -= BATCH_SHARDS) {
        struct batch b;
        batch_choose(&b, left < BATCH_SHARDS ? left : BATCH_SHARDS, rng);
        batch_lock(&b);
        for (int i = 0; i < b.n; i++) {
            uint64_t n = evictable(ks_shard(b.idx[i]), vol_only);
            if (n > best_n) {
                best_n = n;
                best = b.idx[i];
            }
        }
        batch_unlock(&b, rng);
    }
    return best;
}

/* For queued policies: of `samples` random shards, the one whose next
 * victim is coldest (a one-hit key over a key that earned a second
 * chance), the fullest among equals; -1 if all are empty.  Per-shard
 * queues are exact but small (a shard holds 1/shards of the budget), so
 * choosing where to evict by what would be evicted keeps the whole close
 * to one big queue's choice; by key count alone, a shard holding a few
 * hot keys would give them up as readily as a shard full of cold ones. */
static long coldest_shard(int samples, uint64_t *rng)
{
    long best = -1;
    uint64_t best_key = 0;
    for (int left = samples; left > 0; left -= BATCH_SHARDS) {
        struct batch b;
        batch_choose(&b, left < BATCH_SHARDS ? left : BATCH_SHARDS, rng);
        batch_lock(&b);
        uint32_t gen = evict_generation();
        struct evict_queue *q[BATCH_SHARDS];
        for (int i = 0; i < b.n; i++) { /* the first queue of each (lock line) */
            struct shard *s = ks_shard(b.idx[i]);
            int db = shard_next_db(s, 0, 0);
            q[i] = db >= 0 ? &s->db[db].evq : NULL;
            if (q[i]) { /* 80 bytes: may span two lines */
                __builtin_prefetch(q[i]);
                __builtin_prefetch((const char *)(q[i] + 1) - 1);
            }
        }
        for (int i = 0; i < b.n; i++) /* its oldest slots (queue line) */
            if (q[i] && q[i]->gen == gen)
                evq_prefetch_slots(q[i]);
        for (int i = 0; i < b.n; i++) /* the entries in them (ring lines) */
            if (q[i] && q[i]->gen == gen)
                evq_prefetch_entries(q[i]);
        for (int i = 0; i < b.n; i++) {
            struct shard *s = ks_shard(b.idx[i]);
            unsigned cold = 0;
            uint64_t n = 0;
            for (int db = shard_next_db(s, 0, 0); db >= 0; db = shard_next_db(s, 0, db + 1)) {
                unsigned cd = evict_queue_coldness(s, &s->db[db]);
                cold = cd > cold ? cd : cold;
                n += ht_count(&s->db[db].ht);
            }
            uint64_t key = ((uint64_t)cold << 48) | (n & 0xffffffffffffULL);
            if (cold && key > best_key) {
                best_key = key;
                best = b.idx[i];
            }
        }
        batch_unlock(&b, rng);
    }
    return best;
}

/* One eviction; returns 1 if a key was freed, 0 if nothing is evictable.
 * Random and queued policies take a key from the fullest of `samples`
 * random shards: picking a shard uniformly would drain small shards first
 * (each shard's count is a random walk), leaving samples that hit empty
 * shards, and for queued policies it keeps every shard's queue at the
 * same share of the budget, so per-shard queues behave like one. */
static int evict_one(const struct ks_env *env, enum evict_policy p, uint64_t *rng)
{
    uint32_t nsh = ks_nshards();
    int vol_only = evict_policy_volatile(p);
    unsigned kind = evict_ops_of(p)->flags;
    int random = (kind & EPF_RANDOM) != 0, queued = (kind & EPF_QUEUE) != 0;
    int samples = (int)CFG(maxmemory_samples);
    for (int round = 0; round < 8; round++) {
        if (queued) {
            long best = coldest_shard(samples, rng);
            if (best >= 0 && evict_queued_from(env, (uint32_t)best, rng))
                return 1;
            continue;
        }
        if (random) {
            long best = fullest_shard(samples, vol_only, rng);
            if (best >= 0 && evict_random_from(env, (uint32_t)best, vol_only, rng))
                return 1;
            continue;
        }
        pool_sample(env, p, samples, rng);
        if (evict_from_pool(env, vol_only))
            return 1;
    }
    /* Samples kept missing: walk every shard once before answering that
     * nothing can be evicted (a nearly empty, or all-persistent, keyspace). */
    uint32_t start = (uint32_t)(rng_next(rng) % nsh);
    for (uint32_t k = 0; k < nsh; k++) {
        uint32_t idx = (start + k) % nsh;
        if (queued ? evict_queued_from(env, idx, rng)
            : random ? evict_random_from(env, idx, vol_only, rng)
                     : (pool_sample_shard(env, p, idx, rng) && evict_from_pool(env, vol_only)))
            return 1;
    }
    return 0;
}

void maxmemory_thread_exit(void)
{
    for (int i = 0; i < POOL_SIZE; i++)
        if (pool[i].key)
            key_release(&pool[i]);
}

int maxmemory_make_room(const struct ks_env *env, uint64_t *rng, uint64_t *evicted)
{
    if (!maxmemory_exceeded())
        return 1;
    enum evict_policy p = evict_policy();
    if (p == EP_NOEVICTION)
        return 0;
    /* Bound the time one command spends evicting.  As in Redis's
     * performEvictions, running out of time while evictions still succeed
     * admits the command (a writer far over the limit, say after CONFIG SET
     * lowered it, frees the rest over the next commands); only finding
     * nothing to evict answers OOM.  Policy state may grow while evicting
     * (a ghost or a queue reaching a new size class), so a fixed count of
     * evictions could end over the limit with plenty still evictable. */
    /* The clock starts after the first 16 evictions: most commands need
     * one or two, and reading it was 2% of the CPU while evicting. */
    int64_t start = 0;
    for (uint32_t n = 1; maxmemory_exceeded(); n++) {
        if (!evict_one(env, p, rng))
            return !maxmemory_exceeded();
        if (evicted)
            __atomic_store_n(evicted, *evicted + 1, __ATOMIC_RELAXED);
        if ((n & 15) == 0) {
            if (!start)
                start = clock_mono_us();
            else if (clock_mono_us() - start > EVICT_TIME_LIMIT_US)
                return 1;
        }
    }
    return 1;
}

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
 * Locking: called with no shard lock held; each sample and each eviction
 * takes one shard lock for a moment (shard.h rules hold trivially).
 */
#include "eviction/maxmemory.h"

#include <stdlib.h>
#include <string.h>

#include "eviction/policy.h"
#include "persistence/snapshot.h"
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
struct candidate {
    uint64_t score;
    uint32_t shard;
    int db;
    size_t klen;
    char *key; /* NULL: empty slot */
};
static __thread struct candidate pool[POOL_SIZE]; /* ascending score */

static void pool_insert(uint64_t score, uint32_t shard, int db, const char *key, size_t klen)
{
    if (pool[0].key && score <= pool[0].score)
        return; /* no better than the worst we hold */
    for (int i = 0; i < POOL_SIZE; i++)
        if (pool[i].key && pool[i].db == db && pool[i].klen == klen &&
            !memcmp(pool[i].key, key, klen)) {
            return; /* already a candidate */
        }
    free(pool[0].key); /* drop the worst, insert keeping the order */
    int i = 0;
    while (i + 1 < POOL_SIZE && (!pool[i + 1].key || pool[i + 1].score < score)) {
        pool[i] = pool[i + 1];
        i++;
    }
    pool[i] = (struct candidate){score, shard, db, klen, xmemdup(key, klen)};
}

/* A random entry of shard s (any db with keys, or volatile keys only). */
static struct entry *sample_one(struct shard *s, int vol_only, uint64_t *rng, int *db_out)
{
    int db = shard_pick_db(s, vol_only, rng_next(rng));
    if (db < 0)
        return NULL;
    struct db_slot *d = &s->db[db];
    *db_out = db;
    return vol_only ? d->vol.v[rng_next(rng) % d->vol.n] : ht_random(&d->ht, rng);
}

/* Delete key (db) of shard idx if it still exists, and for a volatile-*
 * policy still has a TTL (a PERSIST since sampling makes it untouchable);
 * 1 if it was deleted. */
static int evict_key(const struct ks_env *env, uint32_t idx, int db, const char *key, size_t klen,
                     int vol_only)
{
    struct key k;
    key_init(&k, key, klen);
    if (ks_shard_index(k.hash) != idx)
        return 0;
    shard_lock(k.s);
    snapshot_guard(k.s); /* a snapshot in progress keeps the evicted key */
    struct entry *e = ks_lookup(env, db, &k, KS_NOTOUCH);
    int n = e && (!vol_only || (e->flags & E_VOLATILE)) ? ks_delete(env, db, &k) : 0;
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
    int db;
    struct entry *e = sample_one(s, vol_only, rng, &db);
    if (!e) {
        shard_unlock(s);
        return 0;
    }
    size_t klen;
    const char *key = entry_key(e, &klen);
    char *copy = xmemdup(key, klen);
    shard_unlock(s);
    int ok = evict_key(env, idx, db, copy, klen, vol_only);
    free(copy);
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
        int ok = evict_key(env, c.shard, c.db, c.key, c.klen, vol_only);
        free(c.key);
        if (ok)
            return 1;
    }
    return 0;
}

/* Sample shard idx into the pool; 1 if it had a candidate. */
static int pool_sample(const struct ks_env *env, enum evict_policy p, uint32_t idx, uint64_t *rng)
{
    struct shard *s = ks_shard(idx);
    shard_lock(s);
    int db;
    struct entry *e = sample_one(s, evict_policy_volatile(p), rng, &db);
    if (e) {
        size_t klen;
        const char *key = entry_key(e, &klen);
        pool_insert(evict_ops_of(p)->score(e, env->now_ms), idx, db, key, klen);
    }
    shard_unlock(s);
    return e != NULL;
}

/* Evict the queued policy's victim from shard idx (any db with keys);
 * 1 if a key was deleted. */
static int evict_queued_from(const struct ks_env *env, uint32_t idx, uint64_t *rng)
{
    struct shard *s = ks_shard(idx);
    int start = (int)(rng_next(rng) % (uint64_t)ks_ndb()), ok = 0;
    shard_lock(s);
    for (int pass = 0; pass < 2 && !ok; pass++) /* dbs from a random start, wrapping */
        for (int db = shard_next_db(s, 0, pass ? 0 : start); db >= 0 && (!pass || db < start) && !ok;
             db = shard_next_db(s, 0, db + 1)) {
            struct entry *e = evict_queue_victim(s, &s->db[db]);
            if (!e)
                continue;
            size_t klen;
            const char *key = entry_key(e, &klen);
            struct key kk;
            key_init(&kk, key, klen);
            snapshot_guard(s);
            ok = ks_delete(env, db, &kk);
        }
    shard_unlock(s);
    return ok;
}

/* The fullest of `samples` random shards (by evictable keys), or -1. */
static long fullest_shard(int samples, int vol_only, uint64_t *rng)
{
    uint32_t nsh = ks_nshards();
    long best = -1;
    uint64_t best_n = 0;
    for (int i = 0; i < samples; i++) {
        uint32_t idx = (uint32_t)(rng_next(rng) % nsh);
        struct shard *s = ks_shard(idx);
        shard_lock(s);
        uint64_t n = evictable(s, vol_only);
        shard_unlock(s);
        if (n > best_n) {
            best_n = n;
            best = idx;
        }
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
    uint32_t nsh = ks_nshards();
    long best = -1;
    uint64_t best_key = 0;
    for (int i = 0; i < samples; i++) {
        uint32_t idx = (uint32_t)(rng_next(rng) % nsh);
        struct shard *s = ks_shard(idx);
        shard_lock(s);
        unsigned cold = 0;
        uint64_t n = 0;
        for (int db = shard_next_db(s, 0, 0); db >= 0; db = shard_next_db(s, 0, db + 1)) {
            uint64_t c = ht_count(&s->db[db].ht);
            unsigned cd = evict_queue_coldness(s, &s->db[db]);
            cold = cd > cold ? cd : cold;
            n += c;
        }
        shard_unlock(s);
        uint64_t key = ((uint64_t)cold << 48) | (n & 0xffffffffffffULL);
        if (cold && key > best_key) {
            best_key = key;
            best = idx;
        }
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
        for (int i = 0; i < samples; i++)
            pool_sample(env, p, (uint32_t)(rng_next(rng) % nsh), rng);
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
                     : (pool_sample(env, p, idx, rng) && evict_from_pool(env, vol_only)))
            return 1;
    }
    return 0;
}

void maxmemory_thread_exit(void)
{
    for (int i = 0; i < POOL_SIZE; i++) {
        free(pool[i].key);
        pool[i].key = NULL;
    }
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
    int64_t start = clock_mono_us();
    for (uint32_t n = 1; maxmemory_exceeded(); n++) {
        if (!evict_one(env, p, rng))
            return !maxmemory_exceeded();
        if (evicted)
            __atomic_store_n(evicted, *evicted + 1, __ATOMIC_RELAXED);
        if ((n & 15) == 0 && clock_mono_us() - start > EVICT_TIME_LIMIT_US)
            return 1;
    }
    return 1;
}

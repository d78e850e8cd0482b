/* shard.h - the sharded keyspace: storage, locks, memory and watch state.
 *
 * LOCKING RULES (every caller follows these; nothing else protects keys):
 *  1. Every key lives in exactly one shard: shard_of(hash) takes the top
 *     bits of the key's xxh3 hash; the same hash's low bits pick the bucket.
 *     All databases of a key's shard live under that one lock, so MOVE,
 *     COPY ... DB and SWAPDB never need a second shard for the same key.
 *  2. Any read or write of a shard's tables, volatile index, memory counter
 *     (writes), dirty counter or watch list happens with shard->lock held.
 *     Functions that need it say "_locked" or "caller holds the lock".
 *  3. A command touching several shards locks them in ascending index
 *     order (shard_lock_set); so does EXEC for its whole transaction.  No
 *     code path takes a shard lock while holding a higher-numbered one, so
 *     there is no lock-order cycle and no deadlock.
 *  4. Only leaf locks may be taken while a shard lock is held: the config
 *     lock, the client registry lock and the log lock (CONFIG, CLIENT and
 *     INFO can run inside EXEC).  Leaf-lock holders never take a shard
 *     lock, so the order shard -> leaf is never reversed.  A client's watch
 *     flag is a lone atomic, not a lock.
 *  5. Counters read by INFO without the lock (mem, count) are written with
 *     relaxed atomic stores and read with relaxed loads: INFO may be a
 *     moment stale, never torn.
 */
#ifndef CACHET_SHARD_H
#define CACHET_SHARD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "eviction/queue.h"
#include "server/keyspace/blocked.h"
#include "server/core/mem.h"
#include "server/keyspace/htable.h"

/* Volatile keys of one (shard, db): a dense array the active-expiry sweep
 * walks; each volatile entry stores its index (entry_vol_index). */
struct vol_array {
    struct entry **v;
    uint32_t n, cap;
    uint32_t cursor; /* active-expiry sweep position */
};

struct db_slot {
    struct htable ht;
    struct vol_array vol;
    struct evict_queue evq; /* queued eviction policies' state (eviction/) */
    /* the database this slot was at the instant of the save in progress;
     * its own index whenever the shard is not pending (SWAPDB, snapshot.h) */
    int snap_db;
};

/* One WATCH of one key by one client.  `dirty` is the client's flag. */
struct watch_rec {
    struct watch_rec *next;
    int db;
    uint64_t hash;
    size_t klen;
    char *key;
    int *dirty;
};

struct shard {
    pthread_mutex_t lock;
    struct db_slot *db; /* [databases] */
    /* Which databases hold keys / volatile keys (shard_db_update), so
     * eviction finds one without reading every db_slot.  Same line as the
     * lock: a sampler pays one miss for both. */
    uint64_t keys_dbs, vol_dbs;
    size_t mem;         /* entries + bucket arrays, bytes */
    uint64_t dirty;     /* writes since start (for save points / INFO) */
    struct watch_rec *watches;
    uint32_t nwatch;
    int expire_db; /* where the next active-expiry slice starts */
    /* databases whose table the active-expiry slice must still resize or
     * shrink although they may hold no keys (bit 63: 63 and up); set by
     * that slice and by shard_db_update when a db empties, under the lock */
    uint64_t resize_dbs;
    uint64_t cas_seq; /* memcached CAS uniques handed out by this shard */
    struct brec *bhead, *btail; /* clients blocked on keys here (blocked.h) */
    uint32_t nblocked;
    /* snapshot state (persistence/snapshot.h): the save in progress still
     * needs entries of this shard as they were; an entry whose E_SNAP bit
     * equals snap_mark is settled (saved already, or newer than the save);
     * old versions saved by writers, waiting for the snapshot thread */
    int snap_pending;
    int snap_rescan; /* SWAPDB moved tables: the sweep starts this shard over */
    uint8_t snap_mark;
    struct snap_capture *snap_cap;
    /* a big value the snapshot thread is saving in parts (snapshot.c);
     * a writer that saves it first ends that walk */
    struct snap_walk *snap_walk;
    /* set while the snapshot thread holds the lock at idle priority: a
     * thread that finds the lock taken raises it (server/core/prio.h) */
    int idle_holder;
} __attribute__((aligned(64)));

int keyspace_init(int nshards, int databases);
void keyspace_deinit(void);

uint32_t ks_nshards(void);
/* Bytes of the shard array and per-shard database slots (fixed at start). */
size_t ks_static_bytes(void);
int ks_ndb(void);
struct shard *ks_shard(uint32_t i);
uint32_t ks_shard_index(uint64_t hash);

/* Taken: wait, after raising the snapshot thread if it is the holder
 * (prio.h).  The uncontended path is the same one atomic as a plain lock. */
void shard_lock_wait(struct shard *s);
static inline void shard_lock(struct shard *s)
{
    if (__builtin_expect(pthread_mutex_trylock(&s->lock) != 0, 0))
        shard_lock_wait(s);
}
static inline void shard_unlock(struct shard *s) { pthread_mutex_unlock(&s->lock); }
/* Lock/unlock a sorted, duplicate-free list of shard indexes (rule 3). */
void shard_lock_set(const uint32_t *idx, size_t n);
void shard_unlock_set(const uint32_t *idx, size_t n);
void shard_lock_all(void);
void shard_unlock_all(void);
/* Sort and dedupe an index list in place; returns the new length. */
size_t shard_set_normalize(uint32_t *idx, size_t n);

static inline void shard_mem_add(struct shard *s, long long delta)
{
    __atomic_store_n(&s->mem, s->mem + (size_t)delta, __ATOMIC_RELAXED);
    mem_account(delta);
}

/* Volatile index maintenance (caller holds the lock); the array's memory
 * is accounted in s->mem. */
void vol_add(struct shard *s, struct vol_array *v, struct entry *e);
void vol_remove(struct shard *s, struct vol_array *v, struct entry *e);
void vol_replace(struct vol_array *v, struct entry *old, struct entry *n);

/* Database masks (caller holds the lock).  Bit d of keys_dbs / vol_dbs
 * says database d has keys / volatile keys, for d below 63; bit 63 stands
 * for databases 63 and up together, and may stay set after they empty
 * (clearing it would take a scan of them; shard_next_db clears it when a
 * scan finds them empty), so the update is O(1) for any `databases`.
 * shard_db_update(s, db) must follow every change of db's key count or
 * volatile count (keyspace.c does it). */
void shard_db_update(struct shard *s, int db);
/* Without the lock: the database shard_pick_db(s, vol_only, r) will most
 * likely return (or -1), so a sampler can prefetch its db_slot before
 * locking.  Only a hint: the masks are written under the lock with
 * relaxed atomic stores, and may change before the lock is taken. */
static inline int shard_db_hint(const struct shard *s, int vol_only, uint64_t r, int ndb)
{
    uint64_t m = __atomic_load_n(vol_only ? &s->vol_dbs : &s->keys_dbs, __ATOMIC_RELAXED);
    if (!m)
        return -1;
    int start = (int)(r % (uint64_t)ndb);
    uint64_t after = start < 63 ? m & (~0ULL << start) : m & (1ULL << 63);
    return __builtin_ctzll(after ? after : m);
}
/* The first database >= from with keys (vol_only: volatile keys), or -1. */
int shard_next_db(struct shard *s, int vol_only, int from);
/* A database with keys (vol_only: volatile keys), the first at or after
 * a random start, wrapping; -1 if none. */
int shard_pick_db(struct shard *s, int vol_only, uint64_t r);

/* WATCH support (caller holds the lock). */
void shard_watch_add(struct shard *s, int db, const char *key, size_t klen, uint64_t hash,
                     int *dirty);
void shard_watch_remove(struct shard *s, int *dirty);
/* Mark watchers of this key dirty. */
void shard_signal_key(struct shard *s, int db, const char *key, size_t klen, uint64_t hash);
/* Mark watchers of keys that exist in db dirty (FLUSHDB, SWAPDB). */
void shard_signal_db(struct shard *s, int db);

#endif

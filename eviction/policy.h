/* policy.h - the eviction policy interface.
 *
 * Owns: what `entry->access` means, which policy is active, and the hooks
 * the keyspace calls (and nothing else policy-specific):
 *
 *     evict_on_insert   a new key stored
 *     evict_on_access   a key read or written
 *     evict_on_replace  a key's entry reallocated (the new one inherits)
 *     evict_on_remove   a key deleted, expired or evicted
 *     evict_on_flush    a database emptied
 *
 * Each policy is one file defining a `struct evict_ops` (lru.c, lfu.c,
 * fifo.c, random.c, ttl.c, sieve.c, s3fifo.c).  Two kinds:
 *   - sampled (LRU, LFU, FIFO, TTL, random): the policy keeps 32 bits in
 *     the entry and scores it; maxmemory.c samples keys and evicts the
 *     best-scored, as Redis does.  No per-key cost beyond `access`.
 *   - queued (SIEVE, S3-FIFO): exact per-(shard, db) queues (queue.h) and
 *     a victim() that walks them; 8-16 B per key for the queue.
 * All policy state is per shard and touched under its lock: eviction
 * needs no global lock.
 *
 * Switching policy at run time bumps a generation; a queue built under an
 * older generation is rebuilt from its table the first time a hook or an
 * eviction needs it (sampled policies reinterpret old `access` values and
 * settle within a few evictions, as Redis's LRU<->LFU switch does).
 */
#ifndef CACHET_EVICTION_POLICY_H
#define CACHET_EVICTION_POLICY_H

#include <stdint.h>

#include "eviction/queue.h"
#include "server/keyspace/entry.h"

enum evict_policy {
    EP_NOEVICTION = 0,
    EP_ALLKEYS_LRU,
    EP_ALLKEYS_LFU,
    EP_ALLKEYS_RANDOM,
    EP_ALLKEYS_FIFO,
    EP_VOLATILE_LRU,
    EP_VOLATILE_LFU,
    EP_VOLATILE_RANDOM,
    EP_VOLATILE_FIFO,
    EP_VOLATILE_TTL,
    EP_ALLKEYS_S3FIFO,
    EP_ALLKEYS_SIEVE,
    EP_NPOLICIES
};

/* Names as maxmemory-policy spells them, indexed by enum evict_policy. */
extern const char *const evict_policy_names[];

#define EPF_VOLATILE 1u /* only keys with a TTL may be evicted */
#define EPF_QUEUE 2u    /* keeps an exact queue: victim() instead of score() */
#define EPF_RANDOM 4u   /* neither: any sampled key will do */

struct shard;
struct db_slot;

struct evict_ops {
    unsigned flags;
    /* entry->access for a new key (queued policies also enqueue it). */
    void (*insert)(struct evict_queue *q, struct entry *e, uint64_t hash, int64_t now_ms);
    void (*access)(struct entry *e, int64_t now_ms);
    /* Sampled: how good a victim e is, higher evicts first. */
    uint64_t (*score)(const struct entry *e, int64_t now_ms);
    /* Queued: the next victim of q (still stored; the caller deletes it,
     * which calls remove), or NULL if q is empty.  A policy that hashed
     * the victim's key stores the hash in *hash (if hash is not NULL), so
     * the delete need not hash it again; otherwise *hash is left alone. */
    struct entry *(*victim)(struct evict_queue *q, uint64_t *hash);
    void (*remove)(struct evict_queue *q, struct entry *e);
    /* Queued: how cold q's next victim looks, without moving anything
     * (higher = colder; 0 = empty).  Lets maxmemory.c evict from the
     * sampled shard with the coldest victim rather than a hot one. */
    unsigned (*coldness)(const struct evict_queue *q);
};

extern const struct evict_ops evict_noeviction_ops, evict_lru_ops, evict_lfu_ops,
    evict_fifo_ops, evict_random_ops, evict_ttl_ops, evict_sieve_ops, evict_s3fifo_ops;

/* Called by the config apply hook when maxmemory-policy is set. */
void evict_policy_set(enum evict_policy p);
enum evict_policy evict_policy(void); /* the active one */
const struct evict_ops *evict_ops_of(enum evict_policy p);
int evict_policy_is_lfu(enum evict_policy p);
int evict_policy_volatile(enum evict_policy p);

/* Current generation word: (switch count << 8) | policy. */
uint32_t evict_generation(void);

/* ---- hooks the keyspace calls, with the shard's lock held ---- */
void evict_on_insert(struct shard *s, struct db_slot *d, struct entry *e, uint64_t hash,
                     int64_t now_ms);
void evict_on_access(struct entry *e, int64_t now_ms);
void evict_on_replace(struct db_slot *d, struct entry *old, struct entry *n);
void evict_on_remove(struct db_slot *d, struct entry *e);
void evict_on_flush(struct shard *s, struct db_slot *d);

/* For maxmemory.c: the next victim of (s, d) under a queued policy
 * (rebuilding a stale queue first), or NULL; *hash is set to its key's
 * hash if the policy computed it, else left alone. */
struct entry *evict_queue_victim(struct shard *s, struct db_slot *d, uint64_t *hash);
/* The coldness of that victim (0: nothing to evict). */
unsigned evict_queue_coldness(struct shard *s, struct db_slot *d);

/* ---- metadata helpers shared by the sampled policies ---- */
#define EVICT_CLOCK_SHIFT 4 /* 16 ms units */
#define LFU_INIT_VAL 5

static inline uint32_t evict_clock(int64_t now_ms)
{
    return (uint32_t)((uint64_t)now_ms >> EVICT_CLOCK_SHIFT);
}

/* Milliseconds since the last access (LRU/FIFO clock). */
uint64_t evict_idle_ms(const struct entry *e, int64_t now_ms);
/* The LFU counter after decay (OBJECT FREQ). */
unsigned evict_lfu_freq(const struct entry *e, int64_t now_ms);

#endif

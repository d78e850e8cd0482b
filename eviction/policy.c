/* policy.c - the policy table, the active generation, and the hooks the
 * keyspace calls; see policy.h.  Policy-specific logic lives in one file
 * per policy; this file only routes. */
#include "eviction/policy.h"

#include "server/keyspace/shard.h"

const char *const evict_policy_names[] = {
    "noeviction",     "allkeys-lru",    "allkeys-lfu",     "allkeys-random",  "allkeys-fifo",
    "volatile-lru",   "volatile-lfu",   "volatile-random", "volatile-fifo",   "volatile-ttl",
    "allkeys-s3fifo", "allkeys-sieve",  NULL,
};

static const struct evict_ops *const table[EP_NPOLICIES] = {
    [EP_NOEVICTION] = &evict_noeviction_ops,
    [EP_ALLKEYS_LRU] = &evict_lru_ops,
    [EP_ALLKEYS_LFU] = &evict_lfu_ops,
    [EP_ALLKEYS_RANDOM] = &evict_random_ops,
    [EP_ALLKEYS_FIFO] = &evict_fifo_ops,
    [EP_VOLATILE_LRU] = &evict_lru_ops,
    [EP_VOLATILE_LFU] = &evict_lfu_ops,
    [EP_VOLATILE_RANDOM] = &evict_random_ops,
    [EP_VOLATILE_FIFO] = &evict_fifo_ops,
    [EP_VOLATILE_TTL] = &evict_ttl_ops,
    [EP_ALLKEYS_S3FIFO] = &evict_s3fifo_ops,
    [EP_ALLKEYS_SIEVE] = &evict_sieve_ops,
};

/* (switch count << 8) | policy, published as one word so a reader never
 * pairs a new policy with an old generation. */
static uint32_t generation;

void evict_policy_set(enum evict_policy p)
{
    uint32_t g = __atomic_load_n(&generation, __ATOMIC_RELAXED);
    __atomic_store_n(&generation, (((g >> 8) + 1) << 8) | (uint32_t)p, __ATOMIC_RELEASE);
}

uint32_t evict_generation(void)
{
    return __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
}

enum evict_policy evict_policy(void)
{
    return (enum evict_policy)(evict_generation() & 0xff);
}

const struct evict_ops *evict_ops_of(enum evict_policy p)
{
    return table[p];
}

int evict_policy_is_lfu(enum evict_policy p)
{
    return p == EP_ALLKEYS_LFU || p == EP_VOLATILE_LFU;
}

int evict_policy_volatile(enum evict_policy p)
{
    return p >= EP_VOLATILE_LRU && p <= EP_VOLATILE_TTL;
}

/* ---- queues: built lazily for the current generation ---- */

struct rebuild {
    struct evict_queue *q;
    const struct evict_ops *o;
    int64_t now_ms;
};

static void enqueue_existing(struct entry *e, void *arg)
{
    struct rebuild *r = arg;
    r->o->insert(r->q, e, 0, r->now_ms);
}

/* Make d's queue current for generation g (caller accounts q->mem). */
static void queue_sync(struct db_slot *d, uint32_t g, const struct evict_ops *o, int64_t now_ms)
{
    struct evict_queue *q = &d->evq;
    if (q->gen == g)
        return;
    evq_reset(q);
    q->gen = g;
    struct rebuild r = {q, o, now_ms};
    ht_foreach(&d->ht, enqueue_existing, &r);
}

static void account(struct shard *s, struct evict_queue *q, size_t before)
{
    if (q->mem != before)
        shard_mem_add(s, (long long)q->mem - (long long)before);
}

void evict_on_insert(struct shard *s, struct db_slot *d, struct entry *e, uint64_t hash,
                     int64_t now_ms)
{
    uint32_t g = evict_generation();
    const struct evict_ops *o = table[g & 0xff];
    struct evict_queue *q = &d->evq;
    size_t before = q->mem;
    if (o->flags & EPF_QUEUE) {
        queue_sync(d, g, o, now_ms);
        o->insert(q, e, hash, now_ms);
    } else {
        if (q->mem) /* left over from a queued policy: give it back */
            evq_reset(q);
        o->insert(NULL, e, hash, now_ms);
    }
    account(s, q, before);
}

void evict_on_access(struct entry *e, int64_t now_ms)
{
    table[evict_generation() & 0xff]->access(e, now_ms);
}

void evict_on_replace(struct db_slot *d, struct entry *old, struct entry *n)
{
    n->access = old->access;
    uint32_t g = evict_generation();
    if ((table[g & 0xff]->flags & EPF_QUEUE) && d->evq.gen == g)
        evq_replace(&d->evq, old, n);
}

void evict_on_remove(struct db_slot *d, struct entry *e)
{
    uint32_t g = evict_generation();
    const struct evict_ops *o = table[g & 0xff];
    if ((o->flags & EPF_QUEUE) && d->evq.gen == g)
        o->remove(&d->evq, e);
}

void evict_on_flush(struct shard *s, struct db_slot *d)
{
    shard_mem_add(s, -(long long)d->evq.mem);
    evq_reset(&d->evq);
}

struct entry *evict_queue_victim(struct shard *s, struct db_slot *d, uint64_t *hash)
{
    uint32_t g = evict_generation();
    const struct evict_ops *o = table[g & 0xff];
    if (!(o->flags & EPF_QUEUE))
        return NULL;
    struct evict_queue *q = &d->evq;
    size_t before = q->mem;
    queue_sync(d, g, o, 0);
    struct entry *e = o->victim(q, hash);
    account(s, q, before);
    return e;
}

unsigned evict_queue_coldness(struct shard *s, struct db_slot *d)
{
    uint32_t g = evict_generation();
    const struct evict_ops *o = table[g & 0xff];
    if (!(o->flags & EPF_QUEUE))
        return 0;
    struct evict_queue *q = &d->evq;
    size_t before = q->mem;
    queue_sync(d, g, o, 0);
    account(s, q, before);
    return o->coldness(q);
}

/* lru.c - allkeys-lru / volatile-lru: a 16 ms access clock in
 * entry->access, scored by idle time.  Sampling over a persistent pool
 * (maxmemory.c) approximates true LRU; the clock is 60x finer than
 * Redis's 1 s one, so keys used within the same second still rank.
 * Also noeviction's bookkeeping, so OBJECT IDLETIME works there too. */
#include "eviction/policy.h"

static void lru_insert(struct evict_queue *q, struct entry *e, uint64_t hash, int64_t now_ms)
{
    (void)q;
    (void)hash;
    e->access = evict_clock(now_ms);
}

static void lru_access(struct entry *e, int64_t now_ms)
{
    e->access = evict_clock(now_ms);
}

uint64_t evict_idle_ms(const struct entry *e, int64_t now_ms)
{
    uint32_t now = evict_clock(now_ms);
    return (uint64_t)(uint32_t)(now - e->access) << EVICT_CLOCK_SHIFT; /* wraps mod 2^32 */
}

static uint64_t lru_score(const struct entry *e, int64_t now_ms)
{
    return evict_idle_ms(e, now_ms);
}

const struct evict_ops evict_lru_ops = {0, lru_insert, lru_access, lru_score, NULL, NULL, NULL};
const struct evict_ops evict_noeviction_ops = {0, lru_insert, lru_access, NULL, NULL, NULL, NULL};

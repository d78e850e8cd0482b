/* ttl.c - volatile-ttl: among keys with a TTL, the one expiring soonest
 * goes first.  The score reads the entry's expiry; `access` keeps the LRU
 * clock for OBJECT IDLETIME. */
#include "eviction/policy.h"

static void ttl_insert(struct evict_queue *q, struct entry *e, uint64_t hash, int64_t now_ms)
{
    (void)q;
    (void)hash;
    e->access = evict_clock(now_ms);
}

static void ttl_access(struct entry *e, int64_t now_ms)
{
    e->access = evict_clock(now_ms);
}

static uint64_t ttl_score(const struct entry *e, int64_t now_ms)
{
    (void)now_ms;
    int64_t exp = entry_expire(e); /* sooner expiry evicts first */
    return exp < 0 ? 0 : UINT64_MAX - (uint64_t)exp;
}

const struct evict_ops evict_ttl_ops = {0, ttl_insert, ttl_access, ttl_score, NULL, NULL, NULL};

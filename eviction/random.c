/* random.c - allkeys-random / volatile-random: any sampled key is the
 * victim (maxmemory.c takes it from the fullest of a few shards).  Keeps
 * the LRU clock so OBJECT IDLETIME answers and a switch to LRU starts
 * from real data. */
#include "eviction/policy.h"

static void random_insert(struct evict_queue *q, struct entry *e, uint64_t hash, int64_t now_ms)
{
    (void)q;
    (void)hash;
    e->access = evict_clock(now_ms);
}

static void random_access(struct entry *e, int64_t now_ms)
{
    e->access = evict_clock(now_ms);
}

const struct evict_ops evict_random_ops = {EPF_RANDOM, random_insert, random_access, NULL, NULL, NULL, NULL};

/* fifo.c - allkeys-fifo / volatile-fifo: the 16 ms clock of a key's
 * insertion, never updated on access; sampling evicts the oldest-inserted.
 * An overwrite keeps the key's place (keyspace.c copies `access`). */
#include "eviction/policy.h"

static void fifo_insert(struct evict_queue *q, struct entry *e, uint64_t hash, int64_t now_ms)
{
    (void)q;
    (void)hash;
    e->access = evict_clock(now_ms);
}

static void fifo_access(struct entry *e, int64_t now_ms)
{
    (void)e;
    (void)now_ms;
}

static uint64_t fifo_score(const struct entry *e, int64_t now_ms)
{
    return evict_idle_ms(e, now_ms);
}

const struct evict_ops evict_fifo_ops = {0, fifo_insert, fifo_access, fifo_score, NULL, NULL, NULL};

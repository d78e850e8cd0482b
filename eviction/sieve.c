/* sieve.c - allkeys-sieve (Zhang et al., NSDI'24).
 *
 * One FIFO queue per (shard, db) and a "hand".  A hit only sets the key's
 * visited bit: no queue movement, so reads stay as cheap as FIFO's.  To
 * evict, the hand walks from where it stopped towards newer keys
 * (wrapping to the oldest), clearing visited bits, and takes the first
 * unvisited key.  New keys enter behind the hand's sweep, so a key must be
 * hit once per sweep to stay: one-hit wonders (scans) go quickly, popular
 * keys survive without being moved.  Cost: the queue's 8-16 B per key.
 */
#include "eviction/policy.h"

#define VISITED (1u << EVQ_FREQ_SHIFT)

static void sieve_insert(struct evict_queue *q, struct entry *e, uint64_t hash, int64_t now_ms)
{
    (void)hash;
    (void)now_ms;
    e->access = 0;
    evq_push(q, 0, e);
}

static void sieve_access(struct entry *e, int64_t now_ms)
{
    (void)now_ms;
    e->access |= VISITED;
}

static struct entry *sieve_victim(struct evict_queue *q, uint64_t *hash)
{
    (void)hash;
    struct evq_ring *r = &q->ring[0];
    if (!r->live || !evq_oldest(r))
        return NULL;
    uint32_t span = r->tail - r->head;
    if (q->hand < r->head || q->hand > r->tail) /* holes dropped: restart */
        q->hand = r->head;
    /* One full sweep clears every visited bit, so two sweeps always find a
     * victim; the bound only guards against a broken invariant. */
    for (uint64_t steps = 0; steps <= 2 * (uint64_t)span + 2; steps++) {
        if (q->hand == r->tail)
            q->hand = r->head;
        struct entry *e = evq_at(r, q->hand++);
        if (!e)
            continue;
        if (e->access & VISITED) {
            e->access &= ~VISITED;
            continue;
        }
        return e;
    }
    return evq_oldest(r);
}

static void sieve_remove(struct evict_queue *q, struct entry *e)
{
    evq_remove(q, e);
}

/* 2: the hand rests on an unvisited key; 1: it must sweep first. */
static unsigned sieve_coldness(const struct evict_queue *q)
{
    const struct evq_ring *r = &q->ring[0];
    if (!r->live)
        return 0;
    if (q->hand >= r->head && q->hand < r->tail) {
        const struct entry *e = evq_at(r, q->hand);
        if (e && !(e->access & VISITED))
            return 2;
    }
    return 1;
}

const struct evict_ops evict_sieve_ops = {EPF_QUEUE,    sieve_insert, sieve_access,  NULL,
                                          sieve_victim, sieve_remove, sieve_coldness};

/* queue.c - the insertion-ordered ring SIEVE and S3-FIFO share; see
 * queue.h for the layout and its cost. */
#include "eviction/queue.h"

#include <stdlib.h>
#include <string.h>

#include "server/core/mem.h"
#include "server/keyspace/entry.h"

static uint32_t slot_of(const struct entry *e)
{
    return e->access & EVQ_SLOT_MASK;
}

static int ring_of(const struct entry *e)
{
    return (e->access & EVQ_RING_BIT) != 0;
}

static void set_slot(struct entry *e, int r, uint32_t idx)
{
    e->access = (e->access & ~(EVQ_SLOT_MASK | EVQ_RING_BIT)) | idx | (r ? EVQ_RING_BIT : 0);
}

/* The array is full at the end: squeeze out holes, moving live entries to
 * the front in order, and size it to 1.25x the live count (+4), so the
 * next compaction is at least live/4 pushes away. */
static void compact(struct evict_queue *q, int r)
{
    struct evq_ring *g = &q->ring[r];
    uint32_t n = 0, hand = 0;
    int remap = r == 0;
    for (uint32_t pos = g->head; pos != g->tail; pos++) {
        if (remap && pos == q->hand)
            hand = n, remap = 0;
        struct entry *e = g->v[pos];
        if (!e)
            continue;
        g->v[n] = e;
        set_slot(e, r, n);
        n++;
    }
    if (r == 0)
        q->hand = remap ? n : hand; /* a hand at the tail stays at the tail */
    uint32_t cap = n + n / 4 + 4;
    if (cap != g->cap) {
        q->mem -= mem_usable(g->v);
        g->v = xrealloc(g->v, sizeof(*g->v) * cap);
        q->mem += mem_usable(g->v);
        g->cap = cap;
    }
    g->head = 0;
    g->tail = n;
}

void evq_push(struct evict_queue *q, int r, struct entry *e)
{
    struct evq_ring *g = &q->ring[r];
    if (g->tail == g->cap)
        compact(q, r);
    uint32_t idx = g->tail;
    g->v[idx] = e;
    set_slot(e, r, idx);
    g->tail++;
    g->live++;
}

void evq_remove(struct evict_queue *q, struct entry *e)
{
    struct evq_ring *g = &q->ring[ring_of(e)];
    uint32_t idx = slot_of(e);
    if (idx < g->cap && g->v[idx] == e) {
        g->v[idx] = NULL;
        g->live--;
    }
}

void evq_replace(struct evict_queue *q, struct entry *o, struct entry *n)
{
    struct evq_ring *g = &q->ring[ring_of(n)];
    uint32_t idx = slot_of(n);
    if (idx < g->cap && g->v[idx] == o)
        g->v[idx] = n;
}

struct entry *evq_oldest(struct evq_ring *r)
{
    while (r->head != r->tail) {
        struct entry *e = evq_at(r, r->head);
        if (e)
            return e;
        r->head++;
    }
    return NULL;
}

void evq_reset(struct evict_queue *q)
{
    for (int r = 0; r < 2; r++)
        free(q->ring[r].v);
    free(q->ghost);
    *q = (struct evict_queue){0};
}

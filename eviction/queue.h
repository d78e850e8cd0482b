/* queue.h - the exact per-(shard, db) insertion queue that SIEVE and
 * S3-FIFO keep, instead of sampling.
 *
 * A ring of entry pointers in insertion order, oldest at `head`.  Each
 * queued entry records its slot in entry->access (bits 0..27) so deleting
 * or moving it is O(1): a deleted entry leaves a NULL hole that the
 * policy's hand skips.  The array is linear: entries live in v[head..tail)
 * and new ones go at v[tail]; when tail reaches the end, the live entries
 * are compacted to the front (slots rewritten) and the array is resized
 * to 1.25x the live count.  A push costs O(1) amortised (at most four
 * moves per push), and memory stays near 8 B x 1.25 = 10 B per key; the
 * slack is what lets deletions stay O(1).  S3-FIFO adds a ghost of
 * fingerprints (s3fifo.c).  Everything here runs under the owning
 * shard's lock.
 */
#ifndef CACHET_EVICTION_QUEUE_H
#define CACHET_EVICTION_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct entry;

struct evq_ring {
    struct entry **v;
    uint32_t cap;
    uint32_t head, tail; /* entries are in v[head..tail) */
    uint32_t live;       /* non-NULL slots */
};

struct ghost; /* s3fifo.c */

/* A policy's queue state; zeroed = empty, valid for no generation. */
struct evict_queue {
    uint32_t gen;           /* policy generation it was built under */
    struct evq_ring ring[2]; /* SIEVE: [0]; S3-FIFO: [0] small, [1] main */
    uint32_t hand;          /* SIEVE's hand (an index into ring[0]) */
    struct ghost *ghost;    /* S3-FIFO's recently evicted fingerprints */
    size_t mem;             /* bytes allocated for all of the above */
};

/* entry->access under a queue policy */
#define EVQ_SLOT_BITS 28
#define EVQ_SLOT_MASK ((1u << EVQ_SLOT_BITS) - 1)
#define EVQ_RING_BIT (1u << 28) /* which ring: 0 or 1 */
#define EVQ_FREQ_SHIFT 29       /* bits 29..30: access frequency 0..3 */
#define EVQ_FREQ_MAX 3u

static inline unsigned evq_freq(uint32_t access)
{
    return (access >> EVQ_FREQ_SHIFT) & 3u;
}

static inline uint32_t evq_with_freq(uint32_t access, unsigned f)
{
    return (access & ~(3u << EVQ_FREQ_SHIFT)) | (f << EVQ_FREQ_SHIFT);
}

/* Append e at the tail of ring r (0/1) of q; sets e's slot and ring bit. */
void evq_push(struct evict_queue *q, int r, struct entry *e);
/* Unlink e (queued in q) leaving a hole. */
void evq_remove(struct evict_queue *q, struct entry *e);
/* The entry n now stands where o stood (o's access word was copied). */
void evq_replace(struct evict_queue *q, struct entry *o, struct entry *n);
/* The entry at index pos of ring r, or NULL for a hole. */
static inline struct entry *evq_at(const struct evq_ring *r, uint32_t pos)
{
    return r->v[pos];
}
/* Advance r->head past leading holes; returns the oldest entry or NULL. */
struct entry *evq_oldest(struct evq_ring *r);
/* For a caller about to read the next victims of several queues at once
 * (maxmemory.c samples a batch of shards): prefetch each ring's oldest
 * slot and the hand's, then, once those have arrived, the entries in
 * them, so the queues' cache misses overlap instead of queueing.  Reads
 * nothing a policy switch could have freed (the caller checks the
 * generation). */
static inline void evq_prefetch_slots(const struct evict_queue *q)
{
    for (int r = 0; r < 2; r++)
        if (q->ring[r].live)
            __builtin_prefetch(&q->ring[r].v[q->ring[r].head]);
    if (q->ring[0].live && q->hand > q->ring[0].head && q->hand < q->ring[0].tail)
        __builtin_prefetch(&q->ring[0].v[q->hand]);
}
static inline void evq_prefetch_entries(const struct evict_queue *q)
{
    for (int r = 0; r < 2; r++)
        if (q->ring[r].live && q->ring[r].head < q->ring[r].tail)
            __builtin_prefetch(q->ring[r].v[q->ring[r].head]);
    if (q->ring[0].live && q->hand > q->ring[0].head && q->hand < q->ring[0].tail)
        __builtin_prefetch(q->ring[0].v[q->hand]);
}

/* Free every ring (entries are not touched) and the ghost. */
void evq_reset(struct evict_queue *q);

#endif

/* s3fifo.c - allkeys-s3fifo (Yang et al., SOSP'23).
 *
 * Three FIFO queues per (shard, db): a small queue S (about 10% of the
 * keys) where every new key starts, a main queue M, and a ghost G that
 * remembers only fingerprints of keys recently evicted from S.  A hit
 * bumps a 2-bit frequency; nothing moves on a hit.  Eviction:
 *   - from S when S holds more than its 10%: the oldest key of S moves to
 *     M if it was hit while in S, otherwise it is evicted and its
 *     fingerprint goes to G;
 *   - otherwise from M: the oldest key of M is evicted if its frequency is
 *     0, else it is reinserted at M's tail with the frequency decremented.
 * A new key whose fingerprint is in G (evicted from S recently, back
 * again) goes straight to M.  Most keys in a cache trace are seen once;
 * S filters them out after a short stay, so a scan cannot flush M.
 *
 * Costs: the two rings (about 10 B per key, queue.h) and the ghost,
 * about 13 B per fingerprint (4 B in its FIFO ring, plus a table at most
 * 75% full), sized to M's key count.
 */
#include "eviction/policy.h"

#include <stdlib.h>
#include <string.h>

#include "server/core/mem.h"
#include "server/keyspace/htable.h"

#define SMALL_PERCENT 10
#define MOVE_TO_MAIN 1 /* hits while in S that earn a place in M */

/* FIFO ring of fingerprints a[0..cap) followed by a linear-probing table
 * a[cap..cap+tmask+1) holding the same fingerprints (0 = empty slot) at
 * most 75% full. */
struct ghost {
    uint32_t cap, head, n, tmask;
    uint32_t a[];
};

static uint32_t fingerprint(uint64_t hash)
{
    uint32_t f = (uint32_t)(hash >> 24); /* not the bits picking shard or bucket */
    return f ? f : 1;
}

static uint32_t *tab(struct ghost *g)
{
    return g->a + g->cap;
}

static uint32_t tab_home(const struct ghost *g, uint32_t f)
{
    return (f * 2654435761u) & g->tmask;
}

static void tab_add(struct ghost *g, uint32_t f)
{
    uint32_t i = tab_home(g, f);
    while (tab(g)[i])
        i = (i + 1) & g->tmask;
    tab(g)[i] = f;
}

/* Remove one occurrence of f; 1 if there was one.  Backward-shift
 * deletion keeps probe chains intact without tombstones. */
static int tab_del(struct ghost *g, uint32_t f)
{
    uint32_t m = g->tmask, i = tab_home(g, f);
    uint32_t *t = tab(g);
    while (t[i] && t[i] != f)
        i = (i + 1) & m;
    if (!t[i])
        return 0;
    uint32_t hole = i;
    for (uint32_t j = (i + 1) & m; t[j]; j = (j + 1) & m) {
        uint32_t home = tab_home(g, t[j]);
        /* move t[j] into the hole unless its home lies in (hole, j] */
        if (((j - home) & m) >= ((j - hole) & m)) {
            t[hole] = t[j];
            hole = j;
        }
    }
    t[hole] = 0;
    return 1;
}

static struct ghost *ghost_create(uint32_t cap)
{
    uint32_t tsize = 8;
    while (tsize < cap + cap / 3 + 1)
        tsize *= 2;
    struct ghost *g = xcalloc(1, sizeof(*g) + sizeof(uint32_t) * ((size_t)cap + tsize));
    g->cap = cap;
    g->tmask = tsize - 1;
    return g;
}

/* Resize the ghost to remember about `want` fingerprints (M's key count,
 * as the paper sizes it), keeping the newest; resizes only when want
 * leaves [cap/2, cap], so the cost is amortised. */
static void ghost_fit(struct evict_queue *q, uint32_t want)
{
    struct ghost *old = q->ghost;
    if (want < 4)
        want = 4;
    if (old && want <= old->cap && want >= old->cap / 2)
        return;
    struct ghost *g = ghost_create(want + want / 4);
    if (old) {
        uint32_t skip = old->n > g->cap ? old->n - g->cap : 0;
        for (uint32_t i = skip; i < old->n; i++) {
            uint32_t f = old->a[(old->head + i) % old->cap];
            g->a[g->n++] = f;
            tab_add(g, f);
        }
        q->mem -= mem_usable(old);
        free(old);
    }
    q->ghost = g;
    q->mem += mem_usable(g);
}

static void ghost_add(struct evict_queue *q, uint32_t f)
{
    ghost_fit(q, q->ring[1].live);
    struct ghost *g = q->ghost;
    if (g->n == g->cap) { /* forget the oldest */
        tab_del(g, g->a[g->head]);
        g->head = g->head + 1 == g->cap ? 0 : g->head + 1;
        g->n--;
    }
    g->a[(g->head + g->n) % g->cap] = f;
    g->n++;
    tab_add(g, f);
}

static void s3_insert(struct evict_queue *q, struct entry *e, uint64_t hash, int64_t now_ms)
{
    (void)now_ms;
    e->access = 0;
    int main_q = hash && q->ghost && q->ghost->n && tab_del(q->ghost, fingerprint(hash));
    evq_push(q, main_q, e);
}

static void s3_access(struct entry *e, int64_t now_ms)
{
    (void)now_ms;
    unsigned f = evq_freq(e->access);
    if (f < EVQ_FREQ_MAX)
        e->access = evq_with_freq(e->access, f + 1);
}

/* The fingerprint of e's key; its hash goes to *hash for the delete. */
static uint32_t key_fingerprint(const struct entry *e, uint64_t *hash)
{
    size_t klen;
    const char *k = entry_key(e, &klen);
    uint64_t h = ht_hash(k, klen);
    if (hash)
        *hash = h;
    return fingerprint(h);
}

static struct entry *s3_victim(struct evict_queue *q, uint64_t *hash)
{
    struct evq_ring *s = &q->ring[0], *m = &q->ring[1];
    /* Each pass either evicts, moves a key S -> M once, or spends one unit
     * of a key's frequency (at most 3 per key), so this bound is never
     * reached while the queues are consistent. */
    uint64_t bound = 4 * ((uint64_t)s->live + m->live) + 8;
    for (uint64_t i = 0; i < bound && (s->live || m->live); i++) {
        uint32_t total = s->live + m->live;
        if (s->live && (m->live == 0 || (uint64_t)s->live * 100 > (uint64_t)total * SMALL_PERCENT)) {
            struct entry *e = evq_oldest(s);
            if (evq_freq(e->access) >= MOVE_TO_MAIN) {
                evq_remove(q, e);
                e->access = evq_with_freq(e->access, 0);
                evq_push(q, 1, e);
                continue;
            }
            ghost_add(q, key_fingerprint(e, hash));
            return e;
        }
        struct entry *e = evq_oldest(m);
        unsigned f = evq_freq(e->access);
        if (f == 0)
            return e;
        evq_remove(q, e);
        e->access = evq_with_freq(e->access, f - 1);
        evq_push(q, 1, e);
    }
    struct entry *e = evq_oldest(s);
    return e ? e : evq_oldest(m);
}

static void s3_remove(struct evict_queue *q, struct entry *e)
{
    evq_remove(q, e);
}

/* 3: a key never hit since it entered S (a one-hit wonder) is next;
 * 2: S will be drained but its oldest key moves on to M first;
 * 1: eviction from M.  Peeks at the oldest live key of each ring. */
static const struct entry *peek_oldest(const struct evq_ring *r)
{
    for (uint32_t pos = r->head; pos != r->tail; pos++)
        if (evq_at(r, pos))
            return evq_at(r, pos);
    return NULL;
}

static unsigned s3_coldness(const struct evict_queue *q)
{
    const struct evq_ring *s = &q->ring[0], *m = &q->ring[1];
    uint32_t total = s->live + m->live;
    if (!total)
        return 0;
    if (s->live && (m->live == 0 || (uint64_t)s->live * 100 > (uint64_t)total * SMALL_PERCENT)) {
        const struct entry *e = peek_oldest(s);
        return e && evq_freq(e->access) < MOVE_TO_MAIN ? 3 : 2;
    }
    return 1;
}

const struct evict_ops evict_s3fifo_ops = {EPF_QUEUE, s3_insert, s3_access,  NULL,
                                           s3_victim, s3_remove, s3_coldness};

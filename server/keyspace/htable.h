/* htable.h - chained hash table of entries with incremental rehashing.
 *
 * Owns: bucket arrays and chain links (entry->next).  Must not: free
 * entries, know about expiry or types.  Callers hold the owning shard's
 * lock for every call.
 *
 * Resizing never stops the world: a resize allocates the new bucket array
 * and moves a bounded number of buckets per operation (and per
 * housekeeping slice), as Redis's dict does, so no single request pays for
 * moving a large table (steps run on insert, never on lookup, so a
 * position found by ht_find survives other lookups).  While two tables exist, lookups check both and
 * inserts go to the new one.  ht_scan uses Redis's reverse-binary cursor,
 * which visits every element present for the whole scan at least once even
 * if the table grows or shrinks between calls.
 */
#ifndef CACHET_HTABLE_H
#define CACHET_HTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "server/keyspace/entry.h"

struct htable {
    struct entry **t[2];
    uint64_t size[2]; /* 0 or a power of two */
    uint64_t used[2];
    int64_t rehash_idx; /* -1 when not rehashing */
    size_t *memctr;     /* bucket-array bytes are accounted here */
};

/* A found entry's place.  Valid until the next ht_insert or rehash step
 * (those move chains); finds and removals of other keys keep it valid only
 * if they are not in the same chain, so use a position right away. */
struct ht_pos {
    struct entry **link; /* the pointer that points at the entry */
    int table;
};

uint64_t ht_hash(const char *key, size_t klen);

void ht_init(struct htable *h, size_t *memctr);
/* Frees the bucket arrays; entries are handed to free_fn first. */
void ht_deinit(struct htable *h, void (*free_fn)(struct entry *, void *), void *arg);

static inline uint64_t ht_count(const struct htable *h) { return h->used[0] + h->used[1]; }

#define HT_MIN_SIZE 4 /* buckets: a table never shrinks below this */
/* Nothing for housekeeping to do: no rehash under way and nothing to
 * shrink (ht_maybe_shrink would not start one). */
static inline int ht_at_rest(const struct htable *h)
{
    return h->rehash_idx < 0 && h->size[0] <= HT_MIN_SIZE;
}

/* Find key; returns 1 and fills *pos, or 0. */
int ht_find(struct htable *h, const char *key, size_t klen, uint64_t hash, struct ht_pos *pos);
/* Find the stored entry e (hash: its key's) by address: no key compared,
 * so the chain's other entries are read only for their links. */
int ht_find_entry(struct htable *h, const struct entry *e, uint64_t hash, struct ht_pos *pos);
/* Start loading the bucket a find or insert of hash will read, so that a
 * caller who knows a key well before it stores it (loading a snapshot)
 * overlaps the cache miss with other work.  Only a hint. */
static inline void ht_prefetch(const struct htable *h, uint64_t hash)
{
    int i = h->rehash_idx >= 0 ? 1 : 0;
    if (h->size[i])
        __builtin_prefetch(&h->t[i][hash & (h->size[i] - 1)]); /* a read: a write hint needs PREFETCHW, which x86-64 builds drop */
}
/* Insert an entry whose key is absent. */
void ht_insert(struct htable *h, struct entry *e, uint64_t hash);
/* Remove the entry at pos from its chain (not freed); returns it. */
struct entry *ht_remove(struct htable *h, struct ht_pos *pos);
/* Put `n` where the entry at pos is (same key); returns the old entry. */
struct entry *ht_replace(struct htable *h, struct ht_pos *pos, struct entry *n);

/* Size the table for about n entries before they arrive (loading a
 * snapshot, whose RESIZEDB hint says how many keys follow), so the inserts
 * neither rehash nor walk chains longer than normal.  Only grows, and only
 * when no rehash is under way; an empty table gets its array at once. */
void ht_reserve(struct htable *h, uint64_t n);
/* Rehash up to `buckets` buckets; returns 1 if rehashing continues. */
int ht_rehash_step(struct htable *h, int buckets);
/* Shrink if mostly empty; called by housekeeping, not on the request path. */
void ht_maybe_shrink(struct htable *h);

/* Visit every entry (no modification from fn). */
void ht_foreach(struct htable *h, void (*fn)(struct entry *, void *), void *arg);
/* One SCAN step: visits one logical bucket; returns the next cursor. */
uint64_t ht_scan(struct htable *h, uint64_t cursor, void (*fn)(struct entry *, void *), void *arg);
/* Up to n steps of ht_scan at once, the same order and guarantee, with the
 * buckets and chain heads of each group of steps prefetched together; fn
 * must not change the table.  Returns the next cursor, 0 when done. */
uint64_t ht_scan_n(struct htable *h, uint64_t cursor, unsigned n,
                   void (*fn)(struct entry *, void *), void *arg);
/* A random entry or NULL when empty. */
struct entry *ht_random(struct htable *h, uint64_t *rng);

/* Eviction sampling in two steps, so a caller sampling several tables can
 * prefetch every table's buckets before reading any (the reads are cache
 * misses; taken one table at a time they do not overlap).
 * ht_sample_start draws HT_SAMPLE_PROBES random buckets (0: the table is
 * empty); ht_sample_prefetch fetches them; ht_sample_head returns the
 * chain of the first non-empty one, or if all are empty goes on drawing
 * as ht_random does; ht_chain_pick then picks uniformly within the chain.
 * That is exactly ht_random's choice, with its first 8 probes in flight
 * together instead of one miss after another (tables run between 1/8
 * and 1 full, so 37-88% of buckets are empty).  Cheaper picks were
 * tried and lost hit ratio: the first non-empty bucket after a random
 * one favours keys after an empty run (scan trace LRU 0.6587 -> 0.6575);
 * a random non-empty bucket of a random 16-bucket group favours keys in
 * sparse groups (zipf07 LFU 0.4137 -> 0.4100): a sample that keeps
 * returning the same keys holds fewer distinct candidates. */
#define HT_SAMPLE_PROBES 8
struct ht_sample {
    unsigned tables; /* bit k set: probe k is in t[1] */
    uint64_t bucket[HT_SAMPLE_PROBES];
};
int ht_sample_start(const struct htable *h, uint64_t *rng, struct ht_sample *sm);
static inline void ht_sample_prefetch(const struct htable *h, const struct ht_sample *sm)
{
    for (int k = 0; k < HT_SAMPLE_PROBES; k++)
        __builtin_prefetch(&h->t[(sm->tables >> k) & 1][sm->bucket[k]]);
}
struct entry *ht_sample_head(const struct htable *h, const struct ht_sample *sm, uint64_t *rng);
struct entry *ht_chain_pick(struct entry *head, uint64_t *rng);
/* Where hash's bucket is now, to prefetch later (it moves on a resize). */
static inline const void *ht_bucket_hint(const struct htable *h, uint64_t hash)
{
    int i = h->rehash_idx >= 0 ? 1 : 0;
    return h->size[i] ? (const void *)&h->t[i][hash & (h->size[i] - 1)] : NULL;
}

#endif

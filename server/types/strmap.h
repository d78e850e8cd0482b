/* strmap.h - a map from byte strings to byte strings: the big encoding of a
 * hash (OBJECT ENCODING "hashtable").
 *
 * Owns: the slot arrays, one packed allocation per field/value pair, the
 * incremental resize, the resize-proof scan cursor and its own byte count.
 * Must not: know about hashes' thresholds, replies, locks or the server;
 * callers serialise access (the key's shard lock).
 *
 * What an element costs: one allocation [flen varint][vlen varint][field]
 * [value] (jemalloc rounds it up to 16, 32, 48, ...) plus one 8-byte slot
 * per 0.4..0.8 elements (the table doubles at 80% full).  A 10-byte field
 * with a 10-byte value is 32 + 10..20 = 42..52 bytes, against Redis 7.0's
 * dictEntry (32) + two sds (16 + 16) + 8..16 bytes of bucket = 72..80.
 * See strmap.c for why the table looks the way it does.
 */
#ifndef CACHET_STRMAP_H
#define CACHET_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap {
    uintptr_t *t[2];     /* slot arrays; t[1] is non-NULL while resizing */
    uint64_t size[2];    /* slots: a power of two >= 8 (0 for no table) */
    uint64_t used[2];    /* live elements in each table */
    uint64_t tombs[2];   /* deleted slots not yet reclaimed */
    uint64_t rehash_idx; /* next slot of t[0] to move while resizing */
    size_t mem;          /* mem_usable() of the struct, arrays and elements */
};

/* One pair read back: views into the element, valid until the map next
 * changes. */
struct strmap_kv {
    const char *f, *v;
    size_t flen, vlen;
};

/* A map sized for `expect` elements without resizing. */
struct strmap *strmap_create(uint64_t expect);
void strmap_destroy(struct strmap *m);
struct strmap *strmap_dup(const struct strmap *m);

static inline uint64_t strmap_len(const struct strmap *m) { return m->used[0] + m->used[1]; }
static inline size_t strmap_mem(const struct strmap *m) { return m->mem; }

/* 1 and the pair if field f is present, else 0. */
int strmap_get(const struct strmap *m, const char *f, size_t flen, struct strmap_kv *out);
/* Set f to v; returns 1 if f was new, 0 if its value was replaced. */
int strmap_set(struct strmap *m, const char *f, size_t flen, const char *v, size_t vlen);
/* Remove f; returns 1 if it was there. */
int strmap_delete(struct strmap *m, const char *f, size_t flen);

/* Walk every pair: *pos starts at 0; returns 0 after the last.  The map
 * must not change during the walk. */
int strmap_next(const struct strmap *m, uint64_t *pos, struct strmap_kv *out);

/* One step of a SCAN: calls fn for some pairs and returns the next cursor
 * (0 when the walk is complete).  Every pair present from the first call
 * (cursor 0) to the last is reported exactly once, however the map grows
 * or shrinks in between. */
uint64_t strmap_scan(const struct strmap *m, uint64_t cursor,
                     void (*fn)(const struct strmap_kv *kv, void *arg), void *arg);

/* A uniformly random pair of a non-empty map; returns an identity for the
 * pair (stable until the map changes) so callers can tell repeats apart. */
const void *strmap_random(const struct strmap *m, uint64_t *rng, struct strmap_kv *out);

#endif

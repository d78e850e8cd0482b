/* zindex.h - the member -> node half of a big sorted set.
 *
 * An open-addressing hash table (linear probing) of pointers to skiplist
 * nodes (skiplist.h): the member and score live in the node, so a slot is
 * 8 bytes and nothing else is allocated per element.  Redis pays a 24-byte
 * dictEntry, an 8-byte bucket and a second copy of the member's sds for
 * the same job.  The top 16 bits of a slot hold 16 bits of the member's
 * hash, so a probe past a different member rarely touches its node.
 *
 * Load stays at or below 0.8 (grow x2) and above 0.1 (shrink), so a slot
 * costs 10 to 20 bytes per element.  Resizes are incremental, as Redis's
 * dict does: while a second table exists, every insert and delete moves a
 * bounded stretch of the old one, so no single command pays for a whole
 * rehash of millions of members.
 *
 * ZSCAN walks home buckets in reverse-binary order (htable.c's cursor), so
 * an element present for the whole scan is returned at least once across
 * any number of resizes.
 *
 * Pure: no locks, no server state; mem counts the tables' usable bytes.
 */
#ifndef CACHET_ZINDEX_H
#define CACHET_ZINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "server/types/skiplist.h"

struct zindex {
    uintptr_t *t[2];  /* slots: node | hash tag << 48; 0 = empty */
    uint64_t size[2]; /* powers of two; t[1] exists only while resizing */
    uint64_t used[2];
    uint64_t rh_pos;  /* next slot of t[0] to move */
    uint64_t rh_left; /* slots of t[0] not yet visited */
    size_t mem;
};

void zidx_init(struct zindex *x);
void zidx_deinit(struct zindex *x);
/* Size the (empty) table for n members at once (conversion, stores). */
void zidx_reserve(struct zindex *x, uint64_t n);

uint64_t zidx_count(const struct zindex *x);
struct zsl_node *zidx_find(const struct zindex *x, const char *m, size_t mlen);
/* Add a node whose member is not in the index yet. */
void zidx_add(struct zindex *x, struct zsl_node *n);
/* Remove the member; returns its node, or NULL. */
struct zsl_node *zidx_remove(struct zindex *x, const char *m, size_t mlen);

/* One ZSCAN step from cursor v: calls fn for the members of one home
 * bucket (and, mid-resize, its expansions); returns the next cursor, 0
 * when done. */
uint64_t zidx_scan(const struct zindex *x, uint64_t v, void (*fn)(struct zsl_node *, void *),
                   void *arg);

#endif

/* strset.h - a hash set of byte strings: the big encoding of a set
 * (OBJECT ENCODING "hashtable").
 *
 * Owns: the slot tables and one allocation per member.  Must not: know
 * about sets' compact encodings, commands or the keyspace; the caller
 * holds whatever lock guards the object.
 *
 * Layout.  Open addressing with linear probing over one array of 8-byte
 * slots.  A slot is 0 (empty) or a pointer to the member's own allocation,
 * [varint length][bytes], with 16 bits of the member's hash in the
 * pointer's unused top bits (user-space addresses fit in 48 bits on
 * x86-64 and arm64 Linux), so a probe rejects almost every other member
 * without touching its memory.  A member's home slot is the top `bits`
 * bits of its hash; deletion shifts the rest of the cluster back, so
 * there are no tombstones and every member is reachable from its home
 * without crossing an empty slot.
 *
 * What a member costs: its allocation (1 + length bytes rounded up to the
 * allocator's size class: 16 B for members of up to 15 bytes, 32 B up to
 * 31) plus its share of the slot array, 8 B / load.  The load stays
 * between 3/8 and 3/4 while growing (21 B per member on average) and
 * drops to 1/8 before a shrink.  A 13-byte member ("member:123456") is
 * therefore ~37 B, against ~74 B for Redis 7.0's dictEntry (32) + sds (32)
 * + bucket (8-16).
 *
 * Resizing is incremental, as Redis's dict: a resize allocates the new
 * table and every add or remove then moves a bounded number of clusters
 * from the old one (STRSET_REHASH_MOVES members or STRSET_REHASH_VISITS
 * slots, whichever comes first), so no single request pays for moving a
 * million members.  While two tables exist, lookups check both and adds
 * go to the new one.  Reads never move anything.
 *
 * SCAN: the cursor is a position in hash space (a 64-bit hash prefix);
 * one call returns every member whose hash lies between the cursor and
 * the next one, from both tables.  Homes are hash prefixes, so a bigger
 * table refines a smaller one's buckets: a member present for the whole
 * scan is returned at least once however the table grows or shrinks in
 * between (Redis's guarantee; its reverse-binary cursor gets the same
 * property from low-bit buckets).
 */
#ifndef CACHET_STRSET_H
#define CACHET_STRSET_H

#include <stddef.h>
#include <stdint.h>

struct strset {
    uint64_t *t[2];      /* t[1] exists only while resizing */
    uint64_t used[2];
    uint8_t bits[2];     /* log2 of each table's slot count */
    uint64_t rehash_idx; /* next t[0] slot to drain while t[1] exists */
    size_t mem;          /* usable bytes of the tables and every member */
};

/* A member's place: valid until the next add or remove. */
struct strset_pos {
    int table;
    uint64_t idx;
};

/* An empty set sized for `hint` members (0: the minimum). */
void strset_init(struct strset *s, size_t hint);
void strset_deinit(struct strset *s);
/* dst = a deep copy of src. */
void strset_copy(struct strset *dst, const struct strset *src);

static inline uint64_t strset_count(const struct strset *s)
{
    return s->used[0] + s->used[1];
}
/* Allocator bytes of the tables and members (not of s itself), O(1). */
static inline size_t strset_mem(const struct strset *s) { return s->mem; }

/* 1 if added, 0 if already present. */
int strset_add(struct strset *s, const char *p, size_t len);
/* 1 if removed, 0 if absent. */
int strset_remove(struct strset *s, const char *p, size_t len);
int strset_contains(const struct strset *s, const char *p, size_t len);

/* The member at pos (bytes inside the set). */
const char *strset_at(const struct strset *s, const struct strset_pos *pos, size_t *len);
/* A uniformly random member of a non-empty set; rng is the caller's
 * rng.h state. */
void strset_random(const struct strset *s, uint64_t *rng, struct strset_pos *pos);
/* Remove the member at pos (found by strset_random or strset_next). */
void strset_delete_at(struct strset *s, const struct strset_pos *pos);

/* Iteration: start with pos = {0, 0}; each call returns the next member
 * (1) or 0 at the end.  The set must not change during the walk. */
int strset_next(const struct strset *s, struct strset_pos *pos, const char **p, size_t *len);

/* One SSCAN step from cursor (0 = start): calls fn for the members of
 * whole hash buckets until about `count` were visited; returns the next
 * cursor, 0 when the scan is complete. */
uint64_t strset_scan(const struct strset *s, uint64_t cursor, long count,
                     void (*fn)(void *arg, const char *p, size_t len), void *arg);

#endif

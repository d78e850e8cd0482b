/* skiplist.h - the ordered half of a big sorted set: a skiplist with spans.
 *
 * Pugh's skiplist as Redis uses it: elements ordered by (score, member),
 * duplicate scores allowed, a backward link at level 0 for reverse walks,
 * and a span per forward link (how many elements it skips) so an element's
 * rank, and the element at a rank, are found in O(log n).  The member
 * index (zindex.h) points at these nodes; a node never moves while it is
 * in the list (a score update relinks the same node), so those pointers
 * stay valid until the node is freed.
 *
 * Node layout, one allocation per element (Redis: a node plus a separate
 * sds plus a dictEntry):
 *
 *   score      8   the double
 *   back       8   backward pointer, the node's level in the top 8 bits
 *   next     8*L   forward pointers, L = level (1..32, P = 1/4)
 *   span   4*(L-1) spans of levels 1..L-1; level 0 always skips exactly 1
 *   mlen   1..5    varint member length
 *   member         the bytes
 *
 * A level-1 node (3 in 4 of them) with a 10-byte member is 35 bytes: one
 * 48-byte jemalloc class; level 2 adds 12 (still 48 below 14 bytes of
 * member).  Spans are 32-bit: a sorted set holds fewer than 2^32 members
 * (that many would take over 100 GB).
 *
 * Pure: no locks, no server state.  mem counts the usable size of every
 * allocation the list owns (header and nodes), kept up to date by every
 * call, so a caller's memory total is O(1).
 */
#ifndef CACHET_SKIPLIST_H
#define CACHET_SKIPLIST_H

#include <stddef.h>
#include <stdint.h>

#include "server/keyspace/entry.h" /* varint_get */
#include "server/types/zrange.h"

#define ZSL_MAXLEVEL 32
#define ZSL_LEVEL_SHIFT 56

struct zsl_node {
    double score;
    uintptr_t back;          /* prev | level << ZSL_LEVEL_SHIFT */
    struct zsl_node *next[]; /* then spans, then the member */
};

struct zsl {
    struct zsl_node *header; /* ZSL_MAXLEVEL levels, no member */
    struct zsl_node *tail;
    unsigned long length;
    int level;
    size_t mem;
};

static inline int zsl_node_level(const struct zsl_node *n)
{
    return (int)(n->back >> ZSL_LEVEL_SHIFT);
}

static inline struct zsl_node *zsl_prev(const struct zsl_node *n)
{
    return (struct zsl_node *)(n->back & (((uintptr_t)1 << ZSL_LEVEL_SHIFT) - 1));
}

static inline struct zsl_node *zsl_next(const struct zsl_node *n)
{
    return n->next[0];
}

static inline const char *zsl_member(const struct zsl_node *n, size_t *len)
{
    int lvl = zsl_node_level(n);
    const uint8_t *p = (const uint8_t *)(n->next + lvl) + 4 * (size_t)(lvl - 1);
    uint64_t l;
    p += varint_get(p, &l);
    *len = (size_t)l;
    return (const char *)p;
}

void zsl_init(struct zsl *zl);
/* Free every node and the header. */
void zsl_deinit(struct zsl *zl);

static inline struct zsl_node *zsl_first(const struct zsl *zl)
{
    return zl->header->next[0];
}

/* Insert (score, member); the member must not be in the list already. */
struct zsl_node *zsl_insert(struct zsl *zl, double score, const char *m, size_t mlen);
/* Unlink node n (found through its score and member) and free it. */
void zsl_delete(struct zsl *zl, struct zsl_node *n);
/* Give n a new score, moving it if the order requires; n stays the same
 * allocation. */
void zsl_update_score(struct zsl *zl, struct zsl_node *n, double score);

/* 1-based rank of node n. */
unsigned long zsl_rank(const struct zsl *zl, const struct zsl_node *n);
/* The node at 1-based rank, or NULL. */
struct zsl_node *zsl_at_rank(const struct zsl *zl, unsigned long rank);

/* First / last node inside the range, or NULL. */
struct zsl_node *zsl_first_in_score(const struct zsl *zl, const struct zrange_score *r);
struct zsl_node *zsl_last_in_score(const struct zsl *zl, const struct zrange_score *r);
struct zsl_node *zsl_first_in_lex(const struct zsl *zl, const struct zrange_lex *r);
struct zsl_node *zsl_last_in_lex(const struct zsl *zl, const struct zrange_lex *r);

/* Remove ranges; on_remove(n, arg) runs for each node before it is freed
 * (the member index drops it there).  Return how many were removed. */
typedef void (*zsl_remove_fn)(struct zsl_node *n, void *arg);
unsigned long zsl_delete_score(struct zsl *zl, const struct zrange_score *r, zsl_remove_fn fn,
                               void *arg);
unsigned long zsl_delete_lex(struct zsl *zl, const struct zrange_lex *r, zsl_remove_fn fn,
                             void *arg);
/* Ranks start..end, 1-based, inclusive. */
unsigned long zsl_delete_rank(struct zsl *zl, unsigned long start, unsigned long end,
                              zsl_remove_fn fn, void *arg);

#endif

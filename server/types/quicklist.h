/* quicklist.h - a list as a doubly linked chain of listpack nodes.
 *
 * Owns: the chain, how full a node may grow (the `fill` rule below), node
 * splits for inserts into a full node, walking by index with whole nodes
 * skipped by their counts, and the exact memory the list holds.  Must not:
 * know about commands, replies or configuration; callers pass `fill`.
 *
 * fill is Redis's list-max-listpack-size: a positive value caps a node at
 * that many elements (and at 8 KB, Redis's safety limit); -1..-5 cap a
 * node's listpack at 4, 8, 16, 32 or 64 KB.  An element that fits no node
 * (bigger than the limit) gets a node of its own.
 *
 * Memory (64-bit, jemalloc): the list header is 32 bytes, each node 32
 * bytes plus its listpack (8-byte header, 1-byte end, and per element its
 * encoding: 1 + len + 1 bytes for a short string, 2 for an int 0..127).
 * With the default fill (-2: 8 KB nodes) a node holds hundreds of small
 * elements, so the node header costs well under a byte per element.
 *
 * Every function expects the caller to hold whatever lock guards the list.
 */
#ifndef CACHET_QUICKLIST_H
#define CACHET_QUICKLIST_H

#include <stddef.h>
#include <stdint.h>

#include "server/types/listpack.h"

#define QL_HEAD 0
#define QL_TAIL 1

/* Iteration directions. */
#define QL_FORWARD 0  /* head to tail */
#define QL_BACKWARD 1 /* tail to head */

struct ql_node {
    struct ql_node *prev, *next;
    unsigned char *lp; /* never empty while linked */
    uint32_t count;    /* lp_count(lp), kept here so index walks never touch lp */
};

struct quicklist {
    struct ql_node *head, *tail;
    size_t count; /* elements */
    size_t mem;   /* mem_usable of this header, every node and every listpack */
};

/* One element's place: its node and its position in the node's listpack.
 * Valid until the list is next changed. */
struct ql_pos {
    struct ql_node *node;
    unsigned char *p;
};

struct quicklist *ql_create(void);
void ql_destroy(struct quicklist *ql);
struct quicklist *ql_dup(const struct quicklist *ql);

static inline size_t ql_count(const struct quicklist *ql) { return ql->count; }
static inline size_t ql_mem(const struct quicklist *ql) { return ql->mem; }

/* Add s at the head or the tail (QL_HEAD / QL_TAIL). */
void ql_push(struct quicklist *ql, int where, const char *s, size_t len, int fill);

/* The element at index (negative counts from the tail: -1 is the last);
 * returns 0 when out of range.  Skips whole nodes from the nearer end. */
int ql_seek(const struct quicklist *ql, long long index, struct ql_pos *pos);
/* Insert s before (LP_BEFORE) or after (LP_AFTER) the element at pos.  A
 * full node is split at that point (the halves merge with a neighbour
 * when they fit, as Redis does). */
void ql_insert(struct quicklist *ql, const struct ql_pos *pos, int where, const char *s,
               size_t len, int fill);
/* Replace the element at pos with s, in place (Redis 7.0's LSET). */
void ql_replace(struct quicklist *ql, const struct ql_pos *pos, const char *s, size_t len);
/* Delete n elements from index start (negative from the tail), clamped to
 * the list; whole nodes inside the range are freed without being read. */
void ql_del_range(struct quicklist *ql, long long start, size_t n);

/* Walking: ql_iter_init positions at index (out of range: nothing is
 * returned); each ql_iter_next yields the next element in direction dir.
 * ql_iter_delete removes the element last returned; the walk goes on with
 * the one after it.  Any other change to the list ends the walk. */
struct ql_iter {
    struct quicklist *ql;
    struct ql_node *node;
    unsigned char *p; /* element last returned, or about to be (fresh) */
    int dir;
    int fresh;        /* p has not been returned yet */
};

void ql_iter_init(struct quicklist *ql, long long index, int dir, struct ql_iter *it);
int ql_iter_next(struct ql_iter *it, struct lp_val *out);
void ql_iter_delete(struct ql_iter *it);
/* The element last returned, as a position (for ql_insert / ql_replace). */
static inline void ql_iter_pos(const struct ql_iter *it, struct ql_pos *pos)
{
    pos->node = it->node;
    pos->p = it->p;
}

/* Nodes in the chain (tests and diagnostics; O(nodes)). */
size_t ql_node_count(const struct quicklist *ql);

#endif

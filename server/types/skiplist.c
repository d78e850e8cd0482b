/* skiplist.c - see skiplist.h.
 *
 * The algorithms are Pugh's with Redis's two additions (spans for ranks, a
 * backward link).  Searches that must land on one exact element compare
 * (score, member); a node's identity is its pointer, since members are
 * unique.  Level 0's span is always 1 and is not stored: every reader of a
 * span only reads it across an existing forward link, where that holds, and
 * writes to it are dropped.
 */
#include "server/types/skiplist.h"

#include <stdlib.h>

#include "server/core/mem.h"
#include "server/core/rng.h"

/* Levels come from a per-thread generator: any thread may build a set
 * (the shard lock serialises access to one set, not to the generator). */
static __thread uint64_t level_rng;

static int random_level(void)
{
    if (!level_rng)
        level_rng = ((uint64_t)(uintptr_t)&level_rng * 0x9E3779B97F4A7C15ULL) | 1;
    uint64_t r = rng_next(&level_rng);
    int level = 1;
    while ((r & 3) == 0 && level < ZSL_MAXLEVEL) { /* P = 1/4 */
        level++;
        r >>= 2;
    }
    return level;
}

static inline uint32_t *spans(struct zsl_node *n)
{
    return (uint32_t *)(n->next + zsl_node_level(n));
}

static inline unsigned long span_get(const struct zsl_node *n, int i)
{
    return i ? spans((struct zsl_node *)n)[i - 1] : 1;
}

static inline void span_set(struct zsl_node *n, int i, unsigned long v)
{
    if (i)
        spans(n)[i - 1] = (uint32_t)v;
}

static inline void set_prev(struct zsl_node *n, struct zsl_node *p)
{
    n->back = (uintptr_t)p | ((uintptr_t)zsl_node_level(n) << ZSL_LEVEL_SHIFT);
}

static struct zsl_node *node_create(struct zsl *zl, int level, double score, const char *m,
                                    size_t mlen)
{
    size_t sz = sizeof(struct zsl_node) + 8 * (size_t)level + 4 * (size_t)(level - 1) +
                varint_len(mlen) + mlen;
    struct zsl_node *n = xmalloc(sz);
    /* The level lives in the top byte of the backward pointer, and the
     * member index (zindex.h) keeps a hash tag in a node pointer's top 16
     * bits: both need user addresses below 2^48 (x86-64 and arm64 with
     * 48-bit virtual addresses, what Linux hands out by default). */
    if ((uintptr_t)n >> 48)
        abort();
    n->score = score;
    n->back = (uintptr_t)level << ZSL_LEVEL_SHIFT;
    uint8_t *p = (uint8_t *)(n->next + level) + 4 * (size_t)(level - 1);
    p += varint_put(p, mlen);
    if (mlen)
        memcpy(p, m, mlen);
    zl->mem += mem_usable(n);
    return n;
}

static void node_free(struct zsl *zl, struct zsl_node *n)
{
    zl->mem -= mem_usable(n);
    free(n);
}

void zsl_init(struct zsl *zl)
{
    zl->mem = 0;
    zl->header = node_create(zl, ZSL_MAXLEVEL, 0, NULL, 0);
    for (int i = 0; i < ZSL_MAXLEVEL; i++) {
        zl->header->next[i] = NULL;
        span_set(zl->header, i, 0);
    }
    zl->tail = NULL;
    zl->length = 0;
    zl->level = 1;
}

void zsl_deinit(struct zsl *zl)
{
    struct zsl_node *n = zl->header->next[0];
    while (n) {
        struct zsl_node *next = n->next[0];
        node_free(zl, n);
        n = next;
    }
    node_free(zl, zl->header);
    zl->header = zl->tail = NULL;
    zl->length = 0;
}

/* x orders before (score, m). */
static inline int node_lt(const struct zsl_node *x, double score, const char *m, size_t mlen)
{
    if (x->score != score)
        return x->score < score;
    size_t xl;
    const char *xm = zsl_member(x, &xl);
    return zmember_cmp(xm, xl, m, mlen) < 0;
}

static inline int node_le(const struct zsl_node *x, double score, const char *m, size_t mlen)
{
    if (x->score != score)
        return x->score < score;
    size_t xl;
    const char *xm = zsl_member(x, &xl);
    return zmember_cmp(xm, xl, m, mlen) <= 0;
}

/* Link node x (its level already set) at its place by (score, member). */
static void link_node(struct zsl *zl, struct zsl_node *x)
{
    struct zsl_node *update[ZSL_MAXLEVEL], *p = zl->header;
    unsigned long rank[ZSL_MAXLEVEL];
    size_t mlen;
    const char *m = zsl_member(x, &mlen);
    for (int i = zl->level - 1; i >= 0; i--) {
        rank[i] = i == zl->level - 1 ? 0 : rank[i + 1];
        while (p->next[i] && node_lt(p->next[i], x->score, m, mlen)) {
            rank[i] += span_get(p, i);
            p = p->next[i];
        }
        update[i] = p;
    }
    int level = zsl_node_level(x);
    if (level > zl->level) {
        for (int i = zl->level; i < level; i++) {
            rank[i] = 0;
            update[i] = zl->header;
            span_set(zl->header, i, zl->length);
        }
        zl->level = level;
    }
    for (int i = 0; i < level; i++) {
        x->next[i] = update[i]->next[i];
        update[i]->next[i] = x;
        span_set(x, i, span_get(update[i], i) - (rank[0] - rank[i]));
        span_set(update[i], i, rank[0] - rank[i] + 1);
    }
    for (int i = level; i < zl->level; i++)
        span_set(update[i], i, span_get(update[i], i) + 1);
    set_prev(x, update[0] == zl->header ? NULL : update[0]);
    if (x->next[0])
        set_prev(x->next[0], x);
    else
        zl->tail = x;
    zl->length++;
}

struct zsl_node *zsl_insert(struct zsl *zl, double score, const char *m, size_t mlen)
{
    struct zsl_node *x = node_create(zl, random_level(), score, m, mlen);
    link_node(zl, x);
    return x;
}

/* Unlink x given update[i], its predecessor at every level. */
static void unlink_node(struct zsl *zl, struct zsl_node *x, struct zsl_node **update)
{
    for (int i = 0; i < zl->level; i++) {
        if (update[i]->next[i] == x) {
            span_set(update[i], i, span_get(update[i], i) + span_get(x, i) - 1);
            update[i]->next[i] = x->next[i];
        } else {
            span_set(update[i], i, span_get(update[i], i) - 1);
        }
    }
    if (x->next[0])
        set_prev(x->next[0], zsl_prev(x));
    else
        zl->tail = zsl_prev(x);
    while (zl->level > 1 && !zl->header->next[zl->level - 1])
        zl->level--;
    zl->length--;
}

/* Fill update[] with n's predecessors at every level. */
static void find_path(const struct zsl *zl, const struct zsl_node *n, struct zsl_node **update)
{
    struct zsl_node *p = zl->header;
    size_t mlen;
    const char *m = zsl_member(n, &mlen);
    for (int i = zl->level - 1; i >= 0; i--) {
        while (p->next[i] && p->next[i] != n && node_lt(p->next[i], n->score, m, mlen))
            p = p->next[i];
        update[i] = p;
    }
}

void zsl_delete(struct zsl *zl, struct zsl_node *n)
{
    struct zsl_node *update[ZSL_MAXLEVEL];
    find_path(zl, n, update);
    unlink_node(zl, n, update);
    node_free(zl, n);
}

void zsl_update_score(struct zsl *zl, struct zsl_node *n, double score)
{
    struct zsl_node *prev = zsl_prev(n), *next = n->next[0];
    /* Still strictly between its neighbours: the order cannot change. */
    if ((!prev || prev->score < score) && (!next || next->score > score)) {
        n->score = score;
        return;
    }
    struct zsl_node *update[ZSL_MAXLEVEL];
    find_path(zl, n, update);
    unlink_node(zl, n, update);
    n->score = score;
    link_node(zl, n);
}

unsigned long zsl_rank(const struct zsl *zl, const struct zsl_node *n)
{
    const struct zsl_node *x = zl->header;
    unsigned long rank = 0;
    size_t mlen;
    const char *m = zsl_member(n, &mlen);
    for (int i = zl->level - 1; i >= 0; i--) {
        while (x->next[i] && node_le(x->next[i], n->score, m, mlen)) {
            rank += span_get(x, i);
            x = x->next[i];
        }
        if (x == n)
            return rank;
    }
    return 0;
}

struct zsl_node *zsl_at_rank(const struct zsl *zl, unsigned long rank)
{
    struct zsl_node *x = zl->header;
    unsigned long traversed = 0;
    for (int i = zl->level - 1; i >= 0; i--) {
        while (x->next[i] && traversed + span_get(x, i) <= rank) {
            traversed += span_get(x, i);
            x = x->next[i];
        }
        if (traversed == rank)
            return x == zl->header ? NULL : x;
    }
    return NULL;
}

/* ---- score ranges ---- */

static int score_overlaps(const struct zsl *zl, const struct zrange_score *r)
{
    if (zrange_score_empty(r) || !zl->tail || !zscore_gte_min(zl->tail->score, r))
        return 0;
    struct zsl_node *first = zl->header->next[0];
    return first && zscore_lte_max(first->score, r);
}

struct zsl_node *zsl_first_in_score(const struct zsl *zl, const struct zrange_score *r)
{
    if (!score_overlaps(zl, r))
        return NULL;
    struct zsl_node *x = zl->header;
    for (int i = zl->level - 1; i >= 0; i--)
        while (x->next[i] && !zscore_gte_min(x->next[i]->score, r))
            x = x->next[i];
    x = x->next[0]; /* exists: the tail is >= min */
    return zscore_lte_max(x->score, r) ? x : NULL;
}

struct zsl_node *zsl_last_in_score(const struct zsl *zl, const struct zrange_score *r)
{
    if (!score_overlaps(zl, r))
        return NULL;
    struct zsl_node *x = zl->header;
    for (int i = zl->level - 1; i >= 0; i--)
        while (x->next[i] && zscore_lte_max(x->next[i]->score, r))
            x = x->next[i];
    /* not the header: the first element is <= max */
    return zscore_gte_min(x->score, r) ? x : NULL;
}

/* ---- lex ranges ---- */

static int node_lex_gte_min(const struct zsl_node *n, const struct zrange_lex *r)
{
    size_t l;
    const char *m = zsl_member(n, &l);
    return zlex_gte_min(m, l, r);
}

static int node_lex_lte_max(const struct zsl_node *n, const struct zrange_lex *r)
{
    size_t l;
    const char *m = zsl_member(n, &l);
    return zlex_lte_max(m, l, r);
}

static int lex_overlaps(const struct zsl *zl, const struct zrange_lex *r)
{
    if (zrange_lex_empty(r) || !zl->tail || !node_lex_gte_min(zl->tail, r))
        return 0;
    struct zsl_node *first = zl->header->next[0];
    return first && node_lex_lte_max(first, r);
}

struct zsl_node *zsl_first_in_lex(const struct zsl *zl, const struct zrange_lex *r)
{
    if (!lex_overlaps(zl, r))
        return NULL;
    struct zsl_node *x = zl->header;
    for (int i = zl->level - 1; i >= 0; i--)
        while (x->next[i] && !node_lex_gte_min(x->next[i], r))
            x = x->next[i];
    x = x->next[0];
    return node_lex_lte_max(x, r) ? x : NULL;
}

struct zsl_node *zsl_last_in_lex(const struct zsl *zl, const struct zrange_lex *r)
{
    if (!lex_overlaps(zl, r))
        return NULL;
    struct zsl_node *x = zl->header;
    for (int i = zl->level - 1; i >= 0; i--)
        while (x->next[i] && node_lex_lte_max(x->next[i], r))
            x = x->next[i];
    return node_lex_gte_min(x, r) ? x : NULL;
}

/* ---- range deletion ---- */

/* Delete from x on while keep_going(x); update[] are x's predecessors and
 * stay so as nodes go (each unlink makes them skip the removed node). */
static unsigned long delete_run(struct zsl *zl, struct zsl_node *x, struct zsl_node **update,
                                int (*in_range)(const struct zsl_node *, const void *),
                                const void *range, unsigned long limit, zsl_remove_fn fn,
                                void *arg)
{
    unsigned long removed = 0;
    while (x && removed < limit && (!in_range || in_range(x, range))) {
        struct zsl_node *next = x->next[0];
        unlink_node(zl, x, update);
        if (fn)
            fn(x, arg);
        node_free(zl, x);
        removed++;
        x = next;
    }
    return removed;
}

static int score_in_max(const struct zsl_node *x, const void *r)
{
    return zscore_lte_max(x->score, r);
}

static int lex_in_max(const struct zsl_node *x, const void *r)
{
    return node_lex_lte_max(x, r);
}

unsigned long zsl_delete_score(struct zsl *zl, const struct zrange_score *r, zsl_remove_fn fn,
                               void *arg)
{
    struct zsl_node *update[ZSL_MAXLEVEL], *x = zl->header;
    for (int i = zl->level - 1; i >= 0; i--) {
        while (x->next[i] && !zscore_gte_min(x->next[i]->score, r))
            x = x->next[i];
        update[i] = x;
    }
    return delete_run(zl, x->next[0], update, score_in_max, r, (unsigned long)-1, fn, arg);
}

unsigned long zsl_delete_lex(struct zsl *zl, const struct zrange_lex *r, zsl_remove_fn fn,
                             void *arg)
{
    struct zsl_node *update[ZSL_MAXLEVEL], *x = zl->header;
    for (int i = zl->level - 1; i >= 0; i--) {
        while (x->next[i] && !node_lex_gte_min(x->next[i], r))
            x = x->next[i];
        update[i] = x;
    }
    return delete_run(zl, x->next[0], update, lex_in_max, r, (unsigned long)-1, fn, arg);
}

unsigned long zsl_delete_rank(struct zsl *zl, unsigned long start, unsigned long end,
                              zsl_remove_fn fn, void *arg)
{
    struct zsl_node *update[ZSL_MAXLEVEL], *x = zl->header;
    unsigned long traversed = 0;
    if (start < 1 || end < start)
        return 0;
    for (int i = zl->level - 1; i >= 0; i--) {
        while (x->next[i] && traversed + span_get(x, i) < start) {
            traversed += span_get(x, i);
            x = x->next[i];
        }
        update[i] = x;
    }
    return delete_run(zl, x->next[0], update, NULL, NULL, end - start + 1, fn, arg);
}

/* quicklist.c - the chain of listpack nodes described in quicklist.h.
 *
 * Why nodes of listpacks: one listpack per list would make every push and
 * pop at the head a memmove of the whole list, and a linked list of single
 * elements would pay two pointers and an allocation per element.  Nodes of
 * a few KB keep a push or pop O(node) in the worst case and the per-element
 * cost at the listpack encoding's, as in Redis.
 *
 * Memory accounting: every change to a listpack goes through node_set_lp,
 * which takes the old allocation's usable size off ql->mem and adds the
 * new one's; nodes are counted as they are linked and unlinked.  So
 * ql->mem is exact at every return.
 */
#include "server/types/quicklist.h"

#include <string.h>

#include "server/core/mem.h"

/* Node listpack limits for fill -1..-5, and Redis's caps for positive
 * fills: 8 KB per node (SIZE_SAFETY_LIMIT) and a 16-bit count. */
static const size_t fill_bytes[] = {4096, 8192, 16384, 32768, 65536};
#define SAFETY_LIMIT 8192
#define FILL_MAX 32767
/* Redis's estimate of an element's encoding overhead when deciding whether
 * it still fits (SIZE_ESTIMATE_OVERHEAD): the same rule fills nodes to the
 * same size, so memory per element matches Redis's. */
#define EST_OVERHEAD 8
/* Listpack header and end byte: what two listpacks merged save. */
#define LP_FRAME 9

static int fits(size_t bytes, size_t count, int fill)
{
    if (fill < 0) {
        size_t level = fill < -5 ? 4 : (size_t)(-1 - fill); /* -1 -> 0 ... -5 -> 4 */
        return bytes <= fill_bytes[level];
    }
    if (fill > FILL_MAX)
        fill = FILL_MAX;
    return bytes <= SAFETY_LIMIT && count <= (size_t)fill;
}

/* May node n take one more element of len bytes? */
static int node_allows(const struct ql_node *n, int fill, size_t len)
{
    return n && fits(lp_bytes(n->lp) + len + EST_OVERHEAD, (size_t)n->count + 1, fill);
}

/* n's listpack became lp (after a mutation of the one whose usable size
 * was `before`): account bytes and elements. */
static void node_set_lp(struct quicklist *ql, struct ql_node *n, unsigned char *lp, size_t before)
{
    n->lp = lp;
    ql->mem = ql->mem - before + mem_usable(lp);
    uint32_t c = lp_count(lp);
    ql->count = ql->count - n->count + c;
    n->count = c;
}

static unsigned char *lp_clone(const unsigned char *lp)
{
    size_t n = lp_bytes(lp);
    unsigned char *c = xmalloc(n);
    memcpy(c, lp, n);
    return c;
}

/* A new, unlinked node owning lp; its elements are counted when linked. */
static struct ql_node *node_create(unsigned char *lp)
{
    struct ql_node *n = xmalloc(sizeof(*n));
    n->prev = n->next = NULL;
    n->lp = lp;
    n->count = lp_count(lp);
    return n;
}

/* Link n after `at` (at == NULL: as the new head). */
static void link_after(struct quicklist *ql, struct ql_node *at, struct ql_node *n)
{
    n->prev = at;
    n->next = at ? at->next : ql->head;
    if (n->next)
        n->next->prev = n;
    else
        ql->tail = n;
    if (at)
        at->next = n;
    else
        ql->head = n;
    ql->count += n->count;
    ql->mem += mem_usable(n) + mem_usable(n->lp);
}

static void link_before(struct quicklist *ql, struct ql_node *at, struct ql_node *n)
{
    link_after(ql, at ? at->prev : ql->tail, n);
}

static void node_remove(struct quicklist *ql, struct ql_node *n)
{
    if (n->prev)
        n->prev->next = n->next;
    else
        ql->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        ql->tail = n->prev;
    ql->count -= n->count;
    ql->mem -= mem_usable(n) + mem_usable(n->lp);
    lp_destroy(n->lp);
    free(n);
}

static struct ql_node *node_new_with(const char *s, size_t len)
{
    return node_create(lp_append(lp_create(), s, len));
}

static void node_push(struct quicklist *ql, struct ql_node *n, int where, const char *s,
                      size_t len)
{
    size_t before = mem_usable(n->lp);
    unsigned char *lp = where == QL_HEAD ? lp_prepend(n->lp, s, len) : lp_append(n->lp, s, len);
    node_set_lp(ql, n, lp, before);
}

struct quicklist *ql_create(void)
{
    struct quicklist *ql = xcalloc(1, sizeof(*ql));
    ql->mem = mem_usable(ql);
    return ql;
}

void ql_destroy(struct quicklist *ql)
{
    struct ql_node *n = ql->head;
    while (n) {
        struct ql_node *next = n->next;
        lp_destroy(n->lp);
        free(n);
        n = next;
    }
    free(ql);
}

struct quicklist *ql_dup(const struct quicklist *ql)
{
    struct quicklist *d = ql_create();
    for (const struct ql_node *n = ql->head; n; n = n->next)
        link_after(d, d->tail, node_create(lp_clone(n->lp)));
    return d;
}

size_t ql_node_count(const struct quicklist *ql)
{
    size_t k = 0;
    for (const struct ql_node *n = ql->head; n; n = n->next)
        k++;
    return k;
}

void ql_push(struct quicklist *ql, int where, const char *s, size_t len, int fill)
{
    struct ql_node *n = where == QL_HEAD ? ql->head : ql->tail;
    if (node_allows(n, fill, len)) {
        node_push(ql, n, where, s, len);
        return;
    }
    n = node_new_with(s, len);
    if (where == QL_HEAD)
        link_after(ql, NULL, n);
    else
        link_after(ql, ql->tail, n);
}

/* The node holding element `index` (0 <= index < count) and its offset in
 * that node, walking whole nodes from the nearer end. */
static struct ql_node *locate(const struct quicklist *ql, size_t index, size_t *off)
{
    struct ql_node *n;
    if (index < ql->count / 2) {
        n = ql->head;
        while (index >= n->count) {
            index -= n->count;
            n = n->next;
        }
        *off = index;
    } else {
        size_t back = ql->count - 1 - index; /* distance from the tail */
        n = ql->tail;
        while (back >= n->count) {
            back -= n->count;
            n = n->prev;
        }
        *off = n->count - 1 - back;
    }
    return n;
}

/* index made absolute; 0 when out of range. */
static int absolute(const struct quicklist *ql, long long index, size_t *out)
{
    if (index < 0)
        index += (long long)ql->count;
    if (index < 0 || (unsigned long long)index >= ql->count)
        return 0;
    *out = (size_t)index;
    return 1;
}

int ql_seek(const struct quicklist *ql, long long index, struct ql_pos *pos)
{
    size_t i, off;
    if (!absolute(ql, index, &i))
        return 0;
    pos->node = locate(ql, i, &off);
    pos->p = lp_seek(pos->node->lp, (long)off);
    return 1;
}

void ql_replace(struct quicklist *ql, const struct ql_pos *pos, const char *s, size_t len)
{
    struct ql_node *n = pos->node;
    unsigned char *p = pos->p;
    size_t before = mem_usable(n->lp);
    node_set_lp(ql, n, lp_replace(n->lp, &p, s, len), before);
}

/* Append every element of b to a and free b (a immediately precedes b). */
static void merge_into(struct quicklist *ql, struct ql_node *a, struct ql_node *b)
{
    size_t before = mem_usable(a->lp);
    unsigned char *lp = a->lp;
    for (unsigned char *p = lp_first(b->lp); p; p = lp_next(b->lp, p)) {
        struct lp_val v;
        lp_get(p, &v);
        lp = v.s ? lp_append(lp, v.s, v.len) : lp_append_int(lp, v.v);
    }
    node_set_lp(ql, a, lp, before); /* counts b's elements twice ... */
    node_remove(ql, b);             /* ... until b goes */
}

/* Merge a and b (a->next == b, either may be NULL) if the result fits. */
static void try_merge(struct quicklist *ql, struct ql_node *a, struct ql_node *b, int fill)
{
    if (a && b &&
        fits(lp_bytes(a->lp) + lp_bytes(b->lp) - LP_FRAME, (size_t)a->count + b->count, fill))
        merge_into(ql, a, b);
}

/* Split n before position cut (not its first element): n keeps the
 * elements before cut, a new node after n gets cut and the rest. */
static struct ql_node *node_split(struct quicklist *ql, struct ql_node *n, unsigned char *cut)
{
    unsigned long k = 0; /* elements before cut */
    for (unsigned char *p = lp_first(n->lp); p != cut; p = lp_next(n->lp, p))
        k++;
    unsigned char *rest = lp_delete_range(lp_clone(n->lp), 0, k);
    size_t before = mem_usable(n->lp);
    node_set_lp(ql, n, lp_delete_range_at(n->lp, &cut, n->count - k), before);
    struct ql_node *m = node_create(rest);
    link_after(ql, n, m);
    return m;
}

void ql_insert(struct quicklist *ql, const struct ql_pos *pos, int where, const char *s,
               size_t len, int fill)
{
    struct ql_node *n = pos->node;
    unsigned char *p = pos->p;
    if (node_allows(n, fill, len)) {
        size_t before = mem_usable(n->lp);
        node_set_lp(ql, n, lp_insert(n->lp, p, where, s, len, NULL), before);
        return;
    }
    unsigned char *cut = where == LP_AFTER ? lp_next(n->lp, p) : p;
    if (cut == NULL) { /* after n's last element */
        if (node_allows(n->next, fill, len))
            node_push(ql, n->next, QL_HEAD, s, len);
        else
            link_after(ql, n, node_new_with(s, len));
        return;
    }
    if (cut == lp_first(n->lp)) { /* before n's first element */
        if (node_allows(n->prev, fill, len))
            node_push(ql, n->prev, QL_TAIL, s, len);
        else
            link_before(ql, n, node_new_with(s, len));
        return;
    }
    struct ql_node *m = node_split(ql, n, cut);
    if (node_allows(n, fill, len))
        node_push(ql, n, QL_TAIL, s, len);
    else if (node_allows(m, fill, len))
        node_push(ql, m, QL_HEAD, s, len);
    else
        link_after(ql, n, node_new_with(s, len));
    /* Halves of a split are at most half full: fold them into their outer
     * neighbours when they fit, so repeated middle inserts do not leave a
     * trail of small nodes. */
    try_merge(ql, n->prev, n, fill);
    try_merge(ql, m, m->next, fill);
}

void ql_del_range(struct quicklist *ql, long long start, size_t n)
{
    size_t i, off;
    if (!absolute(ql, start, &i) || n == 0)
        return;
    if (n > ql->count - i)
        n = ql->count - i;
    struct ql_node *node = locate(ql, i, &off);
    while (n > 0) {
        struct ql_node *next = node->next;
        if (off == 0 && n >= node->count) {
            n -= node->count;
            node_remove(ql, node);
        } else {
            size_t k = node->count - off < n ? node->count - off : n;
            size_t before = mem_usable(node->lp);
            node_set_lp(ql, node, lp_delete_range(node->lp, (long)off, k), before);
            n -= k;
        }
        off = 0;
        node = next;
    }
}

/* ---- iteration ------------------------------------------------------------ */

/* The first element of n in direction dir, or NULL when n is NULL. */
static unsigned char *node_start(struct ql_node *n, int dir)
{
    if (!n)
        return NULL;
    return dir == QL_FORWARD ? lp_first(n->lp) : lp_last(n->lp);
}

void ql_iter_init(struct quicklist *ql, long long index, int dir, struct ql_iter *it)
{
    struct ql_pos pos = {NULL, NULL};
    it->ql = ql;
    it->dir = dir;
    it->fresh = 1;
    ql_seek(ql, index, &pos);
    it->node = pos.node;
    it->p = pos.p;
}

int ql_iter_next(struct ql_iter *it, struct lp_val *out)
{
    if (!it->p)
        return 0;
    if (!it->fresh) {
        struct ql_node *n = it->node;
        it->p = it->dir == QL_FORWARD ? lp_next(n->lp, it->p) : lp_prev(n->lp, it->p);
        if (!it->p) {
            it->node = it->dir == QL_FORWARD ? n->next : n->prev;
            it->p = node_start(it->node, it->dir);
            if (!it->p)
                return 0;
        }
    }
    it->fresh = 0;
    lp_get(it->p, out);
    return 1;
}

void ql_iter_delete(struct ql_iter *it)
{
    struct quicklist *ql = it->ql;
    struct ql_node *n = it->node;
    unsigned char *p = it->p;
    /* Walking backwards, the next element is the one before p: remember
     * its offset, as the listpack may move when it shrinks. */
    unsigned char *prev = it->dir == QL_BACKWARD ? lp_prev(n->lp, p) : NULL;
    size_t prev_off = prev ? (size_t)(prev - n->lp) : 0;
    size_t before = mem_usable(n->lp);
    node_set_lp(ql, n, lp_delete(n->lp, &p), before);
    it->fresh = 1;
    if (n->count == 0) {
        it->node = it->dir == QL_FORWARD ? n->next : n->prev;
        it->p = node_start(it->node, it->dir);
        node_remove(ql, n);
    } else if (it->dir == QL_FORWARD && p) {
        it->p = p;
    } else if (it->dir == QL_BACKWARD && prev) {
        it->p = n->lp + prev_off;
    } else {
        it->node = it->dir == QL_FORWARD ? n->next : n->prev;
        it->p = node_start(it->node, it->dir);
    }
}

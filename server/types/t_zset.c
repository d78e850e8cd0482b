/* t_zset.c - the sorted-set object over its two encodings; see t_zset.h.
 *
 * Each operation is one switch on the encoding: the listpack side is in
 * zset_listpack.c, the skiplist side combines skiplist.c (order, ranks)
 * with zindex.c (member lookup).  Conversions and the type_ops row live
 * here.  Must not: reply to clients or touch the keyspace.
 */
#include "server/types/t_zset.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/config.h"
#include "server/core/mem.h"
#include "server/types/types.h"
#include "server/types/zindex.h"
#include "server/types/zset_listpack.h"

struct zset_big {
    struct zsl zsl;
    struct zindex idx;
};

/* ---- the big encoding ---- */

static struct zset_big *big_create(size_t hint)
{
    struct zset_big *b = xmalloc(sizeof(*b));
    zsl_init(&b->zsl);
    zidx_init(&b->idx);
    if (hint)
        zidx_reserve(&b->idx, hint);
    return b;
}

static void big_destroy(struct zset_big *b)
{
    zidx_deinit(&b->idx);
    zsl_deinit(&b->zsl);
    free(b);
}

static void big_insert(struct zset_big *b, double score, const char *m, size_t mlen)
{
    zidx_add(&b->idx, zsl_insert(&b->zsl, score, m, mlen));
}

static void drop_from_index(struct zsl_node *n, void *arg)
{
    size_t l;
    const char *m = zsl_member(n, &l);
    zidx_remove(arg, m, l);
}

static size_t max_entries(void)
{
    long long v = CFG(zset_max_listpack_entries);
    return v < 0 ? 0 : (size_t)v;
}

static size_t max_value(void)
{
    long long v = CFG(zset_max_listpack_value);
    return v < 0 ? 0 : (size_t)v;
}

static void to_skiplist(struct zset *z)
{
    unsigned char *lp = z->u.lp;
    struct zset_big *b = big_create(zl_len(lp) + 1);
    for (unsigned char *mp = lp_first(lp); mp; mp = zl_next(lp, mp)) {
        char buf[LP_INTBUF];
        size_t l;
        const char *m = zl_member(mp, buf, &l);
        big_insert(b, zl_score(lp, mp), m, l);
    }
    lp_destroy(lp);
    z->enc = ZSET_SKIPLIST;
    z->u.big = b;
}

/* ---- create / destroy / copy / size ---- */

void *zset_create(void)
{
    struct zset *z = xmalloc(sizeof(*z));
    z->enc = ZSET_LISTPACK;
    z->u.lp = lp_create();
    return z;
}

struct zset *zset_create_skiplist(void)
{
    struct zset *z = xmalloc(sizeof(*z));
    z->enc = ZSET_SKIPLIST;
    z->u.big = big_create(0);
    return z;
}

struct zset *zset_create_for_add(size_t first_mlen)
{
    if (max_entries() == 0 || first_mlen > max_value())
        return zset_create_skiplist();
    return zset_create();
}

void zset_destroy(void *obj)
{
    struct zset *z = obj;
    if (z->enc == ZSET_LISTPACK)
        lp_destroy(z->u.lp);
    else
        big_destroy(z->u.big);
    free(z);
}

void *zset_dup(const void *obj)
{
    const struct zset *z = obj;
    struct zset *d = xmalloc(sizeof(*d));
    d->enc = z->enc;
    if (z->enc == ZSET_LISTPACK) {
        size_t n = lp_bytes(z->u.lp);
        d->u.lp = xmalloc(n);
        memcpy(d->u.lp, z->u.lp, n);
        return d;
    }
    const struct zset_big *b = z->u.big;
    d->u.big = big_create(b->zsl.length);
    for (struct zsl_node *n = zsl_first(&b->zsl); n; n = zsl_next(n)) {
        size_t l;
        const char *m = zsl_member(n, &l);
        big_insert(d->u.big, n->score, m, l);
    }
    return d;
}

size_t zset_mem(const void *obj)
{
    const struct zset *z = obj;
    size_t n = mem_usable((void *)z);
    if (z->enc == ZSET_LISTPACK)
        return n + mem_usable(z->u.lp);
    const struct zset_big *b = z->u.big;
    return n + mem_usable((void *)b) + b->zsl.mem + b->idx.mem;
}

size_t zset_len(const struct zset *z)
{
    return z->enc == ZSET_LISTPACK ? zl_len(z->u.lp) : z->u.big->zsl.length;
}

static size_t len_op(const void *obj)
{
    return zset_len(obj);
}

static const char *encoding_op(const void *obj)
{
    return ((const struct zset *)obj)->enc == ZSET_LISTPACK ? "listpack" : "skiplist";
}

const struct type_ops zset_type_ops = {
    .name = "zset",
    .mem = zset_mem,
    .len = len_op,
    .destroy = zset_destroy,
    .dup = zset_dup,
    .encoding = encoding_op,
};

/* ---- building whole sets ---- */

void zitem_set(struct zitem *it, const struct zelem *e)
{
    it->mlen = e->mlen;
    it->score = e->score;
    if (e->m == e->buf) {
        memcpy(it->ibuf, e->buf, e->mlen);
        it->m = NULL;
    } else {
        it->m = e->m;
    }
}

static int item_cmp(const void *a, const void *b)
{
    const struct zitem *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return zmember_cmp(zitem_member(x), x->mlen, zitem_member(y), y->mlen);
}

void zitems_sort(struct zitem *items, size_t n)
{
    if (n > 1)
        qsort(items, n, sizeof(*items), item_cmp);
}

struct zset *zset_build(struct zitem *items, size_t n)
{
    zitems_sort(items, n);
    int fits = n <= max_entries();
    for (size_t i = 0; fits && i < n; i++)
        fits = items[i].mlen <= max_value();
    if (fits) {
        struct zset *z = zset_create();
        for (size_t i = 0; i < n; i++)
            z->u.lp = zl_append(z->u.lp, zitem_member(&items[i]), items[i].mlen, items[i].score);
        return z;
    }
    struct zset *z = xmalloc(sizeof(*z));
    z->enc = ZSET_SKIPLIST;
    z->u.big = big_create(n);
    for (size_t i = 0; i < n; i++)
        big_insert(z->u.big, items[i].score, zitem_member(&items[i]), items[i].mlen);
    return z;
}

void zitems_listpack_prefix(struct zitem *items, size_t n, long known)
{
    size_t max_n = max_entries(), max_len = max_value();
    int start_listpack = known < 0 || (size_t)known <= max_n;
    for (size_t i = 0; start_listpack && i < n; i++) {
        if (i + 1 > max_n || items[i].mlen > max_len)
            return; /* Redis converts to a skiplist here */
        if (items[i].score == 0)
            items[i].score = 0.0; /* a listpack stores -0 as the integer 0 */
    }
}

void zset_shrink_if_small(struct zset *z)
{
    if (z->enc != ZSET_SKIPLIST || z->u.big->zsl.length > max_entries())
        return;
    struct zset_big *b = z->u.big;
    for (struct zsl_node *n = zsl_first(&b->zsl); n; n = zsl_next(n)) {
        size_t l;
        zsl_member(n, &l);
        if (l > max_value())
            return;
    }
    unsigned char *lp = lp_create();
    for (struct zsl_node *n = zsl_first(&b->zsl); n; n = zsl_next(n)) {
        size_t l;
        const char *m = zsl_member(n, &l);
        lp = zl_append(lp, m, l, n->score);
    }
    big_destroy(b);
    z->enc = ZSET_LISTPACK;
    z->u.lp = lp;
}

/* ---- single elements ---- */

/* The ZADD rules for a member that exists with score cur: the score to
 * set, or 0 when the call is a no-op (*nan for a NaN sum). */
static int existing_update(double cur, double *score, int flags, int *out, int *nan)
{
    *nan = 0;
    if (flags & ZADD_NX) {
        *out = ZADD_NOP;
        return 0;
    }
    if (flags & ZADD_INCR) {
        *score += cur;
        if (isnan(*score)) {
            *nan = 1;
            return 0;
        }
    }
    if (((flags & ZADD_LT) && *score >= cur) || ((flags & ZADD_GT) && *score <= cur)) {
        *out = ZADD_NOP;
        return 0;
    }
    return 1;
}

int zset_add(struct zset *z, double score, const char *m, size_t mlen, int flags, int *out,
             double *newscore)
{
    double cur;
    int nan;
    *out = 0;
    if (isnan(score))
        return 0;
    if (z->enc == ZSET_LISTPACK) {
        unsigned char *mp = zl_find(z->u.lp, m, mlen, &cur);
        if (mp) {
            if (!existing_update(cur, &score, flags, out, &nan))
                return !nan;
            *newscore = score;
            if (score != cur) {
                z->u.lp = zl_delete(z->u.lp, mp);
                z->u.lp = zl_insert(z->u.lp, m, mlen, score);
                *out = ZADD_UPDATED;
            }
            return 1;
        }
        if (flags & ZADD_XX) {
            *out = ZADD_NOP;
            return 1;
        }
        if (zl_len(z->u.lp) + 1 <= max_entries() && mlen <= max_value()) {
            z->u.lp = zl_insert(z->u.lp, m, mlen, score);
            *newscore = score;
            *out = ZADD_ADDED;
            return 1;
        }
        to_skiplist(z);
    }
    struct zset_big *b = z->u.big;
    struct zsl_node *n = zidx_find(&b->idx, m, mlen);
    if (n) {
        if (!existing_update(n->score, &score, flags, out, &nan))
            return !nan;
        *newscore = score;
        if (score != n->score) {
            zsl_update_score(&b->zsl, n, score);
            *out = ZADD_UPDATED;
        }
        return 1;
    }
    if (flags & ZADD_XX) {
        *out = ZADD_NOP;
        return 1;
    }
    big_insert(b, score, m, mlen);
    *newscore = score;
    *out = ZADD_ADDED;
    return 1;
}

int zset_add_new(struct zset *z, double score, const char *m, size_t mlen)
{
    if (isnan(score))
        return 0;
    if (z->enc == ZSET_LISTPACK) {
        if (zl_len(z->u.lp) + 1 <= max_entries() && mlen <= max_value()) {
            z->u.lp = zl_insert(z->u.lp, m, mlen, score);
            return 1;
        }
        to_skiplist(z);
    }
    big_insert(z->u.big, score, m, mlen);
    return 1;
}

int zset_score(const struct zset *z, const char *m, size_t mlen, double *score)
{
    if (z->enc == ZSET_LISTPACK)
        return zl_find(z->u.lp, m, mlen, score) != NULL;
    struct zsl_node *n = zidx_find(&z->u.big->idx, m, mlen);
    if (n)
        *score = n->score;
    return n != NULL;
}

int zset_remove(struct zset *z, const char *m, size_t mlen)
{
    if (z->enc == ZSET_LISTPACK) {
        unsigned char *mp = zl_find(z->u.lp, m, mlen, NULL);
        if (mp)
            z->u.lp = zl_delete(z->u.lp, mp);
        return mp != NULL;
    }
    struct zsl_node *n = zidx_remove(&z->u.big->idx, m, mlen);
    if (n)
        zsl_delete(&z->u.big->zsl, n);
    return n != NULL;
}

long zset_rank(const struct zset *z, const char *m, size_t mlen, int rev)
{
    unsigned long len = zset_len(z), r;
    if (z->enc == ZSET_LISTPACK) {
        unsigned char *mp = zl_find(z->u.lp, m, mlen, NULL);
        if (!mp)
            return -1;
        r = zl_rank(z->u.lp, mp);
    } else {
        struct zsl_node *n = zidx_find(&z->u.big->idx, m, mlen);
        if (!n)
            return -1;
        r = zsl_rank(&z->u.big->zsl, n) - 1;
    }
    return (long)(rev ? len - 1 - r : r);
}

static void elem_from_lp(unsigned char *lp, unsigned char *mp, struct zelem *e)
{
    e->m = zl_member(mp, e->buf, &e->mlen);
    e->score = zl_score(lp, mp);
}

static void elem_from_node(const struct zsl_node *n, struct zelem *e)
{
    e->m = zsl_member(n, &e->mlen);
    e->score = n->score;
}

int zset_at_rank(const struct zset *z, unsigned long rank, struct zelem *e)
{
    if (z->enc == ZSET_LISTPACK) {
        unsigned char *mp = zl_at_rank(z->u.lp, rank);
        if (mp)
            elem_from_lp(z->u.lp, mp, e);
        return mp != NULL;
    }
    struct zsl_node *n = zsl_at_rank(&z->u.big->zsl, rank + 1);
    if (n)
        elem_from_node(n, e);
    return n != NULL;
}

/* ---- ranges ---- */

unsigned long zset_count_score(const struct zset *z, const struct zrange_score *r)
{
    if (z->enc == ZSET_LISTPACK) {
        unsigned long n = 0;
        unsigned char *lp = z->u.lp;
        for (unsigned char *mp = zl_first_in_score(lp, r); mp && zscore_lte_max(zl_score(lp, mp), r);
             mp = zl_next(lp, mp))
            n++;
        return n;
    }
    const struct zsl *zl = &z->u.big->zsl;
    struct zsl_node *first = zsl_first_in_score(zl, r);
    if (!first)
        return 0;
    return zsl_rank(zl, zsl_last_in_score(zl, r)) - zsl_rank(zl, first) + 1;
}

unsigned long zset_count_lex(const struct zset *z, const struct zrange_lex *r)
{
    if (z->enc == ZSET_LISTPACK) {
        unsigned long n = 0;
        unsigned char *lp = z->u.lp;
        for (unsigned char *mp = zl_first_in_lex(lp, r); mp; mp = zl_next(lp, mp)) {
            char buf[LP_INTBUF];
            size_t l;
            const char *m = zl_member(mp, buf, &l);
            if (!zlex_lte_max(m, l, r))
                break;
            n++;
        }
        return n;
    }
    /* Redis's arithmetic, kept for members whose scores differ (lex ranges
     * assume equal scores; then the last may not follow the first). */
    const struct zsl *zl = &z->u.big->zsl;
    struct zsl_node *first = zsl_first_in_lex(zl, r), *last;
    if (!first)
        return 0;
    unsigned long count = zl->length - (zsl_rank(zl, first) - 1);
    if ((last = zsl_last_in_lex(zl, r)))
        count -= zl->length - zsl_rank(zl, last);
    return count;
}

unsigned long zset_remove_score(struct zset *z, const struct zrange_score *r)
{
    unsigned long n;
    if (z->enc == ZSET_LISTPACK) {
        z->u.lp = zl_delete_score(z->u.lp, r, &n);
        return n;
    }
    return zsl_delete_score(&z->u.big->zsl, r, drop_from_index, &z->u.big->idx);
}

unsigned long zset_remove_lex(struct zset *z, const struct zrange_lex *r)
{
    unsigned long n;
    if (z->enc == ZSET_LISTPACK) {
        z->u.lp = zl_delete_lex(z->u.lp, r, &n);
        return n;
    }
    return zsl_delete_lex(&z->u.big->zsl, r, drop_from_index, &z->u.big->idx);
}

unsigned long zset_remove_rank(struct zset *z, unsigned long start, unsigned long end)
{
    if (z->enc == ZSET_LISTPACK) {
        z->u.lp = zl_delete_rank(z->u.lp, start, end);
        return end - start + 1;
    }
    return zsl_delete_rank(&z->u.big->zsl, start + 1, end + 1, drop_from_index,
                           &z->u.big->idx);
}

/* ---- iteration ---- */

static void iter_init(struct zset_iter *it, const struct zset *z, int rev)
{
    it->z = z;
    it->rev = rev;
    it->p = NULL;
    it->n = NULL;
}

void zset_iter_rank(struct zset_iter *it, const struct zset *z, unsigned long rank, int rev)
{
    iter_init(it, z, rev);
    unsigned long at = rev ? zset_len(z) - 1 - rank : rank;
    if (z->enc == ZSET_LISTPACK)
        it->p = zl_at_rank(z->u.lp, at);
    else
        it->n = zsl_at_rank(&z->u.big->zsl, at + 1);
}

int zset_iter_score(struct zset_iter *it, const struct zset *z, const struct zrange_score *r,
                    int rev)
{
    iter_init(it, z, rev);
    if (z->enc == ZSET_LISTPACK)
        it->p = rev ? zl_last_in_score(z->u.lp, r) : zl_first_in_score(z->u.lp, r);
    else
        it->n = rev ? zsl_last_in_score(&z->u.big->zsl, r) : zsl_first_in_score(&z->u.big->zsl, r);
    return it->p || it->n;
}

int zset_iter_lex(struct zset_iter *it, const struct zset *z, const struct zrange_lex *r,
                  int rev)
{
    iter_init(it, z, rev);
    if (z->enc == ZSET_LISTPACK)
        it->p = rev ? zl_last_in_lex(z->u.lp, r) : zl_first_in_lex(z->u.lp, r);
    else
        it->n = rev ? zsl_last_in_lex(&z->u.big->zsl, r) : zsl_first_in_lex(&z->u.big->zsl, r);
    return it->p || it->n;
}

int zset_iter_next(struct zset_iter *it, struct zelem *e)
{
    if (it->z->enc == ZSET_LISTPACK) {
        unsigned char *lp = it->z->u.lp;
        if (!it->p)
            return 0;
        elem_from_lp(lp, it->p, e);
        it->p = it->rev ? zl_prev(lp, it->p) : zl_next(lp, it->p);
        return 1;
    }
    if (!it->n)
        return 0;
    elem_from_node(it->n, e);
    it->n = it->rev ? zsl_prev(it->n) : zsl_next(it->n);
    return 1;
}

/* ---- scan ---- */

struct scan_state {
    zset_scan_fn emit;
    void *arg;
    long long emitted;
};

static void scan_node(struct zsl_node *n, void *arg)
{
    struct scan_state *st = arg;
    char sbuf[ZSCORE_BUF];
    size_t l;
    const char *m = zsl_member(n, &l);
    int slen = zscore_d2string(sbuf, n->score);
    st->emit(st->arg, m, l, sbuf, (size_t)slen);
    st->emitted++;
}

uint64_t zset_scan(const struct zset *z, uint64_t cursor, long long count, zset_scan_fn emit,
                   void *arg)
{
    if (z->enc == ZSET_LISTPACK) {
        unsigned char *lp = z->u.lp;
        for (unsigned char *mp = lp_first(lp); mp; mp = zl_next(lp, mp)) {
            char mbuf[LP_INTBUF], sbuf[LP_INTBUF];
            size_t ml, sl;
            const char *m = zl_member(mp, mbuf, &ml);
            const char *s = zl_score_str(lp, mp, sbuf, &sl);
            emit(arg, m, ml, s, sl);
        }
        return 0;
    }
    /* As Redis: buckets until COUNT elements, at most 10 x COUNT buckets. */
    struct scan_state st = {emit, arg, 0};
    long long budget = count > LLONG_MAX / 10 ? LLONG_MAX : count * 10;
    do {
        cursor = zidx_scan(&z->u.big->idx, cursor, scan_node, &st);
    } while (cursor && budget-- && st.emitted < count);
    return cursor;
}

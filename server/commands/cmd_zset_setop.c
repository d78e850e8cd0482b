/* cmd_zset_setop.c - ZUNION, ZINTER, ZDIFF, their STORE forms and
 * ZINTERCARD, as Redis 7.0's zunionInterDiffGenericCommand: sources may
 * be sorted sets or plain sets (members scored 1), WEIGHTS multiply,
 * AGGREGATE SUM|MIN|MAX combines (a NaN from inf + -inf or 0 * inf is 0).
 *
 * Sources are taken smallest first for UNION and INTER (a stable sort by
 * size, as glibc's qsort is for Redis), so a SUM adds in Redis's order and
 * gives the same bits.  Results are collected as items pointing into the
 * sources, which nothing changes until the reply or store is done.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "server/commands/cmd_zset.h"
#include "server/core/mem.h"
#include "server/core/util.h"
#include "server/types/t_set.h"
#include "server/types/types.h"

enum { OP_UNION, OP_INTER, OP_DIFF };
enum { AGG_SUM, AGG_MIN, AGG_MAX };

struct zsrc {
    int type; /* T_ZSET, T_SET, or -1 for a missing key */
    const void *obj;
    unsigned long len;
    double weight;
    int pos; /* argument order, for a stable sort */
};

/* ---- sources ---- */

/* Called per element; returns 0 to stop.  `stable`: m stays valid while
 * the sources are unchanged (else it is a short, copied-out integer). */
typedef int (*elem_fn)(void *arg, const char *m, size_t mlen, int stable, double score);

struct set_walk {
    elem_fn fn;
    void *arg;
    int stopped;
};

static void set_walk_emit(void *arg, const char *p, size_t len)
{
    struct set_walk *w = arg;
    if (!w->stopped && !w->fn(w->arg, p, len, len >= LP_INTBUF, 1.0))
        w->stopped = 1;
}

static void src_each(const struct zsrc *s, elem_fn fn, void *arg)
{
    if (s->type == T_ZSET) {
        struct zset_iter it;
        struct zelem el;
        if (!s->len)
            return;
        zset_iter_rank(&it, s->obj, 0, 0);
        while (zset_iter_next(&it, &el))
            if (!fn(arg, el.m, el.mlen, el.m != el.buf, el.score))
                return;
    } else if (s->type == T_SET) {
        /* A whole scan of a set nobody changes meanwhile visits each
         * member once. */
        struct set_walk w = {fn, arg, 0};
        uint64_t cursor = 0;
        do
            cursor = set_scan(s->obj, cursor, 1024, set_walk_emit, &w);
        while (cursor && !w.stopped);
    }
}

static int src_find(const struct zsrc *s, const char *m, size_t mlen, double *score)
{
    if (s->type == T_ZSET)
        return zset_score(s->obj, m, mlen, score);
    if (s->type == T_SET && set_contains(s->obj, m, mlen)) {
        *score = 1.0;
        return 1;
    }
    return 0;
}

static int by_size(const void *a, const void *b)
{
    const struct zsrc *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->pos - y->pos;
}

/* ---- the result: items, with a member index for UNION ---- */

struct zresult {
    struct zitem *items;
    size_t n, cap;
    uint32_t *slots; /* item index + 1; 0 = free (UNION only) */
    size_t nslots;
};

static struct zitem *result_push(struct zresult *r, const char *m, size_t mlen, int stable,
                                 double score)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->items = xrealloc(r->items, r->cap * sizeof(*r->items));
    }
    struct zitem *it = &r->items[r->n++];
    it->mlen = mlen;
    it->score = score;
    if (stable) {
        it->m = m;
    } else {
        memcpy(it->ibuf, m, mlen);
        it->m = NULL;
    }
    return it;
}

static void result_reindex(struct zresult *r)
{
    free(r->slots);
    r->nslots = r->nslots ? r->nslots * 2 : 256;
    r->slots = xcalloc(r->nslots, sizeof(*r->slots));
    for (size_t i = 0; i < r->n; i++) {
        uint64_t h = XXH3_64bits(zitem_member(&r->items[i]), r->items[i].mlen);
        size_t j = h & (r->nslots - 1);
        while (r->slots[j])
            j = (j + 1) & (r->nslots - 1);
        r->slots[j] = (uint32_t)(i + 1);
    }
}

/* The item for member m, or a new one (*added). */
static struct zitem *result_upsert(struct zresult *r, const char *m, size_t mlen, int stable,
                                   double score, int *added)
{
    if ((r->n + 1) * 2 > r->nslots)
        result_reindex(r);
    uint64_t h = XXH3_64bits(m, mlen);
    size_t j = h & (r->nslots - 1);
    for (; r->slots[j]; j = (j + 1) & (r->nslots - 1)) {
        struct zitem *it = &r->items[r->slots[j] - 1];
        if (it->mlen == mlen && !memcmp(zitem_member(it), m, mlen)) {
            *added = 0;
            return it;
        }
    }
    *added = 1;
    r->slots[j] = (uint32_t)(r->n + 1);
    return result_push(r, m, mlen, stable, score);
}

static void result_free(struct zresult *r)
{
    free(r->items);
    free(r->slots);
}

/* ---- the three operations ---- */

static void aggregate(double *target, double v, int agg)
{
    if (agg == AGG_SUM) {
        *target += v;
        if (isnan(*target)) /* inf + -inf */
            *target = 0.0;
    } else if (agg == AGG_MIN) {
        *target = v < *target ? v : *target;
    } else {
        *target = v > *target ? v : *target;
    }
}

static double weighted(double score, double weight)
{
    double v = score * weight;
    return isnan(v) ? 0.0 : v; /* 0 * inf */
}

struct op_state {
    const struct zsrc *src;
    long setnum;
    int agg;
    int card_only;
    long long limit; /* ZINTERCARD; 0 = none */
    long long card;
    const struct zsrc *cur; /* UNION: the source being added */
    struct zresult res;
};

static int inter_elem(void *arg, const char *m, size_t mlen, int stable, double score)
{
    struct op_state *st = arg;
    double acc = weighted(score, st->src[0].weight), v;
    for (long j = 1; j < st->setnum; j++) {
        const struct zsrc *s = &st->src[j];
        if (s->obj == st->src[0].obj)
            v = score;
        else if (!src_find(s, m, mlen, &v))
            return 1;
        aggregate(&acc, v * s->weight, st->agg);
    }
    if (st->card_only) {
        st->card++;
        return !st->limit || st->card < st->limit; /* stop at LIMIT */
    }
    result_push(&st->res, m, mlen, stable, acc);
    return 1;
}

static int union_elem(void *arg, const char *m, size_t mlen, int stable, double score)
{
    struct op_state *st = arg;
    double v = weighted(score, st->cur->weight);
    int added;
    struct zitem *it = result_upsert(&st->res, m, mlen, stable, v, &added);
    if (!added)
        aggregate(&it->score, v, st->agg);
    return 1;
}

static int diff_elem(void *arg, const char *m, size_t mlen, int stable, double score)
{
    struct op_state *st = arg;
    double v;
    for (long j = 1; j < st->setnum; j++)
        if (src_find(&st->src[j], m, mlen, &v))
            return 1;
    result_push(&st->res, m, mlen, stable, score);
    return 1;
}

static void run_op(struct op_state *st, int op)
{
    if (op == OP_INTER) {
        if (st->src[0].len) /* sorted by size: every source is non-empty */
            src_each(&st->src[0], inter_elem, st);
    } else if (op == OP_UNION) {
        for (long i = 0; i < st->setnum; i++) {
            st->cur = &st->src[i];
            src_each(&st->src[i], union_elem, st);
        }
    } else if (st->src[0].len) {
        src_each(&st->src[0], diff_elem, st);
    }
}

/* ---- argument parsing ---- */

/* Look the sources up (WRONGTYPE for anything but a sorted set or set). */
static int load_sources(struct cmd_ctx *c, int first, struct zsrc *src, long setnum)
{
    for (long i = 0; i < setnum; i++) {
        struct key k;
        ctx_key(c, first + (int)i, &k);
        struct entry *e = ks_lookup(&c->env, c->db, &k, KS_TOUCH);
        ctx_hit(c, e != NULL);
        src[i] = (struct zsrc){.type = -1, .weight = 1.0, .pos = (int)i};
        if (!e)
            continue;
        int t = entry_type(e);
        if (t != T_ZSET && t != T_SET) {
            ctx_error(c, ERR_WRONGTYPE);
            return 0;
        }
        src[i].type = t;
        src[i].obj = entry_obj(e);
        src[i].len = (unsigned long)type_ops_of(t)->len(src[i].obj);
    }
    return 1;
}

static int parse_options(struct cmd_ctx *c, int j, int op, int store, struct op_state *st,
                         struct zsrc *src, int *withscores)
{
    long setnum = st->setnum;
    while (j < c->argc) {
        int remaining = c->argc - j;
        int full = op != OP_DIFF && !st->card_only;
        if (full && remaining >= setnum + 1 && ctx_arg_is(c, j, "weights")) {
            for (long i = 0; i < setnum; i++) {
                j++;
                if (!zscore_parse(c->argv[j], c->argl[j], &src[i].weight)) {
                    ctx_error(c, ERR_ZWEIGHT_NOT_FLOAT);
                    return 0;
                }
            }
            j++;
        } else if (full && remaining >= 2 && ctx_arg_is(c, j, "aggregate")) {
            if (ctx_arg_is(c, j + 1, "sum")) {
                st->agg = AGG_SUM;
            } else if (ctx_arg_is(c, j + 1, "min")) {
                st->agg = AGG_MIN;
            } else if (ctx_arg_is(c, j + 1, "max")) {
                st->agg = AGG_MAX;
            } else {
                ctx_error(c, ERR_SYNTAX);
                return 0;
            }
            j += 2;
        } else if (!store && !st->card_only && ctx_arg_is(c, j, "withscores")) {
            *withscores = 1;
            j++;
        } else if (st->card_only && remaining >= 2 && ctx_arg_is(c, j, "limit")) {
            if (!util_str2ll(c->argv[j + 1], c->argl[j + 1], &st->limit) || st->limit < 0) {
                ctx_error(c, ERR_SET_LIMIT_NEGATIVE);
                return 0;
            }
            j += 2;
        } else {
            ctx_error(c, ERR_SYNTAX);
            return 0;
        }
    }
    return 1;
}

/* ---- the commands ---- */

static void reply_result(struct cmd_ctx *c, struct zresult *r, int withscores)
{
    zitems_sort(r->items, r->n);
    zreply_array(c, (long)r->n, withscores);
    for (size_t i = 0; i < r->n; i++) {
        struct zelem el = {.m = zitem_member(&r->items[i]), .mlen = r->items[i].mlen,
                           .score = r->items[i].score};
        zreply_elem(c, &el, withscores);
    }
}

static void zsetop_generic(struct cmd_ctx *c, int store, int op, int card_only)
{
    int nk = store ? 2 : 1, withscores = 0;
    long long setnum;
    if (!ctx_get_ll(c, nk, &setnum))
        return;
    if (setnum < 1) {
        ctx_errorf(c, ERR_ZSETOP_NO_KEYS_FMT, c->cmd->name);
        return;
    }
    if (setnum > c->argc - nk - 1) {
        ctx_error(c, ERR_SYNTAX);
        return;
    }
    struct zsrc *src = xmalloc(sizeof(*src) * (size_t)setnum);
    struct op_state st = {.src = src, .setnum = (long)setnum, .agg = AGG_SUM,
                          .card_only = card_only};
    if (!load_sources(c, nk + 1, src, (long)setnum) ||
        !parse_options(c, nk + 1 + (int)setnum, op, store, &st, src, &withscores))
        goto done;
    if (op != OP_DIFF)
        qsort(src, (size_t)setnum, sizeof(*src), by_size);
    run_op(&st, op);
    if (card_only) {
        resp_int(c->w, st.card);
    } else if (store) {
        struct key dst;
        ctx_key(c, 1, &dst);
        coll_store(c, &dst, T_ZSET, zset_build(st.res.items, st.res.n));
        resp_int(c->w, (long long)st.res.n);
    } else {
        reply_result(c, &st.res, withscores);
    }
done:
    result_free(&st.res);
    free(src);
}

void cmd_zunion(struct cmd_ctx *c)
{
    zsetop_generic(c, 0, OP_UNION, 0);
}

void cmd_zinter(struct cmd_ctx *c)
{
    zsetop_generic(c, 0, OP_INTER, 0);
}

void cmd_zdiff(struct cmd_ctx *c)
{
    zsetop_generic(c, 0, OP_DIFF, 0);
}

void cmd_zunionstore(struct cmd_ctx *c)
{
    zsetop_generic(c, 1, OP_UNION, 0);
}

void cmd_zinterstore(struct cmd_ctx *c)
{
    zsetop_generic(c, 1, OP_INTER, 0);
}

void cmd_zdiffstore(struct cmd_ctx *c)
{
    zsetop_generic(c, 1, OP_DIFF, 0);
}

void cmd_zintercard(struct cmd_ctx *c)
{
    zsetop_generic(c, 0, OP_INTER, 1);
}

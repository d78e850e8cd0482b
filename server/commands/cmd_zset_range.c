/* cmd_zset_range.c - ranges of a sorted set: ZRANGE (BYSCORE BYLEX REV
 * LIMIT WITHSCORES) and its older spellings (ZREVRANGE, ZRANGEBYSCORE,
 * ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX), ZRANGESTORE and
 * ZREMRANGEBYRANK/SCORE/LEX.  One parser and one walker serve them all, as
 * in Redis 7.0's zrangeGenericCommand; results go to a sink that either
 * replies or collects for a store.
 */
#include <stdlib.h>

#include "server/commands/cmd_zset.h"
#include "server/core/mem.h"

enum { ZR_AUTO, ZR_RANK, ZR_SCORE, ZR_LEX };
enum { ZD_AUTO, ZD_FWD, ZD_REV };

/* Where a range goes: the client, or a new set stored at argv[1]. */
struct zsink {
    struct cmd_ctx *c;
    int store;
    int withscores;
    int deferred;
    long known; /* the length given to sink_begin, -1 if unknown */
    size_t mark;
    long n;
    struct zitem *items; /* store */
    size_t cap;
};

static void sink_begin(struct zsink *s, long known)
{
    s->n = 0;
    s->known = known;
    if (s->store)
        return;
    s->deferred = known < 0;
    if (s->deferred)
        s->mark = resp_defer(s->c->w);
    else
        zreply_array(s->c, known, s->withscores);
}

static void sink_emit(struct zsink *s, const struct zelem *e)
{
    if (!s->store) {
        zreply_elem(s->c, e, s->withscores);
    } else {
        if ((size_t)s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 16;
            s->items = xrealloc(s->items, s->cap * sizeof(*s->items));
        }
        zitem_set(&s->items[s->n], e);
    }
    s->n++;
}

static void sink_end(struct zsink *s)
{
    if (!s->store) {
        if (s->deferred)
            zreply_defer_done(s->c, s->mark, s->n, s->withscores);
        return;
    }
    struct key dst;
    ctx_key(s->c, 1, &dst);
    zitems_listpack_prefix(s->items, (size_t)s->n, s->known);
    coll_store(s->c, &dst, T_ZSET, zset_build(s->items, (size_t)s->n));
    resp_int(s->c->w, s->n);
    free(s->items);
    s->items = NULL;
}

/* ---- the three walks ---- */

static void range_by_rank(struct zsink *s, const struct zset *z, long long start, long long end,
                          int rev)
{
    long long llen = (long long)zset_len(z);
    if (start < 0)
        start += llen;
    if (end < 0)
        end += llen;
    if (start < 0)
        start = 0;
    if (start > end || start >= llen) {
        sink_begin(s, 0);
        return;
    }
    if (end >= llen)
        end = llen - 1;
    long long n = end - start + 1;
    struct zset_iter it;
    struct zelem el;
    sink_begin(s, (long)n);
    zset_iter_rank(&it, z, (unsigned long)start, rev);
    while (n-- && zset_iter_next(&it, &el))
        sink_emit(s, &el);
}

/* Skip `offset` elements of the walk; a negative offset, as in Redis's
 * `while (offset--)`, skips everything. */
static int skip_offset(struct zset_iter *it, long long offset)
{
    struct zelem el;
    if (offset < 0)
        return 0;
    while (offset-- > 0)
        if (!zset_iter_next(it, &el))
            return 0;
    return 1;
}

static void range_by_score(struct zsink *s, const struct zset *z, const struct zrange_score *r,
                           long long offset, long long limit, int rev)
{
    struct zset_iter it;
    struct zelem el;
    if (offset > 0 && (unsigned long long)offset >= zset_len(z)) {
        sink_begin(s, 0);
        return;
    }
    sink_begin(s, -1);
    if (!zset_iter_score(&it, z, r, rev) || !skip_offset(&it, offset))
        return;
    /* A negative limit never reaches 0: no limit. */
    for (; limit != 0 && zset_iter_next(&it, &el); limit--) {
        if (rev ? !zscore_gte_min(el.score, r) : !zscore_lte_max(el.score, r))
            break;
        sink_emit(s, &el);
    }
}

static void range_by_lex(struct zsink *s, const struct zset *z, const struct zrange_lex *r,
                         long long offset, long long limit, int rev)
{
    struct zset_iter it;
    struct zelem el;
    if (offset > 0 && (unsigned long long)offset >= zset_len(z)) {
        sink_begin(s, 0);
        return;
    }
    sink_begin(s, -1);
    if (!zset_iter_lex(&it, z, r, rev) || !skip_offset(&it, offset))
        return;
    for (; limit != 0 && zset_iter_next(&it, &el); limit--) {
        if (rev ? !zlex_gte_min(el.m, el.mlen, r) : !zlex_lte_max(el.m, el.mlen, r))
            break;
        sink_emit(s, &el);
    }
}

/* ---- the shared parser ---- */

struct zrange_args {
    int type, dir, withscores;
    long long offset, limit, start, end;
    struct zrange_score score;
    struct zrange_lex lex;
};

/* Options after "key min max" (at `from`); sends the error and returns 0
 * on bad input.  type/dir come in fixed by the older commands, or AUTO. */
static int parse_options(struct cmd_ctx *c, int from, int store, struct zrange_args *a)
{
    a->withscores = 0;
    a->offset = 0;
    a->limit = -1;
    for (int j = from; j < c->argc; j++) {
        int left = c->argc - j - 1;
        if (!store && ctx_arg_is(c, j, "withscores")) {
            a->withscores = 1;
        } else if (ctx_arg_is(c, j, "limit") && left >= 2) {
            if (!ctx_get_ll(c, j + 1, &a->offset) || !ctx_get_ll(c, j + 2, &a->limit))
                return 0;
            j += 2;
        } else if (a->dir == ZD_AUTO && ctx_arg_is(c, j, "rev")) {
            a->dir = ZD_REV;
        } else if (a->type == ZR_AUTO && ctx_arg_is(c, j, "bylex")) {
            a->type = ZR_LEX;
        } else if (a->type == ZR_AUTO && ctx_arg_is(c, j, "byscore")) {
            a->type = ZR_SCORE;
        } else {
            ctx_error(c, ERR_SYNTAX);
            return 0;
        }
    }
    if (a->dir == ZD_AUTO)
        a->dir = ZD_FWD;
    if (a->type == ZR_AUTO)
        a->type = ZR_RANK;
    if (a->limit != -1 && a->type == ZR_RANK) {
        ctx_error(c, ERR_ZRANGE_LIMIT_RANK);
        return 0;
    }
    if (a->withscores && a->type == ZR_LEX) {
        ctx_error(c, ERR_ZRANGE_WITHSCORES_LEX);
        return 0;
    }
    return 1;
}

/* min/max at argv[lo], argv[hi] (swapped by the caller for REV). */
static int parse_bounds(struct cmd_ctx *c, int lo, int hi, struct zrange_args *a)
{
    switch (a->type) {
    case ZR_RANK:
        return ctx_get_ll(c, lo, &a->start) && ctx_get_ll(c, hi, &a->end);
    case ZR_SCORE:
        if (zrange_parse_score(c->argv[lo], c->argl[lo], c->argv[hi], c->argl[hi], &a->score))
            return 1;
        ctx_error(c, ERR_ZRANGE_NOT_FLOAT);
        return 0;
    default:
        if (zrange_parse_lex(c->argv[lo], c->argl[lo], c->argv[hi], c->argl[hi], &a->lex))
            return 1;
        ctx_error(c, ERR_ZRANGE_NOT_LEX);
        return 0;
    }
}

/* The key is argv[at]; min and max follow.  store: ZRANGESTORE (the
 * destination is argv[1]). */
static void zrange_generic(struct cmd_ctx *c, int at, int store, int type, int dir)
{
    struct zrange_args a = {.type = type, .dir = dir};
    if (!parse_options(c, at + 3, store, &a))
        return;
    int rev = a.dir == ZD_REV, lo = at + 1, hi = at + 2;
    if (rev && a.type != ZR_RANK) { /* given as max, min */
        lo = at + 2;
        hi = at + 1;
    }
    if (!parse_bounds(c, lo, hi, &a))
        return;
    struct key k;
    int wrong;
    ctx_key(c, at, &k);
    struct entry *e = coll_find_read(c, &k, T_ZSET, &wrong);
    if (wrong)
        return;
    struct zsink s = {.c = c, .store = store, .withscores = a.withscores};
    if (!e) {
        sink_begin(&s, 0);
    } else if (a.type == ZR_RANK) {
        range_by_rank(&s, entry_obj(e), a.start, a.end, rev);
    } else if (a.type == ZR_SCORE) {
        range_by_score(&s, entry_obj(e), &a.score, a.offset, a.limit, rev);
    } else {
        range_by_lex(&s, entry_obj(e), &a.lex, a.offset, a.limit, rev);
    }
    sink_end(&s);
}

void cmd_zrange(struct cmd_ctx *c)
{
    zrange_generic(c, 1, 0, ZR_AUTO, ZD_AUTO);
}

void cmd_zrangestore(struct cmd_ctx *c)
{
    zrange_generic(c, 2, 1, ZR_AUTO, ZD_AUTO);
}

void cmd_zrevrange(struct cmd_ctx *c)
{
    zrange_generic(c, 1, 0, ZR_RANK, ZD_REV);
}

void cmd_zrangebyscore(struct cmd_ctx *c)
{
    zrange_generic(c, 1, 0, ZR_SCORE, ZD_FWD);
}

void cmd_zrevrangebyscore(struct cmd_ctx *c)
{
    zrange_generic(c, 1, 0, ZR_SCORE, ZD_REV);
}

void cmd_zrangebylex(struct cmd_ctx *c)
{
    zrange_generic(c, 1, 0, ZR_LEX, ZD_FWD);
}

void cmd_zrevrangebylex(struct cmd_ctx *c)
{
    zrange_generic(c, 1, 0, ZR_LEX, ZD_REV);
}

/* ---- ZREMRANGEBY* ---- */

static void zremrange_generic(struct cmd_ctx *c, int type)
{
    struct zrange_args a = {.type = type};
    if (!parse_bounds(c, 2, 3, &a))
        return;
    struct key k;
    int wrong;
    ctx_key(c, 1, &k);
    struct entry *e = coll_find_write(c, &k, T_ZSET, &wrong);
    if (wrong)
        return;
    if (!e) {
        resp_int(c->w, 0);
        return;
    }
    struct zset *z = entry_obj(e);
    size_t before = entry_mem(e);
    unsigned long removed;
    if (type == ZR_RANK) {
        long long llen = (long long)zset_len(z), start = a.start, end = a.end;
        if (start < 0)
            start += llen;
        if (end < 0)
            end += llen;
        if (start < 0)
            start = 0;
        if (start > end || start >= llen) {
            resp_int(c->w, 0);
            return;
        }
        if (end >= llen)
            end = llen - 1;
        removed = zset_remove_rank(z, (unsigned long)start, (unsigned long)end);
    } else if (type == ZR_SCORE) {
        removed = zset_remove_score(z, &a.score);
    } else {
        removed = zset_remove_lex(z, &a.lex);
    }
    if (removed)
        coll_written(c, &k, e, before);
    resp_int(c->w, (long long)removed);
}

void cmd_zremrangebyrank(struct cmd_ctx *c)
{
    zremrange_generic(c, ZR_RANK);
}

void cmd_zremrangebyscore(struct cmd_ctx *c)
{
    zremrange_generic(c, ZR_SCORE);
}

void cmd_zremrangebylex(struct cmd_ctx *c)
{
    zremrange_generic(c, ZR_LEX);
}

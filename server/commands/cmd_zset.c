/* cmd_zset.c - sorted-set commands on one key: ZADD, ZINCRBY, ZREM, the
 * score/rank/count readers, the pops (ZPOPMIN, ZPOPMAX, ZMPOP),
 * ZRANDMEMBER and ZSCAN.  Replies, errors and their order of checks are
 * Redis 7.0's t_zset.c.  Ranges are in cmd_zset_range.c, set operations
 * in cmd_zset_setop.c.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "server/commands/cmd_zset.h"
#include "server/core/mem.h"
#include "server/core/rng.h"
#include "server/core/util.h"
#include "server/net/worker.h"

/* ---- reply helpers shared with the other zset files ---- */

void zreply_elem(struct cmd_ctx *c, const struct zelem *e, int withscores)
{
    if (withscores && c->w->proto > 2)
        resp_array(c->w, 2);
    resp_bulk(c->w, e->m, e->mlen);
    if (withscores)
        resp_double(c->w, e->score);
}

void zreply_array(struct cmd_ctx *c, long n, int withscores)
{
    resp_array(c->w, withscores && c->w->proto == 2 ? n * 2 : n);
}

void zreply_defer_done(struct cmd_ctx *c, size_t mark, long n, int withscores)
{
    resp_defer_array(c->w, mark, withscores && c->w->proto == 2 ? n * 2 : n);
}

/* The sorted set at argv[i] for a read: NULL when absent (nothing sent)
 * or of another type (*wrong set, WRONGTYPE sent). */
static struct entry *zread(struct cmd_ctx *c, int i, struct key *k, int *wrong)
{
    ctx_key(c, i, k);
    return coll_find_read(c, k, T_ZSET, wrong);
}

static struct entry *zwrite(struct cmd_ctx *c, int i, struct key *k, int *wrong)
{
    ctx_key(c, i, k);
    return coll_find_write(c, k, T_ZSET, wrong);
}

/* ---- ZADD / ZINCRBY ---- */

/* Options from argv[2] on; returns the index of the first score. */
static int zadd_options(struct cmd_ctx *c, int *flags, int *ch)
{
    static const struct {
        const char *word;
        int flag;
    } opts[] = {{"nx", ZADD_NX}, {"xx", ZADD_XX}, {"gt", ZADD_GT},
                {"lt", ZADD_LT}, {"incr", ZADD_INCR}, {"ch", 0}};
    int i = 2;
    for (; i < c->argc; i++) {
        size_t o = 0;
        while (o < sizeof(opts) / sizeof(*opts) && !ctx_arg_is(c, i, opts[o].word))
            o++;
        if (o == sizeof(opts) / sizeof(*opts))
            break;
        if (opts[o].flag)
            *flags |= opts[o].flag;
        else
            *ch = 1;
    }
    return i;
}

/* Sends the error and returns 0 for a bad option mix, as Redis checks it. */
static int zadd_check(struct cmd_ctx *c, int flags, int elements)
{
    int nx = flags & ZADD_NX, gt = flags & ZADD_GT, lt = flags & ZADD_LT;
    if (elements % 2 || !elements)
        ctx_error(c, ERR_SYNTAX);
    else if (nx && (flags & ZADD_XX))
        ctx_error(c, ERR_ZADD_NX_XX);
    else if ((gt && nx) || (lt && nx) || (gt && lt))
        ctx_error(c, ERR_ZADD_GT_LT_NX);
    else if ((flags & ZADD_INCR) && elements > 2)
        ctx_error(c, ERR_ZADD_INCR_PAIR);
    else
        return 1;
    return 0;
}

static void zadd_generic(struct cmd_ctx *c, int flags)
{
    int ch = 0;
    int first = zadd_options(c, &flags, &ch);
    int elements = c->argc - first;
    if (!zadd_check(c, flags, elements))
        return;
    elements /= 2;
    /* Every score is checked before anything changes: all or nothing. */
    double stack[16];
    double *scores = elements <= 16 ? stack : xmalloc(sizeof(double) * (size_t)elements);
    for (int j = 0; j < elements; j++) {
        if (!zscore_parse(c->argv[first + 2 * j], c->argl[first + 2 * j], &scores[j])) {
            ctx_error(c, ERR_NOT_FLOAT);
            goto done;
        }
    }
    struct key k;
    int wrong, added = 0, updated = 0, processed = 0;
    double score = 0;
    struct entry *e = zwrite(c, 1, &k, &wrong);
    if (wrong)
        goto done;
    if (!e && !(flags & ZADD_XX)) {
        e = entry_new_obj(k.p, k.len, T_ZSET, zset_create_for_add(c->argl[first + 1]), -1);
        ks_store(&c->env, c->db, &k, e);
    }
    if (e) {
        size_t before = entry_mem(e);
        for (int j = 0; j < elements; j++) {
            int out;
            double newscore;
            const char *m = c->argv[first + 2 * j + 1];
            if (!zset_add(entry_obj(e), scores[j], m, c->argl[first + 2 * j + 1], flags, &out,
                          &newscore)) {
                ctx_error(c, ERR_ZSCORE_NAN);
                break;
            }
            added += (out & ZADD_ADDED) != 0;
            updated += (out & ZADD_UPDATED) != 0;
            if (!(out & ZADD_NOP)) {
                processed++;
                score = newscore;
            }
        }
        if (added || updated)
            coll_written(c, &k, e, before);
        if (c->failed)
            goto done;
    }
    if (!(flags & ZADD_INCR))
        resp_int(c->w, ch ? added + updated : added);
    else if (processed)
        resp_double(c->w, score);
    else
        resp_null(c->w);
done:
    if (scores != stack)
        free(scores);
}

void cmd_zadd(struct cmd_ctx *c)
{
    zadd_generic(c, 0);
}

void cmd_zincrby(struct cmd_ctx *c)
{
    zadd_generic(c, ZADD_INCR);
}

/* ---- ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZCOUNT, ZLEXCOUNT ---- */

void cmd_zrem(struct cmd_ctx *c)
{
    struct key k;
    int wrong;
    struct entry *e = zwrite(c, 1, &k, &wrong);
    if (wrong)
        return;
    long long deleted = 0;
    if (e) {
        size_t before = entry_mem(e);
        struct zset *z = entry_obj(e);
        for (int j = 2; j < c->argc && zset_len(z); j++)
            deleted += zset_remove(z, c->argv[j], c->argl[j]);
        if (deleted)
            coll_written(c, &k, e, before);
    }
    resp_int(c->w, deleted);
}

void cmd_zcard(struct cmd_ctx *c)
{
    struct key k;
    int wrong;
    struct entry *e = zread(c, 1, &k, &wrong);
    if (!wrong)
        resp_int(c->w, e ? (long long)zset_len(entry_obj(e)) : 0);
}

void cmd_zscore(struct cmd_ctx *c)
{
    struct key k;
    int wrong;
    double score;
    struct entry *e = zread(c, 1, &k, &wrong);
    if (wrong)
        return;
    if (e && zset_score(entry_obj(e), c->argv[2], c->argl[2], &score))
        resp_double(c->w, score);
    else
        resp_null(c->w);
}

void cmd_zmscore(struct cmd_ctx *c)
{
    struct key k;
    int wrong;
    double score;
    struct entry *e = zread(c, 1, &k, &wrong);
    if (wrong)
        return;
    resp_array(c->w, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        if (e && zset_score(entry_obj(e), c->argv[j], c->argl[j], &score))
            resp_double(c->w, score);
        else
            resp_null(c->w);
    }
}

static void zrank_generic(struct cmd_ctx *c, int rev)
{
    struct key k;
    int wrong;
    struct entry *e = zread(c, 1, &k, &wrong);
    if (wrong)
        return;
    long r = e ? zset_rank(entry_obj(e), c->argv[2], c->argl[2], rev) : -1;
    if (r < 0)
        resp_null(c->w);
    else
        resp_int(c->w, r);
}

void cmd_zrank(struct cmd_ctx *c)
{
    zrank_generic(c, 0);
}

void cmd_zrevrank(struct cmd_ctx *c)
{
    zrank_generic(c, 1);
}

void cmd_zcount(struct cmd_ctx *c)
{
    struct zrange_score r;
    if (!zrange_parse_score(c->argv[2], c->argl[2], c->argv[3], c->argl[3], &r)) {
        ctx_error(c, ERR_ZRANGE_NOT_FLOAT);
        return;
    }
    struct key k;
    int wrong;
    struct entry *e = zread(c, 1, &k, &wrong);
    if (!wrong)
        resp_int(c->w, e ? (long long)zset_count_score(entry_obj(e), &r) : 0);
}

void cmd_zlexcount(struct cmd_ctx *c)
{
    struct zrange_lex r;
    if (!zrange_parse_lex(c->argv[2], c->argl[2], c->argv[3], c->argl[3], &r)) {
        ctx_error(c, ERR_ZRANGE_NOT_LEX);
        return;
    }
    struct key k;
    int wrong;
    struct entry *e = zread(c, 1, &k, &wrong);
    if (!wrong)
        resp_int(c->w, e ? (long long)zset_count_lex(entry_obj(e), &r) : 0);
}

/* ---- pops ---- */

void zset_pop_reply(struct cmd_ctx *c, const struct key *k, struct entry *e, int max, long count,
                    int shape)
{
    struct zset *z = entry_obj(e);
    size_t before = entry_mem(e);
    long n = (long)zset_len(z);
    if (count < n)
        n = count;
    if (shape & ZPOP_EMIT_KEY) {
        resp_array(c->w, (shape & ZPOP_NESTED) ? 2 : n * 2 + 1);
        resp_bulk(c->w, k->p, k->len);
        if (shape & ZPOP_NESTED)
            resp_array(c->w, n);
    } else {
        resp_array(c->w, (shape & ZPOP_NESTED) ? n : n * 2);
    }
    for (long i = 0; i < n; i++) {
        unsigned long at = max ? zset_len(z) - 1 : 0;
        struct zelem el;
        zset_at_rank(z, at, &el);
        if (shape & ZPOP_NESTED)
            resp_array(c->w, 2);
        resp_bulk(c->w, el.m, el.mlen);
        resp_double(c->w, el.score);
        zset_remove_rank(z, at, at);
    }
    coll_written(c, k, e, before);
}

static void zpop_generic(struct cmd_ctx *c, int max)
{
    long long count = -1; /* no count: a single flat pair */
    if (c->argc > 3) {
        ctx_error(c, ERR_SYNTAX);
        return;
    }
    if (c->argc == 3 && (!util_str2ll(c->argv[2], c->argl[2], &count) || count < 0)) {
        ctx_error(c, ERR_POSITIVE);
        return;
    }
    struct key k;
    int wrong;
    struct entry *e = zwrite(c, 1, &k, &wrong);
    if (wrong)
        return;
    if (!e || count == 0) {
        resp_array(c->w, 0);
        return;
    }
    int shape = (c->w->proto > 2 && count != -1) ? ZPOP_NESTED : 0;
    zset_pop_reply(c, &k, e, max, count == -1 ? 1 : (long)count, shape);
}

void cmd_zpopmin(struct cmd_ctx *c)
{
    zpop_generic(c, 0);
}

void cmd_zpopmax(struct cmd_ctx *c)
{
    zpop_generic(c, 1);
}

int zmpop_try(struct cmd_ctx *c, int at, int *first, int *nkeys)
{
    long long numkeys, count = -1;
    if (!util_str2ll(c->argv[at], c->argl[at], &numkeys) || numkeys < 1) {
        ctx_error(c, ERR_NUMKEYS_GT0);
        return 1;
    }
    if (numkeys > c->argc - at - 2) { /* no room for MIN|MAX after the keys */
        ctx_error(c, ERR_SYNTAX);
        return 1;
    }
    int where = at + 1 + (int)numkeys, max = ctx_arg_is(c, where, "max");
    if (!max && !ctx_arg_is(c, where, "min")) {
        ctx_error(c, ERR_SYNTAX);
        return 1;
    }
    for (int j = where + 1; j < c->argc; j++) {
        if (count == -1 && ctx_arg_is(c, j, "count") && j + 1 < c->argc) {
            j++;
            if (!util_str2ll(c->argv[j], c->argl[j], &count) || count < 1) {
                ctx_error(c, ERR_LIST_COUNT_GT0);
                return 1;
            }
        } else {
            ctx_error(c, ERR_SYNTAX);
            return 1;
        }
    }
    for (int i = at + 1; i < where; i++) {
        struct key k;
        int wrong;
        struct entry *e = zwrite(c, i, &k, &wrong);
        if (wrong)
            return 1;
        if (e) {
            zset_pop_reply(c, &k, e, max, count == -1 ? 1 : (long)count,
                           ZPOP_EMIT_KEY | ZPOP_NESTED);
            return 1;
        }
    }
    *first = at + 1;
    *nkeys = (int)numkeys;
    return 0;
}

/* ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] */
void cmd_zmpop(struct cmd_ctx *c)
{
    int first, n;
    if (!zmpop_try(c, 1, &first, &n))
        resp_null_array(c->w);
}

/* ---- ZRANDMEMBER ---- */

/* Every element, for sampling a listpack (at most a few hundred pairs).
 * An integer member is printed into its own array slot's buffer. */
static struct zelem *all_elems(const struct zset *z, size_t *n)
{
    *n = zset_len(z);
    struct zelem *v = xmalloc(sizeof(*v) * (*n ? *n : 1));
    struct zset_iter it;
    zset_iter_rank(&it, z, 0, 0);
    for (size_t i = 0; i < *n; i++)
        zset_iter_next(&it, &v[i]);
    return v;
}

static uint64_t rand_below(struct cmd_ctx *c, uint64_t n)
{
    return rng_next(&c->wk->rnd) % n;
}

/* count picks with repetition (negative COUNT, or COUNT 1). */
static void rand_with_repeats(struct cmd_ctx *c, const struct zset *z, unsigned long count,
                              int withscores)
{
    size_t n = 0;
    struct zelem *all = z->enc == ZSET_LISTPACK ? all_elems(z, &n) : NULL;
    zreply_array(c, (long)count, withscores);
    for (unsigned long i = 0; i < count; i++) {
        struct zelem el;
        if (all) {
            zreply_elem(c, &all[rand_below(c, n)], withscores);
        } else {
            zset_at_rank(z, rand_below(c, zset_len(z)), &el);
            zreply_elem(c, &el, withscores);
        }
    }
    free(all);
}

/* count distinct elements, count < size.  Many of them: one pass choosing
 * each element with probability needed/remaining (Knuth's algorithm S);
 * few of a big set: random ranks, duplicates skipped through a small
 * open-addressing set of the ranks taken. */
static void rand_unique(struct cmd_ctx *c, const struct zset *z, unsigned long count,
                        int withscores)
{
    unsigned long size = zset_len(z);
    struct zelem el;
    zreply_array(c, (long)count, withscores);
    if (z->enc == ZSET_LISTPACK || count * 3 > size) {
        struct zset_iter it;
        unsigned long need = count;
        zset_iter_rank(&it, z, 0, 0);
        for (unsigned long left = size; need && zset_iter_next(&it, &el); left--) {
            if (rand_below(c, left) < need) {
                zreply_elem(c, &el, withscores);
                need--;
            }
        }
        return;
    }
    unsigned long cap = 16;
    while (cap < count * 2)
        cap <<= 1;
    unsigned long *taken = xmalloc(sizeof(*taken) * cap); /* rank + 1; 0 = free */
    memset(taken, 0, sizeof(*taken) * cap);
    for (unsigned long got = 0; got < count;) {
        unsigned long r = (unsigned long)rand_below(c, size), h = (r * 0x9E3779B97F4A7C15ULL) & (cap - 1);
        while (taken[h] && taken[h] != r + 1)
            h = (h + 1) & (cap - 1);
        if (taken[h])
            continue;
        taken[h] = r + 1;
        zset_at_rank(z, r, &el);
        zreply_elem(c, &el, withscores);
        got++;
    }
    free(taken);
}

static void zrandmember_count(struct cmd_ctx *c, long long l, int withscores)
{
    struct key k;
    int wrong;
    struct entry *e = zread(c, 1, &k, &wrong);
    if (wrong)
        return;
    if (!e || l == 0) {
        resp_array(c->w, 0);
        return;
    }
    const struct zset *z = entry_obj(e);
    unsigned long count = l < 0 ? (unsigned long)-l : (unsigned long)l, size = zset_len(z);
    if (l < 0 || count == 1) {
        rand_with_repeats(c, z, count, withscores);
    } else if (count >= size) { /* the whole set, highest first, as Redis */
        struct zset_iter it;
        struct zelem el;
        zreply_array(c, (long)size, withscores);
        zset_iter_rank(&it, z, 0, 1);
        while (zset_iter_next(&it, &el))
            zreply_elem(c, &el, withscores);
    } else {
        rand_unique(c, z, count, withscores);
    }
}

void cmd_zrandmember(struct cmd_ctx *c)
{
    if (c->argc >= 3) {
        long long l;
        if (!ctx_get_ll(c, 2, &l))
            return;
        if (l == LLONG_MIN) {
            ctx_error(c, ERR_LONG_RANGE);
            return;
        }
        if (c->argc > 4 || (c->argc == 4 && !ctx_arg_is(c, 3, "withscores"))) {
            ctx_error(c, ERR_SYNTAX);
            return;
        }
        if (c->argc == 4 && (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2)) {
            ctx_error(c, ERR_OUT_OF_RANGE);
            return;
        }
        zrandmember_count(c, l, c->argc == 4);
        return;
    }
    struct key k;
    int wrong;
    struct entry *e = zread(c, 1, &k, &wrong);
    if (wrong)
        return;
    if (!e) {
        resp_null(c->w);
        return;
    }
    struct zelem el;
    const struct zset *z = entry_obj(e);
    zset_at_rank(z, rand_below(c, zset_len(z)), &el);
    resp_bulk(c->w, el.m, el.mlen);
}

/* ---- ZSCAN ---- */

static int ll_to_str_u(char *buf, uint64_t v)
{
    char tmp[24];
    int n = 0, o = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        buf[o++] = tmp[--n];
    return o;
}

struct zscan_out {
    struct resp_writer w; /* into a scratch buffer: the cursor goes first */
    const char *pat;
    size_t plen;
    long n;
};

static void zscan_emit(void *arg, const char *m, size_t mlen, const char *s, size_t slen)
{
    struct zscan_out *o = arg;
    if (o->pat && !util_glob(o->pat, o->plen, m, mlen, 0))
        return;
    resp_bulk(&o->w, m, mlen);
    resp_bulk(&o->w, s, slen);
    o->n += 2;
}

void cmd_zscan(struct cmd_ctx *c)
{
    /* Redis checks the cursor, then the key, then the options. */
    struct coll_scan sc;
    struct cmd_ctx cursor_only = *c;
    cursor_only.argc = 3;
    if (!coll_scan_args(&cursor_only, &sc)) {
        c->failed = 1;
        return;
    }
    struct key k;
    int wrong;
    struct entry *e = zread(c, 1, &k, &wrong);
    if (wrong)
        return;
    if (e && !coll_scan_args(c, &sc))
        return;
    struct obuf scratch;
    obuf_init(&scratch);
    struct zscan_out o = {{&scratch, c->w->proto}, sc.pat, sc.plen, 0};
    uint64_t next = e ? zset_scan(entry_obj(e), sc.cursor, sc.count, zscan_emit, &o) : 0;
    char cbuf[24];
    resp_array(c->w, 2);
    resp_bulk(c->w, cbuf, (size_t)ll_to_str_u(cbuf, next));
    resp_array(c->w, o.n);
    obuf_append(c->w->out, scratch.data, scratch.len);
    obuf_deinit(&scratch);
}

/* cmd_list.c - list commands (LPUSH and friends, pops, ranges, LPOS,
 * LMOVE, LMPOP) over the quicklist, with Redis 7.0.15's replies, error
 * texts and argument-checking order (which check fails first matters:
 * clients see it).  The pops and moves the blocking layer will reuse are
 * the list_ops.h functions at the top; handlers follow.  The blocking
 * commands themselves are not here.
 */
#include <stdlib.h>
#include <string.h>

#include "server/commands/coll.h"
#include "server/commands/list_ops.h"
#include "server/core/mem.h"
#include "server/core/util.h"

static void reply_val(struct cmd_ctx *c, const struct lp_val *v)
{
    if (v->s)
        resp_bulk(c->w, v->s, v->len);
    else
        resp_bulk_ll(c->w, v->v);
}

static int dir_from(int where)
{
    return where == QL_HEAD ? QL_FORWARD : QL_BACKWARD;
}

/* argv[i] as an integer >= min; otherwise reply msg (Redis's
 * get*FromObjectOrReply with a message: one text for "not a number" and
 * "out of range" alike). */
static int get_at_least(struct cmd_ctx *c, int i, long long min, long long *out, const char *msg)
{
    long long v;
    if (!util_str2ll(c->argv[i], c->argl[i], &v) || v < min) {
        ctx_error(c, msg);
        return 0;
    }
    *out = v;
    return 1;
}

/* ---- shared operations (list_ops.h) --------------------------------------- */

void list_pop(struct cmd_ctx *c, const struct key *k, struct entry *e, int where,
              long long count, enum list_reply shape)
{
    struct quicklist *ql = entry_obj(e);
    int one = shape == LIST_REPLY_ELEMENT || shape == LIST_REPLY_KEY_ELEMENT;
    size_t n = one || count < 1 ? 1 : (size_t)count;
    if (n > ql_count(ql))
        n = ql_count(ql);
    if (shape == LIST_REPLY_KEY_ELEMENT || shape == LIST_REPLY_KEY_ARRAY) {
        resp_array(c->w, 2);
        resp_bulk(c->w, k->p, k->len);
    }
    if (!one)
        resp_array(c->w, (long long)n);
    struct ql_iter it;
    struct lp_val v;
    ql_iter_init(ql, where == QL_HEAD ? 0 : -1, dir_from(where), &it);
    for (size_t i = 0; i < n && ql_iter_next(&it, &v); i++)
        reply_val(c, &v);
    size_t before = entry_mem(e);
    ql_del_range(ql, where == QL_HEAD ? 0 : -(long long)n, n);
    coll_written(c, k, e, before);
}

int list_move(struct cmd_ctx *c, const struct key *src, struct entry *se, const struct key *dst,
              int from, int to)
{
    int wrong;
    struct entry *de = coll_find_write(c, dst, T_LIST, &wrong);
    if (wrong)
        return 0;
    struct quicklist *sq = entry_obj(se);
    struct ql_pos pos;
    ql_seek(sq, from == QL_HEAD ? 0 : -1, &pos);
    /* The bytes live in the node we are about to shrink: copy them. */
    char ibuf[LP_INTBUF], small[128];
    size_t len;
    const char *s = lp_get_str(pos.p, ibuf, &len);
    char *val = len <= sizeof(small) ? small : xmalloc(len);
    memcpy(val, s, len);
    resp_bulk(c->w, val, len);

    int fill = list_fill();
    size_t before = entry_mem(se);
    ql_del_range(sq, from == QL_HEAD ? 0 : -1, 1);
    if (de == se) { /* rotation: never empty in between as far as anyone sees */
        ql_push(sq, to, val, len, fill);
        coll_written(c, src, se, before);
    } else {
        coll_written(c, src, se, before); /* deletes src if that was its last */
        if (!de)
            de = coll_find_or_create(c, dst, T_LIST, list_create, &wrong);
        size_t dbefore = entry_mem(de);
        ql_push(entry_obj(de), to, val, len, fill);
        coll_written(c, dst, de, dbefore);
    }
    if (val != small)
        free(val);
    return 1;
}

int list_where_arg(struct cmd_ctx *c, int i, int *where)
{
    if (ctx_arg_is(c, i, "left"))
        *where = QL_HEAD;
    else if (ctx_arg_is(c, i, "right"))
        *where = QL_TAIL;
    else {
        ctx_error(c, ERR_SYNTAX);
        return 0;
    }
    return 1;
}

int list_mpop_args(struct cmd_ctx *c, int numkeys_at, struct list_mpop_args *a)
{
    long long nk;
    if (!get_at_least(c, numkeys_at, 1, &nk, ERR_NUMKEYS_GT0))
        return 0;
    if (nk >= c->argc - numkeys_at - 1) { /* no room for LEFT|RIGHT */
        ctx_error(c, ERR_SYNTAX);
        return 0;
    }
    a->first_key = numkeys_at + 1;
    a->numkeys = (int)nk;
    int at = a->first_key + a->numkeys;
    if (!list_where_arg(c, at, &a->where))
        return 0;
    a->count = -1;
    for (int j = at + 1; j < c->argc; j++) {
        if (a->count == -1 && ctx_arg_is(c, j, "count") && j + 1 < c->argc) {
            if (!get_at_least(c, ++j, 1, &a->count, ERR_LIST_COUNT_GT0))
                return 0;
        } else {
            ctx_error(c, ERR_SYNTAX);
            return 0;
        }
    }
    if (a->count == -1)
        a->count = 1;
    return 1;
}

int list_mpop_try(struct cmd_ctx *c, const struct list_mpop_args *a)
{
    for (int i = 0; i < a->numkeys; i++) {
        struct key k;
        int wrong;
        ctx_key(c, a->first_key + i, &k);
        struct entry *e = coll_find_write(c, &k, T_LIST, &wrong);
        if (wrong)
            return -1;
        if (e) {
            list_pop(c, &k, e, a->where, a->count, LIST_REPLY_KEY_ARRAY);
            return 1;
        }
    }
    return 0;
}

/* ---- pushes ----------------------------------------------------------------- */

/* LPUSH/RPUSH (create when absent) and LPUSHX/RPUSHX (only_existing). */
static void push_generic(struct cmd_ctx *c, int where, int only_existing)
{
    struct key k;
    int wrong;
    ctx_key(c, 1, &k);
    struct entry *e = only_existing ? coll_find_write(c, &k, T_LIST, &wrong)
                                    : coll_find_or_create(c, &k, T_LIST, list_create, &wrong);
    if (wrong)
        return;
    if (!e) {
        resp_int(c->w, 0);
        return;
    }
    struct quicklist *ql = entry_obj(e);
    int fill = list_fill();
    size_t before = entry_mem(e);
    for (int j = 2; j < c->argc; j++)
        ql_push(ql, where, c->argv[j], c->argl[j], fill);
    long long len = (long long)ql_count(ql);
    coll_written(c, &k, e, before);
    resp_int(c->w, len);
}

void cmd_lpush(struct cmd_ctx *c) { push_generic(c, QL_HEAD, 0); }
void cmd_rpush(struct cmd_ctx *c) { push_generic(c, QL_TAIL, 0); }
void cmd_lpushx(struct cmd_ctx *c) { push_generic(c, QL_HEAD, 1); }
void cmd_rpushx(struct cmd_ctx *c) { push_generic(c, QL_TAIL, 1); }

void cmd_linsert(struct cmd_ctx *c)
{
    int where;
    if (ctx_arg_is(c, 2, "after"))
        where = LP_AFTER;
    else if (ctx_arg_is(c, 2, "before"))
        where = LP_BEFORE;
    else {
        ctx_error(c, ERR_SYNTAX);
        return;
    }
    struct key k;
    int wrong;
    ctx_key(c, 1, &k);
    struct entry *e = coll_find_write(c, &k, T_LIST, &wrong);
    if (wrong)
        return;
    if (!e) {
        resp_int(c->w, 0);
        return;
    }
    struct quicklist *ql = entry_obj(e);
    struct ql_iter it;
    struct lp_val v;
    int found = 0;
    ql_iter_init(ql, 0, QL_FORWARD, &it);
    while (!found && ql_iter_next(&it, &v))
        found = lp_eq(it.p, c->argv[3], c->argl[3]);
    if (!found) {
        resp_int(c->w, -1);
        return;
    }
    struct ql_pos pos;
    ql_iter_pos(&it, &pos);
    size_t before = entry_mem(e);
    ql_insert(ql, &pos, where, c->argv[4], c->argl[4], list_fill());
    long long len = (long long)ql_count(ql);
    coll_written(c, &k, e, before);
    resp_int(c->w, len);
}

/* ---- pops and moves ------------------------------------------------------ */

static void pop_generic(struct cmd_ctx *c, int where)
{
    long long count = -1; /* -1: no count argument, reply one bulk */
    if (c->argc > 3) {
        ctx_arity_error(c);
        return;
    }
    if (c->argc == 3 && !get_at_least(c, 2, 0, &count, ERR_POSITIVE))
        return;
    struct key k;
    int wrong;
    ctx_key(c, 1, &k);
    struct entry *e = coll_find_write(c, &k, T_LIST, &wrong);
    if (wrong)
        return;
    if (!e) {
        if (count < 0)
            resp_null(c->w);
        else
            resp_null_array(c->w);
        return;
    }
    if (count == 0) {
        resp_array(c->w, 0);
        return;
    }
    if (count < 0)
        list_pop(c, &k, e, where, 1, LIST_REPLY_ELEMENT);
    else
        list_pop(c, &k, e, where, count, LIST_REPLY_ARRAY);
}

void cmd_lpop(struct cmd_ctx *c) { pop_generic(c, QL_HEAD); }
void cmd_rpop(struct cmd_ctx *c) { pop_generic(c, QL_TAIL); }

static void move_generic(struct cmd_ctx *c, int from, int to)
{
    struct key src, dst;
    int wrong;
    ctx_key(c, 1, &src);
    ctx_key(c, 2, &dst);
    struct entry *e = coll_find_write(c, &src, T_LIST, &wrong);
    if (wrong)
        return;
    if (!e) {
        resp_null(c->w);
        return;
    }
    list_move(c, &src, e, &dst, from, to);
}

void cmd_lmove(struct cmd_ctx *c)
{
    int from, to;
    if (!list_where_arg(c, 3, &from) || !list_where_arg(c, 4, &to))
        return;
    move_generic(c, from, to);
}

void cmd_rpoplpush(struct cmd_ctx *c)
{
    move_generic(c, QL_TAIL, QL_HEAD);
}

void cmd_lmpop(struct cmd_ctx *c)
{
    struct list_mpop_args a;
    if (list_mpop_args(c, 1, &a) && list_mpop_try(c, &a) == 0)
        resp_null_array(c->w);
}

/* ---- reads ---------------------------------------------------------------- */

void cmd_llen(struct cmd_ctx *c)
{
    struct key k;
    int wrong;
    ctx_key(c, 1, &k);
    struct entry *e = coll_find_read(c, &k, T_LIST, &wrong);
    if (!wrong)
        resp_int(c->w, e ? (long long)ql_count(entry_obj(e)) : 0);
}

void cmd_lrange(struct cmd_ctx *c)
{
    long long start, end;
    if (!ctx_get_ll(c, 2, &start) || !ctx_get_ll(c, 3, &end))
        return;
    struct key k;
    int wrong;
    ctx_key(c, 1, &k);
    struct entry *e = coll_find_read(c, &k, T_LIST, &wrong);
    if (wrong)
        return;
    size_t first, n;
    if (!e || !list_range(start, end, ql_count(entry_obj(e)), &first, &n)) {
        resp_array(c->w, 0);
        return;
    }
    resp_array(c->w, (long long)n);
    struct ql_iter it;
    struct lp_val v;
    ql_iter_init(entry_obj(e), (long long)first, QL_FORWARD, &it);
    for (size_t i = 0; i < n && ql_iter_next(&it, &v); i++)
        reply_val(c, &v);
}

void cmd_lindex(struct cmd_ctx *c)
{
    struct key k;
    int wrong;
    ctx_key(c, 1, &k);
    struct entry *e = coll_find_read(c, &k, T_LIST, &wrong);
    if (wrong)
        return;
    if (!e) {
        resp_null(c->w);
        return;
    }
    long long index;
    if (!ctx_get_ll(c, 2, &index))
        return;
    struct ql_pos pos;
    if (!ql_seek(entry_obj(e), index, &pos)) {
        resp_null(c->w);
        return;
    }
    struct lp_val v;
    lp_get(pos.p, &v);
    reply_val(c, &v);
}

void cmd_lpos(struct cmd_ctx *c)
{
    long long rank = 1, count = -1, maxlen = 0; /* count -1: no COUNT option */
    for (int j = 3; j < c->argc; j++) {
        int more = j + 1 < c->argc;
        if (ctx_arg_is(c, j, "rank") && more) {
            if (!ctx_get_ll(c, ++j, &rank))
                return;
            if (rank == 0) {
                ctx_error(c, ERR_LIST_RANK_ZERO);
                return;
            }
        } else if (ctx_arg_is(c, j, "count") && more) {
            if (!get_at_least(c, ++j, 0, &count, ERR_LIST_COUNT_NEG))
                return;
        } else if (ctx_arg_is(c, j, "maxlen") && more) {
            if (!get_at_least(c, ++j, 0, &maxlen, ERR_LIST_MAXLEN_NEG))
                return;
        } else {
            ctx_error(c, ERR_SYNTAX);
            return;
        }
    }
    int dir = QL_FORWARD;
    if (rank < 0) {
        /* Redis 7.0 negates a long: RANK -9223372036854775808 stays
         * negative, so every match counts as past the rank and COUNT never
         * stops the walk.  Unsigned arithmetic gives that without UB. */
        rank = (long long)(0ULL - (unsigned long long)rank);
        dir = QL_BACKWARD;
    }
    struct key k;
    int wrong;
    ctx_key(c, 1, &k);
    struct entry *e = coll_find_read(c, &k, T_LIST, &wrong);
    if (wrong)
        return;
    if (!e) {
        if (count != -1)
            resp_array(c->w, 0);
        else
            resp_null(c->w);
        return;
    }
    struct quicklist *ql = entry_obj(e);
    long long llen = (long long)ql_count(ql);
    size_t mark = count != -1 ? resp_defer(c->w) : 0;
    long long index = 0, matches = 0, matchindex = -1, arraylen = 0;
    struct ql_iter it;
    struct lp_val v;
    ql_iter_init(ql, dir == QL_FORWARD ? 0 : -1, dir, &it);
    while (ql_iter_next(&it, &v) && (maxlen == 0 || index < maxlen)) {
        if (lp_eq(it.p, c->argv[2], c->argl[2])) {
            matches++;
            matchindex = dir == QL_FORWARD ? index : llen - index - 1;
            if (matches >= rank) {
                if (count == -1)
                    break;
                arraylen++;
                resp_int(c->w, matchindex);
                long long got = (long long)((unsigned long long)matches - (unsigned long long)rank + 1);
                if (count && got >= count)
                    break;
            }
        }
        index++;
        matchindex = -1; /* no match at the position the loop stops on */
    }
    if (count != -1)
        resp_defer_array(c->w, mark, arraylen);
    else if (matchindex != -1)
        resp_int(c->w, matchindex);
    else
        resp_null(c->w);
}

/* ---- in-place changes ------------------------------------------------------ */

void cmd_lset(struct cmd_ctx *c)
{
    struct key k;
    int wrong;
    ctx_key(c, 1, &k);
    struct entry *e = coll_find_write(c, &k, T_LIST, &wrong);
    if (wrong)
        return;
    if (!e) {
        ctx_error(c, ERR_NO_SUCH_KEY);
        return;
    }
    long long index;
    if (!ctx_get_ll(c, 2, &index))
        return;
    struct quicklist *ql = entry_obj(e);
    struct ql_pos pos;
    if (!ql_seek(ql, index, &pos)) {
        ctx_error(c, ERR_LIST_INDEX);
        return;
    }
    size_t before = entry_mem(e);
    ql_replace(ql, &pos, c->argv[3], c->argl[3]);
    coll_written(c, &k, e, before);
    ctx_ok(c);
}

void cmd_lrem(struct cmd_ctx *c)
{
    long long toremove;
    if (!ctx_get_ll(c, 2, &toremove))
        return;
    struct key k;
    int wrong;
    ctx_key(c, 1, &k);
    struct entry *e = coll_find_write(c, &k, T_LIST, &wrong);
    if (wrong)
        return;
    if (!e) {
        resp_int(c->w, 0);
        return;
    }
    struct quicklist *ql = entry_obj(e);
    int dir = toremove < 0 ? QL_BACKWARD : QL_FORWARD;
    unsigned long long limit = toremove < 0 ? 0ULL - (unsigned long long)toremove
                                            : (unsigned long long)toremove; /* 0: all */
    unsigned long long removed = 0;
    size_t before = entry_mem(e);
    struct ql_iter it;
    struct lp_val v;
    ql_iter_init(ql, dir == QL_FORWARD ? 0 : -1, dir, &it);
    while (ql_iter_next(&it, &v)) {
        if (!lp_eq(it.p, c->argv[3], c->argl[3]))
            continue;
        ql_iter_delete(&it);
        if (++removed == limit)
            break;
    }
    if (removed)
        coll_written(c, &k, e, before);
    resp_int(c->w, (long long)removed);
}

void cmd_ltrim(struct cmd_ctx *c)
{
    long long start, end;
    if (!ctx_get_ll(c, 2, &start) || !ctx_get_ll(c, 3, &end))
        return;
    struct key k;
    int wrong;
    ctx_key(c, 1, &k);
    struct entry *e = coll_find_write(c, &k, T_LIST, &wrong);
    if (wrong)
        return;
    if (!e) {
        ctx_ok(c);
        return;
    }
    struct quicklist *ql = entry_obj(e);
    size_t len = ql_count(ql), first, n;
    size_t before = entry_mem(e);
    if (!list_range(start, end, len, &first, &n)) {
        ql_del_range(ql, 0, len);
    } else {
        size_t rtrim = len - first - n;
        ql_del_range(ql, 0, first);
        if (rtrim)
            ql_del_range(ql, -(long long)rtrim, rtrim);
    }
    coll_written(c, &k, e, before);
    ctx_ok(c);
}

/* cmd_list_blocking.c - BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP.
 *
 * Each tries its non-blocking twin's pop (list_ops.h) and, finding every
 * key empty, parks the client (blocking.h).  When a key is pushed to, the
 * same handler runs again in serving mode and either pops or stays
 * parked.  Argument checks come in Redis 7.0's order: directions, then
 * the timeout, then the keys' types.
 */
#include "server/commands/blocking.h"
#include "server/commands/coll.h"
#include "server/commands/list_ops.h"

/* BLPOP/BRPOP key [key ...] timeout */
static void bpop(struct cmd_ctx *c, int where)
{
    int64_t deadline;
    if (!blocking_timeout_arg(c, c->argc - 1, &deadline))
        return;
    int nkeys = c->argc - 2;
    for (int i = 1; i <= nkeys; i++) {
        struct key k;
        ctx_key(c, i, &k);
        int wrong;
        struct entry *e = coll_find_write(c, &k, T_LIST, &wrong);
        if (wrong)
            return;
        if (e) {
            list_pop(c, &k, e, where, 1, LIST_REPLY_KEY_ELEMENT);
            return;
        }
    }
    blocking_block_range(c, 1, nkeys, deadline, BW_NULL_ARRAY);
}

void cmd_blpop(struct cmd_ctx *c)
{
    bpop(c, QL_HEAD);
}

void cmd_brpop(struct cmd_ctx *c)
{
    bpop(c, QL_TAIL);
}

/* source destination from to, with the timeout at argv[ti] */
static void bmove(struct cmd_ctx *c, int from, int to, int ti)
{
    int64_t deadline;
    if (!blocking_timeout_arg(c, ti, &deadline))
        return;
    struct key src, dst;
    ctx_key(c, 1, &src);
    ctx_key(c, 2, &dst);
    int wrong;
    struct entry *se = coll_find_write(c, &src, T_LIST, &wrong);
    if (wrong)
        return;
    if (se) {
        list_move(c, &src, se, &dst, from, to);
        return;
    }
    blocking_block_range(c, 1, 1, deadline, BW_NULL_BULK);
}

void cmd_blmove(struct cmd_ctx *c)
{
    int from, to;
    if (!list_where_arg(c, 3, &from) || !list_where_arg(c, 4, &to))
        return;
    bmove(c, from, to, 5);
}

void cmd_brpoplpush(struct cmd_ctx *c)
{
    bmove(c, QL_TAIL, QL_HEAD, 3);
}

/* BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count] */
void cmd_blmpop(struct cmd_ctx *c)
{
    int64_t deadline;
    if (!blocking_timeout_arg(c, 1, &deadline))
        return;
    struct list_mpop_args a;
    if (!list_mpop_args(c, 2, &a) || list_mpop_try(c, &a) != 0)
        return;
    blocking_block_range(c, a.first_key, a.numkeys, deadline, BW_NULL_ARRAY);
}

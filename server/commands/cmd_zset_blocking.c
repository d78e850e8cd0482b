/* cmd_zset_blocking.c - BZPOPMIN BZPOPMAX BZMPOP: the sorted-set pops
 * (cmd_zset.h) that park the client on empty keys (blocking.h), in
 * Redis 7.0's argument order: timeout first, then the keys' types. */
#include "server/commands/blocking.h"
#include "server/commands/cmd_zset.h"

/* BZPOPMIN/BZPOPMAX key [key ...] timeout */
static void bzpop(struct cmd_ctx *c, int max)
{
    int64_t deadline;
    if (!blocking_timeout_arg(c, c->argc - 1, &deadline))
        return;
    int nkeys = c->argc - 2;
    for (int i = 1; i <= nkeys; i++) {
        struct key k;
        ctx_key(c, i, &k);
        int wrong;
        struct entry *e = coll_find_write(c, &k, T_ZSET, &wrong);
        if (wrong)
            return;
        if (e) {
            zset_pop_reply(c, &k, e, max, 1, ZPOP_EMIT_KEY);
            return;
        }
    }
    blocking_block_range(c, 1, nkeys, deadline, BW_NULL_ARRAY);
}

void cmd_bzpopmin(struct cmd_ctx *c)
{
    bzpop(c, 0);
}

void cmd_bzpopmax(struct cmd_ctx *c)
{
    bzpop(c, 1);
}

/* BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count] */
void cmd_bzmpop(struct cmd_ctx *c)
{
    int64_t deadline;
    if (!blocking_timeout_arg(c, 1, &deadline))
        return;
    int first, n;
    if (zmpop_try(c, 2, &first, &n))
        return;
    blocking_block_range(c, first, n, deadline, BW_NULL_ARRAY);
}

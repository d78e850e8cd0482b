/* cmd_zset.h - what the sorted-set command files share, and the pop entry
 * point a blocking layer (BZPOPMIN, BZPOPMAX, BZMPOP) calls once a key it
 * waits on holds elements.
 *
 * Files: cmd_zset.c (single-key commands, pops, ZRANDMEMBER, ZSCAN),
 * cmd_zset_range.c (ZRANGE family, ZRANGESTORE, ZREMRANGEBY*),
 * cmd_zset_setop.c (ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD).
 */
#ifndef CACHET_CMD_ZSET_H
#define CACHET_CMD_ZSET_H

#include "server/commands/coll.h"
#include "server/types/t_zset.h"

/* One element of a range reply: the member and, with scores, the score
 * (RESP3 nests each such pair in a 2-element array, as Redis 7.0 does). */
void zreply_elem(struct cmd_ctx *c, const struct zelem *e, int withscores);
/* The array header for n such elements. */
void zreply_array(struct cmd_ctx *c, long n, int withscores);
/* Deferred form for ranges whose length is known only at the end. */
void zreply_defer_done(struct cmd_ctx *c, size_t mark, long n, int withscores);

/* Reply shapes of a pop (Redis's genericZpopCommand):
 *   0                          flat  [m, s, m, s ...]      ZPOPMIN/MAX (RESP2, or no count)
 *   ZPOP_NESTED                [[m, s], ...]               ZPOPMIN/MAX count (RESP3)
 *   ZPOP_EMIT_KEY              [key, m, s]                 BZPOPMIN/MAX
 *   ZPOP_EMIT_KEY|ZPOP_NESTED  [key, [[m, s], ...]]        ZMPOP, BZMPOP */
#define ZPOP_NESTED 1
#define ZPOP_EMIT_KEY 2

/* Pop up to count (>= 1) of the lowest (max = 0) or highest scores from
 * the sorted set in e, stored under k, replying in `shape`.  Deletes the
 * key when it empties.  The caller holds k's shard lock. */
void zset_pop_reply(struct cmd_ctx *c, const struct key *k, struct entry *e, int max, long count,
                    int shape);
/* ZMPOP/BZMPOP: "numkeys key [key ...] MIN|MAX [COUNT count]" with numkeys
 * at argv[at]; pops from the first key holding a sorted set.  Returns 1
 * when a reply (the pop, or an error) was sent; 0 when every key is empty
 * (nothing sent), with the keys at argv[*first .. *first + *nkeys). */
int zmpop_try(struct cmd_ctx *c, int at, int *first, int *nkeys);

#endif

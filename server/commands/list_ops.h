/* list_ops.h - list pops and moves as functions over locked keys.
 *
 * The list commands (cmd_list.c) use these, and so will the blocking
 * layer: BLPOP/BRPOP/BLMPOP/BLMOVE/BRPOPLPUSH, once a key they wait on
 * holds elements, run the same pop with the blocked client's context.
 * The caller holds the shards of every key involved (the dispatcher's
 * locks, or the blocking layer's own in ascending shard order) and has
 * found the source entry with coll_find_write(c, &k, T_LIST, &wrong).
 *
 * Sketch of a blocking pop serving BLPOP k1 k2 0:
 *
 *     for each key i:  ctx_key(c, i, &k);
 *                      e = coll_find_write(c, &k, T_LIST, &wrong);
 *                      if (wrong) return;                  (WRONGTYPE sent)
 *                      if (e) { list_pop(c, &k, e, QL_HEAD, 1,
 *                                        LIST_REPLY_KEY_ELEMENT); return; }
 *     ... no key had elements: blocking_block(...) ...
 *
 * and BLMPOP parses with list_mpop_args(c, 2, &a) then calls
 * list_mpop_try(c, &a) (1: served; 0: nothing to pop, nothing sent;
 * -1: WRONGTYPE sent).  BLMOVE parses with list_where_arg and calls
 * list_move.
 */
#ifndef CACHET_LIST_OPS_H
#define CACHET_LIST_OPS_H

#include "server/commands/command.h"
#include "server/types/t_list.h"

/* The reply shape of a pop. */
enum list_reply {
    LIST_REPLY_ELEMENT,     /* LPOP key: the element as a bulk string */
    LIST_REPLY_ARRAY,       /* LPOP key count: [element ...] */
    LIST_REPLY_KEY_ELEMENT, /* BLPOP: [key, element] */
    LIST_REPLY_KEY_ARRAY,   /* LMPOP, BLMPOP: [key, [element ...]] */
};

/* Pop up to count (>= 1; the _ELEMENT shapes pop one) elements from the
 * `where` end (QL_HEAD / QL_TAIL) of the non-empty list e stored under k,
 * reply them in `shape` (popped order), and delete k if it empties. */
void list_pop(struct cmd_ctx *c, const struct key *k, struct entry *e, int where,
              long long count, enum list_reply shape);

/* LMOVE: move one element from the `from` end of the non-empty list se
 * (stored under src) to the `to` end of the list at dst (created when
 * absent; dst may be src), and reply it as a bulk string.  A dst of
 * another type is answered WRONGTYPE and nothing moves: returns 0.
 * Returns 1 when moved.  (Clients blocked on dst are woken by
 * coll_written, as for every push.) */
int list_move(struct cmd_ctx *c, const struct key *src, struct entry *se, const struct key *dst,
              int from, int to);

/* argv[i] as LEFT (QL_HEAD) or RIGHT (QL_TAIL); anything else replies
 * "ERR syntax error" and returns 0. */
int list_where_arg(struct cmd_ctx *c, int i, int *where);

/* "numkeys key [key ...] LEFT|RIGHT [COUNT count]" with numkeys at
 * argv[numkeys_at] (LMPOP: 1, BLMPOP: 2), checked as Redis 7.0 does;
 * replies the error and returns 0 on bad input. */
struct list_mpop_args {
    int first_key; /* argv index of the first key */
    int numkeys;
    int where;
    long long count; /* 1 when COUNT is absent */
};
int list_mpop_args(struct cmd_ctx *c, int numkeys_at, struct list_mpop_args *a);
/* Pop from the first of the keys holding a list, replying
 * [key, [element ...]].  Returns 1 when served, 0 when no key holds a list
 * (nothing is sent), -1 when a key of another type came first (WRONGTYPE
 * sent). */
int list_mpop_try(struct cmd_ctx *c, const struct list_mpop_args *a);


#endif

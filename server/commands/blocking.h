/* blocking.h - clients blocked on keys (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH,
 * BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP), served across worker threads.
 *
 * A blocking handler first tries to serve itself like its non-blocking
 * twin; when every key is empty it calls blocking_block(), which parks the
 * client: a waiter (a copy of the command) is recorded on each key's
 * shard (server/keyspace/blocked.h), and the client's connection stops
 * running commands until the waiter ends.
 *
 * Serving (any worker): a command that stores or grows a list/zset someone
 * waits on leaves the key in its thread's ready list.  After the command
 * (after EXEC, for a transaction) and with no lock held, the same thread
 * runs blocking_serve_ready(): for each ready key it takes the first
 * waiter in blocking order, locks every shard the waiter's command names
 * (ascending, as dispatch does), claims it (WAITING -> SERVING, an atomic
 * swap) and runs the waiter's own handler in "serving" mode, writing the
 * reply into the waiter.  If the handler found nothing after all, the
 * waiter goes back to WAITING.  Served waiters are handed to their owner
 * worker through its inbox; only the owner touches the client.
 *
 * The owner ends a waiter on delivery, on timeout (claiming it WAITING ->
 * DONE first, so a server on another thread and a timeout cannot both
 * answer) and when the client disconnects.  It then removes the records,
 * locking one shard at a time.  A reply that was being produced for a
 * client that disconnected meanwhile is dropped: the element was popped
 * for a client that is gone, which Redis does too if the socket dies after
 * the reply is written.
 */
#ifndef CACHET_BLOCKING_H
#define CACHET_BLOCKING_H

#include <stdint.h>

#include "server/commands/command.h"

struct client;
struct worker;

/* What blocking_block answers inside MULTI, where nothing blocks: RESP2
 * *-1 or $-1 (RESP3: _).  A timeout is always *-1, as in Redis 7.0. */
#define BW_NULL_ARRAY 0 /* BLPOP BRPOP BLMPOP BZPOPMIN BZPOPMAX BZMPOP */
#define BW_NULL_BULK 1  /* BLMOVE BRPOPLPUSH */

/* Parse a blocking timeout (seconds, fractions allowed; 0 = forever) into
 * an absolute deadline in ms (0 = none), replying Redis's errors. */
int blocking_timeout_arg(struct cmd_ctx *c, int i, int64_t *deadline_ms);

/* Nothing to pop on argv[keys[0..nkeys)]: park the client until the
 * deadline (0 = forever).  Inside MULTI/EXEC, answers the null reply
 * instead.  When serving, leaves the waiter waiting (no reply). */
void blocking_block(struct cmd_ctx *c, const int *keys, int nkeys, int64_t deadline_ms,
                    int null_kind);
/* The same for the keys argv[first .. first + n). */
void blocking_block_range(struct cmd_ctx *c, int first, int n, int64_t deadline_ms,
                          int null_kind);

/* After a top-level command on worker wk, with no lock held. */
void blocking_serve_ready(struct worker *wk);

/* Owner side, on the worker's own thread. */
void blocking_deliver(struct worker *wk);             /* served waiters from the inbox */
int64_t blocking_expire(struct worker *wk, int64_t now_ms); /* timeouts; next deadline or 0 */
void blocking_client_closed(struct client *cl);
/* Clients blocked right now, over all workers (INFO blocked_clients). */
long blocking_count(void);

#endif

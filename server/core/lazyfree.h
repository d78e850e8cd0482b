/* lazyfree.h - freeing big values off the request path.
 *
 * Owns one background thread and its queue.  Deleting a collection of
 * millions of elements (DEL, UNLINK, FLUSHALL, expiry, an overwrite) would
 * hold the key's shard lock for as long as the frees take; instead the
 * keyspace unlinks the value (O(1)) and hands it here.  Memory accounting
 * has already been taken off the shard when the value is queued, as in
 * Redis's lazyfree.  Before lazyfree_start (unit tests, start-up loading)
 * and after lazyfree_stop, submissions are freed inline.
 */
#ifndef CACHET_LAZYFREE_H
#define CACHET_LAZYFREE_H

#include <stdint.h>

/* Elements above which a value is freed in the background (Redis's
 * LAZYFREE_THRESHOLD: below it the queue hand-off costs more than the
 * free). */
#define LAZYFREE_THRESHOLD 64

void lazyfree_start(void);
/* Free everything still queued, then join the thread. */
void lazyfree_stop(void);
/* Call destroy(obj) on the background thread. */
void lazyfree_submit(void (*destroy)(void *), void *obj);
/* Values queued and not yet freed (INFO lazyfree_pending_objects). */
uint64_t lazyfree_pending(void);
/* Values freed by the background thread since start (INFO lazyfreed_objects). */
uint64_t lazyfree_done(void);

#endif

/* maxmemory.h - the memory limit.
 *
 * Owns: whether the server is over `maxmemory`, and making room by the
 * active maxmemory-policy (policy.h).  A command that would grow memory
 * and finds the limit crossed evicts before it runs; under noeviction, or
 * with nothing left to evict, it is refused (RESP: -OOM, memcached:
 * SERVER_ERROR out of memory storing object) while reads and deletes go on.
 *
 * The check is made before a command runs, against the accounted estimate
 * (mem.h), so used_memory may pass the limit by at most
 * threads x MEM_ACCOUNT_BATCH (64 KB each) plus the one command already
 * admitted.  A command that needs more than 1 ms of evicting (only after
 * the limit is lowered far below use, or for values of megabytes) is
 * admitted when the time is up, as in Redis, and later writes go on
 * evicting.
 */
#ifndef CACHET_MAXMEMORY_H
#define CACHET_MAXMEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "server/keyspace/keyspace.h"

void maxmemory_init(size_t startup_bytes);
/* used_memory as the write path sees it (startup + accounted estimate). */
size_t maxmemory_used(void);
/* 1 if maxmemory is set and used memory is above it. */
int maxmemory_exceeded(void);

/* Evict by the active policy until under the limit, or for at most 1 ms
 * (timed from the 16th eviction on).
 * Call with no shard lock held.  Returns 1 if the command may run (under
 * the limit, or out of time while evictions still succeed), 0 if not
 * (noeviction, or nothing evictable): the caller answers OOM.  Each
 * eviction is counted in *evicted. */
int maxmemory_make_room(const struct ks_env *env, uint64_t *rng, uint64_t *evicted);

/* Free this thread's eviction candidates (a worker calls it on exit). */
void maxmemory_thread_exit(void);

#define OOM_ERROR "OOM command not allowed when used memory > 'maxmemory'."

#endif

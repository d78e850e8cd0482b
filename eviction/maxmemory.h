/* maxmemory.h - the memory limit.
 *
 * Owns: whether the server is over `maxmemory`.  Today the only policy is
 * Redis's default, noeviction: past the limit, commands that would grow
 * memory are refused (RESP: -OOM, memcached: SERVER_ERROR out of memory)
 * while reads and deletes go on.  The eviction policies (issue 5) plug in
 * here: a write that finds the limit crossed will evict before running.
 *
 * The check is made before a command runs, against the accounted estimate
 * (mem.h), so used_memory may pass the limit by at most
 * threads x MEM_ACCOUNT_BATCH (64 KB each) plus the one command already
 * admitted.
 */
#ifndef CACHET_MAXMEMORY_H
#define CACHET_MAXMEMORY_H

#include <stddef.h>

void maxmemory_init(size_t startup_bytes);
/* used_memory as the write path sees it (startup + accounted estimate). */
size_t maxmemory_used(void);
/* 1 if maxmemory is set and used memory is above it. */
int maxmemory_exceeded(void);

#define OOM_ERROR "OOM command not allowed when used memory > 'maxmemory'."

#endif

/* mem.h - allocation with exact accounting.
 *
 * Every byte the keyspace holds is counted by its allocator-reported usable
 * size (jemalloc's size classes, or glibc's chunk size under MALLOC=libc),
 * so used_memory tracks what the allocator really hands out, not what we
 * asked for.  Out of memory aborts: a cache that cannot allocate a few
 * bytes has no safe way to continue a half-applied write.
 */
#ifndef CACHET_MEM_H
#define CACHET_MEM_H

#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xmemdup(const void *p, size_t n); /* NUL-terminated copy */

static inline size_t mem_usable(void *p)
{
    return p ? malloc_usable_size(p) : 0;
}

/* Accounted memory (keyspace + client buffers), kept cheap enough for the
 * write path: each thread batches its changes and publishes them to one
 * shared total once they reach MEM_ACCOUNT_BATCH bytes, so the total is
 * never off by more than threads x MEM_ACCOUNT_BATCH and no write touches a
 * shared cache line.  INFO sums the exact per-shard counters instead. */
#define MEM_ACCOUNT_BATCH (64 * 1024)
void mem_account(long long delta);
size_t mem_accounted_estimate(void);

/* Name and version of the allocator in use, as INFO's mem_allocator. */
const char *mem_allocator_name(void);
/* Bytes currently allocated through the allocator (all of the process). */
size_t mem_allocated_total(void);
/* The calling thread allocates from an arena of its own from now on, so
 * it never holds an allocator lock another thread's allocations wait for
 * (the snapshot thread, which may be preempted at idle priority).  A
 * no-op without jemalloc. */
void mem_thread_own_arena(void);

#endif

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

/* Name and version of the allocator in use, as INFO's mem_allocator. */
const char *mem_allocator_name(void);
/* Bytes currently allocated through the allocator (all of the process). */
size_t mem_allocated_total(void);

#endif

/* mem.c - allocator wrappers; see mem.h. */
#include "server/core/mem.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#ifdef USE_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

static void oom(size_t n)
{
    char msg[96];
    int l = snprintf(msg, sizeof(msg), "cachet: out of memory allocating %zu bytes\n", n);
    if (write(2, msg, (size_t)l) < 0) {
        /* nothing left to report with */
    }
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *xmemdup(const void *p, size_t n)
{
    char *q = xmalloc(n + 1);
    memcpy(q, p, n);
    q[n] = '\0';
    return q;
}

char *xstrdup(const char *s)
{
    return xmemdup(s, strlen(s));
}

static long long accounted_total;
static __thread long long accounted_pending;

void mem_account(long long delta)
{
    accounted_pending += delta;
    if (accounted_pending >= MEM_ACCOUNT_BATCH || accounted_pending <= -MEM_ACCOUNT_BATCH) {
        __atomic_add_fetch(&accounted_total, accounted_pending, __ATOMIC_RELAXED);
        accounted_pending = 0;
    }
}

size_t mem_accounted_estimate(void)
{
    long long t = __atomic_load_n(&accounted_total, __ATOMIC_RELAXED) + accounted_pending;
    return t > 0 ? (size_t)t : 0;
}

const char *mem_allocator_name(void)
{
#ifdef USE_JEMALLOC
    static char name[64];
    if (!name[0]) {
        const char *v = NULL;
        size_t sz = sizeof(v);
        if (mallctl("version", &v, &sz, NULL, 0) == 0 && v) {
            char ver[32];
            snprintf(ver, sizeof(ver), "%s", v);
            char *dash = strchr(ver, '-'); /* "5.3.0-0-g54eaed1d..." -> "5.3.0" */
            if (dash)
                *dash = '\0';
            snprintf(name, sizeof(name), "jemalloc-%s", ver);
        } else {
            snprintf(name, sizeof(name), "jemalloc");
        }
    }
    return name;
#else
    return "libc";
#endif
}

void mem_thread_own_arena(void)
{
#ifdef USE_JEMALLOC
    unsigned arena;
    size_t sz = sizeof(arena);
    if (mallctl("arenas.create", &arena, &sz, NULL, 0) == 0)
        mallctl("thread.arena", NULL, NULL, &arena, sizeof(arena));
#endif
}

size_t mem_allocated_total(void)
{
#ifdef USE_JEMALLOC
    uint64_t epoch = 1;
    size_t sz = sizeof(epoch);
    mallctl("epoch", &epoch, &sz, &epoch, sz);
    size_t allocated = 0;
    sz = sizeof(allocated);
    if (mallctl("stats.allocated", &allocated, &sz, NULL, 0) == 0)
        return allocated;
    return 0;
#else
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
#endif
}

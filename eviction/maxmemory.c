/* maxmemory.c - see maxmemory.h. */
#include "eviction/maxmemory.h"

#include "server/core/config.h"
#include "server/core/mem.h"

static size_t startup;

void maxmemory_init(size_t startup_bytes)
{
    startup = startup_bytes;
}

size_t maxmemory_used(void)
{
    return startup + mem_accounted_estimate();
}

int maxmemory_exceeded(void)
{
    long long limit = CFG(maxmemory);
    return limit > 0 && maxmemory_used() > (size_t)limit;
}

/* policy.h - per-entry access metadata that eviction policies build on.
 *
 * Owns: what `entry->access` means.  Today it is Redis's LRU clock (seconds,
 * 24 bits, wrapping), which OBJECT IDLETIME reads; the maxmemory policies
 * (issue 5) plug in behind these same hooks, so the keyspace calls
 * evict_on_access()/evict_idle_ms() and nothing policy-specific.
 */
#ifndef CACHET_EVICTION_POLICY_H
#define CACHET_EVICTION_POLICY_H

#include <stdint.h>

#include "server/keyspace/entry.h"

#define EVICT_LRU_BITS 24
#define EVICT_LRU_MAX ((1u << EVICT_LRU_BITS) - 1)
#define EVICT_LRU_RESOLUTION_MS 1000

static inline uint32_t evict_lru_clock(int64_t now_ms)
{
    return (uint32_t)((now_ms / EVICT_LRU_RESOLUTION_MS) & EVICT_LRU_MAX);
}

/* A read or write of the key. */
static inline void evict_on_access(struct entry *e, int64_t now_ms)
{
    e->access = evict_lru_clock(now_ms);
}

/* Milliseconds since the last access, with the clock's wrap handled as
 * Redis's estimateObjectIdleTime does. */
static inline uint64_t evict_idle_ms(const struct entry *e, int64_t now_ms)
{
    uint32_t now = evict_lru_clock(now_ms), then = e->access & EVICT_LRU_MAX;
    uint64_t d = now >= then ? now - then : (EVICT_LRU_MAX - then) + now;
    return d * EVICT_LRU_RESOLUTION_MS;
}

#endif

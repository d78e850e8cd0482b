/* policy.h - per-entry access metadata and the eviction policy table.
 *
 * Owns: what `entry->access` means, and which policy is active.  The
 * keyspace calls evict_on_insert()/evict_on_access() and nothing
 * policy-specific; maxmemory.c picks victims by the active policy's score.
 *
 * entry->access (32 bits):
 *   LRU, FIFO policies: a clock in 16 ms units (wraps after ~2 years),
 *     updated on every access (LRU) or only at insertion (FIFO).  Finer
 *     than Redis's 1 s LRU clock, so sampled LRU tells recent keys apart.
 *   LFU policies: Redis's layout: bits 8..23 the last decrement time in
 *     minutes, bits 0..7 a logarithmic access counter (lfu-log-factor,
 *     lfu-decay-time), new keys start at 5.
 * Switching between LFU and the others reinterprets old values, as in
 * Redis ("LRU and LFU data will take some time to adjust").
 */
#ifndef CACHET_EVICTION_POLICY_H
#define CACHET_EVICTION_POLICY_H

#include <stdint.h>

#include "server/keyspace/entry.h"

enum evict_policy {
    EP_NOEVICTION = 0,
    EP_ALLKEYS_LRU,
    EP_ALLKEYS_LFU,
    EP_ALLKEYS_RANDOM,
    EP_ALLKEYS_FIFO,
    EP_VOLATILE_LRU,
    EP_VOLATILE_LFU,
    EP_VOLATILE_RANDOM,
    EP_VOLATILE_FIFO,
    EP_VOLATILE_TTL,
};

/* Names as maxmemory-policy spells them, indexed by enum evict_policy. */
extern const char *const evict_policy_names[];

enum evict_policy evict_policy(void); /* the active one (config) */
int evict_policy_is_lfu(enum evict_policy p);
int evict_policy_volatile(enum evict_policy p);

#define EVICT_CLOCK_SHIFT 4 /* 16 ms units */
#define LFU_INIT_VAL 5

static inline uint32_t evict_clock(int64_t now_ms)
{
    return (uint32_t)((uint64_t)now_ms >> EVICT_CLOCK_SHIFT);
}

/* A new entry stored. */
void evict_on_insert(struct entry *e, int64_t now_ms);
/* A read or write of an existing key. */
void evict_on_access(struct entry *e, int64_t now_ms);

/* Milliseconds since the last access (LRU/FIFO clock). */
uint64_t evict_idle_ms(const struct entry *e, int64_t now_ms);
/* The LFU counter after decay (OBJECT FREQ). */
unsigned evict_lfu_freq(const struct entry *e, int64_t now_ms);

/* How good a victim e is under policy p: higher evicts first. */
uint64_t evict_score(const struct entry *e, enum evict_policy p, int64_t now_ms);

#endif

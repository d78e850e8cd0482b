/* stats.h - per-thread counters, summed when INFO asks.
 *
 * Each worker owns one `struct wstats` (cache-line aligned, so workers never
 * share a line) and is its only writer: STAT_ADD is a plain load+store with
 * relaxed atomics, which compiles to an ordinary add on x86 and lets INFO on
 * another thread read a whole value.  CONFIG RESETSTAT never writes another
 * thread's counters; it records a baseline that INFO subtracts.
 */
#ifndef CACHET_STATS_H
#define CACHET_STATS_H

#include <stdint.h>

#define STAT_ADD(field, n) __atomic_store_n(&(field), (field) + (n), __ATOMIC_RELAXED)
#define STAT_INC(field) STAT_ADD(field, 1)
#define STAT_GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

struct cmd_stat {
    uint64_t calls, usec, rejected, failed;
};

#define MAX_ERR_STATS 128
struct err_stat {
    char name[32];
    uint64_t count;
};

/* memcached's counters, by its names (stats command) */
struct mc_stat {
    uint64_t cmd_get, cmd_set, cmd_flush, cmd_touch, cmd_meta;
    uint64_t get_hits, get_misses, get_expired;
    uint64_t delete_misses, delete_hits, incr_misses, incr_hits, decr_misses, decr_hits;
    uint64_t cas_misses, cas_hits, cas_badval, touch_hits, touch_misses;
    uint64_t store_too_large, total_items, conns;
};

struct wstats {
    uint64_t commands;
    uint64_t conns_received;
    uint64_t conns_rejected;
    uint64_t expired;
    uint64_t evicted;
    uint64_t hits, misses;
    uint64_t net_in, net_out;
    uint64_t error_replies;
    uint64_t reads, writes;
    uint64_t client_mem; /* input+output buffer bytes of this worker's clients */
    struct mc_stat mc;
    struct cmd_stat *cmds; /* [command_count()] */
    struct err_stat errs[MAX_ERR_STATS];
    int nerrs;             /* published with release after the name is written */
} __attribute__((aligned(64)));

/* Count an error reply by its prefix ("ERR", "WRONGTYPE", ...). */
void stats_count_error(struct wstats *st, const char *msg);

#endif

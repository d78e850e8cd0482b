/* mc_stats.c - memcached `stats`: memcached's counter names over our
 * per-thread counters (summed here) and the shared keyspace.  Fields that
 * describe memcached internals we do not have (slabs, LRU crawler) are
 * left out rather than reported as made-up zeros. */
#include "server/memcache/mc_stats.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "server/core/config.h"
#include "server/core/lifecycle.h"
#include "server/keyspace/shard.h"
#include "server/memcache/mc_ops.h"
#include "server/net/client.h"
#include "server/net/worker.h"

static void stat(struct obuf *out, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void stat(struct obuf *out, const char *name, const char *fmt, ...)
{
    char val[128], line[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    int n = snprintf(line, sizeof(line), "STAT %s %s\r\n", name, val);
    obuf_append(out, line, (size_t)n);
}

#define SUM(field) sum_field(offsetof(struct wstats, field))
static unsigned long long sum_field(size_t off)
{
    unsigned long long n = 0;
    for (int i = 0; i < worker_count(); i++) {
        const uint64_t *p = (const uint64_t *)((const char *)&worker_get(i)->stats + off);
        n += __atomic_load_n(p, __ATOMIC_RELAXED);
    }
    return n;
}

/* memcached's memory limit: maxmemory, or without one the machine. */
static unsigned long long limit_bytes(void)
{
    if (CFG(maxmemory) > 0)
        return (unsigned long long)CFG(maxmemory);
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    return pages > 0 && psz > 0 ? (unsigned long long)pages * (unsigned long long)psz : 0;
}

static void general(struct obuf *out, int64_t now_ms)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    unsigned long long items = 0, bytes = 0;
    for (uint32_t i = 0; i < ks_nshards(); i++) {
        struct shard *s = ks_shard(i);
        shard_lock(s);
        items += ht_count(&s->db[MC_DB].ht);
        shard_unlock(s);
        bytes += __atomic_load_n(&s->mem, __ATOMIC_RELAXED);
    }
    stat(out, "pid", "%d", (int)getpid());
    stat(out, "uptime", "%lld", (long long)((now_ms - server_start_ms()) / 1000));
    stat(out, "time", "%lld", (long long)(now_ms / 1000));
    stat(out, "version", "%s", CACHET_MEMCACHED_COMPAT_VERSION);
    stat(out, "pointer_size", "%d", (int)(8 * sizeof(void *)));
    stat(out, "rusage_user", "%ld.%06ld", (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec);
    stat(out, "rusage_system", "%ld.%06ld", (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
    stat(out, "max_connections", "%lld", CFG(maxclients));
    stat(out, "curr_connections", "%ld", client_count());
    stat(out, "total_connections", "%llu", SUM(conns_received));
    stat(out, "rejected_connections", "%llu", SUM(conns_rejected));
    stat(out, "cmd_get", "%llu", SUM(mc.cmd_get));
    stat(out, "cmd_set", "%llu", SUM(mc.cmd_set));
    stat(out, "cmd_flush", "%llu", SUM(mc.cmd_flush));
    stat(out, "cmd_touch", "%llu", SUM(mc.cmd_touch));
    stat(out, "cmd_meta", "%llu", SUM(mc.cmd_meta));
    stat(out, "get_hits", "%llu", SUM(mc.get_hits));
    stat(out, "get_misses", "%llu", SUM(mc.get_misses));
    stat(out, "get_expired", "%llu", SUM(mc.get_expired));
    stat(out, "get_flushed", "%d", 0);
    stat(out, "delete_misses", "%llu", SUM(mc.delete_misses));
    stat(out, "delete_hits", "%llu", SUM(mc.delete_hits));
    stat(out, "incr_misses", "%llu", SUM(mc.incr_misses));
    stat(out, "incr_hits", "%llu", SUM(mc.incr_hits));
    stat(out, "decr_misses", "%llu", SUM(mc.decr_misses));
    stat(out, "decr_hits", "%llu", SUM(mc.decr_hits));
    stat(out, "cas_misses", "%llu", SUM(mc.cas_misses));
    stat(out, "cas_hits", "%llu", SUM(mc.cas_hits));
    stat(out, "cas_badval", "%llu", SUM(mc.cas_badval));
    stat(out, "touch_hits", "%llu", SUM(mc.touch_hits));
    stat(out, "touch_misses", "%llu", SUM(mc.touch_misses));
    stat(out, "store_too_large", "%llu", SUM(mc.store_too_large));
    stat(out, "store_no_memory", "%d", 0);
    stat(out, "bytes_read", "%llu", SUM(net_in));
    stat(out, "bytes_written", "%llu", SUM(net_out));
    stat(out, "limit_maxbytes", "%llu", limit_bytes());
    stat(out, "accepting_conns", "%d", 1);
    stat(out, "threads", "%d", worker_count());
    stat(out, "bytes", "%llu", bytes);
    stat(out, "curr_items", "%llu", items);
    stat(out, "total_items", "%llu", SUM(mc.total_items));
    stat(out, "expired_unfetched", "%d", 0);
    stat(out, "evicted_unfetched", "%d", 0);
    stat(out, "evictions", "%llu", SUM(evicted));
    stat(out, "reclaimed", "%llu", SUM(expired));
}

static void settings(struct obuf *out)
{
    stat(out, "maxbytes", "%llu", limit_bytes());
    stat(out, "maxconns", "%lld", CFG(maxclients));
    stat(out, "tcpport", "%lld", CFG(memcache_port));
    stat(out, "udpport", "%d", 0);
    stat(out, "verbosity", "%d", 0);
    stat(out, "evictions", "%s", "on");
    stat(out, "num_threads", "%d", worker_count());
    stat(out, "cas_enabled", "%s", "yes");
    stat(out, "tcp_backlog", "%lld", CFG(tcp_backlog));
    stat(out, "binding_protocol", "%s", "ascii");
    stat(out, "item_size_max", "%lld", CFG(max_item_size));
    stat(out, "flush_enabled", "%s", "yes");
    stat(out, "idle_timeout", "%lld", CFG(timeout));
}

int mc_stats_reply(struct obuf *out, const char *section, size_t slen, int64_t now_ms)
{
    if (!section || slen == 0)
        general(out, now_ms);
    else if (slen == 8 && !memcmp(section, "settings", 8))
        settings(out);
    else
        return -1;
    obuf_append(out, "END\r\n", 5);
    return 0;
}

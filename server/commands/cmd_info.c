/* cmd_info.c - INFO: Redis's sections and field names over our per-thread
 * counters.  Sums are taken when INFO runs (stats.h); RESETSTAT stores a
 * baseline that is subtracted here, so no thread writes another's stats. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "eviction/maxmemory.h"
#include "eviction/policy.h"
#include "persistence/snapshot.h"
#include "server/commands/command.h"
#include "server/commands/info.h"
#include "server/core/clock.h"
#include "server/core/config.h"
#include "server/core/lifecycle.h"
#include "server/commands/blocking.h"
#include "server/core/lazyfree.h"
#include "server/core/mem.h"
#include "server/core/util.h"
#include "server/net/client.h"
#include "server/net/worker.h"

struct totals {
    uint64_t commands, conns_received, conns_rejected, expired, evicted, hits, misses;
    uint64_t net_in, net_out, error_replies, reads, writes;
};

static pthread_mutex_t base_lock = PTHREAD_MUTEX_INITIALIZER;
static struct totals base;
static struct cmd_stat *base_cmds;
static struct err_stat base_errs[MAX_ERR_STATS];
static int base_nerrs;

/* instantaneous_* : a ring of samples taken every 100 ms, as Redis does. */
#define SAMPLES 16
static struct {
    int64_t t[SAMPLES];
    uint64_t ops[SAMPLES], in[SAMPLES], out[SAMPLES];
    int idx, n;
    int64_t last_ms;
    double ops_rate, in_rate, out_rate;
} inst;
static size_t mem_peak;
static size_t mem_startup;

static void sum_totals(struct totals *t)
{
    memset(t, 0, sizeof(*t));
    for (int i = 0; i < worker_count(); i++) {
        struct wstats *s = &worker_get(i)->stats;
        t->commands += STAT_GET(s->commands);
        t->conns_received += STAT_GET(s->conns_received);
        t->conns_rejected += STAT_GET(s->conns_rejected);
        t->expired += STAT_GET(s->expired);
        t->evicted += STAT_GET(s->evicted);
        t->hits += STAT_GET(s->hits);
        t->misses += STAT_GET(s->misses);
        t->net_in += STAT_GET(s->net_in);
        t->net_out += STAT_GET(s->net_out);
        t->error_replies += STAT_GET(s->error_replies);
        t->reads += STAT_GET(s->reads);
        t->writes += STAT_GET(s->writes);
    }
}

static void sum_cmd(int id, struct cmd_stat *out)
{
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < worker_count(); i++) {
        struct cmd_stat *s = &worker_get(i)->stats.cmds[id];
        out->calls += STAT_GET(s->calls);
        out->usec += STAT_GET(s->usec);
        out->rejected += STAT_GET(s->rejected);
        out->failed += STAT_GET(s->failed);
    }
}

/* Error counts merged by name across threads; returns the number of kinds. */
static int sum_errors(struct err_stat *out)
{
    int n = 0;
    for (int i = 0; i < worker_count(); i++) {
        struct wstats *s = &worker_get(i)->stats;
        int ne = __atomic_load_n(&s->nerrs, __ATOMIC_ACQUIRE);
        for (int j = 0; j < ne; j++) {
            int k = 0;
            while (k < n && strcmp(out[k].name, s->errs[j].name))
                k++;
            if (k == n) {
                if (n == MAX_ERR_STATS)
                    continue;
                memcpy(out[n].name, s->errs[j].name, sizeof(out[n].name));
                out[n].count = 0;
                n++;
            }
            out[k].count += STAT_GET(s->errs[j].count);
        }
    }
    return n;
}

void info_init(void)
{
    base_cmds = xcalloc((size_t)command_count(), sizeof(*base_cmds));
    mem_startup = ks_static_bytes();
    maxmemory_init(mem_startup);
}

static size_t clients_bytes(void)
{
    uint64_t n = 0;
    for (int i = 0; i < worker_count(); i++)
        n += STAT_GET(worker_get(i)->stats.client_mem);
    return (size_t)n;
}

static size_t dataset_bytes(uint64_t *dirty);

/* used_memory: what the server has accounted (fixed structures, every
 * shard's entries, tables and expiry arrays, every client's buffers),
 * independent of which allocator is linked; the allocator's own total is
 * reported separately as allocator_allocated. */
static size_t used_memory(void)
{
    return mem_startup + dataset_bytes(NULL) + clients_bytes();
}

size_t info_used_memory(void)
{
    return used_memory();
}

void info_reset_stats(void)
{
    pthread_mutex_lock(&base_lock);
    sum_totals(&base);
    for (int id = 0; id < command_count(); id++)
        sum_cmd(id, &base_cmds[id]);
    base_nerrs = sum_errors(base_errs);
    __atomic_store_n(&mem_peak, used_memory(), __ATOMIC_RELAXED);
    pthread_mutex_unlock(&base_lock);
}

void info_sample(int64_t now_ms)
{
    if (now_ms - inst.last_ms < 100)
        return;
    inst.last_ms = now_ms;
    struct totals t;
    sum_totals(&t);
    int i = inst.idx;
    inst.t[i] = now_ms;
    inst.ops[i] = t.commands;
    inst.in[i] = t.net_in;
    inst.out[i] = t.net_out;
    int oldest = inst.n < SAMPLES ? 0 : (i + 1) % SAMPLES;
    if (inst.n < SAMPLES)
        inst.n++;
    inst.idx = (i + 1) % SAMPLES;
    double dt = (double)(now_ms - inst.t[oldest]) / 1000.0;
    double ops = 0, in = 0, out = 0;
    if (dt > 0) {
        ops = (double)(t.commands - inst.ops[oldest]) / dt;
        in = (double)(t.net_in - inst.in[oldest]) / dt / 1024;
        out = (double)(t.net_out - inst.out[oldest]) / dt / 1024;
    }
    pthread_mutex_lock(&base_lock);
    inst.ops_rate = ops;
    inst.in_rate = in;
    inst.out_rate = out;
    pthread_mutex_unlock(&base_lock);
    size_t used = used_memory();
    if (used > __atomic_load_n(&mem_peak, __ATOMIC_RELAXED))
        __atomic_store_n(&mem_peak, used, __ATOMIC_RELAXED);
}

/* ---- text building ---- */

struct text {
    char *p;
    size_t len, cap;
};

static void tprintf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tprintf(struct text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        t->cap = t->cap * 2 + (size_t)(n > 0 ? n : 256);
        t->p = xrealloc(t->p, t->cap);
    }
}

static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, res = 0;
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &res) != 2)
            res = 0;
        fclose(f);
    }
    return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

static size_t dataset_bytes(uint64_t *dirty)
{
    size_t m = 0;
    uint64_t d = 0;
    for (uint32_t i = 0; i < ks_nshards(); i++) {
        struct shard *s = ks_shard(i);
        m += __atomic_load_n(&s->mem, __ATOMIC_RELAXED);
        d += __atomic_load_n(&s->dirty, __ATOMIC_RELAXED);
    }
    if (dirty)
        *dirty = d;
    return m;
}

static void human(char *buf, size_t cap, unsigned long long n)
{
    util_bytes_human(buf, cap, n);
}

static void section_server(struct text *t, int64_t now_ms)
{
    struct utsname u;
    uname(&u);
    const char *cf = config_file_path();
    int64_t up = (now_ms - server_start_ms()) / 1000;
    tprintf(t,
            "# Server\r\nredis_version:%s\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\n"
            "redis_build_id:0\r\nredis_mode:standalone\r\nos:%s %s %s\r\narch_bits:64\r\n"
            "monotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:epoll\r\n"
            "atomicvar_api:c11-builtin\r\ngcc_version:%d.%d.%d\r\nprocess_id:%d\r\n"
            "process_supervised:no\r\nrun_id:%s\r\ntcp_port:%lld\r\nserver_time_usec:%lld\r\n"
            "uptime_in_seconds:%lld\r\nuptime_in_days:%lld\r\nhz:%lld\r\nconfigured_hz:%lld\r\n"
            "lru_clock:%lld\r\nexecutable:%s\r\nconfig_file:%s\r\nio_threads_active:0\r\n"
            "cachet_version:%s\r\ncachet_threads:%d\r\ncachet_shards:%u\r\n",
            CACHET_REDIS_COMPAT_VERSION, u.sysname, u.release, u.machine,
#ifdef __GNUC__
            __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__,
#else
            0, 0, 0,
#endif
            (int)getpid(), server_run_id(), CFG(port), (long long)clock_wall_us(),
            (long long)up, (long long)(up / 86400), CFG(hz), CFG(hz),
            (long long)((now_ms / 1000) & ((1 << 24) - 1)), server_executable(), cf ? cf : "",
            CACHET_VERSION, worker_count(), ks_nshards());
}

static void section_clients(struct text *t)
{
    tprintf(t,
            "# Clients\r\nconnected_clients:%ld\r\ncluster_connections:0\r\nmaxclients:%lld\r\n"
            "client_recent_max_input_buffer:0\r\nclient_recent_max_output_buffer:0\r\n"
            "blocked_clients:%ld\r\ntracking_clients:0\r\nclients_in_timeout_table:0\r\n",
            client_count(), CFG(maxclients), blocking_count());
}

static void section_memory(struct text *t)
{
    size_t dataset = dataset_bytes(NULL), clients = clients_bytes();
    size_t used = mem_startup + dataset + clients;
    size_t rss = rss_bytes();
    size_t peak = __atomic_load_n(&mem_peak, __ATOMIC_RELAXED);
    if (used > peak) {
        peak = used;
        __atomic_store_n(&mem_peak, peak, __ATOMIC_RELAXED);
    }
    size_t overhead = mem_startup + clients;
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    unsigned long long total_sys = (unsigned long long)pages * (unsigned long long)psz;
    char h_used[32], h_rss[32], h_peak[32], h_sys[32], h_start[32], h_max[32];
    human(h_max, sizeof(h_max), (unsigned long long)CFG(maxmemory));
    human(h_used, sizeof(h_used), used);
    human(h_rss, sizeof(h_rss), rss);
    human(h_peak, sizeof(h_peak), peak);
    human(h_sys, sizeof(h_sys), total_sys);
    human(h_start, sizeof(h_start), mem_startup);
    tprintf(t,
            "# Memory\r\nused_memory:%zu\r\nused_memory_human:%s\r\nused_memory_rss:%zu\r\n"
            "used_memory_rss_human:%s\r\nused_memory_peak:%zu\r\nused_memory_peak_human:%s\r\n"
            "used_memory_peak_perc:%.2f%%\r\nused_memory_overhead:%zu\r\n"
            "used_memory_startup:%zu\r\nused_memory_dataset:%zu\r\n"
            "used_memory_dataset_perc:%.2f%%\r\nused_memory_clients:%zu\r\n"
            "allocator_allocated:%zu\r\ntotal_system_memory:%llu\r\n"
            "total_system_memory_human:%s\r\nmaxmemory:%lld\r\nmaxmemory_human:%s\r\n"
            "maxmemory_policy:%s\r\nmem_fragmentation_ratio:%.2f\r\n"
            "mem_allocator:%s\r\nlazyfree_pending_objects:%llu\r\nlazyfreed_objects:%llu\r\n",
            used, h_used, rss, h_rss, peak, h_peak, peak ? 100.0 * (double)used / (double)peak : 0,
            overhead, mem_startup, dataset,
            used > mem_startup ? 100.0 * (double)dataset / (double)(used - mem_startup) : 0,
            clients, mem_allocated_total(), total_sys, h_sys, CFG(maxmemory), h_max,
            evict_policy_names[evict_policy()], used ? (double)rss / (double)used : 0,
            mem_allocator_name(), (unsigned long long)lazyfree_pending(),
            (unsigned long long)lazyfree_done());
}

static void section_persistence(struct text *t)
{
    struct snapshot_status st;
    snapshot_status(&st);
    struct load_status ld;
    snapshot_load_status(&ld);
    int loading = snapshot_loading();
    int64_t now_ms = clock_wall_ms();
    tprintf(t, "# Persistence\r\nloading:%d\r\nasync_loading:0\r\n", loading);
    if (loading) {
        double perc = ld.total_bytes ? 100.0 * (double)ld.loaded_bytes / (double)ld.total_bytes : 0;
        int64_t elapsed = now_ms / 1000 - ld.start_s;
        long long eta = ld.loaded_bytes && elapsed > 0
                            ? (long long)((double)(ld.total_bytes - ld.loaded_bytes) /
                                          ((double)ld.loaded_bytes / (double)elapsed))
                            : 1;
        tprintf(t,
                "loading_start_time:%lld\r\nloading_total_bytes:%llu\r\n"
                "loading_rdb_used_mem:0\r\nloading_loaded_bytes:%llu\r\n"
                "loading_loaded_perc:%.2f\r\nloading_eta_seconds:%lld\r\n",
                (long long)ld.start_s, (unsigned long long)ld.total_bytes,
                (unsigned long long)ld.loaded_bytes, perc, eta);
    }
    tprintf(t,
            "current_cow_peak:0\r\n"
            "current_cow_size:0\r\ncurrent_cow_size_age:0\r\ncurrent_fork_perc:0.00\r\n"
            "current_save_keys_processed:0\r\ncurrent_save_keys_total:0\r\n"
            "rdb_changes_since_last_save:%llu\r\nrdb_bgsave_in_progress:%d\r\n"
            "rdb_last_save_time:%lld\r\nrdb_last_bgsave_status:%s\r\n"
            "rdb_last_bgsave_time_sec:%lld\r\nrdb_current_bgsave_time_sec:%lld\r\n"
            "rdb_saves:%llu\r\nrdb_last_cow_size:0\r\nrdb_last_load_keys_expired:%llu\r\n"
            "rdb_last_load_keys_loaded:%llu\r\naof_enabled:0\r\naof_rewrite_in_progress:0\r\n"
            "aof_rewrite_scheduled:0\r\naof_last_rewrite_time_sec:-1\r\n"
            "aof_current_rewrite_time_sec:-1\r\naof_last_bgrewrite_status:ok\r\n"
            "aof_rewrites:0\r\naof_last_write_status:ok\r\naof_last_cow_size:0\r\n"
            "module_fork_in_progress:0\r\nmodule_fork_last_cow_size:0\r\n",
            (unsigned long long)st.changes_since_save, st.in_progress, (long long)st.last_save_s,
            st.last_ok ? "ok" : "err", (long long)st.last_duration_s,
            st.in_progress ? (long long)((now_ms - st.current_start_ms) / 1000) : -1LL,
            (unsigned long long)st.saves, (unsigned long long)ld.keys_expired,
            (unsigned long long)ld.keys_loaded);
}

static void section_stats(struct text *t)
{
    struct totals s;
    sum_totals(&s);
    pthread_mutex_lock(&base_lock);
    struct totals b = base;
    double ops = inst.ops_rate, in = inst.in_rate, out = inst.out_rate;
    pthread_mutex_unlock(&base_lock);
    tprintf(t,
            "# Stats\r\ntotal_connections_received:%llu\r\ntotal_commands_processed:%llu\r\n"
            "instantaneous_ops_per_sec:%lld\r\ntotal_net_input_bytes:%llu\r\n"
            "total_net_output_bytes:%llu\r\ninstantaneous_input_kbps:%.2f\r\n"
            "instantaneous_output_kbps:%.2f\r\nrejected_connections:%llu\r\nsync_full:0\r\n"
            "sync_partial_ok:0\r\nsync_partial_err:0\r\nexpired_keys:%llu\r\n"
            "expired_stale_perc:0.00\r\nexpired_time_cap_reached_count:0\r\n"
            "expire_cycle_cpu_milliseconds:0\r\nevicted_keys:%llu\r\nevicted_clients:0\r\n"
            "total_eviction_exceeded_time:0\r\ncurrent_eviction_exceeded_time:0\r\n"
            "keyspace_hits:%llu\r\nkeyspace_misses:%llu\r\npubsub_channels:0\r\n"
            "pubsub_patterns:0\r\nlatest_fork_usec:0\r\ntotal_forks:0\r\n"
            "migrate_cached_sockets:0\r\nslave_expires_tracked_keys:0\r\n"
            "active_defrag_hits:0\r\nactive_defrag_misses:0\r\nactive_defrag_key_hits:0\r\n"
            "active_defrag_key_misses:0\r\ntotal_active_defrag_time:0\r\n"
            "current_active_defrag_time:0\r\ntracking_total_keys:0\r\n"
            "tracking_total_items:0\r\ntracking_total_prefixes:0\r\n"
            "unexpected_error_replies:0\r\ntotal_error_replies:%llu\r\ndump_payload_sanitizations:0\r\n"
            "total_reads_processed:%llu\r\ntotal_writes_processed:%llu\r\n"
            "io_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\n",
            (unsigned long long)(s.conns_received - b.conns_received),
            (unsigned long long)(s.commands - b.commands), (long long)(ops + 0.5),
            (unsigned long long)(s.net_in - b.net_in), (unsigned long long)(s.net_out - b.net_out),
            in, out, (unsigned long long)(s.conns_rejected - b.conns_rejected),
            (unsigned long long)(s.expired - b.expired), (unsigned long long)(s.evicted - b.evicted),
            (unsigned long long)(s.hits - b.hits),
            (unsigned long long)(s.misses - b.misses),
            (unsigned long long)(s.error_replies - b.error_replies),
            (unsigned long long)(s.reads - b.reads), (unsigned long long)(s.writes - b.writes));
}

static void section_replication(struct text *t)
{
    tprintf(t,
            "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n"
            "master_failover_state:no-failover\r\nmaster_replid:%s\r\n"
            "master_replid2:0000000000000000000000000000000000000000\r\n"
            "master_repl_offset:0\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:0\r\n"
            "repl_backlog_size:1048576\r\nrepl_backlog_first_byte_offset:0\r\n"
            "repl_backlog_histlen:0\r\n",
            server_run_id());
}

static void section_cpu(struct text *t)
{
    struct rusage self, children, thread;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    getrusage(RUSAGE_THREAD, &thread);
#define TV(tv) ((double)(tv).tv_sec + (double)(tv).tv_usec / 1000000.0)
    tprintf(t,
            "# CPU\r\nused_cpu_sys:%.6f\r\nused_cpu_user:%.6f\r\nused_cpu_sys_children:%.6f\r\n"
            "used_cpu_user_children:%.6f\r\nused_cpu_sys_main_thread:%.6f\r\n"
            "used_cpu_user_main_thread:%.6f\r\n",
            TV(self.ru_stime), TV(self.ru_utime), TV(children.ru_stime), TV(children.ru_utime),
            TV(thread.ru_stime), TV(thread.ru_utime));
#undef TV
}

static void section_commandstats(struct text *t)
{
    tprintf(t, "# Commandstats\r\n");
    pthread_mutex_lock(&base_lock);
    for (int id = 0; id < command_count(); id++) {
        struct cmd_stat s;
        sum_cmd(id, &s);
        s.calls -= base_cmds[id].calls;
        s.usec -= base_cmds[id].usec;
        s.rejected -= base_cmds[id].rejected;
        s.failed -= base_cmds[id].failed;
        if (!s.calls && !s.rejected && !s.failed)
            continue;
        tprintf(t, "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,failed_calls=%llu\r\n",
                command_by_id(id)->name, (unsigned long long)s.calls, (unsigned long long)s.usec,
                s.calls ? (double)s.usec / (double)s.calls : 0.0, (unsigned long long)s.rejected,
                (unsigned long long)s.failed);
    }
    pthread_mutex_unlock(&base_lock);
}

static void section_errorstats(struct text *t)
{
    struct err_stat errs[MAX_ERR_STATS];
    int n = sum_errors(errs);
    tprintf(t, "# Errorstats\r\n");
    pthread_mutex_lock(&base_lock);
    for (int i = 0; i < n; i++) {
        uint64_t c = errs[i].count;
        for (int j = 0; j < base_nerrs; j++)
            if (!strcmp(base_errs[j].name, errs[i].name))
                c -= base_errs[j].count;
        if (c)
            tprintf(t, "errorstat_%s:count=%llu\r\n", errs[i].name, (unsigned long long)c);
    }
    pthread_mutex_unlock(&base_lock);
}

static void section_keyspace(struct cmd_ctx *c, struct text *t)
{
    tprintf(t, "# Keyspace\r\n");
    int ndb = ks_ndb();
    uint64_t *keys = xcalloc((size_t)ndb, sizeof(uint64_t));
    uint64_t *vols = xcalloc((size_t)ndb, sizeof(uint64_t));
    for (uint32_t i = 0; i < ks_nshards(); i++) {
        struct shard *s = ks_shard(i);
        ctx_lock_shard(c, s);
        for (int d = 0; d < ndb; d++) {
            keys[d] += ht_count(&s->db[d].ht);
            vols[d] += s->db[d].vol.n;
        }
        ctx_unlock_shard(c, s);
    }
    for (int d = 0; d < ndb; d++)
        if (keys[d])
            tprintf(t, "db%d:keys=%llu,expires=%llu,avg_ttl=0\r\n", d,
                    (unsigned long long)keys[d], (unsigned long long)vols[d]);
    free(keys);
    free(vols);
}

enum {
    S_SERVER = 1 << 0, S_CLIENTS = 1 << 1, S_MEMORY = 1 << 2, S_PERSISTENCE = 1 << 3,
    S_STATS = 1 << 4, S_REPLICATION = 1 << 5, S_CPU = 1 << 6, S_MODULES = 1 << 7,
    S_COMMANDSTATS = 1 << 8, S_ERRORSTATS = 1 << 9, S_CLUSTER = 1 << 10, S_KEYSPACE = 1 << 11,
};
#define S_DEFAULT (S_SERVER | S_CLIENTS | S_MEMORY | S_PERSISTENCE | S_STATS | S_REPLICATION | \
                   S_CPU | S_MODULES | S_ERRORSTATS | S_CLUSTER | S_KEYSPACE)

static const struct {
    const char *name;
    int bits;
} section_names[] = {
    {"server", S_SERVER}, {"clients", S_CLIENTS}, {"memory", S_MEMORY},
    {"persistence", S_PERSISTENCE}, {"stats", S_STATS}, {"replication", S_REPLICATION},
    {"cpu", S_CPU}, {"modules", S_MODULES}, {"commandstats", S_COMMANDSTATS},
    {"errorstats", S_ERRORSTATS}, {"cluster", S_CLUSTER}, {"keyspace", S_KEYSPACE},
    {"default", S_DEFAULT}, {"all", S_DEFAULT | S_COMMANDSTATS},
    {"everything", S_DEFAULT | S_COMMANDSTATS},
};

void cmd_info(struct cmd_ctx *c)
{
    int want = c->argc == 1 ? S_DEFAULT : 0;
    for (int i = 1; i < c->argc; i++)
        for (size_t j = 0; j < sizeof(section_names) / sizeof(section_names[0]); j++)
            if (strlen(section_names[j].name) == c->argl[i] &&
                !strncasecmp(section_names[j].name, c->argv[i], c->argl[i]))
                want |= section_names[j].bits;
    struct text t = {xmalloc(4096), 0, 4096};
    t.p[0] = '\0';
#define SEP() do { if (t.len) tprintf(&t, "\r\n"); } while (0)
    if (want & S_SERVER) { SEP(); section_server(&t, c->env.now_ms); }
    if (want & S_CLIENTS) { SEP(); section_clients(&t); }
    if (want & S_MEMORY) { SEP(); section_memory(&t); }
    if (want & S_PERSISTENCE) { SEP(); section_persistence(&t); }
    if (want & S_STATS) { SEP(); section_stats(&t); }
    if (want & S_REPLICATION) { SEP(); section_replication(&t); }
    if (want & S_CPU) { SEP(); section_cpu(&t); }
    if (want & S_MODULES) { SEP(); tprintf(&t, "# Modules\r\n"); }
    if (want & S_COMMANDSTATS) { SEP(); section_commandstats(&t); }
    if (want & S_ERRORSTATS) { SEP(); section_errorstats(&t); }
    if (want & S_CLUSTER) { SEP(); tprintf(&t, "# Cluster\r\ncluster_enabled:0\r\n"); }
    if (want & S_KEYSPACE) { SEP(); section_keyspace(c, &t); }
#undef SEP
    resp_verbatim(c->w, t.p, t.len);
    free(t.p);
}

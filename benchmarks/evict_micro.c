/* evict_micro.c - what one eviction costs, in-process: the keyspace and the
 * eviction loop linked directly, no network, one thread.
 *
 * policy_cost.sh measures a policy through redis-benchmark, where the
 * network stack is most of the server's CPU and a run's noise (~0.13 of a
 * ratio on the shared 2-CPU machine) hides a 10% change in eviction.  This
 * drives the same workload (SETEX of a random key among `keys`, then GET
 * of random keys; 100-byte values; a budget of `pct` % of what all keys
 * would use) through ks_store/ks_lookup and maxmemory_make_room, as
 * dispatch does, and reports per SETEX the time inside make_room (TSC,
 * intervals over 40,000 cycles dropped as preemption) and the thread CPU
 * time of a SETEX and a GET.  Compare builds by alternating runs.
 *
 * Usage: evict_micro POLICY [PCT=25] [OPS=400000] [KEYS=200000]
 * (PCT 0, and always for noeviction: no maxmemory). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eviction/maxmemory.h"
#include "server/core/config.h"
#include "server/keyspace/keyspace.h"

#define VALUE_BYTES 100
#define PREEMPTED_CYCLES 40000

static double thread_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

struct run {
    struct ks_env env;
    uint64_t rng, krng, evicted, tsc_in_evict;
    long keys;
    int db;
};

static void setex(struct run *r, int timed)
{
    static const char val[VALUE_BYTES] = {0};
    char kb[32];
    int l = snprintf(kb, sizeof(kb), "key:%012llu",
                     (unsigned long long)(xorshift(&r->krng) % (uint64_t)r->keys));
    struct key k;
    key_init(&k, kb, (size_t)l);
    r->env.now_ms++;
    uint64_t c0 = __builtin_ia32_rdtsc();
    maxmemory_make_room(&r->env, &r->rng, &r->evicted);
    uint64_t dc = __builtin_ia32_rdtsc() - c0;
    if (timed && dc < PREEMPTED_CYCLES)
        r->tsc_in_evict += dc;
    shard_lock(k.s);
    ks_store(&r->env, r->db, &k,
             entry_new_string(kb, (size_t)l, val, sizeof(val), r->env.now_ms + 100000000));
    shard_unlock(k.s);
}

static int get(struct run *r)
{
    char kb[32], b[24];
    int l = snprintf(kb, sizeof(kb), "key:%012llu",
                     (unsigned long long)(xorshift(&r->krng) % (uint64_t)r->keys));
    struct key k;
    key_init(&k, kb, (size_t)l);
    shard_lock(k.s);
    struct entry *e = ks_lookup(&r->env, r->db, &k, KS_TOUCH);
    size_t vl = 0;
    if (e)
        __asm__ volatile("" : : "r"(entry_str(e, b, &vl)));
    shard_unlock(k.s);
    return e != NULL;
}

/* Bytes per key when all are stored: fill database 15 with no limit,
 * measure, flush it (which gives its memory back to the count). */
static double bytes_per_key(long keys)
{
    struct run r = {{1000000, NULL}, 1, 7, 0, 0, keys, 15};
    size_t before = maxmemory_used();
    for (long i = 0; i < keys; i++)
        setex(&r, 0);
    uint64_t n = 0, vol = 0;
    ks_db_counts(15, &n, &vol);
    double bpk = (double)(maxmemory_used() - before) / (double)n;
    for (uint32_t i = 0; i < ks_nshards(); i++) {
        shard_lock(ks_shard(i));
        ks_flush_db_locked(ks_shard(i), 15);
        shard_unlock(ks_shard(i));
    }
    return bpk;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s POLICY [PCT] [OPS] [KEYS]\n", argv[0]);
        return 2;
    }
    long pct = argc > 2 ? atol(argv[2]) : 25, ops = argc > 3 ? atol(argv[3]) : 400000;
    long keys = argc > 4 ? atol(argv[4]) : 200000;
    if (!strcmp(argv[1], "noeviction"))
        pct = 0; /* the baseline: no limit, as policy_cost.sh's evicting scenario */
    char *noev[] = {"--maxmemory-policy", "noeviction"};
    if (config_load(NULL, 2, noev) != 0)
        return 1;
    maxmemory_init(0);
    keyspace_init(1024, 16);
    char mm[32];
    snprintf(mm, sizeof(mm), "%.0f",
             pct ? (double)maxmemory_used() + bytes_per_key(keys) * (double)keys * pct / 100 : 0);
    char *args[] = {"--maxmemory-policy", argv[1], "--maxmemory", mm};
    if (config_load(NULL, 4, args) != 0)
        return 1;

    uint64_t expired = 0;
    struct run r = {{1000000, &expired}, 88172645463325252ULL, 1234567, 0, 0, keys, 0};
    for (long i = 0; i < keys; i++) /* warm-up: to the limit, evicting */
        setex(&r, 0);
    uint64_t ev0 = r.evicted, tsc0 = __builtin_ia32_rdtsc();
    double w0 = wall_ns(), t0 = thread_ns();
    for (long i = 0; i < ops; i++)
        setex(&r, 1);
    double t1 = thread_ns();
    long hits = 0;
    for (long i = 0; i < ops; i++)
        hits += get(&r);
    double t2 = thread_ns();
    double ns_per_tsc = (wall_ns() - w0) / (double)(__builtin_ia32_rdtsc() - tsc0);
    uint64_t n = 0, vol = 0;
    ks_db_counts(0, &n, &vol);
    printf("%-16s evict %6.1f ns/setex  setex %7.1f ns  get %6.1f ns  evictions/setex %.2f  "
           "hits %.1f%%  keys %llu  maxmemory %s\n",
           argv[1], (double)r.tsc_in_evict * ns_per_tsc / (double)ops, (t1 - t0) / (double)ops,
           (t2 - t1) / (double)ops, (double)(r.evicted - ev0) / (double)ops,
           100.0 * (double)hits / (double)ops, (unsigned long long)n, mm);
    keyspace_deinit();
    return 0;
}

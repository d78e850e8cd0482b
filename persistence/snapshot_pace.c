/* snapshot_pace.c - see snapshot_pace.h. */
#include "persistence/snapshot_pace.h"

#include <stdio.h>
#include <unistd.h>

#include "server/core/clock.h"
#include "server/core/prio.h"
#include "server/net/worker.h"

#define PACE_WINDOW_US 100000
#define PACE_MIN_PCT 10
#define YIELD_FACTOR 1

static void yield_to_requests(int64_t t0)
{
    static uint64_t seen;
    uint64_t n = workers_commands();
    if (n != seen) {
        seen = n;
        usleep((useconds_t)((clock_mono_us() - t0) * YIELD_FACTOR));
    }
}

void pace_init(void)
{
    prio_init();
}

void pace_begin(struct pace *p)
{
    p->win_us = clock_mono_us();
    p->win_cpu = clock_thread_cpu_us();
    p->normal = !prio_idle_usable();
    p->starved = 0;
    p->slept_us = 0;
    prio_idle_enter();
}

void pace_slice(struct pace *p, int64_t t0)
{
    if (prio_idle_usable()) {
        int64_t now = clock_mono_us();
        if (now - p->win_us >= PACE_WINDOW_US) {
            int64_t cpu = clock_thread_cpu_us();
            if (p->normal) {
                p->normal = 0;
                prio_idle_enter();
            } else if ((cpu - p->win_cpu) * 100 <
                       (now - p->win_us - p->slept_us) * PACE_MIN_PCT) {
                p->normal = 1;
                p->starved++;
                prio_idle_leave();
            }
            p->win_us = now;
            p->win_cpu = cpu;
            p->slept_us = 0;
        }
        if (!p->normal)
            return;
    }
    yield_to_requests(t0);
}

void pace_slept(struct pace *p, int64_t us)
{
    p->slept_us += us;
}

void pace_end(struct pace *p)
{
    (void)p;
    prio_idle_leave();
}

void pace_describe(const struct pace *p, char *buf, size_t cap)
{
    if (prio_idle_usable())
        snprintf(buf, cap, "at idle priority (%llu windows at normal priority when starved)",
                 (unsigned long long)p->starved);
    else
        snprintf(buf, cap, "at normal priority (idle priority not permitted)");
}

/* idle_holder is set before the lock is taken and cleared after it is
 * released, so a thread that finds the lock taken while the snapshot
 * thread holds it always sees it (and at worst raises the snapshot thread
 * while another holds the lock: harmless). */
void pace_lock(struct shard *s)
{
    if (prio_idle_now())
        __atomic_store_n(&s->idle_holder, 1, __ATOMIC_RELAXED);
    shard_lock(s);
}

void pace_unlock(struct shard *s)
{
    shard_unlock(s);
    __atomic_store_n(&s->idle_holder, 0, __ATOMIC_RELAXED);
    prio_settle();
}

/* prio.c - see prio.h. */
#include "server/core/prio.h"

#include <pthread.h>
#include <sched.h>

static int usable;
/* The idle thread, while one is registered (idle_set); and whether it means
 * to be at idle priority now (prio_idle_enter / prio_idle_leave). */
static pthread_t idle_thread;
static int idle_set, idle_mode;
/* Set by prio_boost after it raised the idle thread: that thread drops
 * back at its next prio_settle.  Stored after the raise, so a settle that
 * sees it always comes after the raise it answers. */
static int raised;

static int set_policy(pthread_t t, int policy)
{
    struct sched_param sp = {0};
    return pthread_setschedparam(t, policy, &sp);
}

static void *probe_main(void *arg)
{
    int *ok = arg;
    *ok = set_policy(pthread_self(), SCHED_IDLE) == 0 &&
          set_policy(pthread_self(), SCHED_OTHER) == 0;
    return NULL;
}

void prio_init(void)
{
    pthread_t t;
    int ok = 0;
    if (pthread_create(&t, NULL, probe_main, &ok) == 0)
        pthread_join(t, NULL);
    __atomic_store_n(&usable, ok, __ATOMIC_RELAXED);
}

int prio_idle_usable(void)
{
    return __atomic_load_n(&usable, __ATOMIC_RELAXED);
}

void prio_idle_enter(void)
{
    if (!prio_idle_usable())
        return;
    if (!__atomic_load_n(&idle_set, __ATOMIC_ACQUIRE)) {
        idle_thread = pthread_self();
        __atomic_store_n(&idle_set, 1, __ATOMIC_RELEASE);
    }
    __atomic_store_n(&idle_mode, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&raised, 0, __ATOMIC_RELAXED);
    set_policy(pthread_self(), SCHED_IDLE);
}

void prio_idle_leave(void)
{
    if (!prio_idle_usable() || !__atomic_load_n(&idle_mode, __ATOMIC_RELAXED))
        return;
    __atomic_store_n(&idle_mode, 0, __ATOMIC_RELAXED);
    set_policy(pthread_self(), SCHED_OTHER);
}

int prio_idle_now(void)
{
    return __atomic_load_n(&idle_mode, __ATOMIC_RELAXED);
}

void prio_boost(void)
{
    /* idle_thread is written once, before idle_set is published. */
    if (!__atomic_load_n(&idle_set, __ATOMIC_ACQUIRE) ||
        !__atomic_load_n(&idle_mode, __ATOMIC_RELAXED))
        return;
    set_policy(idle_thread, SCHED_OTHER);
    __atomic_store_n(&raised, 1, __ATOMIC_RELEASE);
}

void prio_settle(void)
{
    if (__atomic_load_n(&raised, __ATOMIC_RELAXED) &&
        __atomic_exchange_n(&raised, 0, __ATOMIC_ACQUIRE) &&
        __atomic_load_n(&idle_mode, __ATOMIC_RELAXED))
        set_policy(pthread_self(), SCHED_IDLE);
}

/* test_prio.c - the idle-priority thread and its raise on contention
 * (server/core/prio.h), and shard_lock's side of it (shard.h).
 *
 * Leaving SCHED_IDLE needs CAP_SYS_NICE or RLIMIT_NICE: where the process
 * has neither, the tests check that nothing changes any priority. */
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#define UNIT_NO_MAIN
#include "server/core/prio.h"
#include "server/keyspace/shard.h"
#include "tests/unit/unit.h"

static int policy_of(pthread_t t)
{
    int policy;
    struct sched_param sp;
    if (pthread_getschedparam(t, &policy, &sp) != 0)
        return -1;
    return policy;
}

/* Wait (up to 2 s) until t's policy is `want`; returns the last seen. */
static int wait_policy(pthread_t t, int want)
{
    int p = policy_of(t);
    for (int i = 0; i < 2000 && p != want; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
        p = policy_of(t);
    }
    return p;
}

/* The idle thread: steps driven by `step`, acknowledged in `done`. */
static int step, done;
static struct shard *held;

static void wait_step(int n)
{
    while (__atomic_load_n(&step, __ATOMIC_ACQUIRE) < n)
        sched_yield();
}

static void ack(int n)
{
    __atomic_store_n(&done, n, __ATOMIC_RELEASE);
}

static void wait_done(int n)
{
    while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) < n)
        sched_yield();
}

static void go(int n)
{
    __atomic_store_n(&step, n, __ATOMIC_RELEASE);
}

static void *idle_main(void *arg)
{
    (void)arg;
    prio_idle_enter(); /* 1 */
    ack(1);
    wait_step(2);
    prio_settle(); /* 2: after a raise */
    ack(2);
    wait_step(3); /* 3: hold a shard lock as the snapshot thread does */
    __atomic_store_n(&held->idle_holder, 1, __ATOMIC_RELAXED);
    shard_lock(held);
    ack(3);
    wait_step(4);
    shard_unlock(held);
    __atomic_store_n(&held->idle_holder, 0, __ATOMIC_RELAXED);
    prio_settle();
    ack(4);
    wait_step(5);
    prio_idle_leave(); /* 5 */
    ack(5);
    wait_step(6);
    prio_settle(); /* 6: a raise after leaving changes nothing */
    ack(6);
    wait_step(7);
    return NULL;
}

static void *locker_main(void *arg)
{
    struct shard *s = arg;
    shard_lock(s); /* waits for the idle thread, raising it */
    shard_unlock(s);
    return NULL;
}

TEST(idle_thread_is_raised_while_waited_for)
{
    prio_init();
    step = done = 0;
    held = ks_shard(0);
    pthread_t t;
    if (!CHECK(pthread_create(&t, NULL, idle_main, NULL) == 0))
        return;
    wait_done(1);
    int usable = prio_idle_usable();
    printf("  idle priority %s\n", usable ? "usable" : "not permitted here");
    CHECK_EQ_INT(policy_of(t), usable ? SCHED_IDLE : SCHED_OTHER);
    CHECK_EQ_INT(prio_idle_now(), usable);

    prio_boost(); /* any thread may raise it */
    CHECK_EQ_INT(policy_of(t), SCHED_OTHER);
    go(2);
    wait_done(2);
    CHECK_EQ_INT(policy_of(t), usable ? SCHED_IDLE : SCHED_OTHER);

    go(3); /* it holds shard 0 at idle priority; a locker must raise it */
    wait_done(3);
    CHECK_EQ_INT(policy_of(t), usable ? SCHED_IDLE : SCHED_OTHER);
    pthread_t l;
    if (!CHECK(pthread_create(&l, NULL, locker_main, held) == 0))
        return;
    CHECK_EQ_INT(wait_policy(t, SCHED_OTHER), SCHED_OTHER);
    go(4); /* it lets go and settles back to idle */
    wait_done(4);
    pthread_join(l, NULL);
    CHECK_EQ_INT(policy_of(t), usable ? SCHED_IDLE : SCHED_OTHER);

    go(5);
    wait_done(5);
    CHECK_EQ_INT(policy_of(t), SCHED_OTHER);
    CHECK_EQ_INT(prio_idle_now(), 0);
    prio_boost();
    go(6);
    wait_done(6);
    CHECK_EQ_INT(policy_of(t), SCHED_OTHER); /* left for good: no settle back */
    go(7);
    pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
    if (keyspace_init(4, 1) != 0) {
        fprintf(stderr, "keyspace_init failed\n");
        return 1;
    }
    int rc = unit_run(argc, argv);
    keyspace_deinit();
    return rc;
}

/* test_policy.c - each eviction policy on small deterministic sequences
 * (one file per policy in eviction/), through the same ops table the keyspace uses. */
#include "tests/unit/unit.h"

#include <stdio.h>
#include <string.h>

#include "eviction/policy.h"
#include "server/core/config.h"
#include "server/keyspace/entry.h"
#include "server/keyspace/htable.h"

static struct entry *mk(void)
{
    return entry_new_string("k", 1, "v", 1, -1);
}

static struct entry *mkn(int i, uint64_t *hash)
{
    char k[16];
    int n = snprintf(k, sizeof(k), "key:%d", i);
    *hash = ht_hash(k, (size_t)n);
    return entry_new_string(k, (size_t)n, "v", 1, -1);
}

static void use_policy(const char *name)
{
    char *argv[] = {"--maxmemory-policy", (char *)name};
    CHECK_EQ_INT(config_load(NULL, 2, argv), 0);
}

static uint64_t score(enum evict_policy p, const struct entry *e, int64_t now)
{
    return evict_ops_of(p)->score(e, now);
}

TEST(lru_evicts_least_recently_used)
{
    const struct evict_ops *o = evict_ops_of(EP_ALLKEYS_LRU);
    struct entry *e = mk();
    o->insert(NULL, e, 0, 10000);
    CHECK_EQ_INT(evict_idle_ms(e, 10000), 0);
    CHECK_EQ_INT(evict_idle_ms(e, 11600), 1600); /* 16 ms units */
    o->access(e, 11600);
    CHECK_EQ_INT(evict_idle_ms(e, 11600), 0);
    struct entry *old = mk();
    o->insert(NULL, old, 0, 1000);
    CHECK(score(EP_ALLKEYS_LRU, old, 20000) > score(EP_ALLKEYS_LRU, e, 20000));
    o->access(old, 20000); /* a use makes it the younger one */
    CHECK(score(EP_ALLKEYS_LRU, e, 20000) > score(EP_ALLKEYS_LRU, old, 20000));
    entry_free(e);
    entry_free(old);
}

TEST(fifo_ignores_accesses)
{
    const struct evict_ops *o = evict_ops_of(EP_ALLKEYS_FIFO);
    struct entry *a = mk(), *b = mk();
    o->insert(NULL, a, 0, 1000); /* a first */
    o->insert(NULL, b, 0, 2000);
    for (int i = 0; i < 100; i++)
        o->access(a, 3000 + i); /* reads do not move a key under FIFO */
    CHECK(score(EP_ALLKEYS_FIFO, a, 5000) > score(EP_ALLKEYS_FIFO, b, 5000));
    entry_free(a);
    entry_free(b);
}

TEST(lfu_counter_grows_logarithmically_and_decays)
{
    use_policy("allkeys-lfu");
    const struct evict_ops *o = evict_ops_of(EP_ALLKEYS_LFU);
    struct entry *e = mk();
    int64_t now = 60LL * 60000; /* minute 60 */
    o->insert(NULL, e, 0, now);
    CHECK_EQ_INT(evict_lfu_freq(e, now), LFU_INIT_VAL);
    for (int i = 0; i < 1000; i++)
        o->access(e, now);
    unsigned f = evict_lfu_freq(e, now);
    /* lfu-log-factor 10: 1000 hits land far below 255, well above the start */
    CHECK(f > 10 && f < 40);
    /* lfu-decay-time 1: one point per idle minute */
    CHECK_EQ_INT(evict_lfu_freq(e, now + 3 * 60000), f - 3);
    CHECK_EQ_INT(evict_lfu_freq(e, now + 1000LL * 60000), 0);
    /* a rarely used key is the better victim */
    struct entry *cold = mk();
    o->insert(NULL, cold, 0, now);
    CHECK(score(EP_ALLKEYS_LFU, cold, now) > score(EP_ALLKEYS_LFU, e, now));
    /* ... until the frequent one has decayed below it */
    CHECK(score(EP_ALLKEYS_LFU, e, now + 1000LL * 60000) >=
          score(EP_ALLKEYS_LFU, cold, now + 1000LL * 60000));
    entry_free(e);
    entry_free(cold);
}

TEST(volatile_ttl_prefers_sooner_expiry)
{
    struct entry *soon = entry_new_string("a", 1, "v", 1, 5000);
    struct entry *late = entry_new_string("b", 1, "v", 1, 9000);
    struct entry *never = entry_new_string("c", 1, "v", 1, -1);
    CHECK(score(EP_VOLATILE_TTL, soon, 0) > score(EP_VOLATILE_TTL, late, 0));
    CHECK(score(EP_VOLATILE_TTL, late, 0) > score(EP_VOLATILE_TTL, never, 0));
    entry_free(soon);
    entry_free(late);
    entry_free(never);
}

/* ---- queued policies ---- */

#define N 8
struct fixture {
    struct evict_queue q;
    struct entry *e[N];
    uint64_t h[N];
};

static void fx_init(struct fixture *f, const struct evict_ops *o, int n)
{
    memset(f, 0, sizeof(*f));
    for (int i = 0; i < n; i++) {
        f->e[i] = mkn(i, &f->h[i]);
        o->insert(&f->q, f->e[i], f->h[i], 0);
    }
}

/* Take the victim, check it is e[want], and unlink it as a delete would. */
static int evicts(struct fixture *f, const struct evict_ops *o, int want)
{
    struct entry *v = o->victim(&f->q, NULL);
    int got = -1;
    for (int i = 0; i < N; i++)
        if (f->e[i] && f->e[i] == v)
            got = i;
    if (!CHECK_EQ_INT(got, want))
        return 0;
    o->remove(&f->q, v);
    entry_free(v);
    f->e[got] = NULL;
    return 1;
}

static void fx_deinit(struct fixture *f, const struct evict_ops *o)
{
    for (int i = 0; i < N; i++)
        if (f->e[i]) {
            o->remove(&f->q, f->e[i]);
            entry_free(f->e[i]);
        }
    evq_reset(&f->q);
}

TEST(sieve_hand_skips_visited_and_clears_them)
{
    const struct evict_ops *o = &evict_sieve_ops;
    struct fixture f;
    fx_init(&f, o, 4); /* queue, oldest first: 0 1 2 3 */
    o->access(f.e[1], 0);
    o->access(f.e[3], 0);
    evicts(&f, o, 0); /* the oldest unvisited */
    evicts(&f, o, 2); /* the hand passes 1 (clearing it) */
    /* the hand stands at 3 (visited): it clears 3, wraps to 1 (cleared on
     * the way) and takes it */
    evicts(&f, o, 1);
    evicts(&f, o, 3);
    CHECK(o->victim(&f.q, NULL) == NULL);
    fx_deinit(&f, o);
}

TEST(sieve_new_keys_queue_behind_the_hand)
{
    const struct evict_ops *o = &evict_sieve_ops;
    struct fixture f;
    fx_init(&f, o, 3); /* 0 1 2 */
    for (int i = 0; i < 3; i++)
        o->access(f.e[i], 0);
    f.e[3] = mkn(3, &f.h[3]);
    o->insert(&f.q, f.e[3], f.h[3], 0); /* unvisited, newest */
    evicts(&f, o, 3);                   /* one sweep clears 0..2, then 3 goes */
    evicts(&f, o, 0);                   /* wrapped: 0 lost its bit */
    fx_deinit(&f, o);
}

TEST(queue_survives_growth_holes_and_replacement)
{
    const struct evict_ops *o = &evict_sieve_ops;
    struct evict_queue q = {0};
    enum { M = 1000 };
    static struct entry *es[M];
    uint64_t h;
    for (int i = 0; i < M; i++) {
        es[i] = mkn(i, &h);
        o->insert(&q, es[i], h, 0);
        if (i % 3 == 0) { /* holes everywhere, compaction on growth */
            o->remove(&q, es[i]);
            entry_free(es[i]);
            es[i] = NULL;
        }
    }
    CHECK_EQ_INT(q.ring[0].live, M - (M + 2) / 3);
    /* a reshaped entry takes its predecessor's place */
    struct entry *n = entry_with_expire(es[1], 5);
    n->access = es[1]->access;
    evq_replace(&q, es[1], n);
    entry_free_shell(es[1]);
    es[1] = n;
    /* victims come out oldest first (nothing visited), each exactly once */
    for (int i = 0; i < M; i++) {
        if (!es[i])
            continue;
        struct entry *v = o->victim(&q, NULL);
        if (!CHECK(v == es[i]))
            break;
        o->remove(&q, v);
        entry_free(v);
        es[i] = NULL;
    }
    CHECK(o->victim(&q, NULL) == NULL);
    evq_reset(&q);
}

TEST(s3fifo_filters_one_hit_keys_through_small_queue)
{
    const struct evict_ops *o = &evict_s3fifo_ops;
    struct fixture f;
    fx_init(&f, o, N); /* all start in S */
    o->access(f.e[0], 0);
    o->access(f.e[0], 0);
    /* 0 was hit in S: it moves to M; 1 was not: evicted, remembered in G */
    evicts(&f, o, 1);
    CHECK(f.e[0]->access & EVQ_RING_BIT); /* now in M */
    CHECK_EQ_INT(evq_freq(f.e[0]->access), 0);
    /* 1 comes back: the ghost sends it straight to M */
    f.e[1] = mkn(1, &f.h[1]);
    o->insert(&f.q, f.e[1], f.h[1], 0);
    CHECK(f.e[1]->access & EVQ_RING_BIT);
    /* S still holds 2..7 (6 of 8, over 10%): they go in FIFO order */
    evicts(&f, o, 2);
    evicts(&f, o, 3);
    /* a victim from S was hashed for the ghost: the hash is handed back for
     * the delete (the caller's value is left alone otherwise) */
    uint64_t h = 0;
    CHECK(o->victim(&f.q, &h) == f.e[4]);
    CHECK(h == f.h[4]);
    fx_deinit(&f, o);
}

TEST(s3fifo_main_queue_gives_hit_keys_another_round)
{
    const struct evict_ops *o = &evict_s3fifo_ops;
    struct fixture f;
    fx_init(&f, o, 3);
    for (int i = 0; i < 3; i++)
        o->access(f.e[i], 0);
    /* every S key was hit: all move to M, and M's oldest (0, freq 0) goes */
    evicts(&f, o, 0);
    /* in M: 1 and 2 with freq 0; a hit on 1 buys it one reinsertion */
    o->access(f.e[1], 0);
    evicts(&f, o, 2);
    evicts(&f, o, 1);
    CHECK(o->victim(&f.q, NULL) == NULL);
    fx_deinit(&f, o);
}

TEST(s3fifo_frequency_saturates_at_three)
{
    struct entry *e = mk();
    e->access = 0;
    for (int i = 0; i < 10; i++)
        evict_s3fifo_ops.access(e, 0);
    CHECK_EQ_INT(evq_freq(e->access), 3);
    entry_free(e);
}

TEST(policy_names_kinds_and_generations)
{
    CHECK_EQ_STR(evict_policy_names[EP_NOEVICTION], "noeviction");
    CHECK_EQ_STR(evict_policy_names[EP_VOLATILE_TTL], "volatile-ttl");
    CHECK_EQ_STR(evict_policy_names[EP_ALLKEYS_S3FIFO], "allkeys-s3fifo");
    CHECK_EQ_STR(evict_policy_names[EP_ALLKEYS_SIEVE], "allkeys-sieve");
    CHECK(evict_policy_volatile(EP_VOLATILE_FIFO));
    CHECK(!evict_policy_volatile(EP_ALLKEYS_RANDOM));
    CHECK(!evict_policy_volatile(EP_ALLKEYS_SIEVE));
    CHECK(evict_policy_is_lfu(EP_VOLATILE_LFU));
    CHECK(evict_ops_of(EP_ALLKEYS_SIEVE)->flags & EPF_QUEUE);
    CHECK(evict_ops_of(EP_VOLATILE_RANDOM)->flags & EPF_RANDOM);
    use_policy("volatile-lfu");
    CHECK_EQ_INT(evict_policy(), EP_VOLATILE_LFU);
    uint32_t g = evict_generation();
    use_policy("allkeys-sieve");
    CHECK_EQ_INT(evict_policy(), EP_ALLKEYS_SIEVE);
    CHECK(evict_generation() != g); /* queues built before are stale */
    char *bad[] = {"--maxmemory-policy", "allkeys-nope"};
    CHECK_EQ_INT(config_load(NULL, 2, bad), -1);
}

/* test_policy.c - eviction metadata and victim scores (eviction/policy.c). */
#include "tests/unit/unit.h"

#include <string.h>

#include "eviction/policy.h"
#include "server/core/config.h"
#include "server/keyspace/entry.h"

static struct entry *mk(void)
{
    return entry_new_string("k", 1, "v", 1, -1);
}

static void use_policy(const char *name)
{
    char *argv[] = {"--maxmemory-policy", (char *)name};
    CHECK_EQ_INT(config_load(NULL, 2, argv), 0);
}

TEST(lru_clock_and_idle)
{
    use_policy("allkeys-lru");
    struct entry *e = mk();
    evict_on_insert(e, 10000);
    CHECK_EQ_INT(evict_idle_ms(e, 10000), 0);
    CHECK_EQ_INT(evict_idle_ms(e, 11600), 1600); /* 16 ms units */
    evict_on_access(e, 11600);
    CHECK_EQ_INT(evict_idle_ms(e, 11600), 0);
    /* the older key is the better victim */
    struct entry *old = mk();
    evict_on_insert(old, 1000);
    CHECK(evict_score(old, EP_ALLKEYS_LRU, 20000) > evict_score(e, EP_ALLKEYS_LRU, 20000));
    entry_free(e);
    entry_free(old);
}

TEST(fifo_ignores_accesses)
{
    use_policy("allkeys-fifo");
    struct entry *a = mk(), *b = mk();
    evict_on_insert(a, 1000); /* a first */
    evict_on_insert(b, 2000);
    for (int i = 0; i < 100; i++)
        evict_on_access(a, 3000 + i); /* reads do not move a key under FIFO */
    CHECK(evict_score(a, EP_ALLKEYS_FIFO, 5000) > evict_score(b, EP_ALLKEYS_FIFO, 5000));
    entry_free(a);
    entry_free(b);
}

TEST(lfu_counter_grows_logarithmically_and_decays)
{
    use_policy("allkeys-lfu");
    struct entry *e = mk();
    int64_t now = 60LL * 60000; /* minute 60 */
    evict_on_insert(e, now);
    CHECK_EQ_INT(evict_lfu_freq(e, now), LFU_INIT_VAL);
    for (int i = 0; i < 1000; i++)
        evict_on_access(e, now);
    unsigned f = evict_lfu_freq(e, now);
    /* lfu-log-factor 10: 1000 hits land far below 255, well above the start */
    CHECK(f > 10 && f < 40);
    /* lfu-decay-time 1: one point per idle minute */
    CHECK_EQ_INT(evict_lfu_freq(e, now + 3 * 60000), f - 3);
    CHECK_EQ_INT(evict_lfu_freq(e, now + 1000LL * 60000), 0);
    /* a rarely used key is the better victim */
    struct entry *cold = mk();
    evict_on_insert(cold, now);
    CHECK(evict_score(cold, EP_ALLKEYS_LFU, now) > evict_score(e, EP_ALLKEYS_LFU, now));
    entry_free(e);
    entry_free(cold);
}

TEST(volatile_ttl_prefers_sooner_expiry)
{
    struct entry *soon = entry_new_string("a", 1, "v", 1, 5000);
    struct entry *late = entry_new_string("b", 1, "v", 1, 9000);
    struct entry *never = entry_new_string("c", 1, "v", 1, -1);
    CHECK(evict_score(soon, EP_VOLATILE_TTL, 0) > evict_score(late, EP_VOLATILE_TTL, 0));
    CHECK(evict_score(late, EP_VOLATILE_TTL, 0) > evict_score(never, EP_VOLATILE_TTL, 0));
    entry_free(soon);
    entry_free(late);
    entry_free(never);
}

TEST(policy_names_and_kinds)
{
    CHECK_EQ_STR(evict_policy_names[EP_NOEVICTION], "noeviction");
    CHECK_EQ_STR(evict_policy_names[EP_VOLATILE_TTL], "volatile-ttl");
    CHECK(evict_policy_volatile(EP_VOLATILE_FIFO));
    CHECK(!evict_policy_volatile(EP_ALLKEYS_RANDOM));
    CHECK(evict_policy_is_lfu(EP_VOLATILE_LFU));
    use_policy("volatile-lfu");
    CHECK_EQ_INT(evict_policy(), EP_VOLATILE_LFU);
    char *bad[] = {"--maxmemory-policy", "allkeys-sieve"}; /* not (yet) a policy */
    CHECK_EQ_INT(config_load(NULL, 2, bad), -1);
}

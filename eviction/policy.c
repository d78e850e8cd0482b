/* policy.c - access metadata updates and victim scores; see policy.h. */
#include "eviction/policy.h"

#include "server/core/config.h"
#include "server/core/rng.h"

const char *const evict_policy_names[] = {
    "noeviction",     "allkeys-lru",    "allkeys-lfu",     "allkeys-random",  "allkeys-fifo",
    "volatile-lru",   "volatile-lfu",   "volatile-random", "volatile-fifo",   "volatile-ttl",
    NULL,
};

enum evict_policy evict_policy(void)
{
    return (enum evict_policy)CFG(maxmemory_policy);
}

int evict_policy_is_lfu(enum evict_policy p)
{
    return p == EP_ALLKEYS_LFU || p == EP_VOLATILE_LFU;
}

int evict_policy_volatile(enum evict_policy p)
{
    return p >= EP_VOLATILE_LRU;
}

static int is_fifo(enum evict_policy p)
{
    return p == EP_ALLKEYS_FIFO || p == EP_VOLATILE_FIFO;
}

/* ---- LFU, as Redis's evict.c defines it ---- */

static uint32_t lfu_minutes(int64_t now_ms)
{
    return (uint32_t)((now_ms / 60000) & 0xffff);
}

static unsigned lfu_decay(uint32_t access, int64_t now_ms)
{
    uint32_t ldt = (access >> 8) & 0xffff, now = lfu_minutes(now_ms);
    unsigned counter = access & 0xff;
    uint32_t elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
    long long decay_time = CFG(lfu_decay_time);
    unsigned periods = decay_time ? (unsigned)(elapsed / (uint32_t)decay_time) : 0;
    return periods > counter ? 0 : counter - periods;
}

/* Increment with probability 1 / ((counter - LFU_INIT_VAL) * factor + 1). */
static unsigned lfu_incr(unsigned counter)
{
    if (counter == 255)
        return 255;
    static __thread uint64_t rng;
    double r = (double)(rng_next(&rng) >> 11) / 9007199254740992.0;
    double base = counter > LFU_INIT_VAL ? counter - LFU_INIT_VAL : 0;
    double p = 1.0 / (base * (double)CFG(lfu_log_factor) + 1);
    return r < p ? counter + 1 : counter;
}

void evict_on_insert(struct entry *e, int64_t now_ms)
{
    if (evict_policy_is_lfu(evict_policy()))
        e->access = (lfu_minutes(now_ms) << 8) | LFU_INIT_VAL;
    else
        e->access = evict_clock(now_ms);
}

void evict_on_access(struct entry *e, int64_t now_ms)
{
    enum evict_policy p = evict_policy();
    if (evict_policy_is_lfu(p)) {
        unsigned c = lfu_incr(lfu_decay(e->access, now_ms));
        e->access = (lfu_minutes(now_ms) << 8) | c;
    } else if (!is_fifo(p)) {
        e->access = evict_clock(now_ms);
    }
}

uint64_t evict_idle_ms(const struct entry *e, int64_t now_ms)
{
    uint32_t now = evict_clock(now_ms);
    return (uint64_t)(uint32_t)(now - e->access) << EVICT_CLOCK_SHIFT; /* wraps mod 2^32 */
}

unsigned evict_lfu_freq(const struct entry *e, int64_t now_ms)
{
    return lfu_decay(e->access, now_ms);
}

uint64_t evict_score(const struct entry *e, enum evict_policy p, int64_t now_ms)
{
    switch (p) {
    case EP_ALLKEYS_LFU:
    case EP_VOLATILE_LFU:
        return 255 - lfu_decay(e->access, now_ms);
    case EP_VOLATILE_TTL: {
        int64_t exp = entry_expire(e); /* sooner expiry evicts first */
        return exp < 0 ? 0 : UINT64_MAX - (uint64_t)exp;
    }
    default: /* LRU and FIFO: the longest since access / insertion */
        return evict_idle_ms(e, now_ms);
    }
}

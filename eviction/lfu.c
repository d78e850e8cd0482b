/* lfu.c - allkeys-lfu / volatile-lfu, with Redis's counter layout in
 * entry->access: bits 8..23 the last decrement time in minutes, bits 0..7
 * a logarithmic access counter.  A hit increments it with probability
 * 1 / ((counter - LFU_INIT_VAL) * lfu-log-factor + 1), so 255 means about
 * a million hits at the default factor; every lfu-decay-time idle minutes
 * take one point off, so yesterday's hot key can be evicted today.  New
 * keys start at LFU_INIT_VAL, so they are not evicted before a second
 * access had a chance to count. */
#include "eviction/policy.h"

#include "server/core/config.h"
#include "server/core/rng.h"

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

static void lfu_insert(struct evict_queue *q, struct entry *e, uint64_t hash, int64_t now_ms)
{
    (void)q;
    (void)hash;
    e->access = (lfu_minutes(now_ms) << 8) | LFU_INIT_VAL;
}

static void lfu_access(struct entry *e, int64_t now_ms)
{
    unsigned c = lfu_incr(lfu_decay(e->access, now_ms));
    e->access = (lfu_minutes(now_ms) << 8) | c;
}

unsigned evict_lfu_freq(const struct entry *e, int64_t now_ms)
{
    return lfu_decay(e->access, now_ms);
}

static uint64_t lfu_score(const struct entry *e, int64_t now_ms)
{
    return 255 - lfu_decay(e->access, now_ms);
}

const struct evict_ops evict_lfu_ops = {0, lfu_insert, lfu_access, lfu_score, NULL, NULL, NULL};

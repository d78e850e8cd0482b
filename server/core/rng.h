/* rng.h - a small per-thread PRNG (xorshift64*) for sampling: RANDOMKEY,
 * random buckets.  Not for anything secret. */
#ifndef CACHET_RNG_H
#define CACHET_RNG_H

#include <stdint.h>

static inline uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ULL;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

#endif

/* zindex.c - see zindex.h.
 *
 * Linear probing keeps every member reachable from its home slot (hash &
 * mask) without crossing an empty slot; deletion restores that by shifting
 * later members of the run back (no tombstones, so a table that churns
 * does not fill with them).
 *
 * Incremental resize.  While t[1] exists, t[0] is drained one run (a
 * maximal stretch of occupied slots) at a time, starting just after an
 * empty slot and going round the table once.  Moving whole runs keeps the
 * invariant above for what is left in t[0]: a run never has its head moved
 * away while its tail stays.  New members go to t[1]; lookups and deletes
 * try both.  Each insert or delete moves at least REHASH_SLOTS slots'
 * worth, so t[0] is empty long before t[1] could fill (t[1] starts at
 * load <= 0.5 and needs at least size/2 more inserts to reach 0.8).
 */
#include "server/types/zindex.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "server/core/mem.h"

#define ZIDX_MIN_SIZE 8
#define TAG_SHIFT 48
#define PTR_MASK (((uintptr_t)1 << TAG_SHIFT) - 1)
/* Slots visited per write while resizing (then to the end of the run). */
#define REHASH_SLOTS 32

static inline uint64_t hash_member(const char *m, size_t len)
{
    return XXH3_64bits(m, len);
}

static inline struct zsl_node *slot_node(uintptr_t s)
{
    return (struct zsl_node *)(s & PTR_MASK);
}

static inline uint64_t node_hash(const struct zsl_node *n)
{
    size_t l;
    const char *m = zsl_member(n, &l);
    return hash_member(m, l);
}

static uintptr_t *table_new(struct zindex *x, uint64_t size)
{
    uintptr_t *t = xcalloc(size, sizeof(*t));
    x->mem += mem_usable(t);
    return t;
}

static void table_free(struct zindex *x, uintptr_t *t)
{
    x->mem -= mem_usable(t);
    free(t);
}

void zidx_init(struct zindex *x)
{
    memset(x, 0, sizeof(*x));
}

void zidx_deinit(struct zindex *x)
{
    for (int i = 0; i < 2; i++)
        if (x->t[i])
            table_free(x, x->t[i]);
    memset(x, 0, sizeof(*x));
}

uint64_t zidx_count(const struct zindex *x)
{
    return x->used[0] + x->used[1];
}

static uint64_t size_for(uint64_t n)
{
    uint64_t s = ZIDX_MIN_SIZE;
    while (n * 2 > s) /* load <= 0.5 after a resize */
        s <<= 1;
    return s;
}

void zidx_reserve(struct zindex *x, uint64_t n)
{
    if (x->t[0] || x->t[1])
        return;
    x->size[0] = size_for(n);
    x->t[0] = table_new(x, x->size[0]);
}

static void place(uintptr_t *t, uint64_t mask, uintptr_t s, uint64_t h)
{
    uint64_t j = h & mask;
    while (t[j])
        j = (j + 1) & mask;
    t[j] = s;
}

/* Slot index of member m in table i, or -1. */
static int64_t probe(const struct zindex *x, int i, const char *m, size_t mlen, uint64_t h)
{
    if (!x->used[i])
        return -1;
    uint64_t mask = x->size[i] - 1;
    uintptr_t tag = (uintptr_t)(h >> TAG_SHIFT);
    for (uint64_t j = h & mask;; j = (j + 1) & mask) {
        uintptr_t s = x->t[i][j];
        if (!s)
            return -1;
        if ((s >> TAG_SHIFT) != tag)
            continue;
        size_t nl;
        const char *nm = zsl_member(slot_node(s), &nl);
        if (nl == mlen && (mlen == 0 || memcmp(nm, m, mlen) == 0))
            return (int64_t)j;
    }
}

struct zsl_node *zidx_find(const struct zindex *x, const char *m, size_t mlen)
{
    uint64_t h = hash_member(m, mlen);
    for (int i = 0; i < 2; i++) {
        int64_t j = probe(x, i, m, mlen, h);
        if (j >= 0)
            return slot_node(x->t[i][j]);
    }
    return NULL;
}

static void finish_resize(struct zindex *x)
{
    table_free(x, x->t[0]);
    x->t[0] = x->t[1];
    x->size[0] = x->size[1];
    x->used[0] = x->used[1];
    x->t[1] = NULL;
    x->size[1] = x->used[1] = 0;
    x->rh_left = 0;
}

/* Move runs of t[0] to t[1]: at least `budget` slots, then on to the end
 * of the current run. */
static void rehash_step(struct zindex *x, uint64_t budget)
{
    uint64_t mask0 = x->size[0] - 1, mask1 = x->size[1] - 1, visited = 0;
    while (x->used[0] && x->rh_left) {
        uintptr_t s = x->t[0][x->rh_pos];
        if (s) {
            place(x->t[1], mask1, s, node_hash(slot_node(s)));
            x->t[0][x->rh_pos] = 0;
            x->used[0]--;
            x->used[1]++;
        }
        x->rh_pos = (x->rh_pos + 1) & mask0;
        x->rh_left--;
        if (!s && ++visited >= budget)
            return;
    }
    finish_resize(x);
}

static void start_resize(struct zindex *x, uint64_t size)
{
    uintptr_t *t = table_new(x, size);
    if (!x->used[0]) {
        if (x->t[0])
            table_free(x, x->t[0]);
        x->t[0] = t;
        x->size[0] = size;
        return;
    }
    x->t[1] = t;
    x->size[1] = size;
    x->used[1] = 0;
    /* Start just after an empty slot (there is one: load < 1), so the
     * first run is moved whole. */
    uint64_t p = 0;
    while (x->t[0][p])
        p++;
    x->rh_pos = p;
    x->rh_left = x->size[0];
}

void zidx_add(struct zindex *x, struct zsl_node *n)
{
    if (!x->t[0])
        zidx_reserve(x, 1);
    if (x->t[1]) {
        rehash_step(x, REHASH_SLOTS);
        if (x->t[1] && (x->used[1] + 1) * 5 > x->size[1] * 4)
            rehash_step(x, UINT64_MAX); /* cannot happen with the bounds above */
    }
    if (!x->t[1] && (x->used[0] + 1) * 5 > x->size[0] * 4)
        start_resize(x, x->size[0] * 2);
    uint64_t h = node_hash(n);
    int i = x->t[1] ? 1 : 0;
    place(x->t[i], x->size[i] - 1, (uintptr_t)n | ((uintptr_t)(h >> TAG_SHIFT) << TAG_SHIFT), h);
    x->used[i]++;
}

/* Empty slot j of table i and shift the rest of its run back where that
 * brings members closer to home. */
static void delete_at(struct zindex *x, int i, uint64_t j)
{
    uintptr_t *t = x->t[i];
    uint64_t mask = x->size[i] - 1, hole = j;
    t[hole] = 0;
    for (uint64_t k = (hole + 1) & mask; t[k]; k = (k + 1) & mask) {
        uint64_t home = node_hash(slot_node(t[k])) & mask;
        /* t[k] may fill the hole unless its home lies in (hole, k]. */
        int stays = hole <= k ? (home > hole && home <= k) : (home > hole || home <= k);
        if (!stays) {
            t[hole] = t[k];
            t[k] = 0;
            hole = k;
        }
    }
    x->used[i]--;
}

struct zsl_node *zidx_remove(struct zindex *x, const char *m, size_t mlen)
{
    if (x->t[1])
        rehash_step(x, REHASH_SLOTS);
    uint64_t h = hash_member(m, mlen);
    for (int i = 0; i < 2; i++) {
        int64_t j = probe(x, i, m, mlen, h);
        if (j < 0)
            continue;
        struct zsl_node *n = slot_node(x->t[i][j]);
        delete_at(x, i, (uint64_t)j);
        if (!x->t[1] && x->size[0] > ZIDX_MIN_SIZE && x->used[0] * 10 < x->size[0])
            start_resize(x, size_for(x->used[0]));
        return n;
    }
    return NULL;
}

/* ---- scan ---- */

static uint64_t rev(uint64_t v)
{
    uint64_t r = 0;
    for (int i = 0; i < 64; i++) {
        r = (r << 1) | (v & 1);
        v >>= 1;
    }
    return r;
}

/* Members of table i whose home is b: they sit in the run that starts at
 * b (a member is never separated from its home by an empty slot). */
static void emit_home(const struct zindex *x, int i, uint64_t b,
                      void (*fn)(struct zsl_node *, void *), void *arg)
{
    uint64_t mask = x->size[i] - 1;
    if (!x->used[i])
        return;
    for (uint64_t k = b; x->t[i][k]; k = (k + 1) & mask) {
        struct zsl_node *n = slot_node(x->t[i][k]);
        if ((node_hash(n) & mask) == b)
            fn(n, arg);
    }
}

uint64_t zidx_scan(const struct zindex *x, uint64_t v, void (*fn)(struct zsl_node *, void *),
                   void *arg)
{
    if (!zidx_count(x))
        return 0;
    if (!x->t[1]) {
        uint64_t m0 = x->size[0] - 1;
        emit_home(x, 0, v & m0, fn, arg);
        v |= ~m0;
        return rev(rev(v) + 1);
    }
    int small = x->size[0] <= x->size[1] ? 0 : 1, large = 1 - small;
    uint64_t m0 = x->size[small] - 1, m1 = x->size[large] - 1;
    emit_home(x, small, v & m0, fn, arg);
    do { /* every bucket of the larger table that expands the small one's */
        emit_home(x, large, v & m1, fn, arg);
        v |= ~m1;
        v = rev(rev(v) + 1);
    } while (v & (m0 ^ m1));
    return v;
}

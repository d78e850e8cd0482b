/* htable.c - see htable.h. */
#include "server/keyspace/htable.h"

#include <stdlib.h>
#include <xxhash.h>

#include "server/core/mem.h"
#include "server/core/rng.h"


/* INFO reads the counter without the shard lock (shard.h rule 5). */
static void mem_add(struct htable *h, long long d)
{
    __atomic_store_n(h->memctr, *h->memctr + (size_t)d, __ATOMIC_RELAXED);
    mem_account(d);
}
/* Each operation moves one bucket; an empty run is cut at 10x that so a
 * sparse table cannot make one request walk thousands of empty slots. */
#define EMPTY_VISITS_PER_BUCKET 10

uint64_t ht_hash(const char *key, size_t klen)
{
    return XXH3_64bits(key, klen);
}

void ht_init(struct htable *h, size_t *memctr)
{
    h->t[0] = h->t[1] = NULL;
    h->size[0] = h->size[1] = 0;
    h->used[0] = h->used[1] = 0;
    h->rehash_idx = -1;
    h->memctr = memctr;
}

static void table_free(struct htable *h, int i)
{
    if (h->t[i]) {
        mem_add(h, -(long long)mem_usable(h->t[i]));
        free(h->t[i]);
    }
    h->t[i] = NULL;
    h->size[i] = 0;
    h->used[i] = 0;
}

void ht_deinit(struct htable *h, void (*free_fn)(struct entry *, void *), void *arg)
{
    for (int i = 0; i < 2; i++) {
        for (uint64_t b = 0; b < h->size[i]; b++) {
            struct entry *e = h->t[i][b];
            while (e) {
                struct entry *next = e->next;
                if (free_fn)
                    free_fn(e, arg);
                e = next;
            }
        }
        table_free(h, i);
    }
    h->rehash_idx = -1;
}

static int rehashing(const struct htable *h)
{
    return h->rehash_idx >= 0;
}

static void start_resize(struct htable *h, uint64_t want)
{
    uint64_t size = HT_MIN_SIZE;
    while (size < want)
        size <<= 1;
    if (size == h->size[0])
        return;
    struct entry **t = xcalloc(size, sizeof(*t));
    mem_add(h, (long long)mem_usable(t));
    if (!h->t[0]) { /* first allocation: nothing to move */
        h->t[0] = t;
        h->size[0] = size;
        return;
    }
    h->t[1] = t;
    h->size[1] = size;
    h->used[1] = 0;
    h->rehash_idx = 0;
}

void ht_reserve(struct htable *h, uint64_t n)
{
    /* The same fill ht_insert leaves right after it grows: half full. */
    if (!rehashing(h) && n * 2 > h->size[0])
        start_resize(h, n * 2);
}

int ht_rehash_step(struct htable *h, int buckets)
{
    if (!rehashing(h))
        return 0;
    int empty = buckets * EMPTY_VISITS_PER_BUCKET;
    uint64_t mask1 = h->size[1] - 1;
    while (buckets-- && h->used[0]) {
        while (!h->t[0][h->rehash_idx]) {
            h->rehash_idx++;
            if (--empty == 0)
                return 1;
        }
        struct entry *e = h->t[0][h->rehash_idx];
        while (e) {
            struct entry *next = e->next;
            size_t klen;
            const char *k = entry_key(e, &klen);
            uint64_t b = ht_hash(k, klen) & mask1;
            e->next = h->t[1][b];
            h->t[1][b] = e;
            h->used[0]--;
            h->used[1]++;
            e = next;
        }
        h->t[0][h->rehash_idx] = NULL;
        h->rehash_idx++;
    }
    if (h->used[0] == 0) {
        mem_add(h, -(long long)mem_usable(h->t[0]));
        free(h->t[0]);
        h->t[0] = h->t[1];
        h->size[0] = h->size[1];
        h->used[0] = h->used[1];
        h->t[1] = NULL;
        h->size[1] = h->used[1] = 0;
        h->rehash_idx = -1;
        return 0;
    }
    return 1;
}

int ht_find(struct htable *h, const char *key, size_t klen, uint64_t hash, struct ht_pos *pos)
{
    for (int i = 0; i < 2; i++) {
        if (!h->size[i])
            continue;
        struct entry **link = &h->t[i][hash & (h->size[i] - 1)];
        while (*link) {
            size_t el;
            const char *ek = entry_key(*link, &el);
            if (el == klen && memcmp(ek, key, klen) == 0) {
                pos->link = link;
                pos->table = i;
                return 1;
            }
            link = &(*link)->next;
        }
        if (!rehashing(h))
            break;
    }
    return 0;
}

int ht_find_entry(struct htable *h, const struct entry *e, uint64_t hash, struct ht_pos *pos)
{
    for (int i = 0; i < 2; i++) {
        if (!h->size[i])
            continue;
        struct entry **link = &h->t[i][hash & (h->size[i] - 1)];
        while (*link && *link != e)
            link = &(*link)->next;
        if (*link) {
            pos->link = link;
            pos->table = i;
            return 1;
        }
        if (!rehashing(h))
            break;
    }
    return 0;
}

void ht_insert(struct htable *h, struct entry *e, uint64_t hash)
{
    if (rehashing(h))
        ht_rehash_step(h, 1);
    else if (ht_count(h) + 1 > h->size[0]) /* full: double it, half full after */
        start_resize(h, ht_count(h) + 1);
    int i = rehashing(h) ? 1 : 0;
    struct entry **b = &h->t[i][hash & (h->size[i] - 1)];
    e->next = *b;
    *b = e;
    h->used[i]++;
}

struct entry *ht_remove(struct htable *h, struct ht_pos *pos)
{
    struct entry *e = *pos->link;
    *pos->link = e->next;
    e->next = NULL;
    h->used[pos->table]--;
    return e;
}

struct entry *ht_replace(struct htable *h, struct ht_pos *pos, struct entry *n)
{
    (void)h;
    struct entry *old = *pos->link;
    n->next = old->next;
    *pos->link = n;
    old->next = NULL;
    return old;
}

void ht_maybe_shrink(struct htable *h)
{
    if (rehashing(h) || h->size[0] <= HT_MIN_SIZE)
        return;
    /* Below 1/8 full: halve the memory, as Redis does under 10% fill. */
    if (h->used[0] * 8 < h->size[0])
        start_resize(h, h->used[0] > HT_MIN_SIZE ? h->used[0] : HT_MIN_SIZE);
}

void ht_foreach(struct htable *h, void (*fn)(struct entry *, void *), void *arg)
{
    for (int i = 0; i < 2; i++)
        for (uint64_t b = 0; b < h->size[i]; b++)
            for (struct entry *e = h->t[i][b]; e; e = e->next)
                fn(e, arg);
}

static uint64_t rev(uint64_t v)
{
    v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
    v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
    v = ((v >> 4) & 0x0f0f0f0f0f0f0f0full) | ((v & 0x0f0f0f0f0f0f0f0full) << 4);
    return __builtin_bswap64(v);
}

/* The bucket after v in the cursor's reverse-binary order (0: done). */
static inline uint64_t scan_next(uint64_t v, uint64_t mask)
{
    v |= ~mask;
    v = rev(v);
    v++;
    return rev(v);
}

static void emit_bucket(struct entry *e, void (*fn)(struct entry *, void *), void *arg)
{
    while (e) {
        struct entry *next = e->next;
        fn(e, arg);
        e = next;
    }
}

uint64_t ht_scan(struct htable *h, uint64_t v, void (*fn)(struct entry *, void *), void *arg)
{
    if (ht_count(h) == 0 || !h->size[0])
        return 0;
    if (!rehashing(h)) {
        uint64_t m0 = h->size[0] - 1;
        emit_bucket(h->t[0][v & m0], fn, arg);
        return scan_next(v, m0);
    }
    int small = h->size[0] <= h->size[1] ? 0 : 1, large = 1 - small;
    uint64_t m0 = h->size[small] - 1, m1 = h->size[large] - 1;
    emit_bucket(h->t[small][v & m0], fn, arg);
    /* every bucket of the larger table that expands the small one's bucket */
    do {
        emit_bucket(h->t[large][v & m1], fn, arg);
        v = scan_next(v, m1);
    } while (v & (m0 ^ m1));
    return v;
}

#define SCAN_AHEAD 16 /* steps between fetching a chain's head and emitting it */

uint64_t ht_scan_n(struct htable *h, uint64_t v, unsigned n,
                   void (*fn)(struct entry *, void *), void *arg)
{
    if (!n)
        return v;
    if (rehashing(h)) {
        do
            v = ht_scan(h, v, fn, arg);
        while (--n && v);
        return v;
    }
    if (ht_count(h) == 0 || !h->size[0])
        return 0;
    uint64_t m0 = h->size[0] - 1;
    struct entry **t = h->t[0];
    /* A software pipeline: the bucket of step i + 2 * SCAN_AHEAD is
     * fetched, the chain head of step i + SCAN_AHEAD is read (its bucket
     * has arrived by then) and fetched, and step i is emitted.  The
     * cursor's order jumps across the whole array, so every bucket and
     * every head is a cache miss; this way about 16 are in flight at once
     * instead of one after another. */
    uint64_t cur[4 * SCAN_AHEAD];
    struct entry *head[4 * SCAN_AHEAD];
    const unsigned ring = 4 * SCAN_AHEAD - 1;
    unsigned gen = 0, read = 0, done = 0;
    int more = 1; /* v is a step still to take (0 starts a scan, then ends it) */
    while (done < n) {
        for (; more && gen < n && gen < done + 2 * SCAN_AHEAD; gen++) {
            cur[gen & ring] = v;
            __builtin_prefetch(&t[v & m0]);
            v = scan_next(v, m0);
            more = v != 0;
        }
        for (; read < gen && read < done + SCAN_AHEAD; read++) {
            struct entry *e = t[cur[read & ring] & m0];
            head[read & ring] = e;
            if (e) {
                __builtin_prefetch(e);
                __builtin_prefetch((const char *)e + 64); /* key and value run on */
            }
        }
        if (done == gen)
            break;
        emit_bucket(head[done & ring], fn, arg);
        done++;
    }
    return v;
}

/* The head of a random non-empty chain (retrying empty buckets), or NULL. */
static struct entry *random_head(const struct htable *h, uint64_t *rng)
{
    struct entry *e = NULL;
    for (int tries = 0; !e && tries < 64; tries++) {
        int i = (rehashing(h) && (rng_next(rng) & 1)) ? 1 : 0;
        if (!h->size[i] || !h->used[i])
            i = 1 - i;
        e = h->t[i][rng_next(rng) & (h->size[i] - 1)];
    }
    for (int i = 0; !e && i < 2; i++) /* sparse table: walk from a random spot */
        for (uint64_t b = 0, s = h->size[i] ? rng_next(rng) : 0; !e && b < h->size[i]; b++)
            e = h->t[i][(s + b) & (h->size[i] - 1)];
    return e;
}

struct entry *ht_chain_pick(struct entry *head, uint64_t *rng)
{
    if (!head || !head->next)
        return head;
    unsigned len = 0;
    for (struct entry *x = head; x; x = x->next)
        len++;
    unsigned pick = (unsigned)(rng_next(rng) % len);
    while (pick--)
        head = head->next;
    return head;
}

struct entry *ht_random(struct htable *h, uint64_t *rng)
{
    if (ht_count(h) == 0)
        return NULL;
    return ht_chain_pick(random_head(h, rng), rng);
}

int ht_sample_start(const struct htable *h, uint64_t *rng, struct ht_sample *sm)
{
    if (ht_count(h) == 0)
        return 0;
    sm->tables = 0;
    for (int k = 0; k < HT_SAMPLE_PROBES; k++) { /* as random_head draws */
        int i = (rehashing(h) && (rng_next(rng) & 1)) ? 1 : 0;
        if (!h->size[i] || !h->used[i])
            i = 1 - i;
        sm->tables |= (unsigned)i << k;
        sm->bucket[k] = rng_next(rng) & (h->size[i] - 1);
    }
    return 1;
}

struct entry *ht_sample_head(const struct htable *h, const struct ht_sample *sm, uint64_t *rng)
{
    for (int k = 0; k < HT_SAMPLE_PROBES; k++) {
        struct entry *e = h->t[(sm->tables >> k) & 1][sm->bucket[k]];
        if (e)
            return e;
    }
    return random_head(h, rng);
}

/* strset.c - see strset.h: layout, costs, incremental resizing and the
 * scan cursor are described there. */
#include "server/types/strset.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "server/core/mem.h"
#include "server/core/rng.h"
#include "server/keyspace/entry.h" /* varint_* */

#define MIN_BITS 3 /* 8 slots */
#define PTR_BITS 48
#define PTR_MASK ((1ULL << PTR_BITS) - 1)
/* Work per add/remove while resizing.  A grow starts at 3/4 load into a
 * table twice the size, which has room for 3/4 of the old size in new
 * members before it fills to 3/4 itself; draining the old table at 16
 * members or 128 slots per operation (a microsecond or two) finishes
 * within 1/16 of that, so the old table's memory is held briefly.  A shrink
 * leaves the new table at most half full; if adds outrun the drain anyway,
 * the rest of the drain is done at once (ensure_room). */
#define REHASH_MOVES 16
#define REHASH_VISITS 128

/* Members are attacker-chosen; a per-process random seed keeps them from
 * aiming at one cluster. */
static uint64_t seed;
static pthread_once_t seed_once = PTHREAD_ONCE_INIT;

static void seed_init(void)
{
    if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
        seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
}

static uint64_t hash(const char *p, size_t len)
{
    return XXH3_64bits_withSeed(p, len, seed);
}

static uint64_t tsize(const struct strset *s, int i)
{
    return s->t[i] ? 1ULL << s->bits[i] : 0;
}

static unsigned char *slot_elem(uint64_t slot)
{
    return (unsigned char *)(uintptr_t)(slot & PTR_MASK);
}

static const char *elem_str(const unsigned char *e, size_t *len)
{
    uint64_t l;
    size_t n = varint_get(e, &l);
    *len = (size_t)l;
    return (const char *)e + n;
}

static uint64_t slot_hash(uint64_t slot)
{
    size_t len;
    const char *p = elem_str(slot_elem(slot), &len);
    return hash(p, len);
}

static uint64_t home(uint64_t h, unsigned bits)
{
    return h >> (64 - bits);
}

static uint64_t make_slot(unsigned char *e, uint64_t h)
{
    if ((uintptr_t)e >> PTR_BITS) {
        fprintf(stderr, "strset: allocator returned an address above 2^48\n");
        abort();
    }
    return ((h & 0xFFFF) << PTR_BITS) | (uint64_t)(uintptr_t)e;
}

static unsigned char *elem_create(struct strset *s, const char *p, size_t len)
{
    unsigned char *e = xmalloc(varint_len(len) + len);
    size_t n = varint_put(e, len);
    memcpy(e + n, p, len);
    s->mem += mem_usable(e);
    return e;
}

static void elem_destroy(struct strset *s, unsigned char *e)
{
    s->mem -= mem_usable(e);
    free(e);
}

/* Smallest table whose 3/4 load holds n members. */
static unsigned bits_for(uint64_t n)
{
    unsigned b = MIN_BITS;
    while ((3ULL << b) / 4 < n)
        b++;
    return b;
}

static uint64_t *table_create(struct strset *s, unsigned bits)
{
    uint64_t *t = xcalloc(1ULL << bits, sizeof(*t));
    s->mem += mem_usable(t);
    return t;
}

static void table_destroy(struct strset *s, uint64_t *t)
{
    s->mem -= mem_usable(t);
    free(t);
}

void strset_init(struct strset *s, size_t hint)
{
    pthread_once(&seed_once, seed_init);
    memset(s, 0, sizeof(*s));
    s->bits[0] = (uint8_t)bits_for(hint);
    s->t[0] = table_create(s, s->bits[0]);
}

void strset_deinit(struct strset *s)
{
    for (int i = 0; i < 2; i++) {
        uint64_t n = tsize(s, i);
        for (uint64_t j = 0; j < n; j++)
            if (s->t[i][j])
                free(slot_elem(s->t[i][j]));
        free(s->t[i]);
    }
    memset(s, 0, sizeof(*s));
}

void strset_copy(struct strset *dst, const struct strset *src)
{
    *dst = *src;
    dst->mem = 0;
    for (int i = 0; i < 2; i++) {
        if (!src->t[i])
            continue;
        uint64_t n = tsize(src, i);
        dst->t[i] = table_create(dst, src->bits[i]);
        for (uint64_t j = 0; j < n; j++) {
            uint64_t sl = src->t[i][j];
            if (!sl)
                continue;
            size_t len;
            const char *p = elem_str(slot_elem(sl), &len);
            unsigned char *e = elem_create(dst, p, len);
            dst->t[i][j] = (sl & ~PTR_MASK) | (uint64_t)(uintptr_t)e;
        }
    }
}

/* The slot of p in table i, or -1. */
static int64_t table_find(const struct strset *s, int i, const char *p, size_t len, uint64_t h)
{
    const uint64_t *t = s->t[i];
    if (!t)
        return -1;
    uint64_t mask = tsize(s, i) - 1, tag = h & 0xFFFF;
    for (uint64_t j = home(h, s->bits[i]);; j = (j + 1) & mask) {
        uint64_t sl = t[j];
        if (!sl)
            return -1;
        if ((sl >> PTR_BITS) == tag) {
            size_t elen;
            const char *ep = elem_str(slot_elem(sl), &elen);
            if (elen == len && !memcmp(ep, p, len))
                return (int64_t)j;
        }
    }
}

static int find(const struct strset *s, const char *p, size_t len, uint64_t h,
                struct strset_pos *pos)
{
    for (int i = 0; i < 2; i++) {
        int64_t j = table_find(s, i, p, len, h);
        if (j >= 0) {
            pos->table = i;
            pos->idx = (uint64_t)j;
            return 1;
        }
    }
    return 0;
}

static void table_insert(struct strset *s, int i, uint64_t sl, uint64_t h)
{
    uint64_t mask = tsize(s, i) - 1, j = home(h, s->bits[i]);
    while (s->t[i][j])
        j = (j + 1) & mask;
    s->t[i][j] = sl;
    s->used[i]++;
}

/* Empty slot idx of table i, shifting later members of its cluster back
 * so that each stays reachable from its home. */
static void table_remove_at(struct strset *s, int i, uint64_t idx)
{
    uint64_t *t = s->t[i], mask = tsize(s, i) - 1, hole = idx;
    for (uint64_t j = (idx + 1) & mask; t[j]; j = (j + 1) & mask) {
        uint64_t h = home(slot_hash(t[j]), s->bits[i]);
        if (((j - h) & mask) >= ((j - hole) & mask)) {
            t[hole] = t[j];
            hole = j;
        }
    }
    t[hole] = 0;
    s->used[i]--;
}

/* Start moving to a table of 2^bits slots (or just swap tables when the
 * current one is empty). */
static void resize(struct strset *s, unsigned bits)
{
    uint64_t *t = table_create(s, bits);
    if (!s->used[0]) {
        table_destroy(s, s->t[0]);
        s->t[0] = t;
        s->bits[0] = (uint8_t)bits;
        return;
    }
    s->t[1] = t;
    s->bits[1] = (uint8_t)bits;
    s->used[1] = 0;
    s->rehash_idx = 0;
}

/* Move whole clusters from t[0] to t[1]: every member of a cluster leaves
 * together, so no member left behind ever has to cross an emptied slot
 * and nothing needs shifting.  Slots below rehash_idx are empty, except
 * that the cluster holding slot 0 may have begun at the end of the table:
 * it is taken from its real start. */
static void rehash(struct strset *s, long moves, long visits)
{
    uint64_t *t0 = s->t[0], mask = tsize(s, 0) - 1;
    while (s->used[0] && moves > 0 && visits-- > 0) {
        uint64_t r = s->rehash_idx;
        if (!t0[r]) {
            s->rehash_idx++;
            continue;
        }
        uint64_t j = r;
        if (r == 0)
            while (t0[(j - 1) & mask])
                j = (j - 1) & mask;
        for (; t0[j]; j = (j + 1) & mask) {
            table_insert(s, 1, t0[j], slot_hash(t0[j]));
            t0[j] = 0;
            s->used[0]--;
            moves--;
        }
    }
    if (!s->used[0]) {
        table_destroy(s, s->t[0]);
        s->t[0] = s->t[1];
        s->bits[0] = s->bits[1];
        s->used[0] = s->used[1];
        s->t[1] = NULL;
        s->bits[1] = 0;
        s->used[1] = 0;
        s->rehash_idx = 0;
    }
}

/* Before an add: advance a resize, or start a grow; afterwards the add
 * goes to t[1] if it exists, else t[0], and fits under 3/4 load. */
static void ensure_room(struct strset *s)
{
    if (s->t[1]) {
        rehash(s, REHASH_MOVES, REHASH_VISITS);
        if (s->t[1] && (strset_count(s) + 1) * 4 > tsize(s, 1) * 3)
            rehash(s, (long)s->used[0] + 1, (long)tsize(s, 0) + 1);
    }
    if (!s->t[1] && (s->used[0] + 1) * 4 > tsize(s, 0) * 3)
        resize(s, s->bits[0] + 1u);
}

/* After a removal: advance a resize, or shrink a table under 1/8 load to
 * one about half full. */
static void after_remove(struct strset *s)
{
    if (s->t[1])
        rehash(s, REHASH_MOVES, REHASH_VISITS);
    else if (s->used[0] && s->bits[0] > MIN_BITS && s->used[0] * 8 < tsize(s, 0)) {
        unsigned b = bits_for(s->used[0] * 3 / 2 + 1);
        if (b < s->bits[0])
            resize(s, b);
    }
}

int strset_add(struct strset *s, const char *p, size_t len)
{
    uint64_t h = hash(p, len);
    struct strset_pos pos;
    if (find(s, p, len, h, &pos))
        return 0;
    ensure_room(s);
    table_insert(s, s->t[1] ? 1 : 0, make_slot(elem_create(s, p, len), h), h);
    return 1;
}

void strset_delete_at(struct strset *s, const struct strset_pos *pos)
{
    elem_destroy(s, slot_elem(s->t[pos->table][pos->idx]));
    table_remove_at(s, pos->table, pos->idx);
    after_remove(s);
}

int strset_remove(struct strset *s, const char *p, size_t len)
{
    struct strset_pos pos;
    if (!find(s, p, len, hash(p, len), &pos))
        return 0;
    strset_delete_at(s, &pos);
    return 1;
}

int strset_contains(const struct strset *s, const char *p, size_t len)
{
    struct strset_pos pos;
    return find(s, p, len, hash(p, len), &pos);
}

const char *strset_at(const struct strset *s, const struct strset_pos *pos, size_t *len)
{
    return elem_str(slot_elem(s->t[pos->table][pos->idx]), len);
}

/* Slot r of the two tables laid end to end. */
static uint64_t slot_at(const struct strset *s, uint64_t r, struct strset_pos *pos)
{
    uint64_t n0 = tsize(s, 0);
    pos->table = r >= n0;
    pos->idx = r >= n0 ? r - n0 : r;
    return s->t[pos->table][pos->idx];
}

/* Uniform over members: a uniformly chosen slot, retried while empty.
 * The load is at least 1/8 outside a shrink, so 64 tries all miss with
 * probability under 2e-4; then the first member after a random slot is
 * taken (slightly biased, never stuck). */
void strset_random(const struct strset *s, uint64_t *rng, struct strset_pos *pos)
{
    uint64_t total = tsize(s, 0) + tsize(s, 1);
    for (int tries = 0; tries < 64; tries++)
        if (slot_at(s, rng_next(rng) % total, pos))
            return;
    for (uint64_t r = rng_next(rng) % total; !slot_at(s, r, pos); r = (r + 1) % total) {
    }
}

int strset_next(const struct strset *s, struct strset_pos *pos, const char **p, size_t *len)
{
    for (; pos->table < 2; pos->table++, pos->idx = 0) {
        uint64_t n = tsize(s, pos->table);
        while (pos->idx < n) {
            uint64_t sl = s->t[pos->table][pos->idx++];
            if (sl) {
                *p = elem_str(slot_elem(sl), len);
                return 1;
            }
        }
    }
    return 0;
}

/* Call fn for the members of table i whose home is in [a, z).  They sit
 * between a and the first empty slot at or after z - 1.  The walk starts
 * at the beginning of a's cluster (a member there may have wrapped past
 * the table's end from a home in the range) and visits each slot at most
 * once. */
static long emit_range(const struct strset *s, int i, uint64_t a, uint64_t z,
                       void (*fn)(void *, const char *, size_t), void *arg)
{
    const uint64_t *t = s->t[i];
    uint64_t mask = tsize(s, i) - 1, c = a;
    long n = 0;
    while (t[(c - 1) & mask] && ((c - 1) & mask) != a)
        c = (c - 1) & mask;
    uint64_t end = ((a - c) & mask) + (z - a); /* walk offset of z */
    for (uint64_t k = 0; k <= mask; k++) {
        uint64_t sl = t[(c + k) & mask];
        if (!sl) {
            if (k >= end)
                break;
            continue;
        }
        uint64_t h = home(slot_hash(sl), s->bits[i]);
        if (h >= a && h < z) {
            size_t len;
            const char *p = elem_str(slot_elem(sl), &len);
            fn(arg, p, len);
            n++;
        }
    }
    return n;
}

/* Buckets are counted in the smaller table; each of its buckets covers
 * 2^d buckets of the larger one, which are emitted with it. */
uint64_t strset_scan(const struct strset *s, uint64_t cursor, long count,
                     void (*fn)(void *arg, const char *p, size_t len), void *arg)
{
    if (!strset_count(s))
        return 0;
    int sm = 0, lg = 0;
    if (s->t[1]) {
        sm = s->bits[1] < s->bits[0];
        lg = !sm;
    }
    unsigned bs = s->bits[sm], bl = s->bits[lg];
    uint64_t nb = 1ULL << bs, v = cursor;
    if (count > (1L << 30))
        count = 1L << 30;
    long emitted = 0, visited = 0;
    while (emitted < count && visited < count * 10) {
        uint64_t b = v >> (64 - bs), k = (uint64_t)(count - emitted);
        if (k > nb - b)
            k = nb - b;
        emitted += emit_range(s, sm, b, b + k, fn, arg);
        if (lg != sm) {
            uint64_t from = v >> (64 - bl);
            if (from < (b << (bl - bs)))
                from = b << (bl - bs);
            emitted += emit_range(s, lg, from, (b + k) << (bl - bs), fn, arg);
        }
        visited += (long)k;
        if (b + k == nb)
            return 0;
        v = (b + k) << (64 - bs);
    }
    return v;
}

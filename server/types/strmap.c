/* strmap.c - the string-to-string map described in strmap.h.
 *
 * Layout.  Open addressing with linear probing over an array of 8-byte
 * slots.  A slot is EMPTY (0), a TOMBstone (1), or a pointer to the
 * element's allocation with 16 bits of the field's hash in the top bits
 * (user-space pointers fit in 48 bits on x86-64 and arm64; el_slot checks).
 * The tag lets a probe skip nearly every non-matching slot without touching
 * the element, so a miss at 80% fill costs a few reads of one or two cache
 * lines, not a pointer chase per slot as a chained table would.
 *
 * Where an element lives.  Its home slot is the TOP bits of the hash
 * (h >> (64 - log2 size)); the tag is the LOW 16 bits, so the tag still
 * tells neighbours apart in a table of millions of slots, where the home
 * bits of nearby elements are alike.  Top-bit homes make a table of 2^(b+1)
 * slots a refinement of one of 2^b: the hash range of slot i splits into
 * the ranges of slots 2i and 2i+1.  That is what keeps SCAN's cursor valid
 * across resizes (below).
 *
 * Deletion leaves a tombstone (probes pass over it, inserts reuse it), so
 * an element never moves except when the table is resized; tombstones count
 * toward the 80% fill limit, and a table that reaches it mostly with
 * tombstones is rebuilt at a size fitting the live elements.
 *
 * Resizing is incremental, as Redis's dict does it: a resize allocates the
 * new array and each later write moves a bounded run of slots, so no
 * request pays for moving millions.  While two tables exist, lookups check
 * both and inserts go to the new one; a moved slot becomes a tombstone in
 * the old table so probes for elements further along its runs still find
 * them.  The step is sized so the move finishes while the new table still
 * has half of its headroom: with need = 2 * (slots left) / (inserts the
 * new table can take), which is about 3 when doubling and at most ~20 when
 * shrinking to a quarter, a step moves at most 4 + need elements and
 * passes at most 64 + need slots, so it stays well under a microsecond
 * while a sparse old table (a shrink) is still crossed in a few thousand
 * writes.  Should the new table fill anyway, the move is finished at
 * once (a fallback: the step size keeps it from happening).  Reads
 * never move slots: they run without a memory-accounting hook, and must
 * not free the old array behind the caller's back.
 *
 * SCAN.  A cursor is a position in hash space (a 64-bit hash value).  A
 * step reports every element whose hash lies in [cursor, end of the
 * smaller table's home slot containing the cursor] from both tables, and
 * returns the position after it, so the walk advances monotonically
 * through hash space: an element present throughout is reported exactly
 * once whatever resizes happen between steps (no duplicates, unlike
 * Redis's reverse-binary cursor), and 0 after the last slot ends it.
 */
#include "server/types/strmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "server/core/mem.h"
#include "server/core/rng.h"
#include "server/keyspace/entry.h" /* varint_len / varint_put / varint_get */

#define EMPTY ((uintptr_t)0)
#define TOMB ((uintptr_t)1)
#define PTR_BITS 48
#define PTR_MASK ((UINT64_C(1) << PTR_BITS) - 1)
#define MIN_SIZE 8 /* a full table still has an empty slot (limit(8) = 6) */

/* The fill limit (live + tombstones) of a table: 80%. */
static inline uint64_t limit(uint64_t size)
{
    return size / 5 * 4 + (size % 5) * 4 / 5;
}

/* A per-process seed, so clients cannot pick fields that all collide. */
static uint64_t seed;

__attribute__((constructor)) static void seed_init(void)
{
    if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
        seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
}

static inline uint64_t hash_of(const char *f, size_t flen)
{
    return XXH3_64bits_withSeed(f, flen, seed);
}

static inline unsigned shift_of(uint64_t size)
{
    return 64u - (unsigned)__builtin_ctzll(size);
}

static inline uint64_t home(uint64_t h, uint64_t size)
{
    return h >> shift_of(size);
}

/* ---- elements: [flen varint][vlen varint][field][value] ---- */

static inline const uint8_t *el_of(uintptr_t s)
{
    return (const uint8_t *)(s & PTR_MASK);
}

static inline uintptr_t el_slot(const uint8_t *e, uint64_t h)
{
    uintptr_t p = (uintptr_t)e;
    if (p >> PTR_BITS) {
        fputs("cachet: strmap: heap pointer above 2^48, cannot tag it\n", stderr);
        abort();
    }
    return p | (uintptr_t)(h << PTR_BITS);
}

static inline int tag_eq(uintptr_t s, uint64_t h)
{
    return (s >> PTR_BITS) == (h & 0xFFFF);
}

static inline size_t el_size(size_t flen, size_t vlen)
{
    return varint_len(flen) + varint_len(vlen) + flen + vlen;
}

static void el_read(const uint8_t *e, struct strmap_kv *kv)
{
    uint64_t fl, vl;
    size_t n = varint_get(e, &fl);
    n += varint_get(e + n, &vl);
    kv->f = (const char *)e + n;
    kv->flen = (size_t)fl;
    kv->v = kv->f + fl;
    kv->vlen = (size_t)vl;
}

static int el_is(const uint8_t *e, const char *f, size_t flen)
{
    uint64_t fl;
    size_t n = varint_get(e, &fl);
    if (fl != flen)
        return 0;
    while (e[n] & 0x80)
        n++;
    n++;
    return memcmp(e + n, f, flen) == 0;
}

static uint64_t el_hash(const uint8_t *e)
{
    struct strmap_kv kv;
    el_read(e, &kv);
    return hash_of(kv.f, kv.flen);
}

static uint8_t *el_new(struct strmap *m, const char *f, size_t flen, const char *v, size_t vlen)
{
    uint8_t *e = xmalloc(el_size(flen, vlen));
    size_t n = varint_put(e, flen);
    n += varint_put(e + n, vlen);
    memcpy(e + n, f, flen);
    if (vlen)
        memcpy(e + n + flen, v, vlen);
    m->mem += mem_usable(e);
    return e;
}

static void el_free(struct strmap *m, const uint8_t *e)
{
    m->mem -= mem_usable((void *)e);
    free((void *)e);
}

/* ---- tables ---- */

/* The smallest table (>= MIN_SIZE) with at least n * num / den slots. */
static uint64_t size_for(uint64_t n, unsigned num, unsigned den)
{
    uint64_t want = n / den * num + ((n % den) * num + den - 1) / den, size = MIN_SIZE;
    while (size < want)
        size <<= 1;
    return size;
}

static uintptr_t *table_new(struct strmap *m, uint64_t size)
{
    uintptr_t *t = xcalloc(size, sizeof(*t));
    m->mem += mem_usable(t);
    return t;
}

static void table_free(struct strmap *m, int i)
{
    m->mem -= mem_usable(m->t[i]);
    free(m->t[i]);
    m->t[i] = NULL;
    m->size[i] = m->used[i] = m->tombs[i] = 0;
}

/* Put slot s (hash h, known absent) into table i, reusing a tombstone. */
static void place(struct strmap *m, int i, uintptr_t s, uint64_t h)
{
    uintptr_t *t = m->t[i];
    uint64_t mask = m->size[i] - 1, idx = home(h, m->size[i]);
    while (t[idx] > TOMB)
        idx = (idx + 1) & mask;
    if (t[idx] == TOMB)
        m->tombs[i]--;
    t[idx] = s;
    m->used[i]++;
}

struct where {
    int table;
    uint64_t idx;
};

static int find(const struct strmap *m, const char *f, size_t flen, uint64_t h, struct where *w)
{
    for (int i = 0; i < 2; i++) {
        const uintptr_t *t = m->t[i];
        if (!t)
            continue;
        uint64_t mask = m->size[i] - 1, idx = home(h, m->size[i]);
        for (uintptr_t s; (s = t[idx]) != EMPTY; idx = (idx + 1) & mask) {
            if (s != TOMB && tag_eq(s, h) && el_is(el_of(s), f, flen)) {
                w->table = i;
                w->idx = idx;
                return 1;
            }
        }
    }
    return 0;
}

/* ---- incremental resize ---- */

static void start_resize(struct strmap *m, uint64_t size)
{
    m->t[1] = table_new(m, size);
    m->size[1] = size;
    m->used[1] = m->tombs[1] = 0;
    m->rehash_idx = 0;
}

static void finish_if_done(struct strmap *m)
{
    if (m->used[0] && m->rehash_idx < m->size[0])
        return;
    table_free(m, 0);
    m->t[0] = m->t[1];
    m->size[0] = m->size[1];
    m->used[0] = m->used[1];
    m->tombs[0] = m->tombs[1];
    m->t[1] = NULL;
    m->size[1] = m->used[1] = m->tombs[1] = 0;
}

/* Move slots of t[0] into t[1]: at most `visits` slots, at most `moves` of
 * them holding elements (a move costs a pointer chase and a hash; passing
 * an empty slot or a tombstone costs one sequential read). */
static void move_slots(struct strmap *m, uint64_t visits, uint64_t moves)
{
    uintptr_t *t0 = m->t[0];
    for (; visits && moves && m->used[0] && m->rehash_idx < m->size[0]; visits--) {
        uintptr_t s = t0[m->rehash_idx];
        if (s > TOMB) {
            place(m, 1, s, el_hash(el_of(s)));
            m->used[0]--;
            t0[m->rehash_idx] = TOMB; /* keeps later runs probe-able */
            moves--;
        }
        m->rehash_idx++;
    }
    finish_if_done(m);
}

static void rehash_step(struct strmap *m)
{
    uint64_t fill = m->used[0] + m->used[1] + m->tombs[1], cap = limit(m->size[1]);
    uint64_t room = cap > fill ? cap - fill : 1;
    uint64_t need = 2 * (m->size[0] - m->rehash_idx) / room;
    move_slots(m, 64 + need, 4 + need);
}

/* Before inserting one element: advance or start a resize so that the
 * table receiving it stays within its fill limit. */
static void make_room(struct strmap *m)
{
    if (m->t[1]) {
        rehash_step(m);
        if (m->t[1] && m->used[0] + m->used[1] + m->tombs[1] + 1 > limit(m->size[1]))
            move_slots(m, UINT64_MAX, UINT64_MAX); /* fallback, see the top comment */
    }
    if (!m->t[1] && m->used[0] + m->tombs[0] + 1 > limit(m->size[0])) {
        /* Double when live elements fill it, else rebuild at a size that
         * fits them (reclaiming tombstones): either way 40% full after. */
        start_resize(m, size_for(m->used[0], 5, 2));
        rehash_step(m);
    }
}

/* After a delete: advance a resize, or start shrinking below 10% fill
 * (Redis's HASHTABLE_MIN_FILL). */
static void after_delete(struct strmap *m)
{
    if (m->t[1]) {
        rehash_step(m);
    } else if (m->size[0] > MIN_SIZE && m->used[0] * 10 < m->size[0]) {
        start_resize(m, size_for(m->used[0], 5, 2));
        rehash_step(m);
    }
}

/* ---- API ---- */

struct strmap *strmap_create(uint64_t expect)
{
    struct strmap *m = xcalloc(1, sizeof(*m));
    m->mem = mem_usable(m);
    m->size[0] = size_for(expect, 5, 4);
    m->t[0] = table_new(m, m->size[0]);
    return m;
}

void strmap_destroy(struct strmap *m)
{
    for (int i = 0; i < 2; i++) {
        for (uint64_t j = 0; j < m->size[i]; j++)
            if (m->t[i][j] > TOMB)
                free((void *)el_of(m->t[i][j]));
        free(m->t[i]);
    }
    free(m);
}

struct strmap *strmap_dup(const struct strmap *m)
{
    struct strmap *d = strmap_create(strmap_len(m));
    for (int i = 0; i < 2; i++) {
        for (uint64_t j = 0; j < m->size[i]; j++) {
            uintptr_t s = m->t[i][j];
            if (s <= TOMB)
                continue;
            struct strmap_kv kv;
            el_read(el_of(s), &kv);
            uint64_t h = hash_of(kv.f, kv.flen);
            place(d, 0, el_slot(el_new(d, kv.f, kv.flen, kv.v, kv.vlen), h), h);
        }
    }
    return d;
}

int strmap_get(const struct strmap *m, const char *f, size_t flen, struct strmap_kv *out)
{
    struct where w;
    if (!find(m, f, flen, hash_of(f, flen), &w))
        return 0;
    el_read(el_of(m->t[w.table][w.idx]), out);
    return 1;
}

/* Replace the value of the element in slot *sp. */
static void set_value(struct strmap *m, uintptr_t *sp, uint64_t h, const char *v, size_t vlen)
{
    uint8_t *e = (uint8_t *)el_of(*sp);
    struct strmap_kv kv;
    el_read(e, &kv);
    size_t need = el_size(kv.flen, vlen), have = mem_usable(e);
    if (varint_len(vlen) == varint_len(kv.vlen) && need <= have && need >= have / 2) {
        /* same shape and it fits without wasting half: rewrite in place
         * (counters, token buckets: no allocation per update) */
        size_t n = varint_len(kv.flen);
        varint_put(e + n, vlen);
        if (vlen)
            memmove((char *)kv.f + kv.flen, v, vlen);
        return;
    }
    uint8_t *ne = el_new(m, kv.f, kv.flen, v, vlen);
    el_free(m, e);
    *sp = el_slot(ne, h);
}

int strmap_set(struct strmap *m, const char *f, size_t flen, const char *v, size_t vlen)
{
    uint64_t h = hash_of(f, flen);
    struct where w;
    if (find(m, f, flen, h, &w)) {
        set_value(m, &m->t[w.table][w.idx], h, v, vlen);
        return 0;
    }
    make_room(m);
    uint8_t *e = el_new(m, f, flen, v, vlen);
    place(m, m->t[1] ? 1 : 0, el_slot(e, h), h);
    return 1;
}

int strmap_delete(struct strmap *m, const char *f, size_t flen)
{
    struct where w;
    if (!find(m, f, flen, hash_of(f, flen), &w))
        return 0;
    uintptr_t *sp = &m->t[w.table][w.idx];
    el_free(m, el_of(*sp));
    *sp = TOMB;
    m->used[w.table]--;
    m->tombs[w.table]++;
    after_delete(m);
    return 1;
}

int strmap_next(const struct strmap *m, uint64_t *pos, struct strmap_kv *out)
{
    for (uint64_t p = *pos; p < m->size[0] + m->size[1]; p++) {
        uintptr_t s = p < m->size[0] ? m->t[0][p] : m->t[1][p - m->size[0]];
        if (s > TOMB) {
            el_read(el_of(s), out);
            *pos = p + 1;
            return 1;
        }
    }
    *pos = m->size[0] + m->size[1];
    return 0;
}

/* Report the elements of table i whose hash is in [lo, hi]: they live in
 * the runs that start at the home slots of lo..hi. */
static void scan_range(const struct strmap *m, int i, uint64_t lo, uint64_t hi,
                       void (*fn)(const struct strmap_kv *, void *), void *arg)
{
    const uintptr_t *t = m->t[i];
    uint64_t mask = m->size[i] - 1, first = home(lo, m->size[i]), last = home(hi, m->size[i]);
    uint64_t idx = first;
    for (int past = 0;; idx = (idx + 1) & mask) {
        uintptr_t s = t[idx];
        if (past && (s == EMPTY || idx == first))
            break;
        if (s > TOMB) {
            uint64_t h = el_hash(el_of(s));
            if (h >= lo && h <= hi) {
                struct strmap_kv kv;
                el_read(el_of(s), &kv);
                fn(&kv, arg);
            }
        }
        if (idx == last)
            past = 1;
    }
}

uint64_t strmap_scan(const struct strmap *m, uint64_t cursor,
                     void (*fn)(const struct strmap_kv *, void *), void *arg)
{
    int small = m->t[1] && m->size[1] < m->size[0];
    unsigned sh = shift_of(m->size[small]);
    uint64_t hi = (((cursor >> sh) + 1) << sh) - 1; /* wraps to ~0 in the last slot */
    scan_range(m, 0, cursor, hi, fn, arg);
    if (m->t[1])
        scan_range(m, 1, cursor, hi, fn, arg);
    return hi + 1;
}

const void *strmap_random(const struct strmap *m, uint64_t *rng, struct strmap_kv *out)
{
    uint64_t total = m->size[0] + m->size[1];
    /* Uniform over slots is uniform over elements; at >= 10% fill (the
     * shrink point) a hit takes ~10 tries.  The walk covers the rest. */
    for (int tries = 0; tries < 1000; tries++) {
        uint64_t p = rng_next(rng) % total;
        uintptr_t s = p < m->size[0] ? m->t[0][p] : m->t[1][p - m->size[0]];
        if (s > TOMB) {
            el_read(el_of(s), out);
            return el_of(s);
        }
    }
    uint64_t pos = rng_next(rng) % total;
    if (!strmap_next(m, &pos, out)) {
        pos = 0;
        strmap_next(m, &pos, out);
    }
    pos--;
    uintptr_t s = pos < m->size[0] ? m->t[0][pos] : m->t[1][pos - m->size[0]];
    return el_of(s);
}

/* intset.c - sorted arrays of distinct integers in Redis's intset layout.
 *
 * Owns: the byte layout, upgrades, binary search and validation of
 * untrusted blobs.  Must not: know about sets or keys.
 *
 * Layout, byte for byte Redis's so an intset blob from an RDB file loads
 * as is:   [width u32][count u32][count elements of width bytes]
 * all little-endian, width 2, 4 or 8, elements strictly ascending.
 *
 * Fields are read and written a byte at a time (the compiler turns that
 * into plain loads on little-endian machines), so the layout is the same on
 * every host and a blob need not be aligned.
 *
 * Width only grows: removing the one wide member leaves the rest at the
 * wide width, as in Redis (narrowing would cost a pass on every remove for
 * memory that the set is likely to need again).
 */
#include "server/types/intset.h"

#include "server/core/mem.h"

#include <stdlib.h>
#include <string.h>

#define IS_HDR 8

struct intset {
    unsigned char hdr[IS_HDR];
    unsigned char data[];
};

static inline uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void wr32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* Element i of an array of width-byte little-endian integers. */
static inline int64_t get_at(const unsigned char *data, uint32_t width, uint32_t i)
{
    const unsigned char *q = data + (size_t)i * width;
    uint64_t u = 0;
    switch (width) {
    case 2:
        u = (uint64_t)q[0] | (uint64_t)q[1] << 8;
        return (int64_t)u - (int64_t)((u & 0x8000) << 1);
    case 4:
        u = (uint64_t)rd32(q);
        return (int64_t)u - (int64_t)((u & 0x80000000) << 1);
    default:
        u = (uint64_t)rd32(q) | (uint64_t)rd32(q + 4) << 32;
        if (u <= INT64_MAX)
            return (int64_t)u;
        return (int64_t)(u - 0x8000000000000000ULL) + INT64_MIN;
    }
}

static inline void set_at(unsigned char *data, uint32_t width, uint32_t i, int64_t v)
{
    unsigned char *q = data + (size_t)i * width;
    uint64_t u = (uint64_t)v;
    for (uint32_t k = 0; k < width; k++)
        q[k] = (unsigned char)(u >> (8 * k));
}

static inline uint32_t width_of(const struct intset *is)
{
    return rd32(is->hdr);
}

static inline void set_len(struct intset *is, uint32_t n)
{
    wr32(is->hdr + 4, n);
}

static inline uint32_t width_for(int64_t v)
{
    if (v >= INT16_MIN && v <= INT16_MAX)
        return 2;
    if (v >= INT32_MIN && v <= INT32_MAX)
        return 4;
    return 8;
}

static struct intset *resize(struct intset *is, uint32_t width, uint32_t n)
{
    if (n > (UINT32_MAX - IS_HDR) / 8)
        abort(); /* callers convert to a hash table long before */
    return xrealloc(is, IS_HDR + (size_t)n * width);
}

/* 1 and *pos if v is present; else 0 and *pos = where it would go. */
static int search(const struct intset *is, int64_t v, uint32_t *pos)
{
    uint32_t n = intset_len(is), w = width_of(is);
    /* Members often arrive in ascending order (SADD 1 2 3 ...): check the
     * ends before bisecting. */
    if (n == 0 || v > get_at(is->data, w, n - 1)) {
        *pos = n;
        return 0;
    }
    if (v < get_at(is->data, w, 0)) {
        *pos = 0;
        return 0;
    }
    uint32_t lo = 0, hi = n; /* the answer is in [lo, hi] */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int64_t x = get_at(is->data, w, mid);
        if (x < v) {
            lo = mid + 1;
        } else if (x > v) {
            hi = mid;
        } else {
            *pos = mid;
            return 1;
        }
    }
    *pos = lo;
    return 0;
}

struct intset *intset_create(void)
{
    struct intset *is = xmalloc(IS_HDR);
    wr32(is->hdr, 2);
    set_len(is, 0);
    return is;
}

void intset_destroy(struct intset *is)
{
    free(is);
}

/* Add v, which is wider than every member: it goes before them all if
 * negative, after them all otherwise.  Widen in place from the back, so no
 * element is overwritten before it has been read. */
static struct intset *upgrade_and_add(struct intset *is, int64_t v)
{
    uint32_t ow = width_of(is), nw = width_for(v), n = intset_len(is);
    uint32_t front = v < 0 ? 1 : 0;
    is = resize(is, nw, n + 1);
    for (uint32_t i = n; i-- > 0;)
        set_at(is->data, nw, i + front, get_at(is->data, ow, i));
    set_at(is->data, nw, front ? 0 : n, v);
    wr32(is->hdr, nw);
    set_len(is, n + 1);
    return is;
}

struct intset *intset_add(struct intset *is, int64_t v, int *added)
{
    uint32_t w = width_of(is);
    if (width_for(v) > w) {
        *added = 1;
        return upgrade_and_add(is, v);
    }
    uint32_t pos, n = intset_len(is);
    if (search(is, v, &pos)) {
        *added = 0;
        return is;
    }
    is = resize(is, w, n + 1);
    memmove(is->data + (size_t)(pos + 1) * w, is->data + (size_t)pos * w, (size_t)(n - pos) * w);
    set_at(is->data, w, pos, v);
    set_len(is, n + 1);
    *added = 1;
    return is;
}

struct intset *intset_remove(struct intset *is, int64_t v, int *removed)
{
    uint32_t w = width_of(is), pos, n = intset_len(is);
    if (width_for(v) > w || !search(is, v, &pos)) {
        *removed = 0;
        return is;
    }
    memmove(is->data + (size_t)pos * w, is->data + (size_t)(pos + 1) * w,
            (size_t)(n - pos - 1) * w);
    set_len(is, n - 1);
    *removed = 1;
    return resize(is, w, n - 1);
}

int intset_contains(const struct intset *is, int64_t v)
{
    uint32_t pos;
    return width_for(v) <= width_of(is) && search(is, v, &pos);
}

uint32_t intset_len(const struct intset *is)
{
    return rd32(is->hdr + 4);
}

int64_t intset_get(const struct intset *is, uint32_t pos)
{
    return get_at(is->data, width_of(is), pos);
}

size_t intset_bytes(const struct intset *is)
{
    return IS_HDR + (size_t)intset_len(is) * width_of(is);
}

int intset_validate(const void *buf, size_t bytes)
{
    const unsigned char *p = buf;
    if (!p || bytes < IS_HDR)
        return 0;
    uint32_t w = rd32(p), n = rd32(p + 4);
    if (w != 2 && w != 4 && w != 8)
        return 0;
    if ((uint64_t)n * w + IS_HDR != (uint64_t)bytes)
        return 0;
    /* Redis refuses an empty intset in an RDB (no empty keys); that is the
     * loader's rule, not the format's: intset_create() makes one. */
    const unsigned char *data = p + IS_HDR;
    for (uint32_t i = 1; i < n; i++)
        if (get_at(data, w, i - 1) >= get_at(data, w, i))
            return 0;
    return 1;
}

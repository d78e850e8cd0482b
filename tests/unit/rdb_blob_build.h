/* rdb_blob_build.h - builders for the compact encodings Redis embeds in
 * RDB files (ziplist, listpack, intset, zipmap), written from the format
 * descriptions in Redis's ziplist.c / listpack.c / intset.c / zipmap.c, for
 * the RDB tests to craft inputs Redis 7.0 no longer writes (ziplists,
 * zipmaps) and to corrupt them.  Header-only, static, test code.
 *
 * Like Redis, an element that is a canonical integer is stored in the
 * smallest integer encoding that holds it; other elements as strings.
 */
#ifndef CACHET_RDB_BLOB_BUILD_H
#define CACHET_RDB_BLOB_BUILD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/resp_parse.h"
#include "server/core/mem.h"

struct tbuf {
    unsigned char *p;
    size_t len, cap;
};

static inline void tb_put(struct tbuf *b, const void *p, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap - b->len < n)
            cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
}

static inline void tb_byte(struct tbuf *b, unsigned c)
{
    unsigned char x = (unsigned char)c;
    tb_put(b, &x, 1);
}

static inline void tb_le(struct tbuf *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        tb_byte(b, (unsigned)(v >> (8 * i)) & 0xff);
}

static inline void tb_set_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* ---- ziplist ---- */

/* One entry's <encoding><data> (without prevlen) into e. */
static inline void zl_encode(struct tbuf *e, const char *s, size_t n)
{
    long long v;
    if (n <= 20 && resp_str2ll(s, n, &v)) {
        if (v >= 0 && v <= 12) {
            tb_byte(e, 0xf1 + (unsigned)v);
        } else if (v >= INT8_MIN && v <= INT8_MAX) {
            tb_byte(e, 0xfe);
            tb_le(e, (uint64_t)v, 1);
        } else if (v >= INT16_MIN && v <= INT16_MAX) {
            tb_byte(e, 0xc0);
            tb_le(e, (uint64_t)v, 2);
        } else if (v >= -8388608 && v <= 8388607) {
            tb_byte(e, 0xf0);
            tb_le(e, (uint64_t)v, 3);
        } else if (v >= INT32_MIN && v <= INT32_MAX) {
            tb_byte(e, 0xd0);
            tb_le(e, (uint64_t)v, 4);
        } else {
            tb_byte(e, 0xe0);
            tb_le(e, (uint64_t)v, 8);
        }
        return;
    }
    if (n <= 63) {
        tb_byte(e, (unsigned)n);
    } else if (n <= 16383) {
        tb_byte(e, 0x40 | (unsigned)(n >> 8));
        tb_byte(e, n & 0xff);
    } else {
        tb_byte(e, 0x80);
        for (int i = 3; i >= 0; i--)
            tb_byte(e, (unsigned)(n >> (8 * i)) & 0xff);
    }
    tb_put(e, s, n);
}

/* A ziplist of n strings (lens may be NULL: strlen). */
static inline struct tbuf zl_build(const char *const *el, const size_t *lens, size_t n)
{
    struct tbuf b = {0};
    tb_le(&b, 0, 4);
    tb_le(&b, 0, 4);
    tb_le(&b, n < 0xffff ? n : 0xffff, 2);
    size_t prev = 0, tail = 10;
    for (size_t i = 0; i < n; i++) {
        struct tbuf e = {0};
        if (prev < 254) {
            tb_byte(&e, (unsigned)prev);
        } else {
            tb_byte(&e, 254);
            tb_le(&e, prev, 4);
        }
        zl_encode(&e, el[i], lens ? lens[i] : strlen(el[i]));
        tail = b.len;
        tb_put(&b, e.p, e.len);
        prev = e.len;
        free(e.p);
    }
    tb_byte(&b, 0xff);
    tb_set_le(b.p, b.len, 4);
    tb_set_le(b.p + 4, tail, 4);
    return b;
}

/* ---- listpack ---- */

static inline void lp_backlen(struct tbuf *b, size_t l)
{
    size_t n = l < 128 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned)(l >> (7 * (n - 1 - i))) & 127;
        tb_byte(b, i ? c | 128 : c);
    }
}

static inline struct tbuf lp_build(const char *const *el, const size_t *lens, size_t n)
{
    struct tbuf b = {0};
    tb_le(&b, 0, 4);
    tb_le(&b, n < 0xffff ? n : 0xffff, 2);
    for (size_t i = 0; i < n; i++) {
        const char *s = el[i];
        size_t sl = lens ? lens[i] : strlen(s);
        struct tbuf e = {0};
        long long v;
        if (sl <= 20 && resp_str2ll(s, sl, &v)) {
            if (v >= 0 && v <= 127) {
                tb_byte(&e, (unsigned)v);
            } else if (v >= -4096 && v <= 4095) {
                unsigned u = (unsigned)(v < 0 ? v + 8192 : v);
                tb_byte(&e, 0xc0 | (u >> 8));
                tb_byte(&e, u & 0xff);
            } else if (v >= INT16_MIN && v <= INT16_MAX) {
                tb_byte(&e, 0xf1);
                tb_le(&e, (uint64_t)v, 2);
            } else if (v >= -8388608 && v <= 8388607) {
                tb_byte(&e, 0xf2);
                tb_le(&e, (uint64_t)v, 3);
            } else if (v >= INT32_MIN && v <= INT32_MAX) {
                tb_byte(&e, 0xf3);
                tb_le(&e, (uint64_t)v, 4);
            } else {
                tb_byte(&e, 0xf4);
                tb_le(&e, (uint64_t)v, 8);
            }
        } else if (sl < 64) {
            tb_byte(&e, 0x80 | (unsigned)sl);
            tb_put(&e, s, sl);
        } else if (sl < 4096) {
            tb_byte(&e, 0xe0 | (unsigned)(sl >> 8));
            tb_byte(&e, sl & 0xff);
            tb_put(&e, s, sl);
        } else {
            tb_byte(&e, 0xf0);
            tb_le(&e, sl, 4);
            tb_put(&e, s, sl);
        }
        size_t enc = e.len;
        lp_backlen(&e, enc);
        tb_put(&b, e.p, e.len);
        free(e.p);
    }
    tb_byte(&b, 0xff);
    tb_set_le(b.p, b.len, 4);
    return b;
}

/* ---- intset ---- */

static inline struct tbuf is_build(const int64_t *v, size_t n)
{
    int enc = 2;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < INT32_MIN || v[i] > INT32_MAX)
            enc = 8;
        else if ((v[i] < INT16_MIN || v[i] > INT16_MAX) && enc < 4)
            enc = 4;
    }
    struct tbuf b = {0};
    tb_le(&b, (uint64_t)enc, 4);
    tb_le(&b, n, 4);
    for (size_t i = 0; i < n; i++)
        tb_le(&b, (uint64_t)v[i], enc);
    return b;
}

/* ---- zipmap ---- */

static inline void zm_len(struct tbuf *b, size_t l)
{
    if (l < 254) {
        tb_byte(b, (unsigned)l);
    } else {
        tb_byte(b, 254);
        tb_le(b, l, 4);
    }
}

/* Pairs: kv[2i] field, kv[2i+1] value; `spare` free bytes after each value. */
static inline struct tbuf zm_build(const char *const *kv, size_t pairs, unsigned spare)
{
    struct tbuf b = {0};
    tb_byte(&b, pairs < 254 ? (unsigned)pairs : 254);
    for (size_t i = 0; i < pairs; i++) {
        size_t fl = strlen(kv[2 * i]), vl = strlen(kv[2 * i + 1]);
        zm_len(&b, fl);
        tb_put(&b, kv[2 * i], fl);
        zm_len(&b, vl);
        tb_byte(&b, spare);
        tb_put(&b, kv[2 * i + 1], vl);
        for (unsigned k = 0; k < spare; k++)
            tb_byte(&b, 'x');
    }
    tb_byte(&b, 0xff);
    return b;
}

#endif

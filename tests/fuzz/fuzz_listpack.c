/* fuzz_listpack.c - libFuzzer target for server/types/listpack.
 *
 * Every input is used two ways.
 *
 * 1. As a listpack from an untrusted source (an RDB file): lp_validate on
 *    an exact-size heap copy (so ASan sees any read past the end), and again
 *    with the header's total patched to the input size and the last byte set
 *    to the terminator (so short inputs get past the first checks).  When a
 *    buffer is accepted it must be safe to use: the forward and backward
 *    walks visit the same positions, as many as the count says; every
 *    element reads back (lp_get, lp_get_str, lp_get_int) and lp_eq's itself;
 *    lp_seek agrees with the walk; and mutations (replace an element with its
 *    own bytes, delete one, append) leave a listpack that still validates.
 *
 * 2. As an operation script applied to a fresh listpack and to a model (an
 *    array of strings): insert before/after, append, prepend, append_int,
 *    replace, delete, delete_range, delete_range_at and find with skip, with
 *    values drawn from the input (small and wide integers, non-canonical
 *    numbers, raw bytes, long strings around the length-prefix boundaries).
 *    After every operation (less often as the listpack grows past 32
 *    elements or 4 KB, to keep inputs fast) the listpack validates and
 *    matches the model element for element in both directions, stores
 *    integers exactly when the string is canonical, and has the size the
 *    encoding table predicts.
 */
#include "protocol/resp_parse.h"
#include "server/core/mem.h"
#include "server/types/listpack.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what)
{
    fprintf(stderr, "invariant violated: %s\n", what);
    abort();
}

#define ASSERT(c)                                                           \
    do {                                                                    \
        if (!(c))                                                           \
            die(#c);                                                        \
    } while (0)

/* ---- 1. untrusted buffers ------------------------------------------------- */

static void use_valid(unsigned char *lp)
{
    uint32_t n = lp_count(lp);
    unsigned char **pos = xmalloc((n ? n : 1) * sizeof(*pos));
    uint32_t i = 0;
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p)) {
        ASSERT(i < n);
        pos[i++] = p;
        char buf[LP_INTBUF];
        size_t len;
        const char *s = lp_get_str(p, buf, &len);
        ASSERT(lp_eq(p, s, len));
        struct lp_val v;
        lp_get(p, &v);
        long long x;
        if (!v.s)
            ASSERT(lp_get_int(p, &x) && x == v.v);
        else
            ASSERT(v.len == len && v.s == s);
    }
    ASSERT(i == n);
    for (unsigned char *p = lp_last(lp); p; p = lp_prev(lp, p))
        ASSERT(i > 0 && pos[--i] == p);
    ASSERT(i == 0);
    if (n) {
        uint32_t k = n / 2;
        ASSERT(lp_seek(lp, k) == pos[k]);
        ASSERT(lp_seek(lp, (long)k - (long)n) == pos[k]);
        /* the first element equal to element k is at or before it */
        char buf[LP_INTBUF];
        size_t len;
        const char *s = lp_get_str(pos[k], buf, &len);
        char *copy = xmemdup(s, len);
        unsigned char *f = lp_find(lp, pos[0], copy, len, 0);
        ASSERT(f && f <= pos[k] && lp_eq(f, copy, len));
        free(copy);
    }
    ASSERT(lp_seek(lp, n) == NULL);
    free(pos);

    if (n) {
        unsigned char *p = lp_seek(lp, n / 2);
        struct lp_val v;
        lp_get(p, &v);
        if (v.s)
            lp = lp_replace(lp, &p, v.s, v.len); /* its own bytes: moves under us */
        ASSERT(lp_validate(lp, lp_bytes(lp)) && lp_count(lp) == n);
        p = lp_first(lp);
        lp = lp_delete(lp, &p);
        ASSERT(lp_validate(lp, lp_bytes(lp)) && lp_count(lp) == n - 1);
    }
    lp = lp_append(lp, "tail", 4);
    ASSERT(lp_validate(lp, lp_bytes(lp)));
    lp_destroy(lp);
}

static void check_buffer(const uint8_t *data, size_t size, int patch)
{
    unsigned char *b = xmalloc(size ? size : 1);
    memcpy(b, data, size);
    if (patch) {
        if (size < 9 || size > UINT32_MAX) {
            free(b);
            return;
        }
        b[0] = (unsigned char)size;
        b[1] = (unsigned char)(size >> 8);
        b[2] = (unsigned char)(size >> 16);
        b[3] = (unsigned char)(size >> 24);
        b[size - 1] = 0xFF;
    }
    if (lp_validate(b, size))
        use_valid(b); /* takes ownership */
    else
        free(b);
}

/* ---- 2. operation scripts --------------------------------------------------- */

struct reader {
    const uint8_t *d;
    size_t n, i;
};

static unsigned rd8(struct reader *r)
{
    return r->i < r->n ? r->d[r->i++] : 0;
}

static unsigned rd16(struct reader *r)
{
    unsigned hi = rd8(r);
    return hi << 8 | rd8(r);
}

static uint64_t rd64(struct reader *r)
{
    uint64_t v = 0;
    for (int k = 0; k < 8; k++)
        v = v << 8 | rd8(r);
    return v;
}

#define VALBUF 20000
/* Long values only while the listpack is below this: every operation is
 * checked against the whole model, so the cost per input stays bounded. */
#define BIG_BUDGET (32 * 1024)

static size_t script_value(struct reader *r, char *buf, int big_ok)
{
    static const char *const odd[] = {
        "007", "-0", "+1", "", "9223372036854775808", "-9223372036854775808",
        "9223372036854775807", "-9223372036854775809", "127", "128", "-4096", "-4097",
        "4095", "4096", "32767", "32768", "-32768", "-32769", "8388607", "8388608",
        "-8388608", "-8388609", "2147483647", "2147483648", "-2147483648", "-2147483649",
    };
    unsigned kind = rd8(r);
    switch (kind % 6) {
    case 0:
        return (size_t)sprintf(buf, "%d", (int)(int8_t)rd8(r));
    case 1: {
        uint64_t u = rd64(r);
        return (size_t)sprintf(buf, "%" PRId64, (int64_t)u >> (kind / 6 % 64));
    }
    case 2: {
        const char *s = odd[rd8(r) % (sizeof(odd) / sizeof(odd[0]))];
        memcpy(buf, s, strlen(s));
        return strlen(s);
    }
    case 3: { /* raw bytes from the input */
        size_t len = rd8(r) % 80;
        for (size_t k = 0; k < len; k++)
            buf[k] = (char)rd8(r);
        return len;
    }
    case 4: { /* long, near the 6-bit, 12-bit and backlen boundaries */
        static const size_t base[] = { 60, 124, 4092, 16374, 0 };
        size_t len = base[kind / 6 % 5] + rd8(r) % 8;
        if (base[kind / 6 % 5] == 0)
            len = rd16(r) % VALBUF;
        if (!big_ok)
            len %= 64;
        memset(buf, 'a' + (int)(kind % 26), len);
        return len;
    }
    default: { /* digits: canonical or not */
        size_t len = rd8(r) % 22, k = 0;
        if (len && kind & 64)
            buf[k++] = '-';
        for (; k < len; k++)
            buf[k] = (char)('0' + rd8(r) % 10);
        return len;
    }
    }
}

struct model {
    char **s;
    size_t *len;
    size_t n;
};

static void model_insert(struct model *m, size_t at, const char *s, size_t len)
{
    m->s = xrealloc(m->s, (m->n + 1) * sizeof(*m->s));
    m->len = xrealloc(m->len, (m->n + 1) * sizeof(*m->len));
    memmove(m->s + at + 1, m->s + at, (m->n - at) * sizeof(*m->s));
    memmove(m->len + at + 1, m->len + at, (m->n - at) * sizeof(*m->len));
    m->s[at] = xmemdup(s, len);
    m->len[at] = len;
    m->n++;
}

static void model_delete(struct model *m, size_t at, size_t num)
{
    if (num > m->n - at)
        num = m->n - at;
    for (size_t k = at; k < at + num; k++)
        free(m->s[k]);
    memmove(m->s + at, m->s + at + num, (m->n - at - num) * sizeof(*m->s));
    memmove(m->len + at, m->len + at + num, (m->n - at - num) * sizeof(*m->len));
    m->n -= num;
}

/* The size the encoding table in listpack.c gives s. */
static size_t expect_size(const char *s, size_t len)
{
    long long v;
    size_t el;
    if (resp_str2ll(s, len, &v))
        el = v >= 0 && v <= 127             ? 1
             : v >= -4096 && v <= 4095       ? 2
             : v >= -32768 && v <= 32767     ? 3
             : v >= -8388608 && v <= 8388607 ? 4
             : v >= INT32_MIN && v <= INT32_MAX ? 5
                                                : 9;
    else
        el = len + (len < 64 ? 1 : len < 4096 ? 2 : 5);
    return el + (el < 128 ? 1 : el < 16384 ? 2 : el < (1 << 21) ? 3 : el < (1 << 28) ? 4 : 5);
}

static void check_model(unsigned char *lp, const struct model *m)
{
    ASSERT(lp_count(lp) == m->n);
    ASSERT(lp_validate(lp, lp_bytes(lp)));
    size_t i = 0, bytes = 9;
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p), i++) {
        ASSERT(i < m->n);
        char buf[LP_INTBUF];
        size_t len;
        const char *s = lp_get_str(p, buf, &len);
        ASSERT(len == m->len[i] && memcmp(s, m->s[i], len) == 0);
        struct lp_val v;
        lp_get(p, &v);
        long long x;
        ASSERT((v.s == NULL) == resp_str2ll(m->s[i], m->len[i], &x));
        bytes += expect_size(m->s[i], m->len[i]);
    }
    ASSERT(i == m->n && lp_bytes(lp) == bytes);
    for (unsigned char *p = lp_last(lp); p; p = lp_prev(lp, p)) {
        ASSERT(i > 0);
        i--;
        ASSERT(lp_eq(p, m->s[i], m->len[i]));
    }
    ASSERT(i == 0);
}

static void run_script(const uint8_t *data, size_t size)
{
    struct reader r = { data, size, 0 };
    struct model m = { NULL, NULL, 0 };
    unsigned char *lp = lp_create();
    char *buf = xmalloc(VALBUF);
    unsigned steps = 0;
    while (r.i < r.n) {
        unsigned op = rd8(&r) % 11;
        size_t at = m.n ? rd16(&r) % m.n : 0;
        unsigned char *p = m.n ? lp_seek(lp, (long)at) : NULL;
        int big_ok = lp_bytes(lp) < BIG_BUDGET;
        size_t len = op <= 5 ? script_value(&r, buf, big_ok) : 0;
        switch (op) {
        case 0:
        case 1: {
            int where = op == 0 ? LP_BEFORE : LP_AFTER;
            unsigned char *np = NULL;
            lp = lp_insert(lp, p, where, buf, len, &np);
            size_t to = !p ? (where == LP_BEFORE ? 0 : m.n) : at + (where == LP_AFTER);
            model_insert(&m, to, buf, len);
            ASSERT(np == lp_seek(lp, (long)to));
            break;
        }
        case 2:
            lp = lp_append(lp, buf, len);
            model_insert(&m, m.n, buf, len);
            break;
        case 3:
            lp = lp_prepend(lp, buf, len);
            model_insert(&m, 0, buf, len);
            break;
        case 4: {
            long long v = (long long)rd64(&r);
            lp = lp_append_int(lp, v);
            len = (size_t)sprintf(buf, "%lld", v);
            model_insert(&m, m.n, buf, len);
            break;
        }
        case 5:
            if (!p)
                break;
            lp = lp_replace(lp, &p, buf, len);
            ASSERT(p == lp_seek(lp, (long)at));
            free(m.s[at]);
            m.s[at] = xmemdup(buf, len);
            m.len[at] = len;
            break;
        case 6:
            if (!p)
                break;
            lp = lp_delete(lp, &p);
            model_delete(&m, at, 1);
            ASSERT(p == (at < m.n ? lp_seek(lp, (long)at) : NULL));
            break;
        case 7: {
            unsigned b = rd8(&r);
            long idx = (long)at - (b & 1 ? (long)m.n : 0);
            lp = lp_delete_range(lp, idx, b >> 1 & 15);
            if (m.n)
                model_delete(&m, at, b >> 1 & 15);
            break;
        }
        case 8: {
            unsigned long num = rd8(&r) % 20;
            if (!p)
                break;
            lp = lp_delete_range_at(lp, &p, num);
            model_delete(&m, at, num);
            if (num)
                ASSERT(p == (at < m.n ? lp_seek(lp, (long)at) : NULL));
            break;
        }
        default: { /* find, a model element or a fresh value, skip 0..2 */
            unsigned b = rd8(&r), skip = b % 3;
            const char *s = buf;
            if (m.n && b & 4) {
                size_t q = rd8(&r) % m.n;
                s = m.s[q];
                len = m.len[q];
            } else {
                len = script_value(&r, buf, big_ok);
            }
            if (!p)
                break;
            unsigned char *got = lp_find(lp, p, s, len, skip);
            long want = -1;
            for (size_t k = at; k < m.n && want < 0; k += skip + 1)
                if (m.len[k] == len && memcmp(m.s[k], s, len) == 0)
                    want = (long)k;
            ASSERT(got == (want < 0 ? NULL : lp_seek(lp, want)));
            break;
        }
        }
        /* A full check costs O(size): do it every step while the listpack
         * is small and less often as it grows, so the checking cost per
         * step stays bounded.  A corruption persists, so it is still
         * caught, a few steps late at worst. */
        if (++steps >= 1 + m.n / 32 + lp_bytes(lp) / 4096) {
            steps = 0;
            check_model(lp, &m);
        }
    }
    check_model(lp, &m);
    model_delete(&m, 0, m.n);
    free(m.s);
    free(m.len);
    free(buf);
    lp_destroy(lp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_buffer(data, size, 0);
    check_buffer(data, size, 1);
    run_script(data, size);
    return 0;
}

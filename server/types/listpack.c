/* listpack.c - the listpack encoding described in listpack.h.
 *
 * Owns: the byte format (element encodings, backlens, header), walking it
 * both ways, mutations as one splice each, and validation of untrusted
 * buffers.  Must not: know what the elements mean (hash pairs, scores, list
 * items are the callers' business) or touch server state.
 *
 * Element encodings (first byte of an element; integers little-endian):
 *
 *   0xxxxxxx                 int 0..127                      1 byte
 *   10llllll <bytes>         string, len 0..63               1 + len
 *   110xxxxx xxxxxxxx        int -4096..4095 (13-bit, 2's c) 2 bytes
 *   1110llll llllllll <bytes> string, len 64..4095           2 + len
 *   11110000 <len u32> <bytes> string, len >= 4096           5 + len
 *   11110001 <i16>           int16                           3 bytes
 *   11110010 <i24>           int24                           4 bytes
 *   11110011 <i32>           int32                           5 bytes
 *   11110100 <i64>           int64                           9 bytes
 *   11111111                 end of listpack (never an element)
 *   11110101..11111110       invalid
 *
 * We always write the narrowest form, and a string is stored as an integer
 * exactly when resp_str2ll accepts it (so printing it back gives the same
 * bytes).  lp_validate still accepts wider-than-needed forms: every reader
 * handles them, so rejecting them would only refuse harmless input.
 *
 * backlen: the size L of encoding + payload in 1..5 bytes, 7 bits each,
 * most significant group first; every byte but the first has bit 7 set, so
 * a reader starting at the byte before the next element collects groups
 * right to left until it meets a byte with bit 7 clear.
 *
 * Why one splice per mutation: inserting, replacing and deleting are all
 * "replace bytes [off, off+del) with one new element (or nothing)", which
 * needs one memmove of the tail and at most one realloc (grow before the
 * move, shrink after it).  Nothing after the splice point changes, since
 * backlens describe only their own element - no cascading updates.
 */
#include "server/types/listpack.h"

#include "protocol/resp_parse.h"
#include "server/core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LP_HDR 8        /* total bytes u32, count u32 */
#define LP_EOF 0xFF
#define LP_MAX_ENC 9    /* longest encoding header: the 64-bit integer */
#define LP_MAX_BACKLEN 5

#define ENC_32BIT_STR 0xF0
#define ENC_16BIT_INT 0xF1
#define ENC_24BIT_INT 0xF2
#define ENC_32BIT_INT 0xF3
#define ENC_64BIT_INT 0xF4

/* ---- little-endian fields ---------------------------------------------- */

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

/* The n-byte little-endian two's complement integer at p. */
static inline long long rd_int(const unsigned char *p, unsigned n)
{
    uint64_t u = 0;
    for (unsigned i = 0; i < n; i++)
        u |= (uint64_t)p[i] << (8 * i);
    uint64_t sign = 1ULL << (8 * n - 1);
    if (!(u & sign))
        return (long long)u;
    /* negative: u - 2^(8n), computed without overflow for n = 8 too */
    return (long long)(u - sign) - (long long)(sign - 1) - 1;
}

static inline void wr_int(unsigned char *p, long long v, unsigned n)
{
    uint64_t u = (uint64_t)v;
    for (unsigned i = 0; i < n; i++)
        p[i] = (unsigned char)(u >> (8 * i));
}

static inline void set_count(unsigned char *lp, uint32_t n)
{
    wr32(lp + 4, n);
}

static void too_big(size_t n)
{
    /* A caller converts to a bigger encoding long before this; reaching it
     * means a missing size check, and a half-applied write is worse. */
    char msg[96];
    int l = snprintf(msg, sizeof(msg), "cachet: listpack would grow to %zu bytes\n", n);
    if (write(2, msg, (size_t)l) < 0) {
        /* nothing left to report with */
    }
    abort();
}

/* ---- element sizes --------------------------------------------------------- */

/* Bytes of encoding + payload of the element at p (trusted buffer). */
static inline size_t enc_len(const unsigned char *p)
{
    unsigned char b = p[0];
    if (b < 0x80)
        return 1;
    if (b < 0xC0)
        return 1 + (size_t)(b & 0x3F);
    if (b < 0xE0)
        return 2;
    if (b < 0xF0)
        return 2 + ((size_t)(b & 0x0F) << 8 | p[1]);
    switch (b) {
    case ENC_32BIT_STR:
        return 5 + (size_t)rd32(p + 1);
    case ENC_16BIT_INT:
        return 3;
    case ENC_24BIT_INT:
        return 4;
    case ENC_32BIT_INT:
        return 5;
    default:
        return 9;
    }
}

static inline size_t backlen_size(size_t l)
{
    if (l < 128)
        return 1;
    if (l < 16384)
        return 2;
    if (l < (1UL << 21))
        return 3;
    if (l < (1UL << 28))
        return 4;
    return 5;
}

static inline size_t elem_len(const unsigned char *p)
{
    size_t l = enc_len(p);
    return l + backlen_size(l);
}

static void backlen_write(unsigned char *dst, size_t l, size_t n)
{
    for (size_t i = n; i-- > 0;) {
        dst[i] = (unsigned char)((l & 127) | (i > 0 ? 128 : 0));
        l >>= 7;
    }
}

/* The backlen whose last byte is q: returns L, *n = its size in bytes. */
static inline size_t backlen_read(const unsigned char *q, size_t *n)
{
    size_t v = 0, i = 0;
    unsigned shift = 0;
    unsigned char b;
    do {
        b = q[-(ptrdiff_t)i];
        v |= (size_t)(b & 127) << shift;
        shift += 7;
        i++;
    } while (b & 128);
    *n = i;
    return v;
}

/* ---- reading one element ---------------------------------------------------- */

/* Decode the element at p: 1 with (*s, *slen) for a string, 0 with *v for
 * an integer.  *el gets the encoding + payload size. */
static inline int decode(const unsigned char *p, const unsigned char **s, size_t *slen,
                         long long *v, size_t *el)
{
    unsigned char b = p[0];
    if (b < 0x80) {
        *v = b;
        *el = 1;
        return 0;
    }
    if (b < 0xC0) {
        *s = p + 1;
        *slen = b & 0x3F;
        *el = 1 + *slen;
        return 1;
    }
    if (b < 0xE0) {
        long long u = (long long)((unsigned)(b & 0x1F) << 8 | p[1]);
        *v = u >= 4096 ? u - 8192 : u;
        *el = 2;
        return 0;
    }
    if (b < 0xF0) {
        *s = p + 2;
        *slen = (size_t)(b & 0x0F) << 8 | p[1];
        *el = 2 + *slen;
        return 1;
    }
    switch (b) {
    case ENC_32BIT_STR:
        *s = p + 5;
        *slen = rd32(p + 1);
        *el = 5 + *slen;
        return 1;
    case ENC_16BIT_INT:
        *v = rd_int(p + 1, 2);
        *el = 3;
        return 0;
    case ENC_24BIT_INT:
        *v = rd_int(p + 1, 3);
        *el = 4;
        return 0;
    case ENC_32BIT_INT:
        *v = rd_int(p + 1, 4);
        *el = 5;
        return 0;
    default:
        *v = rd_int(p + 1, 8);
        *el = 9;
        return 0;
    }
}

/* resp_str2ll, with the common non-numeric case rejected inline. */
static inline int str_to_int(const char *s, size_t len, long long *v)
{
    if (len == 0 || len > 20)
        return 0;
    unsigned char c = (unsigned char)s[0];
    if (c != '-' && (c < '0' || c > '9'))
        return 0;
    return resp_str2ll(s, len, v);
}

static size_t int_to_str(char *buf, long long v)
{
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    char tmp[LP_INTBUF];
    size_t n = 0, len = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        buf[len++] = '-';
    while (n)
        buf[len++] = tmp[--n];
    buf[len] = '\0';
    return len;
}

/* ---- writing one element ---------------------------------------------------- */

/* An element ready to be written: its encoding header (for an integer, the
 * whole encoding) and the string payload, still in the caller's memory. */
struct enc {
    unsigned char hdr[LP_MAX_ENC];
    size_t hdrlen;
    const char *payload;
    size_t plen;
};

static void enc_int(struct enc *e, long long v)
{
    e->payload = NULL;
    e->plen = 0;
    if (v >= 0 && v <= 127) {
        e->hdr[0] = (unsigned char)v;
        e->hdrlen = 1;
    } else if (v >= -4096 && v <= 4095) {
        unsigned u = (unsigned)((uint64_t)v & 0x1FFF);
        e->hdr[0] = (unsigned char)(0xC0 | u >> 8);
        e->hdr[1] = (unsigned char)u;
        e->hdrlen = 2;
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
        e->hdr[0] = ENC_16BIT_INT;
        wr_int(e->hdr + 1, v, 2);
        e->hdrlen = 3;
    } else if (v >= -(1L << 23) && v < (1L << 23)) {
        e->hdr[0] = ENC_24BIT_INT;
        wr_int(e->hdr + 1, v, 3);
        e->hdrlen = 4;
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        e->hdr[0] = ENC_32BIT_INT;
        wr_int(e->hdr + 1, v, 4);
        e->hdrlen = 5;
    } else {
        e->hdr[0] = ENC_64BIT_INT;
        wr_int(e->hdr + 1, v, 8);
        e->hdrlen = 9;
    }
}

static void enc_str(struct enc *e, const char *s, size_t len)
{
    long long v;
    if (str_to_int(s, len, &v)) {
        enc_int(e, v);
        return;
    }
    if (len < 64) {
        e->hdr[0] = (unsigned char)(0x80 | len);
        e->hdrlen = 1;
    } else if (len < 4096) {
        e->hdr[0] = (unsigned char)(0xE0 | len >> 8);
        e->hdr[1] = (unsigned char)len;
        e->hdrlen = 2;
    } else {
        if (len > UINT32_MAX - 16)
            too_big(len);
        e->hdr[0] = ENC_32BIT_STR;
        wr32(e->hdr + 1, (uint32_t)len);
        e->hdrlen = 5;
    }
    e->payload = s;
    e->plen = len;
}

/* Replace bytes [off, off + del) of lp with element e (or nothing when e is
 * NULL): one memmove, at most one realloc.  The caller fixes the count. */
static unsigned char *splice(unsigned char *lp, size_t off, size_t del, const struct enc *e)
{
    size_t total = rd32(lp);
    size_t el = e ? e->hdrlen + e->plen : 0;
    size_t ins = e ? el + backlen_size(el) : 0;
    size_t ntotal = total - del + ins;
    if (ntotal > UINT32_MAX)
        too_big(ntotal);

    /* A payload inside this listpack (an element being copied or replaced
     * by part of itself) would move under us: copy it out first. */
    const char *payload = e ? e->payload : NULL;
    char *copy = NULL;
    if (payload && (uintptr_t)payload >= (uintptr_t)lp &&
        (uintptr_t)payload < (uintptr_t)lp + total) {
        copy = xmalloc(e->plen);
        memcpy(copy, payload, e->plen);
        payload = copy;
    }

    size_t tail = total - off - del; /* what follows, the EOF included */
    if (ins > del) {
        lp = xrealloc(lp, ntotal);
        memmove(lp + off + ins, lp + off + del, tail);
    } else if (ins < del) {
        memmove(lp + off + ins, lp + off + del, tail);
        lp = xrealloc(lp, ntotal);
    }
    if (e) {
        unsigned char *w = lp + off;
        memcpy(w, e->hdr, e->hdrlen);
        if (e->plen)
            memcpy(w + e->hdrlen, payload, e->plen);
        backlen_write(w + el, el, ins - el);
    }
    wr32(lp, (uint32_t)ntotal);
    free(copy);
    return lp;
}

/* ---- public: whole listpack ------------------------------------------------- */

unsigned char *lp_create(void)
{
    unsigned char *lp = xmalloc(LP_HDR + 1);
    wr32(lp, LP_HDR + 1);
    set_count(lp, 0);
    lp[LP_HDR] = LP_EOF;
    return lp;
}

void lp_destroy(unsigned char *lp)
{
    free(lp);
}

size_t lp_bytes(const unsigned char *lp)
{
    return rd32(lp);
}

uint32_t lp_count(const unsigned char *lp)
{
    return rd32(lp + 4);
}

/* ---- public: positions ------------------------------------------------------ */

unsigned char *lp_first(unsigned char *lp)
{
    unsigned char *p = lp + LP_HDR;
    return *p == LP_EOF ? NULL : p;
}

unsigned char *lp_next(unsigned char *lp, unsigned char *p)
{
    (void)lp;
    p += elem_len(p);
    return *p == LP_EOF ? NULL : p;
}

unsigned char *lp_prev(unsigned char *lp, unsigned char *p)
{
    if (p == lp + LP_HDR)
        return NULL;
    size_t n;
    size_t l = backlen_read(p - 1, &n);
    return p - n - l;
}

unsigned char *lp_last(unsigned char *lp)
{
    return lp_prev(lp, lp + rd32(lp) - 1); /* from the EOF byte */
}

unsigned char *lp_seek(unsigned char *lp, long index)
{
    long n = (long)lp_count(lp);
    if (index < 0)
        index += n;
    if (index < 0 || index >= n)
        return NULL;
    unsigned char *p;
    if (index < n / 2) {
        p = lp + LP_HDR;
        for (long i = 0; i < index; i++)
            p += elem_len(p);
    } else {
        p = lp + rd32(lp) - 1;
        for (long i = n; i > index; i--)
            p = lp_prev(lp, p);
    }
    return p;
}

/* ---- public: reading -------------------------------------------------------- */

void lp_get(const unsigned char *p, struct lp_val *out)
{
    const unsigned char *s;
    size_t el;
    if (decode(p, &s, &out->len, &out->v, &el)) {
        out->s = (const char *)s;
        out->v = 0;
    } else {
        out->s = NULL;
        out->len = 0;
    }
}

const char *lp_get_str(const unsigned char *p, char *buf, size_t *len)
{
    const unsigned char *s;
    long long v;
    size_t el;
    if (decode(p, &s, len, &v, &el))
        return (const char *)s;
    *len = int_to_str(buf, v);
    return buf;
}

int lp_get_int(const unsigned char *p, long long *v)
{
    const unsigned char *s;
    size_t slen, el;
    if (!decode(p, &s, &slen, v, &el))
        return 1;
    return str_to_int((const char *)s, slen, v);
}

int lp_eq(const unsigned char *p, const char *s, size_t len)
{
    const unsigned char *es;
    size_t elen, el;
    long long v, q;
    if (decode(p, &es, &elen, &v, &el))
        return elen == len && (len == 0 || memcmp(es, s, len) == 0);
    /* the canonical form is unique: equal bytes iff equal values */
    return str_to_int(s, len, &q) && q == v;
}

/* ---- public: mutations ------------------------------------------------------ */

static unsigned char *insert_enc(unsigned char *lp, unsigned char *p, int where,
                                 const struct enc *e, unsigned char **newp)
{
    size_t off;
    if (!p)
        off = where == LP_BEFORE ? LP_HDR : rd32(lp) - 1;
    else
        off = (size_t)(p - lp) + (where == LP_AFTER ? elem_len(p) : 0);
    lp = splice(lp, off, 0, e);
    set_count(lp, lp_count(lp) + 1);
    if (newp)
        *newp = lp + off;
    return lp;
}

unsigned char *lp_insert(unsigned char *lp, unsigned char *p, int where, const char *s,
                         size_t len, unsigned char **newp)
{
    struct enc e;
    enc_str(&e, s, len);
    return insert_enc(lp, p, where, &e, newp);
}

unsigned char *lp_append(unsigned char *lp, const char *s, size_t len)
{
    return lp_insert(lp, NULL, LP_AFTER, s, len, NULL);
}

unsigned char *lp_prepend(unsigned char *lp, const char *s, size_t len)
{
    return lp_insert(lp, NULL, LP_BEFORE, s, len, NULL);
}

unsigned char *lp_append_int(unsigned char *lp, long long v)
{
    struct enc e;
    enc_int(&e, v);
    return insert_enc(lp, NULL, LP_AFTER, &e, NULL);
}

unsigned char *lp_replace(unsigned char *lp, unsigned char **p, const char *s, size_t len)
{
    struct enc e;
    enc_str(&e, s, len);
    size_t off = (size_t)(*p - lp);
    lp = splice(lp, off, elem_len(*p), &e);
    *p = lp + off;
    return lp;
}

unsigned char *lp_delete(unsigned char *lp, unsigned char **p)
{
    return lp_delete_range_at(lp, p, 1);
}

unsigned char *lp_delete_range_at(unsigned char *lp, unsigned char **p, unsigned long num)
{
    if (!*p || num == 0)
        return lp;
    unsigned char *q = *p;
    unsigned long k = 0;
    while (k < num && *q != LP_EOF) {
        q += elem_len(q);
        k++;
    }
    size_t off = (size_t)(*p - lp);
    lp = splice(lp, off, (size_t)(q - *p), NULL);
    set_count(lp, lp_count(lp) - (uint32_t)k);
    *p = lp[off] == LP_EOF ? NULL : lp + off;
    return lp;
}

unsigned char *lp_delete_range(unsigned char *lp, long index, unsigned long num)
{
    unsigned char *p = lp_seek(lp, index);
    return lp_delete_range_at(lp, &p, num);
}

/* ---- public: search --------------------------------------------------------- */

unsigned char *lp_find(unsigned char *lp, unsigned char *p, const char *s, size_t len,
                       unsigned skip)
{
    (void)lp;
    if (!p)
        return NULL;
    long long q = 0;
    int qint = str_to_int(s, len, &q); /* integer elements can only match then */
    unsigned char first = len ? (unsigned char)s[0] : 0;
    unsigned left = 0; /* elements still to skip before the next compare */
    for (;;) {
        unsigned char b = *p;
        size_t el;
        if (left) {
            left--;
            el = enc_len(p);
        } else if (b < 0x80) { /* small integer: the commonest integer */
            if (qint && q == b)
                return p;
            el = 1;
            left = skip;
        } else if (b < 0xC0) { /* short string: the commonest element */
            size_t slen = b & 0x3F;
            if (slen == len && (len == 0 || (p[1] == first && memcmp(p + 1, s, len) == 0)))
                return p;
            el = 1 + slen;
            left = skip;
        } else {
            const unsigned char *es;
            size_t elen;
            long long v;
            if (decode(p, &es, &elen, &v, &el)) {
                if (elen == len && memcmp(es, s, len) == 0)
                    return p;
            } else if (qint && v == q) {
                return p;
            }
            left = skip;
        }
        p += el + backlen_size(el);
        if (*p == LP_EOF)
            return NULL;
    }
}

/* ---- public: validation ----------------------------------------------------- */

/* Encoding + payload size of the element at p with avail bytes before the
 * EOF, or 0 if it is not a valid element that fits. */
static uint64_t enc_len_checked(const unsigned char *p, size_t avail)
{
    unsigned char b = p[0];
    uint64_t l;
    if (b < 0x80)
        l = 1;
    else if (b < 0xC0)
        l = 1 + (uint64_t)(b & 0x3F);
    else if (b < 0xE0)
        l = 2;
    else if (b < 0xF0)
        l = avail < 2 ? 0 : 2 + ((uint64_t)(b & 0x0F) << 8 | p[1]);
    else if (b == ENC_32BIT_STR)
        l = avail < 5 ? 0 : 5 + (uint64_t)rd32(p + 1);
    else if (b == ENC_16BIT_INT)
        l = 3;
    else if (b == ENC_24BIT_INT)
        l = 4;
    else if (b == ENC_32BIT_INT)
        l = 5;
    else if (b == ENC_64BIT_INT)
        l = 9;
    else
        return 0; /* 0xF5..0xFE, or an EOF before the end */
    return l <= avail ? l : 0;
}

int lp_validate(const unsigned char *lp, size_t bytes)
{
    if (!lp || bytes < LP_HDR + 1 || bytes > UINT32_MAX)
        return 0;
    if (rd32(lp) != bytes || lp[bytes - 1] != LP_EOF)
        return 0;
    const unsigned char *p = lp + LP_HDR, *end = lp + bytes - 1;
    uint64_t n = 0;
    while (p < end) {
        size_t avail = (size_t)(end - p);
        uint64_t l = enc_len_checked(p, avail);
        if (l == 0)
            return 0;
        size_t bl = backlen_size((size_t)l);
        if (bl > avail - l)
            return 0;
        unsigned char want[LP_MAX_BACKLEN];
        backlen_write(want, (size_t)l, bl);
        if (memcmp(p + l, want, bl) != 0)
            return 0;
        p += l + bl;
        n++;
    }
    return n == lp_count(lp);
}

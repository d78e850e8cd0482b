/* rdb_blobs.c - checking and walking ziplist, listpack, intset and zipmap
 * blobs from untrusted RDB files; see rdb_blobs.h.
 *
 * Every decoder takes the blob size and the offset of the entry, and before
 * reading any byte makes sure that byte lies before the blob's terminator.
 * Sizes are added in size_t after checking each part against what remains,
 * so a 4 GB length in a 20-byte blob is an error, never a wrap-around.  The
 * checks are the ones Redis's *ValidateIntegrity functions make with deep
 * sanitisation on (so a file Redis would refuse we refuse too), except that
 * duplicate hash fields and set members are left to the loader, which sees
 * every element anyway.
 */
#include "persistence/rdb_blobs.h"

#include <stdio.h>
#include <string.h>

static inline uint32_t le16(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static inline uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* ---- ziplist ------------------------------------------------------------- */

#define ZL_HDR 10

/* Decode the entry at o (zl[o] != 0xff).  Entries must end before the
 * terminator at n - 1.  Returns NULL and the entry's size and prevlen, or a
 * message. */
static const char *zl_entry(const unsigned char *zl, size_t n, size_t o, struct rdb_blob_entry *e,
                            size_t *size, size_t *prevlen)
{
    size_t end = n - 1, p = o;
    if (zl[p] < 254) {
        *prevlen = zl[p++];
    } else if (zl[p] == 254) {
        if (end - p < 5)
            return "entry's 5-byte prevlen runs past the end";
        *prevlen = le32(zl + p + 1);
        p += 5;
    } else {
        return "unexpected terminator";
    }
    if (p >= end)
        return "entry has no encoding byte";
    unsigned char enc = zl[p];
    size_t hdr, data;
    e->s = NULL;
    switch (enc >> 6) {
    case 0:
        hdr = 1, data = enc & 0x3f;
        break;
    case 1:
        if (end - p < 2)
            return "entry's 14-bit length runs past the end";
        hdr = 2, data = (size_t)(enc & 0x3f) << 8 | zl[p + 1];
        break;
    case 2: /* Redis ignores the low 6 bits here too */
        if (end - p < 5)
            return "entry's 32-bit length runs past the end";
        hdr = 5;
        data = (size_t)zl[p + 1] << 24 | (size_t)zl[p + 2] << 16 | (size_t)zl[p + 3] << 8 |
               zl[p + 4];
        break;
    default:
        hdr = 1;
        if (enc == 0xc0)
            data = 2;
        else if (enc == 0xd0)
            data = 4;
        else if (enc == 0xe0)
            data = 8;
        else if (enc == 0xf0)
            data = 3;
        else if (enc == 0xfe)
            data = 1;
        else if (enc >= 0xf1 && enc <= 0xfd)
            data = 0;
        else
            return "entry has an unknown integer encoding";
        break;
    }
    if (end - p < hdr || end - p - hdr < data)
        return "entry runs past the end";
    const unsigned char *d = zl + p + hdr;
    if (enc < 0xc0) {
        e->s = d;
        e->len = data;
    } else if (enc == 0xc0) {
        e->v = (int16_t)le16(d);
    } else if (enc == 0xd0) {
        e->v = (int32_t)le32(d);
    } else if (enc == 0xe0) {
        e->v = (int64_t)le64(d);
    } else if (enc == 0xf0) {
        uint32_t u = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16;
        e->v = (u & 0x800000) ? (long long)u - 0x1000000 : (long long)u;
    } else if (enc == 0xfe) {
        e->v = (int8_t)d[0];
    } else {
        e->v = (enc & 0x0f) - 1;
    }
    *size = p - o + hdr + data;
    return NULL;
}

const char *rdb_ziplist_check(const unsigned char *zl, size_t n, uint64_t *count, char *err)
{
    if (n < ZL_HDR + 1)
        return "ziplist shorter than its 11-byte minimum";
    if (le32(zl) != n) {
        snprintf(err, RDB_BLOB_ERRLEN, "ziplist header says %u bytes, the blob has %zu",
                 le32(zl), n);
        return err;
    }
    if (zl[n - 1] != 0xff)
        return "ziplist does not end with its terminator";
    size_t tail = le32(zl + 4);
    if (tail > n - 1)
        return "ziplist tail offset points past the end";
    size_t o = ZL_HDR, prev_size = 0, last = 0;
    uint64_t c = 0;
    while (zl[o] != 0xff) {
        struct rdb_blob_entry e;
        size_t size, prevlen;
        const char *why = zl_entry(zl, n, o, &e, &size, &prevlen);
        if (why) {
            snprintf(err, RDB_BLOB_ERRLEN, "ziplist %s (entry %llu at byte %zu)", why,
                     (unsigned long long)c, o);
            return err;
        }
        if (prevlen != prev_size) {
            snprintf(err, RDB_BLOB_ERRLEN,
                     "ziplist entry %llu at byte %zu says the previous entry has %zu bytes, "
                     "it has %zu",
                     (unsigned long long)c, o, prevlen, prev_size);
            return err;
        }
        prev_size = size;
        last = o;
        o += size;
        c++;
    }
    if (o != n - 1) {
        snprintf(err, RDB_BLOB_ERRLEN, "ziplist terminator at byte %zu, before the end (%zu)", o,
                 n - 1);
        return err;
    }
    if (c && tail != last) {
        snprintf(err, RDB_BLOB_ERRLEN, "ziplist tail offset %zu is not the last entry (%zu)",
                 tail, last);
        return err;
    }
    uint32_t hc = le16(zl + 8);
    if (hc != 0xffff && hc != c) {
        snprintf(err, RDB_BLOB_ERRLEN, "ziplist header counts %u entries, it holds %llu", hc,
                 (unsigned long long)c);
        return err;
    }
    *count = c;
    return NULL;
}

int rdb_ziplist_next(const unsigned char *zl, size_t n, size_t *pos, struct rdb_blob_entry *e)
{
    size_t size, prevlen;
    if (n < ZL_HDR + 1)
        return 0;
    if (*pos == 0)
        *pos = ZL_HDR;
    if (*pos >= n - 1 || zl[*pos] == 0xff || zl_entry(zl, n, *pos, e, &size, &prevlen))
        return 0;
    *pos += size;
    return 1;
}

/* ---- listpack ------------------------------------------------------------ */

#define LP_HDR 6

static size_t lp_backlen_encode(unsigned char *buf, size_t l)
{
    /* Written left to right, read right to left: the last byte holds the
     * low 7 bits, and every byte but the first has the high bit set. */
    size_t n = l < 128 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
    for (size_t i = 0; i < n; i++) {
        size_t shift = 7 * (n - 1 - i);
        buf[i] = (unsigned char)((l >> shift) & 127);
        if (i > 0)
            buf[i] |= 128;
    }
    return n;
}

/* Decode the entry at o (lp[o] != 0xff), which must end before the
 * terminator at n - 1.  Returns NULL and its total size, or a message. */
static const char *lp_entry(const unsigned char *lp, size_t n, size_t o, struct rdb_blob_entry *e,
                            size_t *size)
{
    size_t avail = n - 1 - o; /* bytes before the terminator */
    unsigned char b = lp[o];
    size_t hdr, data;
    e->s = NULL;
    if (b < 0x80) {
        hdr = 1, data = 0;
        e->v = b;
    } else if ((b & 0xc0) == 0x80) {
        hdr = 1, data = b & 0x3f;
    } else if ((b & 0xe0) == 0xc0) {
        if (avail < 2)
            return "13-bit integer runs past the end";
        hdr = 2, data = 0;
        uint32_t u = (uint32_t)(b & 0x1f) << 8 | lp[o + 1];
        e->v = u >= 4096 ? (long long)u - 8192 : (long long)u;
    } else if ((b & 0xf0) == 0xe0) {
        if (avail < 2)
            return "12-bit string length runs past the end";
        hdr = 2, data = (size_t)(b & 0x0f) << 8 | lp[o + 1];
    } else if (b == 0xf0) {
        if (avail < 5)
            return "32-bit string length runs past the end";
        hdr = 5, data = le32(lp + o + 1);
    } else if (b >= 0xf1 && b <= 0xf4) {
        static const unsigned char ilen[] = {2, 3, 4, 8};
        hdr = 1, data = ilen[b - 0xf1];
    } else {
        return "unknown encoding byte";
    }
    if (avail < hdr || avail - hdr < data)
        return "entry runs past the end";
    const unsigned char *d = lp + o + hdr;
    if ((b & 0xc0) == 0x80 || (b & 0xf0) == 0xe0 || b == 0xf0) {
        e->s = d;
        e->len = data;
    } else if (b == 0xf1) {
        e->v = (int16_t)le16(d);
    } else if (b == 0xf2) {
        uint32_t u = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16;
        e->v = (u & 0x800000) ? (long long)u - 0x1000000 : (long long)u;
    } else if (b == 0xf3) {
        e->v = (int32_t)le32(d);
    } else if (b == 0xf4) {
        e->v = (int64_t)le64(d);
    }
    size_t enc_size = hdr + data;
    unsigned char want[5];
    size_t bl = lp_backlen_encode(want, enc_size);
    if (avail - enc_size < bl)
        return "entry's back-length runs past the end";
    if (memcmp(lp + o + enc_size, want, bl) != 0)
        return "entry's back-length does not match its size";
    *size = enc_size + bl;
    return NULL;
}

const char *rdb_listpack_check(const unsigned char *lp, size_t n, uint64_t *count, char *err)
{
    if (n < LP_HDR + 1)
        return "listpack shorter than its 7-byte minimum";
    if (le32(lp) != n) {
        snprintf(err, RDB_BLOB_ERRLEN, "listpack header says %u bytes, the blob has %zu",
                 le32(lp), n);
        return err;
    }
    if (lp[n - 1] != 0xff)
        return "listpack does not end with its terminator";
    size_t o = LP_HDR;
    uint64_t c = 0;
    while (lp[o] != 0xff) {
        struct rdb_blob_entry e;
        size_t size;
        const char *why = lp_entry(lp, n, o, &e, &size);
        if (why) {
            snprintf(err, RDB_BLOB_ERRLEN, "listpack entry %llu at byte %zu: %s",
                     (unsigned long long)c, o, why);
            return err;
        }
        o += size;
        c++;
    }
    if (o != n - 1) {
        snprintf(err, RDB_BLOB_ERRLEN, "listpack terminator at byte %zu, before the end (%zu)",
                 o, n - 1);
        return err;
    }
    uint32_t hc = le16(lp + 4);
    if (hc != 0xffff && hc != c) {
        snprintf(err, RDB_BLOB_ERRLEN, "listpack header counts %u entries, it holds %llu", hc,
                 (unsigned long long)c);
        return err;
    }
    *count = c;
    return NULL;
}

int rdb_listpack_next(const unsigned char *lp, size_t n, size_t *pos, struct rdb_blob_entry *e)
{
    size_t size;
    if (n < LP_HDR + 1)
        return 0;
    if (*pos == 0)
        *pos = LP_HDR;
    if (*pos >= n - 1 || lp[*pos] == 0xff || lp_entry(lp, n, *pos, e, &size))
        return 0;
    *pos += size;
    return 1;
}

/* ---- intset -------------------------------------------------------------- */

int64_t rdb_intset_get(const unsigned char *is, uint64_t i)
{
    uint32_t enc = le32(is);
    const unsigned char *p = is + 8 + i * enc;
    if (enc == 2)
        return (int16_t)le16(p);
    if (enc == 4)
        return (int32_t)le32(p);
    return (int64_t)le64(p);
}

const char *rdb_intset_check(const unsigned char *is, size_t n, uint64_t *count, char *err)
{
    if (n < 8)
        return "intset shorter than its 8-byte header";
    uint32_t enc = le32(is);
    if (enc != 2 && enc != 4 && enc != 8) {
        snprintf(err, RDB_BLOB_ERRLEN, "intset has an unknown encoding %u (2, 4 or 8)", enc);
        return err;
    }
    uint64_t len = le32(is + 4);
    if (8 + len * enc != n) {
        snprintf(err, RDB_BLOB_ERRLEN, "intset of %llu %u-byte integers cannot be %zu bytes",
                 (unsigned long long)len, enc, n);
        return err;
    }
    if (len == 0)
        return "intset is empty";
    for (uint64_t i = 1; i < len; i++) {
        if (rdb_intset_get(is, i) <= rdb_intset_get(is, i - 1)) {
            snprintf(err, RDB_BLOB_ERRLEN,
                     "intset is not strictly ascending at element %llu",
                     (unsigned long long)i);
            return err;
        }
    }
    *count = len;
    return NULL;
}

/* ---- zipmap -------------------------------------------------------------- */

/* A zipmap length at *o (before the terminator at n - 1). */
static int zm_len(const unsigned char *zm, size_t n, size_t *o, size_t *len)
{
    size_t end = n - 1;
    if (*o >= end)
        return 0;
    unsigned char b = zm[*o];
    if (b < 254) {
        *len = b;
        *o += 1;
        return 1;
    }
    if (b == 254 && end - *o >= 5) {
        *len = le32(zm + *o + 1);
        *o += 5;
        return 1;
    }
    return 0;
}

/* One pair at *o; returns NULL or a message. */
static const char *zm_pair(const unsigned char *zm, size_t n, size_t *o, struct rdb_blob_entry *f,
                           struct rdb_blob_entry *v)
{
    size_t end = n - 1, len;
    if (!zm_len(zm, n, o, &len))
        return "bad field length";
    if (end - *o < len)
        return "field runs past the end";
    f->s = zm + *o, f->len = len;
    *o += len;
    if (!zm_len(zm, n, o, &len))
        return "bad value length";
    if (*o >= end)
        return "missing free-space byte";
    size_t freelen = zm[(*o)++];
    if (end - *o < len || end - *o - len < freelen)
        return "value runs past the end";
    v->s = zm + *o, v->len = len;
    *o += len + freelen;
    return NULL;
}

const char *rdb_zipmap_check(const unsigned char *zm, size_t n, uint64_t *count, char *err)
{
    if (n < 2)
        return "zipmap shorter than its 2-byte minimum";
    if (zm[n - 1] != 0xff)
        return "zipmap does not end with its terminator";
    size_t o = 1;
    uint64_t c = 0;
    while (zm[o] != 0xff) {
        struct rdb_blob_entry f, v;
        size_t at = o;
        const char *why = zm_pair(zm, n, &o, &f, &v);
        if (why) {
            snprintf(err, RDB_BLOB_ERRLEN, "zipmap pair %llu at byte %zu: %s",
                     (unsigned long long)c, at, why);
            return err;
        }
        c++;
    }
    if (o != n - 1) {
        snprintf(err, RDB_BLOB_ERRLEN, "zipmap terminator at byte %zu, before the end (%zu)", o,
                 n - 1);
        return err;
    }
    if (c == 0)
        return "zipmap is empty";
    if (zm[0] != 254 && zm[0] != c) { /* 254: too many to count, as Redis */
        snprintf(err, RDB_BLOB_ERRLEN, "zipmap header counts %u pairs, it holds %llu", zm[0],
                 (unsigned long long)c);
        return err;
    }
    *count = c;
    return NULL;
}

int rdb_zipmap_next(const unsigned char *zm, size_t n, size_t *pos, struct rdb_blob_entry *field,
                    struct rdb_blob_entry *value)
{
    if (n < 2)
        return 0;
    if (*pos == 0)
        *pos = 1;
    if (*pos >= n - 1 || zm[*pos] == 0xff)
        return 0;
    return zm_pair(zm, n, pos, field, value) == NULL;
}

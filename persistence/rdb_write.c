/* rdb_write.c - RDB encoder; see rdb_write.h.
 *
 * Every put appends to one growable buffer; nothing here fails except the
 * allocator (which aborts).  The checksum is folded in when the caller hands
 * bytes off (rdb_buf_consumed), over whole chunks, so the per-value cost is
 * just the append.  Byte forms follow Redis's rdb.c so that redis-check-rdb
 * and redis-server read our files: lengths big endian, integers and
 * doubles little endian.
 */
#include "persistence/rdb_write.h"

#include <string.h>

#include "persistence/crc64.h"
#include "persistence/lzf.h"
#include "protocol/resp_parse.h"
#include "protocol/resp_write.h"
#include "server/core/mem.h"

void rdb_buf_init(struct rdb_buf *b, int flags)
{
    memset(b, 0, sizeof(*b));
    b->flags = flags;
}

void rdb_buf_deinit(struct rdb_buf *b)
{
    free(b->p);
    free(b->lzf_htab);
    free(b->defer);
    memset(b, 0, sizeof(*b));
}

/* Room for n more bytes; returns where they go. */
static unsigned char *reserve(struct rdb_buf *b, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->len < n)
            cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    return b->p + b->len;
}

void rdb_put_raw(struct rdb_buf *b, const void *p, size_t n)
{
    if (!n)
        return;
    memcpy(reserve(b, n), p, n);
    b->len += n;
}

static void put_byte(struct rdb_buf *b, unsigned char c)
{
    *reserve(b, 1) = c;
    b->len++;
}

void rdb_buf_consumed(struct rdb_buf *b)
{
    if (b->flags & RDB_CHECKSUM)
        b->crc = crc64(b->crc, b->p, b->len);
    b->done += b->len;
    b->len = 0;
}

int rdb_buf_drain(struct rdb_buf *b, ssize_t (*fn)(void *ctx, const void *p, size_t n),
                  void *ctx)
{
    size_t off = 0;
    while (off < b->len) {
        ssize_t w = fn(ctx, b->p + off, b->len - off);
        if (w <= 0) {
            /* Keep what was not written pending, checksum what was. */
            if (off) {
                if (b->flags & RDB_CHECKSUM)
                    b->crc = crc64(b->crc, b->p, off);
                b->done += off;
                memmove(b->p, b->p + off, b->len - off);
                b->len -= off;
            }
            return -1;
        }
        off += (size_t)w;
    }
    rdb_buf_consumed(b);
    return 0;
}

/* ---- lengths and strings ------------------------------------------------ */

static size_t encode_len(unsigned char *out, uint64_t len)
{
    if (len < (1u << 6)) {
        out[0] = (unsigned char)len; /* 00xxxxxx */
        return 1;
    }
    if (len < (1u << 14)) {
        out[0] = (unsigned char)((len >> 8) | (RDB_14BITLEN << 6));
        out[1] = (unsigned char)(len & 0xff);
        return 2;
    }
    if (len <= UINT32_MAX) {
        out[0] = RDB_32BITLEN;
        for (int i = 0; i < 4; i++)
            out[1 + i] = (unsigned char)(len >> (24 - 8 * i));
        return 5;
    }
    out[0] = RDB_64BITLEN;
    for (int i = 0; i < 8; i++)
        out[1 + i] = (unsigned char)(len >> (56 - 8 * i));
    return 9;
}

void rdb_put_len(struct rdb_buf *b, uint64_t len)
{
    unsigned char tmp[9];
    size_t n = encode_len(tmp, len);
    rdb_put_raw(b, tmp, n);
}

/* INT8/16/32 form of v, or 0 when it does not fit in 32 bits. */
static size_t encode_int(unsigned char *out, long long v)
{
    size_t n;
    if (v >= INT8_MIN && v <= INT8_MAX) {
        out[0] = (RDB_ENCVAL << 6) | RDB_ENC_INT8;
        n = 1;
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
        out[0] = (RDB_ENCVAL << 6) | RDB_ENC_INT16;
        n = 2;
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        out[0] = (RDB_ENCVAL << 6) | RDB_ENC_INT32;
        n = 4;
    } else {
        return 0;
    }
    uint32_t u = (uint32_t)(int32_t)v;
    for (size_t i = 0; i < n; i++)
        out[1 + i] = (unsigned char)(u >> (8 * i));
    return 1 + n;
}

/* Try the LZF form; returns 1 when written.  Redis only bothers above 20
 * bytes (below that LZF cannot even shrink "aaaa...") and only keeps the
 * result when it saves at least 4 bytes.  The compressed bytes go straight
 * into the buffer past the largest possible header and are moved down once
 * their length, and so the header size, is known. */
static int put_lzf(struct rdb_buf *b, const void *p, size_t n)
{
    const size_t hdr_max = 1 + 9 + 9;
    if (!b->lzf_htab)
        b->lzf_htab = xcalloc(LZF_HTAB_SIZE, sizeof(uint32_t));
    unsigned char *dst = reserve(b, hdr_max + n);
    size_t clen = lzf_compress(p, n, dst + hdr_max, n - 4, b->lzf_htab);
    if (!clen)
        return 0;
    unsigned char hdr[19];
    size_t h = 0;
    hdr[h++] = (RDB_ENCVAL << 6) | RDB_ENC_LZF;
    h += encode_len(hdr + h, clen);
    h += encode_len(hdr + h, n);
    memcpy(dst, hdr, h);
    memmove(dst + h, dst + hdr_max, clen);
    b->len += h + clen;
    return 1;
}

void rdb_put_string(struct rdb_buf *b, const void *p, size_t n)
{
    long long v;
    if (n <= 11 && resp_str2ll(p, n, &v)) {
        unsigned char tmp[5];
        size_t l = encode_int(tmp, v);
        if (l) {
            rdb_put_raw(b, tmp, l);
            return;
        }
    }
    if ((b->flags & RDB_COMPRESS) && n > 20) {
        if (b->flags & RDB_DEFER) {
            if (b->ndefer == b->defer_cap) {
                b->defer_cap = b->defer_cap ? 2 * b->defer_cap : 256;
                b->defer = xrealloc(b->defer, b->defer_cap * sizeof(*b->defer));
            }
            b->defer[b->ndefer++] = (struct rdb_deferred){b->len, n};
            rdb_put_raw(b, p, n);
            return;
        }
        if (put_lzf(b, p, n))
            return;
    }
    rdb_put_len(b, n);
    rdb_put_raw(b, p, n);
}

void rdb_buf_compress(struct rdb_buf *src, struct rdb_buf *dst)
{
    size_t from = 0;
    for (size_t i = 0; i < src->ndefer; i++) {
        const struct rdb_deferred *d = &src->defer[i];
        rdb_put_raw(dst, src->p + from, d->at - from);
        if (!put_lzf(dst, src->p + d->at, d->n)) {
            rdb_put_len(dst, d->n);
            rdb_put_raw(dst, src->p + d->at, d->n);
        }
        from = d->at + d->n;
    }
    rdb_put_raw(dst, src->p + from, src->len - from);
    src->len = 0;
    src->ndefer = 0;
}

void rdb_put_string_ll(struct rdb_buf *b, long long v)
{
    unsigned char tmp[5];
    size_t l = encode_int(tmp, v);
    if (l) {
        rdb_put_raw(b, tmp, l);
    } else {
        char s[24];
        int sl = ll_to_str(s, v);
        rdb_put_len(b, (uint64_t)sl);
        rdb_put_raw(b, s, (size_t)sl);
    }
}

void rdb_put_double(struct rdb_buf *b, double d)
{
    uint64_t u;
    unsigned char tmp[8];
    memcpy(&u, &d, 8);
    for (int i = 0; i < 8; i++)
        tmp[i] = (unsigned char)(u >> (8 * i));
    rdb_put_raw(b, tmp, 8);
}

/* ---- file structure ----------------------------------------------------- */

void rdb_put_header(struct rdb_buf *b, int version)
{
    char hdr[10];
    hdr[0] = 'R', hdr[1] = 'E', hdr[2] = 'D', hdr[3] = 'I', hdr[4] = 'S';
    for (int i = 0, div = 1000; i < 4; i++, div /= 10)
        hdr[5 + i] = (char)('0' + (version / div) % 10);
    rdb_put_raw(b, hdr, 9);
}

void rdb_put_aux(struct rdb_buf *b, const char *key, const char *val)
{
    put_byte(b, RDB_OPCODE_AUX);
    rdb_put_string(b, key, strlen(key));
    rdb_put_string(b, val, strlen(val));
}

void rdb_put_aux_ll(struct rdb_buf *b, const char *key, long long val)
{
    put_byte(b, RDB_OPCODE_AUX);
    rdb_put_string(b, key, strlen(key));
    rdb_put_string_ll(b, val);
}

void rdb_put_aux_std(struct rdb_buf *b, const char *redis_ver, long long ctime,
                     long long used_mem, int aof_base)
{
    rdb_put_aux(b, "redis-ver", redis_ver);
    rdb_put_aux_ll(b, "redis-bits", (long long)(sizeof(void *) * 8));
    rdb_put_aux_ll(b, "ctime", ctime);
    rdb_put_aux_ll(b, "used-mem", used_mem);
    rdb_put_aux_ll(b, "aof-base", aof_base ? 1 : 0);
}

void rdb_put_select_db(struct rdb_buf *b, uint64_t db)
{
    put_byte(b, RDB_OPCODE_SELECTDB);
    rdb_put_len(b, db);
}

void rdb_put_resize_db(struct rdb_buf *b, uint64_t db_size, uint64_t expires_size)
{
    put_byte(b, RDB_OPCODE_RESIZEDB);
    rdb_put_len(b, db_size);
    rdb_put_len(b, expires_size);
}

void rdb_put_idle(struct rdb_buf *b, uint64_t idle_seconds)
{
    put_byte(b, RDB_OPCODE_IDLE);
    rdb_put_len(b, idle_seconds);
}

void rdb_put_freq(struct rdb_buf *b, uint8_t lfu_counter)
{
    put_byte(b, RDB_OPCODE_FREQ);
    put_byte(b, lfu_counter);
}

void rdb_put_key(struct rdb_buf *b, enum rdb_type type, const void *key, size_t klen,
                 int64_t expire_ms)
{
    if (expire_ms != RDB_NO_EXPIRE) {
        unsigned char tmp[9];
        uint64_t u = (uint64_t)expire_ms;
        tmp[0] = RDB_OPCODE_EXPIRETIME_MS;
        for (int i = 0; i < 8; i++)
            tmp[1 + i] = (unsigned char)(u >> (8 * i));
        rdb_put_raw(b, tmp, 9);
    }
    put_byte(b, (unsigned char)type);
    rdb_put_string(b, key, klen);
}

void rdb_put_eof(struct rdb_buf *b)
{
    put_byte(b, RDB_OPCODE_EOF);
    uint64_t crc = 0;
    if (b->flags & RDB_CHECKSUM)
        crc = crc64(b->crc, b->p, b->len);
    unsigned char tmp[8];
    for (int i = 0; i < 8; i++)
        tmp[i] = (unsigned char)(crc >> (8 * i));
    /* The footer itself is outside the checksum; b->crc goes on to cover it
     * once consumed, but nothing reads b->crc after EOF. */
    rdb_put_raw(b, tmp, 8);
}

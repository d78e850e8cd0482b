/* rdb_read.c - streaming RDB decoder; see rdb_read.h.
 *
 * Input arrives through the caller's read callback into one 64 KB chunk;
 * everything is consumed from that chunk, and the CRC-64 is folded in over
 * whole consumed stretches (when the chunk is refilled, and at the EOF
 * opcode), never byte by byte.
 *
 * Untrusted lengths never size an allocation directly: a string's buffer
 * grows (doubling, capped at the claimed length) only as its bytes are
 * actually copied in, so memory stays within about twice what the input
 * really holds.  LZF strings are the one place a claimed length is
 * allocated before the data is decoded; that length is first bounded by
 * what the compressed bytes (already read) can expand to (LZF_MAX_RATIO).
 *
 * Error texts say where (file offset) and what was expected; inside a key
 * they name it.  Only the first error is kept.
 */
#include "persistence/rdb_read.h"
#include "persistence/rdb_read_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "persistence/crc64.h"
#include "persistence/lzf.h"
#include "protocol/resp_write.h"
#include "server/core/mem.h"

#define IN_CHUNK (64 * 1024)
#define SBUF_MIN 256

/* ---- errors -------------------------------------------------------------- */

/* Printable form of a name for messages: escaped, cut at 64 bytes. */
static void quote(char *out, size_t cap, const unsigned char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 8 < cap; i++) {
        if (i == 64) {
            o += (size_t)snprintf(out + o, cap - o, "...");
            break;
        }
        if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\'' && s[i] != '\\')
            out[o++] = (char)s[i];
        else
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", s[i]);
    }
    out[o] = '\0';
}

const char *rdbr_kind_name(enum rdb_kind k)
{
    static const char *const names[] = {"string", "list", "set", "zset", "hash"};
    return names[k];
}

/* "offset N: key 'k' (kind): " into out; returns its length (>= cap if
 * cut). */
static int key_prefix(char *out, size_t cap, uint64_t at, const char *key, size_t klen,
                      enum rdb_kind kind)
{
    char q[272];
    quote(q, sizeof(q), (const unsigned char *)key, klen);
    return snprintf(out, cap, "offset %llu: key '%s' (%s): ", (unsigned long long)at, q,
                    rdbr_kind_name(kind));
}

void rdb_key_error(char *out, size_t cap, uint64_t offset, const char *key, size_t klen,
                   enum rdb_kind kind, const char *msg)
{
    int n = key_prefix(out, cap, offset, key, klen, kind);
    if (n > 0 && (size_t)n < cap)
        snprintf(out + n, cap - (size_t)n, "%s", msg);
}

/* Record "offset N: [key 'k' (kind): ]message".  Returns -1. */
int rdbr_fail(struct reader *r, uint64_t at, const char *fmt, ...)
{
    if (r->failed)
        return -1;
    r->failed = 1;
    struct rdb_error *e = &r->res->err;
    e->offset = at;
    int n = r->in_key ? key_prefix(e->msg, sizeof(e->msg), at, r->key.key, r->key.klen,
                                   r->key.kind)
                      : snprintf(e->msg, sizeof(e->msg), "offset %llu: ", (unsigned long long)at);
    if (n > 0 && (size_t)n < sizeof(e->msg)) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg + n, sizeof(e->msg) - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int eof_fail(struct reader *r, uint64_t at, const char *what)
{
    return rdbr_fail(r, at, "expected %s, found end of file", what);
}

int rdbr_sink_result(struct reader *r, uint64_t at, const char *msg)
{
    return msg ? rdbr_fail(r, at, "%s", msg) : 0;
}

/* ---- input --------------------------------------------------------------- */

/* Called with the chunk fully consumed: 1 with new bytes, 0 at end of
 * input, -1 on a read error. */
static int fill(struct reader *r)
{
    r->crc = crc64(r->crc, r->in + r->crc_pos, r->in_len - r->crc_pos);
    r->in_base += r->in_len;
    r->in_pos = r->in_len = r->crc_pos = 0;
    for (;;) {
        ssize_t got = r->fn(r->fn_ctx, r->in, IN_CHUNK);
        if (got > 0) {
            r->in_len = (size_t)got > IN_CHUNK ? IN_CHUNK : (size_t)got;
            return 1;
        }
        if (got == 0)
            return 0;
        if (errno == EINTR)
            continue;
        char buf[128];
        const char *why = strerror_r(errno, buf, sizeof(buf));
        return rdbr_fail(r, offset(r), "read error: %s", why);
    }
}

/* Exactly n bytes into dst, or fail naming `what`. */
int rdbr_get(struct reader *r, void *dst, size_t n, const char *what)
{
    unsigned char *d = dst;
    uint64_t at = offset(r);
    while (n) {
        if (r->in_pos == r->in_len) {
            int f = fill(r);
            if (f <= 0)
                return f < 0 ? -1 : eof_fail(r, at, what);
        }
        size_t take = r->in_len - r->in_pos;
        if (take > n)
            take = n;
        memcpy(d, r->in + r->in_pos, take);
        r->in_pos += take;
        d += take;
        n -= take;
    }
    return 0;
}

int rdbr_get_byte(struct reader *r, unsigned char *c, const char *what)
{
    if (r->in_pos < r->in_len) {
        *c = r->in[r->in_pos++];
        return 0;
    }
    return rdbr_get(r, c, 1, what);
}

static void sbuf_reserve(struct sbuf *b, size_t need, size_t limit)
{
    if (need + 1 <= b->cap)
        return;
    size_t cap = b->cap < SBUF_MIN ? SBUF_MIN : b->cap * 2;
    if (cap > limit + 1)
        cap = limit + 1;
    if (cap < need + 1)
        cap = need + 1;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}

/* n bytes into b, growing it only as the bytes arrive. */
int rdbr_get_bytes(struct reader *r, struct sbuf *b, uint64_t n, const char *what)
{
    uint64_t at = offset(r);
    b->len = 0;
    sbuf_reserve(b, 0, 0);
    while (b->len < n) {
        if (r->in_pos == r->in_len) {
            int f = fill(r);
            if (f < 0)
                return -1;
            if (f == 0)
                return rdbr_fail(r, at, "expected %s of %llu bytes, found end of file after %zu",
                                 what, (unsigned long long)n, b->len);
        }
        size_t take = r->in_len - r->in_pos;
        if (take > n - b->len)
            take = (size_t)(n - b->len);
        sbuf_reserve(b, b->len + take, (size_t)n);
        memcpy(b->p + b->len, r->in + r->in_pos, take);
        r->in_pos += take;
        b->len += take;
    }
    b->p[b->len] = '\0';
    return 0;
}

/* A length; *encoded gets the string encoding (0..63) of an 11xxxxxx byte
 * when encoded is not NULL, else such a byte is an error. */
int rdbr_get_len(struct reader *r, uint64_t *len, int *encoded, const char *what)
{
    uint64_t at = offset(r);
    unsigned char c, buf[8];
    if (rdbr_get_byte(r, &c, what) < 0)
        return -1;
    if (encoded)
        *encoded = -1;
    switch (c >> 6) {
    case RDB_6BITLEN:
        *len = c & 0x3f;
        return 0;
    case RDB_14BITLEN:
        if (rdbr_get_byte(r, buf, what) < 0)
            return -1;
        *len = (uint64_t)(c & 0x3f) << 8 | buf[0];
        return 0;
    case RDB_ENCVAL:
        if (!encoded)
            return rdbr_fail(r, at, "expected %s, found a string encoding byte 0x%02x", what, c);
        *encoded = c & 0x3f;
        *len = 0;
        return 0;
    default:
        break;
    }
    size_t n = c == RDB_32BITLEN ? 4 : c == RDB_64BITLEN ? 8 : 0;
    if (!n)
        return rdbr_fail(r, at, "expected %s, found an unknown length encoding 0x%02x", what, c);
    if (rdbr_get(r, buf, n, what) < 0)
        return -1;
    *len = 0;
    for (size_t i = 0; i < n; i++)
        *len = *len << 8 | buf[i];
    return 0;
}

static int get_lzf(struct reader *r, struct sbuf *b, uint64_t at, const char *what)
{
    uint64_t clen, ulen;
    if (rdbr_get_len(r, &clen, NULL, "the compressed length of an LZF string") < 0 ||
        rdbr_get_len(r, &ulen, NULL, "the length of an LZF string") < 0)
        return -1;
    if (r->input_size && clen > r->input_size - offset(r))
        return rdbr_fail(r, at, "LZF string claims %llu compressed bytes, only %llu are left",
                         (unsigned long long)clen,
                         (unsigned long long)(r->input_size - offset(r)));
    /* ceil(ulen / 88) > clen, i.e. more output than clen bytes can make */
    if (ulen == 0 || clen == 0 || (ulen - 1) / LZF_MAX_RATIO + 1 > clen)
        return rdbr_fail(r, at, "LZF string of %llu bytes cannot come from %llu compressed bytes",
                         (unsigned long long)ulen, (unsigned long long)clen);
    if (ulen > r->max_string)
        return rdbr_fail(r, at, "LZF string of %llu bytes is over the %llu-byte limit",
                         (unsigned long long)ulen, (unsigned long long)r->max_string);
    if (rdbr_get_bytes(r, &r->lzf, clen, what) < 0)
        return -1;
    b->len = 0;
    sbuf_reserve(b, (size_t)ulen, (size_t)ulen);
    ssize_t got = lzf_decompress(r->lzf.p, r->lzf.len, b->p, (size_t)ulen);
    if (got != (ssize_t)ulen)
        return rdbr_fail(r, at, "invalid LZF data: expected %llu bytes, it decodes to %s",
                         (unsigned long long)ulen, got < 0 ? "garbage" : "fewer");
    b->len = (size_t)ulen;
    b->p[b->len] = '\0';
    return 0;
}

/* A string in any of its forms (plain, INT8/16/32, LZF) into b. */
int rdbr_get_string(struct reader *r, struct sbuf *b, const char *what)
{
    uint64_t at = offset(r), len;
    int enc;
    if (rdbr_get_len(r, &len, &enc, what) < 0)
        return -1;
    if (enc < 0) {
        if (r->input_size && len > r->input_size - offset(r))
            return rdbr_fail(r, at, "%s claims %llu bytes, only %llu are left in the file", what,
                             (unsigned long long)len,
                             (unsigned long long)(r->input_size - offset(r)));
        if (len > r->max_string)
            return rdbr_fail(r, at, "%s of %llu bytes is over the %llu-byte limit", what,
                             (unsigned long long)len, (unsigned long long)r->max_string);
        return rdbr_get_bytes(r, b, len, what);
    }
    if (enc == RDB_ENC_LZF)
        return get_lzf(r, b, at, what);
    if (enc > RDB_ENC_INT32)
        return rdbr_fail(r, at, "expected %s, found an unknown string encoding %d", what, enc);
    unsigned char d[4];
    size_t n = (size_t)1 << enc;
    if (rdbr_get(r, d, n, what) < 0)
        return -1;
    long long v = enc == RDB_ENC_INT8    ? (int8_t)d[0]
                  : enc == RDB_ENC_INT16 ? (int16_t)(d[0] | d[1] << 8)
                                         : (int32_t)((uint32_t)d[0] | (uint32_t)d[1] << 8 |
                                                     (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24);
    sbuf_reserve(b, 24, 24);
    b->len = (size_t)ll_to_str((char *)b->p, v);
    return 0;
}

static int type_kind(int t, const char **refused)
{
    *refused = NULL;
    switch (t) {
    case RDB_TYPE_STRING:
        return RDB_KIND_STRING;
    case RDB_TYPE_LIST: case RDB_TYPE_LIST_ZIPLIST: case RDB_TYPE_LIST_QUICKLIST:
    case RDB_TYPE_LIST_QUICKLIST_2:
        return RDB_KIND_LIST;
    case RDB_TYPE_SET: case RDB_TYPE_SET_INTSET: case RDB_TYPE_SET_LISTPACK:
        return RDB_KIND_SET;
    case RDB_TYPE_ZSET: case RDB_TYPE_ZSET_2: case RDB_TYPE_ZSET_ZIPLIST:
    case RDB_TYPE_ZSET_LISTPACK:
        return RDB_KIND_ZSET;
    case RDB_TYPE_HASH: case RDB_TYPE_HASH_ZIPMAP: case RDB_TYPE_HASH_ZIPLIST:
    case RDB_TYPE_HASH_LISTPACK:
        return RDB_KIND_HASH;
    case RDB_TYPE_MODULE_PRE_GA: case RDB_TYPE_MODULE_2:
        *refused = "module value";
        return -1;
    case RDB_TYPE_STREAM_LISTPACKS: case RDB_TYPE_STREAM_LISTPACKS_2:
    case RDB_TYPE_STREAM_LISTPACKS_3:
        *refused = "stream";
        return -1;
    default:
        return -1;
    }
}

struct pending { /* opcodes that qualify the next key */
    int64_t expire_ms, lru_idle;
    int lfu_freq;
    uint64_t start;
    int started;
};

static int read_key(struct reader *r, int type, int kind, struct pending *pk, uint64_t db)
{
    uint64_t at = pk->started ? pk->start : offset(r) - 1;
    if (rdbr_get_string(r, &r->kbuf, "a key name") < 0)
        return -1;
    r->key = (struct rdb_key_info){
        .kind = (enum rdb_kind)kind, .type = type, .key = (const char *)r->kbuf.p,
        .klen = r->kbuf.len, .db = db, .expire_ms = pk->expire_ms, .lru_idle = pk->lru_idle,
        .lfu_freq = pk->lfu_freq, .offset = at};
    r->in_key = 1;
    int rc = rdbr_read_value(r, type, at);
    if (rc == 0 && r->sink->end)
        rc = rdbr_sink_result(r, r->key.offset, r->sink->end(r->sink_ctx, &r->key));
    r->in_key = 0;
    if (rc == 0)
        r->res->keys++;
    *pk = (struct pending){RDB_NO_EXPIRE, -1, -1, 0, 0};
    return rc;
}

static int read_header(struct reader *r)
{
    unsigned char h[9];
    char q[64];
    if (rdbr_get(r, h, 9, "the 9-byte header \"REDIS\" + version") < 0)
        return -1;
    if (memcmp(h, "REDIS", 5) != 0) {
        quote(q, sizeof(q), h, 5);
        return rdbr_fail(r, 0, "not an RDB file: expected \"REDIS\", found '%s'", q);
    }
    int v = 0;
    for (int i = 5; i < 9; i++) {
        if (h[i] < '0' || h[i] > '9') {
            quote(q, sizeof(q), h + 5, 4);
            return rdbr_fail(r, 5, "expected a 4-digit RDB version, found '%s'", q);
        }
        v = v * 10 + (h[i] - '0');
    }
    r->res->version = v;
    if (v < 1)
        return rdbr_fail(r, 5, "RDB version 0 does not exist");
    if (v > RDB_VERSION_MAX)
        return rdbr_fail(r, 5,
                         "RDB version %d is newer than Cachet can read (up to %d, as Redis 7.0)",
                         v, RDB_VERSION_MAX);
    return 0;
}

/* Opcodes that are not keys.  Returns 0, 1 at EOF, or -1. */
static int read_opcode(struct reader *r, unsigned char t, uint64_t at, struct pending *pk,
                       uint64_t *db)
{
    unsigned char b[8];
    uint64_t x, y;
    const struct rdb_sink *s = r->sink;
    const char *msg;
    if (t == RDB_OPCODE_EXPIRETIME_MS || t == RDB_OPCODE_EXPIRETIME || t == RDB_OPCODE_IDLE ||
        t == RDB_OPCODE_FREQ) {
        if (!pk->started)
            pk->start = at, pk->started = 1;
    }
    switch (t) {
    case RDB_OPCODE_EOF:
        return 1;
    case RDB_OPCODE_EXPIRETIME_MS: /* little endian since RDB 9, host order before:
                                      the same on every machine we run on */
        if (rdbr_get(r, b, 8, "an 8-byte expire time") < 0)
            return -1;
        x = 0;
        for (int i = 7; i >= 0; i--)
            x = x << 8 | b[i];
        pk->expire_ms = (int64_t)x;
        return 0;
    case RDB_OPCODE_EXPIRETIME:
        if (rdbr_get(r, b, 4, "a 4-byte expire time") < 0)
            return -1;
        pk->expire_ms = (int64_t)(int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 |
                                           (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24) * 1000;
        return 0;
    case RDB_OPCODE_FREQ:
        if (rdbr_get_byte(r, b, "an LFU frequency byte") < 0)
            return -1;
        pk->lfu_freq = b[0];
        return 0;
    case RDB_OPCODE_IDLE:
        if (rdbr_get_len(r, &x, NULL, "an LRU idle time") < 0)
            return -1;
        pk->lru_idle = x > INT64_MAX ? INT64_MAX : (int64_t)x;
        return 0;
    case RDB_OPCODE_SELECTDB:
        if (rdbr_get_len(r, db, NULL, "a database number") < 0)
            return -1;
        return rdbr_sink_result(r, at, s->select_db ? s->select_db(r->sink_ctx, *db) : NULL);
    case RDB_OPCODE_RESIZEDB:
        if (rdbr_get_len(r, &x, NULL, "a database size") < 0 ||
            rdbr_get_len(r, &y, NULL, "an expires size") < 0)
            return -1;
        return rdbr_sink_result(r, at, s->resize_db ? s->resize_db(r->sink_ctx, x, y) : NULL);
    case RDB_OPCODE_AUX:
        if (rdbr_get_string(r, &r->s1, "an aux field name") < 0 ||
            rdbr_get_string(r, &r->s2, "an aux field value") < 0)
            return -1;
        msg = s->aux ? s->aux(r->sink_ctx, (const char *)r->s1.p, r->s1.len,
                              (const char *)r->s2.p, r->s2.len)
                     : NULL;
        return rdbr_sink_result(r, at, msg);
    case RDB_OPCODE_FUNCTION2:
        if (rdbr_get_string(r, &r->s1, "a function library") < 0)
            return -1;
        msg = s->function ? s->function(r->sink_ctx, (const char *)r->s1.p, r->s1.len) : NULL;
        return rdbr_sink_result(r, at, msg);
    case RDB_OPCODE_FUNCTION_PRE_GA:
        return rdbr_fail(r, at, "functions saved by a Redis 7.0 release candidate (opcode 246): "
                         "Cachet cannot load them");
    case RDB_OPCODE_MODULE_AUX:
        return rdbr_fail(r, at, "module auxiliary data (opcode 247): Cachet cannot load data of "
                         "Redis modules");
    default:
        return rdbr_fail(r, at, "unknown entry type %u", t);
    }
}

static int read_body(struct reader *r)
{
    struct pending pk = {RDB_NO_EXPIRE, -1, -1, 0, 0};
    uint64_t db = 0;
    if (read_header(r) < 0)
        return -1;
    for (;;) {
        uint64_t at = offset(r);
        unsigned char t;
        if (rdbr_get_byte(r, &t, "an entry type or opcode") < 0)
            return -1;
        const char *refused;
        int kind = type_kind(t, &refused);
        if (kind >= 0) {
            if (read_key(r, t, kind, &pk, db) < 0)
                return -1;
            continue;
        }
        if (refused) {
            uint64_t kat = pk.started ? pk.start : at;
            char q[272];
            if (rdbr_get_string(r, &r->kbuf, "a key name") < 0)
                return -1;
            quote(q, sizeof(q), r->kbuf.p, r->kbuf.len);
            r->failed = 1;
            r->res->err.offset = kat;
            snprintf(r->res->err.msg, sizeof(r->res->err.msg),
                     "key '%s' at offset %llu is a %s: Cachet cannot load %ss", q,
                     (unsigned long long)kat, refused, refused);
            return -1;
        }
        int rc = read_opcode(r, t, at, &pk, &db);
        if (rc < 0)
            return -1;
        if (rc == 1)
            break;
    }
    /* Everything up to and including the EOF opcode is checksummed. */
    r->crc = crc64(r->crc, r->in + r->crc_pos, r->in_pos - r->crc_pos);
    r->crc_pos = r->in_pos;
    uint64_t computed = r->crc;
    if (r->res->version >= RDB_CHECKSUM_VERSION) {
        uint64_t at = offset(r), stored = 0;
        unsigned char b[8];
        if (rdbr_get(r, b, 8, "the 8-byte checksum after the EOF marker") < 0)
            return -1;
        for (int i = 7; i >= 0; i--)
            stored = stored << 8 | b[i];
        if (stored == 0) {
            r->res->checksum = RDB_SUM_ZERO;
        } else if (stored != computed) {
            return rdbr_fail(r, at, "checksum mismatch: file says 0x%016llx, computed 0x%016llx",
                             (unsigned long long)stored, (unsigned long long)computed);
        } else {
            r->res->checksum = RDB_SUM_VERIFIED;
        }
    }
    return 0;
}

int rdb_read(rdb_read_fn fn, void *fn_ctx, const struct rdb_sink *sink, void *sink_ctx,
             const struct rdb_read_opts *opts, struct rdb_read_result *res)
{
    static const struct rdb_sink no_sink;
    struct reader r = {0};
    memset(res, 0, sizeof(*res));
    r.fn = fn;
    r.fn_ctx = fn_ctx;
    r.sink = sink ? sink : &no_sink;
    r.sink_ctx = sink_ctx;
    r.input_size = opts ? opts->input_size : 0;
    r.max_string = opts && opts->max_string ? opts->max_string : RDB_MAX_STRING_DEFAULT;
    r.res = res;
    r.in = xmalloc(IN_CHUNK);
    int rc = read_body(&r);
    res->bytes = offset(&r);
    free(r.in);
    free(r.kbuf.p);
    free(r.s1.p);
    free(r.s2.p);
    free(r.blob.p);
    free(r.lzf.p);
    return rc;
}

struct mem_src {
    const unsigned char *p;
    size_t n, off;
};

static ssize_t mem_read(void *ctx, void *buf, size_t n)
{
    struct mem_src *m = ctx;
    size_t left = m->n - m->off;
    if (n > left)
        n = left;
    if (n)
        memcpy(buf, m->p + m->off, n);
    m->off += n;
    return (ssize_t)n;
}

int rdb_read_mem(const void *p, size_t n, const struct rdb_sink *sink, void *sink_ctx,
                 const struct rdb_read_opts *opts, struct rdb_read_result *res)
{
    struct mem_src m = {p, n, 0};
    struct rdb_read_opts o = opts ? *opts : (struct rdb_read_opts){0};
    o.input_size = n;
    return rdb_read(mem_read, &m, sink, sink_ctx, &o, res);
}

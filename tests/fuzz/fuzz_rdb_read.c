/* fuzz_rdb_read.c - libFuzzer target for persistence/rdb_read (and through
 * it lzf_decompress and the blob checkers in rdb_blobs.c).
 *
 * The input is an RDB file.  So that short inputs get past the header, an
 * input not starting with "REDIS" is read as the body of a "REDIS0009"
 * file; and when it ends with the EOF opcode plus 8 bytes, those 8 are
 * tried both as they are and as the correct CRC-64 (so checksummed inputs
 * reach the end instead of always failing the footer).
 *
 * Each variant is read twice: from memory (input size known, so impossible
 * lengths fail early) and streamed in small reads whose sizes come from the
 * data (size unknown).  Invariants, checked by the sink:
 *   - begin / elements / end nest properly; elements match the key's kind;
 *     a key with a known count delivers exactly that many elements; scores
 *     are never NaN; every byte passed to the sink is readable (hashed, so
 *     ASan sees any bad pointer);
 *   - a failed read has a message starting "offset " or "key '"; a good
 *     one consumed no more than the input;
 *   - both ways of reading agree on success, and on success deliver the
 *     same events (hashed).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "persistence/crc64.h"
#include "persistence/rdb_read.h"
#include "server/core/mem.h"

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

struct fz {
    int in_key;
    enum rdb_kind kind;
    uint64_t count, seen;
    uint64_t h;
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void element(struct fz *f, enum rdb_kind kind)
{
    ASSERT(f->in_key);
    ASSERT(f->kind == kind);
    f->seen++;
    ASSERT(f->count == RDB_COUNT_UNKNOWN || f->seen <= f->count);
}

static const char *on_aux(void *c, const char *k, size_t kl, const char *v, size_t vl)
{
    struct fz *f = c;
    ASSERT(!f->in_key);
    f->h = fnv(fnv(f->h, k, kl), v, vl);
    return NULL;
}

static const char *on_select(void *c, uint64_t db)
{
    struct fz *f = c;
    ASSERT(!f->in_key);
    f->h = fnv(f->h, &db, sizeof(db));
    return NULL;
}

static const char *on_resize(void *c, uint64_t a, uint64_t b)
{
    struct fz *f = c;
    ASSERT(!f->in_key);
    f->h = fnv(fnv(f->h, &a, sizeof(a)), &b, sizeof(b));
    return NULL;
}

static const char *on_function(void *c, const char *p, size_t n)
{
    struct fz *f = c;
    ASSERT(!f->in_key);
    f->h = fnv(f->h, p, n);
    return NULL;
}

static const char *on_begin(void *c, const struct rdb_key_info *k)
{
    struct fz *f = c;
    ASSERT(!f->in_key);
    ASSERT(k->kind >= RDB_KIND_STRING && k->kind <= RDB_KIND_HASH);
    ASSERT(k->key[k->klen] == '\0');
    ASSERT(k->lfu_freq >= -1 && k->lfu_freq <= 255);
    ASSERT(k->kind != RDB_KIND_STRING || k->count == 1);
    f->in_key = 1;
    f->kind = k->kind;
    f->count = k->count;
    f->seen = 0;
    f->h = fnv(f->h, k->key, k->klen);
    f->h = fnv(f->h, &k->expire_ms, sizeof(k->expire_ms));
    f->h = fnv(f->h, &k->type, sizeof(k->type));
    return NULL;
}

static const char *on_string(void *c, const char *p, size_t n)
{
    struct fz *f = c;
    element(f, RDB_KIND_STRING);
    f->h = fnv(f->h, p, n);
    return NULL;
}

static const char *on_list(void *c, const char *p, size_t n)
{
    struct fz *f = c;
    element(f, RDB_KIND_LIST);
    f->h = fnv(f->h, p, n);
    return NULL;
}

static const char *on_set(void *c, const char *p, size_t n)
{
    struct fz *f = c;
    element(f, RDB_KIND_SET);
    f->h = fnv(f->h, p, n);
    return NULL;
}

static const char *on_zset(void *c, const char *p, size_t n, double score)
{
    struct fz *f = c;
    element(f, RDB_KIND_ZSET);
    ASSERT(score == score); /* not NaN */
    f->h = fnv(fnv(f->h, p, n), &score, sizeof(score));
    return NULL;
}

static const char *on_hash(void *c, const char *k, size_t kl, const char *v, size_t vl)
{
    struct fz *f = c;
    element(f, RDB_KIND_HASH);
    f->h = fnv(fnv(f->h, k, kl), v, vl);
    return NULL;
}

static const char *on_end(void *c, const struct rdb_key_info *k)
{
    struct fz *f = c;
    ASSERT(f->in_key);
    ASSERT(k->kind == f->kind);
    ASSERT(f->count == RDB_COUNT_UNKNOWN || f->seen == f->count);
    f->in_key = 0;
    return NULL;
}

static const struct rdb_sink sink = {
    .aux = on_aux, .select_db = on_select, .resize_db = on_resize, .function = on_function,
    .begin = on_begin, .string = on_string, .list_item = on_list, .set_member = on_set,
    .zset_member = on_zset, .hash_field = on_hash, .end = on_end,
};

struct src {
    const unsigned char *p;
    size_t n, off;
    unsigned step;
};

static ssize_t src_read(void *ctx, void *buf, size_t n)
{
    struct src *s = ctx;
    size_t take = s->n - s->off;
    size_t chunk = 1 + (s->off < s->n ? s->p[s->off] % s->step : 0);
    if (take > chunk)
        take = chunk;
    if (take > n)
        take = n;
    memcpy(buf, s->p + s->off, take);
    s->off += take;
    return (ssize_t)take;
}

static void check_error(int rc, const struct rdb_read_result *res, size_t n)
{
    if (rc == 0) {
        ASSERT(res->bytes <= n);
    } else {
        ASSERT(rc == -1);
        ASSERT(strncmp(res->err.msg, "offset ", 7) == 0 ||
               strncmp(res->err.msg, "key '", 5) == 0);
    }
}

static void run(const unsigned char *p, size_t n, unsigned step)
{
    /* A limit small enough that the limit path is reachable, big enough
     * for everything a 4 KB input can hold (LZF: 88x). */
    struct rdb_read_opts opts = {.max_string = 1 << 20};
    struct fz a = {0}, b = {0};
    struct rdb_read_result ra, rb;
    int rca = rdb_read_mem(p, n, &sink, &a, &opts, &ra);
    check_error(rca, &ra, n);
    ASSERT(rca != 0 || !a.in_key);

    struct src s = {p, n, 0, step};
    int rcb = rdb_read(src_read, &s, &sink, &b, &opts, &rb);
    check_error(rcb, &rb, n);
    ASSERT(rca == rcb);
    if (rca == 0) {
        ASSERT(a.h == b.h);
        ASSERT(ra.keys == rb.keys && ra.bytes == rb.bytes);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned step = size ? 1 + data[size - 1] % 61 : 1;
    unsigned char *buf;
    size_t n;
    if (size >= 5 && memcmp(data, "REDIS", 5) == 0) {
        n = size;
        buf = xmalloc(n ? n : 1);
        memcpy(buf, data, n);
    } else {
        n = size + 9;
        buf = xmalloc(n);
        memcpy(buf, "REDIS0009", 9);
        memcpy(buf + 9, data, size);
    }
    run(buf, n, step);
    /* With a correct footer when the input ends like a file. */
    if (n >= 18 && buf[n - 9] == 0xff) {
        uint64_t crc = crc64(0, buf, n - 8);
        for (int i = 0; i < 8; i++)
            buf[n - 8 + (size_t)i] = (unsigned char)(crc >> (8 * i));
        run(buf, n, step);
    }
    free(buf);
    return 0;
}

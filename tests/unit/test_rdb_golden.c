/* test_rdb_golden.c - files written by Debian's redis-server 7.0.15
 * (the .rdb files in tests/unit/rdb_fixtures, made by make_fixtures.sh) decode to
 * exactly what that server held (the .txt beside each, read back from the
 * server with its own commands): every key, element, score and TTL, and
 * the RDB type 7.0 uses for the OBJECT ENCODING it reported.  Then each
 * fixture goes through our writer and back, and is cut and corrupted.
 * Run from the repository root (make unit does). */
#include "tests/unit/unit.h"

#include <stdlib.h>

#include "persistence/rdb_read.h"
#include "persistence/rdb_write.h"
#include "tests/unit/rdb_text.h"

#define FIXDIR "tests/unit/rdb_fixtures/"

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = xmalloc(len > 0 ? (size_t)len : 1);
    *n = fread(p, 1, len > 0 ? (size_t)len : 0, f);
    fclose(f);
    return p;
}

struct ctx {
    struct rt_set set;
    int aux_ver_ok, functions, idle_keys, freq_keys, keys;
    uint64_t types_seen; /* bit per RDB type */
};

static const char *c_aux(void *c_, const char *k, size_t kl, const char *v, size_t vl)
{
    struct ctx *c = c_;
    if (kl == 9 && memcmp(k, "redis-ver", 9) == 0 && vl == 6 && memcmp(v, "7.0.15", 6) == 0)
        c->aux_ver_ok = 1;
    return NULL;
}

static const char *c_function(void *c_, const char *code, size_t n)
{
    struct ctx *c = c_;
    c->functions += n > 20 && memcmp(code, "#!lua name=fixturelib", 21) == 0;
    return NULL;
}

static const char *c_begin(void *c_, const struct rdb_key_info *k)
{
    struct ctx *c = c_;
    c->keys++;
    c->idle_keys += k->lru_idle >= 0;
    c->freq_keys += k->lfu_freq >= 0;
    c->types_seen |= 1ULL << k->type;
    return rt_begin(&c->set, k);
}

static const char *c_value(void *c, const char *p, size_t n)
{
    return rt_value(&((struct ctx *)c)->set, p, n);
}

static const char *c_zset(void *c, const char *p, size_t n, double s)
{
    return rt_zset(&((struct ctx *)c)->set, p, n, s);
}

static const char *c_hash(void *c, const char *f, size_t fl, const char *v, size_t vl)
{
    return rt_hash(&((struct ctx *)c)->set, f, fl, v, vl);
}

static const struct rdb_sink golden_sink = {
    .aux = c_aux, .function = c_function, .begin = c_begin, .string = c_value,
    .list_item = c_value, .set_member = c_value, .zset_member = c_zset, .hash_field = c_hash,
};

struct chunked {
    const unsigned char *p;
    size_t n, off, chunk;
};

static ssize_t chunked_read(void *ctx, void *buf, size_t n)
{
    struct chunked *c = ctx;
    size_t take = c->n - c->off;
    if (take > c->chunk)
        take = c->chunk;
    if (take > n)
        take = n;
    memcpy(buf, c->p + c->off, take);
    c->off += take;
    return (ssize_t)take;
}

/* Decode `name`.rdb and compare with `name`.txt.  Returns the ctx (for
 * further checks) with *res filled; NULL when a file is missing. */
static struct ctx *golden(const char *name, size_t chunk, struct rdb_read_result *res)
{
    char path[256];
    size_t n = 0;
    snprintf(path, sizeof(path), FIXDIR "%s.rdb", name);
    unsigned char *rdb = slurp(path, &n);
    if (!CHECK(rdb != NULL)) {
        fprintf(stderr, "    cannot read %s (run from the repository root)\n", path);
        return NULL;
    }
    struct rt_set want = {0};
    snprintf(path, sizeof(path), FIXDIR "%s.txt", name);
    if (!CHECK_EQ_INT(rt_parse_file(path, &want), 0)) {
        fprintf(stderr, "    %s\n", want.err);
        free(rdb);
        return NULL;
    }
    struct ctx *c = xcalloc(1, sizeof(*c));
    int rc;
    if (chunk) {
        struct chunked src = {rdb, n, 0, chunk};
        rc = rdb_read(chunked_read, &src, &golden_sink, c, NULL, res);
    } else {
        rc = rdb_read_mem(rdb, n, &golden_sink, c, NULL, res);
    }
    if (CHECK_EQ_INT(rc, 0)) {
        char *got = rt_render(&c->set, 1), *exp = rt_render(&want, 1);
        char diff[600];
        if (!CHECK(strcmp(got, exp) == 0)) {
            rt_diff(got, exp, diff, sizeof(diff));
            fprintf(stderr, "    %s: %s\n", name, diff);
        }
        CHECK_EQ_INT(res->bytes, n);
        CHECK_EQ_INT(res->version, 10);
        free(got);
        free(exp);
    } else {
        fprintf(stderr, "    %s: %s\n", name, res->err.msg);
    }
    rt_free(&want);
    free(rdb);
    return c;
}

static void ctx_free(struct ctx *c)
{
    if (c) {
        rt_free(&c->set);
        free(c);
    }
}

TEST(redis70_every_type_and_encoding)
{
    struct rdb_read_result res;
    struct ctx *c = golden("redis70_types", 0, &res);
    if (!c)
        return;
    CHECK_EQ_INT(res.checksum, RDB_SUM_VERIFIED);
    CHECK_EQ_INT(res.keys, 32);
    CHECK(c->aux_ver_ok);
    CHECK_EQ_INT(c->functions, 1);
    CHECK_EQ_INT(c->idle_keys + c->freq_keys, 0);
    /* The fixture really holds every encoding 7.0 writes. */
    int types[] = {RDB_TYPE_STRING, RDB_TYPE_SET, RDB_TYPE_HASH, RDB_TYPE_ZSET_2,
                   RDB_TYPE_SET_INTSET, RDB_TYPE_HASH_LISTPACK, RDB_TYPE_ZSET_LISTPACK,
                   RDB_TYPE_LIST_QUICKLIST_2};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (!CHECK(c->types_seen & (1ULL << types[i])))
            fprintf(stderr, "    type %d missing\n", types[i]);
    ctx_free(c);
    /* Streamed in odd-sized reads, the same. */
    ctx_free(golden("redis70_types", 3, &res));
    ctx_free(golden("redis70_types", 1000, &res));
}

TEST(redis70_lru_idle_and_zero_checksum)
{
    struct rdb_read_result res;
    struct ctx *c = golden("redis70_lru", 0, &res);
    if (!c)
        return;
    CHECK_EQ_INT(res.checksum, RDB_SUM_ZERO);
    CHECK_EQ_INT(c->idle_keys, c->keys);
    CHECK_EQ_INT(c->freq_keys, 0);
    ctx_free(c);
}

TEST(redis70_lfu_freq_uncompressed)
{
    struct rdb_read_result res;
    struct ctx *c = golden("redis70_lfu", 0, &res);
    if (!c)
        return;
    CHECK_EQ_INT(res.checksum, RDB_SUM_VERIFIED);
    CHECK_EQ_INT(c->freq_keys, c->keys);
    CHECK_EQ_INT(c->idle_keys, 0);
    ctx_free(c);
}

/* Our writer, fed what a fixture decodes to, produces a file that decodes
 * to the same data (plain encodings, no types compared). */
TEST(fixtures_rewritten_by_our_writer_read_back_the_same)
{
    const char *names[] = {"redis70_types", "redis70_lru", "redis70_lfu"};
    for (size_t f = 0; f < 3; f++) {
        char path[256];
        struct rt_set want = {0};
        snprintf(path, sizeof(path), FIXDIR "%s.txt", names[f]);
        if (!CHECK_EQ_INT(rt_parse_file(path, &want), 0))
            continue;
        struct rdb_buf b;
        rdb_buf_init(&b, RDB_COMPRESS | RDB_CHECKSUM);
        rdb_put_header(&b, RDB_VERSION_WRITE);
        rdb_put_aux_std(&b, "7.0.15", 0, 0, 0);
        char *want_text = rt_render(&want, 0);
        rt_encode(&want, &b, NULL, NULL);
        rdb_put_eof(&b);
        struct rt_set got = {0};
        struct rdb_read_result res;
        if (CHECK_EQ_INT(rdb_read_mem(b.p, b.len, &rt_sink, &got, NULL, &res), 0)) {
            char *got_text = rt_render(&got, 0);
            char diff[600];
            if (!CHECK(strcmp(got_text, want_text) == 0)) {
                rt_diff(got_text, want_text, diff, sizeof(diff));
                fprintf(stderr, "    %s: %s\n", names[f], diff);
            }
            free(got_text);
        } else {
            fprintf(stderr, "    %s: %s\n", names[f], res.err.msg);
        }
        free(want_text);
        rt_free(&got);
        rt_free(&want);
        rdb_buf_deinit(&b);
    }
}

/* Every prefix of a real file is refused; so is every single-byte change
 * (the CRC-64 footer catches what the parser lets through). */
TEST(redis70_file_cut_or_flipped_is_refused)
{
    size_t n = 0;
    unsigned char *rdb = slurp(FIXDIR "redis70_types.rdb", &n);
    if (!CHECK(rdb != NULL))
        return;
    int accepted = 0;
    for (size_t cut = 0; cut < n; cut += (cut < 2000 ? 1 : 37)) {
        unsigned char *t = xmalloc(cut ? cut : 1);
        memcpy(t, rdb, cut);
        struct rdb_read_result res;
        accepted += rdb_read_mem(t, cut, NULL, NULL, NULL, &res) == 0;
        free(t);
    }
    CHECK_EQ_INT(accepted, 0);
    unsigned char *t = xmalloc(n);
    for (size_t i = 0; i < n; i += (i < 3000 ? 1 : 13)) {
        memcpy(t, rdb, n);
        t[i] ^= (unsigned char)(0x5a + i);
        if (t[i] == rdb[i])
            t[i] ^= 1;
        struct rdb_read_result res;
        struct rt_set set = {0};
        accepted += rdb_read_mem(t, n, &rt_sink, &set, NULL, &res) == 0;
        rt_free(&set);
    }
    CHECK_EQ_INT(accepted, 0);
    free(t);
    free(rdb);
}

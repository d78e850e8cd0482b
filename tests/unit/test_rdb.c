/* test_rdb.c - RDB writer and reader: the exact bytes the writer produces,
 * round trips of every writer form through the reader (whole and in tiny
 * chunks), every encoding Redis 7.0 can leave in a file crafted by hand
 * (ziplist and zipmap hashes, quicklists, intsets, text scores, ...), and
 * hostile input: truncations, byte flips, huge lengths, refused types.
 * Files written by Redis itself are tested in test_rdb_golden.c. */
#include "tests/unit/unit.h"

#include <math.h>
#include <stdlib.h>

#include "persistence/crc64.h"
#include "persistence/rdb_read.h"
#include "persistence/rdb_write.h"
#include "tests/unit/rdb_blob_build.h"
#include "tests/unit/rdb_text.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* ---- helpers ---- */

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

/* Decode into a text rendering (malloc'd), or NULL with res->err set.
 * chunk 0: rdb_read_mem; else streamed chunk bytes at a time, size unknown. */
static char *decode(const unsigned char *p, size_t n, size_t chunk, struct rdb_read_result *res)
{
    struct rt_set set = {0};
    int rc;
    if (chunk == 0) {
        rc = rdb_read_mem(p, n, &rt_sink, &set, NULL, res);
    } else {
        struct chunked c = {p, n, 0, chunk};
        rc = rdb_read(chunked_read, &c, &rt_sink, &set, NULL, res);
    }
    char *out = rc == 0 ? rt_render(&set, 0) : NULL;
    rt_free(&set);
    return out;
}

/* Expect decoding to fail with a message containing `want`. */
static void expect_error(const unsigned char *p, size_t n, const char *want)
{
    struct rdb_read_result res;
    char *out = decode(p, n, 0, &res);
    if (!CHECK(out == NULL)) {
        free(out);
        return;
    }
    if (!CHECK(strstr(res.err.msg, want) != NULL))
        fprintf(stderr, "    message: %s\n    wanted:  %s\n", res.err.msg, want);
}

static void file_start(struct rdb_buf *b, int flags)
{
    rdb_buf_init(b, flags);
    rdb_put_header(b, RDB_VERSION_WRITE);
}

/* ---- exact bytes ---- */

static void check_len_bytes(uint64_t len, const char *want, size_t wn)
{
    struct rdb_buf b;
    rdb_buf_init(&b, 0);
    rdb_put_len(&b, len);
    CHECK_MEM(b.p, b.len, want, wn);
    rdb_buf_deinit(&b);
}

TEST(length_encoding_bytes)
{
    check_len_bytes(0, "\x00", 1);
    check_len_bytes(63, "\x3f", 1);
    check_len_bytes(64, "\x40\x40", 2);
    check_len_bytes(16383, "\x7f\xff", 2);
    check_len_bytes(16384, "\x80\x00\x00\x40\x00", 5);
    check_len_bytes(0xffffffffULL, "\x80\xff\xff\xff\xff", 5);
    check_len_bytes(0x100000000ULL, "\x81\x00\x00\x00\x01\x00\x00\x00\x00", 9);
    check_len_bytes(UINT64_MAX, "\x81\xff\xff\xff\xff\xff\xff\xff\xff", 9);
}

static const char *sel_seen_str;
static uint64_t sel_seen;
static const char *on_select(void *ctx, uint64_t db)
{
    (void)ctx;
    sel_seen = db;
    return sel_seen_str;
}

TEST(length_encoding_round_trips_at_boundaries)
{
    uint64_t vals[] = {0, 1, 63, 64, 16383, 16384, 0xffffffffULL, 0x100000000ULL,
                       UINT64_MAX - 1, UINT64_MAX};
    struct rdb_sink s = {.select_db = on_select};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        struct rdb_buf b;
        file_start(&b, RDB_CHECKSUM);
        rdb_put_select_db(&b, vals[i]);
        rdb_put_eof(&b);
        struct rdb_read_result res;
        sel_seen = 12345;
        CHECK_EQ_INT(rdb_read_mem(b.p, b.len, &s, NULL, NULL, &res), 0);
        CHECK(sel_seen == vals[i]);
        rdb_buf_deinit(&b);
    }
}

static void check_string_bytes(const char *s, int flags, const char *want, size_t wn)
{
    struct rdb_buf b;
    rdb_buf_init(&b, flags);
    rdb_put_string(&b, s, strlen(s));
    if (!CHECK_MEM(b.p, b.len, want, wn))
        fprintf(stderr, "    for \"%s\"\n", s);
    rdb_buf_deinit(&b);
}

TEST(string_forms_bytes)
{
    check_string_bytes("0", 0, "\xc0\x00", 2);
    check_string_bytes("-1", 0, "\xc0\xff", 2);
    check_string_bytes("127", 0, "\xc0\x7f", 2);
    check_string_bytes("-128", 0, "\xc0\x80", 2);
    check_string_bytes("128", 0, "\xc1\x80\x00", 3);
    check_string_bytes("-32768", 0, "\xc1\x00\x80", 3);
    check_string_bytes("32768", 0, "\xc2\x00\x80\x00\x00", 5);
    check_string_bytes("2147483647", 0, "\xc2\xff\xff\xff\x7f", 5);
    check_string_bytes("-2147483648", 0, "\xc2\x00\x00\x00\x80", 5);
    /* Not int-encodable: too big, not canonical, or not a number. */
    check_string_bytes("2147483648", 0, "\x0a" "2147483648", 11);
    check_string_bytes("007", 0, "\x03" "007", 4);
    check_string_bytes("-0", 0, "\x02" "-0", 3);
    check_string_bytes("+1", 0, "\x02" "+1", 3);
    check_string_bytes("", 0, "\x00", 1);
    /* 20 bytes is never compressed; 21 compressible bytes are. */
    check_string_bytes("aaaaaaaaaaaaaaaaaaaa", RDB_COMPRESS, "\x14" "aaaaaaaaaaaaaaaaaaaa", 21);
    struct rdb_buf b;
    rdb_buf_init(&b, RDB_COMPRESS);
    char a100[101];
    memset(a100, 'a', 100);
    a100[100] = 0;
    rdb_put_string(&b, a100, 100);
    CHECK(b.len < 20 && b.p[0] == 0xc3);
    rdb_buf_deinit(&b);
    check_string_bytes(a100, 0, "\x40\x64" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 102);
    /* Incompressible data is stored plain even with compression on. */
    unsigned char rndbuf[200];
    for (size_t i = 0; i < sizeof(rndbuf); i++)
        rndbuf[i] = (unsigned char)rnd();
    rdb_buf_init(&b, RDB_COMPRESS);
    rdb_put_string(&b, rndbuf, sizeof(rndbuf));
    CHECK_EQ_INT(b.len, 2 + sizeof(rndbuf));
    rdb_buf_deinit(&b);
}

TEST(file_structure_bytes)
{
    struct rdb_buf b;
    file_start(&b, RDB_CHECKSUM);
    rdb_put_aux(&b, "redis-ver", "7.0.15");
    rdb_put_aux_ll(&b, "redis-bits", 64);
    rdb_put_select_db(&b, 0);
    rdb_put_resize_db(&b, 1, 1);
    rdb_put_key(&b, RDB_TYPE_STRING, "k", 1, 0x0102030405060708LL);
    rdb_put_string(&b, "v", 1);
    rdb_put_eof(&b);
    static const char want[] =
        "REDIS0009"
        "\xfa\x09redis-ver\x06" "7.0.15"
        "\xfa\x0aredis-bits\xc0\x40"
        "\xfe\x00"
        "\xfb\x01\x01"
        "\xfc\x08\x07\x06\x05\x04\x03\x02\x01"
        "\x00\x01k\x01v"
        "\xff";
    size_t wn = sizeof(want) - 1;
    if (CHECK_EQ_INT(b.len, wn + 8)) {
        CHECK_MEM(b.p, wn, want, wn);
        uint64_t crc = crc64(0, want, wn), got = 0;
        for (int i = 7; i >= 0; i--)
            got = got << 8 | b.p[wn + (size_t)i];
        CHECK(got == crc);
    }
    rdb_buf_deinit(&b);
    /* rdbchecksum no: eight zero bytes. */
    file_start(&b, 0);
    rdb_put_eof(&b);
    CHECK_MEM(b.p, b.len, "REDIS0009\xff\0\0\0\0\0\0\0\0", 18);
    rdb_buf_deinit(&b);
}

/* ---- round trips ---- */

/* A dataset with every writer form: all types, TTLs, dbs, binary data,
 * int-encodable and compressible strings, special doubles.  The model
 * rendering is built alongside. */
static void write_dataset(struct rdb_buf *b, struct rt_set *model)
{
    static char big[5000], rndv[3000];
    memset(big, 'z', sizeof(big) - 1);
    for (size_t i = 0; i < sizeof(rndv); i++)
        rndv[i] = (char)rnd();
    rdb_put_aux_std(b, "7.0.15", 1700000000, 123456, 0);
    struct rt_str el = {0};
#define KEY(db_, kind_, type_, name_, nlen_, exp_)                                    \
    do {                                                                              \
        struct rt_key *k_ = rt_add_key(model);                                        \
        k_->db = db_, k_->kind = kind_, k_->name = xmemdup(name_, nlen_);             \
        k_->nlen = nlen_, k_->expire = exp_;                                          \
        rdb_put_key(b, type_, name_, nlen_, exp_);                                    \
    } while (0)
#define EL(...)                                                                        \
    do {                                                                              \
        el.p = NULL, el.len = el.cap = 0;                                             \
        __VA_ARGS__;                                                                  \
        rt_add_el(&model->k[model->n - 1], el.p);                                     \
    } while (0)
    for (uint64_t db = 0; db < 3; db += 2) {
        rdb_put_select_db(b, db);
        rdb_put_resize_db(b, 7, 2);
        const char *strs[] = {"0", "-1", "12345", "2147483648", "hello", "", big};
        for (size_t i = 0; i < 7; i++) {
            char name[32];
            snprintf(name, sizeof(name), "str:%zu", i);
            KEY(db, RDB_KIND_STRING, RDB_TYPE_STRING, name, strlen(name),
                i == 2 ? 4102444800000LL : RDB_NO_EXPIRE);
            rdb_put_string(b, strs[i], strlen(strs[i]));
            EL(rt_puts(&el, "v ", 2); rt_escape(&el, strs[i], strlen(strs[i])));
        }
        KEY(db, RDB_KIND_STRING, RDB_TYPE_STRING, "bin\0key\xff", 8, -5);
        rdb_put_string(b, rndv, sizeof(rndv));
        EL(rt_puts(&el, "v ", 2); rt_escape(&el, rndv, sizeof(rndv)));

        KEY(db, RDB_KIND_LIST, RDB_TYPE_LIST, "list", 4, 1);
        rdb_put_len(b, 300);
        for (int i = 0; i < 300; i++) {
            char v[64];
            int l = snprintf(v, sizeof(v), i % 3 ? "item-%d-xxxxxxxxxxxxxxxxxxxxxxxx" : "%d", i - 150);
            rdb_put_string(b, v, (size_t)l);
            EL(rt_puts(&el, "v ", 2); rt_escape(&el, v, (size_t)l));
        }
        KEY(db, RDB_KIND_SET, RDB_TYPE_SET, "set", 3, RDB_NO_EXPIRE);
        rdb_put_len(b, 100);
        for (int i = 0; i < 100; i++) {
            char v[32];
            int l = snprintf(v, sizeof(v), i % 2 ? "m%d" : "%d", i * 1000003);
            rdb_put_string(b, v, (size_t)l);
            EL(rt_puts(&el, "v ", 2); rt_escape(&el, v, (size_t)l));
        }
        KEY(db, RDB_KIND_ZSET, RDB_TYPE_ZSET_2, "zset", 4, RDB_NO_EXPIRE);
        double scores[] = {0, -0.5, 1e300, -INFINITY, INFINITY, 3.141592653589793, 1e-310};
        rdb_put_len(b, 7);
        for (int i = 0; i < 7; i++) {
            char v[32];
            int l = snprintf(v, sizeof(v), "member%d", i);
            rdb_put_string(b, v, (size_t)l);
            rdb_put_double(b, scores[i]);
            EL(rt_puts(&el, "z ", 2); rt_escape(&el, v, (size_t)l); rt_putc(&el, ' ');
               rt_score(&el, scores[i]));
        }
        KEY(db, RDB_KIND_HASH, RDB_TYPE_HASH, "hash", 4, RDB_NO_EXPIRE);
        rdb_put_len(b, 50);
        for (int i = 0; i < 50; i++) {
            char f[32], v[64];
            int fl = snprintf(f, sizeof(f), "field%d", i);
            int vl = snprintf(v, sizeof(v), i % 2 ? "%d" : "value-%d-aaaaaaaaaaaaaaaaaaaaaaaaa", i);
            rdb_put_string(b, f, (size_t)fl);
            rdb_put_string(b, v, (size_t)vl);
            EL(rt_puts(&el, "h ", 2); rt_escape(&el, f, (size_t)fl); rt_putc(&el, ' ');
               rt_escape(&el, v, (size_t)vl));
        }
    }
#undef KEY
#undef EL
}

TEST(round_trip_every_writer_form)
{
    for (int flags = 0; flags < 4; flags++) {
        struct rdb_buf b;
        struct rt_set model = {0};
        file_start(&b, flags);
        write_dataset(&b, &model);
        rdb_put_eof(&b);
        char *want = rt_render(&model, 0);
        size_t chunks[] = {0, 1, 7, 4096};
        for (size_t c = 0; c < 4; c++) {
            struct rdb_read_result res;
            char *got = decode(b.p, b.len, chunks[c], &res);
            if (!CHECK(got != NULL)) {
                fprintf(stderr, "    flags %d chunk %zu: %s\n", flags, chunks[c], res.err.msg);
                continue;
            }
            char diff[600];
            if (!CHECK(strcmp(got, want) == 0)) {
                rt_diff(got, want, diff, sizeof(diff));
                fprintf(stderr, "    flags %d chunk %zu: %s\n", flags, chunks[c], diff);
            }
            CHECK_EQ_INT(res.keys, model.n);
            CHECK_EQ_INT(res.bytes, b.len);
            CHECK_EQ_INT(res.version, 9);
            CHECK_EQ_INT(res.checksum, (flags & RDB_CHECKSUM) ? RDB_SUM_VERIFIED : RDB_SUM_ZERO);
            free(got);
        }
        free(want);
        rt_free(&model);
        rdb_buf_deinit(&b);
    }
}

static ssize_t sink_write(void *ctx, const void *p, size_t n)
{
    struct tbuf *t = ctx;
    size_t take = n > 1000 ? 1000 : n; /* short writes */
    tb_put(t, p, take);
    return (ssize_t)take;
}

TEST(chunked_writing_gives_the_same_file)
{
    struct rdb_buf whole, parts;
    struct rt_set m1 = {0}, m2 = {0};
    uint64_t saved = rng_state;
    file_start(&whole, RDB_COMPRESS | RDB_CHECKSUM);
    write_dataset(&whole, &m1);
    rdb_put_eof(&whole);
    rng_state = saved;
    /* Same data, drained whenever more than a little is pending. */
    struct tbuf out = {0};
    file_start(&parts, RDB_COMPRESS | RDB_CHECKSUM);
    CHECK_EQ_INT(rdb_buf_drain(&parts, sink_write, &out), 0);
    write_dataset(&parts, &m2);
    CHECK_EQ_INT(rdb_buf_drain(&parts, sink_write, &out), 0);
    CHECK(rdb_buf_offset(&parts) == out.len);
    rdb_put_eof(&parts);
    CHECK_EQ_INT(rdb_buf_drain(&parts, sink_write, &out), 0);
    CHECK_MEM(out.p, out.len, whole.p, whole.len);
    free(out.p);
    rt_free(&m1);
    rt_free(&m2);
    rdb_buf_deinit(&whole);
    rdb_buf_deinit(&parts);
}

/* The snapshot sweep's form: strings copied plain under the lock, framed
 * and compressed after it.  The same calls in the same order give the
 * same bytes as compressing in place. */
TEST(deferred_compression_gives_the_same_bytes)
{
    struct rdb_buf whole, copied, out;
    struct rt_set m1 = {0}, m2 = {0};
    uint64_t saved = rng_state;
    file_start(&whole, RDB_COMPRESS);
    write_dataset(&whole, &m1);
    rng_state = saved;
    file_start(&copied, RDB_COMPRESS | RDB_DEFER);
    write_dataset(&copied, &m2);
    CHECK(copied.ndefer > 10);
    rdb_buf_init(&out, RDB_COMPRESS);
    rdb_buf_compress(&copied, &out);
    CHECK_EQ_INT(copied.len, 0);
    CHECK_EQ_INT(copied.ndefer, 0);
    CHECK_MEM(out.p, out.len, whole.p, whole.len);
    rdb_buf_compress(&copied, &out); /* empty: appends nothing */
    CHECK_MEM(out.p, out.len, whole.p, whole.len);
    rt_free(&m1);
    rt_free(&m2);
    rdb_buf_deinit(&whole);
    rdb_buf_deinit(&copied);
    rdb_buf_deinit(&out);
}

/* ---- hand-crafted encodings Redis 7.0 reads but does not write ---- */

static void put_blob(struct rdb_buf *b, struct tbuf t)
{
    rdb_put_string(b, t.p, t.len);
    free(t.p);
}

TEST(every_legacy_encoding_decodes)
{
    struct rdb_buf b;
    file_start(&b, RDB_CHECKSUM | RDB_COMPRESS);
    const char *hkv[] = {"f1", "v1", "n", "-77", "big", "12345678901234"};
    rdb_put_key(&b, RDB_TYPE_HASH_ZIPLIST, "h:zl", 4, RDB_NO_EXPIRE);
    put_blob(&b, zl_build(hkv, NULL, 6));
    rdb_put_key(&b, RDB_TYPE_HASH_ZIPMAP, "h:zm", 4, RDB_NO_EXPIRE);
    put_blob(&b, zm_build(hkv, 3, 2));
    rdb_put_key(&b, RDB_TYPE_HASH_LISTPACK, "h:lp", 4, RDB_NO_EXPIRE);
    put_blob(&b, lp_build(hkv, NULL, 6));
    const char *items[] = {"a", "1", "-70000", "b"};
    rdb_put_key(&b, RDB_TYPE_LIST_ZIPLIST, "l:zl", 4, RDB_NO_EXPIRE);
    put_blob(&b, zl_build(items, NULL, 4));
    rdb_put_key(&b, RDB_TYPE_LIST_QUICKLIST, "l:ql", 4, RDB_NO_EXPIRE);
    rdb_put_len(&b, 2);
    put_blob(&b, zl_build(items, NULL, 4));
    put_blob(&b, zl_build(items, NULL, 2));
    rdb_put_key(&b, RDB_TYPE_LIST_QUICKLIST_2, "l:ql2", 5, RDB_NO_EXPIRE);
    rdb_put_len(&b, 3);
    rdb_put_len(&b, RDB_QUICKLIST_PACKED);
    put_blob(&b, lp_build(items, NULL, 4));
    rdb_put_len(&b, RDB_QUICKLIST_PLAIN);
    rdb_put_string(&b, "a plain node holding one big element", 36);
    rdb_put_len(&b, RDB_QUICKLIST_PACKED);
    put_blob(&b, lp_build(items + 3, NULL, 1));
    int64_t iv[] = {-3, 0, 70000, 5000000000LL};
    rdb_put_key(&b, RDB_TYPE_SET_INTSET, "s:is", 4, RDB_NO_EXPIRE);
    put_blob(&b, is_build(iv, 4));
    rdb_put_key(&b, RDB_TYPE_SET_LISTPACK, "s:lp", 4, RDB_NO_EXPIRE);
    put_blob(&b, lp_build(items, NULL, 4));
    const char *zs[] = {"m1", "1.5", "m2", "-3", "m3", "inf", "m4", "-inf", "m5", "1e-5"};
    rdb_put_key(&b, RDB_TYPE_ZSET_ZIPLIST, "z:zl", 4, RDB_NO_EXPIRE);
    put_blob(&b, zl_build(zs, NULL, 10));
    rdb_put_key(&b, RDB_TYPE_ZSET_LISTPACK, "z:lp", 4, RDB_NO_EXPIRE);
    put_blob(&b, lp_build(zs, NULL, 10));
    /* ZSET (3): scores as text; 254 / 255 are +inf / -inf. */
    rdb_put_key(&b, RDB_TYPE_ZSET, "z:old", 5, RDB_NO_EXPIRE);
    rdb_put_len(&b, 3);
    rdb_put_string(&b, "a", 1);
    rdb_put_raw(&b, "\x04" "2.25", 5);
    rdb_put_string(&b, "b", 1);
    rdb_put_raw(&b, "\xfe", 1);
    rdb_put_string(&b, "c", 1);
    rdb_put_raw(&b, "\xff", 1);
    /* EXPIRETIME in seconds, IDLE and FREQ before a key. */
    rdb_put_raw(&b, "\xfd\x10\x00\x00\x00", 5);
    rdb_put_idle(&b, 1000);
    rdb_put_freq(&b, 7);
    rdb_put_key(&b, RDB_TYPE_STRING, "secs", 4, RDB_NO_EXPIRE);
    rdb_put_string(&b, "x", 1);
    rdb_put_eof(&b);

    struct rdb_read_result res;
    char *got = decode(b.p, b.len, 0, &res);
    static const char want[] =
        "key 0 hash h:lp - n=3\nh big 12345678901234\nh f1 v1\nh n -77\n"
        "key 0 hash h:zl - n=3\nh big 12345678901234\nh f1 v1\nh n -77\n"
        "key 0 hash h:zm - n=3\nh big 12345678901234\nh f1 v1\nh n -77\n"
        "key 0 list l:ql - n=6\nv a\nv 1\nv -70000\nv b\nv a\nv 1\n"
        "key 0 list l:ql2 - n=6\nv a\nv 1\nv -70000\nv b\nv a%20plain%20node%20holding%20one"
        "%20big%20element\nv b\n"
        "key 0 list l:zl - n=4\nv a\nv 1\nv -70000\nv b\n"
        "key 0 set s:is - n=4\nv -3\nv 0\nv 5000000000\nv 70000\n"
        "key 0 set s:lp - n=4\nv -70000\nv 1\nv a\nv b\n"
        "key 0 string secs 16000 n=1\nv x\n"
        "key 0 zset z:lp - n=5\nz m1 1.5\nz m2 -3\nz m3 inf\nz m4 -inf\nz m5 1.0000000000000001e-05\n"
        "key 0 zset z:old - n=3\nz a 2.25\nz b inf\nz c -inf\n"
        "key 0 zset z:zl - n=5\nz m1 1.5\nz m2 -3\nz m3 inf\nz m4 -inf\nz m5 1.0000000000000001e-05\n";
    if (CHECK(got != NULL)) {
        char diff[600];
        if (!CHECK(strcmp(got, want) == 0)) {
            rt_diff(got, want, diff, sizeof(diff));
            fprintf(stderr, "    %s\n", diff);
        }
    } else {
        fprintf(stderr, "    %s\n", res.err.msg);
    }
    free(got);
    rdb_buf_deinit(&b);
}

static int64_t ki_idle, ki_count;
static int ki_freq;
static const char *on_begin_info(void *ctx, const struct rdb_key_info *k)
{
    (void)ctx;
    ki_idle = k->lru_idle, ki_freq = k->lfu_freq, ki_count = (int64_t)k->count;
    return NULL;
}

TEST(key_info_fields)
{
    struct rdb_buf b;
    file_start(&b, RDB_CHECKSUM);
    rdb_put_idle(&b, 1000);
    rdb_put_freq(&b, 7);
    rdb_put_key(&b, RDB_TYPE_SET, "s", 1, RDB_NO_EXPIRE);
    rdb_put_len(&b, 2);
    rdb_put_string(&b, "a", 1);
    rdb_put_string(&b, "b", 1);
    rdb_put_eof(&b);
    struct rdb_sink s = {.begin = on_begin_info};
    struct rdb_read_result res;
    CHECK_EQ_INT(rdb_read_mem(b.p, b.len, &s, NULL, NULL, &res), 0);
    CHECK_EQ_INT(ki_idle, 1000);
    CHECK_EQ_INT(ki_freq, 7);
    CHECK_EQ_INT(ki_count, 2);
    rdb_buf_deinit(&b);
}

/* ---- hostile input ---- */

TEST(header_and_version)
{
    struct rdb_read_result res;
    char *out = decode((const unsigned char *)"REDIS0010\xff\0\0\0\0\0\0\0\0", 18, 0, &res);
    CHECK(out != NULL);
    free(out);
    out = decode((const unsigned char *)"REDIS0004\xff", 10, 0, &res); /* no footer before 5 */
    CHECK(out != NULL && res.checksum == RDB_SUM_NONE && res.version == 4);
    free(out);
    expect_error((const unsigned char *)"REDIS0011\xff", 10,
                 "offset 5: RDB version 11 is newer than Cachet can read (up to 10, as Redis 7.0)");
    expect_error((const unsigned char *)"REDIX0009\xff", 10,
                 "offset 0: not an RDB file: expected \"REDIS\", found 'REDIX'");
    expect_error((const unsigned char *)"REDIS00a9\xff", 10,
                 "offset 5: expected a 4-digit RDB version, found '00a9'");
    expect_error((const unsigned char *)"REDIS0000\xff", 10, "offset 5: RDB version 0");
    expect_error((const unsigned char *)"RED", 3,
                 "offset 0: expected the 9-byte header \"REDIS\" + version, found end of file");
    expect_error((const unsigned char *)"", 0, "offset 0: expected the 9-byte header");
    expect_error((const unsigned char *)"REDIS0009", 9,
                 "offset 9: expected an entry type or opcode, found end of file");
    expect_error((const unsigned char *)"REDIS0009\xff\0\0", 12,
                 "offset 10: expected the 8-byte checksum after the EOF marker, found end of file");
}

TEST(checksum_mismatch_names_both_values)
{
    struct rdb_buf b;
    file_start(&b, RDB_CHECKSUM);
    rdb_put_key(&b, RDB_TYPE_STRING, "k", 1, RDB_NO_EXPIRE);
    rdb_put_string(&b, "value", 5);
    rdb_put_eof(&b);
    uint64_t good = crc64(0, b.p, b.len - 8);
    b.p[b.len - 8] ^= 1;
    char want[128];
    snprintf(want, sizeof(want),
             "offset %zu: checksum mismatch: file says 0x%016llx, computed 0x%016llx", b.len - 8,
             (unsigned long long)(good ^ 1), (unsigned long long)good);
    expect_error(b.p, b.len, want);
    b.p[b.len - 8] ^= 1;
    b.p[b.len - 11] ^= 0x20; /* a byte of "value": still parses, CRC catches it */
    expect_error(b.p, b.len, "checksum mismatch");
    rdb_buf_deinit(&b);
}

TEST(every_truncation_fails_cleanly)
{
    struct rdb_buf b;
    struct rt_set model = {0};
    file_start(&b, RDB_CHECKSUM | RDB_COMPRESS);
    write_dataset(&b, &model);
    rdb_put_eof(&b);
    rt_free(&model);
    long failures_ok = 0;
    for (size_t cut = 0; cut < b.len; cut++) {
        unsigned char *t = xmalloc(cut ? cut : 1); /* exact size: ASan sees overreads */
        memcpy(t, b.p, cut);
        for (int mode = 0; mode < 2; mode++) {
            struct rdb_read_result res;
            char *out = decode(t, cut, mode ? 5 : 0, &res);
            if (!CHECK(out == NULL)) {
                free(out);
                continue;
            }
            /* Streamed (size unknown): the read runs into the end; in memory
             * a length may already be seen to exceed what is left. */
            failures_ok += strstr(res.err.msg, "found end of file") != NULL ||
                           (!mode && strstr(res.err.msg, "left") != NULL);
        }
        free(t);
    }
    CHECK_EQ_INT(failures_ok, 2 * (long)b.len);
    rdb_buf_deinit(&b);
}

TEST(random_byte_flips_never_crash)
{
    for (int sum = 0; sum < 2; sum++) {
        struct rdb_buf b;
        struct rt_set model = {0};
        file_start(&b, RDB_COMPRESS | (sum ? RDB_CHECKSUM : 0));
        write_dataset(&b, &model);
        rdb_put_eof(&b);
        rt_free(&model);
        unsigned char *t = xmalloc(b.len);
        int ok = 0, bad_msg = 0;
        for (int i = 0; i < 3000; i++) {
            memcpy(t, b.p, b.len);
            int flips = 1 + (int)(rnd() % 3);
            for (int f = 0; f < flips; f++)
                t[rnd() % b.len] ^= (unsigned char)(1 + rnd() % 255);
            struct rdb_read_result res;
            char *out = decode(t, b.len, i % 2 ? 0 : 64, &res);
            if (out) {
                ok++;
                free(out);
            } else {
                bad_msg += strncmp(res.err.msg, "offset ", 7) != 0 &&
                           strncmp(res.err.msg, "key '", 5) != 0;
            }
        }
        CHECK_EQ_INT(bad_msg, 0);
        if (sum)
            CHECK_EQ_INT(ok, 0); /* CRC-64 catches every 1-3 byte corruption */
        free(t);
        rdb_buf_deinit(&b);
    }
}

TEST(huge_lengths_allocate_nothing_big)
{
    /* A string claiming 2^40 bytes in a tiny file. */
    static const unsigned char s40[] = "REDIS0009\x00\x01k\x81\x00\x00\x01\x00\x00\x00\x00\x00" "abc";
    expect_error(s40, sizeof(s40) - 1,
                 "offset 12: key 'k' (string): a string value claims 1099511627776 bytes, "
                 "only 3 are left in the file");
    struct rdb_read_result res;
    char *out = decode(s40, sizeof(s40) - 1, 2, &res); /* streamed: size unknown */
    CHECK(out == NULL && strstr(res.err.msg, "over the 536870912-byte limit"));
    struct rdb_read_opts big = {.max_string = 1ULL << 41};
    struct chunked c = {s40, sizeof(s40) - 1, 0, 3};
    CHECK_EQ_INT(rdb_read(chunked_read, &c, NULL, NULL, &big, &res), -1);
    CHECK_EQ_STR(res.err.msg, "offset 21: key 'k' (string): expected a string value of "
                              "1099511627776 bytes, found end of file after 3");
    /* A list claiming 2^40 elements. */
    static const unsigned char l40[] = "REDIS0009\x01\x01l\x81\x00\x00\x01\x00\x00\x00\x00\x00\x01x";
    expect_error(l40, sizeof(l40) - 1, "claims 1099511627776 elements, more than the 2 bytes");
    out = decode(l40, sizeof(l40) - 1, 1, &res);
    CHECK(out == NULL && strstr(res.err.msg, "expected an element, found end of file"));
    /* LZF claiming 1 GB from 3 compressed bytes, and LZF garbage. */
    static const unsigned char z[] = "REDIS0009\x00\x01k\xc3\x03\x80\x40\x00\x00\x00\x00" "ab";
    expect_error(z, sizeof(z) - 1, "LZF string of 1073741824 bytes cannot come from 3");
    static const unsigned char zg[] = "REDIS0009\x00\x01k\xc3\x03\x05\x00" "a\x20\x07";
    expect_error(zg, sizeof(zg) - 1, "offset 12: key 'k' (string): invalid LZF data");
}

static const char *on_function_seen;
static const char *on_function(void *ctx, const char *code, size_t n)
{
    (void)ctx;
    on_function_seen = n == 4 && memcmp(code, "code", 4) == 0 ? "yes" : "wrong";
    return NULL;
}

TEST(refused_and_unknown_types)
{
    struct rdb_buf b;
    file_start(&b, 0);
    rdb_put_aux(&b, "a", "b");
    size_t at = b.len;
    rdb_put_key(&b, RDB_TYPE_STREAM_LISTPACKS_2, "events", 6, 5);
    char want[128];
    snprintf(want, sizeof(want), "key 'events' at offset %zu is a stream: Cachet cannot load streams", at);
    expect_error(b.p, b.len, want);
    rdb_buf_deinit(&b);

    file_start(&b, 0);
    rdb_put_key(&b, RDB_TYPE_MODULE_2, "m\n", 2, RDB_NO_EXPIRE);
    expect_error(b.p, b.len,
                 "key 'm\\x0a' at offset 9 is a module value: Cachet cannot load module values");
    rdb_buf_deinit(&b);

    expect_error((const unsigned char *)"REDIS0009\xf7\x01", 11,
                 "offset 9: module auxiliary data (opcode 247)");
    expect_error((const unsigned char *)"REDIS0009\xf6\x01", 11, "offset 9: functions saved by a "
                 "Redis 7.0 release candidate (opcode 246): Cachet cannot load them");
    expect_error((const unsigned char *)"REDIS0009\x08\x01k", 12, "offset 9: unknown entry type 8");

    /* FUNCTION2 is read past (and offered to the sink). */
    file_start(&b, RDB_CHECKSUM);
    rdb_put_raw(&b, "\xf5", 1);
    rdb_put_string(&b, "code", 4);
    rdb_put_key(&b, RDB_TYPE_STRING, "k", 1, RDB_NO_EXPIRE);
    rdb_put_string(&b, "v", 1);
    rdb_put_eof(&b);
    struct rdb_sink s = {.function = on_function};
    struct rdb_read_result res;
    on_function_seen = NULL;
    CHECK_EQ_INT(rdb_read_mem(b.p, b.len, &s, NULL, NULL, &res), 0);
    CHECK_EQ_STR(on_function_seen, "yes");
    CHECK_EQ_INT(res.keys, 1);
    rdb_buf_deinit(&b);
}

static const char *dup_field(void *ctx, const char *f, size_t fl, const char *v, size_t vl)
{
    (void)ctx, (void)v, (void)vl;
    return fl == 1 && f[0] == 'b' ? "duplicate field" : NULL;
}

TEST(sink_errors_and_bad_values_name_the_key)
{
    struct rdb_buf b;
    file_start(&b, 0);
    rdb_put_key(&b, RDB_TYPE_HASH, "h", 1, RDB_NO_EXPIRE);
    rdb_put_len(&b, 2);
    rdb_put_string(&b, "a", 1);
    rdb_put_string(&b, "1", 1);
    rdb_put_string(&b, "b", 1);
    rdb_put_string(&b, "2", 1);
    rdb_put_eof(&b);
    struct rdb_sink s = {.hash_field = dup_field};
    struct rdb_read_result res;
    CHECK_EQ_INT(rdb_read_mem(b.p, b.len, &s, NULL, NULL, &res), -1);
    CHECK_EQ_STR(res.err.msg, "offset 17: key 'h' (hash): duplicate field");
    rdb_buf_deinit(&b);

    /* A blob that fails its check. */
    const char *kv[] = {"f", "v"};
    struct tbuf lp = lp_build(kv, NULL, 2);
    lp.p[4] = 3;
    file_start(&b, 0);
    rdb_put_key(&b, RDB_TYPE_HASH_LISTPACK, "hl", 2, RDB_NO_EXPIRE);
    rdb_put_string(&b, lp.p, lp.len);
    expect_error(b.p, b.len, "offset 13: key 'hl' (hash): listpack header counts 3 entries, it holds 2");
    rdb_buf_deinit(&b);
    free(lp.p);

    /* Odd entry count for a hash, a zset score that is not a number. */
    const char *odd[] = {"f", "v", "g"};
    lp = lp_build(odd, NULL, 3);
    file_start(&b, 0);
    rdb_put_key(&b, RDB_TYPE_HASH_LISTPACK, "h", 1, RDB_NO_EXPIRE);
    rdb_put_string(&b, lp.p, lp.len);
    expect_error(b.p, b.len, "listpack of a hash holds an odd number of entries (3)");
    rdb_buf_deinit(&b);
    free(lp.p);
    const char *zbad[] = {"m", "abc"};
    lp = lp_build(zbad, NULL, 2);
    file_start(&b, 0);
    rdb_put_key(&b, RDB_TYPE_ZSET_LISTPACK, "z", 1, RDB_NO_EXPIRE);
    rdb_put_string(&b, lp.p, lp.len);
    expect_error(b.p, b.len, "key 'z' (zset): zset score 'abc' is not a number");
    rdb_buf_deinit(&b);
    free(lp.p);

    /* NaN scores, binary and text. */
    file_start(&b, 0);
    rdb_put_key(&b, RDB_TYPE_ZSET_2, "z", 1, RDB_NO_EXPIRE);
    rdb_put_len(&b, 1);
    rdb_put_string(&b, "m", 1);
    rdb_put_double(&b, NAN);
    expect_error(b.p, b.len, "offset 15: key 'z' (zset): zset score is NaN");
    rdb_buf_deinit(&b);
    expect_error((const unsigned char *)"REDIS0009\x03\x01z\x01\x01m\xfd", 17, "zset score is NaN");

    /* Length and string encodings that do not exist. */
    expect_error((const unsigned char *)"REDIS0009\xfe\x82", 11,
                 "offset 10: expected a database number, found an unknown length encoding 0x82");
    expect_error((const unsigned char *)"REDIS0009\xfe\xc0", 11,
                 "offset 10: expected a database number, found a string encoding byte 0xc0");
    expect_error((const unsigned char *)"REDIS0009\x00\x01k\xc4", 13,
                 "offset 12: key 'k' (string): expected a string value, found an unknown string "
                 "encoding 4");
    /* Quicklist nodes: unknown container, empty node. */
    expect_error((const unsigned char *)"REDIS0009\x12\x01l\x01\x03\x01x", 16,
                 "offset 13: key 'l' (list): quicklist node container 3 is neither");
    expect_error((const unsigned char *)"REDIS0009\x12\x01l\x01\x01\x00", 15,
                 "offset 14: key 'l' (list): quicklist node 0 is empty");
}

/* test_rdb_codec.c - the building blocks of the RDB format: CRC-64, LZF,
 * and the compact blob encodings (ziplist, listpack, intset, zipmap) as the
 * reader checks and walks them.  File-level RDB tests are in test_rdb.c,
 * Redis-written golden files in test_rdb_golden.c. */
#include "tests/unit/unit.h"

#include <stdint.h>
#include <stdlib.h>

#include "persistence/crc64.h"
#include "persistence/lzf.h"
#include "persistence/rdb_blobs.h"
#include "tests/unit/rdb_blob_build.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* ---- CRC-64 ---- */

static uint64_t crc64_bitwise(uint64_t crc, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc & 1) ? (crc >> 1) ^ 0x95ac9329ac4bc9b5ULL : crc >> 1;
    }
    return crc;
}

TEST(crc64_vector)
{
    CHECK(crc64(0, "123456789", 9) == 0xe9c6d914c4b8d9caULL);
    CHECK(crc64(0, "", 0) == 0);
    /* 0x95ac... is the Jones polynomial 0xad93d23594c935a9 bit-reversed. */
    uint64_t p = 0xad93d23594c935a9ULL, r = 0;
    for (int i = 0; i < 64; i++)
        r |= ((p >> i) & 1) << (63 - i);
    CHECK(r == 0x95ac9329ac4bc9b5ULL);
}

TEST(crc64_matches_bitwise_at_every_length_and_alignment)
{
    unsigned char buf[300];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)rnd();
    int bad = 0;
    for (size_t start = 0; start < 9; start++)
        for (size_t n = 0; start + n <= sizeof(buf); n++)
            bad += crc64(7, buf + start, n) != crc64_bitwise(7, buf + start, n);
    CHECK_EQ_INT(bad, 0);
}

TEST(crc64_incremental_equals_one_shot)
{
    unsigned char buf[5000];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)rnd();
    uint64_t whole = crc64(0, buf, sizeof(buf));
    for (int t = 0; t < 50; t++) {
        uint64_t c = 0;
        size_t off = 0;
        while (off < sizeof(buf)) {
            size_t n = rnd() % 700;
            if (n > sizeof(buf) - off)
                n = sizeof(buf) - off;
            c = crc64(c, buf + off, n);
            off += n;
        }
        CHECK(c == whole);
    }
}

/* ---- LZF ---- */

static void lzf_roundtrip(const unsigned char *in, size_t n, int expect_smaller)
{
    uint32_t *ht = xcalloc(LZF_HTAB_SIZE, sizeof(uint32_t));
    size_t cap = n + n / 16 + 64;
    unsigned char *c = xmalloc(cap), *d = xmalloc(n + 1);
    size_t cl = lzf_compress(in, n, c, cap, ht);
    if (CHECK(cl > 0)) {
        if (expect_smaller)
            CHECK(cl < n);
        CHECK_EQ_INT(lzf_decompress(c, cl, d, n), (long long)n);
        CHECK_MEM(d, n, in, n);
        /* One byte too little room for the output fails cleanly. */
        CHECK_EQ_INT(lzf_decompress(c, cl, d, n - 1), -1);
        /* A too-small compression target fails instead of overflowing. */
        CHECK_EQ_INT(lzf_compress(in, n, c, cl - 1, ht), 0);
    }
    free(ht);
    free(c);
    free(d);
}

TEST(lzf_roundtrips)
{
    static unsigned char buf[200000];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)('a' + (i % 7) + (i / 5000) % 3);
    lzf_roundtrip(buf, sizeof(buf), 1);
    memset(buf, 0, sizeof(buf));
    lzf_roundtrip(buf, sizeof(buf), 1); /* long runs: 264-byte references */
    for (size_t n = 1; n < 600; n += 7) {
        for (size_t i = 0; i < n; i++)
            buf[i] = (unsigned char)"abcab"[rnd() % 5];
        lzf_roundtrip(buf, n, 0);
    }
    /* Text with matches more than 8 KB back (outside the window). */
    for (size_t i = 0; i < 40000; i++)
        buf[i] = (unsigned char)(i < 20000 ? rnd() : buf[i - 20000]);
    lzf_roundtrip(buf, 40000, 0);
}

TEST(lzf_incompressible)
{
    unsigned char in[4096], out[4096];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (unsigned char)rnd();
    uint32_t *ht = xcalloc(LZF_HTAB_SIZE, sizeof(uint32_t));
    /* The RDB writer asks for a saving of 4 bytes: random data never has it. */
    CHECK_EQ_INT(lzf_compress(in, sizeof(in), out, sizeof(in) - 4, ht), 0);
    CHECK_EQ_INT(lzf_compress(in, 0, out, sizeof(out), ht), 0);
    free(ht);
    lzf_roundtrip(in, sizeof(in), 0); /* with room, it still round-trips */
}

TEST(lzf_decompress_hostile)
{
    unsigned char out[64];
    /* literal run longer than the input */
    CHECK_EQ_INT(lzf_decompress("\x05" "ab", 3, out, sizeof(out)), -1);
    /* back reference before the start of the output */
    CHECK_EQ_INT(lzf_decompress("\x00" "a" "\x20\x05", 4, out, sizeof(out)), -1);
    /* back reference missing its offset byte, and its length byte */
    CHECK_EQ_INT(lzf_decompress("\x00" "a" "\x20", 3, out, sizeof(out)), -1);
    CHECK_EQ_INT(lzf_decompress("\x00" "a" "\xe0\x01", 4, out, sizeof(out)), -1);
    /* valid: "a" then copy 3 bytes from 1 back -> "aaaa" */
    CHECK_EQ_INT(lzf_decompress("\x00" "a" "\x20\x00", 4, out, sizeof(out)), 4);
    CHECK_MEM_STR(out, 4, "aaaa");
    CHECK_EQ_INT(lzf_decompress("\x00" "a" "\x20\x00", 4, out, 3), -1);
    CHECK_EQ_INT(lzf_decompress("", 0, NULL, 0), 0);
    /* Random garbage: whatever it returns, ASan sees no stray access
     * (exact-size heap buffers on both sides). */
    for (int t = 0; t < 20000; t++) {
        size_t n = rnd() % 40, m = rnd() % 100;
        unsigned char *in = xmalloc(n ? n : 1), *o = xmalloc(m ? m : 1);
        for (size_t i = 0; i < n; i++)
            in[i] = (unsigned char)rnd();
        ssize_t r = lzf_decompress(in, n, o, m);
        CHECK(r >= -1 && r <= (ssize_t)m);
        free(in);
        free(o);
    }
}

/* ---- blobs ---- */

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Walk a checked blob, returning its entries joined by '|'. */
static char *walk(int (*next)(const unsigned char *, size_t, size_t *, struct rdb_blob_entry *),
                  const struct tbuf *b)
{
    static char out[70000];
    size_t o = 0, pos = 0;
    struct rdb_blob_entry e;
    while (next(b->p, b->len, &pos, &e)) {
        if (o)
            out[o++] = '|';
        if (e.s) {
            memcpy(out + o, e.s, e.len);
            o += e.len;
        } else {
            o += (size_t)snprintf(out + o, 30, "%lld", e.v);
        }
    }
    out[o] = '\0';
    return out;
}

static const char *const mixed[] = {
    "0", "12", "13", "-1", "127", "128", "-128", "-129", "4095", "-4096", "4096", "32767",
    "-32768", "32768", "8388607", "-8388608", "8388608", "2147483647", "-2147483648",
    "2147483648", "9223372036854775807", "-9223372036854775808", "", "a", "007", "+1",
    "1.5", "hello world"};
static const char *mixed_joined =
    "0|12|13|-1|127|128|-128|-129|4095|-4096|4096|32767|-32768|32768|8388607|-8388608|"
    "8388608|2147483647|-2147483648|2147483648|9223372036854775807|-9223372036854775808||a|"
    "007|+1|1.5|hello world";

TEST(ziplist_every_encoding)
{
    struct tbuf zl = zl_build(mixed, NULL, N(mixed));
    char err[RDB_BLOB_ERRLEN];
    uint64_t n = 0;
    CHECK(rdb_ziplist_check(zl.p, zl.len, &n, err) == NULL);
    CHECK_EQ_INT(n, N(mixed));
    CHECK_EQ_STR(walk(rdb_ziplist_next, &zl), mixed_joined);
    free(zl.p);

    /* Long strings: 14-bit and 32-bit lengths, 5-byte prevlens. */
    static char big1[300], big2[20000];
    memset(big1, 'x', sizeof(big1) - 1);
    memset(big2, 'y', sizeof(big2) - 1);
    const char *el[] = {big1, "1", big2, "2", big1};
    zl = zl_build(el, NULL, N(el));
    CHECK(rdb_ziplist_check(zl.p, zl.len, &n, err) == NULL);
    CHECK_EQ_INT(n, 5);
    free(zl.p);
}

TEST(ziplist_rejects_malformed)
{
    const char *el[] = {"a", "bb", "300", "ccc"};
    struct tbuf zl = zl_build(el, NULL, N(el));
    char err[RDB_BLOB_ERRLEN];
    uint64_t n;
    unsigned char *c = xmalloc(zl.len);
#define MUT(stmt, expect)                                                          \
    do {                                                                           \
        memcpy(c, zl.p, zl.len);                                                   \
        stmt;                                                                      \
        const char *why = rdb_ziplist_check(c, zl.len, &n, err);                   \
        if (CHECK(why != NULL))                                                    \
            CHECK(strstr(why, expect) != NULL);                                    \
    } while (0)
    MUT(c[0]++, "header says");
    MUT(c[zl.len - 1] = 0, "terminator");
    MUT(tb_set_le(c + 4, zl.len, 4), "tail offset");
    MUT(tb_set_le(c + 4, 12, 4), "not the last entry");
    MUT(c[8] = 3, "counts 3");
    MUT(c[10] = 1, "previous entry");         /* first prevlen must be 0 */
    MUT(c[11] = 0xc1, "unknown integer");     /* bad encoding byte */
    MUT(c[11] = 0x3f, "past the end");        /* string length too long */
    MUT(c[11] = 0xff, "");                    /* terminator inside */
    free(c);
    /* Every truncation (with the header patched to match) is refused. */
    for (size_t cut = 0; cut < zl.len; cut++) {
        unsigned char *t = xmalloc(cut ? cut : 1);
        memcpy(t, zl.p, cut);
        if (cut >= 4)
            tb_set_le(t, cut, 4);
        CHECK(rdb_ziplist_check(t, cut, &n, err) != NULL);
        free(t);
    }
    free(zl.p);
#undef MUT
}

TEST(ziplist_count_ffff_means_walk)
{
    const char *el[] = {"x", "y", "z"};
    struct tbuf zl = zl_build(el, NULL, 3);
    tb_set_le(zl.p + 8, 0xffff, 2);
    char err[RDB_BLOB_ERRLEN];
    uint64_t n = 0;
    CHECK(rdb_ziplist_check(zl.p, zl.len, &n, err) == NULL);
    CHECK_EQ_INT(n, 3);
    free(zl.p);
}

TEST(listpack_every_encoding)
{
    struct tbuf lp = lp_build(mixed, NULL, N(mixed));
    char err[RDB_BLOB_ERRLEN];
    uint64_t n = 0;
    CHECK(rdb_listpack_check(lp.p, lp.len, &n, err) == NULL);
    CHECK_EQ_INT(n, N(mixed));
    CHECK_EQ_STR(walk(rdb_listpack_next, &lp), mixed_joined);
    free(lp.p);

    /* 12-bit and 32-bit string lengths; back-lengths of 1, 2 and 3 bytes. */
    static char s1[100], s2[3000], s3[20000];
    memset(s1, 'a', sizeof(s1) - 1);
    memset(s2, 'b', sizeof(s2) - 1);
    memset(s3, 'c', sizeof(s3) - 1);
    const char *el[] = {s1, s2, s3, "-5"};
    lp = lp_build(el, NULL, N(el));
    CHECK(rdb_listpack_check(lp.p, lp.len, &n, err) == NULL);
    CHECK_EQ_INT(n, 4);
    free(lp.p);
}

TEST(listpack_rejects_malformed)
{
    const char *el[] = {"a", "5000", "hello"};
    struct tbuf lp = lp_build(el, NULL, N(el));
    char err[RDB_BLOB_ERRLEN];
    uint64_t n;
    unsigned char *c = xmalloc(lp.len);
#define MUT(stmt, expect)                                                          \
    do {                                                                           \
        memcpy(c, lp.p, lp.len);                                                   \
        stmt;                                                                      \
        const char *why = rdb_listpack_check(c, lp.len, &n, err);                  \
        if (CHECK(why != NULL))                                                    \
            CHECK(strstr(why, expect) != NULL);                                    \
    } while (0)
    MUT(c[0]++, "header says");
    MUT(c[lp.len - 1] = 0, "terminator");
    MUT(c[4] = 2, "counts 2");
    MUT(c[6] = 0x85, "back-length");     /* "a" claims 5 bytes */
    MUT(c[6] = 0xf5, "unknown encoding");
    MUT(c[8] = 3, "back-length");        /* wrong back-length of "a" */
    MUT(c[6] = 0xf0, "");                /* 32-bit length over the end */
    free(c);
    for (size_t cut = 0; cut < lp.len; cut++) {
        unsigned char *t = xmalloc(cut ? cut : 1);
        memcpy(t, lp.p, cut);
        if (cut >= 4)
            tb_set_le(t, cut, 4);
        CHECK(rdb_listpack_check(t, cut, &n, err) != NULL);
        free(t);
    }
    free(lp.p);
#undef MUT
}

TEST(intset_checks)
{
    char err[RDB_BLOB_ERRLEN];
    uint64_t n = 0;
    int64_t v16[] = {-5, 0, 7, 32767};
    int64_t v32[] = {-70000, 1, 70000};
    int64_t v64[] = {INT64_MIN, -1, 5000000000LL, INT64_MAX};
    const int64_t *sets[] = {v16, v32, v64};
    size_t lens[] = {4, 3, 4};
    for (int s = 0; s < 3; s++) {
        struct tbuf b = is_build(sets[s], lens[s]);
        CHECK(rdb_intset_check(b.p, b.len, &n, err) == NULL);
        CHECK_EQ_INT(n, lens[s]);
        for (size_t i = 0; i < lens[s]; i++)
            CHECK(rdb_intset_get(b.p, i) == sets[s][i]);
        free(b.p);
    }
    int64_t unsorted[] = {3, 2}, dup[] = {2, 2};
    struct tbuf b = is_build(unsorted, 2);
    CHECK(rdb_intset_check(b.p, b.len, &n, err) != NULL);
    free(b.p);
    b = is_build(dup, 2);
    CHECK(rdb_intset_check(b.p, b.len, &n, err) != NULL);
    b.p[0] = 3; /* encoding */
    CHECK(strstr(rdb_intset_check(b.p, b.len, &n, err), "encoding 3") != NULL);
    free(b.p);
    b = is_build(v16, 4);
    CHECK(rdb_intset_check(b.p, b.len - 1, &n, err) != NULL);
    tb_set_le(b.p + 4, 0xffffffffu, 4); /* length that would overflow 32 bits */
    CHECK(rdb_intset_check(b.p, b.len, &n, err) != NULL);
    tb_set_le(b.p + 4, 0, 4);
    CHECK(rdb_intset_check(b.p, 8, &n, err) != NULL); /* empty */
    CHECK(rdb_intset_check(b.p, 7, &n, err) != NULL);
    free(b.p);
}

TEST(zipmap_checks)
{
    static char big[400];
    memset(big, 'v', sizeof(big) - 1);
    const char *kv[] = {"name", "foo", "", "empty-field", "long", big};
    char err[RDB_BLOB_ERRLEN];
    uint64_t n = 0;
    for (unsigned spare = 0; spare < 3; spare++) {
        struct tbuf b = zm_build(kv, 3, spare);
        CHECK(rdb_zipmap_check(b.p, b.len, &n, err) == NULL);
        CHECK_EQ_INT(n, 3);
        size_t pos = 0;
        struct rdb_blob_entry f, v;
        CHECK(rdb_zipmap_next(b.p, b.len, &pos, &f, &v));
        CHECK_MEM_STR(f.s, f.len, "name");
        CHECK_MEM_STR(v.s, v.len, "foo");
        CHECK(rdb_zipmap_next(b.p, b.len, &pos, &f, &v));
        CHECK_EQ_INT(f.len, 0);
        CHECK(rdb_zipmap_next(b.p, b.len, &pos, &f, &v));
        CHECK_EQ_INT(v.len, 399);
        CHECK(!rdb_zipmap_next(b.p, b.len, &pos, &f, &v));
        b.p[0] = 2;
        CHECK(rdb_zipmap_check(b.p, b.len, &n, err) != NULL);
        b.p[0] = 254; /* "count by walking" */
        CHECK(rdb_zipmap_check(b.p, b.len, &n, err) == NULL);
        b.p[0] = 3; /* so a cut at a pair boundary is caught by the count */
        for (size_t cut = 0; cut < b.len; cut++) {
            unsigned char *t = xmalloc(cut ? cut : 1);
            memcpy(t, b.p, cut);
            if (cut)
                t[cut - 1] = 0xff;
            CHECK(rdb_zipmap_check(t, cut, &n, err) != NULL);
            free(t);
        }
        free(b.p);
    }
    CHECK(rdb_zipmap_check((const unsigned char *)"\x00\xff", 2, &n, err) != NULL); /* empty */
}

TEST(blob_walkers_never_overrun_garbage)
{
    /* Unchecked random blobs: the walkers must stay inside (ASan). */
    for (int t = 0; t < 20000; t++) {
        size_t n = rnd() % 48;
        unsigned char *b = xmalloc(n ? n : 1);
        for (size_t i = 0; i < n; i++)
            b[i] = (unsigned char)(rnd() % 4 ? rnd() : 0xff);
        struct rdb_blob_entry e, f;
        size_t pos = 0;
        int k = 0;
        while (k < 100 && rdb_ziplist_next(b, n, &pos, &e))
            k++;
        pos = 0;
        while (k < 200 && rdb_listpack_next(b, n, &pos, &e))
            k++;
        pos = 0;
        while (k < 300 && rdb_zipmap_next(b, n, &pos, &e, &f))
            k++;
        char err[RDB_BLOB_ERRLEN];
        uint64_t c;
        (void)rdb_ziplist_check(b, n, &c, err);
        (void)rdb_listpack_check(b, n, &c, err);
        (void)rdb_intset_check(b, n, &c, err);
        (void)rdb_zipmap_check(b, n, &c, err);
        free(b);
    }
    CHECK_EQ_INT(0, 0);
}

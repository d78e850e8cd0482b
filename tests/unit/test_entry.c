/* test_entry.c - unit tests for server/keyspace/entry: the per-key byte
 * budget, integer/embstr/raw encodings, reshaping (TTL changes, renames)
 * that must carry value bytes and RAW buffers over, and the varints. */
#include "tests/unit/unit.h"

#include "server/core/mem.h"
#include "server/keyspace/entry.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The entry's string value equals s. */
#define CHECK_VALUE(e, s)                                                   \
    do {                                                                    \
        char vb_[24];                                                       \
        size_t vl_;                                                         \
        const char *vp_ = entry_str((e), vb_, &vl_);                        \
        CHECK_MEM(vp_, vl_, (s), strlen(s));                                \
    } while (0)

/* The entry's key equals (k, kl). */
#define CHECK_KEY(e, k, kl)                                                 \
    do {                                                                    \
        size_t kl_;                                                         \
        const char *kp_ = entry_key((e), &kl_);                             \
        CHECK_MEM(kp_, kl_, (k), (kl));                                     \
    } while (0)

static struct entry *str_entry(const char *key, const char *val, int64_t exp)
{
    return entry_new_string(key, strlen(key), val, strlen(val), exp);
}

/* ---- size budget ---------------------------------------------------------- */

TEST(header_size)
{
    CHECK_EQ_INT(ENTRY_HDR_SIZE, 14);
    CHECK_EQ_INT(sizeof(void *), 8);
    CHECK_EQ_INT(ENTRY_EXP_SIZE, 12);
}

TEST(budget_16_byte_key_32_byte_value)
{
    const char *key = "user:0000000001x";                /* 16 bytes */
    const char *val = "abcdefghijklmnopqrstuvwxyz012345"; /* 32 bytes, not an int */
    CHECK_EQ_INT(strlen(key), 16);
    CHECK_EQ_INT(strlen(val), 32);
    /* the layout: header, klen varint, key, vlen varint, value */
    size_t layout = ENTRY_HDR_SIZE + varint_len(16) + 16 + varint_len(32) + 32;
    CHECK_EQ_INT(layout, ENTRY_HDR_SIZE + 1 + 16 + 1 + 32);
    CHECK(layout <= 64);
    struct entry *e = str_entry(key, val, -1);
    CHECK_EQ_INT(entry_enc(e), ENC_EMB);
    size_t usable = mem_usable(e);
    CHECK(usable >= layout);
#if defined(__SANITIZE_ADDRESS__)
    /* ASan reports exactly the requested size: the request is 64 bytes */
    CHECK_EQ_INT(usable, 64);
#endif
    CHECK_EQ_INT(entry_mem(e), usable);
    CHECK_VALUE(e, val);
    CHECK_KEY(e, key, 16);
    entry_free(e);

    /* with a TTL the expiry block adds exactly ENTRY_EXP_SIZE */
    e = str_entry(key, val, 1000);
#if defined(__SANITIZE_ADDRESS__)
    CHECK_EQ_INT(mem_usable(e), 64 + ENTRY_EXP_SIZE);
#endif
    entry_free(e);

    /* an int value is 8 bytes whatever its digit count */
    e = str_entry(key, "-9223372036854775808", -1);
    CHECK_EQ_INT(entry_enc(e), ENC_INT);
#if defined(__SANITIZE_ADDRESS__)
    CHECK_EQ_INT(mem_usable(e), ENTRY_HDR_SIZE + 1 + 16 + 8);
#endif
    entry_free(e);
}

/* ---- encodings ------------------------------------------------------------ */

TEST(int_encoding_canonical_integers)
{
    static const struct {
        const char *s;
        long long v;
    } ints[] = {
        {"0", 0},
        {"1", 1},
        {"123", 123},
        {"-5", -5},
        {"-1", -1},
        {"10", 10},
        {"9223372036854775807", 9223372036854775807LL},
        {"-9223372036854775808", -9223372036854775807LL - 1},
    };
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        struct entry *e = str_entry("k", ints[i].s, -1);
        if (CHECK_EQ_INT(entry_enc(e), ENC_INT)) {
            CHECK_EQ_INT(entry_int(e), ints[i].v);
            CHECK_EQ_STR(entry_encoding_name(e), "int");
        } else {
            fprintf(stderr, "    value \"%s\"\n", ints[i].s);
        }
        CHECK_VALUE(e, ints[i].s);
        CHECK_EQ_STR(entry_type_name(e), "string");
        entry_free(e);
    }
}

TEST(int_encoding_rejects_non_canonical)
{
    static const char *const strs[] = {
        "0123",  "+1",   "1.0",  "-0",   " 1",   "1 ",   "",     "-",   "00",  "1e3",
        "0x10",  "abc",  "12a",  "--1",  "1-",
        "123456789012345678901",  /* 21 digits */
        "-123456789012345678901", /* 21 digits, negative */
        "9223372036854775808",    /* LLONG_MAX + 1 */
        "-9223372036854775809",   /* LLONG_MIN - 1 */
        "18446744073709551616",   /* 2^64 */
        "99999999999999999999",   /* 20 nines */
    };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        struct entry *e = str_entry("k", strs[i], -1);
        if (!CHECK_EQ_INT(entry_enc(e), ENC_EMB))
            fprintf(stderr, "    value \"%s\"\n", strs[i]);
        CHECK_VALUE(e, strs[i]);
        CHECK_EQ_STR(entry_encoding_name(e), "embstr");
        entry_free(e);
    }
}

TEST(int_encoding_value_with_nul)
{
    /* "12\0" is 3 bytes and not a number */
    struct entry *e = entry_new_string("k", 1, "12\0", 3, -1);
    CHECK_EQ_INT(entry_enc(e), ENC_EMB);
    char b[24];
    size_t l;
    const char *p = entry_str(e, b, &l);
    CHECK_MEM(p, l, "12\0", 3);
    entry_free(e);
}

TEST(embstr_raw_naming_at_44_45)
{
    char v[100];
    memset(v, 'x', sizeof(v));
    for (size_t len = 40; len <= 50; len++) {
        struct entry *e = entry_new_string("key", 3, v, len, -1);
        CHECK_EQ_INT(entry_enc(e), ENC_EMB);
        CHECK_EQ_STR(entry_encoding_name(e), len <= 44 ? "embstr" : "raw");
        char b[24];
        size_t l;
        const char *p = entry_str(e, b, &l);
        CHECK_MEM(p, l, v, len);
        entry_free(e);
    }
    CHECK_EQ_INT(EMBSTR_MAX, 44);
    /* entry_new_emb keeps integer-looking strings inline */
    struct entry *e = entry_new_emb("k", 1, "123", 3, -1);
    CHECK_EQ_INT(entry_enc(e), ENC_EMB);
    CHECK_EQ_STR(entry_encoding_name(e), "embstr");
    CHECK_VALUE(e, "123");
    entry_free(e);
    /* a RAW string is "raw" whatever its length */
    e = entry_new_raw("k", 1, "ab", 2, 16, -1);
    CHECK_EQ_INT(entry_enc(e), ENC_RAW);
    CHECK_EQ_STR(entry_encoding_name(e), "raw");
    CHECK_VALUE(e, "ab");
    entry_free(e);
}

TEST(long_values_and_keys)
{
    /* lengths around the varint boundaries, for keys and values */
    static const size_t lens[] = {0, 1, 127, 128, 129, 16383, 16384, 70000};
    size_t maxl = 70000;
    char *k = malloc(maxl), *v = malloc(maxl);
    for (size_t i = 0; i < maxl; i++) {
        k[i] = (char)('a' + i % 26);
        v[i] = (char)(i * 7); /* includes NULs */
    }
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        for (size_t j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
            size_t kl = lens[i], vl = lens[j];
            for (int volatile_ = 0; volatile_ < 2; volatile_++) {
                int64_t exp = volatile_ ? 123456789 : -1;
                struct entry *e = entry_new_emb(k, kl, v, vl, exp);
                size_t gl;
                const char *gk = entry_key(e, &gl);
                CHECK_MEM(gk, gl, k, kl);
                char b[24];
                const char *gv = entry_str(e, b, &gl);
                CHECK_MEM(gv, gl, v, vl);
                CHECK_EQ_INT(entry_expire(e), exp);
#if defined(__SANITIZE_ADDRESS__)
                CHECK_EQ_INT(mem_usable(e), ENTRY_HDR_SIZE + (volatile_ ? ENTRY_EXP_SIZE : 0) +
                                                varint_len(kl) + kl + varint_len(vl) + vl);
#endif
                entry_free(e);
            }
        }
    }
    free(k);
    free(v);
}

TEST(raw_strings)
{
    struct entry *e = entry_new_raw("rk", 2, "hello", 5, 64, -1);
    CHECK_EQ_INT(entry_enc(e), ENC_RAW);
    size_t len;
    char *buf = entry_raw_buf(e, &len);
    CHECK_EQ_INT(len, 5);
    CHECK_MEM(buf, len, "hello", 5);
    CHECK(mem_usable(buf) >= 64);
    CHECK_EQ_INT(entry_mem(e), mem_usable(e) + mem_usable(buf));
    /* grow in place: append, then record the new length */
    memcpy(buf + 5, " world", 6);
    entry_raw_set(e, buf, 11);
    CHECK_VALUE(e, "hello world");
    /* swap in a bigger buffer; lengths beyond one varint byte */
    char *nb = realloc(buf, 300000);
    memset(nb, 'z', 300000);
    entry_raw_set(e, nb, 300000);
    char b[24];
    const char *p = entry_str(e, b, &len);
    CHECK(p == nb);
    CHECK_EQ_INT(len, 300000);
    /* the 5-byte length field holds up to 2^35-1 */
    entry_raw_set(e, nb, (size_t)UINT32_MAX);
    entry_raw_buf(e, &len);
    CHECK_EQ_INT(len, UINT32_MAX);
    entry_raw_set(e, nb, 0);
    entry_raw_buf(e, &len);
    CHECK_EQ_INT(len, 0);
    entry_raw_set(e, nb, 3);
    CHECK_KEY(e, "rk", 2);
    entry_free(e);

    /* empty value, no capacity */
    e = entry_new_raw("k", 1, "", 0, 0, 5);
    CHECK_VALUE(e, "");
    CHECK_EQ_INT(entry_expire(e), 5);
    entry_free(e);
    /* cap smaller than the value: the value still fits */
    e = entry_new_raw("k", 1, "abcdef", 6, 2, -1);
    CHECK_VALUE(e, "abcdef");
    entry_free(e);
}

/* ---- reshaping ------------------------------------------------------------- */

TEST(with_expire_keeps_value_emb_and_int)
{
    static const char *const vals[] = {"plain value", "42", "-7", "", "0123"};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        struct entry *e = str_entry("some:key", vals[i], -1);
        e->access = 0xabcdef;
        int enc = entry_enc(e);
        CHECK_EQ_INT(entry_expire(e), -1);
        CHECK_EQ_INT(e->flags & E_VOLATILE, 0);

        struct entry *v = entry_with_expire(e, 1700000000123LL);
        entry_free_shell(e);
        CHECK_EQ_INT(entry_expire(v), 1700000000123LL);
        CHECK(v->flags & E_VOLATILE);
        CHECK_EQ_INT(entry_enc(v), enc);
        CHECK_EQ_INT(entry_type(v), T_STRING);
        CHECK_EQ_INT(v->access, 0xabcdef);
        CHECK(v->next == NULL);
        CHECK_VALUE(v, vals[i]);
        CHECK_KEY(v, "some:key", 8);
        entry_set_vol_index(v, 77);
        CHECK_EQ_INT(entry_vol_index(v), 77);
        /* changing the expiry field in place leaves the rest alone */
        entry_set_expire_field(v, 5);
        CHECK_EQ_INT(entry_expire(v), 5);
        CHECK_VALUE(v, vals[i]);
        CHECK_KEY(v, "some:key", 8);

        /* expire 0 is a real expiry (volatile), not "none" */
        struct entry *z = entry_with_expire(v, 0);
        entry_free_shell(v);
        CHECK_EQ_INT(entry_expire(z), 0);
        CHECK(z->flags & E_VOLATILE);
        CHECK_VALUE(z, vals[i]);

        /* back to persistent */
        struct entry *p = entry_with_expire(z, -1);
        entry_free_shell(z);
        CHECK_EQ_INT(entry_expire(p), -1);
        CHECK_EQ_INT(p->flags & E_VOLATILE, 0);
        CHECK_EQ_INT(entry_enc(p), enc);
        CHECK_VALUE(p, vals[i]);
        CHECK_KEY(p, "some:key", 8);
        CHECK_EQ_INT(p->access, 0xabcdef);
        entry_free(p);
    }
}

TEST(with_expire_moves_raw_buffer)
{
    struct entry *e = entry_new_raw("rawkey", 6, "payload", 7, 32, -1);
    size_t len;
    char *buf = entry_raw_buf(e, &len);
    struct entry *v = entry_with_expire(e, 999);
    entry_free_shell(e); /* the buffer now belongs to v: no double free, no leak */
    CHECK_EQ_INT(entry_enc(v), ENC_RAW);
    CHECK_EQ_INT(entry_expire(v), 999);
    char *vbuf = entry_raw_buf(v, &len);
    CHECK(vbuf == buf);
    CHECK_EQ_INT(len, 7);
    CHECK_VALUE(v, "payload");
    CHECK_KEY(v, "rawkey", 6);
    /* the length field stays writable in place after the move */
    memcpy(vbuf + 7, "!!", 2);
    entry_raw_set(v, vbuf, 9);
    CHECK_VALUE(v, "payload!!");

    struct entry *p = entry_with_expire(v, -1);
    entry_free_shell(v);
    CHECK(entry_raw_buf(p, &len) == buf);
    CHECK_EQ_INT(entry_expire(p), -1);
    CHECK_VALUE(p, "payload!!");
    entry_free(p);
}

TEST(reshape_renames_and_keeps_value)
{
    /* EMB, volatile, renamed to a longer key (klen varint grows) */
    char longkey[200];
    memset(longkey, 'L', sizeof(longkey));
    struct entry *e = str_entry("a", "value bytes", 4242);
    e->access = 17;
    struct entry *n = entry_reshape(e, longkey, sizeof(longkey), 4242);
    entry_free_shell(e);
    CHECK_KEY(n, longkey, sizeof(longkey));
    CHECK_VALUE(n, "value bytes");
    CHECK_EQ_INT(entry_expire(n), 4242);
    CHECK_EQ_INT(n->access, 17);
    /* NULL key: same key, new expiry */
    struct entry *m = entry_reshape(n, NULL, 0, -1);
    entry_free_shell(n);
    CHECK_KEY(m, longkey, sizeof(longkey));
    CHECK_VALUE(m, "value bytes");
    CHECK_EQ_INT(entry_expire(m), -1);
    entry_free(m);

    /* INT */
    e = str_entry("counter", "-123456", -1);
    n = entry_reshape(e, "c2", 2, 10);
    entry_free_shell(e);
    CHECK_EQ_INT(entry_enc(n), ENC_INT);
    CHECK_EQ_INT(entry_int(n), -123456);
    CHECK_KEY(n, "c2", 2);
    CHECK_EQ_INT(entry_expire(n), 10);
    entry_free(n);

    /* RAW: the buffer moves */
    e = entry_new_raw("r", 1, "rawvalue", 8, 8, 50);
    size_t len;
    char *buf = entry_raw_buf(e, &len);
    n = entry_reshape(e, "renamed", 7, 50);
    entry_free_shell(e);
    CHECK(entry_raw_buf(n, &len) == buf);
    CHECK_VALUE(n, "rawvalue");
    CHECK_KEY(n, "renamed", 7);
    CHECK_EQ_INT(entry_expire(n), 50);
    entry_free(n);
}

TEST(dup_is_deep)
{
    struct entry *e = entry_new_raw("src", 3, "shared?", 7, 7, -1);
    e->access = 3;
    struct entry *d = entry_dup(e, "dst", 3, 77);
    size_t l1, l2;
    CHECK(entry_raw_buf(e, &l1) != entry_raw_buf(d, &l2));
    CHECK_VALUE(d, "shared?");
    CHECK_KEY(d, "dst", 3);
    CHECK_EQ_INT(entry_expire(d), 77);
    CHECK_EQ_INT(entry_enc(d), ENC_RAW);
    CHECK_EQ_INT(d->access, 3);
    entry_free(e);
    entry_free(d);

    e = str_entry("i", "99", 5);
    d = entry_dup(e, "j", 1, -1);
    CHECK_EQ_INT(entry_enc(d), ENC_INT);
    CHECK_EQ_INT(entry_int(d), 99);
    CHECK_EQ_INT(entry_expire(d), -1);
    entry_free(e);
    entry_free(d);

    e = str_entry("s", "text", -1);
    d = entry_dup(e, "t", 1, -1);
    CHECK_EQ_INT(entry_enc(d), ENC_EMB);
    CHECK_VALUE(d, "text");
    entry_free(e);
    entry_free(d);
    entry_free(NULL);
}

TEST(new_int)
{
    static const int64_t vals[] = {0, 1, -1, INT64_MAX, INT64_MIN, 1000000007};
    static const char *const strs[] = {"0", "1", "-1", "9223372036854775807",
                                       "-9223372036854775808", "1000000007"};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        struct entry *e = entry_new_int("n", 1, vals[i], -1);
        CHECK_EQ_INT(entry_enc(e), ENC_INT);
        CHECK_EQ_INT(entry_int(e), vals[i]);
        CHECK_VALUE(e, strs[i]);
        entry_free(e);
    }
}

/* ---- varints ---------------------------------------------------------------- */

TEST(varint_round_trips)
{
    static const struct {
        uint64_t v;
        size_t len;
    } cases[] = {
        {0, 1},
        {1, 1},
        {127, 1},
        {128, 2},
        {255, 2},
        {16383, 2},
        {16384, 3},
        {(1ULL << 21) - 1, 3},
        {1ULL << 21, 4},
        {UINT32_MAX, 5},
        {1ULL << 32, 5},
        {(1ULL << 35) - 1, 5},
        {1ULL << 35, 6},
        {(1ULL << 63), 10},
        {UINT64_MAX, 10},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t buf[16];
        memset(buf, 0xee, sizeof(buf));
        CHECK_EQ_INT(varint_len(cases[i].v), cases[i].len);
        size_t n = varint_put(buf, cases[i].v);
        CHECK_EQ_INT(n, cases[i].len);
        CHECK_EQ_INT(buf[n], 0xee); /* wrote nothing beyond */
        uint64_t got = 0;
        CHECK_EQ_INT(varint_get(buf, &got), n);
        if (!CHECK(got == cases[i].v))
            fprintf(stderr, "    %llu != %llu\n", (unsigned long long)got,
                    (unsigned long long)cases[i].v);
    }
    /* exact bytes for a few: little-endian groups of 7 bits */
    uint8_t b[16];
    CHECK_MEM(b, varint_put(b, 0), "\x00", 1);
    CHECK_MEM(b, varint_put(b, 127), "\x7f", 1);
    CHECK_MEM(b, varint_put(b, 128), "\x80\x01", 2);
    CHECK_MEM(b, varint_put(b, 16383), "\xff\x7f", 2);
    CHECK_MEM(b, varint_put(b, 16384), "\x80\x80\x01", 3);
    CHECK_MEM(b, varint_put(b, 1ULL << 32), "\x80\x80\x80\x80\x10", 5);
    /* every value up to 2^17 */
    uint64_t bad = 0;
    for (uint64_t v = 0; v < (1u << 17); v++) {
        size_t n = varint_put(b, v);
        uint64_t g;
        if (varint_get(b, &g) != n || g != v || n != varint_len(v))
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
}

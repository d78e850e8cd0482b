/* test_listpack.c - unit tests for server/types/listpack: the exact bytes of
 * every encoding and its width boundaries, string length and backlen
 * boundaries, insert/replace/delete at every position, walks both ways,
 * lp_seek, lp_find with skip, lp_validate against truncations, byte flips
 * and hand-made malformed buffers, and a 20,000-step model test against an
 * array of strings. */
#include "tests/unit/unit.h"

#include "protocol/resp_parse.h"
#include "server/core/mem.h"
#include "server/core/rng.h"
#include "server/types/listpack.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------------- */

static unsigned char *from_strs(const char *const *v, size_t n)
{
    unsigned char *lp = lp_create();
    for (size_t i = 0; i < n; i++)
        lp = lp_append(lp, v[i], strlen(v[i]));
    return lp;
}

/* Elements as one string "a|b|c", read forwards; checks that the backward
 * walk, lp_seek (both signs) and the count agree with it. */
static const char *join(unsigned char *lp)
{
    static char out[8192];
    unsigned char *pos[512];
    size_t n = 0, o = 0;
    out[0] = '\0';
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p)) {
        char buf[LP_INTBUF];
        size_t len;
        const char *s = lp_get_str(p, buf, &len);
        if (n)
            out[o++] = '|';
        memcpy(out + o, s, len < 200 ? len : 200);
        o += len < 200 ? len : 200;
        out[o] = '\0';
        pos[n++] = p;
    }
    CHECK_EQ_INT(lp_count(lp), n);
    CHECK(lp_validate(lp, lp_bytes(lp)));
    size_t i = n;
    for (unsigned char *p = lp_last(lp); p; p = lp_prev(lp, p))
        if (!CHECK(i > 0 && pos[--i] == p))
            break;
    CHECK_EQ_INT(i, 0);
    for (size_t k = 0; k < n; k++) {
        CHECK(lp_seek(lp, (long)k) == pos[k]);
        CHECK(lp_seek(lp, (long)k - (long)n) == pos[k]);
    }
    CHECK(lp_seek(lp, (long)n) == NULL);
    CHECK(lp_seek(lp, -(long)n - 1) == NULL);
    return out;
}

/* The bytes one element takes (encoding + payload + backlen). */
static size_t elem_size(const char *s, size_t len)
{
    unsigned char *lp = lp_append(lp_create(), s, len);
    size_t n = lp_bytes(lp) - 9;
    lp_destroy(lp);
    return n;
}

/* An independent statement of the size rules, for the model test. */
static size_t expect_size(const char *s, size_t len)
{
    long long v;
    size_t el;
    if (resp_str2ll(s, len, &v)) {
        if (v >= 0 && v <= 127)
            el = 1;
        else if (v >= -4096 && v <= 4095)
            el = 2;
        else if (v >= -32768 && v <= 32767)
            el = 3;
        else if (v >= -8388608 && v <= 8388607)
            el = 4;
        else if (v >= INT32_MIN && v <= INT32_MAX)
            el = 5;
        else
            el = 9;
    } else {
        el = len + (len < 64 ? 1 : len < 4096 ? 2 : 5);
    }
    size_t bl = el < 128 ? 1 : el < 16384 ? 2 : el < (1 << 21) ? 3 : el < (1 << 28) ? 4 : 5;
    return el + bl;
}

/* ---- encodings ---------------------------------------------------------------- */

/* The encoding + backlen bytes of s, exactly. */
static void check_bytes(const char *s, const unsigned char *want, size_t n)
{
    unsigned char *lp = lp_append(lp_create(), s, strlen(s));
    CHECK_MEM(lp + 8, lp_bytes(lp) - 9, want, n);
    CHECK_EQ_INT(lp[lp_bytes(lp) - 1], 0xFF);
    lp_destroy(lp);
}

TEST(exact_encoding_bytes)
{
    unsigned char h[] = { 9, 0, 0, 0, 0, 0, 0, 0, 0xFF };
    unsigned char *lp = lp_create();
    CHECK_MEM(lp, lp_bytes(lp), h, sizeof(h));
    CHECK(lp_first(lp) == NULL && lp_last(lp) == NULL && lp_seek(lp, 0) == NULL);
    lp_destroy(lp);

    VIA(check_bytes("0", (const unsigned char *)"\x00\x01", 2));
    VIA(check_bytes("127", (const unsigned char *)"\x7f\x01", 2));
    VIA(check_bytes("128", (const unsigned char *)"\xc0\x80\x02", 3));
    VIA(check_bytes("-1", (const unsigned char *)"\xdf\xff\x02", 3));
    VIA(check_bytes("4095", (const unsigned char *)"\xcf\xff\x02", 3));
    VIA(check_bytes("-4096", (const unsigned char *)"\xd0\x00\x02", 3));
    VIA(check_bytes("4096", (const unsigned char *)"\xf1\x00\x10\x03", 4));
    VIA(check_bytes("-32768", (const unsigned char *)"\xf1\x00\x80\x03", 4));
    VIA(check_bytes("32768", (const unsigned char *)"\xf2\x00\x80\x00\x04", 5));
    VIA(check_bytes("-8388608", (const unsigned char *)"\xf2\x00\x00\x80\x04", 5));
    VIA(check_bytes("8388608", (const unsigned char *)"\xf3\x00\x00\x80\x00\x05", 6));
    VIA(check_bytes("-2147483648", (const unsigned char *)"\xf3\x00\x00\x00\x80\x05", 6));
    VIA(check_bytes("2147483648",
                    (const unsigned char *)"\xf4\x00\x00\x00\x80\x00\x00\x00\x00\x09", 10));
    VIA(check_bytes("-9223372036854775808",
                    (const unsigned char *)"\xf4\x00\x00\x00\x00\x00\x00\x00\x80\x09", 10));
    VIA(check_bytes("", (const unsigned char *)"\x80\x01", 2));
    VIA(check_bytes("ab", (const unsigned char *)"\x82" "ab\x03", 4));
}

TEST(integer_width_boundaries)
{
    static const struct {
        const char *s;
        long long v;
        size_t size;
    } cases[] = {
        { "0", 0, 2 }, { "1", 1, 2 }, { "127", 127, 2 }, { "128", 128, 3 },
        { "-1", -1, 3 }, { "4095", 4095, 3 }, { "-4096", -4096, 3 },
        { "4096", 4096, 4 }, { "-4097", -4097, 4 }, { "32767", INT16_MAX, 4 },
        { "-32768", INT16_MIN, 4 }, { "32768", 32768, 5 }, { "-32769", -32769, 5 },
        { "8388607", 8388607, 5 }, { "-8388608", -8388608, 5 }, { "8388608", 8388608, 6 },
        { "-8388609", -8388609, 6 }, { "2147483647", INT32_MAX, 6 },
        { "-2147483648", INT32_MIN, 6 }, { "2147483648", 2147483648LL, 10 },
        { "-2147483649", -2147483649LL, 10 }, { "9223372036854775807", INT64_MAX, 10 },
        { "-9223372036854775808", INT64_MIN, 10 },
    };
    unsigned char *lp = lp_create();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *s = cases[i].s;
        CHECK_EQ_INT(elem_size(s, strlen(s)), cases[i].size);
        CHECK_EQ_INT(expect_size(s, strlen(s)), cases[i].size);
        lp = lp_append(lp, s, strlen(s));
        lp = lp_append_int(lp, cases[i].v);
    }
    unsigned char *p = lp_first(lp);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int twice = 0; twice < 2; twice++, p = lp_next(lp, p)) {
            struct lp_val v;
            lp_get(p, &v);
            CHECK(v.s == NULL);
            CHECK_EQ_INT(v.v, cases[i].v);
            long long x = 0;
            CHECK(lp_get_int(p, &x) && x == cases[i].v);
            char buf[LP_INTBUF];
            size_t len;
            const char *s = lp_get_str(p, buf, &len);
            CHECK_MEM_STR(s, len, cases[i].s);
            CHECK(lp_eq(p, cases[i].s, strlen(cases[i].s)));
        }
    }
    join(lp);
    lp_destroy(lp);
}

TEST(non_canonical_numbers_stay_strings)
{
    static const char *const strs[] = {
        "007", "-0", "+1", "00", "9223372036854775808", "-9223372036854775809",
        " 1", "1 ", "1.0", "1e3", "-", "0x10", "18446744073709551616", "--1",
    };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        size_t len = strlen(strs[i]);
        unsigned char *lp = lp_append(lp_create(), strs[i], len);
        unsigned char *p = lp_first(lp);
        struct lp_val v;
        lp_get(p, &v);
        CHECK(v.s != NULL);
        CHECK_MEM(v.s, v.len, strs[i], len);
        CHECK_EQ_INT(elem_size(strs[i], len), len + 2);
        long long x;
        CHECK(!lp_get_int(p, &x));
        CHECK(lp_eq(p, strs[i], len));
        lp_destroy(lp);
    }
    /* an integer element never equals a non-canonical spelling of itself */
    unsigned char *lp = lp_append(lp_create(), "7", 1);
    CHECK(!lp_eq(lp_first(lp), "07", 2));
    CHECK(!lp_eq(lp_first(lp), "+7", 2));
    CHECK(!lp_eq(lp_first(lp), "", 0));
    CHECK(lp_find(lp, lp_first(lp), "007", 3, 0) == NULL);
    lp_destroy(lp);
}

/* A string of len bytes between two neighbours: stored with the expected
 * size, read back whole, and the walk steps over it both ways. */
static void check_long_string(size_t len, size_t want_size)
{
    char *s = xmalloc(len);
    for (size_t i = 0; i < len; i++)
        s[i] = (char)('a' + i % 26);
    CHECK_EQ_INT(expect_size(s, len), want_size);
    unsigned char *lp = lp_append(lp_create(), "x", 1);
    lp = lp_append(lp, s, len);
    lp = lp_append(lp, "y", 1);
    CHECK_EQ_INT(lp_bytes(lp), 9 + 3 + want_size + 3);
    CHECK(lp_validate(lp, lp_bytes(lp)));
    unsigned char *mid = lp_next(lp, lp_first(lp));
    CHECK(lp_prev(lp, lp_last(lp)) == mid);
    CHECK(lp_prev(lp, mid) == lp_first(lp));
    CHECK(lp_seek(lp, -2) == mid);
    struct lp_val v;
    lp_get(mid, &v);
    CHECK_MEM(v.s, v.len, s, len);
    CHECK(lp_find(lp, lp_first(lp), s, len, 0) == mid);
    CHECK(lp_eq(lp_last(lp), "y", 1));
    lp_destroy(lp);
    free(s);
}

TEST(string_length_and_backlen_boundaries)
{
    VIA(check_long_string(0, 2));
    VIA(check_long_string(63, 65));
    VIA(check_long_string(64, 67));
    VIA(check_long_string(125, 128));         /* element 127 bytes: 1-byte backlen */
    VIA(check_long_string(126, 130));         /* element 128 bytes: 2-byte backlen */
    VIA(check_long_string(4095, 4099));
    VIA(check_long_string(4096, 4103));
    VIA(check_long_string(16378, 16385));     /* element 16383: 2-byte backlen */
    VIA(check_long_string(16379, 16387));     /* element 16384: 3-byte backlen */
    VIA(check_long_string(70000, 70008));
    VIA(check_long_string(2097146, 2097154)); /* element 2^21 - 1: 3-byte backlen */
    VIA(check_long_string(2097147, 2097156)); /* element 2^21: 4-byte backlen */
}

/* ---- mutations ---------------------------------------------------------------- */

TEST(insert_before_and_after_everywhere)
{
    static const char *const abc[] = { "a", "b", "c" };
    static const struct {
        long at; /* index of the anchor, -1 for NULL */
        int where;
        const char *want;
    } cases[] = {
        { -1, LP_BEFORE, "N|a|b|c" }, { -1, LP_AFTER, "a|b|c|N" },
        { 0, LP_BEFORE, "N|a|b|c" },  { 0, LP_AFTER, "a|N|b|c" },
        { 1, LP_BEFORE, "a|N|b|c" },  { 1, LP_AFTER, "a|b|N|c" },
        { 2, LP_BEFORE, "a|b|N|c" },  { 2, LP_AFTER, "a|b|c|N" },
    };
    static const char *const news[] = { "N", "12345", "-70000", "" };
    for (size_t k = 0; k < sizeof(news) / sizeof(news[0]); k++) {
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            unsigned char *lp = from_strs(abc, 3);
            unsigned char *p = cases[i].at < 0 ? NULL : lp_seek(lp, cases[i].at);
            unsigned char *np = NULL;
            lp = lp_insert(lp, p, cases[i].where, news[k], strlen(news[k]), &np);
            CHECK(np != NULL && lp_eq(np, news[k], strlen(news[k])));
            char want[32];
            const char *w = cases[i].want;
            size_t o = 0;
            for (; *w; w++) {
                if (*w == 'N') {
                    memcpy(want + o, news[k], strlen(news[k]));
                    o += strlen(news[k]);
                } else {
                    want[o++] = *w;
                }
            }
            want[o] = '\0';
            CHECK_EQ_STR(join(lp), want);
            lp_destroy(lp);
        }
    }
    /* into an empty listpack, each way */
    unsigned char *lp = lp_create(), *np = NULL;
    lp = lp_insert(lp, NULL, LP_BEFORE, "x", 1, &np);
    CHECK(np == lp_first(lp));
    lp = lp_prepend(lp, "9", 1);
    lp = lp_append(lp, "z", 1);
    CHECK_EQ_STR(join(lp), "9|x|z");
    lp_destroy(lp);
}

TEST(replace_grows_and_shrinks)
{
    static const char *const vals[] = {
        "s", "1", "-5000", "100000", "9223372036854775807", "", "a-much-longer-string",
        "007",
    };
    static const char *const base[] = { "first", "42", "last" };
    size_t nv = sizeof(vals) / sizeof(vals[0]);
    for (long at = 0; at < 3; at++) {
        for (size_t a = 0; a < nv; a++) {
            for (size_t b = 0; b < nv; b++) {
                unsigned char *lp = from_strs(base, 3);
                unsigned char *p = lp_seek(lp, at);
                lp = lp_replace(lp, &p, vals[a], strlen(vals[a]));
                CHECK(p == lp_seek(lp, at) && lp_eq(p, vals[a], strlen(vals[a])));
                lp = lp_replace(lp, &p, vals[b], strlen(vals[b]));
                CHECK(p == lp_seek(lp, at) && lp_eq(p, vals[b], strlen(vals[b])));
                char want[128];
                const char *v[3] = { base[0], base[1], base[2] };
                v[at] = vals[b];
                snprintf(want, sizeof(want), "%s|%s|%s", v[0], v[1], v[2]);
                CHECK_EQ_STR(join(lp), want);
                size_t sz = 9;
                for (int i = 0; i < 3; i++)
                    sz += expect_size(v[i], strlen(v[i]));
                CHECK_EQ_INT(lp_bytes(lp), sz);
                lp_destroy(lp);
            }
        }
    }
}

TEST(values_taken_from_the_listpack_itself)
{
    static const char *const base[] = { "hello-world", "tail" };
    unsigned char *lp = from_strs(base, 2);
    struct lp_val v;
    lp_get(lp_first(lp), &v);
    lp = lp_append(lp, v.s, v.len); /* the source moves as lp grows */
    lp_get(lp_first(lp), &v);
    unsigned char *p = lp_first(lp);
    lp = lp_replace(lp, &p, v.s + 6, 5); /* a part of the element replaced */
    lp_get(lp_last(lp), &v);
    lp = lp_insert(lp, lp_first(lp), LP_BEFORE, v.s, v.len, NULL);
    CHECK_EQ_STR(join(lp), "hello-world|world|tail|hello-world");
    lp_destroy(lp);
}

TEST(delete_at_every_position)
{
    static const char *const v[] = { "a", "1000", "b", "-1", "c", "x-longer-string" };
    for (size_t n = 1; n <= 6; n++) {
        for (size_t at = 0; at < n; at++) {
            unsigned char *lp = from_strs(v, n);
            unsigned char *p = lp_seek(lp, (long)at);
            lp = lp_delete(lp, &p);
            if (at == n - 1)
                CHECK(p == NULL);
            else
                CHECK(p == lp_seek(lp, (long)at) && lp_eq(p, v[at + 1], strlen(v[at + 1])));
            char want[128] = "";
            for (size_t i = 0; i < n; i++) {
                if (i == at)
                    continue;
                if (want[0])
                    strcat(want, "|");
                strcat(want, v[i]);
            }
            CHECK_EQ_STR(join(lp), want);
            lp_destroy(lp);
        }
    }
}

TEST(delete_range_every_start_and_length)
{
    static const char *const v[] = { "a", "1000", "b", "-1", "c", "x-longer-string" };
    for (size_t n = 0; n <= 6; n++) {
        for (long at = -(long)n - 1; at <= (long)n; at++) {
            for (unsigned long num = 0; num <= n + 1; num++) {
                long start = at < 0 ? at + (long)n : at;
                int in = start >= 0 && start < (long)n;
                char want[128] = "";
                for (size_t i = 0; i < n; i++) {
                    if (in && (long)i >= start && (long)i < start + (long)num)
                        continue;
                    if (want[0])
                        strcat(want, "|");
                    strcat(want, v[i]);
                }
                unsigned char *lp = from_strs(v, n);
                lp = lp_delete_range(lp, at, num);
                CHECK_EQ_STR(join(lp), want);
                lp_destroy(lp);

                lp = from_strs(v, n);
                unsigned char *p = lp_seek(lp, at);
                lp = lp_delete_range_at(lp, &p, num);
                CHECK_EQ_STR(join(lp), want);
                if (in && num > 0 && start + (long)num < (long)n)
                    CHECK(p == lp_seek(lp, start) && lp_eq(p, v[start + num], strlen(v[start + num])));
                else if (in && num > 0)
                    CHECK(p == NULL);
                lp_destroy(lp);
            }
        }
    }
}

TEST(seek_walks_and_ends)
{
    unsigned char *lp = lp_create();
    char buf[32];
    for (int i = 0; i < 101; i++)
        lp = lp_append(lp, buf, (size_t)sprintf(buf, i % 3 ? "e%d" : "%d", i * 997));
    join(lp); /* every index both signs, both walks */
    CHECK(lp_seek(lp, 101) == NULL && lp_seek(lp, -102) == NULL);
    CHECK(lp_seek(lp, -1) == lp_last(lp) && lp_seek(lp, -101) == lp_first(lp));
    CHECK(lp_next(lp, lp_last(lp)) == NULL && lp_prev(lp, lp_first(lp)) == NULL);
    lp_destroy(lp);
}

TEST(find_with_skip)
{
    /* field/value pairs where values repeat field names */
    static const char *const v[] = { "name", "age", "age", "42", "42", "name", "7", "x",
                                     "", "empty", "long-field-name-over-sixty-four-bytes-"
                                     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "v" };
    unsigned char *lp = from_strs(v, 12);
    unsigned char *f = lp_first(lp);
    CHECK(lp_find(lp, f, "age", 3, 0) == lp_seek(lp, 1));
    CHECK(lp_find(lp, f, "age", 3, 1) == lp_seek(lp, 2));
    CHECK(lp_find(lp, f, "42", 2, 0) == lp_seek(lp, 3));
    CHECK(lp_find(lp, f, "42", 2, 1) == lp_seek(lp, 4));
    CHECK(lp_find(lp, f, "name", 4, 1) == lp_seek(lp, 0));
    CHECK(lp_find(lp, lp_seek(lp, 1), "name", 4, 1) == lp_seek(lp, 5));
    CHECK(lp_find(lp, lp_seek(lp, 2), "name", 4, 1) == NULL);
    CHECK(lp_find(lp, f, "7", 1, 1) == lp_seek(lp, 6));
    CHECK(lp_find(lp, f, "x", 1, 1) == NULL);
    CHECK(lp_find(lp, f, "x", 1, 0) == lp_seek(lp, 7));
    CHECK(lp_find(lp, f, "", 0, 1) == lp_seek(lp, 8));
    CHECK(lp_find(lp, f, v[10], strlen(v[10]), 1) == lp_seek(lp, 10));
    CHECK(lp_find(lp, f, "v", 1, 1) == NULL);
    CHECK(lp_find(lp, f, "v", 1, 0) == lp_last(lp));
    CHECK(lp_find(lp, f, "missing", 7, 0) == NULL);
    CHECK(lp_find(lp, f, "042", 3, 0) == NULL);
    CHECK(lp_find(lp, NULL, "age", 3, 0) == NULL);
    CHECK(lp_find(lp, f, "age", 3, 5) == NULL);
    CHECK(lp_find(lp, f, "42", 2, 2) == lp_seek(lp, 3));
    lp_destroy(lp);
}

/* ---- validation --------------------------------------------------------------- */

/* Validate a copy in a buffer of exactly n bytes (ASan sees overreads); if
 * it is accepted, read every element both ways. */
static int validate_copy(const unsigned char *src, size_t n)
{
    unsigned char *b = xmalloc(n ? n : 1);
    memcpy(b, src, n);
    int ok = lp_validate(b, n);
    if (ok) {
        uint32_t fw = 0, bw = 0;
        for (unsigned char *p = lp_first(b); p; p = lp_next(b, p), fw++) {
            char buf[LP_INTBUF];
            size_t len;
            const char *s = lp_get_str(p, buf, &len);
            volatile unsigned sum = 0;
            for (size_t i = 0; i < len; i++)
                sum += (unsigned char)s[i];
        }
        for (unsigned char *p = lp_last(b); p; p = lp_prev(b, p))
            bw++;
        CHECK(fw == lp_count(b) && bw == fw);
    }
    free(b);
    return ok;
}

static unsigned char *sample_lp(void)
{
    static const char *const v[] = { "a", "127", "-4096", "30000", "-8000000", "2000000000",
                                     "-9223372036854775808", "", "string-of-some-length" };
    unsigned char *lp = from_strs(v, sizeof(v) / sizeof(v[0]));
    char big[300];
    memset(big, 'q', sizeof(big));
    lp = lp_append(lp, big, sizeof(big));
    lp = lp_append(lp, big, 70);
    return lp;
}

TEST(validate_every_truncation)
{
    unsigned char *lp = sample_lp();
    size_t n = lp_bytes(lp);
    CHECK(validate_copy(lp, n));
    unsigned char *b = xmalloc(n);
    for (size_t k = 0; k < n; k++) {
        CHECK(!validate_copy(lp, k)); /* header still says n */
        /* header and count patched to the truncated size: still no overread,
         * and never accepted unless it ends cleanly at an element */
        if (k >= 9) {
            memcpy(b, lp, k);
            b[0] = (unsigned char)k;
            b[1] = (unsigned char)(k >> 8);
            b[2] = b[3] = 0;
            validate_copy(b, k);
            b[k - 1] = 0xFF;
            validate_copy(b, k);
        }
    }
    free(b);
    lp_destroy(lp);
}

TEST(validate_random_byte_flips)
{
    unsigned char *lp = sample_lp();
    size_t n = lp_bytes(lp);
    unsigned char *b = xmalloc(n);
    uint64_t rng = 99;
    long accepted = 0;
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(b, lp, n);
        int flips = 1 + (int)(rng_next(&rng) % 3);
        for (int f = 0; f < flips; f++)
            b[rng_next(&rng) % n] = (unsigned char)rng_next(&rng);
        accepted += validate_copy(b, n);
    }
    CHECK(accepted < 20000); /* most flips are caught */
    /* every single-byte change of every position */
    for (size_t i = 0; i < n; i++) {
        for (int x = 0; x < 256; x += 5) {
            memcpy(b, lp, n);
            b[i] = (unsigned char)x;
            validate_copy(b, n);
        }
    }
    free(b);
    lp_destroy(lp);
}

TEST(validate_hand_made_buffers)
{
    static const struct {
        const char *bytes;
        size_t n;
        int ok;
    } cases[] = {
        { "\x09\0\0\0\0\0\0\0\xff", 9, 1 },
        { "\x09\0\0\0\0\0\0\0\xfe", 9, 0 },                 /* no EOF */
        { "\x09\0\0\0\x01\0\0\0\xff", 9, 0 },               /* count says 1 */
        { "\x0a\0\0\0\0\0\0\0\xff", 9, 0 },                 /* total says 10 */
        { "\x0b\0\0\0\x01\0\0\0\x05\x01\xff", 11, 1 },      /* [5] */
        { "\x0b\0\0\0\x02\0\0\0\x05\x01\xff", 11, 0 },      /* wrong count */
        { "\x0b\0\0\0\x01\0\0\0\x05\x02\xff", 11, 0 },      /* wrong backlen */
        { "\x0b\0\0\0\x01\0\0\0\xf5\x01\xff", 11, 0 },      /* invalid encoding */
        { "\x0b\0\0\0\x01\0\0\0\xff\x01\xff", 11, 0 },      /* EOF as an element */
        { "\x0c\0\0\0\x01\0\0\0\x05\x00\x81\xff", 12, 0 },  /* backlen not minimal */
        { "\x0c\0\0\0\x01\0\0\0\x82" "a\x03\xff", 12, 0 },  /* string runs into EOF */
        { "\x0a\0\0\0\x01\0\0\0\xe0\xff", 10, 0 },          /* 12-bit len cut off */
        { "\x0b\0\0\0\x01\0\0\0\xe0\x00\xff", 11, 0 },      /* no room for backlen */
        { "\x0d\0\0\0\x01\0\0\0\xf0\x00\x00\x00\xff", 13, 0 }, /* 32-bit len cut off */
        { "\x0d\0\0\0\x01\0\0\0\xf1\x05\x00\x03\xff", 13, 1 }, /* 16-bit 5: wide, valid */
        { "\x0d\0\0\0\x01\0\0\0\xf1\x05\x00\x04\xff", 13, 0 },
        { "\x0c\0\0\0\x01\0\0\0\xf1\x05\x00\xff", 12, 0 },  /* int payload cut off */
        { "\x0c\0\0\0\x01\0\0\0\x81" "5\x02\xff", 12, 1 },  /* "5" as a string: valid */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (!CHECK_EQ_INT(validate_copy((const unsigned char *)cases[i].bytes, cases[i].n),
                          cases[i].ok))
            fprintf(stderr, "    case %zu\n", i);
    CHECK(!lp_validate(NULL, 0));

    /* wide forms read back like narrow ones */
    unsigned char *b = xmalloc(13);
    memcpy(b, "\x0d\0\0\0\x01\0\0\0\xf1\x05\x00\x03\xff", 13); /* int16 5 */
    CHECK(lp_eq(lp_first(b), "5", 1) && lp_find(b, lp_first(b), "5", 1, 0) == lp_first(b));
    memcpy(b, "\x0c\0\0\0\x01\0\0\0\x81" "5\x02\xff", 12); /* string "5" */
    long long x = 0;
    CHECK(lp_get_int(lp_first(b), &x) && x == 5);
    CHECK(lp_find(b, lp_first(b), "5", 1, 0) == lp_first(b));
    free(b);
}

/* ---- model test --------------------------------------------------------------- */

struct model {
    char **s;
    size_t *len;
    size_t n;
};

static size_t random_value(uint64_t *rng, char *buf)
{
    static const char *const odd[] = { "007", "-0", "+1", "", "9223372036854775808",
                                       "-9223372036854775808", "9223372036854775807",
                                       "4095", "4096", "-4096", "-4097", "127", "128" };
    uint64_t r = rng_next(rng);
    switch (r % 8) {
    case 0:
        return (size_t)sprintf(buf, "%d", (int)(rng_next(rng) % 300) - 150);
    case 1:
        return (size_t)sprintf(buf, "%" PRId64, (int64_t)rng_next(rng) >> (rng_next(rng) % 64));
    case 2: {
        const char *s = odd[rng_next(rng) % (sizeof(odd) / sizeof(odd[0]))];
        memcpy(buf, s, strlen(s));
        return strlen(s);
    }
    case 3: { /* sometimes long, around the prefix boundaries */
        static const size_t lens[] = { 62, 63, 64, 65, 126, 127, 4094, 4095, 4096, 4097, 5000 };
        size_t l = rng_next(rng) % 16 ? rng_next(rng) % 100
                                      : lens[rng_next(rng) % (sizeof(lens) / sizeof(lens[0]))];
        memset(buf, (int)('a' + r % 26), l);
        return l;
    }
    default:
        return (size_t)sprintf(buf, "k%u", (unsigned)(rng_next(rng) % 50));
    }
}

static void model_insert(struct model *m, size_t at, const char *s, size_t len)
{
    m->s = realloc(m->s, (m->n + 1) * sizeof(*m->s));
    m->len = realloc(m->len, (m->n + 1) * sizeof(*m->len));
    memmove(m->s + at + 1, m->s + at, (m->n - at) * sizeof(*m->s));
    memmove(m->len + at + 1, m->len + at, (m->n - at) * sizeof(*m->len));
    m->s[at] = xmemdup(s, len);
    m->len[at] = len;
    m->n++;
}

static void model_delete(struct model *m, size_t at, size_t num)
{
    for (size_t i = at; i < at + num; i++)
        free(m->s[i]);
    memmove(m->s + at, m->s + at + num, (m->n - at - num) * sizeof(*m->s));
    memmove(m->len + at, m->len + at + num, (m->n - at - num) * sizeof(*m->len));
    m->n -= num;
}

static int model_matches(unsigned char *lp, const struct model *m, uint64_t *rng)
{
    if (!CHECK_EQ_INT(lp_count(lp), m->n) || !CHECK(lp_validate(lp, lp_bytes(lp))))
        return 0;
    size_t i = 0, bytes = 9;
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p), i++) {
        char buf[LP_INTBUF];
        size_t len;
        const char *s = lp_get_str(p, buf, &len);
        long long v;
        struct lp_val val;
        lp_get(p, &val);
        if (!CHECK_MEM(s, len, m->s[i], m->len[i]) ||
            !CHECK((val.s == NULL) == resp_str2ll(m->s[i], m->len[i], &v)))
            return 0;
        bytes += expect_size(m->s[i], m->len[i]);
    }
    for (unsigned char *p = lp_last(lp); p; p = lp_prev(lp, p))
        if (!CHECK(i > 0 && lp_eq(p, m->s[i - 1], m->len[i - 1])))
            return 0;
        else
            i--;
    if (!CHECK_EQ_INT(lp_bytes(lp), bytes) || !CHECK_EQ_INT(i, 0))
        return 0;
    if (m->n) {
        size_t k = rng_next(rng) % m->n;
        unsigned char *p = lp_seek(lp, (long)k);
        if (!CHECK(p && lp_seek(lp, (long)k - (long)m->n) == p &&
                   lp_eq(p, m->s[k], m->len[k])))
            return 0;
    }
    return 1;
}

TEST(model_20000_random_operations)
{
    struct model m = { NULL, NULL, 0 };
    unsigned char *lp = lp_create();
    uint64_t rng = 20240601;
    char *buf = xmalloc(8192);
    for (int step = 0; step < 20000; step++) {
        size_t len = random_value(&rng, buf);
        unsigned op = (unsigned)(rng_next(&rng) % (m.n > 120 ? 12 : 9));
        size_t at = m.n ? rng_next(&rng) % m.n : 0;
        unsigned char *p = m.n ? lp_seek(lp, (long)at) : NULL;
        switch (op) {
        case 0: case 1: { /* insert before/after a random element */
            int where = op == 0 ? LP_BEFORE : LP_AFTER;
            unsigned char *np;
            lp = lp_insert(lp, p, where, buf, len, &np);
            size_t pos = !p ? (where == LP_BEFORE ? 0 : m.n) : at + (where == LP_AFTER);
            model_insert(&m, pos, buf, len);
            CHECK(np == lp_seek(lp, (long)pos));
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
            long long v = (long long)rng_next(&rng) >> (rng_next(&rng) % 64);
            lp = lp_append_int(lp, v);
            len = (size_t)sprintf(buf, "%lld", v);
            model_insert(&m, m.n, buf, len);
            break;
        }
        case 5:
            if (!p)
                break;
            lp = lp_replace(lp, &p, buf, len);
            CHECK(p == lp_seek(lp, (long)at));
            free(m.s[at]);
            m.s[at] = xmemdup(buf, len);
            m.len[at] = len;
            break;
        case 6: { /* find: the first match at or after a start, with skip */
            if (!p)
                break;
            size_t q = rng_next(&rng) % m.n;
            unsigned skip = (unsigned)(rng_next(&rng) % 3);
            const char *s = rng_next(&rng) % 4 ? m.s[q] : buf;
            size_t sl = s == buf ? len : m.len[q];
            unsigned char *got = lp_find(lp, p, s, sl, skip);
            long want = -1;
            for (size_t i = at; i < m.n && want < 0; i += skip + 1)
                if (m.len[i] == sl && memcmp(m.s[i], s, sl) == 0)
                    want = (long)i;
            CHECK(got == (want < 0 ? NULL : lp_seek(lp, want)));
            break;
        }
        case 7: case 9:
            if (!p)
                break;
            lp = lp_delete(lp, &p);
            model_delete(&m, at, 1);
            CHECK(p == (at < m.n ? lp_seek(lp, (long)at) : NULL));
            break;
        case 8: case 10: { /* a range by index, negative half the time */
            unsigned long num = (unsigned long)(rng_next(&rng) % 6);
            long idx = (long)at - (rng_next(&rng) % 2 ? (long)m.n : 0);
            lp = lp_delete_range(lp, idx, num);
            if (m.n)
                model_delete(&m, at, num < m.n - at ? num : m.n - at);
            break;
        }
        default: { /* a range at a position */
            if (!p)
                break;
            unsigned long num = (unsigned long)(rng_next(&rng) % 10);
            lp = lp_delete_range_at(lp, &p, num);
            model_delete(&m, at, num < m.n - at ? num : m.n - at);
            if (num)
                CHECK(p == (at < m.n ? lp_seek(lp, (long)at) : NULL));
            break;
        }
        }
        if (!model_matches(lp, &m, &rng)) {
            fprintf(stderr, "    model mismatch after step %d (op %u)\n", step, op);
            break;
        }
    }
    model_delete(&m, 0, m.n);
    free(m.s);
    free(m.len);
    free(buf);
    lp_destroy(lp);
}

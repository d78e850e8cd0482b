/* test_resp_write.c - unit tests for protocol/resp_write: every encoder in
 * RESP2 and RESP3, ll_to_str, deferred lengths and obuf_compact. */
#include "tests/unit/unit.h"

#include "protocol/resp_write.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A writer on a fresh buffer. */
struct fx {
    struct obuf b;
    struct resp_writer w;
};

static void fx_init(struct fx *f, int proto)
{
    obuf_init(&f->b);
    f->w.out = &f->b;
    f->w.proto = proto;
}

/* The bytes written so far equal the literal (NULs allowed); then clear. */
#define EXPECT(f, lit)                                                      \
    do {                                                                    \
        CHECK_MEM((f)->b.data, (f)->b.len, (lit), sizeof(lit) - 1);         \
        (f)->b.len = 0;                                                     \
    } while (0)

/* ---- scalars ------------------------------------------------------------ */

TEST(simple_and_error)
{
    for (int proto = 2; proto <= 3; proto++) {
        struct fx f;
        fx_init(&f, proto);
        resp_simple(&f.w, "OK");
        EXPECT(&f, "+OK\r\n");
        resp_simple(&f.w, "");
        EXPECT(&f, "+\r\n");
        resp_simple_len(&f.w, "QUEUEDxx", 6);
        EXPECT(&f, "+QUEUED\r\n");
        resp_error(&f.w, "ERR unknown command");
        EXPECT(&f, "-ERR unknown command\r\n");
        /* an error stays one line, whatever it quotes */
        resp_error(&f.w, "ERR bad\r\nthing\n");
        EXPECT(&f, "-ERR bad  thing \r\n");
        obuf_deinit(&f.b);
    }
}

TEST(integers)
{
    for (int proto = 2; proto <= 3; proto++) {
        struct fx f;
        fx_init(&f, proto);
        resp_int(&f.w, 0);
        EXPECT(&f, ":0\r\n");
        resp_int(&f.w, -1);
        EXPECT(&f, ":-1\r\n");
        resp_int(&f.w, 1234567890123LL);
        EXPECT(&f, ":1234567890123\r\n");
        resp_int(&f.w, LLONG_MAX);
        EXPECT(&f, ":9223372036854775807\r\n");
        resp_int(&f.w, LLONG_MIN);
        EXPECT(&f, ":-9223372036854775808\r\n");
        obuf_deinit(&f.b);
    }
}

TEST(bulk_strings)
{
    for (int proto = 2; proto <= 3; proto++) {
        struct fx f;
        fx_init(&f, proto);
        resp_bulk(&f.w, "hello", 5);
        EXPECT(&f, "$5\r\nhello\r\n");
        resp_bulk(&f.w, "", 0);
        EXPECT(&f, "$0\r\n\r\n");
        resp_bulk(&f.w, "a\r\n\0b", 5);
        EXPECT(&f, "$5\r\na\r\n\0b\r\n");
        resp_bulk_cstr(&f.w, "key");
        EXPECT(&f, "$3\r\nkey\r\n");
        resp_bulk_ll(&f.w, -42);
        EXPECT(&f, "$3\r\n-42\r\n");
        resp_bulk_ll(&f.w, LLONG_MIN);
        EXPECT(&f, "$20\r\n-9223372036854775808\r\n");
        obuf_deinit(&f.b);
    }
}

TEST(big_bulk_grows_buffer)
{
    struct fx f;
    fx_init(&f, 2);
    size_t n = 300 * 1000;
    char *payload = malloc(n);
    if (!CHECK(payload != NULL))
        return;
    for (size_t i = 0; i < n; i++)
        payload[i] = (char)(i * 7);
    resp_simple(&f.w, "x");
    resp_bulk(&f.w, payload, n);
    static const char hdr[] = "+x\r\n$300000\r\n";
    if (CHECK_EQ_INT(f.b.len, sizeof(hdr) - 1 + n + 2)) {
        CHECK_MEM(f.b.data, sizeof(hdr) - 1, hdr, sizeof(hdr) - 1);
        CHECK_MEM(f.b.data + sizeof(hdr) - 1, n, payload, n);
        CHECK_MEM(f.b.data + f.b.len - 2, 2, "\r\n", 2);
    }
    CHECK(f.b.cap >= f.b.len);
    free(payload);
    obuf_deinit(&f.b);
    CHECK(f.b.data == NULL && f.b.len == 0 && f.b.cap == 0);
}

TEST(null_and_null_array)
{
    struct fx f;
    fx_init(&f, 2);
    resp_null(&f.w);
    EXPECT(&f, "$-1\r\n");
    resp_null_array(&f.w);
    EXPECT(&f, "*-1\r\n");
    f.w.proto = 3;
    resp_null(&f.w);
    EXPECT(&f, "_\r\n");
    resp_null_array(&f.w);
    EXPECT(&f, "_\r\n");
    obuf_deinit(&f.b);
}

TEST(booleans)
{
    struct fx f;
    fx_init(&f, 2);
    resp_bool(&f.w, 1);
    EXPECT(&f, ":1\r\n");
    resp_bool(&f.w, 0);
    EXPECT(&f, ":0\r\n");
    resp_bool(&f.w, 7);
    EXPECT(&f, ":1\r\n");
    f.w.proto = 3;
    resp_bool(&f.w, 1);
    EXPECT(&f, "#t\r\n");
    resp_bool(&f.w, 0);
    EXPECT(&f, "#f\r\n");
    resp_bool(&f.w, -1);
    EXPECT(&f, "#t\r\n");
    obuf_deinit(&f.b);
}

/* ---- doubles ------------------------------------------------------------ */

/* d's RESP3 form is ",txt\r\n" and its RESP2 form "$len\r\ntxt\r\n". */
static void check_double_fn(double d, const char *txt)
{
    char want[128];
    struct fx f;
    fx_init(&f, 3);
    resp_double(&f.w, d);
    int n = snprintf(want, sizeof(want), ",%s\r\n", txt);
    CHECK_MEM(f.b.data, f.b.len, want, (size_t)n);
    f.b.len = 0;
    f.w.proto = 2;
    resp_double(&f.w, d);
    n = snprintf(want, sizeof(want), "$%zu\r\n%s\r\n", strlen(txt), txt);
    CHECK_MEM(f.b.data, f.b.len, want, (size_t)n);
    obuf_deinit(&f.b);
}
#define check_double(...) VIA(check_double_fn(__VA_ARGS__))

TEST(doubles)
{
    check_double(0.0, "0");
    check_double(-0.0, "-0");
    check_double(1.0, "1");
    check_double(-2.5, "-2.5");
    check_double(1.5, "1.5");
    /* %.17g: every digit needed to round-trip, and then some */
    check_double(3.14, "3.1400000000000001");
    check_double(0.1, "0.10000000000000001");
    check_double(1.0 / 3.0, "0.33333333333333331");
    check_double(1e21, "1e+21");
    check_double(1e300, "1.0000000000000001e+300");
    check_double(123456789012345678.0, "1.2345678901234568e+17");
    check_double(5e-324, "4.9406564584124654e-324");
    check_double(1.7976931348623157e308, "1.7976931348623157e+308");
    check_double(INFINITY, "inf");
    check_double(-INFINITY, "-inf");
    check_double(NAN, "nan");
}

/* ---- aggregates ---------------------------------------------------------- */

TEST(array_map_set)
{
    struct fx f;
    fx_init(&f, 2);
    resp_array(&f.w, 3);
    EXPECT(&f, "*3\r\n");
    resp_array(&f.w, 0);
    EXPECT(&f, "*0\r\n");
    resp_map(&f.w, 2);
    EXPECT(&f, "*4\r\n"); /* RESP2: a flat array of key, value, ... */
    resp_map(&f.w, 0);
    EXPECT(&f, "*0\r\n");
    resp_set(&f.w, 3);
    EXPECT(&f, "*3\r\n");

    f.w.proto = 3;
    resp_array(&f.w, 3);
    EXPECT(&f, "*3\r\n");
    resp_map(&f.w, 2);
    EXPECT(&f, "%2\r\n");
    resp_map(&f.w, 0);
    EXPECT(&f, "%0\r\n");
    resp_set(&f.w, 3);
    EXPECT(&f, "~3\r\n");
    resp_set(&f.w, 0);
    EXPECT(&f, "~0\r\n");
    obuf_deinit(&f.b);
}

TEST(nested_reply)
{
    /* HELLO-like map: RESP3 and its RESP2 flattening */
    struct fx f;
    fx_init(&f, 3);
    for (int proto = 3; proto >= 2; proto--) {
        f.w.proto = proto;
        resp_map(&f.w, 2);
        resp_bulk_cstr(&f.w, "proto");
        resp_int(&f.w, proto);
        resp_bulk_cstr(&f.w, "modules");
        resp_set(&f.w, 1);
        resp_null(&f.w);
        if (proto == 3)
            EXPECT(&f, "%2\r\n$5\r\nproto\r\n:3\r\n$7\r\nmodules\r\n~1\r\n_\r\n");
        else
            EXPECT(&f, "*4\r\n$5\r\nproto\r\n:2\r\n$7\r\nmodules\r\n*1\r\n$-1\r\n");
    }
    obuf_deinit(&f.b);
}

TEST(verbatim)
{
    struct fx f;
    fx_init(&f, 3);
    resp_verbatim(&f.w, "hello", 5);
    EXPECT(&f, "=9\r\ntxt:hello\r\n");
    resp_verbatim(&f.w, "", 0);
    EXPECT(&f, "=4\r\ntxt:\r\n");
    resp_verbatim(&f.w, "a\r\nb\r\n", 6);
    EXPECT(&f, "=10\r\ntxt:a\r\nb\r\n\r\n");
    f.w.proto = 2;
    resp_verbatim(&f.w, "hello", 5);
    EXPECT(&f, "$5\r\nhello\r\n");
    resp_verbatim(&f.w, "", 0);
    EXPECT(&f, "$0\r\n\r\n");
    obuf_deinit(&f.b);
}

/* ---- ll_to_str ------------------------------------------------------------ */

static void check_ll_fn(long long v, const char *want)
{
    char buf[32];
    memset(buf, 'Z', sizeof(buf));
    int n = ll_to_str(buf, v);
    CHECK_EQ_INT(n, (long long)strlen(want));
    CHECK_MEM(buf, (size_t)n, want, strlen(want));
    CHECK_EQ_INT(buf[n], '\0');
    CHECK_EQ_INT(buf[21], 'Z'); /* fits the documented 21 bytes */
}
#define check_ll(...) VIA(check_ll_fn(__VA_ARGS__))

TEST(ll_to_str)
{
    check_ll(0, "0");
    check_ll(-1, "-1");
    check_ll(1, "1");
    check_ll(9, "9");
    check_ll(10, "10");
    check_ll(-10, "-10");
    check_ll(1000000000000000000LL, "1000000000000000000");
    check_ll(LLONG_MAX, "9223372036854775807");
    check_ll(LLONG_MIN, "-9223372036854775808");
    check_ll(LLONG_MIN + 1, "-9223372036854775807");

    /* agrees with printf across magnitudes */
    char a[32], b[32];
    long long v = 1;
    for (int i = 0; i < 64; i++, v = (long long)((unsigned long long)v * 3 + 1)) {
        int n = ll_to_str(a, v);
        int m = snprintf(b, sizeof(b), "%lld", v);
        if (!CHECK_MEM(a, (size_t)n, b, (size_t)m))
            break;
        n = ll_to_str(a, -v);
        m = snprintf(b, sizeof(b), "%lld", -v);
        if (!CHECK_MEM(a, (size_t)n, b, (size_t)m))
            break;
    }
}

/* ---- deferred lengths ------------------------------------------------------ */

TEST(defer_array)
{
    struct fx f;
    fx_init(&f, 2);
    resp_simple(&f.w, "before");
    size_t mark = resp_defer(&f.w);
    CHECK_EQ_INT(mark, 9);
    resp_bulk_cstr(&f.w, "a");
    resp_int(&f.w, 2);
    resp_null(&f.w);
    resp_defer_array(&f.w, mark, 3);
    resp_simple(&f.w, "after");
    EXPECT(&f, "+before\r\n*3\r\n$1\r\na\r\n:2\r\n$-1\r\n+after\r\n");

    /* nothing written in between, and a mark at the very start */
    mark = resp_defer(&f.w);
    resp_defer_array(&f.w, mark, 0);
    EXPECT(&f, "*0\r\n");

    /* a length with many digits */
    mark = resp_defer(&f.w);
    for (int i = 0; i < 12345; i++)
        resp_int(&f.w, i % 10);
    resp_defer_array(&f.w, mark, 12345);
    if (CHECK_EQ_INT(f.b.len, 8 + 12345 * 4)) {
        CHECK_MEM(f.b.data, 8, "*12345\r\n", 8);
        CHECK_MEM(f.b.data + 8, 8, ":0\r\n:1\r\n", 8);
        CHECK_MEM(f.b.data + f.b.len - 4, 4, ":4\r\n", 4);
    }
    obuf_deinit(&f.b);
}

TEST(defer_nested)
{
    /* an array of two deferred arrays, filled innermost first */
    struct fx f;
    fx_init(&f, 3);
    size_t outer = resp_defer(&f.w);
    size_t in1 = resp_defer(&f.w);
    resp_bulk_cstr(&f.w, "x");
    resp_defer_array(&f.w, in1, 1);
    size_t in2 = resp_defer(&f.w);
    resp_bulk_cstr(&f.w, "y");
    resp_bulk_cstr(&f.w, "z");
    resp_defer_array(&f.w, in2, 2);
    resp_defer_array(&f.w, outer, 2);
    EXPECT(&f, "*2\r\n*1\r\n$1\r\nx\r\n*2\r\n$1\r\ny\r\n$1\r\nz\r\n");
    obuf_deinit(&f.b);
}

TEST(defer_map)
{
    for (int proto = 2; proto <= 3; proto++) {
        struct fx f;
        fx_init(&f, proto);
        resp_int(&f.w, 7);
        size_t mark = resp_defer(&f.w);
        resp_bulk_cstr(&f.w, "k1");
        resp_double(&f.w, 1.5);
        resp_bulk_cstr(&f.w, "k2");
        resp_bool(&f.w, 1);
        resp_defer_map(&f.w, mark, 2);
        if (proto == 3)
            EXPECT(&f, ":7\r\n%2\r\n$2\r\nk1\r\n,1.5\r\n$2\r\nk2\r\n#t\r\n");
        else
            EXPECT(&f, ":7\r\n*4\r\n$2\r\nk1\r\n$3\r\n1.5\r\n$2\r\nk2\r\n:1\r\n");
        mark = resp_defer(&f.w);
        resp_defer_map(&f.w, mark, 0);
        if (proto == 3)
            EXPECT(&f, "%0\r\n");
        else
            EXPECT(&f, "*0\r\n");
        obuf_deinit(&f.b);
    }
}

TEST(defer_fill_grows_full_buffer)
{
    /* fill the buffer to exactly its capacity, then insert a header */
    struct fx f;
    fx_init(&f, 2);
    size_t mark = resp_defer(&f.w);
    resp_bulk_cstr(&f.w, "x");
    while (f.b.len < f.b.cap)
        obuf_append(&f.b, "y", 1);
    size_t cap = f.b.cap, len = f.b.len;
    resp_defer_array(&f.w, mark, 1);
    CHECK(f.b.cap > cap);
    if (CHECK_EQ_INT(f.b.len, len + 4)) {
        CHECK_MEM(f.b.data, 11, "*1\r\n$1\r\nx\r\n", 11);
        CHECK_EQ_INT(f.b.data[f.b.len - 1], 'y');
    }
    obuf_deinit(&f.b);
}

/* ---- obuf ------------------------------------------------------------------- */

TEST(obuf_append_basic)
{
    struct obuf b;
    obuf_init(&b);
    CHECK(b.data == NULL && b.len == 0 && b.sent == 0 && b.cap == 0);
    obuf_append(&b, "", 0);
    CHECK_EQ_INT(b.len, 0);
    obuf_append(&b, "abc", 3);
    obuf_append(&b, "de", 2);
    CHECK_MEM(b.data, b.len, "abcde", 5);
    CHECK(b.cap >= 5);
    obuf_deinit(&b);
    CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
    obuf_deinit(&b); /* twice is harmless */
}

TEST(obuf_compact_empty)
{
    struct obuf b;
    obuf_init(&b);
    obuf_compact(&b);
    CHECK(b.data == NULL && b.len == 0 && b.sent == 0 && b.cap == 0);
    obuf_deinit(&b);
}

TEST(obuf_compact_drained_small_keeps_memory)
{
    struct obuf b;
    obuf_init(&b);
    obuf_append(&b, "hello world", 11);
    char *data = b.data;
    size_t cap = b.cap;
    b.sent = b.len;
    obuf_compact(&b);
    CHECK_EQ_INT(b.len, 0);
    CHECK_EQ_INT(b.sent, 0);
    CHECK(b.data == data);
    CHECK_EQ_INT(b.cap, cap);
    obuf_append(&b, "x", 1);
    CHECK_MEM(b.data, b.len, "x", 1);
    obuf_deinit(&b);
}

TEST(obuf_compact_drained_large_frees)
{
    struct obuf b;
    obuf_init(&b);
    static char big[100 * 1024];
    memset(big, 'q', sizeof(big));
    obuf_append(&b, big, sizeof(big));
    CHECK(b.cap > 64 * 1024);
    b.sent = b.len;
    obuf_compact(&b);
    CHECK(b.data == NULL);
    CHECK_EQ_INT(b.cap, 0);
    CHECK_EQ_INT(b.len, 0);
    CHECK_EQ_INT(b.sent, 0);
    /* and it is usable again */
    obuf_append(&b, "ok", 2);
    CHECK_MEM(b.data, b.len, "ok", 2);
    obuf_deinit(&b);

    /* exactly 64 KB of capacity is kept */
    obuf_init(&b);
    obuf_append(&b, big, 64 * 1024);
    CHECK_EQ_INT(b.cap, 64 * 1024);
    b.sent = b.len;
    obuf_compact(&b);
    CHECK(b.data != NULL);
    CHECK_EQ_INT(b.cap, 64 * 1024);
    CHECK_EQ_INT(b.len, 0);
    obuf_deinit(&b);
}

TEST(obuf_compact_partial)
{
    struct obuf b;
    obuf_init(&b);
    obuf_append(&b, "0123456789", 10);

    /* nothing sent: untouched */
    obuf_compact(&b);
    CHECK_EQ_INT(b.sent, 0);
    CHECK_MEM(b.data, b.len, "0123456789", 10);

    /* less than half sent: left in place (moving would cost more) */
    b.sent = 4;
    obuf_compact(&b);
    CHECK_EQ_INT(b.sent, 4);
    CHECK_EQ_INT(b.len, 10);
    CHECK_MEM(b.data + b.sent, b.len - b.sent, "456789", 6);

    /* half or more sent: the unsent tail moves to the front */
    b.sent = 5;
    obuf_compact(&b);
    CHECK_EQ_INT(b.sent, 0);
    CHECK_MEM(b.data, b.len, "56789", 5);

    b.sent = 4;
    obuf_compact(&b);
    CHECK_EQ_INT(b.sent, 0);
    CHECK_MEM(b.data, b.len, "9", 1);

    /* appending after a compaction continues the stream */
    obuf_append(&b, "abc", 3);
    CHECK_MEM(b.data + b.sent, b.len - b.sent, "9abc", 4);
    obuf_deinit(&b);
}

TEST(writer_then_compact_stream)
{
    /* a reply stream survives being sent in pieces with compactions */
    struct fx f;
    fx_init(&f, 3);
    struct obuf sink;
    obuf_init(&sink);
    for (int i = 0; i < 2000; i++) {
        resp_int(&f.w, i);
        if (i % 3 == 0) {
            size_t n = (f.b.len - f.b.sent) / 2 + 1;
            obuf_append(&sink, f.b.data + f.b.sent, n);
            f.b.sent += n;
            obuf_compact(&f.b);
        }
    }
    obuf_append(&sink, f.b.data + f.b.sent, f.b.len - f.b.sent);
    f.b.sent = f.b.len;
    obuf_compact(&f.b);
    CHECK_EQ_INT(f.b.len, 0);

    struct obuf want;
    obuf_init(&want);
    struct resp_writer w2 = { &want, 3 };
    for (int i = 0; i < 2000; i++)
        resp_int(&w2, i);
    CHECK_MEM(sink.data, sink.len, want.data, want.len);
    obuf_deinit(&want);
    obuf_deinit(&sink);
    obuf_deinit(&f.b);
}

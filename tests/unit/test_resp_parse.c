/* test_resp_parse.c - unit tests for protocol/resp_parse.
 *
 * Every valid frame is parsed whole, at every split point (first k bytes ->
 * NEED_MORE, then the whole frame -> OK with the same argv), and growing one
 * byte at a time.  Each partial buffer is a heap copy of exactly the bytes
 * "received", so ASan catches any read past them.  Hostile input must fail
 * with Redis 7.0's exact error text.
 */
#include "tests/unit/unit.h"

#include "protocol/resp_parse.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct exp_arg {
    const char *p;
    size_t n;
};

/* An expected argument from a string literal (may hold NUL bytes). */
#define A(lit) { (lit), sizeof(lit) - 1 }
/* A frame from a string literal, without the literal's terminating NUL. */
#define F(lit) (lit), sizeof(lit) - 1
#define NARGS(arr) (sizeof(arr) / sizeof((arr)[0]))

static const struct resp_limits LIM = {
    .max_bulk_len = 512LL * 1024 * 1024,
    .max_multibulk_len = INT_MAX,
    .max_inline_len = 64 * 1024,
};

/* Small limits so the "too big" paths are cheap to reach. */
static const struct resp_limits SMALL = {
    .max_bulk_len = 100,
    .max_multibulk_len = 1024,
    .max_inline_len = 64,
};

static char *dup_exact(const char *s, size_t n)
{
    char *d = malloc(n ? n : 1);
    if (!d)
        abort();
    if (n)
        memcpy(d, s, n);
    return d;
}

/* Does the parser, after RESP_OK on buf, hold exactly the expected argv? */
static int check_args(const struct resp_parser *p, const char *buf, const struct exp_arg *exp,
                      size_t nexp)
{
    if (!CHECK_EQ_INT(p->nargs, nexp))
        return 0;
    for (size_t i = 0; i < nexp; i++) {
        if (!CHECK_MEM(resp_arg_ptr(p, buf, i), p->argv[i].len, exp[i].p, exp[i].n)) {
            fprintf(stderr, "    (argument %zu)\n", i);
            return 0;
        }
    }
    return 1;
}

/* Parse a complete frame whole, followed by more input, at every split
 * point, and growing byte by byte. */
static void check_frame_lim_fn(const char *frame, size_t len, const struct exp_arg *exp, size_t nexp,
                            const struct resp_limits *lim)
{
    struct resp_parser p;
    char *whole = dup_exact(frame, len);

    /* whole */
    resp_parser_init(&p);
    CHECK_EQ_INT(resp_parse(&p, whole, len, lim), RESP_OK);
    CHECK_EQ_INT(p.frame_len, len);
    check_args(&p, whole, exp, nexp);
    resp_parser_deinit(&p);

    /* whole, with the start of another frame behind it */
    static const char tail[] = "*2\r\n$3\r\nGE";
    char *more = malloc(len + sizeof(tail) - 1);
    if (!more)
        abort();
    memcpy(more, frame, len);
    memcpy(more + len, tail, sizeof(tail) - 1);
    resp_parser_init(&p);
    CHECK_EQ_INT(resp_parse(&p, more, len + sizeof(tail) - 1, lim), RESP_OK);
    CHECK_EQ_INT(p.frame_len, len);
    check_args(&p, more, exp, nexp);
    resp_parser_deinit(&p);
    free(more);

    /* every split point: k bytes, then the whole frame (at a new address) */
    for (size_t k = 0; k < len; k++) {
        char *part = dup_exact(frame, k);
        resp_parser_init(&p);
        enum resp_status st = resp_parse(&p, part, k, lim);
        free(part);
        int ok = CHECK_EQ_INT(st, RESP_NEED_MORE);
        if (ok) {
            ok = CHECK_EQ_INT(resp_parse(&p, whole, len, lim), RESP_OK) &&
                 CHECK_EQ_INT(p.frame_len, len) && check_args(&p, whole, exp, nexp);
        }
        resp_parser_deinit(&p);
        if (!ok) {
            fprintf(stderr, "    (split after %zu of %zu bytes)\n", k, len);
            break;
        }
    }

    /* growing one byte at a time, one parser, the buffer moving each time */
    resp_parser_init(&p);
    for (size_t k = 0; k <= len; k++) {
        char *part = dup_exact(frame, k);
        enum resp_status st = resp_parse(&p, part, k, lim);
        int ok;
        if (k < len)
            ok = CHECK_EQ_INT(st, RESP_NEED_MORE);
        else
            ok = CHECK_EQ_INT(st, RESP_OK) && CHECK_EQ_INT(p.frame_len, len) &&
                 check_args(&p, part, exp, nexp);
        free(part);
        if (!ok) {
            fprintf(stderr, "    (growing, at %zu of %zu bytes)\n", k, len);
            break;
        }
    }
    resp_parser_deinit(&p);
    free(whole);
}

static void check_frame_fn(const char *frame, size_t len, const struct exp_arg *exp, size_t nexp)
{
    check_frame_lim_fn(frame, len, exp, nexp, &LIM);
}

/* The next split point to try after k (< len): all of them for frames up to
 * 8 KB, about 512 spread ones (plus len - 1) for the 64 KB limit cases. */
static size_t next_split(size_t k, size_t len)
{
    size_t step = len > 8192 ? len / 512 : 1;
    if (k + step >= len && k + 1 < len)
        return len - 1;
    return k + step;
}

/* Hostile input: the whole buffer fails with exactly err; every prefix
 * either waits for more or already fails with the same text; a parser fed a
 * growing buffer reaches the same error. */
static void check_error_lim_fn(const char *frame, size_t len, const struct resp_limits *lim,
                            const char *err)
{
    struct resp_parser p;
    char *whole = dup_exact(frame, len);

    resp_parser_init(&p);
    CHECK_EQ_INT(resp_parse(&p, whole, len, lim), RESP_ERROR);
    CHECK_EQ_STR(p.err, err);
    resp_parser_deinit(&p);

    for (size_t k = 0; k < len; k = next_split(k, len)) {
        char *part = dup_exact(frame, k);
        resp_parser_init(&p);
        enum resp_status st = resp_parse(&p, part, k, lim);
        int ok = st == RESP_NEED_MORE || (CHECK_EQ_INT(st, RESP_ERROR) && CHECK_EQ_STR(p.err, err));
        resp_parser_deinit(&p);
        free(part);
        if (!ok) {
            fprintf(stderr, "    (prefix of %zu of %zu bytes)\n", k, len);
            break;
        }
    }

    resp_parser_init(&p);
    for (size_t k = 0; k <= len; k = k < len ? next_split(k, len) : k + 1) {
        char *part = dup_exact(frame, k);
        enum resp_status st = resp_parse(&p, part, k, lim);
        free(part);
        if (st == RESP_NEED_MORE && k < len)
            continue;
        if (!(CHECK_EQ_INT(st, RESP_ERROR) && CHECK_EQ_STR(p.err, err)))
            fprintf(stderr, "    (growing, at %zu of %zu bytes)\n", k, len);
        break;
    }
    resp_parser_deinit(&p);
    free(whole);
}

static void check_error_fn(const char *frame, size_t len, const char *err)
{
    check_error_lim_fn(frame, len, &LIM, err);
}

/* One parse of a buffer (a heap copy of exactly len bytes). */
static enum resp_status parse_once(struct resp_parser *p, const char *s, size_t len,
                                   const struct resp_limits *lim, char **copy)
{
    *copy = dup_exact(s, len);
    return resp_parse(p, *copy, len, lim);
}

/* Failures inside the helpers also name the calling line. */
#define check_frame(...) VIA(check_frame_fn(__VA_ARGS__))
#define check_frame_lim(...) VIA(check_frame_lim_fn(__VA_ARGS__))
#define check_error(...) VIA(check_error_fn(__VA_ARGS__))
#define check_error_lim(...) VIA(check_error_lim_fn(__VA_ARGS__))

#define ERR_MBULK "Protocol error: invalid multibulk length"
#define ERR_BULK "Protocol error: invalid bulk length"
#define ERR_BIG_MBULK "Protocol error: too big mbulk count string"
#define ERR_BIG_BULK "Protocol error: too big bulk count string"
#define ERR_BIG_INLINE "Protocol error: too big inline request"
#define ERR_QUOTES "Protocol error: unbalanced quotes in request"

/* ---- valid multibulk frames -------------------------------------------- */

TEST(mbulk_ping)
{
    static const struct exp_arg e[] = { A("PING") };
    check_frame(F("*1\r\n$4\r\nPING\r\n"), e, NARGS(e));
}

TEST(mbulk_set)
{
    static const struct exp_arg e[] = { A("SET"), A("key"), A("value") };
    check_frame(F("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"), e, NARGS(e));
}

TEST(mbulk_empty_bulk)
{
    static const struct exp_arg e[] = { A("GET"), A("") };
    check_frame(F("*2\r\n$3\r\nGET\r\n$0\r\n\r\n"), e, NARGS(e));
    static const struct exp_arg e2[] = { A(""), A(""), A("") };
    check_frame(F("*3\r\n$0\r\n\r\n$0\r\n\r\n$0\r\n\r\n"), e2, NARGS(e2));
}

TEST(mbulk_binary_bulk)
{
    /* CRLF, NUL, '*', '$' and high bytes inside a payload are data */
    static const struct exp_arg e[] = { A("ECHO"), A("a\r\n\0\r\n*1\r\n$3\xff\xfe\n\r") };
    check_frame(F("*2\r\n$4\r\nECHO\r\n$16\r\na\r\n\0\r\n*1\r\n$3\xff\xfe\n\r\r\n"), e, NARGS(e));

    char payload[256];
    for (int i = 0; i < 256; i++)
        payload[i] = (char)i;
    char frame[300];
    int n = snprintf(frame, sizeof(frame), "*1\r\n$256\r\n");
    memcpy(frame + n, payload, 256);
    memcpy(frame + n + 256, "\r\n", 2);
    struct exp_arg e2[] = { { payload, 256 } };
    check_frame(frame, (size_t)n + 258, e2, 1);
}

TEST(mbulk_1000_args)
{
    enum { N = 1000 };
    static char frame[N * 16 + 16];
    static char vals[N][8];
    static struct exp_arg e[N];
    size_t len = (size_t)snprintf(frame, sizeof(frame), "*%d\r\n", N);
    for (int i = 0; i < N; i++) {
        /* lengths 0..4, so empty arguments are in there too */
        int vl = snprintf(vals[i], sizeof(vals[i]), "%d", i) - (i % 5 == 0);
        if (vl < 0)
            vl = 0;
        len += (size_t)snprintf(frame + len, sizeof(frame) - len, "$%d\r\n%.*s\r\n", vl, vl, vals[i]);
        e[i].p = vals[i];
        e[i].n = (size_t)vl;
    }
    check_frame(frame, len, e, N);
}

TEST(mbulk_empty_commands)
{
    check_frame(F("*0\r\n"), NULL, 0);
    check_frame(F("*-1\r\n"), NULL, 0);
    check_frame(F("*-100\r\n"), NULL, 0);
    /* the smallest long long is a valid (empty) count; one less is not */
    check_frame(F("*-9223372036854775808\r\n"), NULL, 0);
    check_error(F("*-9223372036854775809\r\n"), ERR_MBULK);
}

TEST(mbulk_crlf_after_payload_unchecked)
{
    /* Redis skips the two bytes after a payload without looking at them */
    static const struct exp_arg e[] = { A("foo"), A("ba") };
    check_frame(F("*2\r\n$3\r\nfooXY$2\r\nba\n\n"), e, NARGS(e));
    /* and only needs a '\r' plus one more byte to end a header line */
    static const struct exp_arg e2[] = { A("foo") };
    check_frame(F("*1\rX$3\rYfoo\r\n"), e2, NARGS(e2));
}

TEST(mbulk_limits_at_the_edge)
{
    char frame[200];
    char payload[100];
    memset(payload, 'x', sizeof(payload));
    int n = snprintf(frame, sizeof(frame), "*1\r\n$100\r\n%.100s\r\n", payload);
    struct exp_arg e[] = { { payload, 100 } };
    check_frame_lim(frame, (size_t)n, e, 1, &SMALL); /* max_bulk_len is inclusive */

    /* max_multibulk_len is inclusive too */
    struct resp_parser p;
    char *copy;
    resp_parser_init(&p);
    CHECK_EQ_INT(parse_once(&p, F("*1024\r\n"), &SMALL, &copy), RESP_NEED_MORE);
    free(copy);
    resp_parser_deinit(&p);
    check_error_lim(F("*1025\r\n"), &SMALL, ERR_MBULK);
}

/* ---- valid inline frames ----------------------------------------------- */

TEST(inline_simple)
{
    static const struct exp_arg e[] = { A("PING") };
    check_frame(F("PING\r\n"), e, NARGS(e));
    check_frame(F("PING\n"), e, NARGS(e));
    check_frame(F("  \t PING \t \r\n"), e, NARGS(e));
    check_frame(F("\v\fPING\n"), e, NARGS(e)); /* isspace() blanks skip */
    static const struct exp_arg e2[] = { A("SET"), A("k"), A("v") };
    check_frame(F("SET  k \t v\r\n"), e2, NARGS(e2));
    /* a '\r' inside the line separates; only a final one is stripped */
    check_frame(F("SET\rk\rv\r\n"), e2, NARGS(e2));
    /* \v and \f end no unquoted token (Redis's splitter lists ' ' \n \r \t) */
    static const struct exp_arg e3[] = { A("a\vb\fc"), A("d") };
    check_frame(F("a\vb\fc d\n"), e3, NARGS(e3));
    /* a backslash outside quotes is literal; so is everything else */
    static const struct exp_arg e4[] = { A("a\\nb"), A("$3"), A("\xff") };
    check_frame(F("a\\nb $3 \xff\r\n"), e4, NARGS(e4));
}

TEST(inline_empty_lines)
{
    check_frame(F("\r\n"), NULL, 0);
    check_frame(F("\n"), NULL, 0);
    check_frame(F("   \t  \r\n"), NULL, 0);
    check_frame(F("\r\r\n"), NULL, 0);
}

TEST(inline_double_quotes)
{
    static const struct exp_arg e[] = { A("SET"), A("a b"), A("c\"d") };
    check_frame(F("SET \"a b\" \"c\\\"d\"\r\n"), e, NARGS(e));
    static const struct exp_arg e2[] = { A("\n\r\t\b\a\\\"q'") };
    check_frame(F("\"\\n\\r\\t\\b\\a\\\\\\\"\\q'\"\r\n"), e2, NARGS(e2));
    /* an empty quoted argument is an argument */
    static const struct exp_arg e3[] = { A(""), A("x"), A("") };
    check_frame(F("\"\" x \"\"\n"), e3, NARGS(e3));
    /* quotes may start mid-token and join it */
    static const struct exp_arg e4[] = { A("abc d"), A("e") };
    check_frame(F("ab\"c d\" e\n"), e4, NARGS(e4));
    /* a closing quote may be followed by any isspace() byte, or the end */
    static const struct exp_arg e5[] = { A("a"), A("b") };
    check_frame(F("\"a\"\v\"b\"\r\n"), e5, NARGS(e5));
    check_frame(F("\"a\"\t\"b\"\n"), e5, NARGS(e5));
}

TEST(inline_hex_escapes)
{
    static const struct exp_arg e[] = { A("AJ\0\xff\x7f"), A("z") };
    check_frame(F("\"\\x41\\x4a\\x00\\xFF\\x7f\" z\r\n"), e, NARGS(e));
    /* not two hex digits: "\x" is an escaped 'x' and the rest literal */
    static const struct exp_arg e2[] = { A("xZZ"), A("x4"), A("xg1") };
    check_frame(F("\"\\xZZ\" \"\\x4\" \"\\xg1\"\n"), e2, NARGS(e2));
    /* CR LF inside quotes, written as escapes */
    static const struct exp_arg e3[] = { A("SET"), A("k"), A("line1\r\nline2") };
    check_frame(F("SET k \"line1\\r\\nline2\"\r\n"), e3, NARGS(e3));
}

TEST(inline_single_quotes)
{
    static const struct exp_arg e[] = { A("it's"), A("a \"b\" \\n") };
    check_frame(F("'it\\'s' 'a \"b\" \\n'\r\n"), e, NARGS(e));
    static const struct exp_arg e2[] = { A("") };
    check_frame(F("''\n"), e2, NARGS(e2));
    /* only \' is an escape in single quotes; other backslashes are kept */
    static const struct exp_arg e3[] = { A("\\x41\\\\ \\n") };
    check_frame(F("'\\x41\\\\ \\n'\n"), e3, NARGS(e3));
}

TEST(inline_nul_ends_line)
{
    /* Cachet's documented choice: a NUL ends the inline line, as it ends the
     * C string Redis splits (Redis itself never finds the '\n' past a NUL). */
    static const struct exp_arg e[] = { A("PING") };
    check_frame(F("PING\0 junk\r\n"), e, NARGS(e));
}

TEST(inline_at_the_length_limit)
{
    char line[80];
    memset(line, 'a', 64);
    line[64] = '\n';
    struct exp_arg e[] = { { line, 64 } };
    check_frame_lim(line, 65, e, 1, &SMALL); /* 64 bytes before '\n' is fine */
    /* the '\r' of "\r\n" counts toward the limit, as in Redis */
    memset(line, 'a', 63);
    line[63] = '\r';
    line[64] = '\n';
    struct exp_arg e2[] = { { line, 63 } };
    check_frame_lim(line, 65, e2, 1, &SMALL);
}

/* ---- pipelines --------------------------------------------------------- */

struct exp_cmd {
    const struct exp_arg *args;
    size_t n;
};

static const struct exp_arg P_PING[] = { A("PING") };
static const struct exp_arg P_SET[] = { A("SET"), A("a b"), A("v") };
static const struct exp_arg P_BIN[] = { A("ECHO"), A("\r\n\0*") };
static const struct exp_arg P_GET[] = { A("GET"), A("") };
static const struct exp_arg P_INL[] = { A("incr"), A("x") };

static const char PIPE[] =
    "*1\r\n$4\r\nPING\r\n"
    "SET \"a b\" v\r\n"
    "*0\r\n"
    "*2\r\n$4\r\nECHO\r\n$4\r\n\r\n\0*\r\n"
    "\r\n"
    "*-1\r\n"
    "*2\r\n$3\r\nGET\r\n$0\r\n\r\n"
    "incr x\n"
    "\n"
    "*1\r\n$4\r\nPING\r\n";

static const struct exp_cmd PIPE_CMDS[] = {
    { P_PING, 1 }, { P_SET, 3 }, { NULL, 0 }, { P_BIN, 2 }, { NULL, 0 },
    { NULL, 0 },   { P_GET, 2 }, { P_INL, 2 }, { NULL, 0 }, { P_PING, 1 },
};

TEST(pipeline_whole)
{
    const size_t len = sizeof(PIPE) - 1;
    char *buf = dup_exact(PIPE, len);
    struct resp_parser p;
    resp_parser_init(&p);
    size_t off = 0, i = 0;
    enum resp_status st;
    while ((st = resp_parse(&p, buf + off, len - off, &LIM)) == RESP_OK) {
        if (!CHECK(i < NARGS(PIPE_CMDS)))
            break;
        if (!check_args(&p, buf + off, PIPE_CMDS[i].args, PIPE_CMDS[i].n))
            fprintf(stderr, "    (command %zu)\n", i);
        CHECK(p.frame_len > 0 && p.frame_len <= len - off);
        off += p.frame_len;
        i++;
        resp_parser_reset(&p);
    }
    CHECK_EQ_INT(st, RESP_NEED_MORE);
    CHECK_EQ_INT(i, NARGS(PIPE_CMDS));
    CHECK_EQ_INT(off, len);
    resp_parser_deinit(&p);
    free(buf);
}

/* Like a connection: bytes arrive in chunks of every size from 1 to 40; after
 * each read, run every complete command and keep the rest. */
TEST(pipeline_streamed_in_chunks)
{
    const size_t len = sizeof(PIPE) - 1;
    for (size_t chunk = 1; chunk <= 40; chunk++) {
        struct resp_parser p;
        resp_parser_init(&p);
        size_t have = 0, off = 0, i = 0;
        int ok = 1;
        while (ok && have < len) {
            have = have + chunk < len ? have + chunk : len;
            /* the unconsumed bytes, copied to a fresh exact-size buffer */
            char *buf = dup_exact(PIPE + off, have - off);
            size_t boff = 0;
            enum resp_status st;
            while ((st = resp_parse(&p, buf + boff, have - off - boff, &LIM)) == RESP_OK) {
                ok = CHECK(i < NARGS(PIPE_CMDS)) &&
                     check_args(&p, buf + boff, PIPE_CMDS[i].args, PIPE_CMDS[i].n);
                if (!ok)
                    break;
                boff += p.frame_len;
                i++;
                resp_parser_reset(&p);
            }
            if (ok)
                ok = CHECK_EQ_INT(st, RESP_NEED_MORE);
            off += boff;
            free(buf);
        }
        if (ok)
            ok = CHECK_EQ_INT(i, NARGS(PIPE_CMDS)) && CHECK_EQ_INT(off, len);
        resp_parser_deinit(&p);
        if (!ok) {
            fprintf(stderr, "    (chunk size %zu)\n", chunk);
            break;
        }
    }
}

/* ---- hostile multibulk counts ----------------------------------------- */

TEST(bad_multibulk_count)
{
    check_error(F("*2147483648\r\n"), ERR_MBULK); /* > INT_MAX, as in Redis */
    check_error(F("*abc\r\n"), ERR_MBULK);
    check_error(F("*\r\n"), ERR_MBULK);
    check_error(F("*-\r\n"), ERR_MBULK);
    check_error(F("*1 \r\n"), ERR_MBULK);
    check_error(F("* 1\r\n"), ERR_MBULK);
    check_error(F("*1x\r\n$1\r\na\r\n"), ERR_MBULK);
    check_error(F("*0x10\r\n"), ERR_MBULK);
    check_error(F("*1.0\r\n"), ERR_MBULK);
    /* Redis's string2ll: no '+', no leading zeros, no "-0" */
    check_error(F("*+1\r\n"), ERR_MBULK);
    check_error(F("*01\r\n"), ERR_MBULK);
    check_error(F("*00\r\n"), ERR_MBULK);
    check_error(F("*-01\r\n"), ERR_MBULK);
    check_error(F("*-0\r\n"), ERR_MBULK);
    /* overflow, and 21 characters (string2ll's length limit) */
    check_error(F("*99999999999999999999\r\n"), ERR_MBULK);
    check_error(F("*9223372036854775808\r\n"), ERR_MBULK);
    check_error(F("*100000000000000000000\r\n"), ERR_MBULK);
    /* a NUL inside the count */
    check_error(F("*1\0\r\n"), ERR_MBULK);
}

TEST(huge_multibulk_count_allocates_lazily)
{
    struct resp_parser p;
    char *copy;
    resp_parser_init(&p);
    CHECK_EQ_INT(parse_once(&p, F("*2147483647\r\n$3\r\nfoo\r\n"), &LIM, &copy), RESP_NEED_MORE);
    CHECK(p.cap <= 1024);
    CHECK_EQ_INT(p.nargs, 1);
    free(copy);
    resp_parser_deinit(&p);
}

/* ---- hostile bulk headers ---------------------------------------------- */

TEST(bad_bulk_length)
{
    check_error(F("*1\r\n$-5\r\n"), ERR_BULK);
    check_error(F("*1\r\n$-1\r\n"), ERR_BULK);
    check_error(F("*1\r\n$-0\r\n\r\n"), ERR_BULK);
    check_error(F("*1\r\n$\r\n"), ERR_BULK);
    check_error(F("*1\r\n$abc\r\n"), ERR_BULK);
    check_error(F("*1\r\n$+3\r\nfoo\r\n"), ERR_BULK);
    check_error(F("*1\r\n$03\r\nfoo\r\n"), ERR_BULK);
    check_error(F("*1\r\n$00\r\n\r\n"), ERR_BULK);
    check_error(F("*1\r\n$3 \r\nfoo\r\n"), ERR_BULK);
    check_error(F("*1\r\n$99999999999999999999\r\n"), ERR_BULK);
    /* beyond proto-max-bulk-len (512 MB by default) */
    check_error(F("*1\r\n$536870913\r\n"), ERR_BULK);
    check_error(F("*1\r\n$9223372036854775807\r\n"), ERR_BULK);
    check_error_lim(F("*1\r\n$101\r\n"), &SMALL, ERR_BULK);
    /* the second argument's header is just as checked */
    check_error(F("*2\r\n$3\r\nGET\r\n$-1\r\n"), ERR_BULK);
}

TEST(expected_dollar)
{
    check_error(F("*1\r\nfoo\r\n"), "Protocol error: expected '$', got 'f'");
    check_error(F("*1\r\n:1\r\n"), "Protocol error: expected '$', got ':'");
    check_error(F("*1\r\n*1\r\n$1\r\na\r\n"), "Protocol error: expected '$', got '*'");
    check_error(F("*2\r\n$3\r\nGET\r\nxyz\r\n"), "Protocol error: expected '$', got 'x'");
    /* the two skipped bytes were the header of the next argument */
    check_error(F("*2\r\n$1\r\nab$1\r\nc\r\n"), "Protocol error: expected '$', got '1'");

    /* like Redis, the byte is judged only once the line has a "\r?" end */
    struct resp_parser p;
    char *copy;
    resp_parser_init(&p);
    CHECK_EQ_INT(parse_once(&p, F("*1\r\nfoo\r"), &LIM, &copy), RESP_NEED_MORE);
    free(copy);
    resp_parser_deinit(&p);
}

/* ---- over-long header and inline lines -------------------------------- */

TEST(too_big_mbulk_count_string)
{
    static char buf[65 * 1024 + 8];
    /* small limit: 64 bytes without '\r' wait, 65 fail */
    memset(buf, '1', sizeof(buf));
    buf[0] = '*';
    struct resp_parser p;
    char *copy;
    resp_parser_init(&p);
    CHECK_EQ_INT(parse_once(&p, buf, 64, &SMALL, &copy), RESP_NEED_MORE);
    free(copy);
    resp_parser_deinit(&p);
    check_error_lim(buf, 65, &SMALL, ERR_BIG_MBULK);
    /* default 64 KB limit */
    check_error(buf, 64 * 1024 + 1, ERR_BIG_MBULK);

    /* once a '\r' has arrived Redis stops applying the limit and waits for
     * the byte after it; the over-long count is then merely invalid */
    buf[70] = '\r';
    resp_parser_init(&p);
    CHECK_EQ_INT(parse_once(&p, buf, 71, &SMALL, &copy), RESP_NEED_MORE);
    free(copy);
    buf[71] = '\n';
    CHECK_EQ_INT(parse_once(&p, buf, 72, &SMALL, &copy), RESP_ERROR);
    CHECK_EQ_STR(p.err, ERR_MBULK);
    free(copy);
    resp_parser_deinit(&p);
}

TEST(too_big_bulk_count_string)
{
    static char buf[65 * 1024 + 16];
    memset(buf, '1', sizeof(buf));
    memcpy(buf, "*1\r\n$", 5);
    /* the limit counts from the start of the bulk header ("$...") */
    struct resp_parser p;
    char *copy;
    resp_parser_init(&p);
    CHECK_EQ_INT(parse_once(&p, buf, 4 + 64, &SMALL, &copy), RESP_NEED_MORE);
    free(copy);
    resp_parser_deinit(&p);
    check_error_lim(buf, 4 + 65, &SMALL, ERR_BIG_BULK);
    check_error(buf, 4 + 64 * 1024 + 1, ERR_BIG_BULK);

    /* not a '$' at all is still "too big" while no '\r' has arrived */
    memset(buf + 4, 'x', 65);
    check_error_lim(buf, 4 + 65, &SMALL, ERR_BIG_BULK);

    /* second argument, after a complete first one */
    static const char pre[] = "*2\r\n$3\r\nGET\r\n";
    memcpy(buf, pre, sizeof(pre) - 1);
    memset(buf + sizeof(pre) - 1, '$', 65);
    check_error_lim(buf, sizeof(pre) - 1 + 65, &SMALL, ERR_BIG_BULK);

    /* a trailing '\r' means "wait for one more byte", not "too big" */
    memcpy(buf, "*1\r\n$", 5);
    memset(buf + 5, '1', 80);
    buf[85] = '\r';
    resp_parser_init(&p);
    CHECK_EQ_INT(parse_once(&p, buf, 86, &SMALL, &copy), RESP_NEED_MORE);
    free(copy);
    buf[86] = '\n';
    CHECK_EQ_INT(parse_once(&p, buf, 87, &SMALL, &copy), RESP_ERROR);
    CHECK_EQ_STR(p.err, ERR_BULK);
    free(copy);
    resp_parser_deinit(&p);
}

TEST(too_big_inline_request)
{
    static char buf[65 * 1024 + 8];
    memset(buf, 'a', sizeof(buf));
    struct resp_parser p;
    char *copy;
    resp_parser_init(&p);
    CHECK_EQ_INT(parse_once(&p, buf, 64, &SMALL, &copy), RESP_NEED_MORE);
    free(copy);
    resp_parser_deinit(&p);
    /* without a newline: more than the limit buffered */
    check_error_lim(buf, 65, &SMALL, ERR_BIG_INLINE);
    check_error(buf, 64 * 1024 + 1, ERR_BIG_INLINE);
    /* with a newline past the limit */
    buf[65] = '\n';
    check_error_lim(buf, 66, &SMALL, ERR_BIG_INLINE);
    buf[65] = 'a';
    buf[64 * 1024 + 1] = '\n';
    check_error(buf, 64 * 1024 + 2, ERR_BIG_INLINE);
}

/* ---- inline quoting errors --------------------------------------------- */

TEST(unbalanced_quotes)
{
    check_error(F("SET \"abc\r\n"), ERR_QUOTES);
    check_error(F("SET 'abc\r\n"), ERR_QUOTES);
    check_error(F("\"\n"), ERR_QUOTES);
    check_error(F("'\n"), ERR_QUOTES);
    check_error(F("\"abc\\\"\r\n"), ERR_QUOTES);   /* the quote is escaped */
    check_error(F("'abc\\'\r\n"), ERR_QUOTES);
    check_error(F("'a\\\\'\r\n"), ERR_QUOTES);     /* \\ is no escape: \' is */
    check_error(F("\"abc\\\r\n"), ERR_QUOTES);     /* backslash at the end */
    check_error(F("\"a\0b\"\r\n"), ERR_QUOTES);    /* NUL ends the line */
    check_error(F("x \"a b\r\n"), ERR_QUOTES);
}

TEST(closing_quote_then_non_space)
{
    check_error(F("\"a\"b\r\n"), ERR_QUOTES);
    check_error(F("'a'b\n"), ERR_QUOTES);
    check_error(F("SET \"k\"\"v\"\r\n"), ERR_QUOTES);
    check_error(F("SET 'k''v'\r\n"), ERR_QUOTES);
    check_error(F("ab\"c\"d\n"), ERR_QUOTES);
}

/* ---- need ---------------------------------------------------------------- */

TEST(need_after_partial_bulk)
{
    struct resp_parser p;
    char *copy;
    resp_parser_init(&p);
    /* header incomplete: unknown */
    CHECK_EQ_INT(parse_once(&p, F("*1\r\n$10\r"), &LIM, &copy), RESP_NEED_MORE);
    CHECK_EQ_INT(p.need, 0);
    free(copy);
    /* payload partly here: the frame needs 4 + 5 + 10 + 2 bytes */
    CHECK_EQ_INT(parse_once(&p, F("*1\r\n$10\r\nabc"), &LIM, &copy), RESP_NEED_MORE);
    CHECK_EQ_INT(p.need, 21);
    free(copy);
    /* payload complete, trailing CRLF missing */
    CHECK_EQ_INT(parse_once(&p, F("*1\r\n$10\r\n0123456789\r"), &LIM, &copy), RESP_NEED_MORE);
    CHECK_EQ_INT(p.need, 21);
    free(copy);
    CHECK_EQ_INT(parse_once(&p, F("*1\r\n$10\r\n0123456789\r\n"), &LIM, &copy), RESP_OK);
    CHECK_EQ_INT(p.need, 0);
    CHECK_EQ_INT(p.frame_len, 21);
    free(copy);
    resp_parser_deinit(&p);

    /* a later argument: need covers the frame up to that argument's end */
    resp_parser_init(&p);
    CHECK_EQ_INT(parse_once(&p, F("*3\r\n$3\r\nSET\r\n$5\r\nhe"), &LIM, &copy), RESP_NEED_MORE);
    CHECK_EQ_INT(p.need, 13 + 4 + 5 + 2);
    free(copy);
    /* between arguments: unknown again */
    CHECK_EQ_INT(parse_once(&p, F("*3\r\n$3\r\nSET\r\n$5\r\nhello\r\n"), &LIM, &copy), RESP_NEED_MORE);
    CHECK_EQ_INT(p.need, 0);
    free(copy);
    resp_parser_deinit(&p);

    /* a 512 MB bulk announces its size without allocating it */
    resp_parser_init(&p);
    CHECK_EQ_INT(parse_once(&p, F("*1\r\n$536870912\r\n"), &LIM, &copy), RESP_NEED_MORE);
    CHECK_EQ_INT(p.need, 4 + 12 + 536870912LL + 2);
    free(copy);
    resp_parser_deinit(&p);

    /* inline requests never know */
    resp_parser_init(&p);
    CHECK_EQ_INT(parse_once(&p, F("GET ke"), &LIM, &copy), RESP_NEED_MORE);
    CHECK_EQ_INT(p.need, 0);
    free(copy);
    resp_parser_deinit(&p);
}

/* ---- reset -------------------------------------------------------------- */

TEST(reset_allows_reuse)
{
    struct resp_parser p;
    char *copy;
    static const struct exp_arg e1[] = { A("GET"), A("k") };
    static const struct exp_arg e2[] = { A("SET"), A("k"), A("v v") };
    static const struct exp_arg e3[] = { A("PING") };
    resp_parser_init(&p);

    CHECK_EQ_INT(parse_once(&p, F("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"), &LIM, &copy), RESP_OK);
    check_args(&p, copy, e1, 2);
    free(copy);
    resp_parser_reset(&p);
    CHECK_EQ_INT(p.nargs, 0);
    CHECK(p.err == NULL);

    /* multibulk -> inline */
    CHECK_EQ_INT(parse_once(&p, F("SET k \"v v\"\r\n"), &LIM, &copy), RESP_OK);
    CHECK(p.inline_buf != NULL);
    check_args(&p, copy, e2, 3);
    free(copy);
    resp_parser_reset(&p);
    CHECK(p.inline_buf == NULL);

    /* inline -> multibulk, partially then whole */
    CHECK_EQ_INT(parse_once(&p, F("*1\r\n$4\r\nPI"), &LIM, &copy), RESP_NEED_MORE);
    free(copy);
    CHECK_EQ_INT(parse_once(&p, F("*1\r\n$4\r\nPING\r\n"), &LIM, &copy), RESP_OK);
    CHECK(p.inline_buf == NULL);
    check_args(&p, copy, e3, 1);
    free(copy);
    resp_parser_reset(&p);

    /* an error, reset, then a good frame */
    CHECK_EQ_INT(parse_once(&p, F("*1\r\n$-5\r\n"), &LIM, &copy), RESP_ERROR);
    free(copy);
    resp_parser_reset(&p);
    CHECK(p.err == NULL);
    CHECK_EQ_INT(parse_once(&p, F("*1\r\n$4\r\nPING\r\n"), &LIM, &copy), RESP_OK);
    check_args(&p, copy, e3, 1);
    free(copy);
    resp_parser_reset(&p);

    /* an empty command, reset, then a frame */
    CHECK_EQ_INT(parse_once(&p, F("*0\r\n"), &LIM, &copy), RESP_OK);
    CHECK_EQ_INT(p.nargs, 0);
    free(copy);
    resp_parser_reset(&p);
    CHECK_EQ_INT(parse_once(&p, F("PING\n"), &LIM, &copy), RESP_OK);
    check_args(&p, copy, e3, 1);
    free(copy);
    resp_parser_reset(&p);

    /* abandoning a half-parsed frame (client gone) and reusing */
    CHECK_EQ_INT(parse_once(&p, F("*3\r\n$3\r\nSET\r\n$1"), &LIM, &copy), RESP_NEED_MORE);
    free(copy);
    resp_parser_reset(&p);
    CHECK_EQ_INT(parse_once(&p, F("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"), &LIM, &copy), RESP_OK);
    check_args(&p, copy, e1, 2);
    free(copy);
    resp_parser_deinit(&p);
}

TEST(reset_drops_big_argv_keeps_small)
{
    enum { N = 2000 };
    static char frame[N * 8 + 16];
    size_t len = (size_t)snprintf(frame, sizeof(frame), "*%d\r\n", N);
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(frame + len, sizeof(frame) - len, "$1\r\nx\r\n");
    struct resp_parser p;
    char *copy;
    resp_parser_init(&p);
    CHECK_EQ_INT(parse_once(&p, frame, len, &LIM, &copy), RESP_OK);
    CHECK_EQ_INT(p.nargs, N);
    CHECK(p.cap >= N);
    free(copy);
    resp_parser_reset(&p);
    CHECK_EQ_INT(p.cap, 0);
    CHECK(p.argv == NULL);

    CHECK_EQ_INT(parse_once(&p, F("*1\r\n$1\r\nx\r\n"), &LIM, &copy), RESP_OK);
    free(copy);
    size_t cap = p.cap;
    struct resp_arg *argv = p.argv;
    resp_parser_reset(&p);
    CHECK_EQ_INT(p.cap, cap);
    CHECK(p.argv == argv);
    resp_parser_deinit(&p);
}

/* ---- resp_split_inline directly ----------------------------------------- */

TEST(split_inline_direct)
{
    struct resp_arg *argv = NULL;
    size_t cap = 0;
    char out[64];
    static const char line[] = "  a \"b c\" 'd' \"\\x41\"  ";
    long n = resp_split_inline(line, sizeof(line) - 1, out, &argv, &cap);
    if (CHECK_EQ_INT(n, 4)) {
        CHECK_MEM_STR(out + argv[0].off, argv[0].len, "a");
        CHECK_MEM_STR(out + argv[1].off, argv[1].len, "b c");
        CHECK_MEM_STR(out + argv[2].off, argv[2].len, "d");
        CHECK_MEM_STR(out + argv[3].off, argv[3].len, "A");
    }
    CHECK_EQ_INT(resp_split_inline("", 0, out, &argv, &cap), 0);
    CHECK_EQ_INT(resp_split_inline("\"x", 2, out, &argv, &cap), -1);
    /* the length bounds the line: no terminator needed, quote cut off */
    CHECK_EQ_INT(resp_split_inline("\"x\" y", 2, out, &argv, &cap), -1);
    CHECK_EQ_INT(resp_split_inline("x y z", 3, out, &argv, &cap), 2);
    free(argv);
}

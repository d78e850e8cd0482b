/* test_mc_parse.c - unit tests for protocol/mc_parse.
 *
 * Each input is a stream of requests fed to one parser the way a connection
 * does it: after each read, parse every complete frame, consume it, keep the
 * rest.  Every read is a fresh exact-size heap copy of the unconsumed bytes
 * (so ASan catches any read past what has arrived, and the frame moves
 * between calls).  Each event is rendered as one line of text:
 *
 *     OK       "set a f=0 e=0 b=1 d=x noreply", "get a b", "mg a v Oabc" ...
 *     ERROR    "ERR <exact memcached reply>[ noreply][ swallow=N][ drop]"
 *     SWALLOW  "SWALLOW N" (consecutive swallows merged)
 *     CLOSE    "CLOSE"
 *     leftover "rest=N" (bytes still waiting for more input)
 *
 * and the whole list must be the same whole, at every split point and byte
 * by byte (inputs up to 4 KB; bigger ones in chunks of several sizes).  The
 * expected replies were taken from memcached 1.6.18 with raw sockets.
 */
#include "tests/unit/unit.h"

#include "protocol/mc_parse.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define F(lit) (lit), sizeof(lit) - 1

static const struct mc_limits LIM = MC_LIMITS_DEFAULT;

/* Small limits so the limit paths are cheap to reach. */
static const struct mc_limits SMALL = {
    .max_line_len = 120,
    .max_get_line_len = 400,
    .max_keys = 4,
    .max_item_size = 16,
    .item_overhead = 0,
    .reject_ctrl_keys = 0,
};

/* ---- a growable string ---------------------------------------------------- */

struct sbuf {
    char *p;
    size_t n, cap;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p)
            abort();
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    sb_put(b, tmp, (size_t)n);
}

/* Bytes with '\\', control and high bytes as \xNN. */
static void sb_esc(struct sbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f || c == '\\')
            sb_printf(b, "\\x%02x", c);
        else
            sb_put(b, (const char *)&c, 1);
    }
}

static char *dup_exact(const char *s, size_t n)
{
    char *d = malloc(n ? n : 1);
    if (!d)
        abort();
    if (n)
        memcpy(d, s, n);
    return d;
}

/* ---- rendering ------------------------------------------------------------ */

static const char *cmd_name(enum mc_cmd c)
{
    static const char *const names[] = {
        [MC_CMD_NONE] = "none",        [MC_CMD_GET] = "get",         [MC_CMD_GETS] = "gets",
        [MC_CMD_GAT] = "gat",          [MC_CMD_GATS] = "gats",       [MC_CMD_SET] = "set",
        [MC_CMD_ADD] = "add",          [MC_CMD_REPLACE] = "replace", [MC_CMD_APPEND] = "append",
        [MC_CMD_PREPEND] = "prepend",  [MC_CMD_CAS] = "cas",         [MC_CMD_DELETE] = "delete",
        [MC_CMD_INCR] = "incr",        [MC_CMD_DECR] = "decr",       [MC_CMD_TOUCH] = "touch",
        [MC_CMD_FLUSH_ALL] = "flush_all", [MC_CMD_VERSION] = "version",
        [MC_CMD_VERBOSITY] = "verbosity", [MC_CMD_QUIT] = "quit",    [MC_CMD_STATS] = "stats",
        [MC_CMD_OTHER] = "other",      [MC_CMD_MG] = "mg",           [MC_CMD_MS] = "ms",
        [MC_CMD_MD] = "md",            [MC_CMD_MA] = "ma",           [MC_CMD_MN] = "mn",
        [MC_CMD_ME] = "me",
    };
    return (size_t)c < sizeof(names) / sizeof(names[0]) && names[c] ? names[c] : "?";
}

static void sb_span(struct sbuf *b, const char *buf, struct mc_span s)
{
    sb_esc(b, buf + s.off, s.len);
}

static void render_ok(struct sbuf *b, const struct mc_request *r, const char *buf)
{
    sb_str(b, cmd_name(r->cmd));
    switch (r->cmd) {
    case MC_CMD_GAT:
    case MC_CMD_GATS:
        sb_printf(b, " e=%d", r->exptime);
        /* fall through */
    case MC_CMD_GET:
    case MC_CMD_GETS:
        for (size_t i = 0; i < r->nkeys; i++) {
            sb_str(b, " ");
            sb_span(b, buf, r->keys[i]);
        }
        break;
    case MC_CMD_SET: case MC_CMD_ADD: case MC_CMD_REPLACE: case MC_CMD_APPEND:
    case MC_CMD_PREPEND: case MC_CMD_CAS:
        sb_str(b, " ");
        sb_span(b, buf, r->key);
        sb_printf(b, " f=%u e=%d b=%u", r->flags, r->exptime, r->bytes);
        if (r->cmd == MC_CMD_CAS)
            sb_printf(b, " cas=%llu", (unsigned long long)r->cas);
        sb_str(b, " d=");
        sb_span(b, buf, r->data);
        break;
    case MC_CMD_DELETE:
        sb_str(b, " ");
        sb_span(b, buf, r->key);
        break;
    case MC_CMD_INCR:
    case MC_CMD_DECR:
        sb_str(b, " ");
        sb_span(b, buf, r->key);
        sb_printf(b, " d=%llu", (unsigned long long)r->delta);
        break;
    case MC_CMD_TOUCH:
        sb_str(b, " ");
        sb_span(b, buf, r->key);
        sb_printf(b, " e=%d", r->exptime);
        break;
    case MC_CMD_FLUSH_ALL:
        if (r->has_exptime)
            sb_printf(b, " e=%d", r->exptime);
        break;
    case MC_CMD_VERBOSITY:
        sb_printf(b, " l=%u", r->level);
        break;
    case MC_CMD_STATS:
    case MC_CMD_OTHER:
        for (size_t i = 0; i < r->nargs; i++) {
            sb_str(b, " ");
            sb_span(b, buf, r->args[i]);
        }
        break;
    case MC_CMD_MG: case MC_CMD_MS: case MC_CMD_MD: case MC_CMD_MA: case MC_CMD_ME:
        sb_str(b, " ");
        sb_span(b, buf, r->key);
        if (r->key_binary) {
            sb_str(b, " bk=");
            sb_esc(b, (const char *)r->bkey, r->bkey_len);
        }
        if (r->cmd == MC_CMD_MS) {
            sb_printf(b, " b=%u d=", r->bytes);
            sb_span(b, buf, r->data);
        }
        for (size_t i = 0; i < r->nmflags; i++) {
            sb_str(b, " ");
            sb_esc(b, &r->mflags[i].flag, 1);
            sb_span(b, buf, r->mflags[i].tok);
        }
        break;
    default:
        break;
    }
    if (r->noreply)
        sb_str(b, " noreply");
}

static void render_err(struct sbuf *b, const struct mc_request *r)
{
    sb_str(b, "ERR ");
    sb_str(b, r->err ? r->err : "(null)");
    if (r->noreply)
        sb_str(b, " noreply");
    if (r->swallow)
        sb_printf(b, " swallow=%llu", (unsigned long long)r->swallow);
    if (r->drop_key)
        sb_str(b, " drop");
}

/* ---- invariants of one result ---------------------------------------------- */

static int span_ok(struct mc_span s, size_t frame)
{
    return s.off <= frame && s.len <= frame - s.off;
}

/* NULL if fine, else what is wrong. */
static const char *check_result(enum mc_status st, const struct mc_request *r,
                                const struct mc_parser *p, size_t len)
{
    if (st == MC_NEED_MORE)
        return p->need == 0 || p->need > len ? NULL : "need <= len";
    if (st == MC_CLOSE)
        return NULL;
    if (r->frame_len == 0 || r->frame_len > len)
        return "frame_len out of range";
    if (st == MC_SWALLOW)
        return NULL;
    size_t fl = r->frame_len;
    if (st == MC_ERROR) {
        if (!r->err)
            return "no error text";
        if (strncmp(r->err, "ERROR", 5) && strncmp(r->err, "CLIENT_ERROR ", 13) &&
            strncmp(r->err, "SERVER_ERROR ", 13))
            return "unknown error text";
        return NULL;
    }
    if (st != MC_OK)
        return "unknown status";
    if (r->err)
        return "error text on OK";
    if (!span_ok(r->key, fl) || !span_ok(r->data, fl))
        return "key/data span";
    for (size_t i = 0; i < r->nkeys; i++)
        if (!span_ok(r->keys[i], fl) || r->keys[i].len == 0 || r->keys[i].len > MC_KEY_MAX)
            return "get key span";
    for (size_t i = 0; i < r->nargs; i++)
        if (!span_ok(r->args[i], fl) || r->args[i].len == 0)
            return "arg span";
    for (size_t i = 0; i < r->nmflags; i++)
        if (!span_ok(r->mflags[i].tok, fl))
            return "meta flag span";
    if (r->key_binary && r->bkey_len > MC_KEY_MAX)
        return "binary key length";
    return NULL;
}

/* ---- the stream driver -------------------------------------------------- */

struct run {
    struct sbuf ev;
    size_t consumed;
    size_t max_avail;   /* most unconsumed bytes handed to one call */
    int closed;
    const char *bad;    /* a violated invariant */
};

static void flush_swallow(struct run *rr, unsigned long long *sw)
{
    if (*sw) {
        sb_printf(&rr->ev, "SWALLOW %llu\n", *sw);
        *sw = 0;
    }
}

/* Feed in[0..len) as reads ending at cuts[0..ncuts) (the last is len). */
static void run_stream(struct run *rr, const char *in, size_t len, const struct mc_limits *lim,
                       const size_t *cuts, size_t ncuts)
{
    memset(rr, 0, sizeof(*rr));
    sb_str(&rr->ev, "");
    struct mc_parser p;
    mc_parser_init(&p);
    size_t off = 0;
    unsigned long long sw = 0;
    for (size_t c = 0; c < ncuts && !rr->closed; c++) {
        size_t have = cuts[c];
        size_t avail = have - off;
        if (avail > rr->max_avail)
            rr->max_avail = avail;
        char *buf = dup_exact(in + off, avail);
        size_t boff = 0;
        for (;;) {
            struct mc_request req;
            size_t l = avail - boff;
            enum mc_status st = mc_parse(&p, buf + boff, l, lim, &req);
            const char *why = check_result(st, &req, &p, l);
            if (why && !rr->bad)
                rr->bad = why;
            if (st == MC_NEED_MORE)
                break;
            if (st == MC_CLOSE) {
                flush_swallow(rr, &sw);
                sb_str(&rr->ev, "CLOSE\n");
                rr->closed = 1;
                break;
            }
            if (why)
                break;
            if (st == MC_SWALLOW) {
                sw += req.frame_len;
            } else {
                flush_swallow(rr, &sw);
                if (st == MC_OK)
                    render_ok(&rr->ev, &req, buf + boff);
                else
                    render_err(&rr->ev, &req);
                sb_str(&rr->ev, "\n");
            }
            boff += req.frame_len;
        }
        off += boff;
        free(buf);
        if (rr->bad)
            break;
    }
    flush_swallow(rr, &sw);
    rr->consumed = off;
    if (!rr->closed && off < len)
        sb_printf(&rr->ev, "rest=%zu\n", len - off);
    mc_parser_deinit(&p);
}

static char *join(const char *const *exp)
{
    struct sbuf b = { 0 };
    sb_str(&b, "");
    for (size_t i = 0; exp[i]; i++) {
        sb_str(&b, exp[i]);
        sb_str(&b, "\n");
    }
    return b.p;
}

/* One run against the expected events; prints how it was cut on failure. */
static int expect_run(const char *in, size_t len, const struct mc_limits *lim, const size_t *cuts,
                      size_t ncuts, const char *want, const char *how, size_t arg)
{
    struct run rr;
    run_stream(&rr, in, len, lim, cuts, ncuts);
    int ok = CHECK(rr.bad == NULL) && CHECK_EQ_STR(rr.ev.p, want);
    if (!ok)
        fprintf(stderr, "    (%s %zu; invariant: %s)\n", how, arg, rr.bad ? rr.bad : "ok");
    free(rr.ev.p);
    return ok;
}

/* The same events whole, at every split point, byte by byte and in chunks
 * (inputs over 4 KB: in chunks of several sizes only). */
static void check_stream_fn(const char *in, size_t len, const struct mc_limits *lim,
                            const char *const *exp)
{
    char *want = join(exp);
    size_t whole[1] = { len };
    if (!expect_run(in, len, lim, whole, 1, want, "whole", len))
        goto out;
    size_t *cuts = malloc((len + 1) * sizeof(*cuts));
    if (!cuts)
        abort();
    if (len <= 4096) {
        for (size_t k = 1; k < len; k++) {
            size_t two[2] = { k, len };
            if (!expect_run(in, len, lim, two, 2, want, "split after", k))
                break;
        }
        for (size_t k = 0; k < len; k++)
            cuts[k] = k + 1;
        expect_run(in, len, lim, cuts, len, want, "byte by byte, len", len);
    }
    static const size_t chunks[] = { 3, 7, 64, 1000, 1024, 4096, 65536, 1 << 20 };
    for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        if (chunks[i] >= len)
            continue;
        size_t n = 0;
        for (size_t at = chunks[i]; at < len; at += chunks[i])
            cuts[n++] = at;
        cuts[n++] = len;
        if (!expect_run(in, len, lim, cuts, n, want, "chunks of", chunks[i]))
            break;
    }
    free(cuts);
out:
    free(want);
}

#define EV(...) ((const char *const[]){ __VA_ARGS__, NULL })
/* check(F("input"), "event", ...) with the default limits; F() gives (ptr, len) */
#define check(in, ...) VIA(check_stream_fn(in, &LIM, EV(__VA_ARGS__)))
#define check_lim(in, lim, ...) VIA(check_stream_fn(in, lim, EV(__VA_ARGS__)))
/* the same for a buffer and its length */
#define check_buf(p, n, ...) VIA(check_stream_fn(p, n, &LIM, EV(__VA_ARGS__)))
#define check_buf_lim(p, n, lim, ...) VIA(check_stream_fn(p, n, lim, EV(__VA_ARGS__)))

#define FMT "CLIENT_ERROR bad command line format"
#define ERR_FMT "ERR " FMT
#define ERR_ERROR "ERR ERROR"

/* ---- retrieval ------------------------------------------------------------ */

TEST(get_family)
{
    check(F("get a\r\n"), "get a");
    check(F("get a b c\r\n"), "get a b c");
    check(F("gets a b\r\n"), "gets a b");
    check(F("gat 10 a b\r\n"), "gat e=10 a b");
    check(F("gats -1 a\r\n"), "gats e=-1 a");
    check(F("gat 10\r\n"), "gat e=10"); /* memcached answers END */
    check(F("bget a\r\n"), "get a");
    check(F("get a a\r\n"), "get a a"); /* duplicates are kept */
    /* only ' ' separates; tabs, CRs and control bytes are key bytes */
    check(F("get a\tb c\rd \x01\x7f\xff\r\n"), "get a\\x09b c\\x0dd \\x01\\x7f\\xff");
    /* spaces anywhere, bare "\n", a NUL ends the line */
    check(F("  get   a  b   \n"), "get a b");
    check(F("get a\0 junk\r\n"), "get a");
}

TEST(get_many_keys)
{
    /* beyond the 23 tokens memcached splits at once */
    struct sbuf in = { 0 }, exp = { 0 };
    sb_str(&in, "gets");
    sb_str(&exp, "gets");
    for (int i = 0; i < 100; i++) {
        sb_printf(&in, " k%d", i);
        sb_printf(&exp, " k%d", i);
    }
    sb_str(&in, "\r\n");
    check_buf(in.p, in.n, exp.p);
    /* exactly 22 and 23 keys (the tokenizer's edge) */
    for (int nk = 21; nk <= 24; nk++) {
        in.n = 0;
        exp.n = 0;
        sb_str(&in, "get");
        sb_str(&exp, "get");
        for (int i = 0; i < nk; i++) {
            sb_printf(&in, " %d", i);
            sb_printf(&exp, " %d", i);
        }
        sb_str(&in, " \r\n");
        check_buf(in.p, in.n, exp.p);
    }
    free(in.p);
    free(exp.p);
}

TEST(get_key_limits)
{
    char line[600];
    char k250[251], k251[252];
    memset(k250, 'k', 250);
    k250[250] = '\0';
    memset(k251, 'k', 251);
    k251[251] = '\0';
    char exp[300];
    snprintf(line, sizeof(line), "get %s\r\n", k250);
    snprintf(exp, sizeof(exp), "get %s", k250);
    check_buf(line, strlen(line), exp);
    /* a 251-byte key fails the whole get, whatever its position */
    snprintf(line, sizeof(line), "get %s\r\nversion\r\n", k251);
    check_buf(line, strlen(line), ERR_FMT, "version");
    snprintf(line, sizeof(line), "get a %s b\r\nversion\r\n", k251);
    check_buf(line, strlen(line), ERR_FMT, "version");
    snprintf(line, sizeof(line), "gets a b c d e f g h i j k l m n o p q r s t u v w x y z %s\r\n",
             k251);
    check_buf(line, strlen(line), ERR_FMT);
    /* gat checks its exptime first */
    snprintf(line, sizeof(line), "gat 10 %s\r\n", k251);
    check_buf(line, strlen(line), ERR_FMT);
    snprintf(line, sizeof(line), "gat abc %s\r\n", k251);
    check_buf(line, strlen(line), "ERR CLIENT_ERROR invalid exptime argument");
}

TEST(get_errors)
{
    check(F("get\r\nget \r\ngets\r\ngat\r\n"), ERR_ERROR, ERR_ERROR, ERR_ERROR, ERR_ERROR);
    check(F("gat abc a\r\n"), "ERR CLIENT_ERROR invalid exptime argument");
    check(F("gat 1x a\r\n"), "ERR CLIENT_ERROR invalid exptime argument");
    check(F("GET a\r\nget\ta\r\ngetx a\r\ng a\r\n"), ERR_ERROR, ERR_ERROR, ERR_ERROR, ERR_ERROR);
    /* get has no noreply: it is a key */
    check(F("get noreply\r\n"), "get noreply");
}

TEST(get_max_keys)
{
    /* Cachet's bound (memcached has none): SMALL allows 4 keys */
    check_lim(F("get a b c d\r\n"), &SMALL, "get a b c d");
    check_lim(F("get a b c d e\r\nversion\r\n"), &SMALL, ERR_FMT, "version");
    check_lim(F("gat 1 a b c d e\r\n"), &SMALL, ERR_FMT);
    /* past the tokenizer's first 23 tokens too */
    struct mc_limits lim = LIM;
    lim.max_keys = 30;
    struct sbuf in = { 0 };
    sb_str(&in, "get");
    for (int i = 0; i < 31; i++)
        sb_printf(&in, " %d", i);
    sb_str(&in, "\r\nmn\r\n");
    check_buf_lim(in.p, in.n, &lim, ERR_FMT, "mn");
    free(in.p);
}

/* ---- storage -------------------------------------------------------------- */

TEST(storage_commands)
{
    check(F("set a 0 0 1\r\nx\r\n"), "set a f=0 e=0 b=1 d=x");
    check(F("add a 5 10 3\r\nabc\r\n"), "add a f=5 e=10 b=3 d=abc");
    check(F("replace a 0 -1 2\r\nab\r\n"), "replace a f=0 e=-1 b=2 d=ab");
    check(F("append a 0 0 1\r\ny\r\n"), "append a f=0 e=0 b=1 d=y");
    check(F("prepend a 0 0 1\r\nz\r\n"), "prepend a f=0 e=0 b=1 d=z");
    check(F("cas a 1 2 3 99\r\nabc\r\n"), "cas a f=1 e=2 b=3 cas=99 d=abc");
    check(F("cas a 0 0 1 18446744073709551615\r\nx\r\n"),
          "cas a f=0 e=0 b=1 cas=18446744073709551615 d=x");
    check(F("set a 0 0 1 noreply\r\nx\r\n"), "set a f=0 e=0 b=1 d=x noreply");
    check(F("cas a 0 0 1 5 noreply\r\nx\r\n"), "cas a f=0 e=0 b=1 cas=5 d=x noreply");
    /* a last token that is not "noreply" is ignored */
    check(F("set a 0 0 1 foo\r\nx\r\n"), "set a f=0 e=0 b=1 d=x");
    /* empty, binary and CRLF-holding data */
    check(F("set a 0 0 0\r\n\r\n"), "set a f=0 e=0 b=0 d=");
    check(F("set a 0 0 8\r\n\r\n\0\xff\r\nab\r\n"), "set a f=0 e=0 b=8 d=\\x0d\\x0a\\x00\\xff\\x0d\\x0aab");
    check(F("set a 0 0 5\r\nget a\r\n"), "set a f=0 e=0 b=5 d=get a");
    /* line endings: bare "\n" for the line; the data needs "\r\n" */
    check(F("set a 0 0 1\nx\r\n"), "set a f=0 e=0 b=1 d=x");
    /* extra spaces, leading spaces, a key of control bytes */
    check(F(" set  a  0  0  1 \r\nx\r\n"), "set a f=0 e=0 b=1 d=x");
    check(F("set \x01\t\x7f 0 0 1\r\nx\r\n"), "set \\x01\\x09\\x7f f=0 e=0 b=1 d=x");
    /* a NUL ends the command line, not the data */
    check(F("set a 0 0 1\0 junk\r\nx\r\n"), "set a f=0 e=0 b=1 d=x");
}

TEST(storage_numbers_like_memcached)
{
    /* strtol/strtoul leniencies memcached accepts */
    check(F("set a +1 0 +1\r\nx\r\n"), "set a f=1 e=0 b=1 d=x");
    check(F("set a 01 00 01\r\nx\r\n"), "set a f=1 e=0 b=1 d=x");
    check(F("set a -0 -0 -0\r\n\r\n"), "set a f=0 e=0 b=0 d=");
    check(F("set a 0 0 \t1\r\nx\r\n"), "set a f=0 e=0 b=1 d=x");
    check(F("set a 0 0 1\tjunk\r\nx\r\n"), "set a f=0 e=0 b=1 d=x");
    check(F("set a 0 0 1\r\r\nx\r\n"), "set a f=0 e=0 b=1 d=x"); /* "1\r" */
    /* 64-bit parse, 32-bit store */
    check(F("set a 4294967295 0 1\r\nx\r\n"), "set a f=4294967295 e=0 b=1 d=x");
    check(F("set a 4294967296 0 1\r\nx\r\n"), "set a f=0 e=0 b=1 d=x");
    check(F("set a 4294967297 0 1\r\nx\r\n"), "set a f=1 e=0 b=1 d=x");
    check(F("set a 18446744073709551615 0 1\r\nx\r\n"), "set a f=4294967295 e=0 b=1 d=x");
    check(F("set a 9223372036854775808 0 1\r\nx\r\n"), "set a f=0 e=0 b=1 d=x");
    check(F("set a -18446744073709551615 0 1\r\nx\r\n"), "set a f=1 e=0 b=1 d=x");
    check(F("set a 0 2147483647 1\r\nx\r\n"), "set a f=0 e=2147483647 b=1 d=x");
    check(F("set a 0 2147483648 1\r\nx\r\n"), "set a f=0 e=-2147483648 b=1 d=x");
    check(F("set a 0 -2147483649 1\r\nx\r\n"), "set a f=0 e=2147483647 b=1 d=x");
    check(F("set a 0 4294967296 1\r\nx\r\n"), "set a f=0 e=0 b=1 d=x");
    check(F("set a 0 0 4294967297\r\nx\r\n"), "set a f=0 e=0 b=1 d=x");
    check(F("cas a 0 0 1 -18446744073709551615\r\nx\r\n"), "cas a f=0 e=0 b=1 cas=1 d=x");
    check(F("cas a 0 0 1 -0\r\nx\r\n"), "cas a f=0 e=0 b=1 cas=0 d=x");
}

TEST(storage_bad_command_line)
{
    /* no swallow: memcached then reads the data line as a command */
    check(F("set a 0 0 -1\r\nx\r\n"), ERR_FMT, ERR_ERROR);
    check(F("set a 0 0 abc\r\nx\r\n"), ERR_FMT, ERR_ERROR);
    check(F("set a 0 0 1x\r\nx\r\n"), ERR_FMT, ERR_ERROR);
    check(F("set a 0 0 \r\nx\r\n"), ERR_ERROR, ERR_ERROR);
    check(F("set a -1 0 1\r\nx\r\n"), ERR_FMT, ERR_ERROR);
    check(F("set a 0x10 0 1\r\nx\r\n"), ERR_FMT, ERR_ERROR);
    check(F("set a 18446744073709551616 0 1\r\nx\r\n"), ERR_FMT, ERR_ERROR);
    check(F("set a -9223372036854775808 0 1\r\nx\r\n"), ERR_FMT, ERR_ERROR);
    check(F("set a 0 9223372036854775808 1\r\nx\r\n"), ERR_FMT, ERR_ERROR);
    check(F("set a 0 0 2147483646\r\nx\r\n"), ERR_FMT, ERR_ERROR); /* > INT_MAX - 2 */
    check(F("set a 0 0 2147483648\r\nx\r\n"), ERR_FMT, ERR_ERROR); /* int32 negative */
    check(F("set a 0 0 9223372036854775807\r\nx\r\n"), ERR_FMT, ERR_ERROR);
    check(F("set a 0 0 1.0\r\nx\r\n"), ERR_FMT, ERR_ERROR);
    check(F("set a 0 0 +\r\nx\r\n"), ERR_FMT, ERR_ERROR);
    check(F("cas a 0 0 1 abc\r\nx\r\n"), ERR_FMT, ERR_ERROR);
    check(F("cas a 0 0 1 -1\r\nx\r\n"), ERR_FMT, ERR_ERROR);
    check(F("cas a 0 0 1 18446744073709551616\r\nx\r\n"), ERR_FMT, ERR_ERROR);
    /* argument counts */
    check(F("set a 0 0\r\nx\r\n"), ERR_ERROR, ERR_ERROR);
    check(F("set a 0 0 1 noreply extra\r\nx\r\n"), ERR_ERROR, ERR_ERROR);
    check(F("cas a 0 0 1\r\nx\r\n"), ERR_ERROR, ERR_ERROR);
    check(F("set\r\nadd a\r\nreplace a 0\r\nappend\r\nprepend a 0 0 1 2 3\r\n"), ERR_ERROR,
          ERR_ERROR, ERR_ERROR, ERR_ERROR, ERR_ERROR);
    /* noreply is honoured for the errors found after it was seen */
    check(F("set a 0 0 -1 noreply\r\nversion\r\n"), ERR_FMT " noreply", "version");
    check(F("set a 0 0 noreply\r\nx\r\n"), ERR_FMT " noreply", ERR_ERROR);
    check(F("cas a 0 0 1 noreply\r\nx\r\n"), ERR_FMT " noreply", ERR_ERROR);
}

TEST(storage_key_too_long)
{
    char line[600];
    char k[252];
    memset(k, 'k', 251);
    k[251] = '\0';
    snprintf(line, sizeof(line), "set %s 0 0 1\r\nx\r\nversion\r\n", k);
    check_buf(line, strlen(line), ERR_FMT, ERR_ERROR, "version");
    snprintf(line, sizeof(line), "set %s 0 0 1 noreply\r\nx\r\nversion\r\n", k);
    check_buf(line, strlen(line), ERR_FMT " noreply", ERR_ERROR, "version");
    /* the key is checked before the numbers */
    snprintf(line, sizeof(line), "cas %s x y z w\r\n", k);
    check_buf(line, strlen(line), ERR_FMT);
    k[250] = '\0';
    snprintf(line, sizeof(line), "set %s 0 0 1\r\nx\r\n", k);
    char exp[300];
    snprintf(exp, sizeof(exp), "set %s f=0 e=0 b=1 d=x", k);
    check_buf(line, strlen(line), exp);
}

TEST(data_block_wrong_length)
{
    /* memcached reads exactly bytes + 2, checks the last two, continues
     * right after them */
    check(F("set a 0 0 1\r\nxy\r\nget a\r\n"), "ERR CLIENT_ERROR bad data chunk", ERR_ERROR,
          "get a");
    check(F("set a 0 0 1\r\nxyz\r\nget a\r\n"), "ERR CLIENT_ERROR bad data chunk", ERR_ERROR,
          "get a");
    check(F("set a 0 0 1\r\nxyzget a\r\n"), "ERR CLIENT_ERROR bad data chunk", "get a");
    /* shorter: the next command's bytes are eaten as data */
    check(F("set a 0 0 3\r\nx\r\nget a\r\n"), "ERR CLIENT_ERROR bad data chunk", ERR_ERROR);
    check(F("set a 0 0 1\r\nx\nget a\n"), "ERR CLIENT_ERROR bad data chunk", ERR_ERROR);
    check(F("set a 0 0 2\r\nxy\n\r\n"), "ERR CLIENT_ERROR bad data chunk", ERR_ERROR);
    check(F("set a 0 0 0\r\n\n\r\n"), "ERR CLIENT_ERROR bad data chunk", ERR_ERROR);
    /* noreply hides it; ms never does */
    check(F("set a 0 0 1 noreply\r\nxy\r\nversion\r\n"), "ERR CLIENT_ERROR bad data chunk noreply",
          ERR_ERROR, "version");
    check(F("ms a 1 q\r\nxy\r\nversion\r\n"), "ERR CLIENT_ERROR bad data chunk", ERR_ERROR,
          "version");
    /* waiting for the data block */
    check(F("set a 0 0 10\r\n01234"), "rest=19");
}

TEST(too_large_swallows)
{
    /* SMALL: max_item_size 16 without overhead */
    check_lim(F("set a 0 0 16\r\n0123456789abcdef\r\n"), &SMALL, "set a f=0 e=0 b=16 d=0123456789abcdef");
    check_lim(F("set a 0 0 17\r\n0123456789abcdefg\r\nget a\r\n"), &SMALL,
              "ERR SERVER_ERROR object too large for cache swallow=19 drop", "SWALLOW 19", "get a");
    /* the swallowed bytes are not checked: no bad data chunk */
    check_lim(F("set a 0 0 17\r\n0123456789abcdefghiget a\r\n"), &SMALL,
              "ERR SERVER_ERROR object too large for cache swallow=19 drop", "SWALLOW 19", "get a");
    /* only set drops the old item */
    check_lim(F("add a 0 0 20\r\n01234567890123456789\r\n"), &SMALL,
              "ERR SERVER_ERROR object too large for cache swallow=22", "SWALLOW 22");
    check_lim(F("replace a 0 0 20\r\n01234567890123456789\r\n"), &SMALL,
              "ERR SERVER_ERROR object too large for cache swallow=22", "SWALLOW 22");
    check_lim(F("cas a 0 0 20 1 noreply\r\n01234567890123456789\r\nmn\r\n"), &SMALL,
              "ERR SERVER_ERROR object too large for cache noreply swallow=22", "SWALLOW 22", "mn");
    /* swallow still pending at the end */
    check_lim(F("set a 0 0 100\r\nabc"), &SMALL,
              "ERR SERVER_ERROR object too large for cache swallow=102 drop", "SWALLOW 3");
}

TEST(too_large_memcached_threshold)
{
    /* memcached: 56 + nkey + 1 + (flags ? 4 : 0) + bytes + 2 > 1 MB */
    static const struct {
        const char *line;
        int ok;
    } cases[] = {
        { "set a 0 0 1048516\r\n", 1 },   { "set a 0 0 1048517\r\n", 0 },
        { "set a 1 0 1048512\r\n", 1 },   { "set a 1 0 1048513\r\n", 0 },
        { "set kkkkkkkkkk 0 0 1048507\r\n", 1 }, { "set kkkkkkkkkk 0 0 1048508\r\n", 0 },
        { "ms a 1048516\r\n", 1 },       { "ms a 1048516 F1\r\n", 0 },
        { "ms YWFh 1048514 b\r\n", 1 },  { "ms YWFh 1048515 b\r\n", 0 }, /* key "aaa" */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mc_parser p;
        struct mc_request req;
        mc_parser_init(&p);
        size_t n = strlen(cases[i].line);
        char *buf = dup_exact(cases[i].line, n);
        enum mc_status st = mc_parse(&p, buf, n, &LIM, &req);
        if (cases[i].ok) {
            CHECK_EQ_INT(st, MC_NEED_MORE);
            CHECK(p.need > n + 1000000);
        } else if (CHECK_EQ_INT(st, MC_ERROR)) {
            CHECK_EQ_STR(req.err, "SERVER_ERROR object too large for cache");
            CHECK(req.swallow > 1000000);
        }
        if (unit_failures_)
            fprintf(stderr, "    (case %zu: %s)\n", i, cases[i].line);
        free(buf);
        mc_parser_deinit(&p);
    }
}

/* A 2 MB value announced on a 1 MB limit: refused, swallowed as it arrives
 * (never more than one read buffered), then the next command parses. */
TEST(two_mb_value_swallowed)
{
    const size_t vlen = 2 * 1024 * 1024;
    static const char head[] = "set big 0 0 2097152\r\n";
    static const char tail[] = "\r\nget big\r\nms m 2097152 T0\r\n";
    size_t hl = sizeof(head) - 1, tl = sizeof(tail) - 1;
    size_t len = hl + vlen + tl + vlen + 6;
    char *in = malloc(len);
    if (!in)
        abort();
    memcpy(in, head, hl);
    memset(in + hl, 'v', vlen);
    memcpy(in + hl + vlen, tail, tl);
    memset(in + hl + vlen + tl, 'w', vlen);
    memcpy(in + hl + vlen + tl + vlen, "\r\nmn\r\n", 6);
    check_buf(in, len, "ERR SERVER_ERROR object too large for cache swallow=2097154 drop",
          "SWALLOW 2097154", "get big",
          "ERR SERVER_ERROR object too large for cache swallow=2097154 drop", "SWALLOW 2097154",
          "mn");

    /* in 1 KB reads: the buffer never holds more than a read and a line */
    size_t ncuts = len / 1024 + 2, n = 0;
    size_t *cuts = malloc(ncuts * sizeof(*cuts));
    if (!cuts)
        abort();
    for (size_t at = 1024; at < len; at += 1024)
        cuts[n++] = at;
    cuts[n++] = len;
    struct run rr;
    run_stream(&rr, in, len, &LIM, cuts, n);
    CHECK(rr.bad == NULL);
    CHECK(rr.max_avail <= 1024 + 64);
    CHECK_EQ_INT(rr.consumed, len);
    free(rr.ev.p);

    /* noreply: the error is not sent, the bytes are still swallowed */
    static const char nr[] = "set big 0 0 2097152 noreply\r\n";
    memcpy(in, nr, sizeof(nr) - 1);
    memset(in + sizeof(nr) - 1, 'v', vlen);
    memcpy(in + sizeof(nr) - 1 + vlen, "\r\nmn\r\n", 6);
    check_buf(in, sizeof(nr) - 1 + vlen + 6,
          "ERR SERVER_ERROR object too large for cache noreply swallow=2097154 drop",
          "SWALLOW 2097154", "mn");
    free(cuts);
    free(in);
}

/* A 1 MB value arriving in 1 KB reads is never rescanned: need is known
 * from the first read, and a 16 MB one in 1 KB reads is fast. */
TEST(big_value_is_linear)
{
    struct mc_limits lim = LIM;
    lim.max_item_size = 64 * 1024 * 1024;
    const size_t vlen = 16 * 1024 * 1024;
    static const char head[] = "set a 0 0 16777216\r\n";
    size_t hl = sizeof(head) - 1, len = hl + vlen + 2;
    char *in = malloc(len);
    if (!in)
        abort();
    memcpy(in, head, hl);
    memset(in + hl, '\n', vlen); /* newlines in the data must not matter */
    memcpy(in + len - 2, "\r\n", 2);
    struct mc_parser p;
    struct mc_request req;
    mc_parser_init(&p);
    clock_t t0 = clock();
    size_t have = 0;
    enum mc_status st = MC_NEED_MORE;
    int need_ok = 1;
    while (st == MC_NEED_MORE && have < len) {
        have = have + 1024 < len ? have + 1024 : len;
        st = mc_parse(&p, in, have, &lim, &req);
        if (st == MC_NEED_MORE && p.need != len)
            need_ok = 0;
    }
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK(need_ok);
    CHECK_EQ_INT(st, MC_OK);
    CHECK_EQ_INT(req.frame_len, len);
    CHECK_EQ_INT(req.data.off, hl);
    CHECK_EQ_INT(req.data.len, vlen);
    CHECK(secs < 5.0); /* rescanning would read ~128 GB */
    mc_parser_deinit(&p);

    /* and an 8 MB get line in 1 KB reads is scanned once */
    lim.max_get_line_len = 16 * 1024 * 1024;
    size_t nkeys = 8 * 1024 * 1024 / 251;
    len = 4 + nkeys * 251 + 2;
    char *line = malloc(len);
    if (!line)
        abort();
    memcpy(line, "get ", 4);
    for (size_t i = 0; i < nkeys; i++) {
        memset(line + 4 + i * 251, 'k', 250);
        line[4 + i * 251 + 250] = ' ';
    }
    memcpy(line + len - 2, "\r\n", 2);
    mc_parser_init(&p);
    t0 = clock();
    have = 0;
    st = MC_NEED_MORE;
    while (st == MC_NEED_MORE && have < len) {
        have = have + 1024 < len ? have + 1024 : len;
        st = mc_parse(&p, line, have, &lim, &req);
    }
    secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK_EQ_INT(st, MC_OK);
    CHECK_EQ_INT(req.nkeys, nkeys);
    CHECK(secs < 5.0);
    mc_parser_deinit(&p);
    free(line);
    free(in);
}

/* ---- other text commands -------------------------------------------------- */

TEST(delete_command)
{
    check(F("delete a\r\n"), "delete a");
    check(F("delete a noreply\r\n"), "delete a noreply");
    check(F("delete a 0\r\n"), "delete a"); /* legacy hold time 0 */
    check(F("delete a 0 noreply\r\n"), "delete a noreply");
    check(F("delete a 1\r\nversion\r\n"),
          "ERR CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]", "version");
    check(F("delete a 1 noreply\r\n"),
          "ERR CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply] noreply");
    check(F("delete a noreply 0\r\n"),
          "ERR CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]");
    check(F("delete a noreply noreply\r\n"),
          "ERR CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply] noreply");
    check(F("delete\r\ndelete a x y z\r\n"), ERR_ERROR, ERR_ERROR);
    char line[300];
    char k[252];
    memset(k, 'k', 251);
    k[251] = '\0';
    snprintf(line, sizeof(line), "delete %s\r\n", k);
    check_buf(line, strlen(line), ERR_FMT);
    snprintf(line, sizeof(line), "delete %s noreply\r\n", k);
    check_buf(line, strlen(line), ERR_FMT " noreply");
    /* the usage check comes first */
    snprintf(line, sizeof(line), "delete %s 1\r\n", k);
    check_buf(line, strlen(line),
          "ERR CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]");
}

TEST(incr_decr_touch)
{
    check(F("incr a 1\r\n"), "incr a d=1");
    check(F("decr a 100 noreply\r\n"), "decr a d=100 noreply");
    check(F("incr a 18446744073709551615\r\n"), "incr a d=18446744073709551615");
    check(F("incr a +2\r\nincr a 00\r\nincr a \t3\r\n"), "incr a d=2", "incr a d=0", "incr a d=3");
    check(F("incr a -18446744073709551615\r\n"), "incr a d=1");
    check(F("incr a 1 2\r\n"), "incr a d=1"); /* not noreply: ignored */
    check(F("incr a 18446744073709551616\r\nincr a -1\r\nincr a 1x\r\ndecr a x\r\n"),
          "ERR CLIENT_ERROR invalid numeric delta argument",
          "ERR CLIENT_ERROR invalid numeric delta argument",
          "ERR CLIENT_ERROR invalid numeric delta argument",
          "ERR CLIENT_ERROR invalid numeric delta argument");
    check(F("incr a abc noreply\r\nincr a noreply\r\n"),
          "ERR CLIENT_ERROR invalid numeric delta argument noreply",
          "ERR CLIENT_ERROR invalid numeric delta argument noreply");
    check(F("incr a\r\nincr a 1 2 3\r\ndecr\r\n"), ERR_ERROR, ERR_ERROR, ERR_ERROR);
    check(F("touch a 10\r\ntouch a -1 noreply\r\ntouch a 10 x\r\n"), "touch a e=10",
          "touch a e=-1 noreply", "touch a e=10");
    check(F("touch a x\r\ntouch a x noreply\r\ntouch a\r\n"),
          "ERR CLIENT_ERROR invalid exptime argument",
          "ERR CLIENT_ERROR invalid exptime argument noreply", ERR_ERROR);
    char line[300];
    char k[252];
    memset(k, 'k', 251);
    k[251] = '\0';
    snprintf(line, sizeof(line), "incr %s x\r\n", k); /* key first */
    check_buf(line, strlen(line), ERR_FMT);
    snprintf(line, sizeof(line), "touch %s x\r\n", k);
    check_buf(line, strlen(line), ERR_FMT);
}

TEST(flush_all_verbosity_version_quit)
{
    check(F("flush_all\r\nflush_all 0\r\nflush_all -1\r\nflush_all 10 noreply\r\n"),
          "flush_all", "flush_all e=0", "flush_all e=-1", "flush_all e=10 noreply");
    check(F("flush_all noreply\r\nflush_all 1 2\r\n"), "flush_all noreply", "flush_all e=1");
    check(F("flush_all abc\r\nflush_all abc noreply\r\nflush_all noreply 5\r\nflush_all 1 2 3\r\n"),
          "ERR CLIENT_ERROR invalid exptime argument",
          "ERR CLIENT_ERROR invalid exptime argument noreply",
          "ERR CLIENT_ERROR invalid exptime argument", ERR_ERROR);
    check(F("verbosity 1\r\nverbosity 5 noreply\r\nverbosity 1 2\r\n"), "verbosity l=1",
          "verbosity l=5 noreply", "verbosity l=1");
    check(F("verbosity x\r\nverbosity noreply\r\nverbosity\r\nverbosity 1 2 3\r\n"), ERR_FMT,
          ERR_FMT " noreply", ERR_ERROR, ERR_ERROR);
    check(F("version\r\nversion x y\r\nquit\r\nquit now\r\n"), "version", "version", "quit",
          "quit");
}

TEST(stats_and_admin_commands)
{
    check(F("stats\r\nstats items\r\nstats detail on\r\nstats cachedump 1 2\r\n"), "stats",
          "stats items", "stats detail on", "stats cachedump 1 2");
    check(F("shutdown\r\nshutdown graceful\r\nslabs\r\nwatch fetchers\r\nlru_crawler crawl all\r\n"),
          "other shutdown", "other shutdown graceful", "other slabs", "other watch fetchers",
          "other lru_crawler crawl all");
    check(F("cache_memlimit 100\r\ncache_memlimit\r\nlru tune 10 25 0.1 2.0\r\nlru\r\n"),
          "other cache_memlimit 100", ERR_ERROR, "other lru tune 10 25 0.1 2.0", ERR_ERROR);
}

TEST(unknown_and_garbage)
{
    check(F("foo\r\n\r\n\n\r\r\nx\r\nmx\r\nGET a\r\nversion\r\r\n"), ERR_ERROR, ERR_ERROR,
          ERR_ERROR, ERR_ERROR, ERR_ERROR, ERR_ERROR, ERR_ERROR, ERR_ERROR);
    check(F("\0get a\r\n   \r\n\x80\x01\xff\r\n"), ERR_ERROR, ERR_ERROR, ERR_ERROR);
    /* random bytes: ERROR per line, the last partial line waits */
    static const char g[] = "\x9f\xd3\x11\n\xe2 \x07\xff\x80\r\n*3\r\n$3\r\nSET\r\n\x01\x02";
    check_buf(g, sizeof(g) - 1, ERR_ERROR, ERR_ERROR, ERR_ERROR, ERR_ERROR, ERR_ERROR, "rest=2");
    /* a RESP client talking to the memcached port */
    check(F("*1\r\n$4\r\nPING\r\n"), ERR_ERROR, ERR_ERROR, ERR_ERROR);
    /* binary protocol is not supported: read as text */
    check(F("\x80\x00\x00\x00\n"), ERR_ERROR);
}

/* ---- meta commands ------------------------------------------------------- */

TEST(meta_valid)
{
    check(F("mn\r\nmn foo bar\r\n"), "mn", "mn");
    check(F("mg a\r\n"), "mg a");
    check(F("mg a v k t c f s h l u q O123 Pp Lx\r\n"), "mg a v k t c f s h l u q O123 Pp Lx");
    check(F("mg a vx T30 N-5 R10\r\n"), "mg a vx T30 N-5 R10"); /* v takes any token */
    check(F("mg  a  v \r\n"), "mg a v");
    check(F("mg a v\tk\r\n"), "mg a v\\x09k"); /* one flag 'v' with token "\tk" */
    check(F("ms a 1\r\nx\r\n"), "ms a b=1 d=x");
    check(F("ms a 3 T0 F5 c k Oxx q I C7 MS\r\nabc\r\n"), "ms a b=3 d=abc T0 F5 c k Oxx q I C7 MS");
    check(F("ms a 4294967297 T0\r\nx\r\n"), "ms a b=1 d=x T0");
    check(F("ms a 0 ME\r\n\r\n"), "ms a b=0 d= ME");
    check(F("md a q I T30 C1 k Oz\r\n"), "md a q I T30 C1 k Oz");
    check(F("ma a N0 J5 D3 MD v\r\nma a MI\r\nma a M+\r\nma a M-\r\n"), "ma a N0 J5 D3 MD v",
          "ma a MI", "ma a M+", "ma a M-");
    check(F("me a\r\nme a x y z\r\nme YQ== bx\r\n"), "me a", "me a", "me YQ==");
    /* 17 flags for mg, 16 for ms are fine */
    check(F("mg a k v s t c f h l O P L q u I T1 N1\r\n"),
          "mg a k v s t c f h l O P L q u I T1 N1");
    check(F("ms a 1 k c O1 q P L I T1 F1 C1 MS v s t f h\r\nx\r\n"),
          "ms a b=1 d=x k c O1 q P L I T1 F1 C1 MS v s t f h");
    /* an opaque of 31 bytes (32 with the 'O') is fine */
    check(F("mg a O0123456789012345678901234567890\r\n"),
          "mg a O0123456789012345678901234567890");
}

TEST(meta_base64_keys)
{
    check(F("mg YQ== b v\r\n"), "mg YQ== bk=a b v");
    check(F("ms YQ== 1 b\r\nz\r\n"), "ms YQ== bk=a b=1 d=z b");
    check(F("md YWJj b\r\nma YWJj b\r\n"), "md YWJj bk=abc b", "ma YWJj bk=abc b");
    check(F("me YQ== b\r\n"), "me YQ== bk=a");
    /* memcached's decoder skips bytes outside the alphabet */
    check(F("mg Y!Q== b k\r\n"), "mg Y!Q== bk=a b k");
    check(F("mg AAEC/w== b\r\n"), "mg AAEC/w== bk=\\x00\\x01\\x02\\xff b");
    check(F("mg =AAA b\r\n"), "mg =AAA bk=\\x00\\x00 b"); /* a quirk kept */
    /* padding inside a later block: '=' counts as a zero, then stops */
    check(F("mg YWJjA=AA b\r\n"), "mg YWJjA=AA bk=abc\\x00\\x00 b");
    check(F("mg YWJjA=== b v\r\nme YWJjA=== b\r\n"), "ERR CLIENT_ERROR error decoding key",
          ERR_FMT);
    check(F("mg a b\r\nmg !!!! b v\r\nmg YQ= b\r\nmg A=== b\r\nmg ==== b\r\n"),
          "ERR CLIENT_ERROR error decoding key", "ERR CLIENT_ERROR error decoding key",
          "ERR CLIENT_ERROR error decoding key", "ERR CLIENT_ERROR error decoding key",
          "ERR CLIENT_ERROR error decoding key");
    check(F("me a b\r\nme !!!! b\r\n"), ERR_FMT, ERR_FMT);
    check(F("md !!!! b\r\nma !!!! b\r\n"), "ERR CLIENT_ERROR invalid or duplicate flag",
          "ERR CLIENT_ERROR invalid or duplicate flag");
    check(F("ms !!!! 1 b\r\nx\r\nmn\r\n"), "ERR CLIENT_ERROR error decoding key swallow=3",
          "SWALLOW 3", "mn");
}

TEST(meta_flag_errors)
{
    check(F("mg\r\nms\r\nmd\r\nma\r\n"), ERR_ERROR, ERR_ERROR, ERR_ERROR, ERR_ERROR);
    check(F("me\r\n"), ERR_FMT);
    check(F("mg a v v\r\nmg a \x80\r\nmg a \x7f\r\nmg a q v q\r\n"),
          "ERR CLIENT_ERROR duplicate flag", "ERR CLIENT_ERROR duplicate flag",
          "ERR CLIENT_ERROR duplicate flag", "ERR CLIENT_ERROR duplicate flag");
    check(F("mg a x\r\nmg a E5\r\nmg a S1\r\nmg a \x01\r\nmg a q x\r\n"),
          "ERR CLIENT_ERROR invalid flag", "ERR CLIENT_ERROR invalid flag",
          "ERR CLIENT_ERROR invalid flag", "ERR CLIENT_ERROR invalid flag",
          "ERR CLIENT_ERROR invalid flag");
    check(F("mg a Tabc\r\nmg a T\r\nmg a N\r\nmg a R1x\r\nmg a C-1\r\n"),
          "ERR CLIENT_ERROR bad token in command line format",
          "ERR CLIENT_ERROR bad token in command line format",
          "ERR CLIENT_ERROR bad token in command line format",
          "ERR CLIENT_ERROR bad token in command line format",
          "ERR CLIENT_ERROR bad token in command line format");
    check(F("mg a MSS\r\nmg a M\r\nmg a Jx\r\nmg a D-1\r\n"),
          "ERR CLIENT_ERROR incorrect length for M token",
          "ERR CLIENT_ERROR incorrect length for M token",
          "ERR CLIENT_ERROR invalid numeric initial value",
          "ERR CLIENT_ERROR invalid numeric delta value");
    /* F leaves memcached's default text */
    check(F("mg a Fx\r\nmg a F-1\r\n"), ERR_FMT, ERR_FMT);
    /* the last error wins, except that invalid/duplicate stop at once */
    check(F("mg a Tx Dx\r\nmg a Dx Tx\r\nmg a Jx Tx Fx\r\nmg a Tx b\r\nmg !!!! b Tx\r\n"),
          "ERR CLIENT_ERROR invalid numeric delta value",
          "ERR CLIENT_ERROR bad token in command line format",
          "ERR CLIENT_ERROR bad token in command line format",
          "ERR CLIENT_ERROR error decoding key",
          "ERR CLIENT_ERROR bad token in command line format");
    check(F("mg !!!! Tx b x\r\nmg a Tx v v\r\n"), "ERR CLIENT_ERROR invalid flag",
          "ERR CLIENT_ERROR duplicate flag");
    /* the M mode is not checked for mg */
    check(F("mg a MX\r\n"), "mg a MX");
    /* opaque */
    check(F("mg a O01234567890123456789012345678901 k\r\n"),
          "ERR CLIENT_ERROR opaque token too long");
    check(F("md a O01234567890123456789012345678901\r\nma a O01234567890123456789012345678901\r\n"),
          "ERR CLIENT_ERROR opaque token too long", "ERR CLIENT_ERROR opaque token too long");
    /* too many flags */
    check(F("mg a k v s t c f h l O P L q u b I T1 N1 R\r\n"),
          "ERR CLIENT_ERROR options flags are too long");
    check(F("md a k v s t c f h l O P L q u b I T1 N1 R\r\nma a k v s t c f h l O P L q u b I T1 N1 R\r\n"),
          "ERR CLIENT_ERROR options flags too long", "ERR CLIENT_ERROR options flags too long");
    /* md and ma answer every flag error alike */
    check(F("md a x\r\nmd a Tabc\r\nmd a v v\r\nma a Dabc\r\nma a x\r\nma a Jx\r\n"),
          "ERR CLIENT_ERROR invalid or duplicate flag", "ERR CLIENT_ERROR invalid or duplicate flag",
          "ERR CLIENT_ERROR invalid or duplicate flag", "ERR CLIENT_ERROR invalid or duplicate flag",
          "ERR CLIENT_ERROR invalid or duplicate flag", "ERR CLIENT_ERROR invalid or duplicate flag");
    check(F("ma a MX\r\nma a MX O01234567890123456789012345678901\r\n"),
          "ERR CLIENT_ERROR invalid mode for ma M token",
          "ERR CLIENT_ERROR invalid mode for ma M token");
}

TEST(meta_set_errors)
{
    /* before the datalen is known: no swallow */
    check(F("ms a\r\nx\r\n"), ERR_FMT, ERR_ERROR);
    check(F("ms a -1\r\nx\r\nms a abc\r\nx\r\nms a 2147483646\r\nx\r\n"), ERR_FMT, ERR_ERROR, ERR_FMT,
          ERR_ERROR, ERR_FMT, ERR_ERROR);
    check(F("ms a 1 k c O1 q P L I T1 F1 C1 MS v s t f h u\r\nx\r\n"),
          "ERR CLIENT_ERROR options flags too long", ERR_ERROR);
    /* after it: datalen + 2 bytes are swallowed unchecked */
    check(F("ms a 1 S1\r\nx\r\nmn\r\n"), "ERR CLIENT_ERROR invalid flag swallow=3", "SWALLOW 3", "mn");
    check(F("ms a 1 v v\r\nxyzmn\r\n"), "ERR CLIENT_ERROR duplicate flag swallow=3", "SWALLOW 3",
          "mn");
    check(F("ms a 1 Fabc\r\nx\r\n"), ERR_FMT " swallow=3", "SWALLOW 3");
    check(F("ms a 1 MX\r\nx\r\n"), "ERR CLIENT_ERROR invalid mode for ms M token swallow=3",
          "SWALLOW 3");
    check(F("ms a 1 MEE\r\nx\r\n"), "ERR CLIENT_ERROR incorrect length for M token swallow=3",
          "SWALLOW 3");
    check(F("ms a 1 O01234567890123456789012345678901\r\nx\r\n"),
          "ERR CLIENT_ERROR opaque token too long swallow=3", "SWALLOW 3");
    /* mode error beats opaque error */
    check(F("ms a 1 O01234567890123456789012345678901 MX\r\nx\r\n"),
          "ERR CLIENT_ERROR invalid mode for ms M token swallow=3", "SWALLOW 3");
    /* too large: every ms mode drops the old item, q does not hide it */
    check_lim(F("ms a 17 q MA\r\n0123456789abcdefg\r\nmn\r\n"), &SMALL,
              "ERR SERVER_ERROR object too large for cache swallow=19 drop", "SWALLOW 19", "mn");
    /* a bad token beats too large */
    check_lim(F("ms a 17 T\r\n0123456789abcdefg\r\n"), &SMALL,
              "ERR CLIENT_ERROR bad token in command line format swallow=19", "SWALLOW 19");
}

TEST(meta_key_too_long)
{
    char k[252];
    memset(k, 'k', 251);
    k[251] = '\0';
    static const char *const fmts[] = { "mg %s v\r\n", "mg %s\r\n", "md %s\r\n", "ma %s\r\n",
                                        "me %s\r\n", "me %s b\r\n" };
    char line[400];
    for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
        snprintf(line, sizeof(line), fmts[i], k);
        check_buf(line, strlen(line), ERR_FMT);
    }
    /* ms: before the datalen, so no swallow */
    snprintf(line, sizeof(line), "ms %s 1\r\nx\r\n", k);
    check_buf(line, strlen(line), ERR_FMT, ERR_ERROR);
}

TEST(meta_values)
{
    static const char in[] = "ma YWI= b N-5 T2147483648 R7 C18446744073709551615 D9 J3 M- O1 q\r\n";
    struct mc_parser p;
    struct mc_request r;
    mc_parser_init(&p);
    char *buf = dup_exact(in, sizeof(in) - 1);
    if (CHECK_EQ_INT(mc_parse(&p, buf, sizeof(in) - 1, &LIM, &r), MC_OK)) {
        CHECK_EQ_INT(r.cmd, MC_CMD_MA);
        CHECK_EQ_INT(r.meta.vivify_ttl, -5);
        CHECK_EQ_INT(r.meta.ttl, INT32_MIN);
        CHECK_EQ_INT(r.meta.recache_ttl, 7);
        CHECK(r.meta.cas == UINT64_MAX);
        CHECK_EQ_INT(r.meta.delta, 9);
        CHECK_EQ_INT(r.meta.initial, 3);
        CHECK_EQ_INT(r.meta.mode, '-');
        CHECK(mc_meta_has(&r, 'q') && mc_meta_has(&r, 'O') && mc_meta_has(&r, 'b'));
        CHECK(!mc_meta_has(&r, 'v') && !mc_meta_has(&r, 'k') && !mc_meta_has(&r, (char)0xff));
        CHECK_EQ_INT(r.noreply, 0); /* q is a flag, not noreply */
        size_t kl;
        const char *k = mc_req_key(&r, buf, &kl);
        CHECK_MEM_STR(k, kl, "ab");
        CHECK_EQ_INT(r.nmflags, 10);
        CHECK_EQ_INT(r.mflags[9].flag, 'q');
        CHECK_MEM_STR(buf + r.mflags[8].tok.off, r.mflags[8].tok.len, "1");
    }
    free(buf);
    /* defaults: ma's delta is 1 */
    static const char in2[] = "ms k 2 F7\r\nhi\r\nma k\r\n";
    buf = dup_exact(in2, sizeof(in2) - 1);
    if (CHECK_EQ_INT(mc_parse(&p, buf, sizeof(in2) - 1, &LIM, &r), MC_OK)) {
        CHECK_EQ_INT(r.meta.client_flags, 7);
        size_t kl;
        const char *k = mc_req_key(&r, buf, &kl);
        CHECK_MEM_STR(k, kl, "k");
        size_t off = r.frame_len;
        if (CHECK_EQ_INT(mc_parse(&p, buf + off, sizeof(in2) - 1 - off, &LIM, &r), MC_OK))
            CHECK_EQ_INT(r.meta.delta, 1);
    }
    free(buf);
    mc_parser_deinit(&p);
}

/* ---- keys with control bytes ----------------------------------------------- */

TEST(reject_ctrl_keys_option)
{
    struct mc_limits strict = LIM;
    strict.reject_ctrl_keys = 1;
    check_lim(F("get a\tb\r\nget ok \x7f\r\nset \x01 0 0 1\r\nx\r\nmg a\x1f v\r\ndelete \x02\r\n"),
              &strict, ERR_FMT, ERR_FMT, ERR_FMT, ERR_ERROR, ERR_FMT, ERR_FMT);
    check_lim(F("get a\xff\r\n"), &strict, "get a\\xff");
    /* the default mirrors memcached: accepted */
    check(F("get a\tb\r\n"), "get a\\x09b");
}

/* ---- pipelines ------------------------------------------------------------ */

static const char PIPE[] =
    "set a 0 0 1\r\n1\r\n"
    "get a b\r\n"
    "mg a v t Oq1\r\n"
    "bogus\r\n"
    "ms b 5 T10 F3\r\nhello\r\n"
    "set c 0 0 -1\r\n"
    "x\r\n"
    "incr n 5 noreply\n"
    "cas a 0 0 2 7\r\nab\r\n"
    "md b q\r\n"
    "set d 0 0 2\r\nabc\r\n"
    "gat 100 a b c\r\n"
    "ms e 2 Tx\r\nzz\r\n"
    "ma n D2 v\r\n"
    "delete a 0\r\n"
    "touch a 10\r\n"
    "mn\r\n"
    "stats slabs\r\n"
    "flush_all 0 noreply\r\n"
    "\r\n"
    "me a\r\n"
    "version\r\n"
    "quit\r\n";

TEST(pipeline_mixed)
{
    check_buf(PIPE, sizeof(PIPE) - 1, "set a f=0 e=0 b=1 d=1", "get a b", "mg a v t Oq1", ERR_ERROR,
          "ms b b=5 d=hello T10 F3", ERR_FMT, ERR_ERROR, "incr n d=5 noreply",
          "cas a f=0 e=0 b=2 cas=7 d=ab", "md b q", "ERR CLIENT_ERROR bad data chunk", ERR_ERROR,
          "gat e=100 a b c", "ERR CLIENT_ERROR bad token in command line format swallow=4",
          "SWALLOW 4", "ma n D2 v", "delete a", "touch a e=10", "mn", "stats slabs",
          "flush_all e=0 noreply", ERR_ERROR, "me a", "version", "quit");
}

TEST(pipeline_with_swallow_in_chunks)
{
    /* a refused block between commands, every chunking */
    check_lim(F("get a\r\nset big 0 0 40\r\n0123456789012345678901234567890123456789\r\n"
                "mg a v\r\nset b 0 0 3\r\nabc\r\n"),
              &SMALL, "get a", "ERR SERVER_ERROR object too large for cache swallow=42 drop",
              "SWALLOW 42", "mg a v", "set b f=0 e=0 b=3 d=abc");
}

/* ---- over-long lines -------------------------------------------------------- */

/* Parse one buffer with a fresh parser (exact-size copy). */
static enum mc_status parse_once(const char *s, size_t len, const struct mc_limits *lim,
                                 struct mc_request *r)
{
    struct mc_parser p;
    mc_parser_init(&p);
    char *buf = dup_exact(s, len);
    enum mc_status st = mc_parse(&p, buf, len, lim, r);
    free(buf);
    mc_parser_deinit(&p);
    return st;
}

TEST(line_too_long_closes)
{
    static char big[100 * 1024 + 16];
    struct mc_request r;
    memset(big, 'a', sizeof(big));
    /* memcached: > 2048 bytes without '\n' -> closed, no reply */
    CHECK_EQ_INT(parse_once(big, 2048, &LIM, &r), MC_NEED_MORE);
    CHECK_EQ_INT(parse_once(big, 2049, &LIM, &r), MC_CLOSE);
    CHECK_EQ_INT(parse_once(big, 100 * 1024, &LIM, &r), MC_CLOSE);
    /* arriving in 1 KB reads: closed at the third */
    size_t cuts[100];
    for (size_t i = 0; i < 100; i++)
        cuts[i] = (i + 1) * 1024;
    struct run rr;
    run_stream(&rr, big, 100 * 1024, &LIM, cuts, 100);
    CHECK_EQ_STR(rr.ev.p, "CLOSE\n");
    CHECK(rr.max_avail <= 3 * 1024);
    free(rr.ev.p);
    /* after complete commands, only the pending line counts */
    memcpy(big, "mn\r\nversion\r\n", 13);
    run_stream(&rr, big, 13 + 2049, &LIM, (size_t[]){ 13 + 2049 }, 1);
    CHECK_EQ_STR(rr.ev.p, "mn\nversion\nCLOSE\n");
    free(rr.ev.p);
    run_stream(&rr, big, 13 + 2048, &LIM, (size_t[]){ 13 + 2048 }, 1);
    CHECK_EQ_STR(rr.ev.p, "mn\nversion\nrest=2048\n");
    free(rr.ev.p);
    /* a long set line */
    memset(big, 'a', 3000);
    memcpy(big, "set k 0 0 1", 11);
    CHECK_EQ_INT(parse_once(big, 3000, &LIM, &r), MC_CLOSE);
    /* the parser stays closed until reset */
    struct mc_parser p;
    mc_parser_init(&p);
    char *buf = dup_exact(big, 3000);
    CHECK_EQ_INT(mc_parse(&p, buf, 3000, &LIM, &r), MC_CLOSE);
    CHECK_EQ_INT(mc_parse(&p, "mn\r\n", 4, &LIM, &r), MC_CLOSE);
    mc_parser_reset(&p);
    if (CHECK_EQ_INT(mc_parse(&p, "mn\r\n", 4, &LIM, &r), MC_OK))
        CHECK_EQ_INT(r.cmd, MC_CMD_MN);
    free(buf);
    mc_parser_deinit(&p);
}

TEST(long_line_with_newline_is_processed)
{
    /* memcached processes a long line whose '\n' came in the same read */
    static char line[10 * 1024];
    memset(line, 'a', sizeof(line));
    memcpy(line, "version ", 8);
    memcpy(line + sizeof(line) - 2, "\r\n", 2);
    struct mc_request r;
    if (CHECK_EQ_INT(parse_once(line, sizeof(line), &LIM, &r), MC_OK))
        CHECK_EQ_INT(r.cmd, MC_CMD_VERSION);
    memset(line, 'a', 8);
    memcpy(line, "set ", 4);
    memcpy(line + sizeof(line) - 12, " 0 0 1\r\nx\r\n", 11);
    struct run rr;
    run_stream(&rr, line, sizeof(line) - 1, &LIM, (size_t[]){ sizeof(line) - 1 }, 1);
    CHECK_EQ_STR(rr.ev.p, ERR_FMT "\n" ERR_ERROR "\n");
    free(rr.ev.p);
}

TEST(long_get_lines)
{
    static char big[8192];
    struct mc_request r;
    /* get and gets lines may grow (memcached: unbounded; Cachet: the limit) */
    for (size_t i = 0; i < sizeof(big); i += 2)
        memcpy(big + i, "a ", 2);
    memcpy(big, "get ", 4);
    CHECK_EQ_INT(parse_once(big, 5000, &LIM, &r), MC_NEED_MORE);
    memcpy(big, "gets ", 5);
    CHECK_EQ_INT(parse_once(big, 5000, &LIM, &r), MC_NEED_MORE);
    /* not gat, not "get" alone, not after more than 100 spaces */
    memcpy(big, "gat  ", 5);
    CHECK_EQ_INT(parse_once(big, 5000, &LIM, &r), MC_CLOSE);
    memcpy(big, "getx ", 5);
    CHECK_EQ_INT(parse_once(big, 5000, &LIM, &r), MC_CLOSE);
    memset(big, ' ', 100);
    memcpy(big + 100, "get ", 4);
    CHECK_EQ_INT(parse_once(big, 5000, &LIM, &r), MC_NEED_MORE);
    memset(big, ' ', 101);
    memcpy(big + 101, "get ", 4);
    CHECK_EQ_INT(parse_once(big, 5000, &LIM, &r), MC_CLOSE);
    /* SMALL: get lines up to 400 bytes */
    memcpy(big, "get ", 4);
    CHECK_EQ_INT(parse_once(big, 400, &SMALL, &r), MC_NEED_MORE);
    CHECK_EQ_INT(parse_once(big, 401, &SMALL, &r), MC_CLOSE);
    CHECK_EQ_INT(parse_once(big, 121, &SMALL, &r), MC_NEED_MORE);
    memcpy(big, "mg  ", 4);
    CHECK_EQ_INT(parse_once(big, 121, &SMALL, &r), MC_CLOSE);
    /* a long get line with its newline: all keys */
    struct mc_limits lim = LIM;
    lim.max_keys = 100000;
    for (size_t i = 0; i < sizeof(big); i += 2)
        memcpy(big + i, "a ", 2);
    memcpy(big, "get ", 4);
    memcpy(big + sizeof(big) - 2, "\r\n", 2);
    if (CHECK_EQ_INT(parse_once(big, sizeof(big), &lim, &r), MC_OK)) {
        CHECK_EQ_INT(r.cmd, MC_CMD_GET);
        CHECK_EQ_INT(r.nkeys, (sizeof(big) - 4 - 2) / 2);
    }
}

/* ---- need, reset, reuse ---------------------------------------------------- */

TEST(need_reports_frame_size)
{
    struct mc_parser p;
    struct mc_request r;
    mc_parser_init(&p);
    CHECK_EQ_INT(mc_parse(&p, "set a 0 0 10", 12, &LIM, &r), MC_NEED_MORE);
    CHECK_EQ_INT(p.need, 0);
    CHECK_EQ_INT(mc_parse(&p, "set a 0 0 10\r\n01", 16, &LIM, &r), MC_NEED_MORE);
    CHECK_EQ_INT(p.need, 14 + 10 + 2);
    CHECK_EQ_INT(mc_parse(&p, "set a 0 0 10\r\n0123456789\r", 25, &LIM, &r), MC_NEED_MORE);
    CHECK_EQ_INT(p.need, 26);
    CHECK_EQ_INT(mc_parse(&p, "set a 0 0 10\r\n0123456789\r\n", 26, &LIM, &r), MC_OK);
    CHECK_EQ_INT(p.need, 0);
    CHECK_EQ_INT(r.frame_len, 26);
    /* the next frame starts fresh without a reset call */
    CHECK_EQ_INT(mc_parse(&p, "ms k 3\r\n", 8, &LIM, &r), MC_NEED_MORE);
    CHECK_EQ_INT(p.need, 8 + 3 + 2);
    /* abandoning a partial frame */
    mc_parser_reset(&p);
    CHECK_EQ_INT(mc_parse(&p, "mn\r\n", 4, &LIM, &r), MC_OK);
    /* reset also ends a swallow */
    CHECK_EQ_INT(mc_parse(&p, "set a 0 0 2000000\r\n", 19, &LIM, &r), MC_ERROR);
    CHECK_EQ_INT(p.swallow, 2000002);
    CHECK_EQ_INT(mc_parse(&p, "xx", 2, &LIM, &r), MC_SWALLOW);
    CHECK_EQ_INT(r.frame_len, 2);
    CHECK_EQ_INT(p.swallow, 2000000);
    CHECK_EQ_INT(mc_parse(&p, "", 0, &LIM, &r), MC_NEED_MORE);
    mc_parser_reset(&p);
    CHECK_EQ_INT(mc_parse(&p, NULL, 0, &LIM, &r), MC_NEED_MORE);
    CHECK_EQ_INT(mc_parse(&p, "mn\r\n", 4, &LIM, &r), MC_OK);
    mc_parser_deinit(&p);
}

TEST(keys_array_reused_and_dropped)
{
    struct mc_parser p;
    struct mc_request r;
    struct mc_limits lim = LIM;
    lim.max_keys = 1 << 20;
    mc_parser_init(&p);
    struct sbuf in = { 0 };
    sb_str(&in, "get");
    for (int i = 0; i < 30; i++)
        sb_printf(&in, " k%d", i);
    sb_str(&in, "\r\n");
    CHECK_EQ_INT(mc_parse(&p, in.p, in.n, &lim, &r), MC_OK);
    struct mc_span *keys = p.keys;
    size_t cap = p.kcap;
    CHECK(keys != NULL && cap >= 30);
    CHECK_EQ_INT(mc_parse(&p, in.p, in.n, &lim, &r), MC_OK);
    CHECK(p.keys == keys && p.kcap == cap); /* reused: no allocation */
    /* a get with up to 22 keys needs no array at all */
    CHECK_EQ_INT(mc_parse(&p, "get a b c\r\n", 11, &lim, &r), MC_OK);
    CHECK(r.keys != p.keys);
    /* a 5000-key get may grow it; the next frame drops it */
    in.n = 0;
    sb_str(&in, "get");
    for (int i = 0; i < 5000; i++)
        sb_str(&in, " k");
    sb_str(&in, "\r\n");
    CHECK_EQ_INT(mc_parse(&p, in.p, in.n, &lim, &r), MC_OK);
    CHECK_EQ_INT(r.nkeys, 5000);
    CHECK(p.kcap >= 5000);
    CHECK_EQ_INT(mc_parse(&p, "mn\r\n", 4, &lim, &r), MC_OK);
    CHECK_EQ_INT(p.kcap, 0);
    free(in.p);
    mc_parser_deinit(&p);
}

/* ---- the number and base64 helpers directly -------------------------------- */

TEST(number_helpers)
{
    uint64_t u;
    uint32_t u32;
    int32_t i32;
    CHECK(mc_strtoull("0", 1, &u) && u == 0);
    CHECK(mc_strtoull("18446744073709551615", 20, &u) && u == UINT64_MAX);
    CHECK(!mc_strtoull("18446744073709551616", 20, &u));
    CHECK(!mc_strtoull("-1", 2, &u));
    CHECK(mc_strtoull("-0", 2, &u) && u == 0);
    CHECK(!mc_strtoull("", 0, &u));
    CHECK(!mc_strtoull(" ", 1, &u));
    CHECK(!mc_strtoull("-", 1, &u));
    CHECK(mc_strtoull("\v\f 7\n", 5, &u) && u == 7);
    CHECK(mc_strtoull("7 x", 2, &u) && u == 7); /* the span ends before "x" */
    CHECK(mc_strtoull("5\t-", 3, &u) && u == 5);
    CHECK(!mc_strtoull("99999999999999999999999", 23, &u));
    CHECK(mc_strtoul32("4294967295", 10, &u32) && u32 == UINT32_MAX);
    CHECK(mc_strtoul32("4294967296", 10, &u32) && u32 == 0);
    CHECK(!mc_strtoul32("-4294967295", 11, &u32));
    CHECK(mc_strtol32("-2147483648", 11, &i32) && i32 == INT32_MIN);
    CHECK(mc_strtol32("9223372036854775807", 19, &i32) && i32 == -1);
    CHECK(mc_strtol32("-9223372036854775808", 20, &i32) && i32 == 0);
    CHECK(!mc_strtol32("9223372036854775808", 19, &i32));
    CHECK(!mc_strtol32("-9223372036854775809", 20, &i32));
    CHECK(!mc_strtol32("1e3", 3, &i32));
}

TEST(base64_helper)
{
    unsigned char out[16];
    CHECK_EQ_INT(mc_base64_decode("YWJj", 4, out, sizeof(out)), 3);
    CHECK_MEM_STR(out, 3, "abc");
    CHECK_EQ_INT(mc_base64_decode("YWI=", 4, out, sizeof(out)), 2);
    CHECK_EQ_INT(mc_base64_decode("YQ==", 4, out, sizeof(out)), 1);
    CHECK_EQ_INT(mc_base64_decode("YQ==YWJj", 8, out, sizeof(out)), 1); /* stops after padding */
    CHECK_EQ_INT(mc_base64_decode("YQ=", 3, out, sizeof(out)), 0);
    CHECK_EQ_INT(mc_base64_decode("", 0, out, sizeof(out)), 0);
    CHECK_EQ_INT(mc_base64_decode("A===", 4, out, sizeof(out)), 0);
    CHECK_EQ_INT(mc_base64_decode("Y W\nJ\tj", 7, out, sizeof(out)), 3);
    CHECK_EQ_INT(mc_base64_decode("YWJjYWJj", 8, out, 5), 0); /* no room */
}

/* resp_parse.c - RESP2 request parser: multibulk frames and inline lines.
 *
 * Mirrors Redis's processMultibulkBuffer/processInlineBuffer, including its
 * error texts and its leniencies (a multibulk count <= 0 is an empty
 * command; the two bytes after a bulk payload are skipped, not checked), so
 * a client sees the same behaviour it sees from Redis.  The parser is
 * resumable: a frame that arrives in pieces is never rescanned from the
 * start, which keeps a 500 MB bulk arriving in 16 KB reads linear.
 */
#include "protocol/resp_parse.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define INLINE_ERR_BIG_MBULK "Protocol error: too big mbulk count string"
#define INLINE_ERR_BIG_BULK "Protocol error: too big bulk count string"

void resp_parser_init(struct resp_parser *p)
{
    memset(p, 0, sizeof(*p));
    p->argc = -1;
    p->bulklen = -1;
}

void resp_parser_deinit(struct resp_parser *p)
{
    free(p->argv);
    free(p->inline_buf);
    memset(p, 0, sizeof(*p));
}

void resp_parser_reset(struct resp_parser *p)
{
    p->pos = 0;
    p->argc = -1;
    p->bulklen = -1;
    p->nargs = 0;
    p->frame_len = 0;
    p->need = 0;
    p->err = NULL;
    free(p->inline_buf); /* inline frames are rare; don't keep their copy */
    p->inline_buf = NULL;
    p->inline_cap = 0;
    if (p->cap > 1024) { /* a 100k-argument command must not pin its array */
        free(p->argv);
        p->argv = NULL;
        p->cap = 0;
    }
}

/* Strict decimal like Redis's string2ll: optional '-', no leading zeros,
 * no '+', no spaces, fits in a long long.  The server's command arguments
 * use the same rule (util_str2ll calls this). */
int resp_str2ll(const char *s, size_t len, long long *out)
{
    if (len == 0 || len > 20)
        return 0;
    size_t i = 0;
    int neg = 0;
    if (s[0] == '-') {
        neg = 1;
        i = 1;
        if (len == 1)
            return 0;
    }
    /* the first digit is 1-9 unless the whole string is "0" (so no "-0") */
    if (s[i] == '0' && (len > i + 1 || neg))
        return 0;
    unsigned long long v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (unsigned long long)LLONG_MAX + 1)
            return 0;
        *out = (long long)(0 - v);
    } else {
        if (v > (unsigned long long)LLONG_MAX)
            return 0;
        *out = (long long)v;
    }
    return 1;
}

static int grow_argv(struct resp_arg **argv, size_t *cap, size_t want)
{
    if (want <= *cap)
        return 1;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < want)
        ncap *= 2;
    struct resp_arg *n = realloc(*argv, ncap * sizeof(*n));
    if (!n)
        return 0;
    *argv = n;
    *cap = ncap;
    return 1;
}

static enum resp_status fail(struct resp_parser *p, const char *msg)
{
    p->err = msg;
    return RESP_ERROR;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long resp_split_inline(const char *line, size_t linelen, char *out,
                       struct resp_arg **argv, size_t *cap)
{
    /* A NUL byte ends the line, as it does for Redis's C-string splitter. */
    const char *nul = memchr(line, '\0', linelen);
    const char *end = nul ? nul : line + linelen;
    const char *s = line;
    size_t o = 0;
    long n = 0;
#define AT(q) ((q) < end ? *(q) : '\0')
    for (;;) {
        while (s < end && is_space(*s))
            s++;
        if (s >= end)
            return n;
        size_t start = o;
        int inq = 0, insq = 0, done = 0;
        while (!done) {
            char c = AT(s);
            if (inq) {
                if (c == '\\' && AT(s + 1) == 'x' && hex_val(AT(s + 2)) >= 0 && hex_val(AT(s + 3)) >= 0) {
                    out[o++] = (char)(hex_val(AT(s + 2)) * 16 + hex_val(AT(s + 3)));
                    s += 3;
                } else if (c == '\\' && AT(s + 1)) {
                    s++;
                    switch (*s) {
                    case 'n': out[o++] = '\n'; break;
                    case 'r': out[o++] = '\r'; break;
                    case 't': out[o++] = '\t'; break;
                    case 'b': out[o++] = '\b'; break;
                    case 'a': out[o++] = '\a'; break;
                    default: out[o++] = *s; break;
                    }
                } else if (c == '"') {
                    if (AT(s + 1) && !is_space(AT(s + 1)))
                        return -1;
                    done = 1;
                } else if (!c) {
                    return -1;
                } else {
                    out[o++] = c;
                }
            } else if (insq) {
                if (c == '\\' && AT(s + 1) == '\'') {
                    s++;
                    out[o++] = '\'';
                } else if (c == '\'') {
                    if (AT(s + 1) && !is_space(AT(s + 1)))
                        return -1;
                    done = 1;
                } else if (!c) {
                    return -1;
                } else {
                    out[o++] = c;
                }
            } else {
                switch (c) {
                case ' ': case '\n': case '\r': case '\t': case '\0':
                    done = 1;
                    break;
                case '"': inq = 1; break;
                case '\'': insq = 1; break;
                default: out[o++] = c; break;
                }
            }
            if (s < end)
                s++;
        }
        if (!grow_argv(argv, cap, (size_t)n + 1))
            return -1;
        (*argv)[n].off = start;
        (*argv)[n].len = o - start;
        n++;
    }
#undef AT
}

static enum resp_status parse_inline(struct resp_parser *p, const char *buf, size_t len,
                                     const struct resp_limits *lim)
{
    const char *nl = memchr(buf + p->pos, '\n', len - p->pos);
    if (!nl) {
        if (len > lim->max_inline_len)
            return fail(p, "Protocol error: too big inline request");
        p->pos = len; /* nothing before here holds a newline */
        return RESP_NEED_MORE;
    }
    size_t linelen = (size_t)(nl - buf);
    if (linelen > lim->max_inline_len)
        return fail(p, "Protocol error: too big inline request");
    p->frame_len = linelen + 1;
    if (linelen && buf[linelen - 1] == '\r')
        linelen--;
    p->inline_buf = malloc(linelen + 1);
    if (!p->inline_buf)
        return fail(p, "Protocol error: out of memory");
    p->inline_cap = linelen + 1;
    long n = resp_split_inline(buf, linelen, p->inline_buf, &p->argv, &p->cap);
    if (n < 0)
        return fail(p, "Protocol error: unbalanced quotes in request");
    p->nargs = (size_t)n;
    return RESP_OK;
}

/* Find the '\r' of a header line starting at buf+from; Redis requires one
 * more byte after it (the '\n') before it will parse the line.  *any_cr
 * tells whether a '\r' was seen at all: like Redis, the "too big ... count
 * string" limit applies only while no '\r' has arrived. */
static const char *header_end(const char *buf, size_t len, size_t from, int *any_cr)
{
    const char *cr = memchr(buf + from, '\r', len - from);
    *any_cr = cr != NULL;
    if (!cr || (size_t)(cr - buf) + 2 > len)
        return NULL;
    return cr;
}

enum resp_status resp_parse(struct resp_parser *p, const char *buf, size_t len,
                            const struct resp_limits *lim)
{
    p->need = 0;
    if (len == 0)
        return RESP_NEED_MORE;
    if (buf[0] != '*')
        return parse_inline(p, buf, len, lim);

    if (p->argc < 0) {
        int any_cr;
        const char *cr = header_end(buf, len, 0, &any_cr);
        if (!cr) {
            if (!any_cr && len > lim->max_inline_len)
                return fail(p, INLINE_ERR_BIG_MBULK);
            return RESP_NEED_MORE;
        }
        long long ll;
        if (!resp_str2ll(buf + 1, (size_t)(cr - buf - 1), &ll) || ll > lim->max_multibulk_len)
            return fail(p, "Protocol error: invalid multibulk length");
        p->pos = (size_t)(cr - buf) + 2;
        if (ll <= 0) { /* empty command: consumed, nothing to run */
            p->frame_len = p->pos;
            p->nargs = 0;
            return RESP_OK;
        }
        p->argc = ll;
        /* grow lazily: a hostile header must not allocate by itself */
        if (!grow_argv(&p->argv, &p->cap, ll < 1024 ? (size_t)ll : 1024))
            return fail(p, "Protocol error: out of memory");
    }

    while ((long long)p->nargs < p->argc) {
        if (p->bulklen < 0) {
            if (p->pos >= len)
                return RESP_NEED_MORE;
            int any_cr;
            const char *cr = header_end(buf, len, p->pos, &any_cr);
            if (!cr) {
                if (!any_cr && len - p->pos > lim->max_inline_len)
                    return fail(p, INLINE_ERR_BIG_BULK);
                return RESP_NEED_MORE;
            }
            if (buf[p->pos] != '$') {
                static __thread char msg[64];
                memcpy(msg, "Protocol error: expected '$', got ' '", 38);
                msg[35] = buf[p->pos];
                p->err = msg;
                return RESP_ERROR;
            }
            long long ll;
            size_t hstart = p->pos + 1;
            if (!resp_str2ll(buf + hstart, (size_t)(cr - buf) - hstart, &ll) || ll < 0 ||
                ll > lim->max_bulk_len)
                return fail(p, "Protocol error: invalid bulk length");
            p->pos = (size_t)(cr - buf) + 2;
            p->bulklen = ll;
        }
        size_t want = p->pos + (size_t)p->bulklen + 2;
        if (len < want) {
            p->need = want;
            return RESP_NEED_MORE;
        }
        if (!grow_argv(&p->argv, &p->cap, p->nargs + 1))
            return fail(p, "Protocol error: out of memory");
        p->argv[p->nargs].off = p->pos;
        p->argv[p->nargs].len = (size_t)p->bulklen;
        p->nargs++;
        p->pos = want;
        p->bulklen = -1;
    }
    p->frame_len = p->pos;
    return RESP_OK;
}

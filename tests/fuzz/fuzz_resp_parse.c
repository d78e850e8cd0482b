/* fuzz_resp_parse.c - libFuzzer target for protocol/resp_parse.
 *
 * The input is a stream of requests as a client would send it.  It is parsed
 * the way a connection does: run every complete frame in what has arrived,
 * keep the rest, wait for more.  Once with all bytes at once, and once
 * arriving in three reads cut at points derived from the data, each read a
 * fresh exact-size heap copy of the unconsumed bytes (so ASan sees any read
 * past what has arrived, and the frame moves between calls as in a real
 * buffer).  Both runs use normal limits and then tiny ones (so the "too big"
 * and limit paths are reachable with short inputs).
 *
 * Invariants: OK frames have 0 < frame_len <= len and argv spans inside the
 * frame (or inline_buf); the stream goes on after OK and stops at ERROR with
 * a "Protocol error: " text; NEED_MORE leaves need either 0 or beyond what is
 * there; and a parser resumed after NEED_MORE gives exactly what a fresh
 * parse of the whole data gives (same frames, same argv, same error).
 */
#include "protocol/resp_parse.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct event {
    enum resp_status st;
    size_t frame_len; /* OK */
    size_t nargs;     /* OK */
    uint64_t hash;    /* OK: of the argv; ERROR: of the text */
};

struct run {
    struct event *ev; /* room for one per input byte, plus an error */
    size_t nev;
    size_t consumed;
    int prefix_error; /* the ERROR came while not all data had arrived */
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

static void record(struct run *r, struct event e)
{
    r->ev[r->nev++] = e; /* an OK frame consumes at least a byte */
}

/* Check a successful parse of buf[0..len) and summarise it. */
static struct event check_ok(const struct resp_parser *p, const char *buf, size_t len,
                             const struct resp_limits *lim)
{
    ASSERT(p->frame_len > 0);
    ASSERT(p->frame_len <= len);
    ASSERT(p->err == NULL);
    ASSERT(p->nargs <= p->frame_len);
    ASSERT(p->nargs == 0 || p->argv != NULL);
    if (buf[0] == '*') {
        ASSERT(p->inline_buf == NULL);
        ASSERT((long long)p->nargs <= lim->max_multibulk_len);
    } else {
        ASSERT(p->inline_buf != NULL);
        ASSERT(p->frame_len - 1 <= lim->max_inline_len);
        ASSERT(buf[p->frame_len - 1] == '\n');
        ASSERT(memchr(buf, '\n', p->frame_len - 1) == NULL);
    }
    uint64_t h = 14695981039346656037ULL;
    size_t limit = p->inline_buf ? p->inline_cap : p->frame_len;
    for (size_t i = 0; i < p->nargs; i++) {
        const struct resp_arg *a = &p->argv[i];
        ASSERT(a->off <= limit && a->len <= limit - a->off);
        if (!p->inline_buf)
            ASSERT((long long)a->len <= lim->max_bulk_len);
        const char *s = resp_arg_ptr(p, buf, i);
        h = fnv(h, &a->len, sizeof(a->len));
        h = fnv(h, s, a->len); /* touches every byte: ASan checks the span */
    }
    struct event e = { RESP_OK, p->frame_len, p->nargs, h };
    return e;
}

/* Feed data[0..size) to one parser as reads ending at cuts[0..ncuts) (the
 * last cut is size). */
static void run_stream(struct run *r, const uint8_t *data, size_t size, const size_t *cuts,
                       size_t ncuts, const struct resp_limits *lim)
{
    struct resp_parser p;
    resp_parser_init(&p);
    r->nev = 0;
    r->consumed = 0;
    r->prefix_error = 0;
    size_t off = 0; /* start of the unconsumed bytes */
    int stop = 0;
    for (size_t c = 0; c < ncuts && !stop; c++) {
        size_t have = cuts[c];
        size_t avail = have - off;
        char *buf = malloc(avail ? avail : 1);
        if (!buf)
            abort();
        memcpy(buf, data + off, avail);
        size_t boff = 0;
        for (;;) {
            size_t len = avail - boff;
            enum resp_status st = resp_parse(&p, buf + boff, len, lim);
            if (st == RESP_OK) {
                record(r, check_ok(&p, buf + boff, len, lim));
                boff += p.frame_len;
                resp_parser_reset(&p);
                continue;
            }
            if (st == RESP_NEED_MORE) {
                ASSERT(p.err == NULL);
                ASSERT(p.need == 0 || p.need > len);
                ASSERT(p.pos <= len);
                break;
            }
            ASSERT(st == RESP_ERROR);
            ASSERT(p.err != NULL);
            ASSERT(strncmp(p.err, "Protocol error: ", 16) == 0);
            struct event e = { RESP_ERROR, 0, 0, fnv(14695981039346656037ULL, p.err, strlen(p.err)) };
            record(r, e);
            r->prefix_error = have < size;
            stop = 1;
            break;
        }
        off += boff;
        free(buf);
    }
    r->consumed = off;
    resp_parser_deinit(&p);
}

static int same_event(const struct event *a, const struct event *b)
{
    return a->st == b->st && a->frame_len == b->frame_len && a->nargs == b->nargs &&
           a->hash == b->hash;
}

static void fuzz_with(const uint8_t *data, size_t size, const struct resp_limits *lim,
                      uint64_t h)
{
    struct run whole_run, split_run;
    whole_run.ev = malloc((size + 1) * sizeof(struct event));
    split_run.ev = malloc((size + 1) * sizeof(struct event));
    if (!whole_run.ev || !split_run.ev)
        abort();
    size_t all[1] = { size };
    run_stream(&whole_run, data, size, all, 1, lim);

    size_t c1 = (size_t)(h % (size + 1));
    size_t c2 = c1 + (size_t)((h >> 32) % (size - c1 + 1));
    size_t cuts[3] = { c1, c2, size };
    run_stream(&split_run, data, size, cuts, 3, lim);

    const struct run *w = &whole_run, *s = &split_run;
    if (s->prefix_error) {
        /* An early error is chunking-dependent (a long count line with no
         * '\r' yet is "too big", as in Redis), but waiting could have saved
         * nothing: whole, that frame fails too (perhaps with another text:
         * an over-long count is also an invalid count) or is still waiting
         * for the byte after a final '\r'.  Never OK. */
        ASSERT(s->nev >= 1 && s->ev[s->nev - 1].st == RESP_ERROR);
        for (size_t i = 0; i + 1 < s->nev; i++)
            ASSERT(i < w->nev && same_event(&s->ev[i], &w->ev[i]));
        if (w->nev == s->nev)
            ASSERT(w->ev[s->nev - 1].st == RESP_ERROR);
        else
            ASSERT(w->nev == s->nev - 1 && w->consumed == s->consumed);
    } else {
        /* Otherwise resumption is invisible: identical results. */
        ASSERT(s->nev == w->nev);
        for (size_t i = 0; i < s->nev; i++)
            ASSERT(same_event(&s->ev[i], &w->ev[i]));
        ASSERT(s->consumed == w->consumed);
    }
    free(whole_run.ev);
    free(split_run.ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct resp_limits normal = {
        .max_bulk_len = 1024 * 1024,
        .max_multibulk_len = INT_MAX,
        .max_inline_len = 64 * 1024,
    };
    /* max_inline_len stays above the longest valid count line ("*" plus 20
     * characters), so an early "too big" always means an invalid frame */
    static const struct resp_limits tiny = {
        .max_bulk_len = 16,
        .max_multibulk_len = 8,
        .max_inline_len = 24,
    };
    uint64_t h = fnv(14695981039346656037ULL, data, size);
    fuzz_with(data, size, &normal, h);
    fuzz_with(data, size, &tiny, h);
    return 0;
}

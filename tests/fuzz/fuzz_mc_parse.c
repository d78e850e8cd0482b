/* fuzz_mc_parse.c - libFuzzer target for protocol/mc_parse.
 *
 * The input is a stream of memcached requests as a client would send it.
 * It is parsed the way a connection does: run every complete frame in what
 * has arrived, consume it, keep the rest, wait for more.  Once with all
 * bytes at once, and once arriving in three reads cut at points derived
 * from the data, each read a fresh exact-size heap copy of the unconsumed
 * bytes (so ASan sees any read past what has arrived, and the frame moves
 * between calls as in a real buffer).  Both runs use memcached's default
 * limits and then tiny ones (so the line, get-line, key-count and item-size
 * limits and the swallow path are reachable with short inputs).
 *
 * Invariants: OK / ERROR / SWALLOW frames have 0 < frame_len <= len; OK
 * spans (key, keys, data, args, meta flag tokens) lie inside the frame, a
 * command line ends the frame at its first '\n', a data block ends the
 * frame with "\r\n"; ERROR texts are memcached's kinds; NEED_MORE leaves
 * need 0 or beyond what is there; CLOSE only with more than max_line_len
 * bytes and no '\n'; and a parser resumed after NEED_MORE gives exactly
 * what a fresh parse of the whole data gives (same frames, same requests,
 * same errors, same total swallowed), except that a close for an over-long
 * line depends on how the bytes arrive (as in memcached): then the events
 * before it must agree.
 */
#include "protocol/mc_parse.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct event {
    int st;           /* enum mc_status; SWALLOW events are merged */
    uint64_t len;     /* frame_len, or total swallowed */
    uint64_t hash;    /* OK: of the request; ERROR: of the text and flags */
};

struct run {
    struct event *ev; /* room for one per input byte, plus two */
    size_t nev;
    size_t consumed;
    int prefix_close; /* closed while not all data had arrived */
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

#define FNV0 14695981039346656037ULL

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

static int in_frame(struct mc_span s, size_t frame)
{
    return s.off <= frame && s.len <= frame - s.off;
}

/* Check an OK request on buf[0..len) and hash what it says. */
static uint64_t check_ok(const struct mc_request *r, const char *buf, size_t len)
{
    size_t fl = r->frame_len;
    ASSERT(fl > 0 && fl <= len);
    ASSERT(r->err == NULL);
    ASSERT(r->swallow == 0 && !r->drop_key);
    ASSERT(in_frame(r->key, fl) && in_frame(r->data, fl));
    int has_data = r->cmd == MC_CMD_SET || r->cmd == MC_CMD_ADD || r->cmd == MC_CMD_REPLACE ||
                   r->cmd == MC_CMD_APPEND || r->cmd == MC_CMD_PREPEND || r->cmd == MC_CMD_CAS ||
                   r->cmd == MC_CMD_MS;
    size_t line_end = fl; /* one past the line's '\n' */
    if (has_data) {
        ASSERT(r->data.len == r->bytes);
        ASSERT(r->data.off + r->data.len + 2 == fl);
        ASSERT(buf[fl - 2] == '\r' && buf[fl - 1] == '\n');
        line_end = r->data.off;
    } else {
        ASSERT(r->data.len == 0);
    }
    ASSERT(line_end > 0 && buf[line_end - 1] == '\n');
    ASSERT(memchr(buf, '\n', line_end - 1) == NULL);
    uint64_t h = fnv(FNV0, &r->cmd, sizeof(r->cmd));
    h = fnv(h, &fl, sizeof(fl));
    h = fnv(h, buf + r->key.off, r->key.len);
    h = fnv(h, buf + r->data.off, r->data.len); /* touches every byte: ASan checks */
    for (size_t i = 0; i < r->nkeys; i++) {
        ASSERT(in_frame(r->keys[i], line_end));
        ASSERT(r->keys[i].len > 0 && r->keys[i].len <= MC_KEY_MAX);
        ASSERT(memchr(buf + r->keys[i].off, ' ', r->keys[i].len) == NULL);
        h = fnv(h, &r->keys[i].len, sizeof(size_t));
        h = fnv(h, buf + r->keys[i].off, r->keys[i].len);
    }
    if (r->nkeys)
        ASSERT(r->key.off == r->keys[0].off && r->key.len == r->keys[0].len);
    for (size_t i = 0; i < r->nargs; i++) {
        ASSERT(in_frame(r->args[i], line_end) && r->args[i].len > 0);
        h = fnv(h, buf + r->args[i].off, r->args[i].len);
    }
    for (size_t i = 0; i < r->nmflags; i++) {
        const struct mc_mflag *f = &r->mflags[i];
        ASSERT(in_frame(f->tok, line_end) && f->tok.off > 0);
        ASSERT(buf[f->tok.off - 1] == f->flag);
        ASSERT(mc_meta_has(r, f->flag));
        h = fnv(h, &f->flag, 1);
        h = fnv(h, buf + f->tok.off, f->tok.len);
    }
    if (r->cmd != MC_CMD_MN && r->cmd != MC_CMD_VERSION && r->cmd != MC_CMD_QUIT &&
        r->cmd != MC_CMD_STATS && r->cmd != MC_CMD_OTHER && r->cmd != MC_CMD_FLUSH_ALL &&
        r->cmd != MC_CMD_VERBOSITY && !(r->cmd == MC_CMD_GAT || r->cmd == MC_CMD_GATS))
        ASSERT(r->key.len > 0 && r->key.len <= MC_KEY_MAX);
    if (r->key_binary) {
        ASSERT(r->bkey != NULL && r->bkey_len > 0 && r->bkey_len <= r->key.len);
        h = fnv(h, r->bkey, r->bkey_len);
    }
    uint64_t nums[] = { r->flags, (uint64_t)(int64_t)r->exptime, (uint64_t)r->has_exptime,
                        r->bytes, r->cas, r->delta, r->level, (uint64_t)r->noreply,
                        r->meta.seen[0], r->meta.seen[1], (uint64_t)(unsigned char)r->meta.mode,
                        (uint64_t)(int64_t)r->meta.ttl, r->meta.client_flags, r->meta.cas,
                        r->meta.delta, r->meta.initial };
    return fnv(h, nums, sizeof(nums));
}

static uint64_t check_error(const struct mc_request *r, const char *buf, size_t len)
{
    ASSERT(r->frame_len > 0 && r->frame_len <= len);
    ASSERT(r->err != NULL);
    ASSERT(strcmp(r->err, "ERROR") == 0 || strncmp(r->err, "CLIENT_ERROR ", 13) == 0 ||
           strncmp(r->err, "SERVER_ERROR ", 13) == 0);
    size_t fl = r->frame_len;
    if (strcmp(r->err, "CLIENT_ERROR bad data chunk") == 0) {
        /* the line, then a block whose last two bytes are not "\r\n" */
        ASSERT(fl >= 3 && !(buf[fl - 2] == '\r' && buf[fl - 1] == '\n'));
        ASSERT(memchr(buf, '\n', fl - 2) != NULL && !r->swallow);
    } else {
        /* the command line alone */
        ASSERT(buf[fl - 1] == '\n' && memchr(buf, '\n', fl - 1) == NULL);
    }
    if (r->drop_key)
        ASSERT(r->swallow && strcmp(r->err, "SERVER_ERROR object too large for cache") == 0);
    uint64_t h = fnv(FNV0, r->err, strlen(r->err));
    uint64_t nums[] = { r->frame_len, (uint64_t)r->noreply, r->swallow, (uint64_t)r->drop_key };
    return fnv(h, nums, sizeof(nums));
}

/* Feed data[0..size) to one parser as reads ending at cuts[0..ncuts). */
static void run_stream(struct run *r, const uint8_t *data, size_t size, const size_t *cuts,
                       size_t ncuts, const struct mc_limits *lim)
{
    struct mc_parser p;
    mc_parser_init(&p);
    r->nev = 0;
    r->prefix_close = 0;
    size_t off = 0;
    uint64_t swallowed = 0;
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
            struct mc_request req;
            enum mc_status st = mc_parse(&p, buf + boff, len, lim, &req);
            if (st == MC_NEED_MORE) {
                ASSERT(p.need == 0 || p.need > len);
                break;
            }
            if (st == MC_CLOSE) {
                ASSERT(len > lim->max_line_len);
                ASSERT(memchr(buf + boff, '\n', len) == NULL);
                if (swallowed) {
                    struct event e = { MC_SWALLOW, swallowed, 0 };
                    r->ev[r->nev++] = e;
                    swallowed = 0;
                }
                struct event e = { MC_CLOSE, 0, 0 };
                r->ev[r->nev++] = e;
                r->prefix_close = have < size;
                stop = 1;
                break;
            }
            if (st == MC_SWALLOW) {
                ASSERT(req.frame_len > 0 && req.frame_len <= len);
                swallowed += req.frame_len;
                boff += req.frame_len;
                continue;
            }
            if (swallowed) { /* one event per refused block, however it arrived */
                struct event e = { MC_SWALLOW, swallowed, 0 };
                r->ev[r->nev++] = e;
                swallowed = 0;
            }
            struct event e = { st, req.frame_len, 0 };
            if (st == MC_OK) {
                e.hash = check_ok(&req, buf + boff, len);
            } else {
                ASSERT(st == MC_ERROR);
                e.hash = check_error(&req, buf + boff, len);
            }
            r->ev[r->nev++] = e;
            boff += req.frame_len;
        }
        off += boff;
        free(buf);
    }
    if (swallowed) {
        struct event e = { MC_SWALLOW, swallowed, 0 };
        r->ev[r->nev++] = e;
    }
    r->consumed = off;
    mc_parser_deinit(&p);
}

static int same_event(const struct event *a, const struct event *b)
{
    return a->st == b->st && a->len == b->len && a->hash == b->hash;
}

static void fuzz_with(const uint8_t *data, size_t size, const struct mc_limits *lim, uint64_t h)
{
    struct run whole_run, split_run;
    /* every event but the last SWALLOW / CLOSE consumes a byte */
    whole_run.ev = malloc((size + 2) * sizeof(struct event));
    split_run.ev = malloc((size + 2) * sizeof(struct event));
    if (!whole_run.ev || !split_run.ev)
        abort();
    size_t all[1] = { size };
    run_stream(&whole_run, data, size, all, 1, lim);

    size_t c1 = (size_t)(h % (size + 1));
    size_t c2 = c1 + (size_t)((h >> 32) % (size - c1 + 1));
    size_t cuts[3] = { c1, c2, size };
    run_stream(&split_run, data, size, cuts, 3, lim);

    const struct run *w = &whole_run, *s = &split_run;
    if (s->prefix_close) {
        /* The close came before all bytes were there: whole, that line may
         * still have found its newline.  What came before must agree. */
        ASSERT(s->nev >= 1 && s->ev[s->nev - 1].st == MC_CLOSE);
        for (size_t i = 0; i + 1 < s->nev; i++)
            ASSERT(i < w->nev && same_event(&s->ev[i], &w->ev[i]));
    } else {
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
    static const struct mc_limits normal = MC_LIMITS_DEFAULT;
    static const struct mc_limits tiny = {
        .max_line_len = 40,
        .max_get_line_len = 80,
        .max_keys = 3,
        .max_item_size = 16,
        .item_overhead = 0,
        .reject_ctrl_keys = 1,
    };
    uint64_t h = fnv(FNV0, data, size);
    fuzz_with(data, size, &normal, h);
    fuzz_with(data, size, &tiny, h);
    return 0;
}

/* resp_parse.h - pure, resumable RESP request parser (multibulk and inline).
 *
 * Owns: turning bytes into an argument vector.  Must not: do I/O, allocate
 * from server state, or reply to anyone.  Errors are state (a Redis error
 * text in p->err), never aborts, so it is testable and fuzzable alone.
 *
 * Usage: call resp_parse() with the start of the unconsumed input.  On
 * RESP_NEED_MORE the parser remembers how far it got; call again with the
 * same frame start (the buffer may have moved or grown).  On RESP_OK the
 * frame is p->frame_len bytes long and argument i is at
 * resp_arg_ptr(p, buf, i) for p->argv[i].len bytes; call resp_parser_reset()
 * after consuming it.
 */
#ifndef CACHET_RESP_PARSE_H
#define CACHET_RESP_PARSE_H

#include <stddef.h>
#include <stdint.h>

enum resp_status { RESP_OK = 0, RESP_NEED_MORE = 1, RESP_ERROR = 2 };

struct resp_limits {
    long long max_bulk_len;      /* proto-max-bulk-len */
    long long max_multibulk_len; /* argument count limit (Redis: INT_MAX) */
    size_t max_inline_len;       /* inline request line limit (Redis: 64 KB) */
};

struct resp_arg {
    size_t off; /* offset from the frame start (or into inline_buf) */
    size_t len;
};

struct resp_parser {
    /* progress through the current frame */
    size_t pos;          /* bytes of the frame examined so far */
    long long argc;      /* multibulk count announced, -1 before the header */
    long long bulklen;   /* length of the bulk being read, -1 before its header */
    /* result */
    struct resp_arg *argv;
    size_t nargs, cap;
    size_t frame_len;    /* valid after RESP_OK */
    size_t need;         /* after NEED_MORE: total frame bytes known to be needed, 0 if unknown */
    char *inline_buf;    /* unescaped inline arguments; NULL for multibulk */
    size_t inline_cap;
    const char *err;     /* Redis error text after RESP_ERROR */
};

void resp_parser_init(struct resp_parser *p);
void resp_parser_deinit(struct resp_parser *p);
void resp_parser_reset(struct resp_parser *p);
enum resp_status resp_parse(struct resp_parser *p, const char *buf, size_t len,
                            const struct resp_limits *lim);

static inline const char *resp_arg_ptr(const struct resp_parser *p, const char *buf, size_t i)
{
    return (p->inline_buf ? p->inline_buf : buf) + p->argv[i].off;
}

/* Redis's string2ll rules; returns 1 and sets *out, or 0. */
int resp_str2ll(const char *s, size_t len, long long *out);

/* Split an inline request line into arguments with Redis's quoting rules
 * ("..." with \n \xHH escapes, '...' with \').  Writes unescaped bytes into
 * out (at least linelen bytes) and the spans into *argv (grown with realloc).
 * Returns the argument count, or -1 for unbalanced quotes. */
long resp_split_inline(const char *line, size_t linelen, char *out,
                       struct resp_arg **argv, size_t *cap);

#endif

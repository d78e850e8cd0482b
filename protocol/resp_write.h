/* resp_write.h - RESP2/RESP3 reply encoder into a growable byte buffer.
 *
 * Owns: the wire form of every reply type, and the RESP2 fallbacks for
 * RESP3-only types (map -> flat array, null -> $-1 or *-1, double -> bulk,
 * bool -> integer, verbatim -> bulk).  Must not: know about connections or
 * sockets; the caller decides when the bytes go out.
 */
#ifndef CACHET_RESP_WRITE_H
#define CACHET_RESP_WRITE_H

#include <stddef.h>
#include <stdint.h>

struct obuf {
    char *data;
    size_t len;  /* bytes held */
    size_t sent; /* bytes already written to the peer (prefix) */
    size_t cap;
};

void obuf_init(struct obuf *b);
void obuf_deinit(struct obuf *b);
void obuf_append(struct obuf *b, const void *p, size_t n);
/* Drop the sent prefix; shrink a large, drained buffer back. */
void obuf_compact(struct obuf *b);

struct resp_writer {
    struct obuf *out;
    int proto; /* 2 or 3 */
};

void resp_simple(struct resp_writer *w, const char *s);            /* +s */
void resp_simple_len(struct resp_writer *w, const char *s, size_t n);
void resp_error(struct resp_writer *w, const char *s);             /* -s (newlines replaced) */
void resp_int(struct resp_writer *w, long long v);                 /* :v */
void resp_bulk(struct resp_writer *w, const void *p, size_t n);    /* $n */
void resp_bulk_cstr(struct resp_writer *w, const char *s);
void resp_bulk_ll(struct resp_writer *w, long long v);             /* integer as bulk */
void resp_null(struct resp_writer *w);                             /* $-1 | _ */
void resp_null_array(struct resp_writer *w);                       /* *-1 | _ */
void resp_array(struct resp_writer *w, long long n);               /* *n */
void resp_map(struct resp_writer *w, long long n);                 /* %n | *2n */
void resp_set(struct resp_writer *w, long long n);                 /* ~n | *n */
void resp_double(struct resp_writer *w, double d);                 /* ,d | $ */
void resp_bool(struct resp_writer *w, int b);                      /* #t | :1 */
void resp_verbatim(struct resp_writer *w, const char *p, size_t n); /* =n txt: | $n */

/* Deferred aggregate length for replies whose size is known only after
 * producing the elements: take a mark, write elements, then fill. */
size_t resp_defer(struct resp_writer *w);
void resp_defer_array(struct resp_writer *w, size_t mark, long long n);
void resp_defer_map(struct resp_writer *w, size_t mark, long long n);

/* Format a long long in decimal; returns the length.  buf >= 21 bytes. */
int ll_to_str(char *buf, long long v);

#endif

/* rdb_read_int.h - internals shared by rdb_read.c (framing: input,
 * lengths, strings, opcodes, errors) and rdb_read_value.c (the value of each
 * type).  Not for use outside persistence/.
 */
#ifndef CACHET_RDB_READ_INT_H
#define CACHET_RDB_READ_INT_H

#include <stddef.h>
#include <stdint.h>

#include "persistence/rdb_read.h"

struct sbuf {
    unsigned char *p; /* always NUL-terminated after len */
    size_t len, cap;
};

struct reader {
    rdb_read_fn fn;
    void *fn_ctx;
    const struct rdb_sink *sink;
    void *sink_ctx;
    uint64_t input_size, max_string;
    struct rdb_read_result *res;

    unsigned char *in;      /* current chunk */
    size_t in_pos, in_len;
    size_t crc_pos;         /* in[crc_pos..in_pos) not yet in crc */
    uint64_t in_base;       /* file offset of in[0] */
    uint64_t crc;
    int failed;

    struct rdb_key_info key; /* the key being read, for sink and errors */
    int in_key;
    uint64_t el_at;          /* where the element being delivered starts */
    struct sbuf kbuf, s1, s2, blob, lzf;
};

static inline uint64_t offset(const struct reader *r)
{
    return r->in_base + r->in_pos;
}

/* Record "offset N: [key 'k' (kind): ]message" (the first error only).
 * Returns -1. */
__attribute__((format(printf, 3, 4))) int rdbr_fail(struct reader *r, uint64_t at,
                                                    const char *fmt, ...);
/* A sink callback's answer: NULL -> 0, a message -> rdbr_fail. */
int rdbr_sink_result(struct reader *r, uint64_t at, const char *msg);
const char *rdbr_kind_name(enum rdb_kind k);

/* Input.  Each reads exactly what it says or fails naming `what` (e.g.
 * "expected a length, found end of file"). */
int rdbr_get(struct reader *r, void *dst, size_t n, const char *what);
int rdbr_get_byte(struct reader *r, unsigned char *c, const char *what);
/* n raw bytes into b, which grows only as they arrive. */
int rdbr_get_bytes(struct reader *r, struct sbuf *b, uint64_t n, const char *what);
/* A length.  With encoded non-NULL an 11xxxxxx byte sets *encoded to the
 * string encoding (else -1); with NULL it is an error. */
int rdbr_get_len(struct reader *r, uint64_t *len, int *encoded, const char *what);
/* A string in any form (plain, INT8/16/32, LZF) into b, NUL-terminated. */
int rdbr_get_string(struct reader *r, struct sbuf *b, const char *what);

/* rdb_read_value.c: the value of a key of `type` (its record starts at
 * `at`), from begin() to the last element; r->key is set. */
int rdbr_read_value(struct reader *r, int type, uint64_t at);

#endif

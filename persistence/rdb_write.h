/* rdb_write.h - RDB encoder into a growable buffer.
 *
 * Owns: turning values into RDB bytes, the way Redis writes them (integer
 * and LZF string forms, length encodings, CRC-64 footer).  Must not: do I/O,
 * see the keyspace, lock anything.  The caller walks its data and streams
 * it in, a key at a time, and hands full chunks to its writer:
 *
 *     struct rdb_buf b;
 *     rdb_buf_init(&b, RDB_COMPRESS | RDB_CHECKSUM);
 *     rdb_put_header(&b, RDB_VERSION_WRITE);
 *     rdb_put_aux_std(&b, "7.0.0", time(NULL), used_memory, 0);
 *     rdb_put_select_db(&b, 0);
 *     rdb_put_resize_db(&b, nkeys, nexpires);
 *     rdb_put_key(&b, RDB_TYPE_HASH, "user:1", 6, RDB_NO_EXPIRE);
 *     rdb_put_len(&b, 2);                       // element count
 *     rdb_put_string(&b, "name", 4); rdb_put_string(&b, "ann", 3);
 *     rdb_put_string(&b, "age", 3);  rdb_put_string(&b, "42", 2);
 *     if (rdb_buf_full(&b)) { write(fd, b.p, b.len) ...; rdb_buf_consumed(&b); }
 *     rdb_put_eof(&b);                          // EOF + checksum footer
 *     ... write the rest, rdb_buf_consumed(&b); rdb_buf_deinit(&b);
 *
 * Values by type after rdb_put_key():
 *   RDB_TYPE_STRING  rdb_put_string (or rdb_put_string_ll)
 *   RDB_TYPE_LIST    rdb_put_len(n), then n x rdb_put_string
 *   RDB_TYPE_SET     rdb_put_len(n), then n x rdb_put_string
 *   RDB_TYPE_ZSET_2  rdb_put_len(n), then n x (rdb_put_string, rdb_put_double)
 *   RDB_TYPE_HASH    rdb_put_len(n), then n x (field, value) rdb_put_string
 * Redis rejects empty collections as corrupt-ish (it skips them), so do not
 * write a key with n == 0.
 *
 * Memory: allocation failures abort (xmalloc), so the put functions cannot
 * fail and return nothing.
 */
#ifndef CACHET_RDB_WRITE_H
#define CACHET_RDB_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "persistence/rdb.h"

#define RDB_COMPRESS 1 /* rdbcompression yes: LZF strings over 20 bytes */
#define RDB_CHECKSUM 2 /* rdbchecksum yes: CRC-64 footer (else 8 zeros) */
/* With RDB_COMPRESS: strings that may compress go in plain, unframed, and
 * are noted; rdb_buf_compress() frames and compresses them later, into
 * another buffer.  The snapshot sweep copies under a shard lock and
 * compresses after releasing it. */
#define RDB_DEFER 4

struct rdb_deferred {
    size_t at, n; /* a string's bytes, unframed, at p[at..at+n) */
};

/* A good size to hand to write(2) at a time. */
#define RDB_BUF_CHUNK (64 * 1024)

struct rdb_buf {
    unsigned char *p;   /* bytes not yet handed to the writer */
    size_t len, cap;
    uint64_t done;      /* bytes handed off before p[0] */
    uint64_t crc;       /* CRC-64 of those bytes */
    int flags;          /* RDB_COMPRESS | RDB_CHECKSUM */
    uint32_t *lzf_htab; /* compressor table, allocated on first use */
    struct rdb_deferred *defer; /* RDB_DEFER: strings left to compress */
    size_t ndefer, defer_cap;
};

void rdb_buf_init(struct rdb_buf *b, int flags);
void rdb_buf_deinit(struct rdb_buf *b);

/* True once the pending bytes are worth a write(2). */
static inline int rdb_buf_full(const struct rdb_buf *b)
{
    return b->len >= RDB_BUF_CHUNK;
}

/* The caller has written all b->len pending bytes: fold them into the
 * checksum and empty the buffer (keeping its memory). */
void rdb_buf_consumed(struct rdb_buf *b);

/* Append src's bytes to dst (RDB_COMPRESS, not RDB_DEFER) with src's
 * deferred strings framed and compressed as rdb_put_string() would have
 * done; then empty src. */
void rdb_buf_compress(struct rdb_buf *src, struct rdb_buf *dst);

/* Hand every pending byte to fn (looping over short writes) and consume
 * them.  fn returns bytes written (> 0) or -1.  Returns 0, or -1 when fn
 * failed (errno as fn left it; the unwritten bytes stay pending). */
int rdb_buf_drain(struct rdb_buf *b, ssize_t (*fn)(void *ctx, const void *p, size_t n),
                  void *ctx);

/* Bytes produced so far (handed off + pending): the file offset of the
 * next byte put. */
static inline uint64_t rdb_buf_offset(const struct rdb_buf *b)
{
    return b->done + b->len;
}

/* ---- file structure ---- */
void rdb_put_header(struct rdb_buf *b, int version); /* "REDIS0009" */
/* AUX field, both as strings (integer-looking values get the int form). */
void rdb_put_aux(struct rdb_buf *b, const char *key, const char *val);
void rdb_put_aux_ll(struct rdb_buf *b, const char *key, long long val);
/* The fields Redis writes at the start of every RDB: redis-ver, redis-bits,
 * ctime, used-mem, aof-base. */
void rdb_put_aux_std(struct rdb_buf *b, const char *redis_ver, long long ctime,
                     long long used_mem, int aof_base);
void rdb_put_select_db(struct rdb_buf *b, uint64_t db);
void rdb_put_resize_db(struct rdb_buf *b, uint64_t db_size, uint64_t expires_size);
/* Optional eviction hints, written before rdb_put_key like Redis does
 * under LRU / LFU maxmemory policies. */
void rdb_put_idle(struct rdb_buf *b, uint64_t idle_seconds);
void rdb_put_freq(struct rdb_buf *b, uint8_t lfu_counter);
/* [EXPIRETIME_MS expire] type key.  expire_ms is an absolute Unix time in
 * ms, or RDB_NO_EXPIRE. */
void rdb_put_key(struct rdb_buf *b, enum rdb_type type, const void *key, size_t klen,
                 int64_t expire_ms);
/* EOF opcode and the 8-byte footer: CRC-64 of the whole file before it
 * (with RDB_CHECKSUM) or zero. */
void rdb_put_eof(struct rdb_buf *b);

/* ---- values ---- */
void rdb_put_len(struct rdb_buf *b, uint64_t len);
/* A string as Redis's rdbSaveRawString: INT8/16/32 form when it is a
 * canonical integer that fits, LZF when compression is on, it is over 20
 * bytes and LZF saves at least 4 bytes, else length + bytes. */
void rdb_put_string(struct rdb_buf *b, const void *p, size_t n);
void rdb_put_string_ll(struct rdb_buf *b, long long v); /* integer as a string */
void rdb_put_double(struct rdb_buf *b, double d);       /* binary, ZSET_2 scores */
/* Raw bytes, for callers with their own framing (and tests). */
void rdb_put_raw(struct rdb_buf *b, const void *p, size_t n);

#endif

/* rdb_read.h - streaming RDB decoder for untrusted input.
 *
 * Owns: turning the bytes of an RDB file (versions 1 to 10, everything
 * Redis 7.0 writes) into a stream of calls on a sink: aux fields, database
 * selectors, and for each key begin / its value as plain elements / end,
 * whatever the encoding on disk (plain, intset, ziplist, listpack, zipmap,
 * quicklist, LZF-compressed or integer-encoded strings).  Must not: do file
 * I/O itself (bytes come through a read callback, so a file is read in
 * chunks and never needs to be in memory whole), see the keyspace, or
 * trust anything in the input.
 *
 * Safety: every length is checked before use; blobs are validated whole
 * before their first element is delivered (rdb_blobs.h); memory grows only
 * as bytes actually arrive, so a claimed length of 2^40 in a 100-byte file
 * allocates a few KB and then reports the truncation; the CRC-64 footer is
 * verified when nonzero.  Any problem stops the read with an error naming
 * the byte offset and what was expected, e.g.
 *   offset 1234: expected a length, found end of file
 *   offset 77: checksum mismatch: file says 0x..., computed 0x...
 *   key 'events' at offset 5120 is a stream: Cachet cannot load streams
 *
 * Elements arrive as strings: integers stored in compact encodings are
 * formatted in decimal, exactly as Redis would return them.  Pointers passed
 * to the sink are valid only during the call, except that the rdb_key_info
 * given to begin() (and the key bytes it points at) stays as it is until
 * end() returns, so a sink may build the key's entry as the value arrives.
 */
#ifndef CACHET_RDB_READ_H
#define CACHET_RDB_READ_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "persistence/rdb.h"

enum rdb_kind { RDB_KIND_STRING, RDB_KIND_LIST, RDB_KIND_SET, RDB_KIND_ZSET, RDB_KIND_HASH };

#define RDB_COUNT_UNKNOWN UINT64_MAX

struct rdb_key_info {
    enum rdb_kind kind;
    int type;              /* the type byte on disk, e.g. RDB_TYPE_HASH_LISTPACK */
    const char *key;       /* the name, klen bytes (NUL after it) */
    size_t klen;
    uint64_t db;           /* from the last SELECTDB (0 before any) */
    int64_t expire_ms;     /* absolute Unix ms, or RDB_NO_EXPIRE */
    int64_t lru_idle;      /* IDLE opcode: seconds, or -1 */
    int lfu_freq;          /* FREQ opcode: 0..255, or -1 */
    /* Elements that will follow (hash: fields, zset: members; 1 for a
     * string).  Exact for blob encodings (already validated); for plain
     * encodings it is what the file claims, and the reader fails if fewer
     * arrive, so cap any preallocation on it.  RDB_COUNT_UNKNOWN for
     * quicklists (the count is only known node by node).  Empty
     * collections (count 0) are delivered; Redis skips such keys. */
    uint64_t count;
    uint64_t offset;       /* file offset where this key's record starts */
};

/* Every callback may be NULL (ignored).  Each returns NULL to go on, or a
 * message (static or owned by the sink, valid until rdb_read returns) to
 * stop: the read then fails with "offset N: key 'k': <message>". */
struct rdb_sink {
    const char *(*aux)(void *ctx, const char *key, size_t klen, const char *val, size_t vlen);
    const char *(*select_db)(void *ctx, uint64_t db);
    const char *(*resize_db)(void *ctx, uint64_t db_size, uint64_t expires_size);
    const char *(*function)(void *ctx, const char *code, size_t len); /* FUNCTION2 */
    const char *(*begin)(void *ctx, const struct rdb_key_info *k);
    const char *(*string)(void *ctx, const char *p, size_t n);
    const char *(*list_item)(void *ctx, const char *p, size_t n);
    const char *(*set_member)(void *ctx, const char *p, size_t n);
    const char *(*zset_member)(void *ctx, const char *p, size_t n, double score);
    const char *(*hash_field)(void *ctx, const char *f, size_t fl, const char *v, size_t vl);
    const char *(*end)(void *ctx, const struct rdb_key_info *k);
};

/* Fill buf with up to n bytes: returns the count (> 0), 0 at end of input,
 * or -1 with errno set. */
typedef ssize_t (*rdb_read_fn)(void *ctx, void *buf, size_t n);

#define RDB_MAX_STRING_DEFAULT (512ULL * 1024 * 1024) /* Redis's proto-max-bulk-len */

struct rdb_read_opts {
    uint64_t input_size; /* total input bytes when known, else 0: lets
                            impossible lengths and counts fail at once */
    uint64_t max_string; /* longest string or blob accepted; 0 = default */
};

enum rdb_checksum_state {
    RDB_SUM_NONE = 0,     /* version < 5: no footer */
    RDB_SUM_ZERO = 1,     /* footer is 0: written with rdbchecksum no */
    RDB_SUM_VERIFIED = 2,
};

struct rdb_error {
    uint64_t offset;
    char msg[384];        /* "offset N: ..." */
};

struct rdb_read_result {
    int version;
    uint64_t bytes;       /* consumed, up to the end of the footer */
    uint64_t keys;
    enum rdb_checksum_state checksum;
    struct rdb_error err; /* set when rdb_read returns -1 */
};

/* A sink that finds a problem with a key after its end() (e.g. it stores
 * keys in batches) words it as the reader would have:
 * "offset N: key 'k' (kind): msg", the name escaped and cut as there. */
void rdb_key_error(char *out, size_t cap, uint64_t offset, const char *key, size_t klen,
                   enum rdb_kind kind, const char *msg);

/* Read one RDB file.  Returns 0, or -1 with res->err filled.  opts may be
 * NULL.  Bytes after the footer are not read. */
int rdb_read(rdb_read_fn fn, void *fn_ctx, const struct rdb_sink *sink, void *sink_ctx,
             const struct rdb_read_opts *opts, struct rdb_read_result *res);

/* The same over a buffer in memory (input_size is set to n). */
int rdb_read_mem(const void *p, size_t n, const struct rdb_sink *sink, void *sink_ctx,
                 const struct rdb_read_opts *opts, struct rdb_read_result *res);

#endif

/* rdb_blobs.h - the compact encodings an RDB file embeds as strings:
 * ziplist, listpack, intset, zipmap.  Internal to persistence/ (rdb_read.c
 * and the tests).
 *
 * Owns: checking that such a blob, straight from an untrusted file, is well
 * formed, and walking its entries.  Must not: trust any length, count or
 * offset inside the blob.  Each *_check walks the whole blob once,
 * verifying every bound, count, back-length and terminator, and returns
 * NULL (setting *count) or a message saying what is wrong and at which byte
 * of the blob.  The *_next walkers re-check bounds as they go, so even an
 * unchecked blob cannot make them read outside [blob, blob + n); on a
 * checked blob they visit exactly *count entries.
 *
 * Layouts (all integers little endian unless noted):
 *   ziplist  <zlbytes u32><zltail u32><zllen u16> entries <0xff>
 *            entry: <prevlen: 1 byte < 254 | 0xfe u32> <encoding> <data>
 *   listpack <total u32><count u16> entries <0xff>
 *            entry: <encoding+data> <backlen: 1-5 bytes, 7 bits each>
 *   intset   <encoding u32: 2|4|8><length u32> sorted unique integers
 *   zipmap   <count u8> (<len>key <len><free>value<free bytes>)* <0xff>
 *            len: 1 byte < 254 | 0xfe u32
 * A count field of 0xffff (ziplist, listpack) or >= 254 (zipmap) means
 * "too many to store; count by walking", as in Redis.
 */
#ifndef CACHET_RDB_BLOBS_H
#define CACHET_RDB_BLOBS_H

#include <stddef.h>
#include <stdint.h>

/* One element: a string (s, len), or an integer (s == NULL, v). */
struct rdb_blob_entry {
    const unsigned char *s;
    size_t len;
    long long v;
};

#define RDB_BLOB_ERRLEN 160 /* room for a *_check message */

const char *rdb_ziplist_check(const unsigned char *zl, size_t n, uint64_t *count, char *err);
const char *rdb_listpack_check(const unsigned char *lp, size_t n, uint64_t *count, char *err);
const char *rdb_intset_check(const unsigned char *is, size_t n, uint64_t *count, char *err);
/* *count is the number of field/value pairs. */
const char *rdb_zipmap_check(const unsigned char *zm, size_t n, uint64_t *count, char *err);

/* Walkers: set *pos = 0 to start; each call returns 1 with the next entry,
 * or 0 at the end. */
int rdb_ziplist_next(const unsigned char *zl, size_t n, size_t *pos, struct rdb_blob_entry *e);
int rdb_listpack_next(const unsigned char *lp, size_t n, size_t *pos, struct rdb_blob_entry *e);
int rdb_zipmap_next(const unsigned char *zm, size_t n, size_t *pos, struct rdb_blob_entry *field,
                    struct rdb_blob_entry *value);
/* Element i (< the checked count) of an intset. */
int64_t rdb_intset_get(const unsigned char *is, uint64_t i);

#endif

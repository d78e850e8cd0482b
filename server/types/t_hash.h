/* t_hash.h - the hash value: field/value pairs in one of two encodings.
 *
 *   "listpack"   fields and values alternating in one listpack, while the
 *                hash has at most hash-max-listpack-entries pairs and every
 *                field and value is at most hash-max-listpack-value bytes;
 *   "hashtable"  a strmap (strmap.h) once either limit is crossed.
 *
 * As in Redis 7.0 a hash converts to "hashtable" when a write crosses a
 * limit and never converts back (only a rewrite would).  The object owns
 * no locks: callers hold the key's shard lock.  Commands are in
 * server/commands/cmd_hash.c.
 */
#ifndef CACHET_T_HASH_H
#define CACHET_T_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "server/types/listpack.h"
#include "server/types/types.h"

enum { HASH_LISTPACK = 0, HASH_TABLE = 1 };

struct hash;

/* One pair read back.  f and v are views into the hash (or into fbuf /
 * vbuf for listpack integers), valid until the hash changes. */
struct hash_kv {
    const char *f, *v;
    size_t flen, vlen;
    char fbuf[LP_INTBUF], vbuf[LP_INTBUF];
};

typedef void (*hash_pair_fn)(const struct hash_kv *kv, void *arg);

extern const struct type_ops hash_type_ops;

/* An empty listpack hash (void * for coll_find_or_create). */
void *hash_create(void);
void hash_destroy(void *h);
size_t hash_len(const struct hash *h);
int hash_encoding(const struct hash *h);

/* The value of field f: a view (or f's integer printed into buf, which
 * has LP_INTBUF bytes) and its length; NULL if f is absent. */
const char *hash_get(struct hash *h, const char *f, size_t flen, char *buf, size_t *vlen);
int hash_exists(struct hash *h, const char *f, size_t flen);
/* Set f to v, converting to "hashtable" first when f or v is too long for
 * a listpack, or after when the pair count passes the limit.  Returns 1 if
 * f is new. */
int hash_set(struct hash *h, const char *f, size_t flen, const char *v, size_t vlen);
/* hash_set for a field the caller knows is absent (loading a snapshot,
 * which checks duplicates itself): skips the listpack's linear search. */
void hash_add_new(struct hash *h, const char *f, size_t flen, const char *v, size_t vlen);
/* Remove f; returns 1 if it was there. */
int hash_delete(struct hash *h, const char *f, size_t flen);

/* Every pair, in the encoding's order. */
void hash_foreach(struct hash *h, hash_pair_fn fn, void *arg);
/* Every pair in parts: *pos starts at 0; each call reports up to max
 * pairs and returns 1 once the walk is complete.  The walk may stop and
 * resume later only while the hash does not change (a snapshot saving a
 * big hash between shard lock releases: any change ends its walk). */
int hash_walk(struct hash *h, uint64_t *pos, size_t max, hash_pair_fn fn, void *arg);
/* One HSCAN step from cursor: a listpack reports everything and returns 0
 * (as Redis does); a hashtable reports some pairs and returns the next
 * cursor (strmap_scan's guarantees). */
uint64_t hash_scan(struct hash *h, uint64_t cursor, hash_pair_fn fn, void *arg);
/* Report `count` random pairs of a non-empty hash: with repeats allowed
 * (unique = 0), or distinct ones (unique = 1, count < hash_len). */
void hash_random_pairs(struct hash *h, uint64_t count, int unique, uint64_t *rng,
                       hash_pair_fn fn, void *arg);

#endif

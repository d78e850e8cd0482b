/* rdb_dump.h - our keyspace as RDB bytes: the file's opening, and one
 * key at a time.  The glue between the pure encoder (rdb_write.h) and the
 * keyspace and types; the snapshot thread and writers saving an old
 * version call it (snapshot.c), with the key's shard locked. */
#ifndef CACHET_RDB_DUMP_H
#define CACHET_RDB_DUMP_H

#include <stdint.h>

#include "persistence/rdb_write.h"
#include "server/keyspace/entry.h"
#include "server/types/quicklist.h"
#include "server/types/t_set.h"
#include "server/types/t_zset.h"

/* "REDIS0009" and the aux fields Redis writes. */
void rdb_dump_header(struct rdb_buf *b, uint64_t used_memory);
/* One key: [EXPIRETIME_MS] type, key, value.  The caller writes the
 * SELECTDB before it and decides whether it is live; it holds the key's
 * shard lock. */
void rdb_dump_entry(struct rdb_buf *b, const struct entry *e);

/* The same bytes in parts, for a collection too big to encode in one
 * hold of its shard lock: rdb_dump_begin writes the key and the element
 * count; each rdb_dump_step appends up to max elements and returns 1 once
 * the value is complete, 0 if more is left, -1 if the value ran out of
 * elements before its count (it changed: what was written is void).
 * Between calls the lock may be released, but the value must not change:
 * the caller drops the walk when it does. */
struct rdb_dump_walk {
    struct entry *e;
    uint64_t left; /* elements still to write */
    union {
        struct ql_iter ql;
        struct set_iter set;
        struct zset_iter z;
        uint64_t pos; /* hash_walk */
    } u;
};
/* Elements of e's value (1 for a string). */
uint64_t rdb_dump_elements(const struct entry *e);
void rdb_dump_begin(struct rdb_dump_walk *w, struct rdb_buf *b, struct entry *e);
int rdb_dump_step(struct rdb_dump_walk *w, struct rdb_buf *b, uint64_t max);

#endif

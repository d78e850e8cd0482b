/* rdb_dump.h - our keyspace as RDB bytes: the file's opening, and one
 * key at a time.  The glue between the pure encoder (rdb_write.h) and the
 * keyspace and types; the snapshot thread and writers saving an old
 * version call it (snapshot.c), with the key's shard locked. */
#ifndef CACHET_RDB_DUMP_H
#define CACHET_RDB_DUMP_H

#include <stdint.h>

#include "persistence/rdb_write.h"
#include "server/keyspace/entry.h"

/* "REDIS0009" and the aux fields Redis writes. */
void rdb_dump_header(struct rdb_buf *b, uint64_t used_memory);
/* One key: [EXPIRETIME_MS] type, key, value.  The caller writes the
 * SELECTDB before it and decides whether it is live; it holds the key's
 * shard lock. */
void rdb_dump_entry(struct rdb_buf *b, const struct entry *e);

#endif

/* rdb_dump.h - our keyspace as RDB bytes: the file's opening, and one
 * shard's keys.  The glue between the pure encoder (rdb_write.h) and the
 * keyspace and types; the snapshot thread and writers capturing a shard
 * call it (snapshot.c), with the shard locked. */
#ifndef CACHET_RDB_DUMP_H
#define CACHET_RDB_DUMP_H

#include <stdint.h>

#include "persistence/rdb_write.h"
#include "server/keyspace/shard.h"

/* "REDIS0009" and the aux fields Redis writes. */
void rdb_dump_header(struct rdb_buf *b, uint64_t used_memory);
/* Every live key of every database of s (SELECTDB per database that has
 * keys); expired keys are left out.  Caller holds s's lock.  Returns how
 * many keys were written. */
uint64_t rdb_dump_shard(struct rdb_buf *b, struct shard *s, int64_t now_ms);

#endif

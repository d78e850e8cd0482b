/* snapshot.h - write-behind snapshots of the whole keyspace to an RDB file.
 *
 * Consistency: a snapshot is the dataset at one instant, for the whole
 * keyspace, not per shard.  Starting a save takes every shard lock at
 * once (about as long as 1,024 uncontended lock/unlock pairs) and marks
 * every shard "pending"; nothing else happens under that lock.  From then
 * on a shard is captured - its keys serialized to RDB bytes - the first
 * time either the snapshot thread reaches it or anything is about to
 * change it, whichever comes first: every path that modifies a shard
 * calls snapshot_guard() with the shard locked, before the change.  So
 * each shard is saved exactly as it was at the start instant, and a
 * MULTI/EXEC (which changes its shards only while holding all of their
 * locks) is either wholly in the snapshot or wholly out of it.
 *
 * Costs: no fork and no copy of the dataset; the extra memory is the RDB
 * bytes of shards captured by writers and not yet written out (measured:
 * peak RSS 1.01x during a 5M-key save).  The price is latency: a writer
 * that captures pays for serializing one whole shard (1/shards of the
 * data: about 5 ms for a 360 KB shard of 5M keys / 1,024 shards, with
 * LZF), under that shard's lock, and under random writes nearly every
 * shard is captured by a writer within a second, so the workers end up
 * doing most of the save (benchmarks/snapshot.py: p99 during a save far
 * above baseline).  Per-key copy-on-write (save only the old version of
 * the keys a write touches) is the planned fix.  One value of millions of
 * elements is serialized in one go by whoever captures its shard.
 *
 * Safety: the snapshot thread writes "temp-<pid>-<n>.rdb" in `dir`,
 * fsyncs it, renames it over `dbfilename` and fsyncs the directory; a
 * crash at any point leaves the previous file intact.  A failed save (a
 * full disk) removes the temp file, logs why, and sets
 * rdb_last_bgsave_status:err; with save points set and
 * stop-writes-on-bgsave-error on, writes are then refused with MISCONF
 * until a save succeeds.
 */
#ifndef CACHET_SNAPSHOT_H
#define CACHET_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "server/keyspace/shard.h"

/* Start the snapshot thread (after the keyspace exists). */
void snapshot_init(void);
void snapshot_deinit(void);

/* BGSAVE: 0 started; 1 scheduled (inside EXEC, which holds shard locks:
 * it starts when they are released); -1 with err set ("Background save
 * already in progress"). */
int snapshot_bgsave(int in_transaction, char *err, size_t cap);
/* SAVE: save now and wait; 0 ok, -1 with err set (also when a background
 * save is running, unless wait_running: SHUTDOWN waits for it, then saves). */
int snapshot_save_sync(int wait_running, char *err, size_t cap);
/* Save points, scheduled saves and retries; worker 0 calls it each tick. */
void snapshot_tick(int64_t now_ms);
/* 1 if save points are configured (SIGTERM saves then). */
int snapshot_has_savepoints(void);

/* The copy-on-write hook: call with s locked, before changing s. */
void snapshot_capture_locked(struct shard *s);
static inline void snapshot_guard(struct shard *s)
{
    if (s->snap_pending)
        snapshot_capture_locked(s);
}
/* The same for a sorted set of shard indexes, all locked. */
void snapshot_guard_set(const uint32_t *idx, size_t n);
void snapshot_guard_all(void);

/* Writes refused (MISCONF): the last background save failed, save points
 * are set and stop-writes-on-bgsave-error is on. */
int snapshot_writes_refused(void);

/* The `save` option: "<seconds> <changes> ..." or "" (apply hook). */
const char *snapshot_set_savepoints(const char *spec);

/* INFO persistence. */
struct snapshot_status {
    int in_progress;
    int64_t current_start_ms; /* of the one in progress */
    int64_t last_save_s;      /* unix time of the last success (or start) */
    int last_ok;
    int64_t last_duration_s;  /* -1 before the first */
    uint64_t saves;
    uint64_t changes_since_save;
};
void snapshot_status(struct snapshot_status *out);

/* ---- loading at start-up (rdb_restore.c) ---- */
/* Load `path` into the empty keyspace.  Returns 0 (also when the file
 * does not exist), -1 with err naming the offset and what was expected. */
int snapshot_load(const char *path, char *err, size_t cap);
int snapshot_loading(void);
struct load_status {
    int64_t start_s;
    uint64_t total_bytes, loaded_bytes;
    uint64_t keys_loaded, keys_expired;
};
void snapshot_load_status(struct load_status *out);
/* After a load: nothing changed since the last save (snapshot.c). */
void snapshot_mark_clean(void);

#endif

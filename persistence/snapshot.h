/* snapshot.h - write-behind snapshots of the whole keyspace to an RDB file.
 *
 * Consistency: a snapshot is the dataset at one instant, for the whole
 * keyspace, not per shard.  Starting a save takes every shard lock at
 * once (about as long as 1,024 uncontended lock/unlock pairs), marks every
 * shard "pending" and flips its snap_mark, which makes every entry in it
 * "unsettled" in O(1): an entry is settled when its E_SNAP bit equals its
 * shard's snap_mark.  Nothing else happens under that lock.  From then on
 * each entry is saved exactly once, as it was at the start instant, by
 * whichever comes first:
 *  - the snapshot thread, which sweeps one shard at a time in slices
 *    (a SCAN-style cursor over each database's table, so a resize between
 *    slices misses nothing), saving and settling unsettled entries; it
 *    holds the shard lock for about SLICE_US (250 us) per slice, copying
 *    (LZF compression runs after the lock is released).  It runs at idle
 *    priority where it may, raised by a worker that waits for its lock
 *    (snapshot.c, "pacing").  A collection
 *    of more than 1,024 elements is saved in parts of 256 over as many
 *    slices as it needs; its bytes reach the file once it is complete, and
 *    it stays unsettled until then, so a writer changing it meanwhile
 *    saves it whole (below) and the thread drops its parts;
 *  - a writer about to change or remove an unsettled entry: it saves that
 *    one entry's old version first (copy-on-write per key), into the
 *    shard's capture buffer, which the thread writes out when it next
 *    visits the shard.
 * Entries created after the start are settled at birth (ks_store), so the
 * save never sees them.  Writers reach an entry in one of two ways, and
 * both are covered: the keyspace (keyspace.c) keeps the old version itself
 * before it replaces, re-expires, detaches or deletes an entry - whatever
 * the caller, including eviction and expiry - and every write command, the
 * memcached write paths and served blocked commands call
 * snapshot_guard_key() for each key they name before changing it in place
 * (INCR, APPEND, collection edits).  FLUSHDB, FLUSHALL and memcached
 * flush_all hand each table they empty in a shard the save has not
 * finished to the snapshot thread (snapshot_adopt_locked: O(1) under the
 * lock), which saves its unsettled entries and frees it.  SWAPDB swaps the
 * tables with their db_slot, and each slot remembers which database it
 * was at the instant (snap_db), so whoever saves an entry names the
 * database it had then; the sweep starts the shard it is in over (its
 * settled entries cost a bit test each).  A MULTI/EXEC
 * changes its shards only while holding all of their locks and saves every
 * old version before it changes it, so it is either wholly in the
 * snapshot or wholly out of it.
 *
 * Costs: no fork and no copy of the dataset.  The extra memory is the RDB
 * bytes of old versions captured by writers and not yet written out (each
 * entry at most once per save: bounded by what the writes touch), plus one
 * slice buffer, plus the parts of the big value being walked.  A writer
 * pays for serializing the entries it touches, once each, under the lock
 * it already holds; a writer that changes a value of millions of elements
 * before the thread saved it serializes it whole, holding that key's
 * shard lock for as long (about 0.2 s per million elements).
 *
 * Safety: the snapshot thread writes "temp-<pid>-<n>.rdb" in `dir`,
 * fsyncs it, renames it over `dbfilename` and fsyncs the directory; a
 * crash at any point leaves the previous file intact.  A failed save (a
 * full disk) removes the temp file, logs why, and sets
 * rdb_last_bgsave_status:err (the sweep still settles every entry, so the
 * next save starts clean); with save points set and
 * stop-writes-on-bgsave-error on, writes are then refused with MISCONF
 * until a save succeeds.
 */
#ifndef CACHET_SNAPSHOT_H
#define CACHET_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "server/keyspace/entry.h"
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

/* ---- copy-on-write hooks (callers hold the shard lock) ---- */

/* 1 while a save may have unsettled entries anywhere: a relaxed load, exact
 * enough because it is set and cleared under every shard lock (a writer
 * holding its shard's lock sees the value of the last save start or end). */
extern int snapshot_sweeping;

/* Save e (stored in db of s) as it is now, if the save still needs it. */
void snapshot_keep_locked(struct shard *s, int db, struct entry *e);
static inline void snapshot_keep(struct shard *s, int db, struct entry *e)
{
    if (s->snap_pending && (e->flags & E_SNAP) != s->snap_mark)
        snapshot_keep_locked(s, db, e);
}
/* A new entry about to be stored in s: not part of the save in progress. */
static inline void snapshot_settle_new(struct shard *s, struct entry *e)
{
    e->flags = (uint8_t)((e->flags & ~E_SNAP) | s->snap_mark);
}
/* Before changing the key (db, key) in place. */
void snapshot_guard_key(struct shard *s, int db, const char *key, size_t klen, uint64_t hash);

/* FLUSHDB/FLUSHALL emptying db of s during a save: if the save still
 * needs entries of it, the snapshot thread takes the table *ht over
 * (saves what is unsettled, then frees every entry and the buckets, off
 * any lock, and takes their memory off s); returns 1, and the caller
 * starts db afresh without freeing anything.  0: free it as usual. */
int snapshot_adopt_locked(struct shard *s, int db, struct htable *ht);
/* SWAPDB of databases a and b in s: call after swapping their slots. */
void snapshot_swapped_locked(struct shard *s, int a, int b);

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
/* Before the workers start: clients get -LOADING until snapshot_load()
 * has loaded the file or found there is none, so nobody sees or writes
 * the keyspace before it holds the file. */
void snapshot_loading_begin(void);
struct load_status {
    int64_t start_s;
    uint64_t total_bytes, loaded_bytes;
    uint64_t keys_loaded, keys_expired;
};
void snapshot_load_status(struct load_status *out);
/* After a load: nothing changed since the last save (snapshot.c). */
void snapshot_mark_clean(void);

#endif

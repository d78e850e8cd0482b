/* keyspace.h - key-level operations with Redis's expiry semantics.
 *
 * Every function here expects the key's shard lock held (shard.h rules).
 * Lazy expiry lives here: a lookup that finds an expired key deletes it and
 * reports absence, so no caller can return an expired value.  Every
 * mutation signals the shard's watchers (WATCH) and bumps its dirty count;
 * handlers cannot forget to, because they mutate only through these calls.
 */
#ifndef CACHET_KEYSPACE_H
#define CACHET_KEYSPACE_H

#include <stddef.h>
#include <stdint.h>

#include "server/keyspace/entry.h"
#include "server/keyspace/shard.h"

/* A key as a command names it: bytes, hash (computed once), its shard. */
struct key {
    const char *p;
    size_t len;
    uint64_t hash;
    struct shard *s;
};

void key_init(struct key *k, const char *p, size_t len);

/* Per-call context: the cached clock and where to count expirations. */
struct ks_env {
    int64_t now_ms;
    uint64_t *expired; /* the calling thread's expired_keys counter */
};

#define KS_TOUCH 0   /* a normal access: update LRU/LFU metadata */
#define KS_NOTOUCH 1 /* OBJECT, TYPE-like introspection */

/* The live entry for k in db, or NULL. */
struct entry *ks_lookup(const struct ks_env *env, int db, const struct key *k, int flags);
/* Insert e under k (e's key must equal k), replacing any existing entry. */
void ks_store(const struct ks_env *env, int db, const struct key *k, struct entry *e);
/* Insert e under k only if k has no live entry: returns 1 if stored, 0 if
 * a live key is there (e is left to the caller).  One table walk where
 * ks_lookup + ks_store take two (loading a snapshot). */
int ks_add(const struct ks_env *env, int db, const struct key *k, struct entry *e);
/* Prefetch the bucket k will use in db (takes and releases the shard
 * lock itself): see ht_prefetch. */
void ks_prefetch(int db, const struct key *k);
/* Size db's tables in every shard for about nkeys keys spread by hash
 * (takes and releases each shard lock itself). */
void ks_reserve(int db, uint64_t nkeys);
/* Delete k; returns 1 if a live key was removed. */
int ks_delete(const struct ks_env *env, int db, const struct key *k);
/* Eviction's delete: as ks_delete, but with vol_only a key without a TTL
 * stays (a PERSIST since it was sampled); one table walk. */
int ks_evict(const struct ks_env *env, int db, const struct key *k, int vol_only);
/* Delete e, known to be stored in db of s (the caller holds s's lock and
 * got e from the table or a policy's queue) under hash, its key's hash:
 * the chain is walked by address, no key compared.  Returns 1 if e was
 * live, 0 if it had expired (removed all the same, counted as expired, as
 * a lookup would). */
int ks_evict_entry(const struct ks_env *env, struct shard *s, int db, struct entry *e,
                   uint64_t hash);
/* Give e (currently stored under k) a new expiry (ms; < 0 = persist);
 * returns the entry now stored (it may have moved). */
struct entry *ks_set_expire(const struct ks_env *env, int db, const struct key *k,
                            struct entry *e, int64_t when_ms);
/* Remove the live entry from the table without freeing it (RENAME, MOVE). */
struct entry *ks_detach(const struct ks_env *env, int db, const struct key *k);
/* Account for a change in an entry's value buffer made in place. */
void ks_value_resized(struct shard *s, size_t old_bytes, size_t new_bytes);
/* Record an in-place modification of e, stored under k: signals watchers
 * and retires any memcached CAS unique handed out for the old value. */
void ks_modified(int db, const struct key *k, struct entry *e);
/* The memcached CAS unique of e (stored under k), assigning a fresh one
 * if none was handed out since the value last changed.  May reshape the
 * entry; *ep is updated to the entry now stored.  Uniques are
 * (shard sequence << 16 | shard index): unique across the keyspace with
 * no shared counter. */
uint64_t ks_cas(const struct ks_env *env, int db, const struct key *k, struct entry **ep);

/* Delete every key of db in shard s (caller holds the lock). */
uint64_t ks_flush_db_locked(struct shard *s, int db);
/* Swap two databases' contents in shard s (caller holds the lock). */
void ks_swap_db_locked(struct shard *s, int a, int b);

/* Keys and volatile keys of db, summed over shards (locks each briefly). */
void ks_db_counts(int db, uint64_t *keys, uint64_t *volatile_keys);

/* Active expiry: sweep shard s's volatile keys for up to budget_us.  Visits
 * about 1/sweeps_per_sec of them per call so each is checked within a
 * second.  Takes and releases the shard lock itself. */
uint64_t ks_expire_slice(struct shard *s, int64_t now_ms, int64_t budget_us, int slices_per_sec);

#endif

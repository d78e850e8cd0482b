/* blocked.h - which keys clients are blocked on, and which became ready.
 *
 * Owns: per shard, the FIFO of (db, key, waiter) records of clients
 * blocked on a key (BLPOP, BZPOPMIN, ...), under the shard's lock; and,
 * per thread, the keys this thread's commands made ready (a list or
 * sorted set stored or grown while someone waits on it).  What a waiter
 * is, and how it is served, belongs to server/commands/blocking.c: here a
 * waiter is an opaque pointer.  The keyspace only signals; a command that
 * grows a key signals through coll_written/ks_store, so no handler has to
 * remember to.
 */
#ifndef CACHET_BLOCKED_H
#define CACHET_BLOCKED_H

#include <stddef.h>
#include <stdint.h>

struct shard;

struct brec {
    struct brec *next;
    void *waiter;
    int db;
    uint64_t hash;
    size_t klen;
    char key[];
};

/* Append a record (caller holds s's lock). */
void ks_block_add(struct shard *s, int db, const char *key, size_t klen, uint64_t hash,
                  void *waiter);
/* Remove waiter's record for (db, key); 1 if there was one. */
int ks_block_remove(struct shard *s, int db, const char *key, size_t klen, uint64_t hash,
                    void *waiter);
/* The first waiter on (db, key), in blocking order, that accept() takes,
 * or NULL. */
void *ks_block_first(struct shard *s, int db, const char *key, size_t klen, uint64_t hash,
                     int (*accept)(void *waiter));

/* A list or sorted set at (db, key) was stored or grew (caller holds s's
 * lock): if anyone waits on it, remember it for this thread. */
void ks_signal_ready(struct shard *s, int db, const char *key, size_t klen, uint64_t hash);

struct ready_key {
    int db;
    uint64_t hash;
    size_t klen;
    char *key;
};
/* Take this thread's ready keys (the caller frees each key and the array);
 * returns how many. */
int ks_ready_take(struct ready_key **out);
/* 1 if this thread has ready keys. */
int ks_ready_pending(void);

#endif

/* coll.h - what every collection command does around its own logic.
 *
 * A handler for HSET, LPUSH, SADD, ZADD, ... reads as:
 *
 *     struct key k;
 *     ctx_key(c, 1, &k);
 *     int wrong;
 *     struct entry *e = coll_find_or_create(c, &k, T_HASH, hash_create, &wrong);
 *     if (wrong) return;                      (WRONGTYPE already sent)
 *     size_t before = entry_mem(e);
 *     ... change entry_obj(e); entry_set_obj(e, obj) if it moved ...
 *     coll_written(c, &k, e, before);         (memory, WATCH, empty -> deleted)
 *
 * so memory accounting, watchers, dirty counts and "an empty collection is
 * no key" are done in one place.  Every function expects the key's shard
 * locked (the dispatcher did it).
 */
#ifndef CACHET_COLL_H
#define CACHET_COLL_H

#include "server/commands/command.h"

/* The live entry of type `type` at k for a read (touches LRU/LFU, counts a
 * keyspace hit or miss): NULL if absent.  A key of another type sends
 * WRONGTYPE, sets *wrong and returns NULL. */
struct entry *coll_find_read(struct cmd_ctx *c, const struct key *k, int type, int *wrong);
/* The same for a write (no hit/miss count). */
struct entry *coll_find_write(struct cmd_ctx *c, const struct key *k, int type, int *wrong);
/* For a write that creates the key when absent: the existing entry, or a
 * new one holding create() stored under k (no TTL). */
struct entry *coll_find_or_create(struct cmd_ctx *c, const struct key *k, int type,
                                  void *(*create)(void), int *wrong);
/* After changing e's object in place: account the memory change since
 * `before` (entry_mem(e) taken before the change), signal watchers, and
 * delete the key if the object is now empty. */
void coll_written(struct cmd_ctx *c, const struct key *k, struct entry *e, size_t before);
/* Store obj (a new object of `type`) under k, replacing any value and TTL
 * (SINTERSTORE, ZUNIONSTORE, ...); an empty obj deletes k instead and is
 * destroyed. */
void coll_store(struct cmd_ctx *c, const struct key *k, int type, void *obj);

/* HSCAN/SSCAN/ZSCAN arguments: argv[2] the cursor, then MATCH pattern
 * and COUNT n in any order.  Replies the error (Redis's texts) and returns
 * 0 on bad input.  *pat is NULL when there is no MATCH or it is "*".
 * Redis checks the cursor, then looks the key up, then parses the options
 * (a missing key answers an empty scan whatever the options say): call
 * coll_scan_cursor first, then coll_scan_args once the key exists. */
struct coll_scan {
    unsigned long long cursor;
    const char *pat;
    size_t plen;
    long long count; /* default 10 */
};
int coll_scan_args(struct cmd_ctx *c, struct coll_scan *out);
/* argv[i] as Redis's strtoul reads it ("-1" wraps, leading space is
 * refused); replies "ERR invalid cursor" and returns 0 otherwise.  SCAN
 * uses it too. */
int coll_scan_cursor(struct cmd_ctx *c, int i, unsigned long long *cursor);

#endif

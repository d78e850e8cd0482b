/* t_set.h - the set object: three encodings behind one API.
 *
 *   "intset"    every member a canonical integer and at most
 *               set-max-intset-entries members (intset.h);
 *   "listpack"  at most set-max-listpack-entries members, none longer than
 *               set-max-listpack-value bytes (listpack.h);
 *   "hashtable" anything bigger (strset.h).
 *
 * Conversions follow Redis 7.2 (the first Redis with listpack sets; 7.0
 * goes straight from intset to hashtable): an intset that receives a
 * non-integer becomes a listpack if the result fits the listpack limits,
 * else a hashtable; an intset past its entry limit and a listpack past
 * either limit become a hashtable.  Nothing converts back: a set that
 * shrinks keeps its encoding until it is deleted, as in Redis, except
 * after SPOP with a count that leaves few survivors (set_pop_many).
 *
 * Members are byte strings; an intset member is handed out as its decimal
 * form.  Views returned through callbacks or iterators point into the set
 * (or into a buffer of the iterator) and are valid until the set changes.
 * Callers hold the lock of the key owning the set.
 */
#ifndef CACHET_T_SET_H
#define CACHET_T_SET_H

#include <stddef.h>
#include <stdint.h>

#include "server/types/listpack.h"
#include "server/types/strset.h"

enum { SET_INTSET, SET_LISTPACK, SET_HT };

struct set;

/* Receives one member (SMEMBERS, SPOP, SSCAN replies). */
typedef void (*set_emit_fn)(void *arg, const char *p, size_t len);

/* An empty intset: the start of a set built by adds (the *STORE results). */
void *set_create(void);
/* An empty set in the encoding Redis 7.2 picks for `hint` members of which
 * `first` is one (SADD on a new key: intset when first is an integer and
 * hint fits an intset, else listpack when hint fits one, else a hashtable
 * presized for hint). */
struct set *set_create_for(const char *first, size_t len, size_t hint);
void set_destroy(void *s);
void *set_dup(const void *s);

size_t set_len(const struct set *s);
size_t set_mem(const struct set *s);
int set_encoding(const struct set *s);

/* 1 if the member was added / removed / is present. */
int set_add(struct set *s, const char *p, size_t len);
/* set_add for a member the caller knows is absent (loading a snapshot,
 * which checks duplicates itself): skips the listpack's linear search. */
void set_add_new(struct set *s, const char *p, size_t len);
int set_remove(struct set *s, const char *p, size_t len);
int set_contains(const struct set *s, const char *p, size_t len);

/* Walk every member: it = set_iter_start(s), then set_iter_next until 0.
 * The set must not change during the walk. */
struct set_iter {
    const struct set *s;
    uint64_t i;           /* intset index */
    unsigned char *lp;    /* listpack position */
    struct strset_pos pos;
    char buf[LP_INTBUF];  /* an integer member in decimal */
};
void set_iter_start(struct set_iter *it, const struct set *s);
int set_iter_next(struct set_iter *it, const char **p, size_t *len);

/* SPOP: remove one random member of a non-empty set and hand it to emit
 * before it is freed. */
void set_pop_random(struct set *s, uint64_t *rng, set_emit_fn emit, void *arg);
/* SPOP key count, 0 < count < set_len(s): remove `count` distinct random
 * members, each handed to emit. */
void set_pop_many(struct set *s, uint64_t *rng, size_t count, set_emit_fn emit, void *arg);
/* SRANDMEMBER: `count` random members; with repeats they are independent
 * draws, without they are distinct and count < set_len(s). */
void set_random_many(const struct set *s, uint64_t *rng, size_t count, int repeats,
                     set_emit_fn emit, void *arg);

/* One SSCAN step (see strset.h for the cursor); compact encodings emit
 * everything and return 0, as Redis does. */
uint64_t set_scan(const struct set *s, uint64_t cursor, long count, set_emit_fn emit,
                  void *arg);

#endif

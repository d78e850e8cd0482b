/* t_zset.h - the sorted-set value: one object, two encodings.
 *
 *   "listpack"  member, score pairs in one listpack (zset_listpack.h), used
 *               while the set has at most zset-max-listpack-entries members
 *               and none longer than zset-max-listpack-value bytes;
 *   "skiplist"  a skiplist with spans (skiplist.h) plus a member index
 *               (zindex.h) pointing into it.
 *
 * Conversion follows Redis 7.0 exactly: ZADD converts a listpack when a
 * new member would pass either threshold (never back); a set built whole
 * (ZRANGESTORE, ZUNIONSTORE, ...) takes the listpack whenever it fits.
 *
 * Bytes per element, measured as jemalloc size classes (the unit test
 * checks the node sizes): skiplist: one node, 48 bytes for a level-1 or
 * level-2 node with a member up to 14 bytes (64 for higher levels or
 * longer members; 3/4 of nodes are level 1), plus 8 bytes of index slot
 * at load 0.4-0.8 (10-20 bytes) - about 60 bytes for a 10-byte member,
 * against Redis 7.0's ~110 (a 48-64 byte node, a 24-byte dictEntry, an
 * sds of the member and an 8-byte bucket).  listpack: the member and the
 * score as listpack elements (Redis's own bytes), plus a 16-byte object
 * per set.
 *
 * Pure data structure: no locks, no server state except the two encoding
 * thresholds read from config.  mem() is O(1) and exact.
 */
#ifndef CACHET_T_ZSET_H
#define CACHET_T_ZSET_H

#include <stddef.h>
#include <stdint.h>

#include "server/types/listpack.h"
#include "server/types/skiplist.h"
#include "server/types/zrange.h"

enum { ZSET_LISTPACK = 0, ZSET_SKIPLIST = 1 };

struct zset_big;
struct zset {
    int enc;
    union {
        unsigned char *lp;
        struct zset_big *big;
    } u;
};

/* ZADD input flags and result flags. */
#define ZADD_NX (1 << 0)
#define ZADD_XX (1 << 1)
#define ZADD_GT (1 << 2)
#define ZADD_LT (1 << 3)
#define ZADD_INCR (1 << 4)
#define ZADD_ADDED (1 << 0)
#define ZADD_UPDATED (1 << 1)
#define ZADD_NOP (1 << 2)

/* One element as read: the member's bytes (a view into the set, or into
 * buf for an integer member of a listpack) and its score.  Valid until the
 * set changes. */
struct zelem {
    const char *m;
    size_t mlen;
    double score;
    char buf[LP_INTBUF];
};

/* An element owned by a caller's array (builders): m == NULL means the
 * member is in ibuf, so the array can be sorted and moved. */
struct zitem {
    const char *m;
    size_t mlen;
    double score;
    char ibuf[LP_INTBUF];
};

static inline const char *zitem_member(const struct zitem *it)
{
    return it->m ? it->m : it->ibuf;
}

/* Copy e into it (a member in e->buf is copied into it->ibuf). */
void zitem_set(struct zitem *it, const struct zelem *e);

void *zset_create(void); /* empty, listpack */
/* The set ZADD creates for a missing key: a skiplist when the first
 * member already exceeds the listpack limits (Redis 7.0's choice). */
struct zset *zset_create_for_add(size_t first_mlen);
struct zset *zset_create_skiplist(void);
void zset_destroy(void *obj);
void *zset_dup(const void *obj);
size_t zset_mem(const void *obj);
size_t zset_len(const struct zset *z);

/* Sort items by score, then member. */
void zitems_sort(struct zitem *items, size_t n);
/* Build a set from n items with distinct members, in any order (sorted in
 * place); the listpack if it fits the limits, else a skiplist. */
struct zset *zset_build(struct zitem *items, size_t n);
/* Redis's ZRANGESTORE builds its result by adds in reply order, starting
 * with a listpack when the range's length (`known`, -1 if unknown) fits,
 * and converting once an item does not: the items that went through the
 * listpack lose the sign of a zero score.  Apply that to items in reply
 * order before zset_build. */
void zitems_listpack_prefix(struct zitem *items, size_t n, long known);
/* Convert a skiplist set to a listpack when it fits (stores do this). */
void zset_shrink_if_small(struct zset *z);

/* ZADD/ZINCRBY for one element.  Returns 0 when the result would be NaN
 * (nothing changed); *out gets ZADD_ADDED / ZADD_UPDATED / ZADD_NOP and
 * *newscore the score now held (when not NOP). */
int zset_add(struct zset *z, double score, const char *m, size_t mlen, int flags, int *out,
             double *newscore);
/* zset_add for a member the caller knows is absent (loading a snapshot,
 * which checks duplicates itself): no member search, and in a listpack a
 * pair that sorts after the last one is appended without a scan, so
 * members arriving in order (as a listpack on disk holds them) build in
 * linear time.  Returns 0 for a NaN score (nothing added). */
int zset_add_new(struct zset *z, double score, const char *m, size_t mlen);
int zset_score(const struct zset *z, const char *m, size_t mlen, double *score);
int zset_remove(struct zset *z, const char *m, size_t mlen);
/* 0-based rank (from the top when rev), or -1 if m is not a member. */
long zset_rank(const struct zset *z, const char *m, size_t mlen, int rev);
/* The element at 0-based rank (ascending); 0 if out of range. */
int zset_at_rank(const struct zset *z, unsigned long rank, struct zelem *e);

unsigned long zset_count_score(const struct zset *z, const struct zrange_score *r);
unsigned long zset_count_lex(const struct zset *z, const struct zrange_lex *r);
unsigned long zset_remove_score(struct zset *z, const struct zrange_score *r);
unsigned long zset_remove_lex(struct zset *z, const struct zrange_lex *r);
/* Ranks start..end, 0-based, inclusive, already clamped to the set. */
unsigned long zset_remove_rank(struct zset *z, unsigned long start, unsigned long end);

/* Walks in order (or reverse order) from a starting element. */
struct zset_iter {
    const struct zset *z;
    int rev;
    unsigned char *p;  /* listpack: the current member */
    struct zsl_node *n; /* skiplist: the current node */
};
/* Start at 0-based rank counted from the walk's own end (rev: from the
 * highest).  The rank must be in range. */
void zset_iter_rank(struct zset_iter *it, const struct zset *z, unsigned long rank, int rev);
/* Start at the first element in range (rev: the last); 0 if none. */
int zset_iter_score(struct zset_iter *it, const struct zset *z, const struct zrange_score *r,
                    int rev);
int zset_iter_lex(struct zset_iter *it, const struct zset *z, const struct zrange_lex *r,
                  int rev);
/* The current element, then step; 0 once past the end. */
int zset_iter_next(struct zset_iter *it, struct zelem *e);

/* ZSCAN: emit(arg, member, score text) for the elements of one step; a
 * listpack is returned whole with cursor 0, as Redis does.  Returns the
 * next cursor. */
typedef void (*zset_scan_fn)(void *arg, const char *m, size_t mlen, const char *s, size_t slen);
uint64_t zset_scan(const struct zset *z, uint64_t cursor, long long count, zset_scan_fn emit,
                   void *arg);

#endif

/* zset_listpack.h - the small encoding of a sorted set: member, score
 * pairs in one listpack, ordered by score then member (Redis's "zzl").
 *
 * A pair is two listpack elements; positions (`mp`) always point at a
 * member, whose score is the next element.  A score is stored as Redis 7.0
 * stores it, so ZSCAN shows the same bytes: an integer when the double is
 * integral within +-2^62 (so -0 becomes 0), else d2string's text ("1.5",
 * "inf", "1e+20").  Every lookup is a linear walk: the encoding is only
 * used up to zset-max-listpack-entries pairs.  Calls that can reallocate
 * return the listpack.  Pure: no server state.
 */
#ifndef CACHET_ZSET_LISTPACK_H
#define CACHET_ZSET_LISTPACK_H

#include <stddef.h>

#include "server/types/listpack.h"
#include "server/types/zrange.h"

/* A member as bytes: a view into the listpack, or an integer member
 * printed into buf (LP_INTBUF bytes). */
const char *zl_member(const unsigned char *mp, char *buf, size_t *len);
/* The score of the pair at mp. */
double zl_score(unsigned char *lp, unsigned char *mp);
/* The score element's bytes as stored (ZSCAN), printed into buf if it is
 * an integer. */
const char *zl_score_str(unsigned char *lp, unsigned char *mp, char *buf, size_t *len);

unsigned long zl_len(const unsigned char *lp); /* pairs */
/* Next / previous pair, or NULL. */
unsigned char *zl_next(unsigned char *lp, unsigned char *mp);
unsigned char *zl_prev(unsigned char *lp, unsigned char *mp);
/* The pair at 0-based rank, or NULL. */
unsigned char *zl_at_rank(unsigned char *lp, unsigned long rank);

/* The pair holding member m, or NULL; *score gets its score. */
unsigned char *zl_find(unsigned char *lp, const char *m, size_t mlen, double *score);
/* Insert a new member at its place in the order (one compare when it
 * goes last, as members loaded in order do). */
unsigned char *zl_insert(unsigned char *lp, const char *m, size_t mlen, double score);
/* Append a pair that orders after every pair already there. */
unsigned char *zl_append(unsigned char *lp, const char *m, size_t mlen, double score);
/* Delete the pair at mp. */
unsigned char *zl_delete(unsigned char *lp, unsigned char *mp);
/* 0-based rank of the pair at mp. */
unsigned long zl_rank(unsigned char *lp, unsigned char *mp);

/* First / last pair inside the range, or NULL. */
unsigned char *zl_first_in_score(unsigned char *lp, const struct zrange_score *r);
unsigned char *zl_last_in_score(unsigned char *lp, const struct zrange_score *r);
unsigned char *zl_first_in_lex(unsigned char *lp, const struct zrange_lex *r);
unsigned char *zl_last_in_lex(unsigned char *lp, const struct zrange_lex *r);

/* Range deletion; *removed gets the number of pairs deleted. */
unsigned char *zl_delete_score(unsigned char *lp, const struct zrange_score *r,
                               unsigned long *removed);
unsigned char *zl_delete_lex(unsigned char *lp, const struct zrange_lex *r,
                             unsigned long *removed);
/* Pairs at 0-based ranks start..end inclusive (in range). */
unsigned char *zl_delete_rank(unsigned char *lp, unsigned long start, unsigned long end);

#endif

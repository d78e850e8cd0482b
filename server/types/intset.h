/* intset.h - a sorted array of distinct integers, the small encoding of a
 * set whose members are all integers (Redis's "intset").
 *
 * Elements are 2, 4 or 8 bytes wide, the narrowest that holds every member;
 * adding a wider value upgrades the whole array once.  Lookups are binary
 * searches.  Pure: allocation through server/core/mem.h.  Calls that may
 * reallocate return the (possibly moved) intset.
 */
#ifndef CACHET_INTSET_H
#define CACHET_INTSET_H

#include <stddef.h>
#include <stdint.h>

struct intset; /* opaque: [width u32][count u32][elements...] */

struct intset *intset_create(void);
void intset_destroy(struct intset *is);
/* *added is 1 if v was not already there. */
struct intset *intset_add(struct intset *is, int64_t v, int *added);
/* *removed is 1 if v was there. */
struct intset *intset_remove(struct intset *is, int64_t v, int *removed);
int intset_contains(const struct intset *is, int64_t v);
uint32_t intset_len(const struct intset *is);
/* The element at ascending position pos (< intset_len). */
int64_t intset_get(const struct intset *is, uint32_t pos);
size_t intset_bytes(const struct intset *is); /* bytes in use */
/* 1 if the buffer is a well-formed intset of exactly `bytes` bytes (sorted,
 * distinct, a valid width).  For loading untrusted input (RDB). */
int intset_validate(const void *buf, size_t bytes);

#endif

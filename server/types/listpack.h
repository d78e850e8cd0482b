/* listpack.h - a compact sequence of strings and integers in one allocation.
 *
 * The small encoding of every collection (hash field/value pairs, set
 * members, sorted-set member/score pairs, list items and quicklist nodes),
 * after Redis's listpack: one contiguous buffer, no per-element pointers.
 *
 * Layout:  [total bytes u32][count u32] element* [0xFF]
 *   element = [encoding + payload][backlen]
 *   - a string that is a canonical integer (what resp_str2ll would accept
 *     and print back identically) is stored as an integer of 1..9 bytes;
 *     anything else as its bytes with a 1, 2 or 5 byte length prefix;
 *   - backlen (1..5 bytes, read right to left) is the size of the
 *     encoding + payload, so the sequence walks in both directions.
 * An element is addressed by a pointer to its first byte ("position").
 * Every call that can grow or shrink the buffer returns the (possibly
 * moved) listpack, and updates any position the caller passed by pointer.
 *
 * Pure: no locks, no server state; allocation through server/core/mem.h
 * (xmalloc/xrealloc), so callers account with mem_usable(lp).
 */
#ifndef CACHET_LISTPACK_H
#define CACHET_LISTPACK_H

#include <stddef.h>
#include <stdint.h>

#define LP_INTBUF 21 /* room for any int64 printed in decimal */

/* One element read back: an integer, or a string view into the listpack. */
struct lp_val {
    const char *s; /* NULL for an integer */
    size_t len;
    long long v;   /* the integer when s == NULL */
};

unsigned char *lp_create(void);
void lp_destroy(unsigned char *lp);
size_t lp_bytes(const unsigned char *lp);   /* bytes in use (header..end) */
uint32_t lp_count(const unsigned char *lp); /* elements */

/* Positions; NULL at either end (and for an empty listpack). */
unsigned char *lp_first(unsigned char *lp);
unsigned char *lp_last(unsigned char *lp);
unsigned char *lp_next(unsigned char *lp, unsigned char *p);
unsigned char *lp_prev(unsigned char *lp, unsigned char *p);
/* The element at index (negative counts from the end: -1 is the last);
 * NULL when out of range.  Walks from the nearer end. */
unsigned char *lp_seek(unsigned char *lp, long index);

void lp_get(const unsigned char *p, struct lp_val *out);
/* The element as bytes: a view into the listpack, or the integer printed
 * into buf (LP_INTBUF bytes). */
const char *lp_get_str(const unsigned char *p, char *buf, size_t *len);
/* 1 and *v if the element is an integer (or a string holding a canonical
 * integer - never stored that way, but callers need not know). */
int lp_get_int(const unsigned char *p, long long *v);
/* 1 if the element equals the bytes s[0..len) (integers compare by their
 * decimal form). */
int lp_eq(const unsigned char *p, const char *s, size_t len);

/* Insert s before (LP_BEFORE) or after (LP_AFTER) position p; p == NULL
 * with LP_AFTER appends, with LP_BEFORE prepends.  If newp is not NULL it
 * receives the position of the inserted element. */
#define LP_BEFORE 0
#define LP_AFTER 1
unsigned char *lp_insert(unsigned char *lp, unsigned char *p, int where, const char *s,
                         size_t len, unsigned char **newp);
unsigned char *lp_append(unsigned char *lp, const char *s, size_t len);
unsigned char *lp_prepend(unsigned char *lp, const char *s, size_t len);
/* Same as the string forms, for an integer value. */
unsigned char *lp_append_int(unsigned char *lp, long long v);
/* Replace the element at *p with s; *p is updated to its new position. */
unsigned char *lp_replace(unsigned char *lp, unsigned char **p, const char *s, size_t len);
/* Delete the element at *p; *p becomes the position of the element that
 * followed it (NULL if it was the last). */
unsigned char *lp_delete(unsigned char *lp, unsigned char **p);
/* Delete num elements starting at index (negative from the end). */
unsigned char *lp_delete_range(unsigned char *lp, long index, unsigned long num);
/* Delete num elements starting at position *p; *p as for lp_delete. */
unsigned char *lp_delete_range_at(unsigned char *lp, unsigned char **p, unsigned long num);

/* The first element equal to s, starting at p and then every (skip + 1)th
 * element (skip = 1 visits the fields of field/value pairs); NULL if none. */
unsigned char *lp_find(unsigned char *lp, unsigned char *p, const char *s, size_t len,
                       unsigned skip);

/* 1 if the buffer is a well-formed listpack of exactly `bytes` bytes: every
 * length, backlen and the count agree.  For loading untrusted input (RDB). */
int lp_validate(const unsigned char *lp, size_t bytes);

#endif

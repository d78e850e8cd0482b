/* t_list.h - the list type: a quicklist (quicklist.h) behind the type
 * table, with the node size Redis's list-max-listpack-size asks for.
 *
 * Redis 7.0 stores every list as a quicklist and OBJECT ENCODING always
 * answers "quicklist" (the "listpack" encoding for small lists arrived in
 * 7.2); so does Cachet.  A small list is simply a quicklist of one node:
 * 32 bytes of header and 32 of node around its listpack.
 */
#ifndef CACHET_T_LIST_H
#define CACHET_T_LIST_H

#include "server/types/quicklist.h"
#include "server/types/types.h"

extern const struct type_ops list_type_ops;

/* A new, empty list (for coll_find_or_create). */
void *list_create(void);
/* The fill rule for nodes, from list-max-listpack-size (read at every
 * push, so CONFIG SET applies to existing lists as they grow). */
int list_fill(void);

/* Redis's index normalisation for LRANGE and LTRIM: the range
 * [start, end] of a list of len elements, negative indexes from the tail,
 * clamped.  Returns 0 when the range is empty, else 1 with *first and
 * *n set. */
int list_range(long long start, long long end, size_t len, size_t *first, size_t *n);

#endif

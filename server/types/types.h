/* types.h - the collection value types behind one table.
 *
 * A string lives inside its entry (entry.h).  A hash, list, set or sorted
 * set is an object of its own, and the entry's value area holds one
 * pointer to it (ENC_PTR).  The keyspace treats every object alike through
 * this table: how many bytes it holds (for used_memory and eviction), how
 * many elements (to decide on background freeing), how to free and copy
 * it, and its OBJECT ENCODING name.  Each type's file (t_hash.c, t_list.c,
 * t_set.c, t_zset.c) defines its row; the commands on a type call that
 * file's own API.
 *
 * Contract for every type:
 *   - mem() is O(1): the object keeps a running count of the usable sizes
 *     (mem_usable) of every allocation it owns, the object itself included;
 *   - len() is O(1);
 *   - an object is never left empty in the keyspace: the command that
 *     removes the last element deletes the key (coll_written does this).
 */
#ifndef CACHET_TYPES_H
#define CACHET_TYPES_H

#include <stddef.h>

#include "server/keyspace/entry.h"

struct type_ops {
    const char *name;                  /* TYPE's reply: "hash", "list", ... */
    size_t (*mem)(const void *obj);    /* allocator bytes held, O(1) */
    size_t (*len)(const void *obj);    /* elements, O(1) */
    void (*destroy)(void *obj);
    void *(*dup)(const void *obj);     /* deep copy (COPY) */
    const char *(*encoding)(const void *obj); /* OBJECT ENCODING */
};

/* The row for type t (T_LIST..T_HASH), or NULL for strings / unknown. */
const struct type_ops *type_ops_of(int t);
/* TYPE name -> T_* (for SCAN TYPE), or -1. */
int type_by_name(const char *name, size_t len);

#endif

/* types.c - the type table; see types.h.  A type that is not built yet has
 * a NULL row, and nothing can create a value of it. */
#include "server/types/types.h"

#include <strings.h>

/* Each type's file defines its row.  Weak until every type has landed: a
 * row not linked in is NULL. */
extern const struct type_ops list_type_ops __attribute__((weak));
extern const struct type_ops set_type_ops __attribute__((weak));
extern const struct type_ops zset_type_ops __attribute__((weak));
extern const struct type_ops hash_type_ops __attribute__((weak));

static const struct type_ops *row(int t)
{
    switch (t) {
    case T_LIST: return &list_type_ops;
    case T_SET: return &set_type_ops;
    case T_ZSET: return &zset_type_ops;
    case T_HASH: return &hash_type_ops;
    default: return NULL;
    }
}

const struct type_ops *type_ops_of(int t)
{
    return row(t);
}

static const char *const names[T_NTYPES] = {
    [T_STRING] = "string", [T_LIST] = "list", [T_SET] = "set", [T_ZSET] = "zset",
    [T_HASH] = "hash",
};

int type_by_name(const char *name, size_t len)
{
    for (int t = 0; t < T_NTYPES; t++)
        if (names[t] && strlen(names[t]) == len && !strncasecmp(names[t], name, len))
            return t;
    return -1;
}

/* t_list.c - the list type's row in the type table, and the little list
 * policy that is not the quicklist's business (its fill setting, index
 * ranges).  The commands are in server/commands/cmd_list.c. */
#include "server/types/t_list.h"

#include "server/core/config.h"

void *list_create(void)
{
    return ql_create();
}

int list_fill(void)
{
    return (int)CFG(list_max_listpack_size);
}

int list_range(long long start, long long end, size_t len, size_t *first, size_t *n)
{
    long long llen = (long long)len;
    if (start < 0)
        start += llen;
    if (end < 0)
        end += llen;
    if (start < 0)
        start = 0;
    if (start > end || start >= llen)
        return 0;
    if (end >= llen)
        end = llen - 1;
    *first = (size_t)start;
    *n = (size_t)(end - start + 1);
    return 1;
}

static size_t list_mem(const void *obj)
{
    return ql_mem(obj);
}

static size_t list_len(const void *obj)
{
    return ql_count(obj);
}

static void list_destroy(void *obj)
{
    ql_destroy(obj);
}

static void *list_dup(const void *obj)
{
    return ql_dup(obj);
}

static const char *list_encoding(const void *obj)
{
    (void)obj;
    return "quicklist";
}

const struct type_ops list_type_ops = {
    .name = "list",
    .mem = list_mem,
    .len = list_len,
    .destroy = list_destroy,
    .dup = list_dup,
    .encoding = list_encoding,
};

/* coll.c - see coll.h. */
#include "server/commands/coll.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/types/types.h"

static struct entry *find(struct cmd_ctx *c, const struct key *k, int type, int *wrong)
{
    *wrong = 0;
    struct entry *e = ks_lookup(&c->env, c->db, k, KS_TOUCH);
    if (e && entry_type(e) != type) {
        ctx_error(c, ERR_WRONGTYPE);
        *wrong = 1;
        return NULL;
    }
    return e;
}

struct entry *coll_find_read(struct cmd_ctx *c, const struct key *k, int type, int *wrong)
{
    struct entry *e = find(c, k, type, wrong);
    if (!*wrong)
        ctx_hit(c, e != NULL);
    return e;
}

struct entry *coll_find_write(struct cmd_ctx *c, const struct key *k, int type, int *wrong)
{
    return find(c, k, type, wrong);
}

struct entry *coll_find_or_create(struct cmd_ctx *c, const struct key *k, int type,
                                  void *(*create)(void), int *wrong)
{
    struct entry *e = find(c, k, type, wrong);
    if (e || *wrong)
        return e;
    e = entry_new_obj(k->p, k->len, type, create(), -1);
    ks_store(&c->env, c->db, k, e);
    return e;
}

void coll_written(struct cmd_ctx *c, const struct key *k, struct entry *e, size_t before)
{
    const struct type_ops *t = type_ops_of(entry_type(e));
    ks_value_resized(k->s, before, entry_mem(e));
    if (!t->len(entry_obj(e))) {
        ks_delete(&c->env, c->db, k); /* takes entry_mem(e) off, as now */
        return;
    }
    ks_modified(c->db, k, e);
    if (entry_type(e) == T_LIST || entry_type(e) == T_ZSET) /* may wake BLPOP, BZPOPMIN */
        ks_signal_ready(k->s, c->db, k->p, k->len, k->hash);
}

void coll_store(struct cmd_ctx *c, const struct key *k, int type, void *obj)
{
    const struct type_ops *t = type_ops_of(type);
    if (!t->len(obj)) {
        t->destroy(obj);
        ks_delete(&c->env, c->db, k);
        return;
    }
    ks_store(&c->env, c->db, k, entry_new_obj(k->p, k->len, type, obj, -1));
}

int coll_scan_cursor(struct cmd_ctx *c, int i, unsigned long long *cursor)
{
    char cbuf[32], *end;
    if (c->argl[i] >= sizeof(cbuf)) {
        ctx_error(c, ERR_INVALID_CURSOR);
        return 0;
    }
    memcpy(cbuf, c->argv[i], c->argl[i]);
    cbuf[c->argl[i]] = '\0';
    errno = 0;
    *cursor = strtoull(cbuf, &end, 10);
    if (*end || errno == ERANGE || isspace((unsigned char)cbuf[0])) {
        ctx_error(c, ERR_INVALID_CURSOR);
        return 0;
    }
    return 1;
}

int coll_scan_args(struct cmd_ctx *c, struct coll_scan *out)
{
    if (!coll_scan_cursor(c, 2, &out->cursor))
        return 0;
    out->pat = NULL;
    out->plen = 0;
    out->count = 10;
    for (int j = 3; j < c->argc; j++) {
        if (ctx_arg_is(c, j, "count") && j + 1 < c->argc) {
            if (!ctx_get_ll(c, j + 1, &out->count))
                return 0;
            if (out->count < 1) {
                ctx_error(c, ERR_SYNTAX);
                return 0;
            }
            j++;
        } else if (ctx_arg_is(c, j, "match") && j + 1 < c->argc) {
            out->pat = c->argv[j + 1];
            out->plen = c->argl[j + 1];
            if (out->plen == 1 && out->pat[0] == '*')
                out->pat = NULL;
            j++;
        } else {
            ctx_error(c, ERR_SYNTAX);
            return 0;
        }
    }
    return 1;
}

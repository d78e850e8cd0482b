/* rdb_dump.c - see rdb_dump.h.  Values go out in RDB's plain encodings
 * (list, set, zset2, hash as element sequences; strings with Redis's
 * integer and LZF forms), which every Redis since 4.0 and redis-check-rdb
 * read; our compact in-memory encodings never leak into the file. */
#include "persistence/rdb_dump.h"

#include <stdlib.h>
#include <time.h>

#include "server/core/lifecycle.h"
#include "server/types/quicklist.h"
#include "server/types/t_hash.h"
#include "server/types/t_set.h"
#include "server/types/t_zset.h"

void rdb_dump_header(struct rdb_buf *b, uint64_t used_memory)
{
    rdb_put_header(b, RDB_VERSION_WRITE);
    rdb_put_aux_std(b, CACHET_REDIS_COMPAT_VERSION, (long long)time(NULL),
                    (long long)used_memory, 0);
}

uint64_t rdb_dump_elements(const struct entry *e)
{
    switch (entry_type(e)) {
    case T_HASH:
        return hash_len(entry_obj(e));
    case T_LIST:
        return ql_count(entry_obj(e));
    case T_SET:
        return set_len(entry_obj(e));
    case T_ZSET:
        return zset_len(entry_obj(e));
    default:
        return 1;
    }
}

static const enum rdb_type rdb_type_of[T_NTYPES] = {
    [T_STRING] = RDB_TYPE_STRING, [T_LIST] = RDB_TYPE_LIST, [T_SET] = RDB_TYPE_SET,
    [T_ZSET] = RDB_TYPE_ZSET_2, [T_HASH] = RDB_TYPE_HASH,
};

void rdb_dump_begin(struct rdb_dump_walk *w, struct rdb_buf *b, struct entry *e)
{
    size_t klen;
    const char *key = entry_key(e, &klen);
    int64_t exp = entry_expire(e);
    int t = entry_type(e);
    rdb_put_key(b, rdb_type_of[t], key, klen, exp >= 0 ? exp : RDB_NO_EXPIRE);
    w->e = e;
    w->left = rdb_dump_elements(e);
    switch (t) {
    case T_STRING:
        if (entry_enc(e) == ENC_INT) {
            rdb_put_string_ll(b, entry_int(e));
        } else {
            char buf[24];
            size_t len;
            const char *v = entry_str(e, buf, &len);
            rdb_put_string(b, v, len);
        }
        w->left = 0;
        return;
    case T_LIST:
        ql_iter_init(entry_obj(e), 0, QL_FORWARD, &w->u.ql);
        break;
    case T_SET:
        set_iter_start(&w->u.set, entry_obj(e));
        break;
    case T_ZSET:
        if (w->left)
            zset_iter_rank(&w->u.z, entry_obj(e), 0, 0);
        break;
    case T_HASH:
        w->u.pos = 0;
        break;
    default:
        break;
    }
    rdb_put_len(b, w->left);
}

struct pairs {
    struct rdb_buf *b;
    uint64_t n;
};

static void put_hash_pair(const struct hash_kv *kv, void *arg)
{
    struct pairs *ps = arg;
    rdb_put_string(ps->b, kv->f, kv->flen);
    rdb_put_string(ps->b, kv->v, kv->vlen);
    ps->n++;
}

int rdb_dump_step(struct rdb_dump_walk *w, struct rdb_buf *b, uint64_t max)
{
    uint64_t n = w->left < max ? w->left : max;
    switch (entry_type(w->e)) {
    case T_HASH: {
        struct pairs ps = {b, 0};
        hash_walk(entry_obj(w->e), &w->u.pos, n, put_hash_pair, &ps);
        if (ps.n != n)
            return -1;
        break;
    }
    case T_LIST: {
        struct lp_val v;
        for (uint64_t i = 0; i < n; i++) {
            if (!ql_iter_next(&w->u.ql, &v))
                return -1; /* fewer elements than counted: the list changed */
            if (v.s)
                rdb_put_string(b, v.s, v.len);
            else
                rdb_put_string_ll(b, v.v);
        }
        break;
    }
    case T_SET: {
        const char *p;
        size_t len;
        for (uint64_t i = 0; i < n; i++) {
            if (!set_iter_next(&w->u.set, &p, &len))
                return -1;
            rdb_put_string(b, p, len);
        }
        break;
    }
    case T_ZSET: {
        struct zelem el;
        for (uint64_t i = 0; i < n; i++) {
            if (!zset_iter_next(&w->u.z, &el))
                return -1;
            rdb_put_string(b, el.m, el.mlen);
            rdb_put_double(b, el.score);
        }
        break;
    }
    default:
        break;
    }
    w->left -= n;
    return w->left == 0;
}

void rdb_dump_entry(struct rdb_buf *b, const struct entry *e)
{
    struct rdb_dump_walk w;
    rdb_dump_begin(&w, b, (struct entry *)e); /* reads only: the walk never writes e */
    if (rdb_dump_step(&w, b, UINT64_MAX) != 1)
        abort(); /* the value has fewer elements than its own count says */
}

/* rdb_dump.c - see rdb_dump.h.  Values go out in RDB's plain encodings
 * (list, set, zset2, hash as element sequences; strings with Redis's
 * integer and LZF forms), which every Redis since 4.0 and redis-check-rdb
 * read; our compact in-memory encodings never leak into the file. */
#include "persistence/rdb_dump.h"

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

static void put_hash_pair(const struct hash_kv *kv, void *arg)
{
    struct rdb_buf *b = arg;
    rdb_put_string(b, kv->f, kv->flen);
    rdb_put_string(b, kv->v, kv->vlen);
}

static void put_value(struct rdb_buf *b, const struct entry *e, const char *key, size_t klen,
                      int64_t exp)
{
    switch (entry_type(e)) {
    case T_STRING: {
        rdb_put_key(b, RDB_TYPE_STRING, key, klen, exp);
        if (entry_enc(e) == ENC_INT) {
            rdb_put_string_ll(b, entry_int(e));
        } else {
            char buf[24];
            size_t len;
            const char *v = entry_str(e, buf, &len);
            rdb_put_string(b, v, len);
        }
        break;
    }
    case T_HASH: {
        struct hash *h = entry_obj(e);
        rdb_put_key(b, RDB_TYPE_HASH, key, klen, exp);
        rdb_put_len(b, hash_len(h));
        hash_foreach(h, put_hash_pair, b);
        break;
    }
    case T_LIST: {
        struct quicklist *ql = entry_obj(e);
        rdb_put_key(b, RDB_TYPE_LIST, key, klen, exp);
        rdb_put_len(b, ql_count(ql));
        struct ql_iter it;
        ql_iter_init(ql, 0, QL_FORWARD, &it);
        struct lp_val v;
        while (ql_iter_next(&it, &v)) {
            if (v.s)
                rdb_put_string(b, v.s, v.len);
            else
                rdb_put_string_ll(b, v.v);
        }
        break;
    }
    case T_SET: {
        const struct set *s = entry_obj(e);
        rdb_put_key(b, RDB_TYPE_SET, key, klen, exp);
        rdb_put_len(b, set_len(s));
        struct set_iter it;
        set_iter_start(&it, s);
        const char *p;
        size_t len;
        while (set_iter_next(&it, &p, &len))
            rdb_put_string(b, p, len);
        break;
    }
    case T_ZSET: {
        const struct zset *z = entry_obj(e);
        rdb_put_key(b, RDB_TYPE_ZSET_2, key, klen, exp);
        rdb_put_len(b, zset_len(z));
        struct zset_iter it;
        zset_iter_rank(&it, z, 0, 0);
        struct zelem el;
        while (zset_iter_next(&it, &el)) {
            rdb_put_string(b, el.m, el.mlen);
            rdb_put_double(b, el.score);
        }
        break;
    }
    default:
        break;
    }
}

void rdb_dump_entry(struct rdb_buf *b, const struct entry *e)
{
    size_t klen;
    const char *key = entry_key(e, &klen);
    int64_t exp = entry_expire(e);
    put_value(b, e, key, klen, exp >= 0 ? exp : RDB_NO_EXPIRE);
}

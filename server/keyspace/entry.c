/* entry.c - building and reading entries; see entry.h for the layout. */
#include "server/keyspace/entry.h"

#include "protocol/resp_write.h"
#include "server/core/mem.h"
#include "server/core/lazyfree.h"
#include "server/core/util.h"
#include "server/types/types.h"

/* Allocate an entry with room for a value area of vsize bytes; writes the
 * header, expiry block and key.  Returns the entry; *val = value area. */
static struct entry *entry_alloc_meta(const char *key, size_t klen, size_t vsize,
                                      const struct entry_meta *m, int type, int enc, uint8_t **val)
{
    size_t exp = m->expire_ms >= 0 ? ENTRY_EXP_SIZE : 0;
    size_t mc = m->mc ? ENTRY_MC_SIZE : 0;
    size_t size = ENTRY_HDR_SIZE + exp + mc + varint_len(klen) + klen + vsize;
    struct entry *e = xmalloc(size);
    e->next = NULL;
    e->access = 0;
    e->tenc = (uint8_t)((type << 4) | enc);
    e->flags = (uint8_t)((exp ? E_VOLATILE : 0) | (mc ? E_MCMETA : 0));
    uint8_t *p = e->data;
    if (exp) {
        memcpy(p, &m->expire_ms, 8);
        memset(p + 8, 0, 4);
        p += ENTRY_EXP_SIZE;
    }
    if (mc) {
        memcpy(p, &m->mc_flags, 4);
        memcpy(p + 4, &m->cas, 8);
        p += ENTRY_MC_SIZE;
    }
    p += varint_put(p, klen);
    memcpy(p, key, klen);
    *val = p + klen;
    return e;
}

static struct entry *entry_alloc(const char *key, size_t klen, size_t vsize, int64_t expire_ms,
                                 int type, int enc, uint8_t **val)
{
    struct entry_meta m = {expire_ms, 0, 0, 0};
    return entry_alloc_meta(key, klen, vsize, &m, type, enc, val);
}

void entry_get_meta(const struct entry *e, struct entry_meta *m)
{
    m->expire_ms = entry_expire(e);
    m->mc = (e->flags & E_MCMETA) != 0;
    m->mc_flags = entry_mc_flags(e);
    m->cas = entry_cas(e);
}

struct entry *entry_new_int(const char *key, size_t klen, int64_t v, int64_t expire_ms)
{
    uint8_t *val;
    struct entry *e = entry_alloc(key, klen, 8, expire_ms, T_STRING, ENC_INT, &val);
    memcpy(val, &v, 8);
    return e;
}

struct entry *entry_new_string(const char *key, size_t klen, const char *v, size_t vlen,
                               int64_t expire_ms)
{
    long long ll;
    if (vlen <= 20 && util_str2ll(v, vlen, &ll))
        return entry_new_int(key, klen, ll, expire_ms);
    return entry_new_emb(key, klen, v, vlen, expire_ms);
}

struct entry *entry_new_string_meta(const char *key, size_t klen, const char *v, size_t vlen,
                                    const struct entry_meta *m)
{
    uint8_t *val;
    long long ll;
    if (vlen <= 20 && util_str2ll(v, vlen, &ll)) {
        struct entry *e = entry_alloc_meta(key, klen, 8, m, T_STRING, ENC_INT, &val);
        int64_t i64 = ll;
        memcpy(val, &i64, 8);
        return e;
    }
    return entry_new_bytes_meta(key, klen, v, vlen, m);
}

struct entry *entry_new_bytes_meta(const char *key, size_t klen, const char *v, size_t vlen,
                                   const struct entry_meta *m)
{
    uint8_t *val;
    struct entry *e = entry_alloc_meta(key, klen, varint_len(vlen) + vlen, m, T_STRING, ENC_EMB,
                                       &val);
    val += varint_put(val, vlen);
    memcpy(val, v, vlen);
    return e;
}

struct entry *entry_new_emb(const char *key, size_t klen, const char *v, size_t vlen,
                            int64_t expire_ms)
{
    uint8_t *val;
    struct entry *e = entry_alloc(key, klen, varint_len(vlen) + vlen, expire_ms, T_STRING,
                                  ENC_EMB, &val);
    val += varint_put(val, vlen);
    memcpy(val, v, vlen);
    return e;
}

struct entry *entry_new_raw(const char *key, size_t klen, const char *v, size_t vlen,
                            size_t cap, int64_t expire_ms)
{
    uint8_t *val;
    struct entry *e = entry_alloc(key, klen, 8 + varint_len(UINT32_MAX), expire_ms, T_STRING,
                                  ENC_RAW, &val);
    char *buf = xmalloc(cap > vlen ? cap : vlen);
    memcpy(buf, v, vlen);
    entry_raw_set(e, buf, vlen);
    return e;
}

char *entry_raw_buf(const struct entry *e, size_t *len)
{
    const uint8_t *val = entry_value_area(e);
    char *buf;
    memcpy(&buf, val, 8);
    uint64_t l;
    varint_get(val + 8, &l);
    *len = (size_t)l;
    return buf;
}

void entry_raw_set(struct entry *e, char *buf, size_t len)
{
    uint8_t *val = entry_value_area(e);
    memcpy(val, &buf, 8);
    /* fixed-width varint (5 bytes) so the length can change in place */
    uint64_t v = len;
    for (int i = 0; i < 5; i++) {
        val[8 + i] = (uint8_t)((v & 0x7f) | (i < 4 ? 0x80 : 0));
        v >>= 7;
    }
}

int64_t entry_int(const struct entry *e)
{
    int64_t v;
    memcpy(&v, entry_value_area(e), 8);
    return v;
}

const char *entry_str(const struct entry *e, char *buf, size_t *len)
{
    switch (entry_enc(e)) {
    case ENC_INT:
        *len = (size_t)ll_to_str(buf, entry_int(e));
        return buf;
    case ENC_RAW:
        return entry_raw_buf(e, len);
    default: {
        const uint8_t *val = entry_value_area(e);
        uint64_t l;
        size_t n = varint_get(val, &l);
        *len = (size_t)l;
        return (const char *)val + n;
    }
    }
}

size_t entry_mem(const struct entry *e)
{
    size_t m = mem_usable((void *)e);
    if (entry_enc(e) == ENC_RAW) {
        size_t len;
        m += mem_usable(entry_raw_buf(e, &len));
    } else if (entry_enc(e) == ENC_PTR) {
        m += type_ops_of(entry_type(e))->mem(entry_obj(e));
    }
    return m;
}

void entry_free_shell(struct entry *e)
{
    free(e);
}

struct entry *entry_new_obj(const char *key, size_t klen, int type, void *obj,
                            int64_t expire_ms)
{
    uint8_t *val;
    struct entry *e = entry_alloc(key, klen, sizeof(obj), expire_ms, type, ENC_PTR, &val);
    memcpy(val, &obj, sizeof(obj));
    return e;
}

void entry_free(struct entry *e)
{
    if (!e)
        return;
    if (entry_enc(e) == ENC_RAW) {
        size_t len;
        free(entry_raw_buf(e, &len));
    } else if (entry_enc(e) == ENC_PTR) {
        const struct type_ops *t = type_ops_of(entry_type(e));
        void *obj = entry_obj(e);
        if (t->len(obj) > LAZYFREE_THRESHOLD)
            lazyfree_submit(t->destroy, obj);
        else
            t->destroy(obj);
    }
    free(e);
}

static struct entry *reshape(const struct entry *e, const char *key, size_t klen,
                             const struct entry_meta *m)
{
    size_t oklen;
    const char *okey = entry_key(e, &oklen);
    const uint8_t *oldval = (const uint8_t *)okey + oklen;
    size_t vsize;
    switch (entry_enc(e)) {
    case ENC_INT: vsize = 8; break;
    case ENC_PTR: vsize = sizeof(void *); break;
    case ENC_RAW: vsize = 8 + 5; break;
    default: {
        uint64_t l;
        size_t n = varint_get(oldval, &l);
        vsize = n + (size_t)l;
    }
    }
    uint8_t *val;
    struct entry *n = entry_alloc_meta(key ? key : okey, key ? klen : oklen, vsize, m,
                                       entry_type(e), entry_enc(e), &val);
    memcpy(val, oldval, vsize);
    n->access = e->access;
    n->flags |= e->flags & (E_FETCHED | E_STALE | E_WIN | E_SNAP);
    return n;
}

struct entry *entry_reshape(const struct entry *e, const char *key, size_t klen,
                            int64_t expire_ms)
{
    struct entry_meta m;
    entry_get_meta(e, &m);
    m.expire_ms = expire_ms;
    if (key)
        m.cas = 0; /* another key: its CAS comes from its own shard */
    return reshape(e, key, klen, &m);
}

struct entry *entry_reshape_meta(const struct entry *e, const struct entry_meta *m)
{
    return reshape(e, NULL, 0, m);
}

struct entry *entry_with_expire(const struct entry *e, int64_t expire_ms)
{
    return entry_reshape(e, NULL, 0, expire_ms);
}

struct entry *entry_dup(const struct entry *e, const char *key, size_t klen, int64_t expire_ms)
{
    if (entry_enc(e) == ENC_PTR) {
        const struct type_ops *t = type_ops_of(entry_type(e));
        struct entry *o = entry_new_obj(key, klen, entry_type(e), t->dup(entry_obj(e)), expire_ms);
        o->access = e->access;
        return o;
    }
    char buf[24];
    size_t vlen;
    const char *v = entry_str(e, buf, &vlen);
    struct entry *n;
    switch (entry_enc(e)) {
    case ENC_INT: n = entry_new_int(key, klen, entry_int(e), expire_ms); break;
    case ENC_RAW: n = entry_new_raw(key, klen, v, vlen, vlen, expire_ms); break;
    default: n = entry_new_string(key, klen, v, vlen, expire_ms); break;
    }
    n->access = e->access;
    return n;
}

const char *entry_type_name(const struct entry *e)
{
    const struct type_ops *t = type_ops_of(entry_type(e));
    return t ? t->name : "string";
}

const char *entry_encoding_name(const struct entry *e)
{
    switch (entry_enc(e)) {
    case ENC_INT: return "int";
    case ENC_RAW: return "raw";
    case ENC_PTR: return type_ops_of(entry_type(e))->encoding(entry_obj(e));
    default: {
        size_t len;
        char buf[24];
        entry_str(e, buf, &len);
        return len <= EMBSTR_MAX ? "embstr" : "raw";
    }
    }
}

/* entry.h - one key and its value in a single allocation.
 *
 * Layout (every byte here is paid once per key, so it is budgeted; the unit
 * test checks ENTRY_HDR_SIZE):
 *
 *   next    8  hash-chain link (owned by htable.c)
 *   access  4  eviction metadata: LRU clock or LFU counter (eviction/)
 *   tenc    1  type (high nibble) and encoding (low nibble)
 *   flags   1  E_VOLATILE: an expiry block follows; E_MCMETA: a memcached
 *              block follows; E_FETCHED/E_STALE/E_WIN: meta-protocol state;
 *              E_SNAP: snapshot parity (persistence/snapshot.h)
 *   data       [expire_ms:8][vol_index:4]   only if E_VOLATILE
 *              [mc_flags:4][cas:8]          only if E_MCMETA
 *              klen varint, key bytes
 *              value: ENC_INT   8-byte int64
 *                     ENC_EMB   vlen varint, bytes   (inline string)
 *                     ENC_RAW   8-byte pointer, vlen varint (growable string)
 *                     ENC_PTR   8-byte pointer to a collection (types.h)
 *
 * A 16-byte key with a 32-byte value is 14+1+16+1+32 = 64 bytes: one
 * jemalloc size class, against Redis's dictEntry + key sds + robj (~104).
 * Entries are replaced, not resized in place, when their shape changes
 * (TTL added, value grown): the keyspace swaps the pointer in the chain.
 *
 * The memcached block exists only when a key has non-zero client flags or
 * has been given a CAS unique (memcached `gets`, `mg c`, ...), so keys used
 * only over RESP pay nothing for it.  cas == 0 means "none handed out yet";
 * the keyspace assigns one on demand (keyspace.h: ks_cas).
 */
#ifndef CACHET_ENTRY_H
#define CACHET_ENTRY_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Types, numbered as Redis's OBJ_* (and RDB) number them. */
enum { T_STRING = 0, T_LIST = 1, T_SET = 2, T_ZSET = 3, T_HASH = 4, T_NTYPES };
/* ENC_PTR: the value area is one pointer to a collection object
 * (server/types/types.h); the object knows its own encoding. */
enum { ENC_INT = 0, ENC_EMB = 1, ENC_RAW = 2, ENC_PTR = 3 };
#define E_VOLATILE 0x01
#define E_MCMETA 0x02
#define E_FETCHED 0x04 /* read since stored (meta "h" flag) */
#define E_STALE 0x08   /* invalidated by md I / ms I (meta "X") */
#define E_WIN 0x10     /* a recache "win" token was handed out (meta "W"/"Z") */
#define E_SNAP 0x20    /* snapshot parity: settled for the current save (snapshot.h) */

struct entry {
    struct entry *next;
    uint32_t access;
    uint8_t tenc;
    uint8_t flags;
    uint8_t data[];
};

#define ENTRY_HDR_SIZE offsetof(struct entry, data)
#define ENTRY_EXP_SIZE 12
#define ENTRY_MC_SIZE 12

/* Optional per-entry fields, as one argument for creating or reshaping. */
struct entry_meta {
    int64_t expire_ms; /* < 0: none */
    int mc;            /* carry a memcached block */
    uint32_t mc_flags;
    uint64_t cas;      /* 0: none handed out */
};
/* Strings up to this length report OBJECT ENCODING "embstr", as in Redis. */
#define EMBSTR_MAX 44

static inline int entry_type(const struct entry *e) { return e->tenc >> 4; }
static inline int entry_enc(const struct entry *e) { return e->tenc & 15; }

static inline size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static inline size_t varint_put(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static inline size_t varint_get(const uint8_t *p, uint64_t *v)
{
    uint64_t r = 0;
    size_t n = 0;
    int shift = 0;
    do {
        r |= (uint64_t)(p[n] & 0x7f) << shift;
        shift += 7;
    } while (p[n++] & 0x80);
    *v = r;
    return n;
}

static inline uint8_t *entry_mc_area(const struct entry *e)
{
    return (uint8_t *)e->data + ((e->flags & E_VOLATILE) ? ENTRY_EXP_SIZE : 0);
}

static inline uint8_t *entry_key_area(const struct entry *e)
{
    return entry_mc_area(e) + ((e->flags & E_MCMETA) ? ENTRY_MC_SIZE : 0);
}

static inline uint32_t entry_mc_flags(const struct entry *e)
{
    uint32_t f = 0;
    if (e->flags & E_MCMETA)
        memcpy(&f, entry_mc_area(e), 4);
    return f;
}

static inline uint64_t entry_cas(const struct entry *e)
{
    uint64_t c = 0;
    if (e->flags & E_MCMETA)
        memcpy(&c, entry_mc_area(e) + 4, 8);
    return c;
}

/* Caller checks E_MCMETA. */
static inline void entry_set_cas(struct entry *e, uint64_t cas)
{
    memcpy(entry_mc_area(e) + 4, &cas, 8);
}

static inline const char *entry_key(const struct entry *e, size_t *klen)
{
    uint64_t l;
    const uint8_t *p = entry_key_area(e);
    size_t n = varint_get(p, &l);
    *klen = (size_t)l;
    return (const char *)p + n;
}

static inline uint8_t *entry_value_area(const struct entry *e)
{
    size_t klen;
    const char *k = entry_key(e, &klen);
    return (uint8_t *)k + klen;
}

static inline int64_t entry_expire(const struct entry *e)
{
    if (!(e->flags & E_VOLATILE))
        return -1;
    int64_t t;
    memcpy(&t, e->data, 8);
    return t;
}

static inline void entry_set_expire_field(struct entry *e, int64_t t)
{
    memcpy(e->data, &t, 8);
}

static inline uint32_t entry_vol_index(const struct entry *e)
{
    uint32_t i;
    memcpy(&i, e->data + 8, 4);
    return i;
}

static inline void entry_set_vol_index(struct entry *e, uint32_t i)
{
    memcpy(e->data + 8, &i, 4);
}

/* A string value as bytes.  For ENC_INT the digits are formatted into buf
 * (>= 24 bytes); otherwise the returned pointer is into the entry. */
const char *entry_str(const struct entry *e, char *buf, size_t *len);
/* For ENC_INT: the integer. */
int64_t entry_int(const struct entry *e);

/* Create a string entry; the value is stored as ENC_INT when it is a
 * canonical integer (what Redis calls "int" encoding), else inline.
 * expire_ms < 0 means no TTL. */
struct entry *entry_new_string(const char *key, size_t klen, const char *val, size_t vlen,
                               int64_t expire_ms);
/* The same with every optional field (memcached stores flags). */
struct entry *entry_new_string_meta(const char *key, size_t klen, const char *val, size_t vlen,
                                    const struct entry_meta *m);
/* As entry_new_string_meta but never integer-encoded: the bytes as given. */
struct entry *entry_new_bytes_meta(const char *key, size_t klen, const char *val, size_t vlen,
                                   const struct entry_meta *m);
void entry_get_meta(const struct entry *e, struct entry_meta *m);
/* An inline string even if it looks like an integer (INCRBYFLOAT results). */
struct entry *entry_new_emb(const char *key, size_t klen, const char *val, size_t vlen,
                            int64_t expire_ms);
struct entry *entry_new_int(const char *key, size_t klen, int64_t v, int64_t expire_ms);
/* A growable string (ENC_RAW) with room for at least `cap` bytes, holding
 * val[0..vlen). */
struct entry *entry_new_raw(const char *key, size_t klen, const char *val, size_t vlen,
                            size_t cap, int64_t expire_ms);
/* Copy of e with a different expiry (value buffers move to the copy for
 * ENC_RAW: e must then be freed with entry_free_shell). */
struct entry *entry_with_expire(const struct entry *e, int64_t expire_ms);
/* Copy of e under another key (NULL = same) and expiry; the value area is
 * moved byte for byte, so a RAW buffer now belongs to the copy and e must
 * be freed with entry_free_shell.  RENAME and MOVE use this. */
struct entry *entry_reshape(const struct entry *e, const char *key, size_t klen,
                            int64_t expire_ms);
/* Copy of e (same key) with other optional fields; value moved as above. */
struct entry *entry_reshape_meta(const struct entry *e, const struct entry_meta *m);
/* For ENC_RAW: the buffer pointer slot and current length. */
char *entry_raw_buf(const struct entry *e, size_t *len);
void entry_raw_set(struct entry *e, char *buf, size_t len);

/* A collection entry holding obj (of type T_LIST..T_HASH). */
struct entry *entry_new_obj(const char *key, size_t klen, int type, void *obj,
                            int64_t expire_ms);
static inline void *entry_obj(const struct entry *e)
{
    void *p;
    memcpy(&p, entry_value_area(e), sizeof(p));
    return p;
}
/* The object moved (a realloc, an encoding conversion). */
static inline void entry_set_obj(struct entry *e, void *obj)
{
    memcpy(entry_value_area(e), &obj, sizeof(obj));
}

/* Bytes the entry holds from the allocator (entry + value buffer or
 * object). */
size_t entry_mem(const struct entry *e);
/* Free e and its value; a collection of more than LAZYFREE_THRESHOLD
 * elements is freed by the background thread (lazyfree.h). */
void entry_free(struct entry *e);
/* Free only the entry allocation (its value buffer was moved elsewhere). */
void entry_free_shell(struct entry *e);
/* Deep copy under a new key (COPY, RENAME keep values; RENAME moves). */
struct entry *entry_dup(const struct entry *e, const char *key, size_t klen, int64_t expire_ms);

const char *entry_type_name(const struct entry *e);
const char *entry_encoding_name(const struct entry *e);

#endif

/* t_hash.c - the hash value described in t_hash.h, and its type_ops row.
 *
 * Owns: choosing and converting the encoding, and every operation over
 * both encodings.  Must not: write replies or touch the keyspace (that is
 * cmd_hash.c's job).
 *
 * Memory: the object is a 16-byte header (encoding + pointer) and either a
 * listpack or a strmap, so mem() is mem_usable(header) plus the listpack's
 * usable size or the strmap's own running total: O(1) and exact.
 */
#include "server/types/t_hash.h"

#include <stdlib.h>
#include <string.h>

#include "server/core/config.h"
#include "server/core/mem.h"
#include "server/core/rng.h"
#include "server/types/strmap.h"

struct hash {
    uint32_t enc;
    union {
        unsigned char *lp;
        struct strmap *map;
    };
};

/* A listpack stays well below 4 GB (its header's limit): past this many
 * bytes a hash converts whatever the configured limits say, as Redis's
 * lpSafeToAdd does. */
#define LP_SAFETY_BYTES (1u << 30)

void *hash_create(void)
{
    struct hash *h = xmalloc(sizeof(*h));
    h->enc = HASH_LISTPACK;
    h->lp = lp_create();
    return h;
}

void hash_destroy(void *obj)
{
    struct hash *h = obj;
    if (h->enc == HASH_LISTPACK)
        lp_destroy(h->lp);
    else
        strmap_destroy(h->map);
    free(h);
}

size_t hash_len(const struct hash *h)
{
    return h->enc == HASH_LISTPACK ? lp_count(h->lp) / 2 : strmap_len(h->map);
}

int hash_encoding(const struct hash *h)
{
    return (int)h->enc;
}

/* ---- listpack helpers ---- */

/* The position of field f, or NULL. */
static unsigned char *lp_field(const struct hash *h, const char *f, size_t flen)
{
    return lp_find(h->lp, lp_first(h->lp), f, flen, 1);
}

static void lp_read_pair(unsigned char *lp, unsigned char *fp, struct hash_kv *kv)
{
    kv->f = lp_get_str(fp, kv->fbuf, &kv->flen);
    kv->v = lp_get_str(lp_next(lp, fp), kv->vbuf, &kv->vlen);
}

static void to_table(struct hash *h)
{
    struct strmap *m = strmap_create(lp_count(h->lp) / 2);
    for (unsigned char *p = lp_first(h->lp); p; p = lp_next(h->lp, lp_next(h->lp, p))) {
        struct hash_kv kv;
        lp_read_pair(h->lp, p, &kv);
        strmap_set(m, kv.f, kv.flen, kv.v, kv.vlen);
    }
    lp_destroy(h->lp);
    h->map = m;
    h->enc = HASH_TABLE;
}

/* ---- type_ops ---- */

static size_t ops_mem(const void *obj)
{
    const struct hash *h = obj;
    size_t m = mem_usable((void *)h);
    return m + (h->enc == HASH_LISTPACK ? mem_usable(h->lp) : strmap_mem(h->map));
}

static size_t ops_len(const void *obj)
{
    return hash_len(obj);
}

static void *ops_dup(const void *obj)
{
    const struct hash *h = obj;
    struct hash *d = xmalloc(sizeof(*d));
    d->enc = h->enc;
    if (h->enc == HASH_LISTPACK) {
        size_t n = lp_bytes(h->lp);
        d->lp = xmalloc(n);
        memcpy(d->lp, h->lp, n);
    } else {
        d->map = strmap_dup(h->map);
    }
    return d;
}

static const char *ops_encoding(const void *obj)
{
    return ((const struct hash *)obj)->enc == HASH_LISTPACK ? "listpack" : "hashtable";
}

const struct type_ops hash_type_ops = {
    .name = "hash",
    .mem = ops_mem,
    .len = ops_len,
    .destroy = hash_destroy,
    .dup = ops_dup,
    .encoding = ops_encoding,
};

/* ---- fields ---- */

const char *hash_get(struct hash *h, const char *f, size_t flen, char *buf, size_t *vlen)
{
    if (h->enc == HASH_TABLE) {
        struct strmap_kv kv;
        if (!strmap_get(h->map, f, flen, &kv))
            return NULL;
        *vlen = kv.vlen;
        return kv.v;
    }
    unsigned char *fp = lp_field(h, f, flen);
    return fp ? lp_get_str(lp_next(h->lp, fp), buf, vlen) : NULL;
}

int hash_exists(struct hash *h, const char *f, size_t flen)
{
    char buf[LP_INTBUF];
    size_t vlen;
    return hash_get(h, f, flen, buf, &vlen) != NULL;
}

static int too_long(const struct hash *h, size_t flen, size_t vlen)
{
    long long max = CFG(hash_max_listpack_value);
    return (long long)flen > max || (long long)vlen > max ||
           lp_bytes(h->lp) + flen + vlen + 32 > LP_SAFETY_BYTES;
}

static int set_field(struct hash *h, const char *f, size_t flen, const char *v, size_t vlen,
                     int known_new)
{
    if (h->enc == HASH_LISTPACK && too_long(h, flen, vlen))
        to_table(h);
    if (h->enc == HASH_TABLE)
        return strmap_set(h->map, f, flen, v, vlen);
    unsigned char *fp = known_new ? NULL : lp_field(h, f, flen);
    if (fp) {
        unsigned char *vp = lp_next(h->lp, fp);
        h->lp = lp_replace(h->lp, &vp, v, vlen);
        return 0;
    }
    h->lp = lp_append(h->lp, f, flen);
    h->lp = lp_append(h->lp, v, vlen);
    if ((long long)hash_len(h) > CFG(hash_max_listpack_entries))
        to_table(h);
    return 1;
}

int hash_set(struct hash *h, const char *f, size_t flen, const char *v, size_t vlen)
{
    return set_field(h, f, flen, v, vlen, 0);
}

void hash_add_new(struct hash *h, const char *f, size_t flen, const char *v, size_t vlen)
{
    set_field(h, f, flen, v, vlen, 1);
}

int hash_delete(struct hash *h, const char *f, size_t flen)
{
    if (h->enc == HASH_TABLE)
        return strmap_delete(h->map, f, flen);
    unsigned char *fp = lp_field(h, f, flen);
    if (!fp)
        return 0;
    h->lp = lp_delete_range_at(h->lp, &fp, 2);
    return 1;
}

/* ---- walks ---- */

static void kv_from_map(const struct strmap_kv *s, struct hash_kv *kv)
{
    kv->f = s->f;
    kv->flen = s->flen;
    kv->v = s->v;
    kv->vlen = s->vlen;
}

void hash_foreach(struct hash *h, hash_pair_fn fn, void *arg)
{
    uint64_t pos = 0;
    hash_walk(h, &pos, SIZE_MAX, fn, arg);
}

int hash_walk(struct hash *h, uint64_t *pos, size_t max, hash_pair_fn fn, void *arg)
{
    struct hash_kv kv;
    if (h->enc == HASH_LISTPACK) { /* *pos: the next field's offset, 0 at the start */
        unsigned char *p = *pos ? h->lp + *pos : lp_first(h->lp);
        for (; p && max; max--, p = lp_next(h->lp, lp_next(h->lp, p))) {
            lp_read_pair(h->lp, p, &kv);
            fn(&kv, arg);
        }
        *pos = p ? (uint64_t)(p - h->lp) : 0;
        return !p;
    }
    struct strmap_kv s; /* *pos: strmap_next's slot position */
    for (; max; max--) {
        if (!strmap_next(h->map, pos, &s))
            return 1;
        kv_from_map(&s, &kv);
        fn(&kv, arg);
    }
    return 0;
}

struct relay {
    hash_pair_fn fn;
    void *arg;
};

static void relay_pair(const struct strmap_kv *s, void *arg)
{
    const struct relay *r = arg;
    struct hash_kv kv;
    kv_from_map(s, &kv);
    r->fn(&kv, r->arg);
}

uint64_t hash_scan(struct hash *h, uint64_t cursor, hash_pair_fn fn, void *arg)
{
    if (h->enc == HASH_LISTPACK) {
        hash_foreach(h, fn, arg);
        return 0;
    }
    struct relay r = {fn, arg};
    return strmap_scan(h->map, cursor, relay_pair, &r);
}

/* ---- random pairs (HRANDFIELD) ---- */

/* Uniform in [0, n). */
static uint64_t below(uint64_t *rng, uint64_t n)
{
    return rng_next(rng) % n;
}

/* count pairs of a listpack with repeats: index the fields once, then
 * pick (lp_seek per pick would walk the listpack every time). */
static void lp_random_repeat(struct hash *h, uint64_t count, uint64_t *rng, hash_pair_fn fn,
                             void *arg)
{
    size_t n = hash_len(h), i = 0;
    unsigned char **fields = xmalloc(n * sizeof(*fields));
    for (unsigned char *p = lp_first(h->lp); p; p = lp_next(h->lp, lp_next(h->lp, p)))
        fields[i++] = p;
    struct hash_kv kv;
    while (count--) {
        lp_read_pair(h->lp, fields[below(rng, n)], &kv);
        fn(&kv, arg);
    }
    free(fields);
}

/* count distinct pairs in one pass (Knuth's selection sampling): each pair
 * is taken with probability (still wanted) / (still left). */
struct selection {
    uint64_t want, left;
    uint64_t *rng;
    hash_pair_fn fn;
    void *arg;
};

static void select_pair(const struct hash_kv *kv, void *arg)
{
    struct selection *s = arg;
    if (s->want && below(s->rng, s->left) < s->want) {
        s->want--;
        s->fn(kv, s->arg);
    }
    s->left--;
}

/* count distinct pairs of a big hashtable (count * 3 <= len): random picks,
 * repeats dropped through a small open-addressing set of element
 * identities, so the cost is O(count), not O(len). */
static void map_random_unique(struct strmap *m, uint64_t count, uint64_t *rng, hash_pair_fn fn,
                              void *arg)
{
    uint64_t size = 16;
    while (size < count * 2)
        size <<= 1;
    const void **seen = xcalloc(size, sizeof(*seen));
    struct strmap_kv s;
    struct hash_kv kv;
    while (count) {
        const void *id = strmap_random(m, rng, &s);
        uint64_t i = ((uintptr_t)id >> 4) * 0x9E3779B97F4A7C15ULL & (size - 1);
        while (seen[i] && seen[i] != id)
            i = (i + 1) & (size - 1);
        if (seen[i])
            continue;
        seen[i] = id;
        kv_from_map(&s, &kv);
        fn(&kv, arg);
        count--;
    }
    free(seen);
}

void hash_random_pairs(struct hash *h, uint64_t count, int unique, uint64_t *rng,
                       hash_pair_fn fn, void *arg)
{
    if (!unique) {
        if (h->enc == HASH_LISTPACK) {
            lp_random_repeat(h, count, rng, fn, arg);
            return;
        }
        struct strmap_kv s;
        struct hash_kv kv;
        while (count--) {
            strmap_random(h->map, rng, &s);
            kv_from_map(&s, &kv);
            fn(&kv, arg);
        }
        return;
    }
    if (h->enc == HASH_TABLE && count * 3 <= hash_len(h)) {
        map_random_unique(h->map, count, rng, fn, arg);
        return;
    }
    struct selection s = {count, hash_len(h), rng, fn, arg};
    hash_foreach(h, select_pair, &s);
}

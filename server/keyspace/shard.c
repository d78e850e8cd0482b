/* shard.c - shard storage, lock ordering, volatile index and watch lists.
 * The locking rules are at the top of shard.h. */
#include "server/keyspace/shard.h"

#include <stdlib.h>
#include <string.h>

#include "server/core/mem.h"
#include "server/core/prio.h"

static struct shard *shards;
static uint32_t nshards;
static int shard_shift; /* 64 - log2(nshards) */
static int ndb;

int keyspace_init(int n, int databases)
{
    if (n < 1 || (n & (n - 1)))
        return -1;
    nshards = (uint32_t)n;
    ndb = databases;
    int bits = 0;
    while ((1 << bits) < n)
        bits++;
    shard_shift = 64 - bits;
    if (posix_memalign((void **)&shards, 64, sizeof(struct shard) * nshards))
        return -1;
    memset(shards, 0, sizeof(struct shard) * nshards);
    for (uint32_t i = 0; i < nshards; i++) {
        struct shard *s = &shards[i];
        pthread_mutex_init(&s->lock, NULL);
        s->db = xcalloc((size_t)ndb, sizeof(struct db_slot));
        for (int d = 0; d < ndb; d++) {
            ht_init(&s->db[d].ht, &s->mem);
            s->db[d].snap_db = d;
        }
    }
    return 0;
}

static void free_entry_cb(struct entry *e, void *arg)
{
    (void)arg;
    entry_free(e);
}

void keyspace_deinit(void)
{
    for (uint32_t i = 0; i < nshards; i++) {
        struct shard *s = &shards[i];
        for (struct brec *r = s->bhead, *n; r; r = n) { /* waiters are gone with the workers */
            n = r->next;
            free(r);
        }
        for (int d = 0; d < ndb; d++) {
            evq_reset(&s->db[d].evq);
            ht_deinit(&s->db[d].ht, free_entry_cb, NULL);
            free(s->db[d].vol.v);
        }
        free(s->db);
        while (s->watches) {
            struct watch_rec *w = s->watches;
            s->watches = w->next;
            free(w->key);
            free(w);
        }
        pthread_mutex_destroy(&s->lock);
    }
    free(shards);
    shards = NULL;
}

uint32_t ks_nshards(void) { return nshards; }

size_t ks_static_bytes(void)
{
    size_t n = mem_usable(shards);
    for (uint32_t i = 0; i < nshards; i++)
        n += mem_usable(shards[i].db);
    return n;
}
int ks_ndb(void) { return ndb; }
struct shard *ks_shard(uint32_t i) { return &shards[i]; }

uint32_t ks_shard_index(uint64_t hash)
{
    return shard_shift >= 64 ? 0 : (uint32_t)(hash >> shard_shift);
}

void shard_lock_wait(struct shard *s)
{
    if (__atomic_load_n(&s->idle_holder, __ATOMIC_RELAXED))
        prio_boost();
    pthread_mutex_lock(&s->lock);
}

void shard_lock_set(const uint32_t *idx, size_t n)
{
    for (size_t i = 0; i < n; i++)
        shard_lock(&shards[idx[i]]);
}

void shard_unlock_set(const uint32_t *idx, size_t n)
{
    for (size_t i = n; i-- > 0;)
        shard_unlock(&shards[idx[i]]);
}

void shard_lock_all(void)
{
    for (uint32_t i = 0; i < nshards; i++)
        shard_lock(&shards[i]);
}

void shard_unlock_all(void)
{
    for (uint32_t i = nshards; i-- > 0;)
        shard_unlock(&shards[i]);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

size_t shard_set_normalize(uint32_t *idx, size_t n)
{
    if (n < 2)
        return n;
    qsort(idx, n, sizeof(*idx), cmp_u32);
    size_t o = 1;
    for (size_t i = 1; i < n; i++)
        if (idx[i] != idx[o - 1])
            idx[o++] = idx[i];
    return o;
}

/* ---- volatile index ---- */

static void vol_resize(struct shard *s, struct vol_array *v, uint32_t cap)
{
    long long before = (long long)mem_usable(v->v);
    v->cap = cap;
    v->v = xrealloc(v->v, cap * sizeof(*v->v));
    shard_mem_add(s, (long long)mem_usable(v->v) - before);
}

void vol_add(struct shard *s, struct vol_array *v, struct entry *e)
{
    if (v->n == v->cap)
        vol_resize(s, v, v->cap ? v->cap * 2 : 8);
    entry_set_vol_index(e, v->n);
    v->v[v->n++] = e;
}

void vol_remove(struct shard *s, struct vol_array *v, struct entry *e)
{
    uint32_t i = entry_vol_index(e);
    struct entry *last = v->v[--v->n];
    v->v[i] = last;
    entry_set_vol_index(last, i);
    if (v->cap > 64 && v->n < v->cap / 4) /* give back memory after mass expiry */
        vol_resize(s, v, v->cap / 2);
}

void vol_replace(struct vol_array *v, struct entry *old, struct entry *n)
{
    uint32_t i = entry_vol_index(old);
    entry_set_vol_index(n, i);
    v->v[i] = n;
}

/* ---- database masks ---- */

#define DB_GROUP 63 /* bit 63: databases 63 and up */

static int db_has(const struct db_slot *d, int vol_only)
{
    return vol_only ? d->vol.n != 0 : ht_count(&d->ht) != 0;
}

void shard_db_update(struct shard *s, int db)
{
    const struct db_slot *d = &s->db[db];
    int bit = db < DB_GROUP ? db : DB_GROUP;
    uint64_t m = 1ULL << bit;
    int exact = db < DB_GROUP || ndb == DB_GROUP + 1;
    uint64_t keys = s->keys_dbs, vol = s->vol_dbs;
    if (ht_count(&d->ht))
        keys |= m;
    else if (exact)
        keys &= ~m;
    /* emptied with buckets to give back: the expiry slice still shrinks it */
    if (!ht_count(&d->ht) && !ht_at_rest(&d->ht) && !(s->resize_dbs & m))
        __atomic_store_n(&s->resize_dbs, s->resize_dbs | m, __ATOMIC_RELAXED);
    if (d->vol.n)
        vol |= m;
    else if (exact)
        vol &= ~m;
    if (keys != s->keys_dbs) /* relaxed stores: shard_db_hint reads unlocked */
        __atomic_store_n(&s->keys_dbs, keys, __ATOMIC_RELAXED);
    if (vol != s->vol_dbs)
        __atomic_store_n(&s->vol_dbs, vol, __ATOMIC_RELAXED);
}

int shard_next_db(struct shard *s, int vol_only, int from)
{
    uint64_t *mask = vol_only ? &s->vol_dbs : &s->keys_dbs;
    if (from < DB_GROUP) {
        uint64_t m = *mask & (~0ULL << from);
        if (!m)
            return -1;
        int db = __builtin_ctzll(m);
        if (db < DB_GROUP || ndb == DB_GROUP + 1)
            return db;
        from = DB_GROUP;
    } else if (!(*mask >> DB_GROUP)) {
        return -1;
    }
    for (int db = from; db < ndb; db++)
        if (db_has(&s->db[db], vol_only))
            return db;
    if (from == DB_GROUP) /* scanned the whole group: it is empty */
        __atomic_store_n(mask, *mask & ~(1ULL << DB_GROUP), __ATOMIC_RELAXED);
    return -1;
}

int shard_pick_db(struct shard *s, int vol_only, uint64_t r)
{
    if (!(vol_only ? s->vol_dbs : s->keys_dbs))
        return -1;
    int db = shard_next_db(s, vol_only, (int)(r % (uint64_t)ndb));
    return db >= 0 ? db : shard_next_db(s, vol_only, 0);
}

/* ---- WATCH ---- */

void shard_watch_add(struct shard *s, int db, const char *key, size_t klen, uint64_t hash,
                     int *dirty)
{
    for (struct watch_rec *w = s->watches; w; w = w->next)
        if (w->dirty == dirty && w->db == db && w->hash == hash && w->klen == klen &&
            !memcmp(w->key, key, klen))
            return; /* already watched by this client */
    struct watch_rec *w = xmalloc(sizeof(*w));
    w->db = db;
    w->hash = hash;
    w->klen = klen;
    w->key = xmemdup(key, klen);
    w->dirty = dirty;
    w->next = s->watches;
    s->watches = w;
    s->nwatch++;
}

void shard_watch_remove(struct shard *s, int *dirty)
{
    struct watch_rec **pp = &s->watches;
    while (*pp) {
        struct watch_rec *w = *pp;
        if (w->dirty == dirty) {
            *pp = w->next;
            free(w->key);
            free(w);
            s->nwatch--;
        } else {
            pp = &w->next;
        }
    }
}

void shard_signal_key(struct shard *s, int db, const char *key, size_t klen, uint64_t hash)
{
    __atomic_store_n(&s->dirty, s->dirty + 1, __ATOMIC_RELAXED);
    if (!s->nwatch)
        return;
    for (struct watch_rec *w = s->watches; w; w = w->next)
        if (w->hash == hash && w->db == db && w->klen == klen && !memcmp(w->key, key, klen))
            __atomic_store_n(w->dirty, 1, __ATOMIC_RELAXED);
}

void shard_signal_db(struct shard *s, int db)
{
    for (struct watch_rec *w = s->watches; w; w = w->next) {
        struct ht_pos pos;
        if (w->db == db && ht_find(&s->db[db].ht, w->key, w->klen, w->hash, &pos))
            __atomic_store_n(w->dirty, 1, __ATOMIC_RELAXED);
    }
}

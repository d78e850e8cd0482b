/* keyspace.c - see keyspace.h. */
#include "server/keyspace/keyspace.h"

#include <stdlib.h>

#include "eviction/policy.h"
#include "persistence/snapshot.h"
#include "server/core/clock.h"
#include "server/core/mem.h"

void key_init(struct key *k, const char *p, size_t len)
{
    k->p = p;
    k->len = len;
    k->hash = ht_hash(p, len);
    k->s = ks_shard(ks_shard_index(k->hash));
}

static void account_in(struct shard *s, struct db_slot *d, struct entry *e)
{
    if (e->flags & E_VOLATILE)
        vol_add(s, &d->vol, e);
    shard_mem_add(s, (long long)entry_mem(e));
}

static void account_out(struct shard *s, struct db_slot *d, struct entry *e)
{
    if (e->flags & E_VOLATILE)
        vol_remove(s, &d->vol, e);
    shard_mem_add(s, -(long long)entry_mem(e));
}

/* Remove and free the entry at pos (already known expired or deleted).
 * Here and wherever an entry is replaced, re-expired or detached, a save in
 * progress first keeps the old version (snapshot.h). */
static void drop(struct shard *s, int db, struct ht_pos *pos)
{
    struct db_slot *d = &s->db[db];
    snapshot_keep(s, db, *pos->link);
    struct entry *e = ht_remove(&d->ht, pos);
    evict_on_remove(d, e);
    account_out(s, d, e);
    shard_db_update(s, db);
    entry_free(e);
}

/* The live entry for k in db and its position (a lookup that finds it
 * expired drops it), or NULL. */
static struct entry *lookup_pos(const struct ks_env *env, int db, const struct key *k,
                                struct ht_pos *pos)
{
    struct db_slot *d = &k->s->db[db];
    if (!ht_find(&d->ht, k->p, k->len, k->hash, pos))
        return NULL;
    struct entry *e = *pos->link;
    int64_t exp = entry_expire(e);
    if (exp >= 0 && exp <= env->now_ms) {
        drop(k->s, db, pos);
        shard_signal_key(k->s, db, k->p, k->len, k->hash);
        if (env->expired)
            __atomic_store_n(env->expired, *env->expired + 1, __ATOMIC_RELAXED);
        return NULL;
    }
    return e;
}

struct entry *ks_lookup(const struct ks_env *env, int db, const struct key *k, int flags)
{
    struct ht_pos pos;
    struct entry *e = lookup_pos(env, db, k, &pos);
    if (e && flags == KS_TOUCH)
        evict_on_access(e, env->now_ms);
    return e;
}

/* After e was stored under k: wake WATCHers and clients blocked on k. */
static void stored(struct shard *s, int db, const struct key *k, struct entry *e)
{
    shard_db_update(s, db);
    shard_signal_key(s, db, k->p, k->len, k->hash);
    if (s->nblocked && (entry_type(e) == T_LIST || entry_type(e) == T_ZSET))
        ks_signal_ready(s, db, k->p, k->len, k->hash);
}

void ks_store(const struct ks_env *env, int db, const struct key *k, struct entry *e)
{
    struct shard *s = k->s;
    struct db_slot *d = &s->db[db];
    struct ht_pos pos;
    snapshot_settle_new(s, e);
    if (ht_find(&d->ht, k->p, k->len, k->hash, &pos)) {
        snapshot_keep(s, db, *pos.link);
        /* an overwrite keeps the key's history (LFU count, FIFO position)
         * and counts as an access, as Redis's dbSetValue does */
        evict_on_replace(d, *pos.link, e);
        evict_on_access(e, env->now_ms);
        struct entry *old = ht_replace(&d->ht, &pos, e);
        if ((old->flags & E_VOLATILE) && (e->flags & E_VOLATILE)) {
            vol_replace(&d->vol, old, e);
            shard_mem_add(s, (long long)entry_mem(e) - (long long)entry_mem(old));
        } else {
            account_out(s, d, old);
            account_in(s, d, e);
        }
        entry_free(old);
    } else {
        evict_on_insert(s, d, e, k->hash, env->now_ms);
        ht_insert(&d->ht, e, k->hash);
        account_in(s, d, e);
    }
    stored(s, db, k, e);
}

int ks_add(const struct ks_env *env, int db, const struct key *k, struct entry *e)
{
    struct shard *s = k->s;
    struct db_slot *d = &s->db[db];
    struct ht_pos pos;
    if (ht_find(&d->ht, k->p, k->len, k->hash, &pos)) {
        int64_t exp = entry_expire(*pos.link);
        if (exp < 0 || exp > env->now_ms)
            return 0;
        /* expired: gone, as ks_lookup would have made it */
        drop(s, db, &pos);
        if (env->expired)
            __atomic_store_n(env->expired, *env->expired + 1, __ATOMIC_RELAXED);
    }
    snapshot_settle_new(s, e);
    evict_on_insert(s, d, e, k->hash, env->now_ms);
    ht_insert(&d->ht, e, k->hash);
    account_in(s, d, e);
    stored(s, db, k, e);
    return 1;
}

void ks_prefetch(int db, const struct key *k)
{
    shard_lock(k->s);
    ht_prefetch(&k->s->db[db].ht, k->hash);
    shard_unlock(k->s);
}

void ks_reserve(int db, uint64_t nkeys)
{
    /* Keys spread evenly by hash; ht_reserve leaves room for twice the
     * share, so an unlucky shard still does not grow. */
    uint64_t share = nkeys / ks_nshards() + 1;
    for (uint32_t i = 0; i < ks_nshards(); i++) {
        struct shard *s = ks_shard(i);
        shard_lock(s);
        ht_reserve(&s->db[db].ht, share);
        shard_unlock(s);
    }
}

int ks_delete(const struct ks_env *env, int db, const struct key *k)
{
    struct ht_pos pos;
    if (!lookup_pos(env, db, k, &pos))
        return 0;
    drop(k->s, db, &pos);
    shard_signal_key(k->s, db, k->p, k->len, k->hash);
    return 1;
}

int ks_evict(const struct ks_env *env, int db, const struct key *k, int vol_only)
{
    struct ht_pos pos;
    struct entry *e = lookup_pos(env, db, k, &pos);
    if (!e || (vol_only && !(e->flags & E_VOLATILE)))
        return 0;
    drop(k->s, db, &pos);
    shard_signal_key(k->s, db, k->p, k->len, k->hash);
    return 1;
}

int ks_evict_entry(const struct ks_env *env, struct shard *s, int db, struct entry *e,
                   uint64_t hash)
{
    struct db_slot *d = &s->db[db];
    struct ht_pos pos;
    if (!ht_find_entry(&d->ht, e, hash, &pos))
        return 0; /* not stored here: the caller's bug, and nothing to free */
    size_t klen;
    const char *key = entry_key(e, &klen);
    int64_t exp = entry_expire(e);
    int live = exp < 0 || exp > env->now_ms;
    shard_signal_key(s, db, key, klen, hash); /* before drop frees the key */
    drop(s, db, &pos);
    if (!live && env->expired)
        __atomic_store_n(env->expired, *env->expired + 1, __ATOMIC_RELAXED);
    return live;
}

struct entry *ks_set_expire(const struct ks_env *env, int db, const struct key *k,
                            struct entry *e, int64_t when_ms)
{
    struct shard *s = k->s;
    struct db_slot *d = &s->db[db];
    int was = (e->flags & E_VOLATILE) != 0, will = when_ms >= 0;
    if (!was && !will)
        return e;
    snapshot_keep(s, db, e);
    if (was && will) { /* same shape: rewrite in place */
        entry_set_expire_field(e, when_ms);
        shard_signal_key(s, db, k->p, k->len, k->hash);
        return e;
    }
    struct ht_pos pos;
    ht_find(&d->ht, k->p, k->len, k->hash, &pos);
    struct entry *n = entry_with_expire(e, when_ms);
    evict_on_replace(d, e, n);
    ht_replace(&d->ht, &pos, n);
    if (was)
        vol_remove(s, &d->vol, e);
    if (will)
        vol_add(s, &d->vol, n);
    shard_db_update(s, db);
    shard_mem_add(s, (long long)mem_usable(n) - (long long)mem_usable(e));
    entry_free_shell(e); /* any value buffer moved to n */
    shard_signal_key(s, db, k->p, k->len, k->hash);
    return n;
}

struct entry *ks_detach(const struct ks_env *env, int db, const struct key *k)
{
    struct ht_pos pos;
    if (!lookup_pos(env, db, k, &pos))
        return NULL;
    struct db_slot *d = &k->s->db[db];
    snapshot_keep(k->s, db, *pos.link);
    struct entry *e = ht_remove(&d->ht, &pos);
    evict_on_remove(d, e);
    account_out(k->s, d, e);
    shard_db_update(k->s, db);
    shard_signal_key(k->s, db, k->p, k->len, k->hash);
    return e;
}

void ks_value_resized(struct shard *s, size_t old_bytes, size_t new_bytes)
{
    shard_mem_add(s, (long long)new_bytes - (long long)old_bytes);
}

void ks_modified(int db, const struct key *k, struct entry *e)
{
    if (e->flags & E_MCMETA)
        entry_set_cas(e, 0);
    shard_signal_key(k->s, db, k->p, k->len, k->hash);
}

uint64_t ks_cas(const struct ks_env *env, int db, const struct key *k, struct entry **ep)
{
    struct entry *e = *ep;
    uint64_t cas = entry_cas(e);
    if (cas)
        return cas;
    struct shard *s = k->s;
    cas = (++s->cas_seq << 16) | (ks_shard_index(k->hash) & 0xffff);
    if (e->flags & E_MCMETA) {
        entry_set_cas(e, cas);
        return cas;
    }
    struct entry_meta m;
    entry_get_meta(e, &m);
    m.mc = 1;
    m.cas = cas;
    struct db_slot *d = &s->db[db];
    struct ht_pos pos;
    ht_find(&d->ht, k->p, k->len, k->hash, &pos);
    struct entry *n = entry_reshape_meta(e, &m);
    evict_on_replace(d, e, n);
    ht_replace(&d->ht, &pos, n);
    if (e->flags & E_VOLATILE)
        vol_replace(&d->vol, e, n);
    shard_mem_add(s, (long long)mem_usable(n) - (long long)mem_usable(e));
    entry_free_shell(e);
    (void)env;
    *ep = n;
    return cas;
}

static void free_entry_cb(struct entry *e, void *arg)
{
    struct shard *s = arg;
    shard_mem_add(s, -(long long)entry_mem(e));
    entry_free(e);
}

uint64_t ks_flush_db_locked(struct shard *s, int db)
{
    struct db_slot *d = &s->db[db];
    uint64_t n = ht_count(&d->ht);
    if (s->nwatch)
        shard_signal_db(s, db);
    __atomic_store_n(&s->dirty, s->dirty + n, __ATOMIC_RELAXED);
    evict_on_flush(s, d);
    if (!snapshot_adopt_locked(s, db, &d->ht)) /* else the save frees it */
        ht_deinit(&d->ht, free_entry_cb, s);
    ht_init(&d->ht, &s->mem);
    shard_mem_add(s, -(long long)mem_usable(d->vol.v));
    free(d->vol.v);
    d->vol.v = NULL;
    d->vol.n = d->vol.cap = d->vol.cursor = 0;
    shard_db_update(s, db);
    return n;
}

void ks_swap_db_locked(struct shard *s, int a, int b)
{
    if (s->nwatch) {
        shard_signal_db(s, a);
        shard_signal_db(s, b);
    }
    struct db_slot t = s->db[a];
    s->db[a] = s->db[b];
    s->db[b] = t;
    snapshot_swapped_locked(s, a, b);
    shard_db_update(s, a);
    shard_db_update(s, b);
}

void ks_db_counts(int db, uint64_t *keys, uint64_t *volatile_keys)
{
    uint64_t k = 0, v = 0;
    for (uint32_t i = 0; i < ks_nshards(); i++) {
        struct shard *s = ks_shard(i);
        shard_lock(s);
        k += ht_count(&s->db[db].ht);
        v += s->db[db].vol.n;
        shard_unlock(s);
    }
    *keys = k;
    *volatile_keys = v;
}

/* The sweep visits entries from the cursor onwards; a deleted slot is
 * refilled by the array's last element (swap-remove), so the cursor stays
 * put after a deletion.  Each call may step past n/slices_per_sec + 1 live
 * keys, so every volatile key is examined about once a second whatever its
 * TTL; reclaiming expired keys does not count against that quota (a mass
 * expiry is cleared as fast as the time budget allows).  The budget,
 * checked every 32 visits, caps how long the shard lock is held, and a
 * per-shard db cursor makes the next slice resume where this one stopped,
 * so no database is starved.  The same slice advances any rehash and
 * shrinks tables left mostly empty, so a table that stops receiving writes
 * still finishes resizing - except while a snapshot loads: the loader
 * sized the tables for the keys still to come (ks_reserve), and shrinking
 * them would start the rehash it was avoiding. */
uint64_t ks_expire_slice(struct shard *s, int64_t now_ms, int64_t budget_us, int slices_per_sec)
{
    uint64_t expired = 0, ops = 0;
    /* A shard with no keys and no table left to resize is skipped without
     * its lock: an idle server's ticks cost next to nothing.  The masks are
     * written under the lock; a key stored meanwhile waits for next tick. */
    uint64_t busy = __atomic_load_n(&s->keys_dbs, __ATOMIC_RELAXED) |
                    __atomic_load_n(&s->vol_dbs, __ATOMIC_RELAXED) |
                    __atomic_load_n(&s->resize_dbs, __ATOMIC_RELAXED);
    if (!busy)
        return 0;
    int64_t start = clock_mono_us();
    int ndb = ks_ndb();
    shard_lock(s);
    busy = s->keys_dbs | s->vol_dbs | s->resize_dbs;
    for (int k = 0; k < ndb; k++) {
        int db = (s->expire_db + k) % ndb;
        uint64_t bit = 1ULL << (db < 63 ? db : 63);
        if (!(busy & bit))
            continue;
        struct db_slot *d = &s->db[db];
        if (d->ht.rehash_idx >= 0)
            ht_rehash_step(&d->ht, 64);
        else if (!snapshot_loading())
            ht_maybe_shrink(&d->ht);
        if (!ht_at_rest(&d->ht))
            __atomic_store_n(&s->resize_dbs, s->resize_dbs | bit, __ATOMIC_RELAXED);
        else if (db < 63)
            __atomic_store_n(&s->resize_dbs, s->resize_dbs & ~bit, __ATOMIC_RELAXED);
        uint32_t quota = d->vol.n / (uint32_t)slices_per_sec + 1, live = 0;
        while (live < quota && d->vol.n) {
            if (d->vol.cursor >= d->vol.n)
                d->vol.cursor = 0;
            struct entry *e = d->vol.v[d->vol.cursor];
            if (entry_expire(e) <= now_ms) {
                size_t klen;
                const char *key = entry_key(e, &klen);
                uint64_t h = ht_hash(key, klen);
                struct ht_pos pos;
                if (ht_find(&d->ht, key, klen, h, &pos)) {
                    shard_signal_key(s, db, key, klen, h);
                    drop(s, db, &pos);
                    expired++;
                }
            } else {
                d->vol.cursor++;
                live++;
            }
            if ((++ops & 31) == 0 && clock_mono_us() - start > budget_us) {
                s->expire_db = db; /* resume this db next time */
                goto out;
            }
        }
    }
    s->expire_db = (s->expire_db + 1) % ndb;
out:
    shard_unlock(s);
    return expired;
}

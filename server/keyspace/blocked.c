/* blocked.c - see blocked.h.  Records are a singly linked FIFO per shard:
 * blocked clients are few next to keys, and a push to a shard with no
 * waiters pays one load (s->nblocked). */
#include "server/keyspace/blocked.h"

#include <stdlib.h>
#include <string.h>

#include "server/core/mem.h"
#include "server/keyspace/shard.h"

static int same(const struct brec *r, int db, const char *key, size_t klen, uint64_t hash)
{
    return r->hash == hash && r->db == db && r->klen == klen && !memcmp(r->key, key, klen);
}

void ks_block_add(struct shard *s, int db, const char *key, size_t klen, uint64_t hash,
                  void *waiter)
{
    struct brec *r = xmalloc(sizeof(*r) + klen);
    r->next = NULL;
    r->waiter = waiter;
    r->db = db;
    r->hash = hash;
    r->klen = klen;
    memcpy(r->key, key, klen);
    if (s->btail)
        s->btail->next = r;
    else
        s->bhead = r;
    s->btail = r;
    __atomic_store_n(&s->nblocked, s->nblocked + 1, __ATOMIC_RELAXED);
}

int ks_block_remove(struct shard *s, int db, const char *key, size_t klen, uint64_t hash,
                    void *waiter)
{
    struct brec *prev = NULL;
    for (struct brec *r = s->bhead; r; prev = r, r = r->next) {
        if (r->waiter != waiter || !same(r, db, key, klen, hash))
            continue;
        if (prev)
            prev->next = r->next;
        else
            s->bhead = r->next;
        if (s->btail == r)
            s->btail = prev;
        free(r);
        __atomic_store_n(&s->nblocked, s->nblocked - 1, __ATOMIC_RELAXED);
        return 1;
    }
    return 0;
}

void *ks_block_first(struct shard *s, int db, const char *key, size_t klen, uint64_t hash,
                     int (*accept)(void *waiter))
{
    for (struct brec *r = s->bhead; r; r = r->next)
        if (same(r, db, key, klen, hash) && accept(r->waiter))
            return r->waiter;
    return NULL;
}

static __thread struct ready_key *ready;
static __thread int nready, ready_cap;

void ks_signal_ready(struct shard *s, int db, const char *key, size_t klen, uint64_t hash)
{
    if (!s->nblocked)
        return;
    struct brec *r = s->bhead;
    while (r && !same(r, db, key, klen, hash))
        r = r->next;
    if (!r)
        return;
    for (int i = 0; i < nready; i++)
        if (ready[i].hash == hash && ready[i].db == db && ready[i].klen == klen &&
            !memcmp(ready[i].key, key, klen))
            return; /* already noted */
    if (nready == ready_cap) {
        ready_cap = ready_cap ? ready_cap * 2 : 8;
        ready = xrealloc(ready, sizeof(*ready) * (size_t)ready_cap);
    }
    ready[nready++] = (struct ready_key){db, hash, klen, xmemdup(key, klen)};
}

int ks_ready_take(struct ready_key **out)
{
    int n = nready;
    *out = ready;
    ready = NULL;
    nready = ready_cap = 0;
    return n;
}

int ks_ready_pending(void)
{
    return nready != 0;
}

/* rdb_restore.c - loading an RDB file into the keyspace at start-up: the
 * glue between the pure decoder (rdb_read.h) and our types.  Each key is
 * built outside the keyspace from the decoder's element stream, then
 * stored under its shard's lock (workers are already serving -LOADING and
 * INFO).  Expired keys are counted and dropped, empty collections skipped,
 * duplicates refused, as Redis does. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "persistence/rdb_read.h"
#include "persistence/snapshot.h"
#include "server/core/clock.h"
#include "server/core/log.h"
#include "server/core/mem.h"
#include "server/keyspace/keyspace.h"
#include "server/types/quicklist.h"
#include "server/types/t_hash.h"
#include "server/types/t_list.h"
#include "server/types/t_set.h"
#include "server/types/t_zset.h"
#include "server/types/types.h"

static int loading;
static struct load_status status; /* fields written with relaxed atomics */

void snapshot_loading_begin(void)
{
    __atomic_store_n(&loading, 1, __ATOMIC_RELEASE);
}

int snapshot_loading(void)
{
    return __atomic_load_n(&loading, __ATOMIC_ACQUIRE);
}

void snapshot_load_status(struct load_status *out)
{
    out->start_s = __atomic_load_n(&status.start_s, __ATOMIC_RELAXED);
    out->total_bytes = __atomic_load_n(&status.total_bytes, __ATOMIC_RELAXED);
    out->loaded_bytes = __atomic_load_n(&status.loaded_bytes, __ATOMIC_RELAXED);
    out->keys_loaded = __atomic_load_n(&status.keys_loaded, __ATOMIC_RELAXED);
    out->keys_expired = __atomic_load_n(&status.keys_expired, __ATOMIC_RELAXED);
}

/* Duplicate members and fields within one key.  Our compact encodings
 * find a member by scanning, so checking each arriving element that way
 * made loading a collection quadratic (most of a load's time went to it).
 * Instead the loader keeps the 64-bit hashes of the key's elements so far
 * in a small open-addressing table: a hash not seen before means the
 * element is new and goes in unchecked (set_add_new and friends); a hash
 * seen before (a duplicate, or a 2^-64 collision) goes through the type's
 * own exact check.  The table holds at most DUP_MAX hashes, so it stays a
 * few tens of KB; past that a collection has outgrown the compact
 * encodings and its own lookups are O(1).  A generation number per slot
 * empties the table for the next key without clearing it. */
#define DUP_MAX 1024
#define DUP_SLOTS (2 * DUP_MAX) /* a power of two, at most half full */

struct dup_slot {
    uint64_t hash;
    uint32_t gen;
};

struct dupcheck {
    struct dup_slot *slot; /* DUP_SLOTS */
    uint32_t gen, used;
};

static void dup_reset(struct dupcheck *d)
{
    d->used = 0;
    if (++d->gen == 0) { /* wrapped: every slot's stamp could look current */
        memset(d->slot, 0, DUP_SLOTS * sizeof(*d->slot));
        d->gen = 1;
    }
}

/* 1: certainly not seen in this key; 0: maybe seen (or the table is full):
 * check exactly. */
static int dup_first_sight(struct dupcheck *d, const char *p, size_t n)
{
    if (d->used >= DUP_MAX)
        return 0;
    uint64_t h = ht_hash(p, n);
    for (uint32_t i = (uint32_t)h & (DUP_SLOTS - 1);; i = (i + 1) & (DUP_SLOTS - 1)) {
        struct dup_slot *s = &d->slot[i];
        if (s->gen != d->gen) {
            s->hash = h;
            s->gen = d->gen;
            d->used++;
            return 1;
        }
        if (s->hash == h)
            return 0;
    }
}

/* Keys built but not yet stored.  Storing a key reads its bucket, a cache
 * miss: keys arrive in an order unrelated to our hash (Redis writes them
 * in its own dict's order), over 100+ MB of buckets, so every store
 * stalled on DRAM (and the TLB) - the largest single cost of a load.  The
 * loader therefore prefetches the bucket when a key is complete and stores
 * it PENDING keys later, when the line has arrived, while the keys in
 * between are decoded.  FIFO, so a repeated key still meets the first one
 * in the table; a duplicate found late is reported with its own offset
 * (rdb_key_error), and whatever is pending is stored at the end of the
 * file or freed on an error.  16 keys of small values are a few
 * microseconds of decoding, enough to cover a miss with room to spare. */
#define PENDING 16

struct pending_key {
    struct entry *e;
    struct key k; /* k.p points at the entry's own copy of the name */
    uint64_t db, offset;
    enum rdb_kind kind;
};

struct loader {
    int fd;
    int64_t now_ms, next_log_ms;
    uint64_t db;             /* from the last SELECTDB */
    uint64_t reserve_left;   /* keys RESIZEDB hints may still pre-size for */
    const struct rdb_key_info *key; /* the key being built (valid to end()) */
    int type;                /* its T_* */
    void *obj;               /* its object (collections) */
    struct entry *str;       /* or its entry, built when the string arrives */
    struct dupcheck dup;     /* its members or fields so far */
    struct pending_key pend[PENDING]; /* a ring: pend_n keys from pend_head */
    unsigned pend_head, pend_n;
    char fail[384];          /* set when a pending key could not be stored */
    char msg[160];
};

/* RESIZEDB hints are believed for at most file size / 8 keys in all: a
 * record takes at least 3 bytes (type, key length, value length) and real
 * ones far more, so an honest file is never cut short, and a file that
 * claims more keys than it could hold gets no more pre-sizing than an
 * honest one of its size (the rest grow as usual). */
#define RESERVE_BYTES_PER_KEY 8

static ssize_t read_file(void *ctx, void *buf, size_t n)
{
    struct loader *l = ctx;
    ssize_t r;
    do
        r = read(l->fd, buf, n);
    while (r < 0 && errno == EINTR);
    if (r > 0) {
        uint64_t done = __atomic_add_fetch(&status.loaded_bytes, (uint64_t)r, __ATOMIC_RELAXED);
        int64_t now = clock_wall_ms();
        if (now >= l->next_log_ms) { /* a progress line every 2 s */
            l->next_log_ms = now + 2000;
            uint64_t total = status.total_bytes;
            log_notice("Loading RDB: %.1f%% (%llu of %llu bytes, %llu keys)",
                       total ? 100.0 * (double)done / (double)total : 0.0,
                       (unsigned long long)done, (unsigned long long)total,
                       (unsigned long long)status.keys_loaded);
        }
    }
    return r;
}

static const char *on_select_db(void *ctx, uint64_t db)
{
    struct loader *l = ctx;
    if (db >= (uint64_t)ks_ndb()) {
        snprintf(l->msg, sizeof(l->msg),
                 "the file uses database %llu but `databases` is %d",
                 (unsigned long long)db, ks_ndb());
        return l->msg;
    }
    l->db = db;
    return NULL;
}

/* RESIZEDB: size the tables once for the keys that follow, instead of
 * growing them through every power of two with incremental rehashes that
 * re-read each moved entry's key. */
static const char *on_resize_db(void *ctx, uint64_t db_size, uint64_t expires_size)
{
    struct loader *l = ctx;
    (void)expires_size;
    if (db_size > l->reserve_left)
        db_size = l->reserve_left;
    l->reserve_left -= db_size;
    if (db_size)
        ks_reserve((int)l->db, db_size);
    return NULL;
}

static const char *on_begin(void *ctx, const struct rdb_key_info *k)
{
    struct loader *l = ctx;
    if (k->db >= (uint64_t)ks_ndb())
        return on_select_db(ctx, k->db);
    l->key = k;
    dup_reset(&l->dup);
    l->str = NULL;
    l->obj = NULL;
    switch (k->kind) {
    case RDB_KIND_STRING: l->type = T_STRING; break;
    case RDB_KIND_LIST: l->type = T_LIST; l->obj = list_create(); break;
    case RDB_KIND_SET: l->type = T_SET; l->obj = set_create(); break;
    case RDB_KIND_ZSET: l->type = T_ZSET; l->obj = zset_create(); break;
    case RDB_KIND_HASH: l->type = T_HASH; l->obj = hash_create(); break;
    }
    return NULL;
}

static const char *on_string(void *ctx, const char *p, size_t n)
{
    struct loader *l = ctx;
    const struct rdb_key_info *k = l->key;
    if (l->str) /* the reader gives a string key one value; stay safe anyway */
        entry_free(l->str);
    l->str = entry_new_string(k->key, k->klen, p, n,
                              k->expire_ms == RDB_NO_EXPIRE ? -1 : k->expire_ms);
    return NULL;
}

static const char *on_list_item(void *ctx, const char *p, size_t n)
{
    struct loader *l = ctx;
    ql_push(l->obj, QL_TAIL, p, n, list_fill());
    return NULL;
}

static const char *on_set_member(void *ctx, const char *p, size_t n)
{
    struct loader *l = ctx;
    if (dup_first_sight(&l->dup, p, n)) {
        set_add_new(l->obj, p, n);
        return NULL;
    }
    return set_add(l->obj, p, n) ? NULL : "duplicate set member";
}

static const char *on_zset_member(void *ctx, const char *p, size_t n, double score)
{
    struct loader *l = ctx;
    int out = 0;
    double now;
    if (dup_first_sight(&l->dup, p, n))
        return zset_add_new(l->obj, score, p, n) ? NULL : "score is not a number (NaN)";
    if (!zset_add(l->obj, score, p, n, 0, &out, &now))
        return "score is not a number (NaN)";
    return out & ZADD_ADDED ? NULL : "duplicate sorted set member";
}

static const char *on_hash_field(void *ctx, const char *f, size_t fl, const char *v, size_t vl)
{
    struct loader *l = ctx;
    if (dup_first_sight(&l->dup, f, fl)) {
        hash_add_new(l->obj, f, fl, v, vl);
        return NULL;
    }
    return hash_set(l->obj, f, fl, v, vl) ? NULL : "duplicate hash field";
}

static void drop_partial(struct loader *l)
{
    if (l->str)
        entry_free(l->str);
    if (l->obj)
        type_ops_of(l->type)->destroy(l->obj);
    l->str = NULL;
    l->obj = NULL;
}

/* Store the oldest pending key.  0, or -1 with l->fail set. */
static int store_oldest(struct loader *l)
{
    struct pending_key *p = &l->pend[l->pend_head];
    l->pend_head = (l->pend_head + 1) % PENDING;
    l->pend_n--;
    struct ks_env env = {l->now_ms, NULL};
    shard_lock(p->k.s);
    int stored = ks_add(&env, (int)p->db, &p->k, p->e);
    shard_unlock(p->k.s);
    if (!stored) {
        rdb_key_error(l->fail, sizeof(l->fail), p->offset, p->k.p, p->k.len, p->kind,
                      "duplicate key");
        entry_free(p->e);
        return -1;
    }
    __atomic_add_fetch(&status.keys_loaded, 1, __ATOMIC_RELAXED);
    return 0;
}

/* At the end of the file: store what is pending.  0 or -1 (l->fail). */
static int store_pending(struct loader *l)
{
    while (l->pend_n)
        if (store_oldest(l) < 0)
            return -1;
    return 0;
}

/* After a failure: free what was never stored. */
static void drop_pending(struct loader *l)
{
    for (; l->pend_n; l->pend_n--, l->pend_head = (l->pend_head + 1) % PENDING)
        entry_free(l->pend[l->pend_head].e);
}

static const char *on_end(void *ctx, const struct rdb_key_info *k)
{
    struct loader *l = ctx;
    int64_t exp = k->expire_ms == RDB_NO_EXPIRE ? -1 : k->expire_ms;
    int empty = l->type == T_STRING ? !l->str : type_ops_of(l->type)->len(l->obj) == 0;
    if ((exp >= 0 && exp <= l->now_ms) || empty) {
        if (exp >= 0 && exp <= l->now_ms)
            __atomic_add_fetch(&status.keys_expired, 1, __ATOMIC_RELAXED);
        drop_partial(l);
        return NULL;
    }
    struct entry *e = l->type == T_STRING ? l->str
                                          : entry_new_obj(k->key, k->klen, l->type, l->obj, exp);
    l->str = NULL;
    l->obj = NULL;
    if (l->pend_n == PENDING && store_oldest(l) < 0)
        return "a key read earlier could not be stored"; /* l->fail says which */
    struct pending_key *p = &l->pend[(l->pend_head + l->pend_n++) % PENDING];
    size_t klen;
    const char *name = entry_key(e, &klen);
    *p = (struct pending_key){.e = e, .db = k->db, .offset = k->offset, .kind = k->kind};
    key_init(&p->k, name, klen);
    ks_prefetch((int)p->db, &p->k);
    return NULL;
}

int snapshot_load(const char *path, char *err, size_t cap)
{
    struct loader l = {.fd = open(path, O_RDONLY | O_CLOEXEC)};
    if (l.fd < 0) {
        int e = errno;
        __atomic_store_n(&loading, 0, __ATOMIC_RELEASE);
        if (e == ENOENT)
            return 0; /* nothing saved yet */
        snprintf(err, cap, "can't open: %s", strerror(e));
        return -1;
    }
    struct stat st;
    uint64_t size = fstat(l.fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    l.now_ms = clock_wall_ms();
    l.next_log_ms = l.now_ms + 2000;
    l.reserve_left = size / RESERVE_BYTES_PER_KEY;
    l.dup.slot = xcalloc(DUP_SLOTS, sizeof(*l.dup.slot));
    /* INFO may read these at any time (workers serve -LOADING meanwhile) */
    __atomic_store_n(&status.start_s, l.now_ms / 1000, __ATOMIC_RELAXED);
    __atomic_store_n(&status.total_bytes, size, __ATOMIC_RELAXED);
    __atomic_store_n(&status.loaded_bytes, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&status.keys_loaded, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&status.keys_expired, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&loading, 1, __ATOMIC_RELEASE);
    log_notice("Loading RDB produced by %s (%llu bytes)", path, (unsigned long long)size);
    static const struct rdb_sink sink = {
        .select_db = on_select_db,
        .resize_db = on_resize_db,
        .begin = on_begin,
        .string = on_string,
        .list_item = on_list_item,
        .set_member = on_set_member,
        .zset_member = on_zset_member,
        .hash_field = on_hash_field,
        .end = on_end,
    };
    struct rdb_read_opts opts = {.input_size = size, .max_string = 0};
    struct rdb_read_result res;
    int rc = rdb_read(read_file, &l, &sink, &l, &opts, &res);
    if (rc == 0 && store_pending(&l) < 0)
        rc = -1;
    if (rc != 0) {
        drop_partial(&l);
        drop_pending(&l);
    }
    close(l.fd);
    free(l.dup.slot);
    __atomic_store_n(&loading, 0, __ATOMIC_RELEASE);
    if (rc != 0) {
        snprintf(err, cap, "%s", l.fail[0] ? l.fail : res.err.msg);
        return -1;
    }
    snapshot_mark_clean();
    log_notice("DB loaded from disk: %llu keys, %llu expired keys dropped, %.3f seconds",
               (unsigned long long)status.keys_loaded, (unsigned long long)status.keys_expired,
               (double)(clock_wall_ms() - l.now_ms) / 1000.0);
    return 0;
}

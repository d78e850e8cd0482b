/* blocking.c - see blocking.h for the protocol between threads. */
#include "server/commands/blocking.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "server/commands/dispatch.h"
#include "server/core/clock.h"
#include "server/core/mem.h"
#include "server/core/util.h"
#include "server/keyspace/blocked.h"
#include "server/net/client.h"
#include "server/net/conn.h"
#include "server/net/worker.h"

enum { W_WAITING, W_SERVING, W_DONE };

static long nblocked; /* atomic: INFO blocked_clients */

long blocking_count(void)
{
    return __atomic_load_n(&nblocked, __ATOMIC_RELAXED);
}

struct bwaiter {
    int state; /* atomic: W_* */
    int refs;  /* atomic: records + client + inbox + servers holding it */
    struct worker *owner;
    struct client *cl; /* owner thread only; NULL once the client is gone */
    const struct command *cmd;
    int argc;
    char **argv;
    size_t *argl;
    int *keys; /* argv indexes of the keys it waits on */
    int nkeys;
    int db, resp;
    int64_t deadline_ms; /* 0: none */
    struct obuf reply;   /* written by the serving thread */
    struct bwaiter *inbox_next;      /* owner's inbox (inbox_lock) */
    struct bwaiter *prev, *next;     /* owner's blocked list */
};

static void waiter_unref(struct bwaiter *w)
{
    if (__atomic_sub_fetch(&w->refs, 1, __ATOMIC_ACQ_REL))
        return;
    for (int i = 0; i < w->argc; i++)
        free(w->argv[i]);
    free(w->argv);
    free(w->argl);
    free(w->keys);
    obuf_deinit(&w->reply);
    free(w);
}

static void waiter_ref(struct bwaiter *w)
{
    __atomic_add_fetch(&w->refs, 1, __ATOMIC_RELAXED);
}

int blocking_timeout_arg(struct cmd_ctx *c, int i, int64_t *deadline_ms)
{
    long double t;
    if (!util_str2ld(c->argv[i], c->argl[i], &t) || isnan(t) || isinf(t)) {
        ctx_error(c, "ERR timeout is not a float or out of range");
        return 0;
    }
    long double ms = t * 1000.0L;
    if (ms < 0) {
        ctx_error(c, ERR_TIMEOUT_NEG);
        return 0;
    }
    if (ms > (long double)(INT64_MAX / 2)) {
        ctx_error(c, "ERR timeout is out of range");
        return 0;
    }
    int64_t v = (int64_t)ms;
    *deadline_ms = v > 0 ? c->env.now_ms + v : 0;
    return 1;
}

static void reply_null_kind(struct resp_writer *w, int kind)
{
    if (kind == BW_NULL_BULK)
        resp_null(w);
    else
        resp_null_array(w);
}

void blocking_block(struct cmd_ctx *c, const int *keys, int nkeys, int64_t deadline_ms,
                    int null_kind)
{
    if (c->serving) {
        c->still_blocked = 1;
        return;
    }
    if (c->in_exec || !c->cl) { /* a transaction never blocks */
        reply_null_kind(c->w, null_kind);
        return;
    }
    struct bwaiter *w = xcalloc(1, sizeof(*w));
    w->state = W_WAITING;
    w->owner = c->wk;
    w->cl = c->cl;
    w->cmd = c->cmd;
    w->argc = c->argc;
    w->argv = xmalloc(sizeof(char *) * (size_t)c->argc);
    w->argl = xmalloc(sizeof(size_t) * (size_t)c->argc);
    for (int i = 0; i < c->argc; i++) {
        w->argv[i] = xmemdup(c->argv[i], c->argl[i]);
        w->argl[i] = c->argl[i];
    }
    w->keys = xmalloc(sizeof(int) * (size_t)nkeys);
    memcpy(w->keys, keys, sizeof(int) * (size_t)nkeys);
    w->nkeys = nkeys;
    w->db = c->db;
    w->resp = c->w->proto;
    w->deadline_ms = deadline_ms;
    obuf_init(&w->reply);
    w->refs = 1; /* the client's */
    for (int i = 0; i < nkeys; i++) { /* the dispatcher holds these shards */
        struct key k;
        ctx_key(c, keys[i], &k);
        waiter_ref(w);
        ks_block_add(k.s, c->db, k.p, k.len, k.hash, w);
    }
    struct worker *wk = c->wk;
    w->next = wk->bw_list;
    if (w->next)
        w->next->prev = w;
    wk->bw_list = w;
    if (deadline_ms && (!wk->bw_next_deadline || deadline_ms < wk->bw_next_deadline))
        wk->bw_next_deadline = deadline_ms;
    c->cl->bw = w;
    c->cl->flags |= CL_BLOCKED;
    __atomic_add_fetch(&nblocked, 1, __ATOMIC_RELAXED);
}

void blocking_block_range(struct cmd_ctx *c, int first, int n, int64_t deadline_ms,
                          int null_kind)
{
    int small[16] = {0};
    int *keys = n <= 16 ? small : xmalloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++)
        keys[i] = first + i;
    blocking_block(c, keys, n, deadline_ms, null_kind);
    if (keys != small)
        free(keys);
}

/* ---- serving (any worker) ---- */

static int is_waiting(void *p)
{
    return __atomic_load_n(&((struct bwaiter *)p)->state, __ATOMIC_ACQUIRE) == W_WAITING;
}

static void post_to_owner(struct bwaiter *w)
{
    struct worker *o = w->owner;
    waiter_ref(w);
    pthread_mutex_lock(&o->inbox_lock);
    w->inbox_next = o->bw_inbox;
    o->bw_inbox = w;
    pthread_mutex_unlock(&o->inbox_lock);
    worker_wake(o);
}

/* Run w's command in serving mode under its shards' locks.  Returns 1 if
 * w is settled (served, or no longer waiting), 0 if it found nothing. */
static int try_serve(struct worker *wk, struct bwaiter *w)
{
    worker_scratch_reserve(wk, w->argc);
    int n = dispatch_command_shards(w->cmd, w->argc, (const char **)w->argv, w->argl,
                                    wk->shard_idx, NULL);
    size_t ns = n > 0 ? shard_set_normalize(wk->shard_idx, (size_t)n) : 0;
    shard_lock_set(wk->shard_idx, ns);
    dispatch_guard_keys(w->cmd, w->argc, (const char **)w->argv, w->argl, w->db);
    int expected = W_WAITING;
    if (!__atomic_compare_exchange_n(&w->state, &expected, W_SERVING, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        shard_unlock_set(wk->shard_idx, ns);
        return 1;
    }
    struct resp_writer rw = {&w->reply, w->resp};
    struct cmd_ctx c = {
        .wk = wk,
        .argc = w->argc,
        .argv = (const char **)w->argv,
        .argl = w->argl,
        .w = &rw,
        .env = {.now_ms = clock_wall_ms(), .expired = &wk->stats.expired},
        .db = w->db,
        .cmd = w->cmd,
        .serving = 1,
    };
    w->cmd->proc(&c);
    shard_unlock_set(wk->shard_idx, ns);
    if (c.still_blocked) {
        w->reply.len = 0;
        __atomic_store_n(&w->state, W_WAITING, __ATOMIC_RELEASE);
        return 0;
    }
    __atomic_store_n(&w->state, W_DONE, __ATOMIC_RELEASE);
    post_to_owner(w);
    return 1;
}

/* Serve waiters on one ready key, first blocked first, while it has
 * something for them.  Bounded so one push storm cannot pin a worker. */
static void serve_key(struct worker *wk, const struct ready_key *rk)
{
    uint32_t idx = ks_shard_index(rk->hash);
    struct shard *s = ks_shard(idx);
    for (int served = 0; served < 100000; served++) {
        shard_lock(s);
        struct bwaiter *w = ks_block_first(s, rk->db, rk->key, rk->klen, rk->hash, is_waiting);
        if (w)
            waiter_ref(w);
        shard_unlock(s);
        if (!w)
            return;
        int settled = try_serve(wk, w);
        waiter_unref(w);
        if (!settled)
            return; /* the key has nothing left for waiters */
    }
}

void blocking_serve_ready(struct worker *wk)
{
    /* serving a BLMOVE pushes to its destination, which may make more
     * keys ready: go round until quiet (bounded) */
    for (int round = 0; round < 64 && ks_ready_pending(); round++) {
        struct ready_key *rk;
        int n = ks_ready_take(&rk);
        for (int i = 0; i < n; i++) {
            serve_key(wk, &rk[i]);
            free(rk[i].key);
        }
        free(rk);
    }
}

/* ---- owner side ---- */

/* Remove w's records (one shard lock at a time), take it off the owner's
 * list and release the client's hold; the client runs commands again. */
static void finish(struct bwaiter *w)
{
    for (int i = 0; i < w->nkeys; i++) {
        struct key k;
        key_init(&k, w->argv[w->keys[i]], w->argl[w->keys[i]]);
        shard_lock(k.s);
        if (ks_block_remove(k.s, w->db, k.p, k.len, k.hash, w))
            waiter_unref(w);
        shard_unlock(k.s);
    }
    struct worker *wk = w->owner;
    if (w->prev)
        w->prev->next = w->next;
    else
        wk->bw_list = w->next;
    if (w->next)
        w->next->prev = w->prev;
    struct client *cl = w->cl;
    w->cl = NULL;
    if (cl) {
        cl->bw = NULL;
        cl->flags &= ~CL_BLOCKED;
    }
    __atomic_sub_fetch(&nblocked, 1, __ATOMIC_RELAXED);
    waiter_unref(w); /* the client's */
}

void blocking_deliver(struct worker *wk)
{
    pthread_mutex_lock(&wk->inbox_lock);
    struct bwaiter *list = wk->bw_inbox;
    wk->bw_inbox = NULL;
    pthread_mutex_unlock(&wk->inbox_lock);
    while (list) {
        struct bwaiter *w = list;
        list = w->inbox_next;
        struct client *cl = w->cl;
        if (cl) {
            obuf_append(&cl->out, w->reply.data, w->reply.len);
            finish(w);
            conn_resume(cl);
        }
        waiter_unref(w); /* the inbox's */
    }
}

int64_t blocking_expire(struct worker *wk, int64_t now_ms)
{
    if (!wk->bw_next_deadline || now_ms < wk->bw_next_deadline)
        return wk->bw_next_deadline;
    int64_t next = 0;
    for (struct bwaiter *w = wk->bw_list, *nx; w; w = nx) {
        nx = w->next;
        if (!w->deadline_ms)
            continue;
        if (w->deadline_ms > now_ms) {
            if (!next || w->deadline_ms < next)
                next = w->deadline_ms;
            continue;
        }
        int expected = W_WAITING;
        if (!__atomic_compare_exchange_n(&w->state, &expected, W_DONE, 0, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE))
            continue; /* being served: the reply is on its way */
        struct client *cl = w->cl;
        struct resp_writer rw = {&cl->out, cl->resp};
        resp_null_array(&rw); /* Redis 7.0: even BLMOVE times out with *-1 */
        finish(w);
        conn_resume(cl);
    }
    wk->bw_next_deadline = next;
    return next;
}

void blocking_client_closed(struct client *cl)
{
    struct bwaiter *w = cl->bw;
    if (!w)
        return;
    int expected = W_WAITING; /* if it is being served, that reply is dropped */
    __atomic_compare_exchange_n(&w->state, &expected, W_DONE, 0, __ATOMIC_ACQ_REL,
                                __ATOMIC_ACQUIRE);
    finish(w);
}

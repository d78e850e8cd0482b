/* cmd_multi.c - MULTI, EXEC, DISCARD, WATCH, UNWATCH.
 *
 * EXEC is atomic across shards: it locks, in ascending order, every shard
 * that any queued command or any watched key touches (all of them if a
 * queued command needs all), checks the watch flag under those locks, runs
 * the queue, and unlocks.  A writer that modifies a watched key does so
 * under that key's shard lock and sets the watcher's flag there, so once
 * EXEC holds the locks no watched key can change between the check and the
 * last queued command.
 */
#include <stdlib.h>
#include <string.h>

#include "server/commands/command.h"
#include "server/commands/dispatch.h"
#include "server/core/mem.h"
#include "server/net/client.h"
#include "server/net/worker.h"

void cmd_multi(struct cmd_ctx *c)
{
    if (c->cl->flags & CL_MULTI) {
        ctx_error(c, ERR_MULTI_NESTED);
        return;
    }
    c->cl->flags |= CL_MULTI;
    ctx_ok(c);
}

void cmd_discard(struct cmd_ctx *c)
{
    if (!(c->cl->flags & CL_MULTI)) {
        ctx_error(c, ERR_DISCARD_NO_MULTI);
        return;
    }
    client_discard_multi(c->cl);
    client_unwatch_all(c->cl);
    ctx_ok(c);
}

void cmd_watch(struct cmd_ctx *c)
{
    struct client *cl = c->cl;
    if (cl->flags & CL_MULTI) {
        ctx_error(c, ERR_WATCH_IN_MULTI);
        return;
    }
    /* The dispatcher holds the keys' shards (WATCH declares its keys). */
    for (int i = 1; i < c->argc; i++) {
        struct key k;
        ctx_key(c, i, &k);
        int dup = 0;
        for (int j = 0; j < cl->nwatched; j++)
            if (cl->watched[j].db == c->db && cl->watched[j].hash == k.hash &&
                cl->watched[j].klen == k.len && !memcmp(cl->watched[j].key, k.p, k.len))
                dup = 1;
        if (dup)
            continue;
        if (cl->nwatched == cl->watched_cap) {
            cl->watched_cap = cl->watched_cap ? cl->watched_cap * 2 : 4;
            cl->watched = xrealloc(cl->watched, sizeof(*cl->watched) * (size_t)cl->watched_cap);
        }
        struct watched_key *wk = &cl->watched[cl->nwatched++];
        wk->db = c->db;
        wk->hash = k.hash;
        wk->klen = k.len;
        wk->key = xmemdup(k.p, k.len);
        shard_watch_add(k.s, c->db, k.p, k.len, k.hash, &cl->watch_dirty);
    }
    ctx_ok(c);
}

void cmd_unwatch(struct cmd_ctx *c)
{
    client_unwatch_all(c->cl);
    ctx_ok(c);
}

/* Shards the transaction needs into wk->shard_idx; returns the count, or
 * -1 for "all shards". */
static int exec_shards(struct client *cl, struct worker *wk)
{
    int total = cl->nwatched;
    for (int i = 0; i < cl->mq_n; i++)
        total += cl->mq[i].argc;
    worker_scratch_reserve(wk, total);
    int n = 0;
    for (int i = 0; i < cl->mq_n; i++) {
        struct queued_cmd *q = &cl->mq[i];
        int m = dispatch_command_shards(q->cmd, q->argc, (const char **)q->argv, q->argl,
                                        wk->shard_idx + n, NULL);
        if (m < 0)
            return -1;
        n += m;
    }
    for (int i = 0; i < cl->nwatched; i++)
        wk->shard_idx[n++] = ks_shard_index(cl->watched[i].hash);
    return (int)shard_set_normalize(wk->shard_idx, (size_t)n);
}

void cmd_exec(struct cmd_ctx *c)
{
    struct client *cl = c->cl;
    if (!(cl->flags & CL_MULTI)) {
        ctx_error(c, ERR_EXEC_NO_MULTI);
        return;
    }
    if (cl->flags & CL_EXEC_ABORT) {
        client_discard_multi(cl);
        client_unwatch_all(cl);
        ctx_error(c, ERR_EXECABORT);
        return;
    }
    struct worker *wk = c->wk;
    int n = exec_shards(cl, wk);
    if (n < 0)
        shard_lock_all();
    else
        shard_lock_set(wk->shard_idx, (size_t)n);

    if (__atomic_load_n(&cl->watch_dirty, __ATOMIC_RELAXED)) {
        if (n < 0)
            shard_unlock_all();
        else
            shard_unlock_set(wk->shard_idx, (size_t)n);
        client_discard_multi(cl);
        client_unwatch_all(cl);
        resp_null_array(c->w);
        return;
    }
    /* Queued commands may be arbitrarily many; EXEC's own scratch indexes
     * are copied because running a command reuses the worker's arrays. */
    uint32_t *held = NULL;
    if (n > 0) {
        held = xmalloc(sizeof(*held) * (size_t)n);
        memcpy(held, wk->shard_idx, sizeof(*held) * (size_t)n);
    }
    resp_array(c->w, cl->mq_n);
    for (int i = 0; i < cl->mq_n; i++) {
        struct queued_cmd *q = &cl->mq[i];
        struct cmd_ctx qc = {
            .cl = cl,
            .wk = wk,
            .argc = q->argc,
            .argv = (const char **)q->argv,
            .argl = q->argl,
            .w = c->w,
            .env = c->env,
            .db = cl->db, /* SELECT inside the transaction applies to what follows */
            .cmd = q->cmd,
            .in_exec = 1,
        };
        c->w->proto = cl->resp;
        dispatch_execute(&qc);
    }
    if (n < 0)
        shard_unlock_all();
    else
        shard_unlock_set(held, (size_t)n);
    free(held);
    client_discard_multi(cl);
    client_unwatch_all(cl);
}

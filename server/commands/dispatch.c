/* dispatch.c - see dispatch.h.  A request's path reads top to bottom:
 * resolve -> check -> (queue | lock -> run -> unlock) -> count. */
#include "server/commands/dispatch.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eviction/maxmemory.h"
#include "persistence/snapshot.h"
#include "server/commands/blocking.h"
#include "server/core/clock.h"
#include "server/core/mem.h"
#include "server/net/client.h"
#include "server/net/worker.h"

/* A command refused before running.  Inside MULTI it dooms the
 * transaction; a refused EXEC is reported as EXECABORT (in or out of
 * MULTI) and discards any transaction, as Redis's execCommandAbort does. */
static void reject(struct cmd_ctx *c, const char *msg)
{
    struct client *cl = c->cl;
    if (c->cmd && c->cmd->proc == cmd_exec) {
        char abort_msg[600];
        snprintf(abort_msg, sizeof(abort_msg), "EXECABORT Transaction discarded because of: %s",
                 strncmp(msg, "ERR ", 4) ? msg : msg + 4);
        client_discard_multi(cl);
        client_unwatch_all(cl);
        ctx_error(c, abort_msg);
        return;
    }
    if (cl->flags & CL_MULTI)
        cl->flags |= CL_EXEC_ABORT;
    ctx_error(c, msg);
}

static void reject_unknown(struct cmd_ctx *c)
{
    char msg[512];
    int n = snprintf(msg, sizeof(msg), "ERR unknown command '%.*s', with args beginning with: ",
                     (int)(c->argl[0] < 128 ? c->argl[0] : 128), c->argv[0]);
    /* Redis quotes arguments until the list reaches 128 bytes. */
    size_t args = 0;
    for (int i = 1; i < c->argc && args < 128 && n < (int)sizeof(msg) - 1; i++) {
        int m = snprintf(msg + n, sizeof(msg) - (size_t)n, "'%.*s' ",
                         (int)(128 - args < c->argl[i] ? 128 - args : c->argl[i]), c->argv[i]);
        if (m < 0)
            break;
        n += m;
        args += (size_t)m;
    }
    reject(c, msg);
}

/* Redis's rule: commands that grow memory, and inside MULTI every command
 * but EXEC/DISCARD/QUIT/RESET (queuing itself takes memory), and EXEC when
 * the transaction holds a command that grows memory. */
static int oom_applies(const struct client *cl, const struct command *cmd)
{
    if (cmd->flags & CMD_DENYOOM)
        return 1;
    if (!(cl->flags & CL_MULTI))
        return 0;
    if (cmd->proc == cmd_exec) {
        for (int i = 0; i < cl->mq_n; i++)
            if (cl->mq[i].cmd->flags & CMD_DENYOOM)
                return 1;
        return 0;
    }
    return cmd->proc != cmd_discard && cmd->proc != cmd_quit && cmd->proc != cmd_reset;
}

static void queue_command(struct client *cl, const struct command *cmd, int argc,
                          const char **argv, const size_t *argl)
{
    if (cl->mq_n == cl->mq_cap) {
        cl->mq_cap = cl->mq_cap ? cl->mq_cap * 2 : 8;
        cl->mq = xrealloc(cl->mq, sizeof(*cl->mq) * (size_t)cl->mq_cap);
    }
    struct queued_cmd *q = &cl->mq[cl->mq_n++];
    q->cmd = cmd;
    q->argc = argc;
    q->argv = xmalloc(sizeof(char *) * (size_t)argc);
    q->argl = xmalloc(sizeof(size_t) * (size_t)argc);
    for (int i = 0; i < argc; i++) {
        q->argv[i] = xmemdup(argv[i], argl[i]);
        q->argl[i] = argl[i];
    }
}

/* Call fn(argument index, arg) for each of the command line's keys, in
 * order; returns how many.  Fixed key positions need no index array (the
 * common case, on every request); a keys function fills one. */
static int for_each_key(const struct command *cmd, int argc, const char **argv,
                        const size_t *argl, void (*fn)(int, void *), void *arg)
{
    if (cmd->keys) {
        int small[64];
        int *idx = argc <= 64 ? small : xmalloc(sizeof(int) * (size_t)argc);
        int n = cmd->keys(argc, argv, argl, idx, argc);
        for (int i = 0; i < n; i++)
            fn(idx[i], arg);
        if (idx != small)
            free(idx);
        return n;
    }
    if (cmd->first <= 0)
        return 0;
    int last = cmd->last < 0 ? argc + cmd->last : cmd->last;
    if (last >= argc)
        last = argc - 1;
    int n = 0;
    for (int i = cmd->first; i <= last; i += cmd->step, n++)
        fn(i, arg);
    return n;
}

struct key_visit {
    const char **argv;
    const size_t *argl;
    uint32_t *out;    /* shard of each key, in order */
    uint64_t *hashes; /* by argument index, or NULL */
    int n, db;
};

static void shard_of_key(int i, void *arg)
{
    struct key_visit *v = arg;
    uint64_t h = ht_hash(v->argv[i], v->argl[i]);
    if (v->hashes) /* handlers look hashes up by argument index */
        v->hashes[i] = h;
    v->out[v->n++] = ks_shard_index(h);
}

int dispatch_command_shards(const struct command *cmd, int argc, const char **argv,
                            const size_t *argl, uint32_t *out, uint64_t *hashes)
{
    if (cmd->flags & (CMD_ALL_SHARDS | CMD_SELF_LOCK))
        return -1;
    struct key_visit v = {argv, argl, out, hashes, 0, 0};
    return for_each_key(cmd, argc, argv, argl, shard_of_key, &v);
}

static void guard_key(int i, void *arg)
{
    struct key_visit *v = arg;
    struct key k;
    key_init(&k, v->argv[i], v->argl[i]);
    snapshot_guard_key(k.s, v->db, k.p, k.len, k.hash);
}

void dispatch_guard_keys(const struct command *cmd, int argc, const char **argv,
                         const size_t *argl, int db)
{
    /* CMD_ALL_SHARDS commands (FLUSH*, SWAPDB) are guarded by the keyspace
     * calls they make (ks_flush_db_locked, ks_swap_db_locked) */
    if (!(cmd->flags & CMD_WRITE) || (cmd->flags & CMD_ALL_SHARDS) ||
        !__atomic_load_n(&snapshot_sweeping, __ATOMIC_RELAXED))
        return;
    struct key_visit v = {argv, argl, NULL, NULL, 0, db};
    for_each_key(cmd, argc, argv, argl, guard_key, &v);
}

void dispatch_execute(struct cmd_ctx *c)
{
    struct worker *wk = c->wk;
    const struct command *cmd = c->cmd;
    int locked = 0, all = 0;
    size_t nshards = 0;
    if (!c->in_exec) {
        worker_scratch_reserve(wk, c->argc);
        int n = dispatch_command_shards(cmd, c->argc, c->argv, c->argl, wk->shard_idx,
                                        wk->key_hash);
        if (n > 0)
            c->key_hash = wk->key_hash;
        if (n < 0) {
            if (cmd->flags & CMD_ALL_SHARDS) {
                shard_lock_all();
                all = 1;
            }
        } else if (n > 0) {
            nshards = n == 1 ? 1 : shard_set_normalize(wk->shard_idx, (size_t)n);
            shard_lock_set(wk->shard_idx, nshards);
            locked = 1;
        }
    }
    dispatch_guard_keys(cmd, c->argc, c->argv, c->argl, c->db);
    int64_t t0 = clock_mono_us();
    cmd->proc(c);
    int64_t t1 = clock_mono_us();
    if (locked)
        shard_unlock_set(wk->shard_idx, nshards);
    else if (all)
        shard_unlock_all();

    struct cmd_stat *st = &wk->stats.cmds[cmd->id];
    STAT_INC(st->calls);
    STAT_ADD(st->usec, (uint64_t)(t1 - t0));
    if (c->failed)
        STAT_INC(st->failed);
    STAT_INC(wk->stats.commands);
}

void dispatch_command(struct client *cl, int argc, const char **argv, const size_t *argl)
{
    struct worker *wk = cl->wk;
    struct resp_writer w = {&cl->out, cl->resp};
    struct cmd_ctx c = {
        .cl = cl,
        .wk = wk,
        .argc = argc,
        .argv = argv,
        .argl = argl,
        .w = &w,
        .env = {.now_ms = wk->now_ms, .expired = &wk->stats.expired},
        .db = cl->db,
    };

    const struct command *cmd = command_lookup(argv[0], argl[0]);
    if (!cmd) {
        reject_unknown(&c);
        return;
    }
    if (cmd->subs && argc >= 2) {
        const struct command *sub = command_lookup_sub(cmd, argv[1], argl[1]);
        if (!sub) {
            char up[64], msg[320];
            size_t l = strlen(cmd->name) < sizeof(up) - 1 ? strlen(cmd->name) : sizeof(up) - 1;
            for (size_t i = 0; i < l; i++)
                up[i] = (char)toupper((unsigned char)cmd->name[i]);
            up[l] = '\0';
            snprintf(msg, sizeof(msg), "ERR unknown subcommand '%.*s'. Try %s HELP.",
                     (int)(argl[1] < 128 ? argl[1] : 128), argv[1], up);
            reject(&c, msg);
            return;
        }
        cmd = sub;
    }
    c.cmd = cmd;
    if ((cmd->arity > 0 && argc != cmd->arity) || argc < -cmd->arity) {
        STAT_INC(wk->stats.cmds[cmd->id].rejected);
        char msg[160];
        snprintf(msg, sizeof(msg), "ERR wrong number of arguments for '%s' command", cmd->name);
        reject(&c, msg);
        return;
    }
    if (!cl->authenticated && !(cmd->flags & CMD_NOAUTH)) {
        STAT_INC(wk->stats.cmds[cmd->id].rejected);
        reject(&c, ERR_NOAUTH);
        return;
    }
    if (snapshot_loading() && !(cmd->flags & CMD_LOADING)) {
        STAT_INC(wk->stats.cmds[cmd->id].rejected);
        reject(&c, "LOADING Redis is loading the dataset in memory");
        return;
    }
    if (((cmd->flags & CMD_WRITE) || cmd->proc == cmd_ping) && snapshot_writes_refused()) {
        STAT_INC(wk->stats.cmds[cmd->id].rejected);
        reject(&c, ERR_MISCONF);
        return;
    }
    if (oom_applies(cl, cmd) && maxmemory_exceeded() &&
        !maxmemory_make_room(&c.env, &wk->rnd, &wk->stats.evicted)) {
        STAT_INC(wk->stats.cmds[cmd->id].rejected);
        reject(&c, OOM_ERROR);
        return;
    }
    __atomic_store_n(&cl->last_cmd, cmd->name, __ATOMIC_RELAXED);
    if ((cl->flags & CL_MULTI) && !(cmd->flags & CMD_MULTI_CTRL)) {
        if (cmd->flags & CMD_NO_MULTI) {
            STAT_INC(wk->stats.cmds[cmd->id].rejected);
            reject(&c, "ERR Command not allowed inside a transaction");
            return;
        }
        queue_command(cl, cmd, argc, argv, argl);
        resp_simple(&w, "QUEUED");
        return;
    }
    dispatch_execute(&c);
    if (ks_ready_pending()) /* it grew a list or zset someone is blocked on */
        blocking_serve_ready(wk);
}

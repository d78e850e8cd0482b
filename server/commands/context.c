/* context.c - helpers every handler uses: replies that count errors,
 * argument parsing that answers Redis's error on failure, key addressing. */
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "server/commands/command.h"
#include "server/core/util.h"
#include "server/net/client.h"
#include "server/net/worker.h"

void ctx_error(struct cmd_ctx *c, const char *msg)
{
    resp_error(c->w, msg);
    stats_count_error(&c->wk->stats, msg);
    c->failed = 1;
}

void ctx_errorf(struct cmd_ctx *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ctx_error(c, msg);
}

void ctx_ok(struct cmd_ctx *c)
{
    resp_simple_len(c->w, "OK", 2);
}

void ctx_arity_error(struct cmd_ctx *c)
{
    ctx_errorf(c, "ERR wrong number of arguments for '%s' command", c->cmd->name);
}

int ctx_get_ll(struct cmd_ctx *c, int i, long long *out)
{
    if (util_str2ll(c->argv[i], c->argl[i], out))
        return 1;
    ctx_error(c, ERR_NOT_INT);
    return 0;
}

int ctx_arg_is(const struct cmd_ctx *c, int i, const char *word)
{
    return i < c->argc && !strncasecmp(c->argv[i], word, c->argl[i]) && word[c->argl[i]] == '\0';
}

void ctx_key(const struct cmd_ctx *c, int i, struct key *k)
{
    /* Dispatch hashed the command's key arguments to pick their shards;
     * reuse those hashes.  Arguments outside the key positions (and
     * commands run by EXEC) are hashed here. */
    const struct command *cmd = c->cmd;
    int last = cmd->last < 0 ? c->argc + cmd->last : cmd->last;
    if (c->key_hash && !cmd->keys && i >= cmd->first && i <= last && (i - cmd->first) % cmd->step == 0) {
        k->p = c->argv[i];
        k->len = c->argl[i];
        k->hash = c->key_hash[i];
        k->s = ks_shard(ks_shard_index(k->hash));
        return;
    }
    key_init(k, c->argv[i], c->argl[i]);
}

void ctx_lock_shard(const struct cmd_ctx *c, struct shard *s)
{
    if (!c->in_exec)
        shard_lock(s);
}

void ctx_unlock_shard(const struct cmd_ctx *c, struct shard *s)
{
    if (!c->in_exec)
        shard_unlock(s);
}

void ctx_hit(struct cmd_ctx *c, int hit)
{
    if (hit)
        STAT_INC(c->wk->stats.hits);
    else
        STAT_INC(c->wk->stats.misses);
}

void cmd_container(struct cmd_ctx *c)
{
    ctx_arity_error(c); /* reached only without a subcommand */
}

/* cmd_server.c - server commands: CONFIG, DBSIZE, TIME, LASTSAVE, FLUSHDB,
 * FLUSHALL, SWAPDB, SHUTDOWN. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "persistence/snapshot.h"
#include "server/commands/command.h"
#include "server/commands/info.h"
#include "server/core/clock.h"
#include "server/core/config.h"
#include "server/core/lifecycle.h"
#include "server/core/log.h"
#include "server/core/util.h"
#include "server/net/client.h"
#include "server/net/worker.h"

struct get_state {
    struct resp_writer *w;
    char seen[64][64];
    int nseen;
    long long n;
};

static void emit_pair(void *arg, const char *name, const char *value)
{
    struct get_state *st = arg;
    for (int i = 0; i < st->nseen; i++)
        if (!strcasecmp(st->seen[i], name))
            return; /* several patterns may match one option: list it once */
    if (st->nseen < 64)
        snprintf(st->seen[st->nseen++], sizeof(st->seen[0]), "%s", name);
    resp_bulk_cstr(st->w, name);
    resp_bulk_cstr(st->w, value);
    st->n++;
}

void cmd_config_get(struct cmd_ctx *c)
{
    struct get_state st = {.w = c->w};
    size_t mark = resp_defer(c->w);
    for (int i = 2; i < c->argc; i++)
        config_get(c->argv[i], c->argl[i], emit_pair, &st);
    resp_defer_map(c->w, mark, st.n);
}

void cmd_config_set(struct cmd_ctx *c)
{
    if ((c->argc - 2) % 2) {
        ctx_error(c, ERR_SYNTAX);
        return;
    }
    int n = (c->argc - 2) / 2;
    const char *names[64], *values[64];
    size_t nl[64], vl[64];
    if (n > 64)
        n = 64;
    for (int i = 0; i < n; i++) {
        names[i] = c->argv[2 + 2 * i];
        nl[i] = c->argl[2 + 2 * i];
        values[i] = c->argv[3 + 2 * i];
        vl[i] = c->argl[3 + 2 * i];
    }
    char err[512];
    const char *e = config_set(n, names, nl, values, vl, err, sizeof(err));
    if (e)
        ctx_error(c, e);
    else
        ctx_ok(c);
}

void cmd_config_resetstat(struct cmd_ctx *c)
{
    info_reset_stats();
    ctx_ok(c);
}

void cmd_config_rewrite(struct cmd_ctx *c)
{
    char err[512];
    if (config_rewrite(err, sizeof(err)) == 0) {
        log_notice("CONFIG REWRITE executed with success.");
        ctx_ok(c);
    } else {
        ctx_error(c, err);
    }
}

void cmd_config_help(struct cmd_ctx *c)
{
    static const char *lines[] = {
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Prints this help.",
    };
    int n = (int)(sizeof(lines) / sizeof(lines[0]));
    resp_array(c->w, n);
    for (int i = 0; i < n; i++)
        resp_simple(c->w, lines[i]);
}

void cmd_dbsize(struct cmd_ctx *c)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < ks_nshards(); i++) {
        struct shard *s = ks_shard(i);
        ctx_lock_shard(c, s);
        n += ht_count(&s->db[c->db].ht);
        ctx_unlock_shard(c, s);
    }
    resp_int(c->w, (long long)n);
}

void cmd_time(struct cmd_ctx *c)
{
    int64_t us = clock_wall_us();
    resp_array(c->w, 2);
    resp_bulk_ll(c->w, us / 1000000);
    resp_bulk_ll(c->w, us % 1000000);
}

void cmd_lastsave(struct cmd_ctx *c)
{
    struct snapshot_status st;
    snapshot_status(&st); /* the start time until a save succeeds, as Redis */
    resp_int(c->w, st.last_save_s);
}

void cmd_save(struct cmd_ctx *c)
{
    char err[300];
    if (snapshot_save_sync(0, err, sizeof(err)) != 0) {
        ctx_error(c, err);
        return;
    }
    ctx_ok(c);
}

void cmd_bgsave(struct cmd_ctx *c)
{
    if (c->argc == 2 && !ctx_arg_is(c, 1, "schedule")) {
        ctx_error(c, ERR_SYNTAX);
        return;
    }
    char err[300];
    int rc = snapshot_bgsave(c->in_exec, err, sizeof(err));
    if (rc < 0)
        ctx_error(c, err);
    else
        resp_simple(c->w, rc ? "Background saving scheduled" : "Background saving started");
}

/* FLUSHDB/FLUSHALL accept ASYNC or SYNC and behave alike: with every shard
 * locked (the dispatcher holds them: CMD_ALL_SHARDS), each key is
 * unlinked and freed, except that a collection big enough to stall
 * (lazyfree.h) is handed to the background thread in either mode. */
static int flush_args_ok(struct cmd_ctx *c)
{
    if (c->argc > 2 || (c->argc == 2 && !ctx_arg_is(c, 1, "async") && !ctx_arg_is(c, 1, "sync"))) {
        ctx_error(c, ERR_SYNTAX);
        return 0;
    }
    return 1;
}

void cmd_flushdb(struct cmd_ctx *c)
{
    if (!flush_args_ok(c))
        return;
    for (uint32_t i = 0; i < ks_nshards(); i++)
        ks_flush_db_locked(ks_shard(i), c->db);
    ctx_ok(c);
}

void cmd_flushall(struct cmd_ctx *c)
{
    if (!flush_args_ok(c))
        return;
    for (uint32_t i = 0; i < ks_nshards(); i++)
        for (int db = 0; db < ks_ndb(); db++)
            ks_flush_db_locked(ks_shard(i), db);
    ctx_ok(c);
}

void cmd_swapdb(struct cmd_ctx *c)
{
    long long a, b;
    if (!util_str2ll(c->argv[1], c->argl[1], &a)) {
        ctx_error(c, "ERR invalid first DB index");
        return;
    }
    if (!util_str2ll(c->argv[2], c->argl[2], &b)) {
        ctx_error(c, "ERR invalid second DB index");
        return;
    }
    if (a < 0 || a >= ks_ndb() || b < 0 || b >= ks_ndb()) {
        ctx_error(c, ERR_DB_RANGE);
        return;
    }
    if (a != b)
        for (uint32_t i = 0; i < ks_nshards(); i++)
            ks_swap_db_locked(ks_shard(i), (int)a, (int)b);
    ctx_ok(c);
}

void cmd_shutdown(struct cmd_ctx *c)
{
    int save = 0, abort_req = 0, nosave = 0;
    for (int j = 1; j < c->argc; j++) {
        if (ctx_arg_is(c, j, "nosave"))
            nosave = 1;
        else if (ctx_arg_is(c, j, "save"))
            save = 1;
        else if (ctx_arg_is(c, j, "now") || ctx_arg_is(c, j, "force"))
            ;
        else if (ctx_arg_is(c, j, "abort"))
            abort_req = 1;
        else {
            ctx_error(c, ERR_SYNTAX);
            return;
        }
    }
    if (save && nosave) {
        ctx_error(c, ERR_SYNTAX);
        return;
    }
    if (abort_req) {
        if (c->argc > 2)
            ctx_error(c, ERR_SYNTAX);
        else
            ctx_error(c, "ERR No shutdown in progress.");
        return;
    }
    /* Save first (explicitly, or because save points are set), so a
     * failure can still be answered and the server kept running, as Redis
     * does.  The other workers are held meanwhile: the snapshot is the
     * dataset at this moment and nothing is acknowledged after it. */
    if (save || (!nosave && snapshot_has_savepoints())) {
        if (workers_pause(c->wk) != 0) {
            log_warning("A shutdown is already saving; SHUTDOWN refused.");
            ctx_error(c, "ERR Errors trying to SHUTDOWN. Check logs.");
            return;
        }
        log_warning("Saving the final RDB snapshot before exiting.");
        char err[300];
        if (snapshot_save_sync(1, err, sizeof(err)) != 0) {
            workers_resume(c->wk, 0);
            log_warning("Error trying to save the DB, can't exit.");
            ctx_error(c, "ERR Errors trying to SHUTDOWN. Check logs.");
            return;
        }
        workers_resume(c->wk, 1);
    }
    log_warning("User requested shutdown...");
    c->cl->flags |= CL_CLOSE_ASAP;
    server_request_shutdown();
}

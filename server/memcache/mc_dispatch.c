/* mc_dispatch.c - the memcached text protocol over the shared keyspace.
 * See mc_dispatch.h; meta commands are in mc_meta.c, item semantics in
 * mc_ops.c, stats in mc_stats.c.  Each request locks only the shard of the
 * key it touches (a multi-key get locks one key at a time, as memcached's
 * get is not atomic across keys either). */
#include "persistence/snapshot.h"
#include "server/memcache/mc_dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eviction/maxmemory.h"
#include "server/core/config.h"
#include "server/core/lifecycle.h"
#include "server/core/mem.h"
#include "server/core/stats.h"
#include "server/memcache/mc_ops.h"
#include "server/memcache/mc_stats.h"
#include "server/net/client.h"
#include "server/net/worker.h"

static int64_t flush_at_ms; /* delayed flush_all deadline, 0 = none */

void mc_key(const struct mc_request *r, const char *buf, struct key *k)
{
    size_t len;
    const char *p = mc_req_key(r, buf, &len);
    key_init(k, p, len);
}

void mc_reply(struct mc_ctx *m, const char *s)
{
    obuf_append(m->out, s, strlen(s));
}

static void flush_db0_now(void)
{
    shard_lock_all(); /* ks_flush_db_locked keeps a save's old versions */
    for (uint32_t i = 0; i < ks_nshards(); i++)
        ks_flush_db_locked(ks_shard(i), MC_DB);
    shard_unlock_all();
}

void mc_flush_due(int64_t now_ms)
{
    int64_t at = __atomic_load_n(&flush_at_ms, __ATOMIC_RELAXED);
    if (at && now_ms >= at &&
        __atomic_compare_exchange_n(&flush_at_ms, &at, 0, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        flush_db0_now();
}

/* "VALUE <key> <flags> <bytes>[ <cas>]\r\n<data>\r\n" */
static void reply_value(struct mc_ctx *m, const char *key, size_t klen, const struct mc_item *it,
                        int with_cas)
{
    char hdr[96];
    int n;
    obuf_append(m->out, "VALUE ", 6);
    obuf_append(m->out, key, klen);
    if (with_cas)
        n = snprintf(hdr, sizeof(hdr), " %u %zu %llu\r\n", it->flags, it->vlen,
                     (unsigned long long)it->cas);
    else
        n = snprintf(hdr, sizeof(hdr), " %u %zu\r\n", it->flags, it->vlen);
    obuf_append(m->out, hdr, (size_t)n);
    obuf_append(m->out, it->val, it->vlen);
    obuf_append(m->out, "\r\n", 2);
}

/* get gets gat gats */
static void cmd_retrieve(struct mc_ctx *m, const struct mc_request *r)
{
    int with_cas = r->cmd == MC_CMD_GETS || r->cmd == MC_CMD_GATS;
    int touch = r->cmd == MC_CMD_GAT || r->cmd == MC_CMD_GATS;
    int64_t expire = touch ? mc_exptime_ms(r->exptime, m->env.now_ms) : -1;
    for (size_t i = 0; i < r->nkeys; i++) {
        struct key k;
        key_init(&k, m->buf + r->keys[i].off, r->keys[i].len);
        struct mc_item it;
        shard_lock(k.s);
        snapshot_guard_key(k.s, MC_DB, k.p, k.len, k.hash); /* memcached reads may touch TTL/flags */
        int hit = mc_lookup(&m->env, &k, with_cas, 1, &it);
        /* an exptime already past still returns the value, then the item
         * is gone: reply before the touch frees it */
        if (hit && touch && expire != 0)
            mc_touch(&m->env, &k, &it, expire);
        if (hit)
            reply_value(m, k.p, k.len, &it, with_cas);
        if (hit && touch && expire == 0)
            mc_touch(&m->env, &k, &it, expire);
        shard_unlock(k.s);
        STAT_INC(m->st->cmd_get);
        if (touch) {
            STAT_INC(m->st->cmd_touch);
            STAT_INC(*(hit ? &m->st->touch_hits : &m->st->touch_misses));
        }
        STAT_INC(*(hit ? &m->st->get_hits : &m->st->get_misses));
    }
    mc_reply(m, "END\r\n");
}

static void cmd_store(struct mc_ctx *m, const struct mc_request *r)
{
    static const enum mc_store_mode modes[] = {
        [MC_CMD_SET] = MC_MODE_SET,         [MC_CMD_ADD] = MC_MODE_ADD,
        [MC_CMD_REPLACE] = MC_MODE_REPLACE, [MC_CMD_APPEND] = MC_MODE_APPEND,
        [MC_CMD_PREPEND] = MC_MODE_PREPEND, [MC_CMD_CAS] = MC_MODE_CAS,
    };
    struct key k;
    mc_key(r, m->buf, &k);
    maxmemory_make_room(&m->env, &m->cl->wk->rnd, &m->cl->wk->stats.evicted);
    shard_lock(k.s);
    snapshot_guard_key(k.s, MC_DB, k.p, k.len, k.hash); /* memcached reads may touch TTL/flags */
    enum mc_result res = mc_store(&m->env, &k, modes[r->cmd], 0, m->buf + r->data.off,
                                  r->data.len, r->flags, mc_exptime_ms(r->exptime, m->env.now_ms),
                                  r->cas, NULL);
    shard_unlock(k.s);
    STAT_INC(m->st->cmd_set);
    if (r->cmd == MC_CMD_CAS) {
        if (res == MC_STORED)
            STAT_INC(m->st->cas_hits);
        else if (res == MC_EXISTS)
            STAT_INC(m->st->cas_badval);
        else if (res == MC_NOT_FOUND)
            STAT_INC(m->st->cas_misses);
    }
    if (res == MC_STORED)
        STAT_INC(m->st->total_items);
    if (r->noreply)
        return;
    switch (res) {
    case MC_STORED: mc_reply(m, "STORED\r\n"); break;
    case MC_EXISTS: mc_reply(m, "EXISTS\r\n"); break;
    case MC_NOT_FOUND: mc_reply(m, "NOT_FOUND\r\n"); break;
    case MC_TOO_LARGE:
    case MC_OOM: mc_reply(m, "SERVER_ERROR out of memory storing object\r\n"); break;
    default: mc_reply(m, "NOT_STORED\r\n"); break;
    }
}

static void cmd_delete(struct mc_ctx *m, const struct mc_request *r)
{
    struct key k;
    mc_key(r, m->buf, &k);
    shard_lock(k.s);
    snapshot_guard_key(k.s, MC_DB, k.p, k.len, k.hash); /* memcached reads may touch TTL/flags */
    enum mc_result res = mc_delete(&m->env, &k);
    shard_unlock(k.s);
    STAT_INC(*(res == MC_DELETED ? &m->st->delete_hits : &m->st->delete_misses));
    if (!r->noreply)
        mc_reply(m, res == MC_DELETED ? "DELETED\r\n" : "NOT_FOUND\r\n");
}

static void cmd_arith(struct mc_ctx *m, const struct mc_request *r)
{
    int decr = r->cmd == MC_CMD_DECR;
    struct key k;
    mc_key(r, m->buf, &k);
    uint64_t v = 0;
    shard_lock(k.s);
    snapshot_guard_key(k.s, MC_DB, k.p, k.len, k.hash); /* memcached reads may touch TTL/flags */
    enum mc_result res = mc_incr(&m->env, &k, decr, r->delta, &v);
    shard_unlock(k.s);
    if (res == MC_NOT_FOUND)
        STAT_INC(*(decr ? &m->st->decr_misses : &m->st->incr_misses));
    else if (res == MC_STORED)
        STAT_INC(*(decr ? &m->st->decr_hits : &m->st->incr_hits));
    if (r->noreply)
        return;
    if (res == MC_NOT_FOUND) {
        mc_reply(m, "NOT_FOUND\r\n");
    } else if (res == MC_NON_NUMERIC) {
        mc_reply(m, "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
    } else {
        char num[32];
        snprintf(num, sizeof(num), "%llu\r\n", (unsigned long long)v);
        mc_reply(m, num);
    }
}

static void cmd_touch(struct mc_ctx *m, const struct mc_request *r)
{
    struct key k;
    mc_key(r, m->buf, &k);
    struct mc_item it;
    shard_lock(k.s);
    snapshot_guard_key(k.s, MC_DB, k.p, k.len, k.hash); /* memcached reads may touch TTL/flags */
    int hit = mc_lookup(&m->env, &k, 0, 0, &it);
    if (hit)
        mc_touch(&m->env, &k, &it, mc_exptime_ms(r->exptime, m->env.now_ms));
    shard_unlock(k.s);
    STAT_INC(m->st->cmd_touch);
    STAT_INC(*(hit ? &m->st->touch_hits : &m->st->touch_misses));
    if (!r->noreply)
        mc_reply(m, hit ? "TOUCHED\r\n" : "NOT_FOUND\r\n");
}

/* flush_all [delay]: memcached invalidates every item stored before the
 * moment the flush takes effect, which is the same as emptying the
 * keyspace at that moment. */
static void cmd_flush_all(struct mc_ctx *m, const struct mc_request *r)
{
    STAT_INC(m->st->cmd_flush);
    if (r->has_exptime && r->exptime > 0)
        __atomic_store_n(&flush_at_ms, mc_exptime_ms(r->exptime, m->env.now_ms),
                         __ATOMIC_RELAXED);
    else
        flush_db0_now();
    if (!r->noreply)
        mc_reply(m, "OK\r\n");
}

static void cmd_stats(struct mc_ctx *m, const struct mc_request *r)
{
    const char *sec = r->nargs ? m->buf + r->args[0].off : NULL;
    size_t slen = r->nargs ? r->args[0].len : 0;
    if (mc_stats_reply(m->out, sec, slen, m->env.now_ms) != 0)
        mc_reply(m, "ERROR\r\n");
}

static void run(struct mc_ctx *m, const struct mc_request *r)
{
    switch (r->cmd) {
    case MC_CMD_GET:
    case MC_CMD_GETS:
    case MC_CMD_GAT:
    case MC_CMD_GATS:
        cmd_retrieve(m, r);
        break;
    case MC_CMD_SET:
    case MC_CMD_ADD:
    case MC_CMD_REPLACE:
    case MC_CMD_APPEND:
    case MC_CMD_PREPEND:
    case MC_CMD_CAS:
        cmd_store(m, r);
        break;
    case MC_CMD_DELETE: cmd_delete(m, r); break;
    case MC_CMD_INCR:
    case MC_CMD_DECR: cmd_arith(m, r); break;
    case MC_CMD_TOUCH: cmd_touch(m, r); break;
    case MC_CMD_FLUSH_ALL: cmd_flush_all(m, r); break;
    case MC_CMD_VERSION: mc_reply(m, "VERSION " CACHET_MEMCACHED_COMPAT_VERSION "\r\n"); break;
    case MC_CMD_VERBOSITY:
        if (!r->noreply)
            mc_reply(m, "OK\r\n");
        break;
    case MC_CMD_QUIT: m->cl->flags |= CL_CLOSE_AFTER_REPLY; break;
    case MC_CMD_STATS: cmd_stats(m, r); break;
    case MC_CMD_OTHER:
        if (r->nargs && r->args[0].len == 8 && !memcmp(m->buf + r->args[0].off, "shutdown", 8))
            mc_reply(m, "ERROR: shutdown not enabled\r\n");
        else
            mc_reply(m, "ERROR\r\n");
        break;
    case MC_CMD_MG:
    case MC_CMD_MS:
    case MC_CMD_MD:
    case MC_CMD_MA:
    case MC_CMD_MN:
    case MC_CMD_ME:
        STAT_INC(m->st->cmd_meta);
        mc_run_meta(m, r);
        break;
    default:
        mc_reply(m, "ERROR\r\n");
        break;
    }
}

/* memcached deletes the existing item when a set is refused as too large. */
static void drop_key(struct mc_ctx *m, const struct mc_request *r)
{
    struct key k;
    mc_key(r, m->buf, &k);
    shard_lock(k.s);
    snapshot_guard_key(k.s, MC_DB, k.p, k.len, k.hash); /* memcached reads may touch TTL/flags */
    ks_delete(&m->env, MC_DB, &k);
    shard_unlock(k.s);
}

size_t mc_process_buffer(struct client *c, const char *buf, size_t len)
{
    struct worker *wk = c->wk;
    if (!c->mcp) {
        c->mcp = xmalloc(sizeof(*c->mcp));
        mc_parser_init(c->mcp);
    }
    struct mc_limits lim = MC_LIMITS_DEFAULT;
    lim.max_item_size = (uint64_t)CFG(max_item_size);
    struct mc_ctx m = {
        .cl = c,
        .out = &c->out,
        .env = {.now_ms = wk->now_ms, .expired = &wk->stats.expired},
        .st = &wk->stats.mc,
    };
    size_t pos = 0;
    while (pos < len && !(c->flags & (CL_CLOSE_AFTER_REPLY | CL_CLOSE_ASAP))) {
        struct mc_request r;
        enum mc_status st = mc_parse(c->mcp, buf + pos, len - pos, &lim, &r);
        if (st == MC_NEED_MORE)
            break;
        if (st == MC_CLOSE) {
            c->flags |= CL_CLOSE_ASAP;
            return len;
        }
        m.buf = buf + pos;
        if (st == MC_OK && snapshot_loading()) { /* as RESP's -LOADING */
            obuf_append(&c->out, "SERVER_ERROR loading the dataset in memory\r\n", 44);
        } else if (st == MC_OK) {
            run(&m, &r);
            STAT_INC(wk->stats.commands);
        } else if (st == MC_ERROR) {
            if (r.drop_key)
                drop_key(&m, &r);
            if (r.err && !strcmp(r.err, "SERVER_ERROR object too large for cache"))
                STAT_INC(m.st->store_too_large);
            if (!r.noreply) {
                mc_reply(&m, r.err);
                mc_reply(&m, "\r\n");
            }
        }
        pos += r.frame_len;
    }
    return pos;
}

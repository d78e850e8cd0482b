/* mc_meta.c - memcached's meta commands (mg ms md ma mn me) over the shared
 * keyspace.  Return flags are written in the order the client asked for
 * them, then W (this client won the right to recache), X (the item is
 * stale), Z (a win token was already handed out), as memcached does. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "eviction/maxmemory.h"
#include "persistence/snapshot.h"
#include "server/core/clock.h"
#include "server/net/client.h"
#include "server/net/worker.h"
#include "server/core/stats.h"
#include "eviction/policy.h"
#include "server/memcache/mc_dispatch.h"
#include "server/memcache/mc_ops.h"

static void out(struct mc_ctx *m, const void *p, size_t n)
{
    obuf_append(m->out, p, n);
}

static void outf(struct mc_ctx *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(struct mc_ctx *m, const char *fmt, ...)
{
    char b[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b, sizeof(b), fmt, ap);
    va_end(ap);
    out(m, b, (size_t)(n < (int)sizeof(b) ? n : (int)sizeof(b) - 1));
}

static void out_base64(struct mc_ctx *m, const unsigned char *s, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char b[4];
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        b[0] = tbl[(v >> 18) & 63];
        b[1] = tbl[(v >> 12) & 63];
        b[2] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        b[3] = i + 2 < n ? tbl[v & 63] : '=';
        out(m, b, 4);
    }
}

/* What the return flags may report about the item. */
struct ret {
    const struct mc_item *it; /* NULL on a miss */
    uint64_t cas;
    int64_t ttl_s;            /* -1: no expiry */
    uint64_t idle_s;
    int win, stale, token_sent;
};

static void ret_flags(struct mc_ctx *m, const struct mc_request *r, const struct ret *x)
{
    for (size_t i = 0; i < r->nmflags; i++) {
        if (!x->it && r->mflags[i].flag != 'O' && r->mflags[i].flag != 'k')
            continue; /* a miss echoes only the opaque and the key */
        const struct mc_mflag *f = &r->mflags[i];
        switch (f->flag) {
        case 'O':
            out(m, " O", 2);
            out(m, m->buf + f->tok.off, f->tok.len);
            break;
        case 'k': {
            size_t kl;
            const char *kp = mc_req_key(r, m->buf, &kl);
            out(m, " k", 2);
            if (r->key_binary) {
                out_base64(m, (const unsigned char *)kp, kl);
                out(m, " b", 2);
            } else {
                out(m, kp, kl);
            }
            break;
        }
        case 'c':
            if (x->it)
                outf(m, " c%llu", (unsigned long long)x->cas);
            break;
        case 'f':
            if (x->it)
                outf(m, " f%u", x->it->flags);
            break;
        case 's':
            if (x->it)
                outf(m, " s%zu", x->it->vlen);
            break;
        case 't':
            if (x->it)
                outf(m, " t%lld", (long long)x->ttl_s);
            break;
        case 'h':
            if (x->it)
                outf(m, " h%d", x->it->fetched_before ? 1 : 0);
            break;
        case 'l':
            if (x->it)
                outf(m, " l%llu", (unsigned long long)x->idle_s);
            break;
        default:
            break;
        }
    }
    /* memcached's order: Z (token already sent), X (stale), W (you won) */
    if (x->token_sent)
        out(m, " Z", 2);
    if (x->stale)
        out(m, " X", 2);
    if (x->win)
        out(m, " W", 2);
}

static int64_t ttl_seconds(const struct mc_item *it, int64_t now_ms)
{
    if (it->expire_ms < 0)
        return -1;
    int64_t left = it->expire_ms - now_ms;
    return left > 0 ? (left + 999) / 1000 : 0;
}

static void header_end(struct mc_ctx *m, const struct mc_request *r, const struct ret *x,
                       const char *code)
{
    out(m, code, 2);
    ret_flags(m, r, x);
    out(m, "\r\n", 2);
}

static void meta_get(struct mc_ctx *m, const struct mc_request *r)
{
    struct key k;
    mc_key(r, m->buf, &k);
    struct mc_item it;
    struct ret x = {0};
    int drop_after = 0;
    shard_lock(k.s);
    snapshot_guard_key(k.s, MC_DB, k.p, k.len, k.hash); /* memcached reads may touch TTL/flags */
    uint64_t idle = 0;
    struct entry *pre = ks_lookup(&m->env, MC_DB, &k, KS_NOTOUCH);
    if (pre)
        idle = evict_idle_ms(pre, m->env.now_ms) / 1000;
    /* u: no LRU bump, and not counted as a fetch */
    int hit = mc_lookup(&m->env, &k, mc_meta_has(r, 'c'), !mc_meta_has(r, 'u'), &it);
    if (!hit && mc_meta_has(r, 'N')) { /* vivify: an empty item this client must fill */
        mc_store(&m->env, &k, MC_MODE_ADD, 0, "", 0, 0,
                 mc_exptime_ms(r->meta.vivify_ttl, m->env.now_ms), 0, NULL);
        hit = mc_lookup(&m->env, &k, mc_meta_has(r, 'c'), 0, &it);
        if (hit) {
            it.e->flags |= E_WIN;
            x.win = 1;
        }
    } else if (hit) {
        if (mc_meta_has(r, 'T')) {
            int64_t exp = mc_exptime_ms(r->meta.ttl, m->env.now_ms);
            if (exp == 0)
                drop_after = 1; /* answered with the value, then gone */
            else
                mc_touch(&m->env, &k, &it, exp);
        }
        {
            int64_t ttl = ttl_seconds(&it, m->env.now_ms);
            int sent = (it.e->flags & E_WIN) != 0;
            x.stale = (it.e->flags & E_STALE) != 0;
            int wants = x.stale || (mc_meta_has(r, 'R') && ttl != -1 && ttl < r->meta.recache_ttl);
            if (wants && !sent) {
                it.e->flags |= E_WIN;
                x.win = 1;
            } else if (sent) {
                x.token_sent = 1;
            }
        }
    }
    STAT_INC(m->st->cmd_get);
    STAT_INC(*(hit ? &m->st->get_hits : &m->st->get_misses));
    if (!hit) {
        shard_unlock(k.s);
        if (!mc_meta_has(r, 'q'))
            header_end(m, r, &x, "EN");
        return;
    }
    x.it = &it;
    x.cas = it.cas ? it.cas : 0;
    if (mc_meta_has(r, 'c') && !x.cas)
        x.cas = ks_cas(&m->env, MC_DB, &k, &it.e);
    x.ttl_s = ttl_seconds(&it, m->env.now_ms);
    x.idle_s = idle;
    if (mc_meta_has(r, 'v')) {
        outf(m, "VA %zu", it.vlen);
        ret_flags(m, r, &x);
        out(m, "\r\n", 2);
        out(m, it.val, it.vlen);
        out(m, "\r\n", 2);
    } else {
        header_end(m, r, &x, "HD");
    }
    if (drop_after)
        mc_touch(&m->env, &k, &it, 0);
    shard_unlock(k.s);
}

static void meta_set(struct mc_ctx *m, const struct mc_request *r)
{
    enum mc_store_mode mode = MC_MODE_SET;
    if (mc_meta_has(r, 'M')) {
        switch (r->meta.mode) {
        case 'E': case 'e': mode = MC_MODE_ADD; break;
        case 'A': case 'a': mode = MC_MODE_APPEND; break;
        case 'P': case 'p': mode = MC_MODE_PREPEND; break;
        case 'R': case 'r': mode = MC_MODE_REPLACE; break;
        default: mode = MC_MODE_SET; break;
        }
    }
    struct key k;
    mc_key(r, m->buf, &k);
    uint64_t cas = 0;
    int64_t exp = mc_meta_has(r, 'T') ? mc_exptime_ms(r->meta.ttl, m->env.now_ms) : -1;
    uint32_t flags = mc_meta_has(r, 'F') ? r->meta.client_flags : 0;
    int compare = mc_meta_has(r, 'C'), mark_stale = 0;
    maxmemory_make_room(&m->env, &m->cl->wk->rnd, &m->cl->wk->stats.evicted);
    shard_lock(k.s);
    snapshot_guard_key(k.s, MC_DB, k.p, k.len, k.hash); /* memcached reads may touch TTL/flags */
    if (compare && mc_meta_has(r, 'I')) {
        /* invalidate mode: a CAS older than the item's still stores, but
         * the result is marked stale (a late writer's value is suspect) */
        struct entry *cur = ks_lookup(&m->env, MC_DB, &k, KS_NOTOUCH);
        uint64_t cur_cas = cur ? ks_cas(&m->env, MC_DB, &k, &cur) : 0;
        if (cur && r->meta.cas < cur_cas) {
            compare = 0;
            mark_stale = 1;
        }
    }
    enum mc_result res = mc_store(&m->env, &k, mode, compare, m->buf + r->data.off, r->data.len,
                                  flags, exp, r->meta.cas, &cas);
    struct ret x = {0};
    struct mc_item it;
    if (res == MC_STORED && mc_lookup(&m->env, &k, 0, 0, &it)) {
        if (mark_stale)
            it.e->flags |= E_STALE;
        x.it = &it;
        x.cas = cas;
        x.ttl_s = ttl_seconds(&it, m->env.now_ms);
    }
    shard_unlock(k.s);
    STAT_INC(m->st->cmd_set);
    if (res == MC_STORED)
        STAT_INC(m->st->total_items);
    const char *code = res == MC_STORED ? "HD" : res == MC_EXISTS ? "EX"
                       : res == MC_NOT_FOUND ? "NF" : "NS";
    if (res == MC_STORED && mc_meta_has(r, 'q'))
        return;
    if (res == MC_TOO_LARGE || res == MC_OOM) {
        mc_reply(m, "SERVER_ERROR out of memory storing object\r\n");
        return;
    }
    header_end(m, r, &x, code);
}

static void meta_delete(struct mc_ctx *m, const struct mc_request *r)
{
    struct key k;
    mc_key(r, m->buf, &k);
    struct ret x = {0};
    struct mc_item it;
    shard_lock(k.s);
    snapshot_guard_key(k.s, MC_DB, k.p, k.len, k.hash); /* memcached reads may touch TTL/flags */
    const char *code;
    if (!mc_lookup(&m->env, &k, 0, 0, &it)) {
        code = "NF";
    } else if (mc_meta_has(r, 'C') && entry_cas(it.e) != r->meta.cas) {
        code = "EX";
    } else if (mc_meta_has(r, 'I')) { /* invalidate: keep it, stale, for one recache */
        if (mc_meta_has(r, 'T'))
            mc_touch(&m->env, &k, &it, mc_exptime_ms(r->meta.ttl, m->env.now_ms));
        struct entry *e = ks_lookup(&m->env, MC_DB, &k, KS_NOTOUCH);
        if (e) {
            e->flags |= E_STALE;
            e->flags &= (uint8_t)~E_WIN;
            ks_modified(MC_DB, &k, e);
        }
        code = "HD";
    } else {
        ks_delete(&m->env, MC_DB, &k);
        code = "HD";
    }
    shard_unlock(k.s);
    STAT_INC(*(code[0] == 'H' ? &m->st->delete_hits : &m->st->delete_misses));
    if (code[0] == 'H' && mc_meta_has(r, 'q'))
        return;
    header_end(m, r, &x, code);
}

static void meta_arith(struct mc_ctx *m, const struct mc_request *r)
{
    int decr = mc_meta_has(r, 'M') &&
               (r->meta.mode == 'D' || r->meta.mode == 'd' || r->meta.mode == '-');
    struct key k;
    mc_key(r, m->buf, &k);
    uint64_t v = 0;
    struct ret x = {0};
    struct mc_item it;
    shard_lock(k.s);
    snapshot_guard_key(k.s, MC_DB, k.p, k.len, k.hash); /* memcached reads may touch TTL/flags */
    enum mc_result res;
    struct entry *cur = ks_lookup(&m->env, MC_DB, &k, KS_NOTOUCH);
    if (mc_meta_has(r, 'C') && cur && entry_cas(cur) != r->meta.cas)
        res = MC_EXISTS;
    else
        res = mc_incr(&m->env, &k, decr, r->meta.delta, &v);
    if (res == MC_NOT_FOUND && mc_meta_has(r, 'N')) { /* autovivify with J's value */
        char num[24];
        int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)r->meta.initial);
        mc_store(&m->env, &k, MC_MODE_ADD, 0, num, (size_t)n, 0,
                 mc_exptime_ms(r->meta.vivify_ttl, m->env.now_ms), 0, NULL);
        v = r->meta.initial;
        res = MC_STORED;
    } else if (res == MC_STORED && mc_meta_has(r, 'T')) {
        if (mc_lookup(&m->env, &k, 0, 0, &it))
            mc_touch(&m->env, &k, &it, mc_exptime_ms(r->meta.ttl, m->env.now_ms));
    }
    if (res == MC_STORED && mc_lookup(&m->env, &k, mc_meta_has(r, 'c'), 0, &it)) {
        x.it = &it;
        x.cas = it.cas;
        x.ttl_s = ttl_seconds(&it, m->env.now_ms);
    }
    shard_unlock(k.s);
    if (res == MC_NOT_FOUND)
        STAT_INC(*(decr ? &m->st->decr_misses : &m->st->incr_misses));
    else if (res == MC_STORED)
        STAT_INC(*(decr ? &m->st->decr_hits : &m->st->incr_hits));
    if (res == MC_NON_NUMERIC) {
        mc_reply(m, "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
        return;
    }
    if (res == MC_NOT_FOUND || res == MC_EXISTS) {
        header_end(m, r, &x, res == MC_EXISTS ? "EX" : "NF");
        return;
    }
    if (mc_meta_has(r, 'q'))
        return;
    if (mc_meta_has(r, 'v')) {
        char num[24];
        int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
        outf(m, "VA %d", n);
        ret_flags(m, r, &x);
        out(m, "\r\n", 2);
        out(m, num, (size_t)n);
        out(m, "\r\n", 2);
    } else {
        header_end(m, r, &x, "HD");
    }
}

/* me: memcached's debug line for an item. */
static void meta_debug(struct mc_ctx *m, const struct mc_request *r)
{
    struct key k;
    mc_key(r, m->buf, &k);
    shard_lock(k.s);
    snapshot_guard_key(k.s, MC_DB, k.p, k.len, k.hash); /* memcached reads may touch TTL/flags */
    struct entry *e = ks_lookup(&m->env, MC_DB, &k, KS_NOTOUCH);
    if (!e || entry_type(e) != T_STRING) {
        shard_unlock(k.s);
        out(m, "EN\r\n", 4);
        return;
    }
    char tmp[24];
    size_t vlen;
    entry_str(e, tmp, &vlen);
    int64_t exp = entry_expire(e);
    long long exp_s = exp < 0 ? -1 : (long long)((exp - m->env.now_ms + 999) / 1000);
    unsigned long long la = (unsigned long long)(evict_idle_ms(e, m->env.now_ms) / 1000);
    unsigned long long cas = (unsigned long long)entry_cas(e);
    int fetched = (e->flags & E_FETCHED) != 0;
    shard_unlock(k.s);
    out(m, "ME ", 3);
    out(m, k.p, k.len);
    outf(m, " exp=%lld la=%llu cas=%llu fetch=%s cls=1 size=%zu\r\n", exp_s, la, cas,
         fetched ? "yes" : "no", vlen + k.len + 2);
}

void mc_run_meta(struct mc_ctx *m, const struct mc_request *r)
{
    switch (r->cmd) {
    case MC_CMD_MN: out(m, "MN\r\n", 4); break;
    case MC_CMD_MG: meta_get(m, r); break;
    case MC_CMD_MS: meta_set(m, r); break;
    case MC_CMD_MD: meta_delete(m, r); break;
    case MC_CMD_MA: meta_arith(m, r); break;
    case MC_CMD_ME: meta_debug(m, r); break;
    default: mc_reply(m, "ERROR\r\n"); break;
    }
}

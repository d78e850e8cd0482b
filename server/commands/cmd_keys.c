/* cmd_keys.c - generic key commands: existence, expiry, renames, copies,
 * iteration (KEYS, SCAN, RANDOMKEY) and OBJECT introspection. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eviction/policy.h"
#include "server/commands/coll.h"
#include "server/commands/command.h"
#include "server/types/types.h"
#include "server/core/mem.h"
#include "server/core/rng.h"
#include "server/core/util.h"
#include "server/net/worker.h"

void cmd_del(struct cmd_ctx *c)
{
    long long n = 0;
    for (int i = 1; i < c->argc; i++) {
        struct key k;
        ctx_key(c, i, &k);
        n += ks_delete(&c->env, c->db, &k);
    }
    resp_int(c->w, n);
}

void cmd_exists(struct cmd_ctx *c)
{
    long long n = 0;
    for (int i = 1; i < c->argc; i++) {
        struct key k;
        ctx_key(c, i, &k);
        n += ks_lookup(&c->env, c->db, &k, KS_NOTOUCH) != NULL;
    }
    resp_int(c->w, n);
}

void cmd_type(struct cmd_ctx *c)
{
    struct key k;
    ctx_key(c, 1, &k);
    struct entry *e = ks_lookup(&c->env, c->db, &k, KS_NOTOUCH);
    resp_simple(c->w, e ? entry_type_name(e) : "none");
}

void cmd_touch(struct cmd_ctx *c)
{
    long long n = 0;
    for (int i = 1; i < c->argc; i++) {
        struct key k;
        ctx_key(c, i, &k);
        n += ks_lookup(&c->env, c->db, &k, KS_TOUCH) != NULL;
    }
    resp_int(c->w, n);
}

/* ---- expiry ---- */

#define EXP_NX 1
#define EXP_XX 2
#define EXP_GT 4
#define EXP_LT 8

static void expire_generic(struct cmd_ctx *c, int64_t base_ms, int unit_secs)
{
    int flags = 0;
    for (int j = 3; j < c->argc; j++) {
        if (ctx_arg_is(c, j, "nx"))
            flags |= EXP_NX;
        else if (ctx_arg_is(c, j, "xx"))
            flags |= EXP_XX;
        else if (ctx_arg_is(c, j, "gt"))
            flags |= EXP_GT;
        else if (ctx_arg_is(c, j, "lt"))
            flags |= EXP_LT;
        else {
            ctx_errorf(c, "ERR Unsupported option %.*s", (int)c->argl[j], c->argv[j]);
            return;
        }
    }
    if ((flags & EXP_NX) && (flags & (EXP_XX | EXP_GT | EXP_LT))) {
        ctx_error(c, ERR_NXXX_GTLT);
        return;
    }
    if ((flags & EXP_GT) && (flags & EXP_LT)) {
        ctx_error(c, ERR_GT_LT);
        return;
    }
    long long when;
    if (!ctx_get_ll(c, 2, &when))
        return;
    if (unit_secs) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) {
            ctx_errorf(c, ERR_EXPIRE_INVALID_FMT, c->cmd->name);
            return;
        }
        when *= 1000;
    }
    if (when > LLONG_MAX - base_ms) {
        ctx_errorf(c, ERR_EXPIRE_INVALID_FMT, c->cmd->name);
        return;
    }
    when += base_ms;

    struct key k;
    ctx_key(c, 1, &k);
    struct entry *e = ks_lookup(&c->env, c->db, &k, KS_NOTOUCH);
    if (!e) {
        resp_int(c->w, 0);
        return;
    }
    int64_t cur = entry_expire(e);
    if (((flags & EXP_NX) && cur != -1) || ((flags & EXP_XX) && cur == -1) ||
        ((flags & EXP_GT) && (cur == -1 || when <= cur)) ||
        ((flags & EXP_LT) && cur != -1 && when >= cur)) {
        resp_int(c->w, 0);
        return;
    }
    if (when <= c->env.now_ms) /* already in the past: the key goes now */
        ks_delete(&c->env, c->db, &k);
    else
        ks_set_expire(&c->env, c->db, &k, e, when);
    resp_int(c->w, 1);
}

void cmd_expire(struct cmd_ctx *c) { expire_generic(c, c->env.now_ms, 1); }
void cmd_pexpire(struct cmd_ctx *c) { expire_generic(c, c->env.now_ms, 0); }
void cmd_expireat(struct cmd_ctx *c) { expire_generic(c, 0, 1); }
void cmd_pexpireat(struct cmd_ctx *c) { expire_generic(c, 0, 0); }

static void ttl_generic(struct cmd_ctx *c, int ms, int absolute)
{
    struct key k;
    ctx_key(c, 1, &k);
    struct entry *e = ks_lookup(&c->env, c->db, &k, KS_NOTOUCH);
    if (!e) {
        resp_int(c->w, -2);
        return;
    }
    int64_t exp = entry_expire(e);
    if (exp < 0) {
        resp_int(c->w, -1);
        return;
    }
    if (absolute) {
        resp_int(c->w, ms ? exp : (exp + 500) / 1000);
        return;
    }
    int64_t ttl = exp - c->env.now_ms;
    if (ttl < 0)
        ttl = 0;
    resp_int(c->w, ms ? ttl : (ttl + 500) / 1000);
}

void cmd_ttl(struct cmd_ctx *c) { ttl_generic(c, 0, 0); }
void cmd_pttl(struct cmd_ctx *c) { ttl_generic(c, 1, 0); }
void cmd_expiretime(struct cmd_ctx *c) { ttl_generic(c, 0, 1); }
void cmd_pexpiretime(struct cmd_ctx *c) { ttl_generic(c, 1, 1); }

void cmd_persist(struct cmd_ctx *c)
{
    struct key k;
    ctx_key(c, 1, &k);
    struct entry *e = ks_lookup(&c->env, c->db, &k, KS_NOTOUCH);
    if (!e || entry_expire(e) < 0) {
        resp_int(c->w, 0);
        return;
    }
    ks_set_expire(&c->env, c->db, &k, e, -1);
    resp_int(c->w, 1);
}

/* ---- RENAME / MOVE / COPY ---- */

/* Move the entry under src (db sdb) to dst (db ddb), keeping its TTL. */
static void move_entry(struct cmd_ctx *c, const struct key *src, int sdb, const struct key *dst,
                       int ddb)
{
    struct entry *e = ks_detach(&c->env, sdb, src);
    struct entry *n = entry_reshape(e, dst->p, dst->len, entry_expire(e));
    entry_free_shell(e);
    ks_store(&c->env, ddb, dst, n);
}

static void rename_generic(struct cmd_ctx *c, int nx)
{
    struct key src, dst;
    ctx_key(c, 1, &src);
    ctx_key(c, 2, &dst);
    if (!ks_lookup(&c->env, c->db, &src, KS_NOTOUCH)) {
        ctx_error(c, ERR_NO_SUCH_KEY);
        return;
    }
    if (src.len == dst.len && !memcmp(src.p, dst.p, src.len)) {
        if (nx)
            resp_int(c->w, 0);
        else
            ctx_ok(c);
        return;
    }
    if (ks_lookup(&c->env, c->db, &dst, KS_NOTOUCH)) {
        if (nx) {
            resp_int(c->w, 0);
            return;
        }
        ks_delete(&c->env, c->db, &dst);
    }
    move_entry(c, &src, c->db, &dst, c->db);
    if (nx)
        resp_int(c->w, 1);
    else
        ctx_ok(c);
}

void cmd_rename(struct cmd_ctx *c) { rename_generic(c, 0); }
void cmd_renamenx(struct cmd_ctx *c) { rename_generic(c, 1); }

static int parse_db(struct cmd_ctx *c, int i, int *db)
{
    long long v;
    if (!ctx_get_ll(c, i, &v))
        return 0;
    if (v < INT_MIN || v > INT_MAX) { /* Redis parses an int */
        ctx_error(c, ERR_INT_RANGE);
        return 0;
    }
    if (v < 0 || v >= ks_ndb()) {
        ctx_error(c, ERR_DB_RANGE);
        return 0;
    }
    *db = (int)v;
    return 1;
}

void cmd_move(struct cmd_ctx *c)
{
    int db;
    if (!parse_db(c, 2, &db))
        return;
    if (db == c->db) {
        ctx_error(c, ERR_SAME_OBJECT);
        return;
    }
    struct key k;
    ctx_key(c, 1, &k);
    if (!ks_lookup(&c->env, c->db, &k, KS_NOTOUCH) || ks_lookup(&c->env, db, &k, KS_NOTOUCH)) {
        resp_int(c->w, 0);
        return;
    }
    move_entry(c, &k, c->db, &k, db);
    resp_int(c->w, 1);
}

void cmd_copy(struct cmd_ctx *c)
{
    int db = c->db, replace = 0;
    for (int j = 3; j < c->argc; j++) {
        if (ctx_arg_is(c, j, "replace")) {
            replace = 1;
        } else if (ctx_arg_is(c, j, "db") && j + 1 < c->argc) {
            if (!parse_db(c, j + 1, &db))
                return;
            j++;
        } else {
            ctx_error(c, ERR_SYNTAX);
            return;
        }
    }
    struct key src, dst;
    ctx_key(c, 1, &src);
    ctx_key(c, 2, &dst);
    if (db == c->db && src.len == dst.len && !memcmp(src.p, dst.p, src.len)) {
        ctx_error(c, ERR_SAME_OBJECT);
        return;
    }
    struct entry *e = ks_lookup(&c->env, c->db, &src, KS_NOTOUCH);
    if (!e) {
        resp_int(c->w, 0);
        return;
    }
    if (ks_lookup(&c->env, db, &dst, KS_NOTOUCH)) {
        if (!replace) {
            resp_int(c->w, 0);
            return;
        }
        ks_delete(&c->env, db, &dst);
    }
    ks_store(&c->env, db, &dst, entry_dup(e, dst.p, dst.len, entry_expire(e)));
    resp_int(c->w, 1);
}

/* ---- iteration ---- */

struct collect {
    struct cmd_ctx *c;
    struct resp_writer *out; /* where matching keys are encoded */
    const char *pat;
    size_t plen;
    int match_all;
    int type; /* -1 = any, -2 = a type no key has */
    long long n;
};

static void collect_key(struct entry *e, void *arg)
{
    struct collect *st = arg;
    int64_t exp = entry_expire(e);
    if (exp >= 0 && exp <= st->c->env.now_ms)
        return; /* logically gone; lazy or active expiry will reclaim it */
    if (st->type != -1 && entry_type(e) != st->type)
        return;
    size_t klen;
    const char *k = entry_key(e, &klen);
    if (!st->match_all && !util_glob(st->pat, st->plen, k, klen, 0))
        return;
    resp_bulk(st->out, k, klen);
    st->n++;
}

void cmd_keys(struct cmd_ctx *c)
{
    struct collect st = {c, c->w, c->argv[1], c->argl[1], 0, -1, 0};
    st.match_all = c->argl[1] == 1 && c->argv[1][0] == '*';
    size_t mark = resp_defer(c->w);
    for (uint32_t i = 0; i < ks_nshards(); i++) {
        struct shard *s = ks_shard(i);
        ctx_lock_shard(c, s);
        ht_foreach(&s->db[c->db].ht, collect_key, &st);
        ctx_unlock_shard(c, s);
    }
    resp_defer_array(c->w, mark, st.n);
}


/* The cursor's low bits name the shard, the rest is that shard's table
 * cursor (reverse-binary, htable.c), so a cursor stays valid while shards
 * resize between calls. */
void cmd_scan(struct cmd_ctx *c)
{
    unsigned long long cursor;
    if (!coll_scan_cursor(c, 1, &cursor))
        return;
    long long count = 10;
    struct obuf tmp;
    obuf_init(&tmp);
    struct resp_writer tw = {&tmp, c->w->proto};
    struct collect st = {c, &tw, NULL, 0, 1, -1, 0};
    for (int j = 2; j < c->argc; j++) {
        if (ctx_arg_is(c, j, "count") && j + 1 < c->argc) {
            if (!ctx_get_ll(c, j + 1, &count)) {
                obuf_deinit(&tmp);
                return;
            }
            if (count < 1) {
                ctx_error(c, ERR_SYNTAX);
                obuf_deinit(&tmp);
                return;
            }
            j++;
        } else if (ctx_arg_is(c, j, "match") && j + 1 < c->argc) {
            st.pat = c->argv[j + 1];
            st.plen = c->argl[j + 1];
            st.match_all = st.plen == 1 && st.pat[0] == '*';
            j++;
        } else if (ctx_arg_is(c, j, "type") && j + 1 < c->argc) {
            st.type = type_by_name(c->argv[j + 1], c->argl[j + 1]);
            if (st.type < 0)
                st.type = -2; /* unknown: Redis 7.0 matches nothing */
            j++;
        } else {
            ctx_error(c, ERR_SYNTAX);
            obuf_deinit(&tmp);
            return;
        }
    }
    uint32_t nsh = ks_nshards(), bits = 0;
    while ((1u << bits) < nsh)
        bits++;
    uint32_t shard = (uint32_t)(cursor & (nsh - 1));
    uint64_t v = cursor >> bits;
    long long budget = count * 10; /* buckets visited, as Redis bounds a call */
    for (;;) {
        struct shard *s = ks_shard(shard);
        ctx_lock_shard(c, s);
        struct htable *h = &s->db[c->db].ht;
        if (ht_count(h) == 0) {
            v = 0; /* an empty shard costs nothing against the budget */
        } else {
            do {
                v = ht_scan(h, v, collect_key, &st);
            } while (v && --budget > 0 && st.n < count);
        }
        ctx_unlock_shard(c, s);
        if (v == 0) {
            if (++shard == nsh) {
                shard = 0;
                break; /* full iteration done: cursor 0 */
            }
        }
        if (st.n >= count || budget <= 0)
            break;
    }
    unsigned long long next = (v == 0 && shard == 0) ? 0 : ((unsigned long long)v << bits) | shard;
    resp_array(c->w, 2);
    resp_bulk_ll(c->w, (long long)next);
    resp_array(c->w, st.n);
    obuf_append(c->w->out, tmp.data, tmp.len);
    obuf_deinit(&tmp);
}

/* A random live key: a random shard holding keys, a random entry in it.
 * Expired picks are reclaimed and retried, as Redis retries up to 100. */
void cmd_randomkey(struct cmd_ctx *c)
{
    uint32_t nsh = ks_nshards();
    uint32_t start = (uint32_t)(rng_next(&c->wk->rnd) % nsh);
    for (uint32_t i = 0; i < nsh; i++) {
        struct shard *s = ks_shard((start + i) % nsh);
        ctx_lock_shard(c, s);
        struct htable *h = &s->db[c->db].ht;
        for (int tries = 0; tries < 100 && ht_count(h); tries++) {
            struct entry *e = ht_random(h, &c->wk->rnd);
            int64_t exp = entry_expire(e);
            size_t kl;
            const char *kp = entry_key(e, &kl);
            if (exp < 0 || exp > c->env.now_ms) {
                resp_bulk(c->w, kp, kl);
                ctx_unlock_shard(c, s);
                return;
            }
            struct key k;
            key_init(&k, kp, kl);
            ks_lookup(&c->env, c->db, &k, KS_NOTOUCH); /* reclaims it */
        }
        ctx_unlock_shard(c, s);
    }
    resp_null(c->w);
}

/* ---- OBJECT ---- */

static struct entry *object_lookup(struct cmd_ctx *c)
{
    struct key k;
    ctx_key(c, 2, &k);
    struct entry *e = ks_lookup(&c->env, c->db, &k, KS_NOTOUCH);
    if (!e)
        resp_null(c->w);
    return e;
}

void cmd_object_encoding(struct cmd_ctx *c)
{
    struct entry *e = object_lookup(c);
    if (e)
        resp_bulk_cstr(c->w, entry_encoding_name(e));
}

void cmd_object_idletime(struct cmd_ctx *c)
{
    struct entry *e = object_lookup(c);
    if (!e)
        return;
    enum evict_policy p = evict_policy();
    if (evict_policy_is_lfu(p))
        ctx_error(c, ERR_LRU_NOT_SELECTED);
    else if (evict_ops_of(p)->flags & EPF_QUEUE)
        ctx_error(c, ERR_IDLE_NOT_TRACKED);
    else
        resp_int(c->w, (long long)(evict_idle_ms(e, c->env.now_ms) / 1000));
}

void cmd_object_freq(struct cmd_ctx *c)
{
    struct entry *e = object_lookup(c);
    if (!e)
        return;
    if (evict_policy_is_lfu(evict_policy()))
        resp_int(c->w, evict_lfu_freq(e, c->env.now_ms));
    else
        ctx_error(c, ERR_LFU_NOT_SELECTED);
}

void cmd_object_refcount(struct cmd_ctx *c)
{
    struct entry *e = object_lookup(c);
    if (!e)
        return;
    /* Redis shares the integers 0..9999 and reports them as immortal. */
    if (entry_enc(e) == ENC_INT && entry_int(e) >= 0 && entry_int(e) < 10000)
        resp_int(c->w, INT_MAX);
    else
        resp_int(c->w, 1);
}

void cmd_object_help(struct cmd_ctx *c)
{
    static const char *lines[] = {
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    };
    int n = (int)(sizeof(lines) / sizeof(lines[0]));
    resp_array(c->w, n);
    for (int i = 0; i < n; i++)
        resp_simple(c->w, lines[i]);
}


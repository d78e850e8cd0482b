/* cmd_set.c - set commands (SADD ... SSCAN) over the set object (t_set.h).
 *
 * Replies, error texts and the order in which errors are checked follow
 * Redis 7.0.15's t_set.c; RESP3 replies are sets (~) where Redis sends
 * sets (SMEMBERS, SINTER/SUNION/SDIFF, SPOP with a count) and arrays where
 * it sends arrays (SRANDMEMBER with a count, SMISMEMBER, SSCAN).  Every
 * handler runs with its keys' shards locked by the dispatcher; the
 * *STORE commands read every source before coll_store replaces the
 * destination, which may be one of them.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/commands/coll.h"
#include "server/core/mem.h"
#include "server/core/util.h"
#include "server/net/worker.h"
#include "server/types/t_set.h"

/* ---- helpers ------------------------------------------------------------------ */

static void emit_bulk(void *arg, const char *p, size_t len)
{
    resp_bulk(arg, p, len);
}

/* The set at key argv[i] for a read, or NULL when absent (*wrong set and
 * WRONGTYPE sent when the key holds another type). */
static struct set *read_set(struct cmd_ctx *c, int i, int *wrong)
{
    struct key k;
    ctx_key(c, i, &k);
    struct entry *e = coll_find_read(c, &k, T_SET, wrong);
    return e ? entry_obj(e) : NULL;
}

static void reply_members(struct cmd_ctx *c, const struct set *s)
{
    struct set_iter it;
    const char *p;
    size_t len;
    resp_set(c->w, (long long)set_len(s));
    set_iter_start(&it, s);
    while (set_iter_next(&it, &p, &len))
        resp_bulk(c->w, p, len);
}

/* Replies whose length is known only at the end are written to a side
 * buffer, then headed by their length (RESP3 has no deferred set header). */
struct side_reply {
    struct obuf buf;
    struct resp_writer w;
    long long n;
};

static void side_init(struct side_reply *r, const struct cmd_ctx *c)
{
    obuf_init(&r->buf);
    r->w.out = &r->buf;
    r->w.proto = c->w->proto;
    r->n = 0;
}

static void side_flush(struct cmd_ctx *c, struct side_reply *r, int as_set)
{
    if (as_set)
        resp_set(c->w, r->n);
    else
        resp_array(c->w, r->n);
    obuf_append(c->w->out, r->buf.data, r->buf.len);
    obuf_deinit(&r->buf);
}

/* ---- single-key commands ---------------------------------------------------------- */

void cmd_sadd(struct cmd_ctx *c)
{
    struct key k;
    int wrong;
    ctx_key(c, 1, &k);
    struct entry *e = coll_find_write(c, &k, T_SET, &wrong);
    if (wrong)
        return;
    if (!e) {
        struct set *s = set_create_for(c->argv[2], c->argl[2], (size_t)c->argc - 2);
        e = entry_new_obj(k.p, k.len, T_SET, s, -1);
        ks_store(&c->env, c->db, &k, e);
    }
    size_t before = entry_mem(e);
    struct set *s = entry_obj(e);
    long long added = 0;
    for (int j = 2; j < c->argc; j++)
        added += set_add(s, c->argv[j], c->argl[j]);
    if (added)
        coll_written(c, &k, e, before);
    resp_int(c->w, added);
}

void cmd_srem(struct cmd_ctx *c)
{
    struct key k;
    int wrong;
    ctx_key(c, 1, &k);
    struct entry *e = coll_find_write(c, &k, T_SET, &wrong);
    if (wrong)
        return;
    long long removed = 0;
    if (e) {
        size_t before = entry_mem(e);
        struct set *s = entry_obj(e);
        for (int j = 2; j < c->argc && set_len(s); j++)
            removed += set_remove(s, c->argv[j], c->argl[j]);
        if (removed)
            coll_written(c, &k, e, before);
    }
    resp_int(c->w, removed);
}

void cmd_smembers(struct cmd_ctx *c)
{
    int wrong;
    struct set *s = read_set(c, 1, &wrong);
    if (wrong)
        return;
    if (s)
        reply_members(c, s);
    else
        resp_set(c->w, 0);
}

void cmd_sismember(struct cmd_ctx *c)
{
    int wrong;
    struct set *s = read_set(c, 1, &wrong);
    if (!wrong)
        resp_int(c->w, s && set_contains(s, c->argv[2], c->argl[2]));
}

void cmd_smismember(struct cmd_ctx *c)
{
    int wrong;
    struct set *s = read_set(c, 1, &wrong);
    if (wrong)
        return;
    resp_array(c->w, c->argc - 2);
    for (int j = 2; j < c->argc; j++)
        resp_int(c->w, s && set_contains(s, c->argv[j], c->argl[j]));
}

void cmd_scard(struct cmd_ctx *c)
{
    int wrong;
    struct set *s = read_set(c, 1, &wrong);
    if (!wrong)
        resp_int(c->w, s ? (long long)set_len(s) : 0);
}

/* ---- SPOP / SRANDMEMBER -------------------------------------------------------------- */

/* Pop `count` members of the set in e (stored under k) and reply them:
 * one bulk string when single, else a set.  A blocking layer can call
 * this with an entry it found. */
static void spop_reply(struct cmd_ctx *c, const struct key *k, struct entry *e, int single,
                       unsigned long long count)
{
    struct set *s = entry_obj(e);
    size_t before = entry_mem(e);
    uint64_t len = set_len(s);
    if (single) {
        set_pop_random(s, &c->wk->rnd, emit_bulk, c->w);
    } else if (count >= len) {
        reply_members(c, s);
        ks_delete(&c->env, c->db, k);
        return;
    } else {
        resp_set(c->w, (long long)count);
        set_pop_many(s, &c->wk->rnd, (size_t)count, emit_bulk, c->w);
    }
    coll_written(c, k, e, before);
}

void cmd_spop(struct cmd_ctx *c)
{
    long long count = 1;
    if (c->argc > 3) {
        ctx_error(c, ERR_SYNTAX);
        return;
    }
    if (c->argc == 3 && (!util_str2ll(c->argv[2], c->argl[2], &count) || count < 0)) {
        ctx_error(c, ERR_POSITIVE);
        return;
    }
    struct key k;
    int wrong;
    ctx_key(c, 1, &k);
    struct entry *e = coll_find_write(c, &k, T_SET, &wrong);
    if (wrong)
        return;
    if (!e || (c->argc == 3 && count == 0)) {
        if (c->argc == 3)
            resp_set(c->w, 0);
        else
            resp_null(c->w);
        return;
    }
    spop_reply(c, &k, e, c->argc == 2, (unsigned long long)count);
}

void cmd_srandmember(struct cmd_ctx *c)
{
    long long count = 1;
    if (c->argc > 3) {
        ctx_error(c, ERR_SYNTAX);
        return;
    }
    if (c->argc == 3) {
        if (!ctx_get_ll(c, 2, &count))
            return;
        if (count == LLONG_MIN) {
            ctx_error(c, ERR_LONG_RANGE);
            return;
        }
    }
    int wrong;
    struct set *s = read_set(c, 1, &wrong);
    if (wrong)
        return;
    if (c->argc == 2) {
        if (s)
            set_random_many(s, &c->wk->rnd, 1, 1, emit_bulk, c->w);
        else
            resp_null(c->w);
        return;
    }
    if (!s || count == 0) {
        resp_array(c->w, 0);
        return;
    }
    int repeats = count < 0;
    unsigned long long n = repeats ? (unsigned long long)-count : (unsigned long long)count;
    if (!repeats && n >= set_len(s)) {
        struct set_iter it;
        const char *p;
        size_t len;
        resp_array(c->w, (long long)set_len(s));
        set_iter_start(&it, s);
        while (set_iter_next(&it, &p, &len))
            resp_bulk(c->w, p, len);
        return;
    }
    resp_array(c->w, (long long)n);
    set_random_many(s, &c->wk->rnd, (size_t)n, repeats, emit_bulk, c->w);
}

/* ---- SMOVE ------------------------------------------------------------------------------ */

void cmd_smove(struct cmd_ctx *c)
{
    struct key sk, dk;
    int wrong;
    ctx_key(c, 1, &sk);
    ctx_key(c, 2, &dk);
    struct entry *se = coll_find_write(c, &sk, T_SET, &wrong);
    if (wrong)
        return;
    if (!se) {
        resp_int(c->w, 0);
        return;
    }
    struct entry *de = coll_find_write(c, &dk, T_SET, &wrong);
    if (wrong)
        return;
    const char *m = c->argv[3];
    size_t mlen = c->argl[3];
    if (se == de) {
        resp_int(c->w, set_contains(entry_obj(se), m, mlen));
        return;
    }
    size_t before = entry_mem(se);
    if (!set_remove(entry_obj(se), m, mlen)) {
        resp_int(c->w, 0);
        return;
    }
    coll_written(c, &sk, se, before); /* deletes the source once empty */
    if (!de) {
        de = entry_new_obj(dk.p, dk.len, T_SET, set_create_for(m, mlen, 1), -1);
        ks_store(&c->env, c->db, &dk, de);
    }
    before = entry_mem(de);
    set_add(entry_obj(de), m, mlen);
    coll_written(c, &dk, de, before);
    resp_int(c->w, 1);
}

/* ---- SINTER family -------------------------------------------------------------------- */

/* The sets named by argv[from .. from + n): NULL for a missing key.
 * Returns NULL once WRONGTYPE has been sent (every key is checked, as
 * Redis checks types before acting on a missing key); *missing counts the
 * absent keys. */
static struct set **gather(struct cmd_ctx *c, int from, int n, int *missing)
{
    struct set **sets = xmalloc(sizeof(*sets) * (size_t)n);
    *missing = 0;
    for (int j = 0; j < n; j++) {
        int wrong;
        sets[j] = read_set(c, from + j, &wrong);
        if (wrong) {
            free(sets);
            return NULL;
        }
        *missing += sets[j] == NULL;
    }
    return sets;
}

static int by_size(const void *a, const void *b)
{
    size_t x = set_len(*(struct set *const *)a), y = set_len(*(struct set *const *)b);
    return x < y ? -1 : x > y;
}

/* Decreasing size, missing sets (NULL) last. */
static int by_size_desc(const void *a, const void *b)
{
    const struct set *x = *(struct set *const *)a, *y = *(struct set *const *)b;
    size_t nx = x ? set_len(x) : 0, ny = y ? set_len(y) : 0;
    return nx > ny ? -1 : nx < ny;
}

/* 1 if member p is in every set but sets[0] (which it was drawn from). */
static int in_all(struct set **sets, int n, const char *p, size_t len)
{
    for (int j = 1; j < n; j++)
        if (sets[j] != sets[0] && !set_contains(sets[j], p, len))
            return 0;
    return 1;
}

enum inter_mode { INTER_REPLY, INTER_CARD, INTER_STORE };

/* SINTER, SINTERCARD (limit 0 = none) and SINTERSTORE (dest = argv[1]):
 * walk the smallest set, keep what every other set holds. */
static void inter_generic(struct cmd_ctx *c, int from, int n, enum inter_mode mode,
                          unsigned long long limit)
{
    int missing;
    struct set **sets = gather(c, from, n, &missing);
    if (!sets)
        return;
    struct key dk;
    if (mode == INTER_STORE)
        ctx_key(c, 1, &dk);
    if (missing) {
        free(sets);
        if (mode == INTER_STORE)
            ks_delete(&c->env, c->db, &dk);
        if (mode == INTER_REPLY)
            resp_set(c->w, 0);
        else
            resp_int(c->w, 0);
        return;
    }
    qsort(sets, (size_t)n, sizeof(*sets), by_size);
    struct side_reply r;
    struct set *dst = mode == INTER_STORE ? set_create() : NULL;
    unsigned long long card = 0;
    struct set_iter it;
    const char *p;
    size_t len;
    if (mode == INTER_REPLY)
        side_init(&r, c);
    set_iter_start(&it, sets[0]);
    while (set_iter_next(&it, &p, &len)) {
        if (!in_all(sets, n, p, len))
            continue;
        card++;
        if (mode == INTER_REPLY)
            resp_bulk(&r.w, p, len);
        else if (mode == INTER_STORE)
            set_add(dst, p, len);
        else if (limit && card >= limit)
            break;
    }
    free(sets);
    if (mode == INTER_REPLY) {
        r.n = (long long)card;
        side_flush(c, &r, 1);
    } else {
        if (mode == INTER_STORE)
            coll_store(c, &dk, T_SET, dst); /* sources are no longer used */
        resp_int(c->w, (long long)card);
    }
}

void cmd_sinter(struct cmd_ctx *c) { inter_generic(c, 1, c->argc - 1, INTER_REPLY, 0); }
void cmd_sinterstore(struct cmd_ctx *c) { inter_generic(c, 2, c->argc - 2, INTER_STORE, 0); }

void cmd_sintercard(struct cmd_ctx *c)
{
    long long numkeys, limit = 0;
    if (!util_str2ll(c->argv[1], c->argl[1], &numkeys) || numkeys <= 0) {
        ctx_error(c, ERR_NUMKEYS_GT0);
        return;
    }
    if (numkeys > c->argc - 2) {
        ctx_error(c, ERR_SET_NUMKEYS_TOO_MANY);
        return;
    }
    for (int j = 2 + (int)numkeys; j < c->argc; j++) {
        if (ctx_arg_is(c, j, "limit") && j + 1 < c->argc) {
            j++;
            if (!util_str2ll(c->argv[j], c->argl[j], &limit) || limit < 0) {
                ctx_error(c, ERR_SET_LIMIT_NEGATIVE);
                return;
            }
        } else {
            ctx_error(c, ERR_SYNTAX);
            return;
        }
    }
    inter_generic(c, 2, (int)numkeys, INTER_CARD, (unsigned long long)limit);
}

enum { OP_UNION, OP_DIFF };

/* SDIFF by Redis's cheaper algorithm: (1) walk the first set and keep what
 * no other set holds, O(first x sets / 2) expected; or (2) copy the first
 * set and remove every other set's members, O(all members). */
static void diff_into(struct set *dst, struct set **sets, int n)
{
    unsigned long long work1 = 0, work2 = 0;
    for (int j = 0; j < n; j++) {
        if (!sets[j])
            continue;
        if (j > 0 && sets[j] == sets[0])
            return; /* a set minus itself: empty */
        work1 += set_len(sets[0]);
        work2 += set_len(sets[j]);
    }
    struct set_iter it;
    const char *p;
    size_t len;
    if (work1 / 2 <= work2) {
        /* biggest first: a member to drop is likelier found early */
        qsort(sets + 1, (size_t)n - 1, sizeof(*sets), by_size_desc);
        set_iter_start(&it, sets[0]);
        while (set_iter_next(&it, &p, &len)) {
            int j = 1;
            while (j < n && !(sets[j] && set_contains(sets[j], p, len)))
                j++;
            if (j == n)
                set_add(dst, p, len);
        }
        return;
    }
    for (int j = 0; j < n && (j == 0 || set_len(dst)); j++) {
        if (!sets[j])
            continue;
        set_iter_start(&it, sets[j]);
        while (set_iter_next(&it, &p, &len)) {
            if (j == 0)
                set_add(dst, p, len);
            else
                set_remove(dst, p, len);
        }
    }
}

/* SUNION, SDIFF and their STORE forms (store: the destination is argv[1]). */
static void union_diff_generic(struct cmd_ctx *c, int from, int n, int store, int op)
{
    int missing;
    struct set **sets = gather(c, from, n, &missing);
    if (!sets)
        return;
    struct set *dst = set_create();
    if (op == OP_UNION) {
        for (int j = 0; j < n; j++) {
            struct set_iter it;
            const char *p;
            size_t len;
            if (!sets[j])
                continue;
            set_iter_start(&it, sets[j]);
            while (set_iter_next(&it, &p, &len))
                set_add(dst, p, len);
        }
    } else if (sets[0]) {
        diff_into(dst, sets, n);
    }
    free(sets);
    if (!store) {
        reply_members(c, dst);
        set_destroy(dst);
        return;
    }
    struct key dk;
    ctx_key(c, 1, &dk);
    long long card = (long long)set_len(dst);
    coll_store(c, &dk, T_SET, dst); /* sources are no longer used */
    resp_int(c->w, card);
}

void cmd_sunion(struct cmd_ctx *c) { union_diff_generic(c, 1, c->argc - 1, 0, OP_UNION); }
void cmd_sdiff(struct cmd_ctx *c) { union_diff_generic(c, 1, c->argc - 1, 0, OP_DIFF); }
void cmd_sunionstore(struct cmd_ctx *c) { union_diff_generic(c, 2, c->argc - 2, 1, OP_UNION); }
void cmd_sdiffstore(struct cmd_ctx *c) { union_diff_generic(c, 2, c->argc - 2, 1, OP_DIFF); }

/* ---- SSCAN ---------------------------------------------------------------------------- */

struct scan_state {
    struct side_reply r;
    const char *pat;
    size_t plen;
};

static void scan_emit(void *arg, const char *p, size_t len)
{
    struct scan_state *st = arg;
    if (st->pat && !util_glob(st->pat, st->plen, p, len, 0))
        return;
    resp_bulk(&st->r.w, p, len);
    st->r.n++;
}

void cmd_sscan(struct cmd_ctx *c)
{
    unsigned long long cursor0;
    if (!coll_scan_cursor(c, 2, &cursor0)) /* cursor, key, then options: as Redis */
        return;
    int wrong;
    struct set *s = read_set(c, 1, &wrong);
    if (wrong)
        return;
    if (!s) {
        resp_array(c->w, 2);
        resp_bulk(c->w, "0", 1);
        resp_array(c->w, 0);
        return;
    }
    struct coll_scan sc;
    if (!coll_scan_args(c, &sc))
        return;
    struct scan_state st = {.pat = sc.pat, .plen = sc.plen};
    side_init(&st.r, c);
    long count = sc.count > LONG_MAX / 16 ? LONG_MAX / 16 : (long)sc.count;
    uint64_t next = set_scan(s, sc.cursor, count, scan_emit, &st);
    char buf[24];
    resp_array(c->w, 2);
    resp_bulk(c->w, buf, (size_t)snprintf(buf, sizeof(buf), "%llu", (unsigned long long)next));
    side_flush(c, &st.r, 0);
}

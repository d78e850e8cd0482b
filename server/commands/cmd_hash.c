/* cmd_hash.c - hash commands (HSET, HGET and friends, counters, HRANDFIELD,
 * HSCAN).  Replies, error texts and the order of checks follow Redis
 * 7.0's t_hash.c; the value itself is t_hash.h's.  Every handler runs with
 * its key's shard locked (coll.h). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "server/commands/coll.h"
#include "server/core/util.h"
#include "server/net/worker.h"
#include "server/types/t_hash.h"

/* Key 1's hash for a read (hit/miss counted): NULL when absent, or when
 * WRONGTYPE was sent (*wrong set). */
static struct hash *read_hash(struct cmd_ctx *c, struct key *k, int *wrong)
{
    ctx_key(c, 1, k);
    struct entry *e = coll_find_read(c, k, T_HASH, wrong);
    return e ? entry_obj(e) : NULL;
}

/* The value of field argv[i] as a bulk string, or nil. */
static void reply_field(struct cmd_ctx *c, struct hash *h, int i)
{
    char buf[LP_INTBUF];
    size_t vlen;
    const char *v = h ? hash_get(h, c->argv[i], c->argl[i], buf, &vlen) : NULL;
    if (v)
        resp_bulk(c->w, v, vlen);
    else
        resp_null(c->w);
}

/* ---- setting fields ---- */

static void hset_generic(struct cmd_ctx *c, int reply_ok)
{
    if (c->argc % 2) {
        ctx_arity_error(c);
        return;
    }
    struct key k;
    int wrong;
    ctx_key(c, 1, &k);
    struct entry *e = coll_find_or_create(c, &k, T_HASH, hash_create, &wrong);
    if (wrong)
        return;
    size_t before = entry_mem(e);
    long long created = 0;
    for (int i = 2; i < c->argc; i += 2)
        created += hash_set(entry_obj(e), c->argv[i], c->argl[i], c->argv[i + 1], c->argl[i + 1]);
    coll_written(c, &k, e, before);
    if (reply_ok)
        ctx_ok(c);
    else
        resp_int(c->w, created);
}

void cmd_hset(struct cmd_ctx *c) { hset_generic(c, 0); }
void cmd_hmset(struct cmd_ctx *c) { hset_generic(c, 1); }

void cmd_hsetnx(struct cmd_ctx *c)
{
    struct key k;
    int wrong;
    ctx_key(c, 1, &k);
    struct entry *e = coll_find_or_create(c, &k, T_HASH, hash_create, &wrong);
    if (wrong)
        return;
    if (hash_exists(entry_obj(e), c->argv[2], c->argl[2])) {
        resp_int(c->w, 0);
        return;
    }
    size_t before = entry_mem(e);
    hash_set(entry_obj(e), c->argv[2], c->argl[2], c->argv[3], c->argl[3]);
    coll_written(c, &k, e, before);
    resp_int(c->w, 1);
}

/* Store v as field argv[2]'s new value, creating the key if `e` is NULL. */
static void store_field(struct cmd_ctx *c, const struct key *k, struct entry *e, const char *v,
                        size_t vlen)
{
    int wrong;
    if (!e)
        e = coll_find_or_create(c, k, T_HASH, hash_create, &wrong);
    size_t before = entry_mem(e);
    hash_set(entry_obj(e), c->argv[2], c->argl[2], v, vlen);
    coll_written(c, k, e, before);
}

/* Field argv[2]'s current value for a counter: NULL when the key or the
 * field is absent.  *e is the key's entry (NULL when absent); returns with
 * *wrong set once WRONGTYPE has been sent. */
static const char *counter_value(struct cmd_ctx *c, struct key *k, struct entry **e, char *buf,
                                 size_t *vlen, int *wrong)
{
    ctx_key(c, 1, k);
    *e = coll_find_write(c, k, T_HASH, wrong);
    if (!*e)
        return NULL;
    return hash_get(entry_obj(*e), c->argv[2], c->argl[2], buf, vlen);
}

void cmd_hincrby(struct cmd_ctx *c)
{
    long long incr, cur = 0;
    if (!ctx_get_ll(c, 3, &incr))
        return;
    struct key k;
    struct entry *e;
    char buf[LP_INTBUF];
    size_t vlen;
    int wrong;
    const char *v = counter_value(c, &k, &e, buf, &vlen, &wrong);
    if (wrong)
        return;
    if (v && !util_str2ll(v, vlen, &cur)) {
        ctx_error(c, ERR_HASH_NOT_INT);
        return;
    }
    if ((incr < 0 && cur < 0 && incr < LLONG_MIN - cur) ||
        (incr > 0 && cur > 0 && incr > LLONG_MAX - cur)) {
        ctx_error(c, ERR_OVERFLOW);
        return;
    }
    cur += incr;
    char out[LP_INTBUF];
    store_field(c, &k, e, out, (size_t)ll_to_str(out, cur));
    resp_int(c->w, cur);
}

void cmd_hincrbyfloat(struct cmd_ctx *c)
{
    long double incr, cur = 0;
    if (!util_str2ld(c->argv[3], c->argl[3], &incr)) {
        ctx_error(c, ERR_NOT_FLOAT);
        return;
    }
    if (isnan(incr) || isinf(incr)) {
        ctx_error(c, ERR_VALUE_NAN_INF);
        return;
    }
    struct key k;
    struct entry *e;
    char buf[LP_INTBUF];
    size_t vlen;
    int wrong;
    const char *v = counter_value(c, &k, &e, buf, &vlen, &wrong);
    if (wrong)
        return;
    if (v && !util_str2ld(v, vlen, &cur)) {
        ctx_error(c, ERR_HASH_NOT_FLOAT);
        return;
    }
    cur += incr;
    if (isnan(cur) || isinf(cur)) {
        ctx_error(c, ERR_NAN_INF);
        return;
    }
    char out[5200]; /* %.17Lf of the largest long double, as Redis's buffer */
    int n = util_ld2str(out, sizeof(out), cur);
    if (n <= 0) {
        ctx_error(c, ERR_NOT_FLOAT);
        return;
    }
    store_field(c, &k, e, out, (size_t)n);
    resp_bulk(c->w, out, (size_t)n);
}

/* ---- reading fields ---- */

void cmd_hget(struct cmd_ctx *c)
{
    struct key k;
    int wrong;
    struct hash *h = read_hash(c, &k, &wrong);
    if (!wrong)
        reply_field(c, h, 2);
}

void cmd_hmget(struct cmd_ctx *c)
{
    struct key k;
    int wrong;
    struct hash *h = read_hash(c, &k, &wrong);
    if (wrong)
        return;
    resp_array(c->w, c->argc - 2);
    for (int i = 2; i < c->argc; i++)
        reply_field(c, h, i);
}

void cmd_hexists(struct cmd_ctx *c)
{
    struct key k;
    int wrong;
    struct hash *h = read_hash(c, &k, &wrong);
    if (!wrong)
        resp_int(c->w, h && hash_exists(h, c->argv[2], c->argl[2]));
}

void cmd_hlen(struct cmd_ctx *c)
{
    struct key k;
    int wrong;
    struct hash *h = read_hash(c, &k, &wrong);
    if (!wrong)
        resp_int(c->w, h ? (long long)hash_len(h) : 0);
}

void cmd_hstrlen(struct cmd_ctx *c)
{
    struct key k;
    int wrong;
    struct hash *h = read_hash(c, &k, &wrong);
    if (wrong)
        return;
    char buf[LP_INTBUF];
    size_t vlen = 0;
    if (!h || !hash_get(h, c->argv[2], c->argl[2], buf, &vlen))
        vlen = 0;
    resp_int(c->w, (long long)vlen);
}

#define WANT_FIELDS 1
#define WANT_VALUES 2

struct pair_out {
    struct resp_writer *w;
    int want;
};

static void write_pair(const struct hash_kv *kv, void *arg)
{
    const struct pair_out *o = arg;
    if (o->want & WANT_FIELDS)
        resp_bulk(o->w, kv->f, kv->flen);
    if (o->want & WANT_VALUES)
        resp_bulk(o->w, kv->v, kv->vlen);
}

/* HGETALL answers a map; HKEYS and HVALS flat arrays (empty ones for a
 * missing key, as Redis 7.0 does). */
static void getall_generic(struct cmd_ctx *c, int want)
{
    struct key k;
    int wrong;
    struct hash *h = read_hash(c, &k, &wrong);
    if (wrong)
        return;
    long long n = h ? (long long)hash_len(h) : 0;
    if (want == (WANT_FIELDS | WANT_VALUES))
        resp_map(c->w, n);
    else
        resp_array(c->w, n);
    struct pair_out o = {c->w, want};
    if (h)
        hash_foreach(h, write_pair, &o);
}

void cmd_hgetall(struct cmd_ctx *c) { getall_generic(c, WANT_FIELDS | WANT_VALUES); }
void cmd_hkeys(struct cmd_ctx *c) { getall_generic(c, WANT_FIELDS); }
void cmd_hvals(struct cmd_ctx *c) { getall_generic(c, WANT_VALUES); }

/* ---- deleting fields ---- */

void cmd_hdel(struct cmd_ctx *c)
{
    struct key k;
    int wrong;
    ctx_key(c, 1, &k);
    struct entry *e = coll_find_write(c, &k, T_HASH, &wrong);
    if (wrong)
        return;
    long long deleted = 0;
    if (e) {
        size_t before = entry_mem(e);
        for (int i = 2; i < c->argc && hash_len(entry_obj(e)); i++)
            deleted += hash_delete(entry_obj(e), c->argv[i], c->argl[i]);
        if (deleted)
            coll_written(c, &k, e, before); /* deletes the key once empty */
    }
    resp_int(c->w, deleted);
}

/* ---- HRANDFIELD ---- */

/* One random pair as HRANDFIELD words it: with values, a 2-element array
 * per pair in RESP3 and the two flat in RESP2. */
static void write_random_pair(const struct hash_kv *kv, void *arg)
{
    const struct pair_out *o = arg;
    if ((o->want & WANT_VALUES) && o->w->proto > 2)
        resp_array(o->w, 2);
    write_pair(kv, arg);
}

static void randfield_count(struct cmd_ctx *c, long long l, int withvalues)
{
    struct key k;
    int wrong;
    struct hash *h = read_hash(c, &k, &wrong);
    if (wrong)
        return;
    uint64_t count = l >= 0 ? (uint64_t)l : (uint64_t)-l, size = h ? hash_len(h) : 0;
    int unique = l >= 0;
    if (count == 0 || size == 0) {
        resp_array(c->w, 0);
        return;
    }
    if (unique && count >= size)
        count = size;
    resp_array(c->w, (long long)(withvalues && c->w->proto == 2 ? count * 2 : count));
    struct pair_out o = {c->w, WANT_FIELDS | (withvalues ? WANT_VALUES : 0)};
    if (unique && count == size)
        hash_foreach(h, write_random_pair, &o); /* the whole hash */
    else
        hash_random_pairs(h, count, unique && count > 1, &c->wk->rnd, write_random_pair, &o);
}

void cmd_hrandfield(struct cmd_ctx *c)
{
    if (c->argc >= 3) {
        long long l;
        if (!ctx_get_ll(c, 2, &l))
            return;
        if (l < -LLONG_MAX) {
            ctx_error(c, ERR_LONG_RANGE);
            return;
        }
        if (c->argc > 4 || (c->argc == 4 && !ctx_arg_is(c, 3, "withvalues"))) {
            ctx_error(c, ERR_SYNTAX);
            return;
        }
        /* a count whose reply (2 per pair) would not fit in a long */
        if (c->argc == 4 && (l < -(LLONG_MAX / 2) || l > LLONG_MAX / 2)) {
            ctx_error(c, ERR_OUT_OF_RANGE);
            return;
        }
        randfield_count(c, l, c->argc == 4);
        return;
    }
    struct key k;
    int wrong;
    struct hash *h = read_hash(c, &k, &wrong);
    if (wrong)
        return;
    if (!h) {
        resp_null(c->w);
        return;
    }
    struct pair_out o = {c->w, WANT_FIELDS};
    hash_random_pairs(h, 1, 0, &c->wk->rnd, write_pair, &o);
}

/* ---- HSCAN ---- */

/* Pairs collected for one HSCAN reply.  `seen` counts fields and values
 * before MATCH filters them, as Redis's COUNT loop does. */
struct scan_out {
    struct resp_writer w; /* into buf */
    struct obuf buf;
    long long seen, items;
    const char *pat;
    size_t plen;
};

static void collect_pair(const struct hash_kv *kv, void *arg)
{
    struct scan_out *s = arg;
    s->seen += 2;
    if (s->pat && !util_glob(s->pat, s->plen, kv->f, kv->flen, 0))
        return;
    resp_bulk(&s->w, kv->f, kv->flen);
    resp_bulk(&s->w, kv->v, kv->vlen);
    s->items += 2;
}

void cmd_hscan(struct cmd_ctx *c)
{
    unsigned long long cursor0;
    if (!coll_scan_cursor(c, 2, &cursor0)) /* cursor, key, then options: as Redis */
        return;
    struct key k;
    int wrong;
    struct hash *h = read_hash(c, &k, &wrong);
    if (wrong)
        return;
    if (!h) {
        resp_array(c->w, 2);
        resp_bulk(c->w, "0", 1);
        resp_array(c->w, 0);
        return;
    }
    struct coll_scan sc;
    if (!coll_scan_args(c, &sc))
        return;
    struct scan_out s = {.seen = 0, .items = 0, .pat = sc.pat, .plen = sc.plen};
    obuf_init(&s.buf);
    s.w.out = &s.buf;
    s.w.proto = c->w->proto;
    uint64_t cursor = sc.cursor;
    /* Redis's maxiterations */
    long long budget = sc.count > LLONG_MAX / 10 ? LLONG_MAX : sc.count * 10;
    do {
        cursor = hash_scan(h, cursor, collect_pair, &s);
    } while (cursor && budget-- && s.seen < sc.count);
    char cbuf[24];
    int clen = snprintf(cbuf, sizeof(cbuf), "%llu", (unsigned long long)cursor);
    resp_array(c->w, 2);
    resp_bulk(c->w, cbuf, (size_t)clen);
    resp_array(c->w, s.items);
    if (s.buf.len)
        obuf_append(c->w->out, s.buf.data, s.buf.len);
    obuf_deinit(&s.buf);
}

/* cmd_string.c - string commands (GET, SET and friends, counters, ranges).
 * Replies and error texts follow Redis 7.0's t_string.c behaviour. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "server/commands/command.h"
#include "server/core/config.h"
#include "server/core/mem.h"
#include "server/core/util.h"

/* The live string entry at key i: NULL when absent; *wrong set (and the
 * WRONGTYPE error sent) when the key holds another type. */
static struct entry *lookup_str(struct cmd_ctx *c, const struct key *k, int *wrong)
{
    *wrong = 0;
    struct entry *e = ks_lookup(&c->env, c->db, k, KS_TOUCH);
    if (e && entry_type(e) != T_STRING) {
        ctx_error(c, ERR_WRONGTYPE);
        *wrong = 1;
        return NULL;
    }
    return e;
}

static void reply_value(struct cmd_ctx *c, const struct entry *e)
{
    char buf[24];
    size_t len;
    const char *v = entry_str(e, buf, &len);
    resp_bulk(c->w, v, len);
}

/* Key 1 and its string entry (*e is NULL when absent); returns 0 once
 * WRONGTYPE has been sent. */
static int key1_string(struct cmd_ctx *c, struct key *k, struct entry **e)
{
    int wrong;
    ctx_key(c, 1, k);
    *e = lookup_str(c, k, &wrong);
    return !wrong;
}

/* Key 1 for a read that answers nil on a miss: the string entry, or NULL
 * once WRONGTYPE or nil has been sent (the hit or miss is counted). */
static struct entry *read_str_or_reply(struct cmd_ctx *c, struct key *k)
{
    struct entry *e;
    if (!key1_string(c, k, &e))
        return NULL;
    ctx_hit(c, e != NULL);
    if (!e)
        resp_null(c->w);
    return e;
}

void cmd_get(struct cmd_ctx *c)
{
    struct key k;
    struct entry *e = read_str_or_reply(c, &k);
    if (e)
        reply_value(c, e);
}

/* ---- SET family: option parsing shared by SET and GETEX ---- */

#define OPT_NX (1 << 0)
#define OPT_XX (1 << 1)
#define OPT_GET (1 << 2)
#define OPT_KEEPTTL (1 << 3)
#define OPT_PERSIST (1 << 4)
#define OPT_EX (1 << 5)
#define OPT_PX (1 << 6)
#define OPT_EXAT (1 << 7)
#define OPT_PXAT (1 << 8)
#define OPT_EXPIRE_ANY (OPT_EX | OPT_PX | OPT_EXAT | OPT_PXAT)

enum set_cmd { FOR_SET, FOR_GETEX };

static int expire_unit(const struct cmd_ctx *c, int j)
{
    if (ctx_arg_is(c, j, "ex"))
        return OPT_EX;
    if (ctx_arg_is(c, j, "px"))
        return OPT_PX;
    if (ctx_arg_is(c, j, "exat"))
        return OPT_EXAT;
    if (ctx_arg_is(c, j, "pxat"))
        return OPT_PXAT;
    return 0;
}

/* Parse options from argv[from]; on success *when_ms is the absolute expiry
 * or -1 (when_ms NULL: check the syntax only, not the expire value).
 * Sends the error and returns 0 on failure. */
static int parse_set_options(struct cmd_ctx *c, int from, enum set_cmd kind, int *flags,
                             int64_t *when_ms)
{
    int f = 0, unit;
    const char *expire_arg = NULL;
    size_t expire_len = 0;
    for (int j = from; j < c->argc; j++) {
        int has_next = j + 1 < c->argc;
        if (kind == FOR_SET && ctx_arg_is(c, j, "nx") && !(f & OPT_XX)) {
            f |= OPT_NX;
        } else if (kind == FOR_SET && ctx_arg_is(c, j, "xx") && !(f & OPT_NX)) {
            f |= OPT_XX;
        } else if (kind == FOR_SET && ctx_arg_is(c, j, "get")) {
            f |= OPT_GET;
        } else if (kind == FOR_SET && ctx_arg_is(c, j, "keepttl") && !(f & OPT_EXPIRE_ANY)) {
            f |= OPT_KEEPTTL;
        } else if (kind == FOR_GETEX && ctx_arg_is(c, j, "persist") && !(f & OPT_EXPIRE_ANY)) {
            f |= OPT_PERSIST;
        } else if (has_next && (unit = expire_unit(c, j)) &&
                   !(f & ((OPT_EXPIRE_ANY & ~unit) | OPT_KEEPTTL | OPT_PERSIST))) {
            f |= unit; /* the same unit may repeat; the last value wins */
            expire_arg = c->argv[j + 1];
            expire_len = c->argl[j + 1];
            j++;
        } else {
            ctx_error(c, ERR_SYNTAX);
            return 0;
        }
    }
    *flags = f;
    if (!when_ms)
        return 1;
    *when_ms = -1;
    if (expire_arg) {
        long long v;
        if (!util_str2ll(expire_arg, expire_len, &v)) {
            ctx_error(c, ERR_NOT_INT);
            return 0;
        }
        int secs = (f & (OPT_EX | OPT_EXAT)) != 0;
        if (v <= 0 || (secs && v > LLONG_MAX / 1000)) {
            ctx_errorf(c, ERR_EXPIRE_INVALID_FMT, c->cmd->name);
            return 0;
        }
        if (secs)
            v *= 1000;
        if (f & (OPT_EX | OPT_PX)) {
            if (v > LLONG_MAX - c->env.now_ms) {
                ctx_errorf(c, ERR_EXPIRE_INVALID_FMT, c->cmd->name);
                return 0;
            }
            v += c->env.now_ms;
        }
        *when_ms = v;
    }
    *flags = f;
    return 1;
}

/* Store a string value under k with expiry `when` (-1 = none). */
static void store_string(struct cmd_ctx *c, const struct key *k, const char *v, size_t vlen,
                         int64_t when)
{
    ks_store(&c->env, c->db, k, entry_new_string(k->p, k->len, v, vlen, when));
}

void cmd_set(struct cmd_ctx *c)
{
    int flags;
    int64_t when;
    if (!parse_set_options(c, 3, FOR_SET, &flags, &when))
        return;
    struct key k;
    ctx_key(c, 1, &k);
    int wrong = 0;
    struct entry *old;
    if (flags & OPT_GET) {
        old = lookup_str(c, &k, &wrong);
        if (wrong)
            return;
        if (old)
            reply_value(c, old);
        else
            resp_null(c->w);
    } else {
        old = ks_lookup(&c->env, c->db, &k, KS_NOTOUCH);
    }
    if (((flags & OPT_NX) && old) || ((flags & OPT_XX) && !old)) {
        if (!(flags & OPT_GET))
            resp_null(c->w);
        return;
    }
    if ((flags & OPT_KEEPTTL) && old)
        when = entry_expire(old);
    if (when >= 0 && when <= c->env.now_ms)
        ks_delete(&c->env, c->db, &k); /* EXAT/PXAT in the past: set, then gone */
    else
        store_string(c, &k, c->argv[2], c->argl[2], when);
    if (!(flags & OPT_GET))
        ctx_ok(c);
}

void cmd_setnx(struct cmd_ctx *c)
{
    struct key k;
    ctx_key(c, 1, &k);
    if (ks_lookup(&c->env, c->db, &k, KS_NOTOUCH)) {
        resp_int(c->w, 0);
        return;
    }
    store_string(c, &k, c->argv[2], c->argl[2], -1);
    resp_int(c->w, 1);
}

static void setex_generic(struct cmd_ctx *c, int unit_ms)
{
    long long v;
    if (!ctx_get_ll(c, 2, &v))
        return;
    if (v <= 0 || (!unit_ms && v > LLONG_MAX / 1000)) {
        ctx_errorf(c, ERR_EXPIRE_INVALID_FMT, c->cmd->name);
        return;
    }
    if (!unit_ms)
        v *= 1000;
    if (v > LLONG_MAX - c->env.now_ms) {
        ctx_errorf(c, ERR_EXPIRE_INVALID_FMT, c->cmd->name);
        return;
    }
    struct key k;
    ctx_key(c, 1, &k);
    store_string(c, &k, c->argv[3], c->argl[3], c->env.now_ms + v);
    ctx_ok(c);
}

void cmd_setex(struct cmd_ctx *c) { setex_generic(c, 0); }
void cmd_psetex(struct cmd_ctx *c) { setex_generic(c, 1); }

void cmd_mget(struct cmd_ctx *c)
{
    resp_array(c->w, c->argc - 1);
    for (int i = 1; i < c->argc; i++) {
        struct key k;
        ctx_key(c, i, &k);
        struct entry *e = ks_lookup(&c->env, c->db, &k, KS_TOUCH);
        ctx_hit(c, e != NULL);
        if (e && entry_type(e) == T_STRING)
            reply_value(c, e);
        else
            resp_null(c->w);
    }
}

static int mset_arity_ok(struct cmd_ctx *c)
{
    if (c->argc % 2 == 0) {
        ctx_arity_error(c);
        return 0;
    }
    return 1;
}

void cmd_mset(struct cmd_ctx *c)
{
    if (!mset_arity_ok(c))
        return;
    for (int i = 1; i < c->argc; i += 2) {
        struct key k;
        ctx_key(c, i, &k);
        store_string(c, &k, c->argv[i + 1], c->argl[i + 1], -1);
    }
    ctx_ok(c);
}

void cmd_msetnx(struct cmd_ctx *c)
{
    if (!mset_arity_ok(c))
        return;
    for (int i = 1; i < c->argc; i += 2) {
        struct key k;
        ctx_key(c, i, &k);
        if (ks_lookup(&c->env, c->db, &k, KS_NOTOUCH)) {
            resp_int(c->w, 0);
            return;
        }
    }
    for (int i = 1; i < c->argc; i += 2) {
        struct key k;
        ctx_key(c, i, &k);
        store_string(c, &k, c->argv[i + 1], c->argl[i + 1], -1);
    }
    resp_int(c->w, 1);
}

void cmd_getset(struct cmd_ctx *c)
{
    struct key k;
    struct entry *old;
    if (!key1_string(c, &k, &old))
        return;
    if (old)
        reply_value(c, old);
    else
        resp_null(c->w);
    store_string(c, &k, c->argv[2], c->argl[2], -1);
}

void cmd_getdel(struct cmd_ctx *c)
{
    struct key k;
    struct entry *e = read_str_or_reply(c, &k);
    if (!e)
        return;
    reply_value(c, e);
    ks_delete(&c->env, c->db, &k);
}

/* GETEX looks the key up before validating the expire value, as Redis does:
 * `GETEX missing EX 0` is nil, `GETEX k EX 0` is an error. */
void cmd_getex(struct cmd_ctx *c)
{
    int flags;
    int64_t when;
    if (!parse_set_options(c, 2, FOR_GETEX, &flags, NULL))
        return;
    struct key k;
    struct entry *e = read_str_or_reply(c, &k);
    if (!e)
        return;
    if (!parse_set_options(c, 2, FOR_GETEX, &flags, &when))
        return;
    reply_value(c, e);
    if ((flags & (OPT_EXAT | OPT_PXAT)) && when <= c->env.now_ms)
        ks_delete(&c->env, c->db, &k); /* an absolute time already past */
    else if (when >= 0)
        ks_set_expire(&c->env, c->db, &k, e, when);
    else if ((flags & OPT_PERSIST) && entry_expire(e) >= 0)
        ks_set_expire(&c->env, c->db, &k, e, -1);
}

/* ---- counters ---- */

static void incr_generic(struct cmd_ctx *c, long long by)
{
    struct key k;
    struct entry *e;
    if (!key1_string(c, &k, &e))
        return;
    long long cur = 0;
    if (e) {
        if (entry_enc(e) == ENC_INT) {
            cur = entry_int(e);
        } else {
            char buf[24];
            size_t len;
            const char *v = entry_str(e, buf, &len);
            if (!util_str2ll(v, len, &cur)) {
                ctx_error(c, ERR_NOT_INT);
                return;
            }
        }
    }
    if ((by < 0 && cur < 0 && by < LLONG_MIN - cur) || (by > 0 && cur > 0 && by > LLONG_MAX - cur)) {
        ctx_error(c, ERR_OVERFLOW);
        return;
    }
    long long v = cur + by;
    if (e && entry_enc(e) == ENC_INT) { /* same shape: update in place */
        memcpy(entry_value_area(e), &v, 8);
        ks_modified(c->db, &k, e);
    } else {
        int64_t when = e ? entry_expire(e) : -1;
        ks_store(&c->env, c->db, &k, entry_new_int(k.p, k.len, v, when));
    }
    resp_int(c->w, v);
}

void cmd_incr(struct cmd_ctx *c) { incr_generic(c, 1); }
void cmd_decr(struct cmd_ctx *c) { incr_generic(c, -1); }

void cmd_incrby(struct cmd_ctx *c)
{
    long long by;
    if (ctx_get_ll(c, 2, &by))
        incr_generic(c, by);
}

void cmd_decrby(struct cmd_ctx *c)
{
    long long by;
    if (!ctx_get_ll(c, 2, &by))
        return;
    if (by == LLONG_MIN) {
        ctx_error(c, "ERR decrement would overflow");
        return;
    }
    incr_generic(c, -by);
}

void cmd_incrbyfloat(struct cmd_ctx *c)
{
    struct key k;
    struct entry *e;
    if (!key1_string(c, &k, &e))
        return;
    long double cur = 0, by;
    if (e) {
        char buf[24];
        size_t len;
        const char *v = entry_str(e, buf, &len);
        if (!util_str2ld(v, len, &cur)) {
            ctx_error(c, ERR_NOT_FLOAT);
            return;
        }
    }
    if (!util_str2ld(c->argv[2], c->argl[2], &by)) {
        ctx_error(c, ERR_NOT_FLOAT);
        return;
    }
    long double v = cur + by;
    if (isnan(v) || isinf(v)) {
        ctx_error(c, ERR_NAN_INF);
        return;
    }
    char out[5200];
    int n = util_ld2str(out, sizeof(out), v);
    if (n <= 0) {
        ctx_error(c, ERR_NOT_FLOAT);
        return;
    }
    int64_t when = e ? entry_expire(e) : -1;
    ks_store(&c->env, c->db, &k, entry_new_emb(k.p, k.len, out, (size_t)n, when));
    resp_bulk(c->w, out, (size_t)n);
}

/* ---- APPEND / SETRANGE: values that grow in place (ENC_RAW) ---- */

static int check_size(struct cmd_ctx *c, long long total)
{
    if (total > CFG(proto_max_bulk_len)) {
        ctx_error(c, ERR_STRING_TOO_BIG);
        return 0;
    }
    return 1;
}

/* Like sds: double small strings, grow big ones by 1 MB, so a run of
 * appends costs amortized O(1) per byte. */
static size_t grow_cap(size_t need)
{
    return need < 1024 * 1024 ? need * 2 : need + 1024 * 1024;
}

/* Make e (stored under k) a RAW string with room for `need` bytes; returns
 * the entry now stored and its buffer. */
static struct entry *make_raw(struct cmd_ctx *c, const struct key *k, struct entry *e,
                              size_t need, char **buf, size_t *len)
{
    if (e && entry_enc(e) == ENC_RAW) {
        char *b = entry_raw_buf(e, len);
        if (mem_usable(b) < need) {
            size_t before = entry_mem(e);
            b = xrealloc(b, grow_cap(need));
            entry_raw_set(e, b, *len);
            ks_value_resized(k->s, before, entry_mem(e));
        }
        *buf = b;
        return e;
    }
    char tmp[24];
    size_t olen = 0;
    const char *old = e ? entry_str(e, tmp, &olen) : "";
    struct entry *n = entry_new_raw(k->p, k->len, old, olen, grow_cap(need), e ? entry_expire(e) : -1);
    ks_store(&c->env, c->db, k, n);
    *buf = entry_raw_buf(n, len);
    return n;
}

void cmd_append(struct cmd_ctx *c)
{
    struct key k;
    struct entry *e;
    if (!key1_string(c, &k, &e))
        return;
    if (!e) {
        store_string(c, &k, c->argv[2], c->argl[2], -1);
        resp_int(c->w, (long long)c->argl[2]);
        return;
    }
    char tmp[24];
    size_t cur;
    entry_str(e, tmp, &cur);
    if (!check_size(c, (long long)(cur + c->argl[2])))
        return;
    char *buf;
    size_t len;
    e = make_raw(c, &k, e, cur + c->argl[2], &buf, &len);
    memcpy(buf + len, c->argv[2], c->argl[2]);
    entry_raw_set(e, buf, len + c->argl[2]);
    ks_modified(c->db, &k, e);
    resp_int(c->w, (long long)(len + c->argl[2]));
}

void cmd_strlen(struct cmd_ctx *c)
{
    struct key k;
    struct entry *e;
    if (!key1_string(c, &k, &e))
        return;
    size_t len = 0;
    char tmp[24];
    if (e)
        entry_str(e, tmp, &len);
    resp_int(c->w, (long long)len);
}

void cmd_getrange(struct cmd_ctx *c)
{
    long long start, end;
    if (!ctx_get_ll(c, 2, &start) || !ctx_get_ll(c, 3, &end))
        return;
    struct key k;
    struct entry *e;
    if (!key1_string(c, &k, &e))
        return;
    if (!e) {
        resp_bulk(c->w, "", 0);
        return;
    }
    char tmp[24];
    size_t len;
    const char *v = entry_str(e, tmp, &len);
    long long n = (long long)len;
    if (start < 0 && end < 0 && start > end) {
        resp_bulk(c->w, "", 0);
        return;
    }
    if (start < 0)
        start += n;
    if (end < 0)
        end += n;
    if (start < 0)
        start = 0;
    if (end < 0)
        end = 0;
    if (end >= n)
        end = n - 1;
    if (start > end || n == 0)
        resp_bulk(c->w, "", 0);
    else
        resp_bulk(c->w, v + start, (size_t)(end - start + 1));
}

void cmd_setrange(struct cmd_ctx *c)
{
    long long off;
    if (!ctx_get_ll(c, 2, &off))
        return;
    if (off < 0) {
        ctx_error(c, ERR_OFFSET_RANGE);
        return;
    }
    struct key k;
    struct entry *e;
    if (!key1_string(c, &k, &e))
        return;
    size_t vlen = c->argl[3];
    char tmp[24];
    size_t cur = 0;
    if (e)
        entry_str(e, tmp, &cur);
    if (vlen == 0) { /* nothing to write: report the length, create nothing */
        resp_int(c->w, (long long)cur);
        return;
    }
    if (!check_size(c, off + (long long)vlen))
        return;
    size_t need = (size_t)off + vlen > cur ? (size_t)off + vlen : cur;
    char *buf;
    size_t len;
    e = make_raw(c, &k, e, need, &buf, &len);
    if ((size_t)off > len)
        memset(buf + len, 0, (size_t)off - len);
    memcpy(buf + off, c->argv[3], vlen);
    if (need > len)
        len = need;
    entry_raw_set(e, buf, len);
    ks_modified(c->db, &k, e);
    resp_int(c->w, (long long)len);
}

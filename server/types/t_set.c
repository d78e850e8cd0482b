/* t_set.c - the set object (see t_set.h): encodings, conversions at the
 * configured thresholds, random sampling, and the type table row.
 *
 * Must not: reply to clients or touch the keyspace; commands live in
 * server/commands/cmd_set.c.
 *
 * Memory per member (how the bytes-per-element targets are met):
 *   intset    2, 4 or 8 B (the width of the widest member);
 *   listpack  1 + length + 1 B for a short string (1 B header, 1 B
 *             backlen), 2-10 B for an integer;
 *   hashtable ~37 B for a 13-byte member (strset.h).
 * Redis 7.0 keeps any non-integer set in a dict: ~74 B for the same member
 * however small the set.  The object itself is one 16-byte allocation
 * (Redis's robj is 16 B too) plus the encoding's buffer (and, for a
 * hashtable, the 56-byte table header).
 */
#include "server/types/t_set.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/resp_write.h" /* ll_to_str */
#include "server/core/config.h"
#include "server/core/mem.h"
#include "server/core/rng.h"
#include "server/core/util.h"
#include "server/types/intset.h"
#include "server/types/types.h"

/* Redis's lpSafeToAdd: no listpack past 1 GB, whatever the entry limit. */
#define LP_SAFETY_SIZE (1u << 30)

struct set {
    uint8_t enc;
    union {
        struct intset *is;
        unsigned char *lp;
        struct strset *ht; /* its own allocation: compact sets stay 16 bytes */
    } u;
};

/* Redis caps the intset limit at 2^30 members, whatever the config says. */
static uint64_t max_intset(void)
{
    long long v = CFG(set_max_intset_entries);
    return v >= (1LL << 30) ? (1ULL << 30) : (uint64_t)v;
}

static uint64_t max_lp_entries(void) { return (uint64_t)CFG(set_max_listpack_entries); }
static uint64_t max_lp_value(void) { return (uint64_t)CFG(set_max_listpack_value); }

static uint64_t rnd(uint64_t *rng, uint64_t n)
{
    return rng_next(rng) % n;
}

/* ---- life cycle ------------------------------------------------------------ */

static struct strset *ht_create(size_t hint)
{
    struct strset *ht = xmalloc(sizeof(*ht));
    strset_init(ht, hint);
    return ht;
}

static void ht_destroy(struct strset *ht)
{
    strset_deinit(ht);
    free(ht);
}

static struct set *alloc_set(int enc)
{
    struct set *s = xcalloc(1, sizeof(*s));
    s->enc = (uint8_t)enc;
    return s;
}

void *set_create(void)
{
    struct set *s = alloc_set(SET_INTSET);
    s->u.is = intset_create();
    return s;
}

struct set *set_create_for(const char *first, size_t len, size_t hint)
{
    long long v;
    if (util_str2ll(first, len, &v) && hint <= max_intset())
        return set_create();
    if (hint <= max_lp_entries()) {
        struct set *s = alloc_set(SET_LISTPACK);
        s->u.lp = lp_create();
        return s;
    }
    struct set *s = alloc_set(SET_HT);
    s->u.ht = ht_create(hint);
    return s;
}

void set_destroy(void *o)
{
    struct set *s = o;
    switch (s->enc) {
    case SET_INTSET: intset_destroy(s->u.is); break;
    case SET_LISTPACK: lp_destroy(s->u.lp); break;
    default: ht_destroy(s->u.ht); break;
    }
    free(s);
}

void *set_dup(const void *o)
{
    const struct set *s = o;
    struct set *d = alloc_set(s->enc);
    switch (s->enc) {
    case SET_INTSET: {
        size_t n = intset_bytes(s->u.is);
        d->u.is = xmalloc(n);
        memcpy(d->u.is, s->u.is, n);
        break;
    }
    case SET_LISTPACK: {
        size_t n = lp_bytes(s->u.lp);
        d->u.lp = xmalloc(n);
        memcpy(d->u.lp, s->u.lp, n);
        break;
    }
    default:
        d->u.ht = xmalloc(sizeof(*d->u.ht));
        strset_copy(d->u.ht, s->u.ht);
        break;
    }
    return d;
}

size_t set_len(const struct set *s)
{
    switch (s->enc) {
    case SET_INTSET: return intset_len(s->u.is);
    case SET_LISTPACK: return lp_count(s->u.lp);
    default: return strset_count(s->u.ht);
    }
}

size_t set_mem(const struct set *s)
{
    size_t n = mem_usable((void *)s);
    switch (s->enc) {
    case SET_INTSET: return n + mem_usable(s->u.is);
    case SET_LISTPACK: return n + mem_usable(s->u.lp);
    default: return n + mem_usable(s->u.ht) + strset_mem(s->u.ht);
    }
}

int set_encoding(const struct set *s) { return s->enc; }

/* ---- iteration -------------------------------------------------------------- */

void set_iter_start(struct set_iter *it, const struct set *s)
{
    it->s = s;
    it->i = 0;
    it->lp = s->enc == SET_LISTPACK ? lp_first(s->u.lp) : NULL;
    it->pos.table = 0;
    it->pos.idx = 0;
}

int set_iter_next(struct set_iter *it, const char **p, size_t *len)
{
    const struct set *s = it->s;
    switch (s->enc) {
    case SET_INTSET:
        if (it->i >= intset_len(s->u.is))
            return 0;
        *len = (size_t)ll_to_str(it->buf, intset_get(s->u.is, (uint32_t)it->i++));
        *p = it->buf;
        return 1;
    case SET_LISTPACK:
        if (!it->lp)
            return 0;
        *p = lp_get_str(it->lp, it->buf, len);
        it->lp = lp_next(s->u.lp, it->lp);
        return 1;
    default: return strset_next(s->u.ht, &it->pos, p, len);
    }
}

/* ---- conversions ------------------------------------------------------------ */

static void convert_to_ht(struct set *s, size_t hint)
{
    struct strset *ht = ht_create(hint);
    struct set_iter it;
    const char *p;
    size_t len;
    set_iter_start(&it, s);
    while (set_iter_next(&it, &p, &len))
        strset_add(ht, p, len);
    if (s->enc == SET_INTSET)
        intset_destroy(s->u.is);
    else
        lp_destroy(s->u.lp);
    s->u.ht = ht;
    s->enc = SET_HT;
}

static void intset_to_listpack(struct set *s)
{
    unsigned char *lp = lp_create();
    uint32_t n = intset_len(s->u.is);
    for (uint32_t i = 0; i < n; i++)
        lp = lp_append_int(lp, intset_get(s->u.is, i));
    intset_destroy(s->u.is);
    s->u.lp = lp;
    s->enc = SET_LISTPACK;
}

/* Redis 7.2's test for an intset taking a non-integer of `len` bytes: a
 * listpack if the intset's longest member (in decimal) and the new one fit
 * the value limit, the count fits and the result stays under 1 GB. */
static int intset_fits_listpack(const struct set *s, size_t len)
{
    uint32_t n = intset_len(s->u.is);
    size_t widest = 0;
    if (n) {
        char buf[LP_INTBUF];
        size_t a = (size_t)ll_to_str(buf, intset_get(s->u.is, 0));
        size_t b = (size_t)ll_to_str(buf, intset_get(s->u.is, n - 1));
        widest = a > b ? a : b;
    }
    return n < max_lp_entries() && len <= max_lp_value() && widest <= max_lp_value() &&
           (uint64_t)n * 11 + len + 16 < LP_SAFETY_SIZE;
}

/* ---- membership --------------------------------------------------------------- */

static int add_intset(struct set *s, const char *p, size_t len)
{
    long long v;
    if (util_str2ll(p, len, &v)) {
        int added;
        s->u.is = intset_add(s->u.is, v, &added);
        if (added && intset_len(s->u.is) > max_intset())
            convert_to_ht(s, intset_len(s->u.is));
        return added;
    }
    if (intset_fits_listpack(s, len)) {
        intset_to_listpack(s);
        s->u.lp = lp_append(s->u.lp, p, len);
    } else {
        convert_to_ht(s, intset_len(s->u.is) + 1u);
        strset_add(s->u.ht, p, len);
    }
    return 1;
}

static int add_listpack(struct set *s, const char *p, size_t len, int known_new)
{
    unsigned char *lp = s->u.lp;
    if (!known_new && lp_find(lp, lp_first(lp), p, len, 0))
        return 0;
    if (lp_count(lp) < max_lp_entries() && len <= max_lp_value() &&
        lp_bytes(lp) + len + 16 < LP_SAFETY_SIZE) {
        s->u.lp = lp_append(lp, p, len);
    } else {
        convert_to_ht(s, lp_count(lp) + 1u);
        strset_add(s->u.ht, p, len);
    }
    return 1;
}

int set_add(struct set *s, const char *p, size_t len)
{
    switch (s->enc) {
    case SET_INTSET: return add_intset(s, p, len);
    case SET_LISTPACK: return add_listpack(s, p, len, 0);
    default: return strset_add(s->u.ht, p, len);
    }
}

void set_add_new(struct set *s, const char *p, size_t len)
{
    /* An intset's search is a binary one and a hashtable's O(1): only the
     * listpack's scan is worth skipping. */
    if (s->enc == SET_LISTPACK)
        add_listpack(s, p, len, 1);
    else
        set_add(s, p, len);
}

int set_remove(struct set *s, const char *p, size_t len)
{
    switch (s->enc) {
    case SET_INTSET: {
        long long v;
        int removed = 0;
        if (util_str2ll(p, len, &v))
            s->u.is = intset_remove(s->u.is, v, &removed);
        return removed;
    }
    case SET_LISTPACK: {
        unsigned char *q = lp_find(s->u.lp, lp_first(s->u.lp), p, len, 0);
        if (!q)
            return 0;
        s->u.lp = lp_delete(s->u.lp, &q);
        return 1;
    }
    default: return strset_remove(s->u.ht, p, len);
    }
}

int set_contains(const struct set *s, const char *p, size_t len)
{
    switch (s->enc) {
    case SET_INTSET: {
        long long v;
        return util_str2ll(p, len, &v) && intset_contains(s->u.is, v);
    }
    case SET_LISTPACK: return lp_find(s->u.lp, lp_first(s->u.lp), p, len, 0) != NULL;
    default: return strset_contains(s->u.ht, p, len);
    }
}

/* ---- random members ------------------------------------------------------------ */

/* Member i of a compact set, through a table of listpack positions built
 * once (lp_seek per draw would make a draw O(n)). */
struct compact_view {
    const struct set *s;
    unsigned char **pos; /* listpack only */
    char buf[LP_INTBUF];
};

static void view_init(struct compact_view *v, const struct set *s)
{
    v->s = s;
    v->pos = NULL;
    if (s->enc != SET_LISTPACK)
        return;
    v->pos = xmalloc(sizeof(*v->pos) * (lp_count(s->u.lp) + 1u));
    size_t i = 0;
    for (unsigned char *p = lp_first(s->u.lp); p; p = lp_next(s->u.lp, p))
        v->pos[i++] = p;
}

static void view_emit(struct compact_view *v, uint64_t i, set_emit_fn emit, void *arg)
{
    size_t len;
    const char *p;
    if (v->s->enc == SET_INTSET) {
        len = (size_t)ll_to_str(v->buf, intset_get(v->s->u.is, (uint32_t)i));
        p = v->buf;
    } else {
        p = lp_get_str(v->pos[i], v->buf, &len);
    }
    emit(arg, p, len);
}

static void view_deinit(struct compact_view *v)
{
    free(v->pos);
}

static int bit_get(const uint64_t *bm, uint64_t i) { return (int)(bm[i / 64] >> (i % 64) & 1); }
static void bit_set(uint64_t *bm, uint64_t i) { bm[i / 64] |= 1ULL << (i % 64); }

/* A uniformly random k-subset of [0, n) as a bitmap (Floyd's algorithm:
 * k draws, no retries). */
static uint64_t *sample_bitmap(uint64_t *rng, uint64_t n, uint64_t k)
{
    uint64_t *bm = xcalloc((n + 63) / 64, sizeof(*bm));
    for (uint64_t j = n - k; j < n; j++) {
        uint64_t t = rnd(rng, j + 1);
        bit_set(bm, bit_get(bm, t) ? j : t);
    }
    return bm;
}

void set_pop_random(struct set *s, uint64_t *rng, set_emit_fn emit, void *arg)
{
    char buf[LP_INTBUF];
    size_t len;
    switch (s->enc) {
    case SET_INTSET: {
        int64_t v = intset_get(s->u.is, (uint32_t)rnd(rng, intset_len(s->u.is)));
        int removed;
        emit(arg, buf, (size_t)ll_to_str(buf, v));
        s->u.is = intset_remove(s->u.is, v, &removed);
        break;
    }
    case SET_LISTPACK: {
        unsigned char *p = lp_seek(s->u.lp, (long)rnd(rng, lp_count(s->u.lp)));
        const char *m = lp_get_str(p, buf, &len);
        emit(arg, m, len);
        s->u.lp = lp_delete(s->u.lp, &p);
        break;
    }
    default: {
        struct strset_pos pos;
        strset_random(s->u.ht, rng, &pos);
        const char *m = strset_at(s->u.ht, &pos, &len);
        emit(arg, m, len);
        strset_delete_at(s->u.ht, &pos);
        break;
    }
    }
}

/* Compact encodings: pick the victims' indexes, then one pass emits them
 * and keeps the rest. */
static void pop_many_compact(struct set *s, uint64_t *rng, size_t count, set_emit_fn emit,
                             void *arg)
{
    uint64_t n = set_len(s);
    uint64_t *bm = sample_bitmap(rng, n, count);
    char buf[LP_INTBUF];
    size_t len;
    if (s->enc == SET_INTSET) {
        struct intset *kept = intset_create();
        int added;
        for (uint32_t i = 0; i < n; i++) {
            int64_t v = intset_get(s->u.is, i);
            if (bit_get(bm, i))
                emit(arg, buf, (size_t)ll_to_str(buf, v));
            else
                kept = intset_add(kept, v, &added);
        }
        intset_destroy(s->u.is);
        s->u.is = kept;
    } else {
        unsigned char *p = lp_first(s->u.lp);
        for (uint64_t i = 0; p; i++) {
            if (bit_get(bm, i)) {
                const char *m = lp_get_str(p, buf, &len);
                emit(arg, m, len);
                s->u.lp = lp_delete(s->u.lp, &p);
            } else {
                p = lp_next(s->u.lp, p);
            }
        }
    }
    free(bm);
}

/* Redis's SPOP_MOVE_STRATEGY_MUL: when fewer than 1/5 of the popped count
 * would remain, it is cheaper to move the survivors into a new set and
 * hand out the old table whole than to draw count members from a table
 * that keeps getting sparser.  As in Redis, the new set starts compact
 * (an intset if the first survivor drawn is an integer, else a listpack)
 * and converts up as survivors are added: this is the one place a set can
 * go back to a compact encoding. */
#define SPOP_MOVE_STRATEGY_MUL 5

void set_pop_many(struct set *s, uint64_t *rng, size_t count, set_emit_fn emit, void *arg)
{
    if (s->enc != SET_HT) {
        pop_many_compact(s, rng, count, emit, arg);
        return;
    }
    uint64_t remaining = strset_count(s->u.ht) - count;
    if (remaining * SPOP_MOVE_STRATEGY_MUL > count) {
        while (count--)
            set_pop_random(s, rng, emit, arg);
        return;
    }
    struct set *kept = NULL;
    while (remaining--) {
        struct strset_pos pos;
        size_t len;
        long long v;
        strset_random(s->u.ht, rng, &pos);
        const char *m = strset_at(s->u.ht, &pos, &len);
        if (!kept) {
            kept = alloc_set(util_str2ll(m, len, &v) ? SET_INTSET : SET_LISTPACK);
            if (kept->enc == SET_INTSET)
                kept->u.is = intset_create();
            else
                kept->u.lp = lp_create();
        }
        set_add(kept, m, len);
        strset_delete_at(s->u.ht, &pos);
    }
    struct strset_pos it = {0, 0};
    const char *m;
    size_t len;
    while (strset_next(s->u.ht, &it, &m, &len))
        emit(arg, m, len);
    ht_destroy(s->u.ht);
    s->enc = kept->enc; /* the object stays where the entry points */
    s->u = kept->u;
    free(kept);
}

/* Distinct draws from a hashtable: slot positions already handed out are
 * remembered in a small open-addressing set of 64-bit keys. */
struct seen {
    uint64_t *t;
    uint64_t mask;
};

static void seen_init(struct seen *sn, uint64_t n)
{
    uint64_t size = 16;
    while (size < n * 2)
        size <<= 1;
    sn->t = xcalloc(size, sizeof(*sn->t));
    sn->mask = size - 1;
}

/* 1 if key (never 0) was not there yet. */
static int seen_add(struct seen *sn, uint64_t key)
{
    uint64_t j = (key * 0x9E3779B97F4A7C15ULL) >> 20 & sn->mask;
    for (; sn->t[j]; j = (j + 1) & sn->mask)
        if (sn->t[j] == key)
            return 0;
    sn->t[j] = key;
    return 1;
}

/* Redis's SRANDMEMBER_SUB_STRATEGY_MUL: when count is over a third of the
 * set, draw by shuffling a list of every member instead of retrying. */
#define SRANDMEMBER_SUB_STRATEGY_MUL 3

static void random_distinct_ht(const struct strset *ht, uint64_t *rng, size_t count,
                               set_emit_fn emit, void *arg)
{
    uint64_t n = strset_count(ht);
    if ((uint64_t)count * SRANDMEMBER_SUB_STRATEGY_MUL > n) {
        struct strset_pos *all = xmalloc(sizeof(*all) * n);
        struct strset_pos it = {0, 0};
        const char *m;
        size_t len;
        for (uint64_t i = 0; strset_next(ht, &it, &m, &len); i++) {
            all[i] = it;
            all[i].idx--; /* strset_next leaves it one past the member */
        }
        for (uint64_t i = 0; i < count; i++) {
            uint64_t j = i + rnd(rng, n - i);
            struct strset_pos t = all[i];
            all[i] = all[j];
            all[j] = t;
            m = strset_at(ht, &all[i], &len);
            emit(arg, m, len);
        }
        free(all);
        return;
    }
    struct seen sn;
    seen_init(&sn, count);
    for (size_t got = 0; got < count;) {
        struct strset_pos pos;
        size_t len;
        strset_random(ht, rng, &pos);
        if (!seen_add(&sn, ((uint64_t)pos.table << 63 | pos.idx) + 1))
            continue;
        const char *m = strset_at(ht, &pos, &len);
        emit(arg, m, len);
        got++;
    }
    free(sn.t);
}

void set_random_many(const struct set *s, uint64_t *rng, size_t count, int repeats,
                     set_emit_fn emit, void *arg)
{
    uint64_t n = set_len(s);
    if (s->enc == SET_HT) {
        if (!repeats) {
            random_distinct_ht(s->u.ht, rng, count, emit, arg);
            return;
        }
        while (count--) {
            struct strset_pos pos;
            size_t len;
            strset_random(s->u.ht, rng, &pos);
            const char *m = strset_at(s->u.ht, &pos, &len);
            emit(arg, m, len);
        }
        return;
    }
    struct compact_view v;
    view_init(&v, s);
    if (repeats) {
        while (count--)
            view_emit(&v, rnd(rng, n), emit, arg);
    } else {
        /* a random subset, emitted in random order */
        uint64_t *bm = sample_bitmap(rng, n, count), *pick = xmalloc(sizeof(*pick) * count);
        size_t k = 0;
        for (uint64_t i = 0; i < n; i++)
            if (bit_get(bm, i))
                pick[k++] = i;
        for (size_t i = 0; i < k; i++) {
            size_t j = i + (size_t)rnd(rng, k - i);
            uint64_t t = pick[i];
            pick[i] = pick[j];
            pick[j] = t;
            view_emit(&v, pick[i], emit, arg);
        }
        free(pick);
        free(bm);
    }
    view_deinit(&v);
}

/* ---- scan and the type row ------------------------------------------------------- */

uint64_t set_scan(const struct set *s, uint64_t cursor, long count, set_emit_fn emit, void *arg)
{
    if (s->enc == SET_HT)
        return strset_scan(s->u.ht, cursor, count, emit, arg);
    struct set_iter it;
    const char *p;
    size_t len;
    set_iter_start(&it, s);
    while (set_iter_next(&it, &p, &len))
        emit(arg, p, len);
    return 0;
}

static size_t ops_mem(const void *o) { return set_mem(o); }
static size_t ops_len(const void *o) { return set_len(o); }

static const char *ops_encoding(const void *o)
{
    switch (((const struct set *)o)->enc) {
    case SET_INTSET: return "intset";
    case SET_LISTPACK: return "listpack";
    default: return "hashtable";
    }
}

const struct type_ops set_type_ops = {
    "set", ops_mem, ops_len, set_destroy, set_dup, ops_encoding,
};

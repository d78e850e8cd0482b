/* rdb_read_value.c - the value of each RDB type, as a stream of elements
 * for the sink; see rdb_read.h.
 *
 * Owns: plain encodings (a count, then strings / scores / pairs), blob
 * encodings (one string holding an intset, zipmap, ziplist or listpack,
 * checked whole by rdb_blobs.c before its first element goes out), and
 * quicklists (a node count, then blobs or plain elements).  Compact
 * encodings store small integers as integers; they go out in decimal, as
 * Redis would reply them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "persistence/rdb_blobs.h"
#include "persistence/rdb_read.h"
#include "persistence/rdb_read_int.h"
#include "protocol/resp_write.h"

/* Strict double parse: the whole text, not NaN. */
static int parse_score(const unsigned char *s, size_t n, double *out)
{
    char buf[256];
    if (n == 0 || n >= sizeof(buf))
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    double d = strtod(buf, &end);
    if (end != buf + n || isnan(d))
        return 0;
    *out = d;
    return 1;
}

/* A claimed element count against what the input can still hold. */
static int check_count(struct reader *r, uint64_t at, uint64_t n, unsigned per_elem)
{
    if (r->input_size && n > (r->input_size - offset(r)) / per_elem)
        return rdbr_fail(r, at, "claims %llu elements, more than the %llu bytes left can hold",
                         (unsigned long long)n, (unsigned long long)(r->input_size - offset(r)));
    return 0;
}

static int begin(struct reader *r, uint64_t count)
{
    r->key.count = count;
    return rdbr_sink_result(r, r->key.offset,
                            r->sink->begin ? r->sink->begin(r->sink_ctx, &r->key) : NULL);
}

/* Deliver one string element of the current key (list, set). */
static int emit(struct reader *r, const void *p, size_t n)
{
    const char *(*cb)(void *, const char *, size_t) =
        r->key.kind == RDB_KIND_LIST ? r->sink->list_item
        : r->key.kind == RDB_KIND_SET ? r->sink->set_member
                                      : r->sink->string;
    return rdbr_sink_result(r, r->el_at, cb ? cb(r->sink_ctx, p, n) : NULL);
}

static int emit_zset(struct reader *r, const void *p, size_t n, double score)
{
    const char *msg = r->sink->zset_member
                          ? r->sink->zset_member(r->sink_ctx, p, n, score) : NULL;
    return rdbr_sink_result(r, r->el_at, msg);
}

static int emit_hash(struct reader *r, const void *f, size_t fl, const void *v, size_t vl)
{
    const char *msg = r->sink->hash_field
                          ? r->sink->hash_field(r->sink_ctx, f, fl, v, vl) : NULL;
    return rdbr_sink_result(r, r->el_at, msg);
}

/* Plain encodings: a count, then elements one by one. */
static int read_plain(struct reader *r, int type, uint64_t at)
{
    uint64_t n;
    if (rdbr_get_len(r, &n, NULL, "an element count") < 0)
        return -1;
    /* the fewest bytes an element can take, to check n against the input */
    unsigned per = type == RDB_TYPE_ZSET_2                           ? 9
                   : type == RDB_TYPE_LIST || type == RDB_TYPE_SET ? 1
                                                                     : 2;
    if (check_count(r, at, n, per) < 0 || begin(r, n) < 0)
        return -1;
    for (uint64_t i = 0; i < n; i++) {
        r->el_at = offset(r);
        if (rdbr_get_string(r, &r->s1, type == RDB_TYPE_HASH ? "a hash field" : "an element") < 0)
            return -1;
        if (type == RDB_TYPE_LIST || type == RDB_TYPE_SET) {
            if (emit(r, r->s1.p, r->s1.len) < 0)
                return -1;
        } else if (type == RDB_TYPE_HASH) {
            if (rdbr_get_string(r, &r->s2, "a hash value") < 0 ||
                emit_hash(r, r->s1.p, r->s1.len, r->s2.p, r->s2.len) < 0)
                return -1;
        } else {
            double score;
            unsigned char d[8];
            uint64_t sat = offset(r);
            if (type == RDB_TYPE_ZSET_2) {
                if (rdbr_get(r, d, 8, "an 8-byte binary score") < 0)
                    return -1;
                uint64_t u = 0;
                for (int k = 7; k >= 0; k--)
                    u = u << 8 | d[k];
                memcpy(&score, &u, 8);
                if (isnan(score))
                    return rdbr_fail(r, sat, "zset score is NaN");
            } else {
                if (rdbr_get_byte(r, d, "a score length") < 0)
                    return -1;
                if (d[0] == 253)
                    return rdbr_fail(r, sat, "zset score is NaN");
                if (d[0] >= 254) {
                    score = d[0] == 254 ? INFINITY : -INFINITY;
                } else {
                    if (rdbr_get_bytes(r, &r->s2, d[0], "a score") < 0)
                        return -1;
                    if (!parse_score(r->s2.p, r->s2.len, &score))
                        return rdbr_fail(r, sat, "zset score is not a number");
                }
            }
            if (emit_zset(r, r->s1.p, r->s1.len, score) < 0)
                return -1;
        }
    }
    return 0;
}

/* Text of a blob entry: its bytes, or its integer formatted into buf. */
static const char *entry_str(const struct rdb_blob_entry *e, char *buf, size_t *len)
{
    if (e->s) {
        *len = e->len;
        return (const char *)e->s;
    }
    *len = (size_t)ll_to_str(buf, e->v);
    return buf;
}

typedef int (*blob_next_fn)(const unsigned char *, size_t, size_t *, struct rdb_blob_entry *);

/* Deliver the (checked) entries of a ziplist or listpack as the current
 * key's kind: single elements, or pairs for hash and zset. */
static int emit_entries(struct reader *r, const struct sbuf *blob, blob_next_fn next,
                        uint64_t at)
{
    size_t pos = 0;
    struct rdb_blob_entry a, b;
    char ba[24], bb[24];
    size_t la, lb;
    while (next(blob->p, blob->len, &pos, &a)) {
        const char *sa = entry_str(&a, ba, &la);
        if (r->key.kind == RDB_KIND_LIST || r->key.kind == RDB_KIND_SET) {
            if (emit(r, sa, la) < 0)
                return -1;
            continue;
        }
        if (!next(blob->p, blob->len, &pos, &b))
            return rdbr_fail(r, at, "blob ends in the middle of a pair");
        const char *sb = entry_str(&b, bb, &lb);
        if (r->key.kind == RDB_KIND_HASH) {
            if (emit_hash(r, sa, la, sb, lb) < 0)
                return -1;
        } else {
            double score = (double)b.v;
            if (b.s && !parse_score(b.s, b.len, &score))
                return rdbr_fail(r, at, "zset score '%.*s' is not a number",
                                 (int)(lb > 40 ? 40 : lb), sb);
            if (emit_zset(r, sa, la, score) < 0)
                return -1;
        }
    }
    return 0;
}

/* Types whose value is one string holding a blob. */
static int read_blob(struct reader *r, int type)
{
    char err[RDB_BLOB_ERRLEN];
    const char *why;
    uint64_t n = 0;
    uint64_t bat = r->el_at = offset(r);
    if (rdbr_get_string(r, &r->blob, "an encoded value") < 0)
        return -1;
    const unsigned char *p = r->blob.p;
    size_t len = r->blob.len;
    switch (type) {
    case RDB_TYPE_SET_INTSET:
        if ((why = rdb_intset_check(p, len, &n, err)))
            return rdbr_fail(r, bat, "%s", why);
        if (begin(r, n) < 0)
            return -1;
        for (uint64_t i = 0; i < n; i++) {
            char buf[24];
            int l = ll_to_str(buf, rdb_intset_get(p, i));
            if (emit(r, buf, (size_t)l) < 0)
                return -1;
        }
        return 0;
    case RDB_TYPE_HASH_ZIPMAP: {
        if ((why = rdb_zipmap_check(p, len, &n, err)))
            return rdbr_fail(r, bat, "%s", why);
        if (begin(r, n) < 0)
            return -1;
        size_t pos = 0;
        struct rdb_blob_entry f, v;
        while (rdb_zipmap_next(p, len, &pos, &f, &v))
            if (emit_hash(r, f.s, f.len, v.s, v.len) < 0)
                return -1;
        return 0;
    }
    case RDB_TYPE_LIST_ZIPLIST:
    case RDB_TYPE_ZSET_ZIPLIST:
    case RDB_TYPE_HASH_ZIPLIST:
        if ((why = rdb_ziplist_check(p, len, &n, err)))
            return rdbr_fail(r, bat, "%s", why);
        break;
    default: /* the listpack types */
        if ((why = rdb_listpack_check(p, len, &n, err)))
            return rdbr_fail(r, bat, "%s", why);
        break;
    }
    int pairs = r->key.kind == RDB_KIND_HASH || r->key.kind == RDB_KIND_ZSET;
    if (pairs && (n & 1))
        return rdbr_fail(r, bat, "%s of a %s holds an odd number of entries (%llu)",
                         type == RDB_TYPE_ZSET_ZIPLIST || type == RDB_TYPE_HASH_ZIPLIST ? "ziplist"
                                                                                  : "listpack",
                         rdbr_kind_name(r->key.kind), (unsigned long long)n);
    if (begin(r, pairs ? n / 2 : n) < 0)
        return -1;
    blob_next_fn next = type == RDB_TYPE_LIST_ZIPLIST || type == RDB_TYPE_ZSET_ZIPLIST ||
                                type == RDB_TYPE_HASH_ZIPLIST
                            ? rdb_ziplist_next
                            : rdb_listpack_next;
    return emit_entries(r, &r->blob, next, bat);
}

/* Quicklists: a node count, then per node (v2: a container kind and) a
 * ziplist / listpack blob, or for PLAIN nodes one element. */
static int read_quicklist(struct reader *r, int type, uint64_t at)
{
    uint64_t nodes;
    if (rdbr_get_len(r, &nodes, NULL, "a quicklist node count") < 0 ||
        check_count(r, at, nodes, type == RDB_TYPE_LIST_QUICKLIST_2 ? 2 : 1) < 0 ||
        begin(r, RDB_COUNT_UNKNOWN) < 0)
        return -1;
    for (uint64_t i = 0; i < nodes; i++) {
        uint64_t container = RDB_QUICKLIST_PACKED;
        uint64_t nat = offset(r);
        if (type == RDB_TYPE_LIST_QUICKLIST_2) {
            if (rdbr_get_len(r, &container, NULL, "a quicklist node container") < 0)
                return -1;
            if (container != RDB_QUICKLIST_PACKED && container != RDB_QUICKLIST_PLAIN)
                return rdbr_fail(r, nat, "quicklist node container %llu is neither 1 (plain) "
                                 "nor 2 (packed)", (unsigned long long)container);
        }
        uint64_t bat = r->el_at = offset(r);
        if (rdbr_get_string(r, &r->blob, "a quicklist node") < 0)
            return -1;
        if (r->blob.len == 0)
            return rdbr_fail(r, bat, "quicklist node %llu is empty", (unsigned long long)i);
        if (container == RDB_QUICKLIST_PLAIN) {
            if (emit(r, r->blob.p, r->blob.len) < 0)
                return -1;
            continue;
        }
        char err[RDB_BLOB_ERRLEN];
        uint64_t n;
        const char *why = type == RDB_TYPE_LIST_QUICKLIST_2
                              ? rdb_listpack_check(r->blob.p, r->blob.len, &n, err)
                              : rdb_ziplist_check(r->blob.p, r->blob.len, &n, err);
        if (why)
            return rdbr_fail(r, bat, "quicklist node %llu: %s", (unsigned long long)i, why);
        if (emit_entries(r, &r->blob,
                         type == RDB_TYPE_LIST_QUICKLIST_2 ? rdb_listpack_next : rdb_ziplist_next,
                         bat) < 0)
            return -1;
    }
    return 0;
}

/* Kind of a type byte we can load, or -1; *refused names the ones we know
 * and refuse. */
int rdbr_read_value(struct reader *r, int type, uint64_t at)
{
    switch (type) {
    case RDB_TYPE_STRING:
        r->el_at = offset(r);
        if (begin(r, 1) < 0 || rdbr_get_string(r, &r->s1, "a string value") < 0)
            return -1;
        return emit(r, r->s1.p, r->s1.len);
    case RDB_TYPE_LIST: case RDB_TYPE_SET: case RDB_TYPE_ZSET: case RDB_TYPE_ZSET_2:
    case RDB_TYPE_HASH:
        return read_plain(r, type, at);
    case RDB_TYPE_LIST_QUICKLIST: case RDB_TYPE_LIST_QUICKLIST_2:
        return read_quicklist(r, type, at);
    default:
        return read_blob(r, type);
    }
}

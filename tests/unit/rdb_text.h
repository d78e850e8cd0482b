/* rdb_text.h - a plain-text picture of an RDB dataset, shared by the RDB
 * tests (test_rdb*.c) and the test driver rdb_tool.c.  Header-only, static.
 *
 * The format (the .txt files in tests/unit/rdb_fixtures use it; make_fixtures.py and
 * tests/integration/test_rdb_format.py write and read it):
 *
 *   # comment
 *   key <db> <kind> <name> <expire-ms|-> <encoding|->
 *   v <item>              string value, list item or set member
 *   z <member> <score>    zset member (score as strtod reads it)
 *   h <field> <value>     hash field
 *
 * kind is string|list|set|zset|hash; encoding is Redis's OBJECT ENCODING
 * (it implies the RDB type Redis 7.0 writes, which the golden test checks)
 * or "-".  Byte strings are escaped: bytes <= 0x20, >= 0x7f, '%' and '~' as
 * %XX; the empty string is "~".
 *
 * A dataset read from a file or recorded from rdb_read() renders to a
 * canonical text (keys by db and name, unordered elements sorted, scores
 * %.17g), so two datasets are equal when their renderings are.
 */
#ifndef CACHET_RDB_TEXT_H
#define CACHET_RDB_TEXT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "persistence/rdb_read.h"
#include "persistence/rdb_write.h"
#include "server/core/mem.h"

struct rt_key {
    uint64_t db;
    int kind;        /* enum rdb_kind */
    char *name;
    size_t nlen;
    int64_t expire;  /* RDB_NO_EXPIRE or ms */
    int type;        /* RDB type byte, or -1 when unknown */
    char **el;       /* canonical element lines ("v ...", "z ... ...", "h ... ...") */
    size_t nel, cap;
};

struct rt_set {
    struct rt_key *k;
    size_t n, cap;
    char err[256];   /* set by a failing sink callback */
};

struct rt_str {
    char *p;
    size_t len, cap;
};

static inline void rt_puts(struct rt_str *s, const char *p, size_t n)
{
    if (s->cap - s->len < n + 1) {
        size_t cap = s->cap ? s->cap : 256;
        while (cap - s->len < n + 1)
            cap *= 2;
        s->p = xrealloc(s->p, cap);
        s->cap = cap;
    }
    memcpy(s->p + s->len, p, n);
    s->len += n;
    s->p[s->len] = '\0';
}

static inline void rt_putc(struct rt_str *s, char c)
{
    rt_puts(s, &c, 1);
}

static inline void rt_escape(struct rt_str *s, const char *p, size_t n)
{
    if (n == 0) {
        rt_putc(s, '~');
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c <= 0x20 || c >= 0x7f || c == '%' || c == '~') {
            char hex[4];
            snprintf(hex, sizeof(hex), "%%%02X", c);
            rt_puts(s, hex, 3);
        } else {
            rt_putc(s, (char)c);
        }
    }
}

/* Unescape a token in place; returns its length, or -1 if malformed. */
static inline long rt_unescape(char *t)
{
    if (strcmp(t, "~") == 0)
        return 0;
    size_t o = 0;
    for (size_t i = 0; t[i]; i++) {
        if (t[i] != '%') {
            t[o++] = t[i];
            continue;
        }
        unsigned v;
        if (!t[i + 1] || !t[i + 2] || sscanf(t + i + 1, "%2x", &v) != 1)
            return -1;
        t[o++] = (char)v;
        i += 2;
    }
    return (long)o;
}

static const char *const rt_kinds[] = {"string", "list", "set", "zset", "hash"};

static inline void rt_score(struct rt_str *s, double d)
{
    char buf[64];
    snprintf(buf, sizeof(buf), "%.17g", d);
    rt_puts(s, buf, strlen(buf));
}

static inline struct rt_key *rt_add_key(struct rt_set *set)
{
    if (set->n == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 16;
        set->k = xrealloc(set->k, set->cap * sizeof(*set->k));
    }
    struct rt_key *k = &set->k[set->n++];
    memset(k, 0, sizeof(*k));
    k->type = -1;
    k->expire = RDB_NO_EXPIRE;
    return k;
}

static inline void rt_add_el(struct rt_key *k, char *line)
{
    if (k->nel == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 8;
        k->el = xrealloc(k->el, k->cap * sizeof(*k->el));
    }
    k->el[k->nel++] = line;
}

static inline void rt_free(struct rt_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        for (size_t j = 0; j < set->k[i].nel; j++)
            free(set->k[i].el[j]);
        free(set->k[i].el);
        free(set->k[i].name);
    }
    free(set->k);
    memset(set, 0, sizeof(*set));
}

/* The RDB type Redis 7.0 writes for an OBJECT ENCODING, or -1. */
static inline int rt_type_of(int kind, const char *enc)
{
    static const struct { int kind; const char *enc; int type; } map[] = {
        {RDB_KIND_STRING, "int", RDB_TYPE_STRING},  {RDB_KIND_STRING, "embstr", RDB_TYPE_STRING},
        {RDB_KIND_STRING, "raw", RDB_TYPE_STRING},  {RDB_KIND_LIST, "quicklist", RDB_TYPE_LIST_QUICKLIST_2},
        {RDB_KIND_SET, "intset", RDB_TYPE_SET_INTSET}, {RDB_KIND_SET, "hashtable", RDB_TYPE_SET},
        {RDB_KIND_ZSET, "listpack", RDB_TYPE_ZSET_LISTPACK}, {RDB_KIND_ZSET, "skiplist", RDB_TYPE_ZSET_2},
        {RDB_KIND_HASH, "listpack", RDB_TYPE_HASH_LISTPACK}, {RDB_KIND_HASH, "hashtable", RDB_TYPE_HASH},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (map[i].kind == kind && strcmp(map[i].enc, enc) == 0)
            return map[i].type;
    return -1;
}

/* Parse a dataset file.  Returns 0, or -1 with a message in set->err. */
static inline int rt_parse_file(const char *path, struct rt_set *set)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(set->err, sizeof(set->err), "cannot open %s", path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    struct rt_key *k = NULL;
    int rc = 0;
    while (getline(&line, &cap, f) > 0) {
        lineno++;
        line[strcspn(line, "\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char *tok[8];
        int nt = 0;
        for (char *s = strtok(line, " "); s && nt < 8; s = strtok(NULL, " "))
            tok[nt++] = s;
        if (nt == 0)
            continue; /* blank but for spaces */
        struct rt_str el = {0};
        if (strcmp(tok[0], "key") == 0 && nt == 6) {
            k = rt_add_key(set);
            k->db = strtoull(tok[1], NULL, 10);
            k->kind = -1;
            for (int i = 0; i < 5; i++)
                if (strcmp(tok[2], rt_kinds[i]) == 0)
                    k->kind = i;
            long n = rt_unescape(tok[3]);
            if (k->kind < 0 || n < 0)
                goto bad;
            k->name = xmemdup(tok[3], (size_t)n);
            k->nlen = (size_t)n;
            if (strcmp(tok[4], "-") != 0)
                k->expire = strtoll(tok[4], NULL, 10);
            k->type = strcmp(tok[5], "-") == 0 ? -1 : rt_type_of(k->kind, tok[5]);
            continue;
        }
        if (!k)
            goto bad;
        if (strcmp(tok[0], "v") == 0 && nt == 2) {
            long n = rt_unescape(tok[1]);
            if (n < 0)
                goto bad;
            rt_puts(&el, "v ", 2);
            rt_escape(&el, tok[1], (size_t)n);
        } else if (strcmp(tok[0], "z") == 0 && nt == 3) {
            long n = rt_unescape(tok[1]);
            char *end;
            double d = strtod(tok[2], &end);
            if (n < 0 || *end)
                goto bad;
            rt_puts(&el, "z ", 2);
            rt_escape(&el, tok[1], (size_t)n);
            rt_putc(&el, ' ');
            rt_score(&el, d);
        } else if (strcmp(tok[0], "h") == 0 && nt == 3) {
            long n1 = rt_unescape(tok[1]), n2 = rt_unescape(tok[2]);
            if (n1 < 0 || n2 < 0)
                goto bad;
            rt_puts(&el, "h ", 2);
            rt_escape(&el, tok[1], (size_t)n1);
            rt_putc(&el, ' ');
            rt_escape(&el, tok[2], (size_t)n2);
        } else {
            goto bad;
        }
        rt_add_el(k, el.p);
        continue;
    bad:
        free(el.p);
        snprintf(set->err, sizeof(set->err), "%s:%ld: malformed line", path, lineno);
        rc = -1;
        break;
    }
    free(line);
    fclose(f);
    return rc;
}

/* ---- recording sink ---- */

static inline const char *rt_begin(void *ctx, const struct rdb_key_info *ki)
{
    struct rt_set *set = ctx;
    struct rt_key *k = rt_add_key(set);
    k->db = ki->db;
    k->kind = ki->kind;
    k->name = xmemdup(ki->key, ki->klen);
    k->nlen = ki->klen;
    k->expire = ki->expire_ms;
    k->type = ki->type;
    return NULL;
}

static inline const char *rt_value(void *ctx, const char *p, size_t n)
{
    struct rt_set *set = ctx;
    struct rt_str el = {0};
    rt_puts(&el, "v ", 2);
    rt_escape(&el, p, n);
    rt_add_el(&set->k[set->n - 1], el.p);
    return NULL;
}

static inline const char *rt_zset(void *ctx, const char *p, size_t n, double score)
{
    struct rt_set *set = ctx;
    struct rt_str el = {0};
    rt_puts(&el, "z ", 2);
    rt_escape(&el, p, n);
    rt_putc(&el, ' ');
    rt_score(&el, score);
    rt_add_el(&set->k[set->n - 1], el.p);
    return NULL;
}

static inline const char *rt_hash(void *ctx, const char *f, size_t fl, const char *v, size_t vl)
{
    struct rt_set *set = ctx;
    struct rt_str el = {0};
    rt_puts(&el, "h ", 2);
    rt_escape(&el, f, fl);
    rt_putc(&el, ' ');
    rt_escape(&el, v, vl);
    rt_add_el(&set->k[set->n - 1], el.p);
    return NULL;
}

static const struct rdb_sink rt_sink = {
    .begin = rt_begin,
    .string = rt_value,
    .list_item = rt_value,
    .set_member = rt_value,
    .zset_member = rt_zset,
    .hash_field = rt_hash,
};

/* ---- canonical rendering ---- */

static inline int rt_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline int rt_cmp_key(const void *a, const void *b)
{
    const struct rt_key *x = a, *y = b;
    if (x->db != y->db)
        return x->db < y->db ? -1 : 1;
    size_t n = x->nlen < y->nlen ? x->nlen : y->nlen;
    int c = memcmp(x->name, y->name, n);
    if (c)
        return c;
    return x->nlen < y->nlen ? -1 : x->nlen > y->nlen;
}

/* Canonical text (malloc'd).  with_type adds each key's RDB type. */
static inline char *rt_render(struct rt_set *set, int with_type)
{
    struct rt_str s = {0};
    rt_puts(&s, "", 0);
    if (set->n)
        qsort(set->k, set->n, sizeof(*set->k), rt_cmp_key);
    for (size_t i = 0; i < set->n; i++) {
        struct rt_key *k = &set->k[i];
        if (k->kind != RDB_KIND_LIST && k->nel)
            qsort(k->el, k->nel, sizeof(*k->el), rt_cmp_str);
        char hdr[128];
        snprintf(hdr, sizeof(hdr), "key %llu %s ", (unsigned long long)k->db,
                 k->kind >= 0 && k->kind < 5 ? rt_kinds[k->kind] : "?");
        rt_puts(&s, hdr, strlen(hdr));
        rt_escape(&s, k->name, k->nlen);
        if (k->expire == RDB_NO_EXPIRE)
            snprintf(hdr, sizeof(hdr), " -");
        else
            snprintf(hdr, sizeof(hdr), " %lld", (long long)k->expire);
        rt_puts(&s, hdr, strlen(hdr));
        if (with_type) {
            snprintf(hdr, sizeof(hdr), " type=%d", k->type);
            rt_puts(&s, hdr, strlen(hdr));
        }
        snprintf(hdr, sizeof(hdr), " n=%zu\n", k->nel);
        rt_puts(&s, hdr, strlen(hdr));
        for (size_t j = 0; j < k->nel; j++) {
            rt_puts(&s, k->el[j], strlen(k->el[j]));
            rt_putc(&s, '\n');
        }
    }
    return s.p;
}

/* First line where two renderings differ, for failure messages. */
static inline void rt_diff(const char *got, const char *want, char *out, size_t cap)
{
    long line = 1;
    const char *g = got, *w = want;
    while (*g && *g == *w) {
        if (*g == '\n')
            line++;
        g++, w++;
    }
    while (g > got && g[-1] != '\n')
        g--, w--;
    int gl = (int)strcspn(g, "\n"), wl = (int)strcspn(w, "\n");
    snprintf(out, cap, "line %ld:\n    got  %.*s\n    want %.*s", line, gl > 200 ? 200 : gl, g,
             wl > 200 ? 200 : wl, w);
}

/* ---- writing a dataset with our writer ---- */

/* Encode every key of set (sorted by db on the way) as Redis writes plain
 * encodings: per database SELECTDB and RESIZEDB, then STRING, LIST (1),
 * SET (2), ZSET_2 (5) or HASH (4) records.  flush (may be NULL) is called
 * whenever the buffer is worth writing out. */
static inline void rt_encode(struct rt_set *set, struct rdb_buf *b,
                             void (*flush)(struct rdb_buf *, void *), void *ctx)
{
    static const int type_of[] = {RDB_TYPE_STRING, RDB_TYPE_LIST, RDB_TYPE_SET,
                                  RDB_TYPE_ZSET_2, RDB_TYPE_HASH};
    free(rt_render(set, 0)); /* sorts keys and elements */
    for (size_t i = 0; i < set->n; i++) {
        struct rt_key *k = &set->k[i];
        if (i == 0 || set->k[i - 1].db != k->db) {
            uint64_t keys = 0, expires = 0;
            for (size_t j = i; j < set->n && set->k[j].db == k->db; j++)
                keys++, expires += set->k[j].expire != RDB_NO_EXPIRE;
            rdb_put_select_db(b, k->db);
            rdb_put_resize_db(b, keys, expires);
        }
        rdb_put_key(b, (enum rdb_type)type_of[k->kind], k->name, k->nlen, k->expire);
        if (k->kind != RDB_KIND_STRING)
            rdb_put_len(b, k->nel);
        for (size_t j = 0; j < k->nel; j++) {
            /* Element lines are "v x", "z m score", "h f v", tokens escaped. */
            char *line = xstrdup(k->el[j]);
            char *t1 = strtok(line + 2, " "), *t2 = strtok(NULL, " ");
            long n1 = rt_unescape(t1);
            rdb_put_string(b, t1, (size_t)n1);
            if (k->kind == RDB_KIND_ZSET) {
                rdb_put_double(b, strtod(t2, NULL));
            } else if (k->kind == RDB_KIND_HASH) {
                long n2 = rt_unescape(t2);
                rdb_put_string(b, t2, (size_t)n2);
            }
            free(line);
            if (flush && rdb_buf_full(b))
                flush(b, ctx);
        }
    }
}

#endif

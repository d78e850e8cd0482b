/* test_zset.c - unit tests for the sorted-set structures: zrange (score and
 * lex parsing, Redis 7.0's score printing), skiplist (order, spans, ranks,
 * range deletes, node sizes, memory counter) against a sorted-array model,
 * zindex (lookups across incremental grow and shrink, deletion's backward
 * shift, the scan guarantee across resizes), and the zset object
 * (conversion thresholds, iteration, build, dup, mem() back to empty). */
#include "tests/unit/unit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/config.h"
#include "server/core/mem.h"
#include "server/core/rng.h"
#include "server/types/skiplist.h"
#include "server/types/t_zset.h"
#include "server/types/zindex.h"
#include "server/types/zrange.h"

/* ---- zrange ---- */

TEST(score_parse_is_string2d)
{
    double d;
    CHECK(zscore_parse("1.5", 3, &d) && d == 1.5);
    CHECK(zscore_parse("-inf", 4, &d) && isinf(d) && d < 0);
    CHECK(zscore_parse("0x10", 4, &d) && d == 16);
    CHECK(!zscore_parse("nan", 3, &d));
    CHECK(!zscore_parse(" 1", 2, &d));
    CHECK(!zscore_parse("1 ", 2, &d));
    CHECK(!zscore_parse("", 0, &d));
    CHECK(!zscore_parse("1e400", 5, &d));
    CHECK(!zscore_parse("1\0", 2, &d));
    char longnum[304]; /* "0.000...01": longer than any stack buffer */
    memset(longnum, '0', sizeof(longnum));
    longnum[1] = '.';
    longnum[sizeof(longnum) - 1] = '1';
    CHECK(zscore_parse(longnum, sizeof(longnum), &d) && d > 0 && d < 1e-300);
}

TEST(score_range_parse)
{
    struct zrange_score r;
    CHECK(zrange_parse_score("(1", 2, "5", 1, &r) && r.min == 1 && r.minex && r.max == 5 &&
          !r.maxex);
    CHECK(zrange_parse_score("", 0, "(", 1, &r) && r.min == 0 && r.max == 0 && r.maxex);
    CHECK(zrange_parse_score("-inf", 4, "+inf", 4, &r) && isinf(r.min) && isinf(r.max));
    CHECK(zrange_parse_score("1e400", 5, "2", 1, &r) && isinf(r.min));
    CHECK(!zrange_parse_score("x", 1, "1", 1, &r));
    CHECK(!zrange_parse_score("1", 1, "nan", 3, &r));
    CHECK(!zrange_parse_score("((1", 3, "1", 1, &r));
    CHECK(zrange_score_empty(&(struct zrange_score){2, 1, 0, 0}));
    CHECK(zrange_score_empty(&(struct zrange_score){1, 1, 1, 0}));
    CHECK(!zrange_score_empty(&(struct zrange_score){1, 1, 0, 0}));
}

TEST(lex_range_parse_and_compare)
{
    struct zrange_lex r;
    CHECK(zrange_parse_lex("-", 1, "+", 1, &r) && r.min.inf == -1 && r.max.inf == 1);
    CHECK(zrange_parse_lex("[a", 2, "(b", 2, &r) && !r.min.ex && r.max.ex);
    CHECK(zlex_gte_min("a", 1, &r) && zlex_lte_max("a", 1, &r) && !zlex_lte_max("b", 1, &r));
    CHECK(!zrange_parse_lex("a", 1, "+", 1, &r));
    CHECK(!zrange_parse_lex("", 0, "+", 1, &r));
    CHECK(!zrange_parse_lex("-x", 2, "+", 1, &r));
    CHECK(zrange_parse_lex("+", 1, "-", 1, &r) && zrange_lex_empty(&r));
    CHECK(zrange_parse_lex("-", 1, "-", 1, &r) && zrange_lex_empty(&r));
    CHECK(zrange_parse_lex("[b", 2, "[a", 2, &r) && zrange_lex_empty(&r));
    CHECK(zrange_parse_lex("[a", 2, "(a", 2, &r) && zrange_lex_empty(&r));
    CHECK(zrange_parse_lex("[a", 2, "[a", 2, &r) && !zrange_lex_empty(&r));
    CHECK(zrange_parse_lex("[", 1, "+", 1, &r) && zlex_gte_min("", 0, &r));
}

TEST(score_printing_is_redis_7_0)
{
    char b[ZSCORE_BUF];
    long long ll;
#define D2S(v, s) (zscore_d2string(b, v), CHECK_EQ_STR(b, s))
    D2S(1.5, "1.5");
    D2S(0.1, "0.10000000000000001");
    D2S(-0.0, "-0");
    D2S(0.0, "0");
    D2S(INFINITY, "inf");
    D2S(-INFINITY, "-inf");
    D2S(4503599627370495.0, "4503599627370495");
    D2S(1e20, "1e+20");
    D2S(123456789012345678.0, "1.2345678901234568e+17");
#undef D2S
    CHECK(zscore_to_ll(-0.0, &ll) && ll == 0);
    CHECK(zscore_to_ll(123456789012345678.0, &ll) && ll == 123456789012345680LL);
    CHECK(!zscore_to_ll(1.5, &ll));
    CHECK(!zscore_to_ll(1e19, &ll));
    CHECK(!zscore_to_ll(INFINITY, &ll));
}

/* ---- skiplist against a sorted array ---- */

struct ref {
    double score;
    char m[16];
};

static int ref_cmp(const void *a, const void *b)
{
    const struct ref *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return zmember_cmp(x->m, strlen(x->m), y->m, strlen(y->m));
}

static size_t node_bytes(int level, size_t mlen)
{
    return 16 + 8 * (size_t)level + 4 * (size_t)(level - 1) + 1 + mlen;
}

/* Forward and backward walks, ranks and at_rank all agree with ref[]. */
static void check_list(const struct zsl *zl, const struct ref *ref, size_t n)
{
    size_t i = 0;
    struct zsl_node *last = NULL;
    for (struct zsl_node *x = zsl_first(zl); x; x = zsl_next(x), i++) {
        size_t l;
        const char *m = zsl_member(x, &l);
        if (!CHECK(i < n) || !CHECK(x->score == ref[i].score) ||
            !CHECK_MEM(m, l, ref[i].m, strlen(ref[i].m)))
            return;
        if (i % 7 == 0) {
            CHECK_EQ_INT(zsl_rank(zl, x), i + 1);
            CHECK(zsl_at_rank(zl, i + 1) == x);
        }
        CHECK(zsl_prev(x) == last);
        last = x;
    }
    CHECK_EQ_INT(i, n);
    CHECK_EQ_INT(zl->length, n);
    CHECK(zl->tail == last);
    CHECK(zsl_at_rank(zl, n + 1) == NULL);
}

static struct zsl_node *find_node(const struct zsl *zl, const char *m)
{
    for (struct zsl_node *x = zsl_first(zl); x; x = zsl_next(x)) {
        size_t l;
        const char *xm = zsl_member(x, &l);
        if (l == strlen(m) && !memcmp(xm, m, l))
            return x;
    }
    return NULL;
}

TEST(skiplist_model)
{
    struct zsl zl;
    zsl_init(&zl);
    size_t empty_mem = zl.mem;
    struct ref ref[600];
    size_t n = 0;
    uint64_t rng = 42;
    for (int step = 0; step < 6000; step++) {
        int op = (int)(rng_next(&rng) % 10);
        char m[16];
        snprintf(m, sizeof(m), "m%d", (int)(rng_next(&rng) % 500));
        double score = (double)(rng_next(&rng) % 20) / 2;
        size_t at = 0;
        while (at < n && strcmp(ref[at].m, m))
            at++;
        if (op < 5 && at == n && n < 600) {
            size_t before = zl.mem;
            struct zsl_node *x = zsl_insert(&zl, score, m, strlen(m));
            /* libc/ASan report the requested size: the layout's exact bytes */
            CHECK_EQ_INT(zl.mem - before, mem_usable(x));
            CHECK(mem_usable(x) >= node_bytes(zsl_node_level(x), strlen(m)));
            ref[n].score = score;
            strcpy(ref[n].m, m);
            n++;
        } else if (op < 7 && at < n) {
            zsl_delete(&zl, find_node(&zl, m));
            ref[at] = ref[--n];
        } else if (at < n) {
            zsl_update_score(&zl, find_node(&zl, m), score);
            ref[at].score = score;
        }
        qsort(ref, n, sizeof(*ref), ref_cmp);
        if (step % 50 == 0)
            check_list(&zl, ref, n);
    }
    check_list(&zl, ref, n);
    /* range lookups and deletes */
    struct zrange_score r = {2, 4, 1, 0};
    size_t first = 0, last;
    while (first < n && ref[first].score <= 2)
        first++;
    last = first;
    while (last < n && ref[last].score <= 4)
        last++;
    struct zsl_node *f = zsl_first_in_score(&zl, &r), *l = zsl_last_in_score(&zl, &r);
    if (first < last) {
        CHECK(f && f->score == ref[first].score && zsl_rank(&zl, f) == first + 1);
        CHECK(l && zsl_rank(&zl, l) == last);
    }
    CHECK_EQ_INT(zsl_delete_score(&zl, &r, NULL, NULL), last - first);
    memmove(ref + first, ref + last, (n - last) * sizeof(*ref));
    n -= last - first;
    check_list(&zl, ref, n);
    CHECK_EQ_INT(zsl_delete_rank(&zl, 3, 10, NULL, NULL), 8);
    memmove(ref + 2, ref + 10, (n - 10) * sizeof(*ref));
    n -= 8;
    check_list(&zl, ref, n);
    CHECK_EQ_INT(zsl_delete_rank(&zl, 1, n, NULL, NULL), n);
    CHECK_EQ_INT(zl.mem, empty_mem);
    CHECK_EQ_INT(zl.level, 1);
    zsl_deinit(&zl);
}

TEST(skiplist_lex)
{
    struct zsl zl;
    zsl_init(&zl);
    const char *ms[] = {"a", "b", "ba", "c", "d"};
    for (int i = 0; i < 5; i++)
        zsl_insert(&zl, 0, ms[i], strlen(ms[i]));
    struct zrange_lex r;
    zrange_parse_lex("(a", 2, "[c", 2, &r);
    size_t l;
    const char *m = zsl_member(zsl_first_in_lex(&zl, &r), &l);
    CHECK_MEM_STR(m, l, "b");
    m = zsl_member(zsl_last_in_lex(&zl, &r), &l);
    CHECK_MEM_STR(m, l, "c");
    CHECK_EQ_INT(zsl_delete_lex(&zl, &r, NULL, NULL), 3);
    CHECK_EQ_INT(zl.length, 2);
    zrange_parse_lex("+", 1, "+", 1, &r);
    CHECK(zsl_first_in_lex(&zl, &r) == NULL);
    zsl_deinit(&zl);
}

/* ---- zindex ---- */

struct seen {
    char *hit;
    struct zsl *zl;
};

static int member_no(const struct zsl_node *x)
{
    size_t l;
    const char *m = zsl_member(x, &l);
    int v = 0;
    for (size_t i = 1; i < l; i++)
        v = v * 10 + (m[i] - '0');
    return v;
}

static void mark(struct zsl_node *x, void *arg)
{
    struct seen *s = arg;
    s->hit[member_no(x)] = 1;
}

TEST(zindex_grow_shrink_and_find)
{
    struct zsl zl;
    struct zindex x;
    zsl_init(&zl);
    zidx_init(&x);
    enum { N = 50000 };
    char m[16];
    for (int i = 0; i < N; i++) {
        snprintf(m, sizeof(m), "k%d", i);
        zidx_add(&x, zsl_insert(&zl, i, m, strlen(m)));
        if (i % 997 == 0) /* lookups while a resize is under way */
            for (int j = 0; j <= i; j += 101) {
                snprintf(m, sizeof(m), "k%d", j);
                struct zsl_node *n = zidx_find(&x, m, strlen(m));
                if (!CHECK(n && n->score == j))
                    return;
            }
    }
    CHECK_EQ_INT(zidx_count(&x), N);
    CHECK(zidx_find(&x, "nope", 4) == NULL);
    for (int i = 0; i < N; i += 2) {
        snprintf(m, sizeof(m), "k%d", i);
        struct zsl_node *n = zidx_remove(&x, m, strlen(m));
        if (!CHECK(n && n->score == i))
            return;
        zsl_delete(&zl, n);
    }
    for (int i = 0; i < N; i++) {
        snprintf(m, sizeof(m), "k%d", i);
        CHECK((zidx_find(&x, m, strlen(m)) != NULL) == (i % 2 == 1));
    }
    size_t big = x.mem;
    for (int i = 1; i < N - 10; i += 2) {
        snprintf(m, sizeof(m), "k%d", i);
        zsl_delete(&zl, zidx_remove(&x, m, strlen(m)));
    }
    CHECK_EQ_INT(zidx_count(&x), 5);
    CHECK(x.mem < big / 100); /* shrunk */
    for (int i = N - 9; i < N; i += 2) {
        snprintf(m, sizeof(m), "k%d", i);
        CHECK(zidx_find(&x, m, strlen(m)) != NULL);
    }
    zidx_deinit(&x);
    CHECK_EQ_INT(x.mem, 0);
    zsl_deinit(&zl);
    CHECK_EQ_INT(zl.mem, 0);
}

TEST(zindex_scan_survives_resizes)
{
    struct zsl zl;
    struct zindex x;
    zsl_init(&zl);
    zidx_init(&x);
    enum { KEEP = 3000, EXTRA = 20000 };
    static char hit[KEEP + EXTRA];
    char m[16];
    memset(hit, 0, sizeof(hit));
    for (int i = 0; i < KEEP; i++) {
        snprintf(m, sizeof(m), "k%d", i);
        zidx_add(&x, zsl_insert(&zl, i, m, strlen(m)));
    }
    struct seen s = {hit, &zl};
    uint64_t cursor = 0;
    int steps = 0, added = 0;
    do {
        cursor = zidx_scan(&x, cursor, mark, &s);
        steps++;
        /* grow hard, then shrink back, while the scan goes on */
        if (steps < 200 && added < EXTRA) {
            for (int k = 0; k < 200 && added < EXTRA; k++, added++) {
                snprintf(m, sizeof(m), "k%d", KEEP + added);
                zidx_add(&x, zsl_insert(&zl, 0, m, strlen(m)));
            }
        } else if (added > 0) {
            for (int k = 0; k < 300 && added > 0; k++) {
                added--;
                snprintf(m, sizeof(m), "k%d", KEEP + added);
                zsl_delete(&zl, zidx_remove(&x, m, strlen(m)));
            }
        }
    } while (cursor);
    for (int i = 0; i < KEEP; i++)
        if (!CHECK(hit[i]))
            break;
    zidx_deinit(&x);
    zsl_deinit(&zl);
}

/* ---- the zset object ---- */

static void set_limits(long long entries, long long value)
{
    cfg.zset_max_listpack_entries = entries;
    cfg.zset_max_listpack_value = value;
}

static int zadd(struct zset *z, double s, const char *m)
{
    int out;
    double ns;
    CHECK(zset_add(z, s, m, strlen(m), 0, &out, &ns));
    return out;
}

TEST(zset_conversion_and_mem)
{
    set_limits(8, 10);
    struct zset *z = zset_create();
    size_t empty = zset_mem(z);
    char m[16];
    for (int i = 0; i < 8; i++) {
        snprintf(m, sizeof(m), "%d", i * 3); /* integer members: listpack ints */
        CHECK_EQ_INT(zadd(z, 10 - i, m), ZADD_ADDED);
    }
    CHECK_EQ_INT(z->enc, ZSET_LISTPACK);
    CHECK_EQ_INT(zset_rank(z, "0", 1, 0), 7);
    CHECK_EQ_INT(zadd(z, 100, "x"), ZADD_ADDED);
    CHECK_EQ_INT(z->enc, ZSET_SKIPLIST);
    CHECK_EQ_INT(zset_rank(z, "0", 1, 0), 7);
    CHECK_EQ_INT(zset_rank(z, "x", 1, 1), 0);
    double s;
    CHECK(zset_score(z, "21", 2, &s) && s == 3);
    struct zset *d = zset_dup(z);
    CHECK_EQ_INT(d->enc, ZSET_SKIPLIST);
    CHECK_EQ_INT(zset_len(d), 9);
    zset_destroy(d);
    /* remove everything: never back to listpack, memory back to the
     * skiplist's empty shape */
    while (zset_len(z))
        zset_remove_rank(z, 0, 0);
    CHECK_EQ_INT(z->enc, ZSET_SKIPLIST);
    CHECK(zset_mem(z) > empty);
    zset_destroy(z);

    z = zset_create();
    CHECK_EQ_INT(zadd(z, 1, "12345678901"), ZADD_ADDED); /* 11 > 10 bytes */
    CHECK_EQ_INT(z->enc, ZSET_SKIPLIST);
    zset_shrink_if_small(z);
    CHECK_EQ_INT(z->enc, ZSET_SKIPLIST);
    zset_remove(z, "12345678901", 11);
    zadd(z, 1, "a");
    zset_shrink_if_small(z);
    CHECK_EQ_INT(z->enc, ZSET_LISTPACK);
    zset_remove(z, "a", 1);
    CHECK_EQ_INT(zset_mem(z), empty);
    zset_destroy(z);
    set_limits(128, 64);
}

/* zset_add_new (snapshot loading): members in order, in reverse and
 * shuffled end in the same order, through the listpack's append fast path,
 * its ordered insert and the conversion to a skiplist. */
TEST(zset_add_new_any_order)
{
    set_limits(16, 64);
    static const int orders = 3;
    for (int n = 1; n <= 40; n += 13) {
        for (int o = 0; o < orders; o++) {
            struct zset *z = zset_create();
            char m[16];
            for (int i = 0; i < n; i++) {
                int k = o == 0 ? i : o == 1 ? n - 1 - i : (i * 7) % n;
                if (o == 2 && n % 7 == 0)
                    k = i; /* 7 would not shuffle a multiple of 7 */
                snprintf(m, sizeof(m), "m%02d", k);
                CHECK(zset_add_new(z, k / 2, m, strlen(m))); /* ties on score */
            }
            CHECK_EQ_INT(zset_len(z), n);
            CHECK_EQ_INT(z->enc, n > 16 ? ZSET_SKIPLIST : ZSET_LISTPACK);
            for (int k = 0; k < n; k++) {
                snprintf(m, sizeof(m), "m%02d", k);
                CHECK_EQ_INT(zset_rank(z, m, strlen(m), 0), k);
            }
            CHECK(!zset_add_new(z, NAN, "x", 1));
            CHECK_EQ_INT(zset_len(z), n);
            zset_destroy(z);
        }
    }
    set_limits(128, 64);
}

TEST(zset_add_flags)
{
    set_limits(128, 64);
    for (int big = 0; big < 2; big++) {
        struct zset *z = big ? zset_create_skiplist() : zset_create();
        int out;
        double ns;
        CHECK(zset_add(z, 5, "a", 1, 0, &out, &ns) && out == ZADD_ADDED);
        CHECK(zset_add(z, 3, "a", 1, ZADD_GT, &out, &ns) && out == ZADD_NOP);
        CHECK(zset_add(z, 7, "a", 1, ZADD_GT, &out, &ns) && out == ZADD_UPDATED && ns == 7);
        CHECK(zset_add(z, 7, "a", 1, 0, &out, &ns) && out == 0 && ns == 7);
        CHECK(zset_add(z, 1, "a", 1, ZADD_NX, &out, &ns) && out == ZADD_NOP);
        CHECK(zset_add(z, 1, "b", 1, ZADD_XX, &out, &ns) && out == ZADD_NOP);
        CHECK(zset_add(z, 2, "a", 1, ZADD_INCR, &out, &ns) && ns == 9);
        CHECK(zset_add(z, INFINITY, "a", 1, 0, &out, &ns));
        CHECK(!zset_add(z, -INFINITY, "a", 1, ZADD_INCR, &out, &ns));
        CHECK(!zset_add(z, NAN, "c", 1, 0, &out, &ns));
        CHECK_EQ_INT(zset_len(z), 1);
        zset_destroy(z);
    }
}

TEST(zset_iter_and_build)
{
    set_limits(4, 64);
    struct zitem items[6];
    const char *ms[] = {"e", "d", "c", "b", "a", "f"};
    for (int i = 0; i < 6; i++) {
        items[i].m = ms[i];
        items[i].mlen = 1;
        items[i].score = i < 5 ? 1 : 0;
    }
    struct zset *z = zset_build(items, 6);
    CHECK_EQ_INT(z->enc, ZSET_SKIPLIST);
    struct zset *small = zset_build(items, 4);
    CHECK_EQ_INT(small->enc, ZSET_LISTPACK);
    const struct zset *both[2] = {z, small};
    for (int k = 0; k < 2; k++) {
        struct zset_iter it;
        struct zelem e;
        char got[8] = {0};
        int n = 0;
        zset_iter_rank(&it, both[k], 0, 1);
        while (zset_iter_next(&it, &e) && n < 7)
            got[n++] = e.m[0];
        /* the first build sorted items[]: small holds f(0) a b c */
        CHECK_EQ_STR(got, k ? "cbaf" : "edcbaf");
        struct zrange_score r = {1, 1, 0, 0};
        CHECK(zset_iter_score(&it, both[k], &r, 0) && zset_iter_next(&it, &e) && e.m[0] == 'a');
        CHECK_EQ_INT(zset_count_score(both[k], &r), k ? 3 : 5);
    }
    zset_destroy(z);
    zset_destroy(small);
    set_limits(128, 64);
}

/* test_quicklist.c - unit tests for server/types/quicklist: node fill rules
 * (count limits, byte limits, oversized elements alone), seeks from both
 * ends, range deletes that free whole nodes, inserts that split full nodes
 * and merge the halves, iterator deletes both ways, copies, exact memory
 * accounting after every change, and a long random model test against an
 * array of strings with the fill changing under it. */
#include "tests/unit/unit.h"

#include "server/core/mem.h"
#include "server/core/rng.h"
#include "server/types/quicklist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the model: an array of strings ------------------------------------------ */

struct str {
    char *s;
    size_t len;
};

struct model {
    struct str *v;
    size_t n, cap;
};

static void model_insert(struct model *m, size_t at, const char *s, size_t len)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->v = realloc(m->v, m->cap * sizeof(*m->v));
    }
    memmove(m->v + at + 1, m->v + at, (m->n - at) * sizeof(*m->v));
    m->v[at].s = malloc(len ? len : 1);
    memcpy(m->v[at].s, s, len);
    m->v[at].len = len;
    m->n++;
}

static void model_delete(struct model *m, size_t at, size_t k)
{
    for (size_t i = at; i < at + k; i++)
        free(m->v[i].s);
    memmove(m->v + at, m->v + at + k, (m->n - at - k) * sizeof(*m->v));
    m->n -= k;
}

static void model_free(struct model *m)
{
    model_delete(m, 0, m->n);
    free(m->v);
}

static int val_eq(const struct lp_val *v, const struct str *s)
{
    char buf[LP_INTBUF];
    size_t len;
    const char *p = v->s;
    len = v->len;
    if (!p) {
        len = (size_t)snprintf(buf, sizeof(buf), "%lld", v->v);
        p = buf;
    }
    return len == s->len && memcmp(p, s->s, len) == 0;
}

/* ---- invariants ----------------------------------------------------------------- */

static size_t recount_mem(const struct quicklist *ql)
{
    size_t m = mem_usable((void *)ql);
    for (const struct ql_node *n = ql->head; n; n = n->next)
        m += mem_usable((void *)n) + mem_usable(n->lp);
    return m;
}

/* Links, counts and memory agree, no node is empty, and the elements read
 * forwards and backwards are the model's. */
static void check_list(struct quicklist *ql, const struct model *m)
{
    size_t total = 0;
    const struct ql_node *prev = NULL;
    for (const struct ql_node *n = ql->head; n; n = n->next) {
        CHECK(n->prev == prev);
        CHECK(n->count > 0);
        CHECK_EQ_INT(n->count, lp_count(n->lp));
        total += n->count;
        prev = n;
    }
    CHECK(ql->tail == prev);
    CHECK_EQ_INT(total, ql_count(ql));
    CHECK_EQ_INT(ql_count(ql), m->n);
    CHECK_EQ_INT(ql_mem(ql), recount_mem(ql));

    struct ql_iter it;
    struct lp_val v;
    size_t i = 0;
    ql_iter_init(ql, 0, QL_FORWARD, &it);
    while (ql_iter_next(&it, &v)) {
        if (!CHECK(i < m->n && val_eq(&v, &m->v[i]))) {
            fprintf(stderr, "forward mismatch at %zu\n", i);
            return;
        }
        i++;
    }
    CHECK_EQ_INT(i, m->n);
    ql_iter_init(ql, -1, QL_BACKWARD, &it);
    while (ql_iter_next(&it, &v)) {
        if (!CHECK(i > 0 && val_eq(&v, &m->v[i - 1]))) {
            fprintf(stderr, "backward mismatch at %zu\n", i);
            return;
        }
        i--;
    }
    CHECK_EQ_INT(i, 0);
}

/* Every node with more than one element obeys fill. */
static void check_fill(const struct quicklist *ql, int fill)
{
    static const size_t lim[] = {4096, 8192, 16384, 32768, 65536};
    for (const struct ql_node *n = ql->head; n; n = n->next) {
        if (n->count < 2)
            continue;
        if (fill < 0)
            CHECK(lp_bytes(n->lp) <= lim[-fill - 1]);
        else
            CHECK(n->count <= (uint32_t)fill && lp_bytes(n->lp) <= 8192);
    }
}

static void push_str(struct quicklist *ql, struct model *m, int where, const char *s, int fill)
{
    ql_push(ql, where, s, strlen(s), fill);
    model_insert(m, where == QL_HEAD ? 0 : m->n, s, strlen(s));
}

static const char *item(size_t i)
{
    static char buf[32];
    snprintf(buf, sizeof(buf), "item-%06zu", i);
    return buf;
}

/* ---- tests ----------------------------------------------------------------------- */

TEST(empty_list)
{
    struct quicklist *ql = ql_create();
    struct model m = {0};
    struct ql_pos pos;
    CHECK_EQ_INT(ql_count(ql), 0);
    CHECK(!ql_seek(ql, 0, &pos));
    CHECK(!ql_seek(ql, -1, &pos));
    ql_del_range(ql, 0, 10);
    check_list(ql, &m);
    CHECK_EQ_INT(ql_node_count(ql), 0);
    ql_destroy(ql);
}

TEST(push_both_ends_keeps_order)
{
    struct quicklist *ql = ql_create();
    struct model m = {0};
    for (size_t i = 0; i < 5000; i++)
        push_str(ql, &m, i % 3 ? QL_TAIL : QL_HEAD, item(i), -2);
    check_list(ql, &m);
    check_fill(ql, -2);
    CHECK(ql_node_count(ql) > 1);
    ql_destroy(ql);
    model_free(&m);
}

TEST(byte_fill_packs_nodes_to_the_limit)
{
    /* 13-byte elements ("item-000000" + header + backlen) in 8 KB nodes:
     * every node but the last is nearly full. */
    struct quicklist *ql = ql_create();
    for (size_t i = 0; i < 100000; i++)
        ql_push(ql, QL_TAIL, item(i), 11, -2);
    for (const struct ql_node *n = ql->head; n != ql->tail; n = n->next)
        CHECK(lp_bytes(n->lp) > 8192 - 13 - 8 - 13 && lp_bytes(n->lp) <= 8192);
    /* bytes per element, all overheads included: listpack encoding 13 */
    CHECK(ql_mem(ql) < 100000 * 13.2);
    ql_destroy(ql);
}

TEST(count_fill_limits_elements_per_node)
{
    struct quicklist *ql = ql_create();
    struct model m = {0};
    for (size_t i = 0; i < 10; i++)
        push_str(ql, &m, QL_TAIL, item(i), 3);
    CHECK_EQ_INT(ql_node_count(ql), 4);
    check_fill(ql, 3);
    check_list(ql, &m);
    ql_destroy(ql);
    model_free(&m);

    ql = ql_create();
    memset(&m, 0, sizeof(m));
    for (size_t i = 0; i < 5; i++) /* fill 0: every node holds one element */
        push_str(ql, &m, QL_HEAD, item(i), 0);
    CHECK_EQ_INT(ql_node_count(ql), 5);
    check_list(ql, &m);
    ql_destroy(ql);
    model_free(&m);
}

TEST(count_fill_is_capped_by_8kb)
{
    struct quicklist *ql = ql_create();
    char big[1000];
    memset(big, 'x', sizeof(big));
    for (size_t i = 0; i < 20; i++)
        ql_push(ql, QL_TAIL, big, sizeof(big), 1000);
    for (const struct ql_node *n = ql->head; n; n = n->next)
        CHECK(lp_bytes(n->lp) <= 8192);
    CHECK(ql_node_count(ql) >= 3);
    ql_destroy(ql);
}

TEST(oversized_element_gets_its_own_node)
{
    struct quicklist *ql = ql_create();
    struct model m = {0};
    char *big = malloc(5001);
    memset(big, 'b', 5000);
    big[5000] = '\0';
    push_str(ql, &m, QL_TAIL, "a", -1);
    push_str(ql, &m, QL_TAIL, big, -1);
    push_str(ql, &m, QL_TAIL, "c", -1);
    CHECK_EQ_INT(ql_node_count(ql), 3);
    CHECK_EQ_INT(ql->head->next->count, 1);
    check_list(ql, &m);
    free(big);
    ql_destroy(ql);
    model_free(&m);
}

TEST(seek_every_index_from_both_ends)
{
    struct quicklist *ql = ql_create();
    struct model m = {0};
    for (size_t i = 0; i < 2000; i++)
        push_str(ql, &m, QL_TAIL, item(i), 7);
    for (size_t i = 0; i < m.n; i++) {
        struct ql_pos a, b;
        struct lp_val v;
        CHECK(ql_seek(ql, (long long)i, &a));
        CHECK(ql_seek(ql, (long long)i - (long long)m.n, &b));
        CHECK(a.node == b.node && a.p == b.p);
        lp_get(a.p, &v);
        CHECK(val_eq(&v, &m.v[i]));
    }
    struct ql_pos pos;
    CHECK(!ql_seek(ql, (long long)m.n, &pos));
    CHECK(!ql_seek(ql, -(long long)m.n - 1, &pos));
    ql_destroy(ql);
    model_free(&m);
}

TEST(del_range_frees_whole_nodes)
{
    struct quicklist *ql = ql_create();
    struct model m = {0};
    for (size_t i = 0; i < 100; i++)
        push_str(ql, &m, QL_TAIL, item(i), 10); /* 10 nodes of 10 */
    ql_del_range(ql, 5, 30); /* half of node 0, nodes 1-2, half of node 3 */
    model_delete(&m, 5, 30);
    CHECK_EQ_INT(ql_node_count(ql), 8);
    check_list(ql, &m);
    ql_del_range(ql, -3, 100); /* clamped to the end */
    model_delete(&m, m.n - 3, 3);
    check_list(ql, &m);
    ql_del_range(ql, 0, 1000);
    model_delete(&m, 0, m.n);
    check_list(ql, &m);
    CHECK(ql->head == NULL && ql->tail == NULL);
    ql_destroy(ql);
    model_free(&m);
}

TEST(insert_into_full_node_splits_it)
{
    struct quicklist *ql = ql_create();
    struct model m = {0};
    for (size_t i = 0; i < 12; i++)
        push_str(ql, &m, QL_TAIL, item(i), 4); /* 3 full nodes */
    struct ql_pos pos;
    CHECK(ql_seek(ql, 5, &pos)); /* middle of the middle node */
    ql_insert(ql, &pos, LP_AFTER, "new", 3, 4);
    model_insert(&m, 6, "new", 3);
    check_list(ql, &m);
    check_fill(ql, 4);
    /* before the first element of a full node with a full neighbour */
    CHECK(ql_seek(ql, 0, &pos));
    ql_insert(ql, &pos, LP_BEFORE, "first", 5, 4);
    model_insert(&m, 0, "first", 5);
    check_list(ql, &m);
    check_fill(ql, 4);
    CHECK(ql_seek(ql, -1, &pos));
    ql_insert(ql, &pos, LP_AFTER, "last", 4, 4);
    model_insert(&m, m.n, "last", 4);
    check_list(ql, &m);
    check_fill(ql, 4);
    ql_destroy(ql);
    model_free(&m);
}

TEST(split_halves_merge_into_neighbours)
{
    /* fill 8: [8][2][8]; splitting the last node in its middle leaves a
     * half of 4 that fits with the 2 before it. */
    struct quicklist *ql = ql_create();
    struct model m = {0};
    for (size_t i = 0; i < 10; i++)
        push_str(ql, &m, QL_TAIL, item(i), 8);
    for (size_t i = 10; i < 18; i++) {
        ql_push(ql, QL_TAIL, item(i), 11, 2); /* a full node of 2, then nodes of 2 */
        model_insert(&m, m.n, item(i), 11);
    }
    size_t before = ql_node_count(ql);
    struct ql_pos pos;
    CHECK(ql_seek(ql, 3, &pos));
    ql_insert(ql, &pos, LP_AFTER, "x", 1, 8);
    model_insert(&m, 4, "x", 1);
    check_list(ql, &m);
    check_fill(ql, 8);
    CHECK(ql_node_count(ql) <= before + 1);
    ql_destroy(ql);
    model_free(&m);
}

TEST(replace_in_place)
{
    struct quicklist *ql = ql_create();
    struct model m = {0};
    for (size_t i = 0; i < 50; i++)
        push_str(ql, &m, QL_TAIL, item(i), 8);
    struct ql_pos pos;
    CHECK(ql_seek(ql, 17, &pos));
    ql_replace(ql, &pos, "12345", 5);
    model_delete(&m, 17, 1);
    model_insert(&m, 17, "12345", 5);
    check_list(ql, &m);
    ql_destroy(ql);
    model_free(&m);
}

static void delete_every_other(int dir, int fill)
{
    struct quicklist *ql = ql_create();
    struct model m = {0};
    for (size_t i = 0; i < 300; i++)
        push_str(ql, &m, QL_TAIL, item(i % 2 ? 1 : i), fill);
    struct ql_iter it;
    struct lp_val v;
    ql_iter_init(ql, dir == QL_FORWARD ? 0 : -1, dir, &it);
    size_t seen = 0;
    while (ql_iter_next(&it, &v)) {
        seen++;
        if (v.s && v.len == 11 && !memcmp(v.s, "item-000001", 11))
            ql_iter_delete(&it);
    }
    CHECK_EQ_INT(seen, 300);
    for (size_t i = m.n; i-- > 0;)
        if (m.v[i].len == 11 && !memcmp(m.v[i].s, "item-000001", 11))
            model_delete(&m, i, 1);
    CHECK_EQ_INT(m.n, 150);
    check_list(ql, &m);
    ql_destroy(ql);
    model_free(&m);
}

TEST(iterator_delete_forward)
{
    delete_every_other(QL_FORWARD, 5);
    delete_every_other(QL_FORWARD, -2);
}

TEST(iterator_delete_backward)
{
    delete_every_other(QL_BACKWARD, 5);
    delete_every_other(QL_BACKWARD, -2);
}

TEST(iterator_delete_everything_both_ways)
{
    for (int dir = 0; dir < 2; dir++) {
        struct quicklist *ql = ql_create();
        struct model m = {0};
        for (size_t i = 0; i < 40; i++)
            push_str(ql, &m, QL_TAIL, item(i), 3);
        struct ql_iter it;
        struct lp_val v;
        size_t seen = 0;
        ql_iter_init(ql, dir == QL_FORWARD ? 0 : -1, dir, &it);
        while (ql_iter_next(&it, &v)) {
            CHECK(val_eq(&v, &m.v[dir == QL_FORWARD ? seen : 39 - seen]));
            ql_iter_delete(&it);
            seen++;
        }
        CHECK_EQ_INT(seen, 40);
        model_delete(&m, 0, m.n);
        check_list(ql, &m);
        ql_destroy(ql);
        model_free(&m);
    }
}

TEST(iterator_starts_mid_list)
{
    struct quicklist *ql = ql_create();
    for (size_t i = 0; i < 100; i++)
        ql_push(ql, QL_TAIL, item(i), 11, 6);
    struct ql_iter it;
    struct lp_val v;
    ql_iter_init(ql, 42, QL_FORWARD, &it);
    CHECK(ql_iter_next(&it, &v) && v.len == 11 && !memcmp(v.s, "item-000042", 11));
    ql_iter_init(ql, -58, QL_BACKWARD, &it);
    CHECK(ql_iter_next(&it, &v) && v.len == 11 && !memcmp(v.s, "item-000042", 11));
    CHECK(ql_iter_next(&it, &v) && v.len == 11 && !memcmp(v.s, "item-000041", 11));
    ql_iter_init(ql, 100, QL_FORWARD, &it);
    CHECK(!ql_iter_next(&it, &v));
    ql_destroy(ql);
}

TEST(integers_round_trip)
{
    struct quicklist *ql = ql_create();
    struct model m = {0};
    const char *vals[] = {"0", "-1", "127", "128", "4095", "-4096", "32767", "-32769",
                          "8388607", "-2147483648", "9223372036854775807",
                          "-9223372036854775808", "007", "+1", "1.5", ""};
    for (size_t i = 0; i < sizeof(vals) / sizeof(*vals); i++)
        push_str(ql, &m, QL_TAIL, vals[i], -2);
    check_list(ql, &m);
    ql_destroy(ql);
    model_free(&m);
}

TEST(dup_is_deep_and_equal)
{
    struct quicklist *ql = ql_create();
    struct model m = {0};
    for (size_t i = 0; i < 3000; i++)
        push_str(ql, &m, QL_TAIL, item(i), -1);
    struct quicklist *d = ql_dup(ql);
    CHECK_EQ_INT(ql_mem(d), recount_mem(d));
    check_list(d, &m);
    ql_del_range(ql, 0, 3000);
    check_list(d, &m);
    ql_destroy(ql);
    ql_destroy(d);
    model_free(&m);
}

/* ---- the model test ----------------------------------------------------------- */

static size_t rand_value(uint64_t *rs, char *buf)
{
    uint64_t r = rng_next(rs);
    switch (r % 6) {
    case 0:
        return (size_t)snprintf(buf, 32, "%lld", (long long)(rng_next(rs) % 1000) - 500);
    case 1:
        return (size_t)snprintf(buf, 32, "%lld", (long long)rng_next(rs));
    case 2: { /* a long string, sometimes bigger than a node */
        size_t n = (size_t)(rng_next(rs) % 9000);
        memset(buf, 'a' + (int)(r % 26), n);
        return n;
    }
    default:
        return (size_t)snprintf(buf, 32, "v%llu", (unsigned long long)(rng_next(rs) % 50));
    }
}

TEST(random_operations_match_model)
{
    static const int fills[] = {-2, -1, 1, 2, 5, 16, -3, 0, 128};
    uint64_t rs = 12345;
    struct quicklist *ql = ql_create();
    struct model m = {0};
    char *buf = malloc(10000);
    int fill = -2;
    for (int step = 0; step < 20000; step++) {
        if (step % 2000 == 0)
            fill = fills[(step / 2000) % (sizeof(fills) / sizeof(*fills))];
        uint64_t op = rng_next(&rs) % 100;
        size_t len = rand_value(&rs, buf);
        struct ql_pos pos;
        if (op < 35 || m.n == 0) {
            int where = rng_next(&rs) % 2 ? QL_HEAD : QL_TAIL;
            ql_push(ql, where, buf, len, fill);
            model_insert(&m, where == QL_HEAD ? 0 : m.n, buf, len);
        } else if (op < 50) {
            size_t i = (size_t)(rng_next(&rs) % m.n);
            int where = rng_next(&rs) % 2 ? LP_BEFORE : LP_AFTER;
            CHECK(ql_seek(ql, (long long)i, &pos));
            ql_insert(ql, &pos, where, buf, len, fill);
            model_insert(&m, i + (where == LP_AFTER), buf, len);
        } else if (op < 58) {
            size_t i = (size_t)(rng_next(&rs) % m.n);
            CHECK(ql_seek(ql, (long long)i - (long long)m.n, &pos));
            ql_replace(ql, &pos, buf, len);
            model_delete(&m, i, 1);
            model_insert(&m, i, buf, len);
        } else if (op < 80) {
            size_t i = (size_t)(rng_next(&rs) % m.n);
            size_t k = (size_t)(rng_next(&rs) % (m.n < 40 ? m.n + 1 : 40));
            ql_del_range(ql, (long long)i, k);
            model_delete(&m, i, k < m.n - i ? k : m.n - i);
        } else if (op < 90) {
            /* remove the elements equal to a value, either way, up to 3 */
            int dir = rng_next(&rs) % 2 ? QL_FORWARD : QL_BACKWARD;
            const struct str *t = &m.v[rng_next(&rs) % m.n];
            char *want = malloc(t->len + 1);
            size_t wlen = t->len, removed = 0;
            memcpy(want, t->s, wlen);
            struct ql_iter it;
            struct lp_val v;
            ql_iter_init(ql, dir == QL_FORWARD ? 0 : -1, dir, &it);
            while (removed < 3 && ql_iter_next(&it, &v))
                if (lp_eq(it.p, want, wlen)) {
                    ql_iter_delete(&it);
                    removed++;
                }
            for (size_t j = 0, done = 0; j < m.n && done < removed; j++) {
                size_t i = dir == QL_FORWARD ? j : m.n - 1 - j;
                if (m.v[i].len == wlen && !memcmp(m.v[i].s, want, wlen)) {
                    model_delete(&m, i, 1);
                    done++;
                    j--; /* the next candidate took index i (forward) or j's slot */
                }
            }
            free(want);
        } else {
            int where = rng_next(&rs) % 2 ? QL_HEAD : QL_TAIL;
            size_t k = (size_t)(rng_next(&rs) % 5) + 1;
            if (k > m.n)
                k = m.n;
            ql_del_range(ql, where == QL_HEAD ? 0 : -(long long)k, k);
            model_delete(&m, where == QL_HEAD ? 0 : m.n - k, k);
        }
        if (step % 50 == 0 || m.n < 20)
            check_list(ql, &m);
        else
            CHECK_EQ_INT(ql_mem(ql), recount_mem(ql));
        if (unit_failures_) {
            fprintf(stderr, "failed at step %d (op %llu)\n", step, (unsigned long long)op);
            break;
        }
    }
    check_list(ql, &m);
    free(buf);
    ql_destroy(ql);
    model_free(&m);
}

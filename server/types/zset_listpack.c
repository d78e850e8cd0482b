/* zset_listpack.c - see zset_listpack.h. */
#include "server/types/zset_listpack.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/resp_write.h"

const char *zl_member(const unsigned char *mp, char *buf, size_t *len)
{
    return lp_get_str(mp, buf, len);
}

double zl_score(unsigned char *lp, unsigned char *mp)
{
    struct lp_val v;
    lp_get(lp_next(lp, mp), &v);
    if (!v.s)
        return (double)v.v;
    /* As zzlStrtod: what we store is short; a longer text is cut. */
    char buf[128];
    size_t n = v.len < sizeof(buf) - 1 ? v.len : sizeof(buf) - 1;
    memcpy(buf, v.s, n);
    buf[n] = '\0';
    return strtod(buf, NULL);
}

const char *zl_score_str(unsigned char *lp, unsigned char *mp, char *buf, size_t *len)
{
    return lp_get_str(lp_next(lp, mp), buf, len);
}

unsigned long zl_len(const unsigned char *lp)
{
    return lp_count(lp) / 2;
}

unsigned char *zl_next(unsigned char *lp, unsigned char *mp)
{
    return lp_next(lp, lp_next(lp, mp));
}

unsigned char *zl_prev(unsigned char *lp, unsigned char *mp)
{
    unsigned char *sp = lp_prev(lp, mp);
    return sp ? lp_prev(lp, sp) : NULL;
}

unsigned char *zl_at_rank(unsigned char *lp, unsigned long rank)
{
    if (rank >= zl_len(lp))
        return NULL;
    return lp_seek(lp, (long)(rank * 2));
}

unsigned char *zl_find(unsigned char *lp, const char *m, size_t mlen, double *score)
{
    unsigned char *mp = lp_first(lp);
    if (!mp)
        return NULL;
    mp = lp_find(lp, mp, m, mlen, 1);
    if (mp && score)
        *score = zl_score(lp, mp);
    return mp;
}

/* The pair at mp against (score, m): < 0 if the pair at mp orders first. */
static int pair_cmp(unsigned char *lp, unsigned char *mp, double score, const char *m,
                    size_t mlen)
{
    double s = zl_score(lp, mp);
    if (s != score)
        return s < score ? -1 : 1;
    char buf[LP_INTBUF];
    size_t l;
    const char *pm = zl_member(mp, buf, &l);
    return zmember_cmp(pm, l, m, mlen);
}

/* The score as Redis 7.0 stores it in a listpack. */
static int score_text(char *buf, double score)
{
    long long ll;
    return zscore_to_ll(score, &ll) ? ll_to_str(buf, ll) : zscore_d2string(buf, score);
}

unsigned char *zl_append(unsigned char *lp, const char *m, size_t mlen, double score)
{
    char sbuf[ZSCORE_BUF];
    int slen = score_text(sbuf, score);
    lp = lp_append(lp, m, mlen);
    return lp_append(lp, sbuf, (size_t)slen);
}

unsigned char *zl_insert(unsigned char *lp, const char *m, size_t mlen, double score)
{
    unsigned char *sp = lp_last(lp);
    if (!sp || pair_cmp(lp, lp_prev(lp, sp), score, m, mlen) < 0)
        return zl_append(lp, m, mlen, score);
    unsigned char *mp = lp_first(lp);
    while (mp && pair_cmp(lp, mp, score, m, mlen) < 0)
        mp = zl_next(lp, mp);
    if (!mp)
        return zl_append(lp, m, mlen, score);
    char sbuf[ZSCORE_BUF];
    int slen = score_text(sbuf, score);
    unsigned char *np;
    lp = lp_insert(lp, mp, LP_BEFORE, m, mlen, &np);
    return lp_insert(lp, np, LP_AFTER, sbuf, (size_t)slen, NULL);
}

unsigned char *zl_delete(unsigned char *lp, unsigned char *mp)
{
    return lp_delete_range_at(lp, &mp, 2);
}

unsigned long zl_rank(unsigned char *lp, unsigned char *mp)
{
    unsigned long r = 0;
    for (unsigned char *p = lp_first(lp); p && p != mp; p = zl_next(lp, p))
        r++;
    return r;
}

/* ---- ranges ---- */

static int lex_gte_min(unsigned char *mp, const struct zrange_lex *r)
{
    char buf[LP_INTBUF];
    size_t l;
    const char *m = zl_member(mp, buf, &l);
    return zlex_gte_min(m, l, r);
}

static int lex_lte_max(unsigned char *mp, const struct zrange_lex *r)
{
    char buf[LP_INTBUF];
    size_t l;
    const char *m = zl_member(mp, buf, &l);
    return zlex_lte_max(m, l, r);
}

unsigned char *zl_first_in_score(unsigned char *lp, const struct zrange_score *r)
{
    if (zrange_score_empty(r))
        return NULL;
    for (unsigned char *mp = lp_first(lp); mp; mp = zl_next(lp, mp)) {
        double s = zl_score(lp, mp);
        if (zscore_gte_min(s, r))
            return zscore_lte_max(s, r) ? mp : NULL;
    }
    return NULL;
}

unsigned char *zl_last_in_score(unsigned char *lp, const struct zrange_score *r)
{
    if (zrange_score_empty(r))
        return NULL;
    unsigned char *sp = lp_last(lp);
    for (unsigned char *mp = sp ? lp_prev(lp, sp) : NULL; mp; mp = zl_prev(lp, mp)) {
        double s = zl_score(lp, mp);
        if (zscore_lte_max(s, r))
            return zscore_gte_min(s, r) ? mp : NULL;
    }
    return NULL;
}

/* As zzlIsInLexRange: the last member reaches min and the first reaches
 * max.  Lex ranges assume equal scores; when they differ this precheck
 * decides what Redis answers, so it is kept exactly. */
static int lex_overlaps(unsigned char *lp, const struct zrange_lex *r)
{
    unsigned char *first = lp_first(lp), *last = lp_last(lp);
    if (zrange_lex_empty(r) || !first)
        return 0;
    return lex_gte_min(lp_prev(lp, last), r) && lex_lte_max(first, r);
}

unsigned char *zl_first_in_lex(unsigned char *lp, const struct zrange_lex *r)
{
    if (!lex_overlaps(lp, r))
        return NULL;
    for (unsigned char *mp = lp_first(lp); mp; mp = zl_next(lp, mp))
        if (lex_gte_min(mp, r))
            return lex_lte_max(mp, r) ? mp : NULL;
    return NULL;
}

unsigned char *zl_last_in_lex(unsigned char *lp, const struct zrange_lex *r)
{
    if (!lex_overlaps(lp, r))
        return NULL;
    unsigned char *sp = lp_last(lp);
    for (unsigned char *mp = sp ? lp_prev(lp, sp) : NULL; mp; mp = zl_prev(lp, mp))
        if (lex_lte_max(mp, r))
            return lex_gte_min(mp, r) ? mp : NULL;
    return NULL;
}

/* Delete the run of pairs from mp on while in_max(mp). */
static unsigned char *delete_while(unsigned char *lp, unsigned char *mp,
                                   int (*in_max)(unsigned char *, unsigned char *, const void *),
                                   const void *r, unsigned long *removed)
{
    unsigned long n = 0;
    while (mp && in_max(lp, mp, r)) {
        lp = lp_delete_range_at(lp, &mp, 2);
        n++;
    }
    *removed = n;
    return lp;
}

static int score_in_max(unsigned char *lp, unsigned char *mp, const void *r)
{
    return zscore_lte_max(zl_score(lp, mp), r);
}

static int lex_in_max(unsigned char *lp, unsigned char *mp, const void *r)
{
    (void)lp;
    return lex_lte_max(mp, r);
}

unsigned char *zl_delete_score(unsigned char *lp, const struct zrange_score *r,
                               unsigned long *removed)
{
    unsigned char *mp = lp_first(lp);
    while (mp && !zscore_gte_min(zl_score(lp, mp), r))
        mp = zl_next(lp, mp);
    return delete_while(lp, mp, score_in_max, r, removed);
}

unsigned char *zl_delete_lex(unsigned char *lp, const struct zrange_lex *r,
                             unsigned long *removed)
{
    return delete_while(lp, zl_first_in_lex(lp, r), lex_in_max, r, removed);
}

unsigned char *zl_delete_rank(unsigned char *lp, unsigned long start, unsigned long end)
{
    return lp_delete_range(lp, (long)(start * 2), (end - start + 1) * 2);
}

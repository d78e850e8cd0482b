/* zrange.h - sorted-set scores and ranges: parsing, comparing, printing.
 *
 * Owns the small pure pieces every sorted-set layer shares: a score range
 * (ZRANGEBYSCORE min max, "(" for exclusive), a lex range ("[a", "(a",
 * "-", "+"), Redis 7.0's score parsing (string2d) and its two score
 * printers (d2string for listpack and ZSCAN, double2ll for integer
 * scores).  Must not: know about encodings or the command layer.
 */
#ifndef CACHET_ZRANGE_H
#define CACHET_ZRANGE_H

#include <stddef.h>
#include <string.h>

/* min..max with exclusive flags, as zslParseRange fills it. */
struct zrange_score {
    double min, max;
    int minex, maxex;
};

/* One end of a lex range: a string, or "-" / "+" (inf -1 / +1), which
 * are below / above every string. */
struct zlex_bound {
    const char *p;
    size_t len;
    int inf; /* -1 "-", +1 "+", 0 a string */
    int ex;  /* exclusive ("(" and the infinities) */
};

struct zrange_lex {
    struct zlex_bound min, max;
};

/* Redis's string2d: the whole string is a double, no leading space, not
 * NaN, no overflow to +-inf or underflow to 0.  Any length. */
int zscore_parse(const char *s, size_t len, double *out);
/* ZRANGEBYSCORE-style bounds ("(" prefix = exclusive; strtod's syntax,
 * so "inf", "-inf", "" (= 0) are accepted; NaN is not).  0 on error. */
int zrange_parse_score(const char *min, size_t minlen, const char *max, size_t maxlen,
                       struct zrange_score *r);
/* ZRANGEBYLEX-style bounds: "[x", "(x", "-", "+".  0 on error.  The
 * bounds point into the arguments. */
int zrange_parse_lex(const char *min, size_t minlen, const char *max, size_t maxlen,
                     struct zrange_lex *r);

/* Redis 7.0's d2string: "inf"/"-inf", "-0", integers (|v| < 2^52) in
 * decimal, else %.17g.  buf >= ZSCORE_BUF bytes; returns the length. */
#define ZSCORE_BUF 32
int zscore_d2string(char *buf, double v);
/* Redis 7.0's double2ll: 1 and *out when v is integral and within
 * +-LLONG_MAX/2 (so -0.0 becomes 0).  A listpack stores such scores as
 * integers. */
int zscore_to_ll(double v, long long *out);

/* Member order: bytes, then length (sdscmp). */
static inline int zmember_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static inline int zscore_gte_min(double v, const struct zrange_score *r)
{
    return r->minex ? v > r->min : v >= r->min;
}

static inline int zscore_lte_max(double v, const struct zrange_score *r)
{
    return r->maxex ? v < r->max : v <= r->max;
}

/* A range that no score can fall in (min > max, or min == max with an
 * exclusive end). */
static inline int zrange_score_empty(const struct zrange_score *r)
{
    return r->min > r->max || (r->min == r->max && (r->minex || r->maxex));
}

/* A member against a bound: < 0, 0, > 0. */
static inline int zlex_cmp(const char *m, size_t mlen, const struct zlex_bound *b)
{
    if (b->inf)
        return -b->inf;
    return zmember_cmp(m, mlen, b->p, b->len);
}

static inline int zlex_gte_min(const char *m, size_t mlen, const struct zrange_lex *r)
{
    int c = zlex_cmp(m, mlen, &r->min);
    return r->min.ex ? c > 0 : c >= 0;
}

static inline int zlex_lte_max(const char *m, size_t mlen, const struct zrange_lex *r)
{
    int c = zlex_cmp(m, mlen, &r->max);
    return r->max.ex ? c < 0 : c <= 0;
}

/* As Redis's sdscmplex check in zslIsInLexRange: the range is empty when
 * min > max, or min == max and either end is exclusive. */
int zrange_lex_empty(const struct zrange_lex *r);

#endif

/* zrange.c - sorted-set score parsing/printing and range parsing; see
 * zrange.h.  Every rule here is Redis 7.0's, down to what strtod accepts. */
#include "server/types/zrange.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "protocol/resp_write.h"
#include "server/core/mem.h"

/* strtod needs a NUL-terminated string: copy to the stack, or the heap for
 * the rare long argument.  Returns the copy (free with cstr_done). */
static char *cstr(const char *s, size_t len, char *stack, size_t cap)
{
    char *b = len < cap ? stack : xmalloc(len + 1);
    memcpy(b, s, len);
    b[len] = '\0';
    return b;
}

static void cstr_done(char *b, const char *stack)
{
    if (b != stack)
        free(b);
}

int zscore_parse(const char *s, size_t len, double *out)
{
    char stack[128], *end;
    if (len == 0 || isspace((unsigned char)s[0]))
        return 0;
    char *b = cstr(s, len, stack, sizeof(stack));
    errno = 0;
    double v = strtod(b, &end);
    int ok = (size_t)(end - b) == len && !isnan(v) &&
             !(errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || fpclassify(v) == FP_ZERO));
    cstr_done(b, stack);
    if (ok)
        *out = v;
    return ok;
}

/* One bound of a score range.  Like zslParseRange this reads up to the
 * first NUL, so an empty bound is 0 and an embedded NUL ends the number. */
static int parse_score_bound(const char *s, size_t len, double *v, int *ex)
{
    char stack[128], *end;
    *ex = len > 0 && s[0] == '(';
    char *b = cstr(s + *ex, len - (size_t)*ex, stack, sizeof(stack));
    *v = strtod(b, &end);
    int ok = *end == '\0' && !isnan(*v);
    cstr_done(b, stack);
    return ok;
}

int zrange_parse_score(const char *min, size_t minlen, const char *max, size_t maxlen,
                       struct zrange_score *r)
{
    return parse_score_bound(min, minlen, &r->min, &r->minex) &&
           parse_score_bound(max, maxlen, &r->max, &r->maxex);
}

static int parse_lex_bound(const char *s, size_t len, struct zlex_bound *b)
{
    b->p = NULL;
    b->len = 0;
    b->inf = 0;
    b->ex = 0;
    if (len == 0)
        return 0;
    switch (s[0]) {
    case '+':
    case '-':
        /* Redis checks the byte after the sign against its terminator. */
        if (len > 1 && s[1] != '\0')
            return 0;
        b->inf = s[0] == '+' ? 1 : -1;
        b->ex = 1;
        return 1;
    case '(':
    case '[':
        b->ex = s[0] == '(';
        b->p = s + 1;
        b->len = len - 1;
        return 1;
    default:
        return 0;
    }
}

int zrange_parse_lex(const char *min, size_t minlen, const char *max, size_t maxlen,
                     struct zrange_lex *r)
{
    return parse_lex_bound(min, minlen, &r->min) && parse_lex_bound(max, maxlen, &r->max);
}

int zrange_lex_empty(const struct zrange_lex *r)
{
    const struct zlex_bound *a = &r->min, *b = &r->max;
    int c;
    if (a->inf && a->inf == b->inf)
        c = 0;
    else if (a->inf == -1 || b->inf == 1)
        c = -1;
    else if (a->inf == 1 || b->inf == -1)
        c = 1;
    else
        c = zmember_cmp(a->p, a->len, b->p, b->len);
    return c > 0 || (c == 0 && (a->ex || b->ex));
}

int zscore_d2string(char *buf, double v)
{
    if (isnan(v))
        return snprintf(buf, ZSCORE_BUF, "nan");
    if (isinf(v))
        return snprintf(buf, ZSCORE_BUF, "%s", v < 0 ? "-inf" : "inf");
    if (v == 0)
        return snprintf(buf, ZSCORE_BUF, "%s", signbit(v) ? "-0" : "0");
    /* Integers below 2^52 print exactly through the integer path. */
    if (v > -4503599627370495.0 && v < 4503599627370496.0 && v == (double)(long long)v)
        return ll_to_str(buf, (long long)v);
    return snprintf(buf, ZSCORE_BUF, "%.17g", v);
}

int zscore_to_ll(double v, long long *out)
{
    if (!(v >= (double)(-LLONG_MAX / 2) && v <= (double)(LLONG_MAX / 2)))
        return 0;
    long long ll = (long long)v;
    if ((double)ll != v)
        return 0;
    *out = ll;
    return 1;
}

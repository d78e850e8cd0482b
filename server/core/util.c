/* util.c - see util.h. */
#include "server/core/util.h"

#include "protocol/resp_parse.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int util_str2ll(const char *s, size_t len, long long *out)
{
    return resp_str2ll(s, len, out);
}

int util_str2ld(const char *s, size_t len, long double *out)
{
    char buf[5 * 1024];
    if (len == 0 || len >= sizeof(buf))
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (isspace((unsigned char)buf[0]))
        return 0;
    char *end;
    errno = 0;
    long double v = strtold(buf, &end);
    if ((size_t)(end - buf) != len || isnan(v))
        return 0;
    if (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO))
        return 0;
    *out = v;
    return 1;
}

int util_str2d(const char *s, size_t len, double *out)
{
    char buf[256];
    if (len == 0 || len >= sizeof(buf))
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (isspace((unsigned char)buf[0]))
        return 0;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if ((size_t)(end - buf) != len || isnan(v))
        return 0;
    if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || fpclassify(v) == FP_ZERO))
        return 0;
    *out = v;
    return 1;
}

int util_ld2str(char *buf, size_t cap, long double v)
{
    if (isinf(v)) {
        if (cap < 5)
            return 0;
        int l = snprintf(buf, cap, "%s", v > 0 ? "inf" : "-inf");
        return l;
    }
    int l = snprintf(buf, cap, "%.17Lf", v);
    if (l < 0 || (size_t)l + 1 > cap)
        return 0;
    if (strchr(buf, '.')) {
        char *p = buf + l - 1;
        while (*p == '0') {
            p--;
            l--;
        }
        if (*p == '.')
            l--;
    }
    if (l == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        l = 1;
    }
    buf[l] = '\0';
    return l;
}

static int chr_eq(char a, char b, int nocase)
{
    if (nocase)
        return tolower((unsigned char)a) == tolower((unsigned char)b);
    return a == b;
}

/* Match a bracket class at pat (just after '['); advances *pp past ']'. */
static int match_class(const char **pp, const char *pend, char c, int nocase)
{
    const char *p = *pp;
    int neg = 0, match = 0;
    if (p < pend && *p == '^') {
        neg = 1;
        p++;
    }
    for (;;) {
        if (p >= pend) { /* unterminated: Redis treats end as close */
            break;
        }
        if (*p == '\\' && p + 1 < pend) {
            p++;
            if (*p == c) /* an escaped class member matches exactly, as in Redis */
                match = 1;
        } else if (*p == ']') {
            break;
        } else if (p + 2 < pend && p[1] == '-') {
            unsigned char lo = (unsigned char)p[0], hi = (unsigned char)p[2];
            unsigned char cc = (unsigned char)c;
            if (lo > hi) {
                unsigned char t = lo;
                lo = hi;
                hi = t;
            }
            if (nocase) {
                lo = (unsigned char)tolower(lo);
                hi = (unsigned char)tolower(hi);
                cc = (unsigned char)tolower(cc);
            }
            if (cc >= lo && cc <= hi)
                match = 1;
            p += 2;
        } else if (chr_eq(*p, c, nocase)) {
            match = 1;
        }
        p++;
    }
    *pp = p; /* at ']' or end */
    return neg ? !match : match;
}

/* Redis's matcher shape, with its fix for CVE-2022-36021: once the rest of
 * a pattern after a '*' has failed at every position of the remaining
 * string, no longer match of an outer '*' can succeed either, so
 * *skip_longer stops the search.  That keeps "*a*a*a*...b" polynomial. */
static int glob_impl(const char *p, size_t plen, const char *s, size_t slen, int nocase,
                     int *skip_longer, int depth)
{
    if (depth > 1000) /* thousands of nested stars: refuse rather than recurse on */
        return 0;
    while (plen && slen) {
        switch (*p) {
        case '*':
            while (plen > 1 && p[1] == '*') {
                p++;
                plen--;
            }
            if (plen == 1)
                return 1;
            while (slen) {
                if (glob_impl(p + 1, plen - 1, s, slen, nocase, skip_longer, depth + 1))
                    return 1;
                if (*skip_longer)
                    return 0;
                s++;
                slen--;
            }
            *skip_longer = 1;
            return 0;
        case '?':
            s++;
            slen--;
            break;
        case '[': {
            const char *q = p + 1;
            int ok = match_class(&q, p + plen, *s, nocase);
            plen -= (size_t)(q - p);
            p = q;
            if (plen == 0) { /* unterminated class: it consumed the pattern */
                p--;
                plen++;
            }
            if (!ok)
                return 0;
            s++;
            slen--;
            break;
        }
        case '\\':
            if (plen >= 2) {
                p++;
                plen--;
            }
            /* fall through */
        default:
            if (!chr_eq(*p, *s, nocase))
                return 0;
            s++;
            slen--;
            break;
        }
        p++;
        plen--;
        if (slen == 0) {
            while (plen && *p == '*') {
                p++;
                plen--;
            }
            break;
        }
    }
    return plen == 0 && slen == 0;
}

int util_glob(const char *pat, size_t plen, const char *s, size_t slen, int nocase)
{
    int skip_longer = 0;
    return glob_impl(pat, plen, s, slen, nocase, &skip_longer, 0);
}

int util_mem_parse(const char *s, long long *out)
{
    const char *u = s;
    while (*u && (isdigit((unsigned char)*u) || (u == s && *u == '-')))
        u++;
    long long mul = 1;
    if (!*u)
        mul = 1;
    else if (!strcasecmp(u, "b"))
        mul = 1;
    else if (!strcasecmp(u, "k"))
        mul = 1000;
    else if (!strcasecmp(u, "kb"))
        mul = 1024;
    else if (!strcasecmp(u, "m"))
        mul = 1000LL * 1000;
    else if (!strcasecmp(u, "mb"))
        mul = 1024LL * 1024;
    else if (!strcasecmp(u, "g"))
        mul = 1000LL * 1000 * 1000;
    else if (!strcasecmp(u, "gb"))
        mul = 1024LL * 1024 * 1024;
    else
        return 0;
    long long v;
    if (!util_str2ll(s, (size_t)(u - s), &v))
        return 0;
    if (v != 0 && (v > LLONG_MAX / mul || v < LLONG_MIN / mul))
        return 0;
    *out = v * mul;
    return 1;
}

void util_bytes_human(char *buf, size_t cap, unsigned long long n)
{
    double d = (double)n;
    if (n < 1024)
        snprintf(buf, cap, "%lluB", n);
    else if (n < 1024ULL * 1024)
        snprintf(buf, cap, "%.2fK", d / 1024);
    else if (n < 1024ULL * 1024 * 1024)
        snprintf(buf, cap, "%.2fM", d / (1024.0 * 1024));
    else if (n < 1024ULL * 1024 * 1024 * 1024)
        snprintf(buf, cap, "%.2fG", d / (1024.0 * 1024 * 1024));
    else
        snprintf(buf, cap, "%.2fT", d / (1024.0 * 1024 * 1024 * 1024));
}

void util_random_hex(char *buf, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[64];
    size_t want = (n + 1) / 2 > sizeof(raw) ? sizeof(raw) : (n + 1) / 2;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, raw, want) : -1;
    if (fd >= 0)
        close(fd);
    for (size_t i = 0; i < want; i++)
        if (got < (ssize_t)want)
            raw[i] = (unsigned char)rand();
    for (size_t i = 0; i < n; i++)
        buf[i] = hex[(raw[(i / 2) % sizeof(raw)] >> ((i & 1) * 4)) & 15];
    buf[n] = '\0';
}

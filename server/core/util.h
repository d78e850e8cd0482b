/* util.h - pure helpers: Redis-exact number parsing/formatting, glob
 * matching, memory units.  No server state. */
#ifndef CACHET_UTIL_H
#define CACHET_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Redis's string2ll: no spaces, no '+', no leading zeros, fits in long long. */
int util_str2ll(const char *s, size_t len, long long *out);
/* Redis's string2ld: strtold over the whole string, no leading space, not NaN. */
int util_str2ld(const char *s, size_t len, long double *out);
/* Redis's string2d-ish for float arguments (strtod, no NaN, no spaces). */
int util_str2d(const char *s, size_t len, double *out);
/* Human long double format used by INCRBYFLOAT (%.17Lf, trailing zeros cut). */
int util_ld2str(char *buf, size_t cap, long double v);
/* Glob match with Redis's rules: * ? [a-z] [^x] and \ escapes. */
int util_glob(const char *pat, size_t plen, const char *s, size_t slen, int nocase);
/* "100", "1k", "1kb", "5mb", "2gb" -> bytes (k = 1000, kb = 1024). */
int util_mem_parse(const char *s, long long *out);
/* 1.23M style (INFO *_human fields). */
void util_bytes_human(char *buf, size_t cap, unsigned long long n);
/* 40 random hex chars (run_id). */
void util_random_hex(char *buf, size_t n);

#endif

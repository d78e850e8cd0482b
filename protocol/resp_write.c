/* resp_write.c - RESP2/RESP3 encoders.  See resp_write.h. */
#include "protocol/resp_write.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void obuf_init(struct obuf *b)
{
    memset(b, 0, sizeof(*b));
}

void obuf_deinit(struct obuf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

static void obuf_reserve(struct obuf *b, size_t extra)
{
    if (b->len + extra <= b->cap)
        return;
    size_t ncap = b->cap ? b->cap : 512;
    while (ncap < b->len + extra)
        ncap *= 2;
    char *n = realloc(b->data, ncap);
    if (!n)
        abort(); /* out of memory with nothing sane left to do */
    b->data = n;
    b->cap = ncap;
}

void obuf_append(struct obuf *b, const void *p, size_t n)
{
    if (n == 0) /* data may still be NULL: memcpy(NULL, p, 0) is undefined */
        return;
    obuf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void obuf_compact(struct obuf *b)
{
    if (b->sent == b->len) {
        b->sent = b->len = 0;
        if (b->cap > 64 * 1024) { /* return a burst's memory once drained */
            free(b->data);
            b->data = NULL;
            b->cap = 0;
        }
        return;
    }
    if (b->sent > 0 && b->sent >= b->len / 2) {
        memmove(b->data, b->data + b->sent, b->len - b->sent);
        b->len -= b->sent;
        b->sent = 0;
    }
}

int ll_to_str(char *buf, long long v)
{
    char tmp[24];
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    int n = 0;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    int o = 0;
    if (v < 0)
        buf[o++] = '-';
    while (n)
        buf[o++] = tmp[--n];
    buf[o] = '\0';
    return o;
}

static void prefix_len(struct resp_writer *w, char type, long long n)
{
    char hdr[32];
    hdr[0] = type;
    int l = 1 + ll_to_str(hdr + 1, n);
    hdr[l++] = '\r';
    hdr[l++] = '\n';
    obuf_append(w->out, hdr, (size_t)l);
}

void resp_simple_len(struct resp_writer *w, const char *s, size_t n)
{
    obuf_reserve(w->out, n + 3);
    char *d = w->out->data + w->out->len;
    d[0] = '+';
    memcpy(d + 1, s, n);
    d[n + 1] = '\r';
    d[n + 2] = '\n';
    w->out->len += n + 3;
}

void resp_simple(struct resp_writer *w, const char *s)
{
    resp_simple_len(w, s, strlen(s));
}

void resp_error(struct resp_writer *w, const char *s)
{
    size_t n = strlen(s);
    obuf_reserve(w->out, n + 3);
    char *d = w->out->data + w->out->len;
    d[0] = '-';
    for (size_t i = 0; i < n; i++) /* an error is one line, whatever it quotes */
        d[i + 1] = (s[i] == '\r' || s[i] == '\n') ? ' ' : s[i];
    d[n + 1] = '\r';
    d[n + 2] = '\n';
    w->out->len += n + 3;
}

void resp_int(struct resp_writer *w, long long v)
{
    prefix_len(w, ':', v);
}

void resp_bulk(struct resp_writer *w, const void *p, size_t n)
{
    obuf_reserve(w->out, n + 32);
    char *d = w->out->data + w->out->len;
    d[0] = '$';
    int l = 1 + ll_to_str(d + 1, (long long)n);
    d[l++] = '\r';
    d[l++] = '\n';
    memcpy(d + l, p, n);
    d[l + n] = '\r';
    d[l + n + 1] = '\n';
    w->out->len += (size_t)l + n + 2;
}

void resp_bulk_cstr(struct resp_writer *w, const char *s)
{
    resp_bulk(w, s, strlen(s));
}

void resp_bulk_ll(struct resp_writer *w, long long v)
{
    char b[24];
    int n = ll_to_str(b, v);
    resp_bulk(w, b, (size_t)n);
}

void resp_null(struct resp_writer *w)
{
    if (w->proto >= 3)
        obuf_append(w->out, "_\r\n", 3);
    else
        obuf_append(w->out, "$-1\r\n", 5);
}

void resp_null_array(struct resp_writer *w)
{
    if (w->proto >= 3)
        obuf_append(w->out, "_\r\n", 3);
    else
        obuf_append(w->out, "*-1\r\n", 5);
}

void resp_array(struct resp_writer *w, long long n)
{
    prefix_len(w, '*', n);
}

void resp_map(struct resp_writer *w, long long n)
{
    if (w->proto >= 3)
        prefix_len(w, '%', n);
    else
        prefix_len(w, '*', n * 2);
}

void resp_set(struct resp_writer *w, long long n)
{
    prefix_len(w, w->proto >= 3 ? '~' : '*', n);
}

/* Redis prints doubles with %.17g, and inf/-inf/nan by name. */
static int format_double(char *buf, size_t cap, double d)
{
    if (isinf(d))
        return snprintf(buf, cap, "%s", d > 0 ? "inf" : "-inf");
    if (isnan(d))
        return snprintf(buf, cap, "nan");
    return snprintf(buf, cap, "%.17g", d);
}

void resp_double(struct resp_writer *w, double d)
{
    char b[64];
    int n = format_double(b, sizeof(b), d);
    if (w->proto >= 3) {
        obuf_append(w->out, ",", 1);
        obuf_append(w->out, b, (size_t)n);
        obuf_append(w->out, "\r\n", 2);
    } else {
        resp_bulk(w, b, (size_t)n);
    }
}

void resp_bool(struct resp_writer *w, int b)
{
    if (w->proto >= 3)
        obuf_append(w->out, b ? "#t\r\n" : "#f\r\n", 4);
    else
        obuf_append(w->out, b ? ":1\r\n" : ":0\r\n", 4);
}

void resp_verbatim(struct resp_writer *w, const char *p, size_t n)
{
    if (w->proto < 3) {
        resp_bulk(w, p, n);
        return;
    }
    prefix_len(w, '=', (long long)n + 4);
    obuf_append(w->out, "txt:", 4);
    obuf_append(w->out, p, n);
    obuf_append(w->out, "\r\n", 2);
}

size_t resp_defer(struct resp_writer *w)
{
    return w->out->len;
}

static void defer_fill(struct resp_writer *w, size_t mark, char type, long long n)
{
    char hdr[32];
    hdr[0] = type;
    int l = 1 + ll_to_str(hdr + 1, n);
    hdr[l++] = '\r';
    hdr[l++] = '\n';
    obuf_reserve(w->out, (size_t)l);
    char *at = w->out->data + mark;
    memmove(at + l, at, w->out->len - mark);
    memcpy(at, hdr, (size_t)l);
    w->out->len += (size_t)l;
}

void resp_defer_array(struct resp_writer *w, size_t mark, long long n)
{
    defer_fill(w, mark, '*', n);
}

void resp_defer_map(struct resp_writer *w, size_t mark, long long n)
{
    if (w->proto >= 3)
        defer_fill(w, mark, '%', n);
    else
        defer_fill(w, mark, '*', n * 2);
}

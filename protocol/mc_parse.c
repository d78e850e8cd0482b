/* mc_parse.c - memcached text and meta protocol request parser.
 *
 * Mirrors memcached 1.6.18's try_read_command_ascii / process_command_ascii
 * and the process_*_command functions, including their order of checks,
 * their error texts and their leniencies (see mc_parse.h).  The parser is
 * resumable: a command line is searched for its '\n' only once overall, a
 * data block is only length-checked until it is complete, and a refused
 * data block is discarded as it arrives, so a 1 MB value arriving in 1 KB
 * reads stays linear and a 2 MB refused value is never buffered.
 */
#include "protocol/mc_parse.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum { ST_LINE = 0, ST_DATA, ST_SWALLOW, ST_CLOSED };

/* parse_line's extra outcome: the line is good, a data block follows */
#define MC_WANT_DATA ((enum mc_status)100)

#define E_ERROR "ERROR"
#define E_FORMAT "CLIENT_ERROR bad command line format"
#define E_DELETE "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]"
#define E_EXPTIME "CLIENT_ERROR invalid exptime argument"
#define E_DELTA "CLIENT_ERROR invalid numeric delta argument"
#define E_TOO_LARGE "SERVER_ERROR object too large for cache"
#define E_CHUNK "CLIENT_ERROR bad data chunk"
#define E_OOM_GET "SERVER_ERROR out of memory writing get response"
#define E_DUP_FLAG "CLIENT_ERROR duplicate flag"
#define E_INVALID_FLAG "CLIENT_ERROR invalid flag"
#define E_BAD_TOKEN "CLIENT_ERROR bad token in command line format"
#define E_DECODE_KEY "CLIENT_ERROR error decoding key"
#define E_M_LENGTH "CLIENT_ERROR incorrect length for M token"
#define E_INITIAL "CLIENT_ERROR invalid numeric initial value"
#define E_DELTA_VALUE "CLIENT_ERROR invalid numeric delta value"
#define E_INV_OR_DUP "CLIENT_ERROR invalid or duplicate flag"
#define E_OPAQUE "CLIENT_ERROR opaque token too long"
#define E_MG_TOO_MANY "CLIENT_ERROR options flags are too long"
#define E_TOO_MANY "CLIENT_ERROR options flags too long"
#define E_MS_MODE "CLIENT_ERROR invalid mode for ms M token"
#define E_MA_MODE "CLIENT_ERROR invalid mode for ma M token"

/* memcached's ntokens limit for meta commands (MFLAG_MAX_OPT_LENGTH) */
#define META_MAX_NTOKENS 20

void mc_parser_init(struct mc_parser *p)
{
    memset(p, 0, sizeof(*p));
}

void mc_parser_deinit(struct mc_parser *p)
{
    free(p->keys);
    memset(p, 0, sizeof(*p));
}

void mc_parser_reset(struct mc_parser *p)
{
    p->state = ST_LINE;
    p->scan = 0;
    p->data_off = 0;
    p->swallow = 0;
    p->need = 0;
}

/* ---- numbers ----------------------------------------------------------- */

/* isspace() in the C locale */
static int c_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* What strtoull/strtoll see in s[0..len): whitespace, a sign, base-10
 * digits.  Returns 0 when there are no digits (endptr == str) or the
 * magnitude overflows 64 bits (ERANGE for every caller here), or when the
 * digits are followed by something other than whitespace or the end (the
 * safe_strto* end check).  Sets the sign and the magnitude. */
static int scan_number(const char *s, size_t len, int *neg, uint64_t *mag)
{
    size_t i = 0;
    while (i < len && c_space(s[i]))
        i++;
    *neg = 0;
    if (i < len && (s[i] == '+' || s[i] == '-')) {
        *neg = s[i] == '-';
        i++;
    }
    size_t first = i;
    uint64_t v = 0;
    int over = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            over = 1;
        else
            v = v * 10 + d;
    }
    if (i == first || over)
        return 0;
    if (i < len && !c_space(s[i]))
        return 0;
    *mag = v;
    return 1;
}

/* safe_strtoull: strtoull, then refuse a result that is negative as a
 * signed number if the token holds a '-' anywhere. */
int mc_strtoull(const char *s, size_t len, uint64_t *out)
{
    int neg;
    uint64_t mag;
    *out = 0;
    if (!scan_number(s, len, &neg, &mag))
        return 0;
    uint64_t v = neg ? 0 - mag : mag;
    if ((int64_t)v < 0 && memchr(s, '-', len))
        return 0;
    *out = v;
    return 1;
}

/* safe_strtoul: the same with a 64-bit unsigned long, stored in 32 bits. */
int mc_strtoul32(const char *s, size_t len, uint32_t *out)
{
    uint64_t v;
    *out = 0;
    if (!mc_strtoull(s, len, &v))
        return 0;
    *out = (uint32_t)v;
    return 1;
}

/* safe_strtol: strtol with a 64-bit long (ERANGE outside it), stored in
 * an int32_t (the low 32 bits, as gcc converts). */
int mc_strtol32(const char *s, size_t len, int32_t *out)
{
    int neg;
    uint64_t mag;
    *out = 0;
    if (!scan_number(s, len, &neg, &mag))
        return 0;
    if (neg ? mag > (uint64_t)INT64_MAX + 1 : mag > (uint64_t)INT64_MAX)
        return 0;
    uint64_t v = neg ? 0 - mag : mag;
    *out = (int32_t)(uint32_t)v;
    return 1;
}

/* ---- base64 (memcached's decoder semantics) ----------------------------- */

static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    if (c == '=')
        return 0;
    return -1;
}

size_t mc_base64_decode(const char *src, size_t len, unsigned char *out, size_t outcap)
{
    size_t count = 0;
    for (size_t i = 0; i < len; i++)
        if (b64_val((unsigned char)src[i]) >= 0)
            count++;
    if (count == 0 || count % 4)
        return 0;
    if (count / 4 * 3 > outcap)
        return 0;
    unsigned char block[4];
    size_t o = 0, n = 0;
    int pad = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_val((unsigned char)src[i]);
        if (v < 0)
            continue;
        if (src[i] == '=')
            pad++;
        block[n++] = (unsigned char)v;
        if (n < 4)
            continue;
        out[o++] = (unsigned char)((block[0] << 2) | (block[1] >> 4));
        out[o++] = (unsigned char)((block[1] << 4) | (block[2] >> 2));
        out[o++] = (unsigned char)((block[2] << 6) | block[3]);
        n = 0;
        if (pad) {
            if (pad > 2)
                return 0; /* invalid padding */
            o -= (size_t)pad;
            break;
        }
    }
    return o;
}

/* ---- helpers ------------------------------------------------------------- */

static enum mc_status fail(struct mc_request *r, const char *msg)
{
    r->err = msg;
    return MC_ERROR;
}

static int tok_is(const char *buf, struct mc_span t, const char *s)
{
    size_t n = strlen(s);
    return t.len == n && memcmp(buf + t.off, s, n) == 0;
}

static int bad_key(const char *buf, struct mc_span k, const struct mc_limits *lim)
{
    if (k.len > MC_KEY_MAX)
        return 1;
    if (lim->reject_ctrl_keys) {
        for (size_t i = 0; i < k.len; i++) {
            unsigned char c = (unsigned char)buf[k.off + i];
            if (c < 0x20 || c == 0x7f)
                return 1;
        }
    }
    return 0;
}

/* The next ' '-separated token of buf[*pos..end), or 0 at the end. */
static int next_token(const char *buf, size_t *pos, size_t end, struct mc_span *t)
{
    size_t i = *pos;
    while (i < end && buf[i] == ' ')
        i++;
    if (i >= end) {
        *pos = i;
        return 0;
    }
    t->off = i;
    while (i < end && buf[i] != ' ')
        i++;
    t->len = i - t->off;
    *pos = i;
    return 1;
}

static int too_large(const struct mc_limits *lim, size_t nkey, uint32_t flags, uint32_t bytes)
{
    if (!lim->item_overhead)
        return bytes > lim->max_item_size;
    uint64_t total = lim->item_overhead + nkey + 1 + (flags ? 4 : 0) + (uint64_t)bytes + 2;
    return total > lim->max_item_size;
}

static void set_seen(struct mc_meta *m, unsigned char c)
{
    m->seen[c >> 6] |= (uint64_t)1 << (c & 63);
}

/* ---- text commands ------------------------------------------------------- */

/* get gets gat gats bget: n tokens were split into p->tok, *pos is where
 * the rest of the line (more keys) starts. */
static enum mc_status do_get(struct mc_parser *p, const char *buf, size_t n, size_t pos,
                             size_t end, const struct mc_limits *lim, enum mc_cmd cmd)
{
    struct mc_request *r = &p->cur;
    r->cmd = cmd;
    size_t first = 1;
    if (cmd == MC_CMD_GAT || cmd == MC_CMD_GATS) {
        if (!mc_strtol32(buf + p->tok[1].off, p->tok[1].len, &r->exptime))
            return fail(r, E_EXPTIME);
        first = 2;
    }
    for (size_t i = first; i < n; i++)
        if (bad_key(buf, p->tok[i], lim))
            return fail(r, E_FORMAT);
    struct mc_span t;
    size_t more = pos;
    if (!next_token(buf, &more, end, &t)) { /* all keys fit in tok */
        r->keys = p->tok + first;
        r->nkeys = n - first;
    } else {
        size_t k = n - first;
        if (k > lim->max_keys)
            return fail(r, E_FORMAT);
        if (p->kcap < 64) {
            struct mc_span *nk = realloc(p->keys, 64 * sizeof(*nk));
            if (!nk)
                return fail(r, E_OOM_GET);
            p->keys = nk;
            p->kcap = 64;
        }
        memcpy(p->keys, p->tok + first, k * sizeof(*p->keys));
        do {
            if (k >= lim->max_keys)
                return fail(r, E_FORMAT);
            if (bad_key(buf, t, lim))
                return fail(r, E_FORMAT);
            if (k == p->kcap) {
                size_t ncap = p->kcap * 2;
                struct mc_span *nk = realloc(p->keys, ncap * sizeof(*nk));
                if (!nk)
                    return fail(r, E_OOM_GET);
                p->keys = nk;
                p->kcap = ncap;
            }
            p->keys[k++] = t;
        } while (next_token(buf, &more, end, &t));
        r->keys = p->keys;
        r->nkeys = k;
    }
    if (r->nkeys > lim->max_keys)
        return fail(r, E_FORMAT);
    if (r->nkeys)
        r->key = r->keys[0];
    return MC_OK;
}

/* set add replace append prepend cas */
static enum mc_status do_store(struct mc_parser *p, const char *buf, size_t n, size_t nl,
                               const struct mc_limits *lim, enum mc_cmd cmd)
{
    struct mc_request *r = &p->cur;
    const struct mc_span *t = p->tok;
    r->cmd = cmd;
    r->noreply = tok_is(buf, t[n - 1], "noreply");
    r->key = t[1];
    if (bad_key(buf, r->key, lim))
        return fail(r, E_FORMAT);
    int32_t vlen;
    if (!(mc_strtoul32(buf + t[2].off, t[2].len, &r->flags) &&
          mc_strtol32(buf + t[3].off, t[3].len, &r->exptime) &&
          mc_strtol32(buf + t[4].off, t[4].len, &vlen)))
        return fail(r, E_FORMAT);
    if (cmd == MC_CMD_CAS && !mc_strtoull(buf + t[5].off, t[5].len, &r->cas))
        return fail(r, E_FORMAT);
    if (vlen < 0 || vlen > INT_MAX - 2)
        return fail(r, E_FORMAT);
    r->bytes = (uint32_t)vlen;
    if (too_large(lim, r->key.len, r->flags, r->bytes)) {
        r->swallow = (uint64_t)r->bytes + 2;
        r->drop_key = cmd == MC_CMD_SET;
        return fail(r, E_TOO_LARGE);
    }
    p->data_off = nl + 1;
    return MC_WANT_DATA;
}

static enum mc_status do_delete(struct mc_parser *p, const char *buf, size_t n,
                                const struct mc_limits *lim)
{
    struct mc_request *r = &p->cur;
    r->cmd = MC_CMD_DELETE;
    if (n > 2) {
        int zero = tok_is(buf, p->tok[2], "0");
        r->noreply = tok_is(buf, p->tok[n - 1], "noreply");
        int valid = (n == 3 && (zero || r->noreply)) || (n == 4 && zero && r->noreply);
        if (!valid)
            return fail(r, E_DELETE);
    }
    r->key = p->tok[1];
    if (bad_key(buf, r->key, lim))
        return fail(r, E_FORMAT);
    return MC_OK;
}

/* incr decr touch: <key> <number> [noreply] */
static enum mc_status do_key_num(struct mc_parser *p, const char *buf, size_t n,
                                 const struct mc_limits *lim, enum mc_cmd cmd)
{
    struct mc_request *r = &p->cur;
    const struct mc_span *t = p->tok;
    r->cmd = cmd;
    r->noreply = tok_is(buf, t[n - 1], "noreply");
    r->key = t[1];
    if (bad_key(buf, r->key, lim))
        return fail(r, E_FORMAT);
    if (cmd == MC_CMD_TOUCH) {
        if (!mc_strtol32(buf + t[2].off, t[2].len, &r->exptime))
            return fail(r, E_EXPTIME);
    } else if (!mc_strtoull(buf + t[2].off, t[2].len, &r->delta)) {
        return fail(r, E_DELTA);
    }
    return MC_OK;
}

static enum mc_status do_flush_all(struct mc_parser *p, const char *buf, size_t n)
{
    struct mc_request *r = &p->cur;
    r->cmd = MC_CMD_FLUSH_ALL;
    r->noreply = tok_is(buf, p->tok[n - 1], "noreply");
    if (n != (size_t)(r->noreply ? 2 : 1)) {
        if (!mc_strtol32(buf + p->tok[1].off, p->tok[1].len, &r->exptime))
            return fail(r, E_EXPTIME);
        r->has_exptime = 1;
    }
    return MC_OK;
}

static enum mc_status do_verbosity(struct mc_parser *p, const char *buf, size_t n)
{
    struct mc_request *r = &p->cur;
    r->cmd = MC_CMD_VERBOSITY;
    r->noreply = tok_is(buf, p->tok[n - 1], "noreply");
    if (!mc_strtoul32(buf + p->tok[1].off, p->tok[1].len, &r->level))
        return fail(r, E_FORMAT);
    return MC_OK;
}

/* ---- meta commands ------------------------------------------------------- */

/* memcached's _meta_flag_preparse over tokens [first, n).  Returns 0 or -1
 * with *err set; records every flag in p->mflags. */
static int meta_preparse(struct mc_parser *p, const char *buf, size_t first, size_t n,
                         const char **err)
{
    struct mc_request *r = &p->cur;
    struct mc_meta *m = &r->meta;
    int has_error = 0;
    r->mflags = p->mflags;
    r->nmflags = 0;
    for (size_t i = first; i < n; i++) {
        const char *s = buf + p->tok[i].off;
        size_t len = p->tok[i].len;
        unsigned char o = (unsigned char)s[0];
        if (o >= 127 || mc_meta_has(r, (char)o)) {
            *err = E_DUP_FLAG;
            return -1;
        }
        set_seen(m, o);
        struct mc_mflag *f = &p->mflags[r->nmflags++];
        f->flag = (char)o;
        f->tok.off = p->tok[i].off + 1;
        f->tok.len = len - 1;
        switch (o) {
        case 'b': {
            size_t klen = r->key.len < MC_KEY_MAX ? r->key.len : MC_KEY_MAX;
            size_t dl = mc_base64_decode(buf + r->key.off, r->key.len, p->bkey, klen);
            if (dl == 0) {
                *err = E_DECODE_KEY;
                has_error = 1;
            }
            r->key_binary = 1;
            r->bkey = p->bkey;
            r->bkey_len = dl;
            break;
        }
        case 'N':
        case 'T':
        case 'R': {
            int32_t v;
            if (!mc_strtol32(s + 1, len - 1, &v)) {
                *err = E_BAD_TOKEN;
                has_error = 1;
            } else if (o == 'N') {
                m->vivify_ttl = v;
            } else if (o == 'T') {
                m->ttl = v;
            } else {
                m->recache_ttl = v;
            }
            break;
        }
        case 'l': case 'O': case 'P': case 'L': case 'k': case 's': case 't':
        case 'c': case 'f': case 'v': case 'h': case 'u': case 'q': case 'I':
            break;
        case 'F': /* memcached leaves the error text alone here */
            if (!mc_strtoul32(s + 1, len - 1, &m->client_flags))
                has_error = 1;
            break;
        case 'C':
            if (!mc_strtoull(s + 1, len - 1, &m->cas)) {
                *err = E_BAD_TOKEN;
                has_error = 1;
            }
            break;
        case 'M':
            if (len != 2) {
                *err = E_M_LENGTH;
                has_error = 1;
            } else {
                m->mode = s[1];
            }
            break;
        case 'J':
            if (!mc_strtoull(s + 1, len - 1, &m->initial)) {
                *err = E_INITIAL;
                has_error = 1;
            }
            break;
        case 'D':
            if (!mc_strtoull(s + 1, len - 1, &m->delta)) {
                *err = E_DELTA_VALUE;
                has_error = 1;
            }
            break;
        default:
            *err = E_INVALID_FLAG;
            return -1;
        }
    }
    return has_error ? -1 : 0;
}

static int opaque_too_long(const struct mc_request *r)
{
    for (size_t i = 0; i < r->nmflags; i++)
        if (r->mflags[i].flag == 'O' && r->mflags[i].tok.len + 1 > MC_OPAQUE_MAX)
            return 1;
    return 0;
}

static enum mc_status do_me(struct mc_parser *p, const char *buf, size_t n,
                            const struct mc_limits *lim)
{
    struct mc_request *r = &p->cur;
    r->cmd = MC_CMD_ME;
    if (n < 2)
        return fail(r, E_FORMAT);
    r->key = p->tok[1];
    if (bad_key(buf, r->key, lim))
        return fail(r, E_FORMAT);
    if (n >= 3 && tok_is(buf, p->tok[2], "b")) {
        size_t dl = mc_base64_decode(buf + r->key.off, r->key.len, p->bkey, r->key.len);
        if (dl == 0)
            return fail(r, E_FORMAT);
        r->key_binary = 1;
        r->bkey = p->bkey;
        r->bkey_len = dl;
    }
    return MC_OK;
}

/* mg ms md ma */
static enum mc_status do_meta(struct mc_parser *p, const char *buf, size_t n, size_t nl,
                              const struct mc_limits *lim, enum mc_cmd cmd)
{
    struct mc_request *r = &p->cur;
    size_t ntokens = n + 1; /* memcached counts its terminal token */
    r->cmd = cmd;
    r->meta.delta = 1;
    if (ntokens < 3)
        return fail(r, E_ERROR);
    r->key = p->tok[1];
    if (bad_key(buf, r->key, lim))
        return fail(r, E_FORMAT);
    if (cmd == MC_CMD_MS && ntokens == 3)
        return fail(r, E_FORMAT);
    if (ntokens > META_MAX_NTOKENS)
        return fail(r, cmd == MC_CMD_MG ? E_MG_TOO_MANY : E_TOO_MANY);

    size_t first = 2;
    if (cmd == MC_CMD_MS) {
        int32_t vlen;
        if (!mc_strtol32(buf + p->tok[2].off, p->tok[2].len, &vlen) || vlen < 0 ||
            vlen > INT_MAX - 2)
            return fail(r, E_FORMAT);
        r->bytes = (uint32_t)vlen;
        first = 3;
    }
    const char *err = E_FORMAT;
    int rc = meta_preparse(p, buf, first, n, &err);

    switch (cmd) {
    case MC_CMD_MG:
        if (rc)
            return fail(r, err);
        if (opaque_too_long(r))
            return fail(r, E_OPAQUE);
        return MC_OK;
    case MC_CMD_MS: {
        /* from here on memcached swallows the data block on any error */
        uint64_t swallow = (uint64_t)r->bytes + 2;
        if (rc == 0) {
            int bad_opaque = opaque_too_long(r);
            switch (r->meta.mode) {
            case 0: case 'E': case 'A': case 'P': case 'R': case 'S':
                err = bad_opaque ? E_OPAQUE : NULL;
                break;
            default:
                err = E_MS_MODE;
                break;
            }
            if (!err) {
                size_t nkey = r->key_binary ? r->bkey_len : r->key.len;
                if (!too_large(lim, nkey, r->meta.client_flags, r->bytes)) {
                    p->data_off = nl + 1;
                    return MC_WANT_DATA;
                }
                err = E_TOO_LARGE;
                r->drop_key = 1;
            }
        }
        r->swallow = swallow;
        return fail(r, err);
    }
    case MC_CMD_MD:
        if (rc)
            return fail(r, E_INV_OR_DUP);
        if (opaque_too_long(r))
            return fail(r, E_OPAQUE);
        return MC_OK;
    default: /* MC_CMD_MA */
        if (rc)
            return fail(r, E_INV_OR_DUP);
        switch (r->meta.mode) {
        case 0: case 'I': case '+': case 'D': case '-':
            break;
        default:
            return fail(r, E_MA_MODE);
        }
        if (opaque_too_long(r))
            return fail(r, E_OPAQUE);
        return MC_OK;
    }
}

/* ---- one command line ---------------------------------------------------- */

/* Parse the line buf[0..nl) (nl is the index of its '\n') into p->cur. */
static enum mc_status parse_line(struct mc_parser *p, const char *buf, size_t nl,
                                 const struct mc_limits *lim)
{
    struct mc_request *r = &p->cur;
    memset(r, 0, sizeof(*r));
    r->frame_len = nl + 1;

    size_t end = nl;
    if (end > 1 && buf[end - 1] == '\r')
        end--;
    const char *nul = memchr(buf, '\0', end);
    if (nul)
        end = (size_t)(nul - buf);

    /* up to 23 tokens, as memcached's tokenizer splits them */
    size_t n = 0, pos = 0;
    while (n < MC_MAX_TOKENS - 1 && next_token(buf, &pos, end, &p->tok[n]))
        n++;
    if (n == 0 || p->tok[0].len < 2)
        return fail(r, E_ERROR);

    /* memcached's argument-count checks, in its ntokens (n + 1) terms */
#define WANT(lo, hi) ((n + 1) >= (lo) && (n + 1) <= (hi))
    const struct mc_span c = p->tok[0];
    const char *name = buf + c.off;
    if (name[0] == 'm' && c.len == 2) {
        switch (name[1]) {
        case 'g': return do_meta(p, buf, n, nl, lim, MC_CMD_MG);
        case 's': return do_meta(p, buf, n, nl, lim, MC_CMD_MS);
        case 'd': return do_meta(p, buf, n, nl, lim, MC_CMD_MD);
        case 'a': return do_meta(p, buf, n, nl, lim, MC_CMD_MA);
        case 'n': r->cmd = MC_CMD_MN; return MC_OK;
        case 'e': return do_me(p, buf, n, lim);
        default: return fail(r, E_ERROR);
        }
    }
    if (name[0] == 'g') {
        if (n + 1 < 3)
            return fail(r, E_ERROR);
        if (tok_is(buf, c, "get"))
            return do_get(p, buf, n, pos, end, lim, MC_CMD_GET);
        if (tok_is(buf, c, "gets"))
            return do_get(p, buf, n, pos, end, lim, MC_CMD_GETS);
        if (tok_is(buf, c, "gat"))
            return do_get(p, buf, n, pos, end, lim, MC_CMD_GAT);
        if (tok_is(buf, c, "gats"))
            return do_get(p, buf, n, pos, end, lim, MC_CMD_GATS);
        return fail(r, E_ERROR);
    }

    static const struct {
        const char *name;
        enum mc_cmd cmd;
    } stores[] = {
        { "set", MC_CMD_SET },         { "add", MC_CMD_ADD },
        { "replace", MC_CMD_REPLACE }, { "append", MC_CMD_APPEND },
        { "prepend", MC_CMD_PREPEND },
    };
    for (size_t i = 0; i < sizeof(stores) / sizeof(stores[0]); i++) {
        if (tok_is(buf, c, stores[i].name)) {
            if (!WANT(6, 7))
                return fail(r, E_ERROR);
            return do_store(p, buf, n, nl, lim, stores[i].cmd);
        }
    }
    if (tok_is(buf, c, "cas")) {
        if (!WANT(7, 8))
            return fail(r, E_ERROR);
        return do_store(p, buf, n, nl, lim, MC_CMD_CAS);
    }
    if (tok_is(buf, c, "incr") || tok_is(buf, c, "decr") || tok_is(buf, c, "touch")) {
        if (!WANT(4, 5))
            return fail(r, E_ERROR);
        enum mc_cmd cmd = name[0] == 'i' ? MC_CMD_INCR : name[0] == 'd' ? MC_CMD_DECR : MC_CMD_TOUCH;
        return do_key_num(p, buf, n, lim, cmd);
    }
    if (tok_is(buf, c, "delete")) {
        if (!WANT(3, 5))
            return fail(r, E_ERROR);
        return do_delete(p, buf, n, lim);
    }
    if (tok_is(buf, c, "bget")) { /* WANT_TOKENS_MIN(3) */
        if (n + 1 < 3)
            return fail(r, E_ERROR);
        return do_get(p, buf, n, pos, end, lim, MC_CMD_GET);
    }
    if (tok_is(buf, c, "flush_all")) {
        if (!WANT(2, 4))
            return fail(r, E_ERROR);
        return do_flush_all(p, buf, n);
    }
    if (tok_is(buf, c, "version")) {
        r->cmd = MC_CMD_VERSION;
        return MC_OK;
    }
    if (tok_is(buf, c, "quit")) {
        r->cmd = MC_CMD_QUIT;
        return MC_OK;
    }
    if (tok_is(buf, c, "verbosity")) {
        if (!WANT(3, 4))
            return fail(r, E_ERROR);
        return do_verbosity(p, buf, n);
    }
    if (tok_is(buf, c, "stats")) {
        r->cmd = MC_CMD_STATS;
        r->args = p->tok + 1;
        r->nargs = n - 1;
        return MC_OK;
    }
    if (tok_is(buf, c, "shutdown") || tok_is(buf, c, "slabs") || tok_is(buf, c, "lru_crawler") ||
        tok_is(buf, c, "watch") || (tok_is(buf, c, "cache_memlimit") && WANT(3, 4)) ||
        (tok_is(buf, c, "lru") && n + 1 >= 3)) {
        r->cmd = MC_CMD_OTHER;
        r->args = p->tok;
        r->nargs = n;
        return MC_OK;
    }
#undef WANT
    return fail(r, E_ERROR);
}

/* memcached lets a "get " / "gets " line (after at most 100 spaces) grow
 * past the line limit. */
static int get_line_exempt(const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len && buf[i] == ' ')
        i++;
    if (i > 100)
        return 0;
    if (len - i >= 4 && memcmp(buf + i, "get ", 4) == 0)
        return 1;
    return len - i >= 5 && memcmp(buf + i, "gets ", 5) == 0;
}

/* ---- the entry point ----------------------------------------------------- */

static enum mc_status finish(struct mc_parser *p, struct mc_request *req, enum mc_status st)
{
    *req = p->cur;
    p->scan = 0;
    p->data_off = 0;
    if (st == MC_ERROR && req->swallow) {
        p->state = ST_SWALLOW;
        p->swallow = req->swallow;
    } else {
        p->state = ST_LINE;
    }
    return st;
}

enum mc_status mc_parse(struct mc_parser *p, const char *buf, size_t len,
                        const struct mc_limits *lim, struct mc_request *req)
{
    p->need = 0;
    switch (p->state) {
    case ST_CLOSED:
        return MC_CLOSE;

    case ST_SWALLOW: {
        if (len == 0)
            return MC_NEED_MORE;
        size_t n = p->swallow < len ? (size_t)p->swallow : len;
        p->swallow -= n;
        if (p->swallow == 0)
            p->state = ST_LINE;
        memset(req, 0, sizeof(*req));
        req->frame_len = n;
        return MC_SWALLOW;
    }

    case ST_LINE: {
        if (p->scan == 0 && p->kcap > 1024) { /* a huge multiget must not pin its array */
            free(p->keys);
            p->keys = NULL;
            p->kcap = 0;
        }
        if (len == 0)
            return MC_NEED_MORE;
        if (p->scan > len) /* the caller shrank the buffer: rescan */
            p->scan = 0;
        const char *nl = memchr(buf + p->scan, '\n', len - p->scan);
        if (!nl) {
            p->scan = len;
            if (len > lim->max_line_len &&
                (!get_line_exempt(buf, len) || len > lim->max_get_line_len)) {
                p->state = ST_CLOSED;
                return MC_CLOSE;
            }
            return MC_NEED_MORE;
        }
        enum mc_status st = parse_line(p, buf, (size_t)(nl - buf), lim);
        if (st != MC_WANT_DATA)
            return finish(p, req, st);
        p->state = ST_DATA;
    }
        /* fall through */
    case ST_DATA:
    default: {
        struct mc_request *r = &p->cur;
        size_t want = p->data_off + (size_t)r->bytes + 2;
        if (len < want) {
            p->need = want;
            return MC_NEED_MORE;
        }
        r->frame_len = want;
        r->data.off = p->data_off;
        r->data.len = r->bytes;
        if (buf[want - 2] != '\r' || buf[want - 1] != '\n') {
            r->data.len = 0;
            return finish(p, req, fail(r, E_CHUNK));
        }
        return finish(p, req, MC_OK);
    }
    }
}

/* mc_ops.c - memcached item semantics; see mc_ops.h. */
#include "server/memcache/mc_ops.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "eviction/maxmemory.h"
#include "protocol/resp_write.h"
#include "server/core/config.h"
#include "server/core/mem.h"

#define THIRTY_DAYS (60 * 60 * 24 * 30)

int64_t mc_exptime_ms(long long exptime, int64_t now_ms)
{
    if (exptime == 0)
        return -1;
    if (exptime < 0)
        return 0;
    int64_t at = exptime <= THIRTY_DAYS ? now_ms + exptime * 1000 : exptime * 1000;
    return at <= now_ms ? 0 : at;
}

int mc_parse_u64(const char *s, size_t len, uint64_t *out)
{
    size_t i = 0;
    while (i < len && isspace((unsigned char)s[i]))
        i++;
    if (i < len && s[i] == '+')
        i++;
    size_t start = i;
    uint64_t v = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return 0; /* out of range */
        v = v * 10 + d;
    }
    if (i == start)
        return 0;
    if (i < len && !isspace((unsigned char)s[i]))
        return 0;
    *out = v;
    return 1;
}

static struct entry *live_string(const struct ks_env *env, const struct key *k, int flags)
{
    struct entry *e = ks_lookup(env, MC_DB, k, flags);
    return (e && entry_type(e) == T_STRING) ? e : NULL;
}

enum mc_result mc_store(const struct ks_env *env, const struct key *k, enum mc_store_mode mode,
                        int compare_cas, const char *val, size_t vlen, uint32_t flags,
                        int64_t expire_ms, uint64_t cas_in, uint64_t *cas_out)
{
    if (maxmemory_exceeded()) /* noeviction: refuse to grow */
        return MC_OOM;
    struct entry *old = ks_lookup(env, MC_DB, k, KS_NOTOUCH);
    if (compare_cas || mode == MC_MODE_CAS) {
        if (!old)
            return MC_NOT_FOUND;
        if (entry_cas(old) == 0 || entry_cas(old) != cas_in)
            return MC_EXISTS;
    }
    switch (mode) {
    case MC_MODE_ADD:
        if (old)
            return MC_NOT_STORED;
        break;
    case MC_MODE_REPLACE:
    case MC_MODE_APPEND:
    case MC_MODE_PREPEND:
        if (!old)
            return MC_NOT_STORED;
        break;
    case MC_MODE_CAS:
    case MC_MODE_SET:
        break;
    }
    struct entry_meta m = {expire_ms, flags != 0, flags, 0};
    char *joined = NULL;
    if (mode == MC_MODE_APPEND || mode == MC_MODE_PREPEND) {
        if (entry_type(old) != T_STRING)
            return MC_NOT_STORED;
        char tmp[24];
        size_t olen;
        const char *ov = entry_str(old, tmp, &olen);
        if (olen + vlen > (size_t)CFG(max_item_size))
            return MC_NOT_STORED; /* memcached: the grown item does not fit */
        joined = xmalloc(olen + vlen + 1);
        if (mode == MC_MODE_APPEND) {
            memcpy(joined, ov, olen);
            memcpy(joined + olen, val, vlen);
        } else {
            memcpy(joined, val, vlen);
            memcpy(joined + vlen, ov, olen);
        }
        val = joined;
        vlen += olen;
        entry_get_meta(old, &m); /* append keeps the item's flags and expiry */
        m.cas = 0;
    }
    if (m.expire_ms == 0) { /* an exptime already in the past: stored, and gone */
        ks_delete(env, MC_DB, k);
        free(joined);
        return MC_STORED;
    }
    struct entry *n = entry_new_bytes_meta(k->p, k->len, val, vlen, &m);
    free(joined);
    ks_store(env, MC_DB, k, n);
    if (cas_out)
        *cas_out = ks_cas(env, MC_DB, k, &n);
    return MC_STORED;
}

int mc_lookup(const struct ks_env *env, const struct key *k, int want_cas, int fetch,
              struct mc_item *it)
{
    struct entry *e = live_string(env, k, fetch ? KS_TOUCH : KS_NOTOUCH);
    if (!e)
        return 0;
    it->cas = want_cas ? ks_cas(env, MC_DB, k, &e) : entry_cas(e);
    it->e = e;
    it->val = entry_str(e, it->numbuf, &it->vlen);
    it->flags = entry_mc_flags(e);
    it->expire_ms = entry_expire(e);
    it->fetched_before = (e->flags & E_FETCHED) != 0;
    if (fetch)
        e->flags |= E_FETCHED;
    return 1;
}

void mc_touch(const struct ks_env *env, const struct key *k, struct mc_item *it, int64_t expire_ms)
{
    if (expire_ms == 0) {
        ks_delete(env, MC_DB, k);
        return;
    }
    it->e = ks_set_expire(env, MC_DB, k, it->e, expire_ms);
    it->val = entry_str(it->e, it->numbuf, &it->vlen);
    it->expire_ms = expire_ms;
}

enum mc_result mc_delete(const struct ks_env *env, const struct key *k)
{
    return ks_delete(env, MC_DB, k) ? MC_DELETED : MC_NOT_FOUND;
}

enum mc_result mc_incr(const struct ks_env *env, const struct key *k, int decr, uint64_t delta,
                       uint64_t *out)
{
    struct entry *e = live_string(env, k, KS_TOUCH);
    if (!e)
        return MC_NOT_FOUND;
    char tmp[24];
    size_t len;
    const char *v = entry_str(e, tmp, &len);
    uint64_t cur;
    if (!mc_parse_u64(v, len, &cur))
        return MC_NON_NUMERIC;
    uint64_t nv = decr ? (cur < delta ? 0 : cur - delta) : cur + delta; /* incr wraps */
    char digits[64];
    int n = 0;
    uint64_t t = nv;
    char rev[24];
    do {
        rev[n++] = (char)('0' + t % 10);
        t /= 10;
    } while (t);
    for (int i = 0; i < n; i++)
        digits[i] = rev[n - 1 - i];
    struct entry_meta m;
    entry_get_meta(e, &m);
    m.cas = 0;
    if (entry_enc(e) == ENC_INT) { /* a RESP integer stays an exact integer */
        ks_store(env, MC_DB, k, entry_new_string_meta(k->p, k->len, digits, (size_t)n, &m));
        *out = nv;
        return MC_STORED;
    }
    /* memcached rewrites a number in place when it fits, padding with
     * spaces ("10" decr 1 reads back as "9 "); clients see those bytes. */
    size_t outlen = (size_t)n;
    if (outlen < len && len < sizeof(digits)) {
        memset(digits + n, ' ', len - outlen);
        outlen = len;
    }
    ks_store(env, MC_DB, k, entry_new_bytes_meta(k->p, k->len, digits, outlen, &m));
    *out = nv;
    return MC_STORED;
}

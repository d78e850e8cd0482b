/* mc_ops.h - memcached item semantics over the shared keyspace.
 *
 * Owns: what set/add/replace/append/prepend/cas, get/touch, delete,
 * incr/decr and flush mean for an item, as memcached 1.6 defines them,
 * expressed as keyspace operations on database 0.  Every function expects
 * the key's shard lock held (shard.h); callers format the replies.
 * Values are ordinary string entries, so RESP sees the same bytes; client
 * flags and CAS uniques live in the entry's optional memcached block.
 */
#ifndef CACHET_MC_OPS_H
#define CACHET_MC_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "server/keyspace/keyspace.h"

#define MC_DB 0 /* the database memcached clients see */

enum mc_store_mode { MC_MODE_SET, MC_MODE_ADD, MC_MODE_REPLACE, MC_MODE_APPEND,
                     MC_MODE_PREPEND, MC_MODE_CAS };

enum mc_result {
    MC_STORED, MC_NOT_STORED, MC_EXISTS, MC_NOT_FOUND, MC_DELETED, MC_TOUCHED,
    MC_NON_NUMERIC, MC_TOO_LARGE, MC_OOM,
};

/* Memcached's exptime: 0 = never, negative = already expired, up to 30
 * days relative, beyond that an absolute unix time.  Returns an absolute
 * ms expiry, -1 for none, or 0 for "already expired". */
int64_t mc_exptime_ms(long long exptime, int64_t now_ms);

/* Store val under k.  MC_MODE_CAS is a set that compares; compare_cas
 * makes any other mode compare too (meta ms C): the item must exist and
 * carry cas_in.  *cas_out (if not NULL) receives the new item's unique.
 * Values keep their bytes exactly (no integer encoding), so memcached's
 * in-place incr/decr semantics apply to them later. */
enum mc_result mc_store(const struct ks_env *env, const struct key *k, enum mc_store_mode mode,
                        int compare_cas, const char *val, size_t vlen, uint32_t flags,
                        int64_t expire_ms, uint64_t cas_in, uint64_t *cas_out);

/* A live string item, for reading.  The value bytes stay valid while the
 * shard lock is held. */
struct mc_item {
    struct entry *e;
    const char *val;
    size_t vlen;
    char numbuf[24];
    uint32_t flags;
    uint64_t cas;      /* 0 unless want_cas */
    int64_t expire_ms; /* -1: none */
    int fetched_before;
};

/* Look up k (a miss for missing, expired or non-string keys).  A read on a
 * client's behalf (fetch) marks the item fetched and bumps its access
 * time; want_cas assigns a CAS unique if needed. */
int mc_lookup(const struct ks_env *env, const struct key *k, int want_cas, int fetch,
              struct mc_item *it);
/* Change an existing item's expiry (touch, gat). */
void mc_touch(const struct ks_env *env, const struct key *k, struct mc_item *it, int64_t expire_ms);
enum mc_result mc_delete(const struct ks_env *env, const struct key *k);
/* incr (decr = 0 means increment); *out gets the new value. */
enum mc_result mc_incr(const struct ks_env *env, const struct key *k, int decr, uint64_t delta,
                       uint64_t *out);
/* memcached's safe_strtoull: digits, optional trailing whitespace, no sign. */
int mc_parse_u64(const char *s, size_t len, uint64_t *out);

#endif

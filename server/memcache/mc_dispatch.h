/* mc_dispatch.h - memcached requests from a connection's bytes to replies:
 * parse (protocol/mc_parse), lock the key's shard, run the item operation
 * (mc_ops), format memcached's reply into the connection's output. */
#ifndef CACHET_MC_DISPATCH_H
#define CACHET_MC_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/mc_parse.h"
#include "protocol/resp_write.h"
#include "server/keyspace/keyspace.h"

struct client;

/* Run every complete request in buf[0..len); returns the bytes consumed.
 * Sets the client's close flags for quit and for memcached's closes. */
size_t mc_process_buffer(struct client *c, const char *buf, size_t len);

/* Context shared by the text and meta handlers. */
struct mc_ctx {
    struct client *cl;
    struct obuf *out;
    struct ks_env env;
    struct mc_stat *st;
    const char *buf; /* the frame the request's spans point into */
};

void mc_key(const struct mc_request *r, const char *buf, struct key *k);
void mc_reply(struct mc_ctx *m, const char *s);
void mc_run_meta(struct mc_ctx *m, const struct mc_request *r);

/* A delayed flush_all: the time it takes effect (0 = none); worker 0's
 * housekeeping calls mc_flush_due. */
void mc_flush_due(int64_t now_ms);

#endif

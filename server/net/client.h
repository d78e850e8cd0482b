/* client.h - one connection's state, and the registry CLIENT LIST/KILL use.
 *
 * Ownership: a client belongs to the worker that accepted it; only that
 * worker reads its buffers or frees it.  Other threads touch a client only
 * through (a) the registry, under registry_lock, for CLIENT LIST/INFO/KILL,
 * reading fields published with relaxed atomics, and (b) its watch_dirty
 * flag, which writers set under a shard lock (see shard.h).
 */
#ifndef CACHET_CLIENT_H
#define CACHET_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/resp_parse.h"
#include "protocol/resp_write.h"

struct worker;
struct command;
struct mc_parser;

#define CL_CLOSE_AFTER_REPLY (1u << 0) /* QUIT, protocol error */
#define CL_CLOSE_ASAP (1u << 1)        /* output limit, killed: drop now */
#define CL_MULTI (1u << 2)
#define CL_EXEC_ABORT (1u << 3)        /* a command failed to queue */
#define CL_IN_FLUSH (1u << 4)          /* on the worker's flush list */
#define CL_WANT_WRITE (1u << 5)        /* EPOLLOUT registered */
#define CL_BLOCKED (1u << 6)           /* waiting in BLPOP & co (blocking.h) */

struct queued_cmd {
    const struct command *cmd;
    int argc;
    char **argv;
    size_t *argl;
};

struct watched_key {
    int db;
    uint64_t hash;
    size_t klen;
    char *key;
};

struct client {
    uint64_t id;
    int fd;
    struct worker *wk;
    struct client *next, *prev;         /* worker's list */
    struct client *reg_next, *reg_prev; /* registry (registry_lock) */

    /* input */
    char *qbuf;
    size_t qpos, qlen, qcap;
    struct resp_parser parser;
    struct mc_parser *mcp; /* memcached connections only, created on first use */
    /* output */
    struct obuf out;
    int64_t obuf_soft_since_ms; /* when the soft limit was first exceeded */

    int proto; /* PROTO_RESP or PROTO_MEMCACHE (worker.h) */
    int resp;  /* RESP version: 2 or 3 */
    int db;
    int authenticated;
    uint32_t flags;

    /* MULTI/WATCH */
    struct queued_cmd *mq;
    int mq_n, mq_cap;
    struct watched_key *watched;
    int nwatched, watched_cap;
    int watch_dirty; /* set by any thread under the watched key's shard lock */

    /* CLIENT LIST/INFO view; written by the owner with relaxed atomics */
    char addr[64], laddr[64];
    char *name, *lib_name, *lib_ver; /* registry_lock */
    int64_t ctime_ms;
    int64_t last_ms;
    const char *last_cmd;
    /* snapshot the owner publishes after each batch (client_publish) */
    uint32_t pub_flags;
    int pub_db, pub_resp, pub_multi;
    size_t pub_qbuf, pub_omem;
    size_t mem_accounted; /* buffer bytes counted in the worker's client_mem */
    int kill; /* set by CLIENT KILL from any thread; owner closes */
    struct bwaiter *bw; /* while blocked: its waiter (owner thread only) */
};

struct client *client_create(int fd, struct worker *wk, int64_t now_ms);
/* Unregister and free; the owner must have removed it from its loop. */
void client_destroy(struct client *c);
/* Drop MULTI state and WATCHes (locks the watched shards). */
void client_discard_multi(struct client *c);
void client_unwatch_all(struct client *c);

/* Publish the CLIENT LIST view of c (owner thread, after a batch). */
void client_publish(struct client *c, int64_t now_ms);
/* Bring the worker's client_mem counter up to date with c's buffers. */
void client_account_mem(struct client *c);

/* Open connections (accepted, not yet closed). */
long client_count(void);
/* Count a new connection unless `max` are open; 1 if admitted.  A client
 * created for it releases the slot in client_destroy. */
int client_reserve_slot(long max);
void client_release_slot(void);
/* Format CLIENT LIST (filter: NULL or an id list) into a malloc'd string. */
char *client_list_string(const uint64_t *ids, int nids, int64_t now_ms);
void client_info_line(struct client *c, char *buf, size_t cap, int64_t now_ms);
/* Set a name under the registry lock (name may be NULL). */
void client_set_name(struct client *c, const char *name, size_t len);
void client_set_lib(struct client *c, int ver, const char *val, size_t len);

/* CLIENT KILL filters; returns number of clients marked. */
struct kill_filter {
    const char *addr, *laddr, *user, *type;
    uint64_t id;
    int have_id;
    int skipme;
    struct client *me;
};
long client_kill(const struct kill_filter *f);

#endif

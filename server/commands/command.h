/* command.h - the command table row and the context handlers run in.
 *
 * Handlers take a context, not a connection: the arguments, the database,
 * the clock, a reply writer, and (through ctx_key) the keys with their
 * shards.  By the time a handler runs, the dispatcher has locked every
 * shard its keys live in (ascending order, shard.h rule 3), so handlers
 * are straight-line code over keyspace.h.  Commands flagged CMD_SELF_LOCK
 * (KEYS, SCAN, DBSIZE, ...) walk shards one at a time through
 * ctx_lock_shard, which is a no-op inside EXEC where all shards are held.
 */
#ifndef CACHET_COMMAND_H
#define CACHET_COMMAND_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/resp_write.h"
#include "server/commands/errors.h"
#include "server/keyspace/keyspace.h"

struct client;
struct worker;
struct cmd_ctx;

typedef void (*cmd_proc)(struct cmd_ctx *c);

/* flags */
#define CMD_WRITE (1u << 0)
#define CMD_READONLY (1u << 1)
#define CMD_DENYOOM (1u << 2)
#define CMD_FAST (1u << 3)
#define CMD_NOAUTH (1u << 4)     /* allowed before AUTH */
#define CMD_NO_MULTI (1u << 5)   /* not queued inside MULTI: runs or errors now */
#define CMD_ALL_SHARDS (1u << 6) /* lock every shard (FLUSHALL, SWAPDB) */
#define CMD_SELF_LOCK (1u << 7)  /* walks shards itself (KEYS, SCAN) */
#define CMD_ADMIN (1u << 8)
#define CMD_LOADING (1u << 9)
#define CMD_STALE (1u << 10)
#define CMD_NOSCRIPT (1u << 11)
#define CMD_MULTI_CTRL (1u << 14) /* MULTI EXEC DISCARD WATCH...: run even in MULTI */
#define CMD_BLOCKING (1u << 15)   /* may block the client (BLPOP ...) */

/* Key positions of a command whose keys move (a numkeys argument): fills
 * out[] with argv indexes and returns how many; 0 when the arguments are
 * malformed (the handler then replies the error without touching keys). */
typedef int (*cmd_keys_fn)(int argc, const char **argv, const size_t *argl, int *out, int cap);

struct command {
    const char *name;    /* lower case; "config|get" for subcommands */
    cmd_proc proc;
    int arity;           /* Redis arity: > 0 exact, < 0 at least -arity */
    uint32_t flags;
    int first, last, step; /* key positions; last < 0 counts from the end */
    const char *group;   /* string generic connection server transactions */
    const char *since;
    const char *complexity;
    const char *summary;
    const char *syntax;  /* arguments in Redis's doc notation (docs.c) */
    const char *acl;     /* space separated ACL categories (without @) */
    struct command *subs; /* NULL-name terminated, or NULL */
    int id;               /* index into per-thread stats, set at init */
    struct command *parent;
    cmd_keys_fn keys;     /* movable keys, or NULL: first/last/step say */
};

struct cmd_ctx {
    struct client *cl;
    struct worker *wk;
    int argc;
    const char **argv;
    const size_t *argl;
    struct resp_writer *w;
    struct ks_env env;
    int db;
    const struct command *cmd;
    const uint64_t *key_hash; /* hashes of key arguments by position, or NULL */
    int failed;  /* an error reply was sent */
    int in_exec; /* EXEC holds every shard this command touches */
    int serving; /* a blocked client's command run by blocking.c: never block */
    int still_blocked; /* set by blocking_block when serving found nothing */
};

/* ---- table (command_table.c) ---- */
void command_table_init(void);
const struct command *command_lookup(const char *name, size_t len);
const struct command *command_lookup_sub(const struct command *parent, const char *name,
                                         size_t len);
int command_count(void);                       /* including subcommands */
const struct command *command_by_id(int id);
/* Iterate top-level commands. */
const struct command *command_at(int i);
int command_top_count(void);
/* Key argument indexes of a command line; returns how many (<= cap). */
int command_keys(const struct command *cmd, int argc, const char **argv, const size_t *argl,
                 int *out, int cap);
/* cmd_keys_fn for "numkeys key [key ...] ..." at argv[1] (ZUNION, LMPOP,
 * SINTERCARD...), after a timeout (BLMPOP, BZMPOP: numkeys at argv[2]), or
 * after a destination key (ZUNIONSTORE dest numkeys key ...). */
int keys_numkeys_at1(int argc, const char **argv, const size_t *argl, int *out, int cap);
int keys_numkeys_at2(int argc, const char **argv, const size_t *argl, int *out, int cap);
int keys_dest_numkeys(int argc, const char **argv, const size_t *argl, int *out, int cap);

/* ---- reply helpers: send the reply and count errors ---- */
void ctx_error(struct cmd_ctx *c, const char *msg);
void ctx_errorf(struct cmd_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ctx_ok(struct cmd_ctx *c);
void ctx_arity_error(struct cmd_ctx *c);
/* Parse argv[i] as a long long, replying ERR_NOT_INT on failure. */
int ctx_get_ll(struct cmd_ctx *c, int i, long long *out);
int ctx_arg_is(const struct cmd_ctx *c, int i, const char *word);
void ctx_key(const struct cmd_ctx *c, int i, struct key *k);
void ctx_lock_shard(const struct cmd_ctx *c, struct shard *s);
void ctx_unlock_shard(const struct cmd_ctx *c, struct shard *s);
/* Count a keyspace hit/miss in the thread's stats. */
void ctx_hit(struct cmd_ctx *c, int hit);

/* ---- handlers (one file per family) ---- */
#define X(fn) void fn(struct cmd_ctx *c);
/* cmd_string.c */
X(cmd_get) X(cmd_set) X(cmd_setnx) X(cmd_setex) X(cmd_psetex) X(cmd_mget) X(cmd_mset)
X(cmd_msetnx) X(cmd_getset) X(cmd_getdel) X(cmd_getex) X(cmd_incr) X(cmd_decr) X(cmd_incrby)
X(cmd_decrby) X(cmd_incrbyfloat) X(cmd_append) X(cmd_strlen) X(cmd_getrange) X(cmd_setrange)
/* cmd_keys.c */
X(cmd_del) X(cmd_exists) X(cmd_type) X(cmd_expire) X(cmd_pexpire) X(cmd_expireat)
X(cmd_pexpireat) X(cmd_ttl) X(cmd_pttl) X(cmd_expiretime) X(cmd_pexpiretime) X(cmd_persist)
X(cmd_rename) X(cmd_renamenx) X(cmd_move) X(cmd_copy) X(cmd_keys) X(cmd_scan) X(cmd_randomkey)
X(cmd_touch) X(cmd_object_encoding) X(cmd_object_idletime) X(cmd_object_freq)
X(cmd_object_refcount) X(cmd_object_help)
/* cmd_conn.c */
X(cmd_ping) X(cmd_echo) X(cmd_quit) X(cmd_hello) X(cmd_select) X(cmd_auth) X(cmd_reset)
X(cmd_client_id) X(cmd_client_setname) X(cmd_client_getname) X(cmd_client_list)
X(cmd_client_info) X(cmd_client_kill) X(cmd_client_setinfo) X(cmd_client_help)
/* cmd_server.c */
X(cmd_config_get) X(cmd_config_set) X(cmd_config_resetstat)
X(cmd_config_rewrite) X(cmd_config_help) X(cmd_dbsize) X(cmd_time) X(cmd_flushdb)
X(cmd_flushall) X(cmd_swapdb) X(cmd_shutdown) X(cmd_lastsave) X(cmd_save) X(cmd_bgsave)
/* cmd_info.c */
X(cmd_info)
/* cmd_command.c */
X(cmd_command) X(cmd_command_count) X(cmd_command_info) X(cmd_command_docs)
X(cmd_command_list) X(cmd_command_getkeys) X(cmd_command_help)
/* cmd_multi.c */
X(cmd_multi) X(cmd_exec) X(cmd_discard) X(cmd_watch) X(cmd_unwatch)

/* cmd_hash.c */
X(cmd_hset) X(cmd_hsetnx) X(cmd_hget) X(cmd_hmset) X(cmd_hmget) X(cmd_hgetall) X(cmd_hdel)
X(cmd_hexists) X(cmd_hlen) X(cmd_hstrlen) X(cmd_hkeys) X(cmd_hvals) X(cmd_hincrby)
X(cmd_hincrbyfloat) X(cmd_hrandfield) X(cmd_hscan)

/* cmd_list_blocking.c */
X(cmd_blpop) X(cmd_brpop) X(cmd_brpoplpush) X(cmd_blmove) X(cmd_blmpop)
/* cmd_list.c */
X(cmd_lpush) X(cmd_rpush) X(cmd_lpushx) X(cmd_rpushx) X(cmd_lpop) X(cmd_rpop) X(cmd_llen)
X(cmd_lrange) X(cmd_lindex) X(cmd_lset) X(cmd_linsert) X(cmd_lrem) X(cmd_ltrim) X(cmd_lpos)
X(cmd_lmove) X(cmd_rpoplpush) X(cmd_lmpop)

/* cmd_set.c */
X(cmd_sadd) X(cmd_srem) X(cmd_smembers) X(cmd_sismember) X(cmd_smismember) X(cmd_scard)
X(cmd_spop) X(cmd_srandmember) X(cmd_smove) X(cmd_sinter) X(cmd_sintercard) X(cmd_sunion)
X(cmd_sdiff) X(cmd_sinterstore) X(cmd_sunionstore) X(cmd_sdiffstore) X(cmd_sscan)

/* cmd_zset_blocking.c */
X(cmd_bzpopmin) X(cmd_bzpopmax) X(cmd_bzmpop)
/* cmd_zset.c */
X(cmd_zadd) X(cmd_zincrby) X(cmd_zrem) X(cmd_zcard) X(cmd_zscore) X(cmd_zmscore) X(cmd_zrank)
X(cmd_zrevrank) X(cmd_zcount) X(cmd_zlexcount) X(cmd_zpopmin) X(cmd_zpopmax) X(cmd_zmpop)
X(cmd_zrandmember) X(cmd_zscan)
/* cmd_zset_range.c */
X(cmd_zrange) X(cmd_zrangestore) X(cmd_zrevrange) X(cmd_zrangebyscore) X(cmd_zrevrangebyscore)
X(cmd_zrangebylex) X(cmd_zrevrangebylex) X(cmd_zremrangebyrank) X(cmd_zremrangebyscore)
X(cmd_zremrangebylex)
/* cmd_zset_setop.c */
X(cmd_zunion) X(cmd_zinter) X(cmd_zdiff) X(cmd_zunionstore) X(cmd_zinterstore)
X(cmd_zdiffstore) X(cmd_zintercard)

#undef X

/* Container commands (CLIENT, CONFIG, ...) dispatch to their subcommand. */
void cmd_container(struct cmd_ctx *c);

#endif

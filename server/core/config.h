/* config.h - the server's configuration, declared once as a table.
 *
 * One table (config.c) drives cache.conf parsing (redis.conf syntax),
 * `--name value` command-line overrides, CONFIG GET/SET/REWRITE and the
 * values INFO prints.  Numeric fields are read with CFG() (a relaxed atomic
 * load) because CONFIG SET may change them from any worker; string fields
 * that are mutable are read through config_get_string() under the config
 * lock.
 */
#ifndef CACHET_CONFIG_H
#define CACHET_CONFIG_H

#include <stddef.h>

struct obuf_limit {
    long long hard, soft, soft_secs;
};

struct config {
    long long port;
    char *bind;
    long long tcp_backlog;
    long long tcp_keepalive;
    long long threads; /* 0 = online CPUs (resolved at start) */
    long long shards;
    long long databases;
    long long maxclients;
    long long timeout;
    long long hz;
    long long proto_max_bulk_len;
    long long client_query_buffer_limit;
    struct obuf_limit obuf_normal, obuf_replica, obuf_pubsub;
    char *requirepass;
    long long loglevel;
    char *logfile;
    char *pidfile;
    char *dir;
    char *save;       /* "<seconds> <changes> ..." or "" (persistence/snapshot.h) */
    char *dbfilename;
    long long rdbcompression;
    long long rdbchecksum;
    long long appendonly; /* always no: there is no AOF (apply_appendonly) */
    long long stop_writes_on_bgsave_error;
    long long rdb_key_save_delay;
    long long daemonize;
    long long memcache_port;  /* 0 = off */
    long long max_item_size;  /* memcached's -I */
    long long maxmemory;      /* bytes, 0 = no limit */
    long long maxmemory_policy; /* enum evict_policy */
    long long maxmemory_samples;
    long long lfu_log_factor;
    long long lfu_decay_time;
    /* collection encodings: compact below these, converted above */
    long long hash_max_listpack_entries;
    long long hash_max_listpack_value;
    long long set_max_intset_entries;
    long long set_max_listpack_entries;
    long long set_max_listpack_value;
    long long zset_max_listpack_entries;
    long long zset_max_listpack_value;
    long long list_max_listpack_size; /* < 0: node bytes -1..-5 = 4k..64k */
};

extern struct config cfg;

#define CFG(field) __atomic_load_n(&cfg.field, __ATOMIC_RELAXED)

/* Load defaults, then the file (may be NULL), then argv overrides
 * ("--port", "7000", ...).  On error prints "file:line: reason" to stderr
 * and returns -1. */
int config_load(const char *path, int argc, char **argv);
const char *config_file_path(void); /* absolute, or NULL */

/* CONFIG GET: calls emit(name, value) for each option matching the glob. */
void config_get(const char *pattern, size_t plen,
                void (*emit)(void *arg, const char *name, const char *value), void *arg);
/* CONFIG SET of n name/value pairs, all or nothing.  Returns NULL on
 * success or a Redis error text (without leading '-'), written into err. */
const char *config_set(int n, const char **names, const size_t *nlens, const char **values,
                       const size_t *vlens, char *err, size_t errcap);
/* CONFIG REWRITE.  Returns 0, or -1 with the error text in err. */
int config_rewrite(char *err, size_t errcap);

/* Copy of a string option (caller frees). */
char *config_get_string(const char *name);
/* 1 if pass equals requirepass (constant time); requirepass "" = no auth. */
int config_check_password(const char *pass, size_t len);
/* Copy a string option's current value (under the config lock). */
void config_copy_string(const char *name, char *buf, size_t cap);
int config_auth_required(void);

#endif

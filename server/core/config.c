/* config.c - the configuration table and the engines that use it.
 *
 * Owns: option definitions, parsing (file, command line, CONFIG SET),
 * formatting (CONFIG GET, REWRITE).  Must not: apply side effects beyond the
 * small apply hooks declared in the table; sockets and threads read the
 * values, they are not reconfigured from here.
 */
#include "server/core/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "eviction/policy.h"
#include "persistence/snapshot.h"
#include "protocol/resp_parse.h"
#include "server/core/log.h"
#include "server/core/mem.h"
#include "server/core/util.h"

struct config cfg;

enum cfg_type { C_BOOL, C_INT, C_MEM, C_STR, C_ENUM, C_OBUF };
#define F_IMMUTABLE 1
#define F_SENSITIVE 2 /* never echoed in logs */
/* Redis can change these at run time and so validates the value first;
 * Cachet cannot yet (it would have to rebind listeners), so it validates,
 * then refuses as immutable. */
#define F_NOT_YET_LIVE 4
/* Redis 7's protected configs (enable-protected-configs no): settable in
 * the file and on the command line, never by CONFIG SET, so a client
 * cannot point SAVE at a file of its choosing. */
#define F_PROTECTED 8

struct cfg_opt {
    const char *name;
    const char *alias;
    enum cfg_type type;
    int flags;
    void *ptr;
    const char *def;
    long long min, max;
    const char *const *enums;
    /* Called after a successful change; returns NULL or an error reason. */
    const char *(*apply)(void);
    int file_line; /* where the file set it, 0 if not */
};

static const char *const loglevels[] = {"debug", "verbose", "notice", "warning", NULL};

static const char *apply_loglevel(void)
{
    log_set_level((int)CFG(loglevel));
    return NULL;
}

static const char *apply_policy(void)
{
    evict_policy_set((enum evict_policy)cfg.maxmemory_policy);
    return NULL;
}

/* Cachet persists with RDB snapshots and has no AOF: `appendonly no` is
 * accepted (tools such as redis-benchmark ask for it, and Redis configs
 * set it); `yes` is refused rather than silently not persisting. */
static const char *apply_appendonly(void)
{
    return cfg.appendonly ? "appendonly yes is not supported: Cachet persists with RDB snapshots "
                            "(save, BGSAVE) only"
                          : NULL;
}

static const char *apply_save(void)
{
    return snapshot_set_savepoints(cfg.save ? cfg.save : "");
}

static const char *apply_dbfilename(void)
{
    if (!cfg.dbfilename || !cfg.dbfilename[0] || strchr(cfg.dbfilename, '/'))
        return "dbfilename can't be a path, just a filename";
    return NULL;
}

static const char *apply_dir(void)
{
    return chdir(cfg.dir) == 0 ? NULL : strerror(errno);
}

/* Every option, with Redis's name.  Keep cache.conf documenting each one. */
static struct cfg_opt opts[] = {
    {"port", NULL, C_INT, F_IMMUTABLE | F_NOT_YET_LIVE, &cfg.port, "6379", 0, 65535, NULL, NULL, 0},
    {"bind", NULL, C_STR, F_IMMUTABLE | F_NOT_YET_LIVE, &cfg.bind, "127.0.0.1 -::1", 0, 0, NULL, NULL, 0},
    {"tcp-backlog", NULL, C_INT, F_IMMUTABLE, &cfg.tcp_backlog, "511", 0, INT_MAX, NULL, NULL, 0},
    {"tcp-keepalive", NULL, C_INT, 0, &cfg.tcp_keepalive, "300", 0, INT_MAX, NULL, NULL, 0},
    {"threads", "io-threads-cachet", C_INT, F_IMMUTABLE, &cfg.threads, "0", 0, 256, NULL, NULL, 0},
    {"shards", NULL, C_INT, F_IMMUTABLE, &cfg.shards, "1024", 1, 65536, NULL, NULL, 0},
    {"databases", NULL, C_INT, F_IMMUTABLE, &cfg.databases, "16", 1, INT_MAX, NULL, NULL, 0},
    {"maxclients", NULL, C_INT, 0, &cfg.maxclients, "10000", 1, INT_MAX, NULL, NULL, 0},
    {"timeout", NULL, C_INT, 0, &cfg.timeout, "0", 0, INT_MAX, NULL, NULL, 0},
    {"hz", NULL, C_INT, 0, &cfg.hz, "10", 1, 500, NULL, NULL, 0},
    {"proto-max-bulk-len", NULL, C_MEM, 0, &cfg.proto_max_bulk_len, "512mb", 1024 * 1024,
     LLONG_MAX, NULL, NULL, 0},
    {"client-query-buffer-limit", NULL, C_MEM, 0, &cfg.client_query_buffer_limit, "1gb",
     1024 * 1024, LLONG_MAX, NULL, NULL, 0},
    {"client-output-buffer-limit", NULL, C_OBUF, 0, NULL,
     "normal 512mb 128mb 60 replica 256mb 64mb 60 pubsub 32mb 8mb 60", 0, 0, NULL, NULL, 0},
    {"requirepass", NULL, C_STR, F_SENSITIVE, &cfg.requirepass, "", 0, 0, NULL, NULL, 0},
    {"loglevel", NULL, C_ENUM, 0, &cfg.loglevel, "notice", 0, 0, loglevels, apply_loglevel, 0},
    {"logfile", NULL, C_STR, F_IMMUTABLE, &cfg.logfile, "", 0, 0, NULL, NULL, 0},
    {"pidfile", NULL, C_STR, F_IMMUTABLE, &cfg.pidfile, "", 0, 0, NULL, NULL, 0},
    {"dir", NULL, C_STR, F_PROTECTED, &cfg.dir, "./", 0, 0, NULL, apply_dir, 0},
    {"save", NULL, C_STR, 0, &cfg.save, "3600 1 300 100 60 10000", 0, 0, NULL, apply_save, 0},
    {"dbfilename", NULL, C_STR, F_PROTECTED, &cfg.dbfilename, "dump.rdb", 0, 0, NULL,
     apply_dbfilename,
     0},
    {"rdbcompression", NULL, C_BOOL, 0, &cfg.rdbcompression, "yes", 0, 0, NULL, NULL, 0},
    {"rdbchecksum", NULL, C_BOOL, 0, &cfg.rdbchecksum, "yes", 0, 0, NULL, NULL, 0},
    {"appendonly", NULL, C_BOOL, 0, &cfg.appendonly, "no", 0, 0, NULL, apply_appendonly, 0},
    {"stop-writes-on-bgsave-error", NULL, C_BOOL, 0, &cfg.stop_writes_on_bgsave_error, "yes", 0,
     0, NULL, NULL, 0},
    {"rdb-key-save-delay", NULL, C_INT, 0, &cfg.rdb_key_save_delay, "0", INT_MIN, INT_MAX, NULL,
     NULL, 0},
    {"daemonize", NULL, C_BOOL, F_IMMUTABLE, &cfg.daemonize, "no", 0, 0, NULL, NULL, 0},
    {"memcache-port", NULL, C_INT, F_IMMUTABLE, &cfg.memcache_port, "11211", 0, 65535, NULL, NULL,
     0},
    {"max-item-size", NULL, C_MEM, 0, &cfg.max_item_size, "1mb", 1024, 1024LL * 1024 * 1024,
     NULL, NULL, 0},
    {"maxmemory", NULL, C_MEM, 0, &cfg.maxmemory, "0", 0, LLONG_MAX, NULL, NULL, 0},
    {"maxmemory-policy", NULL, C_ENUM, 0, &cfg.maxmemory_policy, "noeviction", 0, 0,
     evict_policy_names, apply_policy, 0},
    {"maxmemory-samples", NULL, C_INT, 0, &cfg.maxmemory_samples, "5", 1, 64, NULL, NULL, 0},
    {"lfu-log-factor", NULL, C_INT, 0, &cfg.lfu_log_factor, "10", 0, INT_MAX, NULL, NULL, 0},
    {"lfu-decay-time", NULL, C_INT, 0, &cfg.lfu_decay_time, "1", 0, INT_MAX, NULL, NULL, 0},
    {"hash-max-listpack-entries", "hash-max-ziplist-entries", C_INT, 0,
     &cfg.hash_max_listpack_entries, "512", 0, INT_MAX, NULL, NULL, 0},
    {"hash-max-listpack-value", "hash-max-ziplist-value", C_INT, 0, &cfg.hash_max_listpack_value,
     "64", 0, INT_MAX, NULL, NULL, 0},
    {"set-max-intset-entries", NULL, C_INT, 0, &cfg.set_max_intset_entries, "512", 0, INT_MAX,
     NULL, NULL, 0},
    {"set-max-listpack-entries", NULL, C_INT, 0, &cfg.set_max_listpack_entries, "128", 0,
     INT_MAX, NULL, NULL, 0},
    {"set-max-listpack-value", NULL, C_INT, 0, &cfg.set_max_listpack_value, "64", 0, INT_MAX,
     NULL, NULL, 0},
    {"zset-max-listpack-entries", "zset-max-ziplist-entries", C_INT, 0,
     &cfg.zset_max_listpack_entries, "128", 0, INT_MAX, NULL, NULL, 0},
    {"zset-max-listpack-value", "zset-max-ziplist-value", C_INT, 0, &cfg.zset_max_listpack_value,
     "64", 0, INT_MAX, NULL, NULL, 0},
    {"list-max-listpack-size", "list-max-ziplist-size", C_INT, 0, &cfg.list_max_listpack_size,
     "-2", -5, INT_MAX, NULL, NULL, 0},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
static char *config_path;
static char *default_formatted[NOPTS]; /* CONFIG GET form of each default */

static struct cfg_opt *find_opt(const char *name, size_t len)
{
    for (size_t i = 0; i < NOPTS; i++) {
        if (strlen(opts[i].name) == len && !strncasecmp(opts[i].name, name, len))
            return &opts[i];
        if (opts[i].alias && strlen(opts[i].alias) == len && !strncasecmp(opts[i].alias, name, len))
            return &opts[i];
    }
    return NULL;
}

static void store_ll(long long *p, long long v)
{
    __atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static struct obuf_limit *obuf_class(const char *name)
{
    if (!strcasecmp(name, "normal"))
        return &cfg.obuf_normal;
    if (!strcasecmp(name, "replica") || !strcasecmp(name, "slave"))
        return &cfg.obuf_replica;
    if (!strcasecmp(name, "pubsub"))
        return &cfg.obuf_pubsub;
    return NULL;
}

/* Parse `value` for `o` and store it.  Returns NULL or the reason. */
static const char *parse_value(struct cfg_opt *o, const char *value, int dry_run)
{
    long long v;
    switch (o->type) {
    case C_BOOL:
        if (!strcasecmp(value, "yes"))
            v = 1;
        else if (!strcasecmp(value, "no"))
            v = 0;
        else
            return "argument must be 'yes' or 'no'";
        if (!dry_run)
            store_ll(o->ptr, v);
        return NULL;
    case C_INT:
    case C_MEM: {
        static __thread char range[128];
        if (o->type == C_INT) {
            if (!util_str2ll(value, strlen(value), &v))
                return "argument couldn't be parsed into an integer";
        } else if (!util_mem_parse(value, &v)) {
            return "argument must be a memory value";
        }
        if (v < o->min || v > o->max) {
            snprintf(range, sizeof(range), "argument must be between %lld and %lld inclusive",
                     o->min, o->max);
            return range;
        }
        if (o->ptr == &cfg.shards && (v & (v - 1)))
            return "argument must be a power of two";
        if (!dry_run)
            store_ll(o->ptr, v);
        return NULL;
    }
    case C_ENUM: {
        for (int i = 0; o->enums[i]; i++) {
            if (!strcasecmp(o->enums[i], value)) {
                if (!dry_run)
                    store_ll(o->ptr, i);
                return NULL;
            }
        }
        static __thread char msg[512];
        size_t n = (size_t)snprintf(msg, sizeof(msg), "argument(s) must be one of the following: ");
        for (int i = 0; o->enums[i] && n < sizeof(msg); i++)
            n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s%s", i ? ", " : "", o->enums[i]);
        return msg;
    }
    case C_STR:
        if (!dry_run) {
            char **sp = o->ptr;
            char *old = *sp;
            *sp = xstrdup(value);
            free(old);
        }
        return NULL;
    case C_OBUF: {
        struct resp_arg *argv = NULL;
        size_t cap = 0;
        size_t vl = strlen(value);
        char *tmp = xmalloc(vl + 1);
        long n = resp_split_inline(value, vl, tmp, &argv, &cap);
        const char *err = NULL;
        if (n <= 0 || n % 4) {
            err = "Wrong number of arguments in buffer limit configuration.";
        }
        struct obuf_limit parsed[3];
        struct obuf_limit *targets[3];
        int nt = 0;
        for (long i = 0; !err && i < n; i += 4) {
            char a[4][64];
            for (int j = 0; j < 4; j++) {
                size_t l = argv[i + j].len < 63 ? argv[i + j].len : 63;
                memcpy(a[j], tmp + argv[i + j].off, l);
                a[j][l] = '\0';
            }
            struct obuf_limit *cls = obuf_class(a[0]);
            long long h, s, secs;
            if (!cls) {
                err = "Invalid client class specified in buffer limit configuration.";
            } else if (!util_mem_parse(a[1], &h) || !util_mem_parse(a[2], &s) ||
                       !util_str2ll(a[3], strlen(a[3]), &secs) || h < 0 || s < 0 || secs < 0) {
                err = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
            } else if (nt < 3) {
                parsed[nt] = (struct obuf_limit){h, s, secs};
                targets[nt++] = cls;
            }
        }
        if (!err && !dry_run) {
            for (int i = 0; i < nt; i++) {
                store_ll(&targets[i]->hard, parsed[i].hard);
                store_ll(&targets[i]->soft, parsed[i].soft);
                store_ll(&targets[i]->soft_secs, parsed[i].soft_secs);
            }
        }
        free(tmp);
        free(argv);
        return err;
    }
    }
    return "unknown option type";
}

/* Format the current value of `o` (as CONFIG GET shows it). */
static void format_value(const struct cfg_opt *o, char *buf, size_t cap)
{
    switch (o->type) {
    case C_BOOL:
        snprintf(buf, cap, "%s", __atomic_load_n((long long *)o->ptr, __ATOMIC_RELAXED) ? "yes" : "no");
        break;
    case C_INT:
    case C_MEM:
        snprintf(buf, cap, "%lld", __atomic_load_n((long long *)o->ptr, __ATOMIC_RELAXED));
        break;
    case C_ENUM:
        snprintf(buf, cap, "%s", o->enums[__atomic_load_n((long long *)o->ptr, __ATOMIC_RELAXED)]);
        break;
    case C_STR:
        if (o->ptr == &cfg.dir && getcwd(buf, cap)) /* Redis shows the absolute path */
            break;
        snprintf(buf, cap, "%s", *(char **)o->ptr ? *(char **)o->ptr : "");
        break;
    case C_OBUF:
        snprintf(buf, cap, "normal %lld %lld %lld slave %lld %lld %lld pubsub %lld %lld %lld",
                 CFG(obuf_normal.hard), CFG(obuf_normal.soft), CFG(obuf_normal.soft_secs),
                 CFG(obuf_replica.hard), CFG(obuf_replica.soft), CFG(obuf_replica.soft_secs),
                 CFG(obuf_pubsub.hard), CFG(obuf_pubsub.soft), CFG(obuf_pubsub.soft_secs));
        break;
    }
}

/* Join argv[1..argc) with spaces (config values with several words). */
static char *join_args(const char *base, const struct resp_arg *argv, long argc)
{
    size_t total = 1;
    for (long i = 1; i < argc; i++)
        total += argv[i].len + 1;
    char *out = xmalloc(total);
    size_t o = 0;
    for (long i = 1; i < argc; i++) {
        if (i > 1)
            out[o++] = ' ';
        memcpy(out + o, base + argv[i].off, argv[i].len);
        o += argv[i].len;
    }
    out[o] = '\0';
    return out;
}

/* Apply one directive line; `where` names it in errors. */
static int apply_line(const char *line, size_t len, const char *file, int lineno)
{
    size_t lead = 0;
    while (lead < len && isspace((unsigned char)line[lead]))
        lead++;
    if (lead == len || line[lead] == '#') /* blank or comment: quotes don't matter */
        return 0;
    char *tmp = xmalloc(len + 1);
    struct resp_arg *argv = NULL;
    size_t cap = 0;
    long argc = resp_split_inline(line, len, tmp, &argv, &cap);
    int rc = 0;
    const char *reason = NULL;
    if (argc < 0) {
        reason = "Unbalanced quotes in configuration line";
    } else if (argc > 0) {
        struct cfg_opt *o = find_opt(tmp + argv[0].off, argv[0].len);
        int multi = o && (o->type == C_OBUF || o->ptr == &cfg.bind || o->ptr == &cfg.save);
        if (!o || argc < 2 || (!multi && argc != 2)) {
            reason = "Bad directive or wrong number of arguments";
        } else {
            char *value = join_args(tmp, argv, argc);
            reason = parse_value(o, value, 0);
            if (!reason && o->apply && o->ptr != &cfg.dir)
                reason = o->apply();
            if (!reason)
                o->file_line = lineno > 0 ? lineno : o->file_line;
            free(value);
        }
    }
    if (reason) {
        fprintf(stderr, "cachet: %s:%d: '%.*s': %s\n", file, lineno, (int)len, line, reason);
        rc = -1;
    }
    free(tmp);
    free(argv);
    return rc;
}

int config_load(const char *path, int argc, char **argv)
{
    free(config_path);
    config_path = NULL;
    for (size_t i = 0; i < NOPTS; i++) {
        if (parse_value(&opts[i], opts[i].def, 0)) {
            fprintf(stderr, "cachet: bad built-in default for %s\n", opts[i].name);
            return -1;
        }
        char buf[1024];
        format_value(&opts[i], buf, sizeof(buf));
        free(default_formatted[i]);
        default_formatted[i] = xstrdup(buf);
    }
    if (path) {
        FILE *fp = fopen(path, "r");
        if (!fp) {
            fprintf(stderr, "cachet: can't open config file '%s': %s\n", path, strerror(errno));
            return -1;
        }
        char *abs = realpath(path, NULL);
        free(config_path); /* a reload must not leak the previous path */
        config_path = abs ? abs : xstrdup(path);
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        int lineno = 0, rc = 0;
        while ((n = getline(&line, &cap, fp)) >= 0) {
            lineno++;
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                n--;
            if (apply_line(line, (size_t)n, path, lineno))
                rc = -1;
        }
        free(line);
        fclose(fp);
        if (rc)
            return -1;
    }
    /* "--name v1 v2 --other v" becomes the lines "name v1 v2" and "other v". */
    for (int i = 0; i < argc;) {
        if (strncmp(argv[i], "--", 2) || !argv[i][2]) {
            fprintf(stderr, "cachet: (command line): unexpected argument '%s'\n", argv[i]);
            return -1;
        }
        size_t total = strlen(argv[i]) + 1;
        int j = i + 1;
        for (; j < argc && strncmp(argv[j], "--", 2); j++)
            total += strlen(argv[j]) * 4 + 3;
        char *line = xmalloc(total + 1);
        size_t o = (size_t)sprintf(line, "%s", argv[i] + 2);
        for (int k = i + 1; k < j; k++) { /* quote each value so spaces survive */
            line[o++] = ' ';
            line[o++] = '"';
            for (const char *s = argv[k]; *s; s++) {
                if (*s == '"' || *s == '\\')
                    line[o++] = '\\';
                line[o++] = *s;
            }
            line[o++] = '"';
        }
        line[o] = '\0';
        int rc = apply_line(line, o, "(command line)", 0);
        free(line);
        if (rc)
            return -1;
        i = j;
    }
    if (cfg.dir && strcmp(cfg.dir, "./") && chdir(cfg.dir) != 0) {
        fprintf(stderr, "cachet: can't chdir to '%s': %s\n", cfg.dir, strerror(errno));
        return -1;
    }
    return 0;
}

const char *config_file_path(void)
{
    return config_path;
}

void config_get(const char *pattern, size_t plen,
                void (*emit)(void *arg, const char *name, const char *value), void *arg)
{
    char buf[1024];
    if (!memchr(pattern, '*', plen) && !memchr(pattern, '?', plen) && !memchr(pattern, '[', plen)) {
        /* Not a pattern: Redis answers with the name as the client wrote it. */
        struct cfg_opt *o = find_opt(pattern, plen);
        if (!o || plen >= 128)
            return;
        char name[128];
        memcpy(name, pattern, plen);
        name[plen] = '\0';
        pthread_mutex_lock(&config_lock);
        format_value(o, buf, sizeof(buf));
        pthread_mutex_unlock(&config_lock);
        emit(arg, name, buf);
        return;
    }
    pthread_mutex_lock(&config_lock);
    for (size_t i = 0; i < NOPTS; i++) {
        const struct cfg_opt *o = &opts[i];
        const char *name = NULL;
        if (util_glob(pattern, plen, o->name, strlen(o->name), 1))
            name = o->name;
        else if (o->alias && util_glob(pattern, plen, o->alias, strlen(o->alias), 1))
            name = o->alias;
        if (!name)
            continue;
        format_value(o, buf, sizeof(buf));
        emit(arg, name, buf);
    }
    pthread_mutex_unlock(&config_lock);
}

const char *config_set(int n, const char **names, const size_t *nlens, const char **values,
                       const size_t *vlens, char *err, size_t errcap)
{
    struct cfg_opt *found[64];
    if (n > 64)
        n = 64;
    for (int i = 0; i < n; i++) {
        found[i] = find_opt(names[i], nlens[i]);
        if (!found[i]) {
            snprintf(err, errcap, "ERR Unknown option or number of arguments for CONFIG SET - '%.*s'",
                     (int)nlens[i], names[i]);
            return err;
        }
        for (int j = 0; j < i; j++) {
            if (found[j] == found[i]) {
                snprintf(err, errcap,
                         "ERR CONFIG SET failed (possibly related to argument '%.*s') - duplicate parameter",
                         (int)nlens[i], names[i]);
                return err;
            }
        }
        if ((found[i]->flags & F_IMMUTABLE) && !(found[i]->flags & F_NOT_YET_LIVE)) {
            snprintf(err, errcap,
                     "ERR CONFIG SET failed (possibly related to argument '%.*s') - can't set immutable config",
                     (int)nlens[i], names[i]);
            return err;
        }
        if (found[i]->flags & F_PROTECTED) {
            snprintf(err, errcap,
                     "ERR CONFIG SET failed (possibly related to argument '%.*s') - can't set protected config",
                     (int)nlens[i], names[i]);
            return err;
        }
    }
    pthread_mutex_lock(&config_lock);
    /* Validate everything first so a bad pair changes nothing. */
    for (int i = 0; i < n; i++) {
        char *v = xmemdup(values[i], vlens[i]);
        const char *reason = parse_value(found[i], v, 1);
        free(v);
        if (!reason && (found[i]->flags & F_IMMUTABLE))
            reason = "can't set immutable config";
        if (reason) {
            snprintf(err, errcap, "ERR CONFIG SET failed (possibly related to argument '%.*s') - %s",
                     (int)nlens[i], names[i], reason);
            pthread_mutex_unlock(&config_lock);
            return err;
        }
    }
    /* Apply; if a hook fails (say, chdir for `dir`), put every option of
     * this call back to its previous value, as Redis does. */
    char *saved[64];
    for (int i = 0; i < n; i++) {
        char buf[1024];
        format_value(found[i], buf, sizeof(buf));
        saved[i] = xstrdup(buf);
    }
    const char *result = NULL;
    for (int i = 0; i < n && !result; i++) {
        char *v = xmemdup(values[i], vlens[i]);
        parse_value(found[i], v, 0);
        free(v);
        const char *reason = found[i]->apply ? found[i]->apply() : NULL;
        if (reason) {
            snprintf(err, errcap, "ERR CONFIG SET failed (possibly related to argument '%.*s') - %s",
                     (int)nlens[i], names[i], reason);
            result = err;
        }
    }
    if (result) {
        for (int i = 0; i < n; i++) {
            parse_value(found[i], saved[i], 0);
            if (found[i]->apply)
                found[i]->apply();
        }
    }
    for (int i = 0; i < n; i++)
        free(saved[i]);
    pthread_mutex_unlock(&config_lock);
    return result;
}

char *config_get_string(const char *name)
{
    struct cfg_opt *o = find_opt(name, strlen(name));
    if (!o || o->type != C_STR)
        return NULL;
    pthread_mutex_lock(&config_lock);
    char *s = xstrdup(*(char **)o->ptr ? *(char **)o->ptr : "");
    pthread_mutex_unlock(&config_lock);
    return s;
}

int config_auth_required(void)
{
    pthread_mutex_lock(&config_lock);
    int req = cfg.requirepass && cfg.requirepass[0];
    pthread_mutex_unlock(&config_lock);
    return req;
}

void config_copy_string(const char *name, char *buf, size_t cap)
{
    pthread_mutex_lock(&config_lock);
    struct cfg_opt *o = find_opt(name, strlen(name));
    const char *v = o && o->type == C_STR ? *(char **)o->ptr : NULL;
    snprintf(buf, cap, "%s", v ? v : "");
    pthread_mutex_unlock(&config_lock);
}

int config_check_password(const char *pass, size_t len)
{
    pthread_mutex_lock(&config_lock);
    const char *want = cfg.requirepass ? cfg.requirepass : "";
    size_t wl = strlen(want);
    unsigned diff = (unsigned)(wl ^ len);
    for (size_t i = 0; i < len; i++) /* time depends on the guess, not the secret */
        diff |= (unsigned char)pass[i] ^ (unsigned char)want[i < wl ? i : 0];
    int ok = wl > 0 && diff == 0;
    pthread_mutex_unlock(&config_lock);
    return ok;
}

/* ---- CONFIG REWRITE ------------------------------------------------------ */

static void rewrite_lines_for(const struct cfg_opt *o, FILE *out)
{
    char buf[1024];
    if (o->type == C_OBUF) {
        fprintf(out, "client-output-buffer-limit normal %lld %lld %lld\n", CFG(obuf_normal.hard),
                CFG(obuf_normal.soft), CFG(obuf_normal.soft_secs));
        fprintf(out, "client-output-buffer-limit replica %lld %lld %lld\n", CFG(obuf_replica.hard),
                CFG(obuf_replica.soft), CFG(obuf_replica.soft_secs));
        fprintf(out, "client-output-buffer-limit pubsub %lld %lld %lld\n", CFG(obuf_pubsub.hard),
                CFG(obuf_pubsub.soft), CFG(obuf_pubsub.soft_secs));
        return;
    }
    format_value(o, buf, sizeof(buf));
    if (o->type == C_STR && o->ptr != &cfg.bind) {
        fprintf(out, "%s \"", o->name);
        for (const char *s = buf; *s; s++) {
            if (*s == '"' || *s == '\\')
                fputc('\\', out);
            fputc(*s, out);
        }
        fprintf(out, "\"\n");
    } else {
        fprintf(out, "%s %s\n", o->name, buf);
    }
}

static int differs_from_default(const struct cfg_opt *o)
{
    char cur[1024];
    format_value(o, cur, sizeof(cur));
    return strcmp(cur, default_formatted[o - opts]) != 0;
}

int config_rewrite(char *err, size_t errcap)
{
    if (!config_path) {
        snprintf(err, errcap, "ERR The server is running without a config file");
        return -1;
    }
    pthread_mutex_lock(&config_lock);
    int rc = -1;
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s.rewrite-%d", config_path, (int)getpid());
    FILE *in = fopen(config_path, "r");
    FILE *out = fopen(tmp, "w");
    if (!out) {
        snprintf(err, errcap, "ERR Rewriting config file: %s", strerror(errno));
        goto done;
    }
    char written[NOPTS];
    memset(written, 0, sizeof(written));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while (in && (n = getline(&line, &cap, in)) >= 0) {
        size_t l = (size_t)n;
        while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r'))
            l--;
        size_t s = 0;
        while (s < l && isspace((unsigned char)line[s]))
            s++;
        size_t e = s;
        while (e < l && !isspace((unsigned char)line[e]))
            e++;
        struct cfg_opt *o = (s < l && line[s] != '#') ? find_opt(line + s, e - s) : NULL;
        if (!o) {
            fwrite(line, 1, l, out);
            fputc('\n', out);
            continue;
        }
        size_t idx = (size_t)(o - opts);
        if (!written[idx]) { /* first occurrence carries the current value */
            rewrite_lines_for(o, out);
            written[idx] = 1;
        }
    }
    free(line);
    int header = 0;
    for (size_t i = 0; i < NOPTS; i++) {
        if (written[i] || !differs_from_default(&opts[i]))
            continue;
        if (!header) {
            fprintf(out, "# Generated by CONFIG REWRITE\n");
            header = 1;
        }
        rewrite_lines_for(&opts[i], out);
    }
    if (fflush(out) != 0 || fsync(fileno(out)) != 0) {
        snprintf(err, errcap, "ERR Rewriting config file: %s", strerror(errno));
        fclose(out);
        unlink(tmp);
        goto done;
    }
    fclose(out);
    if (rename(tmp, config_path) != 0) {
        snprintf(err, errcap, "ERR Rewriting config file: %s", strerror(errno));
        unlink(tmp);
        goto done;
    }
    rc = 0;
done:
    if (in)
        fclose(in);
    pthread_mutex_unlock(&config_lock);
    return rc;
}

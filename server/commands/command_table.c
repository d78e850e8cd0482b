/* command_table.c - every command, declared once.
 *
 * A row drives dispatch (handler, arity, flags), shard locking (key
 * positions), COMMAND INFO/DOCS/LIST/COUNT/GETKEYS and per-command stats.
 * Arity and key positions are Redis 7.0's, so clients that read COMMAND
 * (cluster routers, redis-cli hints) see what they expect.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/commands/command.h"
#include "server/core/mem.h"
#include "server/core/util.h"

#define R CMD_READONLY
#define W CMD_WRITE
#define M CMD_DENYOOM
#define F CMD_FAST
#define NA CMD_NOAUTH
#define NM CMD_NO_MULTI
#define AS CMD_ALL_SHARDS
#define SL CMD_SELF_LOCK
#define AD CMD_ADMIN
#define LD CMD_LOADING
#define ST CMD_STALE
#define MC CMD_MULTI_CTRL
#define BL CMD_BLOCKING
#define END {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL}

/* name, proc, arity, flags, first, last, step, group, since, complexity, summary, syntax */
#define ROW(n, p, a, f, k1, k2, ks, g, s, cx, sum, syn) \
    {n, p, a, f, k1, k2, ks, g, s, cx, sum, syn, NULL, NULL, 0, NULL, NULL}
/* A row whose keys move (a numkeys argument); kf is a cmd_keys_fn. */
#define ROWK(n, p, a, f, k1, k2, ks, g, s, cx, sum, syn, kf) \
    {n, p, a, f, k1, k2, ks, g, s, cx, sum, syn, NULL, NULL, 0, NULL, kf}
#define CONTAINER(n, p, a, f, g, s, sum, subs) \
    {n, p, a, f, 0, 0, 0, g, s, "Depends on subcommand.", sum, "", NULL, subs, 0, NULL, NULL}

static struct command object_subs[] = {
    ROW("object|encoding", cmd_object_encoding, 3, R, 2, 2, 1, "generic", "2.2.3", "O(1)",
        "Returns the internal encoding of a key's value.", "key"),
    ROW("object|freq", cmd_object_freq, 3, R, 2, 2, 1, "generic", "4.0.0", "O(1)",
        "Returns the logarithmic access frequency counter of a key (LFU policies).", "key"),
    ROW("object|idletime", cmd_object_idletime, 3, R, 2, 2, 1, "generic", "2.2.3", "O(1)",
        "Returns the seconds since the key was last accessed.", "key"),
    ROW("object|refcount", cmd_object_refcount, 3, R, 2, 2, 1, "generic", "2.2.3", "O(1)",
        "Returns the reference count of a key's value.", "key"),
    ROW("object|help", cmd_object_help, 2, LD | ST, 0, 0, 0, "generic", "6.2.0", "O(1)",
        "Returns helpful text about the OBJECT subcommands.", ""),
    END,
};

static struct command client_subs[] = {
    ROW("client|id", cmd_client_id, 2, LD | ST, 0, 0, 0, "connection", "5.0.0", "O(1)",
        "Returns the unique client ID of the connection.", ""),
    ROW("client|setname", cmd_client_setname, 3, LD | ST, 0, 0, 0, "connection", "2.6.9",
        "O(1)", "Sets the connection name.", "connection-name"),
    ROW("client|getname", cmd_client_getname, 2, LD | ST, 0, 0, 0, "connection", "2.6.9",
        "O(1)", "Returns the name of the connection.", ""),
    ROW("client|list", cmd_client_list, -2, AD | LD | ST, 0, 0, 0, "connection", "2.4.0",
        "O(N) where N is the number of client connections", "Lists open connections.",
        "[TYPE NORMAL | MASTER | REPLICA | PUBSUB] [ID client-id [client-id ...]]"),
    ROW("client|info", cmd_client_info, 2, LD | ST, 0, 0, 0, "connection", "6.2.0", "O(1)",
        "Returns information about the connection.", ""),
    ROW("client|kill", cmd_client_kill, -3, AD | LD | ST, 0, 0, 0, "connection", "2.4.0",
        "O(N) where N is the number of client connections", "Terminates open connections.",
        "ip:port | [ID client-id] [TYPE NORMAL | MASTER | SLAVE | REPLICA | PUBSUB] "
        "[USER username] [ADDR ip:port] [LADDR ip:port] [SKIPME yes | no]"),
    ROW("client|setinfo", cmd_client_setinfo, 4, LD | ST, 0, 0, 0, "connection", "7.2.0",
        "O(1)", "Sets information specific to the client or connection.",
        "LIB-NAME libname | LIB-VER libver"),
    ROW("client|help", cmd_client_help, 2, LD | ST, 0, 0, 0, "connection", "5.0.0", "O(1)",
        "Returns helpful text about the CLIENT subcommands.", ""),
    END,
};

static struct command config_subs[] = {
    ROW("config|get", cmd_config_get, -3, AD | LD | ST, 0, 0, 0, "server", "2.0.0",
        "O(N) when N is the number of configuration parameters provided",
        "Returns the effective values of configuration parameters.", "parameter [parameter ...]"),
    ROW("config|set", cmd_config_set, -4, AD | LD | ST, 0, 0, 0, "server", "2.0.0",
        "O(N) when N is the number of configuration parameters provided",
        "Sets configuration parameters in-flight.", "parameter value [parameter value ...]"),
    ROW("config|resetstat", cmd_config_resetstat, 2, AD | LD | ST, 0, 0, 0, "server",
        "2.0.0", "O(1)", "Resets the server's statistics.", ""),
    ROW("config|rewrite", cmd_config_rewrite, 2, AD | LD | ST, 0, 0, 0, "server", "2.8.0",
        "O(1)", "Persists the effective configuration to file.", ""),
    ROW("config|help", cmd_config_help, 2, LD | ST, 0, 0, 0, "server", "5.0.0", "O(1)",
        "Returns helpful text about the CONFIG subcommands.", ""),
    END,
};

static struct command command_subs[] = {
    ROW("command|count", cmd_command_count, 2, LD | ST, 0, 0, 0, "server", "2.8.13", "O(1)",
        "Returns a count of commands.", ""),
    ROW("command|info", cmd_command_info, -2, LD | ST, 0, 0, 0, "server", "2.8.13",
        "O(N) where N is the number of commands to look up",
        "Returns information about one, multiple or all commands.",
        "[command-name [command-name ...]]"),
    ROW("command|docs", cmd_command_docs, -2, LD | ST, 0, 0, 0, "server", "7.0.0",
        "O(N) where N is the number of commands to look up",
        "Returns documentary information about one, multiple or all commands.",
        "[command-name [command-name ...]]"),
    ROW("command|list", cmd_command_list, -2, LD | ST, 0, 0, 0, "server", "7.0.0",
        "O(N) where N is the total number of Redis commands", "Returns a list of command names.",
        "[FILTERBY MODULE module-name | ACLCAT category | PATTERN pattern]"),
    ROW("command|getkeys", cmd_command_getkeys, -4, LD | ST, 0, 0, 0, "server", "2.8.13",
        "O(N) where N is the number of arguments to the command",
        "Extracts the key names from an arbitrary command.", "command [arg [arg ...]]"),
    ROW("command|help", cmd_command_help, 2, LD | ST, 0, 0, 0, "server", "5.0.0", "O(1)",
        "Returns helpful text about the different subcommands.", ""),
    END,
};

static struct command table[] = {
    /* strings */
    ROW("get", cmd_get, 2, R | F, 1, 1, 1, "string", "1.0.0", "O(1)",
        "Returns the string value of a key.", "key"),
    ROW("set", cmd_set, -3, W | M, 1, 1, 1, "string", "1.0.0", "O(1)",
        "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
        "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | "
        "PXAT unix-time-milliseconds | KEEPTTL]"),
    ROW("setnx", cmd_setnx, 3, W | M | F, 1, 1, 1, "string", "1.0.0", "O(1)",
        "Set the string value of a key only when the key doesn't exist.", "key value"),
    ROW("setex", cmd_setex, 4, W | M, 1, 1, 1, "string", "2.0.0", "O(1)",
        "Sets the string value and expiration time of a key.", "key seconds value"),
    ROW("psetex", cmd_psetex, 4, W | M, 1, 1, 1, "string", "2.6.0", "O(1)",
        "Sets both string value and expiration time in milliseconds of a key.",
        "key milliseconds value"),
    ROW("mget", cmd_mget, -2, R | F, 1, -1, 1, "string", "1.0.0",
        "O(N) where N is the number of keys to retrieve.",
        "Atomically returns the string values of one or more keys.", "key [key ...]"),
    ROW("mset", cmd_mset, -3, W | M, 1, -1, 2, "string", "1.0.1",
        "O(N) where N is the number of keys to set.",
        "Atomically creates or modifies the string values of one or more keys.",
        "key value [key value ...]"),
    ROW("msetnx", cmd_msetnx, -3, W | M, 1, -1, 2, "string", "1.0.1",
        "O(N) where N is the number of keys to set.",
        "Atomically modifies the string values of one or more keys only when all keys don't exist.",
        "key value [key value ...]"),
    ROW("getset", cmd_getset, 3, W | M | F, 1, 1, 1, "string", "1.0.0", "O(1)",
        "Returns the previous string value of a key after setting it to a new value.", "key value"),
    ROW("getdel", cmd_getdel, 2, W | F, 1, 1, 1, "string", "6.2.0", "O(1)",
        "Returns the string value of a key after deleting the key.", "key"),
    ROW("getex", cmd_getex, -2, W | F, 1, 1, 1, "string", "6.2.0", "O(1)",
        "Returns the string value of a key after setting its expiration time.",
        "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST]"),
    ROW("incr", cmd_incr, 2, W | M | F, 1, 1, 1, "string", "1.0.0", "O(1)",
        "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
        "key"),
    ROW("decr", cmd_decr, 2, W | M | F, 1, 1, 1, "string", "1.0.0", "O(1)",
        "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't exist.",
        "key"),
    ROW("incrby", cmd_incrby, 3, W | M | F, 1, 1, 1, "string", "1.0.0", "O(1)",
        "Increments the integer value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
        "key increment"),
    ROW("decrby", cmd_decrby, 3, W | M | F, 1, 1, 1, "string", "1.0.0", "O(1)",
        "Decrements a number from the integer value of a key. Uses 0 as initial value if the key doesn't exist.",
        "key decrement"),
    ROW("incrbyfloat", cmd_incrbyfloat, 3, W | M | F, 1, 1, 1, "string", "2.6.0", "O(1)",
        "Increment the floating point value of a key by a number. Uses 0 as initial value if the key doesn't exist.",
        "key increment:double"),
    ROW("append", cmd_append, 3, W | M | F, 1, 1, 1, "string", "2.0.0",
        "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
        "Appends a string to the value of a key. Creates the key if it doesn't exist.",
        "key value"),
    ROW("strlen", cmd_strlen, 2, R | F, 1, 1, 1, "string", "2.2.0", "O(1)",
        "Returns the length of a string value.", "key"),
    ROW("getrange", cmd_getrange, 4, R, 1, 1, 1, "string", "2.4.0",
        "O(N) where N is the length of the returned string.",
        "Returns a substring of the string stored at a key.", "key start end"),
    ROW("substr", cmd_getrange, 4, R, 1, 1, 1, "string", "1.0.0",
        "O(N) where N is the length of the returned string.",
        "Returns a substring from a string value.", "key start end"),
    ROW("setrange", cmd_setrange, 4, W | M, 1, 1, 1, "string", "2.2.0",
        "O(1), not counting the time taken to copy the new string in place.",
        "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't exist.",
        "key offset value"),
    /* keys */
    ROW("del", cmd_del, -2, W, 1, -1, 1, "generic", "1.0.0",
        "O(N) where N is the number of keys that will be removed.", "Deletes one or more keys.",
        "key [key ...]"),
    ROW("unlink", cmd_del, -2, W | F, 1, -1, 1, "generic", "4.0.0",
        "O(1) for each key removed regardless of its size.",
        "Asynchronously deletes one or more keys.", "key [key ...]"),
    ROW("exists", cmd_exists, -2, R | F, 1, -1, 1, "generic", "1.0.0",
        "O(N) where N is the number of keys to check.", "Determines whether one or more keys exist.",
        "key [key ...]"),
    ROW("type", cmd_type, 2, R | F, 1, 1, 1, "generic", "1.0.0", "O(1)",
        "Determines the type of value stored at a key.", "key"),
    ROW("expire", cmd_expire, -3, W | F, 1, 1, 1, "generic", "1.0.0", "O(1)",
        "Sets the expiration time of a key in seconds.", "key seconds [NX | XX | GT | LT]"),
    ROW("pexpire", cmd_pexpire, -3, W | F, 1, 1, 1, "generic", "2.6.0", "O(1)",
        "Sets the expiration time of a key in milliseconds.",
        "key milliseconds [NX | XX | GT | LT]"),
    ROW("expireat", cmd_expireat, -3, W | F, 1, 1, 1, "generic", "1.2.0", "O(1)",
        "Sets the expiration time of a key to a Unix timestamp.",
        "key unix-time-seconds [NX | XX | GT | LT]"),
    ROW("pexpireat", cmd_pexpireat, -3, W | F, 1, 1, 1, "generic", "2.6.0", "O(1)",
        "Sets the expiration time of a key to a Unix milliseconds timestamp.",
        "key unix-time-milliseconds [NX | XX | GT | LT]"),
    ROW("ttl", cmd_ttl, 2, R | F, 1, 1, 1, "generic", "1.0.0", "O(1)",
        "Returns the expiration time in seconds of a key.", "key"),
    ROW("pttl", cmd_pttl, 2, R | F, 1, 1, 1, "generic", "2.6.0", "O(1)",
        "Returns the expiration time in milliseconds of a key.", "key"),
    ROW("expiretime", cmd_expiretime, 2, R | F, 1, 1, 1, "generic", "7.0.0", "O(1)",
        "Returns the expiration time of a key as a Unix timestamp.", "key"),
    ROW("pexpiretime", cmd_pexpiretime, 2, R | F, 1, 1, 1, "generic", "7.0.0", "O(1)",
        "Returns the expiration time of a key as a Unix milliseconds timestamp.", "key"),
    ROW("persist", cmd_persist, 2, W | F, 1, 1, 1, "generic", "2.2.0", "O(1)",
        "Removes the expiration time of a key.", "key"),
    ROW("rename", cmd_rename, 3, W, 1, 2, 1, "generic", "1.0.0", "O(1)",
        "Renames a key and overwrites the destination.", "key newkey"),
    ROW("renamenx", cmd_renamenx, 3, W | F, 1, 2, 1, "generic", "1.0.0", "O(1)",
        "Renames a key only when the target key name doesn't exist.", "key newkey"),
    ROW("move", cmd_move, 3, W | F, 1, 1, 1, "generic", "1.0.0", "O(1)",
        "Moves a key to another database.", "key db"),
    ROW("copy", cmd_copy, -3, W | M, 1, 2, 1, "generic", "6.2.0",
        "O(N) worst case for collections, where N is the number of nested items.",
        "Copies the value of a key to a new key.",
        "source destination [DB destination-db] [REPLACE]"),
    ROW("keys", cmd_keys, 2, R | SL, 0, 0, 0, "generic", "1.0.0",
        "O(N) with N being the number of keys in the database",
        "Returns all key names that match a pattern.", "pattern"),
    ROW("scan", cmd_scan, -2, R | SL, 0, 0, 0, "generic", "2.8.0",
        "O(1) for every call. O(N) for a complete iteration.",
        "Iterates over the key names in the database.",
        "cursor [MATCH pattern] [COUNT count] [TYPE type]"),
    ROW("randomkey", cmd_randomkey, 1, R | SL, 0, 0, 0, "generic", "1.0.0", "O(1)",
        "Returns a random key name from the database.", ""),
    ROW("touch", cmd_touch, -2, R | F, 1, -1, 1, "generic", "3.2.1",
        "O(N) where N is the number of keys that will be touched.",
        "Returns the number of existing keys out of those specified after updating the time they were last accessed.",
        "key [key ...]"),
    CONTAINER("object", cmd_container, -2, 0, "generic", "2.2.3",
              "A container for object introspection commands.", object_subs),
    /* connection */
    ROW("ping", cmd_ping, -1, F, 0, 0, 0, "connection", "1.0.0", "O(1)",
        "Returns the server's liveliness response.", "[message]"),
    ROW("echo", cmd_echo, 2, F, 0, 0, 0, "connection", "1.0.0", "O(1)",
        "Returns the given string.", "message"),
    ROW("quit", cmd_quit, -1, NA | LD | ST | F | MC, 0, 0, 0, "connection", "1.0.0", "O(1)",
        "Closes the connection.", ""),
    ROW("hello", cmd_hello, -1, NA | LD | ST | F | NM, 0, 0, 0, "connection", "6.0.0", "O(1)",
        "Handshakes with the Redis server.",
        "[protover [AUTH username password] [SETNAME clientname]]"),
    ROW("select", cmd_select, 2, LD | ST | F, 0, 0, 0, "connection", "1.0.0", "O(1)",
        "Changes the selected database.", "index"),
    ROW("auth", cmd_auth, -2, NA | LD | ST | F | NM, 0, 0, 0, "connection", "1.0.0",
        "O(N) where N is the number of passwords defined for the user",
        "Authenticates the connection.", "[username] password"),
    ROW("reset", cmd_reset, 1, NA | LD | ST | F | MC, 0, 0, 0, "connection", "6.2.0", "O(1)",
        "Resets the connection.", ""),
    CONTAINER("client", cmd_container, -2, 0, "connection", "2.4.0",
              "A container for client connection commands.", client_subs),
    /* server */
    CONTAINER("command", cmd_command, -1, LD | ST, "server", "2.8.13",
              "Returns detailed information about all commands.", command_subs),
    CONTAINER("config", cmd_container, -2, 0, "server", "2.0.0",
              "A container for server configuration commands.", config_subs),
    ROW("info", cmd_info, -1, LD | ST | SL, 0, 0, 0, "server", "1.0.0", "O(1)",
        "Returns information and statistics about the server.", "[section [section ...]]"),
    ROW("dbsize", cmd_dbsize, 1, R | F | SL, 0, 0, 0, "server", "1.0.0", "O(1)",
        "Returns the number of keys in the database.", ""),
    ROW("time", cmd_time, 1, LD | ST | F, 0, 0, 0, "server", "2.6.0", "O(1)",
        "Returns the server time.", ""),
    ROW("save", cmd_save, 1, AD | NM | CMD_NOSCRIPT, 0, 0, 0, "server", "1.0.0",
        "O(N) where N is the total number of keys in all databases",
        "Synchronously saves the database(s) to disk.", ""),
    ROW("bgsave", cmd_bgsave, -1, AD | CMD_NOSCRIPT, 0, 0, 0, "server", "1.0.0",
        "O(1)", "Asynchronously saves the database(s) to disk.", "[SCHEDULE]"),
    ROW("lastsave", cmd_lastsave, 1, LD | ST | F, 0, 0, 0, "server", "1.0.0", "O(1)",
        "Returns the Unix timestamp of the last successful save to disk.", ""),
    ROW("flushdb", cmd_flushdb, -1, W | AS, 0, 0, 0, "server", "1.0.0",
        "O(N) where N is the number of keys in the selected database",
        "Removes all keys from the current database.", "[ASYNC | SYNC]"),
    ROW("flushall", cmd_flushall, -1, W | AS, 0, 0, 0, "server", "1.0.0",
        "O(N) where N is the total number of keys in all databases",
        "Removes all keys from all databases.", "[ASYNC | SYNC]"),
    ROW("swapdb", cmd_swapdb, 3, W | F | AS, 0, 0, 0, "server", "4.0.0",
        "O(N) where N is the count of clients watching or blocking on keys from both databases.",
        "Swaps two Redis databases.", "index1 index2"),
    ROW("shutdown", cmd_shutdown, -1, AD | LD | ST | NM, 0, 0, 0, "server", "1.0.0",
        "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
        "Synchronously saves the database(s) to disk and shuts down the Redis server.",
        "[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]"),
    /* transactions */
    ROW("multi", cmd_multi, 1, LD | ST | F | MC, 0, 0, 0, "transactions", "1.2.0", "O(1)",
        "Starts a transaction.", ""),
    ROW("exec", cmd_exec, 1, LD | ST | MC, 0, 0, 0, "transactions", "1.2.0",
        "Depends on commands in the transaction", "Executes all commands in a transaction.", ""),
    ROW("discard", cmd_discard, 1, LD | ST | F | MC, 0, 0, 0, "transactions", "2.0.0",
        "O(N), when N is the number of queued commands", "Discards a transaction.", ""),
    ROW("watch", cmd_watch, -2, LD | ST | F | MC, 1, -1, 1, "transactions", "2.2.0",
        "O(1) for every key.",
        "Monitors changes to keys to determine the execution of a transaction.", "key [key ...]"),
    ROW("unwatch", cmd_unwatch, 1, LD | ST | F | MC, 0, 0, 0, "transactions", "2.2.0", "O(1)",
        "Forgets about watched keys of a transaction.", ""),
/* One file of rows per collection type, so each family reads as a unit. */
#include "server/commands/rows_hash.h"
#include "server/commands/rows_list.h"
#include "server/commands/rows_set.h"
#include "server/commands/rows_zset.h"
};

#define NTOP (int)(sizeof(table) / sizeof(table[0]))

static const struct command **by_id;
static int ncommands;

/* Open-addressed name index over top-level commands, built once. */
#define INDEX_SIZE 256
static const struct command *name_index[INDEX_SIZE];

static unsigned name_hash(const char *s, size_t n)
{
    unsigned h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned)(s[i] | 0x20)) * 16777619u; /* ASCII case folded */
    return h;
}

void command_table_init(void)
{
    int total = NTOP;
    for (int i = 0; i < NTOP; i++)
        for (struct command *s = table[i].subs; s && s->name; s++)
            total++;
    by_id = xcalloc((size_t)total, sizeof(*by_id));
    int id = 0;
    for (int i = 0; i < NTOP; i++) {
        table[i].id = id;
        by_id[id++] = &table[i];
        for (struct command *s = table[i].subs; s && s->name; s++) {
            s->id = id;
            s->parent = &table[i];
            by_id[id++] = s;
        }
        size_t len = strlen(table[i].name);
        unsigned h = name_hash(table[i].name, len) & (INDEX_SIZE - 1);
        while (name_index[h])
            h = (h + 1) & (INDEX_SIZE - 1);
        name_index[h] = &table[i];
    }
    ncommands = total;
}

const struct command *command_lookup(const char *name, size_t len)
{
    if (len == 0 || len > 32)
        return NULL;
    unsigned h = name_hash(name, len) & (INDEX_SIZE - 1);
    while (name_index[h]) {
        const struct command *c = name_index[h];
        if (!strncasecmp(c->name, name, len) && c->name[len] == '\0')
            return c;
        h = (h + 1) & (INDEX_SIZE - 1);
    }
    return NULL;
}

const struct command *command_lookup_sub(const struct command *parent, const char *name,
                                         size_t len)
{
    size_t plen = strlen(parent->name);
    for (const struct command *s = parent->subs; s && s->name; s++) {
        const char *sub = s->name + plen + 1;
        if (strlen(sub) == len && !strncasecmp(sub, name, len))
            return s;
    }
    return NULL;
}

int command_count(void) { return ncommands; }
const struct command *command_by_id(int id) { return by_id[id]; }
const struct command *command_at(int i) { return &table[i]; }
int command_top_count(void) { return NTOP; }

/* "numkeys key..." with numkeys at argv[at]; dest adds argv[1] as a key. */
static int keys_numkeys(int argc, const char **argv, const size_t *argl, int at, int dest,
                        int *out, int cap)
{
    long long nk;
    if (at >= argc || !util_str2ll(argv[at], argl[at], &nk) || nk <= 0 || nk > argc - at - 1)
        return 0;
    int n = 0;
    if (dest && n < cap)
        out[n++] = 1;
    for (int i = 0; i < nk && n < cap; i++)
        out[n++] = at + 1 + i;
    return n;
}

int keys_numkeys_at1(int argc, const char **argv, const size_t *argl, int *out, int cap)
{
    return keys_numkeys(argc, argv, argl, 1, 0, out, cap);
}

int keys_numkeys_at2(int argc, const char **argv, const size_t *argl, int *out, int cap)
{
    return keys_numkeys(argc, argv, argl, 2, 0, out, cap);
}

int keys_dest_numkeys(int argc, const char **argv, const size_t *argl, int *out, int cap)
{
    return keys_numkeys(argc, argv, argl, 2, 1, out, cap);
}

int command_keys(const struct command *cmd, int argc, const char **argv, const size_t *argl,
                 int *out, int cap)
{
    if (cmd->keys)
        return cmd->keys(argc, argv, argl, out, cap);
    if (cmd->first <= 0)
        return 0;
    int last = cmd->last < 0 ? argc + cmd->last : cmd->last;
    if (last >= argc)
        last = argc - 1;
    int n = 0;
    for (int i = cmd->first; i <= last && n < cap; i += cmd->step)
        out[n++] = i;
    return n;
}
